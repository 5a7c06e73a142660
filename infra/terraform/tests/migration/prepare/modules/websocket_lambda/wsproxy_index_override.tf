# Step 0 of docs/MIGRATING.md: the index wsproxy looks connections up by (docs/contract.md
# section 5), added to the old module's table in place (DynamoDB builds it online; the table
# stays and serves). In the old module, so that its next apply keeps the index rather than
# removing it. An override file (Terraform merges it into the resource of the same name in
# main.tf) leaves the module's own files untouched; adding the block to the resource itself
# does the same. The attribute connection_id is declared there already (the range key).

resource "aws_dynamodb_table" "websocket_connections" {
  global_secondary_index {
    name            = "connection_id-index"
    hash_key        = "connection_id"
    projection_type = "ALL"
  }
}
