//! Ids that would reroute a backend call or name a registry partition they should not
//! (dot segments, control characters, over-long, reserved), and numbers passed through
//! exactly, both ways.

use crate::messages::assert_nothing_pending;
use crate::setup;
use serde_json::{json, Value};
use wsproxy_e2e::backend::BIG_ANSWER;
use wsproxy_e2e::Client;

#[tokio::test]
async fn dot_control_long_and_reserved_booking_ids_are_refused_at_the_upgrade() {
    let (backend, gw) = setup().await;
    let long = "b".repeat(wsproxy_core::MAX_ID_BYTES + 1);
    for kind in ["chat", "booking"] {
        for (id, why) in [
            ("..", "'..' is not an id"),
            (".", "'.' is not an id"),
            ("%2E%2E", "'..' is not an id"),
            ("%2e", "'.' is not an id"),
            ("a%00b", "U+0000"),
            ("a%0Ab", "U+000A"),
            ("a%7F", "U+007F"),
            (long.as_str(), "at most 256 bytes"),
            ("feed", "reserved"),
            ("user_alice", "reserved"),
        ] {
            let query = format!("type={kind}&booking_id={id}&token=tok-alice");
            let refusal = Client::connect(&gw.ws_url(&query))
                .await
                .err()
                .unwrap_or_else(|| panic!("{query} was accepted"));
            assert_eq!(refusal.status, 400, "{query}");
            let body: Value = serde_json::from_str(&refusal.body).unwrap();
            let error = body["error"].as_str().unwrap();
            assert!(
                error.starts_with("invalid booking_id") && error.contains(why),
                "{query}: {error}"
            );
        }
    }
    assert!(backend.calls().is_empty(), "{:?}", backend.calls());
    assert_eq!(gw.items().count().await, 0);
}

#[tokio::test]
async fn a_user_id_that_cannot_be_a_partition_refuses_the_upgrade() {
    let (backend, gw) = setup().await;
    // The test backend names user `..` for token `tok-..`, and `.` for `tok-.`.
    for query in [
        "type=chat&token=tok-..",
        "type=notification&token=tok-.",
        "type=chat&booking_id=b1&token=tok-..",
    ] {
        let refusal = Client::connect(&gw.ws_url(query)).await.expect_err(query);
        assert_eq!(refusal.status, 502, "{query}");
        assert!(
            refusal.body.contains("invalid user_id"),
            "{query}: {}",
            refusal.body
        );
    }
    assert_eq!(backend.calls().len(), 3);
    assert_eq!(gw.items().count().await, 0, "an item was registered");
}

#[tokio::test]
async fn dot_booking_ids_in_a_message_body_get_an_error_frame_and_reach_no_endpoint() {
    let (backend, gw) = setup().await;
    let mut carol = Client::open(&gw.ws_url("type=chat&token=tok-carol")).await;
    carol.recv_json().await;
    let bodies = [
        json!({"booking_id": "..", "text": "x"}),
        json!({"booking_id": ".", "text": "x"}),
        json!({"booking_id": "a\u{1}", "text": "x"}),
        json!({"booking_id": "user_bob", "text": "x"}),
        json!({"booking_id": {"nested": 1}, "text": "x"}),
    ];
    for body in &bodies {
        carol.send_json(body).await;
        let err = carol.recv_json().await;
        assert_eq!(err["type"], "error", "{body}");
        assert!(
            err["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid booking_id"),
            "{body}: {err}"
        );
    }
    // A socket the registry does not know, naming a booking and a token.
    let mut feed = Client::open(&gw.ws_url("type=feed")).await;
    let feed_id = gw.registry.by_partition("feed").await.unwrap()[0]
        .connection_id
        .clone();
    gw.registry
        .remove_connection(&feed_id)
        .await
        .expect("forgetting the feed socket");
    feed.send_json(&json!({"booking_id": "..", "token": "tok-carol", "text": "x"}))
        .await;
    assert!(feed.recv_json().await["error"]
        .as_str()
        .unwrap()
        .contains("'..' is not an id"));
    let paths: Vec<String> = backend.calls().into_iter().map(|c| c.path).collect();
    assert_eq!(paths, ["/api/chat/ws/connect"], "only carol's connect");
}

#[tokio::test]
async fn a_dot_booking_id_in_the_backends_answer_is_not_used() {
    let (backend, gw) = setup().await;
    let mut alice = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    alice.recv_json().await;
    let mut bob = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-bob")).await;
    bob.recv_json().await;
    alice
        .send_json(&json!({"text": "x", "answer_booking": ".."}))
        .await;
    let err = alice.recv_json().await;
    assert_eq!(err["type"], "error");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("the backend's answer is unusable: invalid booking_id"),
        "{err}"
    );
    assert!(backend.calls_to("/participants").is_empty());
    let bob_id = backend.connection_id_of("tok-bob");
    assert_nothing_pending(&gw, &mut bob, &bob_id).await;
}

const BIG: &str = "123456789012345678901234567890";

#[tokio::test]
async fn big_numbers_reach_the_backend_and_the_client_as_written() {
    let (backend, gw) = setup().await;
    let mut carol = Client::open(&gw.ws_url("type=chat&token=tok-carol")).await;
    carol.recv_json().await;
    carol
        .send(format!(
            r#"{{"booking_id":{BIG},"text":"private","n":{BIG},"f":0.10}}"#
        ))
        .await;
    carol.recv_json().await;
    let call = &backend.calls_to("/message")[0];
    assert_eq!(call.path, format!("/api/chat/ws/{BIG}/message"));
    let message = &call.body["message"];
    assert_eq!(message["booking_id"].to_string(), BIG);
    assert_eq!(message["n"].to_string(), BIG);
    assert_eq!(message["f"].to_string(), "0.10");

    carol
        .send_json(&json!({"booking_id": "b1", "text": "bignum"}))
        .await;
    let text = carol.recv_text().await;
    let want: Value = serde_json::from_str(BIG_ANSWER).unwrap();
    assert_eq!(text, want.to_string());
    for exact in [
        "340282366920938463463374607431768211457",
        "0.1000000000000000055511151231257827",
    ] {
        assert!(text.contains(exact), "{exact} not in {text}");
    }
}
