//! `wsproxy doctor`: reads a Terraform environment the way Terraform does and checks what
//! makes deployments of the WebSocket proxy fail, each finding with its fix.
//!
//! - [`Environment`] reads the `*.tf` files, variable values (defaults, `TF_VAR_*`,
//!   `terraform.tfvars`, `*.auto.tfvars`, `-var-file`s) and locals, through
//!   [`wsproxy_tfeval::RootModule`], and the `websocket_proxy` module's arguments,
//!   evaluating expressions with Terraform's path functions.
//! - [`checks`] turns that, the package on disk, the Terraform [`State`], AWS and the
//!   backend into [`Finding`]s.

pub mod checks;
mod environment;
mod report;
mod state;

pub use environment::{Environment, ProxyModule, S3Package, Setting};
pub use report::{Finding, Report, Status};
pub use state::State;
pub use wsproxy_tfeval::{paths, Declared, Evaluator, Scope, Source, Variables};
