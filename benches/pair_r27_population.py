#!/usr/bin/env python3
"""Twenty-seventh round, task pair: the `user / password` pair and the reaches that could
find it cheaply, counted on every training split.

usage: pair_r27_population.py VARIANT [SPLIT ...] [--show GROUP] [--threshold N]

Each group yields every place of its construction; the value there is judged by the
twenty-fifth round's value test (`password_r25_population.shape_no` / `shape_score`, the
same as `src/redact/detect/evidence_r25p.rs`'s `look_alike` / `shape_score`). Per split and
group: the candidates whose value passes (score >= threshold) by gold label (PASSWORD /
GENERIC_SECRET / other entity / none), the gold ones VARIANT missed, [all candidates].

Groups:
  slash-user  the twenty-sixth round's pair: a user name's shape (small letters, digits,
              `._-`, a letter first, up to 24 bytes), ` / `, a token (no vendor's id);
  slash-colon the same pair right after a `:` or `=` (`Zugang: admin / X`, `Notfallkonto:
              breakglass / X`) where the engine's reach stops: the `key=value` pass's
              anchors, past the colon pass's one-byte test (a blank, a letter, a digit or
              `)` before the `:`), one blank after it and a small letter (`reached`): the
              rule this round takes (`src/redact/detect/evidence_r27p.rs`);
  slash-unreached the same after a `:` or `=` the reach passes over (`"key": admin / X`,
              two blanks);
  slash-gt    the same after `>` and blanks (`<nick> app / X`, an IRC log's nick): the
              `key=value` pass's third anchor;
  slash-other the pair after anything else (`router 10.0.0.1 admin / X`);
  dsn         `user:VALUE@` with no scheme before (`servers = ["telegraf:X@tcp(…)"]`):
              a URL's userinfo without its `//`;
  percent     `DOMAIN\\user%VALUE` (`smbclient -U 'CORP\\bob%X'`, Samba's user%password).

Then leave-one-writer-out over the last blind training splits (blind15, blind18 … blind26) for `slash-colon`, `slash-gt`
and both together: the threshold chosen on the other training splits (the lowest whose new
findings are >= 0.98 PASSWORD), the held-out split's new findings at it.
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import (  # noqa: E402
    REGEX_CLASS, SLASH_USER, VENDOR_ID, collect, line, new_rows, parse_args, token_at)

DSN = re.compile(rb"(?<![A-Za-z0-9._/@:%$\\-])([A-Za-z][A-Za-z0-9._-]{0,31}):(?=[^\s/\"'`@])")
PERCENT = re.compile(rb"[A-Za-z0-9-]{2,}\\{1,2}([A-Za-z0-9._-]{1,32})%(?=\S)")
GROUPS = ["slash-user", "slash-colon", "slash-unreached", "slash-gt", "slash-other", "dsn",
          "percent"]
LOWO = ["blind15", "blind18", "blind19", "blind20", "blind21", "blind22", "blind23",
        "blind24", "blind25", "blind26"]
THRESHOLDS = range(2, 7)


def reached(raw, q):
    """Whether the engine's reach (`bytes::prose_colon_start`'s one-byte test, then
    `evidence_r27p::pair_after`) stops at the `:`/`=` at q: the byte before it a blank, a
    letter, a digit or `)` (`| 0x20`), one blank after it, a small letter after that."""
    return (q > 0 and (raw[q - 1] | 0x20) in REACH_BEFORE and raw[q + 1:q + 2] == b" "
            and raw[q + 2:q + 3].islower())


REACH_BEFORE = set(b" )0123456789abcdefghijklmnopqrstuvwxyz")


def slash_anchor(raw, start):
    """The group of the pair whose user word starts at `start`, by the byte before it."""
    j = start
    while j > 0 and raw[j - 1] in b" \t":
        j -= 1
    if j == start:  # no blank: `(`, `[`, a line's start
        return "slash-other"
    b = raw[j - 1:j]
    if b in (b":", b"="):
        return "slash-colon" if reached(raw, j - 1) else "slash-unreached"
    return {b">": "slash-gt"}.get(b, "slash-other")


def generate(raw):
    """(group, value_start, value_end, context_start) for every candidate."""
    for m in SLASH_USER.finditer(raw):
        t = token_at(raw, m.end())
        # A value opening with `-` or holding a regular expression's class is none
        # (`evidence_r26p::flag_value_password`).
        if (t and not VENDOR_ID.match(raw[t[0]:t[1]]) and raw[t[0]:t[0] + 1] != b"-"
                and not REGEX_CLASS.search(raw[t[0]:t[1]])):
            yield "slash-user", t[0], t[1], m.start()
            yield slash_anchor(raw, m.start()), t[0], t[1], m.start()
    for m in DSN.finditer(raw):
        at = raw.find(b"@", m.end(), m.end() + 66)
        v = raw[m.end():at] if at > m.end() else b""
        if v and not re.search(rb"[\s\"'`/:]", v):
            yield "dsn", m.end(), at, m.start()
    for m in PERCENT.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "percent", t[0], t[1], m.start()


def lowo(rows, groups):
    print(f"\nleave-one-writer-out, {'+'.join(groups)}: held-out split, threshold chosen on "
          "the others, its new findings PASSWORD/GENERIC_SECRET/other/none (and at 3)")
    rows = [r for r in rows if r["group"] in groups]
    for held in LOWO:
        train = [r for r in rows if r["split"] != held]
        test = [r for r in rows if r["split"] == held]
        chosen = None
        for t in THRESHOLDS:
            n = new_rows(train, t)
            if n and sum(r["gold"] == "PASSWORD" for r in n) / len(n) >= 0.98:
                chosen = t
                break
        out = [] if chosen is not None else ["no threshold (no new finding on the others)"]
        for t in (chosen, 3) if chosen is not None else (3,):
            n = Counter(r["gold"] for r in new_rows(test, t))
            tot = sum(n.values())
            prec = n["PASSWORD"] / tot if tot else 1.0
            out.append(f"t={t} {n['PASSWORD']}/{n['GENERIC_SECRET']}/{n['other']}/{n['none']}"
                       f" precision {prec:.3f}")
        print(f"  {held:8} " + "   at ".join(out))


def main():
    variant, splits, show, threshold = parse_args(sys.argv[1:])
    rows = collect(variant, splits, show, threshold, candidates=generate, before=40)
    print(f"threshold {threshold}; per group: taken PASSWORD/GENERIC_SECRET/other/none "
          f"(of the gold, missed by {variant}: PASSWORD, GENERIC_SECRET) [all candidates]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        print(split.ljust(8), "  ".join(
            f"{g} {line([r for r in sr if r['group'] == g], threshold)}" for g in GROUPS))
    if all(s in splits for s in LOWO):
        for gs in (["slash-colon"], ["slash-gt"], ["slash-colon", "slash-gt"], ["dsn"]):
            lowo(rows, gs)


if __name__ == "__main__":
    main()
