# Option 3, hybrid: an existing function whose IAM is managed elsewhere. The module creates
# the table, the API and the invoke permission, and no IAM at all; the policy the function
# needs is output as JSON for whoever manages its role.

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

# The function's environment is its own: set these on it (contract section 1).
output "set_on_the_function" {
  value = {
    CONNECTIONS_TABLE    = module.websocket_proxy.dynamodb_table_name
    API_GATEWAY_ENDPOINT = module.websocket_proxy.connections_endpoint
  }
}

output "websocket_url" {
  value = module.websocket_proxy.websocket_url
}
