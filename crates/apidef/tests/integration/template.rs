//! `load_template`: SAM and CloudFormation templates on disk (YAML with short tags, JSON), and
//! the bad ones, each refused with an error naming the file and the resource.

mod fixtures;
mod minimal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsproxy_apidef::RouteDef;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/template")
        .join(path)
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn route(key: &str, resource: &str, function: &str, route_response: bool) -> RouteDef {
    RouteDef {
        route_key: key.into(),
        resource: resource.into(),
        function: function.into(),
        route_response,
    }
}
