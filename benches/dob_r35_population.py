#!/usr/bin/env python3
"""Thirty-fifth round, task dob: a value in a typed wrapper under its key, counted on every
training split (blind34 new to training this round).

usage: dob_r35_population.py VARIANT [SPLIT ...] [--show GROUP]

A typed wrapper is a one-member object naming the value's type: DynamoDB's AttributeValue
(`"dob": {"S": "1994-09-27"}`, `"N"`, `"BOOL"`, …) and Firestore's REST `Value`
(`"birthDate": {"stringValue": "01.08.1964"}`, `integerValue`, `timestampValue`, …). Every
`"KEY": {"WRAPPER": VALUE` in a document's bytes (JSON documents and JSON inside text) is a
place, independent of the engine; its group is the wrapper and whether KEY names a birth
date (`birth`, `dob`, `born`, the locales' words, in any case and spelling) or anything
else. Per group: the places gold (of any entity; the labels listed), not gold, the gold ones
VARIANT missed, and the splits.

CREDIT_CARD (`card-*` groups): a card security code's word (`numbers::CVC_WORDS`, any case)
and its three or four digits, with only digits, blanks and punctuation in the 48 bytes
before the word back to a card-like number (13 to 19 digits, single blanks or dashes
between groups). `card-2nd` is the number nearest the word when another card-like number
stands before it (`NUM1, NUM2 (CVV 164`: more than eight digits between the first and the
word); `card-1st` that first number; `card-code` the code after such a pair (as
GENERIC_SECRET); `card-one` a card-like number alone before its code (no other number of
nine digits or more between: main's rule unchanged), `card-one-code` its code, `card-gap9`
the codes of `card-one` with more than eight digits between the card and the word (another
number that is no card: the code is then found from the card's line, `evidence_r29c`).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

WRAPPERS = ["S", "N", "B", "BOOL", "stringValue", "integerValue", "doubleValue",
            "timestampValue", "booleanValue"]
# A member whose value is an object whose first member is a wrapper; the value a string or
# a bare number.
PLACE = re.compile(
    rb'"([^"\\]{1,60})"\s*:\s*\{\s*"(' + b"|".join(w.encode() for w in WRAPPERS) +
    rb')"\s*:\s*(?:"([^"\\]*)"|(-?[0-9][0-9.eE+-]*))')
BIRTH = re.compile(rb"(?i)(^|[^a-z])dob([^a-z]|$)|birth|born|geburt|naissance|nacimiento|nascita|geboorte|^dob|dob$")

GROUPS = [f"{w}:{k}" for w in WRAPPERS for k in ("birth", "other")] + [
    "card-2nd", "card-1st", "card-code", "card-one", "card-one-code", "card-gap9"]

CVC = rb"(?:cvv2|cvc2|cvv|cvc|cvn|cid|csc|security code|kartenpr\xc3\xbcfnummer|pr\xc3\xbcfnummer|pr\xc3\xbcfziffer|cryptogramme|c\xc3\xb3digo de seguridad|codice di sicurezza|beveiligingscode)"
NUM = rb"(?<![0-9A-Za-z.-])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])"
# A code word and its digits (an optional `:`/`=`/`#`), then the 48 bytes before it.
CODE = re.compile(rb"(?i)(?<![A-Za-z0-9])" + CVC + rb"(?![A-Za-z0-9])\s*[:=#]?\s*(\d{3,4})(?![0-9])")
NUMS = re.compile(NUM)
GAP = re.compile(rb"^[0-9 \t,;:/.\-()|\r\n]*$")


def candidates(raw, kind):
    for m in PLACE.finditer(raw):
        key, wrapper = m.group(1), m.group(2).decode()
        g = 3 if m.group(3) is not None else 4
        s, e = m.start(g), m.end(g)
        if e <= s:
            continue
        k = "birth" if BIRTH.search(key) or key.lower() in (b"dob", b"birthdate") else "other"
        yield f"{wrapper}:{k}", "ANY", s, e
    for m in CODE.finditer(raw):
        ws = m.start()
        lo = max(0, ws - 48)
        window = raw[lo:ws]
        nums = list(NUMS.finditer(window))
        if not nums:
            continue
        last = nums[-1]
        if not GAP.match(window[last.end():]):
            continue
        first = None
        if len(nums) >= 2 and GAP.match(window[nums[-2].end():last.start()]):
            first = nums[-2]
        if first is not None:
            yield "card-2nd", "CREDIT_CARD", lo + last.start(), lo + last.end()
            yield "card-1st", "CREDIT_CARD", lo + first.start(), lo + first.end()
            yield "card-code", "GENERIC_SECRET", m.start(1), m.end(1)
        else:
            yield "card-one", "CREDIT_CARD", lo + last.start(), lo + last.end()
            if sum(c in b"0123456789" for c in window[last.end():]) > 8:
                yield "card-gap9", "GENERIC_SECRET", m.start(1), m.end(1)
            yield "card-one-code", "GENERIC_SECRET", m.start(1), m.end(1)


if __name__ == "__main__":
    entity_groups_main(GROUPS, candidates)
