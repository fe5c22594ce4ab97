#!/usr/bin/env python3
"""The admin area end to end in a real browser (headless Chromium through Selenium),
against a running Portico on 127.0.0.1 started with PORTICO_WEBHOOK_ALLOW_PRIVATE=true:

sign in as the demo admin; create an API key, use it against the Partner API, revoke it
and see it refused; register a webhook to a receiver on 127.0.0.1, send a test event and
see it in the delivery log; find a user by email and open their progress (the numbers
the Partner API gives); a sign-in asking for a refused return host shows on the settings
page and "Allow" lets the next one through. Every page is also checked at 390 px wide
(nothing wider than the screen).

Usage: admin_e2e.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD API_KEY [SCREENSHOT_DIR]
"""
import http.server
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from page_wait import page_left

base, email, password, demo_key = sys.argv[1:5]
shots = sys.argv[5] if len(sys.argv) > 5 else None


def api(method, path, key, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


# A webhook receiver on 127.0.0.1 that records webhook-ids and answers 200.
received = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        received.append(self.headers.get("webhook-id"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()
receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"

options = Options()
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1400"]:
    options.add_argument(arg)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 15)


def submit(button):
    button.click()
    page_left(driver, button)


def button(text):
    return driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']")


def shot(name, element=None):
    """The whole page (or from `element` down), at the window's width."""
    if not shots:
        return
    size = driver.get_window_size()
    if element is not None:
        driver.execute_script("arguments[0].scrollIntoView()", element)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], min(max(height + 140, 600), 2400))
    driver.save_screenshot(f"{shots}/{name}.png")
    driver.set_window_size(size["width"], size["height"])


try:
    # Sign in.
    driver.get(base + "/login/admin")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    submit(driver.find_element(By.XPATH, "//form//button"))
    assert urllib.parse.urlparse(driver.current_url).path == "/admin", driver.current_url

    # API keys: create, use, revoke, refused.
    driver.get(base + "/admin/keys")
    driver.find_element(By.NAME, "name").send_keys("e2e key")
    submit(button("Create key"))
    key = driver.find_element(By.CSS_SELECTOR, "code.secret").text.strip()
    assert len(key) == 32, key
    status, _ = api("GET", "/api/courses", key)
    assert status == 200, status
    driver.get(base + "/admin/keys")
    row = driver.find_element(By.XPATH, f"//tr[td/code[text()='{key[:8]}']]")
    submit(row.find_element(By.XPATH, ".//button[normalize-space()='Revoke']"))
    status, body = api("GET", "/api/courses", key)
    assert status == 401, (status, body)

    # Webhooks: register to the receiver, send a test event, see it in the delivery log.
    driver.get(base + "/admin/webhooks")
    driver.find_element(By.NAME, "url").send_keys(receiver_url)
    submit(button("Register endpoint"))
    secret = driver.find_element(By.CSS_SELECTOR, "code.secret").text.strip()
    assert secret, "the signing key is shown once"
    shot("admin-webhooks")
    driver.find_element(By.XPATH, f"//tr[contains(., '{receiver_url}')]//a[contains(@href, '/admin/webhooks/')]").click()
    wait.until(EC.presence_of_element_located((By.XPATH, "//h1[normalize-space()='Webhook endpoint']")))
    endpoint_page = driver.current_url
    submit(button("Send a test event"))
    deadline = time.time() + 60
    while not received and time.time() < deadline:
        time.sleep(0.5)
    assert received, "the receiver got the test event"
    for _ in range(60):
        driver.get(endpoint_page)
        log = driver.find_element(By.XPATH, "//section[h2[normalize-space()='Delivery log']]").text
        if "webhook.test" in log and "200" in log:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the delivery log shows the test event answered 200: " + log)
    shot("admin-delivery-log")

    # Users: a member signs in (asking for a return host the org does not allow) and
    # completes a chapter; the admin finds them by email prefix, any case, and sees the
    # Partner API's numbers and the sign-in.
    status, created = api("POST", "/api/users/e2e-admin-view", demo_key,
                          {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada.Lovelace@example.edu"})
    assert status == 200, (status, created)
    sso_url = created["user"]["token"]["sso_url"]
    refused = "lms.e2e-refused.example"
    member = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        member.get(sso_url + "&redirect_to=" + urllib.parse.quote("/members/curriculum?chapter=1")
                   + "&return_url=" + urllib.parse.quote(f"https://{refused}/course"))
        done = member.find_element(By.XPATH, "//button[normalize-space()='Mark complete']")
        done.click()
        page_left(member, done)
    finally:
        member.quit()
    status, tracks = api("GET", "/api/users/e2e-admin-view/tracks", demo_key)
    assert status == 200
    driver.get(base + "/admin/users?q=" + urllib.parse.quote("ada.LOVE"))
    driver.find_element(By.XPATH, "//a[contains(@href, '/admin/users/e2e-admin-view')]").click()
    wait.until(EC.presence_of_element_located((By.XPATH, "//h2[normalize-space()='Track progress']")))
    progress = driver.find_element(By.XPATH, "//section[h2[normalize-space()='Track progress']]").text
    for track in tracks["tracks"]:
        completed = sum(1 for c in track["chapters"] if c["completed_at"])
        assert track["name"] in progress and f"{completed} of {len(track['chapters'])} chapters" in progress, (track, progress)
    assert "1 of" in progress, progress
    sign_ins = driver.find_element(By.XPATH, "//section[h2[normalize-space()='Sign-ins']]").text
    assert "No sign-ins" not in sign_ins, sign_ins
    shot("admin-user")

    # The refused return host shows on the settings page; "Allow" adds it.
    driver.get(base + "/admin/settings")
    row = driver.find_element(By.XPATH, f"//tr[td[contains(., '{refused}')]]")
    shot("admin-settings", row)
    submit(row.find_element(By.XPATH, ".//button[normalize-space()='Allow']"))
    hosts = driver.find_element(By.NAME, "allowed_return_hosts").get_attribute("value")
    assert refused in hosts, hosts

    # Every page at 390 px: nothing wider than the screen.
    driver.set_window_size(390, 900)
    for path in ["/admin", "/admin/keys", "/admin/webhooks", endpoint_page.replace(base, ""), "/admin/apps", "/admin/users",
                 "/admin/users/e2e-admin-view", "/admin/settings", "/admin/orgs", "/admin/admins", "/admin/audit", "/admin/account"]:
        driver.get(base + path)
        assert driver.find_elements(By.TAG_NAME, "h1"), path
        width = driver.execute_script("return document.documentElement.scrollWidth")
        viewport = driver.execute_script("return window.innerWidth")
        assert width <= viewport + 1, f"{path} is {width}px wide at {viewport}px"
    driver.get(endpoint_page)
    shot("admin-phone-webhook")
finally:
    driver.quit()
    receiver.shutdown()
print("admin e2e: ok")
