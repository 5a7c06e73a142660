//! Integration tests of the `bootstrap` binary, one test binary: the real function
//! (`CARGO_BIN_EXE_bootstrap`) run by the gateway's Lambda mode and invoked through its
//! local Invoke API.

mod bad_events;
mod event_properties;
mod function;
mod push_deadline;
