//! The function's processes: one supervisor per slot starts `bootstrap`, forwards its output,
//! samples its memory, replaces it when it ends, and gives up on a binary that cannot start.

use crate::config::LocalFunctionConfig;
use crate::process_metrics::{PROCESSES, RESTARTS};
use crate::slots::Slots;
use crate::stats::ProcessStats;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Child;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{error, info, warn};

/// A process that has not asked for an invocation this long after it started is reported
/// (AWS's init phase limit).
const INIT_REPORT_AFTER: Duration = Duration::from_secs(10);
/// A slot whose processes end this many times in a row without taking an invocation gives up.
const MAX_FAILURES: u32 = 5;
/// How often a running process's peak memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(500);
/// Processes kept in the statistics.
const KEEP_RECORDS: usize = 64;
/// A process that answered an invocation and has not asked for the next one this long after
/// (at most a quarter of the function's timeout), while invocations wait, is replaced: it
/// would hold its slot for good (a runtime that answers and then hangs, or sleeps).
const STALL_AFTER: Duration = Duration::from_secs(2);
/// Kill whatever process runs in the slot.
pub(crate) const KILL_ANY: u64 = u64::MAX;

struct Record {
    stats: ProcessStats,
    spawned: Instant,
}

/// Every process slot, its records and the means to stop it.
pub(crate) struct Processes {
    config: LocalFunctionConfig,
    slots: Arc<Slots>,
    records: Mutex<VecDeque<Record>>,
    kills: Vec<mpsc::UnboundedSender<u64>>,
    stop: watch::Sender<bool>,
    gave_up: AtomicUsize,
}

impl Processes {
    /// The slots' kill channels come first: the invocations' deadline needs them.
    pub(crate) fn channels(
        n: usize,
    ) -> (
        Vec<mpsc::UnboundedSender<u64>>,
        Vec<mpsc::UnboundedReceiver<u64>>,
    ) {
        (0..n).map(|_| mpsc::unbounded_channel()).unzip()
    }

