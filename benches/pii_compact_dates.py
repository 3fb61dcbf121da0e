#!/usr/bin/env python3
"""Population of eight-digit dates and loopback addresses (twentieth round, task num; issue #20).

Usage: benches/pii_compact_dates.py VARIANT [SPLIT ...]   (SHOW=1 also prints examples)

Reads the corpora /tmp/pii/<split>/corpus.jsonl with the gold labels and VARIANT's findings,
training splits only, and counts, against the gold labels:

- every run of exactly eight digits (no letter or digit either side) that is a date
  `YYYYMMDD` with a year of a plausible age (1916–2012, `records::BIRTH_YEARS`) and a day its
  month has, sorted by its structure: whether its line (a line break, or a log's flattened
  `⏎`, `↵`, `¶`, or an escaped `\\n` inside a JSON string, ends it) holds an e-mail address,
  phone, SSN, card or IBAN VARIANT found; whether an event's or identifier's word stands
  before it in its cell (`benches/pii_dates.py`'s `EVENT_STEMS`); whether a time follows it;
  whether it fills a JSON string whose sibling members hold such PII;
- every dotted quad of the loopback network `127.0.0.0/8`: gold IPV4 or not.

For each class: gold DATE_OF_BIRTH (or IPV4), not gold, and the gold ones VARIANT missed.
"""
import collections
import json
import os
import re
import sys

from pii_dates import BREAKS, TRAINING, event_word, findings, load, words

PII = {"EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IBAN"}
EIGHT = re.compile(rb"(?<![0-9A-Za-z])((?:19|20)[0-9]{2})([0-9]{2})([0-9]{2})(?![0-9A-Za-z])")
LOOPBACK = re.compile(rb"(?<![0-9.])127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9]|\.[0-9])")
DAYS = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}


def compact_date(y, m, d):
    return 1916 <= y <= 2012 and 1 <= m <= 12 and 1 <= d <= DAYS.get(m, 31)


def classify(raw, finds, s, e):
    ls = max([m.end() for m in BREAKS.finditer(raw, 0, s)] or [0])
    le = next((m.start() for m in BREAKS.finditer(raw, e)), len(raw))
    pii = any(t in PII and ls <= a and b <= le and not (a < e and s < b) for t, a, b in finds)
    c = s
    while c > ls and raw[c - 1] not in b",;|\t\"{[(":
        c -= 1
    event = any(event_word(w.decode()) for w in words(raw[c:s]))
    timed = bool(re.match(rb"(?:T[0-9]|[ ,]+[0-9]{1,2}:[0-9]{2})", raw[e : e + 8]))
    return ("line+pii" if pii else "line, no pii") + (", event word" if event else "") + (", time" if timed else "")


def main():
    variant = sys.argv[1] if len(sys.argv) > 1 else "final"
    splits = sys.argv[2:] or TRAINING
    for split in splits:
        if split not in TRAINING:
            sys.exit(f"{split}: not a training split")
    tab = collections.defaultdict(lambda: [0, 0, 0])
    examples = collections.defaultdict(list)
    for split in splits:
        C, L, F = load(split, variant)
        for o in C:
            i = o["id"]
            raw = o["text"].encode()
            strings = L[i].get("strings", {})
            gold = L[i]["spans"]
            finds = findings(raw, strings, F[i])
            for m in EIGHT.finditer(raw):
                if not compact_date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
                    continue
                s, e = m.span()
                g = any(x["type"] == "DATE_OF_BIRTH" and x["start"] < e and s < x["end"] for x in gold)
                hit = any(t == "DATE_OF_BIRTH" and a < e and s < b for t, a, b in finds)
                name = "YYYYMMDD: " + classify(raw, finds, s, e)
                t = tab[name]
                t[0 if g else 1] += 1
                t[2] += g and not hit
                examples[name].append(f"{split}:{i} gold={g} found={hit} | " + raw[max(0, s - 70) : e + 30].decode(errors="replace").replace("\n", "⏎"))
            for m in LOOPBACK.finditer(raw):
                s, e = m.span()
                g = any(x["type"] == "IPV4" and x["start"] < e and s < x["end"] for x in gold)
                hit = any(t == "IPV4" and a < e and s < b for t, a, b in finds)
                t = tab["loopback 127.0.0.0/8"]
                t[0 if g else 1] += 1
                t[2] += g and not hit
    print(f"{'class':50} {'gold':>6} {'not':>6} {'prec':>6} {'missed':>6}")
    for name in sorted(tab):
        g, n, miss = tab[name]
        print(f"{name:50} {g:6} {n:6} {g / max(1, g + n):6.3f} {miss:6}")
    if os.environ.get("SHOW"):
        for name, ex in sorted(examples.items()):
            print(f"\n== {name}")
            for x in ex[:20]:
                print("  ", x)


if __name__ == "__main__":
    main()
