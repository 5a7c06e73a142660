//! Helpers: a DynamoDB client on moto that records the operations it sends, unique table
//! names, items; moto's endpoint, the table without its index and captured logs come from
//! `wsproxy-test-support`.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use wsproxy_core::{ConnectionItem, ConnectionType, Secret};
pub(crate) use wsproxy_test_support::moto::{dynamodb_endpoint, unique_name};
pub(crate) use wsproxy_test_support::table::create_table_without_index;
pub(crate) use wsproxy_test_support::Logs;

/// The requests a client sent, in order (retries included).
pub(crate) use wsproxy_aws::RequestLog as Calls;

/// A client for `endpoint` with fake credentials and the standard retry mode.
pub(crate) fn client_for(endpoint: &str) -> (Client, Calls) {
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
pub(crate) fn client() -> (Client, Calls) {
    client_for(&dynamodb_endpoint())
}

/// A table name no other test (or earlier run on the same server) uses.
pub(crate) fn unique_table(what: &str) -> String {
    unique_name(&format!("wsproxy-test-{what}"))
}

/// A live chat item with a token.
pub(crate) fn item(partition: &str, connection_id: &str) -> ConnectionItem {
    ConnectionItem::new(
        partition,
        connection_id,
        ConnectionType::Chat,
        Some("u-1".into()),
        Secret::new(format!("token-of-{connection_id}")),
    )
}

/// Sorted by (partition, connection id), for comparing results that come in any order.
pub(crate) fn sorted(mut items: Vec<ConnectionItem>) -> Vec<ConnectionItem> {
    items.sort_by(|a, b| (&a.partition, &a.connection_id).cmp(&(&b.partition, &b.connection_id)));
    items
}
