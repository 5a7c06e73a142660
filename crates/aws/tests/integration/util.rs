//! Helpers: a DynamoDB client on moto that records the operations it sends, unique table
//! names, items.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use wsproxy_core::{ConnectionItem, ConnectionType, Secret};

/// The DynamoDB endpoint the tests use; fails the test when none is configured.
pub fn endpoint() -> String {
    ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| {
            panic!(
                "these tests need a DynamoDB-compatible server: run `scripts/test.sh`, or \
                 `scripts/moto.sh install && eval \"$(scripts/moto.sh start)\"` and then \
                 `cargo test -p wsproxy-aws` (set AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_DYNAMODB)"
            )
        })
}

/// The requests a client sent, in order (retries included).
pub use wsproxy_aws::RequestLog as Calls;

/// A client for `endpoint` with fake credentials and the standard retry mode.
pub fn client_for(endpoint: &str) -> (Client, Calls) {
    let calls = Calls::default();
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::standard())
        .interceptor(calls.clone())
        .build();
    (Client::from_conf(conf), calls)
}

/// A client on the moto server.
pub fn client() -> (Client, Calls) {
    client_for(&endpoint())
}

/// A table name no other test (or earlier run on the same server) uses.
pub fn unique_table(what: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "wsproxy-test-{what}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a table with the right key but without the index (and without time to live),
/// as a hand-made or older table would be.
pub async fn create_table_without_index(client: &Client, table: &str) {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("booking_id"))
        .attribute_definitions(attr("connection_id"))
        .key_schema(key("booking_id", KeyType::Hash))
        .key_schema(key("connection_id", KeyType::Range))
        .send()
        .await
        .expect("create a table without the index");
}

/// A live chat item with a token.
pub fn item(partition: &str, connection_id: &str) -> ConnectionItem {
    ConnectionItem::new(
        partition,
        connection_id,
        ConnectionType::Chat,
        Some("u-1".into()),
        Secret::new(format!("token-of-{connection_id}")),
    )
}

/// Sorted by (partition, connection id), for comparing results that come in any order.
pub fn sorted(mut items: Vec<ConnectionItem>) -> Vec<ConnectionItem> {
    items.sort_by(|a, b| (&a.partition, &a.connection_id).cmp(&(&b.partition, &b.connection_id)));
    items
}

/// Log lines written while the guard lives (this thread only: `#[tokio::test]` runs on one).
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
