//! Notification and feed sockets.

use crate::error::DemoError;
use crate::fit::{newest_that_fit, MAX_ANSWER_BYTES};
use crate::requests::{ConnectRequest, MessageRequest};
use crate::routes_chat::{error_frame, MAX_TEXT_CHARS};
use crate::state::{now_rfc3339, AppState};
use crate::tokens::{valid_id, User};
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use tracing::info;

/// POST `/api/notifications/ws/connect` `{connection_id, token}`
/// → `{user_id, initial: {"type":"notifications", user_id, unread, items}}`.
pub(crate) async fn connect(
    State(state): State<AppState>,
    Json(request): Json<ConnectRequest>,
) -> Result<Json<Value>, DemoError> {
    let user = User::from_token(request.token.as_deref())?;
    info!(user_id = %user.id, connection_id = %request.connection_id, "notification socket accepted");
    Ok(Json(json!({
        "user_id": user.id,
        "initial": summary(&state, &user.id),
    })))
}

/// POST `/api/notifications/ws/message` `{connection_id, message, token}`.
///
/// - `{"action":"markRead"}` (or `mark_read`) → clears the sender's unread list and
///   answers the empty summary to the sender;
/// - `{"to":"bob","text":"..."}` → `{"type":"notification", user_id: "bob", from, text,
///   sent_at, unread, "broadcast": true}`, delivered to bob's notification sockets;
/// - anything else → the sender's summary `{"type":"notifications", user_id, unread, items}`.
pub(crate) async fn message(
    State(state): State<AppState>,
    Json(request): Json<MessageRequest>,
) -> Result<Json<Value>, DemoError> {
    let user = User::from_token(request.token.as_deref())?;
    if matches!(request.action().as_deref(), Some("markRead" | "mark_read")) {
        state.mark_read(&user.id);
        return Ok(Json(summary(&state, &user.id)));
    }
    let Some(to) = request.text_field("to") else {
        return Ok(Json(summary(&state, &user.id)));
    };
    if !valid_id(&to) {
        return Ok(Json(error_frame(format!("no such user: {to}"))));
    }
    let text = request.text_field("text").unwrap_or_default();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Ok(Json(error_frame(format!(
            "notification too long: at most {MAX_TEXT_CHARS} characters"
        ))));
    }
    let mut notification = json!({
        "type": "notification",
        "user_id": to,
        "from": user.id,
        "text": text,
        "sent_at": now_rfc3339(),
    });
    let unread = state.notify(&to, notification.clone());
    notification["unread"] = json!(unread);
    notification["broadcast"] = json!(true);
    info!(from = %user.id, to = %to, "notification");
    Ok(Json(notification))
}

/// POST `/api/ws/items-feed/message` `{connection_id, message}` → `{"type":"feed_item", id,
/// title, text, posted_at, "broadcast": true}` for every feed socket; a message without
/// `title` or `text` gets an error frame.
pub(crate) async fn feed_message(
    State(state): State<AppState>,
    Json(request): Json<MessageRequest>,
) -> Json<Value> {
    let title = request.text_field("title");
    let text = request.text_field("text");
    let Some(title) = title.or_else(|| text.clone()) else {
        return Json(error_frame(
            "feed items need a \"title\" or a \"text\", e.g. {\"title\":\"Bike for rent\"}",
        ));
    };
    if title.chars().count() + text.as_deref().map_or(0, |t| t.chars().count()) > MAX_TEXT_CHARS {
        return Json(error_frame(format!(
            "feed item too long: at most {MAX_TEXT_CHARS} characters"
        )));
    }
    let item = json!({
        "type": "feed_item",
        "id": state.next_feed_id(),
        "title": title,
        "text": text.unwrap_or_default(),
        "posted_at": now_rfc3339(),
        "broadcast": true,
    });
    info!(connection_id = %request.connection_id, "feed item");
    Json(item)
}

/// The unread notifications: all counted, the most recent that fit in the message limit listed.
fn summary(state: &AppState, user_id: &str) -> Value {
    let items = state.unread(user_id);
    let envelope = json!({"type": "notifications", "user_id": user_id, "unread": items.len()});
    let Value::Object(envelope) = envelope else {
        unreachable!("an object literal")
    };
    newest_that_fit(envelope, "items", items, MAX_ANSWER_BYTES)
}
