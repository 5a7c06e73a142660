//! How `wsproxy` ends on an error: `error: …` and its causes, exit code 1, and no stack
//! backtrace even when `RUST_BACKTRACE=1` is set (as it is on many developers' machines).

use std::process::Output;
use tokio::process::Command;

/// Runs `wsproxy ARGS` with backtraces asked for.
async fn wsproxy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .output()
        .await
        .expect("wsproxy runs")
}

fn assert_no_backtrace(err: &str) {
    for debug_only in ["Stack backtrace", "Caused by:", "Error: ", "src/main.rs"] {
        assert!(!err.contains(debug_only), "{debug_only:?} in:\n{err}");
    }
}

#[tokio::test]
async fn an_error_prints_its_chain_without_a_backtrace_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().display().to_string();
    let out = wsproxy(&["deploy", "--function-name", "f", "--package", &package]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        format!("error: cannot read {package}\n  caused by: Is a directory (os error 21)\n")
    );
    assert_no_backtrace(&err);
}

#[tokio::test]
async fn a_busy_listen_address_is_an_error_line_without_a_backtrace() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = wsproxy(&[
        "serve",
        "--listen",
        &addr,
        "--backend-url",
        "http://127.0.0.1:9",
    ])
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("error: ") && l.contains(&addr)),
        "{err}"
    );
    assert!(err.contains("pass --listen with another one"), "{err}");
    assert_no_backtrace(&err);
}

#[tokio::test]
async fn a_bad_flag_value_is_clap_s_message_without_a_backtrace() {
    let out = wsproxy(&["serve", "--listen", "not-an-address"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not-an-address"), "{err}");
    assert_no_backtrace(&err);
}
