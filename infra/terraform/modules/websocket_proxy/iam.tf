################################################################################
# The function's role and its least-privilege policy
#
#   create_lambda_role = true               -> role "<name>-lambda" + inline policy (Option 1)
#   create_lambda_role = false, role given  -> inline policy on existing_lambda_role_name
#                                              (Option 1, or Option 2: the function's own role)
#   create_lambda_role = false, no role     -> nothing: IAM is the user's (Option 3)
################################################################################

locals {
  role_name = local.create_role ? try(aws_iam_role.this[0].name, null) : var.existing_lambda_role_name
  role_arn  = local.create_role ? try(aws_iam_role.this[0].arn, null) : try(data.aws_iam_role.existing[0].arn, null)

  # POST (push) on this API's stage only.
  manage_connections_arn = "${local.api_execution_arn}/${local.stage_name}/POST/@connections/*"

  # Option 2: the role the existing function runs with (its ARN may hold a path:
  # arn:aws:iam::ACCOUNT:role/service-role/NAME).
  existing_function_role_name = try(reverse(split("/", data.aws_lambda_function.existing[0].role))[0], null)
}

data "aws_iam_policy_document" "assume" {
  count = local.create_role ? 1 : 0

  statement {
    sid     = "LambdaAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count = local.create_role ? 1 : 0

  name               = coalesce(var.lambda_role_name, "${var.name}-lambda")
  description        = "wsproxy function (${var.name}): its connection table, this API's @connections, itself, its logs"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json

  tags = var.tags
}

data "aws_iam_role" "existing" {
  count = local.use_existing_role ? 1 : 0

  name = var.existing_lambda_role_name
}

# Rendered in every option: Option 3 gets it as the lambda_policy_json output. Exactly the
# calls the function makes, as listed in function_calls.json (tests/iam.tftest.hcl checks the
# two agree, scripts/check-infra.sh that the list matches the Rust code). Table
# administration (DescribeTable, CreateTable, UpdateTimeToLive) is `wsproxy table`'s and
# `wsproxy doctor`'s, run with the operator's credentials, not the function's.
data "aws_iam_policy_document" "this" {
  # Register a connection, read a booking's connections, delete a connection's items
  # (BatchWriteItem). No GetItem, DeleteItem or Scan: the code makes none of them.
  statement {
    sid    = "ConnectionTableItems"
    effect = "Allow"
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
    ]
    resources = [local.table_arn]
  }

  # A connection's items are found by a Query on the connection_id index (contract 5).
  statement {
    sid       = "ConnectionTableIndex"
    effect    = "Allow"
    actions   = ["dynamodb:Query"]
    resources = ["${local.table_arn}/index/connection_id-index"]
  }

  # PostToConnection only: the function never reads (GET) or closes (DELETE) a connection.
  statement {
    sid       = "ManageConnections"
    effect    = "Allow"
    actions   = ["execute-api:ManageConnections"]
    resources = [local.manage_connections_arn]
  }

  # Post-connect delivery: the function invokes itself asynchronously at the end of $connect
  # (contract 2). The function only, unqualified, as the bootstrap calls it by name.
  statement {
    sid       = "InvokeSelf"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.function_arn]
  }

  # Its own log streams (written by the Lambda runtime).
  statement {
    sid       = "OwnLogStreams"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.function_log_arn}:*"]
  }

  # An existing function may have to create its log group on first run (Option 1's group is
  # Terraform's). CreateLogGroup is checked against the group's ARN without ":*".
  dynamic "statement" {
    for_each = local.create_lambda ? [] : [local.function_log_arn]

    content {
      sid       = "OwnLogGroup"
      effect    = "Allow"
      actions   = ["logs:CreateLogGroup"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "CustomerKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  count = local.create_role_policy ? 1 : 0

  name   = "${var.name}-wsproxy"
  role   = local.role_name
  policy = data.aws_iam_policy_document.this.json

  lifecycle {
    # Option 2: a policy on a role the function does not run with gives the function nothing.
    precondition {
      condition     = local.create_lambda || local.role_name == local.existing_function_role_name
      error_message = "existing_lambda_role_name is \"${coalesce(local.role_name, "<null>")}\", but the function ${coalesce(var.existing_lambda_function_name, "<null>")} runs with the role \"${coalesce(local.existing_function_role_name, "<unknown>")}\": set existing_lambda_role_name to the function's role, or give the function that role."
    }
  }
}

################################################################################
# API Gateway's CloudWatch Logs role (optional; see create_apigateway_cloudwatch_role)
################################################################################

data "aws_iam_policy_document" "apigateway_assume" {
  count = local.create_apigw_cloudwatch ? 1 : 0

  statement {
    sid     = "ApiGatewayAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "apigateway_cloudwatch" {
  count = local.create_apigw_cloudwatch ? 1 : 0

  name               = "${var.name}-apigw-logs"
  description        = "Lets API Gateway write access and execution logs to CloudWatch Logs (account setting)"
  assume_role_policy = data.aws_iam_policy_document.apigateway_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "apigateway_cloudwatch" {
  count = local.create_apigw_cloudwatch ? 1 : 0

  role       = aws_iam_role.apigateway_cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}
