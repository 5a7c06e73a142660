# The migration test (infra/terraform/tests/migration, docs/MIGRATING.md) as one flow, run
# with either provider: sourced by scripts/check-infra-offline.sh (the offline provider) and
# scripts/check-infra-moto.sh (hashicorp/aws 5.100.0 against moto).
# shellcheck shell=bash
#
# The test's repository is laid out as a team's would be: the root envs/dev, the old module at
# modules/websocket_lambda, wsproxy's module at modules/websocket_proxy, one state in
# envs/dev. Each step lays its files over the previous ones (a file of the same name replaces
# the old one: a user editing the root), then plans (without refreshing: the state is fresh
# from the previous step's last plan), checks the plan, applies, checks the state, and plans
# again, refreshing every object from AWS, which must find no change:
#   old            the Python proxy's layout; its defects (no index, no CloudWatch role) must
#                  fail the readiness check;
#   prepare        step 0: the index through the old module, the account's CloudWatch role;
#   migrate        steps 1-4; rollback (of 1-4); migrate again; finish (step 5);
#   rollback-finish (of step 5).
# The API's id, the URL, the routes and the table stay the same throughout; the env-var
# updater runs once only. migration_variants: the attach-by-id variant planned, the import
# variant applied on both sides (import-old/ in the old root, then import/), each object
# ending in one state.

