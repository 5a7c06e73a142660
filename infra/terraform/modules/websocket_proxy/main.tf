locals {
  # The three deployment options (README): which function, which role.
  create_lambda           = var.create_lambda                                                # Option 1
  use_existing_lambda     = !var.create_lambda                                               # Options 2 and 3
  create_role             = var.create_lambda_role                                           # a role made here
  use_existing_role       = !var.create_lambda_role && var.existing_lambda_role_name != null # policy on a given role
  create_role_policy      = local.create_role || local.use_existing_role                     # false: Option 3, IAM left to the user
  create_apigw_cloudwatch = var.create_apigateway_cloudwatch_role

  # The names the module gives, each settable (docs/MIGRATING.md keeps an old deployment's).
  api_name             = coalesce(var.api_name, var.name)
  lambda_function_name = coalesce(var.lambda_function_name, var.name)

  # The table: created here, or an existing one kept by name (create_connections_table = false).
  table_name = coalesce(var.connections_table_name, "${var.name}-connections")
  table      = try(aws_dynamodb_table.this[0], data.aws_dynamodb_table.existing[0])
  table_arn  = local.table.arn

  function_name = local.create_lambda ? local.lambda_function_name : var.existing_lambda_function_name

  # The API: created here, or an existing one attached by id (existing_api_id) with its stage.
  create_api        = var.existing_api_id == null
  api_id            = local.create_api ? one(aws_apigatewayv2_api.this[*].id) : var.existing_api_id
  api_endpoint      = one(concat(aws_apigatewayv2_api.this[*].api_endpoint, data.aws_apigatewayv2_api.existing[*].api_endpoint))
  api_execution_arn = one(concat(aws_apigatewayv2_api.this[*].execution_arn, data.aws_apigatewayv2_api.existing[*].execution_arn))
  stage_name        = local.create_api ? var.stage_name : var.existing_stage_name

  # Taken from the API's execution ARN (arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID; the API
  # created or read by id), so the module needs no other data source for them and the IAM
  # policy does not wait for the function.
  execution_arn_parts = split(":", local.api_execution_arn)
  partition           = local.execution_arn_parts[1]
  region              = local.execution_arn_parts[3]
  account_id          = local.execution_arn_parts[4]

  function_arn      = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  function_log_name = "/aws/lambda/${local.function_name}"
  function_log_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.function_log_name}"

  function_invoke_arn = try(aws_lambda_function.this[0].invoke_arn, data.aws_lambda_function.existing[0].invoke_arn)

  # https://{api_id}.execute-api.{region}.amazonaws.com/{stage}: the @connections base URL
  # (contract section 1, API_GATEWAY_ENDPOINT), built from the API's endpoint and the stage
  # name, so the function does not wait for the stage.
  connections_endpoint = "${replace(local.api_endpoint, "wss://", "https://")}/${local.stage_name}"
  # wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}: what clients connect to.
  websocket_url = "${local.api_endpoint}/${local.stage_name}"

  routes = toset(["$connect", "$disconnect", "$default"])
}

################################################################################
# DynamoDB: the connection table (contract section 5)
################################################################################

