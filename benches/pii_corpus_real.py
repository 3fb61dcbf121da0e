#!/usr/bin/env python3
"""Labelled corpus of *realistic* tool-call traffic for redaction accuracy (issue #20).

Where benches/pii_corpus.py mixes Faker values into a few payload shapes, this one is built
around what makes redaction hard in practice: identifiers that look like phones (order,
ticket, invoice, part and case numbers, version and build strings, SKUs, IMEIs, tracking
numbers, timestamps), hex and base64 blobs, card and IBAN look-alikes that fail their
checksum, documentation placeholders for every secret type, passwords stated in prose and
loose key/value text in the seven supported locales (and sentences *about* passwords that
hold none), SSNs in ordinary contexts, and every GitHub token prefix.

Splits, kept apart by construction, not only by seed:

  dev      templates DEV_*, word lists DEV_*: the rules were tuned on this split only.
  heldout  templates HELD_*, word lists HELD_*: different sentences, document shapes,
           look-alike formats, password phrasings and placeholders; never looked at while
           tuning, scored once at the end (then looked at: no longer blind).
  blind2   templates BLIND_*: a third split written after the held-out had been looked at,
           with its own sentences, document shapes, look-alikes, password phrasings (upper-
           and mixed-case keywords too), SSN contexts, placeholders and phone formats; the
           rules were tuned on dev and held-out only, and this split was scored once
           (then looked at and tuned on: no longer blind).
  blind3   templates B3_*: a fourth split (seed 404) written after blind2 had been looked at
           and before any rule change for blind2's misses, with its own sentences, document
           shapes, look-alikes (GS1 barcodes, IMEIs, tracking, claim/policy numbers, …),
           password phrasings, SSN contexts, placeholders for every secret type and phone
           lead words; scored once.
  blind4   templates B4_*: a fifth split (seed 505) written by a helper who never read the
           rules, their docs or the engine's output, with its own document shapes (tickets,
           chat, CRM notes, incident/CI logs, .env/YAML/INI/JSON config, forwarded e-mails,
           order and shipping notes; top-level text keeps its line breaks), look-alikes,
           password phrasings, SSN contexts, placeholders and phone lead words; to be scored
           once, after the rules are tuned on blind3.

Only the entity *value* generators (phones valid under libphonenumber's metadata, Faker
e-mails, Luhn-valid cards, mod-97-valid IBANs, random secrets) are shared. Phones come from
the `phonenumbers` package (PyPI): numbers valid for their region, written in the formats
libphonenumber produces and the variants people type (dots, dashes, no separators).

Writes OUT/corpus.jsonl and OUT/labels.jsonl in pii_corpus.py's format. Placeholder secrets
are labelled `PLACEHOLDER` (they must be reported as placeholders, not masked as secrets).
usage: pii_corpus_real.py OUT_DIR N_DOCS SEED dev|heldout|blind2|blind3|blind4
"""
import base64, datetime, json, os, random, string, sys

import phonenumbers
from faker import Faker

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pii_corpus import L, S, Writer, luhn_ok, clean  # noqa: E402

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]
REGION = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}
OTHER_REGIONS = ["CH", "BE", "AT", "IE", "PL", "SE", "PT", "AU", "CA", "IN", "BR", "JP", "MX", "DK"]
AN = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def rnd(r, alphabet, n):
    return "".join(r.choice(alphabet) for _ in range(n))


# ---------- shared entity value generators ----------

def phone(r, region, variants):
    """A phone number valid for `region`, written in one of `variants`."""
    while True:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        t = r.choice([meta.fixed_line, meta.mobile, meta.mobile, meta.fixed_line])
        ex = t.example_number if t is not None and t.example_number else meta.general_desc.example_number
        if not ex:
            continue
        # Keep the example's leading digits (its area/mobile prefix), randomise the rest.
        keep = r.randint(2, 4)
        cand = ex[:keep] + rnd(r, string.digits, len(ex) - keep)
        try:
            n = phonenumbers.parse(cand, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(n):
            continue
        v = r.choice(variants)
        nat = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
        intl = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        if v == "national":
            return nat
        if v == "intl":
            return intl
        if v == "e164":
            return e164
        if v == "intl00":
            return "00" + intl[1:]
        if v == "dashes" and "(" not in nat:
            return nat.replace(" ", "-")
        if v == "dots" and "(" not in nat:
            return nat.replace(" ", ".").replace("-", ".")
        if v == "intl_dashes":
            return intl.replace(" ", "-")
        if v == "intl_trunk" and region in ("GB", "DE", "NL", "CH", "AT", "BE"):
            cc, rest = intl.split(" ", 1)
            return f"{cc} (0){rest}"
        return nat


def email(f, r):
    return r.choice([f.email, f.free_email, f.company_email, f.ascii_company_email])()


def card(f, r, grouped_p=0.5):
    kind = r.choice(["visa16", "visa16", "mastercard", "mastercard", "amex", "discover", "jcb16", "diners"])
    num = f.credit_card_number(card_type=kind)
    if r.random() < grouped_p and len(num) == 16:
        sep = r.choice([" ", "-"])
        num = sep.join(num[i:i + 4] for i in range(0, 16, 4))
    elif r.random() < grouped_p and len(num) == 15:
        num = f"{num[:4]} {num[4:10]} {num[10:]}"
    return num


def iban(f, r):
    v = f.iban()
    if r.random() < 0.5:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return v


def ssn(r):
    while True:
        a, g, s = r.randint(1, 899), r.randint(1, 99), r.randint(1, 9999)
        if a != 666:
            return a, g, s


def ssn_text(r, style):
    a, g, s = ssn(r)
    return {"dash": f"{a:03d}-{g:02d}-{s:04d}", "space": f"{a:03d} {g:02d} {s:04d}", "bare": f"{a:03d}{g:02d}{s:04d}"}[style]


GH_PREFIXES = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]


def secret(r):
    kind = r.choice(["AWS_ACCESS_KEY", "GITHUB_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY",
                     "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"])
    if kind == "AWS_ACCESS_KEY":
        v = r.choice(["AKIA", "ASIA"]) + rnd(r, string.ascii_uppercase + "234567", 16)
    elif kind == "GITHUB_TOKEN":
        v = (r.choice(GH_PREFIXES) + rnd(r, AN, 36)) if r.random() < 0.8 else "github_pat_" + rnd(r, AN, 22) + "_" + rnd(r, AN, 59)
    elif kind == "SLACK_TOKEN":
        v = r.choice(["xoxb-", "xoxp-", "xoxa-"]) + rnd(r, string.digits, 12) + "-" + rnd(r, string.digits, 13) + "-" + rnd(r, AN, 24)
    elif kind == "STRIPE_KEY":
        v = r.choice(["sk_live_", "rk_live_", "sk_test_"]) + rnd(r, AN, r.choice([24, 99]))
    elif kind == "OPENAI_KEY":
        v = "sk-proj-" + rnd(r, AN + "_-", 48) if r.random() < 0.7 else "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
    elif kind == "ANTHROPIC_KEY":
        v = "sk-ant-api03-" + rnd(r, AN + "_-", 93) + "AA"
    elif kind == "GOOGLE_API_KEY":
        v = "AIza" + rnd(r, AN + "_-", 35)
    else:
        b64 = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
        v = ".".join([b64({"alg": r.choice(["HS256", "RS256"]), "typ": "JWT"}),
                      b64({"sub": rnd(r, string.digits, 8), "exp": r.randint(1.7e9, 1.8e9)}),
                      rnd(r, AN + "_-", 43)])
    return kind, v


WORDS = ["summer", "winter", "tiger", "falcon", "maple", "river", "orange", "rocket", "sunset", "coffee",
         "berlin", "paris", "milano", "madrid", "utrecht", "london", "dragon", "monkey", "shadow", "purple"]


def password(r):
    k = r.randrange(5)
    if k == 0:
        return r.choice(WORDS).capitalize() + str(r.randint(1990, 2026)) + r.choice("!#$%&*?")
    if k == 1:
        return rnd(r, AN + "!#$%&*@^", r.randint(10, 20))
    if k == 2:
        return r.choice(WORDS) + str(r.randint(10, 999))
    if k == 3:
        w = r.choice(WORDS)
        return "".join({"a": "4", "e": "3", "o": "0", "i": "1", "s": "$"}.get(c, c) for c in w) + r.choice("!#&") + str(r.randint(1, 99))
    return rnd(r, string.ascii_lowercase, 4) + rnd(r, string.digits, 2) + rnd(r, string.ascii_uppercase, 3) + r.choice("!#$%&*")


# ---------- look-alikes (never entities) ----------

def bad_luhn(r, prefix, n):
    while True:
        d = prefix + rnd(r, string.digits, n - len(prefix))
        if not luhn_ok(d):
            return d


def bad_iban(f, r):
    v = f.iban()
    body = list(v[4:])
    i = r.randrange(len(body))
    old = body[i]
    while body[i] == old:
        body[i] = r.choice(string.digits) if old.isdigit() else r.choice(string.ascii_uppercase)
    v = v[:4] + "".join(body)
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if r.random() < 0.6 else v


def b64blob(r, n):
    return base64.b64encode(bytes(r.randrange(256) for _ in range(n))).decode()


