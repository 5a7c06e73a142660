//! The two clocks of an invocation: a queued one waits at most the function's timeout for a
//! process, and a running one ends with [`Outcome::TimedOut`] when it runs past it (its
//! process is then killed).

use crate::invocation::Outcome;
use crate::slots::Slots;
use std::sync::Arc;
use std::time::Duration;

/// Ends the queued invocation `request_id` as unavailable if no process took it `after`.
pub(crate) fn watch_queued(slots: &Arc<Slots>, request_id: String, after: Duration) {
    let weak = Arc::downgrade(slots);
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        if let Some(slots) = weak.upgrade() {
            slots.expire_queued(&request_id, after);
        }
    });
}

/// Ends the running invocation `request_id` with [`Outcome::TimedOut`] `after`, and kills
/// the process of `slot` at `generation` that ran it, unless it ended before.
pub(crate) fn watch_running(
    slots: &Arc<Slots>,
    request_id: String,
    slot: Option<usize>,
    generation: u64,
    after: Duration,
) {
    let weak = Arc::downgrade(slots);
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let Some(slots) = weak.upgrade() else { return };
        if slots.complete(&request_id, Outcome::TimedOut(after)) {
            tracing::warn!(%request_id, "the function timed out after {after:?}");
            if let Some(slot) = slot {
                slots.kill(slot, generation);
            }
        }
    });
}
