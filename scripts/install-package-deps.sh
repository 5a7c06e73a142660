#!/usr/bin/env bash
# Installs what `wsproxy package` builds with: cargo-lambda and zig, both from PyPI, into
# .tools/venv-lambda (so the binary links against provided.al2023's glibc 2.34 from any
# Linux). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.tools/venv-lambda
# cargo-lambda is a cargo subcommand: run on its own it takes `lambda` first, as cargo passes it.
versions() {
    echo "$("$venv/bin/cargo-lambda" lambda --version) and zig $("$venv/bin/python" -m ziglang version)"
}
if [ -x "$venv/bin/cargo-lambda" ] && "$venv/bin/python" -c 'import ziglang' 2>/dev/null; then
    echo "install-package-deps: present in $venv: $(versions)"
    exit 0
fi
command -v python3 >/dev/null || { echo "install-package-deps: python3 is required" >&2; exit 1; }
mkdir -p .tools
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "cargo-lambda==1.9.2" "ziglang==0.17.1"
echo "install-package-deps: installed $(versions)"
