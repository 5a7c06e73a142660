//! The local Lambda service's Invoke API (`wsproxy-lambda-local`), as the tests call it.

use serde_json::Value;
use std::net::SocketAddr;

/// The Invoke URL of `function` on the local Runtime API at `runtime_api`
/// (`LocalFunction::runtime_api_addr`).
pub fn invocations_url(runtime_api: SocketAddr, function: &str) -> String {
    format!("http://{runtime_api}/2015-03-31/functions/{function}/invocations")
}

/// Invokes the local function (`wsproxy-local`) synchronously with `payload`; the
/// invocation itself must succeed (200, no function error), whatever the function answers.
pub async fn invoke(runtime_api: SocketAddr, payload: &Value) -> Value {
    let answer = reqwest::Client::new()
        .post(invocations_url(runtime_api, "wsproxy-local"))
        .header("X-Amz-Invocation-Type", "RequestResponse")
        .body(payload.to_string())
        .send()
        .await
        .expect("the Invoke API answers");
    assert_eq!(answer.status(), 200, "{payload}");
    assert!(
        answer.headers().get("x-amz-function-error").is_none(),
        "the function failed on {payload}"
    );
    answer.json().await.expect("a JSON answer")
}
