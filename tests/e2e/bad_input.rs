//! Bad input, each with its expected answer: a backend that is down, slow, failing or
//! answering non-JSON; oversize frames and messages; binary frames; vanished clients;
//! stale registry items.

use crate::messages::assert_nothing_pending;
use crate::setup;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use wsproxy_core::{ConnectionItem, ConnectionType, Secret};
use wsproxy_e2e::{Client, Harness, Options, TestBackend};

fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

#[tokio::test]
async fn backend_down_refuses_authenticated_connects_with_502_and_errors_messages() {
    let gw = Harness::start(&closed_port_url()).await;
    let refusal = Client::connect(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice"))
        .await
        .err()
        .unwrap();
    assert_eq!(refusal.status, 502);
    assert!(
        refusal.body.contains("backend request failed"),
        "{}",
        refusal.body
    );
    assert!(
        !refusal.body.contains("tok-alice"),
        "the token leaked: {}",
        refusal.body
    );
    assert_eq!(gw.items().count().await, 0);

    let mut feed = Client::open(&gw.ws_url("type=feed")).await;
    feed.send("item").await;
    let err = feed.recv_json().await;
    assert_eq!(err["type"], "error");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .starts_with("backend request failed: "),
        "{err}"
    );
}

#[tokio::test]
async fn slow_backend_times_out_into_an_error_frame() {
    let backend = TestBackend::start().await;
    let options = Options {
        backend_timeout: Duration::from_millis(300),
        ..Options::default()
    };
    let gw = Harness::start_with(&backend.url, options).await;
    let mut c = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    c.recv_json().await;
    c.send_json(&json!({"text": "slow"})).await;
    let err = c.recv_json().await;
    assert_eq!(err["type"], "error");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("timed out after 300 ms"),
        "{err}"
    );
    // The socket still works afterwards.
    c.send_json(&json!({"text": "again"})).await;
    assert_eq!(c.recv_json().await["text"], "again");
}

#[tokio::test]
async fn backend_500_gives_an_error_frame_and_non_json_gives_an_empty_object() {
    let (_backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    c.recv_json().await;
    c.send_json(&json!({"text": "fail500"})).await;
    let err = c.recv_json().await;
    assert_eq!(err["type"], "error");
    assert!(err["error"].as_str().unwrap().contains("HTTP 500"), "{err}");
    c.send_json(&json!({"text": "nonjson"})).await;
    assert_eq!(c.recv_json().await, json!({}));
    c.send_json(&json!({"text": "array"})).await;
    assert_eq!(c.recv_json().await, json!([1, 2]));
}

#[tokio::test]
async fn a_frame_over_32_kb_closes_with_1009_and_forgets_the_connection() {
    let (_backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=feed")).await;
    gw.wait_for_items(1).await;
    let _ = c.send_message(Message::text("x".repeat(40 * 1024))).await;
    assert_eq!(c.closed().await, Some(1009));
    gw.wait_for_items(0).await;
}

#[tokio::test]
async fn a_200_kb_message_in_small_frames_closes_with_1009() {
    let (_backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=feed")).await;
    let chunk = vec![b'y'; 25 * 1024];
    let mut result = c
        .send_message(Message::Frame(Frame::message(
            chunk.clone(),
            OpCode::Data(Data::Text),
            false,
        )))
        .await;
    for _ in 0..7 {
        if result.is_err() {
            break;
        }
        result = c
            .send_message(Message::Frame(Frame::message(
                chunk.clone(),
                OpCode::Data(Data::Continue),
                false,
            )))
            .await;
    }
    assert_eq!(c.closed().await, Some(1009));
    gw.wait_for_items(0).await;
}

#[tokio::test]
async fn a_binary_frame_reaches_the_backend_as_base64_text() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=feed")).await;
    c.send_message(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    let got = c.recv_json().await;
    assert_eq!(got["item"], json!({"text": "AJ+Slg=="}));
    assert_eq!(backend.calls().len(), 1);
}

#[tokio::test]
async fn a_client_that_vanishes_is_disconnected() {
    let (_backend, gw) = setup().await;
    let c = Client::open(&gw.ws_url("type=feed")).await;
    gw.wait_for_items(1).await;
    c.vanish();
    gw.wait_for_items(0).await;
}

#[tokio::test]
async fn a_silent_client_is_closed_at_the_idle_timeout() {
    let backend = TestBackend::start().await;
    let mut options = Options::default();
    options.quotas.idle_timeout = Duration::from_millis(300);
    let gw = Harness::start_with(&backend.url, options).await;
    let mut c = Client::open(&gw.ws_url("type=feed")).await;
    assert_eq!(c.closed().await, Some(1001));
    gw.wait_for_items(0).await;
}

#[tokio::test]
async fn stale_items_are_removed_by_the_first_gone_push_and_others_still_get_it() {
    let (backend, gw) = setup().await;
    // Written a minute ago: past the grace a Gone push gives a `$connect` still running.
    let mut ghost = ConnectionItem::new(
        "b1",
        "GhostConnId0=",
        ConnectionType::Chat,
        None,
        Secret::new("t"),
    );
    ghost.created_at -= 60;
    gw.registry.put(&ghost).await.unwrap();
    // Written just now, as by a `$connect` whose socket has not opened yet: kept.
    let connecting = ConnectionItem::new(
        "b1",
        "Connecting00=",
        ConnectionType::Chat,
        None,
        Secret::new("t"),
    );
    gw.registry.put(&connecting).await.unwrap();
    let mut alice = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    alice.recv_json().await;
    let mut bob = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-bob")).await;
    bob.recv_json().await;
    alice.send_json(&json!({"text": "hello"})).await;
    assert_eq!(bob.recv_json().await["text"], "hello");
    assert_eq!(alice.recv_json().await["text"], "hello");
    gw.wait_for_items(3).await;
    assert!(gw
        .registry
        .by_connection("GhostConnId0=")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        gw.registry
            .by_connection("Connecting00=")
            .await
            .unwrap()
            .len(),
        1,
        "an item written in the last 30 s is kept: its $connect may still be running"
    );
    let bob_id = backend.connection_id_of("tok-bob");
    assert_nothing_pending(&gw, &mut bob, &bob_id).await;
}
