//! The table of open sockets, and pushes to them (the [`Pusher`] of the core).

use crate::budget::{Budget, Refused, OVER_BUDGET_CODE, OVER_BUDGET_REASON};
use crate::event::{now_ms, ConnectionMeta};
use crate::GatewayConfig;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, warn};
use wsproxy_core::{PushError, Pusher};

/// Why a message could not be queued for a socket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The connection is not open (unknown, `$connect` still running, or closed, including
    /// closed by this very message overflowing the socket's byte budget): 410.
    #[error("connection {0} is gone")]
    Gone(String),
    /// The payload is over the message quota: 413.
    #[error("payload of {size} bytes is over the {max}-byte message quota")]
    TooLarge {
        /// The payload's size.
        size: usize,
        /// The quota.
        max: usize,
    },
}

/// What `GetConnection` reports about an open socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The connection's id.
    pub connection_id: String,
    /// When `$connect` was received, ms since the epoch.
    pub connected_at_ms: i64,
    /// When the client last sent a frame (or connected), ms since the epoch.
    pub last_active_at_ms: i64,
    /// The client's IP address.
    pub source_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// A request to close a socket from the server side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloseRequest {
    pub code: u16,
    pub reason: String,
}

/// One open socket as the table sees it; the socket task holds the receiving ends.
#[derive(Debug)]
pub(crate) struct Handle {
    pub meta: ConnectionMeta,
    last_active_ms: AtomicI64,
    budget: Arc<Budget>,
    outgoing: mpsc::UnboundedSender<Bytes>,
    close: Mutex<Option<oneshot::Sender<CloseRequest>>>,
}

/// The receiving ends of a [`Handle`], for its socket task.
#[derive(Debug)]
pub(crate) struct HandleEnds {
    pub outgoing: mpsc::UnboundedReceiver<Bytes>,
    pub close: oneshot::Receiver<CloseRequest>,
}

impl Handle {
    /// A handle with a budget of `budget` bytes whose queue already holds `first` (so nothing
    /// can overtake them); when they do not fit, the socket closes with 1008 as it opens.
    pub(crate) fn new(
        meta: ConnectionMeta,
        budget: usize,
        first: Vec<Bytes>,
    ) -> (Arc<Self>, HandleEnds) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (close_tx, close_rx) = oneshot::channel();
        let handle = Self {
            last_active_ms: AtomicI64::new(meta.connected_at_ms),
            meta,
            budget: Arc::new(Budget::new(budget)),
            outgoing: tx,
            close: Mutex::new(Some(close_tx)),
        };
        for data in first {
            if handle.enqueue(data).is_err() {
                warn!("the messages for after the upgrade are over the socket's byte budget");
                handle.request_close(OVER_BUDGET_CODE, OVER_BUDGET_REASON);
                break;
            }
        }
        let ends = HandleEnds {
            outgoing: rx,
            close: close_rx,
        };
        (Arc::new(handle), ends)
    }

    /// The socket's byte budget.
    pub(crate) fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }

    /// Queues `data` if it fits the budget (counted until the socket has written it).
    fn enqueue(&self, data: Bytes) -> Result<(), Refused> {
        self.budget.queue(data.len())?;
        // The receiver lives as long as the socket's writer; after it, nothing is sent.
        self.outgoing.send(data).map_err(|_| Refused::Closed)
    }

    /// Records a client frame.
    pub(crate) fn touch(&self) {
        self.last_active_ms.store(now_ms(), Ordering::Relaxed);
    }

    fn request_close(&self, code: u16, reason: &str) {
        let sender = self.close.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(tx) = sender {
            let _ = tx.send(CloseRequest {
                code,
                reason: reason.to_owned(),
            });
        }
    }

    fn info(&self) -> ConnectionInfo {
        ConnectionInfo {
            connection_id: self.meta.connection_id.clone(),
            connected_at_ms: self.meta.connected_at_ms,
            last_active_at_ms: self.last_active_ms.load(Ordering::Relaxed),
            source_ip: self.meta.source_ip.clone(),
            user_agent: self.meta.user_agent.clone(),
        }
    }
}

/// Bytes to a WebSocket message: text when valid UTF-8, else binary.
pub(crate) fn to_message(data: Bytes) -> Message {
    match tokio_tungstenite::tungstenite::Utf8Bytes::try_from(data.clone()) {
        Ok(text) => Message::Text(text),
        Err(_) => Message::Binary(data),
    }
}

/// The open sockets, by connection id. Shared (`Arc`) by the gateway and the core, for
/// which it is the [`Pusher`]: pushes go straight to the socket's queue, never over HTTP.
#[derive(Debug)]
pub struct Connections {
    table: RwLock<Table>,
    max_message_bytes: usize,
    socket_budget: usize,
}

