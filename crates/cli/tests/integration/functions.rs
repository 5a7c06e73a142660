//! `wsproxy serve --lambda COMMAND --function NAME=COMMAND`: real function processes (a
//! Python script speaking the Runtime API with the standard library only), routes going to
//! different functions, a hang past the timeout, a crash at init, and bad flags.

use futures::{SinkExt as _, StreamExt as _};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Longest wait for anything: generous, the machine is shared.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// The test function's script, after checking that `python3` runs.
fn runtime_py() -> String {
    let ok = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "these tests run a Python function: install python3 (any 3.x, no packages needed)"
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/functions");
    dir.join("runtime.py").display().to_string()
}

/// A running `wsproxy serve`, what it printed up to a quiet moment after its URL, and
/// everything it logged so far (the local gateway's, TLS and reload tests use it too).
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) ws: String,
    pub(crate) printed: Vec<String>,
    pub(crate) log: Arc<Mutex<String>>,
    /// The child's own cache folder (`XDG_CACHE_HOME`: its local CA, its unpacked zips),
    /// unless the test gave one; removed when dropped.
    pub(crate) _cache: Option<tempfile::TempDir>,
}

impl Served {
    /// `wsproxy serve --backend-url http://127.0.0.1:9` (nothing listens there) with `flags`.
    pub(crate) async fn start(flags: &[&str]) -> Self {
        let mut all = vec!["--backend-url", "http://127.0.0.1:9"];
        all.extend_from_slice(flags);
        Self::launch(&all, &[]).await
    }

