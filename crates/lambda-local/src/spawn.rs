//! How a function process is started: AWS's environment for `bootstrap`, and its output
//! copied to ours.

use crate::config::LocalFunctionConfig;
use std::io::Write;
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

/// Kills what is left of the process group `pid` led (the function process started in its
/// own group: whatever it started, shells, workers, a runtime client's children), so that
/// nothing a function started outlives it. Does nothing for pid 0 (never started).
pub(crate) fn kill_group(pid: u32) {
    #[cfg(unix)]
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // ESRCH (the group is empty already) is the usual answer once the leader has exited.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Longest piece of a function's output copied as one line: CloudWatch's largest log event
/// (256 KB). Output without a newline is forwarded in pieces of this size, so a function that
/// writes without end costs the gateway at most this much per stream.
pub(crate) const MAX_LINE_BYTES: usize = 256 * 1024;

/// Copies the child's output to our stderr, line by line, after `prefix`.
pub(crate) async fn forward(out: impl AsyncRead + Unpin, prefix: String) {
    forward_to(out, &prefix, || std::io::stderr().lock()).await;
}

/// Copies `out` to the writers `sink` gives, one line (or one [`MAX_LINE_BYTES`] piece of a
/// longer line) at a time, each after `prefix`.
async fn forward_to<W: Write>(out: impl AsyncRead + Unpin, prefix: &str, sink: impl Fn() -> W) {
    let mut reader = BufReader::new(out);
    let mut line = Vec::new();
    let emit = |line: &[u8]| {
        let text = String::from_utf8_lossy(line);
        let _ = writeln!(sink(), "{prefix} {}", text.trim_end_matches(['\n', '\r']));
    };
    loop {
        let available = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(bytes) => bytes,
        };
        let room = MAX_LINE_BYTES - line.len();
        let take = available.len().min(room);
        let (used, ended) = match available[..take].iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (take, line.len() + take == MAX_LINE_BYTES),
        };
        line.extend_from_slice(&available[..used]);
        reader.consume(used);
        if ended {
            emit(&line);
            line.clear();
        }
    }
    if !line.is_empty() {
        emit(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What `forward_to` wrote, shared with the test.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn lines_of(input: Vec<u8>) -> Vec<String> {
        let sink = Sink::default();
        forward_to(&input[..], "[f]", || sink.clone()).await;
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        out.lines().map(str::to_owned).collect()
    }

    #[tokio::test]
    async fn lines_are_copied_after_the_prefix() {
        let lines = lines_of(b"one\r\ntwo\nlast without newline".to_vec()).await;
        assert_eq!(lines, ["[f] one", "[f] two", "[f] last without newline"]);
    }

    #[tokio::test]
    async fn output_without_newlines_goes_in_bounded_pieces_and_nothing_is_lost() {
        let total = 5 * MAX_LINE_BYTES + 123;
        let lines = lines_of(vec![b'a'; total]).await;
        assert_eq!(lines.len(), 6);
        assert!(lines
            .iter()
            .all(|l| l.len() <= "[f] ".len() + MAX_LINE_BYTES));
        let copied: usize = lines.iter().map(|l| l.len() - "[f] ".len()).sum();
        assert_eq!(copied, total);
    }
}
