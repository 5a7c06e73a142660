//! Integration tests of wsproxy-gateway, one binary: real WebSocket clients, raw TCP and
//! HTTP against a gateway on 127.0.0.1:0, with a recording integration, the wsproxy core,
//! or a real Lambda function behind it. `edge_fd_exhaustion` is a binary of its own (see
//! `Cargo.toml`).

mod budget;
mod common;
mod connections_api;
mod core_integration;
mod edge_limits;
mod function_keys;
mod lambda_authorizer;
mod lambda_children;
mod lambda_events;
mod lambda_function;
mod lambda_reload;
mod lambda_route_answers;
mod lambda_route_responses;
mod lambda_setup;
mod lambda_tls;
mod properties;
mod tls;
mod tls_ca_limits;
mod tls_folder;
mod websocket;
