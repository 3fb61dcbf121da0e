#!/usr/bin/env python3
"""Thirty-seventh round, task span: a `key=value` label's value that is itself a `NAME=` pair
(`token: slackToken=xoxb-…`, `secret: NEXT_PUBLIC_OPENAI_KEY=sk-…`), counted on every
training split, independent of the engine.

usage: span_r37_population.py VARIANT [SPLIT ...] [--show GROUP]

A place: a secret's word (token, secret, key, password, passwd, pwd, pass, credential, auth)
ending a name, `:` or `=` (blanks and a quote around), then NAME `=` REST, REST one token (no
blank, no `;`/`&`, `=` only as final padding). Groups:
  name         the `NAME=` head, NAME a program's name (a `_` in it or camel case, 4-64 bytes)
               ending in a secret's word (token, key, secret, password, passwd, pwd, pass,
               credential(s), auth): gold here would mean the head belongs to the value;
  rest         REST after such a head, any gold label;
  name-other   the `NAME=` head when NAME fails that test (`roMFoL5=…` in a password): left
               whole by the rule;
  rest-other   REST after such a head;
  glpat-ph     GitLab's `glpat-` with an `EXAMPLE` / `xxxx…` / `0000…` body, any context (the
               second construction of the brief, counted, not taken);
  glpat-real   any other `glpat-` token, any context.
Reported per group: gold (any label, listed), not gold, gold the variant missed (same label).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

RX = re.compile(
    rb"(?i:token|secret|key|password|passwd|pwd|pass|credential|auth)[\"']?[ \t]*(?::=|=>|[:=])[ \t]*[\"']?"
    rb"([A-Za-z_][A-Za-z0-9_.-]{0,63})=([A-Za-z0-9_+/-][^\s\"'<>,;&=]*=*)(?![^\s\"'<>,;&])")


SECRET_WORDS = (b"token", b"key", b"secret", b"password", b"passwd", b"pwd", b"pass", b"credential",
                b"credentials", b"auth")


def program_name(n):
    return (len(n) >= 4 and n[-1:].isalnum()
            and (b"_" in n or re.search(rb"[a-z][A-Z]", n) is not None)
            and n.lower().endswith(SECRET_WORDS))


GLPAT = re.compile(rb"(?<![A-Za-z0-9_-])(glpat-[A-Za-z0-9_-]{8,})")


def candidates(raw, kind=None):
    for m in GLPAT.finditer(raw):
        body = m.group(1)[6:]
        ph = b"EXAMPLE" in body or re.fullmatch(rb"[xX]{8,}|0{8,}", body) is not None
        yield ("glpat-ph" if ph else "glpat-real"), "ANY", m.start(1), m.end(1)
    for m in RX.finditer(raw):
        ok = program_name(m.group(1))
        yield ("name" if ok else "name-other"), "ANY", m.start(1), m.end(1) + 1
        yield ("rest" if ok else "rest-other"), "ANY", m.start(2), m.end(2)


def main():
    entity_groups_main(["name", "rest", "name-other", "rest-other", "glpat-ph", "glpat-real"], candidates)


if __name__ == "__main__":
    main()
