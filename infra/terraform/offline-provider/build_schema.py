"""Build the aws provider's schema from the npm package @cdktf/provider-aws.

The package is generated from hashicorp/aws (21.22.1 from 6.25.0) and carries the provider's
schema in two places, neither complete alone:

- the jsii assembly (`.jsii`, JSON): every configuration struct with its properties and
  whether each is optional (a required argument is a non-optional property), and whether a
  nested block is one object (at most one item) or an array;
- the generated JavaScript (`lib/*/index.js`): per resource, data source and nested block, the
  Terraform names of its arguments with their kind (`synthesizeHclAttributes`/`...ToHclTerraform`:
  attribute or block, list/set/map/single, element type), and the computed-only attributes
  (getters preceded by `// NAME - computed: true, optional: false, required: false`).

Usage: python build_schema.py PACKAGE_DIR OUT.json
PACKAGE_DIR is the unpacked npm package (holding `.jsii` and `lib/`). The output is
{"provider": BLOCK, "resource_schemas": {TYPE: BLOCK}, "data_source_schemas": {TYPE: BLOCK}},
BLOCK = {"attributes": {NAME: {"type": CTY_TYPE, "required"/"optional"/"computed": true}},
         "block_types": {NAME: {"nesting": "list"|"set"|"single"|"map", "min_items", "max_items",
                                "block": BLOCK}}}
with CTY_TYPE in Terraform's JSON type notation ("string", ["list", "string"], ...).
"""

import json
import pathlib
import re
import sys

# Optional arguments that the provider also computes when they are not set. cdktf does not
# record "optional and computed"; these are the ones every resource of hashicorp/aws 6.x has.
OPTIONAL_COMPUTED = {"id", "region", "tags_all"}

SIMPLE_TYPES = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
    "any": "dynamic",
    "stringList": ["list", "string"],
    "numberList": ["list", "number"],
    "booleanList": ["list", "bool"],
    "stringMap": ["map", "string"],
    "numberMap": ["map", "number"],
    "booleanMap": ["map", "bool"],
    "stringMapMap": ["map", ["map", "string"]],
    "stringListList": ["list", ["list", "string"]],
    "stringMapList": ["list", ["map", "string"]],
}

# Getters of computed attributes: `return this.getStringAttribute('arn');` and the like.
GETTER_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
}
# Constructor-made collections of computed attributes: `this._x = new cdktf.StringMap(this, "x")`.
CDKTF_COLLECTIONS = {
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "AnyMap": ["map", "dynamic"],
    "StringMapList": ["list", ["map", "string"]],
    "NumberMapList": ["list", ["map", "number"]],
    "BooleanMapList": ["list", ["map", "bool"]],
    "AnyMapList": ["list", ["map", "dynamic"]],
    "StringListList": ["list", ["list", "string"]],
    "NumberListList": ["list", ["list", "number"]],
}

