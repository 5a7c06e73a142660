# aws_apigatewayv2_api has api_endpoint, not websocket_endpoint.
resource "aws_apigatewayv2_api" "unknown_attribute" {
  name                       = "planted-unknown-attribute"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

output "unknown_attribute" {
  value = aws_apigatewayv2_api.unknown_attribute.websocket_endpoint
}
