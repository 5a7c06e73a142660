"""A WebSocket function speaking the Lambda Runtime API with the standard library only.

$connect: refused with 401 when the query has deny=1; hangs when it has hang=1.
Messages: the reply, pushed through @connections, is "NAME:BODY:GREETING:TIMEOUT:HANDLER";
a body containing "hang" makes it hang. CRASH_AT_INIT=1 exits before the first poll.
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


def handle(event):
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
    return {"statusCode": 200}


while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    result = json.dumps(handle(event)).encode()
    urllib.request.urlopen(urllib.request.Request(API + f"/invocation/{request_id}/response", data=result, method="POST")).read()
