"""moto's server, with what the tests need that moto lacks.

    .tools/venv/bin/python server.py -H 127.0.0.1 -p PORT    # as moto_server

Found by applying the migration test (tests/migration) with the real provider; added to moto's
handlers here, in the test harness only (the module is not changed for them):

- API Gateway v2 UpdateStage: moto 5.2.5 has none (PATCH /v2/apis/ID/stages/NAME answers 500,
  and the aws provider retries it until it times out). Steps 1-4 update the adopted stage in
  place (throttling, access logs). The fields of the request body replace the stage's, as in
  AWS; an empty accessLogSettings turns access logging off.
- DynamoDB UpdateTable's SSESpecification: moto ignores it, so step 5 (the table adopted by
  the module, which turns encryption with the AWS-managed key on) would plan the same change
  after every apply. Here it is stored as CreateTable stores it.
- An API's id and endpoint: moto makes 8-letter ids, AWS 10 lowercase letters and digits,
  which the module's existing_api_id validation requires (the attach-by-id variant); and
  moto gives every API an https:// endpoint, AWS a WebSocket API a wss:// one, which the
  module's websocket_url is built from when it attaches by id. Here they are as AWS's.
- An account per access key: scripts/check-infra-moto.sh runs each layout with the access
  key MOTOACCT followed by a 12-digit account id, taken here as that account (moto otherwise
  puts every key it did not issue in 123456789012), so that layouts applied side by side do
  not meet: the API Gateway account setting (the CloudWatch Logs role), IAM role names and
  table names are per account.

Everything else is moto's own server.
"""

import json
import random
import string
import sys
from datetime import datetime
from urllib.parse import unquote

from moto.apigatewayv2.models import Api
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.dynamodb.responses import DynamoHandler
from moto.iam import models as iam_models
from moto.server import main

# UpdateStage's body fields -> moto's Stage attributes.
FIELDS = {
    "accessLogSettings": "access_log_settings",
    "autoDeploy": "auto_deploy",
    "clientCertificateId": "client_certificate_id",
    "description": "description",
    "routeSettings": "route_settings",
    "stageVariables": "stage_variables",
}


def update_stage(self):
    api_id = self.path.split("/")[-3]
    stage = self.apigatewayv2_backend.get_stage(api_id, unquote(self.path.split("/")[-1]))
    body = json.loads(self.body or "{}")
    for field, attr in FIELDS.items():
        if field in body:
            setattr(stage, attr, body[field])
    if "accessLogSettings" in body and not (body["accessLogSettings"] or {}).get("destinationArn"):
        stage.access_log_settings = None
    if "defaultRouteSettings" in body:
        stage.default_route_settings = {**stage.default_route_settings, **body["defaultRouteSettings"]}
    stage.updated = datetime.now()
    return 200, {}, json.dumps(stage.to_json())


moto_update_table = DynamoHandler.update_table


def update_table(self):
    result = moto_update_table(self)
    sse = self.body.get("SSESpecification")
    if sse is not None:
        table = self.dynamodb_backend.get_table(self.body["TableName"])
        if sse.get("Enabled"):
            spec = dict(sse)
            if "KMSMasterKeyId" not in spec:
                spec["KMSMasterKeyId"] = table._get_default_encryption_key(table.account_id, table.region_name)
            table.sse_specification = spec
        else:
            table.sse_specification = None
    return result


moto_api_init = Api.__init__


def api_init(self, *args, **kwargs):
    moto_api_init(self, *args, **kwargs)
    api_id = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(10))
    scheme = "wss://" if self.protocol_type == "WEBSOCKET" else "https://"
    self.api_endpoint = scheme + self.api_endpoint.removeprefix("https://").replace(self.api_id, api_id, 1)
    self.api_id = api_id


moto_account_of = iam_models.get_account_id_from


def account_of(access_key):
    account = access_key.removeprefix("MOTOACCT")
    if access_key.startswith("MOTOACCT") and len(account) == 12 and account.isdigit():
        return account
    return moto_account_of(access_key)


ApiGatewayV2Response.update_stage = update_stage
Api.__init__ = api_init
iam_models.get_account_id_from = account_of
DynamoHandler.update_table = update_table

if __name__ == "__main__":
    sys.exit(main())
