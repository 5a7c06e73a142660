#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what the tests need, then runs
# every test of the workspace and closes with one summary line. Safe to run again;
# installs are skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --all-targets --locked 2>&1 | tee "$log" || status=$?
summary=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } } END { printf "%d passed, %d failed", p, f }' "$log")
echo
echo "tests: $summary"
exit "$status"
