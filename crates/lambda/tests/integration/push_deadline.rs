//! The real `bootstrap`, run by the gateway's Lambda mode, pushing to an `@connections`
//! endpoint that always answers 503: it retries, then gives up before the invocation's
//! deadline (less its margin) and answers, instead of being timed out.

use axum::http::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig};
use wsproxy_test_support::http::serve;
use wsproxy_test_support::lambda::invocations_url;

/// An `@connections` endpoint that refuses every push with 503; returns its base URL and
/// the count of pushes it refused.
async fn unavailable_endpoint() -> (String, Arc<AtomicUsize>) {
    let refused = Arc::new(AtomicUsize::new(0));
    let count = refused.clone();
    let app = axum::Router::new().fallback(move || {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [("x-amzn-ErrorType", "ServiceUnavailableException")],
                r#"{"message":"injected"}"#,
            )
        }
    });
    (format!("{}/dev", serve(app).await), refused)
}

#[tokio::test]
async fn pushes_give_up_before_the_invocation_deadline() {
    let (endpoint, refused) = unavailable_endpoint().await;
    let mut config = LocalFunctionConfig::new(env!("CARGO_BIN_EXE_bootstrap"));
    // Shorter than the pusher's own 3 s budget: only the invocation's deadline ends it in time.
    config.timeout = Duration::from_secs(2);
    config.env = wsproxy_lambda::Config {
        table: "unused".into(),
        ..wsproxy_lambda::Config::new("http://127.0.0.1:9")
    }
    .to_local_env(|_| None);
    let lambda = LocalFunction::start(config)
        .await
        .expect("the function starts");
    let delivery = json!({"wsproxy_deliver": {
        "connection_id": "c-1",
        "endpoint": endpoint,
        "messages": [{"type": "hello"}],
    }});
    let url = invocations_url(lambda.runtime_api_addr(), "wsproxy-local");
    let started = Instant::now();
    let answer = reqwest::Client::new()
        .post(url)
        .header("X-Amz-Invocation-Type", "RequestResponse")
        .body(delivery.to_string())
        .send()
        .await
        .expect("the Invoke API answers");
    let took = started.elapsed();
    assert!(
        answer.headers().get("x-amz-function-error").is_none(),
        "the invocation failed (timed out?) after {took:?}"
    );
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["delivered"], 0, "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("HTTP 503") && error.contains("gave up"),
        "{answer}"
    );
    assert!(refused.load(Ordering::SeqCst) >= 2, "retried: {answer}");
    let stats = lambda.stats();
    assert_eq!((stats.timeouts, stats.function_errors), (0, 0), "{stats:?}");
    lambda.shutdown().await;
}
