#!/usr/bin/env python3
"""Thirty-fourth round, task dob: DATE_OF_BIRTH in JSON tables whose columns are named by a
sibling list, the card security code under Authorize.net's `cardCode`, and a call
transcript's answer to "date of birth" — counted on every training split independent of the
engine.

usage: dob_r34_population.py VARIANT [SPLIT ...] [--show GROUP] [--columns]

Groups:
  tbl-sib-dob       a cell of an array of arrays (the rows) whose sibling member is a list
                    of column names (`columns`, `header`, `headers`, `fields`, `cols`; plain
                    strings, or objects with a `name`), in a column whose name is a birth-date
                    name (`birth_date`, `dob`, `Geburtsdatum`, …) (entity DATE_OF_BIRTH);
  tbl-sib-phone     the same, a phone column (`phone`, `Telefon`, …) (entity PHONE);
  tbl-sib-any       every cell of such a table (ANY: its gold labels);
  tbl-row-dob       a cell of an array of arrays whose first row is the header (a sheet's
                    `values`), birth-date column (entity DATE_OF_BIRTH; already read by main);
  cardcode          a `"cardCode"` string (Authorize.net's `creditCard.cardCode`), any key
                    spelling `card_code` (entity GENERIC_SECRET);
  cardcode-any      the same, any label (ANY);
  call-dob          a transcript line `[mm:ss] SPEAKER: VALUE` right after a line that asks
                    for the date of birth (`… date of birth.`/`?`) (entity DATE_OF_BIRTH);
  call-any          every such answer line (ANY);
  pipe-cvc          a pipe / Markdown table row `| <label> | 925 |` whose label cell holds a
                    card security code's word (`CVV`, `CVC`, `CVC2`, `CVV2`, `CSC`, `CVN`:
                    `CVC-code`, `Prüfziffer (CVC)`), its three or four digits (entity
                    GENERIC_SECRET);
  pipe-cvc-any      the same, any label (ANY);
  pipe-num-any      every other row `| <label> | ddd(d) |` (ANY: what the label must tell);
  turn-ask-dob      the engine's dialogue form (`prose_dob::next_turn_date`): a birth phrase,
                    a run-up of no digit, `?`, the next line's speaker (a time stamp in
                    brackets first, if any) and a date (entity DATE_OF_BIRTH);
  turn-req-dob      the same with `.` for `?` (a request: "Please confirm your date of
                    birth.").
--columns prints, per column name of the sibling-named tables, the cells' labels and splits.
"""
import collections
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pii_splits  # noqa: E402
from population import documents, overlaps  # noqa: E402

HEADS = ("columns", "header", "headers", "fields", "cols", "column_names", "columnNames")
BIRTH_NAMES = re.compile(
    r"^(?:.*_)?(?:dob|d_o_b|date_of_birth|birth_?date|birthday|geburtsdatum|geb_datum|geboortedatum|"
    r"date_(?:de_)?naissance|datenaissance|data_(?:di_)?nascita|fecha_(?:de_)?nacimiento|born|geboren)$"
    r"|^(?:birth|naissance|nascita|nacimiento|geboorte|geburt)$")
PHONE_NAMES = re.compile(r"(?:^|_)(?:phone|mobile|tel|telefon|telephone|t[eé]l[eé]phone|telefono|tel[eé]fono|cell|handy|portable|telefoon|mobiel)", re.I)
CARDCODE = re.compile(rb'\\?"card_?[Cc]ode\\?"\s*:\s*\\?"([^"\\]*)\\?"')
CALL = re.compile(rb'(?im)(date of birth|birth ?date|dob)[^\n]*[.?]\s*\n\[\d\d:\d\d\][ \t]*[A-Z][\w ]*:[ \t]*([^\n]*?)[ \t]*$')
# The engine's dialogue rule (`prose_dob::next_turn_date`) as bytes: a birth phrase, a run-up
# with no digit and no stop byte, the sentence's end (`?` asks, `.` requests), the next line,
# a time stamp or a tag in brackets if any, a speaker of no digit and `:`, a date first.
PHRASE = rb"(?<![A-Za-z0-9])(?:date of birth|birth date|birthdate|birthday|dob|d\.o\.b\.|geburtsdatum|geboortedatum|date de naissance|data di nascita|data nascita|fecha de nacimiento)"
TURN = re.compile(PHRASE + rb"(?P<run>[^0-9\n\r.!;\"<>|=\[\]{}?:]{0,48}?)(?P<end>[.?])[ \t]*\r?\n[ \t]*(?:\[[^\]\n]{1,30}\][ \t]*)?(?P<spk>[^0-9:>\n]{1,40}:)[ \t]*(?P<date>\d{1,4}[-/. ]\d{1,2}[-/. ]\d{2,4}|\d{1,2}\.? [A-Za-z\x80-\xff]+ \d{4})", re.I)
PIPE_CVC = re.compile(rb"\|[ \t]*([^|\n]{1,40}?)[ \t]*\|[ \t]*(\d{3,4})[ \t]*\|")
CVC_WORD = re.compile(rb"(?i)(?<![a-z0-9])(?:cvc2?|cvv2?|csc|cvn)(?![a-z0-9])")
PIPE_NUM = re.compile(rb"\|[ \t]*([^|\n]{1,40}?)[ \t]*\|[ \t]*(\d{3,4})[ \t]*\|")
GROUPS = ["pipe-cvc", "pipe-cvc-any", "pipe-num-any", "turn-ask-dob", "turn-req-dob", "tbl-sib-dob", "tbl-sib-phone", "tbl-sib-any", "tbl-row-dob", "cardcode", "cardcode-any", "call-dob", "call-any"]


