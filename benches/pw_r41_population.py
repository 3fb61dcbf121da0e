#!/usr/bin/env python3
"""Forty-first round, task pw: passwords on net-snmp command lines (snmpcmd(1) `-A` / `-X`),
in Windows answer files (unattend.xml `<...Password><Value>X</Value>`) and in expect(1)
scripts (`expect "assword:"` then `send "X\\r"`), counted on every training split
independent of the engine.

usage: pw_r41_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD, those it typed GENERIC_SECRET, and the places
VARIANT found as PASSWORD that are not gold PASSWORD. No value test. A JSON document is read
in its raw bytes (a quote inside a string is `\\"`).

Groups:
  snmp-A       `snmp<cmd> ... -A X` (quoted or bare) on an snmp command line (net-snmp's
               authentication pass phrase, snmpcmd(1));
  snmp-X       the same with `-X` (privacy pass phrase);
  snmp-a       `-a X` on such a line (the protocol, MD5/SHA: not a secret);
  dashA-any    ` -A X` / ` -X X` on any line without `snmp` (look-alikes);
  unattend     `<Value>X</Value>` directly inside `<AdministratorPassword>` / `<Password>`
               (unattend.xml, also under `<AutoLogon>` / `<LocalAccount>`);
  value-any    `<Value>X</Value>` anywhere;
  expect-send  `expect "...assword..."` then (next line) `send "X\\r"`;
  send-any     `send "X\\r"` anywhere.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main, regex_places  # noqa: E402

Q = rb"\\?['\"]"
ARG = rb"(?:\\?'([^'\n\\]+)\\?'|\\?\"([^\"\n\\]+)\\?\"|([^\s'\"\\]+))"
SNMP = rb"snmp(?:walk|get|getnext|bulkwalk|bulkget|set|table|trap|inform|df|status|netstat|delta|test|translate|usm|vacm)?\b[^\n]*?"

PATTERNS = [
    ("snmp-A", re.compile(SNMP + rb"[ \t]-A[ \t]+" + ARG), 0),
    ("snmp-X", re.compile(SNMP + rb"[ \t]-X[ \t]+" + ARG), 0),
    ("snmp-a", re.compile(SNMP + rb"[ \t]-a[ \t]+" + ARG), 0),
    ("dashA-any", re.compile(rb"(?m)^(?![^\n]*snmp)[^\n]*?[ \t]-[AX][ \t]+" + ARG), 0),
    ("unattend", re.compile(rb"<(?:AdministratorPassword|Password)>\s*(?:\\[nrt]\s*)*<Value>([^<]*)</Value>"), 1),
    ("value-any", re.compile(rb"<Value>([^<]*)</Value>"), 1),
    ("expect-send", re.compile(rb"expect[ \t]+\\?\"[^\"\n]*assword[^\"\n]*\\?\"[ \t]*(?:\r?\n|\\n)[ \t]*send[ \t]+\\?\"((?:[^\"\\\n]|\\(?![rn]))+)(?:\\\\?r)?\\?\""), 1),
    ("send-any", re.compile(rb"(?m)send[ \t]+\\?\"((?:[^\"\\\n]|\\(?![rn]))+)(?:\\\\?r)?\\?\""), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]


def places(rx, grp, raw):
    if grp == 0:
        for m in rx.finditer(raw):
            for g in (1, 2, 3):
                if m.group(g) is not None:
                    yield None, m.start(g), m.end(g)
                    break
    else:
        yield from regex_places(rx, grp, raw)


def main():
    pattern_groups_main(PATTERNS, places=places, fp=True, width=12)


if __name__ == "__main__":
    main()
