//! What a function process starts ends with it: on the gateway's shutdown, and when the
//! function exits by itself (the process runs in its own group, and the group is killed).

use crate::common::PATIENCE;
use crate::lambda_setup::{echo_function, Setup};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A private temporary folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsproxy-children-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The pid the function's shell wrote, once it has.
async fn pid_in(file: &Path) -> u32 {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            if let Ok(pid) = text.trim().parse() {
                return pid;
            }
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the function never wrote {}",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// True while `pid` runs (a zombie waiting for its reaper counts as ended).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits until `pid` has ended; fails after the tests' patience.
async fn ended(pid: u32, what: &str) {
    let start = Instant::now();
    while alive(pid) {
        assert!(
            start.elapsed() < PATIENCE,
            "{what} (pid {pid}) outlived the function"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_child_of_the_function_ends_with_the_gateway() {
    let dir = temp_dir("shutdown");
    let pid_file = dir.join("child.pid");
    let script = format!(
        "sleep 600 & echo $! > '{}'; exec '{}'",
        pid_file.display(),
        echo_function().display()
    );
    let mut s = Setup::start(move |lambda| {
        lambda.bootstrap = "sh".into();
        lambda.args = vec!["-c".into(), script];
    })
    .await;
    let (_ws, _, _) = s.connect("").await;
    let child = pid_in(&pid_file).await;
    assert!(
        alive(child),
        "the function's child runs while the function does"
    );
    s.shutdown().await;
    ended(child, "the function's child").await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_child_of_a_function_that_exits_ends_with_it() {
    let dir = temp_dir("exit");
    let pid_file = dir.join("child.pid");
    // The first process leaves a child behind and exits; its replacement serves.
    let script = format!(
        "if [ ! -e '{pid}' ]; then sleep 600 & echo $! > '{pid}'; exit 3; fi; exec '{echo}'",
        pid = pid_file.display(),
        echo = echo_function().display()
    );
    let mut s = Setup::start(move |lambda| {
        lambda.bootstrap = "sh".into();
        lambda.args = vec!["-c".into(), script];
    })
    .await;
    let child = pid_in(&pid_file).await;
    ended(child, "the exited function's child").await;
    let (_ws, _, _) = s.connect("").await;
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
