# A partner site's end of a Portico launch: receive the browser at /launch?t=…,
# exchange the code server-to-server, greet the user. Python standard library only.
import http.server, json, os, urllib.parse, urllib.request
PORTICO, KEY = os.environ.get("PORTICO_URL", "http://127.0.0.1:8080"), os.environ["APP_KEY"]
class Launch(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        t = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("t", [""])[0]
        q = urllib.parse.urlencode({"t": t, "k": KEY})
        try: who = json.load(urllib.request.urlopen(f"{PORTICO}/jsp/api/getUserId/?{q}")); body, code = f"Hello {who['displayName']} ({who['username']})", 200
        except urllib.error.HTTPError as e: body, code = f"Launch refused: {e.headers.get('X-Error')}", 403
        self.send_response(code); self.send_header("Content-Type", "text/plain; charset=utf-8"); self.end_headers(); self.wfile.write(body.encode())
http.server.HTTPServer(("127.0.0.1", 9000), Launch).serve_forever()
