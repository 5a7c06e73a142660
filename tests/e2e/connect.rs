//! Contract section 2: `$connect`, per row of the table, and its refusals.

use crate::setup;
use serde_json::json;
use wsproxy_core::{ConnectionType, ITEM_TTL_SECS};
use wsproxy_e2e::Client;

#[tokio::test]
async fn booking_registers_after_auth_and_delivers_initial_once_open() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=booking&booking_id=b1&token=tok-alice")).await;
    let initial = c.recv_json().await;
    assert_eq!(
        initial,
        json!({"type": "booking_status", "booking_id": "b1", "status": "confirmed"})
    );
    let calls = backend.calls_to("/api/ws/bookings/b1/connect");
    assert_eq!(calls.len(), 1);
    let id = calls[0].body["connection_id"].as_str().unwrap().to_owned();
    assert_eq!(
        calls[0].body,
        json!({"connection_id": id, "token": "tok-alice"})
    );
    let items = gw.registry.by_connection(&id).await.unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(
        (item.partition.as_str(), item.connection_type),
        ("b1", ConnectionType::Booking)
    );
    assert_eq!(item.token.expose(), "tok-alice");
    assert_eq!(item.ttl - item.created_at, ITEM_TTL_SECS);
}

#[tokio::test]
async fn type_defaults_to_booking_and_no_initial_means_no_message() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("booking_id=noinit&token=tok-alice")).await;
    assert_eq!(backend.calls_to("/api/ws/bookings/noinit/connect").len(), 1);
    c.send("hello").await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "ack", "message": "Received"})
    );
}

#[tokio::test]
async fn booking_without_booking_id_is_400() {
    let (backend, gw) = setup().await;
    let refusal = Client::connect(&gw.ws_url("type=booking&token=tok-alice"))
        .await
        .expect_err("must be refused");
    assert_eq!(refusal.status, 400);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&refusal.body).unwrap(),
        json!({"error": "booking_id required for booking connections"})
    );
    assert!(backend.calls().is_empty());
    assert_eq!(gw.items().count().await, 0);
}

#[tokio::test]
async fn missing_token_is_401_for_every_authenticated_type() {
    let (backend, gw) = setup().await;
    for query in [
        "type=booking&booking_id=b1",
        "type=chat&booking_id=b1",
        "type=chat",
        "type=notification",
        "type=chat&token=",
    ] {
        let refusal = Client::connect(&gw.ws_url(query)).await.expect_err(query);
        assert_eq!(refusal.status, 401, "{query}");
        assert!(
            refusal.body.contains("token required"),
            "{query}: {}",
            refusal.body
        );
    }
    assert!(backend.calls().is_empty());
    assert_eq!(gw.items().count().await, 0);
}

#[tokio::test]
async fn unknown_type_is_400() {
    let (backend, gw) = setup().await;
    let refusal = Client::connect(&gw.ws_url("type=poll&token=tok-a"))
        .await
        .err()
        .unwrap();
    assert_eq!(refusal.status, 400);
    assert!(
        refusal.body.contains("unknown connection type"),
        "{}",
        refusal.body
    );
    assert!(backend.calls().is_empty());
}

#[tokio::test]
async fn refused_tokens_get_no_socket_and_leave_no_item() {
    let (backend, gw) = setup().await;
    for (query, status) in [
        ("type=chat&booking_id=b1&token=tok%20bad", 401),
        ("type=chat&booking_id=b1&token=tok-forbidden", 403),
        ("type=booking&booking_id=b1&token=nope", 401),
        ("type=notification&token=nope", 401),
        ("type=chat&token=tok-forbidden", 403),
    ] {
        let refusal = Client::connect(&gw.ws_url(query)).await.expect_err(query);
        assert_eq!(refusal.status, status, "{query}");
    }
    assert_eq!(backend.calls().len(), 5);
    assert_eq!(
        gw.items().count().await,
        0,
        "a refused connection left an item"
    );
}

#[tokio::test]
async fn chat_with_booking_acks_once_open() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    let ack = c.recv_json().await;
    assert_eq!(
        (ack["type"].as_str(), ack["status"].as_str()),
        (Some("connected"), Some("ready"))
    );
    assert!(ack["message"].is_string());
    let id = backend.connection_id_of("tok-alice");
    let items = gw.registry.by_connection(&id).await.unwrap();
    assert_eq!(items[0].partition, "b1");
    assert_eq!(items[0].user_id.as_deref(), Some("alice"));
}

#[tokio::test]
async fn chat_without_booking_is_one_socket_per_user() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=chat&token=tok-carol")).await;
    assert_eq!(c.recv_json().await["type"], "connected");
    assert_eq!(backend.calls_to("/api/chat/ws/connect").len(), 1);
    let items = gw.registry.by_partition("user_carol").await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].connection_type, ConnectionType::Chat);
}

#[tokio::test]
async fn an_answer_without_user_id_refuses_per_user_sockets() {
    let (_backend, gw) = setup().await;
    for query in [
        "type=chat&token=tok-nouser",
        "type=notification&token=tok-nouser",
    ] {
        let refusal = Client::connect(&gw.ws_url(query)).await.expect_err(query);
        assert_eq!(refusal.status, 401, "{query}");
        assert!(refusal.body.contains("user_id"), "{}", refusal.body);
    }
    assert_eq!(gw.items().count().await, 0);
}

#[tokio::test]
async fn notification_registers_per_user_and_delivers_initial() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=notification&token=tok-dave")).await;
    assert_eq!(c.recv_json().await, json!({"type": "unread", "count": 3}));
    assert_eq!(backend.calls_to("/api/notifications/ws/connect").len(), 1);
    let items = gw.registry.by_partition("user_dave").await.unwrap();
    assert_eq!(items[0].connection_type, ConnectionType::Notification);
}

#[tokio::test]
async fn feed_needs_nothing_and_is_registered() {
    let (backend, gw) = setup().await;
    let _c = Client::open(&gw.ws_url("type=feed")).await;
    assert!(backend.calls().is_empty());
    let items = gw.registry.by_partition("feed").await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].connection_type, ConnectionType::Feed);
}

#[tokio::test]
async fn token_is_url_decoded_before_use() {
    let (backend, gw) = setup().await;
    let _c = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-al%2Bice")).await;
    let calls = backend.calls_to("/api/chat/ws/b1/connect");
    assert_eq!(calls[0].body["token"], "tok-al+ice");
}
