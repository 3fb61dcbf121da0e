#!/usr/bin/env python3
"""Thirty-fourth round, task pw: the PASSWORD misses and false positives of blind33 (the
thirty-third round's honest split, new to training) by construction, counted on every
training split independent of the engine.

usage: pw_r34_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD with the exact span, the gold PASSWORD places it
typed GENERIC_SECRET, and the places VARIANT found as PASSWORD that are not gold PASSWORD.
No value test: each group is a construction's places.

Groups:
  kw-flag        a password keyword ending a word, one blank, then `--NAME` (a command-line
                 flag after a parameter name such as `--name /prod/db/password --with-decryption`);
  snmp-createuser net-snmp's `createUser NAME AUTHPROTO "AUTHPASS" [PRIVPROTO "PRIVPASS"]`
                 (both passphrases; snmpd.conf(5));
  mysql-set-pw   MySQL `SET PASSWORD FOR 'u'@'h' = 'X'`;
  chpasswd-echo  `echo 'USER:X' | [sudo] chpasswd` (chpasswd(8)'s input);
  expect-send    `expect "…password…"` (or passphrase) then a `send "X\\r"` line;
  ssm-output     the line after `aws ssm get-parameter … --output text`;
  pass-show      the first line after `pass show NAME`;
  cred-list      `credentials: ["USER:X"]`;
  path-listing   a line `/…password` (a key path) then the value on the next line;
  admin-slash    a line `admin / X`;
  creds-are      `creds are USER / X`;
  portal-login   `login for the shared portal is X`;
  code-word      `code-word X`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main  # noqa: E402

PATTERNS = [
    ("kw-flag", re.compile(rb"(?i:pass(?:word|wd)?|pwd|passphrase)[ \t]+(--[A-Za-z][\w-]*)"), 1),
    ("snmp-createuser", re.compile(rb"createUser[ \t]+(?:-e[ \t]+\S+[ \t]+)?\S+[ \t]+(?:MD5|SHA\S*)[ \t]+(\"[^\"\n]*\"|\S+)(?:[ \t]+(?:DES|AES\S*)[ \t]+(\"[^\"\n]*\"|\S+))?"), "snmp"),
    ("mysql-set-pw", re.compile(rb"(?i:SET[ \t]+PASSWORD[ \t]+FOR[ \t]+)\S+[ \t]*=[ \t]*(?:(?i:PASSWORD)\()?'([^'\n]*)'"), 1),
    ("chpasswd-echo", re.compile(rb"echo[ \t]+(?:-e[ \t]+)?['\"]?[^\s:'\"]+:([^'\"\s|]+)['\"]?[ \t]*\|[ \t]*(?:sudo[ \t]+)?chpasswd"), 1),
    ("expect-send", re.compile(rb"expect[ \t]+[^\n]*(?i:password|passphrase|passwort)[^\n]*\n[ \t]*send[ \t]+\"([^\"\n]*?)(?:\\r|\\n)?\""), 1),
    ("ssm-output", re.compile(rb"ssm get-parameters?[^\n]*--output[ \t]+text[^\n]*\n([^\s]+)"), 1),
    ("pass-show", re.compile(rb"(?m)^[$#>]?[ \t]*pass[ \t]+(?:show[ \t]+)?[\w./@-]+[ \t]*\r?\n([^\s]+)"), 1),
    ("cred-list", re.compile(rb"credentials:[ \t]*\[[ \t]*[\"'][^\"':\s]+:([^\"'\n]+)[\"']"), 1),
    ("path-listing", re.compile(rb"(?m)^/[\w./-]*(?i:pass(?:word|wd)?)[ \t]*\r?\n([^\s]+)"), 1),
    ("admin-slash", re.compile(rb"(?m)^(?:admin|root)[ \t]+/[ \t]+(\S+)"), 1),
    ("creds-are", re.compile(rb"(?i:creds are)[ \t]+\S+[ \t]+/[ \t]+(\S+)"), 1),
    ("portal-login", re.compile(rb"login for the shared portal is[ \t]+([^\s\"]+)"), 1),
    ("code-word", re.compile(rb"code-word[ \t]+(\S+?)(?:\.?[ \t\n]|$)"), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]


def places(rx, grp, raw):
    for m in rx.finditer(raw):
        if grp == "snmp":
            for g in (1, 2):
                if m.group(g) is not None:
                    s, e = m.start(g), m.end(g)
                    if raw[s:s + 1] == b'"':
                        s, e = s + 1, e - 1
                    yield m, s, e
        else:
            yield m, m.start(grp), m.end(grp)


def main():
    pattern_groups_main(PATTERNS, places, fp=True, width=15)



if __name__ == "__main__":
    main()
