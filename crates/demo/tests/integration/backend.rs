//! The demo backend's endpoints, over HTTP, as the proxy calls them.

use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use wsproxy_demo::{backend_router, page_router, DemoConfig, Participants};
use wsproxy_test_support::http::serve;

async fn backend() -> String {
    serve(backend_router(DemoConfig::default())).await
}

/// POSTs JSON; returns the status and the JSON answer (`null` if not JSON).
async fn post_json(url: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn booking_connect_answers_the_initial_status() {
    let base = backend().await;
    let url = format!("{base}/api/ws/bookings/b1/connect");
    let (status, body) =
        post_json(&url, json!({"connection_id": "c1", "token": "user:alice"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], "alice");
    assert_eq!(
        body["initial"],
        json!({"type": "booking_status", "booking_id": "b1", "status": "confirmed"})
    );
}

#[tokio::test]
async fn tokens_are_refused_401_and_strangers_403() {
    let base = backend().await;
    for path in [
        "/api/ws/bookings/b1/connect",
        "/api/chat/ws/b1/connect",
        "/api/chat/ws/connect",
        "/api/notifications/ws/connect",
    ] {
        let url = format!("{base}{path}");
        for bad in [
            json!({"connection_id": "c"}),
            json!({"connection_id": "c", "token": "alice"}),
        ] {
            let (status, body) = post_json(&url, bad).await;
            assert_eq!(status, 401, "{path}");
            assert_eq!(body, json!({"detail": "invalid token"}), "{path}");
        }
    }
    for path in [
        "/api/ws/bookings/b1/connect",
        "/api/chat/ws/b1/connect",
        "/api/chat/ws/b1/participants",
    ] {
        let url = format!("{base}{path}");
        let (status, body) =
            post_json(&url, json!({"connection_id": "c", "token": "user:carol"})).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("carol"), "{body}");
        let restricted = json!({"connection_id": "c", "token": "user:alice:b2,b3"});
        assert_eq!(post_json(&url, restricted).await.0, 403, "{path}");
    }
    let url = format!("{base}/api/chat/ws/b2/connect");
    let (status, body) = post_json(
        &url,
        json!({"connection_id": "c", "token": "user:bob:b2,b3"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"user_id": "bob", "booking_id": "b2", "thread_id": "thread-b2", "status": "connected"})
    );
    let message = json!({"connection_id": "c", "message": {"text": "hi"}, "token": "user:carol"});
    assert_eq!(
        post_json(&format!("{base}/api/chat/ws/b1/message"), message)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn per_user_chat_and_participants() {
    let base = backend().await;
    let (status, body) = post_json(
        &format!("{base}/api/chat/ws/connect"),
        json!({"connection_id": "c", "token": "user:carol"}),
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"user_id": "carol", "status": "connected"}))
    );
    let (status, body) = post_json(
        &format!("{base}/api/chat/ws/b1/participants"),
        json!({"token": "user:bob"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["owner_id"], "alice");
    assert_eq!(body["renter_id"], "bob");
}

#[tokio::test]
async fn configured_bookings_have_their_own_participants() {
    let mut config = DemoConfig::default();
    config
        .bookings
        .insert("b9".into(), Participants::new("carol", "dave"));
    let base = serve(backend_router(config)).await;
    let url = format!("{base}/api/chat/ws/b9/participants");
    let (status, body) = post_json(&url, json!({"token": "user:dave"})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&body["owner_id"], &body["renter_id"]),
        (&json!("carol"), &json!("dave"))
    );
    assert_eq!(post_json(&url, json!({"token": "user:alice"})).await.0, 403);
}

#[tokio::test]
async fn chat_messages_broadcast_and_are_kept() {
    let base = backend().await;
    let url = format!("{base}/api/chat/ws/b1/message");
    let send = |text: Value, token: &str| json!({"connection_id": "c1", "message": {"action": "sendMessage", "text": text}, "token": token});
    let (status, first) = post_json(&url, send(json!("hello bob"), "user:alice")).await;
    assert_eq!(status, 200);
    assert_eq!(first["type"], "chat_message");
    assert_eq!(first["booking_id"], "b1");
    assert_eq!(first["from"], "alice");
    assert_eq!(first["text"], "hello bob");
    assert_eq!(first["broadcast"], true);
    assert!(first["sent_at"].as_str().unwrap().ends_with('Z'), "{first}");
    let (_, second) = post_json(&url, send(json!("hi alice"), "user:bob")).await;
    assert_eq!(second["from"], "bob");

    let history =
        json!({"connection_id": "c2", "message": {"action": "history"}, "token": "user:bob"});
    let (status, body) = post_json(&url, history).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "chat_history");
    assert_eq!(body.get("broadcast"), None);
    assert_eq!(body["messages"], json!([first, second]));

    for bad in [json!(""), json!("   "), json!(42), json!("x".repeat(2001))] {
        let (status, body) = post_json(&url, send(bad.clone(), "user:alice")).await;
        assert_eq!(status, 200, "{bad}");
        assert_eq!(body["type"], "error", "{bad}");
        assert_eq!(body.get("broadcast"), None, "{bad}");
    }
}

