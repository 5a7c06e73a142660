//! Integration tests of wsproxy-package, one binary: the zip it writes and checks.

mod package;
