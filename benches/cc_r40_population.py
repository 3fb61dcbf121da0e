#!/usr/bin/env python3
"""Fortieth round, task cc: 13-digit Visa numbers and card verification codes — blind38's
CREDIT_CARD and GENERIC_SECRET misses by construction, counted on every training split
(blind38 new to training this round).

usage: cc_r40_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per group: gold,
not gold, gold VARIANT missed, and per split the gold and not-gold counts (`population.
entity_groups_main`).

Groups (a "13-digit Visa" is 13 digits opening with `4`, Luhn-valid, no letter, digit, `_`,
`+`, `-`, `.`, `/` before, no letter, digit, `_`, `-`, `/` after):
  visa13-bare       every 13-digit Visa (EAN-13 barcodes of GS1 prefixes 400-440, e-tickets,
                    ids, msisdns, Slack ids' parts, cards);
  visa13-main       of them, the ones with main's evidence (`numbers::card_context_ok`,
                    approximated: a card word within 32 bytes before, a JSON key holding `card`
                    right before, an expiry right after);
  visa13-cvc        a 13-digit Visa then, on its line within 48 bytes, a card security code's
                    word (`numbers::CVC_WORDS`' ASCII ones: cvv2, cvc2, cvv, cvc, cvn, cid, csc,
                    security code) and 3-4 digits, only blanks, punctuation, an expiry (its
                    word and at most 8 digits) between (`numbers::cvc_after_card`);
  visa13-cvc-new    the same without main's evidence;
  visa13-paren-exp  a 13-digit Visa then ` (exp ` (any case);
  visa13-cardword64 no main evidence, a card word (main's list) within the 64 bytes before,
                    on the number's line (`old card 5173 0264 8330 3417 replaced by …`);
  visa13-masked     no main evidence, a masked card (4 of `•`, `*`, `X`, `x`, then a blank or
                    not, then 4 digits) within 24 bytes after or before on its line;
  visa13-pan        no main evidence, the word `pan` (any case, alone) and `=`/`:`/blanks
                    right before;
  visa13-pan32      no main evidence, the word `pan` (any case, no letter before or after)
                    within the 32 bytes before;
  visa13-manual     no main evidence, `manual entry ` right before;
  pan13-any         the word `pan` (no letter before or after), `=`/`:`/blanks, then 13 digits
                    opening with `4`, Luhn-valid, in any grouping of blanks and `-` (with or
                    without main's evidence);
  cvc-any           a security code word (ASCII list, any case, alone), then blanks, `:`,
                    `=`, `#`, a quote or a backtick, then 3-4 digits alone: the digits;
  cvc-backtick      a security code word, blanks, then 3-4 digits in backticks (`` CVC `093` ``);
  cvc-paren         `(exp MM/YY, CVV N)`: a security code word inside a parenthesis opened
                    by an expiry, the digits.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402


def luhn(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        x = int(c)
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        s += x
    return s % 10 == 0


CARD_WORDS = [b"card", b"visa", b"credit", b"debit", b"karte", b"carte", b"tarjeta", b"carta",
              b"kaart"]


def card_word_in(w):
    w = w.lower()
    return any(x in w for x in CARD_WORDS) or re.search(rb"(?<![a-z])cc(?![a-z])", w)


BARE = re.compile(rb"(?<![0-9A-Za-z_+\-./])4\d{12}(?![0-9A-Za-z_/-])")
KEY_BEFORE = re.compile(rb'(?i:card)[A-Za-z_]*\\?"\s*:\s*\\?"?$')
EXPIRY = re.compile(rb"[ \t,]{1,4}(?:(?i:exp|expiry|expires|expiration|scadenza|caduca|vence|"
                    rb"valid|g\xc3\xbcltig|geldig|verval\w*)[ \t]*:?[ \t]*)?"
                    rb"(?:0[1-9]|1[0-2])/(?:\d\d|20\d\d)(?![0-9/])")
CVCW = rb"(?i:cvv2|cvc2|cvv|cvc|cvn|cid|csc|security code)"
GAPW = rb"(?i:exp|expiry|expires|expiration|valid|thru|until|and)"
# cvc_after_card: blanks, punctuation, gap words, at most 8 digits, then the word and digits.
CVC_AFTER = re.compile(rb"((?:[ \t,;:/.()|\-]|\d|" + GAPW + rb"(?![A-Za-z0-9]))*?)(?<![A-Za-z0-9])"
                       + CVCW + rb"(?![A-Za-z0-9])[ \t]*(?:\([^)\n]{0,9}\)[ \t]*)?[:=#]?[ \t]*\d{3,4}(?![A-Za-z0-9/-])")
MASKED = re.compile(rb"(?:\xe2\x80\xa2|[*Xx]){4} ?\d{4}(?!\d)")
PAN32 = re.compile(rb"(?<![A-Za-z])(?i:pan)(?![A-Za-z])")
PAN_ANY = re.compile(rb"(?<![A-Za-z])(?i:pan)[ \t]*[=:]?[ \t]*(\d[\d -]{11,20}\d)(?![0-9A-Za-z])")
PAN = re.compile(rb"(?<![A-Za-z0-9_])(?i:pan)[ \t]*[=:]?[ \t]*$")
CVC_ANY = re.compile(rb"(?<![A-Za-z0-9_])" + CVCW + rb"(?![A-Za-z0-9_])[ \t]*[:=#]?[ \t]*[\"'`]?(\d{3,4})(?![A-Za-z0-9/-])")
CVC_BT = re.compile(rb"(?<![A-Za-z0-9_])" + CVCW + rb"(?![A-Za-z0-9_])[ \t]*`(\d{3,4})`")
CVC_PAREN = re.compile(rb"\((?i:exp)[^()\n]{0,12}?[, ]+" + CVCW + rb"[ \t]*(\d{3,4})\)")

GROUPS = ["visa13-bare", "visa13-main", "visa13-cvc", "visa13-cvc-new", "visa13-paren-exp",
          "visa13-cardword64", "visa13-masked", "visa13-pan", "visa13-pan32", "visa13-manual", "pan13-any", "cvc-any",
          "cvc-backtick", "cvc-paren"]


def line_of(raw, s, e):
    ls = raw.rfind(b"\n", 0, s) + 1
    le = raw.find(b"\n", e)
    return ls, (len(raw) if le < 0 else le)


def candidates(raw, kind=None):
    for m in BARE.finditer(raw):
        if not luhn(m.group().decode()):
            continue
        s, e = m.span()
        ls, le = line_of(raw, s, e)
        yield "visa13-bare", "CREDIT_CARD", s, e
        main = (card_word_in(raw[max(0, s - 32):s]) or KEY_BEFORE.search(raw[max(0, s - 40):s])
                or EXPIRY.match(raw, e))
        if main:
            yield "visa13-main", "CREDIT_CARD", s, e
        cm = CVC_AFTER.match(raw[:min(le, e + 48 + 8)], e)
        if cm and len(re.findall(rb"\d", cm.group(1))) <= 8:
            yield "visa13-cvc", "CREDIT_CARD", s, e
            if not main:
                yield "visa13-cvc-new", "CREDIT_CARD", s, e
        if raw[e:e + 6].lower() == b" (exp ":
            yield "visa13-paren-exp", "CREDIT_CARD", s, e
        if main:
            continue
        if card_word_in(raw[max(ls, s - 64):s]):
            yield "visa13-cardword64", "CREDIT_CARD", s, e
        if MASKED.search(raw[e:min(le, e + 24)]) or MASKED.search(raw[max(ls, s - 24):s]):
            yield "visa13-masked", "CREDIT_CARD", s, e
        if PAN.search(raw[max(ls, s - 8):s]):
            yield "visa13-pan", "CREDIT_CARD", s, e
        if PAN32.search(raw[max(0, s - 32):s]):
            yield "visa13-pan32", "CREDIT_CARD", s, e
        if raw[max(0, s - 13):s].lower() == b"manual entry ":
            yield "visa13-manual", "CREDIT_CARD", s, e
    for m in PAN_ANY.finditer(raw):
        d = re.sub(rb"\D", b"", m.group(1)).decode()
        if len(d) == 13 and d[0] == "4" and luhn(d):
            yield "pan13-any", "CREDIT_CARD", m.start(1), m.end(1)
    for rx, g in ((CVC_ANY, "cvc-any"), (CVC_BT, "cvc-backtick"), (CVC_PAREN, "cvc-paren")):
        for m in rx.finditer(raw):
            yield g, "ANY", m.start(1), m.end(1)


def main():
    entity_groups_main(GROUPS, candidates, zero_rows=True)


if __name__ == "__main__":
    main()
