#!/usr/bin/env python3
"""Mutation smoke corpus for the redaction engine (issue #20): slices and byte mutations of the
training splits' documents, so the scanner meets text no writer wrote (cut keys, broken JSON,
values run together). Nothing is labelled: the corpus is for `pii_eval` to run without a
panic (a debug build checks overflow too) and for two builds' findings to be compared.

usage: pii_mutations.py PII_DIR OUT.jsonl
  PII_DIR holds one directory per training split (`benches/pii_corpus_real.py DIR 3000 SEED
  SPLIT`), each with its corpus.jsonl; 300 documents of each, ten variants each (a slice, up
  to eight characters replaced, a run deleted, a run repeated, a cut), seeded: the same
  corpora give the same bytes (81,000 documents over the 27 training splits of the
  twenty-ninth round).
"""
import json
import os
import random
import sys

TRAIN = ["dev", "heldout"] + [f"blind{i}" for i in range(2, 29) if i not in (16, 17)]
SWAP = ' :="\\{}[],\n0123456789abcXYZ-_/@.+éß'


def variants(r, t):
    for k in range(10):
        op = k % 5
        if op == 0 and len(t) > 2:  # a slice
            a = r.randrange(len(t))
            yield t[a:r.randrange(a, len(t) + 1)]
        elif op == 1:  # up to eight characters replaced
            x = list(t)
            for _ in range(r.randint(1, 8)):
                if x:
                    x[r.randrange(len(x))] = r.choice(SWAP)
            yield "".join(x)
        elif op == 2 and len(t) > 2:  # a run deleted
            a = r.randrange(len(t))
            yield t[:a] + t[a + r.randint(1, 40):]
        elif op == 3 and len(t) > 2:  # a run repeated
            a = r.randrange(len(t))
            b = min(len(t), a + r.randint(1, 60))
            yield t[:b] + t[a:b] + t[b:]
        else:  # a cut
            yield t[:r.randrange(len(t) + 1)]


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: pii_mutations.py PII_DIR OUT.jsonl")
    root, out_path = sys.argv[1], sys.argv[2]
    r = random.Random(20261207)
    n = 0
    with open(out_path, "w") as out:
        for split in TRAIN:
            with open(os.path.join(root, split, "corpus.jsonl")) as f:
                docs = [json.loads(line) for line in f]
            for d in r.sample(docs, 300):
                for x in variants(r, d["text"]):
                    kind = d["kind"] if r.random() < 0.7 else "text"
                    out.write(json.dumps({"id": n, "kind": kind, "text": x}) + "\n")
                    n += 1
    print(n)


if __name__ == "__main__":
    main()
