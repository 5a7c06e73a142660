//! The polls of a process slot: [`Polling`], one counted while it waits, and a process that
//! stopped polling after its answer ([`Slots::stalled`]).

use super::{Lifecycle, Slots};
use std::time::Duration;

/// A poll of a process slot, counted in [`super::Slot::polling`] while it waits.
pub(super) struct Polling<'a> {
    slots: &'a Slots,
    slot: usize,
}

impl<'a> Polling<'a> {
    pub(super) fn new(slots: &'a Slots, slot: usize, generation: u64) -> Self {
        if let Some(s) = slots.lock().slots.get_mut(slot) {
            s.polling += 1;
            if s.generation == generation {
                s.answered = None;
            }
        }
        Self { slots, slot }
    }
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.slots.lock().slots.get_mut(self.slot) {
            s.polling = s.polling.saturating_sub(1);
        }
    }
}

impl Slots {
    /// How long ago the process of `slot` at `generation` answered its last invocation, when
    /// that is more than `after` ago, it has not asked for another since, and invocations
    /// wait: such a process is wedged (it will never take them) and is to be replaced. It is
    /// then retired at once, so that a poll it makes before its kill takes nothing.
    pub(crate) fn stalled(
        &self,
        slot: usize,
        generation: u64,
        after: Duration,
    ) -> Option<Duration> {
        let mut state = self.lock();
        let waiting = !state.queue.is_empty();
        let busy = state.is_busy(slot);
        let s = state.slots.get_mut(slot)?;
        if s.is_stale(generation) || s.polling > 0 || !waiting || busy {
            return None;
        }
        let silent = s.answered?.elapsed();
        if silent <= after {
            return None;
        }
        s.lifecycle = Lifecycle::Retired;
        Some(silent)
    }
}
