//! Property test of the backend paths the core builds: for any `$connect` query, message
//! body and backend answer, every path the backend is called with is one of the contract's
//! endpoints, and where an id goes there is exactly one segment of unreserved characters
//! and `%XX` escapes that decodes back to an id the client or backend gave (so no `/`, `?`,
//! `#`, space or control character ever reaches the path unescaped). Ids the core refuses
//! make no call, and none of them (`.`, `..`, control characters, over 256 bytes) ever
//! becomes a segment. `long_run` (ignored) takes its case count from
//! `WSPROXY_PROPTEST_CASES`.

use async_trait::async_trait;
use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use wsproxy_core::{Backend, BackendError, MemoryRegistry, Proxy, PushError, Pusher};
use wsproxy_test_support::props;

/// The contract's endpoints; `{}` is where an id goes.
const ENDPOINTS: [&str; 8] = [
    "/api/ws/bookings/{}/connect",
    "/api/chat/ws/{}/connect",
    "/api/chat/ws/connect",
    "/api/notifications/ws/connect",
    "/api/chat/ws/{}/message",
    "/api/notifications/ws/message",
    "/api/ws/items-feed/message",
    "/api/chat/ws/{}/participants",
];

/// Records each path; answers as a cooperative backend, naming `answer_booking` in messages.
struct Recording {
    paths: Mutex<Vec<String>>,
    answer_booking: Value,
}

#[async_trait]
impl Backend for Recording {
    async fn post(&self, path: &str, _body: &Value) -> Result<Value, BackendError> {
        self.paths.lock().unwrap().push(path.to_owned());
        Ok(json!({
            "user_id": "u1",
            "booking_id": self.answer_booking,
            "owner_id": "o1",
            "renter_id": "r1",
            "broadcast": true,
        }))
    }
}

struct Silent;

#[async_trait]
impl Pusher for Silent {
    async fn push(&self, _connection_id: &str, _data: Bytes) -> Result<(), PushError> {
        Ok(())
    }
}

/// The id segment of `path` if it is one of [`ENDPOINTS`] (`Some(None)` for those without).
fn endpoint_segment(path: &str) -> Option<Option<String>> {
    ENDPOINTS
        .iter()
        .find_map(|template| match template.split_once("{}") {
            None => (path == *template).then_some(None),
            Some((before, after)) => {
                let id = path.strip_prefix(before)?.strip_suffix(after)?;
                Some(Some(id.to_owned()))
            }
        })
}

/// True when `s` is non-empty and only unreserved characters and `%XX` escapes.
fn escaped_segment(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => i += 1,
            b'%' if i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit() =>
            {
                i += 3
            }
            _ => return false,
        }
    }
    !s.is_empty()
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9]{1,8}",
        Just(".".to_owned()),
        Just("..".to_owned()),
        "[./?#% \\\\]{1,4}",
        "[\\x00-\\x1f\\x7f]{1,3}",
    ]
}

/// A JSON id as clients send it: a string or a number.
fn json_id() -> impl Strategy<Value = Value> {
    prop_oneof![
        id().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null)
    ]
}

#[derive(Debug, Clone)]
struct Case {
    query: HashMap<String, String>,
    body: String,
    answer_booking: Value,
}

fn cases() -> impl Strategy<Value = Case> {
    let kind = prop_oneof![
        Just("booking".to_owned()),
        Just("chat".to_owned()),
        Just("notification".to_owned()),
        Just("feed".to_owned()),
        any::<String>(),
    ];
    let body = prop_oneof![
        json_id().prop_map(|b| json!({"booking_id": b, "token": "t", "text": "hi"}).to_string()),
        any::<String>(),
    ];
    (kind, proptest::option::of(id()), body, json_id()).prop_map(
        |(kind, booking, body, answer_booking)| {
            let mut query = HashMap::from([
                ("type".to_owned(), kind),
                ("token".to_owned(), "t".to_owned()),
            ]);
            if let Some(b) = booking {
                query.insert("booking_id".to_owned(), b);
            }
            Case {
                query,
                body,
                answer_booking,
            }
        },
    )
}

/// The ids a case gives (query, body, backend answer), as the core reads them.
fn given_ids(case: &Case) -> Vec<String> {
    let mut ids: Vec<String> = case.query.get("booking_id").cloned().into_iter().collect();
    let body: Value = serde_json::from_str(&case.body).unwrap_or(Value::Null);
    for v in [&body["booking_id"], &case.answer_booking] {
        match v {
            Value::String(s) => ids.push(s.clone()),
            Value::Number(n) => ids.push(n.to_string()),
            _ => {}
        }
    }
    ids
}

fn property(cases_to_run: u32) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = TestRunner::new(props::config(cases_to_run)).run(&cases(), |case| {
        let backend = Arc::new(Recording {
            paths: Mutex::new(Vec::new()),
            answer_booking: case.answer_booking.clone(),
        });
        let proxy = Proxy::new(
            Arc::new(MemoryRegistry::new()),
            backend.clone(),
            Arc::new(Silent),
        );
        rt.block_on(async {
            proxy.connect("c1", &case.query).await;
            proxy.message("c1", &case.body).await;
        });
        let ids = given_ids(&case);
        for path in backend.paths.lock().unwrap().iter() {
            let segment = endpoint_segment(path);
            prop_assert!(
                segment.is_some(),
                "not a contract endpoint: {path:?} ({case:?})"
            );
            if let Some(Some(segment)) = segment {
                prop_assert!(
                    escaped_segment(&segment),
                    "unescaped id in {path:?} ({case:?})"
                );
                let decoded = percent_encoding::percent_decode_str(&segment)
                    .decode_utf8()
                    .expect("an escaped UTF-8 id");
                let decoded = decoded.into_owned();
                prop_assert!(
                    decoded != "." && decoded != "..",
                    "a dot segment reroutes {path:?} ({case:?})"
                );
                prop_assert!(
                    !decoded.chars().any(char::is_control) && decoded.len() <= 256,
                    "an id the core refuses reached {path:?} ({case:?})"
                );
                prop_assert!(
                    ids.contains(&decoded),
                    "{path:?} names no given id ({case:?})"
                );
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn backend_paths_are_endpoints_with_one_escaped_id() {
    property(1000);
}

#[test]
#[ignore = "long run: WSPROXY_PROPTEST_CASES cases (default 5000)"]
fn long_run() {
    let cases = props::long_run_cases();
    let started = Instant::now();
    property(cases);
    eprintln!("backend paths: {cases} cases in {:.1?}", started.elapsed());
}