#[tokio::test]
async fn a_long_chat_history_is_its_newest_messages_within_128_kib() {
    let base = backend().await;
    let url = format!("{base}/api/chat/ws/b1/message");
    // 100 messages of 2000 two-byte characters: about 400 KB in all.
    for i in 0..100 {
        let text = format!("{i:03}{}", "é".repeat(1997));
        let body = json!({"connection_id": "c1", "message": {"text": text}, "token": "user:alice"});
        assert_eq!(post_json(&url, body).await.0, 200);
    }
    let history =
        json!({"connection_id": "c1", "message": {"action": "history"}, "token": "user:bob"});
    let raw = reqwest::Client::new()
        .post(&url)
        .json(&history)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(raw.len() <= 128 * 1024, "{} bytes", raw.len());
    let body: Value = serde_json::from_str(&raw).unwrap();
    let messages = body["messages"].as_array().unwrap();
    let omitted = body["omitted"].as_u64().unwrap() as usize;
    assert!(omitted > 0 && !messages.is_empty(), "{omitted}");
    assert_eq!(messages.len() + omitted, 100);
    let first = messages[0]["text"].as_str().unwrap();
    let last = messages.last().unwrap()["text"].as_str().unwrap();
    assert!(first.starts_with(&format!("{omitted:03}")), "oldest kept");
    assert!(last.starts_with("099"), "the newest is kept");
}

#[tokio::test]
async fn notifications_go_to_the_named_user() {
    let base = backend().await;
    let connect = |token: &str| json!({"connection_id": "n1", "token": token});
    let url = format!("{base}/api/notifications/ws/connect");
    let (status, body) = post_json(&url, connect("user:bob")).await;
    assert_eq!(status, 200);
    assert_eq!(body["user_id"], "bob");
    assert_eq!(body["initial"]["type"], "notifications");
    assert_eq!(body["initial"]["unread"], 0);

    let url = format!("{base}/api/notifications/ws/message");
    let notify = json!({"connection_id": "n2", "message": {"to": "bob", "text": "your bike is ready"}, "token": "user:alice"});
    let (status, body) = post_json(&url, notify).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "notification");
    assert_eq!(body["user_id"], "bob");
    assert_eq!(body["from"], "alice");
    assert_eq!(body["unread"], 1);
    assert_eq!(body["broadcast"], true);

    let (_, body) = post_json(
        &format!("{base}/api/notifications/ws/connect"),
        connect("user:bob"),
    )
    .await;
    assert_eq!(body["initial"]["unread"], 1);
    let read =
        json!({"connection_id": "n1", "message": {"action": "markRead"}, "token": "user:bob"});
    let (_, body) = post_json(&url, read).await;
    assert_eq!(
        (body["type"].clone(), body["unread"].clone()),
        (json!("notifications"), json!(0))
    );
    assert_eq!(body.get("broadcast"), None);
    let bad = json!({"connection_id": "n1", "message": {}, "token": "nope"});
    assert_eq!(post_json(&url, bad).await.0, 401);
}

