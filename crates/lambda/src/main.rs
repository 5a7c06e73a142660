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
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .without_time()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = config::Config::from_env()?;
    let host = Arc::new(handler::Host::init(config).await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let host = host.clone();
        async move { Ok::<Value, lambda_runtime::Error>(host.handle(event.payload).await) }
    }))
    .await
}
