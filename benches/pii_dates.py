#!/usr/bin/env python3
"""Population of dates by structure (nineteenth round, task D; issue #20).

Usage: benches/pii_dates.py VARIANT [SPLIT ...]   (SHOW=STRUCTURE also prints examples)

Finds every date the engine's `DATE` pattern reads (`src/redact/detect/patterns.rs`) in the
corpora /tmp/pii/<split>/corpus.jsonl (raw bytes: text documents and the string values of
JSON ones), and sorts each by the structure around it:

- its *record*: in a JSON document whose string is the date as a whole, the object holding
  that member (its sibling members); otherwise the line holding it (a line break, or a log's
  flattened ` | `, ` ⏎ `, ` ↵ `, ` ¶ ` inside a string, ends a line);
- the PII the record holds, as the engine found it (VARIANT's findings: EMAIL, PHONE, US_SSN,
  CREDIT_CARD, IBAN): evidence a writer cannot rename;
- whether an event word (created, ordered, shipped, due, issued, expires, visit, admission,
  hired, …) stands in the record's key, in the words before the date in its cell, or (text
  tables) in the header cell above it;
- the year → an age band relative to the corpus's fixed day (2026-12-01);
- whether a time follows it (a time stamp);
- a question/answer pair: the turn before asks for a birth date.

For each structure it prints how many dates are gold DATE_OF_BIRTH and how many are not (the
rule's precision alone), and how many gold dates the engine (VARIANT) missed that it would
recover. Only training splits by default (never the validation or forbidden ones).
"""
import collections
import json
import os
import re
import sys

from pii_score import finding_span

TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)]

MON = (
    rb"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|okt|dez|m\xC3\xA4r|mai|mei|maa|mrt|jui|"
    rb"f\xC3\xA9v|avr|ao\xC3\xBB|d\xC3\xA9c|gen|mag|giu|lug|ago|set|ott|dic|ene|abr"
)
DATE = re.compile(
    rb"(?<![0-9A-Za-z])(?:"
    rb"(?P<ymd>[0-9]{4})[\-./][0-9]{1,2}[\-./][0-9]{1,2}"
    rb"|[0-9]{1,2}[\-./][0-9]{1,2}[\-./](?P<dmy>[0-9]{4}|[0-9]{2})"
    rb"|[0-9]{1,2}-?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-?(?P<dmony>[0-9]{4}|[0-9]{2})"
    rb"|(?:[0-9]{1,2}\.? (?:de )?)?(?i:" + MON + rb")[a-z]*\.?(?: [0-9]{1,2}(?:st|nd|rd|th)?,?)?(?: de)? (?P<word>[0-9]{4})"
    rb")(?![0-9A-Za-z])"
)
PII = {"EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IBAN"}
BIRTH = ["birth", "dob", "born", "geburt", "geboor", "naiss", "nascit", "nacimi", "bday", "geb."]
FIXED_YEAR = 2026
# A flattened line break inside one string: ` | `, ` ⏎ `, ` ↵ `, ` ¶ ` (as the engine reads them).
FLAT = re.compile(rb"\\n|\\r|\n|\r| \| | \xe2\x8f\x8e | \xe2\x86\xb5 | \xc2\xb6 ")
# Lines as the engine's rule reads them: a line break (`\n` escaped in a JSON string), `⏎`, `↵`, `¶`.
BREAKS = re.compile(rb"\\n|\\r|\n|\r|\xe2\x8f\x8e|\xe2\x86\xb5|\xc2\xb6")


def year_of(m):
    for g in ("ymd", "dmy", "dmony", "word"):
        y = m.group(g)
        if y:
            y = int(y)
            if y < 100:
                return None  # two digits: no age
            return y
    return None


def band(y):
    if y is None:
        return "yy"
    age = FIXED_YEAR - y
    if age < 0:
        return "future"
    if age < 14:
        return "0-13"
    if age <= 110:
        return "14-110"
    return "old"


