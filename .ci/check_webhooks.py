"""Subscribes a receiver to a running registry and checks every delivery with
the Standard Webhooks reference library (`standardwebhooks` on PyPI): each is
signed with the subscription's secret, a tampered body is refused, and the
changes arrive in feed order with the feed's JSON, also though the receiver
answers 500 twice and then hangs past the server's time limit once.

Usage: check_webhooks.py BASE_URL ADMIN_TOKEN   (the server must allow
receivers on loopback: WEBHOOK_ALLOW_PRIVATE=true)
"""

import http.server
import json
import sys
import threading
import time
import urllib.request

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

base, token = sys.argv[1], sys.argv[2]
received = []
# The first two requests get 500, the third hangs past WEBHOOK_TIMEOUT_SECS (10 s).
script = ["500", "500", "hang"]
requests = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        requests.append(self.headers["webhook-id"])
        answer = script.pop(0) if script else "ok"
        if answer == "hang":
            time.sleep(12)
        if answer != "ok":
            self.send_response(500)
            self.end_headers()
            return
        received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
hook = f"http://127.0.0.1:{server.server_address[1]}/hook"


def call(method, path, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


subscription = call("POST", "/api/v1/webhooks", {"url": hook, "entities": ["city"]})
secret = subscription["secret"]
made = [call("POST", "/api/v1/cities", {"name": name, "country_code": "RU"}) for name in ("Tver", "Pskov")]
call("PATCH", f"/api/v1/cities/{made[0]['id']}", {"population": 424969})

deadline = time.time() + 60
while len(received) < 3 and time.time() < deadline:
    time.sleep(0.1)
if len(received) < 3:
    sys.exit(f"webhooks: {len(received)} of 3 deliveries arrived in 60 s")
if len({h["webhook-id"] for h, _ in received}) != 3:
    sys.exit(f"webhooks: a change was taken twice: {[h['webhook-id'] for h, _ in received]}")

webhook = Webhook(secret)
feed = call("GET", "/api/v1/changes?entity=city&limit=200")["items"][-3:]
for (headers, body), change in zip(received, feed):
    payload = webhook.verify(body, headers)
    if payload != change:
        sys.exit(f"webhooks: delivery {headers['webhook-id']} is not the feed's change {change['id']}")
    if headers["webhook-id"] != f"change_{change['id']}":
        sys.exit(f"webhooks: webhook-id {headers['webhook-id']} for change {change['id']}")
    try:
        webhook.verify(body.replace(b"RU", b"XX", 1), headers)
        sys.exit("webhooks: a tampered body passed the check")
    except WebhookVerificationError:
        pass
ids = [h["webhook-id"] for h, _ in received]
print(f"webhooks: {len(requests)} requests ({len(requests) - 3} refused or timed out by the receiver); "
      f"{len(received)} deliveries verified by standardwebhooks, in feed order ({', '.join(ids)}); tampered bodies refused")
log = call("GET", f"/api/v1/webhooks/{subscription['id']}/deliveries")
print(f"webhooks: delivery log: {[(d['change_id'], d['status'], d['attempts']) for d in log['items']]}")
