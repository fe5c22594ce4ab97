#!/usr/bin/env python3
"""Crash durability of the real binary during webhook delivery (SPEC §7, §9; issue 17).

A receiver on 127.0.0.1 serves two webhook endpoints of one org and records every
arrival: endpoint, `webhook-id`, the event's `sequence` from the payload, and whether
the Standard Webhooks signature verified. N events are created through the Partner
API (`POST /api/users/{partner_id}` for N new users: exactly one `user.created` each;
the call is idempotent, so a create cut off by a kill is simply sent again). Meanwhile
`portico serve` (with its delivery worker) is killed with SIGKILL K times, each at a
random moment *during* delivery (the receiver has part of the deliveries, not all),
and restarted at once on the same database. Then, within a bounded wait:

- the events in the database (read back through `GET /api/events`) are exactly the N
  `user.created` events of the N acknowledged users: none lost, none doubled;
- every event id has reached each endpoint at least once, every body verified;
- per endpoint, first arrivals came in increasing `sequence` order, and never more
  than one request was in flight at once (SPEC §7's ordering promise);
- the number of duplicates (arrivals beyond the first, per endpoint) is printed.

With --sqlite-kill-check (DATABASE_URL must be sqlite://PATH): a second database next
to PATH takes many concurrent user creates; the server is SIGKILLed mid-write (three
rounds); each time the file opens with Python's sqlite3, `PRAGMA integrity_check` is
`ok`, every user whose create was answered 2xx before the kill is present, and each
user has its `user.created` event (committed with the change).

Usage: .ci/chaos.py PORTICO_BINARY DATABASE_URL [--events N] [--kills K] [--sqlite-kill-check]
                    [--seed S] [--clients C] [--wait SECONDS]
Exit status non-zero on any violation.
"""
import argparse, base64, shutil, http.client, json, os, queue, random, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ports import PorticoCommandFailed, free_port, ready, run_portico

from standardwebhooks.webhooks import Webhook

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("database_url")
parser.add_argument("--events", type=int, default=1000)
parser.add_argument("--kills", type=int, default=1)
parser.add_argument("--sqlite-kill-check", action="store_true")
parser.add_argument("--seed", type=int, default=None)
parser.add_argument("--clients", type=int, default=8, help="parallel API clients creating users")
parser.add_argument("--wait", type=float, default=None, help="bound on the final wait for deliveries (seconds)")
args = parser.parse_args()

binary, database_url = args.binary, args.database_url
seed = args.seed if args.seed is not None else random.randrange(1 << 30)
rng = random.Random(seed)
work = tempfile.mkdtemp(prefix="portico-chaos.")
# A short retry schedule and attempt limit: an attempt cut off by a kill is sent again as
# soon as the dead process's lease on the endpoint lapses (PORTICO_WEBHOOK_TIMEOUT + 60 s).
env = dict(os.environ, DATABASE_URL=database_url, PORTICO_WEBHOOK_ALLOW_PRIVATE="true", PORTICO_RATE_LIMIT="off",
           PORTICO_WEBHOOK_RETRY_SCHEDULE="1,1,1,1,1", PORTICO_WEBHOOK_TIMEOUT="5", LOG_LEVEL="warning")
processes = []


def fail(message):
    print("FAIL:", message, f"(seed {seed}; logs in {work})")
    for p in processes:
        if p.poll() is None:
            p.kill()
    sys.exit(1)


def cli(*argv, environment=None):
    try:
        return run_portico(binary, environment or env, argv)
    except PorticoCommandFailed as failure:
        fail(str(failure))


def start(*argv, name, environment=None):
    log = open(os.path.join(work, name + ".log"), "a")
    p = subprocess.Popen([binary, *argv], env=environment or env, stdout=log, stderr=subprocess.STDOUT)
    processes.append(p)
    return p


