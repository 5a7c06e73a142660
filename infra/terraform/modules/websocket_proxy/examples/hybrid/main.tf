# Option 3, hybrid: an existing function whose IAM is managed elsewhere. The module creates
# the table, the API and the invoke permission, and no IAM at all; the policy the function
# needs is output as JSON for whoever manages its role.

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

module "websocket_proxy" {
  source = "../.."

  name = "wsproxy-example"

  create_lambda                 = false
  existing_lambda_function_name = "wsproxy-existing"
  create_lambda_role            = false
}

output "policy_for_the_function_role" {
  value = module.websocket_proxy.lambda_policy_json
}

output "websocket_url" {
  value = module.websocket_proxy.websocket_url
}
