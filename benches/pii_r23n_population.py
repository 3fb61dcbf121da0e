#!/usr/bin/env python3
"""Populations of the twenty-third round's task num (issue #20): IBANs joined to a word byte
before them, dotted quads after a `word/` (the product-version rule's form), and the phone
look-alikes of blind22 (an EIN's `NN-NNNNNNN`, a GDS itinerary's times, a SIP account's
`contact_user`).

Usage: benches/pii_r23n_population.py VARIANT [SPLIT ...]   (SHOW=N prints N examples a class)

Reads the corpora /tmp/pii/<split>/corpus.jsonl with the gold labels and VARIANT's findings,
training splits only (the default: every training split; never a validation or honest one),
and counts every candidate of each class against the gold labels — gold of the class's
entity, not gold, and the gold ones VARIANT missed:

- IBAN `joined:<what>`: every IBAN-shaped token (two capitals, two digits, then the country's
  length of capitals and digits, blanks allowed between, as the engine's pattern) that passes
  the country length and mod 97 and ends at no letter or digit, but has a word byte right
  before it (no `\\b`: the engine's pattern never reads it), sorted by what that byte is:
  `?NN` (an MT940 `:86:` field's subfield code, `?31NL71SNSB…?32NAME`: ZKA/DATEV's structured
  purpose field, `?31` the counterparty's account or IBAN), another digit, a letter, `_`;
  `free` for comparison: the same tokens with no word byte before (what the engine reads);
- IPV4 `slash:<word>`: every dotted quad (octets 0–255, no leading zero, no digit or dot
  either side) right after `/` and an alphabetic word of two bytes or more (`-`, `_` inside)
  that opens a token (the product-version rule's form, `nginx/1.2.3.4`), sorted by the word's
  shape — `CAPS_UNDERSCORE` (Squid's hierarchy codes, `HIER_DIRECT/10.1.2.3`,
  `FIRSTUP_PARENT/…`), `CAPS`, `other` — and, with `word:` classes, by the word itself;
- PHONE `ein`: `NN-NNNNNNN` (two digits, a dash, seven: the US employer identification
  number's form) as a token, sorted by whether an EIN's words (`employer identification`,
  `EIN`, `FEIN`, `tax id`) stand within 48 bytes before;
- PHONE `gds-times`: two four-digit times after a GDS itinerary segment's city pair, status
  and count (`KL535 Y 22JAN 4 AMSFCO HK2  0715 0955`: departure and arrival);
- PHONE `label:identification`: a number after `identification number` (`no.`, `nr.`, `#`;
  `Employer identification number: 17-4007087`, a W-9's line);
- PHONE `key:<key>`: digits filling a `key=` value of a SIP account's keys (`contact_user=`,
  `auth_user=`, `username=`, …; `contact_user=55572543`).
"""
import pii_splits  # the default split lists (benches/pii_splits.py)
import os
import re
import sys

from population import Tally
from pii_dates import findings, load

TRAINING = pii_splits.training()
SHOW = int(os.environ.get("SHOW", "0") or 0)

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
IBAN_HEAD = re.compile(rb"[A-Z]{2}[0-9]{2}")
QUAD = re.compile(rb"(?<![0-9.])[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9]|\.[0-9])")
EIN = re.compile(rb"(?<![0-9A-Za-z\-./])[0-9]{2}-[0-9]{7}(?![0-9A-Za-z]|[\-./][0-9])")
EIN_WORDS = re.compile(rb"(?i)employer identification|\bf?ein\b|tax id")
GDS = re.compile(rb"(?<![A-Za-z])[A-Z]{6} [A-Z]{2}[0-9]{1,2} {1,2}([0-9]{4}) ([0-9]{4})(?![0-9])")
IDENT = re.compile(rb"(?i)identification (?:number|no\.?|nr\.?|#)[ \t:#]{0,4}(\+?[0-9][0-9 ()./\-]{5,20}[0-9])")
SIP_KEY = re.compile(rb"(?m)(?<![A-Za-z_])(contact_user|auth_user|username|user|extension|callerid|from_user)=([0-9]{4,15})(?![0-9A-Za-z])")


