//! The event handed to an integration, shaped like API Gateway's WebSocket proxy event.

use bytes::Bytes;
use std::collections::HashMap;

/// `requestContext.eventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `$connect`: a client asks to open a socket.
    Connect,
    /// A client message (`$default` or a custom route).
    Message,
    /// `$disconnect`: the socket has closed.
    Disconnect,
}

impl EventType {
    /// API Gateway's spelling: `CONNECT`, `MESSAGE`, `DISCONNECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "CONNECT",
            Self::Message => "MESSAGE",
            Self::Disconnect => "DISCONNECT",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One route invocation, with every field API Gateway puts in its proxy event.
///
/// `Debug` hides the values of the `token` query parameter and of the `authorization` and
/// `cookie` headers, so an event can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct RouteEvent {
    /// `$connect`, `$disconnect`, `$default` or a custom route key.
    pub route_key: String,
    /// What happened.
    pub event_type: EventType,
    /// The connection's id (`@connections/{id}`).
    pub connection_id: String,
    /// When `$connect` was received, ms since the epoch.
    pub connected_at_ms: i64,
    /// When this event was received, ms since the epoch.
    pub request_time_ms: i64,
    /// The stage, e.g. `dev`.
    pub stage: String,
    /// The `Host` the client used, e.g. `127.0.0.1:8080`.
    pub domain_name: String,
    /// The client's IP address.
    pub source_ip: String,
    /// The client's `User-Agent`, if it sent one.
    pub user_agent: Option<String>,
    /// Query parameters of the upgrade request (connect only), percent-decoded; the last
    /// value wins when a name repeats.
    pub query: HashMap<String, String>,
    /// Headers of the upgrade request (connect only); names are lower case.
    pub headers: HashMap<String, String>,
    /// The message (message only); binary frames are base64 with `is_base64_encoded`.
    pub body: Option<String>,
    /// True when `body` is the base64 of a binary frame.
    pub is_base64_encoded: bool,
    /// The close code (disconnect only): the client's, 1005 when it gave none, 1006 when the
    /// connection dropped without a close frame, or the one the gateway sent (1001, 1009...).
    pub disconnect_status_code: Option<u16>,
    /// The close reason (disconnect only).
    pub disconnect_reason: Option<String>,
}

impl std::fmt::Debug for RouteEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn redacted<'a>(
            map: &'a HashMap<String, String>,
            secret: &'a [&str],
        ) -> std::collections::BTreeMap<&'a str, &'a str> {
            map.iter()
                .map(|(k, v)| {
                    let hidden = secret.iter().any(|s| k.eq_ignore_ascii_case(s));
                    (k.as_str(), if hidden { "***" } else { v.as_str() })
                })
                .collect()
        }
        f.debug_struct("RouteEvent")
            .field("route_key", &self.route_key)
            .field("event_type", &self.event_type)
            .field("connection_id", &self.connection_id)
            .field("connected_at_ms", &self.connected_at_ms)
            .field("request_time_ms", &self.request_time_ms)
            .field("stage", &self.stage)
            .field("domain_name", &self.domain_name)
            .field("source_ip", &self.source_ip)
            .field("user_agent", &self.user_agent)
            .field("query", &redacted(&self.query, &["token"]))
            .field(
                "headers",
                &redacted(&self.headers, &["authorization", "cookie"]),
            )
            .field("body", &self.body)
            .field("is_base64_encoded", &self.is_base64_encoded)
            .field("disconnect_status_code", &self.disconnect_status_code)
            .field("disconnect_reason", &self.disconnect_reason)
            .finish()
    }
}

/// What an [`Integration`] returns for one event: API Gateway's integration response,
/// `{statusCode, body, headers}`, plus what `$connect` sends once the socket is open. The
/// in-process integration makes it from the core's [`wsproxy_core::RouteResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationResponse {
    /// HTTP status; for `$connect` a non-2xx refuses the upgrade with it.
    pub status: u16,
    /// The body; for a refused `$connect` it is the HTTP body the client sees.
    pub body: String,
    /// Response headers; for `$connect`, echoing `Sec-WebSocket-Protocol` selects it.
    pub headers: Vec<(String, String)>,
    /// `$connect` only: text messages for the new socket, sent before anything else.
    pub after_open: Vec<Bytes>,
    /// Message routes only: one message sent back to the client on the same socket, as API
    /// Gateway sends a two-way route's answer or its error frame (`{"message": "Internal
    /// server error", ...}`) when the integration failed. The in-process integration never
    /// sets it.
    pub reply: Option<Bytes>,
}

