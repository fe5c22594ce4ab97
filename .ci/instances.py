#!/usr/bin/env python3
"""Two `portico serve` processes on ONE PostgreSQL database (SPEC §2, §3-§9; issue 17).

Requests alternate between the two instances (A and B), each race's requests start
together (a barrier) and half go to each instance:

(a) user creation races: parallel `POST /api/users/{same id}` → every answer 200
    (SPEC §3: 200 whether it created or found), exactly one `"created": true`, one
    user id in every answer, exactly one row per partner_id (checked with psql);
(b) SSO-token redemption races: one token, parallel `GET /login/sso?token=` → exactly
    one 303 to the member area with a member session cookie, every other one refused
    (401 "already used", SPEC §4), never a 5xx;
(c) launch-code exchange races (SPEC §6): one code from `POST .../launch-codes`,
    parallel `GET /jsp/api/getUserId?t=&k=` → exactly one 200 with the user, every
    other one 400 `X-Error: code is not correct`;
(d) webhook delivery with both instances' workers running: four endpoints on a
    receiver that always answers 200, the events of (a)-(c) plus N user creates
    alternating A/B → each (endpoint, webhook-id) arrives exactly once, every event of
    the org after registration arrives at each endpoint;
(e) admin sign-in throttling is kept in the database: 5 wrong passwords alternating
    A/B → 401 each; the 6th (on the other instance) → 429 with Retry-After, on both
    instances, even with the right password; the SSO API's Authenticate shares it.

Usage: .ci/instances.py PORTICO_BINARY POSTGRES_DATABASE_URL [--events N] [--races R] [--parallel P]
Exit status non-zero on any violation; prints a summary.
"""
import argparse, base64, shutil, http.client, json, os, secrets as secrets_module, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ports import free_port, ready

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("database_url")
parser.add_argument("--events", type=int, default=500, help="user creates for the webhook check (d)")
parser.add_argument("--races", type=int, default=20, help="races of each kind (a)-(c)")
parser.add_argument("--parallel", type=int, default=12, help="requests per race, half to each instance")
args = parser.parse_args()

binary, database_url = args.binary, args.database_url
if not database_url.startswith("postgres"):
    sys.exit("instances.py needs a postgres:// DATABASE_URL")
work = tempfile.mkdtemp(prefix="portico-instances.")
env = dict(os.environ, DATABASE_URL=database_url, PORTICO_WEBHOOK_ALLOW_PRIVATE="true", PORTICO_RATE_LIMIT="off",
           PORTICO_FAILURE_LIMIT="off", LOG_LEVEL="warning")
processes = []
violations = []
summary = []


def fail(message):
    print("FAIL:", message, f"(logs in {work})")
    for p in processes:
        if p.poll() is None:
            p.kill()
    sys.exit(1)


def violation(message):
    print("VIOLATION:", message)
    violations.append(message)


def cli(*argv):
    out = subprocess.run([binary, *argv], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"portico {argv[0]} {argv[1] if len(argv) > 1 else ''}: {out.stderr.strip()}")
    return out.stdout


def psql(query):
    out = subprocess.run(["psql", database_url, "-Atc", query], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"psql: {out.stderr.strip()}")
    return [line.split("|") for line in out.stdout.splitlines() if line]


