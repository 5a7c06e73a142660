//! The real `bootstrap` under the gateway's Lambda mode, for the tests that invoke it
//! directly through the local Invoke API.

use serde_json::Value;
use std::sync::Arc;
use wsproxy_gateway::lambda::{LambdaConfig, LambdaIntegration};

/// Starts the function with these environment variables (plus local AWS credentials).
pub async fn start(env: &[(&str, &str)]) -> Arc<LambdaIntegration> {
    let mut config = LambdaConfig::new(env!("CARGO_BIN_EXE_bootstrap"));
    config.env = env
        .iter()
        .chain(&[
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
        ])
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    LambdaIntegration::start(config)
        .await
        .expect("the function starts")
}

/// Invokes the function synchronously; the invocation itself must succeed (200, no
/// function error), whatever the function answers.
pub async fn invoke(lambda: &LambdaIntegration, payload: &Value) -> Value {
    let url = format!(
        "http://{}/2015-03-31/functions/wsproxy-local/invocations",
        lambda.runtime_api_addr()
    );
    let answer = reqwest::Client::new()
        .post(url)
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
