//! The README's layout section against the tree: every crate folder under `crates/` is
//! listed, every listed path exists, and the README stays under its size limit.

use std::collections::BTreeSet;
use std::path::Path;

/// The README is a front door, not a manual (issue 19).
const README_MAX_BYTES: usize = 10 * 1024;

/// The heading of the README's layout section.
const LAYOUT_HEADING: &str = "## Layout";

/// The top-level folders the layout must list besides the crates.
const TOP_LEVEL: [&str; 5] = ["tests/", "infra/", "examples/", "scripts/", "docs/"];

/// The paths of the layout table: the first cell of each row, between backticks.
fn listed_paths(readme: &str) -> Result<Vec<String>, String> {
    let start = readme
        .lines()
        .position(|l| l.trim_end() == LAYOUT_HEADING)
        .ok_or_else(|| format!("README.md has no `{LAYOUT_HEADING}` section"))?;
    let mut paths = Vec::new();
    for line in readme.lines().skip(start + 1) {
        if line.starts_with("## ") {
            break;
        }
        let Some(cell) = line.strip_prefix('|').and_then(|l| l.split('|').next()) else {
            continue;
        };
        let cell = cell.trim();
        if let Some(path) = cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            paths.push(path.to_owned());
        }
    }
    if paths.is_empty() {
        return Err("the layout section has no table of `path`s".into());
    }
    Ok(paths)
}

/// What is wrong with the layout of `readme` for a tree whose crate folders are `crates`
/// and in which `exists` tells whether a listed path is there; empty when nothing is.
fn problems(readme: &str, crates: &BTreeSet<String>, exists: impl Fn(&str) -> bool) -> Vec<String> {
    let mut problems = Vec::new();
    if readme.len() > README_MAX_BYTES {
        problems.push(format!(
            "README.md is {} bytes, over {README_MAX_BYTES}: move the detail to a page under docs/ and link it",
            readme.len()
        ));
    }
    let listed = match listed_paths(readme) {
        Ok(listed) => listed,
        Err(e) => {
            problems.push(e);
            return problems;
        }
    };
    let normal = |p: &str| p.trim_end_matches('/').to_owned();
    let listed_set: BTreeSet<String> = listed.iter().map(|p| normal(p)).collect();
    for name in crates {
        let path = format!("crates/{name}");
        if !listed_set.contains(&path) {
            problems.push(format!(
                "`{path}` is not in the README's layout: add a line for it"
            ));
        }
    }
    for path in &listed {
        if !exists(&normal(path)) {
            problems.push(format!(
                "the README's layout lists `{path}`, which does not exist"
            ));
        }
    }
    for top in TOP_LEVEL {
        if !listed_set.contains(&normal(top)) {
            problems.push(format!("`{top}` is not in the README's layout"));
        }
    }
    problems
}

/// The folders under `crates/`.
fn crate_folders(root: &Path) -> BTreeSet<String> {
    std::fs::read_dir(root.join("crates"))
        .expect("crates/ can be read")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_readme_layout_lists_every_crate_and_stays_small() {
    let root = crate::root();
    let crates = crate_folders(&root);
    assert!(crates.contains("core"), "crates/ was read: {crates:?}");
    let found = problems(&crate::read("README.md"), &crates, |p| {
        root.join(p).exists()
    });
    assert!(found.is_empty(), "README.md:\n- {}", found.join("\n- "));
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "# x\n\n## Layout\n\n| path | what |\n|---|---|\n| `crates/core` | the core |\n| `crates/gone` | removed |\n| `tests/` | t |\n| `infra/` | i |\n| `examples/` | e |\n| `scripts/` | s |\n| `docs/` | d |\n\n## Next\n\n| `crates/later` | not the layout |\n";

    fn crates(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn an_unlisted_crate_and_a_listed_missing_path_are_named() {
        let found = problems(README, &crates(&["core", "new"]), |p| p != "crates/gone");
        assert_eq!(
            found,
            [
                "`crates/new` is not in the README's layout: add a line for it",
                "the README's layout lists `crates/gone`, which does not exist",
            ]
        );
    }

    #[test]
    fn rows_after_the_section_do_not_count() {
        let found = problems(README, &crates(&["core", "later"]), |_| true);
        assert_eq!(
            found,
            ["`crates/later` is not in the README's layout: add a line for it"]
        );
    }

    #[test]
    fn a_readme_over_the_limit_or_without_a_layout_fails() {
        let big = format!("{README}{}", "x".repeat(README_MAX_BYTES));
        assert!(problems(&big, &crates(&["core"]), |_| true)[0].contains("over 10240"));
        let none = problems("# x\n\nno layout here\n", &crates(&["core"]), |_| true);
        assert_eq!(none, ["README.md has no `## Layout` section"]);
    }

    #[test]
    fn a_missing_top_level_folder_is_named() {
        let readme = README.replace("| `docs/` | d |\n", "");
        let found = problems(&readme, &crates(&["core", "gone"]), |_| true);
        assert_eq!(found, ["`docs/` is not in the README's layout"]);
    }
}
