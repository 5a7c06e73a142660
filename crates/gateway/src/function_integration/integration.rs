//! [`FunctionIntegration`]: a route's Lambda proxy integration with one local function, the
//! one place the gateway reaches [`wsproxy_lambda_local`] to run a payload.

use super::event_json::{internal_error, parse_answer, proxy_event};
use super::API_ID;
use crate::event::{Integration, IntegrationResponse, RouteEvent};
use crate::GatewayError;
use bytes::Bytes;
use serde_json::Value;
use std::sync::Arc;
use tracing::warn;
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig, Outcome};

/// Runs every route on one local function: each event as API Gateway's WebSocket proxy
/// event, the function's answer as the route's.
#[derive(Debug, Clone)]
pub struct FunctionIntegration {
    function: Arc<LocalFunction>,
}

impl FunctionIntegration {
    /// The integration of a started function.
    pub fn new(function: Arc<LocalFunction>) -> Self {
        Self { function }
    }

    /// Starts the function ([`LocalFunction::start`]).
    pub async fn start(config: LocalFunctionConfig) -> Result<Self, GatewayError> {
        LocalFunction::start(config)
            .await
            .map(Self::new)
            .map_err(|e| GatewayError::Lambda(e.to_string()))
    }

    /// The function.
    pub fn function(&self) -> &Arc<LocalFunction> {
        &self.function
    }

    /// Runs `payload` and gives the function's answer, or `None` when it failed (an error, a
    /// crash, a timeout, no process), logged with `what`. `quiet` leaves the function's error
    /// message out of the log (an authorizer's may quote the token it refused).
    pub(crate) async fn answer(&self, payload: Value, what: &str, quiet: bool) -> Option<Bytes> {
        match self.function.invoke(&payload).await {
            Outcome::Response(body) => Some(body),
            Outcome::FunctionError { error_type, body } => {
                if quiet {
                    warn!(what, error_type, "the function failed");
                } else {
                    let text = String::from_utf8_lossy(&body);
                    warn!(what, error_type, "the function failed: {text}");
                }
                None
            }
            Outcome::Crashed(reason) => {
                warn!(what, "the function process crashed ({reason})");
                None
            }
            Outcome::TimedOut(after) => {
                warn!(what, "the function timed out after {after:?}");
                None
            }
            Outcome::Unavailable(why) => {
                warn!(what, "the function did not run: {why}");
                None
            }
        }
    }

    /// Runs `event` (with `requestContext.authorizer` when given) and gives the function's
    /// Lambda proxy answer; when the integration failed, malformed answers included, the
    /// event's `requestContext.requestId`.
    pub(crate) async fn call(
        &self,
        event: &RouteEvent,
        authorizer: Option<Value>,
    ) -> Result<IntegrationResponse, String> {
        let payload = proxy_event(event, API_ID, authorizer);
        let request_id = payload["requestContext"]["requestId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let route = event.route_key.as_str();
        let Some(body) = self.answer(payload, route, false).await else {
            return Err(request_id);
        };
        parse_answer(&body).map_err(|why| {
            warn!(
                route,
                "{why} (a Lambda proxy answer is {{\"statusCode\": N, \"body\": \"...\"}})"
            );
            request_id
        })
    }
}

#[async_trait::async_trait]
impl Integration for FunctionIntegration {
    async fn handle(&self, event: RouteEvent) -> IntegrationResponse {
        match self.call(&event, None).await {
            Ok(answer) => answer,
            Err(_) => {
                warn!(route = %event.route_key, "answering 502");
                internal_error()
            }
        }
    }

    async fn shutdown(&self) {
        self.function.shutdown().await;
    }
}
