//! Messages (`$default` and custom routes): forward to the backend, deliver its answer.

use crate::{
    endpoints, ConnectionItem, ConnectionType, Id, IdError, IdKind, Proxy, RegistryError,
    RouteResponse, Secret,
};
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
        let (kind, token, registered) = match items.first() {
            Some(item) => (
                item.connection_type,
                item.token.clone(),
                item.booking_id().map(str::to_owned),
            ),
            None => match (given(message.get("booking_id")), token_of(&message)) {
                (true, Some(token)) => (ConnectionType::Chat, token, None),
                _ => {
                    return self
                        .reply_error(connection_id, 400, UNKNOWN_CONNECTION)
                        .await
                }
            },
        };
        debug!(connection_type = %kind, "message received");
        let mut booking_id = None;
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
                let b = match chat_booking(&message, registered.as_deref()) {
                    Ok(Some(b)) => b,
                    Ok(None) => {
                        return self
                            .reply_error(
                                connection_id,
                                400,
                                "booking_id required for chat messages",
                            )
                            .await
                    }
                    Err(e) => return self.reply_error(connection_id, 400, e.to_string()).await,
                };
                let path = endpoints::chat_message(&b);
                booking_id = Some(b);
                let body = json!({"connection_id": connection_id, "message": Value::Object(message), "token": token.expose()});
                (path, body)
            }
            ConnectionType::Notification => (
                endpoints::NOTIFICATION_MESSAGE.to_owned(),
                json!({"connection_id": connection_id, "message": Value::Object(message), "token": token.expose()}),
            ),
            ConnectionType::Feed => (
                endpoints::FEED_MESSAGE.to_owned(),
                json!({"connection_id": connection_id, "message": Value::Object(message)}),
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
        let payload = answer.to_string();
        if let Err(e) = self.fits("the backend's answer", &payload) {
            return self.reply_error(connection_id, 502, e).await;
        }
        // Partitions whose lookup failed: the answer may miss part of its audience.
        let mut missed = Vec::new();
        let targets = if answer.get("broadcast") == Some(&Value::Bool(true)) {
            match self
                .broadcast_targets(kind, &answer, booking_id.as_ref(), &token, &mut missed)
                .await
            {
                Ok(targets) => targets,
                Err(e) => {
                    warn!(error = %e, "the backend's answer names an unusable id");
                    return self
                        .reply_error(
                            connection_id,
                            502,
                            format!("the backend's answer is unusable: {e}"),
                        )
                        .await;
                }
            }
        } else {
            None
        }
        .unwrap_or_else(|| vec![connection_id.to_owned()]);
        let count = targets.len();
        let counts = self.fan_out(targets, Bytes::from(payload)).await;
        info!(
            targets = count,
            delivered = counts.delivered,
            gone = counts.gone,
            failed = counts.failed,
            "answer delivered"
        );
        if let Some(e) = missed.first() {
            let error = format!(
                "the answer may not have reached everyone: {e} ({} of the broadcast's lookups failed)",
                missed.len()
            );
            return self.reply_error(connection_id, 500, error).await;
        }
        RouteResponse::ok("sent")
    }

    /// Who receives a `broadcast: true` answer; `Ok(None)` means the sender only. An id in
    /// the answer that could not be a path segment or registry key is an error; a registry
    /// lookup that fails is added to `missed`.
    async fn broadcast_targets(
        &self,
        kind: ConnectionType,
        answer: &Value,
        message_booking: Option<&Id>,
        token: &Secret,
        missed: &mut Vec<RegistryError>,
    ) -> Result<Option<Vec<String>>, IdError> {
        Ok(match kind {
            ConnectionType::Chat => {
                let booking = match Id::from_json(IdKind::Booking, answer.get("booking_id"))? {
                    Some(b) => b,
                    None => match message_booking {
                        Some(b) => b.clone(),
                        None => return Ok(None),
                    },
                };
                let mut partitions = vec![booking.as_str().to_owned()];
                partitions.extend(self.participants(&booking, token).await);
                Some(self.connections_in(&partitions, kind, missed).await)
            }
            ConnectionType::Notification => {
                match Id::from_json(IdKind::User, answer.get("user_id"))? {
                    Some(uid) => Some(
                        self.connections_in(&[uid.user_partition()], kind, missed)
                            .await,
                    ),
                    None => None,
                }
            }
            ConnectionType::Feed => Some(
                self.connections_in(&["feed".to_owned()], kind, missed)
                    .await,
            ),
            ConnectionType::Booking => None,
        })
    }

    /// The `user_{id}` partitions of a booking's owner and renter, as the backend names them.
    ///
    /// An unusable id is left out, as a failed lookup is: the booking still gets the message.
    async fn participants(&self, booking: &Id, token: &Secret) -> Vec<String> {
        let path = endpoints::chat_participants(booking);
        match self
            .backend
            .post(&path, &json!({"token": token.expose()}))
            .await
        {
            Ok(answer) => [IdKind::Owner, IdKind::Renter]
                .into_iter()
                .filter_map(|kind| match Id::from_json(kind, answer.get(kind.field())) {
                    Ok(uid) => uid.map(|uid| uid.user_partition()),
                    Err(e) => {
                        warn!(error = %e, "participants answer has an unusable id; left out");
                        None
                    }
                })
                .collect(),
            Err(e) => {
                warn!(error = %e, "participants lookup failed; broadcasting to the booking only");
                Vec::new()
            }
        }
    }

    /// Connection ids of `kind` in these partitions, each once; failed lookups go to `missed`.
    async fn connections_in(
        &self,
        partitions: &[String],
        kind: ConnectionType,
        missed: &mut Vec<RegistryError>,
    ) -> Vec<String> {
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
                Err(e) => {
                    warn!(partition = %partition, error = %e, "registry lookup failed");
                    missed.push(e);
                }
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

/// The booking a chat message is about: the body's `booking_id`, else the connection's.
fn chat_booking(
    message: &Map<String, Value>,
    registered: Option<&str>,
) -> Result<Option<Id>, IdError> {
    match Id::from_json(IdKind::Booking, message.get("booking_id"))? {
        Some(b) => Ok(Some(b)),
        None => registered.map(|b| Id::new(IdKind::Booking, b)).transpose(),
    }
}

/// True when a value is present and not `null` or `""` (an id was given, valid or not).
fn given(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null))
        && v.and_then(Value::as_str).is_none_or(|s| !s.is_empty())
}

