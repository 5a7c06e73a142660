//! `wsproxy serve --lambda PATH`: the real `bootstrap` behind the local gateway.

use std::path::PathBuf;
use wsproxy_gateway::lambda::LambdaConfig;

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
    /// Checks the `bootstrap`; gives the gateway builder's Lambda setup
    /// ([`wsproxy_gateway::GatewayBuilder::lambda`]), which adds the gateway's `@connections`
    /// endpoint to the settings.
    pub fn setup(self) -> anyhow::Result<impl FnOnce(&str) -> LambdaConfig + Send + 'static> {
        anyhow::ensure!(
            self.bootstrap.is_file(),
            "--lambda {}: no such file; build it with `cargo build --release -p wsproxy-lambda --bin bootstrap` (target/release/bootstrap)",
            self.bootstrap.display()
        );
        Ok(move |endpoint: &str| {
            let mut lambda = LambdaConfig::new(&self.bootstrap);
            lambda.concurrency = self.concurrency.max(1);
            if let Some(region) = wsproxy_lambda::process_env("AWS_REGION") {
                lambda.region = region;
            }
            let config = wsproxy_lambda::Config {
                endpoint: Some(endpoint.to_owned()),
                ..self.config
            };
            lambda.env = config.to_local_env(wsproxy_lambda::process_env);
            // WSPROXY_METRICS=off reaches the function (to measure what metrics cost).
            if let Some(metrics) = wsproxy_lambda::process_env("WSPROXY_METRICS") {
                lambda.env.push(("WSPROXY_METRICS".to_owned(), metrics));
            }
            lambda
        })
    }
}
