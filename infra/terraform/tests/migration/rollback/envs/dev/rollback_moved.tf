# The rollback of steps 1 to 4 (docs/MIGRATING.md): the old root's main.tf back (git revert),
# with these blocks, the moved blocks of steps 1-4 reversed. `from` names the addresses where
# the objects are in the state now: the API and the stage at this[0] (the module moved them
# there), never `this`, from which Terraform would move nothing and plan to destroy the API
# and the stage and create new ones (a new URL). Applied: the API, stage, routes and
# integration return in place, the integration to the old function; wsproxy's function goes.

moved {
  from = module.websocket_proxy.aws_apigatewayv2_api.this[0]
  to   = aws_apigatewayv2_api.websocket
}

moved {
  from = module.websocket_proxy.aws_apigatewayv2_stage.this[0]
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
