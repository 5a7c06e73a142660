//! The gateway under test: `wsproxy serve` as a child process, and its memory.

use anyhow::{bail, Context};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

/// A running `wsproxy serve` child process.
pub(crate) struct ServeChild {
    child: Child,
    pid: u32,
    /// `ws://ADDR/dev`.
    pub ws_url: String,
    /// `http://ADDR/metrics` when the child was started with `--admin-listen`.
    pub metrics_url: Option<String>,
    stderr: Option<ChildStderr>,
}

impl ServeChild {
    /// Starts `wsproxy serve --demo` on a free port and waits for its listening line. The
    /// benchmark connects faster than the default new-connection rate allows, so that limit
    /// is off, and the connection cap is `max_connections`.
    pub(crate) async fn spawn(max_connections: usize) -> anyhow::Result<Self> {
        let max_connections = max_connections.to_string();
        Self::spawn_with(&[
            "--demo",
            "--new-connections-per-second",
            "0",
            "--max-connections",
            &max_connections,
        ])
        .await
    }

    /// Starts `wsproxy serve` with `args` on a free port and waits for its listening line.
    pub(crate) async fn spawn_with(args: &[&str]) -> anyhow::Result<Self> {
        Self::spawn_piped(args, false).await
    }

    /// As [`Self::spawn_with`]; with `pipe_stderr` the child's stderr is kept for the caller
    /// ([`Self::take_stderr`]) instead of shared with ours. With `--admin-listen` in `args`
    /// it also waits for the metrics line ([`Self::metrics_url`]).
    pub(crate) async fn spawn_piped(args: &[&str], pipe_stderr: bool) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the wsproxy executable")?;
        let mut child = Command::new(exe)
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(if pipe_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .kill_on_drop(true)
            .spawn()
            .context("could not start wsproxy serve")?;
        let pid = child.id().context("the child exited at once")?;
        let stderr = child.stderr.take();
        let wants_metrics = args.contains(&"--admin-listen");
        let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
        let (mut ws_url, mut metrics_url) = (None, None);
        while let Some(line) = lines.next_line().await? {
            if let Some(url) = line.strip_prefix("wsproxy listening on ") {
                ws_url = Some(url.trim().to_owned());
            } else if let Some(url) = line.strip_prefix("metrics: ") {
                metrics_url = Some(url.trim().to_owned());
            }
            if let Some(ws_url) = &ws_url {
                if metrics_url.is_some() || !wants_metrics {
                    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                    return Ok(Self {
                        child,
                        pid,
                        ws_url: ws_url.clone(),
                        metrics_url,
                        stderr,
                    });
                }
            }
        }
        bail!("wsproxy serve exited before it listened")
    }

    /// The child's stderr, once, when it was started with `pipe_stderr`.
    pub(crate) fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.stderr.take()
    }

    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Resident memory now, KiB.
    pub(crate) fn rss_kib(&self) -> anyhow::Result<u64> {
        self.status_field("VmRSS:")
    }

    /// Peak resident memory, KiB.
    pub(crate) fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        self.status_field("VmHWM:")
    }

    fn status_field(&self, name: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .context("cannot read /proc: the memory figures need Linux")?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {name} in /proc/{}/status", self.pid))
    }

    /// Stops the child with SIGINT-like kill and waits for it.
    pub(crate) async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
