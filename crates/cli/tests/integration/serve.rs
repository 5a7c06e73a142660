//! The `wsproxy` binary as a user runs it: `serve --demo` driven by a real browser,
//! Ctrl-C/SIGTERM shutdown, and a clear refusal without a backend.

use crate::served::{serve_demo, WAIT};
use futures::{SinkExt, StreamExt};
use std::path::PathBuf;
use std::time::Duration;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test]
async fn the_demo_page_chats_between_two_browser_pages() {
    if std::env::var_os("WSPROXY_SKIP_BROWSER").is_some() {
        eprintln!("skipped: WSPROXY_SKIP_BROWSER is set");
        return;
    }
    let root = repo_root();
    assert!(
        root.join(".tools/node/node_modules/playwright-core").exists() && PathBuf::from("/usr/bin/chromium").exists(),
        "the browser test needs Chromium and playwright-core: run scripts/install-test-deps.sh (or set WSPROXY_SKIP_BROWSER=1)"
    );
    let served = serve_demo(&[], &[]).await;
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .arg(root.join("tests/browser/demo_chat.mjs"))
            .arg(&served.page)
            .env("DEMO_BACKEND_URL", &served.backend)
            .current_dir(&root)
            .output(),
    )
    .await
    .expect("the browser test finished")
    .expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "browser test failed:\n{log}");
    assert!(log.contains("PASS"), "{log}");
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits_cleanly() {
    let mut served = serve_demo(&[], &[]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}?type=feed", served.ws))
        .await
        .expect("a feed socket opens");
    served.sigterm().await;
    let close = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("the socket was closed");
    assert_eq!(close, Some(1001));
    let status = served.exited().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn backend_answers_over_the_flags_limit_give_the_sender_an_error_frame() {
    let served = serve_demo(&["--backend-max-answer-bytes", "300"], &[]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}?type=feed", served.ws))
        .await
        .expect("a feed socket opens");
    let mut next = async |text: &str| {
        ws.send(Message::text(text)).await.unwrap();
        let frame = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
        let text = frame.unwrap().unwrap().into_text().unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let small = next(r#"{"title":"short"}"#).await;
    assert_eq!(small["type"], "feed_item", "{small}");
    let long = format!(r#"{{"title":"long","text":"{}"}}"#, "x".repeat(400));
    let error = next(&long).await;
    assert_eq!(error["type"], "error", "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("300-byte limit"),
        "{error}"
    );
}

#[tokio::test]
async fn serve_without_a_backend_says_how_to_give_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("BACKEND_URL")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--backend-url"), "{err}");
}

#[tokio::test]
async fn a_bad_backend_url_is_refused_with_the_fix() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--backend-url",
            "localhost:8000",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("BACKEND_URL") && err.contains("http://"),
        "{err}"
    );
}

#[tokio::test]
async fn a_socket_budget_too_small_for_two_messages_is_refused_with_the_fix() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--backend-url",
            "http://127.0.0.1:9",
            "--socket-budget-bytes",
            "1000",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("socket budget (1000 bytes)") && err.contains("262144"),
        "{err}"
    );
}

#[tokio::test]
async fn ids_that_could_change_the_backend_path_are_refused_with_400() {
    let served = serve_demo(&[], &[]).await;
    let cases = [
        // Decoded once by the gateway: `x/../../notifications/ws`.
        (
            "type=booking&booking_id=x%2F..%2F..%2Fnotifications%2Fws",
            '/',
        ),
        // Decoded once: `x%2F..%2F..`, which a decoding backend would decode again.
        ("type=chat&booking_id=x%252F..%252F..", '%'),
        ("type=chat&booking_id=..%5Cadmin", '\\'),
    ];
    for (query, character) in cases {
        let url = format!("{}?{query}&token=user:alice", served.ws);
        let err = tokio_tungstenite::connect_async(&url)
            .await
            .expect_err("the upgrade is refused");
        let tokio_tungstenite::tungstenite::Error::Http(response) = err else {
            panic!("{query}: expected an HTTP refusal: {err}")
        };
        assert_eq!(response.status(), 400, "{query}");
        let body: serde_json::Value =
            serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("booking_id") && error.contains(&format!("contains '{character}'")),
            "{query}: {body}"
        );
    }
    let ok = format!("{}?type=chat&booking_id=b1&token=user:alice", served.ws);
    tokio_tungstenite::connect_async(&ok)
        .await
        .expect("an ordinary id still connects");
}
