//! One invocation: an API Gateway WebSocket event (or this function's own delivery event)
//! in, the core called, `{statusCode, body}` out. Never panics on bad input.

use crate::config::Config;
use crate::delivery::Delivery;
use crate::pusher::EndpointPusher;
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tracing::{info_span, warn, Instrument as _};
use wsproxy_aws::DynamoDbRegistry;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{Proxy, RouteResponse};

/// What lives for the process's life: the core over its three ports, and the SDK clients.
pub struct Host {
    pub(crate) proxy: Proxy,
    pub(crate) pusher: Arc<EndpointPusher>,
    pub(crate) lambda: aws_sdk_lambda::Client,
    pub(crate) config: Config,
}

impl Host {
    /// Builds the clients once, at init.
    pub async fn init(config: Config) -> Result<Self, lambda_runtime::Error> {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let registry = DynamoDbRegistry::new(aws_sdk_dynamodb::Client::new(&sdk), &config.table);
        let backend = HttpBackend::new(&config.backend_url, config.backend_timeout)?;
        let pusher = Arc::new(EndpointPusher::new(sdk.clone()));
        if let Some(endpoint) = &config.endpoint {
            pusher.ensure_endpoint(endpoint);
        }
        let proxy = Proxy::new(Arc::new(registry), Arc::new(backend), pusher.clone());
        let lambda = aws_sdk_lambda::Client::new(&sdk);
        Ok(Self {
            proxy,
            pusher,
            lambda,
            config,
        })
    }

    /// Handles one invocation's payload.
    pub async fn handle(&self, payload: Value) -> Value {
        if let Some(delivery) = Delivery::recognise(&payload) {
            let span = info_span!("deliver", connection_id = %delivery.connection_id);
            return self.deliver(delivery).instrument(span).await;
        }
        let query = query_parameters(&payload);
        let event: ApiGatewayWebsocketProxyRequest = match serde_json::from_value(payload) {
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
        let span = info_span!("event", connection_id = %connection_id, route = %route);
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
