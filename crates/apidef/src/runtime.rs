//! How a function runs on this machine: its `Runtime` mapped to the official runtime
//! interface client, started with the developer's own interpreter (which holds the
//! function's dependencies).
//!
//! | Runtime      | Command                                              |
//! |--------------|------------------------------------------------------|
//! | `python3.x`  | `<python> -m awslambdaric <handler>`                 |
//! | `nodejs*`    | `<node> <aws-lambda-ric>/bin/index.mjs <handler>`    |
//! | `provided.*` | the `bootstrap` executable of the package            |
//!
//! Every check that can fail before a socket is accepted is made here: the handler's file
//! exists, the runtime interface client is installed (the error names the command that
//! installs it), a zip package unpacks.

mod node;
mod python;
mod unpack;

use crate::{Code, FunctionDef, LoadError};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the interpreters and unpacked packages are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// The Python interpreter of `python3.x` functions; default: `$VIRTUAL_ENV/bin/python3`
    /// (the active virtualenv), else `python3` on `PATH`.
    pub python: Option<PathBuf>,
    /// The `node` of `nodejs*` functions; default: `node` on `PATH`.
    pub node: Option<PathBuf>,
    /// Where zip packages are unpacked, each into `<zip name>-<short hash of the zip>`
    /// (shared by the functions of one zip, reused while the zip is unchanged).
    pub unpack_dir: PathBuf,
}

/// The process a function runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program: an interpreter, or the package's `bootstrap`.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its working directory (`LAMBDA_TASK_ROOT`): the code folder, or the unpacked zip.
    pub working_dir: PathBuf,
    /// `_HANDLER`.
    pub handler: String,
    /// Variables the runtime interface client needs beyond Lambda's own (the function's
    /// own variables are [`FunctionDef::environment`]).
    pub env: Vec<(String, String)>,
}

/// Longest wait for a probe of an interpreter (`python3 -c 'import awslambdaric'`,
/// `npm root -g`): generous, a cold start on a busy machine takes seconds.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

impl Launch {
    /// How `f` runs here, after checking that it can: its handler's file exists and its
    /// runtime interface client is installed. A zip package is unpacked into
    /// [`LaunchOptions::unpack_dir`] first (or an earlier unpack of the same zip reused).
    pub fn for_function(f: &FunctionDef, options: &LaunchOptions) -> Result<Self, LoadError> {
        let kind = Kind::of(f)?;
        let dir = match &f.code {
            Code::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(resource_error(
                        f,
                        format!(
                            "its code folder {} does not exist: fix the path, or build the \
                             package first",
                            dir.display()
                        ),
                    ));
                }
                absolute(dir)
            }
            Code::Zip(zip) => unpack::unpack(f, zip, &options.unpack_dir)?,
        };
        match kind {
            Kind::Python => python::launch(f, options, dir),
            Kind::Node => node::launch(f, options, dir),
            Kind::Provided => provided(f, dir),
        }
    }
}

/// The runtimes that run here.
enum Kind {
    Python,
    Node,
    Provided,
}

impl Kind {
    fn of(f: &FunctionDef) -> Result<Self, LoadError> {
        let r = f.runtime.as_str();
        if r.starts_with("python3") {
            return Ok(Self::Python);
        }
        if r.starts_with("nodejs") {
            return Ok(Self::Node);
        }
        if r.starts_with("provided") {
            return Ok(Self::Provided);
        }
        let why = if r.starts_with("java") {
            "Java functions need the Lambda Java runtime interface client and a built jar on \
             the classpath, which wsproxy does not assemble yet"
        } else if r.starts_with("dotnet") {
            "wsproxy does not host the .NET runtime interface client yet"
        } else if r.starts_with("ruby") {
            "wsproxy does not start the Ruby runtime interface client (aws_lambda_ric) yet"
        } else if r.starts_with("go1") {
            "go1.x is retired on AWS: build the function for provided.al2023 (a `bootstrap` \
             executable), which runs here"
        } else if r.is_empty() {
            "the function has no Runtime (a container image function?): only zip and folder \
             packages of python3.x, nodejs* and provided.* run here"
        } else {
            "it is not a Lambda runtime wsproxy knows"
        };
        Err(resource_error(
            f,
            format!(
                "runtime '{r}' can't run locally yet: {why}. Runtimes that run: python3.x, \
                 nodejs*, provided.* (a bootstrap executable)"
            ),
        ))
    }
}

/// `provided.*`: the package's `bootstrap`, executable.
fn provided(f: &FunctionDef, dir: PathBuf) -> Result<Launch, LoadError> {
    let bootstrap = dir.join("bootstrap");
    let meta = std::fs::metadata(&bootstrap).map_err(|_| {
        resource_error(
            f,
            format!(
                "runtime {} runs the package's `bootstrap`, and {} does not exist: build it \
                 into the code folder (e.g. `cargo lambda build`, or a shell script)",
                f.runtime,
                bootstrap.display()
            ),
        )
    })?;
    if !meta.is_file() || !is_executable(&meta) {
        return Err(resource_error(
            f,
            format!(
                "{} is not an executable file: `chmod +x {}`",
                bootstrap.display(),
                bootstrap.display()
            ),
        ));
    }
    Ok(Launch {
        program: bootstrap,
        args: Vec::new(),
        working_dir: dir,
        handler: f.handler.clone(),
        env: Vec::new(),
    })
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    true
}

/// A [`LoadError::Resource`] about `f`.
fn resource_error(f: &FunctionDef, message: String) -> LoadError {
    LoadError::Resource {
        file: f.file.clone(),
        resource: f.resource.clone(),
        message,
    }
}

/// `path` made absolute against the current directory (not resolving symlinks: a
/// virtualenv's `python3` is one, and must keep its path).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `program` as found on `PATH` (a name), or as given (a path).
fn on_path(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && is_executable(&m)))
}

/// What a probe command printed, or why it failed (it did not start, exited non-zero, or
/// ran past [`PROBE_TIMEOUT`] and was killed).
fn probe(cmd: &mut Command) -> Result<String, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("it did not start: {e}"))?;
    // Read both pipes while it runs, so that a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < PROBE_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "it did not finish within {} s",
                    PROBE_TIMEOUT.as_secs()
                ));
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if status.success() {
        Ok(stdout.trim().to_owned())
    } else {
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Err(format!("it failed ({status}): {}", last.trim()))
    }
}
