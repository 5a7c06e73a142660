//! The demo backend's memory: chat histories, booking statuses, who is connected to
//! which booking, unread notifications. Lost on restart, as befits a demo.

use crate::DemoConfig;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Chat messages kept per booking.
pub(crate) const HISTORY_LEN: usize = 100;
/// Unread notifications kept per user.
const UNREAD_LEN: usize = 100;
/// How long one `@connections` push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

pub(crate) struct Shared {
    pub config: DemoConfig,
    pub http: reqwest::Client,
    memory: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    history: HashMap<String, VecDeque<Value>>,
    statuses: HashMap<String, String>,
    booking_connections: HashMap<String, BTreeSet<String>>,
    unread: HashMap<String, VecDeque<Value>>,
    next_message_id: u64,
    next_feed_id: u64,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Fresh state for `config`.
    pub(crate) fn new(config: DemoConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(PUSH_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self(Arc::new(Shared {
            config,
            http,
            memory: Mutex::new(Memory::default()),
        }))
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A booking's current status.
    pub(crate) fn status(&self, booking_id: &str) -> String {
        self.memory()
            .statuses
            .get(booking_id)
            .cloned()
            .unwrap_or_else(|| self.config.initial_status.clone())
    }

    /// Changes a booking's status.
    pub(crate) fn set_status(&self, booking_id: &str, status: &str) {
        self.memory()
            .statuses
            .insert(booking_id.to_owned(), status.to_owned());
    }

    /// Remembers a booking connection, learned from its connect call.
    pub(crate) fn add_booking_connection(&self, booking_id: &str, connection_id: &str) {
        self.memory()
            .booking_connections
            .entry(booking_id.to_owned())
            .or_default()
            .insert(connection_id.to_owned());
    }

    /// The booking connections learned so far.
    pub(crate) fn booking_connections(&self, booking_id: &str) -> Vec<String> {
        self.memory()
            .booking_connections
            .get(booking_id)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets a booking connection (its push answered 410 Gone).
    pub(crate) fn remove_booking_connection(&self, booking_id: &str, connection_id: &str) {
        let mut memory = self.memory();
        if let Some(ids) = memory.booking_connections.get_mut(booking_id) {
            ids.remove(connection_id);
            if ids.is_empty() {
                memory.booking_connections.remove(booking_id);
            }
        }
    }

    /// The next chat message id (1, 2, ...).
    pub(crate) fn next_message_id(&self) -> u64 {
        let mut memory = self.memory();
        memory.next_message_id += 1;
        memory.next_message_id
    }

    /// Appends a chat message to a booking's history, dropping the oldest past [`HISTORY_LEN`].
    pub(crate) fn record_chat(&self, booking_id: &str, message: Value) {
        let mut memory = self.memory();
        let history = memory.history.entry(booking_id.to_owned()).or_default();
        history.push_back(message);
        while history.len() > HISTORY_LEN {
            history.pop_front();
        }
    }

    /// A booking's chat history, oldest first.
    pub(crate) fn history(&self, booking_id: &str) -> Vec<Value> {
        self.memory()
            .history
            .get(booking_id)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds an unread notification for `user_id`; returns how many are unread now.
    pub(crate) fn notify(&self, user_id: &str, notification: Value) -> usize {
        let mut memory = self.memory();
        let unread = memory.unread.entry(user_id.to_owned()).or_default();
        unread.push_back(notification);
        while unread.len() > UNREAD_LEN {
            unread.pop_front();
        }
        unread.len()
    }

    /// The unread notifications of `user_id`, oldest first.
    pub(crate) fn unread(&self, user_id: &str) -> Vec<Value> {
        self.memory()
            .unread
            .get(user_id)
            .map(|u| u.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Marks every notification of `user_id` read.
    pub(crate) fn mark_read(&self, user_id: &str) {
        self.memory().unread.remove(user_id);
    }

    /// The next feed item id (1, 2, ...).
    pub(crate) fn next_feed_id(&self) -> u64 {
        let mut memory = self.memory();
        memory.next_feed_id += 1;
        memory.next_feed_id
    }
}

/// Now, as RFC 3339 UTC (`2025-01-31T12:00:00Z`).
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
