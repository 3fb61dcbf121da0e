#!/usr/bin/env python3
"""Thirtieth round, task cid: CREDIT_CARD and IPV6 recall — the training splits' misses by
construction (13-digit Visa numbers grouped 4-4-4-1, a card object's `number`/`pan` member,
an rsync daemon target after an IPv6 address), counted on every training split.

usage: cid_r30_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per group:
the candidates by gold label (the entity's / another entity's / none), the gold ones VARIANT
missed, and per split the gold and not-gold counts.

Groups:
  visa13-bare     13 digits opening with 4, Luhn-valid, no word byte, digit, `+`, `-`, `.`,
                  `/` before, no digit or word byte after (every such number: EAN-13
                  barcodes of German GS1 prefixes 400-440, Slack ids, phones, cards);
  visa13-grouped  the same 13 digits written `4ddd S dddd S dddd S d` (S one blank or one
                  `-`, the same three times): ISO/IEC 7812's 13-digit Visa length in the
                  four-digit grouping cards are printed in, the last group one digit;
  visa13-grouped-evidence  the same with the engine's 13-digit card evidence: a card word
                  (`numbers::card_word_before`'s list) within the 32 bytes before, or a JSON
                  key holding `card` right before the value;
  card-member     a JSON member `number` or `pan` (any case) in an object that is the value
                  of a key holding `card` (`"card": {"number": …}`, `"payment_card": {"pan":
                  …}`), the value a Luhn-valid number of 13-19 digits (blank- or `-`-grouped);
  card-member-13  the same, 13 digits (what the engine does not take without a card key);
  stripe-object   a member `number` in an object with `"object": "card"` (Stripe's card
                  object) not counted above; stripe-object-13 the same, 13 digits;
  visa13-expiry   13 digits opening with 4 (bare, or grouped as above), Luhn-valid, then
                  within four bytes (blanks, `,`) an expiry date `MM/YY` or `MM/YYYY`, an expiry
                  word before it or none (`exp`, `expiry`, `expires`, `scadenza`, `caduca`,
                  `vence`, `valid`, `gültig`, `geldig`, `verval…`; `: ` after it);
  visa13-expiry-new  the same without the engine's evidence before (no card word within 32
                  bytes, no card key);
  pan-word        the word `pan` (any case, standing alone), `=`, `:` or blanks, then a
                  Luhn-valid number of 13-19 digits;
  ipv6-rsync      `USER@ADDRESS::MODULE` (rsync's daemon syntax, `[USER@]HOST::SRC`): an IPv6
                  address, `::`, a module name holding a letter that is no hex digit, then
                  `/`, a blank or the line's end.
"""
import collections
import ipaddress
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import parse_args  # noqa: E402
from population import documents, overlaps  # noqa: E402

TRAINING = ["dev", "heldout"] + [f"blind{i}" for i in range(2, 30) if i not in (16, 17)]


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


def card_word_before(raw, s):
    """`numbers::card_word_before`: a card word within the 32 bytes before (`cc` alone)."""
    w = raw[max(0, s - 32):s].lower()
    return any(x in w for x in CARD_WORDS) or re.search(rb"(?<![a-z])cc(?![a-z])", w)


BARE = re.compile(rb"(?<![0-9A-Za-z_+\-./])4\d{12}(?![0-9A-Za-z_])")
GROUPED = re.compile(rb"(?<![0-9A-Za-z_+\-./])4\d{3}([ -])\d{4}\1\d{4}\1\d(?![0-9A-Za-z_])")
NUM = rb"(\d[\d -]{11,22}\d)"
Q = rb'\\?"'
CARD_OBJ = re.compile(Q + rb"[A-Za-z_]*[Cc]ard[A-Za-z_]*" + Q + rb"\s*:\s*\{[^{}]*?" + Q
                      + rb"(?i:number|pan)" + Q + rb"\s*:\s*(?:" + Q + rb")?" + NUM)
STRIPE_OBJ = re.compile(rb"\{[^{}]*?" + Q + rb"object" + Q + rb"\s*:\s*" + Q + rb"card" + Q
                        + rb"[^{}]*?" + Q + rb"number" + Q + rb"\s*:\s*(?:" + Q + rb")?" + NUM)
