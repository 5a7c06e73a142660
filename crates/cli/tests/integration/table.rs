//! `wsproxy table create` and `wsproxy serve --store dynamodb` against a real
//! DynamoDB-compatible server (moto, started by scripts/test.sh).

use std::process::Output;
use tokio::process::Command;
use wsproxy_test_support::moto::{dynamodb_endpoint, unique_name};

async fn wsproxy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(args)
        .env("AWS_REGION", "us-east-1")
        .output()
        .await
        .expect("wsproxy runs")
}

#[tokio::test]
async fn table_create_is_idempotent() {
    dynamodb_endpoint();
    let table = unique_name("cli-create");
    let first = wsproxy(&["table", "create", "--table", &table]).await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("created"));
    let again = wsproxy(&["table", "create", "--table", &table]).await;
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("already existed"));
}

#[tokio::test]
async fn serve_refuses_a_missing_table_and_names_the_fix() {
    dynamodb_endpoint();
    let table = unique_name("cli-missing");
    let out = wsproxy(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--backend-url",
        "http://127.0.0.1:9",
        "--store",
        "dynamodb",
        "--table",
        &table,
    ])
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&table) && err.contains("wsproxy table create --table"),
        "{err}"
    );
}

#[tokio::test]
async fn serve_refuses_a_missing_bootstrap_with_the_build_command() {
    let out = wsproxy(&[
        "serve",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--lambda",
        "/no/such/bootstrap",
    ])
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/no/such/bootstrap") && err.contains("cargo build"),
        "{err}"
    );
}
