#!/usr/bin/env python3
"""Crash test: SIGKILL sammen at random moments under a steady stream of POST /v1/ideas.

Run through scripts/crash-test.sh, which builds the release binary first. Standard library only.

Client threads send ideas, each with a unique Idempotency-Key and a unique marker in its title.
A request whose answer is lost (connection refused or reset, timeout, 5xx) is sent again with
the same key and body until it gets its answer, so the final 201 is either the idea stored by
that retry or a replay of the one stored by a lost attempt. Meanwhile the server is killed with
SIGKILL at random moments and started again; the time to GET /readyz 200 is measured. At the
end the database is compared with the client's log and with what a local webhook receiver got:

- lost: ideas answered 201 that are not stored
- unknown: stored ideas that no request of the log sent
- duplicates: markers stored more than once, or stored under another id than their 201 said
- webhooks missing: committed ideas routed to a network whose idea.routed never arrived
- the rows of every stored idea are complete (one history entry; one feed entry when routed)
- SQLite: PRAGMA integrity_check is ok
- every restart was ready within 2 seconds

Exits 1 when any of these fails.
"""

import argparse
import http.client
import http.server
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

READY_LIMIT = 2.0
WEBHOOK_WAIT = 120.0
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_DATABASE = "sammen_crash"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "sammen")

