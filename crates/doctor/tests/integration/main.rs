//! Integration tests of wsproxy-doctor, one binary: its findings on temporary environment
//! trees, compared with `terraform console` where Terraform is installed.

mod package_checks;
mod package_path;
mod support;