def wait_until(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    fail(what)


def serve(port, name):
    p = start("serve", "--hostname", "127.0.0.1", "--port", str(port), name=name)
    deadline = time.time() + 60
    while not ready(port):
        if p.poll() is not None or time.time() > deadline:
            fail(f"portico serve did not become ready (see {name}.log)")
        time.sleep(0.05)
    return p


def sigkill(p):
    p.send_signal(signal.SIGKILL)
    p.wait()


class Client:
    """One keep-alive connection to the Partner API; reconnects after errors."""

    def __init__(self, port, key):
        self.port, self.key, self.conn = port, key, None

    def request(self, method, path, body=None):
        """(status, parsed JSON or None); raises OSError / http.client errors when the server is gone."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Authorization": f"Bearer {self.key}"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, None


def events_after(client, after):
    """Every event after `after`, through the pull API (sequence order)."""
    out = []
    while True:
        status, body = client.request("GET", f"/api/events?after_sequence={after}&limit=1000")
        if status != 200:
            fail(f"GET /api/events answered {status}")
        out.extend(body["events"])
        if not body["events"]:
            return out
        after = body["next_after_sequence"]


# ---------------------------------------------------------------------------------------
# The receiver.

lock = threading.Lock()
arrivals = []                  # (path, webhook-id, sequence), in arrival order, verified only
unverified = []                # (path, reason)
in_flight = Counter()          # path -> requests being handled now
max_in_flight = Counter()
secrets = {}                   # path -> whsec_ secret


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        path = self.path
        with lock:
            in_flight[path] += 1
            max_in_flight[path] = max(max_in_flight[path], in_flight[path])
        ok, reason = False, ""
        try:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                reason = "cut off"  # the sender died mid-request: not an arrival
                raise ValueError(reason)
            headers = {k.lower(): v for k, v in self.headers.items()}
            payload = Webhook(secrets[path]).verify(body, headers)
            if payload["webhook"]["id"] != headers["webhook-id"]:
                raise ValueError("webhook-id differs from the payload's id")
            ok = True
        except Exception as error:  # noqa: BLE001 - any failure is a failed check
            reason = reason or repr(error)
        with lock:
            if ok:
                arrivals.append((path, headers["webhook-id"], payload["webhook"]["sequence"]))
            elif reason != "cut off":
                unverified.append((path, reason))
            # Out of flight before the answer leaves: the next request can only follow it.
            in_flight[path] -= 1
        try:
            self.send_response(200 if ok else 400)
            self.send_header("content-length", "0")
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *a):
        pass


def distinct_arrivals():
    with lock:
        return len(set((p, i) for p, i, _ in arrivals))


# ---------------------------------------------------------------------------------------
# The chaos run.

def chaos(n_events, n_kills):
    receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
    receiver.daemon_threads = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    receiver_port = receiver.server_address[1]

    slug = "chaos" + str(os.getpid())
    cli("org", "create", slug, "--name", "Chaos checks")
    key = json.loads(cli("apikey", "create", "--org", slug, "--json"))["key"]
    paths = ["/one", "/two"]
    for path in paths:
        endpoint = json.loads(cli("webhook", "create", "--org", slug, "--url", f"http://127.0.0.1:{receiver_port}{path}", "--json"))
        secrets[path] = "whsec_" + base64.b64encode(endpoint["key"].encode()).decode()

    port = free_port()
    started = time.time()
    server = serve(port, "serve")
    total = n_events * len(paths)

    # Creators: each user once acknowledged; a create cut off by a kill is sent again
    # (idempotent: a user that was committed comes back with "created": false).
    todo = queue.Queue()
    for i in range(n_events):
        todo.put(f"chaos-{i}")
    acked = {}   # partner_id -> created flag of the acknowledging answer
    creator_errors = []
    last_ack = [started]

    def creator():
        client = Client(port, key)
        while True:
            try:
                partner_id = todo.get_nowait()
            except queue.Empty:
                return
            for attempt in range(2000):
                try:
                    status, body = client.request("POST", f"/api/users/{partner_id}", {"email": f"{partner_id}@chaos.example"})
                except (OSError, http.client.HTTPException):
                    time.sleep(0.05)  # the server is down: try again once it is back
                    continue
                if status == 200:
                    with lock:
                        acked[partner_id] = body["created"]
                        last_ack[0] = time.time()
                    break
                if status >= 500:
                    creator_errors.append(f"{partner_id}: {status} {body}")
                    time.sleep(0.05)
                    continue
                creator_errors.append(f"{partner_id}: unexpected {status} {body}")
                break
            else:
                creator_errors.append(f"{partner_id}: never acknowledged")

    creators = [threading.Thread(target=creator, daemon=True) for _ in range(args.clients)]
    for t in creators:
        t.start()

    # Kills at random points of the delivery: as soon as the receiver has a random share
    # of the deliveries (5% to 90%, never all).
    thresholds = sorted(rng.uniform(0.05, 0.90) * total for _ in range(n_kills))
    kills = []
    for k, threshold in enumerate(thresholds):
        deadline = time.time() + 240 + 90 * k
        while distinct_arrivals() < threshold:
            if time.time() > deadline:
                fail(f"kill {k + 1}: the receiver never reached {int(threshold)} of {total} deliveries ({distinct_arrivals()} so far)")
            time.sleep(0.002)
        have = distinct_arrivals()
        if have >= total:
            fail(f"kill {k + 1} would come after the receiver had every delivery: not during delivery")
        sigkill(server)
        kills.append(have)
        print(f"chaos: SIGKILL {k + 1} of {n_kills} at {have} of {total} deliveries "
              f"({len(acked)} of {n_events} creates acknowledged), restarting")
        server = serve(port, "serve")

    for t in creators:
        t.join(timeout=600)
        if t.is_alive():
            fail("creators did not finish")
    if creator_errors:
        fail(f"{len(creator_errors)} creates went wrong, e.g. {creator_errors[:3]}")
    if len(acked) != n_events:
        fail(f"{len(acked)} of {n_events} creates acknowledged")
    created_time = last_ack[0] - started

    # The events in the database: exactly one user.created per user, none missing.
    client = Client(port, key)
    events = events_after(client, 0)
    types = Counter(e["type"] for e in events)
    if types != Counter({"user.created": n_events}):
        fail(f"expected {n_events} user.created events, the database has {dict(types)}")
    by_user = Counter(e["data"]["user"]["partner_id"] for e in events)
    missing_users = set(acked) - set(by_user)
    doubled = [u for u, c in by_user.items() if c > 1]
    if missing_users or doubled:
        fail(f"events: {len(missing_users)} acknowledged users without an event, {len(doubled)} with more than one")
    ids = {e["id"]: e["sequence"] for e in events}
    if len(ids) != n_events:
        fail(f"{n_events} events but {len(ids)} distinct ids")

    # Bounded wait for every event at every endpoint.
    bound = args.wait if args.wait is not None else 120 + 90 * n_kills + n_events / 20

    def complete():
        with lock:
            got = set((p, i) for p, i, _ in arrivals)
        return all((p, i) in got for p in paths for i in ids)

    wait_until(complete, bound, "not every event reached every endpoint in time: " + ", ".join(
        f"{p}={len(set(i for q, i, _ in arrivals if q == p) & set(ids))}/{n_events}" for p in paths))
    delivered_time = time.time() - started
    time.sleep(2)  # anything sent again would arrive now
    sigkill(server)
    receiver.shutdown()

    violations = []
    if unverified:
        violations.append(f"{len(unverified)} requests failed verification, e.g. {unverified[:3]}")
    strangers = set(i for _, i, _ in arrivals) - set(ids)
    if strangers:
        violations.append(f"{len(strangers)} webhook-ids that are no event of the org")
    duplicates = {}
    for path in paths:
        seen, order = set(), []
        for p, i, sequence in arrivals:
            if p != path:
                continue
            if ids.get(i) not in (None, sequence):
                violations.append(f"{path}: {i} arrived with sequence {sequence}, the event has {ids[i]}")
            if i not in seen:
                seen.add(i)
                order.append(sequence)
        out_of_order = [(a, b) for a, b in zip(order, order[1:]) if b <= a]
        if out_of_order:
            violations.append(f"{path}: {len(out_of_order)} first arrivals out of sequence order, e.g. {out_of_order[:3]}")
        if max_in_flight[path] > 1:
            violations.append(f"{path}: {max_in_flight[path]} requests in flight at once (SPEC §7: at most one)")
        duplicates[path] = sum(1 for p, _, _ in arrivals if p == path) - len(seen)
    print(f"chaos: {n_events} events x {len(paths)} endpoints, {n_kills} SIGKILLs during delivery "
          f"(at {', '.join(map(str, kills)) or '-'} of {total} deliveries); creates acknowledged in {created_time:.0f} s, "
          f"everything delivered in {delivered_time:.0f} s; duplicates: {sum(duplicates.values())} "
          f"({', '.join(f'{p} {n}' for p, n in duplicates.items())}); first arrivals in sequence order: "
          f"{'yes' if not any('order' in v for v in violations) else 'NO'} (seed {seed})")
    if violations:
        fail("; ".join(violations))


# ---------------------------------------------------------------------------------------
# SQLite killed mid-write.

def sqlite_kill_check(rounds=3, clients=16):
    if not database_url.startswith("sqlite://") or database_url == "sqlite::memory:":
        fail("--sqlite-kill-check needs a sqlite://PATH DATABASE_URL")
    path = database_url[len("sqlite://"):] + ".killcheck.sqlite"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    kill_env = dict(env, DATABASE_URL="sqlite://" + path)
    slug = "killcheck" + str(os.getpid())
    cli("org", "create", slug, "--name", "Kill check", environment=kill_env)
    key = json.loads(cli("apikey", "create", "--org", slug, "--json", environment=kill_env))["key"]
    acked = set()
    port = free_port()
    for r in range(rounds):
        p = start("serve", "--hostname", "127.0.0.1", "--port", str(port), name="killcheck", environment=kill_env)
        wait_until(lambda: ready(port), 60, "kill check: server not ready")
        stop = threading.Event()
        round_acked = []

        def writer(w):
            client = Client(port, key)
            n = 0
            while not stop.is_set():
                partner_id = f"k{r}-{w}-{n}"
                n += 1
                try:
                    status, _ = client.request("POST", f"/api/users/{partner_id}", {"email": f"{partner_id}@kill.example", "first_name": "K" * 40})
                except (OSError, http.client.HTTPException):
                    return
                if 200 <= status < 300:
                    with lock:
                        round_acked.append(partner_id)
                elif status >= 500:
                    with lock:
                        round_acked.append("!5xx " + partner_id)

        writers = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(clients)]
        for t in writers:
            t.start()
        # Mid-write: writes are being acknowledged steadily when the kill comes.
        target = rng.randint(200, 800)
        wait_until(lambda: len(round_acked) >= target, 120, "kill check: writes too slow")
        time.sleep(rng.uniform(0, 0.05))
        sigkill(p)
        with lock:
            answered = list(round_acked)
        stop.set()
        for t in writers:
            t.join(timeout=30)
        errors = [a for a in answered if a.startswith("!5xx")]
        if errors:
            fail(f"kill check: {len(errors)} creates answered 5xx")
        acked.update(answered)

        db = sqlite3.connect(path)
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
            present = set(row[0] for row in db.execute("SELECT partner_id FROM users"))
            users = db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
            created_events = db.execute("SELECT COUNT(*) FROM events WHERE type = 'user.created'").fetchone()[0]
        finally:
            db.close()
        if integrity != [("ok",)]:
            fail(f"kill check round {r + 1}: integrity_check says {integrity[:5]}")
        lost = acked - present
        if lost:
            fail(f"kill check round {r + 1}: {len(lost)} acknowledged users missing after the kill, e.g. {sorted(lost)[:3]}")
        if users != created_events:
            fail(f"kill check round {r + 1}: {users} users but {created_events} user.created events (not committed together)")
        print(f"chaos: SQLite kill check round {r + 1}: SIGKILL after {len(answered)} acknowledged creates; "
              f"integrity_check ok, all {len(acked)} acknowledged users present ({users} in all, each with its event)")
    # And the server starts on it again.
    p = start("serve", "--hostname", "127.0.0.1", "--port", str(port), name="killcheck", environment=kill_env)
    wait_until(lambda: ready(port), 60, "kill check: server not ready on the killed database")
    sample = sorted(acked)[0]
    status, _ = Client(port, key).request("GET", f"/api/users/{sample}")
    sigkill(p)
    if status != 200:
        fail(f"kill check: GET of an acknowledged user answered {status} after restart")


if args.events > 0:
    chaos(args.events, args.kills)
if args.sqlite_kill_check:
    sqlite_kill_check()
shutil.rmtree(work, ignore_errors=True)  # logs are kept only when something failed
print("chaos: ok")
