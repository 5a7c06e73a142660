//! Messages (`$default` and custom routes): forward to the backend, deliver its answer.

use crate::connect::segment;
use crate::item::user_partition;
use crate::{ConnectionItem, ConnectionType, Proxy, RouteResponse, Secret};
use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use tracing::{debug, info, instrument, warn};

/// The answer to a message from a connection the registry does not know.
const UNKNOWN_CONNECTION: &str = "Connection metadata not found. Please reconnect.";

impl Proxy {
    /// Handles a client message (`$default` or a custom route) with its body as received.
    #[instrument(skip_all, fields(connection_id = %connection_id, route = "message"))]
    pub async fn message(&self, connection_id: &str, body: &str) -> RouteResponse {
        let message = parse_body(body);
        let items = match self.registry.by_connection(connection_id).await {
            Ok(items) => items,
            Err(e) => {
                warn!(error = %e, "registry lookup failed");
                return self
                    .reply_error(connection_id, 500, format!("{e}; try again"))
                    .await;
            }
        };
        let body_booking = message.get("booking_id").and_then(json_str);
        let (kind, token, booking_id) = match items.first() {
            Some(item) => (
                item.connection_type,
                item.token.clone(),
                body_booking.or_else(|| item.booking_id().map(str::to_owned)),
            ),
            None => match (&body_booking, message.get("token").and_then(json_str)) {
                (Some(_), Some(token)) => (ConnectionType::Chat, Secret::new(token), body_booking),
                _ => {
                    return self
                        .reply_error(connection_id, 400, UNKNOWN_CONNECTION)
                        .await
                }
            },
        };
        debug!(connection_type = %kind, "message received");
        let message = Value::Object(message);
        let (path, request) = match kind {
            ConnectionType::Booking => {
                self.send_json(
                    connection_id,
                    &json!({"type": "ack", "message": "Received"}),
                )
                .await;
                return RouteResponse::ok("acknowledged");
            }
            ConnectionType::Chat => {
                let Some(b) = booking_id.as_deref() else {
                    return self
                        .reply_error(connection_id, 400, "booking_id required for chat messages")
                        .await;
                };
                let path = format!("/api/chat/ws/{}/message", segment(b));
                let body = json!({"connection_id": connection_id, "message": message, "token": token.expose()});
                (path, body)
            }
            ConnectionType::Notification => (
                "/api/notifications/ws/message".to_owned(),
                json!({"connection_id": connection_id, "message": message, "token": token.expose()}),
            ),
            ConnectionType::Feed => (
                "/api/ws/items-feed/message".to_owned(),
                json!({"connection_id": connection_id, "message": message}),
            ),
        };
        let answer = match self.backend.post(&path, &request).await {
            Ok(answer) => answer,
            Err(e) => {
                warn!(error = %e, "backend call failed");
                return self
                    .reply_error(connection_id, 502, format!("backend request failed: {e}"))
                    .await;
            }
        };
        let targets = if answer.get("broadcast") == Some(&Value::Bool(true)) {
            self.broadcast_targets(kind, &answer, booking_id.as_deref(), &token)
                .await
        } else {
            None
        }
        .unwrap_or_else(|| vec![connection_id.to_owned()]);
        let count = targets.len();
        let delivery = self.fan_out(targets, Bytes::from(answer.to_string())).await;
        info!(
            targets = count,
            delivered = delivery.delivered,
            gone = delivery.gone,
            failed = delivery.failed,
            "answer delivered"
        );
        RouteResponse::ok("sent")
    }

    /// Who receives a `broadcast: true` answer; `None` means the sender only.
    async fn broadcast_targets(
        &self,
        kind: ConnectionType,
        answer: &Value,
        message_booking: Option<&str>,
        token: &Secret,
    ) -> Option<Vec<String>> {
        match kind {
            ConnectionType::Chat => {
                let booking = answer
                    .get("booking_id")
                    .and_then(json_str)
                    .or_else(|| message_booking.map(str::to_owned))?;
                let mut partitions = vec![booking.clone()];
                partitions.extend(self.participants(&booking, token).await);
                Some(self.connections_in(&partitions, kind).await)
            }
            ConnectionType::Notification => {
                let uid = answer.get("user_id").and_then(json_str)?;
                Some(self.connections_in(&[user_partition(&uid)], kind).await)
            }
            ConnectionType::Feed => Some(self.connections_in(&["feed".to_owned()], kind).await),
            ConnectionType::Booking => None,
        }
    }

    /// The `user_{id}` partitions of a booking's owner and renter, as the backend names them.
    async fn participants(&self, booking: &str, token: &Secret) -> Vec<String> {
        let path = format!("/api/chat/ws/{}/participants", segment(booking));
        match self
            .backend
            .post(&path, &json!({"token": token.expose()}))
            .await
        {
            Ok(answer) => ["owner_id", "renter_id"]
                .iter()
                .filter_map(|k| answer.get(*k).and_then(json_str))
                .map(|uid| user_partition(&uid))
                .collect(),
            Err(e) => {
                warn!(error = %e, "participants lookup failed; broadcasting to the booking only");
                Vec::new()
            }
        }
    }

    /// Connection ids of `kind` in these partitions, each once.
    async fn connections_in(&self, partitions: &[String], kind: ConnectionType) -> Vec<String> {
        let lookups = partitions.iter().map(|p| self.registry.by_partition(p));
        let mut ids = BTreeSet::new();
        for (partition, found) in partitions
            .iter()
            .zip(futures::future::join_all(lookups).await)
        {
            match found {
                Ok(items) => ids.extend(
                    items
                        .into_iter()
                        .filter(|i| i.connection_type == kind)
                        .map(|i: ConnectionItem| i.connection_id),
                ),
                Err(e) => warn!(partition = %partition, error = %e, "registry lookup failed"),
            }
        }
        ids.into_iter().collect()
    }

    /// Sends `{"type":"error","error":...}` to the sender and answers the route with `status`.
    async fn reply_error(
        &self,
        connection_id: &str,
        status: u16,
        error: impl Into<String>,
    ) -> RouteResponse {
        let error = error.into();
        self.send_json(connection_id, &json!({"type": "error", "error": error}))
            .await;
        RouteResponse::error(status, error)
    }
}

/// A body that is not a JSON object is `{"text": "<body as received>"}` (defect 7).
pub(crate) fn parse_body(body: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => {
            let mut map = Map::new();
            map.insert("text".to_owned(), Value::String(body.to_owned()));
            map
        }
    }
}

/// An id given as a JSON string or number, as a string; empty and other types are `None`.
pub(crate) fn json_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_objects_become_text() {
        for body in ["hello", "[1,2]", "42", "\"s\"", "{broken", ""] {
            assert_eq!(parse_body(body).get("text"), Some(&json!(body)), "{body}");
        }
        assert_eq!(parse_body(r#"{"a":1}"#).get("a"), Some(&json!(1)));
    }

    #[test]
    fn ids_from_strings_and_numbers() {
        assert_eq!(json_str(&json!("b1")), Some("b1".into()));
        assert_eq!(json_str(&json!(17)), Some("17".into()));
        assert_eq!(json_str(&json!("")), None);
        assert_eq!(json_str(&json!(null)), None);
    }
}