def dev_lookalike(f, r):
    k = r.randrange(16)
    if k == 0: return f"ORD-{r.randint(2019, 2026)}-{r.randint(1, 999999):06d}"
    if k == 1: return f"#{r.randint(1000000, 99999999)}"
    if k == 2: return f"INV-{r.randint(2020, 2026)}-{r.randint(1, 9999):04d}"
    if k == 3: return f"v{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}"
    if k == 4: return f"SKU {r.randint(100, 999)}-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}"
    if k == 5: return f"ticket {r.randint(1000, 9999)}-{r.randint(1000, 9999)}-{r.randint(10, 99)}"
    if k == 6: return f.iso8601() + r.choice(["Z", "+01:00"])
    if k == 7: return str(r.randint(1_600_000_000, 1_800_000_000))
    if k == 8: return rnd(r, HEX, r.choice([12, 40, 64]))
    if k == 9: return b64blob(r, r.choice([18, 33, 48]))
    g = bad_luhn(r, r.choice(["4", "51", "37", "6011"]), 16)
    if k == 10: return " ".join(g[i:i + 4] for i in range(0, 16, 4))
    if k == 11: return bad_iban(f, r)
    if k == 12: return f"1Z{rnd(r, string.ascii_uppercase + string.digits, 16)}"
    if k == 13: return f"{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(1000, 99999)}"
    if k == 14: return g[:14] if r.random() < 0.5 else g
    return f"order {r.randint(10000000, 99999999)}"


def held_lookalike(f, r):
    k = r.randrange(16)
    if k == 0: return f"SO-{r.randint(10000000, 99999999)}"
    if k == 1: return f"PO {r.randint(4500000000, 4599999999)}"
    if k == 2: return f"case {r.randint(0, 9999999):08d}"
    if k == 3: return f"build {r.randint(2022, 2026)}.{r.randint(1, 12):02d}.{r.randint(1, 28):02d}.{r.randint(0, 2359):04d}"
    if k == 4: return f"version {r.randint(6, 11)}.0.{r.randint(10000, 22999)}.{r.randint(100, 5000)}"
    if k == 5: return f"part no. {r.randint(100, 999)}-{r.randint(1000, 9999)}-{r.randint(10, 99)}"
    if k == 6: return f"IMEI {r.randint(10, 99)} {r.randint(100000, 999999)} {r.randint(100000, 999999)} {r.randint(0, 9)}"
    if k == 7: return f"tracking {' '.join(str(r.randint(1000, 9999)) for _ in range(5))} {r.randint(10, 99)}"
    if k == 8: return f"Rechnung Nr. {r.randint(2022, 2026)}/{r.randint(1, 12):02d}/{r.randint(1000, 9999)}"
    if k == 9: return f"MRN {r.randint(0, 99999999):08d}"
    g = bad_luhn(r, r.choice(["4", "55", "34", "62"]), 16)
    if k == 10: return "-".join(g[i:i + 4] for i in range(0, 16, 4))
    if k == 11: return bad_iban(f, r)
    if k == 12: return f"sha256:{rnd(r, HEX, 64)}"
    if k == 13: return f"{r.randint(1, 31):02d}.{r.randint(1, 12):02d}.{r.randint(2020, 2026)} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}"
    if k == 14: return f"lot {r.randint(100, 999)} {r.randint(100, 999)} {r.randint(1000, 9999)}"
    return f"Bestellnummer {r.randint(100000000, 999999999)}"


# ---------- placeholders (documentation examples; labelled PLACEHOLDER) ----------

DEV_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "xoxb-your-bot-token-here",
    "sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "ghs_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
]
DEV_PLACEHOLDER_NEG = ["<your-token>", "YOUR_API_KEY", "xxxx", "sk_test_…", "${GITHUB_TOKEN}", "<redacted>", "****"]

HELD_PLACEHOLDERS = [
    "AKIAI44QH8DHBEXAMPLE",
    "AKIAXXXXXXXXXXXXXXXX",
    "ghu_0000000000000000000000000000000000000",
    "gho_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "github_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "sk_live_YOUR_SECRET_KEY_HERE_0000",
    "xoxp-xxxxxxxxxxxx-xxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "AIzaSyDUMMY_KEY_DUMMY_KEY_DUMMY_KEY_12",
    "rk_test_EXAMPLEKEY0000000000000000",
]
HELD_PLACEHOLDER_NEG = ["<github-token>", "REPLACE_ME", "xxxxxxxx", "ghp_...", "{{ slack_token }}", "changeme", "sk-..."]


# ---------- prose passwords, per locale ----------
# (phrase with {p}, negative sentences about passwords that hold none)

DEV_PW = {
    "en": (["my password is {p}", "password: {p}", "pwd={p}", "the passphrase is {p}", "Password = {p}"],
           ["Please reset your password by Monday.", "Password is required.", "Your password must be at least 12 characters long.",
            "password: ******", "password=${DB_PASSWORD}", "Forgot your password? Use the reset link."]),
    "de": (["mein Passwort ist {p}", "Kennwort: {p}", "Passwort: {p}"],
           ["Das Passwort ist abgelaufen.", "Bitte ändern Sie Ihr Passwort bis Freitag."]),
    "fr": (["mon mot de passe est {p}", "mot de passe : {p}", "Mot de passe: {p}"],
           ["Le mot de passe est incorrect.", "Merci de changer votre mot de passe avant lundi."]),
    "es": (["mi contraseña es {p}", "contraseña: {p}", "Contraseña: {p}"],
           ["La contraseña es obligatoria.", "Cambie su contraseña antes del lunes."]),
    "it": (["la mia password è {p}", "password: {p}", "Password: {p}"],
           ["La password è scaduta.", "Cambia la password entro lunedì."]),
    "nl": (["mijn wachtwoord is {p}", "wachtwoord: {p}", "Wachtwoord: {p}"],
           ["Het wachtwoord is verlopen.", "Wijzig uw wachtwoord voor maandag."]),
}
HELD_PW = {
    "en": (["The new password for the VPN is {p}", "temp password set to {p}", "passphrase: {p}", "login jdoe, passwd {p}",
            "PASSWORD={p}", "the wifi password was changed to {p}"],
           ["The password field is empty.", "Your password expires in 5 days.", "password is not strong enough",
            "new password: <see vault>", "Password reset email sent.", "passwords must match"]),
    "de": (["das neue Passwort lautet {p}", "Passwort = {p}", "WLAN-Passwort: {p}"],
           ["Passwort vergessen?", "Das Passwort ist zu kurz."]),
    "fr": (["le mot de passe du wifi est {p}", "mdp : {p}", "nouveau mot de passe : {p}"],
           ["Mot de passe oublié ?", "Le mot de passe est trop court."]),
    "es": (["la contraseña nueva es {p}", "contrasena: {p}", "Contraseña del wifi: {p}"],
           ["¿Olvidó su contraseña?", "La contraseña es demasiado corta."]),
    "it": (["la password del wifi è {p}", "pwd: {p}", "nuova password: {p}"],
           ["Password dimenticata?", "La password è troppo corta."]),
    "nl": (["het wachtwoord voor de wifi is {p}", "Wachtwoord = {p}", "nieuw wachtwoord: {p}"],
           ["Wachtwoord vergeten?", "Het wachtwoord is te kort."]),
}

# ---------- SSN contexts ----------

DEV_SSN = ["SSN {s}", "SSN: {s}", "social security number {s}", "SSN-{s}", "ssn={s}", "(SSN {s})"]
HELD_SSN = ["SS# {s}", "SSN#{s}", "Social Security No. {s}", "tax id (SSN) {s}", "her SSN is {s}", "SSN/TIN: {s}"]


def pw_phrase(r, lang, table):
    pos, neg = table[lang]
    p = password(r)
    tmpl = r.choice(pos)
    a, b = tmpl.split("{p}")
    return S(a, L("PASSWORD", p), b), r.choice(neg)


def ssn_phrase(r, table):
    style = r.choice(["dash", "dash", "space", "bare"])
    a, b = r.choice(table).split("{s}")
    return S(a, L("US_SSN", ssn_text(r, style)), b)


def lang_of(loc):
    return loc[:2]


# ---------- dev templates ----------

def dev_phone(r, loc):
    region = REGION[loc] if r.random() < 0.8 else r.choice(OTHER_REGIONS)
    return phone(r, region, ["national", "national", "intl", "e164", "dashes", "intl00"])


