//! The process slots and the invocations between them: invocations wait in a queue until a
//! process of a slot asks for one, and each handed-out invocation waits for its process's
//! answer, its timeout ([`crate::deadline`]) or its process's end.

use crate::deadline;
use crate::invocation::{Dispatched, Next, Outcome, Pending, Running};
use crate::stats::{Counters, Durations};
use bytes::Bytes;
use polling::Polling;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

/// Where a slot's current process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    /// It runs the current code.
    Current,
    /// It runs older code ([`Slots::retire`]): replaced when it next asks for an invocation.
    Retiring,
    /// It was told to end (its kill is on its way): until it has, its polls take nothing.
    Retired,
}

/// One process slot.
#[derive(Debug)]
struct Slot {
    /// Bumped whenever its process ends, so a poll made by a dead process can never take an
    /// invocation.
    generation: u64,
    lifecycle: Lifecycle,
    /// Polls waiting for an invocation. A process waiting in one cannot have another request
    /// on its way, so it can be replaced at once without any request of the dead process
    /// taking an invocation meant for its successor.
    polling: usize,
    /// When its process last answered an invocation, until it asks for the next one: a
    /// process that stays silent after answering is replaced ([`Slots::stalled`]).
    answered: Option<Instant>,
}

impl Slot {
    /// True when a poll made by the process of `generation` may take nothing.
    fn is_stale(&self, generation: u64) -> bool {
        self.generation != generation || self.lifecycle == Lifecycle::Retired
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Pending>,
    running: HashMap<String, Running>,
    slots: Vec<Slot>,
    /// Set when no process can ever take an invocation (every slot gave up, or stopping).
    unavailable: Option<String>,
}

impl State {
    fn slot(&mut self, slot: Option<usize>) -> Option<&mut Slot> {
        slot.and_then(|s| self.slots.get_mut(s))
    }

