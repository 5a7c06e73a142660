//! Option 1's package: where Terraform will look for it, whether it is a valid `bootstrap`
//! zip, and whether it is older than the sources.

use super::{sources, unknown};
use crate::{paths, Environment, Finding, ProxyModule, Status};
use std::path::{Path, PathBuf};

/// The package findings, and the valid package's hash for the checks that compare it.
pub(super) struct Checked {
    /// What was found.
    pub findings: Vec<Finding>,
    /// Base64 SHA-256 of the package, when it exists and is valid.
    pub sha256: Option<String>,
}

/// The package findings; Options 2 and 3 upload no package through Terraform.
pub(super) fn check(env: &Environment, module: &ProxyModule, sources: Option<&Path>) -> Checked {
    findings(env, module, sources).unwrap_or_else(|stop| Checked {
        findings: vec![stop],
        sha256: None,
    })
}

/// `Err` is the finding that ends the check early.
fn findings(
    env: &Environment,
    module: &ProxyModule,
    sources: Option<&Path>,
) -> Result<Checked, Finding> {
    match &module.create_lambda {
        Err(e) => return Err(unknown("package", "create_lambda", e)),
        Ok(false) => {
            let name = module.function_name.as_deref().unwrap_or("NAME");
            return Err(Finding::new(
                "package",
                Status::Skip,
                "create_lambda = false (Option 2 or 3): Terraform uploads no package",
            )
            .fix(format!(
                "update the function's code with `wsproxy package && wsproxy deploy --function-name {name}`"
            )));
        }
        Ok(true) => {}
    }
    let path = match env.package_path() {
        None if module.lambda_s3.is_some() => {
            return Err(Finding::new(
                "package",
                Status::Ok,
                "the package is taken from S3 (lambda_s3_bucket): the object is checked with AWS (package.s3)",
            ))
        }
        None => {
            return Err(Finding::new(
                "package",
                Status::Fail,
                "create_lambda = true (Option 1) but the module is given no lambda_package",
            )
            .fix("set lambda_package = local.websocket_lambda_package in the module block (see infra/terraform/envs/dev/package.tf)"))
        }
        Some(Err(e)) => return Err(unknown("package", "lambda_package", &e)),
        Some(Ok(path)) => path,
    };
    let origin = origin(env);
    if !path.is_file() {
        return Err(missing(env, &path, &origin));
    }
    if let Err(e) = wsproxy_package::check_zip(&path) {
        return Err(
            Finding::new("package.valid", Status::Fail, e.to_string()).fix(format!(
                "rebuild it: wsproxy package --out {}",
                parent(&path)
            )),
        );
    }
    let sha256 = wsproxy_package::base64_sha256(&path).ok();
    let hash = sha256
        .as_deref()
        .map(|h| format!(", base64 sha256 {h}"))
        .unwrap_or_default();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Checked {
        findings: vec![
            Finding::new(
                "package.exists",
                Status::Ok,
                format!("{} ({size} bytes{hash}){origin}", path.display()),
            ),
            freshness(env, &path, sources),
        ],
        sha256,
    })
}

/// The variable the environment names the package with (envs/dev's convention).
const PACKAGE_VARIABLE: &str = "websocket_lambda_package";

/// "(from websocket_lambda_package = "...", set by terraform.tfvars)", when the environment
/// has that variable.
fn origin(env: &Environment) -> String {
    env.variables
        .declared
        .get(PACKAGE_VARIABLE)
        .and_then(|d| d.value.as_ref())
        .and_then(|(v, source)| {
            Some(format!(
                " (from {PACKAGE_VARIABLE} = \"{}\", set by {source})",
                v.as_str()?
            ))
        })
        .unwrap_or_default()
}

fn parent(path: &Path) -> String {
    path.parent()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| ".".into())
}

fn missing(env: &Environment, path: &Path, origin: &str) -> Finding {
    let nearest = paths::nearest_existing_folder(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "none".into());
    let mut fix = format!(
        "build it: wsproxy package --out {} (from the wsproxy repository)",
        parent(path)
    );
    if path.file_name().is_some_and(|n| n != "bootstrap.zip") {
        fix.push_str(", which writes bootstrap.zip: name that file in websocket_lambda_package");
    }
    fix.push_str(&format!(
        "\nor point websocket_lambda_package at the zip: a relative path is relative to {}, wherever terraform is started from",
        env.dir.display()
    ));
    Finding::new(
        "package.exists",
        Status::Fail,
        format!(
            "package not found: {}{origin}; the nearest folder that exists is {nearest}",
            path.display()
        ),
    )
    .fix(fix)
}

fn freshness(env: &Environment, package: &Path, sources: Option<&Path>) -> Finding {
    let root: Option<PathBuf> = sources.map(Path::to_path_buf).or_else(|| {
        package
            .parent()
            .and_then(sources::find_workspace)
            .or_else(|| sources::find_workspace(&env.dir))
    });
    let Some(root) = root else {
        return Finding::new(
            "package.fresh",
            Status::Skip,
            "no wsproxy source tree found above the package or the environment",
        )
        .fix("pass --sources DIR (the wsproxy repository) to compare the package with the code");
    };
    let built = match std::fs::metadata(package).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(e) => {
            return Finding::new(
                "package.fresh",
                Status::Skip,
                format!("cannot read the package's time: {e}"),
            )
        }
    };
    match sources::newest_source(&root) {
        Err(e) => Finding::new(
            "package.fresh",
            Status::Skip,
            format!("cannot read the sources in {}: {e}", root.display()),
        ),
        Ok(None) => Finding::new(
            "package.fresh",
            Status::Skip,
            format!("no sources in {}", root.display()),
        ),
        Ok(Some((file, changed))) if changed > built => {
            let after = changed.duration_since(built).unwrap_or_default().as_secs();
            Finding::new(
                "package.fresh",
                Status::Fail,
                format!(
                    "the package is older than the code: {} changed {after} s after it was built, so terraform apply would deploy old code",
                    file.strip_prefix(&root).unwrap_or(&file).display()
                ),
            )
            .fix(format!("rebuild it: cd {} && wsproxy package --out {}", root.display(), parent(package)))
        }
        Ok(Some(_)) => Finding::new(
            "package.fresh",
            Status::Ok,
            format!(
                "built after the last change to the sources in {}",
                root.display()
            ),
        ),
    }
}
