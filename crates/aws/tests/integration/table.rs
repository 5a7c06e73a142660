//! `create_table` and `check_table` against moto.

use crate::util::{client, create_table_without_index, unique_table};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use wsproxy_aws::{check_table, create_table, IndexState, TableError, TableOutcome, TtlState};

#[tokio::test]
async fn create_table_is_idempotent_and_complete() {
    let (client, _) = client();
    let table = unique_table("create");
    assert_eq!(
        create_table(&client, &table).await.unwrap(),
        TableOutcome::Created
    );
    assert_eq!(
        create_table(&client, &table).await.unwrap(),
        TableOutcome::AlreadyExisted
    );

    let report = check_table(&client, &table).await.unwrap();
    assert!(report.exists);
    assert_eq!(report.status.as_deref(), Some("ACTIVE"));
    assert_eq!(
        report.key_schema,
        "booking_id (HASH), connection_id (RANGE)"
    );
    assert!(report.key_schema_ok && report.on_demand, "{report:?}");
    assert_eq!(report.index, IndexState::Active);
    assert_eq!(report.ttl, TtlState::Enabled);
    assert!(report.problems().is_empty(), "{:?}", report.problems());

    // The index projects everything and is keyed on connection_id.
    let desc = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let gsi = &desc.global_secondary_indexes.unwrap()[0];
    assert_eq!(
        gsi.index_name.as_deref(),
        Some(wsproxy_aws::CONNECTION_INDEX)
    );
    assert_eq!(
        gsi.key_schema.as_ref().unwrap()[0].attribute_name,
        "connection_id"
    );
    assert_eq!(
        gsi.projection
            .as_ref()
            .unwrap()
            .projection_type
            .as_ref()
            .map(|p| p.as_str()),
        Some("ALL")
    );
}

#[tokio::test]
async fn create_table_adds_a_missing_index_and_ttl() {
    let (client, _) = client();
    let table = unique_table("no-index");
    create_table_without_index(&client, &table).await;

    let before = check_table(&client, &table).await.unwrap();
    assert_eq!(before.index, IndexState::Missing);
    assert_eq!(before.ttl, TtlState::Disabled);
    let problems = before.problems().join("\n");
    assert!(
        problems.contains(&format!("wsproxy table create --table {table}")),
        "{problems}"
    );

    assert_eq!(
        create_table(&client, &table).await.unwrap(),
        TableOutcome::Updated
    );
    let after = check_table(&client, &table).await.unwrap();
    assert_eq!(after.index, IndexState::Active);
    assert_eq!(after.ttl, TtlState::Enabled);
    assert!(after.problems().is_empty(), "{:?}", after.problems());
    assert_eq!(
        create_table(&client, &table).await.unwrap(),
        TableOutcome::AlreadyExisted
    );
}

#[tokio::test]
async fn a_missing_table_is_reported_not_an_error() {
    let (client, _) = client();
    let table = unique_table("absent");
    let report = check_table(&client, &table).await.unwrap();
    assert!(!report.exists);
    let problems = report.problems();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("does not exist"), "{problems:?}");
    assert!(problems[0].contains("wsproxy table create"), "{problems:?}");
}

#[tokio::test]
async fn a_table_with_another_key_is_refused_and_left_alone() {
    let (client, _) = client();
    let table = unique_table("other-key");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let err = create_table(&client, &table).await.unwrap_err();
    assert!(
        matches!(&err, TableError::WrongKeySchema { found, .. } if found == "id (HASH)"),
        "{err:?}"
    );
    assert!(err.to_string().contains("choose another name"), "{err}");
    let report = check_table(&client, &table).await.unwrap();
    assert!(!report.key_schema_ok);
    assert_eq!(report.index, IndexState::Missing);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_an_error_that_names_the_operation() {
    let (client, _) = crate::util::client_for("http://127.0.0.1:1");
    let err = create_table(&client, "t").await.unwrap_err();
    assert!(
        matches!(
            &err,
            TableError::Aws {
                operation: "CreateTable",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("AWS_ENDPOINT_URL"), "{err}");
}
