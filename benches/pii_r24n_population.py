#!/usr/bin/env python3
"""Populations of the twenty-fourth round's task num (issue #20): vendor keys glued to a word
byte before them, nine digits in a name/value pair named for the SSN, IPv6 addresses written
with `::` and then a port.

Usage: benches/pii_r24n_population.py VARIANT [SPLIT ...]   (SHOW=N prints N examples a class)

Reads the corpora /tmp/pii/<split>/corpus.jsonl with the gold labels and VARIANT's findings,
training splits only (the default: every training split; never a validation or honest one),
and counts every candidate of each class against the gold labels — gold of the class's
entity, not gold (of which `PH` a gold PLACEHOLDER: a documentation example the engine
reports as one), and the gold ones VARIANT missed — per split:

- `<ENTITY> left:<class>`: every vendor-key match (the engine's patterns: `sk-ant-…`,
  `sk-proj-…`, `sk_live_…`, `gh[pousr]_…`, `xox[abposr]-…`, `AKIA`/`ASIA` + 16, `AIza` + 35,
  a JWT's `eyJ….eyJ….…`) with the engine's own checks on the value (length, alphabet, no
  `_` in a Stripe or GitHub body, an OpenAI body's digits, letters and entropy, a JWT
  header that decodes to an object with `alg`/`typ`) and no word byte after it, sorted by
  the byte before it: `upper`, `lower`, `digit`, `_` (a word byte: the engine's `\\b` never
  reads it), or `free` (any other byte: what the engine reads already). For the word bytes
  the run of `[A-Za-z0-9_]` before the match is sorted once more: `ident` (an identifier in
  capitals and `_` that ends in a letter, `AWS_ACCESS_KEY_ID`, `GH_TOKEN`), `other`;
- `US_SSN pair:<name>`: the value member (`value`, `Value`, `ParameterValue`) of an object
  whose name member (`name`, `key`, `Name`, `Key`, `ParameterKey`) names the SSN or a tax
  id (`ssn`, `social_security_number`, `tax_id`, …), when the value is nine digits or
  `ddd-dd-dddd` (`ssn ok` when the SSN rules accept the digits, `ssn bad` when not);
- `US_SSN sheet:<name> bare|dashed ok|bad`: a cell of nine digits or `ddd-dd-dddd` in the
  column of a JSON sheet (an array whose first row is an array of strings, the header)
  whose header cell names the SSN;
- `IPV6 colons-port`: hex groups ending in `::`, then `:` and one to five digits (`…:8738:::5432`:
  no address holds `:::`, so the address ends at its `::` and the digits are a port).
"""
import pii_splits  # the default split lists (benches/pii_splits.py)
import base64
import collections
import json
import math
import os
import re
import sys

from pii_dates import findings, load

TRAINING = pii_splits.training()
SHOW = int(os.environ.get("SHOW", "0") or 0)

VENDOR = [
    ("JWT", re.compile(rb"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*")),
    ("ANTHROPIC_KEY", re.compile(rb"sk-ant-[A-Za-z0-9_\-]{20,}")),
    ("OPENAI_KEY", re.compile(rb"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}")),
    ("STRIPE_KEY", re.compile(rb"(?:sk|rk)_(?:live|test)_[A-Za-z0-9_]{16,}")),
    ("GITHUB_TOKEN", re.compile(rb"gh[pousr]_[A-Za-z0-9_]{36,}|github_pat_[A-Za-z0-9_]{40,}")),
    ("SLACK_TOKEN", re.compile(rb"xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-[0-9]+-[A-Za-z0-9\-]{10,}")),
    ("AWS_ACCESS_KEY", re.compile(rb"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}")),
    ("GOOGLE_API_KEY", re.compile(rb"AIza[0-9A-Za-z_\-]{35}")),
]
TRIGGER = re.compile(rb"eyJ|sk-|sk_|rk_|gh[pousr]_|github_pat_|xox[abposr]-|xapp-|AKIA|ASIA|ABIA|ACCA|AIza")


def is_word(b):
    return b is not None and (chr(b).isascii() and (chr(b).isalnum() or b == 0x5F))


