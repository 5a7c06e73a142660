//! A real HTTP backend for the tests: the contract's endpoints, scripted by token and
//! message text, recording every call it receives.
//!
//! Tokens: `tok-<user>` is user `<user>`; `tok-forbidden` answers 403; `tok-nouser` is
//! accepted without a `user_id`; anything else answers 401. Booking `b`'s participants are
//! `o_<b>` (owner) and `r_<b>` (renter), except booking `solo`,
//! whose owner `o_solo` is its renter too. Message texts script the answer: `private`
//! (no broadcast), `fail500`, `slow` (sleeps past any test timeout), `nonjson`, `array`,
//! `bignum` (answers [`BIG_ANSWER`], numbers beyond f64 written exactly), `big:N` (a JSON
//! answer of N bytes, streamed without `Content-Length`: see [`crate::big`]). Booking
//! `biginit`'s connect answers an `initial` message of 200 KB.

use crate::big::{self, Writes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The answer to a message whose text is `bignum`, as the backend writes it.
pub const BIG_ANSWER: &str = r#"{"type":"bignum","n":340282366920938463463374607431768211457,"f":0.1000000000000000055511151231257827}"#;

/// One request the backend received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Path, beginning with `/`.
    pub path: String,
    /// JSON body.
    pub body: Value,
    /// Its `X-Request-Id` header, if any.
    pub request_id: Option<String>,
    /// Its `traceparent` header, if any.
    pub traceparent: Option<String>,
}

/// The running backend.
#[derive(Clone)]
pub struct TestBackend {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    calls: Arc<Mutex<Vec<Call>>>,
    writes: Arc<Writes>,
}

impl std::fmt::Debug for TestBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestBackend")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl TestBackend {
    /// Starts the backend on a free loopback port.
    pub async fn start() -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let writes = Arc::new(Writes::default());
        let router = Router::new()
            .route("/{*path}", post(handle))
            .with_state(Shared {
                calls: calls.clone(),
                writes: writes.clone(),
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, calls, writes }
    }

    /// What became of the streamed `big:N` answers.
    pub fn writes(&self) -> &Writes {
        &self.writes
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Calls to paths ending with `suffix`.
    pub fn calls_to(&self, suffix: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.path.ends_with(suffix))
            .collect()
    }

    /// The connection id the proxy sent with the most recent connect carrying `token`.
    pub fn connection_id_of(&self, token: &str) -> String {
        self.calls()
            .into_iter()
            .rev()
            .find(|c| c.path.ends_with("/connect") && c.body["token"] == token)
            .and_then(|c| c.body["connection_id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no connect call with token {token}"))
    }
}

#[derive(Clone)]
struct Shared {
    calls: Arc<Mutex<Vec<Call>>>,
    writes: Arc<Writes>,
}

async fn handle(
    State(shared): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let calls = &shared.calls;
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let path = format!("/{path}");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    calls.lock().unwrap().push(Call {
        path: path.clone(),
        body: body.clone(),
        request_id: header("x-request-id"),
        traceparent: header("traceparent"),
    });
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let token = body["token"].as_str().unwrap_or_default();
    let user = match token {
        "tok-forbidden" => {
            return (StatusCode::FORBIDDEN, Json(json!({"detail": "forbidden"}))).into_response()
        }
        "tok-nouser" => None,
        t => t.strip_prefix("tok-").map(str::to_owned),
    };
    let needs_auth = !matches!(segments.as_slice(), ["api", "ws", "items-feed", "message"]);
    if needs_auth && user.is_none() && token != "tok-nouser" {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"detail": "invalid token"})),
        )
            .into_response();
    }
    let message = &body["message"];
    match message["text"].as_str() {
        Some("fail500") => return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        Some("nonjson") => return (StatusCode::OK, "plain text").into_response(),
        Some("array") => return Json(json!([1, 2])).into_response(),
        Some(text) if text.starts_with("big:") => {
            let size = text["big:".len()..]
                .parse()
                .expect("big:N takes a byte count");
            return big::streamed(shared.writes.clone(), size);
        }
        Some("bignum") => {
            return ([("content-type", "application/json")], BIG_ANSWER).into_response()
        }
        Some("slow") => tokio::time::sleep(Duration::from_secs(30)).await,
        _ => {}
    }
    let answer = match segments.as_slice() {
        ["api", "ws", "bookings", b, "connect"] if *b == "noinit" => json!({"status": "ok"}),
        ["api", "ws", "bookings", b, "connect"] if *b == "biginit" => {
            json!({"initial": {"type": "booking_status", "pad": "x".repeat(200 * 1024)}})
        }
        ["api", "ws", "bookings", b, "connect"] => {
            json!({"initial": {"type": "booking_status", "booking_id": b, "status": "confirmed"}})
        }
        ["api", "chat", "ws", "connect"] => match &user {
            Some(u) => json!({"user_id": u, "status": "connected"}),
            None => json!({"status": "connected"}),
        },
        ["api", "chat", "ws", b, "connect"] => {
            json!({"user_id": user, "booking_id": b, "thread_id": format!("t-{b}"), "status": "connected"})
        }
        ["api", "chat", "ws", b, "participants"] => {
            let renter = if *b == "solo" {
                format!("o_{b}")
            } else {
                format!("r_{b}")
            };
            json!({"owner_id": format!("o_{b}"), "renter_id": renter})
        }
        ["api", "chat", "ws", b, "message"] => {
            let text = message["text"].clone();
            let broadcast = text != "private";
            // `{"answer_booking": X}` makes the answer name another booking, as a backend may.
            let booking = message["answer_booking"].as_str().unwrap_or(b);
            json!({"type": "chat_message", "booking_id": booking, "from": user, "text": text, "broadcast": broadcast})
        }
        ["api", "notifications", "ws", "connect"] => match &user {
            Some(u) => json!({"user_id": u, "initial": {"type": "unread", "count": 3}}),
            None => json!({"status": "connected"}),
        },
        ["api", "notifications", "ws", "message"] => match message["to"].as_str() {
            Some(to) => {
                json!({"type": "notification", "user_id": to, "text": message["text"], "broadcast": true})
            }
            None => json!({"type": "notification", "text": message["text"]}),
        },
        ["api", "ws", "items-feed", "message"] => {
            json!({"type": "feed_item", "item": message, "broadcast": true})
        }
        _ => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"detail": "no such endpoint"})),
            )
                .into_response()
        }
    };
    Json(answer).into_response()
}
