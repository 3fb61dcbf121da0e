#!/usr/bin/env python3
"""Twenty-sixth round, task pw: the password and generic-secret candidates the scanner never
reaches — a tool's flag (`-P X`, `--pass X`, `-pX`, `/rp X`), a user / password pair
(`admin / X`, `admin:X` outside a URL) — counted on every training split.

usage: password_r26_population.py VARIANT [SPLIT ...] [--show GROUP] [--threshold N]

Each group's generator is generic (no tool's name): it yields every place of its
construction, and the value there is judged by last round's value test
(`password_r25_population.shape_no` / `shape_score`, the same as
`src/redact/detect/evidence_r25p.rs`'s `look_alike` / `shape_score`). Per split and group:
the candidates whose value passes (score >= threshold), by gold label (PASSWORD,
GENERIC_SECRET, other entity, none), and how many of the gold ones VARIANT missed.

Groups:
  slash      `USER / VALUE` — a user-like token, ` / `, a token to a blank or the line's end;
  slash-user the same with a user name's shape (small letters, digits, `._-`, a letter
             first, up to 24 bytes) and no vendor's id after it (`ch_…`, `txn_…`);
  colon      `USER:VALUE` — a user-like token glued to `:` and a token, not in a URL (no
             `//` before, no `@` after), not a `key: value` (no blank after the colon);
  flag       `-F VALUE`, `--flag VALUE`, `--flag=VALUE`, `/f VALUE` after a blank: every flag,
             its value a token (quotes stripped);
  flag-P     the capital `-P` flag's argument (not another flag): the rule this round takes
             (`src/redact/detect/evidence_r26p.rs`);
  glued-p    `-pVALUE` glued (`mysqldump -uroot -p…`).

Then leave-one-writer-out over the last eight blind splits for `flag-P` and `slash-user`:
the threshold chosen on the other training splits (the lowest whose new findings, taken and
not yet reported by VARIANT, are >= 0.98 PASSWORD), the held-out split's new findings at it.
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents, kind_of, parse_args  # noqa: E402,F401  (kind_of, parse_args: imported from here by older scripts)
from password_r25_population import shape_no, shape_score  # noqa: E402

USER = rb"[A-Za-z0-9][A-Za-z0-9._-]{1,39}"
TOKEN_END = re.compile(rb"[\s\"'`<>|;,)\]}]")
SLASH = re.compile(rb"(?:(?<=[\s:>(\[])|^)(" + USER + rb") / (?=\S)", re.M)
COLON = re.compile(rb"(?<![A-Za-z0-9._/@:%$\\-])(" + USER + rb"):(?=[^\s/\"'`])")
FLAG = re.compile(rb"(?<=[ \t])(--?[A-Za-z][A-Za-z0-9-]{0,30}|/[A-Za-z]{1,12})(=| +)(?=\S)")
GLUED = re.compile(rb"(?<=[ \t])-p(?=[^\s-])")


def token_at(raw, vs):
    """The value at vs: a quoted string (one line) or a token to a blank or `"'<>|;,)]}`."""
    q = raw[vs:vs + 1]
    if q in (b'"', b"'"):
        end = raw.find(q, vs + 1, vs + 66)
        if end < 0 or b"\n" in raw[vs + 1:end]:
            return None
        return vs + 1, end
    m = TOKEN_END.search(raw, vs, vs + 65)
    ve = m.start() if m else min(len(raw), vs + 65)
    if ve > vs and raw[ve - 1:ve] == b".":
        ve -= 1
    return (vs, ve) if ve > vs else None


SLASH_USER = re.compile(rb"(?:(?<=[\s:>(\[])|^)([a-z][a-z0-9._-]{1,23}) / (?=\S)", re.M)
VENDOR_ID = re.compile(rb"^[a-z]{2,4}_")
REGEX_CLASS = re.compile(rb"\][+*?{]")
FLAG_P = re.compile(rb"(?<=[ \t])-P +(?=[^\s-])")


def generate(raw):
    """(group, value_start, value_end, context_start) for every candidate."""
    for m in SLASH.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "slash", t[0], t[1], m.start()
    for m in SLASH_USER.finditer(raw):
        t = token_at(raw, m.end())
        if t and not VENDOR_ID.match(raw[t[0]:t[1]]):
            yield "slash-user", t[0], t[1], m.start()
    for m in COLON.finditer(raw):
        t = token_at(raw, m.end())
        if t and raw[t[1]:t[1] + 1] != b"@" and raw[m.end() - 3:m.end()] != b"://":
            yield "colon", t[0], t[1], m.start()
    for m in FLAG.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "flag", t[0], t[1], m.start()
    for m in FLAG_P.finditer(raw):
        t = token_at(raw, m.end())
        # A regular expression's class with a quantifier (`grep -P '^[A-Z]+$'`).
        if t and not REGEX_CLASS.search(raw[t[0]:t[1]]):
            yield "flag-P", t[0], t[1], m.start()
    for m in GLUED.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "glued-p", t[0], t[1], m.start()


GROUPS = ["slash", "slash-user", "colon", "flag", "flag-P", "glued-p"]
THRESHOLDS = range(2, 7)
LOWO = ["blind15", "blind18", "blind19", "blind20", "blind21", "blind22", "blind23", "blind24",
        "blind25"][-8:]


def collect(variant, splits, show=None, threshold=3, candidates=None, before=30):
    """Every candidate as a row: split, group, score (None: a look-alike), gold kind, whether
    VARIANT reported the gold entity over it (found) or any entity (reported). `candidates`
    is the generator (default: this script's `generate`); `show` prints a group's candidates
    scored `threshold` or more with `before` bytes before them."""
    candidates = candidates or generate
    rows = []
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            seen = set()
            for g, vs, ve, cs in candidates(raw):
                if (g, vs) in seen:
                    continue
                seen.add((g, vs))
                v = raw[vs:ve]
                k = kind_of(gold, vs, ve)
                row = dict(
                    split=split, group=g, score=None if shape_no(v) is not None else shape_score(v),
                    gold=k, found=k in ("PASSWORD", "GENERIC_SECRET")
                    and kind_of([f for f in found if f[0] == k], vs, ve) == k,
                    reported=kind_of(found, vs, ve) != "none",
                )
                rows.append(row)
                if show == g and row["score"] is not None and row["score"] >= threshold:
                    miss = k in ("PASSWORD", "GENERIC_SECRET") and not row["found"]
                    print(f"  {split}#{doc['id']} {k}{' MISS' if miss else ''}: {raw[max(0, cs - before):ve + 15]!r}")
    return rows


def taken(r, t):
    return r["score"] is not None and r["score"] >= t


def line(rows, t):
    c = Counter(r["gold"] for r in rows if taken(r, t))
    miss = Counter(r["gold"] for r in rows if taken(r, t) and r["gold"] in ("PASSWORD", "GENERIC_SECRET") and not r["found"])
    return (f"{c['PASSWORD']}/{c['GENERIC_SECRET']}/{c['other']}/{c['none']}"
            f" ({miss['PASSWORD']},{miss['GENERIC_SECRET']}) [{len(rows)}]")


def new_rows(rows, t):
    """The rule's new findings at threshold t: taken where VARIANT reported nothing."""
    return [r for r in rows if taken(r, t) and not r["reported"]]


def lowo(rows, group):
    print(f"\nleave-one-writer-out, {group}: held-out split, threshold chosen on the others, "
          "its new findings PASSWORD/GENERIC_SECRET/other/none (and at last round's 3)")
    for held in LOWO:
        train = [r for r in rows if r["group"] == group and r["split"] != held]
        test = [r for r in rows if r["group"] == group and r["split"] == held]
        chosen = None
        for t in THRESHOLDS:
            n = new_rows(train, t)
            if n and sum(r["gold"] == "PASSWORD" for r in n) / len(n) >= 0.98:
                chosen = t
                break
        if chosen is None:
            print(f"  {held:8} no threshold")
            continue
        out = []
        for t in (chosen, 3):
            n = Counter(r["gold"] for r in new_rows(test, t))
            tot = sum(n.values())
            prec = n["PASSWORD"] / tot if tot else 1.0
            out.append(f"t={t} {n['PASSWORD']}/{n['GENERIC_SECRET']}/{n['other']}/{n['none']}"
                       f" precision {prec:.3f}")
        print(f"  {held:8} " + "   at last round's ".join(out))


def main():
    variant, splits, show, threshold = parse_args(sys.argv[1:])
    rows = collect(variant, splits, show)
    print(f"threshold {threshold}; per group: taken PASSWORD/GENERIC_SECRET/other/none "
          f"(of the gold, missed by {variant}: PASSWORD, GENERIC_SECRET) [all candidates]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        print(split.ljust(8), "  ".join(f"{g} {line([r for r in sr if r['group'] == g], threshold)}" for g in GROUPS))
    if all(s in splits for s in LOWO):
        for g in ("flag-P", "slash-user"):
            lowo(rows, g)


if __name__ == "__main__":
    main()
