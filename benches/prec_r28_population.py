#!/usr/bin/env python3
"""Twenty-eighth round, task prec: SLACK_TOKEN, PLACEHOLDER, PASSWORD and PHONE precision.
Each candidate rule's population on the training splits: every finding of a variant it would
change (gold / not, per split), and every occurrence of the construction in the corpora.

usage: prec_r28_population.py VARIANT
  Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl for every training split (the
  validation and honest splits are refused). Findings are matched to gold as `pii_score.py`
  matches (same type, overlap, one-to-one, in the findings' order): the helpers of
  `prec_r27_population.py`, imported, over this round's training splits.

Taken (`src/redact/detect/evidence_r28n.rs`, the same shapes):
  slack_without_number  a SLACK_TOKEN with no digit past its prefix: a placeholder
  run_in_random_hex     a run of 6-9 equal bytes inside 32+ hex digits: no placeholder mark
  capital_revision      PASSWORD `HEAD~42` (an all-capital word, `~`, digits)
  time_member_number    PHONE of 10 or 13 digits opening with 1 under a time's name
Reported, not taken: see the printout.
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prec_r27_population as p27  # noqa: E402

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + [
    f"blind{i}" for i in range(18, 28)]
REFUSED = {"blind16", "blind17", "blind28", "blind29"}
# The twenty-seventh round's helpers read their module's split lists.
p27.TRAINING, p27.REFUSED = TRAINING, REFUSED

SLACK = re.compile(rb"(?:xox[abposre]-[A-Za-z0-9\-]{10,}|xapp-[0-9]+-[A-Za-z0-9\-]{10,})")


# --- the rules of evidence_r28n.rs ------------------------------------------------------
def slack_without_number(v):
    return len(v) > 5 and not re.search(rb"\d", v[5:])


# `validate::secret_placeholder`'s signals (a port, for this population only).
PREFIXES = [b"sk_test_", b"rk_test_", b"sk_live_", b"rk_live_", b"sk-ant-", b"sk-proj-",
            b"sk-", b"github_pat_", b"xox", b"xapp-"]


def body_of(token):
    return next((token[len(p):] for p in PREFIXES if token.startswith(p)), token)


def placeholder_words(b):
    low = b.lower()
    if any(w in low for w in (b"example", b"placeholder", b"dummy", b"sample", b"redacted",
                              b"replace")):
        return True
    return any(w in b or w.upper() in b for w in (b"your", b"here", b"fake", b"test"))


def ascending(b):
    up = 0
    for a, c in zip(b, b[1:]):
        up = up + 1 if (c == a + 1 and chr(a).isalnum()) or (a == 57 and c == 48) else 0
        if up >= 9:
            return True
    return False


def interleaved(b):
    up = 0
    for i in range(len(b) - 2):
        a, m, c = b[i], b[i + 1], b[i + 2]
        alt = chr(a).isdigit() != chr(m).isdigit()
        up = up + 1 if alt and ((c == a + 1 and chr(a).isalnum()) or (a == 57 and c == 48)) else 0
        if up >= 10:
            return True
    return False


def repeated_group(b):
    n = len(b)
    return any(n >= p + 10 and all(b[i] == b[i + p] for i in range(n - 10 - p, n - p))
               for p in range(2, 9))


def run_in_random_hex(b, s, e):
    if not 6 <= e - s <= 9 or not chr(b[s]) in "0123456789abcdefABCDEF":
        return False
    hexd = set(b"0123456789abcdefABCDEF")
    left = len(b[:s]) - len(b[:s].rstrip(bytes(hexd)))
    right = len(b[e:]) - len(b[e:].lstrip(bytes(hexd)))
    return left + (e - s) + right >= 32


def placeholder_only_by_hex_runs(token):
    """A placeholder by its equal runs alone, every run of them random hex's."""
    b = body_of(token)
    runs = [m.span() for m in re.finditer(rb"(.)\1{5,}", b)]
    if not runs or not all(run_in_random_hex(b, s, e) for s, e in runs):
        return False
    return not (placeholder_words(b) or ascending(b) or interleaved(b) or repeated_group(b))


