//! Property tests of what the gateway parses off the network: upgrade query strings,
//! route selection, SigV4 on `@connections`, and frame and message quotas. Every case is a
//! real request or a real socket against a running gateway (route selection is also
//! checked on the public [`wsproxy_gateway::RouteSelector`] directly).
//!
//! The normal run keeps each property to a few hundred cases; `long_run` (ignored) runs
//! every property with `WSPROXY_PROPTEST_CASES` cases each.

mod frames;
mod query;
mod routes;
mod sigv4;

use std::time::Instant;
pub(crate) use wsproxy_test_support::props::check;

/// A runtime for the gateway under test; cases are driven with `block_on`.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A property's name and its run with a case count.
type Property = (&'static str, fn(u32));

#[test]
#[ignore = "long run: WSPROXY_PROPTEST_CASES cases per property (default 5000)"]
fn long_run() {
    let cases = wsproxy_test_support::props::long_run_cases();
    let runs: [Property; 8] = [
        ("query round trip", query::round_trip),
        ("raw query bytes", query::raw_bytes),
        ("route selection", routes::selection),
        ("route expressions", routes::expressions),
        ("routes through the gateway", routes::through_the_gateway),
        ("forged signatures", sigv4::forged),
        ("signed and tampered", sigv4::signed_and_tampered),
        ("frame sequences", frames::sequences),
    ];
    for (name, run) in runs {
        let started = Instant::now();
        run(cases);
        eprintln!("{name}: {cases} cases in {:.1?}", started.elapsed());
    }
}
