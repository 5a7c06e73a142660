//! `doctor`'s package path rules on temporary directory trees (the repository's layout,
//! an absolute path, a `~/` path, a sibling repository, variable precedence), each compared
//! with what `terraform console` makes of the same folder (skipped, saying so, where no
//! `terraform` is installed).

use crate::support::{Tree, BACKEND};
use wsproxy_doctor::{Environment, Source};

#[test]
fn the_default_is_dist_at_the_repository_root() {
    let tree = Tree::new("repo/infra/terraform/envs/dev", BACKEND);
    assert_eq!(tree.resolved(), tree.path("repo/dist/bootstrap.zip"));
}

#[test]
fn a_relative_path_is_relative_to_the_environment_not_the_caller() {
    let tree = Tree::new(
        "repo/infra/terraform/envs/dev",
        &format!("{BACKEND}websocket_lambda_package = \"./../build/./out/../bootstrap.zip\"\n"),
    );
    let before = std::env::current_dir().unwrap();
    assert_eq!(
        tree.resolved(),
        tree.path("repo/infra/terraform/envs/build/bootstrap.zip")
    );
    assert_eq!(std::env::current_dir().unwrap(), before);
}

#[test]
fn an_absolute_path_is_used_as_it_is_once_cleaned() {
    let tree = Tree::new("repo/envs/dev", "");
    let target = tree.path("elsewhere/pkg/../bootstrap.zip");
    std::fs::write(
        tree.env.join("terraform.tfvars"),
        format!(
            "{BACKEND}websocket_lambda_package = \"{}\"\n",
            target.display()
        ),
    )
    .unwrap();
    assert_eq!(tree.resolved(), tree.path("elsewhere/bootstrap.zip"));
}

#[test]
fn a_home_path_is_expanded() {
    let tree = Tree::new(
        "repo/envs/dev",
        &format!("{BACKEND}websocket_lambda_package = \"~/builds/bootstrap.zip\"\n"),
    );
    assert_eq!(tree.resolved(), tree.path("home/builds/bootstrap.zip"));
}

#[test]
fn a_sibling_repository_layout_resolves_across_repositories() {
    // infra in one repository, wsproxy checked out beside it.
    let tree = Tree::new(
        "work/platform-infra/envs/dev",
        &format!("{BACKEND}websocket_lambda_package = \"../../../wsproxy/dist/bootstrap.zip\"\n"),
    );
    assert_eq!(
        tree.resolved(),
        tree.path("work/wsproxy/dist/bootstrap.zip")
    );
}

#[test]
fn later_sources_override_earlier_ones_as_in_terraform() {
    let mut tree = Tree::new(
        "repo/envs/dev",
        &format!("{BACKEND}websocket_lambda_package = \"from-tfvars.zip\"\n"),
    );
    tree.vars.insert(
        "TF_VAR_websocket_lambda_package".into(),
        "from-env.zip".into(),
    );
    // terraform.tfvars beats TF_VAR_.
    assert_eq!(tree.resolved(), tree.env.join("from-tfvars.zip"));
    // *.auto.tfvars beat terraform.tfvars, the later name winning; prod.tfvars and the
    // example are not read, as Terraform does not load them by itself.
    for (file, zip) in [
        ("b.auto.tfvars", "b.zip"),
        ("a.auto.tfvars", "a.zip"),
        ("prod.tfvars", "prod.zip"),
        ("terraform.tfvars.example", "example.zip"),
    ] {
        let line = format!("websocket_lambda_package = \"{zip}\"\n");
        std::fs::write(tree.env.join(file), line).unwrap();
    }
    assert_eq!(tree.resolved(), tree.env.join("b.zip"));
    // An explicit -var-file beats them all.
    let env = Environment::load_with(&tree.env, &[tree.env.join("prod.tfvars")], &|k| {
        tree.vars.get(k).cloned()
    })
    .unwrap();
    assert_eq!(
        env.package_path().unwrap().unwrap(),
        tree.env.join("prod.zip")
    );
    let declared = &env.variables.declared["websocket_lambda_package"];
    assert_eq!(
        declared.value.as_ref().unwrap().1,
        Source::File(tree.env.join("prod.tfvars"))
    );
}

#[test]
fn a_variable_from_the_environment_is_taken_verbatim() {
    let mut tree = Tree::new("repo/envs/dev", BACKEND);
    tree.vars
        .insert("TF_VAR_websocket_lambda_package".into(), "../x.zip".into());
    assert_eq!(tree.resolved(), tree.path("repo/envs/x.zip"));
}