#[tokio::test]
async fn feed_items_broadcast() {
    let base = backend().await;
    let url = format!("{base}/api/ws/items-feed/message");
    let (status, body) = post_json(
        &url,
        json!({"connection_id": "f1", "message": {"title": "Bike"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "feed_item");
    assert_eq!(body["title"], "Bike");
    assert_eq!(body["broadcast"], true);
    let (_, again) = post_json(
        &url,
        json!({"connection_id": "f1", "message": {"text": "Tent"}}),
    )
    .await;
    assert_eq!(again["title"], "Tent");
    assert_ne!(again["id"], body["id"]);
    let (_, bad) = post_json(&url, json!({"connection_id": "f1", "message": {}})).await;
    assert_eq!(bad["type"], "error");
}

/// A stand-in for the gateway's `@connections` API: records pushes, `gone-*` ids answer 410.
async fn fake_gateway() -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    let pushed = Arc::new(Mutex::new(Vec::new()));
    let record = pushed.clone();
    let router = Router::new().route(
        "/dev/@connections/{id}",
        post(
            move |axum::extract::Path(id): axum::extract::Path<String>, body: String| {
                let record = record.clone();
                async move {
                    if id.starts_with("gone-") {
                        return axum::http::StatusCode::GONE;
                    }
                    record
                        .lock()
                        .unwrap()
                        .push((id, serde_json::from_str(&body).unwrap()));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    (format!("{}/dev", serve(router).await), pushed)
}

#[tokio::test]
async fn status_changes_are_pushed_through_connections() {
    let (gateway, pushed) = fake_gateway().await;
    let base = serve(backend_router(DemoConfig::with_gateway(gateway))).await;
    for (id, token) in [("a=1/x", "user:alice"), ("gone-1", "user:bob")] {
        let url = format!("{base}/api/ws/bookings/b1/connect");
        assert_eq!(
            post_json(&url, json!({"connection_id": id, "token": token}))
                .await
                .0,
            200
        );
    }
    let url = format!("{base}/demo/bookings/b1/status");
    let (status, body) = post_json(&url, json!({"status": "cancelled"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["delivered"].clone(), body["gone"].clone()),
        (json!(1), json!(1))
    );
    let expected = json!({"type": "booking_status", "booking_id": "b1", "status": "cancelled"});
    assert_eq!(
        *pushed.lock().unwrap(),
        vec![("a=1/x".to_owned(), expected)]
    );

    // The gone connection is forgotten; the new status is what the next socket gets.
    let (_, again) = post_json(&url, json!({"status": "completed"})).await;
    assert_eq!(
        (again["delivered"].clone(), again["gone"].clone()),
        (json!(1), json!(0))
    );
    let (_, shown) = post_json(
        &format!("{base}/api/ws/bookings/b1/connect"),
        json!({"connection_id": "c9", "token": "user:bob"}),
    )
    .await;
    assert_eq!(shown["initial"]["status"], "completed");
    assert_eq!(post_json(&url, json!({"status": ""})).await.0, 400);
}

#[tokio::test]
async fn pushing_without_a_gateway_is_503() {
    let base = backend().await;
    let (status, body) = post_json(
        &format!("{base}/demo/bookings/b1/status"),
        json!({"status": "cancelled"}),
    )
    .await;
    assert_eq!(status, 503);
    assert!(body["detail"].as_str().unwrap().contains("gateway"));
}

#[tokio::test]
async fn the_page_is_served_with_its_ids() {
    let base = serve(page_router("/dev")).await;
    let response = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    for id in [
        "user", "booking", "connect", "text", "send", "log", "status",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
    assert!(html.contains(r#"const WS_PATH = "/dev";"#));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external assets"
    );
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let base = backend().await;
    let ok = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(ok.status(), 200);
    let missing = reqwest::get(format!("{base}/nope")).await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn serve_backend_stops_on_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(wsproxy_demo::serve_backend_with_shutdown(
        listener,
        DemoConfig::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    assert!(matches!(ended, Ok(Ok(Ok(())))));
}
