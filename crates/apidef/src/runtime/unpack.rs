//! A zip package unpacked once into `<unpack_dir>/<zip name>-<short hash of the zip>`,
//! shared by every function of the same zip, and bounded as Lambda bounds it.
//!
//! Every unpack of a folder happens under an exclusive lock on `<unpack_dir>/.lock`, into a
//! `.partial-*` folder renamed into place when complete: gateways starting at once take
//! turns, the later ones finding the first one's folder, and a partial folder left by an
//! unpack that was killed is never taken for a finished one (the next unpack removes it).

use super::{absolute, resource_error};
use crate::{FunctionDef, LoadError};
use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{BufReader, Read as _, Seek as _};
use std::path::{Path, PathBuf};

/// Lambda's limit on a function's code unzipped (250 MB): a zip holding more is refused
/// before anything is written. The zip file itself may be no larger.
const MAX_UNZIPPED_BYTES: u64 = 262_144_000;
/// The most entries a zip may have.
const MAX_ZIP_ENTRIES: usize = 100_000;
/// The prefix of a folder being unpacked.
const PARTIAL_PREFIX: &str = ".partial-";
/// The lock file of the unpack folder.
const LOCK_FILE: &str = ".lock";

/// Unpacks `zip` (or finds an earlier unpack of the same bytes) and returns its folder.
/// Entries that would land outside the folder are refused, as are zips holding more than
/// [`MAX_UNZIPPED_BYTES`] or [`MAX_ZIP_ENTRIES`]; unix modes are kept, so that a
/// `bootstrap` stays executable.
pub(super) fn unpack(f: &FunctionDef, zip: &Path, unpack_dir: &Path) -> Result<PathBuf, LoadError> {
    let unreadable = |e: std::io::Error| {
        resource_error(
            f,
            format!(
                "its package {} cannot be read ({e}): build the zip first, or fix the path",
                zip.display()
            ),
        )
    };
    let bad_zip = |why: String| {
        resource_error(
            f,
            format!("its package {} is not a usable zip: {why}", zip.display()),
        )
    };
    let too_big = |what: String| {
        resource_error(
            f,
            format!(
                "its package {} {what}, more than Lambda's limit of {MAX_UNZIPPED_BYTES} bytes \
                 (250 MB) unzipped: make the package smaller (move dependencies to a layer or \
                 an image)",
                zip.display()
            ),
        )
    };
    let mut file = File::open(zip).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > MAX_UNZIPPED_BYTES {
        return Err(too_big(format!("is {size} bytes")));
    }
    let hash = short_hash(&mut file).map_err(unreadable)?;
    file.rewind().map_err(unreadable)?;
    let stem = zip
        .file_stem()
        .map(|s| safe_name(&s.to_string_lossy()))
        .unwrap_or_default();
    let target = absolute(&unpack_dir.join(format!("{stem}-{hash}")));
    if target.is_dir() {
        return Ok(target);
    }
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad_zip(e.to_string()))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(bad_zip(format!(
            "it has {} entries, more than the {MAX_ZIP_ENTRIES} wsproxy unpacks",
            archive.len()
        )));
    }
    // The sizes the zip declares; reading an entry fails past its declared size, so they
    // bound what is written.
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| bad_zip(e.to_string()))?;
        // zip would write `/etc/x` as `etc/x`; such a zip was not made for Lambda either.
        let absolute = entry.name_raw().first() == Some(&b'/');
        if absolute || entry.enclosed_name().is_none() {
            return Err(bad_zip(format!(
                "its entry '{}' would be written outside the folder it unpacks into; \
                 rebuild the zip with paths relative to its root",
                String::from_utf8_lossy(entry.name_raw())
            )));
        }
        declared = declared.saturating_add(entry.size());
    }
    if declared > MAX_UNZIPPED_BYTES {
        return Err(too_big(format!("holds {declared} bytes")));
    }
    let io_error = |what: &Path, e: std::io::Error| {
        resource_error(
            f,
            format!(
                "cannot unpack its package into {} ({e}): check that the folder is writable",
                what.display()
            ),
        )
    };
    std::fs::create_dir_all(unpack_dir).map_err(|e| io_error(unpack_dir, e))?;
    let lock = lock(unpack_dir).map_err(|e| io_error(&unpack_dir.join(LOCK_FILE), e))?;
    // Unpacked while this one waited for the lock.
    if target.is_dir() {
        return Ok(target);
    }
    remove_partials(unpack_dir);
    let partial = tempfile::Builder::new()
        .prefix(&format!("{PARTIAL_PREFIX}{stem}-"))
        .tempdir_in(unpack_dir)
        .map_err(|e| io_error(unpack_dir, e))?;
    archive
        .extract(partial.path())
        .map_err(|e| bad_zip(e.to_string()))?;
    std::fs::rename(partial.path(), &target).map_err(|e| io_error(&target, e))?;
    drop(lock);
    Ok(target)
}

