#!/usr/bin/env python3
"""Thirty-ninth round, task vp2: more vendors' documented token prefixes in free text
(Postman's `PMAK-`, Supabase's `sbp_`, PlanetScale's `pscale_pw_` / `pscale_tkn_` /
`pscale_oauth_`, Netlify's `nfp_`, Render's `rnd_`, Fly.io's `fo1_`, Django's generated
`django-insecure-` SECRET_KEY, Dropbox's `sl.`, SendGrid's `SG.`), counted on every training
split, independent of the engine.

usage: vp_r39_population.py VARIANT [SPLIT ...] [--show GROUP]

A place: the prefix with no letter, digit, `_` or `-` before it, then a body of the vendor's
alphabet (letters, digits, `_`, `-`; Django's also `!@#$%^&*(=+)`, SendGrid's and Dropbox's
also `.`) of 16 bytes or more. Group `PREFIX:ph` when the body is a stand-in (`EXAMPLE`,
`example`, eight `x`/`X`, six `0`, `your`), `PREFIX:real` otherwise; `PREFIX:inword` the
prefix inside a longer word; `PREFIX:short` a shorter body. `SG.` is also split by shape:
`SG.:shape` two dot-separated parts of 22 and 43 (SendGrid's documented key), `SG.:other`
any other body; `sl.:real` needs 100 bytes or more of body (Dropbox's short-lived tokens are
~140), `sl.:other` shorter. Reported per group: gold (any label, the labels listed), not
gold, gold the variant missed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

PREFIXES = [b"PMAK-", b"sbp_", b"pscale_pw_", b"pscale_tkn_", b"pscale_oauth_", b"nfp_", b"rnd_",
            b"fo1_", b"django-insecure-", b"sl.", b"SG."]
NAMES = [p.decode() for p in PREFIXES]
ALT = b"|".join(re.escape(p) for p in sorted(PREFIXES, key=len, reverse=True))
RX = re.compile(rb"(?P<pre>[A-Za-z0-9_-]?)(?P<tok>(?P<p>" + ALT + rb")(?P<body>[A-Za-z0-9_.!@#$%^&*()=+-]*))")
STANDIN = re.compile(rb"(?i:example)|[xX]{8,}|0{6,}|(?i:your)")


def candidates(raw, kind=None):
    for m in RX.finditer(raw):
        p = m.group("p")
        body = m.group("body")
        if p == b"django-insecure-":
            body = body.rstrip(b".")
        elif p in (b"SG.", b"sl."):
            body = re.split(rb"[!@#$%^&*()=+]", body)[0].rstrip(b".")
        else:
            body = re.split(rb"[.!@#$%^&*()=+]", body)[0]
        s, e = m.start("tok"), m.start("body") + len(body)
        name = p.decode()
        if m.group("pre"):
            yield name + ":inword", "ANY", s, e
        elif len(body) < 16:
            yield name + ":short", "ANY", s, e
        elif STANDIN.search(body):
            yield name + ":ph", "ANY", s, e
        elif p == b"SG.":
            yield name + (":shape" if re.fullmatch(rb"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", body) else ":other"), "ANY", s, e
        elif p == b"sl.":
            yield name + (":real" if len(body) >= 100 else ":other"), "ANY", s, e
        else:
            yield name + ":real", "ANY", s, e


def main():
    groups = [n + t for n in NAMES for t in (":real", ":shape", ":ph", ":other", ":inword", ":short")]
    entity_groups_main(groups, candidates)


if __name__ == "__main__":
    main()
