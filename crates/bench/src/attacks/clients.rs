//! The attacks of issue 8 on the clients' port: ping floods, huge headers, silent
//! connections, sockets that never read, a huge backend answer.

use super::short;
use crate::client::open;
use futures::{stream, SinkExt as _, StreamExt as _};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// One feed socket sends pings for `secs` and never reads.
pub(super) async fn ping_flood(ws: String, secs: Duration) -> anyhow::Result<String> {
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

/// 1,000 upgrades with a 400 KB `User-Agent`, 16 at a time, held open.
pub(super) async fn huge_headers(ws: String) -> anyhow::Result<String> {
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

/// 100 TCP connections that never send a byte, held `secs`.
pub(super) async fn silent(ws: String, secs: Duration) -> anyhow::Result<String> {
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

/// 8 sockets ask for 200 answers of 120 KB each and read nothing for `secs`.
pub(super) async fn non_readers(ws: String, secs: Duration) -> anyhow::Result<String> {
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

/// One message whose backend answer is 50 MB.
pub(super) async fn huge_answer(ws: String) -> anyhow::Result<String> {
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
