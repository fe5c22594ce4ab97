#!/usr/bin/env python3
"""Slow clients against a running Portico on 127.0.0.1 (SPEC §9, issue 17).

500 connections that send part of a request head and then trickle a byte every few
seconds, or go silent, while normal requests keep coming: every normal request must
answer within 1 s during the attack, and the silent connections must be closed by the
server once its idle timeout (30 s) has passed.

Usage: slowloris.py HOST PORT [CONNECTIONS] [IDLE_TIMEOUT_SECONDS]
"""
import socket
import sys
import threading
import time
import urllib.request

host, port = sys.argv[1], int(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else 500
idle_timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0

trickling, silent = [], []
for i in range(count):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    (trickling if i % 2 == 0 else silent).append(s)
print(f"slowloris: {count} connections open ({len(trickling)} trickling, {len(silent)} silent)")

stop = threading.Event()


def trickle():
    while not stop.is_set():
        for s in list(trickling):
            try:
                s.send(b"a")
            except OSError:
                trickling.remove(s)
        stop.wait(2)


threading.Thread(target=trickle, daemon=True).start()

worst = 0.0
failures = 0
started = time.time()
while time.time() - started < idle_timeout + 8:
    t0 = time.time()
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as r:
            ok = r.status == 200
    except Exception:
        ok = False
    took = time.time() - t0
    worst = max(worst, took)
    failures += 0 if ok else 1
    time.sleep(0.25)


def closed(s):
    try:
        s.settimeout(0.2)
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


still_open = sum(0 if closed(s) else 1 for s in silent)
stop.set()
for s in trickling + silent:
    s.close()
print(f"slowloris: normal requests: worst {worst * 1000:.0f} ms, {failures} failed; silent connections still open after "
      f"{idle_timeout:.0f} s: {still_open} of {len(silent)}")
if failures or worst > 1.0:
    sys.exit("FAIL: a normal request was refused or slower than 1 s during the attack")
if still_open:
    sys.exit("FAIL: silent connections were not closed after the idle timeout")
print("slowloris: ok")
