//! `wsproxy doctor` on environments in temporary folders, with moto as AWS (started by
//! scripts/test.sh, or `eval "$(scripts/moto.sh start)"`) and a real HTTP backend.

use crate::moto;
use aws_sdk_lambda::types::{Architecture, Runtime};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;
use tokio::process::Command;
use wsproxy_test_support::http::{closed_url, serve};
use wsproxy_test_support::table::create_table_without_index;

/// The example environment whose files each test copies.
fn envs_dev() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/terraform/envs/dev")
}

/// An environment folder: envs/dev's files, a package, and terraform.tfvars naming them.
struct Env {
    _root: tempfile::TempDir,
    dir: PathBuf,
    name: String,
}

impl Env {
    /// An Option 1 environment named after `prefix`, whose backend is `backend_url`.
    fn new(prefix: &str, backend_url: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("infra/envs/dev");
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["main.tf", "package.tf", "variables.tf", "outputs.tf"] {
            std::fs::copy(envs_dev().join(file), dir.join(file)).unwrap();
        }
        let package = wsproxy_package::write_zip(Path::new("/bin/true"), &root.path().join("dist"))
            .unwrap()
            .path;
        let name = moto::unique_name(prefix);
        std::fs::write(
            dir.join("terraform.tfvars"),
            format!(
                "name = \"{name}\"\nbackend_url = \"{backend_url}\"\nwebsocket_lambda_package = \"{}\"\n",
                package.display()
            ),
        )
        .unwrap();
        Self {
            _root: root,
            dir,
            name,
        }
    }

    fn table(&self) -> String {
        format!("{}-connections", self.name)
    }

    /// A terraform.tfstate in which Terraform manages the function and/or the table.
    fn state(&self, function: bool, table: bool) {
        let mut resources = Vec::new();
        if function {
            resources.push(resource(
                "aws_lambda_function",
                json!({"function_name": self.name}),
                Some(0),
            ));
        }
        if table {
            resources.push(resource(
                "aws_dynamodb_table",
                json!({"name": self.table()}),
                None,
            ));
        }
        let state = json!({"version": 4, "terraform_version": "1.11.4", "serial": 3,
            "lineage": "test", "outputs": {}, "resources": resources});
        std::fs::write(self.dir.join("terraform.tfstate"), state.to_string()).unwrap();
    }

    async fn doctor(&self, extra: &[&str]) -> (Output, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
            .args(["doctor", "--json", "--env"])
            .arg(&self.dir)
            .args(extra)
            .env("AWS_REGION", "us-east-1")
            .output()
            .await
            .expect("wsproxy runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let report = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
        (out, report)
    }
}

fn resource(kind: &str, attributes: Value, index: Option<u32>) -> Value {
    let mut instance = json!({"schema_version": 0, "attributes": attributes});
    if let Some(i) = index {
        instance["index_key"] = json!(i);
    }
    json!({"module": "module.websocket_proxy", "mode": "managed", "type": kind, "name": "this",
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": [instance]})
}

/// The finding of `check`, as JSON.
fn finding<'a>(report: &'a Value, check: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} finding in {report:#}"))
}

/// The message and fix of `check`, which must have failed.
fn failed<'a>(report: &'a Value, check: &str) -> (&'a str, &'a str) {
    let f = finding(report, check);
    assert_eq!(f["status"], "fail", "{check}: {report:#}");
    (
        f["message"].as_str().unwrap(),
        f["fix"].as_str().unwrap_or_default(),
    )
}

fn status<'a>(report: &'a Value, check: &str) -> &'a str {
    finding(report, check)["status"].as_str().unwrap()
}

/// A backend that answers every request (404 for paths it does not know).
async fn backend() -> String {
    serve(axum::Router::new()).await
}

async fn create_function(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let zip = wsproxy_package::write_zip(Path::new("/bin/true"), dir.path()).unwrap();
    moto::create_function(
        name,
        &zip.path,
        Runtime::Providedal2023,
        Architecture::X8664,
    )
    .await;
}

async fn table_create(table: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["table", "create", "--table", table])
        .env("AWS_REGION", "us-east-1")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_healthy_environment_passes_and_exits_0() {
    let env = Env::new("doctor-ok", &backend().await);
    create_function(&env.name).await;
    table_create(&env.table()).await;
    env.state(true, true);
    let (out, report) = env.doctor(&[]).await;
    assert!(out.status.success(), "{report:#}");
    assert_eq!(report["ok"], true);
    for check in ["env", "package.exists", "backend", "function", "table"] {
        assert_eq!(status(&report, check), "ok", "{check}: {report:#}");
    }
    // The function runs the package's code (both are /bin/true's zip).
    let function = finding(&report, "function")["message"].as_str().unwrap();
    assert!(function.ends_with("the package's too)"), "{function}");
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        secret.is_empty() || !all.contains(&secret),
        "the secret key was printed"
    );
}

#[tokio::test]
async fn a_function_that_exists_outside_the_state_gets_its_import_line() {
    let env = Env::new("doctor-import", &backend().await);
    create_function(&env.name).await;
    let (out, report) = env.doctor(&[]).await;
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let (message, fix) = failed(&report, "function");
    assert!(message.contains("already exist"), "{message}");
    let import = format!(
        "terraform -chdir={} import 'module.websocket_proxy.aws_lambda_function.this[0]' {}",
        env.dir.display(),
        env.name
    );
    assert!(fix.contains(&import), "{fix}");
    // Never applied: the table does not exist yet, which apply fixes.
    assert_eq!(status(&report, "table"), "ok", "{report:#}");

    // The text report prints the same line, ready to paste.
    let text = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["doctor", "--env"])
        .arg(&env.dir)
        .env("AWS_REGION", "us-east-1")
        .output()
        .await
        .unwrap();
    assert_eq!(text.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&text.stdout).contains(&import));
}

