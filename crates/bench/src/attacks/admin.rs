//! The attacks of issue 20 on `serve --admin-listen`: `@connections` calls with made-up
//! methods and sockets closed with every private close code (each once a metric series of
//! its own), and silent connections to the admin port (once unbounded, until the process ran
//! out of descriptors and the clients' port stopped accepting).

use super::{short, Target};
use crate::client::open;
use anyhow::Context as _;
use futures::{future, stream, StreamExt as _};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// `@connections` calls with made-up methods (the attack: 40,000).
const CALLS: u32 = 40_000;
/// Close codes used, one socket each: every private code, 3000 to 4999.
const CODES: std::ops::Range<u16> = 3000..5000;
/// Calls or sockets in flight at once.
const IN_FLIGHT: usize = 16;
/// The longest either half of the attack runs.
const MAX_TIME: Duration = Duration::from_secs(60);
/// Silent connections to the admin port, at most (fewer if our descriptors don't allow).
const SILENT: u64 = 5_000;

/// The row of [`methods_and_codes`].
pub(super) const METHODS_WHAT: &str = "`@connections`: 40,000 calls with made-up methods, then \
    2,000 sockets closed with codes 3000–4999 (`--admin-listen`)";

/// The row of [`silent`].
pub(super) const SILENT_WHAT: &str =
    "5,000 silent TCP connections to the admin port (`--admin-listen`)";

/// Calls `@connections` [`CALLS`] times with methods `MADEUP0`, `MADEUP1`..., then opens and
/// closes a socket with each code of [`CODES`]; reports the answers and the size of
/// `/metrics` after.
pub(super) async fn methods_and_codes(target: Target) -> anyhow::Result<String> {
    let metrics = target.metrics.context("no admin listener")?;
    let base = target.ws.replacen("ws://", "http://", 1);
    let client = reqwest::Client::new();
    let deadline = Instant::now() + MAX_TIME;
    let answers: Vec<Result<u16, String>> = stream::iter(0..CALLS)
        .take_while(|_| future::ready(Instant::now() < deadline))
        .map(|i| {
            let (client, url) = (&client, format!("{base}/@connections/nobody-{i}"));
            async move {
                let method = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes())
                    .map_err(|e| e.to_string())?;
                let answer = client.request(method, url).send().await;
                answer
                    .map(|a| a.status().as_u16())
                    .map_err(|e| short(&e.to_string()))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut statuses = BTreeMap::new();
    for answer in &answers {
        let answer = match answer {
            Ok(status) => status.to_string(),
            Err(e) => e.clone(),
        };
        *statuses.entry(answer).or_insert(0u32) += 1;
    }
    let statuses: Vec<String> = statuses
        .into_iter()
        .map(|(answer, n)| format!("{n} × {answer}"))
        .collect();

    let deadline = Instant::now() + MAX_TIME;
    let closed = stream::iter(CODES)
        .take_while(|_| future::ready(Instant::now() < deadline))
        .map(|code| close_with(&target.ws, code))
        .buffer_unordered(IN_FLIGHT)
        .filter(|r| future::ready(r.is_ok()))
        .count()
        .await;
    let (text, counted) = settled(&client, &metrics, closed).await?;
    let series = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    Ok(format!(
        "{} calls answered {}; {closed} sockets closed with their code; then \
         /metrics is {} bytes, {} samples (connections_api_calls: {}, sockets_closed: {}, \
         counting {counted} closes)",
        answers.len(),
        statuses.join(", "),
        text.len(),
        text.lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count(),
        series("wsproxy_connections_api_calls{"),
        series("wsproxy_sockets_closed{"),
    ))
}

/// Opens a feed socket and closes it with `code`, waiting for the gateway's reply.
async fn close_with(ws: &str, code: u16) -> anyhow::Result<()> {
    let mut socket = open(&format!("{ws}?type=feed")).await?;
    socket
        .close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: "bye".into(),
        }))
        .await?;
    while socket.next().await.is_some() {}
    Ok(())
}

/// Scrapes `/metrics` until its `sockets_closed` counters add up to `closes` (each close is
/// counted after the client saw the reply) or 10 s pass; returns the text and the sum.
async fn settled(
    client: &reqwest::Client,
    metrics: &str,
    closes: usize,
) -> anyhow::Result<(String, u64)> {
    let started = Instant::now();
    loop {
        let text = client.get(metrics).send().await?.text().await?;
        let counted: u64 = text
            .lines()
            .filter(|l| l.starts_with("wsproxy_sockets_closed{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .map(|v| v as u64)
            .sum();
        if counted >= closes as u64 || started.elapsed() > Duration::from_secs(10) {
            return Ok((text, counted));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens up to [`SILENT`] connections to the admin port and sends nothing; reports how many
/// the gateway closed at once (its cap), whether its clients' port still accepts a WebSocket
/// meanwhile, and how many of the rest its header timeout closed.
pub(super) async fn silent(target: Target) -> anyhow::Result<String> {
    let metrics = target.metrics.context("no admin listener")?;
    let addr = metrics
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    // Room for the bench's own sockets: the attack may not starve the bench.
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    let count = SILENT.min(soft.saturating_sub(512));
    let mut sockets = Vec::new();
    let mut refused = BTreeMap::new();
    let opened_at = Instant::now();
    for _ in 0..count {
        match TcpStream::connect(&addr).await {
            Ok(s) => sockets.push(s),
            Err(e) => *refused.entry(short(&e.to_string())).or_insert(0u32) += 1,
        }
    }
    let opened = sockets.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let checked = future::join_all(sockets.into_iter().map(|mut s| async move {
        let closed = is_closed(&mut s, Duration::from_millis(100)).await;
        (s, closed)
    }))
    .await;
    let held: Vec<TcpStream> = checked
        .into_iter()
        .filter_map(|(s, closed)| (!closed).then_some(s))
        .collect();
    let main_port = match open(&format!("{}?type=feed", target.ws)).await {
        Ok(mut ws) => {
            let _ = ws.close(None).await;
            "accepted a WebSocket".to_owned()
        }
        Err(e) => format!("refused a WebSocket: {}", short(&format!("{e:#}"))),
    };
    let held_count = held.len();
    let wait = target.secs + Duration::from_secs(2);
    let timed_out = future::join_all(
        held.into_iter()
            .map(|mut s| async move { is_closed(&mut s, wait).await }),
    )
    .await
    .into_iter()
    .filter(|closed| *closed)
    .count();
    Ok(format!(
        "{opened} of {count} connected{}; {} closed at once by the cap; the clients' port \
         {main_port} meanwhile; {timed_out} of the {held_count} held closed by the header \
         timeout within {:.1} s of opening",
        if refused.is_empty() {
            String::new()
        } else {
            format!(" (refused: {refused:?})")
        },
        opened - held_count,
        opened_at.elapsed().as_secs_f64(),
    ))
}

/// Whether the server closed `stream` (end of file or reset) within `wait`.
async fn is_closed(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 512];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 503 may come before the close.
            Ok(Ok(_)) => continue,
        }
    }
}
