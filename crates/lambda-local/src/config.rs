//! [`LocalFunctionConfig`]: how to start a function's processes, and the checks made before
//! any starts (the function's name, its program, its directory).

use std::path::PathBuf;
use std::time::Duration;

/// How to run the function.
#[derive(Debug, Clone)]
pub struct LocalFunctionConfig {
    /// The program that runs the function: a `bootstrap` executable (a `provided.al2023`
    /// custom runtime, e.g. built with the `lambda_runtime` crate) or any program speaking the
    /// Runtime API (`python3` with `args` `-m awslambdaric app.handler`). A path (with a `/`)
    /// is taken relative to `working_dir`, if set; a bare name is looked up on `PATH`.
    pub bootstrap: PathBuf,
    /// The program's arguments.
    pub args: Vec<String>,
    /// Where the processes run (`LAMBDA_TASK_ROOT`, as `/var/task` on AWS); by default the
    /// program's directory for a program given by path without `args` (a `bootstrap`), the
    /// current directory otherwise (a name found on `PATH`, or an interpreter given by path,
    /// `.venv/bin/python -m awslambdaric app.handler`, whose arguments name the code).
    pub working_dir: Option<PathBuf>,
    /// `_HANDLER`; by default the argument after `awslambdaric`/`aws-lambda-ric`, or
    /// `bootstrap` for a program without arguments.
    pub handler: Option<String>,
    /// `AWS_LAMBDA_FUNCTION_NAME`, and the name the Invoke API answers to.
    pub function_name: String,
    /// How many processes run at once; each takes one invocation at a time. 0 starts none:
    /// invocations then wait for a runtime you start yourself against
    /// [`crate::LocalFunction::runtime_api_addr`]
    /// (e.g. under a debugger).
    pub concurrency: usize,
    /// Extra variables for the function (`BACKEND_URL`, `CONNECTIONS_TABLE`, `AWS_*`...); they
    /// override the ones set here. The function's environment is otherwise clean, as on AWS:
    /// only `PATH`, `LANG`, `RUST_LOG` and `RUST_BACKTRACE` pass through from this process.
    pub env: Vec<(String, String)>,
    /// The function's timeout: an invocation running longer is answered with an error and its
    /// process is killed and replaced. An event also waits at most this long for a free process.
    pub timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (informative: nothing limits the process).
    pub memory_mb: u32,
    /// `AWS_REGION`, `AWS_DEFAULT_REGION` and the region in the function's ARN.
    pub region: String,
    /// Replace the processes when the files under `working_dir` change: the next event
    /// runs on a fresh process (an idle one is replaced at once, a busy one after its
    /// event), without restarting anything. A file the function writes there itself (one
    /// that appeared while it ran) reloads nothing: on Lambda that folder is read-only. On by
    /// default.
    pub reload: bool,
}

impl LocalFunctionConfig {
    /// AWS's defaults for `bootstrap`: name `wsproxy-local`, one process, 30 s, 128 MB, us-east-1.
    pub fn new(bootstrap: impl Into<PathBuf>) -> Self {
        Self {
            bootstrap: bootstrap.into(),
            args: Vec::new(),
            working_dir: None,
            handler: None,
            function_name: "wsproxy-local".to_owned(),
            concurrency: 1,
            env: Vec::new(),
            timeout: Duration::from_secs(30),
            memory_mb: 128,
            region: "us-east-1".to_owned(),
            reload: true,
        }
    }

    /// `arn:aws:lambda:{region}:000000000000:function:{name}`.
    pub fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{}",
            self.region, self.function_name
        )
    }

    /// Checks the configuration before anything starts: the name (as AWS allows it), the
    /// timeout, the directory and, when processes are to run, the program.
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = !self.function_name.is_empty()
            && self.function_name.len() <= 64
            && self
                .function_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(format!(
                "function name '{}' must be 1 to 64 letters, digits, '-' or '_'",
                self.function_name
            ));
        }
        if self.timeout.is_zero() {
            return Err("the function timeout must be greater than zero".to_owned());
        }
        if self.bootstrap.as_os_str().is_empty() {
            return Err(format!(
                "function '{}': the command is empty; give the program that runs it",
                self.function_name
            ));
        }
        if let Some(dir) = &self.working_dir {
            if !dir.is_dir() {
                return Err(format!(
                    "function '{}': its directory {} does not exist",
                    self.function_name,
                    dir.display()
                ));
            }
        }
        if self.concurrency > 0 {
            self.program()?;
        }
        Ok(())
    }
}

