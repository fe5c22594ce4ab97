#!/usr/bin/env python3
"""A graceful stop of the real binary under load (SPEC §9: SIGTERM).

`portico serve` takes user creates from 32 parallel keep-alive clients; after a moment
it gets SIGTERM. The process must exit on its own with status 0 within 20 s, print no
`Fatal error`, and answer every request it accepted with 2xx: a request in flight at
SIGTERM finishes before the database goes away. A client may see its connection
refused or closed once the server stops accepting; that is the stop, not an error.
Rounds: three.

Usage: .ci/shutdown.py PORTICO_BINARY DATABASE_URL
Exit status non-zero on any violation.
"""
import http.client, json, os, signal, subprocess, sys, tempfile, threading, time
from collections import Counter

from ports import PorticoCommandFailed, free_port, ready, run_portico

binary, database_url = sys.argv[1], sys.argv[2]
env = dict(os.environ, DATABASE_URL=database_url, PORTICO_RATE_LIMIT="off", LOG_LEVEL="warning")
work = tempfile.mkdtemp(prefix="portico-shutdown.")


def fail(message):
    print(f"shutdown: FAIL: {message}")
    sys.exit(1)


def cli(*arguments):
    try:
        return run_portico(binary, env, arguments, timeout=60)
    except PorticoCommandFailed as failure:
        fail(str(failure))


cli("migrate")
cli("org", "create", "stop", "--name", "Stop")
key = json.loads(cli("apikey", "create", "--org", "stop", "--json"))["key"]

for round_number in range(3):
    port = free_port()
    log_path = os.path.join(work, f"serve{round_number}.log")
    with open(log_path, "w") as log:
        server = subprocess.Popen([binary, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not ready(port):
        if server.poll() is not None or time.monotonic() > deadline:
            fail(f"round {round_number}: the server did not start (see {log_path})")
        time.sleep(0.1)

    statuses, lock, stop = Counter(), threading.Lock(), threading.Event()

    def client(n):
        i = 0
        while not stop.is_set():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                while not stop.is_set():
                    i += 1
                    body = json.dumps({"email": f"r{round_number}-{n}-{i}@stop.test", "first_name": "A", "last_name": "B"})
                    connection.request("POST", f"/api/users/r{round_number}-{n}-{i}", body=body,
                                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    with lock:
                        statuses[response.status] += 1
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest):
                time.sleep(0.01)  # refused or closed by the stopping server: not an answer

    clients = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(32)]
    for thread in clients:
        thread.start()
    time.sleep(2)
    server.send_signal(signal.SIGTERM)
    try:
        status = server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        fail(f"round {round_number}: still running 20 s after SIGTERM")
    stop.set()
    for thread in clients:
        thread.join(timeout=35)
    log_text = open(log_path).read()
    answered = dict(statuses)
    if status != 0:
        fail(f"round {round_number}: exit status {status} after SIGTERM (see {log_path})")
    if "Fatal error" in log_text:
        fail(f"round {round_number}: crashed while stopping (see {log_path})")
    if not statuses[200] and not statuses[201]:
        fail(f"round {round_number}: no create answered before the stop: {answered}")
    if any(code >= 300 for code in statuses):
        fail(f"round {round_number}: answers other than 2xx around the stop: {answered}")
    print(f"shutdown: round {round_number}: answers {answered}, exit status 0")
print("shutdown: ok")
