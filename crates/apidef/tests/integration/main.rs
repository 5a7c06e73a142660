//! Integration tests of wsproxy-apidef: templates and Terraform configurations on disk.

mod runtime;
mod template;
