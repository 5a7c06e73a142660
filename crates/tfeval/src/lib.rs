//! Terraform's configuration language evaluated offline, the way Terraform would, for
//! `wsproxy doctor` and `wsproxy serve --terraform`.
//!
//! - [`RootModule`]: a root module loaded from its folder as Terraform loads it (its `*.tf`
//!   files, variables and locals); [`read_module_files`]: any module's files, parsed.
//! - [`Variables`]: a root module's variable values (defaults, `TF_VAR_*`,
//!   `terraform.tfvars`, `*.auto.tfvars`, `-var-file`s, `-var`s).
//! - [`Evaluator`]: an expression's value with `var`, `local`, `path` (or any other names)
//!   and Terraform's common functions; [`paths`]: its path functions; [`limits`]: what one
//!   evaluation may build.

mod collections;
mod eval;
mod functions;
pub mod limits;
mod module;
pub mod paths;
mod variables;

pub use eval::{Evaluator, Scope};
pub use module::{read_module_files, RootInputs, RootModule};
pub use variables::{Declared, Source, Variables};

use std::path::PathBuf;

/// Why a Terraform configuration could not be read: its folder, a file of it, or a
/// variable value. Each names the folder or file (and the parser's message its line).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module's folder does not exist or is not a folder.
    #[error("{} is not a folder: give the folder you run terraform in (e.g. infra/terraform/envs/dev)", .0.display())]
    NotAFolder(PathBuf),
    /// The module's folder holds no `*.tf` file.
    #[error("{} holds no *.tf file: give the folder you run terraform in (e.g. infra/terraform/envs/dev)", .0.display())]
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
    #[error("{}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The parser's message.
        message: String,
    },
}
