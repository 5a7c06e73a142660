//! Big backend answers, streamed in 64 KiB chunks without `Content-Length`, and a record
//! of whether the proxy read each to its end or cut the backend's write short.

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CHUNK: usize = 64 * 1024;

/// What the streamed answers saw.
#[derive(Debug, Default)]
pub struct Writes {
    /// Answers whose stream was dropped before its end: the reader went away.
    cut: AtomicUsize,
    /// Answers written to their end.
    finished: AtomicUsize,
    /// Bytes written, over all answers.
    written: AtomicUsize,
}

impl Writes {
    /// Answers the reader stopped reading before their end.
    pub fn cut(&self) -> usize {
        self.cut.load(Ordering::SeqCst)
    }

    /// Answers written to their end.
    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    /// Bytes written, over all answers.
    pub fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }

    /// Waits until `n` answers were cut short (the server notices only when a write fails).
    pub async fn wait_for_cut(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + crate::client::WAIT;
        while self.cut() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the backend's write was not cut: {self:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Counts a stream's end: finished if it got there, cut if dropped before.
struct Guard {
    writes: Arc<Writes>,
    done: bool,
}

impl Guard {
    /// The stream got to its end.
    fn finish(&mut self) {
        self.done = true;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let counter = if self.done {
            &self.writes.finished
        } else {
            &self.writes.cut
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// A JSON answer of exactly `size` bytes (`{"type":"big","pad":"xx..."}`), streamed.
pub fn streamed(writes: Arc<Writes>, size: usize) -> Response {
    let head = br#"{"type":"big","pad":""#;
    let tail = br#""}"#;
    assert!(size >= head.len() + tail.len(), "big:{size} is too small");
    let guard = Guard {
        writes,
        done: false,
    };
    let body = futures::stream::unfold((0usize, guard), move |(sent, mut guard)| async move {
        if sent >= size {
            guard.finish();
            return None;
        }
        let n = CHUNK.min(size - sent);
        let chunk: Vec<u8> = (sent..sent + n)
            .map(|i| match i {
                i if i < head.len() => head[i],
                i if i >= size - tail.len() => tail[i - (size - tail.len())],
                _ => b'x',
            })
            .collect();
        guard.writes.written.fetch_add(n, Ordering::SeqCst);
        Some((
            Ok::<_, std::io::Error>(Bytes::from(chunk)),
            (sent + n, guard),
        ))
    });
    (
        [("content-type", "application/json")],
        Body::from_stream(body),
    )
        .into_response()
}
