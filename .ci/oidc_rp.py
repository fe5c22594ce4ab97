#!/usr/bin/env python3
"""Real OpenID Connect relying parties against the real binary (SPEC §10), all on 127.0.0.1.

1. Apache 2 with mod_auth_openidc (a confidential client, client_secret_basic, PKCE S256):
   a member created through the Partner API opens a protected page; every hop of the
   sign-in is followed by hand and asserted (Apache → /oauth/authorize → the org's
   login_url with return_to → /login/sso → /oauth/authorize/resume → Apache's
   redirect_uri with code, state, iss → the code exchanged by Apache → the page, which
   shows the member's sub, email and partner_id); then mod_auth_openidc's logout goes
   through Portico's end_session_endpoint back to the registered post-logout URI, and
   both sessions are gone.
2. authlib with a public client (PKCE S256, token_endpoint_auth_method none,
   offline_access): the same sign-in hops, the code exchanged, the ID token verified
   against the JWKS (iss, aud, azp, nonce, at_hash, exp, auth_time), UserInfo called
   with the access token, the refresh token used once (rotated; the new ID token keeps
   sub, aud, azp, auth_time and has no nonce).

One PASS/FAIL line per check; exit status 1 on any failure. Portico and Apache are
always stopped (also on Ctrl-C or SIGTERM). Needs: apache2, libapache2-mod-auth-openidc,
python3 requests and authlib.

Usage: .ci/oidc_rp.py PORTICO_BINARY WORK_DIR [--verbose]
"""
import argparse, base64, hashlib, json, os, pwd, re, secrets, shutil, signal, subprocess, sys, time, urllib.parse, warnings

import requests
import authlib.deprecate  # noqa: F401 - it installs an "always" filter; ours goes in front of it
warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")  # authlib 1.4+; still the documented API
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

from ports import free_port, ready

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("work")
parser.add_argument("--verbose", action="store_true", help="print every hop")
args = parser.parse_args()

binary = os.path.abspath(args.binary)
work = os.path.abspath(args.work)
here = os.path.dirname(os.path.abspath(__file__))
apache_bin = shutil.which("apache2") or "/usr/sbin/apache2"
modules = "/usr/lib/apache2/modules"

port, aport = free_port(), free_port()
while aport == port:
    aport = free_port()
base = f"http://127.0.0.1:{port}"          # PORTICO_PUBLIC_URL = the issuer
rp = f"http://127.0.0.1:{aport}"           # Apache
login_url = f"{rp}/partner/sign-in"        # the org's login_url (never followed)
apache_redirect_uri = f"{rp}/protected/redirect_uri"
loggedout_uri = f"{rp}/loggedout.html"
protected_url = f"{rp}/protected/"
public_redirect_uri = f"{rp}/spa/callback"  # never fetched: authlib reads the Location
slug = f"oidc-rp-{os.getpid()}"

apache_root = os.path.join(work, "oidc-apache")
portico_log_path = os.path.join(work, "oidc-serve.log")
database_url = "sqlite://" + os.path.join(work, "oidc.sqlite")
env = dict(os.environ, DATABASE_URL=database_url, PORTICO_PUBLIC_URL=base, LOG_LEVEL="info")

processes = []   # (name, Popen)
failures = []


class Abort(Exception):
    """A hop failed: the rest of this flow cannot run."""


def check(name, ok, detail=""):
    if ok:
        print("PASS:", name)
    else:
        print("FAIL:", name + (f" — {detail}" if detail else ""))
        failures.append(name)
    sys.stdout.flush()
    return ok


def require(name, ok, detail=""):
    if not check(name, ok, detail):
        raise Abort(name)


def show(response):
    """A response in one line, for failure details."""
    body = response.text[:600].replace("\n", " ") if response.content else ""
    return (f"{response.request.method} {response.request.url} → {response.status_code} "
            f"Location={response.headers.get('Location')!r} body={body!r}")


def hop(session, url, *, method="GET", **kwargs):
    """One request, redirects not followed."""
    response = session.request(method, url, allow_redirects=False, timeout=30, **kwargs)
    if args.verbose:
        print(f"   {method} {url}\n      → {response.status_code} {response.headers.get('Location', '')}")
    return response


def location(response):
    return urllib.parse.urljoin(response.request.url, response.headers.get("Location", ""))


