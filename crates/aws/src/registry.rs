//! The connection registry on a DynamoDB table (contract section 5).

use crate::error::{code, registry_error};
use crate::in_flight::InFlight;
use crate::item_codec::{self, Item, BOOKING_ID, CONNECTION_ID};
use crate::CONNECTION_INDEX;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::QueryError;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use std::collections::HashSet;
use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing::warn;
use wsproxy_core::{now_epoch_secs, ConnectionItem, Registry, RegistryError};

/// BatchWriteItem takes at most this many requests.
const BATCH_SIZE: usize = 25;
/// Attempts of one batch while DynamoDB leaves items unprocessed.
const BATCH_ATTEMPTS: u32 = 8;
/// First pause before resending unprocessed items; doubles each time, at most 2 s.
const BATCH_BACKOFF: Duration = Duration::from_millis(50);

/// The connection table on DynamoDB.
///
/// Lookups by connection are Queries on the [`CONNECTION_INDEX`]; items whose `ttl` has
/// passed are never returned. Throttling is retried by the SDK client given to
/// [`DynamoDbRegistry::new`]: build it with [`crate::dynamodb_client`] for wsproxy's
/// retries ([`crate::DynamoDbRetry`]).
/// Once they are spent a call answers [`RegistryError::Unavailable`] saying so. At most
/// [`InFlight::limit`] requests are in flight at once ([`DynamoDbRegistry::with_in_flight`]).
#[derive(Debug)]
pub struct DynamoDbRegistry {
    client: Client,
    table: String,
    in_flight: InFlight,
    /// Set once the missing-index warning has been logged.
    warned_no_index: AtomicBool,
}

