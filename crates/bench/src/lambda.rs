//! `wsproxy bench lambda`: the real `bootstrap` under the gateway's Lambda mode: its init
//! time (process start to its first call for the next event), its peak RSS after a run of
//! connects, messages and disconnects through the gateway, and what its metrics cost: the
//! handler's duration (Lambda's Duration: a process taking the event to its answer) and a
//! message's round trip, with EMF on and with `WSPROXY_METRICS=off`, runs alternated.

use super::client::{next_text, open_chat};
use super::stats::summarize;
use anyhow::Context;
use futures::SinkExt;
use std::path::PathBuf;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::function_integration::{
    FunctionsConfig, FunctionsHandle, LocalFunctionConfig,
};
use wsproxy_gateway::Gateway;

/// Flags of `wsproxy bench lambda`.
#[derive(Debug, clap::Args)]
pub(crate) struct LambdaBench {
    /// The `bootstrap` to measure (build it with `cargo build --release -p wsproxy-lambda`).
    #[arg(long, default_value = "target/release/bootstrap")]
    bootstrap: PathBuf,
    /// Fresh function processes to start, for each of metrics on and off.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Chat sessions (connect, one message, close) each run drives through the function.
    #[arg(long, default_value_t = 100)]
    sessions: usize,
}

/// Runs the measurement and prints a Markdown table.
pub(crate) async fn run(args: LambdaBench) -> anyhow::Result<()> {
    anyhow::ensure!(
        std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "bench lambda needs a DynamoDB-compatible server: eval \"$(scripts/moto.sh start)\" first"
    );
    let size = std::fs::metadata(&args.bootstrap)
        .with_context(|| {
            format!(
                "{}: build it with `cargo build --release -p wsproxy-lambda`",
                args.bootstrap.display()
            )
        })?
        .len();
    let table = format!("bench-lambda-{}", std::process::id());
    let sdk = wsproxy_aws::sdk_config(None).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    wsproxy_aws::create_table(&dynamodb, &table).await?;
    let demo = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend_url = format!("http://{}", demo.local_addr()?);
    tokio::spawn(wsproxy_demo::serve_backend(
        demo,
        wsproxy_demo::DemoConfig::default(),
    ));

    let (mut inits, mut peaks) = (Vec::new(), Vec::new());
    let (mut on, mut off) = (Timings::default(), Timings::default());
    for _ in 0..args.runs {
        for metrics in [true, false] {
            let run = one_run(&args, &table, &backend_url, metrics).await?;
            if metrics {
                inits.push(run.init);
                peaks.push(Duration::from_millis(run.peak_kib));
                on.add(run);
            } else {
                off.add(run);
            }
        }
    }
    dynamodb.delete_table().table_name(&table).send().await?;
    let init = summarize(inits);
    let peak = summarize(peaks);
    println!("| measure | result |\n|---|---|");
    println!(
        "| init (process start to its first GET /next), median / max | {:.1} ms / {:.1} ms ({} runs) |",
        init.p50.as_secs_f64() * 1000.0,
        init.max.as_secs_f64() * 1000.0,
        init.n
    );
    println!(
        "| peak RSS after {} chat sessions, median / max | {:.1} MiB / {:.1} MiB |",
        args.sessions,
        peak.p50.as_millis() as f64 / 1024.0,
        peak.max.as_millis() as f64 / 1024.0
    );
    println!(
        "| `{}` size | {:.1} MiB |",
        args.bootstrap.display(),
        size as f64 / (1024.0 * 1024.0)
    );
    println!("\n| what metrics cost | EMF on (default) | `WSPROXY_METRICS=off` | on / off |\n|---|---|---|---|");
    for (what, a, b) in [
        ("handler duration, median", on.handler(), off.handler()),
        (
            "message round trip, median",
            on.round_trip(),
            off.round_trip(),
        ),
    ] {
        println!(
            "| {what} ({} / {} samples) | {:.3} ms | {:.3} ms | {:.3} |",
            a.n,
            b.n,
            a.p50.as_secs_f64() * 1000.0,
            b.p50.as_secs_f64() * 1000.0,
            a.p50.as_secs_f64() / b.p50.as_secs_f64()
        );
    }
    Ok(())
}

/// What one fresh process did.
struct Run {
    init: Duration,
    peak_kib: u64,
    /// Each invocation's duration, as the Runtime API saw it.
    handler: Vec<Duration>,
    /// Each chat message's round trip, sent to pushed back.
    round_trips: Vec<Duration>,
}

/// The samples of every run of one kind (metrics on, or off).
#[derive(Default)]
struct Timings {
    handler: Vec<Duration>,
    round_trips: Vec<Duration>,
}

impl Timings {
    fn add(&mut self, run: Run) {
        self.handler.extend(run.handler);
        self.round_trips.extend(run.round_trips);
    }

    fn handler(&self) -> crate::stats::Summary {
        summarize(self.handler.clone())
    }

    fn round_trip(&self) -> crate::stats::Summary {
        summarize(self.round_trips.clone())
    }
}

/// One fresh process, with its metrics on or off: its init time, its peak RSS after the
/// sessions, and its timings.
async fn one_run(
    args: &LambdaBench,
    table: &str,
    backend_url: &str,
    metrics: bool,
) -> anyhow::Result<Run> {
    anyhow::ensure!(
        args.bootstrap.is_file(),
        "--bootstrap {}: no such file; build it with `cargo build --release -p wsproxy-lambda --bin bootstrap`",
        args.bootstrap.display()
    );
    let bootstrap = args.bootstrap.clone();
    let config = wsproxy_lambda::Config {
        table: table.to_owned(),
        ..wsproxy_lambda::Config::new(backend_url)
    };
    // One process, its environment as `wsproxy serve --lambda` gives it.
    let function = move |endpoint: &str| {
        let mut lambda = LocalFunctionConfig::new(&bootstrap);
        let config = wsproxy_lambda::Config {
            endpoint: Some(endpoint.to_owned()),
            ..config
        };
        lambda.env = config.to_local_env(wsproxy_lambda::process_env);
        if !metrics {
            lambda
                .env
                .push(("WSPROXY_METRICS".to_owned(), "off".to_owned()));
        }
        FunctionsConfig::single(lambda)
    };
    let functions = FunctionsHandle::default();
    let mut gateway = Gateway::builder()
        .listen("127.0.0.1:0".parse()?)
        .functions_into(&functions, function)
        .bind()
        .await?
        .spawn();
    let lambda = functions.default_function().context("no function")?.clone();
    let ws = format!("ws://{}/dev", gateway.local_addr());
    anyhow::ensure!(
        lambda.ready(Duration::from_secs(10)).await,
        "the function did not start"
    );
    let mut round_trips = Vec::with_capacity(args.sessions);
    for i in 0..args.sessions {
        let mut socket = open_chat(
            &ws,
            "bench-lambda",
            if i % 2 == 0 { "alice" } else { "bob" },
        )
        .await?;
        let sent = std::time::Instant::now();
        socket.send(Message::text(r#"{"text":"hello"}"#)).await?;
        next_text(&mut socket).await?;
        round_trips.push(sent.elapsed());
        socket.close(None).await?;
    }
    // Stops the gateway, then the function; its figures stay readable.
    let _ = gateway.shutdown().await;
    let stats = lambda.stats();
    let process = stats.processes.first().context("no function process ran")?;
    Ok(Run {
        init: process
            .init
            .context("the process never asked for an event")?,
        peak_kib: process.peak_rss_kib.context("no RSS reading")?,
        handler: stats.durations,
        round_trips,
    })
}
