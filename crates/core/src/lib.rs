//! The wsproxy core: the proxy contract (`docs/contract.md`, sections 2 to 5 and 7) as plain Rust.
//!
//! It knows nothing of AWS, axum or Lambda. It reaches the world through three ports:
//! [`Registry`] (where connections are kept), [`Backend`] (the HTTP backend) and
//! [`Pusher`] (how a message reaches a connected socket). Hosts wire real
//! implementations in; [`MemoryRegistry`] is the embedded default registry.

mod broadcast;
mod connect;
mod disconnect;
mod endpoints;
mod fanout;
mod id;
mod item;
mod memory;
mod message;
mod metered;
pub mod metrics;
mod ports;
mod proxy;
mod request;
mod secret;

pub use fanout::GONE_GRACE_SECS;
pub use id::{Id, IdError, IdKind, MAX_ID_BYTES};
pub use item::{ConnectionItem, ConnectionType, ITEM_TTL_SECS};
pub use memory::MemoryRegistry;
pub use ports::{
    Backend, BackendError, PushError, Pusher, Registry, RegistryError, MAX_MESSAGE_BYTES,
};
pub use proxy::{ConnectOutcome, Proxy, ProxyConfig, RouteResponse};
pub use request::RequestContext;
pub use secret::Secret;

/// Seconds since the Unix epoch, the time unit of the connection table.
pub fn now_epoch_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