    /// `wsproxy serve` on a free loopback port with `flags` and the variables `env` added.
    /// Without `XDG_CACHE_HOME` in `env` it gets a fresh cache folder of its own: no test
    /// shares the user's (or another test's) local CA or unpacked zips.
    pub(crate) async fn launch(flags: &[&str], env: &[(&str, &str)]) -> Self {
        let cache = (!env.iter().any(|(k, _)| *k == "XDG_CACHE_HOME"))
            .then(|| tempfile::tempdir().expect("a cache folder"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_wsproxy"));
        if let Some(cache) = &cache {
            command.env("XDG_CACHE_HOME", cache.path());
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(flags)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("wsproxy starts");
        let log = Arc::new(Mutex::new(String::new()));
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        let ws = loop {
            let line = tokio::time::timeout(WAIT, out.next_line())
                .await
                .expect("wsproxy printed its URL")
                .unwrap()
                .unwrap_or_else(|| panic!("wsproxy exited: {}", log.lock().unwrap()));
            printed.push(line.clone());
            if let Some(url) = line.strip_prefix("wsproxy listening on ") {
                break url.trim().to_owned();
            }
        };
        // The lines after the URL are printed at once.
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_millis(300), out.next_line()).await
        {
            printed.push(line);
        }
        tokio::spawn(async move { while let Ok(Some(_)) = out.next_line().await {} });
        Self {
            child,
            ws,
            printed,
            log,
            _cache: cache,
        }
    }

    pub(crate) async fn open(&self, query: &str) -> Result<Ws, WsError> {
        let url = format!("{}?{query}", self.ws);
        tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("the handshake ended")
            .map(|(ws, _)| ws)
    }

    /// Waits until the log has a line containing every one of `parts`.
    pub(crate) async fn logged(&self, parts: &[&str]) -> String {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let log = self.log.lock().unwrap().clone();
                if let Some(line) = log.lines().find(|l| parts.iter().all(|p| l.contains(p))) {
                    return line.to_owned();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        found.unwrap_or_else(|_| {
            panic!(
                "no log line with {parts:?}; the log:\n{}",
                self.log.lock().unwrap()
            )
        })
    }
}

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn next_text(ws: &mut Ws) -> String {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(t) = frame {
            return t.to_string();
        }
    }
}

pub(crate) fn status(result: Result<Ws, WsError>) -> u16 {
    match result {
        Err(WsError::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("expected a refusal, the socket opened"),
    }
}

#[tokio::test]
async fn routes_run_on_their_functions_and_a_hang_is_replaced() {
    let py = runtime_py();
    let default = format!("python3 {py}");
    // The arguments after the script only name the handler, as awslambdaric's do.
    let other = format!("python3 -u {py} awslambdaric app.handler");
    // A folder of its own: the function's folder is watched for changes (reload), and the
    // shared temporary folder changes all the time (this very serve writes its CA there).
    let own = tempfile::tempdir().expect("a folder for the function");
    let dir = own.path().to_path_buf();
    let dir_flag = format!("other={}", dir.display());
    let s = Served::start(&[
        "--route",
        "sendmessage",
        "--lambda",
        &default,
        "--function",
        &format!("other={other}"),
        "--route-function",
        "sendmessage=other",
        "--function-env",
        "other:GREETING=hi there",
        "--function-timeout",
        "other=1",
        "--function-timeout",
        "wsproxy-local=1",
        "--function-dir",
        &dir_flag,
    ])
    .await;

    // Each function's output, prefixed with its name; once both have started (a busy
    // machine may take longer than their 1 s timeout to start Python), $connect and
    // $default run on the default function, sendmessage on the other one, with its own
    // variables, timeout and directory.
    s.logged(&["[other#0]", "init other in", dir.to_str().unwrap()])
        .await;
    s.logged(&["[wsproxy-local#0]", "init wsproxy-local"]).await;
    let mut ws = s.open("").await.expect("connected");
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "wsproxy-local:hello:-:1:-");
    let custom = r#"{"action":"sendmessage"}"#;
    ws.send(Message::text(custom)).await.unwrap();
    assert_eq!(
        next_text(&mut ws).await,
        format!("other:{custom}:hi there:1:app.handler")
    );
    // A message that hangs: killed after 1 s and replaced; the next message works.
    ws.send(Message::text(r#"{"action":"sendmessage","x":"hang"}"#))
        .await
        .unwrap();
    s.logged(&["[other#0]", "hanging on purpose"]).await;
    // The timed-out message gets API Gateway's error frame.
    assert!(next_text(&mut ws)
        .await
        .starts_with(r#"{"message": "Internal server error", "connectionId":"#));
    s.logged(&["timed out"]).await;
    // The replacement starts; an event waits at most the function's timeout (1 s) for a
    // process, and a busy machine may take longer than that to start Python.
    let started = Instant::now();
    while s.log.lock().unwrap().matches("init other in").count() < 2 {
        assert!(
            started.elapsed() < WAIT,
            "the hung process was never replaced"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ws.send(Message::text(r#"{"action":"sendmessage","x":"after"}"#))
        .await
        .unwrap();
    assert!(next_text(&mut ws).await.contains("after"));

    // A $connect that hangs: the upgrade is answered 502 as for any integration failure,
    // and the next one runs on a fresh process.
    assert_eq!(status(s.open("hang=1").await), 502);
    let started = Instant::now();
    while s.log.lock().unwrap().matches("init wsproxy-local").count() < 2 {
        assert!(
            started.elapsed() < WAIT,
            "the hung process was never replaced"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(s.open("deny=1").await), 401);
    let mut again = s.open("").await.expect("connected after the hang");
    again.send(Message::text("still")).await.unwrap();
    assert_eq!(next_text(&mut again).await, "wsproxy-local:still:-:1:-");
    drop(s.child);
}

#[tokio::test]
async fn a_function_that_crashes_at_init_is_given_up_and_the_others_keep_serving() {
    let py = runtime_py();
    let command = format!("python3 {py}");
    let s = Served::start(&[
        "--route",
        "sendmessage",
        "--lambda",
        &command,
        "--function-env",
        "wsproxy-local:CRASH_AT_INIT=1",
        "--function-timeout",
        "wsproxy-local=2",
        "--function",
        &format!("ok={command}"),
        "--route-function",
        "$connect=ok",
        "--route-function",
        "sendmessage=ok",
    ])
    .await;
    let mut ws = s
        .open("")
        .await
        .expect("$connect runs on the healthy function");
    // $default runs on the crashing function: that message is lost (the client gets API
    // Gateway's error frame), the socket stays.
    ws.send(Message::text("lost")).await.unwrap();
    s.logged(&["[wsproxy-local#0]", "crashing at init"]).await;
    s.logged(&["giving up", "python3"]).await;
    let custom = r#"{"action":"sendmessage"}"#;
    ws.send(Message::text(custom)).await.unwrap();
    let frame: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(frame["message"], "Internal server error", "{frame}");
    assert_eq!(next_text(&mut ws).await, format!("ok:{custom}:-:30:-"));
}

#[tokio::test]
async fn the_authorizer_and_route_response_flags() {
    let py = runtime_py();
    let command = format!("python3 {py}");
    let s = Served::start(&[
        "--route",
        "sendmessage",
        "--lambda",
        &command,
        "--function",
        &format!("auth={command}"),
        "--function-env",
        "auth:AUTHORIZER=1",
        "--authorizer",
        "auth",
        "--identity-source",
        "route.request.querystring.token",
        "--route-response",
        "sendmessage",
    ])
    .await;
    assert_eq!(status(s.open("").await), 401);
    assert_eq!(status(s.open("token=bad").await), 403);
    let mut ws = s.open("token=good").await.expect("allowed");
    // $default is one-way: only the push comes back.
    ws.send(Message::text("one")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "wsproxy-local:one:-:30:-");
    // sendmessage is two-way: the push, then the function's body, which saw the principal.
    let custom = r#"{"action":"sendmessage"}"#;
    ws.send(Message::text(custom)).await.unwrap();
    assert!(next_text(&mut ws).await.starts_with("wsproxy-local:{"));
    assert_eq!(next_text(&mut ws).await, format!("answer:{custom}:user-4"));
    let err = refused(&[
        "--lambda",
        "true",
        "--identity-source",
        "route.request.header.A",
    ])
    .await;
    assert!(err.contains("--authorizer"), "{err}");
    let err = refused(&["--lambda", "true", "--authorizer", "nobody"]).await;
    assert!(err.contains("no function is named 'nobody'"), "{err}");
    drop(s.child);
}

/// `wsproxy serve` with `flags`, expected to refuse them: its stderr.
pub(crate) async fn refused(flags: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_wsproxy"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--backend-url", "http://127.0.0.1:9"])
        .args(flags)
        .output();
    let out = tokio::time::timeout(WAIT, out).await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(!stdout.contains("listening"), "it listened: {stdout}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn bad_functions_are_refused_before_listening() {
    let err = refused(&["--function", "a=true", "--route-function", "$connect=b"]).await;
    assert!(
        err.contains("route '$connect'") && err.contains("'b'") && err.contains("not defined"),
        "{err}"
    );
    let err = refused(&["--function", "a="]).await;
    assert!(
        err.contains("function 'a'") && err.contains("empty"),
        "{err}"
    );
    let err = refused(&["--lambda", "no-such-runtime-wsproxy app.handler"]).await;
    assert!(
        err.contains("no-such-runtime-wsproxy") && err.contains("command not found"),
        "{err}"
    );
    let err = refused(&["--function", "a=true", "--function", "b=true"]).await;
    assert!(err.contains("$default"), "{err}");
    let err = refused(&["--function", "a=true", "--function-env", "b:K=V"]).await;
    assert!(err.contains("no function is named 'b'"), "{err}");
}
