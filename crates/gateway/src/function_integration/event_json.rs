//! API Gateway's WebSocket proxy event (what the Lambda receives) and its answer.

use crate::event::{EventType, IntegrationResponse, RouteEvent};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use time::macros::format_description;
use time::OffsetDateTime;

/// `event` as API Gateway hands it to a Lambda proxy integration: `requestContext` (routeKey,
/// eventType, connectionId, domainName, stage, apiId, requestId, extendedRequestId,
/// requestTime, requestTimeEpoch, connectedAt, messageDirection, identity) and
/// `isBase64Encoded`; CONNECT adds `headers`, `multiValueHeaders`,
/// `queryStringParameters` and `multiValueQueryStringParameters` (null when there is no
/// query); MESSAGE adds `body` and `requestContext.messageId`; DISCONNECT adds
/// `disconnectStatusCode`, `disconnectReason` and the few headers AWS sends with it.
pub fn websocket_proxy_event(event: &RouteEvent, api_id: &str) -> Value {
    proxy_event(event, api_id, None)
}

/// [`websocket_proxy_event`] with `requestContext.authorizer`, what the `$connect`
/// authorizer allowed the connection with (its `context` and `principalId`).
pub(crate) fn proxy_event(event: &RouteEvent, api_id: &str, authorizer: Option<Value>) -> Value {
    let request_id = crate::ids::new_event_request_id();
    let mut identity = Map::new();
    if let Some(ua) = &event.user_agent {
        identity.insert("userAgent".into(), json!(ua));
    }
    identity.insert("sourceIp".into(), json!(event.source_ip));
    let mut context = Map::new();
    context.insert("routeKey".into(), json!(event.route_key));
    if event.event_type == EventType::Message {
        context.insert("messageId".into(), json!(crate::ids::new_message_id()));
    }
    if event.event_type == EventType::Disconnect {
        context.insert(
            "disconnectStatusCode".into(),
            json!(event.disconnect_status_code.unwrap_or(1005)),
        );
    }
    context.insert("eventType".into(), json!(event.event_type.as_str()));
    context.insert("extendedRequestId".into(), json!(request_id));
    context.insert("requestTime".into(), json!(clf_time(event.request_time_ms)));
    context.insert("messageDirection".into(), json!("IN"));
    if event.event_type == EventType::Disconnect {
        context.insert(
            "disconnectReason".into(),
            json!(event.disconnect_reason.clone().unwrap_or_default()),
        );
    }
    context.insert("stage".into(), json!(event.stage));
    context.insert("connectedAt".into(), json!(event.connected_at_ms));
    context.insert("requestTimeEpoch".into(), json!(event.request_time_ms));
    context.insert("identity".into(), Value::Object(identity));
    context.insert("requestId".into(), json!(request_id));
    context.insert("domainName".into(), json!(event.domain_name));
    context.insert("connectionId".into(), json!(event.connection_id));
    context.insert("apiId".into(), json!(api_id));
    if let Some(authorizer) = authorizer {
        context.insert("authorizer".into(), authorizer);
    }

    let mut out = Map::new();
    match event.event_type {
        EventType::Connect => {
            let headers = connect_headers(event);
            out.insert("headers".into(), single(&headers));
            out.insert("multiValueHeaders".into(), multi(&headers));
            let mut query: Vec<(String, String)> = event
                .query
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            query.sort();
            let (q, mq) = if query.is_empty() {
                (Value::Null, Value::Null)
            } else {
                (single(&query), multi(&query))
            };
            out.insert("queryStringParameters".into(), q);
            out.insert("multiValueQueryStringParameters".into(), mq);
        }
        EventType::Disconnect => {
            // What AWS sends with every `$disconnect`, whatever the client sent.
            let headers: Vec<(String, String)> = vec![
                ("Host".into(), event.domain_name.clone()),
                ("x-api-key".into(), String::new()),
                ("X-Forwarded-For".into(), String::new()),
                ("x-restapi".into(), String::new()),
            ];
            out.insert("headers".into(), single(&headers));
            out.insert("multiValueHeaders".into(), multi(&headers));
        }
        EventType::Message => {}
    }
    out.insert("requestContext".into(), Value::Object(context));
    if event.event_type == EventType::Message {
        out.insert("body".into(), json!(event.body.clone().unwrap_or_default()));
    }
    out.insert("isBase64Encoded".into(), json!(event.is_base64_encoded));
    Value::Object(out)
}

/// The upgrade request's headers as API Gateway forwards them: the client's, less the
/// hop-by-hop `Connection` and `Upgrade`, plus `X-Forwarded-*` and `X-Amzn-Trace-Id`.
fn connect_headers(event: &RouteEvent) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = event
        .headers
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("connection") && !k.eq_ignore_ascii_case("upgrade")
        })
        .map(|(k, v)| (canonical_header(k), v.clone()))
        .collect();
    let mut add = |name: &str, value: String| {
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
            headers.push((name.to_owned(), value));
        }
    };
    add("Host", event.domain_name.clone());
    add(
        "X-Amzn-Trace-Id",
        format!("Root={}", crate::ids::new_trace_root()),
    );
    add("X-Forwarded-For", event.source_ip.clone());
    let port = event
        .domain_name
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| p.parse::<u16>().is_ok())
        .unwrap_or("80");
    add("X-Forwarded-Port", port.to_owned());
    add("X-Forwarded-Proto", "http".to_owned());
    headers.sort();
    headers
}

