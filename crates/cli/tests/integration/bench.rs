//! `wsproxy bench` as a user runs it: a short gateway benchmark against its own
//! `wsproxy serve --demo` child.

use std::time::Duration;
use tokio::process::Command;

/// The idle sockets' per-socket growth is measured on a fresh gateway: after 400 connects
/// the allocator kept their memory, and 400 idle sockets measured then grew the RSS by
/// almost nothing ("0.13 KiB a socket" where a socket costs several KiB).
#[tokio::test]
async fn the_idle_figure_is_what_a_socket_costs_after_other_measurements() {
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new(env!("CARGO_BIN_EXE_wsproxy"))
            .args(["bench", "--connects", "400", "--concurrency", "32"])
            .args(["--round-trips", "10", "--broadcast-size", "10"])
            .args(["--broadcast-runs", "2", "--idle", "400"])
            .output(),
    )
    .await
    .expect("the benchmark finished within 120 s")
    .expect("wsproxy runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = stdout
        .lines()
        .find(|l| l.contains("idle sockets"))
        .unwrap_or_else(|| panic!("no idle row in:\n{stdout}"));
    let kib: f64 = row
        .split("; ")
        .nth(1)
        .and_then(|s| s.split(" KiB a socket").next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no per-socket figure in {row}"));
    // A feed socket holds at least its 1 KiB read buffer and its tasks.
    assert!(
        kib > 2.0,
        "{kib} KiB a socket is below any real socket: {row}"
    );
}
