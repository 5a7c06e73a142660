//! A root module loaded from a real folder: every source of variable values in Terraform's
//! order, locals in dependency order, and each way a folder or file can be wrong.

use super::*;
use std::collections::HashMap;

/// A folder holding `files` (name, text), removed when dropped.
fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn load(
    dir: &Path,
    var_files: &[PathBuf],
    vars: &[(&str, &str)],
    env: &[(&str, &str)],
) -> Result<RootModule, Error> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |name: &str| env.get(name).cloned();
    RootModule::load(
        dir,
        &RootInputs {
            var_files,
            vars: &vars,
            env: &lookup,
        },
    )
}

const VARIABLES: &[u8] = br#"
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "f" { default = "default" }
variable "unset" {}
"#;

#[test]
fn variables_take_each_source_in_terraforms_order() {
    let dir = folder(&[
        ("variables.tf", VARIABLES),
        (
            "terraform.tfvars",
            b"b = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\ne = \"tfvars\"\n",
        ),
        (
            "x.auto.tfvars",
            b"c = \"auto\"\nd = \"auto\"\ne = \"auto\"\n",
        ),
        ("prod.tfvars", b"d = \"var-file\"\ne = \"var-file\"\n"),
        // Neither auto-loaded nor given: Terraform does not read it.
        ("other.tfvars", b"a = \"not read\"\n"),
    ]);
    let extra = dir.path().join("prod.tfvars");
    let root = load(
        dir.path(),
        &[extra],
        &[("e", "var")],
        &[
            ("TF_VAR_b", "env"),
            ("TF_VAR_f", "env"),
            ("HOME", "/home/ann"),
        ],
    )
    .unwrap();
    let values = root.variables.values();
    let value = |name: &str| values[name].as_str().unwrap().to_owned();
    assert_eq!(value("a"), "default");
    assert_eq!(value("b"), "tfvars");
    assert_eq!(value("c"), "auto");
    assert_eq!(value("d"), "var-file");
    assert_eq!(value("e"), "var");
    assert_eq!(value("f"), "env");
    assert_eq!(root.variables.unset(), vec!["unset".to_owned()]);
    assert_eq!(root.dir, dir.path());
    assert_eq!(root.scope.cwd, dir.path());
    assert_eq!(root.scope.home.as_deref(), Some(Path::new("/home/ann")));
    assert_eq!(root.tf_files(), vec![dir.path().join("variables.tf")]);
}

#[test]
fn locals_are_evaluated_in_dependency_order_and_unknowable_ones_left_out() {
    let dir = folder(&[
        ("a.tf", b"locals {\n  greeting = \"${local.name}!\"\n  known = can(local.name)\n}\n"),
        (
            "b.tf",
            b"variable \"who\" { default = \"ann\" }\nlocals {\n  name = upper(var.who)\n  arn = aws_lambda_function.f.arn\n  later = local.arn\n}\n",
        ),
    ]);
    let root = load(dir.path(), &[], &[], &[]).unwrap();
    let locals = root.locals();
    assert_eq!(locals["greeting"], Value::from("ANN!"));
    assert_eq!(locals["known"], Value::Bool(true));
    assert!(!locals.contains_key("arn") && !locals.contains_key("later"));
    assert_eq!(
        root.blocks().filter(|b| b.identifier() == "locals").count(),
        2
    );
}

#[test]
fn a_missing_or_empty_folder_is_refused_naming_it() {
    let dir = folder(&[("notes.txt", b"no terraform here")]);
    let e = load(dir.path(), &[], &[], &[]).unwrap_err();
    assert!(
        matches!(&e, Error::NoTerraform(d) if d == dir.path()),
        "{e:?}"
    );
    assert!(e.to_string().contains("holds no *.tf file"), "{e}");
    let missing = dir.path().join("nowhere");
    let e = load(&missing, &[], &[], &[]).unwrap_err();
    assert!(matches!(&e, Error::NotAFolder(d) if d == &missing), "{e:?}");
    let file = dir.path().join("notes.txt");
    assert!(matches!(
        load(&file, &[], &[], &[]).unwrap_err(),
        Error::NotAFolder(_)
    ));
}

#[test]
fn a_file_that_does_not_parse_is_named_with_its_line() {
    let dir = folder(&[
        ("a.tf", b"variable \"x\" {}\n"),
        ("b.tf", b"locals {\n  ok = 1\n  broken = \n}\n"),
    ]);
    let e = load(dir.path(), &[], &[], &[]).unwrap_err();
    assert!(
        matches!(&e, Error::Parse { file, .. } if file == &dir.path().join("b.tf")),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("b.tf") && text.contains("line 3"), "{text}");
    assert!(text.contains("terraform validate"), "{text}");
}

#[test]
fn unreadable_files_and_bad_values_name_their_file() {
    let dir = folder(&[("main.tf", b"variable \"x\" {}\n\xff\xfe\n")]);
    let e = load(dir.path(), &[], &[], &[]).unwrap_err();
    assert!(
        matches!(&e, Error::Read { file, .. } if file == &dir.path().join("main.tf")),
        "{e:?}"
    );
    let dir = folder(&[("main.tf", VARIABLES), ("terraform.tfvars", b"a = var.b\n")]);
    let e = load(dir.path(), &[], &[], &[]).unwrap_err();
    assert!(
        matches!(&e, Error::Parse { file, .. } if file == &dir.path().join("terraform.tfvars")),
        "{e:?}"
    );
    let dir = folder(&[("main.tf", VARIABLES)]);
    let missing = dir.path().join("missing.tfvars");
    let e = load(dir.path(), &[PathBuf::from(&missing)], &[], &[]).unwrap_err();
    assert!(
        matches!(&e, Error::Read { file, .. } if file == &missing),
        "{e:?}"
    );
    let dir = folder(&[("main.tf", VARIABLES)]);
    let e = load(dir.path(), &[], &[("nope", "1")], &[]).unwrap_err();
    assert!(e.to_string().contains("no variable \"nope\""), "{e}");
}
