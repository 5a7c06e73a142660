# The alarms and the dashboard, applied with the offline aws provider. That they name only
# metrics the code emits (metrics.json) is scripts/check-alarm-metrics.py's check.

provider "aws" {
  region = "eu-west-1"
}

variables {
  name           = "wsproxy-test"
  lambda_package = "tests/fixtures/bootstrap.zip"
  backend_url    = "https://backend.example.com"
  alarm_actions  = ["arn:aws:sns:eu-west-1:123456789012:oncall"]
}

run "alarms_on_by_default" {
  command = apply

  assert {
    condition = output.alarm_names == sort([
      "wsproxy-test-function-errors", "wsproxy-test-function-throttles", "wsproxy-test-function-duration",
      "wsproxy-test-apigw-integration-errors", "wsproxy-test-apigw-execution-errors", "wsproxy-test-table-throttles",
      "wsproxy-test-pushes-failed", "wsproxy-test-backend-errors-refused", "wsproxy-test-backend-errors-timeout",
      "wsproxy-test-backend-errors-status", "wsproxy-test-backend-errors-too-large",
    ])
    error_message = "the alarms are ${jsonencode(output.alarm_names)}"
  }
  # Every alarm notifies alarm_actions, when it fires and when it recovers.
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.aws), values(aws_cloudwatch_metric_alarm.summed)) :
    a.alarm_actions == toset(var.alarm_actions) && a.ok_actions == toset(var.alarm_actions) && a.comparison_operator == "GreaterThanOrEqualToThreshold"])
    error_message = "an alarm does not notify alarm_actions"
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.aws["function-errors"].namespace == "AWS/Lambda" && aws_cloudwatch_metric_alarm.aws["function-errors"].metric_name == "Errors"
      && aws_cloudwatch_metric_alarm.aws["function-errors"].dimensions == tomap({ FunctionName = "wsproxy-test" })
    && aws_cloudwatch_metric_alarm.aws["function-errors"].threshold == 1 && aws_cloudwatch_metric_alarm.aws["function-errors"].period == 300)
    error_message = "function-errors: ${jsonencode(aws_cloudwatch_metric_alarm.aws["function-errors"])}"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.aws["function-throttles"].metric_name == "Throttles" && aws_cloudwatch_metric_alarm.aws["function-throttles"].namespace == "AWS/Lambda"
    error_message = "function-throttles: ${jsonencode(aws_cloudwatch_metric_alarm.aws["function-throttles"])}"
  }
  # 80% of the default 10 s timeout, on the longest invocation.
  assert {
    condition     = aws_cloudwatch_metric_alarm.aws["function-duration"].metric_name == "Duration" && aws_cloudwatch_metric_alarm.aws["function-duration"].statistic == "Maximum" && aws_cloudwatch_metric_alarm.aws["function-duration"].threshold == 8000
    error_message = "function-duration: ${jsonencode(aws_cloudwatch_metric_alarm.aws["function-duration"])}"
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.aws["apigw-integration-errors"].namespace == "AWS/ApiGateway" && aws_cloudwatch_metric_alarm.aws["apigw-integration-errors"].metric_name == "IntegrationError"
      && aws_cloudwatch_metric_alarm.aws["apigw-integration-errors"].dimensions == tomap({ ApiId = aws_apigatewayv2_api.this[0].id, Stage = "dev" })
    && aws_cloudwatch_metric_alarm.aws["apigw-execution-errors"].metric_name == "ExecutionError" && aws_cloudwatch_metric_alarm.aws["apigw-execution-errors"].dimensions == tomap({ ApiId = aws_apigatewayv2_api.this[0].id, Stage = "dev" }))
    error_message = "apigw alarms: ${jsonencode([aws_cloudwatch_metric_alarm.aws["apigw-integration-errors"], aws_cloudwatch_metric_alarm.aws["apigw-execution-errors"]])}"
  }
  # The table's throttled requests, summed over the operations the function makes.
  assert {
    condition = toset([for q in aws_cloudwatch_metric_alarm.summed["table-throttles"].metric_query : jsonencode(q.metric[0]) if length(q.metric) > 0]) == toset([for op in ["PutItem", "Query", "BatchWriteItem"] :
    jsonencode({ namespace = "AWS/DynamoDB", metric_name = "ThrottledRequests", dimensions = { Operation = op, TableName = "wsproxy-test-connections" }, period = 300, stat = "Sum", unit = null })])
    error_message = "table-throttles: ${jsonencode(aws_cloudwatch_metric_alarm.summed["table-throttles"].metric_query)}"
  }
  # A wsproxy alarm sums its EMF metric over every route, dimensions FunctionName and Route.
  assert {
    condition = toset([for q in aws_cloudwatch_metric_alarm.summed["backend-errors-timeout"].metric_query : jsonencode(q.metric[0]) if length(q.metric) > 0]) == toset([for r in ["$connect", "$default", "$disconnect", "delivery"] :
    jsonencode({ namespace = "wsproxy", metric_name = "backend_errors.timeout", dimensions = { FunctionName = "wsproxy-test", Route = r }, period = 300, stat = "Sum", unit = null })])
    error_message = "backend-errors-timeout: ${jsonencode(aws_cloudwatch_metric_alarm.summed["backend-errors-timeout"].metric_query)}"
  }
  assert {
    condition     = [for q in aws_cloudwatch_metric_alarm.summed["pushes-failed"].metric_query : q.expression if q.return_data == true] == ["SUM([m0,m1,m2,m3])"] && aws_cloudwatch_metric_alarm.summed["pushes-failed"].threshold == 5
    error_message = "pushes-failed: ${jsonencode(aws_cloudwatch_metric_alarm.summed["pushes-failed"].metric_query)}"
  }
  assert {
    condition     = alltrue([for q in aws_cloudwatch_metric_alarm.summed["pushes-failed"].metric_query : q.metric[0].metric_name == "pushes.failed" if length(q.metric) > 0])
    error_message = "pushes-failed: ${jsonencode(aws_cloudwatch_metric_alarm.summed["pushes-failed"].metric_query)}"
  }
  # The dashboard: its six widgets, and the metrics they must show.
  assert {
    condition     = [for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.title] == ["Connections", "Messages", "Backend latency p50 (ms)", "Backend latency p99 (ms)", "Errors", "Pushes"]
    error_message = "the dashboard's widgets: ${aws_cloudwatch_dashboard.this[0].dashboard_body}"
  }
  assert {
    condition = alltrue([for title, want in {
      "Connections"              = ["Sum", "connects_accepted.booking"]
      "Messages"                 = ["Sum", "messages"]
      "Backend latency p50 (ms)" = ["p50", "backend_latency"]
      "Backend latency p99 (ms)" = ["p99", "backend_latency"]
      "Errors"                   = ["Sum", "backend_errors.timeout"]
      "Pushes"                   = ["Sum", "pushes.failed"]
      } : anytrue([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets :
        w.properties.title == title && w.properties.stat == want[0] && contains([for m in w.properties.metrics : m[1]], want[1])
    ])])
    error_message = "a widget lacks its metric: ${aws_cloudwatch_dashboard.this[0].dashboard_body}"
  }
}

run "thresholds" {
  command = apply

  variables {
    alarm_thresholds = { backend_errors = 20, duration_timeout_ratio = 0.5 }
    lambda_timeout   = 6
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.summed["backend-errors-status"].threshold == 20 && aws_cloudwatch_metric_alarm.aws["function-duration"].threshold == 3000 && aws_cloudwatch_metric_alarm.summed["pushes-failed"].threshold == 5
    error_message = "thresholds: ${aws_cloudwatch_metric_alarm.summed["backend-errors-status"].threshold}, ${aws_cloudwatch_metric_alarm.aws["function-duration"].threshold}"
  }
}

run "alarms_and_dashboard_off" {
  command = apply

  variables {
    create_alarms    = false
    create_dashboard = false
  }

  assert {
    condition     = length(output.alarm_names) == 0 && output.dashboard_name == null && length(aws_cloudwatch_dashboard.this) == 0
    error_message = "alarms or a dashboard were created: ${jsonencode(output.alarm_names)}"
  }
}
