# hash_keys is not an argument of aws_dynamodb_table (hash_key is).
resource "aws_dynamodb_table" "unknown_argument" {
  name         = "planted-unknown-argument"
  billing_mode = "PAY_PER_REQUEST"
  hash_keys    = "booking_id"

  attribute {
    name = "booking_id"
    type = "S"
  }
}
