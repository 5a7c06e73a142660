//! The HTTP backend against a real axum server on loopback.

use axum::{http::StatusCode, routing::post, Json, Router};
use serde_json::{json, Value};
use std::time::Duration;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{Backend, BackendError};
use wsproxy_test_support::http::{closed_url, serve};

fn router() -> Router {
    Router::new()
        .route(
            "/echo",
            post(|Json(v): Json<Value>| async move { Json(json!({"got": v})) }),
        )
        .route("/text", post(|| async { "not json" }))
        .route(
            "/fail",
            post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route("/deny", post(|| async { (StatusCode::UNAUTHORIZED, "no") }))
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
}

#[tokio::test]
async fn posts_json_and_reads_json() {
    let base = serve(router()).await;
    let backend = HttpBackend::new(&format!("{base}/"), Duration::from_secs(2)).unwrap();
    let answer = backend.post("/echo", &json!({"a": 1})).await.unwrap();
    assert_eq!(answer, json!({"got": {"a": 1}}));
}

#[tokio::test]
async fn non_json_success_is_empty_object() {
    let base = serve(router()).await;
    let backend = HttpBackend::new(&base, Duration::from_secs(2)).unwrap();
    assert_eq!(backend.post("/text", &json!({})).await.unwrap(), json!({}));
}

#[tokio::test]
async fn non_2xx_is_a_status_error() {
    let base = serve(router()).await;
    let backend = HttpBackend::new(&base, Duration::from_secs(2)).unwrap();
    for (path, want) in [("/fail", 500), ("/deny", 401), ("/missing", 404)] {
        match backend.post(path, &json!({})).await {
            Err(BackendError::Status { status, .. }) => assert_eq!(status, want, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn slow_backend_times_out() {
    let base = serve(router()).await;
    let backend = HttpBackend::new(&base, Duration::from_millis(200)).unwrap();
    let err = backend.post("/slow", &json!({})).await.unwrap_err();
    assert!(
        matches!(
            err,
            BackendError::Timeout {
                timeout_ms: 200,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn backend_down_is_unreachable_and_names_the_fix() {
    let backend = HttpBackend::new(&closed_url(), Duration::from_secs(2)).unwrap();
    let err = backend
        .post("/echo", &json!({"token": "s3cret"}))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("BACKEND_URL") && !text.contains("s3cret"),
        "{text}"
    );
}

#[test]
fn bad_urls_are_refused() {
    for url in ["", "localhost:8000", "ftp://x", "http://"] {
        assert!(
            HttpBackend::new(url, Duration::from_secs(1)).is_err(),
            "{url}"
        );
    }
}
