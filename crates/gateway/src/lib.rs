//! A local reproduction of AWS API Gateway's WebSocket API on one machine.
//!
//! Clients connect to `ws://HOST:PORT/{stage}`; the upgrade waits for the `$connect` route and
//! a non-2xx answer refuses it. Messages are routed by the route selection expression to a
//! custom route or `$default`; `$disconnect` runs after every close. API Gateway's quotas
//! (frame, message, idle, duration) apply, plus a byte budget per socket (a client that does
//! not read what it is sent is closed with 1008), and so do the edge's [`ConnectionLimits`]
//! (header size and read time, concurrent connections, new-connection rate). The
//! `@connections` management API (POST, GET, DELETE, optionally SigV4-authenticated) is served
//! on the same port, so the AWS SDKs' `ApiGatewayManagementApi` clients work against it
//! unchanged. With [`GatewayBuilder::tls_dir`] the same port also speaks TLS with a locally
//! generated certificate ([`LocalTls`]), so a function's `https://{domainName}/{stage}` works.
//!
//! [`Gateway::builder`] wires it: listen, the connection table, the integration, the
//! gateway; [`BoundGateway::serve`] serves, then shuts the integration down.
//!
//! Routes run on an [`Integration`]: [`CoreIntegration`] runs the wsproxy core in process,
//! pushing through [`Connections`] directly; [`function_integration`] runs them on real AWS
//! Lambda functions (a `bootstrap` binary or any runtime) as the local Lambda service
//! (`wsproxy-lambda-local`) runs them, with API Gateway's events, authorizer and answers.

mod accept;
pub mod admin;
mod budget;
mod builder;
mod close_code;
mod config;
mod connections;
mod connections_api;
mod core_integration;
mod ending;
mod error;
mod event;
pub mod function_integration;
mod handshake;
mod ids;
mod limits;
mod routes;
mod served;
mod server;
mod sigv4;
mod sniff;
mod socket;
mod state;
mod throttle;
mod tls;
mod upgrade;

pub use builder::{Gateway, GatewayBuilder};
pub use config::{Credentials, GatewayConfig, Quotas};
pub use connections::{ConnectionInfo, Connections, SendError};
pub use core_integration::CoreIntegration;
pub use error::GatewayError;
pub use event::{EventType, Integration, IntegrationResponse, RouteEvent};
pub use ids::new_connection_id;
pub use limits::ConnectionLimits;
pub use routes::{RouteSelector, CONNECT_ROUTE, DEFAULT_ROUTE, DISCONNECT_ROUTE};
pub use server::{BoundGateway, ServingGateway};
pub use tls::{LocalTls, TlsError};