/// The `token` of a message from an unknown connection: a non-empty string or a number.
fn token_of(message: &Map<String, Value>) -> Option<Secret> {
    match message.get("token")? {
        Value::String(s) if !s.is_empty() => Some(Secret::new(s.as_str())),
        Value::Number(n) => Some(Secret::new(n.to_string())),
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
    fn the_body_booking_wins_and_bad_ones_are_errors() {
        let body = |b: &str| parse_body(&format!(r#"{{"booking_id":{b}}}"#));
        let id = |m: &Map<String, Value>, r| chat_booking(m, r).map(|b| b.map(String::from));
        assert_eq!(id(&body(r#""b2""#), Some("b1")), Ok(Some("b2".into())));
        assert_eq!(id(&body("17"), None), Ok(Some("17".into())));
        assert_eq!(id(&body(r#""""#), Some("b1")), Ok(Some("b1".into())));
        assert_eq!(id(&body("null"), None), Ok(None));
        for bad in [
            r#"".""#,
            r#""..""#,
            r#""a\u0000""#,
            "true",
            "{}",
            r#""feed""#,
        ] {
            assert!(id(&body(bad), Some("b1")).is_err(), "{bad}");
        }
        assert!(given(Some(&json!(".."))) && given(Some(&json!(false))));
        assert!(!given(None) && !given(Some(&json!(null))) && !given(Some(&json!(""))));
    }
}
