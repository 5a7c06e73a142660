terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.26, < 6.29"
    }
  }

  # State is local (terraform.tfstate in this folder) unless a backend is configured, e.g.:
  # backend "s3" {
  #   bucket = "my-terraform-state"
  #   key    = "wsproxy/dev/terraform.tfstate"
  #   region = "us-east-1"
  # }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = "wsproxy", Environment = "dev" }, var.tags)
  }
}

# local.websocket_lambda_package: package.tf.

module "websocket_proxy" {
  source = "../../modules/websocket_proxy"

  name = var.name

  # Every name is settable; null keeps the module's default (derived from name).
  api_name             = var.api_name
  lambda_function_name = var.lambda_function_name
  lambda_role_name     = var.lambda_role_name

  # Option 1: Terraform creates the function from the package and redeploys it when the
  # zip's hash changes. See the module's README for Options 2 and 3.
  create_lambda  = true
  lambda_package = local.websocket_lambda_package
  backend_url    = var.backend_url

  backend_timeout_ms           = var.backend_timeout_ms
  lambda_memory_size           = var.lambda_memory_size
  lambda_environment_variables = var.lambda_environment_variables

  stage_name             = var.stage_name
  existing_api_id        = var.existing_api_id
  existing_stage_name    = var.existing_stage_name
  throttling_rate_limit  = var.throttling_rate_limit
  throttling_burst_limit = var.throttling_burst_limit
  log_retention_in_days  = var.log_retention_in_days

  connections_table_name            = var.connections_table_name
  create_connections_table          = var.create_connections_table
  create_apigateway_cloudwatch_role = var.create_apigateway_cloudwatch_role
}
