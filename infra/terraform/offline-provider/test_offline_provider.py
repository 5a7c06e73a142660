"""Unit tests of the offline provider's policy rendering and fake values (no Terraform needed).

Run: python3 -m unittest discover -s infra/terraform/offline-provider -p 'test_*.py'
(scripts/check-infra.sh does).
"""

import json
import unittest

import fakes
import iam_policy


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


if __name__ == "__main__":
    unittest.main()
