#!/usr/bin/env python3
"""Population of PASSWORD / GENERIC_SECRET values by shape (issue #20, nineteenth round, task G).

For every value the engine reports as GENERIC_SECRET or PASSWORD in a variant's output (default
`final`), and every gold span of those types, on the TRAINING splits only, classify the value's
shape (stand-in forms, references, code identifiers, prose, ...) and count gold vs not gold per
shape. A shape whose population is >= 0.98 not gold is a candidate rule.

usage: secret_standin_population.py [VARIANT] [--show SHAPE]
"""
import json
import re
import sys
from collections import Counter, defaultdict

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)]
TYPES = {"GENERIC_SECRET", "PASSWORD"}

DICT = {"changeme", "change_me", "change-me", "changeit", "todo", "tbd", "fixme", "redacted",
        "removed", "hidden", "masked", "omitted", "placeholder", "dummy", "notset", "not_set"}
WORD = r"[a-z]{2,}[0-9]*"
UWORD = r"[A-Z]{2,}[0-9]*"
NOUNS = {"password", "passwd", "pwd", "pass", "passphrase", "token", "key", "apikey", "secret",
         "secrets", "creds", "credential", "credentials", "cert"}


def material(s):
    """A run of 8+ token bytes with a letter and a digit, or random case (`standin.rs`)."""
    for run in re.split(r"[^A-Za-z0-9_+/=-]", s):
        if len(run) >= 8 and ((re.search(r"[A-Za-z]", run) and re.search(r"[0-9]", run)) or re.search(r"[a-z].*[A-Z]", run)):
            return True
    return False


def shape(v: str) -> str:
    t = v.strip().strip("\"'")
    if not t:
        return "empty"
    # Template and variable syntax (a value that is one, whole).
    if re.fullmatch(r"\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|\{%.*%\}|%[A-Za-z_][A-Za-z0-9_]*%|\$([A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)|<%.*%>|#\{[^}]*\}", t):
        return "template"
    if re.search(r"\$\{|\{\{|\{%|<%|\$\(|#\{", t):
        rest = re.sub(r"\$\{[^}]*\}|\{\{.*?\}\}|\{%.*?%\}|<%.*?%>|\$\([^)]*\)|#\{[^}]*\}", " ", t)
        return "template+secret" if material(rest) else "contains-template"
    if "..." in t or "…" in t:
        return "elision+secret" if "…" not in t and material(t) else "elision"
    if re.fullmatch(r"<[^<>\[\]()]+>|\[[^<>\[\]()]+\]|\([^<>\[\]()]+\)", t):
        return "bracket+secret" if material(t[1:-1]) else "bracket"
    if re.fullmatch(r"[xX*•#.\-]{3,}", t) or re.search(r"[xX]{6,}|\*{3,}", t):
        return "masked"
    if t.lower() in DICT:
        return "dict"
    if t.startswith("arn:"):
        return "arn"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)+(\(\))?", t):
        return "code"
    if " " in t:
        return "prose" if re.fullmatch(r"[A-Za-z0-9 ,.'’()/:-]+", t) and len(t.split()) >= 2 and all(re.fullmatch(r"[A-Za-z(),.'’:/-]*[0-9]?", w) for w in t.split()) else "spaced-other"
    if re.fullmatch(rf"{WORD}([-_]{WORD})+|{UWORD}([-_]{UWORD})+", t) and re.split(r"[-_]", t)[-1].lower() in NOUNS:
        return "secret-name"
    if re.fullmatch(rf"{WORD}([-_]{WORD})+", t):
        return "kebab-words"
    if re.fullmatch(rf"({WORD}/)+{WORD}([-_]{WORD})*(-[A-Za-z0-9]{{6}})?", t):
        return "path-words"
    if re.fullmatch(rf"{WORD}([-_/]{WORD})*-[A-Za-z0-9]{{6}}", t):
        return "name-suffix6"
    if re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", t):
        return "ENV_NAME"
    if re.fullmatch(r"[a-z]+", t):
        return "lower-word"
    if re.fullmatch(r"[0-9]+", t):
        return "digits"
    return "other"


STRINGS = {}


def doc_strings(split, i):
    return STRINGS[(split, i)]


def spans(split, variant):
    corpus = [json.loads(l) for l in open(f"/tmp/pii/{split}/corpus.jsonl")]
    labels = {o["id"]: o for o in map(json.loads, open(f"/tmp/pii/{split}/labels.jsonl"))}
    found = {o["id"]: o for o in map(json.loads, open(f"/tmp/pii/{split}/{variant}.jsonl"))}
    for doc in corpus:
        raw = doc["text"].encode()
        lab = labels[doc["id"]]
        strings = lab["strings"]
        gold = [(s["type"], s["start"], s["end"]) for s in lab["spans"]]
        preds = []
        for f in found[doc["id"]]["findings"]:
            if "pointer" in f:
                base = strings.get(f["pointer"])
                if base is None:
                    continue
                s, e = (base + f["start"], base + f["end"]) if "start" in f else (base, raw.index(b'"', base))
            else:
                s, e = f["start"], f["end"]
            preds.append(("PLACEHOLDER" if f.get("placeholder") else f["type"], s, e))
        STRINGS[(split, doc["id"])] = strings
        yield doc, raw, gold, preds


