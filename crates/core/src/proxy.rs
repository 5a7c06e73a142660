//! The proxy: its ports, its settings, and what a route answers.

use crate::metered::{MeteredBackend, MeteredRegistry};
use crate::{Backend, Pusher, Registry};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Settings of the core that do not come from the ports.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// How many pushes of one fan-out run at once.
    pub fanout_concurrency: usize,
    /// How long one push may take before it counts as failed.
    pub push_timeout: Duration,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            fanout_concurrency: 64,
            push_timeout: Duration::from_secs(5),
        }
    }
}

/// The wsproxy core, shared by every host.
#[derive(Clone)]
pub struct Proxy {
    /// The registry as given, returned by [`Proxy::registry`].
    registry: Arc<dyn Registry>,
    /// The same, its calls recorded: what the routes use.
    pub(crate) metered_registry: Arc<dyn Registry>,
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) pusher: Arc<dyn Pusher>,
    pub(crate) config: ProxyConfig,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// A proxy over the three ports, with default settings.
    pub fn new(
        registry: Arc<dyn Registry>,
        backend: Arc<dyn Backend>,
        pusher: Arc<dyn Pusher>,
    ) -> Self {
        Self::with_config(registry, backend, pusher, ProxyConfig::default())
    }

    /// A proxy over the three ports, with the given settings.
    pub fn with_config(
        registry: Arc<dyn Registry>,
        backend: Arc<dyn Backend>,
        pusher: Arc<dyn Pusher>,
        config: ProxyConfig,
    ) -> Self {
        Self {
            metered_registry: Arc::new(MeteredRegistry(registry.clone())),
            registry,
            backend: Arc::new(MeteredBackend(backend)),
            pusher,
            config,
        }
    }

    /// The registry this proxy writes to.
    pub fn registry(&self) -> &Arc<dyn Registry> {
        &self.registry
    }
}

/// What a route answers its host: API Gateway's `{statusCode, body}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteResponse {
    /// HTTP status; for `$connect` a non-2xx refuses the upgrade.
    pub status: u16,
    /// The body, JSON text.
    pub body: String,
}

impl RouteResponse {
    /// A 200 with `{"status":"<what>"}`.
    pub fn ok(what: &str) -> Self {
        Self::json(200, &json!({ "status": what }))
    }

    /// An error answer: `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(status, &json!({ "error": message.into() }))
    }

    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            body: body.to_string(),
        }
    }

    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The answer to `$connect`, plus what to deliver once the socket is open.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOutcome {
    /// The route's answer; non-2xx refuses the upgrade.
    pub response: RouteResponse,
    /// Messages (JSON) for the new socket, to be pushed only after it has opened.
    pub after_open: Vec<Value>,
}

impl ConnectOutcome {
    pub(crate) fn refused(status: u16, message: impl Into<String>) -> Self {
        Self {
            response: RouteResponse::error(status, message),
            after_open: Vec::new(),
        }
    }
}
