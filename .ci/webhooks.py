#!/usr/bin/env python3
"""Webhook checks of the real binary, with a real receiver on 127.0.0.1.

1. Every delivery verifies with the official `standardwebhooks` package.
2. Durability: events committed by `portico serve --no-webhook-worker`, which is then
   killed with SIGKILL, are delivered by a `portico worker` started afterwards.
3. (with --two-workers, PostgreSQL) two `portico worker` processes on one database,
   1,000 events to four endpoints: every delivery made exactly once (counted here).

Usage: .ci/webhooks.py PORTICO_BINARY DATABASE_URL [--two-workers]
"""
import base64, json, os, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ports import PorticoCommandFailed, free_port, ready, run_portico

from standardwebhooks.webhooks import Webhook

binary, database_url = sys.argv[1], sys.argv[2]
two_workers = "--two-workers" in sys.argv[3:]
work = tempfile.mkdtemp(prefix="portico-webhooks.")
env = dict(os.environ, DATABASE_URL=database_url, PORTICO_WEBHOOK_ALLOW_PRIVATE="true", PORTICO_RATE_LIMIT="off", LOG_LEVEL="warning")
processes = []


def fail(message):
    print("FAIL:", message)
    for p in processes:
        p.kill()
    sys.exit(1)


def cli(*args):
    try:
        return run_portico(binary, env, args)
    except PorticoCommandFailed as failure:
        fail(str(failure))


def start(*args, name):
    log = open(os.path.join(work, name + ".log"), "w")
    p = subprocess.Popen([binary, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    processes.append(p)
    return p


# The receiver: records (path, webhook-id) and verifies each body with standardwebhooks.
lock = threading.Lock()
received = []          # (path, webhook-id)
verified = Counter()   # path -> deliveries that verified
secrets = {}           # path -> whsec_ secret


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok = False
        try:
            payload = Webhook(secrets[self.path]).verify(body, headers)
            ok = payload["webhook"]["id"] == headers["webhook-id"]
        except Exception as error:  # noqa: BLE001 - any failure is a failed check
            print("verification failed:", self.path, error)
        with lock:
            received.append((self.path, headers.get("webhook-id")))
            if ok:
                verified[self.path] += 1
        self.send_response(200 if ok else 400)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


receiver_port = free_port()
receiver = ThreadingHTTPServer(("127.0.0.1", receiver_port), Hook)
threading.Thread(target=receiver.serve_forever, daemon=True).start()

slug = "wh" + str(os.getpid())
cli("org", "create", slug, "--name", "Webhook checks")
key = json.loads(cli("apikey", "create", "--org", slug, "--json"))["key"]


def register(path):
    endpoint = json.loads(cli("webhook", "create", "--org", slug, "--url", f"http://127.0.0.1:{receiver_port}{path}", "--json"))
    assert len(endpoint["key"]) == 32, endpoint
    secrets[path] = "whsec_" + base64.b64encode(endpoint["key"].encode()).decode()


def wait_until(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    fail(what)


def api(port, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=json.dumps(body or {}).encode(),
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


# 1 + 2: events committed, the server killed before any delivery, a worker started later.
register("/durable")
port = free_port()
server = start("serve", "--hostname", "127.0.0.1", "--port", str(port), "--no-webhook-worker", name="serve")
wait_until(lambda: ready(port), 60, "server not ready")
for i in range(20):
    api(port, "POST", f"/api/users/durable-{i}", {"email": f"d{i}@x.example"})
server.send_signal(signal.SIGKILL)
server.wait()
time.sleep(0.5)
if received:
    fail("deliveries made by a server without a worker")
worker = start("worker", name="worker")
wait_until(lambda: verified["/durable"] >= 20, 60, f"only {verified['/durable']} of 20 events delivered after the restart")
time.sleep(1)
ids = [i for p, i in received if p == "/durable"]
if len(ids) != 20 or len(set(ids)) != 20:
    fail(f"expected 20 distinct deliveries, got {len(ids)} ({len(set(ids))} distinct)")
worker.send_signal(signal.SIGTERM)
try:
    worker.wait(timeout=30)
except subprocess.TimeoutExpired:
    fail("portico worker did not stop on SIGTERM")
print("webhooks: 20 events committed before a SIGKILL were delivered by a new worker; all verified by standardwebhooks")

if two_workers:
    paths = ["/a", "/b", "/c", "/d"]
    for path in paths:
        register(path)
    workers = [start("worker", name=f"worker{n}") for n in (1, 2)]
    port = free_port()
    server = start("serve", "--hostname", "127.0.0.1", "--port", str(port), "--no-webhook-worker", name="serve2")
    wait_until(lambda: ready(port), 60, "second server not ready")
    for i in range(1000):
        api(port, "POST", f"/api/users/many-{i}")
    wait_until(lambda: all(verified[p] >= 1000 for p in paths), 240,
               "not every event delivered: " + ", ".join(f"{p}={verified[p]}" for p in paths))
    time.sleep(2)  # anything sent twice would arrive now
    counts = Counter(received)
    twice = [k for k, n in counts.items() if n > 1 and k[0] in paths]
    if twice:
        fail(f"{len(twice)} deliveries made more than once, e.g. {twice[:3]}")
    for path in paths:
        n = sum(1 for p, _ in received if p == path)
        if n != 1000:
            fail(f"{path}: {n} deliveries for 1000 events")
    for p in workers + [server]:
        p.send_signal(signal.SIGTERM)
    print("webhooks: two worker processes, 1,000 events x 4 endpoints: 4,000 deliveries, each made once, all verified")

for p in processes:
    if p.poll() is None:
        p.kill()
receiver.shutdown()
print("webhooks: ok")
