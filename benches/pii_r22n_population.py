#!/usr/bin/env python3
"""Populations of the twenty-second round's task num (issue #20): netmasks, name/value pairs
labelled by a `shortname`, a birth question answered by a bracketed speaker, birth dates
under a `dob_<word>=` key, a crew list's `Date and place of birth` column, COBOL copybook
records.

Usage: benches/pii_r22n_population.py VARIANT [SPLIT ...]   (SHOW=N prints N examples a class)

Reads the corpora /tmp/pii/<split>/corpus.jsonl with the gold labels and VARIANT's findings,
training splits only (the default: every training split, blind18, blind19 and blind21
included; never a validation or honest one), and counts every candidate of each class
against the gold labels — gold of the class's entity, not gold, and the gold ones VARIANT
missed:

- IPV4 `netmask`: every dotted quad (no digit or dot either side) whose 32 bits are a run of
  ones then zeros with a first octet of 255 (`255.255.255.0`, `255.255.0.0`,
  `255.255.255.192`): a subnet mask, no host's address (RFC 950); `255.255.255.255` is the
  limited broadcast, no host either;
- DATE_OF_BIRTH `label:<key>`: every JSON object with an answer member (`value`, `answer`,
  `date`, `text`) holding a string and a sibling member whose string names a birth date
  (`dob`, `birth…`, `geburt…`, …), sorted by that sibling's key (`name`, `key`, `label`,
  `shortname`, …): Moodle's `customfields` write `{"shortname": "dob", "value": …}`;
- DATE_OF_BIRTH `turn:<speaker>`: a date opening a line whose previous line is a question
  (ends with `?`) naming a birth date, sorted by the speaker's form (`Name:`, `name>`,
  `[name]`, none);
- DATE_OF_BIRTH `key:dob_<word>`: a date right after `dob_<word>=` or `dob_<word>:` (a
  key=value log's member named for the birth date), sorted by the key;
- DATE_OF_BIRTH `crew`: a date opening a cell of a `|`-separated table under a header cell
  naming the date and place of birth (`Date and place of birth`), and the same header's
  other spellings, sorted by header;
- US_SSN / DATE_OF_BIRTH / CREDIT_CARD `copybook:<field>`: the whitespace-separated tokens of
  a COBOL copybook's record lines (`* 040804707 431862222 1990-08-29 …` after `05 CUST-ID
  PIC 9(9).` …), matched to the copybook's `05` fields in order, sorted by the field's name;
  a record line fills every field, a numeric one (`PIC 9…`) with digits;
- DATE_OF_BIRTH `word:<word>`: a date right after the locales' birth words the rules did not
  read (`nac.`, `nacido/a` without `el`, `nací el`, `Né(e) :`);
- DATE_OF_BIRTH `dsn:<rubric>`: eight digits in a French DSN's rubric (`S21.G00.30.006
  '01011965'`), sorted by the rubric's code.
"""
import pii_splits  # the default split lists (benches/pii_splits.py)
import json
import os
import re
import sys

from population import Tally
from pii_dates import DATE, findings, has_birth, load

TRAINING = pii_splits.training()
SHOW = int(os.environ.get("SHOW", "0") or 0)

