#!/usr/bin/env python3
"""Twenty-second round, task sec: the population of each candidate evidence class for
GENERIC_SECRET / PASSWORD on the training splits (every candidate, found or not, gold or not).

usage: secret_r22_population.py VARIANT [SPLIT...] [-v]   (default: the twenty-second round's training splits)
Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl. Candidates are read by regexes over the
raw document (text and raw JSON alike), so the counts include forms a rule never sees; what
matters is the gold column against the rest. Prints, per class: candidates, gold
GENERIC_SECRET, gold PASSWORD, another entity, unlabelled; how many the variant reports as
the gold type (`found`), as another type (`found as …`), and for unlabelled candidates how
many it reports at all (`reported`, each a false positive); the splits it occurs in; and a
few examples with `-v`.
"""
import collections, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents  # noqa: E402

# The twenty-second round's training splits (blind16 and blind17 are validation: aggregates
# only; blind22 and blind23 are the honest splits).
TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + ["blind18", "blind19", "blind20", "blind21"]

CLASSES = {
    # a member or key=value whose name says the value is a hash of a secret (detect-secrets'
    # baseline `"hashed_secret": "<sha1>"`, `hashed_password`, `secret_hash`)
    "hashed secret name": rb"""(?i)["']?[A-Za-z_\-]*(?:hashed[_\-]?(?:secret|password|passwd|token|key)|(?:secret|password|token)[_\-]?hash)["']?[ \t]*[:=][ \t]*["']?([^\s"',;]{3,})""",
    # a member of a Bitnami SealedSecret's `encryptedData` (JSON and YAML): ciphertext
    "sealed secret encryptedData member": rb"""encryptedData["']?:[ \t]*\{?(?:[ \t]*(?:\n|\\n| \| )[ \t]*)?["']?[A-Za-z0-9_.\-]+["']?:[ \t]*["']?([A-Za-z0-9+/=]{20,})""",
    # sudoers' `NOPASSWD:` tag, then the command
    "sudoers NOPASSWD: tag": rb"NOPASSWD:[ \t]*([^\s,]+)",
    # a value that spells its own key's name (`privateKey:PrivateKey`, a type in a URN)
    "value equal to its key (privateKey:PrivateKey)": rb"""(?i)\b(private_?key|secret|password|token|api_?key)["']?[ \t]*[:=][ \t]*["']?(\1)\b""",
    # Asterisk's sip.conf peer: `secret=` in a `[peer]` section with `type=`
    "Asterisk sip.conf secret= in a peer section": rb"(?:type=(?:friend|peer|user)(?:\n| \| | \xe2\x8f\x8e )(?:[a-z]+=[^\n|]*(?:\n| \| | \xe2\x8f\x8e )){0,4})secret=([^\s|]+)",
    # JNDI's `java.naming.security.credentials=`
    "JNDI security.credentials=": rb"security\.credentials=([^\s|\\]+)",
    # GCP Secret Manager's AccessSecretVersion response: `"name": ".../secrets/<id>/versions/<n>"`
    "GCP secret version name path": rb"projects/[0-9]+/secrets/[A-Za-z0-9_\-]+(/versions/[0-9]+)",
    "GCP payload.data (base64 of the secret)": rb'/secrets/[A-Za-z0-9_\-]+/versions/[0-9]+","payload":\{"data":"([A-Za-z0-9+/=]+)"',
    # the line after `gcloud secrets versions access ...` (the secret's plaintext)
    "gcloud secrets versions access, next line": rb"gcloud secrets versions access [^\n|]*(?:\n| \| )([^\s|$]{6,})",
    # FortiGate's `set psksecret <value>`
    "FortiGate set psksecret": rb"set psksecret ([^\s|\"]+)",
    # XML element named a shared key / secret / password
    "XML <..._key>/<...secret>/<...password> element": rb"(?i)<([a-z_\-]*(?:shared_key|secret|password|psk))>([^<]{6,})</\1>",
    # TACACS+ `key = <value>`
    "tac_plus key =": rb"tac_plus: key = ([^\s|]+)",
    # a CLI's `--api-key <value>` / `--api-key=<value>`
    "--api-key flag": rb"--api-key[ =]([^\s|'\"]+)",
    # an XML element whose name ends in `_key` / `key` (pfSense's `<shared_key>`, `<tls_key>`)
    "XML element named *_key": rb"<([A-Za-z]+[_\-]?key)>([^<]{6,})</\1>",
    # FortiOS's `set psksecret` as the engine reads it: the value with a token's shape
    # (16 bytes or more) is the candidate
    "FortiOS set psksecret, 16+ bytes": rb"set psksecret ([^\s|\"]{16,})",
    # the line after `gcloud secrets versions access ... --secret=<name with pass/pwd>`
    "gcloud access, a password's name, next line": rb"gcloud secrets versions access [^\n|]*--secret=[^\s|]*(?:pass|pwd)[^\n|]*(?:\n| \| )([^\s|$]{6,})",
    "gcloud access, another name, next line": rb"gcloud secrets versions access [^\n|]*--secret=(?![^\s|]*(?:pass|pwd))[^\n|]*(?:\n| \| )([^\s|$]{6,})",
    # a path segment after a password's name (`…/secrets/db-password/versions/9`)
    "a path after a password word (password/…)": rb"(?i)(?:password|passwd|passwort|kennwort|wachtwoord)(/[^\s\"|,;]+)",
    # a password word, blanks, then an ISO time stamp (`gcloud secrets list`'s CREATED column)
    "a time stamp after a password word": rb"(?i)(?:password|passwd)[ \t]+([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z?)",
    # a value under `api_key` (which entity each writer labels it: blind19's writer labels a
    # password-like one PASSWORD)
    "a value under api_key (writers' labels)": rb"""(?i)(?<![A-Za-z_])api_key["']?[ \t]*[:=][ \t]*["']?([^\s"',;|]{6,})""",
    # a CSV header column naming a PSK (`wifi_psk`)
    "CSV header column *_psk / psk": rb"(?i)(?:^|\n)[^\n]*[;,]\w*psk\n",
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
                    a, b = m.span(p.groups if p.groups else 0)
                    if a < 0:
                        continue
                    g = [t for (t, s, e) in gold if s < b and a < e]
                    gt = g[0] if g else "none"
                    pt = [t for (t, s, e) in preds if s < b and a < e]
                    st = stats[c]
                    st["n"] += 1
                    st[gt] += 1
                    if gt != "none" and gt in pt:
                        st["found"] += 1
                    elif gt == "none" and pt:
                        st["reported"] += 1
                    elif pt:
                        st["found as " + pt[0]] += 1
                    where[c].add(split)
                    if len(ex[c][gt]) < 4:
                        ex[c][gt].append(f"{split}:{doc['id']} {raw[a:b][:48]!r} ctx={raw[max(0, a - 50):a]!r}")
    for c in CLASSES:
        st = stats[c]
        n = st["n"]
        gs, pw = st["GENERIC_SECRET"], st["PASSWORD"]
        other = n - gs - pw - st["none"]
        extra = {k: v for k, v in st.items() if k.startswith("found as")}
        print(f"{c:<48} n {n:>5} | GS {gs:>5} PW {pw:>5} other {other:>4} none {st['none']:>5} | found {st['found']:>5} reported(none) {st['reported']:>4} {extra} | splits {len(where[c])}: {' '.join(sorted(where[c]))}")
        if verbose:
            for gt, xs in ex[c].items():
                for x in xs:
                    print(f"    [{gt}] {x}")


if __name__ == "__main__":
    main()
