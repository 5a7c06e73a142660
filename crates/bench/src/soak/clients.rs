//! The soak's client process (`bench soak --clients-of URL`): opens the sockets, churns
//! them, sends chat messages, and reports on stdout, one JSON object a line (`tick` every
//! tenth second, `done` with the [`Totals`]), then holds its sockets until the soak writes
//! `close` on its stdin.

use super::SoakBench;
use crate::client::{open, Socket};
use futures::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncBufReadExt as _;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

/// What the clients saw, counted across all socket tasks.
#[derive(Debug, Default)]
struct Counts {
    closed: AtomicU64,
    reset: AtomicU64,
    open_failed: AtomicU64,
    /// Sockets that ended without being told to (the gateway closed them or they broke).
    ended_unasked: AtomicU64,
    received: AtomicU64,
    error_frames: AtomicU64,
}

/// The client process's report once the churn is over.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Totals {
    /// Sockets open now.
    pub live: usize,
    /// Sockets closed with a close frame during the churn.
    pub closed: u64,
    /// Sockets reset (no close frame) during the churn.
    pub reset: u64,
    /// Sockets that did not open.
    pub open_failed: u64,
    /// Sockets that ended without being told to.
    pub ended_unasked: u64,
    /// Error frames received.
    pub error_frames: u64,
    /// Messages received.
    pub received: u64,
}

/// What a socket task is told to do.
enum Command {
    Send(String),
    Close,
    Reset,
}

/// Sockets replaced every second.
pub(super) fn per_tick(args: &SoakBench) -> usize {
    ((args.sockets as f64) * args.churn_percent / 100.0).round() as usize
}

/// Runs the clients against `ws` as `args` say; returns once the soak says `close`.
pub(super) async fn run(ws: &str, args: &SoakBench) -> anyhow::Result<()> {
    let counts = Arc::new(Counts::default());
    let mut sockets: Vec<Client> = Vec::with_capacity(args.sockets);
    for batch in (0..args.sockets).collect::<Vec<_>>().chunks(64) {
        let opened =
            futures::future::join_all(batch.iter().map(|&i| Client::open(ws, i, &counts))).await;
        sockets.extend(opened.into_iter().flatten());
    }
    let per_tick = per_tick(args);
    let mut next_kind = args.sockets;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for second in 0..args.secs {
        ticker.tick().await;
        for k in 0..per_tick.min(sockets.len()) {
            let at = (next_random(&mut seed) as usize) % sockets.len();
            let how = if k % 2 == 0 {
                Command::Close
            } else {
                Command::Reset
            };
            sockets.swap_remove(at).stop(how);
        }
        let opening = (next_kind..next_kind + per_tick).map(|i| Client::open(ws, i, &counts));
        sockets.extend(
            futures::future::join_all(opening)
                .await
                .into_iter()
                .flatten(),
        );
        next_kind += per_tick;
        let chats: Vec<&Client> = sockets.iter().filter(|c| c.chat).collect();
        for n in 0..args.messages_per_sec.min(chats.len()) {
            let at = (next_random(&mut seed) as usize) % chats.len();
            chats[at].send(format!(r#"{{"text":"soak {second}.{n}"}}"#));
        }
        if second % 10 == 9 {
            println!(
                "{}",
                json!({"event": "tick", "second": second + 1, "live": sockets.len()})
            );
        }
    }
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let totals = Totals {
        live: sockets.len(),
        closed: load(&counts.closed),
        reset: load(&counts.reset),
        open_failed: load(&counts.open_failed),
        ended_unasked: load(&counts.ended_unasked),
        error_frames: load(&counts.error_frames),
        received: load(&counts.received),
    };
    let mut done = serde_json::to_value(&totals)?;
    done["event"] = json!("done");
    println!("{done}");
    // Hold the sockets while the soak compares its registry with them.
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = stdin.next_line().await? {
        if line.trim() == "close" {
            break;
        }
    }
    for s in sockets {
        s.stop(Command::Close);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

/// One client socket, run by its own task, which reads (and counts) everything it gets.
struct Client {
    chat: bool,
    commands: mpsc::UnboundedSender<Command>,
}

impl Client {
    /// Opens socket number `i`: every tenth a chat socket of booking `soak-{i % 50}`.
    async fn open(ws: &str, i: usize, counts: &Arc<Counts>) -> Option<Self> {
        let chat = i.is_multiple_of(10);
        let url = if chat {
            let user = if i.is_multiple_of(20) { "alice" } else { "bob" };
            format!(
                "{ws}?type=chat&booking_id=soak-{}&token=user:{user}",
                i % 50
            )
        } else {
            format!("{ws}?type=feed")
        };
        match open(&url).await {
            Ok(socket) => {
                let (commands, rx) = mpsc::unbounded_channel();
                tokio::spawn(drive(socket, rx, counts.clone()));
                Some(Self { chat, commands })
            }
            Err(e) => {
                counts.open_failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "soak: a socket did not open");
                None
            }
        }
    }

    fn send(&self, text: String) {
        let _ = self.commands.send(Command::Send(text));
    }

    fn stop(self, how: Command) {
        let _ = self.commands.send(how);
    }
}

/// Reads the socket until told to close or reset it.
async fn drive(
    mut ws: Socket,
    mut commands: mpsc::UnboundedReceiver<Command>,
    counts: Arc<Counts>,
) {
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(t))) => {
                    counts.received.fetch_add(1, Ordering::Relaxed);
                    if t.as_str().contains(r#""type":"error""#) {
                        counts.error_frames.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    counts.ended_unasked.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            },
            command = commands.recv() => match command {
                Some(Command::Send(text)) => {
                    let _ = ws.send(Message::text(text)).await;
                }
                Some(Command::Close) | None => {
                    counts.closed.fetch_add(1, Ordering::Relaxed);
                    let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(None)).await;
                    return;
                }
                Some(Command::Reset) => {
                    counts.reset.fetch_add(1, Ordering::Relaxed);
                    if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
                        // SO_LINGER 0: the drop sends a TCP reset, no close frame.
                        let _ = tcp.set_zero_linger();
                    }
                    return;
                }
            }
        }
    }
}

/// xorshift64: which sockets churn, reproducibly.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
