//! `wsproxy serve --template FILE` and `--terraform DIR`: the WebSocket API a team already
//! describes, with its own functions in their own runtimes, on this machine.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use wsproxy_apidef::{
    load_template, load_terraform, ApiDefinition, Launch, LaunchOptions, TemplateOptions,
    TerraformOptions,
};
use wsproxy_gateway::function_integration::{
    AuthorizerConfig, FunctionsConfig, LocalFunctionConfig,
};

/// The flags of `wsproxy serve` that read the API from the user's own infrastructure.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct ApiArgs {
    /// Run the WebSocket API of this SAM or CloudFormation template (YAML or JSON): its
    /// routes, route selection, stage, `$connect` authorizer and Lambda functions, each in
    /// its own runtime.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["terraform", "lambda", "functions", "demo"])]
    pub template: Option<PathBuf>,
    /// Run the WebSocket API of this Terraform configuration (the folder you run terraform
    /// in), evaluated offline with its variables, as `wsproxy doctor` reads it.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["lambda", "functions", "demo"])]
    pub terraform: Option<PathBuf>,
    /// A template parameter (repeatable): KEY=VALUE, as `sam deploy --parameter-overrides`.
    #[arg(long = "parameter", value_name = "KEY=VALUE", requires = "template")]
    pub parameters: Vec<String>,
    /// A Terraform variable (repeatable): NAME=VALUE, as `terraform plan -var`.
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "terraform")]
    pub vars: Vec<String>,
    /// A Terraform variables file (repeatable), as `terraform plan -var-file`.
    #[arg(long = "var-file", value_name = "FILE", requires = "terraform")]
    pub var_files: Vec<PathBuf>,
    /// The WebSocket API to run when the file defines several: its logical id, address or name.
    #[arg(long, value_name = "NAME")]
    pub api: Option<String>,
    /// The Python that runs `python3.*` functions; it holds their dependencies and
    /// awslambdaric. Default: the active virtualenv's, else python3 on PATH.
    #[arg(long, value_name = "PROGRAM", env = "WSPROXY_PYTHON")]
    pub python: Option<PathBuf>,
    /// The Node.js that runs `nodejs*` functions. Default: node on PATH.
    #[arg(long, value_name = "PROGRAM", env = "WSPROXY_NODE")]
    pub node: Option<PathBuf>,
}

impl ApiArgs {
    /// True when the API comes from a template or a Terraform folder.
    pub(crate) fn any(&self) -> bool {
        self.template.is_some() || self.terraform.is_some()
    }

    /// Reads the API and finds how to run each of its functions; every mistake (in the file,
    /// a runtime, a handler) is reported here, before any socket is accepted.
    pub(crate) fn load(&self) -> anyhow::Result<LocalApi> {
        let region = wsproxy_lambda::process_env("AWS_REGION")
            .or_else(|| wsproxy_lambda::process_env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let api = match (&self.template, &self.terraform) {
            (Some(file), _) => load_template(
                file,
                &TemplateOptions {
                    parameters: pairs(&self.parameters, "--parameter", "KEY=VALUE")?,
                    region: region.clone(),
                    api: self.api.clone(),
                },
            )?,
            (None, Some(dir)) => load_terraform(
                dir,
                &TerraformOptions {
                    var_files: self.var_files.clone(),
                    vars: pairs(&self.vars, "--var", "NAME=VALUE")?,
                    region: region.clone(),
                    api: self.api.clone(),
                },
            )?,
            (None, None) => anyhow::bail!("give --template FILE or --terraform DIR"),
        };
        let options = LaunchOptions {
            python: self.python.clone(),
            node: self.node.clone(),
            unpack_dir: unpack_dir(),
        };
        let launches = api
            .functions
            .iter()
            .map(|f| Launch::for_function(f, &options))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LocalApi {
            api,
            launches,
            region,
        })
    }
}

/// `KEY=VALUE` flags as a map.
fn pairs(specs: &[String], flag: &str, form: &str) -> anyhow::Result<BTreeMap<String, String>> {
    specs
        .iter()
        .map(|spec| match spec.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
            _ => anyhow::bail!("{flag} {spec}: expected {form}"),
        })
        .collect()
}

/// Where zip packages are unpacked: the user's cache folder's `wsproxy/functions`, else
/// the temporary folder's.
fn unpack_dir() -> PathBuf {
    crate::cache::wsproxy_cache_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("wsproxy"))
        .join("functions")
}

