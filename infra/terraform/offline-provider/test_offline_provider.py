"""Unit tests of the offline provider's policy rendering and fake values (no Terraform needed).

Run: python3 -m unittest discover -s infra/terraform/offline-provider -p 'test_*.py'
(scripts/check-infra.sh does, with OFFLINE_AWS_SCHEMA naming the built schema.json, which
the BuiltSchema tests check against facts of hashicorp/aws 6.25.0; without it they skip).
"""

import json
import os
import pathlib
import unittest

import fakes
import iam_policy
from imports import import_lookup


def statement(**fields):
    base = {
        "sid": None, "effect": None, "actions": None, "not_actions": None, "resources": None,
        "not_resources": None, "principals": None, "not_principals": None, "condition": None,
    }
    base.update(fields)
    return base


class PolicyDocument(unittest.TestCase):
    def render(self, *statements, **config):
        config.setdefault("statement", list(statements))
        return json.loads(iam_policy.read(config)["json"])

    def test_one_action_is_a_string_several_a_sorted_list(self):
        doc = self.render(
            statement(sid="A", actions=["dynamodb:Query"], resources=["arn:t"]),
            statement(sid="B", actions=["s:B", "s:A"], resources=["r2", "r1"]),
        )
        self.assertEqual(doc["Version"], "2012-10-17")
        self.assertEqual(doc["Statement"][0], {"Sid": "A", "Effect": "Allow", "Action": "dynamodb:Query", "Resource": "arn:t"})
        self.assertEqual(doc["Statement"][1]["Action"], ["s:A", "s:B"])
        self.assertEqual(doc["Statement"][1]["Resource"], ["r1", "r2"])

    def test_keys_in_aws_order_and_empty_ones_left_out(self):
        doc = self.render(
            statement(
                effect="Deny",
                not_actions=["x:Y"],
                resources=["*"],
                principals=[{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
                condition=[{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["123"]}],
            )
        )
        s = doc["Statement"][0]
        self.assertEqual(list(s), ["Effect", "NotAction", "Resource", "Principal", "Condition"])
        self.assertEqual(s["Principal"], {"Service": "lambda.amazonaws.com"})
        self.assertEqual(s["Condition"], {"StringEquals": {"aws:SourceAccount": "123"}})

    def test_everyone_principal_is_a_star(self):
        doc = self.render(statement(actions=["s3:GetObject"], principals=[{"type": "*", "identifiers": ["*"]}]))
        self.assertEqual(doc["Statement"][0]["Principal"], "*")

    def test_override_replaces_by_sid_and_source_comes_first(self):
        source = json.dumps({"Statement": [{"Sid": "S", "Effect": "Allow", "Action": "a:A", "Resource": "*"}]})
        override = json.dumps({"Statement": [{"Sid": "X", "Effect": "Deny", "Action": "x:X", "Resource": "*"}]})
        doc = self.render(
            statement(sid="X", actions=["x:Y"], resources=["*"]),
            source_policy_documents=[source],
            override_policy_documents=[override],
        )
        self.assertEqual([s["Sid"] for s in doc["Statement"]], ["S", "X"])
        self.assertEqual(doc["Statement"][1]["Effect"], "Deny")

    def test_minified_json_is_the_same_document(self):
        state = iam_policy.read({"statement": [statement(actions=["a:B"], resources=["*"])]})
        self.assertEqual(json.loads(state["json"]), json.loads(state["minified_json"]))
        self.assertNotIn(" ", state["minified_json"])


class FakeValues(unittest.TestCase):
    def test_websocket_api_endpoints(self):
        api = fakes.resource("aws_apigatewayv2_api", {"name": "n", "protocol_type": "WEBSOCKET"}, "eu-west-1")
        self.assertRegex(api["id"], r"^[a-z0-9]{10}$")
        self.assertEqual(api["api_endpoint"], f"wss://{api['id']}.execute-api.eu-west-1.amazonaws.com")
        self.assertEqual(api["execution_arn"], f"arn:aws:execute-api:eu-west-1:123456789012:{api['id']}")
        again = fakes.resource("aws_apigatewayv2_api", {"name": "n", "protocol_type": "WEBSOCKET"}, "eu-west-1")
        self.assertEqual(api, again, "the same configuration must get the same ids")

    def test_existing_websocket_api_read_by_id(self):
        api = fakes.data_source("aws_apigatewayv2_api", {"api_id": "a1b2c3d4e5"}, "eu-west-1")
        self.assertEqual(api["protocol_type"], "WEBSOCKET")
        self.assertEqual(api["api_endpoint"], "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com")
        self.assertEqual(api["execution_arn"], "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5")

    def test_lambda_invoke_arn(self):
        fn = fakes.resource("aws_lambda_function", {"function_name": "f", "source_code_hash": "h"}, "us-east-1")
        self.assertEqual(
            fn["invoke_arn"],
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
        )
        self.assertEqual(fn["code_sha256"], "h")

    def test_log_group_arn_has_no_star(self):
        group = fakes.resource("aws_cloudwatch_log_group", {"name": "/aws/lambda/f"}, "us-east-1")
        self.assertEqual(group["arn"], "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f")


@unittest.skipUnless(os.environ.get("OFFLINE_AWS_SCHEMA"), "OFFLINE_AWS_SCHEMA not set")
class Imports(unittest.TestCase):
    """import_lookup: ids as the real provider takes them, only from the given states."""

    def test_ids_names_and_api_scoped_ids(self):
        import tempfile

        state = {
            "resources": [
                {"mode": "managed", "type": "aws_apigatewayv2_api", "name": "websocket", "instances": [{"attributes": {"id": "abc123", "name": "chat-websocket"}}]},
                {"mode": "managed", "type": "aws_apigatewayv2_route", "name": "connect", "instances": [{"attributes": {"id": "r1", "api_id": "abc123", "route_key": "$connect"}}]},
                {"mode": "managed", "type": "aws_dynamodb_table", "name": "t", "instances": [{"attributes": {"id": "chat-table", "name": "chat-table"}}]},
                {"mode": "data", "type": "aws_dynamodb_table", "name": "d", "instances": [{"attributes": {"id": "data-table", "name": "data-table"}}]},
            ]
        }
        with tempfile.NamedTemporaryFile("w", suffix=".tfstate", delete=False) as fh:
            json.dump(state, fh)
        try:
            self.assertEqual(import_lookup(fh.name, "aws_apigatewayv2_api", "abc123")["name"], "chat-websocket")
            self.assertEqual(import_lookup(fh.name, "aws_apigatewayv2_route", "abc123/r1")["route_key"], "$connect")
            self.assertEqual(import_lookup(fh.name, "aws_dynamodb_table", "chat-table")["id"], "chat-table")
            # Not there: another id, another type, a data source, no state at all.
            self.assertIsNone(import_lookup(fh.name, "aws_apigatewayv2_route", "r2"))
            self.assertIsNone(import_lookup(fh.name, "aws_apigatewayv2_stage", "abc123/r1"))
            self.assertIsNone(import_lookup(fh.name, "aws_dynamodb_table", "data-table"))
            self.assertIsNone(import_lookup("", "aws_apigatewayv2_api", "abc123"))
        finally:
            os.unlink(fh.name)


class BuiltSchema(unittest.TestCase):
    """Facts of hashicorp/aws 6.25.0's schema that build_schema.py must get right."""

    @classmethod
    def setUpClass(cls):
        cls.schema = json.loads(pathlib.Path(os.environ["OFFLINE_AWS_SCHEMA"]).read_text())

    def resource(self, name):
        return self.schema["resource_schemas"][name]

    def test_counts(self):
        self.assertGreater(len(self.schema["resource_schemas"]), 1500)
        self.assertGreater(len(self.schema["data_source_schemas"]), 600)

    def test_required_optional_computed(self):
        api = self.resource("aws_apigatewayv2_api")["attributes"]
        self.assertEqual(api["protocol_type"], {"type": "string", "required": True})
        self.assertEqual(api["description"], {"type": "string", "optional": True})
        self.assertEqual(api["api_endpoint"], {"type": "string", "computed": True})
        self.assertTrue(api["region"]["optional"] and api["region"]["computed"])

    def test_block_nesting(self):
        table = self.resource("aws_dynamodb_table")["block_types"]
        self.assertEqual((table["attribute"]["nesting"], table["attribute"].get("max_items")), ("set", None))
        self.assertEqual((table["ttl"]["nesting"], table["ttl"].get("max_items")), ("list", 1))
        self.assertEqual(table["timeouts"]["nesting"], "single")
        gsi = table["global_secondary_index"]["block"]["attributes"]
        self.assertEqual(gsi["hash_key"], {"type": "string", "required": True})
        self.assertEqual(gsi["non_key_attributes"]["type"], ["set", "string"])

    def test_policy_document(self):
        doc = self.schema["data_source_schemas"]["aws_iam_policy_document"]
        statement = doc["block_types"]["statement"]
        self.assertEqual(statement["nesting"], "list")
        self.assertEqual(statement["block"]["attributes"]["actions"]["type"], ["set", "string"])
        self.assertEqual(statement["block"]["block_types"]["principals"]["nesting"], "set")
        self.assertEqual(doc["attributes"]["json"], {"type": "string", "computed": True})

    def test_computed_objects_of_a_data_source(self):
        fn = self.schema["data_source_schemas"]["aws_lambda_function"]["attributes"]
        self.assertEqual(fn["function_name"], {"type": "string", "required": True})
        self.assertEqual(fn["environment"]["type"], ["list", ["object", {"variables": ["map", "string"]}]])

    def test_provider_block(self):
        provider = self.schema["provider"]
        self.assertNotIn("alias", provider["attributes"])
        self.assertEqual(provider["attributes"]["region"], {"type": "string", "optional": True})
        self.assertEqual(provider["block_types"]["default_tags"]["nesting"], "list")


if __name__ == "__main__":
    unittest.main()
