# The function's policy, statement by statement, against function_calls.json (the calls the
# Rust code makes; scripts/check-infra.sh checks that list against the code). Applied with the
# offline aws provider, whose aws_iam_policy_document renders the policy JSON as AWS's does.

provider "aws" {
  region = "eu-west-1"
}

variables {
  name           = "wsproxy-test"
  lambda_package = "tests/fixtures/bootstrap.zip"
  backend_url    = "https://backend.example.com"
}

run "option1_policy" {
  command = apply

  assert {
    condition     = [for s in jsondecode(output.lambda_policy_json).Statement : s.Sid] == ["ConnectionTableItems", "ConnectionTableIndex", "ManageConnections", "InvokeSelf", "OwnLogStreams"]
    error_message = "the statements are ${jsonencode([for s in jsondecode(output.lambda_policy_json).Statement : s.Sid])}"
  }
  # Each statement the function's calls need grants exactly the actions listed for it.
  assert {
    condition = alltrue([
      for sid, grant in jsondecode(file("function_calls.json")).statements :
      toset(flatten([[for s in jsondecode(output.lambda_policy_json).Statement : s.Action if s.Sid == sid]])) == toset(grant.actions)
    ])
    error_message = "a statement's actions differ from function_calls.json: ${jsonencode({ for sid, s in { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s } : sid => s.Action })}"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(output.lambda_policy_json).Statement : s.Effect == "Allow" && !contains(keys(s), "NotAction") && !contains(keys(s), "NotResource")
    ])
    error_message = "every statement must be a plain Allow"
  }
  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ConnectionTableItems"].Resource == "arn:aws:dynamodb:eu-west-1:123456789012:table/wsproxy-test-connections"
    error_message = "ConnectionTableItems is on ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ConnectionTableItems"].Resource)}"
  }
  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ConnectionTableIndex"].Resource == "arn:aws:dynamodb:eu-west-1:123456789012:table/wsproxy-test-connections/index/connection_id-index"
    error_message = "ConnectionTableIndex is on ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ConnectionTableIndex"].Resource)}"
  }
  # POST only (PostToConnection), on this API's stage.
  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ManageConnections"].Resource == "arn:aws:execute-api:eu-west-1:123456789012:${aws_apigatewayv2_api.this[0].id}/dev/POST/@connections/*"
    error_message = "ManageConnections is on ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["ManageConnections"].Resource)}"
  }
  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["InvokeSelf"].Resource == "arn:aws:lambda:eu-west-1:123456789012:function:wsproxy-test"
    error_message = "InvokeSelf is on ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["InvokeSelf"].Resource)}"
  }
  assert {
    condition     = toset({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogStreams"].Action) == toset(["logs:CreateLogStream", "logs:PutLogEvents"]) && { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogStreams"].Resource == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/wsproxy-test:*"
    error_message = "OwnLogStreams: ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogStreams"])}"
  }
  # The policy on the role is the rendered document.
  assert {
    condition     = aws_iam_role_policy.this[0].policy == data.aws_iam_policy_document.this.json
    error_message = "the role's policy is not the rendered document"
  }
  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "the role is not for Lambda: ${aws_iam_role.this[0].assume_role_policy}"
  }
}

# An existing function may have to create its log group: CreateLogGroup on the group's ARN,
# which is what the action is checked against (no ":*").
run "existing_function_may_create_its_log_group" {
  command = apply

  variables {
    create_lambda                 = false
    existing_lambda_function_name = "legacy-proxy"
    lambda_package                = null
    backend_url                   = null
    create_lambda_role            = false
  }

  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogGroup"].Action == "logs:CreateLogGroup" && { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogGroup"].Resource == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/legacy-proxy"
    error_message = "OwnLogGroup: ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogGroup"])}"
  }
  assert {
    condition     = { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogStreams"].Resource == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/legacy-proxy:*"
    error_message = "OwnLogStreams: ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["OwnLogStreams"])}"
  }
}

run "customer_key" {
  command = apply

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = toset({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["CustomerKey"].Action) == toset(["kms:Decrypt", "kms:GenerateDataKey"]) && { for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["CustomerKey"].Resource == var.kms_key_arn
    error_message = "CustomerKey: ${jsonencode({ for s in jsondecode(output.lambda_policy_json).Statement : s.Sid => s }["CustomerKey"])}"
  }
}
