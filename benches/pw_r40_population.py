#!/usr/bin/env python3
"""Fortieth round, task pw: the PASSWORD misses and false positives of blind38 (the
thirty-eighth round's honest split, in training since the thirty-ninth round) by construction,
counted on every training split independent of the engine.

usage: pw_r40_population.py VARIANT [SPLIT ...] [--show GROUP]

Per split and group: every place of the construction by gold label at the value
(PASSWORD / GENERIC_SECRET / other entity / none), then (in parentheses) the gold PASSWORD
places VARIANT did not find as PASSWORD, those it typed GENERIC_SECRET, and the places
VARIANT found as PASSWORD that are not gold PASSWORD. No value test. A JSON document is read
in its raw bytes (a quote inside a string is `\\"`).

Groups:
  ps-plain       PowerShell `ConvertTo-SecureString [-String] 'X'` with `-AsPlainText` on
                 the line;
  ps-any         `ConvertTo-SecureString` then a quoted string, any flags;
  dbi-connect    Perl DBI `DBI->connect('DSN', 'USER', 'X'`;
  dbi-var        `DBI->connect(` with a third argument that is no string literal;
  wiki-col       a Confluence/Jira wiki-markup table (`||Head||Head||`) whose header names a
                 Secret/Password column: that column's cell in each row below;
  md-col         a Markdown pipe table (`| Head | Head |`, then `|---|`) whose header names a
                 Secret/Password column: that column's cell in each row below;
  env-pwkey      a password/secret key, `:`/`=`, then `env(NAME)` (`%env(NAME)%`);
  env-any        `env(NAME)` anywhere, not after a letter, digit, `_`, `.`, `$`;
  keyvault       Azure App Service's `@Microsoft.KeyVault(...)` reference;
  changeme       the word `changeme` as a value (after `=`, `:` or a quote);
  vendor-pwkey   a vendor-prefixed token (`pypi-`, `django-insecure-`, `glpat-`, `npm_`,
                 `hf_`, `ghp_`, `sk_live_`, …) as the value of a password key;
  shared-secret  `shared secret is X` / `shared secret: X` in prose;
  wifi-es        `wifi … es X` (Spanish prose: "la contraseña del wifi … es X");
  wifi-any       a wifi word then, within 60 bytes, `is`/`es`/`ist`/`est`/`è`/`:` and a value.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import pattern_groups_main, regex_places  # noqa: E402

Q = rb"\\?['\"]"
VAL_END = rb"(?<=[^.,;:!?)\]}\"'`\\])"
COL_WORDS = re.compile(rb"(?i)^\s*(secret|password|passwort|passwd|pass|pw|contrase\xc3\xb1a|wachtwoord|mot de passe|senha|kennwort|clave)\s*$")

PATTERNS = [
    ("ps-plain", re.compile(rb"ConvertTo-SecureString(?:[ \t]+-String)?[ \t]+" + Q + rb"([^'\"\\\n]+)" + Q + rb"(?=[^\n]*-AsPlainText)", re.I), 1),
    ("ps-any", re.compile(rb"ConvertTo-SecureString(?:[ \t]+-[A-Za-z]+)*[ \t]+" + Q + rb"([^'\"\\\n]+)" + Q, re.I), 1),
    ("dbi-connect", re.compile(rb"DBI->connect\(\s*" + Q + rb"[^'\"\n]*" + Q + rb"\s*,\s*" + Q + rb"[^'\"\n]*" + Q + rb"\s*,\s*" + Q + rb"([^'\"\\\n]+)" + Q), 1),
    ("dbi-var", re.compile(rb"DBI->connect\(\s*[^,\n]+,\s*[^,\n]+,\s*([^'\"\s,][^,\s)]*)"), 1),
    ("wiki-col", "wiki", 0),
    ("md-col", "md", 0),
    ("env-pwkey", re.compile(rb"(?i)(?:pass(?:word|wd)?|pwd|secret)[\w.-]*\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?(%?env\([\w.:-]+\)%?)"), 1),
    ("env-any", re.compile(rb"(?<![\w.$])(%?env\([\w.:-]+\)%?)"), 1),
    ("keyvault", re.compile(rb"(@Microsoft\.KeyVault\([^)\s\"']*\))"), 1),
    ("changeme", re.compile(rb"(?i)(?:[=:][ \t]*|[\"'`])(changeme)(?![\w-])"), 1),
    ("vendor-pwkey", re.compile(rb"(?i)(?:pass(?:word|wd)?|pwd)\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?((?-i:pypi-|django-insecure-|glpat-|npm_|hf_|ghp_|gho_|github_pat_|sk_live_|sk_test_|rk_live_|xox[bp]-|AKIA|whsec_|sk-)[^\s\"'\\]+)"), 1),
    ("shared-secret", re.compile(rb"(?i)shared secret(?: is|:)[ \t]+([^\s\"\\]+" + VAL_END + rb")"), 1),
    ("wifi-es", re.compile(rb"(?i)wi-?fi\b[^.\n\"]{0,40}? es[ \t]+([^\s\"\\]+" + VAL_END + rb")"), 1),
    ("wifi-any", re.compile(rb"(?i)wi-?fi\b[^.\n\"]{0,60}?(?: is| es| ist| est| \xc3\xa8| is nu|:)[ \t]+([^\s\"\\]+" + VAL_END + rb")"), 1),
]
GROUPS = [g for g, _, _ in PATTERNS]


def table_places(kind, raw):
    """The cells under a Secret/Password column of every wiki-markup or Markdown table."""
    lines = raw.split(b"\n")
    off, offs = 0, []
    for ln in lines:
        offs.append(off)
        off += len(ln) + 1
    i = 0
    while i < len(lines):
        ln = lines[i].rstrip(b"\r")
        col = None
        if kind == "wiki" and ln.lstrip().startswith(b"||"):
            cells = ln.strip().strip(b"|").split(b"||")
            col = next((k for k, c in enumerate(cells) if COL_WORDS.match(c)), None)
            j = i + 1
        elif kind == "md" and ln.lstrip().startswith(b"|") and not ln.lstrip().startswith(b"||") and i + 1 < len(lines) and re.match(rb"^\s*\|[\s:|-]*-[\s:|-]*$", lines[i + 1]):
            cells = ln.strip().strip(b"|").split(b"|")
            col = next((k for k, c in enumerate(cells) if COL_WORDS.match(c)), None)
            j = i + 2
        if col is None:
            i += 1
            continue
        while j < len(lines) and lines[j].lstrip().startswith(b"|") and not lines[j].lstrip().startswith(b"||"):
            row = lines[j].rstrip(b"\r")
            # cell boundaries
            bars = [k for k, ch in enumerate(row) if ch == 0x7C]
            if len(bars) >= col + 2:
                a, b = bars[col] + 1, bars[col + 1]
                while a < b and row[a] in b" \t":
                    a += 1
                while b > a and row[b - 1] in b" \t":
                    b -= 1
                if b > a:
                    yield None, offs[j] + a, offs[j] + b
            j += 1
        i = j


def places(rx, grp, raw):
    if isinstance(rx, str):
        yield from table_places(rx, raw)
    else:
        yield from regex_places(rx, grp, raw)


def main():
    pattern_groups_main(PATTERNS, places=places, fp=True, width=15)


if __name__ == "__main__":
    main()
