#!/usr/bin/env python3
"""Twenty-fifth round, task sec: one generic score for GENERIC_SECRET (the key's words and the
value's shape), counted on the population of every key/value candidate of the training splits,
and estimated on an unseen writer by leave-one-writer-out.

usage: secret_r25_population.py VARIANT [-v] [-w] [-s SPLIT] [-t THRESHOLD] [-r]
  (the candidates are cached in /tmp/pii/secret_r25_rows.VARIANT.pickle; -r reads the splits again)
  Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl for every training split (the validation
  and honest splits are refused). Prints:
  1. the population: every candidate per split by score (gold GENERIC_SECRET, gold of another
     entity, unlabelled), and how many of them VARIANT already reports;
  2. for each threshold, the rule's *new* findings (score >= threshold, nothing of VARIANT on
     the value) per split: gold GS / not;
  3. leave-one-writer-out: for each of the last eight blind splits, the threshold chosen on the
     other training splits only (the lowest whose new findings are >= 0.98 precise there, each
     split >= 0.98 too), and that split's precision and recall gain at it;
  4. the negative side: VARIANT's GENERIC_SECRET findings on candidates the score vetoes.
  With -w, every key word's count (the vocabulary by counting). With -v, examples of the new findings (not gold first) at THRESHOLD (-t, default 4) in SPLIT.

A candidate is a key/value pair anywhere in the raw document (text and raw JSON alike): a key
(letters, digits, `_`, `-`, `.`; optionally quoted, optionally `]`), a separator (`=`, `:`,
`:=`, `=>`), blanks, an optionally quoted value (a quoted one to its closing quote, else to a
blank, quote, `,`, `;`, `&`, `<`, `>`). A `value` key after a `name`/`key` member names its
secret by that member (`{"name": "X_SECRET", "value": "…"}`, `- name: X\\n  value: …`).

The score (`evidence_r25s.rs` writes the same):
  key words: the key split into words (camelCase, snake, kebab, dotted; glued upper-case runs
  by the vocabulary's words); +2 when a word is a STRONG secret word, +1 when only a WEAK one;
  a veto when a word is a NOT_SECRET word or a password's (PASSWORD is task pw's).
  value shape: veto for a template/variable, placeholder, URL, path, UUID, date, number, e-mail,
  words (letters only), a version; +2 a token shape (16 bytes or more, two classes or more of
  lower/upper/digit, entropy >= 3.0 bits per byte), +1 more when 32 bytes or more or 3.5 bits;
  +1 a hex run of 32 or more (a key or digest: the key's words decide); 0 otherwise.
"""
import collections
import functools
import math
import os
import pickle
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents  # noqa: E402
from pii_score import byte_offsets as char_to_byte  # noqa: E402

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + [f"blind{i}" for i in range(18, 25)]
REFUSED = {"blind16", "blind17", "blind25", "blind26", "blind27"}
LOWO = ["blind15", "blind18", "blind19", "blind20", "blind21", "blind22", "blind23", "blind24"]

# Words that name a secret, in the seven locales (counted: `-w` prints each word's candidates).
STRONG = set("""secret secrets token tokens apikey apitoken credential credentials bearer hmac
clientsecret privatekey signingkey accesskey secretkey masterkey encryptionkey authtoken
geheimnis geheim jeton sleutel chiave clave segreto segreta secreto secreta""".split())
WEAK = set("""key keys auth session sessionid sid cookie salt private signing license licence
webhook cle clé""".split())
# Words that say the value is no secret (a name of the secret, its place, its bookkeeping).
NOT_SECRET = set("""id ids name names hash hashed digest checksum fingerprint version path file dir url uri
endpoint host type kind length len count expires expiry expiration expire ttl public pub publishable
format algorithm alg mode prefix suffix label field size status created updated at time date
page next cursor pagination continuation sort partition row cache routing idempotency primary foreign
ssh gpg pgp kms arn ref sha sha1 sha256 md5 policy hint source location env var header issuer audience
scope scopes region bucket user username login email account owner encrypted enc ciphertext
signature skip delta site domain parameter group message""".split())
PASSWORD_WORDS = set("""pass passwd password passwords pwd passphrase passcode passwort kennwort wachtwoord
contrasena contraseña mdp motdepasse psk""".split())
VOCAB = sorted(STRONG | WEAK | NOT_SECRET | PASSWORD_WORDS, key=len, reverse=True)


