# Functions of scripts/check-infra.sh's step (f): Terraform against the offline aws provider.
# Sourced by check-infra.sh, which sets: work (a temporary folder, with work/offline-aws from
# infra/terraform/offline-provider/install.sh), repo_root, tf_root.
# shellcheck shell=bash

# Each job runs in the copy (no .terraform or lock file left in the repository), at most
# three at a time; its output is shown when it fails.
offline_job() { # NAME COMMAND...: run COMMAND in the background, into $work/jobs/NAME.{log,rc}
    local name="$1"
    shift
    while [ "$(jobs -rp | wc -l)" -ge 3 ]; do wait -n || true; done
    # The rc is written whatever the job's status (set -e would end the subshell before it).
    (
        rc=0
        ("$@") >"$work/jobs/$name.log" 2>&1 || rc=$?
        echo "$rc" >"$work/jobs/$name.rc"
    ) &
}
tfo() { TF_CLI_CONFIG_FILE="$work/offline-aws/terraformrc" TF_IN_AUTOMATION=1 terraform "$@"; }
init_in() { tfo -chdir="$1" init -backend=false -input=false -no-color; }
validate_and_plan() { # DIR [PLAN ARGS...]: both must pass with no warning (e.g. a deprecation)
    local dir="$1" out
    shift
    init_in "$dir" || return 1
    out="$(tfo -chdir="$dir" validate -no-color 2>&1 && tfo -chdir="$dir" plan -input=false -no-color "$@" 2>&1)" ||
        { echo "$out"; return 1; }
    echo "$out"
    if grep -q "Warning:" <<<"$out"; then
        echo "validate or plan of $dir warned: the configurations must stay warning-free"
        return 1
    fi
}
apply_then_no_changes() { # DIR [ARGS...]: validate and plan, apply (offline), then a plan must find no change
    local dir="$1"
    shift
    validate_and_plan "$dir" "$@" &&
        tfo -chdir="$dir" apply -auto-approve -input=false -no-color "$@" >/dev/null &&
        tfo -chdir="$dir" plan -detailed-exitcode -input=false -no-color "$@" | grep -E '^No changes' ||
        { echo "after apply, a plan of $dir still finds changes (or failed)"; return 1; }
}
planted_errors() { # DIR: validate must fail with exactly the planted errors, one per file
    init_in "$1" || return 1
    if tfo -chdir="$1" validate -json -no-color >"$work/planted.json"; then
        echo "terraform validate accepted $1, which holds four planted errors"
        return 1
    fi
    python3 - "$work/planted.json" <<'PY'
import json
import sys

expected = {  # file -> (summary, a phrase of the detail)
    "unknown_argument.tf": ("Unsupported argument", 'named "hash_keys" is not expected'),
    "missing_required.tf": ("Missing required argument", '"protocol_type" is required'),
    "block_as_attribute.tf": ("Unsupported argument", 'define a block of type "ttl"'),
    "unknown_attribute.tf": ("Unsupported attribute", '"websocket_endpoint"'),
}
found = {}
for d in json.load(open(sys.argv[1]))["diagnostics"]:
    found.setdefault(d.get("range", {}).get("filename"), []).append((d["summary"], d["detail"]))
bad = False
for filename, (summary, phrase) in expected.items():
    got = found.pop(filename, [])
    ok = len(got) == 1 and got[0][0] == summary and phrase in got[0][1]
    print(f"planted error in {filename}: caught" if ok else f"planted error in {filename}: NOT caught as expected: {got}")
    bad |= not ok
for filename, got in found.items():
    print(f"unexpected diagnostics for {filename}: {got}")
    bad = True
sys.exit(1 if bad else 0)
PY
}
test_in() { init_in "$1" && tfo -chdir="$1" test -no-color; }
env_dev_names() { # ENVS: envs/dev's .tf files with tests/env_dev_names, in ENVS/dev-names (beside dev)
    local dir="$1/dev-names"
    mkdir -p "$dir/tests"
    cp "$1"/dev/*.tf "$dir/"
    cp "$1"/../tests/env_dev_names/*.tftest.hcl "$dir/tests/"
    test_in "$dir"
}
git_source_plan() { # the module from a pinned git source and the package from S3: no checkout beside
    local dir="$work/git-source" rev
    if ! rev="$(git -C "$repo_root" rev-parse HEAD 2>/dev/null)"; then
        echo "git source: SKIPPED, $repo_root is not a git checkout"
        return 0
    fi
    mkdir -p "$dir"
    cat >"$dir/main.tf" <<EOF
provider "aws" {
  region = "us-east-1"
}

module "websocket_proxy" {
  source = "git::file://$repo_root//$tf_root/modules/websocket_proxy?ref=$rev"

  name                     = "wsproxy-git"
  backend_url              = "https://api.example.com"
  lambda_s3_bucket         = "my-artifacts"
  lambda_s3_key            = "wsproxy/bootstrap.zip"
  lambda_s3_object_version = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
}
EOF
    echo "git source: the module at commit $rev"
    init_in "$dir" && tfo -chdir="$dir" validate -no-color && tfo -chdir="$dir" plan -input=false -no-color
}
provider_range() { # MODULE: its aws constraint must refuse 5.25.0 and 6.29.0, take 5.26.0 and 6.28.0
    local module="$1" range="$work/range" version expect dir
    for version in 5.25.0 5.26.0 6.28.0 6.29.0; do
        # A mirror offering only VERSION (the same offline provider under that number).
        dir="$range/mirror-$version/registry.terraform.io/hashicorp/aws/$version/linux_amd64"
        mkdir -p "$dir" "$range/config-$version"
        cp "$work/offline-aws/mirror/registry.terraform.io/hashicorp/aws/6.25.0/linux_amd64/terraform-provider-aws_v6.25.0_x5" \
            "$dir/terraform-provider-aws_v${version}_x5"
        sed "s|$work/offline-aws/mirror|$range/mirror-$version|" "$work/offline-aws/terraformrc" >"$range/rc-$version"
        printf 'module "websocket_proxy" {\n  source = "%s"\n}\n' "$module" >"$range/config-$version/main.tf"
        case "$version" in 5.25.0 | 6.29.0) expect=refused ;; *) expect=accepted ;; esac
        if TF_CLI_CONFIG_FILE="$range/rc-$version" terraform -chdir="$range/config-$version" init -backend=false -input=false -no-color >"$range/init-$version.log" 2>&1; then
            got=accepted
        else
            got=refused
        fi
        echo "provider range: aws $version $got (expected $expect)"
        if [ "$got" != "$expect" ]; then
            cat "$range/init-$version.log"
            return 1
        fi
    done
}
migration() { # DIR (tests/migration): the flow of scripts/check-infra-migration.sh, offline
    local dir="$1"
    # shellcheck source=scripts/check-infra-migration.sh
    . "$repo_root/scripts/check-infra-migration.sh"
    # An import reads the object from the states named here (the offline provider has no AWS).
    export OFFLINE_AWS_IMPORT_STATE="$work/migration-variants/old.tfstate"
    migration_flow tfo "$dir" "$work/migration" "$work/copy/dist/bootstrap.zip" &&
        migration_variants tfo "$dir" "$work/migration-variants" "$work/copy/dist/bootstrap.zip"
}
