//! The handler called directly, with no function process: API Gateway's recorded events
//! (`wsproxy_test_support::fixtures`) into [`Host::handle`], over the in-memory registry,
//! with one local HTTP server standing for the backend, the `@connections` API and the
//! Lambda Invoke API, each recording what it was sent.

use crate::{Config, Delivery, Host};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use wsproxy_core::{MemoryRegistry, Registry};
use wsproxy_test_support::fixtures::{
    APIGW_CONNECT as CONNECT, APIGW_DISCONNECT as DISCONNECT, APIGW_MESSAGE as MESSAGE,
};

/// The connection id of the three fixtures.
const ID: &str = "TWegAcC4EowCHnA=";

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("a fixture")
}

/// What the local server was sent.
#[derive(Default)]
struct Seen {
    /// Backend calls: path and body.
    backend: Vec<(String, Value)>,
    /// `@connections` posts: connection id and data.
    pushes: Vec<(String, String)>,
    /// Invoke API calls: function name and payload.
    invocations: Vec<(String, Value)>,
}

type Record = Arc<Mutex<Seen>>;

/// The backend: a connect with token `refused` gets 403; a chat connect is accepted for
/// `alice`; a booking connect answers an `initial` message; a chat message is echoed.
async fn backend(
    State(seen): State<Record>,
    Path(path): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    seen.lock()
        .unwrap()
        .backend
        .push((path.clone(), body.clone()));
    if body["token"] == "refused" {
        return (StatusCode::FORBIDDEN, Json(json!({"detail": "not yours"})));
    }
    let answer = match path.as_str() {
        "ws/bookings/42/connect" => json!({"initial": {"type": "snapshot", "n": 1}}),
        "chat/ws/42/connect" => {
            json!({"user_id": "alice", "booking_id": "42", "thread_id": "t1", "status": "ok"})
        }
        _ => json!({"echo": body["message"]}),
    };
    (StatusCode::OK, Json(answer))
}

async fn connections_api(
    State(seen): State<Record>,
    Path((_stage, id)): Path<(String, String)>,
    data: String,
) -> StatusCode {
    seen.lock().unwrap().pushes.push((id, data));
    StatusCode::OK
}

async fn invoke_api(
    State(seen): State<Record>,
    Path(name): Path<String>,
    payload: String,
) -> StatusCode {
    let payload = serde_json::from_str(&payload).expect("a JSON payload");
    seen.lock().unwrap().invocations.push((name, payload));
    StatusCode::ACCEPTED
}

/// A host over the in-memory registry whose backend, `@connections` endpoint and Lambda
/// endpoint are one recording local server.
async fn host() -> (Host, Arc<MemoryRegistry>, Record) {
    let seen = Record::default();
    let app = Router::new()
        .route("/api/{*path}", post(backend))
        .route("/{stage}/@connections/{id}", post(connections_api))
        .route("/2015-03-31/functions/{name}/invocations", post(invoke_api))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = Config {
        endpoint: Some(format!("{url}/prod")),
        function_name: Some("wsproxy-test".into()),
        ..Config::new(&url)
    };
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("AKID", "secret", None, None, "test"),
            ),
        )
        .endpoint_url(&url)
        .build();
    let registry = Arc::new(MemoryRegistry::new());
    let host = Host::with_registry(config, registry.clone(), &sdk).expect("a host");
    (host, registry, seen)
}

fn status_and_body(answer: &Value) -> (u64, Value) {
    let body = answer["body"].as_str().expect("a text body");
    (
        answer["statusCode"].as_u64().expect("a status"),
        serde_json::from_str(body).expect("a JSON body"),
    )
}

