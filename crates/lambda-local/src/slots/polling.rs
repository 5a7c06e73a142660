//! [`Polling`]: a poll of a process slot, counted while it waits.

use super::Slots;

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