def dev_text(f, r, loc):
    name = f.name()
    la = lambda: dev_lookalike(f, r)
    k = r.randrange(11)
    if k == 0:
        return S(f"Hi team, {name} here. Re {la()}: please call me back on ", L("PHONE", dev_phone(r, loc)),
                 f" about {la()}. Thanks!")
    if k == 1:
        pw, neg = pw_phrase(r, lang_of(loc), DEV_PW)
        return S(f"[chat] {name}: {neg} ") + pw + S(f" (ticket {la()})")
    if k == 2:
        return S(f"Order {la()} for {name}: card ", L("CREDIT_CARD", card(f, r)), f" declined; retry with {la()}. Contact ",
                 L("EMAIL", email(f, r)), ".")
    if k == 3:
        return S(f"HR note: employee {name}, ") + ssn_phrase(r, DEV_SSN) + S(f", badge {la()}.")
    if k == 4:
        t, v = secret(r)
        ph = r.choice(DEV_PLACEHOLDERS)
        return S(f"README: export TOKEN=", L("PLACEHOLDER", ph), " (example only). Leaked in build log: ", L(t, v),
                 f" {la()}")
    if k == 5:
        return S(f"Log {f.iso8601()} level=info req={rnd(r, HEX, 16)} build {la()} {la()} client=", L("IPV4", f.ipv4_public()),
                 f" done in {r.randint(1, 999)}ms") if r.random() < 0.6 else S(f"Log {f.iso8601()} peer=", L("IPV6", f.ipv6()), f" build {la()}")
    if k == 6:
        return S(f"Payout to IBAN ", L("IBAN", iban(f, r)), f" (ref {la()}); old account {bad_iban(f, r)} closed.")
    if k == 7:
        return S(f"Shipping update for {la()}: {la()}, {la()}; questions to ", L("EMAIL", email(f, r)), f". {f.sentence()}")
    if k == 8:
        neg = r.choice(DEV_PLACEHOLDER_NEG)
        return S(f"config: api_key: {neg}\nregion: eu-west-1\nretries: {r.randint(1, 9)}\nversion: {la()}")
    if k == 9:
        return S(f"{name} ({la()}) mobile ", L("PHONE", dev_phone(r, loc)), f", fax ", L("PHONE", dev_phone(r, loc)), ".")
    return S(f"{f.sentence()} {la()} {la()} {la()}.")


def dev_json(f, r, loc):
    k = r.randrange(6)
    la = lambda: dev_lookalike(f, r)
    if k == 0:
        return {"ticket": {"id": la(), "subject": f.sentence(), "body": dev_text(f, r, loc),
                           "requester": {"name": f.name(), "email": L("EMAIL", email(f, r)), "phone": L("PHONE", dev_phone(r, loc))}}}
    if k == 1:
        return {"order": {"number": la(), "sku": la(), "total": f"{r.randint(1, 999)}.{r.randint(0, 99):02d}",
                          "note": dev_text(f, r, loc), "created": f.iso8601()}}
    if k == 2:
        t, v = secret(r)
        return {"tool": "ci.logs", "result": {"lines": [S(f"step {la()} ok"), S("token ", L(t, v)),
                                                         S("example: ", L("PLACEHOLDER", r.choice(DEV_PLACEHOLDERS)))]}}
    if k == 3:
        pw, neg = pw_phrase(r, lang_of(loc), DEV_PW)
        return {"chat": [{"from": f.first_name(), "text": pw}, {"from": "agent", "text": S(neg)}]}
    if k == 4:
        return {"employee": {"name": f.name(), "note": ssn_phrase(r, DEV_SSN), "office": la()}}
    return {"jsonrpc": "2.0", "id": r.randint(1, 999), "result": {"content": [{"type": "text", "text": dev_text(f, r, loc)}]}}


# ---------- held-out templates ----------

def held_phone(r, loc):
    region = REGION[loc] if r.random() < 0.75 else r.choice(OTHER_REGIONS)
    return phone(r, region, ["national", "intl", "intl", "dots", "intl_trunk", "intl_dashes", "e164"])


def held_text(f, r, loc):
    name = f.name()
    la = lambda: held_lookalike(f, r)
    k = r.randrange(11)
    if k == 0:
        return S(f"Customer {name} rang about {la()}. Best number: ", L("PHONE", held_phone(r, loc)), f"; {la()}.")
    if k == 1:
        pw, neg = pw_phrase(r, lang_of(loc), HELD_PW)
        return S(f"From Slack #it-help: {neg} Also ") + pw + S(f" — see {la()}.")
    if k == 2:
        return S(f"Refund for {la()}: the cardholder's number ", L("CREDIT_CARD", card(f, r, 0.7)), f" ({la()}) was refunded, receipt to ",
                 L("EMAIL", email(f, r)))
    if k == 3:
        return S(f"Onboarding form for {name}: ") + ssn_phrase(r, HELD_SSN) + S(f"; {la()}; start date {f.date()}.")
    if k == 4:
        t, v = secret(r)
        ph = r.choice(HELD_PLACEHOLDERS)
        return S(f"Docs snippet: client = Client(key=\"", L("PLACEHOLDER", ph), f"\"). Incident {la()}: rotated ", L(t, v), ".")
    if k == 5:
        return S(f"{f.iso8601()} WARN upstream={f.hostname()} {la()} peer=", L("IPV6", f.ipv6()),
                 f" {la()} retry={r.randint(1, 5)}") if r.random() < 0.6 else S(f"{f.iso8601()} ERROR from ", L("IPV4", f.ipv4_public()), f": {la()}")
    if k == 6:
        return S(f"Bank details on file for {name}: ", L("IBAN", iban(f, r)), f". Rejected earlier: {bad_iban(f, r)} ({la()}).")
    if k == 7:
        return S(f"Warehouse: {la()}, {la()}, {la()} shipped; {la()}.")
    if k == 8:
        neg = r.choice(HELD_PLACEHOLDER_NEG)
        return S(f"[settings] token = {neg} ; timeout = {r.randint(5, 60)}s ; {la()}")
    if k == 9:
        return S(f"Signature: {name}, {f.job()} | T ", L("PHONE", held_phone(r, loc)), " | M ", L("PHONE", held_phone(r, loc)),
                 " | ", L("EMAIL", email(f, r)))
    return S(f"{f.paragraph(nb_sentences=2)} Ref {la()}, {la()}.")


def held_json(f, r, loc):
    k = r.randrange(6)
    la = lambda: held_lookalike(f, r)
    if k == 0:
        return {"case": {"ref": la(), "summary": held_text(f, r, loc), "contact": {"full_name": f.name(), "tel": L("PHONE", held_phone(r, loc))}}}
    if k == 1:
        return {"invoice": {"no": la(), "lines": [{"item": la(), "qty": r.randint(1, 9)}], "remarks": held_text(f, r, loc)}}
    if k == 2:
        t, v = secret(r)
        return {"secrets_scan": {"findings": [S("live: ", L(t, v)), S("docs: ", L("PLACEHOLDER", r.choice(HELD_PLACEHOLDERS)))],
                                 "repo": f.slug()}}
    if k == 3:
        pw, neg = pw_phrase(r, lang_of(loc), HELD_PW)
        return {"messages": [{"role": "user", "content": pw}, {"role": "assistant", "content": S(neg)}]}
    if k == 4:
        return {"form": {"applicant": f.name(), "comments": ssn_phrase(r, HELD_SSN), "ref": la()}}
    return {"id": f.uuid4(), "event": "email.received", "data": {"from": L("EMAIL", email(f, r)), "text": held_text(f, r, loc)}}


# ---------- blind2 templates (written after the held-out split had been looked at) ----------
# A third split, BLIND_* / blind_*: its own sentences, document shapes, look-alikes,
# password phrasings (including upper- and mixed-case keywords), SSN contexts, placeholders
# and phone formats; written from the issue's description of realistic traffic before the
# last round of rule changes, and scored once, after it.

def blind_lookalike(f, r):
    k = r.randrange(18)
    if k == 0: return f"RMA {r.randint(2022, 2026)}-{r.randint(10000, 99999)}"
    if k == 1: return f"confirmation code {r.randint(1000, 9999)} {r.randint(1000, 9999)}"
    if k == 2: return f"serial SN{r.randint(100, 999)} {r.randint(1000, 9999)} {r.randint(1000, 9999)}"
    if k == 3: return f"account no. {r.randint(10000, 99999)}-{r.randint(10000, 99999)}"
    if k == 4: return f"EAN {r.randint(4000000000000, 4999999999999)}"
    if k == 5: return f"ISBN 978-{r.randint(0, 9)}-{r.randint(100, 999)}-{r.randint(10000, 99999)}-{r.randint(0, 9)}"
    if k == 6: return f"{r.randint(2022, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d},{r.randint(0, 999):03d}"
    if k == 7: return f"pid {r.randint(1000, 99999)} port {r.choice([443, 8080, 8443, 5432, 6379])}"
    if k == 8: return f"release {r.randint(1, 20)}.{r.randint(0, 20)}.{r.randint(0, 9)}-rc.{r.randint(1, 5)}"
    if k == 9: return f"KB{r.randint(4000000, 5099999)}"
    if k == 10: return f"ref {r.randint(100, 999)}.{r.randint(100, 999)}.{r.randint(100, 999)}"
    if k == 11: return f"docket {r.randint(2019, 2026)}-CV-{r.randint(1, 99999):05d}"
    g = bad_luhn(r, r.choice(["4", "52", "35", "65"]), r.choice([15, 16]))
    if k == 12: return g
    if k == 13: return bad_iban(f, r)
    if k == 14: return f"claim {r.randint(100, 999)} {r.randint(1000, 9999)} {r.randint(100, 999)}"
    if k == 15: return f"{r.randint(1, 9)} {r.randint(100, 999)},{r.randint(0, 99):02d} EUR"
    if k == 16: return f"batch {r.randint(10, 99)}/{r.randint(100000, 999999)}"
    return f"member id {r.randint(100000000, 999999999)}"


BLIND_PLACEHOLDERS = [
    "AKIAEXAMPLEKEY123456",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    "ghr_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "xoxb-0000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx",
    "sk_test_XXXXXXXXXXXXXXXXXXXXXXXX",
    "sk-proj-YOUR_API_KEY_HERE_xxxxxxxxxxxxxxxxxxxx",
    "AIzaSyA-EXAMPLE-EXAMPLE-EXAMPLE-EXAMPL",
    "sk-ant-api03-EXAMPLE-KEY-xxxxxxxxxxxxxxxxxxxx",
]
BLIND_PLACEHOLDER_NEG = ["<insert key>", "TODO", "your-secret-here", "sk_live_...", "$(cat token.txt)", "[REDACTED]", "none"]

