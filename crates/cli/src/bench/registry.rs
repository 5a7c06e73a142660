//! `wsproxy bench registry`: DynamoDB requests (and items read) per message and per
//! disconnect, with few and with many registered connections. The lookups by connection
//! are one Query on the index, so both figures stay the same as the table grows.

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsproxy_aws::{create_table, DynamoDbRegistry};
use wsproxy_core::{ConnectionType, Proxy, PushError, Pusher};

/// Flags of `wsproxy bench registry`.
#[derive(Debug, clap::Args)]
pub struct RegistryBench {
    /// Registered connections to measure at.
    #[arg(long, value_delimiter = ',', default_value = "100,10000")]
    sizes: Vec<usize>,
}

/// Requests and items read, by DynamoDB operation (requests are sent one at a time here).
#[derive(Debug, Default, Clone)]
struct Counts {
    ops: BTreeMap<String, (u64, u64)>,
    current: String,
}

impl Counts {
    fn show(&self) -> String {
        let parts: Vec<String> = self
            .ops
            .iter()
            .map(|(op, (n, read))| format!("{n} {op} ({read} items read)"))
            .collect();
        parts.join(" + ")
    }
}

/// Counts every request the client sends, by its `X-Amz-Target`, and the items it read.
#[derive(Debug, Default, Clone)]
struct Counter(Arc<Mutex<Counts>>);

impl Counter {
    fn take(&self) -> Counts {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = operation(ctx.request().headers().get("x-amz-target"));
        let mut counts = self.0.lock().unwrap();
        counts.ops.entry(op.clone()).or_default().0 += 1;
        counts.current = op;
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        ctx: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let read = match ctx.output_or_error() {
            Ok(out) => out
                .downcast_ref::<QueryOutput>()
                .map(|q| q.scanned_count())
                .or_else(|| out.downcast_ref::<ScanOutput>().map(|s| s.scanned_count()))
                .unwrap_or(0),
            _ => 0,
        };
        let mut counts = self.0.lock().unwrap();
        let op = counts.current.clone();
        counts.ops.entry(op).or_default().1 += read.max(0) as u64;
        Ok(())
    }
}

fn operation(target: Option<&str>) -> String {
    target
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned()
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
pub async fn run(args: RegistryBench) -> anyhow::Result<()> {
    anyhow::ensure!(
        std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "bench registry needs a DynamoDB-compatible server: eval \"$(scripts/moto.sh start)\" first"
    );
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let plain = aws_sdk_dynamodb::Client::new(&sdk);
    let counter = Counter::default();
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(counter.clone())
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
        counter.take();
        let answer = proxy.message("c0", "hello").await;
        anyhow::ensure!(answer.status == 200, "the message failed: {}", answer.body);
        let message = counter.take();
        let answer = proxy.disconnect("c1").await;
        anyhow::ensure!(
            answer.status == 200,
            "the disconnect failed: {}",
            answer.body
        );
        let disconnect = counter.take();
        println!("| {n} | {} | {} |", message.show(), disconnect.show());
        plain.delete_table().table_name(&table).send().await?;
    }
    Ok(())
}

/// Registers `n` booking connections, ten a booking, with batched writes.
async fn fill(client: &aws_sdk_dynamodb::Client, table: &str, n: usize) -> anyhow::Result<()> {
    let now = wsproxy_core::now_epoch_secs();
    let writes: Vec<WriteRequest> = (0..n)
        .map(|i| {
            let item = [
                ("booking_id", AttributeValue::S(format!("b{}", i / 10))),
                ("connection_id", AttributeValue::S(format!("c{i}"))),
                (
                    "connection_type",
                    AttributeValue::S(ConnectionType::Booking.as_str().into()),
                ),
                ("created_at", AttributeValue::N(now.to_string())),
                (
                    "ttl",
                    AttributeValue::N((now + wsproxy_core::ITEM_TTL_SECS).to_string()),
                ),
                ("token", AttributeValue::S("bench".into())),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("an item");
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    for chunk in writes.chunks(25) {
        let mut pending = chunk.to_vec();
        while !pending.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await
                .context("filling the benchmark table")?;
            pending = out
                .unprocessed_items
                .and_then(|mut m| m.remove(table))
                .unwrap_or_default();
        }
    }
    Ok(())
}
