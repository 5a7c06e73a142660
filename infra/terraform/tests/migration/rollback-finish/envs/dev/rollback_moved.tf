# The rollback of step 5 (docs/MIGRATING.md): the configuration of steps 1-4 back (git revert),
# with this block, step 5's moved block reversed. `from` is this[0], where the table is in the
# state now: from `this` Terraform refuses the plan ("Ambiguous move statements", the module's
# own block moves `this` to `this[0]`). The table returns to the old module, which keeps its
# connection_id-index (step 0's override file), so its next apply does not remove the index
# while wsproxy serves; the old function is created again from its package.

moved {
  from = module.websocket_proxy.aws_dynamodb_table.this[0]
  to   = module.websocket_lambda.aws_dynamodb_table.websocket_connections[0]
}
