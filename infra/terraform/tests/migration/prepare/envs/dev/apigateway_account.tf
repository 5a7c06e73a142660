# Step 0 of docs/MIGRATING.md, only where `aws apigateway get-account` shows no
# cloudwatchRoleArn: API Gateway's CloudWatch Logs role, set in the account's settings before
# wsproxy's stage turns access logs on (without it, the cut-over's stage update fails with
# "CloudWatch Logs role ARN must be set in account settings to enable logging"). In the root,
# not in wsproxy's module: a rollback of the migration must not take it away. A setting of
# the whole account and region: keep it in one long-lived configuration.

resource "aws_iam_role" "apigateway_cloudwatch" {
  name = "${local.name}-apigateway-cloudwatch"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "apigateway.amazonaws.com" } }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "apigateway_cloudwatch" {
  role       = aws_iam_role.apigateway_cloudwatch.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch.arn

  depends_on = [aws_iam_role_policy_attachment.apigateway_cloudwatch]
}
