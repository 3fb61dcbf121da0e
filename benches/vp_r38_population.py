#!/usr/bin/env python3
"""Thirty-eighth round, task vp: vendors' documented token prefixes in free text (`glpat-`,
`hf_`, `whsec_`, `sk-or-v1-`, `ya29.` and the rest of `check::vendor_token`'s table), counted
on every training split, independent of the engine.

usage: vp_r38_population.py VARIANT [SPLIT ...] [--show GROUP]

A place: the prefix with no letter, digit, `_` or `-` before it (a word boundary), then a body
of the vendor's alphabet (letters, digits, `_`, `-`; `whsec_` also `+`, `/`, `=`: Svix's
base64; `ya29.` also `.`, a final `.` not) of 16 bytes or more.
Group `PREFIX:ph` when the body is a stand-in (holds `EXAMPLE`, `example`, eight `x`/`X`,
six `0`, `your`/`YOUR`), `PREFIX:real` otherwise; `PREFIX:inword` is the prefix inside a
longer word (`conf_hf_…`, a letter/digit/`_`/`-` before it), whatever its body. Reported per
group: gold (any label, the labels listed), not gold, gold the variant missed (same label).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

PREFIXES = [b"glpat-", b"gldt-", b"glrt-", b"glc_", b"glsa_", b"npm_", b"pypi-", b"hf_", b"dop_v1_",
            b"shpat_", b"lin_api_", b"ntn_", b"whsec_", b"sk-or-v1-", b"sk-or-", b"ya29."]
NAMES = [p.decode() for p in PREFIXES]
ALT = b"|".join(re.escape(p) for p in sorted(PREFIXES, key=len, reverse=True))
RX = re.compile(rb"(?P<pre>[A-Za-z0-9_-]?)(?P<tok>(?P<p>" + ALT + rb")(?P<body>[A-Za-z0-9_.+/=-]*))")
STANDIN = re.compile(rb"(?i:example)|[xX]{8,}|0{6,}|(?i:your)")


def candidates(raw, kind=None):
    for m in RX.finditer(raw):
        p = m.group("p")
        body = m.group("body")
        if p != b"ya29.":
            body = body.split(b".")[0]
        else:
            body = body.rstrip(b".")
        if p != b"whsec_":
            body = re.split(rb"[+/=]", body)[0]
        s, e = m.start("tok"), m.start("body") + len(body)
        name = p.decode()
        if m.group("pre"):
            yield name + ":inword", "ANY", s, e
        elif len(body) >= 16:
            yield name + (":ph" if STANDIN.search(body) else ":real"), "ANY", s, e
        else:
            yield name + ":short", "ANY", s, e


def main():
    groups = [n + t for n in NAMES for t in (":real", ":ph", ":inword", ":short")]
    entity_groups_main(groups, candidates)


if __name__ == "__main__":
    main()
