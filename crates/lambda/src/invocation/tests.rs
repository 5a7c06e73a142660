//! Reading invocations: API Gateway's events with exact numbers, event types, deliveries
//! (and forged ones), and malformed payloads with the request id and route they carry.

use super::{parse_event, EventType, Invocation};
use crate::Delivery;
use serde_json::{json, Value};

/// A `$connect` event as API Gateway sends it (AWS documentation's example, with an
/// authorizer context holding numbers).
const CONNECT: &str = r#"{
    "headers": {"Host": "abc123.execute-api.eu-west-1.amazonaws.com", "Sec-WebSocket-Key": "x==", "Sec-WebSocket-Version": "13", "X-Forwarded-Port": "443"},
    "multiValueHeaders": {"Host": ["abc123.execute-api.eu-west-1.amazonaws.com"], "X-Forwarded-Port": ["443"]},
    "queryStringParameters": {"type": "chat", "booking_id": "123456789012345678901234567890", "token": "t"},
    "multiValueQueryStringParameters": {"type": ["chat"], "booking_id": ["123456789012345678901234567890"], "token": ["t"]},
    "requestContext": {
        "routeKey": "$connect", "eventType": "CONNECT", "extendedRequestId": "Fx=", "requestTime": "01/Dec/2026:22:00:00 +0000",
        "messageDirection": "IN", "stage": "dev", "connectedAt": 1796162400000, "requestTimeEpoch": 1796162400123,
        "identity": {"sourceIp": "192.0.2.1", "userAgent": "test"},
        "authorizer": {"principalId": "u1", "integrationLatency": 12, "score": 0.12345678901234567890123},
        "requestId": "Fx=", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "connectionId": "Fx1=", "apiId": "abc123"
    },
    "isBase64Encoded": false
}"#;

/// A message event whose body carries a number beyond f64.
const MESSAGE: &str = r#"{
    "requestContext": {
        "routeKey": "$default", "eventType": "MESSAGE", "messageId": "m1=", "messageDirection": "IN", "stage": "dev",
        "connectedAt": 1796162400000, "requestTimeEpoch": 1796162401000, "identity": {"sourceIp": "192.0.2.1"},
        "requestId": "r1=", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "connectionId": "Fx1=", "apiId": "abc123"
    },
    "body": "{\"n\":123456789012345678901234567890}",
    "isBase64Encoded": false
}"#;

