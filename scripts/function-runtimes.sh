#!/usr/bin/env bash
# What the local gateway's example functions need (examples/local-gateway), installed into
# .tools/ (gitignored) so the tests that run them find it; safe to run again, quick when
# everything is there.
#
#   scripts/function-runtimes.sh            # installs what is absent
#   eval "$(scripts/function-runtimes.sh env)"  # prints `export WSPROXY_FUNCTIONS_*=...`
#
# - .tools/venv-functions: a Python virtualenv with awslambdaric (the runtime interface
#   client `wsproxy serve` starts python3.x functions with) and boto3 (what the Python chat
#   app imports, as Lambda's Python runtime provides it).
# - .tools/node-functions: node_modules with aws-lambda-ric (the same for nodejs*) and the
#   AWS SDK v3 clients the Node chat app imports. aws-lambda-ric ships no prebuilt native
#   client (rapid-client.node, which it loads at start, whichever HTTP client it then uses):
#   its install scripts build it from the sources in the package (curl, aws-lambda-cpp,
#   node-gyp against the headers of the installed node), which takes minutes and needs
#   cmake, make, g++, autoconf, automake and libtool (installed with apt-get when absent).
#
# The tests read these fixed paths (or WSPROXY_FUNCTIONS_PYTHON / WSPROXY_FUNCTIONS_NODE_MODULES).
# Messages go to stderr.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.tools/venv-functions"
node_dir="$repo_root/.tools/node-functions"
python_specs=("awslambdaric==4.*" "boto3==1.*")
# aws-lambda-ric 4 needs node 22; 3.x runs on node 20 too.
node_specs=("aws-lambda-ric@3" "@aws-sdk/client-apigatewaymanagementapi@3" "@aws-sdk/client-dynamodb@3")
native="$node_dir/node_modules/aws-lambda-ric/dist/rapid-client.node"
build_tools=(cmake make g++ autoconf automake libtoolize)

say() { echo "function-runtimes: $*" >&2; }
die() { say "$*"; exit 1; }

install_python() {
    if "$venv/bin/python3" -c 'import awslambdaric, boto3' 2>/dev/null; then
        say "awslambdaric and boto3 present in $venv"
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 is required (Debian: apt-get install python3 python3-venv)"
    [ -x "$venv/bin/python3" ] || python3 -m venv "$venv" >&2 ||
        die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    say "installing ${python_specs[*]} into $venv"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "${python_specs[@]}" >&2
    "$venv/bin/python3" -c 'import awslambdaric, boto3' ||
        die "pip installed ${python_specs[*]} but $venv/bin/python3 cannot import them"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

install_build_tools() {
    local missing=() t
    for t in "${build_tools[@]}"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "building aws-lambda-ric's native client needs ${missing[*]}: installing Debian's build tools"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        cmake make g++ autoconf automake libtool >&2
}

install_node() {
    local have=1 m
    for m in aws-lambda-ric @aws-sdk/client-apigatewaymanagementapi @aws-sdk/client-dynamodb; do
        [ -f "$node_dir/node_modules/$m/package.json" ] || have=0
    done
    if [ "$have" = 1 ] && [ -f "$native" ]; then
        say "aws-lambda-ric (with its native client) and the AWS SDK clients present in $node_dir"
        return 0
    fi
    command -v npm >/dev/null 2>&1 || die "node and npm are required (Debian: apt-get install nodejs npm)"
    install_build_tools
    mkdir -p "$node_dir"
    [ -f "$node_dir/package.json" ] || echo '{"private":true}' >"$node_dir/package.json"
    # An earlier install without the native client: build it afresh.
    [ -f "$native" ] || rm -rf "$node_dir/node_modules/aws-lambda-ric"
    say "installing ${node_specs[*]} into $node_dir (building aws-lambda-ric's native client takes minutes)"
    # node-gyp builds against the installed node's headers when it has them (Debian's
    # nodejs does), rather than downloading them.
    local nodedir
    nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
    [ -f "$nodedir/include/node/node_api.h" ] && export npm_config_nodedir="$nodedir"
    (cd "$node_dir" && npm install --no-audit --no-fund --foreground-scripts "${node_specs[@]}" >&2) ||
        die "npm install ${node_specs[*]} failed in $node_dir (its output is above)"
    [ -f "$native" ] ||
        die "npm installed aws-lambda-ric but its native client $native is missing"
}

case "${1:-install}" in
    install)
        install_python
        install_node
        ;;
    env)
        echo "export WSPROXY_FUNCTIONS_PYTHON=$venv/bin/python3"
        echo "export WSPROXY_FUNCTIONS_NODE_MODULES=$node_dir/node_modules"
        ;;
    *)
        echo "usage: scripts/function-runtimes.sh [install|env]" >&2
        exit 2
        ;;
esac
