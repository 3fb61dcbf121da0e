#!/usr/bin/env python3
"""Thirty-second round, task fmt: US_SSN, PHONE, DATE_OF_BIRTH and ANTHROPIC_KEY recall, EMAIL
and IPV4 precision — the constructions blind31's writer brought, counted on every training
split independent of the engine.

usage: fmt_r32_population.py VARIANT [SPLIT ...] [--show GROUP]

Per group: candidates by gold label (the group's entity / not), the gold ones VARIANT missed,
per split the gold and not-gold counts.

Groups:
  x12-nm1-34        ASC X12 `NM1` segment whose NM108 (identification code qualifier) is
                    `34`, Social Security Number: the NM109 value (entity US_SSN);
  x12-nm1-other     the same segment, any other NM108 qualifier (`MI`, `ZZ`, `XX`, `24`, …);
  x12-per-Q         an X12 `PER` segment's communication number after qualifier Q (`TE`,
                    `CP`, `FX`, `HP`, `WP`, `BN`, `EX`, `AP`, …; not `EM`, `UR`): entity PHONE;
  hl7-in1-18        HL7 v2 `IN1` segment's field 18 (Insured's Date of Birth, DT): entity
                    DATE_OF_BIRTH;
  hl7-in1-date      any other IN1 field holding eight digits (plan dates, …);
  dob-key-text      in a text document, a snake-case or quoted key naming the birth date
                    (`date_of_birth`, `birth_date`, `birthdate`, `dob`, quoted or not) then
                    `:` or `=` (quotes, blanks) and a date: entity DATE_OF_BIRTH;
  dob-key-text-sq   the same, the key in single quotes (a Python dict's repr);
  shell-default-ant a shell parameter default `${NAME:-VALUE}` whose value opens `sk-ant-`:
                    entity ANTHROPIC_KEY;
  shell-default-any any `${NAME:-VALUE}` default value (what a type fix may touch);
  whois-abuse-email a WHOIS/RDDS `Registrar Abuse Contact Email:` value (entity EMAIL);
  whois-other-email every other WHOIS contact e-mail line (`Registrant Email:`, `Admin Email:`,
                    `Tech Email:`);
  ua-version-ipv4   a dotted quad right after a SIP/HTTP user agent's product token
                    (`ua=Yealink SIP-T46U 108.86.0.118`, `User-Agent: … 1.0.11.23`);
  url-host-ipv4     a dotted quad as a URL's host (`https://192.168.178.1/`);
  csv-first-ipv4    a dotted quad opening a CSV line that has a URL right after it;
  md-row-phone      a Markdown/pipe table row whose first cell is a phone word (`Telefoon`,
                    `Téléphone`, `Mobile`, …): its second cell (entity PHONE).
"""
import ipaddress
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import entity_groups_main  # noqa: E402

