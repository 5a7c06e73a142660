//! Contract section 4 and the gateway's lifecycle: disconnect, graceful shutdown.

use crate::setup;
use wsproxy_e2e::Client;

#[tokio::test]
async fn closing_removes_every_item_of_the_connection() {
    let (backend, gw) = setup().await;
    let mut a = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    a.recv_json().await;
    let _b = Client::open(&gw.ws_url("type=feed")).await;
    gw.wait_for_items(2).await;
    let id = backend.connection_id_of("tok-alice");
    a.close().await;
    gw.wait_for_items(1).await;
    assert!(gw.registry.by_connection(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001_and_forgets_them() {
    let (_backend, gw) = setup().await;
    let mut a = Client::open(&gw.ws_url("type=feed")).await;
    let mut b = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-bob")).await;
    b.recv_json().await;
    gw.wait_for_items(2).await;
    let items = gw.items();
    gw.shutdown().await;
    assert_eq!(a.closed().await, Some(1001));
    assert_eq!(b.closed().await, Some(1001));
    assert_eq!(items.count().await, 0);
}