def words(b):
    return [w for w in re.split(rb"[^a-z]+", b.lower()) if w]


def has_event(b):
    return any(event_word(w.decode()) for w in words(b))


def has_birth(b):
    low = b.lower()
    return any(k.encode() in low for k in BIRTH)


def load(split, variant):
    d = f"/tmp/pii/{split}"
    C = [json.loads(l) for l in open(f"{d}/corpus.jsonl")]
    L = {o["id"]: o for o in map(json.loads, open(f"{d}/labels.jsonl"))}
    F = {o["id"]: o for o in map(json.loads, open(f"{d}/{variant}.jsonl"))}
    return C, L, F


def findings(raw, strings, F):
    spans = ((f["type"], finding_span(f, strings, raw)) for f in F["findings"])
    return [(t, *span) for t, span in spans if span is not None]


def leaf_of(strings_sorted, raw, s):
    """(pointer, start, end) of the JSON string holding raw offset s."""
    lo = None
    for off, p in strings_sorted:
        if off > s:
            break
        lo = (off, p)
    if lo is None:
        return None
    off, p = lo
    i = off
    while i < len(raw) and raw[i] != 0x22:
        i += 2 if raw[i] == 0x5C else 1
    if s >= i:
        return None
    return p, off, i


def line_of(raw, a, b, s, e):
    """The line (a flattened one too) around [s, e) inside raw[a:b]."""
    ls, le = a, b
    for m in FLAT.finditer(raw, a, b):
        if m.end() <= s:
            ls = m.end()
        elif m.start() >= e:
            le = m.start()
            break
    return ls, le


def column_header(raw, a, ls, c):
    """The header cell of the text table column whose cell starts at c (as the engine's
    `table::column_header`, roughly): the topmost line above holding the same delimiter."""
    j = c
    while j > ls and raw[j - 1] == 0x20:
        j -= 1
    if j <= ls or raw[j - 1] not in b",;|\t":
        return b""
    d = raw[j - 1 : j]
    col = raw[ls:j].count(d)
    lines = BREAKS.split(raw[a:ls])[:-1]
    top = None
    for line in reversed(lines):
        if d not in line:
            break
        top = line
    if top is None:
        return b""
    cells = top.split(d)
    return cells[col].strip(b" \"'*") if col < len(cells) else b""


