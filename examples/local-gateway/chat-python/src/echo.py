"""echo: a two-way route; the route response sends the body back to the sender."""

import json


def handler(event, context):
    data = json.loads(event.get("body") or "{}").get("data", "")
    return {"statusCode": 200, "body": json.dumps({"echo": data})}
