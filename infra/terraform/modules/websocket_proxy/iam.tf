################################################################################
# The function's role and its least-privilege policy
#
#   create_lambda_role = true               -> role "<name>-lambda" + inline policy (Options 1, 2)
#   create_lambda_role = false, role given  -> inline policy on existing_lambda_role_name
#   create_lambda_role = false, no role     -> nothing: IAM is the user's (Option 3)
################################################################################

locals {
  role_name = local.create_role ? try(aws_iam_role.this[0].name, null) : var.existing_lambda_role_name
  role_arn  = local.create_role ? try(aws_iam_role.this[0].arn, null) : try(data.aws_iam_role.existing[0].arn, null)

  # POST (push), GET (status) and DELETE (close) on this API's stage only.
  manage_connections_arns = [
    for method in ["POST", "GET", "DELETE"] :
    "${aws_apigatewayv2_api.this.execution_arn}/${var.stage_name}/${method}/@connections/*"
  ]
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

  name               = "${var.name}-lambda"
  description        = "wsproxy function (${var.name}): its connection table, this API's @connections, itself, its logs"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json

  tags = var.tags
}

data "aws_iam_role" "existing" {
  count = local.use_existing_role ? 1 : 0

  name = var.existing_lambda_role_name
}

# Rendered in every option: Option 3 gets it as the lambda_policy_json output.
data "aws_iam_policy_document" "this" {
  # Items: register, read, remove (BatchWriteItem deletes a connection's items). No Scan.
  statement {
    sid    = "ConnectionTableItems"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:Query",
    ]
    resources = [aws_dynamodb_table.this.arn]
  }

  # A connection's items are found by a Query on the connection_id index (contract 5).
  statement {
    sid       = "ConnectionTableIndex"
    effect    = "Allow"
    actions   = ["dynamodb:Query"]
    resources = ["${aws_dynamodb_table.this.arn}/index/connection_id-index"]
  }

  statement {
    sid       = "ConnectionTableDescribe"
    effect    = "Allow"
    actions   = ["dynamodb:DescribeTable"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "ManageConnections"
    effect    = "Allow"
    actions   = ["execute-api:ManageConnections"]
    resources = local.manage_connections_arns
  }

  # Post-connect delivery: the function invokes itself asynchronously at the end of $connect
  # (contract 2). The function only, unqualified, as the bootstrap calls it by name.
  statement {
    sid       = "InvokeSelf"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.function_arn]
  }

  # Its own log group. Option 1's group is Terraform's; an existing function may have to
  # create its group on first run.
  statement {
    sid       = "OwnLogs"
    effect    = "Allow"
    actions   = concat(["logs:CreateLogStream", "logs:PutLogEvents"], local.create_lambda ? [] : ["logs:CreateLogGroup"])
    resources = ["${local.function_log_arn}:*"]
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
