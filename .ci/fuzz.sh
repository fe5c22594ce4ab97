#!/usr/bin/env bash
# Fuzzing from the OpenAPI document: schemathesis over every operation of /openapi.json against
# the real binary, on a fresh SQLite database with the demo org. Fails on any finding: a server
# error, a response whose status, content type, headers or body contradict the document.
# Usage: .ci/fuzz.sh PORTICO_BINARY [WORK_DIR]
#   FUZZ_EXAMPLES (default 300) test cases per operation and phase; FUZZ_SEED (default 17).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$1
work=$(mktemp -d "${2:-/tmp}/fuzz.XXXX")
seed=${FUZZ_SEED:-17}
examples=${FUZZ_EXAMPLES:-300}
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

if ! python3 -c 'import schemathesis' 2>/dev/null; then
    pip install -q schemathesis >/dev/null 2>&1 || pip install -q schemathesis
fi
echo "schemathesis $(python3 -c 'import importlib.metadata as m; print(m.version("schemathesis"))')"

export DATABASE_URL="sqlite://$work/fuzz.sqlite"
"$bin" demo --json > "$work/demo.json"
# A child org (for subscriptions) and its own admin without use_sso_api (403 paths).
"$bin" org create fuzz-child --name "Fuzz Child" --parent demo --json > /dev/null

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
PORTICO_PUBLIC_URL="$base" PORTICO_RATE_LIMIT=off PORTICO_WEBHOOK_ALLOW_PRIVATE=true \
    "$bin" serve --hostname 127.0.0.1 --port "$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS "$base/readyz" >/dev/null || { tail -20 "$work/serve.log"; fail "server not ready"; }

# Real objects for the hooks to bind generated ids to (.ci/fuzz_hooks.py), and the SSO API's
# access token from AdminApi/Authenticate. The API key and the token stay in files and
# environment variables, never on a command line or in the output.
python3 - "$base" "$work/demo.json" "$work/pool.json" <<'PY'
import json, sys, urllib.parse, urllib.request
base, demo_path, pool_path = sys.argv[1:]
demo = json.load(open(demo_path))
key = demo["apikey"]["key"]

def call(method, path, body=None, auth=True, form=None):
    headers = {"Authorization": f"Bearer {key}"} if auth else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode(); headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode(); headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
        return json.loads(raw) if raw else None

token = call("POST", "/api/v1/AdminApi/Authenticate", auth=False,
             form={"username": demo["admin"]["email"], "password": demo["admin_password"], "grant_type": "password"})["access_token"]
courses = [c["id"] for c in call("GET", "/api/courses")["courses"]]
partner_ids, pairs, subs, enrollments = [], [], [], []
for pid in [demo["sample_user"], "fuzz-user-1", "fuzz-user-2"]:
    u = call("POST", f"/api/users/{pid}", {"email": f"{pid}@fuzz.example", "first_name": "Fuzz"})["user"]
    partner_ids.append(pid); pairs.append([u["id"], u["org_id"]]); subs.append(u["subscription_id"])
    e = call("POST", f"/api/users/{pid}/enrollments", {"course_id": courses[0]})["enrollment"]
    enrollments.append(e["id"])
    call("POST", f"/api/users/{pid}/subscriptions", {"org": "fuzz-child"})
hooks = []
for i in range(2):  # nothing listens on port 9: deliveries fail fast, so redeliver has work
    w = call("POST", "/api/webhooks", {"url": f"http://127.0.0.1:9/hook-{i}", "events": None})["webhook"]
    hooks.append(w["id"])
    call("POST", f"/api/webhooks/{w['id']}/test")
events = [e["id"] for e in call("GET", "/api/events?limit=20")["events"]]
json.dump({"access_token": token, "partner_ids": partner_ids, "user_org_pairs": pairs,
           "subscription_ids": subs, "enrollment_ids": enrollments, "webhook_ids": hooks,
           "event_ids": events, "course_ids": courses, "org_slugs": ["fuzz-child", "demo"],
           "app_slugs": [demo["app"]["slug"]]}, open(pool_path, "w"))
print(f"pool: {len(partner_ids)} users, {len(hooks)} webhooks, {len(events)} events, {len(courses)} courses")
PY

# The Partner API's key goes to the operations whose security names `apiKey` (the document's
# scheme), through schemathesis's OpenAPI-aware auth, read from the environment.
FUZZ_API_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["apikey"]["key"])' "$work/demo.json")
export FUZZ_API_KEY
cat > "$work/schemathesis.toml" <<'TOML'
[auth.openapi.apiKey]
bearer = "${FUZZ_API_KEY}"
TOML
checks=${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,missing_required_header,ignored_auth,use_after_free}
echo "schemathesis: seed $seed, $examples examples per operation, checks $checks"
set +e
# (run from the work directory: schemathesis keeps a cache of failing cases in .schemathesis/)
(cd "$work" && FUZZ_POOL="$work/pool.json" SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONPATH="$root/.ci" PYTHONDONTWRITEBYTECODE=1 \
    timeout 900 schemathesis --config-file "$work/schemathesis.toml" run "$base/openapi.json" --url "$base" \
    --checks "$checks" --seed "$seed" --generation-deterministic --max-examples "$examples" \
    --workers 1 --request-timeout 30 --no-color \
    > "$work/schemathesis.log" 2>&1)
status=$?
set -e
# The summary (and every failure, with its reproduction) is printed; secrets are filtered by
# schemathesis's output sanitization.
cat "$work/schemathesis.log"
if grep -qiE 'panic|fatal error|Fatal error' "$work/serve.log"; then
    grep -iE 'panic|fatal error' "$work/serve.log" | head -5; fail "the server crashed"
fi
kill -0 "$server" 2>/dev/null || fail "the server is gone"
[ "$status" -eq 0 ] || fail "schemathesis found problems (exit $status)"
echo "fuzz: 0 server errors, 0 responses contradicting the document"
