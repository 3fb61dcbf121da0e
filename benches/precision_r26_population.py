#!/usr/bin/env python3
"""Twenty-sixth round, task fp: PASSWORD and GENERIC_SECRET precision. Every PASSWORD and
GENERIC_SECRET finding of a variant on the training splits, its false positives classified,
and each candidate rule's population (what it removes or retypes, gold vs not, per split).

usage: precision_r26_population.py VARIANT [-v]
  Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl for every training split (the validation
  and honest splits are refused). Prints:
  1. the false positives per split and class: (a) a look-alike, (b) the right value with the
     wrong type (gold PASSWORD where the finding says GENERIC_SECRET, or the reverse, or another
     entity), (c) a wrong span (a second finding on a gold value already matched), (d) a
     writer disagreement (a construction another split's writer labels as the finding does);
     with -v, one example per (split, class, label);
  2. each negative rule of `src/redact/detect/evidence_r26n.rs` (the same shapes) and the
     candidates reported, not taken: the findings it would remove, gold / not, per split;
  3. the type rules: the findings each would retype, right (gold of the new type) / wrong
     (gold of the old type) / neither, per split.

A finding is gold when it matches a gold span as `pii_score.py` matches (same type, overlap,
one-to-one, in the findings' order).
"""
import collections
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pii_score import finding_span, load  # noqa: E402

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + [f"blind{i}" for i in range(18, 26)]
REFUSED = {"blind16", "blind17", "blind26", "blind27"}
SECRET = {"PASSWORD", "GENERIC_SECRET"}


def rows(variant):
    """Every PASSWORD/GENERIC_SECRET finding: split, type, gold?, overlapping gold types,
    value, the 80 bytes before and 40 after."""
    out = []
    for sp in TRAINING:
        assert sp not in REFUSED
        d = f"/tmp/pii/{sp}"
        docs = {x["id"]: x for x in load(f"{d}/corpus.jsonl")}
        labels = {x["id"]: x for x in load(f"{d}/labels.jsonl")}
        for row in load(f"{d}/{variant}.jsonl"):
            raw = docs[row["id"]]["text"].encode()
            lab = labels[row["id"]]
            gold = [(s["type"], s["start"], s["end"]) for s in lab["spans"]]
            used = [False] * len(gold)
            for f in row["findings"]:
                span = finding_span(f, lab["strings"], raw)
                if span is None:
                    continue
                ps, pe = span
                pt = "PLACEHOLDER" if f.get("placeholder") else f["type"]
                hit = next((i for i, (gt, gs, ge) in enumerate(gold)
                            if not used[i] and gt == pt and ps < ge and gs < pe), None)
                if hit is not None:
                    used[hit] = True
                if pt not in SECRET:
                    continue
                ov = sorted({gt for (gt, gs, ge) in gold if ps < ge and gs < pe})
                out.append(dict(split=sp, type=pt, gold=hit is not None, ov=ov,
                                val=raw[ps:pe].decode(errors="replace"),
                                pre=raw[max(0, ps - 80):ps].decode(errors="replace"),
                                post=raw[pe:pe + 40].decode(errors="replace")))
    return out


