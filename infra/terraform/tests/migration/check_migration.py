"""Checks of the migration test's plans and states (run by scripts/check-infra-migration.sh).

    python3 check_migration.py ids STATE.json                  # prints the old layout's ids
    python3 check_migration.py ready STATE.json IDS.json FACTS.json
    python3 check_migration.py STEP PLAN.json IDS.json         # the plan of STEP
    python3 check_migration.py STEP-applied STATE.json IDS.json FACTS.json

STATE.json and PLAN.json are `terraform show -json` of the state and of a saved plan; IDS.json
what `ids` printed for the old layout; FACTS.json what aws_facts.py read from AWS (moto), or
{} with the offline provider (then the state is the only witness). STEP is one of prepare,
migrate, rollback, finish, rollback-finish (docs/MIGRATING.md step 0, steps 1-4, their
rollback, step 5, its rollback).

Every plan: the WebSocket API, its stage, the routes, the integration and the table are never
created, deleted or replaced, wherever they are; nothing that reads the API's endpoint or id
(the task definition, the frontend's parameter, the guard, the updater, the backend's API)
changes. Every state: the API's id, the URL, the route ids and the table are the old ones.
"""

import json
import sys

M = "module.websocket_proxy."
OLD = "module.websocket_lambda."
ROUTE_KEYS = ("$connect", "$disconnect", "$default")
MODULE_API = {
    f"{M}aws_apigatewayv2_api.this[0]": "aws_apigatewayv2_api.websocket",
    f"{M}aws_apigatewayv2_stage.this[0]": "aws_apigatewayv2_stage.websocket",
    **{f'{M}aws_apigatewayv2_route.this["{k}"]': f"aws_apigatewayv2_route.{k[1:]}" for k in ROUTE_KEYS},
    f"{M}aws_apigatewayv2_integration.this": "aws_apigatewayv2_integration.websocket",
}
OLD_TABLE = f"{OLD}aws_dynamodb_table.websocket_connections[0]"
NEW_TABLE = f"{M}aws_dynamodb_table.this[0]"
OLD_FUNCTION_PARTS = sorted(
    f"{OLD}{a}[0]"
    for a in (
        "aws_iam_role.lambda_role",
        "aws_iam_role_policy.lambda_dynamodb",
        "aws_iam_role_policy.lambda_apigw",
        "aws_iam_role_policy_attachment.lambda_basic",
        "aws_lambda_function.websocket_proxy",
        "aws_lambda_permission.apigw_invoke",
    )
)
OLD_FUNCTION = f"{OLD}aws_lambda_function.websocket_proxy[0]"
NEW_FUNCTION = f"{M}aws_lambda_function.this[0]"
# The root's other readers of the API: none may change in any step.
READERS = [
    "aws_ecs_task_definition.app",
    "aws_ssm_parameter.frontend_websocket_url",
    "terraform_data.websocket_api_guard",
    "terraform_data.websocket_endpoint_updater",
    "aws_apigatewayv2_api.backend",
]
ACCOUNT = ["aws_api_gateway_account.this", "aws_iam_role.apigateway_cloudwatch", "aws_iam_role_policy_attachment.apigateway_cloudwatch"]
INDEX = "connection_id-index"
TAGS = {"Project": "chat", "Environment": "dev", "Component": "websocket"}

errors = []


def expect(ok, message):
    print(("ok:   " if ok else "FAIL: ") + message)
    if not ok:
        errors.append(message)


def load(path):
    with open(path) as fh:
        return json.load(fh)


def resources(state):
    """address -> values of every managed resource in a state (or a plan's prior state)."""
    out = {}

    def walk(module):
        for r in module.get("resources", []):
            if r["mode"] == "managed":
                out[r["address"]] = dict(r["values"], _type=r["type"])
        for child in module.get("child_modules", []):
            walk(child)

    walk(state.get("values", {}).get("root_module", {}))
    return out


def kept_objects(res):
    """The WebSocket API's objects and the table in RES, by role, wherever their address is."""
    found = {}
    for address, v in res.items():
        t = v["_type"]
        if t == "aws_apigatewayv2_api" and v.get("protocol_type") == "WEBSOCKET":
            found["api"] = (address, v)
        elif t == "aws_apigatewayv2_stage":
            found["stage"] = (address, v)
        elif t == "aws_apigatewayv2_route":
            found[v["route_key"]] = (address, v)
        elif t == "aws_apigatewayv2_integration":
            found["integration"] = (address, v)
        elif t == "aws_dynamodb_table":
            found["table"] = (address, v)
    return found


def has_index(table):
    return any(g.get("name") == INDEX for g in table.get("global_secondary_index") or [])


