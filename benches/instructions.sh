#!/usr/bin/env bash
# Instructions per call, counted by callgrind: repeatable for the same binary and inputs whatever
# else the machine is doing, so two builds can be compared on a busy 2-core VM where wall-clock
# figures drift ±30 %. Runs the bench config (benches/fixtures) under callgrind twice, with N1
# and N2 keep-alive calls from one client, and prints (I(N2) - I(N1)) / (N2 - N1): the whole
# per-call cost in the proxy (accept, pipeline, forward, answer), startup excluded.
# Usage: benches/instructions.sh [BIN...]   (default: target/production/toolwall, built: the
# shipped profile, LTO)
# TRACE=1: tracing on (every call sampled, `sampler: always_on`), spans exported over OTLP/HTTP
# to benches/otlp_sink.py (outside valgrind): the count then includes building the spans and
# exporting them from the batch processor's thread, in the same process.
# AUDIT=1: the signed audit stream on (`sync: batch`, as load.sh's +audit row): the count
# includes the writer thread (canonical form, hashes, the write, checkpoints).
# LOG=info: toolwall's log level (default warn: no per-call line); the lines go to a file.
# WORKERS=N: `run --workers N` (load.sh runs toolwall with one worker; default: one per core).
# KEEP=DIR: keep the N2 run's callgrind output in DIR (for callgrind_annotate --inclusive=yes).
# VGEXTRA="--dump-instr=yes": more callgrind options (per-instruction costs in the KEEP output:
# which call site of a function, e.g. which memcpy, costs what).
# CONNS=N: the calls from N connections at once (oha, after one call that waits for the start)
# instead of one call at a time: how the proxy's turns batch work (the audit writer's wake-ups,
# timers) when calls overlap, which one call at a time never shows.
# VARY=1: every call with a different `amount` (1000 + i mod 9000, still allowed): no call's
# policy input repeats an earlier one, so nothing keyed by the call's input (a decision cache:
# the eleventh round's, docs/performance.md, measured and not merged) can answer it from an
# earlier call (one call at a time only).
set -euo pipefail
cd "$(dirname "$0")/.."
N1=${N1:-200}
N2=${N2:-1200}
command -v valgrind >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
if [ $# -eq 0 ]; then cargo build --profile production --quiet --bin toolwall; set -- target/production/toolwall; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the bench config's demo upstream, outside valgrind
# PORT=…: the first of the four ports it uses (another session may be running it too)
P=${PORT:-18180}
DEMO=127.0.0.1:$((P + 1))
"$1" --log-level warn demo-upstream --listen "$DEMO" & demo=$!
trap 'kill $demo 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/adapters"
sed "s#127.0.0.1:18081#$DEMO#g" benches/fixtures/adapters/payments.yaml > "$work/adapters/payments.yaml"
cat > "$work/toolwall.yaml" <<YAML
listen: 127.0.0.1:$P
admin: 127.0.0.1:$((P + 10))
identity:
  static: { agent: bench-agent, tenant: acme_co }
policies: $PWD/policies
adapters: $work/adapters
YAML
if [ "${AUDIT:-0}" = 1 ]; then
  "$1" keygen --out "$work/keys" >/dev/null
  echo "audit: { dir: $work/audit, key: $work/keys/audit.key, sync: batch }" >> "$work/toolwall.yaml"
fi
if [ "${TRACE:-0}" = 1 ]; then
  python3 benches/otlp_sink.py $((P + 6)) "$work/sink.json" & sink=$!
  trap 'kill $demo $sink 2>/dev/null; rm -rf "$work"' EXIT
  printf 'telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://127.0.0.1:%s\n  sampler: always_on\n' $((P + 6)) >> "$work/toolwall.yaml"
  # export every 100 ms: what the run queued is exported before it stops
  export OTEL_BSP_SCHEDULE_DELAY=100
fi

calls() { # n
  if [ -n "${CONNS:-}" ]; then
    command -v oha >/dev/null || { echo "CONNS needs oha (cargo install oha)" >&2; exit 1; }
    CONNS= calls 1
    oha --no-tui --output-format json -n "$(($1 - 1))" -c "$CONNS" -m POST \
      -H 'content-type: application/json' -D benches/fixtures/call.json \
      "http://127.0.0.1:$P/payments/v1/refunds" > "$work/oha.json" 2>/dev/null
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); n = d["statusCodeDistribution"].get("200", 0)
assert n == int(sys.argv[2]), f"{n} calls answered 200 of {sys.argv[2]}"' "$work/oha.json" "$(($1 - 1))"
    return
  fi
  VARY=${VARY:-0} python3 - "$1" "$P" <<'PY'
import http.client, os, sys, time
body = open("benches/fixtures/call.json", "rb").read()
vary = os.environ["VARY"] == "1"
assert not vary or body.count(b'"amount":4200') == 1
for _ in range(300):
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]), timeout=60); c.connect(); break
    except OSError:
        time.sleep(0.1)
for i in range(int(sys.argv[1])):
    # four digits: the body's length does not change
    b = body.replace(b'"amount":4200', b'"amount":%d' % (1000 + i % 9000)) if vary else body
    c.request("POST", "/payments/v1/refunds", b, {"content-type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
}

measure() { # bin n → total instructions (Ir)
  rm -rf "$work/audit"
  valgrind --tool=callgrind ${VGEXTRA:-} --callgrind-out-file="$work/cg.out" "$1" --log-level "${LOG:-warn}" run ${WORKERS:+--workers "$WORKERS"} -c "$work/toolwall.yaml" 2>"$work/vg.log" >"$work/log.txt" & local pid=$!
  calls "$2"
  kill -INT $pid; wait $pid || true
  awk '/^summary:/ {print $2}' "$work/cg.out"
}

for bin in "$@"; do
  a=$(measure "$bin" "$N1"); b=$(measure "$bin" "$N2")
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$work/cg.out" "$KEEP/cg-$(basename "$bin").out"; fi
  awk -v a="$a" -v b="$b" -v n=$((N2 - N1)) -v bin="$bin" \
    'BEGIN { printf "%-40s %10.0f instructions per call\n", bin, (b - a) / n }'
done
