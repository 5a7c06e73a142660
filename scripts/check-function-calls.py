#!/usr/bin/env python3
"""Checks infra/terraform/modules/websocket_proxy/function_calls.json against the Rust code.

The file lists the AWS SDK calls the wsproxy function makes, each with the IAM statement that
grants it (or why none does); the module's policy is tested against it (tests/iam.tftest.hcl).
This script keeps the list true: every AWS SDK operation called in the function's sources
(`.put_item()`, `.post_to_connection()`, ...; files listed under not_the_function excepted)
must be in the list, and every call in the list must be made somewhere in them.

Usage: scripts/check-function-calls.py   (from anywhere; exits 1 on a difference)
"""

import json
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
CALLS_FILE = REPO / "infra/terraform/modules/websocket_proxy/function_calls.json"

# Operations of the SDK clients the function holds (DynamoDB, API Gateway Management, Lambda),
# as the Rust SDK names its fluent builders.
OPERATIONS = {
    "batch_get_item", "batch_write_item", "create_table", "delete_item", "delete_table",
    "describe_table", "describe_time_to_live", "execute_statement", "get_item", "put_item",
    "query", "scan", "transact_get_items", "transact_write_items", "update_item",
    "update_table", "update_time_to_live",
    "delete_connection", "get_connection", "post_to_connection",
    "get_function", "get_function_configuration", "invoke", "invoke_async",
    "update_function_code", "update_function_configuration",
}
CALL_RE = re.compile(r"\.\s*(" + "|".join(sorted(OPERATIONS)) + r")\(\)")


def main():
    spec = json.loads(CALLS_FILE.read_text())
    excluded = {REPO / p for p in spec["not_the_function"]}
    listed = set(spec["not_granted"])
    for statement in spec["statements"].values():
        listed |= set(statement["calls"])
    made = {}
    for source in spec["function_sources"]:
        for path in sorted((REPO / source).rglob("*.rs")):
            if path in excluded:
                continue
            for m in CALL_RE.finditer(path.read_text()):
                made.setdefault(m.group(1), []).append(str(path.relative_to(REPO)))
    problems = []
    for call in sorted(set(made) - listed):
        problems.append(f"{call}() is called in {', '.join(made[call])} but not listed in {CALLS_FILE.name}")
    for call in sorted(listed - set(made)):
        problems.append(f"{call} is listed in {CALLS_FILE.name} but the function's code never calls {call}()")
    for p in problems:
        print(f"check-function-calls: {p}", file=sys.stderr)
    if problems:
        print(
            "check-function-calls: update function_calls.json and the module's policy (iam.tf) together",
            file=sys.stderr,
        )
        return 1
    print(f"check-function-calls: the function calls {', '.join(sorted(made))}; all listed, nothing else listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