impl LocalFunctionConfig {
    /// The command line, for messages: the program and its arguments.
    pub fn command_line(&self) -> String {
        std::iter::once(self.bootstrap.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `_HANDLER`: the configured one, else the argument after a runtime interface client.
    pub(crate) fn handler_name(&self) -> Option<String> {
        if self.handler.is_some() {
            return self.handler.clone();
        }
        if self.args.is_empty() {
            return Some("bootstrap".to_owned());
        }
        let ric = |a: &String| a.ends_with("awslambdaric") || a.ends_with("aws-lambda-ric");
        let at = self.args.iter().position(ric)?;
        self.args.get(at + 1).cloned()
    }

    /// Resolves the program and the working directory to absolute paths (the processes run
    /// in the program's directory by default, as in `/var/task`), and says what holds the
    /// function's code, for [`LocalFunctionConfig::reload`]: the working directory when one is
    /// given, else the program itself when it is a path (a `bootstrap` in a build folder
    /// full of other files), else the current directory.
    pub(crate) fn prepare(&mut self) -> Result<PathBuf, String> {
        let program = self.program()?;
        let is_path = self.bootstrap.components().count() > 1 || self.bootstrap.is_absolute();
        // A program given by path and run alone is a `bootstrap`: it runs in its folder. With
        // arguments it interprets something they name (`.venv/bin/python -m awslambdaric
        // app.handler`), found from where the user is.
        let own_folder = is_path && self.args.is_empty();
        let given = self.working_dir.is_some();
        let dir = match self.working_dir.take() {
            Some(dir) => dir,
            None if own_folder => program
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_else(|| ".".into()),
            None => ".".into(),
        };
        let dir = std::fs::canonicalize(&dir).map_err(|e| {
            format!(
                "function '{}': its directory {}: {e}",
                self.function_name,
                dir.display()
            )
        })?;
        let code = if !given && own_folder {
            program.clone()
        } else {
            dir.clone()
        };
        self.bootstrap = program;
        self.working_dir = Some(dir);
        Ok(code)
    }

    /// The program to start, as an absolute path: a path resolved against `working_dir`, or
    /// a name found on the function's `PATH`; an error says which is missing.
    pub(crate) fn program(&self) -> Result<PathBuf, String> {
        let name = &self.bootstrap;
        let is_path = name.components().count() > 1 || name.is_absolute();
        let found = if is_path {
            let path = match &self.working_dir {
                Some(dir) if name.is_relative() => dir.join(name),
                _ => name.clone(),
            };
            if !path.is_file() {
                return Err(format!(
                    "function '{}': {}: no such file; give the path of the function's \
                     executable (a `bootstrap`) or a program on PATH",
                    self.function_name,
                    path.display()
                ));
            }
            path
        } else {
            let path = self
                .env
                .iter()
                .rev()
                .find(|(k, _)| k == "PATH")
                .map(|(_, v)| std::ffi::OsString::from(v))
                .or_else(|| std::env::var_os("PATH"))
                .unwrap_or_default();
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file() && is_executable(p))
                .ok_or_else(|| {
                    format!(
                        "function '{}': command not found: `{}` is on no directory of PATH; \
                         install it or give its full path",
                        self.function_name,
                        name.display()
                    )
                })?
        };
        if !is_executable(&found) {
            return Err(format!(
                "function '{}': {} is not executable: chmod +x it",
                self.function_name,
                found.display()
            ));
        }
        // Absolute, but not through its symlinks: a virtualenv's `bin/python3` is a link to
        // the base interpreter, and only started by its own path does it use the
        // virtualenv (and the function's dependencies there).
        std::path::absolute(&found).map_err(|e| format!("{}: {e}", found.display()))
    }
}

fn is_executable(path: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The account id in local ARNs.
pub const ACCOUNT_ID: &str = "000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handler_is_the_argument_after_a_runtime_interface_client() {
        let mut c = LocalFunctionConfig::new("python3");
        assert_eq!(c.handler_name().as_deref(), Some("bootstrap"));
        c.args = ["-m", "awslambdaric", "app.handler"]
            .map(String::from)
            .to_vec();
        assert_eq!(c.handler_name().as_deref(), Some("app.handler"));
        c.args = vec!["server.py".into()];
        assert_eq!(c.handler_name(), None);
        c.handler = Some("index.handler".into());
        assert_eq!(c.handler_name().as_deref(), Some("index.handler"));
    }

    #[test]
    fn a_program_is_found_on_path_or_named_missing() {
        let mut c = LocalFunctionConfig::new("sh");
        assert!(c.program().expect("sh is on PATH").is_absolute());
        c.bootstrap = "no-such-program-wsproxy".into();
        assert!(c.program().unwrap_err().contains("command not found"));
        c.bootstrap = "./no/such/bootstrap".into();
        assert!(c.program().unwrap_err().contains("no such file"));
    }

    #[test]
    fn a_bootstrap_runs_in_its_folder_and_an_interpreter_where_the_user_is() {
        let sh = LocalFunctionConfig::new("sh")
            .program()
            .expect("sh is on PATH");
        let folder = std::fs::canonicalize(sh.parent().unwrap()).unwrap();
        let here = std::fs::canonicalize(".").unwrap();

        let mut bootstrap = LocalFunctionConfig::new(&sh);
        let code = bootstrap.prepare().unwrap();
        assert_eq!(bootstrap.working_dir.as_deref(), Some(folder.as_path()));
        assert_eq!(
            code, bootstrap.bootstrap,
            "a bootstrap's code is the file alone"
        );

        let mut interpreter = LocalFunctionConfig::new(&sh);
        interpreter.args = vec!["-c".into(), "exit 0".into()];
        let code = interpreter.prepare().unwrap();
        assert_eq!(interpreter.working_dir.as_deref(), Some(here.as_path()));
        assert_eq!(code, here, "an interpreter's code is the folder it runs in");
    }
}
