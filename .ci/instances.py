#!/usr/bin/env python3
"""Two `portico serve` processes on ONE PostgreSQL database (SPEC §2, §3-§10; issue 17).

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
    instances, even with the right password; the SSO API's Authenticate shares it;
(f) the OpenID Connect provider (SPEC §10) shared by both instances:
    (f1) signing keys: no key before the start, then one (both instances started at once
    and made the first key once): both `GET /oauth/jwks` publish the same single kid; after
    `portico oidc rotate-key --json` (the CLI on the same database) both publish [new kid,
    old kid] within 11 s (instances keep keys ≤ 10 s), and new ID tokens from either
    instance carry the new kid and verify against the JWKS;
    (f2) one sign-in across instances: `/oauth/authorize` at A → 302 to the org's login_url
    with return_to; `/login/sso?token=…&redirect_to=<return_to>` at B → 303 to the resume
    path on PORTICO_PUBLIC_URL (shared by both; its path is sent on to A) → resume at A →
    302 to redirect_uri with code, state, iss → `POST /oauth/token` at B → 200 (ID token:
    iss, aud, sub, nonce, kid) → UserInfo at A → 200 → refresh at A → 200;
    (f3) code redemption races: one fresh code, parallel `POST /oauth/token` → exactly one
    200, every other one 400 invalid_grant, never a 5xx; the reuse revoked what the code
    issued: the winner's access token → UserInfo 401, its refresh token → invalid_grant;
    (f4) refresh-rotation races: one refresh token, parallel refreshes → exactly one 200,
    every other one 400 invalid_grant; the reuse revoked the family: the winner's new
    refresh token → invalid_grant, its access token → UserInfo 401.

Usage: .ci/instances.py PORTICO_BINARY POSTGRES_DATABASE_URL [--events N] [--races R] [--parallel P]
Exit status non-zero on any violation; prints a summary. Needs python3 requests and cryptography.
"""
import argparse, base64, shutil, http.client, json, os, secrets as secrets_module, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ports import PorticoCommandFailed, free_port, ready, run_portico

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("database_url")
parser.add_argument("--events", type=int, default=500, help="user creates for the webhook check (d)")
parser.add_argument("--races", type=int, default=20, help="races of each kind (a)-(c), (f3), (f4)")
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
    try:
        return run_portico(binary, env, argv)
    except PorticoCommandFailed as failure:
        fail(str(failure))


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
keys_before_start = psql("SELECT COUNT(*) FROM oidc_keys")[0][0]  # (f1): the instances make the first key

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

# ---------------------------------------------------------------------------------------
# (f) the OpenID Connect provider across instances (SPEC §10): signing keys, codes, tokens.

def unb64(value):
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def jwks(port):
    status, _, raw = request(port, "GET", "/oauth/jwks")
    if status != 200:
        fail(f"(f) GET /oauth/jwks on instance {'AB'[port == B]} answered {status}: {raw[:200]!r}")
    return json.loads(raw)["keys"]


def kids(keys):
    return [k.get("kid") for k in keys]


