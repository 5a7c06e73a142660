//! One invocation: an API Gateway WebSocket event (or this function's own delivery event)
//! in, the core called, `{statusCode, body}` out. Never panics on bad input.

use crate::config::{Config, ConfigError};
use crate::delivery::Delivery;
use crate::pusher::{within_deadline, EndpointPusher};
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tracing::{info_span, warn, Instrument as _};
use wsproxy_aws::DynamoDbRegistry;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::metrics::HANDLER_DURATION;
use wsproxy_core::{Proxy, Registry, RequestContext, RouteResponse};

/// What lives for the process's life: the core over its three ports, and the SDK clients.
pub struct Host {
    pub(crate) proxy: Proxy,
    pub(crate) pusher: Arc<EndpointPusher>,
    pub(crate) lambda: aws_sdk_lambda::Client,
    pub(crate) config: Config,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why the function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A variable is missing or malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `BACKEND_URL` is not a usable URL.
    #[error(transparent)]
    Backend(#[from] wsproxy_backend_http::ConfigError),
}

impl Host {
    /// Builds the clients once, at init: the DynamoDB registry of `config.table`, the
    /// backend, the `@connections` pusher and the Lambda client, from the AWS environment.
    pub async fn init(config: Config) -> Result<Self, InitError> {
        let sdk = wsproxy_aws::sdk_config(None).await;
        let registry = DynamoDbRegistry::new(wsproxy_aws::dynamodb_client(&sdk), &config.table);
        Self::with_registry(config, Arc::new(registry), &sdk)
    }

    /// The function over `registry` (e.g. [`wsproxy_core::MemoryRegistry`]) instead of
    /// DynamoDB, its `@connections` and Lambda clients built from `sdk`.
    pub fn with_registry(
        config: Config,
        registry: Arc<dyn Registry>,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, InitError> {
        let backend = HttpBackend::new(&config.backend_url, config.backend_timeout)?
            .with_max_answer_bytes(config.backend_max_answer_bytes);
        let pusher = Arc::new(EndpointPusher::new(sdk.clone()));
        if let Some(endpoint) = &config.endpoint {
            pusher.ensure_endpoint(endpoint);
        }
        let proxy = Proxy::new(registry, Arc::new(backend), pusher.clone());
        let lambda = aws_sdk_lambda::Client::new(sdk);
        Ok(Self {
            proxy,
            pusher,
            lambda,
            config,
        })
    }

    /// Handles one invocation as the Lambda runtime gives it: [`Host::handle`], with its
    /// pushes ending before the invocation's deadline.
    pub async fn invoke(
        self: Arc<Self>,
        event: lambda_runtime::LambdaEvent<Value>,
    ) -> Result<Value, lambda_runtime::Error> {
        let deadline = event.context.deadline();
        let traced = self.handle_traced(
            event.payload,
            &event.context.request_id,
            event.context.xray_trace_id.as_deref(),
        );
        Ok(within_deadline(deadline, traced).await)
    }

    /// Handles one invocation's payload (with a random trace id).
    pub async fn handle(&self, payload: Value) -> Value {
        self.handle_traced(payload, "", None).await
    }

    /// Handles one invocation's payload in the trace of `xray` (the invocation's
    /// `X-Amzn-Trace-Id`), if any. The event's request id is API Gateway's
    /// `requestContext.requestId`; a delivery event keeps the one of its `$connect`; with
    /// neither, `invocation_id` (the Lambda request id) stands in.
    pub async fn handle_traced(
        &self,
        payload: Value,
        invocation_id: &str,
        xray: Option<&str>,
    ) -> Value {
        let request_id = payload
            .pointer("/requestContext/requestId")
            .or_else(|| payload.pointer(&format!("/{}/request_id", crate::delivery::KEY)))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .unwrap_or(invocation_id)
            .to_owned();
        let mut ctx = RequestContext::new(request_id);
        if let Some(header) = xray {
            ctx = ctx.with_xray_trace(header);
        }
        let route = match payload.pointer("/requestContext/routeKey") {
            Some(Value::String(route)) => route.clone(),
            _ if Delivery::recognise(&payload).is_some() => "delivery".to_owned(),
            _ => "unknown".to_owned(),
        };
        let start = std::time::Instant::now();
        // Boxed: the future is deep enough to reach the compiler's layout recursion limit.
        let answer = ctx.scope(Box::pin(self.route(payload))).await;
        metrics::histogram!(HANDLER_DURATION.name, "route" => route.clone())
            .record(start.elapsed().as_secs_f64() * 1000.0);
        self.write_metrics(&route);
        answer
    }

    /// Writes what this invocation recorded as one EMF line on stdout, if the EMF
    /// recorder is installed (the `bootstrap` installs it).
    fn write_metrics(&self, route: &str) {
        let Some(recorder) = crate::emf::installed() else {
            return;
        };
        let function = self.config.function_name.as_deref().unwrap_or("wsproxy");
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        if let Some(line) = recorder.take_line(function, route, now_ms) {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        }
    }

    /// Handles one invocation's payload inside its [`RequestContext`].
    async fn route(&self, payload: Value) -> Value {
        let request_id = RequestContext::current_id();
        if let Some(delivery) = Delivery::recognise(&payload) {
            let span = info_span!("deliver", connection_id = %delivery.connection_id, request_id = %request_id);
            return self.deliver(delivery).instrument(span).await;
        }
        let query = query_parameters(&payload);
        let event = match parse_event(payload) {
            Ok(event) => event,
            Err(e) => {
                warn!(error = %e, "malformed event: not an API Gateway WebSocket event");
                return answer(&RouteResponse::error(400, format!("malformed event: {e}")));
            }
        };
        let ctx = &event.request_context;
        let (Some(connection_id), Some(route)) =
            (ctx.connection_id.as_deref(), ctx.route_key.as_deref())
        else {
            warn!("malformed event: requestContext.connectionId or routeKey is missing");
            return answer(&RouteResponse::error(
                400,
                "malformed event: requestContext.connectionId and routeKey are required",
            ));
        };
        if self.pusher.endpoint().is_none() {
            if let (Some(domain), Some(stage)) = (ctx.domain_name.as_deref(), ctx.stage.as_deref())
            {
                self.pusher
                    .ensure_endpoint(&format!("https://{domain}/{stage}"));
            }
        }
        let span = info_span!("event", connection_id = %connection_id, request_id = %request_id, route = %route);
        let kind = ctx.event_type.as_deref().unwrap_or(match route {
            "$connect" => "CONNECT",
            "$disconnect" => "DISCONNECT",
            _ => "MESSAGE",
        });
        async {
            let response = match kind {
                "CONNECT" => {
                    let outcome = self.proxy.connect(connection_id, &query).await;
                    if outcome.response.is_success() && !outcome.after_open.is_empty() {
                        self.schedule_delivery(connection_id, outcome.after_open)
                            .await;
                    }
                    outcome.response
                }
                "DISCONNECT" => self.proxy.disconnect(connection_id).await,
                _ => {
                    let body = event.body.as_deref().unwrap_or_default();
                    self.proxy.message(connection_id, body).await
                }
            };
            answer(&response)
        }
        .instrument(span)
        .await
    }
}

/// Reads an API Gateway WebSocket event. With serde_json's `arbitrary_precision` (on for
/// the whole workspace) numbers arrive as their text; plain integer fields still parse.
fn parse_event(payload: Value) -> Result<ApiGatewayWebsocketProxyRequest, serde_json::Error> {
    serde_json::from_value(payload)
}

/// `queryStringParameters` (name → value), read from the raw event: the parsed event's
/// `QueryMap` iterator panics on a name with an empty list of values (`{"a": []}`).
/// A list gives its last value, as a repeated name does.
fn query_parameters(payload: &Value) -> HashMap<String, String> {
    let Some(params) = payload
        .get("queryStringParameters")
        .and_then(Value::as_object)
    else {
        return HashMap::new();
    };
    params
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Value::String(s) => s.as_str(),
                Value::Array(values) => values.last()?.as_str()?,
                _ => return None,
            };
            Some((name.clone(), value.to_owned()))
        })
        .collect()
}