def query(url):
    """The query of `url` as a dict of single values (a repeated name is reported)."""
    pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    names = [k for k, _ in pairs]
    repeated = {k for k in names if names.count(k) > 1}
    if repeated:
        check(f"no repeated query parameters in {url.split('?')[0]}", False, f"{sorted(repeated)} in {url}")
    return dict(pairs)


def without_query(url):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def b64url_sha256_half(value):
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


TOKEN43 = re.compile(r"^[A-Za-z0-9_-]{43}$")


# ---------------------------------------------------------------- processes


def cli(*cli_args):
    out = subprocess.run([binary, *cli_args], env=env, capture_output=True, text=True, timeout=60)
    require(f"portico {' '.join(a for a in cli_args if a != '--json')}", out.returncode == 0,
            f"exit {out.returncode}: {out.stderr.strip()[-500:]}")
    return out.stdout


def cli_json(*cli_args):
    stdout = cli(*cli_args, "--json")
    try:
        return json.loads(stdout)
    except ValueError:
        require(f"portico {cli_args[0]} {cli_args[1]} --json prints one JSON object", False, repr(stdout[:300]))


def start(name, argv, log_path, **kwargs):
    log = open(log_path, "a")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, **kwargs)
    processes.append((name, p))
    return p


def stop_all():
    for name, p in reversed(processes):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for name, p in reversed(processes):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=5)
    processes.clear()


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def wait_until(condition, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def http_up(url):
    try:
        requests.get(url, timeout=2, allow_redirects=False)
        return True
    except requests.RequestException:
        return False


def write_apache_config(client_id, client_secret):
    """The Apache instance under WORK/oidc-apache: config, pages, run dir."""
    shutil.rmtree(apache_root, ignore_errors=True)
    os.makedirs(os.path.join(apache_root, "run"))
    os.makedirs(os.path.join(apache_root, "htdocs", "protected"))
    shutil.copy(os.path.join(here, "oidc", "protected.shtml"), os.path.join(apache_root, "htdocs", "protected", "index.shtml"))
    shutil.copy(os.path.join(here, "oidc", "loggedout.html"), os.path.join(apache_root, "htdocs", "loggedout.html"))
    user_group = ""
    if os.geteuid() == 0:
        # Apache will not serve as root: its children become www-data (or nobody),
        # which must be able to reach the pages.
        for user in ("www-data", "nobody"):
            try:
                entry = pwd.getpwnam(user)
                break
            except KeyError:
                entry = None
        if entry is None:
            require("a user for Apache's children (www-data or nobody)", False)
        user_group = f"User {entry.pw_name}\nGroup #{entry.pw_gid}"
        os.chmod(work, os.stat(work).st_mode | 0o111)
        for d, _, files in os.walk(apache_root):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        os.chown(os.path.join(apache_root, "run"), entry.pw_uid, entry.pw_gid)
    with open(os.path.join(here, "oidc", "apache.conf.in")) as f:
        conf = f.read()
    values = {
        "ROOT": apache_root, "APORT": str(aport), "PORT": str(port), "CLIENT_ID": client_id,
        "CLIENT_SECRET": client_secret, "PASSPHRASE": secrets.token_urlsafe(32), "USER_GROUP": user_group,
        "OIDC_LOG_LEVEL": "debug" if args.verbose else "warn", "MODULES": modules,
    }
    conf = re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], conf)
    path = os.path.join(apache_root, "apache.conf")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:  # it holds the client secret
        f.write(conf)
    return path


# ---------------------------------------------------------------- the sign-in hops


