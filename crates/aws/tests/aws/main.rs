//! Integration tests of wsproxy-aws: the registry and table administration against a real
//! DynamoDB-compatible server (moto: `scripts/moto.sh`), the pusher against the local
//! gateway's `@connections` API, the function's code update against a fake Lambda.

mod function;
mod pusher;
mod registry;
mod table;
mod util;
