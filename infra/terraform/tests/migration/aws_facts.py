"""What AWS (moto, in scripts/check-infra-moto.sh) says of the migration's table and account.

    python3 aws_facts.py STATE.json     # prints {"indexes": {NAME: STATUS}, "cloudwatch_role_arn": ARN}

STATE.json is `terraform show -json`; the table is the one in it. The endpoint, region and
credentials come from the environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID...).
Needs boto3 (moto's venv has it). The index's status is what wsproxy must wait for (ACTIVE)
before the function switches; the account's CloudWatch Logs role what the stage's access logs
need.
"""

import json
import sys

import boto3


def table_name(state):
    def walk(module):
        for r in module.get("resources", []):
            if r["mode"] == "managed" and r["type"] == "aws_dynamodb_table":
                yield r["values"]["name"]
        for child in module.get("child_modules", []):
            yield from walk(child)

    names = list(walk(state["values"]["root_module"]))
    if len(names) != 1:
        sys.exit(f"aws_facts.py: expected one table in the state, found {names}")
    return names[0]


def main():
    with open(sys.argv[1]) as fh:
        state = json.load(fh)
    table = boto3.client("dynamodb").describe_table(TableName=table_name(state))["Table"]
    indexes = {g["IndexName"]: g.get("IndexStatus") for g in table.get("GlobalSecondaryIndexes", [])}
    account = boto3.client("apigateway").get_account()
    print(json.dumps({"indexes": indexes, "cloudwatch_role_arn": account.get("cloudwatchRoleArn")}))


if __name__ == "__main__":
    main()
