#!/usr/bin/env python3
"""Twenty-fourth round, task sec: the population of each candidate evidence class for
GENERIC_SECRET on the training splits (every candidate, found or not, gold or not), per split.

usage: secret_r24_population.py VARIANT [SPLIT...] [-v] [-a] [-c CLASS_SUBSTRING]   (-a: every candidate)
Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl (default: the twenty-fourth round's
training splits; the validation and honest splits are refused). Candidates are read by regexes
over the raw document (text and raw JSON alike), so the counts include forms a rule never
sees; what matters is the gold column against the rest, and in how many splits (writers) the
gold occurs. Prints, per class: candidates, gold GENERIC_SECRET, gold PASSWORD, another
entity, unlabelled; how many the variant reports as the gold type (`found`), as another type,
and for unlabelled candidates how many it reports at all (`reported`, each a false positive);
then one row per split with candidates: n / gold GS / gold PW / none / reported-none. With
`-v` a few examples per gold type. A documentation placeholder the engine flags as one counts
as PLACEHOLDER, as `pii_score.py` scores it. A value class's `shape` column applies the
engine's token test (`secret_token_at`: 16 bytes or more, two of lower case, upper case and
digits, Shannon entropy at least 3.0 bits per byte).
"""
import collections, math, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents  # noqa: E402

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + [f"blind{i}" for i in range(18, 24)]
REFUSED = {"blind16", "blind17", "blind24", "blind25"}


def entropy(v):
    if not v:
        return 0.0
    c = collections.Counter(v)
    n = len(v)
    return -sum(k / n * math.log2(k / n) for k in c.values())


def token_shape(v):
    """`secret_token_at`'s shape test (without its placeholder and vendor look-ups)."""
    classes = sum([any(97 <= b <= 122 for b in v), any(65 <= b <= 90 for b in v), any(48 <= b <= 57 for b in v)])
    return len(v) >= 16 and classes >= 2 and entropy(v) >= 3.0


# A name's last word that names a secret, in any vocabulary's spelling (a `_`, `-`, `.` or a
# lower-to-upper change joins it to the words before).
SECRET_TAIL = rb"(?:[Ss]ecret|SECRET|[Tt]oken|TOKEN|[Aa]pi[_-]?[Kk]ey|API[_-]?KEY|[Pp]sk|PSK|[_.-][Kk]ey|[_.-]KEY|[a-z]Key)"
# The look-alike words of `json::keys` (NOT_SECRET_KEY_WORDS, BOOKKEEPING_WORDS, paging).
NOT_SECRET_WORDS = set("""public publishable pub site host idempotency primary foreign sort partition row cache routing
object ssh gpg pgp kms fingerprint id ids name names type kind uri url urls endpoint policy header file path store
placeholder sync page next progress cursor issue request length count expires expiry expiration at ttl version arn ref
hash digest checksum format algorithm alg label mode field prefix parameter size source location hint env var status
created updated last rotation sha sha1 sha256 md5 commit pagination continuation skip delta""".split())


def name_words(name):
    n = re.sub(rb"([a-z0-9])([A-Z])", rb"\1_\2", name).lower()
    return [w for w in re.split(rb"[^a-z0-9]+", n) if w]


