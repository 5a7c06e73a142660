//! Payloads over the pusher's message limit are never dropped silently: the sender gets
//! an error frame (answers), or the error frame takes the payload's place (after open).

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wsproxy_core::{
    Backend, BackendError, ConnectionItem, ConnectionType, MemoryRegistry, Proxy, PushError,
    Pusher, Registry, Secret,
};

/// Answers every call with `{"pad": "x" * n}` (and an `initial` of the same on connect).
struct Padded(usize);

#[async_trait]
impl Backend for Padded {
    async fn post(&self, path: &str, _: &Value) -> Result<Value, BackendError> {
        let pad = "x".repeat(self.0);
        Ok(match path.ends_with("/connect") {
            true => json!({"initial": {"pad": pad}}),
            false => json!({"pad": pad, "broadcast": true}),
        })
    }
}

/// A pusher that takes at most 150 bytes and records what it was given.
#[derive(Default)]
struct Small(Mutex<Vec<(String, String)>>);

#[async_trait]
impl Pusher for Small {
    async fn push(&self, id: &str, data: Bytes) -> Result<(), PushError> {
        assert!(data.len() <= 150, "the core pushed {} bytes", data.len());
        let text = String::from_utf8(data.to_vec()).unwrap();
        self.0.lock().unwrap().push((id.to_owned(), text));
        Ok(())
    }

    fn max_message_bytes(&self) -> usize {
        150
    }
}

async fn proxy(pad: usize) -> (Proxy, Arc<Small>) {
    let registry = Arc::new(MemoryRegistry::new());
    for id in ["f1", "f2"] {
        let item = ConnectionItem::new("feed", id, ConnectionType::Feed, None, Secret::default());
        registry.put(&item).await.unwrap();
    }
    let pusher = Arc::new(Small::default());
    let proxy = Proxy::new(registry, Arc::new(Padded(pad)), pusher.clone());
    (proxy, pusher)
}

#[tokio::test]
async fn an_answer_over_the_limit_is_an_error_frame_for_the_sender_only() {
    let (proxy, pusher) = proxy(200).await;
    let answer = proxy.message("f1", "hi").await;
    assert_eq!(answer.status, 502);
    let pushes = pusher.0.lock().unwrap().clone();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0].0, "f1");
    let frame: Value = serde_json::from_str(&pushes[0].1).unwrap();
    assert_eq!(frame["type"], "error");
    assert!(frame["error"]
        .as_str()
        .unwrap()
        .contains("over the 150-byte message limit"));
}

#[tokio::test]
async fn an_answer_at_the_limit_reaches_everyone() {
    // {"broadcast":true,"pad":"..."} is 29 bytes plus the pad.
    let (proxy, pusher) = proxy(150 - 29).await;
    assert_eq!(proxy.message("f1", "hi").await.status, 200);
    assert_eq!(pusher.0.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_initial_message_over_the_limit_is_replaced_by_an_error_frame() {
    let (proxy, _) = proxy(200).await;
    let query = HashMap::from([
        ("type".to_owned(), "notification".to_owned()),
        ("token".to_owned(), "t".to_owned()),
    ]);
    // The backend names no user: refused. Booking connections need no user.
    assert_eq!(proxy.connect("n1", &query).await.response.status, 401);
    let query = HashMap::from([
        ("booking_id".to_owned(), "b1".to_owned()),
        ("token".to_owned(), "t".to_owned()),
    ]);
    let out = proxy.connect("b1c", &query).await;
    assert_eq!(out.response.status, 200);
    assert_eq!(out.after_open.len(), 1);
    assert_eq!(out.after_open[0]["type"], "error");
    assert!(out.after_open[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("the backend's initial message is 210 bytes, over the 150-byte"));
}
