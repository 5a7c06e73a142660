//! Integration tests of wsproxy-lambda-local, one binary: the Runtime and Invoke APIs driven
//! by hand over HTTP (and with the real `aws-sdk-lambda` client), and the service's own face
//! ([`wsproxy_lambda_local::LocalFunction::invoke`]).

mod common;
mod invoke;
mod processes;
mod runtime_api;
