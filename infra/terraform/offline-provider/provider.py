"""An offline stand-in for hashicorp/aws 6.25.0: its schema, a plan, a fake apply.

Terraform starts this as the provider `registry.terraform.io/hashicorp/aws` (see README.md).
The plugin protocol (go-plugin handshake, TLS, gRPC services) is the PyPI package `tf`'s; this
file answers the provider calls from the schema built by build_schema.py:

- GetProviderSchema: every resource and data source of the real provider, so Terraform itself
  rejects an unknown argument, a missing required one, a block written as an attribute, or a
  reference to an attribute that does not exist;
- PlanResourceChange: computed attributes not set are unknown on create, kept on update;
  `region` and `tags_all` are known at plan, as with the real provider;
- ApplyResourceChange: unknowns get the deterministic values of fakes.py;
- ImportResourceState: the object is read from the states named by OFFLINE_AWS_IMPORT_STATE;
- ReadDataSource: aws_iam_policy_document renders real policy JSON (iam_policy.py); other
  data sources get values from fakes.py.

Nothing is sent anywhere: no AWS call, no credentials read.

Usage (by Terraform, through the launcher install.sh writes): provider.py SCHEMA.json
"""

import os
import sys

import tf.provider
from tf.gen import tfplugin_pb2 as pb
from tf.runner import run_provider
from tf.utils import Diagnostics, read_dynamic_value, to_dynamic_value

import fakes
import iam_policy
from imports import import_lookup
from schema import cached_provider_schema_response, fill_unknowns, is_unknown, load, mark_computed_unknown

# Arguments whose change replaces the resource (ForceNew in the real provider), for the
# resource types wsproxy's module uses.
REPLACED_ON_CHANGE = {
    "aws_dynamodb_table": {"name", "hash_key", "range_key"},
    "aws_apigatewayv2_api": {"protocol_type"},
    "aws_apigatewayv2_stage": {"api_id", "name"},
    "aws_apigatewayv2_route": {"api_id"},
    "aws_apigatewayv2_integration": {"api_id", "integration_type"},
    "aws_iam_role": {"name", "path"},
    "aws_iam_role_policy": {"name", "role"},
    "aws_iam_role_policy_attachment": {"role", "policy_arn"},
    "aws_cloudwatch_log_group": {"name"},
    "aws_lambda_function": {"function_name"},
    "aws_lambda_permission": {"statement_id", "function_name", "principal", "source_arn", "action", "qualifier"},
    "aws_lambda_function_event_invoke_config": {"function_name", "qualifier"},
}


class App:
    """What tf's runner needs of a provider besides the servicer below."""

    def full_name(self):
        return "registry.terraform.io/hashicorp/aws"

    def get_functions(self):
        return []


