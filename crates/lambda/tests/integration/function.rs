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
    wsproxy_test_support::lambda::invoke(lambda.runtime_api_addr(), payload).await
}
