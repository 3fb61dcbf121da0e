#!/usr/bin/env python3
"""Twenty-ninth round, task pw: blind28's PASSWORD misses by construction — a batch-mode
password file tool's `-b FILE USER PASSWORD` (`mosquitto_passwd -b`, `htpasswd -b`), an
OpenLDAP client's `-w PASSWORD`, IMAP's `TAG LOGIN USER PASSWORD`, a Wi-Fi network's `NAME /
PASSWORD`, a Terraform state's `random_password` `result` — counted on every training split.

usage: pw_r29_population.py VARIANT [SPLIT ...] [--show GROUP] [--threshold N]

Each group yields every place of its construction; the value there is judged by the
twenty-fifth round's value test (`password_r25_population.shape_no` / `shape_score`, as
`src/redact/detect/evidence_r26p.rs`'s `flag_value_password` reads it). Per split and group:
the candidates whose value passes (score >= threshold) by gold label (PASSWORD /
GENERIC_SECRET / other entity / none), the gold ones VARIANT missed, [all candidates].

Groups:
  batch-b     a tool whose name ends in `passwd` (a word's end before it: `htpasswd`,
              `mosquitto_passwd`, `/usr/bin/htpasswd`), flags of letters only holding a `b`
              (batch mode: the password on the command line), then FILE USER PASSWORD (no
              file with `-n`): Apache's `htpasswd -b` and Eclipse Mosquitto's
              `mosquitto_passwd -b passwordfile username password`, both documented;
  batch-b-new the same, the tool not `htpasswd` (what the engine did not read before);
  ldap-w      `-w VALUE` after a blank, an OpenLDAP client's name (`ldapsearch`, `ldapmodify`,
              `ldapadd`, `ldapdelete`, `ldappasswd`, `ldapwhoami`, `ldapcompare`,
              `ldapmodrdn`, `ldapexop`: `ldap` and letters) earlier on the line: OpenLDAP's
              manual pages, `-w passwd  Use passwd as the password for simple authentication`;
  any-w       `-w VALUE` after a blank with any tool (how specific the client's name is);
  imap-login  a line `TAG LOGIN USER PASSWORD` (RFC 3501 6.2.3; the tag an atom, `LOGIN` in
              any case, user and password each an atom or a quoted string);
  wifi-slash  `NAME / VALUE` on a line with a Wi-Fi word (`wifi`, `wi-fi`, `wlan`, `ssid`)
              before it, within 40 bytes;
  tf-result   a JSON `"result": "VALUE"` after a `"type": "random_password"` with no other
              `"type"` between (HashiCorp's random provider: `random_password`'s `result`,
              "the generated random string", marked sensitive). Counted, not taken (see the
              docs).
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import collect, line, parse_args, token_at  # noqa: E402

BATCH = re.compile(rb"(?:(?<=[\s/;$&|(])|^)([A-Za-z_][A-Za-z0-9_-]*)?passwd(?=[ \t])", re.M)
FLAGS = re.compile(rb"[ \t]+-([A-Za-z]+)(?=[ \t])")
ARG = re.compile(rb"[ \t]+(?=[^\s-])")
LDAP_W = re.compile(rb"(?<=[ \t])-w[ \t]+(?=[^\s-])")
LDAP_CLIENT = re.compile(rb"(?:^|[\s/;$&|(])ldap[a-z]+[ \t]")
IMAP = re.compile(
    rb"^[A-Za-z0-9.]{1,10} (?i:LOGIN) (\"[^\"\n]{1,64}\"|[^\s\"(){%*]{1,64}) (?=[^\s])", re.M)
WIFI = re.compile(rb"(?i:wi-?fi|wlan|ssid)")
SLASH = re.compile(rb"(?<=\S) / (?=\S)")
TF_TYPE = re.compile(rb'\\?"type\\?":\s*\\?"random_password\\?"')
TF_RESULT = re.compile(rb'\\?"result\\?":\s*\\?"')
TF_ANY_TYPE = re.compile(rb'\\?"type\\?":')
GROUPS = ["batch-b", "batch-b-new", "ldap-w", "any-w", "imap-login", "wifi-slash", "tf-result"]


def line_start(raw, i):
    return raw.rfind(b"\n", 0, i) + 1


def batch_password(raw, m):
    """The password of `…passwd -b … FILE USER PASSWORD` after the tool's name match `m`."""
    i, batch, no_file, args = m.end(), False, False, 0
    while True:
        f = FLAGS.match(raw, i)
        if f:
            batch |= b"b" in f.group(1)
            no_file |= b"n" in f.group(1)
            i = f.end()
            continue
        a = ARG.match(raw, i)
        if not a:
            return None
        t = token_at(raw, a.end())
        if not t:
            return None
        args += 1
        if batch and args == (2 if no_file else 3):
            return t
        if args >= 3:
            return None
        i = t[1] + (1 if raw[a.end():a.end() + 1] in (b'"', b"'") else 0)


def generate(raw):
    """(group, value_start, value_end, context_start) for every candidate."""
    for m in BATCH.finditer(raw):
        t = batch_password(raw, m)
        if t:
            yield "batch-b", t[0], t[1], m.start()
            if (m.group(1) or b"") != b"ht":
                yield "batch-b-new", t[0], t[1], m.start()
    for m in LDAP_W.finditer(raw):
        t = token_at(raw, m.end())
        if not t:
            continue
        yield "any-w", t[0], t[1], m.start()
        ls = max(line_start(raw, m.start()), m.start() - 300)
        if LDAP_CLIENT.search(raw, ls, m.start()):
            yield "ldap-w", t[0], t[1], m.start()
    for m in IMAP.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "imap-login", t[0], t[1], m.start()
    for m in SLASH.finditer(raw):
        ls = max(line_start(raw, m.start()), m.start() - 40)
        if WIFI.search(raw, ls, m.start()):
            t = token_at(raw, m.end())
            if t:
                yield "wifi-slash", t[0], t[1], m.start()
    for m in TF_TYPE.finditer(raw):
        r = TF_RESULT.search(raw, m.end(), m.end() + 400)
        if r and not TF_ANY_TYPE.search(raw, m.end(), r.start()):
            vs = r.end()
            ve = raw.find(b'"', vs, vs + 200)
            if raw[ve - 1:ve] == b"\\":
                ve -= 1
            if ve > vs:
                yield "tf-result", vs, ve, m.start()


def main():
    variant, splits, show, threshold = parse_args(sys.argv[1:])
    rows = collect(variant, splits, show, threshold, candidates=generate, before=60)
    print(f"threshold {threshold}; per group: taken PASSWORD/GENERIC_SECRET/other/none "
          f"(of the gold, missed by {variant}: PASSWORD, GENERIC_SECRET) [all candidates]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        if split != "total" and not sr:
            continue
        print(split.ljust(8), "  ".join(
            f"{g} {line([r for r in sr if r['group'] == g], threshold)}" for g in GROUPS
            if any(r["group"] == g for r in sr)))
    print("\nsplits with gold, per group (PASSWORD taken / missed by the variant):")
    for g in GROUPS:
        taken = [r for r in rows if r["group"] == g and r["score"] is not None
                 and r["score"] >= threshold and r["gold"] == "PASSWORD"]
        c = Counter(r["split"] for r in taken)
        m = Counter(r["split"] for r in taken if not r["found"])
        print(f"  {g:11} " + ", ".join(f"{s} {c[s]}/{m[s]}" for s in c))


if __name__ == "__main__":
    main()
