#!/usr/bin/env python3
"""Twenty-eighth round, task gs (issue #20): the population of each candidate construction
for GENERIC_SECRET on every training split (blind27's misses and false positives by class:
docs/redaction-accuracy.md, "Twenty-eighth round, task gs").

Each generator yields (subclass, start, end) candidates; every candidate is counted as gold
GENERIC_SECRET, gold PASSWORD, another entity's gold, or not gold, per split, with how many
of the gold ones the variant already reports (`missed`) and how many of the not-gold ones
it reports (`fp_already`). The tally and the command line are `gs_r27_population.py`'s.

    gs_r28_population.py VARIANT [CLASS ...] [-s SPLIT] [-x N]
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gs_r27_population as r27  # noqa: E402
from gs_r27_population import entropy  # noqa: E402

ROUTING = re.compile(rb"(?i)(?<![A-Za-z0-9])routing[_-]?key[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"',;}]*)")


def routing(raw):
    """Every value of a `routing_key` / `routingKey` / `routing-key` setting (`:` or `=`):
    `hex32` when it is 32 letters and digits with both and >= 3.0 bits per byte (PagerDuty's
    integration key), else `other` (an AMQP routing key: `orders.created`, `#`)."""
    for m in ROUTING.finditer(raw):
        v = m.group(1)
        if not v:
            continue
        shaped = (len(v) == 32 and re.fullmatch(rb"[A-Za-z0-9]+", v) and re.search(rb"[0-9]", v)
                  and re.search(rb"[A-Za-z]", v) and entropy(v) >= 3.0)
        yield ("hex32" if shaped else "other", m.start(1), m.end(1))


CARD = re.compile(rb"(?<![0-9])(?:[0-9]{12,19}|[0-9]{4}(?:[ \-][0-9]{3,6}){2,4})(?![0-9])")
# `numbers::CVC_WORDS`, the engine's words in the seven locales.
CVC = re.compile(rb"(?i)(?<![A-Za-z0-9])(cvv2|cvc2|cvv|cvc|cvn|cid|csc|security code|kartenpr\xc3\xbcfnummer|pr\xc3\xbcfnummer|pr\xc3\xbcfziffer|cryptogramme|c\xc3\xb3digo de seguridad|codice di sicurezza|beveiligingscode)(?![A-Za-z0-9])[ \t]*(?:\([A-Za-z0-9 ]{1,8}\)[ \t]*)?[:=#]?[ \t]*([0-9]{3,4})(?![A-Za-z0-9/-])")


def luhn(d):
    s, alt = 0, False
    for c in reversed(d):
        n = c - 48
        if alt:
            n = n * 2 - 9 if n > 4 else n * 2
        s += n
        alt = not alt
    return s % 10 == 0


def cvcprose(raw):
    """A card security code word and its 3-4 digits within 48 bytes after a card number
    (Luhn-valid): `gap` when every word between is a number, punctuation or no word at all
    (what `numbers::cvc_after_card` takes with its gap words), `words` when other words
    stand between on the same line (`card … got declined, cvc 459`), `line` across a line
    break."""
    for c in CARD.finditer(raw):
        digits = re.sub(rb"[ -]", b"", c.group())
        if not luhn(digits):
            continue
        win = raw[c.end():c.end() + 64]
        m = CVC.search(win)
        if not m or m.start() > 48:
            continue
        between = win[:m.start()]
        s, e = c.end() + m.start(2), c.end() + m.end(2)
        if b"\n" in between:
            yield ("line", s, e)
        elif re.search(rb"[A-Za-z]{2,}", between):
            yield ("words", s, e)
        else:
            yield ("gap", s, e)


# A code reference standing where a secret's value would: an environment variable read
# (`process.env.X`, `os.environ["X"]`, `os.getenv("X")`, `ENV["X"]`, `ENV.fetch("X")`,
# `System.getenv("X")`, `Environment.GetEnvironmentVariable("X")`, `env("X")`, `getenv('X')`),
# a shell or template expansion (`${X}`, `$X`, `{{ .X }}`, `%X%`), a setting's path
# (`config.x.y`, `settings.X`).
CODEREF = re.compile(
    rb"(?:process\.env(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[\"'][A-Za-z_][A-Za-z0-9_]*[\"']\])"
    rb"|os\.environ(?:\.get)?[\[(][\"'][A-Za-z_][A-Za-z0-9_]*[\"'][\])]"
    rb"|os\.getenv\([\"'][A-Za-z_][A-Za-z0-9_]*[\"']\)"
    rb"|ENV(?:\.fetch\(|\[)[\"'][A-Za-z_][A-Za-z0-9_]*[\"'][\])]"
    rb"|System\.getenv\(\"[A-Za-z_][A-Za-z0-9_]*\"\)"
    rb"|Environment\.GetEnvironmentVariable\(\"[A-Za-z_][A-Za-z0-9_]*\"\)"
    rb"|(?<![A-Za-z0-9_.])(?:getenv|env)\([\"'][A-Za-z_][A-Za-z0-9_]*[\"']\)"
    rb"|\$\{[A-Za-z_][A-Za-z0-9_.:-]*\}"
    rb"|(?<![A-Za-z0-9\\])\$[A-Z_][A-Z0-9_]{2,}(?![A-Za-z0-9_])"
    rb"|(?<![A-Za-z0-9_.])(?:config|settings|cfg|conf)(?:\.[A-Za-z_][A-Za-z0-9_]*){1,4}(?![A-Za-z0-9_(])"
    rb")")
SECRET_KEY_BEFORE = re.compile(rb"(?i)(?:secret|token|key|password|passwd|pwd|credential|auth)[\"']?\]?[ \t]*(?::|=|=>|:=|\?\?|\|\|)[ \t]*[\"']?$")


def coderef(raw):
    """Every code reference of `CODEREF`: `after-key` when it is a secret-named setting's
    value (`apiKey: process.env.OPENAI_API_KEY`, `token = os.getenv("T")`), else `elsewhere`;
    the kind of reference as the subclass's second word."""
    for m in CODEREF.finditer(raw):
        v = m.group()
        kind = ("env" if re.match(rb"(process|os|ENV|System|Environment|getenv|env)", v)
                else "expand" if v.startswith(b"$") else "path")
        where = "after-key" if SECRET_KEY_BEFORE.search(raw[max(0, m.start() - 48):m.start()]) else "elsewhere"
        yield (f"{where}/{kind}", m.start(), m.end())


