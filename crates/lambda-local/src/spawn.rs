//! How a function process is started: AWS's environment for `bootstrap`, and its output
//! copied to ours.

use crate::config::LocalFunctionConfig;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::process::Command;

/// The function's command with the environment Lambda gives a function, polling the
/// Runtime API at `runtime`, invoking through `invoke`, plus the configured variables.
pub(crate) fn command(
    c: &LocalFunctionConfig,
    slot: usize,
    runtime: SocketAddr,
    invoke: SocketAddr,
) -> Command {
    let mut cmd = Command::new(&c.bootstrap);
    cmd.args(&c.args);
    cmd.env_clear();
    for name in ["PATH", "LANG", "RUST_LOG", "RUST_BACKTRACE"] {
        if let Some(v) = std::env::var_os(name) {
            cmd.env(name, v);
        }
    }
    if std::env::var_os("PATH").is_none() {
        cmd.env("PATH", "/usr/local/bin:/usr/bin:/bin");
    }
    let task_root = c.working_dir.clone().unwrap_or_else(|| ".".into());
    let stream = format!("local/[$LATEST]{slot}");
    let vars: [(&str, String); 14] = [
        ("AWS_LAMBDA_RUNTIME_API", runtime.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", c.function_name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", c.memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", c.function_name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", c.region.clone()),
        ("AWS_DEFAULT_REGION", c.region.clone()),
        ("AWS_ENDPOINT_URL_LAMBDA", format!("http://{invoke}")),
        (
            "AWS_LAMBDA_FUNCTION_TIMEOUT",
            c.timeout.as_secs().max(1).to_string(),
        ),
        ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
        ("LAMBDA_RUNTIME_DIR", task_root.display().to_string()),
        ("TZ", ":UTC".to_owned()),
    ];
    cmd.envs(vars);
    if let Some(handler) = c.handler_name() {
        cmd.env("_HANDLER", handler);
    }
    cmd.envs(c.env.iter().map(|(k, v)| (k, v)));
    cmd.current_dir(task_root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group: a Ctrl-C in the terminal stops the program that runs this
    // service, which may still have invocations to make (e.g. `$disconnect`) before it
    // stops the function.
    #[cfg(unix)]
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    end_with_this_process(&mut cmd);
    cmd
}

/// The process gets SIGKILL when the thread that started it ends, however this process
/// ends (SIGKILL, an abort, a closed terminal): in its own process group, nothing
/// else would stop it, and a runtime client left polling a Runtime API that is gone can spin
/// and grow without end (aws-lambda-ric reached 3.8 GB in 30 minutes).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn end_with_this_process(cmd: &mut Command) {
    // SAFETY: the closure runs in the forked child before exec; it only calls prctl, which
    // is async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// Copies the child's output to ours, line by line, after `prefix`.
pub(crate) async fn forward(out: impl AsyncRead + Unpin, prefix: String) {
    let mut reader = BufReader::new(out);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "{prefix} {}", text.trim_end_matches(['\n', '\r']));
            }
        }
    }
}
