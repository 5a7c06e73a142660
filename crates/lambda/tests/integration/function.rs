//! The real `bootstrap` under the gateway's Lambda mode, for the tests that invoke it
//! directly through the local Invoke API.

use serde_json::Value;
use std::sync::Arc;
use wsproxy_lambda::Config;
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig};

/// Starts the function with the environment `wsproxy serve --lambda` gives it for `config`
/// (with no AWS settings of this machine: local credentials), plus `extra` variables.
pub(crate) async fn start(config: &Config, extra: &[(&str, &str)]) -> Arc<LocalFunction> {
    let mut lambda = LocalFunctionConfig::new(env!("CARGO_BIN_EXE_bootstrap"));
    lambda.env = config.to_local_env(|_| None);
    lambda.env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    LocalFunction::start(lambda)
        .await
        .expect("the function starts")
}

/// Invokes the function synchronously; the invocation itself must succeed (200, no
/// function error), whatever the function answers.
pub(crate) async fn invoke(lambda: &LocalFunction, payload: &Value) -> Value {
    wsproxy_test_support::lambda::invoke(lambda.runtime_api_addr(), payload).await
}
