//! `wsproxy serve --store dynamodb` sent SIGTERM while it holds sockets: it closes them,
//! runs their `$disconnect`, exits 0, and leaves no item of theirs in the table (moto).

use crate::moto;
use crate::served::{serve_demo, WAIT};
use futures::StreamExt as _;
use std::time::Duration;

/// Sockets held at the signal: feed sockets and the demo's chat sockets of booking b1.
const FEED: usize = 20;
const CHAT: usize = 10;

async fn items(client: &aws_sdk_dynamodb::Client, table: &str) -> usize {
    let page = client
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .expect("scanning the table");
    page.count() as usize
}

#[tokio::test]
async fn sigterm_removes_the_items_of_the_sockets_it_held_and_exits_0() {
    let dynamodb = moto::dynamodb().await;
    let table = moto::unique_name("shutdown");
    wsproxy_aws::create_table(&dynamodb, &table)
        .await
        .expect("creating the table");
    let mut served = serve_demo(
        &["--store", "dynamodb", "--table", &table],
        &[("AWS_REGION", "us-east-1")],
    )
    .await;
    let ws_base = served.ws.clone();

    let users = ["alice", "bob"];
    let urls = (0..FEED)
        .map(|_| format!("{ws_base}?type=feed"))
        .chain((0..CHAT).map(|i| {
            let user = users[i % 2];
            format!("{ws_base}?type=chat&booking_id=b1&token=user:{user}")
        }));
    let mut readers = Vec::new();
    for url in urls {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        // Read every socket to its end, so each answers the gateway's close frame.
        readers.push(tokio::spawn(
            async move { while ws.next().await.is_some() {} },
        ));
    }
    let held = FEED + CHAT;
    let deadline = tokio::time::Instant::now() + WAIT;
    while items(&dynamodb, &table).await != held {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the table never held {held} items"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    served.sigterm().await;
    let status = served.exited().await;
    assert!(status.success(), "{status:?}");
    for reader in readers {
        tokio::time::timeout(WAIT, reader)
            .await
            .expect("every socket was closed")
            .unwrap();
    }
    assert_eq!(items(&dynamodb, &table).await, 0, "items left in {table}");
}