# --- the negatives of evidence_r26n.rs (the same shapes) ---------------------------------
def date_time(v):
    return re.fullmatch(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?", v) is not None


def lowercase_path(v):  # evidence_r24s::lowercase_path
    for p in ("~/", "./", "/"):
        if v.startswith(p):
            b = v[len(p):]
            return bool(b) and all(s and len(s) <= 40 and re.fullmatch(r"[a-z0-9_.-]+", s) for s in b.split("/"))
    return False


def redaction_mark(v):
    return re.fullmatch(r"[xX*\u2022._-]+", v) is not None and len(re.findall(r"[xX*\u2022]", v)) >= 4


def header_name(v):
    return re.fullmatch(r"X(-[A-Z][a-z]*)+", v) is not None


def hex8(v):
    return re.fullmatch(r"[0-9a-f]{8}", v) is not None


def reference_phrase(v):
    return re.match(r"(?i)(see |siehe |voir |ver |vedi |zie |secretref:).", v) is not None


def iban_ok(v):
    if not re.fullmatch(r"[A-Z]{2}\d\d[A-Z0-9]{11,30}", v):
        return False
    n = int("".join(str(int(c, 36)) for c in v[4:] + v[:4]))
    return n % 97 == 1  # (the country's length is checked in Rust too; no finding differs)


TAKEN = [
    ("date-time", lambda o: date_time(o["val"])),
    ("lower-case path", lambda o: lowercase_path(o["val"])),
    ("redaction mark", lambda o: redaction_mark(o["val"])),
    ("X- header name", lambda o: header_name(o["val"])),
    ("8 hex digits", lambda o: hex8(o["val"])),
    ("reference phrase", lambda o: reference_phrase(o["val"])),
    ("IBAN as PASSWORD", lambda o: o["type"] == "PASSWORD" and iban_ok(o["val"])),
]

# Candidates measured and not taken (docs: why).
REPORTED = [
    ("any absolute path", lambda o: re.fullmatch(r"(/[A-Za-z0-9._-]+)+/?", o["val"]) is not None),
    ("key PWD=", lambda o: re.search(r"\bPWD=$", o["pre"]) is not None),
    ("<=8 hex GENERIC_SECRET", lambda o: o["type"] == "GENERIC_SECRET" and re.fullmatch(r"[0-9a-fA-F]{1,8}", o["val"]) is not None),
    ("16 upper-case alnum (key id)", lambda o: re.fullmatch(r"[A-Z0-9]{16}", o["val"]) is not None),
    ("key word salt", lambda o: re.search(r"(?i)salt\W{0,3}$", o["pre"]) is not None),
    ("Cisco type 7", lambda o: re.search(r"\b(key|password|secret) 7 $", o["pre"]) is not None),
    ("lower camelCase word", lambda o: re.fullmatch(r"[a-z]+[A-Z][a-z]+", o["val"]) is not None),
    ("value with a blank", lambda o: " " in o["val"]),
    ("HL7 caret", lambda o: "^" in o["val"]),
]


def machine_user(o):
    p = o["pre"]
    m = re.search(r"(?:-u\s+|//)([^\s:/@]+):$", p) or re.search(
        r"""["']?user(?:name)?["']?\s*[:=]\s*["']([^"']+)["'],\s*["']?pass(?:word)?["']?\s*[:=]\s*["']$""", p, re.I)
    u = m.group(1) if m else ""
    return (len(u) >= 16 and re.fullmatch(r"[A-Za-z0-9_-]+", u) is not None and re.search(r"\d", u) is not None
            and re.search(r"[a-z]", u) is not None and (re.search(r"[A-Z]", u) is not None or re.fullmatch(r"[0-9a-f]+", u) is not None))


def random_long(o, n):
    v = o["val"]
    return (len(v) >= n and re.fullmatch(r"[A-Za-z0-9_\-+/=.~]+", v) is not None
            and all(re.search(c, v) for c in (r"\d", r"[a-z]", r"[A-Z]")))


TYPES = [  # (name, old type, new type, predicate, taken)
    ("token user in a URL's userinfo", "PASSWORD", "GENERIC_SECRET",
     lambda o: re.search(r"(?i)//(token|__token__|x-access-token|x-token-auth|oauth2):$", o["pre"]) is not None, True),
    ("Slack rotation token (xoxe-)", "GENERIC_SECRET", "SLACK_TOKEN",
     lambda o: re.match(r"xoxe(-\d|\.xox..)[A-Za-z0-9-]{10,}", o["val"]) is not None, True),
    ("machine-shaped user before the password", "PASSWORD", "GENERIC_SECRET", machine_user, False),
    ("random value of 32+ bytes", "PASSWORD", "GENERIC_SECRET", lambda o: random_long(o, 32), False),
    ("random value of 48+ bytes", "PASSWORD", "GENERIC_SECRET", lambda o: random_long(o, 48), False),
]

# Writer disagreements (class d): constructions another split's writer labels as the finding does.
DISAGREE = [
    ("card security code", lambda o: re.search(r"(?i)(cvc|cvv)\W{0,3}$", o["pre"]) is not None),
    ("encrypted token", lambda o: re.search(r'"encrypted":\{"token":"$', o["pre"]) is not None),
    ("token of a checkout session", lambda o: re.search(r'\{"token":"$', o["pre"]) is not None),
    ("salt beside a password hash", lambda o: re.search(r'"salt":"$', o["pre"]) is not None),
    ("Cisco type 7", lambda o: re.search(r"\bkey 7 $", o["pre"]) is not None),
    ("key id of a key/secret pair", lambda o: re.search(r"API key/secret: $", o["pre"]) is not None),
]


# Other look-alikes (class a), named for the table; too few or too varied for a rule.
LOOK_ALIKES = [
    ("template", lambda o: re.search(r"\$\{|ENV\[|\{\{", o["val"]) is not None),
    ("rest of a word of a sentence", lambda o: re.search(r"passw$", o["pre"]) is not None),
    ("words after a password word", lambda o: re.match(r"(?i)(separately|ticket )", o["val"]) is not None),
    ("secret store path", lambda o: re.search(r"vault:$", o["pre"]) is not None),
]


def classify(o):
    other = [t for t in o["ov"] if t != o["type"]]
    if other:
        return "b", "gold " + "/".join(other)
    if o["type"] in o["ov"]:
        return "c", "second finding on a gold value"
    for name, p in DISAGREE:
        if p(o):
            return "d", name
    for name, p in TAKEN + REPORTED + LOOK_ALIKES:
        if p(o):
            return "a", name
    return "a", "other look-alike"


def per_split(pop, pred):
    c = collections.defaultdict(lambda: [0, 0])
    for o in pop:
        if pred(o):
            c[o["split"]][0 if o["gold"] else 1] += 1
    return c


def main():
    variant = sys.argv[1]
    verbose = "-v" in sys.argv
    pop = rows(variant)
    fps = [o for o in pop if not o["gold"]]
    print(f"== {variant}: {len(pop)} PASSWORD/GENERIC_SECRET findings on the training splits, {len(fps)} false positives")
    print("\n1. false positives per split and class")
    table = collections.Counter()
    ex = {}
    for o in fps:
        cls, label = classify(o)
        table[(o["split"], o["type"], cls, label)] += 1
        ex.setdefault((o["split"], o["type"], cls, label), o)
    for k in sorted(table, key=lambda k: (TRAINING.index(k[0]), k[1], k[2], -table[k])):
        print(f"   {k[0]:<8} {k[1]:<15} ({k[2]}) {table[k]:>4}  {k[3]}")
        if verbose:
            o = ex[k]
            print(f"            {o['pre'][-50:]!r} [{o['val'][:60]!r}] {o['post'][:20]!r}")
    for title, rules in (("2. negatives taken (evidence_r26n.rs)", TAKEN), ("   candidates reported, not taken", REPORTED)):
        print(f"\n{title}: removed gold / not, per split")
        for name, p in rules:
            c = per_split(pop, p)
            g, n = sum(v[0] for v in c.values()), sum(v[1] for v in c.values())
            prec = n / (g + n) if g + n else float("nan")
            print(f"   {name:<30} removes {g + n:>5}: gold {g:>4}, not {n:>4}, non-gold share {prec:.3f}; "
                  + " ".join(f"{s}:{v[0]}/{v[1]}" for s, v in sorted(c.items(), key=lambda kv: TRAINING.index(kv[0]))))
    print("\n3. type rules: retyped right / wrong / neither, per split")
    for name, old, new, p, taken in TYPES:
        c = collections.defaultdict(lambda: [0, 0, 0])
        for o in pop:
            if o["type"] == old and p(o):
                c[o["split"]][1 if o["gold"] else 0 if new in o["ov"] else 2] += 1
        r, w, z = (sum(v[i] for v in c.values()) for i in range(3))
        print(f"   {'taken' if taken else 'not taken':<9} {name:<40} {old}->{new}: right {r}, wrong {w}, neither {z}; "
              + " ".join(f"{s}:{v[0]}/{v[1]}/{v[2]}" for s, v in sorted(c.items(), key=lambda kv: TRAINING.index(kv[0]))))


if __name__ == "__main__":
    main()
