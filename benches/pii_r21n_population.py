#!/usr/bin/env python3
"""Populations of the twenty-first round's task num (issue #20): e-mail-shaped message ids,
nine-digit national ids beside an SSN member, birth dates answered on the next chat line.

Usage: benches/pii_r21n_population.py VARIANT [SPLIT ...]   (SHOW=N prints N examples a class)

Reads the corpora /tmp/pii/<split>/corpus.jsonl with the gold labels and VARIANT's findings,
training splits only (the default: every training split, blind20 included), and counts every
candidate of each class against the gold labels:

- EMAIL: every JSON string member whose key names a message's id (`message-id`,
  `Message-Id`, `messageId`, `message_id`, `internetMessageId`, `msg_id`, `msgid`,
  `in-reply-to`, `content-id`; any case) and whose whole value (angle brackets allowed) is
  address-shaped; and, in text, a `Message-ID:` style header followed by a bare address;
- US_SSN: every JSON string member under a tax or national id key (`keys::identifier_key`'s
  `KeyClass::TaxId`: last word `tin`/`itin`/`taxid`, or a number word after `tax`/`national`)
  whose value is nine digits (or `ddd-dd-dddd`), sorted by whether a sibling member's key
  names an SSN (`ssn`, `*_ssn`, `social_security_number`) and by the key's word;
- DATE_OF_BIRTH: every date alone on its line (after an optional speaker tag: `user>`,
  `Name:`, `[12:01] Name:`) whose previous non-empty line holds a birth word, sorted by
  whether that line ends with a question mark.

- IPV4: every dotted quad after a version word (`version`, `versione`, `versie`, `versión`,
  `ver`, `v`) whose separators (up to 8 bytes) hold a `>` (PHP's and Ruby's `=>`);
- PHONE / US_SSN: every cell of a blank-aligned table (cells two blanks or a tab apart)
  whose lines are flattened (`⏎`, `↵`, `¶`), under a header cell naming a phone (`phone`,
  `mobile`, `tel`, `telefon`, `telefono`, `telefoon`, `téléphone`, `cell`, `fax`) or an SSN
  (a word `ssn`), counted from the right as `table::blank_column_header` does; a cell holding
  seven digits or more, gold of the column's entity or not.

For each class: gold (of the entity), not gold, and the gold ones VARIANT missed.
"""
import collections
import json
import os
import re
import sys

from pii_dates import BREAKS, DATE, TRAINING as OLD_TRAINING, findings, has_birth, load

TRAINING = OLD_TRAINING + ["blind20"]
SHOW = int(os.environ.get("SHOW", "0") or 0)

ADDRESS = re.compile(rb"<?[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}>?")
MSGID_KEYS = {"message_id", "msg_id", "msgid", "messageid", "in_reply_to", "content_id"}
HEADER = re.compile(rb"(?i)(?:message-id|in-reply-to|content-id|msg-id)\s*[:=]\s*([^\s<\"\\]+@[^\s>\"\\]+)")


def normalize_key(k):
    """`keys::normalize_key`: camelCase and `-`/` `/`.` to snake_case, lower case."""
    out, prev_lower = [], False
    for c in k.strip():
        if "A" <= c <= "Z":
            if prev_lower:
                out.append("_")
            out.append(c.lower())
            prev_lower = False
        elif c in "- .":
            out.append("_")
            prev_lower = False
        else:
            out.append(c)
            prev_lower = c.islower() or c.isdigit()
    return "".join(out)


def msgid_key(k):
    n = normalize_key(k)
    return n in MSGID_KEYS or n.endswith("_message_id")


def tax_key(k):
    """The tax / national word of a `KeyClass::TaxId` key, or None."""
    if k.endswith("__c"):
        k = k[:-3]
    n = normalize_key(k)
    head, _, last = n.rpartition("_")
    if last in ("tin", "itin", "taxid"):
        return "tin"
    if last in ("id", "ids", "number", "no", "nr", "num", "code", "identifier"):
        ws = head.split("_")
        if "national" in ws:
            return "national"
        if "tax" in ws:
            return "tax"
    return None


