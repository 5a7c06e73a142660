//! Contract section 3: messages, backend calls and the broadcast rules.

use crate::setup;
use serde_json::{json, Value};
use wsproxy_e2e::{Client, Harness};

/// Opens a chat socket and swallows its ack.
async fn chat(gw: &Harness, query: &str) -> Client {
    let mut c = Client::open(&gw.ws_url(&format!("type=chat&{query}"))).await;
    assert_eq!(c.recv_json().await["type"], "connected");
    c
}

/// Asserts `client` received nothing before a marker pushed to it now.
pub(crate) async fn assert_nothing_pending(gw: &Harness, client: &mut Client, connection_id: &str) {
    let marker = json!({"marker": connection_id});
    assert_eq!(gw.push(connection_id, marker.to_string()).await, 200);
    assert_eq!(
        client.recv_json().await,
        marker,
        "an unexpected message arrived first"
    );
}

#[tokio::test]
async fn booking_messages_are_acked_without_a_backend_call() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=booking&booking_id=b1&token=tok-alice")).await;
    c.recv_json().await;
    c.send_json(&json!({"action": "ping"})).await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "ack", "message": "Received"})
    );
    assert_eq!(backend.calls().len(), 1, "only the connect call");
}

#[tokio::test]
async fn chat_broadcast_reaches_the_booking_and_not_outsiders() {
    let (backend, gw) = setup().await;
    let mut alice = chat(&gw, "booking_id=b1&token=tok-alice").await;
    let mut bob = chat(&gw, "booking_id=b1&token=tok-bob").await;
    let mut eve = chat(&gw, "booking_id=b2&token=tok-eve").await;
    alice.send_json(&json!({"text": "hi bob"})).await;
    let got_bob = bob.recv_json().await;
    let got_alice = alice.recv_json().await;
    assert_eq!(got_bob, got_alice);
    assert_eq!(got_bob["text"], "hi bob");
    assert_eq!(got_bob["from"], "alice");
    let eve_id = backend.connection_id_of("tok-eve");
    assert_nothing_pending(&gw, &mut eve, &eve_id).await;

    let call = &backend.calls_to("/api/chat/ws/b1/message")[0];
    let alice_id = backend.connection_id_of("tok-alice");
    assert_eq!(
        call.body,
        json!({"connection_id": alice_id, "message": {"text": "hi bob"}, "token": "tok-alice"})
    );
    let participants = backend.calls_to("/api/chat/ws/b1/participants");
    assert_eq!(participants[0].body, json!({"token": "tok-alice"}));
}

