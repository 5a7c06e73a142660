#!/usr/bin/env bash
# A local AWS API server (moto, from PyPI) for the tests of the DynamoDB registry and,
# later, of the Lambda host. Everything lives in .tools/ (gitignored).
#
#   scripts/moto.sh install          # .tools/venv with moto[server], when absent
#   eval "$(scripts/moto.sh start)"  # starts moto_server; prints `export AWS_...` lines
#   scripts/moto.sh status           # is it running, and where
#   scripts/moto.sh stop             # stops it
#
# MOTO_PORT chooses the port (default: a free one). `start` when it already runs prints
# the same exports again. Messages go to stderr, so `eval` sees only the exports.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo_root/.tools"
venv="$tools/venv"
pid_file="$tools/moto.pid"
port_file="$tools/moto.port"
log_file="$tools/moto.log"
# The moto the tests were written against (its error codes differ from DynamoDB's in
# places the code handles). Override with MOTO_SPEC, e.g. MOTO_SPEC='moto[server]==5.*'.
moto_spec="${MOTO_SPEC:-moto[server]==5.2.5}"

say() { echo "moto.sh: $*" >&2; }
die() { say "$*"; exit 1; }

running_pid() {
    # Prints the pid of our moto_server when it is alive.
    [ -f "$pid_file" ] || return 1
    local pid
    pid="$(cat "$pid_file")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A stale pid file may name a process that is not ours.
    grep -q moto_server "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

answers() {
    # moto_server answers GET /moto-api/ once it is up.
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1).read()
PY
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

print_exports() {
    local port="$1"
    echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port"
    echo "export MOTO_ENDPOINT_URL=http://127.0.0.1:$port"
    # moto needs some credentials and a region; real ones are never used.
    echo "export AWS_ACCESS_KEY_ID=\${AWS_ACCESS_KEY_ID:-testing}"
    echo "export AWS_SECRET_ACCESS_KEY=\${AWS_SECRET_ACCESS_KEY:-testing}"
    echo "export AWS_REGION=\${AWS_REGION:-us-east-1}"
}

cmd_install() {
    if [ -x "$venv/bin/moto_server" ]; then
        say "moto present: $("$venv/bin/python" -c 'import moto; print(moto.__version__)')"
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 is required (Debian: apt-get install python3 python3-venv)"
    mkdir -p "$tools"
    if [ ! -x "$venv/bin/python" ]; then
        say "creating $venv"
        python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    fi
    say "installing $moto_spec into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$moto_spec" >&2
    [ -x "$venv/bin/moto_server" ] || die "pip installed moto but $venv/bin/moto_server is missing"
    say "moto installed: $("$venv/bin/python" -c 'import moto; print(moto.__version__)')"
}

cmd_start() {
    local pid port
    if pid="$(running_pid)"; then
        port="$(cat "$port_file")"
        say "already running (pid $pid) on 127.0.0.1:$port"
        print_exports "$port"
        return 0
    fi
    [ -x "$venv/bin/moto_server" ] || die "moto is not installed: run scripts/moto.sh install"
    port="${MOTO_PORT:-$(free_port)}"
    if answers "$port"; then
        die "something already answers on 127.0.0.1:$port; choose another MOTO_PORT"
    fi
    mkdir -p "$tools"
    # setsid: the server outlives this script and the caller's job control.
    setsid "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log_file" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pid_file"
    echo "$port" >"$port_file"
    local i
    for i in $(seq 1 150); do
        if answers "$port"; then
            say "started (pid $pid) on 127.0.0.1:$port; log: $log_file"
            print_exports "$port"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$pid_file" "$port_file"
            die "moto_server exited at start; its log ($log_file):$(printf '\n')$(tail -n 20 "$log_file")"
        fi
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    rm -f "$pid_file" "$port_file"
    die "moto_server did not answer on 127.0.0.1:$port within 15 s; log: $log_file"
}

cmd_stop() {
    local pid
    if pid="$(running_pid)"; then
        kill "$pid"
        local i
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
        say "stopped (pid $pid)"
    else
        say "not running"
    fi
    rm -f "$pid_file" "$port_file"
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        say "running (pid $pid) on 127.0.0.1:$(cat "$port_file")"
    else
        say "not running"
        return 1
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: scripts/moto.sh install|start|stop|status" >&2
        exit 2
        ;;
esac
