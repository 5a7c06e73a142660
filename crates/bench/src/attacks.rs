//! `wsproxy bench attacks`: what a client with no token can make the gateway hold.
//!
//! Each attack runs against a fresh `wsproxy serve` child (in-memory registry) in front of
//! a small backend of this process whose feed endpoint answers `{"blob": "x" * size}` for a
//! message `{"size": N}`. The figure is the child's peak RSS during the attack minus its RSS
//! before it; the outcome says what the attacker saw.

use super::client::open;
use super::server::ServeChild;
use anyhow::Context;
use axum::routing::post;
use axum::{Json, Router};
use futures::{stream, SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Flags of `wsproxy bench attacks`.
#[derive(Debug, clap::Args)]
pub(crate) struct AttackBench {
    /// How long each attack runs, in seconds.
    #[arg(long, default_value_t = 10)]
    secs: u64,
}

/// Runs every attack and prints the table.
pub(crate) async fn run(args: AttackBench) -> anyhow::Result<()> {
    crate::limits::raise_fd_limit();
    let backend = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend_url = format!("http://{}", backend.local_addr()?);
    let app = Router::new().route("/api/ws/items-feed/message", post(sized_answer));
    tokio::spawn(async move { axum::serve(backend, app).await });
    let secs = Duration::from_secs(args.secs);

    let mut rows = Vec::new();
    let attacks: [(&str, AttackFn); 5] = [
        (
            "ping flood: one feed socket sends pings and never reads",
            |ws, d| Box::pin(ping_flood(ws, d)),
        ),
        (
            "1,000 upgrades with a 400 KB User-Agent, held open",
            |ws, d| Box::pin(huge_headers(ws, d)),
        ),
        ("100 silent TCP connections", |ws, d| {
            Box::pin(silent(ws, d))
        }),
        (
            "8 sockets that never read, each asking for 200 answers of 120 KB",
            |ws, d| Box::pin(non_readers(ws, d)),
        ),
        ("one message whose backend answer is 50 MB", |ws, d| {
            Box::pin(huge_answer(ws, d))
        }),
    ];
    for (name, attack) in attacks {
        let server = ServeChild::spawn_with(&["--backend-url", &backend_url])
            .await
            .context("could not start `wsproxy serve` for the attack")?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = server.rss_kib()?;
        let pid = server.pid();
        let (outcome, peak) = with_peak_rss(pid, attack(server.ws_url.clone(), secs)).await;
        let outcome = outcome.unwrap_or_else(|e| format!("bench error: {e:#}"));
        rows.push((
            name,
            format!("{:+.1} MiB", (peak.saturating_sub(before)) as f64 / 1024.0),
            outcome,
        ));
        server.stop().await;
    }
    println!(
        "| attack ({} s each) | RSS growth (peak) | what the attacker saw |\n|---|---|---|",
        args.secs
    );
    for (name, growth, outcome) in rows {
        println!("| {name} | {growth} | {outcome} |");
    }
    Ok(())
}

type AttackFn =
    fn(String, Duration) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send>>;

/// The backend's feed endpoint: `{"blob": "x" * message.size}`, to the sender only.
async fn sized_answer(Json(body): Json<Value>) -> Json<Value> {
    let size = body["message"]["size"].as_u64().unwrap_or(0).min(100 << 20) as usize;
    Json(json!({ "blob": "x".repeat(size) }))
}

/// Runs `attack` while reading `pid`'s RSS every 50 ms; returns its outcome and the peak.
async fn with_peak_rss<T>(pid: u32, attack: impl Future<Output = T>) -> (T, u64) {
    let sample = || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .unwrap_or(0)
    };
    let mut peak = sample();
    tokio::pin!(attack);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            out = &mut attack => return (out, peak.max(sample())),
            _ = tick.tick() => peak = peak.max(sample()),
        }
    }
}

