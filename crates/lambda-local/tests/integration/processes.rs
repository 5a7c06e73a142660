//! Real function processes: small Python runtimes speaking the Runtime API with `urllib`,
//! supervised by the service.

use crate::common::within;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig, Outcome};

/// A folder of its own holding `app.py` with `code`.
fn function_dir(name: &str, code: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsproxy-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.py"), code).unwrap();
    dir
}

/// A runtime that answers its first invocation with its pid, then sleeps without asking for
/// another.
const ANSWERS_ONCE: &str = r#"
import json, os, time, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
with urllib.request.urlopen(api + "next") as r:
    rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
body = json.dumps({"pid": os.getpid()}).encode()
urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body)).read()
time.sleep(600)
"#;

fn pid_of(outcome: Outcome) -> u64 {
    let Outcome::Response(body) = outcome else {
        panic!("a response, got {outcome:?}");
    };
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    doc["pid"].as_u64().expect("a pid")
}

#[tokio::test]
async fn a_process_that_answers_and_stops_polling_is_replaced() {
    let dir = function_dir("answers-once", ANSWERS_ONCE);
    let mut config = LocalFunctionConfig::new("python3");
    config.args = vec!["app.py".into()];
    config.working_dir = Some(dir.clone());
    config.function_name = "answers-once".into();
    // Events wait up to 8 s for a process; a silent one is replaced after 2 s.
    config.timeout = Duration::from_secs(8);
    let function = LocalFunction::start(config).await.expect("start");
    assert!(function.ready(Duration::from_secs(20)).await, "ready");

    let first = pid_of(within("the first answer", function.invoke(&json!({}))).await);
    let asked = Instant::now();
    let second = pid_of(within("the second answer", function.invoke(&json!({}))).await);
    assert_ne!(first, second, "a fresh process took the second event");
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "replaced within its bound: {:?}",
        asked.elapsed()
    );
    let stats = function.stats();
    assert_eq!((stats.responses, stats.crashes), (2, 0), "{stats:?}");
    let wedged = stats
        .processes
        .iter()
        .find(|p| p.pid as u64 == first)
        .unwrap();
    assert!(!wedged.running, "the silent process was ended: {wedged:?}");
    function.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A runtime that writes `state.json` beside its code on every invocation, and answers with
/// its pid.
const WRITES_BESIDE_ITS_CODE: &str = r#"
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
n = 0
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    n += 1
    with open("state.json", "w") as f:
        f.write(json.dumps({"n": n}))
    body = json.dumps({"pid": os.getpid()}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body)).read()
"#;

#[tokio::test]
async fn a_file_the_function_writes_beside_its_code_reloads_nothing_but_an_edit_does() {
    let dir = function_dir("writes-beside", WRITES_BESIDE_ITS_CODE);
    let mut config = LocalFunctionConfig::new("python3");
    config.args = vec!["app.py".into()];
    config.working_dir = Some(dir.clone());
    config.function_name = "writes-beside".into();
    let function = LocalFunction::start(config).await.expect("start");
    assert!(function.ready(Duration::from_secs(20)).await, "ready");

    let mut pids = Vec::new();
    for _ in 0..4 {
        pids.push(pid_of(
            within("an answer", function.invoke(&json!({}))).await,
        ));
    }
    assert!(dir.join("state.json").is_file());
    assert!(
        pids.iter().all(|p| *p == pids[0]),
        "the function's own writes restarted it: {pids:?}"
    );
    // An edit made between events is the user's: the next event runs on a fresh process.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let code = std::fs::read_to_string(dir.join("app.py")).unwrap();
    std::fs::write(dir.join("app.py"), format!("{code}\n# edited\n")).unwrap();
    let after = pid_of(within("an answer", function.invoke(&json!({}))).await);
    assert_ne!(after, pids[0], "an edit reloads the function");
    function.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
