# Sourced by the load scripts: `sammen serve` (release build, or $SAMMEN_BIN) on a fresh database
# in a temporary folder ($SAMMEN_LOAD_DATABASE_URL instead: an existing, empty database), on a
# free port (or $LOAD_PORT), without rate limits; stopped and cleaned up when the script exits.
#   start_server [COMMAND-PREFIX...]   e.g. `start_server taskset -c 0`; sets $server and $base
bin="${SAMMEN_BIN:-target/release/sammen}"
if [[ -z "${SAMMEN_BIN:-}" ]]; then cargo build --release --quiet --bin sammen; fi
dir="$(mktemp -d)"
server=""
cleanup() {
    if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT
port="${LOAD_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
base="http://127.0.0.1:$port"
export SAMMEN_DATABASE_URL="${SAMMEN_LOAD_DATABASE_URL:-sqlite://$dir/load.db}"
export SAMMEN_BIND="127.0.0.1:$port" SAMMEN_RATE_LIMIT_DISABLED=true SAMMEN_LOG=warn

start_server() {
    "$@" "$bin" serve &
    server=$!
    for _ in $(seq 200); do
        curl -sf "$base/readyz" >/dev/null && return
        sleep 0.1
    done
    echo "sammen did not become ready on $base" >&2
    exit 1
}
