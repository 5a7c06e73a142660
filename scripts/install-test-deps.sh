#!/usr/bin/env bash
# Installs what the tests need, and nothing else; safe to run again.
#
#   scripts/install-test-deps.sh
#
# - Debian's `chromium` package (/usr/bin/chromium), when absent: apt-get update + install
#   (run as root, or with sudo available).
# - The npm package `playwright-core` (no browser download) into .tools/node, when absent.
# - moto's server (PyPI) into .tools/venv, when absent (scripts/moto.sh install).
# - dynalite (npm) into .tools/dynalite, when absent (scripts/dynalite.sh install).
# - boto3 (PyPI) into .tools/venv-functions and the AWS SDK v3's
#   @aws-sdk/client-apigatewaymanagementapi (npm) into .tools/node-functions, when absent:
#   the gateway's test functions post to @connections over HTTPS with them, as on Lambda.
#
# The browser tests then run with, e.g.:
#   node tests/browser/demo_chat.mjs http://127.0.0.1:8080/
# (they load playwright-core from .tools/node themselves; NODE_PATH does not apply to ES modules).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "install-test-deps: need root (or sudo) to run: $*" >&2
        exit 1
    fi
}

if [ -x /usr/bin/chromium ]; then
    echo "install-test-deps: chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
else
    echo "install-test-deps: installing Debian's chromium package"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
    if [ ! -x /usr/bin/chromium ]; then
        echo "install-test-deps: apt-get installed chromium but /usr/bin/chromium is missing" >&2
        exit 1
    fi
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-test-deps: node and npm are required (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi

if [ -f .tools/node/node_modules/playwright-core/package.json ]; then
    echo "install-test-deps: playwright-core present in .tools/node"
else
    echo "install-test-deps: installing playwright-core into .tools/node"
    mkdir -p .tools/node
    # playwright-core never downloads a browser; the tests use /usr/bin/chromium.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix .tools/node --no-audit --no-fund playwright-core@1
fi
# The DynamoDB- and Lambda-compatible server of the AWS tests (moto, into .tools/venv), and
# dynalite for the one test moto is too slow for (into .tools/dynalite).
scripts/moto.sh install
scripts/dynalite.sh install
if .tools/venv-functions/bin/python3 -c 'import boto3' 2>/dev/null; then
    echo "install-test-deps: boto3 present in .tools/venv-functions"
else
    echo "install-test-deps: installing boto3 into .tools/venv-functions"
    [ -x .tools/venv-functions/bin/python3 ] || python3 -m venv .tools/venv-functions
    .tools/venv-functions/bin/python3 -m pip install --quiet --disable-pip-version-check 'boto3==1.*'
fi
if [ -f .tools/node-functions/node_modules/@aws-sdk/client-apigatewaymanagementapi/package.json ]; then
    echo "install-test-deps: @aws-sdk/client-apigatewaymanagementapi present in .tools/node-functions"
else
    echo "install-test-deps: installing @aws-sdk/client-apigatewaymanagementapi into .tools/node-functions"
    mkdir -p .tools/node-functions
    npm install --prefix .tools/node-functions --no-audit --no-fund '@aws-sdk/client-apigatewaymanagementapi@3'
fi
echo "install-test-deps: done"
