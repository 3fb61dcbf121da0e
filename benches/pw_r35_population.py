#!/usr/bin/env python3
"""Thirty-fifth round, task pw: the PASSWORD misses and false positives of blind34 (the
thirty-fourth round's honest split, new to training) by construction, counted on every
training split independent of the engine.

usage: pw_r35_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD, those it typed GENERIC_SECRET, and the places
VARIANT found as PASSWORD that are not gold PASSWORD. No value test.

Groups:
  docker-stdin   `echo X | docker login … --password-stdin` (the docker login reference);
  stdin-any      `echo X | … --password-stdin` (any command);
  freerdp        FreeRDP's `/p:X` (after `/u:`);
  sqlplus        SQL*Plus `sqlplus USER/X@`;
  httpie         HTTPie's `http -a USER:X`;
  sssd-authtok   SSSD's `ldap_default_authtok = X`;
  bundler        Bundler's `BUNDLE_HOST__TLD: "USER:X"` or `BUNDLE_HOST__TLD=USER:X`;
  token-user     `"username": "token", "password": "X"`;
  dynamo-s       a DynamoDB attribute value `{"S":"X"}` (the non-gold places).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main  # noqa: E402

PATTERNS = [
    ("docker-stdin", re.compile(rb"echo[ \t]+(?:-n[ \t]+)?['\"]?([^\s'\"|]+)['\"]?[ \t]*\|[ \t]*(?:sudo[ \t]+)?docker[ \t]+login[^\n]*--password-stdin"), 1),
    ("stdin-any", re.compile(rb"echo[ \t]+(?:-n[ \t]+)?['\"]?([^\s'\"|]+)['\"]?[ \t]*\|[^\n]*--password-stdin"), 1),
    ("freerdp", re.compile(rb"/p:'?([^\s']+)"), 1),
    ("sqlplus", re.compile(rb"sqlplus[ \t]+(?:-\w+[ \t]+)*[\w.$#-]+/([^\s@]+)@"), 1),
    ("httpie", re.compile(rb"https?[ \t]+(?:--auth|-a)[ \t]+[^\s:]+:(\S+)"), 1),
    ("sssd-authtok", re.compile(rb"ldap_default_authtok[ \t]*=[ \t]*(\S+)"), 1),
    ("bundler", re.compile(rb"BUNDLE_[A-Z0-9_]+__[A-Z]+[ \t]*[:=][ \t]*\"?[^\s:\"]+:([^\s\"]+)"), 1),
    ("token-user", re.compile(rb"\"(?:username|user)\":[ \t]*\"token\",[ \t]*\"password\":[ \t]*\"([^\"]+)\""), 1),
    ("dynamo-s", re.compile(rb"\{[ \t]*\"S\"[ \t]*:[ \t]*\"([^\"]+)\""), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]


def main():
    pattern_groups_main(PATTERNS, fp=True, width=15)


if __name__ == "__main__":
    main()
