#!/usr/bin/env python3
"""Twenty-first round, task sec: the population of each candidate evidence class for
GENERIC_SECRET / PASSWORD on the training splits (every candidate, found or not, gold or not).

usage: secret_r21_population.py VARIANT [SPLIT...] [-v]   (default: the twenty-first round's training splits)
Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl. Candidates are read by regexes over the
raw document (text and raw JSON alike), so the counts include forms a rule never sees; what
matters is the gold column against the rest. Prints, per class: candidates, gold
GENERIC_SECRET, gold PASSWORD, another entity, unlabelled; how many VARIANT reports (as the
gold type, as the other secret type); the splits it occurs in; and a few examples with
`-v`.
"""
import collections, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents  # noqa: E402

# The twenty-first round's training splits (blind16-blind19 are validation: aggregates only).
TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + ["blind20"]

SECRET_NAME = rb"(?:token|oauth|bearer|secret|password|passwd|auth|credentials?|api[_-]?key)"
HOST = rb"[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+"
CLASSES = {
    # a salt under its name (`salt = "…"`, `'passwordsalt' => '…'`, `"AUTH_SALT": "…"`,
    # `define('AUTH_SALT', '…')`)
    "salt key": rb"""(?i)[A-Za-z_\-]*salt["']?\]?[ \t]*(?:=>|:=|[:=,])[ \t]*(?:["'])?([^\s"'<>,;&\\]{3,})""",
    # a webhook URL's token path segment (`/api/webhooks/<id>/<token>`)
    "webhook path token": rb"/webhooks?/[0-9]{6,}/([A-Za-z0-9_\-]{20,})",
    # a URL's userinfo with no password, a token's shape (`https://<key>@o1.ingest.sentry.io`)
    "URL userinfo token, no password": rb"[a-z][a-z0-9+.\-]*://([A-Za-z0-9_\-~.]{16,})@[A-Za-z0-9]",
    # a member keyed by a host name in an object under a secret's name
    # (composer's `"github-oauth": {"github.com": "…"}`, `"bearer": {"repo.example.io": "…"}`)
    "host-keyed member under a secret name": rb'(?i)"[A-Za-z_\-]*' + SECRET_NAME + rb'[A-Za-z_\-]*"[ \t]*:[ \t]*\{[ \t]*"' + HOST + rb'"[ \t]*:[ \t]*"([^"\\]{3,})"',
    # a password beside a username that says it is a token (`"username": "token"`,
    # PyPI's `__token__`, `x-access-token`, `oauth2accesstoken`)
    "password beside a token username": rb'(?i)"?user(?:name)?"?[ \t]*[:=][ \t]*"?(?:token|__token__|x-access-token|oauth2accesstoken|x-token-auth|oauth2)"?[ \t]*,[ \t]*"?password"?[ \t]*[:=][ \t]*"([^"\\]{3,})"',
    # `n/a` (and `none`, `-`) under a secret's name
    "n/a under a secret's name": rb"""(?i)(?:password|passwd|secret|token|pwd)["']?[ \t]*[:=][ \t]*["']?(n/a|none|null)(?=[\s"',;]|$)""",
    # `psk` and hex after it on the line
    "psk then hex": rb"(?i)psk[^\n=:]{0,24}[:=][ \t]*([0-9a-f]{32,})",
    # a secret file's contents in a shell transcript (`$ cat /etc/app/token` then the token)
    "cat of a secret-named file": rb"(?i)\$ cat [^\s]*(?:token|secret|key|password|passwd|credentials)[^\s]*[ \t]*(?:\n| \xe2\x8f\x8e )([^\s]{8,})",
    # the same, the next line one token of base64/hex bytes, 16 bytes or more, the whole line
    "cat of a secret-named file, one token line": rb"(?i)\$ cat [^\s]*(?:token|secret|key|password|passwd|credentials)[^\s]*[ \t]*(?:\n| \xe2\x8f\x8e )([A-Za-z0-9+/=_\-.~]{16,})(?:\n| \xe2\x8f\x8e |$)",
    # `psk` as a word, up to three words, then `:`/`=`/`is`, then a value
    "psk word then a value": rb"(?<![A-Za-z0-9_\-])(?i:psk)(?: [A-Za-z\-]{1,12}){0,3} ?(?:[:=]|is) *[\"']?([^\s\"']{8,})",
    # a blank-separated key in a router's config (`authentication-key X`, `community X`)
    "authentication-key / community": rb"(?:authentication-key|snmp community|community) ([^\s\"']{6,})",
    # a macro of Nagios's resource file (`$USER5$=…`)
    "nagios $USERn$": rb"\$USER[0-9]+\$=([^\s]+)",
}


def main():
    var = sys.argv[1]
    verbose = "-v" in sys.argv
    splits = [a for a in sys.argv[2:] if a != "-v"] or TRAINING
    stats = {c: collections.Counter() for c in CLASSES}
    where = {c: set() for c in CLASSES}
    ex = {c: collections.defaultdict(list) for c in CLASSES}
    pats = {c: re.compile(p) for c, p in CLASSES.items()}
    for split in splits:
        for doc, raw, lab, gold, preds in documents(split, var, placeholders=False):
            for c, p in pats.items():
                for m in p.finditer(raw):
                    a, b = m.span(1)
                    g = [t for (t, s, e) in gold if s < b and a < e]
                    gt = g[0] if g else "none"
                    pt = [t for (t, s, e) in preds if s < b and a < e]
                    st = stats[c]
                    st["n"] += 1
                    st[gt] += 1
                    if gt in pt:
                        st["found"] += 1
                    elif pt:
                        st["found as " + pt[0]] += 1
                    where[c].add(split)
                    if len(ex[c][gt]) < 4:
                        ex[c][gt].append(f"{split}:{doc['id']} {raw[a:b][:48]!r} ctx={raw[max(0, a - 40):a]!r}")
    for c in CLASSES:
        st = stats[c]
        n = st["n"]
        gs, pw = st["GENERIC_SECRET"], st["PASSWORD"]
        other = n - gs - pw - st["none"]
        extra = {k: v for k, v in st.items() if k.startswith("found as")}
        print(f"{c:<40} n {n:>5} | GS {gs:>5} PW {pw:>5} other {other:>4} none {st['none']:>5} | found {st['found']:>5} {extra} | splits {len(where[c])}: {' '.join(sorted(where[c]))}")
        if verbose:
            for gt, xs in ex[c].items():
                for x in xs:
                    print(f"    [{gt}] {x}")


if __name__ == "__main__":
    main()
