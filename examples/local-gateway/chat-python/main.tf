# A WebSocket chat: $connect behind a token authorizer stores the connection in DynamoDB,
# sendmessage posts to every connection through the @connections API, echo answers the
# sender (a two-way route), $disconnect forgets the connection. Python.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "table_name" {
  description = "The DynamoDB table of open connections."
  type        = string
  default     = "chat-python-connections"
}

variable "chat_token" {
  description = "The token clients pass as ?token= to connect (change it when deploying)."
  type        = string
  sensitive   = true
  default     = "let-me-in"
}

data "archive_file" "functions" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/functions.zip"
}

resource "aws_dynamodb_table" "connections" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "connectionId"

  attribute {
    name = "connectionId"
    type = "S"
  }
}

# ---- functions ----

resource "aws_iam_role" "functions" {
  name = "chat-python-functions"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.functions.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "chat" {
  name = "chat"
  role = aws_iam_role.functions.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan"]
        Resource = aws_dynamodb_table.connections.arn
      },
      {
        Effect   = "Allow"
        Action   = "execute-api:ManageConnections"
        Resource = "${aws_apigatewayv2_api.chat.execution_arn}/*"
      },
    ]
  })
}

resource "aws_lambda_function" "authorizer" {
  function_name    = "chat-python-authorizer"
  role             = aws_iam_role.functions.arn
  filename         = data.archive_file.functions.output_path
  source_code_hash = data.archive_file.functions.output_base64sha256
  handler          = "authorizer.handler"
  runtime          = "python3.12"
  timeout          = 10

  environment {
    variables = {
      CHAT_TOKEN = var.chat_token
    }
  }
}

resource "aws_lambda_function" "connect" {
  function_name    = "chat-python-connect"
  role             = aws_iam_role.functions.arn
  filename         = data.archive_file.functions.output_path
  source_code_hash = data.archive_file.functions.output_base64sha256
  handler          = "connect.handler"
  runtime          = "python3.12"
  timeout          = 10

  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.connections.name
    }
  }
}

resource "aws_lambda_function" "disconnect" {
  function_name    = "chat-python-disconnect"
  role             = aws_iam_role.functions.arn
  filename         = data.archive_file.functions.output_path
  source_code_hash = data.archive_file.functions.output_base64sha256
  handler          = "disconnect.handler"
  runtime          = "python3.12"
  timeout          = 10

  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.connections.name
    }
  }
}

resource "aws_lambda_function" "sendmessage" {
  function_name    = "chat-python-sendmessage"
  role             = aws_iam_role.functions.arn
  filename         = data.archive_file.functions.output_path
  source_code_hash = data.archive_file.functions.output_base64sha256
  handler          = "sendmessage.handler"
  runtime          = "python3.12"
  timeout          = 10

  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.connections.name
    }
  }
}

resource "aws_lambda_function" "echo" {
  function_name    = "chat-python-echo"
  role             = aws_iam_role.functions.arn
  filename         = data.archive_file.functions.output_path
  source_code_hash = data.archive_file.functions.output_base64sha256
  handler          = "echo.handler"
  runtime          = "python3.12"
  timeout          = 10
}

# ---- the WebSocket API ----

resource "aws_apigatewayv2_api" "chat" {
  name                       = "chat-python"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

resource "aws_apigatewayv2_authorizer" "token" {
  name             = "chat-token"
  api_id           = aws_apigatewayv2_api.chat.id
  authorizer_type  = "REQUEST"
  authorizer_uri   = aws_lambda_function.authorizer.invoke_arn
  identity_sources = ["route.request.querystring.token"]
}

resource "aws_apigatewayv2_integration" "connect" {
  api_id           = aws_apigatewayv2_api.chat.id
  integration_type = "AWS_PROXY"
  integration_uri  = aws_lambda_function.connect.invoke_arn
}

resource "aws_apigatewayv2_route" "connect" {
  api_id             = aws_apigatewayv2_api.chat.id
  route_key          = "$connect"
  authorization_type = "CUSTOM"
  authorizer_id      = aws_apigatewayv2_authorizer.token.id
  target             = "integrations/${aws_apigatewayv2_integration.connect.id}"
}

resource "aws_apigatewayv2_integration" "disconnect" {
  api_id           = aws_apigatewayv2_api.chat.id
  integration_type = "AWS_PROXY"
  integration_uri  = aws_lambda_function.disconnect.invoke_arn
}

resource "aws_apigatewayv2_route" "disconnect" {
  api_id    = aws_apigatewayv2_api.chat.id
  route_key = "$disconnect"
  target    = "integrations/${aws_apigatewayv2_integration.disconnect.id}"
}

resource "aws_apigatewayv2_integration" "sendmessage" {
  api_id           = aws_apigatewayv2_api.chat.id
  integration_type = "AWS_PROXY"
  integration_uri  = aws_lambda_function.sendmessage.invoke_arn
}

resource "aws_apigatewayv2_route" "sendmessage" {
  api_id    = aws_apigatewayv2_api.chat.id
  route_key = "sendmessage"
  target    = "integrations/${aws_apigatewayv2_integration.sendmessage.id}"
}

resource "aws_apigatewayv2_integration" "echo" {
  api_id           = aws_apigatewayv2_api.chat.id
  integration_type = "AWS_PROXY"
  integration_uri  = aws_lambda_function.echo.invoke_arn
}

resource "aws_apigatewayv2_route" "echo" {
  api_id                              = aws_apigatewayv2_api.chat.id
  route_key                           = "echo"
  route_response_selection_expression = "$default"
  target                              = "integrations/${aws_apigatewayv2_integration.echo.id}"
}

resource "aws_apigatewayv2_route_response" "echo" {
  api_id             = aws_apigatewayv2_api.chat.id
  route_id           = aws_apigatewayv2_route.echo.id
  route_response_key = "$default"
}

resource "aws_apigatewayv2_stage" "dev" {
  api_id      = aws_apigatewayv2_api.chat.id
  name        = "dev"
  auto_deploy = true
}

resource "aws_lambda_permission" "api" {
  for_each = {
    authorizer  = aws_lambda_function.authorizer.function_name
    connect     = aws_lambda_function.connect.function_name
    disconnect  = aws_lambda_function.disconnect.function_name
    sendmessage = aws_lambda_function.sendmessage.function_name
    echo        = aws_lambda_function.echo.function_name
  }
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = each.value
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.chat.execution_arn}/*"
}

output "websocket_url" {
  description = "The URL clients connect to (add ?token=...&user=...)."
  value       = aws_apigatewayv2_stage.dev.invoke_url
}