@functools.lru_cache(maxsize=None)
def segment(run):
    """The run as vocabulary words end to end (`clientsecret` -> client? no: `secret` only when
    the rest is a word too), or None."""
    if not run:
        return ()
    for w in VOCAB:
        if len(w) >= 3 and run.startswith(w):
            rest = segment(run[len(w):])
            if rest is not None:
                return (w,) + rest
    return None


@functools.lru_cache(maxsize=None)
def split_words(key):
    """camelCase, snake, kebab, dotted; a glued lower- or upper-case run split by the vocabulary
    (`APIKEY`, `clientsecret`), longest word first from the left, else the run whole."""
    k = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    k = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", k)
    out = []
    for run in re.split(r"[^A-Za-z0-9\u00c0-\u024f]+", k.lower()):
        if not run:
            continue
        out.append(run)
        # a glued run (`apikey`, `clientsecret`, `webhooksecret`): its vocabulary words too,
        # when the vocabulary's words (3 letters or more) cover the whole run
        parts = segment(run)
        if parts and len(parts) > 1:
            out.extend(parts)
    return tuple(out)


# A word with too few candidates of its own (the locales' words) takes its tier from the word
# it translates.
ANALOGUE = {"geheimnis": "secret", "geheim": "secret", "segreto": "secret", "segreta": "secret", "secreto": "secret", "secreta": "secret",
            "jeton": "token", "sleutel": "key", "chiave": "key", "clave": "key", "cle": "key", "clé": "key",
            "licence": "license", "secrets": "secret", "tokens": "token", "keys": "key"}


def default_tiers():
    return {**{w: 2 for w in STRONG}, **{w: 1 for w in WEAK}}


def count_tiers(rows, splits):
    """The vocabulary's tiers by counting on `splits`: over candidates whose value has a
    token's shape (score 2 or more), a secret word is STRONG (2) when >= 0.95 of its gold-or-
    unlabelled candidates are gold GENERIC_SECRET and its gold comes from three splits or more,
    WEAK (1) when >= 0.5, else nothing (0). Gold of another entity (a vendor key) is left out."""
    splits = set(splits)
    wc = collections.defaultdict(lambda: [0, 0, set()])
    for r in rows:
        if r[0] not in splits or r[5] is None or r[5] < 2 or r[6] not in ("GENERIC_SECRET", "none"):
            continue
        for w in set(r[4]):
            if w in STRONG or w in WEAK:
                x = wc[w]
                x[0 if r[6] == "GENERIC_SECRET" else 1] += 1
                if r[6] == "GENERIC_SECRET":
                    x[2].add(r[0])
    tiers = {}
    for w in STRONG | WEAK:
        src = w if sum(wc[w][:2]) >= 20 else ANALOGUE.get(w, w)
        g, n, sp = wc[src]
        tiers[w] = 2 if g + n and g / (g + n) >= 0.95 and len(sp) >= 3 else 1 if g + n and g / (g + n) >= 0.5 else 0
    return tiers


def key_score(words, tiers=None):
    if any(w in NOT_SECRET or w in PASSWORD_WORDS for w in words):
        return None
    tiers = tiers or default_tiers()
    return max([tiers.get(w, 0) for w in words] + [0])


def entropy(v):
    if not v:
        return 0.0
    c = collections.Counter(v)
    n = len(v)
    return -sum(k / n * math.log2(k / n) for k in c.values())


PLACEHOLDER = re.compile(r"(?i)^(?:x{3,}|\*{3,}|\.{3,}|changeme|change_me|redacted|secret|token|none|null|true|false|"
                         r"(?:your|my|insert|replace|example|sample|dummy|test|fake|todo)[-_ ].*|.*(?:example|placeholder|redacted|xxxx|here).*)$")