impl DynamoDbRegistry {
    /// A registry on `table`, through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            in_flight: InFlight::default(),
            warned_no_index: AtomicBool::new(false),
        }
    }

    /// Bounds the requests in flight at once (default [`InFlight::DEFAULT_LIMIT`]).
    pub fn with_in_flight(mut self, in_flight: InFlight) -> Self {
        self.in_flight = in_flight;
        self
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Writes many items at once, e.g. to fill a table for a benchmark: BatchWriteItem,
    /// 25 items a request, unprocessed items resent with backoff. An error names no token.
    pub async fn put_many(&self, items: &[ConnectionItem]) -> Result<(), RegistryError> {
        let requests: Vec<WriteRequest> = items
            .iter()
            .map(|i| {
                let put = PutRequest::builder()
                    .set_item(Some(item_codec::encode(i)))
                    .build()
                    .expect("the item is set");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        for chunk in requests.chunks(BATCH_SIZE) {
            self.write_batch(chunk.to_vec())
                .await
                .map_err(|e| scrub_tokens(e, items))?;
        }
        Ok(())
    }

    /// Maps a failed call, naming how many attempts the client makes.
    fn fail<E, R>(
        &self,
        operation: &str,
        err: &SdkError<E, R>,
        scrub: Option<&str>,
    ) -> RegistryError
    where
        E: ProvideErrorMetadata + StdError + 'static,
        R: std::fmt::Debug,
    {
        let attempts = self
            .client
            .config()
            .retry_config()
            .map(|r| r.max_attempts());
        registry_error(operation, &self.table, err, scrub, attempts)
    }

    /// Runs a Query page by page: on the index when `index` is given, else on the table.
    async fn query(
        &self,
        index: Option<&str>,
        key: &str,
        value: &str,
    ) -> Result<Vec<Item>, QueryFailure> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let _turn = self
                .in_flight
                .turn("Query", &self.table)
                .await
                .map_err(QueryFailure::Saturated)?;
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(Into::into))
                // Reads on the table itself see a put made just before; an index cannot.
                .consistent_read(index.is_none())
                .key_condition_expression("#k = :v")
                .expression_attribute_names("#k", key)
                .expression_attribute_values(":v", AttributeValue::S(value.into()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| QueryFailure::Sdk(Box::new(e)))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// The slow way to find a connection, for a table created without the index.
    async fn scan_connection(&self, connection_id: &str) -> Result<Vec<Item>, RegistryError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let _turn = self.in_flight.turn("Scan", &self.table).await?;
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#k = :v")
                .expression_attribute_names("#k", CONNECTION_ID)
                .expression_attribute_values(":v", AttributeValue::S(connection_id.into()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.fail("Scan", &e, None))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    fn query_failed(&self, failure: QueryFailure) -> RegistryError {
        match failure {
            QueryFailure::Sdk(e) => self.fail("Query", &e, None),
            QueryFailure::Saturated(e) => e,
        }
    }

    fn warn_no_index_once(&self, reason: &str) {
        if !self.warned_no_index.swap(true, Ordering::Relaxed) {
            warn!(
                table = %self.table,
                index = CONNECTION_INDEX,
                reason,
                "the connection table has no usable index on connection_id: every lookup by \
                 connection scans the whole table until it has one; add it with \
                 `wsproxy table create --table {}`",
                self.table
            );
        }
    }

    /// Writes one batch (at most 25 puts or deletes), resending unprocessed items with
    /// backoff.
    async fn write_batch(&self, mut requests: Vec<WriteRequest>) -> Result<(), RegistryError> {
        let mut pause = BATCH_BACKOFF;
        for attempt in 1..=BATCH_ATTEMPTS {
            let turn = self.in_flight.turn("BatchWriteItem", &self.table).await?;
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(|e| self.fail("BatchWriteItem", &e, None))?;
            drop(turn);
            requests = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&self.table))
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            if attempt < BATCH_ATTEMPTS {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
        Err(RegistryError::Unavailable(format!(
            "DynamoDB BatchWriteItem on table '{}' left {} item(s) unprocessed after {BATCH_ATTEMPTS} attempts (throttled)",
            self.table,
            requests.len()
        )))
    }
}

/// Why a Query failed: DynamoDB's answer, or no turn to send it.
enum QueryFailure {
    Sdk(Box<SdkError<QueryError>>),
    Saturated(RegistryError),
}

/// The error of a batch of puts with every item's token masked.
fn scrub_tokens(err: RegistryError, items: &[ConnectionItem]) -> RegistryError {
    match err {
        RegistryError::Unavailable(message) => RegistryError::Unavailable(
            items
                .iter()
                .map(|i| i.token.expose())
                .filter(|t| !t.is_empty())
                .fold(message, |m, t| m.replace(t, "***")),
        ),
        other => other,
    }
}

/// True when a Query failed because the index does not exist or is still being built.
///
/// DynamoDB answers ValidationException ("The table does not have the specified index:
/// connection_id-index", "Cannot read from backfilling global secondary index: ..."); moto
/// answers ResourceNotFoundException ("Invalid index: connection_id-index for table: ...").
/// Both name the index, which a missing table's message does not.
fn is_missing_index(err: &SdkError<QueryError>) -> bool {
    matches!(
        code(err),
        Some("ValidationException" | "ResourceNotFoundException")
    ) && err.message().is_some_and(|m| m.contains(CONNECTION_INDEX))
}

/// Decodes items, skipping (with a warning) those that cannot be read and those expired.
fn live_items(items: Vec<Item>, table: &str) -> Vec<ConnectionItem> {
    let now = now_epoch_secs();
    items
        .into_iter()
        .filter_map(|map| match item_codec::decode(&map) {
            Ok(item) => Some(item),
            Err(e) => {
                let key = item_codec::describe_key(&map);
                warn!(table, key = %key, error = %e, "skipping an unreadable item of the connection table");
                None
            }
        })
        .filter(|item| !item.is_expired(now))
        .collect()
}

#[async_trait]
impl Registry for DynamoDbRegistry {
    async fn put(&self, item: &ConnectionItem) -> Result<(), RegistryError> {
        let _turn = self.in_flight.turn("PutItem", &self.table).await?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_codec::encode(item)))
            .send()
            .await
            .map_err(|e| self.fail("PutItem", &e, Some(item.token.expose())))?;
        Ok(())
    }

    async fn by_connection(
        &self,
        connection_id: &str,
    ) -> Result<Vec<ConnectionItem>, RegistryError> {
        let items = match self
            .query(Some(CONNECTION_INDEX), CONNECTION_ID, connection_id)
            .await
        {
            Ok(items) => items,
            Err(QueryFailure::Sdk(e)) if is_missing_index(&e) => {
                self.warn_no_index_once(e.message().unwrap_or_default());
                self.scan_connection(connection_id).await?
            }
            Err(e) => return Err(self.query_failed(e)),
        };
        Ok(live_items(items, &self.table))
    }

    async fn by_partition(&self, partition: &str) -> Result<Vec<ConnectionItem>, RegistryError> {
        let items = self
            .query(None, BOOKING_ID, partition)
            .await
            .map_err(|e| self.query_failed(e))?;
        Ok(live_items(items, &self.table))
    }

    async fn delete(&self, items: &[ConnectionItem]) -> Result<(), RegistryError> {
        // One request may not name a key twice.
        let mut seen = HashSet::new();
        let requests: Vec<WriteRequest> = items
            .iter()
            .filter(|i| seen.insert((i.partition.as_str(), i.connection_id.as_str())))
            .map(|i| {
                let delete = DeleteRequest::builder()
                    .set_key(Some(item_codec::key(&i.partition, &i.connection_id)))
                    .build()
                    .expect("the key is set");
                WriteRequest::builder().delete_request(delete).build()
            })
            .collect();
        for chunk in requests.chunks(BATCH_SIZE) {
            self.write_batch(chunk.to_vec()).await?;
        }
        Ok(())
    }
}
