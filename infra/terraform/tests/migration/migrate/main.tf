# Migration, steps 2 to 4 of docs/MIGRATING.md, in the old configuration's root (same state):
# the API, its stage, routes and integration adopted into the module with `moved` blocks,
# keeping their names; the table kept by name (the old module still holds it); the new
# function deployed beside the old one; the integration moved to it. Clients keep their URL.

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

variable "lambda_zip" {
  type = string
}

variable "wsproxy_package" {
  type = string
}

# The old function stays, unchanged, until step 5: the rollback is to point the integration
# back at it.
module "websocket_lambda" {
  source = "../old/websocket_lambda"

  name                 = var.name
  lambda_zip           = var.lambda_zip
  api_gateway_id       = module.websocket_proxy.api_id
  api_gateway_endpoint = module.websocket_proxy.connections_endpoint
}

module "websocket_proxy" {
  source = "../../../modules/websocket_proxy"

  name                 = var.name
  api_name             = "${var.name}-websocket"
  stage_name           = var.websocket_stage_name
  lambda_function_name = "${var.name}-wsproxy"

  connections_table_name   = module.websocket_lambda.dynamodb_table_name
  create_connections_table = false

  lambda_package = abspath(var.wsproxy_package)
  backend_url    = "https://api.example.com"
}

# To the module's address without [0]: its own moved block takes the API and the stage on to
# this[0] (where the module has counted them since existing_api_id).
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

# The outputs the old scripts read, under their old names.
output "websocket_api_endpoint" {
  value = module.websocket_proxy.websocket_url
}

output "websocket_api_id" {
  value = module.websocket_proxy.api_id
}

output "websocket_connections_table_name" {
  value = module.websocket_proxy.dynamodb_table_name
}

output "websocket_lambda_function_arn" {
  value = module.websocket_proxy.lambda_function_arn
}
