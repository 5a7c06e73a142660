# The three deployment options, applied with the offline aws provider (hashicorp/aws 6.25.0's
# schema; fake values for what AWS computes: account 123456789012, ARNs built from names, API
# ids from the API's name). scripts/check-infra.sh runs this; by hand, from this module's folder:
#   TF_CLI_CONFIG_FILE=<repo>/.tools/offline-aws/terraformrc terraform init && terraform test
# (after `scripts/check-infra.sh --install`).

provider "aws" {
  region = "eu-west-1"
}

variables {
  name           = "wsproxy-test"
  lambda_package = "tests/fixtures/bootstrap.zip"
  backend_url    = "https://backend.example.com"
}

# --- Option 1: the module creates the function ----------------------------------------------

run "option1_managed" {
  command = apply

  assert {
    condition     = can(regex("^[a-z0-9]{10}$", aws_apigatewayv2_api.this[0].id))
    error_message = "unexpected API id ${aws_apigatewayv2_api.this[0].id}"
  }
  assert {
    condition     = output.websocket_url == "wss://${aws_apigatewayv2_api.this[0].id}.execute-api.eu-west-1.amazonaws.com/dev"
    error_message = "websocket_url is ${output.websocket_url}"
  }
  # The @connections base URL: the function's API_GATEWAY_ENDPOINT (contract section 1).
  assert {
    condition     = output.connections_endpoint == "https://${aws_apigatewayv2_api.this[0].id}.execute-api.eu-west-1.amazonaws.com/dev"
    error_message = "connections_endpoint is ${output.connections_endpoint}"
  }
  assert {
    condition     = aws_lambda_function.this[0].environment[0].variables["API_GATEWAY_ENDPOINT"] == output.connections_endpoint
    error_message = "the function's API_GATEWAY_ENDPOINT is not the @connections endpoint"
  }
  assert {
    condition = aws_lambda_function.this[0].environment[0].variables == tomap({
      BACKEND_URL          = "https://backend.example.com"
      CONNECTIONS_TABLE    = "wsproxy-test-connections"
      API_GATEWAY_ENDPOINT = output.connections_endpoint
      BACKEND_TIMEOUT_MS   = "3000"
    })
    error_message = "the function's environment is ${jsonencode(aws_lambda_function.this[0].environment[0].variables)}"
  }
  # API Gateway calls the function's unqualified invoke ARN.
  assert {
    condition     = aws_apigatewayv2_integration.this.integration_uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:wsproxy-test/invocations"
    error_message = "integration_uri is ${aws_apigatewayv2_integration.this.integration_uri}"
  }
  assert {
    condition     = aws_apigatewayv2_integration.this.integration_type == "AWS_PROXY" && aws_apigatewayv2_integration.this.integration_method == "POST"
    error_message = "the integration is not a Lambda proxy integration"
  }
  # Only this API's stage may invoke the function, on any route.
  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:${aws_apigatewayv2_api.this[0].id}/dev/*"
    error_message = "the permission's source_arn is ${aws_lambda_permission.this.source_arn}"
  }
  assert {
    condition     = aws_lambda_permission.this.function_name == "wsproxy-test" && aws_lambda_permission.this.principal == "apigateway.amazonaws.com"
    error_message = "the permission is not for API Gateway on wsproxy-test"
  }
  assert {
    condition     = toset(keys(aws_apigatewayv2_route.this)) == toset(["$connect", "$disconnect", "$default"])
    error_message = "routes: ${jsonencode(keys(aws_apigatewayv2_route.this))}"
  }
  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.this : r.target == "integrations/${aws_apigatewayv2_integration.this.id}"])
    error_message = "a route does not target the integration"
  }
  # Option 1's resources: the function, its role and policy, its log group.
  assert {
    condition = [
      length(aws_lambda_function.this), length(aws_cloudwatch_log_group.lambda),
      length(aws_iam_role.this), length(aws_iam_role_policy.this), length(data.aws_lambda_function.existing),
      length(aws_api_gateway_account.this),
    ] == [1, 1, 1, 1, 0, 0]
    error_message = "Option 1 did not create exactly the function, its log group, its role and policy"
  }
  assert {
    condition     = aws_lambda_function.this[0].role == aws_iam_role.this[0].arn && aws_iam_role_policy.this[0].role == aws_iam_role.this[0].name
    error_message = "the function does not run with the role carrying the policy"
  }
  assert {
    condition     = aws_lambda_function.this[0].runtime == "provided.al2023" && aws_lambda_function.this[0].handler == "bootstrap"
    error_message = "the function is not a provided.al2023 bootstrap"
  }
  assert {
    condition     = output.lambda_source_code_hash == filebase64sha256("tests/fixtures/bootstrap.zip")
    error_message = "lambda_source_code_hash is not the package's hash"
  }
  # What the function runs, as Lambda reports it: a deploy outside Terraform shows here.
  assert {
    condition     = output.lambda_code_sha256 == aws_lambda_function.this[0].code_sha256 && output.lambda_code_sha256 == filebase64sha256("tests/fixtures/bootstrap.zip")
    error_message = "lambda_code_sha256 is ${coalesce(output.lambda_code_sha256, "null")}"
  }
  # No retry of the post-connect delivery (an asynchronous self-invocation).
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.function_name == "wsproxy-test" && aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
    error_message = "the function's asynchronous retries are not turned off"
  }
  assert {
    condition     = output.dynamodb_table_name == "wsproxy-test-connections" && output.dynamodb_table_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/wsproxy-test-connections"
    error_message = "table: ${output.dynamodb_table_name} ${output.dynamodb_table_arn}"
  }
}

# The package from S3 (what `wsproxy package --upload s3://BUCKET/KEY` prints), no local file.
run "option1_from_s3" {
  command = apply

  variables {
    lambda_package             = null
    lambda_s3_bucket           = "my-artifacts"
    lambda_s3_key              = "wsproxy/bootstrap.zip"
    lambda_s3_object_version   = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    lambda_s3_source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }

  assert {
    condition = [
      aws_lambda_function.this[0].s3_bucket, aws_lambda_function.this[0].s3_key, aws_lambda_function.this[0].s3_object_version,
    ] == ["my-artifacts", "wsproxy/bootstrap.zip", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"]
    error_message = "the function does not take its code from the S3 object"
  }
  assert {
    condition     = aws_lambda_function.this[0].filename == null && aws_lambda_function.this[0].source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    error_message = "filename ${coalesce(aws_lambda_function.this[0].filename, "null")}, source_code_hash ${coalesce(aws_lambda_function.this[0].source_code_hash, "null")}"
  }
  assert {
    condition     = output.lambda_source_code_hash == var.lambda_s3_source_code_hash
    error_message = "lambda_source_code_hash is not the S3 object's hash"
  }
}

# --- Option 2: an existing function, the policy on its role ----------------------------------

run "option2_existing_function" {
  command = apply

  variables {
    create_lambda                 = false
    existing_lambda_function_name = "legacy-proxy"
    lambda_package                = null
    backend_url                   = null
    create_lambda_role            = false
    existing_lambda_role_name     = "legacy-proxy-role"
  }

  assert {
    condition     = aws_apigatewayv2_integration.this.integration_uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:legacy-proxy/invocations"
    error_message = "integration_uri is ${aws_apigatewayv2_integration.this.integration_uri}"
  }
  assert {
    condition     = aws_lambda_permission.this.function_name == "legacy-proxy"
    error_message = "the permission is for ${aws_lambda_permission.this.function_name}"
  }
  assert {
    condition = [
      length(aws_lambda_function.this), length(aws_cloudwatch_log_group.lambda),
      length(aws_iam_role.this), length(aws_iam_role_policy.this), length(data.aws_lambda_function.existing),
    ] == [0, 0, 0, 1, 1]
    error_message = "Option 2 must create no function and no role, and put the policy on the existing role"
  }
  # The offline provider's legacy-proxy runs with role/service-role/legacy-proxy-role.
  assert {
    condition     = aws_iam_role_policy.this[0].role == "legacy-proxy-role" && endswith(data.aws_lambda_function.existing[0].role, "/legacy-proxy-role")
    error_message = "the policy is on ${aws_iam_role_policy.this[0].role}, the function runs with ${data.aws_lambda_function.existing[0].role}"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.function_name == "legacy-proxy" && aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
    error_message = "the existing function keeps its asynchronous retries"
  }
  assert {
    condition     = output.lambda_code_sha256 == data.aws_lambda_function.existing[0].code_sha256 && output.lambda_source_code_hash == null
    error_message = "lambda_code_sha256 is not the existing function's"
  }
  assert {
    condition     = output.lambda_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:legacy-proxy"
    error_message = "lambda_function_arn is ${output.lambda_function_arn}"
  }
}

# A role created beside an existing function would be used by nothing.
run "option2_refuses_a_new_role" {
  command = plan

  variables {
    create_lambda                 = false
    existing_lambda_function_name = "legacy-proxy"
    lambda_package                = null
    backend_url                   = null
  }

  expect_failures = [var.create_lambda_role]
}

# A policy on a role the function does not run with would give it nothing.
run "option2_refuses_another_role" {
  command = plan

  variables {
    create_lambda                 = false
    existing_lambda_function_name = "legacy-proxy"
    lambda_package                = null
    backend_url                   = null
    create_lambda_role            = false
    existing_lambda_role_name     = "some-other-role"
  }

  expect_failures = [aws_iam_role_policy.this]
}

# --- Option 3: an existing function, IAM left to the user ------------------------------------

run "option3_hybrid" {
  command = apply

  variables {
    create_lambda                 = false
    existing_lambda_function_name = "legacy-proxy"
    lambda_package                = null
    backend_url                   = null
    create_lambda_role            = false
  }

  assert {
    condition = [
      length(aws_lambda_function.this), length(aws_cloudwatch_log_group.lambda),
      length(aws_iam_role.this), length(aws_iam_role_policy.this), length(data.aws_lambda_function.existing),
    ] == [0, 0, 0, 0, 1]
    error_message = "Option 3 must create no function and no IAM"
  }
  assert {
    condition     = output.lambda_role_arn == null && output.lambda_role_name == null
    error_message = "Option 3 reports a role"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.function_name == "legacy-proxy" && aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
    error_message = "the existing function keeps its asynchronous retries"
  }
  assert {
    condition     = length(jsondecode(output.lambda_policy_json).Statement) > 0
    error_message = "Option 3 must still output the policy the function needs"
  }
  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:${aws_apigatewayv2_api.this[0].id}/dev/*"
    error_message = "the permission's source_arn is ${aws_lambda_permission.this.source_arn}"
  }
}

# --- the account setting, on request only ---------------------------------------------------

run "apigateway_cloudwatch_role" {
  command = apply

  variables {
    create_apigateway_cloudwatch_role = true
  }

  assert {
    condition     = aws_api_gateway_account.this[0].cloudwatch_role_arn == aws_iam_role.apigateway_cloudwatch[0].arn
    error_message = "the account setting does not name the role created"
  }
  assert {
    condition     = aws_iam_role_policy_attachment.apigateway_cloudwatch[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    error_message = "the role does not get API Gateway's managed logging policy"
  }
}
