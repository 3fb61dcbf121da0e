#!/usr/bin/env python3
"""Population of password shapes on the accuracy corpora (issue #20, nineteenth round, task P).

Tokenises every document of the given splits (text and the raw JSON text alike), classifies
each token by the shape of its value and by the weak context around it, and counts, per
shape and per shape x context, how many tokens are gold PASSWORD, how many are gold of
another entity, how many are nothing, and how many of the gold passwords the engine's output
(VARIANT.jsonl) missed. A rule "report a token of shape S in context C as a password" has
population precision PASSWORD / (all tokens) and recovers the missed column.

usage: pii_shapes.py VARIANT SPLIT... [--show SHAPE[:CTX]] [--examples N]
       (corpora in /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl)
"""
import collections
import json
import re
import sys

from pii_score import finding_span

DELIM = re.compile(rb"[\s\"'`|,]+")
# Credential-ish words on the same line (or in the same JSON object) before the token.
CRED = re.compile(
    rb"(?i)(user|login|account|konto|compte|cuenta|wifi|wi-fi|wlan|\bpw\b|pass|cred|secret|"
    rb"auth|connect|sqlplus|ftp|smtp|imap|vpn|portal|acceso|accesso|zugang|identifiant|"
    rb"benutzer|utente|usuario|gebruiker|anmeld|sign.?in|log.?in)"
)
EMAIL = re.compile(rb"[\w.+-]+@[\w-]+(\.[\w-]+)+")

SYM = rb"[!#$%&*+?@^_~.;:=/\\-]"
SHAPES = [
    # word + digits + symbol (Kanarie8102?, narwhal2551$, Pistacchio6161_)
    ("word_digits_symbol", re.compile(rb"[A-Za-z][a-z]{3,}\d{2,6}[!#$%&*?@^~._]")),
    # Word_123! / DUINROOS_05 / Elosarig_256!
    ("word_us_digits", re.compile(rb"[A-Za-z][A-Za-z]{3,}_\d{2,4}[!#$%&*?@^~.]?")),
    # mixed-case word + symbol + digits (ALCAchoFA#27, Fenouil#67)
    ("word_symbol_digits", re.compile(rb"[A-Za-z]{4,}[!#$%&*?@^~]\d{1,4}")),
    # Word_Word86 (Hafenkran_Paella86)
    ("word_us_word_digits", re.compile(rb"[A-Z][a-z]{2,}[_.][A-Z][a-z]{2,}\d{1,4}[!#$%&*?]?")),
    # three or more lower-case words joined by '-' with a digit at the end (lavande-brezel-narwhal9)
    ("phrase3_digit", re.compile(rb"[a-z]{3,12}(?:-[a-z]{3,12}){2,}\d{1,2}")),
    # three or more lower-case words joined by '-'
    ("phrase3", re.compile(rb"[a-z]{3,12}(?:-[a-z]{3,12}){2,}")),
    # leet: letters with digits inside a word, a capital and a symbol (PAE614lla.2025, Tr0ub4dor&3)
    ("leet_word", re.compile(rb"(?=.*[A-Za-z]{2})(?=.*[a-z])(?=.*[A-Z])[A-Za-z]+\d[A-Za-z]+\d*[!#$%&*?@^~.]\d*|[A-Za-z]*[a-z]\d[a-z][A-Za-z]*[!#$%&*?@^~.]\d+")),
    # word '.' 2-4 digits (+ symbol): tulpenveld.1878, berenjena.2026!
    ("word_dot_digits", re.compile(rb"[A-Za-z][a-z]{3,}\.\d{2,4}[!#$%&*?@^~]?")),
    # leet: digits standing for vowels between letters (R1b3r4_, m0nk3y#30)
    ("leet2", re.compile(rb"(?=(?:.*[a-zA-Z][013457][a-zA-Z]){2})[A-Za-z0-9]{5,}[!#$%&*?@^~_.-]*\d{0,3}")),
    # Word + digits, capitalised (Summer2024, Kanaalboot7164)
    ("Word_digits", re.compile(rb"[A-Z][a-z]{3,}\d{2,6}")),
    # word + digits, lower case (narwhal2551)
    ("word_digits", re.compile(rb"[a-z]{4,}\d{2,6}")),
    # random of four classes, 8-32 (yr5KU&VMSljfI)
    ("random4", re.compile(rb"(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[!#$%&*?@^~=<>()\[\];:+])\S{8,32}")),
    # random of three classes, no symbol, 8-24 (oY6WaVDsJY)
    ("random3", re.compile(rb"(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z0-9]{8,24}")),
]


PW_SYMBOL = b"!#$%&*?@^~"


