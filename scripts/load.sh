#!/usr/bin/env bash
# Load figures for docs/performance.md. Starts a release `sammen serve` pinned to one core and
# drives it with oha (crates.io; installed when missing) pinned to the other, on SQLite and/or
# PostgreSQL, and prints requests per second and latency percentiles for:
#   1. the ceilings (closed loop, CONCURRENCY connections, LOAD_SECONDS each): GET /healthz,
#      POST /v1/match, POST /v1/ideas, GET /v1/partner/ideas (the partner feed), with the
#      server's CPU time per request in each;
#   2. a steady mix (open loop, latency corrected for coordinated omission): 200 ideas/s plus
#      500 reads/s (published ideas, catalog, partner feed) for SUSTAINED_SECONDS;
#   3. a spike of 5 x the measured idea ceiling for 10 s (open loop, rate limits off): every
#      answer must be 201, 429 or 503, and the server must answer /healthz afterwards;
#   4. the same spike with the default rate limits on: the flood gets 429.
# Usage: scripts/load.sh [sqlite|postgres|both]   (default both)
# Settings: LOAD_SECONDS (10), SUSTAINED_SECONDS (300; 0 skips the steady mix), CONCURRENCY (64),
#           SAMMEN_LOAD_POSTGRES_URL (postgres://postgres@127.0.0.1:5432), LOAD_PORT (18090).
set -euo pipefail
cd "$(dirname "$0")/.."
backends="${1:-both}"
[ "$backends" = both ] && backends="sqlite postgres"
seconds="${LOAD_SECONDS:-10}"
sustained="${SUSTAINED_SECONDS:-300}"
concurrency="${CONCURRENCY:-64}"
postgres="${SAMMEN_LOAD_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
port="${LOAD_PORT:-18090}"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
results="$work/results"
mkdir -p "$results"
server=""

stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
}
trap 'stop_server; rm -rf "$work"' EXIT

command -v oha >/dev/null || cargo install oha --locked
cargo build --release -q
# The server gets the first core, the load generator the last one.
server_cpus=0
load_cpus=$(($(nproc) - 1))

# Distinct ideas, one JSON body per line (oha -Z sends them in turn): the held-out evaluation
# ideas, each with a few extra words drawn from the Danish lexicon (common words more often),
# so that the similar-ideas index grows as with real submissions rather than with copies.
python3 - "$work" <<'PY'
import json, random, sys
work = sys.argv[1]
rnd = random.Random(2026)
words = [l.split("\t")[0] for l in open("lexicon/synonyms-da.tsv", encoding="utf-8")]
words = [w for w in words if len(w) >= 4 and w.isalpha()]
draw = lambda k: " ".join(words[min(int(len(words) * rnd.random() ** 3), len(words) - 1)] for _ in range(k))
bases = [json.loads(line)["idea"] for line in open("tests/fixtures/eval-aalborg.jsonl", encoding="utf-8")]
with open(f"{work}/ideas.txt", "w") as ideas, open(f"{work}/match.txt", "w") as match:
    for i in range(20000):
        base = bases[i % len(bases)]
        answers = dict(base["answers"], problem=f'{base["answers"]["problem"]} {draw(8)}')
        title = f'{base["title"]} {draw(2)}'[:120]
        idea = {"title": title, "answers": answers,
                "consent": {"contact": False, "share_contact_with_partners": False, "publish": True}}
        print(json.dumps(idea, ensure_ascii=False), file=ideas)
        print(json.dumps({"title": title, "answers": answers}, ensure_ascii=False), file=match)
PY

# start_server BACKEND [extra VAR=value ...]: a fresh database, the server, a partner key.
start_server() {
    local backend="$1"
    shift
    case "$backend" in
        sqlite) url="sqlite://$work/load.db"; rm -f "$work"/load.db* ;;
        postgres)
            psql "$postgres/postgres" -qc 'DROP DATABASE IF EXISTS sammen_load WITH (FORCE)' -qc 'CREATE DATABASE sammen_load' >/dev/null
            url="$postgres/sammen_load" ;;
    esac
    env SAMMEN_DATABASE_URL="$url" SAMMEN_BIND="127.0.0.1:$port" SAMMEN_LOG=warn "$@" \
        taskset -c "$server_cpus" target/release/sammen serve >>"$work/serve.log" 2>&1 &
    server=$!
    until curl -sf "$base/readyz" >/dev/null; do sleep 0.1; done
    key=$(SAMMEN_DATABASE_URL="$url" target/release/sammen keys create --role partner --name load \
        --networks de-frivilliges-hus,international-house,groenne-agenter,landdistriktsudvikling,tryg-aalborg 2>/dev/null)
}

# Clock ticks the server has spent on the CPU so far (user and system).
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

# run NAME OHA-ARGS...: one oha run; its JSON summary is kept as $results/NAME.json and the
# server's CPU ticks during it as $results/NAME.ticks.
run() {
    local name="$1"
    shift
    local before
    before=$(server_ticks)
    taskset -c "$load_cpus" oha --no-tui -w --output-format json "$@" >"$results/$name.json"
    echo $(($(server_ticks) - before)) >"$results/$name.ticks"
}

