#!/usr/bin/env python3
"""Twenty-fifth round, task pw: one generic score for a password's key and its value,
calibrated on the population of every candidate of the training splits, and estimated on an
unseen writer by leave-one-writer-out.

usage: password_r25_population.py VARIANT [-v] [--words] [--show CLASS]

A candidate is every place the engine's password trigger literals see (`pass`, `Pass`,
`PASS`, `ennwort`, `wachtwoord`, `mdp`, `contraseña`, `contrasena` in the cases the scanner
searches) inside a key: the identifier around the literal (letters, digits, `_`, `.`, `-`),
then a separator (a closing quote, blanks, `:`, `=`, `=>`, `:=`, `,`, an opening quote), then
a value (the quoted string, or the token up to a blank or `,;)]}`). Each candidate is scored
from two generic parts (the same as `src/redact/detect/evidence_r25p.rs`):

  1. the key's words: split at `_`, `-`, `.`, camelCase and digits; one word must be a
     password word (`PW_WORDS`, or a word ending in a long one: `smtppassword`,
     `beheerderswachtwoord`), none a word saying the value is no password (`NOT_WORDS`);
  2. the value's shape: the look-alikes' tests (templates, redaction marks, placeholders,
     paths and file names, URLs, e-mail addresses, versions, dates, hashes, identifiers,
     plain words) say no; else the score is the number of character classes (lower, upper,
     digit, symbol) plus one for 10 bytes or more plus one for an entropy of 3 bits per byte
     or more, and the candidate is taken at a score >= THRESHOLD.

Each candidate is labelled by the gold spans (PASSWORD, another entity: `GENERIC_SECRET` is
the writers' disagreement, or nothing) and by VARIANT's findings (a PASSWORD over the value:
found already). The rule's *new* findings are the taken candidates VARIANT did not report as a
PASSWORD. Printed: per split, the new findings (gold PASSWORD / GENERIC_SECRET / other / none)
per threshold; then leave-one-writer-out over the last eight blind splits: the threshold
chosen on the other training splits (the lowest whose new findings are >= 0.98 PASSWORD), and
the held-out split's precision of new findings and its PASSWORD recall before and after.
"""
import math
import os
import re
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pii_splits  # noqa: E402  (the default split lists)
from population import documents  # noqa: E402

# Where the scanner reaches the password rule (`detect::mod.rs`'s `PROSE_LITERALS`, in the
# cases it searches them; and the colon pass, `bytes::prose_colon_start`: a key ending in
# `pass`, `pwd`, `pw`, `mdp`, `contrasena`, `motdepasse` before blanks and `:` or `=`).
TRIGGERS = re.compile(
    rb"(?i:pa)(?:sswo|sswd|ssph|ssco|SSWO|SSWD|SSPH|SSCO|ss phr|SS PHR|ss |SS )"
    rb"|ennwort|ENNWORT|wachtw|Wachtw|WACHTW|se\xc3\xb1|SE\xc3\x91"
    rb"|depas|DEPAS|de_pas|DE_PAS|de-pas|de pas|DE PAS|(?:mdp|Mdp|MDP) "
    rb"|(?<=[ \n\"])(?:pw|Pw|PW) |(?:pwd|Pwd|PWD) "
    rb"|(?i:pass|pwd|pw|mdp|contrasena|motdepasse)(?=[ \t]*[:=])"
)
TYPO_QUOTES = tuple(c.encode() for c in "\u201e\u201c\u201d\u201a\u2018\u2019\u00ab\u00bb")
KEY_BYTE = re.compile(rb"[A-Za-z0-9_.\-]|[\x80-\xff]")