#[tokio::test]
async fn a_function_not_yet_created_is_fine() {
    let env = Env::new("doctor-new", &backend().await);
    let (out, report) = env.doctor(&[]).await;
    assert!(out.status.success(), "{report:#}");
    assert!(finding(&report, "function")["message"]
        .as_str()
        .unwrap()
        .contains("terraform apply creates it"));
}

#[tokio::test]
async fn a_missing_table_that_terraform_created_is_reported() {
    let env = Env::new("doctor-table-gone", &backend().await);
    create_function(&env.name).await;
    env.state(true, true);
    let (out, report) = env.doctor(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    let (message, fix) = failed(&report, "table");
    assert!(
        message.contains(&format!("table {} does not exist", env.table())),
        "{message}"
    );
    assert!(fix.contains("apply"), "{fix}");
}

#[tokio::test]
async fn a_table_without_the_index_is_reported() {
    let env = Env::new("doctor-no-index", &backend().await);
    create_table_without_index(&moto::dynamodb().await, &env.table()).await;
    env.state(false, true);
    let (out, report) = env.doctor(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    let (message, _) = failed(&report, "table");
    assert!(message.contains("connection_id-index"), "{message}");
}

#[tokio::test]
async fn a_table_that_exists_outside_the_state_gets_its_import_line() {
    let env = Env::new("doctor-table-import", &backend().await);
    table_create(&env.table()).await;
    let (out, report) = env.doctor(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    let import = format!(
        "terraform -chdir={} import 'module.websocket_proxy.aws_dynamodb_table.this[0]' {}",
        env.dir.display(),
        env.table()
    );
    let (_, fix) = failed(&report, "table");
    assert!(fix.contains(&import), "{fix}");
}

#[tokio::test]
async fn a_backend_that_does_not_answer_fails() {
    let url = closed_url();
    let env = Env::new("doctor-backend", &url);
    let (out, report) = env.doctor(&["--no-aws"]).await;
    assert_eq!(out.status.code(), Some(1));
    let (message, _) = failed(&report, "backend");
    assert!(message.contains(&url), "{message}");
    assert_eq!(status(&report, "aws"), "skip");
}

#[tokio::test]
async fn option_2_needs_the_existing_function() {
    let env = Env::new("doctor-option2", &backend().await);
    let missing = moto::unique_name("doctor-nofunction");
    std::fs::write(
        env.dir.join("main.tf"),
        format!("module \"websocket_proxy\" {{\n  source = \"../../modules/websocket_proxy\"\n  name = var.name\n  create_lambda = false\n  existing_lambda_function_name = \"{missing}\"\n}}\n"),
    )
    .unwrap();
    let (out, report) = env.doctor(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&report, "package"), "skip", "{report:#}");
    let (message, _) = failed(&report, "function");
    assert!(message.contains(&missing), "{message}");

    create_function(&missing).await;
    let (out, report) = env.doctor(&[]).await;
    assert!(out.status.success(), "{report:#}");
    assert_eq!(status(&report, "function"), "ok");
}

#[tokio::test]
async fn without_credentials_the_aws_checks_are_skipped_not_failed() {
    let env = Env::new("doctor-nocreds", &backend().await);
    let empty = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["doctor", "--json", "--env"])
        .arg(&env.dir)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", empty.path())
        .env("AWS_SHARED_CREDENTIALS_FILE", empty.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{report:#}");
    let aws = finding(&report, "aws");
    assert_eq!(aws["status"], "skip");
    assert!(
        aws["message"]
            .as_str()
            .unwrap()
            .contains("no AWS credentials"),
        "{aws:#}"
    );
}

#[tokio::test]
async fn a_folder_without_terraform_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["doctor", "--no-aws", "--env"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("holds no *.tf file") && text.contains("--env"),
        "{text}"
    );
}

/// An instance metadata service that refuses every request (403), as one outside EC2 does.
async fn refusing_imds() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app =
        axum::Router::new().fallback(|| async { (axum::http::StatusCode::FORBIDDEN, "denied") });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// `wsproxy doctor` with no credentials anywhere: the SDK's chain asks IMDS last, which
/// refuses. Returns stdout and stderr.
async fn doctor_without_credentials(
    env: &Env,
    imds: &str,
    rust_log: Option<&str>,
) -> (String, String) {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_wsproxy"));
    command
        .args(["doctor", "--env"])
        .arg(&env.dir)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds)
        .env("AWS_SHARED_CREDENTIALS_FILE", empty.path())
        .env("AWS_CONFIG_FILE", empty.path());
    for unset in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_EC2_METADATA_DISABLED",
        "RUST_LOG",
    ] {
        command.env_remove(unset);
    }
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let out = command.output().await.expect("wsproxy runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn without_credentials_the_sdk_s_warnings_stay_out_of_the_report_s_way() {
    let env = Env::new("doctor-no-credentials", &closed_url());
    let imds = refusing_imds().await;

    let (stdout, stderr) = doctor_without_credentials(&env, &imds, None).await;
    assert!(stdout.contains("no AWS credentials found"), "{stdout}");
    assert!(stdout.starts_with("wsproxy doctor: "), "{stdout}");
    assert!(
        !stderr.contains("aws_config") && !stderr.contains("IMDS"),
        "{stderr}"
    );

    // The same run asking for the SDK's warnings shows the dump that was kept away.
    let (_, stderr) = doctor_without_credentials(&env, &imds, Some("info,aws_config=warn")).await;
    assert!(
        stderr.contains("aws_config") && stderr.contains("IMDS"),
        "{stderr}"
    );
}
