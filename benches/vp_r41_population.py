#!/usr/bin/env python3
"""Forty-first round, task vp: Airtable's personal access tokens `pat<14>.<64 hex>` and
Datadog's API (32 hex) and application (40 hex) keys after an `apikey`-like word, counted on
every training split, independent of the engine.

usage: vp_r41_population.py VARIANT [SPLIT ...] [--show GROUP]

  pat:shape    `pat`, 14 letters/digits, `.`, 64 lower-case hex digits; no letter, digit,
               `_`, `-` or `.` before, no letter, digit, `_`, `-` after; not a stand-in
  pat:ph       the same shape, a stand-in body (`EXAMPLE`, `example`, eight `x`/`X`, six
               `0`, `your`)
  pat:other    `pat` + 14 letters/digits + `.` + another body of 16 bytes or more
  pat:inword   that shape right after a letter, digit, `_`, `-` or `.`
  key:hex32    a word `apikey`/`api_key`/`api-key`/`appkey`/`app_key`/`application_key`
               (any case, no letter or digit around it), blanks or `:`/`=`, then 32 hex
  key:hex40    the same, 40 hex
  key:other    the same word, then another token of 16 bytes or more
  row:K:hex    a whitespace-separated row (Fluent Bit's classic configuration): the line's
               first word K (`apikey`, `api_key`, `appkey`, …, any case), blanks, one
               token of 32 or 40 hex digits ending the line
  row:K:other  the same row, any other token
Reported per group: gold (any label, the labels listed), not gold, gold the variant missed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

PAT = re.compile(rb"(?P<pre>[A-Za-z0-9_.-]?)(?P<t>pat[A-Za-z0-9]{14}\.(?P<body>[A-Za-z0-9_-]{16,}))")
HEX64 = re.compile(rb"[0-9a-f]{64}")
STANDIN = re.compile(rb"(?i:example)|[xX]{8,}|0{6,}|(?i:your)")
KEY = re.compile(
    rb"(?i)(?<![A-Za-z0-9])(?:api[_-]?key|app[_-]?key|application[_-]?key)(?![A-Za-z0-9])"
    rb"[\"']?[ \t]*[:=]?[ \t]*[\"']?(?P<v>[A-Za-z0-9_+/=.-]{16,})")
HEX = re.compile(rb"[0-9a-fA-F]+")
ROW = re.compile(rb"(?im)^[ \t]*(?P<k>api[_-]?key|app[_-]?key)[ \t]+(?P<v>[^ \t\r\n]+)[ \t]*\r?$")


def candidates(raw, kind=None):
    for m in PAT.finditer(raw):
        s, e = m.start("t"), m.end("t")
        body = m.group("body")
        if m.group("pre"):
            yield "pat:inword", "ANY", s, e
        elif HEX64.fullmatch(body):
            yield ("pat:ph" if STANDIN.search(m.group("t")) else "pat:shape"), "ANY", s, e
        else:
            yield "pat:other", "ANY", s, e
    for m in KEY.finditer(raw):
        v = m.group("v")
        s, e = m.start("v"), m.end("v")
        if HEX.fullmatch(v) and len(v) == 32:
            yield "key:hex32", "ANY", s, e
        elif HEX.fullmatch(v) and len(v) == 40:
            yield "key:hex40", "ANY", s, e
        else:
            yield "key:other", "ANY", s, e
    for m in ROW.finditer(raw):
        v = m.group("v")
        s, e = m.start("v"), m.end("v")
        k = m.group("k").decode().lower()
        hexv = HEX.fullmatch(v) and len(v) in (32, 40)
        yield f"row:{k}:" + ("hex" if hexv else "other"), "ANY", s, e


def main():
    groups = ["pat:shape", "pat:ph", "pat:other", "pat:inword", "key:hex32", "key:hex40",
              "key:other", "row:apikey:hex", "row:apikey:other"]
    entity_groups_main(groups, candidates)


if __name__ == "__main__":
    main()