UUID = re.compile(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATE = re.compile(r"^\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[T ].*)?$")
VERSION = re.compile(r"^v?\d+(?:\.\d+)+(?:[-+].*)?$")


def shape(v):
    """(score 0..3, None) or (None, the look-alike the value is)."""
    if len(v) < 8:
        return None, "short (< 8)"
    if re.search(r"\$\{|\{\{|\}\}|^<.*>$|^%\(|^\$[A-Za-z_(]|^%[A-Z_]+%$", v):
        return None, "template or variable"
    if PLACEHOLDER.match(v) or re.search(r"(.)\1{5,}", v):
        return None, "placeholder"
    if re.match(r"^[a-z][a-z0-9+.-]*://", v):
        return None, "URL"
    if re.match(r"^[a-z][a-z0-9-]{1,19}:", v) or re.match(r"^[A-Za-z]+\[", v):
        return None, "reference or labelled digest"  # `env:NAME`, `arn:…`, `hmac-sha256:…`, `ENC[…]`
    if re.match(r"^(?:pk|pub)[._]", v):
        return None, "public key prefix"
    if "@" in v and "." in v.split("@")[-1] and not re.search(r"[+/=]", v):
        return None, "e-mail"
    if re.match(r"^(?:~|\.{1,2})?/[A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]*)*$", v) or re.match(r"^[A-Za-z]:\\", v):
        return None, "path"
    if UUID.match(v):
        return None, "UUID"
    if DATE.match(v) or VERSION.match(v) or re.fullmatch(r"[0-9.,+-]+", v):
        return None, "number, date or version"
    if re.fullmatch(r"[A-Za-z\u00c0-\u024f]+(?:[ _-][A-Za-z\u00c0-\u024f]+)*", v) and not (
            any(c.isupper() for c in v[1:]) and any(c.islower() for c in v) and len(v) >= 16 and entropy(v) >= 3.5):
        return None, "word or words"
    if " " in v:
        return None, "sentence"
    lower, upper, digit = any(c.islower() for c in v), any(c.isupper() for c in v), any(c.isdigit() for c in v)
    classes = lower + upper + digit
    h = entropy(v)
    if re.fullmatch(r"[0-9a-fA-F]{32,}", v):
        return 1, None
    if len(v) >= 16 and classes >= 2 and h >= 3.0:
        return (3 if (len(v) >= 32 or h >= 3.5) else 2), None
    return 0, None


def shape_score(v):
    return shape(v)[0]


def veto_reason(key, v):
    """Why the score vetoes a candidate: the key's word, or the value's look-alike."""
    words = split_words(key)
    w = next((w for w in words if w in NOT_SECRET), None)
    if w:
        return f"key word `{w}`"
    if any(w in PASSWORD_WORDS for w in words):
        return "password key (task pw)"
    return "value: " + (shape(v)[1] or "?")


# The names the text pass's `key=value` rule reads (`patterns.rs`, `Kind::KeyValue`), without
# the password's: the hook's scope.
SEEN = re.compile(r"(?i)(?:api[_\-]?key|secret|token|access[_\-]?key|private[_\-]?key|signing[_\-]?key|credentials?|key|session(?:id)?|sid|salt)$")


CAND = re.compile(
    r"(?<![A-Za-z0-9_.\-])([A-Za-z_\u00c0-\u024f][A-Za-z0-9_.\-\u00c0-\u024f]{0,63})[\"']?\]?[ \t]*(:=|=>|=|:)[ \t]*"
    r"(?:[bBrRuU](?=[\"']))?([\"']?)")
NAME_BEFORE = re.compile(r"(?:name|key|Name|Key|NAME|KEY)[\"']?[ \t]*[:=][ \t]*[\"']?([A-Za-z_][A-Za-z0-9_.\-]{1,63})[\"']?[ \t]*[,;]?[ \t]*\r?\n?[ \t]*-?[ \t]*[\"']?$")


def candidates(text):
    """(key, value start, value end) in characters of `text`."""
    for m in CAND.finditer(text):
        key, sep, q = m.group(1), m.group(2), m.group(3)
        if sep == ":" and text[m.end(2):m.end(2) + 2] == "//":
            continue  # a URL's scheme
        if m.start() > 0 and text[m.start() - 1] == ":":
            continue  # a segment of a colon path (`arn:aws:secretsmanager:…:secret:name`)
        vs = m.end()
        if q:
            ve = text.find(q, vs, vs + 300)
            if ve < 0:
                continue
        else:
            mm = re.match(r"[^\s\"'&,;<>]*", text[vs:vs + 300])
            ve = vs + mm.end()
        v = text[vs:ve]
        if not v:
            continue
        if key.lower() == "value":
            nb = NAME_BEFORE.search(text[max(0, m.start() - 120):m.start()])
            if not nb:
                continue
            key = nb.group(1)
        yield key, vs, ve


def population(var, splits):
    rows = []  # (split, doc id, key, value, ks, ss, gold type, reported types)
    for split in splits:
        for doc, raw, lab, gold, preds in documents(split, var):
            text = doc["text"]
            off = char_to_byte(text)
            for key, vs, ve in candidates(text):
                a, b = off[vs], off[ve]
                ks, ss = None, None  # scored after caching
                gt = next((t for (t, s, e) in gold if s < b and a < e), "none")
                pt = [t for (t, s, e) in preds if s < b and a < e]
                rows.append((split, doc["id"], key, text[vs:ve], ks, ss, gt, pt, text[max(0, vs - 70):vs]))
    return rows


TIERS = {}
THRESHOLD = 5  # a strong word and a strong token: `evidence_r25s.rs`'s one threshold


def score(r, tiers=None):
    ks, ss = key_score(r[4], tiers or TIERS), r[5]
    return None if ks is None or ss is None else ks + ss


def new_at(rows, t, seen_only=False, tiers=None):
    """The rule's new findings at threshold t: (gold GS, not)."""
    g = n = 0
    for r in rows:
        if seen_only and not SEEN.search(r[2]):
            continue
        sc = score(r, tiers)
        if sc is not None and sc >= t and not r[7]:
            if r[6] == "GENERIC_SECRET":
                g += 1
            else:
                n += 1
    return g, n


def main():
    var = sys.argv[1]
    args = sys.argv[2:]
    verbose = "-v" in args
    show_split = args[args.index("-s") + 1] if "-s" in args else None
    show_t = int(args[args.index("-t") + 1]) if "-t" in args else 4
    splits = [s for s in TRAINING if s not in REFUSED]
    cache = f"/tmp/pii/secret_r25_rows.{var}.pickle"
    if os.path.exists(cache) and "-r" not in args:
        with open(cache, "rb") as f:
            rows, gold_total = pickle.load(f)
    else:
        rows = population(var, splits)
        gold_total = collections.Counter()
        for split in splits:
            for doc, raw, lab, gold, preds in documents(split, var):
                gold_total[split] += sum(1 for (t, s, e) in gold if t == "GENERIC_SECRET")
        with open(cache, "wb") as f:
            pickle.dump((rows, gold_total), f)
    # the score is recomputed from the key and the value each run
    rows = [r[:4] + (split_words(r[2]), shape_score(r[3])) + r[6:] for r in rows]
    TIERS.update(count_tiers(rows, splits))
    print("## 0. the vocabulary's tiers by counting on every training split: "
          + " ".join(f"{w}:{t}" for w, t in sorted(TIERS.items(), key=lambda kv: (-kv[1], kv[0]))))
    by = collections.defaultdict(list)
    for r in rows:
        by[r[0]].append(r)
    print("## 1. population (all key/value candidates; score None = vetoed)")
    print(f"{'split':<9} {'cands':>6} {'GS':>5} {'other':>5} {'none':>6} | by score: gold GS/not (reported by {var})")
    for s in splits:
        rs = by[s]
        c = collections.Counter(r[6] for r in rs)
        bys = collections.defaultdict(lambda: [0, 0, 0])
        for r in rs:
            sc = score(r)
            k = "veto" if sc is None else sc
            bys[k][0 if r[6] == "GENERIC_SECRET" else 1] += 1
            bys[k][2] += bool(r[7])
        cols = " ".join(f"{k}:{v[0]}/{v[1]}({v[2]})" for k, v in sorted(bys.items(), key=lambda kv: str(kv[0])))
        print(f"{s:<9} {len(rs):>6} {c['GENERIC_SECRET']:>5} {len(rs) - c['GENERIC_SECRET'] - c['none']:>5} {c['none']:>6} | {cols}")
    print(f"\n## 1b. at the threshold (score >= {THRESHOLD}): gold GS / another entity's gold / unlabelled "
          f"(of them reported by {var}), per split")
    for s in splits:
        top = [r for r in by[s] if score(r) is not None and score(r) >= THRESHOLD]
        g = sum(r[6] == "GENERIC_SECRET" for r in top)
        u = [r for r in top if r[6] == "none"]
        print(f"  {s:<9} {g:>5} {len(top) - g - len(u):>5} {len(u):>5} ({sum(bool(r[7]) for r in u)} reported)")
    print("\n## 2. new findings (score >= t, nothing reported on the value): gold GS / not, per split")
    for t in range(2, 7):
        cells = []
        tg = tn = 0
        for s in splits:
            g, n = new_at(by[s], t)
            tg += g
            tn += n
            if g or n:
                cells.append(f"{s}:{g}/{n}")
        p = tg / (tg + tn) if tg + tn else 1.0
        print(f"t={t}: total {tg}/{tn} (P {p:.3f}) | {' '.join(cells)}")
    print("\n## 3. leave-one-writer-out (threshold chosen on the other training splits)")
    print(f"{'held out':<9} {'t':>2} {'train new gold/not':>18} {'held new gold':>13} {'held new not':>12} {'P':>6} {'GS gold':>7} {'R gain':>7}")
    for scope, seen_only in (("every candidate", False), ("the hook's scope: names the key=value rule reads", True)):
        print(f"-- {scope}")
        for h in LOWO:
            others = [s for s in splits if s != h]
            tiers = count_tiers(rows, others)
            chosen = None
            for t in range(2, 9):
                g = n = 0
                ok = True
                for s in others:
                    a, b = new_at(by[s], t, seen_only, tiers)
                    g += a
                    n += b
                    if a + b >= 5 and a / (a + b) < 0.98:
                        ok = False
                if ok and (g + n == 0 or g / (g + n) >= 0.98):
                    chosen = (t, g, n)
                    break
            if chosen is None:
                print(f"{h:<9} none")
                continue
            t, g, n = chosen
            a, b = new_at(by[h], t, seen_only, tiers)
            p = a / (a + b) if a + b else float("nan")
            fired = "" if t < 8 else " (no threshold fires)"
            print(f"{h:<9} {t:>2} {f'{g}/{n}':>18} {a:>13} {b:>12} {p:>6.3f} {gold_total[h]:>7} {a / max(1, gold_total[h]):>7.3f}{fired}")
    print(f"\n## 4. negatives: {var}'s GENERIC_SECRET findings on vetoed candidates under a key naming a secret "
          "(gold GS / not), per veto and split")
    cells = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    for r in rows:
        # a key naming a secret (a word of the vocabulary) whose candidate the score vetoes
        if "GENERIC_SECRET" in r[7] and score(r) is None and any(w in STRONG or w in WEAK for w in r[4]):
            cells[veto_reason(r[2], r[3])][r[0]][0 if r[6] == "GENERIC_SECRET" else 1] += 1
    for reason, per in sorted(cells.items(), key=lambda kv: -sum(n for g, n in kv[1].values())):
        g = sum(x[0] for x in per.values())
        n = sum(x[1] for x in per.values())
        print(f"  {reason:<40} gold {g:>5} not {n:>5} | " + " ".join(f"{s}:{a}/{b}" for s, (a, b) in per.items()))
    if "-w" in args:
        # the vocabulary by counting: every key word of a candidate whose value has a token's
        # shape (score 2 or more), gold GS / not, and in how many splits the gold occurs
        print("\n## 5. key words of candidates with a token-shaped value (shape >= 2): gold GS / not, splits with gold")
        wc = collections.defaultdict(lambda: [0, 0, set(), 0])
        for r in rows:
            if shape_score(r[3]) is None or shape_score(r[3]) < 2:
                continue
            for w in set(split_words(r[2])):
                x = wc[w]
                if r[6] == "GENERIC_SECRET":
                    x[0] += 1
                    x[2].add(r[0])
                elif r[6] == "none":
                    x[1] += 1
                else:
                    x[3] += 1
        print("  (unlabelled: no gold span at all; other: gold of another entity, a vendor key's own rule)")
        for w, (g, n, sp, o) in sorted(wc.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:100]:
            tag = "STRONG" if w in STRONG else "WEAK" if w in WEAK else "NOT" if w in NOT_SECRET else "PW" if w in PASSWORD_WORDS else ""
            print(f"  {w:<16} {tag:<6} gold {g:>5} unlabelled {n:>5} (other {o:>5}) P {g / max(1, g + n):.3f} splits {len(sp)}")
    if verbose:
        print(f"\n## examples: new findings at t={show_t}" + (f" in {show_split}" if show_split else ""))
        ex = [r for r in rows if (show_split is None or r[0] == show_split) and score(r) is not None
              and score(r) >= show_t and not r[7]]
        groups = collections.Counter()
        first = {}
        for r in ex:
            g = (r[6] == "GENERIC_SECRET", r[0], r[2].lower(), r[6])
            groups[g] += 1
            first.setdefault(g, r)
        for g, n in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[1])):
            r = first[g]
            print(f"  {n:>4} {r[0]}#{r[1]} {r[6]:<15} ks={key_score(r[4])} ss={r[5]} key={r[2]!r} v={r[3][:40]!r} ctx={r[8][-45:]!r}")
        print("\n## examples: vetoed candidates that are reported GENERIC_SECRET and not gold")
        for r in [r for r in rows if (show_split is None or r[0] == show_split) and "GENERIC_SECRET" in r[7]
                  and score(r) is None and r[6] != "GENERIC_SECRET"][:60]:
            print(f"  {r[0]}#{r[1]} {r[6]:<15} ks={key_score(r[4])} ss={r[5]} key={r[2]!r} v={r[3][:50]!r}")


if __name__ == "__main__":
    main()
