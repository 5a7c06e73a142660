################################################################################
# Naming
################################################################################

variable "name" {
  description = "Name of the deployment, used for the API, the function (Option 1), the IAM role and policies, and the default table name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,48}$", var.name))
    error_message = "name must be 1 to 48 letters, digits, '-' or '_' (it names a Lambda function and an IAM role \"<name>-lambda\", both limited to 64 characters)."
  }
}

# Every name the module gives can be set, so a deployment adopted from another configuration
# (docs/MIGRATING.md) keeps its names. null: derived from name.

variable "api_name" {
  description = "Name of the WebSocket API. null: name. Adopting an existing API (docs/MIGRATING.md), give its name, or the plan renames it (in place: its id and URL stay). Not with existing_api_id (the module creates no API then)."
  type        = string
  default     = null

  validation {
    condition     = var.api_name == null ? true : length(var.api_name) >= 1 && length(var.api_name) <= 128
    error_message = "api_name must be 1 to 128 characters."
  }
  validation {
    condition     = var.api_name == null || var.existing_api_id == null
    error_message = "api_name names the API the module creates; with existing_api_id the module creates none and leaves the existing API's name as it is: remove api_name."
  }
}

variable "lambda_function_name" {
  description = "Option 1: name of the function the module creates. null: name. Migrating (docs/MIGRATING.md), give a name other than the old function's, so the new one is deployed beside it."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_function_name == null ? true : can(regex("^[A-Za-z0-9_-]{1,64}$", var.lambda_function_name))
    error_message = "lambda_function_name must be 1 to 64 letters, digits, '-' or '_'."
  }
}

variable "lambda_role_name" {
  description = "Name of the IAM role the module creates (create_lambda_role = true). null: \"<name>-lambda\"."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_role_name == null ? true : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.lambda_role_name))
    error_message = "lambda_role_name must be an IAM role name: 1 to 64 letters, digits or +=,.@_-."
  }
}

variable "tags" {
  description = "Tags added to every resource the module creates."
  type        = map(string)
  default     = {}
}

################################################################################
# Deployment option: which function, which role
################################################################################

variable "create_lambda" {
  description = "Option 1 (true, default): the module creates the function from lambda_package. Options 2 and 3 (false): the module wires in the existing function named by existing_lambda_function_name."
  type        = bool
  default     = true
}

variable "lambda_package" {
  description = "Option 1 only, or the lambda_s3_* inputs instead: path of bootstrap.zip made by `wsproxy package`. A relative path is resolved against the directory Terraform runs in (after any -chdir), not this module's folder: pass an absolute path, e.g. abspath(\"$${path.module}/RELATIVE/PATH/bootstrap.zip\") in the calling configuration. Its filebase64sha256() is the function's source_code_hash, so the code is uploaded again exactly when the zip changes."
  type        = string
  default     = null

  validation {
    condition     = var.create_lambda || var.lambda_package == null
    error_message = "lambda_package is only used when create_lambda = true (Option 1). With an existing function (create_lambda = false), remove it: the module does not change that function's code (`wsproxy deploy --function-name NAME --package ZIP` updates it)."
  }
  validation {
    condition     = !var.create_lambda || var.lambda_package != null || var.lambda_s3_bucket != null
    error_message = "Option 1 (create_lambda = true) needs the package: lambda_package, the path of bootstrap.zip made by `wsproxy package`, or lambda_s3_bucket and lambda_s3_key where `wsproxy package --upload s3://BUCKET/KEY` put it. To wire in an existing function instead, set create_lambda = false and existing_lambda_function_name."
  }
  validation {
    condition     = var.lambda_package == null || var.lambda_s3_bucket == null
    error_message = "Give the package one way: lambda_package (a local file) or lambda_s3_bucket/lambda_s3_key (an S3 object), not both."
  }
  validation {
    condition     = var.lambda_package == null ? true : endswith(var.lambda_package, ".zip")
    error_message = "lambda_package must be the .zip made by `wsproxy package` (got \"${coalesce(var.lambda_package, "<null>")}\"), not the bootstrap binary or a folder."
  }
  validation {
    condition     = var.lambda_package == null ? true : try(fileexists(var.lambda_package), false)
    error_message = "lambda_package: no file at ${abspath(coalesce(var.lambda_package, "."))} (given as \"${coalesce(var.lambda_package, "<null>")}\"; a relative path is resolved against the directory terraform runs in). Build it with `wsproxy package`, or fix the path; `wsproxy doctor --env DIR` shows how the path resolves."
  }
}

