//! The function's configuration: the contract's environment variables (section 1).

use std::time::Duration;

/// Settings read once at init.
#[derive(Debug, Clone)]
pub struct Config {
    /// `BACKEND_URL`.
    pub backend_url: String,
    /// `CONNECTIONS_TABLE`.
    pub table: String,
    /// `API_GATEWAY_ENDPOINT`, when set; else built from each event.
    pub endpoint: Option<String>,
    /// `BACKEND_TIMEOUT_MS`.
    pub backend_timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_NAME`: this function, for its post-connect self-invocation.
    pub function_name: Option<String>,
}

/// A variable that is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `BACKEND_URL` is not set.
    #[error("BACKEND_URL is not set: set it on the function to the backend's base URL, e.g. https://api.example.com")]
    NoBackend,
    /// A number that does not parse.
    #[error("{name}='{value}' is not a whole number of milliseconds")]
    NotANumber {
        /// The variable.
        name: &'static str,
        /// What it held.
        value: String,
    },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let backend_timeout = match get("BACKEND_TIMEOUT_MS") {
            None => wsproxy_backend_http::DEFAULT_TIMEOUT,
            Some(v) => Duration::from_millis(v.parse().map_err(|_| ConfigError::NotANumber {
                name: "BACKEND_TIMEOUT_MS",
                value: v.clone(),
            })?),
        };
        Ok(Self {
            backend_url: get("BACKEND_URL").ok_or(ConfigError::NoBackend)?,
            table: get("CONNECTIONS_TABLE").unwrap_or_else(|| "websocket-connections".into()),
            endpoint: get("API_GATEWAY_ENDPOINT").map(|e| e.trim_end_matches('/').to_owned()),
            backend_timeout,
            function_name: get("AWS_LAMBDA_FUNCTION_NAME"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = Config::from_lookup(lookup(&[("BACKEND_URL", "http://b")])).unwrap();
        assert_eq!(c.table, "websocket-connections");
        assert_eq!(c.backend_timeout, Duration::from_millis(3000));
        assert!(c.endpoint.is_none());
    }

    #[test]
    fn refuses_to_start_without_a_backend_or_with_a_bad_timeout() {
        assert!(matches!(
            Config::from_lookup(lookup(&[])),
            Err(ConfigError::NoBackend)
        ));
        let bad = Config::from_lookup(lookup(&[
            ("BACKEND_URL", "http://b"),
            ("BACKEND_TIMEOUT_MS", "soon"),
        ]));
        assert!(bad.unwrap_err().to_string().contains("BACKEND_TIMEOUT_MS"));
    }
}
