//! Integration tests of wsproxy-doctor, one binary: its findings on temporary environment
//! trees, compared with `terraform console` where Terraform is installed; the S3 package
//! check against moto.

mod package_checks;
mod package_path;
mod s3_package;
mod support;
