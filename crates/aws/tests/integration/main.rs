//! Integration tests of wsproxy-aws: the registry and table administration against a real
//! DynamoDB-compatible server (moto: `scripts/moto.sh`), the pusher against the local
//! gateway's `@connections` API, the function's code update against a fake Lambda, and
//! both under injected faults (throttling, refusals, late and broken answers).

mod fault_proxy;
mod function;
mod in_flight;
mod push_faults;
mod pusher;
mod registry;
mod registry_faults;
mod rig;
mod s3_package;
mod table;
mod util;
