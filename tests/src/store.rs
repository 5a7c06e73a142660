//! Where the suite's connection items live in each setup, and how a test counts them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use wsproxy_aws::{create_table, DynamoDbRegistry};
use wsproxy_core::{MemoryRegistry, Registry};

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

/// A fresh table on the DynamoDB-compatible server the environment names.
pub async fn fresh_table() -> (aws_sdk_dynamodb::Client, String) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "the DynamoDB setups need a DynamoDB-compatible server: run scripts/test.sh, or eval \"$(scripts/moto.sh start)\" first"
    );
    let sdk = wsproxy_aws::sdk_config(None).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!(
        "e2e-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    create_table(&client, &table)
        .await
        .expect("creating the test table");
    (client, table)
}

/// The registry and counter of a setup's table.
pub async fn dynamodb() -> (Arc<dyn Registry>, ItemCounter, String) {
    let (client, table) = fresh_table().await;
    let registry = Arc::new(DynamoDbRegistry::new(client.clone(), table.clone()));
    (
        registry,
        ItemCounter::DynamoDb {
            client,
            table: table.clone(),
        },
        table,
    )
}
