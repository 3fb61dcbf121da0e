#!/usr/bin/env python3
"""Twenty-sixth round, task fmt: the populations of the formats blind25's writer brought for
SLACK_TOKEN, PHONE, EMAIL, IPV6, PLACEHOLDER and CREDIT_CARD, over every training split.

usage: fmt_r26_population.py VARIANT [-v SHAPE] [-s SPLIT]
  Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl for every training split (the
  validation and honest splits are refused). For each shape below, per split: the candidates
  (every occurrence of the shape in the raw documents, text and raw JSON alike), how many
  overlap a gold span of the shape's entity (gold), of another entity (other), none (unlabelled),
  and how many of the gold ones VARIANT already reports with the entity (found).
  With -v SHAPE, the candidates of that shape that are not gold, and those VARIANT misses.

Shapes (each follows a vendor's or a standard's format, not a writer's sentence):
  slack_refresh   Slack's token-rotation refresh token `xoxe-1-…` (and any `xoxe-`), as Slack's
                  token-rotation documentation writes it; `xoxe.xoxp-1-…` rotating access
                  tokens are counted apart (`slack_rotating`).
  e164_bare       a string value (between double quotes) that is a bare run of 10-15 digits and
                  a valid number with a `+` before it (phonenumbers' metadata): E.164 without
                  its `+`, as SMS gateways' JSON APIs (Vonage's `from`/`to`) write numbers.
  e164_bare_key   the same under a JSON key, by the key (counts only).
  e164_party      e164_bare under a key naming a message's endpoint (`to`, `from`, `recipient`,
                  `recipients`, `sender`, `originator`): the rule taken (`KeyClass::Party`).
  digits_party    every quoted 10-15 digit value under those keys, valid or not
                  (`digits_party_short`: 7-9 digits).
  url_comma_email an address whose local part follows a `,` after a `scheme://host` with no
                  blank between (a CSV row's URL cell, then the user's address): RFC 3986
                  allows a `,` in userinfo, but a URL whose userinfo holds a `,` before any `:`
                  and a `.`-dotted host-like name before it is a field separator, not userinfo.
  ipv6_colon_path an IPv6 address (RFC 4291 text, Python's `ipaddress`) followed by a `:` and a
                  byte no address holds (`/`, `~`): scp's and rsync's `host:path`.
  visa13          13 digits starting with 4 that pass Luhn (Visa's 13-digit PANs, ISO/IEC 7812).
  hex_sequence    the hex alphabet in order (`0123456789abcdef`, repeated) as a key's value.
  x_run           16 or more `x`/`X` as a key's value (after `=`/`:`/quotes).
"""
import collections
import ipaddress
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pii_score import finding_span, load  # noqa: E402
from pii_r21n_population import normalize_key  # noqa: E402

import phonenumbers  # noqa: E402

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + [f"blind{i}" for i in range(18, 26)]
# The twenty-sixth round's validation (blind16, blind17) and honest (blind26, blind27) splits.
REFUSED = {"blind16", "blind17", "blind26", "blind27"}


def luhn(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        n = int(c)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        s += n
    return s % 10 == 0


def e164_ok(d):
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse("+" + d, None))
    except phonenumbers.NumberParseException:
        return False


def ipv6_ok(t):
    try:
        ipaddress.IPv6Address(t.decode())
        return True
    except ValueError:
        return False


RE_SLACK = re.compile(rb"xoxe[-.][A-Za-z0-9.\-]*")
RE_QUOTED_DIGITS = re.compile(rb'"([0-9]{7,15})"')
RE_URL_COMMA = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]*://([^\s\"'`<>@/]*),([A-Za-z0-9._%+\-]+)@([A-Za-z0-9.\-]+)")
RE_IPV6_COLON = re.compile(rb"(?<![0-9A-Za-z_:.])([0-9A-Fa-f:.]{3,45}):(?=[^0-9A-Fa-f:.])")
RE_VISA13 = re.compile(rb"(?<![0-9A-Za-z_.\-/])4[0-9]{12}(?![0-9A-Za-z_])")
RE_HEXSEQ = re.compile(rb"(?:0123456789abcdef|0123456789ABCDEF)+")
RE_XRUN = re.compile(rb"(?<=[=:\"' ])(?:x{16,}|X{16,})(?![A-Za-z0-9])")
RE_KEY_BEFORE = re.compile(rb'"([^"]{1,40})"\s*:\s*$')


# The message-endpoint keys (`KeyClass::Party`), normalised as `json::keys::normalize_key`.
PARTY_KEYS = {"to", "from", "recipient", "recipients", "sender", "originator"}


normalize = normalize_key  # `json::keys::normalize_key`'s form, as pii_r21n_population's


