# A stand-in for the Python proxy's Terraform (the layout issue 9 describes), written for the
# migration test: the environment root holds the API, its stage, three routes and one
# integration; the module websocket_lambda the table, the role and the function.

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

resource "aws_apigatewayv2_api" "websocket" {
  name                       = "${var.name}-websocket"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

resource "aws_apigatewayv2_stage" "websocket" {
  api_id      = aws_apigatewayv2_api.websocket.id
  name        = var.websocket_stage_name
  auto_deploy = true
}

resource "aws_apigatewayv2_integration" "websocket" {
  api_id             = aws_apigatewayv2_api.websocket.id
  integration_type   = "AWS_PROXY"
  integration_method = "POST"
  integration_uri    = module.websocket_lambda.lambda_invoke_arn
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
  source = "./websocket_lambda"

  name                 = var.name
  lambda_zip           = var.lambda_zip
  api_gateway_id       = aws_apigatewayv2_api.websocket.id
  api_gateway_endpoint = "${replace(aws_apigatewayv2_api.websocket.api_endpoint, "wss://", "https://")}/${var.websocket_stage_name}"
}

output "websocket_api_endpoint" {
  value = aws_apigatewayv2_stage.websocket.invoke_url
}

output "websocket_api_id" {
  value = aws_apigatewayv2_api.websocket.id
}

output "websocket_connections_table_name" {
  value = module.websocket_lambda.dynamodb_table_name
}

output "websocket_lambda_function_arn" {
  value = module.websocket_lambda.lambda_function_arn
}
