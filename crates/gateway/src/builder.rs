//! [`GatewayBuilder`]: the one way to wire a local stack. Listen, make the connection
//! table, start the integration (the in-process core, local functions, or any
//! [`Integration`]) knowing the gateway's own address, then the gateway; serving ends by
//! shutting the integration down ([`crate::BoundGateway::serve`]).

use crate::event::Integration;
use crate::server::bound;
use crate::state::reachable;
use crate::{Connections, CoreIntegration, GatewayConfig, GatewayError, LocalTls};
use axum::Router;
use futures::future::BoxFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use wsproxy_core::{Backend, Proxy, ProxyConfig, Registry};

/// Starts an integration once the gateway's addresses are known (local functions need them).
pub(crate) type StartLater =
    Box<dyn FnOnce(Endpoints) -> BoxFuture<'static, Result<Started, GatewayError>> + Send>;

/// An integration started by the builder, and the keys it gave its functions
/// ([`GatewayConfig::function_keys`]).
pub(crate) struct Started {
    pub integration: Arc<dyn Integration>,
    pub function_keys: Vec<crate::Credentials>,
}

/// What an integration started by the builder learns once the port is bound.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    /// The `@connections` base URL, `http://ADDR/{stage}` (a loopback address in place of
    /// an unspecified one).
    pub http: String,
    /// When TLS is on: the `@connections` base URL over TLS, `https://ADDR/{stage}`.
    pub https: Option<String>,
    /// When TLS is on: the variables that make a program trust the local CA
    /// ([`LocalTls::trust_env`]).
    pub trust_env: Vec<(String, String)>,
}

/// Where the routes run.
enum Routes {
    /// The wsproxy core in this process, pushing through the gateway's connections.
    Core {
        registry: Arc<dyn Registry>,
        backend: Arc<dyn Backend>,
        config: ProxyConfig,
    },
    /// An integration started once the port is bound, stopped when serving ends.
    Later(StartLater),
    /// Any other integration.
    Other(Arc<dyn Integration>),
}

/// A local API Gateway WebSocket API; [`Gateway::builder`] wires and binds one.
#[derive(Debug)]
pub struct Gateway {
    _private: (),
}

impl Gateway {
    /// A builder: choose the settings and the integration, then [`GatewayBuilder::bind`].
    pub fn builder() -> GatewayBuilder {
        GatewayBuilder::default()
    }
}

/// Wires a local API Gateway: [`Gateway::builder`] gives one.
///
/// ```no_run
/// # async fn run(registry: std::sync::Arc<dyn wsproxy_core::Registry>, backend: std::sync::Arc<dyn wsproxy_core::Backend>) -> Result<(), wsproxy_gateway::GatewayError> {
/// use wsproxy_gateway::{Gateway, GatewayConfig};
///
/// let gateway = Gateway::builder()
///     .config(GatewayConfig::default())
///     .core(registry, backend)
///     .bind()
///     .await?;
/// println!("clients connect to ws://{}/dev", gateway.local_addr());
/// gateway.serve(async { let _ = tokio::signal::ctrl_c().await; }).await
/// # }
/// ```
#[must_use = "a builder does nothing until `bind`"]
#[derive(Default)]
pub struct GatewayBuilder {
    config: GatewayConfig,
    listener: Option<std::net::TcpListener>,
    routes: Option<Routes>,
    fallback: Option<Router>,
    tls_dir: Option<PathBuf>,
}

impl std::fmt::Debug for GatewayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes = match &self.routes {
            None => "none",
            Some(Routes::Core { .. }) => "core",
            Some(Routes::Later(_)) => "started at bind",
            Some(Routes::Other(_)) => "other",
        };
        f.debug_struct("GatewayBuilder")
            .field("config", &self.config)
            .field("routes", &routes)
            .finish_non_exhaustive()
    }
}

impl GatewayBuilder {
    /// Every setting at once (listen address, stage, routes, quotas, credentials, limits).
    pub fn config(mut self, config: GatewayConfig) -> Self {
        self.config = config;
        self
    }

