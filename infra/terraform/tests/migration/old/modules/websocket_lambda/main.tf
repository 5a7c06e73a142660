# The Python proxy's function module, as issues 9 and 21 describe it (a test fixture): its
# table has no connection_id-index (the Python proxy scans), and nothing here makes one.

variable "name" {
  type = string
}

variable "lambda_zip" {
  type = string
}

variable "api_gateway_id" {
  type = string
}

variable "api_gateway_endpoint" {
  type = string
}

variable "backend_url" {
  type = string
}

variable "extra_environment" {
  type    = map(string)
  default = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "enabled" {
  type    = bool
  default = true
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

resource "aws_dynamodb_table" "websocket_connections" {
  count = var.enabled ? 1 : 0

  name         = "${var.name}-websocket-connections"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "booking_id"
  range_key    = "connection_id"

  attribute {
    name = "booking_id"
    type = "S"
  }

  attribute {
    name = "connection_id"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  tags = var.tags
}

resource "aws_iam_role" "lambda_role" {
  count = var.enabled ? 1 : 0

  name = "${var.name}-websocket-lambda-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "lambda_dynamodb" {
  count = var.enabled ? 1 : 0

  name = "dynamodb"
  role = aws_iam_role.lambda_role[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["dynamodb:*"], Resource = [aws_dynamodb_table.websocket_connections[0].arn, "${aws_dynamodb_table.websocket_connections[0].arn}/index/*"] }]
  })
}

resource "aws_iam_role_policy" "lambda_apigw" {
  count = var.enabled ? 1 : 0

  name = "apigw"
  role = aws_iam_role.lambda_role[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["execute-api:ManageConnections"], Resource = ["arn:aws:execute-api:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:${var.api_gateway_id}/*"] }]
  })
}

resource "aws_iam_role_policy_attachment" "lambda_basic" {
  count = var.enabled ? 1 : 0

  role       = aws_iam_role.lambda_role[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "websocket_proxy" {
  count = var.enabled ? 1 : 0

  function_name    = "${var.name}-websocket-proxy"
  role             = aws_iam_role.lambda_role[0].arn
  runtime          = "python3.11"
  handler          = "handler.lambda_handler"
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)

  environment {
    variables = merge(var.extra_environment, {
      CONNECTIONS_TABLE    = aws_dynamodb_table.websocket_connections[0].name
      API_GATEWAY_ENDPOINT = var.api_gateway_endpoint
      BACKEND_URL          = var.backend_url
    })
  }

  tags = var.tags
}

resource "aws_lambda_permission" "apigw_invoke" {
  count = var.enabled ? 1 : 0

  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.websocket_proxy[0].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:aws:execute-api:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:${var.api_gateway_id}/*"
}

output "lambda_function_arn" {
  value = try(aws_lambda_function.websocket_proxy[0].arn, null)
}

output "lambda_function_name" {
  value = try(aws_lambda_function.websocket_proxy[0].function_name, null)
}

output "lambda_invoke_arn" {
  value = try(aws_lambda_function.websocket_proxy[0].invoke_arn, null)
}

output "dynamodb_table_name" {
  value = try(aws_dynamodb_table.websocket_connections[0].name, null)
}

output "dynamodb_table_arn" {
  value = try(aws_dynamodb_table.websocket_connections[0].arn, null)
}

output "lambda_role_arn" {
  value = try(aws_iam_role.lambda_role[0].arn, null)
}

output "lambda_role_name" {
  value = try(aws_iam_role.lambda_role[0].name, null)
}