/// `sec-websocket-key` → `Sec-WebSocket-Key`: the spelling clients send.
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| {
            if part.eq_ignore_ascii_case("websocket") {
                return "WebSocket".to_owned();
            }
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn single(pairs: &[(String, String)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn multi(pairs: &[(String, String)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.clone(), json!([v]))).collect())
}

/// `07/Jan/2019:09:20:57 +0000`.
fn clf_time(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    ))
    .unwrap_or_default()
}

/// The function's answer `{"statusCode": N, "body": "...", "headers": {...}}` as an
/// [`IntegrationResponse`] (nothing `after_open`: in Lambda mode the function pushes such
/// messages itself). A missing or invalid `statusCode`, or an answer that is not a JSON object,
/// is a 502, as API Gateway answers a malformed Lambda proxy response.
pub fn integration_response(response: &[u8]) -> IntegrationResponse {
    parse_answer(response).unwrap_or_else(malformed)
}

/// The function's answer, or why it is not a Lambda proxy answer.
pub(crate) fn parse_answer(response: &[u8]) -> Result<IntegrationResponse, &'static str> {
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(response) else {
        return Err("the function's answer is not a JSON object");
    };
    let status = match answer.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let Some(status) = status.filter(|s| (100..=599).contains(s)) else {
        return Err("the function's answer has no valid statusCode");
    };
    let base64 = answer.get("isBase64Encoded") == Some(&Value::Bool(true));
    let body = match answer.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if base64 => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| s.clone()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let mut headers = Vec::new();
    if let Some(Value::Object(h)) = answer.get("headers") {
        for (name, value) in h {
            if let Some(v) = header_value(value) {
                headers.push((name.clone(), v));
            }
        }
    }
    if let Some(Value::Object(h)) = answer.get("multiValueHeaders") {
        for (name, values) in h {
            let Value::Array(values) = values else {
                continue;
            };
            for v in values.iter().filter_map(header_value) {
                if !headers
                    .iter()
                    .any(|(n, x)| n.eq_ignore_ascii_case(name) && *x == v)
                {
                    headers.push((name.clone(), v));
                }
            }
        }
    }
    let mut out = IntegrationResponse::new(status as u16, body);
    out.headers = headers;
    Ok(out)
}

fn header_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn malformed(why: &str) -> IntegrationResponse {
    tracing::warn!(
        "{why}: answering 502 (a Lambda proxy answer is {{\"statusCode\": N, \"body\": \"...\"}})"
    );
    internal_error()
}

/// API Gateway's answer when the integration failed.
pub(crate) fn internal_error() -> IntegrationResponse {
    IntegrationResponse::new(502, r#"{"message": "Internal server error"}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf() {
        assert_eq!(clf_time(1_547_230_720_092), "11/Jan/2019:18:18:40 +0000");
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
    }

    #[test]
    fn header_names_are_spelled_as_clients_do() {
        assert_eq!(canonical_header("sec-websocket-key"), "Sec-WebSocket-Key");
        assert_eq!(canonical_header("x-amzn-trace-id"), "X-Amzn-Trace-Id");
        assert_eq!(canonical_header("host"), "Host");
    }

    #[test]
    fn the_authorizer_context_is_read_by_aws_lambda_events() {
        use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
        let meta = crate::event::ConnectionMeta {
            connection_id: "c".into(),
            connected_at_ms: 1,
            stage: "dev".into(),
            domain_name: "h".into(),
            source_ip: "127.0.0.1".into(),
            user_agent: None,
        };
        let mut event = meta.event("$default", EventType::Message);
        event.body = Some("hi".into());
        let authorizer = json!({"principalId": "user-1", "user": "ann", "n": 3});
        let v = proxy_event(&event, "local", Some(authorizer.clone()));
        assert_eq!(v["requestContext"]["authorizer"], authorizer);
        let e: ApiGatewayWebsocketProxyRequest = serde_json::from_value(v).expect("an event");
        let a = e.request_context.authorizer;
        assert_eq!(a.fields.get("principalId"), Some(&json!("user-1")));
        assert_eq!(a.fields.get("n"), Some(&json!(3)));
    }

    #[test]
    fn answers() {
        let a =
            integration_response(br#"{"statusCode": 401, "body": "no", "headers": {"X-A": "1"}}"#);
        assert_eq!((a.status, a.body.as_str()), (401, "no"));
        assert_eq!(a.header("x-a"), Some("1"));
        assert!(a.after_open.is_empty());
        assert_eq!(
            integration_response(br#"{"statusCode": "200"}"#).status,
            200
        );
        assert_eq!(integration_response(br#"{"body": "x"}"#).status, 502);
        assert_eq!(integration_response(br#"{"statusCode": 42}"#).status, 502);
        assert_eq!(integration_response(b"null").status, 502);
        assert_eq!(integration_response(b"not json").status, 502);
        let b = integration_response(
            br#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#,
        );
        assert_eq!(b.body, "hi");
    }
}