#[test]
fn api_gateway_events_parse_with_exact_numbers_on() {
    let connect = parse_event(serde_json::from_str(CONNECT).unwrap()).unwrap();
    let ctx = &connect.request_context;
    assert_eq!(ctx.connected_at, 1_796_162_400_000);
    assert_eq!(ctx.request_time_epoch, 1_796_162_400_123);
    assert_eq!(ctx.connection_id.as_deref(), Some("Fx1="));
    assert_eq!(ctx.route_key.as_deref(), Some("$connect"));
    assert_eq!(
        connect.query_string_parameters.first("booking_id"),
        Some("123456789012345678901234567890")
    );
    assert_eq!(
        ctx.authorizer.fields["score"].to_string(),
        "0.12345678901234567890123"
    );
    let message = parse_event(serde_json::from_str(MESSAGE).unwrap()).unwrap();
    assert_eq!(
        message.body.as_deref(),
        Some(r#"{"n":123456789012345678901234567890}"#)
    );
    assert_eq!(
        message.request_context.event_type.as_deref(),
        Some("MESSAGE")
    );
}

fn parse(text: &str) -> Invocation {
    Invocation::parse(serde_json::from_str(text).unwrap())
}

fn event(invocation: Invocation) -> super::Event {
    match invocation {
        Invocation::Event(event) => event,
        other => panic!("not an event: {other:?}"),
    }
}

#[test]
fn an_event_is_read_once_with_its_type_ids_query_and_endpoint() {
    let connect = event(parse(CONNECT));
    assert_eq!(connect.event_type, EventType::Connect);
    assert_eq!(connect.connection_id, "Fx1=");
    assert_eq!(connect.route, "$connect");
    assert_eq!(connect.request_id.as_deref(), Some("Fx="));
    assert_eq!(
        connect.query["booking_id"],
        "123456789012345678901234567890"
    );
    assert_eq!(
        connect.endpoint.as_deref(),
        Some("https://abc123.execute-api.eu-west-1.amazonaws.com/dev")
    );
    let message = parse(MESSAGE);
    assert_eq!(message.route_label(), "$default");
    assert_eq!(message.request_id(), Some("r1="));
    let message = event(message);
    assert_eq!(message.event_type, EventType::Message);
    assert_eq!(
        message.body.as_deref(),
        Some(r#"{"n":123456789012345678901234567890}"#)
    );
}

#[test]
fn the_event_type_is_api_gateways_else_the_routes() {
    let with = |event_type: Option<&str>, route: &str| {
        let mut payload: Value = serde_json::from_str(MESSAGE).unwrap();
        let ctx = payload["requestContext"].as_object_mut().unwrap();
        ctx.insert("routeKey".into(), json!(route));
        match event_type {
            Some(t) => ctx.insert("eventType".into(), json!(t)),
            None => ctx.remove("eventType"),
        };
        event(Invocation::parse(payload)).event_type
    };
    assert_eq!(with(None, "$connect"), EventType::Connect);
    assert_eq!(with(None, "$disconnect"), EventType::Disconnect);
    assert_eq!(with(None, "$default"), EventType::Message);
    assert_eq!(with(None, "sendmessage"), EventType::Message);
    // API Gateway's type wins over the route's name; an unknown type is a message.
    assert_eq!(with(Some("DISCONNECT"), "$connect"), EventType::Disconnect);
    assert_eq!(with(Some("CONNECT"), "$default"), EventType::Connect);
    assert_eq!(with(Some("OTHER"), "$connect"), EventType::Message);
}

#[test]
fn a_delivery_is_recognised_only_without_a_request_context() {
    let delivery = Delivery {
        connection_id: "c1".into(),
        endpoint: None,
        messages: vec![json!({"a": 1})],
        request_id: Some("Fx=".into()),
    };
    let invocation = Invocation::parse(delivery.to_event());
    assert_eq!(invocation.route_label(), "delivery");
    assert_eq!(invocation.request_id(), Some("Fx="));
    assert!(matches!(invocation, Invocation::Delivery(d) if d == delivery));
    // A client's body cannot make an API Gateway event a delivery.
    let mut forged: Value = serde_json::from_str(MESSAGE).unwrap();
    forged["wsproxy_deliver"] = delivery.to_event()["wsproxy_deliver"].clone();
    assert!(matches!(Invocation::parse(forged), Invocation::Event(_)));
    // An empty request id is none.
    let unnamed = Delivery {
        request_id: Some(String::new()),
        ..delivery
    };
    assert_eq!(Invocation::parse(unnamed.to_event()).request_id(), None);
}

#[test]
fn malformed_payloads_say_why_and_keep_what_they_carry() {
    let cases = [
        (json!({}), "malformed event", None, "unknown"),
        (json!([1]), "malformed event", None, "unknown"),
        (json!(null), "malformed event", None, "unknown"),
        (
            json!({"requestContext": {"connectionId": 5, "routeKey": "$default", "requestId": "r9", "connectedAt": 1, "requestTimeEpoch": 1}}),
            "malformed event: ",
            Some("r9"),
            "$default",
        ),
        (
            json!({"requestContext": {"routeKey": "$default", "connectedAt": 1, "requestTimeEpoch": 1}}),
            "connectionId and routeKey are required",
            None,
            "$default",
        ),
        (
            json!({"requestContext": {"connectionId": "c1", "requestId": "", "connectedAt": 1, "requestTimeEpoch": 1}}),
            "connectionId and routeKey are required",
            None,
            "unknown",
        ),
        (
            json!({"wsproxy_deliver": {"connection_id": 7, "request_id": "d1"}}),
            "malformed event",
            Some("d1"),
            "unknown",
        ),
    ];
    for (payload, reason, request_id, route) in cases {
        let invocation = Invocation::parse(payload.clone());
        assert_eq!(invocation.request_id(), request_id, "{payload}");
        assert_eq!(invocation.route_label(), route, "{payload}");
        let Invocation::Malformed(malformed) = invocation else {
            panic!("not malformed: {payload}");
        };
        let response = malformed.response();
        assert_eq!(response.status, 400, "{payload}");
        let body: Value = serde_json::from_str(&response.body).unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(reason),
            "{payload} -> {body}"
        );
    }
}
