#!/usr/bin/env python3
"""Twenty-third round, task pw: the population of each PASSWORD evidence class over the
training splits, gold or not, found or not.

usage: password_r23_population.py VARIANT [SPLIT ...] [-v]

Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl (the splits default to the training
list) and counts, per class, every candidate read by a regex over the raw document: how many
are gold PASSWORD, gold of another entity (GENERIC_SECRET, ...) or nothing, and what VARIANT
reported on them. `-v` prints up to three examples per class, gold kind and split.

Classes (the evidence a writer cannot vary: the value's shape against its look-alikes, the
structure around it):
  hex32        a value of 32+ hex digits (one case) right after a password's key (`password`,
               `passwd`, `pwd`, `pass`; `=`, `:`, a blank, quotes): a digest or a token's shape
  hex32-any    every gold span of 32+ hex digits (one case), anywhere: which entity writers
               give that shape
  ref-id       the token ending the line after `<e-mail> / ` shaped like a ticket or case
               reference: 2-5 capitals, then digits, `-` between groups (`INC2020145`,
               `OPS-1087`, `CS-2025-69697`)
  ref-id-any   every gold PASSWORD span of that shape, anywhere
  label-pw     a flat JSON object with a `label` or `purpose` member naming a password
               (`pass`, `pwd`) and a `value` member: the value (1Password's item fields)
  label-secret the same, the label naming another secret (`secret`, `token`, `key`)
  sqlcmd-UP    the argument after an upper-case `-P` right after `-U USER` (`sqlcmd -U sa -P …`;
               a lower-case `-p` after `-U` is psql's port)
  net-use      the argument after `net use … /user:NAME` (Windows' `net use`)
  sp-secret    the `-p` argument on a line holding `--service-principal` (`az login
               --service-principal -u APP_ID -p SECRET`): a client secret
  token-pw     (writers' disagreement, counted only) a value of 32+ letters and digits of
               both cases, or base64 / `~` / `.`, not hex, right after a password's key
"""
import pii_splits  # the default split lists (benches/pii_splits.py)
import json
import os
import re
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents  # noqa: E402

