# Migration into a configuration of its own (e.g. a team's infrastructure repository, with its
# own state), docs/MIGRATING.md "Adopting with import": the API, its stage, routes,
# integration and table imported into the module by id, keeping their names. The ids are
# the old state's (`terraform output websocket_api_id`, `aws apigatewayv2 get-routes`).

provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type    = string
  default = "chat"
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

variable "wsproxy_package" {
  type = string
}

module "websocket_proxy" {
  source = "../../../modules/websocket_proxy"

  name                   = var.name
  api_name               = "${var.name}-websocket"
  stage_name             = "development"
  lambda_function_name   = "${var.name}-wsproxy"
  connections_table_name = "${var.name}-websocket-connections"

  lambda_package = abspath(var.wsproxy_package)
  backend_url    = "https://api.example.com"
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

import {
  to = module.websocket_proxy.aws_dynamodb_table.this[0]
  id = "${var.name}-websocket-connections"
}
