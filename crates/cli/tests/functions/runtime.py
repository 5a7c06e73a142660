"""A WebSocket function speaking the Lambda Runtime API with the standard library only.

$connect: refused with 401 when the query has deny=1; hangs when it has hang=1.
Messages: the reply, pushed through @connections, is "NAME:BODY:GREETING:TIMEOUT:HANDLER";
a body containing "hang" makes it hang; the answer's body is "answer:BODY:PRINCIPAL" (the
principalId of requestContext.authorizer, or -). CRASH_AT_INIT=1 exits before the first poll.
With AUTHORIZER=1 it is a REQUEST authorizer instead: it allows the token "good" (query
`token`) with the principal "user-" + the token's length, and denies any other.
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

NAME = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
print(f"init {NAME} in {os.getcwd()}", flush=True)
if os.environ.get("CRASH_AT_INIT") == "1":
    print(f"{NAME} crashing at init", file=sys.stderr, flush=True)
    sys.exit(2)


def push(connection_id, text):
    url = os.environ["API_GATEWAY_ENDPOINT"] + "/@connections/" + urllib.parse.quote(connection_id, safe="")
    urllib.request.urlopen(urllib.request.Request(url, data=text.encode(), method="POST")).read()


def authorize(event):
    token = (event.get("queryStringParameters") or {}).get("token", "")
    effect = "Allow" if token == "good" else "Deny"
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
    return {"principalId": f"user-{len(token)}", "policyDocument": {"Statement": [statement]}}


def handle(event):
    if os.environ.get("AUTHORIZER") == "1":
        return authorize(event)
    ctx = event["requestContext"]
    query = event.get("queryStringParameters") or {}
    if ctx["routeKey"] == "$connect":
        if query.get("hang") == "1":
            time.sleep(3600)
        return {"statusCode": 401 if query.get("deny") == "1" else 200, "body": NAME}
    if ctx["routeKey"] == "$disconnect":
        return {"statusCode": 200}
    body = event.get("body") or ""
    if "hang" in body:
        print(f"{NAME} hanging on purpose", flush=True)
        time.sleep(3600)
    env = os.environ
    reply = ":".join([NAME, body, env.get("GREETING", "-"), env["AWS_LAMBDA_FUNCTION_TIMEOUT"], env.get("_HANDLER", "-")])
    push(ctx["connectionId"], reply)
    principal = (ctx.get("authorizer") or {}).get("principalId", "-")
    return {"statusCode": 200, "body": f"answer:{body}:{principal}"}


while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    result = json.dumps(handle(event)).encode()
    urllib.request.urlopen(urllib.request.Request(API + f"/invocation/{request_id}/response", data=result, method="POST")).read()
