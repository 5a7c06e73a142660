//! `wsproxy serve --lambda COMMAND` and `--function NAME=COMMAND`: functions, each a command
//! speaking the Lambda Runtime API, behind the local gateway, routes going to one or another.

use anyhow::{bail, Context as _};
use std::path::PathBuf;
use std::time::Duration;
use wsproxy_gateway::function_integration::{
    AuthorizerConfig, FunctionsConfig, LocalFunctionConfig,
};

/// The name of the function `--lambda` gives.
pub(crate) const LAMBDA_NAME: &str = "wsproxy-local";

/// The function flags of `wsproxy serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct FunctionArgs {
    /// Run the routes on this function instead of the in-process core: the path of a Lambda
    /// `bootstrap` (e.g. target/release/bootstrap), or a command line speaking the Lambda
    /// Runtime API, e.g. "python3 -m awslambdaric app.handler". Its name is `wsproxy-local`;
    /// it takes every route no --route-function sends elsewhere.
    #[arg(long, value_name = "COMMAND", env = "WSPROXY_LAMBDA")]
    pub lambda: Option<String>,
    /// A named function (repeatable): NAME=COMMAND, e.g. auth="node auth.js". Send routes to
    /// it with --route-function.
    #[arg(long = "function", value_name = "NAME=COMMAND")]
    pub functions: Vec<String>,
    /// Which function a route runs on (repeatable): ROUTE=NAME, e.g. '$connect=auth'. ROUTE is
    /// $connect, $disconnect, $default or a custom route key (--route).
    #[arg(long = "route-function", value_name = "ROUTE=NAME")]
    pub route_functions: Vec<String>,
    /// A function's working directory (repeatable): NAME=DIR. Default: the program's
    /// directory for a program given by path without arguments (a `bootstrap`), the current
    /// directory otherwise (an interpreter: `.venv/bin/python -m awslambdaric app.handler`).
    #[arg(long = "function-dir", value_name = "NAME=DIR")]
    pub function_dirs: Vec<String>,
    /// A variable of a function's environment (repeatable): NAME:KEY=VALUE.
    #[arg(long = "function-env", value_name = "NAME:KEY=VALUE")]
    pub function_envs: Vec<String>,
    /// A function's timeout in seconds (repeatable): NAME=SECONDS. An invocation running
    /// longer answers as an integration failure and its process is killed and replaced.
    #[arg(long = "function-timeout", value_name = "NAME=SECONDS")]
    pub function_timeouts: Vec<String>,
    /// Processes per function (concurrent events).
    #[arg(long, default_value_t = 1)]
    pub lambda_concurrency: usize,
    /// The function that authorizes `$connect`, as API Gateway's Lambda REQUEST authorizer
    /// does: its IAM policy allows (the connection's events then carry its `context` as
    /// `requestContext.authorizer`) or denies (403) the connection.
    #[arg(long, value_name = "NAME")]
    pub authorizer: Option<String>,
    /// An identity source of --authorizer (repeatable): route.request.querystring.NAME or
    /// route.request.header.NAME. A connect without it is refused with 401 before any
    /// function runs.
    #[arg(
        long = "identity-source",
        value_name = "SOURCE",
        requires = "authorizer"
    )]
    pub identity_sources: Vec<String>,
    /// A two-way route (repeatable): the `body` its function returns is sent back to the
    /// client, as with a `$default` route response. E.g. '$default' or sendmessage.
    #[arg(long = "route-response", value_name = "ROUTE")]
    pub route_responses: Vec<String>,
    /// Keep a function's processes when its files change (by default the next event after
    /// a change runs on a fresh process: edit, then send).
    #[arg(long)]
    pub no_reload: bool,
    /// Where the local CA of the gateway's TLS is kept (made on first use, reused after):
    /// the port also serves https:// and wss://, so a function reaches @connections at
    /// https://{domainName}/{stage}. Default with functions: the user's cache folder
    /// (~/.cache/wsproxy/tls).
    #[arg(long, value_name = "DIR", env = "WSPROXY_TLS_DIR")]
    pub tls_dir: Option<PathBuf>,
    /// Serve plain HTTP only (no TLS on the port, no CA folder).
    #[arg(long, conflicts_with = "tls_dir")]
    pub no_tls: bool,
}

impl FunctionArgs {
    /// True when the routes run on functions.
    pub(crate) fn any(&self) -> bool {
        self.lambda.is_some() || !self.functions.is_empty()
    }