/// The first six bytes of the SHA-256 of `file`, in hex.
fn short_hash(file: &mut File) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Takes the exclusive lock of `unpack_dir`, waiting for another unpack to finish.
fn lock(unpack_dir: &Path) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(unpack_dir.join(LOCK_FILE))?;
    file.lock()?;
    Ok(file)
}

/// Removes the partial folders of unpacks that were killed (the caller holds the lock, so
/// no unpack is running).
fn remove_partials(unpack_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(unpack_dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(PARTIAL_PREFIX)
        {
            let path = entry.path();
            match std::fs::remove_dir_all(&path) {
                Ok(()) => tracing::info!(
                    "removed {}, left by an unpack that did not finish",
                    path.display()
                ),
                Err(e) => tracing::warn!("cannot remove {}: {e}", path.display()),
            }
        }
    }
}

/// `name` with every character but letters, digits, `-` and `_` replaced by `_`.
fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use zip::write::SimpleFileOptions;

    fn function(zip: &Path) -> FunctionDef {
        FunctionDef {
            name: "chat/fn".into(),
            resource: "ChatFunction".into(),
            file: "template.yaml".into(),
            runtime: "provided.al2023".into(),
            handler: "bootstrap".into(),
            code: crate::Code::Zip(zip.to_path_buf()),
            environment: Default::default(),
            timeout_secs: 3,
            memory_mb: 128,
        }
    }

    fn write_zip(path: &Path, entries: &[(&str, u32, &str)]) {
        let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, mode, body) in entries {
            let options = SimpleFileOptions::default().unix_permissions(*mode);
            w.start_file(*name, options).unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_zip_unpacks_once_keeping_modes() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("app.zip");
        write_zip(
            &zip,
            &[
                ("bootstrap", 0o755, "#!/bin/sh\n"),
                ("lib/a.txt", 0o644, "a"),
            ],
        );
        let unpack_dir = dir.path().join("unpacked");
        let f = function(&zip);
        let at = unpack(&f, &zip, &unpack_dir).unwrap();
        assert!(at
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("app-"));
        let mode = std::fs::metadata(at.join("bootstrap"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
        assert_eq!(std::fs::read_to_string(at.join("lib/a.txt")).unwrap(), "a");
        // The same zip: the same folder, not unpacked again.
        std::fs::write(at.join("marker"), "").unwrap();
        assert_eq!(unpack(&f, &zip, &unpack_dir).unwrap(), at);
        assert!(at.join("marker").is_file());
        // A changed zip: a new folder.
        write_zip(&zip, &[("bootstrap", 0o755, "#!/bin/sh\nexit 0\n")]);
        let again = unpack(&f, &zip, &unpack_dir).unwrap();
        assert_ne!(again, at);
        // Nothing half-unpacked is left behind.
        let names: Vec<_> = std::fs::read_dir(&unpack_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != LOCK_FILE)
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn entries_escaping_the_folder_and_bad_zips_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("evil.zip");
        write_zip(
            &zip,
            &[("ok.txt", 0o644, ""), ("../../escape.txt", 0o644, "x")],
        );
        let unpack_dir = dir.path().join("unpacked");
        let e = unpack(&function(&zip), &zip, &unpack_dir)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("template.yaml")
                && e.contains("ChatFunction")
                && e.contains("../../escape.txt"),
            "{e}"
        );
        assert!(!dir.path().join("escape.txt").exists());
        let absolute = dir.path().join("abs.zip");
        write_zip(&absolute, &[("/etc/wsproxy-escape", 0o644, "")]);
        let e = unpack(&function(&absolute), &absolute, &unpack_dir).unwrap_err();
        assert!(e.to_string().contains("/etc/wsproxy-escape"), "{e}");

        let not_zip = dir.path().join("not.zip");
        std::fs::write(&not_zip, "hello").unwrap();
        let e = unpack(&function(&not_zip), &not_zip, &unpack_dir)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a usable zip"), "{e}");
        let missing = dir.path().join("missing.zip");
        let e = unpack(&function(&missing), &missing, &unpack_dir)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot be read") && e.contains("missing.zip"),
            "{e}"
        );
    }
}
