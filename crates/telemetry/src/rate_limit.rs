//! A per-call-site rate limit on warnings and errors, with a count of what it dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::callsite::Identifier;
use tracing::{Event, Level, Metadata};
use tracing_subscriber::layer::{Context, Filter};

/// Lets at most `burst` warnings or errors from one call site through per `window`; the
/// rest are dropped and counted, and [`RateLimit::report`] (run every window by
/// [`RateLimit::spawn_reporter`]) says how many were dropped where, in one line a call site
/// (`suppressed`, `callsite`). Lower levels pass untouched. Clones share their counts.
#[derive(Debug, Clone)]
pub struct RateLimit {
    burst: u32,
    window: Duration,
    sites: Arc<Mutex<HashMap<Identifier, Window>>>,
}

#[derive(Debug)]
struct Window {
    name: &'static str,
    started: Instant,
    passed: u32,
    suppressed: u64,
}

impl Default for RateLimit {
    /// 20 lines a call site per second.
    fn default() -> Self {
        Self::new(20, Duration::from_secs(1))
    }
}

impl RateLimit {
    /// At most `burst` lines from one call site per `window`.
    pub fn new(burst: u32, window: Duration) -> Self {
        Self {
            burst: burst.max(1),
            window,
            sites: Arc::default(),
        }
    }

    /// Counts one event of `meta`'s call site; true when it may be written.
    fn admit(&self, meta: &'static Metadata<'static>, now: Instant) -> bool {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        let w = sites.entry(meta.callsite()).or_insert(Window {
            name: meta.name(),
            started: now,
            passed: 0,
            suppressed: 0,
        });
        if now.duration_since(w.started) >= self.window {
            w.started = now;
            w.passed = 0;
        }
        if w.passed < self.burst {
            w.passed += 1;
            true
        } else {
            w.suppressed += 1;
            false
        }
    }

    /// Writes one warning per call site that dropped lines since the last report. (Not
    /// from inside the filter: `tracing` drops events dispatched while one is being handled.)
    pub fn report(&self) {
        let dropped: Vec<(&'static str, u64)> = {
            let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
            sites
                .values_mut()
                .filter(|w| w.suppressed > 0)
                .map(|w| (w.name, std::mem::take(&mut w.suppressed)))
                .collect()
        };
        for (callsite, suppressed) in dropped {
            tracing::warn!(
                target: "wsproxy::log",
                suppressed,
                callsite,
                "log lines from one place were suppressed by the rate limit"
            );
        }
    }

    /// Runs [`RateLimit::report`] once a window on a background thread, for the process's life.
    pub fn spawn_reporter(&self) {
        let limit = self.clone();
        let spawned = std::thread::Builder::new()
            .name("wsproxy-log-limit".into())
            .spawn(move || loop {
                std::thread::sleep(limit.window);
                limit.report();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the log rate limit's reporter; dropped lines will not be counted in the log");
        }
    }
}

impl<S> Filter<S> for RateLimit {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        let meta = event.metadata();
        *meta.level() > Level::WARN || self.admit(meta, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::Layer as _;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    fn lines(c: &Captured) -> Vec<String> {
        String::from_utf8(c.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_flood_is_cut_to_the_burst_and_counted() {
        let out = Captured::default();
        let window = Duration::from_millis(200);
        let limit = RateLimit::new(5, window);
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(out.clone())
                .with_ansi(false)
                .with_filter(limit.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..1000 {
                tracing::warn!(i, "flood");
                tracing::info!(i, "info is not limited");
            }
            limit.report();
            limit.report();
            std::thread::sleep(window);
            tracing::warn!("after the window");
        });
        let lines = lines(&out);
        let count = |s: &str| lines.iter().filter(|l| l.contains(s)).count();
        assert_eq!(count("flood"), 5, "{lines:#?}");
        assert_eq!(count("info is not limited"), 1000);
        assert_eq!(count("after the window"), 1);
        let summary: Vec<_> = lines
            .iter()
            .filter(|l| l.contains("suppressed by the rate limit"))
            .collect();
        assert_eq!(summary.len(), 1, "{lines:#?}");
        assert!(summary[0].contains("suppressed=995"), "{}", summary[0]);
        assert!(summary[0].contains("rate_limit.rs"), "{}", summary[0]);
    }

    #[test]
    fn call_sites_are_limited_apart() {
        let out = Captured::default();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(out.clone())
                .with_ansi(false)
                .with_filter(RateLimit::new(2, Duration::from_secs(60))),
        );
        tracing::subscriber::with_default(subscriber, || {
            for _ in 0..10 {
                tracing::error!("site a");
                tracing::warn!("site b");
                tracing::debug!("site c");
            }
        });
        let lines = lines(&out);
        let count = |s: &str| lines.iter().filter(|l| l.contains(s)).count();
        assert_eq!((count("site a"), count("site b")), (2, 2), "{lines:#?}");
        assert_eq!(count("suppressed"), 0, "the window has not ended");
    }
}
