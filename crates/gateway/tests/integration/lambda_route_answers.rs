//! A route's answer is the function's Lambda proxy answer: a runtime driven by hand (no
//! function process runs, `concurrency: 0`) answers the events of [`FunctionIntegration`].

use crate::common::{http, within};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use wsproxy_gateway::function_integration::{FunctionIntegration, LocalFunctionConfig};
use wsproxy_gateway::{EventType, Integration, RouteEvent};

async fn start() -> Arc<FunctionIntegration> {
    let mut config = LocalFunctionConfig::new("/no/bootstrap/needed");
    config.concurrency = 0;
    config.function_name = "hand-run".into();
    Arc::new(FunctionIntegration::start(config).await.expect("start"))
}

fn runtime(lambda: &FunctionIntegration, path: &str) -> String {
    format!(
        "http://{}/2018-06-01/runtime/{path}",
        lambda.function().runtime_api_addr()
    )
}

/// `GET /next`: the invocation's id and payload.
async fn next(lambda: &FunctionIntegration) -> (String, serde_json::Value) {
    let a = http("GET", &runtime(lambda, "invocation/next"), "").await;
    assert_eq!(a.status, 200, "{a:?}");
    let id = a.headers["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    (id, a.json())
}

fn event(event_type: EventType) -> RouteEvent {
    RouteEvent {
        route_key: "$connect".into(),
        event_type,
        connection_id: "L0SM9cOFvHcCIhw=".into(),
        connected_at_ms: 1,
        request_time_ms: 2,
        stage: "dev".into(),
        domain_name: "127.0.0.1:1".into(),
        source_ip: "127.0.0.1".into(),
        user_agent: None,
        query: HashMap::new(),
        headers: HashMap::new(),
        body: None,
        is_base64_encoded: false,
        disconnect_status_code: None,
        disconnect_reason: None,
    }
}

#[tokio::test]
async fn route_answers_come_from_the_function_response() {
    let lambda = start().await;
    let cases = [
        (
            json!({"statusCode": 403, "body": "no", "headers": {"Sec-WebSocket-Protocol": "chat"}}),
            403,
            "no",
        ),
        (json!({"statusCode": 200}), 200, ""),
        (
            json!({"body": "no status"}),
            502,
            r#"{"message": "Internal server error"}"#,
        ),
        (
            json!("not an object"),
            502,
            r#"{"message": "Internal server error"}"#,
        ),
    ];
    for (response, status, body) in cases {
        let handling = {
            let lambda = lambda.clone();
            tokio::spawn(async move { lambda.handle(event(EventType::Connect)).await })
        };
        let (id, payload) = next(&lambda).await;
        assert_eq!(payload["requestContext"]["eventType"], "CONNECT");
        let a = http(
            "POST",
            &runtime(&lambda, &format!("invocation/{id}/response")),
            response.to_string(),
        )
        .await;
        assert_eq!(a.status, 202);
        let answer = within("the route answer", handling).await.unwrap();
        assert_eq!((answer.status, answer.body.as_str()), (status, body));
        assert!(answer.after_open.is_empty());
        if status == 403 {
            assert_eq!(answer.header("sec-websocket-protocol"), Some("chat"));
        }
    }

    // A function error is a 502 too.
    let handling = {
        let lambda = lambda.clone();
        tokio::spawn(async move { lambda.handle(event(EventType::Message)).await })
    };
    let (id, _) = next(&lambda).await;
    http(
        "POST",
        &runtime(&lambda, &format!("invocation/{id}/error")),
        r#"{"errorMessage":"x","errorType":"E"}"#,
    )
    .await;
    assert_eq!(within("the answer", handling).await.unwrap().status, 502);

    // After shutdown, events answer 502 at once.
    lambda.shutdown().await;
    assert_eq!(
        lambda.handle(event(EventType::Disconnect)).await.status,
        502
    );
}
