//! When the function ran: the windows of its latest invocations ([`Runs`]) and those running
//! now, so that a file the function wrote beside its code while it ran is told from an edit
//! ([`crate::reload`]).

use super::Slots;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// How many of the latest invocations' windows are kept.
const KEPT: usize = 256;
/// Allowance for a file system's time stamps around a window.
const SLACK: Duration = Duration::from_millis(20);

/// The latest invocations' windows, from a process taking each to its end.
#[derive(Debug, Default)]
pub(crate) struct Runs(Mutex<VecDeque<(SystemTime, SystemTime)>>);

impl Runs {
    /// Records an invocation that ends now after running `took`.
    pub(crate) fn record(&self, took: Duration) {
        let end = SystemTime::now();
        let start = end.checked_sub(took).unwrap_or(end);
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back((start, end));
    }

    fn covers(&self, at: SystemTime) -> bool {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .any(|&(start, end)| start <= at + SLACK && at <= end + SLACK)
    }
}

impl Slots {
    /// True when an invocation was running at `at` (one of the latest [`KEPT`], or one
    /// running now).
    pub(crate) fn ran_at(&self, at: SystemTime) -> bool {
        if self.runs.covers(at) {
            return true;
        }
        let now = SystemTime::now();
        self.lock().running.values().any(|r| {
            now.checked_sub(r.started.elapsed())
                .is_some_and(|start| start <= at + SLACK)
        })
    }
}
