//! The `@connections` API through the real `aws-sdk-apigatewaymanagement` client, the
//! way a backend pushes to its clients.

use crate::setup;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client as Management;
use serde_json::json;
use wsproxy_e2e::{Client, Harness};

fn sdk(gw: &Harness) -> Management {
    let creds =
        aws_credential_types::Credentials::new("AKIDTEST", "test-secret", None, None, "test");
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(aws_sdk_apigatewaymanagement::config::BehaviorVersion::latest())
        .region(aws_sdk_apigatewaymanagement::config::Region::new(
            "us-east-1",
        ))
        .credentials_provider(creds)
        .endpoint_url(gw.endpoint())
        .build();
    Management::from_conf(config)
}

#[tokio::test]
async fn a_backend_pushes_reads_and_deletes_with_the_aws_sdk() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    c.recv_json().await;
    let id = backend.connection_id_of("tok-alice");
    let api = sdk(&gw);

    let payload = json!({"type": "booking_status", "status": "cancelled"}).to_string();
    api.post_to_connection()
        .connection_id(&id)
        .data(Blob::new(payload.clone()))
        .send()
        .await
        .expect("post_to_connection");
    assert_eq!(c.recv_text().await, payload);

    let info = api
        .get_connection()
        .connection_id(&id)
        .send()
        .await
        .expect("get_connection");
    assert!(info.connected_at().is_some() && info.last_active_at().is_some());
    assert_eq!(info.identity().unwrap().source_ip(), Some("127.0.0.1"));

    api.delete_connection()
        .connection_id(&id)
        .send()
        .await
        .expect("delete_connection");
    c.closed().await;
    gw.wait_for_items(0).await;
    let gone = api
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new("late"))
        .send()
        .await;
    assert!(gone.unwrap_err().into_service_error().is_gone_exception());
}

#[tokio::test]
async fn unknown_connections_are_gone_for_every_call() {
    let (_backend, gw) = setup().await;
    let api = sdk(&gw);
    for id in ["AAAAAAAAAAAAAAA=", "a+b/c=d", "nope"] {
        let post = api
            .post_to_connection()
            .connection_id(id)
            .data(Blob::new("x"))
            .send()
            .await;
        assert!(
            post.unwrap_err().into_service_error().is_gone_exception(),
            "{id}"
        );
        let get = api.get_connection().connection_id(id).send().await;
        assert!(
            get.unwrap_err().into_service_error().is_gone_exception(),
            "{id}"
        );
        let del = api.delete_connection().connection_id(id).send().await;
        assert!(
            del.unwrap_err().into_service_error().is_gone_exception(),
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_push_over_128_kb_is_payload_too_large() {
    let (backend, gw) = setup().await;
    let mut c = Client::open(&gw.ws_url("type=chat&booking_id=b1&token=tok-alice")).await;
    c.recv_json().await;
    let id = backend.connection_id_of("tok-alice");
    let api = sdk(&gw);
    let err = api
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new(vec![b'z'; 131_073]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_payload_too_large_exception(), "{err:?}");
    // Exactly 128 KB is accepted.
    api.post_to_connection()
        .connection_id(&id)
        .data(Blob::new(vec![b'z'; 131_072]))
        .send()
        .await
        .unwrap();
    assert_eq!(c.recv_text().await.len(), 131_072);
}
