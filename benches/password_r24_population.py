#!/usr/bin/env python3
"""Twenty-fourth round, task pw: the population of each PASSWORD evidence class over the
training splits, per split, gold or not, found or not.

usage: password_r24_population.py VARIANT [SPLIT ...] [-v]

Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl (the splits default to the training
list) and counts, per class and per split, every candidate read by a regex over the raw
document: how many are gold PASSWORD, gold of another entity (GENERIC_SECRET, ...) or
nothing, and how many VARIANT reported as a PASSWORD. `-v` prints up to three examples per
class, gold kind and split.

Classes (the value's shape, or generic structure around it, not one tool's layout):
  pw-hash-key   the value of a key naming a password's hash or digest (`passwordHash`,
                `password_hash`, `hashed_password`, `pwdHash`, `password_digest`,
                `encrypted_password`): a key=value, JSON member or `=>` pair
  pass-suffix   an unquoted key ending in `pass` after a word (`smtppass = …`, `auth_pass
                …`, `DB_PASS=…`, `mail.pass: …`) at a line's start: `=`/`:` or blanks
                between key and value, the value the rest of the line (one token)
  glued-p       a command line's `-pVALUE` glued to its flag after `-u USER`/`-uUSER` on the
                same line (the MySQL clients' syntax, written by several writers)
  name-value    a name element or member naming a password followed by its value element
                (`<Key>Password</Key><Value …>…</Value>`, `<name>pwd</name><value>…`)
  as-password   a token right before ` as the/your/a password` (prose)
  csv-pw-column a delimited table's cell (`;`, `,`, `|`, tab) under a header cell naming a
                password (`password`, `passwd`, `pwd`, `psk`, `wifi_psk`, `kennwort`, …)
  user-slash-pw-at  `user/password@service` (Oracle's connect string: `sqlplus scott/…@ORCL`)
  long-user-flag  the part after the first `:` of `--user USER:…` (curl's long flag)
  quoted-pair   (format, counted only) a line `"user" "password"` (PgBouncer's userlist.txt)
  eap-secret    (format, counted only) `user : EAP "…"` (strongSwan's ipsec.secrets)
"""
import pii_splits  # the default split lists (benches/pii_splits.py)
import os
import re
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r23_population import gold_kind, overlap, spans_of  # noqa: E402

PW_WORD = rb"(?:pass(?:word|wd)?|pwd|passwort|kennwort|wachtwoord|contrase(?:\xc3\xb1|n)a)"
HASH_WORD = rb"(?:hash(?:ed)?|digest)"
PW_HASH_KEY = re.compile(
    rb"""(?i)(?<![0-9A-Za-z])["']?((?:""" + HASH_WORD + rb"""[_\-.]?""" + PW_WORD + rb"""|"""
    + PW_WORD + rb"""[_\-.]?""" + HASH_WORD + rb"""))["']?[ \t]*(?::=|=>|[:=])[ \t]*["']?([^\s"',;}&]{4,})"""
)
PASS_SUFFIX = re.compile(
    rb"""(?m)^[ \t]*((?i:[a-z][a-z0-9]*[_.\-]?pass))(?:[ \t]*[:=][ \t]*|[ \t]+)["']?([^\s"']{4,128})["']?[ \t]*\r?$"""
)
GLUED_P = re.compile(rb"""(?m)[ \t]-u([ \t]?)['"]?[A-Za-z0-9_.@\-]+['"]?[ \t][^\n]*?(?<=[ \t])-p(?!assword)([^\s'"]{3,})""")
NAME_VALUE = re.compile(
    rb"""<([A-Za-z][\w:.\-]*)>[ \t]*((?i:[a-z _\-]*""" + PW_WORD + rb"""[a-z _\-]*))[ \t]*</\1>[ \t\r\n]*<([A-Za-z][\w:.\-]*)(?:[ \t][^>]*)?>([^<\s]{3,})</\3>"""
)
AS_PASSWORD = re.compile(rb"""(?:^|[ \t])([^\s]{4,64}) as (?i:the|your|a|my) (?:(?i:new|temporary|initial) )?(?i:password)""")
SLASH_AT = re.compile(rb"""(?<![\w@/.:-])([A-Za-z][\w.\-]{0,40})/([^\s/@'"]{3,64})@([A-Za-z][\w.\-]{1,60})(?![\w/])""")
LONG_USER = re.compile(rb"""(?<![\w-])--user[ =]['"]?[^\s:'"]{1,80}:([^\s'"]{3,64})""")
QUOTED_PAIR = re.compile(rb"""(?m)^"[^"\s]{1,40}" "([^"\s]{3,128})"[ \t]*\r?$""")
EAP = re.compile(rb"""(?m)^\S+ : EAP "([^"]{3,128})\"""")
HEADER_PW = re.compile(rb"(?i)^(?:[a-z_\- ]*(?:pass(?:word|wd)?|pwd|psk|passwort|kennwort|wachtwoord|contrase(?:\xc3\xb1|n)a|mdp)[a-z_\- ]*)$")


def password_shape(v):
    """Roughly the engine's `password_like`: 6 to 64 bytes, two classes or more of which one
    is a digit, a symbol or a capital, no URL."""
    if not 6 <= len(v) <= 64 or b"://" in v:
        return False
    lower = bool(re.search(rb"[a-z]", v))
    upper = bool(re.search(rb"[A-Z]", v[1:])) or (not lower and bool(re.search(rb"[A-Z]", v)))
    digit = bool(re.search(rb"[0-9]", v))
    symbol = bool(re.search(rb"[!-,/:-@\[-`{-~]", v))
    return lower + upper + digit + symbol >= 2 and (digit or symbol or upper)


