# A rollback of step 5 as the guide once gave it (issue 21): step 5's moved block reversed from
# `this`, which the module's own moved block also names. The test plans it and expects
# Terraform to refuse it ("Ambiguous move statements"). Never applied.

moved {
  from = module.websocket_proxy.aws_dynamodb_table.this
  to   = module.websocket_lambda.aws_dynamodb_table.websocket_connections[0]
}