# An idea that the built-in Aalborg catalog routes to a network (it is the tests' valid idea).
IDEA = {
    "answers": {
        "problem": "Efter weekenden ligger der skrald og flasker på stranden ved Nibe.",
        "helpers": "Grundejerforeningen og spejderne",
        "motivation": "En pæn strand til alle",
        "existing_initiatives": "Ren By",
        "new_alliances": "Skolen og sejlklubben",
    },
    "location": {"postcode": "9240", "place": "Nibe"},
    "language": "da",
    # Not published: thousands of near-identical ideas would only slow similar-idea search.
    "consent": {"contact": False, "share_contact_with_partners": False, "publish": False},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=10.0):
    """(status, headers (case-insensitive), parsed body or text); raises OSError when no answer
    came."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"content-type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return response.status, response.msg, parsed
    finally:
        connection.close()


class Receiver:
    """A local webhook endpoint: notes the idea of every delivery, answers 204."""

    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries = {}  # idea id -> number of deliveries
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                payload = json.loads(self.rfile.read(length))
                with receiver.lock:
                    idea = payload["data"]["idea_id"]
                    receiver.deliveries[idea] = receiver.deliveries.get(idea, 0) + 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        class Listener(http.server.ThreadingHTTPServer):
            # The dispatcher connects 16 at a time; the default backlog of 5 drops connections,
            # which then wait for a SYN retransmission.
            request_queue_size = 128
            daemon_threads = True

        self.server = Listener(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self):
        with self.lock:
            return dict(self.deliveries)


class Server:
    """The sammen process, started and killed on demand."""

    def __init__(self, binary, env, log_path):
        self.binary = binary
        self.env = env
        self.port = int(env["SAMMEN_BIND"].rsplit(":", 1)[1])
        self.log = open(log_path, "ab")
        self.process = None

    def start(self):
        """Starts the process; seconds until GET /readyz answered 200."""
        started = time.monotonic()
        self.process = subprocess.Popen(
            [self.binary, "serve"], env=self.env, stdout=self.log, stderr=self.log
        )
        deadline = started + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sammen exited with {self.process.returncode}; see {self.log.name}")
            try:
                status, _, _ = request(self.port, "GET", "/readyz", timeout=1.0)
                if status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"sammen was not ready within 60 s; see {self.log.name}")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Client(threading.Thread):
    """Sends ideas one after the other until told to stop; retries a lost answer with the same
    key and body until it gets one."""

    def __init__(self, number, port, stop, log, log_lock):
        super().__init__(daemon=True)
        self.number = number
        self.port = port
        self.stop = stop
        self.log = log
        self.log_lock = log_lock

    def run(self):
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            marker = f"crash-{self.number}-{sequence}-{uuid.uuid4().hex[:8]}"
            key = f"crash-key-{uuid.uuid4()}"
            body = dict(IDEA, title=f"Ren strand {marker}")
            entry = {"marker": marker, "key": key, "attempts": 0, "status": None}
            with self.log_lock:
                self.log.append(entry)
            self.send(entry, body)

    def send(self, entry, body):
        while True:
            entry["attempts"] += 1
            try:
                status, headers, answer = request(
                    self.port, "POST", "/v1/ideas", body, {"Idempotency-Key": entry["key"]}
                )
            except OSError:
                time.sleep(0.05)
                continue
            if status >= 500:
                time.sleep(0.05)
                continue
            entry["status"] = status
            if status == 201:
                entry["id"] = answer["id"]
                entry["network"] = answer["network"]
                entry["replayed"] = headers.get("idempotent-replayed") == "true"
            else:
                entry["problem"] = answer
            return


def sqlite_rows(path):
    connection = sqlite3.connect(path)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        ideas = [
            (str(uuid.UUID(bytes=bytes(i))), title, network)
            for i, title, network in connection.execute("SELECT id, title, network FROM ideas")
        ]
        history = dict(
            (str(uuid.UUID(bytes=bytes(i))), n)
            for i, n in connection.execute("SELECT idea_id, COUNT(*) FROM idea_history GROUP BY idea_id")
        )
        feed = dict(
            (str(uuid.UUID(bytes=bytes(i))), n)
            for i, n in connection.execute("SELECT idea_id, COUNT(*) FROM feed_entries GROUP BY idea_id")
        )
        keys = connection.execute("SELECT COUNT(*) FROM idempotency_keys").fetchone()[0]
    finally:
        connection.close()
    return [row[0] for row in integrity], ideas, history, feed, keys


def psql(url, sql):
    out = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-AtF", "\t", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def postgres_rows(url):
    ideas = [(i, t, n or None) for i, t, n in psql(url, "SELECT id, title, network FROM ideas")]
    history = {i: int(n) for i, n in psql(url, "SELECT idea_id, COUNT(*) FROM idea_history GROUP BY idea_id")}
    feed = {i: int(n) for i, n in psql(url, "SELECT idea_id, COUNT(*) FROM feed_entries GROUP BY idea_id")}
    keys = int(psql(url, "SELECT COUNT(*) FROM idempotency_keys")[0][0])
    return ["not applicable (PostgreSQL)"], ideas, history, feed, keys


def with_database(url, name):
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=["sqlite", "postgres"])
    parser.add_argument("--kills", type=int, help="SIGKILLs (default 10 on SQLite, 5 on PostgreSQL)")
    parser.add_argument("--clients", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--seed", type=int, help="random seed of the kill moments")
    args = parser.parse_args()
    kills = args.kills or (10 if args.backend == "sqlite" else 5)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)

    workdir = tempfile.mkdtemp(prefix="crash-test-")
    # A copy of its own: a rebuild during the run does not change it, and a `pkill -f "sammen
    # serve"` elsewhere on the machine does not end it (a SIGTERM is not the crash under test).
    binary = os.path.join(workdir, "server")
    shutil.copy2(BINARY, binary)
    admin_url = os.environ.get("SAMMEN_CRASH_POSTGRES_URL", POSTGRES_ADMIN_URL)
    if args.backend == "sqlite":
        db_path = os.path.join(workdir, "crash.db")
        database_url = f"sqlite://{db_path}"
    else:
        database_url = with_database(admin_url, POSTGRES_DATABASE)
        psql(admin_url, f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        psql(admin_url, f"CREATE DATABASE {POSTGRES_DATABASE}")

    receiver = Receiver()
    port = free_port()
    env = dict(
        os.environ,
        SAMMEN_DATABASE_URL=database_url,
        SAMMEN_BIND=f"127.0.0.1:{port}",
        SAMMEN_RATE_LIMIT_DISABLED="true",
        SAMMEN_WEBHOOK_ALLOW_PRIVATE="true",
        SAMMEN_WEBHOOK_POLL_MS="200",
        SAMMEN_WEBHOOK_TIMEOUT_MS="2000",
        SAMMEN_WEBHOOK_RETRY_BASE_MS="500",
        SAMMEN_LOG="warn",
    )
    server = Server(binary, env, os.path.join(workdir, "sammen.log"))
    print(f"crash test on {args.backend}: {kills} kills, {args.clients} clients, seed {seed}, work in {workdir}")
    try:
        first_start = server.start()
        status, _, networks = request(port, "GET", "/v1/networks")
        assert status == 200, networks
        items = networks["items"] if isinstance(networks, dict) else networks
        slugs = [n["slug"] for n in items]
        secret = subprocess.run(
            [binary, "keys", "create", "--role", "partner", "--networks", ",".join(slugs), "--name", "crash test"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        status, _, webhook = request(
            port,
            "POST",
            "/v1/partner/webhooks",
            {"url": f"http://127.0.0.1:{receiver.port}/hook", "events": ["idea.routed"]},
            {"Authorization": f"Bearer {secret}"},
        )
        assert status == 201, webhook

        log, log_lock, stop = [], threading.Lock(), threading.Event()
        clients = [Client(n, port, stop, log, log_lock) for n in range(args.clients)]
        for client in clients:
            client.start()
        ready_times = []
        for kill in range(kills):
            time.sleep(rng.uniform(0.3, 2.5))
            server.kill()
            ready = server.start()
            ready_times.append(ready)
            with log_lock:
                sent = len(log)
            print(f"  kill {kill + 1}: {sent} ideas sent so far, ready again in {ready:.3f} s")
        time.sleep(1.0)
        stop.set()
        for client in clients:
            client.join(timeout=120)
        stuck = sum(client.is_alive() for client in clients)

        committed = {e["id"]: e for e in log if e["status"] == 201}
        routed = {i for i, e in committed.items() if e["network"]}
        deadline = time.monotonic() + WEBHOOK_WAIT
        while time.monotonic() < deadline and not routed <= set(receiver.received()):
            time.sleep(0.5)
        delivered = receiver.received()
        server.stop()

        if args.backend == "sqlite":
            integrity, ideas, history, feed, keys = sqlite_rows(db_path)
        else:
            integrity, ideas, history, feed, keys = postgres_rows(database_url)
    finally:
        server.stop()
        receiver.server.shutdown()
        if args.backend == "postgres":
            psql(admin_url, f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")

    by_marker = {e["marker"]: e for e in log}
    stored_ids = {i for i, _, _ in ideas}
    stored_markers = {}
    unknown = 0
    for idea_id, title, _ in ideas:
        marker = title.removeprefix("Ren strand ")
        if marker not in by_marker:
            unknown += 1
        stored_markers.setdefault(marker, []).append(idea_id)
    duplicates = sum(len(ids) - 1 for ids in stored_markers.values())
    wrong_id = sum(
        1
        for marker, ids in stored_markers.items()
        if marker in by_marker and by_marker[marker].get("id") not in ids
    )
    lost = sum(1 for i in committed if i not in stored_ids)
    refused = [e for e in log if e["status"] not in (201, None)]
    unanswered = sum(1 for e in log if e["status"] is None)
    retried = [e for e in log if e["attempts"] > 1]
    replayed = sum(1 for e in retried if e.get("replayed"))
    incomplete = sum(
        1
        for idea_id, _, network in ideas
        if history.get(idea_id) != 1 or feed.get(idea_id, 0) != (1 if network else 0)
    )
    webhooks_missing = len(routed - set(delivered))
    max_ready = max(ready_times) if ready_times else 0.0

    failures = {
        "lost": lost,
        "unknown": unknown,
        "duplicates": duplicates + wrong_id,
        "webhooks missing": webhooks_missing,
        "incomplete rows": incomplete,
        "refused (4xx)": len(refused),
        "unanswered": unanswered + stuck,
        "slow restarts (>= 2 s)": sum(1 for r in ready_times if r >= READY_LIMIT),
        "integrity_check not ok": 0 if integrity in (["ok"], ["not applicable (PostgreSQL)"]) else 1,
    }
    print(f"summary ({args.backend}, {kills} kills, seed {seed}):")
    print(f"  sent:                {len(log)}")
    print(f"  201s:                {len(committed)} ({len(routed)} routed to a network)")
    print(f"  answers lost, retried with the same key: {len(retried)} "
          f"({replayed} replayed a stored idea, {len(retried) - replayed} stored by the retry)")
    print(f"  stored ideas:        {len(ideas)} (idempotency keys: {keys})")
    print(f"  lost:                {lost}")
    print(f"  duplicates:          {duplicates + wrong_id}")
    print(f"  unknown:             {unknown}")
    print(f"  incomplete rows:     {incomplete}")
    print(f"  webhooks missing:    {webhooks_missing} (received {sum(delivered.values())} deliveries "
          f"for {len(delivered)} ideas)")
    print(f"  integrity_check:     {', '.join(integrity)}")
    print(f"  first start:         {first_start:.3f} s")
    print(f"  ready after restart: max {max_ready:.3f} s, "
          f"mean {sum(ready_times) / max(len(ready_times), 1):.3f} s over {len(ready_times)} restarts")
    for entry in refused[:5]:
        print(f"  refused: {entry['marker']}: {entry['status']} {entry.get('problem')}")
    failed = {name: count for name, count in failures.items() if count}
    if failed:
        print(f"FAILED: {failed}")
        print(f"(server log and database kept in {workdir})")
        return 1
    print("PASSED")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
