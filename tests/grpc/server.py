"""A real grpcio server for toolwall's gRPC front-end tests (tests/cases/grpc.rs).

Usage: python server.py [--log FILE] [--cert PEM --key PEM] [--descriptor-set FILE]

Listens on 127.0.0.1:0 (h2c, or TLS with --cert/--key) and prints `PORT <n>` once serving.
Serves payments.v1.Payments (CreateRefund, ListCharges, UploadItems, Chat, VoidCharge),
payments.v1.Admin (ResetAll) and inventory.v1.Stock (GetStock) with generic handlers over
the descriptor pool (no generated modules). Every message it receives is appended to the log
as a JSON line as soon as it arrives:
  {"event": "message", "method", "metadata", "index", "hex", "json", "deadline_s"}
and every call's end as {"event": "end", "method", "messages", "outcome"}.

Answers are deterministic. Test hooks, by request metadata: `x-test-sleep-ms` (sleep before
answering), `x-test-fail: CODE message` (abort with that status name after reading the
request(s)), `x-test-trailer: KEY=VALUE` / `x-test-header: KEY=VALUE` (trailing / initial
metadata of the answer),
`x-test-reply-hex: HEX` (every response message is these raw bytes instead:
what a lax server could send, unknown fields or broken UTF-8 included).
"""

import argparse
import json
import os
import sys
import threading
import time
from concurrent import futures

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protoset  # noqa: E402

P = None
LOG = None
LOCK = threading.Lock()


def log(obj):
    if LOG is None:
        return
    line = json.dumps(obj, sort_keys=True)
    with LOCK:
        with open(LOG, "a") as f:
            f.write(line + "\n")
            f.flush()


class Call:
    """One call: logs each request message as it arrives, then the call's end."""

    def __init__(self, method, context):
        self.method = method
        self.context = context
        self.metadata = protoset.metadata_dict(context.invocation_metadata())
        self.count = 0

    def take(self, raw):
        entry = {"event": "message", "method": self.method.path, "metadata": self.metadata,
                 "index": self.count, "hex": raw.hex(),
                 "deadline_s": self.context.time_remaining()}
        try:
            msg = self.method.input.FromString(raw)
            entry["json"] = P.to_json(msg)
        except Exception as e:  # a malformed message is recorded, then refused
            entry["json"] = None
            entry["decode_error"] = str(e)
            msg = None
        self.count += 1
        log(entry)
        if msg is None:
            self.context.abort(grpc.StatusCode.INVALID_ARGUMENT, "undecodable message")
        return msg

    def hooks(self):
        header = self.metadata.get("x-test-header")
        if header:
            k, _, v = header.partition("=")
            self.context.send_initial_metadata([(k, v)])
        trailer = self.metadata.get("x-test-trailer")
        if trailer:
            k, _, v = trailer.partition("=")
            self.context.set_trailing_metadata([(k, v)])
        ms = self.metadata.get("x-test-sleep-ms")
        if ms:
            time.sleep(int(ms) / 1000.0)
        fail = self.metadata.get("x-test-fail")
        if fail:
            name, _, text = fail.partition(" ")
            self.end("failed " + name)
            self.context.abort(getattr(grpc.StatusCode, name), text or name)

    def end(self, outcome):
        log({"event": "end", "method": self.method.path, "messages": self.count,
             "outcome": outcome})


def out(method, obj):
    return P.from_json(method.output, obj).SerializeToString()


def create_refund(m, c, req):
    return out(m, {"refundId": "rf_%s_%d" % (req.tenant, req.amount_cents),
                   "tenant": req.tenant, "amountCents": str(req.amount_cents),
                   "status": "created", "note": req.note})


def list_charges(m, c, req):
    n = req.limit if req.limit > 0 else 3
    for i in range(n):
        yield out(m, {
            "id": "ch_%d" % i,
            "amountCents": str(1000 * (i + 1)),
            "customerEmail": "customer%d@example.com" % i,
            "cardNumber": "4242 4242 4242 4242",
            "description": "charge %d for jane.doe@example.com, tenant %s" % (i, req.tenant),
            "meta": {"requestId": "req_%d" % i, "labels": {"contact": "ops@example.com"}},
        })


