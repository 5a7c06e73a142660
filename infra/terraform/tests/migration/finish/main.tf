# Migration, step 5 of docs/MIGRATING.md: the old function, its role and permission removed;
# the table moved out of the old module into wsproxy's (nothing replaced or deleted but the
# old function's resources). The moved blocks of steps 2-4 stay: harmless once applied.

provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type    = string
  default = "chat"
}

variable "websocket_stage_name" {
  type    = string
  default = "development"
}

variable "wsproxy_package" {
  type = string
}

module "websocket_proxy" {
  source = "../../../modules/websocket_proxy"

  name                 = var.name
  api_name             = "${var.name}-websocket"
  stage_name           = var.websocket_stage_name
  lambda_function_name = "${var.name}-wsproxy"

  connections_table_name = "${var.name}-websocket-connections"

  lambda_package = abspath(var.wsproxy_package)
  backend_url    = "https://api.example.com"
}

moved {
  from = module.websocket_lambda.aws_dynamodb_table.websocket_connections[0]
  # Not this[0]: the module itself moves its unindexed table to this[0] (a chain of moves).
  to = module.websocket_proxy.aws_dynamodb_table.this
}

moved {
  from = aws_apigatewayv2_api.websocket
  to   = module.websocket_proxy.aws_apigatewayv2_api.this
}

moved {
  from = aws_apigatewayv2_stage.websocket
  to   = module.websocket_proxy.aws_apigatewayv2_stage.this
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
