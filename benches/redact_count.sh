#!/usr/bin/env bash
# The redaction scanner's cost per pass, counted by callgrind (repeatable on a busy machine,
# where timings drift by ±30 %): for each bench case, `redact_profile` run 10 and 50 times
# under callgrind, (I(50) − I(10)) / 40 instructions per pass (start-up and the detector's
# build excluded). The figures docs/redaction-accuracy.md gives as "count.sh".
# Usage: benches/redact_count.sh [REDACT_PROFILE_BIN]
#   (default: target/release/examples/redact_profile, built here)
# Cases: 64 KB PII-dense input as bytes, as a parsed JSON value and as text; 4 KB PII bytes;
# 64 KB clean bytes and text; 4 KB clean bytes (benches/support/redact_payload.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
if [ $# -eq 0 ]; then cargo build --release --quiet --example redact_profile; set -- target/release/examples/redact_profile; fi
bin=$1
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 | grep -o 'Collected : [0-9]*' | awk '{print $3}'; }
for c in "65536 pii bytes" "65536 pii value" "65536 pii text" "4096 pii bytes" \
         "65536 clean bytes" "65536 clean text" "4096 clean bytes"; do
  # shellcheck disable=SC2086
  a=$(ir $c 10); b=$(ir $c 50)
  echo "$c $(( (b - a) / 40 ))"
done
