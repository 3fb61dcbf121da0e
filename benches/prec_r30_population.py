#!/usr/bin/env python3
"""Thirtieth round, task prec: GENERIC_SECRET, PASSWORD, PLACEHOLDER, PRIVATE_KEY and
CREDIT_CARD precision. Each candidate construction's population on the training splits:
every place of it in the corpora (by gold label, per split), and every finding of a variant
inside it (gold / not, per split): what a rule built on it would remove.

usage: prec_r30_population.py VARIANT [SPLIT ...] [--show GROUP]
  Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl for every training split (the
  validation and honest splits are refused). Findings are matched to gold as `pii_score.py`
  matches (`prec_r27_population.findings`, over this round's training splits).

Taken (`src/redact/detect/evidence_r30n.rs`, the same constructions): env-reference and
lookup-table (`reference`), unattend-pass (`unattend_pass`), idoc-number, ofx-fitid and
chip-number (`not_card`). Reported, not taken: scan-summary (one writer, no document).

Groups (the generators name no tool and no writer's phrasing):
  env-reference  a reference to an environment variable in a language's or a tool's own
                 syntax: PowerShell `$env:NAME` (about_Environment_Variables), LiteLLM's
                 `os.environ/NAME` (its proxy config's documented form), Ruby `ENV['NAME']`
                 / `ENV[NAME]`, Node `process.env.NAME`, cmd.exe `%NAME%`: the value is
                 read from the variable, the text holds its name;
  lookup-table   a Postfix lookup table `type:/path` (DATABASE_README, postconf(5): a
                 `*_maps` parameter names a table by its type and file, `hash:/etc/postfix/
                 sasl_passwd`); the place is the `type:/path` wherever it stands;
  unattend-pass  the `pass` attribute of an unattend.xml `<settings>` element (Microsoft's
                 "Unattended Windows Setup Reference": one of the seven configuration passes,
                 windowsPE … oobeSystem);
  idoc-number    sixteen digits after a SAP IDoc's control record name `EDI_DC40` or the
                 word `IDoc` (the control record's DOCNUM, the IDoc number, CHAR 16);
  ofx-fitid      the digits of an OFX `<FITID>` element (OFX 2.2 section 3.2.1: the financial
                 institution's transaction id);
  chip-number    fifteen digits after `chip` / `microchip` (ISO 11784: a pet's transponder
                 code, a country or manufacturer code and a national id);
  scan-summary   a line of a scanner's run summary `INF <n> leaks found` below a CSV row whose
                 rule id names a password (`hardcoded-password,src/config.py,336,…`): the
                 row read as a password column's header (reported only).
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prec_r27_population as p27  # noqa: E402
from password_r26_population import parse_args  # noqa: E402

TRAINING = ["dev", "heldout"] + [f"blind{i}" for i in range(2, 16)] + [
    f"blind{i}" for i in range(18, 30)]
REFUSED = {"blind16", "blind17", "blind30", "blind31"}

NAME = rb"[A-Za-z_][A-Za-z0-9_]*"
# A whole token: after the text's start, a blank, a quote, `=`, `:` or `(`; before its end,
# a blank, a quote, `,`, `;`, `)`, `}` or a JSON escape.
ENV_REF = re.compile(
    rb"(?:(?<=[\s'\"=:(])|^)(?:\$env:" + NAME + rb"|os\.environ/" + NAME + rb"|ENV\[['\"]?"
    + NAME + rb"['\"]?\]|process\.env\." + NAME + rb"|%[A-Z_][A-Z0-9_]*%)(?=[\s'\",;)}\\]|$)")
LOOKUP = re.compile(rb"(?<![A-Za-z0-9_])(?:hash|btree|lmdb|cdb|dbm|sdbm|texthash|regexp|pcre"
                    rb"|cidr|proxy:[a-z]+):/[A-Za-z0-9_./-]+")
UNATTEND = re.compile(rb"<settings pass=\\?['\"](windowsPE|offlineServicing|generalize|specialize"
                      rb"|auditSystem|auditUser|oobeSystem)\\?['\"]")
IDOC = re.compile(rb"(?<![A-Za-z0-9])(?:EDI_DC40|IDoc)[ \t]+(\d{16})(?![0-9])")
FITID = re.compile(rb"<FITID>(\d+)(?![0-9])")
CHIP = re.compile(rb"(?i)(?<![a-z0-9])(?:micro)?chip:?[ \t]+(\d{15})(?![0-9])")
SUMMARY = re.compile(rb"(?m)^INF \d+ leaks found")
GROUPS = ["env-reference", "lookup-table", "unattend-pass", "idoc-number", "ofx-fitid", "chip-number",
          "scan-summary"]


def spans(raw):
    """(group, start, end) of every place of every construction in `raw`."""
    for m in ENV_REF.finditer(raw):
        yield "env-reference", m.start(), m.end()
    for m in LOOKUP.finditer(raw):
        yield "lookup-table", m.start(), m.end()
    for m in UNATTEND.finditer(raw):
        yield "unattend-pass", m.start(1), m.end(1)
    for m in IDOC.finditer(raw):
        yield "idoc-number", m.start(1), m.end(1)
    for m in FITID.finditer(raw):
        yield "ofx-fitid", m.start(1), m.end(1)
    for m in CHIP.finditer(raw):
        yield "chip-number", m.start(1), m.end(1)
    for m in SUMMARY.finditer(raw):
        yield "scan-summary", m.start(), m.end()


def main():
    argv = sys.argv[1:]
    positional = [a for j, a in enumerate(argv) if not a.startswith("--")
                  and (j == 0 or not argv[j - 1].startswith("--"))]
    variant, splits, show, _threshold = parse_args(
        argv + (TRAINING if len(positional) == 1 else []))
    p27.TRAINING, p27.REFUSED = [s for s in splits if s in TRAINING], REFUSED
    assert not set(splits) & REFUSED
    places = collections.defaultdict(set)
    cons = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    examples = collections.defaultdict(list)
    for sp, _d, docs, labels in p27.splits():
        for i, doc in docs.items():
            raw = doc["text"].encode()
            gold = [(s["type"], s["start"], s["end"]) for s in labels[i]["spans"]]
            for g, s, e in spans(raw):
                places[sp, i].add((g, s, e))
                lab = "/".join(sorted({t for t, gs, ge in gold if gs < e and s < ge})) or "none"
                cons[g][sp][lab] += 1
                if g == show and len(examples[g]) < 60:
                    examples[g].append((sp, lab, raw[max(0, s - 60):e + 30]))
    removed = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    for sp, i, raw, gold, t, s, e, is_gold in p27.findings(variant):
        for g, ps, pe in places.get((sp, i), ()):
            if s < pe and ps < e:
                removed[g][sp][f"{t} {'gold' if is_gold else 'not'}"] += 1
    print(f"== places of each construction (per split: gold label there); findings of {variant}"
          " overlapping them")
    for g in GROUPS:
        tot = collections.Counter()
        for c in cons[g].values():
            tot.update(c)
        print(f"{g:14} places {dict(tot)} in {len(cons[g])} splits")
        print("    " + "; ".join(f"{sp} " + ", ".join(f"{k} {n}" for k, n in c.items())
                                  for sp, c in sorted(cons[g].items())))
        rt = collections.Counter()
        for c in removed[g].values():
            rt.update(c)
        print(f"    findings overlapping: {dict(rt)}")
        if rt:
            print("    " + "; ".join(f"{sp} " + ", ".join(f"{k} {n}" for k, n in c.items())
                                      for sp, c in sorted(removed[g].items())))
    for sp, lab, ctx in examples.get(show, []):
        print(sp, lab, ctx)


if __name__ == "__main__":
    main()