def cmd_ids(state):
    objs = kept_objects(resources(state))
    api, stage, integration, table = (objs[k][1] for k in ("api", "stage", "integration", "table"))
    print(json.dumps({
        "api_id": api["id"],
        "api_endpoint": api["api_endpoint"],
        "url": stage["invoke_url"],
        "stage": stage["name"],
        "route_ids": {k: objs[k][1]["id"] for k in ROUTE_KEYS},
        "integration_id": integration["id"],
        "integration_uri": integration["integration_uri"],
        "table_arn": table["arn"],
        "backend_url": resources(state)[OLD_FUNCTION]["environment"][0]["variables"]["BACKEND_URL"],
        "old_environment": resources(state)[OLD_FUNCTION]["environment"][0]["variables"],
    }, indent=1))


def check_ready(res, facts):
    """What must hold before wsproxy serves: the index there and ACTIVE, the account's role set."""
    table = kept_objects(res)["table"][1]
    indexes = facts.get("indexes")
    if indexes is None:  # offline: the state is the witness
        expect(has_index(table), f"the table has a {INDEX}" if has_index(table) else f"the table has no {INDEX}")
    else:
        status = indexes.get(INDEX)
        expect(status == "ACTIVE", f"the table's {INDEX} is ACTIVE in AWS" if status else f"the table has no {INDEX} in AWS")
        expect(has_index(table), f"the state's table has the {INDEX}")
    if "cloudwatch_role_arn" in facts:
        role = facts["cloudwatch_role_arn"]
        source = "AWS's API Gateway account settings"
    else:
        role = next((v.get("cloudwatch_role_arn") for v in res.values() if v["_type"] == "aws_api_gateway_account"), None)
        source = "the state"
    expect(bool(role), f"{source} name a CloudWatch Logs role ({role})" if role else f"{source}: no CloudWatch Logs role in the account")


def check_same(res, ids):
    """The API, URL, routes and table are the old layout's."""
    objs = kept_objects(res)
    api, stage = objs["api"][1], objs["stage"][1]
    expect(api["id"] == ids["api_id"] and api["api_endpoint"] == ids["api_endpoint"], f"the API is the old one ({api['id']})")
    expect(stage["invoke_url"] == ids["url"] == f"{api['api_endpoint']}/{stage['name']}", f"the URL is the old one ({ids['url']})")
    expect({k: objs[k][1]["id"] for k in ROUTE_KEYS} == ids["route_ids"], "the routes are the old ones")
    expect(objs["integration"][1]["id"] == ids["integration_id"], "the integration is the old one")
    expect(objs["table"][1]["arn"] == ids["table_arn"], "the table is the old one")
    for key in ROUTE_KEYS:
        expect(objs[key][1]["target"] == f"integrations/{ids['integration_id']}", f"route {key} targets the integration")
    for role in ("api", "stage", "table"):
        tags = objs[role][1].get("tags") or {}
        expect(all(tags.get(k) == v for k, v in TAGS.items()), f"the {role} keeps its tags ({tags})")


def plan_changes(plan):
    return {rc["address"]: rc for rc in plan.get("resource_changes", []) if rc["mode"] == "managed"}


def actions(rcs, address):
    rc = rcs.get(address)
    return rc["change"]["actions"] if rc else None


def check_plan_common(plan):
    rcs = plan_changes(plan)
    for address, rc in rcs.items():
        after = rc["change"].get("after") or rc["change"].get("before") or {}
        kept_type = rc["type"] in ("aws_apigatewayv2_stage", "aws_apigatewayv2_route", "aws_apigatewayv2_integration", "aws_dynamodb_table")
        if kept_type or (rc["type"] == "aws_apigatewayv2_api" and after.get("protocol_type") == "WEBSOCKET"):
            acts = rc["change"]["actions"]
            expect(acts in (["no-op"], ["update"]), f"{address} neither created, deleted nor replaced ({acts})")
    for address in READERS:
        expect(actions(rcs, address) == ["no-op"], f"{address} unchanged ({actions(rcs, address)})")
    return rcs


def check_moved(rcs, pairs):
    for to, frm in pairs.items():
        rc = rcs.get(to)
        expect(rc is not None and rc.get("previous_address") == frm, f"{to} moved from {frm}")


def deleted(rcs):
    return sorted(a for a, rc in rcs.items() if "delete" in rc["change"]["actions"])


def created(rcs):
    return sorted(a for a, rc in rcs.items() if "create" in rc["change"]["actions"])


def check_prepare(plan, ids):
    rcs = check_plan_common(plan)
    table = rcs.get(OLD_TABLE, {}).get("change", {})
    expect(table.get("actions") == ["update"] and has_index(table.get("after") or {}), f"{OLD_TABLE}: the {INDEX} added in place")
    expect(created(rcs) == sorted(ACCOUNT), f"created: the CloudWatch role and the account setting (got {created(rcs)})")
    expect(not deleted(rcs), f"nothing deleted (got {deleted(rcs)})")


