################################################################################
# CloudWatch alarms (create_alarms) and the dashboard (create_dashboard)
#
# The wsproxy metrics are those of metrics.json (the list the code emits, as EMF: namespace
# wsproxy, dimensions FunctionName and Route, a non-route label's value in the name);
# scripts/check-alarm-metrics.py fails if an alarm or the dashboard names another.
# docs/OPERATING.md says what each alarm means and what to do when it fires.
################################################################################

locals {
  thresholds = var.alarm_thresholds
  period     = var.alarm_period_seconds

  # The Route dimension's values: the API's routes and the post-connect delivery.
  emf_routes = ["$connect", "$default", "$disconnect", "delivery"]
  # backend_errors' kind label (metrics.json).
  backend_error_kinds = ["refused", "timeout", "status", "too_large"]
  # The table calls the function makes (function_calls.json), as DynamoDB names them.
  table_operations = ["PutItem", "Query", "BatchWriteItem"]

  function_timeout_s = try(aws_lambda_function.this[0].timeout, data.aws_lambda_function.existing[0].timeout)
  api_dimensions = {
    ApiId = local.api_id
    Stage = local.stage_name
  }

  # The AWS services' alarms: one metric each.
  aws_alarms = {
    function-errors = {
      description = "The function failed (crashed, timed out or ran out of memory) on at least ${local.thresholds.function_errors} invocations in ${local.period} s (docs/OPERATING.md)."
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      statistic   = "Sum"
      dimensions  = { FunctionName = local.function_name }
      threshold   = local.thresholds.function_errors
    }
    function-throttles = {
      description = "Lambda throttled at least ${local.thresholds.function_throttles} invocations of the function in ${local.period} s: the account's or the function's concurrency is used up (docs/OPERATING.md)."
      namespace   = "AWS/Lambda"
      metric_name = "Throttles"
      statistic   = "Sum"
      dimensions  = { FunctionName = local.function_name }
      threshold   = local.thresholds.function_throttles
    }
    function-duration = {
      description = "An invocation of the function took over ${floor(local.thresholds.duration_timeout_ratio * 100)}% of its ${local.function_timeout_s} s timeout (docs/OPERATING.md)."
      namespace   = "AWS/Lambda"
      metric_name = "Duration"
      statistic   = "Maximum"
      dimensions  = { FunctionName = local.function_name }
      threshold   = floor(local.thresholds.duration_timeout_ratio * local.function_timeout_s * 1000)
    }
    apigw-integration-errors = {
      description = "At least ${local.thresholds.apigw_integration_errors} requests got a 4XX/5XX from the integration (the function; connects the backend refused count too) in ${local.period} s (docs/OPERATING.md)."
      namespace   = "AWS/ApiGateway"
      metric_name = "IntegrationError"
      statistic   = "Sum"
      dimensions  = local.api_dimensions
      threshold   = local.thresholds.apigw_integration_errors
    }
    apigw-execution-errors = {
      description = "API Gateway failed to call the integration (the function) at least ${local.thresholds.apigw_execution_errors} times in ${local.period} s (docs/OPERATING.md)."
      namespace   = "AWS/ApiGateway"
      metric_name = "ExecutionError"
      statistic   = "Sum"
      dimensions  = local.api_dimensions
      threshold   = local.thresholds.apigw_execution_errors
    }
  }

  # Alarms on a sum of several metrics: the table's throttled requests over the function's
  # operations, and the wsproxy EMF metrics over every route.
  summed_alarms = merge(
    {
      table-throttles = {
        description = "DynamoDB throttled at least ${local.thresholds.table_throttles} requests to the connection table in ${local.period} s (docs/OPERATING.md)."
        namespace   = "AWS/DynamoDB"
        metrics = [for op in local.table_operations : {
          name       = "ThrottledRequests"
          dimensions = { TableName = local.table.name, Operation = op }
        }]
        threshold = local.thresholds.table_throttles
      }
      pushes-failed = {
        description = "At least ${local.thresholds.pushes_failed} pushes to connections failed (throttled, timed out, store error) in ${local.period} s (docs/OPERATING.md)."
        namespace   = "wsproxy"
        metrics = [for route in local.emf_routes : {
          name       = "pushes.failed"
          dimensions = { FunctionName = local.function_name, Route = route }
        }]
        threshold = local.thresholds.pushes_failed
      }
    },
    { for kind in local.backend_error_kinds : "backend-errors-${replace(kind, "_", "-")}" => {
      description = "At least ${local.thresholds.backend_errors} backend calls failed with ${kind} in ${local.period} s (docs/OPERATING.md)."
      namespace   = "wsproxy"
      metrics = [for route in local.emf_routes : {
        name       = "backend_errors.${kind}"
        dimensions = { FunctionName = local.function_name, Route = route }
      }]
      threshold = local.thresholds.backend_errors
    } },
  )
}

resource "aws_cloudwatch_metric_alarm" "aws" {
  for_each = var.create_alarms ? local.aws_alarms : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = local.period
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "summed" {
  for_each = var.create_alarms ? local.summed_alarms : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = "total"
    expression  = "SUM([${join(",", [for i, _ in each.value.metrics : "m${i}"])}])"
    label       = each.key
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = "m${metric_query.key}"
      metric {
        namespace   = each.value.namespace
        metric_name = metric_query.value.name
        dimensions  = metric_query.value.dimensions
        period      = local.period
        stat        = "Sum"
      }
    }
  }

  tags = var.tags
}