NM1 = re.compile(rb"(?:^|[~\n])[ \t]*NM1\*((?:[^*~\n]*\*){7})([^*~\n]*)\*([^*~\n]+)", re.M)
PER = re.compile(rb"(?:^|[~\n])[ \t]*PER\*[^~\n]*")
PER_Q = re.compile(rb"\*([A-Z]{2})\*([^*~\n]+)")
IN1 = re.compile(rb"(?:^|[\r\n])IN1\|[^\r\n]*")
DOB_KEY = re.compile(rb"""(['"]?)\b(?:[a-z_]*_)?(date_of_birth|birth_?date|birthdate|dob|date_naissance|fecha_nacimiento|geburtsdatum)\1[ \t]*[:=][ \t]*['"]?(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4})""", re.I)
SHELL_DEF = re.compile(rb"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}\s]+)\}")
WHOIS = re.compile(rb"^[ \t]*((?:Registrar Abuse Contact|Registrant|Admin|Tech|Billing)[ \t]*(?:Contact[ \t]*)?E-?mail)[ \t]*:[ \t]*(\S+@\S+)", re.M | re.I)
UA_V4 = re.compile(rb"(?:ua=|user-agent:|User-Agent:)[^\n]{0,60}?[A-Za-z][\w.-]*[ /](\d{1,3}(?:\.\d{1,3}){3})(?![\d.])", re.I)
URL_V4 = re.compile(rb"[a-z]+://(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
CSV_V4 = re.compile(rb"^(\d{1,3}(?:\.\d{1,3}){3}),[a-z]+://", re.M)

PHONE_LAB = (rb"(?:phone|telephone|tel\.?|mobile|mobil|cell|cellulare|telefono|tel(?:e|\xc3\xa9)fono|"
             rb"t(?:e|\xc3\xa9)l(?:e|\xc3\xa9)phone|telefoon|telefon|handy|portable|m(?:o|\xc3\xb3)vil|gsm)")
MD_PHONE = re.compile(rb"^[ \t]*\|[ \t]*(?:\*\*)?" + PHONE_LAB + rb"(?:\*\*)?[ \t]*:?[ \t]*\|[ \t]*([^|\n]*?)[ \t]*\|",
                      re.I | re.M)

GROUPS = ["x12-nm1-34", "x12-nm1-other", "hl7-in1-18", "hl7-in1-date", "dob-key-text",
          "dob-key-text-sq", "shell-default-ant", "shell-default-any", "whois-abuse-email",
          "whois-other-email", "ua-version-ipv4", "url-host-ipv4", "csv-first-ipv4", "md-row-phone"]


def v4(b):
    try:
        ipaddress.IPv4Address(b.decode())
        return True
    except ValueError:
        return False


def candidates(raw, kind):
    for m in NM1.finditer(raw):
        s, e = m.span(3)
        yield ("x12-nm1-34" if m.group(2) == b"34" else "x12-nm1-other"), "US_SSN", s, e
    for m in PER.finditer(raw):
        for q in PER_Q.finditer(m.group()):
            if q.group(1) in (b"EM", b"UR"):
                continue
            s, e = m.start() + q.start(2), m.start() + q.end(2)
            if any(c.isdigit() for c in q.group(2).decode(errors="replace")):
                yield "x12-per-" + q.group(1).decode(), "PHONE", s, e
    for m in IN1.finditer(raw):
        line = m.group()
        off = m.start() + (1 if line[:1] in (b"\r", b"\n") else 0)
        line = line.lstrip(b"\r\n")
        pos = 0
        for k, f in enumerate(line.split(b"|")):
            if k == 18 and f:
                yield "hl7-in1-18", "DATE_OF_BIRTH", off + pos, off + pos + len(f)
            elif re.fullmatch(rb"\d{8}", f):
                yield "hl7-in1-date", "DATE_OF_BIRTH", off + pos, off + pos + len(f)
            pos += len(f) + 1
    if kind == "text":
        for m in DOB_KEY.finditer(raw):
            s, e = m.span(3)
            yield "dob-key-text", "DATE_OF_BIRTH", s, e
            if m.group(1) == b"'":
                yield "dob-key-text-sq", "DATE_OF_BIRTH", s, e
    for m in SHELL_DEF.finditer(raw):
        s, e = m.span(1)
        if m.group(1).startswith(b"sk-ant-"):
            yield "shell-default-ant", "ANTHROPIC_KEY", s, e
        yield "shell-default-any", "ANY", s, e
    for m in WHOIS.finditer(raw):
        s, e = m.span(2)
        e = s + len(m.group(2).rstrip(b".,;\"'"))
        yield ("whois-abuse-email" if b"abuse" in m.group(1).lower() else "whois-other-email"), "EMAIL", s, e
    for rx, g in ((UA_V4, "ua-version-ipv4"), (URL_V4, "url-host-ipv4"), (CSV_V4, "csv-first-ipv4")):
        for m in rx.finditer(raw):
            if v4(m.group(1)):
                yield g, "IPV4", m.start(1), m.end(1)
    for m in MD_PHONE.finditer(raw):
        s, e = m.span(1)
        if e > s:
            yield "md-row-phone", "PHONE", s, e


def main():
    entity_groups_main(GROUPS, candidates)



if __name__ == "__main__":
    main()
