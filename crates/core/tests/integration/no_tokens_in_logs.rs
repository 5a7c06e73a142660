//! Defect 5 of the contract: tokens never reach a log line, at any level, on any path
//! (accepted and refused connects, messages, backend failures, disconnects).

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use wsproxy_core::{Backend, BackendError, MemoryRegistry, Proxy, PushError, Pusher};
use wsproxy_test_support::Logs;

const TOKEN: &str = "s3cr3t-t0ken-value";

/// Accepts the connect, fails every message with a 500.
struct Backend500;

#[async_trait]
impl Backend for Backend500 {
    async fn post(&self, path: &str, _: &Value) -> Result<Value, BackendError> {
        if path.ends_with("/connect") {
            return Ok(json!({"user_id": "u1"}));
        }
        Err(BackendError::Status {
            path: path.into(),
            status: 500,
        })
    }
}

struct Sink;

#[async_trait]
impl Pusher for Sink {
    async fn push(&self, _: &str, _: Bytes) -> Result<(), PushError> {
        Ok(())
    }
}

#[tokio::test]
async fn no_log_line_carries_a_token() {
    let (captured, _guard) = Logs::capture_at(tracing::Level::TRACE);

    let proxy = Proxy::new(
        Arc::new(MemoryRegistry::new()),
        Arc::new(Backend500),
        Arc::new(Sink),
    );
    let query = |t: &str| {
        HashMap::from([
            ("type".to_owned(), "chat".to_owned()),
            ("booking_id".to_owned(), "b1".to_owned()),
            ("token".to_owned(), t.to_owned()),
        ])
    };
    assert_eq!(
        proxy.connect("c1", &query(TOKEN)).await.response.status,
        200
    );
    assert_eq!(proxy.message("c1", r#"{"text":"hi"}"#).await.status, 502);
    assert_eq!(
        proxy
            .message(
                "ghost",
                &format!(r#"{{"booking_id":"b1","token":"{TOKEN}"}}"#)
            )
            .await
            .status,
        502
    );
    assert_eq!(proxy.disconnect("c1").await.status, 200);

    let logs = captured.text();
    assert!(logs.contains("c1"), "the logs were not captured: {logs}");
    assert!(!logs.contains(TOKEN), "a token reached the logs:\n{logs}");
}
