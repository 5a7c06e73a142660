//! Creating and checking the connection table: key schema, on-demand billing, the
//! `connection_id-index` and time to live on `ttl` (contract section 5), through the
//! DynamoDB control plane (CreateTable, UpdateTable, UpdateTimeToLive, DescribeTable).

use crate::error::{code, table_error, TableError};
use crate::item_codec::{BOOKING_ID, CONNECTION_ID, TTL};
use crate::report::{IndexState, TableReport, TtlState};
use crate::CONNECTION_INDEX;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, TableDescription, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use std::time::Duration;
use tokio::time::Instant;
use tracing::info;

/// How long [`create_table`] waits for the table and its index to become ACTIVE.
const WAIT_LIMIT: Duration = Duration::from_secs(600);

/// What [`create_table`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOutcome {
    /// The table did not exist and was created with its index and time to live.
    Created,
    /// The table existed with everything wsproxy needs; nothing was changed.
    AlreadyExisted,
    /// The table existed; the missing index and/or time to live were added.
    Updated,
}

/// Creates the connection table, or completes an existing one: adds the index and enables
/// time to live when missing. Waits until the table and its index are ACTIVE. Safe to run
/// again; a table with another key schema is refused, never changed.
pub async fn create_table(client: &Client, table: &str) -> Result<TableOutcome, TableError> {
    let created = match client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(BOOKING_ID))
        .attribute_definitions(attribute(CONNECTION_ID))
        .key_schema(key_element(BOOKING_ID, KeyType::Hash))
        .key_schema(key_element(CONNECTION_ID, KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(CONNECTION_INDEX)
                .key_schema(key_element(CONNECTION_ID, KeyType::Hash))
                .projection(projection_all())
                .build()
                .expect("name, key and projection are set"),
        )
        .send()
        .await
    {
        Ok(_) => true,
        Err(e) if code(&e) == Some("ResourceInUseException") => false,
        Err(e) => return Err(table_error("CreateTable", table, &e)),
    };
    if created {
        info!(table, "created the connection table");
    }
    let desc = wait_active(client, table).await?;
    let (keys, keys_ok) = key_schema(&desc);
    if !keys_ok {
        return Err(TableError::WrongKeySchema {
            table: table.into(),
            found: keys,
        });
    }
    let mut updated = false;
    match index_state(&desc) {
        IndexState::Missing => {
            add_index(client, table, &desc).await?;
            wait_active(client, table).await?;
            updated = true;
        }
        IndexState::WrongKey(found) => {
            return Err(TableError::WrongIndex {
                table: table.into(),
                found,
            })
        }
        IndexState::Active | IndexState::NotActive(_) => {}
    }
    match ttl_state(client, table).await? {
        TtlState::Enabled | TtlState::Enabling => {}
        TtlState::OtherAttribute(attribute) => {
            return Err(TableError::TtlOnOtherAttribute {
                table: table.into(),
                attribute,
            })
        }
        TtlState::Disabled | TtlState::Disabling => {
            enable_ttl(client, table).await?;
            updated = true;
        }
    }
    Ok(match (created, updated) {
        (true, _) => TableOutcome::Created,
        (false, true) => TableOutcome::Updated,
        (false, false) => TableOutcome::AlreadyExisted,
    })
}

/// Reports whether the table exists, has the right key, the index and time to live.
/// Changes nothing; see [`TableReport::problems`].
pub async fn check_table(client: &Client, table: &str) -> Result<TableReport, TableError> {
    let Some(desc) = describe(client, table).await? else {
        return Ok(TableReport {
            table: table.into(),
            exists: false,
            status: None,
            key_schema: String::new(),
            key_schema_ok: false,
            on_demand: false,
            index: IndexState::Missing,
            ttl: TtlState::Disabled,
        });
    };
    let (key_schema, key_schema_ok) = key_schema(&desc);
    Ok(TableReport {
        table: table.into(),
        exists: true,
        status: desc.table_status.as_ref().map(|s| s.as_str().to_owned()),
        key_schema,
        key_schema_ok,
        on_demand: desc
            .billing_mode_summary
            .as_ref()
            .and_then(|b| b.billing_mode.as_ref())
            == Some(&BillingMode::PayPerRequest),
        index: index_state(&desc),
        ttl: ttl_state(client, table).await?,
    })
}

fn attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

fn key_element(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("name and key type are set")
}

fn projection_all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

