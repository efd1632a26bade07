#!/usr/bin/env bash
# PostgreSQL stopped and started under load. A throwaway PostgreSQL server (its own data
# directory and port, so the machine's server is untouched) backs a release `sammen serve`;
# client threads submit ideas and read the catalog without pause while the database server is
# stopped (`pg_ctl stop -m fast`) for a few seconds and started again. Checks: every answer is
# 2xx or a 503 problem+json (never a 500 or a dropped connection), /readyz answers 503 while the
# server is down, service resumes by itself, and every idea that got a 201 is stored.
# Usage: scripts/outage-test.sh [SECONDS_DOWN, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
down="${1:-5}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
dir="$(mktemp -d)"
pg_port=55432
port=18089
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
    as_postgres "$bin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

cargo build --release -q
mkdir -p "$dir/pg" && [ "$(id -u)" = 0 ] && chown postgres "$dir" "$dir/pg"
as_postgres "$bin/initdb" -D "$dir/pg" -A trust -U postgres >/dev/null
start_pg() { as_postgres "$bin/pg_ctl" -D "$dir/pg" -o "-p $pg_port -k $dir/pg" -l "$dir/pg/log" -w start >/dev/null; }
start_pg

export SAMMEN_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export SAMMEN_BIND="127.0.0.1:$port" SAMMEN_LOG=warn SAMMEN_RATE_LIMIT_DISABLED=true
target/release/sammen serve >"$dir/serve.log" 2>&1 &
server=$!
until curl -sf "localhost:$port/readyz" >/dev/null; do sleep 0.1; done

python3 - "$port" "$down" "$bin" "$dir/pg" "$pg_port" <<'PY'
import http.client, json, subprocess, sys, threading, time
port, down, bin_dir, data, pg_port = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
import os
as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
idea = {
    "title": "Fælles madlavning i opgangen",
    "answers": {"problem": "Mange ældre i opgangen spiser alene hver aften.",
                "helpers": "Frivillige og naboer", "motivation": "Fællesskab",
                "existing_initiatives": "Ingen", "new_alliances": "Boligforeningen"},
    "language": "da", "consent": {"contact": False, "share_contact_with_partners": False, "publish": False},
}
lock = threading.Lock()
answers, created, bad = {}, [], []
phase = ["before"]
stop = threading.Event()

def client(kind):
    conn = None
    while not stop.is_set():
        current = phase[0]
        try:
            conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if kind == "ideas":
                conn.request("POST", "/v1/ideas", json.dumps(idea), {"content-type": "application/json"})
            else:
                conn.request("GET", "/v1/networks")
            response = conn.getresponse()
            body = response.read()
            status, media = response.status, response.getheader("content-type", "")
        except Exception as error:  # a dropped connection is a failure of the service
            status, media, body = "dropped: " + type(error).__name__, "", b""
            conn = None
        with lock:
            answers.setdefault(current, {}).setdefault(status, 0)
            answers[current][status] += 1
            if status == 201:
                created.append(json.loads(body)["id"])
            elif not (status in (200, 201) or (status == 503 and media == "application/problem+json")):
                bad.append((current, status, body[:200]))
        time.sleep(0.005)

def ready():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/readyz")
    return conn.getresponse().status

threads = [threading.Thread(target=client, args=(k,)) for k in ("ideas", "ideas", "reads")]
for t in threads:
    t.start()
time.sleep(3)
phase[0] = "down"
subprocess.run(as_postgres + [f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], check=True, stdout=subprocess.DEVNULL)
time.sleep(0.5)
ready_while_down = ready()
time.sleep(max(down - 0.5, 0))
phase[0] = "restarting"
subprocess.run(as_postgres + [f"{bin_dir}/pg_ctl", "-D", data, "-o", f"-p {pg_port} -k {data}", "-l", f"{data}/log", "-w", "start"], check=True, stdout=subprocess.DEVNULL)
back = time.monotonic()
while ready() != 200:
    time.sleep(0.05)
recovered = time.monotonic() - back
phase[0] = "after"
time.sleep(3)
stop.set()
for t in threads:
    t.join()

out = subprocess.run(["psql", f"postgres://postgres@127.0.0.1:{pg_port}/postgres", "-Atc", "SELECT count(*) FROM ideas"],
                     check=True, capture_output=True, text=True)
stored = int(out.stdout.strip())
print(f"answers by phase: {json.dumps(answers, sort_keys=True, default=str)}")
print(f"/readyz while the database was down: {ready_while_down}")
print(f"ready again {recovered:.2f} s after the database server started")
print(f"ideas answered 201: {len(created)}, stored: {stored}")
failed = []
if ready_while_down != 503: failed.append("/readyz did not answer 503 while the database was down")
if bad: failed.append(f"{len(bad)} answers neither 2xx nor 503 problem+json, e.g. {bad[:3]}")
if stored != len(created): failed.append("stored ideas differ from the 201 answers")
if answers.get("after", {}).get(201, 0) == 0: failed.append("no idea was taken after the database came back")
if 503 not in answers.get("down", {}): failed.append("no 503 while the database was down")
for f in failed:
    print("FAILED:", f)
sys.exit(1 if failed else 0)
PY
echo "outage test passed"
