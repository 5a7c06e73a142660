"""The provider schema built by build_schema.py: loading it, serving it, walking values with it."""

import json
import os
import pathlib

from msgpack import ExtType
from tf.gen import tfplugin_pb2 as pb
from tf.types import Unknown

NESTING = {
    "single": pb.Schema.NestedBlock.NestingMode.SINGLE,
    "list": pb.Schema.NestedBlock.NestingMode.LIST,
    "set": pb.Schema.NestedBlock.NestingMode.SET,
    "map": pb.Schema.NestedBlock.NestingMode.MAP,
}


def is_unknown(value):
    """An unknown value, refined (a msgpack extension other than 0) or not."""
    return value is Unknown or isinstance(value, ExtType)


def load(path):
    return json.loads(pathlib.Path(path).read_text())


def block_to_pb(block):
    attributes = []
    for name, attr in sorted(block["attributes"].items()):
        attributes.append(
            pb.Schema.Attribute(
                name=name,
                type=json.dumps(attr["type"]).encode(),
                required=attr.get("required", False),
                optional=attr.get("optional", False),
                computed=attr.get("computed", False),
            )
        )
    block_types = []
    for name, nested in sorted(block["block_types"].items()):
        block_types.append(
            pb.Schema.NestedBlock(
                type_name=name,
                block=block_to_pb(nested["block"]),
                nesting=NESTING[nested["nesting"]],
                min_items=nested.get("min_items", 0),
                max_items=nested.get("max_items", 0),
            )
        )
    return pb.Schema.Block(attributes=attributes, block_types=block_types)


def provider_schema_response(schema):
    """The GetProviderSchema answer: the provider, every resource and data source."""
    return pb.GetProviderSchema.Response(
        provider=pb.Schema(block=block_to_pb(schema["provider"])),
        provider_meta=pb.Schema(block=pb.Schema.Block()),
        resource_schemas={t: pb.Schema(block=block_to_pb(b)) for t, b in schema["resource_schemas"].items()},
        data_source_schemas={t: pb.Schema(block=block_to_pb(b)) for t, b in schema["data_source_schemas"].items()},
    )


def cached_provider_schema_response(schema_path):
    """provider_schema_response, kept serialized beside the schema file (built once)."""
    schema_path = pathlib.Path(schema_path)
    cache = schema_path.with_suffix(".pb")
    if cache.exists() and cache.stat().st_mtime >= schema_path.stat().st_mtime:
        return pb.GetProviderSchema.Response.FromString(cache.read_bytes())
    response = provider_schema_response(load(schema_path))
    tmp = cache.with_suffix(f".pb.{os.getpid()}")
    tmp.write_bytes(response.SerializeToString())
    tmp.replace(cache)
    return response


def fill_unknowns(block, value, make):
    """Replace the unknown computed attributes of `value` (an object of `block`), recursively.

    make(path, attr_type) gives the value of the attribute at `path` (a tuple of names).
    """
    return _fill(block, value, make, ())


def _fill(block, value, make, path):
    if value is None or is_unknown(value):
        return value
    out = dict(value)
    for name, attr in block["attributes"].items():
        if is_unknown(out.get(name)):
            out[name] = make(path + (name,), attr["type"])
    for name, nested in block["block_types"].items():
        inner = out.get(name)
        if inner is None or is_unknown(inner):
            continue
        if nested["nesting"] == "single":
            out[name] = _fill(nested["block"], inner, make, path + (name,))
        elif nested["nesting"] == "map":
            out[name] = {k: _fill(nested["block"], v, make, path + (name,)) for k, v in inner.items()}
        else:
            out[name] = [_fill(nested["block"], v, make, path + (name,)) for v in inner]
    return out


def mark_computed_unknown(block, proposed):
    """A create's plan: every computed attribute left null is unknown until apply."""
    if proposed is None or is_unknown(proposed):
        return proposed
    out = dict(proposed)
    for name, attr in block["attributes"].items():
        if attr.get("computed") and out.get(name) is None:
            out[name] = Unknown
    for name, nested in block["block_types"].items():
        inner = out.get(name)
        if inner is None or is_unknown(inner):
            continue
        if nested["nesting"] == "single":
            out[name] = mark_computed_unknown(nested["block"], inner)
        elif nested["nesting"] == "map":
            out[name] = {k: mark_computed_unknown(nested["block"], v) for k, v in inner.items()}
        else:
            out[name] = [mark_computed_unknown(nested["block"], v) for v in inner]
    return out
