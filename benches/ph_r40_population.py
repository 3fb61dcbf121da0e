#!/usr/bin/env python3
"""Fortieth round, task ph: blind38's PHONE, IPV6, IPV4 and US_SSN errors by construction,
counted on every training split (blind38 new to training this round), independent of the
engine.

usage: ph_r40_population.py VARIANT [SPLIT ...] [--show GROUP]

Groups (entity in brackets; `ANY` counts a place gold whatever its label):
  natnum-phone   the value of `"national_number"` inside a `"phone_number": {…}` object
                 (libphonenumber's `PhoneNumber.national_number`; PayPal's payer phone) [PHONE];
  natnum-other   the value of `"national_number"` / `"nationalNumber"` anywhere else [ANY];
  ldap-tel       an LDIF line `telephoneNumber: VALUE` (RFC 4519's attribute) [PHONE];
  ldap-tel-any   `telephoneNumber` then `:`/`=` and a value anywhere else [PHONE];
  key-dotted     a JSON string of digits and dots only (one dot at least) under a key holding
                 `phone`, `mobile`, `tel` or `fax` (any case) [PHONE];
  key-phone      any other JSON string of digits, blanks, `-`, `.`, `()`, `+` under such a
                 key [PHONE];
  to-digits      a JSON `"to"` string of digits, blanks, `-`, `.`, `()`, `+` (an SMS
                 recipient) [PHONE];
  party-fmt      a JSON string under `to`, `from`, `recipient(s)`, `sender`, `originator`
                 (any case) of digits and at least one of blank, `-`, `.`, `()` (`+` allowed)
                 [PHONE];
  telephone-word `telephone` (any case, starting a word, as `telephoneNumber`, `Telephone:`)
                 then within 3 bytes a number of 6 bytes or more of digits and separators
                 [PHONE];
  v6-tcpdump     an IPv6 address then `.PORT` before ` > ` or after `> ` and before `:`
                 (tcpdump's `ADDR.PORT` output) [IPV6];
  v6-dotsuffix   any other run of hex groups with two colons or more then `.DIGITS`, not an
                 IPv4 tail (an IPv4-mapped `::ffff:1.2.3.4` is left out) [ANY];
  v4-metadata    `169.254.169.254` (the instance-metadata address) [IPV4];
  v4-linklocal   any other `169.254.X.Y` [IPV4];
  perl-ssn       `->execute('NNNNNNNNN')` (nine digits) [US_SSN];
  execute-9      nine digits quoted as any bound argument (`execute(`, `bind_param(`, `, '…'`)
                 after an `ssn = ?` query in the same document [US_SSN].
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

NATNUM = re.compile(rb'"national_number"\s*:\s*"([^"]*)"')
NATANY = re.compile(rb'"national(?:_number|Number)"\s*:\s*"([^"]*)"')
LDAP = re.compile(rb"(?m)^telephoneNumber: ?([^\r\n]+)")
LDAPANY = re.compile(rb"telephoneNumber\"?\s*[:=]\s*\"?([+0-9][0-9 ().+-]{5,}[0-9])")
PHKEY = re.compile(rb'"([A-Za-z_]*(?:[Pp]hone|PHONE|[Mm]obile|MOBILE|[Tt]el|TEL|[Ff]ax|FAX)[A-Za-z_]*)"\s*:\s*"([+0-9(][0-9 ().+-]*[0-9])"')
PARTY = re.compile(rb'"(?i:to|from|recipients?|sender|originator)"\s*:\s*"(\+?[0-9(][0-9 ().+-]*[0-9])"')
TELW = re.compile(rb"(?i)(?<![A-Za-z])telephone[A-Za-z]*\W{0,3}([+0-9(][0-9 ().+-]{4,}[0-9])")
TO = re.compile(rb'"to"\s*:\s*"([+0-9(][0-9 ().+-]*[0-9])"')
H = rb"[0-9a-fA-F]{1,4}"
V6 = rb"(?<![0-9A-Za-z:.])((?:" + H + rb")?(?::(?:" + H + rb")?){2,7})\.([0-9]{1,5})(?![0-9.])"
V6RX = re.compile(V6)
META = re.compile(rb"(?<![0-9.])169\.254\.169\.254(?![0-9])")
LINK = re.compile(rb"(?<![0-9.])169\.254\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9])")
PERL = re.compile(rb"->execute\(\s*'([0-9]{9})'")
BIND = re.compile(rb"(?:execute\(|bind_param\([^,]*,|, )\s*['\"]([0-9]{9})['\"]")


def candidates(raw, kind=None):
    natnum = set()
    for m in NATNUM.finditer(raw):
        head = raw[max(0, m.start() - 40):m.start()]
        if re.search(rb'"phone_number"\s*:\s*\{\s*$', head):
            natnum.add(m.start(1))
            yield "natnum-phone", "PHONE", m.start(1), m.end(1)
    for m in NATANY.finditer(raw):
        if m.start(1) not in natnum:
            yield "natnum-other", "ANY", m.start(1), m.end(1)
    ldap = set()
    for m in LDAP.finditer(raw):
        ldap.add(m.start(1))
        yield "ldap-tel", "PHONE", m.start(1), m.end(1)
    for m in LDAPANY.finditer(raw):
        if m.start(1) not in ldap:
            yield "ldap-tel-any", "PHONE", m.start(1), m.end(1)
    for m in PHKEY.finditer(raw):
        if m.start(2) in natnum:
            continue
        v = m.group(2)
        g = "key-dotted" if re.fullmatch(rb"[0-9.]+", v) and b"." in v else "key-phone"
        yield g, "PHONE", m.start(2), m.end(2)
    for m in TO.finditer(raw):
        yield "to-digits", "PHONE", m.start(1), m.end(1)
    for m in PARTY.finditer(raw):
        if re.search(rb"[ ().-]", m.group(1)):
            yield "party-fmt", "PHONE", m.start(1), m.end(1)
    for m in TELW.finditer(raw):
        yield "telephone-word", "PHONE", m.start(1), m.end(1)
    for m in V6RX.finditer(raw):
        addr = m.group(1)
        if addr.count(b":") < 2 or not re.search(rb"[0-9a-fA-F]", addr):
            continue
        before = raw[max(0, m.start() - 3):m.start()]
        after = raw[m.end():m.end() + 3]
        tcp = before.endswith(b"> ") and after.startswith(b":") or after.startswith(b" > ")
        yield ("v6-tcpdump" if tcp else "v6-dotsuffix"), ("IPV6" if tcp else "ANY"), m.start(1), m.end(1)
    for m in META.finditer(raw):
        yield "v4-metadata", "IPV4", m.start(), m.end()
    for m in LINK.finditer(raw):
        if m.group() != b"169.254.169.254":
            yield "v4-linklocal", "IPV4", m.start(), m.end()
    perl = set()
    for m in PERL.finditer(raw):
        perl.add(m.start(1))
        yield "perl-ssn", "US_SSN", m.start(1), m.end(1)
    if re.search(rb"(?i)ssn\s*=\s*\?", raw):
        for m in BIND.finditer(raw):
            if m.start(1) not in perl:
                yield "execute-9", "US_SSN", m.start(1), m.end(1)


GROUPS = ["natnum-phone", "natnum-other", "ldap-tel", "ldap-tel-any", "key-dotted", "key-phone",
          "to-digits", "party-fmt", "telephone-word", "v6-tcpdump", "v6-dotsuffix", "v4-metadata", "v4-linklocal", "perl-ssn",
          "execute-9"]


def main():
    entity_groups_main(GROUPS, candidates, zero_rows=True)


if __name__ == "__main__":
    main()