    pub(crate) fn new(
        config: LocalFunctionConfig,
        slots: Arc<Slots>,
        kills: Vec<mpsc::UnboundedSender<u64>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            config,
            slots,
            records: Mutex::new(VecDeque::new()),
            kills,
            stop: watch::channel(false).0,
            gave_up: AtomicUsize::new(0),
        })
    }

    fn records(&self) -> std::sync::MutexGuard<'_, VecDeque<Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `f` to the running process of `slot`, if any.
    fn with_current<T>(&self, slot: usize, f: impl FnOnce(&mut Record) -> T) -> Option<T> {
        let mut records = self.records();
        records
            .iter_mut()
            .rev()
            .find(|r| r.stats.slot == slot && r.stats.running)
            .map(f)
    }

    /// `slot`'s process asked for an invocation: its init is over, if it was not yet.
    pub(crate) fn polled(&self, slot: usize) {
        let first = self.with_current(slot, |r| {
            sample_rss(&mut r.stats);
            if r.stats.init.is_some() {
                return None;
            }
            let init = r.spawned.elapsed();
            r.stats.init = Some(init);
            Some((r.stats.pid, init))
        });
        if let Some(Some((pid, init))) = first {
            info!(
                slot,
                pid,
                init_ms = init.as_millis() as u64,
                "the function process is ready"
            );
        }
    }

    /// `slot`'s process took an invocation.
    pub(crate) fn took_invocation(&self, slot: usize) {
        self.with_current(slot, |r| r.stats.invocations += 1);
    }

    /// `slot`'s process answered an invocation.
    pub(crate) fn answered(&self, slot: usize) {
        self.with_current(slot, |r| sample_rss(&mut r.stats));
    }

    /// `slot`'s process reported an init error.
    pub(crate) fn init_error(&self, slot: usize, message: String) {
        self.with_current(slot, |r| r.stats.init_error = Some(message));
    }

    /// Every process started so far (the last [`KEEP_RECORDS`]), running ones sampled now.
    pub(crate) fn stats(&self) -> Vec<ProcessStats> {
        let mut records = self.records();
        records
            .iter_mut()
            .map(|r| {
                if r.stats.running {
                    sample_rss(&mut r.stats);
                }
                r.stats.clone()
            })
            .collect()
    }

    /// Starts the supervisor of each slot; `runtime_addrs[slot]` is the Runtime API address
    /// its processes get, `invoke_addr` the Invoke API's.
    pub(crate) fn start(
        self: &Arc<Self>,
        runtime_addrs: Vec<SocketAddr>,
        invoke_addr: SocketAddr,
        kills: Vec<mpsc::UnboundedReceiver<u64>>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        runtime_addrs
            .into_iter()
            .zip(kills)
            .enumerate()
            .map(|(slot, (addr, kills))| {
                tokio::spawn(self.clone().supervise(slot, addr, invoke_addr, kills))
            })
            .collect()
    }

    /// Kills `slot`'s process if it is still the one of `generation` ([`KILL_ANY`]: whichever).
    pub(crate) fn kill(&self, slot: usize, generation: u64) {
        if let Some(k) = self.kills.get(slot) {
            let _ = k.send(generation);
        }
    }

    /// Stops every supervisor and kills every process.
    pub(crate) fn stop(&self) {
        let _ = self.stop.send(true);
        for slot in 0..self.kills.len() {
            self.kill(slot, KILL_ANY);
        }
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Runs processes in `slot` until stopped, or until they keep failing.
    async fn supervise(
        self: Arc<Self>,
        slot: usize,
        runtime: SocketAddr,
        invoke: SocketAddr,
        mut kills: mpsc::UnboundedReceiver<u64>,
    ) {
        let mut stop = self.stop.subscribe();
        let mut failures = 0u32;
        let path = self.config.command_line();
        loop {
            if self.stopping() {
                return;
            }
            let generation = self.slots.generation(Some(slot));
            let (reason, took, killed) =
                match crate::spawn::command(&self.config, slot, runtime, invoke).spawn() {
                    Ok(child) => {
                        metrics::gauge!(PROCESSES).increment(1.0);
                        let (reason, killed) = self.run(slot, generation, child, &mut kills).await;
                        metrics::gauge!(PROCESSES).decrement(1.0);
                        let took = self.ended(slot, &reason);
                        (reason, took, killed)
                    }
                    Err(e) => (format!("could not start {path}: {e}"), 0, false),
                };
            // A process replaced because its code changed is no failure.
            let retired = self.slots.is_retired(slot, generation);
            let lost = self.slots.process_ended(slot, &reason);
            if self.stopping() {
                return;
            }
            metrics::counter!(RESTARTS).increment(1);
            if lost > 0 && !killed {
                warn!(
                    slot,
                    "the function process crashed ({reason}) while running an invocation"
                );
            } else if !killed {
                warn!(
                    slot,
                    "the function process ended ({reason}); starting another"
                );
            }
            // A process that never took an invocation failed to start (a crash at init, an init
            // error, a binary that cannot run); one that did, or one retired, is replaced at once.
            failures = if took == 0 && !retired {
                failures + 1
            } else {
                0
            };
            if failures >= MAX_FAILURES {
                error!(
                    slot,
                    "the function ended {failures} times in a row before taking an invocation \
                     (last: {reason}); giving up on this process slot. Check that `{path}` \
                     runs a Lambda runtime on this machine, and its output above"
                );
                if self.gave_up.fetch_add(1, Ordering::SeqCst) + 1 == self.kills.len() {
                    self.slots
                        .close(&format!("the function cannot start: {reason}"));
                }
                return;
            }
            if failures > 0 {
                let backoff = Duration::from_millis(100 << failures.min(6));
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }
    }

    /// Runs one process to its end; returns how it ended and whether we killed it.
    async fn run(
        &self,
        slot: usize,
        generation: u64,
        mut child: Child,
        kills: &mut mpsc::UnboundedReceiver<u64>,
    ) -> (String, bool) {
        let pid = child.id().unwrap_or(0);
        let spawned = Instant::now();
        {
            let mut records = self.records();
            if records.len() >= KEEP_RECORDS {
                records.pop_front();
            }
            records.push_back(Record {
                spawned,
                stats: ProcessStats {
                    slot,
                    pid,
                    init: None,
                    peak_rss_kib: None,
                    invocations: 0,
                    running: true,
                    exit: None,
                    init_error: None,
                },
            });
        }
        let prefix = format!("[{}#{slot}]", self.config.function_name);
        if let Some(out) = child.stdout.take() {
            tokio::spawn(crate::spawn::forward(out, prefix.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(crate::spawn::forward(err, prefix));
        }
        let init_report = tokio::time::sleep_until(spawned + INIT_REPORT_AFTER);
        tokio::pin!(init_report);
        let mut reported = false;
        let mut sample = tokio::time::interval(SAMPLE_EVERY);
        let stall_after = STALL_AFTER.min(self.config.timeout / 4);
        loop {
            tokio::select! {
                status = child.wait() => {
                    let reason = match status {
                        Ok(s) => s.to_string(),
                        Err(e) => format!("lost track of it: {e}"),
                    };
                    crate::spawn::kill_group(pid);
                    return (reason, false);
                }
                Some(g) = kills.recv() => {
                    if g != generation && g != KILL_ANY {
                        continue;
                    }
                    return (self.kill_now(slot, pid, &mut child).await, true);
                }
                _ = sample.tick() => {
                    self.with_current(slot, |r| sample_rss(&mut r.stats));
                    if let Some(silent) = self.slots.stalled(slot, generation, stall_after) {
                        warn!(
                            slot,
                            pid,
                            "the function process answered {} ms ago and has not asked for its \
                             next invocation since, while invocations wait; replacing it",
                            silent.as_millis()
                        );
                        return (self.kill_now(slot, pid, &mut child).await, true);
                    }
                }
                () = &mut init_report, if !reported => {
                    reported = true;
                    let waiting = self.with_current(slot, |r| r.stats.init.is_none()) == Some(true);
                    if waiting {
                        let msg = format!(
                            "has not asked for an invocation {} s after it started: is it a \
                             Lambda runtime (lambda_runtime::run) reading AWS_LAMBDA_RUNTIME_API?",
                            INIT_REPORT_AFTER.as_secs()
                        );
                        warn!(slot, pid, "the function process {msg}");
                        self.init_error(slot, msg);
                    }
                }
            }
        }
    }

    /// Kills `slot`'s process (its whole group) and waits for it; returns how it ended.
    async fn kill_now(&self, slot: usize, pid: u32, child: &mut Child) -> String {
        self.with_current(slot, |r| sample_rss(&mut r.stats));
        let _ = child.start_kill();
        crate::spawn::kill_group(pid);
        match child.wait().await {
            Ok(s) => format!("killed ({s})"),
            Err(e) => format!("killed ({e})"),
        }
    }

    /// Marks `slot`'s process ended; returns how many invocations it took.
    fn ended(&self, slot: usize, reason: &str) -> u64 {
        self.with_current(slot, |r| {
            r.stats.running = false;
            r.stats.exit = Some(reason.to_owned());
            r.stats.invocations
        })
        .unwrap_or(0)
    }
}

/// Raises `stats.peak_rss_kib` to the process's `VmHWM`, while it still runs.
fn sample_rss(stats: &mut ProcessStats) {
    if let Some(kib) = vm_hwm_kib(stats.pid) {
        stats.peak_rss_kib = Some(stats.peak_rss_kib.map_or(kib, |p| p.max(kib)));
    }
}

/// `VmHWM` of `/proc/{pid}/status`, KiB (Linux only; `None` elsewhere or once it ended).
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_peak_memory() {
        let kib = vm_hwm_kib(std::process::id());
        if cfg!(target_os = "linux") {
            assert!(kib.is_some_and(|k| k > 0), "{kib:?}");
        }
    }
}