fn describe_keys(keys: &[KeySchemaElement]) -> String {
    keys.iter()
        .map(|k| format!("{} ({})", k.attribute_name, k.key_type.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table's key schema as text, and whether it is the one wsproxy needs.
fn key_schema(desc: &TableDescription) -> (String, bool) {
    let keys = desc.key_schema.as_deref().unwrap_or_default();
    let ok = keys.len() == 2
        && keys.contains(&key_element(BOOKING_ID, KeyType::Hash))
        && keys.contains(&key_element(CONNECTION_ID, KeyType::Range));
    (describe_keys(keys), ok)
}

fn index_state(desc: &TableDescription) -> IndexState {
    let Some(index) = desc
        .global_secondary_indexes
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|i| i.index_name.as_deref() == Some(CONNECTION_INDEX))
    else {
        return IndexState::Missing;
    };
    let keys = index.key_schema.as_deref().unwrap_or_default();
    if keys.first() != Some(&key_element(CONNECTION_ID, KeyType::Hash)) {
        return IndexState::WrongKey(describe_keys(keys));
    }
    match (&index.index_status, index.backfilling) {
        (Some(IndexStatus::Active), _) | (None, _) => IndexState::Active,
        (_, Some(true)) => IndexState::NotActive("BACKFILLING".into()),
        (Some(s), _) => IndexState::NotActive(s.as_str().into()),
    }
}

/// DescribeTable; `None` when the table does not exist.
async fn describe(client: &Client, table: &str) -> Result<Option<TableDescription>, TableError> {
    match client.describe_table().table_name(table).send().await {
        Ok(out) => Ok(out.table),
        Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(table_error("DescribeTable", table, &e)),
    }
}

async fn ttl_state(client: &Client, table: &str) -> Result<TtlState, TableError> {
    let out = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| table_error("DescribeTimeToLive", table, &e))?;
    let (status, attribute) = out
        .time_to_live_description
        .map(|d| (d.time_to_live_status, d.attribute_name))
        .unwrap_or_default();
    let on_ttl = attribute.as_deref().is_none_or(|a| a == TTL);
    Ok(match status {
        Some(TimeToLiveStatus::Enabled) if on_ttl => TtlState::Enabled,
        Some(TimeToLiveStatus::Enabling) if on_ttl => TtlState::Enabling,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling) => {
            TtlState::OtherAttribute(attribute.unwrap_or_default())
        }
        Some(TimeToLiveStatus::Disabling) => TtlState::Disabling,
        _ => TtlState::Disabled,
    })
}

async fn enable_ttl(client: &Client, table: &str) -> Result<(), TableError> {
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL)
                .build()
                .expect("enabled and attribute are set"),
        )
        .send()
        .await
        .map_err(|e| table_error("UpdateTimeToLive", table, &e))?;
    info!(table, attribute = TTL, "enabled time to live");
    Ok(())
}

/// Adds the index to an existing table; a provisioned table's index gets the table's capacity.
async fn add_index(
    client: &Client,
    table: &str,
    desc: &TableDescription,
) -> Result<(), TableError> {
    let on_demand = desc
        .billing_mode_summary
        .as_ref()
        .and_then(|b| b.billing_mode.as_ref())
        == Some(&BillingMode::PayPerRequest);
    let throughput = desc
        .provisioned_throughput
        .as_ref()
        .filter(|_| !on_demand)
        .and_then(|p| {
            ProvisionedThroughput::builder()
                .read_capacity_units(p.read_capacity_units.filter(|n| *n > 0)?)
                .write_capacity_units(p.write_capacity_units.filter(|n| *n > 0)?)
                .build()
                .ok()
        });
    let create = CreateGlobalSecondaryIndexAction::builder()
        .index_name(CONNECTION_INDEX)
        .key_schema(key_element(CONNECTION_ID, KeyType::Hash))
        .projection(projection_all())
        .set_provisioned_throughput(throughput)
        .build()
        .expect("name, key and projection are set");
    client
        .update_table()
        .table_name(table)
        .attribute_definitions(attribute(CONNECTION_ID))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(create).build(),
        )
        .send()
        .await
        .map_err(|e| table_error("UpdateTable", table, &e))?;
    info!(
        table,
        index = CONNECTION_INDEX,
        "adding the index on connection_id"
    );
    Ok(())
}

/// Polls DescribeTable until the table, and the index if present, are ACTIVE.
async fn wait_active(client: &Client, table: &str) -> Result<TableDescription, TableError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        let desc = describe(client, table)
            .await?
            .ok_or_else(|| TableError::NotActive {
                table: table.into(),
                what: "the table".into(),
                status: "not found".into(),
                waited_secs: start.elapsed().as_secs(),
            })?;
        let waiting = match (&desc.table_status, index_state(&desc)) {
            (Some(TableStatus::Active) | None, IndexState::NotActive(s)) => {
                Some((format!("index {CONNECTION_INDEX}"), s))
            }
            (Some(TableStatus::Active) | None, _) => None,
            (Some(s), _) => Some(("the table".to_owned(), s.as_str().to_owned())),
        };
        let Some((what, status)) = waiting else {
            return Ok(desc);
        };
        if start.elapsed() >= WAIT_LIMIT {
            return Err(TableError::NotActive {
                table: table.into(),
                what,
                status,
                waited_secs: start.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}