#[tokio::test]
async fn chat_broadcast_reaches_participants_per_user_sockets_once() {
    let (backend, gw) = setup().await;
    let mut alice = chat(&gw, "booking_id=solo&token=tok-alice").await;
    // The test backend names o_solo as both owner and renter of booking "solo".
    let mut owner = chat(&gw, "token=tok-o_solo").await;
    let mut owner_notes = Client::open(&gw.ws_url("type=notification&token=tok-o_solo")).await;
    owner_notes.recv_json().await;
    alice.send_json(&json!({"text": "to the owner"})).await;
    assert_eq!(owner.recv_json().await["text"], "to the owner");
    assert_eq!(alice.recv_json().await["text"], "to the owner");
    let id_of = |path: &str| {
        backend.calls_to(path).last().unwrap().body["connection_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let owner_id = id_of("/api/chat/ws/connect");
    let notes_id = id_of("/api/notifications/ws/connect");
    assert_nothing_pending(&gw, &mut owner, &owner_id).await;
    assert_nothing_pending(&gw, &mut owner_notes, &notes_id).await;
}

#[tokio::test]
async fn owner_and_renter_sockets_of_a_booking_get_its_broadcast() {
    let (_backend, gw) = setup().await;
    let mut alice = chat(&gw, "booking_id=b1&token=tok-alice").await;
    let mut owner = chat(&gw, "token=tok-o_b1").await;
    let mut renter = chat(&gw, "token=tok-r_b1").await;
    alice.send_json(&json!({"text": "all"})).await;
    assert_eq!(owner.recv_json().await["text"], "all");
    assert_eq!(renter.recv_json().await["text"], "all");
    assert_eq!(alice.recv_json().await["text"], "all");
}

#[tokio::test]
async fn an_answer_without_broadcast_goes_to_the_sender_only() {
    let (backend, gw) = setup().await;
    let mut alice = chat(&gw, "booking_id=b1&token=tok-alice").await;
    let mut bob = chat(&gw, "booking_id=b1&token=tok-bob").await;
    alice.send_json(&json!({"text": "private"})).await;
    let got = alice.recv_json().await;
    assert_eq!(
        (got["text"].as_str(), got["broadcast"].as_bool()),
        (Some("private"), Some(false))
    );
    let bob_id = backend.connection_id_of("tok-bob");
    assert_nothing_pending(&gw, &mut bob, &bob_id).await;
}

#[tokio::test]
async fn bodies_that_are_not_objects_are_sent_as_text() {
    let (backend, gw) = setup().await;
    let mut alice = chat(&gw, "booking_id=b1&token=tok-alice").await;
    for body in ["hello there", "[1,2,3]", "42", "\"quoted\"", "{not json"] {
        alice.send(body).await;
        assert_eq!(alice.recv_json().await["text"], body);
        let last = backend.calls_to("/message").last().unwrap().body.clone();
        assert_eq!(last["message"], json!({"text": body}));
    }
}

#[tokio::test]
async fn booking_id_in_the_body_overrides_the_registered_one() {
    let (backend, gw) = setup().await;
    let mut carol = chat(&gw, "token=tok-carol").await;
    let mut b7 = chat(&gw, "booking_id=b7&token=tok-bob").await;
    carol
        .send_json(&json!({"booking_id": "b7", "text": "about b7"}))
        .await;
    assert_eq!(b7.recv_json().await["text"], "about b7");
    assert_eq!(backend.calls_to("/api/chat/ws/b7/message").len(), 1);
    // A per-user chat socket without a booking_id in the body gets an error frame.
    carol.send_json(&json!({"text": "which booking?"})).await;
    let err = carol.recv_json().await;
    assert_eq!(err["type"], "error");
    assert!(err["error"]
        .as_str()
        .unwrap()
        .contains("booking_id required"));
}

#[tokio::test]
async fn notification_broadcast_reaches_the_users_notification_sockets_only() {
    let (backend, gw) = setup().await;
    let mut alice = Client::open(&gw.ws_url("type=notification&token=tok-alice")).await;
    alice.recv_json().await;
    let mut bob1 = Client::open(&gw.ws_url("type=notification&token=tok-bob")).await;
    bob1.recv_json().await;
    let bob1_id = backend.connection_id_of("tok-bob");
    let mut bob2 = Client::open(&gw.ws_url("type=notification&token=tok-bob")).await;
    bob2.recv_json().await;
    let mut bob_chat = chat(&gw, "token=tok-bob").await;
    let bob_chat_id = backend.connection_id_of("tok-bob");
    alice.send_json(&json!({"to": "bob", "text": "ding"})).await;
    assert_eq!(bob1.recv_json().await["text"], "ding");
    assert_eq!(bob2.recv_json().await["text"], "ding");
    assert_nothing_pending(&gw, &mut bob_chat, &bob_chat_id).await;
    let call = backend
        .calls_to("/api/notifications/ws/message")
        .pop()
        .unwrap();
    assert_eq!(call.body["token"], "tok-alice");
    assert_eq!(call.body["message"], json!({"to": "bob", "text": "ding"}));
    // Without a user_id in the answer it goes back to the sender.
    alice.send_json(&json!({"text": "self"})).await;
    assert_eq!(alice.recv_json().await["text"], "self");
    assert_nothing_pending(&gw, &mut bob1, &bob1_id).await;
}

#[tokio::test]
async fn feed_broadcast_reaches_every_feed_socket() {
    let (backend, gw) = setup().await;
    let mut a = Client::open(&gw.ws_url("type=feed")).await;
    let mut b = Client::open(&gw.ws_url("type=feed")).await;
    a.send_json(&json!({"title": "new item"})).await;
    for c in [&mut a, &mut b] {
        let got: Value = c.recv_json().await;
        assert_eq!(got["type"], "feed_item");
        assert_eq!(got["item"]["title"], "new item");
    }
    let call = backend
        .calls_to("/api/ws/items-feed/message")
        .pop()
        .unwrap();
    assert!(
        call.body.get("token").is_none(),
        "feed messages carry no token"
    );
    assert_eq!(call.body["message"], json!({"title": "new item"}));
}

#[tokio::test]
async fn unknown_connections_get_reconnect_unless_they_carry_booking_and_token() {
    let (backend, gw) = setup().await;
    let mut bob = chat(&gw, "booking_id=b1&token=tok-bob").await;
    let mut c = Client::open(&gw.ws_url("type=feed")).await;
    let id = gw.registry.by_partition("feed").await.unwrap()[0]
        .connection_id
        .clone();
    gw.registry.remove_connection(&id).await.unwrap();
    c.send_json(&json!({"text": "anyone?"})).await;
    let mut frame = c.recv_json().await;
    assert!(frame["requestId"].is_string(), "{frame}");
    frame.as_object_mut().unwrap().remove("requestId");
    assert_eq!(
        frame,
        json!({"type": "error", "error": "Connection metadata not found. Please reconnect."})
    );
    c.send_json(&json!({"booking_id": "b1", "token": "tok-zed", "text": "via body"}))
        .await;
    assert_eq!(bob.recv_json().await["text"], "via body");
    let call = backend.calls_to("/api/chat/ws/b1/message").pop().unwrap();
    assert_eq!(call.body["token"], "tok-zed");
    assert_eq!(call.body["connection_id"], id);
}

#[tokio::test]
async fn the_answers_booking_id_decides_the_chat_broadcast() {
    let (backend, gw) = setup().await;
    let mut alice = chat(&gw, "booking_id=b1&token=tok-alice").await;
    let mut in_b9 = chat(&gw, "booking_id=b9&token=tok-bob").await;
    let alice_id = backend.connection_id_of("tok-alice");
    alice
        .send_json(&json!({"text": "moved", "answer_booking": "b9"}))
        .await;
    assert_eq!(in_b9.recv_json().await["text"], "moved");
    assert_eq!(backend.calls_to("/api/chat/ws/b9/participants").len(), 1);
    // The sender is in b1, not b9: nothing reached it.
    assert_nothing_pending(&gw, &mut alice, &alice_id).await;
}