def check_migrate(plan, ids):
    rcs = check_plan_common(plan)
    check_moved(rcs, MODULE_API)
    expect(actions(rcs, OLD_TABLE) == ["no-op"], "the table (kept by name, still the old module's) unchanged")
    for address in OLD_FUNCTION_PARTS:
        expect(actions(rcs, address) == ["no-op"], f"the old function's {address} unchanged, beside the new one")
    expect(actions(rcs, NEW_FUNCTION) == ["create"], f"{NEW_FUNCTION} created")
    env = (rcs.get(NEW_FUNCTION, {}).get("change", {}).get("after") or {}).get("environment", [{}])[0].get("variables", {})
    carried = {k: v for k, v in ids["old_environment"].items() if k not in ("API_GATEWAY_ENDPOINT",)}
    expect(all(env.get(k) == v for k, v in carried.items() if k != "CONNECTIONS_TABLE"), f"the new function has the old one's BACKEND_URL and extra variables ({env})")
    expect(env.get("CONNECTIONS_TABLE") == ids["old_environment"]["CONNECTIONS_TABLE"], "the new function uses the old table")
    integration = rcs.get(f"{M}aws_apigatewayv2_integration.this", {}).get("change", {})
    expect(integration.get("after_unknown", {}).get("integration_uri") is True, "the integration's URI changes to the new function's invoke ARN")
    for address in ACCOUNT:
        expect(actions(rcs, address) == ["no-op"], f"{address} (step 0) in place before the stage's access logs")
    expect(not deleted(rcs), f"nothing deleted or replaced (got {deleted(rcs)})")


def check_rollback(plan, ids):
    rcs = check_plan_common(plan)
    check_moved(rcs, {v: k for k, v in MODULE_API.items()})
    gone = [a for a in deleted(rcs) if not a.startswith(M)]
    expect(not gone, f"deleted: wsproxy's module's resources only (also got {gone})")
    expect(NEW_FUNCTION in deleted(rcs), "wsproxy's function removed")
    for address in [*OLD_FUNCTION_PARTS, OLD_TABLE, *ACCOUNT]:
        expect(actions(rcs, address) == ["no-op"], f"{address} unchanged")
    expect(not created(rcs), f"nothing created (got {created(rcs)})")


def check_finish(plan, ids):
    rcs = check_plan_common(plan)
    check_moved(rcs, {NEW_TABLE: OLD_TABLE})
    expect(deleted(rcs) == OLD_FUNCTION_PARTS, f"deleted: exactly the old function's resources (got {deleted(rcs)})")
    expect(not created(rcs), f"nothing created (got {created(rcs)})")


def check_rollback_finish(plan, ids):
    rcs = check_plan_common(plan)
    check_moved(rcs, {OLD_TABLE: NEW_TABLE})
    table = rcs.get(OLD_TABLE, {}).get("change", {})
    expect(has_index(table.get("after") or {}), f"the table keeps its {INDEX} in the old module")
    expect(created(rcs) == OLD_FUNCTION_PARTS, f"created: exactly the old function's resources (got {created(rcs)})")
    expect(not deleted(rcs), f"nothing deleted (got {deleted(rcs)})")


def check_applied(step, res, ids, facts):
    check_same(res, ids)
    check_ready(res, facts)
    uri = kept_objects(res)["integration"][1]["integration_uri"]
    if step in ("migrate", "finish"):
        new = res[NEW_FUNCTION]
        expect(new["arn"] in uri and uri == new["invoke_arn"], f"the integration invokes wsproxy's function ({uri})")
        permission = [v for a, v in res.items() if a.startswith(f"{M}aws_lambda_permission.this")]
        expect(bool(permission) and permission[0]["function_name"] == new["function_name"], "API Gateway may invoke wsproxy's function")
    elif step in ("rollback", "rollback-finish"):
        if step == "rollback":
            expect(uri == ids["integration_uri"], f"the integration invokes the old function again ({uri})")
        expect(OLD_FUNCTION in res, "the old function is there")
    table_address = kept_objects(res)["table"][0]
    want = NEW_TABLE if step == "finish" else OLD_TABLE
    expect(table_address == want, f"the table is at {want}")


