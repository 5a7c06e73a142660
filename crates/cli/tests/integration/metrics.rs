//! `wsproxy serve --admin-listen`: `GET /metrics` in Prometheus text format, scraped after
//! a scenario whose counts the test knows (3 connects, 1 refused, 1 message, 1 close).

use futures::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Samples of an exposition: `name{labels}` (labels sorted, as written) → value. Panics on
/// a line that is not a comment, a blank or `name[{labels}] value`.
pub(crate) fn parse(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    let mut typed = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            typed.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name: {line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        let family = ["_sum", "_count", "_bucket"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| typed.contains_key(*f)))
            .unwrap_or(name);
        assert!(typed.contains_key(family), "no # TYPE for {name}");
        samples.insert(series.to_owned(), value);
    }
    samples
}

pub(crate) async fn scrape(url: &str) -> HashMap<String, f64> {
    let answer = reqwest::get(url).await.expect("/metrics answers");
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    parse(&text)
}

#[tokio::test]
async fn metrics_count_what_the_clients_did() {
    let admin = crate::admin_attacks::start(&[]).await;
    let (ws, metrics) = (admin.ws.clone(), admin.metrics.clone());
    assert!(
        !metrics.contains(ws.trim_start_matches("ws://").split('/').next().unwrap()),
        "a port of its own"
    );

    let url = format!("{ws}?type=chat&booking_id=b1&token=user:alice");
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(
            tokio_tungstenite::connect_async(&url)
                .await
                .expect("accepted")
                .0,
        );
    }
    let refused = tokio_tungstenite::connect_async(format!("{ws}?type=poll")).await;
    assert!(refused.is_err(), "an unknown type is refused");
    let mut first = clients.remove(0);
    first.next().await; // the ack
    first.send(Message::text(r#"{"text":"hi"}"#)).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), first.next()).await;
    assert!(matches!(answer, Ok(Some(Ok(_)))), "{answer:?}");
    first.close(None).await.unwrap();
    while first.next().await.is_some() {}

    // $disconnect runs after the close: wait for the socket to leave the gauge.
    let mut samples = scrape(&metrics).await;
    for _ in 0..100 {
        if samples.get("wsproxy_open_sockets") == Some(&2.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        samples = scrape(&metrics).await;
    }
    let get = |series: &str| {
        samples
            .get(series)
            .copied()
            .unwrap_or_else(|| panic!("{series} missing: {samples:?}"))
    };
    assert_eq!(
        get(r#"wsproxy_connects_accepted{connection_type="chat"}"#),
        3.0
    );
    assert_eq!(get(r#"wsproxy_connects_refused{status_class="4xx"}"#), 1.0);
    assert_eq!(get("wsproxy_messages"), 1.0);
    assert_eq!(get("wsproxy_open_sockets"), 2.0);
    // The client closed without a code: 1005, as API Gateway reports it.
    assert_eq!(get(r#"wsproxy_sockets_closed{code="1005"}"#), 1.0);
    assert!(get("wsproxy_bytes_in") >= 13.0);
    assert!(get("wsproxy_bytes_out") > 0.0);
    assert!(
        get("wsproxy_backend_latency_count") >= 4.0,
        "3 connects and a message"
    );
    assert_eq!(
        get(r#"wsproxy_handler_duration_count{route="$connect"}"#),
        4.0
    );
    assert!(
        !samples
            .keys()
            .any(|k| k.contains("user:alice") || k.contains("b1")),
        "no ids in labels"
    );
    drop(clients);
}
