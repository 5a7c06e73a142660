//! What the tests share: a bound on every wait, one unsigned HTTP request.

use bytes::Bytes;
use std::future::Future;
use std::time::Duration;

/// How long any one step may take before the test fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// Awaits `f`, panicking after [`PATIENCE`] with `what`.
pub(crate) async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct HttpAnswer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl HttpAnswer {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub(crate) fn error_type(&self) -> Option<&str> {
        self.headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
    }
}

/// One unsigned HTTP request.
pub(crate) async fn http(method: &str, url: &str, body: impl Into<Bytes>) -> HttpAnswer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let request = reqwest::Client::new()
        .request(method, url)
        .body(body.into())
        .send();
    let res = within("an HTTP answer", request)
        .await
        .expect("HTTP request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.bytes().await.expect("HTTP body");
    HttpAnswer {
        status,
        headers,
        body,
    }
}
