"""A minimal OTLP/HTTP trace sink for benches/load.sh: accepts `POST /v1/traces` and discards
it. Python's standard library only (Debian's python3); with `opentelemetry-proto` importable
(PyPI; the test venv has it) it also decodes each request to count the spans it got.

Usage: otlp_sink.py PORT STATS_FILE. On SIGTERM writes {"requests", "bytes", "spans"} (spans
null without opentelemetry-proto) to STATS_FILE and exits.
"""

import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
except ImportError:  # count requests and bytes only
    ExportTraceServiceRequest = None

stats = {"requests": 0, "bytes": 0, "spans": 0 if ExportTraceServiceRequest else None}
lock = threading.Lock()


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n)
        spans = 0
        if ExportTraceServiceRequest is not None:
            req = ExportTraceServiceRequest.FromString(body)
            spans = sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
        with lock:
            stats["requests"] += 1
            stats["bytes"] += n
            if stats["spans"] is not None:
                stats["spans"] += spans
        # an empty ExportTraceServiceResponse: zero bytes of protobuf
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), Sink)

    def stop(*_):
        with open(out, "w") as f:
            json.dump(stats, f)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
