#!/usr/bin/env bash
# Static and offline checks of the Terraform under infra/terraform; safe to run again.
#
#   scripts/check-infra.sh            # install what is missing, then check
#   scripts/check-infra.sh --install  # only install the tools
#
# Installs, when absent (gitignored through /.tools):
#   - checkov (PyPI) into the venv .tools/venv-infra;
#   - python-hcl2 (PyPI) into .tools/venv-infra/python-hcl2, a folder of its own: checkov
#     depends on bc-python-hcl2, a fork installing the same `hcl2` module, and installed side
#     by side one would overwrite the other's files;
#   - the offline aws provider (infra/terraform/offline-provider/install.sh): tf (PyPI) into
#     .tools/venv-tf-provider, @cdktf/provider-aws 21.22.1 (npm) into .tools/offline-aws and
#     the hashicorp/aws 6.25.0 schema built from it, a filesystem mirror and a CLI config.
# Then:
#   (a) terraform fmt -check -recursive infra/terraform;
#   (b) parses every .tf file with python-hcl2; a parse error fails, naming the file;
#   (c) checkov on the module and on envs/dev; any failed check fails. Checks that do not
#       apply are skipped inline in the .tf files (`#checkov:skip=CKV_...:reason`), never here;
#   (d) `terraform test` on the parts that need no provider, in temporary folders:
#       the module's variables.tf with infra/terraform/tests/module_variables (the validation
#       rules of the three deployment options), and envs/dev's variables.tf + package.tf with
#       infra/terraform/tests/env_dev_package (how websocket_lambda_package resolves).
#   (e) the module README's inputs and outputs tables have a row for every variable and output,
#       and the descriptions that must warn (account-wide setting, encryption key) do;
#   (f) with the offline aws provider (hashicorp/aws 6.25.0's schema, nothing downloaded),
#       in a copy of infra/terraform: `terraform validate` and `terraform plan` of envs/dev
#       and the three examples, with no warning (envs/dev also applied, after which a plan
#       must find no change; and, in a copy, tests/env_dev_names: its name inputs and
#       existing_api_id reach the module, the defaults unchanged); `terraform validate` of
#       tests/planted_errors, which must fail with exactly its four planted errors;
#       `terraform test` (apply mode) of the module's tests/ and of the hybrid example's;
#       the module's aws version range (init must refuse 5.25.0 and 6.29.0); a plan of the
#       module from a pinned git source (this checkout's HEAD) with the package from S3; the
#       migration from the Python proxy's layout as found in the field (tests/migration,
#       docs/MIGRATING.md, scripts/check-infra-migration.sh): its old layout applied (its
#       defects, no index and no CloudWatch role, must fail the readiness check), then step 0,
#       steps 1-4, their rollback, steps 1-4 again, step 5 and its rollback, each planned,
#       checked, applied and planned again (no change); the existing_api_id variant planned
#       into a new state, the import variant applied on both sides: no destroy or replace of
#       the API, stage, routes or table, nothing else that reads the API changed;
#   (g) the function's IAM grants match modules/websocket_proxy/function_calls.json, and that
#       file matches the AWS calls in the function's Rust code;
#   (h) the offline provider's unit tests (infra/terraform/offline-provider/test_*.py).
#   (i) the module's alarms and dashboard name only metrics the code emits
#       (scripts/check-alarm-metrics.py on envs/dev's applied state, against metrics.json); the
#       check must catch exactly the planted mistakes of tests/planted_metrics/show.json;
#       docs/OPERATING.md must name every metric and every alarm.
#   (j) the real aws provider (hashicorp/aws 5.100.0 from /opt/tf-plugins) against moto's
#       server: scripts/check-infra-moto.sh (envs/dev and the examples applied, then a plan
#       that must be empty; the migration and its rollbacks applied step by step). Skipped,
#       with a message, where the plugin folder is absent.
# (a), (d) and (f) are skipped, with a message, when there is no `terraform` binary on PATH.
# Needs no AWS credentials, and no network except PyPI and npm for the first install.
# Time on the 2-core CI machine: about 2 minutes with the tools installed (checkov and the
# offline jobs of (f) take most of it; (f) runs three jobs at a time), plus (j)'s, plus about 2 minutes
# for the first install (checkov, tf, the 37 MB npm package and the schema built from it).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

