"""Stands in for an existing agent: it knows nothing about toolwall. Its HTTP client honours
HTTP_PROXY / http_proxy, which compose points at toolwall, and it calls the inventory tool by
its usual URL (http://tool:8080/...).

  python3 agent.py                 idle (or one call every $AGENT_EVERY seconds)
  python3 agent.py call METHOD URL [JSON-BODY]
                                   one call; prints {"status": …, "body": …} or {"error": …}
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request


def call(method, url, body=None):
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=float(os.environ.get("AGENT_TIMEOUT", "5"))) as r:
            return {"status": r.status, "body": r.read().decode("utf-8", "replace")}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode("utf-8", "replace")}
    except (urllib.error.URLError, OSError) as e:
        return {"error": str(getattr(e, "reason", e))}


def main(argv):
    if len(argv) >= 3 and argv[0] == "call":
        out = call(argv[1], argv[2], argv[3] if len(argv) > 3 else None)
        print(json.dumps(out), flush=True)
        return 0 if "status" in out else 3
    every = float(os.environ.get("AGENT_EVERY", "0"))
    while True:
        if every > 0:
            print(json.dumps(call("GET", "http://tool:8080/items/1")), flush=True)
            time.sleep(every)
        else:
            time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
