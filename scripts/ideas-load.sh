#!/usr/bin/env bash
# Throughput of POST /v1/ideas: starts `sammen serve` (release build) on a fresh database and
# sends ideas from many connections for a while with an HTTP load generator (oha, or hey, its
# Debian-packaged twin: `apt-get install hey`). See docs/performance.md, "Group commit".
#
#   scripts/ideas-load.sh [DURATION] [CONNECTIONS]          # default 10s 64, on SQLite
#   SAMMEN_LOAD_DATABASE_URL=postgres://.../db scripts/ideas-load.sh   # an existing, empty database
#   SAMMEN_BIN=/path/to/other/sammen scripts/ideas-load.sh # another build (e.g. before a change)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10s}"
connections="${2:-64}"
if command -v oha >/dev/null; then load=oha; elif command -v hey >/dev/null; then load=hey; else
    echo "needs oha (cargo install oha --locked) or hey (apt-get install hey)" >&2
    exit 2
fi
source scripts/lib/fresh-server.sh
start_server
# The tests' valid idea (routed to a network), not published: identical published ideas would
# make similar-idea search, not the database, the thing measured.
cat > "$dir/idea.json" <<'JSON'
{"title": "Ren strand i Nibe",
 "answers": {"problem": "Efter weekenden ligger der skrald og flasker på stranden ved Nibe.",
   "helpers": "Grundejerforeningen og spejderne", "motivation": "En pæn strand til alle",
   "existing_initiatives": "Ren By", "new_alliances": "Skolen og sejlklubben"},
 "location": {"postcode": "9240", "place": "Nibe"}, "language": "da",
 "consent": {"contact": false, "share_contact_with_partners": false, "publish": false}}
JSON
url="http://127.0.0.1:$port/v1/ideas"
echo "$load -z $duration -c $connections -m POST against $bin on ${SAMMEN_DATABASE_URL%%:*}"
if [[ $load == oha ]]; then
    oha --no-tui -z "$duration" -c "$connections" -m POST -H 'content-type: application/json' -D "$dir/idea.json" "$url"
else
    hey -z "$duration" -c "$connections" -m POST -T application/json -D "$dir/idea.json" "$url"
fi
echo "ideas stored: $(curl -s "http://127.0.0.1:$port/readyz" >/dev/null; python3 - "$SAMMEN_DATABASE_URL" <<'PY'
import sqlite3, subprocess, sys
url = sys.argv[1]
if url.startswith("sqlite:"):
    print(sqlite3.connect(url.removeprefix("sqlite://")).execute("SELECT COUNT(*) FROM ideas").fetchone()[0])
else:
    print(subprocess.run(["psql", url, "-Atc", "SELECT COUNT(*) FROM ideas"], capture_output=True, text=True).stdout.strip())
PY
)"
