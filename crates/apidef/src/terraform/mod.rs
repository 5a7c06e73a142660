//! `wsproxy serve --terraform DIR`: the WebSocket API of a Terraform configuration,
//! evaluated offline as `terraform plan` would (and as `wsproxy doctor` does): variables
//! and tfvars, locals, local modules, `count`/`for_each`, Terraform's common functions, and
//! the attributes AWS gives resources (ids, ARNs, endpoints) made up from their arguments.

mod api;
mod attributes;
mod computed;
mod config;
mod engine;
mod function;
mod inputs;
mod instances;

use crate::{ApiDefinition, LoadError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsproxy_tfeval::{paths, Scope};

/// What `terraform plan` would be given besides the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformOptions {
    /// `-var-file`s, applied after `terraform.tfvars` and `*.auto.tfvars`.
    pub var_files: Vec<PathBuf>,
    /// `-var NAME=VALUE`s, applied last.
    pub vars: BTreeMap<String, String>,
    /// The region of the ARNs and endpoints (`data.aws_region`), `us-east-1` by default.
    pub region: String,
    /// Which WebSocket API, by address or name, when the configuration has several.
    pub api: Option<String>,
}

impl Default for TerraformOptions {
    fn default() -> Self {
        TerraformOptions {
            var_files: Vec::new(),
            vars: BTreeMap::new(),
            region: "us-east-1".to_owned(),
            api: None,
        }
    }
}

/// Reads the WebSocket API defined by the Terraform configuration in `dir` (the folder
/// `terraform` runs in) and its local modules, and checks it ([`ApiDefinition::validate`]).
pub fn load_terraform(dir: &Path, options: &TerraformOptions) -> Result<ApiDefinition, LoadError> {
    let cwd = std::env::current_dir().map_err(|source| LoadError::Read {
        file: PathBuf::from("."),
        source,
    })?;
    let root = paths::clean(&cwd.join(dir));
    if !root.is_dir() {
        return Err(LoadError::Api {
            file: root,
            message: "is not a folder: give the folder you run terraform in (e.g. \
                      infra/terraform/envs/dev)"
                .to_owned(),
        });
    }
    let config = config::Config::read(&root)?;
    let root_vars = inputs::root_values(&config, &cwd, options)?;
    inputs::check_module_arguments(&config)?;
    let scope = Scope {
        cwd: root.clone(),
        home: std::env::var_os("HOME").map(PathBuf::from),
    };
    let account = computed::Account {
        region: options.region.clone(),
    };
    let engine = engine::Engine::new(config, scope, root_vars, account);
    let api = api::read(&engine, options, &root)?;
    api.validate()?;
    Ok(api)
}