variable "lambda_s3_bucket" {
  description = "Option 1, instead of lambda_package: the S3 bucket holding bootstrap.zip (`wsproxy package --upload s3://BUCKET/KEY` puts it there and prints the values to set). In the function's region. With lambda_s3_key, and preferably lambda_s3_object_version."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_s3_bucket == null || var.create_lambda
    error_message = "lambda_s3_bucket is only used when create_lambda = true (Option 1): the module does not change an existing function's code (`wsproxy deploy` does)."
  }
  validation {
    condition     = (var.lambda_s3_bucket == null) == (var.lambda_s3_key == null)
    error_message = "lambda_s3_bucket and lambda_s3_key go together: the bucket and the key of bootstrap.zip (s3://BUCKET/KEY)."
  }
  validation {
    condition     = var.lambda_s3_bucket == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lambda_s3_bucket))
    error_message = "lambda_s3_bucket must be a bucket name (3 to 63 lowercase letters, digits, '.' or '-'), not an s3:// URL or an ARN: for s3://my-bucket/wsproxy/bootstrap.zip give \"my-bucket\" and lambda_s3_key = \"wsproxy/bootstrap.zip\"."
  }
}

variable "lambda_s3_key" {
  description = "Option 1, with lambda_s3_bucket: the key of bootstrap.zip in that bucket, e.g. \"wsproxy/bootstrap.zip\"."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_s3_key == null ? true : length(var.lambda_s3_key) > 0 && !startswith(var.lambda_s3_key, "/") && !startswith(var.lambda_s3_key, "s3://")
    error_message = "lambda_s3_key must be the object's key without a leading '/' or s3://BUCKET/: for s3://my-bucket/wsproxy/bootstrap.zip give \"wsproxy/bootstrap.zip\"."
  }
}

variable "lambda_s3_object_version" {
  description = "Option 1, with lambda_s3_bucket: the version of the S3 object (a versioned bucket). Setting the version `wsproxy package --upload` printed makes a new upload a visible change in the plan, and the deployment reproducible."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_s3_object_version == null || var.lambda_s3_bucket != null
    error_message = "lambda_s3_object_version is only used with lambda_s3_bucket and lambda_s3_key."
  }
}

variable "lambda_s3_source_code_hash" {
  description = "Option 1, with lambda_s3_bucket: base64 SHA-256 of the S3 object (as `wsproxy package --upload` prints it), the function's source_code_hash. Optional; given, a code change shows in the plan even without a new object version."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_s3_source_code_hash == null || var.lambda_s3_bucket != null
    error_message = "lambda_s3_source_code_hash is only used with lambda_s3_bucket and lambda_s3_key (a local lambda_package's hash is computed from the file)."
  }
  validation {
    condition     = var.lambda_s3_source_code_hash == null ? true : can(regex("^[A-Za-z0-9+/]{43}=$", var.lambda_s3_source_code_hash))
    error_message = "lambda_s3_source_code_hash must be a base64 SHA-256 (44 characters ending in '='), as `wsproxy package` prints it, not a hex digest."
  }
}

variable "existing_lambda_function_name" {
  description = "Options 2 and 3 only (create_lambda = false): name of the existing function running wsproxy's bootstrap. The module reads it with a data source, points the routes at it and lets API Gateway invoke it; it does not change its code, role or environment."
  type        = string
  default     = null

  validation {
    condition     = var.create_lambda || var.existing_lambda_function_name != null
    error_message = "existing_lambda_function_name is required when create_lambda = false (Options 2 and 3): the name of the function to wire in."
  }
  validation {
    condition     = !var.create_lambda || var.existing_lambda_function_name == null
    error_message = "existing_lambda_function_name is only used when create_lambda = false. With create_lambda = true (Option 1) the module creates the function \"<name>\" itself; if a function of that name already exists, either import it (terraform import) or set create_lambda = false to wire it in."
  }
  validation {
    condition     = var.existing_lambda_function_name == null ? true : can(regex("^[A-Za-z0-9_-]{1,64}$", var.existing_lambda_function_name))
    error_message = "existing_lambda_function_name must be a function name (1 to 64 letters, digits, '-' or '_'), not an ARN or a qualified name."
  }
}

