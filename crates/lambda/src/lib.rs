//! The wsproxy AWS Lambda host: the core behind an API Gateway WebSocket API.
//!
//! - [`Config`]: the function's environment (`docs/contract.md`, section 1), read at init
//!   and written, in one place, for a function run on this machine ([`Config::to_env`],
//!   [`Config::to_local_env`]). It needs no AWS or Lambda crate: with
//!   `default-features = false` this crate is only that.
//! - [`Host`] (feature `function`, on by default): the handler. Configuration is read and
//!   SDK clients are built once, at init; each invocation is read once (an API Gateway
//!   event, a delivery or neither) and handed to the core, and `$connect`'s post-connect
//!   messages are delivered by a self-invocation ([`Delivery`]). The `bootstrap` binary (`src/main.rs`) runs it under `lambda_runtime`.

mod config;
#[cfg(feature = "function")]
mod delivery;
#[cfg(feature = "function")]
pub mod emf;
#[cfg(feature = "function")]
mod handler;
#[cfg(feature = "function")]
mod invocation;
#[cfg(feature = "function")]
mod pusher;
#[cfg(all(test, feature = "function"))]
mod tests;

pub use config::{process_env, Config, ConfigError, DEFAULT_TABLE, LOCAL_AWS_VARIABLES};
#[cfg(feature = "function")]
pub use delivery::Delivery;
#[cfg(feature = "function")]
pub use handler::{Host, InitError};
#[cfg(feature = "function")]
pub use pusher::{within_deadline, EndpointPusher, DEADLINE_MARGIN};

/// Reads the configuration from the process environment and builds the clients, once.
#[cfg(feature = "function")]
pub async fn init() -> Result<Host, InitError> {
    Host::init(Config::from_env()?).await
}

/// Tells the Runtime API why init failed (`POST /runtime/init/error`), as AWS expects.
#[cfg(feature = "function")]
pub async fn report_init_error(error: &InitError) {
    let Some(api) = process_env("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let message = error.to_string();
    let sent = reqwest::Client::new()
        .post(format!("http://{api}/2018-06-01/runtime/init/error"))
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
        .json(&serde_json::json!({"errorMessage": message, "errorType": "Runtime.ConfigError"}))
        .send()
        .await;
    if let Err(e) = sent {
        tracing::error!(error = %e, "could not report the init error to the Runtime API");
    }
}
