//! CloudWatch Embedded Metric Format: a `metrics` recorder that gathers what one
//! invocation recorded and writes it as one JSON line at its end (namespace `wsproxy`,
//! dimensions `FunctionName` and `Route`; CloudWatch turns the line into metrics with no
//! API call). A label other than `route` becomes part of the name: `backend_errors` with
//! `kind=timeout` is `backend_errors.timeout`, so every dimension stays low-cardinality.

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use wsproxy_core::metrics::{find, NAMESPACE};

/// EMF's limit of values for one metric in one line.
const MAX_VALUES: usize = 100;

/// What one metric holds until the line is written.
#[derive(Debug, Clone)]
enum Cell {
    Count(u64),
    Level(f64),
    Values(Vec<f64>),
}

/// The values recorded since the last line, by EMF name.
#[derive(Debug, Default)]
struct Cells(Mutex<BTreeMap<String, Cell>>);

impl Cells {
    fn update(&self, name: &str, f: impl FnOnce(Option<Cell>) -> Cell) {
        let mut cells = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let cell = f(cells.remove(name));
        cells.insert(name.to_owned(), cell);
    }
}

/// One metric's handle: its EMF name and where its values go.
struct Handle {
    name: String,
    cells: Arc<Cells>,
}

impl metrics::CounterFn for Handle {
    fn increment(&self, value: u64) {
        self.cells.update(&self.name, |c| match c {
            Some(Cell::Count(n)) => Cell::Count(n + value),
            _ => Cell::Count(value),
        });
    }
    fn absolute(&self, value: u64) {
        self.cells.update(&self.name, |_| Cell::Count(value));
    }
}

impl metrics::GaugeFn for Handle {
    fn increment(&self, value: f64) {
        self.cells.update(&self.name, |c| match c {
            Some(Cell::Level(n)) => Cell::Level(n + value),
            _ => Cell::Level(value),
        });
    }
    fn decrement(&self, value: f64) {
        metrics::GaugeFn::increment(self, -value);
    }
    fn set(&self, value: f64) {
        self.cells.update(&self.name, |_| Cell::Level(value));
    }
}

impl metrics::HistogramFn for Handle {
    fn record(&self, value: f64) {
        self.cells.update(&self.name, |c| match c {
            Some(Cell::Values(mut v)) => {
                if v.len() < MAX_VALUES {
                    v.push(value);
                }
                Cell::Values(v)
            }
            _ => Cell::Values(vec![value]),
        });
    }
}

/// The recorder ([`install`] makes it the process's).
#[derive(Debug, Default, Clone)]
pub struct EmfRecorder {
    cells: Arc<Cells>,
}

/// The EMF name of a key: its name, then each label's value but `route`'s.
fn emf_name(key: &Key) -> String {
    let mut name = key.name().to_owned();
    for label in key.labels().filter(|l| l.key() != "route") {
        name.push('.');
        name.push_str(label.value());
    }
    name
}

impl EmfRecorder {
    fn handle(&self, key: &Key) -> Arc<Handle> {
        Arc::new(Handle {
            name: emf_name(key),
            cells: self.cells.clone(),
        })
    }

    /// The EMF line of what was recorded since the last one (and forgets it), or `None`
    /// when nothing was. `timestamp_ms` is the line's time, ms since the epoch.
    pub fn take_line(&self, function_name: &str, route: &str, timestamp_ms: u64) -> Option<String> {
        let cells = std::mem::take(&mut *self.cells.0.lock().unwrap_or_else(|e| e.into_inner()));
        if cells.is_empty() {
            return None;
        }
        let mut line = Map::new();
        let mut directives = Vec::new();
        for (name, cell) in cells {
            let base = name.split('.').next().unwrap_or_default();
            let unit = find(base).map_or("None", |m| m.unit.as_str());
            directives.push(json!({"Name": name, "Unit": unit}));
            let value = match cell {
                Cell::Count(n) => json!(n),
                Cell::Level(x) => json!(x),
                Cell::Values(v) => json!(v),
            };
            line.insert(name, value);
        }
        line.insert("FunctionName".into(), json!(function_name));
        line.insert("Route".into(), json!(route));
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["FunctionName", "Route"]],
                    "Metrics": directives,
                }],
            }),
        );
        Some(Value::Object(line).to_string())
    }
}

impl Recorder for EmfRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle(key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle(key))
    }
}

static INSTALLED: OnceLock<EmfRecorder> = OnceLock::new();

/// Makes an [`EmfRecorder`] the process's metrics recorder (once; later calls and a
/// process that already has another recorder change nothing).
pub fn install() {
    let recorder = INSTALLED.get_or_init(EmfRecorder::default);
    let _ = metrics::set_global_recorder(recorder.clone());
}

/// The installed recorder, if [`install`] ran.
pub fn installed() -> Option<&'static EmfRecorder> {
    INSTALLED.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_flush_with_units_and_dimensions() {
        let recorder = EmfRecorder::default();
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("backend_errors", "kind" => "timeout").increment(1);
            metrics::counter!("backend_errors", "kind" => "timeout").increment(1);
            metrics::histogram!("handler_duration", "route" => "$default").record(3.5);
            metrics::histogram!("handler_duration", "route" => "$default").record(4.5);
        });
        let line: Value =
            serde_json::from_str(&recorder.take_line("f", "$default", 7).unwrap()).unwrap();
        assert_eq!(line["backend_errors.timeout"], 2);
        assert_eq!(line["handler_duration"], json!([3.5, 4.5]));
        assert_eq!(line["_aws"]["Timestamp"], 7);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "wsproxy");
        assert!(directive["Metrics"]
            .as_array()
            .unwrap()
            .contains(&json!({"Name": "handler_duration", "Unit": "Milliseconds"})));
        assert_eq!(recorder.take_line("f", "$default", 8), None, "taken once");
    }
}