#[tokio::test]
async fn a_booking_socket_connects_gets_its_initial_message_talks_and_disconnects() {
    let (host, registry, seen) = host().await;

    let (status, _) = status_and_body(&host.handle(fixture(CONNECT)).await);
    assert_eq!(status, 200);
    assert_eq!(registry.len(), 1);
    assert_eq!(
        registry.by_partition("42").await.unwrap()[0].connection_id,
        ID
    );
    let (path, body) = seen.lock().unwrap().backend[0].clone();
    assert_eq!(path, "ws/bookings/42/connect");
    assert_eq!(body, json!({"connection_id": ID, "token": "abc"}));
    // The initial message is not pushed during `$connect` (API Gateway would refuse it):
    // the function invokes itself with a delivery event instead.
    assert!(seen.lock().unwrap().pushes.is_empty());
    let (name, delivery) = seen.lock().unwrap().invocations[0].clone();
    assert_eq!(name, "wsproxy-test");
    let delivery = Delivery::recognise(&delivery).expect("a delivery event");
    assert_eq!(delivery.connection_id, ID);
    assert_eq!(delivery.messages, vec![json!({"type": "snapshot", "n": 1})]);

    let answer = host.handle(delivery.to_event()).await;
    assert_eq!(answer["delivered"], 1, "{answer}");
    let pushed = seen.lock().unwrap().pushes.clone();
    assert_eq!(
        pushed,
        vec![(ID.to_owned(), r#"{"n":1,"type":"snapshot"}"#.to_owned())]
    );

    // A booking socket's message is acknowledged to the sender, without a backend call.
    let (status, _) = status_and_body(&host.handle(fixture(MESSAGE)).await);
    assert_eq!(status, 200);
    let pushed = seen.lock().unwrap().pushes[1].clone();
    assert_eq!(pushed.0, ID);
    assert_eq!(
        serde_json::from_str::<Value>(&pushed.1).unwrap(),
        json!({"type": "ack", "message": "Received"})
    );
    assert_eq!(seen.lock().unwrap().backend.len(), 1);

    let (status, _) = status_and_body(&host.handle(fixture(DISCONNECT)).await);
    assert_eq!(status, 200);
    assert!(registry.is_empty());
    // A message after the disconnect finds no connection.
    let (status, body) = status_and_body(&host.handle(fixture(MESSAGE)).await);
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("not found"),
        "{body}"
    );
}

#[tokio::test]
async fn a_connect_the_backend_refuses_registers_nothing_and_schedules_nothing() {
    let (host, registry, seen) = host().await;
    let mut event = fixture(CONNECT);
    event["queryStringParameters"]["token"] = json!("refused");
    let (status, body) = status_and_body(&host.handle(event).await);
    assert_eq!(status, 403, "{body}");
    assert!(registry.is_empty());
    assert!(seen.lock().unwrap().invocations.is_empty());
    assert!(seen.lock().unwrap().pushes.is_empty());
}

#[tokio::test]
async fn a_chat_message_reaches_the_backend_and_its_answer_the_sender_with_exact_numbers() {
    let (host, _registry, seen) = host().await;
    let mut connect = fixture(CONNECT);
    connect["queryStringParameters"]["type"] = json!("chat");
    let (status, _) = status_and_body(&host.handle(connect).await);
    assert_eq!(status, 200);
    let mut message = fixture(MESSAGE);
    message["body"] = json!(r#"{"text":"hi","n":123456789012345678901234567890}"#);
    let (status, _) = status_and_body(&host.handle(message).await);
    assert_eq!(status, 200);
    let seen = seen.lock().unwrap();
    let (path, body) = seen.backend.last().unwrap().clone();
    assert_eq!(path, "chat/ws/42/message");
    assert_eq!(
        body["message"]["n"].to_string(),
        "123456789012345678901234567890"
    );
    let (to, data) = seen.pushes.last().unwrap().clone();
    assert_eq!(to, ID);
    assert!(data.contains("123456789012345678901234567890"), "{data}");
}

#[tokio::test]
async fn events_that_are_not_api_gateways_get_400_with_the_reason() {
    let (host, _registry, seen) = host().await;
    let mut no_route = fixture(MESSAGE);
    no_route["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("routeKey");
    for (event, reason) in [
        (json!({}), "malformed event"),
        (json!([1]), "malformed event"),
        (no_route, "routeKey"),
    ] {
        let (status, body) = status_and_body(&host.handle(event.clone()).await);
        assert_eq!(status, 400, "{event}");
        assert!(body["error"].as_str().unwrap().contains(reason), "{body}");
    }
    assert!(seen.lock().unwrap().backend.is_empty());
}
