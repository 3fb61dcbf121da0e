#!/usr/bin/env python3
"""Twenty-third round, task sec: the population of each candidate evidence class for
GENERIC_SECRET on the training splits (every candidate, found or not, gold or not).

usage: secret_r23_population.py VARIANT [SPLIT...] [-v]   (default: the twenty-third round's training splits)
Reads /tmp/pii/<split>/{corpus,labels,VARIANT}.jsonl. Candidates are read by regexes over the
raw document (text and raw JSON alike), so the counts include forms a rule never sees; what
matters is the gold column against the rest. Prints, per class: candidates, gold
GENERIC_SECRET, gold PASSWORD, another entity, unlabelled; how many the variant reports as
the gold type (`found`), as another type (`found as …`), and for unlabelled candidates how
many it reports at all (`reported`, each a false positive); the splits it occurs in; and a
few examples with `-v`. A documentation placeholder the engine flags as one counts as
PLACEHOLDER, as `pii_score.py` scores it.
"""
import collections, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import documents  # noqa: E402

# The twenty-third round's training splits (blind16 and blind17 are validation: aggregates
# only; blind23 and blind24 are the honest splits).
TRAINING = ["dev", "heldout", "faker"] + [f"blind{i}" for i in range(2, 16)] + [f"blind{i}" for i in range(18, 23)]

Q = r"""["']?"""
CLASSES = {
    # --- recall ---
    # a password whose sibling username says the password is a token (Composer's
    # `http-basic` for Private Packagist `"username": "token"`, GitHub's `x-access-token`,
    # Bitbucket's `x-token-auth`, GitLab's `oauth2`, PyPI's `__token__`)
    "password beside username token (JSON/text members)": rb"""(?i)["']?(?:username|user|login)["']?[ \t]*[:=][ \t]*["'](?:token|__token__|x-access-token|x-token-auth|oauth2|oauth|x-oauth-basic|apikey|api_key|api-key)["'][ \t]*,?[ \t]*(?:\n[ \t]*|\\n[ \t]*| \| [ \t]*)?["']?(?:password|pass|secret)["']?[ \t]*[:=][ \t]*["']([^"'\s]{6,})""",
    "- the same, username exactly token": rb"""(?i)["']?(?:username|user|login)["']?[ \t]*[:=][ \t]*["']token["'][ \t]*,?[ \t]*(?:\n[ \t]*|\\n[ \t]*| \| [ \t]*)?["']?(?:password|pass|secret)["']?[ \t]*[:=][ \t]*["']([^"'\s]{6,})""",
    "password beside a username not saying token (look-alike)": rb"""(?i)["']?(?:username|user|login)["']?[ \t]*[:=][ \t]*["'](?!token|__token__|x-access-token|x-token-auth|oauth2|oauth["']|x-oauth-basic|apikey|api_key|api-key)[^"'\s]{1,40}["'][ \t]*,?[ \t]*(?:\n[ \t]*|\\n[ \t]*| \| [ \t]*)?["']?(?:password|pass)["']?[ \t]*[:=][ \t]*["']([^"'\s]{6,})""",
    # the AWS CLI's `aws configure` prompt (`AWS Secret Access Key [None]: …`,
    # `[****************abcd]`)
    "aws configure prompt: Secret Access Key [..]: value": rb"AWS Secret Access Key \[[^\]\n]{0,40}\]: ([^\s|]+)",
    "aws configure prompt: Access Key ID [..]: value (look-alike)": rb"AWS Access Key ID \[[^\]\n]{0,40}\]: ([^\s|]+)",
    # a name/value pair named as a framework's session cookie (a HAR request's
    # `"cookies":[{"name":"sid","value":"…"}]`)
    "pair named as a session cookie (sid, sessionid, PHPSESSID…)": rb'(?i)"(?:name|key)"\s*:\s*"(sid|connect\.sid|sessionid|phpsessid|jsessionid|asp\.net_sessionid)"\s*,\s*"value"\s*:\s*"([^"]{4,})"',
    "- look-alike: a JSON member named sid": rb'"sid"\s*:\s*"([^"]{4,})"',
    # a secret's words, a prompt's default in brackets, then the answer (`aws configure`)
    "a secret's words, [default]: answer": rb"(?i)\b(?:secret|token)(?: [A-Za-z-]{1,12}){0,3} \[[^\]\n]{0,48}\]:[ \t]*([^\s|]+)",
    # a header set in a proxy's config (Caddy `header_up X-Api-Key v`, nginx
    # `proxy_set_header Authorization "Bearer v"`, YAML `x-honeycomb-team: v`)
    "proxy config header_up <Name> value": rb"header_up[ \t]+([A-Za-z0-9-]+)[ \t]+\"?([^\s\"|]{6,})",
    "nginx proxy_set_header <Name> value": rb"proxy_set_header[ \t]+([A-Za-z0-9-]+)[ \t]+\"?(?:Bearer |Basic |Token )?([^\s\";|]{6,})",
    "x-honeycomb-team header": rb"(?i)x-honeycomb-team[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"',|]{6,})",
    # Gradle properties' Maven Central / OSSRH password (a Sonatype user token's password)
    "gradle mavenCentralPassword= / ossrhPassword=": rb"(?i)(?:mavenCentralPassword|ossrhPassword|sonatypePassword)[ \t]*[=:][ \t]*([^\s|]+)",
    # a value under `api_key` (which entity each writer labels it)
    "a value under api_key (writers' labels)": rb"""(?i)(?<![A-Za-z_])api_key["']?[ \t]*[:=][ \t]*["']?([^\s"',;|]{6,})""",
    # --- precision ---
    # a Redis key `session:<id>` after a Redis command (a key's name)
    "redis command then session:<id> key": rb"(?:GET|TTL|PTTL|DEL|EXPIRE|SET|SETEX|EXISTS|TYPE|HGETALL|HGET|UNLINK|get|ttl|del|expire|set|hgetall) (?:session|sess|sid):([0-9A-Za-z_\-]{6,})",
    # Cisco IOS type 7 (`key 7 <hex>`, `password 7 <hex>`): a reversible encoding
    "Cisco type 7 key/password": rb"(?:\bkey|password|secret) 7 ([0-9A-Fa-f]{8,})",
    # a UUID as a session's value (`session=<uuid>`, `sid=<uuid>`, `session_id=<uuid>`)
    "session=/sid= UUID": rb"(?i)\b(?:session|sid|sessionid|session_id|session-id)[\"']?[ \t]*[=:][ \t]*[\"']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
    "session=/sid= non-UUID token (look-alike)": rb"(?i)\b(?:session|sid|sessionid|session_id|session-id)[\"']?[ \t]*[=:][ \t]*[\"']?(?![0-9a-f]{8}-[0-9a-f]{4}-)([A-Za-z0-9_\-.%+/=]{16,})",
}


