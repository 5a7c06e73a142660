//! `wsproxy doctor`: reads a Terraform environment the way Terraform does and checks what
//! makes deployments of the WebSocket proxy fail, each finding with its fix.
//!
//! - [`Environment`] reads the `*.tf` files, variable values (defaults, `TF_VAR_*`,
//!   `terraform.tfvars`, `*.auto.tfvars`, `-var-file`s) and the `websocket_proxy` module's
//!   arguments, evaluating expressions with Terraform's path functions.
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

use std::path::PathBuf;

/// Why an environment could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// The folder does not exist.
    #[error("{0} is not a folder: give --env the folder you run terraform in (e.g. infra/terraform/envs/dev)")]
    NotAFolder(PathBuf),
    /// No `*.tf` file in it.
    #[error("{0} holds no *.tf file: give --env the folder you run terraform in (e.g. infra/terraform/envs/dev)")]
    NoTerraform(PathBuf),
    /// A file could not be read.
    #[error("cannot read {}: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not valid HCL (or JSON), or a value is not a literal.
    #[error("{}: {message}; fix the file (terraform validate shows the same error)", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The parser's message.
        message: String,
    },
}

impl From<wsproxy_tfeval::Error> for EnvError {
    fn from(e: wsproxy_tfeval::Error) -> Self {
        match e {
            wsproxy_tfeval::Error::Read { file, source } => EnvError::Read { file, source },
            wsproxy_tfeval::Error::Parse { file, message } => EnvError::Parse { file, message },
        }
    }
}
