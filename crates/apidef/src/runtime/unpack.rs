//! A zip package unpacked once into `<unpack_dir>/<name>-<short hash of the zip>`.

use super::{absolute, resource_error};
use crate::{FunctionDef, LoadError};
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

/// Unpacks `zip` (or finds an earlier unpack of the same bytes) and returns its folder.
/// Entries that would land outside the folder are refused; unix modes are kept, so that
/// a `bootstrap` stays executable.
pub(super) fn unpack(f: &FunctionDef, zip: &Path, unpack_dir: &Path) -> Result<PathBuf, LoadError> {
    let bytes = std::fs::read(zip).map_err(|e| {
        resource_error(
            f,
            format!(
                "its package {} cannot be read ({e}): build the zip first, or fix the path",
                zip.display()
            ),
        )
    })?;
    let hash: String = Sha256::digest(&bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let target = absolute(&unpack_dir.join(format!("{}-{hash}", safe_name(&f.name))));
    if target.is_dir() {
        return Ok(target);
    }
    let bad_zip = |why: String| {
        resource_error(
            f,
            format!("its package {} is not a usable zip: {why}", zip.display()),
        )
    };
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad_zip(e.to_string()))?;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| bad_zip(e.to_string()))?;
        // zip would write `/etc/x` as `etc/x`; such a zip was not made for Lambda either.
        let absolute = entry.name_raw().first() == Some(&b'/');
        if absolute || entry.enclosed_name().is_none() {
            return Err(bad_zip(format!(
                "its entry '{}' would be written outside the folder it unpacks into; \
                 rebuild the zip with paths relative to its root",
                String::from_utf8_lossy(entry.name_raw())
            )));
        }
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
    // Unpacked beside the target and renamed into place: a half-unpacked folder is never
    // taken for a finished one, and two gateways unpacking at once both end with one.
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{}-", safe_name(&f.name)))
        .tempdir_in(unpack_dir)
        .map_err(|e| io_error(unpack_dir, e))?;
    archive
        .extract(partial.path())
        .map_err(|e| bad_zip(e.to_string()))?;
    match std::fs::rename(partial.path(), &target) {
        Ok(()) => Ok(target),
        Err(_) if target.is_dir() => Ok(target),
        Err(e) => Err(io_error(&target, e)),
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
            .starts_with("chat_fn-"));
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
