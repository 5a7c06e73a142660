//! Integration tests of the `wsproxy` binary, one test binary: each runs the real
//! executable (`CARGO_BIN_EXE_wsproxy`) as a user would, with moto as AWS where needed.

mod admin_attacks;
mod bench;
mod ca_folder;
mod deploy;
mod doctor;
mod errors;
mod function_errors;
mod function_keys;
mod functions;
mod local_gateway;
mod metrics;
mod moto;
mod orphans;
mod own_module;
mod package;
mod package_upload;
mod reload;
mod serve;
mod serve_limits;
mod served;
mod shutdown;
mod table;
mod tls;
