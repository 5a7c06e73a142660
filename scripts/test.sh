#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what the tests need, then runs
# every test of the workspace. Safe to run again; installs are skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
cargo test --workspace --locked
