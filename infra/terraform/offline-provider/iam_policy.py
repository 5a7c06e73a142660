"""data "aws_iam_policy_document": the policy JSON rendered from its statements.

Follows hashicorp/aws's rendering: keys in the order Sid, Effect, Action, NotAction, Resource,
NotResource, Principal, NotPrincipal, Condition; a one-item set is a string, a larger one a
sorted list; `json` is indented by two spaces, `minified_json` has no whitespace; statements of
source_policy_documents come first, a statement of this document or of
override_policy_documents replaces the one with the same Sid.
"""

import hashlib
import json

KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition")


def _one_or_sorted(values):
    values = sorted(set(values))
    return values[0] if len(values) == 1 else values


def _principals(blocks):
    out = {}
    for block in blocks or []:
        if block["type"] == "*" and set(block["identifiers"]) == {"*"}:
            return "*"
        out.setdefault(block["type"], []).extend(block["identifiers"])
    return {k: _one_or_sorted(v) for k, v in sorted(out.items())}


def _condition(blocks):
    out = {}
    for block in blocks or []:
        values = block["values"]
        out.setdefault(block["test"], {})[block["variable"]] = values[0] if len(values) == 1 else values
    return out


def render_statement(statement):
    rendered = {
        "Sid": statement.get("sid") or None,
        "Effect": statement.get("effect") or "Allow",
        "Action": _one_or_sorted(statement["actions"]) if statement.get("actions") else None,
        "NotAction": _one_or_sorted(statement["not_actions"]) if statement.get("not_actions") else None,
        "Resource": _one_or_sorted(statement["resources"]) if statement.get("resources") else None,
        "NotResource": _one_or_sorted(statement["not_resources"]) if statement.get("not_resources") else None,
        "Principal": _principals(statement.get("principals")) or None,
        "NotPrincipal": _principals(statement.get("not_principals")) or None,
        "Condition": _condition(statement.get("condition")) or None,
    }
    return {k: rendered[k] for k in KEYS if rendered[k] is not None}


def _merge(statements, extra):
    """Statements of `extra` replace those with the same Sid, others are appended."""
    out = list(statements)
    for statement in extra:
        sid = statement.get("Sid")
        same = [i for i, s in enumerate(out) if sid and s.get("Sid") == sid]
        if same:
            out[same[0]] = statement
        else:
            out.append(statement)
    return out


def read(config):
    """The data source's state from its configuration."""
    statements = []
    for source in config.get("source_policy_documents") or []:
        statements = _merge(statements, json.loads(source).get("Statement", []))
    statements = _merge(statements, [render_statement(s) for s in config.get("statement") or []])
    for override in config.get("override_policy_documents") or []:
        statements = _merge(statements, json.loads(override).get("Statement", []))
    document = {"Version": config.get("version") or "2012-10-17"}
    if config.get("policy_id"):
        document["Id"] = config["policy_id"]
    document["Statement"] = statements
    rendered = json.dumps(document, indent=2)
    state = dict(config)
    state["json"] = rendered
    state["minified_json"] = json.dumps(document, separators=(",", ":"))
    state["id"] = str(int(hashlib.sha256(rendered.encode()).hexdigest()[:8], 16))
    state["version"] = document["Version"]
    return state