class OfflineAwsServicer(tf.provider.ProviderServicer):
    """The provider calls, answered from the schema; see the module docstring."""

    schema_path = None  # set by main()

    def __init__(self, app):
        super().__init__(app)
        self.schema = load(self.schema_path)
        self.region = None
        self.default_tags = {}

    def resource_block(self, type_name):
        return self.schema["resource_schemas"][type_name]

    # --- provider ----------------------------------------------------------------------------

    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(server_capabilities=pb.ServerCapabilities(plan_destroy=True))

    def GetProviderSchema(self, request, context):
        return cached_provider_schema_response(self.schema_path)

    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ConfigureProvider(self, request, context):
        config = read_dynamic_value(request.config) or {}
        diags = Diagnostics()
        self.region = config.get("region")
        if not self.region:
            diags.add_error(
                "Missing region",
                "The offline aws provider needs `region` in the provider block (it reads no AWS configuration).",
            )
        for block in config.get("default_tags") or []:
            self.default_tags.update(block.get("tags") or {})
        return pb.ConfigureProvider.Response(diagnostics=diags.to_pb())

    def ValidateResourceConfig(self, request, context):
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):
        return pb.ValidateDataResourceConfig.Response()

    # --- resources ---------------------------------------------------------------------------

    def UpgradeResourceState(self, request, context):
        # The state was written by this provider with this schema: nothing to upgrade.
        return pb.UpgradeResourceState.Response(upgraded_state=pb.DynamicValue(json=request.raw_state.json))

    def ReadResource(self, request, context):
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request, context):
        type_name = request.type_name
        block = self.resource_block(type_name)
        prior = read_dynamic_value(request.prior_state)
        proposed = read_dynamic_value(request.proposed_new_state)
        config = read_dynamic_value(request.config) or {}
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        replace = []
        if prior is not None:
            for name in sorted(REPLACED_ON_CHANGE.get(type_name, ())):
                if prior.get(name) != proposed.get(name):
                    replace.append(pb.AttributePath(steps=[pb.AttributePath.Step(attribute_name=name)]))
        planned = dict(proposed)
        if prior is None or replace:  # a new object: what AWS computes is not known yet
            computed = {n for n, a in block["attributes"].items() if a.get("computed") and config.get(n) is None}
            planned = mark_computed_unknown(block, {k: None if k in computed else v for k, v in planned.items()})
        if "region" in block["attributes"] and config.get("region") is None:
            planned["region"] = self.region
        if "tags_all" in block["attributes"]:
            tags = planned.get("tags")
            planned["tags_all"] = tags if is_unknown(tags) else {**self.default_tags, **(tags or {})}
        return pb.PlanResourceChange.Response(planned_state=to_dynamic_value(planned), requires_replace=replace)

    def ApplyResourceChange(self, request, context):
        type_name = request.type_name
        planned = read_dynamic_value(request.planned_state)
        if planned is None:  # destroy
            return pb.ApplyResourceChange.Response(new_state=request.planned_state)
        region = planned.get("region") or self.region
        known = fakes.resource(type_name, planned, region)

        def make(path, cty_type):
            if len(path) == 1 and path[0] in known:
                return known[path[0]]
            return fakes.generic(type_name, path, cty_type, region)

        new_state = fill_unknowns(self.resource_block(type_name), planned, make)
        return pb.ApplyResourceChange.Response(new_state=to_dynamic_value(new_state), private=request.planned_private)

    def ImportResourceState(self, request, context):
        # No AWS account to read from: the objects that "exist" are those of the Terraform
        # states named by OFFLINE_AWS_IMPORT_STATE (paths separated by ':'), e.g. the state of an
        # old configuration applied with this provider. The id is matched as the real provider
        # takes it: the object's id, its name (a table), or API_ID/ID (stage, route, integration).
        found = import_lookup(os.environ.get("OFFLINE_AWS_IMPORT_STATE", ""), request.type_name, request.id)
        if found is None:
            diags = Diagnostics().add_error(
                f"Cannot import non-existent remote object {request.type_name} {request.id!r}",
                "The offline aws provider imports only objects found in the states named by "
                "OFFLINE_AWS_IMPORT_STATE (paths separated by ':'); none holds this one.",
            )
            return pb.ImportResourceState.Response(diagnostics=diags.to_pb())
        imported = pb.ImportResourceState.ImportedResource(type_name=request.type_name, state=to_dynamic_value(found))
        return pb.ImportResourceState.Response(imported_resources=[imported])

    # --- data sources ------------------------------------------------------------------------

    def ReadDataSource(self, request, context):
        type_name = request.type_name
        config = read_dynamic_value(request.config)
        block = self.schema["data_source_schemas"][type_name]
        region = config.get("region") or self.region
        if type_name == "aws_iam_policy_document":
            state = iam_policy.read(config)
        else:
            state = dict(config)
            for name, value in fakes.data_source(type_name, config, region).items():
                if name in block["attributes"] and state.get(name) is None:
                    state[name] = value
        if "region" in block["attributes"] and state.get("region") is None:
            state["region"] = region
        for name, attr in block["attributes"].items():
            if attr.get("computed") and state.get(name) is None and not attr.get("optional"):
                state[name] = fakes.generic(type_name, (name,), attr["type"], region)
        return pb.ReadDataSource.Response(state=to_dynamic_value(state))


def main():
    if len(sys.argv) < 2 or not sys.argv[1].endswith(".json"):
        sys.exit("usage: provider.py SCHEMA.json  (started by Terraform; see README.md)")
    OfflineAwsServicer.schema_path = sys.argv[1]
    # tf's runner builds its servicer from tf.provider.ProviderServicer: serve ours instead.
    tf.provider.ProviderServicer = OfflineAwsServicer
    run_provider(App(), [sys.argv[0]])
    # Served and shut down: leave now. The interpreter's own exit waits on gRPC's threads for
    # over a second, which Terraform would wait for at every provider stop.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