def passphrase(v):
    # check.rs `passphrase`: four words or more of 3-12 lower-case letters, or three of 5-12.
    ws = v.split(b"-")
    if not all(3 <= len(w) <= 12 and re.fullmatch(rb"[a-z]+", w) for w in ws):
        return False
    return len(ws) >= 4 or (len(ws) == 3 and all(len(w) >= 5 for w in ws))


def human_password(v):
    """pw_shape.rs `human_password`, branch by branch: the name of the branch or None."""
    if not 6 <= len(v) <= 64:
        return None
    m = re.match(rb"[A-Za-z]*", v)
    n = m.end()
    rest = v[n:]
    d = len(re.match(rb"\d*", rest).group())
    plain = n >= 4 and re.fullmatch(rb"[a-z]*", v[1:n]) is not None
    if n >= 4 and plain and 2 <= d <= 6 and len(rest) == d + 1:
        return "E:word_digits_symbol" if rest[d] in PW_SYMBOL + b"_." else None
    if n >= 4 and len(rest) >= 2 and rest[0] in PW_SYMBOL:
        d = len(re.match(rb"\d*", rest[1:]).group())
        mixed = re.search(rb"[A-Z]", v[1:n]) is not None
        plain_ok = rest[:1] not in (b"#", b"%", b"@", b"~") and d >= 2
        ok = 1 <= d <= 4 and len(rest) == d + 1 and (mixed or plain_ok)
        return "E:word_symbol_digits" if ok else None
    if n >= 4 and rest[:1] == b"_" and rest[1:2].isdigit():
        d = len(re.match(rb"\d*", rest[1:]).group())
        tail = rest[1 + d:]
        inner = re.search(rb"[A-Z]", v[1:n]) and re.search(rb"[a-z]", v[:n])
        ok = 2 <= d <= 4 and ((not tail and inner) or (len(tail) == 1 and tail[0] in PW_SYMBOL))
        return "E:word_us_digits" if ok else None
    if n >= 4 and plain and rest[:1] == b"." and rest[1:2].isdigit():
        d = len(re.match(rb"\d*", rest[1:]).group())
        tail = rest[1 + d:]
        sym = len(tail) == 1 and tail[0] in PW_SYMBOL
        ok = 2 <= d <= 4 and (not tail or sym) and (sym or d == 4 or v[:1].isupper())
        return "E:word_dot_digits" if ok else None
    if n >= 3 and v[:1].isupper() and re.fullmatch(rb"[a-z]*", v[1:n]) and rest[:1] in (b"_", b"."):
        w2 = rest[1:]
        m2 = len(re.match(rb"[A-Za-z]*", w2).group())
        d = len(re.match(rb"\d*", w2[m2:]).group())
        tail = w2[m2 + d:]
        ok = (m2 >= 3 and re.fullmatch(rb"[a-z]*", w2[1:m2]) and 1 <= d <= 4
              and (not tail or (len(tail) == 1 and tail[0] in PW_SYMBOL))
              and not (rest[:1] == b"." and w2[:1].isupper()))
        return "E:word_sep_word_digits" if ok else None
    d = len(re.search(rb"\d*$", v).group())
    if 1 <= d <= 2 and b"-" in v[:-d] and passphrase(v[:-d]):
        return "E:passphrase_digits"
    return None


def shape_of(v):
    for name, rx in SHAPES:
        if rx.fullmatch(v):
            return name
    return None


def blank_escapes(raw):
    # JSON escapes and '\n' in raw text read as blanks (offsets kept).
    return re.sub(rb"\\[nrt\"\\/]", b"  ", raw)


def candidates(raw):
    """(start, end, position) for each token and for the value part of key=value tokens."""
    text = blank_escapes(raw)
    out = []
    pos = 0
    for m in DELIM.finditer(text + b" "):
        s, e = pos, m.start()
        pos = m.end()
        while s < e and text[s:s + 1] in (b"(", b"[", b"{", b"<"):
            s += 1
        while e > s and text[e - 1:e] in (b")", b"]", b"}", b">", b",", b";"):
            e -= 1
        if e - s < 6:
            continue
        tok = text[s:e]
        prev = text[max(0, s - 2):s]
        if b":" in prev or b"=" in prev:
            where = "after_sep"
        elif b"/" in prev:
            where = "after_slash"
        elif b"|" in text[max(0, s - 3):s]:
            where = "cell"
        elif re.search(rb"(?:^|\s)--?[A-Za-z][\w-]*[ =]?$", text[max(0, s - 30):s]):
            where = "cli_arg"
        else:
            where = "free"
        out.append((s, e, where))
        # key=value / key:value inside the token: the value
        m2 = re.match(rb"[^=:]{1,40}[=:]", tok)
        if m2 and m2.end() < len(tok):
            out.append((s + m2.end(), e, "after_sep"))
        # user/PASS@host
        m3 = re.match(rb"[\w.-]{1,32}/([^@/\s]{4,64})@", tok)
        if m3:
            out.append((s + m3.start(1), s + m3.end(1), "after_slash"))
    return out


