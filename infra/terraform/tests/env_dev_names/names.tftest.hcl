# envs/dev passes the module's name inputs and existing_api_id through, its defaults unchanged.
# scripts/check-infra.sh applies envs/dev's .tf files with this file, offline, in a copy of
# envs/dev beside it (the same depth: the default package path still finds <repo>/dist).

variables {
  backend_url = "https://api.example.com"
}

run "defaults_unchanged" {
  command = apply

  assert {
    condition     = [output.lambda_function_name, output.CONNECTIONS_TABLE, module.websocket_proxy.lambda_role_name, module.websocket_proxy.stage_name] == ["wsproxy-dev", "wsproxy-dev-connections", "wsproxy-dev-lambda", "dev"]
    error_message = "names: ${jsonencode([output.lambda_function_name, output.CONNECTIONS_TABLE, module.websocket_proxy.lambda_role_name, module.websocket_proxy.stage_name])}"
  }
  assert {
    condition     = output.websocket_url == "wss://${output.api_id}.execute-api.us-east-1.amazonaws.com/dev" && module.websocket_proxy.access_log_group_name != null
    error_message = "websocket_url is ${output.websocket_url}"
  }
}

run "names_passed_through" {
  command = apply

  variables {
    name                   = "chat"
    api_name               = "chat-websocket"
    lambda_function_name   = "chat-wsproxy"
    lambda_role_name       = "chat-wsproxy-lambda"
    connections_table_name = "chat-websocket-connections"
    stage_name             = "development"
  }

  assert {
    condition     = [output.lambda_function_name, output.CONNECTIONS_TABLE, module.websocket_proxy.lambda_role_name, module.websocket_proxy.stage_name] == ["chat-wsproxy", "chat-websocket-connections", "chat-wsproxy-lambda", "development"]
    error_message = "names: ${jsonencode([output.lambda_function_name, output.CONNECTIONS_TABLE, module.websocket_proxy.lambda_role_name, module.websocket_proxy.stage_name])}"
  }
  assert {
    condition     = module.websocket_proxy.websocket_url == output.websocket_api_endpoint && endswith(output.websocket_url, "/development")
    error_message = "websocket_url is ${output.websocket_url}"
  }
}

run "existing_api_and_table_passed_through" {
  command = apply

  variables {
    existing_api_id          = "a1b2c3d4e5"
    existing_stage_name      = "production"
    connections_table_name   = "chat-websocket-connections"
    create_connections_table = false
  }

  assert {
    condition     = [output.api_id, output.websocket_url, output.WEBSOCKET_API_ENDPOINT] == ["a1b2c3d4e5", "wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/production", "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/production"]
    error_message = "API: ${jsonencode([output.api_id, output.websocket_url, output.WEBSOCKET_API_ENDPOINT])}"
  }
  assert {
    condition     = output.CONNECTIONS_TABLE == "chat-websocket-connections" && module.websocket_proxy.access_log_group_name == null
    error_message = "table ${output.CONNECTIONS_TABLE}, access log group ${coalesce(module.websocket_proxy.access_log_group_name, "null")}"
  }
}
