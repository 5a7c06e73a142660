# The module's variable validation rules, checked offline: scripts/check-infra.sh copies
# modules/websocket_proxy/variables.tf alone into a temporary folder (which needs no
# provider), adds dist/bootstrap.zip there, and runs `terraform test` with this file.
# Each failing case breaks the rules of exactly one variable.

variables {
  name           = "wsproxy-test"
  lambda_package = "dist/bootstrap.zip"
  backend_url    = "https://backend.example.com"
}

# --- the three options, valid -------------------------------------------------------------

run "option1_managed" {
  command = plan
}

run "option1_with_existing_role" {
  command = plan
  variables {
    create_lambda_role        = false
    existing_lambda_role_name = "my-role"
  }
}

# A new role beside an existing function would be used by nothing (issue 9, defect 4).
run "option2_existing_function_new_role_refused" {
  command = plan
  variables {
    create_lambda                 = false
    existing_lambda_function_name = "my-function"
    lambda_package                = null
    backend_url                   = null
  }
  expect_failures = [var.create_lambda_role]
}

run "option2_existing_function_existing_role" {
  command = plan
  variables {
    create_lambda                 = false
    existing_lambda_function_name = "my-function"
    lambda_package                = null
    backend_url                   = null
    create_lambda_role            = false
    existing_lambda_role_name     = "my-function-role"
  }
}

run "option3_hybrid_iam_left_to_user" {
  command = plan
  variables {
    create_lambda                 = false
    existing_lambda_function_name = "my-function"
    lambda_package                = null
    backend_url                   = null
    create_lambda_role            = false
  }
}

# --- lambda_package -----------------------------------------------------------------------

run "package_required_with_option1" {
  command = plan
  variables { lambda_package = null }
  expect_failures = [var.lambda_package]
}

run "package_file_missing" {
  command = plan
  variables { lambda_package = "dist/missing.zip" }
  expect_failures = [var.lambda_package]
}

run "package_not_a_zip" {
  command = plan
  variables { lambda_package = "dist/bootstrap" }
  expect_failures = [var.lambda_package]
}

run "package_is_a_folder" {
  command = plan
  variables { lambda_package = "dist" }
  expect_failures = [var.lambda_package]
}

run "package_given_with_existing_function" {
  command = plan
  variables {
    create_lambda                 = false
    create_lambda_role            = false
    existing_lambda_function_name = "my-function"
    backend_url                   = null
  }
  expect_failures = [var.lambda_package]
}

# --- the package from S3 (lambda_s3_*) -----------------------------------------------------

run "option1_from_s3" {
  command = plan
  variables {
    lambda_package             = null
    lambda_s3_bucket           = "my-artifacts"
    lambda_s3_key              = "wsproxy/bootstrap.zip"
    lambda_s3_object_version   = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    lambda_s3_source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }
}

run "package_given_both_ways" {
  command = plan
  variables {
    lambda_s3_bucket = "my-artifacts"
    lambda_s3_key    = "wsproxy/bootstrap.zip"
  }
  expect_failures = [var.lambda_package]
}

run "s3_bucket_without_key" {
  command = plan
  variables {
    lambda_package   = null
    lambda_s3_bucket = "my-artifacts"
  }
  expect_failures = [var.lambda_s3_bucket]
}

run "s3_bucket_is_a_url" {
  command = plan
  variables {
    lambda_package   = null
    lambda_s3_bucket = "s3://my-artifacts"
    lambda_s3_key    = "wsproxy/bootstrap.zip"
  }
  expect_failures = [var.lambda_s3_bucket]
}

run "s3_key_with_leading_slash" {
  command = plan
  variables {
    lambda_package   = null
    lambda_s3_bucket = "my-artifacts"
    lambda_s3_key    = "/wsproxy/bootstrap.zip"
  }
  expect_failures = [var.lambda_s3_key]
}

