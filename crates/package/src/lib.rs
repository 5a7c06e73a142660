//! The Lambda package of wsproxy: `bootstrap.zip`, written so that the same binary always
//! gives the same bytes (fixed timestamp and mode), and its hash exactly as Terraform's
//! `filebase64sha256()` computes it, so `source_code_hash` changes only when the code does.

mod check;
mod zipfile;

pub use check::{check_zip, check_zip_bytes, is_x86_64_elf, required_glibc, PROVIDED_AL2023_GLIBC};
pub use zipfile::{base64_sha256, base64_sha256_of, write_zip, Package};

use std::path::PathBuf;

/// Why a package could not be written or is not a valid one.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The binary is not an x86_64 Linux executable.
    #[error("{path} is not an x86_64 Linux executable: build it with `wsproxy package` (cargo lambda build --release --target x86_64-unknown-linux-gnu.2.34)")]
    NotAnExecutable {
        /// The file.
        path: PathBuf,
    },
    /// The zip is not a Lambda package of a `bootstrap`.
    #[error("{path} is not a bootstrap package: {reason}; make one with `wsproxy package`")]
    NotAPackage {
        /// The zip.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}
