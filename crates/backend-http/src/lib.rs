//! The backend port over HTTP: one pooled reqwest client, a per-call timeout, a bounded
//! answer read, the error mapping of the contract's section 3, and the event's
//! `X-Request-Id` and `traceparent` on every call ([`RequestContext::current`]).

use async_trait::async_trait;
use serde_json::Value;
use std::time::Duration;
use tracing::{debug, warn};
use wsproxy_core::{Backend, BackendError, RequestContext};

/// The contract's default limit for one backend call (`BACKEND_TIMEOUT_MS`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);

/// The default limit of one answer's body: API Gateway's message quota (128 KiB), since
/// a bigger answer could not be pushed to a client anyway.
pub const DEFAULT_MAX_ANSWER_BYTES: usize = wsproxy_core::MAX_MESSAGE_BYTES;

/// The header that carries the event's request id (API Gateway's `requestContext.requestId`).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The W3C Trace Context header: `00-{trace id}-{span id}-{flags}`, a new span id per call.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// A backend URL that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not an absolute http(s) URL.
    #[error("BACKEND_URL '{0}' is not an http:// or https:// URL: set it to the backend's base URL, e.g. http://127.0.0.1:8000")]
    BadUrl(String),
    /// The HTTP client could not be built (TLS roots, for instance).
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

/// The HTTP backend at a base URL (`BACKEND_URL`).
#[derive(Debug, Clone)]
pub struct HttpBackend {
    base: String,
    timeout: Duration,
    max_answer_bytes: usize,
    client: reqwest::Client,
}

impl HttpBackend {
    /// A backend at `base_url` whose calls each take at most `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let base = base_url.trim_end_matches('/').to_owned();
        let valid = reqwest::Url::parse(&base)
            .map(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .unwrap_or(false);
        if !valid {
            return Err(ConfigError::BadUrl(base_url.to_owned()));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self {
            base,
            timeout,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            client,
        })
    }

    /// Reads at most `limit` bytes of an answer's body ([`DEFAULT_MAX_ANSWER_BYTES`] unless
    /// set): a longer answer is a [`BackendError::TooLarge`], and its read stops there.
    pub fn with_max_answer_bytes(mut self, limit: usize) -> Self {
        self.max_answer_bytes = limit;
        self
    }

    /// The limit of one answer's body, in bytes.
    pub fn max_answer_bytes(&self) -> usize {
        self.max_answer_bytes
    }

    /// The base URL calls are made against.
    pub fn base_url(&self) -> &str {
        &self.base
    }
}

#[async_trait]
impl Backend for HttpBackend {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, BackendError> {
        let url = format!("{}{}", self.base, path);
        let mut request = self.client.post(&url).json(body);
        if let Some(ctx) = RequestContext::current() {
            request = request
                .header(REQUEST_ID_HEADER, ctx.request_id())
                .header(TRACEPARENT_HEADER, ctx.traceparent());
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(path, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(BackendError::Status {
                path: path.to_owned(),
                status: status.as_u16(),
            });
        }
        let bytes = self.read_body(path, response).await?;
        let answer = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            debug!(
                path,
                "backend answered 2xx without JSON; treating it as {{}}"
            );
            Value::Object(Default::default())
        });
        Ok(answer)
    }
}

impl HttpBackend {
    /// Reads a body of at most `max_answer_bytes`: refused up front when `Content-Length`
    /// says it is longer, else counted chunk by chunk and abandoned at the limit (the
    /// connection is dropped, so the backend's write is cut short).
    async fn read_body(
        &self,
        path: &str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, BackendError> {
        let limit = self.max_answer_bytes;
        let too_large = |size| {
            warn!(path, limit, size, "backend answer over the limit (BACKEND_MAX_ANSWER_BYTES, --backend-max-answer-bytes); read stopped");
            BackendError::TooLarge {
                path: path.to_owned(),
                limit,
                size,
            }
        };
        let announced = response.content_length();
        if let Some(len) = announced.filter(|&len| len > limit as u64) {
            return Err(too_large(Some(len)));
        }
        let mut body = Vec::with_capacity(announced.map_or(0, |len| len as usize));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(path, &e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large(None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Maps a transport error; never includes the URL's query or any credentials.
    fn transport_error(&self, path: &str, e: &reqwest::Error) -> BackendError {
        if e.is_timeout() {
            return BackendError::Timeout {
                path: path.to_owned(),
                timeout_ms: self.timeout.as_millis() as u64,
            };
        }
        let reason = if e.is_connect() {
            "connection refused or host unreachable; is the backend running at BACKEND_URL?"
        } else if e.is_body() || e.is_decode() {
            "the answer's body could not be read"
        } else {
            "the request could not be sent"
        };
        BackendError::Unreachable {
            path: path.to_owned(),
            reason: reason.to_owned(),
        }
    }
}