/// A loaded API and how each of its functions runs.
#[derive(Debug)]
pub(crate) struct LocalApi {
    api: ApiDefinition,
    /// One per [`ApiDefinition::functions`], in the same order.
    launches: Vec<Launch>,
    region: String,
}

impl LocalApi {
    /// The API's definition.
    pub(crate) fn definition(&self) -> &ApiDefinition {
        &self.api
    }

    /// The functions and their routes, with `endpoint` (the gateway's `@connections` base
    /// URL, e.g. `http://127.0.0.1:8080/dev`) in place of the API's AWS URLs in their
    /// environments; `reload`: a function whose files change runs its next event on a fresh
    /// process.
    pub(crate) fn functions(
        &self,
        endpoint: &str,
        concurrency: usize,
        reload: bool,
    ) -> FunctionsConfig {
        let base = local_aws_env();
        let mut config = FunctionsConfig::default();
        for (f, launch) in self.api.functions.iter().zip(&self.launches) {
            let mut lambda = LocalFunctionConfig::new(&launch.program);
            lambda.args = launch.args.clone();
            lambda.working_dir = Some(launch.working_dir.clone());
            lambda.handler = Some(launch.handler.clone());
            lambda.function_name = f.name.clone();
            lambda.concurrency = concurrency.max(1);
            lambda.reload = reload;
            lambda.timeout = Duration::from_secs(u64::from(f.timeout_secs.max(1)));
            lambda.memory_mb = f.memory_mb;
            lambda.region = self.region.clone();
            lambda.env = base.clone();
            lambda.env.extend(launch.env.iter().cloned());
            lambda.env.extend(
                f.environment
                    .iter()
                    .map(|(k, v)| (k.clone(), local_urls(v, endpoint))),
            );
            config.functions.push(lambda);
        }
        for route in &self.api.routes {
            config
                .routes
                .insert(route.route_key.clone(), route.function.clone());
            if route.route_response {
                config.route_responses.insert(route.route_key.clone());
            }
        }
        // As on AWS: a connect with no $connect route opens, a message with no route is
        // Forbidden.
        config.routes_only = true;
        config.authorizer = self.api.authorizer.as_ref().map(|a| AuthorizerConfig {
            function: a.function.clone(),
            identity_sources: a.identity_sources.clone(),
        });
        config
    }
}

/// The developer's AWS credentials, region and endpoints (a local DynamoDB, say), which reach
/// the functions as they reach any program of theirs; placeholder credentials when none.
fn local_aws_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = wsproxy_lambda::LOCAL_AWS_VARIABLES
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), wsproxy_lambda::process_env(name)?)))
        .collect();
    if wsproxy_lambda::process_env("AWS_ACCESS_KEY_ID").is_none() {
        env.push(("AWS_ACCESS_KEY_ID".to_owned(), "local".to_owned()));
        env.push(("AWS_SECRET_ACCESS_KEY".to_owned(), "local".to_owned()));
    }
    env
}

/// `value` with the API's AWS URLs (`https://{id}.execute-api.{region}.amazonaws.com/...`
/// and `wss://…`) pointing at the local gateway instead, whose `@connections` base URL is
/// `endpoint`: a function configured with its API's endpoint reaches this gateway.
fn local_urls(value: &str, endpoint: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return value.to_owned();
    };
    let host = rest.split('/').next().unwrap_or(rest);
    let ws = if scheme == "https" { "wss" } else { "ws" };
    let re = aws_url();
    re.replace_all(value, |c: &regex::Captures<'_>| match &c[1] {
        "wss" => format!("{ws}://{host}"),
        _ => format!("{scheme}://{host}"),
    })
    .into_owned()
}

fn aws_url() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(https|wss)://[A-Za-z0-9-]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com")
            .expect("a valid pattern")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apis_aws_urls_point_at_the_gateway() {
        let local = "http://127.0.0.1:8080/dev";
        assert_eq!(
            local_urls(
                "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
                local
            ),
            "http://127.0.0.1:8080/prod"
        );
        assert_eq!(
            local_urls(
                "wss://abc123.execute-api.us-east-1.amazonaws.com/dev",
                local
            ),
            "ws://127.0.0.1:8080/dev"
        );
        assert_eq!(
            local_urls("https://example.com/x", local),
            "https://example.com/x"
        );
    }

    #[test]
    fn malformed_pairs_are_named() {
        let e = pairs(&["nope".into()], "--var", "NAME=VALUE").unwrap_err();
        assert!(e.to_string().contains("--var nope"), "{e}");
        let m = pairs(&["a=b=c".into()], "--var", "NAME=VALUE").unwrap();
        assert_eq!(m["a"], "b=c");
    }
}
