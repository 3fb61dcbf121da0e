#!/usr/bin/env python3
"""Thirty-first round, task pw: the PASSWORD misses of blind30 (the new writer) and the other
training splits by construction — a password keyword after a backslash escape (`\\nPasscode:
…` in an iCalendar DESCRIPTION or a JSON string), a Markdown table's key/value row (`|
Password | … |`), Windows' `net use \\\\server\\share PASSWORD /user:NAME` and `net user NAME
PASSWORD`, a WordPress constant ending in `_PASS` (`define( 'WP_MAIL_SMTP_PASS', '…' )`),
GNU make's conditional assignment `PASSWORD ?= …`, a C `#define …PASS… "…"` — counted on
every training split.

usage: pw_r31_population.py VARIANT [SPLIT ...] [--show GROUP] [--threshold N]

Each group yields every place of its construction (no value test in the generator); the value
there is judged by the twenty-fifth round's value test (`password_r25_population.shape_no` /
`shape_score`, as `src/redact/detect/evidence_r26p.rs`'s `flag_value_password` reads it). Per
split and group: the candidates whose value passes (score >= threshold) by gold label
(PASSWORD / GENERIC_SECRET / other entity / none), the gold ones VARIANT missed, [all
candidates].

Groups:
  esc-kw      a password keyword (`password`, `passwort`, `passcode`, `passphrase`, `passwd`,
              `kennwort`, `wachtwoord`, `contraseña`, `mot de passe`, `pwd`) glued after a
              backslash escape `\\n`, `\\r`, `\\t` (JSON's and iCalendar's escaped line break or
              tab), then blanks, `:` or `=`, blanks, the value;
  esc-any     the same keyword after any letter (how specific the escape is);
  md-row      a Markdown table's row whose first cell is a password keyword alone (`| Password
              | VALUE |`), the value the second cell;
  md-any      the value cell after any password keyword cell (not the first too);
  net-use     `net use … \\\\SERVER\\SHARE VALUE /user:NAME` (Microsoft's `net use` syntax:
              `[\\\\computername\\sharename] [password | *] [/user:…]`);
  net-user    `net user NAME VALUE` (Microsoft's `net user [username [password | *]]`), the
              value not a `/` switch nor `*`;
  net-user-at the same after a prompt's `>` (a blank or none between) or `: ` (a log's field,
              `CommandLine: net user …`): where the rule reaches it;
  wp-pass     `define( 'NAME_PASS', 'VALUE' )` (a PHP constant whose name ends in `_PASS`);
  make-qeq    a password key before GNU make's `?=` (`DOCKER_PASSWORD ?= VALUE`);
  c-define    `#define NAME "VALUE"`, NAME holding `PASS` or `PWD`;
  wifi-pair   a network word (`wifi`, `wi-fi`, `wlan`) right before `:`, then a network's
              name (SSID: up to 32 bytes, no blank), ` / `, the value (`Wi-Fi: Haus42 / X`);
  wifi-words  the same with up to four words between the network word and the `:` (`wifi de
              l'appart : KPN-1G3M / X`, `wifi for the flat: …`).
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import collect, line, parse_args, token_at  # noqa: E402

KW = (rb"(?i:password|passwort|passcode|passphrase|passwd|kennwort|wachtwoord"
      rb"|contrase(?:\xc3\xb1|\xc3\x91|n)a|mot de passe|pwd)")
ESC_KW = re.compile(rb"\\[nrt]" + KW + rb"[ \t]*[:=][ \t]*(?=\S)")
ANY_KW = re.compile(rb"(?<=[A-Za-z])" + KW + rb"[ \t]*[:=][ \t]*(?=\S)")
MD_ROW = re.compile(rb"^\|[ \t]*(?:\*\*)?" + KW + rb"(?:\*\*)?[ \t]*\|[ \t]*([^|\n]*?)[ \t]*\|", re.M)
MD_ANY = re.compile(rb"\|[ \t]*(?:\*\*)?" + KW + rb"(?:\*\*)?[ \t]*\|[ \t]*([^|\n]*?)[ \t]*\|")
NET_USE = re.compile(rb"(?i:net use)[^\n]{0,60}?[ \t]\\\\[^\s\\]+\\\S+[ \t]+([^\s/][^\s]*)[ \t]+/(?i:user):")
NET_USER = re.compile(rb"(?<![A-Za-z0-9.])(?i:net user)[ \t]+[^\s/]+[ \t]+([^\s/*][^\s]*)")
NET_USER_REACH = re.compile(rb"(?:> ?|: )(?i:net user)[ \t]+[^\s/]+[ \t]+([^\s/*][^\s]*)")
WP_PASS = re.compile(rb"define\([ \t]*'[A-Z0-9_]*_PASS'[ \t]*,[ \t]*'([^'\n]*)'")
MAKE_QEQ = re.compile(rb"[A-Za-z_]*" + KW + rb"[ \t]*\?=[ \t]*(?=\S)")
C_DEFINE = re.compile(rb"#define[ \t]+[A-Z0-9_]*(?:PASS|PWD)[A-Z0-9_]*[ \t]+\"([^\"\n]*)\"")
WIFI_PAIR = re.compile(rb"(?<![A-Za-z])(?i:wi-?fi|wlan):[ \t]*[^\s/]{1,32} / (?=\S)")
WIFI_WORDS = re.compile(rb"(?<![A-Za-z])(?i:wi-?fi|wlan)(?: [^\s:/]{1,16}){0,4}[ \t]*:[ \t]*[^\s/]{1,32} / (?=\S)")
GROUPS = ["wifi-pair", "wifi-words", "esc-kw", "esc-any", "md-row", "md-any", "net-use", "net-user",
          "net-user-at", "wp-pass", "make-qeq",
          "c-define"]


def generate(raw):
    """(group, value_start, value_end, context_start) for every candidate."""
    for name, rx in (("wifi-pair", WIFI_PAIR), ("wifi-words", WIFI_WORDS)):
        for m in rx.finditer(raw):
            t = token_at(raw, m.end())
            if t:
                yield name, t[0], t[1], m.start()
    for name, rx in (("esc-kw", ESC_KW), ("esc-any", ANY_KW), ("make-qeq", MAKE_QEQ)):
        for m in rx.finditer(raw):
            t = token_at(raw, m.end())
            if t:
                # An escaped line's value ends at the next escape (`\\nDial by …`).
                ve = t[1]
                if name == "esc-kw":
                    k = raw.find(b"\\", t[0], ve)
                    ve = k if k > t[0] else ve
                yield name, t[0], ve, m.start()
    for name, rx in (("md-row", MD_ROW), ("md-any", MD_ANY), ("net-use", NET_USE),
                     ("net-user", NET_USER), ("net-user-at", NET_USER_REACH), ("wp-pass", WP_PASS),
                     ("c-define", C_DEFINE)):
        for m in rx.finditer(raw):
            if m.end(1) > m.start(1):
                yield name, m.start(1), m.end(1), m.start()


def taken_any(r, t):
    return r["score"] is not None and r["score"] >= t


def main():
    variant, splits, show, threshold = parse_args(sys.argv[1:])
    rows = collect(variant, splits, show, threshold, candidates=generate, before=40)
    print(f"threshold {threshold}; per group: taken PASSWORD/GENERIC_SECRET/other/none "
          f"(of the gold, missed by {variant}: PASSWORD, GENERIC_SECRET) [all candidates]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        if split != "total" and not sr:
            continue
        print(split.ljust(8), "  ".join(
            f"{g} {line([r for r in sr if r['group'] == g], threshold)}" for g in GROUPS
            if any(r["group"] == g for r in sr)))
    print("\nsplits with gold, per group (PASSWORD taken / missed by the variant):")
    for g in GROUPS:
        c = Counter(r["split"] for r in rows if r["group"] == g and taken_any(r, threshold)
                    and r["gold"] == "PASSWORD")
        m = Counter(r["split"] for r in rows if r["group"] == g and taken_any(r, threshold)
                    and r["gold"] == "PASSWORD" and not r["found"])
        print(f"  {g:12} " + ", ".join(f"{s} {c[s]}/{m[s]}" for s in c))
        # every candidate, taken or not, by gold kind (precision of the construction itself)
        a = Counter(r["gold"] for r in rows if r["group"] == g)
        print(f"  {'':12} all candidates by gold: {dict(a)}")


if __name__ == "__main__":
    main()
