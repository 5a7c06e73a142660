# protocol_type is required by aws_apigatewayv2_api.
resource "aws_apigatewayv2_api" "missing_required" {
  name                       = "planted-missing-required"
  route_selection_expression = "$request.body.action"
}
