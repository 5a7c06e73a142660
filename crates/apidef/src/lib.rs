//! A team's WebSocket API as API Gateway would run it, read from the infrastructure they
//! already have, for `wsproxy serve --template` and `--terraform`.
//!
//! - [`ApiDefinition`]: the API (route selection, stage), its routes, the functions they
//!   integrate with, and the `$connect` authorizer, whatever file they came from.
//! - [`load_template`]: an [`ApiDefinition`] from a CloudFormation or SAM template.
//! - [`load_terraform`]: the same from a Terraform configuration, evaluated offline.
//! - [`Launch`]: how a function runs on this machine, its `Runtime` mapped to the official
//!   runtime interface client.

mod error;
mod model;
mod runtime;
mod template;
mod terraform;

pub use error::LoadError;
pub use model::{
    ApiDefinition, AuthorizerDef, Code, FunctionDef, RouteDef, DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECS,
};
pub use runtime::{Launch, LaunchOptions};
pub use template::{load_template, TemplateOptions};
pub use terraform::{load_terraform, TerraformOptions};
