//! One request id from the client's event to the backend's log (contract section 9):
//! every backend call of an event carries its `X-Request-Id` and a W3C `traceparent`,
//! and the error frame the sender receives names the same id.

use crate::setup;
use serde_json::json;
use std::collections::HashSet;
use wsproxy_e2e::Client;

/// `00-{32 hex}-{16 hex}-{2 hex}`, trace and span ids not all zeros.
fn is_traceparent(tp: &str) -> bool {
    let parts: Vec<&str> = tp.split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0')
    };
    parts.len() == 4
        && parts[0] == "00"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && parts[3].len() == 2
}

#[tokio::test]
async fn the_error_frame_names_the_request_id_the_backend_received() {
    let (backend, gw) = setup().await;
    let mut alice = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    alice.recv_json().await; // the ack
    alice.send_json(&json!({"text": "fail500"})).await;
    let err = alice.recv_json().await;
    assert_eq!(err["type"], "error", "{err}");
    assert!(err["error"].as_str().unwrap().contains("500"), "{err}");
    let id = err["requestId"]
        .as_str()
        .expect("the frame names its request id");
    assert!(!id.is_empty());

    let calls = backend.calls();
    let message = calls
        .iter()
        .find(|c| c.path.ends_with("/message"))
        .expect("the message reached the backend");
    assert_eq!(message.request_id.as_deref(), Some(id), "{message:?}");
    let connect = calls.iter().find(|c| c.path.ends_with("/connect")).unwrap();
    assert!(connect.request_id.is_some(), "{connect:?}");
    assert_ne!(connect.request_id.as_deref(), Some(id), "one id per event");
    let mut traces = HashSet::new();
    for call in &calls {
        let tp = call.traceparent.as_deref().unwrap_or_default();
        assert!(is_traceparent(tp), "{call:?}");
        traces.insert(tp.split('-').nth(1).unwrap().to_owned());
    }
    assert_eq!(traces.len(), 2, "one trace per event: {calls:?}");

    // A second failure is another event, with another id.
    alice.send_json(&json!({"text": "fail500"})).await;
    let again = alice.recv_json().await;
    assert_ne!(again["requestId"], err["requestId"], "{again}");
}
