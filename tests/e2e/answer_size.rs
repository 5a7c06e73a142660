//! Backend answers over the message limit: the read stops early, and the sender always
//! learns why (an error frame), never silence.

use crate::messages::assert_nothing_pending;
use crate::setup;
use serde_json::json;
use wsproxy_e2e::{Client, Harness, Options, TestBackend};

/// Opens a chat socket on booking b1 for `token` and swallows its ack.
async fn chat(gw: &Harness, token: &str) -> Client {
    let mut c = Client::open(&gw.ws_url(&format!("type=chat&booking_id=b1&token={token}"))).await;
    assert_eq!(c.recv_json().await["type"], "connected");
    c
}

fn error_of(frame: &serde_json::Value) -> &str {
    assert_eq!(frame["type"], "error", "{frame}");
    frame["error"].as_str().unwrap()
}

#[tokio::test]
async fn a_50_mb_answer_is_cut_short_and_the_sender_told_the_limit() {
    let (backend, gw) = setup().await;
    let mut alice = chat(&gw, "tok-alice").await;
    alice
        .send_json(&json!({"text": format!("big:{}", 50 * 1024 * 1024)}))
        .await;
    let frame = alice.recv_json().await;
    let error = error_of(&frame);
    assert!(
        error.starts_with("backend request failed: ") && error.contains("131072-byte limit"),
        "{error}"
    );
    backend.writes().wait_for_cut(1).await;
    assert_eq!(backend.writes().finished(), 0);
    assert!(backend.writes().written() < 50 * 1024 * 1024);
    // The socket still works.
    alice.send_json(&json!({"text": "private"})).await;
    assert_eq!(alice.recv_json().await["text"], "private");
}

#[tokio::test]
async fn a_200_kb_answer_is_an_error_frame_and_100_kb_is_delivered() {
    let (backend, gw) = setup().await;
    let mut alice = chat(&gw, "tok-alice").await;
    let mut bob = chat(&gw, "tok-bob").await;
    alice
        .send_json(&json!({"text": format!("big:{}", 200 * 1024)}))
        .await;
    let frame = alice.recv_json().await;
    assert!(
        error_of(&frame).contains("over the 131072-byte limit"),
        "{frame}"
    );
    let bob_id = backend.connection_id_of("tok-bob");
    assert_nothing_pending(&gw, &mut bob, &bob_id).await;

    alice
        .send_json(&json!({"text": format!("big:{}", 100 * 1024)}))
        .await;
    let text = alice.recv_text().await;
    assert_eq!(text.len(), 100 * 1024);
    assert!(text.starts_with(r#"{"pad":"xxx"#), "{}", &text[..40]);
}

/// The backend client reads up to 1 MiB, more than a push may carry: the core's own check
/// answers instead of the pusher's silent refusal.
async fn generous_reader() -> (TestBackend, Harness) {
    let backend = TestBackend::start().await;
    let options = Options {
        backend_max_answer_bytes: Some(1024 * 1024),
        ..Options::default()
    };
    let gw = Harness::start_with(&backend.url, options).await;
    (backend, gw)
}

#[tokio::test]
async fn an_answer_read_but_over_the_message_limit_is_an_error_frame_for_the_sender() {
    let (backend, gw) = generous_reader().await;
    let mut alice = chat(&gw, "tok-alice").await;
    let mut bob = chat(&gw, "tok-bob").await;
    alice
        .send_json(&json!({"text": format!("big:{}", 200 * 1024)}))
        .await;
    let frame = alice.recv_json().await;
    let error = error_of(&frame);
    assert!(
        error.contains("the backend's answer is 204800 bytes, over the 131072-byte message limit"),
        "{error}"
    );
    assert_eq!(backend.writes().finished(), 1, "read whole, within 1 MiB");
    let bob_id = backend.connection_id_of("tok-bob");
    assert_nothing_pending(&gw, &mut bob, &bob_id).await;
}

#[tokio::test]
async fn an_initial_message_over_the_limit_becomes_an_error_frame_once_open() {
    let (_backend, gw) = generous_reader().await;
    let mut c = Client::open(&gw.ws_url("type=booking&booking_id=biginit&token=tok-alice")).await;
    let frame = c.recv_json().await;
    let error = error_of(&frame);
    assert!(
        error.starts_with("the backend's initial message is ")
            && error.contains("over the 131072-byte message limit"),
        "{error}"
    );
    c.send("still open").await;
    assert_eq!(c.recv_json().await["type"], "ack");
}
