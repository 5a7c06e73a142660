//! Starts the real gateway in front of a backend, in one of the suite's three setups.

use crate::store::{self, ItemCounter};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{MemoryRegistry, Registry};
use wsproxy_gateway::function_integration::LocalFunctionConfig;
use wsproxy_gateway::{
    ConnectionLimits, Credentials, Gateway, GatewayConfig, Quotas, ServingGateway,
};

/// Where the core runs and where it keeps connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// In-process core, in-memory registry.
    Memory,
    /// In-process core, DynamoDB registry.
    DynamoDb,
    /// The real `bootstrap` under the gateway's Lambda mode, DynamoDB registry.
    Lambda,
}

impl Setup {
    /// `WSPROXY_E2E_SETUP`: `memory` (default), `dynamodb` or `lambda`.
    pub fn from_env() -> Self {
        match std::env::var("WSPROXY_E2E_SETUP").as_deref() {
            Err(_) | Ok("") | Ok("memory") => Self::Memory,
            Ok("dynamodb") => Self::DynamoDb,
            Ok("lambda") => Self::Lambda,
            Ok(other) => panic!("WSPROXY_E2E_SETUP={other}: use memory, dynamodb or lambda"),
        }
    }
}

/// What a test may change about the gateway.
#[derive(Debug, Clone)]
pub struct Options {
    /// One backend call's limit.
    pub backend_timeout: Duration,
    /// The most of one backend answer read (`None`: the default, 128 KiB).
    pub backend_max_answer_bytes: Option<usize>,
    /// Quotas of the gateway.
    pub quotas: Quotas,
    /// Custom route keys.
    pub routes: Vec<String>,
    /// `@connections` credentials.
    pub credentials: Option<Credentials>,
    /// The gateway's edge limits (header size, connection cap, new-connection rate).
    pub limits: ConnectionLimits,
    /// The DynamoDB-compatible server of the `dynamodb` setup (`None`: the environment's).
    pub dynamodb_endpoint: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            backend_timeout: Duration::from_millis(3000),
            backend_max_answer_bytes: None,
            quotas: Quotas::default(),
            routes: Vec::new(),
            credentials: None,
            limits: ConnectionLimits::default(),
            dynamodb_endpoint: None,
        }
    }
}

/// A running gateway.
pub struct Harness {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its stage.
    pub stage: String,
    /// The setup it runs.
    pub setup: Setup,
    /// The registry the core writes to (in the Lambda setup: the same table, from here).
    pub registry: Arc<dyn Registry>,
    items: ItemCounter,
    serving: ServingGateway,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("addr", &self.addr)
            .field("stage", &self.stage)
            .field("setup", &self.setup)
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// A gateway on a free loopback port in front of `backend_url`, default options.
    pub async fn start(backend_url: &str) -> Self {
        Self::start_with(backend_url, Options::default()).await
    }

    /// A gateway with the given options, in the setup `WSPROXY_E2E_SETUP` names.
    pub async fn start_with(backend_url: &str, options: Options) -> Self {
        init_logs();
        let setup = Setup::from_env();
        let config = GatewayConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            stage: "dev".into(),
            routes: options.routes.clone(),
            quotas: options.quotas.clone(),
            credentials: options.credentials.clone(),
            limits: options.limits.clone(),
            ..GatewayConfig::default()
        };
        let builder = Gateway::builder().config(config);
        let (registry, items, builder) = match setup {
            Setup::Memory | Setup::DynamoDb => {
                let (registry, items): (Arc<dyn Registry>, ItemCounter) = if setup == Setup::Memory
                {
                    let memory = Arc::new(MemoryRegistry::new());
                    (memory.clone(), ItemCounter::Memory(memory))
                } else {
                    let (registry, items, _) =
                        store::dynamodb(options.dynamodb_endpoint.as_deref()).await;
                    (registry, items)
                };
                let mut backend = HttpBackend::new(backend_url, options.backend_timeout).unwrap();
                if let Some(limit) = options.backend_max_answer_bytes {
                    backend = backend.with_max_answer_bytes(limit);
                }
                let builder = builder.core(registry.clone(), Arc::new(backend));
                (registry, items, builder)
            }
            Setup::Lambda => {
                let (registry, items, table) = store::dynamodb(None).await;
                let function = function_config(backend_url, &table, &options);
                let builder = builder.lambda(move |endpoint| {
                    let mut lambda = LocalFunctionConfig::new(bootstrap());
                    lambda.concurrency = 2;
                    lambda.env = wsproxy_lambda::Config {
                        endpoint: Some(endpoint.to_owned()),
                        ..function
                    }
                    .to_local_env(wsproxy_lambda::process_env);
                    lambda
                });
                (registry, items, builder)
            }
        };
        let serving = builder.bind().await.unwrap().spawn();
        Self {
            addr: serving.local_addr(),
            stage: "dev".into(),
            setup,
            registry,
            items,
            serving,
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

    /// Counts the connection table's items (usable after shutdown).
    pub fn items(&self) -> ItemCounter {
        self.items.clone()
    }

    /// Waits until the table holds exactly `n` items (the close path is asynchronous).
    pub async fn wait_for_items(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + crate::client::WAIT;
        loop {
            let count = self.items.count().await;
            if count == n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the table holds {count} items, expected {n}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Deletes the DynamoDB table under the running gateway (DynamoDB setups only).
    pub async fn delete_table(&self) {
        match &self.items {
            ItemCounter::DynamoDb { client, table } => {
                client
                    .delete_table()
                    .table_name(table)
                    .send()
                    .await
                    .expect("deleting the test table");
            }
            ItemCounter::Memory(_) => panic!("the memory setup has no table to delete"),
        }
    }

    /// Stops the gateway gracefully and waits for it.
    pub async fn shutdown(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(20), self.serving.shutdown()).await;
    }

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

/// The function's settings; its environment is the one `wsproxy serve --lambda` gives it
/// ([`wsproxy_lambda::Config::to_local_env`]).
fn function_config(backend_url: &str, table: &str, options: &Options) -> wsproxy_lambda::Config {
    let defaults = wsproxy_lambda::Config::new(backend_url);
    wsproxy_lambda::Config {
        table: table.to_owned(),
        backend_timeout: options.backend_timeout,
        backend_max_answer_bytes: options
            .backend_max_answer_bytes
            .unwrap_or(defaults.backend_max_answer_bytes),
        ..defaults
    }
}

/// The `bootstrap` binary: `WSPROXY_BOOTSTRAP`, else `target/debug/bootstrap` beside this test.
pub fn bootstrap() -> PathBuf {
    let path = std::env::var_os("WSPROXY_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().unwrap();
            exe.parent()
                .and_then(|deps| deps.parent())
                .unwrap()
                .join("bootstrap")
        });
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p wsproxy-lambda --bin bootstrap` (scripts/test.sh does)",
        path.display()
    );
    path
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

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}
