#!/usr/bin/env python3
"""Thirty-first round, task fmt: DATE_OF_BIRTH and IPV6 recall, EMAIL and IPV4 precision —
the constructions blind30's writer brought, counted on every training split.

usage: fmt_r31_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per group:
the candidates by gold label (the group's entity / not), the gold ones VARIANT missed, and
per split the gold and not-gold counts.

Groups:
  ipv6-colon      an IPv6 address (RFC 4291 text, valid by Python's `ipaddress`) with no word
                  byte or `:` before, then one `:` and a byte that is no address byte, no
                  word byte and no `:` (or the text's end): `from 2001:db8::1: password`;
  ipv6-colon-any  the same whatever byte follows the `:` (but a hex digit or `:`);
  dob-md-row      a Markdown/pipe table row whose first cell is a birth label (`Date of
                  birth`, `DOB`, `Geburtsdatum`, `Date de naissance`, `Data di nascita`,
                  `Fecha de nacimiento`, `Geboortedatum`, `Birthday`, `Born`, …) and whose
                  second cell holds a date (digits, or a day, a month name, a year);
  dob-md-row-any  the same, any second cell (what the label cell names, whatever it holds);
  edifact-329     UN/EDIFACT `DTM+329:VALUE` (date/time/period qualifier 329, "Birth
                  date/time"), the value up to `:` or `'`;
  edifact-dtm     every other `DTM+Q:VALUE` (the qualifiers a birth rule must not take);
  gedcom-birt     GEDCOM's `1 BIRT` event and its `2 DATE …` line (the date's text);
  gedcom-date     every other GEDCOM `2 DATE …` line (DEAT, MARR, …);
  ical-uid-email  an iCalendar `UID:` property (RFC 5545 §3.8.4.7) whose value has an
                  `@` between word bytes (the EMAIL candidate in it, entity EMAIL);
  ical-other-email an EMAIL candidate in any other iCalendar line (ORGANIZER, ATTENDEE …);
  gsa-email       a Google Cloud service account's address (`…@PROJECT.iam.gserviceaccount.com`,
                  `…@developer.gserviceaccount.com`), entity EMAIL;
  cidr-ipv4       an IPv4 address followed by `/` and a prefix length 0-32 (a network or an
                  interface address in CIDR notation, RFC 4632), entity IPV4;
  cidr-net-ipv4   the same when the address is a network's (its host bits, those after the
                  prefix length, all zero; `10.0.0.0/8`, `192.168.1.0/24`; not `0.0.0.0/0`);
  cidr-net24-ipv4 the same with a prefix of 24 bits or fewer (the rule taken: a network of
                  256 addresses or more, its last octet 0);
  pg-hba-ipv4     the same on a pg_hba.conf record line (`host`/`hostssl`/`hostnossl`/
                  `hostgssenc`/`hostnogssenc`, database, user, address).
"""
import ipaddress
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

HEX = b"0123456789abcdefABCDEF"
ADDR_BYTES = set(HEX + b":.")
WORD = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

IPV6_RUN = re.compile(rb"[0-9A-Fa-f:.]{2,45}")
LABEL = (rb"(?:date\s+of\s+birth|birth\s*date|birthdate|birthday|d\.?o\.?b\.?|born|"
         rb"geburtsdatum|geburtstag|geboren|geb\.|date\s+de\s+naissance|n[\xc3\xa9e]\(?e?\)?\s+le|"
         rb"data\s+di\s+nascita|nato\s+il|fecha\s+de\s+nacimiento|nacimiento|geboortedatum|"
         rb"geboren\s+op)")
MD_ROW = re.compile(rb"^[ \t]*\|[ \t]*(?:\*\*)?" + LABEL + rb"(?:\*\*)?[ \t]*:?[ \t]*\|[ \t]*([^|\n]*?)[ \t]*\|",
                    re.I | re.M)