def check_variant(plan, ids, imported):
    """A new state: IMPORTED imported on the old API's ids, none created, deleted or replaced."""
    rcs = plan_changes(plan)
    for address in imported:
        rc = rcs.get(address)
        expect(rc is not None and "importing" in rc["change"], f"{address} imported")
        acts = rc["change"]["actions"] if rc else None
        expect(acts in (["no-op"], ["update"]), f"{address} imported in place ({acts})")
        after = rc["change"]["after"] if rc else {}
        expect(after.get("api_id", after.get("id")) == ids["api_id"], f"{address} on the old API {ids['api_id']}")
    expect(not [a for a in rcs if a.startswith(f"{M}aws_dynamodb_table.")], "the table kept by name (not imported: the old root owns it)")
    integration = rcs.get(f"{M}aws_apigatewayv2_integration.this", {}).get("change", {})
    expect(integration.get("after_unknown", {}).get("integration_uri") is True, "the integration's URI changes to the new function's")
    expect(actions(rcs, NEW_FUNCTION) == ["create"], f"{NEW_FUNCTION} created")
    env = (rcs.get(NEW_FUNCTION, {}).get("change", {}).get("after") or {}).get("environment", [{}])[0].get("variables", {})
    expect(env.get("BACKEND_URL") == ids["backend_url"] and env.get("LOG_LEVEL") == "INFO", f"the new function has the old BACKEND_URL and extra variables ({env})")
    url = plan.get("planned_values", {}).get("outputs", {}).get("websocket_api_endpoint", {}).get("value")
    expect(url == ids["url"], f"websocket_api_endpoint is the old URL ({url})")
    expect(not deleted(rcs), f"nothing deleted or replaced (got {deleted(rcs)})")
    return rcs


def check_import(plan, ids):
    check_variant(plan, ids, list(MODULE_API))


def check_attach(plan, ids):
    rcs = check_variant(plan, ids, [a for a in MODULE_API if "route" in a or "integration" in a])
    made_here = [a for a in rcs if a.startswith((f"{M}aws_apigatewayv2_api.", f"{M}aws_apigatewayv2_stage.", f"{M}aws_cloudwatch_log_group.access"))]
    expect(not made_here, f"no API, stage or access log group in the module (got {made_here})")


def check_import_old(plan, ids):
    """The old root's side of the import variant: the API's objects forgotten, nothing else changed."""
    rcs = plan_changes(plan)
    for address in MODULE_API.values():
        expect(actions(rcs, address) == ["forget"], f"{address} leaves the old state, not destroyed ({actions(rcs, address)})")
    for address in [*READERS, *OLD_FUNCTION_PARTS, OLD_TABLE, *ACCOUNT]:
        expect(actions(rcs, address) == ["no-op"], f"{address} unchanged ({actions(rcs, address)})")
    expect(not deleted(rcs) and not created(rcs), f"nothing deleted or created (got {deleted(rcs)}, {created(rcs)})")


def check_import_applied(new_state, ids, old_state):
    """After both sides of the import variant: each object in one state, the API the old one."""
    new, old = resources(new_state), resources(old_state)
    objs = kept_objects(new)
    expect(objs.get("api", ("", {}))[1].get("id") == ids["api_id"], "the new state holds the old API")
    expect(objs.get("stage", ("", {}))[1].get("invoke_url") == ids["url"], f"the URL is the old one ({ids['url']})")
    expect({k: objs.get(k, ("", {}))[1].get("id") for k in ROUTE_KEYS} == ids["route_ids"], "the new state holds the old routes")
    integration = objs.get("integration", ("", {}))[1]
    expect(integration.get("id") == ids["integration_id"], "the new state holds the old integration")
    expect(integration.get("integration_uri") == new.get(NEW_FUNCTION, {}).get("invoke_arn"), "the integration invokes wsproxy's function")
    expect("table" not in objs, "the table is not in the new state")
    left = kept_objects(old)
    expect(sorted(left) == ["table"] and left["table"][1]["arn"] == ids["table_arn"], f"the old state holds the table and no API object (got {sorted(left)})")
    expect(has_index(left.get("table", ("", {}))[1]), f"the table keeps its {INDEX}")


PLANS = {
    "import-old": check_import_old,
    "import": check_import,
    "attach": check_attach,
    "prepare": check_prepare,
    "migrate": check_migrate,
    "rollback": check_rollback,
    "finish": check_finish,
    "rollback-finish": check_rollback_finish,
}


def main():
    step = sys.argv[1]
    doc = load(sys.argv[2])
    if step == "ids":
        cmd_ids(doc)
        return
    ids = load(sys.argv[3])
    if step == "ready":
        check_ready(resources(doc), load(sys.argv[4]))
    elif step == "import-applied":
        check_import_applied(doc, ids, load(sys.argv[4]))
    elif step.endswith("-applied"):
        check_applied(step[: -len("-applied")], resources(doc), ids, load(sys.argv[4]))
    else:
        res = resources(doc.get("prior_state", {}))
        PLANS[step](doc, ids)
        if step == "migrate":  # the stage's access logs need the role in the account first
            check_ready(res, {})
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
