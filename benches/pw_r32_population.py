#!/usr/bin/env python3
"""Thirty-second round, task pw: the PASSWORD misses of blind31 (the thirty-first round's
honest split, new to training) and the other training splits by construction, counted on
every training split independent of the engine.

usage: pw_r32_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD with the exact span, and the gold PASSWORD places it
typed GENERIC_SECRET. No value test: each group is a construction's places.

Groups (taken: infisical-pw, execve-mysql, esc-quote; the others counted, not taken):
  infisical      Infisical's `"secretKey":"NAME","secretValue":"VALUE"`, any NAME;
  infisical-pw   the same, NAME holding `PASS` or `PWD` (any case);
  execve-mysql   an audit EXECVE record whose `aN` argument is `mysql` (a path before it
                 allowed), then on its line an argument `-pVALUE` or `--password=VALUE`;
  execve-any-p   any EXECVE record's `aN="-pVALUE"` (how specific the client's name is);
  esc-quote      a key ending in a password keyword, `=`, an escaped quote, VALUE, an escaped
                 quote (`DbPassword=\\"X\\"`, SAM CLI's parameter_overrides);
  esc-any        any key `=\\"VALUE\\"` (how specific the keyword is);
  radius-secret  Junos' `radius-server ADDR secret "VALUE"` (and `tacplus-server`);
  auth-key       `authentication-key VALUE` (quoted or not; Junos BGP/OSPF);
  smbclient      Samba's `-U 'DOMAIN\\USER%VALUE'` (`smbclient`, `rpcclient`);
  rabbitmq       `rabbitmqctl add_user USER VALUE`;
  masterauth     Redis' `masterauth VALUE`;
  wp-define      WordPress' `define( 'DB_PASSWORD', 'VALUE' )`;
  entered        a transcript's `password: [entered VALUE]`;
  sms-wifi       an SMS body's `Wifi at …: VALUE` / `Code wifi … : VALUE`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main  # noqa: E402

KW = rb"(?i:pass(?:word|wd|wort)?|pwd)"
PATTERNS = [
    ("infisical", re.compile(rb'"secretKey"\s*:\s*"([^"]*)"\s*,\s*"secretValue"\s*:\s*"([^"]*)"'), 2),
    ("infisical-pw", re.compile(rb'"secretKey"\s*:\s*"([^"]*(?i:pass|pwd)[^"]*)"\s*,\s*"secretValue"\s*:\s*"([^"]*)"'), 2),
    ("execve-mysql", re.compile(rb' a\d+="(?:[^"\s]*/)?mysql"[^\n]*? a\d+="(?:-p(?!-)|--password=)([^"\n]+)"'), 1),
    ("execve-any-p", re.compile(rb'type=EXECVE[^\n]*? a\d+="-p(?!-)([^"\n]+)"'), 1),
    ("esc-quote", re.compile(rb"[A-Za-z_]*" + KW + rb'=\\"([^"\\\n]+)\\"'), 1),
    ("esc-any", re.compile(rb'[A-Za-z_]+=\\"([^"\\\n]+)\\"'), 1),
    ("radius-secret", re.compile(rb'(?:radius|tacplus)-server \S+ secret "?([^"\s;]+)'), 1),
    ("auth-key", re.compile(rb'authentication-key[ \t]+"?([^"\s;]+)'), 1),
    ("smbclient", re.compile(rb"-U '?[^%\s']+%([^'\s]+)"), 1),
    ("rabbitmq", re.compile(rb"rabbitmqctl add_user \S+ '?([^'\s]+)"), 1),
    ("masterauth", re.compile(rb'masterauth[ \t]+"?([^"\s]+)'), 1),
    ("wp-define", re.compile(rb"define\(\s*'DB_PASSWORD'\s*,\s*'([^'\n]*)'"), 1),
    ("entered", re.compile(rb"password: \[entered ([^\]\n]+)\]"), 1),
    ("sms-wifi", re.compile(rb'body="(?i:wi-?fi|code wifi)[^":\n]{0,40}:\s*([^"\s]+)"'), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]


def main():
    pattern_groups_main(PATTERNS)



if __name__ == "__main__":
    main()
