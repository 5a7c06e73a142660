//! Starts the real gateway with the in-process core in front of a backend.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{MemoryRegistry, Proxy};
use wsproxy_gateway::{Connections, CoreIntegration, Credentials, Gateway, GatewayConfig, Quotas};

/// What a test may change about the gateway.
#[derive(Debug, Clone)]
pub struct Options {
    /// One backend call's limit.
    pub backend_timeout: Duration,
    /// Quotas of the gateway.
    pub quotas: Quotas,
    /// Custom route keys.
    pub routes: Vec<String>,
    /// `@connections` credentials.
    pub credentials: Option<Credentials>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            backend_timeout: Duration::from_millis(3000),
            quotas: Quotas::default(),
            routes: Vec::new(),
            credentials: None,
        }
    }
}

/// A running gateway.
pub struct Harness {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its stage.
    pub stage: String,
    /// The registry the core writes to.
    pub registry: Arc<MemoryRegistry>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Harness {
    /// A gateway on a free loopback port in front of `backend_url`, default options.
    pub async fn start(backend_url: &str) -> Self {
        Self::start_with(backend_url, Options::default()).await
    }

    /// A gateway with the given options.
    pub async fn start_with(backend_url: &str, options: Options) -> Self {
        init_logs();
        let backend = HttpBackend::new(backend_url, options.backend_timeout).unwrap();
        let config = GatewayConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            stage: "dev".into(),
            routes: options.routes,
            quotas: options.quotas,
            credentials: options.credentials,
            ..GatewayConfig::default()
        };
        let registry = Arc::new(MemoryRegistry::new());
        let connections = Arc::new(Connections::new(&config));
        let proxy = Proxy::new(registry.clone(), Arc::new(backend), connections.clone());
        let bound = Gateway::new(config, connections, Arc::new(CoreIntegration::new(proxy)))
            .bind()
            .await
            .unwrap();
        let addr = bound.local_addr();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            bound
                .serve(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Self {
            addr,
            stage: "dev".into(),
            registry,
            shutdown: Some(tx),
            task,
        }
    }

    /// `ws://ADDR/dev?{query}`.
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/{}?{}", self.addr, self.stage, query)
    }

    /// The `@connections` base URL the AWS SDKs take: `http://ADDR/dev`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/{}", self.addr, self.stage)
    }

    /// Stops the gateway gracefully and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
    }
}

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

impl Harness {
    /// Waits until the registry holds exactly `n` items (the close path is asynchronous).
    pub async fn wait_for_items(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + crate::client::WAIT;
        while self.registry.len() != n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "registry holds {} items, expected {n}",
                self.registry.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Harness {
    /// POSTs `body` to `@connections/{id}` over plain HTTP (loopback needs no signature).
    pub async fn push(&self, connection_id: &str, body: impl Into<String>) -> u16 {
        reqwest::Client::new()
            .post(format!(
                "{}/@connections/{}",
                self.endpoint(),
                encode(connection_id)
            ))
            .body(body.into())
            .send()
            .await
            .expect("the @connections API did not answer")
            .status()
            .as_u16()
    }
}

/// Percent-encodes a connection id as the AWS SDKs do.
pub fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}
