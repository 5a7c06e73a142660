//! The gateway's connection edge limits: header size and read time, concurrent connections and
//! the rate of new WebSocket connections.

use std::time::Duration;

/// File descriptors kept out of the connection cap's derivation for the process itself:
/// standard streams, listeners, log files, Lambda child pipes and the sockets that answer 503.
const RESERVED_FDS: u64 = 128;

/// Limits on what a client may do before and while it connects; [`Default`] gives
/// API Gateway's values where it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionLimits {
    /// Largest request line plus headers, in bytes; beyond it the request gets
    /// 431 Request Header Fields Too Large (API Gateway: 10,240 B).
    pub max_header_bytes: usize,
    /// A connection whose request line and headers have not all arrived this long after it
    /// opened (or after its previous request) is closed (10 s).
    pub header_read_timeout: Duration,
    /// Most TCP connections open at once, WebSockets included; beyond it a new connection gets
    /// 503 and is closed. `None` derives it from the open-files limit at bind time
    /// (see [`ConnectionLimits::derived_max_connections`]).
    pub max_connections: Option<usize>,
    /// New WebSocket connections accepted per second, on average (API Gateway's account
    /// default: 500); beyond it the upgrade gets 429. Zero turns the rate limit off.
    pub new_connections_per_second: u32,
    /// New WebSocket connections accepted at once before the rate applies (500).
    pub new_connection_burst: u32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_header_bytes: 10 * 1024,
            header_read_timeout: Duration::from_secs(10),
            max_connections: None,
            new_connections_per_second: 500,
            new_connection_burst: 500,
        }
    }
}

impl ConnectionLimits {
    /// Most connections the admin listener holds at once: a scraper or two, and a person.
    pub const ADMIN_MAX_CONNECTIONS: usize = 16;
    /// The admin listener's header limit: `GET /metrics` needs a few hundred bytes.
    pub const ADMIN_MAX_HEADER_BYTES: usize = 8 * 1024;

    /// The limits of the admin listener (`--admin-listen`): this header read timeout, a
    /// small header limit and [`Self::ADMIN_MAX_CONNECTIONS`], so that silent connections
    /// to it cannot use up the descriptors the gateway's own port needs.
    pub fn admin(&self) -> Self {
        Self {
            max_header_bytes: Self::ADMIN_MAX_HEADER_BYTES,
            header_read_timeout: self.header_read_timeout,
            max_connections: Some(Self::ADMIN_MAX_CONNECTIONS),
            new_connections_per_second: 0,
            new_connection_burst: 0,
        }
    }

    /// Smallest accepted header limit: below it ordinary browsers' upgrades fail.
    pub const MIN_HEADER_BYTES: usize = 1024;
    /// Largest accepted header limit (hyper's default read buffer).
    pub const MAX_HEADER_BYTES: usize = 400 * 1024;

    /// Checks the limits; the error says which one to fix.
    pub fn validate(&self) -> Result<(), String> {
        if !(Self::MIN_HEADER_BYTES..=Self::MAX_HEADER_BYTES).contains(&self.max_header_bytes) {
            return Err(format!(
                "the header limit ({} B) must be between {} and {} bytes (API Gateway's is 10240)",
                self.max_header_bytes,
                Self::MIN_HEADER_BYTES,
                Self::MAX_HEADER_BYTES
            ));
        }
        if self.header_read_timeout.is_zero() {
            return Err("the header read timeout must be greater than zero".to_owned());
        }
        if self.max_connections == Some(0) {
            return Err(
                "the connection limit must be greater than zero (leave it unset to derive it from the open-files limit)"
                    .to_owned(),
            );
        }
        if self.new_connections_per_second > 0 && self.new_connection_burst == 0 {
            return Err(
                "the new-connection burst must be greater than zero while a rate is set".to_owned(),
            );
        }
        Ok(())
    }

    /// The connection cap in force: the configured one, else derived from this process's
    /// open-files soft limit.
    pub fn effective_max_connections(&self) -> usize {
        self.max_connections
            .unwrap_or_else(|| Self::derived_max_connections(open_files_limit()))
    }

    /// The cap for a process that may open `open_files` descriptors: a fixed reserve
    /// for the process itself, then half of the rest, since each client socket may
    /// need an outgoing one at the same time (the backend's HTTP call, the store's, a
    /// Lambda function's `@connections` call).
    pub fn derived_max_connections(open_files: u64) -> usize {
        let cap = open_files.saturating_sub(RESERVED_FDS) / 2;
        usize::try_from(cap).unwrap_or(usize::MAX).max(1)
    }
}

/// This process's open-files soft limit (1024, the common default, where it cannot be read).
fn open_files_limit() -> u64 {
    #[cfg(unix)]
    {
        match rlimit::getrlimit(rlimit::Resource::NOFILE) {
            Ok((soft, _)) => soft,
            Err(_) => 1024,
        }
    }
    #[cfg(not(unix))]
    {
        1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_api_gateways() {
        let l = ConnectionLimits::default();
        assert_eq!(l.max_header_bytes, 10_240);
        assert_eq!(l.header_read_timeout, Duration::from_secs(10));
        assert_eq!(l.new_connections_per_second, 500);
        assert!(l.validate().is_ok());
    }

    #[test]
    fn the_cap_leaves_room_for_outgoing_sockets() {
        assert_eq!(ConnectionLimits::derived_max_connections(1024), 448);
        assert_eq!(ConnectionLimits::derived_max_connections(20_000), 9_936);
        assert_eq!(ConnectionLimits::derived_max_connections(10), 1);
        assert!(ConnectionLimits::default().effective_max_connections() >= 1);
        let fixed = ConnectionLimits {
            max_connections: Some(7),
            ..Default::default()
        };
        assert_eq!(fixed.effective_max_connections(), 7);
    }

    #[test]
    fn the_admin_listener_is_capped_and_keeps_the_header_timeout() {
        let gateway = ConnectionLimits {
            header_read_timeout: Duration::from_secs(3),
            max_connections: Some(100_000),
            ..Default::default()
        };
        let admin = gateway.admin();
        assert_eq!(admin.header_read_timeout, Duration::from_secs(3));
        assert_eq!(
            admin.effective_max_connections(),
            ConnectionLimits::ADMIN_MAX_CONNECTIONS
        );
        assert!(admin.validate().is_ok(), "{admin:?}");
    }

    #[test]
    fn rejects_unusable_limits() {
        let bad = [
            ConnectionLimits {
                max_header_bytes: 100,
                ..Default::default()
            },
            ConnectionLimits {
                header_read_timeout: Duration::ZERO,
                ..Default::default()
            },
            ConnectionLimits {
                max_connections: Some(0),
                ..Default::default()
            },
            ConnectionLimits {
                new_connection_burst: 0,
                ..Default::default()
            },
        ];
        for l in bad {
            assert!(l.validate().is_err(), "{l:?}");
        }
    }
}
