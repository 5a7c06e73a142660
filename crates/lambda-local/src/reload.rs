//! The fast loop: before each event, the function's working directory (or its program
//! alone, for a `bootstrap` given by path) is scanned (a bounded walk of names, sizes and
//! modification times); when anything changed since the last
//! event, the function's processes are replaced, so the event runs on the new code without a
//! restart of the service. Idle processes are replaced at once; a busy one finishes its event first.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Most directory entries one scan looks at; a larger tree is watched in part (its first
/// entries in name order).
const MAX_ENTRIES: usize = 4000;
/// Directories never scanned: dependency trees, caches and version control, which change
/// without the function's own code changing (and would make every scan slow).
const SKIPPED: [&str; 3] = ["node_modules", "__pycache__", "target"];
/// A tree of more entries than this is not scanned more often than every [`SLOW_EVERY`],
/// so a large tree does not slow every event down (a small one is scanned before each
/// event, which costs tens of microseconds).
const LARGE_TREE: usize = 300;
/// See [`LARGE_TREE`].
const SLOW_EVERY: Duration = Duration::from_millis(500);

/// What the last scan saw.
#[derive(Debug)]
struct Seen {
    fingerprint: u64,
    at: Instant,
    entries: usize,
}

/// Watches one function's working directory.
#[derive(Debug)]
pub(crate) struct Watch {
    root: PathBuf,
    seen: Mutex<Seen>,
}

impl Watch {
    /// Watches `root`, from what it holds now (call it before starting the processes).
    pub(crate) fn new(root: PathBuf) -> Self {
        let (fingerprint, entries) = fingerprint(&root);
        let seen = Seen {
            fingerprint,
            at: Instant::now(),
            entries,
        };
        Self {
            root,
            seen: Mutex::new(seen),
        }
    }

    /// True when the tree changed since the last call (events arriving together share
    /// one scan).
    pub(crate) async fn changed(&self) -> bool {
        let mut seen = self.seen.lock().await;
        if seen.entries > LARGE_TREE && seen.at.elapsed() < SLOW_EVERY {
            return false;
        }
        let root = self.root.clone();
        let Ok((fingerprint, entries)) =
            tokio::task::spawn_blocking(move || fingerprint(&root)).await
        else {
            return false;
        };
        let before = std::mem::replace(&mut seen.fingerprint, fingerprint);
        seen.at = Instant::now();
        seen.entries = entries;
        before != fingerprint
    }
}

/// A hash of every file's path, size and modification time under `root` (hidden entries
/// and [`SKIPPED`] directories left out, at most [`MAX_ENTRIES`] entries, symbolic links
/// not followed), in a stable order; and how many entries it looked at.
/// A `root` that is a file is that file alone.
pub(crate) fn fingerprint(root: &Path) -> (u64, usize) {
    let mut hasher = DefaultHasher::new();
    if let Some(meta) = std::fs::metadata(root)
        .ok()
        .filter(std::fs::Metadata::is_file)
    {
        meta.len().hash(&mut hasher);
        if let Ok(modified) = meta.modified() {
            modified.hash(&mut hasher);
        }
        return (hasher.finish(), 1);
    }
    let mut budget = MAX_ENTRIES;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = read.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            if budget == 0 {
                return (hasher.finish(), MAX_ENTRIES);
            }
            budget -= 1;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            if text.starts_with('.') || SKIPPED.contains(&text.as_ref()) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            entry.path().hash(&mut hasher);
            if meta.is_dir() {
                dirs.push(entry.path());
                continue;
            }
            meta.len().hash(&mut hasher);
            if let Ok(modified) = meta.modified() {
                modified.hash(&mut hasher);
            }
        }
    }
    (hasher.finish(), MAX_ENTRIES - budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_edit_is_seen_once_and_skipped_trees_are_not() {
        let dir = std::env::temp_dir().join(format!("wsproxy-reload-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("node_modules")).unwrap();
        std::fs::write(dir.join("app.py"), "v1").unwrap();
        let watch = Watch::new(dir.clone());
        assert!(!watch.changed().await);
        std::fs::write(dir.join("node_modules/dep.js"), "x").unwrap();
        std::fs::write(dir.join(".hidden"), "x").unwrap();
        assert!(!watch.changed().await, "skipped entries");
        std::fs::write(dir.join("app.py"), "v22").unwrap();
        assert!(watch.changed().await, "an edit");
        assert!(!watch.changed().await, "seen once");
        std::fs::write(dir.join("new.py"), "").unwrap();
        assert!(watch.changed().await, "a new file");
        // A program watched alone: its folder's other files don't count.
        let program = Watch::new(dir.join("app.py"));
        std::fs::write(dir.join("other.py"), "x").unwrap();
        assert!(!program.changed().await, "another file of its folder");
        std::fs::write(dir.join("app.py"), "v333").unwrap();
        assert!(program.changed().await, "the program itself");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
