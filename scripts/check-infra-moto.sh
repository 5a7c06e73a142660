#!/usr/bin/env bash
# The Terraform under infra/terraform against the real aws provider (hashicorp/aws 5.100.0 from
# the local plugin folder /opt/tf-plugins) and a local AWS (moto's server), issue 21 item 6:
#
#   scripts/check-infra-moto.sh            # every check
#   scripts/check-infra-moto.sh migration  # only the named ones (envs-dev, example-existing-function,
#                                          # example-hybrid, migration, migration-variants)
#
# Starts its own moto server on a free port (never the tests' one, see scripts/moto.sh) and
# stops it on exit. In a copy of infra/terraform, each layout in its own moto account (moto
# takes the access key MOTOACCT<12 digits> as that account, tests/moto/server.py), so they
# cannot see each other:
#   - envs/dev, the module's Option 2 and Option 3 examples (existing-function, hybrid, with
#     the function they expect made first by tests/moto/existing_function): `terraform apply`,
#     then `terraform plan -detailed-exitcode`, which must find no change;
#   - the migration from the Python proxy's layout (tests/migration, scripts/check-infra-migration.sh):
#     the old layout applied, every step of docs/MIGRATING.md and its rollback applied, each
#     followed by a plan that must be empty; against another copy of the old layout, the
#     attach-by-id variant planned (real imports) and the import variant applied on both sides.
# Where the plugin folder is absent it says so and exits 0 (the offline checks still run).
# Needs moto in .tools/venv (scripts/moto.sh install) and python3; no network, no credentials.
set -euo pipefail
only=("$@")

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

tf_root="infra/terraform"
plugins="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
aws_version="5.100.0"
moto_python=".tools/venv/bin/python"
# moto's server with the API Gateway v2 UpdateStage it lacks (see the file).
moto_server="$tf_root/tests/moto/server.py"

log() { echo "check-infra-moto: $*"; }

if [ ! -d "$plugins/registry.terraform.io/hashicorp/aws/$aws_version" ]; then
    log "SKIPPED: no hashicorp/aws $aws_version in the plugin folder $plugins; the real provider is not run against moto (the offline checks still run)"
    exit 0
fi
if ! command -v terraform >/dev/null 2>&1; then
    log "SKIPPED: no \`terraform\` binary on PATH"
    exit 0
fi
if [ ! -x .tools/venv/bin/moto_server ]; then
    scripts/moto.sh install
fi

work="$(mktemp -d)"
moto_pid=""
cleanup() {
    if [ -n "$moto_pid" ]; then
        kill "$moto_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$plugins"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
EOF

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
# Not a job of this shell (the jobs below are counted): its pid is kept to stop it.
# MOTO_IAM_LOAD_MANAGED_POLICIES: AWS's managed policies (AWSLambdaBasicExecutionRole,
# AmazonAPIGatewayPushToCloudWatchLogs) exist, as in an account; moto leaves them out unless told.
moto_pid="$( (MOTO_IAM_LOAD_MANAGED_POLICIES=true "$moto_python" -B "$moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 </dev/null & echo $!) )"
endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)' "$endpoint" 2>/dev/null; then
        break
    fi
    kill -0 "$moto_pid" 2>/dev/null || { cat "$work/moto.log" >&2; log "FAIL: moto_server exited at start"; exit 1; }
    sleep 0.1
done
log "moto on $endpoint (pid $moto_pid), hashicorp/aws $aws_version from $plugins"

# The provider reads the endpoint and the credentials from the environment: the
# configurations are the ones the offline checks and the users run, unchanged.
export AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 TF_PLUGIN_CACHE_DIR=""
# A provider that retries an error moto keeps answering would wait for many minutes.
export AWS_MAX_ATTEMPTS=3
tfm() { timeout 600 terraform "$@"; }
in_account() { # ACCOUNT COMMAND...: COMMAND with moto's account ACCOUNT (12 digits)
    local account="$1"
    shift
    AWS_ACCESS_KEY_ID="MOTOACCT$account" "$@"
}
init_in() { tfm -chdir="$1" init -backend=false -input=false -no-color >/dev/null; }
apply_then_empty_plan() { # DIR [ARGS...]: apply, then a plan must find no change
    local dir="$1"
    shift
    init_in "$dir" &&
        tfm -chdir="$dir" apply -auto-approve -input=false -no-color "$@" >"$dir.apply.log" 2>&1 ||
        { cat "$dir.apply.log"; echo "apply of $dir failed"; return 1; }
    local rc=0
    tfm -chdir="$dir" plan -detailed-exitcode -input=false -no-color "$@" >"$dir.plan.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$dir.plan.log"
        echo "after apply, a plan of $dir is not empty (exit $rc)"
        return 1
    fi
    echo "$(basename "$dir"): applied, then no changes"
}

mkdir -p "$work/copy/dist" "$work/jobs"
tar -c --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' "$tf_root" |
    tar -x -C "$work/copy"
zip="$work/copy/dist/bootstrap.zip"
cp "$tf_root/modules/websocket_proxy/tests/fixtures/bootstrap.zip" "$zip"
c="$work/copy/$tf_root"
examples="$c/modules/websocket_proxy/examples"

existing_function_example() { # EXAMPLE: the function it expects made first, then the example
    local setup="$work/setup-$1"
    cp -r "$c/tests/moto/existing_function" "$setup"
    init_in "$setup" && tfm -chdir="$setup" apply -auto-approve -input=false -no-color -var "package=$zip" >/dev/null ||
        { echo "making the existing function for $1 failed"; return 1; }
    apply_then_empty_plan "$examples/$1"
}

# shellcheck source=scripts/check-infra-migration.sh
. scripts/check-infra-migration.sh

job() { # NAME ACCOUNT COMMAND...: at most two at a time (2 cores), output in $work/jobs
    local name="$1" account="$2"
    shift 2
    if [ "${#only[@]}" -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then
        return 0
    fi
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
    (
        rc=0
        (in_account "$account" "$@") >"$work/jobs/$name.log" 2>&1 || rc=$?
        echo "$rc" >"$work/jobs/$name.rc"
    ) &
}
start=$SECONDS
# The migration first: the longest (seven steps of three terraform runs each).
job "migration" 444444444444 migration_flow tfm "$c/tests/migration" "$work/migration" "$zip"
job "envs-dev" 111111111111 apply_then_empty_plan "$c/envs/dev" -var backend_url=https://api.example.com
job "example-existing-function" 222222222222 existing_function_example existing-function
job "example-hybrid" 333333333333 existing_function_example hybrid
job "migration-variants" 555555555555 migration_variants tfm "$c/tests/migration" "$work/migration-variants" "$zip"
wait

failed=0
for log_file in "$work"/jobs/*.log; do
    name="$(basename "$log_file" .log)"
    if [ "$(cat "$work/jobs/$name.rc" 2>/dev/null)" = 0 ]; then
        log "$name: $(grep -E 'no changes$|^migration:' "$work/jobs/$name.log" | tr '\n' ' ')"
    else
        cat "$work/jobs/$name.log" >&2
        log "FAIL: $name"
        failed=1
    fi
done
log "took $((SECONDS - start)) s"
if [ "$failed" -ne 0 ]; then
    log "FAILED"
    exit 1
fi
log "all checks passed"
