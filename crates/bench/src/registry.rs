//! `wsproxy bench registry`: DynamoDB requests (and items read) per message and per
//! disconnect, with few and with many registered connections. The lookups by connection
//! are one Query on the index, so both figures stay the same as the table grows.

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use wsproxy_aws::{create_table, DynamoDbRegistry, Request, RequestLog};
use wsproxy_core::{ConnectionItem, ConnectionType, Proxy, PushError, Pusher, Secret};

/// Flags of `wsproxy bench registry`.
#[derive(Debug, clap::Args)]
pub(crate) struct RegistryBench {
    /// Registered connections to measure at.
    #[arg(long, value_delimiter = ',', default_value = "100,10000")]
    sizes: Vec<usize>,
}

/// "1 Query (1 item read) + ...", by operation.
fn show(requests: &[Request]) -> String {
    let mut by_op: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for r in requests {
        let entry = by_op.entry(r.operation.as_str()).or_default();
        entry.0 += 1;
        entry.1 += r.items_read;
    }
    let parts: Vec<String> = by_op
        .iter()
        .map(|(op, (n, read))| format!("{n} {op} ({read} items read)"))
        .collect();
    parts.join(" + ")
}

/// Pushes go nowhere: only the registry's requests are measured.
struct Discard;

#[async_trait]
impl Pusher for Discard {
    async fn push(&self, _: &str, _: Bytes) -> Result<(), PushError> {
        Ok(())
    }
}

/// Runs the measurement and prints a Markdown table.
pub(crate) async fn run(args: RegistryBench) -> anyhow::Result<()> {
    anyhow::ensure!(
        std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "bench registry needs a DynamoDB-compatible server: eval \"$(scripts/moto.sh start)\" first"
    );
    let sdk = wsproxy_aws::sdk_config(None).await;
    let plain = aws_sdk_dynamodb::Client::new(&sdk);
    let log = RequestLog::default();
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .build(),
    );
    println!("| registered connections | one message (lookup by connection) | one disconnect |\n|---|---|---|");
    for n in args.sizes {
        let table = format!("bench-registry-{n}-{}", std::process::id());
        create_table(&plain, &table).await?;
        fill(&plain, &table, n).await?;
        let registry = Arc::new(DynamoDbRegistry::new(counted.clone(), table.clone()));
        let backend =
            wsproxy_backend_http::HttpBackend::new("http://127.0.0.1:9", Duration::from_secs(1))?;
        let proxy = Proxy::new(registry, Arc::new(backend), Arc::new(Discard));
        log.take();
        let answer = proxy.message("c0", "hello").await;
        anyhow::ensure!(answer.status == 200, "the message failed: {}", answer.body);
        let message = log.take();
        let answer = proxy.disconnect("c1").await;
        anyhow::ensure!(
            answer.status == 200,
            "the disconnect failed: {}",
            answer.body
        );
        let disconnect = log.take();
        println!("| {n} | {} | {} |", show(&message), show(&disconnect));
        plain.delete_table().table_name(&table).send().await?;
    }
    Ok(())
}

/// Registers `n` booking connections, ten a booking, with the registry's batch writer.
async fn fill(client: &aws_sdk_dynamodb::Client, table: &str, n: usize) -> anyhow::Result<()> {
    let items: Vec<ConnectionItem> = (0..n)
        .map(|i| {
            ConnectionItem::new(
                format!("b{}", i / 10),
                format!("c{i}"),
                ConnectionType::Booking,
                None,
                Secret::new("bench"),
            )
        })
        .collect();
    DynamoDbRegistry::new(client.clone(), table)
        .put_many(&items)
        .await
        .context("filling the benchmark table")
}