def wait_until(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    fail(what)


def request(port, method, path, body=None, headers=None, form=None):
    """(status, headers as a list of pairs, body bytes) from a fresh connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    return r.status, r.getheaders(), raw


def header(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def race(requests_):
    """Runs callables at once (a barrier); returns their results (or exceptions) in order."""
    barrier = threading.Barrier(len(requests_))
    results = [None] * len(requests_)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:  # noqa: BLE001
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(requests_)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# ---------------------------------------------------------------------------------------
# The receiver: counts arrivals per (endpoint, webhook-id) and always answers 200.

lock = threading.Lock()
arrivals = Counter()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock:
            arrivals[(self.path, self.headers.get("webhook-id"))] += 1
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
receiver.daemon_threads = True
threading.Thread(target=receiver.serve_forever, daemon=True).start()
receiver_port = receiver.server_address[1]

# ---------------------------------------------------------------------------------------
# Setup: the demo org, an admin of our own for (e), two instances started at once.

demo = json.loads(cli("demo", "--json"))
key = demo["apikey"]["key"]
app_slug, app_key = demo["app"]["slug"], demo["app"]["key"]
throttled_email = f"throttle-{os.getpid()}@instances.example"
throttled_password = secrets_module.token_hex(12)
cli("admin", "create", "--org", demo["org"]["slug"], "--email", throttled_email, "--password", throttled_password)
auth = {"Authorization": f"Bearer {key}"}

ports = [free_port(), free_port()]
for n, port in enumerate(ports):
    log = open(os.path.join(work, f"serve{n}.log"), "w")
    processes.append(subprocess.Popen([binary, "serve", "--hostname", "127.0.0.1", "--port", str(port)],
                                      env=env, stdout=log, stderr=subprocess.STDOUT))
wait_until(lambda: all(ready(p) for p in ports), 90, "the two instances did not both become ready")
A, B = ports


def other(port):
    return B if port == A else A


def api(port, method, path, body=None):
    status, headers, raw = request(port, method, path, body=body, headers=auth)
    return status, (json.loads(raw) if raw else None)


def all_events(after):
    out = []
    while True:
        status, body = api(A, "GET", f"/api/events?after_sequence={after}&limit=1000")
        if status != 200:
            fail(f"GET /api/events answered {status}")
        out.extend(body["events"])
        if not body["events"]:
            return out
        after = body["next_after_sequence"]


# (d), part one: endpoints registered before anything else, so every later event goes to each.
start_sequence = max([e["sequence"] for e in all_events(0)] or [0])
paths = ["/w1", "/w2", "/w3", "/w4"]
for n, path in enumerate(paths):
    status, body = api(ports[n % 2], "POST", "/api/webhooks", {"url": f"http://127.0.0.1:{receiver_port}{path}"})
    if status != 201:
        fail(f"POST /api/webhooks answered {status}: {body}")

P = args.parallel
port_of = [ports[i % 2] for i in range(P)]   # half of each race to each instance

# ---------------------------------------------------------------------------------------
# (a) user creation races.

created_counts = Counter()
for r in range(args.races):
    partner_id = f"race-{r}"
    results = race([lambda port=port: api(port, "POST", f"/api/users/{partner_id}", {"email": f"{partner_id}@instances.example"})
                    for port in port_of])
    statuses = Counter(res[0] if isinstance(res, tuple) else type(res).__name__ for res in results)
    if statuses != Counter({200: P}):
        violation(f"(a) {partner_id}: answers {dict(statuses)}, expected {P} x 200")
        continue
    created = sum(1 for _, body in results if body.get("created") is True)
    ids = set(body["user"]["id"] for _, body in results)
    created_counts[created] += 1
    if created != 1 or len(ids) != 1:
        violation(f"(a) {partner_id}: {created} answers said created, {len(ids)} distinct user ids")
rows = psql("SELECT partner_id, COUNT(*) FROM users WHERE partner_id LIKE 'race-%' GROUP BY partner_id")
doubled = [r for r in rows if r[1] != "1"]
if len(rows) != args.races or doubled:
    violation(f"(a) psql: {len(rows)} partner_ids for {args.races} races, {len(doubled)} with more than one row: {doubled[:3]}")
for r in range(args.races):
    answers = set()
    for port in ports:
        status, body = api(port, "GET", f"/api/users/race-{r}")
        answers.add((status, body["user"]["id"] if status == 200 else None))
    if len(answers) != 1 or next(iter(answers))[0] != 200:
        violation(f"(a) race-{r}: the instances disagree: {answers}")
summary.append(f"(a) {args.races} user-creation races x {P} parallel requests across both instances: every answer 200, "
               f"exactly one created and one row each")

# ---------------------------------------------------------------------------------------
# (b) SSO-token redemption races.

sso_outcomes = Counter()
for r in range(args.races):
    status, body = api(A if r % 2 else B, "POST", f"/api/users/sso-{r}")
    if status != 200:
        fail(f"(b) POST /api/users/sso-{r} answered {status}")
    token_path = "/login/sso?token=" + urllib.parse.quote(body["user"]["token"]["token"])
    results = race([lambda port=port: request(port, "GET", token_path) for port in port_of])
    wins, refusals, other_answers = 0, 0, []
    for res in results:
        if isinstance(res, Exception):
            other_answers.append(repr(res))
            continue
        status, headers, _ = res
        member_cookie = any(c.startswith("portico_session=") and not c.startswith("portico_session=;") for c in header(headers, "Set-Cookie"))
        location = (header(headers, "Location") or [""])[0]
        if status == 303 and member_cookie and location.endswith("/members/dashboard"):
            wins += 1
        elif status == 401 and not member_cookie:
            refusals += 1
        else:
            other_answers.append((status, location))
    sso_outcomes[(wins, refusals)] += 1
    if wins != 1 or refusals != P - 1:
        violation(f"(b) token {r}: {wins} sign-ins, {refusals} refusals, other answers {other_answers[:3]}")
summary.append(f"(b) {args.races} SSO-token races x {P} parallel redemptions across both instances: "
               f"{dict(sso_outcomes)} (sign-ins, 401 refusals) per token")

# ---------------------------------------------------------------------------------------
# (c) launch-code exchange races.

launch_outcomes = Counter()
for r in range(args.races):
    partner_id = f"launch-{r}"
    api(A, "POST", f"/api/users/{partner_id}", {"first_name": "Lena", "last_name": f"Race{r}"})
    status, body = api(B if r % 2 else A, "POST", f"/api/users/{partner_id}/launch-codes", {"app": app_slug})
    if status != 200:
        fail(f"(c) POST /api/users/{partner_id}/launch-codes answered {status}: {body}")
    exchange = "/jsp/api/getUserId?" + urllib.parse.urlencode({"t": body["code"], "k": app_key})
    results = race([lambda port=port: request(port, "GET", exchange) for port in port_of])
    wins, refusals, other_answers = 0, 0, []
    for res in results:
        if isinstance(res, Exception):
            other_answers.append(repr(res))
            continue
        status, headers, raw = res
        if status == 200 and json.loads(raw).get("username") == partner_id and not header(headers, "X-Error"):
            wins += 1
        elif status == 400 and header(headers, "X-Error") == ["code is not correct"]:
            refusals += 1
        else:
            other_answers.append((status, header(headers, "X-Error")))
    launch_outcomes[(wins, refusals)] += 1
    if wins != 1 or refusals != P - 1:
        violation(f"(c) code {r}: {wins} successes, {refusals} refusals, other answers {other_answers[:3]}")
summary.append(f"(c) {args.races} launch-code races x {P} parallel exchanges across both instances: "
               f"{dict(launch_outcomes)} (successes, 'code is not correct') per code")

# ---------------------------------------------------------------------------------------
# (d) webhook delivery with both workers: N more events, alternating instances.

def creates(offset):
    for i in range(offset, args.events, 4):
        status, _ = api(ports[i % 2], "POST", f"/api/users/hook-{i}")
        if status != 200:
            violation(f"(d) POST /api/users/hook-{i} answered {status}")


started = time.time()
threads = [threading.Thread(target=creates, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
expected = {e["id"] for e in all_events(start_sequence)}


def delivered():
    with lock:
        return all((p, i) in arrivals for p in paths for i in expected)


wait_until(delivered, 120 + args.events / 10, "(d) not every event reached every endpoint: " + ", ".join(
    f"{p}={sum(1 for (q, i) in list(arrivals) if q == p and i in expected)}/{len(expected)}" for p in paths))
delivery_time = time.time() - started
time.sleep(3)  # a second delivery of anything would arrive now
with lock:
    twice = [(k, n) for k, n in arrivals.items() if n > 1]
    strangers = [k for k in arrivals if k[1] not in expected or k[0] not in paths]
    total_arrivals = sum(arrivals.values())
if twice:
    violation(f"(d) {len(twice)} deliveries made more than once, e.g. {twice[:3]}")
if strangers:
    violation(f"(d) {len(strangers)} deliveries of no expected event or endpoint, e.g. {strangers[:3]}")
if total_arrivals != len(expected) * len(paths):
    violation(f"(d) {total_arrivals} arrivals for {len(expected)} events x {len(paths)} endpoints")
summary.append(f"(d) both instances' workers: {len(expected)} events x {len(paths)} endpoints = {total_arrivals} deliveries, "
               f"each made once ({delivery_time:.0f} s)")

# ---------------------------------------------------------------------------------------
# (e) admin sign-in throttling across instances (SPEC §5, §8: kept in the database).

def admin_login(port, password):
    csrf = secrets_module.token_hex(16)
    status, headers, _ = request(port, "POST", "/login/admin",
                                 form={"email": throttled_email, "password": password, "csrf_token": csrf},
                                 headers={"Cookie": f"portico_admin_login={csrf}"})
    return status, header(headers, "Retry-After")


for n in range(5):
    port = ports[n % 2]
    status, _ = admin_login(port, "wrong-" + secrets_module.token_hex(4))
    if status != 401:
        violation(f"(e) wrong password {n + 1} on instance {'AB'[n % 2]}: {status}, expected 401")
for n, (port, password) in enumerate([(B, "wrong-again"), (A, "wrong-again"), (A, throttled_password), (B, throttled_password)]):
    status, retry_after = admin_login(port, password)
    if status != 429 or not retry_after or not 1 <= int(retry_after[0]) <= 900:
        violation(f"(e) attempt {6 + n} on instance {'AB'[port == B]} after 5 failures: {status} Retry-After {retry_after}, expected 429")
status, headers, raw = request(A, "POST", "/api/v1/AdminApi/Authenticate",
                               body={"username": throttled_email, "password": throttled_password, "grant_type": "password"})
if status not in (403, 429) or "access_token" in (json.loads(raw) if raw.startswith(b"{") else {}):
    violation(f"(e) SSO API Authenticate while throttled: {status}, expected 403 or 429 without a token")
summary.append("(e) 5 wrong admin passwords alternating A/B → 401 each; then 429 with Retry-After on both instances, "
               "also for the right password and for the SSO API's Authenticate")

for p in processes:
    p.send_signal(signal.SIGTERM)
for p in processes:
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        violation("an instance did not stop on SIGTERM")
receiver.shutdown()
for line in summary:
    print("instances:", line)
if violations:
    print(f"instances: {len(violations)} violations")
    sys.exit(1)
shutil.rmtree(work, ignore_errors=True)  # logs are kept only when something failed
print("instances: ok")
