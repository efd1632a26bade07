#!/usr/bin/env bash
# Crash test: SIGKILL sammen at random moments under a steady stream of POST /v1/ideas, restart
# it, and check that nothing answered 201 was lost, nothing was duplicated or invented, every
# routed idea's webhook arrived, and each restart was ready within 2 s (docs/operations.md,
# "Crash safety").
#
#   scripts/crash-test.sh sqlite              # 10 kills
#   scripts/crash-test.sh postgres            # 5 kills, database sammen_crash (created, dropped)
#   scripts/crash-test.sh sqlite --kills 20 --clients 16 --seed 42
#
# PostgreSQL: SAMMEN_CRASH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
# names a database to connect to for creating and dropping sammen_crash.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 1 || ( $1 != sqlite && $1 != postgres ) ]]; then
    echo "usage: scripts/crash-test.sh sqlite|postgres [--kills N] [--clients N] [--seed N]" >&2
    exit 2
fi
cargo build --release --quiet --bin sammen
exec python3 scripts/crash_test.py "$@"