def classify(raw, kind, strings, finds, s, e, m):
    f = {}
    y = year_of(m)
    f["band"] = band(y)
    after = raw[e : e + 4]
    f["time"] = bool(re.match(rb"(?:T[0-9]|[ ,]+[0-9]{1,2}:[0-9]{2})", raw[e : e + 8]))
    rec = None
    if kind == "json":
        ss = sorted((o, p) for p, o in strings.items())
        leaf = leaf_of(ss, raw, s)
        if leaf is None:
            return None
        p, a, b = leaf
        whole = a == s and b == e
        if whole:
            parent = p.rsplit("/", 1)[0]
            sib = [(o, q) for q, o in strings.items() if q.rsplit("/", 1)[0] == parent]
            lo = min(o for o, _ in sib)
            hi = max(o for o, _ in sib)
            hi = raw.index(b'"', hi) if hi < len(raw) else hi
            rec = ("member", lo, hi + 1)
            key = p.rsplit("/", 1)[1].encode()
            f["key"] = key
            f["struct"] = "json-member"
        else:
            ls, le = line_of(raw, a, b, s, e)
            rec = ("line", ls, le)
            f["key"] = p.rsplit("/", 1)[1].encode()
            f["struct"] = "json-line"
    else:
        ls, le = line_of(raw, 0, len(raw), s, e)
        rec = ("line", ls, le)
        f["key"] = b""
        f["struct"] = "text-line"
    _, rs, re_ = rec
    pii = sorted({t for t, a, b in finds if t in PII and rs <= a and b <= re_})
    f["pii"] = tuple(pii)
    # The words before the date in its cell (back to a delimiter), and the key.
    cell_start = s
    while cell_start > rs and raw[cell_start - 1] not in b",;|\t\"{[":
        cell_start -= 1
    before = raw[cell_start:s]
    f["cell_words"] = before.strip()
    f["event"] = has_event(before) or (f["struct"] == "json-member" and has_event(f["key"]))
    f["birth"] = has_birth(before) or has_birth(f["key"])
    f["whole_cell"] = not before.strip(b" :")
    # Question/answer: the line before this record asks for a birth date.
    prev = raw[max(0, rs - 200) : rs]
    q = FLAT.split(prev)
    lastq = q[-2] if len(q) >= 2 else b""
    f["qa"] = b"?" in lastq and has_birth(lastq)
    # The engine's rule: the line (breaks only), the PII found in it, the date's cell.
    a, b = (leaf[1], leaf[2]) if kind == "json" else (0, len(raw))
    ls, le = a, b
    for mm in BREAKS.finditer(raw, a, b):
        if mm.end() <= s:
            ls = mm.end()
        elif mm.start() >= e:
            le = mm.start()
            break
    f["line_dob"] = any(t == "DATE_OF_BIRTH" and ls <= x and y <= le and not (x < e and s < y) for t, x, y in finds)
    f["overlap"] = any(x < e and s < y for t, x, y in finds if t != "DATE_OF_BIRTH")
    f["epii"] = any(t in PII and ls <= x and y <= le and not (x < e and s < y) for t, x, y in finds)
    c = s
    while c > ls and raw[c - 1] not in b",;|\t\"{[(":
        c -= 1
    f["ecell"] = raw[c:s]
    header = column_header(raw, a, ls, c)
    hw = [w for w in words(header) if w.decode() not in DATE_WORDS]
    f["eevent"] = has_event(raw[c:s]) or (any(event_word(w.decode()) for w in hw) and not has_birth(header))
    nxt = raw[e : e + 2]
    f["goes_on"] = len(nxt) == 2 and nxt[0:1] in (b"-", b".", b"/", b"T") and nxt[1:2].isdigit()
    if f["struct"] == "json-member":
        f["sib_pii"] = any(t in PII and rs <= x and y <= re_ for t, x, y in finds)
        f["key_event"] = has_event(f["key"])
    return f


def main():
    variant = sys.argv[1] if len(sys.argv) > 1 else "final"
    splits = sys.argv[2:] or TRAINING
    # Only training splits are read here: validation is scored in aggregate, the honest
    # splits not at all (docs/redaction-accuracy.md, nineteenth round).
    for split in splits:
        if split not in TRAINING:
            sys.exit(f"{split}: not a training split")
    tab = collections.defaultdict(lambda: [0, 0, 0])  # gold, not gold, gold missed by VARIANT
    examples = collections.defaultdict(list)
    for split in splits:
        C, L, F = load(split, variant)
        for o in C:
            i = o["id"]
            raw = o["text"].encode()
            strings = L[i].get("strings", {})
            gold = [(g["start"], g["end"]) for g in L[i]["spans"] if g["type"] == "DATE_OF_BIRTH"]
            finds = findings(raw, strings, F[i])
            found = [(a, b) for t, a, b in finds if t == "DATE_OF_BIRTH"]
            for m in DATE.finditer(raw):
                s, e = m.span()
                f = classify(raw, o["kind"], strings, finds, s, e, m)
                if f is None:
                    continue
                g = any(a < e and s < b for a, b in gold)
                hit = any(a < e and s < b for a, b in found)
                for name in rules(f):
                    t = tab[name]
                    t[0 if g else 1] += 1
                    if g and not hit:
                        t[2] += 1
                    if len(examples[(name, g, hit)]) < 400:
                        ctx = raw[max(0, s - 90) : e + 40].decode(errors="replace").replace("\n", "⏎")
                        examples[(name, g, hit)].append(f"{split}:{i} {raw[s:e].decode(errors='replace')!r} | {ctx}")
    print(f"{'structure':58} {'gold':>6} {'not':>6} {'prec':>6} {'missed':>6}")
    for name in sorted(tab):
        g, n, miss = tab[name]
        print(f"{name:58} {g:6} {n:6} {g / max(1, g + n):6.3f} {miss:6}")
    want = os.environ.get("SHOW")
    if want:
        for (name, g, hit), ex in examples.items():
            if name == want:
                print(f"\n== {name} gold={g} found={hit}")
                for x in ex[:60]:
                    print("  ", x)


