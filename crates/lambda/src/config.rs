//! The function's configuration: the contract's environment variables (section 1), read
//! at init ([`Config::from_env`]) and written for a function run on this machine
//! ([`Config::to_env`], [`Config::to_local_env`]): `wsproxy serve --lambda`, the e2e suite
//! and this crate's tests all give the function its environment through them.

use std::time::Duration;

/// The AWS settings of this machine a local function takes from its host's environment:
/// credentials and endpoints (DynamoDB's, for a local one such as moto), and the region.
/// Its `AWS_ENDPOINT_URL_LAMBDA` is the local Invoke API's, set by the gateway.
pub const LOCAL_AWS_VARIABLES: [&str; 7] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
];

/// A variable of this process, `None` when unset or empty (as [`Config::from_env`] reads them).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Settings read once at init.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// `CONNECTIONS_TABLE` when unset.
pub const DEFAULT_TABLE: &str = "websocket-connections";

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
    /// The settings of a function in front of `backend_url`, the contract's defaults for
    /// the rest (no `API_GATEWAY_ENDPOINT`: it is then learnt from the first event).
    pub fn new(backend_url: impl Into<String>) -> Self {
        Self {
            backend_url: backend_url.into(),
            table: DEFAULT_TABLE.to_owned(),
            endpoint: None,
            backend_timeout: wsproxy_backend_http::DEFAULT_TIMEOUT,
            backend_max_answer_bytes: wsproxy_backend_http::DEFAULT_MAX_ANSWER_BYTES,
            function_name: None,
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }

    /// The contract's variables that give a function these settings ([`Config::from_lookup`]
    /// reads them back). `function_name` is not among them: the Lambda runtime sets
    /// `AWS_LAMBDA_FUNCTION_NAME` itself.
    pub fn to_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("BACKEND_URL".to_owned(), self.backend_url.clone()),
            ("CONNECTIONS_TABLE".to_owned(), self.table.clone()),
            (
                "BACKEND_TIMEOUT_MS".to_owned(),
                self.backend_timeout.as_millis().to_string(),
            ),
            (
                "BACKEND_MAX_ANSWER_BYTES".to_owned(),
                self.backend_max_answer_bytes.to_string(),
            ),
        ];
        if let Some(endpoint) = &self.endpoint {
            env.push(("API_GATEWAY_ENDPOINT".to_owned(), endpoint.clone()));
        }
        env
    }

    /// The whole environment of a function run on this machine: [`Config::to_env`], plus
    /// the [`LOCAL_AWS_VARIABLES`] that `host` (normally [`process_env`]) holds, plus
    /// placeholder credentials when it holds none (the function signs its self-invocation;
    /// the local Invoke API takes any key).
    pub fn to_local_env(&self, host: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
        let mut env = self.to_env();
        env.extend(
            LOCAL_AWS_VARIABLES
                .iter()
                .filter_map(|name| Some(((*name).to_owned(), host(name)?))),
        );
        if host("AWS_ACCESS_KEY_ID").is_none() {
            env.push(("AWS_ACCESS_KEY_ID".to_owned(), "local".to_owned()));
            env.push(("AWS_SECRET_ACCESS_KEY".to_owned(), "local".to_owned()));
        }
        env
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
            table: get("CONNECTIONS_TABLE").unwrap_or_else(|| DEFAULT_TABLE.into()),
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
    fn the_written_environment_reads_back_as_the_same_settings() {
        let mut config = Config::new("http://127.0.0.1:8000");
        config.endpoint = Some("http://127.0.0.1:8080/dev".into());
        config.table = "t1".into();
        config.backend_timeout = Duration::from_millis(1234);
        config.backend_max_answer_bytes = 4096;
        let env = config.to_env();
        let read = Config::from_lookup(lookup(
            &env.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        ))
        .unwrap();
        assert_eq!(read, config);
        let without_endpoint = Config {
            endpoint: None,
            ..config
        };
        assert!(!without_endpoint
            .to_env()
            .iter()
            .any(|(k, _)| k == "API_GATEWAY_ENDPOINT"));
    }

    #[test]
    fn a_local_function_gets_the_hosts_aws_settings_and_nothing_else() {
        let config = Config {
            endpoint: Some("http://127.0.0.1:8080/dev".into()),
            ..Config::new("http://b")
        };
        let host = lookup(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "session"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_REGION", "eu-west-1"),
            ("HOME", "/root"),
            ("AWS_PROFILE", "prod"),
        ]);
        let env: HashMap<String, String> = config.to_local_env(host).into_iter().collect();
        assert_eq!(env["AWS_SESSION_TOKEN"], "session");
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:5000");
        assert_eq!(env["AWS_REGION"], "eu-west-1");
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKID");
        assert_eq!(env["API_GATEWAY_ENDPOINT"], "http://127.0.0.1:8080/dev");
        assert!(!env.contains_key("HOME") && !env.contains_key("AWS_PROFILE"));
        // No credentials on the host: placeholders, so the function can sign.
        let env: HashMap<String, String> = config.to_local_env(|_| None).into_iter().collect();
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "local");
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "local");
        assert!(!env.contains_key("AWS_SESSION_TOKEN"));
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
