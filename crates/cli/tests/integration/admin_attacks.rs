//! What a client can do to `wsproxy serve --admin-listen`: made-up `@connections` methods and
//! WebSocket close codes add no metric series (every label comes from a fixed set), and
//! silent connections to the admin port are refused past its cap and closed after the header
//! timeout, while the gateway's own port still accepts WebSockets.

use super::metrics::{parse, scrape};
use futures::StreamExt as _;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// A running `wsproxy serve --demo --admin-listen` and its URLs (the metrics tests use it too).
pub(crate) struct Admin {
    _child: Child,
    /// `ws://ADDR/dev`.
    pub(crate) ws: String,
    /// `http://ADMIN/metrics`.
    pub(crate) metrics: String,
}

impl Admin {
    /// `http://ADDR/dev`, the gateway's HTTP base.
    fn http(&self) -> String {
        self.ws.replacen("ws://", "http://", 1)
    }

    /// `HOST:PORT` of the admin listener.
    fn admin_addr(&self) -> String {
        let rest = self.metrics.trim_start_matches("http://");
        rest.split('/').next().unwrap().to_owned()
    }
}

pub(crate) async fn start(flags: &[&str]) -> Admin {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .args(["--admin-listen", "127.0.0.1:0"])
        .args(flags)
        .env_remove("BACKEND_URL")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("wsproxy starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut ws, mut metrics) = (None, None);
    while ws.is_none() || metrics.is_none() {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("wsproxy printed its URLs")
            .unwrap()
            .expect("wsproxy exited before printing its URLs");
        if let Some(rest) = line.strip_prefix("wsproxy listening on ") {
            ws = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("metrics: ") {
            metrics = Some(rest.trim().to_owned());
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Admin {
        _child: child,
        ws: ws.unwrap(),
        metrics: metrics.unwrap(),
    }
}

/// Calls `@connections` with `method` (any token) and returns the status.
async fn call(client: &reqwest::Client, base: &str, method: &str) -> u16 {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let answer = client
        .request(method, format!("{base}/@connections/nobody"))
        .send()
        .await
        .expect("@connections answers");
    answer.status().as_u16()
}

/// Opens a feed socket and closes it with `code`.
async fn close_with(ws: &str, code: u16) {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{ws}?type=feed"))
        .await
        .expect("a feed socket opens");
    socket
        .close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    while socket.next().await.is_some() {}
}

/// Scrapes until `sockets_closed` adds up to `closed` (each close is counted after the
/// client saw the reply), and returns the samples and the text's size.
async fn settled(metrics: &str, closed: f64) -> (std::collections::HashMap<String, f64>, usize) {
    let started = Instant::now();
    loop {
        let text = reqwest::get(metrics).await.unwrap().text().await.unwrap();
        let samples = parse(&text);
        let sum: f64 = samples
            .iter()
            .filter(|(k, _)| k.starts_with("wsproxy_sockets_closed"))
            .map(|(_, v)| v)
            .sum();
        if sum >= closed || started.elapsed() > Duration::from_secs(20) {
            return (samples, text.len());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_and_close_codes_add_no_series() {
    let admin = start(&["--new-connections-per-second", "0"]).await;
    let client = reqwest::Client::new();
    let base = admin.http();
    // One of each class first: the series the attack may add to, not create.
    for method in ["GET", "POST", "DELETE", "BREW"] {
        call(&client, &base, method).await;
    }
    let warm_codes = [1000, 3000, 4000];
    for code in warm_codes {
        close_with(&admin.ws, code).await;
    }
    let (before, _) = settled(&admin.metrics, warm_codes.len() as f64).await;

    let methods = 3_000;
    for i in 0..methods {
        let status = call(&client, &base, &format!("MADEUP{i}")).await;
        assert!(status >= 400, "MADEUP{i} answered {status}");
    }
    let codes: Vec<u16> = (3001..5000).step_by(7).collect();
    for &code in &codes {
        close_with(&admin.ws, code).await;
    }
    let closed = (warm_codes.len() + codes.len()) as f64;
    let (after, size) = settled(&admin.metrics, closed).await;

    let mut added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    added.sort();
    assert!(
        added.is_empty(),
        "{} series added by made-up methods and close codes, e.g. {:?}",
        added.len(),
        &added[..added.len().min(5)]
    );
    assert!(size < 64 * 1024, "/metrics is {size} bytes");
    let get = |series: &str| after.get(series).copied().unwrap_or_default();
    let others: f64 = after
        .iter()
        .filter(|(k, _)| k.starts_with(r#"wsproxy_connections_api_calls{method="other""#))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(
        others,
        f64::from(methods) + 1.0,
        "every made-up method is `other`"
    );
    let classes = get(r#"wsproxy_sockets_closed{code="3xxx"}"#)
        + get(r#"wsproxy_sockets_closed{code="4xxx"}"#);
    assert_eq!(classes, (codes.len() + 2) as f64, "codes by class");
    assert_eq!(get(r#"wsproxy_sockets_closed{code="1000"}"#), 1.0);
}

/// Whether the server has closed `stream` (end of file or reset), waiting at most `wait`.
async fn is_closed(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 503 arrives before the close.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_admin_connections_are_capped_and_timed_out() {
    let timeout = Duration::from_secs(2);
    let admin = start(&["--header-read-timeout-secs", "2"]).await;
    let addr = admin.admin_addr();
    let opened = Instant::now();
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(
            TcpStream::connect(&addr)
                .await
                .expect("the admin port accepts"),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let checked = futures::future::join_all(silent.into_iter().map(|mut s| async move {
        let closed = is_closed(&mut s, Duration::from_millis(50)).await;
        (s, closed)
    }))
    .await;
    let open: Vec<TcpStream> = checked
        .into_iter()
        .filter_map(|(s, closed)| (!closed).then_some(s))
        .collect();
    assert!(
        opened.elapsed() < timeout,
        "the check took too long to tell the cap from the timeout"
    );
    // 16 served, 64 more answered 503 once they speak: the rest closed at once.
    assert!(
        open.len() <= 80,
        "{} of 300 silent admin connections still open: no cap",
        open.len()
    );

    // The clients' port is untouched by it.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}?type=feed", admin.ws))
        .await
        .expect("the gateway still accepts a WebSocket");
    ws.close(None).await.unwrap();

    // The header timeout closes the ones held.
    for mut s in open {
        assert!(
            is_closed(&mut s, timeout * 2).await,
            "a silent admin connection outlived the header timeout ({:?} after opening)",
            opened.elapsed()
        );
    }
    let samples = scrape(&admin.metrics).await;
    assert!(samples.contains_key("wsproxy_open_sockets"), "{samples:?}");
}
