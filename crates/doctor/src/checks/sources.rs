//! The source files `bootstrap` is built from: the `wsproxy-lambda` crate and the workspace
//! crates it depends on (read from the Cargo manifests), plus the workspace's Cargo.toml
//! and Cargo.lock.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The crate the Lambda binary is built from, relative to the workspace root.
const LAMBDA_CRATE: &str = "crates/lambda";

/// The workspace root above `start` (itself included) that holds the Lambda crate.
pub(super) fn find_workspace(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(LAMBDA_CRATE).join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// The most recently modified file `bootstrap` is built from, with its time.
pub fn newest_source(root: &Path) -> std::io::Result<Option<(PathBuf, SystemTime)>> {
    let mut newest: Option<(PathBuf, SystemTime)> = None;
    let mut consider = |path: PathBuf| -> std::io::Result<()> {
        let modified = std::fs::metadata(&path)?.modified()?;
        if newest.as_ref().is_none_or(|(_, t)| modified > *t) {
            newest = Some((path, modified));
        }
        Ok(())
    };
    for file in ["Cargo.toml", "Cargo.lock"] {
        let path = root.join(file);
        if path.is_file() {
            consider(path)?;
        }
    }
    for dir in crate_dirs(root)? {
        for file in ["Cargo.toml", "build.rs"] {
            let path = dir.join(file);
            if path.is_file() {
                consider(path)?;
            }
        }
        for file in files_under(&dir.join("src"))? {
            consider(file)?;
        }
    }
    Ok(newest)
}

/// The Lambda crate and, transitively, the workspace crates it depends on.
fn crate_dirs(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let workspace = manifest(&root.join("Cargo.toml"))?;
    let paths: BTreeMap<String, PathBuf> = workspace
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
        .map(|deps| {
            deps.iter()
                .filter_map(|(name, spec)| {
                    let path = spec.get("path")?.as_str()?;
                    Some((name.clone(), root.join(path)))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.join(LAMBDA_CRATE)];
    while let Some(dir) = todo.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let krate = manifest(&dir.join("Cargo.toml"))?;
        for section in ["dependencies", "build-dependencies"] {
            let Some(deps) = krate.get(section).and_then(toml::Value::as_table) else {
                continue;
            };
            for (name, spec) in deps {
                if let Some(path) = spec.get("path").and_then(toml::Value::as_str) {
                    todo.push(dir.join(path));
                } else if let Some(path) = paths.get(name) {
                    todo.push(path.clone());
                }
            }
        }
    }
    Ok(seen.into_iter().collect())
}

fn manifest(path: &Path) -> std::io::Result<toml::Table> {
    let text = std::fs::read_to_string(path)?;
    text.parse().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                todo.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lambda_crate_and_its_workspace_dependencies_count_and_nothing_else() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dirs: Vec<String> = crate_dirs(&root)
            .unwrap()
            .iter()
            .map(|d| {
                crate::paths::clean(d)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert!(dirs.contains(&"lambda".to_owned()), "{dirs:?}");
        assert!(dirs.contains(&"core".to_owned()), "{dirs:?}");
        assert!(dirs.contains(&"aws".to_owned()), "{dirs:?}");
        assert!(!dirs.contains(&"cli".to_owned()), "{dirs:?}");
        assert!(!dirs.contains(&"doctor".to_owned()), "{dirs:?}");
    }
}
