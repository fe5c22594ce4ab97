# Schemathesis hooks for .ci/fuzz.sh: bind generated values to real objects of the demo org,
# so the fuzzer reaches the success paths, not only 404/409/403 for unknown ids.
#
# .ci/fuzz.sh writes a JSON "pool" (path in FUZZ_POOL) with the SSO API access token and the ids
# of real objects. Before each call, a generated value of the right shape is swapped for a real
# one when a hash of the generated value says so (about half the time, the same on every run);
# values of the wrong shape (the negative cases) are never touched. The SSO API's `access_token`
# query parameter is how SPEC section 5 authenticates that API, so a well-formed generated one is
# always replaced by the real token; a missing or malformed one is left as generated (403).
import hashlib
import json
import os
import re

import schemathesis

with open(os.environ["FUZZ_POOL"]) as f:
    POOL = json.load(f)

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PARTNER_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def pick(value, choices):
    """A real value for `value` (about half the time), chosen by a hash of it; else None."""
    if not choices:
        return None
    h = int.from_bytes(hashlib.sha256(repr(value).encode()).digest()[:4], "big")
    if h % 2:
        return None
    return choices[(h // 2) % len(choices)]


def is_uuid(v):
    return isinstance(v, str) and bool(UUID.match(v))


def swap_uuid(container, key, choices):
    v = container.get(key)
    if is_uuid(v):
        real = pick(v, choices)
        if real is not None:
            container[key] = real


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    params = case.path_parameters if isinstance(case.path_parameters, dict) else None
    query = case.query if isinstance(case.query, dict) else None
    body = case.body if isinstance(case.body, dict) else None

    # SSO API: its access token travels in the query (SPEC section 5).
    if path.startswith("/api/v1/SsoApi/") or path == "/api/v1/AdminApi/ValidateAccessToken":
        if query is not None and is_uuid(query.get("access_token")):
            query["access_token"] = POOL["access_token"]

    if params is not None:
        pid = params.get("partner_id")
        if isinstance(pid, str) and PARTNER_ID.match(pid):
            real = pick(pid, POOL["partner_ids"])
            if real is not None:
                params["partner_id"] = real
        swap_uuid(params, "webhook_id", POOL["webhook_ids"])
        eid = params.get("event_id")
        if isinstance(eid, str) and eid:
            real = pick(eid, POOL["event_ids"])
            if real is not None:
                params["event_id"] = real

    if body is not None:
        if path.endswith("/enrollments") and isinstance(body.get("course_id"), str):
            real = pick(body["course_id"], POOL["course_ids"])
            if real is not None:
                body["course_id"] = real
        if path.endswith("/subscriptions") and isinstance(body.get("org"), str) and SLUG.match(body["org"]):
            real = pick(body["org"], POOL["org_slugs"])
            if real is not None:
                body["org"] = real
        if path.endswith("/launch-codes") and isinstance(body.get("app"), str) and SLUG.match(body["app"]):
            real = pick(body["app"], POOL["app_slugs"])
            if real is not None:
                body["app"] = real
        if path.startswith("/api/v1/SsoApi/"):
            # user_id + org_id name a subscription together: swap them as a pair.
            if is_uuid(body.get("user_id")) and is_uuid(body.get("org_id")):
                real = pick(body["user_id"], POOL["user_org_pairs"])
                if real is not None:
                    body["user_id"], body["org_id"] = real
            swap_uuid(body, "subscription_id", POOL["subscription_ids"])
            swap_uuid(body, "enrollment_id", POOL["enrollment_ids"])
        if path == "/api/events/redeliver-failed":
            swap_uuid(body, "webhook_id", POOL["webhook_ids"])