run "s3_version_without_bucket" {
  command = plan
  variables { lambda_s3_object_version = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" }
  expect_failures = [var.lambda_s3_object_version]
}

run "s3_hash_not_base64" {
  command = plan
  variables {
    lambda_package             = null
    lambda_s3_bucket           = "my-artifacts"
    lambda_s3_key              = "wsproxy/bootstrap.zip"
    lambda_s3_source_code_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
  }
  expect_failures = [var.lambda_s3_source_code_hash]
}

run "s3_with_existing_function" {
  command = plan
  variables {
    create_lambda                 = false
    create_lambda_role            = false
    existing_lambda_function_name = "my-function"
    lambda_package                = null
    backend_url                   = null
    lambda_s3_bucket              = "my-artifacts"
    lambda_s3_key                 = "wsproxy/bootstrap.zip"
  }
  expect_failures = [var.lambda_s3_bucket]
}

# --- existing_lambda_function_name --------------------------------------------------------

run "function_name_required_with_existing_function" {
  command = plan
  variables {
    create_lambda      = false
    create_lambda_role = false
    lambda_package     = null
    backend_url        = null
  }
  expect_failures = [var.existing_lambda_function_name]
}

run "function_name_given_with_option1" {
  command = plan
  variables { existing_lambda_function_name = "my-function" }
  expect_failures = [var.existing_lambda_function_name]
}

run "function_name_not_an_arn" {
  command = plan
  variables {
    create_lambda                 = false
    create_lambda_role            = false
    existing_lambda_function_name = "arn:aws:lambda:us-east-1:123456789012:function:my-function"
    lambda_package                = null
    backend_url                   = null
  }
  expect_failures = [var.existing_lambda_function_name]
}

# --- roles --------------------------------------------------------------------------------

run "role_created_and_given" {
  command = plan
  variables { existing_lambda_role_name = "my-role" }
  expect_failures = [var.existing_lambda_role_name]
}

run "option1_without_any_role" {
  command = plan
  variables { create_lambda_role = false }
  expect_failures = [var.existing_lambda_role_name]
}

run "role_name_not_an_arn" {
  command = plan
  variables {
    create_lambda_role        = false
    existing_lambda_role_name = "arn:aws:iam::123456789012:role/my-role"
  }
  expect_failures = [var.existing_lambda_role_name]
}

# --- the function's settings --------------------------------------------------------------

run "backend_url_required_with_option1" {
  command = plan
  variables { backend_url = null }
  expect_failures = [var.backend_url]
}

run "backend_url_given_with_existing_function" {
  command = plan
  variables {
    create_lambda                 = false
    create_lambda_role            = false
    existing_lambda_function_name = "my-function"
    lambda_package                = null
  }
  expect_failures = [var.backend_url]
}

run "backend_url_needs_a_scheme" {
  command = plan
  variables { backend_url = "backend.example.com" }
  expect_failures = [var.backend_url]
}

run "backend_timeout_shorter_than_lambda_timeout" {
  command = plan
  variables {
    backend_timeout_ms = 10000
    lambda_timeout     = 10
  }
  expect_failures = [var.backend_timeout_ms]
}

run "memory_at_least_128" {
  command = plan
  variables { lambda_memory_size = 64 }
  expect_failures = [var.lambda_memory_size]
}

run "environment_cannot_override_contract_variables" {
  command = plan
  variables { lambda_environment_variables = { BACKEND_URL = "http://elsewhere" } }
  expect_failures = [var.lambda_environment_variables]
}

run "environment_given_with_existing_function" {
  command = plan
  variables {
    create_lambda                 = false
    create_lambda_role            = false
    existing_lambda_function_name = "my-function"
    lambda_package                = null
    backend_url                   = null
    lambda_environment_variables  = { RUST_LOG = "debug" }
  }
  expect_failures = [var.lambda_environment_variables]
}

# --- API, logs, table ---------------------------------------------------------------------

run "retention_is_a_cloudwatch_value" {
  command = plan
  variables { log_retention_in_days = 10 }
  expect_failures = [var.log_retention_in_days]
}

run "throttling_rate_positive" {
  command = plan
  variables { throttling_rate_limit = 0 }
  expect_failures = [var.throttling_rate_limit]
}

run "throttling_burst_positive" {
  command = plan
  variables { throttling_burst_limit = 0 }
  expect_failures = [var.throttling_burst_limit]
}

run "name_is_a_function_name" {
  command = plan
  variables { name = "wsproxy dev" }
  expect_failures = [var.name]
}

run "stage_name_characters" {
  command = plan
  variables { stage_name = "dev/1" }
  expect_failures = [var.stage_name]
}

run "table_name_characters" {
  command = plan
  variables { connections_table_name = "x" }
  expect_failures = [var.connections_table_name]
}

run "kms_key_is_an_arn" {
  command = plan
  variables { kms_key_arn = "alias/my-key" }
  expect_failures = [var.kms_key_arn]
}

# --- an existing API (existing_api_id) ----------------------------------------------------

run "existing_api_with_its_stage" {
  command = plan
  variables {
    existing_api_id     = "a1b2c3d4e5"
    existing_stage_name = "production"
  }
}

run "existing_api_needs_its_stage" {
  command = plan
  variables { existing_api_id = "a1b2c3d4e5" }
  expect_failures = [var.existing_stage_name]
}

run "existing_stage_needs_the_api" {
  command = plan
  variables { existing_stage_name = "production" }
  expect_failures = [var.existing_stage_name]
}

run "existing_api_id_not_a_url" {
  command = plan
  variables {
    existing_api_id     = "wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/production"
    existing_stage_name = "production"
  }
  expect_failures = [var.existing_api_id]
}

run "existing_api_takes_no_api_name" {
  command = plan
  variables {
    existing_api_id     = "a1b2c3d4e5"
    existing_stage_name = "production"
    api_name            = "chat-websocket"
  }
  expect_failures = [var.api_name]
}
