################################################################################
# The dashboard (create_dashboard): connections, messages, backend latency p50/p99, errors
# and pushes. Its wsproxy metrics are checked against metrics.json like the alarms'.
################################################################################

locals {
  # A metric line of a widget: [namespace, name, dimension, value, ...] (CloudWatch's form).
  fn = local.function_name
  emf_line = {
    for pair in setproduct(
      [
        "connects_accepted.booking", "connects_accepted.chat", "connects_accepted.notification", "connects_accepted.feed",
        "connects_refused.4xx", "connects_refused.5xx", "messages", "backend_latency",
        "backend_errors.refused", "backend_errors.timeout", "backend_errors.status", "backend_errors.too_large",
        "pushes.delivered", "pushes.gone", "pushes.failed",
      ],
      local.emf_routes,
    ) : "${pair[0]}|${pair[1]}" => ["wsproxy", pair[0], "FunctionName", local.fn, "Route", pair[1]]
  }
  api_line = { for name in ["ConnectCount", "MessageCount", "IntegrationError", "ExecutionError", "ClientError"] :
    name => ["AWS/ApiGateway", name, "ApiId", local.api_id, "Stage", local.stage_name]
  }

  dashboard_widgets = [
    {
      title   = "Connections"
      stat    = "Sum"
      metrics = concat([local.api_line["ConnectCount"]], [for t in ["booking", "chat", "notification", "feed"] : local.emf_line["connects_accepted.${t}|$connect"]], [for c in ["4xx", "5xx"] : local.emf_line["connects_refused.${c}|$connect"]])
    },
    {
      title   = "Messages"
      stat    = "Sum"
      metrics = [local.api_line["MessageCount"], local.emf_line["messages|$default"]]
    },
    {
      title   = "Backend latency p50 (ms)"
      stat    = "p50"
      metrics = [for r in ["$connect", "$default", "$disconnect"] : local.emf_line["backend_latency|${r}"]]
    },
    {
      title   = "Backend latency p99 (ms)"
      stat    = "p99"
      metrics = [for r in ["$connect", "$default", "$disconnect"] : local.emf_line["backend_latency|${r}"]]
    },
    {
      title = "Errors"
      stat  = "Sum"
      metrics = concat(
        [for k in local.backend_error_kinds : local.emf_line["backend_errors.${k}|$default"]],
        [for k in local.backend_error_kinds : local.emf_line["backend_errors.${k}|$connect"]],
        [local.api_line["IntegrationError"], local.api_line["ExecutionError"], local.api_line["ClientError"]],
        [["AWS/Lambda", "Errors", "FunctionName", local.fn], ["AWS/Lambda", "Throttles", "FunctionName", local.fn]],
      )
    },
    {
      title   = "Pushes"
      stat    = "Sum"
      metrics = [for pair in setproduct(["delivered", "gone", "failed"], ["$default", "delivery"]) : local.emf_line["pushes.${pair[0]}|${pair[1]}"]]
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [for i, w in local.dashboard_widgets : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = local.region
        stat    = w.stat
        period  = var.alarm_period_seconds
        view    = "timeSeries"
        stacked = false
        metrics = w.metrics
      }
    }]
  })
}
