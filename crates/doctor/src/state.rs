//! The environment's Terraform state: which resources Terraform already manages.
//!
//! A local state is read from its file (`terraform.tfstate`, or the workspace's under
//! `terraform.tfstate.d/`); a remote one is fetched with `terraform state pull` when
//! `terraform` is installed and the folder was initialised.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// What is known of the state.
#[derive(Debug, Clone)]
pub enum State {
    /// No state at all: this environment was never applied.
    NeverApplied,
    /// The state document, and where it came from.
    Known {
        /// A file, or `terraform state pull`.
        origin: String,
        /// The state's JSON.
        doc: Value,
    },
    /// The state could not be read, and why.
    Unknown(String),
}

impl State {
    /// Reads the state of the root module in `dir`.
    pub async fn read(dir: &Path) -> Self {
        let backend_file = dir.join(".terraform/terraform.tfstate");
        let workspace = std::env::var("TF_WORKSPACE").ok().or_else(|| {
            std::fs::read_to_string(dir.join(".terraform/environment"))
                .ok()
                .map(|s| s.trim().to_owned())
        });
        let backend: Option<Value> = std::fs::read_to_string(&backend_file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let kind = backend
            .as_ref()
            .and_then(|b| b.pointer("/backend/type"))
            .and_then(Value::as_str)
            .unwrap_or("local")
            .to_owned();
        if kind != "local" {
            return pull(dir, &kind).await;
        }
        let configured = backend
            .as_ref()
            .and_then(|b| b.pointer("/backend/config/path"))
            .and_then(Value::as_str)
            .map(|p| dir.join(p));
        let file = match (configured, workspace.as_deref()) {
            (Some(path), _) => path,
            (None, Some(ws)) if ws != "default" => dir
                .join("terraform.tfstate.d")
                .join(ws)
                .join("terraform.tfstate"),
            _ => dir.join("terraform.tfstate"),
        };
        Self::from_file(&file)
    }

    fn from_file(file: &PathBuf) -> Self {
        match std::fs::read_to_string(file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::NeverApplied,
            Err(e) => Self::Unknown(format!("cannot read {}: {e}", file.display())),
            Ok(text) => match serde_json::from_str(&text) {
                Ok(doc) => Self::Known {
                    origin: file.display().to_string(),
                    doc,
                },
                Err(e) => {
                    Self::Unknown(format!("{} is not a Terraform state: {e}", file.display()))
                }
            },
        }
    }

    /// Whether a managed resource of `kind` has `attribute` = `value`; `None` when unknown.
    pub fn manages(&self, kind: &str, attribute: &str, value: &str) -> Option<bool> {
        let doc = match self {
            Self::NeverApplied => return Some(false),
            Self::Unknown(_) => return None,
            Self::Known { doc, .. } => doc,
        };
        let resources = doc.get("resources").and_then(Value::as_array)?;
        Some(resources.iter().any(|r| {
            r.get("mode").and_then(Value::as_str) == Some("managed")
                && r.get("type").and_then(Value::as_str) == Some(kind)
                && r.get("instances")
                    .and_then(Value::as_array)
                    .is_some_and(|instances| {
                        instances.iter().any(|i| {
                            i.pointer(&format!("/attributes/{attribute}"))
                                .and_then(Value::as_str)
                                == Some(value)
                        })
                    })
        }))
    }
}

async fn pull(dir: &Path, kind: &str) -> State {
    let out = tokio::process::Command::new("terraform")
        .arg(format!("-chdir={}", dir.display()))
        .args(["state", "pull"])
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .await;
    match out {
        Err(e) => State::Unknown(format!(
            "the state is in a {kind} backend and terraform could not be run to read it ({e})"
        )),
        Ok(out) if !out.status.success() => State::Unknown(format!(
            "`terraform state pull` from the {kind} backend failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(out) if out.stdout.iter().all(u8::is_ascii_whitespace) => State::NeverApplied,
        Ok(out) => match serde_json::from_slice(&out.stdout) {
            Ok(doc) => State::Known {
                origin: format!("terraform state pull ({kind} backend)"),
                doc,
            },
            Err(e) => State::Unknown(format!("`terraform state pull` printed no state: {e}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    const STATE: &str = r#"{"version": 4, "resources": [{"mode": "managed",
        "type": "aws_lambda_function", "name": "this",
        "instances": [{"index_key": 0, "attributes": {"function_name": "f1"}}]},
        {"mode": "data", "type": "aws_lambda_function", "name": "existing",
        "instances": [{"attributes": {"function_name": "f2"}}]}]}"#;

    #[tokio::test]
    async fn the_local_state_of_the_selected_workspace_is_read() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(State::read(dir.path()).await, State::NeverApplied));
        assert_eq!(
            State::read(dir.path())
                .await
                .manages("aws_lambda_function", "function_name", "f1"),
            Some(false)
        );

        std::fs::write(dir.path().join("terraform.tfstate"), STATE).unwrap();
        let state = State::read(dir.path()).await;
        assert_eq!(
            state.manages("aws_lambda_function", "function_name", "f1"),
            Some(true)
        );
        // A data source is read, not managed.
        assert_eq!(
            state.manages("aws_lambda_function", "function_name", "f2"),
            Some(false)
        );

        // Another workspace has its own state file, here still empty.
        std::fs::create_dir_all(dir.path().join(".terraform")).unwrap();
        std::fs::write(dir.path().join(".terraform/environment"), "staging\n").unwrap();
        assert!(matches!(State::read(dir.path()).await, State::NeverApplied));
        let ws = dir.path().join("terraform.tfstate.d/staging");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::write(ws.join("terraform.tfstate"), "{not json").unwrap();
        let state = State::read(dir.path()).await;
        assert!(
            matches!(state, State::Unknown(ref why) if why.contains("not a Terraform state")),
            "{state:?}"
        );
        assert_eq!(
            state.manages("aws_lambda_function", "function_name", "f1"),
            None
        );
    }
}