CLASSES = {
    # --- recall ---
    # a name ending in a secret's word, then blanks (no `:`/`=`), then one token: a
    # whitespace-separated config (Apache `SetEnv NAME v`, Caddy `header_up X-Api-Key v`,
    # fluent-bit `Splunk_Token v`, Junos `authentication-key v`, an aligned listing
    # `APP_SECRET    v`, `api_key   v`), the value's shape asked by the rule
    "blank-separated: <name ending in a secret word> <blanks> <token>": (
        rb"(?:^|(?<=[\s|>{(,;]))([A-Za-z][A-Za-z0-9_.:-]{0,40}?" + SECRET_TAIL + rb")[ \t]+[\"']?([^\s\"'|]{6,})",
        "blank"),
    # a CLI flag naming a secret, a blank, then the value (`--api-key v`, `--token v`)
    "CLI flag: --<name ending in a secret word> <token>": (
        rb"(?<![A-Za-z0-9])--([a-z][a-z0-9-]{0,30}?(?:secret|token|api-key|apikey|-key|psk))[ \t]+[\"']?([^\s\"'|]{6,})",
        "flag"),
    # a card security code after its name and a blank (`CVV 622`, `CVC 692`,
    # `Cryptogramme 222`), no `:`
    "card security code, blank-separated (CVV 123)": (
        rb"(?<![A-Za-z])((?i:cvv2?|cvc2?|cid|csc|cryptogramme|pr\xc3\xbcfnummer|codice cvv))[ \t]+(\d{3,4})(?![\d])",
        "cvv"),
    # the one token of the line after a command or a key path naming a secret (`$ az storage
    # account keys list … -o tsv`, `etcdctl get /registry/…/webhook_secret`,
    # `elasticsearch-create-enrollment-token -s kibana`): the command's output
    "the line after a command or path naming a secret (one token)": (
        rb"(?m)^(?:[^\n]{0,40}?[$#>] |/)[^\n]{0,160}?(?i:secret|token|keys?|password|passwd|credentials?)[^\n/ ]{0,30}(?: -[^\n]{0,60})?\n([^\s]{16,})$",
        "v"),
    # a URL whose userinfo is one token and no password (`https://<key>@o1.ingest.sentry.io/…`,
    # `https://<token>@git.example.com/…`): the token's shape asked
    "URL userinfo: one token, no password (https://<token>@host)": (
        rb"[a-z][a-z0-9+.-]{1,15}://([A-Za-z0-9_.~+%-]{6,})@[A-Za-z0-9.-]+",
        "flag"),
    # --- precision ---
    # a salt in the same record as a password hash (Firebase `auth:export`'s `"passwordHash":
    # "…","salt": "…"`, a user table's `hash`/`salt` columns): the hash's salt, stored beside
    # it in the clear by design
    "salt (split: beside a hash in the same record, or not)": (
        rb"(?i)(?<![a-z])(?:[a-z_.-]*[_.-])?salt[\"']?[ \t]*(?:=>|[:=])[ \t]*[\"']?([^\s\"',;|}]{4,})",
        "salt"),
    # a paging cursor under a token's name (`PaginationToken`, `nextPageToken`, `NextToken`,
    # `continuation_token`, `cursor`)
    "paging token (pagination/next/page/continuation/cursor + token)": (
        rb"(?i)(?:pagination|paging|next|page|continuation|resume|skip|delta|sync)[_-]?(?:page[_-]?)?token[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"',;|}&]{6,})",
        "v"),
    # a member of an object named `encrypted` (Renovate's `"encrypted": {"token": "…"}`), a
    # name saying the value is encrypted (`encrypted_password`, `encryptedToken`)
    "member of an object named encrypted": (
        rb"(?i)[\"']encrypted[\"']\s*:\s*\{[^}]{0,400}?[\"'][A-Za-z_]+[\"']\s*:\s*[\"']([^\"']{8,})",
        "v"),
    "name saying encrypted (encrypted_*, *_encrypted, enc_*)": (
        rb"(?i)[\"']?(?:encrypted[_-]?[a-z_]*|[a-z_]*[_-]encrypted|enc[_-](?:password|secret|token|key))[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"',;|}]{8,})",
        "v"),
    # a path under a secret's name (`credentials=/root/.smbcred`, `token_file: /var/run/…`)
    "a path under a secret's name (credentials=/root/.smbcred), lower-case segments": (
        rb"(?i)(?:credentials?|secret|token|password|passwd|api[_-]?key|key)[\"']?[ \t]*[:=][ \t]*[\"']?((?:~|\.{1,2})?/(?-i:[a-z0-9_.-]{1,40})(?:/(?-i:[a-z0-9_.-]{1,40}))*)(?=[\s\"',;|}]|$)",
        "v"),
}


