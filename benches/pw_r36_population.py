#!/usr/bin/env python3
"""Thirty-sixth round, task pw: the PASSWORD misses and false positives of blind35 (the
thirty-fifth round's honest split, new to training) by construction, counted on every
training split independent of the engine.

usage: pw_r36_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD, those it typed GENERIC_SECRET, and the places
VARIANT found as PASSWORD that are not gold PASSWORD. No value test.

Groups:
  codebuild-ref  AWS CodeBuild's environment variable `{"name":…,"value":"X","type":
                 "SECRETS_MANAGER"|"PARAMETER_STORE"}` (X names a secret, holds none);
  codebuild-any  the same with any `"type"` (PLAINTEXT too);
  pgb-userlist   PgBouncer's auth_file line `"user" "X"` (a line of two quoted words);
  cloud-auth     Elastic Beats' `cloud.auth: "USER:X"`;
  wp-define      PHP `define('NAME', 'X')`, NAME ending in PASS/PASSWORD/PWD;
  hashcat-show   hashcat `--show` output `HEX:X` (a line after a hashcat command);
  actuator       Spring Boot Actuator `"NAME_PASSWORD":{"value":"X"}`;
  rootpw         kickstart's `rootpw [--plaintext] X`;
  lftp           lftp's `-u USER,X`;
  securestring   PowerShell's `ConvertTo-SecureString 'X' -AsPlainText`;
  unattend       unattend.xml `<…Password><Value>X</Value>`;
  resty-auth     lua-resty-redis `red:auth('X')`;
  dbi-connect    Perl DBI `DBI->connect(DSN, USER, 'X')`;
  bcrypt         a bcrypt hash `$2b$NN$…` (the non-gold places).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main  # noqa: E402

PATTERNS = [
    ("codebuild-ref", re.compile(rb"\"value\"[ \t]*:[ \t]*\"([^\"]+)\"[ \t]*,[ \t]*\"type\"[ \t]*:[ \t]*\"(?:SECRETS_MANAGER|PARAMETER_STORE)\""), 1),
    ("codebuild-any", re.compile(rb"\"value\"[ \t]*:[ \t]*\"([^\"]+)\"[ \t]*,[ \t]*\"type\"[ \t]*:[ \t]*\"[A-Z_]+\""), 1),
    ("pgb-userlist", re.compile(rb"(?m)^\"[^\"\n]+\"[ \t]+\"([^\"\n]+)\"[ \t]*$"), 1),
    ("cloud-auth", re.compile(rb"cloud\.auth[\"']?[ \t]*[:=][ \t]*[\"']?[^:\s\"']+:([^\"'\s]+)"), 1),
    ("wp-define", re.compile(rb"define\([ \t]*['\"][A-Z0-9_]*(?:PASS|PASSWORD|PWD)['\"][ \t]*,[ \t]*['\"]([^'\"]+)['\"]"), 1),
    ("hashcat-show", re.compile(rb"(?m)^[0-9a-f]{32,}:([^\n]+)$"), 1),
    ("actuator", re.compile(rb"\"[A-Z0-9_.]*(?:PASSWORD|PASS|PWD|password)\"[ \t]*:[ \t]*\{[ \t]*\"value\"[ \t]*:[ \t]*\"([^\"]+)\""), 1),
    ("rootpw", re.compile(rb"rootpw[ \t]+(?:--plaintext[ \t]+)?([^\s-]\S*)"), 1),
    ("lftp", re.compile(rb"lftp[^\n]*?-u[ \t]+[^,\s]+,'?([^\s']+)"), 1),
    ("securestring", re.compile(rb"ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?['\"]([^'\"]+)['\"]"), 1),
    ("unattend", re.compile(rb"Password>\s*<Value>([^<]+)</Value>"), 1),
    ("resty-auth", re.compile(rb":auth\([ \t]*['\"]([^'\"]+)['\"]"), 1),
    ("dbi-connect", re.compile(rb"DBI->connect\([^,\n]+,[ \t]*['\"][^'\"]*['\"][ \t]*,[ \t]*['\"]([^'\"]+)['\"]"), 1),
    ("bcrypt", re.compile(rb"(\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53})"), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]


def main():
    pattern_groups_main(PATTERNS, fp=True, width=15)


if __name__ == "__main__":
    main()