def sign_in_hops(browser, authorize_url, sso_token, redirect_uri, state, label):
    """From an authorization request without a member session to the redirect_uri with
    code, state and iss. Returns the final Location (the redirect_uri with the code)."""
    r = hop(browser, authorize_url)
    require(f"{label}: /oauth/authorize without a member session → 302 to the org's login_url",
            r.status_code == 302 and location(r).startswith(login_url + "?"), show(r))
    return_to = query(location(r)).get("return_to", "")
    require(f"{label}: login_url carries return_to=/oauth/authorize/resume?request_id=…",
            return_to.startswith("/oauth/authorize/resume?request_id=") and len(return_to) > len("/oauth/authorize/resume?request_id="),
            repr(return_to))

    # The partner signs the member in: Partner API token → /login/sso with redirect_to.
    sso = f"{base}/login/sso?" + urllib.parse.urlencode({"token": sso_token, "redirect_to": return_to})
    r = hop(browser, sso)
    require(f"{label}: /login/sso?token=…&redirect_to=<return_to> → 303 to the resume path (SPEC §4)",
            r.status_code == 303 and location(r) == base + return_to, show(r))
    check(f"{label}: /login/sso sets the member session cookie", "portico_session" in browser.cookies.keys(),
          f"cookies: {browser.cookies.keys()}")

    r = hop(browser, base + return_to)
    target = location(r)
    require(f"{label}: resume → 302 to the registered redirect_uri",
            r.status_code == 302 and without_query(target) == redirect_uri, show(r))
    params = query(target)
    check(f"{label}: the redirect carries a code (43 base64url chars)", bool(TOKEN43.match(params.get("code", ""))), target)
    check(f"{label}: the redirect carries the request's state", params.get("state") == state,
          f"sent {state!r}, got {params.get('state')!r}")
    check(f"{label}: the redirect carries iss = the issuer (RFC 9207)", params.get("iss") == base, f"got {params.get('iss')!r}")
    check(f"{label}: the redirect has Cache-Control: no-store", "no-store" in r.headers.get("Cache-Control", ""),
          repr(r.headers.get("Cache-Control")))
    return target


def partner_user(api_key, partner_id, email, first, last):
    r = requests.post(f"{base}/api/users/{partner_id}", json={"email": email, "first_name": first, "last_name": last},
                      headers={"Authorization": f"Bearer {api_key}"}, timeout=30)
    require(f"Partner API POST /api/users/{partner_id} → 200 with a user and an SSO token",
            r.status_code == 200 and r.headers.get("Content-Type", "").startswith("application/json")
            and r.json().get("user", {}).get("token", {}).get("token"), show(r))
    user = r.json()["user"]
    check(f"Partner API: {partner_id} created", r.json().get("created") is True, show(r))
    return user


# ---------------------------------------------------------------- flow 1: Apache


def apache_flow(api_key, app, discovery):
    user = partner_user(api_key, f"rp-member-{os.getpid()}", "ada.member@example.edu", "Ada", "Member")
    browser = requests.Session()

    r = hop(browser, protected_url)
    authorize = location(r)
    require("apache: the protected page without a session → 302 to Portico's authorization_endpoint",
            r.status_code == 302 and without_query(authorize) == discovery["authorization_endpoint"], show(r))
    params = query(authorize)
    check("apache: authorization request: client_id, response_type=code, redirect_uri",
          params.get("client_id") == app["client_id"] and params.get("response_type") == "code"
          and params.get("redirect_uri") == apache_redirect_uri, authorize)
    check("apache: authorization request: scope openid email profile, state, nonce",
          {"openid", "email", "profile"} <= set(params.get("scope", "").split()) and params.get("state") and params.get("nonce"), authorize)
    check("apache: authorization request: PKCE S256 challenge",
          params.get("code_challenge_method") == "S256" and bool(TOKEN43.match(params.get("code_challenge", ""))), authorize)

    callback = sign_in_hops(browser, authorize, user["token"]["token"], apache_redirect_uri, params.get("state"), "apache")

    r = hop(browser, callback)
    require("apache: redirect_uri with the code → Apache exchanges it and 302s back to the protected page",
            r.status_code == 302 and location(r) == protected_url,
            show(r) + "\napache error.log:\n" + tail(os.path.join(apache_root, "error.log")))
    r = hop(browser, protected_url)
    require("apache: the protected page → 200", r.status_code == 200, show(r))
    check("apache: the page shows sub = the member's Portico id", f"sub={user['id']}<" in r.text, r.text[:800])
    check("apache: the page shows the member's email", f"email={user['email']}<" in r.text, r.text[:800])
    check("apache: the page shows the member's partner_id", f"partner_id={user['partner_id']}<" in r.text, r.text[:800])
    r = hop(browser, protected_url)
    check("apache: the RP session holds (the page again, no new sign-in)", r.status_code == 200, show(r))

    # Logout: mod_auth_openidc → end_session_endpoint with id_token_hint → the post-logout URI.
    r = hop(browser, apache_redirect_uri + "?" + urllib.parse.urlencode({"logout": loggedout_uri}))
    end_session = location(r)
    require("apache: RP logout → 302 to Portico's end_session_endpoint",
            r.status_code == 302 and without_query(end_session) == discovery["end_session_endpoint"],
            show(r) + "\napache error.log:\n" + tail(os.path.join(apache_root, "error.log")))
    logout_params = query(end_session)
    check("apache: the logout request carries id_token_hint and post_logout_redirect_uri",
          logout_params.get("id_token_hint", "").count(".") == 2 and logout_params.get("post_logout_redirect_uri") == loggedout_uri,
          end_session)
    r = hop(browser, end_session)
    expected = loggedout_uri
    if "state" in logout_params:
        expected += "?" + urllib.parse.urlencode({"state": logout_params["state"]})
    require("apache: end_session_endpoint with the hint → 302 to the registered post-logout URI",
            r.status_code == 302 and location(r) == expected, show(r) + f" (expected Location {expected})")
    r = hop(browser, location(r))
    check("apache: the post-logout page → 200", r.status_code == 200 and "loggedout" in r.text, show(r))

    r = hop(browser, protected_url)
    authorize = location(r)
    require("apache: after logout the protected page asks Portico again",
            r.status_code == 302 and without_query(authorize) == discovery["authorization_endpoint"], show(r))
    r = hop(browser, authorize)
    check("apache: after logout Portico's member session is gone (→ login_url)",
          r.status_code == 302 and location(r).startswith(login_url + "?"), show(r))