variable "create_lambda_role" {
  description = "Option 1 only: true (default) creates the IAM role \"<name>-lambda\" with the least-privilege policy, which the function runs with. false: create no role; the policy is attached to existing_lambda_role_name (required with Option 1). With an existing function (create_lambda = false) set it to false: Option 2 gives existing_lambda_role_name (the function's own role, checked against the function), Option 3 leaves IAM entirely to you."
  type        = bool
  default     = true

  validation {
    condition     = var.create_lambda || !var.create_lambda_role
    error_message = "create_lambda_role = true with an existing function (create_lambda = false) would create a role the function does not use, while its own role gets no rights on the table. Set create_lambda_role = false and existing_lambda_role_name = the function's role name (Option 2; `aws lambda get-function-configuration --function-name NAME --query Role` shows it), or create_lambda_role = false alone to manage IAM yourself (Option 3, the policy is in the lambda_policy_json output)."
  }
}

variable "existing_lambda_role_name" {
  description = "Only with create_lambda_role = false: name of an existing role to which the module attaches its least-privilege policy as an inline policy. With create_lambda = true the function runs with this role. Option 2 (create_lambda = false): the existing function's own role; the plan fails if the function runs with another. Leave null (with create_lambda = false) to manage IAM entirely yourself (Option 3)."
  type        = string
  default     = null

  validation {
    condition     = !(var.create_lambda_role && var.existing_lambda_role_name != null)
    error_message = "existing_lambda_role_name is only used when create_lambda_role = false: either let the module create the role (create_lambda_role = true) or give the existing role (create_lambda_role = false), not both."
  }
  validation {
    condition     = var.create_lambda_role || !var.create_lambda || var.existing_lambda_role_name != null
    error_message = "A function created by the module (create_lambda = true) needs a role: keep create_lambda_role = true, or give existing_lambda_role_name. Leaving IAM entirely to you (no role at all) is only possible with an existing function (create_lambda = false, Option 3)."
  }
  validation {
    condition     = var.existing_lambda_role_name == null ? true : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.existing_lambda_role_name))
    error_message = "existing_lambda_role_name must be a role name (up to 64 characters), not an ARN: for arn:aws:iam::123456789012:role/my-role give \"my-role\"."
  }
}

################################################################################
# The function (Option 1)
################################################################################

variable "backend_url" {
  description = "Option 1 only: base URL of the HTTP backend (the function's BACKEND_URL), e.g. https://api.example.com. Required when create_lambda = true; with an existing function set BACKEND_URL on that function yourself."
  type        = string
  default     = null

  validation {
    condition     = !var.create_lambda || var.backend_url != null
    error_message = "backend_url is required when create_lambda = true: the base URL of the HTTP backend, e.g. https://api.example.com (the function refuses to start without BACKEND_URL)."
  }
  validation {
    condition     = var.create_lambda || var.backend_url == null
    error_message = "backend_url is only used when create_lambda = true: the module does not change an existing function's environment. Remove it and set BACKEND_URL on the existing function."
  }
  validation {
    condition     = var.backend_url == null ? true : can(regex("^https?://[^/?#\\s]+", var.backend_url))
    error_message = "backend_url must start with http:// or https:// followed by a host, e.g. https://api.example.com."
  }
}

variable "backend_timeout_ms" {
  description = "Option 1: limit of one backend call, in milliseconds (the function's BACKEND_TIMEOUT_MS). Must be shorter than lambda_timeout."
  type        = number
  default     = 3000

  validation {
    condition     = var.backend_timeout_ms >= 100 && var.backend_timeout_ms == floor(var.backend_timeout_ms)
    error_message = "backend_timeout_ms must be a whole number of milliseconds, at least 100."
  }
  validation {
    condition     = var.backend_timeout_ms < var.lambda_timeout * 1000
    error_message = "backend_timeout_ms must be shorter than lambda_timeout (in seconds), or the function is stopped before a slow backend call has failed."
  }
}