    /// The folder of the local CA when TLS is on: `--tls-dir`, else the user's cache folder
    /// when functions run (these flags', or a template's: `functions_run`); `None` with
    /// `--no-tls`, or without functions and `--tls-dir`.
    pub(crate) fn tls_dir(&self, functions_run: bool) -> anyhow::Result<Option<PathBuf>> {
        if self.no_tls {
            return Ok(None);
        }
        if let Some(dir) = &self.tls_dir {
            return Ok(Some(dir.clone()));
        }
        if !functions_run {
            return Ok(None);
        }
        let cache = crate::cache::wsproxy_cache_dir()
            .context("no cache folder for the local CA (HOME is not set): give one with --tls-dir DIR, or pass --no-tls")?;
        Ok(Some(cache.join("tls")))
    }

    /// The functions and their routes; `env` is every function's base environment
    /// (overridden by its own --function-env). Every mistake is reported here, before any
    /// socket is opened.
    pub(crate) fn config(&self, env: &[(String, String)]) -> anyhow::Result<FunctionsConfig> {
        let mut config = FunctionsConfig::default();
        if let Some(line) = &self.lambda {
            let mut f = function(LAMBDA_NAME, line, "--lambda")?;
            if f.args.is_empty() && f.bootstrap.components().count() > 1 && !f.bootstrap.is_file() {
                bail!(
                    "--lambda {}: no such file; build it with `cargo build --release -p \
                     wsproxy-lambda --bin bootstrap` (target/release/bootstrap)",
                    f.bootstrap.display()
                );
            }
            f.concurrency = self.lambda_concurrency.max(1);
            f.reload = !self.no_reload;
            config.functions.push(f);
            config.default_function = Some(LAMBDA_NAME.to_owned());
        }
        for spec in &self.functions {
            let (name, line) = pair(spec, '=', "--function", "NAME=COMMAND")?;
            let mut f = function(name, line, "--function")?;
            f.concurrency = self.lambda_concurrency.max(1);
            f.reload = !self.no_reload;
            config.functions.push(f);
        }
        let find = |name: &str, flag: &str| -> anyhow::Result<usize> {
            config
                .functions
                .iter()
                .position(|f| f.function_name == name)
                .with_context(|| {
                    format!("{flag}: no function is named '{name}'; define it with --function {name}=COMMAND")
                })
        };
        let mut dirs = Vec::new();
        for spec in &self.function_dirs {
            let (name, dir) = pair(spec, '=', "--function-dir", "NAME=DIR")?;
            dirs.push((find(name, "--function-dir")?, PathBuf::from(dir)));
        }
        let mut timeouts = Vec::new();
        for spec in &self.function_timeouts {
            let (name, secs) = pair(spec, '=', "--function-timeout", "NAME=SECONDS")?;
            let secs: f64 = secs
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 900.0)
                .with_context(|| {
                    format!("--function-timeout {spec}: give seconds, more than 0 and at most 900")
                })?;
            timeouts.push((find(name, "--function-timeout")?, secs));
        }
        let mut envs = Vec::new();
        for spec in &self.function_envs {
            let (name, var) = pair(spec, ':', "--function-env", "NAME:KEY=VALUE")?;
            let (key, value) = pair(var, '=', "--function-env", "NAME:KEY=VALUE")?;
            envs.push((
                find(name, "--function-env")?,
                key.to_owned(),
                value.to_owned(),
            ));
        }
        if let Some(name) = &self.authorizer {
            find(name, "--authorizer")?;
        }
        for f in &mut config.functions {
            f.env = env.to_vec();
        }
        for (at, dir) in dirs {
            config.functions[at].working_dir = Some(dir);
        }
        for (at, secs) in timeouts {
            config.functions[at].timeout = Duration::from_secs_f64(secs);
        }
        for (at, key, value) in envs {
            config.functions[at].env.push((key, value));
        }
        for spec in &self.route_functions {
            let (route, name) = pair(spec, '=', "--route-function", "ROUTE=NAME")?;
            config.routes.insert(route.to_owned(), name.to_owned());
        }
        if let Some(name) = &self.authorizer {
            config.authorizer = Some(AuthorizerConfig {
                function: name.clone(),
                identity_sources: self.identity_sources.clone(),
            });
        }
        config.route_responses = self.route_responses.iter().cloned().collect();
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("the functions cannot run")?;
        Ok(config)
    }
}

/// A function named `name` running `line` (a path, or a command line in shell syntax).
fn function(name: &str, line: &str, flag: &str) -> anyhow::Result<LocalFunctionConfig> {
    let words = if std::path::Path::new(line).is_file() {
        // A path with spaces in it still names one program.
        vec![line.to_owned()]
    } else {
        shlex::split(line)
            .with_context(|| format!("{flag} {line}: unbalanced quotes in the command line"))?
    };
    let Some((program, args)) = words.split_first().filter(|(p, _)| !p.is_empty()) else {
        bail!("{flag}: the command of function '{name}' is empty; give the program that runs it");
    };
    let mut f = LocalFunctionConfig::new(program);
    f.args = args.to_vec();
    f.function_name = name.to_owned();
    Ok(f)
}

