//! The fast loop: before each event, the function's working directory (or its program
//! alone, for a `bootstrap` given by path) is scanned (a bounded walk of names, sizes and
//! modification times); when anything changed since the last
//! event, the function's processes are replaced, so the event runs on the new code without a
//! restart of the service. Idle processes are replaced at once; a busy one finishes its event first.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Mutex;

/// Most directory entries one scan looks at; a larger tree is watched in part (the entries
/// read first). Reading stops there: a huge folder costs no more than this.
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

/// A file's size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

/// What one scan saw: each file's stamp (at most [`MAX_ENTRIES`]), and how many directory
/// entries it read.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    files: HashMap<PathBuf, Stamp>,
    /// Directory entries read (hidden and skipped ones included).
    pub(crate) read: usize,
}

/// A file added, modified or removed since the last scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) path: PathBuf,
    /// Its modification time; `None` once removed.
    pub(crate) modified: Option<SystemTime>,
    /// True when it was not there at the last scan.
    pub(crate) added: bool,
}

/// What the last scan saw.
#[derive(Debug)]
struct Seen {
    scan: Scan,
    at: Instant,
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
        let seen = Seen {
            scan: scan(&root),
            at: Instant::now(),
        };
        Self {
            root,
            seen: Mutex::new(seen),
        }
    }

    /// What changed since the last call (events arriving together share one scan).
    pub(crate) async fn changes(&self) -> Vec<Change> {
        let mut seen = self.seen.lock().await;
        if seen.scan.read > LARGE_TREE && seen.at.elapsed() < SLOW_EVERY {
            return Vec::new();
        }
        let root = self.root.clone();
        let Ok(now) = tokio::task::spawn_blocking(move || scan(&root)).await else {
            return Vec::new();
        };
        let before = std::mem::replace(&mut seen.scan, now);
        seen.at = Instant::now();
        diff(&before, &seen.scan)
    }
}

/// The files the function writes in its code folder itself (a cache, its state): on Lambda
/// that folder is read-only. A file is the function's when it appeared while the function
/// ran, and stays so while it changes only then; any other change is an edit, which reloads.
/// So a file the function rewrites on every event does not restart it on every event, and
/// code edited while an event runs still reloads.
#[derive(Debug, Default)]
pub(crate) struct OwnFiles(std::sync::Mutex<HashSet<PathBuf>>);

impl OwnFiles {
    /// Splits `changes` into the edits (returned second) and the function's own writes, of
    /// which the paths seen for the first time are returned first (to be said once);
    /// `ran_at` tells whether the function ran at a time.
    pub(crate) fn sort(
        &self,
        changes: Vec<Change>,
        ran_at: impl Fn(SystemTime) -> bool,
    ) -> (Vec<PathBuf>, Vec<Change>) {
        let mut own = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (mut first, mut edits) = (Vec::new(), Vec::new());
        for change in changes {
            let during = change.modified.is_some_and(&ran_at);
            let known = own.contains(&change.path);
            if known && (during || change.modified.is_none()) {
                continue;
            }
            if during && change.added && own.len() < MAX_ENTRIES {
                own.insert(change.path.clone());
                first.push(change.path);
                continue;
            }
            own.remove(&change.path);
            edits.push(change);
        }
        (first, edits)
    }
}

/// The files added, modified or removed from `before` to `now`, in path order.
fn diff(before: &Scan, now: &Scan) -> Vec<Change> {
    let mut changes: Vec<Change> = now
        .files
        .iter()
        .filter(|(path, stamp)| before.files.get(*path) != Some(stamp))
        .map(|(path, stamp)| Change {
            path: path.clone(),
            modified: stamp.modified,
            added: !before.files.contains_key(path),
        })
        .chain(
            before
                .files
                .keys()
                .filter(|path| !now.files.contains_key(*path))
                .map(|path| Change {
                    path: path.clone(),
                    modified: None,
                    added: false,
                }),
        )
        .collect();
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

/// Every file's size and modification time under `root` (hidden entries and [`SKIPPED`]
/// directories left out, symbolic links not followed), reading at most [`MAX_ENTRIES`]
/// directory entries in all. A `root` that is a file is that file alone.
pub(crate) fn scan(root: &Path) -> Scan {
    let mut out = Scan::default();
    if let Some(meta) = std::fs::metadata(root)
        .ok()
        .filter(std::fs::Metadata::is_file)
    {
        out.files.insert(root.to_path_buf(), stamp(&meta));
        out.read = 1;
        return out;
    }
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        // Stops reading at the budget: a folder of 200,000 files is not listed whole.
        for entry in read.take(MAX_ENTRIES - out.read).filter_map(Result::ok) {
            out.read += 1;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            if text.starts_with('.') || SKIPPED.contains(&text.as_ref()) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(entry.path());
            } else {
                out.files.insert(entry.path(), stamp(&meta));
            }
        }
        if out.read >= MAX_ENTRIES {
            break;
        }
    }
    out
}

