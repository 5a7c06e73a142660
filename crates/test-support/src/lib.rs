//! Helpers the workspace's tests share, so that each is written once: moto's endpoints,
//! SDK clients and unique names ([`moto`]), tables as older deployments left them
//! ([`table`]), log lines captured for a test ([`logs`]), routers served on loopback
//! ([`http`]), property-test settings ([`props`]), the local Lambda Invoke API
//! ([`lambda`]), the runtime interface clients real functions run with ([`runtimes`]) and
//! API Gateway's recorded events ([`fixtures`]).
//!
//! A dev-dependency only; nothing here is part of wsproxy.

pub mod fixtures;
pub mod http;
pub mod lambda;
pub mod logs;
pub mod moto;
pub mod props;
pub mod runtimes;
pub mod table;

pub use logs::Logs;