/// `spec` split at the first `sep`, the left side non-empty.
fn pair<'a>(
    spec: &'a str,
    sep: char,
    flag: &str,
    form: &str,
) -> anyhow::Result<(&'a str, &'a str)> {
    match spec.split_once(sep) {
        Some((a, b)) if !a.trim().is_empty() => Ok((a.trim(), b)),
        _ => bail!("{flag} {spec}: expected {form}"),
    }
}

/// Settings of the wsproxy function and endpoints every function gets.
#[derive(Debug)]
pub(crate) struct Base {
    /// The wsproxy function's settings; their environment is
    /// [`wsproxy_lambda::Config::to_local_env`], which every function gets.
    pub config: wsproxy_lambda::Config,
}

impl Base {
    /// The gateway builder's setup ([`wsproxy_gateway::GatewayBuilder::functions`]): the
    /// functions with the gateway's `@connections` endpoint in their environment. The
    /// configuration is checked here, with a placeholder endpoint.
    pub(crate) fn setup(
        self,
        functions: &FunctionArgs,
    ) -> anyhow::Result<impl FnOnce(&str) -> FunctionsConfig + Send + 'static> {
        functions.config(&self.env("http://127.0.0.1:0/dev"))?;
        let functions = functions.clone();
        Ok(move |endpoint: &str| {
            let env = self.env(endpoint);
            // Checked above with the same flags: only the endpoint differs.
            let mut config = functions.config(&env).unwrap_or_default();
            if let Some(region) = wsproxy_lambda::process_env("AWS_REGION") {
                for f in &mut config.functions {
                    f.region = region.clone();
                }
            }
            config
        })
    }

    fn env(&self, endpoint: &str) -> Vec<(String, String)> {
        let config = wsproxy_lambda::Config {
            endpoint: Some(endpoint.to_owned()),
            ..self.config.clone()
        };
        let mut env = config.to_local_env(wsproxy_lambda::process_env);
        // WSPROXY_METRICS=off reaches the function (to measure what metrics cost).
        if let Some(metrics) = wsproxy_lambda::process_env("WSPROXY_METRICS") {
            env.push(("WSPROXY_METRICS".to_owned(), metrics));
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(lambda: Option<&str>, functions: &[&str], routes: &[&str]) -> FunctionArgs {
        FunctionArgs {
            lambda: lambda.map(str::to_owned),
            functions: functions.iter().map(|s| (*s).to_owned()).collect(),
            route_functions: routes.iter().map(|s| (*s).to_owned()).collect(),
            lambda_concurrency: 1,
            ..FunctionArgs::default()
        }
    }

    #[test]
    fn a_command_line_is_split_as_a_shell_would() {
        let c = args(Some("sh -c 'exit 0'"), &[], &[]).config(&[]).unwrap();
        assert_eq!(c.functions[0].bootstrap, PathBuf::from("sh"));
        assert_eq!(c.functions[0].args, ["-c", "exit 0"]);
    }

    #[test]
    fn bad_input_is_named() {
        let err = |a: FunctionArgs| format!("{:#}", a.config(&[]).unwrap_err());
        let e = err(args(None, &["a=sh"], &["$connect=b"]));
        assert!(e.contains("'$connect'") && e.contains("'b'"), "{e}");
        let e = err(args(None, &["a= "], &[]));
        assert!(e.contains("empty"), "{e}");
        let e = err(args(None, &["a=no-such-program-wsproxy"], &[]));
        assert!(e.contains("command not found"), "{e}");
        let e = err(args(None, &["a"], &[]));
        assert!(e.contains("NAME=COMMAND"), "{e}");
        let mut a = args(None, &["a=sh"], &[]);
        a.authorizer = Some("auth".into());
        let e = err(a);
        assert!(e.contains("--authorizer") && e.contains("'auth'"), "{e}");
        let mut a = args(None, &["a=sh"], &[]);
        a.authorizer = Some("a".into());
        a.identity_sources = vec!["stageVariables.token".into()];
        let e = err(a);
        assert!(
            e.contains("stageVariables.token") && e.contains("querystring"),
            "{e}"
        );
        let mut a = args(None, &["a=sh"], &[]);
        a.route_responses = vec!["$connect".into()];
        assert!(err(a).contains("route response"));
    }

    #[test]
    fn the_authorizer_and_route_responses_reach_the_config() {
        let mut a = args(None, &["app=sh", "auth=sh"], &["$default=app"]);
        a.authorizer = Some("auth".into());
        a.identity_sources = vec!["route.request.header.Auth".into()];
        a.route_responses = vec!["$default".into()];
        let c = a.config(&[]).unwrap();
        let auth = c.authorizer.expect("an authorizer");
        assert_eq!(auth.function, "auth");
        assert_eq!(auth.identity_sources, ["route.request.header.Auth"]);
        assert!(c.route_responses.contains("$default"));
    }
}
