//! One invocation: an API Gateway WebSocket event (or this function's own delivery event)
//! in, the core called, `{statusCode, body}` out. Never panics on bad input.

use crate::config::{Config, ConfigError};
use crate::delivery::PostConnect;
use crate::invocation::{Event, EventType, Invocation};
use crate::pusher::{within_deadline, EndpointPusher};
use serde_json::{json, Value};
use std::sync::Arc;
use tracing::{info_span, Instrument as _};
use wsproxy_aws::DynamoDbRegistry;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::metrics::HANDLER_DURATION;
use wsproxy_core::{Proxy, Registry, RequestContext, RouteResponse};

/// What lives for the process's life: the core over its three ports, and the SDK clients.
pub struct Host {
    proxy: Proxy,
    pusher: Arc<EndpointPusher>,
    post_connect: PostConnect,
    config: Config,
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
        let post_connect = PostConnect::new(
            aws_sdk_lambda::Client::new(sdk),
            config.function_name.clone(),
            pusher.clone(),
        );
        Ok(Self {
            proxy,
            pusher,
            post_connect,
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
        let invocation = Invocation::parse(payload);
        let request_id = invocation.request_id().unwrap_or(invocation_id).to_owned();
        let mut ctx = RequestContext::new(request_id);
        if let Some(header) = xray {
            ctx = ctx.with_xray_trace(header);
        }
        let route = invocation.route_label().to_owned();
        let start = std::time::Instant::now();
        // Boxed: the future is deep enough to reach the compiler's layout recursion limit.
        let answer = ctx.scope(Box::pin(self.route(invocation))).await;
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

    /// Handles one invocation inside its [`RequestContext`].
    async fn route(&self, invocation: Invocation) -> Value {
        match invocation {
            Invocation::Delivery(delivery) => {
                let span = info_span!("deliver", connection_id = %delivery.connection_id, request_id = %RequestContext::current_id());
                self.post_connect.deliver(delivery).instrument(span).await
            }
            Invocation::Malformed(malformed) => answer(&malformed.response()),
            Invocation::Event(event) => self.handle_event(event).await,
        }
    }

    /// Hands an API Gateway event to the core's handler for its type.
    async fn handle_event(&self, event: Event) -> Value {
        if self.pusher.endpoint().is_none() {
            if let Some(endpoint) = &event.endpoint {
                self.pusher.ensure_endpoint(endpoint);
            }
        }
        let span = info_span!("event", connection_id = %event.connection_id, request_id = %RequestContext::current_id(), route = %event.route);
        async {
            let connection_id = event.connection_id.as_str();
            let response = match event.event_type {
                EventType::Connect => {
                    let outcome = self.proxy.connect(connection_id, &event.query).await;
                    if outcome.response.is_success() && !outcome.after_open.is_empty() {
                        self.post_connect
                            .schedule(connection_id, outcome.after_open)
                            .await;
                    }
                    outcome.response
                }
                EventType::Disconnect => self.proxy.disconnect(connection_id).await,
                EventType::Message => {
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

/// API Gateway's Lambda proxy answer.
fn answer(response: &RouteResponse) -> Value {
    json!({
        "statusCode": response.status,
        "headers": {"content-type": "application/json"},
        "body": response.body,
    })
}
