# Migration into a configuration of its own (e.g. a team's infrastructure repository, with its
# own state), docs/MIGRATING.md "Adopting with import": the API, its stage, routes and
# integration imported into the module by id, keeping their names and tags; the table kept by
# name (the old root owns it until its step 5). The ids are
# the old state's (`terraform output websocket_api_id`, `aws apigatewayv2 get-routes`).

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

  name                     = local.name
  api_name                 = "${local.name}-websocket"
  stage_name               = "development"
  lambda_function_name     = "${local.name}-wsproxy"
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
  to = module.websocket_proxy.aws_apigatewayv2_api.this[0]
  id = var.api_id
}

import {
  to = module.websocket_proxy.aws_apigatewayv2_stage.this[0]
  id = "${var.api_id}/development"
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

# Not the table: the old root's module "websocket_lambda" holds it until step 5, and two
# states holding it would undo each other's changes. It is kept by name here
# (create_connections_table = false) and imported only when the old root lets it go with a
# `removed` block (docs/MIGRATING.md).

output "websocket_api_endpoint" {
  value = module.websocket_proxy.websocket_url
}
