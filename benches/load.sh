#!/usr/bin/env bash
# Load figures in one run, as ratios to a bare nginx proxy measured in the same run.
#
#   upstream   nginx answering a fixed JSON body (the "fast upstream"), directly
#   nginx      nginx as a bare forwarding proxy (proxy_pass, keepalive pool) to that upstream
#   toolwall   the full pipeline (identify, classify, args, schema, PII scan, policy, limits,
#              redaction, forward), audit off
#   +audit     the same with the signed audit stream on (`sync: batch`)
#   +trace     toolwall (audit off) with tracing on: every call sampled (`sampler: always_on`),
#              its spans exported over OTLP/HTTP to benches/otlp_sink.py (accepts and discards;
#              Python's standard library, counting spans when opentelemetry-proto is importable),
#              pinned to LOAD_CPU. The table's last lines: throughput and CPU per call with
#              tracing on / off in this run, and the spans the sink got.
#
# Each proxy runs one worker (nginx: one process; toolwall: `--workers 1`) pinned with taskset
# to PROXY_CPU; the load generator (oha) and the upstream are pinned to LOAD_CPU. For each:
#   - closed loop: CONNECTIONS connections as fast as they go for DURATION seconds;
#   - open loop: RATE calls/s for DURATION seconds, latency-corrected (coordinated omission);
#   - CPU µs per call: the proxy's own utime+stime from /proc/PID/stat over the closed loop,
#     divided by the calls it answered;
#   - RSS idle (after start and one call) and after the load;
#   - the deny probe: a call the example policy refuses (amount over the threshold). A proxy
#     that forwards everything answers it 200; toolwall must answer 403.
# Optional gRPC pass (GRPC=1, needs Python grpcio): the same call as a gRPC message through
# toolwall and through nginx `grpc_pass`, to a Python grpcio server (slow: compare CPU µs per
# call, not throughput).
#
# Usage: benches/load.sh [DURATION_SECONDS] [CONNECTIONS] [RATE]
#   RUNS=3 repeats the whole table; TOOLWALL_BIN=… measures another build; PERF=1 records a
#   `perf` profile of each proxy's closed loop into PERF_OUT/perf-NAME.txt (default: .).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONNS=${2:-32}
RATE=${3:-1000}
RUNS=${RUNS:-1}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
UP=127.0.0.1:18281
NG=127.0.0.1:18282
TW=127.0.0.1:18283
TA=127.0.0.1:18284
TT=127.0.0.1:18285
SINK_PORT=18286

need_apt=()
command -v nginx >/dev/null || need_apt+=(nginx)
command -v curl >/dev/null || need_apt+=(curl)
command -v taskset >/dev/null || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
export PATH="$HOME/.cargo/bin:$PATH"
command -v oha >/dev/null || cargo install oha --locked --quiet
if [ -n "${TOOLWALL_BIN:-}" ]; then
  BIN=$TOOLWALL_BIN
else
  cargo build --profile production --quiet --bin toolwall
  BIN=target/production/toolwall
fi
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT


# --- the fast upstream: nginx, one process, a fixed JSON answer --------------------------------
cat > "$work/upstream.conf" <<NGINX
daemon off; master_process off; worker_processes 1;
pid $work/upstream.pid; error_log $work/upstream.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 100000000; client_body_buffer_size 16k;
  server {
    listen $UP;
    location / { default_type application/json; return 200 '{"id":"re_1","status":"succeeded"}'; }
  }
}
NGINX
taskset -c "$LOAD_CPU" nginx -c "$work/upstream.conf" -e "$work/upstream.log" >/dev/null 2>&1 & pids+=($!)

