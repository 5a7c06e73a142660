//! Lambda mode: every route runs on a real AWS Lambda `bootstrap` binary started as child
//! processes, as serverless-offline does for Node functions.
//!
//! [`LambdaIntegration`] serves, on loopback only:
//! - the **Runtime API** (`http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/...`): each
//!   process polls `GET /runtime/invocation/next` and answers with
//!   `POST /runtime/invocation/{id}/response` or `/error`, exactly as on AWS;
//! - the **Invoke API** (`POST /2015-03-31/functions/{name}/invocations`), so the function can
//!   invoke itself asynchronously with the AWS SDK (`AWS_ENDPOINT_URL_LAMBDA` points at it).
//!
//! Every [`crate::RouteEvent`] becomes API Gateway's WebSocket proxy event
//! ([`websocket_proxy_event`]) and the function's `{statusCode, body, headers}` becomes the
//! [`crate::IntegrationResponse`] ([`integration_response`]).
//!
//! # Wiring it to a gateway
//!
//! The function usually needs the gateway's own address (`API_GATEWAY_ENDPOINT`, to push
//! through `@connections`), known only once the port is bound. [`crate::GatewayBuilder::lambda`]
//! takes care of the order: it binds, hands the `@connections` base URL to your setup, starts
//! the function, and [`crate::BoundGateway::serve`] stops it after the last `$disconnect`:
//!
//! ```no_run
//! # async fn run(bootstrap: std::path::PathBuf) -> Result<(), wsproxy_gateway::GatewayError> {
//! use wsproxy_gateway::lambda::LambdaConfig;
//! use wsproxy_gateway::Gateway;
//!
//! let gateway = Gateway::builder()
//!     .lambda(move |endpoint| {
//!         let mut lambda = LambdaConfig::new(bootstrap);
//!         lambda.env.push(("API_GATEWAY_ENDPOINT".into(), endpoint.to_owned()));
//!         lambda
//!     })
//!     .bind()
//!     .await?;
//! gateway.serve(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

mod event_json;
mod integration;
mod invoke_api;
mod processes;
mod queue;
mod runtime_api;
mod spawn;

pub use event_json::{integration_response, websocket_proxy_event};
pub use integration::LambdaIntegration;

use std::path::PathBuf;
use std::time::Duration;

/// How to run the function.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// The `bootstrap` executable (a `provided.al2023` custom runtime, e.g. built with the
    /// `lambda_runtime` crate).
    pub bootstrap: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_NAME`, and the name the Invoke API answers to.
    pub function_name: String,
    /// How many processes run at once; each takes one invocation at a time. 0 starts none:
    /// events then wait for a runtime you start yourself against [`LambdaIntegration::runtime_api_addr`]
    /// (e.g. under a debugger).
    pub concurrency: usize,
    /// Extra variables for the function (`BACKEND_URL`, `CONNECTIONS_TABLE`, `AWS_*`...); they
    /// override the ones set here. The function's environment is otherwise clean, as on AWS:
    /// only `PATH`, `LANG`, `RUST_LOG` and `RUST_BACKTRACE` pass through from this process.
    pub env: Vec<(String, String)>,
    /// The function's timeout: an invocation running longer is answered with an error and its
    /// process is killed and replaced. An event also waits at most this long for a free process.
    pub timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (informative: nothing limits the process).
    pub memory_mb: u32,
    /// `AWS_REGION`, `AWS_DEFAULT_REGION` and the region in the function's ARN.
    pub region: String,
    /// `requestContext.apiId` of the events.
    pub api_id: String,
}

impl LambdaConfig {
    /// AWS's defaults for `bootstrap`: name `wsproxy-local`, one process, 30 s, 128 MB, us-east-1.
    pub fn new(bootstrap: impl Into<PathBuf>) -> Self {
        Self {
            bootstrap: bootstrap.into(),
            function_name: "wsproxy-local".to_owned(),
            concurrency: 1,
            env: Vec::new(),
            timeout: Duration::from_secs(30),
            memory_mb: 128,
            region: "us-east-1".to_owned(),
            api_id: "local".to_owned(),
        }
    }

    /// `arn:aws:lambda:{region}:000000000000:function:{name}`.
    pub fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{}",
            self.region, self.function_name
        )
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let name_ok = !self.function_name.is_empty()
            && self.function_name.len() <= 64
            && self
                .function_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(format!(
                "function name '{}' must be 1 to 64 letters, digits, '-' or '_'",
                self.function_name
            ));
        }
        if self.timeout.is_zero() {
            return Err("the function timeout must be greater than zero".to_owned());
        }
        if self.concurrency > 0 && !self.bootstrap.is_file() {
            return Err(format!(
                "{}: no such file; give the path of the function's `bootstrap` executable",
                self.bootstrap.display()
            ));
        }
        #[cfg(unix)]
        if self.concurrency > 0 {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&self.bootstrap)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            if mode & 0o111 == 0 {
                return Err(format!(
                    "{} is not executable: chmod +x it",
                    self.bootstrap.display()
                ));
            }
        }
        Ok(())
    }
}

/// The account id in local ARNs.
pub(crate) const ACCOUNT_ID: &str = "000000000000";

/// What the function has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LambdaStats {
    /// Invocations handed to a process (events and Invoke API calls).
    pub invocations: u64,
    /// Invocations the function answered with a response.
    pub responses: u64,
    /// Invocations the function answered with an error (`/invocation/{id}/error`).
    pub function_errors: u64,
    /// Invocations lost because their process exited.
    pub crashes: u64,
    /// Invocations that ran past the timeout.
    pub timeouts: u64,
    /// Every process started, oldest first (the last 64).
    pub processes: Vec<ProcessStats>,
}

/// One function process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessStats {
    /// Which of the `concurrency` process slots it runs in.
    pub slot: usize,
    /// Its process id.
    pub pid: u32,
    /// Init time: from spawn to its first `GET /runtime/invocation/next`; `None` until then.
    pub init: Option<Duration>,
    /// Peak resident memory (`VmHWM`), KiB, as last sampled while it ran.
    pub peak_rss_kib: Option<u64>,
    /// Invocations it took.
    pub invocations: u64,
    /// True while it runs.
    pub running: bool,
    /// How it ended, e.g. `exit status: 3`.
    pub exit: Option<String>,
    /// What it reported to `/runtime/init/error`, or that it never asked for an invocation.
    pub init_error: Option<String>,
}

/// What the Runtime and Invoke APIs share.
pub(crate) struct Shared {
    pub config: LambdaConfig,
    pub arn: String,
    pub dispatcher: std::sync::Arc<queue::Dispatcher>,
    pub processes: std::sync::Arc<processes::Processes>,
}