QUAD = re.compile(rb"(?<![0-9.])([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(?![0-9]|\.[0-9])")
ANSWER_KEYS = {"value", "answer", "date", "text"}
QUESTION_BIRTH = re.compile(
    rb"(?i)date of birth|birth ?date|birthday|\bdob\b|geburtsdatum|geboortedatum|date de naissance|data di nascita|fecha de nacimiento"
)
# The birth-date rule's keywords (`patterns.rs`, `Kind::Dob`) and a run-up holding a `_`
# (`dob_check=`, `birthdate_verified: `): what letting `_` join the run-up's words adds.
DOB_KEY = re.compile(
    rb"(?i)(?<![A-Za-z0-9_])(dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born on|born|geburtsdatum|geburtstag|geboren|geboortedatum|date de naiss(?:ance|\.)?|data (?:di )?nascita|fecha de nacimiento)"
    rb"(?=[ \t:=\-\"'>A-Za-z]*_)([ \t:=\-\"'>A-Za-z_]{0,16})"
)
# The locales' birth words before a date not yet read (Spanish `nac.` — nacido/nacimiento
# shortened —, `nacido/a` with no `el`, `nací el`; French `né(e) :`).
WORDS = [
    ("nac.", re.compile(rb"(?i)(?<![A-Za-z])nac\.[ \t]*")),
    ("nacido/a", re.compile(rb"(?i)(?<![A-Za-z])nacid[oa](?:/a)?[ \t:]+(?!el )")),
    ("nac\u00ed el", re.compile(rb"(?i)(?<![A-Za-z])nac(?:\xc3\xad|\xc3\x8d) el[ \t]+")),
    ("n\u00e9(e) :", re.compile(rb"(?i)(?<![A-Za-z])n(?:\xc3\xa9|e)(?:e|\(e\))?[ \t]*:[ \t]*")),
]
# A French DSN's (d\u00e9claration sociale nominative) rubric codes with 8 digits `JJMMAAAA`:
# `S21.G00.30.006` is the employee's birth date in the norm; every other code for contrast.
DSN = re.compile(rb"(S[0-9]{2}\.G[0-9]{2}\.[0-9]{2}\.[0-9]{3}) '([0-9]{8})'")
PIPE_BIRTH = re.compile(rb"(?i)place of birth|lieu de naissance|geburtsort|lugar de nacimiento|luogo di nascita|geboorteplaats")


def netmask(groups):
    o = [int(g) for g in groups]
    if any(x > 255 for x in o) or o[0] != 255:
        return False
    v = (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]
    inv = (~v) & 0xFFFFFFFF
    return (inv & (inv + 1)) == 0


def walk(v, ptr, out):
    if isinstance(v, dict):
        out.append((ptr, v))
        for k, c in v.items():
            walk(c, ptr + "/" + k.replace("~", "~0").replace("/", "~1"), out)
    elif isinstance(v, list):
        for i, c in enumerate(v):
            walk(c, f"{ptr}/{i}", out)


def string_span(strings, raw, ptr):
    off = strings.get(ptr)
    if off is None:
        return None
    i = off
    while i < len(raw) and raw[i] != 0x22:
        i += 2 if raw[i] == 0x5C else 1
    return off, i


def lines(raw):
    out, s = [], 0
    for m in re.finditer(rb"\\n|\n| \| |\xe2\x8f\x8e", raw):
        out.append((s, m.start()))
        s = m.end()
    out.append((s, len(raw)))
    return out


