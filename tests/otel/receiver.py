"""A real OTLP/gRPC trace receiver: the collector's TraceService on 127.0.0.1.

Usage: receiver.py DIR [CERT KEY [CLIENT_CA]]. Writes the bound port to DIR/port, then each
ExportTraceServiceRequest it receives, as its protobuf bytes, to DIR/req-<n>.pb (the test
decodes them). Runs until killed. With CERT and KEY (PEM files) it serves TLS; with CLIENT_CA
too it requires a client certificate signed by that CA (mTLS).
"""

import os
import sys
import threading
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, out):
        self.out = out
        self.n = 0
        self.lock = threading.Lock()

    def Export(self, request, context):
        with self.lock:
            self.n += 1
            path = os.path.join(self.out, f"req-{self.n}.pb")
        # written whole, then renamed: the test never reads half a request
        with open(path + ".tmp", "wb") as f:
            f.write(request.SerializeToString())
        os.rename(path + ".tmp", path)
        return trace_service_pb2.ExportTraceServiceResponse()


def main():
    out = sys.argv[1]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(out), server)
    if len(sys.argv) >= 4:
        read = lambda p: open(p, "rb").read()
        client_ca = read(sys.argv[4]) if len(sys.argv) >= 5 else None
        creds = grpc.ssl_server_credentials(
            [(read(sys.argv[3]), read(sys.argv[2]))],
            root_certificates=client_ca,
            require_client_auth=client_ca is not None,
        )
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with open(os.path.join(out, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(out, "port.tmp"), os.path.join(out, "port"))
    server.wait_for_termination()


if __name__ == "__main__":
    main()
