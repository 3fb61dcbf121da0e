#!/usr/bin/env bash
# Load figures in one run, as ratios against baselines measured in the same run:
#   (a) the demo upstream directly,
#   (b) toolwall with the full pipeline (identify, classify, args, schema, policy, forward),
#   (c) nginx as a bare forwarding proxy in front of the same upstream (if nginx is available),
#   (d) toolwall with the full pipeline and the audit stream on (sync: batch).
# Prints requests/s and p50/p99 latency for each, and (b)/(a), (b)/(c), (d)/(b).
# Usage: benches/load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONNS=${2:-32}
UP=127.0.0.1:18081
TW=127.0.0.1:18080
NG=127.0.0.1:18082
TA=127.0.0.1:18083

if ! command -v wrk >/dev/null; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if ! command -v nginx >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || true
fi
# TOOLWALL_BIN: measure another build (e.g. the commit before a change) with the same script
if [ -n "${TOOLWALL_BIN:-}" ]; then
  BIN=$TOOLWALL_BIN
else
  cargo build --release --quiet
  BIN=target/release/toolwall
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# toolwall with the bench fixtures; its demo upstream serves (a)
"$BIN" --log-level warn run -c benches/fixtures/toolwall.yaml &
pids+=($!)
# the same with the audit stream on
"$BIN" keygen --out "$work/keys" >/dev/null
cat > "$work/audited.yaml" <<YAML
listen: $TA
admin: 127.0.0.1:19903
identity:
  static: { agent: bench-agent, tenant: acme_co }
policies: $PWD/policies
adapters: $PWD/benches/fixtures/adapters
audit: { dir: $work/audit, key: $work/keys/audit.key, sync: batch }
YAML
"$BIN" --log-level warn run -c "$work/audited.yaml" &
pids+=($!)
if command -v nginx >/dev/null; then
  cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream up { server $UP; keepalive 64; }
  server {
    listen $NG;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
  nginx -c "$work/nginx.conf" -g 'daemon off;' &
  pids+=($!)
fi
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://$TW/payments/v1/refunds" -H 'content-type: application/json' --data @benches/fixtures/call.json && break; sleep 0.1; done

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("benches/fixtures/call.json", "r")
wrk.body = f:read("*a")
f:close()
LUA

# check that (b) is really allowed (200), not a fast refusal
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$TW/payments/v1/refunds" -H 'content-type: application/json' --data @benches/fixtures/call.json)
[ "$code" = 200 ] || { echo "toolwall did not allow the bench call (HTTP $code)"; exit 1; }

run() { # name url
  wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -s "$work/post.lua" "$2" > "$work/$1.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/$1.txt")
  printf '%-28s %12s req/s   p50 %9s   p99 %9s\n' "$1" "$rps" "$p50" "$p99"
  echo "$rps" > "$work/$1.rps"
}
echo "wrk: 1 thread, $CONNS connections, ${DUR}s each, ~850-byte JSON POST; $(nproc) cores shared by all processes"
run "a_direct_upstream" "http://$UP/v1/refunds"
run "b_toolwall_full_pipeline" "http://$TW/payments/v1/refunds"
if command -v nginx >/dev/null; then run "c_nginx_bare_proxy" "http://$NG/v1/refunds"; fi
run "d_toolwall_with_audit" "http://$TA/payments/v1/refunds"
a=$(cat "$work/a_direct_upstream.rps"); b=$(cat "$work/b_toolwall_full_pipeline.rps")
d=$(cat "$work/d_toolwall_with_audit.rps")
awk -v a="$a" -v b="$b" 'BEGIN { printf "ratio toolwall/direct:       %.2f\n", b/a }'
awk -v d="$d" -v b="$b" 'BEGIN { printf "ratio audit on/off:          %.2f   (goal: audit costs < 10%%)\n", d/b }'
"$BIN" audit verify "$work/audit" --keys "$work/keys/audit.pub" | tail -1
if [ -f "$work/c_nginx_bare_proxy.rps" ]; then
  c=$(cat "$work/c_nginx_bare_proxy.rps")
  awk -v c="$c" -v b="$b" 'BEGIN { printf "ratio toolwall/bare proxy:   %.2f   (goal: >= 0.8)\n", b/c }'
fi
