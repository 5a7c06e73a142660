//! `wsproxy bench`: drives a gateway over loopback (by default a `wsproxy serve --demo`
//! child process, so its memory is measured alone) and reports the figures of
//! BENCHMARKS.md as a Markdown table.
//!
//! The one entry point is [`run`], which the `wsproxy` binary's `bench` subcommand calls.
//! It runs inside that binary: the gateway benchmark and the soak start child processes
//! of the running executable (`wsproxy serve --demo`, `wsproxy bench soak --clients-of`).

mod attacks;
mod client;
mod lambda;
mod limits;
mod measure;
mod registry;
mod server;
mod soak;
mod stats;

use anyhow::Context;
use std::time::Duration;

/// Flags of `wsproxy bench`: the gateway by default, or one of the AWS measurements.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: Option<What>,
    #[command(flatten)]
    gateway: GatewayBench,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// DynamoDB requests per message and per disconnect, at several table sizes.
    Registry(registry::RegistryBench),
    /// The real `bootstrap` under Lambda mode: init time and peak RSS.
    Lambda(lambda::LambdaBench),
    /// Thousands of sockets held for minutes with churn: registry == live, RSS stays flat.
    Soak(soak::SoakBench),
    /// What a client with no token can make the gateway hold: RSS under each attack.
    Attacks(attacks::AttackBench),
}

/// Flags of the gateway benchmark.
#[derive(Debug, clap::Args)]
pub struct GatewayBench {
    /// Connects to measure (chat sockets, authenticated by the backend).
    #[arg(long, default_value_t = 2000)]
    connects: usize,
    /// Connects in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Round trips (message -> backend -> answer) to time, one after another.
    #[arg(long, default_value_t = 2000)]
    round_trips: usize,
    /// Sockets in the booking that receives the broadcast.
    #[arg(long, default_value_t = 1000)]
    broadcast_size: usize,
    /// Broadcasts to time.
    #[arg(long, default_value_t = 30)]
    broadcast_runs: usize,
    /// Idle sockets held open while the gateway's memory is read.
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
}

/// Runs the chosen benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        Some(What::Registry(a)) => registry::run(a).await,
        Some(What::Lambda(a)) => lambda::run(a).await,
        Some(What::Soak(a)) => soak::run(a).await,
        Some(What::Attacks(a)) => attacks::run(a).await,
        None => gateway(args.gateway).await,
    }
}

/// Runs every gateway measurement against a fresh `wsproxy serve --demo` and prints the table.
async fn gateway(args: GatewayBench) -> anyhow::Result<()> {
    limits::raise_fd_limit();
    // Every socket the benchmark holds at once, and room for its own connects.
    let max_connections = args.idle.max(args.broadcast_size) + args.concurrency + 1024;
    let server = server::ServeChild::spawn(max_connections)
        .await
        .context("could not start `wsproxy serve --demo` for the benchmark")?;
    let ws = server.ws_url.clone();
    let mut rows = Vec::new();

    // The idle sockets first, on the fresh gateway: their growth is what a socket costs.
    let idle = measure::idle(&ws, args.idle, &server).await?;
    let connects = measure::connects(&ws, args.connects, args.concurrency).await?;
    rows.push((
        "connects per second (chat, backend auth, ack received)".to_owned(),
        format!(
            "{:.0} /s ({} sockets, {} in flight)",
            connects, args.connects, args.concurrency
        ),
    ));

    let rtt = measure::round_trips(&ws, args.round_trips).await?;
    rows.push((
        "round trip through the backend, p50 / p99".to_owned(),
        format!("{} / {} ({} messages)", ms(rtt.p50), ms(rtt.p99), rtt.n),
    ));

    let bc = measure::broadcast(&ws, args.broadcast_size, args.broadcast_runs).await?;
    rows.push((
        format!(
            "one chat message to all {} sockets of a booking, p50 / max",
            args.broadcast_size
        ),
        format!("{} / {} ({} runs)", ms(bc.p50), ms(bc.max), bc.n),
    ));

    rows.push((
        format!("gateway RSS with {} idle sockets (all in)", args.idle),
        format!(
            "{:.1} MiB (at start {:.1} MiB; {:.2} KiB a socket)",
            idle.rss_kib as f64 / 1024.0,
            idle.rss_before_kib as f64 / 1024.0,
            idle.kib_per_socket(args.idle)
        ),
    ));
    rows.push((
        "gateway peak RSS over the whole run".to_owned(),
        format!("{:.1} MiB", server.peak_rss_kib()? as f64 / 1024.0),
    ));

    println!("| measure | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
    server.stop().await;
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
