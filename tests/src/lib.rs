//! Helpers of the end-to-end suites: a recording HTTP backend, a gateway harness, and
//! a WebSocket client with deterministic assertions.

pub mod backend;
pub mod big;
pub mod client;
pub mod harness;
pub mod store;

pub use backend::{Call, TestBackend};
pub use client::{Client, Refusal};
pub use harness::{Harness, Options, Setup};
