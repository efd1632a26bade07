#!/usr/bin/env bash
# The cost of the two heaviest read endpoints, GET /v1/ideas (a page of published ideas) and
# GET /v1/partner/ideas (a page of the partner feed, written to the audit log): fills a fresh
# database with published ideas, starts `sammen serve` (release build) pinned to the first core
# and reads default pages of 20 with oha pinned to the second, for DURATION each. Prints the
# requests per second, the latency and the server's CPU time per page (from /proc). See
# docs/performance.md, "Reads".
#
#   scripts/reads-load.sh [IDEAS] [DURATION]                # default 3000 5s, on SQLite
#   SAMMEN_LOAD_DATABASE_URL=postgres://.../db scripts/reads-load.sh   # an existing, empty database
#   SAMMEN_BIN=/path/to/other/sammen scripts/reads-load.sh # another build (e.g. before a change)
#   LOAD_PORT=18301 (default: a free port)
set -euo pipefail
cd "$(dirname "$0")/.."
ideas="${1:-3000}"
duration="${2:-5s}"
command -v oha >/dev/null || cargo install oha --locked
source scripts/lib/fresh-server.sh
start_server taskset -c 0

# The evaluation ideas, in turn, published and without contact data.
python3 - "$dir/ideas.txt" <<'PY'
import json, sys
consent = {"contact": False, "share_contact_with_partners": False, "publish": True}
with open(sys.argv[1], "w") as out:
    for line in open("tests/fixtures/eval-aalborg.jsonl", encoding="utf-8"):
        print(json.dumps(dict(json.loads(line)["idea"], consent=consent), ensure_ascii=False), file=out)
PY
oha --no-tui -n "$ideas" -c 8 -m POST -T application/json -Z "$dir/ideas.txt" "$base/v1/ideas" >/dev/null
key=$("$bin" keys create --role partner --name reads \
    --networks de-frivilliges-hus,international-house,groenne-agenter,landdistriktsudvikling,tryg-aalborg 2>/dev/null)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

# measure NAME URL [OHA-ARGS...]: one closed-loop run of 8 connections; a table row.
measure() {
    local name="$1" url="$2"
    shift 2
    local before after
    before=$(cpu_ticks)
    taskset -c 1 oha --no-tui --output-format json -z "$duration" -c 8 "$@" "$url" >"$dir/$name.json"
    after=$(cpu_ticks)
    python3 - "$dir/$name.json" "$name" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
name, ticks, hz = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
codes = r["statusCodeDistribution"]
done = sum(codes.values())
p = r["latencyPercentiles"]
print(f"| {name} | {r['summary']['requestsPerSec']:.0f} | {p['p50'] * 1000:.2f} | {p['p99'] * 1000:.2f} "
      f"| {ticks / hz * 1000 / done:.3f} | {', '.join(f'{c}: {n}' for c, n in sorted(codes.items()))} |")
PY
}

echo "$ideas published ideas, ${SAMMEN_DATABASE_URL%%:*}, $bin, $(date -u '+%Y-%m-%d %H:%M') UTC"
echo "| page of 20 | requests/s | p50 ms | p99 ms | server CPU ms per page | statuses |"
echo "|---|---|---|---|---|---|"
measure "published ideas" "$base/v1/ideas"
measure "partner feed" "$base/v1/partner/ideas" -H "authorization: Bearer $key"
