//! The package is deterministic, valid, and hashed as Terraform hashes it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use wsproxy_package::{base64_sha256, check_zip, write_zip, PackageError};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsproxy-package-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// This test binary itself is an x86_64 ELF executable: a real stand-in for `bootstrap`.
fn elf() -> PathBuf {
    std::env::current_exe().unwrap()
}

#[test]
fn the_same_binary_gives_byte_identical_zips() {
    let dir = temp("same");
    let copy = dir.join("bootstrap");
    std::fs::copy(elf(), &copy).unwrap();
    let a = write_zip(&copy, &dir.join("a")).unwrap();
    // A later mtime and another mode on the input change nothing.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&copy, std::fs::read(elf()).unwrap()).unwrap();
    let b = write_zip(&copy, &dir.join("b")).unwrap();
    assert_eq!(
        std::fs::read(&a.path).unwrap(),
        std::fs::read(&b.path).unwrap()
    );
    assert_eq!(a.base64_sha256, b.base64_sha256);
    assert_eq!(a.base64_sha256, base64_sha256(&a.path).unwrap());
    check_zip(&a.path).unwrap();
}

#[test]
fn the_entry_is_an_executable_bootstrap_from_1980() {
    let dir = temp("entry");
    let p = write_zip(&elf(), &dir).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&p.path).unwrap()).unwrap();
    let entry = zip.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap");
    assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
    let t = entry.last_modified().unwrap();
    assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1));
}

#[test]
fn non_executables_are_refused() {
    let dir = temp("refuse");
    let script = dir.join("bootstrap");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    assert!(matches!(
        write_zip(&script, &dir),
        Err(PackageError::NotAnExecutable { .. })
    ));
}

fn zip_with(dir: &Path, name: &str, entries: &[(&str, &[u8], u32)]) -> PathBuf {
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (entry, bytes, mode) in entries {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        zip.start_file(*entry, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

#[test]
fn zips_that_are_not_bootstrap_packages_are_refused_with_the_reason() {
    let dir = temp("invalid");
    let elf = std::fs::read(elf()).unwrap();
    // The same executable, as if linked against a glibc newer than provided.al2023's (the
    // version name is built at run time: as a literal it would be in this binary too).
    let mut too_new = elf.clone();
    too_new.extend_from_slice(format!("\0GLIBC_{}.{}\0", 2, std::hint::black_box(39)).as_bytes());
    let not_zip = dir.join("plain.zip");
    std::fs::write(&not_zip, "hello").unwrap();
    let cases = [
        (not_zip, "not a zip"),
        (
            zip_with(&dir, "other.zip", &[("handler.py", b"print(1)", 0o644)]),
            "not one file named bootstrap",
        ),
        (
            zip_with(
                &dir,
                "two.zip",
                &[("bootstrap", &elf, 0o755), ("x", b"", 0o644)],
            ),
            "not one file",
        ),
        (
            zip_with(&dir, "mode.zip", &[("bootstrap", &elf, 0o644)]),
            "not executable",
        ),
        (
            zip_with(&dir, "script.zip", &[("bootstrap", b"#!/bin/sh\n", 0o755)]),
            "not an x86_64",
        ),
        (
            zip_with(&dir, "glibc.zip", &[("bootstrap", &too_new, 0o755)]),
            "needs glibc 2.39, newer than the 2.34 of provided.al2023",
        ),
    ];
    for (path, reason) in cases {
        let err = check_zip(&path).unwrap_err().to_string();
        assert!(
            err.contains(reason) && err.contains("wsproxy package"),
            "{}: {err}",
            path.display()
        );
    }
}

#[test]
fn the_hash_is_terraforms_filebase64sha256() {
    let Ok(version) = Command::new("terraform")
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
    else {
        eprintln!("skipped: no `terraform` on PATH to compare filebase64sha256() with");
        return;
    };
    assert!(version.status.success());
    let dir = temp("terraform");
    let p = write_zip(&elf(), &dir).unwrap();
    let mut console = Command::new("terraform")
        .arg("console")
        .env("CHECKPOINT_DISABLE", "1")
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        // Its warnings (e.g. no ~/.terraformrc) would only clutter the test output.
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    console
        .stdin
        .take()
        .unwrap()
        .write_all(b"filebase64sha256(\"bootstrap.zip\")\n")
        .unwrap();
    let out = console.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        printed.trim().trim_matches('"'),
        p.base64_sha256,
        "{printed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn glibc_requirements_are_read_like_objdump() {
    assert_eq!(
        wsproxy_package::required_glibc(b"..GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0"),
        Some((2, 34))
    );
    assert_eq!(wsproxy_package::required_glibc(b"static binary"), None);
    let Ok(out) = Command::new("objdump").arg("-T").arg(elf()).output() else {
        eprintln!("skipped the objdump comparison: no objdump on PATH");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let from_objdump = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut p = v.split('.').map(|x| x.parse::<u32>().ok());
            Some((p.next()??, p.next()??))
        })
        .max();
    let ours = wsproxy_package::required_glibc(&std::fs::read(elf()).unwrap());
    assert_eq!(ours, from_objdump);
}
