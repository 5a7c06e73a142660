//! The four measurements of the benchmark.

use super::client::{next_text, open, open_chat, Socket};
use super::server::ServeChild;
use super::stats::{summarize, Summary};
use anyhow::Context;
use futures::{stream, SinkExt, StreamExt, TryStreamExt};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Opens `n` authenticated chat sockets, `concurrency` at a time; returns connects/s.
pub(crate) async fn connects(ws: &str, n: usize, concurrency: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let sockets: Vec<Socket> = stream::iter(0..n)
        .map(|i| async move {
            let user = if i % 2 == 0 { "alice" } else { "bob" };
            open_chat(ws, &format!("bench-connect-{}", i % 100), user).await
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    close_all(sockets).await;
    Ok(rate)
}

/// Times `n` messages, one after another, from send to the backend's answer arriving.
pub(crate) async fn round_trips(ws: &str, n: usize) -> anyhow::Result<Summary> {
    let mut socket = open_chat(ws, "bench-rtt", "alice").await?;
    let mut sample = Vec::with_capacity(n);
    for i in 0..(n + n / 10) {
        let start = Instant::now();
        socket
            .send(Message::text(format!(r#"{{"text":"ping {i}"}}"#)))
            .await?;
        next_text(&mut socket).await?;
        if i >= n / 10 {
            sample.push(start.elapsed());
        }
    }
    close_all(vec![socket]).await;
    Ok(summarize(sample))
}

/// Times one chat message reaching every one of `size` sockets in a booking, `runs` times.
pub(crate) async fn broadcast(ws: &str, size: usize, runs: usize) -> anyhow::Result<Summary> {
    let sockets: Vec<Socket> = stream::iter(0..size)
        .map(|i| {
            open_chat(
                ws,
                "bench-broadcast",
                if i % 2 == 0 { "alice" } else { "bob" },
            )
        })
        .buffer_unordered(32)
        .try_collect()
        .await?;
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<Instant>();
    let mut sender = None;
    let mut readers = Vec::with_capacity(size);
    for socket in sockets {
        let (sink, mut source) = socket.split();
        sender.get_or_insert(sink);
        let tx = arrived_tx.clone();
        readers.push(tokio::spawn(async move {
            while next_text(&mut source).await.is_ok() {
                if tx.send(Instant::now()).is_err() {
                    break;
                }
            }
        }));
    }
    let mut sender = sender.context("no socket to send from")?;
    let mut sample = Vec::with_capacity(runs);
    for run in 0..(runs + 2) {
        let start = Instant::now();
        sender
            .send(Message::text(format!(r#"{{"text":"run {run}"}}"#)))
            .await?;
        let mut last = start;
        for _ in 0..size {
            let at = tokio::time::timeout(super::client::WAIT, arrived.recv())
                .await
                .context("a broadcast did not reach every socket")?
                .context("readers ended")?;
            last = last.max(at);
        }
        if run >= 2 {
            sample.push(last - start);
        }
    }
    let _ = sender.close().await;
    for r in readers {
        r.abort();
    }
    Ok(summarize(sample))
}

/// Memory of the gateway before and while `n` idle feed sockets are open.
pub(crate) struct Idle {
    /// RSS before the sockets opened, KiB.
    pub rss_before_kib: u64,
    /// RSS with all of them open, KiB.
    pub rss_kib: u64,
}

impl Idle {
    /// The growth of the RSS while the sockets opened, KiB a socket (0 for no sockets).
    pub(crate) fn kib_per_socket(&self, sockets: usize) -> f64 {
        if sockets == 0 {
            return 0.0;
        }
        self.rss_kib.saturating_sub(self.rss_before_kib) as f64 / sockets as f64
    }
}

/// Opens `n` feed sockets and reads the gateway's RSS while they idle. Run it on a fresh
/// gateway: after other measurements the allocator keeps the memory their sockets freed,
/// and the idle sockets reuse it, so the growth no longer shows what a socket costs.
pub(crate) async fn idle(ws: &str, n: usize, server: &ServeChild) -> anyhow::Result<Idle> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = server.rss_kib()?;
    let url = format!("{ws}?type=feed");
    let sockets: Vec<Socket> = stream::iter(0..n)
        .map(|_| open(&url))
        .buffer_unordered(64)
        .try_collect()
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_kib = server.rss_kib()?;
    close_all(sockets).await;
    Ok(Idle {
        rss_before_kib,
        rss_kib,
    })
}

async fn close_all(sockets: Vec<Socket>) {
    stream::iter(sockets)
        .for_each_concurrent(64, |mut s| async move {
            let _ = s.close(None).await;
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kib_a_socket_is_the_growth_over_the_sockets() {
        // The issue's run: 11.3 MiB at start, 124.3 MiB with 9,000 idle sockets.
        let idle = Idle {
            rss_before_kib: 11_571,
            rss_kib: 127_283,
        };
        assert_eq!(format!("{:.1}", idle.kib_per_socket(9_000)), "12.9");
        let shrunk = Idle {
            rss_before_kib: 2_000,
            rss_kib: 1_000,
        };
        assert_eq!(shrunk.kib_per_socket(10), 0.0);
        assert_eq!(idle.kib_per_socket(0), 0.0);
    }
}