    fn is_busy(&self, slot: usize) -> bool {
        self.running.values().any(|r| r.slot == Some(slot))
    }
}

/// The slots and the invocations, shared by the Runtime API, the Invoke API, the processes
/// and [`crate::LocalFunction`].
pub(crate) struct Slots {
    state: Mutex<State>,
    queued: Notify,
    timeout: Duration,
    /// How invocations ended so far.
    pub counters: Counters,
    /// How long the latest answered invocations ran.
    pub durations: Durations,
    /// When the latest invocations ran ([`Slots::ran_at`]).
    runs: ran::Runs,
    /// Kills the process of a slot if it still is the one of a generation: one whose
    /// invocation timed out, or one retired.
    kill: Box<dyn Fn(usize, u64) + Send + Sync>,
}

impl Slots {
    pub(crate) fn new(
        slots: usize,
        timeout: Duration,
        kill: impl Fn(usize, u64) + Send + Sync + 'static,
    ) -> Arc<Self> {
        let slots = (0..slots)
            .map(|_| Slot {
                generation: 0,
                lifecycle: Lifecycle::Current,
                polling: 0,
                answered: None,
            })
            .collect();
        Arc::new(Self {
            state: Mutex::new(State {
                slots,
                ..State::default()
            }),
            queued: Notify::new(),
            timeout,
            counters: Counters::default(),
            durations: Durations::default(),
            runs: ran::Runs::default(),
            kill: Box::new(kill),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Kills `slot`'s process if it still is the one of `generation`.
    pub(crate) fn kill(&self, slot: usize, generation: u64) {
        (self.kill)(slot, generation);
    }

    /// Queues `payload`; the receiver gets its outcome (`want_reply`), or nothing for an
    /// asynchronous (`Event`) invocation. Returns the request id too.
    pub(crate) fn submit(
        self: &Arc<Self>,
        payload: Bytes,
        want_reply: bool,
    ) -> (String, Option<oneshot::Receiver<Outcome>>) {
        let request_id = crate::ids::new_invocation_id();
        let (tx, rx) = if want_reply {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let mut state = self.lock();
        if let Some(why) = state.unavailable.clone() {
            drop(state);
            if let Some(tx) = tx {
                let _ = tx.send(Outcome::Unavailable(why));
            }
            return (request_id, rx);
        }
        state.queue.push_back(Pending {
            request_id: request_id.clone(),
            payload,
            reply: tx,
        });
        drop(state);
        self.queued.notify_waiters();
        // An event waits at most the function's timeout for a free process.
        deadline::watch_queued(self, request_id.clone(), self.timeout);
        (request_id, rx)
    }

    /// Ends the queued invocation `request_id`, if still queued: no process took it.
    pub(crate) fn expire_queued(&self, request_id: &str, waited: Duration) {
        let mut state = self.lock();
        let Some(at) = state.queue.iter().position(|p| p.request_id == request_id) else {
            return;
        };
        let pending = state.queue.remove(at);
        drop(state);
        let why = format!("no function process took the invocation within {waited:?}");
        tracing::warn!(request_id, "{why}");
        if let Some(tx) = pending.and_then(|p| p.reply) {
            let _ = tx.send(Outcome::Unavailable(why));
        }
    }

    /// The current generation of `slot`'s process (0 for a poller outside the slots).
    pub(crate) fn generation(&self, slot: Option<usize>) -> u64 {
        self.lock().slot(slot).map_or(0, |s| s.generation)
    }

    /// Long-polls for the next invocation for a process of `slot` at `generation`.
    pub(crate) async fn next(self: &Arc<Self>, slot: Option<usize>, generation: u64) -> Next {
        let _polling = slot.map(|slot| Polling::new(self, slot, generation));
        loop {
            let queued = self.queued.notified();
            tokio::pin!(queued);
            queued.as_mut().enable();
            {
                let mut state = self.lock();
                if let Some(s) = state.slot(slot) {
                    if s.is_stale(generation) {
                        return Next::Stale;
                    }
                    if s.lifecycle == Lifecycle::Retiring {
                        // A retired process done with its invocation: replaced now.
                        s.lifecycle = Lifecycle::Retired;
                        drop(state);
                        self.kill(slot.unwrap_or_default(), generation);
                        return Next::Stale;
                    }
                }
                if state.unavailable.is_some() {
                    return Next::Closed;
                }
                if let Some(p) = state.queue.pop_front() {
                    let running = Running {
                        slot,
                        reply: p.reply,
                        started: Instant::now(),
                    };
                    state.running.insert(p.request_id.clone(), running);
                    drop(state);
                    return Next::Invocation(self.dispatch(
                        p.request_id,
                        p.payload,
                        slot,
                        generation,
                    ));
                }
            }
            queued.await;
        }
    }

    /// Counts an invocation a process took and starts its deadline.
    fn dispatch(
        self: &Arc<Self>,
        request_id: String,
        payload: Bytes,
        slot: Option<usize>,
        generation: u64,
    ) -> Dispatched {
        self.counters.invocations.fetch_add(1, Ordering::Relaxed);
        let deadline_ms = crate::ids::now_ms() + self.timeout.as_millis() as i64;
        deadline::watch_running(self, request_id.clone(), slot, generation, self.timeout);
        Dispatched {
            trace_id: crate::ids::trace_id(),
            request_id,
            payload,
            deadline_ms,
        }
    }

    /// Ends a running invocation; false when `request_id` is not running (unknown, or
    /// already ended).
    pub(crate) fn complete(&self, request_id: &str, outcome: Outcome) -> bool {
        let mut state = self.lock();
        let Some(running) = state.running.remove(request_id) else {
            return false;
        };
        if let Some(s) = state.slot(running.slot) {
            s.answered = Some(Instant::now());
        }
        drop(state);
        let counter = match &outcome {
            Outcome::Response(_) => Some(&self.counters.responses),
            Outcome::FunctionError { .. } => Some(&self.counters.function_errors),
            Outcome::Crashed(_) => Some(&self.counters.crashes),
            Outcome::TimedOut(_) => Some(&self.counters.timeouts),
            Outcome::Unavailable(_) => None,
        };
        let took = running.started.elapsed();
        self.runs.record(took);
        if matches!(
            outcome,
            Outcome::Response(_) | Outcome::FunctionError { .. }
        ) {
            self.durations.record(took);
        }
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(tx) = running.reply {
            let _ = tx.send(outcome);
        } else if !matches!(outcome, Outcome::Response(_)) {
            tracing::warn!(request_id, ?outcome, "an asynchronous invocation failed");
        }
        true
    }

    /// True when `request_id` is running.
    #[cfg(test)]
    pub(crate) fn is_running(&self, request_id: &str) -> bool {
        self.lock().running.contains_key(request_id)
    }

    /// `slot`'s process ended: its polls are void and its invocations end with `reason`.
    /// Returns how many invocations it held.
    pub(crate) fn process_ended(&self, slot: usize, reason: &str) -> usize {
        let mut state = self.lock();
        if let Some(s) = state.slots.get_mut(slot) {
            s.generation += 1;
            s.lifecycle = Lifecycle::Current;
            s.answered = None;
        }
        let ids: Vec<String> = state
            .running
            .iter()
            .filter(|(_, r)| r.slot == Some(slot))
            .map(|(id, _)| id.clone())
            .collect();
        let lost: Vec<Running> = ids
            .iter()
            .filter_map(|id| state.running.remove(id))
            .collect();
        drop(state);
        self.queued.notify_waiters();
        let n = lost.len();
        self.counters.crashes.fetch_add(n as u64, Ordering::Relaxed);
        for r in lost {
            match r.reply {
                Some(tx) => {
                    let _ = tx.send(Outcome::Crashed(reason.to_owned()));
                }
                None => tracing::warn!("an asynchronous invocation was lost: {reason}"),
            }
        }
        n
    }

    /// True when the process of `slot` at `generation` was retired ([`Slots::retire`]).
    pub(crate) fn is_retired(&self, slot: usize, generation: u64) -> bool {
        self.lock()
            .slots
            .get(slot)
            .is_some_and(|s| s.generation == generation && s.lifecycle == Lifecycle::Retired)
    }

    /// Replaces every process, as its code changed: one waiting for an invocation at once
    /// (its polls are void from now on, so no invocation reaches it; the generation moves on
    /// when it ended), any other (running an invocation, starting, or between two requests)
    /// when it next asks for one. Returns how many processes it retired.
    pub(crate) fn retire(&self) -> usize {
        let mut state = self.lock();
        let mut idle = Vec::new();
        for at in 0..state.slots.len() {
            let busy = state.is_busy(at);
            let slot = &mut state.slots[at];
            if busy || slot.polling == 0 {
                slot.lifecycle = Lifecycle::Retiring;
            } else {
                slot.lifecycle = Lifecycle::Retired;
                idle.push((at, slot.generation));
            }
        }
        let n = state.slots.len();
        drop(state);
        self.queued.notify_waiters();
        for (slot, generation) in idle {
            self.kill(slot, generation);
        }
        n
    }

    /// No process will ever take an invocation again: everything queued, and everything
    /// submitted from now on, ends with `reason`.
    pub(crate) fn close(&self, reason: &str) {
        let mut state = self.lock();
        state.unavailable.get_or_insert_with(|| reason.to_owned());
        let queued: Vec<Pending> = state.queue.drain(..).collect();
        drop(state);
        self.queued.notify_waiters();
        for p in queued {
            if let Some(tx) = p.reply {
                let _ = tx.send(Outcome::Unavailable(reason.to_owned()));
            }
        }
    }

    /// Ends every running invocation with `reason` (used when stopping).
    pub(crate) fn abandon_running(&self, reason: &str) {
        let running: Vec<Running> = self.lock().running.drain().map(|(_, r)| r).collect();
        for r in running {
            if let Some(tx) = r.reply {
                let _ = tx.send(Outcome::Unavailable(reason.to_owned()));
            }
        }
    }
}

mod polling;
mod ran;

#[cfg(test)]
mod tests;