def capital_revision(v):
    return re.fullmatch(rb"[A-Z]{4,}~\d{1,4}", v) is not None


TIME_NAME = re.compile(rb"(?i)(?:date|time|timestamp|_ts)[\"']?\s*[=:]\s*[\"']?$")


def time_member_number(raw, s, e):
    v = raw[s:e]
    return (re.fullmatch(rb"1\d{9}|1\d{12}", v) is not None
            and TIME_NAME.search(raw[max(0, s - 40):s]) is not None)


# Reported, not taken (one split's writer).
UNATTEND_PASSES = {b"windowsPE", b"offlineServicing", b"generalize", b"specialize",
                   b"auditSystem", b"auditUser", b"oobeSystem"}


def print_counts(name, rows):
    """One line of counts for `name` (all splits together), then each split's."""
    tot = collections.Counter()
    for c in rows.values():
        tot.update(c)
    per = "; ".join(f"{sp} " + ", ".join(f"{k} {n}" for k, n in c.items())
                    for sp, c in sorted(rows.items()))
    print(f"{name:44} {dict(tot)}  splits {len(rows)}\n    [{per}]")


def main():
    variant = sys.argv[1] if len(sys.argv) > 1 else "m9"
    pop = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    examples = collections.defaultdict(list)

    def note(name, sp, cls, ex):
        pop[name][sp][cls] += 1
        if len(examples[name]) < 3:
            examples[name].append((sp, ex.decode(errors="replace")[:100], cls))

    for sp, _i, raw, gold, t, s, e, is_gold in p27.findings(variant):
        v = raw[s:e]
        over = {g for g, gs, ge in gold if gs < e and s < ge}
        cls = "gold" if is_gold else ("/".join(sorted(over)) or "none")
        if t == "SLACK_TOKEN" and slack_without_number(v):
            # Becomes a placeholder: right when the gold is PLACEHOLDER.
            note("slack_without_number -> PLACEHOLDER (taken)", sp,
                 "gold PLACEHOLDER" if "PLACEHOLDER" in over else f"was {cls}", v)
        if t == "PLACEHOLDER" and placeholder_only_by_hex_runs(v):
            # Masked as its type instead: right when the gold is that secret.
            note("run_in_random_hex -> secret (taken)", sp,
                 "gold PLACEHOLDER" if is_gold else f"gold {cls}", v)
        if t == "PASSWORD" and capital_revision(v):
            note("capital_revision removes (taken)", sp, cls, v)
        if t == "PHONE" and time_member_number(raw, s, e):
            note("time_member_number removes (taken)", sp, cls, raw[max(0, s - 20):e + 5])
        if t == "PASSWORD" and v in UNATTEND_PASSES:
            note("unattend.xml pass name (reported)", sp, cls, raw[max(0, s - 20):e + 5])
    print(f"== findings changed, by rule, on {variant} (per split: class count)")
    for name, rows in pop.items():
        print_counts(name, rows)
        for ex in examples[name]:
            print(f"    e.g. {ex}")

    print("== constructions in the corpora (per split: label of the span)")
    cons = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    for sp, _d, docs, labels in p27.splits():
        for i, doc in docs.items():
            raw = doc["text"].encode()
            gold = [(s["type"], s["start"], s["end"]) for s in labels[i]["spans"]]

            def lab(s, e):
                return "/".join(sorted({t for t, gs, ge in gold if gs < e and s < ge})) or "none"
            for m in SLACK.finditer(raw):
                if slack_without_number(m.group()):
                    cons["Slack token, no digit past its prefix"][sp][lab(*m.span())] += 1
            for m in re.finditer(rb"(?<![A-Za-z0-9_])[A-Z]{4,}~\d{1,4}(?![A-Za-z0-9])", raw):
                cons["CAPITALS~digits"][sp][lab(*m.span())] += 1
            for m in re.finditer(rb"(?<![0-9])1(?:\d{9}|\d{12})(?![0-9])", raw):
                if TIME_NAME.search(raw[max(0, m.start() - 40):m.start()]):
                    cons["10/13-digit Unix time under a time's name"][sp][lab(*m.span())] += 1
    for name, rows in cons.items():
        print_counts(name, rows)


if __name__ == "__main__":
    main()