def id_token(token, keys, what):
    """(kid, claims) of an ID token; a violation unless it is RS256 and verifies with its kid's key in `keys`."""
    head, payload, signature = token.split(".")
    header_, claims = json.loads(unb64(head)), json.loads(unb64(payload))
    key_ = next((k for k in keys if k.get("kid") == header_.get("kid")), None)
    if header_.get("alg") != "RS256" or key_ is None:
        violation(f"{what}: ID token header {header_}, JWKS kids {kids(keys)}")
        return header_.get("kid"), claims
    public = rsa.RSAPublicNumbers(int.from_bytes(unb64(key_["e"]), "big"), int.from_bytes(unb64(key_["n"]), "big")).public_key()
    try:
        public.verify(unb64(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        violation(f"{what}: the ID token's signature does not verify with its key {header_['kid']}")
    return header_["kid"], claims


discovery = {}
for port in ports:
    status, _, raw = request(port, "GET", "/.well-known/openid-configuration")
    if status != 200:
        fail(f"(f) discovery on instance {'AB'[port == B]} answered {status}")
    discovery[port] = json.loads(raw)
issuer = discovery[A]["issuer"]  # PORTICO_PUBLIC_URL: the same for both, as behind one load balancer
if discovery[A] != discovery[B]:
    violation(f"(f) the instances' discovery documents differ: {discovery[A]} / {discovery[B]}")

# (f1), part one: one key, made once by the two instances that started at once.
first_keys = {port: jwks(port) for port in ports}
key_rows = psql("SELECT kid, retired_at IS NULL FROM oidc_keys")
first_kid = kids(first_keys[A])[0] if first_keys[A] else None
if keys_before_start != "0":
    fail(f"(f1) {keys_before_start} OIDC keys existed before the instances started: the first-key race is not tested")
if len(first_keys[A]) != 1 or first_keys[A] != first_keys[B] or key_rows != [[first_kid, "t"]]:
    violation(f"(f1) after the start: JWKS kids A {kids(first_keys[A])}, B {kids(first_keys[B])}; oidc_keys rows {key_rows}")

# The client: an app of the demo org with a redirect URI; the org's login_url on an allowed host.
org_slug = demo["org"]["slug"]
login_url, redirect_uri = "http://127.0.0.1:9/login", "http://127.0.0.1:9/cb"
cli("org", "update", org_slug, "--login-url", login_url, "--allow-return-host", "127.0.0.1")
oidc_app = json.loads(cli("app", "create", "--org", org_slug, "--slug", "oidc", "--name", "OIDC", "--redirect-uri", redirect_uri, "--json"))
client_id, client_secret = oidc_app["client_id"], oidc_app["client_secret"]
client_auth = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}
authorize_path = "/oauth/authorize?" + urllib.parse.urlencode(
    {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid offline_access",
     "state": "s", "nonce": "n"}, quote_via=urllib.parse.quote)
browser = requests.Session()  # keeps the member session cookie (one host, either port)


def hop(port, path):
    """One browser GET on an instance, redirects not followed."""
    return browser.get(f"http://127.0.0.1:{port}{path}", allow_redirects=False, timeout=60)


def shown(r):
    return f"{r.request.method} {r.request.url} → {r.status_code} Location={r.headers.get('Location')!r} body={r.text[:300]!r}"


def code_from(r, what):
    """The code of a 302 to the redirect_uri (with state and iss), else fail."""
    target = r.headers.get("Location", "")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query))
    if r.status_code != 302 or not target.startswith(redirect_uri + "?") or not params.get("code") \
            or params.get("state") != "s" or params.get("iss") != issuer:
        fail(f"{what}: expected a 302 to {redirect_uri} with code, state and iss: {shown(r)}")
    return params["code"]


def new_code(port):
    """A fresh code from an instance, for the member signed in in (f2)."""
    return code_from(hop(port, authorize_path), f"(f) authorize on instance {'AB'[port == B]} with a member session")


def token_request(port, form):
    status, _, raw = request(port, "POST", "/oauth/token", form=form, headers=client_auth)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, {"body": raw[:200].decode(errors="replace")}


def redeem(port, code):
    return token_request(port, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})


def refresh(port, token):
    return token_request(port, {"grant_type": "refresh_token", "refresh_token": token})


