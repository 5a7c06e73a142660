"""$connect: remember the connection in the table."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    request = event["requestContext"]
    user = (request.get("authorizer") or {}).get("user", "anonymous")
    table.put_item(Item={"connectionId": request["connectionId"], "user": user})
    return {"statusCode": 200, "body": "Connected."}
