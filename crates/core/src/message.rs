//! Messages (`$default` and custom routes): build the backend request for the sender's
//! connection type, call the backend, deliver its answer ([`crate::broadcast`] says to whom).

use crate::metrics::{FANOUT_TARGETS, MESSAGES};
use crate::{endpoints, ConnectionType, Id, IdError, IdKind, Proxy, RouteResponse, Secret};
use bytes::Bytes;
use serde_json::{json, Map, Value};
use tracing::{debug, info, instrument, warn};

/// The answer to a message from a connection the registry does not know.
const UNKNOWN_CONNECTION: &str = "Connection metadata not found. Please reconnect.";

impl Proxy {
    /// Handles a client message (`$default` or a custom route) with its body as received,
    /// in three steps: the request for the sender's connection type, the backend's answer,
    /// and its delivery. A step that fails tells the sender why (an error frame) and
    /// answers the route with an error.
    #[instrument(skip_all, fields(connection_id = %connection_id, request_id = %crate::RequestContext::current_id(), route = "message"))]
    pub async fn message(&self, connection_id: &str, body: &str) -> RouteResponse {
        metrics::counter!(MESSAGES.name).increment(1);
        let message = parse_body(body);
        let sender = match self.identify_sender(connection_id, &message).await {
            Ok(sender) => sender,
            Err(refusal) => return refusal,
        };
        debug!(connection_type = %sender.kind, "message received");
        let request = match backend_request(connection_id, &sender, message) {
            Ok(Handling::Acknowledge) => return self.acknowledge(connection_id).await,
            Ok(Handling::Forward(request)) => request,
            Err(error) => return self.reply_error(connection_id, 400, error).await,
        };
        let answer = match self.call_backend(&request).await {
            Ok(answer) => answer,
            Err(error) => return self.reply_error(connection_id, 502, error).await,
        };
        self.deliver_answer(connection_id, &sender, request.booking.as_ref(), answer)
            .await
    }

    /// Who sent the message: the registry's item of the connection, else, for a message
    /// that names a booking and carries a token, a chat socket the registry lost. Anything
    /// else is refused (the sender told why).
    async fn identify_sender(
        &self,
        connection_id: &str,
        message: &Map<String, Value>,
    ) -> Result<Sender, RouteResponse> {
        let items = match self.metered_registry.by_connection(connection_id).await {
            Ok(items) => items,
            Err(e) => {
                warn!(error = %e, "registry lookup failed");
                return Err(self
                    .reply_error(connection_id, 500, format!("{e}; try again"))
                    .await);
            }
        };
        match items.first() {
            Some(item) => Ok(Sender {
                kind: item.connection_type,
                token: item.token.clone(),
                registered_booking: item.booking_id().map(str::to_owned),
            }),
            None => match (given(message.get("booking_id")), token_of(message)) {
                (true, Some(token)) => Ok(Sender {
                    kind: ConnectionType::Chat,
                    token,
                    registered_booking: None,
                }),
                _ => Err(self
                    .reply_error(connection_id, 400, UNKNOWN_CONNECTION)
                    .await),
            },
        }
    }

    /// A booking socket's message is acknowledged to the sender, with no backend call.
    async fn acknowledge(&self, connection_id: &str) -> RouteResponse {
        self.send_json(
            connection_id,
            &json!({"type": "ack", "message": "Received"}),
        )
        .await;
        RouteResponse::ok("acknowledged")
    }

    /// POSTs the request; the answer, or why the sender gets none: the backend failed, or
    /// its answer is over the message limit.
    async fn call_backend(&self, request: &BackendRequest) -> Result<BackendAnswer, String> {
        let json = match self.backend.post(&request.path, &request.body).await {
            Ok(answer) => answer,
            Err(e) => {
                warn!(error = %e, "backend call failed");
                return Err(format!("backend request failed: {e}"));
            }
        };
        let payload = json.to_string();
        self.fits("the backend's answer", &payload)?;
        Ok(BackendAnswer { json, payload })
    }

