#!/usr/bin/env python3
"""Checks that the module's alarms and dashboard name only metrics the code emits.

The list the code emits is infra/terraform/modules/websocket_proxy/metrics.json (exported from
crates/core/src/metrics.rs; a Rust test keeps the two equal). The function writes them as
CloudWatch EMF: namespace `wsproxy`, dimensions `FunctionName` and `Route`, and a label other
than `route` is part of the name (`backend_errors` with kind=timeout is `backend_errors.timeout`).

Reads the JSON of `terraform show -json` (a state or a saved plan) and checks every
`aws_cloudwatch_metric_alarm` (its metric, or each metric of its metric_query) and every
`aws_cloudwatch_dashboard` (each line of each widget's `metrics`) in the wsproxy namespace:
  - the name's first part is a metric of metrics.json that the Lambda host emits (a
    gateway-only metric such as open_sockets never reaches CloudWatch);
  - it has one more part per label other than `route`, and each part is a value of that label:
    a word of the metric's description in metrics.json (e.g. timeout for backend_errors), or
    for connection_type a connection type of crates/core/src/item.rs;
  - its dimensions are one of metrics.json's emf_dimensions sets;
  - no metric-math expression searches the namespace (a SEARCH could not be checked).
At least one alarm and one dashboard must name a wsproxy metric, so that an empty input fails.
docs/OPERATING.md must name (in backquotes) every metric of metrics.json and every alarm (the
key of its resource address, e.g. `backend-errors-timeout`).

Usage: scripts/check-alarm-metrics.py SHOW.json   (exits 1, naming each problem)
"""

import json
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
METRICS_FILE = REPO / "infra/terraform/modules/websocket_proxy/metrics.json"
CONNECTION_TYPES = REPO / "crates/core/src/item.rs"
OPERATING = REPO / "docs/OPERATING.md"


def resources(module):
    """Every resource of a `terraform show -json` module, child modules included."""
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)


def root_module(show):
    """The root module of a state (values) or of a saved plan (planned_values)."""
    for key in ("values", "planned_values"):
        if show.get(key, {}).get("root_module"):
            return show[key]["root_module"]
    return {}


def alarm_metrics(address, values):
    """(where, namespace, name, dimensions) of an alarm's metric or metric_query metrics."""
    if values.get("metric_name"):
        yield address, values.get("namespace"), values["metric_name"], values.get("dimensions") or {}
    for query in values.get("metric_query") or []:
        for metric in query.get("metric") or []:
            yield f"{address} query {query.get('id')}", metric.get("namespace"), metric.get("metric_name"), metric.get("dimensions") or {}
        if "SEARCH" in (query.get("expression") or "").upper():
            yield f"{address} query {query.get('id')}", "SEARCH", query["expression"], {}


def dashboard_metrics(address, values):
    """(where, namespace, name, dimensions) of each metric line of a dashboard's widgets."""
    body = json.loads(values.get("dashboard_body") or "{}")
    for i, widget in enumerate(body.get("widgets", [])):
        where = f"{address} widget {i} ({widget.get('properties', {}).get('title')})"
        previous = []
        for line in widget.get("properties", {}).get("metrics", []):
            items = [x for x in line if not isinstance(x, dict)]
            for opts in (x for x in line if isinstance(x, dict)):
                if "SEARCH" in (opts.get("expression") or "").upper():
                    yield where, "SEARCH", opts["expression"], {}
            if not items:
                continue
            # "." repeats the previous line's item at that position (CloudWatch's shorthand).
            items = [previous[j] if x == "." and j < len(previous) else x for j, x in enumerate(items)]
            previous = items
            yield where, items[0], items[1], dict(zip(items[2::2], items[3::2]))


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    spec = json.loads(METRICS_FILE.read_text())
    namespace = spec["namespace"]
    metrics = {m["name"]: m for m in spec["metrics"]}
    dimension_sets = [frozenset(d) for d in spec["emf_dimensions"]]
    connection_types = set(re.findall(r'Self::\w+ => "(\w+)"', CONNECTION_TYPES.read_text()))
    show = json.loads(pathlib.Path(argv[1]).read_text())

    problems = []
    alarms = set()
    counted = {"aws_cloudwatch_metric_alarm": 0, "aws_cloudwatch_dashboard": 0}
    for resource in resources(root_module(show)):
        kind = resource.get("type")
        if kind == "aws_cloudwatch_metric_alarm":
            alarms.add(re.sub(r'^.*\["(.*)"\]$', r"\1", resource["address"]))
            found = alarm_metrics(resource["address"], resource.get("values", {}))
        elif kind == "aws_cloudwatch_dashboard":
            found = dashboard_metrics(resource["address"], resource.get("values", {}))
        else:
            continue
        for where, ns, name, dimensions in found:
            if ns == "SEARCH":
                if namespace in name:
                    problems.append(f"{where}: the expression {name!r} searches {namespace}: name its metrics instead, so they can be checked")
                continue
            if ns != namespace:
                continue
            counted[kind] += 1
            base, *parts = name.split(".")
            metric = metrics.get(base)
            if metric is None:
                problems.append(f"{where}: {name} is not a metric of {METRICS_FILE.name}")
                continue
            if "lambda" not in metric["hosts"]:
                problems.append(f"{where}: {name} is emitted by the local gateway only, never to CloudWatch")
                continue
            labels = [l for l in metric["labels"] if l != "route"]
            if len(parts) != len(labels):
                problems.append(f"{where}: {name} must have one part per label {labels} after {base}")
                continue
            words = set(re.findall(r"[A-Za-z0-9_]+", metric["description"]))
            for label, value in zip(labels, parts):
                allowed = connection_types if label == "connection_type" else words
                if value not in allowed:
                    problems.append(f"{where}: {name}: {value!r} is not a value of {base}'s label {label}")
            if frozenset(dimensions) not in dimension_sets:
                problems.append(f"{where}: {name} has dimensions {sorted(dimensions)}; the code emits {[sorted(d) for d in dimension_sets]}")
    guide = OPERATING.read_text()
    for name in sorted(set(metrics) | alarms):
        if f"`{name}" not in guide:
            problems.append(f"{OPERATING.relative_to(REPO)} does not name `{name}`: say what it means and what to do")
    for kind, n in counted.items():
        if n == 0:
            problems.append(f"no {kind} names a {namespace} metric")
    for problem in problems:
        print(f"check-alarm-metrics: {problem}", file=sys.stderr)
    if not problems:
        print(f"check-alarm-metrics: {counted['aws_cloudwatch_metric_alarm']} alarm metrics and {counted['aws_cloudwatch_dashboard']} dashboard lines name emitted metrics")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
