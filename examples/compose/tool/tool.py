"""A deliberately lax inventory API: it does whatever it is asked and records every request
that reaches it (one JSON line each in $TOOL_RECORD, default /tmp/requests.jsonl), so you can
see what toolwall let through."""

import json
import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORD = os.environ.get("TOOL_RECORD", "/tmp/requests.jsonl")
ITEMS = {"1": "widget", "2": "gadget", "7": "sprocket"}


class Handler(BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        with open(RECORD, "a", encoding="utf-8") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers), "body": body}) + "\n")
        m = re.fullmatch(r"/items/([^/?]+)(/delete)?(\?.*)?", self.path)
        if m and m.group(2):
            answer = {"deleted": m.group(1)}
        elif m:
            answer = {"id": m.group(1), "name": ITEMS.get(m.group(1), "unknown")}
        else:
            answer = {"path": self.path}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, fmt, *args):
        print("tool:", fmt % args, flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("TOOL_PORT", "8080"))
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
