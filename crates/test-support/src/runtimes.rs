//! The runtime interface clients `scripts/function-runtimes.sh` installs into `.tools/`, for
//! the tests that run real Python and Node functions.

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with awslambdaric and boto3: `WSPROXY_FUNCTIONS_PYTHON`, else
/// `.tools/venv-functions/bin/python3`. Panics, saying how to install it, when it is missing.
pub fn venv_python() -> PathBuf {
    let python = std::env::var_os("WSPROXY_FUNCTIONS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/venv-functions/bin/python3"));
    assert!(
        python.is_file(),
        "{} is missing: run scripts/function-runtimes.sh (it installs awslambdaric and boto3)",
        python.display()
    );
    python
}

/// The node_modules with aws-lambda-ric and the AWS SDK clients:
/// `WSPROXY_FUNCTIONS_NODE_MODULES`, else `.tools/node-functions/node_modules`. Panics,
/// saying how to install it, when aws-lambda-ric is not there.
pub fn node_modules() -> PathBuf {
    let dir = std::env::var_os("WSPROXY_FUNCTIONS_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/node-functions/node_modules"));
    assert!(
        dir.join("aws-lambda-ric/package.json").is_file(),
        "{} has no aws-lambda-ric: run scripts/function-runtimes.sh",
        dir.display()
    );
    dir
}
