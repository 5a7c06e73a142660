//! `@connections` with credentials set (`WSPROXY_ACCESS_KEY_ID`...): a local function signs
//! with the keys the gateway gave it, and works unchanged; a stranger's keys still fail.

use crate::common::{next_text, within, ws_request, PATIENCE};
use crate::connections_api::sdk;
use crate::lambda_setup::echo_function;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use futures::SinkExt as _;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::function_integration::{FunctionsConfig, LocalFunctionConfig};
use wsproxy_gateway::{Credentials, Gateway, GatewayConfig};

#[tokio::test]
async fn functions_sign_with_their_own_keys_and_strangers_get_403() {
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        credentials: Some(Credentials {
            access_key_id: "AKIDGATEWAY".into(),
            secret_access_key: "gateway-secret".into(),
        }),
        ..GatewayConfig::default()
    };
    let mut serving = Gateway::builder()
        .config(config)
        .functions(|endpoint| {
            let mut lambda = LocalFunctionConfig::new(echo_function());
            lambda.timeout = PATIENCE;
            lambda.env = vec![
                ("API_GATEWAY_ENDPOINT".into(), endpoint.to_owned()),
                // Overridden below: the last value is the function's, as in its process.
                ("AWS_ACCESS_KEY_ID".into(), "AKIDOVERRIDDEN".into()),
                ("AWS_ACCESS_KEY_ID".into(), "AKIDFUNCTION".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "function-secret".into()),
            ];
            FunctionsConfig::single(lambda)
        })
        .bind()
        .await
        .expect("start")
        .spawn();
    let addr = serving.local_addr();
    let req = ws_request(&format!("ws://{addr}/dev"), &[]);
    let (mut ws, _) = within("connect", tokio_tungstenite::connect_async(req))
        .await
        .expect("handshake");

    // The function pushes through @connections signed with AKIDFUNCTION.
    ws.send(Message::text("event")).await.unwrap();
    let event: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    let id = event["requestContext"]["connectionId"]
        .as_str()
        .unwrap_or_else(|| panic!("the function's own push, got {event}"))
        .to_owned();
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:hello");

    // The configured keys and the function's pass; a stranger's, a wrong secret for the
    // function's key, and the overridden key do not.
    for (key, secret) in [
        ("AKIDGATEWAY", "gateway-secret"),
        ("AKIDFUNCTION", "function-secret"),
    ] {
        sdk(addr, key, secret)
            .post_to_connection()
            .connection_id(id.as_str())
            .data(Blob::new(key))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(next_text(&mut ws).await, key);
    }
    for (key, secret) in [
        ("AKIDSTRANGER", "stranger-secret"),
        ("AKIDFUNCTION", "not-the-secret"),
        ("AKIDOVERRIDDEN", "function-secret"),
    ] {
        let err = sdk(addr, key, secret)
            .post_to_connection()
            .connection_id(id.as_str())
            .data(Blob::new("forged"))
            .send()
            .await
            .expect_err(key);
        let err = err.into_service_error();
        assert!(err.is_forbidden_exception(), "{key}: {err:?}");
    }
    drop(ws);
    within("shutdown", serving.shutdown())
        .await
        .expect("serve result");
}
