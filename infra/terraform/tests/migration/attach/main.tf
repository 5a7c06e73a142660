# Migration by attaching to the API by id (docs/MIGRATING.md "Attaching to the API by id"), in
# a configuration of its own (its own state): the API and its stage stay where they are (the
# module gets existing_api_id and existing_stage_name and creates neither); the routes and the
# integration are imported into the module, the table kept by name. The ids are the old
# state's (`terraform output websocket_api_id`, `aws apigatewayv2 get-routes`).

provider "aws" {
  region = "us-east-1"
}

variable "environment" {
  type    = string
  default = "dev"
}

locals {
  name = "chat-${var.environment}"
  tags = {
    Project     = "chat"
    Environment = var.environment
    Component   = "websocket"
  }
}

variable "api_id" {
  type = string
}

variable "integration_id" {
  type = string
}

variable "route_ids" {
  description = "Route key ($connect, $disconnect, $default) -> route id."
  type        = map(string)
}

variable "backend_url" {
  description = "The old function's BACKEND_URL (terraform output, or its configuration)."
  type        = string
}

variable "wsproxy_package" {
  type = string
}

module "websocket_proxy" {
  source = "../../../modules/websocket_proxy"

  name                 = local.name
  existing_api_id      = var.api_id
  existing_stage_name  = "development"
  lambda_function_name = "${local.name}-wsproxy"

  connections_table_name   = "${local.name}-websocket-connections"
  create_connections_table = false

  lambda_package = abspath(var.wsproxy_package)
  # The old function's BACKEND_URL and extra variables, carried over (by value here: the
  # backend's HTTP API is the old root's).
  backend_url = var.backend_url
  lambda_environment_variables = {
    LOG_LEVEL       = "INFO"
    ALLOWED_ORIGINS = "https://app.example.com"
  }

  tags = local.tags
}

import {
  for_each = var.route_ids
  to       = module.websocket_proxy.aws_apigatewayv2_route.this[each.key]
  id       = "${var.api_id}/${each.value}"
}

import {
  to = module.websocket_proxy.aws_apigatewayv2_integration.this
  id = "${var.api_id}/${var.integration_id}"
}

output "websocket_api_endpoint" {
  value = module.websocket_proxy.websocket_url
}
