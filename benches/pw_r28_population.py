#!/usr/bin/env python3
"""Twenty-eighth round, task pw: blind27's PASSWORD misses by construction — a glued `-p`
after a glued `-uUSER` (`mysql -uroot -pX`), a connect string's `user/password@` (`sqlplus
hr_admin/X@//host:1521/SVC`), `lftp -u user,X` — counted on every training split.

usage: pw_r28_population.py VARIANT [SPLIT ...] [--show GROUP] [--threshold N]

Each group yields every place of its construction (no tool's name in the generator); the
value there is judged by the twenty-fifth round's value test
(`password_r25_population.shape_no` / `shape_score`, the same as
`src/redact/detect/evidence_r25p.rs`'s `look_alike` / `shape_score`). Per split and group:
the candidates whose value passes (score >= threshold) by gold label (PASSWORD /
GENERIC_SECRET / other entity / none), the gold ones VARIANT missed, [all candidates].

Groups:
  u-p         `-uUSER` glued, blanks, `-pVALUE` glued, each after a blank (any tool);
  u-p-client  the same with a client's name holding `mysql` (`mysql`, `mysqldump`,
              `/usr/bin/mysql`) earlier on its line: where the reach this round
              builds stops (the prose searcher's literal `mysql`);
  glued-p     any `-pVALUE` glued after a blank (the twenty-sixth round's group);
  connect     `USER/VALUE@HOST` as one token after a blank, a quote or a line's start: a user
              name's shape (a letter first, letters, digits, `._$#-`, up to 30 bytes, in one
              case), one `/`, a value with no `/`, `@` or blank, an `@` and a host byte (a
              letter, a digit, `/`, `[`): Oracle's connect string (`sqlplus`, `expdp`, `rman`); the
              rule this round takes (`src/redact/detect/evidence_r28p.rs`), reached at the
              `@` the byte pass already stops at;
  comma       `-u USER,VALUE` (`lftp -u user,X`).
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import (  # noqa: E402
    GLUED, REGEX_CLASS, collect, line, parse_args, token_at)

U_P = re.compile(rb"(?<=[ \t])-u[A-Za-z][A-Za-z0-9._-]{0,31}[ \t]+-p(?=[^\s-])")
CONNECT = re.compile(
    rb"(?:(?<=[\s\"'=(])|^)([A-Za-z][A-Za-z0-9._$#-]{0,29})/([^\s/@\"'`<>|;,]{1,64})@(?=[A-Za-z0-9/\[])",
    re.M)
COMMA = re.compile(rb"(?<=[ \t])-u[ \t]+([A-Za-z][A-Za-z0-9._@-]{0,31}),(?=[^\s,])")
GROUPS = ["u-p", "u-p-client", "glued-p", "connect", "comma"]


def client_before(raw, start):
    """Whether `mysql` stands earlier on the line of `start` (within 200 bytes)."""
    ls = max(raw.rfind(b"\n", 0, start) + 1, start - 200)
    return b"mysql" in raw[ls:start]


def generate(raw):
    """(group, value_start, value_end, context_start) for every candidate."""
    for m in U_P.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "u-p", t[0], t[1], m.start()
            if client_before(raw, m.start()):
                yield "u-p-client", t[0], t[1], m.start()
    for m in GLUED.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "glued-p", t[0], t[1], m.start()
    for m in CONNECT.finditer(raw):
        vs, ve = m.start(2), m.end(2)
        user = m.group(1)
        if user != user.lower() and user != user.upper():  # a base64 run, no user name
            continue
        if raw[vs:vs + 1] != b"-" and not REGEX_CLASS.search(raw[vs:ve]):
            yield "connect", vs, ve, m.start()
    for m in COMMA.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "comma", t[0], t[1], m.start()


def main():
    variant, splits, show, threshold = parse_args(sys.argv[1:])
    rows = collect(variant, splits, show, threshold, candidates=generate, before=40)
    print(f"threshold {threshold}; per group: taken PASSWORD/GENERIC_SECRET/other/none "
          f"(of the gold, missed by {variant}: PASSWORD, GENERIC_SECRET) [all candidates]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        if split != "total" and not any(taken_any(r, threshold) for r in sr):
            continue
        print(split.ljust(8), "  ".join(
            f"{g} {line([r for r in sr if r['group'] == g], threshold)}" for g in GROUPS))
    print("\nsplits with gold, per group (PASSWORD taken / missed by the variant):")
    for g in GROUPS:
        c = Counter(r["split"] for r in rows if r["group"] == g and taken_any(r, threshold)
                    and r["gold"] == "PASSWORD")
        m = Counter(r["split"] for r in rows if r["group"] == g and taken_any(r, threshold)
                    and r["gold"] == "PASSWORD" and not r["found"])
        print(f"  {g:11} " + ", ".join(f"{s} {c[s]}/{m[s]}" for s in c))


def taken_any(r, t):
    return r["score"] is not None and r["score"] >= t


if __name__ == "__main__":
    main()
