//! `wsproxy deploy` against moto's Lambda (started by scripts/test.sh, or
//! `eval "$(scripts/moto.sh start)"`): functions created there get their code replaced,
//! and what cannot run the package is refused.
//! (moto's quirks: tests/integration/moto.rs.)

use crate::moto;
use aws_sdk_lambda::types::{Architecture, Runtime};
use moto::unique_name;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use tokio::process::Command;

/// Two different small x86_64 executables: two packages with different hashes.
const EXE_A: &str = "/bin/true";
const EXE_B: &str = "/bin/false";

/// A new empty folder under the system's temporary folder.
fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_name(&format!("wsproxy-cli-deploy-{what}")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `bootstrap.zip` of `exe`, as `wsproxy package` writes it: its path and hash.
fn package(exe: &str) -> (PathBuf, String) {
    let p = wsproxy_package::write_zip(Path::new(exe), &temp_dir("package")).unwrap();
    (p.path, p.base64_sha256)
}

/// Creates a Zip function with `zip` as its code; returns its name.
async fn create_function(zip: &Path, runtime: Runtime, arch: Architecture) -> String {
    let name = unique_name("deploy");
    moto::create_function(&name, zip, runtime, arch).await;
    name
}

async fn code_sha(function: &str) -> String {
    moto::lambda()
        .await
        .get_function()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .configuration
        .and_then(|c| c.code_sha256)
        .unwrap()
}

async fn deploy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .arg("deploy")
        .args(args)
        .env("AWS_REGION", "us-east-1")
        .env_remove("WSPROXY_FUNCTION_NAME")
        .output()
        .await
        .expect("wsproxy runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn printed(out: &Output, label: &str) -> String {
    let text = stdout(out);
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no '{label}' line in: {text}"))
        .to_owned()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
}

#[tokio::test]
async fn deploy_replaces_the_code_and_prints_both_hashes() {
    let (a, a_sha) = package(EXE_A);
    let (b, b_sha) = package(EXE_B);
    assert_ne!(a_sha, b_sha);
    let function = create_function(&a, Runtime::Providedal2023, Architecture::X8664).await;
    assert_eq!(code_sha(&function).await, a_sha);

    let out = deploy(&[
        "--function-name",
        &function,
        "--package",
        b.to_str().unwrap(),
    ])
    .await;
    assert_success(&out);
    assert_eq!(printed(&out, "function: "), function);
    assert_eq!(printed(&out, "old code sha256: "), a_sha);
    assert_eq!(printed(&out, "new code sha256: "), b_sha);
    assert_eq!(printed(&out, "status: "), "Successful");
    assert!(!stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert_eq!(code_sha(&function).await, b_sha);
}

#[tokio::test]
async fn deploying_the_same_package_again_says_unchanged() {
    let (a, a_sha) = package(EXE_A);
    let function = create_function(&a, Runtime::Providedal2023, Architecture::X8664).await;
    // The function's name from the environment this time.
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["deploy", "--package", a.to_str().unwrap()])
        .env("AWS_REGION", "us-east-1")
        .env("WSPROXY_FUNCTION_NAME", &function)
        .output()
        .await
        .unwrap();
    assert_success(&out);
    assert_eq!(printed(&out, "old code sha256: "), a_sha);
    assert_eq!(printed(&out, "new code sha256: "), a_sha);
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert_eq!(code_sha(&function).await, a_sha);
}

/// A zip holding `entries` (name, unix mode, bytes).
fn zip_of(entries: &[(&str, u32, &[u8])]) -> PathBuf {
    let path = temp_dir("bad").join("bootstrap.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, mode, bytes) in entries {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

#[tokio::test]
async fn invalid_packages_are_refused_before_any_aws_call() {
    let (a, a_sha) = package(EXE_A);
    let function = create_function(&a, Runtime::Providedal2023, Architecture::X8664).await;
    let elf = std::fs::read(EXE_B).unwrap();
    let mut arm = elf.clone();
    arm[18..20].copy_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    let not_a_zip = temp_dir("bad").join("bootstrap.zip");
    std::fs::write(&not_a_zip, b"just text").unwrap();
    let cases = [
        (
            zip_of(&[("main", 0o755, &elf)]),
            "not one file named bootstrap",
        ),
        (
            zip_of(&[("bootstrap", 0o755, &elf), ("extra.txt", 0o644, b"x")]),
            "not one file named bootstrap",
        ),
        (not_a_zip, "not a zip file"),
        (zip_of(&[("bootstrap", 0o644, &elf)]), "not executable"),
        (
            zip_of(&[("bootstrap", 0o755, &arm)]),
            "not an x86_64 Linux executable",
        ),
    ];
    for (zip, reason) in cases {
        let out = deploy(&[
            "--function-name",
            &function,
            "--package",
            zip.to_str().unwrap(),
        ])
        .await;
        let err = stderr(&out);
        assert!(!out.status.success(), "{reason}: {}", stdout(&out));
        assert!(
            err.contains(zip.to_str().unwrap())
                && err.contains("is not a bootstrap package")
                && err.contains(reason)
                && err.contains("wsproxy package"),
            "{reason}: {err}"
        );
        assert!(!stdout(&out).contains("function:"), "{}", stdout(&out));
    }
    assert_eq!(code_sha(&function).await, a_sha);
}

#[tokio::test]
async fn an_invalid_package_needs_no_reachable_aws() {
    let zip = zip_of(&[("main", 0o755, b"\x7fELF")]);
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["deploy", "--function-name", "anything"])
        .args(["--package", zip.to_str().unwrap()])
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("is not a bootstrap package"), "{err}");
    assert!(!err.contains("UpdateFunctionCode") && !err.contains("GetFunctionConfiguration"));
}

#[tokio::test]
async fn a_missing_function_is_named_with_the_fix() {
    let (a, _) = package(EXE_A);
    let function = unique_name("deploy-missing");
    let out = deploy(&[
        "--function-name",
        &function,
        "--package",
        a.to_str().unwrap(),
    ])
    .await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("function '{function}' does not exist"))
            && err.contains("create it first")
            && err.contains("Terraform Option 1"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_package_is_named_by_its_absolute_path() {
    let dir = temp_dir("missing");
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["deploy", "--function-name", "anything"])
        .current_dir(&dir)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    let expected = dir.join("dist/bootstrap.zip");
    assert!(
        err.contains(&format!("{} does not exist", expected.display()))
            && err.contains("wsproxy package"),
        "{err}"
    );
}

/// Deploys to a function of this platform, expects a refusal and the code unchanged;
/// returns what was said on stderr.
async fn refused_on(runtime: Runtime, arch: Architecture) -> (String, String) {
    let (a, a_sha) = package(EXE_A);
    let (b, _) = package(EXE_B);
    let function = create_function(&a, runtime, arch).await;
    let out = deploy(&[
        "--function-name",
        &function,
        "--package",
        b.to_str().unwrap(),
    ])
    .await;
    assert!(!out.status.success(), "{}", stdout(&out));
    assert_eq!(code_sha(&function).await, a_sha);
    (function, stderr(&out))
}

#[tokio::test]
async fn an_arm64_function_is_refused_and_keeps_its_code() {
    let (function, err) = refused_on(Runtime::Providedal2023, Architecture::Arm64).await;
    assert!(
        err.contains(&function) && err.contains("arm64") && err.contains("x86_64"),
        "{err}"
    );
}

#[tokio::test]
async fn a_function_with_another_runtime_is_refused_and_keeps_its_code() {
    let (_, err) = refused_on(Runtime::Python312, Architecture::X8664).await;
    assert!(
        err.contains("python3.12") && err.contains("--runtime provided.al2023"),
        "{err}"
    );
}

#[tokio::test]
async fn a_provided_al2_function_is_refused_for_its_older_glibc() {
    let (_, err) = refused_on(Runtime::Providedal2, Architecture::X8664).await;
    assert!(
        err.contains("glibc 2.26") && err.contains("--runtime provided.al2023"),
        "{err}"
    );
}
