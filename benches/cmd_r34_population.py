#!/usr/bin/env python3
"""Thirty-fourth round, task cmd: blind33's IPV4/IPV6 misses in tcpdump output and its
GENERIC_SECRET misses on two documented command lines, counted on every training split
(blind33 new to training this round), with their look-alikes.

usage: cmd_r34_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates whose bytes carry gold of the group's entity, of another entity, or
none; how many of the gold ones VARIANT missed; how many VARIANT reported as the entity.

Groups (entity in brackets):
  tcpdump4-src  [IPV4] `IP A.B.C.D.PORT > ` (tcpdump's IPv4 line: source address and port);
  tcpdump4-dst  [IPV4] `IP <src>.PORT > A.B.C.D.PORT:` (its destination);
  tcpdump6-src  [IPV6] `IP6 <v6>.PORT > ` (tcpdump's IPv6 line);
  tcpdump6-dst  [IPV6] `IP6 <src>.PORT > <v6>.PORT:`;
  quad-dot-num  [IPV4] any dotted quad followed by `.` and more digits, not preceded by a
                digit or `.` (the look-alikes: OIDs, versions, dotted serials, and tcpdump);
  quad-dot-notcp [IPV4] the same, outside tcpdump's `IP … > …:` shape;
  v6-dot-num    [IPV6] an IPv6-looking run (hex groups and `::`) followed by `.` and digits
                that do not make an embedded IPv4 (anything: tcpdump or not);
  mc-alias      [GENERIC_SECRET] the access and secret keys of `mc alias set NAME URL AK SK`
                and `mc config host add NAME URL AK SK` (MinIO client);
  mc-any        [GENERIC_SECRET] any `mc ` command line's words after a URL (look-alikes);
  caddy-dns     [GENERIC_SECRET] the token of a Caddyfile `dns cloudflare TOKEN`;
  caddy-dns-any [GENERIC_SECRET] the word after `dns <provider> ` for any provider word;
  dovecot-lip   [IPV4] the `lip=` address of a Dovecot login line;
  dovecot-rip   [IPV4] its `rip=` address.
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import parse_args  # noqa: E402
from population import documents  # noqa: E402

Q = rb"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
V6 = rb"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
R = {
    "tcpdump4-src": ("IPV4", re.compile(rb"\bIP (" + Q + rb")\.\d{1,5} > ")),
    "tcpdump4-dst": ("IPV4", re.compile(rb"\bIP \S+\.\d{1,5} > (" + Q + rb")\.\d{1,5}:")),
    "tcpdump6-src": ("IPV6", re.compile(rb"\bIP6 (" + V6 + rb")\.\d{1,5} > ")),
    "tcpdump6-dst": ("IPV6", re.compile(rb"\bIP6 \S+\.\d{1,5} > (" + V6 + rb")\.\d{1,5}:")),
    "quad-dot-num": ("IPV4", re.compile(rb"(?<![0-9.])(" + Q + rb")\.\d+")),
    "quad-dot-notcp": ("IPV4", re.compile(rb"(?<![0-9.])(" + Q + rb")\.\d+")),
    "v6-dot-num": ("IPV6", re.compile(rb"(?<![0-9A-Za-z:.])(" + V6 + rb")\.\d+(?!\.\d)")),
    "mc-alias": ("GENERIC_SECRET", re.compile(
        rb"\bmc (?:alias set|config host add) \S+ \S+ (\S+) (\S+)")),
    "mc-any": ("GENERIC_SECRET", re.compile(rb"\bmc [a-z]+[^\n]*?https?://\S+ (\S+)(?: (\S+))?")),
    "caddy-dns": ("GENERIC_SECRET", re.compile(rb"\bdns cloudflare (\S+)")),
    "caddy-dns-any": ("GENERIC_SECRET", re.compile(rb"\bdns [a-z0-9_]+ ([^\s{}]+)")),
    "dovecot-lip": ("IPV4", re.compile(rb"\blip=(" + Q + rb")")),
    "dovecot-rip": ("IPV4", re.compile(rb"\brip=(" + Q + rb")")),
}
GROUPS = list(R)
TCP = re.compile(rb"\bIP6? \S+\.\d{1,5} > \S+\.\d{1,5}:")


def generate(raw):
    tcp_lines = [(m.start(), m.end()) for m in TCP.finditer(raw)]
    for g, (ent, rx) in R.items():
        for m in rx.finditer(raw):
            for k in range(1, (rx.groups or 0) + 1):
                if m.group(k) is None:
                    continue
                s, e = m.start(k), m.end(k)
                if g == "v6-dot-num" and m.group(k).count(b":") < 2:
                    continue
                if g == "quad-dot-notcp" and any(a <= s < b for a, b in tcp_lines):
                    continue
                yield g, ent, s, e


def main():
    variant, splits, show, _ = parse_args(sys.argv[1:])
    rows = []
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            for g, ent, s, e in generate(raw):
                over = {t for (t, a, b) in gold if a < e and s < b}
                k = "gold" if ent in over else ("other" if over else "none")
                hit = any(t == ent and a < e and s < b for (t, a, b) in found)
                rows.append(dict(split=split, group=g, gold=k, miss=k == "gold" and not hit, hit=hit))
                if show == g:
                    print(f"  {split}#{doc['id']} {k}{sorted(over) if k == 'other' else ''}"
                          f"{' MISS' if k == 'gold' and not hit else ''}{' HIT' if hit else ''}: "
                          f"{raw[max(0, s - 50):e + 20]!r}"[:260])
    print(f"per group: gold/other/none (gold missed by {variant}) [{variant}'s findings of the "
          f"group's entity over them]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        cells = []
        for g in GROUPS:
            gr = [r for r in sr if r["group"] == g]
            if not gr:
                continue
            c = Counter(r["gold"] for r in gr)
            cells.append(f"{g} {c['gold']}/{c['other']}/{c['none']} ({sum(r['miss'] for r in gr)})"
                         f" [{sum(r['hit'] for r in gr)}]")
        if cells:
            print(split.ljust(8), "  ".join(cells))
    print("\nsplits holding gold / not gold, per group:")
    for g in GROUPS:
        for k in ("gold", "other", "none"):
            c = Counter(r["split"] for r in rows if r["group"] == g and r["gold"] == k)
            if c:
                print(f"  {g:14} {k:5}: " + ", ".join(f"{s} {n}" for s, n in c.items()))


if __name__ == "__main__":
    main()