resource "aws_dynamodb_table" "this" {
  count = var.create_connections_table ? 1 : 0

  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "booking_id"
  range_key    = "connection_id"

  deletion_protection_enabled = var.table_deletion_protection

  attribute {
    name = "booking_id"
    type = "S"
  }

  attribute {
    name = "connection_id"
    type = "S"
  }

  # Finding a connection's items is a Query on this index, never a Scan of the table.
  global_secondary_index {
    name            = "connection_id-index"
    hash_key        = "connection_id"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

# Before create_connections_table, the table had no count.
moved {
  from = aws_dynamodb_table.this
  to   = aws_dynamodb_table.this[0]
}

# An existing table kept by name (create_connections_table = false): read, never changed.
data "aws_dynamodb_table" "existing" {
  count = var.create_connections_table ? 0 : 1

  name = local.table_name
}

################################################################################
# API Gateway v2 WebSocket API
################################################################################

resource "aws_apigatewayv2_api" "this" {
  count = local.create_api ? 1 : 0

  name                       = local.api_name
  description                = "wsproxy WebSocket API (${var.name})"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"

  tags = var.tags
}

# An existing WebSocket API (existing_api_id): read, never changed; its stage is existing_stage_name.
data "aws_apigatewayv2_api" "existing" {
  count = local.create_api ? 0 : 1

  api_id = var.existing_api_id

  lifecycle {
    postcondition {
      condition     = self.protocol_type == "WEBSOCKET"
      error_message = "existing_api_id ${var.existing_api_id} is an ${self.protocol_type} API (\"${self.name}\"): wsproxy needs a WebSocket API. Give a WebSocket API's id, or leave existing_api_id unset to let the module create one."
    }
  }
}

# Before existing_api_id, the API, its stage and its access log group had no count.
moved {
  from = aws_apigatewayv2_api.this
  to   = aws_apigatewayv2_api.this[0]
}

moved {
  from = aws_apigatewayv2_stage.this
  to   = aws_apigatewayv2_stage.this[0]
}

moved {
  from = aws_cloudwatch_log_group.access
  to   = aws_cloudwatch_log_group.access[0]
}

resource "aws_apigatewayv2_integration" "this" {
  api_id             = local.api_id
  integration_type   = "AWS_PROXY"
  integration_method = "POST"
  # The function's unqualified invoke ARN: API Gateway calls $LATEST (Option 1) or whatever the
  # existing function's unqualified name runs (Options 2 and 3).
  integration_uri = local.function_invoke_arn
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.routes

  api_id    = local.api_id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.this.id}"

  # Clients authenticate with the `token` query parameter, which the proxy forwards to the
  # backend before it accepts a `$connect` (contract sections 2 and 7.1).
  #checkov:skip=CKV_AWS_309:clients are authenticated by the backend, which gets the token at $connect and refuses the upgrade (contract 2, 7.1); an API Gateway authorizer would duplicate that check
  authorization_type = "NONE"
}

# The stage's access logs: only with a stage made here (an existing stage keeps its own).
resource "aws_cloudwatch_log_group" "access" {
  count = local.create_api ? 1 : 0

  #checkov:skip=CKV_AWS_338:retention is the log_retention_in_days input (default 14 days, for a dev stage); set 365 or more where an audit trail must be kept
  name              = "/aws/apigateway/${var.name}/${var.stage_name}/access"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  count = local.create_api ? 1 : 0

  #checkov:skip=CKV2_AWS_51:a stage's client certificate authenticates API Gateway to HTTP integrations; this API's only integration is Lambda proxy, and browsers connecting to wss:// present no client certificate
  api_id      = aws_apigatewayv2_api.this[0].id
  name        = var.stage_name
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    # Execution logs would carry message bodies, and with them tokens (contract 7.5).
    data_trace_enabled = false
  }

  # One JSON line per connect, message and disconnect. No query string, header or body:
  # the token travels in the query string and is never logged (contract 7.5).
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[0].arn
    format = jsonencode({
      requestId            = "$context.requestId"
      requestTime          = "$context.requestTime"
      requestTimeEpoch     = "$context.requestTimeEpoch"
      connectionId         = "$context.connectionId"
      connectedAt          = "$context.connectedAt"
      eventType            = "$context.eventType"
      routeKey             = "$context.routeKey"
      stage                = "$context.stage"
      status               = "$context.status"
      sourceIp             = "$context.identity.sourceIp"
      userAgent            = "$context.identity.userAgent"
      integrationRequestId = "$context.integration.requestId"
      integrationStatus    = "$context.integration.status"
      integrationLatency   = "$context.integration.latency"
      integrationError     = "$context.integration.error"
      errorMessage         = "$context.error.message"
      errorResponseType    = "$context.error.responseType"
    })
  }

  tags = var.tags

  # The account's CloudWatch Logs role must be set before a stage with access logging.
  depends_on = [aws_api_gateway_account.this]
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowExecutionFromApiGateway-${local.api_id}"
  action        = "lambda:InvokeFunction"
  function_name = try(aws_lambda_function.this[0].function_name, data.aws_lambda_function.existing[0].function_name)
  principal     = "apigateway.amazonaws.com"
  # Only this API's stage, any route: arn:...:execute-api:REGION:ACCOUNT:API_ID/STAGE/ROUTE_KEY
  source_arn = "${local.api_execution_arn}/${local.stage_name}/*"
}

