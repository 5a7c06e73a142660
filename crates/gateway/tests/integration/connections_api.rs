//! The `@connections` management API, over plain HTTP and with the real AWS SDK client.

use crate::common::*;
use aws_sdk_apigatewaymanagement as mgmt;
use futures::StreamExt as _;
use mgmt::primitives::Blob;
use std::net::SocketAddr;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use wsproxy_gateway::{Credentials, EventType, GatewayConfig};

pub(crate) fn sdk(addr: SocketAddr, key: &str, secret: &str) -> mgmt::Client {
    let conf = mgmt::Config::builder()
        .behavior_version(mgmt::config::BehaviorVersion::latest())
        .region(mgmt::config::Region::new("us-east-1"))
        .endpoint_url(format!("http://{addr}/dev"))
        .credentials_provider(mgmt::config::Credentials::new(
            key, secret, None, None, "test",
        ))
        .build();
    mgmt::Client::from_conf(conf)
}

#[tokio::test]
async fn post_get_delete_over_http() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let (mut ws, id) = gw.connect("").await;

    for encoded in [false, true] {
        let r = http("POST", &connections_url(gw.addr, &id, encoded), "hi there").await;
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.body.is_empty());
        assert!(r.headers.contains_key("x-amzn-requestid"));
        assert_eq!(next_text(&mut ws).await, "hi there");
    }

    let r = http("GET", &connections_url(gw.addr, &id, true), "").await;
    assert_eq!(r.status, 200);
    let info = r.json();
    for field in ["connectedAt", "lastActiveAt"] {
        let at = info[field].as_str().unwrap();
        assert!(
            at.len() == 24 && at.ends_with('Z') && at.contains('T'),
            "{field}: {at}"
        );
    }
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert!(info["identity"].get("userAgent").is_some());

    // 128 KB passes, one byte more is 413.
    let r = http(
        "POST",
        &connections_url(gw.addr, &id, true),
        vec![b'a'; 128 * 1024],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(next_text(&mut ws).await.len(), 128 * 1024);
    let r = http(
        "POST",
        &connections_url(gw.addr, &id, true),
        vec![b'a'; 128 * 1024 + 1],
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error_type(), Some("PayloadTooLargeException"));

    let r = http("DELETE", &connections_url(gw.addr, &id, true), "").await;
    assert_eq!(r.status, 204);
    let frame = expect_close(&mut ws).await.unwrap();
    assert_eq!(frame.code, CloseCode::Normal);
    let d = gw.recorder.disconnect_of(&id).await;
    assert_eq!(d.disconnect_status_code, Some(1000));
    assert_eq!(
        d.disconnect_reason.as_deref(),
        Some("Connection Closed Normally")
    );

    for method in ["POST", "GET", "DELETE"] {
        let r = http(method, &connections_url(gw.addr, &id, true), "late").await;
        assert_eq!(r.status, 410, "{method}");
        assert_eq!(r.error_type(), Some("GoneException"));
        assert!(r.json()["message"].is_string());
    }
}

#[tokio::test]
async fn unknown_and_refused_connections_are_gone() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let r = http(
        "POST",
        &connections_url(gw.addr, "L0SM9cOFvHcCIhw=", true),
        "x",
    )
    .await;
    assert_eq!(r.status, 410);
    assert_eq!(r.error_type(), Some("GoneException"));
    assert_eq!(r.headers["content-type"], "application/json");

    let _ = tokio_tungstenite::connect_async(gw.ws_url("deny=1"))
        .await
        .unwrap_err();
    let refused = gw
        .recorder
        .wait_for("$connect", |e| e.event_type == EventType::Connect)
        .await;
    let r = http(
        "POST",
        &connections_url(gw.addr, &refused.connection_id, true),
        "x",
    )
    .await;
    assert_eq!(r.status, 410);
}

