#!/usr/bin/env python3
"""Thirtieth round, task pw: the PASSWORD misses of blind29, blind18, blind25, blind19 and the
other training splits by construction — a Go MySQL driver DSN's `user:PASSWORD@tcp(host)`,
redis.conf's `masterauth`, a Redis ACL rule's `>PASSWORD`, `use PASSWORD as the password`,
PgBouncer's `auth_file` line, HAProxy's `stats auth`, `rabbitmqctl add_user`, strongSwan's
`ipsec.secrets` `: EAP "…"` — counted on every training split.

usage: pw_r30_population.py VARIANT [SPLIT ...] [--show GROUP] [--threshold N]

Each group yields every place of its construction (no value test in the generator); the value
there is judged by the twenty-fifth round's value test (`password_r25_population.shape_no` /
`shape_score`, as `src/redact/detect/evidence_r26p.rs`'s `flag_value_password` reads it). Per
split and group: the candidates whose value passes (score >= threshold) by gold label
(PASSWORD / GENERIC_SECRET / other entity / none), the gold ones VARIANT missed, [all
candidates].

Groups:
  go-dsn      `USER:VALUE@tcp(` (or `@tcp6(`, `@unix(`) as one token after a blank, a quote, `=`,
              `(`, `[` or a line's start: go-sql-driver/mysql's documented DSN,
              `[username[:password]@][protocol[(address)]]/dbname`; the rule this round takes
              (`src/redact/detect/evidence_r30p.rs`), reached at the `@` the byte pass stops at;
  any-at-paren the same with any word of letters before `(` after the `@` (how specific the
              protocol's name is);
  masterauth  `masterauth VALUE`, the word of its own (redis.conf's documented directive: the
              password a replica authenticates to its master with; `CONFIG SET masterauth`);
  acl         a Redis ACL rule `user NAME RULES >VALUE` (an ACL file, redis.conf, `ACL SETUSER`:
              `>password` adds a password), `user` after a blank or a line's start, only ACL
              rules (`on`, `off`, `~keys`, `+@all`, …) between the name and the `>`; the rule
              this round takes, at the `>` the byte pass stops at;
  any-gt      any `>` after a blank before a non-blank (how specific `user NAME` is);
  use-as      `use VALUE as the password` (any case of `use`; `the`/`your`/`a`, then `pass`,
              `password`, `pw`);
  userlist    a line `"USER" "VALUE"` (PgBouncer's documented `auth_file` format: the user
              name and the password, each in double quotes);
  stats-auth  `stats auth USER:VALUE` (HAProxy's documented `stats auth <user>:<passwd>`);
  add-user    `add_user USER VALUE` (`rabbitmqctl add_user <username> <password>`);
  ipsec-eap   `: EAP "VALUE"` / `: XAUTH "VALUE"` (strongSwan's `ipsec.secrets`).
"""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from password_r26_population import collect, line, parse_args, token_at  # noqa: E402

GO_DSN = re.compile(
    rb"(?:(?<=[\s\"'=(\[`/])|^)([A-Za-z0-9_.-]{1,32}):([^\s\"'`@/]{1,64})@(tcp6?|unix)\(", re.M)
ANY_AT_PAREN = re.compile(
    rb"(?:(?<=[\s\"'=(\[`/])|^)([A-Za-z0-9_.-]{1,32}):([^\s\"'`@/]{1,64})@([A-Za-z]+)\(", re.M)
MASTERAUTH = re.compile(rb"(?<![A-Za-z0-9_.-])masterauth[ \t]+(?=\S)")
ACL_RULE = (rb"(?:on|off|nopass|reset|resetpass|resetkeys|resetchannels|allkeys|allchannels"
            rb"|allcommands|nocommands|[~%&+<>#(-]\S*)")
ACL = re.compile(rb"(?:(?<=[ \t\n])|^)(?:user|(?i:acl setuser))[ \t]+[^\s>]+(?:[ \t]+" + ACL_RULE
                 + rb")*[ \t]+>(?=\S)")
ANY_GT = re.compile(rb"(?<= )>(?=\S)")
USE_AS = re.compile(rb"\b[Uu]se (\S{1,64}) as (?:the|your|a) (?:password|pass|pw)\b")
USERLIST = re.compile(rb"^\"[^\"\n]{1,64}\"[ \t]+\"([^\"\n]{1,64})\"[ \t]*$", re.M)
STATS_AUTH = re.compile(rb"stats[ \t]+auth[ \t]+[^\s:]{1,32}:(?=\S)")
ADD_USER = re.compile(rb"add_user[ \t]+[^\s]{1,32}[ \t]+(?=\S)")
IPSEC = re.compile(rb":[ \t]+(?:EAP|XAUTH)[ \t]+(?=\")")
GROUPS = ["go-dsn", "any-at-paren", "masterauth", "acl", "any-gt", "use-as", "userlist", "stats-auth",
          "add-user", "ipsec-eap"]


def generate(raw):
    """(group, value_start, value_end, context_start) for every candidate."""
    for m in GO_DSN.finditer(raw):
        yield "go-dsn", m.start(2), m.end(2), m.start()
    for m in ANY_AT_PAREN.finditer(raw):
        yield "any-at-paren", m.start(2), m.end(2), m.start()
    for m in ANY_GT.finditer(raw):
        t = token_at(raw, m.end())
        if t:
            yield "any-gt", t[0], t[1], m.start()
    for name, rx in (("masterauth", MASTERAUTH), ("acl", ACL), ("stats-auth", STATS_AUTH),
                     ("add-user", ADD_USER), ("ipsec-eap", IPSEC)):
        for m in rx.finditer(raw):
            t = token_at(raw, m.end())
            if t:
                yield name, t[0], t[1], m.start()
    for m in USE_AS.finditer(raw):
        yield "use-as", m.start(1), m.end(1), m.start()
    for m in USERLIST.finditer(raw):
        yield "userlist", m.start(1), m.end(1), m.start()


def taken_any(r, t):
    return r["score"] is not None and r["score"] >= t


def main():
    variant, splits, show, threshold = parse_args(sys.argv[1:])
    rows = collect(variant, splits, show, threshold, candidates=generate, before=40)
    print(f"threshold {threshold}; per group: taken PASSWORD/GENERIC_SECRET/other/none "
          f"(of the gold, missed by {variant}: PASSWORD, GENERIC_SECRET) [all candidates]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        if split != "total" and not sr:
            continue
        print(split.ljust(8), "  ".join(
            f"{g} {line([r for r in sr if r['group'] == g], threshold)}" for g in GROUPS
            if any(r["group"] == g for r in sr)))
    print("\nsplits with gold, per group (PASSWORD taken / missed by the variant):")
    for g in GROUPS:
        c = Counter(r["split"] for r in rows if r["group"] == g and taken_any(r, threshold)
                    and r["gold"] == "PASSWORD")
        m = Counter(r["split"] for r in rows if r["group"] == g and taken_any(r, threshold)
                    and r["gold"] == "PASSWORD" and not r["found"])
        print(f"  {g:12} " + ", ".join(f"{s} {c[s]}/{m[s]}" for s in c))


if __name__ == "__main__":
    main()