BLIND_PW = {
    "en": (["PASSWORD is {p}", "Password for the staging db: {p}", "use the password {p} to log in",
            "creds are admin / password {p}", "the Password is {p}", "your one-time passcode is {p}",
            "pass phrase: {p}", "PWD: {p}"],
           ["Password changed successfully.", "The PASSWORD is case-sensitive.", "Enter your password to continue.",
            "password: (see 1Password)", "Password must contain a number and a symbol.", "Passwords do not match."]),
    "de": (["PASSWORT: {p}", "Das Kennwort für den Drucker ist {p}", "Passwort für das WLAN lautet {p}"],
           ["Das Passwort wurde geändert.", "Kennwort falsch, bitte erneut versuchen."]),
    "fr": (["MOT DE PASSE : {p}", "Le mot de passe de la box est {p}", "mdp du compte admin: {p}"],
           ["Votre mot de passe a été réinitialisé.", "Le mot de passe doit contenir 12 caractères."]),
    "es": (["CONTRASEÑA: {p}", "La contraseña del router es {p}", "contraseña temporal: {p}"],
           ["Su contraseña ha caducado.", "La contraseña no coincide."]),
    "it": (["PASSWORD: {p}", "La password dell'account è {p}", "password temporanea: {p}"],
           ["La password è stata modificata.", "Password errata, riprova."]),
    "nl": (["WACHTWOORD: {p}", "Het wachtwoord van de router is {p}", "tijdelijk wachtwoord: {p}"],
           ["Uw wachtwoord is gewijzigd.", "Het wachtwoord is onjuist."]),
}

BLIND_SSN = ["SSN on file: {s}", "Social Security #: {s}", "ssn {s}", "SSN (verified) {s}", "social security number is {s}",
             "SSN number {s}"]


def blind_phone(r, loc, variants=("national", "national", "intl", "intl", "e164", "dashes", "dots", "intl00")):
    region = REGION[loc] if r.random() < 0.7 else r.choice(OTHER_REGIONS)
    return phone(r, region, list(variants))


BLIND_PHONE_LEAD = {
    "en": ["Call me at ", "my cell is ", "Phone: ", "reach me on ", "tel. ", "Mobile: "],
    "de": ["Tel.: ", "Handy: ", "erreichbar unter ", "Telefon "],
    "fr": ["Tél : ", "portable : ", "joignable au ", "tél. "],
    "es": ["Tel.: ", "móvil: ", "llámame al ", "teléfono "],
    "it": ["Tel. ", "cellulare: ", "chiamami al ", "telefono "],
    "nl": ["Tel: ", "mobiel: ", "bel me op ", "telefoon "],
}


def blind_text(f, r, loc):
    name = f.name()
    la = lambda: blind_lookalike(f, r)
    lang = lang_of(loc)
    k = r.randrange(12)
    if k == 0:
        lead = r.choice(BLIND_PHONE_LEAD[lang])
        return S(f"Re: {la()} — {lead}", L("PHONE", blind_phone(r, loc)), f". Regards, {name}")
    if k == 1:
        pw, neg = pw_phrase(r, lang, BLIND_PW)
        return S(f"#helpdesk {name}: {neg} ") + pw + S(f" ({la()})")
    if k == 2:
        return S(f"Chargeback {la()}: card on file ", L("CREDIT_CARD", card(f, r, 0.4)), f", {la()}. Customer: ",
                 L("EMAIL", email(f, r)), f" / ", L("PHONE", blind_phone(r, loc, ("intl", "e164", "intl00"))))
    if k == 3:
        return S(f"Background check {la()} for {name}: ") + ssn_phrase(r, BLIND_SSN) + S(f". {la()}.")
    if k == 4:
        t, v = secret(r)
        return S("```\n# .env.example\nAPI_KEY=", L("PLACEHOLDER", r.choice(BLIND_PLACEHOLDERS)), "\n```\nbut prod had ",
                 L(t, v), f" committed in {rnd(r, HEX, 7)} ({la()})")
    if k == 5:
        if r.random() < 0.5:
            return S(f"{la()} INFO conn from ", L("IPV4", f.ipv4_public()), f" {la()} user={f.user_name()}")
        return S(f"{la()} DEBUG bind [", L("IPV6", f.ipv6()), f"]:{r.randint(1024, 65535)} {la()}")
    if k == 6:
        return S(f"Please update payee {name} to ", L("IBAN", iban(f, r)), f" (was {bad_iban(f, r)}), invoice {la()}.")
    if k == 7:
        return S(f"Inventory sync: {la()}; {la()}; {la()}; {la()}.")
    if k == 8:
        neg = r.choice(BLIND_PLACEHOLDER_NEG)
        return S(f"secret_key: {neg}\ntimeout_ms: {r.randint(100, 9000)}\n# {la()}")
    if k == 9:
        return S(f"--\n{name}\n{f.company()}\n", L("PHONE", blind_phone(r, loc)), "\n", L("EMAIL", email(f, r)))
    if k == 10:
        return S(f"{name} asked to be called back on ", L("PHONE", blind_phone(r, loc)), f" re {la()}, not on {la()}.")
    return S(f"{f.text(max_nb_chars=160)} ({la()}, {la()})")


def blind_json(f, r, loc):
    k = r.randrange(7)
    la = lambda: blind_lookalike(f, r)
    if k == 0:
        return {"crm.update": {"contact_id": la(), "mobile_phone": L("PHONE", blind_phone(r, loc)),
                               "notes": blind_text(f, r, loc)}}
    if k == 1:
        return {"refund": {"order": la(), "amount": la(), "reason": blind_text(f, r, loc)}}
    if k == 2:
        t, v = secret(r)
        return {"tool": "github.search_code", "matches": [S("config.py: KEY = '", L(t, v), "'"),
                                                           S("README.md: KEY = '", L("PLACEHOLDER", r.choice(BLIND_PLACEHOLDERS)), "'")]}
    if k == 3:
        pw, neg = pw_phrase(r, lang_of(loc), BLIND_PW)
        return {"conversation": [{"speaker": "user", "utterance": pw}, {"speaker": "bot", "utterance": S(neg)}]}
    if k == 4:
        return {"kyc": {"name": f.name(), "remarks": ssn_phrase(r, BLIND_SSN), "case": la()}}
    if k == 5:
        return {"shipment": {"parcels": [{"id": la()}, {"id": la()}], "recipient": {"name": f.name(), "phone_number": L("PHONE", blind_phone(r, loc))}}}
    return {"type": "message", "channel": rnd(r, string.ascii_uppercase + string.digits, 9), "text": blind_text(f, r, loc)}


# ---------- blind3 templates (written after blind2 had been scored and looked at) ----------
# A fourth split, B3_* / b3_*: written from the issue's description of realistic traffic,
# before any rule change for blind2's misses (the commit adding it precedes them). Its own
# sentences and document shapes (Jira/Zendesk tickets, support e-mails, order notes, shell
# and k8s config snippets, structured log events, calendar invites, pasted terminal output),
# its own look-alikes (EAN-13/UPC-A/GTIN-14 codes with valid GS1 check digits, IMEIs with a
# valid Luhn digit, carrier tracking numbers, claim/case/policy numbers written with spaces,
# browser and kernel versions, SKUs, epoch milliseconds, compact timestamps, MAC addresses,
# UUIDs, commit SHAs, base64 blobs), its own password phrasings (credentials pairs, arrows,
# quotes, "set the password to"), SSN contexts, placeholders for every secret type and phone
# lead words. Scored once.

def gs1(digits):
    """`digits` with its GS1 check digit (EAN-13, UPC-A, GTIN-14: weights 3,1 from the right)."""
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return digits + str((10 - s % 10) % 10)


def luhn_digit(digits):
    s = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    return digits + str((10 - s % 10) % 10)


B3_EAN_PREFIX = {"en_US": ["0", "1"], "en_GB": ["50"], "de_DE": ["40", "41", "42", "43", "440"], "fr_FR": ["30", "34", "37"],
                 "es_ES": ["84"], "it_IT": ["80", "81", "83"], "nl_NL": ["87"]}


def b3_ean(r, loc):
    p = r.choice(B3_EAN_PREFIX[loc] + ["40", "45", "49"])
    return gs1(p + rnd(r, string.digits, 12 - len(p)))


