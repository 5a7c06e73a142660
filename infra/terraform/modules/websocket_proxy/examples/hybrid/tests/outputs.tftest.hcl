# The hybrid example tells the user what to set on the function (applied with the offline
# aws provider, see infra/terraform/offline-provider; run by scripts/check-infra.sh).

run "outputs_what_to_set_on_the_function" {
  command = apply

  assert {
    condition     = output.set_on_the_function.CONNECTIONS_TABLE == "wsproxy-example-connections"
    error_message = "CONNECTIONS_TABLE to set is ${output.set_on_the_function.CONNECTIONS_TABLE}"
  }
  assert {
    condition     = can(regex("^https://[a-z0-9]{10}\\.execute-api\\.us-east-1\\.amazonaws\\.com/dev$", output.set_on_the_function.API_GATEWAY_ENDPOINT))
    error_message = "API_GATEWAY_ENDPOINT to set is ${output.set_on_the_function.API_GATEWAY_ENDPOINT}"
  }
  assert {
    condition     = replace(output.websocket_url, "wss://", "https://") == output.set_on_the_function.API_GATEWAY_ENDPOINT
    error_message = "the endpoint to set is not the stage clients connect to"
  }
  assert {
    condition     = length(jsondecode(output.policy_for_the_function_role).Statement) > 0
    error_message = "no policy for the function's role"
  }
}