# Words naming a password, in the seven locales (a key's word, lower case).
PW_WORDS = {
    b"password", b"passwd", b"pass", b"pwd", b"pw", b"passphrase", b"passwort",
    b"kennwort", b"wachtwoord", b"mdp", b"motdepasse", b"contrase\xc3\xb1a", b"contrasena",
}
# A glued word ending in one of these is a password word too (`smtppassword`).
PW_SUFFIXES = (b"password", b"passwd", b"passwort", b"kennwort", b"wachtwoord", b"passphrase")
# `mot de passe` split in words.
PHRASES = ((b"mot", b"de", b"passe"),)
# Words saying the value is no password (a digest, a rule about passwords, a pointer).
NOT_WORDS = {
    b"hash", b"hashed", b"hasher", b"digest", b"salt", b"policy", b"policies", b"length", b"len",
    b"min", b"max", b"minlength", b"maxlength", b"expiry", b"expires", b"expire",
    b"expiration", b"expired", b"age", b"reset", b"hint", b"hints", b"file", b"path",
    b"dir", b"manager", b"url", b"uri", b"id", b"ttl", b"timeout", b"rule", b"rules",
    b"regex", b"pattern", b"strength", b"complexity", b"history", b"field", b"label",
    b"placeholder", b"prompt", b"forgot", b"forgotten", b"required", b"enc", b"encrypted",
    b"crypt", b"cipher", b"ref", b"secret", b"key", b"name", b"env", b"var", b"cmd",
    b"command", b"mode", b"type", b"method", b"auth", b"less", b"enabled", b"enable",
    b"disabled", b"disable", b"attempts", b"retries", b"lockout", b"change", b"changed",
    b"update", b"updated", b"last", b"set", b"validation", b"valid", b"error", b"message",
    b"msg", b"text", b"input", b"form", b"link", b"page", b"store", b"vault", b"source",
    b"provider", b"generator", b"script", b"sync", b"show", b"mask", b"masked", b"hidden",
    b"help", b"doc", b"docs", b"format", b"encoding", b"algorithm", b"algo", b"rotation",
    b"expiry", b"days", b"count", b"status", b"flag", b"option", b"options", b"spec", b"token",
    b"host", b"hostname", b"port", b"server",
}
BOOLS = {b"true", b"false", b"null", b"none", b"nil", b"yes", b"no", b"on", b"off", b"undefined"}
PLACEHOLDER_WORDS = (
    b"changeme", b"change_me", b"change-me", b"your", b"example", b"placeholder", b"dummy",
    b"sample", b"redacted", b"masked", b"hidden", b"removed", b"replace", b"todo", b"xxx",
    b"secret", b"password", b"passwort", b"wachtwoord", b"motdepasse", b"contrase",
    b"required", b"optional", b"notset", b"not_set", b"tbd", b"fixme", b"<", b">",
)
FILE_EXT = re.compile(
    rb"(?i)\.(?:txt|pem|key|json|ya?ml|env|conf|cfg|ini|properties|xml|p12|jks|pfx|crt|sh|py"
    rb"|gpg|asc|kdbx|enc|bin|log|csv|toml|php|js|rb|go|rs)$"
)
VERSION = re.compile(rb"^v?[0-9]+(?:\.[0-9]+)+(?:[-+][0-9A-Za-z.]+)?$")
DATE = re.compile(rb"^[0-9]{2,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}(?:[T ][0-9:.Z+-]*)?$")
EMAIL = re.compile(rb"^[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
HEX = re.compile(rb"^[0-9a-fA-F]{24,}$")
UUID = re.compile(rb"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
IDENT = re.compile(rb"^[a-z]+(?:[_.][a-z]+)+$|^[A-Z]+(?:_[A-Z]+)+$|^[A-Za-z][a-z]+(?:[A-Z][a-z]+)+$")
MAX_LEN, MIN_LEN = 64, 6


def key_words(key):
    """The key's words, lower case: split at `_`, `-`, `.`, blanks, camelCase, digits."""
    out = []
    for part in re.split(rb"[_\-. :]+", key):
        for w in re.findall(rb"[A-Z]+(?![a-z])|[A-Z]?[a-z\x80-\xff]+|[\x80-\xff]+", part):
            out.append(w.lower())
    return out


def key_verdict(words, parts=()):
    """'pw' when a word names a password and none says the value is none; 'not' when a word
    says so; None when no word names a password."""
    pw = any(w in PW_WORDS or (len(w) > 8 and w.endswith(PW_SUFFIXES)) for w in words)
    # A part between separators as a whole (`CONTRASEÑA`: its capitals split at the `Ñ`).
    pw |= any(part.lower().replace(b"\xc3\x91", b"\xc3\xb1") in PW_WORDS for part in parts)
    for ph in PHRASES:
        n = len(ph)
        pw |= any(tuple(words[i:i + n]) == ph for i in range(len(words) - n + 1))
    if not pw:
        return None
    if any(w in NOT_WORDS for w in words):
        return "not"
    return "pw"


def entropy(v):
    c = Counter(v)
    n = len(v)
    return -sum(k / n * math.log2(k / n) for k in c.values())


def shape_no(v):
    """The look-alike a value is (a reason), or None."""
    lv = v.lower()
    if not MIN_LEN <= len(v) <= MAX_LEN:
        return "length"
    if lv in BOOLS:
        return "bool"
    if b" " in v or b"\t" in v:
        return "blanks"
    if any(w in NOT_WORDS for w in re.split(rb"[-_.]", lv)):
        return "not-word"
    if v[:1] in (b"$", b"%", b"@", b"{", b"[", b"<", b"&") or b"${" in v or b"{{" in v or b"%s" in v or b"%(" in v:
        return "template"
    if b"***" in v or b"\xe2\x80\xa2\xe2\x80\xa2" in v or re.fullmatch(rb"(.)\1{5,}", v):
        return "redaction"
    if any(w in lv for w in PLACEHOLDER_WORDS):
        return "placeholder"
    if b"://" in v or v.startswith((b"/", b"./", b"~/", b"\\")) or b"\\" in v or FILE_EXT.search(v):
        return "path"
    if EMAIL.match(v):
        return "email"
    if VERSION.match(v) or DATE.match(v):
        return "version/date"
    if HEX.match(v.removeprefix(b"*")) or UUID.match(v) or v.startswith((b"$2", b"$argon", b"{SSHA}", b"sha256:")):
        return "hash/id"
    if IDENT.match(v):
        return "identifier"
    if re.fullmatch(rb"(?:[A-Z]?[a-z\x80-\xff]+(?:[-'][a-z\x80-\xff]+)?|[A-Z]+)[.?,]?", v):
        return "word"
    if v.endswith(b":"):
        return "label"
    if b"\xc2\xb0" in v:
        return "coordinate"
    if v[:1] in (b"(", b"[", b"]", b")", b"}") or v[-1:] in (b"(", b"["):
        return "code"
    if b".." in v:
        return "elision"
    if re.fullmatch(rb"[a-z]+:[A-Za-z_][A-Za-z0-9_./#-]*", v) or re.match(rb"[A-Za-z_]+=", v):
        return "reference"
    if re.fullmatch(rb"[0-9]+", v):
        return "digits"
    if re.fullmatch(rb"(?:[A-Z][a-z]{2,}){2,}[A-Z]*|[A-Z][a-z]{2,}[A-Z]{3,}", v):
        return "camel word"
    if re.search(rb"(?:[a-z]{3}|[A-Z]{3})[\[(]", v):
        return "call"
    if len(v) >= 40 and re.fullmatch(rb"[A-Za-z0-9+/=_-]+", v):
        return "token"
    return None


def shape_score(v):
    classes = (
        bool(re.search(rb"[a-z]", v))
        + bool(re.search(rb"[A-Z]", v))
        + bool(re.search(rb"[0-9]", v))
        + bool(re.search(rb"[^A-Za-z0-9]", v))
    )
    return classes + (len(v) >= 10) + (entropy(v) >= 3.0)


SEP = re.compile(rb"""["'`]?[ \t]*(?::=|=>|[:=,])?[ \t]*(?:[bruN]?["'`])?""")


def candidates(raw):
    """(key, key_start, value_start, value_end) at every trigger literal inside a key."""
    seen = set()
    for m in TRIGGERS.finditer(raw):
        ks = m.start()
        while ks > 0 and KEY_BYTE.match(raw[ks - 1:ks]) and m.start() - ks < 64:
            ks -= 1
        ke = m.start()
        while ke < len(raw) and KEY_BYTE.match(raw[ke:ke + 1]) and ke - m.start() < 64:
            ke += 1
        if (ks, ke) in seen:
            continue
        seen.add((ks, ke))
        # A variable's reference (`${SMTP_PASS:?missing}`, `$DB_PASSWORD`), no key.
        if raw[ks - 1:ks] == b"$" or raw[max(0, ks - 2):ks] == b"${" or raw[ks - 1:ks] == b"%":
            continue
        key = raw[ks:ke].rstrip(b".-")
        ke = ks + len(key)
        sep = SEP.match(raw, ke)
        vs = sep.end()
        if vs == ke:
            continue
        q = raw[vs - 1:vs]
        if q in (b'"', b"'", b"`"):
            end = raw.find(q, vs, vs + MAX_LEN + 1)
            if end < 0 or b"\n" in raw[vs:end]:
                continue
            ve = end
        else:
            mm = re.match(rb"[^\s,;)\]}\"'<>|]+", raw[vs:vs + MAX_LEN + 1])
            if not mm:
                continue
            ve = vs + mm.end()
            # A sentence's final full stop is no part of a value.
            if raw[ve - 1:ve] == b"." and (ve == len(raw) or raw[ve:ve + 1] in (b" ", b"\n")):
                ve -= 1
        # A typographic quote around the value is no part of it.
        while raw[vs:ve].startswith(TYPO_QUOTES):
            vs += len(next(q for q in TYPO_QUOTES if raw[vs:ve].startswith(q)))
        while raw[vs:ve].endswith(TYPO_QUOTES):
            ve -= len(next(q for q in TYPO_QUOTES if raw[vs:ve].endswith(q)))
        # A form's next field (`password=…&remember=1`) ends an unquoted value.
        amp = None if q in (b'"', b"'", b"`") else re.search(rb"&[A-Za-z_]+=", raw[vs:ve])
        if amp:
            ve = vs + amp.start()
        if ve <= vs:
            continue
        yield key, ks, vs, ve


def kind_of(spans, s, e):
    kinds = {t for (t, a, b) in spans if a < e and s < b}
    if "PASSWORD" in kinds:
        return "PASSWORD"
    if "GENERIC_SECRET" in kinds:
        return "GENERIC_SECRET"
    return sorted(kinds)[0] if kinds else "none"


def collect(variant, splits):
    rows = []
    gold_pw = Counter()
    found_pw = Counter()
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            gold_pw[split] += sum(1 for g in gold if g[0] == "PASSWORD")
            found_pw[split] += sum(
                1 for g in gold if g[0] == "PASSWORD"
                and any(f[0] == "PASSWORD" and f[1] < g[2] and g[1] < f[2] for f in found)
            )
            for key, ks, vs, ve in candidates(raw):
                words = key_words(key)
                verdict = key_verdict(words, re.split(rb"[_\-. :]+", key))
                if verdict is None:
                    continue
                v = raw[vs:ve]
                rows.append(dict(
                    split=split, doc=doc["id"], key=key, words=words, verdict=verdict,
                    value=v, no=shape_no(v), score=shape_score(v),
                    gold=kind_of(gold, vs, ve),
                    found=any(f[0] == "PASSWORD" and f[1] < ve and vs < f[2] for f in found),
                    other=kind_of([f for f in found if f[0] != "PASSWORD"], vs, ve),
                    ctx=raw[max(0, ks - 40):ve + 20],
                ))
    return rows, gold_pw, found_pw


def taken(r, t):
    return r["verdict"] == "pw" and r["no"] is None and r["score"] >= t


def new(r, t):
    return taken(r, t) and not r["found"] and r["other"] == "none"


def conflict(r, t):
    """Taken where the variant reports another entity over the value."""
    return taken(r, t) and not r["found"] and r["other"] != "none"


def tally(rows):
    c = Counter(r["gold"] if r["gold"] in ("PASSWORD", "GENERIC_SECRET", "none") else "other" for r in rows)
    return c["PASSWORD"], c["GENERIC_SECRET"], c["other"], c["none"]


def precision(rows):
    g, s, o, n = tally(rows)
    return g / (g + s + o + n) if rows else 1.0


THRESHOLDS = range(2, 7)
LOWO = ["blind15", "blind18", "blind19", "blind20", "blind21", "blind22", "blind23", "blind24"]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    variant = args[0]
    splits = pii_splits.training()
    rows, gold_pw, found_pw = collect(variant, splits)

    print(f"candidates (a password word in the key, {variant}): {len(rows)}")
    print("  key verdict 'not' (a word saying no password):", Counter(r["gold"] for r in rows if r["verdict"] == "not"))
    print("  shape says no, by reason (key 'pw'): gold PASSWORD / all")
    reasons = defaultdict(Counter)
    for r in rows:
        if r["verdict"] == "pw" and r["no"]:
            reasons[r["no"]][r["gold"] == "PASSWORD"] += 1
    for k, c in sorted(reasons.items()):
        print(f"    {k:14} {c[True]:5} / {c[True] + c[False]}")

    print("\nnew findings per threshold (not reported as PASSWORD by the variant): PW / GS / other / none")
    print(f"{'split':10}" + "".join(f"  t>={t:<14}" for t in THRESHOLDS))
    for split in splits:
        line = f"{split:10}"
        for t in THRESHOLDS:
            line += "  %3d/%2d/%2d/%3d    " % tally([r for r in rows if r["split"] == split and new(r, t)])
        print(line)
    line = f"{'all':10}"
    for t in THRESHOLDS:
        line += "  %3d/%2d/%2d/%3d    " % tally([r for r in rows if new(r, t)])
    print(line)

    c = Counter(r["gold"] for r in rows if conflict(r, 3))
    print(f"  taken at t>=3 where the variant reports another entity (not counted as new): {dict(c)}")
    print("\na generic negative, report only: the variant's PASSWORD findings the score says no to")
    for label, cond in (("key word says no", lambda r: r["verdict"] == "not"),
                        ("shape says no", lambda r: r["verdict"] == "pw" and r["no"])):
        c = Counter(r["gold"] == "PASSWORD" for r in rows if r["found"] and cond(r))
        print(f"  {label:18} gold PASSWORD {c[True]:4}, not {c[False]:4}")

    print("\nleave-one-writer-out (threshold chosen on the other training splits)")
    print(f"{'held out':10} {'t':>2} {'train P':>8} {'new':>4} {'PW':>4} {'GS':>3} {'oth':>3} {'none':>4} {'P new':>6} {'P excl GS':>9} {'R before':>8} {'R after':>8} {'splits w/ gold (train)':>22}")
    for held in LOWO:
        train = [r for r in rows if r["split"] != held]
        chosen = None
        for t in THRESHOLDS:
            p = precision([r for r in train if new(r, t)])
            if p >= 0.98:
                chosen = t
                break
        if chosen is None:
            print(f"{held:10} no threshold reaches 0.98")
            continue
        trn = [r for r in train if new(r, chosen)]
        splits_with = len({r["split"] for r in trn if r["gold"] == "PASSWORD"})
        hel = [r for r in rows if r["split"] == held and new(r, chosen)]
        g, s, o, n = tally(hel)
        p = g / len(hel) if hel else float("nan")
        px = g / (g + o + n) if g + o + n else float("nan")
        rb = found_pw[held] / gold_pw[held]
        ra = (found_pw[held] + g) / gold_pw[held]
        print(f"{held:10} {chosen:2} {precision(trn):8.3f} {len(hel):4} {g:4} {s:3} {o:3} {n:4} {p:6.3f} {px:9.3f} {rb:8.3f} {ra:8.3f} {splits_with:22}")

    if "--words" in sys.argv:
        print("\nper key word, new findings at t>=3: PW / GS / other / none")
        per = defaultdict(list)
        for r in rows:
            if new(r, 3):
                for w in set(r["words"]):
                    per[w].append(r)
        for w, rs in sorted(per.items(), key=lambda x: -len(x[1]))[:60]:
            print(f"  {w!r:24} %3d/%2d/%2d/%3d" % tally(rs))
    if "-v" in sys.argv:
        t = int(os.environ.get("T", "3"))
        for r in rows:
            if new(r, t) and r["gold"] != "PASSWORD":
                print(f"NOT {r['split']}#{r['doc']} {r['gold']} other={r['other']} {r['value']!r} | {r['ctx']!r}")
        for r in rows:
            if new(r, t) and r["gold"] == "PASSWORD":
                print(f"PW  {r['split']}#{r['doc']} {r['value']!r} | {r['ctx']!r}")
    if "--missed" in sys.argv:
        for r in rows:
            if r["gold"] == "PASSWORD" and not r["found"] and not taken(r, 3):
                print(f"MISS {r['split']}#{r['doc']} {r['verdict']} {r['no']} {r['score']} {r['value']!r} | {r['ctx']!r}")


if __name__ == "__main__":
    main()
