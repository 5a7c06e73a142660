//! The gateway's settings: where it listens, its stage, routes, quotas and credentials.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// API Gateway's WebSocket quotas; [`Default`] gives AWS's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// Largest message a client may send or `@connections` may post (131,072 B).
    pub max_message_bytes: usize,
    /// Largest frame a client may send (32,768 B).
    pub max_frame_bytes: usize,
    /// A connection with no client frame for this long is closed with 1001 (10 min).
    pub idle_timeout: Duration,
    /// A connection is closed with 1001 after this long, whatever it does (2 h).
    pub max_duration: Duration,
    /// Bytes the gateway may hold for one socket (1 MiB): messages and control frames
    /// waiting to be written to it, and its messages waiting for their route (at most half;
    /// past that the gateway stops reading it). A client that lets it fill is not reading
    /// its messages: it is closed with 1008, and pushes to it answer 410 Gone.
    pub socket_budget_bytes: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            max_message_bytes: 128 * 1024,
            max_frame_bytes: 32 * 1024,
            idle_timeout: Duration::from_secs(10 * 60),
            max_duration: Duration::from_secs(2 * 60 * 60),
            socket_budget_bytes: 1024 * 1024,
        }
    }
}

/// The access key that `@connections` callers must sign with (SigV4).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id, e.g. `AKIDEXAMPLE`.
    pub access_key_id: String,
    /// The secret access key; never printed.
    pub secret_access_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .finish()
    }
}

/// Everything the gateway needs besides its connection table and integration.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The stage, first path segment of every URL (`ws://host/{stage}`).
    pub stage: String,
    /// How a message picks its route, e.g. `$request.body.action`.
    pub route_selection_expression: String,
    /// Custom route keys; a message matching none goes to `$default`.
    pub routes: Vec<String>,
    /// Size and time limits.
    pub quotas: Quotas,
    /// When set, `@connections` requires a SigV4 signature made with these;
    /// when `None`, it answers loopback callers only.
    pub credentials: Option<Credentials>,
    /// The keys the gateway gave its own local functions (their `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`; the builder adds them when it starts functions). With
    /// `credentials` set, `@connections` accepts a signature made with one of these as well,
    /// from loopback callers only, so a function signs with the keys it was given, unchanged.
    pub function_keys: Vec<Credentials>,
    /// The region reported to signers; signatures for any region are accepted.
    pub region: String,
    /// Header size and time, concurrent connections, new-connection rate.
    pub limits: crate::ConnectionLimits,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            stage: "dev".to_owned(),
            route_selection_expression: "$request.body.action".to_owned(),
            routes: Vec::new(),
            quotas: Quotas::default(),
            credentials: None,
            function_keys: Vec::new(),
            region: "us-east-1".to_owned(),
            limits: crate::ConnectionLimits::default(),
        }
    }
}

impl GatewayConfig {
    /// Checks the settings; the error says which one to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.stage.is_empty()
            || !self
                .stage
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "stage '{}' must be a non-empty name of letters, digits, '-' or '_' (e.g. dev)",
                self.stage
            ));
        }
        crate::routes::RouteSelector::new(&self.route_selection_expression, &self.routes)?;
        let q = &self.quotas;
        if q.max_message_bytes == 0 || q.max_frame_bytes == 0 {
            return Err("quotas must be greater than zero".to_owned());
        }
        if q.socket_budget_bytes / 2 < q.max_message_bytes {
            return Err(format!(
                "the socket budget ({} bytes) must hold at least two messages of the largest \
                 size: raise it to {} bytes or more, or lower the maximum message size",
                q.socket_budget_bytes,
                2 * q.max_message_bytes
            ));
        }
        if q.idle_timeout.is_zero() || q.max_duration.is_zero() {
            return Err(
                "the idle timeout and maximum connection duration must be greater than zero"
                    .to_owned(),
            );
        }
        if let Some(c) = &self.credentials {
            if c.access_key_id.is_empty() || c.secret_access_key.is_empty() {
                return Err("credentials need a non-empty access key id and secret".to_owned());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_api_gateways() {
        let q = Quotas::default();
        assert_eq!(q.max_message_bytes, 131_072);
        assert_eq!(q.max_frame_bytes, 32_768);
        assert_eq!(q.idle_timeout, Duration::from_secs(600));
        assert_eq!(q.max_duration, Duration::from_secs(7200));
        assert_eq!(q.socket_budget_bytes, 1_048_576);
        let c = GatewayConfig::default();
        assert_eq!(c.stage, "dev");
        assert_eq!(c.region, "us-east-1");
        assert!(c.validate().is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: "s3cr3t".into(),
        };
        let printed = format!("{c:?}");
        assert!(printed.contains("AKID") && !printed.contains("s3cr3t"));
    }

    #[test]
    fn rejects_a_budget_smaller_than_two_messages() {
        let mut c = GatewayConfig::default();
        c.quotas.socket_budget_bytes = 2 * c.quotas.max_message_bytes - 1;
        let err = c.validate().unwrap_err();
        assert!(err.contains("socket budget"), "{err}");
        c.quotas.socket_budget_bytes += 1;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn rejects_bad_stage() {
        let c = GatewayConfig {
            stage: "a/b".into(),
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }
}
