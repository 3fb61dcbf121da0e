#!/usr/bin/env python3
"""Forty-first round, task hl: HL7 v2 PID segments' fields, counted by position on every
training split independent of the engine.

usage: hl_r41_population.py VARIANT [SPLIT ...] [--show GROUP]

A PID segment starts `PID|` at a text's or a line's start (a real `\\r` / `\\n`, a JSON
string's escaped `\\r` / `\\n`, or a flattened ` ↵ `); its fields are `|`-separated up to
the segment's end (the same separators, a JSON string's `"`). HL7 v2.5 chapter 3 numbers
them: PID-3 patient identifier list, PID-7 date/time of birth, PID-13/14 home/business
phone, PID-18 patient account number, PID-19 SSN number - patient. Groups:
  pid-7          PID-7's value (entity DATE_OF_BIRTH);
  pid-19         PID-19's value (entity US_SSN);
  pid-3 / pid-18 PID-3's / PID-18's first component (ANY: their labels);
  pid-other      every other non-empty PID field (ANY);
  seg-other-7    field 7 of any other segment (ANY), field 19 likewise (seg-other-19).
Per group: gold, not gold, gold missed by VARIANT, not-gold places VARIANT found, and the
splits of each.
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents, overlaps, parse_args  # noqa: E402

ARROW = " ↵ ".encode()
SEG = re.compile(rb"(?:^|(?<=[\r\n\"])|(?<=\\r)|(?<=\\n)|(?<=" + re.escape(ARROW) + rb"))([A-Z][A-Z0-9]{2})\|")
END = re.compile(rb"[\r\n\"]|\\r|\\n|" + re.escape(ARROW))
GROUPS = ["pid-7", "pid-19", "pid-3", "pid-18", "pid-13", "pid-other", "seg-other-7", "seg-other-19"]


def fields(raw):
    for m in SEG.finditer(raw):
        seg = m.group(1)
        if seg == b"MSH":
            continue
        start = m.end()
        e = END.search(raw, start)
        end = e.start() if e else len(raw)
        pos, i = start, 1
        for part in raw[start:end].split(b"|"):
            if part:
                yield seg, i, pos, pos + len(part)
            pos += len(part) + 1
            i += 1


def main():
    variant, splits, show, _ = parse_args(sys.argv[1:])
    tot = collections.defaultdict(lambda: [0, 0, 0, 0, collections.Counter(), collections.Counter(), collections.Counter()])
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant):
            for seg, i, s, e in fields(raw):
                if seg == b"PID":
                    g = {7: "pid-7", 19: "pid-19", 3: "pid-3", 18: "pid-18", 13: "pid-13"}.get(i, "pid-other")
                    if i in (3, 18):
                        e = s + len(raw[s:e].split(b"^")[0])
                elif i in (7, 19):
                    g = f"seg-other-{i}"
                else:
                    continue
                ent = {"pid-7": "DATE_OF_BIRTH", "pid-19": "US_SSN"}.get(g, "ANY")
                labs = {x[0] for x in gold if x[1] < e and s < x[2]}
                isg = bool(labs) if ent == "ANY" else overlaps(gold, ent, s, e)
                t = tot[g]
                t[6][",".join(sorted(labs)) or "-"] += 1
                t[0 if isg else 1] += 1
                (t[4] if isg else t[5])[split] += 1
                miss = isg and not any(overlaps(found, x, s, e) for x in (labs if ent == "ANY" else [ent]))
                fp = not isg and any(f[1] < e and s < f[2] for f in found)
                t[2] += miss
                t[3] += fp
                if show == g:
                    tag = ("GOLD" if isg else "not") + f"({','.join(sorted(labs))})"
                    tag += " missed" if miss else ""
                    tag += " FOUND" if fp else ""
                    print(f"  {split}#{doc['id']} {seg.decode()}-{i} {tag}: {raw[max(0, s - 50):e + 20]!r}")
    print(f"per group: gold, not gold, gold missed by {variant}, not gold found by {variant}")
    for g in GROUPS:
        if g not in tot:
            print(f"{g:13} none")
            continue
        gd, nt, ms, fp, gs, ns, labs = tot[g]
        print(f"{g:13} gold {gd:4} not {nt:4} missed {ms:4} found-not {fp:3}  gold: {dict(gs)}  not: {dict(ns)}  labels: {dict(labs)}")


if __name__ == "__main__":
    main()