def b3_lookalike(f, r, loc):
    k = r.randrange(24)
    if k == 0: return f"EAN {b3_ean(r, loc)}"
    if k == 1: return f"barcode {b3_ean(r, loc)}"
    if k == 2: return f"UPC {gs1('0' + rnd(r, string.digits, 10))}"
    if k == 3: return f"GTIN {gs1(rnd(r, '123456789', 1) + b3_ean(r, loc)[:12])}"
    if k == 4: return f"IMEI {luhn_digit('35' + rnd(r, string.digits, 12))}"
    if k == 5: return f"tracking no. {' '.join(['9400', rnd(r, string.digits, 4), rnd(r, string.digits, 4), rnd(r, string.digits, 4), rnd(r, string.digits, 4), rnd(r, string.digits, 2)])}"
    if k == 6: return f"FedEx {rnd(r, string.digits, 12)}"
    if k == 7: return f"DHL waybill {rnd(r, string.digits, 10)}"
    if k == 8: return f"claim no. {r.randint(10, 99)} {r.randint(100, 999)} {r.randint(1000, 9999)}"
    if k == 9: return f"policy {r.randint(100, 999)} {r.randint(100, 999)} {r.randint(100, 999)}"
    if k == 10: return f"case #{r.randint(1000000, 9999999)}"
    if k == 11: return f"Chrome {r.randint(110, 131)}.0.{r.randint(5000, 6999)}.{r.randint(10, 250)}"
    if k == 12: return f"kernel {r.randint(5, 6)}.{r.randint(1, 19)}.0-{r.randint(1000, 1099)}-azure"
    if k == 13: return f"SKU {rnd(r, string.ascii_uppercase, 3)}-{r.randint(10000, 99999)}-{r.randint(10, 99)}"
    if k == 14: return f"ts={r.randint(1_690_000_000_000, 1_790_000_000_000)}"
    if k == 15: return f"{r.randint(2023, 2026)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}T{r.randint(0, 23):02d}{r.randint(0, 59):02d}{r.randint(0, 59):02d}Z"
    if k == 16: return ":".join(rnd(r, "0123456789abcdef", 2) for _ in range(6))
    if k == 17: return f.uuid4()
    if k == 18: return f"commit {rnd(r, HEX, 40)}"
    if k == 19: return b64blob(r, r.choice([12, 24, 30]))
    if k == 20: return f"Aktenzeichen {r.randint(1, 99)} {rnd(r, 'ABCOS', 1)} {r.randint(100, 9999)}/{r.randint(20, 26)}"
    if k == 21: return f"n° de dossier {r.randint(100, 999)} {r.randint(100, 999)} {r.randint(100, 999)}"
    if k == 22: return bad_luhn(r, r.choice(["4", "51", "37", "6011"]), r.choice([13, 16]))
    return bad_iban(f, r)


B3_PLACEHOLDERS = [
    "AKIAXXXXXXXXEXAMPLE1",
    "AKIA0000000000000000",
    "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "gho_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "ghu_YOURTOKENHEREYOURTOKENHEREYOURTOKENH",
    "github_pat_XXXXXXXXXXXXXXXXXXXXXX_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "xoxp-000000000000-000000000000-000000000000-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
    "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX",
    "rk_live_0000000000000000000000000000",
    "sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "sk-your-openai-api-key-here-0000000000",
    "sk-ant-api03-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "sk-ant-your-key-here-xxxxxxxxxxxxxxxxxxxx",
    "AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "AIzaSy-your-google-api-key-goes-here000",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
]
B3_PLACEHOLDER_NEG = ["<paste-your-token>", "sk-XXXX", "${{ secrets.GITHUB_TOKEN }}", "env:OPENAI_API_KEY", "********",
                      "REDACTED", "AKIA...", "ghp_<token>", "xoxb-...", "(set in vault)"]

B3_PW = {
    "en": (["I set the password to {p}", "new pw: {p}", "login: admin / {p}", "Password (temporary): {p}",
            "password -> {p}", "her password was {p} until Monday", "credentials: user ops, password {p}",
            "the root password on that box is {p}"],
           ["The password policy requires 14 characters.", "Password reset link expired.", "I forgot my password again.",
            "password: <redacted>", "Passwords are rotated every 90 days.", "Can you reset the password for the shared mailbox?"]),
    "de": (["Zugangsdaten: Benutzer admin, Passwort {p}", "ich habe das Passwort auf {p} gesetzt", "Kennwort lautet {p}",
            "neues Passwort: {p}"],
           ["Das Passwort muss 12 Zeichen haben.", "Passwort zurücksetzen fehlgeschlagen."]),
    "fr": (["Identifiants : admin, mot de passe {p}", "j'ai mis le mot de passe à {p}", "le mdp est {p}",
            "mot de passe provisoire : {p}"],
           ["Le mot de passe a expiré hier.", "Réinitialisez votre mot de passe depuis le portail."]),
    "es": (["usuario: admin, contraseña {p}", "he puesto la contraseña {p}", "la clave del wifi es {p}",
            "contraseña provisional: {p}"],
           ["La contraseña debe tener 12 caracteres.", "No recuerdo la contraseña."]),
    "it": (["utente admin, password {p}", "ho impostato la password a {p}", "la password dell'utente è {p}",
            "password provvisoria: {p}"],
           ["La password deve avere 12 caratteri.", "Ho dimenticato la password."]),
    "nl": (["gebruiker admin, wachtwoord {p}", "ik heb het wachtwoord op {p} gezet", "het wachtwoord is nu {p}",
            "tijdelijk wachtwoord = {p}"],
           ["Het wachtwoord moet 12 tekens hebben.", "Ik ben mijn wachtwoord vergeten."]),
}
# "la clave del wifi es" is how Spanish speakers often say it; `clave` is not a keyword today.

B3_SSN = ["SS number: {s}", "soc sec no {s}", "SSN provided: {s}", "the SSN {s} was entered twice", "SSN - {s}",
          "Social Security Number (SSN): {s}", "social security: {s}", "SSN# {s} (applicant)", "her social security no. is {s}",
          "SSN is {s}"]

B3_PHONE_LEAD = {
    "en": ["WhatsApp ", "ph: ", "callback number ", "direct line ", "text me at ", "office: "],
    "de": ["Rückruf unter ", "Mobil: ", "Durchwahl ", "Festnetz: "],
    "fr": ["rappeler au ", "mobile : ", "ligne directe ", "numéro : "],
    "es": ["contacto: ", "WhatsApp ", "fijo: ", "número de teléfono "],
    "it": ["numero di telefono ", "cell. ", "richiamare al ", "fisso: "],
    "nl": ["terugbellen op ", "GSM: ", "vast: ", "telefoonnummer "],
}


def b3_phone(r, loc, variants=("national", "national", "intl", "intl", "e164", "dashes", "dots", "intl00", "intl_trunk")):
    region = REGION[loc] if r.random() < 0.7 else r.choice(OTHER_REGIONS)
    return phone(r, region, list(variants))


def b3_text(f, r, loc):
    name = f.name()
    la = lambda: b3_lookalike(f, r, loc)
    lang = lang_of(loc)
    k = r.randrange(13)
    if k == 0:
        lead = r.choice(B3_PHONE_LEAD[lang])
        return S(f"Ticket {la()} — customer {name}, {lead}", L("PHONE", b3_phone(r, loc)), f", item {la()}.")
    if k == 1:
        pw, neg = pw_phrase(r, lang, B3_PW)
        return S(f"> {neg}\n") + pw + S(f"\n-- sent from mobile ({la()})")
    if k == 2:
        return S(f"Order note: {la()} x{r.randint(1, 5)}, {la()}. Paid with ", L("CREDIT_CARD", card(f, r, 0.5)),
                 f", shipped {la()}; receipt ", L("EMAIL", email(f, r)), ".")
    if k == 3:
        return S(f"Applicant {name} ({la()}): ") + ssn_phrase(r, B3_SSN) + S(f"; {la()}.")
    if k == 4:
        t, v = secret(r)
        return S("$ cat .env.sample\nTOKEN=", L("PLACEHOLDER", r.choice(B3_PLACEHOLDERS)), "\n$ cat .env\nTOKEN=", L(t, v),
                 f"\n$ git log -1 --format=%H\n{rnd(r, HEX, 40)}")
    if k == 5:
        if r.random() < 0.5:
            return S(f'{{"ts":"{f.iso8601()}","lvl":"warn","src":"', L("IPV4", f.ipv4_public()), f'","msg":"{la()} {la()}"}}')
        return S(f"{la()} kernel: eth0 link up, addr ", L("IPV6", f.ipv6()), f" {la()}")
    if k == 6:
        return S(f"SEPA mandate for {name}: ", L("IBAN", iban(f, r)), f"; the number on the old form ({bad_iban(f, r)}) bounced. {la()}")
    if k == 7:
        return S(f"Stock count {f.date()}: {la()} / {la()} / {la()} / {la()} / {la()}")
    if k == 8:
        neg = r.choice(B3_PLACEHOLDER_NEG)
        return S(f"apiVersion: v1\nkind: Secret\nstringData:\n  token: \"{neg}\"\n  build: \"{la()}\"")
    if k == 9:
        return S(f"Invite: {f.sentence()} Dial-in ", L("PHONE", b3_phone(r, loc, ("intl", "e164", "intl00", "intl_dashes"))),
                 f", organiser ", L("EMAIL", email(f, r)), f". {la()}")
    if k == 10:
        return S(f"{name}\n{f.job()}\nT: ", L("PHONE", b3_phone(r, loc)), "\nM: ", L("PHONE", b3_phone(r, loc)), f"\n{f.address()}")
    if k == 11:
        return S(f"{f.text(max_nb_chars=120)} {la()} {la()}")
    return S(f"Dispute {la()}: charged twice on ", L("CREDIT_CARD", card(f, r, 0.7)), f" ({la()}); call ", L("PHONE", b3_phone(r, loc)), ".")


