//! Integration tests of wsproxy-apidef: templates and Terraform configurations on disk.

mod examples;
mod runtime;
mod template;
mod terraform;
mod terraform_errors;
mod unpack;
