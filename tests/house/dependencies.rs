//! The crate rules of `docs/ARCHITECTURE.md` ("Rules of the house"), checked against
//! `cargo metadata`. Each rule quotes the sentence it enforces, and that sentence must be
//! on the page: a rule changes in both places or in neither.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// What a rule asks of the crate graph.
enum Check {
    /// `package` depends on none of `forbidden` (a trailing `*` matches a prefix), directly
    /// or through workspace crates it depends on (dev-dependencies aside).
    Avoids {
        package: &'static str,
        forbidden: &'static [&'static str],
    },
    /// No package but those of `except` depends on `package` other than as a
    /// dev-dependency.
    DevOnly {
        package: &'static str,
        except: &'static [&'static str],
    },
}

/// One rule: the sentence of `docs/ARCHITECTURE.md` it enforces, and its check.
struct Rule {
    sentence: &'static str,
    check: Check,
}

/// The rules, one place.
const RULES: &[Rule] = &[
    Rule {
        sentence: "The core reaches no host: `wsproxy-core` depends on none of `wsproxy-gateway`, `wsproxy-aws`, `wsproxy-lambda`, `wsproxy-lambda-local`, `axum`, `aws-sdk-*` or `lambda_runtime`, directly or through another crate of the workspace.",
        check: Check::Avoids {
            package: "wsproxy-core",
            forbidden: &[
                "wsproxy-gateway",
                "wsproxy-aws",
                "wsproxy-lambda",
                "wsproxy-lambda-local",
                "axum",
                "aws-sdk-*",
                "lambda_runtime",
            ],
        },
    },
    Rule {
        sentence: "The local Lambda service reaches no API Gateway code: `wsproxy-lambda-local` depends on neither `wsproxy-gateway` nor `wsproxy-core`, directly or through another crate of the workspace.",
        check: Check::Avoids {
            package: "wsproxy-lambda-local",
            forbidden: &["wsproxy-gateway", "wsproxy-core"],
        },
    },
    Rule {
        sentence: "`wsproxy-test-support` is a dev-dependency only: no crate depends on it outside its tests, but `wsproxy-e2e`, which is a test suite.",
        check: Check::DevOnly {
            package: "wsproxy-test-support",
            except: &["wsproxy-e2e"],
        },
    },
];

/// One dependency of a package as `cargo metadata` lists it.
#[derive(Debug, Clone)]
struct Dependency {
    name: String,
    /// `dev`, `build`, or `None` for a normal dependency.
    kind: Option<String>,
}

impl Dependency {
    fn is_dev(&self) -> bool {
        self.kind.as_deref() == Some("dev")
    }
}

/// The workspace's packages and their direct dependencies (optional and
/// platform-specific ones included), from `cargo metadata --no-deps` output.
fn graph(metadata: &Value) -> Result<BTreeMap<String, Vec<Dependency>>, String> {
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata printed no `packages`")?;
    let mut graph = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().ok_or("a package without a name")?;
        let dependencies = package["dependencies"]
            .as_array()
            .ok_or_else(|| format!("{name} has no `dependencies` list"))?
            .iter()
            .map(|d| Dependency {
                name: d["name"].as_str().unwrap_or_default().to_owned(),
                kind: d["kind"].as_str().map(str::to_owned),
            })
            .collect();
        graph.insert(name.to_owned(), dependencies);
    }
    Ok(graph)
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// How `rule` is broken in `graph`, one line a violation; empty when it holds.
fn violations(rule: &Rule, graph: &BTreeMap<String, Vec<Dependency>>) -> Vec<String> {
    match &rule.check {
        Check::Avoids { package, forbidden } => {
            if !graph.contains_key(*package) {
                return vec![format!(
                    "{package} is not a package of the workspace: the rule names a crate that is gone or renamed"
                )];
            }
            let mut found = Vec::new();
            // Depth-first through the workspace crates, remembering the path.
            let mut stack = vec![vec![package.to_string()]];
            let mut visited = BTreeSet::new();
            while let Some(path) = stack.pop() {
                let current = path.last().expect("a path is never empty").clone();
                if !visited.insert(current.clone()) {
                    continue;
                }
                for dependency in graph[&current].iter().filter(|d| !d.is_dev()) {
                    let mut next = path.clone();
                    next.push(dependency.name.clone());
                    if forbidden.iter().any(|f| matches(f, &dependency.name)) {
                        found.push(next.join(" -> "));
                    } else if graph.contains_key(&dependency.name) {
                        stack.push(next);
                    }
                }
            }
            found.sort();
            found.dedup();
            found
        }
        Check::DevOnly { package, except } => graph
            .iter()
            .filter(|(name, _)| !except.contains(&name.as_str()))
            .flat_map(|(name, dependencies)| {
                dependencies
                    .iter()
                    .filter(|d| d.name == *package && !d.is_dev())
                    .map(move |d| {
                        let kind = d.kind.as_deref().unwrap_or("normal");
                        format!("{name} -> {package} ({kind} dependency)")
                    })
            })
            .collect(),
    }
}