fn stamp(meta: &std::fs::Metadata) -> Stamp {
    Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    }
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
        assert!(watch.changes().await.is_empty());
        std::fs::write(dir.join("node_modules/dep.js"), "x").unwrap();
        std::fs::write(dir.join(".hidden"), "x").unwrap();
        assert!(watch.changes().await.is_empty(), "skipped entries");
        std::fs::write(dir.join("app.py"), "v22").unwrap();
        assert!(!watch.changes().await.is_empty(), "an edit");
        assert!(watch.changes().await.is_empty(), "seen once");
        std::fs::write(dir.join("new.py"), "").unwrap();
        assert!(!watch.changes().await.is_empty(), "a new file");
        // A program watched alone: its folder's other files don't count.
        let program = Watch::new(dir.join("app.py"));
        std::fs::write(dir.join("other.py"), "x").unwrap();
        assert!(
            program.changes().await.is_empty(),
            "another file of its folder"
        );
        std::fs::write(dir.join("app.py"), "v333").unwrap();
        assert!(!program.changes().await.is_empty(), "the program itself");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_huge_folder_is_read_up_to_the_budget_only() {
        let dir = std::env::temp_dir().join(format!("wsproxy-huge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for n in 0..MAX_ENTRIES * 3 {
            std::fs::write(dir.join(format!("f{n}")), "").unwrap();
        }
        let seen = scan(&dir);
        assert_eq!(seen.read, MAX_ENTRIES, "reading stopped at the budget");
        assert_eq!(seen.files.len(), MAX_ENTRIES);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_appeared_while_the_function_ran_is_its_own_and_code_is_not() {
        let t = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        // The function ran during [10, 20] and [30, 40].
        let ran_at =
            |at: SystemTime| (t(10)..=t(20)).contains(&at) || (t(30)..=t(40)).contains(&at);
        let change = |path: &str, at: Option<u64>, added: bool| Change {
            path: path.into(),
            modified: at.map(t),
            added,
        };
        let own = OwnFiles::default();
        let paths = |c: &[Change]| c.iter().map(|c| c.path.clone()).collect::<Vec<_>>();
        // state.json appears during a run: the function's, said once; app.py edited during
        // a run is an edit; new.py added between runs is an edit.
        let (first, edits) = own.sort(
            vec![
                change("state.json", Some(12), true),
                change("app.py", Some(15), false),
                change("new.py", Some(25), true),
            ],
            ran_at,
        );
        assert_eq!(first, [PathBuf::from("state.json")]);
        assert_eq!(paths(&edits), [PathBuf::from("app.py"), "new.py".into()]);
        // Rewritten during the next run: still its own, not said again.
        let (first, edits) = own.sort(vec![change("state.json", Some(35), false)], ran_at);
        assert!(first.is_empty() && edits.is_empty());
        // app.py edited during a run again: still an edit.
        let (_, edits) = own.sort(vec![change("app.py", Some(36), false)], ran_at);
        assert_eq!(paths(&edits), [PathBuf::from("app.py")]);
        // state.json changed between runs: someone else did it, an edit (and no longer its own).
        let (_, edits) = own.sort(vec![change("state.json", Some(50), false)], ran_at);
        assert_eq!(paths(&edits), [PathBuf::from("state.json")]);
        let (first, edits) = own.sort(vec![change("state.json", Some(38), false)], ran_at);
        assert!(first.is_empty());
        assert_eq!(
            edits.len(),
            1,
            "a file that was there before is not taken for the function's"
        );
    }
}
