//! The Lambda mode's events are API Gateway's WebSocket proxy events: the same keys as the
//! fixtures of real events, and `aws_lambda_events` reads them back field for field.

use crate::common;
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use common::key_paths;
use serde_json::Value;
use std::collections::HashMap;
use wsproxy_gateway::function_integration::websocket_proxy_event;
use wsproxy_gateway::{EventType, RouteEvent};

fn route_event(event_type: EventType) -> RouteEvent {
    let route_key = match event_type {
        EventType::Connect => "$connect",
        EventType::Message => "$default",
        EventType::Disconnect => "$disconnect",
    };
    RouteEvent {
        route_key: route_key.into(),
        event_type,
        connection_id: "L0SM9cOFvHcCIhw=".into(),
        connected_at_ms: 1_707_503_007_396,
        request_time_ms: 1_707_503_008_941,
        stage: "dev".into(),
        domain_name: "127.0.0.1:8080".into(),
        source_ip: "127.0.0.1".into(),
        user_agent: Some("tester/1.0".into()),
        query: HashMap::new(),
        headers: HashMap::new(),
        body: None,
        is_base64_encoded: false,
        disconnect_status_code: None,
        disconnect_reason: None,
    }
}

fn connect_event() -> RouteEvent {
    let mut e = route_event(EventType::Connect);
    for (k, v) in [("type", "booking"), ("booking_id", "42"), ("token", "a+b=")] {
        e.query.insert(k.into(), v.into());
    }
    for (k, v) in [
        ("host", "127.0.0.1:8080"),
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
        ("user-agent", "tester/1.0"),
    ] {
        e.headers.insert(k.into(), v.into());
    }
    e
}

fn message_event() -> RouteEvent {
    let mut e = route_event(EventType::Message);
    e.body = Some(r#"{"action":"sendmessage","message":"hello"}"#.into());
    e
}

fn disconnect_event() -> RouteEvent {
    let mut e = route_event(EventType::Disconnect);
    e.disconnect_status_code = Some(1001);
    e.disconnect_reason = Some("Going away".into());
    e
}

fn fixture(name: &str) -> Value {
    common::fixture(&format!("apigw-websocket-{name}.json"))
}

#[test]
fn events_have_the_keys_of_real_events() {
    for (name, event) in [
        ("connect", connect_event()),
        ("message", message_event()),
        ("disconnect", disconnect_event()),
    ] {
        let ours = websocket_proxy_event(&event, "local");
        let real = fixture(name);
        assert_eq!(key_paths(&ours), key_paths(&real), "{name}: {ours:#}");
    }
}

#[test]
fn fixtures_are_read_by_aws_lambda_events() {
    for name in ["connect", "message", "disconnect"] {
        let e: ApiGatewayWebsocketProxyRequest = serde_json::from_value(fixture(name)).expect(name);
        assert_eq!(e.request_context.apiid.as_deref(), Some("abcd1234"));
    }
}

/// Reads `v` with aws_lambda_events, and checks that writing and reading it again changes
/// nothing.
fn read(v: &Value) -> ApiGatewayWebsocketProxyRequest {
    let e: ApiGatewayWebsocketProxyRequest = serde_json::from_value(v.clone()).expect("event");
    let again: ApiGatewayWebsocketProxyRequest =
        serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
    assert_eq!(e, again);
    e
}

#[test]
fn connect_round_trips() {
    let v = websocket_proxy_event(&connect_event(), "local");
    let e = read(&v);
    let c = &e.request_context;
    assert_eq!(c.route_key.as_deref(), Some("$connect"));
    assert_eq!(c.event_type.as_deref(), Some("CONNECT"));
    assert_eq!(c.connection_id.as_deref(), Some("L0SM9cOFvHcCIhw="));
    assert_eq!(c.connected_at, 1_707_503_007_396);
    assert_eq!(c.request_time_epoch, 1_707_503_008_941);
    assert_eq!(
        c.request_time.as_deref(),
        Some("09/Feb/2024:18:23:28 +0000")
    );
    assert_eq!(c.stage.as_deref(), Some("dev"));
    assert_eq!(c.domain_name.as_deref(), Some("127.0.0.1:8080"));
    assert_eq!(c.apiid.as_deref(), Some("local"));
    assert_eq!(c.message_direction.as_deref(), Some("IN"));
    assert_eq!(c.message_id, None);
    assert!(c.request_id.is_some() && c.request_id == c.extended_request_id);
    assert_eq!(c.identity.source_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(c.identity.user_agent.as_deref(), Some("tester/1.0"));
    let q = &e.query_string_parameters;
    assert_eq!(q.first("token"), Some("a+b="));
    assert_eq!(q.first("booking_id"), Some("42"));
    assert_eq!(
        e.multi_value_query_string_parameters.all("type"),
        Some(vec!["booking"])
    );
    assert_eq!(e.headers["sec-websocket-key"], "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(e.headers["x-forwarded-for"], "127.0.0.1");
    assert!(e.headers.get("connection").is_none() && e.headers.get("upgrade").is_none());
    assert_eq!(e.multi_value_headers["host"], "127.0.0.1:8080");
    assert!(v["headers"].get("Sec-WebSocket-Key").is_some(), "{v:#}");
    assert_eq!(e.body, None);
    assert!(!e.is_base64_encoded);
}

#[test]
fn connect_without_query_has_null_parameters() {
    let mut event = connect_event();
    event.query.clear();
    let v = websocket_proxy_event(&event, "local");
    assert_eq!(v["queryStringParameters"], Value::Null);
    assert_eq!(v["multiValueQueryStringParameters"], Value::Null);
    assert!(read(&v).query_string_parameters.is_empty());
}

#[test]
fn message_round_trips() {
    let mut event = message_event();
    let e = read(&websocket_proxy_event(&event, "local"));
    let c = &e.request_context;
    assert_eq!(c.event_type.as_deref(), Some("MESSAGE"));
    assert_eq!(c.route_key.as_deref(), Some("$default"));
    assert_eq!(c.message_id.as_ref().map(String::len), Some(16));
    assert_eq!(e.body.as_deref(), event.body.as_deref());
    assert!(!e.is_base64_encoded);
    assert!(e.headers.is_empty());

    event.body = Some("AAEC".into());
    event.is_base64_encoded = true;
    let binary = read(&websocket_proxy_event(&event, "local"));
    assert!(binary.is_base64_encoded);
    assert_eq!(binary.body.as_deref(), Some("AAEC"));
}

#[test]
fn disconnect_round_trips() {
    let e = read(&websocket_proxy_event(&disconnect_event(), "local"));
    let c = &e.request_context;
    assert_eq!(c.event_type.as_deref(), Some("DISCONNECT"));
    assert_eq!(c.route_key.as_deref(), Some("$disconnect"));
    assert_eq!(c.disconnect_status_code, Some(1001));
    assert_eq!(c.disconnect_reason.as_deref(), Some("Going away"));
    assert_eq!(e.headers["host"], "127.0.0.1:8080");
    assert_eq!(e.body, None);
}

#[test]
fn ids_are_new_for_each_event() {
    let a = websocket_proxy_event(&message_event(), "local");
    let b = websocket_proxy_event(&message_event(), "local");
    for key in ["requestId", "messageId"] {
        assert_ne!(a["requestContext"][key], b["requestContext"][key], "{key}");
    }
}
