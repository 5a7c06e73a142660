//! The gateway server: one port for WebSockets, `@connections` and a fallback router.

use crate::event::Integration;
use crate::routes::RouteSelector;
use crate::state::{reachable, Shared, Tracker};
use crate::throttle::TokenBucket;
use crate::{accept, connections_api, upgrade, Connections, GatewayConfig, GatewayError, LocalTls};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use http::StatusCode;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::info;

/// Assembles a gateway on a bound `listener` (the builder's last step).
pub(crate) fn bound(
    config: GatewayConfig,
    connections: Arc<Connections>,
    integration: Arc<dyn Integration>,
    fallback: Option<Router>,
    listener: TcpListener,
    tls: Option<LocalTls>,
) -> Result<BoundGateway, GatewayError> {
    let selector = RouteSelector::new(&config.route_selection_expression, &config.routes)
        .map_err(GatewayError::Config)?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| GatewayError::listen(config.listen, e))?;
    let limits = &config.limits;
    let new_connections = TokenBucket::new(
        limits.new_connections_per_second,
        limits.new_connection_burst,
    );
    let shared = Arc::new(Shared {
        new_connections,
        config,
        connections,
        integration,
        selector: Arc::new(selector),
        tracker: Arc::new(Tracker::default()),
        local_addr,
        tls,
    });
    let router = router(shared.clone(), fallback);
    Ok(BoundGateway {
        listener,
        router,
        shared,
    })
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

/// A gateway bound to its address, its integration started, ready to serve.
pub struct BoundGateway {
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for BoundGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundGateway")
            .field("local_addr", &self.shared.local_addr)
            .field("stage", &self.shared.config.stage)
            .finish_non_exhaustive()
    }
}

impl BoundGateway {
    /// The address actually listened on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// The `@connections` base URL the AWS SDKs take: `http://ADDR/{stage}`, with a
    /// loopback address in place of an unspecified one (0.0.0.0, ::).
    pub fn endpoint(&self) -> String {
        format!(
            "http://{}/{}",
            reachable(self.shared.local_addr),
            self.shared.config.stage
        )
    }

    /// The `@connections` base URL over TLS, `https://ADDR/{stage}`, when TLS is on
    /// ([`crate::GatewayBuilder::tls_dir`]).
    pub fn https_endpoint(&self) -> Option<String> {
        self.shared.tls.as_ref().map(|_| {
            format!(
                "https://{}/{}",
                reachable(self.shared.local_addr),
                self.shared.config.stage
            )
        })
    }

    /// The local certificate, when TLS is on.
    pub fn tls(&self) -> Option<&LocalTls> {
        self.shared.tls.as_ref()
    }

    /// The table of open sockets.
    pub fn connections(&self) -> &Arc<Connections> {
        &self.shared.connections
    }

    /// Serves on a task of its own until [`ServingGateway::shutdown`].
    pub fn spawn(self) -> ServingGateway {
        let local_addr = self.local_addr();
        let endpoint = self.endpoint();
        let connections = self.connections().clone();
        let integration = self.shared.integration.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(self.serve_sockets(async {
            let _ = stopped.await;
        }));
        ServingGateway {
            local_addr,
            endpoint,
            connections,
            integration,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Serves until `shutdown` resolves; then every socket gets a close frame (1001 Going away),
    /// `$disconnect` runs for each, the integration is shut down ([`Integration::shutdown`]:
    /// the functions stop), and this returns.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        let integration = self.shared.integration.clone();
        let served = self.serve_sockets(shutdown).await;
        // Only now: every `$disconnect` above ran on the integration.
        integration.shutdown().await;
        served
    }

    async fn serve_sockets(
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
        if let Some(tls) = &shared.tls {
            info!(
                names = ?tls.names(),
                ca = %tls.ca_file().display(),
                "TLS on the same port: wss://{}/{} and https:// (certificate of the local CA)",
                shared.local_addr,
                shared.config.stage
            );
        }
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
                let tls = shared.tls.as_ref().map(LocalTls::acceptor);
                accept::serve(listener, router, &shared.config.limits, tls, stop).await;
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

/// A gateway serving on a task of its own ([`BoundGateway::spawn`]).
pub struct ServingGateway {
    local_addr: SocketAddr,
    endpoint: String,
    connections: Arc<Connections>,
    integration: Arc<dyn Integration>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), GatewayError>>>,
}

impl ServingGateway {
    /// The address listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The `@connections` base URL ([`BoundGateway::endpoint`]).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The table of open sockets.
    pub fn connections(&self) -> &Arc<Connections> {
        &self.connections
    }

    /// Starts the shutdown: every socket gets a close frame (1001 Going away) and
    /// `$disconnect` runs for each; [`ServingGateway::stopped`] waits for it.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits until serving ended after [`ServingGateway::stop`]: every `$disconnect` ran.
    /// The integration (its functions, if any) still runs.
    pub async fn stopped(&mut self) -> Result<(), GatewayError> {
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| GatewayError::Serve(std::io::Error::other(e)))?,
            None => Ok(()),
        }
    }

    /// Shuts down as [`BoundGateway::serve`] does (the sockets, then the integration) and
    /// waits for it; called again, the sockets are not waited for again.
    pub async fn shutdown(&mut self) -> Result<(), GatewayError> {
        self.stop();
        let served = self.stopped().await;
        self.integration.shutdown().await;
        served
    }
}

impl std::fmt::Debug for ServingGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServingGateway")
            .field("local_addr", &self.local_addr)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}
