#!/usr/bin/env python3
"""Fortieth round, task sg: SendGrid's API keys `SG.<22>.<43>` and their stand-ins, Dropbox's
short-lived access tokens `sl.<long base64url>`, counted on every training split, independent
of the engine.

usage: sg_r40_population.py VARIANT [SPLIT ...] [--show GROUP]

A place: the prefix (`SG.` in upper case, `sl.` in lower case, as the vendors issue them)
with no letter, digit, `_`, `-` or `.` before it, then a body of letters, digits, `_`, `-`
and `.` (a final `.` left to the sentence).
  SG.:shape   SendGrid's documented key: two dot-separated parts of 22 and 43 bytes of
              letters, digits, `_`, `-`, no such byte after; not a stand-in
  SG.:ph      the same shape, a stand-in body (`EXAMPLE`, `example`, eight `x`/`X`, six `0`,
              `your`)
  SG.:other   any other body of 16 bytes or more (a wrong shape)
  SG.:inword  `SG.` right after a letter, digit, `_`, `-` or `.`
  sl.:real    Dropbox: 100 bytes or more of letters, digits, `_`, `-` (no `.` inside)
  sl.:ph      the same, a stand-in body
  sl.:other   a shorter body of 16 bytes or more, or one with a `.` inside
  sl.:inword  `sl.` inside a longer word or name (`ssl.`, `tsl.`, `vsl.`)
Plus two constructions of blind38's GENERIC_SECRET misses (counted, for the three-writer
clause):
  tailscale:item  a list item `- tailscale auth: VALUE` / `tailscale auth key: VALUE`
                  (any label) — VALUE a token of 16 bytes or more
  az:tsv          a line that is a token of 16 bytes or more right after a line holding
                  `--query` … `-o tsv` (Azure CLI printing a secret's value)
Reported per group: gold (any label, the labels listed), not gold, gold the variant missed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

RX = re.compile(rb"(?P<pre>[A-Za-z0-9_.-]?)(?P<p>SG\.|sl\.)(?P<body>[A-Za-z0-9_.-]*)")
STANDIN = re.compile(rb"(?i:example)|[xX]{8,}|0{6,}|(?i:your)")
SG_SHAPE = re.compile(rb"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")
TAIL = re.compile(rb"(?im)^[ \t]*(?:[-*][ \t]+)?tailscale[ \t]+auth(?:[ \t]+key)?[ \t]*:[ \t]*(?P<v>[A-Za-z0-9_+/=.:-]{16,})")
AZ = re.compile(rb"(?m)^[^\n]*--query[^\n]*-o[ \t]+tsv[^\n]*\n(?:[^\n]*\n)?(?P<v>[A-Za-z0-9_+/=.~-]{16,})[ \t]*$")


def candidates(raw, kind=None):
    for m in RX.finditer(raw):
        p, body = m.group("p"), m.group("body").rstrip(b".")
        s, e = m.start("p"), m.start("body") + len(body)
        name = p.decode()
        if m.group("pre"):
            yield name + ":inword", "ANY", s, e
            continue
        if len(body) < 16:
            continue
        if p == b"SG.":
            if SG_SHAPE.fullmatch(body):
                yield name + (":ph" if STANDIN.search(body) else ":shape"), "ANY", s, e
            else:
                yield name + ":other", "ANY", s, e
        else:
            if len(body) >= 100 and b"." not in body:
                yield name + (":ph" if STANDIN.search(body) else ":real"), "ANY", s, e
            else:
                yield name + ":other", "ANY", s, e
    for m in TAIL.finditer(raw):
        yield "tailscale:item", "ANY", m.start("v"), m.end("v")
    for m in AZ.finditer(raw):
        yield "az:tsv", "ANY", m.start("v"), m.end("v")


def main():
    groups = ["SG.:shape", "SG.:ph", "SG.:other", "SG.:inword", "sl.:real", "sl.:ph", "sl.:other",
              "sl.:inword", "tailscale:item", "az:tsv"]
    entity_groups_main(groups, candidates)


if __name__ == "__main__":
    main()