# ---------------------------------------------------------------- flow 2: authlib


def verify_id_token(label, id_token, key_set, client_id, access_token, nonce):
    """Verifies signature and claims with authlib; returns the claims."""
    header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
    kids = [k.get("kid") for k in key_set_json["keys"]]
    check(f"{label}: ID token header alg RS256, typ JWT, kid in the JWKS",
          header.get("alg") == "RS256" and header.get("typ") == "JWT" and header.get("kid") in kids, repr(header))
    params = {"client_id": client_id, "access_token": access_token}
    if nonce is not None:
        params["nonce"] = nonce
    try:
        claims = jwt.decode(id_token, key_set, claims_cls=CodeIDToken,
                            claims_options={"iss": {"essential": True, "value": base},
                                            "aud": {"essential": True, "value": client_id},
                                            "auth_time": {"essential": True}},
                            claims_params=params)
        claims.validate(leeway=5)
    except Exception as error:  # noqa: BLE001 - any failure is a failed check
        require(f"{label}: ID token verifies with the JWKS and validates (authlib)", False, f"{type(error).__name__}: {error}")
    check(f"{label}: ID token verifies with the JWKS and validates (authlib)", True)
    check(f"{label}: ID token iss = issuer, aud = client_id (a string), azp = client_id",
          claims.get("iss") == base and claims.get("aud") == client_id and claims.get("azp") == client_id, repr(dict(claims)))
    check(f"{label}: ID token at_hash matches the access token",
          claims.get("at_hash") == b64url_sha256_half(access_token), f"{claims.get('at_hash')!r} vs {b64url_sha256_half(access_token)!r}")
    check(f"{label}: ID token exp = iat + 3600, auth_time <= iat",
          isinstance(claims.get("iat"), int) and claims.get("exp") == claims["iat"] + 3600
          and isinstance(claims.get("auth_time"), int) and claims["auth_time"] <= claims["iat"], repr(dict(claims)))
    return claims


