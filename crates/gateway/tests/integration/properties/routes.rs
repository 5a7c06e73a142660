//! Route selection on any message: a configured route key exactly when the selected value
//! names one, else `$default`; any expression is accepted or refused, never a panic.

use super::{check, runtime};
use crate::common::TestGateway;
use futures::SinkExt as _;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_tungstenite::tungstenite::Message;
use wsproxy_gateway::{GatewayConfig, RouteSelector, DEFAULT_ROUTE};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9$]{0,6}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The route a value at the expression's path selects, by API Gateway's rule.
fn expected(value: &Value, routes: &[String]) -> String {
    let key = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return DEFAULT_ROUTE.to_owned(),
    };
    if routes.contains(&key) {
        key
    } else {
        DEFAULT_ROUTE.to_owned()
    }
}

/// Puts `value` at `path` inside `around` (an object at every step).
fn nest(path: &[String], value: Value, around: Value) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return value;
    };
    let mut map = match around {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let inner = map.remove(first).unwrap_or(Value::Null);
    map.insert(first.clone(), nest(rest, value, inner));
    Value::Object(map)
}

pub(super) fn selection(cases: u32) {
    let routes = proptest::collection::vec("[a-z0-9]{1,4}|true|false|1\\.5", 0..4);
    let path = proptest::collection::vec("[a-z]{1,3}", 1..4);
    let input = (
        path,
        routes,
        json_value(),
        json_value(),
        any::<String>(),
        0..8usize,
    );
    check(cases, input, |(path, routes, value, around, raw, pick)| {
        let selector = RouteSelector::new(&format!("$request.body.{}", path.join(".")), &routes)
            .expect("a valid expression");
        // Half the time the value names a route: as a string, or typed (42, true, 1.5).
        let value = match routes.get(pick) {
            Some(route) if pick % 2 == 0 => json!(route),
            Some(route) => serde_json::from_str(route).unwrap_or_else(|_| json!(route)),
            None => value,
        };
        let body = nest(&path, value.clone(), around);
        assert_eq!(
            selector.select(&body.to_string()),
            expected(&value, &routes),
            "{body}"
        );
        let any = selector.select(&raw);
        assert!(
            any == DEFAULT_ROUTE || routes.contains(&any),
            "{raw:?} -> {any}"
        );
    });
}

pub(super) fn expressions(cases: u32) {
    let expression = prop_oneof![
        any::<String>(),
        "\\$\\{?request\\.body\\.[a-z.]{0,8}\\}?",
        "\\$request\\.[a-z]{0,6}\\.[a-z.]{0,6}",
    ];
    let routes = proptest::collection::vec(any::<String>(), 0..3);
    check(
        cases,
        (expression, routes, any::<String>()),
        |(e, routes, body)| {
            if let Ok(selector) = RouteSelector::new(&e, &routes) {
                let route = selector.select(&body);
                assert!(route == DEFAULT_ROUTE || routes.contains(&route));
            }
        },
    );
}

/// The same rule through a real socket: the route key of each message event the gateway
/// hands its integration (default expression `$request.body.action`).
pub(super) fn through_the_gateway(cases: u32) {
    let routes: Vec<String> = ["sendmessage", "42", "true", "1.5"]
        .map(String::from)
        .to_vec();
    let rt = runtime();
    let gw = rt.block_on(TestGateway::start(GatewayConfig {
        routes: routes.clone(),
        ..GatewayConfig::default()
    }));
    let (ws, id) = rt.block_on(gw.connect(""));
    let ws = tokio::sync::Mutex::new(ws);
    let sent = AtomicUsize::new(0);
    let action = prop_oneof![
        proptest::sample::select(routes.clone()).prop_map(Value::String),
        Just(json!(42)),
        Just(json!(true)),
        Just(json!(1.5)),
        json_value(),
    ];
    check(cases, (action, any::<bool>()), |(action, as_json)| {
        let body = if as_json {
            json!({"action": action, "n": sent.load(Ordering::SeqCst)}).to_string()
        } else {
            action.to_string()
        };
        let n = sent.fetch_add(1, Ordering::SeqCst) + 1;
        rt.block_on(async {
            let mut ws = ws.lock().await;
            ws.send(Message::text(body.clone())).await.expect("send");
            let events = gw.recorder.messages_of(&id, n).await;
            let want = if as_json {
                expected(&action, &routes)
            } else {
                DEFAULT_ROUTE.to_owned()
            };
            assert_eq!(events[n - 1].body.as_deref(), Some(body.as_str()));
            assert_eq!(events[n - 1].route_key, want, "{body}");
        });
    });
}

#[test]
fn the_gateway_routes_each_message_by_the_rule() {
    through_the_gateway(200);
}

#[test]
fn a_route_is_selected_exactly_when_the_value_names_it() {
    selection(1000);
}

#[test]
fn any_expression_is_accepted_or_refused() {
    expressions(500);
}
