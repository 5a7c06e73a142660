//! `infra/terraform/modules/websocket_proxy/metrics.json` is the metric list the code
//! records (`wsproxy_core::metrics::ALL`), so the alarms and dashboard can be checked
//! against it. `WSPROXY_BLESS=1 cargo test -p wsproxy-core --test integration metrics_json` rewrites it.

use std::path::PathBuf;

#[test]
fn the_terraform_modules_metric_list_is_the_codes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../infra/terraform/modules/websocket_proxy/metrics.json");
    let want = format!(
        "{}\n",
        serde_json::to_string_pretty(&wsproxy_core::metrics::to_json()).unwrap()
    );
    if std::env::var_os("WSPROXY_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not the list in crates/core/src/metrics.rs: run `WSPROXY_BLESS=1 cargo test -p wsproxy-core --test integration metrics_json` and commit it",
        path.display()
    );
}
