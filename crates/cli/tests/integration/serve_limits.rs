//! `wsproxy serve`'s connection limits: listed in `--help` with their environment variables,
//! and handed to the gateway.

use crate::served::{serve_demo, WAIT};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[test]
fn help_lists_every_limit_and_the_secret_key_variable() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["serve", "--help"])
        .output()
        .expect("wsproxy runs");
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (flag, env) in [
        ("--max-header-bytes", "WSPROXY_MAX_HEADER_BYTES"),
        (
            "--header-read-timeout-secs",
            "WSPROXY_HEADER_READ_TIMEOUT_SECS",
        ),
        ("--max-connections", "WSPROXY_MAX_CONNECTIONS"),
        (
            "--new-connections-per-second",
            "WSPROXY_NEW_CONNECTIONS_PER_SECOND",
        ),
        ("--new-connection-burst", "WSPROXY_NEW_CONNECTION_BURST"),
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
        assert!(help.contains(env), "{env} missing from:\n{help}");
    }
    assert!(help.contains("10240"), "the header limit's default");
    let secret = help
        .split("--secret-access-key")
        .nth(1)
        .expect("--secret-access-key is listed");
    assert!(
        secret.contains("WSPROXY_SECRET_ACCESS_KEY") && secret.contains("`ps`"),
        "the help says to pass the secret through the environment:\n{help}"
    );
}

/// Sends `request` on a new connection; the HTTP status of the answer.
async fn status_of(addr: &str, request: &str) -> u16 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .expect("reading the answer");
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {answer:?}"))
}

#[tokio::test]
async fn the_flags_and_variables_reach_the_gateway() {
    let served = serve_demo(
        &["--max-header-bytes", "2048"],
        &[("WSPROXY_MAX_CONNECTIONS", "1")],
    )
    .await;
    let addr = served.addr().to_owned();

    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
        "p".repeat(3000)
    );
    assert_eq!(status_of(&addr, &big).await, 431, "--max-header-bytes 2048");

    // One silent connection holds the only slot (once the 431's has freed).
    let request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let _silent = tokio::time::timeout(WAIT, async {
        loop {
            let silent = TcpStream::connect(&addr).await.unwrap();
            if status_of(&addr, request).await == 503 {
                return silent;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a second connection gets 503 with WSPROXY_MAX_CONNECTIONS=1");
}