def authlib_flow(api_key, app, discovery):
    global key_set_json
    user = partner_user(api_key, f"rp-public-{os.getpid()}", "bo.public@example.edu", "Bo", "Public")
    browser = requests.Session()
    client_id = app["client_id"]
    client = OAuth2Session(client_id, redirect_uri=public_redirect_uri, scope="openid email profile offline_access",
                           code_challenge_method="S256", token_endpoint_auth_method="none")
    code_verifier = generate_token(64)
    nonce = generate_token(24)
    authorize, state = client.create_authorization_url(discovery["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce)
    callback = sign_in_hops(browser, authorize, user["token"]["token"], public_redirect_uri, state, "authlib")

    try:
        token = client.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=code_verifier)
    except Exception as error:  # noqa: BLE001
        require("authlib: fetch_token (public client, code_verifier, no secret)", False, f"{type(error).__name__}: {error}")
    check("authlib: fetch_token (public client, code_verifier, no secret)", True)
    check("authlib: token response: Bearer, expires_in 3600, access, refresh and ID tokens",
          str(token.get("token_type")).lower() == "bearer" and token.get("expires_in") == 3600
          and token.get("access_token") and token.get("refresh_token") and token.get("id_token"),
          repr({k: (v if k in ("token_type", "expires_in", "scope") else bool(v)) for k, v in token.items()}))
    check("authlib: token response scope has openid email profile offline_access",
          {"openid", "email", "profile", "offline_access"} <= set(str(token.get("scope", "")).split()), repr(token.get("scope")))

    r = requests.get(discovery["jwks_uri"], timeout=30)
    require("authlib: jwks_uri → 200 JSON keys", r.status_code == 200 and r.json().get("keys"), show(r))
    key_set_json = r.json()
    check("authlib: JWKS has no private members", not any(set(k) & {"d", "p", "q", "dp", "dq", "qi"} for k in key_set_json["keys"]),
          repr(key_set_json)[:300])
    key_set = JsonWebKey.import_key_set(key_set_json)

    claims = verify_id_token("authlib", token["id_token"], key_set, client_id, token["access_token"], nonce)
    check("authlib: ID token nonce = the request's nonce", claims.get("nonce") == nonce, repr(claims.get("nonce")))
    check("authlib: ID token sub = the member's Portico id", claims.get("sub") == user["id"], f"{claims.get('sub')!r} vs {user['id']!r}")
    check("authlib: ID token profile and email claims",
          claims.get("email") == user["email"] and claims.get("email_verified") is False
          and claims.get("partner_id") == user["partner_id"] and claims.get("org") == slug
          and claims.get("name") == "Bo Public" and claims.get("given_name") == "Bo" and claims.get("family_name") == "Public",
          repr(dict(claims)))

    r = client.get(discovery["userinfo_endpoint"], timeout=30)
    require("authlib: UserInfo with the access token → 200", r.status_code == 200, show(r))
    info = r.json()
    check("authlib: UserInfo sub, email, partner_id, org, name",
          info.get("sub") == user["id"] and info.get("email") == user["email"] and info.get("partner_id") == user["partner_id"]
          and info.get("org") == slug and info.get("name") == "Bo Public", repr(info))

    old = dict(token)
    try:
        new = client.refresh_token(discovery["token_endpoint"], refresh_token=old["refresh_token"])
    except Exception as error:  # noqa: BLE001
        require("authlib: refresh_token grant (public client)", False, f"{type(error).__name__}: {error}")
    check("authlib: refresh_token grant (public client)", True)
    check("authlib: the refresh answer has new access and refresh tokens (rotated) and an ID token",
          new.get("access_token") and new.get("access_token") != old["access_token"]
          and new.get("refresh_token") and new.get("refresh_token") != old["refresh_token"] and new.get("id_token"),
          repr({k: bool(v) for k, v in new.items()}))
    if new.get("id_token"):
        refreshed = verify_id_token("authlib refresh", new["id_token"], key_set, client_id, new["access_token"], None)
        check("authlib refresh: ID token keeps sub, aud, azp, auth_time; new iat; no nonce",
              all(refreshed.get(c) == claims.get(c) for c in ("sub", "aud", "azp", "auth_time"))
              and refreshed.get("iat", 0) >= claims.get("iat", 0) and "nonce" not in refreshed, repr(dict(refreshed)))
    r = requests.get(discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {new['access_token']}"}, timeout=30)
    check("authlib: UserInfo with the refreshed access token → 200, same sub",
          r.status_code == 200 and r.json().get("sub") == user["id"], show(r))


# ---------------------------------------------------------------- main


def on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


key_set_json = {"keys": []}


def main():
    os.makedirs(work, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(os.path.join(work, "oidc.sqlite" + suffix))
        except FileNotFoundError:
            pass

    # Setup through the CLI (SPEC §2, §10).
    cli_json("org", "create", slug, "--name", "OIDC relying parties", "--allow-return-host", "127.0.0.1")
    cli("org", "update", slug, "--login-url", login_url)
    api_key = cli_json("apikey", "create", "--org", slug)["key"]
    confidential = cli_json("app", "create", "--org", slug, "--slug", "apache", "--name", "Apache mod_auth_openidc",
                            "--redirect-uri", apache_redirect_uri, "--post-logout-redirect-uri", loggedout_uri)
    check("app create (confidential): client_id app_ + 24 hex, a 43-char client_secret, not public, no k",
          re.match(r"^app_[0-9a-f]{24}$", confidential.get("client_id") or "") is not None
          and TOKEN43.match(confidential.get("client_secret") or "") is not None and confidential.get("public") is False
          and confidential.get("key") is None and confidential.get("redirect_uris") == [apache_redirect_uri]
          and confidential.get("post_logout_redirect_uris") == [loggedout_uri], repr(confidential))
    public = cli_json("app", "create", "--org", slug, "--slug", "spa", "--name", "Public client (authlib)",
                      "--redirect-uri", public_redirect_uri, "--public")
    check("app create --public: client_id, no client_secret, public",
          re.match(r"^app_[0-9a-f]{24}$", public.get("client_id") or "") is not None
          and public.get("client_secret") is None and public.get("public") is True, repr(public))

    # Portico.
    start("portico", [binary, "serve", "--hostname", "127.0.0.1", "--port", str(port)], portico_log_path, env=env)
    require(f"portico serve ready on {base}", wait_until(lambda: ready(port), 60), tail(portico_log_path))

    r = requests.get(f"{base}/.well-known/openid-configuration", timeout=30)
    require("discovery document → 200 JSON", r.status_code == 200 and r.headers.get("Content-Type", "").startswith("application/json"), show(r))
    discovery = r.json()
    paths = {"authorization_endpoint": "/oauth/authorize", "token_endpoint": "/oauth/token", "userinfo_endpoint": "/oauth/userinfo",
             "jwks_uri": "/oauth/jwks", "end_session_endpoint": "/oauth/logout", "revocation_endpoint": "/oauth/revoke"}
    check("discovery: issuer = PORTICO_PUBLIC_URL and the endpoints under it",
          discovery.get("issuer") == base and all(discovery.get(k) == base + p for k, p in paths.items()), repr(discovery)[:600])
    check("discovery: code flow, S256, iss parameter supported",
          discovery.get("response_types_supported") == ["code"] and "S256" in discovery.get("code_challenge_methods_supported", [])
          and discovery.get("authorization_response_iss_parameter_supported") is True, repr(discovery)[:600])

    # Apache with mod_auth_openidc.
    conf = write_apache_config(confidential["client_id"], confidential["client_secret"])
    syntax = subprocess.run([apache_bin, "-t", "-f", conf], capture_output=True, text=True)
    require("apache config syntax (apache2 -t) with mod_auth_openidc loaded", syntax.returncode == 0,
            (syntax.stdout + syntax.stderr).strip())
    apache_log = os.path.join(apache_root, "stdout.log")
    start("apache", [apache_bin, "-f", conf, "-DFOREGROUND"], apache_log, cwd=apache_root)
    up = wait_until(lambda: http_up(f"{rp}/loggedout.html") or processes[-1][1].poll() is not None, 30)
    require(f"apache listening on {rp}", up and processes[-1][1].poll() is None,
            tail(apache_log) + tail(os.path.join(apache_root, "error.log")))

    for name, flow, app in (("apache", apache_flow, confidential), ("authlib", authlib_flow, public)):
        try:
            flow(api_key, app, discovery)
        except Abort:
            print(f"   ({name} flow stopped at the failed step; Portico log: {portico_log_path}, Apache: {apache_root})")


signal.signal(signal.SIGTERM, on_sigterm)
try:
    main()
except Abort:
    pass
except KeyboardInterrupt:
    failures.append("interrupted")
    print("FAIL: interrupted")
except Exception:  # noqa: BLE001 - a bug of this script or an answer it could not parse
    import traceback
    traceback.print_exc()
    failures.append("exception")
    print("FAIL: unexpected exception (above)")
finally:
    stop_all()

if failures:
    print(f"oidc relying parties: {len(failures)} check(s) failed (Portico log: {portico_log_path}; Apache logs: {apache_root})")
    if os.path.exists(portico_log_path):
        print("--- portico log (tail)\n" + tail(portico_log_path, 15))
    sys.exit(1)
print("oidc relying parties: ok")
