//! SigV4 on `@connections`: any `Authorization`/`X-Amz-Date` that is not a valid signature
//! of this request with the configured key is refused with 403 and delivers nothing; a
//! valid one passes, and changing any signed part of it makes it fail.

use super::{check, runtime};
use crate::common::{within, Ws};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use futures::StreamExt as _;
use http::{HeaderName, HeaderValue};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use proptest::prelude::*;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use time::macros::format_description;
use wsproxy_gateway::{Credentials, GatewayConfig};

const KEY: &str = "AKIDPROPS";
const SECRET: &str = "props-secret";

/// A gateway requiring signatures, one open socket, and every text that socket received.
struct Signed {
    gw: crate::common::TestGateway,
    id: String,
    received: Arc<Mutex<Vec<String>>>,
}

async fn start() -> Signed {
    let gw = crate::common::TestGateway::start(GatewayConfig {
        credentials: Some(Credentials {
            access_key_id: KEY.into(),
            secret_access_key: SECRET.into(),
        }),
        ..GatewayConfig::default()
    })
    .await;
    let (ws, id) = gw.connect("").await;
    let received = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn(drain(ws, received.clone()));
    Signed { gw, id, received }
}

async fn drain(mut ws: Ws, into: Arc<Mutex<Vec<String>>>) {
    while let Some(Ok(message)) = ws.next().await {
        if let Ok(text) = message.into_text() {
            into.lock().unwrap().push(text.as_str().to_owned());
        }
    }
}

fn path(id: &str) -> String {
    let id = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
    format!("/dev/@connections/{id}")
}

/// A request as sent: method, path, headers, body.
#[derive(Debug, Clone)]
struct Request {
    method: &'static str,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
}

async fn send(addr: SocketAddr, request: Request) -> u16 {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut builder = http::Request::builder()
        .method(request.method)
        .uri(format!("http://{addr}{}", request.path));
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    let req = builder.body(Full::new(Bytes::from(request.body))).unwrap();
    let res = within("an @connections answer", client.request(req))
        .await
        .expect("the gateway answers");
    let status = res.status().as_u16();
    let _ = res.into_body().collect().await;
    status
}

