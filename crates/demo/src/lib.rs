//! The demo of `wsproxy serve --demo`: an HTTP backend implementing every endpoint the
//! proxy calls (contract sections 2 and 3), and a one-page browser chat client.
//!
//! - [`backend_router`]: the backend's API, to serve on its own port;
//!   [`serve_backend`] (or [`serve_backend_with_shutdown`]) does that on a listener.
//! - [`page_router`]: `GET /`, the chat page, to mount beside the gateway so the page
//!   reaches the WebSocket API at `ws://{location.host}{ws_path}`.
//!
//! # Tokens (a toy scheme: no secret, only a claim)
//!
//! | token | means |
//! |---|---|
//! | `user:<user_id>` | `<user_id>`, in every booking they take part in |
//! | `user:<user_id>:<booking>,<booking>` | `<user_id>`, only in the listed bookings |
//!
//! Ids are 1 to 64 characters among `A-Z a-z 0-9 _ - .`. Any other token (or none) is
//! refused with 401 `{"detail":"invalid token"}`. Every booking has two participants,
//! owner `alice` and renter `bob` unless [`DemoConfig`] says otherwise; a booking or chat
//! connection, message or participants call from anyone else (or for a booking the
//! token does not list) is refused with 403. Notifications and per-user chat accept any
//! valid token; the feed needs none.
//!
//! # Endpoints (all POST with a JSON body, except the GET)
//!
//! | path | answer |
//! |---|---|
//! | `/api/ws/bookings/{booking_id}/connect` | `{user_id, booking_id, initial: {"type":"booking_status", booking_id, status}}` |
//! | `/api/chat/ws/{booking_id}/connect` | `{user_id, booking_id, thread_id, status: "connected"}` |
//! | `/api/chat/ws/connect` | `{user_id, status: "connected"}` |
//! | `/api/chat/ws/{booking_id}/message` | `{"type":"chat_message", booking_id, message_id, from, text, sent_at, "broadcast":true}`; `{"action":"history"}` → `{"type":"chat_history", booking_id, messages, omitted}` (the newest messages that fit in 128 KiB) |
//! | `/api/chat/ws/{booking_id}/participants` | `{booking_id, owner_id, renter_id}` |
//! | `/api/notifications/ws/connect` | `{user_id, initial: {"type":"notifications", user_id, unread, items, omitted}}` (the newest items that fit in 128 KiB) |
//! | `/api/notifications/ws/message` | `{"to":"bob","text":..}` → `{"type":"notification", user_id: "bob", from, text, unread, "broadcast":true}`; `{"action":"markRead"}` → empty summary |
//! | `/api/ws/items-feed/message` | `{"type":"feed_item", id, title, text, posted_at, "broadcast":true}` |
//! | `/demo/bookings/{booking_id}/status` | `{"status":"cancelled"}`: pushes `{"type":"booking_status",...}` to the booking's sockets through the gateway's `@connections` API → `{booking_id, status, delivered, gone, failed}` |
//! | GET `/demo/bookings/{booking_id}` | `{booking_id, status, owner_id, renter_id, connections}` |
//! | GET `/healthz` | `{"status":"ok"}` |
//!
//! A message the backend cannot use (a chat message without `text`, ...) is answered
//! `{"type":"error","error":...}` without `broadcast`, so the proxy gives it to the
//! sender only. Everything is kept in memory and lost on restart.

mod config;
mod error;
mod fit;
mod page;
mod push;
mod requests;
mod routes_booking;
mod routes_chat;
mod routes_notifications;
mod state;
mod tokens;

pub use config::{DemoConfig, Participants};
pub use error::DemoError;
pub use page::{page_html, page_router};

use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use state::AppState;

/// The demo backend's API (every endpoint in the crate documentation), with fresh
/// in-memory state.
pub fn backend_router(config: DemoConfig) -> Router {
    Router::new()
        .route(
            "/api/ws/bookings/{booking_id}/connect",
            post(routes_booking::connect),
        )
        .route(
            "/api/chat/ws/{booking_id}/connect",
            post(routes_chat::connect_booking),
        )
        .route("/api/chat/ws/connect", post(routes_chat::connect_user))
        .route(
            "/api/chat/ws/{booking_id}/message",
            post(routes_chat::message),
        )
        .route(
            "/api/chat/ws/{booking_id}/participants",
            post(routes_chat::participants),
        )
        .route(
            "/api/notifications/ws/connect",
            post(routes_notifications::connect),
        )
        .route(
            "/api/notifications/ws/message",
            post(routes_notifications::message),
        )
        .route(
            "/api/ws/items-feed/message",
            post(routes_notifications::feed_message),
        )
        .route(
            "/demo/bookings/{booking_id}/status",
            post(routes_booking::set_status),
        )
        .route("/demo/bookings/{booking_id}", get(routes_booking::show))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .fallback(|| async {
            (
                axum::http::StatusCode::NOT_FOUND,
                Json(json!({"detail": "Not Found"})),
            )
        })
        .with_state(AppState::new(config))
}

/// Serves [`backend_router`] on `listener` until the process ends or the server fails.
pub async fn serve_backend(
    listener: tokio::net::TcpListener,
    config: DemoConfig,
) -> std::io::Result<()> {
    serve_backend_with_shutdown(listener, config, std::future::pending()).await
}

/// Serves [`backend_router`] on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve_backend_with_shutdown(
    listener: tokio::net::TcpListener,
    config: DemoConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, gateway = ?config.gateway_url, "demo backend listening");
    }
    axum::serve(listener, backend_router(config))
        .with_graceful_shutdown(shutdown)
        .await
}
