################################################################################
# API Gateway
################################################################################

output "websocket_url" {
  description = "URL clients connect to: wss://{api_id}.execute-api.{region}.amazonaws.com/{stage} (the stage made here, or existing_api_id's existing_stage_name)."
  value       = local.create_api ? one(aws_apigatewayv2_stage.this[*].invoke_url) : local.websocket_url
}

output "connections_endpoint" {
  description = "Base URL of the @connections API (https://{api_id}.execute-api.{region}.amazonaws.com/{stage}): the function's API_GATEWAY_ENDPOINT and the backend's WEBSOCKET_API_ENDPOINT."
  value       = local.connections_endpoint
}

output "api_id" {
  description = "Id of the WebSocket API: the one created, or existing_api_id."
  value       = local.api_id
}

output "api_execution_arn" {
  description = "Execution ARN of the WebSocket API (arn:aws:execute-api:REGION:ACCOUNT:API_ID); IAM for @connections is granted on \"<this>/<stage>/POST/@connections/*\"."
  value       = local.api_execution_arn
}

output "stage_name" {
  description = "Name of the stage: the one created (stage_name), or existing_stage_name."
  value       = local.create_api ? one(aws_apigatewayv2_stage.this[*].name) : local.stage_name
}

output "access_log_group_name" {
  description = "CloudWatch log group of the stage's access logs; null with existing_api_id (the module makes no stage then)."
  value       = one(aws_cloudwatch_log_group.access[*].name)
}

################################################################################
# DynamoDB
################################################################################

output "dynamodb_table_name" {
  description = "Name of the connection table: the function's and the backend's CONNECTIONS_TABLE."
  value       = local.table.name
}

output "dynamodb_table_arn" {
  description = "ARN of the connection table."
  value       = local.table_arn
}

################################################################################
# Lambda
################################################################################

output "lambda_function_name" {
  description = "Name of the function: the one created (Option 1) or the existing one wired in (Options 2 and 3)."
  value       = try(aws_lambda_function.this[0].function_name, data.aws_lambda_function.existing[0].function_name, null)
}

output "lambda_function_arn" {
  description = "Unqualified ARN of the function."
  value       = try(aws_lambda_function.this[0].arn, data.aws_lambda_function.existing[0].arn, null)
}

output "lambda_invoke_arn" {
  description = "Alias kept from the Python proxy's module (docs/MIGRATING.md): the function's unqualified invoke ARN, the integration's URI."
  value       = local.function_invoke_arn
}

output "lambda_source_code_hash" {
  description = "Option 1: base64 SHA-256 of the package Terraform deploys (of the lambda_package file, the same as `wsproxy package` prints, or lambda_s3_source_code_hash); see lambda_code_sha256 for what the function runs. null otherwise."
  value       = try(aws_lambda_function.this[0].source_code_hash, null)
}

output "lambda_code_sha256" {
  description = "base64 SHA-256 of the code the function runs, as Lambda reports it (in every option). With Option 1 it equals lambda_source_code_hash until someone deploys other code outside Terraform (e.g. `wsproxy deploy`): then it differs, and the next `terraform apply` puts lambda_package back."
  value       = try(aws_lambda_function.this[0].code_sha256, data.aws_lambda_function.existing[0].code_sha256, null)
}

output "lambda_log_group_name" {
  description = "Option 1: the function's CloudWatch log group (with retention). null otherwise."
  value       = try(aws_cloudwatch_log_group.lambda[0].name, null)
}

################################################################################
# IAM
################################################################################

output "lambda_role_arn" {
  description = "ARN of the role carrying the module's policy: the role created (create_lambda_role = true, Option 1) or existing_lambda_role_name's. null when IAM is left to you (Option 3)."
  value       = local.role_arn
}

output "lambda_role_name" {
  description = "Name of the role carrying the module's policy, or null when IAM is left to you (Option 3)."
  value       = local.role_name
}

output "lambda_policy_json" {
  description = "The least-privilege policy the function needs, as JSON, in every option. With Option 3 (IAM left to you) attach it, or an equivalent, to the function's role yourself."
  value       = data.aws_iam_policy_document.this.json
}

################################################################################
# Alarms and dashboard
################################################################################

output "alarm_names" {
  description = "Names of the CloudWatch alarms (empty with create_alarms = false)."
  value       = sort(concat([for a in aws_cloudwatch_metric_alarm.aws : a.alarm_name], [for a in aws_cloudwatch_metric_alarm.summed : a.alarm_name]))
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (null with create_dashboard = false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}