def csv_cells(raw):
    """(start, end) of every cell under a header cell naming a password, in a block of
    delimited lines (the header a line whose cells are words, the rows the lines after it
    with as many cells)."""
    lines = []
    pos = 0
    for line in raw.split(b"\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    for li, (p, line) in enumerate(lines):
        for delim in (b";", b",", b"\t", b"|"):
            cells = line.split(delim)
            if len(cells) < 3:
                continue
            names = [c.strip() for c in cells]
            if not all(re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_ \-]{0,30}", n) or n == b"" for n in names):
                continue
            cols = [k for k, n in enumerate(names) if HEADER_PW.match(n)]
            if not cols:
                continue
            for (q, row) in lines[li + 1:]:
                rc = row.split(delim)
                if len(rc) != len(cells):
                    break
                off = q
                starts = []
                for c in rc:
                    starts.append(off)
                    off += len(c) + 1
                for k in cols:
                    c = rc[k]
                    lead = len(c) - len(c.lstrip())
                    v = c.strip()
                    if len(v) >= 3 and not set(v) <= set(b"-:= "):
                        yield starts[k] + lead, starts[k] + lead + len(v), names[k].lower().endswith(b"psk")
            break


CLASSES = ["pw-hash-key", "pass-suffix", "pass-suffix-shaped", "pass-suffix-new", "glued-p", "glued-p-uUSER", "name-value", "as-password", "csv-pw-column",
           "csv-psk-column", "user-slash-pw-at", "long-user-flag", "quoted-pair", "eap-secret"]


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    variant = args[0]
    splits = args[1:] or pii_splits.training()
    count = defaultdict(Counter)  # (cls, split) -> kind counts
    examples = defaultdict(list)

    def note(cls, split, raw, gold, found, s, e):
        g = gold_kind(gold, s, e)
        c = count[(cls, split)]
        c[g if g in ("PW", "none") else "other"] += 1
        if "PASSWORD" in overlap(found, s, e):
            c["rep_pw"] += 1
            if g == "PW":
                c["tp"] += 1
        key = (cls, g, split)
        if verbose and len(examples[key]) < 3:
            ctx = raw[max(0, s - 70):e + 15].decode(errors="replace").replace("\n", "⏎")
            examples[key].append(f"{raw[s:e].decode(errors='replace')!r} in …{ctx}…")

    for split in splits:
        for _, raw, gold, found in spans_of(split, variant):
            for m in PW_HASH_KEY.finditer(raw):
                note("pw-hash-key", split, raw, gold, found, m.start(2), m.end(2))
            for m in PASS_SUFFIX.finditer(raw):
                k = m.group(1).lower()
                if k in (b"pass",) or k.endswith((b"bypass", b"compass", b"boarding_pass", b"boardingpass")):
                    continue
                note("pass-suffix", split, raw, gold, found, m.start(2), m.end(2))
                if password_shape(m.group(2)) and not k.endswith((b"bypass", b"compass")):
                    note("pass-suffix-shaped", split, raw, gold, found, m.start(2), m.end(2))
                    if not re.search(rb"[_.\-]pass$", k) or not re.match(rb"[ \t]*[:=]", raw[m.end(1):m.end(1) + 8]):
                        note("pass-suffix-new", split, raw, gold, found, m.start(2), m.end(2))
            for m in GLUED_P.finditer(raw):
                note("glued-p", split, raw, gold, found, m.start(2), m.end(2))
                if not m.group(1):
                    note("glued-p-uUSER", split, raw, gold, found, m.start(2), m.end(2))
            for m in NAME_VALUE.finditer(raw):
                note("name-value", split, raw, gold, found, m.start(4), m.end(4))
            for m in AS_PASSWORD.finditer(raw):
                note("as-password", split, raw, gold, found, m.start(1), m.end(1))
            for s, e, psk in csv_cells(raw):
                note("csv-pw-column", split, raw, gold, found, s, e)
                if psk:
                    note("csv-psk-column", split, raw, gold, found, s, e)
            for m in SLASH_AT.finditer(raw):
                note("user-slash-pw-at", split, raw, gold, found, m.start(2), m.end(2))
            for m in LONG_USER.finditer(raw):
                note("long-user-flag", split, raw, gold, found, m.start(1), m.end(1))
            for m in QUOTED_PAIR.finditer(raw):
                note("quoted-pair", split, raw, gold, found, m.start(1), m.end(1))
            for m in EAP.finditer(raw):
                note("eap-secret", split, raw, gold, found, m.start(1), m.end(1))

    print(f"variant {variant}, {len(splits)} splits")
    print(f"{'class':<20}{'split':<9}{'gold PW':>8}{'other':>7}{'none':>6}{'rep PW':>8}{'TP':>5}")
    for cls in CLASSES:
        tot = Counter()
        rows = sorted((s, c) for (k, s), c in count.items() if k == cls)
        for s, c in rows:
            tot.update(c)
            print(f"{cls:<20}{s:<9}{c['PW']:>8}{c['other']:>7}{c['none']:>6}{c['rep_pw']:>8}{c['tp']:>5}")
        gold_splits = sum(1 for s, c in rows if c["PW"])
        print(f"{cls:<20}{'TOTAL':<9}{tot['PW']:>8}{tot['other']:>7}{tot['none']:>6}{tot['rep_pw']:>8}{tot['tp']:>5}"
              f"  (gold PW in {gold_splits} splits)")
    if verbose:
        for key, ex in sorted(examples.items()):
            for x in ex:
                print(*key, x, sep=" | ")


if __name__ == "__main__":
    main()
