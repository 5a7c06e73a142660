//! The JSON bodies the proxy POSTs (contract sections 2 and 3).
//!
//! None of them derives `Debug`: they carry tokens, which are never logged.

use serde::Deserialize;
use serde_json::Value;

/// `{connection_id, token}`: every connect call.
#[derive(Deserialize)]
pub(crate) struct ConnectRequest {
    /// The gateway's id of the connecting socket.
    #[serde(default)]
    pub connection_id: String,
    /// The token given in the client's query.
    #[serde(default)]
    pub token: Option<String>,
}

/// `{connection_id, message, token}`: every message call (feed has no token).
#[derive(Deserialize)]
pub(crate) struct MessageRequest {
    /// The sender's connection id.
    #[serde(default)]
    pub connection_id: String,
    /// The client's message, a JSON object.
    #[serde(default)]
    pub message: Value,
    /// The token the sender connected with.
    #[serde(default)]
    pub token: Option<String>,
}

impl MessageRequest {
    /// A string field of the message, trimmed; `None` when absent, not a string or blank.
    pub(crate) fn text_field(&self, key: &str) -> Option<String> {
        let text = self.message.get(key)?.as_str()?.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// The message's `action` (else `type`), e.g. `history` or `markRead`.
    pub(crate) fn action(&self) -> Option<String> {
        self.text_field("action")
            .or_else(|| self.text_field("type"))
    }
}

/// `{token}`: the participants call.
#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    /// The token of the connection that asks.
    #[serde(default)]
    pub token: Option<String>,
}
