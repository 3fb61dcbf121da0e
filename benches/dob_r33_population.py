#!/usr/bin/env python3
"""Thirty-third round, task dob: DATE_OF_BIRTH, CREDIT_CARD and US_SSN — the constructions
blind32's writer brought, counted on every training split independent of the engine.

usage: dob_r33_population.py VARIANT [SPLIT ...] [--show GROUP]

Groups:
  adp-govid-ssn     ADP Workforce Now's worker `governmentIDs` entry: the `idValue` of an
                    object whose `nameCode.codeValue` is `SSN` (entity US_SSN);
  adp-govid-other   the same entry, any other `codeValue` (`SIN`, `TIN`, …);
  idvalue-any       every `"idValue":"…"` string (what a rule keyed on the member may touch);
  de-rvnr           a German pension insurance number's shape (Rentenversicherungsnummer,
                    SGB VI §147: area 2 digits, birth date DDMMYY, the birth name's initial,
                    serial and check digit, 3 digits; blanks optional) — any label (ANY);
  qa-text-dob       a questionnaire item `{"text":"…birth…","answer":"…"}` (either order): the
                    answer (entity DATE_OF_BIRTH);
  qa-answer-any     every answer of a `"text"`/`"answer"` object (ANY: its gold labels);
  leader-dob        a text line `<birth label> ... VALUE` (dot leaders): VALUE up to two
                    blanks or the line's end (entity DATE_OF_BIRTH);
  leader-any        every dot-leader line's value (ANY);
  card13-number     a 13-digit number as a JSON string under `"number"` (entity CREDIT_CARD);
  card13-any        any 13-digit run passing Luhn that opens with 4 (ANY);
  md-row-ssn        a Markdown/pipe table row whose first cell names an SSN (`| SSN |`,
                    `| Spouse SSN |`): its second cell (entity US_SSN);
  md-row-ssn-9      the same, the cell nine bare digits.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

GOVID = re.compile(rb'"idValue"\s*:\s*"([^"]*)"\s*,\s*"nameCode"\s*:\s*\{[^{}]*?"codeValue"\s*:\s*"([^"]*)"')
GOVID_REV = re.compile(rb'"nameCode"\s*:\s*\{[^{}]*?"codeValue"\s*:\s*"([^"]*)"[^{}]*\}\s*,\s*"idValue"\s*:\s*"([^"]*)"')
IDVALUE = re.compile(rb'"idValue"\s*:\s*"([^"]*)"')
RVNR = re.compile(rb'(?<![\w])\d{2} ?[0-3]\d[01]\d\d\d ?[A-Z] ?\d{3}(?![\w])')
QA1 = re.compile(rb'\{\s*"text"\s*:\s*"([^"]*)"\s*,\s*"answer"\s*:\s*"([^"]*)"')
QA2 = re.compile(rb'\{\s*"answer"\s*:\s*"([^"]*)"\s*,\s*"text"\s*:\s*"([^"]*)"')
LEADER = re.compile(rb'^[ \t]*([^\n.]{2,40}?)[ \t]*\.{3,}[ \t]*(\S(?:[^\n]*?\S)?)(?=[ \t]{2,}|[ \t]*$)', re.M)
BIRTH = re.compile(rb'birth|dob|geburt|naissance|nacimiento|nascita|geboorte', re.I)
NUM13 = re.compile(rb'"number"\s*:\s*"(\d{13})"')
RUN13 = re.compile(rb'(?<![\d])4\d{12}(?![\d])')

MD_SSN = re.compile(rb"^[ \t]*\|[ \t]*((?:[^|\n]*?\b)?(?:SSN|social security(?: number| no\.?)?))[ \t]*:?[ \t]*\|[ \t]*([^|\n]*?)[ \t]*\|", re.I | re.M)

GROUPS = ["md-row-ssn", "md-row-ssn-9", "adp-govid-ssn", "adp-govid-other", "idvalue-any", "de-rvnr", "qa-text-dob",
          "qa-answer-any", "leader-dob", "leader-any", "card13-number", "card13-any"]


def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        d = c - 48
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        t += d
    return t % 10 == 0


def candidates(raw, kind):
    for m in MD_SSN.finditer(raw):
        s, e = m.span(2)
        if e > s:
            yield "md-row-ssn", "US_SSN", s, e
            if re.fullmatch(rb"\d{9}", m.group(2)):
                yield "md-row-ssn-9", "US_SSN", s, e
    for m in GOVID.finditer(raw):
        yield ("adp-govid-ssn" if m.group(2) == b"SSN" else "adp-govid-other"), "US_SSN", m.start(1), m.end(1)
    for m in GOVID_REV.finditer(raw):
        yield ("adp-govid-ssn" if m.group(1) == b"SSN" else "adp-govid-other"), "US_SSN", m.start(2), m.end(2)
    for m in IDVALUE.finditer(raw):
        yield "idvalue-any", "ANY", m.start(1), m.end(1)
    for m in RVNR.finditer(raw):
        yield "de-rvnr", "ANY", m.start(), m.end()
    for rx, ti, ai in ((QA1, 1, 2), (QA2, 2, 1)):
        for m in rx.finditer(raw):
            s, e = m.span(ai)
            if BIRTH.search(m.group(ti)):
                yield "qa-text-dob", "DATE_OF_BIRTH", s, e
            yield "qa-answer-any", "ANY", s, e
    if kind == "text":
        for m in LEADER.finditer(raw):
            s, e = m.span(2)
            if BIRTH.search(m.group(1)):
                yield "leader-dob", "DATE_OF_BIRTH", s, e
            yield "leader-any", "ANY", s, e
    for m in NUM13.finditer(raw):
        yield "card13-number", "CREDIT_CARD", m.start(1), m.end(1)
    for m in RUN13.finditer(raw):
        if luhn(m.group()):
            yield "card13-any", "ANY", m.start(), m.end()


def main():
    entity_groups_main(GROUPS, candidates)



if __name__ == "__main__":
    main()
