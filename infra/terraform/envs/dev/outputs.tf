# What the backend consumes, under the names it reads them as.

output "CONNECTIONS_TABLE" {
  description = "The backend's CONNECTIONS_TABLE: the DynamoDB connection table."
  value       = module.websocket_proxy.dynamodb_table_name
}

output "WEBSOCKET_API_ENDPOINT" {
  description = "The backend's WEBSOCKET_API_ENDPOINT: the @connections base URL, https://{api_id}.execute-api.{region}.amazonaws.com/{stage}."
  value       = module.websocket_proxy.connections_endpoint
}

# What clients and operators use.

output "websocket_url" {
  description = "URL clients connect to (wss://...)."
  value       = module.websocket_proxy.websocket_url
}

output "lambda_function_name" {
  description = "Name of the function."
  value       = module.websocket_proxy.lambda_function_name
}

output "lambda_source_code_hash" {
  description = "base64 SHA-256 of the deployed package; equals what `wsproxy package` printed for it."
  value       = module.websocket_proxy.lambda_source_code_hash
}

output "lambda_code_sha256" {
  description = "base64 SHA-256 of the code the function runs, as Lambda reports it: differs from lambda_source_code_hash after a `wsproxy deploy` outside Terraform (the next apply puts the package back)."
  value       = module.websocket_proxy.lambda_code_sha256
}

output "websocket_lambda_package_path" {
  description = "websocket_lambda_package as Terraform resolved it (absolute)."
  value       = local.websocket_lambda_package
}

output "dynamodb_table_arn" {
  description = "ARN of the connection table."
  value       = module.websocket_proxy.dynamodb_table_arn
}

output "api_id" {
  description = "Id of the WebSocket API."
  value       = module.websocket_proxy.api_id
}

# Aliases kept from the Python proxy's environment (docs/MIGRATING.md): scripts reading these
# with `terraform output -raw NAME` keep working after the migration.

output "websocket_api_endpoint" {
  description = "Alias of websocket_url, under the Python proxy's output name: the URL clients connect to (wss://{api_id}.execute-api.{region}.amazonaws.com/{stage})."
  value       = module.websocket_proxy.websocket_url
}

output "websocket_api_id" {
  description = "Alias of api_id, under the Python proxy's output name."
  value       = module.websocket_proxy.api_id
}

output "websocket_connections_table_name" {
  description = "Alias of CONNECTIONS_TABLE, under the Python proxy's output name: the connection table."
  value       = module.websocket_proxy.dynamodb_table_name
}

output "websocket_lambda_function_arn" {
  description = "Under the Python proxy's output name: the unqualified ARN of the function."
  value       = module.websocket_proxy.lambda_function_arn
}
