//! Temporary environment trees for the doctor's tests, and `terraform console` as the
//! oracle of where Terraform looks for the package.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use wsproxy_doctor::checks::{self, Options};
use wsproxy_doctor::{Environment, Report};

/// The real example environment, whose files each tree copies.
pub(crate) fn envs_dev() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/terraform/envs/dev")
}

/// A temporary tree with an environment folder at `env` inside it, made from envs/dev's
/// provider-free files (package.tf, variables.tf) and `tfvars`; main.tf comes later, as
/// `terraform console` runs offline only without the provider it needs.
pub(crate) struct Tree {
    pub root: tempfile::TempDir,
    pub env: PathBuf,
    pub vars: BTreeMap<String, String>,
}

impl Tree {
    pub(crate) fn new(env: &str, tfvars: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(env);
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["package.tf", "variables.tf"] {
            std::fs::copy(envs_dev().join(file), dir.join(file)).unwrap();
        }
        std::fs::write(dir.join("terraform.tfvars"), tfvars).unwrap();
        std::fs::write(root.path().join("terraformrc"), "").unwrap();
        let home = root.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let vars = BTreeMap::from([("HOME".to_owned(), home.display().to_string())]);
        Self {
            root,
            env: dir,
            vars,
        }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// `local.websocket_lambda_package` as `terraform console` evaluates it in the folder.
    pub(crate) fn terraform(&self) -> Option<PathBuf> {
        let _ = std::fs::remove_file(self.env.join("main.tf"));
        let found = Command::new("terraform")
            .arg("version")
            .env("CHECKPOINT_DISABLE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            eprintln!("SKIPPED the Terraform comparison: no `terraform` on PATH (install Terraform >= 1.9 to run it)");
            return None;
        }
        let mut child = Command::new("terraform")
            .arg("console")
            .current_dir(&self.env)
            .envs(&self.vars)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", self.path("terraformrc"))
            .env("TF_IN_AUTOMATION", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"local.websocket_lambda_package\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "terraform console failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let value: String =
            serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
        Some(PathBuf::from(value))
    }

    /// Adds envs/dev's main.tf and reads the folder as `doctor` does.
    pub(crate) fn doctor_env(&self) -> Environment {
        std::fs::copy(envs_dev().join("main.tf"), self.env.join("main.tf")).unwrap();
        Environment::load_with(&self.env, &[], &|k| self.vars.get(k).cloned()).unwrap()
    }

    /// The path doctor resolves, checked against Terraform's.
    pub(crate) fn resolved(&self) -> PathBuf {
        let oracle = self.terraform();
        let path = self.doctor_env().package_path().unwrap().unwrap();
        if let Some(terraform) = oracle {
            assert_eq!(path, terraform, "doctor and terraform console disagree");
        }
        path
    }

    pub(crate) async fn report(&self) -> Report {
        std::fs::copy(envs_dev().join("main.tf"), self.env.join("main.tf")).unwrap();
        let env = Environment::load_with(&self.env, &[], &|k| self.vars.get(k).cloned());
        let options = Options {
            sources: None,
            aws: Err("not in these tests".into()),
            backend_timeout: Duration::from_secs(2),
        };
        checks::run("test", env, &options).await
    }
}

/// A valid package at `path` (a copy of /bin/true as bootstrap).
pub(crate) fn write_package(path: &Path) {
    let dir = path.parent().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let made = wsproxy_package::write_zip(Path::new("/bin/true"), dir).unwrap();
    if made.path != path {
        std::fs::rename(&made.path, path).unwrap();
    }
}

pub(crate) const BACKEND: &str = "backend_url = \"http://127.0.0.1:9\"\n";
