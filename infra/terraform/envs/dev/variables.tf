variable "aws_region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of this deployment: the function, API and role are named after it, the table is \"<name>-connections\" unless connections_table_name is set."
  type        = string
  default     = "wsproxy-dev"
}

variable "websocket_lambda_package" {
  description = "Path of bootstrap.zip made by `wsproxy package`. A relative path is relative to this folder (infra/terraform/envs/dev), wherever terraform is started from; the default is dist/bootstrap.zip at the repository's root. Absolute and ~/ paths are used as they are."
  type        = string
  default     = "../../../../dist/bootstrap.zip"
}

variable "backend_url" {
  description = "Base URL of the HTTP backend (the function's BACKEND_URL), e.g. https://api.example.com."
  type        = string
}

variable "backend_timeout_ms" {
  description = "Limit of one backend call, in milliseconds (BACKEND_TIMEOUT_MS)."
  type        = number
  default     = 3000
}

variable "lambda_memory_size" {
  description = "Memory of the function, in MB."
  type        = number
  default     = 128
}

variable "lambda_environment_variables" {
  description = "Further environment variables of the function, e.g. { RUST_LOG = \"debug\" }."
  type        = map(string)
  default     = {}
}

variable "stage_name" {
  description = "Stage of the WebSocket API (the last path segment of the wss:// URL)."
  type        = string
  default     = "dev"
}

variable "throttling_rate_limit" {
  description = "Stage default route throttling: requests per second."
  type        = number
  default     = 100
}

variable "throttling_burst_limit" {
  description = "Stage default route throttling: burst."
  type        = number
  default     = 50
}

variable "log_retention_in_days" {
  description = "Retention of the function's and the API's log groups, in days."
  type        = number
  default     = 14
}

variable "connections_table_name" {
  description = "Name of the connection table; null: \"<name>-connections\"."
  type        = string
  default     = null
}

variable "create_connections_table" {
  description = "true: the module creates the table connections_table_name. false: keep an existing table of that name (read, never changed; docs/MIGRATING.md)."
  type        = bool
  default     = true
}

# The names the module gives (null: derived from name), settable so that an adopted
# deployment keeps its own (docs/MIGRATING.md).

variable "api_name" {
  description = "Name of the WebSocket API; null: name. Not with existing_api_id."
  type        = string
  default     = null
}

variable "lambda_function_name" {
  description = "Name of the function; null: name."
  type        = string
  default     = null
}

variable "lambda_role_name" {
  description = "Name of the function's IAM role; null: \"<name>-lambda\"."
  type        = string
  default     = null
}

variable "existing_api_id" {
  description = "Attach to this existing WebSocket API (its id) instead of creating one; with existing_stage_name. null: the module creates the API and its stage (stage_name)."
  type        = string
  default     = null
}

variable "existing_stage_name" {
  description = "With existing_api_id: the existing stage clients connect to."
  type        = string
  default     = null
}

variable "create_apigateway_cloudwatch_role" {
  description = "Set the region's API Gateway CloudWatch Logs role (an account-wide setting). Needed once per account and region, when creating the stage fails with \"CloudWatch Logs role ARN must be set in account settings to enable logging\". `terraform destroy` deletes the role but leaves the account setting pointing at it, breaking API Gateway logging in the region: keep it in one long-lived configuration."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource (besides Project and Environment)."
  type        = map(string)
  default     = {}
}