impl IntegrationResponse {
    /// A response with `status` and `body`, no headers, nothing after open.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            after_open: Vec::new(),
            reply: None,
        }
    }

    /// A 200 with an empty body.
    pub fn ok() -> Self {
        Self::new(200, "")
    }

    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What runs a route: in-process ([`crate::CoreIntegration`]) or a Lambda function.
#[async_trait::async_trait]
pub trait Integration: Send + Sync + 'static {
    /// Handles one event; for `$connect` the response decides the handshake.
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse;

    /// Stops what the integration runs (e.g. function processes) once the gateway no longer
    /// sends it events: after the last `$disconnect` of [`crate::BoundGateway::serve`]. By
    /// default, nothing to stop.
    async fn shutdown(&self) {}
}

/// What every event of one connection shares.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionMeta {
    pub connection_id: String,
    pub connected_at_ms: i64,
    pub stage: String,
    pub domain_name: String,
    pub source_ip: String,
    pub user_agent: Option<String>,
}

impl ConnectionMeta {
    /// A new event of this connection, stamped now, with no body or close fields.
    pub(crate) fn event(&self, route_key: &str, event_type: EventType) -> RouteEvent {
        RouteEvent {
            route_key: route_key.to_owned(),
            event_type,
            connection_id: self.connection_id.clone(),
            connected_at_ms: self.connected_at_ms,
            request_time_ms: now_ms(),
            stage: self.stage.clone(),
            domain_name: self.domain_name.clone(),
            source_ip: self.source_ip.clone(),
            user_agent: self.user_agent.clone(),
            query: HashMap::new(),
            headers: HashMap::new(),
            body: None,
            is_base64_encoded: false,
            disconnect_status_code: None,
            disconnect_reason: None,
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The frame API Gateway sends a client whose message route failed, e.g.
/// `{"message": "Internal server error", "connectionId": "...", "requestId": "..."}`;
/// `request_id` is the event's (a new one when `None`).
pub(crate) fn error_frame(message: &str, connection_id: &str, request_id: Option<&str>) -> Bytes {
    let quoted = |s: &str| serde_json::Value::from(s).to_string();
    // API Gateway's own spacing.
    Bytes::from(format!(
        r#"{{"message": {}, "connectionId":{}, "requestId":{}}}"#,
        quoted(message),
        quoted(connection_id),
        quoted(request_id.unwrap_or(&crate::ids::new_event_request_id()))
    ))
}

/// Calls the integration; a panic becomes a 500 answer instead of killing the socket.
pub(crate) async fn invoke(
    integration: &dyn Integration,
    event: RouteEvent,
) -> IntegrationResponse {
    use futures::FutureExt as _;
    let route = event.route_key.clone();
    match std::panic::AssertUnwindSafe(integration.handle(event))
        .catch_unwind()
        .await
    {
        Ok(answer) => answer,
        Err(_) => {
            tracing::error!(route = %route, "the integration panicked");
            IntegrationResponse::new(500, r#"{"message": "Internal server error"}"#)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_tokens() {
        let meta = ConnectionMeta {
            connection_id: "c".into(),
            connected_at_ms: 1,
            stage: "dev".into(),
            domain_name: "h".into(),
            source_ip: "127.0.0.1".into(),
            user_agent: None,
        };
        let mut e = meta.event("$connect", EventType::Connect);
        e.query.insert("token".into(), "tok-secret".into());
        e.query.insert("type".into(), "chat".into());
        e.headers
            .insert("Authorization".into(), "Bearer hdr-secret".into());
        let printed = format!("{e:?}");
        assert!(
            !printed.contains("tok-secret") && !printed.contains("hdr-secret"),
            "{printed}"
        );
        assert!(printed.contains("chat"));
    }
}
