#!/usr/bin/env python3
"""Twenty-seventh round, task gs (issue #20): each GENERIC_SECRET miss of a variant on the
given training splits, classed by how it could be reached (the first matching class of
`RULES`, read on the 400 bytes before the value): (a) a key or member the vocabulary lacks,
(b) a value reached but refused by the shape test, (c) a tool's flag, argument or output,
(d) prose, (e) a vendor's format, (f) another structure. Unclassed misses are printed.

    gs_r27_misses.py VARIANT SPLIT ...   (training splits only)
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents, overlaps
RULES = [
 ("a: JSON `cardCode` (card security code)", rb'"cardCode":"$', None),
 ("a: `routing_key:` (PagerDuty)", rb"routing_key: '?$", None),
 ("b: `APP_KEY=base64:` (Laravel)", rb"APP_KEY=base64:$", None),
 ("b: Datadog `app_key:` 40 hex", rb"app_key: $", None),
 ("b: `SECRET_KEY`/`define()` value opening with `%&!(-`", rb"(SECRET_KEY = |_KEY', )[\"']$", None),
 ("a: JSON `webhook_hmac`", rb'"webhook_hmac":"$', None),
 ("f: `session_id=` in a cookie header", rb"session_id=$", None),
 ("c: `curl -u ID:SECRET` (client_credentials; typed PASSWORD)", rb"curl -s -u [^:\s]+:$", None),
 ("c: output line after `az storage account keys list`", rb"keys list [^\n]*\n$", None),
 ("d: `API key/secret: K / S` comment (Confluent)", rb"key/secret: \S+ / $", None),
 ("f: 1Password CSV `login_totp` column", rb",[^,\n]*,$", rb"login_totp"),
 ("f: ipsec.secrets `PSK \"…\"`", rb'PSK "$', None),
 ("d: card security code in prose / dialogue", rb"(?i)(code|nummer|retro|achterop|atr\xc3\xa1s|cryptogramme|cvv \xc3\xa8|seguridad es|beveiligingscode is|back|code is)\s*$", None),
 ("d: prose (`the value X was posted`, `new one is X`)", rb"(the value |new one is )$", None),
 ("d: `Authorization \"Bearer …\"` (Caddy; value opening with `e…#)`)", rb"Bearer $", None),
 ("c: `__token__:` in a pip index URL", rb"__token__:$", None),
 ("f: blank-aligned name/value table row", rb"\n[ \t]*[A-Za-z][\w.:-]*(?i:secret|key|token)[ \t]{2,}$", None),
 ("e: AWS secret key near its key id (Terraform, URL userinfo, CI table)", rb"(AKIA|ASIA)[A-Z0-9]{16}[\s\S]{0,160}$", b"AWS40"),
 ("f: GitLab variables table row `AWS_SECRET_ACCESS_KEY\\t…\\t*\\t`", rb"AWS_SECRET_ACCESS_KEY\t[^\n]*\t$", None),
]


def classify(raw, s, e, rules=None):
    """The first class of `rules` (default `RULES`) whose context matches the value at
    raw[s:e], or None."""
    left = raw[max(0, s - 400):s]
    for name, rx, need in (rules or RULES):
        if need == b"AWS40":
            ok = re.search(rx, left) and len(re.sub(rb"%2[BF]", b"+", raw[s:e])) == 40
        else:
            ok = re.search(rx, left) and (need is None or need in raw)
        if ok:
            return name
    return None


def main(argv):
    for sp in argv[2:]:
        c = collections.Counter()
        for doc, raw, lab, gold, preds in documents(sp, argv[1]):
            for (t, s, e) in gold:
                if t != "GENERIC_SECRET" or overlaps(preds, t, s, e):
                    continue
                name = classify(raw, s, e)
                if name:
                    c[name] += 1
                else:
                    c["other"] += 1
                    print("   ", sp, raw[max(0,s-80):e+20])
        print(sp, sum(c.values()))
        for k, v in sorted(c.items(), key=lambda x: -x[1]):
            print(f"   {v:4} {k}")


if __name__ == "__main__":
    main(sys.argv)
