//! `DynamoDbRegistry` against moto, and its batch retries against a fake DynamoDB.

use crate::util::{client, create_table_without_index, item, sorted, unique_table, Calls, Logs};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use wsproxy_aws::{create_table, DynamoDbRegistry, CONNECTION_INDEX};
use wsproxy_core::{now_epoch_secs, ConnectionItem, Registry, RegistryError, Secret};

/// A registry on a new, complete table.
async fn registry(what: &str) -> (DynamoDbRegistry, Client, Calls) {
    let (client, calls) = client();
    let table = unique_table(what);
    create_table(&client, &table).await.unwrap();
    calls.take();
    (DynamoDbRegistry::new(client.clone(), table), client, calls)
}

fn queries_on_index(calls: &[wsproxy_aws::Request]) -> usize {
    calls
        .iter()
        .filter(|c| c.operation == "Query" && c.body.contains(CONNECTION_INDEX))
        .count()
}

#[tokio::test]
async fn put_lookup_delete_round_trip_uses_the_index() {
    let (reg, _, calls) = registry("round-trip").await;
    let a = item("b-1", "c-1");
    let b = item("user_7", "c-1");
    let c = item("b-1", "c-2");
    for i in [&a, &b, &c] {
        reg.put(i).await.unwrap();
    }
    // A put with the same key replaces.
    let mut a2 = a.clone();
    a2.user_id = Some("u-2".into());
    reg.put(&a2).await.unwrap();

    calls.take();
    assert_eq!(
        sorted(reg.by_connection("c-1").await.unwrap()),
        sorted(vec![a2.clone(), b.clone()])
    );
    let sent = calls.take();
    assert_eq!(queries_on_index(&sent), 1, "{sent:?}");
    assert_eq!(Calls::count(&sent, "Scan"), 0, "{sent:?}");

    assert_eq!(
        sorted(reg.by_partition("b-1").await.unwrap()),
        sorted(vec![a2.clone(), c.clone()])
    );
    assert!(reg.by_partition("nothing-here").await.unwrap().is_empty());
    assert!(reg.by_connection("nobody").await.unwrap().is_empty());

    reg.delete(&[c.clone(), c.clone()]).await.unwrap(); // duplicates are fine
    reg.delete(std::slice::from_ref(&c)).await.unwrap(); // so is an absent item
    assert_eq!(reg.by_partition("b-1").await.unwrap(), vec![a2]);

    assert_eq!(reg.remove_connection("c-1").await.unwrap(), 2);
    assert!(reg.by_connection("c-1").await.unwrap().is_empty());
    assert!(reg.by_partition("b-1").await.unwrap().is_empty());
    assert!(reg.by_partition("user_7").await.unwrap().is_empty());
    assert_eq!(Calls::count(&calls.take(), "Scan"), 0);
}