def context_of(raw, s):
    line_start = max(raw.rfind(b"\n", 0, s), raw.rfind(b"\\n", 0, s), s - 120)
    before = raw[max(0, line_start):s]
    if CRED.search(before):
        return "cred_word"
    if EMAIL.search(raw[max(0, s - 60):s]):
        return "email_before"
    return "none"


def ctx_of(raw, s):
    return context_of(raw, s)


def load(split, variant):
    d = f"/tmp/pii/{split}"
    C = {}
    L = {}
    F = {}
    for l in open(f"{d}/corpus.jsonl"):
        o = json.loads(l)
        C[o["id"]] = o
    for l in open(f"{d}/labels.jsonl"):
        o = json.loads(l)
        L[o["id"]] = o
    for l in open(f"{d}/{variant}.jsonl"):
        o = json.loads(l)
        F[o["id"]] = o
    return C, L, F


def found_spans(lab, fin, raw):
    strings = lab.get("strings", {})
    out = []
    for f in fin["findings"]:
        span = None if f.get("placeholder") else finding_span(f, strings, raw)
        if span is not None:
            out.append((f["type"], *span))
    return out


def main():
    args = sys.argv[1:]
    show = None
    nex = 8
    if "--show" in args:
        i = args.index("--show")
        show = args[i + 1]
        del args[i:i + 2]
    if "--examples" in args:
        i = args.index("--examples")
        nex = int(args[i + 1])
        del args[i:i + 2]
    variant, splits = args[0], args[1:]
    # counts[key] = [password, other_entity, nothing, missed_password]
    counts = collections.defaultdict(lambda: [0, 0, 0, 0])
    examples = collections.defaultdict(list)
    misses_total = 0
    for split in splits:
        C, L, F = load(split, variant)
        for i, doc in C.items():
            raw = doc["text"].encode()
            gold = [(g["type"], g["start"], g["end"]) for g in L[i]["spans"]]
            found = found_spans(L[i], F[i], raw)
            missed = [
                (t, s, e) for (t, s, e) in gold
                if t == "PASSWORD"
                and not any(ft == t and fs < e and s < fe for (ft, fs, fe) in found)
            ]
            misses_total += len(missed)
            if show == "MISSES":
                for t, gs, ge in missed:
                    v = raw[gs:ge]
                    examples[shape_of(v) or "-"].append(
                        f"{split}#{i} {v.decode(errors='replace')!r} ... "
                        + raw[max(0, gs - 60):ge + 20].decode(errors="replace").replace("\n", "⏎"))
            seen = set()
            for s, e, where in candidates(raw):
                if (s, e) in seen:
                    continue
                seen.add((s, e))
                v = raw[s:e]
                ev = v[:-1] if v.endswith(b".") and (e >= len(raw) or raw[e:e + 1].isspace()) else v
                eng = human_password(ev)
                shape = shape_of(v)
                keys = []
                if shape is not None:
                    keys += [shape, f"{shape}:{ctx_of(raw, s)}", f"{shape}:{where}",
                             f"{shape}:{ctx_of(raw, s)}:{where}"]
                if eng is not None:
                    keys += [eng, "E:ALL"]
                if not keys:
                    continue
                label = None
                for t, gs, ge in gold:
                    if gs < e and s < ge:
                        label = t if label != "PASSWORD" else label
                is_miss = any(gs < e and s < ge for (_, gs, ge) in missed)
                for key in keys:
                    c = counts[key]
                    if label == "PASSWORD":
                        c[0] += 1
                    elif label:
                        c[1] += 1
                    else:
                        c[2] += 1
                    if is_miss:
                        c[3] += 1
                    if show and key == show:
                        examples[label or "-"].append(
                            f"{split}#{i} {v.decode(errors='replace')!r} ... "
                            + raw[max(0, s - 60):e + 20].decode(errors="replace").replace("\n", "⏎")
                        )
    print(f"PASSWORD misses in {variant}: {misses_total}")
    print(f"{'shape[:context[:position]]':48} {'pw':>5} {'other':>5} {'none':>5} {'prec':>6} {'missed':>6}")
    for key in sorted(counts, key=lambda k: (k.split(":")[0], -counts[k][3])):
        pw, oth, none, miss = counts[key]
        tot = pw + oth + none
        print(f"{key:48} {pw:5} {oth:5} {none:5} {pw / tot:6.3f} {miss:6}")
    for label, ex in examples.items():
        print(f"--- {show} labelled {label}: {len(ex)}")
        for x in ex[:nex]:
            print("   ", x[:220])


if __name__ == "__main__":
    main()
