#!/usr/bin/env bash
# Conformance fuzzing: starts sammen on a fresh SQLite database with the built-in catalog, makes
# an admin key and two partner keys of different networks, and runs Schemathesis against
# /openapi.json once per role (anonymous and citizen, admin, partner A, partner B) with every
# check and the stateful phase. Any failure fails the script. See docs/operations.md.
#
# Usage: scripts/schemathesis.sh [--max-examples N]   (default 25 per operation)
# Settings: SCHEMATHESIS_VENV (default target/schemathesis-venv), SCHEMATHESIS_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."

max_examples=25
if [ "${1:-}" = "--max-examples" ]; then
    max_examples="$2"
fi
schemathesis_version="4.32.5"
venv="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
started=$(date +%s)

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$schemathesis_version"; then
    echo "installing schemathesis $schemathesis_version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$schemathesis_version"
fi

cargo build -q --bin sammen
sammen="target/debug/sammen"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export SAMMEN_DATABASE_URL="sqlite://$work/sammen.db"
export SAMMEN_BIND="127.0.0.1:$port"
export SAMMEN_SEED=aalborg
export SAMMEN_RATE_LIMIT_DISABLED=true
export SAMMEN_LOG="${SAMMEN_LOG:-warn}"

"$sammen" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null

# The catalog is seeded at start-up, so the partners' networks exist by now.
admin_key=$("$sammen" keys create --role admin --name "schemathesis admin" 2>/dev/null)
partner_a_key=$("$sammen" keys create --role partner --networks groenne-agenter --name "schemathesis partner A" 2>/dev/null)
partner_b_key=$("$sammen" keys create --role partner --networks tryg-aalborg --name "schemathesis partner B" 2>/dev/null)

failed=()
run() {
    local role="$1"
    shift
    echo
    echo "=== schemathesis as $role ==="
    if ! "$venv/bin/st" --config-file scripts/schemathesis.toml run "$base/openapi.json" \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples "$max_examples" \
        --workers 1 \
        --request-timeout 10 \
        --suppress-health-check too_slow,filter_too_much \
        --generation-database none \
        ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} \
        --no-color \
        "$@"; then
        failed+=("$role")
    fi
}

# Public operations and the citizen's own routes (whose token comes with each submitted idea).
run "anonymous and citizen" --exclude-tag admin --exclude-tag partner --exclude-operation-id get_metrics
run admin -H "Authorization: Bearer $admin_key" --include-tag admin --include-operation-id get_metrics
run "partner A (groenne-agenter)" -H "Authorization: Bearer $partner_a_key" --include-tag partner
run "partner B (tryg-aalborg)" -H "Authorization: Bearer $partner_b_key" --include-tag partner

echo
echo "schemathesis: $(($(date +%s) - started)) s"
if ! kill -0 "$server_pid" 2>/dev/null; then
    status=0
    wait "$server_pid" || status=$?
    server_pid=""
    echo "the server stopped during the run (exit status $status); its log ends with:" >&2
    tail -n 40 "$work/server.log" >&2
    failed+=("server")
fi
if grep -q "panicked" "$work/server.log"; then
    echo "the server panicked:" >&2
    grep -A5 "panicked" "$work/server.log" >&2
    failed+=("server log")
fi
if [ "${#failed[@]}" -gt 0 ]; then
    echo "schemathesis FAILED for: ${failed[*]}" >&2
    exit 1
fi
echo "schemathesis: no failure"