def norm(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[-. _]+", "_", s).lower().strip("_")


def head_names(v):
    if not isinstance(v, list) or not v:
        return None
    out = []
    for x in v:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict) and isinstance(x.get("name"), str):
            out.append(x["name"])
        else:
            return None
    return out


def tables(o, path):
    """(rows path, column names, rows, 'sib'|'row') for every table in the parsed tree."""
    if isinstance(o, dict):
        for k, v in o.items():
            p = f"{path}/{k}"
            if isinstance(v, list) and v and all(isinstance(r, list) for r in v):
                names = None
                for h in HEADS:
                    if h != k and h in o:
                        names = head_names(o[h])
                        if names:
                            break
                if names:
                    yield p, names, v, "sib", 0
                elif all(isinstance(c, str) for c in v[0]):
                    yield p, v[0], v, "row", 1
            yield from tables(v, p)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from tables(v, f"{path}/{i}")


COLS = collections.defaultdict(lambda: [collections.Counter(), collections.Counter()])


def candidates(doc, raw, lab, split):
    if doc.get("kind") == "json":
        try:
            tree = json.loads(doc["text"])
        except ValueError:
            tree = None
        strings = lab["strings"]
        for p, names, rows, how, first in tables(tree, "") if tree is not None else ():
            for i, row in enumerate(rows[first:], first):
                for j, cell in enumerate(row):
                    if j >= len(names) or not isinstance(cell, str):
                        continue
                    s = strings.get(f"{p}/{i}/{j}")
                    if s is None:
                        continue
                    e = s + len(json.dumps(cell, ensure_ascii=False)[1:-1].encode())
                    n = norm(names[j])
                    if how == "sib":
                        if BIRTH_NAMES.search(n):
                            yield "tbl-sib-dob", "DATE_OF_BIRTH", s, e, n
                        elif PHONE_NAMES.search(n):
                            yield "tbl-sib-phone", "PHONE", s, e, n
                        yield "tbl-sib-any", "ANY", s, e, n
                    elif BIRTH_NAMES.search(n):
                        yield "tbl-row-dob", "DATE_OF_BIRTH", s, e, n
    for m in CARDCODE.finditer(raw):
        yield "cardcode", "GENERIC_SECRET", m.start(1), m.end(1), None
        yield "cardcode-any", "ANY", m.start(1), m.end(1), None
    for m in PIPE_CVC.finditer(raw):
        if CVC_WORD.search(m.group(1)):
            yield "pipe-cvc", "GENERIC_SECRET", m.start(2), m.end(2), None
            yield "pipe-cvc-any", "ANY", m.start(2), m.end(2), None
        else:
            yield "pipe-num-any", "ANY", m.start(2), m.end(2), None
    for m in TURN.finditer(raw):
        yield ("turn-ask-dob" if m.group("end") == b"?" else "turn-req-dob"), "DATE_OF_BIRTH", m.start("date"), m.end("date"), None
    for m in CALL.finditer(raw):
        s, e = m.span(2)
        yield "call-dob", "DATE_OF_BIRTH", s, e, None
        yield "call-any", "ANY", s, e, None


def main():
    args = sys.argv[1:]
    show = None
    cols = "--columns" in args
    if cols:
        args.remove("--columns")
    if "--show" in args:
        i = args.index("--show")
        show = args[i + 1]
        del args[i:i + 2]
    variant, splits = args[0], args[1:] or pii_splits.training()
    tot = collections.defaultdict(lambda: [0, 0, 0, collections.Counter(), collections.Counter(), collections.Counter()])
    for split in splits:
        for doc, raw, lab, gold, found in documents(split, variant):
            for g, ent, s, e, name in candidates(doc, raw, lab, split):
                t = tot[g]
                labs = {x[0] for x in gold if x[1] < e and s < x[2]}
                if ent == "ANY":
                    isg = bool(labs)
                    ent2 = next(iter(labs)) if labs else None
                    t[5][",".join(sorted(labs)) or "-"] += 1
                    if g == "tbl-sib-any":
                        COLS[name][0][",".join(sorted(labs)) or "-"] += 1
                        COLS[name][1][split] += 1
                else:
                    isg = overlaps(gold, ent, s, e)
                    ent2 = ent
                if isg:
                    t[0] += 1
                    t[3][split] += 1
                else:
                    t[1] += 1
                    t[4][split] += 1
                miss = isg and not overlaps(found, ent2, s, e)
                fp = not isg and ent != "ANY" and overlaps(found, ent, s, e)
                t[2] += miss
                if show == g:
                    tag = "GOLD" if isg else "not" + (f"({','.join(sorted(labs))})" if labs else "")
                    tag += " missed" if miss else ""
                    tag += " found" if fp else ""
                    print(f"  {split}#{doc['id']} {tag}: {raw[max(0, s - 60):e + 25]!r}")
    for g in sorted(tot, key=lambda g: (GROUPS.index(g) if g in GROUPS else 99, g)):
        gd, nt, ms, gs, ns, labs = tot[g]
        extra = f"  labels: {dict(labs)}" if labs else ""
        print(f"{g:14} gold {gd:5} not {nt:5} missed {ms:5}  gold: {dict(gs)}  not: {dict(ns)}{extra}")
    if cols:
        for n, (labs, sp) in sorted(COLS.items(), key=lambda x: -sum(x[1][0].values())):
            print(f"  column {n!r:28} {dict(labs)}  {dict(sp)}")


if __name__ == "__main__":
    main()