def userinfo(port, access_token):
    status, _, raw = request(port, "GET", "/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    return status, (json.loads(raw) if raw.startswith(b"{") else None)


def token_outcomes(results):
    """(the 200 answers, the number of 400 invalid_grant, every other answer) of a token race."""
    wins, refusals, others = [], 0, []
    for res in results:
        if isinstance(res, Exception):
            others.append(repr(res))
            continue
        status, body = res
        if status == 200 and body.get("access_token"):
            wins.append(body)
        elif status == 400 and body.get("error") == "invalid_grant":
            refusals += 1
        else:
            others.append((status, body))
    return wins, refusals, others


# (f2) one sign-in across instances.
f1_line = len(summary)  # (f1)'s line goes first, written after the rotation at the end
r = hop(A, authorize_path)
login_target = r.headers.get("Location", "")
return_to = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(login_target).query)).get("return_to", "")
if r.status_code != 302 or not login_target.startswith(login_url + "?") or not return_to.startswith("/oauth/authorize/resume?request_id="):
    fail(f"(f2) authorize on A without a member session: expected a 302 to the login_url with return_to: {shown(r)}")
status, body = api(A, "POST", "/api/users/oidc-member", {"email": "oidc-member@instances.example", "first_name": "Olga"})
if status != 200:
    fail(f"(f2) POST /api/users/oidc-member on A answered {status}: {body}")
member_id = body["user"]["id"]
r = hop(B, "/login/sso?" + urllib.parse.urlencode({"token": body["user"]["token"]["token"], "redirect_to": return_to}))
if r.status_code != 303 or r.headers.get("Location") != issuer + return_to or "portico_session" not in browser.cookies.keys():
    fail(f"(f2) /login/sso on B: expected a 303 to {issuer + return_to} with a member session: {shown(r)}")
code = code_from(hop(A, return_to), "(f2) resume on A after the sign-in on B")
status, tokens = redeem(B, code)
if status != 200 or not all(tokens.get(k) for k in ("access_token", "id_token", "refresh_token")):
    fail(f"(f2) the code of A redeemed at B: {status} {tokens}")
kid, claims = id_token(tokens["id_token"], jwks(B), "(f2) the ID token from B")
expected_claims = {"iss": issuer, "aud": client_id, "sub": member_id, "nonce": "n"}
if kid != first_kid or {k: claims.get(k) for k in expected_claims} != expected_claims:
    violation(f"(f2) the ID token from B: kid {kid} (key {first_kid}), claims {claims}")
status, info = userinfo(A, tokens["access_token"])
if status != 200 or (info or {}).get("sub") != member_id:
    violation(f"(f2) UserInfo on A with B's access token: {status} {info}")
status, refreshed = refresh(A, tokens["refresh_token"])
if status != 200 or not refreshed.get("refresh_token") or refreshed["refresh_token"] == tokens["refresh_token"]:
    violation(f"(f2) refresh on A of B's refresh token: {status} {refreshed}")
summary.append("(f2) authorize at A → login_url → /login/sso at B → resume at A → code → token at B (200) → "
               "UserInfo at A (200) → refresh at A (200, rotated)")

# (f3) code redemption races.
code_results = Counter()
for r_ in range(args.races):
    code = new_code(ports[r_ % 2])
    wins, refusals, others = token_outcomes(race([lambda port=port: redeem(port, code) for port in port_of]))
    revoked = None
    if len(wins) == 1:
        info_status = [userinfo(port, wins[0]["access_token"])[0] for port in ports]
        refresh_answer = refresh(ports[r_ % 2], wins[0]["refresh_token"])
        revoked = info_status == [401, 401] and refresh_answer[0] == 400 and refresh_answer[1].get("error") == "invalid_grant"
        if not revoked:
            violation(f"(f3) code {r_}: after the reuse, the winner's access token → UserInfo {info_status} (A, B), "
                      f"its refresh token → {refresh_answer}; expected 401 and 400 invalid_grant")
    code_results[(len(wins), refusals)] += 1
    if len(wins) != 1 or refusals != P - 1:
        violation(f"(f3) code {r_}: {len(wins)} token answers, {refusals} invalid_grant, other answers {others[:3]}")
summary.append(f"(f3) {args.races} code races x {P} parallel redemptions across both instances: "
               f"{dict(code_results)} (200, 400 invalid_grant) per code; the winner's tokens revoked by the reuse")