################################################################################
# API Gateway account settings (optional; see create_apigateway_cloudwatch_role)
################################################################################

resource "aws_api_gateway_account" "this" {
  count = local.create_apigw_cloudwatch ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.apigateway_cloudwatch]
}

################################################################################
# Lambda: Option 1 creates the function, Options 2 and 3 read the existing one
################################################################################

resource "aws_cloudwatch_log_group" "lambda" {
  count = local.create_lambda ? 1 : 0

  #checkov:skip=CKV_AWS_338:retention is the log_retention_in_days input (default 14 days, for a dev stage); set 365 or more where an audit trail must be kept

  name              = local.function_log_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  count = local.create_lambda ? 1 : 0

  #checkov:skip=CKV_AWS_50:no X-Ray: the bootstrap emits no trace segments; API Gateway access logs and the function's logs cover each request
  #checkov:skip=CKV_AWS_115:no reserved concurrency: it would cap live connections' message handling and take from the account's pool; the stage's throttling (throttling_rate_limit, throttling_burst_limit) limits load instead
  #checkov:skip=CKV_AWS_116:no dead-letter queue: API Gateway invokes synchronously, and the only asynchronous call (post-connect delivery to a socket) is worthless once late
  #checkov:skip=CKV_AWS_117:not in a VPC: the function reaches DynamoDB, API Gateway and the backend URL over AWS endpoints and the internet; a VPC would need NAT or endpoints for the same
  #checkov:skip=CKV_AWS_272:no code signing: the package is the reproducible zip from `wsproxy package`, its hash pinned by source_code_hash

  function_name = local.lambda_function_name
  description   = "wsproxy WebSocket proxy (${var.name})"
  role          = local.role_arn
  # The package: a local file (lambda_package) or an S3 object (lambda_s3_*), never both.
  filename          = var.lambda_package
  s3_bucket         = var.lambda_s3_bucket
  s3_key            = var.lambda_s3_key
  s3_object_version = var.lambda_s3_object_version
  source_code_hash  = var.lambda_package != null ? filebase64sha256(var.lambda_package) : var.lambda_s3_source_code_hash
  package_type      = "Zip"
  runtime           = "provided.al2023"
  handler           = "bootstrap"
  architectures     = ["x86_64"]
  memory_size       = var.lambda_memory_size
  timeout           = var.lambda_timeout
  kms_key_arn       = var.kms_key_arn

  environment {
    variables = merge(var.lambda_environment_variables, {
      BACKEND_URL          = var.backend_url
      CONNECTIONS_TABLE    = local.table.name
      API_GATEWAY_ENDPOINT = local.connections_endpoint
      BACKEND_TIMEOUT_MS   = tostring(var.backend_timeout_ms)
    })
  }

  tags = var.tags

  # The log group is Terraform's (retention), not created on first run; the policy is in
  # place before the first invocation.
  depends_on = [
    aws_cloudwatch_log_group.lambda,
    aws_iam_role_policy.this,
  ]
}

# The post-connect delivery is the function's only asynchronous invocation of itself; a
# retry would deliver the initial payloads late or twice, so there is none. In every option:
# an existing function's default is 2 retries.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = try(aws_lambda_function.this[0].function_name, data.aws_lambda_function.existing[0].function_name)
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 60
}

data "aws_lambda_function" "existing" {
  count = local.use_existing_lambda ? 1 : 0

  function_name = var.existing_lambda_function_name
}
