//! API Gateway's side of functions: the routes run on local Lambda functions
//! ([`wsproxy_lambda_local`]), each route on its own ([`Functions`]), as API Gateway's route
//! integrations do. This folder holds what API Gateway does around them: each
//! [`crate::RouteEvent`] becomes its WebSocket proxy event ([`websocket_proxy_event`]) and
//! the function's `{statusCode, body, headers}` the [`crate::IntegrationResponse`]
//! ([`integration_response`]); the `$connect` authorizer and its policy; two-way routes.
//! It reaches the service through one entry point, [`FunctionIntegration`].
//!
//! # Wiring it to a gateway
//!
//! The function usually needs the gateway's own address (`API_GATEWAY_ENDPOINT`, to push
//! through `@connections`), known only once the port is bound. [`crate::GatewayBuilder::lambda`]
//! takes care of the order: it binds, hands the `@connections` base URL to your setup, starts
//! the function, and [`crate::BoundGateway::serve`] stops it after the last `$disconnect`;
//! [`crate::GatewayBuilder::functions_into`] also hands the started [`Functions`] to a
//! [`FunctionsHandle`] (for their statistics):
//!
//! ```no_run
//! # async fn run(bootstrap: std::path::PathBuf) -> Result<(), wsproxy_gateway::GatewayError> {
//! use wsproxy_gateway::function_integration::LocalFunctionConfig;
//! use wsproxy_gateway::Gateway;
//!
//! let gateway = Gateway::builder()
//!     .lambda(move |endpoint| {
//!         let mut function = LocalFunctionConfig::new(bootstrap);
//!         function.env.push(("API_GATEWAY_ENDPOINT".into(), endpoint.to_owned()));
//!         function
//!     })
//!     .bind()
//!     .await?;
//! gateway.serve(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

mod authorizer;
mod event_json;
mod functions;
mod integration;
mod policy;
mod wiring;

pub use authorizer::AuthorizerConfig;
pub use event_json::{integration_response, websocket_proxy_event};
pub use functions::{Functions, FunctionsConfig};
pub use integration::FunctionIntegration;
pub use wiring::FunctionsHandle;
pub use wsproxy_lambda_local::{FunctionStats, LocalFunction, LocalFunctionConfig, ProcessStats};

/// `requestContext.apiId` of the events the functions get.
pub const API_ID: &str = "local";

#[cfg(test)]
mod tests {
    #[test]
    fn the_services_metrics_are_the_catalogues() {
        use wsproxy_core::metrics::{FUNCTION_PROCESSES, FUNCTION_RESTARTS};
        use wsproxy_lambda_local::process_metrics::{PROCESSES, RESTARTS};
        assert_eq!(FUNCTION_PROCESSES.name, PROCESSES);
        assert_eq!(FUNCTION_RESTARTS.name, RESTARTS);
    }
}
