//! Property-test settings: a normal run keeps to a few hundred cases; each crate's ignored
//! `long_run` takes its count from `WSPROXY_PROPTEST_CASES`.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestRunner};

/// The case count of a long run: `WSPROXY_PROPTEST_CASES`, else 5000.
pub fn long_run_cases() -> u32 {
    std::env::var("WSPROXY_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000)
}

/// A runner's configuration for `cases` cases that writes no failure file (a failure
/// prints its shrunk input instead).
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Runs `property` on `cases` inputs drawn from `strategy`, shrinking a failure, and
/// panics with the smallest failing input.
pub fn check<S: Strategy>(cases: u32, strategy: S, property: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(config(cases));
    if let Err(e) = runner.run(&strategy, |input| {
        property(input);
        Ok(())
    }) {
        panic!("{e}");
    }
}
