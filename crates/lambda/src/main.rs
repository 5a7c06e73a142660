//! `bootstrap`: the wsproxy core as an AWS Lambda behind an API Gateway WebSocket API.
//!
//! Configuration is read and SDK clients are built once, at init; each event is converted
//! and handed to the core. Logs are JSON lines with the connection id and route.

mod config;
mod delivery;
mod handler;
mod pusher;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    wsproxy_telemetry::init(
        wsproxy_telemetry::Format::LambdaJson,
        wsproxy_telemetry::env_filter("info"),
    );
    let host = match init().await {
        Ok(host) => Arc::new(host),
        Err(e) => {
            tracing::error!(error = %e, "init failed");
            report_init_error(&e.to_string()).await;
            std::process::exit(1);
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let host = host.clone();
        async move {
            let deadline = event.context.deadline();
            let answer = pusher::within_deadline(deadline, host.handle(event.payload)).await;
            Ok::<Value, lambda_runtime::Error>(answer)
        }
    }))
    .await
}

/// Reads the configuration and builds the clients, once.
async fn init() -> Result<handler::Host, lambda_runtime::Error> {
    let config = config::Config::from_env()?;
    handler::Host::init(config).await
}

/// Tells the Runtime API why init failed (`POST /runtime/init/error`), as AWS expects.
async fn report_init_error(message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let sent = reqwest::Client::new()
        .post(format!("http://{api}/2018-06-01/runtime/init/error"))
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
        .json(&serde_json::json!({"errorMessage": message, "errorType": "Runtime.ConfigError"}))
        .send()
        .await;
    if let Err(e) = sent {
        tracing::error!(error = %e, "could not report the init error to the Runtime API");
    }
}