DATEISH = re.compile(rb"\d")
EDI = re.compile(rb"DTM\+(\d+):([^:'\n]*)")
GED_BIRT = re.compile(rb"^1 BIRT[ \t]*\r?\n(?:2 (?!DATE)[^\n]*\n)*2 DATE ([^\r\n]+)", re.M)
GED_DATE = re.compile(rb"^2 DATE ([^\r\n]+)", re.M)
UID = re.compile(rb"^UID[;:][^\r\n]*", re.M)
ICAL_LINE = re.compile(rb"^(?:ORGANIZER|ATTENDEE|X-[A-Z-]+|CONTACT)[;:][^\r\n]*", re.M)
EMAILISH = re.compile(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
GSA = re.compile(rb"[\w.+-]+@[\w.-]*gserviceaccount\.com")
CIDR = re.compile(rb"(?<![0-9.])(\d{1,3}(?:\.\d{1,3}){3})/(\d{1,2})(?![0-9])")
PG_HBA = re.compile(rb"^[ \t\"']*(?:host|hostssl|hostnossl|hostgssenc|hostnogssenc)[ \t]+\S+[ \t]+\S+[ \t]+"
                    rb"(\d{1,3}(?:\.\d{1,3}){3})(?:/\d{1,2}|[ \t]+\d{1,3}(?:\.\d{1,3}){3})", re.M)

GROUPS = ["ipv6-colon", "ipv6-colon-any", "dob-md-row", "dob-md-row-any", "edifact-329",
          "edifact-dtm", "gedcom-birt", "gedcom-date", "ical-uid-email", "ical-other-email",
          "gsa-email", "cidr-ipv4", "cidr-net-ipv4", "cidr-net24-ipv4", "pg-hba-ipv4"]


def v6(b):
    try:
        ipaddress.IPv6Address(b.decode())
        return True
    except ValueError:
        return False


def v4(b):
    try:
        ipaddress.IPv4Address(b.decode())
        return True
    except ValueError:
        return False


def candidates(raw):
    for m in IPV6_RUN.finditer(raw):
        s, e = m.span()
        if e - s < 3 or raw[e - 1] != ord(":") or raw[e - 2] == ord(":"):
            continue
        if s > 0 and (raw[s - 1] in WORD or raw[s - 1] == ord(":")):
            continue
        nxt = raw[e] if e < len(raw) else None
        if nxt is not None and nxt in WORD:
            continue
        if v6(raw[s:e - 1]) and raw[s:e - 1].count(b":") >= 2:
            yield "ipv6-colon-any", "IPV6", s, e - 1
            if nxt is None or nxt in b" \t\r\n\"',;)]}>|":
                yield "ipv6-colon", "IPV6", s, e - 1
    for m in MD_ROW.finditer(raw):
        s, e = m.span(1)
        if e > s:
            yield "dob-md-row-any", "DATE_OF_BIRTH", s, e
            if DATEISH.search(m.group(1)):
                yield "dob-md-row", "DATE_OF_BIRTH", s, e
    for m in EDI.finditer(raw):
        s, e = m.span(2)
        if e > s:
            yield ("edifact-329" if m.group(1) == b"329" else "edifact-dtm"), "DATE_OF_BIRTH", s, e
    birt = set()
    for m in GED_BIRT.finditer(raw):
        birt.add(m.start(1))
        yield "gedcom-birt", "DATE_OF_BIRTH", m.start(1), m.end(1)
    for m in GED_DATE.finditer(raw):
        if m.start(1) not in birt:
            yield "gedcom-date", "DATE_OF_BIRTH", m.start(1), m.end(1)
    for rx, g in ((UID, "ical-uid-email"), (ICAL_LINE, "ical-other-email")):
        for m in rx.finditer(raw):
            for x in EMAILISH.finditer(m.group()):
                yield g, "EMAIL", m.start() + x.start(), m.start() + x.end()
    for m in GSA.finditer(raw):
        yield "gsa-email", "EMAIL", m.start(), m.end()
    for m in CIDR.finditer(raw):
        if v4(m.group(1)) and int(m.group(2)) <= 32:
            yield "cidr-ipv4", "IPV4", m.start(1), m.end(1)
            a, n = int(ipaddress.IPv4Address(m.group(1).decode())), int(m.group(2))
            if n < 32 and a & ((1 << (32 - n)) - 1) == 0 and a != 0:
                yield "cidr-net-ipv4", "IPV4", m.start(1), m.end(1)
                if n <= 24:
                    yield "cidr-net24-ipv4", "IPV4", m.start(1), m.end(1)
    for m in PG_HBA.finditer(raw):
        if v4(m.group(1)):
            yield "pg-hba-ipv4", "IPV4", m.start(1), m.end(1)


def main():
    entity_groups_main(GROUPS, lambda raw, kind: candidates(raw), zero_rows=True)



if __name__ == "__main__":
    main()