def ssn_key(k):
    n = normalize_key(k)
    return n == "ssn" or n.endswith("_ssn") or n.endswith("social_security_number")


def ssn_value(v):
    v = v.strip()
    if re.fullmatch(r"[0-9]{9}", v):
        d = v
    elif re.fullmatch(r"[0-9]{3}([- ])[0-9]{2}\1[0-9]{4}", v):
        d = v[:3] + v[4:6] + v[7:]
    else:
        return False
    return d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"


def overlaps(spans, typ, s, e):
    return any(t == typ and a < e and s < b for (t, a, b) in spans)


def unescape_token(t):
    return t.replace("~1", "/").replace("~0", "~")


SPEAKER = re.compile(rb"^\s*(?:\[[0-9:]+\]\s*)?(?:[A-Za-z][A-Za-z0-9 ._-]{0,30}\s*(?:>|:)\s*)?$")


def lines(raw):
    """(start, end) of each line, a flattened one too (`BREAKS`)."""
    out, s = [], 0
    for m in BREAKS.finditer(raw):
        out.append((s, m.start()))
        s = m.end()
    out.append((s, len(raw)))
    return out


VERSION_QUAD = re.compile(
    rb"(?i)(?:version|versione|versie|versi\xc3\xb3n|\bver|\bv)([ \t:=\"'(\->]{1,8})((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?![0-9])"
)
FLAT_BREAK = re.compile(rb"\xe2\x8f\x8e|\xe2\x86\xb5|\xc2\xb6")
CELL = re.compile(rb"[^ \t](?:[^ \t]| (?! |\t))*")
PHONE_WORDS = ("phone", "mobile", "tel", "telefon", "telefono", "telefoon", "t\u00e9l\u00e9phone", "cell", "fax", "handy")


def blank_cells(line):
    """(start, end) of each cell of a blank-aligned line (cells two blanks or a tab apart)."""
    return [m.span() for m in CELL.finditer(line)]


def column_entity(header):
    h = header.decode(errors="replace").lower()
    ws = re.split(r"[^a-z0-9\u00e9]+", h)
    if "ssn" in ws:
        return "US_SSN"
    if any(w.startswith(p) for w in ws for p in PHONE_WORDS if w):
        return "PHONE"
    return None


def flat_table_cells(raw):
    """(entity, start, end) of the cells under a phone or SSN header of each flattened
    blank-aligned table (the header: the topmost line of a run of lines with two cells or
    more; a row: as many cells as the header or one more, counted from the right)."""
    out = []
    if not FLAT_BREAK.search(raw):
        return out
    pos, ls = 0, []
    for m in BREAKS.finditer(raw):
        ls.append((pos, m.start()))
        pos = m.end()
    ls.append((pos, len(raw)))
    header = None
    for a, b in ls:
        cells = blank_cells(raw[a:b])
        if len(cells) < 2:
            header = None
            continue
        if header is None:
            header = [raw[a + x:a + y] for x, y in cells]
            continue
        if len(cells) not in (len(header), len(header) + 1):
            continue
        for k in range(1, len(header) + 1):
            ent = column_entity(header[-k])
            x, y = cells[-k]
            if ent and sum(c.isdigit() for c in raw[a + x:a + y].decode(errors="replace")) >= 7:
                out.append((ent, a + x, a + y))
    return out


