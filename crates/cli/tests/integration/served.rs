//! `wsproxy serve --demo` started by a test: the child process, the URLs it printed, and its
//! SIGTERM.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// Longest wait for the child to start or to exit.
pub(crate) const WAIT: Duration = Duration::from_secs(60);

/// A running `wsproxy serve --demo` and the URLs it printed.
pub(crate) struct Served {
    /// The process (killed when dropped).
    pub child: Child,
    /// The demo page, `http://ADDR/`.
    pub page: String,
    /// The WebSocket URL, `ws://ADDR/dev`.
    pub ws: String,
    /// The demo backend's base URL.
    pub backend: String,
}

impl Served {
    /// `HOST:PORT` of the gateway.
    pub(crate) fn addr(&self) -> &str {
        self.ws
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default()
    }

    /// Sends SIGTERM (see [`Served::exited`] for the exit).
    pub(crate) async fn sigterm(&self) {
        let pid = self.child.id().expect("still running").to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill runs");
        assert!(killed.success(), "kill -TERM {pid}");
    }

    /// Waits for the exit.
    pub(crate) async fn exited(&mut self) -> ExitStatus {
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("wsproxy exited")
            .expect("waiting for wsproxy")
    }
}

/// `wsproxy serve --demo` on a free port with further `flags` and environment `vars`.
pub(crate) async fn serve_demo(flags: &[&str], vars: &[(&str, &str)]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .args(flags)
        .envs(vars.iter().copied())
        .env_remove("BACKEND_URL")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("wsproxy starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut page, mut ws, mut backend) = (None, None, None);
    while page.is_none() || ws.is_none() || backend.is_none() {
        let line = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("wsproxy printed its URLs")
            .unwrap()
            .expect("wsproxy exited before printing its URLs");
        if let Some(rest) = line.strip_prefix("demo page: ") {
            page = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("wsproxy listening on ") {
            ws = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("backend: ") {
            backend = Some(rest.trim().to_owned());
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served {
        child,
        page: page.unwrap(),
        ws: ws.unwrap(),
        backend: backend.unwrap(),
    }
}