def upload_items(m, c, reqs):
    skus, total = [], 0
    for item in reqs:
        skus.append(item.sku)
        total += item.qty
    return out(m, {"count": len(skus), "totalQty": total, "skus": skus})


def chat(m, c, reqs):
    for i, msg in enumerate(reqs):
        yield out(m, {"text": "echo: " + msg.text, "seq": i})


def void_charge(m, c, req):
    return out(m, {"chargeId": req.charge_id, "voided": True})


def reset_all(m, c, req):
    return out(m, {"done": True})


def get_stock(m, c, req):
    return out(m, {"sku": req.sku, "qty": 7})


IMPL = {
    "/payments.v1.Payments/CreateRefund": create_refund,
    "/payments.v1.Payments/ListCharges": list_charges,
    "/payments.v1.Payments/UploadItems": upload_items,
    "/payments.v1.Payments/Chat": chat,
    "/payments.v1.Payments/VoidCharge": void_charge,
    "/payments.v1.Admin/ResetAll": reset_all,
    "/inventory.v1.Stock/GetStock": get_stock,
}


def handler_for(method, impl):
    def unary_in(raw, context):
        call = Call(method, context)
        req = call.take(raw)
        call.hooks()
        return call, req

    def stream_in(raws, context):
        call = Call(method, context)

        def messages():
            try:
                for raw in raws:
                    yield call.take(raw)
            except Exception as e:  # the client (toolwall) reset the stream
                call.end("reset: %s" % type(e).__name__)
                raise
        return call, messages()

    def reply(call, r):
        override = call.metadata.get("x-test-reply-hex")
        return bytes.fromhex(override) if override is not None else r

    def finish(call, gen):
        try:
            for r in gen:
                yield reply(call, r)
        except Exception as e:
            if call.context.is_active():
                call.end("error: %s" % e)
            raise
        call.end("ok")

    if not method.client_streaming and not method.server_streaming:
        def h(raw, context):
            call, req = unary_in(raw, context)
            r = impl(method, context, req)
            call.end("ok")
            return reply(call, r)
        return grpc.unary_unary_rpc_method_handler(h)
    if not method.client_streaming:
        def h(raw, context):
            call, req = unary_in(raw, context)
            yield from finish(call, impl(method, context, req))
        return grpc.unary_stream_rpc_method_handler(h)
    if not method.server_streaming:
        def h(raws, context):
            call, msgs = stream_in(raws, context)
            msgs = list(msgs)
            call.hooks()
            r = impl(method, context, iter(msgs))
            call.end("ok")
            return r
        return grpc.stream_unary_rpc_method_handler(h)

    def h(raws, context):
        call, msgs = stream_in(raws, context)
        yield from finish(call, impl(method, context, msgs))
    return grpc.stream_stream_rpc_method_handler(h)


class Handler(grpc.GenericRpcHandler):
    def __init__(self):
        self.handlers = {}
        for path, impl in IMPL.items():
            m = P.method(path)
            self.handlers[path] = handler_for(m, impl)

    def service(self, handler_call_details):
        h = self.handlers.get(handler_call_details.method)
        if h is None:
            log({"event": "unknown", "method": handler_call_details.method,
                 "metadata": protoset.metadata_dict(handler_call_details.invocation_metadata)})
        return h


def main():
    global P, LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--log")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--descriptor-set")
    a = ap.parse_args()
    LOG = a.log
    P = protoset.Protos(a.descriptor_set)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         handlers=[Handler()],
                         options=[("grpc.so_reuseport", 0)])
    if a.cert:
        with open(a.key, "rb") as f:
            key = f.read()
        with open(a.cert, "rb") as f:
            cert = f.read()
        port = server.add_secure_port("127.0.0.1:0",
                                      grpc.ssl_server_credentials([(key, cert)]))
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
