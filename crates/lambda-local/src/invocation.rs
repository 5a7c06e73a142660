//! One invocation's life: queued ([`Pending`]), handed to a process ([`Dispatched`]),
//! running ([`Running`]) until it ends with an [`Outcome`].

use bytes::Bytes;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /runtime/invocation/{id}/response`: the function's response.
    Response(Bytes),
    /// `POST /runtime/invocation/{id}/error`: the error type and the error document.
    FunctionError {
        /// `Lambda-Runtime-Function-Error-Type`, else the document's `errorType`.
        error_type: String,
        /// The error document as the function posted it.
        body: Bytes,
    },
    /// The process running it exited (the reason says how).
    Crashed(String),
    /// It ran longer than the function's timeout.
    TimedOut(Duration),
    /// No process took it: the function cannot start, it waited too long, or it is stopping.
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

/// An invocation waiting for a process.
pub(crate) struct Pending {
    pub request_id: String,
    pub payload: Bytes,
    pub reply: Option<oneshot::Sender<Outcome>>,
}

/// An invocation a process took.
pub(crate) struct Running {
    /// The slot of the process that took it (`None`: a runtime on the shared listener).
    pub slot: Option<usize>,
    pub reply: Option<oneshot::Sender<Outcome>>,
    /// When a process took it: Lambda's billed duration runs from here to its answer.
    pub started: Instant,
}