async fn ping_flood(ws: String, secs: Duration) -> anyhow::Result<String> {
    let mut socket = open(&format!("{ws}?type=feed")).await?;
    let end = Instant::now() + secs;
    let mut sent = 0u64;
    let ended = loop {
        if Instant::now() >= end {
            break None;
        }
        let batch = async {
            for _ in 0..1000 {
                socket.feed(Message::Ping(Default::default())).await?;
            }
            socket.flush().await
        };
        match tokio::time::timeout(Duration::from_secs(1), batch).await {
            Ok(Ok(())) => sent += 1000,
            Ok(Err(e)) => break Some(e.to_string()),
            Err(_) => continue,
        }
    };
    Ok(match ended {
        Some(e) => format!("{sent} pings, then the gateway dropped the socket ({e})"),
        None => format!("{sent} pings sent, the socket still open"),
    })
}

async fn huge_headers(ws: String, _secs: Duration) -> anyhow::Result<String> {
    let agent = HeaderValue::from_str(&"a".repeat(400 * 1024))?;
    let results: Vec<Result<_, String>> = stream::iter(0..1000)
        .map(|_| {
            let mut request = format!("{ws}?type=feed").into_client_request();
            let agent = agent.clone();
            async move {
                let mut request = request.as_mut().map_err(|e| e.to_string())?.clone();
                request.headers_mut().insert("user-agent", agent);
                match tokio_tungstenite::connect_async(request).await {
                    Ok((socket, _)) => Ok(Some(socket)),
                    Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                        Err(format!("HTTP {}", r.status().as_u16()))
                    }
                    Err(e) => Err(short(&e.to_string())),
                }
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let opened = results.iter().filter(|r| r.is_ok()).count();
    let mut refusals: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    refusals.sort();
    refusals.dedup();
    Ok(format!("{opened} opened; refusals: {refusals:?}"))
}

async fn silent(ws: String, secs: Duration) -> anyhow::Result<String> {
    let addr = ws
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut sockets = Vec::new();
    for _ in 0..100 {
        sockets.push(TcpStream::connect(&addr).await?);
    }
    tokio::time::sleep(secs).await;
    let mut closed = 0;
    for s in &mut sockets {
        let mut buf = [0u8; 256];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(20), s.read(&mut buf)).await
        {
            closed += 1;
        }
    }
    Ok(format!(
        "{closed} of 100 closed by the gateway within {} s",
        secs.as_secs()
    ))
}

async fn non_readers(ws: String, secs: Duration) -> anyhow::Result<String> {
    let mut sockets = Vec::new();
    for _ in 0..8 {
        let mut socket = open(&format!("{ws}?type=feed")).await?;
        for _ in 0..200 {
            if socket
                .send(Message::text(r#"{"size":120000}"#))
                .await
                .is_err()
            {
                break;
            }
        }
        sockets.push(socket);
    }
    tokio::time::sleep(secs).await;
    let mut endings = Vec::new();
    for mut socket in sockets {
        let mut messages = 0;
        let ending = loop {
            match tokio::time::timeout(Duration::from_secs(2), socket.next()).await {
                Ok(Some(Ok(Message::Close(f)))) => {
                    break format!("close {}", f.map(|f| u16::from(f.code)).unwrap_or(1005))
                }
                Ok(Some(Ok(_))) => messages += 1,
                Ok(Some(Err(e))) => break short(&e.to_string()),
                Ok(None) => break "ended".to_owned(),
                Err(_) => break "open".to_owned(),
            }
        };
        endings.push(format!("{messages} msgs, {ending}"));
    }
    endings.sort();
    endings.dedup();
    Ok(format!("per socket: {endings:?}"))
}

async fn huge_answer(ws: String, _secs: Duration) -> anyhow::Result<String> {
    let mut socket = open(&format!("{ws}?type=feed")).await?;
    socket.send(Message::text(r#"{"size":52428800}"#)).await?;
    let got = match tokio::time::timeout(Duration::from_secs(15), socket.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => {
            format!("a {}-byte answer: {}", t.len(), short(t.as_str()))
        }
        Ok(Some(Ok(m))) => format!("{m:?}"),
        Ok(Some(Err(e))) => short(&e.to_string()),
        Ok(None) => "the socket ended".to_owned(),
        Err(_) => "nothing within 15 s".to_owned(),
    };
    Ok(got)
}

/// The first 120 characters of `s`.
fn short(s: &str) -> String {
    s.chars().take(120).collect()
}