def b3_json(f, r, loc):
    k = r.randrange(8)
    la = lambda: b3_lookalike(f, r, loc)
    if k == 0:
        return {"issue": {"key": f"OPS-{r.randint(100, 9999)}", "fields": {"summary": f.sentence(), "description": b3_text(f, r, loc),
                                                                        "labels": f"{la()}, {la()}"}}}
    if k == 1:
        return {"order_note": {"gtin": la(), "sku": la(), "note": b3_text(f, r, loc), "customer_phone": L("PHONE", b3_phone(r, loc))}}
    if k == 2:
        t, v = secret(r)
        return {"tool": "fs.read", "path": ".github/workflows/deploy.yml",
                "content": S("env:\n  EXAMPLE: ", L("PLACEHOLDER", r.choice(B3_PLACEHOLDERS)), "\n  REAL: ", L(t, v), "\n")}
    if k == 3:
        pw, neg = pw_phrase(r, lang_of(loc), B3_PW)
        return {"ticket": {"comments": [{"author": f.user_name(), "body": pw}, {"author": "it-support", "body": S(neg)}]}}
    if k == 4:
        return {"application": {"applicant": f.name(), "notes": ssn_phrase(r, B3_SSN), "policy": la()}}
    if k == 5:
        return {"event": "log", "attrs": {"trace": rnd(r, HEX, 32), "ref": la(), "message": b3_text(f, r, loc)}}
    if k == 6:
        return {"email": {"from": L("EMAIL", email(f, r)), "subject": f"Re: {la()}", "body": b3_text(f, r, loc)}}
    return {"parcel": {"tracking": la(), "barcode": la(), "contact": {"name": f.name(), "tel": L("PHONE", b3_phone(r, loc))}}}


# ---------- blind4 templates (B4_*) ----------
# A fifth split (seed 505) written by a helper who never read the detection rules or their docs
# and never ran the engine on it: its own document shapes (tickets, chat, CRM notes, incident
# and CI logs, .env / YAML / INI / JSON config, forwarded e-mails, order and shipping notes),
# look-alikes, password phrasings, SSN contexts, placeholders and phone lead words. Top-level
# text documents keep real line breaks (JSON-embedded text is joined with " / "). Scored once,
# after the rules are tuned on blind3.

NL = "\x1e"  # line break marker: "\n" in a top-level text document, " / " inside a JSON string

B4_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAXXXXXXXXXXXXXXXX",
    "AKIA0000000000000000",
    "ghp_" + "x" * 36,
    "gho_" + "0" * 36,
    "ghu_" + "X" * 36,
    "ghs_EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMP",
    "ghr_" + "a" * 36,
    "github_pat_" + "X" * 22 + "_" + "X" * 59,
    "xoxb-000000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx",
    "xoxp-123456789012-123456789012-abcdefabcdefabcdefabcdef",
    "sk_test_XXXXXXXXXXXXXXXXXXXXXXXX",
    "sk_live_0000000000000000000000000",
    "rk_live_yourrestrictedkeyhere000000",
    "sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "sk-your-openai-api-key-goes-here-000000000000",
    "sk-ant-api03-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "AIzaSyEXAMPLE_EXAMPLE_EXAMPLE_EXAMPLE",
    "AIza" + "0" * 35,
]
# Obvious stand-ins, not shaped like a key: never labelled.
B4_PLACEHOLDER_NEG = ["<your-token>", "xxxx", "sk_test_…", "<insert-api-key-here>", "${{ secrets.DEPLOY_TOKEN }}",
                      "%STRIPE_KEY%", "********", "<paste token>", "YOUR_GITHUB_TOKEN", "dummy", "ghp_<token>",
                      "set-me", "$SLACK_BOT_TOKEN", "AKIA…"]

B4_PW = {
    "en": (["new pw for the router is {p}", "login admin / pass {p}", "pwd -> {p}", "Password for the staging DB: {p}",
            "use {p} as the password for now", "the wifi password is {p} btw", "PASSWORD={p}",
            "reset the password to {p}, please change it after first login", "passphrase: {p}",
            "temp password {p} (expires Friday)", "my password is {p} if you need to log in", "Pass: {p}",
            "the shared mailbox password is now {p}", "pw {p}"],
           ["Reset your password via the portal.", "Passwords must be at least 12 characters.",
            "The code for the door is 4471.", "Never share your password over chat.",
            "Password expired, user will change it tomorrow.", "Did you get the password reset e-mail?",
            "Password policy: rotate every 90 days.", "I typed the wrong password three times and got locked out."]),
    "de": (["Passwort: {p}", "das neue Kennwort lautet {p}", "Zugangsdaten: Benutzer admin, Passwort {p}",
            "PW fürs WLAN ist {p}", "Kennwort = {p}", "hab das Passwort auf {p} geändert", "Passwort ist {p}",
            "Initialpasswort {p} (bitte sofort ändern)"],
           ["Bitte das Passwort über das Portal zurücksetzen.", "Das Kennwort muss mindestens 12 Zeichen lang sein.",
            "Der Türcode ist 4471.", "Passwort vergessen? Link in der E-Mail.", "Das Passwort ist abgelaufen."]),
    "fr": (["mot de passe : {p}", "le nouveau mdp est {p}", "identifiant admin / mot de passe {p}", "mdp wifi = {p}",
            "j'ai changé le mot de passe en {p}", "voici le mot de passe provisoire : {p}", "MDP: {p}"],
           ["Réinitialisez votre mot de passe depuis le portail.", "Le mot de passe doit contenir 12 caractères.",
            "Le code de la porte est 4471.", "Mot de passe oublié, merci de me renvoyer le lien."]),
    "es": (["contraseña: {p}", "la nueva contraseña del wifi es {p}", "usuario admin y contraseña {p}",
            "password = {p}", "he cambiado la contraseña a {p}", "te paso la contraseña: {p}", "clave de acceso: {p}"],
           ["Restablece tu contraseña desde el portal.", "La contraseña caducó ayer.", "El código de la puerta es 4471.",
            "No compartas tu contraseña por chat."]),
    "it": (["password: {p}", "la nuova password è {p}", "utente admin, pwd {p}", "password del router = {p}",
            "ho cambiato la password in {p}", "ti giro la password: {p}", "la password del wifi è {p}"],
           ["Reimposta la password dal portale.", "La password è scaduta.", "Il codice del portone è 4471.",
            "La password deve avere almeno 12 caratteri."]),
    "nl": (["wachtwoord: {p}", "het nieuwe wachtwoord is {p}", "inlog admin, wachtwoord {p}", "wifi-wachtwoord = {p}",
            "ik heb het wachtwoord veranderd in {p}", "tijdelijk ww: {p}", "Wachtwoord {p}"],
           ["Reset je wachtwoord via het portaal.", "Het wachtwoord is verlopen.", "De deurcode is 4471.",
            "Wachtwoord vergeten? Gebruik de link in de mail."]),
}

B4_SSN = ["employee SSN {s}", "SSN provided by caller: {s}", "Soc. Sec. # {s}", "social sec number {s}", "his SSN: {s}",
          "verify SSN {s} against the W-2", "SSN {s} / DOB on file", "ss no.: {s}", "SSN={s}", "Social Security Number {s}",
          "W-9 received, SSN {s}", "taxpayer SSN {s} (primary)"]

B4_PHONE_LEAD = {
    "en": ["call me on ", "mobile ", "tel. ", "reach me at ", "phone: ", "cell ", "my number is ", ""],
    "de": ["Tel. ", "Handy ", "erreichbar unter ", "Telefon: ", ""],
    "fr": ["tél. ", "portable ", "joignable au ", "Tél : ", ""],
    "es": ["tel. ", "móvil ", "llámame al ", "teléfono: ", ""],
    "it": ["tel. ", "cellulare ", "chiamami al ", "telefono: ", ""],
    "nl": ["tel. ", "mobiel ", "bel me op ", "telefoon: ", ""],
}

B4_WORDS_EXTRA = ["correct", "horse", "battery", "staple", "lantern", "copper", "velvet", "harbor", "meadow", "quartz"]


def b4_when(r):
    """A UTC datetime from r alone (Faker's date helpers depend on today's date)."""
    return datetime.datetime.fromtimestamp(r.randint(1500000000, 1790000000), datetime.timezone.utc)


def b4_password(r):
    k = r.randrange(4)
    if k == 0:
        return "-".join(r.choice(B4_WORDS_EXTRA) for _ in range(3)) + str(r.randint(1, 99))
    if k == 1:
        return r.choice(B4_WORDS_EXTRA).capitalize() + r.choice(".!_") + r.choice(B4_WORDS_EXTRA) + str(r.randint(10, 99))
    return password(r)


def b4_pw(r, lang):
    pos, neg = B4_PW[lang]
    a, b = r.choice(pos).split("{p}")
    return S(a, L("PASSWORD", b4_password(r)), b), r.choice(neg)


def b4_ssn(r):
    style = r.choice(["dash", "dash", "dash", "space", "bare"])
    a, b = r.choice(B4_SSN).split("{s}")
    return S(a, L("US_SSN", ssn_text(r, style)), b)


def b4_phone(r, loc, variants=("national", "national", "national", "intl", "intl", "e164", "dashes", "dots", "intl00",
                               "intl_trunk", "intl_dashes")):
    region = REGION[loc] if r.random() < 0.65 else r.choice(OTHER_REGIONS)
    return phone(r, region, list(variants))


