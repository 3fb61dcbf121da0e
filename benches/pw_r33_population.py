#!/usr/bin/env python3
"""Thirty-third round, task pw: the PASSWORD misses of blind32 (the thirty-second round's
honest split, new to training) by construction, counted on every training split
independent of the engine.

usage: pw_r33_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD with the exact span, and the gold PASSWORD places it
typed GENERIC_SECRET. No value test: each group is a construction's places.

Groups:
  chpasswd-list  cloud-init's `chpasswd:` then `list: |` then indented `USER:VALUE` lines;
  chpasswd-any   any indented `USER:VALUE` line after a `list: |` line (how specific);
  ks-rootpw      Anaconda kickstart's `rootpw [--plaintext|--iscrypted|--lock] VALUE`;
  ks-user-pw     kickstart's `user … --password=VALUE` / `--password VALUE`;
  dbi-connect    Perl DBI's `connect("dbi:…", "USER", "VALUE")` (third argument);
  php-arrow      a PHP array `'KEY' => 'VALUE'`, KEY holding `pass`/`pwd`;
  php-arrow-any  any `'KEY' => 'VALUE'` (how specific);
  xml-value      `<…Password>` then `<Value>VALUE</Value>` (Windows unattend.xml);
  stats-pair     `"stats" "VALUE"`;
  url-deploy     `deploy:VALUE@`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main  # noqa: E402

PATTERNS = [
    ("chpasswd-list", re.compile(rb"chpasswd:[ \t]*\r?\n([ \t]+)list:[ \t]*\|[^\n]*\n((?:\1[ \t]+[^\s:]+:[^\n]*\n?)+)"), "lines"),
    ("chpasswd-any", re.compile(rb"(?m)^([ \t]*)list:[ \t]*\|[^\n]*\n((?:\1[ \t]+[^\s:]+:[^\n]*\n?)+)"), "lines"),
    ("ks-rootpw", re.compile(rb"(?m)^[ \t]*rootpw(?:[ \t]+--(?:plaintext|iscrypted|lock|allow-ssh))*[ \t]+(?!--)(\S+)"), 1),
    ("ks-user-pw", re.compile(rb"(?m)^[ \t]*user[ \t][^\n]*?--password[= ]([^\s]+)"), 1),
    ("dbi-connect", re.compile(rb"connect\(\s*[\"'](?i:dbi):[^\"'\n]*[\"']\s*,\s*[\"'][^\"'\n]*[\"']\s*,\s*[\"']([^\"'\n]*)[\"']"), 1),
    ("php-arrow", re.compile(rb"'[A-Za-z_]*(?i:pass|pwd)[A-Za-z_]*'\s*=>\s*'([^'\n]*)'"), 1),
    ("php-arrow-any", re.compile(rb"'[A-Za-z_]+'\s*=>\s*'([^'\n]*)'"), 1),
    ("xml-value", re.compile(rb"<[A-Za-z]*Password>\s*<Value>([^<\n]*)</Value>"), 1),
    ("stats-pair", re.compile(rb'"stats"[ \t]+"([^"\n]*)"'), 1),
    ("url-deploy", re.compile(rb"deploy:([^@\s/]+)@"), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]
LINE = re.compile(rb"[ \t]+[^\s:]+:([^\n]*)")


def places(rx, grp, raw):
    for m in rx.finditer(raw):
        if grp == "lines":
            base = m.start(2)
            for lm in LINE.finditer(m.group(2)):
                yield m, base + lm.start(1), base + lm.end(1)
        else:
            yield m, m.start(grp), m.end(grp)


def main():
    pattern_groups_main(PATTERNS, places)



if __name__ == "__main__":
    main()
