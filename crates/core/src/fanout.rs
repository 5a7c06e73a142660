//! Fan-out: pushes to one or many sockets, bounded concurrency, per-push timeout, Gone cleanup.

use crate::{Proxy, PushError};
use bytes::Bytes;
use futures::{stream, StreamExt};
use serde_json::Value;
use tracing::{debug, warn};

/// How the pushes of one fan-out went: how many arrived, found their socket gone, failed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FanOutCounts {
    pub delivered: usize,
    pub gone: usize,
    pub failed: usize,
}

impl Proxy {
    /// Sends one JSON value to one connection.
    pub(crate) async fn send_json(&self, connection_id: &str, value: &Value) -> FanOutCounts {
        self.fan_out([connection_id.to_owned()], Bytes::from(value.to_string()))
            .await
    }

    /// `Ok` when `payload` is within the pusher's message limit; else the error the sender
    /// is told (`what` names the payload). A payload is never dropped silently.
    pub(crate) fn fits(&self, what: &str, payload: &str) -> Result<(), String> {
        let limit = self.pusher.max_message_bytes();
        if payload.len() <= limit {
            return Ok(());
        }
        warn!(
            size = payload.len(),
            limit, "{what} is over the message limit; not delivered"
        );
        Err(format!(
            "{what} is {} bytes, over the {limit}-byte message limit; it was not delivered",
            payload.len()
        ))
    }

    /// What to push once a socket has opened: each value, or an error frame in place of
    /// one that is over the message limit.
    pub(crate) fn fit_after_open(&self, values: Vec<Value>) -> Vec<Value> {
        values
            .into_iter()
            .map(
                |v| match self.fits("the backend's initial message", &v.to_string()) {
                    Ok(()) => v,
                    Err(error) => serde_json::json!({"type": "error", "error": error}),
                },
            )
            .collect()
    }

    /// Sends `payload` to every target at once, at most `fanout_concurrency` in flight.
    ///
    /// A slow target holds one slot until `push_timeout`; a gone one has its items removed
    /// (defect 4). Neither delays nor fails the others.
    pub(crate) async fn fan_out(
        &self,
        targets: impl IntoIterator<Item = String>,
        payload: Bytes,
    ) -> FanOutCounts {
        let limit = self.config.fanout_concurrency.max(1);
        stream::iter(targets)
            .map(|id| {
                let payload = payload.clone();
                async move {
                    let outcome = tokio::time::timeout(
                        self.config.push_timeout,
                        self.pusher.push(&id, payload),
                    )
                    .await;
                    match outcome {
                        Ok(Ok(())) => Outcome::Delivered,
                        Ok(Err(PushError::Gone(_))) => {
                            self.remove_gone(&id).await;
                            Outcome::Gone
                        }
                        Ok(Err(e)) => {
                            warn!(target_connection = %id, error = %e, "push failed");
                            Outcome::Failed
                        }
                        Err(_) => {
                            warn!(target_connection = %id, timeout = ?self.config.push_timeout, "push timed out");
                            Outcome::Failed
                        }
                    }
                }
            })
            .buffer_unordered(limit)
            .fold(FanOutCounts::default(), |mut d, o| async move {
                match o {
                    Outcome::Delivered => d.delivered += 1,
                    Outcome::Gone => d.gone += 1,
                    Outcome::Failed => d.failed += 1,
                }
                d
            })
            .await
    }
}

impl Proxy {
    /// Removes the items of a connection a push found gone, but those written less than
    /// [`GONE_GRACE_SECS`] ago: a push answers Gone while the connection's `$connect` is
    /// still running too (its socket opens only after), and removing the item `$connect`
    /// has just written would leave the socket open with no item, unreachable by any
    /// broadcast. A connection that really is gone loses its fresh items at the first
    /// broadcast after the grace, or by time to live.
    async fn remove_gone(&self, id: &str) {
        let items = match self.registry.by_connection(id).await {
            Ok(items) => items,
            Err(e) => {
                warn!(target_connection = %id, error = %e, "could not remove a gone connection");
                return;
            }
        };
        let now = crate::now_epoch_secs();
        let (stale, fresh): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|item| now - item.created_at >= GONE_GRACE_SECS);
        if !fresh.is_empty() {
            debug!(target_connection = %id, kept = fresh.len(), "push answered Gone; keeping the items written in the last {GONE_GRACE_SECS} s (its $connect may still be running)");
        }
        if stale.is_empty() {
            return;
        }
        debug!(target_connection = %id, removed = stale.len(), "push answered Gone; removing its items");
        if let Err(e) = self.registry.delete(&stale).await {
            warn!(target_connection = %id, error = %e, "could not remove a gone connection");
        }
    }
}

/// How old an item must be before a Gone push removes it: longer than any `$connect` runs
/// (API Gateway gives an integration 29 s).
pub const GONE_GRACE_SECS: i64 = 30;

enum Outcome {
    Delivered,
    Gone,
    Failed,
}
