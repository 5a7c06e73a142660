//! What every request handler and socket task of a gateway shares ([`Shared`]), the count
//! of running connection tasks that shutdown waits for ([`Tracker`]), and the address the
//! gateway is reachable at. Below the server, the builder, the upgrade and `@connections`.

use crate::event::Integration;
use crate::routes::RouteSelector;
use crate::throttle::TokenBucket;
use crate::{Connections, GatewayConfig, LocalTls};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// State shared by every request handler and socket task.
pub(crate) struct Shared {
    pub config: GatewayConfig,
    pub connections: Arc<Connections>,
    pub integration: Arc<dyn Integration>,
    pub selector: Arc<RouteSelector>,
    pub tracker: Arc<Tracker>,
    pub local_addr: SocketAddr,
    /// The new-connection rate limit of WebSocket upgrades.
    pub new_connections: TokenBucket,
    /// TLS beside plain HTTP on the same port, when on.
    pub tls: Option<LocalTls>,
}

/// Counts running connection tasks, so shutdown can wait for their `$disconnect`.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    running: AtomicUsize,
    idle: Notify,
}

/// Held by a running connection task; dropping it marks the task done.
#[derive(Debug)]
pub(crate) struct TaskGuard(Arc<Tracker>);

impl Tracker {
    /// Marks a task as running until the guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> TaskGuard {
        self.running.fetch_add(1, Ordering::SeqCst);
        TaskGuard(self.clone())
    }

    /// Waits until no task runs.
    pub(crate) async fn wait(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// An address this machine can reach the gateway at (not the unspecified 0.0.0.0 / ::).
pub(crate) fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        ip if !ip.is_unspecified() => addr,
        std::net::IpAddr::V4(_) => SocketAddr::from(([127, 0, 0, 1], addr.port())),
        std::net::IpAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_of_an_unspecified_address_is_loopback() {
        let at = |s: &str| reachable(s.parse().unwrap()).to_string();
        assert_eq!(at("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(at("[::]:8080"), "[::1]:8080");
        assert_eq!(at("192.0.2.1:80"), "192.0.2.1:80");
    }
}
