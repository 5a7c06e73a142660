//! Integration tests of wsproxy-demo, one binary: the demo backend over HTTP.

mod backend;
