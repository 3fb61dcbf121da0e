#!/usr/bin/env python3
"""Thirty-eighth round, task pw: the PASSWORD misses and false positives of blind37 (the
thirty-seventh round's honest split, new to training) by construction, counted on every
training split independent of the engine.

usage: pw_r38_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD, those it typed GENERIC_SECRET, and the places
VARIANT found as PASSWORD that are not gold PASSWORD. No value test.

Groups:
  cfn-intrinsic  a CloudFormation intrinsic function's YAML short form, anywhere (`!Ref`,
                 `!Sub`, `!GetAtt`, `!ImportValue`, … and the condition functions), a blank
                 or the end after it;
  cfn-resolve    a dynamic reference `{{resolve:secretsmanager|ssm|ssm-secure:…}}`;
  unraid-mask    an Unraid template's `<Config … Mask="true">X</Config>`;
  unraid-any     the same, any Mask;
  znc-server     znc.conf `Server = HOST [+]PORT X`;
  cfn-noecho     a CloudFormation parameter with `NoEcho: true` and `Default: X`;
  xml-pass       `<pass>X</pass>` (Kodi's advancedsettings.xml);
  skopeo-creds   `--src-creds|--dest-creds|--creds[= ]USER:X`;
  userpwd        `USERPWD "USER:X"` (libcurl's CURLOPT_USERPWD, a #define);
  ldap-w         an ldap* tool's `-w X`;
  pipe-locale    a pipe-table row `| LABEL | X |` whose label holds a locale's password word
                 and more words;
  pin-json       `"pin":"X"` in JSON;
  pin-any        `pin` then `:`/`=` and a value, any context;
  dial           Asterisk's `Called PJSIP/X@…`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main  # noqa: E402

PW_WORDS = rb"(?:Passwort|Kennwort|Contrase(?:\xc3\xb1|n)a|Clave|Wachtwoord|Mot de passe|Password|Passwd|Senha|Parola d'ordine)"
PATTERNS = [
    ("cfn-intrinsic", re.compile(rb"(?:^|(?<=[\s:\[,]))(!(?:Base64|Cidr|FindInMap|GetAtt|GetAZs|ImportValue|Join|Select|Split|Sub|Transform|Ref|And|Equals|If|Not|Or|Condition))(?=[ \t\r\n]|$)"), 1),
    ("cfn-resolve", re.compile(rb"(\{\{resolve:(?:secretsmanager|ssm|ssm-secure):[^}\s]*\}\})"), 1),
    ("unraid-mask", re.compile(rb"<Config [^>\n]*Mask=\"true\"[^>\n]*>([^<\n]+)</Config>"), 1),
    ("unraid-any", re.compile(rb"<Config [^>\n]*>([^<\n]+)</Config>"), 1),
    ("znc-server", re.compile(rb"(?m)^[ \t]*Server[ \t]*=[ \t]*[A-Za-z0-9.-]+[ \t]+\+?[0-9]{1,5}[ \t]+([^\s]+)"), 1),
    ("cfn-noecho", re.compile(rb"NoEcho:[ \t]*['\"]?true['\"]?[ \t]*\n(?:[ \t]+[A-Za-z]+:[^\n]*\n)*?[ \t]+Default:[ \t]*['\"]?([^'\"\n]+)"), 1),
    ("xml-pass", re.compile(rb"<pass>([^<\n]+)</pass>"), 1),
    ("skopeo-creds", re.compile(rb"--(?:src-|dest-)?creds[= ]+['\"]?[^:\s'\"]+:([^\s'\"]+)"), 1),
    ("userpwd", re.compile(rb"USERPWD[\" \t,]+\"[^:\"\n]+:([^\"\n]+)\""), 1),
    ("ldap-w", re.compile(rb"ldap[a-z]+ [^\n]*?-w[ \t]+['\"]?([^\s'\"]+)"), 1),
    ("pipe-locale", re.compile(rb"(?m)^\|[ \t]*(?:[^|\n]*[ \t-])?" + PW_WORDS + rb"(?:[ \t][^|\n]*)?[ \t]*\|[ \t]*([^|\n]*[^|\s])[ \t]*\|", re.I), 1),
    ("pin-json", re.compile(rb"\"pin\"[ \t]*:[ \t]*\"([^\"]+)\""), 1),
    ("pin-any", re.compile(rb"(?i)\bpin\b[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"',}]+)"), 1),
    ("dial", re.compile(rb"Called [A-Z]+/([^@\s]+)@"), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]


def main():
    pattern_groups_main(PATTERNS, fp=True, width=15)


if __name__ == "__main__":
    main()
