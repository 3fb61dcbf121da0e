#!/usr/bin/env python3
"""Passwords spelt in leet (issue #20, twentieth round, task sec): the population of every token
of the TRAINING splits that has `pw_shape.rs`'s `leet_password` shape, counted by the gold type it
overlaps ("none": no gold), and how many of the gold passwords VARIANT missed. A rule "a token of
this shape is a password wherever it stands" needs >= 0.98 of these to be gold passwords.

usage: secret_leet_population.py [VARIANT] [--show]
       (corpora in /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl)
"""
import collections
import json
import re
import sys

from pii_score import finding_span

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)]
DELIM = re.compile(rb"[\s\"'`|,<>()\[\]{}=:;]+")
LEET = b"013457"
SYM = b"!#$%&*?@^~_.-"


def leet_password(t):
    """pw_shape.rs `leet_password`."""
    m = re.fullmatch(rb"([A-Za-z][A-Za-z0-9]*)([!#$%&*?@^~_.\-]{0,2}[0-9]{0,3}[!#$%&*?@^~_.\-]?)", t)
    if not m or not 6 <= len(t) <= 20:
        return False
    word, tail = m.group(1), m.group(2)
    if sum(c.isalpha() for c in word.decode()) < 4 or re.search(rb"[A-Z]", word[1:]):
        return False
    if not re.search(rb"[g-z]", word.lower()):
        return False
    final = len(re.search(rb"[0-9]*$", word).group())
    body = word[:len(word) - final]
    if any(ch in b"2689" for ch in body):
        return False
    between = sum(1 for i in range(1, len(word) - 1)
                  if word[i] in LEET and chr(word[i - 1]).isalpha() and chr(word[i + 1]).isalpha())
    if between < 2:
        return False
    if re.search(rb"[^aeiouy]{4}", body.lower().translate(bytes.maketrans(b"013457", b"oieast"))):
        return False
    return word[:1].isupper() or any(ch in SYM for ch in tail) or final >= 2 or len(tail) >= 2


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    variant = args[0] if args else "main0"
    tab, splits, examples = collections.Counter(), collections.defaultdict(set), collections.defaultdict(list)
    missed = collections.Counter()
    for sp in TRAINING:
        corpus = [json.loads(l) for l in open(f"/tmp/pii/{sp}/corpus.jsonl")]
        labels = {o["id"]: o for o in map(json.loads, open(f"/tmp/pii/{sp}/labels.jsonl"))}
        found = {o["id"]: o for o in map(json.loads, open(f"/tmp/pii/{sp}/{variant}.jsonl"))}
        for doc in corpus:
            raw = doc["text"].encode()
            lab = labels[doc["id"]]
            gold = [(s["type"], s["start"], s["end"]) for s in lab["spans"]]
            preds = [x for x in (finding_span(f, lab["strings"], raw) + (f["type"],)
                                 for f in found[doc["id"]]["findings"]
                                 if finding_span(f, lab["strings"], raw)) if x[2] == "PASSWORD"]
            pos = 0
            for tok in DELIM.split(raw):
                i = raw.find(tok, pos)
                pos = i + len(tok)
                if not tok or not leet_password(tok):
                    continue
                e = i + len(tok)
                kinds = sorted({t for t, gs, ge in gold if gs < e and i < ge})
                k = "/".join(kinds) or "none"
                tab[k] += 1
                splits[k].add(sp)
                examples[k].append((sp, tok.decode(errors="replace")))
                if k == "PASSWORD" and not any(ps < e and i < pe for ps, pe, _ in preds):
                    missed[sp] += 1
    n = sum(tab.values())
    print(f"variant {variant}, training splits ({len(TRAINING)}): tokens of the leet shape")
    for k, c in tab.most_common():
        print(f"{k:<16}{c:>6}  splits {len(splits[k]):>2}")
    print(f"precision (gold PASSWORD / all): {tab['PASSWORD'] / n:.3f}" if n else "no tokens")
    print(f"gold passwords of the shape {variant} missed: {sum(missed.values())} {dict(missed)}")
    if "--show" in sys.argv:
        for k, ex in examples.items():
            for x in ex[:40]:
                print(k, *x, sep="\t")


if __name__ == "__main__":
    main()