    /// Pushes the answer to its audience ([`Proxy::audience`]): the sender, or for a
    /// `broadcast: true` answer everyone it names. Answers 500 when a registry lookup of
    /// the broadcast failed, as the answer may have missed part of its audience.
    async fn deliver_answer(
        &self,
        connection_id: &str,
        sender: &Sender,
        booking: Option<&Id>,
        answer: BackendAnswer,
    ) -> RouteResponse {
        // Partitions whose lookup failed: the answer may miss part of its audience.
        let mut missed = Vec::new();
        let targets = match self
            .audience(connection_id, sender, booking, &answer.json, &mut missed)
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
        };
        let count = targets.len();
        metrics::histogram!(FANOUT_TARGETS.name).record(count as f64);
        let counts = self.fan_out(targets, Bytes::from(answer.payload)).await;
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

    /// Sends an [`error_frame`] to the sender and answers the route with `status`.
    async fn reply_error(
        &self,
        connection_id: &str,
        status: u16,
        error: impl Into<String>,
    ) -> RouteResponse {
        let error = error.into();
        self.send_json(connection_id, &error_frame(&error)).await;
        RouteResponse::error(status, error)
    }
}

/// Who sent a message, as the registry (or the message) says.
pub(crate) struct Sender {
    /// The connection's type, which decides where the message goes.
    pub(crate) kind: ConnectionType,
    /// The token the connection was accepted with, sent on to the backend.
    pub(crate) token: Secret,
    /// The booking the connection was registered under, if any.
    registered_booking: Option<String>,
}

/// What a message becomes, by the sender's connection type.
enum Handling {
    /// Acknowledged to the sender, with no backend call (a booking socket).
    Acknowledge,
    /// Sent to the backend.
    Forward(BackendRequest),
}

/// A message as the backend receives it.
struct BackendRequest {
    /// The backend path.
    path: String,
    /// The JSON body.
    body: Value,
    /// The booking a chat message is about.
    booking: Option<Id>,
}

/// The backend's answer, and its text as pushed.
struct BackendAnswer {
    json: Value,
    payload: String,
}

/// The backend request for a message from `sender` (contract section 3); a chat message
/// that names no usable booking is an error the sender is told.
fn backend_request(
    connection_id: &str,
    sender: &Sender,
    message: Map<String, Value>,
) -> Result<Handling, String> {
    let token = sender.token.expose();
    let request = match sender.kind {
        ConnectionType::Booking => return Ok(Handling::Acknowledge),
        ConnectionType::Chat => {
            let booking = match chat_booking(&message, sender.registered_booking.as_deref()) {
                Ok(Some(b)) => b,
                Ok(None) => return Err("booking_id required for chat messages".to_owned()),
                Err(e) => return Err(e.to_string()),
            };
            BackendRequest {
                path: endpoints::chat_message(&booking),
                body: json!({"connection_id": connection_id, "message": Value::Object(message), "token": token}),
                booking: Some(booking),
            }
        }
        ConnectionType::Notification => BackendRequest {
            path: endpoints::NOTIFICATION_MESSAGE.to_owned(),
            body: json!({"connection_id": connection_id, "message": Value::Object(message), "token": token}),
            booking: None,
        },
        ConnectionType::Feed => BackendRequest {
            path: endpoints::FEED_MESSAGE.to_owned(),
            body: json!({"connection_id": connection_id, "message": Value::Object(message)}),
            booking: None,
        },
    };
    Ok(Handling::Forward(request))
}

/// The error frame a sender receives: `{"type":"error","error":...,"requestId":...}`, the
/// request id only inside a [`crate::RequestContext::scope`].
pub(crate) fn error_frame(error: &str) -> Value {
    let mut frame = json!({"type": "error", "error": error});
    if let Some(ctx) = crate::RequestContext::current() {
        frame["requestId"] = Value::String(ctx.request_id().to_owned());
    }
    frame
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
