#!/usr/bin/env python3
"""Twenty-ninth round, task ssn: blind28's US_SSN and IPV6 misses by construction, counted on
every training split.

usage: ssn_r29_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction (independent of the engine); per split
and group: the candidates that are gold of the group's type, the ones that are not (a false
positive a rule would make), and the gold ones VARIANT missed.

US_SSN groups (the candidate is the value; `bare` = nine digits, no separator):
  fhir-system   a JSON object with `"system": "…/us-ssn"` (FHIR's identifier system
                `http://hl7.org/fhir/sid/us-ssn`, the US Social Security Number) and a
                `"value"` member: its value;
  fhir-bare     the same, the value nine bare digits: the rule this round takes
                (`src/redact/detect/evidence_r29s.rs`);
  tablabel      a JSON object with `"tabLabel"` (DocuSign's tab) naming the SSN (`ssn`,
                `social security…`) and a `"value"`: its value;
  type-id       a JSON object with a `…_Type` member naming the SSN (`USA-SSN`) and an
                `"ID"` member (Workday's `National_ID_Type`): its value;
  pid-18        HL7 v2 PID-18 (Patient Account Number), nine bare digits;
  pid-19        HL7 v2 PID-19 (SSN Number - Patient), nine bare digits;
  nm1-mi        X12 `NM1` with NM108 `MI` (Member Identification Number): NM109 of nine
                bare digits;
  nm1-34        the same with NM108 `34` (Social Security Number);
  tin-column    a text table (blank-aligned) whose header holds the cell `TIN`: the nine
                bare digits in that column.
IPV6 group:
  glued-key     an address glued to a word's `:` (`Ip:2001:db8::1`, `addr:fe80::1`): the
                word (letters, digits, `_`; the hex digits glued to it are the word's), one
                `:`, no second `:`, then an address (the engine's `ipv6_ok`: seven colons,
                six with a dotted tail, or a `::`; three groups, or two with one of 3+
                digits) to a byte that is no word byte and no `:`: the rule this round takes.
"""
import ipaddress
import os
import re
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import parse_args  # noqa: E402
from population import documents, overlaps  # noqa: E402

TRAINING = ["dev", "heldout"] + [f"blind{i}" for i in range(2, 16)] + [
    f"blind{i}" for i in range(18, 29)]
REFUSED = {"blind16", "blind17", "blind29", "blind30"}
GROUPS = [("US_SSN", g) for g in ("fhir-system", "fhir-bare", "tablabel", "type-id", "pid-18",
                                  "pid-19", "nm1-mi", "nm1-34", "tin-column")] + [
    ("IPV6", "glued-key")]

OBJECT = re.compile(rb"\{[^{}]*\}")
MEMBER = re.compile(rb'"([^"\\]*)"\s*:\s*"([^"\\]*)"')
NAMES_SSN = re.compile(rb"(?i)(?:^|[^a-z])(?:ssn|social.?security)(?:[^a-z]|$)")
BARE9 = re.compile(rb"^[0-9]{9}$")


def json_pairs(raw):
    """(group, start, end) of the value members of the objects the JSON groups name."""
    for o in OBJECT.finditer(raw):
        members = [(m.group(1), m.group(2), m.start(2), m.end(2))
                   for m in MEMBER.finditer(raw, o.start(), o.end())]
        keys = {k: (v, s, e) for k, v, s, e in members}
        value = keys.get(b"value")
        system = keys.get(b"system")
        if value and system and system[0].endswith(b"/us-ssn"):
            yield "fhir-system", value[1], value[2]
            if BARE9.match(value[0]):
                yield "fhir-bare", value[1], value[2]
        label = keys.get(b"tabLabel")
        if value and label and NAMES_SSN.search(label[0]):
            yield "tablabel", value[1], value[2]
        ident = keys.get(b"ID")
        if ident and any(k.endswith(b"_Type") and NAMES_SSN.search(v) for k, v, _, _ in members):
            yield "type-id", ident[1], ident[2]


PID = re.compile(rb"(?:^|(?<=[\r\n]))PID\|[^\r\n]*", re.M)
NM1 = re.compile(rb"NM1\*[A-Z0-9]{2}\*[12](?:\*[^*~\n]*){5}\*([A-Z0-9]{1,2})\*([^*~\n]*)")


def segments(raw):
    for m in PID.finditer(raw):
        off = m.start()
        for i, f in enumerate(m.group(0).split(b"|")):
            if i in (18, 19) and BARE9.match(f):
                yield f"pid-{i}", off, off + len(f)
            off += len(f) + 1
    for m in NM1.finditer(raw):
        q, v = m.group(1), m.group(2)
        if BARE9.match(v) and q in (b"MI", b"34"):
            yield "nm1-" + q.decode().lower(), m.start(2), m.end(2)