def b4_lead(r, loc):
    return r.choice(B4_PHONE_LEAD[lang_of(loc)])


def b4_pem(r):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
    body = " ".join(rnd(r, AN + "+/", 64) for _ in range(r.randint(3, 6))) + " " + rnd(r, AN + "+/", r.randint(8, 60)) + "=="
    return f"-----BEGIN {kind}----- {body} -----END {kind}-----"


def b4_jwt(r):
    b64 = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    return ".".join([b64({"alg": r.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}),
                     b64({"sub": rnd(r, string.digits, 9), "iss": "auth", "iat": r.randint(1700000000, 1760000000)}),
                     rnd(r, AN + "_-", r.choice([43, 86]))])


def b4_ip(f, r):
    k = r.randrange(5)
    if k < 2:
        return "IPV6", f.ipv6()
    if k == 1:
        return "IPV4", f.ipv4_private()
    return "IPV4", f.ipv4_public()


B4_EAN_PREFIX = {"en_US": ["0", "1"], "en_GB": ["50"], "de_DE": ["400", "40"], "fr_FR": ["30", "37"], "es_ES": ["84"],
                 "it_IT": ["80"], "nl_NL": ["87"]}
B4_REF_WORD = {"en": ["Order", "Ticket", "Invoice", "Case", "Claim", "Ref"], "de": ["Bestellung", "Rechnung", "Vorgang", "Kundennr."],
               "fr": ["Commande", "Facture", "Dossier", "Réf."], "es": ["Pedido", "Factura", "Expediente", "Ref."],
               "it": ["Ordine", "Fattura", "Pratica", "Rif."], "nl": ["Bestelling", "Factuur", "Dossier", "Klantnr."]}


B4_LA_GROUPS = {"ref": [0, 1, 2, 3, 22, 25, 29, 3, 0], "ship": [4, 5, 6, 17, 18, 26, 28, 10, 24, 19],
                "ver": [7, 8, 9, 7], "time": [11, 12, 13, 27], "blob": [14, 15, 16], "money": [23], "bad": [20, 21]}


def b4_lookalike(f, r, loc, group=None):
    """An identifier that is none of the labelled entities (of one kind when `group` is given)."""
    k = r.choice(B4_LA_GROUPS[group]) if group else r.randrange(30)
    if k == 0: return f"{r.randint(100, 999)}-{r.randint(0, 9999999):07d}-{r.randint(0, 9999999):07d}"  # marketplace order
    if k == 1: return f"INC{r.randint(0, 9999999):07d}"
    if k == 2: return f"CS-{r.randint(10000000, 99999999)}"
    if k == 3: return f"{r.choice(B4_REF_WORD[lang_of(loc)])} {r.randint(2020, 2026)}-{r.randint(1, 999999):06d}"
    if k == 4: return "1Z" + rnd(r, string.ascii_uppercase[:6] + string.digits, 6) + rnd(r, string.digits, 10)  # UPS-style
    if k == 5:  # 22-digit postal tracking number in groups of four
        d = "9400" + rnd(r, string.digits, 18)
        return " ".join(d[i:i + 4] for i in range(0, 22, 4))
    if k == 6: return f"3S{rnd(r, string.ascii_uppercase, 4)}{rnd(r, string.digits, 7)}"
    if k == 7: return r.choice(["v", "", "release-"]) + f"{r.randint(0, 19)}.{r.randint(0, 40)}.{r.randint(0, 300)}" + r.choice(["", "-rc.1", "-beta.2", "+build.7"])
    if k == 8: return f"10.0.{r.randint(17000, 26100)}.{r.randint(1, 4000)}"  # OS build number
    if k == 9: return f"build {r.randint(2023, 2026)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}.{r.randint(1, 40)}"
    if k == 10: return f"SKU-{r.randint(1000, 9999)}-{r.choice(['BLK', 'WHT', 'RED', 'NVY'])}-{r.choice(['S', 'M', 'L', 'XL'])}"
    if k == 11: return b4_when(r).isoformat(timespec=r.choice(["seconds", "milliseconds"])).replace("+00:00", r.choice(["Z", "+00:00"]))
    if k == 12: return str(r.randint(1600000000, 1790000000))  # epoch seconds
    if k == 13: return str(r.randint(1600000000000, 1790000000000))  # epoch millis
    if k == 14: return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 15: return b64blob(r, r.choice([12, 18, 24, 33]))
    if k == 16: return f.uuid4()
    if k == 17: return b4_ean(r, loc)
    if k == 18: return gs1(rnd(r, string.digits, 11))  # UPC-A
    if k == 19: return "IMEI " + luhn_digit(r.choice(["35", "86", "01"]) + rnd(r, string.digits, 12))
    if k == 20:  # a card-shaped number that fails Luhn
        d = bad_luhn(r, r.choice(["4", "51", "52", "55", "6011"]), 16)
        return r.choice([" ", "-", ""]).join(d[i:i + 4] for i in range(0, 16, 4))
    if k == 21: return bad_iban(f, r)
    if k == 22: return f"PO {r.choice(['45', '47'])}{rnd(r, string.digits, 8)}"
    if k == 23: return f"{r.randint(1, 9999)},{r.randint(0, 99):02d} EUR" if loc != "en_US" else f"${r.randint(1, 9999)}.{r.randint(0, 99):02d}"
    if k == 24: return f"{r.randint(20, 200)}x{r.randint(20, 200)}x{r.randint(5, 90)} cm"
    if k == 25: return f"#{r.randint(10000, 9999999)}"
    if k == 26: return f"JJD{rnd(r, string.digits, 18)}"
    if k == 27: return b4_when(r).strftime(r.choice(["%d/%m/%Y", "%Y%m%d", "%d-%m-%Y %H:%M", "%m/%d/%y"]))
    if k == 28: return f"LOT {r.randint(10, 99)}{rnd(r, string.ascii_uppercase, 2)}{r.randint(1000, 9999)}"
    return f"{r.randint(1, 99999):05d}/{r.randint(2020, 2026)}"


def b4_ean(r, loc):
    p = r.choice(B4_EAN_PREFIX[loc])
    return gs1(p + rnd(r, string.digits, 12 - len(p)))


