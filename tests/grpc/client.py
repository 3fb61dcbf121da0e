"""A real grpcio client for toolwall's gRPC front-end tests: runs one call, prints one JSON line.

Usage: python client.py TARGET METHOD_PATH [--request JSON]... [--request-hex HEX]...
         [--metadata KEY=VALUE]... [--gzip] [--tls-root PEM [--cert PEM --key PEM]]
         [--authority NAME]
         [--timeout SECONDS] [--gap-ms N] [--descriptor-set FILE]

TARGET is host:port; METHOD_PATH `/payments.v1.Payments/CreateRefund`. Requests are the
proto3 JSON of the method's input message (one for unary / server streaming, any number for
client streaming and bidi), or raw message bytes in hex. `-bin` metadata values are given in
base64. Output:
  {"code": "OK", "code_number": 0, "details", "initial_metadata", "trailing_metadata",
   "requests_hex": [...], "responses": [json...], "responses_hex": [...],
   "status_details": {...} | null}
"""

import argparse
import base64
import json
import os
import sys
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protoset  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("method")
    ap.add_argument("--request", action="append", default=[])
    ap.add_argument("--request-hex", action="append", default=[])
    ap.add_argument("--metadata", action="append", default=[])
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--tls-root")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--authority")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--gap-ms", type=int, default=0)
    ap.add_argument("--descriptor-set")
    a = ap.parse_args()

    p = protoset.Protos(a.descriptor_set)
    m = p.method(a.method)
    if m is None:
        sys.exit("no such method in the test protos: " + a.method)
    reqs = [p.from_json(m.input, json.loads(r)).SerializeToString() for r in a.request]
    reqs += [bytes.fromhex(h) for h in a.request_hex]

    metadata = []
    for kv in a.metadata:
        k, _, v = kv.partition("=")
        metadata.append((k, base64.b64decode(v) if k.endswith("-bin") else v))

    options = [("grpc.enable_http_proxy", 0), ("grpc.enable_retries", 0)]
    if a.authority:
        options.append(("grpc.default_authority", a.authority))
    if a.tls_root:
        with open(a.tls_root, "rb") as f:
            root = f.read()
        key = chain = None
        if a.cert:
            with open(a.key, "rb") as f:
                key = f.read()
            with open(a.cert, "rb") as f:
                chain = f.read()
        creds = grpc.ssl_channel_credentials(root_certificates=root, private_key=key,
                                             certificate_chain=chain)
        if a.authority:
            options.append(("grpc.ssl_target_name_override", a.authority))
        channel = grpc.secure_channel(a.target, creds, options=options)
    else:
        channel = grpc.insecure_channel(a.target, options=options)

    kw = {"metadata": metadata, "timeout": a.timeout}
    if a.gzip:
        kw["compression"] = grpc.Compression.Gzip

    def stream():
        for i, r in enumerate(reqs):
            if i and a.gap_ms:
                time.sleep(a.gap_ms / 1000.0)
            yield r

    responses = []
    result = {}
    call = None
    # the call's own duration (the interpreter's start-up and grpc's import excluded: under a
    # loaded CI machine they take seconds, and tests bound how long the call itself took)
    started = time.monotonic()
    try:
        if not m.client_streaming and not m.server_streaming:
            mc = channel.unary_unary(a.method, _registered_method=False)
            resp, call = mc.with_call(reqs[0], **kw)
            responses.append(resp)
        elif not m.client_streaming:
            call = channel.unary_stream(a.method, _registered_method=False)(reqs[0], **kw)
            for r in call:
                responses.append(r)
        elif not m.server_streaming:
            mc = channel.stream_unary(a.method, _registered_method=False)
            resp, call = mc.with_call(stream(), **kw)
            responses.append(resp)
        else:
            call = channel.stream_stream(a.method, _registered_method=False)(stream(), **kw)
            for r in call:
                responses.append(r)
    except grpc.RpcError as e:
        call = e
    result["elapsed_s"] = time.monotonic() - started
    code = call.code()
    trailing = call.trailing_metadata() or ()
    result["code"] = code.name
    result["code_number"] = code.value[0]
    result["details"] = call.details()
    result["initial_metadata"] = protoset.metadata_dict(call.initial_metadata())
    result["trailing_metadata"] = protoset.metadata_dict(trailing)
    result["requests_hex"] = [r.hex() for r in reqs]
    result["responses_hex"] = [r.hex() for r in responses]
    decoded = []
    for r in responses:
        try:
            decoded.append(p.to_json(m.output.FromString(r)))
        except Exception as e:
            decoded.append({"undecodable": str(e)})
    result["responses"] = decoded
    result["status_details"] = None
    for k, v in trailing:
        if k == "grpc-status-details-bin":
            try:
                result["status_details"] = p.decode_status(v)
            except Exception as e:
                result["status_details"] = {"undecodable": str(e), "hex": v.hex()}
    print(json.dumps(result, sort_keys=True), flush=True)
    channel.close()


if __name__ == "__main__":
    main()
