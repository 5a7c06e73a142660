//! A fault-injecting HTTP proxy: listens on loopback, forwards to an upstream (moto, the
//! local gateway's `@connections`), and answers chosen requests with a chosen fault instead.
//!
//! A request's operation is the end of its `X-Amz-Target` (`PutItem`, `Query`, ...) or, for
//! `POST .../@connections/{id}`, `PostToConnection`. Rules are tried in order; a rule with
//! uses left answers the request with its fault.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to a matched request.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// Answers with this status, `x-amzn-ErrorType` and JSON body without forwarding.
    Error {
        status: u16,
        error_type: String,
        body: String,
    },
    /// Forwards, then holds the upstream's answer this long (an answer lost in a timeout).
    Late(Duration),
    /// Forwards, then sends the status line and breaks the connection inside the body (a
    /// reset after the upstream did the work).
    Cut,
}

impl Fault {
    /// A DynamoDB error as DynamoDB sends it: 400, `__type` with the service's prefix.
    pub(crate) fn dynamodb(code: &str) -> Self {
        Self::Error {
            status: 400,
            error_type: code.to_owned(),
            body: serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
                "message": format!("injected {code}"),
            })
            .to_string(),
        }
    }

    /// An API Gateway error: `status`, `x-amzn-ErrorType: code`, `{"message": ...}`.
    pub(crate) fn apigw(status: u16, code: &str) -> Self {
        Self::Error {
            status,
            error_type: code.to_owned(),
            body: serde_json::json!({ "message": format!("injected {code}") }).to_string(),
        }
    }
}

struct Rule {
    operation: String,
    /// Uses left; `None` for every request.
    left: Option<usize>,
    fault: Fault,
}

struct Inner {
    upstream: String,
    http: reqwest::Client,
    rules: Mutex<Vec<Rule>>,
    /// Operations of the requests received, in order.
    seen: Mutex<Vec<String>>,
    /// Operations of the requests passed upstream, in order.
    forwarded: Mutex<Vec<String>>,
}

/// A running fault proxy; it stops with the test's runtime.
#[derive(Clone)]
pub(crate) struct FaultProxy(Arc<Inner>);

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 in front of `upstream` (`http://host:port`).
    pub(crate) async fn start(upstream: &str) -> (Self, String) {
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            rules: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
            forwarded: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (Self(inner), url)
    }

    /// Answers the next `n` requests of `operation` with `fault`.
    pub(crate) fn fail_next(&self, operation: &str, n: usize, fault: Fault) {
        self.add(operation, Some(n), fault);
    }

    /// Answers every request of `operation` with `fault`.
    pub(crate) fn fail_always(&self, operation: &str, fault: Fault) {
        self.add(operation, None, fault);
    }

    /// Forgets the rules: every request is forwarded again.
    pub(crate) fn heal(&self) {
        self.0.rules.lock().unwrap().clear();
    }

    /// Requests of `operation` received so far.
    pub(crate) fn seen(&self, operation: &str) -> usize {
        count(&self.0.seen, operation)
    }

    /// Requests of `operation` passed upstream so far.
    pub(crate) fn forwarded(&self, operation: &str) -> usize {
        count(&self.0.forwarded, operation)
    }

    fn add(&self, operation: &str, left: Option<usize>, fault: Fault) {
        self.0.rules.lock().unwrap().push(Rule {
            operation: operation.to_owned(),
            left,
            fault,
        });
    }
}

fn count(log: &Mutex<Vec<String>>, operation: &str) -> usize {
    log.lock()
        .unwrap()
        .iter()
        .filter(|o| *o == operation)
        .count()
}

/// The operation a request names.
fn operation(request: &Request) -> String {
    if let Some(target) = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        return target.rsplit('.').next().unwrap_or_default().to_owned();
    }
    if request.uri().path().contains("/@connections/") && request.method() == "POST" {
        return "PostToConnection".to_owned();
    }
    format!("{} {}", request.method(), request.uri().path())
}

/// The fault for this request, if a rule with uses left matches (and uses one).
fn take_fault(inner: &Inner, operation: &str) -> Option<Fault> {
    let mut rules = inner.rules.lock().unwrap();
    let rule = rules
        .iter_mut()
        .find(|r| r.operation == operation && r.left != Some(0))?;
    if let Some(left) = &mut rule.left {
        *left -= 1;
    }
    Some(rule.fault.clone())
}

async fn handle(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let op = operation(&request);
    inner.seen.lock().unwrap().push(op.clone());
    let fault = take_fault(&inner, &op);
    if let Some(Fault::Error {
        status,
        error_type,
        body,
    }) = &fault
    {
        return Response::builder()
            .status(*status)
            .header("x-amzn-ErrorType", error_type.as_str())
            .header("content-type", "application/x-amz-json-1.0")
            .body(Body::from(body.clone()))
            .unwrap();
    }
    let (status, headers, body) = match forward(&inner, &op, request).await {
        Ok(answer) => answer,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(format!("fault proxy: upstream failed: {e}")))
                .unwrap()
        }
    };
    match fault {
        Some(Fault::Late(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Cut) => {
            let broken = futures::stream::once(async {
                Err::<Bytes, _>(std::io::Error::other("cut by the fault proxy"))
            });
            return Response::builder()
                .status(status)
                .body(Body::from_stream(broken))
                .unwrap();
        }
        _ => {}
    }
    let mut response = Response::builder().status(status);
    for (name, value) in headers.iter() {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(body)).unwrap()
}

/// Sends the request upstream; returns its answer.
async fn forward(
    inner: &Inner,
    op: &str,
    request: Request,
) -> Result<(StatusCode, HeaderMap, Bytes), reqwest::Error> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut headers = parts.headers;
    headers.remove("host");
    headers.remove("content-length");
    headers.insert("connection", HeaderValue::from_static("keep-alive"));
    inner.forwarded.lock().unwrap().push(op.to_owned());
    let answer = inner
        .http
        .request(parts.method, format!("{}{path}", inner.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await?;
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await?;
    Ok((status, headers, body))
}