def b4_text(f, r, loc):
    name = f.name()
    lang = lang_of(loc)
    la = lambda g=None: b4_lookalike(f, r, loc, g)
    k = r.randrange(17)
    if k == 0:  # support ticket
        return S(f"Subject: refund for {la('ref')}{NL}Hi, this is {name}. The parcel {la('ship')} never arrived and the refund for ",
                 f"{la('money')} ({la('ref')}) is still pending. {b4_lead(r, loc)}", L("PHONE", b4_phone(r, loc)),
                 f" or ", L("EMAIL", email(f, r)), f".{NL}Thanks")
    if k == 1:  # chat
        pw, neg = b4_pw(r, lang)
        who = f.first_name().lower()
        return S(f"[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] {who}: {neg}{NL}[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] {who}: ") + pw + S(
            f"{NL}[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] it-bot: ticket {la('ref')} updated")
    if k == 2:  # CRM note
        return S(f"CRM note ({b4_when(r).date()}): spoke with {name}, {f.job()} at {f.company()}. Direct ",
                 L("PHONE", b4_phone(r, loc, ("intl", "e164", "intl00", "intl_trunk"))), ", e-mail ", L("EMAIL", email(f, r)),
                 f". Quote {la('ref')} sent, follow up after {la('time')}.")
    if k == 3:  # incident log
        t, v = b4_ip(f, r)
        t2, v2 = b4_ip(f, r)
        return S(f"{la('time')} ERROR gateway: upstream timeout client=", L(t, v), f" req={f.uuid4()} ver={la('ver')}{NL}",
                 f"{la('time')} WARN  retry {r.randint(1, 5)}/5 peer=", L(t2, v2), f" took {r.randint(100, 30000)}ms{NL}",
                 f"Runbook: drain the node, then page on-call ({b4_lead(r, loc)}", L("PHONE", b4_phone(r, loc)), ").")
    if k == 4:  # CI log
        t, v = secret(r)
        return S(f"Run actions/checkout@v4{NL}  ref: {la('blob')}{NL}##[group]env{NL}  EXAMPLE_KEY: ",
                 L("PLACEHOLDER", r.choice(B4_PLACEHOLDERS)), f"{NL}  TOKEN: ***{NL}##[endgroup]{NL}",
                 f"Step 4: debug print -> token=", L(t, v), f"{NL}Artifact sha256:{rnd(r, HEX, 64)}")
    if k == 5:  # .env
        t, v = secret(r)
        return S(f"# .env (copied from .env.example, see README){NL}APP_VERSION={la('ver')}{NL}DB_HOST=",
                 L("IPV4", f.ipv4_private()), f"{NL}DB_USER=app{NL}DB_PASSWORD=", L("PASSWORD", b4_password(r)),
                 f"{NL}{t}=", L(t, v), f"{NL}SENTRY_DSN={r.choice(B4_PLACEHOLDER_NEG)}")
    if k == 6:  # YAML
        t, v = secret(r)
        return S(f"database:{NL}  host: {f.hostname()}{NL}  user: svc_{f.user_name()}{NL}  password: ",
                 L("PASSWORD", b4_password(r)), f"{NL}integrations:{NL}  api_key: ", L(t, v),
                 f"{NL}  example_key: ", L("PLACEHOLDER", r.choice(B4_PLACEHOLDERS)), f"  # from the docs{NL}build: {la('ver')}  # {la()}")
    if k == 7:  # INI
        return S(f"[server]{NL}listen = ", L("IPV4", f.ipv4_public()), f":{r.choice([443, 8443, 8080])}{NL}",
                 f"[smtp]{NL}user = {f.user_name()}{NL}pass = ", L("PASSWORD", b4_password(r)), f"{NL}",
                 f"[meta]{NL}release = {la('ver')}{NL}checksum = {rnd(r, HEX, 40)}")
    if k == 8:  # forwarded e-mail with payment details
        return S(f"---------- Forwarded message ----------{NL}From: {name} <", L("EMAIL", email(f, r)), f">{NL}",
                 f"Subject: {la('ref')}{NL}{NL}Please update my bank details to ", L("IBAN", iban(f, r)),
                 f" (the old one, {bad_iban(f, r)}, was closed).{NL}{name}{NL}", L("PHONE", b4_phone(r, loc)))
    if k == 9:  # order / shipping note
        return S(f"Order {la('ref')}: {r.randint(1, 4)}x EAN {b4_ean(r, loc)}, {la('ship')}. Ship via {la('ship')}.{NL}",
                 f"Customer paid by card ", L("CREDIT_CARD", card(f, r, 0.6)), f", courier to call ",
                 L("PHONE", b4_phone(r, loc)), f" before delivery. Weight {r.randint(1, 30)} kg.")
    if k == 10:  # HR / onboarding
        return S(f"Onboarding {name}, start {b4_when(r).date()}. ") + b4_ssn(r) + S(f". Payroll IBAN ", L("IBAN", iban(f, r)),
                                                                           f". Badge {la('ref')}, employee no. {la()}.")
    if k == 11:  # dispute
        return S(f"Chargeback {la('ref')}: customer says card ", L("CREDIT_CARD", card(f, r, 0.5)),
                 f" was charged twice; the number on the form, {bad_luhn(r, '4', 16)}, is a typo. Amount {la('money')}, {la('bad')}.")
    if k == 12:  # pasted private key
        return S(f"here is the deploy key for {f.hostname()}, please add it to the vault:{NL}", L("PRIVATE_KEY", b4_pem(r)),
                 f"{NL}fingerprint {rnd(r, HEX, 32)}")
    if k == 13:  # curl with a bearer token
        return S(f"curl -s -H 'Authorization: Bearer ", L("JWT", b4_jwt(r)), f"' https://{f.domain_name()}/api/v2/orders/{la('ref')}")
    if k == 14:  # look-alikes only
        return S(f"Release notes {la('ver')}:{NL}- fixed {la('ref')}{NL}- see {la()} and {la()}{NL}- barcode {b4_ean(r, loc)}, ",
                 f"{la('ship')}, {la('bad')}{NL}{r.choice(B4_PW[lang][1])}")
    if k == 15:  # documentation snippet
        return S(f"To configure, export the key: export API_KEY=", L("PLACEHOLDER", r.choice(B4_PLACEHOLDERS)),
                 f" (replace with your own, or {r.choice(B4_PLACEHOLDER_NEG)}). {r.choice(B4_PW[lang][1])}")
    ssn_doc = b4_ssn(r)
    return S(f"Call summary {la('time')}: {name} called from ", L("PHONE", b4_phone(r, loc)), ". ") + ssn_doc + S(
        f". Ticket {la('ref')} opened, tag {la()}.")


def b4_unbreak(parts, sep):
    return [p.replace(NL, sep) if isinstance(p, str) else p for p in parts]


def b4_text_top(f, r, loc):
    return b4_unbreak(b4_text(f, r, loc), "\n")


def b4_t(f, r, loc):
    return b4_unbreak(b4_text(f, r, loc), " / ")


def b4_json(f, r, loc):
    k = r.randrange(11)
    la = lambda g=None: b4_lookalike(f, r, loc, g)
    if k == 0:
        return {"tool": "helpdesk.create_ticket", "arguments": {"subject": f"{la('ref')}", "body": b4_t(f, r, loc),
                                                                "requester": {"email": L("EMAIL", email(f, r)),
                                                                              "phone": L("PHONE", b4_phone(r, loc))}}}
    if k == 1:
        return {"method": "tools/call", "params": {"name": "crm.update_contact", "arguments": {
            "id": f.uuid4(), "name": f.name(), "mobile": L("PHONE", b4_phone(r, loc)), "notes": b4_t(f, r, loc)}}}
    if k == 2:
        return {"tool": "shell.exec", "arguments": {"cmd": "cat .env"}, "result": {"exit": 0, "stdout": b4_t(f, r, loc)}}
    if k == 3:
        return {"tool": "db.insert", "arguments": {"table": "employees", "row": {
            "name": f.name(), "ssn": L("US_SSN", ssn_text(r, r.choice(["dash", "dash", "bare", "space"]))),
            "iban": L("IBAN", iban(f, r)), "employee_no": la('ref'), "phone": L("PHONE", b4_phone(r, loc))}}}
    if k == 4:
        pw, neg = b4_pw(r, lang_of(loc))
        return {"tool": "chat.post_message", "arguments": {"channel": "#it-help", "text": pw, "thread": [
            {"user": f.user_name(), "text": neg}, {"user": "helpdesk", "text": f"ticket {la()}"}]}}
    if k == 5:
        return {"tool": "payments.refund", "arguments": {"order_id": la('ref'), "amount": r.randint(5, 900),
                                                         "card": L("CREDIT_CARD", card(f, r, 0.3)), "reason": b4_t(f, r, loc)}}
    if k == 6:
        return {"tool": "http.request", "arguments": {"url": f"https://{f.domain_name()}/v1/{la('ref')}",
                                                      "headers": {"Authorization": S("Bearer ", L("JWT", b4_jwt(r))),
                                                                  "X-Request-Id": f.uuid4()}}}
    if k == 7:
        t, v = b4_ip(f, r)
        return {"tool": "logs.query", "result": {"rows": [
            {"ts": la('time'), "client": L(t, v), "msg": b4_t(f, r, loc)}, {"ts": la('time'), "client": L("IPV4", f.ipv4_public()), "msg": la()}]}}
    if k == 8:
        t, v = secret(r)
        return {"config": {"database": {"host": L("IPV4", f.ipv4_private()), "user": "app", "password": L("PASSWORD", b4_password(r))},
                           "vendor": {"api_key": L(t, v), "sample_key": L("PLACEHOLDER", r.choice(B4_PLACEHOLDERS)),
                                      "sandbox_key": r.choice(B4_PLACEHOLDER_NEG)}, "version": la('ver')}}
    if k == 10:
        t, v = secret(r)
        return {"tool": "vault.read", "arguments": {"path": f"kv/{f.slug()}"}, "result": {
            "data": {"value": L(t, v), "rotated": la("time"), "notes": S("old sample value ", L("PLACEHOLDER", r.choice(B4_PLACEHOLDERS)),
                                                                         " is from the docs")}, "version": r.randint(1, 40)}}
    return {"shipment": {"tracking": la('ship'), "ean": b4_ean(r, loc), "sku": la('ship'), "recipient": {
        "name": f.name(), "tel": L("PHONE", b4_phone(r, loc)), "email": L("EMAIL", email(f, r))}, "note": b4_t(f, r, loc)}}


def b4_labels(v):
    """The labelled pieces of a document, in the order Writer writes them."""
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b4_labels(y)]
    if isinstance(v, list):
        return [x for y in v for x in b4_labels(y)]
    return []


def main():
    splits = {"dev": (dev_text, dev_json), "heldout": (held_text, held_json), "blind2": (blind_text, blind_json),
              "blind3": (b3_text, b3_json), "blind4": (b4_text_top, b4_json)}
    if len(sys.argv) != 5 or sys.argv[4] not in splits:
        raise SystemExit("usage: pii_corpus_real.py OUT_DIR N_DOCS SEED dev|heldout|blind2|blind3|blind4")
    out, n, seed, split = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    text_t, json_t = splits[split]
    os.makedirs(out, exist_ok=True)
    r = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed * 31 + i)
    with open(os.path.join(out, "corpus.jsonl"), "w") as c, open(os.path.join(out, "labels.jsonl"), "w") as lab:
        for i in range(n):
            loc = LOCALES[i % len(LOCALES)]
            f = fakers[loc]
            w = Writer()
            if r.random() < 0.5:
                kind = "json"
                doc = json_t(f, r, loc)
                w.json(doc)
            else:
                kind = "text"
                doc = text_t(f, r, loc)
                w.text(doc)
            text = w.buf.decode("utf-8")
            if split == "blind4":  # self-check: each span holds its label's text; JSON documents parse
                want = b4_labels(doc)
                assert len(want) == len(w.spans), (i, len(want), len(w.spans))
                for lab_, sp in zip(want, w.spans):
                    assert sp["type"] == lab_.typ and w.buf[sp["start"]:sp["end"]].decode("utf-8") == lab_.text, (i, sp)
                if kind == "json":
                    json.loads(text)
            c.write(json.dumps({"id": i, "kind": kind, "text": text}, ensure_ascii=False) + "\n")
            lab.write(json.dumps({"id": i, "spans": w.spans, "strings": w.strings}) + "\n")


if __name__ == "__main__":
    main()