venv=".tools/venv-infra"
hcl2_dir="$venv/python-hcl2"
tf_root="infra/terraform"
checkov_dirs=("$tf_root/modules/websocket_proxy" "$tf_root/envs/dev")

log() { echo "check-infra: $*"; }
hcl2_python() { PYTHONPATH="$repo_root/$hcl2_dir" "$venv/bin/python" "$@"; }
# Terraform warns on every command when its CLI config file is missing; an empty one
# (/dev/null) silences that. An existing config is kept.
tf_config="${TF_CLI_CONFIG_FILE:-$HOME/.terraformrc}"
if [ ! -e "$tf_config" ]; then
    tf_config=/dev/null
fi
tf() { TF_CLI_CONFIG_FILE="$tf_config" TF_IN_AUTOMATION=1 terraform "$@"; }

install_tools() {
    if [ ! -x "$venv/bin/python" ]; then
        log "creating $venv"
        mkdir -p "$(dirname "$venv")"
        python3 -m venv "$venv"
    fi
    if [ -x "$venv/bin/checkov" ] && "$venv/bin/python" -c 'import importlib.metadata as m; m.version("checkov")' >/dev/null 2>&1; then
        log "checkov present in $venv"
    else
        log "installing checkov into $venv (about a minute the first time)"
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'checkov>=3,<4'
    fi
    if hcl2_python -c 'import sys, hcl2; sys.exit(0 if hcl2.__file__.startswith(sys.argv[1]) else 1)' \
        "$repo_root/$hcl2_dir" >/dev/null 2>&1; then
        log "python-hcl2 present in $hcl2_dir"
    else
        log "installing python-hcl2 into $hcl2_dir"
        rm -rf "$hcl2_dir"
        "$venv/bin/pip" install --quiet --disable-pip-version-check --target "$hcl2_dir" \
            'python-hcl2>=7,<8'
    fi
}

install_tools
if command -v terraform >/dev/null 2>&1 || [ "${1:-}" = "--install" ]; then
    infra/terraform/offline-provider/install.sh
else
    log "offline aws provider not installed: no \`terraform\` binary on PATH to use it"
fi
if [ "${1:-}" = "--install" ]; then
    exit 0
fi

failed=0
have_terraform=0
if command -v terraform >/dev/null 2>&1; then
    have_terraform=1
fi

# (a) formatting
if [ "$have_terraform" -eq 1 ]; then
    log "(a) terraform fmt -check -recursive $tf_root"
    if ! tf fmt -check -recursive -diff "$tf_root"; then
        log "FAIL: the files above need \`terraform fmt -recursive $tf_root\`"
        failed=1
    fi
else
    log "(a) SKIPPED: no \`terraform\` binary on PATH, formatting not checked"
fi

# (b) every .tf file parses
log "(b) parsing every .tf file under $tf_root with python-hcl2"
if ! hcl2_python - "$tf_root" <<'PY'; then
import pathlib
import sys

import hcl2