ENVPATH = re.compile(rb"(?<![A-Za-z0-9_.$/+=-])(?:[a-z][A-Za-z]*\.)+[A-Z][A-Z0-9]*_[A-Z0-9_]*(?![A-Za-z0-9_.(\[/+=-])")


def envpath(raw):
    """The code reference the engine's negative (`evidence_r28g::env_path_reference`) takes
    for no secret, anywhere in a document: identifiers starting lower case joined by `.`,
    then an environment variable's name (capitals, digits, at least one `_`):
    `process.env.OPENAI_API_KEY`, `import.meta.env.VITE_KEY`, `config.SECRET_KEY`. Subclass:
    `after-key` when a secret-named setting's value, else `elsewhere`. A gold span of any
    entity overlapping one is what the negative could unmask."""
    for m in ENVPATH.finditer(raw):
        where = "after-key" if SECRET_KEY_BEFORE.search(raw[max(0, m.start() - 48):m.start()]) else "elsewhere"
        yield (where, m.start(), m.end())


SESSION = re.compile(rb"(?i)(?<![A-Za-z0-9_])session(?:[ _-]?id)?[ \t]+([A-Za-z0-9_\-]{20,})(?![A-Za-z0-9_\-])")


def session(raw):
    """A `session` word, blanks and a token of 20 bytes or more (`… from 10.0.0.1 session
    dMgb…`): `shaped` when it has letters and digits and >= 3.0 bits per byte, else
    `other`; `after-ip` when an IPv4/IPv6 address ends within 8 bytes before the word."""
    for m in SESSION.finditer(raw):
        v = m.group(1)
        shaped = re.search(rb"[0-9]", v) and re.search(rb"[A-Za-z]", v) and entropy(v) >= 3.0
        ip = re.search(rb"(?:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F]+)[ \t]*$", raw[max(0, m.start() - 48):m.start()])
        yield (("after-ip/" if ip else "prose/") + ("shaped" if shaped else "other"), m.start(1), m.end(1))


PATHLINE = re.compile(rb"(?m)^[ \t]*(/?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)[ \t]*\r?\n[ \t]*(\S+)[ \t]*\r?$")
SECRET_SEG = re.compile(rb"(?i)(secret|token|key|password|passwd|signing|credential|hmac|salt)[A-Za-z0-9]*$")


def kvpath(raw):
    """A line that is only a key-value store's path (`/services/billing/api_key`, `etcdctl
    get --prefix` output) and the next line one token: `secret-name` when the path's last
    segment names a secret (`api_key`, `webhook_signing`, `db_password`) and the token has
    letters and digits, else `other-name`."""
    for m in PATHLINE.finditer(raw):
        seg = m.group(1).rsplit(b"/", 1)[-1]
        v = m.group(2)
        if b"/" in v[1:] and v.count(b"/") > 1 and not re.search(rb"[+=]", v):
            continue  # the next path, not a value
        name = "secret-name" if SECRET_SEG.search(seg) else "other-name"
        shaped = len(v) >= 16 and re.search(rb"[0-9]", v) and re.search(rb"[A-Za-z]", v)
        yield (name + ("/token" if shaped else "/other"), m.start(2), m.end(2))


WPDEFINE = re.compile(rb"define\(\s*['\"]([A-Z_]+_(?:KEY|SALT))['\"]\s*,\s*'((?:[^'\\\n]|\\.){8,200})'\s*\)")


def wpdefine(raw):
    """A PHP `define('…_KEY'|'…_SALT', '…')` (WordPress's keys and salts): `64-special` when the
    value is 64 printable bytes opening with a byte the shape test refuses
    (`$ { * [ < % ( -`), `64` for the other 64-byte values, `other` else."""
    for m in WPDEFINE.finditer(raw):
        v = m.group(2)
        if len(v) == 64:
            sub = "64-special" if v[:1] in b"${*[<%(-" else "64"
        else:
            sub = "other"
        yield (sub, m.start(2), m.end(2))


r27.CLASSES.clear()
r27.CLASSES.update({"routing": routing, "cvcprose": cvcprose, "coderef": coderef, "envpath": envpath,
                    "session": session, "kvpath": kvpath, "wpdefine": wpdefine})
r27.NEEDS_PREDS.clear()

if __name__ == "__main__":
    r27.main()
