"""Deterministic, plausible values for what AWS would compute.

A resource's computed attributes are filled at apply from its arguments: ARNs are built from
names the way AWS builds them, ids are stable hashes of the names (the same configuration gets
the same ids on every run). The account is ACCOUNT_ID, the partition "aws". What is not listed
here gets a generic value (see generic()).
"""

import base64
import hashlib

ACCOUNT_ID = "123456789012"
PARTITION = "aws"


def short_id(*parts, length=10):
    """A lowercase base-36 id derived from `parts` (API Gateway ids look like this)."""
    digest = int(hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest(), 16)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(length):
        digest, r = divmod(digest, 36)
        out += alphabet[r]
    return out


def lambda_function(name, region):
    arn = f"arn:{PARTITION}:lambda:{region}:{ACCOUNT_ID}:function:{name}"
    invoke = f"arn:{PARTITION}:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return {
        "arn": arn,
        "invoke_arn": invoke,
        "qualified_arn": f"{arn}:$LATEST",
        "qualified_invoke_arn": invoke.replace(arn, f"{arn}:$LATEST"),
        "version": "$LATEST",
        "last_modified": "2025-01-01T00:00:00.000+0000",
        "id": name,
    }


def resource(type_name, state, region):
    """Values of computed attributes of a resource about to be created or updated."""
    name = state.get("name")
    arn_base = f"arn:{PARTITION}"
    if type_name == "aws_apigatewayv2_api":
        api_id = short_id("api", name, region)
        return {
            "id": api_id,
            "api_endpoint": f"wss://{api_id}.execute-api.{region}.amazonaws.com"
            if state.get("protocol_type") == "WEBSOCKET"
            else f"https://{api_id}.execute-api.{region}.amazonaws.com",
            "arn": f"{arn_base}:apigateway:{region}::/apis/{api_id}",
            "execution_arn": f"{arn_base}:execute-api:{region}:{ACCOUNT_ID}:{api_id}",
            "api_key_selection_expression": "$request.header.x-api-key",
        }
    if type_name == "aws_apigatewayv2_stage":
        api_id = state["api_id"]
        return {
            "id": name,
            "arn": f"{arn_base}:apigateway:{region}::/apis/{api_id}/stages/{name}",
            "execution_arn": f"{arn_base}:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{name}",
            "invoke_url": f"wss://{api_id}.execute-api.{region}.amazonaws.com/{name}",
        }
    if type_name == "aws_apigatewayv2_integration":
        return {"id": short_id("integration", state.get("api_id"), state.get("integration_uri"), length=7)}
    if type_name == "aws_apigatewayv2_route":
        return {"id": short_id("route", state.get("api_id"), state.get("route_key"), length=7)}
    if type_name == "aws_dynamodb_table":
        arn = f"{arn_base}:dynamodb:{region}:{ACCOUNT_ID}:table/{name}"
        return {"id": name, "arn": arn}
    if type_name == "aws_iam_role":
        return {
            "id": name,
            "arn": f"{arn_base}:iam::{ACCOUNT_ID}:role{state.get('path') or '/'}{name}",
            "unique_id": "AROA" + short_id("role", name, length=17).upper(),
            "create_date": "2025-01-01T00:00:00Z",
        }
    if type_name == "aws_iam_role_policy":
        return {"id": f"{state.get('role')}:{name}"}
    if type_name == "aws_iam_role_policy_attachment":
        return {"id": f"{state.get('role')}/{state.get('policy_arn')}"}
    if type_name == "aws_cloudwatch_log_group":
        return {"id": name, "arn": f"{arn_base}:logs:{region}:{ACCOUNT_ID}:log-group:{name}"}
    if type_name == "aws_lambda_function":
        values = lambda_function(state["function_name"], region)
        # Lambda's hash of the code: the declared one, or one made up for the S3 object.
        s3_object = f"s3://{state.get('s3_bucket')}/{state.get('s3_key')}?{state.get('s3_object_version')}"
        values["code_sha256"] = state.get("source_code_hash") or base64.b64encode(hashlib.sha256(s3_object.encode()).digest()).decode()
        return values
    if type_name == "aws_lambda_permission":
        return {"id": state.get("statement_id")}
    if type_name == "aws_lambda_function_event_invoke_config":
        return {"id": state.get("function_name")}
    if type_name == "aws_api_gateway_account":
        return {"id": "api-gateway-account"}
    if type_name == "aws_s3_bucket":
        bucket = state.get("bucket")
        return {"id": bucket, "arn": f"{arn_base}:s3:::{bucket}", "bucket_domain_name": f"{bucket}.s3.amazonaws.com"}
    return {}


def data_source(type_name, config, region):
    """Values of computed attributes of a data source, from its configuration."""
    if type_name == "aws_caller_identity":
        return {
            "id": ACCOUNT_ID,
            "account_id": ACCOUNT_ID,
            "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/terraform",
            "user_id": "AIDA" + short_id("user", length=17).upper(),
        }
    if type_name == "aws_partition":
        return {"id": PARTITION, "partition": PARTITION, "dns_suffix": "amazonaws.com", "reverse_dns_prefix": "com.amazonaws"}
    if type_name == "aws_region":
        name = config.get("region") or config.get("name") or region
        return {
            "id": name,
            "name": name,
            "region": name,
            "endpoint": f"ec2.{name}.amazonaws.com",
            "description": name,
        }
    if type_name == "aws_lambda_function":
        name = config["function_name"]
        values = lambda_function(name, region)
        values.update(
            {
                # A role made by the console lives under the /service-role/ path.
                "role": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/service-role/{name}-role",
                "runtime": "provided.al2023",
                "handler": "bootstrap",
                "memory_size": 128,
                "timeout": 10,
                "architectures": ["x86_64"],
                "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                "source_code_hash": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            }
        )
        return values
    if type_name == "aws_apigatewayv2_api":
        # An existing API read by id: a WebSocket API in the provider's region.
        api_id = config["api_id"]
        return {
            "id": api_id,
            "name": f"api-{api_id}",
            "protocol_type": "WEBSOCKET",
            "route_selection_expression": "$request.body.action",
            "api_key_selection_expression": "$request.header.x-api-key",
            "api_endpoint": f"wss://{api_id}.execute-api.{region}.amazonaws.com",
            "arn": f"arn:{PARTITION}:apigateway:{region}::/apis/{api_id}",
            "execution_arn": f"arn:{PARTITION}:execute-api:{region}:{ACCOUNT_ID}:{api_id}",
        }
    if type_name == "aws_dynamodb_table":
        name = config["name"]
        return {"id": name, "arn": f"arn:{PARTITION}:dynamodb:{region}:{ACCOUNT_ID}:table/{name}"}
    if type_name == "aws_iam_role":
        name = config["name"]
        return {"id": name, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}", "unique_id": "AROA" + short_id(name, length=17).upper()}
    return {}


def generic(type_name, path, cty_type, region):
    """A value for a computed attribute nothing above knows: plausible for its type."""
    name = path[-1]
    if cty_type == "string":
        if name.endswith("arn"):
            service = type_name.split("_")[1] if "_" in type_name else "service"
            return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{type_name[4:]}/{short_id(type_name, *path)}"
        return f"{name}-{short_id(type_name, *path, length=8)}"
    if cty_type == "number":
        return 0
    if cty_type == "bool":
        return False
    if isinstance(cty_type, list) and cty_type[0] in ("list", "set"):
        return []
    if isinstance(cty_type, list) and cty_type[0] == "map":
        return {}
    return None