# The engine's rule (`detect/records.rs`), mirrored: the words before the date in its cell
# (back to `,`, `;`, `|`, a tab, a quote or a bracket, or the line's start) hold no event
# word and no identifier label; a word matches a stem when it starts with it (stems of four
# letters or more) or is it.
EVENT_STEMS = [
    "creat", "order", "ship", "deliver", "due", "issu", "expir", "valid", "visit", "admi",
    "discharg", "hire", "join", "start", "end", "book", "paid", "pay", "invoic", "renew",
    "updat", "modif", "since", "until", "effective", "sign", "regist", "clos", "open", "last",
    "next", "appoint", "schedul", "releas", "deadline", "period", "from", "to", "at", "on",
    "date", "time", "filed", "post", "sent", "receiv", "submit", "approv", "cancel", "refund",
    "return", "event", "meet", "travel", "arriv", "depart", "check", "termin", "contract",
    "employ", "entry", "eintritt", "embauche", "assunzion", "alta", "datum", "fecha", "data",
    "sinds", "desde", "seit", "depuis", "dal", "dall", "ticket", "case", "invoice", "ref", "lot", "batch", "build", "version", "claim", "policy",
    "account", "member", "serial", "docket", "rma", "po", "sku", "part", "tracking", "log",
    "tag", "tags", "label",
]


DATE_WORDS = ["date", "datum", "fecha", "data", "time", "at", "on", "to", "from"]


def event_word(w):
    return any(w.startswith(t) if len(t) >= 4 else w == t for t in EVENT_STEMS)


def rules(f):
    """The structures each date falls under (several at once)."""
    out = ["all", f"all/{f['struct']}", f"band/{f['band']}"]
    ok = f["band"] == "14-110" and not f["time"] and not f["goes_on"] and not f["overlap"]
    if ok and f["epii"] and not f["eevent"]:
        out.append(f"E line+pii+no-event/{f['struct']}")
        if not f["line_dob"]:
            out.append(f"E line+pii+no-event+no-dob-in-line/{f['struct']}")
        if not f["ecell"].strip(b" :"):
            out.append(f"E line+pii+no-event+whole-cell/{f['struct']}")
    if ok and f["struct"] == "json-member" and f["sib_pii"]:
        out.append(f"M member+sibling-pii{'+event-key' if f['key_event'] else ''}")
    adult = f["band"] == "14-110" and not f["time"]
    pii = f["pii"]
    if not adult:
        return out
    out.append(f"adult/{f['struct']}")
    if f["birth"]:
        out.append(f"adult/{f['struct']}/birth-word")
    quiet = not f["event"] and not f["birth"]
    if pii and quiet:
        out.append(f"R1 adult+pii+no-event/{f['struct']}")
        if f["whole_cell"]:
            out.append(f"R1w adult+pii+no-event+whole-cell/{f['struct']}")
        n = len(pii)
        out.append(f"R1n{min(n, 3)} adult+{min(n, 3)}pii-kinds+no-event/{f['struct']}")
        for k in pii:
            out.append(f"R1k adult+{k}+no-event/{f['struct']}")
    if pii and f["event"]:
        out.append(f"X adult+pii+event/{f['struct']}")
    if f["qa"]:
        out.append(f"R2 qa/{f['struct']}{'/event' if f['event'] else ''}")
    if f["qa"] and f["band"] == "14-110" and not f["time"] and not f["goes_on"] and not f["eevent"]:
        out.append(f"Q qa+plausible/{f['struct']}")
    return out


if __name__ == "__main__":
    main()
