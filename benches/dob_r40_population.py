#!/usr/bin/env python3
"""Fortieth round, task dob: DATE_OF_BIRTH after a birth-date label with a parenthesised
qualifier, in parentheses after a birth-date noun phrase, and German verb-final `am DATE
geboren` — counted on every training split independent of the engine.

usage: dob_r40_population.py VARIANT [SPLIT ...] [--show GROUP]

Groups (DATE a day-month-year date in any of the splits' shapes: digits with `/`, `.`, `-`;
`12 de noviembre de 2020`, `16 januari 2019`, `9. November 1965`; `March 2, 1971`):
  qual-birth-num   a birth-date phrase (the engine's prose phrases: `date of birth`,
                   `Geburtsdatum`, `fecha de nacimiento`, …), a parenthesised qualifier
                   holding a digit (`(2)`, `(item 3)`), then `:` or a pipe cell's `|`, and a
                   DATE (entity DATE_OF_BIRTH);
  qual-birth-word  the same, a qualifier of no digit (`(for the insurer)`, `(Patient)`);
  qual-other       any other label (no birth word) of one to four words with a qualifier,
                   `:` or `|`, and a DATE (`Lieferdatum (2): …`) (ANY: its labels);
  paren-birth      a birth-date phrase, then a DATE in parentheses (`la date de naissance
                   (11/10/1991)`) (entity DATE_OF_BIRTH);
  paren-other      any other word, then a DATE in parentheses, no birth word in the 40 bytes
                   before (ANY);
  am-geboren       German `am DATE geboren` (also `am DATE in Ort geboren`) (entity
                   DATE_OF_BIRTH);
  am-other         `am DATE WORD`, WORD not `geboren` (ANY).
Per group: gold, not gold, gold missed by VARIANT, not-gold places VARIANT found as
DATE_OF_BIRTH, and the splits of each.
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents, overlaps, parse_args  # noqa: E402

L = rb"[A-Za-z\x80-\xff]"
DATE = (rb"(?P<date>\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}(?![0-9])"
        rb"|\d{1,2}\.?(?: de)? " + L + rb"{3,12}\.?(?: de)? \d{4}(?![0-9])"
        rb"|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}(?![0-9]))")
PHRASE = (rb"(?<![A-Za-z0-9])(?:date of birth|birth date|birthdate|birthday|dob|d\.o\.b\.|"
          rb"geburtsdatum|geboortedatum|date de naissance|data di nascita|data nascita|"
          rb"fecha de nacimiento)")
Q = rb"[ \t]*\((?P<q>[^()\n|:\"\\]{1,24})\)[ \t]*\\?\"?[ \t]*[:|][ \t]*\\?\"?[ \t]*"
QUAL_BIRTH = re.compile(PHRASE + Q + DATE, re.I)
QUAL_OTHER = re.compile(rb"(?<![A-Za-z\x80-\xff])(?P<lab>" + L + rb"+(?:[ .'-]" + L + rb"+){0,3})" + Q + DATE)
PAREN_BIRTH = re.compile(PHRASE + rb"[ \t]*\([ \t]*" + DATE + rb"[ \t]*\)", re.I)
PAREN_OTHER = re.compile(rb"(?P<w>" + L + rb"+)[ \t]*\([ \t]*" + DATE + rb"[ \t]*\)")
AM_GEBOREN = re.compile(rb"(?<![A-Za-z])am[ \t]+" + DATE + rb"[ \t]+(?:in [A-Z]" + L + rb"+ )?geboren")
AM_OTHER = re.compile(rb"(?<![A-Za-z])am[ \t]+" + DATE + rb"[ \t]+(?P<w>" + L + rb"+)")
BIRTH_WORD = re.compile(rb"(?i)birth|\bdob\b|d\.o\.b|naissance|nascita|nacimiento|geburt|geboorte|geboren|born|\bgeb\.")
QUAL_ANY_NUM = re.compile(rb"(?<![A-Za-z\x80-\xff])(?P<lab>" + L + rb"+(?:[ .'-]" + L + rb"+){0,3})[ \t]*\((?P<q>(?:" + L + rb"+ )?[0-9]{1,2})\)[ \t]*[:|][ \t]*(?P<v>[^ \t\n|\\\"]+)")
VERB_FINAL = re.compile(DATE + rb"(?P<run>[^.\n0-9]{0,30}?)(?<![A-Za-z])geboren(?![A-Za-z])")
PAREN_NEAR = re.compile(rb"(?:" + BIRTH_WORD.pattern[4:] + rb")" + rb"[^0-9\n()]{0,24}\([ \t]*" + DATE + rb"[ \t]*\)", re.I)
GROUPS = ["qual-birth-num", "qual-birth-word", "qual-other", "paren-birth", "paren-other", "am-geboren", "am-other", "qual-any-num", "verb-final", "paren-birth-near"]


def candidates(raw):
    for m in QUAL_BIRTH.finditer(raw):
        g = "qual-birth-num" if re.search(rb"[0-9]", m.group("q")) else "qual-birth-word"
        yield g, "DATE_OF_BIRTH", m.start("date"), m.end("date")
    for m in QUAL_OTHER.finditer(raw):
        if not BIRTH_WORD.search(m.group("lab")):
            yield "qual-other", "ANY", m.start("date"), m.end("date")
    for m in PAREN_BIRTH.finditer(raw):
        yield "paren-birth", "DATE_OF_BIRTH", m.start("date"), m.end("date")
    for m in PAREN_OTHER.finditer(raw):
        if not BIRTH_WORD.search(raw[max(0, m.start() - 40):m.start("date")]):
            yield "paren-other", "ANY", m.start("date"), m.end("date")
    for m in AM_GEBOREN.finditer(raw):
        yield "am-geboren", "DATE_OF_BIRTH", m.start("date"), m.end("date")
    for m in AM_OTHER.finditer(raw):
        if m.group("w") != b"geboren" and m.group("w") != b"in":
            yield "am-other", "ANY", m.start("date"), m.end("date")


def extra(raw):
    for m in QUAL_ANY_NUM.finditer(raw):
        yield "qual-any-num", "ANY", m.start("v"), m.end("v")
    for m in VERB_FINAL.finditer(raw):
        yield "verb-final", "DATE_OF_BIRTH", m.start("date"), m.end("date")
    for m in PAREN_NEAR.finditer(raw):
        yield "paren-birth-near", "DATE_OF_BIRTH", m.start("date"), m.end("date")


def main():
    variant, splits, show, _ = parse_args(sys.argv[1:])
    tot = collections.defaultdict(lambda: [0, 0, 0, 0, collections.Counter(), collections.Counter(), collections.Counter()])
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant):
            for g, ent, s, e in list(candidates(raw)) + list(extra(raw)):
                t = tot[g]
                labs = {x[0] for x in gold if x[1] < e and s < x[2]}
                isg = bool(labs) if ent == "ANY" else overlaps(gold, ent, s, e)
                if ent == "ANY":
                    t[6][",".join(sorted(labs)) or "-"] += 1
                t[0 if isg else 1] += 1
                (t[4] if isg else t[5])[split] += 1
                ent2 = next(iter(labs)) if ent == "ANY" and labs else ent
                miss = isg and not overlaps(found, ent2, s, e)
                fp = not isg and overlaps(found, "DATE_OF_BIRTH", s, e)
                t[2] += miss
                t[3] += fp
                if show == g:
                    tag = ("GOLD" if isg else "not" + (f"({','.join(sorted(labs))})" if labs else ""))
                    tag += " missed" if miss else ""
                    tag += " FOUND" if fp else ""
                    print(f"  {split}#{doc['id']} {tag}: {raw[max(0, s - 60):e + 25]!r}")
    print(f"per group: gold, not gold, gold missed by {variant}, not gold found by {variant} as DATE_OF_BIRTH")
    for g in GROUPS:
        if g not in tot:
            print(f"{g:16} none")
            continue
        gd, nt, ms, fp, gs, ns, labs = tot[g]
        xl = f"  labels: {dict(labs)}" if labs else ""
        print(f"{g:16} gold {gd:5} not {nt:5} missed {ms:5} found-not {fp:3}  gold: {dict(gs)}  not: {dict(ns)}{xl}")


if __name__ == "__main__":
    main()