/// Signs like an AWS SDK: `host` and `x-amz-date` signed, the path double-encoded.
fn signed(addr: SocketAddr, method: &'static str, path: String, body: Vec<u8>) -> Request {
    let identity = aws_credential_types::Credentials::new(KEY, SECRET, None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let host = addr.to_string();
    let base = [("host", host.as_str())];
    let signable =
        SignableRequest::new(method, &path, base.into_iter(), SignableBody::Bytes(&body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut headers = vec![(
        HeaderName::from_static("host"),
        HeaderValue::from_str(&host).unwrap(),
    )];
    for (k, v) in instructions.headers() {
        headers.push((
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        ));
    }
    Request {
        method,
        path,
        headers,
        body,
    }
}

fn amz_date(time: SystemTime) -> String {
    time::OffsetDateTime::from(time)
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap()
}

/// Authorization values from raw bytes to nearly right SigV4 with a wrong signature.
fn authorization() -> impl Strategy<Value = Option<HeaderValue>> {
    let raw = proptest::collection::vec(any::<u8>(), 0..120)
        .prop_map(|b| HeaderValue::from_bytes(&b).ok());
    let today = amz_date(SystemTime::now())[..8].to_owned();
    let part = |good: &'static str| prop_oneof![Just(good.to_owned()), "[ -+\\--~]{0,12}"];
    let date = prop_oneof![Just(today), "[0-9]{8}", "[ -~]{0,10}"];
    let structured = (
        part(KEY),
        date,
        part("us-east-1"),
        part("execute-api"),
        part("host;x-amz-date"),
        "[0-9a-f]{64}|[ -~]{0,70}",
        any::<bool>(),
    )
        .prop_map(|(key, date, region, service, signed, signature, spaces)| {
            let sep = if spaces { ", " } else { "," };
            let value = format!(
                "AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{service}/aws4_request{sep}SignedHeaders={signed}{sep}Signature={signature}"
            );
            HeaderValue::from_str(&value).ok()
        });
    prop_oneof![Just(None), raw, structured]
}

fn x_amz_date() -> impl Strategy<Value = Option<HeaderValue>> {
    let near = (-1200i64..1200).prop_map(|skew| {
        let now = SystemTime::now();
        let t = if skew < 0 {
            now - Duration::from_secs(skew.unsigned_abs())
        } else {
            now + Duration::from_secs(skew as u64)
        };
        HeaderValue::from_str(&amz_date(t)).ok()
    });
    let raw = "[ -~]{0,24}".prop_map(|s| HeaderValue::from_str(&s).ok());
    prop_oneof![Just(None), near, raw]
}

fn method() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("POST"), Just("GET"), Just("DELETE")]
}

/// Forged requests are refused with 403, and none reaches the socket or closes it.
pub(super) fn forged(cases: u32) {
    let rt = runtime();
    let s = rt.block_on(start());
    let addr = s.gw.addr;
    let input = (
        method(),
        authorization(),
        x_amz_date(),
        proptest::collection::vec(any::<u8>(), 0..64),
    );
    check(cases, input, |(method, auth, date, body)| {
        let mut headers = Vec::new();
        if let Some(v) = auth {
            headers.push((http::header::AUTHORIZATION, v));
        }
        if let Some(v) = date {
            headers.push((HeaderName::from_static("x-amz-date"), v));
        }
        let request = Request {
            method,
            path: path(&s.id),
            headers,
            body,
        };
        let status = rt.block_on(send(addr, request.clone()));
        assert_eq!(status, 403, "{request:?}");
    });
    // The socket is open and got nothing but this signed marker.
    let marker = signed(addr, "POST", path(&s.id), b"marker".to_vec());
    assert_eq!(rt.block_on(send(addr, marker)), 200);
    rt.block_on(within("the marker", async {
        while s.received.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }));
    assert_eq!(*s.received.lock().unwrap(), vec!["marker".to_owned()]);
}

/// One change to a signed request.
#[derive(Debug, Clone)]
enum Tamper {
    Signature(usize),
    Body(u8),
    Method,
    Path,
    Date,
}

fn tamper(mut r: Request, how: &Tamper) -> Request {
    let find = |r: &Request, name: &str| r.headers.iter().position(|(n, _)| n == name).unwrap();
    match how {
        Tamper::Signature(at) => {
            let i = find(&r, "authorization");
            let mut value = r.headers[i].1.to_str().unwrap().to_owned();
            let sig = value.rfind('=').unwrap() + 1;
            let at = sig + at % (value.len() - sig);
            let c = if &value[at..=at] == "0" { "1" } else { "0" };
            value.replace_range(at..=at, c);
            r.headers[i].1 = HeaderValue::from_str(&value).unwrap();
        }
        Tamper::Body(b) => r.body.push(*b),
        Tamper::Method => r.method = if r.method == "POST" { "GET" } else { "POST" },
        Tamper::Path => r.path.push('x'),
        Tamper::Date => {
            let i = find(&r, "x-amz-date");
            let t = SystemTime::now() - Duration::from_secs(1);
            let mut t = amz_date(t);
            if t == r.headers[i].1.to_str().unwrap() {
                t = amz_date(SystemTime::now() - Duration::from_secs(2));
            }
            r.headers[i].1 = HeaderValue::from_str(&t).unwrap();
        }
    }
    r
}

/// A validly signed request passes (200 for the open socket, 410 for any other id);
/// the same request with one signed part changed is refused with 403.
pub(super) fn signed_and_tampered(cases: u32) {
    let rt = runtime();
    let s = rt.block_on(start());
    let addr = s.gw.addr;
    let how = prop_oneof![
        any::<usize>().prop_map(Tamper::Signature),
        any::<u8>().prop_map(Tamper::Body),
        Just(Tamper::Method),
        Just(Tamper::Path),
        Just(Tamper::Date),
    ];
    let input = (
        prop_oneof![Just("POST"), Just("GET")],
        proptest::option::of(any::<String>().prop_filter("an id", |s| !s.is_empty())),
        proptest::collection::vec(any::<u8>(), 0..64),
        how,
    );
    check(cases, input, |(method, other_id, body, how)| {
        let id = other_id.clone().unwrap_or_else(|| s.id.clone());
        let request = signed(addr, method, path(&id), body);
        let expected = if other_id.is_some() && id != s.id {
            410
        } else {
            200
        };
        assert_eq!(
            rt.block_on(send(addr, request.clone())),
            expected,
            "{request:?}"
        );
        let bad = tamper(request, &how);
        assert_eq!(
            rt.block_on(send(addr, bad.clone())),
            403,
            "{how:?}: {bad:?}"
        );
    });
}

#[test]
fn forged_signatures_are_refused() {
    forged(400);
}

#[test]
fn signed_requests_pass_and_tampered_ones_do_not() {
    signed_and_tampered(200);
}
