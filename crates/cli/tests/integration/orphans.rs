//! Function processes end with `wsproxy serve`, however it ends: SIGKILL (the kernel ends
//! them, PR_SET_PDEATHSIG) or SIGHUP (a closed terminal: a graceful stop). A runtime client
//! left polling a Runtime API that is gone can spin and grow without end.

use crate::functions::Served;
use std::time::Duration;

/// The pid of the function process `serve` logged as ready.
async fn function_pid(served: &Served) -> u32 {
    let logged = served.logged(&["the function process is ready"]).await;
    let line = strip_colours(&logged);
    let at = line.find("pid=").expect("the line names the pid") + 4;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {line}"))
}

/// `line` without its ANSI colour sequences (`ESC [ ... m`).
fn strip_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Waits up to 10 s for `pid` to be gone (or a zombie nobody reaps).
async fn ends(pid: u32) -> bool {
    for _ in 0..200 {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let gone = state.is_empty()
            || state
                .rsplit(") ")
                .next()
                .is_some_and(|s| s.starts_with('Z'));
        if gone {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn serve_one_function() -> (Served, u32) {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/functions/runtime.py");
    // A process that outlives its runtime client, as a runtime client stuck polling would:
    // nothing but the kernel's death signal ends it when the gateway is killed.
    let function = format!("f=sh -c 'python3 \"{}\"; exec sleep 600'", script.display());
    let served = Served::start(&["--no-tls", "--function", &function]).await;
    let pid = function_pid(&served).await;
    assert!(!ends_now(pid), "the function runs");
    (served, pid)
}

fn ends_now(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_killed_gateway_takes_its_functions_with_it() {
    let (mut served, pid) = serve_one_function().await;
    served.child.start_kill().expect("SIGKILL sent");
    let _ = served.child.wait().await;
    assert!(
        ends(pid).await,
        "function process {pid} outlived the killed gateway"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_hangup_stops_the_gateway_and_its_functions() {
    let (mut served, pid) = serve_one_function().await;
    let gateway = served.child.id().expect("running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &gateway])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = tokio::time::timeout(crate::functions::WAIT, served.child.wait())
        .await
        .expect("the gateway stopped on SIGHUP")
        .unwrap();
    assert!(status.success(), "a graceful stop: {status:?}");
    assert!(
        ends(pid).await,
        "function process {pid} outlived the gateway"
    );
}
