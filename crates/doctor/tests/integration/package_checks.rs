//! `doctor`'s package and environment findings on temporary directory trees: a missing
//! package, an invalid one, one older than its sources, an unset variable, a bad tfvars.

use crate::support::{envs_dev, write_package, Tree, BACKEND};
use std::path::Path;
use std::time::Duration;
use wsproxy_doctor::{Report, Status};

#[tokio::test]
async fn a_missing_package_names_the_resolved_path_the_nearest_folder_and_the_command() {
    let tree = Tree::new("repo/infra/terraform/envs/dev", BACKEND);
    let report = tree.report().await;
    let finding = report
        .finding("package.exists")
        .unwrap_or_else(|| panic!("{}", report.to_text()));
    assert_eq!(finding.status, Status::Fail);
    let expected = tree.path("repo/dist/bootstrap.zip");
    assert!(
        finding.message.contains(&expected.display().to_string()),
        "{}",
        finding.message
    );
    let nearest = format!(
        "nearest folder that exists is {}",
        tree.path("repo").display()
    );
    assert!(finding.message.contains(&nearest), "{}", finding.message);
    let fix = finding.fix.as_deref().unwrap();
    assert!(
        fix.contains(&format!(
            "wsproxy package --out {}",
            tree.path("repo/dist").display()
        )),
        "{fix}"
    );
    assert!(!report.ok());
}

#[tokio::test]
async fn a_package_that_exists_passes_and_an_invalid_one_fails() {
    let tree = Tree::new("repo/infra/terraform/envs/dev", BACKEND);
    let path = tree.path("repo/dist/bootstrap.zip");
    write_package(&path);
    let report = tree.report().await;
    let exists = report.finding("package.exists").unwrap();
    assert_eq!(exists.status, Status::Ok, "{}", report.to_text());
    let hash = wsproxy_package::base64_sha256(&path).unwrap();
    assert!(exists.message.contains(&hash), "{}", exists.message);

    std::fs::write(&path, b"not a zip").unwrap();
    let report = tree.report().await;
    let valid = report.finding("package.valid").unwrap();
    assert_eq!(valid.status, Status::Fail, "{}", report.to_text());
    assert!(valid.message.contains("not a zip"), "{}", valid.message);
}

#[tokio::test]
async fn an_unset_variable_and_an_unreadable_file_are_reported_not_fatal() {
    let tree = Tree::new("repo/envs/dev", "");
    std::fs::remove_file(tree.env.join("terraform.tfvars")).unwrap();
    std::fs::copy(
        envs_dev().join("terraform.tfvars.example"),
        tree.env.join("terraform.tfvars.example"),
    )
    .unwrap();
    let report = tree.report().await;
    let unset = report.finding("env.variables").unwrap();
    assert_eq!(unset.status, Status::Fail);
    assert!(unset.message.contains("backend_url"), "{}", unset.message);
    assert!(unset
        .fix
        .as_deref()
        .unwrap()
        .contains("terraform.tfvars.example"));

    std::fs::write(tree.env.join("terraform.tfvars"), "backend_url = \n").unwrap();
    let report = tree.report().await;
    assert!(!report.ok());
    let env = &report.findings[0];
    assert_eq!(
        (env.check, env.status),
        ("env", Status::Fail),
        "{}",
        report.to_text()
    );
    assert!(env.message.contains("terraform.tfvars"), "{}", env.message);
}

/// A minimal wsproxy workspace at `root`: the Lambda crate depends on core; cli is beside them.
fn fake_workspace(root: &Path) {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies]\nwsproxy-core = { path = \"crates/core\" }\n",
    );
    write("Cargo.lock", "");
    write(
        "crates/lambda/Cargo.toml",
        "[package]\nname = \"wsproxy-lambda\"\n[dependencies]\nwsproxy-core.workspace = true\nserde = \"1\"\n",
    );
    write("crates/lambda/src/main.rs", "fn main() {}\n");
    write(
        "crates/core/Cargo.toml",
        "[package]\nname = \"wsproxy-core\"\n",
    );
    write("crates/core/src/deep/fanout.rs", "\n");
    write("crates/cli/Cargo.toml", "[package]\nname = \"wsproxy\"\n");
    write("crates/cli/src/main.rs", "fn main() {}\n");
}

fn set_age(path: &Path, secs_ago: u64) {
    let when = std::time::SystemTime::now() - Duration::from_secs(secs_ago);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[tokio::test]
async fn a_package_older_than_the_code_it_is_built_from_fails() {
    let tree = Tree::new("repo/infra/terraform/envs/dev", BACKEND);
    let repo = tree.path("repo");
    fake_workspace(&repo);
    let package = repo.join("dist/bootstrap.zip");
    write_package(&package);
    let fresh = |report: &Report| {
        report
            .finding("package.fresh")
            .cloned()
            .unwrap_or_else(|| panic!("{}", report.to_text()))
    };
    // Everything older than the package.
    for rel in [
        "Cargo.toml",
        "Cargo.lock",
        "crates/lambda/Cargo.toml",
        "crates/lambda/src/main.rs",
        "crates/core/Cargo.toml",
        "crates/core/src/deep/fanout.rs",
    ] {
        set_age(&repo.join(rel), 3600);
    }
    set_age(&package, 60);
    assert_eq!(fresh(&tree.report().await).status, Status::Ok);

    // A change to a crate the function is not built from does not count.
    set_age(&repo.join("crates/cli/src/main.rs"), 1);
    assert_eq!(fresh(&tree.report().await).status, Status::Ok);

    // A change to a dependency of the function does.
    set_age(&repo.join("crates/core/src/deep/fanout.rs"), 1);
    let report = tree.report().await;
    let finding = fresh(&report);
    assert_eq!(finding.status, Status::Fail, "{}", report.to_text());
    assert!(
        finding.message.contains("crates/core/src/deep/fanout.rs"),
        "{}",
        finding.message
    );
    assert!(
        finding
            .fix
            .as_deref()
            .unwrap()
            .contains("wsproxy package --out"),
        "{:?}",
        finding.fix
    );
    assert!(!report.ok());
}
