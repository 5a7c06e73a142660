# An existing WebSocket API attached by id (existing_api_id, existing_stage_name), applied with
# the offline aws provider: the module creates no API, stage or access log group, and builds
# its integration, routes, permission, IAM grant, endpoints, alarms and dashboard on that API.

provider "aws" {
  region = "eu-west-1"
}

variables {
  name                = "wsproxy-test"
  lambda_package      = "tests/fixtures/bootstrap.zip"
  backend_url         = "https://backend.example.com"
  existing_api_id     = "a1b2c3d4e5"
  existing_stage_name = "production"
}

run "existing_api" {
  command = apply

  assert {
    condition     = [length(aws_apigatewayv2_api.this), length(aws_apigatewayv2_stage.this), length(aws_cloudwatch_log_group.access)] == [0, 0, 0]
    error_message = "an API, a stage or an access log group was created beside the existing API"
  }
  assert {
    condition     = aws_apigatewayv2_integration.this.api_id == "a1b2c3d4e5" && aws_apigatewayv2_integration.this.integration_uri == aws_lambda_function.this[0].invoke_arn
    error_message = "the integration is on ${aws_apigatewayv2_integration.this.api_id}, to ${aws_apigatewayv2_integration.this.integration_uri}"
  }
  assert {
    condition     = toset(keys(aws_apigatewayv2_route.this)) == toset(["$connect", "$disconnect", "$default"]) && alltrue([for r in aws_apigatewayv2_route.this : r.api_id == "a1b2c3d4e5" && r.target == "integrations/${aws_apigatewayv2_integration.this.id}"])
    error_message = "routes: ${jsonencode({ for k, r in aws_apigatewayv2_route.this : k => [r.api_id, r.target] })}"
  }
  assert {
    condition     = output.connections_endpoint == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/production" && aws_lambda_function.this[0].environment[0].variables["API_GATEWAY_ENDPOINT"] == output.connections_endpoint
    error_message = "connections_endpoint is ${output.connections_endpoint}"
  }
  assert {
    condition     = output.websocket_url == "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/production"
    error_message = "websocket_url is ${output.websocket_url}"
  }
  assert {
    condition     = [output.api_id, output.stage_name, output.api_execution_arn] == ["a1b2c3d4e5", "production", "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"] && output.access_log_group_name == null
    error_message = "outputs: ${jsonencode([output.api_id, output.stage_name, output.api_execution_arn, output.access_log_group_name])}"
  }
  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/production/*" && aws_lambda_permission.this.statement_id == "AllowExecutionFromApiGateway-a1b2c3d4e5"
    error_message = "the permission: ${aws_lambda_permission.this.statement_id}, ${aws_lambda_permission.this.source_arn}"
  }
  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ManageConnections"].Resource == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/production/POST/@connections/*"
    error_message = "ManageConnections: ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ManageConnections"])}"
  }
  # The function's own ARNs (InvokeSelf, its logs) come from the API's region and account.
  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["InvokeSelf"].Resource == "arn:aws:lambda:eu-west-1:123456789012:function:wsproxy-test"
    error_message = "InvokeSelf: ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["InvokeSelf"])}"
  }
  # The alarms and the dashboard name the existing API and its stage.
  assert {
    condition     = aws_cloudwatch_metric_alarm.aws["apigw-integration-errors"].dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "production" }) && aws_cloudwatch_metric_alarm.aws["apigw-execution-errors"].dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "production" })
    error_message = "apigw alarms: ${jsonencode(aws_cloudwatch_metric_alarm.aws["apigw-integration-errors"].dimensions)}"
  }
  assert {
    condition     = contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : [for m in w.properties.metrics : jsonencode(m) if m[0] == "AWS/ApiGateway"]]), jsonencode(["AWS/ApiGateway", "ConnectCount", "ApiId", "a1b2c3d4e5", "Stage", "production"]))
    error_message = "the dashboard does not show the existing API's connections: ${aws_cloudwatch_dashboard.this[0].dashboard_body}"
  }
}

# With an existing function too (Option 3): nothing of API Gateway but the wiring is created.
run "existing_api_and_function" {
  command = apply

  variables {
    create_lambda                 = false
    existing_lambda_function_name = "legacy-proxy"
    lambda_package                = null
    backend_url                   = null
    create_lambda_role            = false
  }

  assert {
    condition     = [length(aws_apigatewayv2_api.this), length(aws_apigatewayv2_stage.this), length(aws_lambda_function.this)] == [0, 0, 0]
    error_message = "an API, a stage or a function was created"
  }
  assert {
    condition     = aws_apigatewayv2_integration.this.integration_uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:legacy-proxy/invocations" && aws_lambda_permission.this.function_name == "legacy-proxy"
    error_message = "the existing API does not invoke the existing function: ${aws_apigatewayv2_integration.this.integration_uri}"
  }
}

# The stage is the one thing the id does not say.
run "existing_api_needs_its_stage" {
  command = plan

  variables {
    existing_stage_name = null
  }

  expect_failures = [var.existing_stage_name]
}
