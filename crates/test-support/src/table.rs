//! Connection tables as something other than `wsproxy table create` left them.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

/// Creates `table` with the right key (`booking_id`, `connection_id`) but without the
/// index and without time to live, as a hand-made or older table would be.
pub async fn create_table_without_index(client: &Client, table: &str) {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("an attribute definition")
    };
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("a key schema element")
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
