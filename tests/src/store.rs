//! Where the suite's connection items live in each setup, and how a test counts them.

use std::sync::Arc;
use wsproxy_aws::{create_table, dynamodb_client, DynamoDbRegistry, InFlight, TableError};
use wsproxy_core::{MemoryRegistry, Registry};
use wsproxy_test_support::moto;

/// Counts every item of the connection table, expired or not.
#[derive(Clone)]
pub enum ItemCounter {
    /// The in-memory registry.
    Memory(Arc<MemoryRegistry>),
    /// A DynamoDB table.
    DynamoDb {
        /// The client.
        client: aws_sdk_dynamodb::Client,
        /// The table.
        table: String,
    },
}

impl std::fmt::Debug for ItemCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory(_) => f.write_str("ItemCounter::Memory"),
            Self::DynamoDb { table, .. } => f
                .debug_struct("ItemCounter::DynamoDb")
                .field("table", table)
                .finish_non_exhaustive(),
        }
    }
}

impl ItemCounter {
    /// How many items the table holds now.
    pub async fn count(&self) -> usize {
        match self {
            Self::Memory(registry) => registry.len(),
            Self::DynamoDb { client, table } => {
                let mut pages = client
                    .scan()
                    .table_name(table)
                    .consistent_read(true)
                    .select(aws_sdk_dynamodb::types::Select::Count)
                    .into_paginator()
                    .send();
                let mut n = 0;
                while let Some(page) = pages.next().await {
                    n += page.expect("counting the table's items").count() as usize;
                }
                n
            }
        }
    }
}

/// The SDK configuration of the DynamoDB setups: the environment's (moto, in
/// scripts/test.sh), or `endpoint` instead of its endpoint.
async fn sdk_config(endpoint: Option<&str>) -> aws_config::SdkConfig {
    if endpoint.is_none() {
        moto::dynamodb_endpoint();
    }
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// A fresh table on the DynamoDB-compatible server the environment names, or on `endpoint`.
///
/// A server without the time-to-live API (dynalite) gets the table, its keys and its index:
/// what the registry uses. Expiry is the one thing tests on it cannot see.
pub async fn fresh_table(endpoint: Option<&str>) -> (aws_sdk_dynamodb::Client, String) {
    let sdk = sdk_config(endpoint).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = moto::unique_name("e2e");
    match create_table(&client, &table).await {
        Ok(_) => {}
        Err(TableError::Aws {
            operation: "UpdateTimeToLive",
            detail,
            ..
        }) if endpoint.is_some() && detail.contains("UnknownOperationException") => {}
        Err(e) => panic!("creating the test table: {e}"),
    }
    (client, table)
}

/// DynamoDB requests one registry of the suite sends at once. moto answers in one Python
/// process, and its Queries read every item of the table (about 20 a second at 2,000
/// items): more in flight than that only wait there, past their attempt timeout.
/// A server named by the test (dynalite) takes the default, 64.
/// `WSPROXY_E2E_DYNAMODB_IN_FLIGHT` sets it for both.
fn in_flight(endpoint: Option<&str>) -> InFlight {
    let limit = std::env::var("WSPROXY_E2E_DYNAMODB_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(match endpoint {
            None => 8,
            Some(_) => InFlight::DEFAULT_LIMIT,
        });
    InFlight::new(limit, InFlight::DEFAULT_WAIT)
}

/// The registry and counter of a setup's table, on the environment's server or on
/// `endpoint`. The registry's client has wsproxy's own retries, as `wsproxy serve --store
/// dynamodb` and the Lambda function have.
pub async fn dynamodb(endpoint: Option<&str>) -> (Arc<dyn Registry>, ItemCounter, String) {
    let (client, table) = fresh_table(endpoint).await;
    let sdk = sdk_config(endpoint).await;
    let registry = Arc::new(
        DynamoDbRegistry::new(dynamodb_client(&sdk), table.clone())
            .with_in_flight(in_flight(endpoint)),
    );
    (
        registry,
        ItemCounter::DynamoDb {
            client,
            table: table.clone(),
        },
        table,
    )
}
