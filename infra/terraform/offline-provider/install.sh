#!/usr/bin/env bash
# Installs the offline aws provider (see README.md beside this file); safe to run again.
# Called by scripts/check-infra.sh. Needs python3, npm and tar; reaches PyPI and the npm
# registry only when something is missing.
#
#   infra/terraform/offline-provider/install.sh [DIR]
#
# Installs into the repository's .tools (gitignored):
#   .tools/venv-tf-provider              the PyPI package tf and its dependencies (requirements.txt)
#   .tools/offline-aws/cdktf-provider-aws-21.22.1.tgz   the npm package, checked against its sha512
#   .tools/offline-aws/schema.json       the aws 6.25.0 schema built from it (build_schema.py)
# and into DIR (default .tools/offline-aws), with absolute paths to this checkout:
#   DIR/mirror/registry.terraform.io/hashicorp/aws/6.25.0/linux_amd64/
#       terraform-provider-aws_v6.25.0_x5    the executable Terraform starts (runs provider.py)
#   DIR/terraformrc                      the CLI configuration taking hashicorp/aws from that mirror
#                                        (use it with TF_CLI_CONFIG_FILE)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$repo_root"

here="infra/terraform/offline-provider"
tools=".tools/offline-aws"
venv=".tools/venv-tf-provider"
npm_package="@cdktf/provider-aws"
npm_version="21.22.1" # generated from hashicorp/aws 6.25.0
npm_integrity="sha512-BuSHeaQFUL9l33pBzIMRT7cTQ69AM2mLtijjteCPhVQRmvuhuj9Lvfymf7knAMhYqAT6+Lrls9jiGVW/Us3zrQ=="
aws_version="6.25.0"
tgz="$tools/cdktf-provider-aws-$npm_version.tgz"

log() { echo "offline-provider: $*"; }

mkdir -p "$tools"

# 1. The Python packages, pinned.
if [ -x "$venv/bin/python" ] && "$venv/bin/python" - "$here/requirements.txt" <<'PY' >/dev/null 2>&1; then
import importlib.metadata as m
import sys

for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, version = line.split("==")
        if m.version(name) != version:
            sys.exit(1)
PY
    log "tf and its dependencies present in $venv"
else
    log "installing tf into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

# 2. The schema, rebuilt when the npm package or build_schema.py changes.
stamp="$npm_version $(sha256sum "$here/build_schema.py" | cut -c1-64)"
if [ -f "$tools/schema.json" ] && [ "$(cat "$tools/schema.stamp" 2>/dev/null)" = "$stamp" ]; then
    log "schema of hashicorp/aws $aws_version present in $tools/schema.json"
else
    if [ ! -f "$tgz" ]; then
        log "downloading $npm_package@$npm_version (37 MB) with npm pack"
        (cd "$tools" && npm pack --silent "$npm_package@$npm_version" >/dev/null)
    fi
    actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
    if [ "$actual" != "$npm_integrity" ]; then
        rm -f "$tgz"
        log "FAIL: $tgz is not $npm_package@$npm_version (sha512 differs); removed it, run again" >&2
        exit 1
    fi
    log "building the schema from $npm_package@$npm_version (about 30 s)"
    unpacked="$(mktemp -d)"
    tar -xzf "$tgz" -C "$unpacked" --wildcards 'package/.jsii' 'package/lib/*.js'
    python3 "$here/build_schema.py" "$unpacked/package" "$tools/schema.json"
    rm -rf "$unpacked" "$tools/schema.pb"
    echo "$stamp" >"$tools/schema.stamp"
fi

# 3. The mirror's executable and the CLI configuration (absolute paths: rewritten every time).
out_dir="$(mkdir -p "${1:-$tools}" && cd "${1:-$tools}" && pwd)"
mirror="$out_dir/mirror"
bin_dir="$mirror/registry.terraform.io/hashicorp/aws/$aws_version/linux_amd64"
mkdir -p "$bin_dir"
cat >"$bin_dir/terraform-provider-aws_v${aws_version}_x5" <<EOF
#!/bin/sh
# The offline aws provider ($here/README.md). Written by $here/install.sh.
exec "$repo_root/$venv/bin/python" -B "$repo_root/$here/provider.py" "$repo_root/$tools/schema.json" "\$@"
EOF
chmod +x "$bin_dir/terraform-provider-aws_v${aws_version}_x5"
cat >"$out_dir/terraformrc" <<EOF
# Terraform CLI configuration: hashicorp/aws from the offline provider, nothing downloaded.
# Written by $here/install.sh.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
EOF
log "hashicorp/aws $aws_version (offline) in $mirror; CLI configuration $out_dir/terraformrc"
