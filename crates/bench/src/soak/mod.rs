//! `wsproxy bench soak`: many sockets held for minutes while a share of them churns every
//! second (half closed cleanly, half reset with no close frame) and chat sockets talk;
//! then the registry must equal the live sockets, and memory must not have grown.
//!
//! The gateway runs in this process (in-memory registry, the demo backend over loopback
//! HTTP), so its table and the registry can be counted; the clients run in a child process
//! (`bench soak --clients-of URL`, see [`clients`]), so that each process holds one end of
//! each socket and the RSS figures are the gateway's (with the demo backend's).

mod clients;

use anyhow::{bail, Context};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use wsproxy_backend_http::HttpBackend;
use wsproxy_core::MemoryRegistry;
use wsproxy_gateway::{ConnectionLimits, Gateway, GatewayConfig};

/// Flags of `wsproxy bench soak`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SoakBench {
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
    /// Run only the clients, against this gateway (the child process the soak starts).
    #[arg(long, hide = true, value_name = "WS_URL")]
    clients_of: Option<String>,
}

/// What the clients report on their stdout, one JSON object a line (`event`: `tick` every
/// tenth second of the churn; `done` once it is over, with the totals; the sockets are then
/// held until the soak writes `close`).
enum Report {
    Tick { second: u64, live: usize },
    Done(clients::Totals),
}

impl Report {
    /// A report line; `None` for anything else the child printed.
    fn parse(line: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        match v["event"].as_str()? {
            "tick" => Some(Self::Tick {
                second: v["second"].as_u64()?,
                live: v["live"].as_u64()? as usize,
            }),
            "done" => serde_json::from_value(v).ok().map(Self::Done),
            _ => None,
        }
    }
}

/// Runs the soak (or, with `--clients-of`, its clients) and prints its table.
pub(crate) async fn run(args: SoakBench) -> anyhow::Result<()> {
    crate::limits::raise_fd_limit();
    if let Some(ws) = &args.clients_of {
        return clients::run(ws, &args).await;
    }
    let backend_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend_url = format!("http://{}", backend_listener.local_addr()?);
    // The churn alone opens `churn_percent` of the sockets a second: the new-connection rate
    // limit is not what this measures, nor a cap below the sockets asked for.
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse()?,
        limits: ConnectionLimits {
            new_connections_per_second: 0,
            max_connections: Some(args.sockets + 512),
            ..ConnectionLimits::default()
        },
        ..GatewayConfig::default()
    };
    let registry = Arc::new(MemoryRegistry::new());
    let backend = HttpBackend::new(&backend_url, Duration::from_secs(3))?;
    let gateway = Gateway::builder()
        .config(config)
        .core(registry.clone(), Arc::new(backend))
        .bind()
        .await?;
    let connections = gateway.connections().clone();
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

    let exe = std::env::current_exe().context("cannot find the wsproxy executable")?;
    let mut child = tokio::process::Command::new(exe)
        .args(["bench", "soak", "--clients-of", &format!("ws://{addr}/dev")])
        .args(["--sockets", &args.sockets.to_string()])
        .args(["--churn-percent", &args.churn_percent.to_string()])
        .args(["--secs", &args.secs.to_string()])
        .args(["--messages-per-sec", &args.messages_per_sec.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("could not start the soak's client process")?;
    let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let totals = loop {
        let Some(line) = lines.next_line().await? else {
            bail!("the soak's client process ended before its report");
        };
        match Report::parse(&line) {
            Some(Report::Tick { second, live }) => {
                let rss = rss_kib()?;
                samples.push((second, rss));
                println!(
                    "soak: {second:>4} s  gateway RSS {:>7.1} MiB  live {live:>6}  gateway {:>6}  registry {:>6}",
                    rss as f64 / 1024.0,
                    connections.len(),
                    registry.len()
                );
            }
            Some(Report::Done(totals)) => break totals,
            None => println!("{line}"),
        }
    };

    // Settle: every closed or reset socket must have left the gateway and the registry.
    let live = totals.live;
    let settle_start = Instant::now();
    while (connections.len() != live || registry.len() != live)
        && settle_start.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settled = (connections.len(), registry.len());
    let settle_time = settle_start.elapsed();
    let rss_end = rss_kib()?;
    let rss_minute = samples
        .iter()
        .find(|s| s.0 >= 60)
        .or(samples.first())
        .map(|s| s.1)
        .unwrap_or(rss_end);

    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"close\n").await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), server).await;

    let per_tick = clients::per_tick(&args);
    println!("| measure | result |\n|---|---|");
    println!(
        "| churn | {} s at {} sockets, {per_tick} replaced a second ({} closed, {} reset), {} chat messages a second |",
        args.secs, args.sockets, totals.closed, totals.reset, args.messages_per_sec
    );
    println!(
        "| after settling ({:.1} s) | live {live}, gateway {}, registry {} |",
        settle_time.as_secs_f64(),
        settled.0,
        settled.1
    );
    println!(
        "| gateway process RSS after the first minute / at the end | {:.1} MiB / {:.1} MiB ({:+.1}%) |",
        rss_minute as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        (rss_end as f64 / rss_minute as f64 - 1.0) * 100.0
    );
    println!(
        "| client-side errors | {} failed opens, {} sockets ended unasked, {} error frames |",
        totals.open_failed, totals.ended_unasked, totals.error_frames
    );
    println!("| messages received by clients | {} |", totals.received);
    if settled != (live, live) {
        bail!(
            "the registry ({}) or the gateway ({}) does not match the {live} live sockets",
            settled.1,
            settled.0
        );
    }
    Ok(())
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
