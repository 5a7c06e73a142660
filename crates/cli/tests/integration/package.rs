//! `wsproxy package` on an already built binary: deterministic zip, Terraform's hash, and
//! the glibc limit of provided.al2023.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A small real x86_64 executable to package.
const EXE: &str = "/bin/true";

fn wsproxy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(args)
        .output()
        .expect("wsproxy runs")
}

fn temp(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wsproxy-cli-package-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn printed_hash(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("base64 sha256: "))
        .unwrap_or_else(|| panic!("no hash printed: {stdout}"))
        .to_owned()
}

#[test]
fn packaging_twice_prints_the_same_hash_of_identical_zips() {
    let exe = EXE;
    let (a, b) = (temp("a"), temp("b"));
    let first = wsproxy(&[
        "package",
        "--bootstrap",
        exe,
        "--glibc",
        "2.99",
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = wsproxy(&[
        "package",
        "--bootstrap",
        exe,
        "--glibc",
        "2.99",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(second.status.success());
    assert_eq!(printed_hash(&first), printed_hash(&second));
    let (za, zb) = (
        std::fs::read(a.join("bootstrap.zip")).unwrap(),
        std::fs::read(b.join("bootstrap.zip")).unwrap(),
    );
    assert_eq!(za, zb);
    assert_eq!(
        printed_hash(&first),
        wsproxy_package::base64_sha256(&a.join("bootstrap.zip")).unwrap()
    );
}

#[test]
fn a_binary_needing_a_newer_glibc_is_refused() {
    let exe = EXE;
    let out = wsproxy(&[
        "package",
        "--bootstrap",
        exe,
        "--glibc",
        "2.1",
        "--out",
        temp("old").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("newer than 2.1") && err.contains("wsproxy package"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_an_executable_is_refused() {
    let dir = temp("script");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("bootstrap");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let out = wsproxy(&[
        "package",
        "--bootstrap",
        script.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an x86_64 Linux executable"));
}

#[test]
#[ignore = "builds the release bootstrap with cargo-lambda and zig (minutes); scripts/test.sh runs it"]
fn the_built_package_needs_no_glibc_newer_than_al2023s() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = temp("built");
    let built = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["package", "--out", out.to_str().unwrap()])
        .current_dir(&root)
        .output()
        .expect("wsproxy runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(built.status.success(), "{log}");
    let binary = std::fs::read(root.join("target/lambda/bootstrap/bootstrap")).unwrap();
    let needed = wsproxy_package::required_glibc(&binary).expect("a dynamically linked bootstrap");
    assert!(needed <= (2, 34), "bootstrap needs glibc {needed:?}");
    let zip = out.join("bootstrap.zip");
    wsproxy_package::check_zip(&zip).unwrap();
    assert_eq!(
        printed_hash(&built),
        wsproxy_package::base64_sha256(&zip).unwrap()
    );
}

/// `scripts/install-package-deps.sh` names the versions it finds (it printed an empty
/// cargo-lambda version and cargo's "unexpected argument" error: run on its own,
/// cargo-lambda takes `lambda` first). Run where the tools are installed (scripts/test.sh
/// installs them first).
#[test]
fn install_package_deps_prints_cargo_lambda_s_version() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !root.join(".tools/venv-lambda/bin/cargo-lambda").is_file() {
        eprintln!("skipped: cargo-lambda is not installed (scripts/install-package-deps.sh)");
        return;
    }
    let out = Command::new(root.join("scripts/install-package-deps.sh"))
        .output()
        .expect("the script runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(": cargo-lambda 1."), "{stdout}");
    assert!(stdout.contains(" and zig 0."), "{stdout}");
    assert_eq!(stderr, "");
}
