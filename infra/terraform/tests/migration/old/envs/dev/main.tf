# A stand-in for an environment root of the Python proxy's Terraform as it is found in the
# field (issue 21), for the migration test: the WebSocket API, its stage, three routes and one
# integration in the root, next to other resources that read the API's endpoint and id; the
# function and the table in the old module at ../../modules/websocket_lambda.
#
# Messy on purpose: the name is local.name (there is no var.name); tags on the API, stage and
# table; the integration on the function's ARN (not its invoke ARN); the old function's
# BACKEND_URL computed from another resource (the backend's HTTP API) and extra environment
# variables; a task definition's environment (WEBSOCKET_API_ENDPOINT) and the frontend's
# configuration reading the endpoint; a destroy guard and an env-var updater
# (terraform_data, triggers and depends_on); outputs. The table has no connection_id-index
# (the old module never made it) and the account has no API Gateway CloudWatch role.
#
# The frontend's configuration is an SSM parameter here where the field has an Amplify app's
# environment: moto, which the test also runs against, serves no Amplify API. Both are updated
# in place when the value changes, and must not change.

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

resource "aws_apigatewayv2_api" "websocket" {
  name                       = "${local.name}-websocket"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
  tags                       = local.tags
}

resource "aws_apigatewayv2_stage" "websocket" {
  api_id      = aws_apigatewayv2_api.websocket.id
  name        = var.websocket_stage_name
  auto_deploy = true
  tags        = local.tags
}

# On the function's ARN, not its invoke ARN.
resource "aws_apigatewayv2_integration" "websocket" {
  api_id             = aws_apigatewayv2_api.websocket.id
  integration_type   = "AWS_PROXY"
  integration_method = "POST"
  integration_uri    = module.websocket_lambda.lambda_function_arn
}

resource "aws_apigatewayv2_route" "connect" {
  api_id    = aws_apigatewayv2_api.websocket.id
  route_key = "$connect"
  target    = "integrations/${aws_apigatewayv2_integration.websocket.id}"
}

resource "aws_apigatewayv2_route" "disconnect" {
  api_id    = aws_apigatewayv2_api.websocket.id
  route_key = "$disconnect"
  target    = "integrations/${aws_apigatewayv2_integration.websocket.id}"
}

resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.websocket.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.websocket.id}"
}

module "websocket_lambda" {
  source = "../../modules/websocket_lambda"

  name                 = local.name
  lambda_zip           = var.lambda_zip
  api_gateway_id       = aws_apigatewayv2_api.websocket.id
  api_gateway_endpoint = "${replace(aws_apigatewayv2_api.websocket.api_endpoint, "wss://", "https://")}/${var.websocket_stage_name}"
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
      { name = "WEBSOCKET_API_ENDPOINT", value = replace(aws_apigatewayv2_stage.websocket.invoke_url, "wss://", "https://") },
      { name = "WEBSOCKET_API_ID", value = aws_apigatewayv2_api.websocket.id },
    ]
  }])
  tags = local.tags
}

# The frontend's environment (an Amplify app's in the field, see above): the clients' URL.
resource "aws_ssm_parameter" "frontend_websocket_url" {
  name  = "/${local.name}/frontend/VITE_WEBSOCKET_URL"
  type  = "String"
  value = aws_apigatewayv2_stage.websocket.invoke_url
  tags  = local.tags
}

# A destroy guard: replaced (so destroyed) whenever the API is, and its destroy fails, which
# stops an apply that would cut every client off.
resource "terraform_data" "websocket_api_guard" {
  triggers_replace = aws_apigatewayv2_api.websocket.id

  provisioner "local-exec" {
    when    = destroy
    command = "echo 'refusing to destroy the WebSocket API ${self.triggers_replace}' >&2; exit 1"
  }
}

# An env-var updater: runs again whenever the endpoint changes (in the field it pushes the URL
# into services Terraform does not manage); each run adds a line to endpoint-updates.log.
resource "terraform_data" "websocket_endpoint_updater" {
  triggers_replace = [aws_apigatewayv2_stage.websocket.invoke_url, aws_apigatewayv2_api.websocket.id]

  provisioner "local-exec" {
    command = "echo \"$URL\" >> \"$LOG\""
    environment = {
      URL = self.triggers_replace[0]
      LOG = "${path.module}/endpoint-updates.log"
    }
  }

  depends_on = [
    aws_apigatewayv2_stage.websocket,
    aws_apigatewayv2_route.connect,
    aws_apigatewayv2_route.disconnect,
    aws_apigatewayv2_route.default,
  ]
}

output "websocket_api_endpoint" {
  value = aws_apigatewayv2_stage.websocket.invoke_url
}

output "websocket_api_id" {
  value = aws_apigatewayv2_api.websocket.id
}

output "websocket_connections_endpoint" {
  value = "${replace(aws_apigatewayv2_api.websocket.api_endpoint, "wss://", "https://")}/${var.websocket_stage_name}"
}

output "websocket_connections_table_name" {
  value = module.websocket_lambda.dynamodb_table_name
}

output "websocket_lambda_function_arn" {
  value = module.websocket_lambda.lambda_function_arn
}
