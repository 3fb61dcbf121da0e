#!/usr/bin/env python3
"""Thirty-first round, task gs: blind30's GENERIC_SECRET false positives and misses by
construction, counted on every training split (blind30 new to training this round).

usage: gs_r31_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups:
  salt        the value of a member or setting named `salt` (any case; `"salt": "…"`,
              `salt = …`, `salt: …`) in a record that also names a `hash` (a password hash's
              record: the salt is stored beside the hash, not a secret of its own);
  salt-other  the same value with no `hash` named within 200 bytes before or after it;
  salt-json   in a JSON document, a string member whose name ends in `salt` in an object
              that also has a member whose name ends in `hash` (the rule taken:
              `evidence_r31g::salt_key`, `hash_key`);
  salt-json-no  the same without such a `hash` member (a salt kept as a secret);
  call        a value that is a call opening an object or a list (`a.b.c({`, `f([`) after
              `=` or `:` and blanks, a blank, quote or line end after it (the rule taken:
              `check::code_reference`);
  call-any    any value after `=`/`:` holding a call's `NAME(` (the wider look);
  snmp        the string after `snmp-server community` / `snmp community` (with its length:
              the rule taken reads 8 to 15 bytes, `evidence_r31g::snmp_community`);
  telegram    a Telegram bot token (`<bot id: 8-10 digits>:<35 of [A-Za-z0-9_-]>`, the Bot
              API's documented form), not inside a longer run, or glued after the Bot API
              URL's `/bot`;
  dop         a DigitalOcean personal access token (`dop_v1_` + 64 hex);
  discord     a Discord bot token's shape (`[MNO]` + 23-25, `.`, 6, `.`, 27-38 of
              `[A-Za-z0-9_-]`);
  psk         strongSwan's `: PSK "…"` (ipsec.secrets(5): a pre-shared key).
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import secret_groups_main  # noqa: E402

SALT = re.compile(rb"""(?i)["']?\bsalt["']?\s*[:=]\s*["']?([^"'\s,;}]{4,})""")
HASH = re.compile(rb"(?i)hash")
CALL_ANY = re.compile(rb"[=:][ \t]*([A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*\((?:\{|\)|\[)?)")
CALL = re.compile(rb"[=:][ \t]*([A-Za-z0-9_.]+\((?:\{|\[))(?=[ \t\r\n\"'&,;<>\\]|$)")
SNMP = re.compile(rb"snmp(?:-server)? community ([^\s\"]+)")
TELEGRAM = re.compile(rb"(?:(?<=/bot)|(?<![A-Za-z0-9_:-]))(\d{8,10}:[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])")
DOP = re.compile(rb"(?<![A-Za-z0-9_])dop_v1_[a-f0-9]{64}(?![A-Za-z0-9_])")
DISCORD = re.compile(rb"(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_.-])")
PSK = re.compile(rb""":[ \t]*PSK[ \t]+"([^"\n]+)\"""")
GROUPS = ["salt", "salt-other", "salt-json", "salt-json-no", "call", "call-any", "telegram",
          "dop", "discord", "psk", "snmp"]


def json_salts(o, out):
    """(has a `…hash` sibling, value) of every string member named `…salt` in `o`."""
    if isinstance(o, dict):
        hashy = any(k.lower().endswith("hash") for k in o)
        for k, v in o.items():
            if k.lower().endswith("salt") and not k.lower().endswith("basalt") and isinstance(v, str):
                out.append((hashy, v))
            json_salts(v, out)
    elif isinstance(o, list):
        for x in o:
            json_salts(x, out)


def generate(raw, kind="text"):
    if kind == "json":
        try:
            out = []
            json_salts(json.loads(raw), out)
        except ValueError:
            out = []
        at = 0
        for hashy, v in out:
            vb = json.dumps(v)[1:-1].encode()
            i = raw.find(vb, at)
            if i >= 0:
                at = i + len(vb)
                yield ("salt-json" if hashy else "salt-json-no"), i, i + len(vb)
    for m in SNMP.finditer(raw):
        yield "snmp", m.start(1), m.end(1)
    for m in CALL_ANY.finditer(raw):
        yield "call-any", m.start(1), m.end(1)
    for m in SALT.finditer(raw):
        near = raw[max(0, m.start() - 200):m.end() + 200]
        yield ("salt" if HASH.search(near) else "salt-other"), m.start(1), m.end(1)
    for m in CALL.finditer(raw):
        yield "call", m.start(1), m.end(1)
    for m in TELEGRAM.finditer(raw):
        yield "telegram", m.start(1), m.end(1)
    for m in DOP.finditer(raw):
        yield "dop", m.start(), m.end()
    for m in DISCORD.finditer(raw):
        yield "discord", m.start(), m.end()
    for m in PSK.finditer(raw):
        yield "psk", m.start(1), m.end(1)


def main():
    secret_groups_main(GROUPS, generate)



if __name__ == "__main__":
    main()