def iban_end(raw, p):
    """The end of a valid IBAN starting at `p` (blanks allowed between units), or None."""
    cc = raw[p:p + 2].decode()
    n = IBAN_LENGTHS.get(cc)
    if n is None:
        return None
    units, i = [], p
    while len(units) < n and i < len(raw):
        c = raw[i:i + 1]
        if c.isdigit() or (c.isupper() and c.isalpha()):
            units.append(c)
            i += 1
        elif c == b" " and i + 1 < len(raw) and raw[i + 1:i + 2].isalnum():
            i += 1
        else:
            break
    if len(units) < n or (i < len(raw) and raw[i:i + 1].isalnum()):
        return None
    compact = b"".join(units).decode()
    moved = compact[4:] + compact[:4]
    num = "".join(str(int(ch, 36)) for ch in moved)
    return i if int(num) % 97 == 1 else None


def ipv4_ok(t):
    parts = t.split(b".")
    return len(parts) == 4 and all(p and (p == b"0" or not p.startswith(b"0")) and int(p) <= 255 for p in parts)


def main():
    variant = sys.argv[1]
    splits = sys.argv[2:] or TRAINING
    for s in splits:
        if s in ("blind16", "blind17", "blind23", "blind24"):
            raise SystemExit(f"refused: {s} is no training split")
    tally = Tally(SHOW, 60)
    count = tally.count

    for split in splits:
        C, L, F = load(split, variant)
        for d in C:
            raw = d["text"].encode()
            lab = L[d["id"]]
            spans = [(x["type"], x["start"], x["end"]) for x in lab["spans"]]
            found = findings(raw, lab.get("strings", {}), F.get(d["id"], {"findings": []}))
            args = (split, d["id"], raw, spans, found)
            # IBANs by the byte before them.
            for m in IBAN_HEAD.finditer(raw):
                p = m.start()
                if p > 0 and raw[p - 1:p].isupper() and raw[p - 1:p].isalpha():
                    continue  # inside a run of capitals: the run's own start is tried
                e = iban_end(raw, p)
                if e is None:
                    continue
                b = raw[p - 1] if p else 0x20
                if p >= 3 and raw[p - 3] == 0x3F and raw[p - 2:p].isdigit():
                    what = "?NN"
                elif chr(b).isdigit():
                    what = "digit"
                elif chr(b).isalpha():
                    what = "letter"
                elif b == 0x5F:
                    what = "_"
                else:
                    what = "free"
                count("joined:" + what, "IBAN", *args, p, e)
            # Dotted quads after `word/`.
            for m in QUAD.finditer(raw):
                s, e = m.span()
                if not ipv4_ok(m.group()) or s < 3 or raw[s - 1] != 0x2F:
                    continue
                j = s - 1
                while j > 0 and (chr(raw[j - 1]).isalpha() and raw[j - 1] < 0x80 or raw[j - 1] in b"-_"):
                    j -= 1
                word = raw[j:s - 1]
                if len(word) < 2 or not chr(word[0]).isalpha() or (j > 0 and raw[j - 1] not in b" \t\"'("):
                    continue
                shape = "CAPS_UNDERSCORE" if word.isupper() and b"_" in word else "CAPS" if word.isupper() else "other"
                count("slash:" + shape, "IPV4", *args, s, e)
                count("word:" + word.decode(), "IPV4", *args, s, e)
            # EIN-shaped numbers.
            for m in EIN.finditer(raw):
                s, e = m.span()
                ctx = "words" if EIN_WORDS.search(raw[max(0, s - 48):s]) else "none"
                count("ein:" + ctx, "PHONE", *args, s, e)
            for m in GDS.finditer(raw):
                for k in (1, 2):
                    count("gds-times", "PHONE", *args, m.start(k), m.end(k))
            for m in IDENT.finditer(raw):
                count("label:identification", "PHONE", *args, m.start(1), m.end(1))
            for m in SIP_KEY.finditer(raw):
                count("key:" + m.group(1).decode(), "PHONE", *args, m.start(2), m.end(2))

    tally.report(8, 36)

if __name__ == "__main__":
    main()
