#!/usr/bin/env python3
"""Twenty-eighth round, task gs (issue #20): each GENERIC_SECRET miss and false positive of a
variant on the given training splits, by class. Misses: this round's classes first, then
`gs_r27_misses.RULES` (the first class whose 400 bytes before the value match). False
positives: `FP_RULES` on the 120 bytes before the finding and the finding itself.

    gs_r28_misses.py VARIANT SPLIT ...   (training splits only)
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents, overlaps  # noqa: E402
from gs_r27_misses import RULES as R27, classify  # noqa: E402

RULES = [
    ("f: a key-value store's path line, the value on the next line (`etcdctl get --prefix`)",
     rb"\n/[\w./-]*(?i:key|secret|signing|token)\n$", None),
    ("d: a card security code later on the card's line (`card … got declined, cvc 459`)",
     rb"(?i)[0-9][0-9 -]{11,22}[^\n]{0,48}\b(cvc|cvv|csc) $", None),
    ("d: `session TOKEN` after an IP address in a tool's output", rb"(?i)from [0-9a-f.:]+ session $", None),
    ("b: WordPress `define('…_KEY', '…')` opening with `%&!<[*`", rb"_(?:KEY|SALT)', '$", None),
] + R27

FP_RULES = [
    ("a response's `token` beside `landing_id` (one product's layout)", rb'"landing_id":"[^"]*","token":"$', None),
    ("`wpa2-pre-shared-key=` (labelled PASSWORD: a type question)", rb"pre-shared-key=$", None),
    ("`apiKey: process.env.X` (a code reference)", rb"$", rb"process.env."),
]


def main(argv):
    for sp in argv[2:]:
        miss, fp = collections.Counter(), collections.Counter()
        for doc, raw, lab, gold, preds in documents(sp, argv[1]):
            for (t, s, e) in gold:
                if t == "GENERIC_SECRET" and not overlaps(preds, t, s, e):
                    name = classify(raw, s, e, RULES)
                    miss[name or "other"] += 1
                    if not name:
                        print("    miss", sp, raw[max(0, s - 80):e + 20])
            for (t, s, e) in preds:
                if t == "GENERIC_SECRET" and not overlaps(gold, t, s, e):
                    left = raw[max(0, s - 120):s]
                    for name, rx, need in FP_RULES:
                        if re.search(rx, left) and (need is None or raw[s:e].startswith(need)):
                            fp[name] += 1
                            break
                    else:
                        fp["other"] += 1
                        print("    fp", sp, raw[max(0, s - 80):e + 20])
        print(sp, "misses", sum(miss.values()))
        for k, v in sorted(miss.items(), key=lambda x: -x[1]):
            print(f"   {v:4} {k}")
        print(sp, "false positives", sum(fp.values()))
        for k, v in sorted(fp.items(), key=lambda x: -x[1]):
            print(f"   {v:4} {k}")


if __name__ == "__main__":
    main(sys.argv)
