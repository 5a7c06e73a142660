//! Chat sockets: connect (per booking or per user), messages, participants.

use crate::error::DemoError;
use crate::fit::{newest_that_fit, MAX_ANSWER_BYTES};
use crate::requests::{ConnectRequest, MessageRequest, TokenRequest};
use crate::state::{now_rfc3339, AppState};
use crate::tokens::User;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use tracing::{debug, info};

/// Longest chat message text, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 2000;

/// POST `/api/chat/ws/{booking_id}/connect` `{connection_id, token}`
/// → `{user_id, booking_id, thread_id, status: "connected"}`.
pub(crate) async fn connect_booking(
    State(state): State<AppState>,
    Path(booking_id): Path<String>,
    Json(request): Json<ConnectRequest>,
) -> Result<Json<Value>, DemoError> {
    let user = User::from_token(request.token.as_deref())?;
    user.check_booking(&booking_id, state.config.participants(&booking_id))?;
    info!(user_id = %user.id, booking_id = %booking_id, connection_id = %request.connection_id, "chat socket accepted");
    Ok(Json(json!({
        "user_id": user.id,
        "booking_id": booking_id,
        "thread_id": format!("thread-{booking_id}"),
        "status": "connected",
    })))
}

/// POST `/api/chat/ws/connect` `{connection_id, token}` → `{user_id, status: "connected"}`:
/// one socket per user, chatting about any of the user's bookings.
pub(crate) async fn connect_user(
    Json(request): Json<ConnectRequest>,
) -> Result<Json<Value>, DemoError> {
    let user = User::from_token(request.token.as_deref())?;
    info!(user_id = %user.id, connection_id = %request.connection_id, "per-user chat socket accepted");
    Ok(Json(json!({ "user_id": user.id, "status": "connected" })))
}

/// POST `/api/chat/ws/{booking_id}/message` `{connection_id, message, token}`.
///
/// - `{"action": "history"}` → `{"type":"chat_history", booking_id, messages, omitted}` to the
///   sender: the most recent messages whose answer fits in the proxy's 128 KiB message
///   limit, and how many older ones were left out;
/// - a message with a `text` → `{"type":"chat_message", booking_id, message_id, from, text,
///   sent_at, "broadcast": true}`, kept in the booking's history;
/// - anything else → `{"type":"error","error":...}` to the sender.
pub(crate) async fn message(
    State(state): State<AppState>,
    Path(booking_id): Path<String>,
    Json(request): Json<MessageRequest>,
) -> Result<Json<Value>, DemoError> {
    let user = User::from_token(request.token.as_deref())?;
    user.check_booking(&booking_id, state.config.participants(&booking_id))?;
    let action = request.action();
    if matches!(action.as_deref(), Some("history" | "getHistory")) {
        debug!(user_id = %user.id, booking_id = %booking_id, "chat history asked");
        let envelope = json!({"type": "chat_history", "booking_id": booking_id});
        let Value::Object(envelope) = envelope else {
            unreachable!("an object literal")
        };
        let history = state.history(&booking_id);
        return Ok(Json(newest_that_fit(
            envelope,
            "messages",
            history,
            MAX_ANSWER_BYTES,
        )));
    }
    let Some(text) = request.text_field("text") else {
        return Ok(Json(error_frame(
            "chat messages need a non-empty \"text\", e.g. {\"action\":\"sendMessage\",\"text\":\"hello\"}",
        )));
    };
    if text.chars().count() > MAX_TEXT_CHARS {
        return Ok(Json(error_frame(format!(
            "chat message too long: at most {MAX_TEXT_CHARS} characters"
        ))));
    }
    let chat = json!({
        "type": "chat_message",
        "booking_id": booking_id,
        "message_id": state.next_message_id(),
        "from": user.id,
        "text": text,
        "sent_at": now_rfc3339(),
        "broadcast": true,
    });
    state.record_chat(&booking_id, chat.clone());
    info!(user_id = %user.id, booking_id = %booking_id, connection_id = %request.connection_id, "chat message");
    Ok(Json(chat))
}

/// POST `/api/chat/ws/{booking_id}/participants` `{token}` → `{booking_id, owner_id, renter_id}`.
pub(crate) async fn participants(
    State(state): State<AppState>,
    Path(booking_id): Path<String>,
    Json(request): Json<TokenRequest>,
) -> Result<Json<Value>, DemoError> {
    let user = User::from_token(request.token.as_deref())?;
    let participants = state.config.participants(&booking_id);
    user.check_booking(&booking_id, participants)?;
    Ok(Json(json!({
        "booking_id": booking_id,
        "owner_id": participants.owner_id,
        "renter_id": participants.renter_id,
    })))
}

/// An error frame for the sender only (no `broadcast`).
pub(crate) fn error_frame(error: impl Into<String>) -> Value {
    json!({ "type": "error", "error": error.into() })
}
