//! Integration tests of wsproxy-backend-http, one binary: the HTTP backend against real
//! axum servers on loopback.

mod answer_limit;
mod http_backend;