/// `cargo metadata --format-version 1 --no-deps` of this workspace.
fn cargo_metadata() -> Value {
    let manifest = crate::root().join("Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// Whitespace made single spaces, so that a sentence may wrap on the page.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_crate_graph_keeps_the_rules_of_architecture_md() {
    let graph = graph(&cargo_metadata()).expect("cargo metadata's packages");
    assert!(
        graph.contains_key("wsproxy-core") && graph.contains_key("wsproxy-gateway"),
        "the workspace's packages were read: {:?}",
        graph.keys()
    );
    let page = squeezed(&crate::read("docs/ARCHITECTURE.md"));
    let mut problems = Vec::new();
    for rule in RULES {
        if !page.contains(&squeezed(rule.sentence)) {
            problems.push(format!(
                "docs/ARCHITECTURE.md does not say, word for word: {}",
                rule.sentence
            ));
        }
        for violation in violations(rule, &graph) {
            problems.push(format!("{violation}\n  breaks: {}", rule.sentence));
        }
    }
    assert!(problems.is_empty(), "\n- {}", problems.join("\n- "));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A package and its dependencies as (name, kind).
    type Package<'a> = (&'a str, &'a [(&'a str, Option<&'a str>)]);

    /// A workspace of `packages`.
    fn workspace(packages: &[Package<'_>]) -> BTreeMap<String, Vec<Dependency>> {
        let packages: Vec<Value> = packages
            .iter()
            .map(|(name, deps)| {
                let deps: Vec<Value> = deps
                    .iter()
                    .map(|(d, kind)| json!({"name": d, "kind": kind}))
                    .collect();
                json!({"name": name, "dependencies": deps})
            })
            .collect();
        graph(&json!({ "packages": packages })).expect("a graph")
    }

    #[test]
    fn a_forbidden_dependency_is_found_directly_and_through_the_workspace() {
        let graph = workspace(&[
            ("wsproxy-core", &[("serde", None), ("wsproxy-x", None)]),
            (
                "wsproxy-x",
                &[("aws-sdk-s3", None), ("wsproxy-core", Some("dev"))],
            ),
            (
                "wsproxy-lambda-local",
                &[("wsproxy-gateway", Some("build"))],
            ),
            ("wsproxy-gateway", &[]),
            ("wsproxy-test-support", &[]),
        ]);
        assert_eq!(
            violations(&RULES[0], &graph),
            ["wsproxy-core -> wsproxy-x -> aws-sdk-s3"]
        );
        assert_eq!(
            violations(&RULES[1], &graph),
            ["wsproxy-lambda-local -> wsproxy-gateway"]
        );
    }

    #[test]
    fn dev_dependencies_do_not_count_and_cycles_end() {
        let graph = workspace(&[
            (
                "wsproxy-core",
                &[("axum", Some("dev")), ("wsproxy-a", None)],
            ),
            ("wsproxy-a", &[("wsproxy-b", None)]),
            ("wsproxy-b", &[("wsproxy-a", None)]),
        ]);
        assert!(violations(&RULES[0], &graph).is_empty());
    }

    #[test]
    fn a_rule_about_a_missing_crate_fails() {
        let graph = workspace(&[("wsproxy-core", &[])]);
        assert!(violations(&RULES[1], &graph)[0].contains("not a package of the workspace"));
    }

    #[test]
    fn test_support_outside_tests_is_found() {
        let graph = workspace(&[
            ("wsproxy-gateway", &[("wsproxy-test-support", Some("dev"))]),
            ("wsproxy-bench", &[("wsproxy-test-support", None)]),
            ("wsproxy-e2e", &[("wsproxy-test-support", None)]),
            ("wsproxy-test-support", &[]),
        ]);
        assert_eq!(
            violations(&RULES[2], &graph),
            ["wsproxy-bench -> wsproxy-test-support (normal dependency)"]
        );
    }

    #[test]
    fn sentences_may_wrap_on_the_page() {
        assert_eq!(squeezed("a  b\n  c"), "a b c");
    }
}
