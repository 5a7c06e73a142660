"""Checks of the migration test's plans and state (run by scripts/check-infra-offline.sh).

    python3 check_migration.py STEP PLAN_OR_STATE.json [OLD_STATE.json]

STEP is one of:
  migrate  the plan of migrate/ against the old layout's state: the API, its stage, the three
           routes and the integration are adopted (moved) into the module and only updated in
           place; the old table and the old function are left alone; the new function created.
  applied  the state (terraform show -json) after migrate/ is applied: the integration's URI
           is the new function's, the routes target it, the stage and URL are the old ones.
  finish   the plan of finish/ against that state: the table moved into the module and kept;
           deleted are the old function, its role, policies and permission, nothing else.
  import   the plan of import/ (a new state): API, stage, routes, integration and table
           imported, none created or deleted.
  attach   the plan of attach/ (a new state, existing_api_id): routes and integration imported,
           on the old API's id; no API or stage in the module; the URL the old one.
"""

import json
import sys

M = "module.websocket_proxy."
ROUTES = [f'{M}aws_apigatewayv2_route.this["{k}"]' for k in ("$connect", "$disconnect", "$default")]
API_OBJECTS = [f"{M}aws_apigatewayv2_api.this[0]", f"{M}aws_apigatewayv2_stage.this[0]", *ROUTES, f"{M}aws_apigatewayv2_integration.this"]
MOVED_FROM = {
    f"{M}aws_apigatewayv2_api.this[0]": "aws_apigatewayv2_api.websocket",
    f"{M}aws_apigatewayv2_stage.this[0]": "aws_apigatewayv2_stage.websocket",
    ROUTES[0]: "aws_apigatewayv2_route.connect",
    ROUTES[1]: "aws_apigatewayv2_route.disconnect",
    ROUTES[2]: "aws_apigatewayv2_route.default",
    f"{M}aws_apigatewayv2_integration.this": "aws_apigatewayv2_integration.websocket",
}
OLD_TABLE = "module.websocket_lambda.aws_dynamodb_table.websocket_connections[0]"
NEW_TABLE = f"{M}aws_dynamodb_table.this[0]"
OLD_FUNCTION_PARTS = [
    "module.websocket_lambda.aws_iam_role.lambda_role[0]",
    "module.websocket_lambda.aws_iam_role_policy.lambda_dynamodb[0]",
    "module.websocket_lambda.aws_iam_role_policy.lambda_apigw[0]",
    "module.websocket_lambda.aws_iam_role_policy_attachment.lambda_basic[0]",
    "module.websocket_lambda.aws_lambda_function.websocket_proxy[0]",
    "module.websocket_lambda.aws_lambda_permission.apigw_invoke[0]",
]
NEW_FUNCTION = f"{M}aws_lambda_function.this[0]"

errors = []


def expect(ok, message):
    print(("ok:   " if ok else "FAIL: ") + message)
    if not ok:
        errors.append(message)


def changes(plan):
    return {rc["address"]: rc for rc in plan.get("resource_changes", []) if rc["mode"] == "managed"}


def kept(rcs, address, what):
    """ADDRESS is in the plan and neither created, deleted nor replaced (no-op or in place)."""
    rc = rcs.get(address)
    actions = rc["change"]["actions"] if rc else None
    expect(actions in (["no-op"], ["update"]), f"{what} {address} kept (actions {actions})")
    return rc


def check_migrate(plan):
    rcs = changes(plan)
    for address in API_OBJECTS:
        rc = kept(rcs, address, "adopted")
        expect(rc is not None and rc.get("previous_address") == MOVED_FROM[address], f"{address} moved from {MOVED_FROM[address]}")
    kept(rcs, OLD_TABLE, "the table (kept by name, still the old module's)")
    for address in OLD_FUNCTION_PARTS:
        kept(rcs, address, "the old function, beside the new one,")
    expect(rcs.get(NEW_FUNCTION, {}).get("change", {}).get("actions") == ["create"], f"{NEW_FUNCTION} created")
    integration = rcs.get(f"{M}aws_apigatewayv2_integration.this", {}).get("change", {})
    expect(
        integration.get("after_unknown", {}).get("integration_uri") is True,
        "the integration's URI changes to the new function's invoke ARN (known after apply)",
    )
    deleted = [a for a, rc in rcs.items() if "delete" in rc["change"]["actions"]]
    expect(not deleted, f"nothing deleted or replaced (got {deleted})")


