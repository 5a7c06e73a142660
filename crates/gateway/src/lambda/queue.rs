//! The invocation queue: events wait here until a function process asks for one, and each
//! handed-out invocation waits for its process's answer, its timeout or its process's end.

use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

/// How many of the latest invocations' durations [`Dispatcher::durations`] keeps.
pub(crate) const DURATIONS_KEPT: usize = 1024;

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `POST /runtime/invocation/{id}/response`.
    Response(Bytes),
    /// `POST /runtime/invocation/{id}/error`: the error type and the error document.
    FunctionError { error_type: String, body: Bytes },
    /// The process running it exited (the reason says how).
    Crashed(String),
    /// It ran longer than the function's timeout.
    TimedOut(Duration),
    /// No process took it: the function cannot start, it waited too long, or we are stopping.
    Unavailable(String),
}

/// What a poll for the next invocation gets.
#[derive(Debug)]
pub(crate) enum Next {
    /// An invocation to run.
    Invocation(Dispatched),
    /// The polling process has ended (its slot runs another, or none).
    Stale,
    /// No invocation will ever come: the function is stopping or cannot start.
    Closed,
}

/// An invocation handed to a process.
#[derive(Debug)]
pub(crate) struct Dispatched {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline_ms: i64,
    pub trace_id: String,
}

struct Pending {
    request_id: String,
    payload: Bytes,
    reply: Option<oneshot::Sender<Outcome>>,
}

struct Running {
    slot: Option<usize>,
    reply: Option<oneshot::Sender<Outcome>>,
    /// When a process took it: Lambda's billed duration runs from here to its answer.
    started: Instant,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Pending>,
    running: HashMap<String, Running>,
    /// Per process slot: bumped whenever its process ends, so a poll made by a dead process
    /// can never take an invocation.
    generations: Vec<u64>,
    /// Per process slot: its process runs older code ([`Dispatcher::retire`]) and is
    /// replaced once it finished its invocation.
    retiring: Vec<bool>,
    /// Per process slot: the generation whose process is retired, still alive until its
    /// kill lands; its polls take nothing.
    retired: Vec<Option<u64>>,
    /// Per process slot: polls waiting for an invocation. A process waiting in one cannot
    /// have another request on its way, so it can be replaced at once without any request
    /// of the dead process taking an invocation meant for its successor.
    polling: Vec<usize>,
    /// Set when no process can ever take an invocation (every slot gave up, or stopping).
    unavailable: Option<String>,
    /// The durations of the latest answered invocations (at most [`DURATIONS_KEPT`]).
    durations: VecDeque<Duration>,
}

/// How invocations ended so far.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub invocations: AtomicU64,
    pub responses: AtomicU64,
    pub function_errors: AtomicU64,
    pub crashes: AtomicU64,
    pub timeouts: AtomicU64,
}

/// The queue shared by the Runtime API, the Invoke API, the processes and the integration.
pub(crate) struct Dispatcher {
    state: Mutex<State>,
    queued: Notify,
    timeout: Duration,
    /// How invocations ended so far.
    pub counters: Counters,
    /// Kills the process of a slot if it still is the one of a generation: one whose
    /// invocation timed out, or one retired.
    kill: Box<dyn Fn(usize, u64) + Send + Sync>,
}

