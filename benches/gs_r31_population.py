#!/usr/bin/env python3
"""Thirty-first round, task gs: blind30's GENERIC_SECRET false positives and misses by
construction, counted on every training split (blind30 new to training this round).

usage: gs_r31_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups:
  salt        the value of a member or setting named `salt` (any case; `"salt": "…"`,
              `salt = …`, `salt: …`) in a record that also names a `hash` (a password hash's
              record: the salt is stored beside the hash, not a secret of its own);
  salt-other  the same value with no `hash` named within 200 bytes before or after it;
  call        a value that is a call expression (`NAME(`, `a.b.c({`) after `=` or `:`
              (`const token = jwt.sign({ …`, `credential: admin.credential.cert({`);
  telegram    a Telegram bot token (`<bot id: 8-10 digits>:<35 of [A-Za-z0-9_-]>`, the Bot
              API's documented form), not inside a longer run;
  dop         a DigitalOcean personal access token (`dop_v1_` + 64 hex);
  discord     a Discord bot token's shape (`[MNO]` + 23-25, `.`, 6, `.`, 27-38 of
              `[A-Za-z0-9_-]`);
  psk         strongSwan's `: PSK "…"` (ipsec.secrets(5): a pre-shared key).
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import kind_of, parse_args  # noqa: E402
from population import documents  # noqa: E402

SALT = re.compile(rb"""(?i)["']?\bsalt["']?\s*[:=]\s*["']?([^"'\s,;}]{4,})""")
HASH = re.compile(rb"(?i)hash")
CALL = re.compile(rb"[=:][ \t]*([A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*\((?:\{|\)|\[)?)")
TELEGRAM = re.compile(rb"(?<![A-Za-z0-9_:-])(\d{8,10}:[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])")
DOP = re.compile(rb"(?<![A-Za-z0-9_])dop_v1_[a-f0-9]{64}(?![A-Za-z0-9_])")
DISCORD = re.compile(rb"(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_.-])")
PSK = re.compile(rb""":[ \t]*PSK[ \t]+"([^"\n]+)\"""")
GROUPS = ["salt", "salt-other", "call", "telegram", "dop", "discord", "psk"]


def generate(raw):
    for m in SALT.finditer(raw):
        near = raw[max(0, m.start() - 200):m.end() + 200]
        yield ("salt" if HASH.search(near) else "salt-other"), m.start(1), m.end(1)
    for m in CALL.finditer(raw):
        yield "call", m.start(1), m.end(1)
    for m in TELEGRAM.finditer(raw):
        yield "telegram", m.start(1), m.end(1)
    for m in DOP.finditer(raw):
        yield "dop", m.start(), m.end()
    for m in DISCORD.finditer(raw):
        yield "discord", m.start(), m.end()
    for m in PSK.finditer(raw):
        yield "psk", m.start(1), m.end(1)


def main():
    variant, splits, show, _ = parse_args(sys.argv[1:])
    rows = []
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            for g, vs, ve in generate(raw):
                k = kind_of(gold, vs, ve)
                typed = [f for f in found if f[0] == k]
                miss = k in ("GENERIC_SECRET", "PASSWORD") and kind_of(typed, vs, ve) != k
                gs = any(t == "GENERIC_SECRET" and a < ve and vs < b for (t, a, b) in found)
                rows.append(dict(split=split, group=g, gold=k, miss=miss, gs=gs))
                if show == g:
                    print(f"  {split}#{doc['id']} {k}{' MISS' if miss else ''}"
                          f"{' GS' if gs else ''}: {raw[max(0, vs - 60):ve + 15]!r}")
    print(f"per group: GENERIC_SECRET/PASSWORD/other/none (gold missed by {variant}: "
          f"GENERIC_SECRET, PASSWORD) [{variant}'s GENERIC_SECRET findings over them]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        cells = []
        for g in GROUPS:
            gr = [r for r in sr if r["group"] == g]
            if not gr:
                continue
            c = Counter(r["gold"] for r in gr)
            m = Counter(r["gold"] for r in gr if r["miss"])
            cells.append(f"{g} {c['GENERIC_SECRET']}/{c['PASSWORD']}/{c['other']}/{c['none']}"
                         f" ({m['GENERIC_SECRET']},{m['PASSWORD']}) [{sum(r['gs'] for r in gr)}]")
        if cells:
            print(split.ljust(8), "  ".join(cells))
    print("\nsplits holding gold GENERIC_SECRET / PASSWORD, per group:")
    for g in GROUPS:
        for k in ("GENERIC_SECRET", "PASSWORD"):
            c = Counter(r["split"] for r in rows if r["group"] == g and r["gold"] == k)
            if c:
                print(f"  {g:10} {k}: " + ", ".join(f"{s} {n}" for s, n in c.items()))


if __name__ == "__main__":
    main()
