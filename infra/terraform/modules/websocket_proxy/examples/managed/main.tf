# Option 1: Terraform creates and updates the function from the zip of `wsproxy package`.
#
#   wsproxy package --out dist          # from the repository root
#   terraform init && terraform apply -var backend_url=https://api.example.com

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.26, < 6.29"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "backend_url" {
  description = "Base URL of the HTTP backend."
  type        = string
}

module "websocket_proxy" {
  source = "../.."

  name = "wsproxy-example"
  # Relative to this folder (the repository root is six levels up), made absolute so that
  # the module does not resolve it against another directory.
  lambda_package = abspath("${path.module}/../../../../../../dist/bootstrap.zip")
  backend_url    = var.backend_url
}

output "websocket_url" {
  value = module.websocket_proxy.websocket_url
}

output "connections_endpoint" {
  value = module.websocket_proxy.connections_endpoint
}

output "connections_table" {
  value = module.websocket_proxy.dynamodb_table_name
}
