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
# (The runtime interface clients and AWS SDKs that test functions run with are
# scripts/function-runtimes.sh's: .tools/venv-functions, .tools/node-functions.)
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
echo "install-test-deps: done"