root = pathlib.Path(sys.argv[1])
files = sorted(p for p in root.rglob("*.tf") if ".terraform" not in p.parts)
bad = 0
for path in files:
    try:
        with path.open() as fh:
            hcl2.load(fh)
    except Exception as exc:  # the parser raises several types; any is a failure
        bad += 1
        print(f"check-infra: parse error in {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
if not files:
    print(f"check-infra: no .tf files found under {root}", file=sys.stderr)
    sys.exit(1)
print(f"check-infra: parsed {len(files)} .tf files, {bad} with errors")
sys.exit(1 if bad else 0)
PY
    failed=1
fi

# (c) checkov
for dir in "${checkov_dirs[@]}"; do
    log "(c) checkov -d $dir"
    # The env's module source is a local path: nothing to download.
    if ! "$venv/bin/checkov" -d "$dir" --framework terraform --quiet --compact \
        --download-external-modules false --skip-download; then
        log "FAIL: checkov found failed checks in $dir"
        failed=1
    fi
done

# (d) terraform test on provider-free copies
run_tf_test() { # NAME DIR: init (no provider, no network) and test in DIR
    local name="$1" dir="$2" out
    out="$(mktemp)"
    if tf -chdir="$dir" init -backend=false -input=false -no-color >"$out" 2>&1 &&
        tf -chdir="$dir" test -no-color >>"$out" 2>&1; then
        log "(d) $name: $(grep -E '^(Success|Failure)!' "$out" || echo passed)"
    else
        cat "$out" >&2
        log "FAIL: terraform test $name"
        failed=1
    fi
    rm -f "$out"
}
if [ "$have_terraform" -eq 1 ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT

    m="$work/module_variables"
    mkdir -p "$m/tests" "$m/dist"
    cp "$tf_root/modules/websocket_proxy/variables.tf" "$m/"
    cp "$tf_root"/tests/module_variables/*.tftest.hcl "$m/tests/"
    : >"$m/dist/bootstrap.zip" # only its existence matters to the rules
    run_tf_test "module variable validation" "$m"

    e="$work/repo/$tf_root/envs/dev"
    mkdir -p "$e/tests" "$work/repo/dist"
    cp "$tf_root/envs/dev/variables.tf" "$tf_root/envs/dev/package.tf" "$e/"
    cp "$tf_root"/tests/env_dev_package/*.tftest.hcl "$e/tests/"
    : >"$work/repo/dist/bootstrap.zip"
    run_tf_test "envs/dev package path" "$e"
else
    log "(d) SKIPPED: no \`terraform\` binary on PATH, validation rules and path resolution not tested"
fi

# (e) the module README's inputs and outputs tables name every variable and output
log "(e) modules/websocket_proxy/README.md lists every variable and output; descriptions state what they must"
if ! hcl2_python - "$tf_root/modules/websocket_proxy" <<'PY'; then
import pathlib
import sys

import hcl2

module = pathlib.Path(sys.argv[1])
readme = (module / "README.md").read_text()
missing = []
for kind, file in (("input", "variables.tf"), ("output", "outputs.tf")):
    with (module / file).open() as fh:
        blocks = hcl2.load(fh).get("variable" if kind == "input" else "output", [])
    for block in blocks:
        for name in block:
            if f'<a name="{kind}_{name}"></a>' not in readme:
                missing.append(f"{kind} {name}")
for item in missing:
    print(f"check-infra: README.md has no table row for {item}", file=sys.stderr)
# Facts a description must state, or must not (issue 9, defect 8).
with (module / "variables.tf").open() as fh:
    descriptions = {k: v["description"] for b in hcl2.load(fh)["variable"] for k, v in b.items()}
wrong = []
for name, must, must_not in (
    ("create_apigateway_cloudwatch_role", "`terraform destroy`", None),
    ("kms_key_arn", "AWS-managed key aws/dynamodb", "AWS-owned"),
):
    if must not in descriptions[name] or (must_not and must_not in descriptions[name]):
        wrong.append(name)
        print(f"check-infra: the description of {name} must say {must!r}" + (f", not {must_not!r}" if must_not else ""), file=sys.stderr)
sys.exit(1 if missing or wrong else 0)
PY
    failed=1
fi

# (f) the real configurations and the tests, with the offline aws provider (the jobs:
# scripts/check-infra-offline.sh)
# shellcheck source=scripts/check-infra-offline.sh
. scripts/check-infra-offline.sh
if [ "$have_terraform" -eq 1 ]; then
    log "(f) offline aws provider: validate, plan, planted errors, terraform test"
    mkdir -p "$work/jobs" "$work/copy/dist"
    infra/terraform/offline-provider/install.sh "$work/offline-aws" >/dev/null
    tar -c --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' "$tf_root" |
        tar -x -C "$work/copy"
    # envs/dev and the managed example take the package from <repo>/dist/bootstrap.zip.
    cp "$tf_root/modules/websocket_proxy/tests/fixtures/bootstrap.zip" "$work/copy/dist/"
    c="$work/copy/$tf_root"
    examples="$c/modules/websocket_proxy/examples"
    offline_job "module tests" test_in "$c/modules/websocket_proxy"
    offline_job "planted errors" planted_errors "$c/tests/planted_errors"
    offline_job "envs-dev plan, apply, plan" apply_then_no_changes "$c/envs/dev" -var backend_url=https://api.example.com
    offline_job "envs-dev names and existing API" env_dev_names "$c/envs"
    offline_job "example-managed plan" validate_and_plan "$examples/managed" -var backend_url=https://api.example.com
    offline_job "example-existing-function plan" validate_and_plan "$examples/existing-function"
    offline_job "example-hybrid plan" validate_and_plan "$examples/hybrid"
    offline_job "example-hybrid tests" test_in "$examples/hybrid"
    offline_job "provider range" provider_range "$c/modules/websocket_proxy"
    offline_job "git source and S3 package plan" git_source_plan
    offline_job "migration from the Python proxy" migration "$c/tests/migration"
    wait
    for log_file in "$work"/jobs/*.log; do
        name="$(basename "$log_file" .log)"
        if [ "$(cat "$work/jobs/$name.rc" 2>/dev/null)" = 0 ]; then
            log "(f) $name: $(grep -E '^(Success|Failure)!|^Plan:|^No changes|caught|^provider range|^git source|^migration:' "$work/jobs/$name.log" | tr '\n' ' ')"
        else
            cat "$work/jobs/$name.log" >&2
            log "FAIL: (f) $name"
            failed=1
        fi
    done
else
    log "(f) SKIPPED: no \`terraform\` binary on PATH, the configurations are not validated or planned against the aws provider's schema"
fi

# (g) the function's calls: function_calls.json against the Rust code (the module's policy is
# tested against function_calls.json in (f))
log "(g) modules/websocket_proxy/function_calls.json matches the function's AWS calls in the code"
if ! python3 scripts/check-function-calls.py; then
    log "FAIL: function_calls.json and the function's code differ"
    failed=1
fi

# (h) the offline provider's own unit tests (policy rendering, fake values)
log "(h) offline provider unit tests"
if ! OFFLINE_AWS_SCHEMA="$(ls .tools/offline-aws/schema.json 2>/dev/null)" \
    python3 -B -m unittest discover -s infra/terraform/offline-provider -p 'test_*.py'; then
    log "FAIL: the offline provider's unit tests"
    failed=1
fi

# (i) the alarms and the dashboard name only metrics the code emits (metrics.json)
log "(i) the module's alarms and dashboard name only metrics in metrics.json"
if [ "$have_terraform" -eq 1 ]; then
    if ! { tfo -chdir="$c/envs/dev" show -json -no-color >"$work/dev-show.json" &&
        python3 scripts/check-alarm-metrics.py "$work/dev-show.json"; }; then
        log "FAIL: envs/dev's alarms or dashboard name a metric the code does not emit (or its state is missing)"
        failed=1
    fi
else
    log "(i) SKIPPED: no \`terraform\` binary on PATH, the rendered alarms are not checked"
fi
planted="$tf_root/tests/planted_metrics"
planted_out="$(mktemp)"
if python3 scripts/check-alarm-metrics.py "$planted/show.json" 2>"$planted_out" >/dev/null; then
    log "FAIL: check-alarm-metrics.py accepted $planted/show.json, which names metrics the code does not emit"
    failed=1
elif ! diff -u "$planted/expected.txt" "$planted_out"; then
    log "FAIL: check-alarm-metrics.py did not report exactly the planted mistakes of $planted/expected.txt"
    failed=1
else
    log "(i) planted metric mistakes: $(wc -l <"$planted_out") caught"
fi
rm -f "$planted_out"

# (j) the real aws provider against moto (its own server, on a free port)
log "(j) hashicorp/aws 5.100.0 against moto: scripts/check-infra-moto.sh"
if ! scripts/check-infra-moto.sh; then
    log "FAIL: (j) the real aws provider against moto"
    failed=1
fi

if [ "$failed" -ne 0 ]; then
    log "FAILED"
    exit 1
fi
log "all checks passed"