#[tokio::test]
async fn the_aws_sdk_works_unchanged() {
    let gw = TestGateway::start(GatewayConfig::default()).await;
    let client = sdk(gw.addr, "AKIDTEST", "test-secret");

    // Collect ids with '+' and '/' (the '=' is always there) to exercise URL encoding.
    let mut kept = Vec::new();
    for _ in 0..300 {
        let (ws, id) = gw.connect("").await;
        let wanted = (id.contains('+')
            && !kept.iter().any(|(_, i): &(Ws, String)| i.contains('+')))
            || (id.contains('/') && !kept.iter().any(|(_, i): &(Ws, String)| i.contains('/')));
        if wanted {
            kept.push((ws, id));
        }
        if kept.len() == 2 || kept.iter().any(|(_, i)| i.contains('+') && i.contains('/')) {
            break;
        }
    }
    assert!(kept.iter().any(|(_, i)| i.contains('+')) && kept.iter().any(|(_, i)| i.contains('/')));

    for (ws, id) in &mut kept {
        client
            .post_to_connection()
            .connection_id(id.as_str())
            .data(Blob::new(r#"{"from":"sdk"}"#))
            .send()
            .await
            .unwrap_or_else(|e| panic!("post to {id}: {e:?}"));
        assert_eq!(next_text(ws).await, r#"{"from":"sdk"}"#);

        let info = client
            .get_connection()
            .connection_id(id.as_str())
            .send()
            .await
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let connected = info.connected_at().unwrap().secs();
        assert!(
            (now - connected).abs() < 600,
            "connectedAt {connected} vs now {now}"
        );
        assert!(info.last_active_at().is_some());
        assert_eq!(info.identity().unwrap().source_ip(), Some("127.0.0.1"));

        client
            .delete_connection()
            .connection_id(id.as_str())
            .send()
            .await
            .unwrap();
        assert!(expect_close(ws).await.is_some());
        gw.recorder.disconnect_of(id).await;

        let err = client
            .post_to_connection()
            .connection_id(id.as_str())
            .data(Blob::new("late"))
            .send()
            .await
            .expect_err("gone after delete");
        assert!(err.into_service_error().is_gone_exception());
    }

    let err = client
        .get_connection()
        .connection_id("L0SM9cOFvHcCIhw=")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_gone_exception());
    let err = client
        .delete_connection()
        .connection_id("a+b/c=")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_gone_exception());
    let err = client
        .post_to_connection()
        .connection_id("L0SM9cOFvHcCIhw=")
        .data(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_gone_exception());
}

#[tokio::test]
async fn with_credentials_only_valid_signatures_pass() {
    let gw = TestGateway::start(GatewayConfig {
        credentials: Some(Credentials {
            access_key_id: "AKIDLOCAL".into(),
            secret_access_key: "local-secret".into(),
        }),
        ..GatewayConfig::default()
    })
    .await;
    let (mut ws, id) = gw.connect("").await;

    let good = sdk(gw.addr, "AKIDLOCAL", "local-secret");
    good.post_to_connection()
        .connection_id(id.as_str())
        .data(Blob::new("signed"))
        .send()
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await, "signed");
    good.get_connection()
        .connection_id(id.as_str())
        .send()
        .await
        .unwrap();

    let wrong_secret = sdk(gw.addr, "AKIDLOCAL", "not-the-secret");
    let err = wrong_secret
        .post_to_connection()
        .connection_id(id.as_str())
        .data(Blob::new("forged"))
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_forbidden_exception(), "{err:?}");
    let err = sdk(gw.addr, "AKIDOTHER", "local-secret")
        .get_connection()
        .connection_id(id.as_str())
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_forbidden_exception());

    let r = http("POST", &connections_url(gw.addr, &id, true), "unsigned").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_type(), Some("ForbiddenException"));

    good.delete_connection()
        .connection_id(id.as_str())
        .send()
        .await
        .unwrap();
    assert!(expect_close(&mut ws).await.is_some());
    assert!(ws.next().await.is_none());
}
