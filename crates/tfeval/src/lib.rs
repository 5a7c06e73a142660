//! Terraform's configuration language evaluated offline, the way Terraform would, for
//! `wsproxy doctor` and `wsproxy serve --terraform`.
//!
//! - [`Variables`]: a root module's variable values (defaults, `TF_VAR_*`,
//!   `terraform.tfvars`, `*.auto.tfvars`, `-var-file`s, `-var`s).
//! - [`Evaluator`]: an expression's value with `var`, `local`, `path` (or any other names)
//!   and Terraform's common functions; [`paths`]: its path functions; [`limits`]: what one
//!   evaluation may build.

mod collections;
mod eval;
mod functions;
pub mod limits;
pub mod paths;
mod variables;

pub use eval::{Evaluator, Scope};
pub use variables::{Declared, Source, Variables};

use std::path::PathBuf;

/// Why variable values could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not valid HCL (or JSON), or a value is not a literal.
    #[error("{}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The parser's message.
        message: String,
    },
}
