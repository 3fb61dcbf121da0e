#!/usr/bin/env python3
"""Thirtieth round, task gs: blind29's GENERIC_SECRET misses by construction, counted on every
training split (and blind29, new to training this round).

usage: gs_r30_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), and how
many of the gold ones VARIANT missed (reported nothing of the gold type over them).

Groups:
  azure       an Azure AD client secret's shape anywhere (`[A-Za-z0-9_~.]{3}`, a digit, `Q~`,
              `[A-Za-z0-9_~.-]{31,34}`, no such byte either side: gitleaks'
              `azure-ad-client-secret`): the rule taken (`evidence_r30g::azure_client_secret`);
  az-as-pw    the same where VARIANT reported a PASSWORD over it;
  jwt-key     the `Key` member (any case) of a flat JSON object named `Jwt`, `JwtSettings`,
              `JwtOptions`, `JwtConfig`, `JwtBearer` (any case): the rule taken, before its
              shape test (`Detector::secret_shaped`);
  jwt-any     every string member of such a section whose name holds `key` or `secret`;
  key-other   the `Key` member of a flat object named anything else (the look-alikes);
  totp        a line's label naming a one-time password's seed (`TOTP`, `OTP`, `2FA`, `MFA`,
              with `secret` / `seed` / `key` after it or not), `:` or `=`, and a base32 run of
              16 to 64 bytes (RFC 4648's alphabet, one case) ending the line;
  totp-col    a base32 run of 16 or 32 capitals as a CSV row's last cell (a password manager's
              export's `login_totp` column), its header naming a TOTP column;
  csv-report  a row `RULE-ID,FILE,LINE,SECRET` of a secret scanner's CSV report after a
              header `RuleID,File,StartLine,Secret` (gitleaks' report columns);
  hmac        a constant named `HMAC` (`static final String HMAC = "…"`, `HMAC = …`);
  django      50 bytes of Django's `get_random_secret_key()` alphabet
              (`abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)`) after a blank, a quote,
              `=` or `:` and before a blank, a quote, `,`, `;`, `}` or the end, with three of
              `!@#$%^*()+`, two digits, ten letters: the rule taken
              (`evidence_r30g::django_secret_key`);
  django-no   the same 50-byte runs failing the symbol / digit / letter counts.
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pii_splits  # noqa: E402
from password_r26_population import kind_of, parse_args  # noqa: E402
from population import documents  # noqa: E402

AZURE = re.compile(rb"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])")
SECTION = re.compile(rb'"([A-Za-z0-9_]+)"\s*:\s*\{([^{}]*)\}')
MEMBER = re.compile(rb'"([A-Za-z0-9_]+)"\s*:\s*"((?:[^"\\]|\\.)*)"')
JWT_SECTION = re.compile(rb"(?i)jwt(?:_?(?:settings|options|config|bearer))?")
TOTP = re.compile(
    rb"(?im)^[ \t]*(?:totp|otp|2fa|mfa)(?:[ _-]?(?:secret|seed|key))?[ \t]*[:=][ \t]*"
    rb"([A-Z2-7]{16,64}|[a-z2-7]{16,64})=*[ \t]*\r?$")
TOTP_HEADER = re.compile(rb"(?im)^[^\n]*,[^\n,]*totp[^\n,]*$")
TOTP_CELL = re.compile(rb"(?m),([A-Z2-7]{16}|[A-Z2-7]{32})\r?$")
REPORT_HEADER = re.compile(rb"(?im)^RuleID,File,StartLine,Secret\r?$")
REPORT_ROW = re.compile(rb"(?m)^([a-z0-9]+(?:-[a-z0-9]+)+),([^,\n]+),(\d+),([^\n]+?)\r?$")
HMAC = re.compile(rb"\bHMAC\s*=\s*\"?([^\"\s;,]{8,})")
DJANGO = re.compile(rb"(?<=[\s\"'=:])([a-z0-9!@#$%^&*(\-_=+)]{50})(?=[\s\"',;}]|$)")
GROUPS = ["azure", "az-as-pw", "jwt-key", "jwt-any", "key-other", "totp", "totp-col",
          "csv-report", "hmac", "django", "django-no"]


def django_shape(v):
    """`evidence_r30g::django_secret_key`'s counts (the alphabet is the regex's)."""
    return (sum(v.count(c) for c in b"!@#$%^*()+") >= 3
            and sum(c in b"0123456789" for c in v) >= 2
            and sum(97 <= c <= 122 for c in v) >= 10)


def generate(raw, found):
    """(group, value_start, value_end) for every candidate."""
    for m in AZURE.finditer(raw):
        yield "azure", m.start(), m.end()
        if kind_of([f for f in found if f[0] == "PASSWORD"], m.start(), m.end()) == "PASSWORD":
            yield "az-as-pw", m.start(), m.end()
    for m in SECTION.finditer(raw):
        jwt = JWT_SECTION.fullmatch(m.group(1)) is not None
        for mm in MEMBER.finditer(m.group(2)):
            name = mm.group(1).lower()
            vs, ve = m.start(2) + mm.start(2), m.start(2) + mm.end(2)
            if jwt and name == b"key":
                yield "jwt-key", vs, ve
            if jwt and (b"key" in name or b"secret" in name):
                yield "jwt-any", vs, ve
            if not jwt and name == b"key":
                yield "key-other", vs, ve
    for m in TOTP.finditer(raw):
        yield "totp", m.start(1), m.end(1)
    if TOTP_HEADER.search(raw):
        for m in TOTP_CELL.finditer(raw):
            yield "totp-col", m.start(1), m.end(1)
    h = REPORT_HEADER.search(raw)
    if h:
        for m in REPORT_ROW.finditer(raw, h.end()):
            yield "csv-report", m.start(4), m.end(4)
    for m in HMAC.finditer(raw):
        yield "hmac", m.start(1), m.end(1)
    for m in DJANGO.finditer(raw):
        yield "django" if django_shape(m.group(1)) else "django-no", m.start(1), m.end(1)


def main():
    variant, splits, show, _ = parse_args(sys.argv[1:])
    if len(sys.argv) <= 2 or sys.argv[2].startswith("--"):
        splits = splits + [s for s in ["blind29"] if s not in splits]
    rows = []
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            for g, vs, ve in generate(raw, found):
                k = kind_of(gold, vs, ve)
                typed = [f for f in found if f[0] == k]
                miss = k in ("GENERIC_SECRET", "PASSWORD") and kind_of(typed, vs, ve) != k
                rows.append(dict(split=split, group=g, gold=k, miss=miss))
                if show == g:
                    print(f"  {split}#{doc['id']} {k}{' MISS' if miss else ''}: "
                          f"{raw[max(0, vs - 60):ve + 15]!r}")
    print(f"per group: GENERIC_SECRET/PASSWORD/other/none (gold missed by {variant}: "
          "GENERIC_SECRET, PASSWORD)")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        if not sr:
            continue
        cells = []
        for g in GROUPS:
            gr = [r for r in sr if r["group"] == g]
            if not gr:
                continue
            c = Counter(r["gold"] for r in gr)
            m = Counter(r["gold"] for r in gr if r["miss"])
            cells.append(f"{g} {c['GENERIC_SECRET']}/{c['PASSWORD']}/{c['other']}/{c['none']}"
                         f" ({m['GENERIC_SECRET']},{m['PASSWORD']})")
        print(split.ljust(8), "  ".join(cells))
    print("\nwriters (splits) holding gold GENERIC_SECRET, per group:")
    for g in GROUPS:
        c = Counter(r["split"] for r in rows if r["group"] == g and r["gold"] == "GENERIC_SECRET")
        print(f"  {g:10} " + ", ".join(f"{s} {n}" for s, n in c.items()))


if __name__ == "__main__":
    main()