migration_flow() { # TF DIR OUT ZIP: TF the terraform function, DIR tests/migration, OUT a new folder
    local tf="$1" dir="$2" out="$3" zip="$4"
    local repo="$out/repo" root="$out/repo/envs/dev" check=(python3 -B "$dir/check_migration.py")
    mkdir -p "$root" "$repo/modules"
    cp -r "$dir/../../modules/websocket_proxy" "$repo/modules/"
    export TF_VAR_lambda_zip="$zip" TF_VAR_wsproxy_package="$zip"

    lay() { # STEP...: the root's and the old module's files as of these steps, in order
        rm -f "$root"/*.tf
        rm -rf "$repo/modules/websocket_lambda"
        mkdir -p "$repo/modules/websocket_lambda"
        local step
        for step in "$@"; do
            cp "$dir/$step"/envs/dev/*.tf "$root/" 2>/dev/null || true
            cp "$dir/$step"/modules/websocket_lambda/*.tf "$repo/modules/websocket_lambda/" 2>/dev/null || true
        done
    }
    facts() { # the state and, on moto, what AWS says of the table and the account
        "$tf" -chdir="$root" show -json >"$out/state.json" &&
            if [ "$tf" = tfm ]; then
                .tools/venv/bin/python -B "$dir/aws_facts.py" "$out/state.json" >"$out/facts.json"
            else
                echo '{}' >"$out/facts.json"
            fi
    }
    step() { # NAME CHECK STEP...: lay STEPs, plan (checked as CHECK), apply, check, empty plan
        local name="$1" what="$2"
        shift 2
        lay "$@"
        "$tf" -chdir="$root" init -backend=false -input=false -no-color >/dev/null &&
            "$tf" -chdir="$root" plan -refresh=false -input=false -no-color -out=plan >"$out/$name.plan.log" 2>&1 &&
            "$tf" -chdir="$root" show -json plan >"$out/$name.plan.json" ||
            { cat "$out/$name.plan.log"; echo "migration: planning $name failed"; return 1; }
        "${check[@]}" "$what" "$out/$name.plan.json" "$out/ids.json" ||
            { echo "migration: the plan of $name is wrong"; return 1; }
        "$tf" -chdir="$root" apply -input=false -no-color plan >"$out/$name.apply.log" 2>&1 ||
            { cat "$out/$name.apply.log"; echo "migration: applying $name failed"; return 1; }
        facts && "${check[@]}" "$what-applied" "$out/state.json" "$out/ids.json" "$out/facts.json" ||
            { echo "migration: the state after $name is wrong"; return 1; }
        local rc=0
        "$tf" -chdir="$root" plan -detailed-exitcode -input=false -no-color >"$out/$name.replan.log" 2>&1 || rc=$?
        if [ "$rc" -ne 0 ]; then
            cat "$out/$name.replan.log"
            echo "migration: after $name, a plan is not empty (exit $rc)"
            return 1
        fi
        echo "migration: $name planned, applied, then no changes"
    }

    wrong() { # NAME CHECK PATTERN STEP...: a wrong step, planned only: the plan or its check must fail with PATTERN
        local name="$1" what="$2" pattern="$3" rc=0
        shift 3
        lay "$@"
        "$tf" -chdir="$root" init -backend=false -input=false -no-color >/dev/null &&
            "$tf" -chdir="$root" plan -refresh=false -input=false -no-color -out=wrong >"$out/$name.plan.log" 2>&1 &&
            "$tf" -chdir="$root" show -json wrong >"$out/$name.plan.json" &&
            "${check[@]}" "$what" "$out/$name.plan.json" "$out/ids.json" >>"$out/$name.plan.log" || rc=1
        rm -f "$root/wrong"
        if [ "$rc" -eq 0 ] || ! grep -q -- "$pattern" "$out/$name.plan.log"; then
            cat "$out/$name.plan.log"
            echo "migration: $name was not refused with \"$pattern\""
            return 1
        fi
        echo "migration: $name refused as expected ($pattern)"
    }

    # The old layout, applied; its ids kept to compare every later state with.
    lay old
    "$tf" -chdir="$root" init -backend=false -input=false -no-color >/dev/null &&
        "$tf" -chdir="$root" apply -auto-approve -input=false -no-color >"$out/old.apply.log" 2>&1 &&
        facts && "${check[@]}" ids "$out/state.json" >"$out/ids.json" ||
        { cat "$out/old.apply.log"; echo "migration: applying the old layout failed"; return 1; }
    cp "$root/terraform.tfstate" "$out/old.tfstate"
    # Its defects must show: the readiness check fails on it, naming both.
    if "${check[@]}" ready "$out/state.json" "$out/ids.json" "$out/facts.json" >"$out/old.ready.log"; then
        cat "$out/old.ready.log"
        echo "migration: the readiness check passed on the old layout, which has no index and no CloudWatch role"
        return 1
    fi
    grep -q "no connection_id-index" "$out/old.ready.log" && grep -q "no CloudWatch Logs role" "$out/old.ready.log" ||
        { cat "$out/old.ready.log"; echo "migration: the readiness check did not name both defects of the old layout"; return 1; }
    echo "migration: old layout applied; not ready as expected (no index, no CloudWatch role)"

    step prepare prepare old prepare &&
        step migrate migrate old prepare migrate &&
        wrong wrong-rollback rollback "FAIL: aws_apigatewayv2_api.websocket neither created, deleted nor replaced" old prepare wrong-rollback &&
        step rollback rollback old prepare rollback &&
        step migrate-again migrate old prepare migrate &&
        step finish finish old prepare migrate finish &&
        wrong wrong-rollback-finish rollback-finish "Ambiguous move statements" old prepare migrate wrong-rollback-finish &&
        step rollback-finish rollback-finish old prepare migrate rollback-finish || return 1
    local runs
    runs="$(wc -l <"$root/endpoint-updates.log")"
    [ "$runs" -eq 1 ] || { echo "migration: the env-var updater ran $runs times, not once"; return 1; }
    echo "migration: the API, stage, URL, routes and table kept through every step and rollback; the updater ran once"
}

migration_variants() { # TF DIR OUT ZIP: the attach-by-id and import variants, from a new old layout
    local tf="$1" dir="$2" out="$3" zip="$4" variant
    local root="$out/repo/envs/dev" check=(python3 -B "$dir/check_migration.py")
    mkdir -p "$root" "$out/repo/modules/websocket_lambda"
    export TF_VAR_lambda_zip="$zip" TF_VAR_wsproxy_package="$zip"
    cp "$dir"/old/envs/dev/*.tf "$dir"/prepare/envs/dev/*.tf "$root/"
    cp "$dir"/old/modules/websocket_lambda/*.tf "$dir"/prepare/modules/websocket_lambda/*.tf "$out/repo/modules/websocket_lambda/"
    "$tf" -chdir="$root" init -backend=false -input=false -no-color >/dev/null &&
        "$tf" -chdir="$root" apply -auto-approve -input=false -no-color >"$out/old.apply.log" 2>&1 &&
        "$tf" -chdir="$root" show -json >"$out/state.json" && "${check[@]}" ids "$out/state.json" >"$out/ids.json" ||
        { cat "$out/old.apply.log"; echo "migration variants: applying the old layout (with step 0) failed"; return 1; }
    # The objects as they were (the offline provider's imports read them from here).
    cp "$root/terraform.tfstate" "$out/old.tfstate"
    python3 -c 'import json, sys; ids = json.load(open(sys.argv[1])); print(json.dumps({k: ids[k] for k in ("api_id", "integration_id", "route_ids", "backend_url")}))' \
        "$out/ids.json" >"$out/variant.auto.tfvars.json"
    empty_plan() { # DIR NAME: a plan of DIR must find no change
        local rc=0
        "$tf" -chdir="$1" plan -detailed-exitcode -input=false -no-color >"$out/$2.replan.log" 2>&1 || rc=$?
        [ "$rc" -eq 0 ] || { cat "$out/$2.replan.log"; echo "migration: after $2, a plan is not empty (exit $rc)"; return 1; }
    }
    # Attach by id: planned only. Import: planned; then both sides applied, the old root's first.
    for variant in attach import; do
        cp "$out/variant.auto.tfvars.json" "$dir/$variant/ids.auto.tfvars.json"
        "$tf" -chdir="$dir/$variant" init -backend=false -input=false -no-color >/dev/null &&
            "$tf" -chdir="$dir/$variant" plan -input=false -no-color -out=plan >"$out/$variant.plan.log" 2>&1 &&
            "$tf" -chdir="$dir/$variant" show -json plan >"$out/$variant.plan.json" ||
            { cat "$out/$variant.plan.log"; echo "migration: planning the $variant variant failed"; return 1; }
        "${check[@]}" "$variant" "$out/$variant.plan.json" "$out/ids.json" ||
            { echo "migration: the plan of the $variant variant is wrong"; return 1; }
        echo "migration: the $variant variant planned into a new state"
    done
    # The old root gives the API's objects up (removed, destroy = false), then the new
    # configuration applies its saved plan (imports, the integration to the new function).
    cp "$dir"/import-old/envs/dev/*.tf "$root/"
    export TF_VAR_websocket_api_id
    TF_VAR_websocket_api_id="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["api_id"])' "$out/ids.json")"
    "$tf" -chdir="$root" plan -input=false -no-color -out=plan >"$out/import-old.plan.log" 2>&1 &&
        "$tf" -chdir="$root" show -json plan >"$out/import-old.plan.json" ||
        { cat "$out/import-old.plan.log"; echo "migration: planning the old root's side of the import variant failed"; return 1; }
    "${check[@]}" import-old "$out/import-old.plan.json" "$out/ids.json" ||
        { echo "migration: the plan of the old root's side of the import variant is wrong"; return 1; }
    "$tf" -chdir="$root" apply -input=false -no-color plan >"$out/import-old.apply.log" 2>&1 &&
        "$tf" -chdir="$dir/import" apply -input=false -no-color plan >"$out/import.apply.log" 2>&1 ||
        { cat "$out/import-old.apply.log" "$out/import.apply.log" 2>/dev/null; echo "migration: applying the import variant failed"; return 1; }
    empty_plan "$root" import-old && empty_plan "$dir/import" import || return 1
    "$tf" -chdir="$root" show -json >"$out/old-side.json" && "$tf" -chdir="$dir/import" show -json >"$out/new-side.json" &&
        "${check[@]}" import-applied "$out/new-side.json" "$out/ids.json" "$out/old-side.json" ||
        { echo "migration: the states after the import variant are wrong"; return 1; }
    echo "migration: the import variant applied on both sides, then no changes; each object in one state"
}
