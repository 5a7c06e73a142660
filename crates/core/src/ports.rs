//! The three ports through which the core reaches the world.

use crate::ConnectionItem;
use async_trait::async_trait;
use bytes::Bytes;
use serde_json::Value;

/// Where connections are kept (contract section 5). Expired items are never returned.
#[async_trait]
pub trait Registry: Send + Sync {
    /// Stores an item, replacing one with the same (partition, connection id).
    async fn put(&self, item: &ConnectionItem) -> Result<(), RegistryError>;

    /// Every live item of one connection (one index lookup, never a scan).
    async fn by_connection(
        &self,
        connection_id: &str,
    ) -> Result<Vec<ConnectionItem>, RegistryError>;

    /// Every live item registered under one partition.
    async fn by_partition(&self, partition: &str) -> Result<Vec<ConnectionItem>, RegistryError>;

    /// Deletes the given items; deleting an absent item is not an error.
    async fn delete(&self, items: &[ConnectionItem]) -> Result<(), RegistryError>;

    /// Removes every item of a connection; returns how many were removed.
    async fn remove_connection(&self, connection_id: &str) -> Result<usize, RegistryError> {
        let items = self.by_connection(connection_id).await?;
        if !items.is_empty() {
            self.delete(&items).await?;
        }
        Ok(items.len())
    }
}

/// A registry call that failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The store answered with an error or could not be reached.
    #[error("connection registry error: {0}; check that the store is running and reachable")]
    Unavailable(String),
    /// The registry's table does not exist, so no connection can be kept or found.
    #[error("connection table '{table}' does not exist: {fix}")]
    TableMissing {
        /// The table's name.
        table: String,
        /// What to do about it, in the host's terms (the AWS host names the command that
        /// creates the table).
        fix: String,
    },
}

/// The HTTP backend: one JSON POST per call.
#[async_trait]
pub trait Backend: Send + Sync {
    /// POSTs `body` as JSON to `path` (beginning with `/`); a 2xx answer that is not JSON is `{}`.
    async fn post(&self, path: &str, body: &Value) -> Result<Value, BackendError>;
}

/// A backend call that failed. The messages never contain a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    /// Nothing answered (connection refused, DNS, TLS).
    #[error("backend unreachable for POST {path}: {reason}")]
    Unreachable {
        /// The path called.
        path: String,
        /// What the transport said.
        reason: String,
    },
    /// No answer within the configured limit.
    #[error("backend timed out after {timeout_ms} ms for POST {path}")]
    Timeout {
        /// The path called.
        path: String,
        /// The limit that passed.
        timeout_ms: u64,
    },
    /// The answer's body is larger than the backend client reads; the read was stopped.
    #[error("the backend's answer to POST {path} is {}over the {limit}-byte limit of one answer; it was not read", size.map(|n| format!("{n} bytes, ")).unwrap_or_default())]
    TooLarge {
        /// The path called.
        path: String,
        /// The limit, in bytes.
        limit: usize,
        /// The size the backend announced (`Content-Length`), when it did.
        size: Option<u64>,
    },
    /// The backend answered with a non-2xx status.
    #[error("backend answered HTTP {status} for POST {path}")]
    Status {
        /// The path called.
        path: String,
        /// The HTTP status.
        status: u16,
    },
}

/// API Gateway's largest WebSocket message, in bytes (128 KiB): what a push may carry.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// Sends bytes to one open socket (API Gateway's `PostToConnection`).
#[async_trait]
pub trait Pusher: Send + Sync {
    /// Delivers `data` as one text message to `connection_id`.
    async fn push(&self, connection_id: &str, data: Bytes) -> Result<(), PushError>;

    /// The largest message [`Pusher::push`] accepts, in bytes. The core never hands it a
    /// bigger one: the sender gets an error frame instead.
    fn max_message_bytes(&self) -> usize {
        MAX_MESSAGE_BYTES
    }
}

/// A push that did not arrive.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PushError {
    /// The connection is not open (410 GoneException); its registry items are stale.
    #[error("connection {0} is gone")]
    Gone(String),
    /// The push was refused for a reason that may pass (throttled, buffer full, store error).
    #[error("push to connection {connection_id} failed: {reason}")]
    Failed {
        /// The target.
        connection_id: String,
        /// Why.
        reason: String,
    },
}
