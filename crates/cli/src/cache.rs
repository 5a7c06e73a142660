//! The user's cache folder, where `wsproxy serve` keeps its local CA (`wsproxy/tls`) and the
//! unpacked zips of functions (`wsproxy/functions`): `$XDG_CACHE_HOME` when set to an
//! absolute path, else `~/Library/Caches` on macOS and `~/.cache` elsewhere.

use std::path::PathBuf;

/// `<cache folder>/wsproxy`, or `None` when neither `XDG_CACHE_HOME` nor `HOME` is set.
pub(crate) fn wsproxy_cache_dir() -> Option<PathBuf> {
    let cache = wsproxy_lambda::process_env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            let caches = if cfg!(target_os = "macos") {
                "Library/Caches"
            } else {
                ".cache"
            };
            wsproxy_lambda::process_env("HOME").map(|h| PathBuf::from(h).join(caches))
        })?;
    Some(cache.join("wsproxy"))
}
