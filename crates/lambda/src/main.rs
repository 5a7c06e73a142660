//! `bootstrap`: the wsproxy Lambda host ([`wsproxy_lambda::Host`]) under `lambda_runtime`.
//! Logs are JSON lines with the connection id, request id and route; metrics are one
//! CloudWatch EMF line per invocation ([`wsproxy_lambda::emf`]).

use lambda_runtime::{service_fn, LambdaEvent};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    wsproxy_telemetry::init(
        wsproxy_telemetry::Format::LambdaJson,
        wsproxy_telemetry::env_filter("info"),
    );
    // WSPROXY_METRICS=off leaves metrics out (to measure what they cost).
    if std::env::var("WSPROXY_METRICS").as_deref() != Ok("off") {
        wsproxy_lambda::emf::install();
    }
    let host = match wsproxy_lambda::init().await {
        Ok(host) => Arc::new(host),
        Err(e) => {
            tracing::error!(error = %e, "init failed");
            wsproxy_lambda::report_init_error(&e).await;
            std::process::exit(1);
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        host.clone().invoke(event)
    }))
    .await
}