impl Dispatcher {
    pub(crate) fn new(
        slots: usize,
        timeout: Duration,
        kill: impl Fn(usize, u64) + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                generations: vec![0; slots],
                retiring: vec![false; slots],
                retired: vec![None; slots],
                polling: vec![0; slots],
                ..State::default()
            }),
            queued: Notify::new(),
            timeout,
            counters: Counters::default(),
            kill: Box::new(kill),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `payload`; the receiver gets its outcome (`want_reply`), or nothing for an
    /// asynchronous (`Event`) invocation. Returns the request id too.
    pub(crate) fn submit(
        self: &Arc<Self>,
        payload: Bytes,
        want_reply: bool,
    ) -> (String, Option<oneshot::Receiver<Outcome>>) {
        let request_id = crate::ids::new_request_id();
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
        let weak = Arc::downgrade(self);
        let id = request_id.clone();
        let wait = self.timeout;
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            if let Some(d) = weak.upgrade() {
                d.expire_queued(&id, wait);
            }
        });
        (request_id, rx)
    }

    fn expire_queued(&self, request_id: &str, waited: Duration) {
        let mut state = self.lock();
        let Some(at) = state.queue.iter().position(|p| p.request_id == request_id) else {
            return;
        };
        let pending = state.queue.remove(at);
        drop(state);
        tracing::warn!(
            request_id,
            "no function process took the invocation within {waited:?}"
        );
        if let Some(tx) = pending.and_then(|p| p.reply) {
            let _ = tx.send(Outcome::Unavailable(format!(
                "no function process took the invocation within {waited:?}"
            )));
        }
    }

    /// The current generation of `slot`'s process (0 for a poller outside the slots).
    pub(crate) fn generation(&self, slot: Option<usize>) -> u64 {
        slot.and_then(|s| self.lock().generations.get(s).copied())
            .unwrap_or(0)
    }

    /// Long-polls for the next invocation for a process of `slot` at `generation`.
    pub(crate) async fn next(self: &Arc<Self>, slot: Option<usize>, generation: u64) -> Next {
        let _polling = slot.map(|slot| Polling::new(self, slot));
        loop {
            let queued = self.queued.notified();
            tokio::pin!(queued);
            queued.as_mut().enable();
            {
                let mut state = self.lock();
                let stale = slot.is_some_and(|s| {
                    state.generations.get(s).copied() != Some(generation)
                        || state.retired.get(s).copied().flatten() == Some(generation)
                });
                if stale {
                    return Next::Stale;
                }
                if let Some(s) = slot.filter(|&s| state.retiring.get(s) == Some(&true)) {
                    // A retired process done with its invocation: replaced now.
                    state.retiring[s] = false;
                    state.retired[s] = Some(generation);
                    drop(state);
                    (self.kill)(s, generation);
                    return Next::Stale;
                }
                if state.unavailable.is_some() {
                    return Next::Closed;
                }
                if let Some(p) = state.queue.pop_front() {
                    state.running.insert(
                        p.request_id.clone(),
                        Running {
                            slot,
                            reply: p.reply,
                            started: Instant::now(),
                        },
                    );
                    drop(state);
                    self.counters.invocations.fetch_add(1, Ordering::Relaxed);
                    let deadline_ms = crate::event::now_ms() + self.timeout.as_millis() as i64;
                    self.watch_deadline(&p.request_id, slot, generation);
                    return Next::Invocation(Dispatched {
                        trace_id: format!(
                            "Root={};Parent={};Sampled=0",
                            super::event_json::trace_root(),
                            &crate::ids::new_request_id().replace('-', "")[..16]
                        ),
                        request_id: p.request_id,
                        payload: p.payload,
                        deadline_ms,
                    });
                }
            }
            queued.await;
        }
    }

    fn watch_deadline(self: &Arc<Self>, request_id: &str, slot: Option<usize>, generation: u64) {
        let weak: Weak<Self> = Arc::downgrade(self);
        let id = request_id.to_owned();
        let timeout = self.timeout;
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            let Some(d) = weak.upgrade() else { return };
            if d.complete(&id, Outcome::TimedOut(timeout)) {
                tracing::warn!(request_id = %id, "the function timed out after {timeout:?}");
                if let Some(slot) = slot {
                    (d.kill)(slot, generation);
                }
            }
        });
    }

    /// Ends a running invocation; false when `request_id` is not running (unknown, or
    /// already ended).
    pub(crate) fn complete(&self, request_id: &str, outcome: Outcome) -> bool {
        let mut state = self.lock();
        let Some(running) = state.running.remove(request_id) else {
            return false;
        };
        if matches!(
            outcome,
            Outcome::Response(_) | Outcome::FunctionError { .. }
        ) {
            if state.durations.len() == DURATIONS_KEPT {
                state.durations.pop_front();
            }
            state.durations.push_back(running.started.elapsed());
        }
        drop(state);
        let counter = match &outcome {
            Outcome::Response(_) => Some(&self.counters.responses),
            Outcome::FunctionError { .. } => Some(&self.counters.function_errors),
            Outcome::Crashed(_) => Some(&self.counters.crashes),
            Outcome::TimedOut(_) => Some(&self.counters.timeouts),
            Outcome::Unavailable(_) => None,
        };
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

    /// How long the latest answered invocations ran, from a process taking each to its
    /// answer (what Lambda bills as Duration), oldest first.
    pub(crate) fn durations(&self) -> Vec<Duration> {
        self.lock().durations.iter().copied().collect()
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
        if let Some(g) = state.generations.get_mut(slot) {
            *g += 1;
        }
        if let Some(r) = state.retiring.get_mut(slot) {
            *r = false;
        }
        if let Some(r) = state.retired.get_mut(slot) {
            *r = None;
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

    /// True when the process of `slot` at `generation` was retired ([`Dispatcher::retire`]).
    pub(crate) fn is_retired(&self, slot: usize, generation: u64) -> bool {
        self.lock().retired.get(slot).copied().flatten() == Some(generation)
    }

    /// Replaces every process, as its code changed: one waiting for an invocation at once
    /// (its polls are void from now on, so no invocation reaches it; the generation moves on
    /// when it ended), any other (running an invocation, starting, or between two requests)
    /// when it next asks for one. Returns how many processes it retired.
    pub(crate) fn retire(&self) -> usize {
        let mut state = self.lock();
        let state = &mut *state;
        let mut idle = Vec::new();
        for slot in 0..state.generations.len() {
            let busy = state.running.values().any(|r| r.slot == Some(slot));
            if busy || state.polling[slot] == 0 {
                state.retiring[slot] = true;
            } else {
                let generation = state.generations[slot];
                state.retired[slot] = Some(generation);
                idle.push((slot, generation));
            }
        }
        let n = state.generations.len();
        self.queued.notify_waiters();
        for (slot, generation) in idle {
            (self.kill)(slot, generation);
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

/// A poll of a process slot, counted in [`State::polling`] while it waits.
struct Polling<'a> {
    dispatcher: &'a Dispatcher,
    slot: usize,
}

impl<'a> Polling<'a> {
    fn new(dispatcher: &'a Dispatcher, slot: usize) -> Self {
        if let Some(n) = dispatcher.lock().polling.get_mut(slot) {
            *n += 1;
        }
        Self { dispatcher, slot }
    }
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.dispatcher.lock().polling.get_mut(self.slot) {
            *n = n.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dead_processes_poll_takes_nothing() {
        let d = Dispatcher::new(1, Duration::from_secs(5), |_, _| {});
        let g = d.generation(Some(0));
        d.process_ended(0, "gone");
        let (_, rx) = d.submit(Bytes::from_static(b"{}"), true);
        assert!(matches!(d.next(Some(0), g).await, Next::Stale));
        let Next::Invocation(inv) = d.next(Some(0), d.generation(Some(0))).await else {
            panic!("an invocation was queued");
        };
        assert!(d.is_running(&inv.request_id));
        d.process_ended(0, "exit status: 3");
        assert_eq!(
            rx.unwrap().await.unwrap(),
            Outcome::Crashed("exit status: 3".into())
        );
        assert!(!d.complete(&inv.request_id, Outcome::Response(Bytes::new())));
    }

    #[tokio::test]
    async fn closing_answers_queued_and_new_invocations() {
        let d = Dispatcher::new(1, Duration::from_secs(5), |_, _| {});
        let (_, queued) = d.submit(Bytes::new(), true);
        d.close("stopping");
        let (_, late) = d.submit(Bytes::new(), true);
        for rx in [queued, late] {
            assert_eq!(
                rx.unwrap().await.unwrap(),
                Outcome::Unavailable("stopping".into())
            );
        }
        assert!(matches!(d.next(None, 0).await, Next::Closed));
    }

    #[tokio::test]
    async fn answered_invocations_keep_their_duration_and_only_the_latest_are_kept() {
        let d = Dispatcher::new(1, Duration::from_secs(5), |_, _| {});
        let run = |outcome: Outcome, runs_for: Duration| {
            let d = d.clone();
            async move {
                let _ = d.submit(Bytes::new(), false);
                let Next::Invocation(inv) = d.next(None, 0).await else {
                    panic!("an invocation was queued");
                };
                tokio::time::sleep(runs_for).await;
                assert!(d.complete(&inv.request_id, outcome));
            }
        };
        let ms5 = Duration::from_millis(5);
        run(Outcome::Response(Bytes::new()), ms5).await;
        let error = Outcome::FunctionError {
            error_type: "E".into(),
            body: Bytes::new(),
        };
        run(error, ms5).await;
        run(Outcome::Crashed("exit status: 1".into()), ms5).await;
        let durations = d.durations();
        assert_eq!(durations.len(), 2, "a crash has no duration: {durations:?}");
        assert!(durations.iter().all(|t| *t >= Duration::from_millis(5)));
        for _ in 0..DURATIONS_KEPT {
            run(Outcome::Response(Bytes::new()), Duration::ZERO).await;
        }
        assert_eq!(d.durations().len(), DURATIONS_KEPT);
    }

    #[tokio::test]
    async fn a_retired_process_finishes_its_invocation_then_takes_nothing() {
        let killed = Arc::new(Mutex::new(Vec::new()));
        let k = killed.clone();
        let d = Dispatcher::new(1, Duration::from_secs(5), move |s, g| {
            k.lock().unwrap().push((s, g));
        });
        let kills = || killed.lock().unwrap().clone();
        let g = d.generation(Some(0));
        let (_, first) = d.submit(Bytes::new(), true);
        let Next::Invocation(inv) = d.next(Some(0), g).await else {
            panic!("an invocation was queued");
        };
        d.retire();
        assert!(kills().is_empty(), "not killed mid-invocation");
        assert!(d.complete(&inv.request_id, Outcome::Response(Bytes::new())));
        assert!(matches!(first.unwrap().await, Ok(Outcome::Response(_))));
        let (_, second) = d.submit(Bytes::new(), true);
        assert!(matches!(d.next(Some(0), g).await, Next::Stale));
        assert_eq!(kills(), [(0, g)]);
        // Until its kill lands, its polls (at the current generation) take nothing.
        assert!(matches!(
            d.next(Some(0), d.generation(Some(0))).await,
            Next::Stale
        ));
        d.process_ended(0, "killed");
        let fresh = d.generation(Some(0));
        assert!(matches!(d.next(Some(0), fresh).await, Next::Invocation(_)));
        drop(second);
        // A process waiting for an invocation is replaced at once.
        d.process_ended(0, "killed");
        let idle = d.generation(Some(0));
        let waiting = tokio::spawn({
            let d = d.clone();
            async move { d.next(Some(0), idle).await }
        });
        while d.lock().polling[0] == 0 {
            tokio::task::yield_now().await;
        }
        d.retire();
        assert!(matches!(waiting.await.unwrap(), Next::Stale));
        assert_eq!(kills().last(), Some(&(0, idle)));
        // One between two requests (its poll may be on its way) when it asks.
        d.process_ended(0, "killed");
        let between = d.generation(Some(0));
        d.retire();
        assert_ne!(kills().last(), Some(&(0, between)));
        assert!(matches!(d.next(Some(0), between).await, Next::Stale));
        assert_eq!(kills().last(), Some(&(0, between)));
        assert_eq!(
            d.lock().polling[0],
            0,
            "every poll is uncounted when it ends"
        );
    }
}
