//! The real `bootstrap` under the gateway's Lambda mode writes its metrics as CloudWatch
//! Embedded Metric Format: one line per invocation on stdout, valid per the EMF
//! specification, and a failed backend call shows up as the right metric.

use serde_json::{json, Value};
use std::path::PathBuf;
use wsproxy_lambda_local::{LocalFunction, LocalFunctionConfig};

use crate::function;

/// CloudWatch's metric units (EMF's `Unit` must be one of them).
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Checks one object against the EMF specification; panics with the line on a violation.
fn check_emf(line: &Value) {
    let aws = &line["_aws"];
    assert!(aws["Timestamp"].is_u64(), "_aws.Timestamp: {line}");
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty(), "{line}");
    for d in directives {
        assert!(
            d["Namespace"].as_str().is_some_and(|n| !n.is_empty()),
            "{line}"
        );
        for set in d["Dimensions"].as_array().expect("Dimensions") {
            let set = set.as_array().expect("a dimension set is an array");
            assert!(set.len() <= 30, "{line}");
            for key in set {
                let key = key.as_str().expect("a dimension is a name");
                assert!(
                    line[key].as_str().is_some_and(|v| !v.is_empty()),
                    "dimension {key}: {line}"
                );
            }
        }
        let metrics = d["Metrics"].as_array().expect("Metrics");
        assert!(!metrics.is_empty() && metrics.len() <= 100, "{line}");
        for m in metrics {
            let name = m["Name"].as_str().expect("Name");
            let unit = m["Unit"].as_str().unwrap_or("None");
            assert!(UNITS.contains(&unit), "{name}: unit {unit}");
            let value = &line[name];
            let numbers = match value {
                Value::Number(_) => vec![value],
                Value::Array(values) => values.iter().collect(),
                _ => panic!("metric {name} is not a member with a number: {line}"),
            };
            assert!(
                !numbers.is_empty() && numbers.len() <= 100,
                "{name}: {line}"
            );
            assert!(numbers.iter().all(|n| n.is_number()), "{name}: {line}");
        }
    }
}

/// A bootstrap that also copies its stdout to a file the test reads.
fn teeing_bootstrap(dir: &PathBuf) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let out = dir.join("stdout.log");
    let script = dir.join("bootstrap.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n'{}' | tee -a '{}'\n",
            env!("CARGO_BIN_EXE_bootstrap"),
            out.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, out)
}

fn connect_event() -> Value {
    json!({
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "connectionId": "c1=",
            "requestId": "req-connect=", "connectedAt": 1, "requestTimeEpoch": 1,
            "stage": "dev", "domainName": "localhost", "apiId": "local"
        },
        "queryStringParameters": {"type": "chat", "booking_id": "b1", "token": "t"},
        "isBase64Encoded": false
    })
}

#[tokio::test]
async fn one_valid_emf_line_per_invocation_with_the_failed_backend_call() {
    let dir = std::env::temp_dir().join(format!("wsproxy-emf-{}", std::process::id()));
    let (script, out) = teeing_bootstrap(&dir);
    // Nothing listens on port 9: the backend call is refused.
    let config = wsproxy_lambda::Config {
        table: "unused".into(),
        ..wsproxy_lambda::Config::new("http://127.0.0.1:9")
    };
    let mut lambda = LocalFunctionConfig::new(&script);
    lambda.env = config.to_local_env(|_| None);
    let lambda = LocalFunction::start(lambda)
        .await
        .expect("the function starts");

    let answer = function::invoke(&lambda, &connect_event()).await;
    assert_eq!(answer["statusCode"], 502, "{answer}");
    let answer = function::invoke(&lambda, &json!({"not": "an event"})).await;
    assert_eq!(answer["statusCode"], 400, "{answer}");
    lambda.shutdown().await;

    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("_aws").is_some())
        .collect();
    assert_eq!(lines.len(), 2, "one EMF line per invocation:\n{text}");
    for line in &lines {
        check_emf(line);
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "wsproxy");
        assert!(line["FunctionName"].is_string(), "{line}");
        assert!(
            !line.to_string().contains("c1="),
            "no connection id in metrics: {line}"
        );
    }
    let connect = &lines[0];
    assert_eq!(connect["Route"], "$connect");
    assert_eq!(connect["backend_errors.refused"], 1, "{connect}");
    assert_eq!(connect["connects_refused.5xx"], 1, "{connect}");
    assert_eq!(
        connect["backend_latency"].as_array().map(Vec::len),
        Some(1),
        "{connect}"
    );
    assert!(
        connect["handler_duration"][0].as_f64().unwrap() > 0.0,
        "{connect}"
    );
    assert_eq!(lines[1]["Route"], "unknown");
    assert!(
        lines[1].get("backend_errors.refused").is_none(),
        "{}",
        lines[1]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
