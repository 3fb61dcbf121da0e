#!/usr/bin/env python3
"""Twenty-seventh round, task prec: PLACEHOLDER, EMAIL, PHONE, PASSWORD and CREDIT_CARD
precision. Each candidate rule's population on the training splits: every finding of a
variant it would remove (gold / not, per split), and for the candidates that would add
findings, every occurrence of the construction (gold / not, per split).

usage: prec_r27_population.py VARIANT
  Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl for every training split (the
  validation and honest splits are refused). A finding is gold when it matches a gold span as
  `pii_score.py` matches (same type, overlap, one-to-one, in the findings' order).

Taken (`src/redact/detect/evidence_r27n.rs`, the same shapes):
  colon_field       PHONE / CREDIT_CARD digits with `:` right before and after
  no_plan_grouping  PHONE without `+` grouped [>=7, <=2] or [4, 6, 5]
  angle_template    PLACEHOLDER whose whole value is `<words>` / `<<words>>`
Reported, not taken (one split's writer, or a writer disagreement): see the printout.
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pii_score import finding_span, load  # noqa: E402

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + [
    f"blind{i}" for i in range(18, 27)]
REFUSED = {"blind16", "blind17", "blind27", "blind28"}


def splits():
    for sp in TRAINING:
        assert sp not in REFUSED
        d = f"/tmp/pii/{sp}"
        docs = {x["id"]: x for x in load(f"{d}/corpus.jsonl")}
        labels = {x["id"]: x for x in load(f"{d}/labels.jsonl")}
        yield sp, d, docs, labels


def findings(variant):
    """(split, doc id, raw, gold, type, start, end, gold?) of every finding."""
    for sp, d, docs, labels in splits():
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
                yield sp, row["id"], raw, gold, pt, ps, pe, hit is not None


# --- the negatives of evidence_r27n.rs --------------------------------------------------
def colon_field(raw, s, e):
    return s > 0 and raw[s - 1:s] == b":" and raw[e:e + 1] == b":"


def no_plan_grouping(v):
    if v.startswith(b"+"):
        return False
    g = [len(x) for x in re.findall(rb"\d+", v)]
    return (len(g) == 2 and g[0] >= 7 and g[1] <= 2) or g == [4, 6, 5]


def angle_template(v):
    m = re.fullmatch(rb"<<?([A-Za-z][A-Za-z _-]*[A-Za-z])>>?", v)
    return bool(m) and (v.startswith(b"<<") == v.endswith(b">>")) and len(m.group(1)) >= 3


# Candidates reported, not taken: the findings they would remove.
def noreply(raw, s, e):
    return re.match(rb"(no-?reply|do-?not-?reply)@", raw[s:e], re.I) is not None


def ical_uid(raw, s, e):
    return raw[max(0, s - 4):s] == b"UID:"


def lookup_table_path(v):
    return re.fullmatch(rb"[a-z][a-z0-9_+-]{1,15}:(/[a-z0-9_.-]+)+/?", v) is not None


def number_after_id_word(raw, s):
    return re.search(rb"(passport|advice)[\s,]+number\s*$", raw[max(0, s - 40):s], re.I) is not None


RULES = [
    ("colon_field (taken)", {"PHONE", "CREDIT_CARD"}, lambda raw, s, e: colon_field(raw, s, e)),
    ("no_plan_grouping (taken)", {"PHONE"}, lambda raw, s, e: no_plan_grouping(raw[s:e])),
    ("angle_template (taken)", {"PLACEHOLDER"}, lambda raw, s, e: angle_template(raw[s:e])),
    ("noreply address (reported)", {"EMAIL"}, noreply),
    ("iCalendar UID (reported)", {"EMAIL"}, ical_uid),
    ("type:/path lookup table (reported)", {"PASSWORD", "GENERIC_SECRET"},
     lambda raw, s, e: lookup_table_path(raw[s:e])),
    ("'passport/advice number' (reported)", {"PHONE"}, lambda raw, s, e: number_after_id_word(raw, s)),
]


def main():
    variant = sys.argv[1] if len(sys.argv) > 1 else "m8"
    pop = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    examples = collections.defaultdict(list)
    for sp, i, raw, gold, t, s, e, is_gold in findings(variant):
        for name, types, rule in RULES:
            if t in types and rule(raw, s, e):
                pop[name][sp][0 if is_gold else 1] += 1
                if len(examples[name]) < 3:
                    examples[name].append((sp, raw[s:e].decode(errors="replace"),
                                           "gold" if is_gold else "not"))
    print(f"== removals by rule on {variant} (per split: gold / not)")
    for name, _, _ in RULES:
        rows = pop[name]
        g = sum(v[0] for v in rows.values())
        n = sum(v[1] for v in rows.values())
        per = ", ".join(f"{sp} {v[0]}/{v[1]}" for sp, v in sorted(rows.items()))
        print(f"{name:40} gold {g:4} not {n:4} splits {len(rows):2}  [{per}]")
        for ex in examples[name]:
            print(f"    e.g. {ex}")

    # Additions reported, not taken: every occurrence of the construction in the corpora.
    print("== constructions (per split: labelled / not)")
    add = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    for name in ["gold PHONE in a no-plan grouping", "gold PHONE/CARD as a colon field"]:
        add[name] = collections.defaultdict(lambda: [0, 0])
    for sp, d, docs, labels in splits():
        for i, doc in docs.items():
            raw = doc["text"].encode()
            gold = [(s["type"], s["start"], s["end"]) for s in labels[i]["spans"]]

            def lab(s, e, types):
                return any(t in types and gs < e and s < ge for t, gs, ge in gold)
            # An address as a URL's userinfo with its `@` unencoded (`smtps://a@b.c@host`).
            for m in re.finditer(rb"[a-z][a-z0-9+.-]*://([^\s/@:\"'<>]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})@", raw):
                add["EMAIL in userinfo, @ unencoded"][sp][0 if lab(*m.span(1), {"EMAIL"}) else 1] += 1
            # A gold PHONE grouped as no plan groups it (none expected).
            for t, gs, ge in gold:
                if t == "PHONE" and no_plan_grouping(raw[gs:ge]):
                    add["gold PHONE in a no-plan grouping"][sp][0] += 1
                if t in ("PHONE", "CREDIT_CARD") and colon_field(raw, gs, ge):
                    add["gold PHONE/CARD as a colon field"][sp][0] += 1
            # `<your-token>` / `<redacted>` anywhere: labelled as anything?
            for m in re.finditer(rb"<(your-token|redacted|paste key here)>", raw):
                add["<your-token>/<redacted>/<paste key here>"][sp][0 if lab(*m.span(), {"PLACEHOLDER"}) else 1] += 1
            # A bare `x` run or `0123456789abcdef` under a key (`=`, `:"`), labelled PLACEHOLDER?
            for m in re.finditer(rb"(?<=[=:\"])(x{12,}|(?:0123456789abcdef)+)(?=[\s\"\\,]|$)", raw):
                add["bare xxxx / 0123456789abcdef value"][sp][0 if lab(*m.span(), {"PLACEHOLDER"}) else 1] += 1
            # A number after `fax`: labelled PHONE? (blind25's writer: no; the others: yes.)
            for m in re.finditer(rb"(?i)\bfax\b[\s.:#]*(\+?\d[\d ().-]{6,}\d)", raw):
                add["number after 'fax'"][sp][0 if lab(*m.span(1), {"PHONE"}) else 1] += 1
    # The type of a long random value found as a PASSWORD (>= 32 of [A-Za-z0-9_-], upper,
    # lower and digit): gold PASSWORD (labelled) or gold GENERIC_SECRET (not).
    for sp, i, raw, gold, t, s, e, is_gold in findings(variant):
        v = raw[s:e]
        if t == "PASSWORD" and len(v) >= 32 and re.fullmatch(rb"[A-Za-z0-9_-]+", v) and all(
                re.search(p, v) for p in (rb"[a-z]", rb"[A-Z]", rb"\d")):
            gt = {g for g, gs, ge in gold if gs < e and s < ge}
            if "PASSWORD" in gt or "GENERIC_SECRET" in gt:
                add["long random PASSWORD finding: gold PW/GS"][sp][0 if "PASSWORD" in gt else 1] += 1
    for name, rows in add.items():
        g = sum(v[0] for v in rows.values())
        n = sum(v[1] for v in rows.values())
        per = ", ".join(f"{sp} {v[0]}/{v[1]}" for sp, v in sorted(rows.items()))
        print(f"{name:40} labelled {g:4} not {n:4} splits {len(rows):2}  [{per}]")


if __name__ == "__main__":
    main()
