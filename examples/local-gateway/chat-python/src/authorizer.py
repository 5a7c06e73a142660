"""The $connect REQUEST authorizer: ?token= must be the chat's token."""

import hmac
import os


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    token = query.get("token", "")
    allowed = hmac.compare_digest(token.encode(), os.environ["CHAT_TOKEN"].encode())
    user = query.get("user", "anonymous")
    return {
        "principalId": user,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if allowed else "Deny",
                    "Resource": event["methodArn"],
                }
            ],
        },
        "context": {"user": user},
    }