SECRET_NAME = re.compile(r"(?i)(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|credential|private[_-]?key|access[_-]?key|auth)")
TEXT_KV = re.compile(rb"(?i)\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|credential|private[_-]?key)[A-Za-z0-9_.-]*[\"']?\s*(?::|=|=>)\s*[\"']?([^\s\"',;]+(?: [^\s\"',;]+)*?)(?=[\"',;]|\s*$|\s)", re.M)


def candidates(doc, raw, strings):
    """Every value a secret-named key or `name=value` holds: (start, end) in raw bytes."""
    if doc["kind"] == "json":
        try:
            root = json.loads(doc["text"])
        except ValueError:
            return
        def walk(v, ptr, key):
            if isinstance(v, dict):
                for k, c in v.items():
                    walk(c, ptr + "/" + k.replace("~", "~0").replace("/", "~1"), k)
            elif isinstance(v, list):
                for i, c in enumerate(v):
                    walk(c, f"{ptr}/{i}", key)
            elif isinstance(v, str) and key is not None and SECRET_NAME.search(key):
                base = strings.get(ptr)
                if base is not None:
                    yield_list.append((base, raw.index(b'"', base)))
        yield_list = []
        walk(root, "", None)
        yield from yield_list
    else:
        for m in TEXT_KV.finditer(raw):
            yield m.start(1), m.end(1)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    variant = args[0] if args else "final"
    show = sys.argv[sys.argv.index("--show") + 1] if "--show" in sys.argv else None
    table = defaultdict(Counter)  # shape -> counts
    examples = defaultdict(list)
    for split in TRAINING:
        for doc, raw, gold, preds in spans(split, variant):
            for (t, s, e) in gold:
                if t in TYPES:
                    v = raw[s:e].decode(errors="replace")
                    sh = shape(v)
                    table[sh]["gold"] += 1
                    hit = any(pt == t and ps < e and s < pe for pt, ps, pe in preds)
                    table[sh]["gold found" if hit else "gold missed"] += 1
                    examples[sh].append(("GOLD" if hit else "FN", split, doc["id"], v))
            # Every candidate value (reported or not) that is no gold secret.
            for (s, e) in candidates(doc, raw, doc_strings(split, doc["id"])):
                if any(gt in TYPES and gs < e and s < ge for gt, gs, ge in gold):
                    continue
                v = raw[s:e].decode(errors="replace")
                sh = shape(v)
                reported = any(pt in TYPES and ps < e and s < pe for pt, ps, pe in preds)
                table[sh]["cand not gold"] += 1
                examples[sh].append(("CAND" + ("+FP" if reported else ""), split, doc["id"], v))
            for (t, s, e) in preds:
                if t not in TYPES:
                    continue
                v = raw[s:e].decode(errors="replace")
                sh = shape(v)
                if any(gt == t and gs < e and s < ge for gt, gs, ge in gold):
                    continue  # counted with the gold
                other = [gt for gt, gs, ge in gold if gs < e and s < ge]
                table[sh]["fp"] += 1
                if other:
                    table[sh]["fp other gold"] += 1
                examples[sh].append(("FP" + ("(" + ",".join(other) + ")" if other else ""), split, doc["id"], v))
    print(f"variant {variant}, training splits ({len(TRAINING)}): PASSWORD + GENERIC_SECRET by value shape")
    print("gold: gold PASSWORD/GENERIC_SECRET spans (found/missed by the variant); FP: the variant's")
    print("reports that are no gold of their type; cand: every value under a secret-named JSON key or")
    print("after a secret-named `name=`/`name:` in text that is no gold secret (reported or not).")
    print(f"{'shape':<18}{'gold':>6}{'found':>7}{'missed':>7}{'FP':>6}{'cand':>6}{'not gold':>10}")
    for sh, c in sorted(table.items(), key=lambda kv: -(kv[1]["gold"] + kv[1]["fp"] + kv[1]["cand not gold"])):
        n = c["gold"] + max(c["fp"], c["cand not gold"])
        print(f"{sh:<18}{c['gold']:>6}{c['gold found']:>7}{c['gold missed']:>7}{c['fp']:>6}{c['cand not gold']:>6}{1 - c['gold'] / n:>10.3f}")
    if show:
        for ex in examples[show]:
            print(*ex, sep="\t")


if __name__ == "__main__":
    main()
