//! `wsproxy bench attacks`: what a client with no token can make the gateway hold.
//!
//! Each attack runs against a fresh `wsproxy serve` child (in-memory registry), started with
//! the flags the attack needs, in front of a small backend of this process whose feed
//! endpoint answers `{"blob": "x" * size}` for a message `{"size": N}`. The figure is the
//! child's peak RSS during the attack minus its RSS before it; the outcome says what the
//! attacker saw. Every attack is bounded in count and time and ends by itself.

mod admin;
mod clients;
mod function;

use super::server::ServeChild;
use anyhow::Context;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::process::ChildStderr;

/// Flags of `wsproxy bench attacks`.
#[derive(Debug, clap::Args)]
pub(crate) struct AttackBench {
    /// How long each attack that holds something runs, in seconds.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Run only this attack (repeatable); all of them by default.
    #[arg(long = "attack", value_enum)]
    only: Vec<Name>,
}

/// The attacks, by the name `--attack` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Name {
    PingFlood,
    HugeHeaders,
    Silent,
    NonReaders,
    HugeAnswer,
    ConnectionsApiMethods,
    AdminSilent,
    FunctionOutput,
}

/// How an attack's gateway is started.
#[derive(Debug, Clone, Copy)]
enum Gateway {
    /// `--backend-url` (this process's backend), default limits.
    Backend,
    /// As `Backend`, with `--admin-listen` on a free loopback port and no new-connection rate
    /// limit (the attacker opens sockets faster than the default allows).
    Admin,
    /// `--lambda` running [`function::COMMAND`], plain HTTP; the child's stderr (where the
    /// function's output is forwarded) is given to the attack.
    Function,
}

impl Gateway {
    fn flags(self, backend_url: &str) -> Vec<String> {
        let mut flags = vec!["--backend-url".to_owned(), backend_url.to_owned()];
        let extra: &[&str] = match self {
            Self::Backend => &[],
            Self::Admin => &[
                "--admin-listen",
                "127.0.0.1:0",
                "--new-connections-per-second",
                "0",
            ],
            Self::Function => &["--no-tls", "--lambda", function::COMMAND],
        };
        flags.extend(extra.iter().map(|s| (*s).to_owned()));
        flags
    }
}

/// What an attack gets: the gateway's addresses and, for [`Gateway::Function`], its stderr.
pub(crate) struct Target {
    /// `ws://ADDR/dev`.
    ws: String,
    /// `http://ADMIN/metrics` under [`Gateway::Admin`].
    metrics: Option<String>,
    /// The child's stderr under [`Gateway::Function`].
    stderr: Option<ChildStderr>,
    /// `--secs`.
    secs: Duration,
}

type AttackFn = fn(Target) -> Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send>>;

/// One attack: its name, its row's description, its gateway and itself.
struct Attack {
    name: Name,
    what: &'static str,
    gateway: Gateway,
    run: AttackFn,
}

const ATTACKS: [Attack; 8] = [
    Attack {
        name: Name::PingFlood,
        what: "ping flood: one feed socket sends pings and never reads",
        gateway: Gateway::Backend,
        run: |t| Box::pin(clients::ping_flood(t.ws, t.secs)),
    },
    Attack {
        name: Name::HugeHeaders,
        what: "1,000 upgrades with a 400 KB User-Agent, held open",
        gateway: Gateway::Backend,
        run: |t| Box::pin(clients::huge_headers(t.ws)),
    },
    Attack {
        name: Name::Silent,
        what: "100 silent TCP connections",
        gateway: Gateway::Backend,
        run: |t| Box::pin(clients::silent(t.ws, t.secs)),
    },
    Attack {
        name: Name::NonReaders,
        what: "8 sockets that never read, each asking for 200 answers of 120 KB",
        gateway: Gateway::Backend,
        run: |t| Box::pin(clients::non_readers(t.ws, t.secs)),
    },
    Attack {
        name: Name::HugeAnswer,
        what: "one message whose backend answer is 50 MB",
        gateway: Gateway::Backend,
        run: |t| Box::pin(clients::huge_answer(t.ws)),
    },
    Attack {
        name: Name::ConnectionsApiMethods,
        what: admin::METHODS_WHAT,
        gateway: Gateway::Admin,
        run: |t| Box::pin(admin::methods_and_codes(t)),
    },
    Attack {
        name: Name::AdminSilent,
        what: admin::SILENT_WHAT,
        gateway: Gateway::Admin,
        run: |t| Box::pin(admin::silent(t)),
    },
    Attack {
        name: Name::FunctionOutput,
        what: function::WHAT,
        gateway: Gateway::Function,
        run: |t| Box::pin(function::output(t)),
    },
];

/// Runs every attack (or those of `--attack`) and prints the table.
pub(crate) async fn run(args: AttackBench) -> anyhow::Result<()> {
    crate::limits::raise_fd_limit();
    let backend = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend_url = format!("http://{}", backend.local_addr()?);
    let app = Router::new().route("/api/ws/items-feed/message", post(sized_answer));
    tokio::spawn(async move { axum::serve(backend, app).await });
    let secs = Duration::from_secs(args.secs);

    let mut rows = Vec::new();
    let chosen = ATTACKS
        .iter()
        .filter(|a| args.only.is_empty() || args.only.contains(&a.name));
    for attack in chosen {
        let flags = attack.gateway.flags(&backend_url);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let pipe_stderr = matches!(attack.gateway, Gateway::Function);
        let mut server = ServeChild::spawn_piped(&flags, pipe_stderr)
            .await
            .context("could not start `wsproxy serve` for the attack")?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = server.rss_kib()?;
        let target = Target {
            ws: server.ws_url.clone(),
            metrics: server.metrics_url.clone(),
            stderr: server.take_stderr(),
            secs,
        };
        let (outcome, peak) = with_peak_rss(server.pid(), (attack.run)(target)).await;
        let outcome = outcome.unwrap_or_else(|e| format!("bench error: {e:#}"));
        rows.push((
            attack.what,
            format!("{:+.1} MiB", (peak.saturating_sub(before)) as f64 / 1024.0),
            outcome,
        ));
        server.stop().await;
    }
    println!(
        "| attack ({} s each where it holds) | RSS growth (peak) | what the attacker saw |\n|---|---|---|",
        args.secs
    );
    for (name, growth, outcome) in rows {
        println!("| {name} | {growth} | {outcome} |");
    }
    Ok(())
}

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

/// The first 120 characters of `s`.
fn short(s: &str) -> String {
    s.chars().take(120).collect()
}
