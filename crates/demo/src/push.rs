//! Out-of-band pushes through the gateway's `@connections` API, as a real backend does.

use crate::state::AppState;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;
use tracing::{debug, warn};

/// Characters escaped in a path segment: all but RFC 3986's unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What became of one push to many connections.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct PushReport {
    /// Answered 200.
    pub delivered: usize,
    /// Answered 410 Gone: the connection is closed and has been forgotten.
    pub gone: usize,
    /// Anything else (unreachable gateway, other status).
    pub failed: usize,
}

enum Outcome {
    Delivered,
    Gone,
    Failed,
}

/// The `@connections` URL of one connection under the gateway base URL.
pub(crate) fn connection_url(gateway_url: &str, connection_id: &str) -> String {
    format!(
        "{}/@connections/{}",
        gateway_url.trim_end_matches('/'),
        utf8_percent_encode(connection_id, SEGMENT)
    )
}

/// POSTs `payload` to every booking connection of `booking_id` at once; gone ones are
/// forgotten so later pushes skip them.
pub(crate) async fn push_to_booking(
    state: &AppState,
    gateway_url: &str,
    booking_id: &str,
    payload: &Value,
) -> PushReport {
    let body = payload.to_string();
    let ids = state.booking_connections(booking_id);
    let pushes = ids.iter().map(|id| {
        let request = state
            .http
            .post(connection_url(gateway_url, id))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        async move {
            match request.send().await {
                Ok(r) if r.status().is_success() => Outcome::Delivered,
                Ok(r) if r.status() == StatusCode::GONE => Outcome::Gone,
                Ok(r) => {
                    warn!(connection_id = %id, status = %r.status(), "@connections push refused");
                    Outcome::Failed
                }
                Err(e) => {
                    warn!(connection_id = %id, error = %e, "@connections push failed");
                    Outcome::Failed
                }
            }
        }
    });
    let outcomes = futures::future::join_all(pushes).await;
    let mut report = PushReport::default();
    for (id, outcome) in ids.iter().zip(outcomes) {
        match outcome {
            Outcome::Delivered => report.delivered += 1,
            Outcome::Gone => {
                debug!(connection_id = %id, "connection gone; forgetting it");
                state.remove_booking_connection(booking_id, id);
                report.gone += 1;
            }
            Outcome::Failed => report.failed += 1,
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::connection_url;

    #[test]
    fn ids_are_one_encoded_segment() {
        assert_eq!(
            connection_url("http://127.0.0.1:8080/dev/", "abc=/+"),
            "http://127.0.0.1:8080/dev/@connections/abc%3D%2F%2B"
        );
        assert_eq!(
            connection_url("http://h/dev", "Zx_1-."),
            "http://h/dev/@connections/Zx_1-."
        );
    }
}