variable "lambda_memory_size" {
  description = "Option 1: memory of the function, in MB."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240 && var.lambda_memory_size == floor(var.lambda_memory_size)
    error_message = "lambda_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "lambda_timeout" {
  description = "Option 1: timeout of the function, in seconds. API Gateway waits at most 29 s for a route's integration, whatever this is."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 900 && var.lambda_timeout == floor(var.lambda_timeout)
    error_message = "lambda_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "lambda_environment_variables" {
  description = "Option 1: further environment variables of the function, e.g. { RUST_LOG = \"info\" }. BACKEND_URL, CONNECTIONS_TABLE, API_GATEWAY_ENDPOINT and BACKEND_TIMEOUT_MS are set by the module from its own inputs."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.lambda_environment_variables), ["BACKEND_URL", "CONNECTIONS_TABLE", "API_GATEWAY_ENDPOINT", "BACKEND_TIMEOUT_MS"])) == 0
    error_message = "lambda_environment_variables must not set BACKEND_URL, CONNECTIONS_TABLE, API_GATEWAY_ENDPOINT or BACKEND_TIMEOUT_MS: use backend_url, connections_table_name and backend_timeout_ms (the endpoint comes from the API)."
  }
  validation {
    condition     = var.create_lambda || length(var.lambda_environment_variables) == 0
    error_message = "lambda_environment_variables is only used when create_lambda = true: the module does not change an existing function's environment."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group (Option 1) and of the API's access log group, in days (0 = never expire)."
  type        = number
  default     = 14

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch's values: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_key_arn" {
  description = "Optional customer-managed KMS key for the table, the log groups and (Option 1) the function's environment. null: the table is encrypted with the AWS-managed key aws/dynamodb (server-side encryption is enabled without a key of yours; KMS charges apply), the log groups with CloudWatch Logs' own encryption and the function's environment with Lambda's default key. The key policy must let DynamoDB, CloudWatch Logs (logs.<region>.amazonaws.com) and Lambda use it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

################################################################################
# API Gateway
################################################################################

variable "stage_name" {
  description = "Stage of the WebSocket API: clients connect to wss://<api>.execute-api.<region>.amazonaws.com/<stage_name> (the local gateway's default stage is also \"dev\"). Not used with existing_api_id: give that API's stage in existing_stage_name."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1 to 128 letters, digits, '-' or '_'."
  }
}

variable "existing_api_id" {
  description = "Attach to an existing WebSocket API by id instead of creating one (null: the module creates the API and its stage). The module then creates no API, stage or access log group, and changes neither: it adds its integration, the routes $connect, $disconnect and $default and the function's permission to that API, and builds the @connections endpoint, websocket_url, the permission's source_arn and the IAM grant from the id and existing_stage_name. The API must not already have those routes (import them into the module first, docs/MIGRATING.md), and a stage without auto-deploy needs a deployment after apply. stage_name, api_name and the throttling inputs, which configure what the module creates, do not apply."
  type        = string
  default     = null

  validation {
    condition     = var.existing_api_id == null ? true : can(regex("^[a-z0-9]{10}$", var.existing_api_id))
    error_message = "existing_api_id must be an API Gateway API id (10 lowercase letters and digits, e.g. \"a1b2c3d4e5\"), not a URL or an ARN: for wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod give \"a1b2c3d4e5\" and existing_stage_name = \"prod\"."
  }
}

variable "existing_stage_name" {
  description = "With existing_api_id (required then): the existing stage of that API that clients connect to, the last segment of its wss:// URL. The module neither creates nor changes it."
  type        = string
  default     = null

  validation {
    condition     = var.existing_api_id == null || var.existing_stage_name != null
    error_message = "existing_api_id needs existing_stage_name: the name of the API's stage clients connect to (the last segment of wss://API_ID.execute-api.REGION.amazonaws.com/STAGE; `aws apigatewayv2 get-stages --api-id API_ID` lists them)."
  }
  validation {
    condition     = var.existing_stage_name == null || var.existing_api_id != null
    error_message = "existing_stage_name is only used with existing_api_id (an existing API's stage). For the stage of the API the module creates, set stage_name."
  }
  validation {
    condition     = var.existing_stage_name == null ? true : can(regex("^[A-Za-z0-9_-]{1,128}$", var.existing_stage_name))
    error_message = "existing_stage_name must be a stage name (1 to 128 letters, digits, '-' or '_'), not a URL."
  }
}

