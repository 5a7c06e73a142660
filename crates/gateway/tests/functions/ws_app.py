"""Test functions speaking the Lambda Runtime API with the standard library only.

AWS_LAMBDA_FUNCTION_NAME picks the role:
- "auth": a REQUEST authorizer. The token's first word before a `-` (query `token`, else
  header `Auth`) decides:
  good → Allow with a context; deny → Deny; raise → an error; crash → the process exits;
  hang → sleeps past the timeout; nested → a context value that is an object; big → an
  answer over 8 KB; other → Allow on another API only. Every event it gets is appended to
  the file AUTH_LOG, one JSON line each.
- anything else: the routes. $connect and $disconnect events are kept in memory; a message
  {"action": A} does: echo → answers {"event", "connect", "disconnects", "previous"} (the
  connection's previous message event) as its body;
  raise → an error; hang → sleeps; bad → a non-proxy answer; big → a body of 200,000
  bytes; anything else ($default) → answers a body the client must not get.
"""
import json
import os
import sys
import time
import urllib.request

NAME = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
CONNECTS = {}
DISCONNECTS = {}
PREVIOUS = {}


class Raised(Exception):
    pass


def authorize(event):
    with open(os.environ["AUTH_LOG"], "a") as log:
        log.write(json.dumps(event) + "\n")
    query = event.get("queryStringParameters") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = (query.get("token") or headers.get("auth") or "").split("-")[0]
    if token == "raise":
        raise Raised("refusing token " + (query.get("token") or ""))
    if token == "crash":
        sys.exit(3)
    if token == "hang":
        time.sleep(3600)
    effect = "Deny" if token == "deny" else "Allow"
    resource = event["methodArn"].rsplit("/", 2)[0] + "/*/$connect"
    if token not in ("good", "deny", "nested", "big"):
        resource = "arn:aws:execute-api:*:*:another-api/*"
    context = {"user": "ann", "n": 3, "admin": True}
    if token == "nested":
        context["user"] = {"name": "ann"}
    if token == "big":
        context["pad"] = "x" * 9000
    return {
        "principalId": "user-ann",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


def route(event):
    ctx = event["requestContext"]
    cid = ctx["connectionId"]
    if ctx["routeKey"] == "$connect":
        CONNECTS[cid] = event
        return {"statusCode": 200}
    if ctx["routeKey"] == "$disconnect":
        DISCONNECTS[cid] = event
        return {"statusCode": 200}
    action = json.loads(event.get("body") or "{}").get("action")
    previous, PREVIOUS[cid] = PREVIOUS.get(cid), event
    if action == "echo":
        body = {"event": event, "connect": CONNECTS.get(cid), "disconnects": DISCONNECTS, "previous": previous}
        return {"statusCode": 200, "body": json.dumps(body)}
    if action == "raise":
        raise Raised("the handler raised")
    if action == "hang":
        time.sleep(3600)
    if action == "bad":
        return "not a proxy answer"
    if action == "big":
        return {"statusCode": 200, "body": "b" * 200000}
    return {"statusCode": 200, "body": "one-way answer"}


while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    try:
        result = json.dumps(authorize(event) if NAME == "auth" else route(event)).encode()
        path = f"/invocation/{request_id}/response"
    except Raised as e:
        result = json.dumps({"errorMessage": str(e), "errorType": "Raised"}).encode()
        path = f"/invocation/{request_id}/error"
    urllib.request.urlopen(urllib.request.Request(API + path, data=result, method="POST")).read()
