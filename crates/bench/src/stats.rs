//! Percentiles of measured durations.

use std::time::Duration;

/// Summary of a sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Summary {
    /// Sample size.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile (nearest rank).
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

/// Summarises a non-empty sample.
pub(crate) fn summarize(mut sample: Vec<Duration>) -> Summary {
    sample.sort();
    let rank = |p: f64| {
        let i = ((p * sample.len() as f64).ceil() as usize).clamp(1, sample.len()) - 1;
        sample[i]
    };
    Summary {
        n: sample.len(),
        p50: rank(0.50),
        p99: rank(0.99),
        max: *sample.last().expect("a non-empty sample"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = summarize((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(
            (s.n, s.p50, s.p99, s.max),
            (
                100,
                Duration::from_millis(50),
                Duration::from_millis(99),
                Duration::from_millis(100)
            )
        );
        let one = summarize(vec![Duration::from_millis(7)]);
        assert_eq!(
            (one.p50, one.p99),
            (Duration::from_millis(7), Duration::from_millis(7))
        );
    }
}
