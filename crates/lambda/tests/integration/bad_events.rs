//! The real `bootstrap`, run by the gateway's Lambda mode, given events that are not what
//! API Gateway sends: it answers 400 with the reason and keeps running (never panics).

use crate::function;
use function::invoke;
use serde_json::{json, Value};
use std::sync::Arc;
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig};
use wsproxy_test_support::lambda::invocations_url;

async fn function() -> Arc<LocalFunction> {
    let config = wsproxy_lambda::Config {
        table: "unused".into(),
        ..wsproxy_lambda::Config::new("http://127.0.0.1:9")
    };
    function::start(&config, &[]).await
}

#[tokio::test]
async fn malformed_events_get_400_and_the_function_keeps_running() {
    let lambda = function().await;
    let cases = [
        (json!({}), "malformed event"),
        (json!([1, 2]), "malformed event"),
        (json!("text"), "malformed event"),
        (
            json!({"requestContext": {"connectionId": 5, "routeKey": "$default", "connectedAt": 1, "requestTimeEpoch": 1}}),
            "malformed event",
        ),
        (
            json!({"requestContext": {"routeKey": "$default", "connectedAt": 1, "requestTimeEpoch": 1}}),
            "connectionId",
        ),
        (
            json!({"requestContext": {"connectionId": "c1", "connectedAt": 1, "requestTimeEpoch": 1}}),
            "routeKey",
        ),
        (
            json!({"wsproxy_deliver": {"connection_id": 7}}),
            "malformed event",
        ),
    ];
    for (event, reason) in &cases {
        let answer = invoke(&lambda, event).await;
        assert_eq!(answer["statusCode"], 400, "{event} -> {answer}");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(reason),
            "{event} -> {body}"
        );
    }
    let stats = lambda.stats();
    assert_eq!((stats.crashes, stats.function_errors), (0, 0), "{stats:?}");
    lambda.shutdown().await;
}

#[tokio::test]
async fn a_function_without_backend_url_fails_at_init_with_the_fix() {
    let mut config = LocalFunctionConfig::new(env!("CARGO_BIN_EXE_bootstrap"));
    config.env = vec![("CONNECTIONS_TABLE".into(), "unused".into())];
    let lambda = LocalFunction::start(config)
        .await
        .expect("the integration starts");
    let url = invocations_url(lambda.runtime_api_addr(), "wsproxy-local");
    let answer = reqwest::Client::new()
        .post(url)
        .body("{}")
        .send()
        .await
        .expect("the Invoke API answers");
    let failed =
        answer.headers().get("x-amz-function-error").is_some() || !answer.status().is_success();
    assert!(failed, "an unconfigured function must not answer events");
    let stats = lambda.stats();
    let init_errors: Vec<String> = stats
        .processes
        .iter()
        .filter_map(|p| p.init_error.clone())
        .collect();
    assert!(
        init_errors.iter().any(|e| e.contains("BACKEND_URL")),
        "{init_errors:?}"
    );
    lambda.shutdown().await;
}
