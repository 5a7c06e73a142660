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
    /// `BACKEND_MAX_ANSWER_BYTES`: the most of one backend answer that is read.
    pub backend_max_answer_bytes: usize,
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
    #[error("{name}='{value}' is not a whole number of {unit}: set it to e.g. {example}, or unset it for the default")]
    NotANumber {
        /// The variable.
        name: &'static str,
        /// What it held.
        value: String,
        /// What it counts.
        unit: &'static str,
        /// A valid value.
        example: &'static str,
    },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name, unit, example| match get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ConfigError::NotANumber {
                    name,
                    value: v,
                    unit,
                    example,
                }),
        };
        let backend_timeout = number("BACKEND_TIMEOUT_MS", "milliseconds", "3000")?
            .map_or(wsproxy_backend_http::DEFAULT_TIMEOUT, Duration::from_millis);
        let backend_max_answer_bytes = number("BACKEND_MAX_ANSWER_BYTES", "bytes", "131072")?
            .map_or(wsproxy_backend_http::DEFAULT_MAX_ANSWER_BYTES, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            });
        Ok(Self {
            backend_url: get("BACKEND_URL").ok_or(ConfigError::NoBackend)?,
            table: get("CONNECTIONS_TABLE").unwrap_or_else(|| "websocket-connections".into()),
            endpoint: get("API_GATEWAY_ENDPOINT").map(|e| e.trim_end_matches('/').to_owned()),
            backend_timeout,
            backend_max_answer_bytes,
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
        assert_eq!(c.backend_max_answer_bytes, 128 * 1024);
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
        let bad = Config::from_lookup(lookup(&[
            ("BACKEND_URL", "http://b"),
            ("BACKEND_MAX_ANSWER_BYTES", "128k"),
        ]));
        let text = bad.unwrap_err().to_string();
        assert!(
            text.contains("BACKEND_MAX_ANSWER_BYTES='128k' is not a whole number of bytes"),
            "{text}"
        );
    }

    #[test]
    fn the_answer_limit_is_read() {
        let c = Config::from_lookup(lookup(&[
            ("BACKEND_URL", "http://b"),
            ("BACKEND_MAX_ANSWER_BYTES", "1048576"),
        ]))
        .unwrap();
        assert_eq!(c.backend_max_answer_bytes, 1_048_576);
    }
}
