//! The answer limit: a real axum backend answering more than the limit, with and without
//! `Content-Length`, is refused, and its write is cut short instead of read to the end.

use axum::body::Body;
use axum::http::header::CONTENT_LENGTH;
use axum::response::{IntoResponse, Response};
use axum::{routing::post, Router};
use bytes::Bytes;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use wsproxy_backend_http::{HttpBackend, DEFAULT_MAX_ANSWER_BYTES};
use wsproxy_core::{Backend, BackendError};

const CHUNK: usize = 64 * 1024;
const HUGE: usize = 50 * 1024 * 1024;

/// What the backend's streamed answer saw: how much it wrote, whether it got to the end.
#[derive(Default)]
struct Writes {
    written: AtomicUsize,
    finished: AtomicBool,
    dropped: Notify,
}

/// Counts what the stream produced; notifies when the server drops it.
struct Guard(Arc<Writes>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.dropped.notify_one();
    }
}

/// A JSON string of `total` bytes, in 64 KiB chunks, announced with Content-Length or not.
fn streamed(writes: Arc<Writes>, total: usize, announce: bool) -> Response {
    let guard = Guard(writes);
    let body = futures::stream::unfold((0usize, guard), move |(sent, guard)| async move {
        if sent >= total {
            guard.0.finished.store(true, Ordering::SeqCst);
            return None;
        }
        let n = CHUNK.min(total - sent);
        let mut chunk = vec![b'x'; n];
        if sent == 0 {
            chunk[0] = b'"';
        }
        if sent + n == total {
            chunk[n - 1] = b'"';
        }
        guard.0.written.fetch_add(n, Ordering::SeqCst);
        Some((
            Ok::<_, std::io::Error>(Bytes::from(chunk)),
            (sent + n, guard),
        ))
    });
    let mut response = Body::from_stream(body).into_response();
    if announce {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, total.to_string().parse().unwrap());
    }
    response
}

async fn serve(total: usize, announce: bool) -> (String, Arc<Writes>) {
    let writes = Arc::new(Writes::default());
    let w = writes.clone();
    let router = Router::new().route(
        "/big",
        post(move || {
            let w = w.clone();
            async move { streamed(w, total, announce) }
        }),
    );
    (wsproxy_test_support::http::serve(router).await, writes)
}

fn backend(base: &str) -> HttpBackend {
    HttpBackend::new(base, Duration::from_secs(10)).unwrap()
}

/// The backend's answer stream is dropped before its end: its write was cut.
async fn assert_cut(writes: &Writes) {
    tokio::time::timeout(Duration::from_secs(10), writes.dropped.notified())
        .await
        .expect("the backend went on writing: the read was not stopped");
    assert!(!writes.finished.load(Ordering::SeqCst), "read to the end");
    let written = writes.written.load(Ordering::SeqCst);
    assert!(written < HUGE, "all {written} bytes were written");
}

#[tokio::test]
async fn a_50_mb_answer_with_content_length_is_refused_before_reading() {
    let (base, writes) = serve(HUGE, true).await;
    let err = backend(&base).post("/big", &json!({})).await.unwrap_err();
    match &err {
        BackendError::TooLarge { limit, size, .. } => {
            assert_eq!(*limit, DEFAULT_MAX_ANSWER_BYTES);
            assert_eq!(*size, Some(HUGE as u64));
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("52428800 bytes, over the 131072-byte limit"),
        "{text}"
    );
    assert_cut(&writes).await;
}

#[tokio::test]
async fn a_50_mb_answer_without_content_length_is_cut_at_the_limit() {
    let (base, writes) = serve(HUGE, false).await;
    let err = backend(&base).post("/big", &json!({})).await.unwrap_err();
    assert!(
        matches!(err, BackendError::TooLarge { size: None, limit, .. } if limit == DEFAULT_MAX_ANSWER_BYTES),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("over the 131072-byte limit"),
        "{err}"
    );
    assert_cut(&writes).await;
}

#[tokio::test]
async fn answers_up_to_the_limit_are_read_and_beyond_it_refused() {
    for announce in [true, false] {
        let (base, _) = serve(100 * 1024, announce).await;
        let answer = backend(&base).post("/big", &json!({})).await.unwrap();
        assert_eq!(answer.as_str().map(str::len), Some(100 * 1024 - 2));

        let (base, _) = serve(DEFAULT_MAX_ANSWER_BYTES, announce).await;
        assert!(backend(&base).post("/big", &json!({})).await.is_ok());

        for total in [DEFAULT_MAX_ANSWER_BYTES + 1, 200 * 1024] {
            let (base, _) = serve(total, announce).await;
            let err = backend(&base).post("/big", &json!({})).await.unwrap_err();
            assert!(matches!(err, BackendError::TooLarge { .. }), "{err:?}");
        }
    }
}

#[tokio::test]
async fn the_limit_is_a_setting() {
    let (base, _) = serve(1000, false).await;
    let small = backend(&base).with_max_answer_bytes(999);
    assert_eq!(small.max_answer_bytes(), 999);
    let err = small.post("/big", &json!({})).await.unwrap_err();
    assert!(err.to_string().contains("999-byte limit"), "{err}");
    let exact = backend(&base).with_max_answer_bytes(1000);
    assert!(exact.post("/big", &json!({})).await.is_ok());
}