def entropy(b):
    c = collections.Counter(b)
    return -sum(n / len(b) * math.log2(n / len(b)) for n in c.values())


def jwt_header_ok(tok):
    h = tok.split(b".")[0]
    try:
        o = json.loads(base64.urlsafe_b64decode(h + b"=" * (-len(h) % 4)))
    except Exception:
        return False
    return isinstance(o, dict) and ("alg" in o or "typ" in o)


def value_ok(ent, t):
    if ent == "JWT":
        return jwt_header_ok(t)
    if ent == "OPENAI_KEY":
        if t.startswith(b"sk-ant-"):
            return False
        body = t[3:]
        return ((len(body) >= 32 or any(body.startswith(p) for p in (b"proj-", b"svcacct-", b"admin-")))
                and any(c in b"0123456789" for c in body) and any(chr(c).isalpha() for c in body)
                and entropy(body) > 3.0)
    if ent == "STRIPE_KEY":
        return b"_" not in t[8:]
    if ent == "GITHUB_TOKEN":
        return t.startswith(b"github_pat_") or b"_" not in t[4:]
    return True


# An environment variable's name in capitals: a capital first and last, a `_` inside, 4 to
# 64 bytes (`GH_TOKEN`, `AWS_ACCESS_KEY_ID`, `SERVICE_JWT`).
ENV_NAME = re.compile(rb"[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z]")


def left_class(raw, s):
    b = raw[s - 1] if s > 0 else None
    if not is_word(b):
        return "free"
    c = chr(b)
    cls = "upper" if c.isupper() else "lower" if c.islower() else "digit" if c.isdigit() else "_"
    j = s
    while j > 0 and is_word(raw[j - 1]):
        j -= 1
    run = raw[j:s]
    if len(run) > 64:
        return f"{cls}/long"
    shape = "ident" if ENV_NAME.fullmatch(run) else "caps" if re.fullmatch(rb"[A-Z0-9_]+", run) else "other"
    return f"{cls}/{shape}"


SSN_NAMES = {"ssn", "social_security_number", "socialsecuritynumber", "tax_id", "taxid", "tin",
             "national_id", "us_ssn", "ssn_number"}
PAIR_NAME_KEYS = {"name", "key", "parameterkey"}
PAIR_VALUE_KEYS = {"value", "parametervalue"}
OBJ = re.compile(rb"\{[^{}]*\}")
MEMBER = re.compile(rb'\\?"([A-Za-z_]+)\\?"[ \t]*:[ \t]*\\?"([^"\\]*)\\?"')
NINE = re.compile(rb"[0-9]{9}|[0-9]{3}-[0-9]{2}-[0-9]{4}")


def ssn_ok(d):
    a, g, s = int(d[:3]), int(d[3:5]), int(d[5:])
    return a not in (0, 666) and a < 900 and g != 0 and s != 0


def norm(name):
    n = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().replace("-", "_").replace(" ", "_")
    return n.rsplit("/", 1)[-1]


IPV6_PORT = re.compile(rb"(?<![0-9A-Za-z_:.])([0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){1,7}::):([0-9]{1,5})(?![0-9A-Za-z_:.])")


