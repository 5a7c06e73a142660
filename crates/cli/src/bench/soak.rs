//! `wsproxy bench soak`: many sockets held for minutes while a share of them churns every
//! second (half closed cleanly, half reset with no close frame) and chat sockets talk;
//! then the registry must equal the live sockets, and memory must not have grown.
//!
//! The gateway runs in this process (in-memory registry, the demo backend over loopback
//! HTTP), so the registry can be counted; the RSS figures include the clients' sockets,
//! whose number stays constant during the run.

use super::client::{open, Socket};
use anyhow::{bail, Context};
use futures::{SinkExt as _, StreamExt as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::{MemoryRegistry, Proxy};
use wsproxy_gateway::{ConnectionLimits, Connections, CoreIntegration, Gateway, GatewayConfig};

/// Flags of `wsproxy bench soak`.
#[derive(Debug, clap::Args)]
pub struct SoakBench {
    /// Sockets held open (one in ten is a chat socket, the rest feed sockets).
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    /// Share of the sockets replaced every second, in percent.
    #[arg(long, default_value_t = 5.0)]
    churn_percent: f64,
    /// How long the churn runs, in seconds.
    #[arg(long, default_value_t = 180)]
    secs: u64,
    /// Chat messages sent per second (each answered to its booking's sockets).
    #[arg(long, default_value_t = 20)]
    messages_per_sec: usize,
}

/// What the clients saw, counted across all socket tasks.
#[derive(Debug, Default)]
struct Counts {
    opened: AtomicU64,
    open_failed: AtomicU64,
    closed: AtomicU64,
    reset: AtomicU64,
    /// Sockets that ended without being told to (the gateway closed them or they broke).
    ended_unasked: AtomicU64,
    received: AtomicU64,
    error_frames: AtomicU64,
}

/// What a socket task is told to do.
enum Command {
    Send(String),
    Close,
    Reset,
}

/// Runs the soak and prints its table.
pub async fn run(args: SoakBench) -> anyhow::Result<()> {
    // Both ends of every socket live in this process: two descriptors a socket, and room
    // for the backend's connections. Root may raise the hard limit too.
    let fds = 2 * args.sockets as u64 + 1024;
    crate::limits::raise_fd_limit();
    if rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(true, |(soft, _)| soft < fds)
        && rlimit::setrlimit(rlimit::Resource::NOFILE, fds, fds).is_err()
    {
        bail!(
            "{} sockets need {fds} open files in this process (both ends): raise `ulimit -n`, or pass a smaller --sockets",
            args.sockets
        );
    }
    let backend_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend_url = format!("http://{}", backend_listener.local_addr()?);
    // The churn alone opens `churn_percent` of the sockets a second, and the cap derived from
    // the descriptors counts this process's client ends too: neither limit is measured here.
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse()?,
        limits: ConnectionLimits {
            new_connections_per_second: 0,
            max_connections: Some(args.sockets + 512),
            ..ConnectionLimits::default()
        },
        ..GatewayConfig::default()
    };
    let connections = Arc::new(Connections::new(&config));
    let registry = Arc::new(MemoryRegistry::new());
    let backend = HttpBackend::new(&backend_url, Duration::from_secs(3))?;
    let proxy = Proxy::new(registry.clone(), Arc::new(backend), connections.clone());
    let gateway = Gateway::new(
        config,
        connections.clone(),
        Arc::new(CoreIntegration::new(proxy)),
    )
    .bind()
    .await?;
    let addr = gateway.local_addr();
    let demo = wsproxy_demo::DemoConfig {
        gateway_url: Some(format!("http://{addr}/dev")),
        ..Default::default()
    };
    tokio::spawn(wsproxy_demo::serve_backend(backend_listener, demo));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(async {
        let _ = stop_rx.await;
    }));
    let ws = format!("ws://{addr}/dev");

    let counts = Arc::new(Counts::default());
    let mut sockets: Vec<Client> = Vec::with_capacity(args.sockets);
    let start = Instant::now();
    for batch in (0..args.sockets).collect::<Vec<_>>().chunks(64) {
        let opened =
            futures::future::join_all(batch.iter().map(|&i| Client::open(&ws, i, &counts))).await;
        sockets.extend(opened.into_iter().flatten());
    }
    println!(
        "soak: {} sockets open in {:.1} s; churning {}%/s for {} s",
        sockets.len(),
        start.elapsed().as_secs_f64(),
        args.churn_percent,
        args.secs
    );

    let per_tick = ((args.sockets as f64) * args.churn_percent / 100.0).round() as usize;
    let mut next_kind = args.sockets;
    let mut samples: Vec<(u64, u64, usize, usize)> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let churn_start = Instant::now();
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
        let opening = (next_kind..next_kind + per_tick).map(|i| Client::open(&ws, i, &counts));
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
            let rss = rss_kib()?;
            samples.push((second + 1, rss, connections.len(), registry.len()));
            println!(
                "soak: {:>4} s  RSS {:>7.1} MiB  sockets {:>6}  gateway {:>6}  registry {:>6}",
                second + 1,
                rss as f64 / 1024.0,
                sockets.len(),
                connections.len(),
                registry.len()
            );
        }
    }
    let churned = churn_start.elapsed();

    // Settle: every closed or reset socket must have left the gateway and the registry.
    let live = sockets.len();
    let settle_start = Instant::now();
    while (connections.len() != live || registry.len() != live)
        && settle_start.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settled = (connections.len(), registry.len());
    let rss_end = rss_kib()?;
    let rss_minute = samples
        .iter()
        .find(|s| s.0 >= 60)
        .or(samples.first())
        .map(|s| s.1)
        .unwrap_or(rss_end);

    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (closed, reset) = (load(&counts.closed), load(&counts.reset));
    for s in sockets {
        s.stop(Command::Close);
    }
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), server).await;

    let c = &counts;
    println!("| measure | result |\n|---|---|");
    println!(
        "| churn | {} s at {} sockets, {} replaced a second ({} closed, {} reset), {} chat messages a second |",
        churned.as_secs(),
        args.sockets,
        per_tick,
        closed,
        reset,
        args.messages_per_sec
    );
    println!(
        "| after settling ({:.1} s) | live {live}, gateway {}, registry {} |",
        settle_start.elapsed().as_secs_f64(),
        settled.0,
        settled.1
    );
    println!(
        "| process RSS after the first minute / at the end | {:.1} MiB / {:.1} MiB ({:+.1}%) |",
        rss_minute as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        (rss_end as f64 / rss_minute as f64 - 1.0) * 100.0
    );
    println!(
        "| client-side errors | {} failed opens, {} sockets ended unasked, {} error frames |",
        load(&c.open_failed),
        load(&c.ended_unasked),
        load(&c.error_frames)
    );
    println!("| messages received by clients | {} |", load(&c.received));
    if settled != (live, live) {
        bail!(
            "the registry ({}) or the gateway ({}) does not match the {live} live sockets",
            settled.1,
            settled.0
        );
    }
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
        let chat = i % 10 == 0;
        let url = if chat {
            let user = if i % 20 == 0 { "alice" } else { "bob" };
            format!(
                "{ws}?type=chat&booking_id=soak-{}&token=user:{user}",
                i % 50
            )
        } else {
            format!("{ws}?type=feed")
        };
        match open(&url).await {
            Ok(socket) => {
                counts.opened.fetch_add(1, Ordering::Relaxed);
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

/// This process's resident memory, KiB.
fn rss_kib() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc: the memory figures need Linux")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/self/status")
}

/// xorshift64: which sockets churn, reproducibly.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