# cpu_report NAME...: the server's CPU time per answered request in each run. Unlike the rates,
# which swing with the machine, this shows where a request's cost lies.
cpu_report() {
    python3 - "$results" "$(getconf CLK_TCK)" "$@" <<'PY'
import json, sys
results, tick, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
parts = []
for name in names:
    answered = sum(json.load(open(f"{results}/{name}.json"))["statusCodeDistribution"].values())
    ticks = int(open(f"{results}/{name}.ticks").read())
    parts.append(f"{name} {1e6 * ticks / tick / max(answered, 1):.1f} µs")
print("server CPU a request: " + ", ".join(parts))
PY
}

# report NAME...: a table row per run.
report() {
    python3 - "$results" "$@" <<'PY'
import json, sys
results, names = sys.argv[1], sys.argv[2:]
for name in names:
    r = json.load(open(f"{results}/{name}.json"))
    p = r["latencyPercentiles"]
    codes = ", ".join(f"{c}: {n}" for c, n in sorted(r["statusCodeDistribution"].items()))
    errors = sum(r.get("errorDistribution", {}).values())
    ms = lambda s: f"{s * 1000:.2f}" if s is not None else "-"
    print(f"| {name} | {r['summary']['requestsPerSec']:.0f} | {ms(p['p50'])} | {ms(p['p99'])} | {ms(p['p99.9'])} | {codes}"
          + (f", connection errors: {errors}" if errors else "") + " |")
PY
}

rate_of() { python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["summary"]["requestsPerSec"]))' "$results/$1.json"; }

# check NAME ALLOWED-CODES...: fails when a run got another status or lost connections.
check() {
    python3 - "$results/$1.json" "${@:2}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
allowed = set(sys.argv[2:])
bad = {c: n for c, n in r["statusCodeDistribution"].items() if c not in allowed}
errors = r.get("errorDistribution", {})
if bad or errors:
    sys.exit(f"FAILED {sys.argv[1]}: unexpected statuses {bad} or errors {errors}")
PY
}

# In a virtual machine, how long an idle core polls before it halts: when it halts at once,
# waking the idle load generator with each answer costs the server an inter-processor interrupt
# (docs/performance.md, "Eighth session" and "Ninth session").
halt_polling() {
    local knob=/sys/module/haltpoll/parameters/guest_halt_poll_ns
    if [ -r "$knob" ]; then echo ", guest halt polling $(cat "$knob") ns"; fi
}

post_json=(-m POST -T application/json)
for backend in $backends; do
    echo "## $backend ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, server on cpu $server_cpus, oha on cpu $load_cpus$(halt_polling))"
    start_server "$backend" SAMMEN_RATE_LIMIT_DISABLED=true
    echo "| run | requests/s | p50 ms | p99 ms | p99.9 ms | statuses |"
    echo "|---|---|---|---|---|---|"
    run healthz -z "${seconds}s" -c "$concurrency" "$base/healthz"
    run match -z "${seconds}s" -c "$concurrency" "${post_json[@]}" -Z "$work/match.txt" "$base/v1/match"
    run ideas -z "${seconds}s" -c "$concurrency" "${post_json[@]}" -Z "$work/ideas.txt" "$base/v1/ideas"
    run feed -z "${seconds}s" -c "$concurrency" -H "authorization: Bearer $key" "$base/v1/partner/ideas"
    report healthz match ideas feed
    echo
    cpu_report healthz match ideas feed
    for name in healthz match ideas feed; do check "$name" 200 201; done
    healthz_rate=$(rate_of healthz)
    match_rate=$(rate_of match)
    ideas_rate=$(rate_of ideas)
    echo
    echo "match / healthz = $((100 * match_rate / healthz_rate)) % (target >= 40 %)"

    if [ "$sustained" -gt 0 ]; then
        echo "steady mix for ${sustained} s: 200 ideas/s + 500 reads/s (300 published-ideas pages, 190 catalog pages, 10 feed pages of 20 ideas)"
        steady=(-z "${sustained}s" -c 16 --latency-correction)
        run steady-ideas "${steady[@]}" -q 200 "${post_json[@]}" -Z "$work/ideas.txt" "$base/v1/ideas" &
        loads=($!)
        run steady-published "${steady[@]}" -q 300 "$base/v1/ideas" &
        loads+=($!)
        run steady-catalog "${steady[@]}" -q 190 "$base/v1/initiatives" &
        loads+=($!)
        run steady-feed "${steady[@]}" -q 10 -H "authorization: Bearer $key" "$base/v1/partner/ideas"
        wait "${loads[@]}"
        report steady-ideas steady-published steady-catalog steady-feed
        check steady-ideas 201
        for name in steady-published steady-catalog steady-feed; do check "$name" 200; done
    fi

    spike=$((5 * ideas_rate))
    echo "spike: $spike ideas/s (5 x the ceiling) for 10 s, rate limits off"
    run spike -z 10s -c 1024 -q "$spike" --latency-correction "${post_json[@]}" -Z "$work/ideas.txt" "$base/v1/ideas"
    report spike
    check spike 201 429 503
    curl -sf "$base/healthz" >/dev/null && echo "the server answers after the spike"
    stop_server

    start_server "$backend"
    echo "spike: $spike ideas/s for 10 s from one address, default rate limits"
    run spike-limited -z 10s -c 1024 -q "$spike" "${post_json[@]}" -Z "$work/ideas.txt" "$base/v1/ideas"
    report spike-limited
    check spike-limited 201 429
    curl -sf "$base/healthz" >/dev/null && echo "the server answers after the spike"
    stop_server
    echo
done
