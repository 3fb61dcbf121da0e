#!/usr/bin/env bash
# Where a call's CPU goes, per thread of the proxy, under the closed loop of benches/load.sh:
# user and system µs per call and context switches per call of every thread (the runtime's
# worker, the audit writer, the log writer, …), from /proc/PID/task/TID/{stat,status} before
# and after. load.sh gives the whole process's CPU per call; this splits it, so a change that
# moves work between threads (or into the kernel) shows where it went.
#
# Usage: benches/threads.sh [BIN]   (default: target/production/toolwall, built)
#   AUDIT=1      the signed audit stream on (`sync: batch`, as load.sh's +audit row)
#   TARGET=nginx nginx as a bare forwarding proxy instead of toolwall (the baseline)
#   LOG=info     toolwall's log level (default info, as load.sh)
#   DUR=8 CONNS=32 PORT=18381 (the first of the four ports it uses)
#   SYSCALLS=1   also count the proxy's syscalls per call (perf's syscall tracepoints; needs perf;
#                tracing them slows the proxy: read the counts, not that run's CPU figures)
#   PERF=FILE    also record a cpu-clock profile of the proxy (every thread) over the closed
#                loop into FILE (`perf report -i FILE --no-children --sort sym`): shares of the
#                proxy's own CPU time, which hold on a busy machine where µs figures drift
# The proxy is pinned to CPU 0 with one worker, oha and the upstream (nginx) to CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v oha >/dev/null || cargo install oha --locked --quiet
command -v nginx >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
if [ $# -eq 0 ]; then cargo build --profile production --quiet --bin toolwall; set -- target/production/toolwall; fi
BIN=$1
P=${PORT:-18381}
UP=127.0.0.1:$P
NG=127.0.0.1:$((P + 1))
TW=127.0.0.1:$((P + 2))
ADMIN=127.0.0.1:$((P + 3))
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/up.conf" <<NGINX
daemon off; master_process off; worker_processes 1; pid $work/up.pid; error_log $work/up.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 100000000;
  server { listen $UP; location / { default_type application/json; return 200 '{"id":"re_1","status":"succeeded"}'; } }
}
NGINX
cat > "$work/proxy.conf" <<NGINX
daemon off; master_process off; worker_processes 1; pid $work/proxy.pid; error_log $work/proxy.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 100000000; client_body_buffer_size 16k;
  upstream up { server $UP; keepalive 64; keepalive_requests 100000000; }
  server { listen $NG; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
NGINX
taskset -c 1 nginx -c "$work/up.conf" -e "$work/up.log" >/dev/null 2>&1 & pids+=($!)

mkdir -p "$work/adapters"
sed "s#http://127.0.0.1:18081#http://$UP#" benches/fixtures/adapters/payments.yaml > "$work/adapters/payments.yaml"
"$BIN" keygen --out "$work/keys" >/dev/null
cat > "$work/toolwall.yaml" <<YAML
listen: $TW
admin: $ADMIN
identity:
  static: { agent: bench-agent, tenant: acme_co }
policies: $PWD/policies
adapters: $work/adapters
YAML
if [ "${AUDIT:-0}" = 1 ]; then
  echo "audit: { dir: $work/audit, key: $work/keys/audit.key, sync: batch }" >> "$work/toolwall.yaml"
fi
if [ "${TARGET:-toolwall}" = nginx ]; then
  taskset -c 0 nginx -c "$work/proxy.conf" -e "$work/proxy.log" >/dev/null 2>&1 & pid=$!
  url=http://$NG/v1/refunds
else
  taskset -c 0 "$BIN" --log-level "${LOG:-info}" run --workers 1 -c "$work/toolwall.yaml" >/dev/null 2>"$work/toolwall.log" & pid=$!
  url=http://$TW/payments/v1/refunds
fi
pids+=("$pid")
body=benches/fixtures/call.json
for _ in $(seq 1 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" -H 'content-type: application/json' --data-binary @"$body" || true)
  [ "$code" = 200 ] && break
  sleep 0.05
done
[ "$code" = 200 ] || { echo "no 200 from $url (got $code)" >&2; exit 1; }

snap() { # tid name utime stime voluntary nonvoluntary, per thread
  for t in /proc/"$pid"/task/*; do
    awk -v tid="$(basename "$t")" -v name="$(tr ' ' '_' < "$t/comm")" '
      FILENAME ~ /stat$/ { u = $14; s = $15 }
      /^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { nv = $2 }
      END { print tid, name, u, s, v, nv }' "$t/stat" "$t/status"
  done | sort
}
snap > "$work/s0"
perf_pid=; rec_pid=
if [ -n "${PERF:-}" ]; then
  perf record -q -e cpu-clock -F 2999 -p "$pid" -o "$PERF" 2>/dev/null & rec_pid=$!
fi
if [ "${SYSCALLS:-0}" = 1 ]; then
  perf stat -e 'syscalls:sys_enter_*' -p "$pid" -o "$work/syscalls.txt" & perf_pid=$!
fi
taskset -c 1 oha --no-tui --output-format json -z "${DUR:-8}s" -c "${CONNS:-32}" -m POST \
  -H 'content-type: application/json' -D "$body" "$url" > "$work/oha.json" 2>/dev/null
if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; fi
if [ -n "$rec_pid" ]; then kill -INT "$rec_pid"; wait "$rec_pid" 2>/dev/null || true; fi
snap > "$work/s1"
read -r calls rps < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["statusCodeDistribution"].get("200", 0), round(d["summary"]["requestsPerSec"]))' "$work/oha.json")
hz=$(getconf CLK_TCK)
echo "$(basename "$BIN") ${TARGET:-toolwall} audit=${AUDIT:-0} log=${LOG:-info}: $calls calls answered 200, $rps req/s, ${DUR:-8}s, ${CONNS:-32} connections"
echo "| thread | user µs/call | system µs/call | voluntary switches/call | involuntary switches/call |"
echo "|---|---|---|---|---|"
join "$work/s0" "$work/s1" | awk -v n="$calls" -v hz="$hz" '
  # tid, then name utime stime voluntary nonvoluntary before ($2–$6) and after ($7–$11)
  { u = ($8 - $3) / hz * 1e6 / n; s = ($9 - $4) / hz * 1e6 / n; tu += u; ts += s
    if (u + s > 0 || $10 > $5 || $11 > $6)
      printf "| %s | %.2f | %.2f | %.3f | %.3f |\n", $2, u, s, ($10 - $5) / n, ($11 - $6) / n }
  END { printf "| **all** | **%.2f** | **%.2f** | | |\n", tu, ts }'
if [ -n "$perf_pid" ]; then
  echo
  echo "syscalls per call:"
  awk -v n="$calls" '$1 ~ /^[0-9,]+$/ { c = $1; gsub(",", "", c); if (c / n >= 0.01) printf "  %-28s %.3f\n", substr($2, 20), c / n }' "$work/syscalls.txt" | sort -k2 -rn
fi