PW_KEY = rb"""(?<![0-9A-Za-z])(?i:pass(?:word|wd)?|pwd)["']?(?:\s*(?:[:=]|=>)\s*|[ \t]+)["']?"""
HEX32 = re.compile(PW_KEY + rb"""((?:[0-9a-f]{32,}|[0-9A-F]{32,}))(?![0-9A-Za-z])""")
HEX32_ANY = re.compile(rb"^(?:[0-9a-f]{32,}|[0-9A-F]{32,})$")
TOKEN = re.compile(PW_KEY + rb"""([0-9A-Za-z+/=~._-]{32,})(?![0-9A-Za-z+/=~._-])""")
REF_ID = re.compile(rb"^[A-Z]{2,5}(?:-?[0-9]{2,})+$")
AFTER_EMAIL = re.compile(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+ / (\S{1,65})[ \t]*(?:\r?\n|$)")
SQLCMD_UP = re.compile(rb" -U +['\"]?[^\s'\"]+['\"]? +-P +['\"]?([^\s'\"]+)")
NET_USE = re.compile(rb"(?i:\bnet use )[^\n]*?/(?i:user):\S+[ \t]+([^\s/*][^\s]*)")
SP_SECRET = re.compile(rb"--service-principal[^\n]*? -p ([^\s'\"]+)")
FLAT_OBJECT = re.compile(rb"\{[^{}\[\]]{0,600}\}")


def spans_of(split, variant):
    for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
        yield doc["id"], raw, gold, found

def overlap(spans, s, e):
    return sorted({t for (t, a, b) in spans if a < e and s < b})


def gold_kind(gold, s, e):
    g = overlap(gold, s, e)
    if "PASSWORD" in g:
        return "PW"
    return "+".join(g) or "none"


def label_names(text, words):
    t = text.lower()
    return len(t) <= 64 and any(w in t for w in words)


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    variant = args[0]
    splits = args[1:] or pii_splits.training()
    count = Counter()
    found_as = defaultdict(Counter)
    where = defaultdict(set)
    examples = defaultdict(list)

    def note(cls, split, raw, gold, found, s, e):
        g = gold_kind(gold, s, e)
        count[(cls, g)] += 1
        f = overlap(found, s, e)
        found_as[cls]["+".join(f) or "nothing"] += 1
        where[cls].add(split)
        key = (cls, g)
        if verbose and len(examples[key]) < 3:
            ctx = raw[max(0, s - 60):e + 15].decode(errors="replace").replace("\n", "⏎")
            examples[key].append(f"{split}: {ctx}")

    for split in splits:
        for _, raw, gold, found in spans_of(split, variant):
            for m in HEX32.finditer(raw):
                note("hex32", split, raw, gold, found, m.start(1), m.end(1))
            for m in TOKEN.finditer(raw):
                v = m.group(1)
                if not HEX32_ANY.match(v) and re.search(rb"[a-z]", v) and re.search(rb"[A-Z]", v):
                    note("token-pw", split, raw, gold, found, m.start(1), m.end(1))
            for (t, s, e) in gold:
                v = raw[s:e]
                if HEX32_ANY.match(v):
                    note("hex32-any", split, raw, gold, found, s, e)
                if t == "PASSWORD" and REF_ID.match(v):
                    note("ref-id-any", split, raw, gold, found, s, e)
            for cls, rx in (("sqlcmd-UP", SQLCMD_UP), ("net-use", NET_USE), ("sp-secret", SP_SECRET)):
                for m in rx.finditer(raw):
                    note(cls, split, raw, gold, found, m.start(1), m.end(1))
            for m in AFTER_EMAIL.finditer(raw):
                if REF_ID.match(m.group(1)):
                    note("ref-id", split, raw, gold, found, m.start(1), m.end(1))
            for m in FLAT_OBJECT.finditer(raw):
                try:
                    obj = json.loads(m.group(0))
                except ValueError:
                    continue
                if not isinstance(obj, dict) or not isinstance(obj.get("value"), str):
                    continue
                names = [v for k, v in obj.items() if k.lower() in ("label", "purpose") and isinstance(v, str)]
                if not names:
                    continue
                cls = None
                if any(label_names(n, ("pass", "pwd")) for n in names):
                    cls = "label-pw"
                elif any(label_names(n, ("secret", "token", "key")) for n in names):
                    cls = "label-secret"
                if cls is None:
                    continue
                v = obj["value"].encode()
                at = m.group(0).find(b'"value"')
                s = m.start() + m.group(0).find(b'"', at + 7 + m.group(0)[at + 7:].find(b":")) + 1
                if not v or raw[s:s + len(v)] != v:
                    continue
                note(cls, split, raw, gold, found, s, s + len(v))

    classes = ["hex32", "hex32-any", "ref-id", "ref-id-any", "label-pw", "label-secret", "sqlcmd-UP", "net-use",
               "sp-secret", "token-pw"]
    print(f"variant {variant}, {len(splits)} splits")
    print(f"{'class':<14}{'gold PW':>8}{'gold other':>12}{'none':>6}  reported by {variant}; splits")
    for cls in classes:
        pw = count[(cls, "PW")]
        none = count[(cls, "none")]
        other = sum(c for (k, g), c in count.items() if k == cls and g not in ("PW", "none"))
        kinds = {g: c for (k, g), c in count.items() if k == cls and g not in ("PW", "none")}
        print(f"{cls:<14}{pw:>8}{other:>12}{none:>6}  {dict(found_as[cls])}; {sorted(where[cls])} {kinds if kinds else ''}")
    if verbose:
        for key, ex in sorted(examples.items()):
            for x in ex:
                print(*key, x, sep=" | ")


if __name__ == "__main__":
    main()
