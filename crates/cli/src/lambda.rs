//! `wsproxy serve --lambda PATH`: the real `bootstrap` behind the local gateway.

use std::path::PathBuf;
use std::sync::Arc;
use wsproxy_gateway::lambda::{LambdaConfig, LambdaIntegration};

/// How the function runs.
#[derive(Debug)]
pub struct Function {
    /// The `bootstrap` binary.
    pub bootstrap: PathBuf,
    /// Processes.
    pub concurrency: usize,
    /// Its settings; its environment is [`wsproxy_lambda::Config::to_local_env`].
    pub config: wsproxy_lambda::Config,
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
        if let Some(region) = wsproxy_lambda::process_env("AWS_REGION") {
            config.region = region;
        }
        config.env = self.config.to_local_env(wsproxy_lambda::process_env);
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