def resources(state):
    out = {}

    def walk(module):
        for r in module.get("resources", []):
            out[r["address"]] = r["values"]
        for child in module.get("child_modules", []):
            walk(child)

    walk(state["values"]["root_module"])
    return out


def check_applied(state):
    res = resources(state)
    new_arn = res[NEW_FUNCTION]["arn"]
    old_arn = res["module.websocket_lambda.aws_lambda_function.websocket_proxy[0]"]["arn"]
    integration = res[f"{M}aws_apigatewayv2_integration.this"]
    expect(new_arn in integration["integration_uri"], f"the integration invokes the new function ({integration['integration_uri']})")
    expect(old_arn not in integration["integration_uri"], "the integration no longer invokes the old function")
    for address in ROUTES:
        expect(res[address]["target"] == f"integrations/{integration['id']}", f"{address} targets the integration")
    outputs = state["values"].get("outputs", {})
    api = res[f"{M}aws_apigatewayv2_api.this[0]"]
    expect(
        outputs.get("websocket_api_endpoint", {}).get("value") == f"{api['api_endpoint']}/development",
        "websocket_api_endpoint (the old output name) is the old URL, stage development",
    )
    permission = [v for a, v in res.items() if a.startswith(f"{M}aws_lambda_permission.this")]
    expect(bool(permission) and permission[0]["function_name"] == res[NEW_FUNCTION]["function_name"], "API Gateway may invoke the new function")


def check_finish(plan):
    rcs = changes(plan)
    for address in API_OBJECTS:
        kept(rcs, address, "API object")
    rc = kept(rcs, NEW_TABLE, "the table")
    expect(rc is not None and rc.get("previous_address") == OLD_TABLE, f"the table moved from {OLD_TABLE}")
    deleted = sorted(a for a, rc in rcs.items() if "delete" in rc["change"]["actions"])
    expect(deleted == sorted(OLD_FUNCTION_PARTS), f"deleted: exactly the old function's resources (got {deleted})")
    created = [a for a, rc in rcs.items() if "create" in rc["change"]["actions"]]
    expect(not created, f"nothing created (got {created})")


def check_import(plan):
    rcs = changes(plan)
    for address in [*API_OBJECTS, NEW_TABLE]:
        rc = kept(rcs, address, "imported")
        expect(rc is not None and "importing" in rc["change"], f"{address} imported")
    deleted = [a for a, rc in rcs.items() if "delete" in rc["change"]["actions"]]
    expect(not deleted, f"nothing deleted or replaced (got {deleted})")


def check_attach(plan, old_state_path):
    rcs = changes(plan)
    with open(old_state_path) as fh:
        old = {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in json.load(fh)["resources"] if r["mode"] == "managed" and "module" not in r}
    api = old["aws_apigatewayv2_api.websocket"]
    for address in [*ROUTES, f"{M}aws_apigatewayv2_integration.this"]:
        rc = kept(rcs, address, "imported")
        expect(rc is not None and "importing" in rc["change"], f"{address} imported")
        expect(rc is not None and rc["change"]["after"].get("api_id") == api["id"], f"{address} on the old API {api['id']}")
    made_here = [a for a in rcs if a.startswith((f"{M}aws_apigatewayv2_api.", f"{M}aws_apigatewayv2_stage.", f"{M}aws_cloudwatch_log_group.access"))]
    expect(not made_here, f"no API, stage or access log group in the module (got {made_here})")
    integration = rcs.get(f"{M}aws_apigatewayv2_integration.this", {}).get("change", {})
    expect(integration.get("after_unknown", {}).get("integration_uri") is True, "the integration's URI changes to the new function's")
    expect(rcs.get(NEW_FUNCTION, {}).get("change", {}).get("actions") == ["create"], f"{NEW_FUNCTION} created")
    url = plan.get("planned_values", {}).get("outputs", {}).get("websocket_api_endpoint", {}).get("value")
    expect(url == f"{api['api_endpoint']}/development", f"websocket_url is the old URL ({url})")
    deleted = [a for a, rc in rcs.items() if "delete" in rc["change"]["actions"]]
    expect(not deleted, f"nothing deleted or replaced (got {deleted})")


def main():
    step, path = sys.argv[1], sys.argv[2]
    with open(path) as fh:
        doc = json.load(fh)
    if step == "attach":
        check_attach(doc, sys.argv[3])
    else:
        {"migrate": check_migrate, "applied": check_applied, "finish": check_finish, "import": check_import}[step](doc)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