def main():
    var = sys.argv[1]
    verbose = "-v" in sys.argv
    splits = [a for a in sys.argv[2:] if a != "-v"] or TRAINING
    stats = {c: collections.Counter() for c in CLASSES}
    where = {c: set() for c in CLASSES}
    ex = {c: collections.defaultdict(list) for c in CLASSES}
    pats = {c: re.compile(p) for c, p in CLASSES.items()}
    for split in splits:
        for doc, raw, lab, gold, preds in documents(split, var):
            for c, p in pats.items():
                for m in p.finditer(raw):
                    a, b = m.span(p.groups if p.groups else 0)
                    if a < 0:
                        continue
                    g = [t for (t, s, e) in gold if s < b and a < e]
                    gt = g[0] if g else "none"
                    pt = [t for (t, s, e) in preds if s < b and a < e]
                    st = stats[c]
                    st["n"] += 1
                    st[gt] += 1
                    if p.groups > 1:
                        st["name:" + m.group(1).decode(errors="replace") + ":" + gt] += 1
                    if gt != "none" and gt in pt:
                        st["found"] += 1
                    elif gt == "none" and pt:
                        st["reported"] += 1
                    elif pt:
                        st["found as " + pt[0]] += 1
                    where[c].add(split)
                    if len(ex[c][gt]) < 4:
                        ex[c][gt].append(f"{split}:{doc['id']} {raw[a:b][:48]!r} ctx={raw[max(0, a - 60):a]!r}")
    for c in CLASSES:
        st = stats[c]
        n = st["n"]
        gs, pw = st["GENERIC_SECRET"], st["PASSWORD"]
        other = n - gs - pw - st["none"]
        extra = {k: v for k, v in st.items() if k.startswith("found as")}
        print(f"{c:<56} n {n:>5} | GS {gs:>5} PW {pw:>5} other {other:>4} none {st['none']:>5} | found {st['found']:>5} reported(none) {st['reported']:>4} {extra} | splits {len(where[c])}: {' '.join(sorted(where[c]))}")
        if verbose:
            names = {k: v for k, v in st.items() if k.startswith("name:")}
            if names:
                print("    names:", dict(sorted(names.items(), key=lambda x: -x[1])[:30]))
            for gt, xs in ex[c].items():
                for x in xs:
                    print(f"    [{gt}] {x}")


if __name__ == "__main__":
    main()
