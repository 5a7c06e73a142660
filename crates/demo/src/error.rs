//! The demo backend's refusals, answered FastAPI-style as `{"detail": "..."}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Why the demo backend refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    /// The token is absent or outside the toy scheme (`user:<id>[:<booking>,...]`): 401.
    #[error("invalid token")]
    InvalidToken,
    /// The user is not the booking's owner or renter, or the token excludes it: 403.
    #[error("user {user_id} is not a participant of booking {booking_id}")]
    NotParticipant {
        /// The user the token names.
        user_id: String,
        /// The booking asked for.
        booking_id: String,
    },
    /// `/demo/...` was asked to push but the backend knows no gateway: 503.
    #[error("no gateway configured: start the demo backend with a gateway URL (DemoConfig::gateway_url) to push")]
    NoGateway,
    /// The request is well-formed JSON but lacks something: 400.
    #[error("{0}")]
    BadRequest(String),
}

impl DemoError {
    /// The HTTP status this refusal answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::NotParticipant { .. } => StatusCode::FORBIDDEN,
            Self::NoGateway => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for DemoError {
    fn into_response(self) -> Response {
        (self.status(), Json(json!({ "detail": self.to_string() }))).into_response()
    }
}
