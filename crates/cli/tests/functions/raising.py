"""A function for awslambdaric that fails as functions do.

$connect raises when the query has raise=1. A message containing "raise" raises; any
other comes back as "ok:BODY" (on a two-way route). RAISE_AT_INIT=1 raises at import.
"""
import os

if os.environ.get("RAISE_AT_INIT") == "1":
    raise RuntimeError("raised at import on purpose")


def handler(event, context):
    request = event["requestContext"]
    if request["routeKey"] == "$connect":
        if (event.get("queryStringParameters") or {}).get("raise") == "1":
            raise ValueError("raised on $connect on purpose")
        return {"statusCode": 200}
    body = event.get("body") or ""
    if "raise" in body:
        raise ValueError("raised on purpose")
    return {"statusCode": 200, "body": "ok:" + body}
