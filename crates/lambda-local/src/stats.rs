//! What a function has done: [`FunctionStats`] with one [`ProcessStats`] per process, and
//! the durations of the latest invocations ([`Durations`]).

use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

/// What the function has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionStats {
    /// Invocations handed to a process (events and Invoke API calls).
    pub invocations: u64,
    /// Invocations the function answered with a response.
    pub responses: u64,
    /// Invocations the function answered with an error (`/invocation/{id}/error`).
    pub function_errors: u64,
    /// Invocations lost because their process exited.
    pub crashes: u64,
    /// Invocations that ran past the timeout.
    pub timeouts: u64,
    /// Every process started, oldest first (the last 64).
    pub processes: Vec<ProcessStats>,
    /// How long the latest answered invocations ran (the last 1,024), from a process taking
    /// each to its response or error: Lambda's Duration.
    pub durations: Vec<Duration>,
}

/// One function process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessStats {
    /// Which of the `concurrency` process slots it runs in.
    pub slot: usize,
    /// Its process id.
    pub pid: u32,
    /// Init time: from spawn to its first `GET /runtime/invocation/next`; `None` until then.
    pub init: Option<Duration>,
    /// Peak resident memory (`VmHWM`), KiB, as last sampled while it ran.
    pub peak_rss_kib: Option<u64>,
    /// Invocations it took.
    pub invocations: u64,
    /// True while it runs.
    pub running: bool,
    /// How it ended, e.g. `exit status: 3`.
    pub exit: Option<String>,
    /// What it reported to `/runtime/init/error`, or that it never asked for an invocation.
    pub init_error: Option<String>,
}

/// How many of the latest invocations' durations [`Durations`] keeps.
pub(crate) const DURATIONS_KEPT: usize = 1024;

/// The durations of the latest answered invocations (at most [`DURATIONS_KEPT`]).
#[derive(Debug, Default)]
pub(crate) struct Durations(Mutex<VecDeque<Duration>>);

impl Durations {
    /// Records one invocation's duration, forgetting the oldest beyond [`DURATIONS_KEPT`].
    pub(crate) fn record(&self, took: Duration) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() == DURATIONS_KEPT {
            kept.pop_front();
        }
        kept.push_back(took);
    }

    /// Every kept duration, oldest first.
    pub(crate) fn all(&self) -> Vec<Duration> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().copied().collect()
    }
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