def main():
    var = sys.argv[1]
    args = sys.argv[2:]
    verbose = "-v" in args
    every = "-a" in args
    only = None
    if "-c" in args:
        only = args[args.index("-c") + 1]
        args = [a for i, a in enumerate(args) if a != "-c" and (i == 0 or args[i - 1] != "-c")]
    splits = [a for a in args if a not in ("-v", "-a")] or TRAINING
    for s in splits:
        if s in REFUSED:
            raise SystemExit(f"refused: {s} is not a training split")
    classes = {c: v for c, v in CLASSES.items() if only is None or only in c}
    pats = {c: re.compile(p, re.M) for c, (p, _) in classes.items()}
    stats = {c: collections.Counter() for c in classes}
    per = {c: collections.defaultdict(collections.Counter) for c in classes}
    ex = {c: collections.defaultdict(list) for c in classes}
    for split in splits:
        for doc, raw, lab, gold, preds in documents(split, var):
            for c, p in pats.items():
                mode = classes[c][1]
                for m in p.finditer(raw):
                    g = p.groups
                    a, b = m.span(g)
                    if a < 0:
                        continue
                    val = raw[a:b]
                    sub = ""
                    if mode == "salt":
                        before = raw[max(0, a - 300):a]
                        cut = max(before.rfind(b"\n\n"), before.rfind(b"},{"), before.rfind(b"}, {"))
                        near = before[cut + 1:] if cut >= 0 else before
                        sub = " [beside a hash]" if re.search(rb"(?i)hash", near) else " [no hash before]"
                    if mode in ("blank", "flag"):
                        words = name_words(m.group(1)) if g > 1 else []
                        if any(w in NOT_SECRET_WORDS for w in words):
                            sub = " [bookkeeping name]"
                        elif not token_shape(val.rstrip(b".,;:)]}")):
                            sub = " [no token shape]"
                        elif re.fullmatch(rb"[0-9a-fA-F]{16,31}", val.rstrip(b".,;:)]}")):
                            sub = " [hex shorter than 32]"
                        elif mode == "flag":
                            sub = " [token shape]"
                        elif len(words) < 2:
                            sub = " [token shape, the word alone]"
                        else:
                            sub = " [token shape, joined name]"
                    gt = next((t for (t, s, e) in gold if s < b and a < e), "none")
                    pt = [t for (t, s, e) in preds if s < b and a < e]
                    if every:
                        print(f"ALL {c[:12]}{sub} {split}:{doc['id']} gold={gt} pred={pt} {val[:60]!r} ctx={raw[max(0, a - 70):a]!r}")
                    for key in (c, c + sub) if sub else (c,):
                        st = stats.setdefault(key, collections.Counter())
                        st["n"] += 1
                        st[gt] += 1
                        if gt != "none" and gt in pt:
                            st["found"] += 1
                        elif gt == "none" and pt:
                            st["reported"] += 1
                        elif pt:
                            st["found as " + pt[0]] += 1
                        ps = per.setdefault(key, collections.defaultdict(collections.Counter))[split]
                        ps["n"] += 1
                        ps[gt] += 1
                        if gt == "none" and pt:
                            ps["rep"] += 1
                        exs = ex.setdefault(key, collections.defaultdict(list))[gt]
                        if len(exs) < 4:
                            exs.append(f"{split}:{doc['id']} {val[:48]!r} ctx={raw[max(0, a - 60):a]!r}")
    for c in sorted(stats, key=lambda k: (list(classes).index(k.split(" [")[0]), k)):
        st = stats[c]
        n = st["n"]
        gs, pw, none = st["GENERIC_SECRET"], st["PASSWORD"], st["none"]
        other = n - gs - pw - none
        extra = {k: v for k, v in st.items() if k.startswith("found as")}
        gsplits = sorted((s for s, x in per[c].items() if x["GENERIC_SECRET"]), key=lambda s: (len(s), s))
        print(f"{c}\n    n {n} | GS {gs} PW {pw} other {other} none {none} | found {st['found']} reported(none) {st['reported']} {extra} | splits {len(per[c])}, with gold GS {len(gsplits)}")
        for s in sorted(per[c], key=lambda s: (len(s), s)):
            x = per[c][s]
            print(f"      {s:<8} n {x['n']:>4} GS {x['GENERIC_SECRET']:>4} PW {x['PASSWORD']:>4} other {x['n'] - x['GENERIC_SECRET'] - x['PASSWORD'] - x['none']:>3} none {x['none']:>4} (reported {x['rep']})")
        if verbose:
            for gt, xs in ex[c].items():
                for x in xs:
                    print(f"    [{gt}] {x}")


if __name__ == "__main__":
    main()
