//! What makes a file a `bootstrap` and a zip a Lambda package of one.

use crate::zipfile::ENTRY;
use crate::PackageError;
use std::path::Path;

/// True for a 64-bit little-endian ELF executable or shared object for x86_64.
pub fn is_x86_64_elf(bytes: &[u8]) -> bool {
    const EM_X86_64: u16 = 62;
    bytes.len() > 20
        && bytes.starts_with(b"\x7fELF")
        && bytes[4] == 2
        && bytes[5] == 1
        && u16::from_le_bytes([bytes[18], bytes[19]]) == EM_X86_64
}

/// The glibc of Lambda's provided.al2023 runtime: the newest a `bootstrap` may need.
pub const PROVIDED_AL2023_GLIBC: (u32, u32) = (2, 34);

/// Checks that `path` is a zip whose only entry is an executable x86_64 `bootstrap` that
/// needs no glibc newer than provided.al2023's.
pub fn check_zip(path: &Path) -> Result<(), PackageError> {
    let file = std::fs::File::open(path).map_err(|source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_archive(path, file)
}

/// [`check_zip`] of a package already read into memory from `path`.
pub fn check_zip_bytes(path: &Path, bytes: &[u8]) -> Result<(), PackageError> {
    check_archive(path, std::io::Cursor::new(bytes))
}

fn check_archive<R: std::io::Read + std::io::Seek>(
    path: &Path,
    archive: R,
) -> Result<(), PackageError> {
    let refuse = |reason: String| PackageError::NotAPackage {
        path: path.to_path_buf(),
        reason,
    };
    let mut zip =
        zip::ZipArchive::new(archive).map_err(|e| refuse(format!("not a zip file ({e})")))?;
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| refuse(format!("unreadable entry names ({e})")))?;
    if names != [ENTRY] {
        return Err(refuse(format!(
            "it holds {names:?}, not one file named bootstrap"
        )));
    }
    let mut entry = zip.by_name(ENTRY).map_err(|e| refuse(e.to_string()))?;
    let mode = entry.unix_mode().unwrap_or(0);
    if mode & 0o111 == 0 {
        return Err(refuse(format!(
            "bootstrap is not executable (mode {mode:o})"
        )));
    }
    let mut binary = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut binary)
        .map_err(|e| refuse(format!("bootstrap cannot be read ({e})")))?;
    if !is_x86_64_elf(&binary) {
        return Err(refuse("bootstrap is not an x86_64 Linux executable".into()));
    }
    if let Some(needed) = required_glibc(&binary).filter(|v| *v > PROVIDED_AL2023_GLIBC) {
        return Err(refuse(format!(
            "bootstrap needs glibc {}.{}, newer than the {}.{} of provided.al2023, so Lambda could not start it (a plain cargo build links against this machine's glibc)",
            needed.0, needed.1, PROVIDED_AL2023_GLIBC.0, PROVIDED_AL2023_GLIBC.1
        )));
    }
    Ok(())
}

/// The newest `GLIBC_x.y` symbol version a dynamically linked binary requires, if any.
///
/// The version names stand as strings in the binary's dynamic string table, so finding
/// the greatest `GLIBC_` name there is what `objdump -T | grep GLIBC_` shows.
pub fn required_glibc(bytes: &[u8]) -> Option<(u32, u32)> {
    const TAG: &[u8] = b"GLIBC_";
    let mut newest = None;
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(TAG.len()).position(|w| w == TAG) {
        let start = at + found + TAG.len();
        let digits: Vec<u8> = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .copied()
            .collect();
        let text = String::from_utf8_lossy(&digits);
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        if let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) {
            newest = newest.max(Some((major, minor)));
        }
        at = start;
    }
    newest
}
