//! The environment itself: readable, every variable set, a `websocket_proxy` module in it.

use super::count_of;
use crate::{Environment, Finding, Status};

/// The environment could not be read at all.
pub(super) fn unreadable(e: &dyn std::fmt::Display) -> Finding {
    Finding::new("env", Status::Fail, e.to_string())
}

/// What was read, and the variables nothing sets.
pub(super) fn check(env: &Environment) -> Vec<Finding> {
    let names = |files: &[std::path::PathBuf]| {
        files
            .iter()
            .map(|f| {
                f.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let values = if env.variables.files.is_empty() {
        "variables from their defaults only (no terraform.tfvars)".to_owned()
    } else {
        format!("variables from {}", names(&env.variables.files))
    };
    let mut out = vec![Finding::new(
        "env",
        Status::Ok,
        format!(
            "read {} ({}); {values}",
            count_of(env.tf_files.len(), "file", "files"),
            names(&env.tf_files)
        ),
    )];
    let unset = env.variables.unset();
    if !unset.is_empty() {
        let example = env.dir.join("terraform.tfvars.example");
        let tfvars = env.dir.join("terraform.tfvars");
        let start = if example.is_file() && !tfvars.exists() {
            format!(
                "cp {} {}, then set {} there",
                example.display(),
                tfvars.display(),
                unset.join(", ")
            )
        } else {
            format!("set {} in {}", unset.join(", "), tfvars.display())
        };
        let env_vars: Vec<String> = unset.iter().map(|n| format!("TF_VAR_{n}")).collect();
        out.push(
            Finding::new(
                "env.variables",
                Status::Fail,
                format!(
                    "no value for {}: terraform plan would stop and ask for it",
                    unset.join(", ")
                ),
            )
            .fix(format!("{start} (or export {})", env_vars.join(", "))),
        );
    }
    out
}

/// No module block for the proxy.
pub(super) fn no_module(env: &Environment) -> Finding {
    Finding::new(
        "env.module",
        Status::Fail,
        format!(
            "no module in {} uses modules/websocket_proxy",
            env.dir.display()
        ),
    )
    .fix("point --env at the folder whose main.tf has the `module \"websocket_proxy\"` block (e.g. infra/terraform/envs/dev)")
}
