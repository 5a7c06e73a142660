#!/usr/bin/env bash
# A second DynamoDB-compatible server (dynalite, from npm) for the one test moto is too slow
# for: the 2,000-socket churn in the DynamoDB setup (tests/e2e/churn.rs). moto's Query reads
# every item of the table in Python (about 20 index queries a second at 2,000 items, and a
# 1,000-item partition takes over 2 s); dynalite answers the same in milliseconds. It has no
# time-to-live API, which churn does not use. Everything lives in .tools/ (gitignored).
#
#   scripts/dynalite.sh install          # .tools/dynalite with dynalite, when absent
#   eval "$(scripts/dynalite.sh start)"  # starts it; prints `export WSPROXY_DYNALITE_URL=...`
#   scripts/dynalite.sh stop             # stops it
#
# DYNALITE_PORT chooses the port (default: a free one). `start` when it already runs prints
# the same export again. Messages go to stderr, so `eval` sees only the export.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$repo_root/.tools/dynalite"
pid_file="$dir/dynalite.pid"
port_file="$dir/dynalite.port"
log_file="$dir/dynalite.log"
spec="dynalite@4.0.0"
bin="$dir/node_modules/.bin/dynalite"

say() { echo "dynalite.sh: $*" >&2; }
die() { say "$*"; exit 1; }

running_pid() {
    [ -f "$pid_file" ] || return 1
    local pid
    pid="$(cat "$pid_file")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    grep -q dynalite "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

# dynalite answers any POST; a GET of / gets a 400 once it listens, which curl's -s still sees.
answers() {
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1).read()
except urllib.error.HTTPError:
    pass
PY
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd_install() {
    if [ -x "$bin" ]; then
        say "dynalite present: $(node -p "require('$dir/node_modules/dynalite/package.json').version")"
        return 0
    fi
    command -v npm >/dev/null 2>&1 || die "node and npm are required (Debian: apt-get install nodejs npm)"
    mkdir -p "$dir"
    say "installing $spec into $dir"
    (cd "$dir" && { [ -f package.json ] || echo '{"private":true}' >package.json; } &&
        npm install --silent --no-audit --no-fund "$spec" >&2)
    [ -x "$bin" ] || die "npm installed $spec but $bin is missing"
}

cmd_start() {
    local pid port
    if pid="$(running_pid)"; then
        port="$(cat "$port_file")"
        say "already running (pid $pid) on 127.0.0.1:$port"
        echo "export WSPROXY_DYNALITE_URL=http://127.0.0.1:$port"
        return 0
    fi
    [ -x "$bin" ] || die "dynalite is not installed: run scripts/dynalite.sh install"
    port="${DYNALITE_PORT:-$(free_port)}"
    # Tables are ACTIVE at once (the real service takes seconds; the tests wait either way).
    setsid "$bin" --host 127.0.0.1 --port "$port" --createTableMs 0 --deleteTableMs 0 \
        --updateTableMs 0 >"$log_file" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pid_file"
    echo "$port" >"$port_file"
    local i
    for i in $(seq 1 100); do
        if answers "$port"; then
            say "started (pid $pid) on 127.0.0.1:$port; log: $log_file"
            echo "export WSPROXY_DYNALITE_URL=http://127.0.0.1:$port"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$pid_file" "$port_file"
            die "dynalite exited at start; its log ($log_file):$(printf '\n')$(tail -n 20 "$log_file")"
        fi
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    rm -f "$pid_file" "$port_file"
    die "dynalite did not answer on 127.0.0.1:$port within 10 s; log: $log_file"
}

cmd_stop() {
    local pid
    if pid="$(running_pid)"; then
        kill "$pid"
        say "stopped (pid $pid)"
    else
        say "not running"
    fi
    rm -f "$pid_file" "$port_file"
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    *)
        echo "usage: scripts/dynalite.sh install|start|stop" >&2
        exit 2
        ;;
esac