# (f4) refresh-rotation races.
refresh_results = Counter()
for r_ in range(args.races):
    status, issued = redeem(other(ports[r_ % 2]), new_code(ports[r_ % 2]))
    if status != 200 or not issued.get("refresh_token"):
        fail(f"(f4) race {r_}: a fresh code redeemed: {status} {issued}")
    wins, refusals, others = token_outcomes(race([lambda port=port: refresh(port, issued["refresh_token"]) for port in port_of]))
    if len(wins) == 1:
        after = refresh(ports[r_ % 2], wins[0]["refresh_token"])
        info_status = userinfo(other(ports[r_ % 2]), wins[0]["access_token"])[0]
        if after[0] != 400 or after[1].get("error") != "invalid_grant" or info_status != 401:
            violation(f"(f4) race {r_}: after the reuse, the winner's new refresh token → {after}, "
                      f"its access token → UserInfo {info_status}; expected 400 invalid_grant and 401")
    refresh_results[(len(wins), refusals)] += 1
    if len(wins) != 1 or refusals != P - 1:
        violation(f"(f4) race {r_}: {len(wins)} token answers, {refusals} invalid_grant, other answers {others[:3]}")
summary.append(f"(f4) {args.races} refresh races x {P} parallel refreshes across both instances: "
               f"{dict(refresh_results)} (200, 400 invalid_grant) per token; the family revoked by the reuse")

# (f1), part two: a new key from the command line reaches both instances within 11 s.
rotated = json.loads(cli("oidc", "rotate-key", "--json"))
rotated_at = time.time()
if rotated.get("previous_kid") != first_kid or rotated.get("alg") != "RS256" or rotated.get("kid") in (None, first_kid):
    violation(f"(f1) oidc rotate-key --json printed {rotated}; the key was {first_kid}")
new_kids = [rotated.get("kid"), first_kid]
seen, strange = {}, []
while len(seen) < 2 and time.time() - rotated_at < 15:
    for port in ports:
        published = kids(jwks(port))
        if published == new_kids:
            seen.setdefault(port, time.time() - rotated_at)
        elif published != [first_kid] or port in seen:
            strange.append(("AB"[port == B], published))
    time.sleep(0.2)
if len(seen) < 2 or max(seen.values()) > 11 or strange:
    violation(f"(f1) after the rotation, [new, old] published after {seen} s (A={A}, B={B}); other JWKS seen: {strange[:3]}")
key_rows = sorted(psql("SELECT kid, retired_at IS NULL FROM oidc_keys"))
if key_rows != sorted([[rotated.get("kid"), "t"], [first_kid, "f"]]):
    violation(f"(f1) oidc_keys after the rotation: {key_rows}")
new_tokens = []
for port in ports:  # a code of this instance redeemed at the other, and a refresh here
    status, body = redeem(other(port), new_code(port))
    new_tokens.append((f"code of {'AB'[port == B]} redeemed at {'AB'[port != B]}", other(port), status, body))
    status, body2 = refresh(port, body.get("refresh_token", ""))
    new_tokens.append((f"refresh at {'AB'[port == B]}", port, status, body2))
for what, port, status, body in new_tokens:
    if status != 200:
        violation(f"(f1) after the rotation, {what}: {status} {body}")
        continue
    kid, _ = id_token(body["id_token"], jwks(port), f"(f1) after the rotation, {what}")
    if kid != rotated.get("kid"):
        violation(f"(f1) after the rotation, {what}: ID token kid {kid}, expected the new {rotated.get('kid')}")
summary.insert(f1_line, f"(f1) one signing key made at the start by both instances (none before), the same kid on both; "
               f"after oidc rotate-key [new, old] on both within {max(seen.values(), default=float('nan')):.1f} s "
               f"(A {seen.get(A, float('nan')):.1f} s, B {seen.get(B, float('nan')):.1f} s), new ID tokens from both carry the new kid")

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
