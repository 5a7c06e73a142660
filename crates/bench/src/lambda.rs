//! `wsproxy bench lambda`: the real `bootstrap` under the gateway's Lambda mode: its init
//! time (process start to its first call for the next event) and its peak RSS after a
//! run of connects, messages and disconnects through the gateway, over several runs.

use super::client::{next_text, open_chat};
use super::stats::summarize;
use anyhow::Context;
use futures::future::BoxFuture;
use futures::SinkExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::lambda::LambdaIntegration;
use wsproxy_gateway::{Connections, Gateway, GatewayConfig};

/// Where `bench lambda` runs the function: what it is given besides its defaults.
#[derive(Debug, Clone)]
pub struct FunctionSite {
    /// The `bootstrap` binary.
    pub bootstrap: PathBuf,
    /// `CONNECTIONS_TABLE`.
    pub table: String,
    /// `BACKEND_URL`.
    pub backend_url: String,
    /// `API_GATEWAY_ENDPOINT`: the gateway's `@connections` base URL.
    pub endpoint: String,
}

/// Starts one process of the real function behind the gateway, with its environment, as
/// `wsproxy serve --lambda` does (the host binary knows that environment).
pub type StartFunction = dyn Fn(FunctionSite) -> BoxFuture<'static, anyhow::Result<Arc<LambdaIntegration>>>
    + Send
    + Sync;

/// Flags of `wsproxy bench lambda`.
#[derive(Debug, clap::Args)]
pub struct LambdaBench {
    /// The `bootstrap` to measure (build it with `cargo build --release -p wsproxy-lambda`).
    #[arg(long, default_value = "target/release/bootstrap")]
    bootstrap: PathBuf,
    /// Fresh function processes to start.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Chat sessions (connect, one message, close) each run drives through the function.
    #[arg(long, default_value_t = 100)]
    sessions: usize,
}

/// Runs the measurement and prints a Markdown table.
pub async fn run(args: LambdaBench, start_function: &StartFunction) -> anyhow::Result<()> {
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
    for _ in 0..args.runs {
        let (init, peak_kib) = one_run(&args, &table, &backend_url, start_function).await?;
        inits.push(init);
        peaks.push(Duration::from_millis(peak_kib));
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
    Ok(())
}

/// One fresh process: its init time and its peak RSS (KiB) after the sessions.
async fn one_run(
    args: &LambdaBench,
    table: &str,
    backend_url: &str,
    start_function: &StartFunction,
) -> anyhow::Result<(Duration, u64)> {
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse()?,
        ..GatewayConfig::default()
    };
    let listener = Gateway::listen(config.listen).await?;
    let addr = listener.local_addr()?;
    let lambda = start_function(FunctionSite {
        bootstrap: args.bootstrap.clone(),
        table: table.to_owned(),
        backend_url: backend_url.to_owned(),
        endpoint: format!("http://{addr}/{}", config.stage),
    })
    .await?;
    let connections = Arc::new(Connections::new(&config));
    let ws = format!("ws://{addr}/{}", config.stage);
    let bound = Gateway::new(config, connections, lambda.clone())
        .bind_listener(listener)
        .await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bound.serve(async {
        let _ = stopped.await;
    }));
    anyhow::ensure!(
        lambda.ready(Duration::from_secs(10)).await,
        "the function did not start"
    );
    for i in 0..args.sessions {
        let mut socket = open_chat(
            &ws,
            "bench-lambda",
            if i % 2 == 0 { "alice" } else { "bob" },
        )
        .await?;
        socket.send(Message::text(r#"{"text":"hello"}"#)).await?;
        next_text(&mut socket).await?;
        socket.close(None).await?;
    }
    let _ = stop.send(());
    let _ = server.await;
    let stats = lambda.stats();
    lambda.shutdown().await;
    let process = stats.processes.first().context("no function process ran")?;
    Ok((
        process
            .init
            .context("the process never asked for an event")?,
        process.peak_rss_kib.context("no RSS reading")?,
    ))
}