def sheets(v, ptr):
    """(pointer, rows) of every array whose first element is an array of strings (a header
    row) followed by arrays (rows)."""
    if isinstance(v, dict):
        for k, c in v.items():
            yield from sheets(c, f"{ptr}/{k.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(v, list):
        if len(v) > 1 and isinstance(v[0], list) and v[0] and all(isinstance(c, str) for c in v[0]):
            yield ptr, v
        for i, c in enumerate(v):
            yield from sheets(c, f"{ptr}/{i}")


def overlaps(spans, typ, s, e):
    return any(t == typ and a < e and s < b for (t, a, b) in spans)


def main():
    variant = sys.argv[1]
    splits = sys.argv[2:] or TRAINING
    for s in splits:
        if s in ("blind16", "blind17", "blind24", "blind25"):
            raise SystemExit(f"refused: {s} is no training split")
    stats = collections.defaultdict(lambda: [0, 0, 0, collections.Counter(), collections.Counter(), 0])
    shown = collections.Counter()

    def count(cls, entity, split, doc, raw, spans, found, s, e):
        g = overlaps(spans, entity, s, e)
        st = stats[(entity, cls)]
        st[0 if g else 1] += 1
        st[3 if g else 4][split] += 1
        if g and not overlaps(found, entity, s, e):
            st[2] += 1
        if not g and overlaps(spans, "PLACEHOLDER", s, e):
            st[5] += 1
        if SHOW and shown[(entity, cls)] < SHOW and cls != "free":
            shown[(entity, cls)] += 1
            print(f"  [{entity} {cls}] {split}#{doc} {'gold' if g else 'not'}: {raw[max(0, s - 50):e + 20]!r}")

    for split in splits:
        C, L, F = load(split, variant)
        for d in C:
            raw = d["text"].encode()
            lab = L[d["id"]]
            spans = [(x["type"], x["start"], x["end"]) for x in lab["spans"]]
            found = findings(raw, lab.get("strings", {}), F[d["id"]])
            # vendor keys
            for m in TRIGGER.finditer(raw):
                p = m.start()
                for ent, rx in VENDOR:
                    mm = rx.match(raw, p)
                    if not mm:
                        continue
                    e = mm.end()
                    after = raw[e] if e < len(raw) else None
                    if is_word(after) or not value_ok(ent, mm.group()):
                        continue
                    count(left_class(raw, p), ent, split, d["id"], raw, spans, found, p, e)
                    break
            # SSN in a name/value pair
            for o in OBJ.finditer(raw):
                mem = {k.decode().lower(): (v, o.start() + mm.start(2)) for mm in MEMBER.finditer(o.group()) for k, v in [mm.groups()]}
                names = [mem[k][0].decode(errors="replace") for k in mem if k in PAIR_NAME_KEYS]
                vals = [mem[k] for k in mem if k in PAIR_VALUE_KEYS]
                if not names or not vals:
                    continue
                named = [n for n in names if norm(n) in SSN_NAMES]
                if not named:
                    continue
                for v, at in vals:
                    if not NINE.fullmatch(v):
                        continue
                    dg = v.replace(b"-", b"").decode()
                    cls = f"pair:{norm(named[0])} ssn {'ok' if ssn_ok(dg) else 'bad'}"
                    count(cls, "US_SSN", split, d["id"], raw, spans, found, at, at + len(v))
            # SSN column of a JSON sheet (a header row naming it, rows of cells)
            if d.get("kind") == "json":
                strings = lab.get("strings", {})
                try:
                    doc = json.loads(d["text"])
                except Exception:
                    doc = None
                for ptr, rows in sheets(doc, ""):
                    head = rows[0]
                    cols = [j for j, c in enumerate(head) if isinstance(c, str) and norm(c) in SSN_NAMES]
                    for j in cols:
                        for i, row in enumerate(rows[1:], 1):
                            if not isinstance(row, list) or j >= len(row) or not isinstance(row[j], str):
                                continue
                            v = row[j].encode()
                            at = strings.get(f"{ptr}/{i}/{j}")
                            if at is None or not NINE.fullmatch(v):
                                continue
                            dg = v.replace(b"-", b"").decode()
                            cls = f"sheet:{norm(head[j])} {'bare' if len(v) == 9 else 'dashed'} {'ok' if ssn_ok(dg) else 'bad'}"
                            count(cls, "US_SSN", split, d["id"], raw, spans, found, at, at + len(v))
            # IPv6 `::` then a port
            for m in IPV6_PORT.finditer(raw):
                count("colons-port", "IPV6", split, d["id"], raw, spans, found, m.start(1), m.end(1))

    print(f"{'entity':<15} {'class':<28} {'gold':>6} {'not':>6} {'(PH)':>6} {'missed':>6}  splits (gold / not)")
    for (ent, cls), (g, n, miss, gs, ns, ph) in sorted(stats.items()):
        per = ", ".join(f"{s} {gs[s]}/{ns[s]}" for s in sorted(set(gs) | set(ns)))
        if cls == "free":
            per = f"{len(set(gs) | set(ns))} splits"
        print(f"{ent:<15} {cls:<28} {g:>6} {n:>6} {ph:>6} {miss:>6}  {per}")


if __name__ == "__main__":
    main()