CLASS_RE = re.compile(r"^class (\w+) extends ([\w.]+) \{$", re.M)
FUNC_RE = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{$", re.M)
ENTRY_RE = re.compile(
    r"^\s+(\w+): \{\n\s+value: (.*),\n\s+isBlock: (true|false),\n\s+type: \"(\w+)\",\n"
    r"\s+storageClassType: \"(\w+)\",\n",
    re.M,
)
COMPUTED_GETTER_RE = re.compile(
    r"// (\w+) - computed: true, optional: false, required: false\n\s+get \w+\(\) \{\n\s+return (.*);"
)
COMPLEX_CTOR_RE = re.compile(
    r"// (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n"
    r"\s+this\._\w+ = new ([\w.]+)\(this, \"\w+\"(?:, (true|false))?\);"
)
TYPE_NAME_RE = re.compile(r"^(\w+)\.tfResourceType = \"(\w+)\";$", re.M)


def lcfirst(name):
    return name[:1].lower() + name[1:]


class Module:
    """One folder of lib/: a resource or data source, its structs and reference classes."""

    def __init__(self, folder, jsii_types):
        self.source = "\n".join(p.read_text() for p in sorted(folder.rglob("*.js")))
        self.jsii = jsii_types
        self.classes = {}  # class name -> (base, body)
        starts = list(CLASS_RE.finditer(self.source))
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(self.source)
            self.classes[m.group(1)] = (m.group(2), self.source[m.end() : end])
        self.functions = {}  # struct name -> body of its ToHclTerraform function
        for m in FUNC_RE.finditer(self.source):
            end = self.source.find("\n}\n", m.end())
            self.functions[m.group(1)] = self.source[m.end() : end]

    def jsii_props(self, interface):
        """camelCase property -> jsii property of a struct interface (by name, in any namespace)."""
        t = self.jsii.get(interface, {})
        return {p["name"]: p for p in t.get("properties", [])}

    def settable(self, body, interface, data_source):
        """Attributes and blocks from a synthesizeHclAttributes / ToHclTerraform body.

        A data source's optional arguments are also computed (the provider fills in what is
        not given, e.g. aws_region's name); a resource's only those in OPTIONAL_COMPUTED.
        """
        props = self.jsii_props(interface)
        attrs, blocks = {}, {}
        for name, value, is_block, kind, storage in ENTRY_RE.findall(body):
            camel = re.search(r"(?:this\._|struct\.)(\w+)", value)
            prop = props.get(camel.group(1)) if camel else None
            required = prop is not None and not prop.get("optional", False)
            if is_block == "true":
                func = re.search(r"(\w+)ToHclTerraform", value)
                struct = func.group(1)[:1].upper() + func.group(1)[1:]
                single_object = prop is not None and "fqn" in prop["type"]
                nesting = {"struct": "single", "list": "list", "set": "set", "map": "map"}[kind]
                inner = self.struct_block(struct)
                if nesting == "set" and any(a["type"] == "dynamic" for a in inner["attributes"].values()):
                    # cdktf collapses very deep blocks (wafv2's rule.statement) into one untyped
                    # attribute, which Terraform refuses inside a set: serve a list instead.
                    nesting = "list"
                block = {"nesting": nesting, "block": inner}
                if required and nesting in ("list", "set"):
                    block["min_items"] = 1
                if single_object and nesting in ("list", "set"):
                    block["max_items"] = 1
                blocks[name] = block
                continue
            if kind == "set" and storage.endswith("List"):
                cty = ["set", SIMPLE_TYPES[storage][1]]
            else:
                cty = SIMPLE_TYPES[storage]
            attr = {"type": cty}
            if required:
                attr["required"] = True
            else:
                attr["optional"] = True
                if data_source or name in OPTIONAL_COMPUTED:
                    attr["computed"] = True
            attrs[name] = attr
        return attrs, blocks

    def computed(self, class_name, known):
        """Computed-only attributes of a resource/data source class or an OutputReference."""
        attrs = {}
        body = self.classes.get(class_name, ("", ""))[1]
        for name, expr in COMPUTED_GETTER_RE.findall(body):
            if name in known:
                continue
            getter = re.search(r"this\.(\w+)\('", expr)
            if getter and getter.group(1) in GETTER_TYPES:
                cty = GETTER_TYPES[getter.group(1)]
                if expr.startswith("cdktf.Fn.tolist("):
                    cty = ["set", cty[1]]
                attrs[name] = {"type": cty, "computed": True}
        for name, computed, optional, _required, cls, wraps_set in COMPLEX_CTOR_RE.findall(body):
            if name in known or computed != "true":
                continue
            cty = self.complex_type(cls, wraps_set == "true")
            if cty is not None:
                attrs[name] = {"type": cty, "computed": True}
                if optional == "true":
                    attrs[name]["optional"] = True
        return attrs

    def complex_type(self, cls, wraps_set):
        """The cty type of a computed attribute held in a cdktf collection class."""
        if cls.startswith("cdktf."):
            return CDKTF_COLLECTIONS.get(cls[len("cdktf.") :], "dynamic")
        for suffix, kind in (("List", "set" if wraps_set else "list"), ("Map", "map")):
            if cls.endswith(suffix):
                return [kind, self.object_type(cls[: -len(suffix)] + "OutputReference")]
        if cls.endswith("OutputReference"):
            return self.object_type(cls)
        return None

    def object_type(self, reference_class):
        attrs = self.computed(reference_class, set())
        return ["object", {name: a["type"] for name, a in attrs.items()}]

    def struct_block(self, struct):
        body = self.functions.get(lcfirst(struct), "")
        attrs, blocks = self.settable(body, self.fqn(struct), data_source=False)
        attrs.update(self.computed(struct + "OutputReference", set(attrs) | set(blocks)))
        return {"attributes": attrs, "block_types": blocks}

    def fqn(self, name):
        return self.fqns.get(name, "")

    def top_block(self, class_name, data_source):
        body = self.classes[class_name][1]
        start = body.find("synthesizeHclAttributes() {")
        attrs, blocks = self.settable(body[start:], self.fqn(class_name + "Config"), data_source)
        attrs.update(self.computed(class_name, set(attrs) | set(blocks)))
        return {"attributes": attrs, "block_types": blocks}


def build(package_dir):
    package_dir = pathlib.Path(package_dir)
    jsii_types = json.loads((package_dir / ".jsii").read_text())["types"]
    by_folder = {}
    for fqn, t in jsii_types.items():
        filename = t.get("locationInModule", {}).get("filename", "")
        folder = filename.split("/")[1] if filename.count("/") >= 2 else None
        by_folder.setdefault(folder, {})[t["name"]] = fqn
    out = {"provider": None, "resource_schemas": {}, "data_source_schemas": {}}
    for folder in sorted((package_dir / "lib").iterdir()):
        if not folder.is_dir():
            continue
        module = Module(folder, jsii_types)
        module.fqns = by_folder.get(folder.name, {})
        for class_name, (base, _body) in module.classes.items():
            if base == "cdktf.TerraformProvider":
                block = module.top_block(class_name, data_source=False)
                block["attributes"].pop("alias", None)  # a meta-argument, not the provider's
                for attr in block["attributes"].values():  # a configuration computes nothing
                    attr.pop("computed", None)
                out["provider"] = block
        for class_name, type_name in TYPE_NAME_RE.findall(module.source):
            base = module.classes.get(class_name, ("", ""))[0]
            if base == "cdktf.TerraformResource":
                out["resource_schemas"][type_name] = module.top_block(class_name, False)
            elif base == "cdktf.TerraformDataSource":
                out["data_source_schemas"][type_name] = module.top_block(class_name, True)
    return out


def main():
    package_dir, out_path = sys.argv[1], sys.argv[2]
    schema = build(package_dir)
    if schema["provider"] is None or len(schema["resource_schemas"]) < 1000:
        sys.exit(f"build_schema: {package_dir} does not look like @cdktf/provider-aws (no provider class)")
    pathlib.Path(out_path).write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")))
    print(
        f"build_schema: {len(schema['resource_schemas'])} resources, "
        f"{len(schema['data_source_schemas'])} data sources -> {out_path}"
    )


if __name__ == "__main__":
    main()
