#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what the tests need, starts the
# DynamoDB-compatible servers (moto; dynalite for the 2,000-socket churn on DynamoDB) and
# stops them after, then runs every test of the
# workspace, and the contract's end-to-end suite once more in each AWS setup:
#   memory    in-process core, in-memory registry (part of the workspace run)
#   dynamodb  in-process core, DynamoDB registry
#   lambda    the real `bootstrap` under the gateway's Lambda mode, DynamoDB registry
# and finally builds the release package with cargo-lambda and zig, and checks it.
# It closes with one summary line. Safe to run again; installs are skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
# The runtime interface clients (awslambdaric, aws-lambda-ric) and SDKs the local gateway's
# example functions run with (.tools/venv-functions, .tools/node-functions).
scripts/function-runtimes.sh

log=$(mktemp)
eval "$(scripts/moto.sh start)"
trap 'scripts/moto.sh stop; scripts/dynalite.sh stop; rm -f "$log"' EXIT
eval "$(scripts/dynalite.sh start)"

status=0
run() {
    echo "== $*"
    "$@" 2>&1 | tee -a "$log" || status=1
}
# The workspace run also builds target/debug/bootstrap (wsproxy-lambda's tests use it)
# and the gateway's example function (examples are built by a plain `cargo test`).
# The later runs select with --workspace too, so that features resolve as in the first
# run and nothing is compiled twice.
run cargo test --workspace --locked --no-fail-fast
for setup in dynamodb lambda; do
    run env WSPROXY_E2E_SETUP=$setup cargo test --locked --workspace --test e2e
done
# The real package: bootstrap cross-built for provided.al2023 (glibc 2.34) and zipped.
scripts/install-package-deps.sh
# Each crate's tests are one binary, `integration`; `package::` picks the CLI's ignored
# package test (the other crates' integration binaries run nothing under that filter).
run cargo test --locked --workspace --test integration -- --ignored package::

summary=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } } END { printf "%d passed, %d failed", p, f }' "$log")
echo
echo "tests: $summary"
exit "$status"