def main():
    variant = sys.argv[1]
    splits = sys.argv[2:] or TRAINING
    for s in splits:
        assert s in TRAINING, f"{s}: not a training split"
    counts = collections.defaultdict(lambda: [0, 0, 0])
    shown = collections.Counter()

    def count(cls, gold, found, split, doc, text):
        c = counts[cls]
        c[0 if gold else 1] += 1
        if gold and not found:
            c[2] += 1
        if shown[cls] < SHOW:
            shown[cls] += 1
            print(f"  [{cls}] {split}#{doc} gold={gold} found={found}: {text!r}")

    for split in splits:
        C, L, F = load(split, variant)
        for doc in C:
            i = doc["id"]
            raw = doc["text"].encode()
            lab = L[i]
            gold = [(g["type"], g["start"], g["end"]) for g in lab["spans"]]
            finds = findings(raw, lab["strings"], F[i])
            strings = lab["strings"]
            # JSON string members, by parent pointer.
            members = collections.defaultdict(list)
            for p, off in strings.items():
                if not p:
                    continue
                parent, _, key = p.rpartition("/")
                end = off
                while end < len(raw) and raw[end] != 0x22:
                    end += 2 if raw[end] == 0x5C else 1
                members[parent].append((unescape_token(key), off, end))
            for parent, ms in members.items():
                sib_ssn = any(ssn_key(k) for k, _, _ in ms)
                for k, a, b in ms:
                    val = raw[a:b]
                    if msgid_key(k) and ADDRESS.fullmatch(val.strip()):
                        count("EMAIL: whole value of a message-id key", overlaps(gold, "EMAIL", a, b),
                              overlaps(finds, "EMAIL", a, b), split, i, f"{k}: {val.decode(errors='replace')}")
                    w = tax_key(k)
                    if w and ssn_value(val.decode(errors="replace")):
                        cls = f"US_SSN: nine digits under a {w} key, " + ("a sibling SSN member" if sib_ssn else "no sibling SSN member")
                        count(cls, overlaps(gold, "US_SSN", a, b), overlaps(finds, "US_SSN", a, b), split, i,
                              f"{k}: {val.decode(errors='replace')}")
            for m in HEADER.finditer(raw):
                a, b = m.span(1)
                count("EMAIL: bare address after a Message-ID header in text", overlaps(gold, "EMAIL", a, b),
                      overlaps(finds, "EMAIL", a, b), split, i, m.group(0).decode(errors="replace"))
            for m in VERSION_QUAD.finditer(raw):
                if b">" in m.group(1):
                    a, b = m.span(2)
                    count("IPV4: dotted quad after a version word and `=>`", overlaps(gold, "IPV4", a, b),
                          overlaps(finds, "IPV4", a, b), split, i, m.group(0).decode(errors="replace"))
            for ent, a, b in flat_table_cells(raw):
                count(f"{ent}: cell of a flattened blank-aligned table's {ent} column", overlaps(gold, ent, a, b),
                      overlaps(finds, ent, a, b), split, i, raw[a:b].decode(errors="replace"))
            # Birth dates answered on the line after a question.
            ls = lines(raw)
            prev = None
            for (a, b) in ls:
                line = raw[a:b]
                if not line.strip():
                    continue
                for m in DATE.finditer(line):
                    if not SPEAKER.match(line[:m.start()]) or line[m.end():].strip():
                        continue
                    if prev is None or not has_birth(raw[prev[0]:prev[1]]):
                        continue
                    q = raw[prev[0]:prev[1]].rstrip().endswith(b"?")
                    cls = "DATE_OF_BIRTH: date alone on the line after a birth word's line, " + ("a question" if q else "no question")
                    s, e = a + m.start(), a + m.end()
                    count(cls, overlaps(gold, "DATE_OF_BIRTH", s, e), overlaps(finds, "DATE_OF_BIRTH", s, e), split, i,
                          (raw[prev[0]:prev[1]] + b" / " + line).decode(errors="replace"))
                prev = (a, b)
    print(f"{'class':<82} {'gold':>5} {'not':>5} {'missed':>6}")
    for cls in sorted(counts):
        g, n, miss = counts[cls]
        print(f"{cls:<82} {g:>5} {n:>5} {miss:>6}")


if __name__ == "__main__":
    main()