    /// The address to listen on; port 0 picks a free one.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen = addr;
        self
    }

    /// Serves on a socket bound beforehand (e.g. with its own buffer sizes) instead of
    /// binding the listen address.
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Runs the routes on the wsproxy core in this process, over `registry` and `backend`,
    /// pushing through the gateway's own connections.
    pub fn core(self, registry: Arc<dyn Registry>, backend: Arc<dyn Backend>) -> Self {
        self.core_with(registry, backend, ProxyConfig::default())
    }

    /// [`GatewayBuilder::core`] with the core's own settings.
    pub fn core_with(
        mut self,
        registry: Arc<dyn Registry>,
        backend: Arc<dyn Backend>,
        config: ProxyConfig,
    ) -> Self {
        self.routes = Some(Routes::Core {
            registry,
            backend,
            config,
        });
        self
    }

    /// Runs the routes on the integration `start` makes once the port is bound; serving
    /// ends by shutting it down ([`Integration::shutdown`]), and so does a failed bind.
    pub(crate) fn start_later(mut self, start: StartLater) -> Self {
        self.routes = Some(Routes::Later(start));
        self
    }

    /// Runs the routes on `integration`.
    pub fn integration(mut self, integration: Arc<dyn Integration>) -> Self {
        self.routes = Some(Routes::Other(integration));
        self
    }

    /// Serves `router` on every path the gateway does not use (`/{stage}` and
    /// `/{stage}/@connections/...`), e.g. a browser page at `/`.
    pub fn fallback(mut self, router: Router) -> Self {
        self.fallback = Some(router);
        self
    }

    /// Serves TLS on the same port too (`https://`, `wss://`), with a certificate signed by
    /// the local CA kept in `dir` ([`LocalTls`]). The functions are told to trust it
    /// ([`LocalTls::trust_env`]) and get `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`, the
    /// HTTPS `@connections` base URL, unless their environment already sets these.
    pub fn tls_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.tls_dir = Some(dir.into());
        self
    }

    /// Checks the settings, binds the port, starts the integration and builds the gateway,
    /// ready to serve. A function started here is stopped again if a later step fails.
    pub async fn bind(self) -> Result<crate::BoundGateway, GatewayError> {
        let Self {
            mut config,
            listener,
            routes,
            fallback,
            tls_dir,
        } = self;
        config.validate().map_err(GatewayError::Config)?;
        config.limits.validate().map_err(GatewayError::Config)?;
        let routes = routes.ok_or_else(|| {
            GatewayError::Config(
                "no integration: call core(..), lambda(..) or integration(..) on the builder"
                    .to_owned(),
            )
        })?;
        let listener = match listener {
            Some(listener) => {
                let addr = listener.local_addr().unwrap_or(config.listen);
                listener
                    .set_nonblocking(true)
                    .map_err(|e| GatewayError::listen(addr, e))?;
                tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| GatewayError::listen(addr, e))?
            }
            None => tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|e| GatewayError::listen(config.listen, e))?,
        };
        let addr = listener
            .local_addr()
            .map_err(|e| GatewayError::listen(config.listen, e))?;
        let tls = match &tls_dir {
            Some(dir) => Some(LocalTls::load_or_create(
                dir,
                &[config.listen.ip(), addr.ip()],
            )?),
            None => None,
        };
        let connections = Arc::new(Connections::new(&config));
        let (integration, started): (Arc<dyn Integration>, _) = match routes {
            Routes::Core {
                registry,
                backend,
                config,
            } => {
                let proxy = Proxy::with_config(registry, backend, connections.clone(), config);
                (Arc::new(CoreIntegration::new(proxy)), false)
            }
            Routes::Later(start) => {
                let at = reachable(addr);
                let endpoints = Endpoints {
                    http: format!("http://{at}/{}", config.stage),
                    https: tls
                        .as_ref()
                        .map(|_| format!("https://{at}/{}", config.stage)),
                    trust_env: tls.as_ref().map(LocalTls::trust_env).unwrap_or_default(),
                };
                let started = start(endpoints).await?;
                config.function_keys.extend(started.function_keys);
                (started.integration, true)
            }
            Routes::Other(integration) => (integration, false),
        };
        let built = bound(
            config,
            connections,
            integration.clone(),
            fallback,
            listener,
            tls,
        );
        if built.is_err() && started {
            integration.shutdown().await;
        }
        built
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_builder_without_an_integration_says_what_to_call() {
        let err = crate::Gateway::builder()
            .listen("127.0.0.1:0".parse().unwrap())
            .bind()
            .await
            .expect_err("no integration");
        assert!(err.to_string().contains("lambda(..)"), "{err}");
    }
}
