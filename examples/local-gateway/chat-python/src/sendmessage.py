"""sendmessage: post {"action": "sendmessage", "data": ...} to every connection."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def connection_ids():
    scan = {"ProjectionExpression": "connectionId"}
    while True:
        page = table.scan(**scan)
        for item in page["Items"]:
            yield item["connectionId"]
        if "LastEvaluatedKey" not in page:
            return
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def handler(event, context):
    request = event["requestContext"]
    data = json.loads(event.get("body") or "{}").get("data", "")
    user = (request.get("authorizer") or {}).get("user", "anonymous")
    message = json.dumps({"from": user, "data": data}).encode()

    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{request['domainName']}/{request['stage']}",
    )
    for connection_id in connection_ids():
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=message)
        except api.exceptions.GoneException:
            # The client went away without a $disconnect reaching us.
            table.delete_item(Key={"connectionId": connection_id})
    return {"statusCode": 200, "body": "Data sent."}
