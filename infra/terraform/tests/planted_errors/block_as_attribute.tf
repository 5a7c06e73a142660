# ttl is a nested block of aws_dynamodb_table, not an attribute taking an object.
resource "aws_dynamodb_table" "block_as_attribute" {
  name         = "planted-block-as-attribute"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "booking_id"

  attribute {
    name = "booking_id"
    type = "S"
  }

  ttl = {
    attribute_name = "ttl"
    enabled        = true
  }
}
