//! Terraform's path functions, as they behave on the machine running Terraform:
//! `pathexpand()` (a leading `~`), `abspath()` (join to the working directory, then clean
//! `.` and `..` lexically, following no symlink) and what a missing path's nearest existing
//! folder is.

use std::path::{Component, Path, PathBuf};

/// `pathexpand()`: a leading `~` or `~/` becomes the home folder; anything else is unchanged.
pub fn pathexpand(path: &str, home: Option<&Path>) -> String {
    let Some(home) = home else {
        return path.to_owned();
    };
    let home = home.to_string_lossy();
    if path == "~" {
        return home.into_owned();
    }
    match path.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", home.trim_end_matches('/')),
        None => path.to_owned(),
    }
}

/// True when Terraform takes `path` as absolute: `/...`, `\...` or a drive letter `C:\...`.
pub fn is_absolute(path: &str) -> bool {
    let b = path.as_bytes();
    matches!(b.first(), Some(b'/' | b'\\'))
        || (b.len() > 2
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'/' | b'\\'))
}

/// `abspath()` run in `cwd`: a relative `path` is joined to `cwd`, then cleaned lexically.
pub fn abspath(path: &str, cwd: &Path) -> PathBuf {
    let joined = if Path::new(path).is_absolute() {
        PathBuf::from(path)
    } else {
        cwd.join(path)
    };
    clean(&joined)
}

/// Go's `filepath.Clean` for absolute paths: drops `.`, applies `..` to the folder before it
/// (`..` at the root stays at the root), and never looks at the disk.
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Prefix(_) | Component::RootDir => out.push(part.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() || out.as_os_str().is_empty() {
                    out.push(Component::RootDir.as_os_str());
                }
            }
            Component::Normal(name) => out.push(name),
        }
    }
    out
}

/// The deepest folder on `path`'s way that exists (`path` itself when it is a folder).
pub fn nearest_existing_folder(path: &Path) -> Option<PathBuf> {
    path.ancestors().find(|p| p.is_dir()).map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abspath_cleans_lexically() {
        let cwd = Path::new("/repo/infra/terraform/envs/dev");
        assert_eq!(
            abspath("../../../../dist/bootstrap.zip", cwd),
            PathBuf::from("/repo/dist/bootstrap.zip")
        );
        assert_eq!(abspath("./a/./b/../c", cwd), cwd.join("a/c"));
        assert_eq!(abspath("/x/../../y", cwd), PathBuf::from("/y"));
        assert_eq!(
            abspath("../../../../../../../../z", cwd),
            PathBuf::from("/z")
        );
    }

    #[test]
    fn pathexpand_only_touches_a_leading_tilde() {
        let home = Path::new("/home/ann/");
        assert_eq!(
            pathexpand("~/dist/b.zip", Some(home)),
            "/home/ann/dist/b.zip"
        );
        assert_eq!(pathexpand("~", Some(home)), "/home/ann/");
        assert_eq!(pathexpand("a/~/b", Some(home)), "a/~/b");
        assert_eq!(pathexpand("~bob/x", Some(home)), "~bob/x");
        assert_eq!(pathexpand("~/x", None), "~/x");
    }

    #[test]
    fn absolute_paths_as_terraform_sees_them() {
        assert!(is_absolute("/a"));
        assert!(is_absolute("C:\\a"));
        assert!(is_absolute("c:/a"));
        assert!(!is_absolute("a/b"));
        assert!(!is_absolute("~/a"));
        assert!(!is_absolute(""));
    }
}
