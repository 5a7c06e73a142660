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
    ( ("$@") >"$work/jobs/$name.log" 2>&1; echo $? >"$work/jobs/$name.rc" ) &
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
migration() { # DIR (tests/migration): the old layout applied, then the migration planned against its state
    local dir="$1" zip="$work/copy/dist/bootstrap.zip" json="$work/migration"
    local check=(python3 -B "$dir/check_migration.py")
    init_in "$dir/old" && tfo -chdir="$dir/old" apply -auto-approve -input=false -no-color -var "lambda_zip=$zip" >/dev/null ||
        { echo "migration: applying the old layout failed"; return 1; }
    echo "migration: old layout applied"
    # Steps 2-4 (docs/MIGRATING.md) in the old root's state: plan, check, apply, check.
    cp "$dir/old/terraform.tfstate" "$dir/migrate/"
    init_in "$dir/migrate" &&
        tfo -chdir="$dir/migrate" plan -input=false -no-color -out=plan -var "lambda_zip=$zip" -var "wsproxy_package=$zip" >/dev/null &&
        tfo -chdir="$dir/migrate" show -json plan >"$json-migrate.json" && "${check[@]}" migrate "$json-migrate.json" &&
        tfo -chdir="$dir/migrate" apply -input=false -no-color plan >/dev/null &&
        tfo -chdir="$dir/migrate" show -json >"$json-applied.json" && "${check[@]}" applied "$json-applied.json" ||
        { echo "migration: steps 2-4 failed"; return 1; }
    # Step 5: the old function removed, the table moved into the module.
    cp "$dir/migrate/terraform.tfstate" "$dir/finish/"
    init_in "$dir/finish" &&
        tfo -chdir="$dir/finish" plan -input=false -no-color -out=plan -var "wsproxy_package=$zip" >/dev/null &&
        tfo -chdir="$dir/finish" show -json plan >"$json-finish.json" && "${check[@]}" finish "$json-finish.json" ||
        { echo "migration: step 5 failed"; return 1; }
    # Adopting with import blocks into a new state: the objects are the old layout's.
    local ids
    ids="$(python3 -c '
import json, sys
res = {r["type"] + "." + r["name"]: r["instances"][0]["attributes"] for r in json.load(open(sys.argv[1]))["resources"] if r["mode"] == "managed" and "module" not in r}
routes = {res["aws_apigatewayv2_route." + n]["route_key"]: res["aws_apigatewayv2_route." + n]["id"] for n in ("connect", "disconnect", "default")}
print(json.dumps({"api_id": res["aws_apigatewayv2_api.websocket"]["id"], "integration_id": res["aws_apigatewayv2_integration.websocket"]["id"], "route_ids": routes}))
' "$dir/old/terraform.tfstate")" && echo "$ids" >"$dir/import/ids.auto.tfvars.json" &&
        init_in "$dir/import" &&
        OFFLINE_AWS_IMPORT_STATE="$dir/old/terraform.tfstate" tfo -chdir="$dir/import" plan -input=false -no-color -out=plan -var "wsproxy_package=$zip" >/dev/null &&
        tfo -chdir="$dir/import" show -json plan >"$json-import.json" && "${check[@]}" import "$json-import.json" ||
        { echo "migration: adopting by import failed"; return 1; }
    # Attaching to the API by id (existing_api_id), its routes and integration imported.
    cp "$dir/import/ids.auto.tfvars.json" "$dir/attach/" &&
        init_in "$dir/attach" &&
        OFFLINE_AWS_IMPORT_STATE="$dir/old/terraform.tfstate" tfo -chdir="$dir/attach" plan -input=false -no-color -out=plan -var "wsproxy_package=$zip" >/dev/null &&
        tfo -chdir="$dir/attach" show -json plan >"$json-attach.json" && "${check[@]}" attach "$json-attach.json" "$dir/old/terraform.tfstate" ||
        { echo "migration: attaching to the API by id failed"; return 1; }
    echo "migration: no destroy or replace of the API, stage, routes or table; the integration invokes the new function"
}
