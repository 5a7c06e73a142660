//! The request id of an event (contract section 9): on every log line the core writes
//! for it, in the error frame its sender receives, and absent outside any event.

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wsproxy_core::{
    Backend, BackendError, MemoryRegistry, Proxy, PushError, Pusher, RequestContext,
};
use wsproxy_test_support::Logs;

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

/// Keeps every frame pushed.
#[derive(Default)]
struct Frames(Mutex<Vec<Value>>);

#[async_trait]
impl Pusher for Frames {
    async fn push(&self, _: &str, data: Bytes) -> Result<(), PushError> {
        self.0
            .lock()
            .unwrap()
            .push(serde_json::from_slice(&data).unwrap());
        Ok(())
    }
}

#[tokio::test]
async fn every_log_line_and_the_error_frame_carry_the_request_id() {
    let captured = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_current_span(true)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let frames = Arc::new(Frames::default());
    let proxy = Proxy::new(
        Arc::new(MemoryRegistry::new()),
        Arc::new(Backend500),
        frames.clone(),
    );
    let query = HashMap::from([
        ("type".to_owned(), "chat".to_owned()),
        ("booking_id".to_owned(), "b1".to_owned()),
        ("token".to_owned(), "t".to_owned()),
    ]);
    let connect = RequestContext::new("connect-id=");
    let outcome = connect.scope(proxy.connect("c1", &query)).await;
    assert_eq!(outcome.response.status, 200);
    let message = RequestContext::new("message-id=");
    let answer = message.scope(proxy.message("c1", "hi")).await;
    assert_eq!(answer.status, 502);
    let in_events = captured.text().len();
    let without = proxy.message("c1", "hi").await;
    assert_eq!(without.status, 502);

    let frames = frames.0.lock().unwrap().clone();
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[0]["type"], "error");
    assert_eq!(frames[0]["requestId"], "message-id=", "{}", frames[0]);
    assert!(frames[0]["error"].as_str().unwrap().contains("HTTP 500"));
    assert_eq!(frames[1].get("requestId"), None, "no event, no id");

    let text = captured.text();
    let lines = |text: &str| -> Vec<Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (inside, outside) = text.split_at(in_events);
    let ids: Vec<String> = lines(inside)
        .iter()
        .map(|line| {
            assert_eq!(line["span"]["connection_id"], "c1", "{line}");
            line["span"]["request_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(ids.contains(&"connect-id=".into()), "{inside}");
    assert!(ids.contains(&"message-id=".into()), "{inside}");
    assert!(ids.iter().all(|id| !id.is_empty()), "{inside}");
    for line in lines(outside) {
        assert_eq!(line["span"]["request_id"], "", "outside an event: {line}");
    }
}