/// API Gateway's Lambda proxy answer.
fn answer(response: &RouteResponse) -> Value {
    json!({
        "statusCode": response.status,
        "headers": {"content-type": "application/json"},
        "body": response.body,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_event;

    /// A `$connect` event as API Gateway sends it (AWS documentation's example, with an
    /// authorizer context holding numbers).
    const CONNECT: &str = r#"{
        "headers": {"Host": "abc123.execute-api.eu-west-1.amazonaws.com", "Sec-WebSocket-Key": "x==", "Sec-WebSocket-Version": "13", "X-Forwarded-Port": "443"},
        "multiValueHeaders": {"Host": ["abc123.execute-api.eu-west-1.amazonaws.com"], "X-Forwarded-Port": ["443"]},
        "queryStringParameters": {"type": "chat", "booking_id": "123456789012345678901234567890", "token": "t"},
        "multiValueQueryStringParameters": {"type": ["chat"], "booking_id": ["123456789012345678901234567890"], "token": ["t"]},
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "extendedRequestId": "Fx=", "requestTime": "01/Dec/2026:22:00:00 +0000",
            "messageDirection": "IN", "stage": "dev", "connectedAt": 1796162400000, "requestTimeEpoch": 1796162400123,
            "identity": {"sourceIp": "192.0.2.1", "userAgent": "test"},
            "authorizer": {"principalId": "u1", "integrationLatency": 12, "score": 0.12345678901234567890123},
            "requestId": "Fx=", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "connectionId": "Fx1=", "apiId": "abc123"
        },
        "isBase64Encoded": false
    }"#;

    /// A message event whose body carries a number beyond f64.
    const MESSAGE: &str = r#"{
        "requestContext": {
            "routeKey": "$default", "eventType": "MESSAGE", "messageId": "m1=", "messageDirection": "IN", "stage": "dev",
            "connectedAt": 1796162400000, "requestTimeEpoch": 1796162401000, "identity": {"sourceIp": "192.0.2.1"},
            "requestId": "r1=", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "connectionId": "Fx1=", "apiId": "abc123"
        },
        "body": "{\"n\":123456789012345678901234567890}",
        "isBase64Encoded": false
    }"#;

    #[test]
    fn api_gateway_events_parse_with_exact_numbers_on() {
        let connect = parse_event(serde_json::from_str(CONNECT).unwrap()).unwrap();
        let ctx = &connect.request_context;
        assert_eq!(ctx.connected_at, 1_796_162_400_000);
        assert_eq!(ctx.request_time_epoch, 1_796_162_400_123);
        assert_eq!(ctx.connection_id.as_deref(), Some("Fx1="));
        assert_eq!(ctx.route_key.as_deref(), Some("$connect"));
        assert_eq!(
            connect.query_string_parameters.first("booking_id"),
            Some("123456789012345678901234567890")
        );
        assert_eq!(
            ctx.authorizer.fields["score"].to_string(),
            "0.12345678901234567890123"
        );
        let message = parse_event(serde_json::from_str(MESSAGE).unwrap()).unwrap();
        assert_eq!(
            message.body.as_deref(),
            Some(r#"{"n":123456789012345678901234567890}"#)
        );
        assert_eq!(
            message.request_context.event_type.as_deref(),
            Some("MESSAGE")
        );
    }
}
