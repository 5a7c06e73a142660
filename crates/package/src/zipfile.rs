//! Writing `bootstrap.zip` deterministically, and hashing it as Terraform does.

use crate::{is_x86_64_elf, PackageError};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// The only entry of the zip: the custom runtime's executable.
pub(crate) const ENTRY: &str = "bootstrap";

/// A written package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Where the zip is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Base64 of its SHA-256: Terraform's `filebase64sha256()` of the file.
    pub base64_sha256: String,
}

/// Zips `binary` as `bootstrap` (mode 0755, timestamp 1980-01-01) into `out_dir/bootstrap.zip`.
pub fn write_zip(binary: &Path, out_dir: &Path) -> Result<Package, PackageError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Io { path, source }
    };
    let bytes = std::fs::read(binary).map_err(io(binary))?;
    if !is_x86_64_elf(&bytes) {
        return Err(PackageError::NotAnExecutable {
            path: binary.to_path_buf(),
        });
    }
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let path = out_dir.join("bootstrap.zip");
    let partial = out_dir.join(".bootstrap.zip.partial");
    let file = std::fs::File::create(&partial).map_err(io(&partial))?;
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o755);
    let mut zip = ZipWriter::new(file);
    let written = zip
        .start_file(ENTRY, options)
        .map_err(std::io::Error::other)
        .and_then(|()| zip.write_all(&bytes))
        .and_then(|()| zip.finish().map(drop).map_err(std::io::Error::other));
    written.map_err(io(&partial))?;
    std::fs::rename(&partial, &path).map_err(io(&path))?;
    let base64_sha256 = base64_sha256(&path)?;
    let size = std::fs::metadata(&path).map_err(io(&path))?.len();
    Ok(Package {
        path,
        size,
        base64_sha256,
    })
}

/// Base64 of the SHA-256 of a file, as Terraform's `filebase64sha256()`.
pub fn base64_sha256(path: &Path) -> Result<String, PackageError> {
    let bytes = std::fs::read(path).map_err(|source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(base64_sha256_of(&bytes))
}

/// [`base64_sha256`] of bytes already in memory (Lambda's `CodeSha256` of them as a zip).
pub fn base64_sha256_of(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}