def main():
    variant = sys.argv[1]
    splits = sys.argv[2:] or TRAINING
    for s in splits:
        if s in ("blind16", "blind17", "blind22", "blind23"):
            raise SystemExit(f"refused: {s} is no training split")
    tally = Tally(SHOW, 70)
    count = tally.count

    for split in splits:
        C, L, F = load(split, variant)
        for d in C:
            raw = d["text"].encode()
            lab = L[d["id"]]
            strings = lab.get("strings", {})
            spans = [(x["type"], x["start"], x["end"]) for x in lab["spans"]]
            found = findings(raw, strings, F.get(d["id"], {"findings": []}))
            args = (split, d["id"], raw, spans, found)
            for m in QUAD.finditer(raw):
                if netmask(m.groups()):
                    count("netmask", "IPV4", *args, m.start(), m.end())
            if d["kind"] == "json":
                try:
                    doc = json.loads(d["text"])
                except ValueError:
                    doc = None
                objs = []
                walk(doc, "", objs)
                for ptr, o in objs:
                    answers = [k for k, v in o.items() if k.lower() in ANSWER_KEYS and isinstance(v, str)]
                    labels = [k for k, v in o.items()
                              if isinstance(v, str) and k not in answers and len(v) <= 40 and has_birth(v.encode())]
                    if not answers or not labels:
                        continue
                    for a in answers:
                        sp = string_span(strings, raw, ptr + "/" + a)
                        if sp and DATE.search(o[a].encode()):
                            count("label:" + labels[0].lower(), "DATE_OF_BIRTH", *args, *sp)
            ls = lines(raw)
            for i in range(1, len(ls)):
                prev = raw[ls[i - 1][0]:ls[i - 1][1]].rstrip()
                if not prev.endswith(b"?") or not QUESTION_BIRTH.search(prev):
                    continue
                a, b = ls[i]
                line = raw[a:b]
                m = re.match(rb"\s*(\[[0-9:TZ+.\-]+\]\s*)?(\[[^\]\n0-9]{1,30}\]|[A-Za-z][A-Za-z .]{0,30}[:>]|)\s*", line)
                sp = m.group(2)
                form = "none" if not sp else "[name]" if sp.startswith(b"[") else "name>" if sp.endswith(b">") else "name:"
                dm = DATE.match(line, m.end())
                if dm:
                    count("turn:" + form, "DATE_OF_BIRTH", *args, a + dm.start(), a + dm.end())
            for m in DOB_KEY.finditer(raw):
                # The regex's run-up backtracks: try each end, longest first, as the engine's does.
                for end in range(m.end(), m.start(2) - 1, -1):
                    dm = DATE.match(raw, end)
                    if dm and b"_" in raw[m.start(2):end]:
                        key = (m.group(1) + raw[m.start(2):end]).decode(errors="replace").lower().strip(" :=\"'>")
                        count("key:" + key, "DATE_OF_BIRTH", *args, dm.start(), dm.end())
                        break
            for name, rx in WORDS:
                for m in rx.finditer(raw):
                    dm = DATE.match(raw, m.end())
                    if dm:
                        count("word:" + name, "DATE_OF_BIRTH", *args, dm.start(), dm.end())
            for m in DSN.finditer(raw):
                count("dsn:" + m.group(1).decode(), "DATE_OF_BIRTH", *args, m.start(2), m.end(2))
            # Pipe tables whose header names the date and place of birth (lines broken by
            # `\n` only: ` | ` is the cells' separator here).
            rows = []
            st = 0
            for m in re.finditer(rb"\\n|\n", raw):
                rows.append((st, m.start()))
                st = m.end()
            rows.append((st, len(raw)))
            for j, (a, b) in enumerate(rows):
                line = raw[a:b]
                if line.count(b"|") < 2 or not PIPE_BIRTH.search(line):
                    continue
                head = [c.strip() for c in line.split(b"|")]
                col = next(i for i, c in enumerate(head) if PIPE_BIRTH.search(c))
                for (ra, rb_) in rows[j + 1:]:
                    row = raw[ra:rb_]
                    cells = row.split(b"|")
                    if len(cells) != len(head):
                        break
                    off = ra + sum(len(c) + 1 for c in cells[:col])
                    cell = cells[col]
                    lead = len(cell) - len(cell.lstrip())
                    dm = DATE.match(raw, off + lead)
                    if dm:
                        count("crew:" + head[col].decode(errors="replace").lower(), "DATE_OF_BIRTH", *args, dm.start(), dm.end())
            # COBOL copybooks: `05 NAME PIC …` fields, then `* ` record lines.
            fields, recs = [], False
            for (a, b) in ls:
                line = raw[a:b]
                fm = re.match(rb"\s*05\s+([A-Z0-9\-]+)\s+PIC\s+(\S+)", line)
                if fm:
                    fields.append((fm.group(1).decode(), fm.group(2)))
                    continue
                if fields and re.match(rb"\s*\*\s*records:", line):
                    recs = True
                    continue
                if recs:
                    rm = re.match(rb"\s*\*\s+", line)
                    if not rm:
                        fields, recs = [], False
                        continue
                    toks = [(a + t.start(), a + t.end()) for t in re.finditer(rb"\S+", line[rm.end():].replace(b"", b""))]
                    toks = [(a + rm.end() + (x - a), a + rm.end() + (y - a)) for (x, y) in toks]
                    # A record fills every field, a numeric one (`PIC 9…`) with digits.
                    if len(toks) < len(fields) or any(
                        pic.startswith(b"9") and not raw[x:y].isdigit() for (_, pic), (x, y) in zip(fields, toks)
                    ):
                        continue
                    for (f, _), (x, y) in zip(fields, toks):
                        ent = "US_SSN" if "SSN" in f else "DATE_OF_BIRTH" if "BIRTH" in f else "CREDIT_CARD" if "CARD" in f else "US_SSN"
                        count("copybook:" + f, ent, *args, x, y)

    tally.report(15, 42)

if __name__ == "__main__":
    main()
