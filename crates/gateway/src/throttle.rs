//! The new-connection rate limit: a token bucket, as API Gateway throttles.

use std::sync::Mutex;
use tokio::time::Instant;

/// Up to `burst` takes at once, refilled at `rate` a second; `rate` 0 never refuses.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(rate: u32, burst: u32) -> Self {
        Self {
            rate: f64::from(rate),
            burst: f64::from(burst),
            state: Mutex::new(Bucket {
                tokens: f64::from(burst),
                refilled: Instant::now(),
            }),
        }
    }

    /// Takes a token if one is left; false means "throttle".
    pub(crate) fn try_take(&self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let mut b = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = now.duration_since(b.refilled).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.refilled = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn refuses_beyond_the_burst_then_refills_at_the_rate() {
        let bucket = TokenBucket::new(10, 3);
        let t0 = bucket.state.lock().unwrap().refilled;
        assert!((0..3).all(|_| bucket.take_at(t0)));
        assert!(!bucket.take_at(t0));
        let t1 = t0 + Duration::from_millis(100);
        assert!(bucket.take_at(t1));
        assert!(!bucket.take_at(t1));
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| bucket.take_at(t2)).count(), 3);
    }

    #[test]
    fn rate_zero_is_unlimited() {
        let bucket = TokenBucket::new(0, 0);
        assert!((0..10_000).all(|_| bucket.try_take()));
    }
}
