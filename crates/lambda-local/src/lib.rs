//! A local AWS Lambda service: a function's program runs as child processes that poll a
//! local **Runtime API**, as on AWS, and its invocations come from [`LocalFunction::invoke`]
//! or from the **Invoke API** served beside it (so the function, or any AWS SDK, can invoke
//! it, synchronously or as an `Event`). It supervises the processes (a crashed one is
//! replaced, one past its timeout killed, a program that cannot start given up on), reloads
//! them when the function's files change, and keeps their statistics.
//!
//! - the **Runtime API** (`http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/...`): each
//!   process polls `GET /runtime/invocation/next` and answers with
//!   `POST /runtime/invocation/{id}/response` or `/error`, exactly as on AWS;
//! - the **Invoke API** (`POST /2015-03-31/functions/{name}/invocations`), which
//!   `AWS_ENDPOINT_URL_LAMBDA` of the function points at.
//!
//! It knows nothing of what the payloads mean: API Gateway's events and answers are the
//! business of its caller (`wsproxy-gateway`).
//!
//! ```no_run
//! # async fn run() -> Result<(), wsproxy_lambda_local::StartError> {
//! use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig, Outcome};
//!
//! let function = LocalFunction::start(LocalFunctionConfig::new("./bootstrap")).await?;
//! if let Outcome::Response(body) = function.invoke(&serde_json::json!({"n": 1})).await {
//!     println!("{}", String::from_utf8_lossy(&body));
//! }
//! println!("{:?}", function.stats());
//! function.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod deadline;
mod function;
mod ids;
mod invocation;
mod invoke_api;
mod processes;
mod reload;
mod runtime_api;
mod slots;
mod spawn;
mod stats;

pub use config::{LocalFunctionConfig, ACCOUNT_ID};
pub use function::{LocalFunction, StartError};
pub use invocation::Outcome;
pub use stats::{FunctionStats, ProcessStats};

/// The names of the metrics the service records through the `metrics` facade (wsproxy's
/// catalogue, `wsproxy_core::metrics`, describes them under the same names).
pub mod process_metrics {
    /// Gauge: the function processes running.
    pub const PROCESSES: &str = "function_processes";
    /// Counter: function processes that ended and were replaced.
    pub const RESTARTS: &str = "function_restarts";
}
