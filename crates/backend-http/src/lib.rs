//! The backend port over HTTP: one pooled reqwest client, a per-call timeout, and the
//! error mapping of the contract's section 3.

use async_trait::async_trait;
use serde_json::Value;
use std::time::Duration;
use tracing::debug;
use wsproxy_core::{Backend, BackendError};

/// The contract's default limit for one backend call (`BACKEND_TIMEOUT_MS`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);

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
            client,
        })
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
        let response = self
            .client
            .post(&url)
            .json(body)
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
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(path, &e))?;
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