PAN = re.compile(rb"(?<![A-Za-z0-9_])(?i:pan)[ \t]*[=:][ \t]*" + NUM + rb"(?![0-9])")
RSYNC = re.compile(rb"@([0-9A-Fa-f:]{2,39})::([A-Za-z0-9_.-]+)(?=/|\s|$)", re.M)
EXPIRY = re.compile(rb"[ \t,]{1,4}(?:(?i:exp|expiry|expires|expiration|scadenza|caduca|vence|"
                    rb"valid|g\xc3\xbcltig|geldig|verval\w*)[ \t]*:?[ \t]*)?"
                    rb"(?:0[1-9]|1[0-2])/(?:\d\d|20\d\d)(?![0-9/])")
ANY13 = re.compile(rb"(?<![0-9A-Za-z_+\-./])4\d{3}([ -]?)\d{4}\1\d{4}\1\d(?![0-9A-Za-z_])")
KEY_BEFORE = re.compile(rb'(?i:card)[A-Za-z_]*\\?"\s*:\s*\\?"?$')

GROUPS = ["visa13-bare", "visa13-grouped", "visa13-grouped-evidence", "visa13-expiry",
          "visa13-expiry-new", "card-member",
          "card-member-13", "stripe-object", "stripe-object-13", "pan-word", "ipv6-rsync"]


def candidates(raw):
    """(group, entity, start, end) for every candidate."""
    for m in BARE.finditer(raw):
        if luhn(m.group().decode()):
            yield "visa13-bare", "CREDIT_CARD", m.start(), m.end()
    for m in GROUPED.finditer(raw):
        d = re.sub(rb"\D", b"", m.group()).decode()
        if luhn(d):
            yield "visa13-grouped", "CREDIT_CARD", m.start(), m.end()
            if card_word_before(raw, m.start()) or KEY_BEFORE.search(raw[max(0, m.start() - 40):m.start()]):
                yield "visa13-grouped-evidence", "CREDIT_CARD", m.start(), m.end()
    for m in ANY13.finditer(raw):
        d = re.sub(rb"\D", b"", m.group()).decode()
        if luhn(d) and EXPIRY.match(raw, m.end()):
            yield "visa13-expiry", "CREDIT_CARD", m.start(), m.end()
            if not (card_word_before(raw, m.start())
                    or KEY_BEFORE.search(raw[max(0, m.start() - 40):m.start()])):
                yield "visa13-expiry-new", "CREDIT_CARD", m.start(), m.end()
    seen = set()
    for rx, group in ((CARD_OBJ, "card-member"), (STRIPE_OBJ, "stripe-object")):
        for m in rx.finditer(raw):
            s, e = m.span(1)
            d = re.sub(rb"\D", b"", m.group(1)).decode()
            if (s, e) in seen or not (13 <= len(d) <= 19) or not luhn(d):
                continue
            seen.add((s, e))
            yield group, "CREDIT_CARD", s, e
            if len(d) == 13:
                yield group + "-13", "CREDIT_CARD", s, e
    for m in PAN.finditer(raw):
        d = re.sub(rb"\D", b"", m.group(1)).decode()
        if 13 <= len(d) <= 19 and luhn(d):
            yield "pan-word", "CREDIT_CARD", m.start(1), m.end(1)
    for m in RSYNC.finditer(raw):
        if re.search(rb"[G-Zg-z_.-]", m.group(2)):
            try:
                ipaddress.IPv6Address(m.group(1).decode())
            except ValueError:
                continue
            yield "ipv6-rsync", "IPV6", m.start(1), m.end(1)


def main():
    variant, splits, show, _ = parse_args(sys.argv[1:])
    if any(s in ("blind16", "blind17", "blind30", "blind31") for s in splits):
        sys.exit("validation and honest splits are not read")
    if splits == __import__("pii_splits").training():
        splits = TRAINING
    tally = collections.defaultdict(lambda: [collections.Counter(), 0, collections.Counter(),
                                             collections.Counter()])
    for split in splits:
        for doc, raw, _lab, gold, found in documents(split, variant):
            for group, entity, s, e in candidates(raw):
                kinds = [t for (t, a, b) in gold if a < e and s < b]
                label = entity if entity in kinds else (kinds[0] if kinds else "none")
                t = tally[group]
                t[0][label] += 1
                (t[2] if label == entity else t[3])[split] += 1
                if label == entity and not overlaps(found, entity, s, e):
                    t[1] += 1
                if show == group and label != entity:
                    print(f"  [{group}] {split}#{doc['id']} {label}: {raw[max(0, s - 60):e + 30]!r}")
    for group in GROUPS:
        labels, missed, gold, other = tally[group]
        print(f"{group:25} {dict(labels)} missed {missed}")
        print(f"{'':25} gold by split {dict(gold)}")
        print(f"{'':25} not gold by split {dict(other)}")


if __name__ == "__main__":
    main()
