#!/usr/bin/env python3
"""Thirty-sixth round, task cvc: card security codes (GENERIC_SECRET) and vendor-prefixed
documentation stand-ins (PLACEHOLDER) missed on blind35 (the thirty-fifth round's honest
split, new to training), by construction, counted on every training split independent of
the engine.

usage: cvc_r36_population.py VARIANT [SPLIT ...] [--show GROUP]

Per group: places gold (the group's entity; ANY = any label, the labels listed), not gold,
gold missed by VARIANT, and the splits of each (`population.entity_groups_main`).

Groups:
  pipe-std           a pipe table row `| <label> | ddd(d) |` whose label cell holds a card
                     security code's standard name other than the abbreviations task dob took
                     in the thirty-fourth round (`security code`, `card code`, `Kartenprüfnummer`,
                     `Prüfnummer`, `cryptogramme`, `código de seguridad`, `codice di sicurezza`,
                     `beveiligingscode`);
  pipe-std-any       the same, any label (ANY);
  pipe-pruefziffer   the same with `Prüfziffer` (ANY: a check digit's name too);
  pipe-abbr          the rows the thirty-fourth round took (`CVV`, `CVC`, `CSC`, `CVN`, `2`);
  card-code          a Luhn-valid card, then within 48 bytes on its line only an expiry
                     (`expiry 03/26,`, `exp 09/27`) and punctuation, then the word `code` and
                     three or four digits (`card 4111…, expiry 03/26, code 732.`);
  card-code-any      the same, any label (ANY);
  card-word-code     a Luhn-valid card, then within 48 bytes any words, then `code` and three
                     or four digits (ANY: what else stands there);
  ph-vendor          a GitLab `glpat-`, Hugging Face `hf_` or Stripe `whsec_` token whose body
                     is a stand-in (`EXAMPLE`, `xxxxxx`, `000000`, `your`/`here`);
  ph-vendor-any      the same, any label (ANY);
  vendor-any         every `glpat-`/`hf_`/`whsec_` token of 16 bytes or more after its prefix
                     (ANY);
  replace-with       `REPLACE_WITH_…` / `REPLACE_ME…` stand-ins (ANY: how writers label them);
  replace-bare       the same as a whole JSON string value (`"api_key":"REPLACE_WITH_YOUR_KEY"`,
                     ANY);
  schema-ex          the first string of a `default` / `example` / `examples` member of an object
                     under a secret-named member (`"webhookSecret":{"type":"string",
                     "default":"whsec_EXAMPLE…"}`; the name by a regex, not the engine's class;
                     ANY);
  schema-ex-ph       the same whose value reads as a stand-in (`STANDIN`), PLACEHOLDER.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

GROUPS = ["pipe-std", "pipe-std-any", "pipe-pruefziffer", "pipe-abbr", "card-code", "card-code-any",
          "card-word-code", "ph-vendor", "ph-vendor-any", "vendor-any", "replace-with", "replace-bare",
          "schema-ex", "schema-ex-ph"]

PIPE = re.compile(rb"\|[ \t]*([^|\n]{1,40}?)[ \t]*\|[ \t]*(\d{3,4})[ \t]*\|")
STD = re.compile("(?i)(?<![a-z0-9])(?:security code|card code|kartenprüfnummer|prüfnummer|cryptogramme"
                 "|código de seguridad|codice di sicurezza|beveiligingscode)(?![a-z0-9])".encode())
PRUEF = re.compile("(?i)(?<![a-z0-9])prüfziffer(?![a-z0-9])".encode())
ABBR = re.compile(rb"(?i)(?<![a-z0-9])(?:cvc2?|cvv2?|csc|cvn)(?![a-z0-9])")
CARD = re.compile(rb"(?<![\d-])(\d(?:[ -]?\d){12,18})(?![\d])")
EXPIRY_GAP = re.compile(rb"[ ,;:.()]*(?:(?i:exp|expiry|expires|expiration|valid(?: thru)?)\.?[ :]*\d{2}/\d{2,4}[ ,;:.()]*)?")
CODE = re.compile(rb"(?i)code[ \t]*[:=#]?[ \t]*(\d{3,4})(?![\w/-])")
ANY_CODE = re.compile(rb"[^\n]{0,48}?(?<![a-zA-Z0-9])(?i:code)[ \t]*[:=#]?[ \t]*(\d{3,4})(?![\w/-])")
VENDOR = re.compile(rb"(?<![A-Za-z0-9_-])(glpat-|hf_|whsec_)([A-Za-z0-9_+/=-]{16,})")
STANDIN = re.compile(rb"(?i)example|x{6,}|0{6,}|your|here|placeholder|dummy")
REPLACE_BARE = re.compile(rb'"((?:REPLACE_WITH_|REPLACE_ME)[A-Z0-9_]*)"')
SCHEMA = re.compile(rb'"[A-Za-z0-9_.-]*(?i:token|secret|key|passw|pwd|credential|auth)[A-Za-z0-9_.-]*"\s*:\s*\{[^{}]*?"(?:default|example|examples)"\s*:\s*\[?\s*"([^"\\]*)"')
REPLACE = re.compile(rb"(?<![A-Za-z0-9_])(?:REPLACE_WITH_[A-Za-z0-9_]+|REPLACE_ME[A-Za-z0-9_]*|replace[-_]with[-_][a-z0-9_-]+|replace[-_]me)(?![A-Za-z0-9_])")


def luhn(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        x = ord(c) - 48
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        s += x
    return s % 10 == 0


def candidates(raw, kind):
    for m in PIPE.finditer(raw):
        cell = m.group(1)
        if STD.search(cell):
            yield "pipe-std", "GENERIC_SECRET", m.start(2), m.end(2)
            yield "pipe-std-any", "ANY", m.start(2), m.end(2)
        elif PRUEF.search(cell):
            yield "pipe-pruefziffer", "ANY", m.start(2), m.end(2)
        elif ABBR.search(cell):
            yield "pipe-abbr", "GENERIC_SECRET", m.start(2), m.end(2)
    for m in CARD.finditer(raw):
        digits = re.sub(rb"\D", b"", m.group(1)).decode()
        if not (13 <= len(digits) <= 19 and luhn(digits)):
            continue
        g = EXPIRY_GAP.match(raw, m.end())
        c = CODE.match(raw, g.end()) if g else None
        if c and c.start() - m.end() <= 48:
            yield "card-code", "GENERIC_SECRET", c.start(1), c.end(1)
            yield "card-code-any", "ANY", c.start(1), c.end(1)
        a = ANY_CODE.match(raw, m.end())
        if a and b"\n" not in raw[m.end():a.start(1)]:
            yield "card-word-code", "ANY", a.start(1), a.end(1)
    for m in VENDOR.finditer(raw):
        yield "vendor-any", "ANY", m.start(), m.end()
        if STANDIN.search(m.group(2)):
            yield "ph-vendor", "PLACEHOLDER", m.start(), m.end()
            yield "ph-vendor-any", "ANY", m.start(), m.end()
    for m in REPLACE.finditer(raw):
        yield "replace-with", "ANY", m.start(), m.end()
    for m in REPLACE_BARE.finditer(raw):
        yield "replace-bare", "ANY", m.start(1), m.end(1)
    for m in SCHEMA.finditer(raw):
        yield "schema-ex", "ANY", m.start(1), m.end(1)
        if STANDIN.search(m.group(1)):
            yield "schema-ex-ph", "PLACEHOLDER", m.start(1), m.end(1)


def main():
    entity_groups_main(GROUPS, candidates, zero_rows=True)


if __name__ == "__main__":
    main()
