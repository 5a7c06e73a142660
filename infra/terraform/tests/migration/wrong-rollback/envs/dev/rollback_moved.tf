# A rollback of steps 1-4 as the guide once gave it (issue 21): the moved blocks reversed from
# `this`, where the API and the stage are not (the module moved them on to this[0]). The test
# plans it and expects its check to fail: Terraform would destroy the API and the stage and
# create new ones (a new URL, every client cut off). Never applied.

moved {
  from = module.websocket_proxy.aws_apigatewayv2_api.this
  to   = aws_apigatewayv2_api.websocket
}

moved {
  from = module.websocket_proxy.aws_apigatewayv2_stage.this
  to   = aws_apigatewayv2_stage.websocket
}

moved {
  from = module.websocket_proxy.aws_apigatewayv2_route.this["$connect"]
  to   = aws_apigatewayv2_route.connect
}

moved {
  from = module.websocket_proxy.aws_apigatewayv2_route.this["$disconnect"]
  to   = aws_apigatewayv2_route.disconnect
}

moved {
  from = module.websocket_proxy.aws_apigatewayv2_route.this["$default"]
  to   = aws_apigatewayv2_route.default
}

moved {
  from = module.websocket_proxy.aws_apigatewayv2_integration.this
  to   = aws_apigatewayv2_integration.websocket
}
