# The import variant, the old root's side (docs/MIGRATING.md "Adopting with import", item 2):
# the API, its stage, routes and integration leave this root's configuration and its state
# (`removed`, destroy = false) in the same change, applied before the new configuration
# (import/) imports them. Everything else that read them now reads the API by id, with the
# same values; the old module keeps the function and the table (the table stays this root's
# until its step 5).

provider "aws" {
  region = "us-east-1"
}

variable "environment" {
  type    = string
  default = "dev"
}

variable "websocket_stage_name" {
  type    = string
  default = "development"
}

variable "websocket_api_id" {
  description = "The WebSocket API's id (terraform output -raw websocket_api_id, before this change)."
  type        = string
}

variable "lambda_zip" {
  description = "The Python proxy's package."
  type        = string
}

locals {
  name = "chat-${var.environment}"
  tags = {
    Project     = "chat"
    Environment = var.environment
    Component   = "websocket"
  }
}

# The backend's HTTP API: the Python proxy's BACKEND_URL is computed from its endpoint.
resource "aws_apigatewayv2_api" "backend" {
  name          = "${local.name}-backend"
  protocol_type = "HTTP"
  tags          = local.tags
}

# The API, read by id: the values the removed resources gave, unchanged.
data "aws_apigatewayv2_api" "websocket" {
  api_id = var.websocket_api_id
}

locals {
  websocket_url        = "${data.aws_apigatewayv2_api.websocket.api_endpoint}/${var.websocket_stage_name}"
  connections_endpoint = "${replace(data.aws_apigatewayv2_api.websocket.api_endpoint, "wss://", "https://")}/${var.websocket_stage_name}"
}

removed {
  from = aws_apigatewayv2_api.websocket
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_apigatewayv2_stage.websocket
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_apigatewayv2_integration.websocket
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_apigatewayv2_route.connect
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_apigatewayv2_route.disconnect
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_apigatewayv2_route.default
  lifecycle {
    destroy = false
  }
}

module "websocket_lambda" {
  source = "../../modules/websocket_lambda"

  name                 = local.name
  lambda_zip           = var.lambda_zip
  api_gateway_id       = data.aws_apigatewayv2_api.websocket.api_id
  api_gateway_endpoint = local.connections_endpoint
  backend_url          = "${aws_apigatewayv2_api.backend.api_endpoint}/api"
  extra_environment = {
    LOG_LEVEL       = "INFO"
    ALLOWED_ORIGINS = "https://app.example.com"
  }
  tags = local.tags
}

# The application's task definition reads the @connections endpoint and the API's id. A task
# definition is immutable: any change to its environment replaces it (a new revision).
resource "aws_ecs_task_definition" "app" {
  family = "${local.name}-app"
  container_definitions = jsonencode([{
    name      = "app"
    image     = "public.ecr.aws/docker/library/python:3.11-slim"
    essential = true
    memory    = 512
    environment = [
      { name = "WEBSOCKET_API_ENDPOINT", value = replace(local.websocket_url, "wss://", "https://") },
      { name = "WEBSOCKET_API_ID", value = data.aws_apigatewayv2_api.websocket.api_id },
    ]
  }])
  tags = local.tags
}

# The frontend's environment (an Amplify app's in the field, see above): the clients' URL.
resource "aws_ssm_parameter" "frontend_websocket_url" {
  name  = "/${local.name}/frontend/VITE_WEBSOCKET_URL"
  type  = "String"
  value = local.websocket_url
  tags  = local.tags
}

# A destroy guard: replaced (so destroyed) whenever the API is, and its destroy fails, which
# stops an apply that would cut every client off.
resource "terraform_data" "websocket_api_guard" {
  triggers_replace = data.aws_apigatewayv2_api.websocket.api_id

  provisioner "local-exec" {
    when    = destroy
    command = "echo 'refusing to destroy the WebSocket API ${self.triggers_replace}' >&2; exit 1"
  }
}

# An env-var updater: runs again whenever the endpoint changes (in the field it pushes the URL
# into services Terraform does not manage); each run adds a line to endpoint-updates.log.
resource "terraform_data" "websocket_endpoint_updater" {
  triggers_replace = [local.websocket_url, data.aws_apigatewayv2_api.websocket.api_id]

  provisioner "local-exec" {
    command = "echo \"$URL\" >> \"$LOG\""
    environment = {
      URL = self.triggers_replace[0]
      LOG = "${path.module}/endpoint-updates.log"
    }
  }

}

output "websocket_api_endpoint" {
  value = local.websocket_url
}

output "websocket_api_id" {
  value = data.aws_apigatewayv2_api.websocket.api_id
}

output "websocket_connections_endpoint" {
  value = local.connections_endpoint
}

output "websocket_connections_table_name" {
  value = module.websocket_lambda.dynamodb_table_name
}

output "websocket_lambda_function_arn" {
  value = module.websocket_lambda.lambda_function_arn
}
