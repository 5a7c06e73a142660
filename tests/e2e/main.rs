//! The contract's end-to-end suite: real WebSocket clients, the real gateway, a real
//! HTTP backend. One binary, one module per part of the contract.

mod answer_size;
mod bad_input;
mod churn;
mod connect;
mod connections_api;
mod ids;
mod lifecycle;
mod messages;
mod store_errors;

use wsproxy_e2e::{Harness, TestBackend};

/// A backend and a gateway in front of it.
pub async fn setup() -> (TestBackend, Harness) {
    let backend = TestBackend::start().await;
    let gateway = Harness::start(&backend.url).await;
    (backend, gateway)
}
