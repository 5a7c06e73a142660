//! `$connect`: validate the query, authenticate with the backend, then register.

use crate::{
    endpoints, BackendError, ConnectOutcome, ConnectionItem, ConnectionType, Id, IdKind, Proxy,
    RouteResponse, Secret,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use tracing::{info, instrument, warn};

impl Proxy {
    /// Handles `$connect` with the client's (already URL-decoded) query parameters.
    ///
    /// The connection is registered only after the backend accepted it (defect 1); a
    /// non-2xx answer refuses the upgrade and leaves no registry item.
    #[instrument(skip_all, fields(connection_id = %connection_id, route = "$connect"))]
    pub async fn connect(
        &self,
        connection_id: &str,
        query: &HashMap<String, String>,
    ) -> ConnectOutcome {
        let param = |k: &str| query.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let kind = match param("type").unwrap_or("booking").parse::<ConnectionType>() {
            Ok(kind) => kind,
            Err(e) => return ConnectOutcome::refused(400, e),
        };
        let booking_id = match (kind, param("booking_id")) {
            (ConnectionType::Booking | ConnectionType::Chat, Some(b)) => {
                match Id::new(IdKind::Booking, b) {
                    Ok(id) => Some(id),
                    Err(e) => return ConnectOutcome::refused(400, e.to_string()),
                }
            }
            _ => None,
        };
        let token = param("token").map(|t| Secret::new(decode(t)));
        if kind == ConnectionType::Booking && booking_id.is_none() {
            return ConnectOutcome::refused(400, "booking_id required for booking connections");
        }
        let token = match (kind, token) {
            (ConnectionType::Feed, t) => t.unwrap_or_default(),
            (_, Some(t)) => t,
            (kind, None) => {
                return ConnectOutcome::refused(
                    401,
                    format!("token required for {kind} connections: add ?token=... to the URL"),
                )
            }
        };
        let request = json!({ "connection_id": connection_id, "token": token.expose() });
        let accepted = match (kind, booking_id) {
            (ConnectionType::Booking, Some(b)) => self
                .authenticate(&endpoints::booking_connect(&b), &request)
                .await
                .and_then(|answer| {
                    let initial = present(answer.get("initial"));
                    Ok(Accepted {
                        partition: String::from(b),
                        user_id: user_id(&answer)?,
                        after_open: initial.into_iter().collect(),
                    })
                }),
            (ConnectionType::Chat, Some(b)) => self
                .authenticate(&endpoints::chat_connect(&b), &request)
                .await
                .and_then(|answer| {
                    let ack = chat_ack(Some(b.as_str()));
                    Ok(Accepted {
                        partition: String::from(b),
                        user_id: user_id(&answer)?,
                        after_open: vec![ack],
                    })
                }),
            (ConnectionType::Chat, None) => self
                .authenticate(endpoints::USER_CHAT_CONNECT, &request)
                .await
                .and_then(require_user)
                .map(|(uid, _)| Accepted {
                    partition: uid.user_partition(),
                    user_id: Some(uid),
                    after_open: vec![chat_ack(None)],
                }),
            (ConnectionType::Notification, _) => self
                .authenticate(endpoints::NOTIFICATION_CONNECT, &request)
                .await
                .and_then(require_user)
                .map(|(uid, answer)| {
                    let initial = present(answer.get("initial"));
                    Accepted {
                        partition: uid.user_partition(),
                        user_id: Some(uid),
                        after_open: initial.into_iter().collect(),
                    }
                }),
            (ConnectionType::Feed, _) => Ok(Accepted {
                partition: "feed".to_owned(),
                user_id: None,
                after_open: Vec::new(),
            }),
            (ConnectionType::Booking, None) => unreachable!("checked above"),
        };
        let Accepted {
            partition,
            user_id,
            after_open,
        } = match accepted {
            Ok(accepted) => accepted,
            Err(refusal) => return refusal,
        };
        let user_id = user_id.map(String::from);
        let item = ConnectionItem::new(partition, connection_id, kind, user_id, token);
        if let Err(e) = self.registry.put(&item).await {
            warn!(error = %e, "could not register the connection");
            return ConnectOutcome::refused(500, format!("could not register the connection: {e}"));
        }
        info!(connection_type = %kind, partition = %item.partition, "connected");
        ConnectOutcome {
            response: RouteResponse::ok("connected"),
            after_open: self.fit_after_open(after_open),
        }
    }

    /// POSTs a connect request; a failure becomes the refusal the client sees.
    async fn authenticate(&self, path: &str, body: &Value) -> Result<Value, ConnectOutcome> {
        self.backend.post(path, body).await.map_err(|e| {
            warn!(error = %e, "backend refused or failed the connect");
            match e {
                BackendError::Status { status, .. } if (400..500).contains(&status) => {
                    ConnectOutcome::refused(status, format!("connection refused: {e}"))
                }
                e => ConnectOutcome::refused(502, format!("backend request failed: {e}")),
            }
        })
    }
}

/// A connect the backend accepted: what to register, and what to send once the socket is open.
struct Accepted {
    /// The registry partition: the booking id, `user_{user_id}` or `feed` (contract section 5).
    partition: String,
    /// The user the backend named, if any; stored with the item.
    user_id: Option<Id>,
    /// Messages (JSON) for the new socket, pushed only after it has opened (contract section 2).
    after_open: Vec<Value>,
}

/// The ack a chat socket receives once open.
fn chat_ack(booking_id: Option<&str>) -> Value {
    let message = match booking_id {
        Some(b) => format!("Connected to chat for booking {b}"),
        None => "Connected to chat".to_owned(),
    };
    json!({ "type": "connected", "status": "ready", "message": message })
}

/// Per-user connections need the backend to name the user; without it the socket is unreachable.
fn require_user(answer: Value) -> Result<(Id, Value), ConnectOutcome> {
    match user_id(&answer)? {
        Some(uid) => Ok((uid, answer)),
        None => Err(ConnectOutcome::refused(
            401,
            "connection refused: the backend's answer has no user_id",
        )),
    }
}

/// The answer's `user_id`, if any; one that could not be a registry key refuses the connect.
fn user_id(answer: &Value) -> Result<Option<Id>, ConnectOutcome> {
    Id::from_json(IdKind::User, answer.get("user_id")).map_err(|e| {
        warn!(error = %e, "the backend's connect answer has an unusable user_id");
        ConnectOutcome::refused(
            502,
            format!("connection refused: the backend's answer is unusable: {e}"),
        )
    })
}

fn present(v: Option<&Value>) -> Option<Value> {
    v.filter(|v| !v.is_null()).cloned()
}

/// Percent-decodes a token, as the system being replaced did (`unquote`).
fn decode(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}
