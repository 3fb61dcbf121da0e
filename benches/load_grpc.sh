#!/usr/bin/env bash
# The gRPC pass of benches/load.sh (GRPC=1): the bench's refund call as a gRPC message
# (benches/fixtures/grpc/payments.proto, the same fields as the HTTP call), closed loop over
# HTTP/2 with oha, through nginx `grpc_pass` and through toolwall, to an nginx upstream that
# answers every call with a fixed `Refund` message and `grpc-status: 0` (h2c). CPU µs per call
# from /proc as in load.sh, and the deny probe's grpc-status (7 = PERMISSION_DENIED).
# Usage (from load.sh): benches/load_grpc.sh BIN WORKDIR PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1
work=$2/grpc
PY=$3
DUR=${DUR:-10}
CONNS=${CONNS:-32}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
GUP=127.0.0.1:18381
GNG=127.0.0.1:18382
GTW=127.0.0.1:18383
METHOD=/bench.payments.v1.Payments/CreateRefund
mkdir -p "$work/root" "$work/adapters"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# the request (allowed and denied) and the answer as length-prefixed gRPC frames
"$PY" - benches/fixtures/grpc/payments.pb benches/fixtures/grpc/call.json "$work" <<'PY'
import json, struct, sys
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
fds = descriptor_pb2.FileDescriptorSet.FromString(open(sys.argv[1], "rb").read())
pool = descriptor_pool.DescriptorPool()
for f in fds.file:
    pool.Add(f)
cls = lambda name: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
call = json.load(open(sys.argv[2]))
frame = lambda m: b"\0" + struct.pack(">I", len(m)) + m
def write(path, msg):
    open(path, "wb").write(frame(msg.SerializeToString()))
write(sys.argv[3] + "/allow.bin", json_format.ParseDict(call, cls("bench.payments.v1.RefundRequest")()))
call["amount"] = 999999
write(sys.argv[3] + "/deny.bin", json_format.ParseDict(call, cls("bench.payments.v1.RefundRequest")()))
write(sys.argv[3] + "/root/reply.bin", json_format.ParseDict({"id": "re_1", "status": "succeeded"}, cls("bench.payments.v1.Refund")()))
PY

# nginx as the upstream: every POST is answered with the reply frame (a static file served
# after the 405 a POST to a static file gets: `error_page` redirects as a GET) and the grpc-status trailer
cat > "$work/upstream.conf" <<NGINX
daemon off; master_process off; worker_processes 1;
pid $work/upstream.pid; error_log $work/upstream.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 100000000;
  server {
    listen $GUP http2;
    root $work/root;
    location / { try_files /reply.bin =404; error_page 405 =200 /reply.bin; }
    location = /reply.bin {
      types { } default_type application/grpc; add_trailer grpc-status 0 always;
      # a no-op substitution drops content-length: with it nginx's grpc_pass ends the stream at
      # the body and takes the trailers that follow for a protocol error
      sub_filter_types application/grpc; sub_filter '<no-such-text>' '';
    }
  }
}
NGINX
cat > "$work/proxy.conf" <<NGINX
daemon off; master_process off; worker_processes 1;
pid $work/proxy.pid; error_log $work/proxy.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 100000000;
  upstream up { server $GUP; keepalive 64; keepalive_requests 100000000; }
  server { listen $GNG http2; location / { grpc_pass grpc://up; } }
}
NGINX
cat > "$work/adapters/payments.yaml" <<YAML
name: payments
kind: grpc
upstream: http://$GUP
descriptor_set: $PWD/benches/fixtures/grpc/payments.pb
tools:
  - name: create_refund                 # payments.create_refund, as over HTTP
    match: { service: bench.payments.v1.Payments, method: CreateRefund }
    risk: { reversible: false, financial: true, data_class: pci }
YAML
cat > "$work/toolwall.yaml" <<YAML
listen: $GTW
admin: 127.0.0.1:18393
identity:
  static: { agent: bench-agent, tenant: acme_co }
policies: $PWD/policies
adapters: $work/adapters
YAML
workers_flag=()
if "$BIN" run --help 2>&1 | grep -q -- '--workers'; then workers_flag=(--workers 1); else export TOKIO_WORKER_THREADS=1; fi

grpc_status() { # addr frame → grpc-status (headers or trailers)
  # (curl's --dump-header leaves trailers out; its trace has them)
  curl -s --http2-prior-knowledge --max-time 5 -o /dev/null --trace-ascii - "http://$1$METHOD" \
    -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @"$2" \
    | tr -d '\r' | awk '$1 == "0000:" && tolower($2) == "grpc-status:" {print $3}' | tail -1
}
wait_grpc() { for _ in $(seq 1 200); do [ -n "$(grpc_status "$1" "$work/allow.bin")" ] && return 0; sleep 0.05; done; echo "no gRPC answer from $1" >&2; return 1; }

taskset -c "$LOAD_CPU" nginx -c "$work/upstream.conf" -e "$work/upstream.log" >/dev/null 2>&1 & pids+=($!)
wait_grpc "$GUP"

row() { # name addr pid
  local allow deny t0 t1 ok rps p50 p99 codes cpu
  allow=$(grpc_status "$2" "$work/allow.bin")
  deny=$(grpc_status "$2" "$work/deny.bin")
  t0=$(awk '{print $14 + $15}' "/proc/$3/stat")
  taskset -c "$LOAD_CPU" oha --no-tui --output-format json --http2 -z "${DUR}s" -c "$CONNS" -m POST \
    -H 'content-type: application/grpc' -H 'te: trailers' -D "$work/allow.bin" \
    "http://$2$METHOD" > "$work/$1.json" 2>/dev/null
  t1=$(awk '{print $14 + $15}' "/proc/$3/stat")
  read -r ok rps p50 p99 codes < <("$PY" - "$work/$1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); s = d["summary"]; p = d["latencyPercentiles"]
c = d.get("statusCodeDistribution", {})
print(c.get("200", 0), "%.0f" % s["requestsPerSec"], "%.2f" % (p["p50"] * 1000), "%.2f" % (p["p99"] * 1000),
      ",".join("%s:%s" % kv for kv in sorted(c.items())) or "none")
PY
)
  cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$ok" 'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "-" }')
  echo "| $1 (gRPC) | $rps | $cpu | $p50 | $p99 | $(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$3/status") | $allow/$deny | $codes |"
}

echo
echo "gRPC: oha --http2, $CONNS connections, ${DUR}s; grpc-status of the allowed call / the deny probe"
echo
echo "| target | calls/s | CPU µs/call | p50 ms | p99 ms | RSS MB loaded | allow/deny grpc-status | HTTP statuses |"
echo "|---|---|---|---|---|---|---|---|"
taskset -c "$PROXY_CPU" nginx -c "$work/proxy.conf" -e "$work/proxy.log" >/dev/null 2>&1 & ng=$!
pids+=($ng)
wait_grpc "$GNG"
row nginx "$GNG" "$ng"
kill "$ng"
taskset -c "$PROXY_CPU" "$BIN" --log-level "${TOOLWALL_LOG:-info}" run "${workers_flag[@]}" -c "$work/toolwall.yaml" >/dev/null 2>"$work/toolwall.log" & tw=$!
pids+=($tw)
wait_grpc "$GTW"
row toolwall "$GTW" "$tw"
