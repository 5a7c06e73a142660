//! Integration tests of the `wsproxy` binary, one test binary: each runs the real
//! executable (`CARGO_BIN_EXE_wsproxy`) as a user would, with moto as AWS where needed.

mod bench;
mod deploy;
mod doctor;
mod errors;
mod functions;
mod metrics;
mod moto;
mod package;
mod package_upload;
mod reload;
mod serve;
mod serve_limits;
mod served;
mod shutdown;
mod table;
mod tls;