#[derive(Debug, Default)]
struct Table {
    open: HashMap<String, Arc<Handle>>,
    shut_down: bool,
}

impl Connections {
    /// An empty table using the message quota and socket budget of `config`.
    pub fn new(config: &GatewayConfig) -> Self {
        Self {
            table: RwLock::new(Table::default()),
            max_message_bytes: config.quotas.max_message_bytes,
            socket_budget: config.quotas.socket_budget_bytes,
        }
    }

    /// Queues `data` for the socket as one message (text when valid UTF-8, else binary).
    /// Never waits. When it does not fit the socket's byte budget, the client is not reading
    /// its messages: the socket is closed with 1008 at once, and this message and every
    /// later one are [`SendError::Gone`] (the connection is closed, retrying cannot help).
    pub fn send(&self, connection_id: &str, data: Bytes) -> Result<(), SendError> {
        if data.len() > self.max_message_bytes {
            return Err(SendError::TooLarge {
                size: data.len(),
                max: self.max_message_bytes,
            });
        }
        let handle = self
            .get(connection_id)
            .ok_or_else(|| SendError::Gone(connection_id.to_owned()))?;
        match handle.enqueue(data) {
            Ok(()) => Ok(()),
            Err(refused) => {
                if refused == Refused::Overflow {
                    warn!(
                        connection_id,
                        budget = self.socket_budget,
                        "the client is not reading its messages: closing it"
                    );
                    self.remove(&handle);
                    handle.request_close(OVER_BUDGET_CODE, OVER_BUDGET_REASON);
                }
                Err(SendError::Gone(connection_id.to_owned()))
            }
        }
    }

    /// What `GetConnection` reports, or `None` when the connection is not open.
    pub fn info(&self, connection_id: &str) -> Option<ConnectionInfo> {
        self.get(connection_id).map(|h| h.info())
    }

    /// Closes a socket with `code` and `reason`: it leaves the table at once, the close frame
    /// follows, then `$disconnect` runs. False when it was not open.
    pub fn close(&self, connection_id: &str, code: u16, reason: &str) -> bool {
        let removed = self.write().open.remove(connection_id);
        match removed {
            Some(handle) => {
                debug!(connection_id, code, "close requested");
                handle.request_close(code, reason);
                true
            }
            None => false,
        }
    }

    /// True when the connection is open.
    pub fn contains(&self, connection_id: &str) -> bool {
        self.read().open.contains_key(connection_id)
    }

    /// Ids of the open connections.
    pub fn ids(&self) -> Vec<String> {
        self.read().open.keys().cloned().collect()
    }

    /// Number of open connections.
    pub fn len(&self) -> usize {
        self.read().open.len()
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The byte budget of each socket.
    pub(crate) fn socket_budget(&self) -> usize {
        self.socket_budget
    }

    /// Adds an open socket; false when the id is taken or the gateway is shutting down.
    pub(crate) fn insert(&self, handle: Arc<Handle>) -> bool {
        let mut t = self.write();
        if t.shut_down || t.open.contains_key(&handle.meta.connection_id) {
            return false;
        }
        t.open.insert(handle.meta.connection_id.clone(), handle);
        true
    }

    /// Removes this very handle (not a later one with the same id); true if it was there.
    pub(crate) fn remove(&self, handle: &Arc<Handle>) -> bool {
        let mut t = self.write();
        match t.open.get(&handle.meta.connection_id) {
            Some(h) if Arc::ptr_eq(h, handle) => {
                t.open.remove(&handle.meta.connection_id);
                true
            }
            _ => false,
        }
    }

    /// Refuses new sockets from now on and closes every open one; returns how many.
    pub(crate) fn shut_down(&self, code: u16, reason: &str) -> usize {
        let drained: Vec<Arc<Handle>> = {
            let mut t = self.write();
            t.shut_down = true;
            t.open.drain().map(|(_, h)| h).collect()
        };
        for h in &drained {
            h.request_close(code, reason);
        }
        drained.len()
    }

    fn get(&self, connection_id: &str) -> Option<Arc<Handle>> {
        self.read().open.get(connection_id).cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl Pusher for Connections {
    async fn push(&self, connection_id: &str, data: Bytes) -> Result<(), PushError> {
        self.send(connection_id, data).map_err(|e| match e {
            SendError::Gone(id) => PushError::Gone(id),
            e => PushError::Failed {
                connection_id: connection_id.to_owned(),
                reason: e.to_string(),
            },
        })
    }

    /// The gateway's own message quota (`--max-message-bytes`), not API Gateway's default.
    fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }
}

#[cfg(test)]
mod tests;