# --- nginx as a bare forwarding proxy ------------------------------------------------------------
cat > "$work/proxy.conf" <<NGINX
daemon off; master_process off; worker_processes 1;
pid $work/proxy.pid; error_log $work/proxy.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 100000000; client_body_buffer_size 16k;
  upstream up { server $UP; keepalive 64; keepalive_requests 100000000; }
  server {
    listen $NG;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX

# --- toolwall: the bench adapters pointed at the upstream; audit off and on ----------------------
mkdir -p "$work/adapters"
sed "s#http://127.0.0.1:18081#http://$UP#" benches/fixtures/adapters/payments.yaml > "$work/adapters/payments.yaml"
"$BIN" keygen --out "$work/keys" >/dev/null
tw_config() { # listen admin audit|trace|none
  cat <<YAML
listen: $1
admin: $2
identity:
  static: { agent: bench-agent, tenant: acme_co }
policies: $PWD/policies
adapters: $work/adapters
YAML
  if [ "$3" = audit ]; then
    echo "audit: { dir: $work/audit, key: $work/keys/audit.key, sync: batch }"
  fi
  if [ "$3" = trace ]; then
    printf 'telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://127.0.0.1:%s\n  sampler: always_on\n' "$SINK_PORT"
  fi
}
tw_config "$TW" 127.0.0.1:18293 none > "$work/toolwall.yaml"
tw_config "$TA" 127.0.0.1:18294 audit > "$work/audited.yaml"
tw_config "$TT" 127.0.0.1:18295 trace > "$work/traced.yaml"
# the sink's Python: one that can count spans (the test venv) if there is one, else python3
SINK_PY=python3
for p in "${TOOLWALL_TEST_PYTHON:-}" target/ci-venv/bin/python; do
  if [ -n "$p" ] && "$p" -c 'import opentelemetry.proto' 2>/dev/null; then SINK_PY=$p; break; fi
done
workers_flag=()
if "$BIN" run --help 2>&1 | grep -q -- '--workers'; then
  workers_flag=(--workers 1)
else # an older build: tokio reads its worker count from the environment
  export TOKIO_WORKER_THREADS=1
fi

# --- calls ---------------------------------------------------------------------------------------
body=benches/fixtures/call.json
python3 - "$body" "$work/deny.json" <<'PY'
import json, sys
call = json.load(open(sys.argv[1]))
call["amount"] = 999999  # over the example policy's refund threshold
json.dump(call, open(sys.argv[2], "w"), separators=(",", ":"))
PY
post() { # url file → status
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" -H 'content-type: application/json' --data-binary @"$2"
}
wait_up() { # url
  for _ in $(seq 1 200); do
    [ "$(post "$1" "$body")" != 000 ] && return 0
    sleep 0.05
  done
  echo "no answer from $1" >&2
  return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

oha_run() { # out url extra-args…
  local out=$1 url=$2
  shift 2
  taskset -c "$LOAD_CPU" oha --no-tui --output-format json -z "${DUR}s" -m POST \
    -H 'content-type: application/json' -D "$body" "$@" "$url" > "$out" 2>/dev/null
}
# fields of oha's JSON summary: successes, rps, p50/p99/p99.9 (ms), statuses
summ() { # file → "ok rps p50 p99 p999 statuses"
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]; p = d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
ok = codes.get("200", 0)
ms = lambda v: "%.2f" % (v * 1000) if v is not None else "-"
print(ok, "%.0f" % s["requestsPerSec"], ms(p.get("p50")), ms(p.get("p99")), ms(p.get("p99.9")),
      ",".join("%s:%s" % kv for kv in sorted(codes.items())) or "none")
PY
}

# measure NAME URL PID: closed loop with CPU, open loop, RSS; prints one table row
measure() {
  local name=$1 url=$2 pid=$3
  local deny allow rss0 t0 t1 rss1
  allow=$(post "$url" "$body")
  deny=$(post "$url" "$work/deny.json")
  rss0=$( [ "$pid" = - ] && echo - || rss_mb "$pid")
  t0=$( [ "$pid" = - ] && echo 0 || cpu_ticks "$pid")
  local perf=
  if [ "${PERF:-0}" = 1 ] && [ "$pid" != - ]; then
    perf record -q -g -o "$work/$name.perf.data" -p "$pid" >/dev/null 2>&1 & perf=$!
  fi
  oha_run "$work/$name.closed.json" "$url" -c "$CONNS"
  if [ -n "$perf" ]; then
    kill -INT "$perf"; wait "$perf" 2>/dev/null || true
    perf report -q -i "$work/$name.perf.data" --no-children -g none --sort dso,sym --percent-limit 0.7 2>/dev/null \
      | grep -v '^$' | head -40 > "${PERF_OUT:-.}/perf-$name.txt" || true
  fi
  t1=$( [ "$pid" = - ] && echo 0 || cpu_ticks "$pid")
  oha_run "$work/$name.open.json" "$url" -c "$CONNS" -q "$RATE" --latency-correction
  rss1=$( [ "$pid" = - ] && echo - || rss_mb "$pid")
  read -r ok rps p50 p99 _ codes < <(summ "$work/$name.closed.json")
  read -r _ _ _ op99 op999 ocodes < <(summ "$work/$name.open.json")
  local hz cpu
  hz=$(getconf CLK_TCK)
  if [ "$pid" = - ]; then cpu=-; else
    cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$ok" 'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "-" }')
  fi
  echo "$rps" > "$work/$name.rps"
  printf '| %s | %s | %s | RATIO_%s | %s | %s | %s | %s | %s / %s | %s | %s |\n' \
    "$name" "$rps" "$cpu" "$name" "$p50" "$p99" "$op99" "$op999" "$rss0" "$rss1" "$allow/$deny" \
    "$codes / $ocodes" >> "$work/table"
}

one_run() {
  : > "$work/table"
  rm -rf "$work/audit"
  wait_up "http://$UP/v1/refunds"
  measure upstream "http://$UP/v1/refunds" -

  taskset -c "$PROXY_CPU" nginx -c "$work/proxy.conf" -e "$work/proxy.log" >/dev/null 2>&1 & local ng=$!
  wait_up "http://$NG/v1/refunds"
  measure nginx "http://$NG/v1/refunds" "$ng"
  kill "$ng"; wait "$ng" 2>/dev/null || true

  taskset -c "$PROXY_CPU" "$BIN" --log-level "${TOOLWALL_LOG:-info}" run "${workers_flag[@]}" -c "$work/toolwall.yaml" >/dev/null 2>"$work/toolwall.log" & local tw=$!
  wait_up "http://$TW/payments/v1/refunds"
  measure toolwall "http://$TW/payments/v1/refunds" "$tw"
  kill "$tw"; wait "$tw" 2>/dev/null || true

  taskset -c "$LOAD_CPU" "$SINK_PY" benches/otlp_sink.py "$SINK_PORT" "$work/sink.json" & local sink=$!
  taskset -c "$PROXY_CPU" env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_SDK_DISABLED "$BIN" --log-level "${TOOLWALL_LOG:-info}" run "${workers_flag[@]}" -c "$work/traced.yaml" >/dev/null 2>"$work/traced.log" & local tt=$!
  wait_up "http://$TT/payments/v1/refunds"
  measure toolwall+trace "http://$TT/payments/v1/refunds" "$tt"
  local calls_tt
  calls_tt=$(python3 -c 'import json,sys; print(sum(sum(json.load(open(f))["statusCodeDistribution"].values()) for f in sys.argv[1:]))' "$work/toolwall+trace.closed.json" "$work/toolwall+trace.open.json")
  kill "$tt"; wait "$tt" 2>/dev/null || true # queued spans are exported as toolwall stops
  kill "$sink"; wait "$sink" 2>/dev/null || true

  taskset -c "$PROXY_CPU" "$BIN" --log-level "${TOOLWALL_LOG:-info}" run "${workers_flag[@]}" -c "$work/audited.yaml" >/dev/null 2>"$work/audited.log" & local ta=$!
  wait_up "http://$TA/payments/v1/refunds"
  measure toolwall+audit "http://$TA/payments/v1/refunds" "$ta"
  kill "$ta"; wait "$ta" 2>/dev/null || true

  local ngr
  ngr=$(cat "$work/nginx.rps")
  echo "| target | req/s (closed, $CONNS conns) | CPU µs/call | vs nginx | p50 ms | p99 ms | p99 ms @ $RATE/s | p99.9 ms @ $RATE/s | RSS MB idle / loaded | allow/deny probe | statuses closed / open |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  while IFS= read -r line; do
    local n r
    n=$(sed -E 's/^\| ([^ ]+) .*/\1/' <<<"$line")
    r=$(cat "$work/$n.rps")
    line=${line/RATIO_$n/$(awk -v r="$r" -v g="$ngr" 'BEGIN { printf "%.2f", r / g }')}
    echo "$line"
  done < "$work/table"
  local v
  v=$("$BIN" audit verify "$work/audit" --keys "$work/keys/audit.pub" 2>&1 | tail -1)
  echo
  echo "audit stream written under load: $v"
  awk -v on="$(cat "$work/toolwall+trace.rps")" -v off="$(cat "$work/toolwall.rps")" \
    'BEGIN { printf "tracing on / off, closed loop: throughput %.2f (cost %.1f %%)", on / off, (1 - on / off) * 100 }'
  local cpu_on cpu_off
  cpu_on=$(grep '^| toolwall+trace ' "$work/table" | awk -F'|' '{print $4}' | tr -d ' ')
  cpu_off=$(grep '^| toolwall ' "$work/table" | awk -F'|' '{print $4}' | tr -d ' ')
  awk -v on="$cpu_on" -v off="$cpu_off" 'BEGIN { printf ", CPU µs per call %.2f×\n", on / off }'
  echo "OTLP sink: $(cat "$work/sink.json" 2>/dev/null || echo 'no stats') for $calls_tt calls of the closed and open loops (the probes and start-up calls add a few)"
}

echo "oha $(oha --version | awk '{print $2}'), nginx $(nginx -v 2>&1 | sed 's#.*/##'), $(nproc) cores; proxies pinned to CPU $PROXY_CPU, oha and the upstream to CPU $LOAD_CPU"
echo "closed loop: $CONNS connections, ${DUR}s; open loop: $RATE calls/s, ${DUR}s, latency-corrected; ~850-byte JSON POST; toolwall log level ${TOOLWALL_LOG:-info}, ${workers_flag[*]:-TOKIO_WORKER_THREADS=1}"
for i in $(seq 1 "$RUNS"); do
  echo
  echo "run $i ($(date -u +%H:%M:%S), load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  one_run
done

# --- gRPC: the same call as a gRPC message -------------------------------------------------------
[ "${GRPC:-0}" = 1 ] || exit 0
PY=${TOOLWALL_TEST_PYTHON:-target/ci-venv/bin/python}
"$PY" -c 'import grpc' 2>/dev/null || { echo "GRPC=1 needs Python grpcio ($PY)"; exit 1; }
DUR=$DUR CONNS=$CONNS PROXY_CPU=$PROXY_CPU LOAD_CPU=$LOAD_CPU bash benches/load_grpc.sh "$BIN" "$work" "$PY"