def candidates(raw):
    """(shape, start, end, entity, note) for every candidate in raw."""
    for m in RE_SLACK.finditer(raw):
        shape = "slack_rotating" if m.group().startswith(b"xoxe.") else "slack_refresh"
        yield shape, m.start(), m.end(), "SLACK_TOKEN", m.group()[:12]
    for m in RE_QUOTED_DIGITS.finditer(raw):
        d = m.group(1).decode()
        k = RE_KEY_BEFORE.search(raw[max(0, m.start() - 48):m.start()])
        key = k.group(1).decode(errors="replace") if k else "(no key)"
        party = normalize(key) in PARTY_KEYS
        if party:
            yield "digits_party" if len(d) >= 10 else "digits_party_short", m.start(1), m.end(1), "PHONE", key
        if len(d) >= 10 and e164_ok(d):
            yield "e164_bare", m.start(1), m.end(1), "PHONE", key
            if party:
                yield "e164_party", m.start(1), m.end(1), "PHONE", key
    for m in RE_URL_COMMA.finditer(raw):
        before, local, dom = m.group(1), m.group(2), m.group(3)
        if b":" in before:  # `user:pa,ss@host`: a password with a comma
            yield "url_comma_colon", m.start(2), m.end(3), "EMAIL", before[:30]
            continue
        yield "url_comma_email", m.start(2), m.end(3), "EMAIL", before[:30]
    for m in RE_IPV6_COLON.finditer(raw):
        t = m.group(1)
        if t.count(b":") >= 2 and ipv6_ok(t):
            nxt = raw[m.end() + 1:m.end() + 2]
            yield "ipv6_colon_path", m.start(1), m.end(1), "IPV6", nxt
    for m in RE_VISA13.finditer(raw):
        if luhn(m.group().decode()):
            yield "visa13", m.start(), m.end(), "CREDIT_CARD", raw[max(0, m.start() - 20):m.start()]
    for m in RE_HEXSEQ.finditer(raw):
        if len(m.group()) >= 16:
            yield "hex_sequence", m.start(), m.end(), "PLACEHOLDER", raw[max(0, m.start() - 20):m.start()]
    for m in RE_XRUN.finditer(raw):
        yield "x_run", m.start(), m.end(), "PLACEHOLDER", raw[max(0, m.start() - 20):m.start()]


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        sys.exit(2)
    variant = args[0]
    verbose = args[args.index("-v") + 1] if "-v" in args else None
    splits = [args[args.index("-s") + 1]] if "-s" in args else TRAINING
    for s in splits:
        if s in REFUSED:
            sys.exit(f"refused: {s} is not a training split")
    table = collections.defaultdict(lambda: collections.Counter())
    keys = collections.defaultdict(collections.Counter)
    for split in splits:
        d = f"/tmp/pii/{split}"
        docs = load(d + "/corpus.jsonl")
        labels = {l["id"]: l for l in load(d + "/labels.jsonl")}
        preds = {r["id"]: r for r in load(d + f"/{variant}.jsonl")}
        for doc in docs:
            i = doc["id"]
            raw = doc["text"].encode()
            lab = labels[i]
            gold = [(g["type"], g["start"], g["end"]) for g in lab["spans"]]
            found = []
            for f in preds[i]["findings"]:
                sp = finding_span(f, lab["strings"], raw)
                if sp:
                    found.append(("PLACEHOLDER" if f.get("placeholder") else f["type"], sp[0], sp[1]))
            for shape, cs, ce, ent, note in candidates(raw):
                g = [t for (t, gs, ge) in gold if gs < ce and cs < ge]
                cls = "gold" if ent in g else ("other" if g else "unlabelled")
                hit = any(t == ent and fs < ce and cs < fe for (t, fs, fe) in found)
                c = table[(shape, split)]
                c[cls] += 1
                if cls == "gold" and hit:
                    c["found"] += 1
                if cls != "gold" and hit:
                    c["reported_not_gold"] += 1
                if shape == "e164_bare":
                    keys[note][cls] += 1
                if verbose == shape and (cls != "gold" or not hit):
                    print(f"  {split} {i} {cls} {g} found={hit} note={note!r} "
                          f"{raw[max(0, cs - 60):ce + 30].decode(errors='replace')!r}")
    shapes = sorted({s for (s, _) in table})
    for shape in shapes:
        tot = collections.Counter()
        print(f"\n{shape}: split gold/other/unlabelled (found of gold; reported not gold)")
        for split in splits:
            c = table.get((shape, split))
            if not c:
                continue
            tot.update(c)
            print(f"  {split:<8} {c['gold']:>5} {c['other']:>5} {c['unlabelled']:>5}   ({c['found']}; {c['reported_not_gold']})")
        n = tot["gold"] + tot["other"] + tot["unlabelled"]
        print(f"  {'all':<8} {tot['gold']:>5} {tot['other']:>5} {tot['unlabelled']:>5}   ({tot['found']}; {tot['reported_not_gold']})"
              f"  precision {tot['gold'] / n if n else float('nan'):.3f}")
    if keys:
        print("\ne164_bare by key: gold/other/unlabelled")
        for k, c in sorted(keys.items(), key=lambda kv: -sum(kv[1].values()))[:40]:
            print(f"  {k!r:<32} {c['gold']:>5} {c['other']:>5} {c['unlabelled']:>5}")


if __name__ == "__main__":
    main()