TIN_HEAD = re.compile(rb"(?<![^ \t\n|])TIN(?![^ \t\n|])")


def tin_column(raw):
    """Nine bare digits under a blank-aligned table's `TIN` header cell (same column, the
    lines below up to an empty line)."""
    for m in TIN_HEAD.finditer(raw):
        ls = raw.rfind(b"\n", 0, m.start()) + 1
        col = m.start() - ls
        # a header line: at least two blank-separated cells before or after
        line_end = raw.find(b"\n", m.end())
        line_end = len(raw) if line_end < 0 else line_end
        if len(raw[ls:line_end].split()) < 3:
            continue
        p = line_end + 1
        while p < len(raw):
            e = raw.find(b"\n", p)
            e = len(raw) if e < 0 else e
            row = raw[p:e]
            if not row.strip():
                break
            cell = re.match(rb"[0-9]{9}(?![0-9A-Za-z-])", row[col:]) if len(row) > col else None
            if cell and (col == 0 or row[col - 1] in b" \t|"):
                yield "tin-column", p + col, p + col + 9
            p = e + 1


# A word holding a byte that is no hex digit (`Ip`, `addr`, `ipv6`, `src_ip`), glued to one
# `:`, and the address's bytes after it.
GLUED = re.compile(rb"[A-Za-z0-9_]*[G-Zg-z_][A-Za-z0-9_]*:(?!:)([0-9A-Fa-f:.]+)")
WORD = re.compile(rb"[A-Za-z0-9_]")


def ipv6_ok(s):
    colons = s.count(b":")
    if colons < 2 or not (b"::" in s or colons == 7 or (colons == 6 and b"." in s)):
        return False
    groups = [g for g in s.split(b":") if g]
    if not (len(groups) >= 3 or (len(groups) == 2 and max(map(len, groups)) >= 3)):
        return False
    try:
        ipaddress.IPv6Address(s.decode())
        return True
    except ValueError:
        return False


def glued(raw):
    for m in GLUED.finditer(raw):
        s, e = m.start(1), m.end(1)
        while e > s and raw[e - 1:e] == b".":
            e -= 1
        after = raw[e:e + 1]
        if after and (WORD.match(after) or after == b":"):
            continue
        if ipv6_ok(raw[s:e]):
            yield "glued-key", s, e


def generate(raw):
    yield from json_pairs(raw)
    yield from segments(raw)
    yield from tin_column(raw)
    yield from glued(raw)


def main():
    variant, splits, show, _ = parse_args(sys.argv[1:] + ([] if len(sys.argv) > 2 else TRAINING))
    if REFUSED & set(splits):
        sys.exit(f"refused: {sorted(REFUSED & set(splits))}")
    entity = dict((g, t) for t, g in GROUPS)
    # group -> split -> [gold, not, missed]
    tally = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    keys = Counter()
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            for g, s, e in set(generate(raw)):
                t = entity[g]
                is_gold = overlaps(gold, t, s, e)
                row = tally[g][split]
                row[0 if is_gold else 1] += 1
                if is_gold and not overlaps(found, t, s, e):
                    row[2] += 1
                if g == "glued-key":
                    k = raw[max(0, s - 12):s].split()[-1:] or [b""]
                    keys[(re.sub(rb"^.*[^A-Za-z0-9_:]", b"", k[0]).decode(), is_gold)] += 1
                if show == g:
                    print(f"  {split}#{doc['id']} {'gold' if is_gold else 'NOT'}"
                          f"{' MISS' if is_gold and not overlaps(found, t, s, e) else ''}:"
                          f" {raw[max(0, s - 60):e + 20]!r}")
    print(f"per group and split: gold / not gold / gold missed by {variant}")
    for t, g in GROUPS:
        rows = tally[g]
        tot = [sum(r[i] for r in rows.values()) for i in range(3)]
        per = ", ".join(f"{s} {r[0]}/{r[1]}/{r[2]}" for s, r in rows.items())
        print(f"{t:6} {g:11} total {tot[0]}/{tot[1]}/{tot[2]}  writers with gold "
              f"{sum(1 for r in rows.values() if r[0])}: {per}")
    print("\nglued-key: the word before the address (gold / not)")
    words = sorted({k for k, _ in keys})
    print("  " + ", ".join(f"{w!r} {keys[(w, True)]}/{keys[(w, False)]}" for w in words))


if __name__ == "__main__":
    main()
