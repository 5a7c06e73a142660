//! `wsproxy serve --lambda PATH`: the real `bootstrap` behind the local gateway.

use std::path::PathBuf;
use std::sync::Arc;
use wsproxy_gateway::lambda::{LambdaConfig, LambdaIntegration};

/// The AWS variables a function may need locally; its environment is otherwise clean.
const PASSED_THROUGH: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
];

/// How the function runs.
#[derive(Debug)]
pub struct Function {
    /// The `bootstrap` binary.
    pub bootstrap: PathBuf,
    /// Processes.
    pub concurrency: usize,
    /// `CONNECTIONS_TABLE`.
    pub table: String,
    /// `BACKEND_URL`.
    pub backend_url: String,
    /// `BACKEND_TIMEOUT_MS`.
    pub backend_timeout_ms: u64,
    /// `BACKEND_MAX_ANSWER_BYTES`.
    pub backend_max_answer_bytes: usize,
    /// `API_GATEWAY_ENDPOINT`: this gateway's `@connections` base URL.
    pub endpoint: String,
}

impl Function {
    /// Starts the function's processes and its Runtime and Invoke APIs.
    pub async fn start(self) -> anyhow::Result<Arc<LambdaIntegration>> {
        anyhow::ensure!(
            self.bootstrap.is_file(),
            "--lambda {}: no such file; build it with `cargo build --release -p wsproxy-lambda --bin bootstrap` (target/release/bootstrap)",
            self.bootstrap.display()
        );
        let mut config = LambdaConfig::new(&self.bootstrap);
        config.concurrency = self.concurrency.max(1);
        if let Ok(region) = std::env::var("AWS_REGION") {
            config.region = region;
        }
        config.env = vec![
            ("BACKEND_URL".into(), self.backend_url),
            ("CONNECTIONS_TABLE".into(), self.table),
            (
                "BACKEND_TIMEOUT_MS".into(),
                self.backend_timeout_ms.to_string(),
            ),
            (
                "BACKEND_MAX_ANSWER_BYTES".into(),
                self.backend_max_answer_bytes.to_string(),
            ),
            ("API_GATEWAY_ENDPOINT".into(), self.endpoint),
        ];
        config.env.extend(
            PASSED_THROUGH
                .iter()
                .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?))),
        );
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            // The function signs its self-invocation; the local Invoke API takes any key.
            config
                .env
                .push(("AWS_ACCESS_KEY_ID".into(), "local".into()));
            config
                .env
                .push(("AWS_SECRET_ACCESS_KEY".into(), "local".into()));
        }
        let integration = LambdaIntegration::start(config).await?;
        println!(
            "lambda: {} ({} process(es)); Runtime and Invoke APIs on {}",
            self.bootstrap.display(),
            self.concurrency.max(1),
            integration.runtime_api_addr()
        );
        Ok(integration)
    }
}

/// Starts the function for `wsproxy bench lambda`: one process, the backend defaults.
pub fn start_for_bench(
    site: wsproxy_bench::FunctionSite,
) -> futures::future::BoxFuture<'static, anyhow::Result<Arc<LambdaIntegration>>> {
    Box::pin(
        Function {
            bootstrap: site.bootstrap,
            concurrency: 1,
            table: site.table,
            backend_url: site.backend_url,
            backend_timeout_ms: 3000,
            backend_max_answer_bytes: wsproxy_backend_http::DEFAULT_MAX_ANSWER_BYTES,
            endpoint: site.endpoint,
        }
        .start(),
    )
}
