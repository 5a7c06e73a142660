//! The gateway server: one port for WebSockets, `@connections` and a fallback router.

use crate::event::Integration;
use crate::routes::RouteSelector;
use crate::throttle::TokenBucket;
use crate::{accept, connections_api, upgrade, Connections, GatewayConfig, GatewayError};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use http::StatusCode;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tracing::info;

/// State shared by every request handler and socket task.
pub(crate) struct Shared {
    pub config: GatewayConfig,
    pub connections: Arc<Connections>,
    pub integration: Arc<dyn Integration>,
    pub selector: Arc<RouteSelector>,
    pub tracker: Arc<Tracker>,
    pub local_addr: SocketAddr,
    /// The new-connection rate limit of WebSocket upgrades.
    pub new_connections: TokenBucket,
}

/// A local API Gateway WebSocket API, not yet listening.
pub struct Gateway {
    config: GatewayConfig,
    connections: Arc<Connections>,
    integration: Arc<dyn Integration>,
    fallback: Option<Router>,
}

impl Gateway {
    /// A gateway over `connections` (also given to whoever pushes) running routes on `integration`.
    pub fn new(
        config: GatewayConfig,
        connections: Arc<Connections>,
        integration: Arc<dyn Integration>,
    ) -> Self {
        Self {
            config,
            connections,
            integration,
            fallback: None,
        }
    }

    /// Serves `router` on every path the gateway does not use (`/{stage}` and
    /// `/{stage}/@connections/...`), e.g. a browser page at `/`.
    pub fn with_fallback(mut self, router: Router) -> Self {
        self.fallback = Some(router);
        self
    }

    /// Checks the configuration and binds the listen address (port 0 picks one).
    pub async fn bind(self) -> Result<BoundGateway, GatewayError> {
        validate(&self.config)?;
        let addr = self.config.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| GatewayError::listen(addr, e))?;
        self.bound(listener)
    }

    /// Binds `addr` (port 0 picks one) ahead of the gateway, for an integration that must know
    /// the gateway's address before [`Gateway::new`], e.g. the Lambda mode's
    /// `API_GATEWAY_ENDPOINT`. Hand the listener to [`Gateway::bind_listener`].
    pub async fn listen(addr: SocketAddr) -> Result<std::net::TcpListener, GatewayError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| GatewayError::listen(addr, e))?;
        listener
            .into_std()
            .map_err(|e| GatewayError::listen(addr, e))
    }

    /// Like [`Gateway::bind`], on a listener bound beforehand (see [`Gateway::listen`]);
    /// `config.listen` is then ignored.
    pub async fn bind_listener(
        self,
        listener: std::net::TcpListener,
    ) -> Result<BoundGateway, GatewayError> {
        validate(&self.config)?;
        let addr = listener.local_addr().unwrap_or(self.config.listen);
        listener
            .set_nonblocking(true)
            .map_err(|e| GatewayError::listen(addr, e))?;
        let listener =
            TcpListener::from_std(listener).map_err(|e| GatewayError::listen(addr, e))?;
        self.bound(listener)
    }

    fn bound(self, listener: TcpListener) -> Result<BoundGateway, GatewayError> {
        let selector =
            RouteSelector::new(&self.config.route_selection_expression, &self.config.routes)
                .map_err(GatewayError::Config)?;
        let addr = self.config.listen;
        let local_addr = listener
            .local_addr()
            .map_err(|e| GatewayError::listen(addr, e))?;
        let limits = &self.config.limits;
        let new_connections = TokenBucket::new(
            limits.new_connections_per_second,
            limits.new_connection_burst,
        );
        let shared = Arc::new(Shared {
            new_connections,
            config: self.config,
            connections: self.connections,
            integration: self.integration,
            selector: Arc::new(selector),
            tracker: Arc::new(Tracker::default()),
            local_addr,
        });
        let router = router(shared.clone(), self.fallback);
        Ok(BoundGateway {
            listener,
            router,
            shared,
        })
    }
}

/// Checks the settings, the connection limits included.
fn validate(config: &GatewayConfig) -> Result<(), GatewayError> {
    config.validate().map_err(GatewayError::Config)?;
    config.limits.validate().map_err(GatewayError::Config)
}

fn router(shared: Arc<Shared>, fallback: Option<Router>) -> Router {
    let stage = shared.config.stage.clone();
    let gateway = Router::new()
        .route(&format!("/{stage}"), any(upgrade::handle))
        .route(&format!("/{stage}/{{*rest}}"), any(connections_api::handle))
        .with_state(shared);
    match fallback {
        Some(fallback) => gateway.fallback_service(fallback),
        None => gateway.fallback(not_found),
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// A gateway bound to its address, ready to serve.
pub struct BoundGateway {
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
}

impl BoundGateway {
    /// The address actually listened on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// The table of open sockets.
    pub fn connections(&self) -> &Arc<Connections> {
        &self.shared.connections
    }

    /// Serves until `shutdown` resolves; then every socket gets a close frame (1001 Going away),
    /// `$disconnect` runs for each, and this returns once all of them are done.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        let Self {
            listener,
            router,
            shared,
        } = self;
        info!(
            address = %shared.local_addr,
            stage = %shared.config.stage,
            "gateway listening: ws://{}/{}",
            shared.local_addr,
            shared.config.stage
        );
        let limits = &shared.config.limits;
        info!(
            max_connections = limits.effective_max_connections(),
            max_header_bytes = limits.max_header_bytes,
            header_read_timeout_secs = limits.header_read_timeout.as_secs_f64(),
            new_connections_per_second = limits.new_connections_per_second,
            new_connection_burst = limits.new_connection_burst,
            "connection limits"
        );
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = {
            let shared = shared.clone();
            async move {
                let stop = async move {
                    let _ = stop_rx.await;
                };
                accept::serve(listener, router, &shared.config.limits, stop).await;
            }
        };
        let mut server = tokio::spawn(server);
        let finished_early = tokio::select! {
            () = shutdown => None,
            result = &mut server => Some(result),
        };
        let closing = shared.connections.shut_down(1001, "Going away");
        info!(sockets = closing, "shutting down");
        let _ = stop_tx.send(());
        let result = match finished_early {
            Some(result) => result,
            None => server.await,
        };
        shared.tracker.wait().await;
        info!("gateway stopped");
        result.map_err(|e| GatewayError::Serve(std::io::Error::other(e)))
    }
}

/// Counts running connection tasks, so shutdown can wait for their `$disconnect`.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    running: AtomicUsize,
    idle: Notify,
}

/// Held by a running connection task; dropping it marks the task done.
#[derive(Debug)]
pub(crate) struct TaskGuard(Arc<Tracker>);

impl Tracker {
    /// Marks a task as running until the guard is dropped.
    pub fn enter(self: &Arc<Self>) -> TaskGuard {
        self.running.fetch_add(1, Ordering::SeqCst);
        TaskGuard(self.clone())
    }

    /// Waits until no task runs.
    pub async fn wait(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