variable "throttling_rate_limit" {
  description = "Default route throttling of the stage: steady requests (messages and connects) per second. Over it clients get 429."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be greater than 0 (a rate of 0 refuses every request)."
  }
}

variable "throttling_burst_limit" {
  description = "Default route throttling of the stage: burst, in requests."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_burst_limit >= 1 && var.throttling_burst_limit == floor(var.throttling_burst_limit)
    error_message = "throttling_burst_limit must be a whole number, at least 1."
  }
}

variable "create_apigateway_cloudwatch_role" {
  description = "API Gateway writes a WebSocket stage's access logs only when the region's API Gateway account settings name a CloudWatch Logs role; without one, creating the stage fails with \"CloudWatch Logs role ARN must be set in account settings to enable logging\". true: create that role and set it (aws_api_gateway_account, a setting of the whole account and region, shared with every other API there). Leave false when the account already has it. Beware: `terraform destroy` deletes the role but cannot unset the account setting, which keeps pointing at the deleted role, so every API's logging in that region breaks until the setting names a live role again: keep it in one long-lived configuration only."
  type        = bool
  default     = false
}

################################################################################
# DynamoDB
################################################################################

variable "connections_table_name" {
  description = "Name of the connection table (contract section 5; the backend reads it as CONNECTIONS_TABLE). null: \"<name>-connections\"."
  type        = string
  default     = null

  validation {
    condition     = var.connections_table_name == null ? true : can(regex("^[A-Za-z0-9_.-]{3,255}$", var.connections_table_name))
    error_message = "connections_table_name must be 3 to 255 letters, digits, '_', '-' or '.'."
  }
}

variable "create_connections_table" {
  description = "true (default): the module creates the connection table connections_table_name. false: keep an existing table by that name: the module reads it (data source), grants the function its items and never changes or deletes it (e.g. while the Python proxy's configuration still holds it, docs/MIGRATING.md). It must have the keys of contract section 5 and the connection_id-index."
  type        = bool
  default     = true

  validation {
    condition     = var.create_connections_table || var.connections_table_name != null
    error_message = "create_connections_table = false keeps an existing table by name: give its name in connections_table_name."
  }
}

variable "table_deletion_protection" {
  description = "Turn on DynamoDB deletion protection for the connection table (then `terraform destroy` fails until it is turned off)."
  type        = bool
  default     = false
}

################################################################################
# Alarms and dashboard (docs/OPERATING.md)
################################################################################

variable "create_alarms" {
  description = "Create the CloudWatch alarms: the function's errors, throttles and duration near its timeout, API Gateway's integration and execution errors, the connection table's throttled requests, and wsproxy's backend errors (by kind) and failed pushes. docs/OPERATING.md says what each means and what to do."
  type        = bool
  default     = true
}

variable "create_dashboard" {
  description = "Create a CloudWatch dashboard named after `name`: connections, messages, backend latency p50/p99, errors and pushes."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs the alarms notify when they fire and when they recover (e.g. SNS topics). Empty: the alarms change state and notify nobody."
  type        = list(string)
  default     = []
}

variable "alarm_period_seconds" {
  description = "The period every alarm evaluates, in seconds (one period; also the dashboard's)."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be 60, 300, 900 or 3600."
  }
}

variable "alarm_thresholds" {
  description = "When each alarm fires, per alarm_period_seconds: function_errors, function_throttles, apigw_integration_errors, apigw_execution_errors, table_throttles (counts, at or above), backend_errors (count of one kind, every route), pushes_failed (count, every route), duration_timeout_ratio (the function's longest invocation over this share of its timeout). Attributes left out keep their defaults."
  type = object({
    function_errors          = optional(number, 1)
    function_throttles       = optional(number, 1)
    duration_timeout_ratio   = optional(number, 0.8)
    apigw_integration_errors = optional(number, 5)
    apigw_execution_errors   = optional(number, 1)
    table_throttles          = optional(number, 1)
    backend_errors           = optional(number, 5)
    pushes_failed            = optional(number, 5)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.alarm_thresholds.duration_timeout_ratio > 0 && var.alarm_thresholds.duration_timeout_ratio <= 1
    error_message = "alarm_thresholds.duration_timeout_ratio must be above 0 and at most 1."
  }
}
