//! Booking sockets: the connect call, and the demo's out-of-band status push.

use crate::error::DemoError;
use crate::push::push_to_booking;
use crate::requests::ConnectRequest;
use crate::state::AppState;
use crate::tokens::User;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::info;

/// Longest status a booking may be given.
const MAX_STATUS_LEN: usize = 64;

/// POST `/api/ws/bookings/{booking_id}/connect` `{connection_id, token}`
/// → `{user_id, booking_id, initial: {"type":"booking_status", booking_id, status}}`.
///
/// Remembers the connection so `/demo/bookings/{id}/status` can push to it.
pub(crate) async fn connect(
    State(state): State<AppState>,
    Path(booking_id): Path<String>,
    Json(request): Json<ConnectRequest>,
) -> Result<Json<Value>, DemoError> {
    let user = User::from_token(request.token.as_deref())?;
    user.check_booking(&booking_id, state.config.participants(&booking_id))?;
    if request.connection_id.is_empty() {
        return Err(DemoError::BadRequest("connection_id required".into()));
    }
    state.add_booking_connection(&booking_id, &request.connection_id);
    info!(user_id = %user.id, booking_id = %booking_id, connection_id = %request.connection_id, "booking socket accepted");
    Ok(Json(json!({
        "user_id": user.id,
        "booking_id": booking_id,
        "initial": status_message(&booking_id, &state.status(&booking_id)),
    })))
}

/// The body of POST `/demo/bookings/{booking_id}/status`.
#[derive(Debug, Deserialize)]
pub(crate) struct StatusChange {
    /// The new status, e.g. `cancelled`.
    #[serde(default)]
    status: String,
}

/// POST `/demo/bookings/{booking_id}/status` `{"status": ...}`: sets the status and
/// pushes `{"type":"booking_status", ...}` to every booking socket of that booking
/// through the gateway's `@connections` API → `{booking_id, status, delivered, gone, failed}`.
pub(crate) async fn set_status(
    State(state): State<AppState>,
    Path(booking_id): Path<String>,
    Json(change): Json<StatusChange>,
) -> Result<Json<Value>, DemoError> {
    let status = change.status.trim();
    if status.is_empty() || status.len() > MAX_STATUS_LEN {
        return Err(DemoError::BadRequest(format!(
            "status must be 1 to {MAX_STATUS_LEN} characters, e.g. {{\"status\":\"cancelled\"}}"
        )));
    }
    let gateway = state
        .config
        .gateway_url
        .clone()
        .ok_or(DemoError::NoGateway)?;
    state.set_status(&booking_id, status);
    let report = push_to_booking(
        &state,
        &gateway,
        &booking_id,
        &status_message(&booking_id, status),
    )
    .await;
    info!(booking_id = %booking_id, status = %status, delivered = report.delivered, gone = report.gone, failed = report.failed, "booking status pushed");
    Ok(Json(json!({
        "booking_id": booking_id,
        "status": status,
        "delivered": report.delivered,
        "gone": report.gone,
        "failed": report.failed,
    })))
}

/// GET `/demo/bookings/{booking_id}` → `{booking_id, status, owner_id, renter_id, connections}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(booking_id): Path<String>,
) -> Json<Value> {
    let participants = state.config.participants(&booking_id);
    Json(json!({
        "booking_id": booking_id,
        "status": state.status(&booking_id),
        "owner_id": participants.owner_id,
        "renter_id": participants.renter_id,
        "connections": state.booking_connections(&booking_id).len(),
    }))
}

fn status_message(booking_id: &str, status: &str) -> Value {
    json!({ "type": "booking_status", "booking_id": booking_id, "status": status })
}