#[tokio::test]
async fn stored_items_have_the_contract_attributes() {
    let (reg, client, _) = registry("attributes").await;
    let it = item("b-9", "c-9");
    reg.put(&it).await.unwrap();
    let stored = client
        .get_item()
        .table_name(reg.table())
        .key("booking_id", AttributeValue::S("b-9".into()))
        .key("connection_id", AttributeValue::S("c-9".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let s = |k: &str| stored[k].as_s().unwrap().clone();
    let n = |k: &str| stored[k].as_n().unwrap().parse::<i64>().unwrap();
    assert_eq!(s("connection_type"), "chat");
    assert_eq!(s("user_id"), "u-1");
    assert_eq!(s("token"), "token-of-c-9");
    assert_eq!(n("created_at"), it.created_at);
    assert_eq!(n("ttl"), it.created_at + 86_400);
    assert_eq!(stored.len(), 7);
}

#[tokio::test]
async fn expired_items_are_absent_though_still_stored() {
    let (reg, client, _) = registry("expired").await;
    let mut old = item("b-1", "c-old");
    old.ttl = now_epoch_secs() - 1;
    let live = item("b-1", "c-live");
    reg.put(&old).await.unwrap();
    reg.put(&live).await.unwrap();

    assert_eq!(reg.by_partition("b-1").await.unwrap(), vec![live]);
    assert!(reg.by_connection("c-old").await.unwrap().is_empty());
    assert_eq!(reg.remove_connection("c-old").await.unwrap(), 0);
    let count = client
        .scan()
        .table_name(reg.table())
        .send()
        .await
        .unwrap()
        .count;
    assert_eq!(
        count, 2,
        "DynamoDB deletes expired items late; moto never does"
    );
}

#[tokio::test]
async fn unreadable_items_are_skipped() {
    let (reg, client, _) = registry("unreadable").await;
    let good = item("b-1", "c-good");
    reg.put(&good).await.unwrap();
    let s = |v: &str| AttributeValue::S(v.into());
    let bad_type = HashMap::from([
        ("booking_id".to_owned(), s("b-1")),
        ("connection_id".to_owned(), s("c-bad-type")),
        ("connection_type".to_owned(), AttributeValue::N("3".into())),
        ("created_at".to_owned(), AttributeValue::N("1".into())),
    ]);
    let missing = HashMap::from([
        ("booking_id".to_owned(), s("b-1")),
        ("connection_id".to_owned(), s("c-missing")),
        ("connection_type".to_owned(), s("chat")),
    ]);
    for raw in [bad_type, missing] {
        client
            .put_item()
            .table_name(reg.table())
            .set_item(Some(raw))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(reg.by_partition("b-1").await.unwrap(), vec![good]);
    assert!(reg.by_connection("c-missing").await.unwrap().is_empty());
}

#[tokio::test]
async fn without_the_index_lookups_fall_back_to_a_scan() {
    let (client, calls) = client();
    let table = unique_table("scan-fallback");
    create_table_without_index(&client, &table).await;
    let reg = DynamoDbRegistry::new(client, &table);
    let (logs, _guard) = Logs::capture();
    let a = item("b-1", "c-1");
    let b = item("user_3", "c-1");
    reg.put(&a).await.unwrap();
    reg.put(&b).await.unwrap();
    reg.put(&item("b-1", "c-2")).await.unwrap();
    calls.take();

    for _ in 0..2 {
        assert_eq!(
            sorted(reg.by_connection("c-1").await.unwrap()),
            sorted(vec![a.clone(), b.clone()])
        );
    }
    let sent = calls.take();
    let warnings = logs.text();
    assert_eq!(warnings.matches("no usable index").count(), 1, "{warnings}");
    assert!(
        warnings.contains(&format!("wsproxy table create --table {table}")),
        "{warnings}"
    );
    // Each lookup still tries the index first, so adding it later takes effect at once.
    assert_eq!(queries_on_index(&sent), 2, "{sent:?}");
    assert_eq!(Calls::count(&sent, "Scan"), 2, "{sent:?}");
    assert_eq!(reg.remove_connection("c-1").await.unwrap(), 2);
    assert_eq!(reg.by_partition("b-1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn sixty_items_are_removed_in_batches_of_25() {
    let (reg, _, calls) = registry("sixty").await;
    for n in 0..60 {
        reg.put(&item(&format!("b-{n}"), "c-many")).await.unwrap();
    }
    reg.put(&item("b-0", "c-other")).await.unwrap();
    calls.take();
    assert_eq!(reg.remove_connection("c-many").await.unwrap(), 60);
    let sent = calls.take();
    assert_eq!(Calls::count(&sent, "BatchWriteItem"), 3, "25 + 25 + 10");
    assert!(reg.by_connection("c-many").await.unwrap().is_empty());
    assert_eq!(reg.by_partition("b-0").await.unwrap().len(), 1);
}

#[tokio::test]
async fn put_many_writes_sixty_items_in_batches_of_25_that_read_back_the_same() {
    let (reg, _, calls) = registry("put-many").await;
    let items: Vec<ConnectionItem> = (0..60)
        .map(|n| item(&format!("b-{}", n / 10), &format!("c-{n:02}")))
        .collect();
    reg.put_many(&items).await.unwrap();
    let sent = calls.take();
    assert_eq!(Calls::count(&sent, "BatchWriteItem"), 3, "25 + 25 + 10");
    assert_eq!(Calls::count(&sent, "PutItem"), 0, "{sent:?}");
    assert_eq!(
        sorted(reg.by_partition("b-0").await.unwrap()),
        items[..10].to_vec()
    );
    assert_eq!(
        reg.by_connection("c-59").await.unwrap(),
        vec![items[59].clone()]
    );
    reg.put_many(&[]).await.unwrap();
}

#[tokio::test]
async fn lookups_read_every_page() {
    // moto, like DynamoDB, answers at most 1 MB per page: 12 items of 150 KB take two.
    let (reg, _, calls) = registry("pages").await;
    let big = "x".repeat(150 * 1024);
    let mut items = Vec::new();
    for n in 0..12 {
        let mut it = item("b-big", &format!("c-{n:02}"));
        it.token = Secret::new(big.clone());
        reg.put(&it).await.unwrap();
        items.push(it);
    }
    // One connection under 12 partitions, also 1.8 MB: the index query pages too.
    for n in 0..12 {
        let mut it = item(&format!("p-{n:02}"), "c-wide");
        it.token = Secret::new(big.clone());
        reg.put(&it).await.unwrap();
    }
    calls.take();
    assert_eq!(sorted(reg.by_partition("b-big").await.unwrap()), items);
    assert!(Calls::count(&calls.take(), "Query") >= 2);
    assert_eq!(reg.by_connection("c-wide").await.unwrap().len(), 12);
    assert!(queries_on_index(&calls.take()) >= 2);
}

#[tokio::test]
async fn a_missing_table_is_table_missing_with_the_fix() {
    let (client, _) = client();
    let table = unique_table("missing");
    let reg = DynamoDbRegistry::new(client, &table);
    let it = item("b-1", "c-1");
    let errors = [
        reg.put(&it).await.unwrap_err(),
        reg.by_connection("c-1").await.unwrap_err(),
        reg.by_partition("b-1").await.unwrap_err(),
        reg.delete(&[it]).await.unwrap_err(),
    ];
    for err in errors {
        assert!(
            matches!(&err, RegistryError::TableMissing { table: t, .. } if *t == table),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains(&format!("wsproxy table create --table {table}")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn tokens_never_appear_in_errors() {
    let token = "tok-very-secret-0123456789";
    let with_token = |mut it: ConnectionItem, t: &str| {
        it.token = Secret::new(t);
        it
    };
    let mut errors = Vec::new();

    // Missing table.
    let (client, _) = client();
    let reg = DynamoDbRegistry::new(client, unique_table("gone"));
    errors.push(
        reg.put(&with_token(item("b", "c"), token))
            .await
            .unwrap_err(),
    );

    // An item over DynamoDB's 400 KB limit is refused by the service.
    let (reg, _, _) = registry("too-big").await;
    let huge = format!("{token}{}", "y".repeat(500 * 1024));
    errors.push(
        reg.put(&with_token(item("b", "c"), &huge))
            .await
            .unwrap_err(),
    );

    // Nothing listening.
    let (client, _) = crate::util::client_for("http://127.0.0.1:1");
    let reg = DynamoDbRegistry::new(client, "t");
    errors.push(
        reg.put(&with_token(item("b", "c"), token))
            .await
            .unwrap_err(),
    );

    assert!(matches!(errors[0], RegistryError::TableMissing { .. }));
    assert!(matches!(errors[1], RegistryError::Unavailable(_)));
    assert!(matches!(errors[2], RegistryError::Unavailable(_)));
    for err in &errors {
        let text = format!("{err} {err:?}");
        assert!(!text.contains(token), "{text}");
    }
    let text = errors[1].to_string();
    assert!(
        text.contains("PutItem") && text.contains("ValidationException"),
        "{text}"
    );
}

/// A fake DynamoDB that leaves every BatchWriteItem unprocessed `refusals` times.
mod fake {
    use axum::extract::State;
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    use serde_json::{json, Value};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    pub(super) struct Fake {
        pub refusals: usize,
        pub calls: AtomicUsize,
    }

    async fn handle(
        State(fake): State<Arc<Fake>>,
        headers: HeaderMap,
        body: String,
    ) -> impl IntoResponse {
        assert_eq!(headers["x-amz-target"], "DynamoDB_20120810.BatchWriteItem");
        let request: Value = serde_json::from_str(&body).unwrap();
        let n = fake.calls.fetch_add(1, Ordering::SeqCst);
        let unprocessed = if n < fake.refusals {
            request["RequestItems"].clone()
        } else {
            json!({})
        };
        (
            [("content-type", "application/x-amz-json-1.0")],
            json!({ "UnprocessedItems": unprocessed }).to_string(),
        )
    }

    /// Serves on 127.0.0.1:0; returns its URL.
    pub(super) async fn start(fake: Arc<Fake>) -> String {
        let app = axum::Router::new()
            .route("/", axum::routing::post(handle))
            .with_state(fake);
        wsproxy_test_support::http::serve(app).await
    }
}

#[tokio::test]
async fn unprocessed_items_are_sent_again_until_done() {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    let items: Vec<ConnectionItem> = (0..30).map(|n| item(&format!("b-{n}"), "c")).collect();

    let fake = Arc::new(fake::Fake {
        refusals: 3,
        calls: Default::default(),
    });
    let (client, _) = crate::util::client_for(&fake::start(fake.clone()).await);
    let reg = DynamoDbRegistry::new(client, "t");
    reg.delete(&items).await.unwrap();
    // Batch 1 refused three times then done (4 calls), batch 2 done at once.
    assert_eq!(fake.calls.load(Ordering::SeqCst), 5);

    let fake = Arc::new(fake::Fake {
        refusals: usize::MAX,
        calls: Default::default(),
    });
    let (client, _) = crate::util::client_for(&fake::start(fake.clone()).await);
    let reg = DynamoDbRegistry::new(client, "t");
    let err = reg.delete(&items[..2]).await.unwrap_err();
    assert!(err.to_string().contains("2 item(s) unprocessed"), "{err}");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn put_many_resends_unprocessed_items_and_its_error_names_no_token() {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    let items: Vec<ConnectionItem> = (0..30).map(|n| item(&format!("b-{n}"), "c")).collect();
    let fake = Arc::new(fake::Fake {
        refusals: 3,
        calls: Default::default(),
    });
    let (client, _) = crate::util::client_for(&fake::start(fake.clone()).await);
    DynamoDbRegistry::new(client, "t")
        .put_many(&items)
        .await
        .unwrap();
    // Batch 1 refused three times then done (4 calls), batch 2 done at once.
    assert_eq!(fake.calls.load(Ordering::SeqCst), 5);

    let fake = Arc::new(fake::Fake {
        refusals: usize::MAX,
        calls: Default::default(),
    });
    let (client, _) = crate::util::client_for(&fake::start(fake.clone()).await);
    let mut secret = item("b-1", "c-1");
    secret.token = Secret::new("tok-secret-42");
    let err = DynamoDbRegistry::new(client, "t")
        .put_many(&[secret])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 item(s) unprocessed"), "{err}");
    assert!(!err.contains("tok-secret-42"), "{err}");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 8);
}
