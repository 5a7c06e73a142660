//! Why an API definition could not be read or run.

use std::path::PathBuf;

/// What is wrong with a template or a Terraform configuration, naming the file and the
/// resource, so it can be fixed before any socket is accepted.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file or folder could not be read.
    #[error("cannot read {}: {source}", file.display())]
    Read {
        /// The file or folder.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML, JSON or HCL.
    #[error("{}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The parser's message, with the line where it has one.
        message: String,
    },
    /// A resource is wrong or unsupported: says which, why, and what to do.
    #[error("{}: {resource}: {message}", file.display())]
    Resource {
        /// The file that defines it.
        file: PathBuf,
        /// Its logical id (template) or address (Terraform), e.g. `aws_lambda_function.chat`.
        resource: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The file defines no WebSocket API, or more than one without saying which.
    #[error("{}: {message}", file.display())]
    Api {
        /// The file or folder.
        file: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
}

/// A Terraform folder or file that could not be read is this crate's error of the same
/// kind: an unreadable file [`LoadError::Read`], one that does not parse (or a value that
/// is not a literal) [`LoadError::Parse`], a folder that is not a Terraform configuration
/// [`LoadError::Api`].
impl From<wsproxy_tfeval::Error> for LoadError {
    fn from(e: wsproxy_tfeval::Error) -> Self {
        use wsproxy_tfeval::Error;
        let folder = |file, what: &str| Self::Api {
            file,
            message: format!(
                "{what}: give the folder you run terraform in (e.g. infra/terraform/envs/dev)"
            ),
        };
        match e {
            Error::NotAFolder(dir) => folder(dir, "is not a folder"),
            Error::NoTerraform(dir) => folder(dir, "holds no *.tf file"),
            Error::Read { file, source } => Self::Read { file, source },
            Error::Parse { file, message } => Self::Parse { file, message },
        }
    }
}
