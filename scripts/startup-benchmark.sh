#!/usr/bin/env bash
# Start-up with many stored ideas: fills a fresh SQLite database with N published ideas
# (generated like benches/matching.rs does, from the Danish words of the embedded lexicon),
# starts `sammen serve` on it and reports the seconds until /readyz answers 200 and the resident
# memory then. Usage: scripts/startup-benchmark.sh [N]   (default 1,000,000; takes ~1 min to fill)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000000}"
dir="$(mktemp -d)"
trap 'pkill -f "sammen serve" 2>/dev/null || true; rm -rf "$dir"' EXIT
cargo build --release -q
export SAMMEN_DATABASE_URL="sqlite://$dir/ideas.db" SAMMEN_LOG=warn SAMMEN_BIND=127.0.0.1:18088
target/release/sammen migrate
python3 - "$dir/ideas.db" "$count" <<'PY'
import os, random, sqlite3, sys, time
path, count = sys.argv[1], int(sys.argv[2])
words = [l.split('\t')[0] for i, l in enumerate(open('lexicon/synonyms-da.tsv', encoding='utf-8')) if i % 7 == 0]
words = [w for w in words if len(w) >= 4]
rnd = random.Random(1234)
def text(k):
    return ' '.join(words[min(int(len(words) * rnd.random() ** 3), len(words) - 1)] for _ in range(k))
db = sqlite3.connect(path)
base = int(time.time() * 1000) - 10 * count
rows = []
for i in range(count):
    ms = base + 10 * i
    u = bytearray(os.urandom(16))  # a UUIDv7: time-ordered like the service's ids
    u[0:6] = ms.to_bytes(6, 'big'); u[6] = 0x70 | (u[6] & 0x0f); u[8] = 0x80 | (u[8] & 0x3f)
    at = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ms / 1000)) + '.000000+00:00'
    rows.append((bytes(u), text(4), text(60), text(8), text(10), text(6), text(6), 'da', at, at))
    if len(rows) == 50_000 or i == count - 1:
        db.executemany(
            "INSERT INTO ideas (id, title, problem, helpers, motivation, existing_initiatives,"
            " new_alliances, language, consent_contact, consent_share, consent_publish, status,"
            " citizen_token_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 1, 'routed', x'00', ?, ?)", rows)
        rows = []
db.commit()
PY
started=$(date +%s.%N)
target/release/sammen serve >"$dir/serve.log" 2>&1 &
until curl -sf localhost:18088/readyz >/dev/null; do sleep 0.1; done
ready=$(date +%s.%N)
echo "$count ideas: ready after $(echo "$ready - $started" | bc) s, resident $(ps -o rss= -C sammen | awk '{printf "%d", $1/1024}') MiB"
