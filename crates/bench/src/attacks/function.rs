//! The attack of issue 20 on `serve --lambda`: a function that writes 500 MB to stderr with
//! no newline (its output was buffered whole, line by line, before it was forwarded).

use super::Target;
use anyhow::Context as _;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt as _;

/// The function: 500 MB of `a` on stderr, no newline, then an idle process with its stderr
/// closed, so the gateway forwards the last piece (it never polls the Runtime API; the
/// gateway kills it when it stops).
pub(super) const COMMAND: &str =
    r"sh -c 'head -c 500000000 /dev/zero | tr \\000 a >&2; exec sleep 300 2>&-'";

/// Bytes the function writes.
const WRITTEN: u64 = 500_000_000;

/// What the gateway writes before each forwarded line of the function (`--lambda`'s name,
/// process slot 0).
const PREFIX: &[u8] = b"[wsproxy-local#0] ";

/// The longest the function's output may take to come through.
const MAX_TIME: Duration = Duration::from_secs(120);

/// The row of [`output`].
pub(super) const WHAT: &str = "a `--lambda` function writes 500 MB to stderr with no newline";

/// What the gateway forwarded of the function's output so far.
#[derive(Debug, Default)]
struct Forwarded {
    /// Bytes of the function's output (after the prefix of lines that have it).
    payload: u64,
    /// Complete lines.
    lines: u64,
    /// The longest line, with its prefix.
    longest: u64,
    /// Bytes of the current line so far.
    current: u64,
    /// Whether the current line has matched [`PREFIX`] so far.
    prefixed: bool,
}

impl Forwarded {
    fn new() -> Self {
        Self {
            prefixed: true,
            ..Self::default()
        }
    }

    /// Counts `bytes`, the next piece of the gateway's stderr.
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.lines += 1;
                self.longest = self.longest.max(self.current);
                self.current = 0;
                self.prefixed = true;
                continue;
            }
            let at = self.current as usize;
            if at < PREFIX.len() {
                self.prefixed &= PREFIX[at] == b;
            } else if self.prefixed {
                self.payload += 1;
            }
            self.current += 1;
        }
    }
}

/// Reads the gateway's stderr until the function's [`WRITTEN`] bytes came through (or it
/// ends, or [`MAX_TIME`] passes); reports how they came.
pub(super) async fn output(target: Target) -> anyhow::Result<String> {
    let mut stderr = target.stderr.context("the gateway's stderr was not kept")?;
    let started = Instant::now();
    let mut seen = Forwarded::new();
    let mut buf = vec![0u8; 1 << 16];
    let ending = loop {
        if seen.payload >= WRITTEN {
            break "all of it";
        }
        match tokio::time::timeout_at((started + MAX_TIME).into(), stderr.read(&mut buf)).await {
            Err(_) => break "not all within the time allowed",
            Ok(Ok(0)) | Ok(Err(_)) => break "the gateway's stderr ended",
            Ok(Ok(n)) => seen.feed(&buf[..n]),
        }
    };
    Ok(format!(
        "{} of {WRITTEN} bytes forwarded in {:.1} s ({ending}), as {} lines, the longest {} \
         bytes with its prefix",
        seen.payload,
        started.elapsed().as_secs_f64(),
        seen.lines,
        seen.longest
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_functions_bytes_after_the_prefix_and_the_longest_line() {
        let mut seen = Forwarded::new();
        // Split anywhere, even inside the prefix.
        seen.feed(b"[wsproxy-local#0] aaa\n[wsproxy-lo");
        seen.feed(b"cal#0] aa\nWARN the gateway's own line, not counted\n");
        assert_eq!(seen.payload, 5);
        assert_eq!(seen.lines, 3);
        assert_eq!(seen.longest, 40);
        seen.feed(b"[other#0] aaaa\n[wsproxy-local#0] a");
        assert_eq!(seen.payload, 6, "another prefix, then an unfinished line");
    }
}
