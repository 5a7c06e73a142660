# Option 2: the function exists already (created by hand or by another stack) and keeps its
# code, which `wsproxy deploy --function-name NAME --package ZIP` updates. The module creates
# the table, the API, the permission for API Gateway to invoke the function, its asynchronous
# invocation config (no retries) and an inline policy on the role the function runs with
# (the plan fails if existing_lambda_role_name is not that role).

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

  create_lambda_role        = false
  existing_lambda_role_name = "wsproxy-existing-role"
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
