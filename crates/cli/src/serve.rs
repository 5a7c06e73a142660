//! `wsproxy serve`: the local API Gateway with the in-process core.

use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{MemoryRegistry, Proxy};
use wsproxy_gateway::{Connections, CoreIntegration, Credentials, Gateway, GatewayConfig, Quotas};

/// Flags of `wsproxy serve`; each has the environment variable of the contract or its own.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Base URL of the HTTP backend.
    #[arg(long, env = "BACKEND_URL", required_unless_present = "demo")]
    backend_url: Option<String>,
    /// Also start the built-in demo backend and its browser page at `/` (ignores --backend-url).
    #[arg(long)]
    demo: bool,
    /// Address the gateway listens on (WebSocket and `@connections`).
    #[arg(long, default_value = "127.0.0.1:8080", env = "WSPROXY_LISTEN")]
    listen: SocketAddr,
    /// Stage name: clients connect to ws://HOST:PORT/{stage}.
    #[arg(long, default_value = "dev", env = "WSPROXY_STAGE")]
    stage: String,
    /// One backend call's limit, in milliseconds.
    #[arg(long, default_value_t = 3000, env = "BACKEND_TIMEOUT_MS")]
    backend_timeout_ms: u64,
    /// A custom route key (repeatable); messages whose selected value matches go there.
    #[arg(long = "route")]
    routes: Vec<String>,
    /// Route selection expression.
    #[arg(long, default_value = "$request.body.action")]
    route_selection_expression: String,
    /// Largest message a client may send, in bytes.
    #[arg(long, default_value_t = Quotas::default().max_message_bytes)]
    max_message_bytes: usize,
    /// Largest frame a client may send, in bytes.
    #[arg(long, default_value_t = Quotas::default().max_frame_bytes)]
    max_frame_bytes: usize,
    /// Seconds without a client frame before the socket is closed.
    #[arg(long, default_value_t = Quotas::default().idle_timeout.as_secs())]
    idle_timeout_secs: u64,
    /// Longest a connection may stay open, in seconds.
    #[arg(long, default_value_t = Quotas::default().max_duration.as_secs())]
    max_connection_secs: u64,
    /// Access key id the `@connections` API requires (SigV4); without it, loopback only.
    #[arg(long, env = "WSPROXY_ACCESS_KEY_ID", requires = "secret_access_key")]
    access_key_id: Option<String>,
    /// Secret key paired with --access-key-id.
    #[arg(long, env = "WSPROXY_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: Option<String>,
}

/// Runs the gateway until Ctrl-C or SIGTERM, then closes every socket gracefully.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    crate::limits::raise_fd_limit();
    let demo_listener = if args.demo {
        Some(
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .context("could not open a port for the demo backend")?,
        )
    } else {
        None
    };
    let backend_url = match (&demo_listener, &args.backend_url) {
        (Some(l), _) => format!("http://{}", l.local_addr()?),
        (None, Some(url)) => url.clone(),
        (None, None) => bail!("no backend: pass --backend-url URL (or set BACKEND_URL), or --demo"),
    };
    let backend = HttpBackend::new(&backend_url, Duration::from_millis(args.backend_timeout_ms))?;

    let config = gateway_config(&args);
    let stage = config.stage.clone();
    let connections = Arc::new(Connections::new(&config));
    let proxy = Proxy::new(
        Arc::new(MemoryRegistry::new()),
        Arc::new(backend),
        connections.clone(),
    );
    let mut gateway = Gateway::new(config, connections, Arc::new(CoreIntegration::new(proxy)));
    if args.demo {
        gateway = gateway.with_fallback(wsproxy_demo::page_router(&format!("/{stage}")));
    }
    let bound = gateway.bind().await?;
    let addr = bound.local_addr();

    if let Some(listener) = demo_listener {
        let demo = wsproxy_demo::DemoConfig {
            gateway_url: Some(format!("http://{addr}/{stage}")),
            ..Default::default()
        };
        tokio::spawn(async move {
            if let Err(e) = wsproxy_demo::serve_backend(listener, demo).await {
                tracing::error!(error = %e, "the demo backend stopped");
            }
        });
        println!("demo page: http://{addr}/  (open it twice, as alice and as bob)");
    }
    println!("wsproxy listening on ws://{addr}/{stage}");
    println!("@connections API: http://{addr}/{stage}/@connections/{{connection_id}}");
    println!("backend: {backend_url}");
    bound.serve(shutdown_signal()).await?;
    Ok(())
}

fn gateway_config(args: &ServeArgs) -> GatewayConfig {
    let credentials = match (&args.access_key_id, &args.secret_access_key) {
        (Some(id), Some(secret)) => Some(Credentials {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
        }),
        _ => None,
    };
    GatewayConfig {
        listen: args.listen,
        stage: args.stage.trim_matches('/').to_owned(),
        route_selection_expression: args.route_selection_expression.clone(),
        routes: args.routes.clone(),
        quotas: Quotas {
            max_message_bytes: args.max_message_bytes,
            max_frame_bytes: args.max_frame_bytes,
            idle_timeout: Duration::from_secs(args.idle_timeout_secs),
            max_duration: Duration::from_secs(args.max_connection_secs),
            ..Quotas::default()
        },
        credentials,
        ..GatewayConfig::default()
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: closing every socket");
}
