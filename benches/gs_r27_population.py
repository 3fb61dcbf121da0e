#!/usr/bin/env python3
"""Twenty-seventh round, task gs (issue #20): the population of each candidate construction
for GENERIC_SECRET recall, on every training split.

For each construction every candidate in the training splits is counted: gold
GENERIC_SECRET, gold PASSWORD, another entity's gold, or not gold, per split, and how many
of the gold ones the variant (`m8`, main's engine) already reports. A rule is worth taking
when its gold comes from three splits' writers or more and it is >= ~0.98 precise on each.

    gs_r27_population.py VARIANT [CLASS ...] [-s SPLIT] [-x N]

CLASS is one of the generators below (`aws40`, `aws40url`, ...); -x N prints N examples of
each class (training splits only); -s restricts to one split.
"""
import pii_splits  # the default split lists (benches/pii_splits.py)
import collections
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents  # noqa: E402

TRAINING = pii_splits.training()

AWS_ID = re.compile(rb"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])")
# An AWS secret access key: 40 bytes of the base64 alphabet (the vendor's documented
# shape), or the same URL-encoded (`%2B`, `%2F`) as a URL's userinfo writes it.
B64_40 = re.compile(rb"(?<![A-Za-z0-9/+%])(?:[A-Za-z0-9/+]|%2[BbFf]){40}(?![A-Za-z0-9/+%=])")


def entropy(v):
    c = collections.Counter(v)
    return -sum(n / len(v) * math.log2(n / len(v)) for n in c.values())


def secret_shape(v):
    """The engine's `secret_token_at` and `blank_pair_value` tests, as far as a script can
    say them: 16 bytes or more, two of lower case, upper case and digits, >= 3.0 bits per
    byte, no template or variable opening, no short hex (< 32 digits), no time stamp, no URL,
    no `=` before the end (base64 padding aside). A vendor's prefix is left in: its gold is
    counted as another entity's."""
    classes = sum(bool(re.search(p, v)) for p in (rb"[a-z]", rb"[A-Z]", rb"[0-9]"))
    return (len(v) >= 16 and classes >= 2 and entropy(v) >= 3.0
            and v[:1] not in (b"$", b"{", b"*", b"[", b"<", b"%", b"(", b"-")
            and not (len(v) < 32 and re.fullmatch(rb"[0-9a-fA-F]+", v))
            and not re.match(rb"[0-9]{4}-", v) and b"://" not in v
            and b"=" not in v.rstrip(b"="))


ID_KEY = re.compile(rb"(?:^|[^A-Za-z0-9])(?:[A-Za-z0-9]*[_-])?(?:id|Id|ID)[\"']?\s*[:=]\s*[\"']?$")


def decoded_len(v):
    return len(re.sub(rb"%2[BbFf]", b"+", v))


def aws40(raw):
    """Every 40-byte base64 token (decoded: `%2B` counts one) within 160 bytes after an AWS
    access key id, or 160 bytes before one; with a lower-case letter, a capital and a digit,
    and not all hex."""
    ids = [m.span() for m in AWS_ID.finditer(raw)]
    if not ids:
        return
    for m in re.finditer(rb"(?<![A-Za-z0-9/+%._-])(?:[A-Za-z0-9/+]|%2[BbFf]){40,60}(?![A-Za-z0-9/+%._-])", raw):
        v = m.group()
        if decoded_len(v) != 40:
            continue
        if not (re.search(rb"[a-z]", v) and re.search(rb"[A-Z]", v) and re.search(rb"[0-9]", v)):
            continue
        s, e = m.span()
        if ID_KEY.search(raw[max(0, s - 40):s]):
            continue  # the value of an identifier's member (a log event's `"id"`)
        after = [s - ie for (_, ie) in ids if 0 <= s - ie <= 160]
        before = [is_ - e for (is_, _) in ids if 0 <= is_ - e <= 160]
        if after:
            yield ("after<=%d" % (40 if min(after) <= 40 else 160), s, e)
        elif before:
            yield ("before<=160", s, e)


ROW = re.compile(rb"[ \t]*([A-Za-z][A-Za-z0-9_.:-]*)[ \t]{2,}(\S+)[ \t]*\r?")
SECRET_END = re.compile(rb"(?i)(?:secret|token|key)$")


def blanktable(raw, preds=()):
    """Rows of a table aligned with blanks (`NAME  VALUE`, two columns, a block of such
    lines) whose name ends in `secret`, `token` or `key`: `any` every such row, `anchored`
    those whose block holds another row with a finding of the variant (a password, a vendor
    key, a URL's credential: what the engine reaches without a trigger of its own)."""
    lines, pos = [], 0
    for ln in raw.split(b"\n"):
        lines.append((pos, pos + len(ln), ROW.fullmatch(ln)))
        pos += len(ln) + 1
    i = 0
    while i < len(lines):
        if not lines[i][2]:
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j][2]:
            j += 1
        block = lines[i:j]
        for (ls, le, m) in block:
            name = m.group(1)
            if not SECRET_END.search(name) or len(block) < 2:
                continue
            vs, ve = ls + m.start(2), ls + m.end(2)
            if not secret_shape(raw[vs:ve]):
                continue
            anchored = any(a < le2 and ls2 <= b and not (ls2 == ls) for (ls2, le2, _) in block for (t, a, b) in preds if ls2 <= a < le2)
            yield ("anchored" if anchored else "unanchored", vs, ve)
        i = j


CLASSES = {"aws40": aws40, "blanktable": blanktable}
NEEDS_PREDS = {"blanktable"}


def main():
    args = sys.argv[1:]
    var = args.pop(0)
    show, splits = 0, TRAINING
    if "-x" in args:
        i = args.index("-x"); show = int(args[i + 1]); del args[i:i + 2]
    if "-s" in args:
        i = args.index("-s"); splits = [args[i + 1]]; del args[i:i + 2]
    classes = args or list(CLASSES)
    for cname in classes:
        gen = CLASSES[cname]
        tot = collections.defaultdict(lambda: collections.Counter())
        shown = collections.Counter()
        for split in splits:
            for doc, raw, lab, gold, preds in documents(split, var):
                for sub, s, e in (gen(raw, preds) if cname in NEEDS_PREDS else gen(raw)):
                    g = [t for (t, a, b) in gold if a < e and s < b]
                    kind = g[0] if g else "not"
                    found = any(a < e and s < b for (t, a, b) in preds if t == kind) if g else any(a < e and s < b for (t, a, b) in preds)
                    c = tot[(sub, split)]
                    c[kind] += 1
                    if g and not found:
                        c["missed"] += 1
                    if not g and found:
                        c["fp_already"] += 1
                    if show and not (g and found) and shown[(sub, kind)] < show:
                        shown[(sub, kind)] += 1
                        print(f"  [{cname}/{sub}] {split}#{doc['id']} {kind}{' (found)' if found else ''}: {raw[max(0, s - 90):s]!r} <<{raw[s:e]!r}>> {raw[e:e + 30]!r}")
        print(f"== {cname}")
        subs = sorted({k[0] for k in tot})
        for sub in subs:
            agg = collections.Counter()
            for split in splits:
                c = tot.get((sub, split))
                if c:
                    agg.update(c)
                    print(f"  {sub:14} {split:8} " + " ".join(f"{k}={v}" for k, v in sorted(c.items())))
            print(f"  {sub:14} TOTAL    " + " ".join(f"{k}={v}" for k, v in sorted(agg.items())))


if __name__ == "__main__":
    main()
