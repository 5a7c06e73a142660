//! The house rules a reader relies on, checked: the README's layout lists every crate and
//! stays a front door (`layout`), the docs' relative links resolve (`links`), and the crate
//! graph keeps the rules of `docs/ARCHITECTURE.md` (`dependencies`). One binary of its own,
//! so that it runs once under `cargo test --workspace`, not in each end-to-end setup.

mod dependencies;
mod layout;
mod links;

use std::path::PathBuf;

/// The repository's root (this crate is `tests/`).
pub(crate) fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .expect("tests/ has a parent folder")
        .to_path_buf()
}

/// A file of the repository, as text.
pub(crate) fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
