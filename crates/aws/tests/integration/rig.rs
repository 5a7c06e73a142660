//! What a test of the whole core needs besides the part under test: a real HTTP backend
//! and a pusher that records what it was asked to send.

use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{PushError, Pusher};

/// A backend on 127.0.0.1 that accepts every connect (user `u-1`) and answers every message
/// with `{"type":"reply"}`; returns it and the paths it was called on.
pub(crate) async fn backend() -> (HttpBackend, Arc<Mutex<Vec<String>>>) {
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = paths.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(uri.path().to_owned());
            axum::Json(json!({"user_id": "u-1", "type": "reply"}))
        }
    });
    let url = wsproxy_test_support::http::serve(app).await;
    let backend = HttpBackend::new(&url, Duration::from_secs(5)).unwrap();
    (backend, paths)
}

/// The query of a chat `$connect` for booking `b-1` with a token.
pub(crate) fn chat_query(token: &str) -> HashMap<String, String> {
    [("type", "chat"), ("booking_id", "b-1"), ("token", token)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A pusher that delivers everything and remembers (connection id, JSON sent).
#[derive(Default)]
pub(crate) struct Recorder(Mutex<Vec<(String, Value)>>);

impl Recorder {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub(crate) fn sent(&self) -> Vec<(String, Value)> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Pusher for Recorder {
    async fn push(&self, connection_id: &str, data: Bytes) -> Result<(), PushError> {
        let value = serde_json::from_slice(&data).unwrap_or(Value::Null);
        self.0
            .lock()
            .unwrap()
            .push((connection_id.to_owned(), value));
        Ok(())
    }
}
