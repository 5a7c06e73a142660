# Migration, step 5 of docs/MIGRATING.md, in the same root (it replaces steps 1-4's main.tf):
# the old module removed, so its function, role, policies and permission are destroyed; the
# table moved out of it into wsproxy's module (in place: nothing replaced), which keeps its
# tags and its index. The moved blocks of steps 1-4 stay (harmless once applied); the other
# references stay as rewritten in steps 1-4.

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

variable "wsproxy_package" {
  description = "wsproxy's package (wsproxy package --out DIR, DIR/bootstrap.zip)."
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

resource "aws_apigatewayv2_api" "backend" {
  name          = "${local.name}-backend"
  protocol_type = "HTTP"
  tags          = local.tags
}

module "websocket_proxy" {
  source = "../../modules/websocket_proxy"

  name                 = local.name
  api_name             = "${local.name}-websocket" # the old API's name: no rename
  stage_name           = var.websocket_stage_name  # the URL's last segment
  lambda_function_name = "${local.name}-wsproxy"   # beside "<name>-websocket-proxy"

  # The module owns the table now (create_connections_table = true, the default).
  connections_table_name = "${local.name}-websocket-connections"

  lambda_package = abspath(var.wsproxy_package)
  # The old function's BACKEND_URL and extra variables, carried over.
  backend_url = "${aws_apigatewayv2_api.backend.api_endpoint}/api"
  lambda_environment_variables = {
    LOG_LEVEL       = "INFO"
    ALLOWED_ORIGINS = "https://app.example.com"
  }

  tags = local.tags
}

moved {
  from = module.websocket_lambda.aws_dynamodb_table.websocket_connections[0]
  to   = module.websocket_proxy.aws_dynamodb_table.this # not this[0]: the module moves it there
}

moved {
  from = aws_apigatewayv2_api.websocket
  to   = module.websocket_proxy.aws_apigatewayv2_api.this # not this[0]: the module moves it there
}

moved {
  from = aws_apigatewayv2_stage.websocket
  to   = module.websocket_proxy.aws_apigatewayv2_stage.this # not this[0]: the module moves it there
}

moved {
  from = aws_apigatewayv2_route.connect
  to   = module.websocket_proxy.aws_apigatewayv2_route.this["$connect"]
}

moved {
  from = aws_apigatewayv2_route.disconnect
  to   = module.websocket_proxy.aws_apigatewayv2_route.this["$disconnect"]
}

moved {
  from = aws_apigatewayv2_route.default
  to   = module.websocket_proxy.aws_apigatewayv2_route.this["$default"]
}

moved {
  from = aws_apigatewayv2_integration.websocket
  to   = module.websocket_proxy.aws_apigatewayv2_integration.this
}

# The other references, each to a module output of the same value (so no change at all):
#   aws_apigatewayv2_stage.websocket.invoke_url  -> module.websocket_proxy.websocket_url
#   aws_apigatewayv2_api.websocket.id            -> module.websocket_proxy.api_id
#   depends_on on the stage or the routes        -> depends_on = [module.websocket_proxy]
resource "aws_ecs_task_definition" "app" {
  family = "${local.name}-app"
  container_definitions = jsonencode([{
    name      = "app"
    image     = "public.ecr.aws/docker/library/python:3.11-slim"
    essential = true
    memory    = 512
    environment = [
      { name = "WEBSOCKET_API_ENDPOINT", value = replace(module.websocket_proxy.websocket_url, "wss://", "https://") },
      { name = "WEBSOCKET_API_ID", value = module.websocket_proxy.api_id },
    ]
  }])
  tags = local.tags
}

resource "aws_ssm_parameter" "frontend_websocket_url" {
  name  = "/${local.name}/frontend/VITE_WEBSOCKET_URL"
  type  = "String"
  value = module.websocket_proxy.websocket_url
  tags  = local.tags
}

resource "terraform_data" "websocket_api_guard" {
  triggers_replace = module.websocket_proxy.api_id

  provisioner "local-exec" {
    when    = destroy
    command = "echo 'refusing to destroy the WebSocket API ${self.triggers_replace}' >&2; exit 1"
  }
}

resource "terraform_data" "websocket_endpoint_updater" {
  triggers_replace = [module.websocket_proxy.websocket_url, module.websocket_proxy.api_id]

  provisioner "local-exec" {
    command = "echo \"$URL\" >> \"$LOG\""
    environment = {
      URL = self.triggers_replace[0]
      LOG = "${path.module}/endpoint-updates.log"
    }
  }

  depends_on = [module.websocket_proxy]
}

# The outputs the old scripts read, under their old names and with their old values.
output "websocket_api_endpoint" {
  value = module.websocket_proxy.websocket_url
}

output "websocket_api_id" {
  value = module.websocket_proxy.api_id
}

output "websocket_connections_endpoint" {
  value = module.websocket_proxy.connections_endpoint
}

output "websocket_connections_table_name" {
  value = module.websocket_proxy.dynamodb_table_name
}

output "websocket_lambda_function_arn" {
  value = module.websocket_proxy.lambda_function_arn
}
