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
  blind5   templates B5_*/b5_*: a sixth split (seed 606) written by another helper who never
           read the rules, their docs or history and never ran the engine on it: its own document
           kinds (e-mail threads with quoted replies, shell history, CI logs, stack traces, SQL,
           TOML/INI/XML/JSON config, Kubernetes secrets, docker-compose, curl, HTTP dumps, CSV,
           invoices, transfer instructions, US medical and payroll forms, MCP/function-call JSON),
           look-alikes, password phrasings and config keys in seven languages, placeholders and
           phone formats; generic secrets labelled B5_GENERIC ("GENERIC_SECRET"). Scored once.
  blind6   templates B6_*/b6_*: a seventh split (seed 707) written by a third helper who never read the rules,
           their docs or history and never ran the engine on it, labelled by the lead's taxonomy (also
           DATE_OF_BIRTH, CVC/CVV as GENERIC_SECRET); its own document kinds, look-alikes and phrasings in
           seven languages (see the blind6 section). Self-checked at generation; to be scored once.
  blind7   templates B7_*/b7_*: an eighth split (seed 808) written by a fourth helper who never read the rules,
           their docs or history and never ran the engine on it; the lead's taxonomy; 30 text and 8 JSON
           document kinds of its own (see the blind7 section). Self-checked at generation; to be scored once.
  blind8   templates B8_*/b8_*: a ninth split (seed 909) written by a fifth helper who never read the rules, their
           docs or history and never ran the engine on it; the lead's taxonomy; 43 text and 15 JSON document kinds
           of its own (see the blind8 section). Self-checked at generation; to be scored once.
  blind9   templates B9_*/b9_*: a tenth split (seed 1010) written by a sixth helper who never read the rules, their
           docs or history and never ran the engine on it; the lead's taxonomy; 37 text and 10 JSON document kinds of
           its own (see the blind9 section). Self-checked at generation; to be scored once.
  blind10  templates B10_*/b10_*: an eleventh split (seed 1111) written by a seventh helper who never read the rules,
           their docs or history and never ran the engine on it; the lead's taxonomy; 45 text and 14 JSON document kinds
           of its own (see the blind10 section). Self-checked at generation; to be scored once.
  blind11  templates B11_*/b11_*: a twelfth split (seed 1212, fixed day 2026-12-07) written by an eighth helper who never
           read the rules, their docs or history and never ran the engine on it; the lead's taxonomy; 60 text and 21 JSON
           document kinds of its own (see the blind11 section). Self-checked at generation; to be scored once.
  blind12  templates B12_*/b12_*: a thirteenth split (seed 1313, fixed day 2026-12-09) written by a ninth helper who never
           read the rules, their docs or history (nor the blind11 section) and never ran the engine on it; the lead's taxonomy;
           55 text and 21 JSON document kinds of its own (see the blind12 section). Self-checked at generation; to be scored once.
  blind13  templates B13_*/b13_*: a fourteenth split (seed 1414, fixed day 2026-12-11) written by a tenth helper who never
           read the rules, their docs or history (nor the blind11/blind12 sections) and never ran the engine on it; the lead's
           taxonomy; 54 text and 18 JSON document kinds of its own (see the blind13 section). Self-checked at generation; to be scored once.
  blind14  templates B14_*/b14_*: a fifteenth split (seed 1515, fixed day 2026-12-13) written by an eleventh helper who never
           read the rules, their docs or history (nor the blind11/blind12/blind13 sections) and never ran the engine on it; the
           lead's taxonomy; 54 text and 22 JSON document kinds of its own (see the blind14 section). Self-checked at generation; to be scored once.
  blind15  templates B15_*/b15_*: a sixteenth split (seed 1616, fixed day 2026-12-15) written by a twelfth helper who never
           read the rules, their docs or history (nor the blind11..blind14 sections) and never ran the engine on it; the lead's
           taxonomy; 71 text and 21 JSON document kinds of its own (see the blind15 section). Self-checked at generation; to be scored once.

Only the entity *value* generators (phones valid under libphonenumber's metadata, Faker
e-mails, Luhn-valid cards, mod-97-valid IBANs, random secrets) are shared. Phones come from
the `phonenumbers` package (PyPI): numbers valid for their region, written in the formats
libphonenumber produces and the variants people type (dots, dashes, no separators).

Writes OUT/corpus.jsonl and OUT/labels.jsonl in pii_corpus.py's format. Placeholder secrets
are labelled `PLACEHOLDER` (they must be reported as placeholders, not masked as secrets).
usage: pii_corpus_real.py OUT_DIR N_DOCS SEED dev|heldout|blind2|blind3|blind4|blind5|blind6|blind7|blind8|blind9|blind10|blind11|blind12|blind13|blind14|blind15
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


# ---------- blind5 templates (B5_*) ----------
# A sixth split (seed 606) written by a helper who never read the detection rules, their docs or
# their history, and never ran the engine on it. Its own document kinds (support tickets, chat
# transcripts, e-mail threads with quoted replies and signatures, CRM/HR notes, incident write-
# ups, shell history, CI logs, stack traces, SQL, .env / YAML / TOML / INI / JSON / XML config,
# Kubernetes secrets, docker-compose, curl, HTTP dumps, CSV, invoices, shipping notes, transfer
# instructions, US medical/insurance forms, payroll notes), look-alikes, password phrasings in
# the seven languages, placeholders and phone formats. Top-level text keeps real line breaks,
# quotes, tabs and backslashes; text inside JSON strings is joined with " / " and never holds an
# escape before a labelled span (the scorer maps decoded offsets onto raw bytes).
# Generic secrets with no vendor shape (client secrets, signing keys, AWS secret access keys,
# hex API keys under a telling key name) are labelled B5_GENERIC. The writer guessed "SECRET"
# for the engine's name without looking; the lead renamed it to the engine's GENERIC_SECRET
# before the split was first scored (no other change).
# A Kubernetes Secret's base64 `data:` values are labelled as what they encode (PASSWORD under
# `password`, B5_GENERIC under `api-token`); its other base64 values (username, host) are not.
# Look-alikes that are deliberately left unlabelled and sit close to an entity's shape: Sentry
# DSN keys and `git@github.com:` remotes (e-mail-shaped), `AssemblyVersion 1.2.0.0` and OID
# prefixes (IPv4-shaped), IMEIs and 17/19-digit order numbers and nanosecond epochs that pass
# Luhn, ISO 11649 `RF` creditor references (mod-97 like an IBAN), ABA routing numbers, EINs and
# 9-digit employee/claim numbers (SSN-shaped), public certificates (PEM armour).

B5_GENERIC = "GENERIC_SECRET"


class B5L(L):
    """A labelled piece kept verbatim (a PEM with its line breaks, a YAML-indented block)."""
    def __init__(self, typ, text):
        self.typ, self.text = typ, text


def b5_flat(*xs):
    """Parts from nested lists of str / L, nothing cleaned (top-level text)."""
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out.extend(b5_flat(*x))
        elif x is not None:
            out.append(x)
    return out


def b5_js(*xs):
    """Parts for a JSON string: line breaks joined with ' / ', no character that needs escaping."""
    out = []
    for p in b5_flat(*xs):
        if isinstance(p, L):
            assert '"' not in p.text and "\\" not in p.text and "\n" not in p.text, p.text
            out.append(p)
        else:
            out.append(p.replace("\r", "").replace("\n", " / ").replace("\t", " ").replace('"', "'").replace("\\", "/"))
    return out


def b5_when(r, lo=1546300800, hi=1798675200):
    return datetime.datetime.fromtimestamp(r.randint(lo, hi), datetime.timezone.utc)


B5_WORDS = {
    "en": ["otter", "plasma", "glider", "lighthouse", "bramble", "pickle", "thunder", "nutmeg", "cobalt", "saffron"],
    "de": ["Sonnenblume", "Fahrrad", "Kuchen", "Eichhorn", "Wolke", "Schlüssel", "Brezel", "Zugspitze"],
    "fr": ["citron", "marmotte", "soleil", "Bretagne", "croissant", "grenouille", "lavande", "falaise"],
    "es": ["naranja", "playa", "Sevilla", "tortuga", "girasol", "montaña", "churro", "flamenco"],
    "it": ["limone", "gatto", "vespa", "Sorrento", "girasole", "tramonto", "cipresso", "Dolomiti"],
    "nl": ["fiets", "tulp", "molen", "Zeeland", "stroopwafel", "kanaal", "hagelslag", "duinen"],
}
B5_SYM = "!#%&*^_-+=?"


def b5_password(r, lang="en"):
    """A password that starts with a letter or digit and holds no '@' or '$' (valid as a bare YAML / .env value)."""
    while True:
        v = b5_password1(r, lang)
        if v[0].isalnum() and "@" not in v and "$" not in v:
            return v


def b5_password_safe(r, lang="en"):
    """A password as written in a URL, an XML text node or an unquoted shell word: letters, digits, '-', '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in b5_password(r, lang))


def b5_password1(r, lang):
    k = r.randrange(6)
    w = B5_WORDS[lang]
    if k == 0:
        return r.choice(w).capitalize() + r.choice(B5_SYM) + str(r.randint(10, 9999))
    if k == 1:
        return rnd(r, AN + B5_SYM, r.randint(12, 22))
    if k == 2:
        return "-".join(rnd(r, string.ascii_lowercase, 3) + rnd(r, string.digits, 1) for _ in range(3)) + r.choice(string.ascii_uppercase)
    if k == 3:
        return r.choice(w).lower() + r.choice(string.digits) + r.choice(w).upper()[:4] + r.choice(B5_SYM)
    if k == 4:
        return r.choice(string.ascii_uppercase) + rnd(r, string.ascii_lowercase, 5) + r.choice(B5_SYM) + rnd(r, string.digits, 3) + rnd(r, string.ascii_letters, 2)
    return password(r)


def b5_PW(r, lang):
    return L("PASSWORD", b5_password(r, lang))


def b5_PWs(r, lang):
    return L("PASSWORD", b5_password_safe(r, lang))


# (sentences that state a password, sentences about passwords that hold none), per language
B5_PW = {
    "en": (["Your temporary password is {p} - please change it at first login.", "pw for the shared mailbox: {p}",
            "I've set the password to {p} for now, we can rotate it later.", "login is admin / {p}",
            "Use password {p} to open the attached PDF.", "PASSWORD: {p}", "New passwd -> {p}",
            "the wifi in the Leeds office is BT-Hub-5G, key {p}", "Password for the jump host is {p} (don't ask)",
            "pass = {p}"],
           ["Passwords must have at least 12 characters, one digit and one symbol.", "I reset your password, you'll get a link by e-mail.",
            "Never share your password with anyone, including IT.", "Your password expired on 2024-05-01.",
            "The password field cannot be empty.", "password: (sent separately via Signal)", "Password was changed successfully.",
            "Please don't paste passwords in this channel.", "password: ********", "Forgot password? Click the link below.",
            "password policy: 90 days, no reuse of the last 5"]),
    "de": (["Ihr vorläufiges Passwort lautet: {p}", "Zugangsdaten: Benutzer mmueller, Passwort {p}", "PW: {p}",
            "Das Kennwort für das WLAN ist {p}", "Passwort für den Server: {p}", "neues Kennwort = {p}",
            "hab das Passwort auf {p} gesetzt"],
           ["Bitte setzen Sie Ihr Passwort über den Link zurück.", "Das Passwort muss mindestens 12 Zeichen lang sein.",
            "Passwort geändert am 03.05.2024.", "Kennwort: siehe Tresor", "Bitte niemals Passwörter per Mail schicken!",
            "Das Passwort ist abgelaufen, bitte ein neues vergeben."]),
    "fr": (["Votre mot de passe provisoire : {p}", "identifiant : jdupont / mot de passe : {p}", "le mdp c'est {p}",
            "Mot de passe du Wi-Fi\u00a0: {p}", "MDP = {p}", "j'ai remis le mot de passe à {p}"],
           ["Votre mot de passe doit comporter au moins 12 caractères.", "Réinitialisez votre mot de passe depuis l'espace client.",
            "Mot de passe : envoyé par SMS", "Ne communiquez jamais votre mot de passe.", "Le mot de passe a expiré hier."]),
    "es": (["Tu contraseña temporal es {p}", "usuario: jgarcia, clave: {p}", "La clave del wifi es {p}", "contraseña = {p}",
            "Contraseña de acceso: {p}", "te he puesto la contraseña {p}"],
           ["La contraseña debe tener al menos 12 caracteres.", "Restablece tu contraseña desde el enlace.",
            "Contraseña caducada.", "Nunca compartas tu contraseña.", "contraseña: (te la paso por teléfono)"]),
    "it": (["La password provvisoria è {p}", "utente: mrossi / password: {p}", "la pass del wifi è {p}",
            "Parola d'ordine: {p}", "chiave di accesso: {p}", "ho impostato la password a {p}"],
           ["La password deve contenere almeno 12 caratteri.", "Reimposta la password dal link ricevuto via e-mail.",
            "password: vedi gestore password", "Non condividere mai la tua password.", "La password è scaduta ieri."]),
    "nl": (["Je tijdelijke wachtwoord is {p}", "gebruikersnaam: jdevries, wachtwoord: {p}", "ww: {p}",
            "Het wifi-wachtwoord is {p}", "wachtwoord = {p}", "ik heb het wachtwoord op {p} gezet"],
           ["Het wachtwoord moet minstens 12 tekens bevatten.", "Stel je wachtwoord opnieuw in via de link.",
            "Wachtwoord: zie kluis", "Deel je wachtwoord nooit met anderen.", "Het wachtwoord is verlopen."]),
}


def b5_pw_sentence(r, lang):
    a, b = r.choice(B5_PW[lang][0]).split("{p}")
    return [a, b5_PW(r, lang), b]


def b5_pw_neg(r, lang):
    return r.choice(B5_PW[lang][1])


# config keys for passwords, per language
B5_PW_KEYS = {"en": ["password", "db_password", "PASSWORD", "passwd", "pwd", "admin_password", "smtp_pass"],
              "de": ["passwort", "kennwort", "Passwort", "db_passwort"], "fr": ["mot_de_passe", "mdp", "motdepasse"],
              "es": ["contrasena", "clave", "contraseña"], "it": ["password", "parola_chiave", "pwd"],
              "nl": ["wachtwoord", "ww", "Wachtwoord"]}


def b5_pw_key(r, lang):
    return r.choice(B5_PW_KEYS[lang] + B5_PW_KEYS["en"][:3])


# ---------- blind5 entity values ----------

def b5_region(r, loc):
    return REGION[loc] if r.random() < 0.7 else r.choice(OTHER_REGIONS)


def b5_phone(r, loc, region=None):
    region = region or b5_region(r, loc)
    if region == "US" and r.random() < 0.6:
        d = phone(r, "US", ["e164"])[2:]
        a, b, c = d[:3], d[3:6], d[6:]
        return r.choice([f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a}-{b}-{c}", f"+1 ({a}) {b}-{c}", f"1-{a}-{b}-{c}",
                         f"({a}) {b}-{c}", f"+1.{a}.{b}.{c}"])
    if region != REGION[loc]:  # a foreign number is written with its country code
        v = phone(r, region, ["intl", "intl", "e164", "intl00", "intl_dashes", "intl_trunk"])
        if not v.startswith(("+", "00")):  # phone() writes the national form where a variant does not apply
            v = phone(r, region, ["intl"])
    else:
        v = phone(r, region, ["national", "national", "national", "intl", "intl", "e164", "dashes", "dots", "intl00",
                              "intl_trunk", "intl_dashes"])
    if region == "DE" and r.random() < 0.25 and v.startswith("0") and " " in v:
        v = v.replace(" ", "/", 1)
    if region == "FR" and r.random() < 0.1:
        v = v.replace(" ", "\u00a0")
    return v


def b5_PH(r, loc, region=None):
    return L("PHONE", b5_phone(r, loc, region))


B5_DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "web.de", "gmx.de", "orange.fr", "free.fr", "hotmail.es",
              "libero.it", "virgilio.it", "ziggo.nl", "kpnmail.nl", "icloud.com", "proton.me", "t-online.de"]


def b5_email(f, r):
    k = r.randrange(6)
    if k < 2:
        return email(f, r)
    first = clean(f.first_name()).lower()
    last = clean(f.last_name()).lower()
    tr = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ê": "e", "ë": "e", "à": "a",
                        "á": "a", "í": "i", "ó": "o", "ò": "o", "ú": "u", "ù": "u", "ñ": "n", "ç": "c", "ï": "i",
                        "ô": "o", "â": "a", "î": "i", " ": "", "'": "", "-": ""})
    first, last = first.translate(tr), last.translate(tr)
    first = "".join(c for c in first if c.isalnum()) or "info"
    last = "".join(c for c in last if c.isalnum()) or "team"
    if k == 2:
        return f"{first}.{last}@{f.domain_name()}"
    if k == 3:
        return f"{first[0]}{last}{r.randint(1, 99)}@{r.choice(B5_DOMAINS)}"
    if k == 4:
        return f"{first}.{last}+{r.choice(['invoices', 'jira', 'test', 'news'])}@{r.choice(B5_DOMAINS)}"
    return f"{first.capitalize()}.{last.capitalize()}@{f.domain_word()}.{r.choice(['co.uk', 'de', 'fr', 'es', 'it', 'nl', 'com', 'io', 'eu'])}"


def b5_EM(f, r):
    return L("EMAIL", b5_email(f, r))


def b5_card(f, r):
    num = card(f, r, 0.55)
    return num


def b5_CC(f, r):
    return L("CREDIT_CARD", b5_card(f, r))


def b5_IBAN(f, r, grouped=None):
    v = f.iban()
    g = r.random() < 0.55 if grouped is None else grouped
    if g:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return L("IBAN", v)


def b5_SSN(r):
    return L("US_SSN", ssn_text(r, r.choice(["dash", "dash", "dash", "dash", "space", "bare"])))


def b5_ipv4(f, r):
    return r.choice([f.ipv4_public, f.ipv4_public, f.ipv4_private])()


def b5_ipv6(f, r):
    k = r.randrange(4)
    if k == 0:
        return f.ipv6()
    groups = [f"{r.randrange(0x2001, 0x2c0f):x}", f"{r.randrange(0x10000):x}", f"{r.randrange(0x10000):x}", f"{r.randrange(0x10000):x}"]
    tail = [f"{r.randrange(1, 0x10000):x}" for _ in range(r.randint(1, 2))]
    if k == 1:
        return ":".join(groups) + "::" + ":".join(tail)
    if k == 2:
        return "fe80::" + ":".join(f"{r.randrange(1, 0x10000):x}" for _ in range(4))
    return ":".join(groups + [f"{r.randrange(0x10000):04x}" for _ in range(4)])


def b5_IP4(f, r):
    return L("IPV4", b5_ipv4(f, r))


def b5_IP6(f, r):
    return L("IPV6", b5_ipv6(f, r))


def b5_IP(f, r):
    return b5_IP6(f, r) if r.random() < 0.3 else b5_IP4(f, r)


def b5_b64url(o):
    return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")


def b5_jwt(f, r):
    hdr = {"alg": r.choice(["RS256", "HS256", "ES256", "PS256"]), "typ": "JWT"}
    if r.random() < 0.5:
        hdr["kid"] = rnd(r, HEX, 16)
    now = r.randint(1700000000, 1790000000)
    body = {"iss": r.choice(["https://login.", "https://auth.", "https://sso."]) + f.domain_name() + "/",
            "sub": r.choice([str(r.randint(10 ** 8, 10 ** 10)), f.uuid4()]), "aud": r.choice(["api", "account", f.domain_word()]),
            "iat": now, "exp": now + r.choice([300, 900, 3600, 86400])}
    if r.random() < 0.4:
        body["scope"] = r.choice(["openid profile", "read:orders write:orders", "admin"])
    sig = rnd(r, AN + "_-", r.choice([43, 86, 342]))
    return ".".join([b5_b64url(hdr), b5_b64url(body), sig])


def b5_JWT(f, r):
    return L("JWT", b5_jwt(f, r))


B5_PEM_KINDS = ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
                "DSA PRIVATE KEY"]


def b5_pem_lines(r, kind):
    n = r.randint(3, 12)
    lead = {"RSA PRIVATE KEY": "MIIEow", "PRIVATE KEY": "MIIEvQ", "EC PRIVATE KEY": "MHcCAQEE",
            "OPENSSH PRIVATE KEY": "b3BlbnNzaC1rZXktdjEAAAAA", "ENCRYPTED PRIVATE KEY": "MIIFHDBOBgkqhkiG9w0BBQ0w",
            "DSA PRIVATE KEY": "MIIBuwIBAAKBgQ"}[kind]
    body = lead + rnd(r, AN + "+/", 64 * n - len(lead)) + rnd(r, AN + "+/", r.randint(4, 60)) + r.choice(["", "=", "=="])
    width = 70 if kind == "OPENSSH PRIVATE KEY" else 64
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return [f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"]


def b5_PEM(r, sep="\n", kind=None):
    kind = kind or r.choice(B5_PEM_KINDS)
    return B5L("PRIVATE_KEY", sep.join(b5_pem_lines(r, kind)))


def b5_aws(r):
    return r.choice(["AKIA", "AKIA", "ASIA"]) + rnd(r, string.ascii_uppercase + "234567", 16)


def b5_gh(r, prefix=None):
    p = prefix or r.choice(GH_PREFIXES + ["github_pat_"])
    if p == "github_pat_":
        return "github_pat_11" + rnd(r, string.ascii_uppercase + string.digits, 20) + "_" + rnd(r, AN, 59)
    return p + rnd(r, AN, 36)


def b5_slack(r):
    k = r.randrange(4)
    if k == 0:
        return "xoxb-" + rnd(r, string.digits, r.choice([11, 12, 13])) + "-" + rnd(r, string.digits, 13) + "-" + rnd(r, AN, 24)
    if k == 1:
        return "xoxp-" + "-".join(rnd(r, string.digits, n) for n in (12, 12, 13)) + "-" + rnd(r, HEX, 32)
    if k == 2:
        return "xoxa-2-" + rnd(r, string.digits, 12) + "-" + rnd(r, string.digits, 13) + "-" + rnd(r, HEX, 64)
    return "xoxs-" + "-".join(rnd(r, string.digits, n) for n in (12, 12, 13)) + "-" + rnd(r, HEX, 64)


def b5_stripe(r):
    return r.choice(["sk_live_", "sk_live_", "rk_live_", "sk_test_", "rk_test_"]) + r.choice(["51", "4e", ""]) + rnd(r, AN, r.choice([24, 32, 97]))


def b5_openai(r):
    k = r.randrange(3)
    if k == 0:
        return "sk-proj-" + rnd(r, AN + "_-", 74) + "T3BlbkFJ" + rnd(r, AN + "_-", 74)
    if k == 1:
        return "sk-proj-" + rnd(r, AN + "_-", 48)
    return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)


def b5_anthropic(r):
    return "sk-ant-api03-" + rnd(r, AN + "_-", 93) + "AA"


def b5_google(r):
    return "AIzaSy" + rnd(r, AN + "_-", 33)


def b5_generic(r):
    k = r.randrange(5)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 1:
        return rnd(r, AN + "/+", 40)  # AWS secret access key shape
    if k == 2:
        return rnd(r, AN, r.choice([32, 48]))
    if k == 3:
        return r.choice(string.ascii_lowercase) + rnd(r, string.ascii_lowercase + string.digits + "!@#%^&*(-_=+)", 49)  # Django SECRET_KEY shape
    return base64.b64encode(bytes(r.randrange(256) for _ in range(32))).decode()


def b5_secret(f, r, kinds=None):
    """(type, value) of a vendor-shaped secret."""
    kind = r.choice(kinds or ["AWS_ACCESS_KEY", "GITHUB_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY",
                              "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"])
    v = {"AWS_ACCESS_KEY": b5_aws, "GITHUB_TOKEN": b5_gh, "SLACK_TOKEN": b5_slack, "STRIPE_KEY": b5_stripe,
         "OPENAI_KEY": b5_openai, "ANTHROPIC_KEY": b5_anthropic, "GOOGLE_API_KEY": b5_google}.get(kind)
    if v is None:
        return kind, b5_jwt(f, r)
    return kind, v(r)


def b5_SEC(f, r, kinds=None):
    t, v = b5_secret(f, r, kinds)
    return L(t, v)


def b5_GEN(r):
    return L(B5_GENERIC, b5_generic(r))


# ---------- blind5 placeholders ----------
# Shaped like a real key of their vendor but written for documentation: labelled PLACEHOLDER.
B5_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE",
    "AKIAEXAMPLEKEY000000",
    "ASIA" + "EXAMPLE" * 2 + "XX",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "gho_" + "your_token_here_" + "0" * 20,
    "ghu_abcdefghijklmnopqrstuvwxyz0123456789",
    "ghs_" + "0123456789abcdef" * 2 + "0123",
    "ghr_" + "X" * 36,
    "github_pat_" + "11ABCDEFG0" + "x" * 12 + "_" + "x" * 59,
    "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "xoxp-" + "-".join("X" * n for n in (12, 12, 13)) + "-" + "X" * 32,
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_live_" + "REPLACE_WITH_YOUR_KEY_0000",
    "rk_live_" + "x" * 24,
    "sk-proj-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL",
    "sk-" + "X" * 20 + "T3BlbkFJ" + "X" * 20,
    "sk-ant-api03-" + "your-api-key-here-" + "x" * 75 + "AA",
    "AIzaSy" + "EXAMPLE" + "0" * 23 + "KEY",
    "AIzaSy" + "A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ5b3VyLXVzZXItaWQifQ." + "x" * 43,
]
# Obvious stand-ins that are not key-shaped (and masked values): never labelled.
B5_PLACEHOLDER_NEG = ["<your-token>", "xxxx", "${TOKEN}", "changeme", "<API_KEY>", "{{ .Values.apiKey }}", "$(GITHUB_TOKEN)",
                      "sk_test_...", "ghp_…", "REDACTED", "***", "your_api_key_here", "%API_KEY%",
                      "${{ secrets.NPM_TOKEN }}", "op://Engineering/stripe/credential", "<insert secret>", "TODO",
                      "AKIA****************", "xoxb-***", "sk-...", "CHANGE_ME", "[hidden]", "null", "<nil>"]


def b5_PLH(r, prefix=None):
    pool = [p for p in B5_PLACEHOLDERS if prefix is None or p.startswith(prefix)]
    return L("PLACEHOLDER", r.choice(pool))


def b5_plh_neg(r):
    return r.choice(B5_PLACEHOLDER_NEG)


def b5_pem_placeholder(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    mid = r.choice(["...", "<your private key here>", "MIIEpAIBAAKCAQEA...", "(key material omitted)"])
    return B5L("PLACEHOLDER", sep.join([f"-----BEGIN {kind}-----", mid, f"-----END {kind}-----"]))


# ---------- blind5 look-alikes (never labelled) ----------

def b5_check_gs1(digits):
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return str((10 - s % 10) % 10)


def b5_luhn_complete(digits):
    for d in string.digits:
        if luhn_ok(digits + d):
            return digits + d
    raise AssertionError


def b5_rf(r):
    """An ISO 11649 creditor reference (RF + mod-97 check digits): not an IBAN."""
    ref = rnd(r, string.digits, r.randint(8, 15))
    num = int("".join(str(int(c, 36)) for c in ref + "RF00"))
    v = f"RF{98 - num % 97:02d}{ref}"
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4))


B5_REF = {"en": ["Order", "Ticket", "Invoice", "Case", "Claim", "Policy", "Account no.", "PO", "RMA", "Booking ref"],
          "de": ["Bestellnr.", "Auftrag", "Rechnungsnr.", "Vorgang", "Kundennummer", "Vertragsnr.", "Lieferschein"],
          "fr": ["Commande", "Facture n°", "Dossier", "N° client", "Contrat", "Réf."],
          "es": ["Pedido", "Factura nº", "Expediente", "Nº de cliente", "Póliza", "Ref."],
          "it": ["Ordine", "Fattura n.", "Pratica", "Codice cliente", "Polizza n.", "Rif."],
          "nl": ["Bestelling", "Factuurnr.", "Dossier", "Klantnummer", "Polisnummer", "Kenmerk"]}


def b5_ref(r, lang="en"):
    w = r.choice(B5_REF[lang])
    k = r.randrange(10)
    if k == 0: n = f"{r.randint(100000000, 999999999)}"
    elif k == 1: n = f"{r.randint(2019, 2026)}-{r.randint(1, 999999):06d}"
    elif k == 2: n = f"#{r.randint(10000, 9999999)}"
    elif k == 3: n = f"{rnd(r, string.ascii_uppercase, 3)}-{r.randint(100, 999)}-{r.randint(1000, 9999)}"
    elif k == 4: n = f"{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)} {r.randint(10, 99)}"
    elif k == 5: n = f"0{r.randint(100000000, 999999999)}"
    elif k == 6: n = f"{r.randint(100, 999)}-{r.randint(1000000, 9999999)}-{r.randint(1000000, 9999999)}"  # marketplace order
    elif k == 7: n = f"{rnd(r, string.ascii_uppercase, 2)}{r.randint(10000000, 99999999)}"
    elif k == 8: n = f"{r.randint(1000, 9999)}/{r.randint(2020, 2026)}"
    else: n = f"{r.randint(2020, 2026)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}-{r.randint(1, 9999):04d}"
    return f"{w} {n}"


def b5_ship(r, loc):
    k = r.randrange(11)
    if k == 0: return "1Z" + rnd(r, string.ascii_uppercase + string.digits, 6) + rnd(r, string.digits, 10)
    if k == 1: return " ".join(rnd(r, string.digits, 4) for _ in range(5)) + " " + rnd(r, string.digits, 2)
    if k == 2: return rnd(r, string.ascii_uppercase, 2) + rnd(r, string.digits, 9) + r.choice(["DE", "NL", "FR", "GB", "IT", "ES", "US"])
    if k == 3:
        pre = {"en_US": "0", "en_GB": "50", "de_DE": "40", "fr_FR": "30", "es_ES": "84", "it_IT": "80", "nl_NL": "87"}[loc]
        d = pre + rnd(r, string.digits, 12 - len(pre))
        return "EAN " + d + b5_check_gs1(d)
    if k == 4:
        d = rnd(r, string.digits, 11)
        return "UPC " + d + b5_check_gs1(d)
    if k == 5:
        d = "978" + rnd(r, string.digits, 9)
        d = d + b5_check_gs1(d)
        return f"ISBN {d[:3]}-{d[3]}-{d[4:8]}-{d[8:12]}-{d[12]}"
    if k == 6:
        d = b5_luhn_complete("35" + rnd(r, string.digits, 12))
        return r.choice([f"IMEI {d}", f"IMEI: {d[:2]} {d[2:8]} {d[8:14]} {d[14]}"])
    if k == 7: return f"S/N {rnd(r, string.ascii_uppercase + string.digits, r.choice([10, 12]))}"
    if k == 8: return f"SKU {rnd(r, string.ascii_uppercase, 3)}-{r.randint(1000, 99999)}-{r.choice(['BLK', 'WHT', 'XL', 'M', '42'])}"
    if k == 9: return f"pallet SSCC 00{rnd(r, string.digits, 16)}"
    return f"{r.choice(['JJD', 'JVGL', 'CC'])}{rnd(r, string.digits, 18)}"


def b5_tracking(r):
    k = r.randrange(4)
    if k == 0: return "1Z" + rnd(r, string.ascii_uppercase + string.digits, 6) + rnd(r, string.digits, 10)
    if k == 1: return " ".join(rnd(r, string.digits, 4) for _ in range(5)) + " " + rnd(r, string.digits, 2)
    if k == 2: return rnd(r, string.ascii_uppercase, 2) + rnd(r, string.digits, 9) + r.choice(["DE", "NL", "FR", "GB", "IT", "ES", "US"])
    return f"{r.choice(['JJD', 'JVGL', 'CC'])}{rnd(r, string.digits, 18)}"


def b5_badcard(r):
    """A card-shaped number that is not one: Luhn fails, or masked."""
    if r.random() < 0.6:
        g = bad_luhn(r, r.choice(["4", "51", "55", "6011", "35"]), 16)
        return r.choice([" ", "-", ""]).join(g[i:i + 4] for i in range(0, 16, 4))
    return r.choice(["**** **** **** ", "XXXX-XXXX-XXXX-", "ending in ", "4*** **** **** "]) + f"{r.randint(0, 9999):04d}"


def b5_ver(r):
    k = r.randrange(8)
    if k == 0: return f"v{r.randint(0, 5)}.{r.randint(0, 40)}.{r.randint(0, 99)}"
    if k == 1: return f"{r.randint(1, 25)}.{r.randint(0, 12)}.{r.randint(0, 9)}-rc.{r.randint(1, 9)}"
    if k == 2: return f"build {r.randint(1000, 99999)}"
    if k == 3: return f"10.0.{r.randint(17000, 26100)}.{r.randint(1, 5000)}"
    if k == 4: return f"AssemblyVersion {r.randint(1, 4)}.{r.randint(0, 9)}.0.0"
    if k == 5: return f"{r.randint(2022, 2026)}.{r.randint(1, 12)}.{r.randint(1, 30)}+{rnd(r, HEX, 7)}"
    if k == 6: return f"kernel {r.randint(4, 6)}.{r.randint(1, 19)}.{r.randint(0, 200)}-{r.randint(10, 999)}-generic"
    return f"OID 1.3.6.1.4.1.{r.randint(100, 60000)}.{r.randint(1, 20)}.{r.randint(1, 9)}"


def b5_time(r):
    t = b5_when(r)
    k = r.randrange(13)
    if k == 0: return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{r.randint(0, 999):03d}Z"
    if k == 1: return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{r.randint(0, 999):03d}"
    if k == 2: return str(int(t.timestamp()))
    if k == 3: return str(int(t.timestamp()) * 1000 + r.randint(0, 999))
    if k == 4: return t.strftime("%a, %d %b %Y %H:%M:%S +0000")
    if k == 5: return t.strftime("%d.%m.%Y %H:%M")
    if k == 6: return t.strftime("%m/%d/%Y %I:%M %p")
    if k == 7: return t.strftime("%Y%m%dT%H%M%SZ")
    if k == 8: return str(int(t.timestamp()) * 10 ** 9 + r.randint(0, 10 ** 9 - 1))
    if k == 9: return t.strftime("%d/%m/%Y")
    if k == 10: return f"PT{r.randint(1, 23)}H{r.randint(1, 59)}M"
    if k == 11: return f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999999):06d}"
    return f"{r.randint(1, 9999)} ms"


def b5_money(r, lang="en"):
    a = r.randint(1, 250000) + r.randint(0, 99) / 100
    us = f"{a:,.2f}"
    eu = us.replace(",", "X").replace(".", ",").replace("X", ".")
    return r.choice({"en": [f"${us}", f"£{us}", f"USD {us}"], "de": [f"{eu} €", f"EUR {eu}"], "fr": [f"{eu.replace('.', ' ')} €"],
                     "es": [f"{eu} €"], "it": [f"€ {eu}"], "nl": [f"€ {eu}", f"EUR {eu}"]}[lang])


def b5_geo(r):
    la, lo = r.uniform(36, 58), r.uniform(-9, 18)
    return r.choice([f"{la:.6f}, {lo:.6f}", f"lat={la:.5f}&lon={lo:.5f}", f"({la:.4f}, {lo:.4f})",
                     f"{int(la)}°{r.randint(0, 59)}′{r.randint(0, 59)}″N {abs(int(lo))}°{r.randint(0, 59)}′{r.randint(0, 59)}″{'E' if lo >= 0 else 'W'}"])


def b5_hash(f, r):
    k = r.randrange(8)
    if k == 0: return rnd(r, HEX, 40)
    if k == 1: return rnd(r, HEX, r.choice([7, 8, 10, 12]))
    if k == 2: return "sha256:" + rnd(r, HEX, 64)
    if k == 3: return f.uuid4()
    if k == 4: return b64blob(r, r.choice([24, 36, 60]))
    if k == 5: return "sha512-" + b64blob(r, 64)
    if k == 6: return rnd(r, HEX, 32)
    return f.uuid4().upper()


def b5_num(f, r):
    """Numbers that fail the entity checksum or are other 9-digit identifiers."""
    k = r.randrange(10)
    if k == 0:
        g = bad_luhn(r, r.choice(["4", "51", "52", "55", "6011"]), 16)
        return r.choice([" ", "-", ""]).join(g[i:i + 4] for i in range(0, 16, 4))
    if k == 1:
        g = bad_luhn(r, r.choice(["34", "37"]), 15)
        return f"{g[:4]} {g[4:10]} {g[10:]}"
    if k == 2: return bad_iban(f, r)
    if k == 3: return "routing " + r.choice(["021000021", "026009593", "121000358", "011401533", "091000019", "322271627"])
    if k == 4: return f"EIN {r.randint(10, 99)}-{r.randint(1000000, 9999999)}"
    if k == 5: return b5_rf(r)
    if k == 6: return f"ZIP {r.randint(10000, 99999)}-{r.randint(1000, 9999)}"
    if k == 7: return r.choice(["XXX-XX-", "***-**-"]) + f"{r.randint(0, 9999):04d}"
    if k == 8: return r.choice(["**** **** **** ", "XXXX-XXXX-XXXX-", "ending in "]) + f"{r.randint(0, 9999):04d}"
    return f"{r.randint(100, 999)}-{r.randint(100, 999)}-{r.randint(100, 999)}"


def b5_la(f, r, loc, group=None):
    g = group or r.choice(["ref", "ship", "ver", "time", "money", "geo", "hash", "num"])
    lang = lang_of(loc)
    return {"ref": lambda: b5_ref(r, lang), "ship": lambda: b5_ship(r, loc), "ver": lambda: b5_ver(r),
            "time": lambda: b5_time(r), "money": lambda: b5_money(r, lang), "geo": lambda: b5_geo(r),
            "hash": lambda: b5_hash(f, r), "num": lambda: b5_num(f, r)}[g]()


def b5_name(f):
    return clean(f.name())


# ---------- blind5 text documents ----------

B5_HELLO = {"en": ["Hi {n},", "Hello {n},", "Dear {n},", "Hey {n} -"], "de": ["Hallo {n},", "Sehr geehrte/r {n},", "Moin {n},"],
            "fr": ["Bonjour {n},", "Cher {n},", "Salut {n},"], "es": ["Hola {n}:", "Estimado/a {n}:", "Buenas {n},"],
            "it": ["Ciao {n},", "Gentile {n},", "Buongiorno {n},"], "nl": ["Hoi {n},", "Beste {n},", "Goedemiddag {n},"]}
B5_BYE = {"en": ["Thanks,", "Best regards,", "Cheers,", "Kind regards,"], "de": ["Viele Grüße", "Mit freundlichen Grüßen", "VG"],
          "fr": ["Cordialement,", "Bien à vous,", "Merci d'avance,"], "es": ["Saludos,", "Un saludo,", "Atentamente,"],
          "it": ["Cordiali saluti,", "Grazie,", "Saluti,"], "nl": ["Met vriendelijke groet,", "Groetjes,", "Mvg,"]}
B5_WROTE = {"en": "On {d}, {n} <{e}> wrote:", "de": "Am {d} schrieb {n} <{e}>:", "fr": "Le {d}, {n} <{e}> a écrit :",
            "es": "El {d}, {n} <{e}> escribió:", "it": "Il giorno {d} {n} <{e}> ha scritto:", "nl": "Op {d} schreef {n} <{e}>:"}
B5_TEL = {"en": ["Tel:", "Mobile:", "M:", "Direct line:", "Cell", "call me on", "ph."],
          "de": ["Tel.:", "Mobil:", "Handy", "Durchwahl:", "Telefon", "erreichbar unter"],
          "fr": ["Tél. :", "Portable :", "Ligne directe :", "tél", "joignable au"],
          "es": ["Tel.:", "Móvil:", "Teléfono", "llámame al", "Tfno."],
          "it": ["Tel.", "Cell.", "Cellulare:", "chiamami al", "Telefono:"],
          "nl": ["Tel.:", "Mobiel:", "tel", "bel me op", "Telefoonnummer:"]}
B5_ASK = {"en": ["Can you look into this today?", "Customer is waiting for a callback.", "Please escalate if needed."],
          "de": ["Kannst du dir das heute anschauen?", "Kunde wartet auf Rückruf.", "Bitte ggf. eskalieren."],
          "fr": ["Tu peux regarder aujourd'hui ?", "Le client attend un rappel.", "Merci d'escalader si besoin."],
          "es": ["¿Lo puedes mirar hoy?", "El cliente espera una llamada.", "Escala si hace falta."],
          "it": ["Riesci a guardarci oggi?", "Il cliente aspetta una richiamata.", "Se serve, fai escalation."],
          "nl": ["Kun je er vandaag naar kijken?", "Klant wacht op terugbelverzoek.", "Escaleer indien nodig."]}


def b5_tel(r, loc):
    return r.choice(B5_TEL[lang_of(loc)])


def b5_sig(f, r, loc, full=True, name=None):
    lang = lang_of(loc)
    out = ["--\n", name or b5_name(f), "\n", clean(f.job()) if r.random() < 0.5 else clean(f.company()), "\n"]
    out += [b5_tel(r, loc), " ", b5_PH(r, loc), "\n"]
    if full and r.random() < 0.6:
        out += [b5_tel(r, loc), " ", b5_PH(r, loc), "\n"]
    if r.random() < 0.7:
        out += [r.choice(["", "E: ", "mailto:", "✉ "]), b5_EM(f, r), "\n"]
    if r.random() < 0.3:
        out += [clean(f.address()), "\n"]
    if r.random() < 0.25:
        pre, n = {"en": ("Company no. ", 8), "de": ("HRB ", 6), "fr": ("SIRET ", 14), "es": ("CIF B", 8), "it": ("P.IVA ", 11),
                  "nl": ("KvK ", 8)}[lang]
        out += [pre, rnd(r, string.digits, n), "\n"]
    return out


def b5_ticket(f, r, loc):
    lang = lang_of(loc)
    n = b5_name(f)
    pri = r.choice(["P1", "P2", "P3", "Low", "High", "Urgent"])
    body = [r.choice(B5_HELLO[lang]).format(n="team"), "\n"]
    k = r.randrange(3)
    if k == 0:
        body += [b5_pw_sentence(r, lang), " ", b5_pw_neg(r, lang), "\n"]
    elif k == 1:
        body += [b5_la(f, r, loc, "ref"), " - ", b5_tel(r, loc), " ", b5_PH(r, loc), ". ", r.choice(B5_ASK[lang]), "\n"]
    else:
        body += ["card on file ", b5_badcard(r), ", new card ", b5_CC(f, r), " exp ", f"{r.randint(1, 12):02d}/{r.randint(26, 31)}",
                 "\n"]
    return b5_flat(
        f"Ticket {b5_la(f, r, loc, 'ref').split()[-1]} | Priority: {pri} | Status: open\n",
        "Requester: ", n, " <", b5_EM(f, r), ">\n",
        f"Created: {b5_la(f, r, loc, 'time')}\n", f"Product: {b5_la(f, r, loc, 'ship')}\n\n",
        body, "\n", r.choice(B5_BYE[lang]), "\n", n, "\n")


def b5_chat(f, r, loc):
    lang = lang_of(loc)
    users = [f.user_name() for _ in range(3)]
    t = b5_when(r)
    lines = []
    for i in range(r.randint(4, 7)):
        t += datetime.timedelta(seconds=r.randint(5, 400))
        u = r.choice(users)
        k = r.randrange(9)
        if k == 0:
            msg = ["here's the token for the staging bot: ", b5_SEC(f, r)]
        elif k == 1:
            msg = b5_pw_sentence(r, lang)
        elif k == 2:
            msg = [b5_pw_neg(r, lang)]
        elif k == 3:
            msg = [r.choice(["pls call ", "his number is ", "mobile: ", "reach her at "]), b5_PH(r, loc)]
        elif k == 4:
            msg = [r.choice(["merged ", "deployed ", "reverted "]), rnd(r, HEX, r.choice([7, 8, 12, 40])), " (", b5_la(f, r, loc, "ver"), ")"]
        elif k == 5:
            msg = ["the example from the README uses ", b5_PLH(r), ", not a real one"]
        elif k == 6:
            msg = ["prod db is on ", b5_IP(f, r), r.choice([":5432", "", " port 3306"])]
        elif k == 7:
            msg = [":+1: ", b5_la(f, r, loc)]
        else:
            msg = ["cc ", b5_EM(f, r), " ", r.choice(B5_ASK[lang])]
        lines += [f"[{t.strftime('%H:%M')}] {u}: ", msg, "\n"]
    return b5_flat(f"#{r.choice(['ops', 'support-l2', 'backend', 'it-help', 'payments'])} — {t.strftime('%Y-%m-%d')}\n", lines)


def b5_email_thread(f, r, loc):
    lang = lang_of(loc)
    fa, fb = clean(f.first_name()), clean(f.first_name())
    a, b = f"{fa} {clean(f.last_name())}", f"{fb} {clean(f.last_name())}"
    ea, eb = b5_email(f, r), b5_email(f, r)
    d = b5_when(r)
    ref = b5_la(f, r, loc, "ref")
    first = [r.choice(B5_HELLO[lang]).format(n=fb), "\n\n"]
    k = r.randrange(4)
    if k == 0:
        first += [{"en": "please transfer the deposit to ", "de": "bitte überweisen Sie die Anzahlung auf ", "fr": "merci de virer l'acompte sur ",
                   "es": "por favor transfiera el anticipo a ", "it": "si prega di bonificare l'acconto su ", "nl": "graag het voorschot overmaken naar "}[lang],
                  b5_IBAN(f, r), f" ({ref}, {b5_money(r, lang)}).\n"]
    elif k == 1:
        first += [b5_pw_sentence(r, lang), "\n"]
    elif k == 2:
        first += [r.choice(B5_ASK[lang]), " ", b5_tel(r, loc), " ", b5_PH(r, loc), "\n"]
    else:
        first += [f"{ref}: ", b5_pw_neg(r, lang), "\n"]
    quoted = [B5_WROTE[lang].format(d=d.strftime("%d.%m.%Y %H:%M"), n=a, e="\x00"), "\n"]
    qi = quoted[0].index("\x00")
    quoted = [quoted[0][:qi], L("EMAIL", ea), quoted[0][qi + 1:], "\n"]
    reply_body = [r.choice(B5_HELLO[lang]).format(n=fa), "\n", {"en": "re ", "de": "zu ", "fr": "concernant ", "es": "sobre ", "it": "riguardo ",
                                                                   "nl": "inzake "}[lang], ref, ": ", r.choice(B5_ASK[lang])]
    q2 = []
    for part in b5_flat(first, b5_sig(f, r, loc, False, a)):
        if isinstance(part, L):
            q2.append(part)
        else:
            q2.append(part.replace("\n", "\n> "))
    return b5_flat(f"From: {b} <", L("EMAIL", eb), ">\n", f"To: {a} <", L("EMAIL", ea), ">\n",
                   f"Subject: Re: {ref}\n", f"Date: {(d + datetime.timedelta(hours=r.randint(1, 50))).strftime('%a, %d %b %Y %H:%M:%S +0100')}\n\n",
                   reply_body, "\n\n", r.choice(B5_BYE[lang]), "\n", b, "\n\n", quoted, "> ", q2, "\n")


def b5_crm(f, r, loc):
    lang = lang_of(loc)
    n = b5_name(f)
    k = r.randrange(3)
    if k == 0:
        extra = ["SSN on intake form: ", b5_SSN(r), "; ", b5_la(f, r, loc, "num")]
    elif k == 1:
        extra = ["Bank: ", b5_IBAN(f, r), " / BIC ", rnd(r, string.ascii_uppercase, 6) + rnd(r, string.ascii_uppercase + string.digits, 2)]
    else:
        extra = [b5_pw_neg(r, lang)]
    return b5_flat(
        f"CRM note — account {clean(f.company())}\n", f"Contact: {n}\n", "Email: ", b5_EM(f, r), "\n",
        f"{b5_tel(r, loc)} ", b5_PH(r, loc), "\n",
        f"Last order: {b5_la(f, r, loc, 'ref')} ({b5_la(f, r, loc, 'money')}), shipped {b5_la(f, r, loc, 'ship')}\n",
        "Notes: ", extra, "\n", f"Next follow-up: {b5_la(f, r, loc, 'time')}\n")


def b5_hr(f, r, loc):
    lang = lang_of(loc)
    n = b5_name(f)
    dob = b5_when(r, -631152000, 946684800)
    return b5_flat(
        f"HR / onboarding — {n}\n", f"Start date: {b5_when(r).strftime('%Y-%m-%d')}\n", f"DOB: {dob.strftime('%m/%d/%Y')}\n",
        r.choice(["SSN: ", "Social Security Number: ", "SSN# ", "Employee SSN "]), b5_SSN(r), "\n",
        "Salary account: ", b5_IBAN(f, r), "\n", f"Employee ID {r.randint(100000000, 999999999)}\n",
        "Emergency contact: ", b5_name(f), ", ", b5_PH(r, loc), "\n",
        f"Laptop: {b5_la(f, r, loc, 'ship')}\n", "Notes: ", b5_pw_neg(r, lang), "\n")


def b5_incident(f, r, loc):
    t = b5_when(r)
    ts = lambda m: (t + datetime.timedelta(minutes=m)).strftime("%H:%M")
    k, v = b5_secret(f, r)
    return b5_flat(
        f"# Incident {t.strftime('%Y-%m-%d')}-{r.randint(1, 9)}: credentials exposed in logs\n\n",
        "## Timeline (UTC)\n",
        f"- {ts(0)} alert fired on {f.hostname()} ({b5_la(f, r, loc, 'ver')})\n",
        f"- {ts(r.randint(3, 20))} on-call ", b5_EM(f, r), " paged, traffic from ", b5_IP(f, r), " blocked\n",
        f"- {ts(r.randint(21, 60))} found the key `", L(k, v), "` in the request log of commit ", b5_la(f, r, loc, "hash"), "\n",
        f"- {ts(r.randint(61, 120))} key rotated; the docs example `", b5_PLH(r), "` was NOT affected\n\n",
        "## Impact\n", f"{r.randint(2, 900)} requests between {b5_la(f, r, loc, 'time')} and {b5_la(f, r, loc, 'time')}. ",
        "No customer data. Duration ", f"{r.randint(3, 300)} min.\n\n",
        "## Follow-ups\n", f"- [ ] {b5_la(f, r, loc, 'ref')}: mask tokens in logger\n", "- [ ] ", r.choice(B5_PW["en"][1]), "\n")


def b5_shell(f, r, loc):
    lang = lang_of(loc)
    n = r.randint(200, 1900)
    host = b5_IP4(f, r)
    cmds = [
        ["export GITHUB_TOKEN=", L("GITHUB_TOKEN", b5_gh(r))],
        ["ssh deploy@", host, " -p 2222"],
        ["mysql -h ", b5_IP4(f, r), " -u root -p'", b5_PW(r, lang), "' shop"],
        ["curl -u 'admin:", b5_PW(r, lang), "' https://", f.domain_name(), "/api/health"],
        ["git clone https://x-access-token:", L("GITHUB_TOKEN", b5_gh(r, "ghs_")), "@github.com/", f.user_name(), "/infra.git"],
        ["aws configure set aws_access_key_id ", L("AWS_ACCESS_KEY", b5_aws(r))],
        ["aws configure set aws_secret_access_key ", L(B5_GENERIC, rnd(r, AN + "/+", 40))],
        ["git checkout ", rnd(r, HEX, 40)],
        ["docker pull ghcr.io/acme/api@sha256:", rnd(r, HEX, 64)],
        ["kubectl -n prod get secret db-creds -o yaml"],
        ["export STRIPE_API_KEY=", b5_plh_neg(r)],
        ["ping -c3 ", b5_IP(f, r)],
        ["history | grep ", r.choice(["token", "passw", "AKIA"])],
        ["echo $SLACK_BOT_TOKEN"],
        ["export OPENAI_API_KEY=", L("OPENAI_KEY", b5_openai(r))],
        ["sshpass -p '", b5_PW(r, lang), "' scp backup.tgz root@", b5_IP4(f, r), ":/srv/"],
        ["git remote add origin git@github.com:", f.user_name(), "/", f.slug(), ".git"],
        ["npm i @types/node@", f"{r.randint(16, 22)}.{r.randint(0, 19)}.{r.randint(0, 9)}"],
        ["psql 'postgresql://app:", b5_PWs(r, lang), "@", b5_IP4(f, r), ":5432/orders'"],
        ["export AWS_ACCESS_KEY_ID=", b5_PLH(r, ("AKIA", "ASIA"))],
        ["echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", rnd(r, AN + "+/", 43), " deploy@", f.hostname(0), "' >> ~/.ssh/authorized_keys"],
    ]
    pick = r.sample(cmds, r.randint(4, 8))
    out = []
    for c in pick:
        out += [f"{n:5d}  ", c, "\n"]
        n += r.randint(1, 4)
    return b5_flat(out)


def b5_ci(f, r, loc):
    t = b5_when(r)
    ln = lambda s: f"{(t + datetime.timedelta(seconds=s)).strftime('%Y-%m-%dT%H:%M:%S.')}{r.randint(0, 9999999):07d}Z "
    k, v = b5_secret(f, r)
    return b5_flat(
        ln(0), f"##[group]Run actions/checkout@v4\n", ln(1), f"  ref: {rnd(r, HEX, 40)}\n", ln(1), "##[endgroup]\n",
        ln(4), "Run ./scripts/deploy.sh\n", ln(5), "  env:\n", ln(5), "    DEPLOY_TOKEN: ***\n",
        ln(6), f"    REGISTRY: ghcr.io\n", ln(9), f"+ echo 'using key {b5_plh_neg(r)}'\n",
        ln(11), "+ curl -sf -H 'Authorization: token ", L(k, v), f"' https://api.{f.domain_name()}/deploy\n",
        ln(12), f"Digest: sha256:{rnd(r, HEX, 64)}\n", ln(13), f"Pushed {b5_la(f, r, loc, 'ver')} in {r.randint(1, 300)}s\n",
        ln(14), "notify ", b5_EM(f, r), "\n", ln(15), f"##[error]Process completed with exit code {r.choice([0, 1, 2, 127])}.\n")


def b5_trace(f, r, loc):
    lang = lang_of(loc)
    if r.random() < 0.5:
        return b5_flat(
            "Traceback (most recent call last):\n",
            f'  File "/srv/app/{f.slug()}/db.py", line {r.randint(10, 400)}, in connect\n',
            "    conn = psycopg2.connect(dsn)\n",
            "psycopg2.OperationalError: connection to server at \"", b5_IP4(f, r), f"\", port 5432 failed: FATAL:  password authentication failed for user \"app\"\n",
            "\nlocals: dsn = 'postgresql://app:", b5_PWs(r, lang), "@", f.hostname(), ":5432/app'  request_id=", f.uuid4(), "\n",
            f"user = '", b5_EM(f, r), f"'  elapsed = {b5_la(f, r, loc, 'time')}\n")
    return b5_flat(
        f"{b5_la(f, r, loc, 'time')} ERROR [main] c.a.billing.PaymentService - charge failed for ", b5_EM(f, r), "\n",
        "com.stripe.exception.AuthenticationException: Invalid API Key provided: ", L("STRIPE_KEY", b5_stripe(r)), "\n",
        f"\tat com.stripe.net.LiveStripeResponseGetter.handleApiError(LiveStripeResponseGetter.java:{r.randint(100, 900)})\n",
        f"\tat com.acme.billing.PaymentService.charge(PaymentService.java:{r.randint(20, 300)})\n",
        "Caused by: java.sql.SQLException: Access denied for user 'billing'@'", b5_IP4(f, r), "' (using password: YES)\n",
        f"\tat C:\\build\\agent\\_work\\{r.randint(1, 9)}\\s\\src\\Main.java:{r.randint(10, 99)}\n",
        f"\t... {r.randint(3, 40)} more\n")


def b5_sql(f, r, loc):
    lang = lang_of(loc)
    rows = []
    for i in range(r.randint(1, 3)):
        rows += ["  (", str(r.randint(1000, 99999)), ", '", b5_name(f).replace("'", "''"), "', '", b5_EM(f, r), "', '", b5_PH(r, loc), "', '",
                 b5_IBAN(f, r, False), "', '", b5_la(f, r, loc, "time"), "')", ",\n"]
    rows[-1] = ";\n"
    tail = r.choice([["SELECT * FROM employees WHERE ssn = '", b5_SSN(r), "';\n"],
                     [f"UPDATE users SET password_hash = '$2b$12${rnd(r, AN + './', 53)}' WHERE id = {r.randint(1, 99999)};\n"],
                     ["ALTER USER reporting WITH PASSWORD '", b5_PW(r, lang), "';\n"],
                     [f"SELECT order_id, total FROM orders WHERE order_id = {r.randint(100000000, 999999999)};\n"]])
    return b5_flat("-- migration ", b5_la(f, r, loc, "ver"), "\n", "INSERT INTO customers (id, name, email, phone, iban, created_at) VALUES\n",
                   rows, tail)


def b5_env(f, r, loc):
    lang = lang_of(loc)
    lines = [
        ["# ", {"en": "local settings - do not commit", "de": "lokale Einstellungen – nicht einchecken", "fr": "réglages locaux, ne pas committer",
                "es": "ajustes locales, no subir", "it": "impostazioni locali, non committare", "nl": "lokale instellingen, niet committen"}[lang]],
        ["APP_ENV=production"], [f"APP_VERSION={b5_la(f, r, loc, 'ver').split()[-1]}"],
        ["DATABASE_URL=postgres://app:", b5_PWs(r, lang), "@", b5_IP4(f, r), ":5432/app"],
        ["DB_PASSWORD=", b5_PW(r, lang)], ["REDIS_PASSWORD=", b5_plh_neg(r)],
        ["AWS_ACCESS_KEY_ID=", L("AWS_ACCESS_KEY", b5_aws(r))], ["AWS_SECRET_ACCESS_KEY=", L(B5_GENERIC, rnd(r, AN + "/+", 40))],
        ["STRIPE_SECRET_KEY=", L("STRIPE_KEY", b5_stripe(r))], ["SLACK_BOT_TOKEN=", L("SLACK_TOKEN", b5_slack(r))],
        ["GOOGLE_MAPS_KEY=", L("GOOGLE_API_KEY", b5_google(r))], ["ANTHROPIC_API_KEY=", L("ANTHROPIC_KEY", b5_anthropic(r))],
        ["SESSION_SECRET=", L(B5_GENERIC, b5_generic(r))],
        ["SENTRY_DSN=https://", rnd(r, HEX, 32), "@o", str(r.randint(10000, 999999)), ".ingest.sentry.io/", str(r.randint(1000000, 9999999))],
        ["SUPPORT_EMAIL=", b5_EM(f, r)], ["SUPPORT_PHONE=", b5_PH(r, loc)], ["BUILD_SHA=", rnd(r, HEX, 40)],
        ["EXAMPLE_TOKEN=", b5_PLH(r)], ["JWT_SIGNING_KEY=", L(B5_GENERIC, b5_generic(r))], ["ALLOWED_IP=", b5_IP(f, r)],
        ["FEATURE_FLAGS=checkout_v2,new_search"], [f"REQUEST_TIMEOUT_MS={r.randint(100, 30000)}"],
    ]
    pick = [lines[0]] + r.sample(lines[1:], r.randint(5, 10))
    return b5_flat([[l, "\n"] for l in pick])


def b5_yaml(f, r, loc):
    lang = lang_of(loc)
    k, v = b5_secret(f, r)
    return b5_flat(
        "server:\n", f"  port: {r.choice([8080, 8443, 3000])}\n", "  bind: ", b5_IP(f, r), "\n",
        "database:\n", f"  host: db-{r.randint(1, 9)}.internal\n", "  user: svc_app\n",
        f"  {b5_pw_key(r, lang)}: ", b5_PW(r, lang), "\n",
        f"  pool: {r.randint(5, 50)}\n", "integrations:\n", f"  {k.lower()}: ", L(k, v), "\n",
        "  webhook_secret: ", L(B5_GENERIC, b5_generic(r)), "\n", "  sample_key: ", b5_PLH(r), "  # from vendor docs\n",
        "  fallback_key: '", b5_plh_neg(r), "'\n",
        "alerts:\n", "  email: ", b5_EM(f, r), "\n", "  oncall_phone: '", b5_PH(r, loc), "'\n",
        f"  ticket_prefix: {b5_la(f, r, loc, 'ref')}\n", f"release: {b5_la(f, r, loc, 'ver')}\n")


def b5_toml_key(k):
    return k if k.isascii() else f'"{k}"'


def b5_toml(f, r, loc):
    lang = lang_of(loc)
    return b5_flat(
        f'[package]\nname = "{f.slug()}"\nversion = "{r.randint(0, 3)}.{r.randint(0, 30)}.{r.randint(0, 9)}"\n\n',
        '[database]\nurl = "mysql://root:', b5_PWs(r, lang), '@', b5_IP4(f, r), ':3306/shop"\n', b5_toml_key(b5_pw_key(r, lang)), ' = "', b5_PW(r, lang), '"\n\n',
        '[github]\ntoken = "', L("GITHUB_TOKEN", b5_gh(r)), '"\n', f'app_id = {r.randint(100000, 999999)}\n',
        'private_key = """\n', b5_PEM(r) if r.random() < 0.8 else b5_pem_placeholder(r), '\n"""\n\n',
        '[contact]\nowner = "', b5_EM(f, r), '"\n', f'created = {b5_when(r).strftime("%Y-%m-%dT%H:%M:%SZ")}\n')


def b5_ini(f, r, loc):
    lang = lang_of(loc)
    return b5_flat(
        "; ", b5_pw_neg(r, lang), "\n[client]\n", "host=", b5_IP4(f, r), "\n", "user=backup\n", "password=", b5_PW(r, lang), "\n\n",
        "[smtp]\n", "server=smtp.", f.domain_name(), "\n", "from=", b5_EM(f, r), "\n", f"{b5_pw_key(r, lang)} = ", b5_PW(r, lang), "\n\n",
        "[api]\n", "key=", b5_SEC(f, r), "\n", "; example: key=", b5_PLH(r), "\n", f"timeout={r.randint(1, 120)}\n",
        f"last_sync={b5_la(f, r, loc, 'time')}\n")


def b5_json_text(f, r, loc):
    lang = lang_of(loc)
    return b5_flat(
        '{\n  "ConnectionStrings": {\n    "Default": "Server=', b5_IP4(f, r), ',1433;Database=Orders;User Id=sa;Password=', b5_PW(r, lang),
        ';TrustServerCertificate=True"\n  },\n',
        '  "Smtp": { "User": "', b5_EM(f, r), '", "Password": "', b5_PW(r, lang), '" },\n',
        '  "Payments": { "ApiKey": "', L("STRIPE_KEY", b5_stripe(r)), '", "SampleKey": "', b5_PLH(r), '" },\n',
        f'  "Build": {{ "Sha": "{rnd(r, HEX, 40)}", "Number": {r.randint(1000, 99999)}, "Time": "{b5_la(f, r, loc, "time")}" }},\n',
        '  "Support": { "Phone": "', b5_PH(r, loc), '" }\n}\n')


def b5_xml(f, r, loc):
    lang = lang_of(loc)
    if r.random() < 0.5:
        return b5_flat(
            '<?xml version="1.0" encoding="UTF-8"?>\n<settings>\n  <servers>\n    <server>\n      <id>nexus-releases</id>\n',
            "      <username>ci-bot</username>\n      <password>", b5_PWs(r, lang), "</password>\n    </server>\n",
            "    <server>\n      <id>github</id>\n      <password>", L("GITHUB_TOKEN", b5_gh(r)), "</password>\n    </server>\n  </servers>\n",
            f"  <!-- {b5_la(f, r, loc, 'ver')}, maintainer ", b5_EM(f, r), " -->\n</settings>\n")
    return b5_flat(
        '<configuration>\n  <appSettings>\n    <add key="ApiKey" value="', L("GOOGLE_API_KEY", b5_google(r)), '" />\n',
        '    <add key="AdminPhone" value="', b5_PH(r, loc), '" />\n', f'    <add key="OrderPrefix" value="{b5_la(f, r, loc, "ref")}" />\n',
        '    <add key="ClientSecret" value="', L(B5_GENERIC, rnd(r, AN, r.choice([32, 40]))), '" />\n', '    <add key="DocsKey" value="', b5_PLH(r), '" />\n',
        '  </appSettings>\n  <connectionStrings>\n    <add name="db" connectionString="Data Source=', b5_IP4(f, r),
        ';Initial Catalog=crm;User ID=crm;Password=', b5_PWs(r, lang), '" />\n  </connectionStrings>\n</configuration>\n')


def b5_k8s(f, r, loc):
    lang = lang_of(loc)
    pw = b5_password(r, lang)
    enc = lambda s: base64.b64encode(s.encode()).decode()
    out = ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: ", f.slug(), "-creds\n  namespace: prod\n",
           f"  uid: {f.uuid4()}\ntype: Opaque\ndata:\n", "  username: ", enc(r.choice(["admin", "app", "svc_orders"])), "\n",
           "  password: ", L("PASSWORD", enc(pw)), "\n", "  api-token: ", L(B5_GENERIC, enc(rnd(r, AN, 32))), "\n",
           "  host: ", enc(f.hostname()), "\n"]
    if r.random() < 0.6:
        k, v = b5_secret(f, r)
        out += ["stringData:\n", "  TOKEN: ", L(k, v), "\n", "  ADMIN_EMAIL: ", b5_EM(f, r), "\n"]
    if r.random() < 0.4:
        lines = b5_pem_lines(r, "PRIVATE KEY")
        out += ["  tls.key: |\n    ", B5L("PRIVATE_KEY", "\n    ".join(lines)), "\n"]
    if r.random() < 0.4:
        cert = ["-----BEGIN CERTIFICATE-----"] + [rnd(r, AN + "+/", 64) for _ in range(r.randint(3, 8))] + ["-----END CERTIFICATE-----"]
        out += ["  tls.crt: |\n    ", "\n    ".join(cert), "\n"]
    return b5_flat(out)


def b5_compose(f, r, loc):
    lang = lang_of(loc)
    return b5_flat(
        "services:\n  db:\n    image: postgres:16.", str(r.randint(0, 4)), "\n    environment:\n",
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: ", b5_PW(r, lang), "\n", "    ports:\n      - \"5432:5432\"\n",
        "  api:\n    image: ghcr.io/acme/api@sha256:", rnd(r, HEX, 64), "\n    environment:\n",
        "      - GITHUB_TOKEN=", L("GITHUB_TOKEN", b5_gh(r)), "\n", "      - SLACK_WEBHOOK_TOKEN=", L("SLACK_TOKEN", b5_slack(r)), "\n",
        "      - OPENAI_API_KEY=${OPENAI_API_KEY}\n", "      - ADMIN_EMAIL=", b5_EM(f, r), "\n",
        "    extra_hosts:\n      - \"billing.internal:", b5_IP4(f, r), "\"\n",
        f"    healthcheck:\n      interval: {r.randint(5, 60)}s\n      timeout: {r.randint(1, 10)}s\n")


def b5_curl(f, r, loc):
    lang = lang_of(loc)
    k = r.randrange(3)
    if k == 0:
        return b5_flat(
            f"curl -X POST https://api.{f.domain_name()}/v2/customers \\\n  -H \"Authorization: Bearer ", b5_JWT(f, r), "\" \\\n",
            "  -H 'Content-Type: application/json' \\\n", "  -d '{\"email\": \"", b5_EM(f, r), "\", \"phone\": \"", b5_PH(r, loc),
            f"\", \"ref\": \"{b5_la(f, r, loc, 'ref')}\"}}'\n")
    if k == 1:
        return b5_flat(
            "curl https://api.stripe.com/v1/charges \\\n  -u ", L("STRIPE_KEY", b5_stripe(r)), ": \\\n",
            f"  -d amount={r.randint(100, 99999)} -d currency=eur \\\n", "  -d \"description=", b5_la(f, r, loc, "ref"), "\"\n",
            "# docs use -u ", b5_PLH(r, "sk_"), ":\n")
    return b5_flat(
        f"$ curl -s -H \"X-Api-Key: ", L(B5_GENERIC, rnd(r, HEX, 32)), f"\" \"https://{f.domain_name()}/v1/lookup?imei=",
        b5_la(f, r, loc, "ship").split()[-1], "\"\n",
        f"{{\"status\":\"ok\",\"owner\":\"", b5_EM(f, r), f"\",\"last_seen\":\"", b5_IP(f, r), "\"}\n")


def b5_ua(r):
    """A User-Agent from r alone (Faker's depends on dates)."""
    return r.choice([f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                     f"Chrome/{r.randint(110, 131)}.0.{r.randint(1000, 6999)}.{r.randint(10, 200)} Safari/537.36",
                     f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     f"Version/{r.randint(15, 18)}.{r.randint(0, 6)} Safari/605.1.15",
                     f"python-requests/2.{r.randint(25, 32)}.{r.randint(0, 3)}", f"curl/8.{r.randint(0, 11)}.{r.randint(0, 1)}",
                     f"okhttp/4.{r.randint(9, 12)}.0", f"Go-http-client/{r.choice(['1.1', '2.0'])}"])


def b5_http(f, r, loc):
    k, v = b5_secret(f, r, ["GITHUB_TOKEN", "SLACK_TOKEN", "OPENAI_KEY", "ANTHROPIC_KEY", "JWT"])
    auth = {"GITHUB_TOKEN": "token ", "SLACK_TOKEN": "Bearer ", "OPENAI_KEY": "Bearer ", "ANTHROPIC_KEY": "", "JWT": "Bearer "}[k]
    hname = "x-api-key" if k == "ANTHROPIC_KEY" else "Authorization"
    return b5_flat(
        f"{r.choice(['POST', 'GET', 'PUT'])} /v1/{f.uri_path()} HTTP/1.1\r\n", f"Host: api.{f.domain_name()}\r\n",
        f"User-Agent: {b5_ua(r)}\r\n", hname, ": ", auth, L(k, v), "\r\n",
        "X-Forwarded-For: ", b5_IP(f, r), ", ", b5_IP4(f, r), "\r\n",
        f"X-Request-ID: {f.uuid4()}\r\n", f"Cookie: _ga=GA1.2.{r.randint(10 ** 8, 10 ** 10)}.{r.randint(1500000000, 1790000000)}; session=",
        L(B5_GENERIC, rnd(r, AN, 48)), "\r\n", f"If-None-Match: W/\"{rnd(r, HEX, 32)}\"\r\n", "\r\n",
        "{\"contact\": \"", b5_EM(f, r), "\"}\n")


def b5_csv(f, r, loc):
    lang = lang_of(loc)
    sep = ";" if lang in ("de", "fr", "es", "it", "nl") else ","
    hdr = sep.join(["id", "name", "email", "phone", "iban", "amount", "order_ref", "created"])
    out = [hdr, "\n"]
    for _ in range(r.randint(2, 5)):
        em = b5_email(f, r)
        out += [str(r.randint(1, 99999)), sep, b5_name(f).replace(sep, " "), sep, L("EMAIL", em.upper() if r.random() < 0.2 else em), sep,
                b5_PH(r, loc), sep, b5_IBAN(f, r, False),
                sep, b5_money(r, lang).replace(sep, " "), sep, b5_la(f, r, loc, "ref").split()[-1], sep, b5_when(r).strftime("%Y-%m-%d"), "\n"]
    return b5_flat(out)


B5_INV = {"en": ("INVOICE", "Bill to", "Due", "Pay to", "Total"), "de": ("RECHNUNG", "Rechnungsempfänger", "Fällig", "Bankverbindung", "Gesamt"),
          "fr": ("FACTURE", "Client", "Échéance", "Coordonnées bancaires", "Total TTC"), "es": ("FACTURA", "Cliente", "Vencimiento", "Datos bancarios", "Total"),
          "it": ("FATTURA", "Cliente", "Scadenza", "Coordinate bancarie", "Totale"), "nl": ("FACTUUR", "Klant", "Vervaldatum", "Rekening", "Totaal")}


def b5_invoice(f, r, loc):
    lang = lang_of(loc)
    h = B5_INV[lang]
    lines = []
    for _ in range(r.randint(1, 4)):
        lines += [f"  {r.randint(1, 20)} x {b5_la(f, r, loc, 'ship')}  {b5_money(r, lang)}\n"]
    return b5_flat(
        f"{h[0]} {b5_la(f, r, loc, 'ref').split()[-1]}\n", f"{clean(f.company())}\n", f"VAT {rnd(r, string.ascii_uppercase, 2)}{rnd(r, string.digits, 9)}\n\n",
        f"{h[1]}: {b5_name(f)}, {clean(f.street_address())}\n", "E-mail: ", b5_EM(f, r), "\n\n", lines,
        f"\n{h[4]}: {b5_money(r, lang)}   {h[2]}: {b5_when(r).strftime('%d.%m.%Y')}\n",
        f"{h[3]}: IBAN ", b5_IBAN(f, r, True), f"  BIC {rnd(r, string.ascii_uppercase, 8)}\n", f"Reference: {b5_rf(r)}\n")


def b5_shipping(f, r, loc):
    lang = lang_of(loc)
    return b5_flat(
        f"Shipping note — {b5_la(f, r, loc, 'ref')}\n", f"Tracking: {b5_tracking(r)}\n", f"Weight: {r.randint(1, 40)}.{r.randint(0, 9)} kg, ",
        f"{r.randint(1, 6)} parcels, pickup {b5_la(f, r, loc, 'time')}\n", f"Deliver to: {b5_name(f)}, {clean(f.address())}\n",
        {"en": "Courier to call ", "de": "Fahrer bitte anrufen: ", "fr": "Livreur : appeler le ", "es": "El repartidor debe llamar al ",
         "it": "Il corriere chiami il ", "nl": "Koerier belt "}[lang], b5_PH(r, loc), f" before delivery. Geo {b5_geo(r)}\n",
        f"Items: {b5_la(f, r, loc, 'ship')}; {b5_la(f, r, loc, 'ship')}\n")


def b5_transfer(f, r, loc):
    lang = lang_of(loc)
    intro = {"en": "Please wire the amount below to our account:", "de": "Bitte überweisen Sie den Betrag auf folgendes Konto:",
             "fr": "Merci d'effectuer le virement sur le compte suivant :", "es": "Realice la transferencia a la siguiente cuenta:",
             "it": "Effettuare il bonifico sul seguente conto:", "nl": "Gelieve het bedrag over te maken naar:"}[lang]
    return b5_flat(
        intro, "\n\n", f"Beneficiary: {clean(f.company())}\n", "IBAN: ", b5_IBAN(f, r), "\n",
        f"BIC/SWIFT: {rnd(r, string.ascii_uppercase, 6)}{rnd(r, string.ascii_uppercase + string.digits, 2)}\n",
        f"Amount: {b5_money(r, lang)}\n", f"Remittance info: {b5_la(f, r, loc, 'ref')}\n",
        f"(do NOT use our old account {b5_num(f, r) if r.random() < 0.5 else bad_iban(f, r)})\n",
        "Questions: ", b5_EM(f, r), " or ", b5_PH(r, loc), "\n")


def b5_medical(f, r, loc):
    dob = b5_when(r, -1262304000, 1104537600)
    return b5_flat(
        "PATIENT INTAKE / INSURANCE VERIFICATION\n", f"Patient: {b5_name(f)}    DOB: {dob.strftime('%m/%d/%Y')}\n",
        "SSN: ", b5_SSN(r), f"    Member ID: {rnd(r, string.ascii_uppercase, 3)}{r.randint(100000000, 999999999)}\n",
        f"Group #: {r.randint(10000, 999999)}    Policy: {rnd(r, string.ascii_uppercase, 2)}{r.randint(100000000, 999999999)}\n",
        f"Provider NPI: {r.randint(1000000000, 1999999999)}    Dx: {r.choice(['E11.9', 'J45.909', 'I10', 'M54.5', 'Z00.00'])}\n",
        "Phone (home): ", b5_PH(r, "en_US", "US"), "    Email: ", b5_EM(f, r), "\n",
        "Card on file for copay: ", b5_CC(f, r), f"    Copay: ${r.randint(10, 80)}.00\n",
        f"Claim {r.randint(100000000, 999999999)} submitted {b5_la(f, r, loc, 'time')}\n")


def b5_payroll(f, r, loc):
    lang = lang_of(loc)
    return b5_flat(
        f"Payroll note {b5_when(r).strftime('%B %Y')}: {b5_name(f)} moved to the US entity.\n",
        "New SSN on W-4: ", b5_SSN(r), f"; old EIN on file {r.randint(10, 99)}-{r.randint(1000000, 9999999)} (employer, not hers).\n",
        f"Direct deposit: routing 0{r.randint(11000000, 99999999)}, acct ****{r.randint(1000, 9999)}; EU salary account ",
        b5_IBAN(f, r), " closes end of month.\n", f"Gross {b5_money(r, 'en')}, bonus {b5_money(r, 'en')}.\n",
        "Reach them at ", b5_PH(r, loc), ". ", b5_pw_neg(r, lang), "\n")


def b5_paste(f, r, loc):
    lang = lang_of(loc)
    k = r.randrange(6)
    if k == 0:
        return b5_flat(b5_EM(f, r), {"en": " - can you add her to the distribution list?", "de": " bitte in den Verteiler aufnehmen",
                                     "fr": " : à ajouter à la liste svp", "es": " -> añadir a la lista", "it": " da aggiungere alla lista",
                                     "nl": " graag toevoegen aan de lijst"}[lang])
    if k == 1:
        return b5_flat(b5_PH(r, loc), "\n", b5_name(f), "\n", b5_la(f, r, loc, "ref"))
    if k == 2:
        return b5_flat(b5_SEC(f, r))
    if k == 3:
        return b5_flat(b5_PEM(r), "\n")
    if k == 4:
        return b5_flat(b5_IBAN(f, r), " ", b5_money(r, lang), " ", b5_la(f, r, loc, "ref"))
    return b5_flat(b5_IP(f, r), r.choice([" - - [", " "]), b5_when(r).strftime("%d/%b/%Y:%H:%M:%S +0000"), '] "GET /login HTTP/1.1" 401 ',
                   str(r.randint(100, 9000)))


def b5_readme(f, r, loc):
    lang = lang_of(loc)
    intro = {"en": "Set the following variables before running the tool", "de": "Vor dem Start folgende Variablen setzen",
             "fr": "Définissez les variables suivantes avant de lancer l'outil", "es": "Define estas variables antes de ejecutar",
             "it": "Imposta queste variabili prima di avviare", "nl": "Zet deze variabelen voordat je de tool start"}[lang]
    return b5_flat(
        f"## Configuration\n\n{intro} (values below are examples from the vendor docs):\n\n```bash\n",
        "export AWS_ACCESS_KEY_ID=", b5_PLH(r, ("AKIA", "ASIA")), "\n", "export GITHUB_TOKEN=", b5_PLH(r, "g"), "\n",
        "export STRIPE_API_KEY=", b5_plh_neg(r), "\n```\n\n",
        "For SSH deploys put your key in `deploy.pem`:\n\n```\n", b5_pem_placeholder(r), "\n```\n\n",
        r.choice([B5_PW["en"][1][i] for i in (0, 2, 6, 10)]), " The default admin password is `changeme` - change it.\n\n",
        f"Questions: open an issue or write to ", b5_EM(f, r), f". Tested with {b5_ver(r)} on {b5_time(r)}.\n")


B5_TEXT_KINDS = [b5_readme, b5_paste, b5_ticket, b5_chat, b5_email_thread, b5_crm, b5_hr, b5_incident, b5_shell, b5_ci, b5_trace, b5_sql, b5_env,
                 b5_yaml, b5_toml, b5_ini, b5_json_text, b5_xml, b5_k8s, b5_compose, b5_curl, b5_http, b5_csv, b5_invoice,
                 b5_shipping, b5_transfer, b5_medical, b5_payroll]


def b5_text(f, r, loc):
    return r.choice(B5_TEXT_KINDS)(f, r, loc)


# ---------- blind5 JSON documents (tool calls and results) ----------

def b5_jtext(f, r, loc, kinds=None):
    """A text document as the value of a JSON string."""
    parts = r.choice(kinds or B5_TEXT_KINDS)(f, r, loc)
    out = []
    for p in parts:
        if isinstance(p, L) and ("\n" in p.text or "\\" in p.text):
            p = B5L(p.typ, " ".join(x.strip() for x in p.text.split("\n")))
        out.append(p)
    return b5_js(out)


def b5_arr(*items):
    """A JSON array of strings (each item a list of parts)."""
    return [b5_js(x) for x in items]


def b5_json(f, r, loc):
    lang = lang_of(loc)
    k = r.randrange(16)
    if k == 0:
        return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "method": "tools/call", "params": {"name": "gmail.send", "arguments": {
            "to": b5_arr([b5_EM(f, r)], [b5_name(f), " <", b5_EM(f, r), ">"]), "subject": b5_js(b5_la(f, r, loc, "ref")),
            "body": b5_jtext(f, r, loc, [b5_email_thread, b5_ticket, b5_transfer])}}}
    if k == 1:
        return {"tool_calls": [{"id": "call_" + rnd(r, AN, 24), "type": "function", "function": {"name": "crm_upsert_contact", "arguments": {
            "contact": {"name": b5_name(f), "emails": b5_arr([b5_EM(f, r)]), "phones": [{"type": "mobile", "number": b5_js(b5_PH(r, loc))},
                                                                                        {"type": "work", "number": b5_js(b5_PH(r, loc))}],
                        "customer_no": b5_js(b5_la(f, r, loc, "ref")), "tags": b5_arr(["vip"], [b5_la(f, r, loc, "ver")])},
            "note": b5_js(b5_pw_neg(r, lang), " ", b5_la(f, r, loc))}}}]}
    if k == 2:
        cmd, kind = r.choice([("cat .env", b5_env), ("cat config.yaml", b5_yaml), ("kubectl get secret app -o yaml", b5_k8s),
                              ("history | tail -20", b5_shell), ("cat docker-compose.yml", b5_compose), ("cat /etc/mysql/conf.d/backup.cnf", b5_ini),
                              ("cat config/app.toml", b5_toml)])
        return {"tool": "shell", "input": {"command": cmd},
                "output": {"exit_code": 0, "stdout": b5_jtext(f, r, loc, [kind]), "duration_ms": r.randint(3, 4000)}}
    if k == 3:
        return {"name": "sql_query", "arguments": {"query": b5_jtext(f, r, loc, [b5_sql]), "database": "prod"},
                "result": {"rows": [{"id": r.randint(1, 99999), "email": b5_js(b5_EM(f, r)), "ssn": b5_js(b5_SSN(r)),
                                     "routing": b5_js(r.choice(["021000021", "026009593", "111000025"])), "created": b5_js(b5_la(f, r, loc, "time"))}]}}
    if k == 4:
        t, v = b5_secret(f, r, ["GITHUB_TOKEN", "OPENAI_KEY", "ANTHROPIC_KEY", "JWT", "SLACK_TOKEN"])
        return {"tool": "http_request", "arguments": {"method": "POST", "url": f"https://api.{f.domain_name()}/v3/{f.uri_path()}",
                                                     "headers": {"Authorization": b5_js("Bearer ", L(t, v)), "Content-Type": "application/json",
                                                                 "X-Forwarded-For": b5_js(b5_IP(f, r)), "Idempotency-Key": f.uuid4()},
                                                     "body": {"customer": {"email": b5_js(b5_EM(f, r)), "tax_id": b5_js(b5_la(f, r, loc, "num"))}}}}
    if k == 5:
        return {"tool": "payments.create_charge", "arguments": {"amount_cents": r.randint(100, 500000), "currency": r.choice(["eur", "usd", "gbp"]),
                                                              "source": {"number": b5_js(b5_CC(f, r)), "exp": f"{r.randint(1, 12):02d}/{r.randint(26, 32)}",
                                                                         "cvc": b5_js(rnd(r, string.digits, 3))},
                                                              "metadata": {"order": b5_js(b5_la(f, r, loc, "ref")), "old_card": b5_js(b5_badcard(r))}},
                "auth": {"api_key": b5_js(L("STRIPE_KEY", b5_stripe(r)))}}
    if k == 6:
        return {"method": "tools/call", "params": {"name": "hr_create_employee", "arguments": {"employee": {
            "legal_name": b5_name(f), "ssn": b5_js(b5_SSN(r)), "bank": {"iban": b5_js(b5_IBAN(f, r)), "bic": rnd(r, string.ascii_uppercase, 8)},
            "contact": {"phone": b5_js(b5_PH(r, loc)), "email": b5_js(b5_EM(f, r))}, "badge": b5_js(b5_la(f, r, loc, "ship")),
            "initial_password": b5_js(b5_PW(r, lang))}}}}
    if k == 7:
        return {"tool": "vault.kv_put", "arguments": {"path": f"secret/data/{f.slug()}", "data": {
            "token": b5_js(b5_SEC(f, r)), "client_secret": b5_js(b5_GEN(r)), "example": b5_js(b5_PLH(r)),
            "fallback": b5_plh_neg(r), "private_key": b5_js(b5_PEM(r, " ")), "rotated_at": b5_js(b5_la(f, r, loc, "time"))}}}
    if k == 8:
        rows = []
        for _ in range(r.randint(2, 4)):
            t, v = ("IPV6", b5_ipv6(f, r)) if r.random() < 0.35 else ("IPV4", b5_ipv4(f, r))
            rows.append({"@timestamp": b5_js(b5_la(f, r, loc, "time")), "client.ip": b5_js(L(t, v)), "http.status": r.choice([200, 401, 403, 500]),
                         "message": b5_js(r.choice([["login failed for ", b5_EM(f, r)], ["GET /orders/", b5_la(f, r, loc, "ref").split()[-1]],
                                                    ["trace ", b5_la(f, r, loc, "hash")], ["user agent ", b5_ua(r)]]))})
        return {"tool": "logs.search", "arguments": {"query": "status:[400 TO 599]", "since": "now-1h"}, "result": {"hits": rows}}
    if k == 9:
        return {"tool": "github.create_issue", "arguments": {"repo": f"{f.user_name()}/{f.slug()}", "title": b5_js("CI broken since ", b5_la(f, r, loc, "hash")),
                                                             "body": b5_jtext(f, r, loc, [b5_ci, b5_trace, b5_incident]), "labels": b5_arr(["bug"], ["ci"])}}
    if k == 10:
        return {"type": "tool_result", "tool_use_id": "toolu_" + rnd(r, AN, 24), "content": [{"type": "text", "text": b5_jtext(f, r, loc)}]}
    if k == 11:
        return {"tool": "calendar.create_event", "arguments": {"title": b5_js(b5_la(f, r, loc, "ref")), "start": b5_when(r).isoformat(),
                                                               "attendees": [{"email": b5_js(b5_EM(f, r)), "optional": False} for _ in range(r.randint(1, 3))],
                                                               "location": b5_js(b5_geo(r)), "dial_in": b5_js(b5_PH(r, loc), " PIN ", rnd(r, string.digits, 6), "#")}}
    if k == 12:
        return {"name": "write_config", "arguments": {"path": "/etc/app/config.json", "content": {
            "db": {"host": b5_js(b5_IP4(f, r)), "port": 5432, "user": "app", b5_pw_key(r, lang): b5_js(b5_PW(r, lang))},
            "providers": {"openai": {"api_key": b5_js(L("OPENAI_KEY", b5_openai(r)))}, "maps": {"key": b5_js(L("GOOGLE_API_KEY", b5_google(r)))},
                          "aws": {"access_key_id": b5_js(L("AWS_ACCESS_KEY", b5_aws(r))), "secret_access_key": b5_js(L(B5_GENERIC, rnd(r, AN + "/+", 40)))}},
            "docs_example": {"api_key": b5_js(b5_PLH(r))}, "version": b5_js(b5_la(f, r, loc, "ver")), "checksum": b5_js(b5_la(f, r, loc, "hash"))}}}
    if k == 13:
        return {"tool": "support.reply", "arguments": {"ticket": b5_js(b5_la(f, r, loc, "ref")), "message": b5_js(
            r.choice(B5_HELLO[lang]).format(n=clean(f.first_name())), " ", b5_pw_sentence(r, lang), " ", b5_pw_neg(r, lang)),
            "internal_note": b5_js(b5_la(f, r, loc), " / ", b5_tel(r, loc), " ", b5_PH(r, loc))}}
    if k == 14:
        items = [{"sku": b5_js(b5_ship(r, loc)), "qty": r.randint(1, 9), "price": b5_js(b5_money(r, lang))} for _ in range(r.randint(1, 3))]
        return {"tool": "erp.create_order", "arguments": {"order": {"ref": b5_js(b5_la(f, r, loc, "ref")), "items": items,
                                                                     "ship_to": {"name": b5_name(f), "phone": b5_js(b5_PH(r, loc)), "geo": b5_js(b5_geo(r))},
                                                                     "billing": {"iban": b5_js(b5_IBAN(f, r)), "reference": b5_js(b5_rf(r))}}}}
    return {"tool": "slack.post_message", "arguments": {"channel": f"#{r.choice(['deploys', 'ops', 'sales'])}", "text": b5_js(
        r.choice(["token for the new bot: ", "rotated, new key ", "FYI prod key leaked: "]), b5_SEC(f, r), r.choice(["", " (please delete this msg)"])),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": b5_js("sample in docs: ", b5_PLH(r), " – ", b5_plh_neg(r))}}],
        "as_user": {"token": b5_js(L("SLACK_TOKEN", b5_slack(r)))}}}


def b5_labels(v):
    """The labelled pieces of a document, in the order Writer writes them."""
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b5_labels(y)]
    if isinstance(v, list):
        return [x for y in v for x in b5_labels(y)]
    return []


def b5_check(i, kind, doc, w, text):
    """Self-check: each span holds its label's text; JSON documents parse and each labelled span lies inside
    a string that decodes to the same bytes before it (no escape ahead of a label)."""
    want = b5_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        assert sp["type"] == lab_.typ and w.buf[sp["start"]:sp["end"]].decode("utf-8") == lab_.text, (i, sp)
        assert lab_.text.strip() == lab_.text and lab_.text, (i, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)


def main():
    splits = {"dev": (dev_text, dev_json), "heldout": (held_text, held_json), "blind2": (blind_text, blind_json),
              "blind3": (b3_text, b3_json), "blind4": (b4_text_top, b4_json), "blind5": (b5_text, b5_json),
              "blind6": (b6_text, b6_json), "blind7": (b7_text, b7_json), "blind8": (b8_text, b8_json),
              "blind9": (b9_text, b9_json), "blind10": (b10_text, b10_json),
              "blind11": (b11_text, b11_json), "blind12": (b12_text, b12_json),
              "blind13": (b13_text, b13_json), "blind14": (b14_text, b14_json),
              "blind15": (b15_text, b15_json)}
    if len(sys.argv) != 5 or sys.argv[4] not in splits:
        raise SystemExit("usage: pii_corpus_real.py OUT_DIR N_DOCS SEED dev|heldout|blind2|blind3|blind4|blind5|blind6|blind7|blind8|blind9|blind10|blind11|blind12|blind13|blind14|blind15")
    out, n, seed, split = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    text_t, json_t = splits[split]
    os.makedirs(out, exist_ok=True)
    r = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed * 31 + i)
    b5_counts = {}
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
            if split == "blind5":
                b5_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind6":  # self-check: spans hold their labels' values, values pass their checksums, JSON parses
                b6_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind7":  # the same self-check, with blind7's own value checks
                b7_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind8":  # blind8's own self-check (spans, values, JSON, no escape ahead of a label)
                b8_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind9":  # blind9's self-check (blind8's value checks, blind9's placeholder list)
                b9_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind10":  # blind10's own self-check (spans, values, placeholders, JSON, no escape ahead of a label)
                b10_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind11":  # blind11's own self-check (spans, values and checksums, JWT headers, placeholders, JSON, no escape ahead of a label)
                b11_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind12":  # blind12's own self-check (spans, values and checksums, JWT headers, placeholders, JSON, no escape ahead of a label)
                b12_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind13":  # blind13's own self-check (spans, values and checksums, IIN ranges, IBAN lengths, JWT headers, placeholders, JSON, no escape ahead of a label)
                b13_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind14":  # blind14's own self-check (spans, values and checksums, IIN ranges, IBAN lengths, JWT headers, placeholders, JSON, no escape ahead of a label)
                b14_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            if split == "blind15":  # blind15's own self-check (spans, values and checksums, IIN ranges, IBAN lengths, JWT headers, placeholder shapes, JSON, no escape ahead of a label)
                b15_check(i, kind, doc, w, text)
                for sp in w.spans:
                    b5_counts[sp["type"]] = b5_counts.get(sp["type"], 0) + 1
            c.write(json.dumps({"id": i, "kind": kind, "text": text}, ensure_ascii=False) + "\n")
            lab.write(json.dumps({"id": i, "spans": w.spans, "strings": w.strings}) + "\n")
    if split in ("blind5", "blind6", "blind7", "blind8", "blind9", "blind10", "blind11", "blind12", "blind13", "blind14", "blind15"):  # gold spans per type (stderr: stdout stays empty like the other splits)
        for t, k in sorted(b5_counts.items(), key=lambda x: -x[1]):
            print(f"{t:<16}{k:>6}", file=sys.stderr)



# ---------- blind6 (seed 707) ----------
# A seventh split, templates B6_* / b6_*, written by a helper who never read the detection rules,
# their docs or history and never ran the engine on it: the documents are the writer's own idea of
# what an agent sends to its tools (helpdesk tickets, chat, e-mail threads with quoted replies and
# signatures in the seven languages, CRM / HR notes, post-mortems, shell history, CI logs, stack
# traces, SQL, .env / YAML / TOML / INI / JSON / XML config, Kubernetes secrets, docker-compose,
# curl, HTTP dumps, CSV, invoices, shipping notes, transfer instructions, US medical / insurance
# forms, payroll notes, nginx logs, code under review, tfvars; tool-call JSON: MCP tools/call,
# tool_use blocks, CRM / HR / payment / order records, webhook events, log-search hits, kubectl
# output). Labels follow the lead's taxonomy: DATE_OF_BIRTH only where the text says the date is
# a birth date; GENERIC_SECRET for secrets with no vendor shape (client secrets, AWS secret access
# keys, signing keys, session cookies, unbranded API keys, CVC/CVV); PASSWORD for the password
# part of a connection string / CLI flag / config value / sentence; a Kubernetes Secret's base64
# value is labelled as what it encodes. Key-shaped documentation examples are PLACEHOLDER; stand-
# ins that are not key-shaped (`xxxx`, `<your-token>`, `${TOKEN}`, `changeme`, `********`) are not
# labelled. Look-alikes left unlabelled: order / ticket / invoice / case / tracking / policy /
# account numbers, SKUs, EAN-13 / UPC-A / ISBN with valid check digits, Luhn-valid IMEIs, serials,
# versions and build numbers (also IPv4-shaped ones), timestamps and epochs, durations, money,
# coordinates, git / SHA-256 / MD5 hex, UUIDs, base64 blobs, Luhn-failing card numbers, IBANs with
# wrong check digits, ABA routing numbers, EINs, NPIs and other 9-digit ids, MAC addresses and SSH
# fingerprints, Stripe / OpenAI / Anthropic object ids, Stripe publishable keys (pk_live_), Google
# OAuth client ids and Firebase app ids, AWS ARNs, git remotes and npm specs, public certificates
# and public keys, non-birth dates next to birth dates (hire, visit, invoice dates).
# Reproducible: no wall clock (birth dates are drawn against 2026-12-01) and no Faker call whose
# output depends on PYTHONHASHSEED (it_IT city()).

import ipaddress  # noqa: E402
import re  # noqa: E402
import unicodedata  # noqa: E402


class B6L(L):
    """A labelled piece kept verbatim (line breaks, quotes and all)."""
    def __init__(self, typ, text):
        self.typ, self.text = typ, text


def b6_pick(lang, xs):
    """The item for `lang` from a list written in B6_LANGS order (en de fr es it nl)."""
    return xs[B6_LANGS.index(lang)]


def b6_pad(s, c, n):
    return (s + c * n)[:n]


B6_LANGS = ["en", "de", "fr", "es", "it", "nl"]

# ---------- blind6 entity values ----------

B6_PWWORDS = {
    "en": ["harbor", "pancake", "lantern", "granite", "walrus", "meadow", "copper", "biscuit", "quasar", "juniper"],
    "de": ["Gartenzaun", "Brötchen", "Kaffeetasse", "Maulwurf", "Tannenbaum", "Schneeflocke", "Hafen", "Kirsche"],
    "fr": ["papillon", "château", "fromage", "hibou", "étoile", "noisette", "baguette", "Normandie"],
    "es": ["mariposa", "cigüeña", "aceituna", "guitarra", "Valencia", "tortilla", "azulejo", "pimiento"],
    "it": ["farfalla", "cappuccino", "lucertola", "gelato", "Vesuvio", "pomodoro", "castello", "gondola"],
    "nl": ["fietsbel", "tulpenveld", "molenwiek", "dijkgraaf", "haring", "Texel", "pindakaas", "kruidnoot"],
}
B6_SYM = "!#$%&*+-=?@^_~"


def b6_pw(r, lang="en", safe=False):
    """A password. safe: letters, digits, '-', '_', '.' only in the middle (URLs, unquoted shell and XML)."""
    words = B6_PWWORDS[lang if lang in B6_PWWORDS else "en"]
    while True:
        k = r.randrange(8)
        if k == 0:
            v = r.choice(words).capitalize() + str(r.randint(1970, 2026)) + r.choice("!#$%&*?+")
        elif k == 1:
            v = rnd(r, string.ascii_letters, 1) + rnd(r, AN + B6_SYM, r.randint(11, 23))
        elif k == 2:
            v = "-".join(r.sample(words, 3)) + "-" + str(r.randint(1, 99))
        elif k == 3:
            w = r.choice(words)
            v = "".join({"a": "@", "e": "3", "o": "0", "i": "!", "s": "5", "t": "7"}.get(c, c) for c in w) + str(r.randint(10, 99))
        elif k == 4:
            v = rnd(r, AN, r.choice([16, 20, 32]))
        elif k == 5:
            v = r.choice(words) + r.choice(".+_") + r.choice(words).capitalize() + str(r.randint(1, 9))
        elif k == 6:
            v = rnd(r, string.ascii_uppercase, 2) + rnd(r, string.digits, 4) + rnd(r, string.ascii_lowercase, 3) + r.choice("!?#*")
        else:
            v = r.choice(words)[:5] + rnd(r, string.digits, 2) + r.choice(words)[:4].upper() + r.choice("%&=")
        if safe:
            v = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "" for c in v)
        v = v.strip(".-_")
        if len(v) >= 8:
            return v


def b6_phone(r, loc, other=0.12, intl_only=False):
    home = REGION[loc]
    region = home if r.random() > other else r.choice(OTHER_REGIONS)
    variants = ["national", "national", "national", "intl", "intl", "e164", "dashes", "dots", "intl00", "intl_dashes", "intl_trunk"]
    if region != home or intl_only:
        variants = ["intl", "intl", "e164", "intl00", "intl_trunk"]
    v = phone(r, region, variants)
    if region != home and not v.startswith(("+", "00")):
        v = phone(r, region, ["intl"])
    if loc == "fr_FR" and r.random() < 0.15:
        v = v.replace(" ", "\u00a0")
    return v


def b6_PH(r, loc, **kw):
    return B6L("PHONE", b6_phone(r, loc, **kw))


B6_TLD = {"en_US": ["com", "us", "net"], "en_GB": ["co.uk", "org.uk", "com"], "de_DE": ["de", "com"], "fr_FR": ["fr", "com"],
          "es_ES": ["es", "com"], "it_IT": ["it", "com"], "nl_NL": ["nl", "com"]}


B6_CITIES = {"en_US": ["Denver", "Tulsa", "Sacramento", "Raleigh"], "en_GB": ["Leeds", "Bristol", "Norwich", "Cardiff"],
             "de_DE": ["Leipzig", "Münster", "Kassel", "Rostock"], "fr_FR": ["Nantes", "Lille", "Grenoble", "Besançon"],
             "es_ES": ["Zaragoza", "Málaga", "Valladolid", "Gijón"], "it_IT": ["Bergamo", "Lecce", "Trieste", "Perugia"],
             "nl_NL": ["Zwolle", "Haarlem", "Tilburg", "Groningen"]}


def b6_ascii_upper(k):
    return unicodedata.normalize("NFKD", k).encode("ascii", "ignore").decode().upper()


def b6_city(r, loc):
    return r.choice(B6_CITIES[loc])  # not Faker's city(): for it_IT it depends on PYTHONHASHSEED


def b6_ascii(s):
    s = unicodedata.normalize("NFKD", s.replace("ß", "ss"))
    return "".join(c for c in s.lower() if c.isascii() and c.isalnum())


def b6_email(f, r, loc, first=None, last=None):
    k = r.randrange(6)
    first = b6_ascii(first or f.first_name()) or "info"
    last = b6_ascii(last or f.last_name()) or "team"
    dom = b6_ascii(f.last_name()) + r.choice(["", "-" + r.choice(["group", "gmbh", "sa", "srl", "bv", "ltd", "inc"]), "tech"]) + "." + r.choice(B6_TLD[loc])
    if k == 0:
        return f.email(safe=False)  # not example.com/org/net (documentation domains)
    if k == 1:
        return f"{first}.{last}@{dom}"
    if k == 2:
        return f"{first[0]}{last}{r.randint(1, 99)}@{f.free_email_domain()}"
    if k == 3:
        return f"{first}+{r.choice(['shop', 'bills', 'news', 'work', 'amzn'])}@{f.free_email_domain()}"
    if k == 4:
        return f"{first.capitalize()}.{last.capitalize()}@{r.choice(['mail.', 'eu.', 'corp.'])}{dom}"
    return f"{r.choice(['billing', 'support', 'hr', 'payroll', 'ops', 'kontakt', 'contacto', 'ufficio'])}@{dom}"


def b6_EM(f, r, loc, **kw):
    return B6L("EMAIL", b6_email(f, r, loc, **kw))


def b6_card(f, r):
    kind = r.choice(["visa16", "visa16", "visa16", "mastercard", "mastercard", "amex", "discover", "jcb16", "diners", "visa19"])
    n = f.credit_card_number(card_type=kind)
    g = r.random()
    if len(n) == 16 and g < 0.55:
        sep = r.choice([" ", " ", "-"])
        n = sep.join(n[i:i + 4] for i in range(0, 16, 4))
    elif len(n) == 15 and g < 0.5:
        n = f"{n[:4]} {n[4:10]} {n[10:]}"
    return n


def b6_CC(f, r):
    return B6L("CREDIT_CARD", b6_card(f, r))


B6_IBAN_FMT = {"DE": "n18", "FR": "n10n11n2", "ES": "n20", "IT": "a1n22", "NL": "a4n10", "GB": "a4n14", "BE": "n12",
               "AT": "n16", "CH": "n17", "IE": "a4n14", "PT": "n21", "LU": "n16", "PL": "n24", "DK": "n14", "SE": "n20"}
B6_HOME_CC = {"en_US": "GB", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b6_mod97(s):
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97


def b6_iban_raw(r, loc, valid=True):
    cc = B6_HOME_CC[loc] if r.random() < 0.75 else r.choice(list(B6_IBAN_FMT))
    bban = ""
    for kind, n in re.findall(r"([an])(\d+)", B6_IBAN_FMT[cc]):
        bban += rnd(r, string.ascii_uppercase if kind == "a" else string.digits, int(n))
    chk = 98 - b6_mod97(cc + "00" + bban)
    if not valid:  # a wrong check digit pair (typo'd or made up)
        chk = r.choice([c for c in range(2, 99) if c != chk])
    return f"{cc}{chk:02d}{bban}"


def b6_iban(r, loc, valid=True, grouped=None):
    v = b6_iban_raw(r, loc, valid)
    if (r.random() < 0.5) if grouped is None else grouped:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return v


def b6_IBAN(r, loc, grouped=None):
    return B6L("IBAN", b6_iban(r, loc, True, grouped))


def b6_ssn(r, style=None):
    a, g, s = ssn(r)
    style = style or r.choice(["dash", "dash", "dash", "space", "bare"])
    return {"dash": f"{a:03d}-{g:02d}-{s:04d}", "space": f"{a:03d} {g:02d} {s:04d}", "bare": f"{a:03d}{g:02d}{s:04d}"}[style]


def b6_SSN(r, style=None):
    return B6L("US_SSN", b6_ssn(r, style))


def b6_ipv4(f, r):
    return r.choice([f.ipv4_public, f.ipv4_public, f.ipv4_private])()


B6_V6_PREFIX = ["2a01:4f8", "2a02:8108", "2001:67c", "2600:1f18", "2a00:1450", "2603:1030", "2a05:d014", "2001:1c00", "2a02:a46f"]


def b6_ipv6(f, r):
    k = r.randrange(3)
    if k == 0:
        return f.ipv6()
    pre = r.choice(B6_V6_PREFIX).split(":")
    groups = pre + [format(r.randrange(1 << 16), "x") for _ in range(8 - len(pre))]
    if k == 1:
        for i in range(r.randint(3, 5), 7):
            groups[i] = "0"
    return ipaddress.IPv6Address(":".join(groups)).compressed


def b6_IP4(f, r):
    return B6L("IPV4", b6_ipv4(f, r))


def b6_IP6(f, r):
    return B6L("IPV6", b6_ipv6(f, r))


def b6_IP(f, r):
    return b6_IP6(f, r) if r.random() < 0.3 else b6_IP4(f, r)


B6_MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"],
}


def b6_datefmt(d, r, loc, iso_p=0.15):
    lang = lang_of(loc)
    m = B6_MONTHS[lang][d.month - 1]
    if r.random() < iso_p:
        return d.isoformat()
    opts = {
        "en_US": [d.strftime("%m/%d/%Y"), d.strftime("%m/%d/%Y"), f"{m} {d.day}, {d.year}", f"{d.month}/{d.day}/{d.year}", f"{m[:3]} {d.day:02d} {d.year}"],
        "en_GB": [d.strftime("%d/%m/%Y"), f"{d.day} {m} {d.year}", f"{d.day} {m[:3]} {d.year}"],
        "de_DE": [d.strftime("%d.%m.%Y"), d.strftime("%d.%m.%Y"), f"{d.day}. {m} {d.year}", f"{d.day}.{d.month}.{d.year}"],
        "fr_FR": [d.strftime("%d/%m/%Y"), f"{d.day} {m} {d.year}", d.strftime("%d.%m.%Y")],
        "es_ES": [d.strftime("%d/%m/%Y"), f"{d.day} de {m} de {d.year}", d.strftime("%d-%m-%Y")],
        "it_IT": [d.strftime("%d/%m/%Y"), f"{d.day} {m} {d.year}", d.strftime("%d.%m.%Y")],
        "nl_NL": [d.strftime("%d-%m-%Y"), f"{d.day} {m} {d.year}", d.strftime("%d/%m/%Y")],
    }[loc]
    return r.choice(opts)


def b6_birth(r, min_age, max_age):
    """A birth date between min_age and max_age years before 2026-12-01 (no wall clock: the split is reproducible)."""
    ref = datetime.date(2026, 12, 1)
    return ref - datetime.timedelta(days=r.randint(min_age * 365 + 1, max_age * 365 + 360))


def b6_dob(f, r, loc, iso_p=0.15):
    return b6_datefmt(b6_birth(r, 16, 90), r, loc, iso_p)


def b6_day(r, lo=2019, hi=2026):
    return datetime.date(r.randint(lo, hi), r.randint(1, 12), r.randint(1, 28))


def b6_other_date(r, loc, iso_p=0.2):
    return b6_datefmt(b6_day(r), r, loc, iso_p)


B6_DOB_LEAD = {
    "en": ["DOB: ", "Date of birth: ", "born on ", "D.O.B. ", "Birthdate ", "date of birth "],
    "de": ["Geburtsdatum: ", "geb. am ", "geboren am ", "Geb.-Datum ", "Geburtsdatum "],
    "fr": ["Date de naissance : ", "né le ", "née le ", "date de naiss. ", "Né(e) le "],
    "es": ["Fecha de nacimiento: ", "nacido el ", "nacida el ", "F. nacimiento ", "fecha nac.: "],
    "it": ["Data di nascita: ", "nato il ", "nata il ", "data di nascita ", "nata a Bari il "],
    "nl": ["Geboortedatum: ", "geboren op ", "geb. ", "geboortedatum "],
}


def b6_DOB(f, r, loc, lead=True):
    lang = lang_of(loc)
    out = [r.choice(B6_DOB_LEAD[lang])] if lead else []
    return out + [B6L("DATE_OF_BIRTH", b6_dob(f, r, loc))]


# ---------- blind6 secrets ----------

def b6_aws(r):
    return r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) + rnd(r, string.ascii_uppercase + "234567", 16)


def b6_aws_secret(r):
    return rnd(r, AN + "/+", 40)


def b6_gh(r, prefix=None):
    p = prefix or r.choice(GH_PREFIXES + ["github_pat_", "ghp_"])
    if p == "github_pat_":
        return "github_pat_11" + rnd(r, string.ascii_uppercase + string.digits, 20) + "_" + rnd(r, AN, 59)
    return p + rnd(r, AN, 36)


def b6_slack(r):
    k = r.randrange(4)
    if k == 0:
        return "xoxb-" + rnd(r, string.digits, r.choice([10, 11, 12])) + "-" + rnd(r, string.digits, 13) + "-" + rnd(r, AN, 24)
    if k == 1:
        return "xoxp-" + "-".join(rnd(r, string.digits, n) for n in (11, 11, 13)) + "-" + rnd(r, HEX, 32)
    if k == 2:
        return "xapp-1-A" + rnd(r, string.ascii_uppercase + string.digits, 10) + "-" + rnd(r, string.digits, 13) + "-" + rnd(r, HEX, 64)
    return "xoxe.xoxp-1-" + rnd(r, AN, 150)


def b6_stripe(r):
    p = r.choice(["sk_live_", "sk_live_", "rk_live_", "sk_test_", "rk_test_"])
    return p + (("51" + rnd(r, AN, 97)) if r.random() < 0.5 else rnd(r, AN, 24))


def b6_openai(r):
    k = r.randrange(4)
    if k == 0:
        return "sk-proj-" + rnd(r, AN + "_-", 74) + "T3BlbkFJ" + rnd(r, AN + "_-", 74)
    if k == 1:
        return "sk-svcacct-" + rnd(r, AN + "_-", 74) + "T3BlbkFJ" + rnd(r, AN + "_-", 74)
    if k == 2:
        return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
    return "sk-proj-" + rnd(r, AN + "_-", 48)


def b6_anthropic(r):
    if r.random() < 0.85:
        return "sk-ant-api03-" + rnd(r, AN + "_-", 93) + "AA"
    return "sk-ant-admin01-" + rnd(r, AN + "_-", 93) + "AA"


def b6_google(r):
    return "AIzaSy" + rnd(r, AN + "_-", 33)


def b6_b64url(o):
    return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")


def b6_jwt(f, r, loc="en_US"):
    alg = r.choice(["HS256", "RS256", "ES256", "HS512"])
    hdr = {"alg": alg, "typ": "JWT"} if r.random() < 0.6 else {"kid": rnd(r, HEX, 16), "alg": alg}
    now = r.randint(1735689600, 1796000000)
    body = {"sub": r.choice([rnd(r, string.digits, 9), "auth0|" + rnd(r, HEX, 24), str(r.randint(1, 99999))]), "iat": now, "exp": now + r.choice([900, 3600, 86400])}
    if r.random() < 0.5:
        body["iss"] = "https://" + f.domain_name() + "/"
    if r.random() < 0.4:
        body["scope"] = r.choice(["read:orders write:orders", "openid profile email", "admin"])
    sig = rnd(r, AN + "_-", 86 if alg in ("RS256", "ES256") and r.random() < 0.5 else 43)
    return ".".join([b6_b64url(hdr), b6_b64url(body), sig])


def b6_pem(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
    if kind == "OPENSSH PRIVATE KEY":
        lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAA" + rnd(r, AN + "+/", 14)]
        lines += [rnd(r, AN + "+/", 70) for _ in range(r.randint(3, 6))]
        lines.append(rnd(r, AN + "+/", r.randint(8, 60)) + "=")
    else:
        head = {"RSA PRIVATE KEY": "MIIEpAIBAAKCAQEA", "PRIVATE KEY": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "EC PRIVATE KEY": "MHcCAQEEI",
                "ENCRYPTED PRIVATE KEY": "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq"}[kind]
        lines = [head + rnd(r, AN + "+/", 64 - len(head))] + [rnd(r, AN + "+/", 64) for _ in range(r.randint(3, 8))]
        lines.append(rnd(r, AN + "+/", r.randint(10, 60)) + r.choice(["", "=", "=="]))
    return sep.join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"])


def b6_PEM(r, sep="\n"):
    return B6L("PRIVATE_KEY", b6_pem(r, sep))


def b6_cert(r, sep="\n"):
    kind = r.choice(["CERTIFICATE", "PUBLIC KEY", "CERTIFICATE REQUEST"])
    lines = ["MIID" + rnd(r, AN + "+/", 60)] + [rnd(r, AN + "+/", 64) for _ in range(r.randint(3, 7))] + [rnd(r, AN + "+/", 20) + "="]
    return sep.join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"])


def b6_generic(r):
    k = r.randrange(6)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 1:
        return base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([24, 32, 48])))).decode()
    if k == 2:
        return rnd(r, AN, r.choice([24, 32, 40, 48]))
    if k == 3:
        return rnd(r, AN, 8) + "-" + rnd(r, AN, 8) + "-" + rnd(r, AN, 8) + "-" + rnd(r, AN, 8)
    if k == 4:
        return base64.urlsafe_b64encode(bytes(r.randrange(256) for _ in range(32))).decode().rstrip("=")
    return rnd(r, string.ascii_lowercase + string.digits, 32)


def b6_GEN(r):
    return B6L("GENERIC_SECRET", b6_generic(r))


def b6_vendor(f, r, kind=None):
    kind = kind or r.choice(["AWS_ACCESS_KEY", "GITHUB_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY",
                             "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"])
    v = {"AWS_ACCESS_KEY": lambda: b6_aws(r), "GITHUB_TOKEN": lambda: b6_gh(r), "SLACK_TOKEN": lambda: b6_slack(r),
         "STRIPE_KEY": lambda: b6_stripe(r), "OPENAI_KEY": lambda: b6_openai(r), "ANTHROPIC_KEY": lambda: b6_anthropic(r),
         "GOOGLE_API_KEY": lambda: b6_google(r), "JWT": lambda: b6_jwt(f, r)}[kind]()
    return B6L(kind, v)


# Documentation examples shaped like a key of their type: labelled PLACEHOLDER.
B6_PLACEHOLDERS = {
    "AWS_ACCESS_KEY": ["AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE", "AKIAJEXAMPLEEXAMPLE1", "AKIA" + "X" * 16],
    "AWS_SECRET": ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"],
    "GITHUB_TOKEN": ["ghp_" + "1234567890abcdefghijABCDEFGHIJ123456", "gho_" + b6_pad("EXAMPLE", "EXAMPLE", 36),
                     "ghu_" + b6_pad("YourUserToServerTokenGoesHere", "0", 36), "ghs_" + b6_pad("InstallationTokenExample", "0", 36),
                     "ghr_" + b6_pad("RefreshTokenSample", "1", 36), "github_pat_" + b6_pad("11AAAAAAA0", "0", 22) + "_" + b6_pad("ExampleFineGrainedToken", "x", 59)],
    "SLACK_TOKEN": ["xoxb-" + "0" * 11 + "-" + "0" * 13 + "-ExampleBotTokenDoNotUse0", "xoxp-1111111111-2222222222-3333333333333-" + "a" * 32,
                    "xapp-1-A0EXAMPLE00-0000000000000-" + "0" * 64],
    "STRIPE_KEY": ["sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_BQokikJOvBiI2HlWgH4olfQ2", "sk_live_" + b6_pad("YourLiveSecretKey", "X", 24),
                   "rk_test_" + b6_pad("RestrictedKeySample", "0", 24)],
    "OPENAI_KEY": ["sk-proj-" + b6_pad("ExampleProjectKey", "x", 48), "sk-" + "x" * 20 + "T3BlbkFJ" + "x" * 20, "sk-proj-YOUR_OPENAI_KEY_" + "0" * 24],
    "ANTHROPIC_KEY": ["sk-ant-api03-" + b6_pad("EXAMPLE-KEY-", "x", 93) + "AA", "sk-ant-api03-" + "X" * 93 + "AA"],
    "GOOGLE_API_KEY": ["AIzaSy" + b6_pad("ExampleGoogleApiKey", "0", 33), "AIzaSy" + "X" * 33],
    "JWT": ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            b6_b64url({"alg": "HS256", "typ": "JWT"}) + "." + b6_b64url({"sub": "user-id-here", "name": "Example User"}) + ".your-256-bit-secret"],
}


def b6_PLH(r, kind=None):
    kind = kind or r.choice(list(B6_PLACEHOLDERS))
    return B6L("PLACEHOLDER", r.choice(B6_PLACEHOLDERS[kind]))


def b6_pem_plh(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = r.choice(["...", "<contents of your key file>", "MIIEowIBAAKCAQEA...(truncated)...", "YOUR_PRIVATE_KEY_HERE"])
    return B6L("PLACEHOLDER", sep.join([f"-----BEGIN {kind}-----", body, f"-----END {kind}-----"]))


# Obvious stand-ins that are not key-shaped, and masked values: never labelled.
B6_STANDIN = ["<your-token>", "xxxx", "${TOKEN}", "changeme", "<CLIENT_SECRET>", "${{ secrets.SLACK_BOT_TOKEN }}", "$STRIPE_SECRET_KEY",
              "<paste here>", "XXXXXXXXXXXX", "sk_live_…", "ghp_…", "AKIA…", "your-api-key", "REPLACE_ME_BEFORE_DEPLOY", "%(api_key)s",
              "{{ .Values.db.password }}", "vault:secret/data/app#token", "********", "(hidden)", "<redacted>", "•••••••", "TBD",
              "${OPENAI_API_KEY}", "sk-ant-...", "<set in 1Password>", "***"]


def b6_standin(r):
    return r.choice(B6_STANDIN)


# ---------- blind6 look-alikes (never labelled) ----------

def b6_gs1(body):
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - s % 10) % 10)


def b6_luhn_fix(body):
    return next(body + d for d in string.digits if luhn_ok(body + d))


def b6_bad_luhn(r, body_len, prefix):
    while True:
        v = prefix + rnd(r, string.digits, body_len - len(prefix))
        if not luhn_ok(v):
            return v


def b6_aba(r):
    while True:
        d = rnd(r, string.digits, 8)
        w = [3, 7, 1, 3, 7, 1, 3, 7]
        s = sum(int(c) * k for c, k in zip(d, w))
        c = (10 - s % 10) % 10
        if d[0] in "0123":
            return d + str(c)


def b6_uuid(r):
    h = rnd(r, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"


def b6_b64blob(r, n):
    return base64.b64encode(bytes(r.randrange(256) for _ in range(n))).decode()


def b6_ts(r):
    t = datetime.datetime.fromtimestamp(r.randint(1700000000, 1790000000), datetime.timezone.utc)
    k = r.randrange(8)
    if k == 0:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if k == 1:
        return str(int(t.timestamp()))
    if k == 2:
        return str(int(t.timestamp()) * 1000 + r.randrange(1000))
    if k == 3:
        return t.strftime("%d/%m/%Y %H:%M")
    if k == 4:
        return t.strftime("%a, %d %b %Y %H:%M:%S +0000")
    if k == 5:
        return t.strftime("%Y%m%dT%H%M%S")
    if k == 6:
        return t.strftime("%Y-%m-%d %H:%M:%S.") + rnd(r, string.digits, 6)
    return t.strftime("%H:%M:%S")


def b6_money(r, loc):
    a = r.randint(1, 250000) / 100 * r.choice([1, 1, 10, 100])
    s = f"{a:,.2f}"
    eu = s.replace(",", " ").replace(".", ",").replace(" ", ".")
    return {"en_US": f"${s}", "en_GB": f"£{s}", "de_DE": f"{eu} €", "fr_FR": f"{eu.replace('.', ' ')} €", "es_ES": f"{eu} €",
            "it_IT": f"€ {eu}", "nl_NL": f"€ {eu}"}[loc]


def b6_la(f, r, loc, g=None):
    """(key, lead word, value): something shaped like an entity that is none."""
    g = g or r.choice(["order", "ticket", "invoice", "case", "tracking", "policy", "account", "sku", "ean", "imei", "ver", "time",
                       "dur", "money", "geo", "hash", "uuid", "b64", "badcard", "badiban", "nine", "mac", "vendorid", "arn", "at"])
    y = r.randint(2021, 2026)
    if g == "order":
        return r.choice([("order_id", "order", f"{r.randint(111, 114)}-{rnd(r, string.digits, 7)}-{rnd(r, string.digits, 7)}"),
                         ("order_number", "Bestellnummer", rnd(r, string.digits, 10)), ("order_ref", "commande n°", f"FR{y}-{rnd(r, string.digits, 6)}"),
                         ("order", "order #", str(r.randint(1000, 999999))), ("pedido", "pedido", f"{rnd(r, string.digits, 3)} {rnd(r, string.digits, 3)} {rnd(r, string.digits, 3)}"),
                         ("ordine", "ordine n.", f"{rnd(r, string.digits, 8)}/{y}")])
    if g == "ticket":
        return r.choice([("ticket", "ticket", f"INC{rnd(r, string.digits, 7)}"), ("ticket_id", "#", rnd(r, string.digits, 6)),
                         ("issue", "issue", f"{r.choice(['OPS', 'PAY', 'CRM', 'SEC'])}-{r.randint(10, 9999)}"), ("sr", "SR", f"{y}-{rnd(r, string.digits, 6)}")])
    if g == "invoice":
        return r.choice([("invoice_no", "invoice", f"INV-{y}-{rnd(r, string.digits, 5)}"), ("rechnung", "Rechnung", f"RE-{y % 100}-{rnd(r, string.digits, 5)}"),
                         ("facture", "Facture", f"F{y}-{rnd(r, string.digits, 4)}"), ("factura", "Factura", f"{y}/A/{rnd(r, string.digits, 5)}"),
                         ("fattura", "Fattura n.", f"{r.randint(1, 999)}/{y}"), ("factuur", "factuur", f"{y}.{rnd(r, string.digits, 4)}")])
    if g == "case":
        return r.choice([("case_number", "Case", rnd(r, string.digits, 8)), ("vorgang", "Vorgang", f"{y}-{rnd(r, string.digits, 6)}"),
                         ("dossier", "dossier", f"{rnd(r, string.ascii_uppercase, 2)}-{rnd(r, string.digits, 7)}"), ("expediente", "expediente", f"{rnd(r, string.digits, 4)}/{y}")])
    if g == "tracking":
        return r.choice([("tracking", "UPS", "1Z" + rnd(r, string.ascii_uppercase + string.digits, 6) + rnd(r, string.digits, 10)),
                         ("tracking", "DHL", "JJD00" + rnd(r, string.digits, 16)), ("tracking", "DHL Express", rnd(r, string.digits, 10)),
                         ("tracking", "USPS", " ".join(rnd(r, string.digits, 4) for _ in range(5)) + " " + rnd(r, string.digits, 2)),
                         ("tracking", "PostNL", "3S" + rnd(r, string.ascii_uppercase, 4) + rnd(r, string.digits, 9)),
                         ("tracking", "Royal Mail", rnd(r, string.ascii_uppercase, 2) + rnd(r, string.digits, 9) + "GB"),
                         ("tracking", "Colissimo", "6A" + rnd(r, string.digits, 11)), ("tracking", "SEUR", rnd(r, string.digits, 14))])
    if g == "policy":
        return r.choice([("policy_no", "policy", f"HX-{rnd(r, string.digits, 4)}-{rnd(r, string.digits, 4)}-{rnd(r, string.digits, 2)}"),
                         ("police", "police n°", " ".join(rnd(r, string.digits, n) for n in (4, 2, 3, 3))), ("polizza", "polizza", rnd(r, string.digits, 10)),
                         ("versicherungsnummer", "Vers.-Nr.", f"{rnd(r, string.digits, 3)}/{rnd(r, string.digits, 6)}-{r.choice('ABK')}")])
    if g == "account":
        return r.choice([("account_no", "account", rnd(r, string.digits, 10)), ("kundennummer", "Kundennr.", rnd(r, string.digits, 7)),
                         ("client_id", "n° client", rnd(r, string.digits, 9)), ("klantnummer", "klantnummer", rnd(r, string.digits, 8)),
                         ("contract", "contract", f"C-{rnd(r, string.digits, 3)}-{rnd(r, string.digits, 3)}-{rnd(r, string.digits, 4)}")])
    if g == "sku":
        return r.choice([("sku", "SKU", f"{rnd(r, string.ascii_uppercase, 2)}-{rnd(r, string.ascii_uppercase, 3)}-{r.randint(36, 48)}-{r.choice(['S', 'M', 'L', 'XL'])}"),
                         ("art_nr", "Art.-Nr.", f"{rnd(r, string.digits, 4)}-{rnd(r, string.digits, 4)}-{rnd(r, string.digits, 2)}"),
                         ("part", "part no.", f"{rnd(r, string.digits, 3)}-{rnd(r, string.digits, 4)}-{rnd(r, string.digits, 3)}")])
    if g == "ean":
        k = r.randrange(3)
        if k == 0:
            return ("ean", "EAN", b6_gs1(r.choice(["40", "50", "30", "84", "80", "87"]) + rnd(r, string.digits, 10)))
        if k == 1:
            return ("upc", "UPC", b6_gs1("0" + rnd(r, string.digits, 10)))
        v = b6_gs1("978" + rnd(r, string.digits, 9))
        return ("isbn", "ISBN", f"{v[:3]}-{v[3]}-{v[4:8]}-{v[8:12]}-{v[12]}")
    if g == "imei":
        return r.choice([("imei", "IMEI", b6_luhn_fix(r.choice(["35", "86", "01"]) + rnd(r, string.digits, 12))),
                         ("serial", "S/N", rnd(r, string.ascii_uppercase + string.digits, 12)), ("serial", "serial", "5CG" + rnd(r, string.digits, 4) + rnd(r, string.ascii_uppercase, 3))])
    if g == "ver":
        return r.choice([("version", "version", f"v{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}"), ("build", "build", f"{y}{r.randint(1, 12):02d}{r.randint(1, 28):02d}.{r.randint(1, 40)}"),
                         ("os", "Windows", f"10.0.{r.choice([19045, 22631, 26100])}.{r.randint(1000, 5000)}"), ("firmware", "firmware", f"{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 99)}"),
                         ("ua", "Chrome", f"{r.randint(118, 133)}.0.{r.randint(5000, 6999)}.{r.randint(10, 199)}"), ("chart", "chart", f"app-{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}")])
    if g == "time":
        return ("timestamp", r.choice(["at", "ts", "since", "created"]), b6_ts(r))
    if g == "dur":
        return ("duration", r.choice(["took", "after", "uptime"]), r.choice([f"{r.randint(1, 9999)} ms", f"{r.randint(1, 59)}m{r.randint(0, 59)}s", f"PT{r.randint(1, 90)}M",
                                                                            f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}", f"{r.randint(1, 30)}d {r.randint(0, 23)}h"]))
    if g == "money":
        return ("amount", r.choice(["total", "amount", "Betrag", "montant", "importe", "importo", "bedrag"]), b6_money(r, loc))
    if g == "geo":
        la, lo = r.uniform(36, 58), r.uniform(-9, 18)
        return r.choice([("coords", "at", f"{la:.5f}, {lo:.5f}"), ("geo", "lat/lon", f"{la:.4f},{lo:.4f}"),
                         ("position", "GPS", f"{int(la)}°{r.randint(0, 59)}′{r.randint(0, 59)}″N {int(abs(lo))}°{r.randint(0, 59)}′{r.randint(0, 59)}″{'E' if lo > 0 else 'W'}")])
    if g == "hash":
        return r.choice([("commit", "commit", rnd(r, HEX, 40)), ("sha", "at", rnd(r, HEX, r.choice([7, 8, 12]))), ("sha256", "sha256", rnd(r, HEX, 64)),
                         ("digest", "digest", "sha256:" + rnd(r, HEX, 64)), ("md5", "md5", rnd(r, HEX, 32)), ("etag", "ETag", rnd(r, HEX, 32))])
    if g == "uuid":
        return (r.choice(["request_id", "trace_id", "uuid", "correlation_id"]), r.choice(["request", "trace", "id", "corr"]), b6_uuid(r))
    if g == "b64":
        return (r.choice(["payload", "thumbnail", "nonce", "state"]), r.choice(["payload", "blob", "nonce"]), b6_b64blob(r, r.choice([12, 18, 24, 48, 60])))
    if g == "badcard":
        v = b6_bad_luhn(r, 16, r.choice(["4", "5", "6"]))
        if r.random() < 0.5:
            v = " ".join(v[i:i + 4] for i in range(0, 16, 4))
        return r.choice([("gift_card", "gift card", v), ("loyalty_card", "Payback-Karte", v), ("member_card", "carte fidélité", v), ("card_typo", "declined number", v)])
    if g == "badiban":
        return ("iban_rejected", r.choice(["rejected IBAN", "ungültige IBAN", "IBAN invalide", "IBAN no válido"]), b6_iban(r, loc, valid=False))
    if g == "nine":
        return r.choice([("routing", "ABA routing", b6_aba(r)), ("ein", "EIN", f"{rnd(r, string.digits, 2)}-{rnd(r, string.digits, 7)}"),
                         ("claim", "claim no.", rnd(r, string.digits, 9)), ("member_id", "member ID", rnd(r, string.digits, 9)),
                         ("zip", "ZIP", f"{rnd(r, string.digits, 5)}-{rnd(r, string.digits, 4)}"), ("npi", "NPI", b6_luhn_fix("80840" + "1" + rnd(r, string.digits, 8))[5:]),
                         ("employee_no", "employee #", rnd(r, string.digits, 9))])
    if g == "mac":
        return r.choice([("mac", "MAC", ":".join(rnd(r, HEX, 2) for _ in range(6))), ("mac", "hw addr", "-".join(rnd(r, HEX, 2).upper() for _ in range(6))),
                         ("fingerprint", "fingerprint", "SHA256:" + b6_b64blob(r, 32).rstrip("=")), ("fingerprint", "MD5", ":".join(rnd(r, HEX, 2) for _ in range(16)))])
    if g == "vendorid":
        return r.choice([("customer", "customer", "cus_" + rnd(r, AN, 14)), ("payment_intent", "payment", "pi_" + rnd(r, AN, 24)),
                         ("charge", "charge", "ch_" + rnd(r, AN, 24)), ("completion", "completion", "chatcmpl-" + rnd(r, AN, 29)),
                         ("message", "message", "msg_01" + rnd(r, AN, 22)), ("tool_use", "tool_use", "toolu_01" + rnd(r, AN, 22)),
                         ("org", "org", "org-" + rnd(r, AN, 24)), ("request", "request", "req_" + rnd(r, AN, 24)),
                         ("client_id", "client id", f"{rnd(r, string.digits, 12)}-{rnd(r, string.ascii_lowercase + string.digits, 32)}.apps.googleusercontent.com")])
    if g == "arn":
        return ("role_arn", "role", f"arn:aws:iam::{rnd(r, string.digits, 12)}:role/{r.choice(['ci-deploy', 'app-runtime', 'backup'])}")
    return r.choice([("remote", "remote", f"git@github.com:{b6_ascii(f.last_name())}/{r.choice(['api', 'infra', 'web'])}.git"),
                     ("package", "package", f"{r.choice(['lodash', 'express', 'axios', '@types/node'])}@{r.randint(1, 20)}.{r.randint(0, 20)}.{r.randint(0, 9)}"),
                     ("image", "image", f"nginx@sha256:{rnd(r, HEX, 64)}"), ("mention", "cc", "@" + b6_ascii(f.first_name()))])


def b6_las(f, r, loc, g=None):
    _, w, v = b6_la(f, r, loc, g)
    return f"{w} {v}"


# ---------- blind6 prose: passwords, their absence, SSNs, quoted-reply headers ----------

B6_PW_PROSE = {
    "en": ["the VPN login for contractors is still {p} - please rotate it", "temp password: {p} (expires Friday)", "Her new passphrase is {p}",
           "you can log in as admin with {p} until IT sets up SSO", "pw for the shared mailbox = {p}", "The installer set the password to '{p}'",
           "PASSWORD IS {p}", "Wifi for guests: {p}"],
    "de": ["Das neue Kennwort lautet {p} – bitte nach dem ersten Login ändern.", "Zugang zum Router: admin / {p}", "Passwort für das Testkonto ist {p}",
           "ich hab das WLAN-Passwort auf {p} geändert", "Initialpasswort: {p}", "Kennwort: „{p}“"],
    "fr": ["Le mot de passe provisoire est {p}, à changer dès la première connexion.", "mdp du compte partagé : {p}", "Mot de passe Wi-Fi invité : {p}",
           "j'ai remis le mot de passe à {p} pour l'instant", "Votre mot de passe : «{p}»"],
    "es": ["La contraseña temporal es {p} y caduca en 24 horas.", "usuario: soporte / contraseña: {p}", "Te paso la contraseña del panel: {p}",
           "he cambiado la contraseña a {p}, avísame si no funciona", "Contraseña nueva → {p}"],
    "it": ["La password provvisoria è {p}, cambiala al primo accesso.", "credenziali: utente admin, password {p}", "ti giro la parola d'ordine della VPN: {p}",
           "ho reimpostato la password a {p}", "PASSWORD: {p}"],
    "nl": ["Het tijdelijke wachtwoord is {p}, graag direct wijzigen.", "inlog beheerder: admin / wachtwoord {p}", "het wifi-wachtwoord is nu {p}",
           "Ik heb je wachtwoord gereset naar {p}", "Wachtwoord = {p}"],
}
B6_PW_NONE = {
    "en": ["Please reset your password using the link below.", "Passwords must be at least 12 characters and include a number.",
           "I never share my password over chat.", "The password field is empty in the export.", "Forgot password? Use the self-service portal.",
           "Password rotation is scheduled for Q3.", "Password: (sent separately via Signal)", "password policy: min length 14, no reuse of the last 5"],
    "de": ["Bitte setzen Sie Ihr Passwort über den Link zurück.", "Das Kennwort muss mindestens 12 Zeichen lang sein.", "Passwort vergessen?",
           "Das Passwort schicke ich dir separat per SMS.", "Passwort: siehe Tresor"],
    "fr": ["Réinitialisez votre mot de passe via le lien ci-dessous.", "Le mot de passe doit contenir au moins 12 caractères.", "Mot de passe oublié ?",
           "Je ne peux pas vous communiquer le mot de passe par e-mail.", "mot de passe : voir le coffre-fort"],
    "es": ["Restablezca su contraseña desde el enlace.", "La contraseña debe tener al menos 12 caracteres.", "¿Olvidaste tu contraseña?",
           "Nunca te pediremos tu contraseña por teléfono.", "contraseña: la de siempre"],
    "it": ["Reimposta la password dal link qui sotto.", "La password deve contenere almeno 12 caratteri.", "Password dimenticata?",
           "Non inviamo mai la password via e-mail.", "password: chiedi a Marco"],
    "nl": ["Stel je wachtwoord opnieuw in via de link.", "Het wachtwoord moet minimaal 12 tekens bevatten.", "Wachtwoord vergeten?",
           "We vragen nooit om je wachtwoord.", "wachtwoord: staat in de kluis"],
}
B6_PW_KEYS = {
    "en": ["password", "passwd", "pass", "pwd", "passphrase", "db_password", "admin_password", "smtp_pass"],
    "de": ["passwort", "kennwort", "db_passwort", "zugangspasswort", "Passwort"],
    "fr": ["mot_de_passe", "mdp", "motdepasse", "mot_de_passe_admin"],
    "es": ["contraseña", "contrasena", "clave_acceso", "contraseña_bd"],
    "it": ["password", "parola_d_ordine", "password_db", "pwd_utente"],
    "nl": ["wachtwoord", "wachtwoord_db", "beheer_wachtwoord"],
}


def b6_pw_prose(r, lang):
    a, b = r.choice(B6_PW_PROSE[lang]).split("{p}")
    return [a, B6L("PASSWORD", b6_pw(r, lang)), b]


def b6_pw_key(r, lang):
    return r.choice(B6_PW_KEYS[lang] + B6_PW_KEYS["en"][:2])


B6_SSN_LEAD = ["SSN: ", "SSN ", "Social Security Number: ", "SS# ", "soc. sec. no. ", "SSN (last verified 2024): ", "ssn="]


def b6_ssn_phrase(r):
    return [r.choice(B6_SSN_LEAD), b6_SSN(r)]


B6_WROTE = {
    "en": "On {d}, {n} <{e}> wrote:", "de": "Am {d} schrieb {n} <{e}>:", "fr": "Le {d}, {n} <{e}> a écrit :",
    "es": "El {d}, {n} <{e}> escribió:", "it": "Il giorno {d} {n} <{e}> ha scritto:", "nl": "Op {d} schreef {n} <{e}>:",
}
B6_GREET = {"en": ("Hi {n},", "Thanks,"), "de": ("Hallo {n},", "Viele Grüße"), "fr": ("Bonjour {n},", "Cordialement,"),
            "es": ("Hola {n}:", "Un saludo,"), "it": ("Ciao {n},", "Grazie,"), "nl": ("Hoi {n},", "Groet,")}
B6_TEL = {"en": "Tel", "de": "Tel.", "fr": "Tél.", "es": "Tel.", "it": "Tel.", "nl": "Tel."}
B6_MOB = {"en": "Mobile", "de": "Mobil", "fr": "Portable", "es": "Móvil", "it": "Cell.", "nl": "Mobiel"}


# ---------- blind6 text documents (top level: real line breaks, quotes, tabs) ----------

def b6_sig(f, r, loc, name=None):
    lang = lang_of(loc)
    name = name or f.name()
    first, last = name.split(" ")[0], name.split(" ")[-1]
    out = ["\n-- \n", name, "\n", r.choice([f.job(), "Customer Success", "Head of Ops", "Buchhaltung", "Service client"]), " | ", f.company(), "\n"]
    if r.random() < 0.8:
        out += [B6_TEL[lang], ": ", b6_PH(r, loc), "\n"]
    if r.random() < 0.5:
        out += [B6_MOB[lang], ": ", b6_PH(r, loc), "\n"]
    if r.random() < 0.6:
        out += [b6_EM(f, r, loc, first=first, last=last), "\n"]
    if r.random() < 0.3:
        out += [r.choice(["This e-mail may contain confidential information.", "Bitte denken Sie an die Umwelt, bevor Sie diese E-Mail ausdrucken.",
                          "Ce message et ses pièces jointes sont confidentiels.", "Este mensaje es confidencial."]), "\n"]
    return out


def b6_ticket(f, r, loc):
    lang = lang_of(loc)
    name = f.name()
    out = [f"[{r.choice(['Zendesk', 'Freshdesk', 'Jira SD', 'HelpScout'])}] {b6_las(f, r, loc, 'ticket')} — {b6_pick(lang, ['Refund request', 'Adresse ändern', 'Problème de livraison', 'Cambio de IBAN', 'Carta rifiutata', 'Inloggen lukt niet'])}\n",
           f"Requester: {name} <", b6_EM(f, r, loc, first=name.split()[0], last=name.split()[-1]), ">\n",
           "Priority: ", r.choice(["P2", "high", "normal", "urgent"]), " | Created: ", b6_ts(r), "\n\n"]
    k = r.randrange(5)
    if k == 0:
        out += ["Customer writes: my card ", b6_CC(f, r), f" was charged twice for {b6_las(f, r, loc, 'order')} ({b6_money(r, loc)}). ",
                "Call me back on ", b6_PH(r, loc), ".\n"]
    elif k == 1:
        out += ["Please update my bank details to ", b6_IBAN(r, loc), " for the refund of ", b6_las(f, r, loc, "invoice"), ".\n",
                "(The old one ", b6_iban(r, loc, valid=False), " bounced.)\n"]
    elif k == 2:
        out += ["Can't log in since the update. ", *b6_pw_prose(r, lang), "\n", r.choice(B6_PW_NONE[lang]), "\n"]
    elif k == 3:
        out += ["Identity check passed: ", *b6_DOB(f, r, loc), ", postcode on file, last 4 of card ", rnd(r, string.digits, 4), ".\n",
                f"Device {b6_las(f, r, loc, 'imei')}, app {b6_las(f, r, loc, 'ver')}\n"]
    else:
        out += ["Sent from IP ", b6_IP(f, r), f" ({r.choice(['Chrome', 'Safari', 'Firefox'])}), {b6_las(f, r, loc, 'uuid')}.\n",
                "Alternate contact: ", b6_EM(f, r, loc), " / ", b6_PH(r, loc), "\n"]
    out += ["\nInternal note: ", r.choice(["escalated to billing", "waiting on warehouse", "macro 'refund-ok' applied", "duplicate of " + b6_las(f, r, loc, "ticket")]),
            f"; {b6_las(f, r, loc)}\n"]
    return out


def b6_chat(f, r, loc):
    lang = lang_of(loc)
    agent, cust = f.first_name(), f.first_name()
    t = datetime.datetime(2025, r.randint(1, 12), r.randint(1, 28), r.randint(7, 21), r.randint(0, 59))
    def ts():
        nonlocal t
        t += datetime.timedelta(seconds=r.randint(5, 300))
        return t.strftime("[%H:%M:%S]")
    lines = [[f"{ts()} {agent} (agent): ", {"en": "How can I help?", "de": "Wie kann ich helfen?", "fr": "Comment puis-je vous aider ?",
                                              "es": "¿En qué puedo ayudarte?", "it": "Come posso aiutarti?", "nl": "Waarmee kan ik helpen?"}[lang]],
             [f"{ts()} {cust}: ", f"{b6_las(f, r, loc, 'order')} never arrived, {b6_las(f, r, loc, 'tracking')}"]]
    pool = [
        lambda: [f"{ts()} {agent} (agent): ", {"en": "can you confirm your date of birth?", "de": "Können Sie mir Ihr Geburtsdatum nennen?",
                                                 "fr": "pouvez-vous confirmer votre date de naissance ?", "es": "¿me confirma su fecha de nacimiento?",
                                                 "it": "mi conferma la data di nascita?", "nl": "wat is uw geboortedatum?"}[lang],
                 "\n", f"{ts()} {cust}: ", B6L("DATE_OF_BIRTH", b6_dob(f, r, loc))],
        lambda: [f"{ts()} {cust}: ", r.choice(["born ", "DOB ", "geb. ", "née le ", "nacida el ", "nato il ", "geboren "]), B6L("DATE_OF_BIRTH", b6_dob(f, r, loc)),
                 f", delivery was due {b6_other_date(r, loc)}"],
        lambda: [f"{ts()} {cust}: ", "my number is ", b6_PH(r, loc)],
        lambda: [f"{ts()} {cust}: ", b6_PH(r, loc, intl_only=True)],
        lambda: [f"{ts()} {cust}: ", "email is ", b6_EM(f, r, loc), " (not the old one)"],
        lambda: [f"{ts()} {cust}: ", "pay with ", b6_CC(f, r), " exp ", f"{r.randint(1, 12):02d}/{r.randint(26, 31)}", " cvv ", B6L("GENERIC_SECRET", rnd(r, string.digits, 3))],
        lambda: [f"{ts()} {agent} (agent): ", "please never paste card numbers here. ", r.choice(B6_PW_NONE[lang])],
        lambda: [f"{ts()} {cust}: ", *b6_pw_prose(r, lang)],
        lambda: [f"{ts()} {agent} (agent): ", f"refund of {b6_money(r, loc)} issued, {b6_las(f, r, loc, 'vendorid')}"],
        lambda: [f"{ts()} {cust}: ", f"{b6_las(f, r, loc, 'badcard')} doesn't work either"],
        lambda: [f"{ts()} {cust}: ", f"the code on the box is {b6_las(f, r, loc, 'ean')}"],
    ]
    for _ in range(r.randint(3, 6)):
        lines.append(r.choice(pool)())
    out = []
    for ln in lines:
        out += ln + ["\n"]
    return out


def b6_email_thread(f, r, loc):
    lang = lang_of(loc)
    a, b = f.name(), f.name()
    ea = b6_EM(f, r, loc, first=a.split()[0], last=a.split()[-1])
    eb = B6L("EMAIL", b6_email(f, r, loc, first=b.split()[0], last=b.split()[-1]))
    hi, bye = B6_GREET[lang]
    subj = b6_pick(lang, ["Re: Re: onboarding", "AW: Rechnung", "RE: virement", "RE: Datos de pago", "R: accesso gestionale", "Antw: contract"])
    body = [b6_pick(lang, ["Here you go.", "Anbei die Daten.", "Voici les infos.", "Te mando los datos.", "Ecco i dati.", "Zie hieronder."]), "\n"]
    k = r.randrange(5)
    if k == 0:
        body += ["IBAN: ", b6_IBAN(r, loc), "\nBIC: ", rnd(r, string.ascii_uppercase, 6) + rnd(r, string.ascii_uppercase + string.digits, 2), "\n",
                 f"{b6_pick(lang, ['Reference', 'Verwendungszweck', 'Référence', 'Concepto', 'Causale', 'Kenmerk'])}: {b6_las(f, r, loc, 'invoice')}\n"]
    elif k == 1:
        body += b6_pw_prose(r, lang) + ["\n", r.choice(B6_PW_NONE[lang]), "\n"]
    elif k == 2:
        body += ["New hire: ", f.name(), ", ", *b6_DOB(f, r, loc), ", start ", b6_other_date(r, loc), "\n"]
    elif k == 3:
        body += ["The staging box is ", b6_IP(f, r), ", login with the key I sent; API key for the sandbox: ", b6_GEN(r), "\n"]
    else:
        body += ["Call me: ", b6_PH(r, loc), " or ", b6_PH(r, loc, other=0.5), "\n"]
    q = ["> " + hi.format(n=a.split()[0]) + "\n", "> " + b6_pick(lang, ["could you send the details?", "kannst du mir die Daten schicken?", "peux-tu m'envoyer les infos ?",
                                                                  "¿me pasas los datos?", "mi mandi i dati?", "kun je de gegevens sturen?"]) + "\n",
         "> ", f"{b6_las(f, r, loc)}\n", ">\n", "> ", a, "\n", "> ", B6_TEL[lang], " ", b6_PH(r, loc), "\n"]
    wrote_d = b6_other_date(r, loc, 0)
    a1, rest = B6_WROTE[lang].split("{e}")
    out = [f"From: {b} <", eb, f">\nTo: {a} <", ea, ">\n", f"Subject: {subj}\nDate: {b6_ts(r)}\n\n", hi.format(n=a.split()[0]), "\n\n"] + body
    out += ["\n", bye, "\n", b.split()[0], "\n", *b6_sig(f, r, loc, b), "\n",
            a1.format(d=wrote_d, n=a), B6L("EMAIL", b6_email(f, r, loc, first=a.split()[0], last=a.split()[-1])), rest, "\n"] + q
    return out


def b6_crm(f, r, loc):
    lang = lang_of(loc)
    name = f.name()
    out = [f"CRM note — {f.company()} — {b6_las(f, r, loc, 'account')}\n", f"Owner: {f.first_name()} · Stage: {r.choice(['Negotiation', 'Won', 'Renewal'])}\n",
           "Contact: ", name, ", ", b6_EM(f, r, loc), ", ", b6_PH(r, loc), "\n"]
    if r.random() < 0.5:
        out += ["Assistant: ", b6_PH(r, loc), " (ext. ", str(r.randint(10, 999)), ")\n"]
    out += [f"{b6_other_date(r, loc)}: call about {b6_las(f, r, loc, 'invoice')}, {b6_las(f, r, loc, 'money')} overdue. ",
            r.choice(["Wants to pay by card next time.", "Asked for a new contract.", "Will send PO next week."]), "\n"]
    if r.random() < 0.4:
        out += ["Direct debit mandate signed, IBAN ", b6_IBAN(r, loc), "\n"]
    if r.random() < 0.3:
        out += ["Portal login for them: ", B6L("EMAIL", b6_email(f, r, loc)), " / ", B6L("PASSWORD", b6_pw(r, lang)), "\n"]
    out += [f"Birthday card list? {r.choice(B6_DOB_LEAD[lang])}", B6L("DATE_OF_BIRTH", b6_dob(f, r, loc)), "\n"] if r.random() < 0.4 else []
    return out


def b6_hr(f, r, loc):
    lang = lang_of(loc)
    name = f.name()
    out = [b6_pick(lang, ["HR note (confidential)", "Personalakte – Notiz", "Note RH", "Nota RRHH", "Nota HR", "HR-notitie"]), f" · {b6_las(f, r, loc, 'nine')}\n",
           f"Employee: {name}\n", *b6_DOB(f, r, loc), "\n",
           f"{b6_pick(lang, ['Start date', 'Eintrittsdatum', 'Date d’entrée', 'Fecha de alta', 'Data di assunzione', 'Datum in dienst'])}: {b6_other_date(r, loc)}\n",
           "Private e-mail: ", b6_EM(f, r, loc), "\n", "Emergency contact: ", f.name(), " ", b6_PH(r, loc), "\n",
           "Salary account: ", b6_IBAN(r, loc), "\n"]
    if loc == "en_US" or r.random() < 0.15:
        out += [*b6_ssn_phrase(r), "\n"]
    out += [f"Gross: {b6_money(r, loc)} / month, badge {b6_las(f, r, loc, 'account')}\n"]
    if r.random() < 0.4:
        out += ["Laptop handed over (", b6_las(f, r, loc, "imei"), ").\n", *b6_pw_prose(r, lang), "\n"]
    return out


def b6_incident(f, r, loc):
    leaked = b6_vendor(f, r)
    out = [f"# Post-mortem: {r.choice(['credential leak in CI logs', 'payment webhook outage', 'S3 bucket exposed', 'token pushed to public repo'])}\n\n",
           f"Date: {b6_other_date(r, loc, 0.8)} · Duration: {b6_la(f, r, loc, 'dur')[2]} · Severity: SEV{r.randint(1, 3)}\n\n",
           "## Timeline (UTC)\n", f"- {b6_ts(r)} deploy {b6_las(f, r, loc, 'hash')} rolled out to {r.choice(['eu-west-1', 'us-east-2', 'fra1'])}\n",
           f"- {b6_ts(r)} first alert from ", b6_IP(f, r), " (", r.choice(["5xx spike", "unusual API usage", "GuardDuty finding"]), ")\n",
           "- the following credential was visible in the job output: ", leaked, "\n",
           f"- {b6_ts(r)} key revoked and rotated; the new one lives in Vault\n"]
    if r.random() < 0.5:
        out += ["- attacker also used the AWS pair ", B6L("AWS_ACCESS_KEY", b6_aws(r)), " / ", B6L("GENERIC_SECRET", b6_aws_secret(r)), "\n"]
    if r.random() < 0.4:
        out += ["- requests came from ", b6_IP6(f, r), " and ", b6_IP4(f, r), "\n"]
    out += ["\n## Notes\n", "The runbook example (", b6_PLH(r), ") is fine to keep: it is the vendor's documentation value.\n",
            f"Customer impact: {r.randint(2, 900)} orders, e.g. {b6_las(f, r, loc, 'order')}. Contact: ", b6_EM(f, r, loc), "\n"]
    return out


def b6_shell(f, r, loc):
    lang = lang_of(loc)
    n = r.randint(480, 2100)
    host = b6_IP4(f, r)
    cmds = [
        lambda: [f"ssh -i ~/.ssh/id_ed25519 deploy@", host],
        lambda: ["mysql -h ", b6_IP4(f, r), " -u root -p'", B6L("PASSWORD", b6_pw(r, lang, safe=r.random() < 0.5)), "' shop"],
        lambda: ["PGPASSWORD=", B6L("PASSWORD", b6_pw(r, lang, safe=True)), " psql -h db.internal -U app -c 'select count(*) from orders'"],
        lambda: ["export GITHUB_TOKEN=", B6L("GITHUB_TOKEN", b6_gh(r))],
        lambda: ["export OPENAI_API_KEY=", B6L("OPENAI_KEY", b6_openai(r))],
        lambda: ["aws configure set aws_access_key_id ", B6L("AWS_ACCESS_KEY", b6_aws(r))],
        lambda: ["aws configure set aws_secret_access_key ", B6L("GENERIC_SECRET", b6_aws_secret(r))],
        lambda: ["curl -u admin:", B6L("PASSWORD", b6_pw(r, lang, safe=True)), f" https://{f.domain_name()}/api/health"],
        lambda: ["redis-cli -h ", b6_IP4(f, r), " -a ", B6L("PASSWORD", b6_pw(r, lang, safe=True)), " info"],
        lambda: ["htpasswd -b /etc/nginx/.htpasswd ops ", B6L("PASSWORD", b6_pw(r, lang, safe=True))],
        lambda: ["git log --oneline -3  # ", rnd(r, HEX, 7)],
        lambda: [f"git checkout {rnd(r, HEX, 40)}"],
        lambda: [f"docker pull registry.example.org/api:{b6_la(f, r, loc, 'ver')[2]}"],
        lambda: ["mysqldump --user=backup --password=", B6L("PASSWORD", b6_pw(r, lang, safe=True)), " shop > /backup/shop.sql"],
        lambda: ["helm repo add internal https://charts.", f.domain_name(), " --username ci --password ", B6L("PASSWORD", b6_pw(r, lang, safe=True))],
        lambda: ["kubectl -n prod get secret api-keys -o yaml"],
        lambda: [f"echo {b6_uuid(r)} > /tmp/run-id"],
        lambda: ["ping -c3 ", b6_IP(f, r)],
        lambda: ["mongosh 'mongodb+srv://app:", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "@cluster0.", rnd(r, string.ascii_lowercase, 5), ".mongodb.net/prod'"],
        lambda: ["sshpass -p '", B6L("PASSWORD", b6_pw(r, lang)), "' scp backup.tgz root@", b6_IP4(f, r), ":/srv/"],
        lambda: ["./manage.py changepassword admin   # ", r.choice(B6_PW_NONE["en"])],
        lambda: ["stripe login --api-key ", B6L("STRIPE_KEY", b6_stripe(r))],
        lambda: ["echo $TOKEN | docker login ghcr.io -u ci --password-stdin"],
        lambda: [f"date -d @{r.randint(1700000000, 1790000000)}"],
        lambda: ["export EXAMPLE_KEY=", b6_PLH(r), "   # from the SDK readme"],
        lambda: ["gh auth login --with-token <<< ", B6L("GITHUB_TOKEN", b6_gh(r))],
        lambda: ["export SLACK_BOT_TOKEN=", B6L("SLACK_TOKEN", b6_slack(r))],
        lambda: ["export ANTHROPIC_API_KEY=", B6L("ANTHROPIC_KEY", b6_anthropic(r))],
        lambda: ["export API_KEY=", b6_standin(r).replace("'", "")],
    ]
    out = [r.choice(["$ history | tail -n 12\n", "bash_history (ops-bastion):\n", ""])]
    for _ in range(r.randint(5, 10)):
        n += r.randint(1, 4)
        out += [f"{n:>5}  "] + r.choice(cmds)() + ["\n"]
    return out


def b6_ci(f, r, loc):
    t = datetime.datetime(2025, r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
    def ts():
        nonlocal t
        t += datetime.timedelta(milliseconds=r.randint(10, 9000))
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + rnd(r, string.digits, 7) + "Z "
    run = r.randint(1000, 99999)
    out = [ts(), f"##[group]Run {r.choice(['./scripts/deploy.sh', 'make release', 'npm run e2e'])} (run #{run}, attempt {r.randint(1, 3)})\n",
           ts(), f"commit {rnd(r, HEX, 40)} on {r.choice(['main', 'release/2025.12', 'feature/checkout'])}\n",
           ts(), "TOKEN: ***\n"]
    steps = [
        lambda: ["DEBUG env: DEPLOY_KEY=", B6L("GENERIC_SECRET", b6_generic(r))],
        lambda: ["Using token ", b6_vendor(f, r, r.choice(["GITHUB_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "GOOGLE_API_KEY"]))],
        lambda: ["docker login -u ci -p ", B6L("PASSWORD", b6_pw(r, "en", safe=True)), " registry.internal"],
        lambda: [f"Step {r.randint(1, 20)}/{r.randint(21, 40)} : RUN pip install -r requirements.txt ({b6_las(f, r, loc, 'dur')})"],
        lambda: [f"Successfully built {rnd(r, HEX, 12)}, pushed {b6_las(f, r, loc, 'hash')}"],
        lambda: [f"test_checkout.py::test_refund PASSED [{r.randint(1, 99)}%]"],
        lambda: ["connecting to postgres://app:", B6L("PASSWORD", b6_pw(r, "en", safe=True)), "@", b6_IP4(f, r), ":5432/app"],
        lambda: ["Warning: sample key ", b6_PLH(r), " found in docs/, ignored"],
        lambda: [f"Uploading artifact build-{b6_la(f, r, loc, 'ver')[2]}.tar.gz ({r.randint(1, 900)} MB)"],
        lambda: ["notify: posting to #deploys as ", b6_EM(f, r, loc)],
        lambda: ["JWT for e2e user: ", B6L("JWT", b6_jwt(f, r))],
        lambda: [f"##[warning]{r.choice(B6_PW_NONE['en'])}"],
        lambda: ["SECRET_KEY_BASE=", b6_standin(r)],
    ]
    for _ in range(r.randint(4, 8)):
        out += [ts()] + r.choice(steps)() + ["\n"]
    out += [ts(), "##[endgroup]\n", ts(), f"Job finished in {b6_la(f, r, loc, 'dur')[2]} with exit code {r.choice([0, 0, 1])}\n"]
    return out


def b6_trace(f, r, loc):
    lang = lang_of(loc)
    if r.random() < 0.5:
        return ["Traceback (most recent call last):\n", f'  File "/srv/app/billing/sync.py", line {r.randint(10, 900)}, in push_invoice\n',
                "    resp = client.post(url, json=payload, timeout=30)\n", f'  File "/usr/lib/python3.12/site-packages/httpx/_client.py", line {r.randint(100, 2000)}, in post\n',
                "httpx.ConnectError: could not reach ", b6_IP(f, r), f":443 while posting {b6_las(f, r, loc, 'invoice')} for ", b6_EM(f, r, loc), "\n",
                "During handling of the above exception, another exception occurred:\n",
                "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server failed: postgresql://billing:",
                B6L("PASSWORD", b6_pw(r, lang, safe=True)), f"@db-{r.randint(1, 9)}.internal:5432/billing\n", f"request_id={b6_uuid(r)}\n"]
    return [f"{b6_ts(r)} ERROR [http-nio-8080-exec-{r.randint(1, 20)}] c.a.payments.CardService - charge failed\n",
            "java.lang.IllegalStateException: declined card=", b6_CC(f, r), f" amount={b6_money(r, loc)} ", b6_las(f, r, loc, "vendorid"), "\n",
            f"\tat com.acme.payments.CardService.charge(CardService.java:{r.randint(40, 400)})\n",
            f"\tat com.acme.payments.api.CheckoutController.pay(CheckoutController.java:{r.randint(40, 400)})\n",
            "Caused by: com.acme.gateway.AuthException: 401 for apiKey=", B6L("GENERIC_SECRET", rnd(r, AN, 32)), " user=", b6_EM(f, r, loc), "\n",
            f"\t... {r.randint(3, 60)} more\n"]


def b6_sql(f, r, loc):
    lang = lang_of(loc)
    out = [r.choice(["-- migration ", "-- ad-hoc fix ", "/* support fix */ -- "]), b6_las(f, r, loc, "ticket"), "\n",
           "INSERT INTO customers (id, full_name, email, phone, date_of_birth, iban, created_at) VALUES\n"]
    for i in range(r.randint(1, 4)):
        nm = f.name().replace("'", "''")
        out += [f"  ({r.randint(1000, 99999)}, '{nm}', '", b6_EM(f, r, loc), "', '", b6_PH(r, loc), "', '",
                B6L("DATE_OF_BIRTH", b6_birth(r, 18, 90).isoformat()), "', '", B6L("IBAN", b6_iban(r, loc, grouped=False)),
                f"', '{b6_day(r).isoformat()} 10:0{i}:00')", ",\n"]
    out[-1] = ";\n"
    k = r.randrange(3)
    if k == 0:
        out += ["UPDATE users SET password = crypt('", B6L("PASSWORD", b6_pw(r, lang)), "', gen_salt('bf')) WHERE email = '", b6_EM(f, r, loc), "';\n"]
    elif k == 1:
        out += [f"SELECT * FROM orders WHERE order_no = '{b6_la(f, r, loc, 'order')[2]}' AND total > {r.randint(10, 900)}.{r.randint(0, 99):02d};\n"]
    else:
        out += ["UPDATE patients SET ssn = '", b6_SSN(r, "dash"), f"' WHERE mrn = '{rnd(r, string.digits, 8)}';\n"]
    out += [f"-- {r.choice(B6_PW_NONE[lang])}\n"]
    return out


def b6_env(f, r, loc):
    lang = lang_of(loc)
    lines = [["# ", f.domain_name(), " - production\n"], ["NODE_ENV=production\n"], [f"RELEASE={b6_la(f, r, loc, 'ver')[2]}\n"],
             ["DATABASE_URL=postgres://app:", B6L("PASSWORD", b6_pw(r, lang, safe=True)), f"@{f.domain_word()}-db.internal:5432/app\n"],
             ["REDIS_URL=redis://:", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "@", b6_IP4(f, r), ":6379/0\n"],
             ["STRIPE_SECRET_KEY=", B6L("STRIPE_KEY", b6_stripe(r)), "\n"], ["STRIPE_PUBLISHABLE_KEY=pk_live_", rnd(r, AN, 24), "\n"],
             ["GOOGLE_MAPS_KEY=", B6L("GOOGLE_API_KEY", b6_google(r)), "\n"], ["OAUTH_CLIENT_ID=", rnd(r, string.digits, 12), "\n"],
             ["OAUTH_CLIENT_SECRET=", B6L("GENERIC_SECRET", b6_generic(r)), "\n"], ["SESSION_SECRET=", B6L("GENERIC_SECRET", b6_generic(r)), "\n"],
             ["SMTP_USER=", b6_EM(f, r, loc), "\n"], ["SMTP_PASS=", B6L("PASSWORD", b6_pw(r, lang)), "\n"],
             ["MAILGUN_KEY=", b6_standin(r), "\n"], ["EXAMPLE_AWS_KEY=", b6_PLH(r, "AWS_ACCESS_KEY"), "\n"],
             ["AWS_ACCESS_KEY_ID=", B6L("AWS_ACCESS_KEY", b6_aws(r)), "\n"], ["AWS_SECRET_ACCESS_KEY=", B6L("GENERIC_SECRET", b6_aws_secret(r)), "\n"],
             [f"SUPPORT_PHONE=\"", b6_PH(r, loc, intl_only=True), "\"\n"], [f"BUILD_TIMESTAMP={b6_la(f, r, loc, 'time')[2]}\n"],
             [f"{b6_ascii_upper(b6_pw_key(r, lang))}=", B6L("PASSWORD", b6_pw(r, lang)), "\n"], ["PASSWORD_MIN_LENGTH=12\n"],
             ["ADMIN_PASSWORD=", r.choice(["changeme", "${ADMIN_PASSWORD}", "********"]), "\n"]]
    pick = [lines[0], lines[1]] + r.sample(lines[2:], r.randint(6, 12))
    return [x for ln in pick for x in ln]


def b6_yaml(f, r, loc):
    lang = lang_of(loc)
    q = r.choice(["'", '"', ""])
    pw = b6_pw(r, lang)
    qpw = q if q or not any(c in pw for c in "#:@!&*%?") else "'"
    return [f"# config/{r.choice(['production', 'staging'])}.yml  (rev {rnd(r, HEX, 7)})\n", "server:\n", "  bind: ", b6_IP4(f, r), "\n  port: 8443\n",
            "database:\n", f"  host: db.{f.domain_name()}\n", "  user: svc_app\n", f"  {b6_pw_key(r, lang)}: {qpw}", B6L("PASSWORD", pw), f"{qpw}\n",
            "  pool_timeout: 30s\n", "mail:\n", "  from: ", b6_EM(f, r, loc), "\n", "  smtp_password: ", r.choice(["'{{ vault_smtp_password }}'", "${SMTP_PASSWORD}", "''", "~"]), "\n",
            "integrations:\n", "  slack:\n", "    bot_token: ", b6_vendor(f, r, "SLACK_TOKEN"), "\n", "    channel: C0", rnd(r, string.ascii_uppercase + string.digits, 9), "\n",
            "  openai:\n", "    api_key: ", b6_vendor(f, r, r.choice(["OPENAI_KEY", "ANTHROPIC_KEY"])), "\n",
            "  webhook:\n", "    signing_secret: ", B6L("GENERIC_SECRET", b6_generic(r)), "\n", "    example_key: ", b6_standin(r) if r.random() < 0.5 else b6_PLH(r), "\n",
            "oncall:\n", "  - name: ", f.name(), "\n", "    phone: ", "'", b6_PH(r, loc), "'\n", f"    since: {b6_other_date(r, loc, 1)}\n",
            f"release: {b6_la(f, r, loc, 'ver')[2]}\n"]


def b6_toml(f, r, loc):
    lang = lang_of(loc)
    return ["# settings.toml\n", "[app]\n", f'name = "{f.domain_word()}"\n', f'version = "{r.randint(0, 5)}.{r.randint(0, 30)}.{r.randint(0, 9)}"\n',
            f"started = {b6_day(r).isoformat()}T08:00:00Z\n\n",
            "[database]\n", 'url = "mysql://shop:', B6L("PASSWORD", b6_pw(r, lang, safe=True)), '@', b6_IP4(f, r), ':3306/shop"\n', "max_connections = 40\n\n",
            "[github]\n", 'token = "', B6L("GITHUB_TOKEN", b6_gh(r)), '"\n', f'app_id = {r.randint(100000, 999999)}\n', 'private_key = """\n', b6_PEM(r), '\n"""\n\n',
            "[support]\n", 'email = "', b6_EM(f, r, loc), '"\n', 'hotline = "', b6_PH(r, loc), '"\n', f'"{b6_pw_key(r, lang)}" = "', B6L("PASSWORD", b6_pw(r, lang)), '"\n']


def b6_ini(f, r, loc):
    lang = lang_of(loc)
    k = r.randrange(3)
    if k == 0:
        return ["# ~/.my.cnf\n", "[client]\n", "user=backup\n", "password=", B6L("PASSWORD", b6_pw(r, lang)), "\n", "host=", b6_IP4(f, r), "\n\n",
                "[mysqldump]\n", "single-transaction\n", f"# last run {b6_ts(r)}, {b6_las(f, r, loc, 'dur')}\n"]
    if k == 1:
        return ["; php.ini overrides for the shop\n", "[mail function]\n", "SMTP = smtp.", f.domain_name(), "\n", "sendmail_from = ", b6_EM(f, r, loc), "\n",
                "smtp_user = ", b6_EM(f, r, loc), "\n", f"{b6_pw_key(r, lang)} = ", B6L("PASSWORD", b6_pw(r, lang)), "\n",
                "[payment]\n", "api_secret = ", B6L("GENERIC_SECRET", b6_generic(r)), "\n", "sandbox_key = ", b6_PLH(r, "STRIPE_KEY"), "\n",
                f"ean_test_product = {b6_la(f, r, loc, 'ean')[2]}\n"]
    return ["# ~/.netrc\n", f"machine api.{f.domain_name()}\n", "  login ", b6_EM(f, r, loc), "\n", "  password ", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "\n",
            "machine github.com\n", "  login x-access-token\n", "  password ", B6L("GITHUB_TOKEN", b6_gh(r)), "\n"]


def b6_jsonconf(f, r, loc):
    lang = lang_of(loc)
    return ["$ cat appsettings.Production.json\n", "{\n", '  "ConnectionStrings": {\n',
            '    "Default": "Server=', b6_IP4(f, r), ',1433;Database=Crm;User Id=crm_app;Password=', B6L("PASSWORD", b6_pw(r, lang, safe=True)), ';TrustServerCertificate=True"\n',
            "  },\n", '  "Jwt": { "Issuer": "https://', f.domain_name(), '", "SigningKey": "', B6L("GENERIC_SECRET", b6_generic(r)), '", "LifetimeMinutes": 60 },\n',
            '  "Sendgrid": { "ApiKey": "', b6_standin(r), '" },\n', '  "Maps": { "Key": "', B6L("GOOGLE_API_KEY", b6_google(r)), '" },\n',
            '  "Support": { "Email": "', b6_EM(f, r, loc), '", "Phone": "', b6_PH(r, loc), '" },\n',
            f'  "Build": {{ "Sha": "{rnd(r, HEX, 40)}", "Number": {r.randint(1000, 99999)}, "Id": "{b6_uuid(r)}" }}\n', "}\n"]


def b6_xml(f, r, loc):
    lang = lang_of(loc)
    if r.random() < 0.5:
        return ['<?xml version="1.0" encoding="UTF-8"?>\n', "<settings>\n  <servers>\n    <server>\n      <id>nexus-releases</id>\n",
                "      <username>", b6_EM(f, r, loc), "</username>\n", "      <password>", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "</password>\n",
                "    </server>\n    <server>\n      <id>github</id>\n      <password>", B6L("GITHUB_TOKEN", b6_gh(r)), "</password>\n    </server>\n  </servers>\n",
                f"  <!-- generated {b6_ts(r)} by {b6_las(f, r, loc, 'ver')} -->\n</settings>\n"]
    return ['<?xml version="1.0"?>\n<configuration>\n  <appSettings>\n', '    <add key="PartnerApiKey" value="', B6L("GENERIC_SECRET", b6_generic(r)), '" />\n',
            '    <add key="SampleKey" value="', b6_PLH(r), '" />\n', '    <add key="ContactPhone" value="', b6_PH(r, loc), '" />\n',
            f'    <add key="BuildId" value="{b6_uuid(r)}" />\n', "  </appSettings>\n  <connectionStrings>\n",
            '    <add name="Orders" connectionString="Data Source=', b6_IP4(f, r), ';Initial Catalog=Orders;User ID=web;Password=', B6L("PASSWORD", b6_pw(r, lang, safe=True)), '" />\n',
            "  </connectionStrings>\n</configuration>\n"]


def b6_k8s(f, r, loc):
    lang = lang_of(loc)
    enc = lambda s: base64.b64encode(s.encode()).decode()
    out = ["apiVersion: v1\nkind: Secret\nmetadata:\n", f"  name: {f.domain_word()}-credentials\n  namespace: prod\n",
           f"  annotations:\n    checksum/config: {rnd(r, HEX, 64)}\n", "type: Opaque\ndata:\n",
           f"  username: {enc(r.choice(['app', 'svc_orders', 'postgres']))}\n", "  password: ", B6L("PASSWORD", enc(b6_pw(r, lang))), "\n",
           "  api-token: ", B6L("GENERIC_SECRET", enc(b6_generic(r))), "\n", f"  host: {enc(f.domain_name())}\n"]
    if r.random() < 0.5:
        out += ["stringData:\n", "  STRIPE_KEY: ", b6_vendor(f, r, "STRIPE_KEY"), "\n", "  ALERT_EMAIL: ", b6_EM(f, r, loc), "\n"]
    if r.random() < 0.4:
        out += ["---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: tls-cert\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n    ",
                b6_cert(r, "\n    "), "\n  tls.key: |\n    ", b6_PEM(r, "\n    "), "\n"]
    return out


def b6_compose(f, r, loc):
    lang = lang_of(loc)
    return ["services:\n", "  db:\n", f"    image: postgres:{r.randint(13, 17)}.{r.randint(0, 9)}\n", "    environment:\n",
            "      POSTGRES_USER: shop\n", "      POSTGRES_PASSWORD: ", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "\n",
            "  api:\n", f"    image: ghcr.io/{b6_ascii(f.last_name())}/api@sha256:{rnd(r, HEX, 64)}\n", "    environment:\n",
            "      - DATABASE_URL=postgresql://shop:", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "@db:5432/shop\n",
            *(lambda t: [f"      - {t.split('_')[0]}_API_KEY=", b6_vendor(f, r, t), "\n"])(r.choice(["ANTHROPIC_KEY", "OPENAI_KEY"])),
            "      - JWT_SECRET=", B6L("GENERIC_SECRET", b6_generic(r)), "\n", f"      - COHERE_API_KEY={b6_standin(r)}\n",
            "    extra_hosts:\n", "      - \"billing.internal:", b6_IP4(f, r), "\"\n", "    ports:\n      - \"8080:8080\"\n"]


def b6_curl(f, r, loc):
    lang = lang_of(loc)
    k = r.randrange(4)
    if k == 0:
        return ["curl -X POST https://api.", f.domain_name(), "/v2/customers \\\n", "  -H 'Authorization: Bearer ", B6L("JWT", b6_jwt(f, r)), "' \\\n",
                "  -H 'Content-Type: application/json' \\\n", "  -d '{\"email\": \"", b6_EM(f, r, loc), "\", \"phone\": \"", b6_PH(r, loc, intl_only=True),
                f"\", \"external_ref\": \"{b6_la(f, r, loc, 'account')[2]}\"}}'\n"]
    if k == 1:
        return ["curl https://api.stripe.com/v1/refunds -u ", B6L("STRIPE_KEY", b6_stripe(r)), ": -d charge=", "ch_" + rnd(r, AN, 24), f" -d amount={r.randint(100, 99999)}\n",
                "# docs version: curl https://api.stripe.com/v1/refunds -u ", b6_PLH(r, "STRIPE_KEY"), ":\n"]
    if k == 2:
        return ["curl -s 'https://maps.googleapis.com/maps/api/geocode/json?address=", b6_city(r, loc).replace(" ", "+"), "&key=", B6L("GOOGLE_API_KEY", b6_google(r)), "'",
                f" | jq '.results[0].geometry'  # expect {b6_la(f, r, loc, 'geo')[2]}\n"]
    return ["curl -sS --user ", B6L("EMAIL", b6_email(f, r, loc)), ":", B6L("PASSWORD", b6_pw(r, lang, safe=True)), " -H 'X-Api-Key: ", B6L("GENERIC_SECRET", rnd(r, HEX, 40)),
            "' https://", f.domain_name(), f"/rest/tickets/{b6_la(f, r, loc, 'ticket')[2]}\n"]


def b6_http(f, r, loc):
    lang = lang_of(loc)
    out = [f"{r.choice(['POST', 'PUT', 'PATCH'])} /api/v1/{r.choice(['profile', 'payments', 'sessions'])} HTTP/1.1\r\n", f"Host: {f.domain_name()}\r\n",
           f"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/{r.randint(118, 133)}.0.{r.randint(5000, 6999)}.{r.randint(10, 199)} Safari/537.36\r\n",
           "X-Forwarded-For: ", b6_IP(f, r), ", ", b6_IP4(f, r), "\r\n"]
    k = r.randrange(3)
    if k == 0:
        out += ["Authorization: Bearer ", B6L("JWT", b6_jwt(f, r)), "\r\n"]
    elif k == 1:
        out += ["X-API-Key: ", B6L("GENERIC_SECRET", b6_generic(r)), "\r\n"]
    else:
        out += ["Authorization: token ", B6L("GITHUB_TOKEN", b6_gh(r)), "\r\n"]
    out += ["Cookie: _ga=GA1.2.", str(r.randint(10 ** 8, 10 ** 9)), ".", str(r.randint(1700000000, 1790000000)), "; sessionid=", B6L("GENERIC_SECRET", rnd(r, string.ascii_lowercase + string.digits, 32)), "\r\n",
            f"X-Request-Id: {b6_uuid(r)}\r\n", f"If-None-Match: W/\"{rnd(r, HEX, 32)}\"\r\n", "Content-Type: application/x-www-form-urlencoded\r\n\r\n"]
    body = r.choice([
        lambda: ["email=", B6L("EMAIL", b6_email(f, r, loc).replace("+", "%2B")), "&password=", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "&remember=1"],
        lambda: ["card_number=", B6L("CREDIT_CARD", f.credit_card_number(card_type=r.choice(["visa16", "mastercard", "amex"]))), "&cvc=", B6L("GENERIC_SECRET", rnd(r, string.digits, r.choice([3, 4]))),
                 f"&exp_month={r.randint(1, 12)}&exp_year={r.randint(2026, 2032)}&order={b6_la(f, r, loc, 'order')[2]}"],
        lambda: ["phone=", b6_PH(r, loc, intl_only=True), "&dob=", B6L("DATE_OF_BIRTH", b6_birth(r, 18, 80).isoformat()), "&consent_at=", str(r.randint(1700000000, 1790000000))],
    ])()
    return out + body + ["\n"]


def b6_csv(f, r, loc):
    lang = lang_of(loc)
    sep = ";" if lang in ("de", "fr", "es", "it", "nl") else ","
    head = ["customer_no", "name", "email", "phone", "iban", "birth_date", "last_order", "last_order_date", "total"]
    out = [sep.join(head), "\n"]
    for _ in range(r.randint(2, 6)):
        tot = b6_money(r, loc).replace(sep, " ")
        out += [rnd(r, string.digits, 8), sep, f.name(), sep, b6_EM(f, r, loc), sep, b6_PH(r, loc), sep, B6L("IBAN", b6_iban(r, loc, grouped=False)), sep,
                B6L("DATE_OF_BIRTH", b6_dob(f, r, loc, iso_p=0.3)), sep, b6_la(f, r, loc, "order")[2].replace(sep, " "), sep, b6_other_date(r, loc), sep, f'"{tot}"', "\n"]
    return out


def b6_invoice(f, r, loc):
    lang = lang_of(loc)
    h = {"en": ("INVOICE", "Payment to", "Due"), "de": ("RECHNUNG", "Zahlbar an", "Fällig"), "fr": ("FACTURE", "Règlement à", "Échéance"),
         "es": ("FACTURA", "Pago a", "Vencimiento"), "it": ("FATTURA", "Pagamento a", "Scadenza"), "nl": ("FACTUUR", "Betaling aan", "Vervaldatum")}[lang]
    out = [f"{h[0]} {b6_la(f, r, loc, 'invoice')[2]}\n", f"{f.company()}\n{f.address()}\n", "VAT ", rnd(r, string.ascii_uppercase, 2) + rnd(r, string.digits, 9), "\n",
           B6_TEL[lang], " ", b6_PH(r, loc), " · ", b6_EM(f, r, loc), "\n\n", f"{h[2]}: {b6_other_date(r, loc)}\n"]
    for _ in range(r.randint(1, 4)):
        out += [f"  {b6_la(f, r, loc, 'sku')[2]}  {f.word()} x{r.randint(1, 12)}  {b6_money(r, loc)}\n"]
    out += [f"Total: {b6_money(r, loc)}\n\n", f"{h[1]}: {f.company()}\n", "IBAN ", b6_IBAN(r, loc), "\n",
            f"BIC {rnd(r, string.ascii_uppercase, 6)}{rnd(r, string.ascii_uppercase + string.digits, 2)}\n", f"{b6_las(f, r, loc, 'account')}\n"]
    return out


def b6_shipping(f, r, loc):
    lang = lang_of(loc)
    return [b6_pick(lang, ["Delivery note", "Lieferschein", "Bon de livraison", "Albarán", "DDT", "Pakbon"]), f" {b6_la(f, r, loc, 'order')[2]}\n",
            f"Ship to: {f.name()}\n{f.address()}\n", B6_TEL[lang], ": ", b6_PH(r, loc), "\n", "Notify: ", b6_EM(f, r, loc), "\n",
            f"Carrier: {b6_las(f, r, loc, 'tracking')}\n", f"Weight: {r.randint(1, 40)}.{r.randint(0, 9)} kg, {r.randint(1, 6)} parcels\n",
            f"Items: {b6_las(f, r, loc, 'ean')}, {b6_las(f, r, loc, 'sku')}, {b6_las(f, r, loc, 'imei')}\n",
            f"Pick-up window: {b6_other_date(r, loc)} {r.randint(8, 11)}:00–{r.randint(12, 18)}:00\n",
            b6_pick(lang, ["Leave at the door.", "Bitte beim Nachbarn abgeben.", "Code portail 4B21.", "Llamar antes.", "Citofono rotto, chiamare.", "Niet bij de buren."]), "\n"]


def b6_transfer(f, r, loc):
    lang = lang_of(loc)
    out = [b6_pick(lang, ["Wire instructions", "Überweisung bitte an", "Coordonnées bancaires", "Datos para la transferencia", "Coordinate bancarie", "Betaalgegevens"]), ":\n",
           f"Beneficiary: {f.company()}\n", "IBAN: ", b6_IBAN(r, loc), "\n", f"BIC/SWIFT: {rnd(r, string.ascii_uppercase, 6)}{rnd(r, string.ascii_uppercase + string.digits, 2)}\n",
           f"Amount: {b6_money(r, loc)}\n", f"Reference: {b6_la(f, r, loc, 'invoice')[2]}\n"]
    if loc == "en_US" or r.random() < 0.2:
        out += [f"(US) ABA {b6_aba(r)}, account {rnd(r, string.digits, 10)}\n"]
    out += [f"Please do NOT use the old account {b6_iban(r, loc, valid=False)} — it has been closed.\n",
            "Questions: ", b6_EM(f, r, loc), " or ", b6_PH(r, loc), "\n"]
    if r.random() < 0.3:
        out += ["For card payments call us; never e-mail the full number and CVC.\n"]
    return out


def b6_medical(f, r, loc):
    name = f.name()
    out = ["PATIENT INTAKE / INSURANCE VERIFICATION\n", f"Patient: {name}\n", "DOB: ", B6L("DATE_OF_BIRTH", b6_datefmt(b6_birth(r, 0, 95), r, "en_US", 0.1)), "\n",
           "SSN: ", b6_SSN(r, r.choice(["dash", "dash", "bare", "space"])), "\n",
           f"Insurance: {r.choice(['Aetna', 'BlueCross BlueShield', 'UnitedHealthcare', 'Cigna'])}  Member ID: {rnd(r, string.ascii_uppercase, 3)}{rnd(r, string.digits, 9)}  Group #: {rnd(r, string.digits, 6)}\n",
           f"Policy holder: {f.name()} (spouse), ", *b6_DOB(f, r, "en_US"), "\n",
           "Phone: ", b6_PH(r, "en_US"), "   Email: ", b6_EM(f, r, loc), "\n",
           f"Referring NPI: {b6_luhn_fix('808401' + rnd(r, string.digits, 8))[5:]}   Claim no.: {rnd(r, string.digits, 9)}\n",
           f"Visit: {b6_other_date(r, 'en_US')}  ICD-10: {r.choice(['J06.9', 'M54.5', 'E11.9', 'I10'])}  CPT: {r.choice(['99213', '99214', '87880'])}\n",
           f"Patient responsibility: ${r.randint(10, 80)}.{r.choice(['00', '50'])} at check-in\n"]
    if r.random() < 0.4:
        out += ["Card on file: ", b6_CC(f, r), f"  exp {r.randint(1, 12):02d}/{r.randint(26, 31)}\n"]
    return out


def b6_payroll(f, r, loc):
    lang = lang_of(loc)
    out = [f"Payroll note — period {b6_other_date(r, loc, 1)[:7]}\n"]
    for _ in range(r.randint(1, 3)):
        out += [f"* {f.name()} (emp #{rnd(r, string.digits, 6)}): gross {b6_money(r, loc)}, net {b6_money(r, loc)}, ", "pay to ", b6_IBAN(r, loc, grouped=r.random() < 0.3)]
        if loc == "en_US":
            out += [", SSN ", b6_SSN(r), f", routing {b6_aba(r)}"]
        out += ["\n"]
    out += [f"Employer EIN {rnd(r, string.digits, 2)}-{rnd(r, string.digits, 7)}; run id {b6_uuid(r)}\n",
            "Portal: ", f"https://payroll.{f.domain_name()}", " user ", b6_EM(f, r, loc), " ", r.choice(B6_PW_NONE[lang]), "\n"]
    return out


def b6_nginx(f, r, loc):
    out = []
    for _ in range(r.randint(3, 7)):
        t = datetime.datetime.fromtimestamp(r.randint(1735689600, 1790000000), datetime.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
        path = r.choice([f"/orders/{b6_la(f, r, loc, 'order')[2].replace(' ', '')}", f"/track/{b6_la(f, r, loc, 'tracking')[2].replace(' ', '')}",
                         f"/static/app.{rnd(r, HEX, 8)}.js", f"/api/v1/items?ean={b6_la(f, r, loc, 'ean')[2]}", f"/login?next=%2Faccount%2F{rnd(r, string.digits, 7)}"])
        out += [b6_IP(f, r), f' - - [{t}] "GET {path} HTTP/2.0" {r.choice([200, 200, 301, 404, 500])} {r.randint(200, 90000)} "-" "Mozilla/5.0" rt={r.randint(1, 999) / 1000}\n']
    return out


def b6_code(f, r, loc):
    lang = lang_of(loc)
    k = r.randrange(2)
    if k == 0:
        return ["Review comment on `services/notify.py` (", rnd(r, HEX, 7), "):\n", "```python\n", "SLACK = WebClient(token=\"", b6_vendor(f, r, "SLACK_TOKEN"), "\")\n",
                "openai.api_key = \"", b6_vendor(f, r, r.choice(["OPENAI_KEY", "ANTHROPIC_KEY"])), "\"\n", "# from the quickstart: ", b6_PLH(r, "OPENAI_KEY"), "\n",
                "ADMIN = {\"user\": \"root\", \"", b6_pw_key(r, lang), "\": \"", B6L("PASSWORD", b6_pw(r, lang)), "\"}\n", "```\n",
                "Please move these to the secret manager. ", r.choice(B6_PW_NONE["en"]), "\n"]
    return ["```js\n", "const firebaseConfig = {\n", "  apiKey: \"", B6L("GOOGLE_API_KEY", b6_google(r)), "\",\n", f"  projectId: \"{f.domain_word()}-prod\",\n",
            f"  appId: \"1:{rnd(r, string.digits, 12)}:web:{rnd(r, HEX, 22)}\",\n", "};\n", "const aws = new S3Client({ credentials: { accessKeyId: '", B6L("AWS_ACCESS_KEY", b6_aws(r)),
            "', secretAccessKey: '", B6L("GENERIC_SECRET", b6_aws_secret(r)), "' } });\n", "// docs: accessKeyId: '", b6_PLH(r, "AWS_ACCESS_KEY"), "', secretAccessKey: '", b6_PLH(r, "AWS_SECRET"), "'\n", "```\n"]


def b6_readme(f, r, loc):
    lang = lang_of(loc)
    return ["## Quick start\n\n", "1. Create a token at https://github.com/settings/tokens and export it:\n\n", "   export GITHUB_TOKEN=", b6_PLH(r, "GITHUB_TOKEN"), "\n\n",
            "2. Put your keys in `.env` (never commit it):\n\n", "   SLACK_BOT_TOKEN=", b6_standin(r), "\n", "   STRIPE_KEY=", b6_PLH(r, "STRIPE_KEY"), "\n",
            "   ANTHROPIC_API_KEY=", b6_PLH(r, "ANTHROPIC_KEY"), "\n", "   GOOGLE_KEY=", b6_PLH(r, "GOOGLE_API_KEY"), "\n\n",
            "3. A request then looks like:\n\n", "   Authorization: Bearer ", b6_PLH(r, "JWT"), "\n\n",
            "4. For SSH deploys paste your key:\n\n", b6_pem_plh(r), "\n\n", r.choice(B6_PW_NONE[lang]), " ", r.choice(B6_PW_NONE["en"]), "\n",
            f"Tested with {b6_las(f, r, loc, 'ver')} on {b6_las(f, r, loc, 'ver')}; questions to ", b6_EM(f, r, loc), "\n"]


def b6_tfvars(f, r, loc):
    lang = lang_of(loc)
    return ["# terraform.tfvars (do not commit!)\n", f'region          = "{r.choice(["eu-central-1", "eu-west-3", "us-east-1"])}"\n',
            'allowed_ip      = "', b6_IP4(f, r), '"\n', 'ipv6_peer       = "', b6_IP6(f, r), '"\n', 'db_password     = "', B6L("PASSWORD", b6_pw(r, lang)), '"\n',
            'datadog_api_key = "', B6L("GENERIC_SECRET", rnd(r, HEX, 32)), '"\n', f'ami_id          = "ami-{rnd(r, HEX, 17)}"\n',
            'alert_email     = "', b6_EM(f, r, loc), '"\n', 'cloudflare_token = "', B6L("GENERIC_SECRET", rnd(r, AN + "_-", 40)), '"\n',
            f'tags = {{ owner = "{b6_ascii(f.first_name())}", cost_center = "{rnd(r, string.digits, 6)}" }}\n']


def b6_form(f, r, loc):
    """A filled-in online form as pasted back by the agent, labels in the locale's language."""
    lang = lang_of(loc)
    lab = {"en": ("Name", "E-mail", "Phone", "Card", "Security code", "Message"), "de": ("Name", "E-Mail", "Telefon", "Karte", "Prüfnummer (CVC)", "Nachricht"),
           "fr": ("Nom", "Courriel", "Téléphone", "Carte", "Cryptogramme (CVV)", "Message"), "es": ("Nombre", "Correo", "Teléfono", "Tarjeta", "CVV", "Mensaje"),
           "it": ("Nome", "E-mail", "Telefono", "Carta", "CVV", "Messaggio"), "nl": ("Naam", "E-mail", "Telefoon", "Kaart", "CVC", "Bericht")}[lang]
    return [f"{lab[0]}: {f.name()}\n", f"{lab[1]}: ", b6_EM(f, r, loc), "\n", f"{lab[2]}: ", b6_PH(r, loc), "\n", *b6_DOB(f, r, loc), "\n",
            f"{lab[3]}: ", b6_CC(f, r), f"  {r.randint(1, 12):02d}/{r.randint(26, 31)}\n", f"{lab[4]}: ", B6L("GENERIC_SECRET", rnd(r, string.digits, r.choice([3, 3, 4]))), "\n",
            f"{lab[5]}: {b6_pick(lang, ['please deliver after 6pm', 'bitte Rechnung an die Firma', 'merci', 'gracias', 'grazie mille', 'dank je'])} ({b6_las(f, r, loc)})\n"]


B6_TEXT_KINDS = [b6_ticket, b6_chat, b6_email_thread, b6_crm, b6_hr, b6_incident, b6_shell, b6_ci, b6_trace, b6_sql, b6_env, b6_yaml, b6_toml,
                 b6_ini, b6_jsonconf, b6_xml, b6_k8s, b6_compose, b6_curl, b6_http, b6_csv, b6_invoice, b6_shipping, b6_transfer, b6_medical,
                 b6_payroll, b6_nginx, b6_code, b6_readme, b6_tfvars, b6_form]


def b6_text(f, r, loc):
    parts = [p for p in r.choice(B6_TEXT_KINDS)(f, r, loc) if p != ""]
    if r.random() < 0.3 and isinstance(parts[-1], str) and parts[-1].endswith("\n"):
        parts[-1] = parts[-1][:-1]  # no final line break: a value can end the document
    return [p for p in parts if p != ""]


# ---------- blind6 JSON documents (tool calls, tool results, records) ----------

def b6_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out.extend(b6_flat(*x))
        elif x is not None:
            out.append(x)
    return out


def b6_labels(v):
    """The labelled pieces of a JSON document, in the order Writer writes them."""
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b6_labels(y)]
    if isinstance(v, list):
        return [x for y in v for x in b6_labels(y)]
    return []


def b6_js(*xs):
    """Parts of one JSON string: line breaks joined with ' / ', nothing that needs an escape."""
    out = []
    for p in b6_flat(*xs):
        if isinstance(p, L):
            if "\n" in p.text or "\r" in p.text:
                p = B6L(p.typ, " ".join(x.strip() for x in p.text.replace("\r", "").split("\n") if x.strip()))
            assert '"' not in p.text and "\\" not in p.text and not any(ord(c) < 32 for c in p.text), p.text
            out.append(p)
        else:
            s = p.replace("\r", "").replace("\n", " / ").replace("\t", " ").replace('"', "'").replace("\\", "/")
            out.append("".join(c for c in s if ord(c) >= 32))
    return [p for p in out if not (isinstance(p, str) and p == "")] or [""]


def b6_jtext(f, r, loc, kinds=None):
    return b6_js(r.choice(kinds or B6_TEXT_KINDS)(f, r, loc))


def b6_lines(f, r, loc, kinds):
    """A text document as a JSON array of its lines (log output, file contents)."""
    lines, cur = [], []
    for p in r.choice(kinds)(f, r, loc):
        if isinstance(p, L):
            if "\n" in p.text:
                p = B6L(p.typ, " ".join(x.strip() for x in p.text.split("\n") if x.strip()))
            cur.append(p)
            continue
        segs = p.split("\n")
        for i, s in enumerate(segs):
            if i:
                lines.append(cur)
                cur = []
            if s:
                cur.append(s)
    if cur:
        lines.append(cur)
    return [b6_js(x) for x in lines if x]


def b6_mcp_call(f, r, loc):
    lang = lang_of(loc)
    tool = r.choice(["send_email", "create_ticket", "run_sql", "http_request", "write_file", "update_crm"])
    if tool == "send_email":
        args = {"to": [b6_js(b6_EM(f, r, loc)) for _ in range(r.randint(1, 3))], "cc": [b6_js(b6_EM(f, r, loc))] if r.random() < 0.4 else [],
                "subject": b6_js(b6_pick(lang, ["Your refund", "Zugangsdaten", "Vos identifiants", "Tus datos de acceso", "Credenziali", "Je gegevens"]), f" ({b6_las(f, r, loc, 'ticket')})"),
                "body": b6_jtext(f, r, loc, [b6_email_thread, b6_transfer, b6_form])}
    elif tool == "create_ticket":
        args = {"title": b6_js("Customer ", b6_las(f, r, loc, "account"), " cannot pay"), "priority": r.choice(["high", "low"]),
                "requester": {"email": b6_js(b6_EM(f, r, loc)), "phone": b6_js(b6_PH(r, loc)), "locale": loc},
                "description": b6_jtext(f, r, loc, [b6_ticket, b6_chat, b6_crm])}
    elif tool == "run_sql":
        args = {"database": "prod-replica", "query": b6_jtext(f, r, loc, [b6_sql]), "timeout_ms": r.randint(1000, 60000)}
    elif tool == "http_request":
        args = {"method": "POST", "url": b6_js(f"https://api.{f.domain_name()}/v1/", r.choice(["charges", "users", "messages"])),
                "headers": {"Authorization": b6_js("Bearer ", b6_vendor(f, r, r.choice(["JWT", "OPENAI_KEY", "ANTHROPIC_KEY", "STRIPE_KEY", "GITHUB_TOKEN"]))),
                            "X-Request-Id": b6_uuid(r), "User-Agent": b6_js(f"agent/{b6_la(f, r, loc, 'ver')[2]}")},
                "body": {"customer": {"email": b6_js(b6_EM(f, r, loc)), "phone": b6_js(b6_PH(r, loc, intl_only=True))},
                         "amount": r.randint(100, 500000), "reference": b6_js(b6_la(f, r, loc, "invoice")[2])}}
    elif tool == "write_file":
        path, kinds = r.choice([(".env", [b6_env]), ("config/production.yml", [b6_yaml]), ("docker-compose.yml", [b6_compose]), ("k8s/secret.yaml", [b6_k8s]),
                                ("settings.toml", [b6_toml]), ("terraform.tfvars", [b6_tfvars])])
        args = {"path": path, "lines": b6_lines(f, r, loc, kinds), "mode": "0600"}
    else:
        args = {"record_id": b6_js(b6_la(f, r, loc, "account")[2]),
                "fields": {"phone_mobile": b6_js(b6_PH(r, loc)), "email_private": b6_js(b6_EM(f, r, loc)),
                           "birthday": b6_js(B6L("DATE_OF_BIRTH", b6_birth(r, 18, 90).isoformat())),
                           "last_contact": b6_js(b6_other_date(r, loc, 0.5)), "bank": {"iban": b6_js(b6_IBAN(r, loc))}},
                "note": b6_js(*b6_pw_prose(r, lang)) if r.random() < 0.4 else b6_js(r.choice(B6_PW_NONE[lang]))}
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "method": "tools/call", "params": {"name": tool, "arguments": args}}


def b6_mcp_result(f, r, loc):
    kinds = r.choice([[b6_shell], [b6_ci], [b6_trace], [b6_nginx], [b6_incident, b6_hr, b6_medical], [b6_invoice, b6_shipping, b6_payroll],
                      [b6_jsonconf, b6_xml, b6_ini, b6_code, b6_readme, b6_curl, b6_http, b6_csv]])
    if r.random() < 0.5:
        content = [{"type": "text", "text": b6_jtext(f, r, loc, kinds)}]
    else:
        content = [{"type": "text", "text": b6_js(x)} for x in [[f"exit code {r.choice([0, 1])}, {b6_las(f, r, loc, 'dur')}"]]] + \
                  [{"type": "text", "text": ln} for ln in b6_lines(f, r, loc, kinds)]
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "result": {"content": content, "isError": r.random() < 0.1}}


def b6_tool_use(f, r, loc):
    lang = lang_of(loc)
    name = f.name()
    inp = {"customer": {"display_name": b6_js(name), "contact": {"emails": [{"kind": "work", "address": b6_js(b6_EM(f, r, loc))},
                                                                         {"kind": "home", "address": b6_js(b6_EM(f, r, loc))}],
                                                              "phones": [{"kind": r.choice(["mobile", "landline", "fax"]), "number": b6_js(b6_PH(r, loc))} for _ in range(r.randint(1, 3))]},
                        "ids": {"crm": b6_js(b6_la(f, r, loc, "account")[2]), "legacy": b6_js(b6_uuid(r))}}}
    k = r.randrange(4)
    if k == 0:
        inp["customer"]["payment"] = {"iban": b6_js(b6_IBAN(r, loc)), "mandate_ref": b6_js(f"MNDT-{rnd(r, string.digits, 8)}"), "signed": b6_js(b6_other_date(r, loc, 1))}
    elif k == 1:
        inp["customer"]["verification"] = {"dob": b6_js(B6L("DATE_OF_BIRTH", b6_dob(f, r, loc))), "document": b6_js(b6_las(f, r, loc, "case"))}
    elif k == 2:
        inp["customer"]["portal"] = {"username": b6_js(b6_EM(f, r, loc)), b6_pw_key(r, lang): b6_js(B6L("PASSWORD", b6_pw(r, lang))), "password_hint": "first pet"}
    else:
        inp["customer"]["us_tax"] = {"ssn": b6_js(b6_SSN(r)), "ein_of_employer": b6_js(f"{rnd(r, string.digits, 2)}-{rnd(r, string.digits, 7)}")}
    return {"type": "tool_use", "id": "toolu_01" + rnd(r, AN, 22), "name": r.choice(["upsert_customer", "crm.update", "kyc_check"]), "input": inp}


def b6_hr_record(f, r, loc):
    lang = lang_of(loc)
    keys = {"en": ("date_of_birth", "hire_date"), "de": ("geburtsdatum", "eintrittsdatum"), "fr": ("date_naissance", "date_embauche"),
            "es": ("fecha_nacimiento", "fecha_alta"), "it": ("data_nascita", "data_assunzione"), "nl": ("geboortedatum", "datum_in_dienst")}[lang]
    rec = {"employee": {"id": b6_js(rnd(r, string.digits, 6)), "name": b6_js(f.name()),
                        "personal": {keys[0]: b6_js(B6L("DATE_OF_BIRTH", b6_dob(f, r, loc, 0.5))), "private_email": b6_js(b6_EM(f, r, loc)),
                                     "mobile": b6_js(b6_PH(r, loc))},
                        keys[1]: b6_js(b6_other_date(r, loc, 0.5)), "bank": {"iban": b6_js(b6_IBAN(r, loc)), "bic": b6_js(rnd(r, string.ascii_uppercase, 8))},
                        "emergency": [{"name": b6_js(f.name()), "relation": "partner", "phone": b6_js(b6_PH(r, loc))}]},
           "payroll": {"gross_monthly": round(r.uniform(2000, 9000), 2), "cost_center": b6_js(rnd(r, string.digits, 5)), "period": b6_js(b6_other_date(r, loc, 1)[:7])}}
    if loc == "en_US" or r.random() < 0.1:
        rec["employee"]["personal"]["ssn"] = b6_js(b6_SSN(r))
    return rec


def b6_payment(f, r, loc):
    if r.random() < 0.5:
        return {"payment_method": {"type": "card", "card": {"number": b6_js(b6_CC(f, r)), "cvc": b6_js(B6L("GENERIC_SECRET", rnd(r, string.digits, r.choice([3, 3, 4])))),
                                                             "exp_month": r.randint(1, 12), "exp_year": r.randint(2026, 2032)},
                                   "billing_details": {"email": b6_js(b6_EM(f, r, loc)), "phone": b6_js(b6_PH(r, loc))}},
                "amount": r.randint(100, 999999), "currency": r.choice(["eur", "usd", "gbp"]),
                "metadata": {"order_id": b6_js(b6_la(f, r, loc, "order")[2]), "gift_card": b6_js(b6_la(f, r, loc, "badcard")[2]), "idempotency_key": b6_uuid(r)}}
    return {"sepa_credit_transfer": {"debtor": {"name": b6_js(f.company()), "iban": b6_js(b6_IBAN(r, loc))},
                                     "creditor": {"name": b6_js(f.name()), "iban": b6_js(b6_IBAN(r, loc, grouped=False)), "address": b6_js(f.address())},
                                     "amount": {"value": b6_js(f"{r.randint(1, 99999)}.{r.randint(0, 99):02d}"), "currency": "EUR"},
                                     "remittance": b6_js(b6_las(f, r, loc, "invoice")), "requested_execution": b6_js(b6_day(r).isoformat()),
                                     "previous_attempt": {"iban": b6_js(b6_iban(r, loc, valid=False)), "status": "RJCT", "reason": "AC01"}}}


def b6_deploy(f, r, loc):
    lang = lang_of(loc)
    return {"service": b6_js(f.domain_word()), "image": b6_js(f"registry.internal/{f.domain_word()}@sha256:{rnd(r, HEX, 64)}"),
            "replicas": r.randint(1, 9), "env": {"DATABASE_URL": b6_js("postgres://svc:", B6L("PASSWORD", b6_pw(r, lang, safe=True)), "@", b6_IP4(f, r), ":5432/main"),
                                                "LOG_LEVEL": "info", "BUILD": b6_js(b6_la(f, r, loc, "ver")[2]),
                                                "keys": {"stripe": b6_js(b6_vendor(f, r, "STRIPE_KEY")), "github": b6_js(b6_vendor(f, r, "GITHUB_TOKEN")),
                                                         "maps": b6_js(b6_vendor(f, r, "GOOGLE_API_KEY")), "sample": b6_js(b6_PLH(r)), "sendgrid": b6_standin(r)}},
            "secrets": [{"name": "aws", "access_key_id": b6_js(B6L("AWS_ACCESS_KEY", b6_aws(r))), "secret_access_key": b6_js(B6L("GENERIC_SECRET", b6_aws_secret(r)))},
                        {"name": "deploy-key", "private_key": b6_js(b6_PEM(r))} if r.random() < 0.5 else {"name": "webhook", "secret": b6_js(b6_GEN(r))}],
            "allowed_sources": [b6_js(b6_IP(f, r)) for _ in range(r.randint(1, 3))], "owner": b6_js(b6_EM(f, r, loc))}


def b6_logsearch(f, r, loc):
    hits = []
    for _ in range(r.randint(2, 5)):
        msg = r.choice([
            lambda: ["login failed for ", b6_EM(f, r, loc), " from ", b6_IP(f, r)],
            lambda: ["OTP sent to ", b6_PH(r, loc, intl_only=True)],
            lambda: ["auth header leaked: Bearer ", b6_vendor(f, r, r.choice(["JWT", "OPENAI_KEY", "SLACK_TOKEN"]))],
            lambda: [f"GET /api/orders/{b6_la(f, r, loc, 'order')[2].replace(' ', '')} 200 {b6_la(f, r, loc, 'dur')[2]}"],
            lambda: [f"retrying job {b6_uuid(r)} (attempt {r.randint(2, 5)})"],
            lambda: ["payout to ", b6_IBAN(r, loc, grouped=False), " queued"],
            lambda: ["db connect mysql://report:", B6L("PASSWORD", b6_pw(r, "en", safe=True)), "@", b6_IP4(f, r), "/dw ok"],
        ])()
        hits.append({"_index": f"logs-{b6_day(r).isoformat()}", "_id": rnd(r, AN, 20),
                     "_source": {"@timestamp": b6_js(b6_la(f, r, loc, "time")[2]), "host": {"ip": b6_js(b6_IP(f, r))}, "message": b6_js(msg),
                                 "trace": {"id": rnd(r, HEX, 32)}}})
    return {"took": r.randint(1, 900), "hits": {"total": {"value": len(hits)}, "hits": hits}}


def b6_webhook(f, r, loc):
    lang = lang_of(loc)
    return {"id": "evt_" + rnd(r, AN, 24), "type": r.choice(["charge.succeeded", "customer.updated", "invoice.paid"]), "created": r.randint(1735689600, 1790000000),
            "data": {"object": {"id": "ch_" + rnd(r, AN, 24), "customer": "cus_" + rnd(r, AN, 14),
                                "billing_details": {"email": b6_js(b6_EM(f, r, loc)), "phone": b6_js(b6_PH(r, loc, intl_only=True)),
                                                    "address": {"line1": b6_js(f.street_address()), "postal_code": b6_js(f.postcode()), "city": b6_js(b6_city(r, loc))}},
                                "payment_method_details": {"card": {"brand": "visa", "last4": rnd(r, string.digits, 4), "fingerprint": rnd(r, AN, 16)}},
                                "receipt_number": b6_js(f"{rnd(r, string.digits, 4)}-{rnd(r, string.digits, 4)}"), "description": b6_js(b6_las(f, r, loc, "invoice")),
                                "metadata": {"note": b6_js(r.choice(B6_PW_NONE[lang])), "tracking": b6_js(b6_la(f, r, loc, "tracking")[2])}}},
            "request": {"id": "req_" + rnd(r, AN, 14), "idempotency_key": b6_uuid(r)}}


def b6_kubectl(f, r, loc):
    lang = lang_of(loc)
    enc = lambda s: base64.b64encode(s.encode()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "data": {"DB_PASSWORD": b6_js(B6L("PASSWORD", enc(b6_pw(r, lang)))), "API_TOKEN": b6_js(B6L("GENERIC_SECRET", enc(b6_generic(r)))),
                     "DB_USER": enc("orders"), "DB_HOST": enc(f"{b6_ipv4(f, r)}")},
            "metadata": {"name": b6_js(f"{f.domain_word()}-db"), "namespace": "prod", "uid": b6_uuid(r), "resourceVersion": str(r.randint(10 ** 6, 10 ** 8)),
                         "creationTimestamp": b6_js(b6_la(f, r, loc, "time")[2]),
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": b6_b64blob(r, 48)}}}


def b6_order(f, r, loc):
    lang = lang_of(loc)
    return {"order": {"number": b6_js(b6_la(f, r, loc, "order")[2]), "placed_at": b6_js(b6_la(f, r, loc, "time")[2]),
                      "items": [{"sku": b6_js(b6_la(f, r, loc, "sku")[2]), "gtin": b6_js(b6_la(f, r, loc, "ean")[2]), "qty": r.randint(1, 5),
                                 "price": b6_js(b6_money(r, loc))} for _ in range(r.randint(1, 3))],
                      "customer": {"email": b6_js(b6_EM(f, r, loc)), "phone": b6_js(b6_PH(r, loc)), "loyalty_card": b6_js(b6_la(f, r, loc, "badcard")[2])},
                      "shipping": {"recipient": b6_js(f.name()), "address": b6_js(f.address()), "phone": b6_js(b6_PH(r, loc)),
                                   "carrier": b6_js(b6_las(f, r, loc, "tracking")), "geo": b6_js(b6_la(f, r, loc, "geo")[2])},
                      "device": {"hardware_id": b6_js(b6_la(f, r, loc, "imei")[2]), "ip": b6_js(b6_IP(f, r))},
                      "notes": b6_js(b6_pick(lang, ["Leave with concierge", "Lieferung ab 14 Uhr", "Appeler avant", "Dejar en conserjería", "Consegnare al portiere", "Bel 2x"]))}}


def b6_intake(f, r, loc):
    return {"form": "intake-v3", "submitted": b6_js(b6_la(f, r, loc, "time")[2]),
            "patient": {"name": b6_js(f.name()), "dob": b6_js(B6L("DATE_OF_BIRTH", b6_datefmt(b6_birth(r, 0, 95), r, "en_US", 0.5))),
                        "ssn": b6_js(b6_SSN(r)), "phone": b6_js(b6_PH(r, "en_US")), "email": b6_js(b6_EM(f, r, loc))},
            "insurance": {"carrier": r.choice(["Aetna", "Humana", "Kaiser"]), "member_id": b6_js(f"{rnd(r, string.ascii_uppercase, 3)}{rnd(r, string.digits, 9)}"),
                          "group": b6_js(rnd(r, string.digits, 6)), "subscriber_dob": b6_js(B6L("DATE_OF_BIRTH", b6_birth(r, 18, 90).strftime("%m/%d/%Y")))},
            "provider": {"npi": b6_js(b6_luhn_fix("808401" + rnd(r, string.digits, 8))[5:]), "claim": b6_js(rnd(r, string.digits, 9))},
            "visit_date": b6_js(b6_other_date(r, "en_US", 0.5))}


def b6_vault(f, r, loc):
    lang = lang_of(loc)
    return {"request_id": b6_uuid(r), "lease_duration": r.choice([0, 2764800]),
            "data": {"data": {"username": b6_js(b6_EM(f, r, loc)), b6_pw_key(r, lang): b6_js(B6L("PASSWORD", b6_pw(r, lang))),
                              "client_secret": b6_js(b6_GEN(r)), "anthropic": b6_js(b6_vendor(f, r, "ANTHROPIC_KEY")),
                              "old_password": b6_js(r.choice(["********", "(rotated)", "n/a"]))},
                     "metadata": {"created_time": b6_js(b6_la(f, r, loc, "time")[2]), "version": r.randint(1, 40)}}}


def b6_chatmsgs(f, r, loc):
    return {"model": r.choice(["gpt-4o", "claude-sonnet", "llama-3-70b"]), "messages": [
        {"role": "system", "content": "You are a support agent. Use the tools to help."},
        {"role": "user", "content": b6_jtext(f, r, loc, [b6_ticket, b6_chat, b6_email_thread, b6_form, b6_shell, b6_readme])}],
        "tools": [{"name": "lookup_order"}, {"name": "refund"}], "metadata": {"conversation": b6_uuid(r), "user_ip": b6_js(b6_IP(f, r))}}


B6_JSON_KINDS = [b6_mcp_call, b6_mcp_call, b6_mcp_result, b6_mcp_result, b6_tool_use, b6_hr_record, b6_payment, b6_deploy, b6_logsearch, b6_webhook,
                 b6_kubectl, b6_order, b6_intake, b6_vault, b6_chatmsgs]


def b6_json(f, r, loc):
    return r.choice(B6_JSON_KINDS)(f, r, loc)


# ---------- blind6 self-check ----------

def b6_value_ok(typ, v):
    """Each gold value is what its type says (checksums, shapes)."""
    d = re.sub(r"[ \u00a0.\-]", "", v)
    if typ == "EMAIL":
        return re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", v.replace("%2B", "+")) is not None
    if typ == "CREDIT_CARD":
        return d.isdigit() and 13 <= len(d) <= 19 and luhn_ok(d)
    if typ == "IBAN":
        return re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", d) is not None and b6_mod97(d) == 1
    if typ == "US_SSN":
        return d.isdigit() and len(d) == 9 and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ == "IPV4":
        return isinstance(ipaddress.ip_address(v), ipaddress.IPv4Address)
    if typ == "IPV6":
        return isinstance(ipaddress.ip_address(v), ipaddress.IPv6Address)
    if typ == "PHONE":
        s = v.replace("\u00a0", " ").replace("(0)", "")
        s = "+" + s[2:] if s.startswith("00") else s
        regions = [None] if s.startswith("+") else list(REGION.values())
        return any(phonenumbers.is_valid_number(phonenumbers.parse(s, reg)) for reg in regions)
    if typ == "AWS_ACCESS_KEY":
        return re.fullmatch(r"(AKIA|ASIA)[A-Z2-7]{16}", v) is not None
    if typ == "GITHUB_TOKEN":
        return re.fullmatch(r"(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})", v) is not None
    if typ == "SLACK_TOKEN":
        return v.startswith(("xoxb-", "xoxp-", "xapp-", "xoxe."))
    if typ == "STRIPE_KEY":
        return v[:8] in ("sk_live_", "rk_live_", "sk_test_", "rk_test_")
    if typ == "OPENAI_KEY":
        return v.startswith("sk-") and not v.startswith("sk-ant-")
    if typ == "ANTHROPIC_KEY":
        return v.startswith("sk-ant-") and v.endswith("AA")
    if typ == "GOOGLE_API_KEY":
        return re.fullmatch(r"AIza[A-Za-z0-9_-]{35}", v) is not None
    if typ == "JWT":
        h = v.split(".")[0]
        return len(v.split(".")) == 3 and json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["alg"] is not None
    if typ == "PRIVATE_KEY":
        return v.startswith("-----BEGIN ") and "PRIVATE KEY-----" in v and v.endswith("PRIVATE KEY-----")
    if typ == "DATE_OF_BIRTH":
        return any(c.isdigit() for c in v) and len(v) >= 6
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() for c in v)
    if typ == "PLACEHOLDER":
        return len(v) >= 8
    return False


def b6_check(i, kind, doc, w, text):
    want = b6_labels(doc) if kind == "json" else [p for p in doc if isinstance(p, L) and p.typ]
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp)
        assert got and got.strip() == got, (i, got)
        assert b6_value_ok(sp["type"], got), (i, sp["type"], got)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)



# ---------- blind7 (seed 808) ----------
# An eighth split, templates B7_* / b7_*, written by a fourth helper who never read the detection
# rules, their docs or history and never ran the engine on it. Its documents are the writer's own
# idea of agent traffic: helpdesk tickets, chat transcripts, e-mail threads with quoted replies and
# signatures, CRM and HR notes, incident write-ups, shell history, CI logs, stack traces, SQL,
# .env / YAML / TOML / INI / XML config, Kubernetes secrets, docker-compose, curl, HTTP dumps, CSV,
# invoices, shipping notes, transfer instructions, US medical / insurance forms, payroll notes,
# commit messages, SMS threads, terraform state excerpts; tool-call JSON (MCP tools/call, function
# arguments, tool results, records, webhooks). Labels follow the lead's taxonomy (DATE_OF_BIRTH only
# for stated birth dates; CVC/CVV and unbranded secrets GENERIC_SECRET; vendor shapes by vendor even
# under a password key; key-shaped documentation examples PLACEHOLDER; non-key stand-ins such as
# `xxxx`, `<your-token>`, `${TOKEN}`, `changeme` unlabelled, like the earlier splits). Look-alikes
# (never labelled): order / ticket / invoice / case / tracking / policy / account / member numbers,
# SKUs, valid EAN-13 / UPC-A / ISBN-13, Luhn-valid IMEIs, serials, versions, build numbers, dates,
# timestamps and epochs, durations, money, coordinates, git / SHA-256 hex, UUIDs, base64 blobs,
# Luhn-failing card numbers, IBANs with wrong check digits, 9-digit numbers that are not SSNs,
# sentences about passwords without one. Reproducible: no wall clock, Faker only for names,
# companies, streets and e-mails/IBANs/cards.

class B7L(L):
    """A labelled piece kept verbatim."""
    def __init__(self, typ, text):
        self.typ, self.text = typ, text


B7_LANG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B7_B64 = string.ascii_letters + string.digits + "+/"


def b7_t(loc, **by_lang):
    return by_lang[B7_LANG[loc]]


# ----- gold values -----

def b7_phone(r, loc):
    if r.random() < 0.8:
        return B7L("PHONE", phone(r, REGION[loc], ["national", "national", "intl", "e164", "intl00", "dashes", "dots", "intl_trunk"]))
    # A number from abroad is written with its country code (a foreign national form would be ambiguous).
    return B7L("PHONE", phone(r, r.choice(OTHER_REGIONS), ["intl", "intl", "e164", "intl00", "intl_dashes"]))


def b7_email(f, r):
    if r.random() < 0.5:
        return B7L("EMAIL", email(f, r))
    first = unicodedata.normalize("NFKD", f.first_name()).encode("ascii", "ignore").decode().lower().replace(" ", "")
    last = unicodedata.normalize("NFKD", f.last_name()).encode("ascii", "ignore").decode().lower().replace(" ", "").replace("'", "")
    dom = r.choice(["kessler-logistik.de", "brightpath.io", "mailbox.org", "outlook.com", "gmx.net", "libero.it", "ziggo.nl",
                    "orange.fr", "telefonica.es", "acme-corp.co.uk", "hospital-north.org", "proton.me"])
    first, last = re.sub(r"[^a-z0-9]", "", first), re.sub(r"[^a-z0-9-]", "", last).strip("-")
    sep = r.choice([".", "_", "", "-"])
    tag = r.choice(["", "", "", "+billing", "+ci"])
    return B7L("EMAIL", f"{first or 'anna'}{sep}{last or 'berg'}{tag}@{dom}")


def b7_card(f, r):
    return B7L("CREDIT_CARD", card(f, r))


def b7_iban(f, r):
    return B7L("IBAN", iban(f, r))


def b7_ssn(r):
    return B7L("US_SSN", ssn_text(r, r.choice(["dash", "dash", "dash", "space", "bare"])))


def b7_ip4(f, r):
    return B7L("IPV4", r.choice([f.ipv4_public, f.ipv4_private])())


def b7_ip6(f, r):
    k = r.randrange(3)
    if k == 0:
        return B7L("IPV6", f.ipv6())
    if k == 1:
        return B7L("IPV6", "2001:db8:" + ":".join(format(r.randrange(65536), "x") for _ in range(2)) + "::" + format(r.randrange(1, 65536), "x"))
    return B7L("IPV6", "fe80::" + ":".join(format(r.randrange(65536), "x") for _ in range(4)))


def b7_birth(r):
    return datetime.date(r.randint(1938, 2007), r.randint(1, 12), r.randint(1, 28))


B7_MONTHS = {"en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
             "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
             "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
             "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
             "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"],
             "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"]}


def b7_datefmt(d, r, loc):
    lang = B7_LANG[loc]
    k = r.randrange(4)
    if k == 0:
        return d.isoformat()
    if k == 1:
        return f"{d.day} {B7_MONTHS[lang][d.month - 1]} {d.year}" if lang != "en" or loc == "en_GB" else f"{B7_MONTHS['en'][d.month - 1]} {d.day}, {d.year}"
    if loc == "en_US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    return {"de": f"{d.day:02d}.{d.month:02d}.{d.year}", "nl": f"{d.day:02d}-{d.month:02d}-{d.year}"}.get(lang, f"{d.day:02d}/{d.month:02d}/{d.year}")


def b7_dob(r, loc):
    return B7L("DATE_OF_BIRTH", b7_datefmt(b7_birth(r), r, loc))


def b7_dob_lead(r, loc):
    return b7_t(loc, en=r.choice(["DOB: ", "Date of birth: ", "born on ", "D.O.B. "]), de=r.choice(["Geburtsdatum: ", "geb. am ", "geboren am "]),
                fr=r.choice(["Date de naissance : ", "né le ", "née le "]), es=r.choice(["Fecha de nacimiento: ", "nacido el ", "F. nac.: "]),
                it=r.choice(["Data di nascita: ", "nato il ", "nata il "]), nl=r.choice(["Geboortedatum: ", "geboren op ", "geb. "]))


def b7_aws(r):
    return B7L("AWS_ACCESS_KEY", r.choice(["AKIA", "AKIA", "ASIA"]) + rnd(r, string.ascii_uppercase + "234567", 16))


def b7_gh(r):
    if r.random() < 0.2:
        return B7L("GITHUB_TOKEN", "github_pat_11" + rnd(r, string.ascii_uppercase + string.digits, 20) + "_" + rnd(r, AN, 59))
    return B7L("GITHUB_TOKEN", r.choice(GH_PREFIXES) + rnd(r, AN, 36))


def b7_slack(r):
    k = r.randrange(4)
    if k == 0:
        v = "xoxb-" + rnd(r, string.digits, r.choice([10, 12])) + "-" + rnd(r, string.digits, 13) + "-" + rnd(r, AN, 24)
    elif k == 1:
        v = "xoxp-" + "-".join(rnd(r, string.digits, n) for n in (11, 11, 13)) + "-" + rnd(r, HEX, 32)
    elif k == 2:
        v = "xapp-1-A" + rnd(r, string.ascii_uppercase + string.digits, 10) + "-" + rnd(r, string.digits, 13) + "-" + rnd(r, HEX, 64)
    else:
        v = "xoxe.xoxp-1-" + rnd(r, AN, 140)
    return B7L("SLACK_TOKEN", v)


def b7_stripe(r):
    return B7L("STRIPE_KEY", r.choice(["sk_live_", "sk_live_", "rk_live_", "sk_test_"]) + "51" + rnd(r, AN, r.choice([22, 96])))


def b7_openai(r):
    if r.random() < 0.6:
        return B7L("OPENAI_KEY", "sk-proj-" + rnd(r, AN + "_-", 74) + "T3BlbkFJ" + rnd(r, AN + "_-", 74))
    return B7L("OPENAI_KEY", r.choice(["sk-", "sk-svcacct-"]) + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20))


def b7_anthropic(r):
    return B7L("ANTHROPIC_KEY", r.choice(["sk-ant-api03-", "sk-ant-admin01-"]) + rnd(r, AN + "_-", 93) + "AA")


def b7_google(r):
    return B7L("GOOGLE_API_KEY", "AIzaSy" + rnd(r, AN + "_-", 33))


def b7_b64u(o):
    return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")


def b7_jwt(f, r):
    h = {"alg": r.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
    if r.random() < 0.4:
        h["kid"] = rnd(r, HEX, 16)
    p = {"iss": r.choice(["https://auth.example-idp.com/", "toolwall-gateway", "keycloak"]), "sub": rnd(r, string.digits, 9),
         "iat": r.randint(1_760_000_000, 1_790_000_000), "scope": r.choice(["read", "read write", "admin"])}
    return B7L("JWT", ".".join([b7_b64u(h), b7_b64u(p), rnd(r, AN + "_-", r.choice([43, 86]))]))


def b7_vendor(f, r, kind=None):
    kind = kind or r.choice(["AWS", "GH", "GH", "SLACK", "STRIPE", "OPENAI", "ANTHROPIC", "GOOGLE", "JWT"])
    return {"AWS": lambda: b7_aws(r), "GH": lambda: b7_gh(r), "SLACK": lambda: b7_slack(r), "STRIPE": lambda: b7_stripe(r),
            "OPENAI": lambda: b7_openai(r), "ANTHROPIC": lambda: b7_anthropic(r), "GOOGLE": lambda: b7_google(r),
            "JWT": lambda: b7_jwt(f, r)}[kind]()


def b7_pem(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
    first = {"RSA PRIVATE KEY": "MIIEpAIBAAKCAQEA", "PRIVATE KEY": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "EC PRIVATE KEY": "MHcCAQEEI",
             "OPENSSH PRIVATE KEY": "b3BlbnNzaC1rZXktdjEAAAAA", "ENCRYPTED PRIVATE KEY": "MIIFHDBOBgkqhkiG9w0BBQ0w"}[kind]
    n = r.randint(3, 9) if kind != "EC PRIVATE KEY" else 2
    lines = [first + rnd(r, B7_B64, 64 - len(first))] + [rnd(r, B7_B64, 64) for _ in range(n)] + [rnd(r, B7_B64, r.randint(8, 60)) + r.choice(["", "=", "=="])]
    return B7L("PRIVATE_KEY", sep.join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"]))


B7_PWWORDS = ["Lindenbaum", "papillon", "girasole", "tulpenveld", "mariposa", "Kingfisher", "aurora", "Zugspitze", "gelato", "Rotterdam"]


def b7_pw(r):
    k = r.randrange(6)
    if k == 0:
        return B7L("PASSWORD", r.choice(B7_PWWORDS) + r.choice(["!", "#", "_", "."]) + str(r.randint(1, 2026)))
    if k == 1:
        return B7L("PASSWORD", rnd(r, AN + "!%^*-_=+.~", r.randint(12, 24)))
    if k == 2:
        return B7L("PASSWORD", "-".join(r.sample(["otter", "granite", "lemon", "violin", "harbor", "quartz", "ember", "meadow", "pixel"], 4)))
    if k == 3:
        return B7L("PASSWORD", r.choice(B7_PWWORDS).lower()[:6] + rnd(r, string.digits, 3) + rnd(r, string.ascii_uppercase, 2))
    if k == 4:
        return B7L("PASSWORD", "P@ss" + rnd(r, string.digits, 4) + r.choice(["w0rd", "W0rd!", "!"]))
    return B7L("PASSWORD", rnd(r, string.ascii_letters, 3) + "$" + rnd(r, string.digits, 2) + "&" + rnd(r, AN, 6))


def b7_gen(r):
    k = r.randrange(7)
    if k == 0:
        v = rnd(r, HEX, r.choice([32, 48, 64]))
    elif k == 1:
        v = base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([30, 33, 36])))).decode()
    elif k == 2:
        v = rnd(r, AN, r.choice([28, 32, 40]))
    elif k == 3:  # an AWS secret access key
        v = rnd(r, AN + "/+", 40)
    elif k == 4:
        v = r.choice(["cs_", "key_", "sek_", "tok_"]) + rnd(r, AN, 32)
    elif k == 5:
        v = "s%3A" + rnd(r, AN + "-_", 32) + "." + rnd(r, AN + "%", 43)
    else:
        v = rnd(r, AN + "-_", 43)
    return B7L("GENERIC_SECRET", v)


def b7_cvc(r, amex=False):
    return B7L("GENERIC_SECRET", rnd(r, string.digits, 4 if amex else 3))


B7_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "ASIAEXAMPLEEXAMPLE12",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "ghp_" + "x" * 36, "ghp_" + "0123456789" * 3 + "ABCDEF", "gho_" + "EXAMPLE0" * 4 + "EXAM",
    "ghs_" + "YOURTOKENHERE" + "0" * 23, "ghu_" + "sample" * 6, "ghr_" + "1" * 36, "github_pat_" + "11EXAMPLE0" + "0" * 12 + "_" + "EXAMPLE" * 8 + "XXX",
    "xoxb-" + "123456789012-1234567890123-" + "abcdefghijklmnopqrstuvwx", "xoxp-" + "0" * 11 + "-" + "0" * 11 + "-" + "0" * 13 + "-" + "0" * 32,
    "sk_test_" + "51ExampleKey" + "0" * 16, "sk_live_" + "xxxxxxxxxxxxxxxxxxxxxxxx", "rk_live_" + "EXAMPLE" * 4,
    "sk-proj-" + "EXAMPLE_KEY_" + "x" * 40, "sk-" + "0" * 20 + "T3BlbkFJ" + "0" * 20, "sk-ant-api03-" + "EXAMPLE" * 13 + "xx" + "AA",
    "AIzaSy" + "D" * 33, "AIzaSy" + "Example_Google_Maps_Key_000000000"[:33],
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJleGFtcGxlIn0.dGhpcy1pcy1hbi1leGFtcGxlLXNpZ25hdHVyZQ",
]
B7_STANDIN = ["xxxx", "<your-token>", "${TOKEN}", "changeme", "<SECRET>", "${{ secrets.API_TOKEN }}", "$DB_PASS", "YOUR_KEY_HERE",
              "****", "[redacted]", "<insert-key>", "%SECRET%", "{{ token }}", "TODO", "•••••", "ghp_...", "sk-…"]


def b7_plh(r):
    return B7L("PLACEHOLDER", r.choice(B7_PLACEHOLDERS))


def b7_pem_plh(r):
    return B7L("PLACEHOLDER", "-----BEGIN PRIVATE KEY-----\n" + r.choice(["<paste key here>", "...", "MIIE...snip...=="]) + "\n-----END PRIVATE KEY-----")


# ----- look-alikes (never labelled) -----

def b7_ean(body):
    s = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - s % 10) % 10)


def b7_luhn_complete(body):
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    return body


def b7_bad_card(r):
    while True:
        n = r.choice(["4", "51", "37", "6011"]) + rnd(r, string.digits, 15)
        n = n[:16] if not n.startswith("37") else n[:15]
        if not luhn_ok(n):
            return " ".join(n[i:i + 4] for i in range(0, len(n), 4)) if r.random() < 0.5 else n


def b7_bad_iban(f, r):
    v = f.iban()
    cd = int(v[2:4])
    v = v[:2] + f"{(cd + r.randint(1, 40)) % 97 + 2:02d}"[-2:] + v[4:]
    if b6_mod97(v) == 1:
        v = v[:-1] + str((int(v[-1]) + 1) % 10)
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if r.random() < 0.5 else v


def b7_la(f, r, loc):
    k = r.randrange(35)
    if k == 0: return f"order #{r.randint(10**6, 10**9)}"
    if k == 1: return f"ticket {r.choice(['INC', 'SR', 'TKT', 'HD'])}-{r.randint(100000, 9999999)}"
    if k == 2: return f"invoice {r.choice(['RE', 'FA', 'INV', 'FAC'])}{r.randint(2024, 2026)}/{r.randint(1, 99999):05d}"
    if k == 3: return f"case {r.randint(10**9, 10**10 - 1)}"
    if k == 4: return r.choice([f"tracking 1Z{rnd(r, string.ascii_uppercase + string.digits, 16)}", f"DHL {rnd(r, string.digits, 10)}",
                                f"PostNL 3S{rnd(r, string.ascii_uppercase, 4)}{rnd(r, string.digits, 9)}", f"Colissimo 6A{rnd(r, string.digits, 11)}"])
    if k == 5: return f"policy {r.choice(['POL', 'HX', 'AU'])}-{rnd(r, string.digits, 3)}-{rnd(r, string.digits, 4)}-{rnd(r, string.digits, 3)}"
    if k == 6: return f"account no. {rnd(r, string.digits, 8)}"
    if k == 7: return f"SKU {rnd(r, string.ascii_uppercase, 3)}-{rnd(r, string.digits, 5)}-{r.choice(['BLK', 'M', 'XL', '42'])}"
    if k == 8: return f"EAN {b7_ean(r.choice(['40', '87', '80', '30', '84']) + rnd(r, string.digits, 10))}"
    if k == 9: return f"UPC {b7_ean('0' + rnd(r, string.digits, 11))[1:]}"
    if k == 10: return f"ISBN {b7_ean('978' + rnd(r, string.digits, 9))}"
    if k == 11: return f"IMEI {b7_luhn_complete('35' + rnd(r, string.digits, 12))}"
    if k == 12: return f"S/N {rnd(r, string.ascii_uppercase, 2)}{rnd(r, string.digits, 8)}{rnd(r, string.ascii_uppercase, 1)}"
    if k == 13: return f"v{r.randint(0, 12)}.{r.randint(0, 40)}.{r.randint(0, 200)}"
    if k == 14: return f"build {r.randint(2024, 2026)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}.{r.randint(1, 9999)}"
    if k == 15: return f"{r.randint(2019, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z"
    if k == 16: return f"epoch {r.randint(1_600_000_000, 1_800_000_000)}{r.choice(['', str(r.randint(100, 999))])}"
    if k == 17: return b7_datefmt(datetime.date(r.randint(2019, 2027), r.randint(1, 12), r.randint(1, 28)), r, loc)
    if k == 18: return r.choice([f"{r.randint(1, 59)}m{r.randint(0, 59)}s", f"{r.randint(1, 9999)} ms", f"PT{r.randint(1, 48)}H", f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} elapsed"])
    if k == 19: return r.choice([f"${r.randint(1, 99999):,}.{r.randint(0, 99):02d}", f"{r.randint(1, 9999)},{r.randint(0, 99):02d} €", f"£{r.randint(1, 999)}.{r.randint(0, 99):02d}", f"EUR {r.randint(1000, 999999):,}".replace(",", ".")])
    if k == 20: return f"{r.uniform(-60, 60):.6f}, {r.uniform(-120, 120):.6f}"
    if k == 21: return f"commit {rnd(r, HEX, 40)}"
    if k == 22: return f"sha256:{rnd(r, HEX, 64)}"
    if k == 23: return f"{rnd(r, HEX, 8)}-{rnd(r, HEX, 4)}-4{rnd(r, HEX, 3)}-{r.choice('89ab')}{rnd(r, HEX, 3)}-{rnd(r, HEX, 12)}"
    if k == 24: return f"blob {base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([18, 27, 45])))).decode()}"
    if k == 25: return f"card {b7_bad_card(r)} (declined: invalid number)"
    if k == 26: return f"IBAN {b7_bad_iban(f, r)} (rejected: checksum)"
    if k == 27: return r.choice([f"routing {r.choice(['0', '1', '2'])}{rnd(r, string.digits, 8)}", f"member ID {r.choice(['9', '0'])}{rnd(r, string.digits, 8)}",
                                 f"ref {rnd(r, string.digits, 9)}", f"zip {rnd(r, string.digits, 9)}", f"batch 9{rnd(r, string.digits, 2)}-{rnd(r, string.digits, 2)}-{rnd(r, string.digits, 4)}"])
    if k == 28: return r.choice(B7_STANDIN)
    if k == 29: return f"MAC {':'.join(rnd(r, HEX, 2) for _ in range(6))}"
    if k == 30: return f"PO-{r.randint(2025, 2026)}-{rnd(r, string.digits, 6)}"
    if k == 31: return f"claim {rnd(r, string.digits, 3)} {rnd(r, string.digits, 3)} {rnd(r, string.digits, 4)}"
    if k == 32: return f"pid {r.randint(100, 65535)}, port {r.randint(1024, 65535)}"
    if k == 33: return r.choice([f"firmware {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}.{r.randint(0, 300)}", f"OID 1.3.6.1.4.1.{r.randint(1000, 60000)}",
                                 f"EIN {rnd(r, string.digits, 2)}-{rnd(r, string.digits, 7)}", f"Gitlab MR !{r.randint(100, 9999)}",
                                 f"chrome/{r.randint(100, 131)}.0.{r.randint(1000, 6999)}.{r.randint(10, 200)}"])
    return f"request-id req_{rnd(r, AN, 24)}"


B7_PW_TALK = {
    "en": ["Please reset your password before Friday.", "The password must be at least 12 characters long.", "I forgot my password again, sorry.",
           "Password rotation is due next quarter.", "Never share your password by e-mail."],
    "de": ["Bitte setzen Sie Ihr Passwort zurück.", "Das Kennwort muss mindestens 12 Zeichen haben.", "Ich habe mein Passwort vergessen."],
    "fr": ["Merci de réinitialiser votre mot de passe.", "Le mot de passe doit contenir 12 caractères minimum.", "J'ai oublié mon mot de passe."],
    "es": ["Por favor, restablezca su contraseña.", "La contraseña debe tener al menos 12 caracteres.", "He olvidado mi contraseña."],
    "it": ["Per favore reimposta la password.", "La password deve avere almeno 12 caratteri.", "Ho dimenticato la password di nuovo."],
    "nl": ["Stel uw wachtwoord opnieuw in.", "Het wachtwoord moet minstens 12 tekens bevatten.", "Ik ben mijn wachtwoord vergeten."],
}

B7_PW_SAY = {  # (before, after) a password stated in prose
    "en": [("the temporary password is ", " - change it on first login."), ("pw: ", ""), ("you can log in with ", " for now"), ("new password set to '", "'")],
    "de": [("das neue Passwort lautet ", "."), ("Kennwort: ", " (bitte ändern)"), ("Zugang mit Passwort ", " funktioniert wieder")],
    "fr": [("le mot de passe est ", ", à changer."), ("mdp : ", ""), ("mot de passe provisoire « ", " »")],
    "es": [("la contraseña es ", " (cámbiela)."), ("clave: ", ""), ("contraseña temporal: ", ".")],
    "it": [("la password è ", ", cambiala subito."), ("pwd: ", ""), ("password provvisoria: ", ".")],
    "nl": [("het wachtwoord is ", "."), ("ww: ", ""), ("tijdelijk wachtwoord: ", " (wijzig dit)")],
}

B7_PW_KEY = {"en": ["password", "passwd", "db_password", "PASSWORD", "admin_pass"], "de": ["passwort", "kennwort", "Passwort"],
             "fr": ["mot_de_passe", "mdp", "motdepasse"], "es": ["contrasena", "contraseña", "clave"], "it": ["password", "parola_d_ordine", "pwd"],
             "nl": ["wachtwoord", "ww", "Wachtwoord"]}

B7_SEC_KEY = ["client_secret", "api_key", "secret_key", "signing_key", "webhook_secret", "access_token", "session_secret", "apiKey",
              "credential", "encryption_key", "private_token", "AWS_SECRET_ACCESS_KEY", "hmac_key"]


def b7_pw_prose(r, loc):
    a, b = r.choice(B7_PW_SAY[B7_LANG[loc]])
    return [a, b7_pw(r), b]


def b7_talk(r, loc):
    return r.choice(B7_PW_TALK[B7_LANG[loc]])


def b7_any(f, r, loc):
    """One labelled value of any type with a short context."""
    k = r.randrange(24)
    lang = B7_LANG[loc]
    if k == 0: return ["mail ", b7_email(f, r)]
    if k == 1: return [b7_t(loc, en="call ", de="Tel. ", fr="tél. ", es="tel. ", it="tel. ", nl="tel. "), b7_phone(r, loc)]
    if k == 2: return ["card ", b7_card(f, r), " CVV ", b7_cvc(r)]
    if k == 3: return ["SSN ", b7_ssn(r)]
    if k == 4: return ["IBAN ", b7_iban(f, r)]
    if k == 5: return ["from ", b7_ip4(f, r)]
    if k == 6: return ["src ", b7_ip6(f, r)]
    if k == 7: return [b7_dob_lead(r, loc), b7_dob(r, loc)]
    if k in (8, 9): return ["token ", b7_vendor(f, r)]
    if k == 10: return [r.choice(B7_SEC_KEY), "=", b7_gen(r)]
    if k == 11: return b7_pw_prose(r, loc)
    if k == 12: return [r.choice(B7_PW_KEY[lang]), ": ", b7_pw(r)]
    if k == 13: return ["example: ", b7_plh(r)]
    if k == 14: return ["signed with ", b7_jwt(f, r)]
    if k == 15: return ["aws ", b7_aws(r), " / ", b7_gen(r)]
    if k == 16: return ["gh ", b7_gh(r)]
    if k == 17: return ["docs key ", b7_plh(r)]
    if k == 18: return [r.choice(B7_PW_KEY[lang]).upper(), "=", b7_vendor(f, r, r.choice(["GH", "SLACK", "STRIPE", "OPENAI"]))]
    if k == 19: return [r.choice(["pg_dump --password=", "redis-cli -a ", "PGPASSWORD=", "sshpass -p "]), b7_pw(r)]
    if k == 20: return ["redis://:", b7_pw(r), "@cache.internal:6379/0"]
    if k == 21: return [b7_t(loc, en="Password\u00a0: ", de="PASSWORT:\u00a0", fr="Mot de passe\u00a0: ", es="CONTRASEÑA\u00a0: ", it="Password\u00a0: ",
                             nl="Wachtwoord\u00a0: "), b7_pw(r)]
    if k == 22: return [b7_email(f, r), " ", b7_t(loc, en="asked for a callback on ", de="bittet um Rückruf unter ", fr="demande un rappel au ",
                                                  es="pide que le llamen al ", it="chiede di essere richiamato al ", nl="vraagt om terugbellen op "), b7_phone(r, loc)]
    return [b7_plh(r), " ", b7_t(loc, en="is the sample from the docs", de="ist das Beispiel aus der Doku", fr="est l'exemple de la doc",
                                   es="es el ejemplo de la documentación", it="è l'esempio della documentazione", nl="is het voorbeeld uit de docs")]


# ----- blind7 text documents -----

def b7_name(f):
    return f.name()


def b7_sig(f, r, loc, name):
    return ["\n-- \n", name, "\n", f.company(), "\n", b7_t(loc, en="Mobile: ", de="Mobil: ", fr="Portable : ", es="Móvil: ", it="Cell.: ", nl="Mobiel: "),
            b7_phone(r, loc), "\n", b7_email(f, r), "\n"]


def B7_ticket(f, r, loc):
    n = b7_name(f)
    return [f"[{r.choice(['Zendesk', 'Freshdesk', 'Jira SD'])}] {b7_la(f, r, loc)} | prio {r.choice(['P1', 'P2', 'P3'])}\n",
            f"Requester: {n} <", b7_email(f, r), ">\n", b7_t(loc, en="Callback number: ", de="Rückrufnummer: ", fr="Rappel au ", es="Devolver llamada al ",
                                                     it="Richiamare al ", nl="Terugbellen op "), b7_phone(r, loc), "\n\n",
            b7_t(loc, en="Customer cannot log in since the update to ", de="Kunde kann sich seit dem Update auf ", fr="Le client ne peut plus se connecter depuis la ",
                 es="El cliente no puede entrar desde la ", it="Il cliente non riesce ad accedere dalla ", nl="Klant kan niet inloggen sinds "),
            b7_la(f, r, loc), ". ", b7_talk(r, loc), " ", *b7_pw_prose(r, loc), "\nRelated: ", b7_la(f, r, loc), ", ", b7_la(f, r, loc), "\n"]


def B7_chat(f, r, loc):
    a, b = f.first_name(), "agent_" + f.first_name().lower()
    out = []
    for i in range(r.randint(3, 6)):
        t = f"[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] "
        who = a if i % 2 == 0 else b
        out += [t, who, ": "] + r.choice([b7_any(f, r, loc), [b7_la(f, r, loc)], [b7_talk(r, loc)], b7_any(f, r, loc)]) + ["\n"]
    return out


def B7_email_thread(f, r, loc):
    n1, n2 = b7_name(f), b7_name(f)
    wrote = b7_t(loc, en=" wrote:", de=" schrieb:", fr=" a écrit :", es=" escribió:", it=" ha scritto:", nl=" schreef:")
    return [b7_t(loc, en="Hi ", de="Hallo ", fr="Bonjour ", es="Hola ", it="Ciao ", nl="Hoi "), n2.split()[0], ",\n\n",
            b7_t(loc, en="the wire went out, see ", de="die Überweisung ist raus, siehe ", fr="le virement est parti, voir ", es="la transferencia salió, ver ",
                 it="il bonifico è partito, vedi ", nl="de overboeking is verstuurd, zie "), b7_la(f, r, loc), ".\n", *b7_sig(f, r, loc, n1),
            "\nOn ", b7_la(f, r, loc), ", ", n2, " <", b7_email(f, r), ">", wrote, "\n> ", b7_t(loc, en="Please pay to IBAN ", de="Bitte auf IBAN ",
            fr="Merci de payer sur l'IBAN ", es="Pague al IBAN ", it="Pagare sull'IBAN ", nl="Graag betalen op IBAN "), b7_iban(f, r),
            "\n> ", b7_la(f, r, loc), "\n> ", b7_talk(r, loc), "\n> -- \n> ", b7_phone(r, loc), "\n"]


def B7_crm(f, r, loc):
    n = b7_name(f)
    return [f"CRM note — {n} ({f.company()})\n", f"Owner: {f.first_name()}  Stage: {r.choice(['Lead', 'Qualified', 'Won', 'Churn risk'])}\n",
            "Contact: ", b7_email(f, r), " / ", b7_phone(r, loc), "\n", b7_dob_lead(r, loc), b7_dob(r, loc), "\n",
            b7_t(loc, en="Renewal on ", de="Verlängerung am ", fr="Renouvellement le ", es="Renovación el ", it="Rinnovo il ", nl="Verlenging op "),
            b7_datefmt(datetime.date(2027, r.randint(1, 12), r.randint(1, 28)), r, loc), ", ", b7_la(f, r, loc), "\n"]


def B7_hr(f, r, loc):
    n = b7_name(f)
    return [f"HR / onboarding: {n}\n", "Start: ", b7_datefmt(datetime.date(2026, r.randint(1, 12), r.randint(1, 28)), r, loc), "\n",
            b7_dob_lead(r, loc), b7_dob(r, loc), "\n", "Salary account: ", b7_iban(f, r), "\n", "Personal e-mail: ", b7_email(f, r), "\n",
            *(["SSN: ", b7_ssn(r), "\n"] if loc == "en_US" else ["Employee ID: ", str(r.randint(10**8, 10**9 - 1)), "\n"]),
            "Laptop ", b7_la(f, r, loc), "; ", b7_t(loc, en="initial login ", de="Erstanmeldung ", fr="premier accès ", es="primer acceso ", it="primo accesso ", nl="eerste login "),
            b7_pw(r), "\n"]


def B7_incident(f, r, loc):
    return [f"## Post-mortem: {r.choice(['API 5xx spike', 'leaked token in logs', 'payment webhook outage', 'DNS failover'])}\n\n",
            f"Start {r.randint(2024, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d} UTC; duration {r.randint(5, 300)} min; {b7_la(f, r, loc)}\n\n",
            "Timeline:\n- traffic from ", b7_ip4(f, r), " and ", b7_ip6(f, r), " exceeded the limit\n",
            "- the key ", b7_vendor(f, r), " was printed in a debug line and has been revoked\n",
            "- on-call ", f.first_name(), " (", b7_phone(r, loc), ") paged at ", b7_la(f, r, loc), "\n", "- fix in ", b7_la(f, r, loc), "\n"]


def B7_shell(f, r, loc):
    db = r.choice(["postgres", "postgresql"])
    return [f"  {r.randint(100, 999)}  cd ~/src/billing && git pull\n", f"  {r.randint(100, 999)}  export GITHUB_TOKEN=", b7_gh(r), "\n",
            f"  {r.randint(100, 999)}  psql \"{db}://app:", b7_pw(r), f"@db-{r.randint(1, 9)}.internal:5432/app\"\n",
            f"  {r.randint(100, 999)}  mysql -u root -p'", b7_pw(r), "' -h ", b7_ip4(f, r), "\n",
            f"  {r.randint(100, 999)}  ssh deploy@", b7_ip4(f, r), "\n",
            f"  {r.randint(100, 999)}  mongosh 'mongodb+srv://ops:", b7_pw(r), f"@cluster{r.randint(0, 9)}.mongodb.net/admin'\n",
            f"  {r.randint(100, 999)}  ./manage.py createsuperuser --username ops --password ", b7_pw(r), "\n",
            f"  {r.randint(100, 999)}  git log -1 # ", b7_la(f, r, loc), "\n",
            f"  {r.randint(100, 999)}  aws configure set aws_secret_access_key ", b7_gen(r), "\n",
            f"  {r.randint(100, 999)}  echo {r.choice(B7_STANDIN)} | docker login -u ci --password-stdin\n"]


def B7_ci(f, r, loc):
    return [f"Run #{r.randint(1000, 99999)} on runner-{rnd(r, HEX, 6)}\n", f"##[group]Setup {b7_la(f, r, loc)}\n",
            "Downloading action ", b7_la(f, r, loc), "\n", "env:\n  NPM_TOKEN: ***\n  DEPLOY_KEY: ", b7_plh(r), "  # from README\n",
            "##[endgroup]\n", "curl: (22) The requested URL returned error: 401 (Authorization: Bearer ", b7_vendor(f, r), ")\n",
            f"Elapsed: {b7_la(f, r, loc)}\n", "Notify ", b7_email(f, r), " ", b7_la(f, r, loc), "\n"]


def B7_trace(f, r, loc):
    return ["Traceback (most recent call last):\n", f'  File "/srv/app/payments/{r.choice(["charge", "refund", "client"])}.py", line {r.randint(10, 900)}, in submit\n',
            "    resp = gateway.charge(card_number=number, cvc=cvc)\n",
            "payments.errors.CardDeclined: card=", b7_card(f, r), " cvc=", b7_cvc(r), " customer=", b7_email(f, r), " ", b7_la(f, r, loc), "\n",
            f"  request_id={rnd(r, HEX, 32)} host=", b7_ip4(f, r), "\n"]


def B7_sql(f, r, loc):
    return ["-- ", b7_la(f, r, loc), "\n", "INSERT INTO customers (full_name, email, phone, iban, birth_date) VALUES\n  ('",
            b7_name(f).replace("'", "''"), "', '", b7_email(f, r), "', '", b7_phone(r, loc), "', '", b7_iban(f, r), "', DATE '",
            B7L("DATE_OF_BIRTH", b7_birth(r).isoformat()), "');\n", f"UPDATE orders SET status = 'shipped' WHERE id = {r.randint(10**6, 10**8)};\n",
            "CREATE USER reporting WITH PASSWORD '", b7_pw(r), "';\n", f"SELECT * FROM audit WHERE created_at > '{b7_la(f, r, loc)}';\n"]


def B7_env(f, r, loc):
    return ["# .env.production\n", f"APP_VERSION={r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}\n", "DATABASE_URL=postgresql://svc:",
            b7_pw(r), "@10.0.", str(r.randint(0, 255)), ".", str(r.randint(1, 254)), ":5432/main\n", "STRIPE_SECRET_KEY=", b7_stripe(r), "\n",
            "OPENAI_API_KEY=", b7_openai(r), "\n", "SESSION_SECRET=", b7_gen(r), "\n", "SENTRY_DSN=", r.choice(B7_STANDIN), "\n",
            "SUPPORT_EMAIL=", b7_email(f, r), "\n", f"BUILD_SHA={rnd(r, HEX, 40)}\n"]


def B7_yaml(f, r, loc):
    lang = B7_LANG[loc]
    return ["service:\n  name: ", r.choice(["invoicer", "mailer", "crm-sync"]), f"\n  replicas: {r.randint(1, 6)}\n", "  smtp:\n    host: smtp.",
            r.choice(["example.net", "mailgun.org"]), "\n    user: ", b7_email(f, r), f"\n    {r.choice(B7_PW_KEY[lang])}: \"", b7_pw(r), "\"\n",
            "  slack:\n    bot_token: ", b7_slack(r), "\n  maps:\n    key: ", b7_google(r), "\n  image: registry.local/app@sha256:", rnd(r, HEX, 64), "\n"]


def B7_toml(f, r, loc):
    return ["[database]\n", f'host = "{r.choice(["db", "pg-primary", "mysql-0"])}.svc"\n', f"port = {r.choice([5432, 3306])}\n",
            'user = "app"\n', 'password = "', b7_pw(r), '"\n\n', "[anthropic]\n", 'api_key = "', b7_anthropic(r), '"\n',
            f'model_version = "{r.randint(2024, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"\n', '\n[example]\napi_key = "', b7_plh(r), '"\n']


def B7_ini(f, r, loc):
    lang = B7_LANG[loc]
    return ["; generated ", b7_la(f, r, loc), "\n[ftp]\nhost = ", b7_ip4(f, r), "\nuser = upload\n", r.choice(B7_PW_KEY[lang]), " = ", b7_pw(r),
            "\n\n[aws]\naws_access_key_id = ", b7_aws(r), "\naws_secret_access_key = ", b7_gen(r), "\nregion = eu-central-1\n"]


def B7_xml(f, r, loc):
    return ['<?xml version="1.0" encoding="UTF-8"?>\n<config>\n  <contact email="', b7_email(f, r), '" phone="', b7_phone(r, loc), '"/>\n',
            "  <credentials>\n    <username>svc_", f.user_name(), "</username>\n    <password>", b7_pw(r), "</password>\n    <apiToken>", b7_gen(r),
            "</apiToken>\n  </credentials>\n  <build>", b7_la(f, r, loc), "</build>\n</config>\n"]


def B7_k8s(f, r, loc):
    pw = rnd(r, AN, 16)
    tok = rnd(r, AN, 40)
    return ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: ", r.choice(["db-creds", "app-secrets", "smtp"]), "\n  annotations:\n    checksum: ",
            rnd(r, HEX, 64), "\ntype: Opaque\ndata:\n  username: ", base64.b64encode(b"app").decode(), "\n  password: ",
            B7L("PASSWORD", base64.b64encode(pw.encode()).decode()), "\n  api-token: ", B7L("GENERIC_SECRET", base64.b64encode(tok.encode()).decode()),
            "\n  ca.crt: ", base64.b64encode(bytes(r.randrange(256) for _ in range(48))).decode(), "\n"]


def B7_compose(f, r, loc):
    return ["services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: ", b7_pw(r), "\n      POSTGRES_USER: app\n",
            "  worker:\n    image: ghcr.io/acme/worker:", f"{r.randint(1, 5)}.{r.randint(0, 30)}.{r.randint(0, 9)}", "\n    environment:\n      - GH_TOKEN=",
            b7_gh(r), "\n      - ADMIN_PASSWORD=", r.choice(B7_STANDIN), "\n      - HMAC_KEY=", b7_gen(r), "\n    ports:\n      - \"8080:8080\"\n"]


def B7_curl(f, r, loc):
    return ["curl -sS -X POST https://api.", r.choice(["stripe.com/v1/refunds", "openai.com/v1/chat/completions", "example-crm.io/v2/contacts"]),
            " \\\n  -H 'Authorization: Bearer ", b7_vendor(f, r), "' \\\n  -H 'X-Request-Id: ", b7_la(f, r, loc), "' \\\n  -u admin:", b7_pw(r),
            " \\\n  -d '{\"email\":\"", b7_email(f, r), "\",\"phone\":\"", b7_phone(r, loc), "\"}'\n"]


def B7_http(f, r, loc):
    return ["POST /v1/login HTTP/1.1\r\nHost: portal.example.com\r\nX-Forwarded-For: ", b7_ip4(f, r), ", ", b7_ip4(f, r), "\r\n",
            "Cookie: session=", b7_gen(r), "; theme=dark\r\nAuthorization: Bearer ", b7_jwt(f, r), "\r\n", "If-None-Match: \"", rnd(r, HEX, 32), "\"\r\n",
            "Content-Type: application/x-www-form-urlencoded\r\n\r\nusername=", f.user_name(), "&password=", b7_pw(r), "\n"]


def B7_csv(f, r, loc):
    out = ["customer_id;name;email;phone;iban;created\n"]
    for _ in range(r.randint(2, 4)):
        out += [str(r.randint(10**5, 10**7)), ";", b7_name(f), ";", b7_email(f, r), ";", b7_phone(r, loc), ";", b7_iban(f, r), ";",
                b7_la(f, r, loc).replace(";", ","), "\n"]
    return out


def B7_invoice(f, r, loc):
    return [b7_t(loc, en="INVOICE", de="RECHNUNG", fr="FACTURE", es="FACTURA", it="FATTURA", nl="FACTUUR"), f" {b7_la(f, r, loc)}\n",
            f.company(), "\n", f.street_address(), "\n", b7_t(loc, en="Tel ", de="Tel. ", fr="Tél. ", es="Tel. ", it="Tel. ", nl="Tel. "), b7_phone(r, loc),
            "\n", b7_la(f, r, loc), " x", str(r.randint(1, 20)), "  ", b7_la(f, r, loc), "\n", "IBAN: ", b7_iban(f, r), "   BIC: ",
            rnd(r, string.ascii_uppercase, 6), "2X\n", "Total: ", b7_la(f, r, loc), "\n"]


def B7_shipping(f, r, loc):
    return ["Shipping note\n", b7_la(f, r, loc), "\n", b7_la(f, r, loc), "\n", "Deliver to: ", b7_name(f), ", ", f.street_address(), "\n",
            b7_t(loc, en="Phone on delivery: ", de="Telefon für Zusteller: ", fr="Tél. livraison : ", es="Teléfono de entrega: ", it="Tel. consegna: ", nl="Telefoon bezorger: "),
            b7_phone(r, loc), "\n", "Weight 2.4 kg, ", b7_la(f, r, loc), "\n"]


def B7_transfer(f, r, loc):
    return [b7_t(loc, en="Payment instructions", de="Zahlungsanweisung", fr="Instructions de virement", es="Instrucciones de pago",
                 it="Istruzioni di pagamento", nl="Betaalinstructies"), "\n", "Beneficiary: ", f.company(), "\n", "IBAN ", b7_iban(f, r), "\n",
            "Reference: ", b7_la(f, r, loc), "\n", "Do NOT use the old account ", b7_la(f, r, loc), "\n", "Questions: ", b7_email(f, r), "\n"]


def B7_medical(f, r, loc):
    return ["PATIENT INTAKE / INSURANCE CLAIM\n", "Name: ", b7_name(f), "\n", "DOB: ", B7L("DATE_OF_BIRTH", b7_datefmt(b7_birth(r), r, "en_US")), "\n",
            "SSN: ", b7_ssn(r), "\n", "Member ID: ", rnd(r, string.ascii_uppercase, 3), rnd(r, string.digits, 9), "   Group: ", rnd(r, string.digits, 6), "\n",
            "Visit date: ", b7_datefmt(datetime.date(2026, r.randint(1, 11), r.randint(1, 28)), r, "en_US"), "  NPI 1", rnd(r, string.digits, 9), "\n",
            "Emergency contact: ", b7_phone(r, "en_US"), "\n", "Card for copay: ", b7_card(f, r), " exp ", f"{r.randint(1, 12):02d}/{r.randint(27, 31)}",
            " CVC ", b7_cvc(r), "\n"]


def b7_money(r, loc):
    n = r.randint(1500, 9999)
    c = r.randint(0, 99)
    return {"en_US": f"${n:,}.{c:02d}", "en_GB": f"£{n:,}.{c:02d}"}.get(loc, f"{n:,}".replace(",", ".") + f",{c:02d} €")


def B7_payroll(f, r, loc):
    return ["Payroll note ", b7_la(f, r, loc), "\n", "Employee ", b7_name(f), ", gross ", b7_money(r, loc), ", net ", b7_money(r, loc), "\n",
            *(["SSN ", b7_ssn(r)] if loc == "en_US" else ["Account ", b7_iban(f, r)]), "\n", "Bonus approved; ", b7_talk(r, loc), "\n"]


def B7_commit(f, r, loc):
    return [f"commit {rnd(r, HEX, 40)}\nAuthor: {b7_name(f)} <", b7_email(f, r), f">\nDate:   {r.choice(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])} {r.choice(['Mar', 'Jun', 'Sep', 'Nov'])} {r.randint(1, 28)} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} {r.randint(2023, 2026)} +0{r.randint(0, 2)}00\n\n",
            "    Remove hard-coded credentials\n\n    The old key ", b7_vendor(f, r), " is revoked; docs use ", b7_plh(r), "\n"]


def B7_sms(f, r, loc):
    return ["From: ", b7_phone(r, loc), "\n", b7_t(loc, en="Your code is ", de="Ihr Code lautet ", fr="Votre code : ", es="Su código es ", it="Il tuo codice è ", nl="Je code is "),
            str(r.randint(100000, 999999)), ". ", b7_la(f, r, loc), "\nReply from ", b7_phone(r, loc), ": ", *b7_pw_prose(r, loc), "\n"]


def B7_keyfile(f, r, loc):
    return ["$ cat ~/.ssh/deploy_key\n", b7_pem(r), "\n$ ssh-keygen -lf ~/.ssh/deploy_key.pub\n256 SHA256:", rnd(r, AN + "+/", 43), " deploy (ED25519)\n",
            "# README example:\n", b7_pem_plh(r), "\n"]


def B7_tfstate(f, r, loc):
    return ['resource "aws_iam_access_key" "ci" {\n  id     = "', b7_aws(r), '"\n  secret = "', b7_gen(r), f'"\n  status = "Active"\n}}\n',
            f'# arn:aws:iam::{rnd(r, string.digits, 12)}:user/ci  {b7_la(f, r, loc)}\n', 'variable "db_password" {\n  default = "', b7_pw(r), '"\n}\n']


def B7_mixed(f, r, loc):
    out = []
    for _ in range(r.randint(3, 6)):
        out += r.choice([b7_any(f, r, loc), [b7_la(f, r, loc)], [b7_talk(r, loc)]]) + [r.choice(["\n", "; ", " — ", "\n\n"])]
    return out


B7_TEXT_KINDS = [B7_ticket, B7_chat, B7_email_thread, B7_crm, B7_hr, B7_incident, B7_shell, B7_ci, B7_trace, B7_sql, B7_env, B7_yaml,
                 B7_toml, B7_ini, B7_xml, B7_k8s, B7_compose, B7_curl, B7_http, B7_csv, B7_invoice, B7_shipping, B7_transfer, B7_medical,
                 B7_payroll, B7_commit, B7_sms, B7_keyfile, B7_tfstate, B7_mixed]


def b7_text(f, r, loc):
    return [p for p in r.choice(B7_TEXT_KINDS)(f, r, loc) if not (isinstance(p, str) and p == "")]


# ----- blind7 JSON documents -----

def b7_js(parts):
    """Parts of one JSON string: no character that needs an escape."""
    out = []
    for p in parts:
        if isinstance(p, L):
            t = p.text.replace("\r", "").replace("\n", " ")
            assert '"' not in t and "\\" not in t, t
            out.append(B7L(p.typ, t) if t != p.text else p)
        else:
            s = p.replace("\r\n", "\n").replace("\n", " | ").replace("\t", " ").replace('"', "'").replace("\\", "")
            s = "".join(c for c in s if ord(c) >= 32)
            if s:
                out.append(s)
    return out or [""]


def b7_jt(f, r, loc, kinds=None):
    return b7_js(r.choice(kinds or B7_TEXT_KINDS)(f, r, loc))


def b7_jv(f, r, loc):
    """A JSON string value holding one labelled value, sometimes alone, sometimes with context."""
    v = b7_any(f, r, loc)
    if r.random() < 0.4:
        labs = [p for p in v if isinstance(p, L)]
        return labs[0] if len(labs) == 1 else b7_js(v)
    return b7_js(v)


def b7_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b7_labels(y)]
    if isinstance(v, list):
        return [x for y in v for x in b7_labels(y)]
    return []


def B7_mcp_call(f, r, loc):
    tool = r.choice(["send_email", "crm.update_contact", "db.query", "http.fetch", "files.write", "tickets.comment"])
    args = {"send_email": lambda: {"to": [[b7_email(f, r)]], "cc": [[b7_email(f, r)], [b7_email(f, r)]], "subject": b7_js([b7_la(f, r, loc)]),
                                   "body": b7_jt(f, r, loc, [B7_email_thread, B7_ticket, B7_transfer, B7_invoice])},
            "crm.update_contact": lambda: {"id": r.randint(1, 10**7), "fields": {"mobile": b7_phone(r, loc), "email": b7_email(f, r),
                                           "birthday": b7_dob(r, loc), "notes": b7_jt(f, r, loc, [B7_crm, B7_mixed])}},
            "db.query": lambda: {"dsn": b7_js(["mysql://report:", b7_pw(r), "@", b7_ip4(f, r), ":3306/sales"]), "sql": b7_jt(f, r, loc, [B7_sql])},
            "http.fetch": lambda: {"url": b7_js([f"https://api.example.com/v3/items?page={r.randint(1, 50)}&key=", b7_gen(r)]),
                                   "headers": {"Authorization": b7_js(["Bearer ", b7_vendor(f, r)]), "X-Trace": b7_js([b7_la(f, r, loc)])}},
            "files.write": lambda: {"path": r.choice([".env", "config/app.yaml", "settings.ini", "docker-compose.yml"]),
                                    "content": b7_jt(f, r, loc, [B7_env, B7_yaml, B7_ini, B7_compose, B7_toml])},
            "tickets.comment": lambda: {"ticket": b7_js([b7_la(f, r, loc)]), "comment": b7_jt(f, r, loc, [B7_chat, B7_ticket, B7_incident])}}[tool]()
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "method": "tools/call", "params": {"name": tool, "arguments": args}}


def B7_fn_call(f, r, loc):
    return {"type": "function_call", "call_id": "call_" + rnd(r, AN, 24), "name": r.choice(["lookup_customer", "create_refund", "notify"]),
            "arguments": {"customer": {"name": b7_name(f), "contact": {"email": b7_email(f, r), "phone": b7_phone(r, loc)},
                                       "payment": {"card": b7_card(f, r), "cvv": b7_cvc(r), "iban": b7_iban(f, r)}},
                          "amount": {"value": r.randint(100, 99999), "currency": "EUR"}, "reason": b7_jv(f, r, loc)}}


def B7_tool_result(f, r, loc):
    lines = []
    for _ in range(r.randint(2, 5)):
        lines.append(b7_jt(f, r, loc, [B7_mixed, B7_chat]) if r.random() < 0.3 else b7_jv(f, r, loc))
    return {"type": "tool_result", "tool_use_id": "toolu_" + rnd(r, AN, 24), "is_error": False, "content": [{"type": "text", "text": x} for x in lines]}


def B7_record(f, r, loc):
    lang = B7_LANG[loc]
    rec = {"id": f"{rnd(r, HEX, 8)}-{rnd(r, HEX, 4)}-4{rnd(r, HEX, 3)}-a{rnd(r, HEX, 3)}-{rnd(r, HEX, 12)}", "name": b7_name(f),
           "email": b7_email(f, r), "tel": b7_phone(r, loc), b7_t(loc, en="date_of_birth", de="geburtsdatum", fr="date_naissance",
                                                                   es="fecha_nacimiento", it="data_nascita", nl="geboortedatum"): b7_dob(r, loc),
           "created": b7_js([b7_la(f, r, loc)]), "bank": {"iban": b7_iban(f, r), "ref": b7_js([b7_la(f, r, loc)])},
           "portal": {"login": f.user_name(), r.choice(B7_PW_KEY[lang]): b7_pw(r)}}
    if loc == "en_US":
        rec["ssn"] = b7_ssn(r)
    return {"object": "contact", "data": rec}


def B7_webhook(f, r, loc):
    return {"event": r.choice(["payment.failed", "user.created", "secret.rotated"]), "ts": r.randint(1_700_000_000, 1_800_000_000),
            "payload": {"ip": b7_ip4(f, r) if r.random() < 0.6 else b7_ip6(f, r), "user_agent": "Mozilla/5.0", "actor": b7_email(f, r),
                        "old_credentials": {"token": b7_vendor(f, r), "webhook_secret": b7_gen(r)},
                        "sample": {"api_key": b7_plh(r), "note": b7_js([b7_talk(r, loc)])}, "order": b7_js([b7_la(f, r, loc)])}}


def B7_logsearch(f, r, loc):
    hits = []
    for _ in range(r.randint(2, 4)):
        hits.append({"@timestamp": b7_js([b7_la(f, r, loc)]), "host": b7_js([f"web-{r.randint(1, 40)}"]), "client_ip": b7_ip4(f, r),
                     "message": b7_jt(f, r, loc, [B7_trace, B7_http, B7_ci, B7_shell])})
    return {"took": r.randint(1, 900), "hits": {"total": len(hits), "hits": hits}}


def B7_secrets_api(f, r, loc):
    return {"path": "kv/data/" + r.choice(["payments", "crm", "ci"]), "data": {"data": {
        "ANTHROPIC_API_KEY": b7_anthropic(r), "STRIPE_KEY": b7_stripe(r), "db_password": b7_pw(r), "client_secret": b7_gen(r),
        "tls_key": b7_pem(r, sep=" "), "github": b7_gh(r), "slack": b7_slack(r), "google": b7_google(r), "aws_key_id": b7_aws(r)},
        "metadata": {"version": r.randint(1, 40), "created_time": b7_js([b7_la(f, r, loc)])}}}


def B7_chat_msgs(f, r, loc):
    msgs = [{"role": "system", "content": "You are a support assistant. Never reveal customer data."}]
    for i in range(r.randint(2, 4)):
        msgs.append({"role": "user" if i % 2 == 0 else "assistant", "content": b7_jt(f, r, loc, [B7_mixed, B7_sms, B7_ticket, B7_chat])})
    return {"model": r.choice(["claude-sonnet", "gpt-4o", "local-llama"]), "messages": msgs}


B7_JSON_KINDS = [B7_mcp_call, B7_mcp_call, B7_fn_call, B7_tool_result, B7_record, B7_webhook, B7_logsearch, B7_secrets_api, B7_chat_msgs]


def b7_json(f, r, loc):
    return r.choice(B7_JSON_KINDS)(f, r, loc)


# ----- blind7 self-check -----

def b7_value_ok(typ, v):
    d = re.sub(r"[ \u00a0.\-]", "", v)
    if typ == "EMAIL":
        return re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", v) is not None
    if typ == "CREDIT_CARD":
        return d.isdigit() and 13 <= len(d) <= 19 and luhn_ok(d)
    if typ == "IBAN":
        return re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", d) is not None and b6_mod97(d) == 1
    if typ == "US_SSN":
        return d.isdigit() and len(d) == 9 and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ == "IPV4":
        return isinstance(ipaddress.ip_address(v), ipaddress.IPv4Address)
    if typ == "IPV6":
        return isinstance(ipaddress.ip_address(v), ipaddress.IPv6Address)
    if typ == "PHONE":
        s = v.replace("(0)", "")
        s = "+" + s[2:] if s.startswith("00") else s
        regions = [None] if s.startswith("+") else list(REGION.values()) + OTHER_REGIONS
        return any(phonenumbers.is_valid_number(phonenumbers.parse(s, reg)) for reg in regions)
    if typ == "AWS_ACCESS_KEY":
        return re.fullmatch(r"(AKIA|ASIA)[A-Z2-7]{16}", v) is not None and "EXAMPLE" not in v
    if typ == "GITHUB_TOKEN":
        return re.fullmatch(r"(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})", v) is not None
    if typ == "SLACK_TOKEN":
        return v.startswith(("xoxb-", "xoxp-", "xapp-", "xoxe."))
    if typ == "STRIPE_KEY":
        return v[:8] in ("sk_live_", "rk_live_", "sk_test_")
    if typ == "OPENAI_KEY":
        return v.startswith("sk-") and "T3BlbkFJ" in v
    if typ == "ANTHROPIC_KEY":
        return v.startswith("sk-ant-") and v.endswith("AA")
    if typ == "GOOGLE_API_KEY":
        return re.fullmatch(r"AIza[A-Za-z0-9_-]{35}", v) is not None
    if typ == "JWT":
        h = v.split(".")[0]
        return len(v.split(".")) == 3 and "alg" in json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
    if typ == "PRIVATE_KEY":
        return v.startswith("-----BEGIN ") and v.endswith("PRIVATE KEY-----") and len(v) > 200
    if typ == "DATE_OF_BIRTH":
        return any(c.isdigit() for c in v) and len(v) >= 8
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() for c in v) and v not in B7_STANDIN
    if typ == "PLACEHOLDER":
        return len(v) >= 8
    return False


def b7_check(i, kind, doc, w, text):
    want = b7_labels(doc) if kind == "json" else [p for p in doc if isinstance(p, L) and p.typ]
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp, got)
        assert got and got.strip() == got, (i, got)
        assert b7_value_ok(sp["type"], got), (i, sp["type"], got)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)


# ---------- blind8 (seed 909) ----------
# A ninth split written by a fifth helper who never read the detection rules, their docs or their
# history, and never ran the engine on it; labelled by the lead's taxonomy. Everything below is its
# own: value generators, word lists, look-alikes and 43 text + 15 JSON document kinds (tool calls an
# agent makes: tickets, chat, mail threads, CRM/HR notes, incidents, shell/CI logs, traces, SQL,
# .env/YAML/TOML/INI/XML/JSON config, Kubernetes secrets, compose, curl, HTTP dumps, CSV, invoices,
# delivery notes, transfer instructions, US claim forms, payroll, Terraform, Ansible, web logs,
# calendar invites, commits, Jira comments, Slack exports, READMEs, vCards, web forms, netrc /
# git-credentials / pgpass, DSN lists, on-call rotas, Java traces, one-liners; JSON: MCP calls,
# tool_use / tool_result blocks, CRM records, webhooks, log search hits, vault reads, chat
# messages, HTTP / shell / calendar / sheets / Jira / payment tool calls, a Secret as JSON).
# Relative dates are drawn around a fixed day (B8_TODAY), never from the clock.
# Placeholders: a documentation example shaped like its vendor's key (AKIAIOSFODNN7EXAMPLE, the
# jwt.io token, `sk_test_4eC39HqLyjWDarjtT1zdp7dc`, `ghp_` + x…) is labelled PLACEHOLDER; shapeless
# stand-ins (`xxxx`, `<your-token>`, `${TOKEN}`, `changeme`, `********`, `sk_test_…`) are B8_STANDIN
# and left unlabelled, as in the splits before.
# A Kubernetes Secret's base64 `data:` value is labelled as what it encodes when its key names a
# password (PASSWORD) or a token/key (GENERIC_SECRET); base64 of a user name or host is not.
# IPv4 and IPv6 addresses are labelled public or private alike (no loopback / 0.0.0.0 anywhere).

import ipaddress as _b8_ip, re as _b8_re, unicodedata as _b8_ud  # noqa: E402

B8_TODAY = datetime.date(2026, 11, 20)
B8_LANG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B8_B64 = string.ascii_letters + string.digits + "+/"
B8_B64U = string.ascii_letters + string.digits + "-_"
B8_UP = string.ascii_uppercase
B8_UPD = string.ascii_uppercase + string.digits


class B8L(L):
    """A labelled piece kept verbatim."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b8_l(loc):
    return B8_LANG[loc]


def b8_pick(r, loc, table):
    v = table[b8_l(loc)] if isinstance(table, dict) else table
    return r.choice(v) if isinstance(v, (list, tuple)) else v


def b8_ascii(s):
    s = _b8_ud.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in s if c.isalnum()) or "user"


def b8_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out.extend(b8_flat(*x))
        elif x is not None and x != "":
            out.append(x)
    return out


def b8_js(*xs):
    """Parts of one JSON string: line breaks become ' ⏎ ', nothing that needs escaping."""
    out = []
    for p in b8_flat(*xs):
        if isinstance(p, L):
            assert '"' not in p.text and "\\" not in p.text and "\n" not in p.text, p.text
            out.append(p)
        else:
            out.append(p.replace("\r", "").replace("\n", " ⏎ ").replace("\t", "  ").replace('"', "'").replace("\\", "/"))
    return out or [""]


# ----- entity values -----

B8_FOREIGN = ["CH", "BE", "AT", "IE", "PT", "PL", "SE", "DK", "CA", "AU", "LU"]


B8_US_AREA = [212, 415, 312, 617, 713, 305, 206, 303, 404, 503, 702, 214, 512, 646, 718, 917, 480, 614, 216, 973, 248, 919, 801, 615]


def b8_number(r, region):
    """A number valid for `region` (libphonenumber metadata), with more of its digits drawn than the example keeps."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    for _ in range(200):
        if region == "US":
            cand = f"{r.choice(B8_US_AREA)}{r.randint(2, 9)}{rnd(r, string.digits, 2)}{rnd(r, string.digits, 4)}"
        else:
            t = r.choice([meta.fixed_line, meta.mobile, meta.mobile])
            ex = t.example_number if t is not None and t.example_number else meta.general_desc.example_number
            keep = r.randint(1, 3)
            cand = ex[:keep] + rnd(r, string.digits, len(ex) - keep)
        try:
            n = phonenumbers.parse(cand, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(n) and phonenumbers.number_type(n) != phonenumbers.PhoneNumberType.PREMIUM_RATE:
            return n
    return None


def b8_phone(r, loc, intl=False):
    region = REGION[loc] if r.random() > 0.14 else r.choice(B8_FOREIGN)
    n = b8_number(r, region) if r.random() < 0.7 else None
    if n is None:
        if intl or region != REGION[loc]:
            return phone(r, region, ("intl", "intl", "e164", "intl00", "intl_dashes", "intl_trunk"))
        return phone(r, region, ("national", "national", "national", "intl", "e164", "dashes", "dots", "intl00", "intl_trunk"))
    F = phonenumbers.PhoneNumberFormat
    nat, intl_, e164 = (phonenumbers.format_number(n, F.NATIONAL), phonenumbers.format_number(n, F.INTERNATIONAL), phonenumbers.format_number(n, F.E164))
    opts = [intl_, intl_, e164, "00" + intl_[1:], intl_.replace(" ", "-")]
    if not intl and region == REGION[loc]:
        opts += [nat, nat, nat, nat]
        if "(" not in nat:
            opts += [nat.replace(" ", "-"), nat.replace(" ", "")]
        if region == "US":
            d = e164[2:]
            opts += [f"{d[:3]}-{d[3:6]}-{d[6:]}", f"{d[:3]}.{d[3:6]}.{d[6:]}", f"1-{d[:3]}-{d[3:6]}-{d[6:]}", f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}"]
        if region in ("GB", "DE", "NL"):
            cc, rest = intl_.split(" ", 1)
            opts.append(f"{cc} (0){rest}")
        if region == "FR":
            opts.append(nat.replace(" ", "."))
    return r.choice(opts)


def b8_PH(r, loc, intl=False):
    return B8L("PHONE", b8_phone(r, loc, intl))


B8_MAILDOM = {"en_US": ["gmail.com", "yahoo.com", "comcast.net", "icloud.com", "aol.com"],
              "en_GB": ["btinternet.com", "outlook.co.uk", "sky.com", "virginmedia.com"],
              "de_DE": ["t-online.de", "gmx.net", "posteo.de", "web.de", "mailbox.org"],
              "fr_FR": ["laposte.net", "sfr.fr", "wanadoo.fr", "orange.fr"],
              "es_ES": ["telefonica.net", "yahoo.es", "gmail.com", "ono.com"],
              "it_IT": ["libero.it", "virgilio.it", "tiscali.it", "alice.it"],
              "nl_NL": ["ziggo.nl", "kpnmail.nl", "xs4all.nl", "planet.nl"]}
B8_ORGDOM = ["northwind-logistics.com", "acme-health.org", "brightpath.io", "klinikum-nord.de", "groupe-lumen.fr",
             "tecnored.es", "officine-rossi.it", "vanderlinde-bv.nl", "helpdesk.brightmart-retail.co.uk", "mail.ferrovia.it"]


def b8_email(f, r, loc, first=None, last=None):
    a, b = b8_ascii(first or f.first_name()), b8_ascii(last or f.last_name())
    k = r.randrange(8)
    local = [f"{a}.{b}", f"{a[0]}{b}", f"{a}_{b}{r.randint(1, 99)}", f"{b}.{a[0]}", f"{a}+{r.choice(['orders', 'news', 'jira', 'bank'])}",
             f"{a}{b[:3]}{r.randint(70, 99)}", f"{a}-{b}", f"{b}{r.randint(1960, 2004)}"][k]
    dom = r.choice(B8_MAILDOM[loc]) if r.random() < 0.6 else r.choice(B8_ORGDOM)
    if r.random() < 0.08:
        local = local.capitalize()
    return f"{local}@{dom}"


def b8_EM(f, r, loc, first=None, last=None):
    return B8L("EMAIL", b8_email(f, r, loc, first, last))


def b8_card(f, r):
    kind = r.choice(["visa16", "visa16", "visa16", "mastercard", "mastercard", "mastercard", "amex", "discover", "jcb16", "diners"])
    n = f.credit_card_number(card_type=kind)
    s = r.random()
    if len(n) == 16 and s < 0.45:
        sep = r.choice([" ", " ", "-"])
        n = sep.join(n[i:i + 4] for i in range(0, 16, 4))
    elif len(n) == 15 and s < 0.4:
        n = f"{n[:4]} {n[4:10]} {n[10:]}"
    return n


def b8_CC(f, r):
    return B8L("CREDIT_CARD", b8_card(f, r))


def b8_mod97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


B8_IBAN_SPEC = {"DE": ["n18"], "GB": [["BARC", "LOYD", "NWBK", "HBUK", "MIDL"], "n14"], "FR": ["n10", "c11", "n2"],
                "ES": ["n20"], "IT": ["a1", "n10", "c12"], "NL": [["ABNA", "RABO", "INGB", "TRIO", "SNSB", "KNAB"], "n10"],
                "BE": ["n12"], "AT": ["n16"], "CH": ["n5", "c12"], "IE": [["AIBK", "BOFI"], "n14"], "PT": ["n21"],
                "PL": ["n24"], "LU": ["n3", "c13"]}
B8_HOME = {"en_US": "GB", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b8_iban_raw(r, cc):
    bban = ""
    for tok in B8_IBAN_SPEC[cc]:
        if isinstance(tok, list):
            bban += r.choice(tok)
            continue
        n = int(tok[1:])
        bban += rnd(r, {"n": string.digits, "a": B8_UP, "c": B8_UPD}[tok[0]], n)
    chk = 98 - b8_mod97(bban + cc + "00")
    return f"{cc}{chk:02d}{bban}"


def b8_group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def b8_iban(r, loc, grouped=None):
    cc = B8_HOME[loc] if r.random() < 0.75 else r.choice(list(B8_IBAN_SPEC))
    v = b8_iban_raw(r, cc)
    if grouped if grouped is not None else r.random() < 0.5:
        v = b8_group4(v)
    return v


def b8_IBAN(r, loc, grouped=None):
    return B8L("IBAN", b8_iban(r, loc, grouped))


def b8_ssn(r, style=None):
    while True:
        a = r.randint(1, 899)
        if a != 666:
            break
    g, s = r.randint(1, 99), r.randint(1, 9999)
    style = style or r.choice(["dash", "dash", "dash", "space", "bare"])
    return {"dash": f"{a:03d}-{g:02d}-{s:04d}", "space": f"{a:03d} {g:02d} {s:04d}", "bare": f"{a:03d}{g:02d}{s:04d}"}[style]


def b8_SSN(r, style=None):
    return B8L("US_SSN", b8_ssn(r, style))


def b8_ip4(f, r):
    if r.random() < 0.2:
        return r.choice([f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                         f"192.168.{r.randint(0, 255)}.{r.randint(1, 254)}", f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}"])
    return f.ipv4_public()


def b8_IP4(f, r):
    return B8L("IPV4", b8_ip4(f, r))


B8_V6NETS = ["2a01:598", "2a02:908", "2001:16b8", "2a0a:a540", "2600:1700", "2607:fb90", "2a00:23c5", "2a01:e0a", "2a02:a45a", "2001:b07"]


def b8_ip6(f, r):
    k = r.randrange(5)
    groups = [f"{r.randint(0, 0xffff):x}" for _ in range(6)]
    if k == 0:
        return str(_b8_ip.IPv6Address(r.choice(B8_V6NETS) + ":" + ":".join(groups)))
    if k == 1:
        return r.choice(B8_V6NETS) + ":" + groups[0] + "::" + groups[1]
    if k == 2:
        return "fe80::" + ":".join(groups[:4])
    if k == 3:
        return str(_b8_ip.IPv6Address(r.choice(B8_V6NETS) + ":" + ":".join(groups))).upper()
    return _b8_ip.IPv6Address(r.getrandbits(128) & ((1 << 125) - 1) | (1 << 125)).exploded


def b8_IP6(f, r):
    return B8L("IPV6", b8_ip6(f, r))


B8_MON = {"en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
          "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
          "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
          "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
          "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"],
          "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"]}


def b8_fmtdate(d, r, loc):
    m = B8_MON[b8_l(loc)][d.month - 1]
    k = r.randrange(10)
    if k == 0:
        return d.isoformat()
    if loc == "en_US":
        return [f"{d.month:02d}/{d.day:02d}/{d.year}", f"{m} {d.day}, {d.year}", f"{d.month}/{d.day}/{d.year}", f"{m[:3]} {d.day} {d.year}"][k % 4]
    if loc == "en_GB":
        return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} {m} {d.year}", f"{d.day} {m[:3]} {d.year}"][k % 3]
    if loc == "de_DE":
        return [f"{d.day:02d}.{d.month:02d}.{d.year}", f"{d.day}. {m} {d.year}", f"{d.day}.{d.month}.{d.year}"][k % 3]
    if loc == "fr_FR":
        return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} {m} {d.year}", f"{d.day:02d}.{d.month:02d}.{d.year}"][k % 3]
    if loc == "es_ES":
        return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} de {m} de {d.year}", f"{d.day}-{d.month:02d}-{d.year}"][k % 3]
    if loc == "it_IT":
        return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} {m} {d.year}", f"{d.day}.{d.month:02d}.{d.year}"][k % 3]
    return [f"{d.day:02d}-{d.month:02d}-{d.year}", f"{d.day} {m} {d.year}", f"{d.day:02d}/{d.month:02d}/{d.year}"][k % 3]


def b8_birthday(r, lo=18, hi=88):
    return B8_TODAY - datetime.timedelta(days=r.randint(lo * 365, hi * 365))


def b8_DOB(r, loc):
    return B8L("DATE_OF_BIRTH", b8_fmtdate(b8_birthday(r), r, loc))


def b8_otherdate(r, loc, back=2000, fwd=120):
    """A date that is not a birth date (hire, visit, due, shipped …)."""
    return b8_fmtdate(B8_TODAY + datetime.timedelta(days=r.randint(-back, fwd)), r, loc)


B8_DOB_LEAD = {"en": ["DOB:", "Date of birth:", "born on", "D.O.B.", "Birthdate:", "date of birth", "b."],
               "de": ["Geburtsdatum:", "geb.", "geboren am", "Geb.-Datum:"],
               "fr": ["Date de naissance :", "né le", "née le", "date de naissance"],
               "es": ["Fecha de nacimiento:", "nacido el", "nacida el", "F. nacimiento:"],
               "it": ["Data di nascita:", "nato il", "nata il", "data nascita"],
               "nl": ["Geboortedatum:", "geboren op", "geb. datum"]}


# ----- secrets -----

def b8_aws(r):
    return r.choice(["AKIA", "AKIA", "ASIA"]) + rnd(r, B8_UP + "234567", 16)


def b8_aws_secret(r):
    return rnd(r, B8_B64, 40)


def b8_gh(r, prefix=None):
    p = prefix or r.choice(["ghp_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"])
    if p == "github_pat_":
        return p + "11" + rnd(r, B8_UPD, 20) + "_" + rnd(r, AN, 59)
    return p + rnd(r, AN, 36)


def b8_slack(r):
    k = r.randrange(5)
    if k == 0:
        return f"xoxb-{rnd(r, string.digits, r.choice([10, 12, 13]))}-{rnd(r, string.digits, 13)}-{rnd(r, AN, 24)}"
    if k == 1:
        return f"xoxp-{rnd(r, string.digits, 11)}-{rnd(r, string.digits, 12)}-{rnd(r, string.digits, 13)}-{rnd(r, HEX, 32)}"
    if k == 2:
        return f"xapp-1-A{rnd(r, B8_UPD, 10)}-{rnd(r, string.digits, 13)}-{rnd(r, HEX, 64)}"
    if k == 3:
        return f"xoxe.xoxp-1-{rnd(r, AN, 150)}"
    return f"xoxa-2-{rnd(r, string.digits, 12)}-{rnd(r, string.digits, 13)}-{rnd(r, HEX, 32)}"


def b8_stripe(r):
    return r.choice(["sk_live_", "sk_live_", "rk_live_"]) + "51" + rnd(r, AN, r.choice([22, 97]))


def b8_openai(r):
    k = r.randrange(4)
    if k == 0:
        return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
    if k == 1:
        return "sk-svcacct-" + rnd(r, B8_B64U, 74) + "T3BlbkFJ" + rnd(r, B8_B64U, 74)
    return "sk-proj-" + rnd(r, B8_B64U, 74) + "T3BlbkFJ" + rnd(r, B8_B64U, 74)


def b8_anthropic(r):
    kind = r.choice(["api03", "api03", "api03", "admin01"])
    return f"sk-ant-{kind}-" + rnd(r, B8_B64U, 93) + "AA"


def b8_google(r):
    return "AIzaSy" + rnd(r, B8_B64U, 33)


def b8_b64u(o):
    return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")


def b8_jwt(f, r):
    alg = r.choice(["HS256", "RS256", "ES256", "RS512"])
    head = {"alg": alg, "typ": "JWT"}
    if alg != "HS256":
        head["kid"] = rnd(r, AN, 16)
    iat = int(datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc).timestamp()) - r.randint(0, 9e6)
    body = {"sub": r.choice([str(r.randint(10000, 9999999)), rnd(r, HEX, 24)]), "iat": iat, "exp": iat + r.choice([900, 3600, 86400]),
            "iss": r.choice(["https://auth.brightpath.io/", "keycloak", "api-gw", "https://login.acme-health.org"])}
    if r.random() < 0.4:
        body["scope"] = r.choice(["read:orders", "openid profile", "admin", "tickets:write"])
    sig = rnd(r, B8_B64U, {"HS256": 43, "RS256": 342, "ES256": 86, "RS512": 342}[alg])
    return b8_b64u(head) + "." + b8_b64u(body) + "." + sig


B8_PEM_HEAD = {"RSA PRIVATE KEY": "MIIEpAIBAAKCAQEA", "PRIVATE KEY": "MIIEvgIBADANBgkqhkiG9w0BAQEFAASC", "EC PRIVATE KEY": "MHcCAQEEI",
               "OPENSSH PRIVATE KEY": "b3BlbnNzaC1rZXktdjEAAAAA", "ENCRYPTED PRIVATE KEY": "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI"}


def b8_pem(r, sep="\n", kind=None):
    kind = kind or r.choice(list(B8_PEM_HEAD) + ["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    n = {"EC PRIVATE KEY": 2, "OPENSSH PRIVATE KEY": 6}.get(kind, r.randint(6, 12))
    body = B8_PEM_HEAD[kind] + rnd(r, B8_B64, 64 * n - len(B8_PEM_HEAD[kind]) + r.randint(4, 40))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    if len(lines[-1]) % 4:
        lines[-1] = lines[-1] + "=" * (4 - len(lines[-1]) % 4)
    return sep.join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"])


def b8_gen(r):
    """A secret of no vendor shape."""
    k = r.randrange(6)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 1:
        return rnd(r, B8_B64, 43) + "="
    if k == 2:
        return rnd(r, AN, r.choice([24, 32, 40]))
    if k == 3:
        return rnd(r, B8_B64U, 48)
    if k == 4:
        return "-".join(rnd(r, "abcdefghjkmnpqrstuvwxyz23456789", 6) for _ in range(4))
    return rnd(r, B8_UPD, 8) + "-" + rnd(r, B8_UPD, 8) + "-" + rnd(r, AN, 16)


def b8_GEN(r):
    return B8L("GENERIC_SECRET", b8_gen(r))


def b8_cvc(r, amex=False):
    return B8L("GENERIC_SECRET", rnd(r, string.digits, 4 if amex else 3))


def b8_vendor(f, r, kind=None):
    kind = kind or r.choice(["AWS_ACCESS_KEY", "GITHUB_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY",
                             "GOOGLE_API_KEY", "JWT"])
    v = {"AWS_ACCESS_KEY": lambda: b8_aws(r), "GITHUB_TOKEN": lambda: b8_gh(r), "SLACK_TOKEN": lambda: b8_slack(r),
         "STRIPE_KEY": lambda: b8_stripe(r), "OPENAI_KEY": lambda: b8_openai(r), "ANTHROPIC_KEY": lambda: b8_anthropic(r),
         "GOOGLE_API_KEY": lambda: b8_google(r), "JWT": lambda: b8_jwt(f, r)}[kind]()
    return B8L(kind, v)


# ----- passwords -----

B8_PWW = ["Heidelbeere", "sunflower", "Eichhörnchen", "tortuga", "lampione", "fietspomp", "Baguette", "Kompass", "mandarino",
          "paraguas", "windmolen", "Gewitter", "cerise", "Albatross", "Zwetschge", "canguro", "Trinidad", "Oktoberfest"]


def b8_pw(r, safe=False):
    """A password; `safe`: no character that needs quoting in shells / URLs / YAML."""
    k = r.randrange(7)
    sym = "!#%*+-_=.~" if not safe else "-_."
    if k == 0:
        w = r.choice(B8_PWW)
        return w + str(r.randint(1, 2026)) + r.choice(sym)
    if k == 1:
        return rnd(r, AN + sym, r.randint(12, 24))
    if k == 2:
        ws = [r.choice(B8_PWW).lower() for _ in range(3)]
        return r.choice("-_.") .join(ws) + str(r.randint(1, 99))
    if k == 3:
        w = r.choice(B8_PWW)
        return "".join({"a": "@" if not safe else "4", "o": "0", "e": "3", "i": "1"}.get(c, c) for c in w) + str(r.randint(10, 99))
    if k == 4:
        return rnd(r, string.ascii_uppercase, 2) + rnd(r, string.digits, 4) + rnd(r, string.ascii_lowercase, 4) + r.choice(sym)
    if k == 5:
        return r.choice(B8_PWW)[:5] + r.choice(sym) + r.choice(B8_PWW)[-4:].capitalize() + str(r.randint(0, 9))
    return rnd(r, string.ascii_lowercase + string.digits, 16)


def b8_PW(r, safe=False):
    return B8L("PASSWORD", b8_pw(r, safe))


B8_PW_SAY = {  # prose that states a password: (before, after)
    "en": [("the temp password is ", " - please change it at first login"), ("I reset it to ", " for now"), ("creds: admin / ", ""),
           ("new pw: ", ""), ("her passphrase is ", " (she wrote it on a sticky note)"), ("login with ", " until Monday"),
           ("password for the shared mailbox: ", "")],
    "de": [("das neue Passwort lautet ", ", bitte beim ersten Login ändern"), ("Kennwort ist jetzt ", ""), ("PW: ", ""),
           ("Zugang: admin / ", ""), ("ich habe das Passwort auf ", " zurückgesetzt")],
    "fr": [("le mot de passe provisoire est ", ", à changer dès la connexion"), ("mdp : ", ""), ("j'ai remis le mot de passe à ", ""),
           ("identifiants : admin / ", "")],
    "es": [("la contraseña temporal es ", ", cámbiala al entrar"), ("clave: ", ""), ("le he puesto la contraseña ", " de momento"),
           ("usuario admin, contraseña ", "")],
    "it": [("la password provvisoria è ", ", cambiala al primo accesso"), ("pwd: ", ""), ("ho impostato la password a ", ""),
           ("credenziali: admin / ", "")],
    "nl": [("het tijdelijke wachtwoord is ", ", graag direct wijzigen"), ("ww: ", ""), ("wachtwoord staat nu op ", ""),
           ("inlog: beheer / ", "")],
}
B8_PW_TALK = {  # sentences about passwords that hold none
    "en": ["Please reset your password using the link we sent.", "Passwords must be at least 12 characters and contain a digit.",
           "Never share your password with support staff.", "Customer forgot password again, sent the self-service link.",
           "Password expired after 90 days; user was prompted to change it."],
    "de": ["Bitte setzen Sie Ihr Passwort über den Link zurück.", "Das Passwort muss mindestens 12 Zeichen lang sein.",
           "Kunde hat sein Kennwort vergessen, Link zum Zurücksetzen geschickt."],
    "fr": ["Merci de réinitialiser votre mot de passe via le lien.", "Le mot de passe doit contenir au moins 12 caractères.",
           "Client a oublié son mot de passe, lien envoyé."],
    "es": ["Restablece tu contraseña con el enlace que te enviamos.", "La contraseña debe tener al menos 12 caracteres.",
           "El cliente olvidó la contraseña; enviado enlace de recuperación."],
    "it": ["Reimposta la password tramite il link ricevuto.", "La password deve contenere almeno 12 caratteri.",
           "Il cliente ha dimenticato la password, inviato link di recupero."],
    "nl": ["Stel je wachtwoord opnieuw in via de link.", "Het wachtwoord moet minimaal 12 tekens bevatten.",
           "Klant is wachtwoord vergeten, herstellink verstuurd."],
}
B8_PW_KEY = {"en": ["password", "db_password", "PASSWORD", "passwd", "pass", "admin_password", "smtp_password", "pwd"],
             "de": ["passwort", "Passwort", "kennwort", "db_passwort", "Kennwort"],
             "fr": ["mot_de_passe", "motdepasse", "mdp", "MOT_DE_PASSE"],
             "es": ["contrasena", "contraseña", "clave", "CONTRASENA_BD"],
             "it": ["password", "parola_d_ordine", "PASSWORD_DB", "pwd"],
             "nl": ["wachtwoord", "Wachtwoord", "WACHTWOORD_DB", "ww"]}
B8_SEC_KEY = ["client_secret", "api_key", "secret_key", "signing_key", "webhook_secret", "access_token", "auth_token", "apikey",
              "hmac_secret", "encryption_key", "SECRET_KEY_BASE", "private_token", "x-api-key", "credentials", "refresh_token"]


def b8_pw_say(r, loc):
    a, b = r.choice(B8_PW_SAY[b8_l(loc)])
    return [a, b8_PW(r), b]


def b8_pw_talk(r, loc):
    return r.choice(B8_PW_TALK[b8_l(loc)])


def b8_pwkey(r, loc):
    return r.choice(B8_PW_KEY[b8_l(loc)] + ["password"])


# ----- placeholders -----

def b8_padto(s, n, c="x"):
    return (s + c * n)[:n]


B8_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE", "AKIAEXAMPLE123456789", "ASIA" + "X" * 16, "AKIA" + "0" * 16,
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_" + "x" * 36, "ghp_" + b8_padto("YOUR_GITHUB_TOKEN_", 36, "0"), "gho_" + b8_padto("EXAMPLEoauth", 36), "ghu_" + "0" * 36,
    "ghs_" + b8_padto("exampleInstallationToken", 36, "X"), "ghr_" + b8_padto("refreshEXAMPLE", 36, "0"),
    "github_pat_" + "X" * 22 + "_" + "X" * 59,
    "xoxb-" + "0" * 12 + "-" + "0" * 13 + "-" + "X" * 24, "xoxp-your-user-token-" + "x" * 20, "xapp-1-" + "A0000000000" + "-" + "0" * 13 + "-" + "x" * 64,
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_" + "X" * 24, "rk_live_" + b8_padto("EXAMPLE", 24, "0"),
    "sk-proj-" + "X" * 48, "sk-" + b8_padto("EXAMPLE", 20, "x") + "T3BlbkFJ" + "x" * 20, "sk-ant-api03-" + b8_padto("example-", 93, "x") + "AA",
    "sk-ant-api03-" + "X" * 93 + "AA",
    "AIza" + "X" * 35, "AIzaSy" + b8_padto("EXAMPLE-KEY-FOR-DOCS", 33, "0"),
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
]
B8_PH_KIND = {"AWS_ACCESS_KEY": [0, 1, 2, 3], "GITHUB_TOKEN": [5, 6, 7, 8, 9, 10, 11], "SLACK_TOKEN": [12, 13, 14], "STRIPE_KEY": [15, 16, 17],
              "OPENAI_KEY": [18, 19], "ANTHROPIC_KEY": [20, 21], "GOOGLE_API_KEY": [22, 23], "JWT": [24], "GENERIC_SECRET": [4]}
B8_STANDIN = ["xxxx", "<your-token>", "${TOKEN}", "changeme", "<API_KEY>", "${{ secrets.NPM_TOKEN }}", "REPLACE_WITH_YOUR_KEY",
              "{{ vault_db_password }}", "********", "sk_test_…", "AKIA…", "[REDACTED]", "$(pass show prod/db)", "<hidden>", "ghp_****",
              "%API_TOKEN%", "<set-me>", "TODO", "•••••••", "${env:STRIPE_KEY}", "xxxxxxxxxxxxxxxx", "<paste here>"]


def b8_PLH(r, kind=None):
    i = r.choice(B8_PH_KIND[kind]) if kind else r.randrange(len(B8_PLACEHOLDERS))
    return B8L("PLACEHOLDER", B8_PLACEHOLDERS[i])


def b8_standin(r):
    return r.choice(B8_STANDIN)


def b8_pem_plh(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"])
    return B8L("PLACEHOLDER", sep.join([f"-----BEGIN {kind}-----", r.choice(["...", "<your key here>", "MIIEv...(snip)...AB==", "KEY_CONTENT"]),
                                        f"-----END {kind}-----"]))


# ----- look-alikes (never labelled) -----

def b8_luhn_fix(body):
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c


def b8_gs1(body):
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - s % 10) % 10)


def b8_bad_card(r):
    while True:
        n = r.choice(["4", "5" + str(r.randint(1, 5)), "37", "6011"]) 
        n += rnd(r, string.digits, (15 if n == "37" else 16) - len(n))
        if not luhn_ok(n):
            return n if r.random() < 0.5 or len(n) != 16 else " ".join(n[i:i + 4] for i in range(0, 16, 4))


def b8_bad_iban(r, loc):
    v = b8_iban_raw(r, B8_HOME[loc])
    c = int(v[2:4])
    v = v[:2] + f"{(c + r.randint(1, 9)) % 97 + 2:02d}" + v[4:]
    if b8_mod97(v[4:] + v[:4]) == 1:
        v = v[:-1] + str((int(v[-1]) + 1) % 10)
    return b8_group4(v) if r.random() < 0.5 else v


def b8_aba(r):
    while True:
        d = rnd(r, string.digits, 8)
        d = r.choice(["0", "1", "2", "3"]) + d[1:]
        for c in string.digits:
            x = d + c
            if sum(int(x[i]) * (3, 7, 1)[i % 3] for i in range(9)) % 10 == 0:
                return x


def b8_imei(r):
    return b8_luhn_fix(r.choice(["35", "86", "01", "99"]) + rnd(r, string.digits, 12))


def b8_uuid(r):
    h = rnd(r, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"


def b8_epoch(r, ms=False):
    t = int(datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc).timestamp()) - r.randint(0, 3e7)
    return str(t * 1000 + r.randint(0, 999)) if ms else str(t)


def b8_ts(r, style=None):
    d = datetime.datetime(2026, 11, 20, 9, 0, 0) - datetime.timedelta(seconds=r.randint(0, 4e7))
    style = style if style is not None else r.randrange(6)
    if style == 0:
        return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"
    if style == 1:
        return d.strftime("%d/%b/%Y:%H:%M:%S +0000")
    if style == 2:
        return d.strftime("%a, %d %b %Y %H:%M:%S GMT")
    if style == 3:
        return d.strftime("%Y-%m-%d %H:%M:%S,") + f"{r.randint(0, 999):03d}"
    if style == 4:
        return d.strftime("%Y%m%dT%H%M%SZ")
    return d.strftime("%b %d %H:%M:%S")


B8_REFWORD = {"en": ["Order #", "Ticket ", "Invoice no. ", "Case ", "Policy ", "Account ", "PO ", "RMA ", "Claim #", "Booking ref "],
              "de": ["Bestellnr. ", "Auftrag ", "Rechnungsnr. ", "Vorgangsnummer ", "Kundennr. ", "Vertragsnr. "],
              "fr": ["Commande n° ", "Facture ", "Dossier ", "N° client ", "Contrat n° "],
              "es": ["Pedido nº ", "Factura ", "Expediente ", "Nº de cliente ", "Póliza "],
              "it": ["Ordine n. ", "Fattura ", "Pratica ", "Cod. cliente ", "Polizza n. "],
              "nl": ["Bestelnummer ", "Factuur ", "Dossier ", "Klantnummer ", "Polisnummer "]}


def b8_refnum(r):
    k = r.randrange(10)
    if k == 0:
        return f"{r.randint(100, 999)}-{rnd(r, string.digits, 7)}-{rnd(r, string.digits, 7)}"
    if k == 1:
        return f"INV-{r.randint(2019, 2026)}-{rnd(r, string.digits, 6)}"
    if k == 2:
        return rnd(r, "123456789", 1) + rnd(r, string.digits, 9)
    if k == 3:
        return f"{r.randint(2020, 2026)}/{rnd(r, string.digits, 6)}"
    if k == 4:
        return f"{rnd(r, B8_UP, 3)}{rnd(r, string.digits, 8)}"
    if k == 5:
        return "0" + rnd(r, string.digits, 10)
    if k == 6:
        return f"{rnd(r, string.digits, 4)} {rnd(r, string.digits, 3)} {rnd(r, string.digits, 3)}"
    if k == 7:
        return f"CS{rnd(r, string.digits, 8)}"
    if k == 8:
        return f"{rnd(r, string.digits, 3)}.{rnd(r, string.digits, 3)}.{rnd(r, string.digits, 3)}"
    return f"#{rnd(r, string.digits, 6)}"


def b8_ref(r, loc):
    return b8_pick(r, loc, B8_REFWORD) + b8_refnum(r)


def b8_money(r, loc):
    a = r.randint(1, 99999) + r.randint(0, 99) / 100
    if loc == "en_US":
        return f"${a:,.2f}"
    if loc == "en_GB":
        return f"£{a:,.2f}"
    s = f"{a:,.2f}".replace(",", "X").replace(".", ",").replace("X", "\u202f" if loc == "fr_FR" else ".")
    return r.choice([f"{s}\u00a0€", f"{s} €", f"€ {s}", f"EUR {s}"])


def b8_la(f, r, loc, group=None):
    """One look-alike; `group` picks its kind."""
    g = group if group is not None else r.randrange(24)
    if g == 0: return b8_ref(r, loc)
    if g == 1: return "EAN " + b8_gs1(r.choice(["40", "30", "84", "80", "87", "50", "00"]) + rnd(r, string.digits, 10))
    if g == 2: return "UPC " + b8_gs1(r.choice(["0", "6", "8"]) + rnd(r, string.digits, 10))
    if g == 3: return "ISBN " + b8_gs1("978" + rnd(r, string.digits, 9))
    if g == 4: return "IMEI " + b8_imei(r)
    if g == 5: return "S/N " + r.choice([rnd(r, B8_UPD, 12), f"{rnd(r, B8_UP, 2)}{rnd(r, string.digits, 10)}"])
    if g == 6: return r.choice(["v", "version ", "release "]) + f"{r.randint(0, 14)}.{r.randint(0, 40)}.{r.randint(0, 120)}"
    if g == 7: return f"build 10.0.{r.randint(17000, 26200)}.{r.randint(256, 6000)}"
    if g == 8: return b8_ts(r)
    if g == 9: return b8_epoch(r, r.random() < 0.5)
    if g == 10: return r.choice(["took ", "duration ", "elapsed "]) + r.choice([f"{r.randint(1, 59)}m{r.randint(0, 59)}s", f"{r.randint(1, 9999)} ms", f"PT{r.randint(1, 12)}H{r.randint(0, 59)}M", f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"])
    if g == 11: return b8_money(r, loc)
    if g == 12: return f"{r.uniform(36, 60):.6f}, {r.uniform(-9, 18):.6f}"
    if g == 13: return "commit " + rnd(r, HEX, 40)
    if g == 14: return "sha256:" + rnd(r, HEX, 64)
    if g == 15: return b8_uuid(r)
    if g == 16: return "card " + b8_bad_card(r)
    if g == 17: return "IBAN " + b8_bad_iban(r, loc)
    if g == 18: return r.choice(["routing no. ", "ABA ", "claim no. ", "member ID ", "badge "]) + (b8_aba(r) if r.random() < 0.5 else rnd(r, "123456789", 1) + rnd(r, string.digits, 8))
    if g == 19: return r.choice(["Tracking: 1Z", "Sendungsnr. 00340434", "suivi 6A", "seguimiento PQ", "tracking JJD00"]) + rnd(r, string.digits, r.randint(12, 16))
    if g == 20: return b8_standin(r)
    if g == 21: return b8_pw_talk(r, loc)
    if g == 22: return "etag " + rnd(r, HEX, 32)
    return "img " + rnd(r, B8_B64, 60) + "=="


def b8_las(f, r, loc, n=2):
    return [b8_la(f, r, loc) + r.choice(["; ", " · ", ", ", " | "]) for _ in range(n)]


def b8_name(f):
    return f.first_name(), f.last_name()


# ----- text documents -----

B8_HI = {"en": ["Hi {n},", "Hello {n},", "Dear {n},", "{n} -"], "de": ["Hallo {n},", "Guten Tag {n},", "Liebe/r {n},"],
         "fr": ["Bonjour {n},", "Salut {n},", "Cher/Chère {n},"], "es": ["Hola {n}:", "Buenos días {n},", "Estimado/a {n}:"],
         "it": ["Ciao {n},", "Buongiorno {n},", "Gentile {n},"], "nl": ["Hoi {n},", "Beste {n},", "Goedemiddag {n},"]}
B8_BYE = {"en": ["Thanks!", "Best,", "Regards,", "Many thanks,"], "de": ["Beste Grüße", "Danke und Gruß", "Freundliche Grüße"],
          "fr": ["Cordialement,", "Bien à vous,", "Merci d'avance,"], "es": ["Saludos,", "Un saludo,", "Gracias,"],
          "it": ["Cordiali saluti,", "Grazie,", "A presto,"], "nl": ["Groeten,", "Met vriendelijke groet,", "Dank je,"]}
B8_TELW = {"en": ["Phone:", "Mob.", "T:", "Direct:", "cell:", "Tel"], "de": ["Tel.:", "Mobil:", "Fon", "Handy:"],
           "fr": ["Tél. :", "Portable :", "Tél"], "es": ["Tel.:", "Móvil:", "Tlf."], "it": ["Tel.", "Cell.:", "Cellulare"],
           "nl": ["Tel:", "Mobiel:", "T."]}
B8_FAXW = {"en": "Fax:", "de": "Fax:", "fr": "Fax :", "es": "Fax:", "it": "Fax", "nl": "Fax:"}


def b8_sig(f, r, loc, fn, ln):
    out = [f"\n--\n{fn} {ln}\n{f.job()} | {f.company()}\n", b8_pick(r, loc, B8_TELW), " ", b8_PH(r, loc), "\n"]
    if r.random() < 0.3:
        out += [B8_FAXW[b8_l(loc)], " ", b8_PH(r, loc), "\n"]
    if r.random() < 0.5:
        out += [b8_EM(f, r, loc, fn, ln), "\n"]
    return out


def b8_clock(r, start=None, step=(5, 400)):
    """Increasing timestamps for one log / transcript."""
    t = [start or datetime.datetime(2026, 11, 20, 6, 0) - datetime.timedelta(seconds=r.randint(0, 3.5e7))]

    def nxt(fmt="%Y-%m-%dT%H:%M:%S.%fZ"):
        t[0] += datetime.timedelta(seconds=r.randint(*step), microseconds=r.randint(0, 999999))
        out = t[0].strftime(fmt)
        return out[:-4] + "Z" if fmt.endswith(".%fZ") else out
    return nxt


def B8_ticket(f, r, loc):
    fn, ln = b8_name(f)
    l = b8_l(loc)
    subj = {"en": "Can't log in after phone change", "de": "Login nach Handywechsel nicht möglich", "fr": "Impossible de me connecter",
            "es": "No puedo acceder a mi cuenta", "it": "Accesso bloccato dopo cambio telefono", "nl": "Kan niet meer inloggen"}[l]
    return [f"[{b8_pick(r, loc, B8_REFWORD).strip()} {b8_refnum(r)}] {subj}\nStatus: Open   Priority: P{r.randint(1, 4)}   Created: {b8_ts(r, 0)}\n",
            f"Requester: {fn} {ln} <", b8_EM(f, r, loc, fn, ln), ">\nCallback: ", b8_PH(r, loc), "\n\n",
            r.choice(B8_PW_TALK[l]), " ", b8_pw_say(r, loc), "\n",
            b8_la(f, r, loc, 4), " / ", b8_la(f, r, loc, 5), "\n",
            ["Customer address on file: ", f.address().replace("\n", ", "), "\n"] if r.random() < 0.5 else "",
            ["Last login from ", b8_IP4(f, r), " at ", b8_ts(r, 2), "\n"] if r.random() < 0.6 else ["Last login from ", b8_IP6(f, r), "\n"]]


def B8_chat(f, r, loc):
    fn, ln = b8_name(f)
    agent = f.first_name()
    t0 = datetime.datetime(2026, 11, 20, 8, 0) + datetime.timedelta(minutes=r.randint(0, 600))
    T = lambda k: (t0 + datetime.timedelta(seconds=40 * k)).strftime("%H:%M:%S")
    l = b8_l(loc)
    q = {"en": "what card do you have on file?", "de": "welche Karte ist hinterlegt?", "fr": "quelle carte est enregistrée ?",
         "es": "¿qué tarjeta tienen guardada?", "it": "quale carta avete in archivio?", "nl": "welke kaart staat er geregistreerd?"}[l]
    return [f"{T(0)} {agent} (agent): {b8_pick(r, loc, B8_HI).format(n=fn)}\n",
            f"{T(1)} {fn}: {q} ", {"en": "the new one is", "de": "die neue ist", "fr": "la nouvelle c'est", "es": "la nueva es", "it": "la nuova è",
                                   "nl": "de nieuwe is"}[l], " ", b8_CC(f, r), " exp ", f"{r.randint(1, 12):02d}/{r.randint(27, 31)}", " cvc ", b8_cvc(r), "\n",
            f"{T(2)} {agent} (agent): ", b8_la(f, r, loc, 0), " ", b8_la(f, r, loc, 11), "\n",
            f"{T(3)} {fn}: ", r.choice(["tel ", "📞 ", ""]) + b8_pick(r, loc, {"en": ["my number is", "ring me on"], "de": ["meine Nummer:", "ruf mich an unter"],
                 "fr": ["mon numéro :", "rappelez-moi au"], "es": ["mi número:", "llámame al"], "it": ["il mio numero:", "richiamatemi al"],
                 "nl": ["mijn nummer:", "bel me op"]}) + " ", b8_PH(r, loc), r.choice(["", " pls", " after 5pm"]), "\n",
            f"{T(4)} {agent} (agent): {b8_pw_talk(r, loc)}\n",
            [f"{T(5)} {fn}: my DOB is ", b8_DOB(r, loc), "\n"] if r.random() < 0.5 else f"{T(5)} {fn}: ok thx\n",
            f"-- chat closed {b8_ts(r, 0)} ({b8_la(f, r, loc, 10)})"]


def B8_mail(f, r, loc):
    a, b = b8_name(f), b8_name(f)
    l = b8_l(loc)
    wrote = {"en": "On {d} {n} <{e}> wrote:", "de": "Am {d} schrieb {n} <{e}>:", "fr": "Le {d}, {n} <{e}> a écrit :",
             "es": "El {d}, {n} <{e}> escribió:", "it": "Il giorno {d} {n} <{e}> ha scritto:", "nl": "Op {d} schreef {n} <{e}>:"}[l]
    ea = b8_email(f, r, loc, *a)
    pre, post = wrote.split("{e}")
    pre = pre.format(d=b8_otherdate(r, loc, 30, 0), n=f"{a[0]} {a[1]}")
    tf = {"en": "please wire it to", "de": "bitte überweise an", "fr": "merci de virer sur", "es": "transfiere a", "it": "bonifico su",
          "nl": "graag overmaken naar"}[l]
    return ["From: ", f"{b[0]} {b[1]} <", b8_EM(f, r, loc, *b), ">\nTo: ", B8L("EMAIL", ea), "\nSubject: Re: ", b8_la(f, r, loc, 0), "\n\n",
            b8_pick(r, loc, B8_HI).format(n=a[0]), "\n", tf, " ", b8_IBAN(r, loc), " (", b8_la(f, r, loc, 11), ").\n",
            b8_pick(r, loc, B8_BYE), b8_sig(f, r, loc, *b), "\n", pre, B8L("EMAIL", ea), post, "\n",
            "> ", b8_pick(r, loc, B8_HI).format(n=b[0]), "\n> ", b8_la(f, r, loc, 17), " ?\n> ", b8_la(f, r, loc, 0), "\n> ",
            b8_pick(r, loc, B8_BYE), "\n> ", f"{a[0]} {a[1]}\n> ", b8_pick(r, loc, B8_TELW), " ", b8_PH(r, loc), "\n"]


def B8_crm(f, r, loc):
    fn, ln = b8_name(f)
    return [f"CRM note · account {f.company()} · owner {f.first_name()}\n",
            f"{b8_otherdate(r, loc, 60, 0)}: spoke with {fn} {ln} (", b8_pick(r, loc, B8_DOB_LEAD), " ", b8_DOB(r, loc), ").\n",
            "Prefers contact via ", b8_EM(f, r, loc, fn, ln), " or ", b8_PH(r, loc), ". Renewal due ", b8_otherdate(r, loc, 0, 300), ".\n",
            "Ref: ", b8_la(f, r, loc, 0), "; ", b8_la(f, r, loc, 11), "\n"]


def B8_hr(f, r, loc):
    fn, ln = b8_name(f)
    l = b8_l(loc)
    start = {"en": "Start date", "de": "Eintrittsdatum", "fr": "Date d'entrée", "es": "Fecha de alta", "it": "Data di assunzione",
             "nl": "Startdatum"}[l]
    out = [f"HR onboarding – {fn} {ln}\n{start}: {b8_otherdate(r, loc, 30, 60)}\n", b8_pick(r, loc, B8_DOB_LEAD), " ", b8_DOB(r, loc), "\n",
           "IBAN: ", b8_IBAN(r, loc), "\n", "Private e-mail: ", b8_EM(f, r, loc, fn, ln), "\n"]
    if loc == "en_US" or r.random() < 0.15:
        out += ["SSN: ", b8_SSN(r), "\n"]
    out += ["Laptop: ", b8_la(f, r, loc, 5), ", badge ", rnd(r, string.digits, 6), "\n", "Initial SSO ", b8_pw_say(r, loc), "\n"]
    return out


def B8_incident(f, r, loc):
    c = b8_clock(r, step=(60, 900))
    what = r.choice(["elevated 5xx on checkout", "payment webhooks delayed", "login latency p99 > 4s", "leaked credential in public gist"])
    return [f"# Incident INC-{r.randint(1000, 9999)}: {what}\n\nSeverity: SEV{r.randint(1, 3)}\nCommander: {f.name()}\n\n## Timeline (UTC)\n",
            f"- {c('%H:%M')} alert fired on {b8_la(f, r, loc, 6)}\n",
            [f"- {c('%H:%M')} traffic from ", b8_IP4(f, r), " and ", b8_IP4(f, r) if r.random() < 0.7 else b8_IP6(f, r), " hammered /api/cart\n"],
            [f"- {c('%H:%M')} on-call (", b8_PH(r, loc, True), ") paged\n"],
            [f"- {c('%H:%M')} found a leaked key in the request logs: ", b8_vendor(f, r), " — revoked\n"],
            [f"- {c('%H:%M')} customer ", b8_EM(f, r, loc), " reported double charge, ", b8_la(f, r, loc, 0), "\n"] if r.random() < 0.5 else "",
            f"- {c('%H:%M')} rollback to {b8_la(f, r, loc, 13)}\n",
            f"- {c('%H:%M')} resolved; impact {b8_la(f, r, loc, 10)}\n\n## Follow-ups\n- rotate the {r.choice(B8_SEC_KEY)} in vault\n- {b8_pw_talk(r, 'en_US')}\n"]


def b8_shell_lines(f, r, loc):
    user = b8_ascii(f.first_name())
    pool = [
        lambda: "cd ~/src/billing && git pull --rebase",
        lambda: ["export GITHUB_TOKEN=", b8_vendor(f, r, "GITHUB_TOKEN")],
        lambda: ["mysql -h ", b8_IP4(f, r), f" -u {user} -p'", b8_PW(r), "' billing"],
        lambda: ["PGPASSWORD=", b8_PW(r, True), f" psql -h db.internal -U {user} orders -c 'select count(*) from refunds'"],
        lambda: ["sshpass -p '", b8_PW(r), "' ssh -o StrictHostKeyChecking=no root@", b8_IP4(f, r)],
        lambda: ["ssh deploy@", b8_IP6(f, r) if r.random() < 0.4 else b8_IP4(f, r), " 'sudo systemctl restart api'"],
        lambda: ["aws configure set aws_access_key_id ", b8_vendor(f, r, "AWS_ACCESS_KEY")],
        lambda: ["aws configure set aws_secret_access_key ", B8L("GENERIC_SECRET", b8_aws_secret(r))],
        lambda: [f"docker login registry.gitlab.com -u {user} --password ", b8_PW(r, True)],
        lambda: [f"echo {b8_standin(r)} > .token   # {b8_la(f, r, loc, 6)}"],
        lambda: [f"sha256sum dist/app.tar.gz  # {rnd(r, HEX, 64)}"],
        lambda: ["git push https://", user, ":", b8_vendor(f, r, "GITHUB_TOKEN"), "@github.com/acme/infra.git main"],
        lambda: ["vault kv put secret/ci/slack token=", b8_vendor(f, r, "SLACK_TOKEN")],
        lambda: ["kubectl create secret generic api --from-literal=", r.choice(["API_KEY", "HMAC_SECRET", "SIGNING_KEY"]), "=", b8_GEN(r)],
        lambda: [f"htpasswd -b /etc/nginx/.htpasswd {user} ", b8_PW(r, True)],
        lambda: ["redis-cli -h ", b8_IP4(f, r), " -a ", b8_PW(r, True), " INFO keyspace"],
        lambda: [f"git log --oneline -3   # {rnd(r, HEX, 7)} {rnd(r, HEX, 7)}"],
        lambda: [f"curl -s localhost:8080/healthz  # took {r.randint(2, 900)}ms"],
        lambda: [f"date -d @{b8_epoch(r)}"],
        lambda: ["export OPENAI_API_KEY=", b8_vendor(f, r, "OPENAI_KEY")],
        lambda: ["export EXAMPLE_KEY=", b8_PLH(r)],
        lambda: [f"mysqldump -u {user} -p", b8_PW(r, True), " shop > /tmp/shop.sql"],
        lambda: ["history | tail -20"],
    ]
    idx = r.sample(range(len(pool)), r.randint(5, 9))
    return [pool[i]() for i in idx]


def B8_shell(f, r, loc):
    n = r.randint(100, 1900)
    prompt = r.choice(["num", "num", "ps1", "zsh"])
    host = r.choice(["bastion-1", "build02", "ip-10-0-3-17", "laptop"])
    user = b8_ascii(f.first_name())
    t0 = int(b8_epoch(r))
    out = []
    for k, line in enumerate(b8_shell_lines(f, r, loc)):
        t0 += r.randint(3, 600)
        lead = {"num": f"{n + k:>5}  ", "ps1": f"{user}@{host}:~$ ", "zsh": f": {t0}:0;"}[prompt]
        out += [lead, line, "\n"]
    return out


def B8_ci(f, r, loc):
    run = r.randint(1000000000, 9999999999)
    c = b8_clock(r, step=(1, 40))
    steps = [
        lambda: f"##[group]Run actions/checkout@{rnd(r, HEX, 40)}",
        lambda: f"Downloading artifact {b8_uuid(r)} ({r.randint(1, 900)} MB)",
        lambda: ["+ curl -sf -H 'Authorization: Bearer ", b8_vendor(f, r, r.choice(["GITHUB_TOKEN", "JWT", "OPENAI_KEY"])), "' https://api.internal/deploy"],
        lambda: ["+ npm config set //registry.npmjs.org/:_authToken ", b8_standin(r)],
        lambda: ["warn: env DEPLOY_SLACK_TOKEN=", b8_vendor(f, r, "SLACK_TOKEN"), " printed by debug step"],
        lambda: f"Step finished, {b8_la(f, r, loc, 10)}; pushed {b8_la(f, r, loc, 14)}",
        lambda: ["Notify ", b8_EM(f, r, loc), " on failure"],
        lambda: ["+ docker login -u ci -p ", b8_PW(r, True), " registry.internal:5000"],
        lambda: "WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
        lambda: ["ANTHROPIC_API_KEY: ", b8_vendor(f, r, "ANTHROPIC_KEY")],
        lambda: "ANTHROPIC_API_KEY: ***",
        lambda: f"Tests: {r.randint(100, 4000)} passed, {r.randint(0, 9)} skipped ({r.randint(10, 900)}.{r.randint(0, 9)}s)",
        lambda: f"Uploading coverage for commit {rnd(r, HEX, 40)} build {r.randint(1000, 99999)}",
        lambda: ["fixture card ", b8_bad_card(r), " rejected as expected (luhn)"],
        lambda: ["deploy target ", b8_IP4(f, r), ":22 ok"],
    ]
    idx = r.sample(range(len(steps)), r.randint(5, 9))
    out = [f"Run #{run} · workflow {r.choice(['deploy.yml', 'ci.yml', 'release.yaml'])} · triggered by {b8_ascii(f.first_name())}\n"]
    for i in idx:
        out += [c() + " ", steps[i](), "\n"]
    return out


def B8_trace(f, r, loc):
    return [f"Traceback (most recent call last):\n  File \"/srv/app/payments/charge.py\", line {r.randint(20, 400)}, in capture\n",
            "    resp = client.charge(card_number=\"", b8_CC(f, r), "\", cvv=\"", b8_cvc(r), f"\", amount={r.randint(100, 99999)})\n",
            f"  File \"/srv/app/payments/client.py\", line {r.randint(20, 400)}, in charge\n",
            "    raise GatewayError(f\"declined for {email}\")\n", "payments.errors.GatewayError: declined for ", b8_EM(f, r, loc),
            f" (request_id={b8_uuid(r)}, api_key=", b8_vendor(f, r, "STRIPE_KEY"), ")\n",
            f"Locals: order_id={b8_refnum(r)!r} ts={b8_epoch(r)} attempt={r.randint(1, 5)}\n"]


def B8_sql(f, r, loc):
    fn, ln = b8_name(f)
    fn_, ln_ = fn.replace("'", "''"), ln.replace("'", "''")
    return [f"-- migration {b8_ts(r, 4)} backfill customers\nINSERT INTO customers (id, first_name, last_name, email, phone, birth_date, iban)\nVALUES ({r.randint(1, 999999)}, '{fn_}', '{ln_}', '",
            b8_EM(f, r, loc, fn, ln), "', '", b8_PH(r, loc), "', '", B8L("DATE_OF_BIRTH", b8_birthday(r).isoformat()), "', '", B8L("IBAN", b8_iban(r, loc, False)), "');\n",
            f"UPDATE users SET password_hash = '$2b$12${rnd(r, B8_B64.replace('+', '.'), 53)}', updated_at = '{b8_ts(r, 3)[:19]}' WHERE id = {r.randint(1, 99999)};\n",
            "UPDATE api_clients SET secret = '", b8_GEN(r), f"' WHERE client_id = '{b8_uuid(r)}';\n",
            f"SELECT * FROM orders WHERE order_no = '{b8_refnum(r)}' AND total > {r.randint(10, 999)};\n"]


B8_PWKEY_ENV = {"en": ["DB_PASSWORD", "POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD", "SMTP_PASS", "MAIL_PASSWORD", "ADMIN_PASSWORD"],
                "de": ["DB_PASSWORT", "PASSWORT_DATENBANK", "KENNWORT_SMTP"], "fr": ["MOT_DE_PASSE_BDD", "MDP_SMTP"],
                "es": ["CONTRASENA_BD", "CLAVE_SMTP"], "it": ["PASSWORD_DATABASE", "PASSWORD_POSTA"], "nl": ["WACHTWOORD_DB", "SMTP_WACHTWOORD"]}


def b8_cfg_items(f, r, loc, n):
    """(KEY, value parts) pairs for .env / YAML / compose style config; key names vary, values of every kind."""
    pool = [
        (lambda: r.choice(B8_PWKEY_ENV["en"] + B8_PWKEY_ENV[b8_l(loc)]), lambda: b8_PW(r, True)),
        (lambda: r.choice(["STRIPE_SECRET_KEY", "STRIPE_API_KEY", "PAYMENTS_STRIPE_KEY"]), lambda: b8_vendor(f, r, "STRIPE_KEY")),
        (lambda: r.choice(["GITHUB_TOKEN", "GH_PAT", "RENOVATE_TOKEN", "GITHUB_APP_TOKEN"]), lambda: b8_vendor(f, r, "GITHUB_TOKEN")),
        (lambda: r.choice(["SLACK_BOT_TOKEN", "SLACK_TOKEN", "ALERTS_SLACK_TOKEN"]), lambda: b8_vendor(f, r, "SLACK_TOKEN")),
        (lambda: r.choice(["OPENAI_API_KEY", "LLM_API_KEY", "OPENAI_KEY"]), lambda: b8_vendor(f, r, "OPENAI_KEY")),
        (lambda: r.choice(["ANTHROPIC_API_KEY", "CLAUDE_API_KEY"]), lambda: b8_vendor(f, r, "ANTHROPIC_KEY")),
        (lambda: r.choice(["GOOGLE_MAPS_API_KEY", "FIREBASE_API_KEY", "GCP_API_KEY"]), lambda: b8_vendor(f, r, "GOOGLE_API_KEY")),
        (lambda: r.choice(["AWS_ACCESS_KEY_ID", "S3_ACCESS_KEY"]), lambda: b8_vendor(f, r, "AWS_ACCESS_KEY")),
        (lambda: r.choice(["AWS_SECRET_ACCESS_KEY", "S3_SECRET_KEY"]), lambda: B8L("GENERIC_SECRET", b8_aws_secret(r))),
        (lambda: r.choice(["JWT_SECRET", "SESSION_SECRET", "SECRET_KEY_BASE", "DJANGO_SECRET_KEY", "HMAC_SIGNING_KEY", "WEBHOOK_SECRET",
                           "ENCRYPTION_KEY", "API_TOKEN", "INTERNAL_API_KEY", "OAUTH_CLIENT_SECRET"]), lambda: b8_GEN(r)),
        (lambda: r.choice(["SERVICE_TOKEN", "BEARER_TOKEN", "ID_TOKEN"]), lambda: b8_vendor(f, r, "JWT")),
        (lambda: r.choice(["EXAMPLE_KEY", "SAMPLE_API_KEY", "DOCS_TOKEN"]), lambda: b8_PLH(r)),
        (lambda: r.choice(["SENTRY_AUTH_TOKEN", "MAILER_TOKEN", "NPM_TOKEN", "TWILIO_AUTH_TOKEN", "REDIS_PASSWORD"]), lambda: b8_standin(r)),
        (lambda: r.choice(["DB_HOST", "REDIS_HOST", "UPSTREAM_IP", "BIND_ADDR"]), lambda: b8_IP4(f, r) if r.random() < 0.7 else b8_IP6(f, r)),
        (lambda: r.choice(["ADMIN_EMAIL", "SUPPORT_EMAIL", "ALERT_EMAIL", "MAIL_FROM"]), lambda: b8_EM(f, r, loc)),
        (lambda: r.choice(["SUPPORT_PHONE", "SMS_FROM", "ONCALL_PHONE"]), lambda: b8_PH(r, loc, True)),
        (lambda: "APP_VERSION", lambda: f"{r.randint(1, 9)}.{r.randint(0, 40)}.{r.randint(0, 99)}"),
        (lambda: "BUILD_NUMBER", lambda: str(r.randint(1000, 999999))),
        (lambda: r.choice(["GIT_SHA", "SOURCE_VERSION", "COMMIT_REF"]), lambda: rnd(r, HEX, 40)),
        (lambda: r.choice(["TENANT_ID", "INSTANCE_ID", "CORRELATION_SEED"]), lambda: b8_uuid(r)),
        (lambda: r.choice(["CACHE_BUST", "DEPLOYED_AT"]), lambda: b8_epoch(r)),
        (lambda: r.choice(["ASSET_DIGEST", "LOCKFILE_SHA256"]), lambda: rnd(r, HEX, 64)),
        (lambda: "PASSWORD_MIN_LENGTH", lambda: str(r.choice([10, 12, 14, 16]))),
        (lambda: "PASSWORD_RESET_URL", lambda: f"https://account.{r.choice(B8_ORGDOM)}/reset"),
        (lambda: r.choice(["TOKEN_TTL", "SESSION_TIMEOUT"]), lambda: str(r.choice([900, 3600, 86400]))),
        (lambda: r.choice(["API_KEY_HEADER", "AUTH_HEADER_NAME"]), lambda: r.choice(["X-Api-Key", "Authorization"])),
        (lambda: r.choice(["SECRET_NAME", "VAULT_PATH"]), lambda: r.choice(["prod/db", "kv/data/payments", "arn:aws:secretsmanager:eu-west-1:" + rnd(r, string.digits, 12) + ":secret:app"])),
        (lambda: r.choice(["TZ", "LOCALE"]), lambda: r.choice(["Europe/Berlin", "Europe/Paris", "America/New_York", "nl_NL.UTF-8"])),
    ]
    idx = r.sample(range(len(pool)), n)
    return [(pool[i][0](), pool[i][1]()) for i in idx]


def B8_env(f, r, loc):
    style = r.choice(["plain", "quoted", "export"])
    out = [r.choice(["# .env.production\n", f"# generated {b8_ts(r, 0)} by deploy bot\n", "", "# DO NOT COMMIT\n"])]
    for k, v in b8_cfg_items(f, r, loc, r.randint(6, 11)):
        q = '"' if style == "quoted" else ""
        out += ["export " if style == "export" else "", k, "=", q, v, q, "\n"]
    if r.random() < 0.4:
        out += ["DATABASE_URL=postgres://app:", b8_PW(r, True), "@", b8_IP4(f, r), ":5432/shop\n"]
    return out


def B8_yaml(f, r, loc):
    return ["# app.yaml\nserver:\n  port: 8443\n  bind: ", b8_IP4(f, r), "\ndatabase:\n  host: db-", str(r.randint(1, 9)), ".internal\n",
            "  user: svc_orders\n  ", b8_pwkey(r, loc), ": \"", b8_PW(r, True), "\"\n",
            "oauth:\n  client_id: ", b8_uuid(r), "\n  client_secret: ", b8_GEN(r), "\n",
            "maps:\n  api_key: ", b8_vendor(f, r, "GOOGLE_API_KEY"), "\n",
            "example:\n  # copy from the docs\n  aws_access_key_id: ", b8_PLH(r, "AWS_ACCESS_KEY"), "\n",
            f"build:\n  version: {r.randint(1, 9)}.{r.randint(0, 40)}.{r.randint(0, 99)}\n  sha: {rnd(r, HEX, 40)}\n",
            "alerts:\n  oncall: \"", b8_PH(r, loc, True), "\"\n"]


def B8_toml(f, r, loc):
    return ["[service]\nname = \"ledger\"\nlisten = \"[", b8_IP6(f, r), "]:9000\"\n\n[db]\nuser = \"ledger\"\n",
            f"{b8_pwkey(r, loc)} = '", b8_PW(r), "'\n\n[github]\napp_id = ", str(r.randint(100000, 999999)), "\ntoken = \"", b8_vendor(f, r, "GITHUB_TOKEN"), "\"\n\n",
            "[signing]\nkey = \"", b8_GEN(r), "\"\nrotated = ", b8_ts(r, 0)[:10], "\n\n[contact]\nowner = \"", b8_EM(f, r, loc), "\"\n"]


def B8_ini(f, r, loc):
    return ["; legacy connector\n[smtp]\nhost=smtp.", r.choice(B8_ORGDOM[:8]), "\nuser=", b8_EM(f, r, loc), "\n",
            f"{b8_pwkey(r, loc)}=", b8_PW(r), "\n\n[ftp]\nhost=", b8_IP4(f, r), "\npassive=true\n", f"{b8_pwkey(r, loc)} = ", b8_PW(r), "\n\n",
            "[license]\nserial=", b8_la(f, r, loc, 5)[4:], "\nexpires=", b8_otherdate(r, loc, 0, 400), "\n"]


def B8_xml(f, r, loc):
    fn, ln = b8_name(f)
    return ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config>\n  <datasource url=\"jdbc:mysql://", b8_IP4(f, r), ":3306/crm\" user=\"crm\" password=\"", b8_PW(r, True), "\"/>\n",
            "  <mail from=\"", b8_EM(f, r, loc, fn, ln), f"\" name=\"{fn} {ln}\"/>\n  <apiKey>", b8_GEN(r), "</apiKey>\n",
            "  <awsKeyId>", b8_vendor(f, r, "AWS_ACCESS_KEY"), "</awsKeyId>\n", f"  <buildNumber>{r.randint(1000, 99999)}</buildNumber>\n",
            f"  <checksum algo=\"md5\">{rnd(r, HEX, 32)}</checksum>\n</config>\n"]


def B8_jsonconf(f, r, loc):
    return ["{\n  \"name\": \"notifier\",\n  \"version\": \"", b8_la(f, r, loc, 6).split()[-1].lstrip("v"), "\",\n  \"slack\": {\n    \"botToken\": \"",
            b8_vendor(f, r, "SLACK_TOKEN"), "\",\n    \"channel\": \"C0", rnd(r, B8_UPD, 9), "\"\n  },\n  \"smtp\": { \"user\": \"", b8_EM(f, r, loc),
            "\", \"pass\": \"", b8_PW(r, True), "\" },\n  \"twilio\": { \"from\": \"", b8_PH(r, loc, True),
            "\", \"authToken\": \"", B8L("GENERIC_SECRET", rnd(r, HEX, 32)), "\" },\n  \"sample\": \"", b8_PLH(r), "\"\n}\n"]


def B8_k8s(f, r, loc):
    e = lambda s: base64.b64encode(s.encode()).decode()
    pw, tok = b8_pw(r), b8_gen(r)
    return ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\n  namespace: prod\n  uid: ", b8_uuid(r), "\ntype: Opaque\ndata:\n",
            "  username: ", e("orders_rw"), "\n  host: ", e(f"pg-{r.randint(1, 9)}.prod.svc"), "\n  password: ", B8L("PASSWORD", e(pw)), "\n",
            "  api-token: ", B8L("GENERIC_SECRET", e(tok)), "\nstringData:\n  DB_PASSWORD: \"", b8_PW(r, True), "\"\n",
            "  ca-fingerprint: ", rnd(r, HEX, 64), "\n"]


def B8_compose(f, r, loc):
    return ["services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_USER: shop\n      POSTGRES_PASSWORD: ", b8_PW(r, True), "\n",
            "  worker:\n    image: ghcr.io/acme/worker@sha256:", rnd(r, HEX, 64), "\n    environment:\n",
            [["      - ", k, "=", v, "\n"] for k, v in b8_cfg_items(f, r, loc, r.randint(3, 7))],
            "    extra_hosts:\n      - \"ledger:", b8_IP4(f, r), "\"\n"]


def B8_curl(f, r, loc):
    fn, ln = b8_name(f)
    return ["curl -X POST https://api.", r.choice(B8_ORGDOM), "/v2/customers \\\n  -H 'Authorization: Bearer ", b8_vendor(f, r, r.choice(["JWT", "OPENAI_KEY", "STRIPE_KEY"])), "' \\\n",
            "  -H 'Content-Type: application/json' \\\n  -d '{\"name\":\"", f"{fn} {ln}".replace("'", ""), "\",\"email\":\"", b8_EM(f, r, loc, fn, ln), "\",\"phone\":\"", b8_PH(r, loc), "\"}'\n\n",
            "curl -u admin:", b8_PW(r, True), " https://", b8_IP4(f, r), ":9200/_cat/indices\n",
            "curl https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=", b8_vendor(f, r, "GOOGLE_API_KEY"), "\n",
            "# docs example: curl -H 'x-api-key: ", b8_PLH(r, "ANTHROPIC_KEY"), "' https://api.anthropic.com/v1/messages\n"]


def B8_http(f, r, loc):
    return [f"POST /v1/sessions HTTP/1.1\nHost: auth.{r.choice(B8_ORGDOM)}\nUser-Agent: okhttp/4.{r.randint(1, 12)}.{r.randint(0, 9)}\n",
            "X-Forwarded-For: ", b8_IP4(f, r), ", ", b8_IP4(f, r), "\nAuthorization: Bearer ", b8_vendor(f, r, "JWT"), "\n",
            "Cookie: _ga=GA1.2.", str(r.randint(1e8, 9e8)), ".", b8_epoch(r), "; session=", b8_GEN(r), "\n",
            f"X-Request-Id: {b8_uuid(r)}\nIf-None-Match: \"{rnd(r, HEX, 32)}\"\nContent-Type: application/x-www-form-urlencoded\n\n",
            "login=", b8_EM(f, r, loc), "&password=", b8_PW(r, True), "&remember=1\n"]


def B8_csv(f, r, loc):
    rows = ["customer_id;name;email;phone;dob;iban;order_no;amount\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b8_name(f)
        rows += [f"{r.randint(10000, 99999)};{fn} {ln};", b8_EM(f, r, loc, fn, ln), ";", b8_PH(r, loc), ";", b8_DOB(r, loc), ";",
                 b8_IBAN(r, loc, False), ";", b8_refnum(r), ";", b8_money(r, loc), "\n"]
    return rows


B8_INV = {"en": ("INVOICE", "Bill to", "Due date", "Bank details", "Total", "VAT no."), "de": ("RECHNUNG", "Rechnung an", "Fällig am", "Bankverbindung", "Summe", "USt-IdNr."),
          "fr": ("FACTURE", "Facturé à", "Échéance", "Coordonnées bancaires", "Total TTC", "N° TVA"), "es": ("FACTURA", "Cliente", "Vencimiento", "Datos bancarios", "Total", "NIF"),
          "it": ("FATTURA", "Intestata a", "Scadenza", "Coordinate bancarie", "Totale", "P. IVA"), "nl": ("FACTUUR", "Factuur aan", "Vervaldatum", "Bankgegevens", "Totaal", "btw-nr.")}


def B8_invoice(f, r, loc):
    h = B8_INV[b8_l(loc)]
    return [f"{h[0]} {b8_refnum(r)}\n{f.company()}\n{h[5]} {rnd(r, B8_UP, 2)}{rnd(r, string.digits, 9)}\n\n{h[1]}: {f.name()}\n",
            f.address().replace("\n", ", "), "\n", f"{h[2]}: {b8_otherdate(r, loc, 0, 45)}\n\n",
            f"1 x {f.word()} ({b8_la(f, r, loc, 1)})   {b8_money(r, loc)}\n{h[4]}: {b8_money(r, loc)}\n\n{h[3]}: ", b8_IBAN(r, loc),
            f"  BIC {rnd(r, B8_UP, 6)}{rnd(r, B8_UPD, 2)}\n", b8_pick(r, loc, B8_TELW), " ", b8_PH(r, loc), " · ", b8_EM(f, r, loc), "\n"]


def B8_shipping(f, r, loc):
    fn, ln = b8_name(f)
    return [f"Delivery note / Lieferschein {b8_refnum(r)}\nShip to: {fn} {ln}, {f.address().replace(chr(10), ', ')}\n",
            "Contact: ", b8_PH(r, loc), "\n", f"{b8_la(f, r, loc, 19)}\nParcels: {r.randint(1, 4)} · weight {r.randint(1, 30)}.{r.randint(0, 9)} kg\n",
            f"{b8_la(f, r, loc, 1)}\n{b8_la(f, r, loc, 2)}\nGPS drop point: {b8_la(f, r, loc, 12)}\nShipped: {b8_otherdate(r, loc, 10, 0)}\n"]


def B8_transfer(f, r, loc):
    l = b8_l(loc)
    w = {"en": ("Please transfer", "to", "reference"), "de": ("Bitte überweisen Sie", "auf", "Verwendungszweck"),
         "fr": ("Merci de virer", "sur le compte", "référence"), "es": ("Por favor transfiera", "a la cuenta", "concepto"),
         "it": ("Si prega di bonificare", "sul conto", "causale"), "nl": ("Graag overmaken:", "naar", "omschrijving")}[l]
    return [f"{w[0]} {b8_money(r, loc)} {w[1]} ", b8_IBAN(r, loc), f" ({f.company()}), {w[2]} {b8_la(f, r, loc, 0)}.\n",
            "Not to the old account ", b8_bad_iban(r, loc), " which is closed.\n", f"{b8_la(f, r, loc, 18)}\nQuestions: ", b8_PH(r, loc), "\n"]


def B8_medical(f, r, loc):
    fn, ln = b8_name(f)
    return [f"HEALTH INSURANCE CLAIM FORM\n1. Patient name: {ln.upper()}, {fn.upper()}\n2. Patient DOB: ", B8L("DATE_OF_BIRTH", b8_birthday(r).strftime("%m/%d/%Y")),
            "   Sex: ", r.choice(["M", "F"]), "\n3. Insured's SSN: ", b8_SSN(r), "\n4. Insured ID: ", rnd(r, B8_UP, 3), rnd(r, string.digits, 9), "\n",
            "5. Patient phone: ", b8_PH(r, "en_US"), "\n", f"6. Date of service: {b8_otherdate(r, 'en_US', 200, 0)}   CPT 99{r.randint(201, 215)}   ICD-10 {rnd(r, B8_UP, 1)}{r.randint(10, 99)}.{r.randint(0, 9)}\n",
            f"7. NPI: {r.randint(1000000000, 1999999999)}   Group no. {rnd(r, string.digits, 9)}\n",
            "8. Payer ", r.choice(["claim no. ", "routing no. ", "member no. "]), b8_aba(r) if r.random() < 0.5 else rnd(r, "123456789", 1) + rnd(r, string.digits, 8), "\n"]


def B8_payroll(f, r, loc):
    fn, ln = b8_name(f)
    return [f"Payroll change {b8_otherdate(r, loc, 20, 0)} – {fn} {ln} (employee #{r.randint(1000, 99999)})\n",
            "New salary account: ", b8_IBAN(r, loc), "\n", "Gross: ", b8_money(r, loc), " / month, effective ", b8_otherdate(r, loc, 0, 60), "\n",
            ["SSN ", b8_SSN(r), " verified against W-4\n"] if loc == "en_US" else ["Tax ID on file, ", b8_la(f, r, loc, 0), "\n"],
            b8_pick(r, loc, B8_DOB_LEAD), " ", b8_DOB(r, loc), "\n"]


def B8_terraform(f, r, loc):
    return ["provider \"aws\" {\n  region     = \"eu-central-1\"\n  access_key = \"", b8_vendor(f, r, "AWS_ACCESS_KEY"), "\"\n  secret_key = \"", B8L("GENERIC_SECRET", b8_aws_secret(r)), "\"\n}\n\n",
            "resource \"aws_db_instance\" \"main\" {\n  engine   = \"mysql\"\n  username = \"admin\"\n  password = \"", b8_PW(r, True), "\"\n}\n\n",
            "resource \"aws_security_group_rule\" \"office\" {\n  cidr_blocks = [\"", b8_IP4(f, r), "/32\"]\n}\n\n",
            "variable \"docs_example_key\" {\n  default = \"", b8_PLH(r, "AWS_ACCESS_KEY"), "\"\n}\n",
            f"# state serial {r.randint(1, 900)}, lineage {b8_uuid(r)}\n"]


def B8_ansible(f, r, loc):
    out = ["---\n# group_vars/", r.choice(["db", "web", "all", "payments"]), ".yml\n"]
    for k, v in b8_cfg_items(f, r, loc, r.randint(5, 9)):
        q = '"' if isinstance(v, str) and v[:1] in "{[*%$<•&!@`" else r.choice(['"', "", "'"])
        out += [k.lower(), ": ", q, v, q, "\n"]
    out += ["ntp_servers:\n  - ", b8_IP4(f, r), "\n  - ", b8_IP6(f, r), "\n"] if r.random() < 0.5 else ""
    return out


def B8_weblog(f, r, loc):
    out = []
    for _ in range(r.randint(3, 5)):
        ip = b8_IP4(f, r) if r.random() < 0.75 else b8_IP6(f, r)
        path = r.choice([f"/api/orders/{b8_refnum(r).replace(' ', '').replace('/', '-').replace('#', '')}", "/login", f"/static/app.{rnd(r, HEX, 8)}.js",
                         f"/track?id={rnd(r, string.digits, 18)}"])
        out += [ip, f" - - [{b8_ts(r, 1)}] \"GET {path} HTTP/1.1\" {r.choice([200, 200, 301, 404, 502])} {r.randint(200, 90000)} \"-\" \"Mozilla/5.0\" rt={r.random():.3f}\n"]
    if r.random() < 0.5:
        out += [f"{b8_ts(r, 3)} [error] upstream timed out, client: ", b8_IP4(f, r), ", request: \"POST /login?user=", b8_EM(f, r, loc), "\"\n"]
    return out


def B8_ics(f, r, loc):
    fn, ln = b8_name(f)
    d = (B8_TODAY + datetime.timedelta(days=r.randint(1, 60))).strftime("%Y%m%d")
    return ["BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:", b8_uuid(r), "@calendar\nDTSTART:", d, "T093000Z\nDTEND:", d, "T100000Z\n",
            f"SUMMARY:Call with {fn} {ln}\nORGANIZER;CN={f.name()}:mailto:", b8_EM(f, r, loc), "\nATTENDEE;CN=", f"{fn} {ln}", ":mailto:", b8_EM(f, r, loc, fn, ln), "\n",
            "DESCRIPTION:Dial-in ", b8_PH(r, loc, True), " PIN ", rnd(r, string.digits, 6), "#\nEND:VEVENT\nEND:VCALENDAR\n"]


def B8_commit(f, r, loc):
    fn, ln = b8_name(f)
    return [f"commit {rnd(r, HEX, 40)}\nAuthor: {fn} {ln} <", b8_EM(f, r, loc, fn, ln), f">\nDate:   {b8_ts(r, 2)}\n\n",
            "    Remove hard-coded key from settings.py\n\n    The old value ", b8_vendor(f, r), " was rotated on ",
            f"{b8_otherdate(r, loc, 10, 0)}.\n    Use ", b8_standin(r), f" in local .env instead. Refs {b8_la(f, r, loc, 0)}.\n"]


def B8_jira(f, r, loc):
    fn, ln = b8_name(f)
    return [f"{f.first_name()} commented on {rnd(r, B8_UP, 3)}-{r.randint(10, 9999)} ({b8_ts(r, 0)}):\n",
            f"Repro with test customer {fn} {ln}, ", b8_pick(r, loc, B8_DOB_LEAD), " ", b8_DOB(r, loc), ", card ", b8_CC(f, r), ".\n",
            "Note: the card ", b8_bad_card(r), " in the fixture fails Luhn, expected.\n",
            "Staging creds {code}", b8_pwkey(r, loc), "=", b8_PW(r), "{code} — ", b8_pw_talk(r, loc), "\n"]


def B8_slack(f, r, loc):
    a, b = f.first_name(), f.first_name()
    d = B8_TODAY - datetime.timedelta(days=r.randint(0, 200))
    c = b8_clock(r, datetime.datetime(d.year, d.month, d.day, 8, 0), (20, 900))
    T = lambda: c("%H:%M")
    return [f"#ops-{r.choice(['eu', 'payments', 'infra'])} export {d.isoformat()}\n",
            f"[{T()}] {a}: anyone has the grafana login?\n",
            f"[{T()}] {b}: user admin ", "pw ", b8_PW(r), " (don't paste it here lol)\n",
            f"[{T()}] {a}: also the ", r.choice(["openai", "llm", "prod"]), " key in the runbook is ", b8_vendor(f, r, r.choice(["OPENAI_KEY", "ANTHROPIC_KEY", "STRIPE_KEY"])), "\n",
            f"[{T()}] {b}: :face_palm: rotating. ticket {b8_la(f, r, loc, 0)}\n",
            [f"[{T()}] {a}: fyi {f.first_name()}'s birthday drinks are on {b8_otherdate(r, loc, 0, 20)}, same bar as last time\n"] if r.random() < 0.3 else "",
            f"[{T()}] {a}: {b8_pw_talk(r, loc)}\n"]


def B8_readme(f, r, loc):
    return ["## Configuration\n\nSet your keys in `.env` (see example):\n\n```\nAWS_ACCESS_KEY_ID=", b8_PLH(r, "AWS_ACCESS_KEY"), "\nAWS_SECRET_ACCESS_KEY=", b8_PLH(r, "GENERIC_SECRET"),
            "\nGITHUB_TOKEN=", b8_PLH(r, "GITHUB_TOKEN"), "\nSLACK_BOT_TOKEN=", b8_standin(r), "\nGOOGLE_MAPS_KEY=", b8_PLH(r, "GOOGLE_API_KEY"), "\n```\n\n",
            "Example JWT for the test server: `", b8_PLH(r, "JWT"), "`\n\n", b8_pw_talk(r, "en_US"), "\n\nPrivate key goes here:\n\n", b8_pem_plh(r), "\n"]


def B8_keyfile(f, r, loc):
    return [f"$ cat ~/.ssh/deploy_{rnd(r, string.ascii_lowercase, 4)}\n", B8L("PRIVATE_KEY", b8_pem(r)), "\n$ ls -la ~/.ssh\n",
            f"-rw------- 1 deploy deploy 2602 {b8_ts(r, 5)} id_rsa\n", "# fingerprint SHA256:", rnd(r, B8_B64, 43), "\n"]


def B8_notes(f, r, loc):
    """Free agent scratch notes mixing everything."""
    fn, ln = b8_name(f)
    l = b8_l(loc)
    return [f"notes {b8_otherdate(r, loc, 5, 0)} – {fn} {ln}\n",
            "- ", b8_pick(r, loc, B8_TELW), " ", b8_PH(r, loc), "\n- mail ", b8_EM(f, r, loc, fn, ln), "\n",
            "- ", b8_pw_say(r, loc), "\n", "- ", b8_las(f, r, loc, 3), "\n",
            [r.choice(["- SSN ", "- soc. sec. ", "- SSN#"]), b8_SSN(r), "\n"] if r.random() < (0.7 if loc == "en_US" else 0.1) else "", ["- ", b8_pick(r, loc, B8_DOB_LEAD), " ", b8_DOB(r, loc), "\n"] if r.random() < 0.5 else "",
            "- VPN from ", b8_IP6(f, r) if r.random() < 0.5 else b8_IP4(f, r), "\n"]


def B8_vcard(f, r, loc):
    fn, ln = b8_name(f)
    bd = b8_birthday(r)
    return ["BEGIN:VCARD\nVERSION:3.0\n", f"N:{ln};{fn};;;\nFN:{fn} {ln}\nORG:{f.company()}\n",
            "TEL;TYPE=CELL:", b8_PH(r, loc, r.random() < 0.5), "\n", "TEL;TYPE=WORK,VOICE:", b8_PH(r, loc), "\n",
            "EMAIL;TYPE=INTERNET:", b8_EM(f, r, loc, fn, ln), "\n", "BDAY:", B8L("DATE_OF_BIRTH", bd.isoformat() if r.random() < 0.6 else bd.strftime("%Y%m%d")), "\n",
            f"REV:{b8_ts(r, 4)}\nUID:urn:uuid:{b8_uuid(r)}\nEND:VCARD\n"]


B8_FORM = {"en": ("Name", "E-mail", "Phone", "Date of birth", "Password", "Preferred appointment", "Message"),
           "de": ("Name", "E-Mail", "Telefon", "Geburtsdatum", "Passwort", "Wunschtermin", "Nachricht"),
           "fr": ("Nom", "Courriel", "Téléphone", "Date de naissance", "Mot de passe", "Rendez-vous souhaité", "Message"),
           "es": ("Nombre", "Correo electrónico", "Teléfono", "Fecha de nacimiento", "Contraseña", "Cita preferida", "Mensaje"),
           "it": ("Nome", "E-mail", "Telefono", "Data di nascita", "Password", "Appuntamento preferito", "Messaggio"),
           "nl": ("Naam", "E-mailadres", "Telefoonnummer", "Geboortedatum", "Wachtwoord", "Gewenste afspraak", "Bericht")}


def B8_form(f, r, loc):
    h = B8_FORM[b8_l(loc)]
    fn, ln = b8_name(f)
    sep = r.choice([": ", " = ", "\t"])
    return [f"New form submission #{r.randint(10000, 999999)} ({b8_ts(r, 2)})\n\n", h[0], sep, f"{fn} {ln}\n", h[1], sep, b8_EM(f, r, loc, fn, ln), "\n",
            h[2], sep, b8_PH(r, loc), "\n", h[3], sep, b8_DOB(r, loc), "\n", h[4], sep, b8_PW(r), "\n", h[5], sep, b8_otherdate(r, loc, 0, 40), "\n",
            (["SSN", sep, b8_SSN(r), "\n"] if r.random() < 0.5 else ["SSN (last 4)", sep, rnd(r, string.digits, 4), "\n"]) if loc == "en_US" else "",
            h[6], sep, b8_pw_talk(r, loc) if r.random() < 0.5 else b8_la(f, r, loc, 0), "\n", "IP", sep, b8_IP4(f, r) if r.random() < 0.7 else b8_IP6(f, r), "\n"]


def B8_netrc(f, r, loc):
    user = b8_ascii(f.first_name())
    k = r.randrange(3)
    if k == 0:
        return ["# ~/.netrc\nmachine api.github.com\n  login ", user, "\n  password ", b8_vendor(f, r, "GITHUB_TOKEN"), "\n",
                "machine ftp.", r.choice(B8_ORGDOM[:8]), " login ", user, " password ", b8_PW(r), "\n"]
    if k == 1:
        return ["# ~/.git-credentials\nhttps://", user, ":", b8_vendor(f, r, "GITHUB_TOKEN"), "@github.com\n",
                "https://oauth2:", b8_GEN(r), "@gitlab.", r.choice(B8_ORGDOM[:8]), "\n"]
    return ["# ~/.pgpass  (hostname:port:database:username:password)\n", "db-1.internal:5432:orders:", user, ":", b8_PW(r), "\n",
            b8_IP4(f, r), ":5432:*:replicator:", b8_PW(r), "\n"]


def B8_dsn(f, r, loc):
    pool = [lambda: ["mongodb+srv://app:", b8_PW(r, True), "@cluster0.", rnd(r, string.ascii_lowercase + string.digits, 5), ".mongodb.net/shop?retryWrites=true"],
            lambda: ["redis://:", b8_PW(r, True), "@", b8_IP4(f, r), ":6379/0"],
            lambda: ["amqp://orders:", b8_PW(r, True), "@rabbit.internal:5672/%2F"],
            lambda: ["Server=tcp:sql-prod.database.windows.net,1433;Database=crm;User ID=crm_app;Password=", b8_PW(r, True), ";Encrypt=True;"],
            lambda: ["jdbc:postgresql://", b8_IP4(f, r), ":5432/ledger?user=ledger&password=", b8_PW(r, True), "&ssl=true"],
            lambda: ["DRIVER={ODBC Driver 18};SERVER=", B8L("IPV4", f"10.{r.randint(0, 255)}.0.5"), ";UID=report;PWD=", b8_PW(r, True), ";"],
            lambda: ["postgres://readonly:", b8_standin(r) if r.random() < 0.5 else "${PGPASS}", "@localhost/analytics"],
            lambda: ["smtp://mailer:", b8_PW(r, True), "@smtp.", r.choice(B8_ORGDOM[:8]), ":587"],
            lambda: ["sentry dsn https://", rnd(r, HEX, 32), "@o", str(r.randint(10000, 999999)), ".ingest.sentry.io/", str(r.randint(100000, 9999999))]]
    idx = r.sample(range(len(pool)), r.randint(3, 5))
    out = [r.choice(["Connection strings found in repo scan:\n", "# datasources\n", "Here are the DSNs from the old wiki page:\n"])]
    for i in idx:
        out += [r.choice(["- ", "  ", "* "]), pool[i](), "\n"]
    return out


def B8_rota(f, r, loc):
    out = [r.choice(["On-call rota", "Bereitschaftsplan", "Planning d'astreinte", "Turnos de guardia", "Turni di reperibilità", "Piketrooster"]), "\n"]
    for _ in range(r.randint(3, 5)):
        fn, ln = b8_name(f)
        out += [f"{b8_otherdate(r, loc, 0, 60)} | {fn} {ln} | ", b8_PH(r, loc), " | ", r.choice(["primary", "secondary", "backup"]),
                f" | pager #{rnd(r, string.digits, 6)}\n"]
    return out


def B8_javatrace(f, r, loc):
    return [f"{b8_ts(r, 3)} ERROR [http-nio-8080-exec-{r.randint(1, 40)}] c.a.b.PaymentController - charge failed\n",
            "com.acme.billing.GatewayException: card ", b8_CC(f, r), " declined for customer ", b8_EM(f, r, loc), "\n",
            f"\tat com.acme.billing.Gateway.charge(Gateway.java:{r.randint(40, 900)})\n\tat com.acme.billing.PaymentController.pay(PaymentController.java:{r.randint(40, 900)})\n",
            "Caused by: java.net.SocketTimeoutException: connect timed out to ", b8_IP4(f, r), ":443 after ", str(r.randint(1000, 30000)), " ms\n",
            f"\t... {r.randint(5, 80)} common frames omitted\n", "MDC: requestId=", b8_uuid(r), " iban=", b8_IBAN(r, loc, False), "\n"]


def B8_short(f, r, loc):
    """One-liners an agent passes as a single argument: the value at the very start or very end, no newline."""
    l = b8_l(loc)
    k = r.randrange(12)
    if k == 0: return [b8_EM(f, r, loc), r.choice([" asked for a refund", " – bounced twice", ""])]
    if k == 1: return [b8_PH(r, loc), " ", {"en": "called, wants a callback", "de": "hat angerufen, bittet um Rückruf", "fr": "a appelé, rappeler svp",
                                            "es": "llamó, devolver llamada", "it": "ha chiamato, richiamare", "nl": "belde, graag terugbellen"}[l]]
    if k == 2: return [r.choice(["lookup ", "whois ", "block "]), b8_IP4(f, r) if r.random() < 0.6 else b8_IP6(f, r)]
    if k == 3: return [b8_vendor(f, r)]
    if k == 4: return [b8_IBAN(r, loc)]
    if k == 5: return [b8_la(f, r, loc)]
    if k == 6: return [b8_la(f, r, loc), " ", b8_la(f, r, loc)]
    if k == 7: return [r.choice(["verify card ", "charge ", "card: "]), b8_CC(f, r)]
    if k == 8: return [b8_pw_talk(r, loc)]
    if k == 9: return [b8_pick(r, loc, B8_DOB_LEAD), " ", b8_DOB(r, loc)]
    if k == 10: return [b8_standin(r)]
    return [b8_PLH(r)]


B8_TEXT_KINDS = [B8_ticket, B8_chat, B8_mail, B8_crm, B8_hr, B8_incident, B8_shell, B8_ci, B8_trace, B8_sql, B8_env, B8_yaml, B8_toml,
                 B8_ini, B8_xml, B8_jsonconf, B8_k8s, B8_compose, B8_curl, B8_http, B8_csv, B8_invoice, B8_shipping, B8_transfer,
                 B8_medical, B8_payroll, B8_terraform, B8_ansible, B8_weblog, B8_ics, B8_commit, B8_jira, B8_slack, B8_readme,
                 B8_keyfile, B8_notes, B8_short, B8_short, B8_vcard, B8_form, B8_netrc, B8_dsn, B8_rota, B8_javatrace]


def b8_text(f, r, loc):
    return b8_flat(r.choice(B8_TEXT_KINDS)(f, r, loc))


# ----- JSON documents (tool calls and tool results) -----

B8_EMBED = [k for k in B8_TEXT_KINDS if k not in (B8_readme, B8_keyfile)]


def b8_jt(f, r, loc):
    """A text document inside one JSON string."""
    return b8_js(r.choice(B8_EMBED)(f, r, loc))


def b8_pemjs(r, placeholder=False):
    """A PEM as a whole JSON string value, line breaks written as \\n escapes (the label starts the string)."""
    if placeholder:
        return [B8L("PLACEHOLDER", b8_pem_plh(r).text.replace("\n", "\\n"))]
    return [B8L("PRIVATE_KEY", b8_pem(r, "\\n"))]


def B8_j_mcp_email(f, r, loc):
    fn, ln = b8_name(f)
    l = b8_l(loc)
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "method": "tools/call",
            "params": {"name": r.choice(["send_email", "gmail.send", "outlook_send_mail"]),
                       "arguments": {"to": [b8_js(b8_EM(f, r, loc, fn, ln))], "cc": [b8_js(b8_EM(f, r, loc))],
                                     "subject": b8_js(b8_la(f, r, loc, 0)),
                                     "body": b8_js(b8_pick(r, loc, B8_HI).format(n=fn), "\n", b8_pw_say(r, loc), "\n", r.choice(B8_PW_TALK[l]), "\n",
                                                   b8_pick(r, loc, B8_BYE), b8_sig(f, r, loc, *b8_name(f)))}}}


def B8_j_tool_use(f, r, loc):
    fn, ln = b8_name(f)
    inp = {"customer": {"full_name": f"{fn} {ln}", "contact": {"email": b8_js(b8_EM(f, r, loc, fn, ln)), "mobile": b8_js(b8_PH(r, loc))},
                        "date_of_birth": b8_js(b8_DOB(r, loc)), "since": b8_otherdate(r, loc, 3000, 0)},
           "payment": {"iban": b8_js(b8_IBAN(r, loc)), "mandate_ref": b8_refnum(r), "amount": round(r.uniform(5, 900), 2)},
           "note": b8_js(b8_las(f, r, loc, 2), b8_pw_talk(r, loc))}
    if loc == "en_US" and r.random() < 0.6:
        inp["customer"]["ssn"] = b8_js(b8_SSN(r))
    return {"type": "tool_use", "id": "toolu_01" + rnd(r, AN, 22), "name": r.choice(["crm_upsert_contact", "create_customer", "hubspot.update"]), "input": inp}


def B8_j_tool_result(f, r, loc):
    return {"type": "tool_result", "tool_use_id": "toolu_01" + rnd(r, AN, 22), "is_error": r.random() < 0.1,
            "content": [{"type": "text", "text": b8_jt(f, r, loc)}] + ([{"type": "text", "text": b8_jt(f, r, loc)}] if r.random() < 0.3 else [])}


def B8_j_record(f, r, loc):
    fn, ln = b8_name(f)
    card = {"holder": f"{fn} {ln}".upper(), "number": b8_js(b8_CC(f, r)), "exp": f"{r.randint(1, 12):02d}/{r.randint(2027, 2031)}"}
    card[r.choice(["cvc", "cvv", "security_code", "cvv2"])] = b8_js(b8_cvc(r))
    return {"object": "contact", "id": b8_uuid(r), "created": int(b8_epoch(r)),
            "profile": {"name": {"given": fn, "family": ln}, "emails": [b8_js(b8_EM(f, r, loc, fn, ln)), b8_js(b8_EM(f, r, loc, fn, ln))],
                        "phones": [{"kind": "mobile", "value": b8_js(b8_PH(r, loc))}, {"kind": "work", "value": b8_js(b8_PH(r, loc, True)), "ext": str(r.randint(10, 999))}],
                        "birth": {"date": b8_js(b8_DOB(r, loc))}, "tags": [b8_js(b8_la(f, r, loc, 0)), b8_js(b8_la(f, r, loc, 8))]},
            "billing": {"card": card, "fallback_iban": b8_js(b8_IBAN(r, loc)), "previous_iban": b8_js(b8_bad_iban(r, loc))},
            "meta": {"last_ip": b8_js(b8_IP4(f, r)), "ipv6": b8_js(b8_IP6(f, r)), "etag": rnd(r, HEX, 32), "ean": b8_la(f, r, loc, 1)[4:]}}


def B8_j_webhook(f, r, loc):
    return {"id": "evt_" + rnd(r, AN, 24), "type": r.choice(["charge.refunded", "customer.updated", "invoice.paid"]), "created": int(b8_epoch(r)),
            "data": {"object": {"id": "ch_" + rnd(r, AN, 24), "amount": r.randint(100, 99999), "currency": "eur",
                                "billing_details": {"email": b8_js(b8_EM(f, r, loc)), "phone": b8_js(b8_PH(r, loc, True)), "name": f.name()},
                                "receipt_number": f"{r.randint(1000, 9999)}-{r.randint(1000, 9999)}", "metadata": {"order": b8_refnum(r), "ip": b8_js(b8_IP4(f, r))}}},
            "request": {"idempotency_key": b8_uuid(r)}, "livemode": True}


def B8_j_logsearch(f, r, loc):
    hits = []
    for _ in range(r.randint(2, 4)):
        k = r.randrange(4)
        if k == 0:
            msg = b8_js("login failed for ", b8_EM(f, r, loc), " from ", b8_IP4(f, r))
        elif k == 1:
            msg = b8_js("outbound call header x-api-key=", b8_GEN(r), " status=401")
        elif k == 2:
            msg = b8_js(b8_vendor(f, r), " used by job ", b8_la(f, r, loc, 15))
        else:
            msg = b8_js("payload ", b8_la(f, r, loc, 23), " ", b8_la(f, r, loc, 9))
        hits.append({"@timestamp": b8_ts(r, 0), "host": f"web-{r.randint(1, 40):02d}", "client": {"ip": b8_js(b8_IP6(f, r) if r.random() < 0.4 else b8_IP4(f, r))},
                     "message": msg, "trace_id": rnd(r, HEX, 32)})
    return {"took": r.randint(1, 900), "hits": {"total": {"value": len(hits)}, "hits": hits}}


def B8_j_vault(f, r, loc):
    data = {"username": "svc-" + f.word(), b8_pwkey(r, loc): b8_js(b8_PW(r)), r.choice(B8_SEC_KEY): b8_js(b8_GEN(r)),
            "github_token": b8_js(b8_vendor(f, r, "GITHUB_TOKEN"))}
    if r.random() < 0.5:
        data["tls_key"] = b8_pemjs(r)
    if r.random() < 0.4:
        data["example_key"] = b8_pemjs(r, True) if r.random() < 0.3 else b8_js(b8_PLH(r))
    return {"request_id": b8_uuid(r), "lease_duration": 0, "data": {"data": data, "metadata": {"created_time": b8_ts(r, 0), "version": r.randint(1, 40)}}}


def B8_j_messages(f, r, loc):
    fn, ln = b8_name(f)
    l = b8_l(loc)
    ask = {"en": "Can you update my details?", "de": "Können Sie meine Daten aktualisieren?", "fr": "Pouvez-vous mettre à jour mes coordonnées ?",
           "es": "¿Podéis actualizar mis datos?", "it": "Potete aggiornare i miei dati?", "nl": "Kunnen jullie mijn gegevens bijwerken?"}[l]
    return {"model": r.choice(["gpt-4.1", "claude-sonnet-4", "mistral-large"]), "messages": [
        {"role": "system", "content": b8_js("You are a support agent. ", b8_pw_talk(r, "en_US"))},
        {"role": "user", "content": b8_js(ask, " ", b8_EM(f, r, loc, fn, ln), ", ", b8_PH(r, loc), ", ", b8_pick(r, loc, B8_DOB_LEAD), " ", b8_DOB(r, loc))},
        {"role": "assistant", "content": b8_js("Done. Reference ", b8_la(f, r, loc, 0), ".")},
        {"role": "user", "content": b8_js(b8_pw_say(r, loc))}]}


def B8_j_http_tool(f, r, loc):
    return {"tool": "http_request", "args": {"method": r.choice(["GET", "POST", "PUT"]), "url": b8_js("https://api.", r.choice(B8_ORGDOM), "/v1/accounts/", b8_refnum(r).replace(" ", "")),
            "headers": {"Authorization": b8_js("Bearer ", b8_vendor(f, r, r.choice(["JWT", "OPENAI_KEY", "ANTHROPIC_KEY", "GITHUB_TOKEN"]))),
                        r.choice(["X-Api-Key", "X-Auth-Token", "Api-Key"]): b8_js(b8_GEN(r)), "X-Request-ID": b8_uuid(r), "If-Match": rnd(r, HEX, 40)},
            "body": {"owner_email": b8_js(b8_EM(f, r, loc)), "webhook": {"secret": b8_js(b8_GEN(r)), "url": "https://hooks.example.net/in"},
                     "db_url": b8_js("mysql://app:", b8_PW(r, True), "@", b8_IP4(f, r), "/app"), "sample_key": b8_js(b8_PLH(r)) if r.random() < 0.5 else b8_standin(r)}}}


def b8_joined(r, lines):
    out = []
    for k, x in enumerate(lines):
        if k:
            out.append(r.choice([" && ", " ; ", "\n"]))
        out.append(x)
    return out


def B8_j_calendar(f, r, loc):
    fn, ln = b8_name(f)
    d = B8_TODAY + datetime.timedelta(days=r.randint(1, 90))
    return {"name": "google_calendar.create_event", "arguments": {
        "calendarId": "primary", "summary": f"Kick-off with {fn} {ln}",
        "start": {"dateTime": d.isoformat() + f"T{r.randint(8, 17):02d}:00:00+01:00"}, "end": {"dateTime": d.isoformat() + f"T{r.randint(17, 18):02d}:30:00+01:00"},
        "attendees": [{"email": b8_js(b8_EM(f, r, loc, fn, ln)), "displayName": f"{fn} {ln}"}, {"email": b8_js(b8_EM(f, r, loc)), "optional": True}],
        "description": b8_js("Dial-in: ", b8_PH(r, loc, True), " / PIN ", rnd(r, string.digits, 7), "\n", b8_la(f, r, loc, 0), "\n",
                             f"Contract signed {b8_otherdate(r, loc, 400, 0)}, renewal {b8_otherdate(r, loc, 0, 300)}"),
        "conferenceData": {"requestId": b8_uuid(r)}}}


def B8_j_sheet(f, r, loc):
    rows = [[["name"], ["email"], ["phone"], ["birthday"], ["order"], ["total"]]]
    for _ in range(r.randint(2, 5)):
        fn, ln = b8_name(f)
        rows.append([[f"{fn} {ln}"], b8_js(b8_EM(f, r, loc, fn, ln)), b8_js(b8_PH(r, loc)), b8_js(b8_DOB(r, loc)), [b8_refnum(r)], [b8_money(r, loc)]])
    return {"tool": "sheets.values.append", "input": {"spreadsheetId": rnd(r, B8_B64U, 44), "range": "Leads!A1:F", "valueInputOption": "RAW", "values": rows}}


def B8_j_k8s(f, r, loc):
    e = lambda x: base64.b64encode(x.encode()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{f.word()}-creds", "namespace": r.choice(["prod", "staging", "payments"]),
                                                                "annotations": {"rotated-at": b8_ts(r, 0), "owner": b8_js(b8_EM(f, r, loc))}},
            "type": "Opaque", "data": {"DB_USER": e("app"), "DB_PASSWORD": [B8L("PASSWORD", e(b8_pw(r)))], "STRIPE_WEBHOOK_SIGNING_KEY": [B8L("GENERIC_SECRET", e(b8_gen(r)))],
                                       "ENDPOINT": e(f"https://{r.choice(B8_ORGDOM)}/hook")}}


def B8_j_jira(f, r, loc):
    fn, ln = b8_name(f)
    return {"fields": {"project": {"key": rnd(r, B8_UP, 3)}, "issuetype": {"name": "Bug"}, "summary": f"Refund stuck for {fn} {ln}",
                       "description": b8_js(b8_pick(r, loc, B8_HI).format(n="team"), "\n", "Customer ", b8_EM(f, r, loc, fn, ln), " (", b8_PH(r, loc), ") paid with ",
                                            b8_CC(f, r), "; refund id ", b8_la(f, r, loc, 15), ".\n", b8_pw_talk(r, loc)),
                       "labels": [["refund"], [b8_la(f, r, loc, 6).replace(" ", "-")]], "customfield_10020": r.randint(1, 300)},
            "update": {"comment": [{"add": {"body": b8_js("Test account for repro: ", b8_pwkey(r, loc), " ", b8_PW(r), " (staging only)")}}]}}


def B8_j_payment(f, r, loc):
    fn, ln = b8_name(f)
    amex = r.random() < 0.2
    num = f.credit_card_number(card_type="amex") if amex else b8_card(f, r)
    return {"name": "payments.create_method", "arguments": {
        "type": "card", "card": {"number": [B8L("CREDIT_CARD", num)], "exp_month": r.randint(1, 12), "exp_year": r.randint(2027, 2032),
                                 r.choice(["cvc", "cvv", "csc"]): [b8_cvc(r, amex)]},
        "billing_details": {"name": f"{fn} {ln}", "email": b8_js(b8_EM(f, r, loc, fn, ln)), "phone": b8_js(b8_PH(r, loc)),
                            "address": {"line1": b8_js(f.street_address()), "postal_code": b8_js(f.postcode()), "country": REGION[loc]}},
        "metadata": {"cart": b8_refnum(r), "fallback_iban": b8_js(b8_IBAN(r, loc)), "test_card_do_not_use": b8_bad_card(r)},
        "idempotency_key": b8_uuid(r)}}


def B8_j_shell_tool(f, r, loc):
    return {"name": "run_shell", "arguments": {"cwd": "/srv/app", "command": b8_js(b8_joined(r, b8_shell_lines(f, r, loc)[:r.randint(2, 5)])), "timeout_s": r.randint(10, 600)}}


B8_JSON_KINDS = [B8_j_mcp_email, B8_j_tool_use, B8_j_tool_result, B8_j_tool_result, B8_j_record, B8_j_webhook, B8_j_logsearch, B8_j_vault,
                 B8_j_messages, B8_j_http_tool, B8_j_shell_tool, B8_j_calendar, B8_j_sheet, B8_j_k8s, B8_j_jira, B8_j_payment]


def b8_json(f, r, loc):
    return r.choice(B8_JSON_KINDS)(f, r, loc)


# ----- self-check -----

def b8_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b8_labels(y)]
    if isinstance(v, (list, tuple)):
        return [x for y in v for x in b8_labels(y)]
    return []


B8_SHAPE = {"AWS_ACCESS_KEY": r"(AKIA|ASIA)[A-Z2-7]{16}", "GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Z0-9]{22}_[A-Za-z0-9]{59}",
            "SLACK_TOKEN": r"xox[bpa]-[0-9A-Za-z-]+|xapp-1-[A-Z0-9]+-\d+-[0-9a-f]+|xoxe\.xoxp-1-[A-Za-z0-9]+",
            "STRIPE_KEY": r"(sk|rk)_live_[A-Za-z0-9]{24,99}", "OPENAI_KEY": r"sk-(proj-|svcacct-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+",
            "ANTHROPIC_KEY": r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA", "GOOGLE_API_KEY": r"AIza[A-Za-z0-9_-]{35}",
            "JWT": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", "EMAIL": r"[A-Za-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}",
            "PRIVATE_KEY": r"-----BEGIN [A-Z ]*PRIVATE KEY-----(\n|\\n)[A-Za-z0-9+/=\n\\]+-----END [A-Z ]*PRIVATE KEY-----"}


def b8_value_ok(typ, v):
    if typ in B8_SHAPE:
        return _b8_re.fullmatch(B8_SHAPE[typ], v) is not None and "EXAMPLE" not in v.upper()
    if typ == "CREDIT_CARD":
        d = v.replace(" ", "").replace("-", "")
        return d.isdigit() and 12 <= len(d) <= 19 and luhn_ok(d)
    if typ == "IBAN":
        d = v.replace(" ", "")
        return b8_mod97(d[4:] + d[:4]) == 1
    if typ == "US_SSN":
        d = v.replace("-", "").replace(" ", "")
        return len(d) == 9 and d.isdigit() and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ == "IPV4":
        return isinstance(_b8_ip.ip_address(v), _b8_ip.IPv4Address) and not _b8_ip.ip_address(v).is_loopback
    if typ == "IPV6":
        return isinstance(_b8_ip.ip_address(v), _b8_ip.IPv6Address) and not _b8_ip.ip_address(v).is_loopback
    if typ == "PHONE":
        for reg in [None] + list(REGION.values()) + B8_FOREIGN:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(v.replace("(0)", ""), reg)):
                    return True
            except phonenumbers.NumberParseException:
                pass
        return False
    if typ == "DATE_OF_BIRTH":
        return _b8_re.search(r"(19|20)\d\d", v) is not None
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() for c in v) and v not in B8_STANDIN
    if typ == "PLACEHOLDER":
        return v in B8_PLACEHOLDERS or "PRIVATE KEY-----" in v
    return False


def b8_check(i, kind, doc, w, text):
    """Self-check: each span holds its label's text and a value valid for its type; JSON parses and no
    escape precedes a label inside its string (a PEM written with \\n escapes starts its string)."""
    want = b8_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        assert sp["type"] == lab_.typ and w.buf[sp["start"]:sp["end"]].decode("utf-8") == lab_.text, (i, sp)
        assert b8_value_ok(lab_.typ, lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)


# ---------- blind9 (seed 1010) ----------
# A tenth split written by a sixth helper who never read the detection rules, their docs or history
# and never ran the engine on it; labelled by the lead's taxonomy. Its own value formats, word lists,
# look-alikes and document kinds (see B9_TEXT_KINDS / B9_JSON_KINDS). Relative dates use B9_TODAY.
# Key-shaped documentation examples are PLACEHOLDER; shapeless stand-ins (B9_STANDIN) are unlabelled.
# Self-check: b9_check (blind8's value checks, blind9's own placeholder and stand-in lists).

B9_TODAY = datetime.date(2026, 12, 1)
B9_LANG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B9_FOREIGN = ["CH", "BE", "AT", "IE", "PT", "SE", "DK", "PL", "LU"]


class B9L(L):
    """A labelled value kept verbatim."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b9_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out += b9_flat(*x)
        elif isinstance(x, L) or x:
            out.append(x)
    return out


def b9_j(*xs):
    """A JSON string value: pieces with line breaks turned into ' | ' and no quote or backslash."""
    out = []
    for p in b9_flat(*xs):
        if isinstance(p, L):
            assert p.typ == "PRIVATE_KEY" or not any(c in p.text for c in '"\\\n\t'), p.text
            out.append(p)
        else:
            out.append(p.replace("\\", "/").replace('"', "'").replace("\n", " | ").replace("\t", " "))
    return out


def b9_l(loc):
    return B9_LANG[loc]


def b9_t(loc, **kw):
    return kw.get(b9_l(loc), kw["en"])


# ----- values -----

def b9_PH(r, loc):
    reg = r.choice(B9_FOREIGN) if r.random() < 0.1 else REGION[loc]
    return B9L("PHONE", phone(r, reg, ["national", "national", "intl", "e164", "intl00", "dashes", "dots", "intl_trunk", "intl_dashes"]))


B9_DOM = ["posteo.de", "gmx.net", "outlook.com", "proton.me", "orange.fr", "libero.it", "ziggo.nl", "telefonica.net", "btinternet.com",
          "fastmail.com", "hollowpine.io", "vantaclinic.org", "kestrel-freight.eu", "mirabeau-conseil.fr", "zonnepark.nl", "ferrovia-sud.it"]


def b9_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and (c.isalnum() or c in ".-")).lower()


def b9_EM(f, r, fn=None, ln=None):
    fn = b9_ascii(fn or f.first_name()) or "info"
    ln = b9_ascii(ln or f.last_name()) or "team"
    local = r.choice([f"{fn}.{ln}", f"{fn[0]}{ln}", f"{ln}.{fn}{r.randint(1, 99)}", f"{fn}_{ln}", f"{fn}+{r.choice(['tickets', 'shop', 'b2b'])}",
                      f"{ln}{fn[0]}", r.choice(["billing", "noreply-ops", "dispatch", "hr.payroll", "claims"])])
    v = f"{local}@{r.choice(B9_DOM)}"
    return B9L("EMAIL", v[0].upper() + v[1:] if r.random() < 0.1 else v)


def b9_CC(f, r):
    return B9L("CREDIT_CARD", card(f, r, 0.6))


def b9_IBAN(f, r):
    return B9L("IBAN", iban(f, r))


def b9_SSN(r):
    return B9L("US_SSN", ssn_text(r, r.choice(["dash", "dash", "dash", "space", "bare"])))


def b9_IP4(r):
    v = r.choice([f"{r.choice([81, 88, 94, 145, 185, 213, 62, 79])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                  f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}", f"192.168.{r.randint(0, 255)}.{r.randint(2, 254)}",
                  f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}"])
    return B9L("IPV4", v)


def b9_IP6(r):
    groups = [r.choice(["2a02", "2001", "2a01", "2600", "fd12"]), "%x" % r.randint(0x100, 0xffff)] + ["%x" % r.randint(0, 0xffff) for _ in range(6)]
    v = ":".join(groups)
    if r.random() < 0.5:
        v = str(ipaddress.ip_address(v))
    return B9L("IPV6", v)


B9_MON = {"en": "January February March April May June July August September October November December".split(),
          "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
          "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
          "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
          "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
          "nl": "januari februari maart april mei juni juli augustus september oktober november december".split()}


def b9_date(r, d, loc):
    k = r.randrange(5)
    if k == 0:
        return d.isoformat()
    if k == 1:
        return f"{d.day} {B9_MON[b9_l(loc)][d.month - 1]} {d.year}" if loc != "en_US" else f"{B9_MON['en'][d.month - 1]} {d.day}, {d.year}"
    if loc == "en_US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    return f"{d.day:02d}{ {'de_DE': '.', 'nl_NL': '-'}.get(loc, '/') }{d.month:02d}{ {'de_DE': '.', 'nl_NL': '-'}.get(loc, '/') }{d.year}"


def b9_birth(r):
    return B9_TODAY - datetime.timedelta(days=r.randint(18 * 365, 88 * 365))


def b9_DOB(r, loc):
    return B9L("DATE_OF_BIRTH", b9_date(r, b9_birth(r), loc))


B9_DOBW = {"en": ["DOB:", "Date of birth:", "born on", "Birth date:", "D.O.B"], "de": ["Geburtsdatum:", "geb. am", "geboren am"],
           "fr": ["Date de naissance :", "né(e) le", "née le"], "es": ["Fecha de nacimiento:", "nacido el", "F. nac.:"],
           "it": ["Data di nascita:", "nato il", "nata il"], "nl": ["Geboortedatum:", "geboren op", "geb."]}


def b9_dob_phrase(r, loc):
    return [r.choice(B9_DOBW[b9_l(loc)]) + " ", b9_DOB(r, loc)]


def b9_otherdate(r, loc, back=900, fwd=200):
    return b9_date(r, B9_TODAY + datetime.timedelta(days=r.randint(-back, fwd)), loc)


B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b9_vendor_value(r, typ):
    if typ == "AWS_ACCESS_KEY":
        return r.choice(["AKIA", "AKIA", "ASIA"]) + rnd(r, B32, 16)
    if typ == "GITHUB_TOKEN":
        if r.random() < 0.2:
            return "github_pat_11" + rnd(r, string.ascii_uppercase + string.digits, 20) + "_" + rnd(r, AN, 59)
        return r.choice(GH_PREFIXES) + rnd(r, AN, 36)
    if typ == "SLACK_TOKEN":
        p = r.choice(["xoxb", "xoxp", "xoxa"])
        return f"{p}-{r.randint(10**10, 10**12)}-{r.randint(10**11, 10**13)}-" + rnd(r, AN, 24)
    if typ == "STRIPE_KEY":
        return r.choice(["sk_live_", "sk_live_", "rk_live_"]) + rnd(r, AN, r.choice([24, 34, 99]))
    if typ == "OPENAI_KEY":
        return r.choice(["sk-proj-", "sk-", "sk-svcacct-"]) + rnd(r, AN + "_-", r.choice([20, 60])) + "T3BlbkFJ" + rnd(r, AN + "_-", r.choice([20, 60]))
    if typ == "ANTHROPIC_KEY":
        return "sk-ant-api03-" + rnd(r, AN + "_-", 93) + "AA"
    if typ == "GOOGLE_API_KEY":
        return "AIza" + rnd(r, AN + "_-", 35)
    if typ == "JWT":
        h = base64.urlsafe_b64encode(json.dumps({"alg": r.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}).encode()).decode().rstrip("=")
        body = {"sub": str(r.randint(1000, 99999)), "iat": r.randint(1_700_000_000, 1_790_000_000), "scope": r.choice(["read", "admin", "orders:write"])}
        b = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
        return f"{h}.{b}." + rnd(r, AN + "_-", r.choice([43, 86]))
    raise ValueError(typ)


B9_VENDORS = ["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"]


def b9_V(r, typ=None):
    typ = typ or r.choice(B9_VENDORS)
    return B9L(typ, b9_vendor_value(r, typ))


def b9_gen_value(r):
    k = r.randrange(5)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 1:
        return rnd(r, AN + "+/", 40)
    if k == 2:
        return rnd(r, AN, r.choice([24, 32, 48]))
    if k == 3:
        return r.choice(["whsec_", "tok_", "sess-", "api-"]) + rnd(r, AN, 32)
    return base64.b64encode(bytes(r.randrange(256) for _ in range(24))).decode()


def b9_GEN(r):
    return B9L("GENERIC_SECRET", b9_gen_value(r))


def b9_CVC(r):
    return B9L("GENERIC_SECRET", "%0*d" % (r.choice([3, 3, 4]), r.randint(1, 999)))


B9_PWW = ["Wolkenkratzer", "hibiscus", "cerf-volant", "girandola", "kaasschaaf", "remolino", "Lighthouse", "quokka", "Sternschnuppe",
          "ciliegia", "Tramontana", "Windmolen", "amapola", "Marmotte", "blizzard"]


def b9_pw_value(r):
    k = r.randrange(4)
    if k == 0:
        return r.choice(B9_PWW) + str(r.randint(1, 9999)) + r.choice("!#%*?")
    if k == 1:
        return "-".join(r.choice(B9_PWW).lower() for _ in range(3)) + str(r.randint(1, 99))
    if k == 2:
        return rnd(r, AN, r.choice([10, 14, 18])) + r.choice(["!", "$", "#", ".", "%"])
    return r.choice(B9_PWW).capitalize() + r.choice([".", "_", "&"]) + str(r.randint(1960, 2025))


def b9_PW(r):
    return B9L("PASSWORD", b9_pw_value(r))


def b9_PEM(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    lines = [base64.b64encode(bytes(r.randrange(256) for _ in range(48))).decode() for _ in range(r.randint(4, 9))]
    lines.append(base64.b64encode(bytes(r.randrange(256) for _ in range(r.randint(5, 40)))).decode())
    return B9L("PRIVATE_KEY", sep.join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"]))


B9_PLACEHOLDERS = ["AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "ASIAEXAMPLEEXAMPLE00", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                   "ghp_" + "0" * 36, "gho_" + "X" * 36, "ghs_EXAMPLEexampleEXAMPLEexample000000", "github_pat_" + "0" * 22 + "_" + "x" * 59,
                   "xoxb-0000000000-0000000000000-XXXXXXXXXXXXXXXXXXXXXXXX", "xoxp-1234567890-1234567890-example",
                   "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_" + "0" * 24, "sk-proj-" + "x" * 40, "sk-ant-api03-" + "x" * 93 + "AA",
                   "AIzaSyA-EXAMPLE-KEY-xxxxxxxxxxxxxxxxxx", "AIza" + "0" * 35,
                   "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"]
B9_STANDIN = ["<token>", "xxxxxxxx", "$API_TOKEN", "${DB_PASSWORD}", "changeme", "REPLACE_ME", "********", "<redacted>", "{{ .Values.secret }}",
              "ghp_…", "sk_live_...", "%SECRET%", "none", "null", "secretref:prod-db"]


def b9_PLH(r):
    return B9L("PLACEHOLDER", r.choice(B9_PLACEHOLDERS))


# ----- look-alikes (never labelled) -----

def b9_badcard(r):
    while True:
        d = r.choice(["4", "51", "37", "6011"]) + rnd(r, string.digits, 15)
        d = d[:16] if d[0] != "3" else d[:15]
        if not luhn_ok(d):
            return " ".join(d[i:i + 4] for i in range(0, len(d), 4)) if r.random() < 0.5 else d


def b9_nonssn9(r):
    return r.choice([f"9{rnd(r, string.digits, 2)}-{rnd(r, string.digits, 2)}-{rnd(r, string.digits, 4)}",
                     f"{r.randint(10, 99)}-{rnd(r, string.digits, 7)}", f"{r.choice(['000', '666'])}-{r.randint(10, 99)}-{r.randint(1000, 9999)}"])


def b9_la(f, r, loc, g=None):
    g = r.randrange(30) if g is None else g
    l = b9_l(loc)
    d = string.digits
    if g == 0: return f"order #{r.choice(['W', 'SO-', ''])}{rnd(r, d, r.choice([7, 9, 10]))}"
    if g == 1: return f"{b9_t(loc, en='ticket', de='Vorgang', fr='dossier', es='incidencia', it='pratica', nl='melding')} INC{rnd(r, d, 7)}"
    if g == 2: return f"{b9_t(loc, en='invoice', de='Rechnungsnr.', fr='facture n°', es='factura nº', it='fattura n.', nl='factuurnr.')} {r.randint(2023, 2026)}/{rnd(r, d, 6)}"
    if g == 3: return f"tracking {r.choice(['1Z' + rnd(r, B9_UPD, 16), 'JJD' + rnd(r, d, 18), rnd(r, d, 12), 'RR' + rnd(r, d, 9) + 'DE'])}"
    if g == 4: return f"{b9_t(loc, en='policy', de='Police', fr='contrat', es='póliza', it='polizza', nl='polis')} {rnd(r, B9_UP, 2)}-{rnd(r, d, 8)}"
    if g == 5: return f"acct {rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 2)}"
    if g == 6: return f"SKU {rnd(r, B9_UP, 3)}-{rnd(r, d, 5)}-{r.choice(['BLK', 'XL', 'M', '500G'])}"
    if g == 7: return f"EAN {gs1(r.choice(['40', '50', '30', '84', '80', '87']) + rnd(r, d, 10))}"
    if g == 8: return f"ISBN {gs1('978' + rnd(r, d, 9))}"
    if g == 9: return f"IMEI {luhn_digit('35' + rnd(r, d, 12))}"
    if g == 10: return f"S/N {rnd(r, B9_UPD, 4)}-{rnd(r, B9_UPD, 4)}-{rnd(r, B9_UPD, 4)}"
    if g == 11: return f"v{r.randint(1, 12)}.{r.randint(0, 40)}.{r.randint(0, 300)} (build {r.randint(1000, 99999)})"
    if g == 12: return f"{r.choice(['firmware', 'build', 'driver'])} {r.randint(1, 10)}.{r.randint(0, 20)}.{r.randint(0, 99)}.{r.randint(100, 9999)}"
    if g == 13: return f"{B9_TODAY.year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, d, 3)}Z"
    if g == 14: return str(r.randint(1_600_000_000, 1_800_000_000) * r.choice([1, 1000]))
    if g == 15: return f"{r.randint(1, 59)}m{r.randint(0, 59)}s" if r.random() < 0.5 else f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} elapsed"
    if g == 16: return r.choice(["€ ", "$", "£"]) + f"{r.randint(1, 99999):,}.{r.randint(0, 99):02d}"
    if g == 17: return f"{r.uniform(-60, 60):.6f}, {r.uniform(-120, 120):.6f}"
    if g == 18: return r.choice(["commit ", "sha256:", "md5 ", "etag W/", "blob "]) + rnd(r, HEX, r.choice([7, 12, 32, 40, 64]))
    if g == 19: return str(f.uuid4())
    if g == 20: return r.choice(["integrity sha384-", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA", "attachment (base64) "]) + \
        base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([30, 48, 60])))).decode()
    if g == 21: return f"card {b9_badcard(r)}"
    if g == 22:
        v = f.iban()
        v = v[:2] + "%02d" % ((int(v[2:4]) + r.randint(1, 50)) % 97 + 2) + v[4:]
        return f"IBAN {v}" if b8_mod97(v[4:] + v[:4]) != 1 else "IBAN " + v[:4]
    if g == 23: return b9_nonssn9(r)
    if g == 24: return r.choice(B9_STANDIN)
    if g == 25: return r.choice(B9_PW_TALK[l])
    if g == 26: return f"case {rnd(r, d, 8)}-{rnd(r, B9_UP, 2)}"
    if g == 27: return f"{b9_t(loc, en='visit on', de='Termin am', fr='rendez-vous le', es='cita el', it='visita il', nl='afspraak op')} {b9_otherdate(r, loc)}"
    if g == 28: return f"UPC {gs1('0' + rnd(r, d, 10))}"
    return f"PO-{rnd(r, d, 6)} / qty {r.randint(1, 500)}"


B9_UP = string.ascii_uppercase
B9_UPD = string.ascii_uppercase + string.digits


def b9_las(f, r, loc, n=2):
    return "; ".join(b9_la(f, r, loc) for _ in range(n))


B9_PW_SAY = {"en": ["the temporary password is ", "use this passphrase: ", "her new login password = ", "pw for the kiosk account: "],
             "de": ["das neue Kennwort lautet ", "Passwort für den Gastzugang: ", "Initialpasswort "],
             "fr": ["le mot de passe provisoire est ", "mdp du compte invité : ", "nouveau mot de passe "],
             "es": ["la contraseña provisional es ", "clave de acceso: ", "contraseña nueva "],
             "it": ["la password temporanea è ", "parola d'accesso: ", "nuova password "],
             "nl": ["het tijdelijke wachtwoord is ", "wachtwoord voor de gastaccount: ", "nieuw wachtwoord "]}
B9_PW_TALK = {"en": ["Never share your password over chat.", "Password reset link expires in 24h.", "She forgot her password again, reset requested."],
              "de": ["Bitte das Passwort niemals per Mail schicken.", "Kennwort wurde zurückgesetzt, Link folgt."],
              "fr": ["Ne communiquez jamais votre mot de passe.", "Le mot de passe a expiré, réinitialisation envoyée."],
              "es": ["Nunca compartas tu contraseña por teléfono.", "La contraseña caducó; enviamos un enlace."],
              "it": ["Non condividere mai la password.", "Password scaduta, inviato link di reset."],
              "nl": ["Deel je wachtwoord nooit via de telefoon.", "Wachtwoord verlopen, resetlink verstuurd."]}
B9_PWKEY = {"en": ["password", "db_password", "PASSWORD", "passwd", "admin_pass"], "de": ["passwort", "Kennwort", "PASSWORT"],
            "fr": ["mot_de_passe", "mdp", "MOT_DE_PASSE"], "es": ["contrasena", "contraseña", "clave"],
            "it": ["password_utente", "parola_chiave", "PASSWORD_DB"], "nl": ["wachtwoord", "WACHTWOORD", "ww"]}
B9_SECKEY = ["client_secret", "secret_key", "signing_key", "api_key", "auth_token", "webhook_secret", "session_token", "private_token"]


def b9_pw_say(r, loc):
    return [r.choice(B9_PW_SAY[b9_l(loc)]), b9_PW(r)]


def b9_secret_any(f, r):
    k = r.randrange(10)
    if k < 6:
        return b9_V(r)
    if k < 8:
        return b9_GEN(r)
    return b9_PLH(r)


def b9_name(f):
    return f.first_name(), f.last_name()


# ----- text documents -----

def B9_ticket(f, r, loc):
    fn, ln = b9_name(f)
    return [f"#{rnd(r, string.digits, 6)} — {b9_t(loc, en='Cannot log in', de='Login geht nicht', fr='Connexion impossible', es='No puedo entrar', it='Accesso negato', nl='Inloggen lukt niet')}\n",
            f"Requester: {fn} {ln} <", b9_EM(f, r, fn, ln), ">\n", "Callback: ", b9_PH(r, loc), "\n",
            f"Opened {b9_otherdate(r, loc)} · {b9_la(f, r, loc, 1)}\n\n", r.choice(B9_PW_TALK[b9_l(loc)]), " ",
            b9_pw_say(r, loc), "\n", "Related: ", b9_las(f, r, loc, 3)]


def B9_chat(f, r, loc):
    a, b = b9_name(f)[0], b9_name(f)[0]
    return [f"[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] {a}: can you send me the prod token?\n",
            f"[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] {b}: here ", b9_V(r), " — rotate after\n",
            f"[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] {a}: ok, also my number changed: ", b9_PH(r, loc), "\n",
            f"[{r.randint(8, 18):02d}:{r.randint(0, 59):02d}] {b}: 👍 noted. ", b9_la(f, r, loc)]


def B9_email(f, r, loc):
    fn, ln = b9_name(f)
    gn, gl = b9_name(f)
    return [f"From: {fn} {ln} <", b9_EM(f, r, fn, ln), ">\nTo: ", b9_EM(f, r, gn, gl), "\nSubject: Re: ", b9_la(f, r, loc), "\n\n",
            f"{gn}, bank details below for the refund.\nIBAN: ", b9_IBAN(f, r), "\n\n",
            f"> On {b9_otherdate(r, loc)}, {gn} {gl} wrote:\n> please confirm your phone, we have ", b9_PH(r, loc), "\n> ",
            b9_la(f, r, loc), "\n\n--\n", f"{fn} {ln}\n", "M ", b9_PH(r, loc), "\n"]


def B9_crm(f, r, loc):
    fn, ln = b9_name(f)
    return [f"Contact: {ln.upper()}, {fn}\n", b9_dob_phrase(r, loc), "\n", "E-mail ", b9_EM(f, r, fn, ln), " | tel ", b9_PH(r, loc), "\n",
            f"Customer since {b9_otherdate(r, loc, 3000, 0)}; last order {b9_la(f, r, loc, 0)}\n", "Note: prefers SEPA, ", b9_IBAN(f, r)]


def B9_hr(f, r, loc):
    fn, ln = b9_name(f)
    out = [f"HR note – {fn} {ln}\n", f"{b9_t(loc, en='Start date', de='Eintritt', fr='Entrée', es='Alta', it='Assunzione', nl='In dienst')}: {b9_otherdate(r, loc, 2000, 30)}\n",
           b9_dob_phrase(r, loc), "\n", "Salary account: ", b9_IBAN(f, r), "\n", "Private mail: ", b9_EM(f, r, fn, ln), "\n"]
    if loc == "en_US":
        out += ["SSN ", b9_SSN(r), "\n"]
    return out + [f"Employee no. {rnd(r, string.digits, 9)}"]


def B9_incident(f, r, loc):
    return [f"INCIDENT {B9_TODAY.year}-{r.randint(100, 999)} (SEV{r.randint(1, 3)})\n", f"Impact window: {b9_la(f, r, loc, 15)}\n",
            "Root cause: a deploy log printed ", r.choice(B9_SECKEY), "=", b9_GEN(r), " and the bot token ", b9_V(r, "SLACK_TOKEN"), "\n",
            "Attacker IPs: ", b9_IP4(r), ", ", b9_IP6(r), "\n", f"Commit {rnd(r, HEX, 40)} reverted."]


def B9_shell(f, r, loc):
    return ["$ export GITHUB_TOKEN=", b9_V(r, "GITHUB_TOKEN"), "\n", "$ mysql -h ", b9_IP4(r), " -u app -p'", b9_PW(r), "' orders\n",
            "$ psql postgresql://report:", b9_PW(r), f"@db{r.randint(1, 9)}.internal:5432/sales\n",
            "$ ssh deploy@", b9_IP4(r), "\n", f"$ git log -1 --format=%H\n{rnd(r, HEX, 40)}\n", "$ history | tail -1\n",
            f" {r.randint(100, 2000)}  sudo -u svc deploy --password ", b9_PW(r), "\n"]


def B9_ci(f, r, loc):
    return [f"##[group]Run ./deploy.sh (job {r.randint(10**8, 10**9)})\n", "env:\n  AWS_ACCESS_KEY_ID: ", b9_V(r, "AWS_ACCESS_KEY"), "\n",
            "  AWS_SECRET_ACCESS_KEY: ", b9_GEN(r), "\n", f"Step 3/7 took {b9_la(f, r, loc, 15)}\n",
            "npm notice token ", b9_PLH(r), " is an example and was skipped\n", f"Finished: SUCCESS build #{r.randint(100, 9999)}\n"]


def B9_trace(f, r, loc):
    return ["Traceback (most recent call last):\n  File \"/srv/app/billing.py\", line ", str(r.randint(10, 900)), ", in charge\n",
            "    stripe.Charge.create(api_key=\"", b9_V(r, "STRIPE_KEY"), "\", card=\"", b9_CC(f, r), "\", cvc=\"", b9_CVC(r), "\")\n",
            f"stripe.error.CardError: declined (request req_{rnd(r, AN, 14)}) customer ", b9_EM(f, r), "\n"]


def B9_sql(f, r, loc):
    fn, ln = b9_name(f)
    return ["INSERT INTO customers (name, email, phone, birth_date, iban) VALUES\n",
            f"  ('{fn} {ln}', '", b9_EM(f, r, fn, ln), "', '", b9_PH(r, loc), "', DATE '", B9L("DATE_OF_BIRTH", b9_birth(r).isoformat()), "', '",
            b9_IBAN(f, r), "');\n", f"-- ran at {b9_la(f, r, loc, 13)}, {r.randint(1, 40)} rows\n",
            "ALTER USER reporting WITH PASSWORD '", b9_PW(r), "';\n"]


def B9_env(f, r, loc):
    l = b9_l(loc)
    return ["# .env.production\n", f"APP_VERSION={b9_la(f, r, loc, 11).split(' ')[0]}\n", "OPENAI_API_KEY=", b9_V(r, "OPENAI_KEY"), "\n",
            "ANTHROPIC_API_KEY=", b9_V(r, "ANTHROPIC_KEY"), "\n", f"{r.choice(B9_PWKEY[l]).upper()}=", b9_PW(r), "\n",
            "SESSION_SECRET=", b9_GEN(r), "\n", f"PASSWORD_MIN_LENGTH={r.randint(8, 16)}\n", "TOKEN_TTL=3600\n", "MAPS_KEY=", b9_V(r, "GOOGLE_API_KEY"), "\n"]


def B9_yaml(f, r, loc):
    l = b9_l(loc)
    return ["smtp:\n  host: mail.", r.choice(B9_DOM), "\n  user: ", b9_EM(f, r), f"\n  {r.choice(B9_PWKEY[l])}: \"", b9_PW(r), "\"\n",
            "oauth:\n  client_id: ", rnd(r, string.digits, 12), "-", rnd(r, AN, 32).lower(), ".apps.example\n  client_secret: ", b9_GEN(r), "\n",
            "  password_policy: strict\n", f"  token_endpoint: https://auth.{r.choice(B9_DOM)}/oauth2/token\n"]


def B9_toml(f, r, loc):
    return ["[database]\n", "url = \"mysql://shop:", b9_PW(r), "@", b9_IP4(r), ":3306/shop\"\n", f"pool = {r.randint(2, 50)}\n\n",
            "[github]\n", "token = \"", b9_V(r, "GITHUB_TOKEN"), "\"\n", f"release = \"{b9_la(f, r, loc, 11)}\"\n"]


def B9_ini(f, r, loc):
    l = b9_l(loc)
    return ["[ldap]\n", f"bind_dn = cn=svc,dc={r.choice(['corp', 'acme', 'int'])}\n", f"{r.choice(B9_PWKEY[l])} = ", b9_PW(r), "\n",
            "server = ", b9_IP6(r), "\n", "[slack]\n", "bot_token = ", b9_V(r, "SLACK_TOKEN"), "\n", "token_rotation_days = 90\n"]


def B9_xml(f, r, loc):
    fn, ln = b9_name(f)
    return ["<patient id=\"", rnd(r, string.digits, 8), "\">\n  <name>", f"{fn} {ln}", "</name>\n  <birthDate>", B9L("DATE_OF_BIRTH", b9_birth(r).isoformat()),
            "</birthDate>\n  <telecom>", b9_PH(r, loc), "</telecom>\n  <email>", b9_EM(f, r, fn, ln), "</email>\n",
            f"  <admitted>{b9_otherdate(r, loc)}</admitted>\n</patient>\n"]


def B9_k8s(f, r, loc):
    pw = b9_pw_value(r)
    tok = b9_gen_value(r)
    return ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: billing-creds\ntype: Opaque\nstringData:\n  DB_PASSWORD: ", B9L("PASSWORD", pw),
            "\n  API_TOKEN: ", B9L("GENERIC_SECRET", tok), "\n  STRIPE_SECRET: ", b9_V(r, "STRIPE_KEY"), "\n  DB_USER: ",
            base64.b64encode(b"billing").decode(), "\n"]


def B9_compose(f, r, loc):
    return ["services:\n  db:\n    image: postgres:", f"{r.randint(12, 17)}.{r.randint(0, 9)}", "\n    environment:\n      POSTGRES_PASSWORD: ", b9_PW(r),
            "\n  worker:\n    image: ghcr.io/acme/worker@sha256:", rnd(r, HEX, 64), "\n    environment:\n      - OPENAI_API_KEY=", b9_V(r, "OPENAI_KEY"),
            "\n      - SENTRY_DSN=https://", rnd(r, HEX, 32), "@o1.ingest.sentry.io/", str(r.randint(10**6, 10**7)), "\n"]


def B9_curl(f, r, loc):
    return ["curl -sS https://api.", r.choice(B9_DOM), "/v2/charges \\\n  -u ", b9_V(r, "STRIPE_KEY"), ": \\\n",
            "  -H 'Authorization: Bearer ", b9_V(r, "JWT"), "' \\\n  -d amount=", str(r.randint(100, 99999)), " -d currency=eur\n"]


def B9_http(f, r, loc):
    return [f"POST /v1/messages HTTP/1.1\nHost: api.{r.choice(B9_DOM)}\n", "x-api-key: ", b9_V(r, "ANTHROPIC_KEY"), "\n",
            "X-Forwarded-For: ", b9_IP4(r), ", ", b9_IP4(r), "\n", "Cookie: sid=", b9_GEN(r), f"; theme=dark\nX-Request-Id: {f.uuid4()}\n\n",
            "{\"model\": \"claude\", \"max_tokens\": 1024}\n"]


def B9_csv(f, r, loc):
    rows = ["id;name;email;phone;dob;created\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b9_name(f)
        rows += [f"{rnd(r, string.digits, 6)};{fn} {ln};", b9_EM(f, r, fn, ln), ";", b9_PH(r, loc), ";", B9L("DATE_OF_BIRTH", b9_date(r, b9_birth(r), loc)),
                 f";{b9_la(f, r, loc, 13)}\n"]
    return rows


def B9_invoice(f, r, loc):
    return [f"{b9_t(loc, en='INVOICE', de='RECHNUNG', fr='FACTURE', es='FACTURA', it='FATTURA', nl='FACTUUR')} {b9_la(f, r, loc, 2)}\n",
            f"{b9_t(loc, en='Date', de='Datum', fr='Date', es='Fecha', it='Data', nl='Datum')}: {b9_otherdate(r, loc)}\n",
            f"{b9_la(f, r, loc, 6)}  x{r.randint(1, 9)}  {b9_la(f, r, loc, 16)}\n", "IBAN: ", b9_IBAN(f, r), "\n",
            f"{b9_t(loc, en='Questions', de='Fragen', fr='Questions', es='Dudas', it='Domande', nl='Vragen')}: ", b9_EM(f, r), " / ", b9_PH(r, loc), "\n"]


def B9_shipping(f, r, loc):
    fn, ln = b9_name(f)
    return [f"Delivery note {b9_la(f, r, loc, 0)}\n{fn} {ln}\n{f.street_address()}\n", "Contact on arrival: ", b9_PH(r, loc), "\n",
            f"{b9_la(f, r, loc, 3)}\n{b9_la(f, r, loc, 7)}\nGPS {b9_la(f, r, loc, 17)}\n"]


def B9_transfer(f, r, loc):
    return [f"{b9_t(loc, en='Please wire', de='Bitte überweisen', fr='Merci de virer', es='Por favor transfiera', it='Si prega di bonificare', nl='Graag overmaken')} ",
            b9_la(f, r, loc, 16), " → ", b9_IBAN(f, r), f" (ref {b9_la(f, r, loc, 2)}). ",
            b9_t(loc, en='Not this one, it bounced: ', de='Nicht dieses, kam zurück: ', fr='Pas celui-ci, rejeté : ', es='Esta no, fue devuelta: ',
                 it='Non questo, respinto: ', nl='Niet deze, kwam terug: '), b9_la(f, r, loc, 22), "\n"]


def B9_medical(f, r, loc):
    fn, ln = b9_name(f)
    return ["CMS-1500 CLAIM\n", f"Patient: {ln}, {fn}\n", "DOB ", B9L("DATE_OF_BIRTH", b9_date(r, b9_birth(r), "en_US")), "\n",
            "Insured SSN: ", b9_SSN(r), "\n", f"Policy {b9_la(f, r, loc, 4)}  NPI {rnd(r, string.digits, 10)}\n",
            f"Date of service: {b9_otherdate(r, 'en_US')}\nPhone ", B9L("PHONE", phone(r, "US", ["national", "dashes", "intl"])), "\n"]


def B9_payroll(f, r, loc):
    fn, ln = b9_name(f)
    out = [f"Payroll run {B9_TODAY:%Y-%m} – {fn} {ln}\n", f"Gross {b9_la(f, r, loc, 16)}; net {b9_la(f, r, loc, 16)}\n", "Pay to ", b9_IBAN(f, r), "\n"]
    if r.random() < 0.5:
        out += ["SSN ", b9_SSN(r), f" · EIN {b9_la(f, r, loc, 23)}\n"]
    return out


def B9_terraform(f, r, loc):
    return ["provider \"aws\" {\n  region     = \"eu-central-1\"\n  access_key = \"", b9_V(r, "AWS_ACCESS_KEY"), "\"\n  secret_key = \"", b9_GEN(r), "\"\n}\n",
            "resource \"aws_db_instance\" \"main\" {\n  password = \"", b9_PW(r), "\"\n  engine_version = \"15.4\"\n}\n",
            "# example from the docs: ", b9_PLH(r), "\n"]


def B9_logs(f, r, loc):
    out = []
    for _ in range(r.randint(2, 4)):
        out += [f"{b9_la(f, r, loc, 13)} INFO login ok user=", b9_EM(f, r), " ip=", r.choice([b9_IP4, b9_IP6])(r), f" dur={r.randint(3, 900)}ms\n"]
    return out + [f"{b9_la(f, r, loc, 13)} WARN retrying {b9_la(f, r, loc, 19)}\n"]


def B9_calendar(f, r, loc):
    fn, ln = b9_name(f)
    return ["BEGIN:VEVENT\n", f"DTSTART:{B9_TODAY:%Y%m%d}T{r.randint(8, 17):02d}0000Z\n", "ORGANIZER;CN=", f"{fn} {ln}", ":mailto:", b9_EM(f, r, fn, ln), "\n",
            f"SUMMARY:{b9_t(loc, en='Birthday lunch', de='Geburtstagsessen', fr='Déjeuner anniversaire', es='Comida de cumpleaños', it='Pranzo compleanno', nl='Verjaardagslunch')} {fn}\n",
            "DESCRIPTION:Dial-in ", b9_PH(r, loc), f" PIN {r.randint(1000, 999999)}\nEND:VEVENT\n"]


def B9_commit(f, r, loc):
    fn, ln = b9_name(f)
    return [f"commit {rnd(r, HEX, 40)}\nAuthor: {fn} {ln} <", b9_EM(f, r, fn, ln), ">\n", f"Date:   {b9_la(f, r, loc, 13)}\n\n",
            "    fix: remove leaked key from config\n\n-    api_key: ", b9_secret_any(f, r), "\n+    api_key: ${API_KEY}\n"]


def B9_slackexport(f, r, loc):
    return [f"{b9_name(f)[0]} ({b9_otherdate(r, loc)}): pinging the on-call at ", b9_PH(r, loc), "\n",
            f"{b9_name(f)[0]}: wifi pass for the office is ", b9_PW(r), "\n", f"{b9_name(f)[0]}: 🙈 deleting — and my birthday is ",
            B9L("DATE_OF_BIRTH", b9_date(r, b9_birth(r), loc)), " btw\n"]


def B9_pem(f, r, loc):
    return ["Here is the deploy key, keep it safe:\n", b9_PEM(r), "\n", f"fingerprint SHA256:{rnd(r, AN + '+/', 43)}\n"]


def B9_support_pw(f, r, loc):
    l = b9_l(loc)
    return [r.choice(B9_PW_TALK[l]), "\n", b9_pw_say(r, loc), "\n", f"{r.choice(B9_PWKEY[l])}: ", b9_PW(r), "\n", f"{b9_la(f, r, loc)}\n"]


def B9_payment(f, r, loc):
    return ["Card on file: ", b9_CC(f, r), f" exp {r.randint(1, 12):02d}/{r.randint(27, 31)} CVV ", b9_CVC(r), "\n",
            f"declined earlier: {b9_la(f, r, loc, 21)}\n"]


def B9_netrc(f, r, loc):
    return [f"# ~/.netrc (copied from laptop {rnd(r, B9_UPD, 8)})\n", "machine git.", r.choice(B9_DOM), " login deploy password ", b9_PW(r), "\n",
            "machine api.github.com login bot password ", b9_V(r, "GITHUB_TOKEN"), "\n", "# ~/.npmrc\n//npm.pkg.internal/:_authToken=", b9_GEN(r), "\n",
            f"# ~/.pgpass\ndb{r.randint(1, 9)}.internal:5432:*:report:", b9_PW(r), "\n"]


def B9_form(f, r, loc):
    fn, ln = b9_name(f)
    lab = b9_t(loc, en=("Name", "Email", "Mobile", "Card", "Security code"), de=("Name", "E-Mail", "Handy", "Karte", "Prüfziffer"),
               fr=("Nom", "Courriel", "Portable", "Carte", "Cryptogramme"), es=("Nombre", "Correo", "Móvil", "Tarjeta", "CVV"),
               it=("Nome", "Email", "Cellulare", "Carta", "CVV"), nl=("Naam", "E-mail", "Mobiel", "Kaart", "CVC"))
    return [f"{lab[0]}: {fn} {ln}\n{lab[1]}: ", b9_EM(f, r, fn, ln), f"\n{lab[2]}: ", b9_PH(r, loc), f"\n{lab[3]}: ", b9_CC(f, r),
            f"\n{lab[4]}: ", b9_CVC(r), "\n", b9_dob_phrase(r, loc), "\n", f"{b9_la(f, r, loc, 27)}\n"]


def B9_docker(f, r, loc):
    return [f"$ docker login ghcr.io -u {b9_name(f)[0].lower()} -p ", b9_V(r, "GITHUB_TOKEN"), "\n", "WARNING! Using --password via the CLI is insecure.\n",
            "$ docker run -e DATABASE_URL=postgres://app:", b9_PW(r), "@", b9_IP4(r), f"/app -e LOG_LEVEL=debug app:{r.randint(1, 9)}.{r.randint(0, 30)}\n",
            f"$ docker ps --format '{{{{.ID}}}}'\n{rnd(r, HEX, 12)}\n"]


def B9_oncall(f, r, loc):
    out = [f"On-call rota {b9_otherdate(r, loc, 30, 60)}\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b9_name(f)
        out += [f"- {fn} {ln}: ", b9_PH(r, loc), " / ", b9_EM(f, r, fn, ln), f" ({b9_la(f, r, loc, 15)} shift)\n"]
    return out


B9_TEXT_KINDS = [B9_netrc, B9_form, B9_docker, B9_oncall, B9_ticket, B9_chat, B9_email, B9_crm, B9_hr, B9_incident, B9_shell, B9_ci, B9_trace, B9_sql, B9_env, B9_yaml, B9_toml, B9_ini,
                 B9_xml, B9_k8s, B9_compose, B9_curl, B9_http, B9_csv, B9_invoice, B9_shipping, B9_transfer, B9_medical, B9_payroll, B9_terraform,
                 B9_logs, B9_calendar, B9_commit, B9_slackexport, B9_pem, B9_support_pw, B9_payment]


def b9_text(f, r, loc):
    return b9_flat(r.choice(B9_TEXT_KINDS)(f, r, loc))


# ----- JSON documents -----

def b9_jt(f, r, loc):
    kinds = [k for k in B9_TEXT_KINDS if k is not B9_pem]
    return b9_j(r.choice(kinds)(f, r, loc))


def B9_j_mcp(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 10**5), "method": "tools/call",
            "params": {"name": r.choice(["create_ticket", "send_message", "notes.append"]), "arguments": {"body": b9_jt(f, r, loc),
                                                                                                       "priority": r.choice(["low", "high"])}}}


def B9_j_result(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 10**5), "result": {"content": [{"type": "text", "text": b9_jt(f, r, loc)}], "isError": False}}


def B9_j_person(f, r, loc):
    fn, ln = b9_name(f)
    l = b9_l(loc)
    rec = {"record": {"id": str(f.uuid4()), "firstName": fn, "lastName": ln, "dateOfBirth": b9_j(b9_DOB(r, loc)),
                      "contact": {"email": b9_j(b9_EM(f, r, fn, ln)), "phones": [b9_j(b9_PH(r, loc)), b9_j(b9_PH(r, loc))]},
                      "bank": {"iban": b9_j(b9_IBAN(f, r)), "mandate": b9_la(f, r, loc, 5)}, "updated": b9_la(f, r, loc, 13),
                      "portal": {r.choice(B9_PWKEY[l]): b9_j(b9_PW(r)), "password_changed_at": b9_otherdate(r, loc), "password_hint": None}}}
    if loc == "en_US":
        rec["record"]["ssn"] = b9_j(b9_SSN(r))
    return rec


def B9_j_paymethod(f, r, loc):
    return {"type": "payment_method", "card": {"number": b9_j(b9_CC(f, r)), "cvc": b9_j(b9_CVC(r)), "exp_month": r.randint(1, 12), "exp_year": r.randint(2027, 2032)},
            "billing_details": {"email": b9_j(b9_EM(f, r)), "phone": b9_j(b9_PH(r, loc))}, "metadata": {"order": b9_la(f, r, loc, 0), "sku": b9_la(f, r, loc, 6)}}


def B9_j_webhook(f, r, loc):
    return {"event": r.choice(["user.created", "invoice.paid", "key.rotated"]), "delivered_at": r.randint(1_700_000_000, 1_800_000_000),
            "data": {"object": {"ip": b9_j(b9_IP4(r)), "ipv6": b9_j(b9_IP6(r)), "user_agent": "Mozilla/5.0", "new_key": b9_j(b9_secret_any(f, r))}},
            "signature": {"webhook_secret": b9_j(b9_GEN(r)), "alg": "sha256", "digest": rnd(r, HEX, 64)}}


def B9_j_config(f, r, loc):
    sep = "\\n"
    return {"tool": "write_file", "input": {"path": "/etc/app/keys.json", "content": {"aws": {"access_key_id": b9_j(b9_V(r, "AWS_ACCESS_KEY")), "secret_access_key": b9_j(b9_GEN(r))},
            "github": {"token": b9_j(b9_V(r, "GITHUB_TOKEN"))}, "google": {"api_key": b9_j(b9_V(r, "GOOGLE_API_KEY"))},
            "tls": {"key": [b9_PEM(r, sep)] if r.random() < 0.4 else "file:/run/secrets/tls.key"}, "example": b9_j(b9_PLH(r)),
            "token_placeholder": r.choice(B9_STANDIN), "version": b9_la(f, r, loc, 11)}}}


def B9_j_messages(f, r, loc):
    return {"messages": [{"role": "user", "content": b9_jt(f, r, loc)}, {"role": "assistant", "content": b9_j(b9_la(f, r, loc), ". ", b9_la(f, r, loc))},
                         {"role": "tool", "name": "lookup", "content": b9_jt(f, r, loc)}]}


def B9_j_http(f, r, loc):
    return {"name": "http_request", "arguments": {"method": "POST", "url": f"https://hooks.{r.choice(B9_DOM)}/v1/ingest",
            "headers": {"Authorization": b9_j("Bearer ", b9_V(r, r.choice(["JWT", "OPENAI_KEY", "SLACK_TOKEN"]))), "X-Api-Key": b9_j(b9_GEN(r)), "X-Trace": str(f.uuid4())},
            "body": {"text": b9_jt(f, r, loc)}}}


def B9_j_sheet(f, r, loc):
    rows = [["Name", "E-mail", "Phone", "Card", "Amount"]]
    for _ in range(r.randint(2, 4)):
        fn, ln = b9_name(f)
        rows.append([f"{fn} {ln}", b9_j(b9_EM(f, r, fn, ln)), b9_j(b9_PH(r, loc)), b9_j(r.choice([b9_CC(f, r), "card " + b9_badcard(r)])), b9_la(f, r, loc, 16)])
    rows = [[[c] if isinstance(c, str) else c for c in row] for row in rows]  # a list of plain strings would be one string
    return {"tool": "sheets.append", "spreadsheetId": rnd(r, AN, 44), "range": "A1:E9", "values": rows}


def B9_j_deep(f, r, loc):
    fn, ln = b9_name(f)
    return {"type": "tool_use", "id": "call_" + rnd(r, AN, 24), "name": "crm.batch_upsert",
            "input": {"ops": [{"op": "upsert", "entity": {"person": {"names": {"given": fn, "family": ln},
                      "identifiers": [{"kind": "email", "value": b9_j(b9_EM(f, r, fn, ln))}, {"kind": "order", "value": b9_la(f, r, loc, 0)},
                                      {"kind": "birth", "date_of_birth": b9_j(b9_DOB(r, loc))}, {"kind": "mobile", "value": b9_j(b9_PH(r, loc))}],
                      "finance": {"accounts": [{"iban": b9_j(b9_IBAN(f, r)), "opened": b9_otherdate(r, loc)}, {"iban": b9_la(f, r, loc, 22)}]},
                      "login": {"username": fn.lower(), "credentials": {"wachtwoord" if loc == "nl_NL" else "password": b9_j(b9_PW(r)), "totp_secret": b9_j(b9_GEN(r))}}}}}],
                      "dry_run": r.random() < 0.3}}


B9_JSON_KINDS = [B9_j_deep, B9_j_mcp, B9_j_mcp, B9_j_result, B9_j_result, B9_j_person, B9_j_paymethod, B9_j_webhook, B9_j_config, B9_j_messages, B9_j_http, B9_j_sheet]


def b9_json(f, r, loc):
    return r.choice(B9_JSON_KINDS)(f, r, loc)


# ----- self-check -----

def b9_check(i, kind, doc, w, text):
    want = b8_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        assert sp["type"] == lab_.typ and w.buf[sp["start"]:sp["end"]].decode("utf-8") == lab_.text, (i, sp)
        if lab_.typ == "PLACEHOLDER":
            assert lab_.text in B9_PLACEHOLDERS, (i, lab_.text)
        elif lab_.typ in ("PASSWORD", "GENERIC_SECRET"):
            assert len(lab_.text) >= 3 and not any(c.isspace() for c in lab_.text) and lab_.text not in B9_STANDIN, (i, lab_.text)
        else:
            assert b8_value_ok(lab_.typ, lab_.text.replace("\\n", "\n") if lab_.typ == "PRIVATE_KEY" else lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)


# ---------- blind10 (seed 1111) ----------
# An eleventh split written by a seventh helper who never read the detection rules, their docs or
# history and never ran the engine on it; labelled by the lead's taxonomy. Its own value generators
# (Luhn cards by brand, mod-97 IBANs built per country, SSNs, IPs, tokens of every vendor prefix,
# passwords, PEM keys), look-alikes (see b10_la: order / ticket / invoice / case / tracking / policy /
# customer numbers, SKUs, EAN/UPC/ISBN, IMEIs and serials, versions and builds, timestamps, epochs,
# durations, money, coordinates, hashes, UUIDs, base64, Luhn-failing cards, mod-97-failing IBANs,
# RF creditor references, VAT ids, routing numbers, meeting ids, MAC addresses, 9-digit non-SSNs,
# shapeless stand-ins, sentences about passwords) and document kinds (B10_TEXT_KINDS, B10_JSON_KINDS).
# Key-shaped documentation examples (full vendor prefix and body, visibly fake) are PLACEHOLDER;
# shapeless or truncated stand-ins (`<your-token>`, `${TOKEN}`, `changeme`, `ghp_…`) are unlabelled.
# Relative dates use B10_TODAY. Self-check: b10_check.

B10_TODAY = datetime.date(2026, 12, 5)
B10_LANG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B10_ABROAD = ["CH", "BE", "AT", "IE", "PT", "SE", "PL", "LU", "DK", "CA", "AU"]
B10_D = string.digits
B10_UP = string.ascii_uppercase
B10_UPD = string.ascii_uppercase + string.digits


class B10L(L):
    """A labelled value kept verbatim (no cleaning)."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b10_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out += b10_flat(*x)
        elif isinstance(x, L) or x:
            out.append(x)
    return out


def b10_js(*xs):
    """A JSON string value built from text pieces: line breaks become ' ¶ ', no quotes or backslashes."""
    out = []
    for p in b10_flat(*xs):
        if isinstance(p, L):
            assert p.typ == "PRIVATE_KEY" or not any(c in p.text for c in '"\\\n\t'), p.text
            out.append(p)
        else:
            out.append(p.replace("\\", "/").replace('"', "'").replace("\n", r" ¶ ").replace("\t", " "))
    return out


def b10_lang(loc):
    return B10_LANG[loc]


def b10_tr(loc, **kw):
    return kw.get(b10_lang(loc), kw["en"])


# ----- entity values -----

def b10_PH(r, loc, foreign=0.12):
    reg = r.choice(B10_ABROAD) if r.random() < foreign else REGION[loc]
    v = phone(r, reg, ["national", "national", "national", "intl", "intl", "e164", "intl00", "dashes", "dots", "intl_trunk"])
    return B10L("PHONE", v)


B10_MAILDOM = ["kpnmail.nl", "web.de", "t-online.de", "free.fr", "laposte.net", "gmail.com", "yahoo.es", "tiscali.it", "virgilio.it",
               "icloud.com", "hotmail.co.uk", "sky.com", "comcast.net", "aol.com", "brightmoor-logistics.com", "tuinhuis-vries.nl",
               "fahrradwerk-ost.de", "atelier-lumiere.fr", "ceramiche-ponte.it", "bodegas-robledal.es", "northgate-dental.co.uk", "oakridge-ortho.com"]


def b10_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and (c.isalnum() or c in ".-")).lower().strip(".-")


def b10_EM(f, r, fn=None, ln=None):
    fn = b10_ascii(fn or f.first_name()) or "kim"
    ln = b10_ascii(ln or f.last_name()) or "berg"
    local = r.choice([f"{fn}.{ln}", f"{fn}{ln[:1]}", f"{fn[:1]}.{ln}", f"{ln}{r.randint(1, 999)}", f"{fn}-{ln}", f"{fn}.{ln}+{r.choice(['orders', 'news', 'work'])}",
                      r.choice(["accounts", "facturation", "buchhaltung", "administracion", "amministrazione", "klantenservice", "ops-alerts", "payroll"])])
    v = f"{local}@{r.choice(B10_MAILDOM)}"
    if r.random() < 0.06:
        v = v.capitalize()
    return B10L("EMAIL", v)


B10_BRANDS = [("4", 16), ("4", 16), ("4", 13), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15), ("37", 15),
              ("6011", 16), ("65", 16), ("3528", 16), ("3589", 16), ("36", 14), ("4", 19)]


def b10_card_digits(r):
    pre, n = r.choice(B10_BRANDS)
    return luhn_digit(pre + rnd(r, B10_D, n - len(pre) - 1))


def b10_group_card(r, d):
    k = r.randrange(4)
    if k == 0 or len(d) not in (14, 15, 16):
        return d
    sep = " " if k < 3 else "-"
    if len(d) == 16:
        return sep.join(d[i:i + 4] for i in range(0, 16, 4))
    if len(d) == 15:
        return sep.join([d[:4], d[4:10], d[10:]])
    return sep.join([d[:4], d[4:10], d[10:]])


def b10_CC(r):
    d = b10_card_digits(r)
    assert luhn_ok(d)
    return B10L("CREDIT_CARD", b10_group_card(r, d))


B10_IBAN_FMT = {"DE": "n8n10", "GB": "a4n6n8", "FR": "n5n5c11n2", "ES": "n4n4n2n10", "IT": "a1n5n5c12", "NL": "a4n10", "BE": "n3n7n2",
                "AT": "n5n11", "CH": "n5c12", "IE": "a4n6n8", "PT": "n4n4n11n2", "LU": "n3c13", "PL": "n8n16"}
B10_NL_BANKS = ["ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB"]
B10_GB_BANKS = ["NWBK", "BARC", "LOYD", "HBUK", "MIDL", "MONZ", "SRLG"]


def b10_mod97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def b10_iban_raw(r, cc):
    fmt = B10_IBAN_FMT[cc]
    bban = ""
    for kind, n in re.findall(r"([anc])(\d+)", fmt):
        n = int(n)
        if kind == "n":
            bban += rnd(r, B10_D, n)
        elif kind == "c":
            bban += rnd(r, B10_UPD, n)
        elif n == 4 and cc == "NL":
            bban += r.choice(B10_NL_BANKS)
        elif n == 4 and cc in ("GB", "IE"):
            bban += r.choice(B10_GB_BANKS if cc == "GB" else ["AIBK", "BOFI", "IPBS"])
        else:
            bban += rnd(r, B10_UP, n)
    chk = 98 - b10_mod97(bban + cc + "00")
    v = f"{cc}{chk:02d}{bban}"
    assert b10_mod97(v[4:] + v[:4]) == 1
    return v


B10_HOMEBANK = {"en_US": "GB", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b10_IBAN(r, loc):
    cc = r.choice(list(B10_IBAN_FMT)) if r.random() < 0.2 else B10_HOMEBANK[loc]
    v = b10_iban_raw(r, cc)
    if r.random() < 0.55:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return B10L("IBAN", v)


def b10_ssn_value(r, style=None):
    while True:
        a, g, s = r.randint(1, 899), r.randint(1, 99), r.randint(1, 9999)
        if a != 666:
            break
    style = style or r.choice(["-", "-", "-", "-", " ", ""])
    return f"{a:03d}{style}{g:02d}{style}{s:04d}"


def b10_SSN(r, style=None):
    return B10L("US_SSN", b10_ssn_value(r, style))


def b10_IP4(r):
    k = r.randrange(6)
    if k == 0:
        v = f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    elif k == 1:
        v = f"192.168.{r.randint(0, 255)}.{r.randint(1, 254)}"
    elif k == 2:
        v = f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    else:
        v = f"{r.choice([31, 46, 77, 82, 84, 91, 109, 141, 151, 176, 185, 193, 212, 217, 52, 34, 66, 73, 98])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    return B10L("IPV4", v)


def b10_IP6(r):
    k = r.randrange(4)
    head = r.choice(["2a02", "2a01", "2001", "2003", "2607", "2a00", "2c0f", "fd3c"])
    groups = [head, "%x" % r.randint(0x10, 0xffff)] + ["%x" % r.randint(0, 0xffff) for _ in range(6)]
    if k == 0:
        v = ":".join(groups)
    elif k == 1:
        v = ":".join(g.zfill(4) for g in groups)
    elif k == 2:
        v = str(ipaddress.ip_address(":".join(groups[:4] + ["0", "0", "0", groups[7]])))
    else:
        v = str(ipaddress.ip_address(":".join(groups)))
    assert not ipaddress.ip_address(v).is_loopback
    return B10L("IPV6", v)


B10_MONTHS = {"en": "January February March April May June July August September October November December".split(),
              "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
              "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
              "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
              "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
              "nl": "januari februari maart april mei juni juli augustus september oktober november december".split()}


def b10_fmtdate(r, d, loc):
    lg = b10_lang(loc)
    k = r.randrange(6)
    if k == 0:
        return d.isoformat()
    if k == 1:
        if loc == "en_US":
            return f"{B10_MONTHS['en'][d.month - 1]} {d.day}, {d.year}"
        if lg == "en":
            return f"{d.day} {B10_MONTHS['en'][d.month - 1][:3]} {d.year}"
        return f"{d.day} {B10_MONTHS[lg][d.month - 1]} {d.year}" if lg != "es" else f"{d.day} de {B10_MONTHS['es'][d.month - 1]} de {d.year}"
    if loc == "en_US":
        return f"{d.month}/{d.day}/{d.year}" if k == 2 else f"{d.month:02d}/{d.day:02d}/{d.year}"
    sep = {"de": ".", "nl": "-"}.get(lg, "/")
    if k == 2 and lg == "de":
        return f"{d.day}.{d.month}.{d.year}"
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def b10_birthday(r):
    return B10_TODAY - datetime.timedelta(days=r.randint(17 * 365, 91 * 365))


def b10_DOB(r, loc):
    return B10L("DATE_OF_BIRTH", b10_fmtdate(r, b10_birthday(r), loc))


B10_DOB_LEAD = {"en": ["DOB ", "Date of Birth: ", "born ", "birthdate: ", "d.o.b. "],
                "de": ["Geb.-Datum: ", "Geburtstag: ", "geboren ", "Geburtsdatum "],
                "fr": ["date de naissance ", "Né le ", "née le ", "Naissance : "],
                "es": ["fecha de nacimiento ", "Nació el ", "F. de nacimiento: "],
                "it": ["nata il ", "Nato il ", "data nascita: ", "Data di nascita "],
                "nl": ["Geboren: ", "geboortedatum ", "geb. datum: "]}


def b10_dob_said(r, loc):
    return [r.choice(B10_DOB_LEAD[b10_lang(loc)]), b10_DOB(r, loc)]


def b10_when(r, loc, back=700, fwd=120):
    return b10_fmtdate(r, B10_TODAY + datetime.timedelta(days=r.randint(-back, fwd)), loc)


B10_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B10_URLSAFE = AN + "_-"
B10_VENDORS = ["AWS_ACCESS_KEY", "GITHUB_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY",
               "GOOGLE_API_KEY", "JWT"]


def b10_jwt(r):
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    hdr = {"alg": r.choice(["HS256", "RS256", "ES256", "HS512"]), "typ": "JWT"}
    if r.random() < 0.4:
        hdr["kid"] = rnd(r, HEX, 16)
    body = {"sub": r.choice([str(r.randint(10000, 99999999)), "user_" + rnd(r, AN, 10)]), "iat": r.randint(1_760_000_000, 1_790_000_000)}
    body["exp"] = body["iat"] + r.choice([900, 3600, 86400])
    if r.random() < 0.5:
        body["scope"] = r.choice(["read:orders", "admin", "openid profile email"])
    return ".".join([enc(hdr), enc(body), rnd(r, B10_URLSAFE, r.choice([43, 86, 342]))])


def b10_vendor(r, typ):
    if typ == "AWS_ACCESS_KEY":
        return r.choice(["AKIA", "AKIA", "ASIA"]) + rnd(r, B10_B32, 16)
    if typ == "GITHUB_TOKEN":
        if r.random() < 0.22:
            return "github_pat_" + "11" + rnd(r, B10_UPD, 20) + "_" + rnd(r, AN, 59)
        return r.choice(["ghp_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + rnd(r, AN, 36)
    if typ == "SLACK_TOKEN":
        k = r.randrange(5)
        if k == 4:
            return f"xapp-1-A{rnd(r, B10_UPD, 10)}-{rnd(r, B10_D, 13)}-{rnd(r, HEX, 64)}"
        return f"{['xoxb', 'xoxp', 'xoxb', 'xoxa'][k]}-{rnd(r, B10_D, r.choice([11, 12, 13]))}-{rnd(r, B10_D, 13)}-" + \
            (rnd(r, AN, 24) if k != 1 else f"{rnd(r, B10_D, 13)}-{rnd(r, HEX, 32)}")
    if typ == "STRIPE_KEY":
        return r.choice(["sk_live_", "sk_live_", "rk_live_"]) + rnd(r, AN, r.choice([24, 34, 99]))
    if typ == "OPENAI_KEY":
        k = r.randrange(3)
        if k == 0:
            return "sk-proj-" + rnd(r, B10_URLSAFE, 74) + "T3BlbkFJ" + rnd(r, B10_URLSAFE, 74)
        if k == 1:
            return "sk-svcacct-" + rnd(r, B10_URLSAFE, 74) + "T3BlbkFJ" + rnd(r, B10_URLSAFE, 74)
        return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
    if typ == "ANTHROPIC_KEY":
        return r.choice(["sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-"]) + rnd(r, B10_URLSAFE, 93) + "AA"
    if typ == "GOOGLE_API_KEY":
        return "AIza" + rnd(r, B10_URLSAFE, 35)
    return b10_jwt(r)


def b10_VT(r, typ=None):
    typ = typ or r.choice(B10_VENDORS)
    return B10L(typ, b10_vendor(r, typ))


def b10_gen_value(r):
    k = r.randrange(7)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 48, 64]))
    if k == 1:  # AWS-secret-access-key shaped
        return rnd(r, AN + "/+", 40)
    if k == 2:
        return rnd(r, AN, r.choice([20, 28, 36, 44]))
    if k == 3:
        return base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([24, 32, 33])))).decode()
    if k == 4:
        return r.choice(["key-", "sec_", "api_", "tk.", "srv-"]) + rnd(r, AN, r.choice([26, 32]))
    if k == 5:
        return f"{rnd(r, HEX, 8)}-{rnd(r, HEX, 4)}.{rnd(r, AN, 30)}"
    return rnd(r, B10_URLSAFE, 43)


def b10_GS(r):
    return B10L("GENERIC_SECRET", b10_gen_value(r))


def b10_CVC(r, n=None):
    n = n or r.choice([3, 3, 3, 4])
    return B10L("GENERIC_SECRET", rnd(r, B10_D, n))


B10_PWBASE = ["Zeppelin", "Aardbei", "papillon", "Tortellini", "Gaviota", "Eichhorn", "marmalade", "Octopus", "Giraffa", "Klomp",
              "Baguette", "Mandarina", "Stollen", "Vesuvio", "Regenboog", "thistle", "Pingouin", "Azulejo", "Kastanie", "Ombrello"]


def b10_pw_value(r, safe=False):
    k = r.randrange(6)
    if k == 0:
        v = r.choice(B10_PWBASE) + r.choice(["", "_", "."]) + str(r.randint(10, 2029)) + r.choice("!#$%&*+")
    elif k == 1:
        v = rnd(r, AN, r.choice([9, 12, 16, 20]))
    elif k == 2:
        v = r.choice(B10_PWBASE).lower() + r.choice(["-", "+", "~"]) + r.choice(B10_PWBASE).lower() + r.choice(["-", "+", "~"]) + str(r.randint(1, 99))
    elif k == 3:
        v = rnd(r, AN, 6) + r.choice("!#$%^*()[]{}=,;") + rnd(r, AN, 6)
    elif k == 4:
        w = r.choice(B10_PWBASE)
        v = "".join({"a": "@", "e": "3", "o": "0", "i": "!", "s": "5"}.get(c, c) for c in w) + str(r.randint(1, 99))
    else:
        v = r.choice(B10_PWBASE)[:4].upper() + rnd(r, B10_D, 4) + r.choice(B10_PWBASE)[-4:].lower() + r.choice("&%")
    if safe:  # for URLs, CLI quoting and CSV: no @ : / ' " , ; # ? % & = [ ] { } ( )
        v = "".join(c if c.isalnum() or c in "!*_.-~+$^" else r.choice("_.-!") for c in v)
    return v


def b10_PW(r, safe=False):
    return B10L("PASSWORD", b10_pw_value(r, safe))


def b10_pem_value(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
    width = 70 if kind == "OPENSSH PRIVATE KEY" else 64
    blob = base64.b64encode(bytes(r.randrange(256) for _ in range(r.randint(180, 420)))).decode()
    lines = [blob[i:i + width] for i in range(0, len(blob), width)]
    return sep.join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"])


def b10_PEM(r, sep="\n"):
    return B10L("PRIVATE_KEY", b10_pem_value(r, sep))


B10_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE", "AKIA0000000000000000", "AKIAXXXXXXXXXXXXXXXX",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_1234567890abcdefghijklmnopqrstuvwxyz", "ghp_YourPersonalAccessTokenGoesHere0000", "gho_000000000000000000000000000000000000",
    "ghs_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghr_EXAMPLE0000000000000000000000000000",
    "github_pat_11EXAMPLE0000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xoxb-000000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx", "xoxp-123456789012-123456789012-EXAMPLEexampleEXAMPLE00",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2", "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX", "rk_live_000000000000000000000000",
    "sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "sk-XXXXXXXXXXXXXXXXXXXXT3BlbkFJXXXXXXXXXXXXXXXXXXXX",
    "sk-ant-api03-" + "X" * 93 + "AA", "sk-ant-api03-your-api-key-here-000000000000000000000000",
    "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "AIzaSy00000000000000000000000000000000",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
]
B10_STANDINS = ["<your-token>", "${TOKEN}", "changeme", "xxxx", "xxxxxxxxxxxx", "<API_KEY>", "$SECRET_KEY", "{{ secrets.DEPLOY_TOKEN }}",
                "********", "•••••••", "[REDACTED]", "<paste-key-here>", "your_password_here", "TODO", "op://Infra/postgres/password",
                "vault:kv/data/app#token", "ghp_…", "sk_test_…", "sk-...", "%(db_pass)s", "ENC[AES256_GCM,data:…]", "!vault |", "null", "-"]


def b10_PH_(r):
    return B10L("PLACEHOLDER", r.choice(B10_PLACEHOLDERS))


def b10_anysecret(r):
    k = r.randrange(12)
    if k < 7:
        return b10_VT(r)
    if k < 10:
        return b10_GS(r)
    return b10_PH_(r)


def b10_person(f):
    return f.first_name(), f.last_name()


# ----- look-alikes (never labelled) -----

def b10_badcard(r):
    while True:
        pre, n = r.choice(B10_BRANDS[:12])
        d = pre + rnd(r, B10_D, n - len(pre))
        if not luhn_ok(d):
            return b10_group_card(r, d)


def b10_badiban(r):
    cc = r.choice(list(B10_IBAN_FMT))
    v = b10_iban_raw(r, cc)
    while True:
        i = r.randrange(4, len(v))
        c = r.choice(B10_D) if v[i].isdigit() else r.choice(B10_UP)
        w = v[:i] + c + v[i + 1:]
        if b10_mod97(w[4:] + w[:4]) != 1:
            break
    return " ".join(w[i:i + 4] for i in range(0, len(w), 4)) if r.random() < 0.5 else w


def b10_rf(r):
    ref = rnd(r, B10_D, r.randint(8, 16))
    chk = 98 - b10_mod97(ref + "RF00")
    v = f"RF{chk:02d}{ref}"
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if r.random() < 0.6 else v


def b10_non_ssn(r):
    k = r.randrange(5)
    if k == 0:
        return f"9{rnd(r, B10_D, 2)}-{rnd(r, B10_D, 2)}-{rnd(r, B10_D, 4)}"  # ITIN-like, not an SSN
    if k == 1:
        return f"{r.choice(['000', '666'])}-{rnd(r, B10_D, 2)}-{rnd(r, B10_D, 4)}"
    if k == 2:
        return f"EIN {r.randint(10, 99)}-{rnd(r, B10_D, 7)}"
    if k == 3:
        return f"routing {r.choice(['021000021', '011000138', '121000358', '026009593', '071000013', '322271627'])}"
    return f"{rnd(r, B10_D, 3)}-{'00'}-{rnd(r, B10_D, 4)}"


B10_PW_ABOUT = {
    "en": ["Passwords need 14+ characters and one symbol.", "Sent the customer the self-service password reset page.",
           "Password rotation is due next quarter.", "He can't remember which password he used.", "The password manager export failed, retrying."],
    "de": ["Das Kennwort muss mindestens 12 Zeichen haben.", "Kunde hat das Passwort-Zurücksetzen angefordert.", "Passwortwechsel alle 90 Tage."],
    "fr": ["Le mot de passe doit contenir au moins un chiffre.", "Lien de réinitialisation du mot de passe renvoyé.", "Aucun mot de passe n'est stocké en clair."],
    "es": ["La contraseña debe tener al menos 10 caracteres.", "Se envió el enlace para restablecer la contraseña.", "No guardamos contraseñas en texto plano."],
    "it": ["La password deve avere almeno 12 caratteri.", "Inviato il link per reimpostare la password.", "Cambio password obbligatorio ogni 3 mesi."],
    "nl": ["Het wachtwoord moet minstens 12 tekens bevatten.", "Link om het wachtwoord te herstellen is verstuurd.", "Wachtwoorden worden nooit per mail gedeeld."],
}


def b10_la(f, r, loc, g=None):
    g = r.randrange(37) if g is None else g
    d = B10_D
    lg = b10_lang(loc)
    if g == 0: return f"{b10_tr(loc, en='order', de='Bestellung', fr='commande', es='pedido', it='ordine', nl='bestelling')} {rnd(r, d, 3)}-{rnd(r, d, 7)}-{rnd(r, d, 7)}"
    if g == 1: return r.choice([f"TCK-{rnd(r, d, 6)}", f"SR{rnd(r, d, 10)}", f"#{r.randint(100000, 9999999)}", f"JIRA OPS-{r.randint(100, 9999)}"])
    if g == 2: return r.choice([f"RE-{B10_TODAY.year}-{rnd(r, d, 6)}", f"F{B10_TODAY.year}/{rnd(r, d, 5)}", f"INV{rnd(r, d, 9)}", f"FAC-{rnd(r, d, 4)}-{rnd(r, d, 4)}"])
    if g == 3: return f"{b10_tr(loc, en='case', de='Fall', fr='dossier', es='expediente', it='sinistro', nl='dossier')} {rnd(r, d, 2)}/{rnd(r, d, 7)}"
    if g == 4: return r.choice([f"1Z{rnd(r, B10_UPD, 6)}{rnd(r, d, 10)}", f"00340434{rnd(r, d, 12)}", f"3S{rnd(r, B10_UP, 4)}{rnd(r, d, 9)}",
                                f"LX{rnd(r, d, 9)}NL", f"{rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 4)}", f"JVGL{rnd(r, d, 16)}"])
    if g == 5: return f"{b10_tr(loc, en='policy', de='Versicherungsschein', fr='police', es='póliza', it='polizza', nl='polisnummer')} {rnd(r, B10_UP, 3)}{rnd(r, d, 9)}"
    if g == 6: return f"{b10_tr(loc, en='customer no.', de='Kundennr.', fr='n° client', es='n.º cliente', it='cod. cliente', nl='klantnr.')} {rnd(r, d, r.choice([7, 8, 10]))}"
    if g == 7: return f"SKU {rnd(r, B10_UP, 2)}{rnd(r, d, 4)}-{r.choice(['RED', 'S', 'XXL', '1KG', '6PK'])}"
    if g == 8: return f"EAN {gs1(r.choice(['400', '871', '300', '800', '840', '500', '560']) + rnd(r, d, 9))}"
    if g == 9:
        v = gs1("978" + rnd(r, d, 9))
        return f"ISBN {v[:3]}-{v[3]}-{v[4:7]}-{v[7:12]}-{v[12]}" if r.random() < 0.5 else f"ISBN {v}"
    if g == 10: return f"UPC {gs1(rnd(r, d, 11))}"
    if g == 11: return f"IMEI {luhn_digit(r.choice(['35', '86', '01', '49']) + rnd(r, d, 12))}"
    if g == 12: return r.choice([f"S/N {rnd(r, B10_UPD, 12)}", f"serial C02{rnd(r, B10_UPD, 9)}", f"SN:{rnd(r, d, 14)}"])
    if g == 13: return r.choice([f"v{r.randint(0, 9)}.{r.randint(0, 60)}.{r.randint(0, 40)}", f"{r.randint(1, 5)}.{r.randint(0, 12)}.{r.randint(0, 9)}-rc.{r.randint(1, 4)}+build.{r.randint(100, 9999)}",
                                 f"build {B10_TODAY.year}{r.randint(1, 12):02d}{r.randint(1, 28):02d}.{r.randint(1, 9)}", f"Chrome/{r.randint(118, 131)}.0.{r.randint(5000, 6999)}.{r.randint(10, 200)}",
                                 f"firmware {r.randint(1, 9)}.{r.randint(0, 12)}.{r.randint(0, 40)}.{r.randint(1, 200)}"])
    if g == 14:
        t = datetime.datetime(2026, r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
        return r.choice([t.isoformat() + r.choice(["Z", "+01:00", ".512Z", "-05:00"]), t.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                         t.strftime("%Y/%m/%d %H:%M:%S") + f".{rnd(r, d, 3)}", t.strftime("%Y%m%dT%H%M%SZ"), t.strftime("%d/%b/%Y:%H:%M:%S +0100")])
    if g == 15: return str(r.randint(1_700_000_000, 1_799_999_999)) + r.choice(["", "", rnd(r, d, 3)])
    if g == 16: return r.choice([f"took {r.randint(2, 99999)} ms", f"PT{r.randint(1, 9)}H{r.randint(1, 59)}M", f"uptime {r.randint(1, 400)}d {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
                                 f"{r.randint(1, 9)}h {r.randint(1, 59)}min", f"{r.uniform(0.1, 99):.3f}s"])
    if g == 17: return r.choice([f"{r.randint(1, 99)}.{rnd(r, d, 3)},{rnd(r, d, 2)} €", f"${r.randint(1, 99)},{rnd(r, d, 3)}.{rnd(r, d, 2)}", f"CHF {r.randint(1, 9)}'{rnd(r, d, 3)}.{rnd(r, d, 2)}",
                                 f"£{r.randint(1, 999)}.{rnd(r, d, 2)}", f"EUR {r.randint(100, 99999)},{rnd(r, d, 2)}"])
    if g == 18: return r.choice([f"{r.uniform(35, 60):.6f}, {r.uniform(-10, 20):.6f}", f"{r.randint(36, 59)}°{r.randint(0, 59)}′{r.randint(0, 59)}″N {r.randint(0, 15)}°{r.randint(0, 59)}′{r.randint(0, 59)}″E",
                                 f"lat={r.uniform(-40, 60):.5f}&lng={r.uniform(-120, 30):.5f}"])
    if g == 19: return r.choice([f"commit {rnd(r, HEX, 40)}", f"sha256:{rnd(r, HEX, 64)}", f"({rnd(r, HEX, 7)})", f"md5={rnd(r, HEX, 32)}", f"ETag: \"{rnd(r, HEX, 32)}\""])
    if g == 20: return str(f.uuid4()) if r.random() < 0.7 else str(f.uuid4()).upper()
    if g == 21: return r.choice(["attachment;base64,", "thumbnail ", "nonce="]) + base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([12, 27, 45, 60])))).decode()
    if g == 22: return f"{b10_tr(loc, en='card', de='Karte', fr='carte', es='tarjeta', it='carta', nl='kaart')} {b10_badcard(r)}"
    if g == 23: return f"IBAN {b10_badiban(r)}"
    if g == 24: return f"{b10_tr(loc, en='payment ref', de='Verwendungszweck', fr='référence', es='referencia', it='riferimento', nl='betalingskenmerk')} {b10_rf(r)}"
    if g == 25: return b10_non_ssn(r)
    if g == 26: return r.choice(B10_STANDINS)
    if g == 27: return r.choice(B10_PW_ABOUT[lg])
    if g == 28: return r.choice([f"Meeting ID: {rnd(r, d, 3)} {rnd(r, d, 4)} {rnd(r, d, 4)}", f"PIN {rnd(r, d, 6)}#", f"conf. code {rnd(r, d, 4)} {rnd(r, d, 3)}"])
    if g == 29: return ":".join(rnd(r, HEX, 2) for _ in range(6)) if r.random() < 0.5 else "-".join(rnd(r, HEX, 2) for _ in range(6)).upper()
    if g == 30:
        cc = {"de": "DE", "fr": "FR", "es": "ES", "it": "IT", "nl": "NL"}.get(lg, "GB")
        body = {"DE": rnd(r, d, 9), "FR": rnd(r, d, 11), "ES": "B" + rnd(r, d, 8), "IT": rnd(r, d, 11), "NL": rnd(r, d, 9) + "B01", "GB": rnd(r, d, 9)}[cc]
        return f"{b10_tr(loc, en='VAT', de='USt-IdNr.', fr='TVA intracom.', es='NIF-IVA', it='P.IVA', nl='btw-id')} {cc}{body}"
    if g == 31: return f"{b10_tr(loc, en='delivery', de='Liefertermin', fr='livraison le', es='entrega', it='consegna', nl='levering')} {b10_when(r, loc, 30, 60)}"
    if g == 32: return f"{b10_tr(loc, en='expires', de='gültig bis', fr='expire', es='caduca', it='scade', nl='geldig tot')} {r.randint(1, 12):02d}/{r.randint(27, 31)}"
    if g == 33: return r.choice([f"sort code {rnd(r, d, 2)}-{rnd(r, d, 2)}-{rnd(r, d, 2)}, acct {rnd(r, d, 8)}", f"BIC {rnd(r, B10_UP, 4)}{r.choice(['DE', 'FR', 'NL', 'IT', 'ES', 'GB'])}{rnd(r, B10_UPD, 2)}{r.choice(['', 'XXX'])}"])
    if g == 34: return r.choice([f"port {r.randint(1024, 65535)}", f"OID 1.3.6.1.4.1.{r.randint(100, 99999)}.{r.randint(1, 9)}", f"lot {rnd(r, B10_UPD, 6)}", f"PO {r.randint(4500000000, 4599999999)}"])
    if g == 36: return r.choice([f"•••• {rnd(r, d, 4)}", f"XXXX-XXXX-XXXX-{rnd(r, d, 4)}", f"**** **** **** {rnd(r, d, 4)}", f"{rnd(r, d, 6)}******{rnd(r, d, 4)}",
                                 f"{r.choice(['DE', 'NL', 'FR', 'IT', 'ES'])}{rnd(r, d, 2)} **** **** {rnd(r, d, 4)}", f"***-**-{rnd(r, d, 4)}"])
    return f"{b10_tr(loc, en='qty', de='Menge', fr='qté', es='cant.', it='q.tà', nl='aantal')} {r.randint(1, 250)} x {r.randint(1, 999)},{rnd(r, d, 2)}"


def b10_semver(r):
    return r.choice([f"{r.randint(0, 9)}.{r.randint(0, 60)}.{r.randint(0, 40)}", f"{r.randint(1, 5)}.{r.randint(0, 12)}.{r.randint(0, 9)}-rc.{r.randint(1, 4)}",
                     f"{B10_TODAY.year}.{r.randint(1, 12)}.{r.randint(0, 30)}"])


def b10_las(f, r, loc, n=2, sep="; "):
    return sep.join(b10_la(f, r, loc) for _ in range(n))


# ----- passwords said and keyed, per language -----

B10_PW_LEAD = {
    "en": ["the one-time password we set is ", "login is her e-mail and the password ", "I've set it to ", "new pass: ", "temporary credentials -> pw ",
           "use passphrase ", "PW: "],
    "de": ["das vorläufige Passwort ist ", "Zugangskennwort lautet ", "neues PW: ", "Passwort zum Portal: ", "Kennwort gesetzt auf "],
    "fr": ["son mot de passe provisoire : ", "le mdp est ", "mot de passe du portail = ", "j'ai mis le mot de passe ", "MDP : "],
    "es": ["la contraseña temporal es ", "su clave es ", "contraseña del portal = ", "le puse la contraseña ", "pass: "],
    "it": ["la password provvisoria è ", "pwd del portale: ", "ho impostato la password ", "nuova password = ", "PASSWORD "],
    "nl": ["het tijdelijke wachtwoord is ", "ww: ", "wachtwoord voor het portaal = ", "ik heb het wachtwoord gezet op ", "nieuw wachtwoord "],
}
B10_PW_KEYS = {
    "en": ["password", "user_password", "smtp_pass", "pwd", "Password", "passphrase", "PASS"],
    "de": ["passwort", "kennwort", "Passwort", "zugangspasswort", "KENNWORT"],
    "fr": ["mot_de_passe", "motdepasse", "mdp", "MotDePasse"],
    "es": ["contraseña", "contrasena", "clave_acceso", "Contrasenya"],
    "it": ["password", "parola_segreta", "pwd_utente", "Password"],
    "nl": ["wachtwoord", "wachtw", "toegangswachtwoord", "Wachtwoord"],
}
B10_SECRET_KEYS = ["client_secret", "hmac_key", "signing_secret", "api_key", "access_token", "refresh_token", "encryption_key",
                   "aws_secret_access_key", "session_key", "webhook_signing_key", "CONSUMER_SECRET", "bearer_token", "app_key"]


def b10_pw_said(r, loc, safe=False):
    return [r.choice(B10_PW_LEAD[b10_lang(loc)]), b10_PW(r, safe)]


def b10_pwkey(r, loc):
    return r.choice(B10_PW_KEYS[b10_lang(loc)] + B10_PW_KEYS["en"][:2])


# ----- text documents -----

def B10_helpdesk(f, r, loc):
    fn, ln = b10_person(f)
    subj = b10_tr(loc, en="Locked out after phone change", de="Konto gesperrt nach Handywechsel", fr="Compte bloqué après changement de téléphone",
                  es="Cuenta bloqueada tras cambiar de móvil", it="Account bloccato dopo cambio telefono", nl="Account geblokkeerd na nieuwe telefoon")
    return [f"Ticket {b10_la(f, r, loc, 1)} | {subj}\nStatus: open · Priority: P{r.randint(1, 4)}\n",
            f"Requester: {fn} {ln} (", b10_EM(f, r, fn, ln), ")\n",
            b10_tr(loc, en="Phone on file: ", de="Hinterlegte Nummer: ", fr="Numéro enregistré : ", es="Teléfono registrado: ", it="Numero registrato: ", nl="Bekend nummer: "),
            b10_PH(r, loc), "\n", b10_tr(loc, en="New number: ", de="Neue Nummer: ", fr="Nouveau numéro : ", es="Número nuevo: ", it="Nuovo numero: ", nl="Nieuw nummer: "),
            b10_PH(r, loc), "\n\n", r.choice(B10_PW_ABOUT[b10_lang(loc)]), " ", b10_pw_said(r, loc), "\n",
            f"Linked: {b10_las(f, r, loc, 3, ', ')}\n"]


def B10_livechat(f, r, loc):
    a = f.first_name()
    lines = [f"{B10_TODAY.isoformat()} {r.randint(9, 17):02d}:{r.randint(10, 59)} Agent {a}: " +
             b10_tr(loc, en="How can I help?", de="Wie kann ich helfen?", fr="Comment puis-je vous aider ?", es="¿En qué puedo ayudarle?", it="Come posso aiutarla?", nl="Waarmee kan ik helpen?") + "\n",
             "Visitor: ", b10_tr(loc, en="card got declined, it's ", de="Karte abgelehnt, Nummer ", fr="carte refusée, c'est la ", es="me rechazan la tarjeta, es la ", it="carta rifiutata, è la ", nl="kaart geweigerd, het is "),
             b10_CC(r), b10_tr(loc, en=" cvv ", de=" Prüfziffer ", fr=" cryptogramme ", es=" CVV ", it=" CVV ", nl=" CVC "), b10_CVC(r), "\n",
             f"Agent {a}: ", b10_tr(loc, en="Please never post card data here. Which e-mail is the account under?", de="Bitte keine Kartendaten im Chat. Welche E-Mail?",
                                     fr="Merci de ne pas écrire vos données de carte ici. Quelle adresse e-mail ?", es="No comparta datos de tarjeta aquí. ¿Qué correo?",
                                     it="Non scriva i dati della carta in chat. Quale e-mail?", nl="Deel geen kaartgegevens in de chat. Welk e-mailadres?"), "\n",
             "Visitor: ", b10_EM(f, r), " — ", b10_la(f, r, loc, 0), "\n",
             f"Agent {a}: ", b10_la(f, r, loc, 27), "\n"]
    return lines


def b10_nbsp(r, lab):
    """A phone pasted from a word processor: inner spaces sometimes no-break spaces (U+00A0)."""
    return B10L(lab.typ, lab.text.replace(" ", "\u00a0")) if r.random() < 0.25 else lab


def B10_mailthread(f, r, loc):
    fn, ln = b10_person(f)
    gn, gl = b10_person(f)
    hi = b10_tr(loc, en="Hi", de="Hallo", fr="Bonjour", es="Hola", it="Ciao", nl="Hoi")
    wrote = b10_tr(loc, en="wrote", de="schrieb", fr="a écrit", es="escribió", it="ha scritto", nl="schreef")
    return [f"Subject: RE: RE: {b10_la(f, r, loc, 2)}\nFrom: \"{fn} {ln}\" <", b10_EM(f, r, fn, ln), ">\nCc: ", b10_EM(f, r), "\n\n",
            f"{hi} {gn},\n", b10_tr(loc, en="the remittance went to ", de="die Zahlung ging an ", fr="le virement est parti vers ", es="la transferencia fue a ",
                                      it="il bonifico è andato su ", nl="de betaling ging naar "), b10_IBAN(r, loc), f" ({b10_la(f, r, loc, 17)}).\n\n",
            f"{fn}\n{r.choice(['Tel.', 'T', 'Mob.', 'Direct:', 'Cell'])} ", b10_nbsp(r, b10_PH(r, loc)), "\n", f"{r.choice(['Fax', 'Switchboard', 'Zentrale', 'Standard'])} ", b10_PH(r, loc),
            "\n\n", f"On {b10_when(r, loc)} {gn} {gl} <", b10_EM(f, r, gn, gl), f"> {wrote}:\n> ",
            b10_tr(loc, en="can you resend? our ref is ", de="bitte nochmal senden, unsere Ref. ", fr="pouvez-vous renvoyer ? notre réf. ", es="¿puede reenviarlo? ref. ",
                   it="può rinviare? rif. ", nl="kun je het opnieuw sturen? ref. "), b10_la(f, r, loc, 24), "\n> \n> > ", b10_la(f, r, loc, 14), "\n> > call me on ", b10_PH(r, loc), "\n"]


def B10_crm(f, r, loc):
    fn, ln = b10_person(f)
    return [f"[{b10_when(r, loc, 60, 0)}] {r.choice(['Call', 'Visit', 'Note'])} — {fn} {ln}\n", b10_dob_said(r, loc), "; ",
            b10_tr(loc, en="mobile ", de="Handy ", fr="portable ", es="móvil ", it="cellulare ", nl="mobiel "), b10_PH(r, loc), "; ",
            b10_tr(loc, en="wants invoices to ", de="Rechnungen an ", fr="factures à ", es="facturas a ", it="fatture a ", nl="facturen naar "), b10_EM(f, r, fn, ln), "\n",
            f"{b10_la(f, r, loc, 6)}, {b10_la(f, r, loc, 5)}, {b10_la(f, r, loc, 31)}\n"]


def B10_hr(f, r, loc):
    fn, ln = b10_person(f)
    out = [f"Onboarding: {ln}, {fn} — start {b10_when(r, loc, 0, 40)}\n", b10_dob_said(r, loc), "\n"]
    if loc == "en_US":
        out += ["SSN ", b10_SSN(r), " (W-4 on file), ", b10_la(f, r, loc, 25), "\n"]
    else:
        out += [b10_tr(loc, en="Salary account ", de="Gehaltskonto ", fr="Compte salaire ", es="Cuenta nómina ", it="Conto stipendio ", nl="Salarisrekening "), b10_IBAN(r, loc), "\n"]
    out += ["Laptop ", b10_la(f, r, loc, 12), ", ", b10_tr(loc, en="first-login ", de="Erst-Login ", fr="première connexion ", es="primer acceso ", it="primo accesso ", nl="eerste login "),
            b10_pw_said(r, loc), "\n", b10_tr(loc, en="Emergency contact: ", de="Notfallkontakt: ", fr="Contact d'urgence : ", es="Contacto de emergencia: ", it="Contatto di emergenza: ", nl="Noodcontact: "),
            f"{f.first_name()} ", b10_PH(r, loc), "\n"]
    return out


def B10_postmortem(f, r, loc):
    return [f"## Post-incident review {b10_la(f, r, loc, 1)}\n\n**Impact:** checkout errors ({b10_la(f, r, loc, 16)}), first seen {b10_la(f, r, loc, 14)}.\n",
            "**Timeline**\n- first alert from ", b10_IP4(r), f":{r.choice([443, 8443, 5432, 6379])} (edge) and [", b10_IP6(r), f"]:{r.choice([443, 8443])}\n",
            "- a deploy token was pasted into #incident: `", b10_VT(r), "` (revoked)\n",
            "- customer ", b10_EM(f, r), " escalated via phone ", b10_PH(r, loc), "\n",
            f"- fixed in {b10_la(f, r, loc, 13)}, {b10_la(f, r, loc, 19)}\n\n**Follow-ups:** {b10_la(f, r, loc, 27)}\n"]


def B10_bashhist(f, r, loc):
    host = r.choice(["db-eu-1", "pg-main", "mysql-02", "reporting"])
    return [f"  {r.randint(100, 999)}  ssh -i ~/.ssh/id_ed25519 ops@", b10_IP4(r), "\n",
            f"  {r.randint(100, 999)}  mysql -h {host} -u root -p'", b10_PW(r, True), "' shop < dump.sql\n",
            f"  {r.randint(100, 999)}  export GH_TOKEN=", b10_VT(r, "GITHUB_TOKEN"), "\n",
            f"  {r.randint(100, 999)}  aws configure set aws_access_key_id ", b10_VT(r, "AWS_ACCESS_KEY"), "\n",
            f"  {r.randint(100, 999)}  aws configure set aws_secret_access_key ", B10L("GENERIC_SECRET", rnd(r, AN + "/+", 40)), "\n",
            f"  {r.randint(100, 999)}  git checkout {rnd(r, HEX, 7)} && make release VERSION={b10_semver(r)}\n",
            f"  {r.randint(100, 999)}  ", r.choice([["docker login registry.", r.choice(B10_MAILDOM), " -u ci --password "], ["mongosh --host ", b10_IP4(r), " -u etl --password "],
                                                   ["sshpass -p '"]]), b10_PW(r, True), r.choice(["", " # fixme"]), "\n",
            f"  {r.randint(100, 999)}  history | grep {r.choice(['TOKEN', 'passw', 'key'])}\n"]


def B10_cilog(f, r, loc):
    t = lambda: f"2026-12-0{r.randint(1, 4)}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, B10_D, 7)}Z"
    return [f"{t()} ##[group]Run docker login ghcr.io -u ci-bot --password-stdin\n{t()} ##[endgroup]\n",
            f"{t()} Login Succeeded\n{t()} Step 4/9 : ARG NPM_TOKEN\n", f"{t()} Waiting for postgres at ", b10_IP4(r), f":5432 ... ready after {b10_la(f, r, loc, 16)}\n",
            f"{t()} + curl -sS -H 'Authorization: token ", b10_VT(r, "GITHUB_TOKEN"), "' https://api.github.com/repos/acme/web/releases\n",
            f"{t()} DEBUG env SLACK_BOT_TOKEN=", b10_VT(r, "SLACK_TOKEN"), "\n",
            f"{t()} DEBUG env DEPLOY_HOOK_SECRET=", b10_GS(r), "\n",
            f"{t()} warning: example key in README: ", b10_PH_(r), "\n",
            f"{t()} Tests: {r.randint(100, 900)} passed, {r.randint(0, 3)} skipped ({b10_la(f, r, loc, 16)})\n{t()} artifact {b10_la(f, r, loc, 19)}\n"]


def B10_pytrace(f, r, loc):
    pw = b10_PW(r, True)
    return ["Traceback (most recent call last):\n  File \"/srv/app/jobs/sync.py\", line ", str(r.randint(20, 400)), ", in run\n",
            "    conn = psycopg2.connect(DSN)\n", "psycopg2.OperationalError: connection to server at \"", b10_IP4(r), "\", port 5432 failed\n",
            "DSN was postgresql://sync_user:", pw, "@", r.choice(["pg.internal", "db.prod.lan", b10_IP4(r)]), f":5432/ledger?sslmode=require\n",
            f"job_id={f.uuid4()} attempt={r.randint(1, 5)} elapsed={b10_la(f, r, loc, 16)}\n"]


def B10_javatrace(f, r, loc):
    return [f"{b10_la(f, r, loc, 14)} ERROR [main] o.h.e.j.s.SqlExceptionHelper - Access denied for user 'billing'@'", b10_IP4(r), "'\n",
            "java.sql.SQLException: Cannot create PoolableConnectionFactory (jdbc:mysql://mysql-01:3306/billing?user=billing&password=",
            b10_PW(r, True), "&useSSL=true)\n", f"\tat com.zaxxer.hikari.pool.HikariPool.<init>(HikariPool.java:{r.randint(60, 600)})\n",
            f"\tat eu.shop.Boot.main(Boot.java:{r.randint(10, 99)})\n", f"Caused by: {b10_la(f, r, loc, 19)}\n"]


def B10_sql(f, r, loc):
    fn, ln = b10_person(f)
    return ["-- hotfix ", b10_la(f, r, loc, 1), "\nINSERT INTO customers (first_name, last_name, email, phone, birth_date, iban) VALUES\n",
            f"  ('{fn}', '{ln.replace(chr(39), ' ')}', '", b10_EM(f, r, fn, ln), "', '", b10_PH(r, loc), "', '", B10L("DATE_OF_BIRTH", b10_birthday(r).isoformat()),
            "', '", b10_IBAN(r, loc), "');\n", f"UPDATE orders SET status='shipped', tracking='{b10_la(f, r, loc, 4)}' WHERE id = {r.randint(10**6, 10**8)};\n",
            "CREATE USER report_ro WITH PASSWORD '", b10_PW(r, True), "';\n", f"-- {b10_la(f, r, loc, 27)}\n"]


def B10_dotenv(f, r, loc):
    return ["# .env.production — do not commit\n", f"APP_VERSION={b10_semver(r)}\n", "DATABASE_URL=mysql://shop:", b10_PW(r, True), "@",
            r.choice(["db", "mariadb", b10_IP4(r)]), ":3306/shop\n", "STRIPE_SECRET=", b10_VT(r, "STRIPE_KEY"), "\n", "OPENAI_API_KEY=", b10_VT(r, "OPENAI_KEY"), "\n",
            "SESSION_SECRET=", b10_GS(r), "\n", "SENTRY_DSN_PUBLIC_ID=", rnd(r, HEX, 32), "\n", "MAIL_FROM=", b10_EM(f, r), "\n",
            f"SMTP_PASSWORD={r.choice(B10_STANDINS[:6])}\n", "# sample value from the vendor docs: ", b10_PH_(r), "\n", "ANTHROPIC_API_KEY=", b10_VT(r, "ANTHROPIC_KEY"), "\n"]


def B10_yaml(f, r, loc):
    k = b10_pwkey(r, loc)
    return ["spring:\n  datasource:\n    url: jdbc:postgresql://", b10_IP4(r), ":5432/crm\n    username: crm_app\n    ", f"{k}: ", b10_PW(r, True), "\n",
            "  mail:\n    host: smtp.", r.choice(B10_MAILDOM), "\n    username: ", b10_EM(f, r), "\n    password: '", b10_PW(r, True), "'\n",
            "integrations:\n  maps:\n    google_api_key: ", b10_VT(r, "GOOGLE_API_KEY"), "\n  webhook:\n    signing_secret: \"", b10_GS(r), "\"\n",
            f"    timeout: {r.randint(1, 60)}s\n  build: \"{b10_la(f, r, loc, 13)}\"\n  fallback_token: \"{r.choice(B10_STANDINS)}\"\n"]


def B10_toml(f, r, loc):
    return ["[server]\nbind = \"", b10_IP6(r), "\"\nport = ", str(r.randint(1024, 9999)), "\n\n[database]\nuser = \"ledger\"\n", f"{b10_pwkey(r, loc)} = \"", b10_PW(r, True), "\"\n\n",
            "[providers.anthropic]\napi_key = \"", b10_VT(r, "ANTHROPIC_KEY"), "\"\n\n[providers.internal]\nkey = \"", b10_GS(r), "\"\n",
            f"release = \"{b10_la(f, r, loc, 13)}\"\nchecksum = \"{rnd(r, HEX, 64)}\"\n"]


def B10_ini(f, r, loc):
    return ["; odbc.ini\n[ERP_PROD]\nDriver=FreeTDS\nServer=", b10_IP4(r), "\nPort=1433\nUID=erp_sync\nPWD=", b10_PW(r, True), "\n\n",
            f"[alerts]\nsmtp_user=", b10_EM(f, r), f"\n{b10_pwkey(r, loc)}=", b10_PW(r, True), "\nrecipients=", b10_EM(f, r), ",", b10_EM(f, r), "\n",
            f"; last change {b10_la(f, r, loc, 14)} by {f.first_name()}\n"]


def B10_xml(f, r, loc):
    return ["<?xml version=\"1.0\"?>\n<settings>\n  <servers>\n    <server>\n      <id>nexus-releases</id>\n      <username>deployer</username>\n",
            "      <password>", b10_PW(r, True), "</password>\n    </server>\n  </servers>\n</settings>\n",
            "<!-- web.config -->\n<add name=\"Orders\" connectionString=\"Server=", b10_IP4(r), ";Database=Orders;User Id=orders_app;Password=", b10_PW(r, True),
            ";\" />\n<add key=\"PaymentApiKey\" value=\"", b10_GS(r), "\" />\n", f"<add key=\"BuildNumber\" value=\"{b10_la(f, r, loc, 13)}\" />\n"]


def B10_k8s(f, r, loc):
    e = lambda s: base64.b64encode(s.encode()).decode()
    return ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: payments-api\n  namespace: ", r.choice(["prod", "staging", "eu-west"]),
            f"\n  resourceVersion: \"{r.randint(10**6, 10**8)}\"\n  uid: {f.uuid4()}\ntype: Opaque\ndata:\n  DB_USER: {e('payments')}\n",
            "  DB_PASSWORD: ", B10L("PASSWORD", e(b10_pw_value(r))), "\n  HMAC_SECRET: ", B10L("GENERIC_SECRET", e(b10_gen_value(r))), "\n",
            f"  DB_HOST: {e('pg-payments.prod.svc.cluster.local')}\n  tls.crt: {base64.b64encode(bytes(r.randrange(256) for _ in range(60))).decode()}\n"]


def B10_compose(f, r, loc):
    return ["version: \"3.9\"\nservices:\n  mariadb:\n    image: mariadb:11.4\n    environment:\n      MARIADB_ROOT_PASSWORD: ", b10_PW(r, True),
            "\n      MARIADB_USER: shop\n  mailer:\n    image: ", f"registry.example.internal/mailer@sha256:{rnd(r, HEX, 64)}", "\n    environment:\n",
            "      - SMTP_USER=", b10_EM(f, r), "\n      - SMTP_PASS=", b10_PW(r, True), "\n      - SLACK_TOKEN=", b10_VT(r, "SLACK_TOKEN"), "\n",
            f"      - API_KEY={r.choice(B10_STANDINS[:5])}\n", "      - GHCR_PASSWORD=", b10_VT(r, "GITHUB_TOKEN"), "  # a PAT with read:packages\n",
            f"    ports:\n      - \"{r.randint(8000, 8999)}:8080\"\n"]


def B10_curl(f, r, loc):
    return ["curl -X POST https://api.", r.choice(["pay.example.net", "crm.internal", "ledger.acme.io"]), "/v2/customers \\\n  -u admin:", b10_PW(r, True), " \\\n",
            "  -H 'X-API-Key: ", b10_GS(r), "' \\\n  -H 'Content-Type: application/json' \\\n  -d '{\"email\":\"", b10_EM(f, r), "\",\"phone\":\"", b10_PH(r, loc),
            "\",\"ref\":\"", b10_la(f, r, loc, 0), "\"}'\n", "# then: curl -H \"Authorization: Bearer ", b10_VT(r, r.choice(["JWT", "OPENAI_KEY", "ANTHROPIC_KEY"])),
            "\" https://api.example.net/v2/me\n", "curl -s 'https://maps.googleapis.com/maps/api/geocode/json?latlng=",
            f"{r.uniform(36, 58):.5f},{r.uniform(-9, 18):.5f}", "&key=", b10_VT(r, "GOOGLE_API_KEY"), "' | jq .status\n"]


def B10_httpdump(f, r, loc):
    return ["POST /session HTTP/1.1\nHost: portal.", r.choice(B10_MAILDOM), "\nX-Forwarded-For: ", b10_IP4(r), ", ", b10_IP4(r), "\n",
            "Authorization: Bearer ", b10_VT(r, "JWT"), "\nCookie: _ga=GA1.2.", f"{r.randint(10**8, 10**9)}.{r.randint(1_700_000_000, 1_790_000_000)}; sid=", b10_GS(r),
            f"\nX-Request-Id: {f.uuid4()}\nContent-Type: application/x-www-form-urlencoded\n\n", "username=", b10_EM(f, r), "&password=", B10L("PASSWORD", rnd(r, AN, r.choice([10, 13, 16]))),
            "&remember=1\n"]


def B10_csv(f, r, loc):
    sep = "," if b10_lang(loc) == "en" else ";"
    hdr = b10_tr(loc, en=["name", "email", "phone", "date_of_birth", "customer"], de=["Name", "E-Mail", "Telefon", "Geburtsdatum", "Kundennr"],
                 fr=["nom", "courriel", "téléphone", "date_naissance", "client"], es=["nombre", "correo", "teléfono", "fecha_nacimiento", "cliente"],
                 it=["nome", "email", "telefono", "data_nascita", "cliente"], nl=["naam", "e-mail", "telefoon", "geboortedatum", "klant"])
    out = [sep.join(hdr) + "\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b10_person(f)
        out += [f"{fn} {ln}".replace(sep, " "), sep, b10_EM(f, r, fn, ln), sep, b10_PH(r, loc), sep, b10_DOB(r, loc), sep, b10_la(f, r, loc, 6).split()[-1], "\n"]
    return out


def B10_invoice(f, r, loc):
    co = f.company().replace("\n", " ")
    return [f"{co}\n", b10_tr(loc, en="INVOICE ", de="RECHNUNG ", fr="FACTURE ", es="FACTURA ", it="FATTURA ", nl="FACTUUR "), b10_la(f, r, loc, 2), "\n",
            f"{b10_la(f, r, loc, 30)}\n", f"{b10_tr(loc, en='Date', de='Datum', fr='Date', es='Fecha', it='Data', nl='Datum')}: {b10_when(r, loc, 20, 0)}\n",
            f"{b10_la(f, r, loc, 35)}  {b10_la(f, r, loc, 7)}\n", f"Total: {b10_la(f, r, loc, 17)}\n",
            b10_tr(loc, en="Pay to ", de="Zahlbar an ", fr="À régler sur ", es="Pagar a ", it="Pagare su ", nl="Over te maken naar "), b10_IBAN(r, loc), f" · {b10_la(f, r, loc, 33)}\n",
            f"{b10_la(f, r, loc, 24)}\n", b10_tr(loc, en="Questions: ", de="Fragen: ", fr="Questions : ", es="Dudas: ", it="Domande: ", nl="Vragen: "), b10_EM(f, r), " / ", b10_PH(r, loc), "\n"]


B10_CITIES = {"en_US": ["Dayton", "Boise", "Tacoma", "Savannah"], "en_GB": ["Leeds", "Swindon", "Norwich", "Cardiff"],
              "de_DE": ["Kassel", "Jena", "Lübeck", "Würzburg"], "fr_FR": ["Angers", "Nîmes", "Rouen", "Brest"],
              "es_ES": ["Cáceres", "Logroño", "Vigo", "Albacete"], "it_IT": ["Lecce", "Parma", "Udine", "Trapani"],
              "nl_NL": ["Zwolle", "Leiden", "Breda", "Assen"]}


def B10_shipping(f, r, loc):
    fn, ln = b10_person(f)
    return [b10_tr(loc, en="DELIVERY NOTE", de="LIEFERSCHEIN", fr="BON DE LIVRAISON", es="ALBARÁN", it="DDT", nl="PAKBON"), f" {b10_la(f, r, loc, 0)}\n",
            f"{fn} {ln}\n{f.street_address()}\n{f.postcode()} {r.choice(B10_CITIES[loc])}\n", "☎ ", b10_PH(r, loc), "\n",
            f"{b10_la(f, r, loc, 4)} · {r.randint(1, 30)},{r.randint(0, 9)} kg · {r.randint(10, 80)}x{r.randint(10, 60)}x{r.randint(5, 40)} cm\n",
            f"{b10_la(f, r, loc, 8)}\n{b10_la(f, r, loc, 11)}\n{b10_la(f, r, loc, 31)}\n"]


def B10_transfer(f, r, loc):
    fn, ln = b10_person(f)
    return [b10_tr(loc, en="Please wire the deposit to:", de="Bitte überweisen Sie die Anzahlung an:", fr="Merci de virer l'acompte sur :", es="Transfiera la señal a:",
                   it="Si prega di bonificare l'acconto a:", nl="Graag de aanbetaling overmaken naar:"), f"\n{fn} {ln}\n", "IBAN: ", b10_IBAN(r, loc), "\n",
            f"{b10_la(f, r, loc, 33)}\n{b10_la(f, r, loc, 17)}\n{b10_la(f, r, loc, 24)}\n",
            b10_tr(loc, en="NOT to the old account ", de="NICHT auf das alte Konto ", fr="PAS sur l'ancien compte ", es="NO a la cuenta antigua ", it="NON sul vecchio conto ", nl="NIET naar de oude rekening "),
            f"{b10_la(f, r, loc, 23)}.\n"]


def B10_medical(f, r, loc):
    fn, ln = b10_person(f)
    return [f"CMS-1500 / claim {b10_la(f, r, loc, 3)}\n", f"1a. Insured's ID: {rnd(r, B10_UP, 3)}{rnd(r, B10_D, 9)}\n", f"2. Patient: {ln.upper()}, {fn}\n",
            "3. Patient birth date: ", B10L("DATE_OF_BIRTH", b10_birthday(r).strftime("%m %d %Y")), "\n",
            "SSN (legacy field): ", b10_SSN(r), "\n", "5. Phone: ", b10_PH(r, "en_US", 0), "\n",
            f"21. ICD-10: {r.choice(['E11.9', 'J45.909', 'M54.5', 'I10'])}  24D. CPT {r.randint(99201, 99215)}\n",
            f"25. Federal tax ID (EIN): {r.randint(10, 99)}-{rnd(r, B10_D, 7)}  33a. NPI {rnd(r, B10_D, 10)}\n", f"Group no. {rnd(r, B10_D, 6)}-{rnd(r, B10_D, 3)}\n"]


def B10_payroll(f, r, loc):
    fn, ln = b10_person(f)
    out = [f"Payroll adj. {b10_when(r, loc, 40, 0)} — {fn} {ln}, emp #{rnd(r, B10_D, 6)}\n"]
    if loc == "en_US":
        out += ["SSN on W-2 corrected to ", b10_SSN(r), f" (was {r.choice(['9', '666-', '000-'])}{rnd(r, B10_D, 2)}-{rnd(r, B10_D, 2)}-{rnd(r, B10_D, 4)}, invalid)\n", f"Gross {b10_la(f, r, loc, 17)}, 401k {r.randint(1, 15)}%\n"]
    else:
        tax = b10_tr(loc, en=f"NI {rnd(r, B10_UP, 2)}{rnd(r, B10_D, 6)}C", de=f"Steuer-ID {rnd(r, B10_D, 11)}", fr=f"n° sécu {r.randint(1, 2)} {rnd(r, B10_D, 2)} {rnd(r, B10_D, 2)} {rnd(r, B10_D, 2)} {rnd(r, B10_D, 3)} {rnd(r, B10_D, 3)} {rnd(r, B10_D, 2)}",
                     es=f"NSS {rnd(r, B10_D, 2)}/{rnd(r, B10_D, 8)}/{rnd(r, B10_D, 2)}", it=f"matricola {rnd(r, B10_D, 8)}", nl=f"personeelsnr. {rnd(r, B10_D, 9)}")
        out += [f"{tax}\n", b10_tr(loc, en="New bank details: ", de="Neue Bankverbindung: ", fr="Nouveau RIB : ", es="Nueva cuenta: ", it="Nuove coordinate: ", nl="Nieuw rekeningnummer: "),
                b10_IBAN(r, loc), "\n", f"{b10_la(f, r, loc, 17)}\n"]
    return out


def B10_mdtable(f, r, loc):
    out = ["| week | on-call | phone | e-mail |\n|---|---|---|---|\n"]
    for wk in range(r.randint(2, 4)):
        fn, ln = b10_person(f)
        out += [f"| W{r.randint(1, 52)} | {fn} {ln[:1]}. | ", b10_PH(r, loc), " | ", b10_EM(f, r, fn, ln), " |\n"]
    out += [f"\nEscalation bridge: {b10_la(f, r, loc, 28)}\n"]
    return out


def B10_vcard(f, r, loc):
    fn, ln = b10_person(f)
    return ["BEGIN:VCARD\nVERSION:3.0\n", f"N:{ln};{fn};;;\nFN:{fn} {ln}\n", "TEL;TYPE=CELL:", b10_PH(r, loc), "\nTEL;TYPE=WORK,VOICE:", b10_PH(r, loc), "\n",
            "EMAIL;TYPE=INTERNET:", b10_EM(f, r, fn, ln), "\n", "BDAY:", B10L("DATE_OF_BIRTH", b10_birthday(r).isoformat()), "\n",
            f"REV:{b10_la(f, r, loc, 14)}\nUID:urn:uuid:{f.uuid4()}\nEND:VCARD\n"]


def B10_ics(f, r, loc):
    t = datetime.datetime(2026, 12, r.randint(7, 23), r.randint(8, 17), r.choice([0, 15, 30]))
    return ["BEGIN:VCALENDAR\nBEGIN:VEVENT\n", f"DTSTART:{t.strftime('%Y%m%dT%H%M%SZ')}\nDTEND:{(t + datetime.timedelta(minutes=45)).strftime('%Y%m%dT%H%M%SZ')}\n",
            f"SUMMARY:{b10_tr(loc, en='Quarterly review', de='Quartalsgespräch', fr='Point trimestriel', es='Revisión trimestral', it='Revisione trimestrale', nl='Kwartaaloverleg')}\n",
            "ORGANIZER;CN=", f.first_name(), ":mailto:", b10_EM(f, r), "\n", "ATTENDEE;RSVP=TRUE:mailto:", b10_EM(f, r), "\n",
            "DESCRIPTION:Dial-in ", b10_PH(r, loc), f" {b10_la(f, r, loc, 28)}\n", f"UID:{rnd(r, HEX, 32)}@cal\nEND:VEVENT\nEND:VCALENDAR\n"]


def B10_gitdiff(f, r, loc):
    return [f"diff --git a/config/settings.py b/config/settings.py\nindex {rnd(r, HEX, 7)}..{rnd(r, HEX, 7)} 100644\n--- a/config/settings.py\n+++ b/config/settings.py\n",
            f"@@ -{r.randint(10, 90)},6 +{r.randint(10, 90)},7 @@\n", "-STRIPE_API_KEY = os.environ[\"STRIPE_API_KEY\"]\n+STRIPE_API_KEY = \"", b10_VT(r, "STRIPE_KEY"), "\"\n",
            "+AWS_ACCESS_KEY_ID = \"", b10_VT(r, "AWS_ACCESS_KEY"), "\"\n", "+AWS_SECRET_ACCESS_KEY = \"", B10L("GENERIC_SECRET", rnd(r, AN + "/+", 40)), "\"\n",
            "  # docs use ", b10_PH_(r), "\n", f" DEBUG = False  # {b10_la(f, r, loc, 19)}\n"]


def B10_nginx(f, r, loc):
    out = []
    for _ in range(r.randint(2, 4)):
        ip = b10_IP4(r) if r.random() < 0.75 else b10_IP6(r)
        k = r.randrange(3)
        ts = datetime.datetime(2026, 12, r.randint(1, 4), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)).strftime("%d/%b/%Y:%H:%M:%S +0000")
        if k == 0:
            out += [ip, f" - - [{ts}] \"GET /account/reset?token=", B10L("GENERIC_SECRET", rnd(r, B10_URLSAFE, r.choice([32, 43, 64]))), f" HTTP/1.1\" 302 0 \"-\" \"Mozilla/5.0\" {r.uniform(0, 2):.3f}\n"]
        elif k == 1:
            out += [ip, f" - - [{ts}] \"GET /newsletter/unsubscribe?email=", b10_EM(f, r), f"&id={rnd(r, B10_D, 9)} HTTP/2.0\" 200 {r.randint(100, 9000)}\n"]
        else:
            out += [ip, f" - - [{ts}] \"POST /api/v1/orders/{rnd(r, B10_D, 10)} HTTP/1.1\" 201 {r.randint(100, 900)} \"-\" \"okhttp/4.12.0\"\n"]
    return out


def B10_sshkey(f, r, loc):
    return ["$ cat ~/.ssh/config\nHost bastion\n  HostName ", b10_IP4(r), "\n  User ", f.user_name(), "\n  IdentityFile ~/.ssh/deploy_key\n",
            "$ cat ~/.ssh/deploy_key\n", b10_PEM(r), "\n", f"$ ssh-keygen -lf ~/.ssh/deploy_key.pub\n256 SHA256:{base64.b64encode(bytes(r.randrange(256) for _ in range(32))).decode().rstrip('=')} deploy (ED25519)\n"]


def B10_creds_files(f, r, loc):
    user = f.user_name()
    return ["$ cat ~/.git-credentials\nhttps://", user, ":", b10_VT(r, "GITHUB_TOKEN"), "@github.com\n",
            "$ cat ~/.pgpass\n", r.choice(["db.prod.lan", b10_IP4(r), "warehouse"]), ":5432:*:", user, ":", b10_PW(r, True), "\n",
            "$ cat ~/.aws/credentials\n[default]\naws_access_key_id = ", b10_VT(r, "AWS_ACCESS_KEY"), "\naws_secret_access_key = ", B10L("GENERIC_SECRET", rnd(r, AN + "/+", 40)),
            "\n\n[docs-sample]\naws_access_key_id = ", B10L("PLACEHOLDER", "AKIAIOSFODNN7EXAMPLE"), "\n"]


def B10_ansible(f, r, loc):
    return ["[web]\n", f"web{r.randint(1, 9)} ansible_host=", b10_IP4(r), " ansible_user=deploy ansible_password=", b10_PW(r, True), "\n",
            f"web{r.randint(10, 19)} ansible_host=", b10_IP4(r), f" ansible_become_pass={r.choice(['{{ vault_become_pass }}', '$BECOME'])}\n\n",
            "[web:vars]\nnewrelic_license_key=", b10_GS(r), f"\nntp_server=pool.ntp.org\n# {b10_la(f, r, loc, 13)}\n"]


def B10_recruit(f, r, loc):
    fn, ln = b10_person(f)
    return [f"{b10_tr(loc, en='Candidate', de='Bewerber/in', fr='Candidat(e)', es='Candidato/a', it='Candidato/a', nl='Kandidaat')}: {fn} {ln}\n",
            b10_dob_said(r, loc), " · ", b10_PH(r, loc), " · ", b10_EM(f, r, fn, ln), "\n",
            f"{b10_tr(loc, en='Interview', de='Gespräch', fr='Entretien', es='Entrevista', it='Colloquio', nl='Gesprek')} {b10_when(r, loc, 0, 30)}, ",
            f"{b10_tr(loc, en='expected salary', de='Gehaltswunsch', fr='prétentions', es='salario deseado', it='RAL richiesta', nl='salarisindicatie')} {b10_la(f, r, loc, 17)}\n",
            f"{b10_la(f, r, loc, 1)}\n"]


def B10_wifi(f, r, loc):
    ssid = r.choice(["Kantoor-Gast", "BUERO_5G", "Bureau-Invites", "Oficina_Visitas", "Ufficio-Ospiti", "HQ-Guest"])
    return [b10_tr(loc, en="Office info", de="Büro-Infos", fr="Infos bureau", es="Info oficina", it="Info ufficio", nl="Kantoorinfo"), f"\nWLAN/Wi-Fi: {ssid}\n",
            b10_tr(loc, en="Wi-Fi password: ", de="WLAN-Schlüssel: ", fr="Clé Wi-Fi : ", es="Contraseña wifi: ", it="Password Wi-Fi: ", nl="Wifi-wachtwoord: "),
            b10_PW(r), "\n", b10_tr(loc, en="Reception: ", de="Empfang: ", fr="Accueil : ", es="Recepción: ", it="Reception: ", nl="Receptie: "), b10_PH(r, loc), "\n",
            f"{b10_la(f, r, loc, 18)}\n", r.choice(B10_PW_ABOUT[b10_lang(loc)]), "\n"]


def B10_phonecall(f, r, loc):
    return [f"Call summary {b10_la(f, r, loc, 14)} ({b10_la(f, r, loc, 16)})\n", b10_tr(loc, en="Caller read out card ", de="Anrufer nannte Karte ", fr="L'appelant a dicté la carte ",
            es="El cliente dictó la tarjeta ", it="Il cliente ha dettato la carta ", nl="Beller las kaart voor: "), b10_CC(r),
            f", exp {r.randint(1, 12):02d}/{r.randint(27, 31)}, CVC ", b10_CVC(r), ".\n",
            b10_tr(loc, en="Callback ", de="Rückruf ", fr="Rappel ", es="Devolver llamada ", it="Richiamare ", nl="Terugbellen "), b10_PH(r, loc), "\n",
            f"{b10_la(f, r, loc, 22)} ({b10_tr(loc, en='old card, declined', de='alte Karte, abgelehnt', fr='ancienne carte', es='tarjeta antigua', it='vecchia carta', nl='oude kaart')})\n"]


def B10_jira(f, r, loc):
    return [f"OPS-{r.randint(100, 9999)}: webhook retries failing\nReporter: ", b10_EM(f, r), "\n\n", "{code}\n",
            f"{b10_la(f, r, loc, 14)} POST https://hooks.internal/relay 401\n", "header X-Signature-Key: ", b10_GS(r), "\nsource ip ", b10_IP6(r), "\n{code}\n",
            f"{b10_tr(loc, en='Comment', de='Kommentar', fr='Commentaire', es='Comentario', it='Commento', nl='Opmerking')}: {b10_la(f, r, loc)} / {b10_la(f, r, loc)}\n"]


def B10_sheet_tsv(f, r, loc):
    out = ["card_holder\tcard_number\tcvv\tamount\tstatus\n"]
    for _ in range(r.randint(2, 3)):
        fn, ln = b10_person(f)
        if r.random() < 0.7:
            out += [f"{fn} {ln}\t", b10_CC(r), "\t", b10_CVC(r), f"\t{b10_la(f, r, loc, 17)}\tcaptured\n"]
        else:
            out += [f"{fn} {ln}\t{b10_badcard(r)}\t-\t{b10_la(f, r, loc, 17)}\tinvalid_number\n"]
    return out


def B10_insurance(f, r, loc):
    fn, ln = b10_person(f)
    return [f"Member enrollment — {fn} {ln}\n", "Date of birth (MM/DD/YYYY): ", B10L("DATE_OF_BIRTH", b10_birthday(r).strftime("%m/%d/%Y")), "\n",
            "Social Security No.: ", b10_SSN(r, r.choice(["-", " "])), "\n", f"Plan: PPO {r.randint(500, 5000)} · {b10_la(f, r, loc, 5)}\n",
            "Home phone ", b10_PH(r, "en_US", 0), " · e-mail ", b10_EM(f, r, fn, ln), "\n", f"Effective {b10_when(r, 'en_US', 0, 60)}; {b10_la(f, r, loc, 25)}\n"]


def B10_smtp_log(f, r, loc):
    return [f"{b10_la(f, r, loc, 14)} postfix/smtpd[{r.randint(1000, 99999)}]: connect from unknown[", b10_IP4(r), "]\n",
            f"{b10_la(f, r, loc, 14)} postfix/smtpd: {rnd(r, B10_UPD, 10)}: client=unknown[", b10_IP6(r), "], sasl_username=", b10_EM(f, r), "\n",
            f"{b10_la(f, r, loc, 14)} postfix/qmgr: {rnd(r, B10_UPD, 10)}: from=<", b10_EM(f, r), f">, size={r.randint(900, 90000)}, nrcpt=1\n"]


def B10_api_docs(f, r, loc):
    return ["## Authentication\nSend your key in the header, e.g.\n\n    Authorization: Bearer ", b10_PH_(r), "\n\n",
            f"Keys look like `{r.choice(B10_STANDINS[16:19])}`. {b10_la(f, r, loc, 27)}\n", "For local testing you can also use ", b10_PH_(r), ".\n",
            f"Rate limit: {r.randint(10, 600)} req/min, {b10_la(f, r, loc, 13)}\n"]


def B10_html_sig(f, r, loc):
    fn, ln = b10_person(f)
    reg = REGION[loc]
    while True:
        e164 = phone(r, reg, ["e164"])
        n = phonenumbers.parse(e164, reg)
        nat = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
        if phonenumbers.is_valid_number(n):
            break
    em = b10_EM(f, r, fn, ln)
    ext = [" ext. ", str(r.randint(10, 999))] if loc == "en_US" and r.random() < 0.5 else []
    return [f"<p>{b10_tr(loc, en='Kind regards', de='Mit freundlichen Grüßen', fr='Cordialement', es='Un saludo', it='Cordiali saluti', nl='Met vriendelijke groet')},<br>\n",
            f"<b>{fn} {ln}</b> | {f.job().replace('<', ' ').replace('&', '+')}<br>\n", "<a href=\"mailto:", em, "\">", B10L("EMAIL", em.text), "</a><br>\n",
            "<a href=\"tel:", B10L("PHONE", e164), "\">", B10L("PHONE", nat), "</a>", ext, "<br>\n",
            f"<small>{b10_la(f, r, loc, 30)} · {b10_la(f, r, loc, 6)}</small></p>\n"]


def B10_oneliner(f, r, loc):
    k = r.randrange(6)
    if k == 0:
        return [b10_PH(r, loc)]
    if k == 1:
        return [b10_EM(f, r), b10_tr(loc, en=" is my new address", de=" ist meine neue Adresse", fr=" est ma nouvelle adresse", es=" es mi nueva dirección",
                                     it=" è il mio nuovo indirizzo", nl=" is mijn nieuwe adres")]
    if k == 2:
        return [b10_tr(loc, en="call me back on ", de="ruf mich an unter ", fr="rappelez-moi au ", es="llámame al ", it="richiamami al ", nl="bel me terug op "), b10_PH(r, loc)]
    if k == 3:
        return [b10_VT(r)]
    if k == 4:
        return [r.choice(B10_PW_LEAD[b10_lang(loc)]), b10_PW(r)]
    return [b10_la(f, r, loc), " ", b10_la(f, r, loc)]


def B10_expense(f, r, loc):
    fn, ln = b10_person(f)
    out = [f"{b10_tr(loc, en='Expense report', de='Reisekostenabrechnung', fr='Note de frais', es='Nota de gastos', it='Nota spese', nl='Declaratie')} — {fn} {ln}\n"]
    for _ in range(r.randint(2, 4)):
        out += [f"{b10_when(r, loc, 40, 0)}  {r.choice(['Hotel', 'Taxi', 'Train', 'Lunch', 'Parking'])}  {b10_la(f, r, loc, 17)}  {b10_la(f, r, loc, 36)}\n"]
    out += [b10_tr(loc, en="Reimburse to ", de="Erstattung auf ", fr="Rembourser sur ", es="Reembolsar a ", it="Rimborso su ", nl="Terugbetalen op "), b10_IBAN(r, loc), "\n",
            f"{b10_la(f, r, loc, 2)}; {b10_la(f, r, loc)}\n"]
    return out


B10_TEXT_KINDS = [B10_helpdesk, B10_livechat, B10_mailthread, B10_crm, B10_hr, B10_postmortem, B10_bashhist, B10_cilog, B10_pytrace, B10_javatrace,
                  B10_sql, B10_dotenv, B10_yaml, B10_toml, B10_ini, B10_xml, B10_k8s, B10_compose, B10_curl, B10_httpdump, B10_csv, B10_invoice,
                  B10_shipping, B10_transfer, B10_medical, B10_payroll, B10_mdtable, B10_vcard, B10_ics, B10_gitdiff, B10_nginx, B10_sshkey,
                  B10_creds_files, B10_ansible, B10_recruit, B10_wifi, B10_phonecall, B10_jira, B10_sheet_tsv, B10_insurance, B10_smtp_log, B10_api_docs,
                  B10_oneliner, B10_expense, B10_html_sig]


def b10_text(f, r, loc):
    return b10_flat(r.choice(B10_TEXT_KINDS)(f, r, loc))


# ----- JSON documents -----

B10_EMBEDDABLE = [k for k in B10_TEXT_KINDS if k is not B10_sshkey]


def b10_jtext(f, r, loc):
    return b10_js(r.choice(B10_EMBEDDABLE)(f, r, loc))


def B10_j_mcp_call(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 99999), "method": "tools/call",
            "params": {"name": r.choice(["helpdesk_add_comment", "kb.search", "files_write", "email_draft"]),
                       "arguments": {"content": b10_jtext(f, r, loc), "visibility": r.choice(["internal", "public"]), "ref": b10_js(b10_la(f, r, loc))}}}


def B10_j_mcp_result(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 99999),
            "result": {"content": [{"type": "text", "text": b10_jtext(f, r, loc)}, {"type": "text", "text": b10_js(b10_las(f, r, loc, 2))}], "isError": False}}


def B10_j_tool_use(f, r, loc):
    fn, ln = b10_person(f)
    return {"role": "assistant", "content": [{"type": "text", "text": b10_js("Updating the contact record now.")},
            {"type": "tool_use", "id": "toolu_" + rnd(r, AN, 24), "name": "crm_update_contact",
             "input": {"contact_id": rnd(r, B10_D, 9), "changes": {"first": fn, "last": b10_js(ln), "emails": [[b10_EM(f, r, fn, ln)], [b10_EM(f, r)]],
                       "phones": [{"label": "mobile", "number": [b10_PH(r, loc)]}, {"label": "work", "number": [b10_PH(r, loc)]}],
                       "notes": b10_js(b10_la(f, r, loc), " / ", b10_la(f, r, loc))}}}]}


def B10_j_fncall(f, r, loc):
    return {"model": "gpt-4.1", "messages": [{"role": "user", "content": b10_jtext(f, r, loc)},
            {"role": "assistant", "tool_calls": [{"id": "call_" + rnd(r, AN, 24), "type": "function",
             "function": {"name": "send_sms", "arguments": {"to": [b10_PH(r, loc)], "body": b10_js(b10_tr(loc, en="Your parcel ", de="Ihr Paket ", fr="Votre colis ",
                          es="Su paquete ", it="Il suo pacco ", nl="Je pakket "), b10_la(f, r, loc, 4))}}}]}]}


def B10_j_employee(f, r, loc):
    fn, ln = b10_person(f)
    lg = b10_lang(loc)
    key = {"en": ("birth_date", "bank"), "de": ("geburtsdatum", "bankverbindung"), "fr": ("date_naissance", "banque"), "es": ("fecha_nacimiento", "banco"),
           "it": ("data_nascita", "banca"), "nl": ("geboortedatum", "bank")}[lg]
    rec = {"employee": {"id": f"E{rnd(r, B10_D, 6)}", "name": b10_js(f"{fn} {ln}"), key[0]: [b10_DOB(r, loc)], "hired": b10_js(b10_when(r, loc, 2000, 0)),
           "contact": {"email": [b10_EM(f, r, fn, ln)], "phone": [b10_PH(r, loc)]}, key[1]: {"iban": [b10_IBAN(r, loc)], "note": b10_js(b10_la(f, r, loc, 33))},
           "sso": {"username": b10_ascii(fn) or "user", b10_pwkey(r, loc): [b10_PW(r)], "policy": b10_js(r.choice(B10_PW_ABOUT[lg]))}}}
    if loc == "en_US":
        rec["employee"]["ssn"] = [b10_SSN(r)]
        rec["employee"]["ein_of_employer"] = f"{r.randint(10, 99)}-{rnd(r, B10_D, 7)}"
    return rec


def B10_j_checkout(f, r, loc):
    return {"action": "charge", "amount": r.randint(100, 99999), "currency": r.choice(["eur", "gbp", "usd"]),
            "source": {"object": "card", "number": [b10_CC(r)], "cvc": [b10_CVC(r)], "exp": f"{r.randint(1, 12):02d}/{r.randint(27, 32)}"},
            "customer": {"email": [b10_EM(f, r)], "phone": [b10_PH(r, loc)], "ip": [b10_IP4(r) if r.random() < 0.7 else b10_IP6(r)]},
            "metadata": {"cart": b10_js(b10_la(f, r, loc, 7)), "previous_card": b10_js(b10_la(f, r, loc, 22)), "idempotency_key": str(f.uuid4())}}


def B10_j_secrets_put(f, r, loc):
    sec = {"stripe": {"secret_key": [b10_VT(r, "STRIPE_KEY")]}, "slack": {"bot_token": [b10_VT(r, "SLACK_TOKEN")]},
           "github": {"app_private_key": [b10_PEM(r, "\\n")] if r.random() < 0.5 else "file://keys/app.pem", "installation_token": [b10_VT(r, "GITHUB_TOKEN")]},
           "openai": {"key": [b10_VT(r, "OPENAI_KEY")]}, "db": {"user": "svc_orders", b10_pwkey(r, loc): [b10_PW(r)]},
           "examples": {"aws_key_id": [b10_PH_(r)], "note": b10_js(r.choice(B10_STANDINS))}}
    return {"tool": "secretsmanager.put_secret_value", "args": {"SecretId": f"prod/{r.choice(['orders', 'billing', 'search'])}/config",
            "SecretObject": sec, "VersionStage": "AWSCURRENT", "ClientRequestToken": str(f.uuid4())}}


def B10_j_logsearch(f, r, loc):
    hits = []
    for _ in range(r.randint(2, 4)):
        k = r.randrange(4)
        if k == 0:
            msg = b10_js("login ok user=", b10_EM(f, r), " from ", b10_IP4(r))
        elif k == 1:
            msg = b10_js("rejected request with api key ", b10_GS(r), " (", b10_la(f, r, loc, 16), ")")
        elif k == 2:
            msg = b10_js("sms delivered to ", b10_PH(r, loc), " ", b10_la(f, r, loc, 1))
        else:
            msg = b10_js("upstream ", b10_IP6(r), " timeout after ", b10_la(f, r, loc, 16))
        hits.append({"_index": f"logs-{B10_TODAY.isoformat()}", "_id": rnd(r, AN, 20), "_source": {"@timestamp": b10_js(b10_la(f, r, loc, 14)), "message": msg,
                     "trace": {"id": rnd(r, HEX, 32)}}})
    return {"took": r.randint(1, 900), "hits": {"total": {"value": len(hits)}, "hits": hits}}


def B10_j_sheet(f, r, loc):
    rows = [[["Kunde" if b10_lang(loc) == "de" else "Customer"], ["IBAN"], ["Phone"], ["Reference"]]]
    for _ in range(r.randint(2, 4)):
        fn, ln = b10_person(f)
        rows.append([b10_js(f"{fn} {ln}"), [b10_IBAN(r, loc)] if r.random() < 0.75 else b10_js(b10_badiban(r)), [b10_PH(r, loc)], b10_js(b10_la(f, r, loc, 24))])
    return {"function": "sheets.values.update", "spreadsheetId": rnd(r, B10_URLSAFE, 44), "range": "Payouts!A1:D6", "valueInputOption": "RAW", "values": rows}


def B10_j_calendar(f, r, loc):
    t = datetime.datetime(2026, 12, r.randint(7, 30), r.randint(8, 17), 0)
    return {"calendarId": "primary", "event": {"summary": b10_js(b10_tr(loc, en="Contract call", de="Vertragstermin", fr="Appel contrat", es="Llamada contrato",
            it="Chiamata contratto", nl="Contractgesprek")), "start": {"dateTime": t.isoformat() + "+01:00"}, "end": {"dateTime": (t + datetime.timedelta(hours=1)).isoformat() + "+01:00"},
            "attendees": [{"email": [b10_EM(f, r)], "responseStatus": "needsAction"}, {"email": [b10_EM(f, r)], "optional": True}],
            "description": b10_js("Dial ", b10_PH(r, loc), " then ", b10_la(f, r, loc, 28)), "conferenceData": {"conferenceId": f"{rnd(r, 'abcdefghijklmnopqrstuvwxyz', 3)}-{rnd(r, 'abcdefghijklmnopqrstuvwxyz', 4)}-{rnd(r, 'abcdefghijklmnopqrstuvwxyz', 3)}"}}}


def B10_j_kubectl(f, r, loc):
    e = lambda s: base64.b64encode(s.encode()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "smtp-relay", "namespace": "mail", "creationTimestamp": b10_js(b10_la(f, r, loc, 14)),
            "uid": str(f.uuid4())}, "type": "Opaque",
            "data": {"username": e("relay@" + r.choice(B10_MAILDOM)), "password": [B10L("PASSWORD", e(b10_pw_value(r)))], "api-token": [B10L("GENERIC_SECRET", e(b10_gen_value(r)))],
                     "port": e(str(r.choice([25, 465, 587])))}}


def B10_j_webhook(f, r, loc):
    return {"delivery": str(f.uuid4()), "request": {"headers": {"X-Hub-Signature-256": "sha256=" + rnd(r, HEX, 64), "Authorization": ["Bearer ", b10_VT(r, "JWT")],
            "X-Webhook-Secret": [b10_GS(r)], "User-Agent": "GitHub-Hookshot/" + rnd(r, HEX, 7)},
            "payload": {"action": "created", "sender": {"login": f.user_name(), "email": [b10_EM(f, r)]}, "comment": {"body": b10_jtext(f, r, loc)}}},
            "response": {"status": r.choice([200, 202, 500]), "duration_ms": r.randint(3, 4000)}}


def B10_j_contacts(f, r, loc):
    people = []
    for _ in range(r.randint(1, 3)):
        fn, ln = b10_person(f)
        p = {"resourceName": f"people/c{rnd(r, B10_D, 19)}", "names": [{"displayName": b10_js(f"{fn} {ln}")}],
             "emailAddresses": [{"value": [b10_EM(f, r, fn, ln)], "type": "home"}], "phoneNumbers": [{"value": [b10_PH(r, loc)], "type": "mobile"}]}
        if r.random() < 0.6:
            p["birthdays"] = [{"text": [b10_DOB(r, loc)]}]
        p["etag"] = "%" + base64.b64encode(bytes(r.randrange(256) for _ in range(18))).decode()
        people.append(p)
    return {"connections": people, "nextSyncToken": rnd(r, B10_URLSAFE, 40), "totalItems": len(people)}


def B10_j_agent_memory(f, r, loc):
    fn, ln = b10_person(f)
    return {"memory": {"user_profile": {"name": b10_js(f"{fn} {ln}"), "dob_as_stated": b10_js(b10_dob_said(r, loc)),
            "facts": [b10_js("prefers contact via ", b10_EM(f, r, fn, ln)), b10_js(b10_pw_said(r, loc)), b10_js(b10_la(f, r, loc))]},
            "scratch": {"last_tool_output": b10_jtext(f, r, loc)}}}


B10_JSON_KINDS = [B10_j_mcp_call, B10_j_mcp_call, B10_j_mcp_result, B10_j_mcp_result, B10_j_tool_use, B10_j_fncall, B10_j_employee, B10_j_checkout,
                  B10_j_secrets_put, B10_j_logsearch, B10_j_sheet, B10_j_calendar, B10_j_kubectl, B10_j_webhook, B10_j_contacts, B10_j_agent_memory]


def b10_json(f, r, loc):
    return r.choice(B10_JSON_KINDS)(f, r, loc)


# ----- self-check -----

def b10_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b10_labels(y)]
    if isinstance(v, (list, tuple)):
        return [x for y in v for x in b10_labels(y)]
    return []


B10_SHAPES = {
    "EMAIL": r"[A-Za-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}",
    "AWS_ACCESS_KEY": r"(AKIA|ASIA)[A-Z2-7]{16}",
    "GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_11[A-Z0-9]{20}_[A-Za-z0-9]{59}",
    "SLACK_TOKEN": r"xox[bpa]-\d+-\d+-[A-Za-z0-9-]+|xapp-1-A[A-Z0-9]+-\d+-[0-9a-f]+",
    "STRIPE_KEY": r"(sk|rk)_live_[A-Za-z0-9]{24,99}",
    "OPENAI_KEY": r"sk-(proj-|svcacct-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+",
    "ANTHROPIC_KEY": r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA",
    "GOOGLE_API_KEY": r"AIza[A-Za-z0-9_-]{35}",
    "JWT": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    "PRIVATE_KEY": r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----(\n|\\n)[A-Za-z0-9+/=\n\\]+-----END ([A-Z]+ )?PRIVATE KEY-----",
}


def b10_value_ok(typ, v):
    if typ in B10_SHAPES:
        return re.fullmatch(B10_SHAPES[typ], v) is not None and "EXAMPLE" not in v.upper() and "XXXXXX" not in v.upper()
    if typ == "CREDIT_CARD":
        d = v.replace(" ", "").replace("-", "")
        return d.isdigit() and 13 <= len(d) <= 19 and luhn_ok(d)
    if typ == "IBAN":
        d = v.replace(" ", "")
        return d[:2] in B10_IBAN_FMT and b10_mod97(d[4:] + d[:4]) == 1
    if typ == "US_SSN":
        d = v.replace("-", "").replace(" ", "")
        return len(d) == 9 and d.isdigit() and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ in ("IPV4", "IPV6"):
        a = ipaddress.ip_address(v)
        return (a.version == 4) == (typ == "IPV4") and not a.is_loopback and not a.is_unspecified
    if typ == "PHONE":
        for reg in [None] + list(REGION.values()) + B10_ABROAD:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(v.replace("(0)", ""), reg)):
                    return True
            except phonenumbers.NumberParseException:
                pass
        return False
    if typ == "DATE_OF_BIRTH":
        return re.search(r"(19|20)\d\d", v) is not None
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() for c in v) and v not in B10_STANDINS and not any(c in v for c in "\"'\\")
    if typ == "PLACEHOLDER":
        return v in B10_PLACEHOLDERS
    return False


def b10_check(i, kind, doc, w, text):
    """Self-check: each span holds its label's text, every value is valid for its type (Luhn, mod-97, SSN
    rules, libphonenumber, vendor shapes, placeholder list); JSON parses and no escape precedes a label
    inside its string (a PEM written with \\n escapes is the whole string)."""
    want = b10_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp, got, lab_.text)
        assert b10_value_ok(lab_.typ, lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)
            assert b'"' not in w.buf[sp["start"]:sp["end"]], (i, sp)


# ---------- blind11 (seed 1212) ----------
# A twelfth split written by an eighth helper who never read the detection rules, their docs or
# history and never ran the engine on it; labelled by the lead's taxonomy. Its own value generators
# (b11_*: phones built from libphonenumber's per-type examples in the ways people type them, Luhn
# cards over real IIN ranges, mod-97 IBANs of the right length per country, SSNs, IPs, every vendor
# token shape, passwords, PEM keys, WireGuard/Azure/AWS-style generic secrets, CVCs), look-alikes
# (b11_la: booking/PNR/e-ticket numbers, Stripe/Twilio/Slack object ids, AWS account ids and ARNs,
# ICCIDs, IMEIs, USPS/DHL/Royal Mail tracking, SEPA creditor ids and mandate refs, HL7 control ids,
# LDAP FILETIMEs, SAML ids, SQLSTATEs, Postgres LSNs, docker digests, WireGuard public keys,
# 4-part builds, OIDs, Luhn-failing cards, mod-97-failing IBANs, 9-digit non-SSNs, dates that are
# not birth dates, phone-shaped order/invoice numbers, words after "password" that are none) and
# document kinds (B11_TEXT_KINDS, B11_JSON_KINDS). Key-shaped, visibly fake documentation examples
# are PLACEHOLDER; shapeless stand-ins are unlabelled. Relative dates use B11_TODAY. Self-check:
# b11_check.

B11_TODAY = datetime.date(2026, 12, 7)
B11_LANG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B11_ABROAD = ["CH", "BE", "AT", "IE", "PT", "SE", "PL", "LU", "DK", "NO", "FI", "CZ"]
B11_D = string.digits
B11_UP = string.ascii_uppercase
B11_UPD = string.ascii_uppercase + string.digits
B11_LOW = string.ascii_lowercase
B11_LOWD = string.ascii_lowercase + string.digits
B11_URL = AN + "-_"
B11_B64 = AN + "+/"


class B11L(L):
    """A labelled value kept verbatim (no cleaning)."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b11_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out += b11_flat(*x)
        elif isinstance(x, L) or x:
            out.append(x)
    return out


def b11_js(*xs):
    """A JSON string value built from text pieces: line breaks become ' ↵ ', tabs spaces, no quotes or
    backslashes; a PEM key inside running text is pasted on one line (spaces for its line breaks)."""
    out = []
    for p in b11_flat(*xs):
        if isinstance(p, L):
            if p.typ == "PRIVATE_KEY" and "\n" in p.text:
                p = B11L("PRIVATE_KEY", re.sub(r"\n\s*", " ", p.text))
            assert not any(c in p.text for c in '"\\\n\t\r'), p.text
            out.append(p)
        else:
            out.append(p.replace("\\", "/").replace('"', "'").replace("\r", "").replace("\n", " ↵ ").replace("\t", "  "))
    return out or [""]


def b11_lang(loc):
    return B11_LANG[loc]


def b11_tr(loc, **kw):
    return kw.get(b11_lang(loc), kw["en"])


def b11_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and (c.isalnum() or c in "-")).lower().strip("-")


def b11_person(f):
    return f.first_name(), f.last_name()


def b11_hexid(r, n):
    return rnd(r, HEX, n)


def b11_uuid(r):
    h = rnd(r, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"


B11_CITY = {"en_US": ["Spokane", "Albany", "Chattanooga", "Fresno", "Madison"], "en_GB": ["York", "Derby", "Exeter", "Dundee", "Bath"],
            "de_DE": ["Kassel", "Würzburg", "Rostock", "Freiburg", "Bielefeld"], "fr_FR": ["Nantes", "Dijon", "Rennes", "Tours", "Metz"],
            "es_ES": ["Zaragoza", "Valladolid", "Cádiz", "Murcia", "Oviedo"], "it_IT": ["Parma", "Lecce", "Trento", "Bergamo", "Perugia"],
            "nl_NL": ["Zwolle", "Breda", "Leiden", "Deventer", "Amersfoort"]}


def b11_city(r, loc):
    return r.choice(B11_CITY[loc])


# ----- phones -----

B11_PTYPES = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]


def b11_phone_number(r, reg):
    for _ in range(200):
        ex = phonenumbers.example_number_for_type(reg, r.choice(B11_PTYPES))
        if ex is None:
            continue
        nsn = phonenumbers.national_significant_number(ex)
        keep = r.randint(1, min(3, len(nsn) - 4))
        cand = nsn[:keep] + rnd(r, B11_D, len(nsn) - keep)
        n = phonenumbers.parse(f"+{ex.country_code}{cand}")
        if phonenumbers.is_valid_number_for_region(n, reg):
            return n
    raise RuntimeError(reg)


def b11_phone_text(r, reg, style=None):
    n = b11_phone_number(r, reg)
    nat = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
    intl = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
    style = style or r.choice(["nat", "nat", "nat", "intl", "intl", "e164", "00", "intl-", "tight", "local"])
    if style == "intl":
        return intl
    if style == "e164":
        return e164
    if style == "00":
        return "00" + intl[1:]
    if style == "intl-":
        return intl.replace(" ", "-")
    if style == "tight" and "(" not in nat:
        return nat.replace(" ", "").replace("-", "")
    if style == "local":
        if reg == "DE" and " " in nat:
            return nat.replace(" ", "/", 1)
        if reg == "NL" and " " in nat:
            return nat.replace(" ", "-", 1)
        if reg in ("GB", "AT", "CH", "BE") and " " in intl:
            cc, rest = intl.split(" ", 1)
            return f"{cc} (0){rest}"
        if reg == "FR":
            return nat.replace(" ", ".")
        if reg == "US" and "(" in nat:
            return nat.replace("(", "").replace(") ", "-")
        if reg in ("IT", "ES"):
            return nat.replace(" ", "")
    return nat


def b11_PH(r, loc, foreign=0.1, style=None):
    reg = r.choice(B11_ABROAD) if r.random() < foreign else REGION[loc]
    if reg != REGION[loc] and style not in ("intl", "e164", "00", "intl-"):  # a foreign number is written with its country code
        style = r.choice(["intl", "intl", "e164", "00", "intl-"])
    return B11L("PHONE", b11_phone_text(r, reg, style))


# ----- e-mail -----

B11_MAILDOM = ["gmx.de", "posteo.de", "freenet.de", "wanadoo.fr", "sfr.fr", "orange.fr", "telefonica.net", "gmail.com", "outlook.es", "alice.it",
               "libero.it", "fastwebnet.it", "ziggo.nl", "xs4all.nl", "planet.nl", "btinternet.com", "virginmedia.com", "yahoo.com", "hotmail.com",
               "me.com", "protonmail.com", "verizon.net", "hollowbrook-farms.com", "lindqvist-advokat.se", "zahnarzt-am-markt.de", "boulangerie-aubert.fr",
               "talleres-urbieta.es", "studio-bellandi.it", "kapsalon-dewit.nl", "kestrel-analytics.co.uk", "pinecrest-hoa.org", "mail.harborview-clinic.com"]


def b11_EM(f, r, fn=None, ln=None):
    fn = b11_ascii(fn or f.first_name()) or "alex"
    ln = b11_ascii(ln or f.last_name()) or "moreau"
    k = r.randrange(9)
    local = [f"{fn}.{ln}", f"{fn}_{ln}", f"{fn[0]}{ln}", f"{ln}.{fn[0]}", f"{fn}{r.randint(70, 2009)}", f"{fn}.{ln}+{r.choice(['bank', 'school', 'rent', 'shop'])}",
             f"{ln}-{fn}", r.choice(["info", "kontakt", "contact", "reservas", "ufficio", "administratie", "billing", "frontdesk", "hr"]), f"{fn[:3]}{ln[:4]}"][k]
    v = f"{local}@{r.choice(B11_MAILDOM)}"
    if r.random() < 0.05:
        v = v[0].upper() + v[1:]
    return B11L("EMAIL", v)


# ----- cards -----

B11_IIN = [("4", 16), ("4", 16), ("4", 16), ("4", 13), ("4", 19), ("51", 16), ("52", 16), ("54", 16), ("55", 16), ("2221", 16), ("23", 16), ("2720", 16),
           ("34", 15), ("37", 15), ("37", 15), ("6011", 16), ("644", 16), ("65", 16), ("3528", 16), ("3566", 16), ("3589", 16), ("300", 14), ("36", 14),
           ("38", 14), ("62", 16), ("62", 19), ("6759", 16), ("5018", 16)]


def b11_card_digits(r, iin=None):
    pre, n = iin or r.choice(B11_IIN)
    return luhn_digit(pre + rnd(r, B11_D, n - len(pre) - 1))


def b11_card_fmt(r, d, style=None):
    style = style if style is not None else r.randrange(5)
    if style == 0 or len(d) not in (14, 15, 16):
        return d
    sep = "-" if style == 3 else " "
    if len(d) == 16:
        return sep.join(d[i:i + 4] for i in range(0, 16, 4))
    if len(d) == 15:
        return sep.join([d[:4], d[4:10], d[10:]])
    return sep.join([d[:4], d[4:10], d[10:]])


def b11_CC(r, style=None):
    d = b11_card_digits(r)
    return B11L("CREDIT_CARD", b11_card_fmt(r, d, style))


def b11_CVC(r, n=None):
    return B11L("GENERIC_SECRET", rnd(r, B11_D, n or r.choice([3, 3, 3, 4])))


# ----- IBANs -----

B11_IBAN = {"DE": (22, "n18"), "GB": (22, "Bn14"), "FR": (27, "n23"), "ES": (24, "n20"), "IT": (27, "Un22"), "NL": (18, "Bn10"), "BE": (16, "n12"),
            "AT": (20, "n16"), "CH": (21, "n17"), "IE": (22, "Bn14"), "PT": (25, "n21"), "LU": (20, "n16"), "DK": (18, "n14"), "FI": (18, "n14"),
            "NO": (15, "n11"), "SE": (24, "n20"), "PL": (28, "n24"), "MC": (27, "n23")}
B11_BANKS = {"GB": ["NWBK", "BARC", "LOYD", "HBUK", "MIDL", "MONZ", "CLYD", "REVO"], "IE": ["AIBK", "BOFI", "IPBS", "ULSB"],
             "NL": ["ABNA", "RABO", "INGB", "SNSB", "ASNB", "BUNQ", "KNAB", "TRIO", "RBRB"]}
B11_HOME = {"en_US": "GB", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b11_mod97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def b11_iban_raw(r, cc):
    length, fmt = B11_IBAN[cc]
    bban = ""
    for kind, n in re.findall(r"([nBU])(\d*)", fmt):
        if kind == "B":
            bban += r.choice(B11_BANKS[cc])
        elif kind == "U":
            bban += r.choice(B11_UP)
        else:
            bban += rnd(r, B11_D, int(n))
    chk = 98 - b11_mod97(bban + cc + "00")
    v = f"{cc}{chk:02d}{bban}"
    assert len(v) == length and b11_mod97(v[4:] + v[:4]) == 1, v
    return v


def b11_iban_fmt(r, v, spaced=None):
    spaced = r.random() < 0.5 if spaced is None else spaced
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if spaced else v


def b11_IBAN(r, loc, spaced=None, abroad=0.2):
    cc = r.choice(sorted(B11_IBAN)) if r.random() < abroad else B11_HOME[loc]
    return B11L("IBAN", b11_iban_fmt(r, b11_iban_raw(r, cc), spaced))


# ----- SSN, IPs -----

def b11_ssn_value(r, sep=None):
    while True:
        a = r.randint(1, 899)
        if a != 666:
            break
    g, s = r.randint(1, 99), r.randint(1, 9999)
    sep = r.choice(["-", "-", "-", " ", ""]) if sep is None else sep
    return f"{a:03d}{sep}{g:02d}{sep}{s:04d}"


def b11_SSN(r, sep=None):
    return B11L("US_SSN", b11_ssn_value(r, sep))


def b11_ip4_value(r):
    k = r.randrange(7)
    if k == 0:
        return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    if k == 1:
        return f"192.168.{r.randint(0, 254)}.{r.randint(2, 254)}"
    if k == 2:
        return f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    return f"{r.choice([5, 23, 37, 45, 62, 78, 80, 87, 88, 94, 95, 104, 130, 145, 157, 178, 188, 195, 213, 3, 18, 35, 54, 67, 71, 99, 108, 162])}" \
           f".{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def b11_IP4(r):
    return B11L("IPV4", b11_ip4_value(r))


B11_V6 = ["2a02:810d", "2a01:cb00", "2a0c:5a80", "2001:1c02", "2a02:a210", "2600:6c50", "2603:8080", "2a00:23c7", "2001:8a0", "2a01:4f9", "2406:da18", "fe80"]


def b11_IP6(r):
    head = r.choice(B11_V6)
    hs = head.split(":")
    groups = hs + ["%x" % r.randint(0, 0xffff) for _ in range(8 - len(hs))]
    if head == "fe80":
        groups = ["fe80", "0", "0", "0"] + ["%x" % r.randint(1, 0xffff) for _ in range(4)]
    k = r.randrange(4)
    v = ":".join(groups) if k == 0 else str(ipaddress.ip_address(":".join(groups)))
    if k == 3 and head != "fe80":
        v = str(ipaddress.ip_address(":".join(groups[:4] + ["0", "0", "0", "%x" % r.randint(1, 0xff)])))
    a = ipaddress.ip_address(v)
    assert a.version == 6 and not a.is_loopback
    return B11L("IPV6", v)


def b11_IP(r):
    return b11_IP4(r) if r.random() < 0.65 else b11_IP6(r)


# ----- dates -----

B11_MON = {"en": "January February March April May June July August September October November December".split(),
           "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
           "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
           "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
           "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
           "nl": "januari februari maart april mei juni juli augustus september oktober november december".split()}


def b11_date(r, d, loc, style=None):
    lg = b11_lang(loc)
    k = r.randrange(7) if style is None else style
    if k == 0:
        return d.isoformat()
    if k == 1:
        if loc == "en_US":
            return f"{B11_MON['en'][d.month - 1][:3]} {d.day}, {d.year}"
        if lg == "en":
            return f"{d.day} {B11_MON['en'][d.month - 1]} {d.year}"
        if lg == "es":
            return f"{d.day} de {B11_MON['es'][d.month - 1]} de {d.year}"
        if lg == "de":
            return f"{d.day}. {B11_MON['de'][d.month - 1]} {d.year}"
        return f"{d.day} {B11_MON[lg][d.month - 1]} {d.year}"
    if loc == "en_US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}" if k < 5 else f"{d.month}/{d.day}/{d.year}"
    if lg == "de":
        return f"{d.day:02d}.{d.month:02d}.{d.year}" if k < 5 else f"{d.day}.{d.month}.{d.year}"
    if lg == "nl":
        return f"{d.day:02d}-{d.month:02d}-{d.year}" if k < 5 else f"{d.day}-{d.month}-{d.year}"
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if k < 6 else f"{d.day:02d}.{d.month:02d}.{d.year}"


def b11_birth(r, lo=16, hi=93):
    return B11_TODAY - datetime.timedelta(days=r.randint(lo * 365, hi * 365))


def b11_DOB(r, loc, lo=16, hi=93, style=None):
    return B11L("DATE_OF_BIRTH", b11_date(r, b11_birth(r, lo, hi), loc, style))


def b11_when(r, loc, back=400, fwd=90, style=None):
    return b11_date(r, B11_TODAY + datetime.timedelta(days=r.randint(-back, fwd)), loc, style)


B11_DOBW = {"en": ["Date of birth", "DOB", "Born", "Birth date", "D.O.B."], "de": ["Geburtsdatum", "Geb.", "geboren am", "Geburtstag"],
            "fr": ["Date de naissance", "Né(e) le", "Naissance"], "es": ["Fecha de nacimiento", "F. nacimiento", "Nacido/a el"],
            "it": ["Data di nascita", "Nato/a il", "Nascita"], "nl": ["Geboortedatum", "Geboren op", "Geb. datum"]}


def b11_dobw(r, loc):
    return r.choice(B11_DOBW[b11_lang(loc)])


# ----- vendor tokens, generic secrets, passwords, keys -----

B11_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B11_VENDORS = ["AWS_ACCESS_KEY", "AWS_ACCESS_KEY", "GITHUB_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "OPENAI_KEY", "ANTHROPIC_KEY",
               "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"]


def b11_b64u(o):
    return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")


def b11_jwt(r, claims=None):
    alg = r.choice(["RS256", "RS256", "HS256", "ES256", "PS256", "EdDSA"])
    hdr = {"alg": alg, "typ": "JWT"} if r.random() < 0.7 else {"kid": rnd(r, B11_URL, 22), "alg": alg}
    iat = 1_764_000_000 + r.randint(0, 2_000_000)
    body = claims or {}
    body = dict(body)
    body.setdefault("iss", r.choice(["https://login.microsoftonline.com/" + b11_uuid(r) + "/v2.0", "https://auth.lumenpay.io/", "https://accounts.google.com",
                                     "https://idp.stadtwerke-nord.de/realms/staff"]))
    body.setdefault("sub", r.choice([b11_uuid(r), str(r.randint(10 ** 17, 10 ** 18)), "auth0|" + rnd(r, HEX, 24)]))
    body.update({"aud": r.choice(["api://orders", "account", "portal-web"]), "iat": iat, "exp": iat + r.choice([300, 3600, 28800])})
    sig = {"HS256": 43, "ES256": 86, "EdDSA": 86}.get(alg, 342)
    return ".".join([b11_b64u(hdr), b11_b64u(body), rnd(r, B11_URL, sig)])


def b11_vendor(r, typ):
    if typ == "AWS_ACCESS_KEY":
        return r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) + rnd(r, B11_B32, 16)
    if typ == "GITHUB_TOKEN":
        k = r.randrange(7)
        if k == 6:
            return "github_pat_11" + rnd(r, B11_UPD, 20) + "_" + rnd(r, AN, 59)
        return ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "ghp_"][k] + rnd(r, AN, 36)
    if typ == "SLACK_TOKEN":
        k = r.randrange(5)
        if k == 0:
            return f"xoxp-{r.randint(10 ** 10, 10 ** 12)}-{r.randint(10 ** 10, 10 ** 12)}-{r.randint(10 ** 12, 10 ** 13)}-{rnd(r, HEX, 32)}"
        if k == 1:
            return f"xapp-1-A{rnd(r, B11_UPD, 10)}-{rnd(r, B11_D, 13)}-{rnd(r, HEX, 64)}"
        return f"{r.choice(['xoxb', 'xoxb', 'xoxa-2'])}-{r.randint(10 ** 10, 10 ** 12)}-{r.randint(10 ** 12, 10 ** 13)}-{rnd(r, AN, 24)}"
    if typ == "STRIPE_KEY":
        return r.choice(["sk_live_", "sk_live_", "rk_live_"]) + (r.choice(["51", "4e"]) + rnd(r, AN, r.choice([22, 97])))
    if typ == "OPENAI_KEY":
        k = r.randrange(4)
        if k < 2:
            return "sk-proj-" + rnd(r, B11_URL, 74) + "T3BlbkFJ" + rnd(r, B11_URL, 74)
        if k == 2:
            return "sk-svcacct-" + rnd(r, B11_URL, 74) + "T3BlbkFJ" + rnd(r, B11_URL, 74)
        return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
    if typ == "ANTHROPIC_KEY":
        return r.choice(["sk-ant-api03-", "sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-"]) + rnd(r, B11_URL, 93) + "AA"
    if typ == "GOOGLE_API_KEY":
        return "AIzaSy" + rnd(r, B11_URL, 33)
    return b11_jwt(r)


def b11_V(r, typ=None):
    typ = typ or r.choice(B11_VENDORS)
    return B11L(typ, b11_vendor(r, typ))


def b11_gen_value(r, kind=None):
    k = r.randrange(9) if kind is None else kind
    if k == 0:  # AWS secret access key
        return rnd(r, AN, 8) + rnd(r, B11_B64, 30) + rnd(r, AN, 2)
    if k == 1:  # Azure AD client secret
        return rnd(r, AN, 3) + r.choice("5678") + "Q~" + rnd(r, B11_URL + ".~", 34)
    if k == 2:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 3:  # WireGuard / raw 32-byte keys
        return base64.b64encode(bytes(r.randrange(256) for _ in range(32))).decode()
    if k == 4:  # Django/Rails session ids, cookie values
        return rnd(r, B11_LOWD, 32)
    if k == 5:  # opaque bearer / refresh tokens
        return rnd(r, B11_URL, r.choice([43, 64, 86]))
    if k == 6:
        return r.choice(["sec_", "key_", "srv.", "tok-", "cs_"]) + rnd(r, AN, r.choice([28, 32, 40]))
    if k == 7:  # HMAC signing key, base64 48 bytes
        return base64.b64encode(bytes(r.randrange(256) for _ in range(48))).decode()
    return rnd(r, AN, 6) + "." + rnd(r, B11_URL, 27) + "." + rnd(r, HEX, 16)


def b11_GS(r, kind=None):
    return B11L("GENERIC_SECRET", b11_gen_value(r, kind))


B11_PWW = ["Kolibri", "Pfefferminz", "Tramontana", "Zonnebloem", "Girasole", "Mariquita", "Hirondelle", "Nordlicht", "Ciliegia", "Sprookje",
           "Boomerang", "Lavanda", "Castagna", "Walrus", "Sandpiper", "Fjord", "Paprika", "Gondola", "Molinillo", "Zebrapad"]
B11_PWSYM = "!#$%&*+-=?@_~^"


def b11_pw_value(r, safe=False):
    k = r.randrange(8)
    w = r.choice(B11_PWW)
    if k == 0:
        v = w + str(r.randint(1, 2027)) + r.choice(B11_PWSYM)
    elif k == 1:
        v = "".join(r.choice([c.upper(), c.lower()]) for c in rnd(r, AN, r.choice([10, 12, 14, 18])))
        v = v[:4] + r.choice(B11_PWSYM) + v[4:]
    elif k == 2:
        v = "-".join(x.lower() for x in r.sample(B11_PWW, 3)) + str(r.randint(0, 9))
    elif k == 3:
        v = "".join({"a": "4", "e": "3", "o": "0", "i": "1", "s": "$", "l": "!"}.get(c, c) for c in w) + r.choice(["", "#", "2024", "77"])
    elif k == 4:
        v = r.choice(["Winter", "Sommer", "Autumn", "Primavera", "Lente", "Hiver"]) + r.choice(["", "_", "."]) + str(r.randint(2019, 2026)) + r.choice("!?*#")
    elif k == 5:
        v = rnd(r, AN + "!#%*()[]{}<>;:,.?", r.choice([16, 20, 24]))
    elif k == 6:
        v = w[:3].lower() + r.choice(B11_PWSYM) + rnd(r, B11_D, 4) + w[-3:].upper() + r.choice(B11_PWSYM)
    else:
        v = rnd(r, B11_LOW, 4) + rnd(r, B11_D, 2) + rnd(r, B11_UP, 3) + r.choice(B11_PWSYM) + rnd(r, B11_LOWD, 3)
    v = v.replace('"', "").replace("'", "").replace("\\", "")
    if safe:  # URLs, CLI args, CSV, INI: keep to characters that need no quoting
        v = "".join(c if c.isalnum() or c in "_.-~!*" else r.choice("_.-~") for c in v)
    return v


def b11_PW(r, safe=False):
    return B11L("PASSWORD", b11_pw_value(r, safe))


B11_PEM_HEAD = {"RSA PRIVATE KEY": "MIIEpQIBAAKCAQEA", "PRIVATE KEY": "MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQ",
                "EC PRIVATE KEY": "MHcCAQEEI", "OPENSSH PRIVATE KEY": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAA",
                "ENCRYPTED PRIVATE KEY": "MIIFJDBWBgkqhkiG9w0BBQ0wSTAxBgkqhkiG9w0BBQwwJAQQ"}


def b11_pem_value(r, sep="\n", kind=None):
    kind = kind or r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
    width = 70 if kind == "OPENSSH PRIVATE KEY" else 64
    n = {"EC PRIVATE KEY": 160, "OPENSSH PRIVATE KEY": 380}.get(kind, r.choice([600, 900, 1200]))
    blob = B11_PEM_HEAD[kind] + rnd(r, B11_B64, n)
    blob += "=" * r.choice([0, 0, 1, 2])
    lines = [blob[i:i + width] for i in range(0, len(blob), width)]
    return sep.join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"])


def b11_PEM(r, sep="\n", kind=None):
    return B11L("PRIVATE_KEY", b11_pem_value(r, sep, kind))


def b11_cert_value(r, sep="\n"):
    blob = "MIID" + rnd(r, B11_B64, r.choice([700, 1000]))
    return sep.join(["-----BEGIN CERTIFICATE-----"] + [blob[i:i + 64] for i in range(0, len(blob), 64)] + ["-----END CERTIFICATE-----"])


def b11_pad(head, n, fill="0", tail=""):
    return head + fill * (n - len(head) - len(tail)) + tail


B11_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", b11_pad("AKIAEXAMPLE", 20), "ASIAXXXXXXXXXXXXXXXX",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "ghp_" + "x" * 36, b11_pad("ghp_EXAMPLE", 40), "gho_abcdefghijklmnopqrstuvwxyz0123456789", b11_pad("ghu_", 40, "0"), b11_pad("ghs_YOUR_TOKEN_HERE", 40, "X"),
    b11_pad("ghr_EXAMPLE", 40, "0"), "github_pat_11" + b11_pad("EXAMPLE", 20, "0") + "_" + "x" * 59,
    "xoxb-000000000000-0000000000000-" + "x" * 24, "xoxp-1234567890-1234567890-1234567890123-" + "0" * 32, "xapp-1-AXXXXXXXXXX-0000000000000-" + "x" * 64,
    b11_pad("sk_live_EXAMPLE", 32, "0"), "sk_live_" + "x" * 24, b11_pad("rk_live_YOUR_KEY_HERE", 36, "X"),
    "sk-proj-" + "x" * 74 + "T3BlbkFJ" + "x" * 74, "sk-" + "X" * 20 + "T3BlbkFJ" + "X" * 20,
    "sk-ant-api03-" + b11_pad("EXAMPLE-KEY-", 93, "x") + "AA", "sk-ant-api03-" + "0" * 93 + "AA",
    b11_pad("AIzaSyEXAMPLE-KEY-", 39, "0"), "AIza" + "X" * 35,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
]
B11_STANDIN = ["<your-token>", "${TOKEN}", "changeme", "xxxx", "ghp_…", "sk-...", "{{ .Values.db.password }}", "$(DB_PASS)", "***", "REDACTED", "<secret>",
               "%SMTP_PASSWORD%", "!Ref DbPassword", "((vault:secret/db.password))", "${{ secrets.STRIPE_SECRET }}", "<client-secret>", "••••••••",
               "$env:API_KEY", "sk_live_…", "AKIA…", "<paste here>", "[hidden]", "(sensitive value)", "{SSHA}", "set-in-1password"]


def b11_PLH(r, i=None):
    return B11L("PLACEHOLDER", B11_PLACEHOLDERS[i] if i is not None else r.choice(B11_PLACEHOLDERS))


def b11_anysecret(r):
    k = r.randrange(14)
    if k < 8:
        return b11_V(r)
    if k < 11:
        return b11_GS(r)
    if k < 13:
        return b11_PW(r, safe=True)
    return b11_PLH(r)


# ----- look-alikes (never labelled) -----

def b11_badcard(r, style=None):
    while True:
        pre, n = r.choice(B11_IIN)
        d = pre + rnd(r, B11_D, n - len(pre))
        if not luhn_ok(d):
            return b11_card_fmt(r, d, style)


def b11_badiban(r, loc=None):
    cc = B11_HOME[loc] if loc and r.random() < 0.6 else r.choice(sorted(B11_IBAN))
    v = b11_iban_raw(r, cc)
    while True:
        i = r.randrange(4, len(v))
        if not v[i].isdigit():
            continue
        w = v[:i] + r.choice(B11_D) + v[i + 1:]
        if b11_mod97(w[4:] + w[:4]) != 1:
            return b11_iban_fmt(r, w)


def b11_iccid(r):
    return luhn_digit(r.choice(["8931", "8944", "8949", "8933", "8934", "8939"]) + rnd(r, B11_D, 14))


def b11_imei(r):
    return luhn_digit(r.choice(["35", "35", "86", "01", "99"]) + rnd(r, B11_D, 12))


def b11_non_ssn(r):
    k = r.randrange(6)
    if k == 0:
        return f"ITIN 9{rnd(r, B11_D, 2)}-{r.choice(['70', '78', '83', '91'])}-{rnd(r, B11_D, 4)}"
    if k == 1:
        return f"EIN {r.randint(10, 98)}-{rnd(r, B11_D, 7)}"
    if k == 2:
        return f"ABA {r.choice(['026009593', '121000248', '111000025', '061000104', '031201360', '074000010'])}"
    if k == 3:
        return f"ZIP {r.randint(10000, 99950)}-{rnd(r, B11_D, 4)}"
    if k == 4:
        return f"member ID {rnd(r, B11_D, 9)}"
    return f"{r.choice(['000', '666'])}-{rnd(r, B11_D, 2)}-{rnd(r, B11_D, 4)} (invalid, rejected)"


def b11_stripe_id(r):
    return r.choice(["ch_3", "pi_3", "cus_", "evt_1", "pm_1", "re_3", "in_1", "sub_1", "txn_3", "acct_1"]) + rnd(r, AN, r.choice([14, 24]))


def b11_twilio_sid(r):
    return r.choice(["SM", "AC", "MM", "CA", "PN"]) + rnd(r, HEX, 32)


def b11_refword(r, loc, what):
    return {
        "order": b11_tr(loc, en="Order no.", de="Bestellnr.", fr="N° de commande", es="N.º de pedido", it="N. ordine", nl="Bestelnummer"),
        "invoice": b11_tr(loc, en="Invoice", de="Rechnungsnr.", fr="Facture n°", es="Factura", it="Fattura n.", nl="Factuurnr."),
        "booking": b11_tr(loc, en="Booking", de="Buchungsnr.", fr="Réservation", es="Reserva", it="Prenotazione", nl="Boekingsnr."),
        "customer": b11_tr(loc, en="Customer no.", de="Kundennummer", fr="N° client", es="N.º de cliente", it="Codice cliente", nl="Klantnummer"),
        "contract": b11_tr(loc, en="Contract", de="Vertragsnr.", fr="Contrat n°", es="Contrato", it="Contratto n.", nl="Contractnr."),
    }[what]


def b11_la(f, r, loc, g=None):
    g = r.randrange(40) if g is None else g
    d = B11_D
    if g == 0: return f"{b11_refword(r, loc, 'order')} 0{rnd(r, d, 9)}"  # phone-shaped
    if g == 1: return f"{b11_refword(r, loc, 'invoice')} {r.choice(['0', '06', '07'])}{rnd(r, d, 8)}"
    if g == 2: return f"{b11_refword(r, loc, 'booking')} {rnd(r, B11_UP, 2)}{rnd(r, B11_UPD, 4)}"  # PNR-like
    if g == 3: return f"e-ticket {r.choice(['220', '057', '125', '074', '075', '001'])}-{rnd(r, d, 10)}"
    if g == 4: return f"{b11_refword(r, loc, 'customer')} {rnd(r, d, 2)} {rnd(r, d, 3)} {rnd(r, d, 4)}"
    if g == 5: return f"Stripe {b11_stripe_id(r)}"
    if g == 6: return f"MessageSid {b11_twilio_sid(r)}"
    if g == 7: return f"arn:aws:iam::{rnd(r, d, 12)}:role/{r.choice(['deploy', 'ci-runner', 'lambda-exec', 'ReadOnly'])}"
    if g == 8: return f"ICCID {b11_iccid(r)}"
    if g == 9: return f"IMEI {b11_imei(r)}"
    if g == 10: return r.choice([f"USPS {rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 2)}",
                                 f"DHL JJD{rnd(r, d, 18)}", f"Royal Mail {rnd(r, B11_UP, 2)}{rnd(r, d, 9)}GB", f"Colissimo 6A{rnd(r, d, 11)}",
                                 f"PostNL 3S{rnd(r, B11_UP, 4)}{rnd(r, d, 9)}", f"GLS {rnd(r, d, 11)}", f"SEUR {rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 4)} {rnd(r, d, 2)}"])
    if g == 11:
        while True:  # a SEPA creditor id that does not pass as an IBAN by chance
            cid = f"{r.choice(['DE', 'FR', 'ES', 'IT', 'NL'])}{rnd(r, d, 2)}ZZZ{rnd(r, d, 11)}"
            if b11_mod97(cid[4:] + cid[:4]) != 1:
                break
        return f"{b11_tr(loc, en='creditor ID', de='Gläubiger-ID', fr='ICS', es='ID acreedor', it='ID creditore', nl='incassant-ID')} {cid}"
    if g == 12: return f"{b11_tr(loc, en='mandate ref', de='Mandatsreferenz', fr='RUM', es='ref. mandato', it='rif. mandato', nl='machtigingskenmerk')} M{rnd(r, d, 4)}-{rnd(r, d, 8)}"
    if g == 13: return f"MSH-10 {rnd(r, d, 14)}"
    if g == 14: return f"pwdLastSet: {r.randint(133700000000000000, 134100000000000000)}"
    if g == 15: return f"ID=_{rnd(r, HEX, 40)}"
    if g == 16: return r.choice([f"SQLSTATE {r.choice(['23505', '28P01', '40001', '57014', '08006'])}", f"ERROR {r.choice([1045, 1062, 2002, 1213])} ({r.choice(['28000', '23000', 'HY000', '40001'])})"])
    if g == 17: return f"LSN {r.randint(0, 9):X}/{rnd(r, '0123456789ABCDEF', 8)}"
    if g == 18: return f"sha256:{rnd(r, HEX, 64)}"
    if g == 19: return f"PublicKey = {base64.b64encode(bytes(r.randrange(256) for _ in range(32))).decode()}"
    if g == 20: return r.choice([f"build {r.randint(1, 23)}.{r.randint(0, 9)}.{r.randint(1000, 26100)}.{r.randint(1, 5000)}", f"OID 1.2.840.{r.randint(10000, 113999)}.1.{r.randint(1, 9)}.{r.randint(1, 30)}",
                                 f"v{r.randint(1, 3)}.{r.randint(0, 40)}.{r.randint(0, 20)}", f"node v{r.randint(18, 23)}.{r.randint(0, 12)}.{r.randint(0, 9)}",
                                 f"terraform v1.{r.randint(5, 10)}.{r.randint(0, 9)}", f"go1.{r.randint(21, 23)}.{r.randint(0, 9)}"])
    if g == 21:
        t = datetime.datetime(2026, r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
        return r.choice([t.strftime("%Y-%m-%dT%H:%M:%S.") + rnd(r, d, 7) + "Z", t.strftime("%Y-%m-%d %H:%M:%S.") + rnd(r, d, 3) + " UTC", t.strftime("%d.%m.%Y %H:%M"),
                         t.strftime("%b %d %H:%M:%S"), str(int(t.replace(tzinfo=datetime.timezone.utc).timestamp())) + "." + rnd(r, d, 6)])
    if g == 22: return b11_uuid(r)
    if g == 23: return f"{b11_tr(loc, en='card', de='Karte', fr='carte', es='tarjeta', it='carta', nl='kaart')} {b11_badcard(r)}"
    if g == 24: return f"IBAN {b11_badiban(r, loc)}"
    if g == 25: return b11_non_ssn(r)
    if g == 26: return r.choice(B11_STANDIN)
    if g == 27: return b11_pw_none(r, loc)
    if g == 28: return r.choice([f"Teams meeting ID: {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 3)}", f"Zoom {rnd(r, d, 3)} {rnd(r, d, 4)} {rnd(r, d, 4)}",
                                 f"Webex access code {rnd(r, d, 4)} {rnd(r, d, 3)} {rnd(r, d, 4)}", f"dial-in conference ID {rnd(r, d, 9)}#"])
    if g == 29: return f"{b11_tr(loc, en='appointment', de='Termin', fr='rendez-vous', es='cita', it='appuntamento', nl='afspraak')} {b11_when(r, loc, 10, 60)}"
    if g == 30: return f"{b11_tr(loc, en='issued', de='ausgestellt', fr='émis le', es='emitido', it='emesso il', nl='uitgegeven')} {b11_when(r, loc, 3000, 0)}"
    if g == 31: return r.choice([f"•••• {rnd(r, d, 4)}", f"{rnd(r, d, 6)}XXXXXX{rnd(r, d, 4)}", f"ending in {rnd(r, d, 4)}", f"last4={rnd(r, d, 4)}"])
    if g == 32: return f"{b11_tr(loc, en='OTP', de='TAN', fr='code', es='código', it='OTP', nl='code')} {rnd(r, d, 6)}"
    if g == 33: return r.choice([f"i-0{rnd(r, HEX, 16)}", f"sg-0{rnd(r, HEX, 16)}", f"vpc-{rnd(r, HEX, 8)}", f"pod/api-{rnd(r, HEX, 9)}-{rnd(r, B11_LOWD, 5)}",
                                 f"ami-0{rnd(r, HEX, 16)}", f"subnet-{rnd(r, HEX, 17)}"])
    if g == 34: return r.choice([f"channel C0{rnd(r, B11_UPD, 9)}", f"user U0{rnd(r, B11_UPD, 9)}", f"ts {r.randint(1764000000, 1765200000)}.{rnd(r, d, 6)}"])
    if g == 35: return r.choice([f"MRN {rnd(r, d, 8)}", f"{b11_tr(loc, en='room', de='Zimmer', fr='chambre', es='habitación', it='camera', nl='kamer')} {r.randint(100, 999)}",
                                 f"seat {r.randint(1, 45)}{r.choice('ABCDEF')}", f"flight {r.choice(['LH', 'AF', 'IB', 'AZ', 'KL', 'BA', 'UA', 'VY', 'FR'])} {r.randint(100, 9999)}"])
    if g == 36: return f"{b11_tr(loc, en='amount', de='Betrag', fr='montant', es='importe', it='importo', nl='bedrag')} {r.randint(1, 9999)},{rnd(r, d, 2)} EUR"
    if g == 37: return f"{b11_tr(loc, en='due', de='fällig am', fr='échéance', es='vencimiento', it='scadenza', nl='vervaldatum')} {b11_when(r, loc, 0, 45)}"
    if g == 38: return f"SHA256:{base64.b64encode(bytes(r.randrange(256) for _ in range(32))).decode().rstrip('=')}"
    return f"{b11_refword(r, loc, 'contract')} {rnd(r, d, 3)}-{rnd(r, d, 3)}-{rnd(r, d, 3)}"  # SSN-length, not an SSN


def b11_las(f, r, loc, n=2, sep="; "):
    return sep.join(b11_la(f, r, loc) for _ in range(n))


# ----- passwords in prose and keys, per language -----

B11_PW_SAY = {
    "en": ["your interim password is ", "I reset it, the new password is ", "password for the guest wifi: ", "login: same e-mail, password ",
           "pass phrase for the archive is ", "temp pw ", "the PDF is protected with "],
    "de": ["Ihr vorläufiges Passwort lautet ", "neues Kennwort: ", "das WLAN-Passwort ist ", "Passwort für das Archiv: ", "PW lautet "],
    "fr": ["votre mot de passe provisoire est ", "nouveau mot de passe : ", "le code wifi (mot de passe) est ", "mdp du PDF : "],
    "es": ["su contraseña provisional es ", "nueva contraseña: ", "la clave del wifi es ", "contraseña del PDF: "],
    "it": ["la sua password temporanea è ", "nuova password: ", "password del wifi ospiti: ", "la password del PDF è "],
    "nl": ["uw tijdelijke wachtwoord is ", "nieuw wachtwoord: ", "het wifi-wachtwoord is ", "wachtwoord van de pdf: "],
}
B11_PW_NONE = {
    "en": ["Password reset requested via the portal, link sent.", "Customer says the password field does not accept emojis.",
           "password: see 1Password vault 'Finance'", "Password expired on login; user will change it.", "Your password must be 12+ characters.",
           "Password policy: 90 days, 5 history.", "Please never send your password by e-mail."],
    "de": ["Passwort zurückgesetzt, Link verschickt.", "Das Passwort muss mindestens 12 Zeichen lang sein.", "Kennwort abgelaufen, Kunde ändert es selbst.",
           "Passwort: siehe Tresor", "Bitte senden Sie uns niemals Ihr Passwort."],
    "fr": ["Mot de passe oublié : lien de réinitialisation envoyé.", "Le mot de passe doit contenir 12 caractères.", "mot de passe : voir coffre-fort KeePass",
           "Ne communiquez jamais votre mot de passe."],
    "es": ["Se restableció la contraseña, enlace enviado.", "La contraseña debe tener 12 caracteres.", "contraseña: ver gestor de claves",
           "Nunca envíe su contraseña por correo."],
    "it": ["Reset password richiesto dal portale.", "La password deve avere almeno 12 caratteri.", "password: vedi cassaforte aziendale",
           "Non inviare mai la password via e-mail."],
    "nl": ["Wachtwoord opnieuw ingesteld, link verstuurd.", "Het wachtwoord moet 12 tekens hebben.", "wachtwoord: zie kluis", "Stuur nooit uw wachtwoord per e-mail."],
}
B11_PWKEY = {"en": ["password", "db_password", "passwd", "adminPassword", "smtp_password", "PASSWORD"], "de": ["passwort", "kennwort", "Passwort"],
             "fr": ["mot_de_passe", "mdp", "motDePasse"], "es": ["contraseña", "clave", "password"], "it": ["password", "parola_chiave", "pwd"],
             "nl": ["wachtwoord", "ww", "password"]}
B11_NOPW_KEYS = ["password_policy", "password_min_length", "password_last_changed", "password_reset_url", "token_ttl", "secret_name", "api_key_id",
                 "passwordExpiresDays", "token_type", "secret_rotation_days"]
B11_SECKEY = ["client_secret", "aws_secret_access_key", "signing_key", "hmac_secret", "session_cookie", "api_key", "bearer_token", "refresh_token",
              "webhook_secret", "encryption_key", "private_token", "auth_token"]


def b11_pw_say(r, loc, safe=False):
    return [r.choice(B11_PW_SAY[b11_lang(loc)]), b11_PW(r, safe)]


def b11_pw_none(r, loc):
    return r.choice(B11_PW_NONE[b11_lang(loc)])


def b11_pwkey(r, loc):
    return r.choice(B11_PWKEY[b11_lang(loc)])


def b11_nopw_item(r):
    k = r.choice(B11_NOPW_KEYS)
    v = {"password_policy": "min12-upper-digit", "password_min_length": str(r.choice([8, 10, 12, 14])), "password_last_changed": f"2026-{r.randint(1, 11):02d}-{r.randint(1, 28):02d}",
         "password_reset_url": "https://id.example.org/reset", "token_ttl": f"{r.choice([15, 60, 3600])}{r.choice(['m', 's', ''])}", "secret_name": f"prod/{r.choice(['db', 'smtp', 'stripe'])}",
         "api_key_id": f"key_{rnd(r, B11_D, 6)}", "passwordExpiresDays": str(r.choice([30, 90, 180])), "token_type": "Bearer", "secret_rotation_days": str(r.choice([30, 90]))}[k]
    return k, v


def b11_sec_item(r):
    """(key, labelled value) for a config line holding some secret."""
    k = r.randrange(12)
    if k < 6:
        typ = r.choice(B11_VENDORS)
        key = {"AWS_ACCESS_KEY": "AWS_ACCESS_KEY_ID", "GITHUB_TOKEN": r.choice(["GITHUB_TOKEN", "GH_PAT"]), "SLACK_TOKEN": r.choice(["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]),
               "STRIPE_KEY": "STRIPE_SECRET_KEY", "OPENAI_KEY": "OPENAI_API_KEY", "ANTHROPIC_KEY": "ANTHROPIC_API_KEY", "GOOGLE_API_KEY": "GOOGLE_MAPS_API_KEY",
               "JWT": "SERVICE_JWT"}[typ]
        return key, b11_V(r, typ)
    if k < 9:
        key = r.choice(B11_SECKEY)
        kind = 0 if key == "aws_secret_access_key" else (4 if key == "session_cookie" else None)
        return key.upper() if r.random() < 0.5 else key, b11_GS(r, kind)
    if k < 11:
        return r.choice(["DB_PASSWORD", "SMTP_PASS", "REDIS_PASSWORD", "ADMIN_PASSWORD", "LDAP_BIND_PASSWORD", "RABBITMQ_DEFAULT_PASS"]), b11_PW(r, True)
    return r.choice(["EXAMPLE_AWS_KEY", "DOCS_SAMPLE_TOKEN", "SAMPLE_KEY"]), b11_PLH(r)


# ----- text documents -----

def B11_support_macro(f, r, loc):
    fn, ln = b11_person(f)
    agent = f.first_name()
    hi = b11_tr(loc, en=f"Hi {fn},", de=f"Hallo {fn},", fr=f"Bonjour {fn},", es=f"Hola {fn}:", it=f"Gentile {fn},", nl=f"Beste {fn},")
    body = b11_tr(loc, en="thanks for reaching out about your account. I've verified your identity with the details below:",
                  de="danke für Ihre Nachricht zu Ihrem Konto. Ich habe Ihre Identität mit diesen Angaben bestätigt:",
                  fr="merci pour votre message. J'ai vérifié votre identité avec les informations suivantes :",
                  es="gracias por escribirnos. He verificado su identidad con estos datos:",
                  it="grazie per averci contattato. Ho verificato la sua identità con questi dati:",
                  nl="bedankt voor uw bericht. Ik heb uw identiteit gecontroleerd met deze gegevens:")
    out = [f"[Macro: {r.choice(['Account unlock', 'Identity verified', 'Password reset done', 'Billing follow-up'])} v{r.randint(2, 9)}]\n", hi, "\n\n", body, "\n",
           "- E-mail: ", b11_EM(f, r, fn, ln), "\n", "- ", b11_tr(loc, en="Phone", de="Telefon", fr="Téléphone", es="Teléfono", it="Telefono", nl="Telefoon"), ": ",
           b11_PH(r, loc), "\n", f"- {b11_dobw(r, loc)}: ", b11_DOB(r, loc), "\n"]
    if loc == "en_US" and r.random() < 0.6:
        out += ["- SSN (last verified): ", b11_SSN(r, "-"), "\n"]
    out += ["- ", b11_la(f, r, loc, 1), "\n\n"]
    if r.random() < 0.6:
        out += [r.choice(B11_PW_SAY[b11_lang(loc)]).capitalize(), b11_PW(r), "\n"]
    else:
        out += [b11_pw_none(r, loc), "\n"]
    out += [f"\n{agent} · {r.choice(['Tier 1', 'Tier 2', 'Billing'])} · {b11_la(f, r, loc, 28)}\n"]
    return out


def B11_refund(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="REFUND REQUEST", de="ERSTATTUNGSANTRAG", fr="DEMANDE DE REMBOURSEMENT", es="SOLICITUD DE REEMBOLSO", it="RICHIESTA DI RIMBORSO", nl="TERUGBETALINGSVERZOEK"),
           f" — {b11_la(f, r, loc, 0)}\n", f"{fn} {ln} <", b11_EM(f, r, fn, ln), ">\n",
           b11_tr(loc, en="Reason: item arrived damaged", de="Grund: Ware beschädigt angekommen", fr="Motif : article endommagé", es="Motivo: artículo dañado",
                  it="Motivo: articolo danneggiato", nl="Reden: artikel beschadigd"), f" ({b11_la(f, r, loc, 10)})\n"]
    if r.random() < 0.5:
        out += [b11_tr(loc, en="Refund to card ", de="Erstattung auf Karte ", fr="Remboursement sur la carte ", es="Reembolso a la tarjeta ", it="Rimborso sulla carta ",
                       nl="Terugstorten op kaart "), b11_CC(r), f", exp {r.randint(1, 12):02d}/{r.randint(27, 31)}, CVC ", b11_CVC(r), "\n"]
    else:
        out += [b11_tr(loc, en="Refund by bank transfer to ", de="Rückerstattung per Überweisung an ", fr="Virement sur ", es="Transferencia a ", it="Bonifico su ",
                       nl="Overmaken naar "), b11_IBAN(r, loc), "\n"]
    out += [b11_tr(loc, en="Callback: ", de="Rückruf: ", fr="Rappel : ", es="Llamar al ", it="Richiamare: ", nl="Terugbellen: "), b11_PH(r, loc), "\n",
            f"{b11_la(f, r, loc, 23)} | {b11_la(f, r, loc, 36)} | {b11_la(f, r, loc, 21)}\n"]
    return out


def B11_tfplan(f, r, loc):
    name = r.choice(["orders", "billing", "notify", "ingest"])
    typ = r.choice(["AWS_ACCESS_KEY", "STRIPE_KEY", "SLACK_TOKEN", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "GITHUB_TOKEN"])
    envk = {"AWS_ACCESS_KEY": "UPLOAD_AWS_KEY_ID", "STRIPE_KEY": "STRIPE_API_KEY", "SLACK_TOKEN": "SLACK_TOKEN", "OPENAI_KEY": "OPENAI_API_KEY",
            "ANTHROPIC_KEY": "ANTHROPIC_API_KEY", "GOOGLE_API_KEY": "GEOCODER_KEY", "GITHUB_TOKEN": "GH_TOKEN"}[typ]
    out = ["Terraform used the selected providers to generate the following execution plan.\n\n",
           f"  # aws_lambda_function.{name} will be updated in-place\n", f'  ~ resource "aws_lambda_function" "{name}" {{\n',
           f'        id            = "{name}-handler"\n', f'      ~ last_modified = "{b11_la(f, r, loc, 21)}" -> (known after apply)\n',
           "      ~ environment {\n          ~ variables = {\n", f'              ~ "{envk}" = "', b11_V(r, typ), '"\n',
           f'              + "{r.choice(["SIGNING_SECRET", "HMAC_KEY", "SESSION_SECRET"])}" = "', b11_GS(r), '"\n',
           f'              + "SENTRY_RELEASE" = "{b11_la(f, r, loc, 20)}"\n', '                "DB_PASSWORD" = (sensitive value)\n', "            }\n        }\n    }\n\n"]
    if r.random() < 0.6:
        out += [f'  # aws_db_instance.{name} will be created\n', f'  + resource "aws_db_instance" "{name}" {{\n',
                f'      + username = "{name}_app"\n', '      + password = "', b11_PW(r), '"\n', f'      + endpoint = (known after apply)\n',
                f'      + tags     = {{ "owner" = "', b11_EM(f, r), '" }\n    }\n\n']
    out += [f"Plan: {r.randint(0, 3)} to add, 1 to change, 0 to destroy.\n"]
    return out


def B11_gha_log(f, r, loc):
    t = datetime.datetime(2026, 12, r.randint(1, 7), r.randint(6, 20), r.randint(0, 59), r.randint(0, 59))
    ts = lambda: (t + datetime.timedelta(seconds=r.randint(0, 300))).strftime("%Y-%m-%dT%H:%M:%S.") + rnd(r, B11_D, 7) + "Z "
    out = [ts(), "##[group]Run ./scripts/deploy.sh\n", ts(), "./scripts/deploy.sh\n", ts(), "shell: /usr/bin/bash -e {0}\n", ts(), "env:\n",
           ts(), "  AWS_REGION: eu-central-1\n", ts(), "  DEPLOY_TOKEN: ***\n", ts(), "##[endgroup]\n"]
    k = r.randrange(4)
    if k == 0:
        out += [ts(), "+ echo 'debug: using key ", b11_V(r, "AWS_ACCESS_KEY"), "'\n", ts(), "debug: aws_secret_access_key=", b11_GS(r, 0), "\n"]
    elif k == 1:
        out += [ts(), "+ curl -sf -H 'Authorization: token ", b11_V(r, "GITHUB_TOKEN"), "' https://api.github.com/repos/acme/app/releases\n"]
    elif k == 2:
        out += [ts(), "Notifying ", b11_EM(f, r), " via Slack (token ", b11_V(r, "SLACK_TOKEN"), ")\n"]
    else:
        out += [ts(), "npm verb config ", r.choice(["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]), "=", b11_V(r, r.choice(["OPENAI_KEY", "ANTHROPIC_KEY"])), "\n"]
    out += [ts(), f"Image pushed: ghcr.io/acme/app@{b11_la(f, r, loc, 18)}\n", ts(), f"Runner IP ", b11_IP4(r), f", {b11_la(f, r, loc, 20)}\n",
            ts(), "##[error]Process completed with exit code ", str(r.choice([0, 1, 2, 137])), ".\n"]
    return out


def B11_helm_values(f, r, loc):
    out = [f"# values-{r.choice(['prod', 'staging', 'eu'])}.yaml  (helm upgrade --install app ./chart -f this)\n", "image:\n",
           f"  repository: registry.acme.io/app\n  tag: \"{b11_la(f, r, loc, 20).split(' ')[-1]}\"\n", "postgresql:\n  auth:\n    username: app\n    password: ", b11_PW(r), "\n",
           "    " + r.choice(['existingSecret: ""', 'database: orders']) + "\n", "redis:\n  auth:\n    password: ", b11_PW(r), "\n", "config:\n"]
    seen = set()
    for _ in range(r.randint(2, 4)):
        k, v = b11_sec_item(r)
        if k.lower() not in seen:  # no duplicate YAML keys
            seen.add(k.lower())
            out += [f"  {k.lower()}: ", v, "\n"]
    k, v = b11_nopw_item(r)
    out += [f"  {k}: {v}\n", "  adminEmail: ", b11_EM(f, r), "\n", "  allowedCidrs: [\"", b11_IP4(r), "/32\"]\n"]
    if r.random() < 0.6:
        out += ["tls:\n  crt: |\n    ", b11_cert_value(r, "\n    "), "\n  key: |\n    ", b11_PEM(r, "\n    ", r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"])), "\n"]
    else:
        out += ["tls:\n  secretName: app-tls  # ", b11_pw_none(r, "en_US"), "\n"]
    return out


def B11_pglog(f, r, loc):
    t = lambda: f"2026-12-0{r.randint(1, 7)} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, B11_D, 3)} UTC"
    pid = lambda: f"[{r.randint(1000, 99999)}]"
    user = r.choice(["app", "billing_rw", "reporting", "etl"])
    out = [t(), " ", pid(), f" {user}@orders LOG:  connection received: host=", b11_IP(r), f" port={r.randint(30000, 65000)}\n",
           t(), " ", pid(), f" {user}@orders FATAL:  password authentication failed for user \"{user}\"\n",
           t(), " ", pid(), f" {user}@orders DETAIL:  Connection matched pg_hba.conf line {r.randint(80, 120)}: \"host all all 0.0.0.0/0 scram-sha-256\"\n",
           t(), " ", pid(), f" app@orders ERROR:  duplicate key value violates unique constraint \"customers_email_key\"\n",
           t(), " ", pid(), " app@orders DETAIL:  Key (email)=(", b11_EM(f, r), ") already exists.\n",
           t(), " ", pid(), " app@orders STATEMENT:  INSERT INTO customers (email, phone, iban) VALUES ('", b11_EM(f, r), "', '", b11_PH(r, loc), "', '", b11_IBAN(r, loc, False), "')\n"]
    if r.random() < 0.5:
        out += [t(), " ", pid(), " postgres@postgres LOG:  statement: ALTER ROLE ", user, " WITH PASSWORD '", b11_PW(r), "'\n"]
    out += [t(), " ", pid(), f" LOG:  checkpoint complete: wrote {r.randint(10, 9000)} buffers; {b11_la(f, r, loc, 17)}\n"]
    return out


def B11_mysqllog(f, r, loc):
    t = lambda: f"2026-12-0{r.randint(1, 7)}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, B11_D, 6)}Z"
    out = [t(), f" {r.randint(10, 999)} [Warning] [MY-010055] [Server] IP address '", b11_IP4(r), "' could not be resolved: Name or service not known\n",
           t(), f" {r.randint(10, 999)} [Note] [MY-010914] [Server] Aborted connection {r.randint(1000, 99999)} to db: 'shop' user: 'web' host: '", b11_IP4(r), "' (Got timeout reading communication packets)\n",
           "# Query_time: ", f"{r.uniform(1, 40):.6f}", "  Lock_time: 0.000120 Rows_sent: 1  Rows_examined: ", str(r.randint(1000, 9999999)), "\n",
           "SELECT * FROM users WHERE email = '", b11_EM(f, r), "' OR phone = '", b11_PH(r, loc, style="e164"), "';\n"]
    if r.random() < 0.5:
        out += [t(), " 0 [Note] [MY-000000] [Server] general_log: CREATE USER 'report'@'%' IDENTIFIED BY '", b11_PW(r), "'\n"]
    out += [f"mysql: [ERROR] {b11_la(f, r, loc, 16)}: Access denied for user 'root'@'localhost' (using password: YES)\n"]
    return out


def B11_ldif(f, r, loc):
    out = [f"# extended LDIF\n# base <ou=people,dc={r.choice(['acme', 'stadtwerke', 'mairie-lyon', 'ayto-bilbao', 'comune-pisa', 'gemeente-ede'])},dc=local> with scope subtree\n#\n\n"]
    for _ in range(r.randint(1, 3)):
        fn, ln = b11_person(f)
        uid = (b11_ascii(fn)[:1] + b11_ascii(ln)) or "user"
        out += [f"dn: uid={uid},ou=people,dc=acme,dc=local\n", "objectClass: inetOrgPerson\n", f"cn: {fn} {ln}\n", f"uid: {uid}\n", "mail: ", b11_EM(f, r, fn, ln), "\n",
                "telephoneNumber: ", b11_PH(r, loc, style=r.choice(["intl", "nat"])), "\n"]
        if r.random() < 0.6:
            out += ["mobile: ", b11_PH(r, loc, style="e164"), "\n"]
        out += [f"employeeNumber: {rnd(r, B11_D, 6)}\n", f"objectGUID:: {base64.b64encode(bytes(r.randrange(256) for _ in range(16))).decode()}\n",
                f"{b11_la(f, r, loc, 14)}\n", "\n"]
    if r.random() < 0.5:
        out += ["# bind used for this export: cn=svc-ldap-export, password ", b11_PW(r, True), "\n"]
    out += [f"# numEntries: {r.randint(1, 3)}\n"]
    return out


def B11_saml_debug(f, r, loc):
    fn, ln = b11_person(f)
    out = ["SAML-tracer export — POST https://sso.", r.choice(["acme.io", "kliniek-noord.nl", "versicherung-sued.de"]), "/saml/acs\n",
           f"<samlp:Response ID=\"_{rnd(r, HEX, 40)}\" InResponseTo=\"_{rnd(r, HEX, 32)}\" IssueInstant=\"{b11_la(f, r, loc, 21)}\">\n",
           "  <saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">", b11_EM(f, r, fn, ln), "</saml:NameID></saml:Subject>\n",
           "  <saml:Attribute Name=\"mobilePhone\"><saml:AttributeValue>", b11_PH(r, loc, style="e164"), "</saml:AttributeValue></saml:Attribute>\n",
           f"  <saml:Attribute Name=\"displayName\"><saml:AttributeValue>{fn} {ln}</saml:AttributeValue></saml:Attribute>\n",
           "  <saml:Attribute Name=\"birthdate\"><saml:AttributeValue>", b11_DOB(r, loc, style=0), "</saml:AttributeValue></saml:Attribute>\n",
           "  <ds:SignatureValue>", base64.b64encode(bytes(r.randrange(256) for _ in range(96))).decode(), "</ds:SignatureValue>\n</samlp:Response>\n",
           "client ip ", b11_IP(r), f", NotOnOrAfter {b11_la(f, r, loc, 21)}\n"]
    return out


def B11_oidc_debug(f, r, loc):
    cid = b11_uuid(r)
    out = ["$ curl -s -X POST https://login.", r.choice(["acme.io", "portal-nord.de", "mutuelle-ouest.fr"]), "/oauth2/token \\\n",
           f"    -d grant_type=client_credentials -d client_id={cid} \\\n", "    -d client_secret=", b11_GS(r, r.choice([1, 5, 6])), " | jq .\n",
           "{\n", '  "access_token": "', b11_V(r, "JWT"), '",\n', '  "token_type": "Bearer",\n', f'  "expires_in": {r.choice([300, 3599, 86399])},\n']
    if r.random() < 0.6:
        out += ['  "refresh_token": "', b11_GS(r, 5), '",\n']
    out += ['  "id_token": "', B11L("JWT", b11_jwt(r, {"email": "user@" + r.choice(B11_MAILDOM), "nonce": rnd(r, AN, 16)})), '"\n}\n',
            f"# jwks kid {rnd(r, B11_URL, 22)}, {b11_la(f, r, loc, 22)}\n"]
    return out


def B11_twilio_log(f, r, loc):
    out = []
    for _ in range(r.randint(2, 4)):
        t = datetime.datetime(2026, 12, r.randint(1, 7), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
        st = r.choice(["delivered", "undelivered", "failed", "sent"])
        out += [t.strftime("%Y-%m-%d %H:%M:%S"), f" {b11_twilio_sid(r)} {st:<11} from ", b11_PH(r, loc, style="e164"), " to ", b11_PH(r, loc, 0.15, style="e164"),
                f" body=\"{b11_tr(loc, en='Your code is', de='Ihr Code lautet', fr='Votre code est', es='Su código es', it='Il suo codice è', nl='Uw code is')} {rnd(r, B11_D, 6)}\"",
                f" err={r.choice(['-', '30003', '30005', '21610'])}\n"]
    out += [f"AccountSid AC{rnd(r, HEX, 32)} · auth token ", b11_GS(r, 2) if r.random() < 0.5 else "(hidden)", "\n"]
    return out


def B11_hl7(f, r, loc):
    fn, ln = b11_person(f)
    ts = f"2026120{r.randint(1, 7)}{r.randint(0, 23):02d}{r.randint(0, 59):02d}"
    out = [f"MSH|^~\\&|EPIC|{r.choice(['STMARY', 'KLINIKUM', 'CHU', 'HSP'])}|LAB|LAB|{ts}||ADT^A08|{rnd(r, B11_D, 14)}|P|2.5.1\r\n",
           f"EVN|A08|{ts}\r\n", f"PID|1||{rnd(r, B11_D, 8)}^^^MRN||{ln.upper()}^{fn.upper()}||||||{f.street_address()}^^{b11_city(r, loc)}||", b11_PH(r, loc), "|",
           b11_PH(r, loc), f"||||{rnd(r, B11_D, 9)}\r\n",
           f"PV1|1|I|{r.choice(['W3', 'ICU', 'ER'])}^{r.randint(100, 499)}^1||||{rnd(r, B11_D, 6)}^{f.last_name().upper()}\r\n",
           "NTE|1||", b11_tr(loc, en="Pt states date of birth ", de="Pat. gibt Geburtsdatum an: ", fr="Patient déclare être né le ", es="Paciente indica fecha de nacimiento ",
                             it="Paziente dichiara data di nascita ", nl="Pat. geeft geboortedatum op: "), b11_DOB(r, loc), f", {b11_la(f, r, loc, 29)}\r\n"]
    if loc == "en_US":
        out += ["NTE|2||SSN on insurance card ", b11_SSN(r), "\r\n"]
    out += ["NTE|3||", b11_tr(loc, en="contact daughter ", de="Kontakt Tochter ", fr="contacter sa fille ", es="contactar a la hija ", it="contattare la figlia ", nl="contact dochter "),
            b11_EM(f, r), "\r\n"]
    return out


def B11_bank_statement(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="ACCOUNT STATEMENT", de="KONTOAUSZUG", fr="RELEVÉ DE COMPTE", es="EXTRACTO DE CUENTA", it="ESTRATTO CONTO", nl="REKENINGAFSCHRIFT"),
           f" {r.randint(1, 12)}/{B11_TODAY.year}\n", f"{fn} {ln}\n", "IBAN ", b11_IBAN(r, loc, True, 0), f"   BIC {rnd(r, B11_UP, 4)}{B11_HOME[loc]}{rnd(r, B11_UPD, 2)}\n",
           b11_tr(loc, en="Date        Description                                    Amount", de="Datum       Buchungstext                                  Betrag",
                  fr="Date        Libellé                                        Montant", es="Fecha       Concepto                                       Importe",
                  it="Data        Descrizione                                    Importo", nl="Datum       Omschrijving                                   Bedrag"), "\n"]
    for _ in range(r.randint(3, 6)):
        k = r.randrange(5)
        out += [b11_when(r, loc, 30, 0, style=2), "  "]
        if k == 0:
            out += ["SEPA ", b11_tr(loc, en="transfer from ", de="Gutschrift von ", fr="virement de ", es="transferencia de ", it="bonifico da ", nl="overboeking van "),
                    f"{f.last_name()} ", b11_IBAN(r, loc, False, 0.3), f"  +{r.randint(10, 3000)},{rnd(r, B11_D, 2)}\n"]
        elif k == 1:
            out += [f"SEPA-Lastschrift {b11_la(f, r, loc, 11)} {b11_la(f, r, loc, 12)}  -{r.randint(5, 400)},{rnd(r, B11_D, 2)}\n"]
        elif k == 2:
            out += [f"{b11_tr(loc, en='Card payment', de='Kartenzahlung', fr='Paiement CB', es='Pago con tarjeta', it='Pagamento carta', nl='Pinbetaling')} {b11_la(f, r, loc, 31)} {f.company()}  -{r.randint(1, 200)},{rnd(r, B11_D, 2)}\n"]
        elif k == 3:
            out += [f"{b11_la(f, r, loc, 1)}  -{r.randint(10, 900)},{rnd(r, B11_D, 2)}\n"]
        else:
            out += [f"{b11_tr(loc, en='Standing order to', de='Dauerauftrag an', fr='Virement permanent vers', es='Orden permanente a', it='Bonifico permanente a', nl='Periodieke overboeking naar')} ",
                    b11_IBAN(r, loc, True, 0.2), f"  -{r.randint(300, 1500)},00\n"]
    out += [b11_tr(loc, en="Questions? Call ", de="Fragen? Rufen Sie an: ", fr="Des questions ? ", es="¿Dudas? Llame al ", it="Domande? Chiami il ", nl="Vragen? Bel "), b11_PH(r, loc, 0), "\n"]
    return out


def B11_payslip(f, r, loc):
    fn, ln = b11_person(f)
    gross = r.randint(2200, 9800)
    out = [b11_tr(loc, en="PAYSLIP", de="ENTGELTABRECHNUNG", fr="BULLETIN DE PAIE", es="NÓMINA", it="BUSTA PAGA", nl="LOONSTROOK"), f" {B11_MON[b11_lang(loc)][r.randint(0, 10)]} {B11_TODAY.year}\n",
           f"{f.company()}\n", b11_tr(loc, en="Employee", de="Mitarbeiter/in", fr="Salarié(e)", es="Empleado/a", it="Dipendente", nl="Werknemer"), f": {fn} {ln}  #{rnd(r, B11_D, 5)}\n",
           f"{b11_dobw(r, loc)}: ", b11_DOB(r, loc, 18, 67), "\n"]
    if loc == "en_US":
        out += ["SSN: ", b11_SSN(r), f"   Filing status: {r.choice(['Single', 'Married filing jointly'])}   {b11_non_ssn(r)}\n"]
    else:
        out += [b11_tr(loc, en="NI number: on file", de="Steuer-ID: " + rnd(r, B11_D, 11), fr="N° SS : voir dossier", es="NAF: " + rnd(r, B11_D, 12),
                       it="Codice fiscale: in archivio", nl="BSN: zie dossier"), "\n"]
    out += [b11_tr(loc, en="Gross", de="Brutto", fr="Brut", es="Bruto", it="Lordo", nl="Bruto"), f" {gross},00  ", b11_tr(loc, en="Net", de="Netto", fr="Net", es="Neto", it="Netto", nl="Netto"),
            f" {int(gross * 0.64)},{rnd(r, B11_D, 2)}\n", b11_tr(loc, en="Paid to", de="Überwiesen auf", fr="Versé sur", es="Abonado en", it="Accreditato su", nl="Betaald op"), " ",
            b11_IBAN(r, loc, None, 0.1), f" {b11_tr(loc, en='on', de='am', fr='le', es='el', it='il', nl='op')} {b11_when(r, loc, 20, 0)}\n",
            f"{b11_la(f, r, loc, 36)} · {b11_la(f, r, loc, 39)}\n"]
    return out


def B11_tenancy(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="Tenancy application", de="Mieterselbstauskunft", fr="Dossier de location", es="Solicitud de alquiler", it="Domanda di locazione", nl="Huuraanvraag"),
           f" — {f.street_address()}, {b11_city(r, loc)}\n\n", b11_tr(loc, en="Applicant", de="Mietinteressent", fr="Candidat", es="Solicitante", it="Richiedente", nl="Aanvrager"),
           f": {fn} {ln}\n", f"{b11_dobw(r, loc)}: ", b11_DOB(r, loc, 19, 80), "\n", "E-mail: ", b11_EM(f, r, fn, ln), "\n",
           b11_tr(loc, en="Mobile", de="Mobil", fr="Portable", es="Móvil", it="Cellulare", nl="Mobiel"), ": ", b11_PH(r, loc), "\n",
           b11_tr(loc, en="Employer", de="Arbeitgeber", fr="Employeur", es="Empresa", it="Datore di lavoro", nl="Werkgever"), f": {f.company()}, ",
           b11_tr(loc, en="net income", de="Nettoeinkommen", fr="revenu net", es="ingresos netos", it="reddito netto", nl="netto-inkomen"), f" {r.randint(1800, 6000)} €\n",
           b11_tr(loc, en="Current landlord", de="Bisheriger Vermieter", fr="Propriétaire actuel", es="Casero actual", it="Locatore attuale", nl="Huidige verhuurder"),
           f": {f.name()}, ", b11_PH(r, loc), "\n"]
    if loc == "en_US":
        out += ["SSN (for credit check): ", b11_SSN(r), "\n"]
    out += [b11_tr(loc, en="Deposit account", de="Kautionskonto", fr="Compte pour la caution", es="Cuenta para la fianza", it="Conto per la cauzione", nl="Rekening borg"), ": ",
            b11_IBAN(r, loc), "\n", b11_tr(loc, en="Co-applicant born ", de="Mitmieter geboren am ", fr="Co-titulaire né le ", es="Cotitular nacido el ", it="Cointestatario nato il ",
                                           nl="Medehuurder geboren op "), b11_DOB(r, loc, 19, 80), "\n",
            b11_tr(loc, en="Move-in date", de="Einzug", fr="Date d'entrée", es="Fecha de entrada", it="Data ingresso", nl="Ingangsdatum"), f": {b11_when(r, loc, 0, 90)}  ({b11_la(f, r, loc, 39)})\n"]
    return out


def B11_travel(f, r, loc):
    fn, ln = b11_person(f)
    dep = B11_TODAY + datetime.timedelta(days=r.randint(3, 120))
    out = [b11_tr(loc, en="Booking confirmation", de="Buchungsbestätigung", fr="Confirmation de réservation", es="Confirmación de reserva", it="Conferma di prenotazione",
                  nl="Boekingsbevestiging"), f"  PNR {rnd(r, B11_UP, 2)}{rnd(r, B11_UPD, 4)}\n", f"{b11_la(f, r, loc, 35)} · {b11_date(r, dep, loc)} · {b11_la(f, r, loc, 3)}\n",
           b11_tr(loc, en="Passenger", de="Reisende/r", fr="Passager", es="Pasajero", it="Passeggero", nl="Passagier"), f": {ln.upper()}/{fn.upper()} {r.choice(['MR', 'MS', 'MRS'])}\n",
           f"{b11_dobw(r, loc)}: ", b11_DOB(r, loc, 2, 85), "\n", "Contact: ", b11_EM(f, r, fn, ln), " / ", b11_PH(r, loc), "\n"]
    if r.random() < 0.45:
        out += [b11_tr(loc, en="Paid with ", de="Bezahlt mit ", fr="Payé avec ", es="Pagado con ", it="Pagato con ", nl="Betaald met "), b11_CC(r), "\n"]
    else:
        out += [b11_tr(loc, en="Paid with card ", de="Bezahlt mit Karte ", fr="Payé par carte ", es="Pagado con tarjeta ", it="Pagato con carta ", nl="Betaald met kaart "),
                f"{b11_la(f, r, loc, 31)}\n"]
    out += [f"{b11_la(f, r, loc, 2)} · {b11_tr(loc, en='return', de='Rückflug', fr='retour', es='vuelta', it='ritorno', nl='terugvlucht')} {b11_date(r, dep + datetime.timedelta(days=r.randint(2, 21)), loc)}\n"]
    return out


def B11_school_form(f, r, loc):
    kfn, ln = f.first_name(), f.last_name()
    pfn = f.first_name()
    out = [b11_tr(loc, en="School enrolment form", de="Schulanmeldung", fr="Fiche d'inscription scolaire", es="Ficha de matrícula escolar", it="Modulo di iscrizione scolastica",
                  nl="Inschrijfformulier school"), f" {B11_TODAY.year}/{B11_TODAY.year + 1 - 2000}\n",
           b11_tr(loc, en="Child", de="Kind", fr="Enfant", es="Alumno/a", it="Alunno/a", nl="Kind"), f": {kfn} {ln}   {b11_dobw(r, loc)}: ", b11_DOB(r, loc, 4, 15), "\n",
           b11_tr(loc, en="Parent/guardian", de="Erziehungsberechtigte/r", fr="Responsable légal", es="Padre/madre/tutor", it="Genitore/tutore", nl="Ouder/voogd"), f": {pfn} {ln}, ",
           b11_tr(loc, en="born", de="geb.", fr="né(e) le", es="nacido/a el", it="nato/a il", nl="geboren"), " ", b11_DOB(r, loc, 25, 60), "\n",
           "Tel: ", b11_PH(r, loc), b11_tr(loc, en=" (emergency: ", de=" (Notfall: ", fr=" (urgence : ", es=" (urgencias: ", it=" (emergenze: ", nl=" (nood: "), b11_PH(r, loc), ")\n",
           "E-mail: ", b11_EM(f, r, pfn, ln), "\n",
           b11_tr(loc, en="Allergies: peanuts. Photo consent: yes.", de="Allergien: Nüsse. Fotoerlaubnis: ja.", fr="Allergies : arachides. Droit à l'image : oui.",
                  es="Alergias: frutos secos. Fotos: sí.", it="Allergie: arachidi. Consenso foto: sì.", nl="Allergieën: pinda. Toestemming foto's: ja."), "\n",
           b11_tr(loc, en="School trip fee by direct debit from ", de="Klassenfahrt per Lastschrift von ", fr="Sortie scolaire prélevée sur ", es="Excursión domiciliada en ",
                  it="Gita addebitata su ", nl="Schoolreis via incasso van "), b11_IBAN(r, loc, None, 0), f"; {b11_la(f, r, loc, 29)}\n"]
    return out


def B11_shell_prompt(f, r, loc):
    user = b11_ascii(f.first_name()) or "dev"
    host = r.choice(["bastion-1", "db-replica", "build01", "mbp-" + user, "jumpbox"])
    p = f"{user}@{host}:~$ "
    out = []
    for _ in range(r.randint(3, 5)):
        k = r.randrange(9)
        if k == 0:
            out += [p, "export AWS_ACCESS_KEY_ID=", b11_V(r, "AWS_ACCESS_KEY"), "\n", p, "export AWS_SECRET_ACCESS_KEY=", b11_GS(r, 0), "\n"]
        elif k == 1:
            out += [p, f"mysql -h ", b11_IP4(r), " -u admin -p", b11_PW(r, True), " shop\n", "mysql: [Warning] Using a password on the command line interface can be insecure.\n"]
        elif k == 2:
            out += [p, "psql \"postgresql://report:", b11_PW(r, True), "@", r.choice(["db.internal", b11_IP4(r), "pg-eu.acme.io"]), ":5432/analytics\"\n", "psql (16.4)\n"]
        elif k == 3:
            out += [p, "ssh -i ~/.ssh/deploy ubuntu@", b11_IP(r), "\n", f"The authenticity of host can't be established. ED25519 key fingerprint is {b11_la(f, r, loc, 38)}.\n"]
        elif k == 4:
            out += [p, "redis-cli -h cache.internal -a ", b11_PW(r, True), " ping\nPONG\n"]
        elif k == 5:
            out += [p, "cat ~/.ssh/id_ed25519\n", b11_PEM(r, kind="OPENSSH PRIVATE KEY"), "\n"]
        elif k == 6:
            out += [p, "gh auth status\n", "  ✓ Logged in to github.com account ", user, " (keyring)\n  - Token: ", b11_V(r, "GITHUB_TOKEN"), "\n"]
        elif k == 7:
            out += [p, f"git log -1 --format=%H\n{rnd(r, HEX, 40)}\n"]
        else:
            out += [p, "curl -s ifconfig.me\n", b11_IP(r), "\n"]
    return out


def B11_jupyter(f, r, loc):
    out = [f"In [{r.randint(1, 9)}]: df = pd.read_csv('customers_{B11_TODAY.isoformat()}.csv')\n        df.head(3)\n", f"Out[{r.randint(1, 9)}]:\n",
           "   id  name                 email                              phone             signup\n"]
    for i in range(3):
        fn, ln = b11_person(f)
        out += [f"{i:>2}  {rnd(r, B11_D, 5)}  {(fn + ' ' + ln)[:20]:<20} ", b11_EM(f, r, fn, ln), "  ", b11_PH(r, loc), f"  {b11_when(r, loc, 900, 0, style=0)}\n"]
    out += [f"\nIn [{r.randint(10, 19)}]: os.environ['", r.choice(["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY"]), "']\n"]
    typ = r.choice(["OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY"])
    out += [f"Out[{r.randint(10, 19)}]: '", b11_V(r, typ), "'\n"]
    if r.random() < 0.4:
        out += [f"\nIn [{r.randint(20, 29)}]: client = Client(api_key='", b11_PLH(r), "')  # from the docs\n"]
    return out


def B11_go_panic(f, r, loc):
    out = ["panic: failed to connect to `host=", r.choice(["pg-primary", b11_IP4(r), "db.orders.svc"]), " user=orders database=orders`: ",
           "dial error (dial tcp ", b11_IP4(r), f":5432: connect: connection refused)\n\n",
           f"goroutine 1 [running]:\nmain.mustDB({{0xc000{rnd(r, HEX, 6)}, 0x{r.randint(20, 99):x}}})\n\t/src/cmd/api/main.go:{r.randint(40, 300)} +0x{rnd(r, HEX, 3)}\n",
           f"main.main()\n\t/src/cmd/api/main.go:{r.randint(20, 40)} +0x{rnd(r, HEX, 2)}\nexit status 2\n",
           "\n# config dump (DEBUG=1)\n", "DATABASE_URL=postgres://orders:", b11_PW(r, True), "@pg-primary:5432/orders?sslmode=require\n"]
    k, v = b11_sec_item(r)
    out += [f"{k}={''}", v, "\n", f"BUILD={b11_la(f, r, loc, 20)}\n"]
    return out


def B11_rust_panic(f, r, loc):
    typ = r.choice(["STRIPE_KEY", "SLACK_TOKEN", "GITHUB_TOKEN", "ANTHROPIC_KEY", "OPENAI_KEY"])
    out = [f"thread 'tokio-runtime-worker' panicked at src/{r.choice(['billing', 'notify', 'sync'])}.rs:{r.randint(10, 400)}:{r.randint(5, 60)}:\n",
           "called `Result::unwrap()` on an `Err` value: Api { status: 401, message: \"invalid api key: ", b11_V(r, typ), "\" }\n",
           "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
           f"[{b11_la(f, r, loc, 21)} ERROR worker] request_id={b11_uuid(r)} customer=", b11_EM(f, r), " peer=", b11_IP(r), "\n"]
    return out


def B11_node_crash(f, r, loc):
    out = [f"node:internal/process/promises:{r.randint(280, 400)}\n      triggerUncaughtException(err, true /* fromPromise */);\n      ^\n\n",
           "Error: Request failed with status code 403\n    at createError (/app/node_modules/axios/lib/core/createError.js:16:15)\n",
           "  config: {\n    url: 'https://api.", r.choice(["sendgrid.com/v3/mail/send", "openai.com/v1/responses", "stripe.com/v1/charges"]), "',\n",
           "    headers: {\n      Authorization: 'Bearer ", b11_anysecret(r), "',\n", f"      'User-Agent': 'axios/1.{r.randint(1, 7)}.{r.randint(0, 9)}'\n    }},\n",
           "    data: '{\"to\":\"", b11_EM(f, r), "\",\"phone\":\"", b11_PH(r, loc, style="e164"), "\"}'\n  },\n",
           f"  code: 'ERR_BAD_REQUEST'\n}}\n\nNode.js v{r.randint(18, 23)}.{r.randint(0, 12)}.{r.randint(0, 9)}\n"]
    return out


def B11_slack_thread(f, r, loc):
    names = [f.first_name() for _ in range(3)]
    t = datetime.datetime(2026, 12, r.randint(1, 7), r.randint(8, 17), r.randint(0, 59))
    out = [f"#{r.choice(['ops-help', 'billing-escalations', 'kundenservice', 'support-fr', 'it-help'])} — thread\n"]
    lines = [
        lambda: ["can someone check why ", b11_EM(f, r), " can't log in? ", b11_la(f, r, loc, 1)],
        lambda: ["their number is ", b11_PH(r, loc), ", they asked for a callback"],
        lambda: ["here's the bot token for the new workspace app, rotate after: ", b11_V(r, "SLACK_TOKEN")],
        lambda: b11_pw_say(r, loc),
        lambda: [b11_pw_none(r, loc)],
        lambda: ["the docs sample key is ", b11_PLH(r), " fwiw, not ours"],
        lambda: ["ip in the WAF log was ", b11_IP(r), f", blocked at {b11_la(f, r, loc, 21)}"],
        lambda: ["staging key: ", b11_V(r), " (will revoke)"],
        lambda: [b11_las(f, r, loc, 2)],
        lambda: ["customer read the card out: ", b11_CC(r), " — please don't paste those here"],
    ]
    for i in range(r.randint(3, 6)):
        t += datetime.timedelta(minutes=r.randint(1, 30))
        out += [f"{names[i % 3]}  {t.strftime('%H:%M')}\n"] + r.choice(lines)() + ["\n"]
    return out


def B11_teams_thread(f, r, loc):
    out = []
    for _ in range(r.randint(2, 4)):
        n = f.name()
        t = datetime.datetime(2026, 12, r.randint(1, 7), r.randint(8, 18), r.randint(0, 59))
        out += [f"[{t.strftime('%d/%m/%Y %H:%M')}] {n}:\n"]
        k = r.randrange(6)
        if k == 0:
            out += [b11_tr(loc, en="Client's new IBAN: ", de="Neue IBAN des Mandanten: ", fr="Nouvel IBAN du client : ", es="IBAN nuevo del cliente: ", it="Nuovo IBAN del cliente: ",
                           nl="Nieuwe IBAN klant: "), b11_IBAN(r, loc), "\n"]
        elif k == 1:
            out += [b11_tr(loc, en="Call me on ", de="Ruf mich an unter ", fr="Appelle-moi au ", es="Llámame al ", it="Chiamami al ", nl="Bel me op "), b11_PH(r, loc), "\n"]
        elif k == 2:
            out += b11_pw_say(r, loc) + ["\n"]
        elif k == 3:
            out += [b11_la(f, r, loc, 28), "\n"]
        elif k == 4:
            out += [b11_tr(loc, en="Shared mailbox: ", de="Sammelpostfach: ", fr="Boîte partagée : ", es="Buzón compartido: ", it="Casella condivisa: ", nl="Gedeelde mailbox: "),
                    b11_EM(f, r), "\n"]
        else:
            out += [b11_pw_none(r, loc), f" ({b11_la(f, r, loc, 37)})\n"]
    return out


def B11_ics(f, r, loc):
    d = B11_TODAY + datetime.timedelta(days=r.randint(1, 40))
    out = ["BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Acme//Calendar 3.1//EN\nBEGIN:VEVENT\n", f"UID:{b11_uuid(r)}\n",
           f"DTSTART:{d.strftime('%Y%m%d')}T{r.randint(8, 17):02d}0000Z\n", f"DTSTAMP:{B11_TODAY.strftime('%Y%m%d')}T0{r.randint(1, 9)}1500Z\n",
           "ORGANIZER;CN=", f.name(), ":mailto:", b11_EM(f, r), "\n", "ATTENDEE;ROLE=REQ-PARTICIPANT;CN=", f.name(), ":mailto:", b11_EM(f, r), "\n",
           "DESCRIPTION:", b11_tr(loc, en="Dial-in ", de="Einwahl ", fr="Numéro ", es="Llamar al ", it="Numero ", nl="Inbellen "), b11_PH(r, loc, 0.2, style="intl"),
           f" · {b11_la(f, r, loc, 28)}\n"]
    if r.random() < 0.35:
        out += ["X-ALT-DESC:", b11_tr(loc, en="Birthday of ", de="Geburtstag von ", fr="Anniversaire de ", es="Cumpleaños de ", it="Compleanno di ", nl="Verjaardag van "),
                f"{f.first_name()} (", b11_tr(loc, en="born ", de="geb. ", fr="né le ", es="nacido el ", it="nato il ", nl="geboren "), b11_DOB(r, loc, 20, 70, style=0), ")\n"]
    out += ["LOCATION:", f.street_address(), "\nEND:VEVENT\nEND:VCALENDAR\n"]
    return out


def B11_csv_sheet(f, r, loc):
    out = [b11_tr(loc, en="name,email,phone,iban,date_of_birth,note", de="Name;E-Mail;Telefon;IBAN;Geburtsdatum;Notiz", fr="nom;courriel;téléphone;iban;date_naissance;remarque",
                  es="nombre;correo;teléfono;iban;fecha_nacimiento;nota", it="nome;email;telefono;iban;data_nascita;note", nl="naam;e-mail;telefoon;iban;geboortedatum;opmerking"), "\n"]
    sep = "," if b11_lang(loc) == "en" else ";"
    for _ in range(r.randint(2, 5)):
        fn, ln = b11_person(f)
        ib = b11_IBAN(r, loc, False) if r.random() < 0.75 else b11_badiban(r, loc).replace(" ", "")
        out += [f"{fn} {ln}", sep, b11_EM(f, r, fn, ln), sep, b11_PH(r, loc), sep, ib, sep, b11_DOB(r, loc, 18, 90), sep, b11_la(f, r, loc, r.choice([0, 4, 36, 29])).replace(sep, " "), "\n"]
    return out


def B11_form_submission(f, r, loc):
    fn, ln = b11_person(f)
    out = [f"New submission: \"{r.choice(['Contact us', 'Request a quote', 'Book a viewing', 'Membership signup'])}\" form\n", f"Submitted {b11_la(f, r, loc, 21)} from IP ", b11_IP(r), "\n\n",
           "Name: ", f"{fn} {ln}\n", "Email: ", b11_EM(f, r, fn, ln), "\n", "Phone: ", b11_PH(r, loc), "\n"]
    if r.random() < 0.5:
        out += [f"{b11_dobw(r, loc)}: ", b11_DOB(r, loc), "\n"]
    if r.random() < 0.4:
        out += ["Choose a password: ", b11_PW(r), "\n"]
    out += ["Message: ", b11_tr(loc, en="Please call me back after 5pm. ", de="Bitte nach 17 Uhr zurückrufen. ", fr="Merci de me rappeler après 17h. ", es="Llámenme después de las 17h. ",
                                it="Richiamatemi dopo le 17. ", nl="Graag na 17u terugbellen. "), b11_la(f, r, loc, 0), "\n", "Consent: yes\n"]
    return out


def B11_mail_headers(f, r, loc):
    fn, ln = b11_person(f)
    d = datetime.datetime(2026, 12, r.randint(1, 7), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
    out = ["Return-Path: <", b11_EM(f, r, fn, ln), ">\n", "Received: from mail-", rnd(r, B11_LOWD, 6), ".outbound.example.net ([", b11_IP4(r), "])\n",
           f"        by mx{r.randint(1, 4)}.acme.io with ESMTPS id {rnd(r, AN, 12)}; {d.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n",
           "Received: from [", b11_IP(r), "] (helo=laptop) by smtp.relay.net\n", "X-Originating-IP: [", b11_IP4(r), "]\n",
           f"DKIM-Signature: v=1; a=rsa-sha256; d=acme.io; s=s1; bh={base64.b64encode(bytes(r.randrange(256) for _ in range(32))).decode()}; b={base64.b64encode(bytes(r.randrange(256) for _ in range(64))).decode()}\n",
           f"Message-ID: <{b11_uuid(r)}@mail.acme.io>\n", f"From: {fn} {ln} <", b11_EM(f, r, fn, ln), ">\n", "To: ", b11_EM(f, r), "\n",
           f"Subject: {b11_la(f, r, loc, 1)}\n", f"X-Mailer: {b11_la(f, r, loc, 20)}\n"]
    return out


def B11_call_transcript(f, r, loc):
    a, c = "Agent", b11_tr(loc, en="Caller", de="Anrufer", fr="Appelant", es="Cliente", it="Cliente", nl="Beller")
    out = [f"[{b11_la(f, r, loc, 21)}] call {rnd(r, B11_D, 8)} — {r.randint(2, 19)} min\n",
           f"{a}: {b11_tr(loc, en='Can I take your date of birth?', de='Darf ich Ihr Geburtsdatum haben?', fr='Votre date de naissance ?', es='¿Su fecha de nacimiento?', it='La sua data di nascita?', nl='Uw geboortedatum?')}\n",
           f"{c}: ", b11_DOB(r, loc), "\n",
           f"{a}: {b11_tr(loc, en='And a number to reach you?', de='Und eine Rückrufnummer?', fr='Et un numéro pour vous joindre ?', es='¿Y un teléfono de contacto?', it='E un numero per ricontattarla?', nl='En een terugbelnummer?')}\n",
           f"{c}: ", b11_PH(r, loc), "\n"]
    k = r.randrange(3)
    if k == 0:
        out += [f"{c}: {b11_tr(loc, en='the card is', de='die Karte ist', fr='la carte c est', es='la tarjeta es', it='la carta è', nl='de kaart is')} ", b11_CC(r),
                f", {b11_tr(loc, en='security code', de='Prüfnummer', fr='cryptogramme', es='código de seguridad', it='codice di sicurezza', nl='beveiligingscode')} ", b11_CVC(r), "\n"]
    elif k == 1 and loc == "en_US":
        out += [f"{c}: my social is ", b11_SSN(r, r.choice(["-", " "])), "\n"]
    else:
        out += [f"{c}: ", b11_tr(loc, en="the reference on my letter is ", de="auf dem Brief steht ", fr="la référence sur le courrier est ", es="la referencia de la carta es ",
                                 it="il riferimento sulla lettera è ", nl="het kenmerk op de brief is "), b11_la(f, r, loc, r.choice([0, 1, 4, 39])), "\n"]
    out += [f"{a}: {b11_pw_none(r, loc)}\n"]
    return out


def B11_kyc(f, r, loc):
    fn, ln = b11_person(f)
    out = [f"KYC review {rnd(r, B11_UPD, 10)} — {r.choice(['PASS', 'REFER', 'PASS', 'FAIL'])}\n", f"Subject: {fn} {ln}, {b11_dobw(r, loc)} ", b11_DOB(r, loc, 18, 90), "\n",
           "Contact: ", b11_EM(f, r, fn, ln), ", ", b11_PH(r, loc), "\n", "Funding account: ", b11_IBAN(r, loc), "\n"]
    if loc == "en_US" or r.random() < 0.4:
        out += ["US person: yes, SSN ", b11_SSN(r), " matched\n"]  # noqa
    out += [f"Device {b11_la(f, r, loc, 9)}, IP ", b11_IP(r), f", {b11_la(f, r, loc, 30)}\n", f"Notes: {b11_la(f, r, loc, 25)}; {b11_la(f, r, loc, 24)}\n"]
    return out


def B11_dunning(f, r, loc):
    fn, ln = b11_person(f)
    out = [f"{f.company()}\n", b11_tr(loc, en="PAYMENT REMINDER", de="ZAHLUNGSERINNERUNG", fr="RELANCE DE PAIEMENT", es="RECORDATORIO DE PAGO", it="SOLLECITO DI PAGAMENTO",
                                     nl="BETALINGSHERINNERING"), "\n", f"{fn} {ln}\n",
           f"{b11_la(f, r, loc, 1)} {b11_tr(loc, en='of', de='vom', fr='du', es='del', it='del', nl='van')} {b11_when(r, loc, 90, 0)}, {b11_la(f, r, loc, 37)}\n",
           b11_tr(loc, en="Please transfer the amount to ", de="Bitte überweisen Sie den Betrag auf ", fr="Merci de virer le montant sur ", es="Transfiera el importe a ",
                  it="La preghiamo di versare l'importo su ", nl="Gelieve het bedrag over te maken op "), b11_IBAN(r, loc, True, 0.1), f" ({b11_la(f, r, loc, 36)})\n",
           b11_tr(loc, en="Questions: ", de="Rückfragen: ", fr="Questions : ", es="Dudas: ", it="Domande: ", nl="Vragen: "), b11_PH(r, loc), " / ", b11_EM(f, r), "\n",
           f"{b11_la(f, r, loc, 11)}\n"]
    return out


def B11_sepa_mandate(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="SEPA Direct Debit Mandate", de="SEPA-Lastschriftmandat", fr="Mandat de prélèvement SEPA", es="Orden de domiciliación SEPA", it="Mandato SEPA",
                  nl="SEPA-machtiging"), "\n", f"{b11_la(f, r, loc, 11)}\n", f"{b11_la(f, r, loc, 12)}\n",
           b11_tr(loc, en="Debtor", de="Zahlungspflichtige/r", fr="Débiteur", es="Deudor", it="Debitore", nl="Debiteur"), f": {fn} {ln}, {f.street_address()}, {b11_city(r, loc)}\n",
           "IBAN: ", b11_IBAN(r, loc, True, 0.15), "\n", b11_tr(loc, en="Signed", de="Unterschrieben", fr="Signé le", es="Firmado", it="Firmato", nl="Getekend"), f": {b11_when(r, loc, 30, 0)}\n",
           "E-mail: ", b11_EM(f, r, fn, ln), "\n"]
    return out


def B11_car_rental(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="RENTAL AGREEMENT", de="MIETVERTRAG", fr="CONTRAT DE LOCATION", es="CONTRATO DE ALQUILER", it="CONTRATTO DI NOLEGGIO", nl="HUUROVEREENKOMST"),
           f" {rnd(r, B11_UPD, 9)}\n", f"Driver: {fn} {ln}   {b11_dobw(r, loc)}: ", b11_DOB(r, loc, 21, 80), "\n",
           b11_tr(loc, en="Licence issued ", de="Führerschein ausgestellt ", fr="Permis délivré le ", es="Permiso expedido ", it="Patente rilasciata il ", nl="Rijbewijs afgegeven "),
           b11_when(r, loc, 5000, 0), "\n", "Tel ", b11_PH(r, loc), "  ", b11_EM(f, r, fn, ln), "\n",
           b11_tr(loc, en="Deposit card", de="Kautionskarte", fr="Carte de caution", es="Tarjeta de fianza", it="Carta per deposito", nl="Borgkaart"), ": ", b11_CC(r),
           f" exp {r.randint(1, 12):02d}/{r.randint(27, 31)}\n", f"Pick-up {b11_when(r, loc, 0, 30)}, return {b11_when(r, loc, -31, 60)}; {b11_la(f, r, loc, 39)}\n"]
    return out


def B11_hotel_reg(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="Guest registration", de="Meldeschein", fr="Fiche de police", es="Parte de entrada de viajeros", it="Scheda di notifica ospiti", nl="Nachtregister"), "\n",
           f"{ln}, {fn}   {b11_dobw(r, loc)} ", b11_DOB(r, loc), "\n",
           b11_tr(loc, en="Arrival", de="Anreise", fr="Arrivée", es="Llegada", it="Arrivo", nl="Aankomst"), f" {b11_when(r, loc, 3, 3)} · {b11_la(f, r, loc, 35)} · {b11_la(f, r, loc, 2)}\n",
           "Tel. ", b11_PH(r, loc, 0.3), "\n", b11_tr(loc, en="Companion born ", de="Mitreisende/r geb. ", fr="Accompagnant né le ", es="Acompañante nacido el ", it="Accompagnatore nato il ",
                                                   nl="Medereiziger geboren "), b11_DOB(r, loc, 1, 85), "\n",
           b11_tr(loc, en="Guarantee: ", de="Garantie: ", fr="Garantie : ", es="Garantía: ", it="Garanzia: ", nl="Garantie: "), b11_CC(r) if r.random() < 0.6 else b11_la(f, r, loc, 31), "\n",
           f"Wi-Fi: {b11_pw_none(r, loc)}\n" if r.random() < 0.5 else ["Wi-Fi ", b11_tr(loc, en="password", de="Passwort", fr="mot de passe", es="contraseña", it="password", nl="wachtwoord"), ": ", b11_PW(r, True), "\n"]]
    return out


def B11_wireguard(f, r, loc):
    out = [f"# /etc/wireguard/wg0.conf  ({b11_la(f, r, loc, 21)})\n", "[Interface]\n", "PrivateKey = ", b11_GS(r, 3), "\n", "Address = ", b11_IP4(r), "/24, ", b11_IP6(r), "/64\n",
           f"ListenPort = {r.randint(40000, 60000)}\nDNS = ", b11_IP4(r), "\n\n", "[Peer]\n# ", f.name(), " <", b11_EM(f, r), ">\n", f"{b11_la(f, r, loc, 19)}\n"]
    if r.random() < 0.5:
        out += ["PresharedKey = ", b11_GS(r, 3), "\n"]
    out += ["Endpoint = ", b11_IP4(r), f":{r.choice([51820, 443, 1194])}\n", "AllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n"]
    return out


def B11_haproxy(f, r, loc):
    out = []
    for _ in range(r.randint(3, 6)):
        t = datetime.datetime(2026, 12, r.randint(1, 7), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
        path = r.choice(["/api/v2/orders", "/login", "/health", "/checkout?step=2", "/static/app.js"])
        out += [t.strftime("%b %d %H:%M:%S"), f" lb{r.randint(1, 3)} haproxy[{r.randint(1000, 9999)}]: ", b11_IP(r), f":{r.randint(1024, 65535)} [{t.strftime('%d/%b/%Y:%H:%M:%S')}.{rnd(r, B11_D, 3)}]",
                f" fe_https~ be_app/app{r.randint(1, 4)} {r.randint(0, 9)}/0/{r.randint(0, 9)}/{r.randint(1, 900)}/{r.randint(1, 999)} {r.choice([200, 200, 302, 401, 404, 502])} {r.randint(200, 90000)}",
                f" - - ---- {r.randint(1, 99)}/{r.randint(1, 99)}/0/0/0 0/0 \"{r.choice(['GET', 'POST'])} {path} HTTP/1.1\"\n"]
    if r.random() < 0.5:
        out += ["# ", b11_tr(loc, en="blocked after 50 failed logins from ", de="gesperrt nach 50 Fehlversuchen von ", fr="bloqué après 50 échecs depuis ", es="bloqueado tras 50 fallos desde ",
                                   it="bloccato dopo 50 tentativi da ", nl="geblokkeerd na 50 mislukte logins vanaf "), b11_IP(r), "\n"]
    return out


def B11_docker_history(f, r, loc):
    out = [f"$ history | grep docker\n"]
    for i in range(r.randint(2, 4)):
        n = r.randint(100, 999) + i
        k = r.randrange(4)
        if k == 0:
            out += [f" {n}  docker run -d --name pg -e POSTGRES_PASSWORD=", b11_PW(r, True), " -p 5432:5432 postgres:16\n"]
        elif k == 1:
            key, v = b11_sec_item(r)
            out += [f" {n}  docker run --rm -e {key}=", v, f" registry.acme.io/worker:{b11_la(f, r, loc, 20).split(' ')[-1]}\n"]
        elif k == 2:
            out += [f" {n}  docker login -u ci-bot -p ", b11_PW(r, True), " registry.acme.io\n"]
        else:
            out += [f" {n}  docker pull ghcr.io/acme/api@{b11_la(f, r, loc, 18)}\n"]
    return out


def B11_pip_conf(f, r, loc):
    out = ["# ~/.config/pip/pip.conf\n[global]\n", "index-url = https://", r.choice(["deploy", "ci", b11_ascii(f.first_name()) or "dev"]), ":", b11_PW(r, True), "@pypi.acme.io/simple\n",
           f"timeout = {r.randint(10, 120)}\n\n", "# ~/.pypirc\n[distutils]\nindex-servers = internal\n\n[internal]\nrepository = https://pypi.acme.io/\nusername = release-bot\npassword = ",
           b11_PW(r), "\n"]
    if r.random() < 0.5:
        out += ["\n# airflow\n", "airflow connections add warehouse --conn-uri 'postgresql://etl:", b11_PW(r, True), "@", b11_IP4(r), ":5432/dwh'\n"]
    return out


def B11_cron_mail(f, r, loc):
    out = ["From: Cron Daemon <", B11L("EMAIL", "root@" + r.choice(["backup01", "etl-eu", "web3"]) + ".acme.io"), ">\n", "To: ", b11_EM(f, r), "\n",
           f"Subject: Cron <root@backup01> /opt/backup/run.sh\n\n", f"[{b11_la(f, r, loc, 21)}] starting backup {b11_la(f, r, loc, 22)}\n",
           "pg_dump: connecting to ", b11_IP4(r), " as backup with PGPASSWORD=", b11_PW(r, True), "\n",
           "aws s3 cp dump.sql.gz s3://acme-backups/ --sse (key id ", b11_V(r, "AWS_ACCESS_KEY"), ")\n", f"upload: {r.randint(10, 900)} MiB, {b11_la(f, r, loc, 18)}\n"]
    return out


def B11_ssh_debug(f, r, loc):
    h = b11_IP(r)
    H = lambda: B11L(h.typ, h.text)
    return ["$ ssh -v deploy@", H(), "\n", "OpenSSH_9.6p1, OpenSSL 3.0.13 30 Jan 2024\n", "debug1: Connecting to ", H(), " [", H(), "] port 22.\n",
            "debug1: Connection established.\n", f"debug1: Server host key: ssh-ed25519 {b11_la(f, r, loc, 38)}\n",
            "debug1: Authenticating to ", H(), ":22 as 'deploy'\n", "debug1: Offering public key: /home/ci/.ssh/id_ed25519 ED25519 ", b11_la(f, r, loc, 38), "\n",
            "debug1: Authentication succeeded (publickey).\n", "debug1: Sending env LANG = en_US.UTF-8\n", f"Last login: {b11_la(f, r, loc, 21)} from ", b11_IP(r), "\n"]


def B11_sentry_mail(f, r, loc):
    out = [f"[Sentry] {r.choice(['KeyError', 'IntegrityError', 'TimeoutError', 'PermissionDenied'])} in {r.choice(['checkout.views.pay', 'accounts.login', 'api.webhooks'])}\n",
           f"Event {rnd(r, HEX, 32)} · release {b11_la(f, r, loc, 20)}\n\n", "User\n  email: ", b11_EM(f, r), "\n  ip_address: ", b11_IP(r), "\n\n",
           "Request\n  POST https://shop.acme.io/checkout/pay\n  Cookie: _ga=GA1.2.", str(r.randint(10 ** 8, 10 ** 10)), ".", str(r.randint(1700000000, 1765000000)), "; sessionid=", b11_GS(r, 4), "\n"]
    if r.random() < 0.5:
        out += ["  Authorization: Bearer ", b11_V(r, "JWT"), "\n"]
    out += ["  Body: card_number=", b11_CC(r, 0), "&cvc=", b11_CVC(r), "\n" if r.random() < 0.5 else "&save=1\n"]
    return out


def B11_k8s_describe(f, r, loc):
    out = [f"Name:         api-{rnd(r, HEX, 10)}-{rnd(r, B11_LOWD, 5)}\nNamespace:    {r.choice(['prod', 'payments', 'crm'])}\n", "Node:         ip-", rnd(r, B11_D, 2),
           "-0-1-", str(r.randint(2, 250)), ".eu-west-1.compute.internal/", b11_IP4(r), "\n", "IP:           ", b11_IP4(r), "\n", "Containers:\n  api:\n    Environment:\n"]
    for _ in range(r.randint(2, 4)):
        k, v = b11_sec_item(r)
        out += [f"      {k}:  ", v, "\n"]
    k, v = b11_nopw_item(r)
    out += [f"      {k.upper()}:  {v}\n", "      DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false\n",
            f"Events:\n  Normal  Pulled  {r.randint(2, 59)}m  kubelet  Container image pulled ({b11_la(f, r, loc, 18)})\n"]
    return out


def B11_pharmacy(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="Prescription order", de="Rezeptbestellung", fr="Commande d'ordonnance", es="Pedido de receta", it="Ordine ricetta", nl="Receptbestelling"),
           f" {rnd(r, B11_UPD, 8)}\n", f"{fn} {ln}, {b11_dobw(r, loc)} ", b11_DOB(r, loc, 1, 95), "\n",
           f"{r.choice(['Ibuprofen 400mg', 'Amoxicillin 500mg', 'Metformin 850mg', 'Levothyroxin 50µg'])} x{r.randint(1, 3)} · {b11_la(f, r, loc, 8) if r.random() < 0.3 else b11_la(f, r, loc, 35)}\n",
           b11_tr(loc, en="Notify by SMS: ", de="Benachrichtigung per SMS: ", fr="Prévenir par SMS : ", es="Avisar por SMS: ", it="Avvisare via SMS: ", nl="SMS naar: "), b11_PH(r, loc), "\n",
           f"{b11_la(f, r, loc, 29)}\n"]
    if loc == "en_US":
        out += ["Insurance subscriber SSN ", b11_SSN(r), f" · {b11_non_ssn(r)}\n"]
    return out


def B11_gym_contract(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="MEMBERSHIP", de="MITGLIEDSVERTRAG", fr="ABONNEMENT", es="ALTA DE SOCIO", it="ISCRIZIONE", nl="LIDMAATSCHAP"), f" {f.company()}\n",
           f"{fn} {ln} · {b11_dobw(r, loc)}: ", b11_DOB(r, loc, 16, 75), "\n", "E-mail ", b11_EM(f, r, fn, ln), " · Tel ", b11_PH(r, loc), "\n",
           b11_tr(loc, en="Monthly fee by direct debit from ", de="Monatsbeitrag per Lastschrift von ", fr="Mensualité prélevée sur ", es="Cuota mensual domiciliada en ",
                  it="Quota mensile addebitata su ", nl="Maandbedrag via incasso van "), b11_IBAN(r, loc, None, 0.05), "\n",
           b11_tr(loc, en="Start", de="Beginn", fr="Début", es="Inicio", it="Inizio", nl="Start"), f": {b11_when(r, loc, 10, 30)} · {b11_la(f, r, loc, 12)} · {b11_la(f, r, loc, 11)}\n",
           b11_tr(loc, en="App login: your e-mail; ", de="App-Login: Ihre E-Mail; ", fr="Appli : votre e-mail ; ", es="App: su correo; ", it="App: la sua e-mail; ", nl="App: uw e-mail; "),
           b11_pw_none(r, loc), "\n"]
    return out


def B11_job_application(f, r, loc):
    fn, ln = b11_person(f)
    out = [f"Subject: {b11_tr(loc, en='Application', de='Bewerbung', fr='Candidature', es='Candidatura', it='Candidatura', nl='Sollicitatie')} — "
           f"{r.choice(['Backend Engineer', 'Buchhalter/in', 'Chargé de clientèle', 'Enfermera', 'Magazziniere', 'Verpleegkundige'])}\n\n",
           b11_tr(loc, en="Dear hiring team,", de="Sehr geehrte Damen und Herren,", fr="Madame, Monsieur,", es="Estimado equipo:", it="Gentile team,", nl="Geachte heer/mevrouw,"), "\n",
           b11_tr(loc, en="please find my CV attached.", de="anbei mein Lebenslauf.", fr="veuillez trouver mon CV ci-joint.", es="adjunto mi CV.", it="allego il mio CV.", nl="bijgaand mijn cv."),
           "\n\n", f"{fn} {ln}\n"]
    if b11_lang(loc) == "de" and r.random() < 0.5:
        out += ["geb. ", b11_DOB(r, loc, 18, 64), f" in {b11_city(r, loc)}\n"]
    else:
        out += [f"{b11_dobw(r, loc)}: ", b11_DOB(r, loc, 18, 64), "\n"]
    out += ["📞 ", b11_PH(r, loc), "\n", "✉ ", b11_EM(f, r, fn, ln), "\n", f"linkedin.com/in/{b11_ascii(fn)}-{b11_ascii(ln)}-{rnd(r, HEX, 6)}\n",
            b11_tr(loc, en="Available from ", de="Verfügbar ab ", fr="Disponible à partir du ", es="Disponible desde ", it="Disponibile dal ", nl="Beschikbaar vanaf "), b11_when(r, loc, 0, 120), "\n"]
    return out


def B11_redis_session(f, r, loc):
    out = ["$ redis-cli -h ", b11_IP4(r), " -p 6379\n", "redis> AUTH ", b11_PW(r, True), "\nOK\n", "redis> CONFIG GET requirepass\n1) \"requirepass\"\n2) \"", b11_PW(r, True), "\"\n",
           f"redis> GET session:{rnd(r, HEX, 16)}\n\"", "{\\\"email\\\":\\\"", b11_EM(f, r), "\\\",\\\"ip\\\":\\\"", b11_IP(r), "\\\"}\"\n",
           f"redis> TTL ratelimit:{rnd(r, B11_D, 9)}\n(integer) {r.randint(1, 3600)}\n"]
    return out


def B11_dns_zone(f, r, loc):
    dom = r.choice(["acme-shop.de", "boulangerie-aubert.fr", "kapsalon-dewit.nl", "talleres-urbieta.es", "studio-bellandi.it", "kestrel-analytics.co.uk"])
    out = [f"$ORIGIN {dom}.\n$TTL 3600\n", f"@     IN SOA ns1.{dom}. hostmaster.{dom}. ( {B11_TODAY.strftime('%Y%m%d')}01 7200 3600 1209600 3600 )\n",
           "@     IN A     ", b11_IP4(r), "\n", "@     IN AAAA  ", b11_IP6(r), "\n", "mail  IN A     ", b11_IP4(r), "\n",
           f"@     IN TXT   \"v=spf1 ip4:", b11_IP4(r), " include:_spf.google.com ~all\"\n",
           f"s1._domainkey IN TXT \"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA{rnd(r, B11_B64, 120)}\"\n",
           f"@     IN TXT   \"google-site-verification={rnd(r, B11_URL, 43)}\"\n", "; hostmaster: ", b11_EM(f, r), "\n"]
    return out


def B11_pos_receipt(f, r, loc):
    out = [f"{f.company().upper()}\n{f.street_address()}\n", f"{b11_la(f, r, loc, 21)}  TERM {rnd(r, B11_UPD, 8)}\n",
           f"{r.choice(['VISA', 'MASTERCARD', 'AMEX', 'MAESTRO', 'GIROCARD', 'CB'])} {b11_la(f, r, loc, 31)}\n", f"AUTH {rnd(r, B11_UPD, 6)}  AID A0000000{rnd(r, B11_D, 6)}\n",
           f"{b11_la(f, r, loc, 36)}\n", b11_tr(loc, en="Thank you! Feedback: ", de="Danke! Feedback: ", fr="Merci ! Avis : ", es="¡Gracias! Opinión: ", it="Grazie! Opinioni: ",
                                               nl="Bedankt! Feedback: "), b11_PH(r, loc, 0, style="nat"), "\n"]
    if r.random() < 0.3:
        out += ["MERCHANT COPY — manual entry: ", b11_CC(r, 0), f" {r.randint(1, 12):02d}/{r.randint(27, 31)}\n"]
    return out


def B11_cert_bundle(f, r, loc):
    return [f"# {r.choice(['server', 'mtls-client', 'ingress'])}.pem — {b11_la(f, r, loc, 21)}\n", b11_cert_value(r), "\n", b11_PEM(r), "\n"]


def B11_api_readme(f, r, loc):
    out = ["## Quick start\n\n", b11_tr(loc, en="Set your key (the value below is the sample from the docs):", de="Schlüssel setzen (der Wert unten ist das Beispiel aus der Doku):",
                                         fr="Définissez votre clé (valeur d'exemple de la doc) :", es="Configure su clave (valor de ejemplo de la documentación):",
                                         it="Imposta la chiave (valore di esempio della documentazione):", nl="Stel je sleutel in (voorbeeldwaarde uit de docs):"), "\n\n```bash\n"]
    for i in sorted(r.sample(range(len(B11_PLACEHOLDERS)), r.randint(1, 3))):
        out += [f"export {r.choice(['API_KEY', 'TOKEN', 'SECRET', 'KEY'])}_{i}=", b11_PLH(r, i), "\n"]
    out += [f"export DB_PASSWORD={r.choice(B11_STANDIN[:4])}\n", "```\n\n", b11_tr(loc, en="Never commit real keys. ", de="Niemals echte Schlüssel committen. ", fr="Ne commitez jamais de vraies clés. ",
                                                                                       es="Nunca suba claves reales. ", it="Non committare chiavi reali. ", nl="Commit nooit echte sleutels. "),
            b11_pw_none(r, loc), "\n"]
    if r.random() < 0.3:
        out += ["\n> Support: ", b11_EM(f, r), "\n"]
    return out


def B11_expense_tsv(f, r, loc):
    out = ["date\temployee\tmerchant\tamount\tcard\treimburse_to\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b11_person(f)
        card = b11_CC(r, 0) if r.random() < 0.5 else b11_badcard(r, 0)
        out += [b11_when(r, loc, 60, 0, style=0), f"\t{fn} {ln}\t{f.company()}\t{r.randint(5, 900)}.{rnd(r, B11_D, 2)}\t", card, "\t", b11_IBAN(r, loc, False, 0.1), "\n"]
    return out


def B11_chat_widget(f, r, loc):
    out = [f"Chat transcript · {b11_la(f, r, loc, 21)} · visitor from ", b11_IP(r), "\n"]
    v = b11_tr(loc, en="Visitor", de="Besucher", fr="Visiteur", es="Visitante", it="Visitatore", nl="Bezoeker")
    out += [f"{v}: ", b11_tr(loc, en="hi, I can't get into my account, email is ", de="hallo, ich komme nicht in mein Konto, Mail ist ", fr="bonjour, je n'arrive pas à me connecter, mon mail ",
                             es="hola, no puedo entrar, mi correo es ", it="ciao, non riesco ad accedere, la mail è ", nl="hoi, ik kan niet inloggen, mijn mail is "), b11_EM(f, r), "\n",
            f"Bot: {b11_pw_none(r, loc)}\n", f"{v}: "]
    out += b11_pw_say(r, loc) if r.random() < 0.6 else [b11_tr(loc, en="ok my number ", de="ok meine Nummer ", fr="ok mon numéro ", es="vale mi número ", it="ok il mio numero ", nl="ok mijn nummer "), b11_PH(r, loc)]
    out += ["\n", f"Agent: {b11_tr(loc, en='Thanks, ticket', de='Danke, Ticket', fr='Merci, ticket', es='Gracias, ticket', it='Grazie, ticket', nl='Bedankt, ticket')} {b11_la(f, r, loc, 1)}\n"]
    return out


def B11_vpn_onboarding(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en=f"Welcome {fn}! Your accounts:", de=f"Willkommen {fn}! Deine Zugänge:", fr=f"Bienvenue {fn} ! Vos accès :", es=f"¡Bienvenido/a {fn}! Sus accesos:",
                  it=f"Benvenuto/a {fn}! I tuoi accessi:", nl=f"Welkom {fn}! Je accounts:"), "\n",
           "• E-mail: ", b11_EM(f, r, fn, ln), "\n", "• VPN: ", b11_tr(loc, en="user ", de="Benutzer ", fr="utilisateur ", es="usuario ", it="utente ", nl="gebruiker "),
           (b11_ascii(fn)[:1] + b11_ascii(ln))[:12] or "user", ", ", b11_tr(loc, en="initial password ", de="Initialpasswort ", fr="mot de passe initial ", es="contraseña inicial ",
                                                               it="password iniziale ", nl="startwachtwoord "), b11_PW(r), "\n",
           "• ", b11_tr(loc, en="Desk phone", de="Festnetz", fr="Poste fixe", es="Teléfono fijo", it="Telefono fisso", nl="Vaste lijn"), ": ", b11_PH(r, loc, 0, style="nat"), "\n",
           "• Laptop ", b11_la(f, r, loc, 9), "\n", b11_pw_none(r, loc), "\n"]
    return out


def B11_postmortem(f, r, loc):
    out = [f"# Incident {rnd(r, B11_UPD, 6)}: leaked credential in public repo\n\n", "## Timeline (UTC)\n", f"- {b11_la(f, r, loc, 21)} commit {rnd(r, HEX, 7)} pushed with `.env`\n",
           "- leaked value: `", b11_V(r), "`\n", f"- {b11_la(f, r, loc, 21)} key revoked by ", b11_EM(f, r), "\n", "- attacker IP ", b11_IP(r), "\n\n",
           "## Not affected\n- sample key in docs `", b11_PLH(r), "` (public example)\n", f"- {b11_pw_none(r, 'en_US')}\n"]
    return out


def B11_address_change(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="Change of details", de="Änderungsmitteilung", fr="Changement de coordonnées", es="Cambio de datos", it="Variazione dati", nl="Wijziging gegevens"), f" — {b11_la(f, r, loc, 6 if r.random() < 0.5 else 39)}\n",
           f"{fn} {ln}, {b11_dobw(r, loc)} ", b11_DOB(r, loc), "\n", b11_tr(loc, en="old phone ", de="alte Nummer ", fr="ancien numéro ", es="teléfono anterior ", it="vecchio numero ", nl="oud nummer "),
           b11_PH(r, loc), " → ", b11_PH(r, loc), "\n", b11_tr(loc, en="new e-mail ", de="neue E-Mail ", fr="nouvel e-mail ", es="correo nuevo ", it="nuova e-mail ", nl="nieuw e-mailadres "),
           b11_EM(f, r, fn, ln), "\n", b11_tr(loc, en="new account ", de="neues Konto ", fr="nouveau compte ", es="cuenta nueva ", it="nuovo conto ", nl="nieuwe rekening "), b11_IBAN(r, loc),
           f" ({b11_tr(loc, en='old', de='alt', fr='ancien', es='anterior', it='vecchio', nl='oud')}: {b11_la(f, r, loc, 31)})\n"]
    return out


def B11_secret_rotation(f, r, loc):
    out = [f"## {b11_tr(loc, en='Key rotation checklist', de='Checkliste Schlüsselrotation', fr='Rotation des clés', es='Rotación de claves', it='Rotazione chiavi', nl='Sleutelrotatie')} — {b11_when(r, loc, 5, 0)}\n"]
    for _ in range(r.randint(2, 4)):
        typ = r.choice(B11_VENDORS)
        out += [f"- [{r.choice(['x', ' '])}] {typ.lower().replace('_', ' ')}: old `", b11_V(r, typ), "` → new in vault ", f"`{r.choice(B11_STANDIN)}`\n"]
    out += [f"- owner: ", b11_EM(f, r), f" · {b11_la(f, r, loc, 1)}\n", f"- {b11_pw_none(r, loc)}\n"]
    return out


def B11_firebase_config(f, r, loc):
    proj = r.choice(["acme-shop", "tuinhuis-app", "mairie-rdv", "ricette-nonna", "taller-citas", "praxis-termine"]) + "-" + rnd(r, B11_LOWD, 5)
    out = ["// src/firebase.js\nimport { initializeApp } from \"firebase/app\";\n\nconst firebaseConfig = {\n", "  apiKey: \"", b11_V(r, "GOOGLE_API_KEY"), "\",\n",
           f"  authDomain: \"{proj}.firebaseapp.com\",\n  projectId: \"{proj}\",\n  storageBucket: \"{proj}.appspot.com\",\n",
           f"  messagingSenderId: \"{rnd(r, B11_D, 12)}\",\n  appId: \"1:{rnd(r, B11_D, 12)}:web:{rnd(r, HEX, 22)}\",\n  measurementId: \"G-{rnd(r, B11_UPD, 10)}\"\n}};\n"]
    if r.random() < 0.5:
        out += ["// maps embed\n<script src=\"https://maps.googleapis.com/maps/api/js?key=", b11_V(r, "GOOGLE_API_KEY"), "&callback=initMap\"></script>\n"]
    if r.random() < 0.3:
        out += ["// from the quickstart: apiKey: \"", b11_PLH(r, r.choice([23, 24])), "\"\n"]
    return out


def B11_stripe_cli(f, r, loc):
    out = ["$ stripe listen --forward-to localhost:4242/webhook --api-key ", b11_V(r, "STRIPE_KEY"), "\n",
           f"> Ready! Your webhook signing secret is ", b11_GS(r, 6), " (^C to quit)\n"]
    for _ in range(r.randint(2, 4)):
        out += [f"{b11_la(f, r, loc, 21)}   --> {r.choice(['charge.succeeded', 'payment_intent.created', 'customer.updated', 'invoice.paid'])} [evt_{rnd(r, AN, 24)}]\n",
                f"{b11_la(f, r, loc, 21)}  <--  [{r.choice([200, 200, 400, 500])}] POST http://localhost:4242/webhook [evt_{rnd(r, AN, 24)}]\n"]
    if r.random() < 0.5:
        out += ["$ curl https://api.stripe.com/v1/customers -u ", b11_V(r, "STRIPE_KEY"), ": -d email=", b11_EM(f, r), "\n"]
    return out


def B11_w9_request(f, r, loc):
    fn, ln = b11_person(f)
    out = [b11_tr(loc, en="Re: W-9 for your US contractor invoice", de="AW: W-9 für Ihre US-Rechnung", fr="RE : formulaire W-9 (prestataire US)", es="RE: formulario W-9 (contratista EE. UU.)",
                  it="R: modulo W-9 (collaboratore USA)", nl="RE: W-9-formulier (Amerikaanse opdrachtnemer)"), "\n\n",
           b11_tr(loc, en="Here are the details for the W-9:", de="Hier die Angaben für das W-9:", fr="Voici les informations pour le W-9 :", es="Aquí los datos para el W-9:",
                  it="Ecco i dati per il W-9:", nl="Hierbij de gegevens voor het W-9:"), "\n", f"Name: {fn} {ln}\n", "SSN: ", b11_SSN(r), "\n",
           f"Address: {f.street_address()}\n", "Payment: ACH / ", b11_la(f, r, loc, 25), "\n", "Phone: ", b11_PH(r, "en_US", 0), "\n", "— ", b11_EM(f, r, fn, ln), "\n"]
    if r.random() < 0.4:
        out += [b11_tr(loc, en="(My spouse's SSN is ", de="(SSN meines Ehepartners: ", fr="(SSN de mon conjoint : ", es="(SSN de mi cónyuge: ", it="(SSN del coniuge: ", nl="(SSN van mijn partner: "),
                b11_SSN(r), ")\n"]
    return out


def B11_gitleaks(f, r, loc):
    out = [f"    ○\n    │╲\n    │ ○\n    ○ ░\n    ░    gitleaks\n\n"]
    for _ in range(r.randint(2, 4)):
        typ = r.choice(B11_VENDORS + ["PRIVATE_KEY", "PLACEHOLDER"])
        rule = {"AWS_ACCESS_KEY": "aws-access-token", "GITHUB_TOKEN": "github-pat", "SLACK_TOKEN": "slack-bot-token", "STRIPE_KEY": "stripe-access-token", "OPENAI_KEY": "openai-api-key",
                "ANTHROPIC_KEY": "anthropic-api-key", "GOOGLE_API_KEY": "gcp-api-key", "JWT": "jwt", "PRIVATE_KEY": "private-key", "PLACEHOLDER": "generic-api-key"}[typ]
        if typ == "PRIVATE_KEY":
            val = b11_PEM(r, " ")
        elif typ == "PLACEHOLDER":
            val = b11_PLH(r)
        else:
            val = b11_V(r, typ)
        out += ["Finding:     ", val, "\n", f"RuleID:      {rule}\nEntropy:     {r.uniform(3.2, 5.9):.6f}\n",
                f"File:        {r.choice(['config/prod.env', 'src/settings.py', 'deploy/values.yaml', 'README.md', 'docs/setup.md'])}\nLine:        {r.randint(1, 400)}\n",
                f"Commit:      {rnd(r, HEX, 40)}\nAuthor:      {f.name()}\n", "Email:       ", b11_EM(f, r), "\n", f"Date:        {b11_la(f, r, loc, 21)}\n\n"]
    out += [f"INF {r.randint(10, 900)} commits scanned.\nWRN leaks found: {r.randint(2, 4)}\n"]
    return out


def B11_j_secret_scan(f, r, loc):
    alerts = []
    for _ in range(r.randint(2, 5)):
        typ = r.choice(B11_VENDORS)
        st = {"AWS_ACCESS_KEY": "aws_access_key_id", "GITHUB_TOKEN": "github_personal_access_token", "SLACK_TOKEN": "slack_api_token", "STRIPE_KEY": "stripe_api_key",
              "OPENAI_KEY": "openai_api_key", "ANTHROPIC_KEY": "anthropic_api_key", "GOOGLE_API_KEY": "google_api_key", "JWT": "json_web_token"}[typ]
        alerts.append({"number": r.randint(1, 900), "state": r.choice(["open", "resolved"]), "secret_type": st, "secret": b11_s(b11_V(r, typ)),
                       "validity": r.choice(["active", "inactive", "unknown"]), "created_at": b11_js(b11_la(f, r, loc, 21)),
                       "first_location_detected": {"path": r.choice([".env", "app/config.js", "scripts/deploy.sh", "notebooks/eval.ipynb"]), "start_line": r.randint(1, 300),
                                                   "commit_sha": rnd(r, HEX, 40)}, "push_protection_bypassed_by": {"login": f.user_name(), "email": b11_s(b11_EM(f, r))} if r.random() < 0.3 else None})
    return {"tool": "github.secret_scanning.list_alerts", "repo": f"acme/{r.choice(['web', 'infra', 'data-pipelines', 'mobile'])}", "result": alerts}


def B11_j_env_vars(f, r, loc):
    envs = []
    for _ in range(r.randint(3, 6)):
        k, v = b11_sec_item(r)
        envs.append({"key": k, "value": b11_s(v), "type": r.choice(["encrypted", "plain"]), "target": [["production"], ["preview"]], "id": rnd(r, AN, 16)})
    k, v = b11_nopw_item(r)
    envs.append({"key": k.upper(), "value": v, "type": "plain", "target": [["production"]], "id": rnd(r, AN, 16)})
    envs.append({"key": "DATABASE_URL", "value": ["postgres://app:", b11_PW(r, True), "@", b11_IP4(r), ":5432/app"], "type": "encrypted", "target": [["production"]], "id": rnd(r, AN, 16)})
    return {"function_call": {"name": "vercel_env_list", "arguments": {"projectId": "prj_" + rnd(r, AN, 28), "decrypt": True}}, "output": {"envs": envs}}


def B11_j_deploy_key(f, r, loc):
    pem = b11_PEM(r, "\\n", r.choice(["OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"]))
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "method": "tools/call", "params": {"name": r.choice(["ssh_add_deploy_key", "ansible_vault_write", "k8s_create_secret"]),
            "arguments": {"target": f"{r.choice(['web', 'db', 'ci'])}-{r.randint(1, 9)}.acme.internal", "host_ip": b11_s(b11_IP(r)), "private_key": b11_s(pem),
                          "public_key_fingerprint": b11_la(f, r, loc, 38), "passphrase": b11_s(b11_PW(r)) if r.random() < 0.4 else "", "requested_by": b11_s(b11_EM(f, r))}}}


B11_TEXT_KINDS = [B11_support_macro, B11_refund, B11_tfplan, B11_gha_log, B11_helm_values, B11_pglog, B11_mysqllog, B11_ldif, B11_saml_debug, B11_oidc_debug,
                  B11_twilio_log, B11_hl7, B11_bank_statement, B11_payslip, B11_tenancy, B11_travel, B11_school_form, B11_shell_prompt, B11_jupyter, B11_go_panic,
                  B11_rust_panic, B11_node_crash, B11_slack_thread, B11_teams_thread, B11_ics, B11_csv_sheet, B11_form_submission, B11_mail_headers, B11_call_transcript,
                  B11_kyc, B11_dunning, B11_sepa_mandate, B11_car_rental, B11_hotel_reg, B11_wireguard, B11_haproxy, B11_docker_history, B11_pip_conf, B11_cron_mail,
                  B11_ssh_debug, B11_sentry_mail, B11_k8s_describe, B11_pharmacy, B11_gym_contract, B11_job_application, B11_redis_session, B11_dns_zone,
                  B11_pos_receipt, B11_cert_bundle, B11_api_readme, B11_expense_tsv, B11_chat_widget, B11_vpn_onboarding, B11_postmortem, B11_address_change,
                  B11_secret_rotation, B11_firebase_config, B11_stripe_cli, B11_w9_request, B11_gitleaks]


def b11_text(f, r, loc):
    return b11_flat(r.choice(B11_TEXT_KINDS)(f, r, loc))


# ----- JSON documents (tool calls, tool results, records) -----

B11_EMBED = list(B11_TEXT_KINDS)


def b11_jtext(f, r, loc):
    return b11_js(r.choice(B11_EMBED)(f, r, loc))


def b11_s(x):
    """A labelled value as a whole JSON string."""
    return [x]


def B11_j_mcp_call(f, r, loc):
    tool = r.choice(["zendesk_apply_macro", "notion_append_block", "gmail_create_draft", "jira_add_comment", "confluence_update_page", "files_write"])
    args = {"body": b11_jtext(f, r, loc)}
    if tool == "gmail_create_draft":
        args = {"to": [[b11_EM(f, r)]], "subject": b11_js(b11_la(f, r, loc, 1)), "body": b11_jtext(f, r, loc)}
    elif tool == "files_write":
        args = {"path": f"/workspace/{r.choice(['notes', 'exports', 'tmp'])}/{rnd(r, B11_LOWD, 8)}.txt", "content": b11_jtext(f, r, loc), "overwrite": r.random() < 0.5}
    return {"jsonrpc": "2.0", "id": r.randint(1, 50000), "method": "tools/call", "params": {"name": tool, "arguments": args, "_meta": {"progressToken": rnd(r, B11_D, 6)}}}


def B11_j_mcp_result(f, r, loc):
    content = [{"type": "text", "text": b11_jtext(f, r, loc)}]
    if r.random() < 0.5:
        content.append({"type": "text", "text": b11_js(b11_las(f, r, loc, 3))})
    return {"jsonrpc": "2.0", "id": r.randint(1, 50000), "result": {"content": content, "structuredContent": {"matches": r.randint(0, 40), "cursor": rnd(r, B11_URL, 24)},
            "isError": r.random() < 0.1}}


def B11_j_fncall(f, r, loc):
    fn, ln = b11_person(f)
    return {"id": "resp_" + rnd(r, HEX, 48), "object": "response", "output": [{"type": "function_call", "call_id": "call_" + rnd(r, AN, 24), "name": "create_customer",
            "arguments": {"name": b11_js(f"{fn} {ln}"), "email": b11_s(b11_EM(f, r, fn, ln)), "phone": b11_s(b11_PH(r, loc)), "date_of_birth": b11_s(b11_DOB(r, loc)),
                          "iban": b11_s(b11_IBAN(r, loc)) if r.random() < 0.6 else None, "notes": b11_js(b11_la(f, r, loc))}}],
            "usage": {"input_tokens": r.randint(200, 9000), "output_tokens": r.randint(20, 900)}}


def B11_j_tool_use(f, r, loc):
    k, v = b11_sec_item(r)
    return {"role": "assistant", "content": [{"type": "text", "text": b11_js(b11_tr(loc, en="I'll store the credentials in the vault.", de="Ich lege die Zugangsdaten im Tresor ab.",
                                                                                   fr="Je range les identifiants dans le coffre.", es="Guardo las credenciales en el almacén.",
                                                                                   it="Salvo le credenziali nel vault.", nl="Ik zet de gegevens in de kluis."))},
            {"type": "tool_use", "id": "toolu_" + rnd(r, AN, 24), "name": "vault_kv_put",
             "input": {"mount": "secret", "path": f"apps/{r.choice(['billing', 'crm', 'etl'])}/{r.choice(['prod', 'stage'])}",
                       "data": {k.lower(): b11_s(v), b11_pwkey(r, loc): b11_s(b11_PW(r)), "owner": b11_s(b11_EM(f, r)), **dict([b11_nopw_item(r)]),
                                "tls_key": b11_s(b11_PEM(r, "\\n")) if r.random() < 0.4 else "managed-by-cert-manager"}}}]}


def B11_j_stripe_webhook(f, r, loc):
    fn, ln = b11_person(f)
    obj = {"id": b11_stripe_id(r), "object": "charge", "amount": r.randint(100, 90000), "currency": r.choice(["eur", "gbp", "usd"]),
           "billing_details": {"email": b11_s(b11_EM(f, r, fn, ln)), "name": b11_js(f"{fn} {ln}"), "phone": b11_s(b11_PH(r, loc, style="e164"))},
           "payment_method_details": {"card": {"brand": r.choice(["visa", "mastercard", "amex"]), "last4": rnd(r, B11_D, 4), "exp_month": r.randint(1, 12), "exp_year": r.randint(2027, 2031),
                                               "fingerprint": rnd(r, AN, 16)}},
           "metadata": {"order": b11_js(b11_la(f, r, loc, 0)), "agent_note": b11_js(b11_la(f, r, loc)) if r.random() < 0.5 else b11_js("card read out on call: ", b11_CC(r))},
           "receipt_url": f"https://pay.stripe.com/receipts/{rnd(r, B11_URL, 40)}"}
    return {"id": "evt_" + rnd(r, AN, 24), "object": "event", "type": "charge.succeeded", "created": r.randint(1764000000, 1765100000), "data": {"object": obj},
            "request": {"id": "req_" + rnd(r, AN, 14), "idempotency_key": b11_uuid(r)}, "livemode": True}


def B11_j_twilio_webhook(f, r, loc):
    return {"tool": "http_request", "method": "POST", "url": "https://hooks.acme.io/twilio/inbound",
            "form": {"AccountSid": "AC" + rnd(r, HEX, 32), "MessageSid": "SM" + rnd(r, HEX, 32), "From": b11_s(b11_PH(r, loc, style="e164")), "To": b11_s(b11_PH(r, loc, 0, style="e164")),
                     "Body": b11_js(r.choice([[b11_tr(loc, en="my new email is ", de="meine neue Mail ist ", fr="mon nouvel email ", es="mi correo nuevo es ", it="la mia nuova mail è ", nl="mijn nieuwe mail is "), b11_EM(f, r)],
                                              [b11_la(f, r, loc, 32)], b11_pw_say(r, loc), [b11_tr(loc, en="STOP", de="STOPP", fr="STOP", es="BAJA", it="STOP", nl="STOP")]])),
                     "NumMedia": "0", "FromCountry": REGION[loc]},
            "headers": {"X-Twilio-Signature": base64.b64encode(bytes(r.randrange(256) for _ in range(20))).decode(), "Authorization": ["Basic ", B11L("GENERIC_SECRET", base64.b64encode(f"AC{rnd(r, HEX, 32)}:{rnd(r, HEX, 32)}".encode()).decode())]
                                                 if r.random() < 0.4 else "none"}}


def B11_j_fhir(f, r, loc):
    fn, ln = b11_person(f)
    ids = [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": rnd(r, B11_D, 8), "type": {"text": "MRN"}}]
    if loc == "en_US" or r.random() < 0.2:
        ids.append({"system": "http://hl7.org/fhir/sid/us-ssn", "value": b11_s(b11_SSN(r, "-"))})
    pat = {"resourceType": "Patient", "id": rnd(r, B11_LOWD, 12), "identifier": ids, "name": [{"family": b11_js(ln), "given": [b11_js(fn)]}],
           "telecom": [{"system": "phone", "value": b11_s(b11_PH(r, loc)), "use": "mobile"}, {"system": "email", "value": b11_s(b11_EM(f, r, fn, ln))}],
           "birthDate": b11_s(b11_DOB(r, loc, 0, 99, style=0)), "meta": {"lastUpdated": b11_js(b11_la(f, r, loc, 21)), "versionId": str(r.randint(1, 9))}}
    enc = {"resourceType": "Appointment", "id": rnd(r, B11_LOWD, 12), "start": f"{b11_when(r, 'en_GB', 0, 60, style=0)}T{r.randint(8, 17):02d}:00:00+01:00",
           "comment": b11_js(b11_la(f, r, loc, 29))}
    return {"resourceType": "Bundle", "type": "searchset", "total": 2, "entry": [{"fullUrl": f"https://fhir.acme-health.org/Patient/{pat['id']}", "resource": pat}, {"resource": enc}]}


def B11_j_sheet(f, r, loc):
    hdr = [[b11_tr(loc, en="Name", de="Name", fr="Nom", es="Nombre", it="Nome", nl="Naam")], ["E-mail"], [b11_tr(loc, en="Phone", de="Telefon", fr="Téléphone", es="Teléfono", it="Telefono", nl="Telefoon")],
           ["IBAN"], [b11_tr(loc, en="Date of birth", de="Geburtsdatum", fr="Date de naissance", es="Fecha de nacimiento", it="Data di nascita", nl="Geboortedatum")], ["Ref"]]
    rows = [hdr]
    for _ in range(r.randint(2, 4)):
        fn, ln = b11_person(f)
        rows.append([b11_js(f"{fn} {ln}"), b11_s(b11_EM(f, r, fn, ln)), b11_s(b11_PH(r, loc)), b11_s(b11_IBAN(r, loc)) if r.random() < 0.7 else b11_js(b11_badiban(r, loc)),
                     b11_s(b11_DOB(r, loc)), b11_js(b11_la(f, r, loc, r.choice([0, 1, 4, 39, 21])))])
    if r.random() < 0.5:
        return {"tool": "sheets.values.append", "args": {"spreadsheetId": rnd(r, B11_URL, 44), "range": "Intake!A1:F", "values": rows}}
    return {"name": "read_range", "result": rows}


def B11_j_tfshow(f, r, loc):
    res = {"address": "aws_lambda_function.notify", "type": "aws_lambda_function", "values": {"function_name": "notify", "environment": [{"variables": {}}]}}
    var = res["values"]["environment"][0]["variables"]
    for _ in range(r.randint(2, 4)):
        k, v = b11_sec_item(r)
        var[k] = b11_s(v)
    var["LOG_LEVEL"] = "info"
    db = {"address": "aws_db_instance.main", "type": "aws_db_instance", "values": {"username": "app", "password": b11_s(b11_PW(r)), "endpoint": b11_js(b11_IP4(r), ":5432"),
          "tags": {"owner": b11_s(b11_EM(f, r)), "ticket": b11_js(b11_la(f, r, loc, 1))}}, "sensitive_values": {"password": True}}
    return {"format_version": "1.2", "terraform_version": f"1.{r.randint(5, 10)}.{r.randint(0, 5)}", "values": {"root_module": {"resources": [res, db]}},
            "outputs": {"bastion_ip": {"value": b11_s(b11_IP(r)), "sensitive": False}, "note": {"value": b11_js(b11_pw_none(r, "en_US"))}}}


def B11_j_ldap(f, r, loc):
    ents = []
    for _ in range(r.randint(1, 3)):
        fn, ln = b11_person(f)
        e = {"dn": b11_js(f"CN={fn} {ln},OU=Staff,DC=corp,DC=local"), "attributes": {"mail": [[b11_EM(f, r, fn, ln)]], "telephoneNumber": [[b11_PH(r, loc)]],
             "pwdLastSet": [str(r.randint(133700000000000000, 134100000000000000))], "objectGUID": [base64.b64encode(bytes(r.randrange(256) for _ in range(16))).decode()],
             "whenCreated": [f"{r.randint(2015, 2026)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}101500.0Z"]}}
        if r.random() < 0.3:
            e["attributes"]["description"] = [b11_js(b11_tr(loc, en="temp password ", de="Startpasswort ", fr="mdp provisoire ", es="clave temporal ", it="password temporanea ", nl="startwachtwoord "), b11_PW(r))]
        ents.append(e)
    return {"tool": "ldap_search", "args": {"base": "OU=Staff,DC=corp,DC=local", "filter": "(objectClass=user)", "bind_dn": "CN=svc-reader,OU=Service,DC=corp,DC=local",
            "bind_password": b11_s(b11_PW(r))} if r.random() < 0.5 else {"base": "OU=Staff,DC=corp,DC=local", "filter": "(mail=*)"}, "entries": ents}


def B11_j_form(f, r, loc):
    fn, ln = b11_person(f)
    ans = [{"field": {"ref": "name", "type": "short_text"}, "text": b11_js(f"{fn} {ln}")}, {"field": {"ref": "email", "type": "email"}, "email": b11_s(b11_EM(f, r, fn, ln))},
           {"field": {"ref": "phone", "type": "phone_number"}, "phone_number": b11_s(b11_PH(r, loc, style="e164"))},
           {"field": {"ref": "dob", "type": "date", "title": b11_js(b11_dobw(r, loc))}, "date": b11_s(b11_DOB(r, loc, style=0))}]
    if r.random() < 0.5:
        ans.append({"field": {"ref": "iban", "type": "short_text"}, "text": b11_s(b11_IBAN(r, loc))})
    ans.append({"field": {"ref": "comments", "type": "long_text"}, "text": b11_js(b11_la(f, r, loc), ". ", b11_pw_none(r, loc))})
    return {"event_id": rnd(r, B11_UPD, 26), "event_type": "form_response", "form_response": {"form_id": rnd(r, AN, 8), "submitted_at": b11_js(b11_la(f, r, loc, 21)),
            "hidden": {"utm_source": "newsletter", "ip": b11_s(b11_IP(r))}, "answers": ans}}


def B11_j_booking(f, r, loc):
    pax = []
    for _ in range(r.randint(1, 3)):
        fn, ln = b11_person(f)
        pax.append({"first": b11_js(fn), "last": b11_js(ln), "dateOfBirth": b11_s(b11_DOB(r, loc, 1, 90, style=0)), "ticket": b11_js(b11_la(f, r, loc, 3)),
                    "seat": b11_js(b11_la(f, r, loc, 35))})
    return {"function": "amend_booking", "arguments": {"pnr": rnd(r, B11_UP, 2) + rnd(r, B11_UPD, 4), "passengers": pax,
            "contact": {"email": b11_s(b11_EM(f, r)), "phone": b11_s(b11_PH(r, loc))},
            "payment": {"card_number": b11_s(b11_CC(r, 0)), "cvv": b11_s(b11_CVC(r)), "expiry": f"{r.randint(1, 12):02d}/{r.randint(27, 31)}"} if r.random() < 0.5 else {"method": "voucher", "code": rnd(r, B11_UPD, 10)},
            "departure": b11_js(b11_when(r, loc, 0, 120))}}


def B11_j_transactions(f, r, loc):
    tx = []
    for _ in range(r.randint(2, 5)):
        k = r.randrange(3)
        t = {"bookingDate": b11_when(r, "en_GB", 30, 0, style=0), "amount": {"amount": f"{r.choice(['-', ''])}{r.randint(1, 3000)}.{rnd(r, B11_D, 2)}", "currency": "EUR"}}
        if k == 0:
            t["creditorAccount"] = {"iban": b11_s(b11_IBAN(r, loc, False, 0.25))}
            t["creditorName"] = b11_js(f.company())
        elif k == 1:
            t["debtorAccount"] = {"iban": b11_s(b11_IBAN(r, loc, False, 0.25))}
            t["remittanceInformationUnstructured"] = b11_js(b11_la(f, r, loc, r.choice([1, 12, 11, 0])))
        else:
            t["remittanceInformationUnstructured"] = b11_js(b11_la(f, r, loc, r.choice([23, 24, 31, 36])))
        t["transactionId"] = b11_uuid(r)
        tx.append(t)
    return {"account": {"iban": b11_s(b11_IBAN(r, loc, False, 0)), "currency": "EUR"}, "transactions": {"booked": tx, "pending": []},
            "_links": {"next": {"href": f"/v1/accounts/{b11_uuid(r)}/transactions?page=2"}}}


def B11_j_oidc(f, r, loc):
    req = {"grant_type": r.choice(["client_credentials", "refresh_token", "authorization_code"]), "client_id": b11_uuid(r), "client_secret": b11_s(b11_GS(r, r.choice([1, 5, 6]))),
           "scope": "openid email offline_access"}
    resp = {"access_token": b11_s(b11_V(r, "JWT")), "token_type": "Bearer", "expires_in": r.choice([300, 3600]), "refresh_token": b11_s(b11_GS(r, 5))}
    if r.random() < 0.5:
        resp["id_token"] = b11_s(b11_V(r, "JWT"))
    return {"tool": "http.fetch", "input": {"url": "https://idp.acme.io/oauth2/token", "method": "POST", "body": req}, "output": {"status": 200, "json": resp, "elapsed_ms": r.randint(20, 900)}}


def B11_j_logs(f, r, loc):
    hits = []
    for _ in range(r.randint(2, 4)):
        k = r.randrange(5)
        if k == 0:
            m = b11_js("login failed for ", b11_EM(f, r), " from ", b11_IP(r))
        elif k == 1:
            m = b11_js("outbound call to ", b11_PH(r, loc, style="e164"), " ", b11_la(f, r, loc, 6))
        elif k == 2:
            m = b11_js("config loaded: ", b11_sec_item(r)[0], "=", b11_sec_item(r)[1])
        elif k == 3:
            m = b11_js(b11_la(f, r, loc, 16), " ", b11_la(f, r, loc, 17))
        else:
            m = b11_js("charge declined ", b11_la(f, r, loc, 23), " ", b11_la(f, r, loc, 5))
        hits.append({"timestamp": b11_js(b11_la(f, r, loc, 21)), "severity": r.choice(["INFO", "WARN", "ERROR"]), "message": m, "trace_id": rnd(r, HEX, 32)})
    return {"tool_result": {"query": "service:api AND level>=INFO", "hits": hits, "took_ms": r.randint(3, 2000)}}


def B11_j_messages(f, r, loc):
    return {"model": r.choice(["claude-sonnet-4-5", "gpt-4.1-mini", "gemini-2.5-pro"]), "messages": [
        {"role": "system", "content": b11_js("You are a support agent for ", f.company(), ". ", b11_pw_none(r, "en_US"))},
        {"role": "user", "content": b11_jtext(f, r, loc)},
        {"role": "assistant", "content": b11_js(b11_tr(loc, en="Noted. Reference ", de="Notiert. Vorgang ", fr="Noté. Référence ", es="Anotado. Referencia ", it="Annotato. Riferimento ", nl="Genoteerd. Kenmerk "),
                                                b11_la(f, r, loc, 1))}], "metadata": {"user_id": b11_uuid(r)}}


def B11_j_calendar(f, r, loc):
    items = []
    for _ in range(r.randint(1, 3)):
        d = B11_TODAY + datetime.timedelta(days=r.randint(0, 30))
        items.append({"id": rnd(r, B11_LOWD, 26), "summary": b11_js(r.choice(["Onboarding", "Viewing", "Quarterly review", "Consultation"])),
                      "start": {"dateTime": f"{d.isoformat()}T{r.randint(8, 17):02d}:30:00+01:00"}, "organizer": {"email": b11_s(b11_EM(f, r))},
                      "description": b11_js(b11_tr(loc, en="Call ", de="Anrufen: ", fr="Appeler ", es="Llamar al ", it="Chiamare ", nl="Bellen: "), b11_PH(r, loc), " · ", b11_la(f, r, loc, 28))})
    return {"kind": "calendar#events", "etag": f"\"p3{rnd(r, B11_D, 14)}\"".replace('"', ""), "items": items}


def B11_j_hr(f, r, loc):
    fn, ln = b11_person(f)
    return {"worker": {"id": f"W{rnd(r, B11_D, 7)}", "legalName": b11_js(f"{fn} {ln}"), "birthDate": b11_s(b11_DOB(r, loc, 18, 67, style=0)),
            "nationalIds": [{"type": "SSN", "value": b11_s(b11_SSN(r))}] if (loc == "en_US" or r.random() < 0.6) else [],
            "contact": {"workEmail": b11_s(b11_EM(f, r, fn, ln)), "mobile": b11_s(b11_PH(r, loc))},
            "payroll": {"iban": b11_s(b11_IBAN(r, loc)), "hireDate": b11_when(r, "en_GB", 3000, 0, style=0), "corporateCard": b11_s(b11_CC(r)) if r.random() < 0.4 else b11_js(b11_la(f, r, loc, 31))},
            "accounts": {"sso": {"username": (b11_ascii(fn)[:1] + b11_ascii(ln)) or "user", "initialPassword": b11_s(b11_PW(r)), **dict([b11_nopw_item(r)])}}}}


B11_JSON_KINDS = [B11_j_mcp_call, B11_j_mcp_call, B11_j_mcp_result, B11_j_mcp_result, B11_j_fncall, B11_j_tool_use, B11_j_stripe_webhook, B11_j_twilio_webhook,
                  B11_j_fhir, B11_j_sheet, B11_j_tfshow, B11_j_ldap, B11_j_form, B11_j_booking, B11_j_transactions, B11_j_oidc, B11_j_logs, B11_j_messages,
                  B11_j_calendar, B11_j_hr, B11_j_secret_scan, B11_j_env_vars, B11_j_deploy_key]


def b11_json(f, r, loc):
    return r.choice(B11_JSON_KINDS)(f, r, loc)


# ----- self-check -----

def b11_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b11_labels(y)]
    if isinstance(v, (list, tuple)):
        return [x for y in v for x in b11_labels(y)]
    return []


B11_SHAPES = {
    "EMAIL": r"[A-Za-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}",
    "AWS_ACCESS_KEY": r"(AKIA|ASIA)[A-Z2-7]{16}",
    "GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_11[A-Z0-9]{20}_[A-Za-z0-9]{59}",
    "SLACK_TOKEN": r"xox[bp]-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}|xoxa-2-\d+-\d+-[A-Za-z0-9]{24}|xoxp-\d+-\d+-\d+-[0-9a-f]{32}|xapp-1-A[A-Z0-9]{10}-\d{13}-[0-9a-f]{64}",
    "STRIPE_KEY": r"(sk|rk)_live_[A-Za-z0-9]{24,99}",
    "OPENAI_KEY": r"sk-(proj-|svcacct-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+",
    "ANTHROPIC_KEY": r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA",
    "GOOGLE_API_KEY": r"AIza[A-Za-z0-9_-]{35}",
    "JWT": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    "PRIVATE_KEY": r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----(\n *|\\n| )[A-Za-z0-9+/=\n\\ ]+(\n *|\\n| )-----END ([A-Z]+ )?PRIVATE KEY-----",
}


def b11_value_ok(typ, v):
    if typ in B11_SHAPES:
        if re.fullmatch(B11_SHAPES[typ], v) is None or "EXAMPLE" in v.upper() or "XXXXXX" in v.upper() or v in B11_PLACEHOLDERS:
            return False
        if typ == "JWT":
            h = v.split(".")[0]
            return isinstance(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))), dict)
        if typ == "PRIVATE_KEY":
            return v.split("-----")[1][6:] == v.split("-----")[-2][4:]
        return True
    if typ == "CREDIT_CARD":
        d = v.replace(" ", "").replace("-", "")
        return d.isdigit() and 13 <= len(d) <= 19 and luhn_ok(d) and any(d.startswith(p) and len(d) == n for p, n in B11_IIN)
    if typ == "IBAN":
        d = v.replace(" ", "")
        return d[:2] in B11_IBAN and len(d) == B11_IBAN[d[:2]][0] and b11_mod97(d[4:] + d[:4]) == 1
    if typ == "US_SSN":
        d = v.replace("-", "").replace(" ", "")
        return len(d) == 9 and d.isdigit() and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ in ("IPV4", "IPV6"):
        a = ipaddress.ip_address(v)
        return (a.version == 4) == (typ == "IPV4") and not a.is_loopback and not a.is_unspecified
    if typ == "PHONE":
        for reg in list(REGION.values()) + B11_ABROAD:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(v.replace("(0)", ""), reg)):
                    return True
            except phonenumbers.NumberParseException:
                pass
        return False
    if typ == "DATE_OF_BIRTH":
        m = re.search(r"(19|20)\d\d", v)
        return m is not None and int(m.group(0)) <= B11_TODAY.year
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() for c in v) and v not in B11_STANDIN and not any(c in v for c in "\"'\\")
    if typ == "PLACEHOLDER":
        return v in B11_PLACEHOLDERS
    return False


def b11_check(i, kind, doc, w, text):
    """Self-check: each span holds its label's text, every value is valid for its type (Luhn over real IIN ranges,
    mod-97 and length, SSN rules, libphonenumber for a region, vendor shapes, JWT header decodes, placeholder list);
    JSON parses and no escape precedes a label inside its string (a PEM written with \\n escapes is the whole string)."""
    want = b11_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp, got, lab_.text)
        assert b11_value_ok(lab_.typ, lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)
            assert b'"' not in w.buf[sp["start"]:sp["end"]], (i, sp)


# ---------- blind12 (seed 1313) ----------
# A thirteenth split written by a ninth helper who never read the detection rules, their docs or history
# (nor the blind11 section) and never ran the engine on it; labelled by the lead's taxonomy. Its own value
# generators (b12_*: phones re-parsed under libphonenumber, Luhn cards over real IIN ranges, IBANs per
# country with length and mod-97, SSNs, IPs, vendor tokens of every prefix, JWTs with decodable headers,
# PEM keys, passwords, generic secrets), look-alikes (b12_la: order / ticket / invoice / booking / case /
# claim numbers incl. phone-shaped ones, versions, builds, timestamps, hashes, UUIDs, IMEIs, meeting ids,
# tracking numbers, Luhn-failing cards, mod-97-failing IBANs, 9-digit non-SSNs, dates that are not birth
# dates, words after "password" that are not passwords) and document kinds (B12_TEXT_KINDS: ERP/SAP
# exports, Okta/Auth0/Vault/Windows logs, PowerShell, Exchange traces, OCR'd forms, referral letters,
# court notices, listings, quotes, loyalty exports, voice-assistant transcripts, agent scratchpads, …;
# B12_JSON_KINDS: Zendesk/Intercom/Salesforce/HubSpot/Shopify objects, HAR entries, Postman
# environments, Vault audit entries, IoT shadows, crash reports, OData, MCP calls/results, …).
# Relative dates use B12_TODAY. Self-check: b12_check.

B12_TODAY = datetime.date(2026, 12, 9)
B12_LG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B12_ELSEWHERE = ["AT", "CH", "BE", "IE", "PT", "SE", "DK", "PL", "NO", "FI", "CA", "AU"]
B12_DIG = string.digits
B12_UC = string.ascii_uppercase
B12_UCD = B12_UC + B12_DIG
B12_LCD = string.ascii_lowercase + B12_DIG
B12_B64U = AN + "-_"


class B12L(L):
    """A labelled value, verbatim."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b12_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out += b12_flat(*x)
        elif isinstance(x, L) or x:
            out.append(x)
    return out


def b12_lg(loc):
    return B12_LG[loc]


def b12_tr(loc, **kw):
    return kw.get(b12_lg(loc), kw["en"])


def b12_pick(r, loc, **kw):
    v = b12_tr(loc, **kw)
    return r.choice(v) if isinstance(v, list) else v


# ----- entity values -----

def b12_phone_value(r, region):
    kinds = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
    while True:
        ex = phonenumbers.example_number_for_type(region, r.choice(kinds))
        if ex is None:
            continue
        nsn = phonenumbers.national_significant_number(ex)
        keep = r.randint(2, min(4, len(nsn) - 3))
        cand = phonenumbers.parse("+" + str(ex.country_code) + nsn[:keep] + rnd(r, B12_DIG, len(nsn) - keep))
        if not phonenumbers.is_valid_number(cand):
            continue
        nat = phonenumbers.format_number(cand, phonenumbers.PhoneNumberFormat.NATIONAL)
        intl = phonenumbers.format_number(cand, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        k = r.randrange(9)
        if k < 3:
            v = nat
        elif k < 5:
            v = intl
        elif k == 5:
            v = phonenumbers.format_number(cand, phonenumbers.PhoneNumberFormat.E164)
        elif k == 6:
            v = "00" + intl[1:].replace(" ", r.choice([" ", ""]))
        elif k == 7:
            v = intl.replace(" ", "-") if region != "US" else intl.replace(" ", ".", 1).replace(" ", ".")
        else:
            v = nat.replace("(", "").replace(")", "").replace(" ", r.choice(["", "/", "."]), 1) if region in ("DE", "AT", "NL", "CH") else nat.replace(" ", "")
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(v, region)):
                return v
        except phonenumbers.NumberParseException:
            pass


def b12_PH(r, loc, abroad=0.1):
    reg = r.choice(B12_ELSEWHERE) if r.random() < abroad else REGION[loc]
    return B12L("PHONE", b12_phone_value(r, reg))


B12_MAILHOST = ["posteo.de", "gmx.net", "orange.fr", "sfr.fr", "telefonica.net", "libero.it", "alice.it", "ziggo.nl", "xs4all.nl", "outlook.com",
                "protonmail.com", "btinternet.com", "virginmedia.com", "verizon.net", "me.com", "gmail.com", "fastmail.fm",
                "holzbau-lindner.de", "cabinet-marchal.fr", "clinica-alameda.es", "studio-ferretti.it", "bakkerij-dekker.nl", "harbourside-vets.co.uk", "pinecrest-hoa.org"]


def b12_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and c.isalnum()).lower()


def b12_EM(f, r, fn=None, ln=None):
    a = b12_ascii(fn or f.first_name()) or "alex"
    b = b12_ascii(ln or f.last_name()) or "moreau"
    k = r.randrange(8)
    local = [f"{a}.{b}", f"{a[0]}{b}", f"{a}_{b}{r.randint(1, 99)}", f"{b}.{a[0]}", f"{a}{r.randint(1970, 2009)}", f"{a}.{b}+{r.choice(['shop', 'tax', 'kids', 'bills'])}",
             r.choice(["info", "kontakt", "contact", "reservas", "ordini", "administratie", "billing", "hr-team", "noreply-payroll"]), f"{a}-{b}"][k]
    return B12L("EMAIL", f"{local}@{r.choice(B12_MAILHOST)}")


B12_IIN = [("4", 16), ("4", 16), ("4", 16), ("4", 13), ("51", 16), ("52", 16), ("54", 16), ("55", 16), ("2221", 16), ("2567", 16), ("2720", 16),
           ("34", 15), ("37", 15), ("6011", 16), ("644", 16), ("649", 16), ("65", 16), ("3528", 16), ("3566", 16), ("3589", 16),
           ("300", 14), ("305", 14), ("36", 14), ("38", 14), ("62", 16), ("4", 19)]


def b12_luhn_fix(body):
    s = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    return body + str((10 - s % 10) % 10)


def b12_group(r, d):
    k = r.randrange(5)
    if k == 0 or len(d) not in (14, 15, 16):
        return d
    sep = "-" if k == 4 else " "
    if len(d) == 16:
        return sep.join(d[i:i + 4] for i in range(0, 16, 4))
    return sep.join([d[:4], d[4:10], d[10:]])


def b12_CC(r):
    pre, n = r.choice(B12_IIN)
    d = b12_luhn_fix(pre + rnd(r, B12_DIG, n - len(pre) - 1))
    assert luhn_ok(d)
    return B12L("CREDIT_CARD", b12_group(r, d))


def b12_cvc(r, n=None):
    return B12L("GENERIC_SECRET", rnd(r, B12_DIG, n or r.choice([3, 3, 3, 4])))


# country: (length, BBAN spec)
B12_IBANS = {"DE": (22, "n18"), "GB": (22, "b4n14"), "FR": (27, "n10c11n2"), "ES": (24, "n20"), "IT": (27, "a1n10c12"), "NL": (18, "b4n10"),
             "BE": (16, "n12"), "AT": (20, "n16"), "CH": (21, "n5c12"), "PT": (25, "n21"), "IE": (22, "b4n14"), "LU": (20, "n3c13"),
             "PL": (28, "n24"), "SE": (24, "n20"), "DK": (18, "n14"), "FI": (18, "n14")}
B12_BANKCODES = {"GB": ["NWBK", "BARC", "LOYD", "HBUK", "TSBS", "NAIA"], "NL": ["RABO", "INGB", "ABNA", "SNSB", "ASNB", "RBRB", "BUNQ"],
                 "IE": ["AIBK", "BOFI", "ULSB"]}


def b12_m97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def b12_iban_plain(r, cc):
    n, spec = B12_IBANS[cc]
    bban = ""
    for t, k in re.findall(r"([abcn])(\d+)", spec):
        k = int(k)
        bban += {"n": lambda: rnd(r, B12_DIG, k), "a": lambda: rnd(r, B12_UC, k), "c": lambda: rnd(r, B12_UCD, k),
                 "b": lambda: r.choice(B12_BANKCODES[cc])}[t]()
    v = f"{cc}{98 - b12_m97(bban + cc + '00'):02d}{bban}"
    assert len(v) == n and b12_m97(v[4:] + v[:4]) == 1
    return v


B12_HOME = {"en_US": "IE", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b12_IBAN(r, loc, spaced=None):
    cc = r.choice(sorted(B12_IBANS)) if r.random() < 0.25 else B12_HOME[loc]
    v = b12_iban_plain(r, cc)
    if spaced if spaced is not None else r.random() < 0.5:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return B12L("IBAN", v)


def b12_SSN(r, sep=None):
    while True:
        a = r.randint(1, 899)
        if a != 666:
            break
    sep = sep if sep is not None else r.choice(["-", "-", "-", " ", ""])
    return B12L("US_SSN", f"{a:03d}{sep}{r.randint(1, 99):02d}{sep}{r.randint(1, 9999):04d}")


def b12_ip4(r, public=None):
    k = r.randrange(5) if public is None else (3 if public else r.randrange(3))
    if k == 0:
        return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    if k == 1:
        return f"192.168.{r.randint(0, 255)}.{r.randint(2, 254)}"
    if k == 2:
        return f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    return f"{r.choice([24, 37, 45, 62, 79, 80, 81, 88, 89, 93, 95, 104, 146, 154, 178, 188, 195, 203, 213, 81])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 254)}"


def b12_IP4(r, public=None):
    return B12L("IPV4", b12_ip4(r, public))


def b12_IP6(r):
    pre = r.choice(["2001:db8", "2a02:8108", "2a01:cb00", "2003:e4", "2a0a:a540", "2600:1700", "2a05:d014", "fd12:3456", "2804:14d"])
    pre = pre if pre != "2001:db8" else "2001:4860"
    k = r.randrange(3)
    tail = ["%x" % r.randint(0, 0xffff) for _ in range(8 - pre.count(":") - 1)]
    full = pre + ":" + ":".join(tail)
    if k == 0:
        v = str(ipaddress.IPv6Address(full))
    elif k == 1:
        v = ipaddress.IPv6Address(full).exploded
    else:
        v = str(ipaddress.IPv6Address(pre + "::" + "%x" % r.randint(1, 0xffff)))
    return B12L("IPV6", v)


def b12_IP(r):
    return b12_IP6(r) if r.random() < 0.3 else b12_IP4(r)


B12_MON = {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
           "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
           "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
           "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
           "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
           "nl": "januari februari maart april mei juni juli augustus september oktober november december".split()}


def b12_date(r, d, loc):
    lg = b12_lg(loc)
    k = r.randrange(5)
    if k == 0:
        return d.isoformat()
    if k == 1:
        if loc == "en_US":
            return f"{B12_MON['en'][d.month - 1]} {d.day}, {d.year}"
        return f"{d.day} {B12_MON[lg][d.month - 1]} {d.year}"
    if loc == "en_US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}" if k != 4 else f"{d.month}/{d.day}/{d.year}"
    return f"{d.day:02d}{ {'de': '.', 'nl': '-'}.get(lg, '/') }{d.month:02d}{ {'de': '.', 'nl': '-'}.get(lg, '/') }{d.year}" if k != 4 else \
        f"{d.day}.{d.month}.{d.year}" if lg == "de" else f"{d.day:02d}.{d.month:02d}.{d.year}"


def b12_born(r, lo=16, hi=94):
    return B12_TODAY - datetime.timedelta(days=r.randint(lo * 365 + 5, hi * 365))


def b12_DOB(r, loc, lo=16, hi=94):
    return B12L("DATE_OF_BIRTH", b12_date(r, b12_born(r, lo, hi), loc))


def b12_day(r, loc, back=400, fwd=90):
    """A date that is not a birth date (appointments, due dates, postings)."""
    return b12_date(r, B12_TODAY + datetime.timedelta(days=r.randint(-back, fwd)), loc)


B12_BORN = {"en": ["Date of birth: ", "DOB: ", "born on ", "Birth date ", "D.O.B. "],
            "de": ["Geburtsdatum: ", "geb. am ", "Geboren am ", "Geb.: "],
            "fr": ["Date de naissance : ", "né(e) le ", "Date naiss. : "],
            "es": ["Fecha de nacimiento: ", "nacido el ", "F. nac.: "],
            "it": ["Data di nascita: ", "nato il ", "nata a Roma il ", "D. nascita: "],
            "nl": ["Geboortedatum: ", "geboren op ", "Geb. datum: "]}


def b12_born_said(r, loc, **kw):
    return [r.choice(B12_BORN[b12_lg(loc)]), b12_DOB(r, loc, **kw)]


# ----- secrets -----

B12_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b12_b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def b12_jwt(r):
    hdr = {"alg": r.choice(["RS256", "HS256", "ES384", "PS256", "EdDSA"])}
    if r.random() < 0.7:
        hdr["typ"] = r.choice(["JWT", "at+jwt"])
    if r.random() < 0.5:
        hdr["kid"] = rnd(r, B12_B64U, r.choice([22, 27, 43]))
    iat = 1_764_000_000 + r.randint(0, 28_000_000)
    body = {"iss": r.choice(["https://login.northwind.example", "https://auth.ledgerly.io/", "https://sso.kaffeebude.de/realms/staff", "accounts.google.com"]),
            "sub": r.choice([rnd(r, B12_DIG, 21), "auth0|" + rnd(r, HEX, 24), rnd(r, HEX, 8) + "-" + rnd(r, HEX, 4) + "-4" + rnd(r, HEX, 3) + "-a" + rnd(r, HEX, 3) + "-" + rnd(r, HEX, 12)]),
            "iat": iat, "exp": iat + r.choice([300, 3600, 7200, 43200])}
    if r.random() < 0.5:
        body["aud"] = r.choice(["api://billing", "orders-service", "account"])
    sig = rnd(r, B12_B64U, {"RS256": 342, "PS256": 342, "HS256": 43, "ES384": 86, "EdDSA": 86}[hdr["alg"]])
    return ".".join([b12_b64u(json.dumps(hdr, separators=(",", ":")).encode()), b12_b64u(json.dumps(body, separators=(",", ":")).encode()), sig])


def b12_vendor_value(r, typ):
    if typ == "AWS_ACCESS_KEY":
        return r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) + rnd(r, B12_B32, 16)
    if typ == "GITHUB_TOKEN":
        p = r.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"])
        if p == "github_pat_":
            return p + "11" + rnd(r, B12_UCD, 20) + "_" + rnd(r, AN, 59)
        return p + rnd(r, AN, 36)
    if typ == "SLACK_TOKEN":
        k = r.randrange(4)
        if k == 0:
            return f"xoxb-{rnd(r, B12_DIG, 12)}-{rnd(r, B12_DIG, 13)}-{rnd(r, AN, 24)}"
        if k == 1:
            return f"xoxp-{rnd(r, B12_DIG, 11)}-{rnd(r, B12_DIG, 12)}-{rnd(r, B12_DIG, 13)}-{rnd(r, HEX, 32)}"
        if k == 2:
            return f"xoxe.xoxp-1-{rnd(r, AN, 140)}"
        return f"xapp-1-A0{rnd(r, B12_UCD, 9)}-{rnd(r, B12_DIG, 13)}-{rnd(r, HEX, 64)}"
    if typ == "STRIPE_KEY":
        p = r.choice(["sk_live_", "sk_live_", "rk_live_"])
        return p + ("51" + rnd(r, AN, 97) if r.random() < 0.5 else rnd(r, AN, r.choice([24, 32])))
    if typ == "OPENAI_KEY":
        p = r.choice(["sk-proj-", "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"])
        if p == "sk-":
            return p + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
        return p + rnd(r, B12_B64U, 58) + "T3BlbkFJ" + rnd(r, B12_B64U, 58)
    if typ == "ANTHROPIC_KEY":
        return r.choice(["sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-"]) + rnd(r, B12_B64U, 93) + "AA"
    if typ == "GOOGLE_API_KEY":
        return "AIza" + r.choice(["Sy", "Sy", "Sz"]) + rnd(r, B12_B64U, 33)
    if typ == "JWT":
        return b12_jwt(r)
    raise ValueError(typ)


B12_VENDOR_TYPES = ["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"]


def b12_VK(r, typ=None):
    typ = typ or r.choice(B12_VENDOR_TYPES)
    return B12L(typ, b12_vendor_value(r, typ))


def b12_generic_value(r, kind=None):
    k = kind if kind is not None else r.randrange(8)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 1:
        return rnd(r, AN + "+/", 40)  # AWS secret access key
    if k == 2:
        return base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([32, 48])))).decode()
    if k == 3:
        return r.choice(["live_", "prod_", "pk.", "cs_", "app-"]) + rnd(r, AN, r.choice([30, 40]))
    if k == 4:
        return rnd(r, B12_B64U, r.choice([32, 43, 86]))
    if k == 5:
        return "s%3A" + rnd(r, B12_B64U, 32) + "." + rnd(r, AN, 43)  # express-session cookie
    if k == 6:
        return rnd(r, B12_LCD, 8) + "~" + rnd(r, AN + "._-", 32)  # Azure client secret-like
    return rnd(r, AN, r.choice([24, 32, 48]))


def b12_GS(r, kind=None):
    return B12L("GENERIC_SECRET", b12_generic_value(r, kind))


B12_PWWORDS = ["Lindwurm", "Hortensia", "croissant", "Quokka", "Nordsee", "Sardegna", "Alcachofa", "Zonnebloem", "Brezel", "mistral",
               "Pumpernickel", "Lavanda", "Flamingo", "Vlinder", "Granada", "Tramonto", "Eisvogel", "Capucine", "Molen", "Kookaburra"]


def b12_pw_value(r, safe=False):
    k = r.randrange(7)
    w = r.choice(B12_PWWORDS)
    if k == 0:
        v = w + str(r.randint(1, 2031)) + r.choice("!?#$%*")
    elif k == 1:
        v = rnd(r, AN, r.choice([10, 14, 18, 22]))
    elif k == 2:
        v = "-".join(r.choice(B12_PWWORDS).lower() for _ in range(3)) + str(r.randint(0, 9))
    elif k == 3:
        v = w[:3] + r.choice("@#&") + rnd(r, B12_DIG, 4) + w[3:].upper()
    elif k == 4:
        v = rnd(r, AN, 5) + r.choice("$%^*=+") + rnd(r, AN, 5) + r.choice("!#*7")
    elif k == 5:
        v = "".join({"a": "4", "e": "€", "o": "0", "l": "1", "s": "$"}.get(c, c) for c in w) + r.choice(["!", "2024", "#1", "_x"])
    else:
        v = w.capitalize() + r.choice(["_", ".", ""]) + r.choice(B12_PWWORDS).lower() + str(r.randint(10, 99))
    if safe:
        v = "".join(c if c.isalnum() or c in "!*_.-~$^" else "_" for c in v)
        v = v.replace("€", "E")
    return v


def b12_PW(r, safe=False):
    return B12L("PASSWORD", b12_pw_value(r, safe))


def b12_pem_value(r, sep="\n"):
    kind = r.choice(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY", "DSA PRIVATE KEY"])
    n = {"EC PRIVATE KEY": 121, "OPENSSH PRIVATE KEY": r.randint(380, 420), "DSA PRIVATE KEY": 448}.get(kind, r.choice([633, 1217]))
    body = base64.b64encode(bytes(r.randrange(256) for _ in range(n))).decode()
    w = 70 if kind == "OPENSSH PRIVATE KEY" else 64
    return sep.join([f"-----BEGIN {kind}-----"] + [body[i:i + w] for i in range(0, len(body), w)] + [f"-----END {kind}-----"])


def b12_PEM(r, sep="\n"):
    return B12L("PRIVATE_KEY", b12_pem_value(r, sep))


B12_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "ASIAIOSFODNN7EXAMPLE", "AKIAEXAMPLEEXAMPLE00",
    "ghp_" + ("EXAMPLEexample" * 3)[:36], "gho_" + "0" * 36, "ghu_" + "x" * 36, "ghs_EXAMPLE" + "0" * 29, "ghr_abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_11EXAMPLE0EXAMPLE0EXAM_" + ("EXAMPLEexample" * 5)[:59],
    "xoxb-" + "0" * 12 + "-" + "0" * 13 + "-EXAMPLEexampleEXAMPLE000", "xoxp-1111111111-2222222222-3333333333333-" + "0" * 32,
    "xapp-1-A0000000000-0000000000000-" + "0" * 64,
    "sk_live_EXAMPLE" + "0" * 17, "rk_live_" + "x" * 24, "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk-proj-" + ("EXAMPLE-" * 8)[:58] + "T3BlbkFJ" + ("EXAMPLE-" * 8)[:58], "sk-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst",
    "sk-ant-api03-" + "EXAMPLE-" * 11 + "EXAMPAA", "sk-ant-api03-" + "x" * 93 + "AA",
    "AIzaSyA-EXAMPLE-EXAMPLE-EXAMPLE-EXAMPLE", "AIzaSy" + "0" * 33,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
]
B12_STANDINS = ["<your-token>", "${TOKEN}", "changeme", "xxxx", "<API_KEY>", "${{ secrets.SLACK_BOT_TOKEN }}", "$env:GH_TOKEN", "%STRIPE_KEY%",
                "ghp_…", "sk_live_…", "sk-ant-…", "AKIA…", "REPLACE_ME", "********", "{{ vault_db_password }}", "<redacted>", "••••••••",
                "op://Shared/Prod DB/password", "(see 1Password)", "ENV[DB_PASS]", "TBD", "n/a"]


def b12_PLH(r, prefix=None):
    xs = [p for p in B12_PLACEHOLDERS if prefix is None or p.startswith(prefix)]
    return B12L("PLACEHOLDER", r.choice(xs))


def b12_SEC(r):
    """Any secret: vendor, generic, private key rarely, placeholder sometimes."""
    k = r.randrange(14)
    if k < 8:
        return b12_VK(r)
    if k < 11:
        return b12_GS(r)
    if k < 13:
        return b12_PLH(r)
    return r.choice(B12_STANDINS)


# ----- look-alikes (never labelled) -----

def b12_badcard(r):
    while True:
        pre, n = r.choice(B12_IIN)
        d = pre + rnd(r, B12_DIG, n - len(pre))
        if not luhn_ok(d):
            return b12_group(r, d)


def b12_badiban(r):
    v = b12_iban_plain(r, r.choice(sorted(B12_IBANS)))
    while True:
        i = r.randrange(4, len(v))
        if not v[i].isdigit():
            continue
        w = v[:i] + str((int(v[i]) + r.randint(1, 9)) % 10) + v[i + 1:]
        if b12_m97(w[4:] + w[:4]) != 1:
            return " ".join(w[j:j + 4] for j in range(0, len(w), 4)) if r.random() < 0.5 else w


def b12_imei(r):
    return b12_luhn_fix(r.choice(["35", "86", "01", "49"]) + rnd(r, B12_DIG, 12))


def b12_uuid(r):
    return f"{rnd(r, HEX, 8)}-{rnd(r, HEX, 4)}-4{rnd(r, HEX, 3)}-{r.choice('89ab')}{rnd(r, HEX, 3)}-{rnd(r, HEX, 12)}"


B12_LA_WORDS = {
    "order": {"en": "Order", "de": "Bestellung", "fr": "Commande", "es": "Pedido", "it": "Ordine", "nl": "Bestelling"},
    "invoice": {"en": "Invoice", "de": "Rechnung", "fr": "Facture", "es": "Factura", "it": "Fattura", "nl": "Factuur"},
    "ticket": {"en": "Ticket", "de": "Vorgang", "fr": "Dossier", "es": "Incidencia", "it": "Pratica", "nl": "Melding"},
    "booking": {"en": "Booking ref", "de": "Buchungsnr.", "fr": "Réf. réservation", "es": "Localizador", "it": "Cod. prenotazione", "nl": "Boekingsnr."},
    "customer": {"en": "Customer no.", "de": "Kundennr.", "fr": "N° client", "es": "N.º cliente", "it": "Cod. cliente", "nl": "Klantnr."},
}


def b12_la(r, loc, k=None):
    lg = b12_lg(loc)
    k = r.randrange(26) if k is None else k
    w = lambda key: B12_LA_WORDS[key][lg]
    if k == 0:
        return f"{w('order')} {r.randint(100, 999)}-{rnd(r, B12_DIG, 7)}-{rnd(r, B12_DIG, 7)}"
    if k == 1:
        return f"{w('invoice')} {B12_TODAY.year}/{rnd(r, B12_DIG, 6)}"
    if k == 2:  # phone-shaped ticket number
        return f"{w('ticket')} #{rnd(r, B12_DIG, 3)} {rnd(r, B12_DIG, 3)} {rnd(r, B12_DIG, 4)}"
    if k == 3:
        return f"{w('booking')} {rnd(r, B12_UC, 6)}"
    if k == 4:  # phone-shaped customer number
        return f"{w('customer')} 0{rnd(r, B12_DIG, 3)}-{rnd(r, B12_DIG, 7)}"
    if k == 5:
        return f"v{r.randint(1, 19)}.{r.randint(0, 40)}.{r.randint(0, 300)}"
    if k == 6:
        return f"build {B12_TODAY.year}{r.randint(1, 12):02d}{r.randint(1, 28):02d}.{r.randint(1, 99)}"
    if k == 7:
        return f"{B12_TODAY.year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, B12_DIG, 3)}Z"
    if k == 8:
        return f"sha256:{rnd(r, HEX, 64)}"
    if k == 9:
        return b12_uuid(r)
    if k == 10:
        return f"IMEI {b12_imei(r)}"
    if k == 11:
        return f"Meeting ID: {rnd(r, B12_DIG, 3)} {rnd(r, B12_DIG, 4)} {rnd(r, B12_DIG, 4)}"
    if k == 12:
        return r.choice([f"1Z{rnd(r, B12_UCD, 6)}{rnd(r, B12_DIG, 10)}", f"JJD{rnd(r, B12_DIG, 18)}", f"{rnd(r, B12_UC, 2)}{rnd(r, B12_DIG, 9)}GB",
                         f"3S{rnd(r, B12_UC, 4)}{rnd(r, B12_DIG, 7)}", f"{rnd(r, B12_DIG, 12)}"])
    if k == 13:
        return f"{b12_tr(loc, en='card', de='Karte', fr='carte', es='tarjeta', it='carta', nl='kaart')} {b12_badcard(r)}"
    if k == 14:
        return f"IBAN {b12_badiban(r)}"
    if k == 15:  # 9-digit non-SSNs
        return r.choice([f"ITIN 9{rnd(r, B12_DIG, 2)}-7{rnd(r, B12_DIG, 1)}-{rnd(r, B12_DIG, 4)}", f"EIN {r.randint(10, 98)}-{rnd(r, B12_DIG, 7)}",
                         f"ABA {r.choice(['011000015', '026009593', '121000248', '091000019', '111000025'])}", f"claim {rnd(r, B12_DIG, 9)}",
                         f"member ID 000-{rnd(r, B12_DIG, 2)}-{rnd(r, B12_DIG, 4)}", f"NPI {rnd(r, B12_DIG, 10)}"])
    if k == 16:
        return f"{b12_tr(loc, en='due', de='fällig am', fr='échéance', es='vence el', it='scadenza', nl='vervalt op')} {b12_day(r, loc, 30, 60)}"
    if k == 17:
        return f"{r.randint(1, 9999):,}.{r.randint(0, 99):02d} {r.choice(['EUR', 'GBP', 'USD'])}"
    if k == 18:
        return f"{r.uniform(36, 58):.5f}, {r.uniform(-9, 18):.5f}"
    if k == 19:
        return f"commit {rnd(r, HEX, 40)}"
    if k == 20:
        return f"MAC {':'.join(rnd(r, HEX, 2) for _ in range(6))}"
    if k == 21:
        return f"{b12_tr(loc, en='case', de='Az.', fr='RG n°', es='Autos n.º', it='R.G. n.', nl='zaaknr.')} {r.randint(1, 99)}/{r.randint(2019, 2026)}-{rnd(r, B12_DIG, 5)}"
    if k == 22:
        return f"SKU {rnd(r, B12_UC, 3)}-{rnd(r, B12_DIG, 5)}-{rnd(r, B12_UC, 2)}"
    if k == 23:
        return f"+{rnd(r, B12_DIG, 2)}% / {rnd(r, B12_DIG, 4)} ms p99"
    if k == 24:
        return f"PO-{rnd(r, B12_DIG, 4)}-{rnd(r, B12_DIG, 4)}-{rnd(r, B12_DIG, 2)}"
    return f"{rnd(r, B12_DIG, 2)}.{rnd(r, B12_DIG, 2)}.{r.randint(256, 999)}.{rnd(r, B12_DIG, 3)}"  # a 4-part id, never an IP (a part > 255)


def b12_las(r, loc, n=2, sep=" · "):
    return sep.join(b12_la(r, loc) for _ in range(n))


# ----- passwords in prose, and sentences with none -----

B12_PW_SAY = {
    "en": ["my new password is ", "temp password: ", "I set the password to ", "pw is ", "the login password they gave me was ", "Password = "],
    "de": ["mein neues Passwort lautet ", "Kennwort: ", "Passwort ist ", "das Initialpasswort war ", "PW: "],
    "fr": ["mon nouveau mot de passe est ", "mot de passe : ", "mdp ", "le mot de passe provisoire est "],
    "es": ["mi nueva contraseña es ", "contraseña: ", "la clave es ", "contraseña provisional "],
    "it": ["la mia nuova password è ", "password: ", "la password provvisoria è ", "pwd "],
    "nl": ["mijn nieuwe wachtwoord is ", "wachtwoord: ", "ww is ", "het tijdelijke wachtwoord is "],
}
B12_PW_NONE = {
    "en": ["Password: reset link sent.", "password expired yesterday, user will self-serve.", "Password policy: 14 chars minimum.", "Forgot password? flow works again.",
           "password was changed by the user at 09:14.", "The password field is now optional for SSO users."],
    "de": ["Passwort: zurückgesetzt, Link per SMS.", "Kennwort abgelaufen, Kunde setzt es selbst neu.", "Passwortrichtlinie: mindestens 12 Zeichen."],
    "fr": ["Mot de passe : oublié, lien renvoyé.", "mot de passe expiré, le client le change lui-même.", "Politique de mot de passe : 12 caractères."],
    "es": ["Contraseña: caducada, se envió enlace.", "la contraseña se cambió desde la app.", "Política de contraseñas: 12 caracteres mínimo."],
    "it": ["Password: scaduta, inviato link di reset.", "password cambiata dall'utente stamattina.", "Criteri password: almeno 12 caratteri."],
    "nl": ["Wachtwoord: verlopen, resetlink gestuurd.", "wachtwoord is door de klant zelf gewijzigd.", "Wachtwoordbeleid: minimaal 12 tekens."],
}


def b12_pw_said(r, loc, safe=False):
    return [r.choice(B12_PW_SAY[b12_lg(loc)]), b12_PW(r, safe)]


def b12_pw_none(r, loc):
    return r.choice(B12_PW_NONE[b12_lg(loc)])


B12_CITIES = {"en_US": ["Spokane", "Dayton", "Chattanooga", "Eugene", "Lubbock", "Wilmington"], "en_GB": ["Ipswich", "Stockport", "Dundee", "Exeter", "Bangor", "Luton"],
              "de_DE": ["Kassel", "Rostock", "Ulm", "Paderborn", "Gera", "Trier"], "fr_FR": ["Angers", "Limoges", "Besançon", "Nîmes", "Brest", "Colmar"],
              "es_ES": ["Cáceres", "Logroño", "Gijón", "Albacete", "Huelva", "Lleida"], "it_IT": ["Modena", "Lecce", "Trento", "Perugia", "Novara", "Sassari"],
              "nl_NL": ["Zwolle", "Breda", "Leeuwarden", "Deventer", "Amersfoort", "Venlo"]}


def b12_city(r, loc):
    """Faker's city() is not reproducible across processes for every locale; our own short lists are."""
    return r.choice(B12_CITIES[loc])


def b12_person(f):
    return f.first_name(), f.last_name()


def b12_ts(r, days=20):
    t = datetime.datetime(B12_TODAY.year, B12_TODAY.month, B12_TODAY.day, r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)) - datetime.timedelta(days=r.randint(0, days))
    return t


# ----- text documents -----

def B12_sap_vendor(f, r, loc):
    fn, ln = b12_person(f)
    return [f"Kreditor/Vendor master change  LIFNR {rnd(r, B12_DIG, 10)}  BUKRS {r.choice(['1000', '2100', '3300'])}\n",
            f"NAME1      {f.company()}\nSTRAS      {f.street_address()}\nORT01      {b12_city(r, loc)}\n",
            "TELF1      ", b12_PH(r, loc), "\nSMTP_ADDR  ", b12_EM(f, r, fn, ln), "\n",
            "IBAN (old) ", b12_IBAN(r, loc), "\nIBAN (new) ", b12_IBAN(r, loc), f"\nSWIFT      {rnd(r, B12_UC, 4)}{B12_HOME[loc] if loc != 'en_US' else 'US'}{rnd(r, B12_UCD, 2)}\n",
            f"ZTERM      Z030   {b12_la(r, loc, 24)}\nChanged by {ln.upper()[:8]} on {b12_day(r, loc, 10, 0)}  {b12_la(r, loc, 6)}\n"]


def B12_okta_log(f, r, loc):
    out = []
    for _ in range(r.randint(2, 4)):
        t = b12_ts(r, 3)
        ev = r.choice(["user.session.start", "user.authentication.auth_via_mfa", "user.account.lock", "policy.evaluate_sign_on", "user.mfa.factor.update"])
        out += [f"{t.isoformat()}.{rnd(r, B12_DIG, 3)}Z  {ev:<36} actor=", b12_EM(f, r), "  client.ip=", b12_IP(r),
                f"  outcome={r.choice(['SUCCESS', 'FAILURE', 'CHALLENGE'])}  uuid={b12_uuid(r)}\n"]
    if r.random() < 0.5:
        out += ["  debugContext.phoneNumber=", b12_PH(r, loc), f"  factor=sms  {b12_la(r, loc, 9)}\n"]
    return out


def B12_vault_audit(f, r, loc):
    return [f"vault audit (file, log_raw=true) {b12_ts(r, 1).isoformat()}Z\n",
            f"  request.path = secret/data/{r.choice(['payments', 'crm', 'ci'])}/{r.choice(['prod', 'staging'])}\n  request.operation = update\n",
            f"  request.remote_address = ", b12_IP4(r), "\n  request.data.data.api_key = ", b12_VK(r), "\n",
            "  request.data.data.db_password = ", b12_PW(r), "\n", f"  request.client_token = hmac-sha256:{rnd(r, HEX, 64)}\n",
            f"  response.data.version = {r.randint(2, 40)}  {b12_la(r, loc, 7)}\n"]


def B12_winevent(f, r, loc):
    fn, ln = b12_person(f)
    return [f"Log Name: Security\nSource: Microsoft-Windows-Security-Auditing\nDate: {b12_ts(r, 2).strftime('%m/%d/%Y %I:%M:%S %p')}\nEvent ID: {r.choice([4625, 4624, 4740, 4771])}\n",
            f"Account For Which Logon Failed:\n\tSecurity ID: S-1-5-21-{rnd(r, B12_DIG, 10)}-{rnd(r, B12_DIG, 9)}-{rnd(r, B12_DIG, 10)}-{r.randint(1000, 9999)}\n",
            f"\tAccount Name: {b12_ascii(fn)[:1]}{b12_ascii(ln)}\n\tAccount Domain: CORP\nNetwork Information:\n\tWorkstation Name: LT-{rnd(r, B12_UCD, 7)}\n",
            "\tSource Network Address: ", b12_IP(r), f"\n\tSource Port: {r.randint(1024, 65535)}\nFailure Reason: Unknown user name or bad password.\n",
            f"\tSub Status: 0xC000006A  Logon Process: NtLmSsp  {b12_la(r, loc, 9)}\n"]


def B12_powershell(f, r, loc):
    u = b12_ascii(f.first_name())
    return ["**********************\nWindows PowerShell transcript start\n", f"Start time: {b12_ts(r, 2).strftime('%Y%m%d%H%M%S')}\nUsername: CORP\\{u}\nMachine: SRV-{rnd(r, B12_UCD, 6)}\n",
            "**********************\nPS C:\\ops> $pw = ConvertTo-SecureString '", b12_PW(r), "' -AsPlainText -Force\n",
            f"PS C:\\ops> New-LocalUser -Name svc_{rnd(r, string.ascii_lowercase, 5)} -Password $pw\n",
            "PS C:\\ops> Connect-ExchangeOnline -UserPrincipalName ", b12_EM(f, r), "\n",
            "PS C:\\ops> $env:OPENAI_API_KEY = \"", b12_VK(r, "OPENAI_KEY"), "\"\n",
            "PS C:\\ops> Test-NetConnection ", b12_IP4(r), f" -Port 5986\nTcpTestSucceeded : True\n{b12_la(r, loc, 9)}\n"]


def B12_msgtrace(f, r, loc):
    out = ["Received              SenderAddress                     RecipientAddress                  Subject                 Status    FromIP\n"]
    for _ in range(r.randint(2, 4)):
        out += [f"{b12_ts(r, 5).strftime('%d/%m/%Y %H:%M:%S')}   ", b12_EM(f, r), "   ", b12_EM(f, r),
                f"   {r.choice(['Your invoice', 'RE: contract', 'Payslip', 'Delivery notice', 'Reset request'])} {rnd(r, B12_DIG, 6)}   {r.choice(['Delivered', 'FilteredAsSpam', 'Failed'])}   ",
                b12_IP(r), "\n"]
    out.append(f"MessageTraceId: {b12_uuid(r)}\n")
    return out


def B12_pdf_invoice(f, r, loc):
    fn, ln = b12_person(f)
    return [f"{f.company()}\n{f.street_address()} · {f.postcode()} {b12_city(r, loc)}\n",
            b12_tr(loc, en="Tel ", de="Tel. ", fr="Tél. ", es="Tel. ", it="Tel. ", nl="Tel. "), b12_PH(r, loc), " · ", b12_EM(f, r), "\n\n",
            f"{B12_LA_WORDS['invoice'][b12_lg(loc)]} {B12_TODAY.year}-{rnd(r, B12_DIG, 5)}      {b12_day(r, loc, 20, 0)}\n",
            f"{B12_LA_WORDS['customer'][b12_lg(loc)]} {rnd(r, B12_DIG, 7)}    VAT {r.choice(['DE', 'FR', 'IT', 'NL', 'ES'])}{rnd(r, B12_DIG, 9)}\n\n",
            f"Pos  Art.-Nr.       Menge  Betrag\n1    {b12_la(r, loc, 22)}   {r.randint(1, 9)}   {b12_la(r, loc, 17)}\n\n",
            b12_tr(loc, en="Please pay to ", de="Bitte überweisen auf ", fr="Règlement sur le compte ", es="Abonar en la cuenta ", it="Pagare su ", nl="Gelieve over te maken op "),
            b12_IBAN(r, loc), f" — {b12_la(r, loc, 16)}\n", f"Seite 1/1  {b12_la(r, loc, 14)}\n"]


def B12_ocr_id(f, r, loc):
    fn, ln = b12_person(f)
    lbl = b12_tr(loc, en="Surname / Given names", de="Name / Vornamen", fr="Nom / Prénoms", es="Apellidos / Nombre", it="Cognome / Nome", nl="Naam / Voornamen")
    return [f"[OCR confidence 0.{r.randint(81, 99)}]\n{lbl}\n{ln.upper()} / {fn.upper()}\n",
            b12_born_said(r, loc, lo=18), f"\nDoc. no. {rnd(r, B12_UC, 2)}{rnd(r, B12_DIG, 7)}   {b12_tr(loc, en='Expiry', de='Gültig bis', fr='Expire le', es='Caducidad', it='Scadenza', nl='Geldig tot')} {b12_day(r, loc, -300, 3000)}\n",
            f"{b12_tr(loc, en='Issued', de='Ausgestellt', fr='Délivré le', es='Expedición', it='Rilascio', nl='Afgegeven')} {b12_day(r, loc, 3000, 0)}\n",
            f"P<{rnd(r, B12_UC, 3)}{b12_ascii(ln).upper()}<<{b12_ascii(fn).upper()}<<<<<<<<<<\n"]


def B12_referral(f, r, loc):
    fn, ln = b12_person(f)
    dr = f.last_name()
    return [b12_tr(loc, en="Referral letter", de="Überweisungsschein", fr="Lettre d'adressage", es="Volante de derivación", it="Impegnativa", nl="Verwijsbrief"), "\n",
            f"Dr. {dr}, {b12_city(r, loc)} — ", b12_PH(r, loc), "\n\n",
            b12_tr(loc, en="Patient: ", de="Patient/in: ", fr="Patient(e) : ", es="Paciente: ", it="Paziente: ", nl="Patiënt: "), f"{fn} {ln}, ", b12_born_said(r, loc),
            "\n", b12_tr(loc, en="Contact: ", de="Erreichbar: ", fr="Joignable : ", es="Contacto: ", it="Recapito: ", nl="Bereikbaar: "), b12_PH(r, loc), " / ", b12_EM(f, r, fn, ln), "\n",
            b12_tr(loc, en="Seen on ", de="Untersucht am ", fr="Vu le ", es="Visto el ", it="Visitato il ", nl="Gezien op "), b12_day(r, loc, 30, 0),
            f"; {b12_la(r, loc, 21)}; ICD-10 {r.choice(['M54.5', 'R51', 'K21.9', 'I10', 'E11.9'])}\n",
            (["SSN ", b12_SSN(r), " (Medicare secondary)\n"] if loc == "en_US" else [])]


def B12_court(f, r, loc):
    fn, ln = b12_person(f)
    return [b12_tr(loc, en="NOTICE OF HEARING", de="LADUNG ZUM TERMIN", fr="AVIS D'AUDIENCE", es="CITACIÓN A VISTA", it="AVVISO DI UDIENZA", nl="OPROEPING ZITTING"), "\n",
            f"{b12_la(r, loc, 21)}\n{fn} {ln} ./. {f.company()}\n",
            b12_tr(loc, en="Hearing date: ", de="Termin: ", fr="Date d'audience : ", es="Fecha de la vista: ", it="Data udienza: ", nl="Zittingsdatum: "), b12_day(r, loc, 0, 120), "\n",
            b12_tr(loc, en="Respondent, ", de="Beklagte/r, ", fr="Défendeur, ", es="Demandado, ", it="Convenuto, ", nl="Gedaagde, "), b12_born_said(r, loc, lo=20), "\n",
            b12_tr(loc, en="Court fee to ", de="Gerichtskosten an ", fr="Frais de greffe : ", es="Tasas a ", it="Contributo unificato su ", nl="Griffierecht op "), b12_IBAN(r, loc),
            f"  ({b12_la(r, loc, 17)})\n", b12_tr(loc, en="Clerk: ", de="Geschäftsstelle: ", fr="Greffe : ", es="Secretaría: ", it="Cancelleria: ", nl="Griffie: "), b12_PH(r, loc), "\n"]


def B12_listing(f, r, loc):
    return [b12_tr(loc, en="FOR RENT — 2-bed flat", de="ZU VERMIETEN — 3-Zi.-Whg.", fr="À LOUER — T3 lumineux", es="SE ALQUILA — piso 2 hab.", it="AFFITTASI — trilocale", nl="TE HUUR — 3-kamer app."),
            f", {b12_city(r, loc)}\n{r.randint(45, 140)} m² · {b12_la(r, loc, 17)} · {b12_tr(loc, en='available', de='frei ab', fr='libre le', es='disponible', it='libero dal', nl='beschikbaar')} {b12_day(r, loc, 0, 60)}\n",
            f"Listing #{rnd(r, B12_DIG, 9)} · {b12_la(r, loc, 18)}\n",
            b12_tr(loc, en="Viewings: call ", de="Besichtigung: ", fr="Visites : ", es="Visitas: ", it="Visite: ", nl="Bezichtiging: "), b12_PH(r, loc),
            b12_tr(loc, en=" or WhatsApp ", de=" oder WhatsApp ", fr=" ou WhatsApp ", es=" o WhatsApp ", it=" o WhatsApp ", nl=" of WhatsApp "), b12_PH(r, loc), ", ", b12_EM(f, r), "\n"]


def B12_insurance_quote(f, r, loc):
    fn, ln = b12_person(f)
    out = [b12_tr(loc, en="Motor insurance quote", de="Angebot Kfz-Versicherung", fr="Devis assurance auto", es="Presupuesto seguro de coche", it="Preventivo RC auto", nl="Offerte autoverzekering"),
           f" {rnd(r, B12_UC, 3)}-{rnd(r, B12_DIG, 8)}\n", b12_tr(loc, en="Main driver: ", de="Hauptfahrer: ", fr="Conducteur principal : ", es="Conductor principal: ", it="Conducente: ", nl="Hoofdbestuurder: "),
           f"{fn} {ln}, ", b12_born_said(r, loc, lo=18, hi=80), "\n", b12_tr(loc, en="Licence since ", de="Führerschein seit ", fr="Permis depuis ", es="Carné desde ", it="Patente dal ", nl="Rijbewijs sinds "),
           b12_day(r, loc, 8000, -400), f"\n{b12_la(r, loc, 17)} / {b12_tr(loc, en='year', de='Jahr', fr='an', es='año', it='anno', nl='jaar')}\n",
           b12_tr(loc, en="Pay by card ", de="Zahlung per Karte ", fr="Paiement par carte ", es="Pago con tarjeta ", it="Pagamento con carta ", nl="Betaling met kaart "), b12_CC(r),
           " exp ", f"{r.randint(1, 12):02d}/{r.randint(27, 31)}", " CVV ", b12_cvc(r), "\n"]
    if r.random() < 0.5:
        out += [f"{b12_la(r, loc, 13)} (declined)\n"]
    return out


def B12_loyalty_csv(f, r, loc):
    out = ["member_no;first_name;last_name;email;mobile;birthday;points;last_visit\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b12_person(f)
        out += [f"{b12_luhn_fix('90' + rnd(r, B12_DIG, 10))};{fn};{ln};", b12_EM(f, r, fn, ln), ";", b12_PH(r, loc, 0), ";",
                B12L("DATE_OF_BIRTH", b12_born(r).isoformat()), f";{r.randint(0, 25000)};{(B12_TODAY - datetime.timedelta(days=r.randint(0, 300))).isoformat()}\n"]
    return out


def B12_voice(f, r, loc):
    return [f"[assistant transcript {b12_ts(r, 2).isoformat()}]\nUSER: ",
            b12_tr(loc, en="call the dentist at ", de="ruf die Zahnärztin an unter ", fr="appelle le dentiste au ", es="llama al dentista al ", it="chiama il dentista al ", nl="bel de tandarts op "),
            b12_PH(r, loc, 0), "\nASSISTANT: ", b12_tr(loc, en="Calling now.", de="Ich rufe an.", fr="J'appelle.", es="Llamando.", it="Chiamo.", nl="Ik bel."),
            "\nUSER: ", b12_tr(loc, en="and pay the gas bill with card ", de="und zahl die Gasrechnung mit Karte ", fr="et paie la facture de gaz avec la carte ", es="y paga el gas con la tarjeta ",
                               it="e paga la bolletta del gas con la carta ", nl="en betaal de gasrekening met kaart "), b12_CC(r), "\n",
            f"ASSISTANT: {b12_tr(loc, en='Which reference?', de='Welche Referenz?', fr='Quelle référence ?', es='¿Qué referencia?', it='Quale riferimento?', nl='Welk kenmerk?')}\nUSER: {b12_la(r, loc, 4)}\n"]


def B12_scratchpad(f, r, loc):
    fn, ln = b12_person(f)
    return [f"Thought: the user wants the {r.choice(['staging', 'prod', 'eu-west'])} deploy fixed; I should check the env first.\n",
            "Action: shell\nAction Input: printenv | grep -i -E 'key|token'\n", "Observation: ANTHROPIC_API_KEY=", b12_VK(r, "ANTHROPIC_KEY"), "\nSLACK_BOT_TOKEN=", b12_VK(r, "SLACK_TOKEN"),
            "\nDOCS_SAMPLE_KEY=", b12_PLH(r), "\nPLACEHOLDER_TOKEN=", r.choice(B12_STANDINS), "\n",
            "Thought: owner is ", b12_EM(f, r, fn, ln), f"; ticket {b12_la(r, loc, 2)}. ", b12_pw_none(r, loc), "\n",
            "Action: http_get\nAction Input: https://", b12_IP4(r), f":8443/healthz\nObservation: 200 OK {b12_la(r, loc, 5)}\n"]


def B12_memory_dump(f, r, loc):
    fn, ln = b12_person(f)
    return [f"## long-term memory (user {rnd(r, HEX, 12)})\n", f"- name: {fn} {ln}\n- prefers {b12_tr(loc, en='English', de='Deutsch', fr='français', es='español', it='italiano', nl='Nederlands')}\n",
            "- work email: ", b12_EM(f, r, fn, ln), "\n- mobile: ", b12_PH(r, loc), "\n- ", b12_born_said(r, loc), "\n",
            "- wifi at home: ", b12_pw_said(r, loc), "\n- savings account: ", b12_IBAN(r, loc), "\n",
            f"- recurring: {b12_la(r, loc, 3)}; {b12_la(r, loc, 11)}\n"]


def B12_fetch_snippet(f, r, loc):
    return [f"// Copied from DevTools → Copy as fetch (Node.js)\nfetch(\"https://api.{r.choice(['ledgerly.io', 'tramline.app', 'kundendienst.example.de'])}/v2/exports?since={B12_TODAY.isoformat()}\", {{\n",
            "  \"headers\": {\n    \"accept\": \"application/json\",\n    \"authorization\": \"Bearer ", b12_VK(r, "JWT"), "\",\n",
            "    \"cookie\": \"_ga=GA1.2.", rnd(r, B12_DIG, 10), ".", rnd(r, B12_DIG, 10), "; sid=", b12_GS(r, 5), "\",\n",
            "    \"x-forwarded-for\": \"", b12_IP4(r, True), "\"\n  },\n  \"method\": \"GET\"\n});\n"]


def B12_logcat(f, r, loc):
    t = b12_ts(r, 1)
    pid = r.randint(1000, 32000)
    return [f"{t.strftime('%m-%d %H:%M:%S')}.{rnd(r, B12_DIG, 3)} {pid} {pid} D OkHttp  : --> POST https://api.shopfront.app/v1/login\n",
            f"{t.strftime('%m-%d %H:%M:%S')}.{rnd(r, B12_DIG, 3)} {pid} {pid} D OkHttp  : {{\"email\":\"", b12_EM(f, r), "\",\"password\":\"", b12_PW(r), "\"}\n",
            f"{t.strftime('%m-%d %H:%M:%S')}.{rnd(r, B12_DIG, 3)} {pid} {pid} D OkHttp  : <-- 200 OK ({r.randint(40, 900)}ms) x-session: ", b12_GS(r, 4), "\n",
            f"{t.strftime('%m-%d %H:%M:%S')}.{rnd(r, B12_DIG, 3)} {pid} {pid} I Maps    : init with key ", b12_VK(r, "GOOGLE_API_KEY"), "\n",
            f"{t.strftime('%m-%d %H:%M:%S')}.{rnd(r, B12_DIG, 3)} {pid} {pid} E AndroidRuntime: FATAL EXCEPTION: main  {b12_la(r, loc, 10)}  {b12_la(r, loc, 5)}\n"]


def B12_iot(f, r, loc):
    dev = f"therm-{rnd(r, HEX, 6)}"
    return [f"{b12_ts(r, 1).isoformat()} mosquitto[{r.randint(300, 900)}]: New connection from ", b12_IP4(r, False), f" on port 8883.\n",
            f"{b12_ts(r, 1).isoformat()} mosquitto: New client connected as {dev} (p2, c1, k60, u'{dev}').\n",
            f"provisioning {dev}: wifi_ssid=FRITZ!Box {rnd(r, B12_DIG, 4)} wifi_psk=", b12_PW(r, True), f" fw={b12_la(r, loc, 5)}\n",
            f"provisioning {dev}: mqtt_password=", b12_PW(r, True), f" {b12_la(r, loc, 20)}\n", f"cloud ota url signed with X-Amz-Credential=", b12_VK(r, "AWS_ACCESS_KEY"),
            f"/{B12_TODAY.strftime('%Y%m%d')}/eu-central-1/s3/aws4_request\n"]


def B12_tomcat_users(f, r, loc):
    return ["<?xml version='1.0' encoding='utf-8'?>\n<tomcat-users xmlns=\"http://tomcat.apache.org/xml\" version=\"1.0\">\n  <role rolename=\"manager-gui\"/>\n",
            f"  <user username=\"{b12_ascii(f.first_name())}\" password=\"", b12_PW(r, True), "\" roles=\"manager-gui,admin-gui\"/>\n",
            f"  <user username=\"deployer\" password=\"", b12_PW(r, True), "\" roles=\"manager-script\"/>\n",
            f"  <!-- example: <user username=\"admin\" password=\"{r.choice(['changeme', '<must-be-changed>', 'xxxx'])}\" roles=\"manager-gui\"/> -->\n</tomcat-users>\n"]


def B12_netrc(f, r, loc):
    return ["# ~/.netrc\nmachine api.github.com\n  login ", b12_ascii(f.first_name()), "\n  password ", b12_VK(r, "GITHUB_TOKEN"), "\n",
            f"machine ftp.{r.choice(['druckerei-kern.de', 'imprimerie-roux.fr', 'grafiche-sole.it'])}\n  login upload\n  password ", b12_PW(r, True), "\n",
            "machine bitbucket.org login ci password ", b12_GS(r, 7), "\n"]


def B12_kafka_jaas(f, r, loc):
    return [f"# client.properties ({b12_la(r, loc, 5)})\nbootstrap.servers=", b12_IP4(r, False), ":9093,", b12_IP4(r, False), ":9093\n",
            "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n",
            f"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"svc-{rnd(r, string.ascii_lowercase, 6)}\" password=\"", b12_PW(r, True), "\";\n",
            "ssl.truststore.password=", b12_PW(r, True), "\nssl.endpoint.identification.algorithm=https\n"]


def B12_spring_props(f, r, loc):
    return [f"# application-prod.properties\nspring.datasource.url=jdbc:postgresql://", b12_IP4(r, False), ":5432/billing\n",
            "spring.datasource.username=billing_app\nspring.datasource.password=", b12_PW(r), "\n",
            "spring.mail.username=", b12_EM(f, r), "\nspring.mail.password=", b12_PW(r), "\n",
            "app.jwt.secret=", b12_GS(r, 2), "\napp.jwt.expiration=86400\nspring.security.password-policy.min-length=12\n",
            "stripe.api-key=", b12_VK(r, "STRIPE_KEY"), "\n", f"management.info.build.version={b12_la(r, loc, 5)}\n"]


def B12_wpconfig(f, r, loc):
    return ["<?php\n", f"define( 'DB_NAME', 'wp_{rnd(r, string.ascii_lowercase, 5)}' );\ndefine( 'DB_USER', 'wp_admin' );\n",
            "define( 'DB_PASSWORD', '", b12_PW(r, True), "' );\ndefine( 'DB_HOST', '", b12_IP4(r, False), "' );\n",
            "define( 'AUTH_KEY',         '", b12_GS(r, 0), "' );\ndefine( 'SECURE_AUTH_KEY',  '", b12_GS(r, 4), "' );\n",
            "define( 'NONCE_SALT',       'put your unique phrase here' );\n", f"$table_prefix = 'wp{r.randint(1, 9)}_';\n"]


def B12_rails_creds(f, r, loc):
    return ["$ bin/rails credentials:show --environment production\n", "secret_key_base: ", b12_GS(r, 0), "\n",
            "aws:\n  access_key_id: ", b12_VK(r, "AWS_ACCESS_KEY"), "\n  secret_access_key: ", b12_GS(r, 1), "\n",
            "stripe:\n  secret_key: ", b12_VK(r, "STRIPE_KEY"), "\n  webhook_tolerance: 300\n",
            "smtp:\n  user_name: ", b12_EM(f, r), "\n  password: ", b12_PW(r), "\n"]


def B12_npmrc(f, r, loc):
    return ["$ cat ~/.npmrc\nregistry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
            "@acme:registry=https://npm.pkg.github.com\n//npm.pkg.github.com/:_authToken=", b12_VK(r, "GITHUB_TOKEN"), "\n",
            f"email=", b12_EM(f, r), "\nalways-auth=true\n", f"# see README, e.g. //npm.pkg.github.com/:_authToken=", b12_PLH(r, "gh"), "\n"]


def B12_pulumi(f, r, loc):
    return [f"$ pulumi config --show-secrets -s {r.choice(['prod', 'eu-prod', 'staging'])}\nKEY                         VALUE\n",
            "aws:region                  eu-west-1\n", "app:dbPassword              ", b12_PW(r), "\n", "app:openaiKey               ", b12_VK(r, "OPENAI_KEY"), "\n", "app:anthropicKey            ", b12_VK(r, "ANTHROPIC_KEY"), "\n",
            "app:sessionSecret           ", b12_GS(r), "\n", "app:adminEmail              ", b12_EM(f, r), "\n", f"app:imageTag                {b12_la(r, loc, 5)}\n"]


def B12_aws_sts(f, r, loc):
    return ["$ aws sts get-session-token --duration-seconds 3600 --output text\n",
            "CREDENTIALS\t", b12_VK(r, "AWS_ACCESS_KEY"), f"\t{(B12_TODAY + datetime.timedelta(days=1)).isoformat()}T0{r.randint(0, 9)}:{r.randint(10, 59)}:00+00:00\t", b12_GS(r, 1), "\t",
            B12L("GENERIC_SECRET", "IQoJb3JpZ2luX2Vj" + rnd(r, AN + "+/", 200)), "\n", "$ aws configure list\n      Name                    Value             Type    Location\n",
            f"access_key     ****************{rnd(r, B12_UCD, 4)} shared-credentials-file\n"]


def B12_heroku(f, r, loc):
    return [f"$ heroku config -a {r.choice(['shop-api', 'crm-sync', 'kassensystem'])}-prod\n=== Config Vars\n",
            "DATABASE_URL:       postgres://u", rnd(r, string.ascii_lowercase, 10), ":", b12_PW(r, True), f"@ec2-{r.randint(3, 54)}-{r.randint(1, 250)}-{r.randint(1, 250)}-{r.randint(1, 250)}.eu-west-1.compute.amazonaws.com:5432/d{rnd(r, B12_LCD, 12)}\n",
            "REDIS_URL:          rediss://:", b12_PW(r, True), f"@redis-{r.randint(10000, 99999)}.c1.eu-west-1-2.ec2.cloud.redislabs.com:6380\n",
            "SENDGRID_USERNAME:  apikey\n", "SLACK_WEBHOOK_TOKEN: ", b12_VK(r, "SLACK_TOKEN"), "\n", "SENTRY_RELEASE:     ", b12_la(r, loc, 19), "\n"]


def B12_mongo_log(f, r, loc):
    return [f"{{\"t\":{{\"$date\":\"{b12_ts(r, 1).isoformat()}.{rnd(r, B12_DIG, 3)}+00:00\"}},\"s\":\"I\",\"c\":\"NETWORK\",\"msg\":\"Connection accepted\",\"attr\":{{\"remote\":\"",
            b12_IP4(r), f":{r.randint(1024, 65535)}\"}}}}\n", "app startup: connecting to mongodb+srv://reporting:", b12_PW(r, True), f"@cluster0.{rnd(r, B12_LCD, 5)}.mongodb.net/?retryWrites=true\n",
            f"{b12_la(r, loc, 7)} WARN slow query {r.randint(100, 9000)}ms on orders ({b12_la(r, loc, 0)})\n"]


def B12_es_reset(f, r, loc):
    return ["$ bin/elasticsearch-reset-password -u elastic\nThis tool will reset the password of the [elastic] user to an autogenerated value.\n",
            "The password will be printed in the console.\nPlease confirm that you would like to continue [y/N]y\n\n\nPassword for the [elastic] user successfully reset.\n",
            "New value: ", b12_PW(r), "\n", "$ bin/elasticsearch-create-enrollment-token -s kibana\n", b12_GS(r, 2), "\n",
            f"{b12_la(r, loc, 5)}\n"]


def B12_postfix_sasl(f, r, loc):
    return ["# /etc/postfix/sasl_passwd\n", f"[smtp.{r.choice(['office365.com', 'mailgun.org', 'ionos.de', 'ovh.net'])}]:587 ", b12_EM(f, r), ":", b12_PW(r, True), "\n",
            "# postmap /etc/postfix/sasl_passwd && systemctl reload postfix\n", f"# relay ip allow-list: ", b12_IP4(r, True), f"  ({b12_la(r, loc, 6)})\n"]


def B12_jenkins(f, r, loc):
    return [f"Started by user {f.first_name()} {f.last_name()}\nRunning in Durability level: MAX_SURVIVABILITY\n[Pipeline] withCredentials\n",
            "Masking supported pattern matches of $NEXUS_PASSWORD\n[Pipeline] sh\n+ curl -u deploy:**** https://nexus.internal/repository/releases/\n",
            "+ echo 'debug: token=", b12_VK(r), "'\n", "debug: token=****\n", f"+ ./gradlew publish -Pversion={b12_la(r, loc, 5)}\n",
            "+ docker login -u ci -p ", b12_PW(r, True), " registry.internal:5000\nWARNING! Using --password via the CLI is insecure. Use --password-stdin.\nLogin Succeeded\n",
            "+ curl -s -X POST -H 'Authorization: Bearer ", b12_VK(r, "SLACK_TOKEN"), f"' https://slack.com/api/chat.postMessage -d channel=C{rnd(r, B12_UCD, 10)}\n", '{"ok":true}\n']


def B12_mortgage(f, r, loc):
    fn, ln = b12_person(f)
    out = [b12_tr(loc, en="Mortgage pre-approval", de="Finanzierungsbestätigung", fr="Accord de principe crédit immobilier", es="Preaprobación hipotecaria", it="Delibera mutuo", nl="Hypotheekofferte"),
           f" — {fn} {ln}\n", b12_born_said(r, loc, lo=21, hi=70), "\n", b12_tr(loc, en="Salary account: ", de="Gehaltskonto: ", fr="Compte salaire : ", es="Cuenta nómina: ", it="Conto stipendio: ", nl="Salarisrekening: "),
           b12_IBAN(r, loc), "\n"]
    if loc == "en_US":
        out += ["Borrower SSN: ", b12_SSN(r), f"   Co-borrower {b12_la(r, loc, 15)}\n"]
    out += [f"{b12_la(r, loc, 17)} @ {r.uniform(2.5, 5.5):.2f} % — {b12_tr(loc, en='valid until', de='gültig bis', fr='valable jusqu’au', es='válida hasta', it='valida fino al', nl='geldig tot')} {b12_day(r, loc, 0, 60)}\n",
            b12_tr(loc, en="Adviser: ", de="Berater: ", fr="Conseiller : ", es="Asesor: ", it="Consulente: ", nl="Adviseur: "), b12_PH(r, loc), "\n"]
    return out


def B12_utility_bill(f, r, loc):
    fn, ln = b12_person(f)
    return [b12_tr(loc, en="Electricity bill", de="Stromrechnung", fr="Facture d'électricité", es="Factura de la luz", it="Bolletta luce", nl="Energierekening"),
            f" · {b12_la(r, loc, 4)}\n{fn} {ln}, {f.street_address()}\n",
            f"{b12_tr(loc, en='Meter', de='Zähler', fr='Compteur PDL', es='CUPS', it='POD', nl='EAN-code')} {rnd(r, B12_DIG, 14)}  {b12_tr(loc, en='period', de='Zeitraum', fr='période', es='periodo', it='periodo', nl='periode')} {b12_day(r, loc, 90, -60)} – {b12_day(r, loc, 30, 0)}\n",
            b12_tr(loc, en="Direct debit from ", de="Lastschrift von ", fr="Prélèvement sur ", es="Domiciliado en ", it="Addebito su ", nl="Incasso van "), b12_IBAN(r, loc),
            f"  {b12_la(r, loc, 16)}\n", b12_tr(loc, en="Faults: ", de="Störung: ", fr="Dépannage : ", es="Averías: ", it="Guasti: ", nl="Storingen: "), B12L("PHONE", b12_phone_value(r, REGION[loc])), "\n"]


def B12_rsvp(f, r, loc):
    out = [b12_tr(loc, en="RSVP list — Saturday", de="Zusagen — Samstag", fr="Réponses — samedi", es="Confirmaciones — sábado", it="Conferme — sabato", nl="Aanmeldingen — zaterdag"), "\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b12_person(f)
        out += [f"{fn} {ln} (+{r.randint(0, 3)}) — ", b12_PH(r, loc), " — ", b12_EM(f, r, fn, ln), f" — {r.choice(['veg', 'no nuts', '-', 'kids menu'])}\n"]
    out.append(f"{b12_la(r, loc, 11)}\n")
    return out


def B12_lost_card(f, r, loc):
    fn, ln = b12_person(f)
    return [f"Call note {b12_ts(r, 0).strftime('%H:%M')} — lost/stolen card\n", f"Caller {fn} {ln}, ", b12_born_said(r, loc), "\n",
            b12_tr(loc, en="Card reported: ", de="Gemeldete Karte: ", fr="Carte déclarée : ", es="Tarjeta: ", it="Carta: ", nl="Kaart: "), b12_CC(r), " CVC ", b12_cvc(r, 3), "\n",
            b12_tr(loc, en="Callback ", de="Rückruf ", fr="Rappel ", es="Devolver llamada ", it="Richiamare ", nl="Terugbellen "), b12_PH(r, loc), f"; {b12_la(r, loc, 2)}; {b12_la(r, loc, 13)}\n",
            b12_pw_none(r, loc), "\n"]


def B12_tax_summary(f, r, loc):
    fn, ln = b12_person(f)
    kid = f.first_name()
    return [f"Form 1040 worksheet — tax year {B12_TODAY.year - 1}\nTaxpayer: {fn} {ln}   SSN ", b12_SSN(r), "\nSpouse SSN: ", b12_SSN(r), "\n",
            f"Dependent: {kid} {ln}, DOB ", B12L("DATE_OF_BIRTH", b12_date(r, b12_born(r, 1, 16), 'en_US')), ", SSN ", b12_SSN(r, "-"), "\n",
            f"Preparer PTIN P{rnd(r, B12_DIG, 8)}  {b12_la(r, loc, 15)}\nRefund by direct deposit, routing {r.choice(['011000015', '121000248', '091000019'])}\n",
            "Phone ", B12L("PHONE", b12_phone_value(r, "US")), "\n"]


def B12_visa_form(f, r, loc):
    fn, ln = b12_person(f)
    return [f"VISA APPLICATION — {r.choice(['Schengen C', 'UK Standard Visitor', 'ESTA'])}\n1. Surname: {ln}\n2. Given name(s): {fn}\n3. ",
            b12_born_said(r, loc), f"\n4. Place of birth: {b12_city(r, loc)}\n5. Passport no.: {rnd(r, B12_UC, 2)}{rnd(r, B12_DIG, 7)} (issued {b12_day(r, loc, 2000, 0)})\n",
            "6. Email: ", b12_EM(f, r, fn, ln), "\n7. Telephone: ", b12_PH(r, loc), f"\n8. Intended arrival: {b12_day(r, loc, 0, 90)}\n9. {b12_la(r, loc, 3)}\n"]


def B12_marketplace(f, r, loc):
    return [b12_tr(loc, en="Message from buyer", de="Nachricht vom Käufer", fr="Message de l'acheteur", es="Mensaje del comprador", it="Messaggio dall'acquirente", nl="Bericht van koper"),
            f" — {b12_la(r, loc, 0)}\n",
            b12_tr(loc, en="Hi, parcel never arrived (", de="Hallo, Paket kam nie an (", fr="Bonjour, colis jamais reçu (", es="Hola, el paquete no llegó (", it="Ciao, pacco mai arrivato (", nl="Hoi, pakket nooit aangekomen ("),
            b12_la(r, loc, 12), "). ", b12_tr(loc, en="Call me: ", de="Ruf mich an: ", fr="Appelez-moi : ", es="Llámame: ", it="Chiamami: ", nl="Bel me: "), b12_PH(r, loc),
            b12_tr(loc, en=" or refund to ", de=" oder erstatte auf ", fr=" ou remboursez sur ", es=" o devuelve a ", it=" o rimborsa su ", nl=" of stort terug op "), b12_IBAN(r, loc), "\n",
            f"{b12_la(r, loc, 16)}\n"]


def B12_pr_review(f, r, loc):
    return [f"review comment on PR #{r.randint(100, 9999)} ({f.first_name()}):\n> ", r.choice(["config/deploy.yml", "scripts/seed.py", ".github/workflows/release.yml"]), f" line {r.randint(5, 200)}\n",
            "> +  token: ", b12_VK(r), "\n\n", "this is a live credential, please rotate it. The docs sample (", b12_PLH(r), ") is fine to keep.\n",
            f"also `{r.choice(B12_STANDINS)}` in the README is ok. {b12_la(r, loc, 19)}\n"]


def B12_dockerfile(f, r, loc):
    return [f"FROM python:3.{r.randint(9, 13)}-slim\nARG PIP_INDEX_URL=https://ci:", b12_PW(r, True), "@pypi.internal/simple\n",
            f"ENV SENTRY_ENVIRONMENT=production SENTRY_RELEASE={rnd(r, HEX, 12)}\n",
            "ENV GOOGLE_MAPS_KEY=", b12_VK(r, "GOOGLE_API_KEY"), "\n", "ENV HF_HOME=/cache\nENV OPENAI_API_KEY=", b12_VK(r, "OPENAI_KEY"), "\n",
            f"LABEL org.opencontainers.image.version=\"{b12_la(r, loc, 5)}\" maintainer=\"", b12_EM(f, r), "\"\nCOPY . /app\nCMD [\"gunicorn\", \"app:app\"]\n"]


def B12_systemd(f, r, loc):
    return [f"# /etc/systemd/system/{r.choice(['invoice-worker', 'sync-agent', 'webhook-relay'])}.service\n[Unit]\nDescription=worker\nAfter=network-online.target\n\n[Service]\n",
            "Environment=\"DB_PASSWORD=", b12_PW(r, True), "\"\n", "Environment=\"HMAC_SIGNING_KEY=", b12_GS(r, 0), "\"\n", "Environment=\"GITHUB_TOKEN=", b12_VK(r, "GITHUB_TOKEN"), "\"\n",
            "Environment=\"TOKEN_TTL=3600\" \"PASSWORD_MIN_LENGTH=12\"\nExecStart=/usr/local/bin/worker --listen ", b12_IP4(r, False), ":9000\nRestart=on-failure\n"]


def B12_ansible(f, r, loc):
    host = b12_IP4(r, False)
    return [f"TASK [postgres : create app role] {'*' * 40}\n", "changed: [", host, "] => (item={'name': 'app', 'password': '", b12_PW(r, True), "'})\n",
            f"TASK [users : add ssh key] {'*' * 40}\nok: [", b12_IP4(r, False), "]\n", "fatal: [", b12_IP6(r), "]: UNREACHABLE! => {\"msg\": \"Failed to connect\"}\n",
            "TASK [debug : show vars] ****\nok: [", host, "] => {\"smtp_pass\": \"", b12_PW(r, True), "\", \"password_max_age\": 90}\n",
            f"PLAY RECAP  ok={r.randint(3, 40)} changed={r.randint(0, 9)} unreachable=1 failed=0  {b12_la(r, loc, 7)}\n"]


def B12_puppet(f, r, loc):
    return [f"Notice: /Stage[main]/Profile::Smtp/File[/etc/msmtprc]/content:\n--- /etc/msmtprc\t{b12_ts(r, 40).isoformat()}\n+++ /tmp/puppet-file20261209-{r.randint(1000, 9999)}\n",
            "@@ -4,3 +4,3 @@\n host smtp.example.net\n-user ", b12_EM(f, r), "\n+user ", b12_EM(f, r), "\n-password ", b12_PW(r, True), "\n+password ", b12_PW(r, True), "\n",
            f"Notice: /Stage[main]/Profile::Smtp/File[/etc/msmtprc]/content: content changed '{{md5}}{rnd(r, HEX, 32)}' to '{{md5}}{rnd(r, HEX, 32)}'\n",
            f"Notice: Applied catalog in {r.uniform(2, 40):.2f} seconds\n"]


def B12_gcloud(f, r, loc):
    proj = f"{r.choice(['billing', 'crm', 'ml'])}-{rnd(r, B12_DIG, 6)}"
    return ["$ gcloud iam service-accounts keys create key.json --iam-account=", B12L("EMAIL", f"etl@{proj}.iam.gserviceaccount.com"), f"\ncreated key [{rnd(r, HEX, 40)}]\n",
            "$ jq -r .private_key key.json\n", b12_PEM(r), "\n", f"$ gcloud services api-keys get-key-string projects/{proj}/locations/global/keys/{b12_uuid(r)}\nkeyString: ",
            b12_VK(r, "GOOGLE_API_KEY"), "\n"]


def B12_az_cli(f, r, loc):
    return ["$ az ad app credential reset --id ", b12_uuid(r), " --append --display-name ci\n{\n  \"appId\": \"", b12_uuid(r), "\",\n  \"password\": \"", b12_GS(r, 6),
            "\",\n  \"tenant\": \"", b12_uuid(r), "\"\n}\n", "$ az storage account keys list -n ", rnd(r, string.ascii_lowercase, 10), " --query [0].value -o tsv\n",
            B12L("GENERIC_SECRET", base64.b64encode(bytes(r.randrange(256) for _ in range(64))).decode()), "\n"]


def B12_gitlab_vars(f, r, loc):
    return [f"$ glab variable list -R {r.choice(['platform', 'web', 'data'])}/{r.choice(['api', 'shop', 'etl'])}\nKEY                     PROTECTED  MASKED  SCOPE\n",
            "DEPLOY_SSH_KEY          true       false   production\nANTHROPIC_API_KEY       true       true    *\nTOKEN_TTL               false      false   *\n",
            "$ glab variable get DEPLOY_SSH_KEY\n", b12_PEM(r), "\n", "$ glab variable get ANTHROPIC_API_KEY\n", b12_VK(r, "ANTHROPIC_KEY"), "\n",
            f"$ glab variable get TOKEN_TTL\n{r.choice([3600, 900, 86400])}\n"]


def B12_background_check(f, r, loc):
    fn, ln = b12_person(f)
    return [f"SCREENING REPORT  #{rnd(r, B12_UCD, 10)}  ordered {b12_day(r, 'en_US', 5, 0)}\nSubject: {ln.upper()}, {fn.upper()}\n",
            "SSN provided: ", b12_SSN(r, "-"), "   SSN trace result: ", b12_SSN(r, r.choice(["-", ""])), " (issued in another state)\n",
            "DOB: ", B12L("DATE_OF_BIRTH", b12_date(r, b12_born(r, 19, 75), "en_US")), "   Phone: ", B12L("PHONE", b12_phone_value(r, "US")), "\n",
            f"County criminal: CLEAR   Eviction: CLEAR   {b12_la(r, loc, 15)}\nAddress history: {f.street_address()} ({b12_day(r, 'en_US', 3000, -900)} – present)\n"]


def B12_newsletter(f, r, loc):
    return [b12_tr(loc, en="Please confirm your subscription", de="Bitte bestätigen Sie Ihr Abo", fr="Confirmez votre inscription", es="Confirma tu suscripción", it="Conferma l'iscrizione", nl="Bevestig je inschrijving"),
            "\n", b12_tr(loc, en="Address: ", de="Adresse: ", fr="Adresse : ", es="Dirección: ", it="Indirizzo: ", nl="Adres: "), b12_EM(f, r), "\n",
            f"https://list.example.net/confirm?u={rnd(r, HEX, 12)}&id={rnd(r, HEX, 10)}&e={rnd(r, HEX, 10)}\n", b12_tr(loc, en="Signed up from IP ", de="Angemeldet von IP ", fr="Inscrit depuis l'IP ", es="Alta desde IP ", it="Iscritto da IP ", nl="Aangemeld vanaf IP "),
            b12_IP(r), f" · {b12_la(r, loc, 7)}\n"]


def B12_dental_sms(f, r, loc):
    out = [f"SMS batch {rnd(r, B12_DIG, 6)} — {b12_tr(loc, en='appointment reminders', de='Terminerinnerungen', fr='rappels de rendez-vous', es='recordatorios de cita', it='promemoria appuntamenti', nl='afspraakherinneringen')}\n"]
    for _ in range(r.randint(2, 4)):
        out += ["to=", b12_PH(r, loc, 0), f" appt={b12_day(r, loc, 0, 20)} {r.randint(8, 17)}:{r.choice(['00', '30'])} status={r.choice(['delivered', 'queued', 'undelivered'])} msgid={rnd(r, HEX, 16)}\n"]
    return out


def B12_school_trip(f, r, loc):
    fn, ln = b12_person(f)
    kid = f.first_name()
    return [b12_tr(loc, en="Residential trip consent", de="Einverständnis Klassenfahrt", fr="Autorisation sortie scolaire", es="Autorización excursión", it="Autorizzazione gita", nl="Toestemming schoolkamp"), "\n",
            f"{kid} {ln}, ", b12_born_said(r, loc, lo=6, hi=17), "\n", b12_tr(loc, en="Parent: ", de="Elternteil: ", fr="Parent : ", es="Tutor: ", it="Genitore: ", nl="Ouder: "), f"{fn} {ln}, ",
            b12_PH(r, loc), ", ", b12_EM(f, r, fn, ln), "\n", b12_tr(loc, en="Trip dates ", de="Fahrt ", fr="Dates ", es="Fechas ", it="Date ", nl="Data "), b12_day(r, loc, 0, 100),
            f"; {b12_tr(loc, en='deposit paid', de='Anzahlung bezahlt', fr='acompte payé', es='señal pagada', it='acconto pagato', nl='aanbetaling voldaan')} {b12_la(r, loc, 17)}\n"]


def B12_remittance(f, r, loc):
    out = [f"{f.company()} — {b12_tr(loc, en='Remittance advice', de='Zahlungsavis', fr='Avis de paiement', es='Aviso de pago', it='Avviso di pagamento', nl='Betaaladvies')} {rnd(r, B12_DIG, 8)}\n",
           f"{b12_tr(loc, en='Payment run', de='Zahllauf', fr='Campagne de paiement', es='Remesa', it='Distinta', nl='Betaalrun')} {b12_day(r, loc, 3, 0)}  ·  {b12_tr(loc, en='debited from', de='belastet von', fr='débité de', es='cargado en', it='addebitato su', nl='afgeschreven van')} ",
           b12_IBAN(r, loc), "\n\n"]
    for _ in range(r.randint(1, 3)):
        out += [f"{B12_LA_WORDS['invoice'][b12_lg(loc)]} {rnd(r, B12_UCD, 3)}-{rnd(r, B12_DIG, 6)}   {b12_la(r, loc, 17)}   → ", b12_IBAN(r, loc), "\n"]
    out += [f"{b12_la(r, loc, 14)} ({b12_tr(loc, en='rejected, checksum', de='abgelehnt, Prüfziffer', fr='rejeté, clé', es='rechazado, dígito de control', it='respinto, CIN', nl='geweigerd, controlegetal')})\n",
            b12_tr(loc, en="Queries: ", de="Rückfragen: ", fr="Questions : ", es="Consultas: ", it="Domande: ", nl="Vragen: "), b12_EM(f, r), "\n"]
    return out


def B12_support_sms_2fa(f, r, loc):
    return [f"Twilio Verify export {B12_TODAY.isoformat()}\nsid,to,channel,status,date_created\n"] + \
        [x for _ in range(r.randint(2, 4)) for x in (f"VE{rnd(r, HEX, 32)},", b12_PH(r, loc), f",{r.choice(['sms', 'call', 'whatsapp'])},{r.choice(['approved', 'pending', 'canceled'])},{b12_ts(r, 2).isoformat()}Z\n")]


def B12_chat_secret_share(f, r, loc):
    a, b = f.first_name(), f.first_name()
    return [f"{a}: {b12_tr(loc, en='can you send me the staging creds?', de='kannst du mir die Staging-Zugangsdaten schicken?', fr='tu peux m’envoyer les accès staging ?', es='¿me pasas las credenciales de staging?', it='mi mandi le credenziali di staging?', nl='kun je me de staging-gegevens sturen?')}\n",
            f"{b}: user admin, ", b12_pw_said(r, loc), "\n", f"{b}: ", b12_tr(loc, en="and the API key ", de="und der API-Key ", fr="et la clé API ", es="y la API key ", it="e la API key ", nl="en de API-key "), b12_VK(r), "\n",
            f"{a}: {b12_pw_none(r, loc)}\n", f"{b}: 👍 ({b12_la(r, loc, 2)})\n"]


B12_TEXT_KINDS = [B12_sap_vendor, B12_okta_log, B12_vault_audit, B12_winevent, B12_powershell, B12_msgtrace, B12_pdf_invoice, B12_ocr_id, B12_referral,
                  B12_court, B12_listing, B12_insurance_quote, B12_loyalty_csv, B12_voice, B12_scratchpad, B12_memory_dump, B12_fetch_snippet, B12_logcat,
                  B12_iot, B12_tomcat_users, B12_netrc, B12_kafka_jaas, B12_spring_props, B12_wpconfig, B12_rails_creds, B12_npmrc, B12_pulumi, B12_aws_sts,
                  B12_heroku, B12_mongo_log, B12_es_reset, B12_postfix_sasl, B12_jenkins, B12_mortgage, B12_utility_bill, B12_rsvp, B12_lost_card,
                  B12_tax_summary, B12_visa_form, B12_marketplace, B12_pr_review, B12_dockerfile, B12_systemd, B12_ansible, B12_puppet, B12_gcloud,
                  B12_gitlab_vars, B12_az_cli, B12_background_check, B12_newsletter, B12_dental_sms, B12_school_trip, B12_remittance, B12_support_sms_2fa, B12_chat_secret_share]


def b12_text(f, r, loc):
    return b12_flat(r.choice(B12_TEXT_KINDS)(f, r, loc))


# ----- JSON documents -----

class B12S(list):
    """A JSON string value made of text pieces and labels (see b12_s)."""


def b12_s(*xs):
    """A JSON string from pieces: text after the last label is JSON-escaped (real \\n escapes); text before a
    label gets no escapes at all (line breaks become ' | ', quotes become ', backslashes /)."""
    ps = b12_flat(*xs)
    last = max([i for i, p in enumerate(ps) if isinstance(p, L)], default=-1)
    out = []
    for i, p in enumerate(ps):
        if isinstance(p, L):
            assert p.typ == "PRIVATE_KEY" or not any(c in p.text for c in '"\\\n\t'), p.text
            out.append(p)
        elif i > last:
            out.append(json.dumps(p, ensure_ascii=False)[1:-1])
        else:
            out.append(p.replace("\\", "/").replace('"', "'").replace("\r", "").replace("\t", " ").replace("\n", " | "))
    return B12S(out or [""])


def b12_jfix(v):
    if isinstance(v, B12S):
        return v
    if isinstance(v, (str, L)):
        return b12_s(v)
    if isinstance(v, dict):
        return {k: b12_jfix(x) for k, x in v.items()}
    if isinstance(v, list):
        return [b12_jfix(x) for x in v]
    return v


B12_EMBED = [k for k in B12_TEXT_KINDS if k not in (B12_gcloud, B12_gitlab_vars)]  # these hold multi-line PEM keys


def b12_embed(f, r, loc):
    return b12_s(r.choice(B12_EMBED)(f, r, loc))


def b12_jpem(r):
    return B12S([b12_PEM(r, "\\n")])


def B12_j_mcp_zendesk(f, r, loc):
    fn, ln = b12_person(f)
    return {"jsonrpc": "2.0", "id": r.randint(1, 5000), "method": "tools/call",
            "params": {"name": "zendesk_create_ticket", "arguments": {"ticket": {
                "subject": b12_s(b12_la(r, loc, 2), " – ", b12_tr(loc, en="customer callback", de="Rückrufbitte", fr="rappel client", es="devolver llamada", it="richiamata", nl="terugbelverzoek")),
                "comment": {"body": b12_embed(f, r, loc), "public": False},
                "requester": {"name": f"{fn} {ln}", "email": b12_EM(f, r, fn, ln), "phone": b12_PH(r, loc)},
                "priority": r.choice(["low", "normal", "high", "urgent"]), "tags": [b12_s("callback"), b12_s(r.choice(["billing", "access", "refund"]))]}}}}


def B12_j_mcp_result(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 5000), "result": {"content": [{"type": "text", "text": b12_embed(f, r, loc)}],
            "structuredContent": {"source": r.choice(["drive://inbox/scan.pdf", "file:///srv/exports/latest.txt", "s3://ops-dumps/run.log"]), "bytes": r.randint(300, 90000)},
            "isError": False}}


def B12_j_intercom(f, r, loc):
    fn, ln = b12_person(f)
    return {"type": "conversation", "id": rnd(r, B12_DIG, 12), "created_at": 1765000000 + r.randint(0, 400000),
            "source": {"type": "conversation", "author": {"type": "user", "name": f"{fn} {ln}", "email": b12_EM(f, r, fn, ln)},
                       "body": b12_s("<p>", b12_tr(loc, en="Hi, please update my card to ", de="Hallo, bitte neue Karte hinterlegen: ", fr="Bonjour, nouvelle carte : ", es="Hola, nueva tarjeta: ", it="Ciao, nuova carta: ", nl="Hoi, nieuwe kaart: "),
                                     b12_CC(r), " CVC ", b12_cvc(r), "</p>")},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
                {"part_type": "comment", "body": b12_s("<p>", b12_la(r, loc), " — ", b12_pw_none(r, loc), "</p>"), "author": {"type": "admin", "email": b12_EM(f, r)}},
                {"part_type": "note", "body": b12_s(b12_embed(f, r, loc))}], "total_count": 2}}


def B12_j_soql(f, r, loc):
    recs = []
    for _ in range(r.randint(1, 3)):
        fn, ln = b12_person(f)
        rec = {"attributes": {"type": "Contact", "url": f"/services/data/v61.0/sobjects/Contact/003{rnd(r, AN, 15)}"}, "Id": "003" + rnd(r, AN, 15),
               "Name": f"{fn} {ln}", "Email": b12_EM(f, r, fn, ln), "MobilePhone": b12_PH(r, loc), "Birthdate": B12L("DATE_OF_BIRTH", b12_born(r).isoformat()),
               "Loyalty_No__c": b12_la(r, loc, 12), "LastModifiedDate": f"{b12_ts(r).isoformat()}.000+0000"}
        if loc == "en_US" or r.random() < 0.15:
            rec["SSN__c"] = b12_SSN(r)
        recs.append(rec)
    return {"totalSize": len(recs), "done": True, "records": recs}


def B12_j_hubspot(f, r, loc):
    ins = []
    for _ in range(r.randint(1, 3)):
        fn, ln = b12_person(f)
        ins.append({"properties": {"email": b12_EM(f, r, fn, ln), "firstname": fn, "lastname": ln, "phone": b12_PH(r, loc), "date_of_birth": b12_DOB(r, loc),
                                   "hs_ip_timezone": r.choice(["Europe/Berlin", "Europe/Paris", "America/Chicago"]), "ip_address": b12_IP(r),
                                   "notes_last_contacted": b12_s(b12_day(r, loc, 60, 0), " ", b12_la(r, loc))}})
    return {"tool": "hubspot.crm.contacts.batch_create", "inputs": ins}


def B12_j_shopify(f, r, loc):
    fn, ln = b12_person(f)
    return {"id": int(rnd(r, "123456789", 13)), "name": f"#{r.randint(1000, 99999)}", "email": b12_EM(f, r, fn, ln), "browser_ip": b12_IP(r), "phone": b12_PH(r, loc),
            "created_at": f"{b12_ts(r).isoformat()}+01:00", "total_price": f"{r.randint(5, 900)}.{r.randint(0, 99):02d}",
            "billing_address": {"first_name": fn, "last_name": ln, "address1": f.street_address(), "city": b12_city(r, loc), "phone": b12_PH(r, loc)},
            "payment_details": {"credit_card_bin": rnd(r, B12_DIG, 6), "credit_card_number": f"•••• •••• •••• {rnd(r, B12_DIG, 4)}", "credit_card_company": r.choice(["Visa", "Mastercard", "American Express"])},
            "note": b12_s(b12_tr(loc, en="gift, please call before delivery ", de="Geschenk, bitte vorher anrufen ", fr="cadeau, appeler avant livraison ", es="regalo, llamar antes ", it="regalo, chiamare prima ", nl="cadeau, graag eerst bellen "),
                          b12_PH(r, loc), "; ", b12_la(r, loc, 12)),
            "note_attributes": [{"name": "delivery_slot", "value": b12_s(f"{r.randint(8, 18)}:00-{r.randint(19, 21)}:00")}, {"name": "tracking", "value": b12_s(b12_la(r, loc, 12))}]}


def B12_j_okta(f, r, loc):
    return {"uuid": b12_uuid(r), "published": f"{b12_ts(r, 3).isoformat()}.{rnd(r, B12_DIG, 3)}Z", "eventType": r.choice(["user.session.start", "user.authentication.sso", "security.threat.detected"]),
            "actor": {"id": "00u" + rnd(r, AN, 17), "type": "User", "alternateId": b12_EM(f, r), "displayName": f"{f.first_name()} {f.last_name()}"},
            "client": {"ipAddress": b12_IP(r), "userAgent": {"rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6)", "browser": "SAFARI"},
                       "geographicalContext": {"city": b12_city(r, loc), "geolocation": {"lat": round(r.uniform(40, 55), 4), "lon": round(r.uniform(-5, 15), 4)}}},
            "outcome": {"result": r.choice(["SUCCESS", "FAILURE"]), "reason": b12_s(r.choice(["INVALID_CREDENTIALS", "VERIFICATION_ERROR", "-"]))},
            "debugContext": {"debugData": {"requestUri": "/api/v1/authn", "threatSuspected": "false", "requestId": rnd(r, AN, 27)}}}


def B12_j_har(f, r, loc):
    user = b12_EM(f, r)
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [{
        "startedDateTime": f"{b12_ts(r, 2).isoformat()}.{rnd(r, B12_DIG, 3)}Z", "time": round(r.uniform(20, 900), 3), "serverIPAddress": b12_IP(r),
        "request": {"method": "POST", "url": f"https://app.{r.choice(['ledgerly.io', 'kassenbuch.de', 'mesfactures.fr'])}/session",
                    "headers": [{"name": "Authorization", "value": b12_s("Bearer ", b12_VK(r, "JWT"))}, {"name": "Cookie", "value": b12_s("csrftoken=", rnd(r, AN, 32), "; sessionid=", b12_GS(r, 4))},
                                {"name": "User-Agent", "value": "Mozilla/5.0"}],
                    "postData": {"mimeType": "application/x-www-form-urlencoded", "text": b12_s("login=", user.text.replace("@", "%40"), "&password=", b12_PW(r, True), "&remember=1")}},
        "response": {"status": r.choice([200, 302, 401]), "headers": [{"name": "Set-Cookie", "value": b12_s("sessionid=", b12_GS(r, 4), "; HttpOnly; Secure")}]}}]}}


def B12_j_postman(f, r, loc):
    return {"id": b12_uuid(r), "name": r.choice(["Prod", "Staging EU", "Local"]), "values": [
        {"key": "baseUrl", "value": b12_s("https://", b12_IP4(r, True), ":8443"), "type": "default", "enabled": True},
        {"key": "apiKey", "value": b12_VK(r), "type": "secret", "enabled": True},
        {"key": "password", "value": b12_PW(r), "type": "secret", "enabled": True},
        {"key": "clientSecret", "value": b12_GS(r, r.choice([0, 3, 6, 7])), "type": "secret", "enabled": True},
        {"key": "docsExampleKey", "value": b12_PLH(r), "type": "default", "enabled": False},
        {"key": "token_ttl", "value": "3600", "type": "default", "enabled": True},
        {"key": "password_policy", "value": "min12-upper-digit", "type": "default", "enabled": True}],
        "_postman_variable_scope": "environment", "_postman_exported_using": f"Postman/11.{r.randint(1, 30)}.{r.randint(0, 9)}"}


def B12_j_iot_shadow(f, r, loc):
    return {"state": {"reported": {"fw": b12_la(r, loc, 5), "wifi": {"ssid": f"Vodafone-{rnd(r, B12_UCD, 4)}", "psk": b12_PW(r, True), "rssi": -r.randint(30, 90)},
                                   "lan": {"ipv4": b12_IP4(r, False), "ipv6": b12_IP6(r)}, "owner_email": b12_EM(f, r), "imei": b12_imei(r)},
                      "desired": {"mqtt": {"user": "dev-" + rnd(r, HEX, 6), "password": b12_PW(r, True)}, "token_ttl": 86400}},
            "version": r.randint(10, 9000), "timestamp": 1765000000 + r.randint(0, 300000)}


def B12_j_crash(f, r, loc):
    return {"app": {"bundle": "com.ledgerly.mobile", "version": b12_la(r, loc, 5), "build": b12_la(r, loc, 6)},
            "device": dict(zip(("model", "os"), r.choice([("iPhone15,3", "iOS 18.1"), ("SM-S918B", "Android 15"), ("Pixel 8", "Android 14")])), ip=b12_IP(r)),
            "custom_keys": {"user_email": b12_EM(f, r), "last_api_host": "api.ledgerly.io", "auth_header": b12_s("Bearer ", b12_VK(r, "JWT")), "config_key": b12_VK(r, r.choice(["GOOGLE_API_KEY", "STRIPE_KEY", "ANTHROPIC_KEY"]))},
            "breadcrumbs": [{"t": r.randint(0, 9000), "msg": b12_s(b12_la(r, loc))}, {"t": r.randint(0, 9000), "msg": b12_s("paywall shown; ", b12_pw_none(r, loc))}],
            "exception": {"type": "NSInvalidArgumentException", "reason": b12_s("-[__NSCFNumber length]: unrecognized selector ", b12_la(r, loc, 9))}}


def B12_j_odata(f, r, loc):
    res = []
    for _ in range(r.randint(1, 3)):
        res.append({"__metadata": {"type": "API_BUSINESS_PARTNER.A_SupplierType"}, "Supplier": rnd(r, B12_DIG, 10), "SupplierName": f.company(),
                    "IBAN": b12_IBAN(r, loc, False), "EmailAddress": b12_EM(f, r), "PhoneNumber": b12_PH(r, loc), "PaymentTerms": "Z030",
                    "CreationDate": f"/Date({1700000000000 + r.randint(0, 60000000000)})/", "VATRegistration": f"{r.choice(['DE', 'FR', 'IT', 'NL', 'ES', 'GB'])}{rnd(r, B12_DIG, 9)}"})
    return {"d": {"results": res, "__next": f"https://erp.internal/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_Supplier?$skiptoken={rnd(r, B12_DIG, 3)}"}}


def B12_j_anthropic_tool_result(f, r, loc):
    return {"model": "claude-sonnet-4-5", "max_tokens": 2048, "messages": [
        {"role": "user", "content": b12_s(b12_tr(loc, en="Summarise the attached export.", de="Fasse den Export zusammen.", fr="Résume cet export.", es="Resume la exportación.", it="Riassumi l'export.", nl="Vat de export samen."))},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_" + rnd(r, AN, 24), "name": "read_file", "input": {"path": f"/mnt/data/{rnd(r, B12_LCD, 8)}.txt"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_" + rnd(r, AN, 24), "content": b12_embed(f, r, loc)}]}]}


def B12_j_fn_output(f, r, loc):
    return {"type": "function_call_output", "call_id": "call_" + rnd(r, AN, 24), "output": b12_embed(f, r, loc),
            "metadata": {"tool": r.choice(["ocr_document", "fetch_url", "run_shell", "search_mailbox"]), "elapsed_ms": r.randint(30, 9000)}}


def B12_j_auth0(f, r, loc):
    fail = r.random() < 0.6
    return {"log_id": rnd(r, B12_DIG, 56), "data": {"date": f"{b12_ts(r, 2).isoformat()}.{rnd(r, B12_DIG, 3)}Z", "type": "fp" if fail else "s",
            "description": b12_s("Wrong email or password." if fail else "Successful login"), "connection": "Username-Password-Authentication",
            "client_id": rnd(r, AN, 32), "client_name": "Web", "ip": b12_IP(r), "user_agent": "Firefox 133.0.0 / Windows 10.0.0",
            "user_name": b12_EM(f, r), "details": {"prompts": [], "initiatedAt": 1765000000000 + r.randint(0, 9 ** 9), "stats": {"loginsCount": r.randint(1, 400)}}}}


def B12_j_excel_range(f, r, loc):
    rows = [[b12_s("Name"), b12_s("E-mail"), b12_s("Telefon" if b12_lg(loc) in ("de", "nl") else "Phone"), b12_s("IBAN"), b12_s("Born"), b12_s("Ref")]]
    for _ in range(r.randint(2, 4)):
        fn, ln = b12_person(f)
        rows.append([b12_s(f"{fn} {ln}"), b12_s(b12_EM(f, r, fn, ln)), b12_s(b12_PH(r, loc)), b12_s(b12_IBAN(r, loc)), b12_s(b12_DOB(r, loc)), b12_s(b12_la(r, loc))])
    return {"address": f"Members!A1:F{len(rows)}", "rowCount": len(rows), "columnCount": 6, "values": rows, "numberFormat": [[b12_s("General")] * 6 for _ in rows]}


def B12_j_freshdesk(f, r, loc):
    fn, ln = b12_person(f)
    return {"ticket": {"id": r.randint(10000, 999999), "subject": b12_s(b12_la(r, loc, 0)), "status": 2, "priority": r.randint(1, 4), "source": 1,
                       "requester": {"name": f"{fn} {ln}", "email": b12_EM(f, r, fn, ln), "mobile": b12_PH(r, loc)},
                       "description_text": b12_embed(f, r, loc),
                       "custom_fields": {"cf_card_last4": rnd(r, B12_DIG, 4), "cf_order_number": b12_s(b12_la(r, loc, 0)), "cf_callback_number": b12_PH(r, loc)}}}


def B12_j_langgraph(f, r, loc):
    return {"thread_id": b12_uuid(r), "checkpoint": {"v": 1, "ts": f"{b12_ts(r).isoformat()}+00:00", "channel_values": {"messages": [
        {"type": "human", "content": b12_s(b12_tr(loc, en="rotate the leaked key and tell ", de="rotier den geleakten Key und sag ", fr="fais tourner la clé et préviens ", es="rota la clave y avisa a ", it="ruota la chiave e avvisa ", nl="roteer de gelekte key en laat "), b12_EM(f, r))},
        {"type": "ai", "content": "", "tool_calls": [{"name": "vault_write", "args": {"path": "kv/ci/deploy", "value": b12_VK(r)}, "id": "call_" + rnd(r, AN, 20)}]},
        {"type": "tool", "content": b12_embed(f, r, loc), "name": "shell"}]}}, "metadata": {"step": r.randint(1, 40), "source": "loop"}}


def B12_j_gcp_sa_key(f, r, loc):
    proj = f"{r.choice(['billing', 'crm', 'ml'])}-{rnd(r, B12_DIG, 6)}"
    return {"name": "secrets_put", "arguments": {"path": f"projects/{proj}/secrets/etl-sa-key", "payload": {
        "type": "service_account", "project_id": proj, "private_key_id": rnd(r, HEX, 40), "private_key": b12_jpem(r),
        "client_id": rnd(r, B12_DIG, 21), "token_uri": "https://oauth2.googleapis.com/token"}, "labels": {"owner": b12_s(b12_EM(f, r))}}}


def B12_j_iot_provision(f, r, loc):
    cert = "\\n".join(["-----BEGIN CERTIFICATE-----"] + [rnd(r, AN + "+/", 64) for _ in range(r.randint(12, 18))] + ["-----END CERTIFICATE-----"])
    pub = "\\n".join(["-----BEGIN PUBLIC KEY-----"] + [rnd(r, AN + "+/", 64) for _ in range(6)] + ["-----END PUBLIC KEY-----"])
    return {"tool": "aws_iot_create_keys_and_certificate", "result": {"certificateArn": f"arn:aws:iot:eu-central-1:{rnd(r, B12_DIG, 12)}:cert/{rnd(r, HEX, 64)}",
            "certificateId": rnd(r, HEX, 64), "certificatePem": B12S([cert]), "keyPair": {"PublicKey": B12S([pub]), "PrivateKey": b12_jpem(r)}},
            "thing": {"name": f"meter-{rnd(r, B12_LCD, 8)}", "attributes": {"site": b12_s(b12_city(r, loc)), "installer": b12_EM(f, r), "lan_ip": b12_IP4(r, False)}}}


def B12_j_1099(f, r, loc):
    fn, ln = b12_person(f)
    return {"type": "function", "name": "irs_efile_1099_nec", "arguments": {
        "tax_year": B12_TODAY.year, "payer": {"name": f.company(), "tin": f"{r.randint(10, 98)}-{rnd(r, B12_DIG, 7)}", "phone": B12L("PHONE", b12_phone_value(r, "US"))},
        "recipient": {"name": f"{fn} {ln}", "tin_type": "SSN", "tin": b12_SSN(r, r.choice(["-", ""])), "email": b12_EM(f, r, fn, ln),
                      "account_number": b12_s(rnd(r, B12_DIG, 9))},
        "box1_nonemployee_comp": round(r.uniform(600, 90000), 2), "corrected": False, "submission_id": rnd(r, B12_DIG, 20)}}


B12_JSON_KINDS = [B12_j_mcp_zendesk, B12_j_mcp_zendesk, B12_j_mcp_result, B12_j_mcp_result, B12_j_intercom, B12_j_soql, B12_j_hubspot, B12_j_shopify, B12_j_okta,
                  B12_j_har, B12_j_postman, B12_j_iot_shadow, B12_j_crash, B12_j_odata, B12_j_anthropic_tool_result, B12_j_fn_output, B12_j_auth0,
                  B12_j_excel_range, B12_j_freshdesk, B12_j_langgraph, B12_j_gcp_sa_key, B12_j_iot_provision, B12_j_1099]


def b12_json(f, r, loc):
    return b12_jfix(r.choice(B12_JSON_KINDS)(f, r, loc))


# ----- self-check -----

def b12_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b12_labels(y)]
    if isinstance(v, (list, tuple)):
        return [x for y in v for x in b12_labels(y)]
    return []


B12_SHAPES = {
    "EMAIL": r"[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}",
    "AWS_ACCESS_KEY": r"(AKIA|ASIA)[A-Z0-9]{16}",
    "GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_11[A-Z0-9]{20}_[A-Za-z0-9]{59}",
    "SLACK_TOKEN": r"xox[bp]-\d{10,13}-\d{10,13}-[A-Za-z0-9-]+|xoxe\.xoxp-1-[A-Za-z0-9]+|xapp-1-A[A-Z0-9]{10}-\d{13}-[0-9a-f]{64}",
    "STRIPE_KEY": r"(sk|rk)_live_[A-Za-z0-9]{24,99}",
    "OPENAI_KEY": r"sk-((proj|svcacct|admin)-[A-Za-z0-9_-]{58}T3BlbkFJ[A-Za-z0-9_-]{58}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
    "ANTHROPIC_KEY": r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA",
    "GOOGLE_API_KEY": r"AIza[A-Za-z0-9_-]{35}",
    "JWT": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    "PRIVATE_KEY": r"-----BEGIN ((RSA|EC|DSA|OPENSSH) )?PRIVATE KEY-----(\n|\\n)([A-Za-z0-9+/=]+(\n|\\n))+-----END ((RSA|EC|DSA|OPENSSH) )?PRIVATE KEY-----",
}

# every placeholder is full-shaped for its vendor (only the Stripe test-mode doc key is not a live-key shape)
assert all(p == "sk_test_4eC39HqLyjWDarjtT1zdp7dc" or any(re.fullmatch(x, p) for x in B12_SHAPES.values()) for p in B12_PLACEHOLDERS)


def b12_value_ok(typ, v):
    if typ in B12_SHAPES:
        if re.fullmatch(B12_SHAPES[typ], v) is None or "EXAMPLE" in v.upper() or "XXXXXXXX" in v.upper() or "00000000" in v:
            return False
        if typ == "JWT":
            h = v.split(".")[0]
            return "alg" in json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        return True
    if typ == "CREDIT_CARD":
        d = v.replace(" ", "").replace("-", "")
        return d.isdigit() and luhn_ok(d) and any(d.startswith(p) and len(d) == n for p, n in B12_IIN)
    if typ == "IBAN":
        d = v.replace(" ", "")
        return d[:2] in B12_IBANS and len(d) == B12_IBANS[d[:2]][0] and b12_m97(d[4:] + d[:4]) == 1
    if typ == "US_SSN":
        d = re.sub(r"[- ]", "", v)
        return len(d) == 9 and d.isdigit() and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ in ("IPV4", "IPV6"):
        a = ipaddress.ip_address(v)
        return (a.version == 4) == (typ == "IPV4") and not (a.is_loopback or a.is_unspecified or a.is_multicast)
    if typ == "PHONE":
        for reg in [None] + sorted(set(REGION.values())) + B12_ELSEWHERE:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(v, reg)):
                    return True
            except phonenumbers.NumberParseException:
                pass
        return False
    if typ == "DATE_OF_BIRTH":
        return re.search(r"(19|20)\d\d", v) is not None
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() or c in "\"'\\" for c in v) and v not in B12_STANDINS
    if typ == "PLACEHOLDER":
        return v in B12_PLACEHOLDERS
    return False


def b12_check(i, kind, doc, w, text):
    """Self-check: spans hold their labels' text; values pass their type's checks (Luhn + IIN, IBAN length + mod-97,
    SSN rules, libphonenumber, vendor shapes, JWT header decodes, placeholder list); JSON parses, no backslash
    escape precedes a label inside its string and no label holds a double quote."""
    want = b12_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp, got, lab_.text)
        assert b12_value_ok(lab_.typ, lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)
            assert b'"' not in w.buf[sp["start"]:sp["end"]], (i, sp)


# ---------- blind13 (seed 1414) ----------
# A fourteenth split written by a tenth helper who never read the detection rules, their docs or
# history (nor the blind11/blind12 sections) and never ran the engine on it; the lead's taxonomy.
# Its own value generators (phones built from libphonenumber's example numbers per type and written
# the ways people type them, cards from real IIN ranges, IBANs built per country and length, SSNs,
# IPs, tokens of every vendor prefix, passwords, generic secrets, PEM keys), look-alikes (b13_la:
# phone-shaped order / ticket / invoice / booking numbers, PNRs, e-ticket numbers, versions, builds,
# timestamps, hashes, UUIDs, Luhn-failing cards, mod-97-failing IBANs, IMEIs, meeting ids, tracking
# and container numbers, HS codes, NHS/BSN/Steuer-ID-like numbers, 9-digit non-SSNs, dates that are
# not birth dates, words after "password" that are no password, config values that hold no secret)
# and document kinds (B13_TEXT_KINDS, B13_JSON_KINDS). Full-shaped, visibly fake documentation
# examples of vendor keys are PLACEHOLDER; shapeless stand-ins are unlabelled. Relative dates use
# B13_TODAY (never the clock). Self-check: b13_check.

B13_TODAY = datetime.date(2026, 12, 11)
B13_LANGS = ["en", "de", "fr", "es", "it", "nl"]
B13_LANG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B13_FOREIGN = ["CH", "BE", "AT", "IE", "PT", "PL", "SE", "DK", "NO", "FI", "LU", "GR"]
B13_DIG = string.digits
B13_UPPER = string.ascii_uppercase
B13_UPDIG = string.ascii_uppercase + string.digits
B13_LOWDIG = string.ascii_lowercase + string.digits
B13_URLS = AN + "_-"


class B13L(L):
    """A labelled value written verbatim (L would clean it)."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b13_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out += b13_flat(*x)
        elif isinstance(x, L) or x:
            out.append(x)
    return out


def b13_js(*xs):
    """Pieces made fit for one JSON string: newlines shown as ' | ', quotes as ', backslashes as /."""
    out = []
    for p in b13_flat(*xs):
        if isinstance(p, L):
            assert p.typ == "PRIVATE_KEY" or not any(c in p.text for c in '"\\\n\t\r'), p.text
            out.append(p)
        else:
            out.append(p.replace("\\", "/").replace('"', "'").replace("\r", "").replace("\n", " | ").replace("\t", "  "))
    if not out or not isinstance(out[0], (str, L)):
        out = [""] + out
    return out


def b13_T(loc, s):
    """One phrase per language, 'en|de|fr|es|it|nl'."""
    parts = s.split("|")
    assert len(parts) == 6, s
    return parts[B13_LANGS.index(B13_LANG[loc])]


def b13_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and (c.isalnum() or c in ".-")).lower().strip(".-")


def b13_who(f):
    return f.first_name(), f.last_name()


def b13_date(r, d, loc, style=None):
    lg = B13_LANG[loc]
    k = r.randrange(5) if style is None else style
    if k == 0:
        return d.isoformat()
    if k == 1:
        mon = B13_MONTHS[lg][d.month - 1]
        if loc == "en_US":
            return f"{mon} {d.day}, {d.year}"
        if lg == "en":
            return f"{d.day} {mon} {d.year}"
        return f"{d.day} de {mon} de {d.year}" if lg == "es" else f"{d.day} {mon} {d.year}"
    if k == 2:
        mon = B13_MONTHS["en"][d.month - 1][:3].upper()
        return f"{d.day:02d}-{mon}-{d.year}"
    if loc == "en_US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    sep = {"de": ".", "nl": "-"}.get(lg, "/")
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}" if k == 3 else f"{d.day}{sep}{d.month}{sep}{d.year}"


def b13_day(r, back=400, fwd=90):
    return B13_TODAY + datetime.timedelta(days=r.randint(-back, fwd))


def b13_when(r, loc, back=400, fwd=90):
    return b13_date(r, b13_day(r, back, fwd), loc)



# Places, streets and firms of our own (some Faker providers draw from sets, whose order changes between runs).
B13_CITIES = {"en_US": ["Tulsa", "Raleigh", "Ann Arbor", "Provo", "Duluth"], "en_GB": ["Preston", "Carlisle", "Bournemouth", "Stirling", "Lincoln"],
              "de_DE": ["Göttingen", "Rostock", "Würzburg", "Kassel", "Trier"], "fr_FR": ["Angers", "Besançon", "Nîmes", "Limoges", "Metz"],
              "es_ES": ["Logroño", "Cáceres", "Gijón", "Albacete", "Lleida"], "it_IT": ["Bergamo", "Lecce", "Perugia", "Trento", "Ferrara"],
              "nl_NL": ["Zwolle", "Amersfoort", "Leeuwarden", "Delft", "Tilburg"]}
B13_STREETS = {"en": ["Maple Avenue", "Station Road", "Church Lane", "Elm Street"], "de": ["Lindenstraße", "Am Markt", "Bahnhofweg", "Gartenstraße"],
               "fr": ["rue des Tanneurs", "avenue Jean Jaurès", "place du Marché", "chemin des Vignes"], "es": ["Calle Mayor", "Avenida de la Paz", "Calle del Olmo", "Paseo del Río"],
               "it": ["Via Garibaldi", "Corso Italia", "Via dei Mille", "Piazza Duomo"], "nl": ["Dorpsstraat", "Kerkweg", "Molenlaan", "Stationsplein"]}
B13_FIRM = {"en": ["Ltd", "LLC", "& Sons", "Group"], "de": ["GmbH", "KG", "& Co. KG", "AG"], "fr": ["SARL", "SAS", "& Fils", "SA"],
            "es": ["S.L.", "S.A.", "Hermanos", "S.Coop."], "it": ["S.r.l.", "S.p.A.", "& Figli", "S.n.c."], "nl": ["B.V.", "V.O.F.", "& Zn.", "N.V."]}


def b13_city(r, loc):
    return r.choice(B13_CITIES[loc])


def b13_street(f, r, loc):
    st = r.choice(B13_STREETS[B13_LANG[loc]])
    return f"{r.randint(1, 240)} {st}" if B13_LANG[loc] in ("en", "fr") else f"{st} {r.randint(1, 240)}"


def b13_postcode(r, loc):
    return {"en_US": rnd(r, B13_DIG, 5), "en_GB": f"{rnd(r, B13_UPPER, 2)}{r.randint(1, 20)} {r.randint(1, 9)}{rnd(r, B13_UPPER, 2)}", "nl_NL": f"{r.randint(1000, 9999)} {rnd(r, B13_UPPER, 2)}"}.get(loc, rnd(r, B13_DIG, 5))


def b13_company(f, r, loc):
    return f"{f.last_name()} {r.choice(B13_FIRM[B13_LANG[loc]])}"


# ----- entity values -----

B13_MONTHS = {"en": "January February March April May June July August September October November December".split(),
              "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
              "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
              "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
              "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
              "nl": "januari februari maart april mei juni juli augustus september oktober november december".split()}


def b13_luhn(digits):
    """`digits` followed by its Luhn check digit."""
    tot = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        tot += d - 9 if d > 9 else d
    return digits + str((10 - tot % 10) % 10)


def b13_luhn_ok(d):
    return b13_luhn(d[:-1]) == d


def b13_gs1(digits):
    """`digits` followed by its GS1 check digit (EAN/GTIN: weights 3 and 1 from the right)."""
    tot = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return digits + str(-tot % 10)


B13_PTYPES = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
B13_PKINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def b13_phone_valid(v, reg):
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(v, reg))
    except phonenumbers.NumberParseException:
        return False


def b13_phone_value(r, reg, style=None):
    tries = 0
    while True:
        tries += 1
        ex = phonenumbers.example_number_for_type(reg, r.choice(B13_PTYPES))
        if ex is None:
            continue
        nsn = phonenumbers.national_significant_number(ex)
        keep = 1 if tries < 40 else 3  # the example's first digit(s) (mobile / geographic range); the validity check below weeds out the rest
        cand = nsn[:keep] + rnd(r, B13_DIG, len(nsn) - keep)
        try:
            n = phonenumbers.parse(f"+{ex.country_code}{cand}")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(n) and phonenumbers.region_code_for_number(n) == reg and phonenumbers.number_type(n) in B13_PKINDS:
            break
    nat = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
    intl = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
    st = style or r.choice(["nat", "nat", "nat", "intl", "intl", "e164", "00", "compact", "local"])
    if st == "intl":
        v = intl
    elif st == "e164":
        v = e164
    elif st == "00":
        v = "00" + intl[1:].replace(" ", r.choice([" ", " ", "-"]))
    elif st == "compact":
        v = "".join(c for c in nat if c.isdigit() or c == "+")
    elif st == "local" and reg == "DE" and " " in nat:
        v = nat.replace(" ", "/", 1)
    elif st == "local" and reg == "NL" and " " in nat:
        v = nat.replace(" ", "-", 1)
    elif st == "local" and reg == "FR":
        v = nat.replace(" ", ".")
    elif st == "local" and reg == "US":
        v = r.choice([nat.replace("(", "").replace(") ", "-"), nat.replace("(", "").replace(") ", ".").replace("-", "."), "+1 " + nat.replace("(", "").replace(") ", "-")])
    elif st == "local" and reg in ("GB", "IT", "ES"):
        v = nat.replace(" ", "", 1) if reg == "GB" else nat.replace(" ", "")
    else:
        v = nat
    return v if b13_phone_valid(v, reg) else nat


def b13_PH(r, loc, foreign=0.1, style=None):
    reg = r.choice(B13_FOREIGN) if r.random() < foreign else REGION[loc]
    return B13L("PHONE", b13_phone_value(r, reg, style))


B13_MAILDOMS = ["gmx.net", "mailbox.org", "hotmail.fr", "orange.fr", "libero.it", "fastwebnet.it", "ziggo.nl", "xs4all.nl", "btinternet.com",
                "yahoo.co.uk", "protonmail.com", "outlook.com", "me.com", "verizon.net", "terra.es", "ono.com", "kaltstahl-gmbh.de",
                "bouwbedrijf-smit.nl", "fromagerie-dupuis.fr", "olivicola-santoro.it", "talleres-navarro.es", "harbourview-vets.co.uk",
                "pinecrest-realty.com", "quantiq-labs.io", "lumenhealth.org"]


def b13_mail_value(f, r, fn=None, ln=None):
    fn = b13_ascii(fn or f.first_name()) or "alex"
    ln = b13_ascii(ln or f.last_name()) or "moser"
    local = r.choice([f"{fn}.{ln}", f"{fn[:1]}{ln}", f"{ln}.{fn[:1]}", f"{fn}_{ln}{r.randint(1, 99)}", f"{fn}{r.randint(70, 99)}",
                      f"{ln}+{r.choice(['shop', 'bank', 'school', 'travel'])}", r.choice(["info", "contact", "boekhouding", "rh", "personal", "segreteria", "rrhh", "billing"])])
    return f"{local}@{r.choice(B13_MAILDOMS)}"


def b13_EM(f, r, fn=None, ln=None):
    return B13L("EMAIL", b13_mail_value(f, r, fn, ln))


def b13_iin(r):
    k = r.randrange(12)
    if k < 3:
        return "4", r.choice([16, 16, 16, 13, 19])
    if k < 5:
        return str(r.randint(51, 55)), 16
    if k == 5:
        return str(r.randint(2221, 2720)), 16
    if k == 6:
        return r.choice(["34", "37"]), 15
    if k == 7:
        return r.choice(["6011", str(r.randint(644, 649)), "65"]), 16
    if k == 8:
        return str(r.randint(3528, 3589)), 16
    if k == 9:
        return r.choice(["36", "38", str(r.randint(300, 305))]), 14
    if k == 10:
        return "62", 16
    return r.choice(["4", "51", "55"]), 16


def b13_cardfmt(r, d):
    k = r.randrange(5)
    if k == 0:
        return d
    sep = "-" if k == 4 else " "
    if len(d) == 16:
        return sep.join(d[i:i + 4] for i in range(0, 16, 4))
    if len(d) == 15:
        return sep.join([d[:4], d[4:10], d[10:]])
    if len(d) == 14:
        return sep.join([d[:4], d[4:10], d[10:]])
    if len(d) == 19:
        return sep.join([d[:4], d[4:8], d[8:12], d[12:16], d[16:]])
    return d


def b13_card_value(r):
    pre, n = b13_iin(r)
    return b13_cardfmt(r, b13_luhn(pre + rnd(r, B13_DIG, n - len(pre) - 1)))


def b13_CC(r):
    return B13L("CREDIT_CARD", b13_card_value(r))


B13_IBAN = {"DE": (22, "n18"), "GB": (22, "a4n14"), "FR": (27, "n10c11n2"), "ES": (24, "n20"), "IT": (27, "a1n10c12"), "NL": (18, "a4n10"),
            "BE": (16, "n12"), "AT": (20, "n16"), "CH": (21, "n5c12"), "IE": (22, "a4n14"), "PT": (25, "n21"), "LU": (20, "n3c13"),
            "PL": (28, "n24"), "FI": (18, "n14"), "DK": (18, "n14"), "NO": (15, "n11"), "SE": (24, "n20")}
B13_BANKCODES = {"NL": ["ABNA", "RABO", "INGB", "TRIO", "BUNQ", "RBRB", "FVLB"], "GB": ["NWBK", "BARC", "LOYD", "HBUK", "MIDL", "CITI", "REVO"],
                 "IE": ["AIBK", "BOFI", "IPBS", "ULSB"]}
B13_HOME = {"en_US": "GB", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b13_mod97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def b13_iban_compact(r, cc):
    bban = ""
    for kind, n in re.findall(r"([anc])(\d+)", B13_IBAN[cc][1]):
        n = int(n)
        if kind == "n":
            bban += rnd(r, B13_DIG, n)
        elif kind == "c":
            bban += rnd(r, B13_UPDIG, n)
        elif n == 4 and cc in B13_BANKCODES:
            bban += r.choice(B13_BANKCODES[cc])
        else:
            bban += rnd(r, B13_UPPER, n)
    v = f"{cc}{98 - b13_mod97(bban + cc + '00'):02d}{bban}"
    assert len(v) == B13_IBAN[cc][0] and b13_mod97(v[4:] + v[:4]) == 1
    return v


def b13_iban_value(r, loc, cc=None):
    cc = cc or (r.choice(sorted(B13_IBAN)) if r.random() < 0.18 else B13_HOME[loc])
    v = b13_iban_compact(r, cc)
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if r.random() < 0.5 else v


def b13_IBAN(r, loc, cc=None):
    return B13L("IBAN", b13_iban_value(r, loc, cc))


def b13_ssn_value(r, sep=None):
    while True:
        a = r.randint(1, 899)
        if a != 666:
            break
    g, s = r.randint(1, 99), r.randint(1, 9999)
    sep = r.choice(["-", "-", "-", " ", ""]) if sep is None else sep
    return f"{a:03d}{sep}{g:02d}{sep}{s:04d}"


def b13_SSN(r, sep=None):
    return B13L("US_SSN", b13_ssn_value(r, sep))


def b13_ip4_value(r):
    k = r.randrange(7)
    if k == 0:
        return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    if k == 1:
        return f"192.168.{r.randint(0, 255)}.{r.randint(2, 254)}"
    if k == 2:
        return f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    return f"{r.choice([5, 18, 35, 37, 44, 62, 78, 80, 87, 94, 95, 104, 128, 145, 159, 178, 188, 195, 213])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 254)}"


def b13_IP4(r):
    return B13L("IPV4", b13_ip4_value(r))


def b13_ip6_value(r):
    g = [r.choice(["2a02", "2a0a", "2001", "2003", "2600", "2a05", "2804", "fd12"])] + ["%x" % r.randint(1, 0xffff) for _ in range(7)]
    k = r.randrange(4)
    if k == 0:
        return ":".join(g)
    if k == 1:
        return str(ipaddress.ip_address(":".join(g[:3] + ["0", "0", "0", "0", g[7]])))
    if k == 2:
        return ":".join(x.zfill(4) for x in g)
    return str(ipaddress.ip_address(":".join(g[:4] + ["0", "0"] + g[6:])))


def b13_IP6(r):
    return B13L("IPV6", b13_ip6_value(r))


def b13_IP(r, p6=0.3):
    return b13_IP6(r) if r.random() < p6 else b13_IP4(r)


def b13_dob_day(r):
    return B13_TODAY - datetime.timedelta(days=r.randint(16 * 365, 92 * 365))


def b13_DOB(r, loc, style=None, child=False):
    day = B13_TODAY - datetime.timedelta(days=r.randint(5 * 365, 18 * 365)) if child else b13_dob_day(r)
    return B13L("DATE_OF_BIRTH", b13_date(r, day, loc, style))


B13_DOB_SAID = {"en": ["date of birth ", "DOB: ", "born on ", "Birth date: ", "b. "],
                "de": ["geb. am ", "Geburtsdatum: ", "geboren am ", "Geb.: "],
                "fr": ["né(e) le ", "date de naissance : ", "naissance le ", "Date naiss. "],
                "es": ["nacido el ", "F. nacimiento: ", "fecha de nacimiento ", "nacida el "],
                "it": ["nato il ", "nata il ", "data di nascita: ", "D.N. "],
                "nl": ["geboren op ", "Geboortedatum: ", "geb. ", "geboortedatum "]}


def b13_dob_said(r, loc):
    return [r.choice(B13_DOB_SAID[B13_LANG[loc]]), b13_DOB(r, loc)]


B13_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B13_VENDOR_TYPES = ["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"]


def b13_b64url(o):
    return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")


def b13_jwt_value(r):
    hdr = {"typ": "JWT", "alg": r.choice(["RS256", "HS256", "ES384", "PS256"])}
    if r.random() < 0.5:
        hdr["kid"] = rnd(r, B13_URLS, 22)
    iat = r.randint(1_780_000_000, 1_797_000_000)
    body = {"iss": r.choice(["https://login.example-idp.net/", "urn:acme:auth", "https://auth.kassa.io"]), "sub": rnd(r, B13_LOWDIG, 12), "iat": iat,
            "exp": iat + r.choice([300, 3600, 28800])}
    if r.random() < 0.5:
        body["roles"] = r.sample(["billing", "support", "admin", "viewer"], 2)
    sig = rnd(r, B13_URLS, r.choice([43, 64, 86]))
    return ".".join([b13_b64url(hdr), b13_b64url(body), sig])


def b13_vendor_value(r, typ):
    if typ == "AWS_ACCESS_KEY":
        return r.choice(["AKIA", "AKIA", "ASIA"]) + rnd(r, B13_B32, 16)
    if typ == "GITHUB_TOKEN":
        k = r.randrange(7)
        if k == 6:
            return "github_pat_11" + rnd(r, B13_UPDIG, 20) + "_" + rnd(r, AN, 59)
        return ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "ghp_"][k] + rnd(r, AN, 36)
    if typ == "SLACK_TOKEN":
        k = r.randrange(4)
        if k == 3:
            return f"xoxe.xoxp-1-{rnd(r, AN, 120)}" if r.random() < 0.3 else f"xapp-1-A0{rnd(r, B13_UPDIG, 9)}-{rnd(r, B13_DIG, 13)}-{rnd(r, HEX, 64)}"
        return f"{['xoxb', 'xoxp', 'xoxb'][k]}-{rnd(r, B13_DIG, 12)}-{rnd(r, B13_DIG, 13)}-{rnd(r, AN, 24)}"
    if typ == "STRIPE_KEY":
        return r.choice(["sk_live_51", "rk_live_51", "sk_live_"]) + rnd(r, AN, r.choice([24, 96]))
    if typ == "OPENAI_KEY":
        if r.random() < 0.75:
            return r.choice(["sk-proj-", "sk-proj-", "sk-svcacct-", "sk-admin-"]) + rnd(r, B13_URLS, 74) + "T3BlbkFJ" + rnd(r, B13_URLS, 74)
        return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
    if typ == "ANTHROPIC_KEY":
        return r.choice(["sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-"]) + rnd(r, B13_URLS, 93) + "AA"
    if typ == "GOOGLE_API_KEY":
        return "AIzaSy" + rnd(r, B13_URLS, 33)
    return b13_jwt_value(r)


def b13_VK(r, typ=None):
    typ = typ or r.choice(B13_VENDOR_TYPES)
    return B13L(typ, b13_vendor_value(r, typ))


def b13_secret_value(r):
    k = r.randrange(8)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 1:
        return rnd(r, AN, 30) + r.choice("/+") + rnd(r, AN, 9)  # AWS secret access key shape
    if k == 2:
        return base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([18, 30, 32, 48])))).decode()
    if k == 3:
        return rnd(r, B13_URLS, r.choice([32, 43, 50]))
    if k == 4:
        return r.choice(["s%3A", "sess_", "sid.", "ck_", "cs_"]) + rnd(r, AN, r.choice([32, 40]))
    if k == 5:
        return f"{rnd(r, B13_LOWDIG, 8)}-{rnd(r, B13_LOWDIG, 8)}-{rnd(r, B13_LOWDIG, 8)}-{rnd(r, B13_LOWDIG, 8)}"
    if k == 6:
        return "v1." + rnd(r, HEX, 40)
    return rnd(r, AN, 24) + "." + rnd(r, AN, 16)


def b13_GS(r):
    return B13L("GENERIC_SECRET", b13_secret_value(r))


def b13_CVV(r, amex=False):
    return B13L("GENERIC_SECRET", rnd(r, B13_DIG, 4 if amex else 3))


B13_PWWORDS = ["Kolibri", "Papaver", "Lavanda", "Tornado", "Quokka", "Fjord", "Ribera", "Sorbetto", "Windmolen", "Bretzel", "Calanque", "Ciclamino",
               "Haring", "Mistral", "Zitrone", "Otter", "Glühwein", "Pimiento", "Nocciola", "Dromedaris", "Cerise", "Hopscotch", "Bergamot", "Salamandra"]


def b13_pw_value(r, safe=False):
    k = r.randrange(7)
    w = r.choice(B13_PWWORDS)
    if k == 0:
        v = w + str(r.randint(1, 2030)) + r.choice("!?#$*+%")
    elif k == 1:
        v = rnd(r, AN, r.choice([10, 14, 18, 24]))
    elif k == 2:
        v = "-".join(r.choice(B13_PWWORDS).lower() for _ in range(3)) + str(r.randint(1, 9))
    elif k == 3:
        v = rnd(r, string.ascii_letters, 5) + r.choice("@#&%=;:") + rnd(r, B13_DIG, 3) + rnd(r, string.ascii_letters, 3)
    elif k == 4:
        v = "".join({"a": "4", "o": "0", "i": "1", "e": "3", "s": "$"}.get(c, c) for c in w) + r.choice(["!", "_", "2024", "#1"])
    elif k == 5:
        v = w[:3].upper() + "." + rnd(r, B13_DIG, 5) + "." + w[-3:]
    else:
        v = rnd(r, string.ascii_lowercase, 3) + r.choice(B13_UPPER) + rnd(r, B13_DIG, 4) + r.choice("!$&*()[]") + rnd(r, AN, 3)
    if safe:  # for URLs, CSV, shell flags, XML/INI values: none of @ : / ? # % & = , ; ' " < > ( ) [ ] { } space
        v = "".join(c if c.isalnum() and c.isascii() or c in "!*_.-~+$^" else r.choice("_.-!") for c in v)
    return v


def b13_PW(r, safe=False):
    return B13L("PASSWORD", b13_pw_value(r, safe))


B13_PEM_KINDS = ["RSA PRIVATE KEY", "PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]


def b13_pem_value(r, nl="\n"):
    kind = r.choice(B13_PEM_KINDS)
    raw = bytes(r.randrange(256) for _ in range(r.choice([121, 138, 250, 400])))
    if kind == "OPENSSH PRIVATE KEY":
        raw = b"openssh-key-v1\x00" + raw
    blob = base64.b64encode(raw).decode()
    w = 70 if kind == "OPENSSH PRIVATE KEY" else 64
    return nl.join([f"-----BEGIN {kind}-----"] + [blob[i:i + w] for i in range(0, len(blob), w)] + [f"-----END {kind}-----"])


def b13_PEM(r, nl="\n"):
    return B13L("PRIVATE_KEY", b13_pem_value(r, nl))


B13_EXAMPLE_JWT = ".".join([b13_b64url({"alg": "HS256", "typ": "JWT"}), b13_b64url({"sub": "0000000000", "name": "Example User", "iat": 1600000000}),
                            "EXAMPLE_SIGNATURE_do_not_use_in_production_00"])
B13_PLACEHOLDERS = {
    "AWS_ACCESS_KEY": ["AKIAIOSFODNN7EXAMPLE", "AKIAEXAMPLEEXAMPLE00", "ASIAEXAMPLE000000000", "AKIAYOURACCESSKEYID0"],
    "GITHUB_TOKEN": ["ghp_" + "ExampleToken" * 3, "gho_" + "0" * 36, "ghu_EXAMPLE" + "x" * 29, "ghs_abcdefghijklmnopqrstuvwxyz0123456789",
                     "ghr_" + "REFRESHEXAMPLE" + "0" * 22, "github_pat_11EXAMPLE00000000000000_" + "ExampleExample" * 4 + "xxx"],
    "SLACK_TOKEN": ["xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxp-000000000000-0000000000000-" + "x" * 24,
                    "xapp-1-A00000000-0000000000000-" + "0" * 64],
    "STRIPE_KEY": ["sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_" + "EXAMPLE0" * 3, "rk_live_" + "0" * 24],
    "OPENAI_KEY": ["sk-proj-" + "EXAMPLE-" * 9 + "XX" + "T3BlbkFJ" + "EXAMPLE-" * 9 + "XX", "sk-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst"],
    "ANTHROPIC_KEY": ["sk-ant-api03-" + ("EXAMPLE_KEY_" * 8)[:93] + "AA", "sk-ant-api03-" + "x" * 93 + "AA"],
    "GOOGLE_API_KEY": ["AIzaSyA-EXAMPLE-KEY-0000000000000000000", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"],
    "JWT": [B13_EXAMPLE_JWT],
}
B13_PLACEHOLDER_SET = {v for vs in B13_PLACEHOLDERS.values() for v in vs}
B13_STANDINS = ["<ACCESS_KEY_ID>", "$GITHUB_TOKEN", "${{ secrets.NPM_TOKEN }}", "your-api-key", "REPLACE_ME", "****", "sk-…", "AKIA…",
                "<redacted>", "changeit", "%DB_PASSWORD%", "{{ .Values.db.password }}", "op://prod/stripe/credential", "***masked***",
                "xoxb-…", "<insert secret>", "PLEASE_CHANGE", "${SMTP_PASS:?missing}", "(hidden)", "see vault", "null", "n/a"]


def b13_PHOLD(r, typ=None):
    typ = typ or r.choice(sorted(B13_PLACEHOLDERS))
    return B13L("PLACEHOLDER", r.choice(B13_PLACEHOLDERS[typ]))


def b13_anysecret(r):
    k = r.randrange(10)
    if k < 6:
        return b13_VK(r)
    if k < 9:
        return b13_GS(r)
    return b13_PHOLD(r)


# ----- look-alikes (never labelled) -----

def b13_badcard(r):
    while True:
        pre, n = b13_iin(r)
        d = pre + rnd(r, B13_DIG, n - len(pre))
        if not b13_luhn_ok(d):
            return b13_cardfmt(r, d)


def b13_badiban(r, loc):
    cc = r.choice(sorted(B13_IBAN)) if r.random() < 0.4 else B13_HOME[loc]
    v = b13_iban_compact(r, cc)
    while True:
        i = r.randrange(5, len(v))
        if v[i].isdigit():
            w = v[:i] + str((int(v[i]) + r.randint(1, 9)) % 10) + v[i + 1:]
        else:
            w = v[:i] + r.choice(B13_UPPER.replace(v[i], "")) + v[i + 1:]
        if b13_mod97(w[4:] + w[:4]) != 1:
            break
    return " ".join(w[j:j + 4] for j in range(0, len(w), 4)) if r.random() < 0.5 else w


def b13_phoneish(r):
    """Digits grouped like a phone number but used as an identifier."""
    return r.choice([f"0{rnd(r, B13_DIG, 3)} {rnd(r, B13_DIG, 3)} {rnd(r, B13_DIG, 4)}", f"{rnd(r, B13_DIG, 3)}-{rnd(r, B13_DIG, 3)}-{rnd(r, B13_DIG, 4)}",
                     f"0{rnd(r, B13_DIG, 2)}.{rnd(r, B13_DIG, 2)}.{rnd(r, B13_DIG, 2)}.{rnd(r, B13_DIG, 2)}.{rnd(r, B13_DIG, 2)}",
                     f"{rnd(r, B13_DIG, 4)} {rnd(r, B13_DIG, 6)}", f"({rnd(r, B13_DIG, 3)}) {rnd(r, B13_DIG, 3)}-{rnd(r, B13_DIG, 4)}"])


B13_NOT_PW = {
    "en": ["Password: expired", "password reset required at next login", "Password never expires: false", "password field left blank",
           "the password is the same as before (not shared here)", "Password strength: weak", "password was rotated yesterday"],
    "de": ["Passwort: abgelaufen", "Kennwort muss beim nächsten Login geändert werden", "Passwort vergessen? Link unten", "Passwortstärke: mittel"],
    "fr": ["Mot de passe : expiré", "mot de passe oublié, lien envoyé", "mot de passe à changer à la prochaine connexion", "Force du mot de passe : faible"],
    "es": ["Contraseña: caducada", "contraseña olvidada, enlace enviado", "la contraseña se cambia cada 90 días", "Contraseña: (sin cambios)"],
    "it": ["Password: scaduta", "password dimenticata, inviato link", "la password va cambiata al primo accesso", "Password: non impostata"],
    "nl": ["Wachtwoord: verlopen", "wachtwoord vergeten, link verstuurd", "wachtwoord moet bij volgende login gewijzigd worden", "Wachtwoord: niet ingesteld"],
}
B13_NOSECRET_KV = ["password_policy: min_length=12,require_symbol=true", "token_ttl: 3600", "password_min_length = 14", "secret_rotation_days: 90",
                   "api_key_header: X-Api-Key", "PASSWORD_HASHER=argon2", "session_timeout=30m", "token_endpoint: /oauth/token",
                   "auth_method: password", "max_password_age=180", "KEY_ROTATION=monthly", "secret_store=aws-secretsmanager"]


def b13_la(f, r, loc, g=None):
    g = r.randrange(44) if g is None else g
    d = B13_DIG
    lg = B13_LANG[loc]
    if g == 0: return f"{b13_T(loc, 'Order|Bestellnr.|Commande|Pedido|Ordine|Bestelling')} {b13_phoneish(r)}"
    if g == 1: return r.choice([f"LIN-{r.randint(100, 9999)}", f"ENG-{r.randint(10, 999)}", f"INC{rnd(r, d, 7)}", f"CS-{rnd(r, d, 8)}", f"#{r.randint(10000, 999999)}"])
    if g == 2: return r.choice([f"{b13_T(loc, 'Invoice|Rechnung|Facture|Factura|Fattura|Factuur')} {B13_TODAY.year}-{rnd(r, d, 5)}", f"INV/{rnd(r, d, 4)}/{rnd(r, d, 6)}", f"RG{rnd(r, d, 10)}"])
    if g == 3: return f"{b13_T(loc, 'booking|Buchung|réservation|reserva|prenotazione|boeking')} {rnd(r, B13_UPPER.replace('O', '').replace('I', ''), 6)}"
    if g == 4: return f"{b13_T(loc, 'e-ticket|E-Ticket|billet électronique|billete electrónico|biglietto elettronico|e-ticket')} {r.choice(['220', '057', '074', '125', '006', '075', '055'])}-{rnd(r, d, 10)}"
    if g == 5: return r.choice([f"v{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}", f"{r.randint(1, 4)}.{r.randint(0, 20)}.{r.randint(0, 9)}-beta.{r.randint(1, 9)}",
                                f"build {rnd(r, d, 4)}.{rnd(r, d, 3)}", f"node v{r.randint(18, 24)}.{r.randint(0, 19)}.{r.randint(0, 9)}", f"go1.{r.randint(21, 24)}.{r.randint(0, 9)}"])
    if g == 6:
        t = datetime.datetime.combine(b13_day(r, 60, 5), datetime.time(r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)))
        return r.choice([t.isoformat() + "Z", t.strftime("%Y-%m-%d %H:%M:%S,") + rnd(r, d, 3), t.strftime("%d %b %Y %H:%M:%S"), str(int(t.replace(tzinfo=datetime.timezone.utc).timestamp())),
                         t.strftime("%Y%m%d%H%M%S"), t.strftime("[%d/%b/%Y:%H:%M:%S +0000]")])
    if g == 7: return r.choice([f"sha1 {rnd(r, HEX, 40)}", f"digest sha256:{rnd(r, HEX, 64)}", f"{rnd(r, HEX, 12)}", f"crc32 {rnd(r, HEX, 8).upper()}", f"bcrypt $2b$12${rnd(r, B13_URLS.replace('-', '.'), 53)}"])
    if g == 8: return str(f.uuid4())
    if g == 9: return f"{b13_T(loc, 'card|Karte|carte|tarjeta|carta|kaart')} {b13_badcard(r)}"
    if g == 10: return f"IBAN {b13_badiban(r, loc)}"
    if g == 11: return f"IMEI {b13_luhn(r.choice(['35', '86', '01', '99']) + rnd(r, d, 12))}"
    if g == 12: return r.choice([f"Meeting ID: {rnd(r, d, 3)} {rnd(r, d, 4)} {rnd(r, d, 4)}", f"Teams ID {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 3)}", f"webinar {rnd(r, d, 10)}"])
    if g == 13: return r.choice([f"UPS 1Z{rnd(r, B13_UPDIG, 16)}", f"DHL JJD{rnd(r, d, 18)}", f"FedEx {rnd(r, d, 12)}", f"Colissimo RR{rnd(r, d, 9)}FR", f"Poste CP{rnd(r, d, 9)}IT", f"PostNL 3SDOU{rnd(r, d, 8)}", f"SSCC (00) 3{rnd(r, d, 17)}"])
    if g == 14: return f"{b13_T(loc, 'appointment on|Termin am|rendez-vous le|cita el|appuntamento il|afspraak op')} {b13_when(r, loc, 10, 60)}"
    if g == 15: return f"{b13_T(loc, 'valid until|gültig bis|valable jusqu’au|válido hasta|valido fino al|geldig tot')} {b13_when(r, loc, 0, 900)}"
    if g == 16: return r.choice([f"claim {rnd(r, d, 9)}", f"member #{rnd(r, d, 9)}", f"routing no. {r.choice(['026009593', '111000025', '122105155', '031176110'])}", f"MRN {rnd(r, d, 9)}",
                                 f"{r.choice(['9', '9'])}{rnd(r, d, 2)}-{r.choice(['70', '78', '88', '90'])}-{rnd(r, d, 4)}", f"000-{rnd(r, d, 2)}-{rnd(r, d, 4)}"])
    if g == 17: return r.choice(B13_NOT_PW[lg])
    if g == 18: return r.choice(B13_NOSECRET_KV)
    if g == 19: return r.choice(B13_STANDINS)
    if g == 20: return r.choice([f"NHS no. {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 4)}", f"BSN {rnd(r, d, 9)}", f"Steuer-ID {rnd(r, d, 2)} {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 3)}",
                                 f"NIE X{rnd(r, d, 7)}{r.choice(B13_UPPER)}", f"codice fiscale {rnd(r, B13_UPPER, 6)}{rnd(r, d, 2)}{r.choice('ABCDEHLMPRST')}{rnd(r, d, 2)}{r.choice(B13_UPPER)}{rnd(r, d, 3)}{r.choice(B13_UPPER)}",
                                 f"n° sécu {r.choice('12')} {rnd(r, d, 2)} {rnd(r, d, 2)} {rnd(r, d, 2)} {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 2)}"])
    if g == 21: return r.choice([f"HS {rnd(r, d, 4)}.{rnd(r, d, 2)}.{rnd(r, d, 2)}", f"container {rnd(r, B13_UPPER, 3)}U {rnd(r, d, 6)} {r.choice(d)}", f"seal {rnd(r, d, 8)}", f"B/L {rnd(r, B13_UPPER, 4)}{rnd(r, d, 8)}"])
    if g == 22: return r.choice([f"{r.randint(1, 999)},{rnd(r, d, 2)} €", f"€ {r.randint(1, 99)}.{rnd(r, d, 3)},{rnd(r, d, 2)}", f"${r.randint(1, 99)},{rnd(r, d, 3)}.{rnd(r, d, 2)}", f"£{r.randint(1, 9999)}.{rnd(r, d, 2)}"])
    if g == 23: return r.choice([f"**** {rnd(r, d, 4)}", f"{rnd(r, d, 4)} **** **** {rnd(r, d, 4)}", f"ending in {rnd(r, d, 4)}", f"IBAN ****{rnd(r, d, 4)}", f"XXX-XX-{rnd(r, d, 4)}"])
    if g == 24: return r.choice([f"EAN {b13_gs1(r.choice(['401', '872', '376', '803', '841']) + rnd(r, d, 9))}", f"GTIN {b13_gs1('0' + rnd(r, d, 12))}", f"ISBN {b13_gs1('979' + rnd(r, d, 9))}"])
    if g == 25: return f"{b13_T(loc, 'seat|Sitzplatz|siège|asiento|posto|stoel')} {r.randint(1, 45)}{r.choice('ABCDEF')}, {b13_T(loc, 'flight|Flug|vol|vuelo|volo|vlucht')} {r.choice(['LH', 'AF', 'KL', 'IB', 'AZ', 'BA', 'UA', 'U2', 'FR', 'VY'])}{r.randint(100, 9999)}"
    if g == 26: return r.choice([f"PNR {rnd(r, B13_UPPER, 6)}", f"{b13_T(loc, 'confirmation|Bestätigung|confirmation|confirmación|conferma|bevestiging')} {rnd(r, B13_UPDIG, 8)}"])
    if g == 27: return r.choice([f"{r.uniform(40, 56):.5f},{r.uniform(-6, 18):.5f}", f"{r.randint(1, 9)}.{r.randint(1, 9)} km", f"{r.randint(100, 9999)} kWh", f"{r.randint(10, 300)} mg"])
    if g == 28: return r.choice([f"{b13_T(loc, 'last visit|letzter Besuch|dernière visite|última visita|ultima visita|laatste bezoek')} {b13_when(r, loc, 400, 0)}",
                                 f"{b13_T(loc, 'hired|eingestellt am|embauché le|alta el|assunto il|in dienst sinds')} {b13_when(r, loc, 3000, 0)}"])
    if g == 29: return r.choice([f"port {r.randint(1025, 65000)}", f"pid {r.randint(100, 99999)}", f"exit code {r.randint(1, 255)}", f"HTTP {r.choice([401, 403, 404, 409, 500, 502])}"])
    if g == 30: return r.choice([f"IP 999.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(0, 255)}", f"OID 1.2.840.{r.randint(10000, 999999)}.1.{r.randint(1, 99)}", f"version {r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 9999)}"])
    if g == 31: return r.choice([f"trace_id={rnd(r, HEX, 32)}", f"request-id: req_{rnd(r, AN, 14)}", f"span {rnd(r, HEX, 16)}", f"x-amz-request-id {rnd(r, B13_UPDIG, 16)}"])
    if g == 32: return f"{b13_T(loc, 'customer no.|Kundennummer|n° client|n.º de cliente|codice cliente|klantnummer')} {rnd(r, d, r.choice([6, 8, 9, 10]))}"
    if g == 33: return r.choice([f"{b13_T(loc, 'licence plate|Kennzeichen|immatriculation|matrícula|targa|kenteken')} {r.choice([rnd(r, B13_UPPER, 2) + '-' + rnd(r, d, 3) + '-' + rnd(r, B13_UPPER, 2), rnd(r, d, 4) + ' ' + rnd(r, B13_UPPER, 3), rnd(r, B13_UPPER, 2) + rnd(r, d, 2) + ' ' + rnd(r, B13_UPPER, 3)])}",
                                 f"VIN {rnd(r, 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789', 17)}"])
    if g == 34: return r.choice([f"BIC {rnd(r, B13_UPPER, 4)}{r.choice(['DE', 'FR', 'NL', 'IT', 'ES', 'GB', 'BE'])}{rnd(r, B13_UPDIG, 2)}", f"sort code {rnd(r, d, 2)}-{rnd(r, d, 2)}-{rnd(r, d, 2)}", f"ABA {r.choice(['021000021', '121000248'])}"])
    if g == 35: return r.choice([f"mac {':'.join(rnd(r, HEX, 2) for _ in range(6))}", f"serial {rnd(r, B13_UPDIG, 10)}", f"asset tag IT-{rnd(r, d, 6)}"])
    if g == 36: return r.choice([f"{b13_T(loc, 'room|Zimmer|chambre|habitación|camera|kamer')} {r.randint(100, 999)}", f"gate {r.choice('ABCDEFG')}{r.randint(1, 60)}", f"{b13_T(loc, 'table|Tisch|table|mesa|tavolo|tafel')} {r.randint(1, 40)}"])
    if g == 37: return r.choice([f"{b13_T(loc, 'policy|Police|police|póliza|polizza|polis')} {rnd(r, B13_UPPER, 2)}-{rnd(r, d, 9)}", f"{b13_T(loc, 'contract|Vertrag|contrat|contrato|contratto|contract')} {rnd(r, d, 4)}/{rnd(r, d, 6)}"])
    if g == 38: return r.choice([f"base64:{base64.b64encode(bytes(r.randrange(256) for _ in range(9))).decode()}", f"etag W/\"{rnd(r, HEX, 16)}\"", f"nonce {rnd(r, HEX, 16)}"])
    if g == 39: return f"{b13_T(loc, 'period|Zeitraum|période|periodo|periodo|periode')} {b13_when(r, loc, 120, 0)} – {b13_when(r, loc, 0, 60)}"
    if g == 40: return f"{b13_T(loc, 'hotline (Mon–Fri)|Hotline (Mo–Fr)|assistance (lun–ven)|atención (lun–vie)|assistenza (lun–ven)|klantenservice (ma–vr)')} {r.choice(['0800 ', '0900-', '1-800-', '902 ', '800 '])}{rnd(r, d, 3)} {rnd(r, d, 3)}"
    if g == 41: return r.choice([f"ref {rnd(r, d, 3)} {rnd(r, d, 3)} {rnd(r, d, 3)}", f"{b13_T(loc, 'file|Vorgang|dossier|expediente|pratica|zaak')} {rnd(r, d, 9)}", f"SWIFT ref {rnd(r, B13_UPDIG, 16)}"])
    if g == 42: return r.choice([f"sk_{rnd(r, B13_LOWDIG, 6)}", f"key_id={rnd(r, B13_LOWDIG, 8)}", f"ghp_…{rnd(r, AN, 4)}", "AKIA****", f"token …{rnd(r, AN, 4)} (last 4)"])
    return f"{b13_T(loc, 'qty|Menge|qté|cant.|q.tà|aantal')} {r.randint(1, 60)} × {r.randint(1, 500)},{rnd(r, d, 2)}"


def b13_las(f, r, loc, n=2, sep=" · "):
    return sep.join(b13_la(f, r, loc) for _ in range(n))


# ----- passwords said, keyed, in URLs and flags -----

B13_PW_SAID = {
    "en": ["her temp password is ", "I reset it, the new password is ", "you can log in with ", "pw for the shared inbox: ", "the passcode we agreed: ",
           "creds are admin / ", "password → "],
    "de": ["sein vorläufiges Passwort lautet ", "ich habe das Kennwort zurückgesetzt auf ", "Login mit Passwort ", "das PW fürs Postfach: ", "Zugang: admin / "],
    "fr": ["son mot de passe temporaire est ", "j'ai réinitialisé le mdp : ", "connexion avec le mot de passe ", "le MDP de la boîte partagée : ", "identifiants : admin / "],
    "es": ["su contraseña provisional es ", "he restablecido la clave a ", "puede entrar con la contraseña ", "la contraseña del buzón: ", "acceso: admin / "],
    "it": ["la sua password temporanea è ", "ho reimpostato la password a ", "accesso con password ", "la pwd della casella condivisa: ", "credenziali: admin / "],
    "nl": ["zijn tijdelijke wachtwoord is ", "ik heb het wachtwoord gereset naar ", "inloggen met wachtwoord ", "het ww van de gedeelde inbox: ", "inlog: admin / "],
}
B13_PW_KEYS = {"en": ["password", "db_password", "PASSWORD", "passwd", "admin_pass", "smtpPassword", "userPassword"],
               "de": ["passwort", "Kennwort", "db_passwort", "KENNWORT"], "fr": ["mot_de_passe", "mdp", "motDePasse"],
               "es": ["contrasena", "clave", "contraseña"], "it": ["password", "parola_chiave", "pwd"], "nl": ["wachtwoord", "ww", "Wachtwoord"]}
B13_SECRET_KEYS = ["client_secret", "aws_secret_access_key", "signing_key", "hmac_secret", "api_key", "webhook_secret", "session_cookie",
                   "encryption_key", "bearer_token", "app_secret", "jwt_secret", "consumer_secret", "private_token"]


def b13_pw_said(r, loc):
    return [r.choice(B13_PW_SAID[B13_LANG[loc]]), b13_PW(r)]


def b13_pwkey(r, loc):
    return r.choice(B13_PW_KEYS[B13_LANG[loc]] + ["password"])


def b13_dsn(r, host=None):
    """A connection string whose userinfo holds a password."""
    scheme = r.choice(["postgresql", "mysql", "mongodb+srv", "redis", "amqp", "mssql", "postgres"])
    user = r.choice(["app", "svc_billing", "reporting", "root", "etl_user", "admin"])
    host = host or r.choice(["db.internal", "pg-prod-1.cluster.local", "mq.corp.lan", "cache-02", "cluster0.ab1cd.mongodb.net"])
    tail = r.choice(["/orders", "/prod?sslmode=require", ":5432/crm", "/0", "/vhost1", ":3306/shop"])
    return [f"{scheme}://{user}:", b13_PW(r, safe=True), f"@{host}{tail}"]


# ----- text documents -----

def B13_linear_issue(f, r, loc):
    fn, ln = b13_who(f)
    a, b = f.first_name(), f.first_name()
    return [f"{b13_la(f, r, loc, 1)}  {b13_T(loc, 'Customer cannot pay invoice|Kunde kann Rechnung nicht bezahlen|Le client ne peut pas régler la facture|El cliente no puede pagar la factura|Il cliente non riesce a pagare la fattura|Klant kan factuur niet betalen')}\n",
            f"Status: In Progress · Priority: Urgent · Assignee: {a}\nLabels: billing, escalated\n\n## Description\n",
            f"{fn} {ln} (", b13_EM(f, r, fn, ln), ") ", b13_T(loc, 'called from|rief an von|a appelé du|llamó desde|ha chiamato dal|belde vanaf'), " ", b13_PH(r, loc), ". ",
            b13_T(loc, 'Card on file|Hinterlegte Karte|Carte enregistrée|Tarjeta registrada|Carta registrata|Geregistreerde kaart'), ": ", b13_CC(r), ", ",
            b13_T(loc, 'retry failed with|erneut abgelehnt mit|échec avec|falló con|fallito con|mislukt met'), f" {b13_la(f, r, loc, 29)}.\n{b13_la(f, r, loc, 2)}\n\n---\n",
            f"**{b}** commented {r.randint(2, 50)}m ago:\n> ", b13_T(loc, 'Refund goes to|Erstattung auf|Remboursement sur|Reembolso a|Rimborso su|Terugbetaling naar'), " ", b13_IBAN(r, loc),
            f"\n> {b13_la(f, r, loc, 23)}; {b13_la(f, r, loc, 17)}\n",
            ["\n**repro**\n```\ncurl -H 'Authorization: Bearer ", b13_VK(r, "JWT"), f"' https://api.internal/v2/invoices/{rnd(r, B13_DIG, 6)}\n```\n"] if r.random() < 0.6 else ""]


def B13_notion_runbook(f, r, loc):
    svc = r.choice(["billing-api", "search", "ledger", "notifications"])
    out = [f"# Runbook: {svc}\n\n{b13_T(loc, 'Owner|Verantwortlich|Responsable|Responsable|Referente|Eigenaar')}: @{f.user_name()}  ·  {b13_T(loc, 'Last edited|Zuletzt bearbeitet|Modifié le|Editado|Modificato il|Laatst bewerkt')} {b13_when(r, loc, 60, 0)}\n\n",
           "| System | User | Secret | Notes |\n|---|---|---|---|\n",
           "| Postgres | app | ", b13_PW(r, safe=True), f" | {b13_la(f, r, loc, 18)} |\n",
           "| SMTP relay | ", b13_EM(f, r), " | ", b13_PW(r, safe=True), " | port 587 |\n",
           "| Vendor API | - | ", b13_anysecret(r), f" | {b13_la(f, r, loc, 5)} |\n\n",
           "> ", b13_T(loc, 'On-call phone|Bereitschaftstelefon|Téléphone d’astreinte|Teléfono de guardia|Telefono reperibilità|Piketnummer'), ": ", b13_PH(r, loc), "\n"]
    return out


def B13_loki(f, r, loc):
    out = [f"$ logcli query '{{app=\"{r.choice(['gateway', 'auth', 'checkout'])}\"}} |= \"error\"' --limit=5 --since=1h\n"]
    for _ in range(r.randint(3, 5)):
        k = r.randrange(5)
        ts = f"{B13_TODAY.isoformat()}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, B13_DIG, 6)}Z"
        lab = f"{{app=\"gateway\", pod=\"gw-{rnd(r, B13_LOWDIG, 5)}\"}}"
        if k == 0:
            out += [f"{ts} {lab} level=error msg=\"login failed\" user=", b13_EM(f, r), " client_ip=", b13_IP(r), "\n"]
        elif k == 1:
            out += [f"{ts} {lab} level=warn msg=\"upstream auth header leaked\" header=\"Authorization: Bearer ", b13_VK(r, "JWT"), "\"\n"]
        elif k == 2:
            out += [f"{ts} {lab} level=error msg=\"db connect failed\" dsn=", b13_dsn(r), f" {b13_la(f, r, loc, 29)}\n"]
        elif k == 3:
            out += [f"{ts} {lab} level=info msg=\"sms sent\" to=", b13_PH(r, loc, style="e164"), f" {b13_la(f, r, loc, 31)}\n"]
        else:
            out += [f"{ts} {lab} level=debug {b13_la(f, r, loc, 6)} {b13_la(f, r, loc, 7)}\n"]
    return out


def B13_splunk(f, r, loc):
    out = [f"index=web sourcetype=access_combined status>=400 | table _time clientip user uri\n\n_time\tclientip\tuser\turi\n"]
    for _ in range(r.randint(3, 5)):
        t = f"{B13_TODAY.isoformat()} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        k = r.randrange(3)
        if k == 0:
            out += [f"{t}\t", b13_IP4(r), "\t", b13_EM(f, r), f"\t/account/{rnd(r, B13_DIG, 6)}\n"]
        elif k == 1:
            out += [f"{t}\t", b13_IP6(r), "\t-\t/reset?email=", b13_EM(f, r), "&token=", b13_GS(r), "\n"]
        else:
            out += [f"{t}\t", b13_IP4(r), f"\t-\t/track/{b13_la(f, r, loc, 13).replace(' ', '')}\n"]
    return out


def B13_caddyfile(f, r, loc):
    dom = r.choice(["shop.example.org", "intranet.kaltstahl.de", "api.quantiq-labs.io", "portal.lumenhealth.org"])
    return [f"{dom} {{\n\ttls ", b13_EM(f, r), "\n\tencode gzip\n\tbasicauth /admin/* {\n\t\tadmin $2a$14$" + rnd(r, B13_URLS.replace("-", "."), 53) + "\n\t}\n",
            "\treverse_proxy ", b13_IP4(r), f":{r.choice([8080, 3000, 9000])} {{\n\t\theader_up X-Api-Key ", b13_anysecret(r), "\n\t}\n",
            "\t# old upstream ", b13_IP6(r), f" retired {b13_when(r, loc, 200, 0)}\n\tlog {{\n\t\toutput file /var/log/caddy/{dom}.log\n\t}}\n}}\n"]


def B13_traefik_labels(f, r, loc):
    return ["services:\n  whoami:\n    image: traefik/whoami:" + b13_la(f, r, loc, 5).split()[-1] + "\n    labels:\n",
            "      - \"traefik.http.routers.wa.rule=Host(`wa.lan`)\"\n",
            "      - \"traefik.http.middlewares.auth.basicauth.users=ops:$$apr1$$" + rnd(r, B13_LOWDIG, 8) + "$$" + rnd(r, AN, 22) + "\"\n",
            "    environment:\n      ACME_EMAIL: ", b13_EM(f, r), "\n      CF_DNS_API_TOKEN: ", b13_GS(r), "\n      DASHBOARD_PASSWORD: ", b13_PW(r, safe=True), "\n",
            f"      # {b13_la(f, r, loc, 18)}\n"]


def B13_consul_kv(f, r, loc):
    app = r.choice(["payments", "crm", "mailer"])
    return [f"$ consul kv get -recurse config/{app}/\n",
            f"config/{app}/db/host:", b13_IP4(r), "\n", f"config/{app}/db/user:{app}_rw\n", f"config/{app}/db/password:", b13_PW(r), "\n",
            f"config/{app}/feature/{rnd(r, string.ascii_lowercase, 6)}:true\n", f"config/{app}/support_phone:", b13_PH(r, loc), "\n",
            f"config/{app}/upstream/key:", b13_anysecret(r), "\n", f"config/{app}/{b13_la(f, r, loc, 18).replace(' ', '')}\n",
            f"config/{app}/release:{b13_la(f, r, loc, 5).split()[-1]}\n"]


def B13_etcd(f, r, loc):
    return ["$ ETCDCTL_API=3 etcdctl get --prefix /registry/tenants/\n", f"/registry/tenants/{rnd(r, B13_LOWDIG, 8)}/contact\n",
            b13_EM(f, r), "\n", f"/registry/tenants/{rnd(r, B13_LOWDIG, 8)}/webhook_secret\n", b13_GS(r), "\n",
            f"/registry/tenants/{rnd(r, B13_LOWDIG, 8)}/slack\n", b13_VK(r, "SLACK_TOKEN"), "\n", f"/registry/tenants/{rnd(r, B13_LOWDIG, 8)}/created\n",
            f"{b13_la(f, r, loc, 6)}\n"]


def B13_bitwarden_csv(f, r, loc):
    out = ["folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"]
    for _ in range(r.randint(3, 5)):
        site = r.choice(["bank", "energie", "school-portal", "tax", "router", "insurance", "mail"])
        k = r.randrange(4)
        if k == 3:
            out += [f"Work,,note,{site} API,,,0,,,,\n"]
            out += ["Work,,login,", f"{site} key", ",\"", b13_T(loc, 'key is|Schlüssel|clé|clave|chiave|sleutel'), " ", b13_anysecret(r), "\",,0,https://", site, ".example,,,\n"]
        else:
            out += [f"{r.choice(['Personal', 'Family', 'Work', ''])},{r.choice(['', '1'])},login,{site},", f"{b13_la(f, r, loc, 32)}" if k == 1 else "", ",,0,https://",
                    f"{site}.{r.choice(['de', 'fr', 'nl', 'it', 'es', 'co.uk', 'com'])}/login,", b13_EM(f, r), ",", b13_PW(r, safe=True), ",",
                    ["otpauth://totp/" + site + "?secret=", B13L("GENERIC_SECRET", rnd(r, B13_B32, 16))] if r.random() < 0.3 else "", "\n"]
    return out


def B13_chrome_pw_csv(f, r, loc):
    out = ["name,url,username,password,note\n"]
    for _ in range(r.randint(3, 6)):
        host = r.choice(["accounts.google.com", "www.amazon.de", "login.live.com", "mijn.ing.nl", "www.leboncoin.fr", "www.wallapop.com", "www.subito.it", "router"])
        user = b13_EM(f, r) if r.random() < 0.7 else f.user_name()
        if host == "router":  # a home router's admin page: its address is an IP
            ip = b13_ip4_value(r)
            out += [B13L("IPV4", ip), ",https://", B13L("IPV4", ip), "/,", user, ",", b13_PW(r, safe=True), "\n"]
            continue
        out += [f"{host},https://{host}/,", user, ",", b13_PW(r, safe=True), f",{r.choice(['', '', b13_la(f, r, loc, 17)]).replace(',', ' ')}\n"]
    return out


def B13_pgdump_copy(f, r, loc):
    out = ["--\n-- Data for Name: customers; Type: TABLE DATA; Schema: public\n--\n\n",
           "COPY public.customers (id, full_name, email, phone, birth_date, iban, created_at) FROM stdin;\n"]
    for i in range(r.randint(2, 4)):
        fn, ln = b13_who(f)
        out += [f"{r.randint(1000, 99999)}\t{fn} {ln}\t", b13_EM(f, r, fn, ln), "\t", b13_PH(r, loc), "\t", B13L("DATE_OF_BIRTH", b13_dob_day(r).isoformat()), "\t",
                b13_IBAN(r, loc) if r.random() < 0.7 else "\\N", f"\t{b13_day(r, 900, 0).isoformat()} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00+00\n"]
    out += ["\\.\n\n", f"SELECT pg_catalog.setval('public.customers_id_seq', {r.randint(100000, 999999)}, true);\n"]
    return out


def B13_mongosh(f, r, loc):
    fn, ln = b13_who(f)
    return [f"shop> db.users.findOne({{ email: \"", b13_EM(f, r, fn, ln), "\" })\n{\n",
            f"  _id: ObjectId('{rnd(r, HEX, 24)}'),\n  name: '{fn} {ln}',\n  phone: '", b13_PH(r, loc), "',\n",
            "  dob: ISODate('", B13L("DATE_OF_BIRTH", b13_dob_day(r).isoformat()), "T00:00:00.000Z'),\n",
            "  lastLoginIp: '", b13_IP(r), "',\n", ["  ssn: '", b13_SSN(r, "-"), "',\n"] if loc == "en_US" else "", "  apiToken: '", b13_anysecret(r), "',\n",
            f"  createdAt: ISODate('{b13_day(r, 500, 0).isoformat()}T10:{r.randint(10, 59)}:00.000Z'),\n  loyalty: {{ tier: 'gold', no: '{rnd(r, B13_DIG, 10)}' }}\n}}\n"]


def B13_openapi_example(f, r, loc):
    return ["openapi: 3.0.3\ninfo:\n  title: Payments API\n  version: " + b13_la(f, r, loc, 5).split()[-1] + "\n",
            "components:\n  securitySchemes:\n    bearer: {type: http, scheme: bearer}\n  examples:\n    CreateCharge:\n      value:\n",
            "        api_key: ", b13_PHOLD(r), "\n        card_number: tok_visa\n        customer_email: <customer-email>\n",
            "        customer_phone: \"+1 555 0100\"\n        token: ", r.choice(B13_STANDINS), "\n",
            "    # staging key pasted by mistake, rotate!\n    StagingAuth:\n      value:\n        Authorization: Bearer ", b13_VK(r), "\n"]


def B13_paypal_ipn(f, r, loc):
    fn, ln = b13_who(f)
    return ["POST /ipn HTTP/1.1\nContent-Type: application/x-www-form-urlencoded\n\n",
            f"mc_gross={r.randint(5, 900)}.{rnd(r, B13_DIG, 2)}&protection_eligibility=Eligible&payer_id={rnd(r, B13_UPDIG, 13)}&payment_date=",
            f"{r.randint(0, 23):02d}%3A{r.randint(10, 59)}%3A00+Dec+{r.randint(1, 11):02d}%2C+2026+PST&payment_status=Completed&first_name={b13_ascii(fn)}&last_name={b13_ascii(ln)}",
            "&payer_email=", B13L("EMAIL", b13_mail_value(f, r, fn, ln)),
            f"&txn_id={rnd(r, B13_UPDIG, 17)}&invoice={rnd(r, B13_DIG, 9)}&ipn_track_id={rnd(r, HEX, 13)}&verify_sign=A{rnd(r, AN, 55)}\n"]


def B13_crm_call(f, r, loc):
    fn, ln = b13_who(f)
    return [f"{b13_T(loc, 'Call note|Gesprächsnotiz|Note d’appel|Nota de llamada|Nota chiamata|Gespreksnotitie')} — {fn} {ln}, {b13_company(f, r, loc)}\n",
            f"{b13_when(r, loc, 5, 0)}, {r.randint(3, 45)} min, {b13_T(loc, 'outbound|ausgehend|sortant|saliente|in uscita|uitgaand')}\n\n",
            "- ", b13_T(loc, 'Direct line|Durchwahl|Ligne directe|Línea directa|Linea diretta|Direct nummer'), ": ", b13_PH(r, loc), "\n",
            "- ", b13_T(loc, 'Mobile (private)|Handy (privat)|Portable (perso)|Móvil (personal)|Cellulare (privato)|Mobiel (privé)'), ": ", b13_PH(r, loc), "\n",
            "- ", b13_T(loc, 'New billing address|Neue Rechnungsadresse|Nouvelle adresse de facturation|Nueva dirección de facturación|Nuovo indirizzo di fatturazione|Nieuw factuuradres'), ": ", b13_EM(f, r, fn, ln), "\n",
            f"- {b13_la(f, r, loc, 0)}; {b13_la(f, r, loc, 37)}\n- {b13_la(f, r, loc, 14)}\n",
            ["- SSN for the credit application: ", b13_SSN(r), "\n"] if loc == "en_US" and r.random() < 0.6 else "",
            "- ", b13_T(loc, 'Renewal paid with card|Verlängerung per Karte|Renouvellement payé par carte|Renovación con tarjeta|Rinnovo pagato con carta|Verlenging betaald met kaart'), " ", b13_CC(r), "\n"]


def B13_patient_intake(f, r, loc):
    fn, ln = b13_who(f)
    out = [f"{b13_T(loc, 'PATIENT INTAKE FORM|PATIENTENAUFNAHMEBOGEN|FICHE D’ADMISSION PATIENT|FORMULARIO DE ADMISIÓN|SCHEDA DI ACCETTAZIONE|INTAKEFORMULIER PATIËNT')}\n",
           f"{b13_T(loc, 'Name|Name|Nom|Nombre|Nome|Naam')}: {ln}, {fn}\n", f"{b13_T(loc, 'Date of birth|Geburtsdatum|Date de naissance|Fecha de nacimiento|Data di nascita|Geboortedatum')}: ", b13_DOB(r, loc), "\n",
           f"{b13_T(loc, 'Phone|Telefon|Téléphone|Teléfono|Telefono|Telefoon')}: ", b13_PH(r, loc), "   E-mail: ", b13_EM(f, r, fn, ln), "\n",
           f"{b13_T(loc, 'Emergency contact|Notfallkontakt|Personne à prévenir|Contacto de emergencia|Contatto di emergenza|Contactpersoon bij nood')}: {f.first_name()} ", b13_PH(r, loc), "\n"]
    if loc == "en_US":
        out += ["SSN: ", b13_SSN(r), f"    Insurance: {b13_la(f, r, loc, 16)}\n"]
    else:
        out += [f"{b13_la(f, r, loc, 20)}\n"]
    out += [f"{b13_T(loc, 'Last visit|Letzter Besuch|Dernière visite|Última visita|Ultima visita|Laatste bezoek')}: {b13_when(r, loc, 500, 0)}   {b13_la(f, r, loc, 27)}\n"]
    return out


def B13_prescription(f, r, loc):
    fn, ln = b13_who(f)
    drug = r.choice(["Amoxicillin 500 mg", "Ibuprofen 600 mg", "Metformin 850 mg", "Atorvastatin 20 mg", "Levothyroxine 50 µg"])
    return [f"Rx #{rnd(r, B13_DIG, 8)} — {b13_T(loc, 'issued|ausgestellt|émise le|emitida|emessa il|uitgegeven')} {b13_when(r, loc, 30, 0)}\n",
            f"{b13_T(loc, 'Patient|Patient|Patient|Paciente|Paziente|Patiënt')}: {fn} {ln}, ", b13_dob_said(r, loc), "\n",
            f"{drug}, 1-0-1, {r.randint(7, 90)} {b13_T(loc, 'days|Tage|jours|días|giorni|dagen')}\n",
            f"{b13_T(loc, 'Pharmacy callback|Rückruf Apotheke|Rappel pharmacie|Llamar a la farmacia|Richiamare farmacia|Terugbellen apotheek')}: ", b13_PH(r, loc), f"\n{b13_la(f, r, loc, 15)} · {b13_la(f, r, loc, 24)}\n"]


def B13_lab_result(f, r, loc):
    fn, ln = b13_who(f)
    rows = "".join(f"{t:<14}{r.uniform(lo, hi):>8.1f} {u:<8}({lo}-{hi})\n" for t, lo, hi, u in r.sample([("HbA1c", 4.0, 6.0, "%"), ("LDL", 50, 130, "mg/dL"), ("TSH", 0.4, 4.0, "mU/L"),
                                                                                                    ("CRP", 0.0, 5.0, "mg/L"), ("Ferritin", 30, 400, "ng/mL")], 3))
    return [f"LAB REPORT  Accession {rnd(r, B13_UPDIG, 10)}  Collected {b13_when(r, loc, 20, 0)}\n",
            f"Patient: {ln.upper()}, {fn}   DOB: ", b13_DOB(r, loc), f"   MRN {rnd(r, B13_DIG, 8)}\n", "Ordering physician contact: ", b13_EM(f, r), "\n\n", rows,
            f"\n{b13_T(loc, 'Results portal login|Befundportal Login|Portail résultats|Portal de resultados|Portale referti|Uitslagenportaal')}: {b13_ascii(ln)}, ", b13_pw_said(r, loc), "\n"]


def B13_eticket(f, r, loc):
    fn, ln = b13_who(f)
    return [f"ELECTRONIC TICKET RECEIPT\n{b13_T(loc, 'Passenger|Passagier|Passager|Pasajero|Passeggero|Passagier')}: {ln.upper()}/{fn.upper()} {r.choice(['MR', 'MRS', 'MS'])}\n",
            f"{b13_la(f, r, loc, 26)}   {b13_la(f, r, loc, 4)}\n{b13_la(f, r, loc, 25)}   {b13_when(r, loc, 0, 120)}\n",
            "FOP: CC ", B13L("CREDIT_CARD", b13_card_value(r).replace(" ", "").replace("-", "")), f" EXP {r.randint(1, 12):02d}{r.randint(27, 31)}\n",
            "Contact: ", b13_PH(r, loc), " / ", b13_EM(f, r, fn, ln), f"\nFare: {b13_la(f, r, loc, 22)}   {b13_la(f, r, loc, 3)}\n"]


def B13_payroll_csv(f, r, loc):
    us = loc == "en_US"
    out = ["employee_id;name;" + ("ssn;routing;" if us else "iban;") + "gross;net;period\n"]
    for _ in range(r.randint(3, 5)):
        fn, ln = b13_who(f)
        out += [f"E{rnd(r, B13_DIG, 5)};{fn} {ln};"]
        out += ([b13_SSN(r), f";{r.choice(['026009593', '121000358'])};"] if us else [b13_IBAN(r, loc), ";"])
        out += [f"{r.randint(1800, 9000)}.{rnd(r, B13_DIG, 2)};{r.randint(1200, 6000)}.{rnd(r, B13_DIG, 2)};{B13_TODAY.year}-{B13_TODAY.month:02d}\n"]
    out += [f"# {b13_la(f, r, loc, 41)}\n"]
    return out


def B13_timesheet(f, r, loc):
    fn, ln = b13_who(f)
    out = [f"Timesheet — {fn} {ln} (", b13_EM(f, r, fn, ln), f")  {b13_la(f, r, loc, 39)}\n"]
    for i in range(5):
        d = B13_TODAY - datetime.timedelta(days=7 - i)
        out += [f"{d.isoformat()}  {r.randint(7, 9)}:{r.choice(['00', '15', '30'])}–{r.randint(16, 18)}:{r.choice(['00', '30', '45'])}  {r.choice(['PRJ-', 'KST '])}{rnd(r, B13_DIG, 4)}  {b13_la(f, r, loc, r.choice([1, 5, 12]))}\n"]
    out += [b13_T(loc, 'Approver|Genehmiger|Validateur|Aprobador|Approvatore|Goedkeurder'), ": ", b13_EM(f, r), "\n"]
    return out


def B13_membership_card(f, r, loc):
    fn, ln = b13_who(f)
    return [f"{r.choice(['Bibliotheek', 'Stadtbibliothek', 'Médiathèque', 'Biblioteca', 'City Library'])} — {b13_T(loc, 'membership card|Mitgliedsausweis|carte de membre|carné de socio|tessera|lidmaatschapskaart')}\n",
            f"{fn} {ln}\n", b13_dob_said(r, loc), "\n", f"{b13_T(loc, 'Card no.|Ausweisnr.|N° de carte|N.º de carné|N. tessera|Pasnummer')} 2901 {rnd(r, B13_DIG, 4)} {rnd(r, B13_DIG, 4)} {rnd(r, B13_DIG, 2)}\n",
            f"{b13_la(f, r, loc, 15)}\n", "Tel. ", b13_PH(r, loc), "\n", b13_T(loc, 'PIN for the self-service kiosk is your birth year|PIN am Automaten ist Ihr Geburtsjahr|Le code du borne est votre année de naissance|El PIN del quiosco es su año de nacimiento|Il PIN del totem è l’anno di nascita|De pincode van de zuil is uw geboortejaar'), "\n"]


def B13_student_record(f, r, loc):
    fn, ln = b13_who(f)
    pn = f.first_name()
    return [f"STUDENT RECORD  {b13_T(loc, 'Class|Klasse|Classe|Clase|Classe|Klas')} {r.randint(1, 12)}{r.choice('abcd')}   ID {rnd(r, B13_DIG, 7)}\n",
            f"{fn} {ln}, ", r.choice(B13_DOB_SAID[B13_LANG[loc]]), b13_DOB(r, loc, child=True), "\n", f"{b13_T(loc, 'Parent/guardian|Erziehungsberechtigte/r|Responsable légal|Tutor legal|Genitore/tutore|Ouder/verzorger')}: {pn} {ln}, ", b13_PH(r, loc), ", ", b13_EM(f, r, pn, ln), "\n",
            f"{b13_T(loc, 'Second contact|Zweiter Kontakt|Deuxième contact|Segundo contacto|Secondo contatto|Tweede contact')}: ", b13_PH(r, loc), "\n",
            f"{b13_T(loc, 'Enrolled|Eingeschult|Inscrit le|Matriculado|Iscritto il|Ingeschreven')} {b13_when(r, loc, 1500, 0)} · {b13_la(f, r, loc, 36)} · {b13_la(f, r, loc, 17)}\n"]


def B13_guest_list(f, r, loc):
    out = [f"## {b13_T(loc, 'Wedding guest list|Hochzeitsgäste|Liste des invités|Lista de invitados|Lista invitati|Gastenlijst bruiloft')} ({b13_when(r, loc, 0, 200)})\n\n",
           "| # | Name | Phone | E-mail | Menu | Table |\n|---|---|---|---|---|---|\n"]
    for i in range(r.randint(3, 6)):
        fn, ln = b13_who(f)
        out += [f"| {i + 1} | {fn} {ln} | ", b13_PH(r, loc, 0.15), " | ", b13_EM(f, r, fn, ln) if r.random() < 0.7 else "—", f" | {r.choice(['veg', 'fish', 'meat', 'vegan', 'kids'])} | {r.randint(1, 14)} |\n"]
    out += [f"\n{b13_la(f, r, loc, 22)} deposit paid · {b13_la(f, r, loc, 2)}\n"]
    return out


def B13_customs_cn23(f, r, loc):
    sn, sl = b13_who(f)
    rn, rl = b13_who(f)
    return [f"CN 23 — CUSTOMS DECLARATION  {b13_la(f, r, loc, 13)}\nFrom: {sn} {sl}, {b13_city(r, loc)}  Tel ", b13_PH(r, loc), "\n",
            f"To: {rn} {rl}, {r.choice(['Toronto', 'Sydney', 'Zürich', 'Oslo', 'New York'])}  Tel ", b13_PH(r, loc, 0.6), "  E-mail ", b13_EM(f, r, rn, rl), "\n",
            f"Contents: {r.choice(['gift', 'documents', 'sample', 'returned goods'])}; {b13_la(f, r, loc, 21)}; {b13_la(f, r, loc, 22)}\n",
            f"Importer VAT / EORI: {r.choice(['DE', 'FR', 'NL', 'IT', 'ES'])}{rnd(r, B13_DIG, 12)}\n{b13_T(loc, 'Date|Datum|Date|Fecha|Data|Datum')}: {b13_when(r, loc, 3, 0)}\n"]


def B13_manifest(f, r, loc):
    out = [f"SHIPPING MANIFEST  Voyage {rnd(r, B13_UPPER, 2)}{rnd(r, B13_DIG, 3)}W   {b13_la(f, r, loc, 21)}\n\n"]
    for _ in range(r.randint(2, 4)):
        out += [f"{b13_la(f, r, loc, 21)}  {r.randint(2, 28)} t  Consignee: {b13_company(f, r, loc)}  notify ", b13_PH(r, loc, 0.3), " / ", b13_EM(f, r), "\n"]
    out += [f"ETA {b13_when(r, loc, 0, 40)}   {b13_la(f, r, loc, 41)}\n"]
    return out


def B13_classified(f, r, loc):
    item = b13_T(loc, 'Road bike, 56 cm, barely used|Rennrad, 56 cm, kaum gefahren|Vélo de route 56 cm, peu servi|Bici de carretera, 56 cm, casi nueva|Bici da corsa 56 cm, usata poco|Racefiets 56 cm, weinig gebruikt')
    return [f"{item} — {b13_la(f, r, loc, 22)}\n\n", b13_T(loc, 'Call or WhatsApp|Anruf oder WhatsApp|Appel ou WhatsApp|Llamada o WhatsApp|Chiamata o WhatsApp|Bellen of appen'), ": ", b13_PH(r, loc, 0.0, "local"), "\n",
            b13_T(loc, 'No phone calls after 9pm, mail me at|Nach 21 Uhr bitte Mail an|Après 21h, écrivez à|Después de las 21h escribid a|Dopo le 21 scrivete a|Na 21u graag mailen naar'), " ", b13_EM(f, r), "\n",
            f"{b13_la(f, r, loc, 35)} · {b13_la(f, r, loc, 0)}\n"]


def B13_dating_msg(f, r, loc):
    a = f.first_name()
    return [f"{a}: ", b13_T(loc, 'this app keeps crashing lol, text me instead|die App stürzt dauernd ab, schreib mir lieber|l’appli plante tout le temps, écris-moi plutôt|la app se cuelga, mejor escríbeme|l’app si blocca sempre, scrivimi|de app crasht steeds, app me liever'), " ",
            b13_PH(r, loc, 0.05, r.choice(["compact", "nat", "intl"])), "\n", f"{f.first_name()}: ", b13_T(loc, 'ok! or insta? mine is|ok! oder Insta? meins ist|ok ! ou insta ? moi c’est|vale! ¿o insta? el mío es|ok! o insta? il mio è|oké! of insta? de mijne is'),
            f" @{f.user_name()} — {b13_la(f, r, loc, 14)}\n", f"{a}: ", b13_T(loc, 'my mail if that’s easier|meine Mail, falls einfacher|mon mail si c’est plus simple|mi correo si es más fácil|la mia mail se è più comodo|mijn mail als dat makkelijker is'), " ", b13_EM(f, r, a), "\n"]


def B13_ats_export(f, r, loc):
    fn, ln = b13_who(f)
    return [f"Candidate #{rnd(r, B13_DIG, 6)} — {fn} {ln}\nStage: {r.choice(['Phone screen', 'Onsite', 'Offer', 'Rejected'])}   Source: {r.choice(['LinkedIn', 'Referral', 'Indeed', 'StepStone'])}\n",
            "Email: ", b13_EM(f, r, fn, ln), "   Phone: ", b13_PH(r, loc), "\n",
            f"CV parsed: {b13_T(loc, 'born|geboren am|né le|nacido el|nato il|geboren op')} ", b13_DOB(r, loc), f" · {b13_la(f, r, loc, 28)}\n",
            f"Interview: {b13_la(f, r, loc, 12)}   {b13_la(f, r, loc, 14)}\n",
            ["Background check consent signed, SSN ", b13_SSN(r), "\n"] if loc == "en_US" else "",
            "Scorecard: ", b13_T(loc, 'strong on SQL, asked about salary band|stark in SQL, fragte nach Gehaltsband|solide en SQL, a demandé la fourchette|fuerte en SQL, preguntó por la banda salarial|forte in SQL, ha chiesto la RAL|sterk in SQL, vroeg naar salarisschaal'), "\n"]


def B13_linkedin_msg(f, r, loc):
    fn, ln = b13_who(f)
    return [f"{fn} {ln} · {r.randint(1, 23)}h\n",
            b13_T(loc, 'Hi! Loved your profile. Could we chat this week? My number is|Hallo! Ihr Profil gefällt mir. Können wir diese Woche sprechen? Meine Nummer:|Bonjour ! Votre profil m’intéresse. On s’appelle cette semaine ? Mon numéro :|¡Hola! Me encanta tu perfil. ¿Hablamos esta semana? Mi número:|Ciao! Il tuo profilo mi interessa. Ci sentiamo questa settimana? Il mio numero:|Hoi! Mooi profiel. Zullen we deze week bellen? Mijn nummer:'),
            " ", b13_PH(r, loc), "\n", b13_T(loc, 'or reply to|oder an|ou répondez à|o responde a|oppure a|of reageer naar'), " ", b13_EM(f, r, fn, ln), f"\n{b13_la(f, r, loc, 12)}\n"]


def B13_whatsapp(f, r, loc):
    a, b = f.first_name(), f.first_name()
    d = b13_day(r, 20, 0)
    ds = d.strftime("%m/%d/%y") if loc == "en_US" else d.strftime("%d/%m/%Y")
    t = lambda: f"[{ds}, {r.randint(7, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}]"
    return [f"{t()} {a}: ", b13_T(loc, 'what’s the wifi at the flat?|wie ist das WLAN in der Wohnung?|c’est quoi le wifi de l’appart ?|¿cuál es el wifi del piso?|qual è il wifi dell’appartamento?|wat is de wifi in het appartement?'), "\n",
            f"{t()} {b}: ", b13_T(loc, 'network Casa, password|Netz Casa, Passwort|réseau Casa, mot de passe|red Casa, contraseña|rete Casa, password|netwerk Casa, wachtwoord'), " ", b13_PW(r), "\n",
            f"{t()} {a}: ", b13_T(loc, 'and the landlord’s number?|und die Nummer vom Vermieter?|et le numéro du proprio ?|¿y el número del casero?|e il numero del padrone di casa?|en het nummer van de verhuurder?'), "\n",
            f"{t()} {b}: ", b13_PH(r, loc), f"\n{t()} {b}: {b13_la(f, r, loc, 3)}\n", f"{t()} {a}: <Media omitted>\n"]


def B13_sms_backup_xml(f, r, loc):
    out = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"3\" backup_set=\"" + str(f.uuid4()) + "\">\n"]
    for _ in range(3):
        k = r.randrange(4)
        out += ["  <sms protocol=\"0\" address=\"", b13_PH(r, loc, 0.05, r.choice(["e164", "nat"])), f"\" date=\"{r.randint(1_790_000_000, 1_796_000_000)}{rnd(r, B13_DIG, 3)}\" type=\"{r.choice([1, 2])}\" body=\""]
        if k == 0:
            out += [b13_T(loc, 'Your code is|Ihr Code lautet|Votre code est|Su código es|Il tuo codice è|Je code is'), f" {rnd(r, B13_DIG, 6)}. {b13_la(f, r, loc, 12)}"]
        elif k == 1:
            out += [b13_T(loc, 'new router pw|neues Router-PW|nouveau mdp box|nueva clave del router|nuova password router|nieuw routerwachtwoord'), " ", b13_PW(r, safe=True)]
        elif k == 2:
            out += [b13_T(loc, 'IBAN for the rent|IBAN für die Miete|IBAN pour le loyer|IBAN para el alquiler|IBAN per l’affitto|IBAN voor de huur'), " ", b13_IBAN(r, loc)]
        else:
            out += [f"{b13_la(f, r, loc, 13)} {b13_la(f, r, loc, 14)}"]
        out += ["\" read=\"1\" status=\"-1\" contact_name=\"" + f.first_name() + "\" />\n"]
    return out + ["</smses>\n"]


def B13_voicemail(f, r, loc):
    fn, ln = b13_who(f)
    return [f"Voicemail from ", b13_PH(r, loc, 0.1, "e164"), f" · {r.randint(0, 2)}:{r.randint(10, 59)} · {b13_when(r, loc, 3, 0)}\n",
            "Transcript: \"", b13_T(loc, 'Hi, it’s|Hallo, hier ist|Bonjour, c’est|Hola, soy|Ciao, sono|Hoi, met'), f" {fn} {ln}, ",
            b13_T(loc, 'about my order|wegen meiner Bestellung|pour ma commande|sobre mi pedido|per il mio ordine|over mijn bestelling'), f" {b13_phoneish(r)}. ",
            b13_T(loc, 'Call me back on|Rufen Sie mich an unter|Rappelez-moi au|Llámeme al|Mi richiami al|Bel me terug op'), " ", b13_PH(r, loc, 0.0, "nat"), ", ",
            b13_T(loc, 'or email|oder per Mail|ou par mail|o por correo|o via mail|of mail'), " ", b13_EM(f, r, fn, ln), ". ",
            b13_T(loc, 'My date of birth for verification is|Mein Geburtsdatum zur Prüfung:|Ma date de naissance pour vérifier :|Mi fecha de nacimiento para verificar:|La mia data di nascita per la verifica:|Mijn geboortedatum ter controle:'), " ", b13_DOB(r, loc, 1), ".\"\n"]


def B13_format_patch(f, r, loc):
    fn, ln = b13_who(f)
    key = b13_anysecret(r)
    return [f"From {rnd(r, HEX, 40)} Mon Sep 17 00:00:00 2001\nFrom: {fn} {ln} <", b13_EM(f, r, fn, ln), ">\n",
            f"Date: {b13_la(f, r, loc, 6)}\nSubject: [PATCH {r.randint(1, 3)}/3] config: move credentials to env\n\n---\n config/settings.py | 4 ++--\n\n",
            f"diff --git a/config/settings.py b/config/settings.py\nindex {rnd(r, HEX, 7)}..{rnd(r, HEX, 7)} 100644\n--- a/config/settings.py\n+++ b/config/settings.py\n@@ -12,8 +12,8 @@\n",
            "-DB_PASSWORD = '", b13_PW(r, safe=True), "'\n+DB_PASSWORD = os.environ['DB_PASSWORD']\n", "-API_KEY = \"", key, "\"\n+API_KEY = os.environ.get('API_KEY')\n",
            " SUPPORT_EMAIL = '", b13_EM(f, r), "'\n", f" TIMEOUT = 30\n-- \n2.4{r.randint(0, 7)}.{r.randint(0, 3)}\n"]


def B13_circleci_fail(f, r, loc):
    return [f"#!/bin/bash -eo pipefail\n./scripts/deploy.sh\n+ export AWS_ACCESS_KEY_ID=", b13_VK(r, "AWS_ACCESS_KEY"), "\n+ export AWS_SECRET_ACCESS_KEY=", b13_GS(r),
            "\n+ export NPM_TOKEN=", r.choice(B13_STANDINS), "\n+ export ",
            r.choice([["ANTHROPIC_API_KEY=", b13_VK(r, "ANTHROPIC_KEY")], ["SLACK_BOT_TOKEN=", b13_VK(r, "SLACK_TOKEN")], ["EVAL_JWT=", b13_VK(r, "JWT")]]), "\n+ curl -fsS -u deploy:", b13_PW(r, safe=True), f" https://artifacts.corp.lan/upload\ncurl: (22) The requested URL returned error: 401\n",
            f"Exited with code exit status 22\nCircleCI received exit code 22\n{b13_la(f, r, loc, 31)} {b13_la(f, r, loc, 5)}\n"]


def B13_cfn_deploy(f, r, loc):
    return [f"$ aws cloudformation deploy --stack-name {r.choice(['crm', 'web', 'etl'])}-prod --template-file stack.yml --parameter-overrides \\\n",
            "    DBMasterPassword=", b13_PW(r, safe=True), " \\\n    AlertEmail=", b13_EM(f, r), " \\\n    SlackWebhookToken=", b13_VK(r, "SLACK_TOKEN"), " \\\n",
            f"    AllowedPort={r.choice([443, 8443])} \\\n    MinPasswordLength=14 \\\n    ImageTag={b13_la(f, r, loc, 5).split()[-1]}\n",
            f"\nWaiting for changeset to be created..\nSuccessfully created/updated stack - {r.choice(['crm', 'web', 'etl'])}-prod\n"]


def B13_ansible_inventory(f, r, loc):
    out = ["[web]\n"]
    for i in range(r.randint(2, 3)):
        out += [f"web{i + 1} ansible_host=", b13_IP4(r), f" ansible_port={r.choice([22, 2222])}\n"]
    out += ["\n[db]\ndb1 ansible_host=", b13_IP(r, 0.4), " ansible_user=postgres ansible_password=", b13_PW(r, safe=True), "\n\n",
            "[all:vars]\nansible_become_pass=", b13_PW(r, safe=True), "\nadmin_mail=", b13_EM(f, r), f"\n# {b13_la(f, r, loc, 18)}\n"]
    return out


def B13_apache_vhost(f, r, loc):
    return [f"<VirtualHost *:443>\n    ServerName {r.choice(['crm', 'wiki', 'erp'])}.{r.choice(['kaltstahl.de', 'smit-bouw.nl', 'santoro.it'])}\n    ServerAdmin ", b13_EM(f, r), "\n",
            "    SetEnv PAYMENT_API_KEY ", b13_anysecret(r), "\n    SetEnv DB_PASS ", b13_PW(r, safe=True), "\n",
            "    RequestHeader set Authorization \"Bearer ", b13_VK(r, r.choice(["JWT", "GITHUB_TOKEN", "OPENAI_KEY"])), "\"\n",
            "    ProxyPass /api http://", b13_IP4(r), ":8080/api\n", "    <RequireAny>\n        Require ip ", b13_IP4(r), "\n        Require ip ", b13_IP6(r), "\n    </RequireAny>\n",
            f"    # {b13_la(f, r, loc, 5)}\n</VirtualHost>\n"]


def B13_envrc(f, r, loc):
    return ["# .envrc — loaded by direnv, do NOT commit\n", "export DATABASE_URL=", b13_dsn(r), "\n",
            f"export ANTHROPIC_API_KEY=", b13_VK(r, "ANTHROPIC_KEY") if r.random() < 0.8 else b13_PHOLD(r, "ANTHROPIC_KEY"), "\n",
            "export GOOGLE_MAPS_KEY=", b13_VK(r, "GOOGLE_API_KEY"), "\n", "# export STRIPE_KEY=", r.choice(B13_STANDINS), "\n",
            "export STRIPE_SECRET_KEY=", b13_VK(r, "STRIPE_KEY"), "\n", f"export {r.choice(['PASSWORD_MIN_LENGTH=12', 'TOKEN_TTL=900', 'SECRET_ROTATION_DAYS=30'])}\n",
            "export JWT_SECRET=", b13_GS(r), "\n", "export OWNER_PHONE=", b13_PH(r, loc, 0, "e164"), f"\n# {b13_la(f, r, loc, 6)}\n",
            ["export SFTP_KEY=\"", b13_PEM(r), "\"\n"] if r.random() < 0.45 else ""]


def B13_datadog_alert(f, r, loc):
    return [f"[Triggered] High 5xx on checkout-api  {b13_la(f, r, loc, 6)}\n",
            f"Monitor #{rnd(r, B13_DIG, 8)} · env:prod · service:checkout\n\nSample log:\n",
            "  POST /v1/charges 502 client=", b13_IP(r), " email=", b13_EM(f, r), " card=", b13_CC(r), " cvc=", b13_CVV(r), "\n",
            f"  {b13_la(f, r, loc, 31)}\n", "  upstream stripe key=", b13_VK(r, "STRIPE_KEY"), "\n",
            f"Notify: @pagerduty-checkout @", b13_EM(f, r), f"\n{b13_la(f, r, loc, 29)}\n"]


def B13_confluence_onboarding(f, r, loc):
    fn, ln = b13_who(f)
    return [f"{b13_T(loc, 'Welcome|Willkommen|Bienvenue|Bienvenida|Benvenuto|Welkom')} {fn}! / Space: IT-Onboarding / {b13_when(r, loc, 10, 0)}\n\n",
            "h2. Accounts\n", "* Laptop login: ", b13_ascii(fn) or "user", ", ", b13_pw_said(r, loc), "\n",
            "* VPN gateway: ", b13_IP4(r), f" ({b13_la(f, r, loc, 29)})\n", "* Service desk: ", b13_PH(r, loc), " / ", b13_EM(f, r), "\n",
            f"* {b13_la(f, r, loc, 17)}\n", "* AI assistant (team key, do not share): ", b13_VK(r, r.choice(["ANTHROPIC_KEY", "ANTHROPIC_KEY", "OPENAI_KEY"])), "\n", "* Git: ", b13_T(loc, 'use your own token, e.g.|eigenes Token, z. B.|votre propre jeton, ex.|tu propio token, p. ej.|il tuo token, es.|je eigen token, bv.'), " ", b13_PHOLD(r, "GITHUB_TOKEN"), "\n"]


def B13_asana_task(f, r, loc):
    fn, ln = b13_who(f)
    return [f"Task: {b13_T(loc, 'Update supplier bank details|Lieferanten-Bankdaten ändern|Mettre à jour le RIB fournisseur|Actualizar datos bancarios del proveedor|Aggiornare IBAN fornitore|Bankgegevens leverancier bijwerken')} — {b13_company(f, r, loc)}\n",
            f"Due {b13_when(r, loc, 0, 14)} · Assignee {fn} {ln}\n\n", b13_T(loc, 'Old|Alt|Ancien|Antiguo|Vecchio|Oud'), ": ", b13_IBAN(r, loc), "\n",
            b13_T(loc, 'New|Neu|Nouveau|Nuevo|Nuovo|Nieuw'), ": ", b13_IBAN(r, loc), "\n", f"{b13_la(f, r, loc, 10)}  ← {b13_T(loc, 'typo in their letter|Tippfehler im Brief|coquille dans leur courrier|errata en su carta|refuso nella lettera|typfout in hun brief')}\n",
            b13_T(loc, 'Confirmed by phone with|Telefonisch bestätigt mit|Confirmé par téléphone avec|Confirmado por teléfono con|Confermato al telefono con|Telefonisch bevestigd met'), " ", b13_PH(r, loc), "\n"]


def B13_teams_invite(f, r, loc):
    return [f"{b13_T(loc, 'Microsoft Teams meeting|Microsoft Teams-Besprechung|Réunion Microsoft Teams|Reunión de Microsoft Teams|Riunione di Microsoft Teams|Microsoft Teams-vergadering')}\n",
            f"{b13_la(f, r, loc, 12)}\n", b13_T(loc, 'Dial in by phone|Telefonische Einwahl|Participer par téléphone|Unirse por teléfono|Partecipa per telefono|Inbellen via telefoon'), "\n",
            b13_PH(r, loc, 0.0, "intl"), f",,{rnd(r, B13_DIG, 9)}# {b13_city(r, loc)}\n", f"{b13_T(loc, 'Phone conference ID|Konferenz-ID|ID de conférence|Id. de conferencia|ID conferenza|Conferentie-id')}: {rnd(r, B13_DIG, 3)} {rnd(r, B13_DIG, 3)} {rnd(r, B13_DIG, 3)}#\n",
            "Organizer: ", b13_EM(f, r), f"\n{b13_la(f, r, loc, 14)}\n"]


def B13_mt103(f, r, loc):
    fn, ln = b13_who(f)
    return ["{1:F01" + rnd(r, B13_UPPER, 8) + "AXXX" + rnd(r, B13_DIG, 10) + "}{2:I103" + rnd(r, B13_UPPER, 8) + "XXXXN}\n",
            f":20:{rnd(r, B13_UPDIG, 16)}\n:23B:CRED\n:32A:{B13_TODAY.strftime('%y%m%d')}EUR{r.randint(100, 99999)},{rnd(r, B13_DIG, 2)}\n",
            ":50K:/", B13L("IBAN", b13_iban_value(r, loc).replace(" ", "")), f"\n{b13_company(f, r, loc).upper()[:35]}\n",
            ":59:/", B13L("IBAN", b13_iban_value(r, loc).replace(" ", "")), f"\n{fn.upper()} {ln.upper()}\n",
            f":70:{b13_la(f, r, loc, 2).upper()[:35]}\n:71A:SHA\n", f"// {b13_T(loc, 'ops contact|Ansprechpartner|contact|contacto|referente|contactpersoon')} ", b13_PH(r, loc), "\n"]


def B13_benefits_enrollment(f, r, loc):
    fn, ln = b13_who(f)
    bn = f.first_name()
    return [f"401(k) / BENEFITS ENROLLMENT — plan year {B13_TODAY.year + 1}\nEmployee: {fn} {ln}   SSN ", b13_SSN(r), "   Date of birth ", b13_DOB(r, "en_US"), "\n",
            f"Beneficiary: {bn} {ln} (spouse)   SSN ", b13_SSN(r), "   DOB ", b13_DOB(r, "en_US"), "\n",
            "Contact phone ", b13_PH(r, "en_US", 0.0), "   Personal e-mail ", b13_EM(f, r, fn, ln), "\n",
            f"Employer EIN {r.randint(10, 99)}-{rnd(r, B13_DIG, 7)}   {b13_la(f, r, loc, 16)}   signed {b13_when(r, 'en_US', 14, 0)}\n"]


def B13_fnol(f, r, loc):
    fn, ln = b13_who(f)
    on, ol = b13_who(f)
    return [f"{b13_T(loc, 'FIRST NOTICE OF LOSS|SCHADENMELDUNG|DÉCLARATION DE SINISTRE|PARTE DE SINIESTRO|DENUNCIA DI SINISTRO|SCHADEMELDING')}  {b13_la(f, r, loc, 37)}\n",
            f"{b13_T(loc, 'Date of accident|Unfalldatum|Date de l’accident|Fecha del accidente|Data del sinistro|Datum ongeval')}: {b13_when(r, loc, 20, 0)}   {b13_la(f, r, loc, 33)}\n",
            f"{b13_T(loc, 'Policyholder|Versicherungsnehmer|Assuré|Tomador|Contraente|Verzekeringnemer')}: {fn} {ln}, ", b13_dob_said(r, loc), ", ", b13_PH(r, loc), "\n",
            f"{b13_T(loc, 'Other party|Unfallgegner|Tiers|Contrario|Controparte|Tegenpartij')}: {on} {ol}, ", b13_PH(r, loc), f", {b13_la(f, r, loc, 33)}\n",
            b13_T(loc, 'Payout to|Auszahlung an|Versement sur|Pago a|Liquidazione su|Uitbetaling naar'), " ", b13_IBAN(r, loc), "\n"]


def B13_parking_appeal(f, r, loc):
    fn, ln = b13_who(f)
    return [f"{b13_T(loc, 'Re: Penalty charge notice|Betreff: Bußgeldbescheid|Objet : Avis de contravention|Asunto: Multa de aparcamiento|Oggetto: Verbale di contravvenzione|Betreft: Parkeerboete')} {rnd(r, B13_UPPER, 2)}{rnd(r, B13_DIG, 8)}\n\n",
            b13_T(loc, 'I was not parked there on|Ich stand dort nicht am|Je n’étais pas stationné le|No estaba aparcado el|Non ero parcheggiato il|Ik stond daar niet geparkeerd op'), f" {b13_when(r, loc, 40, 0)}; {b13_la(f, r, loc, 33)}. ",
            b13_T(loc, 'Please refund the fee to|Bitte erstatten Sie die Gebühr auf|Merci de rembourser sur|Devuelvan el importe a|Rimborsate su|Graag terugstorten op'), " ", b13_IBAN(r, loc), ".\n\n",
            f"{fn} {ln}\n", b13_PH(r, loc), "\n", b13_EM(f, r, fn, ln), "\n"]


def B13_graphql_http(f, r, loc):
    fn, ln = b13_who(f)
    return ["POST /graphql HTTP/2\nhost: api.shopfront.io\nauthorization: Bearer ", b13_VK(r, r.choice(["JWT", "JWT", "GITHUB_TOKEN"])), "\ncontent-type: application/json\n\n",
            "mutation { updateCustomer(id: \"gid://shop/Customer/", rnd(r, B13_DIG, 13), "\", input: { email: \"", b13_EM(f, r, fn, ln), "\", phone: \"",
            b13_PH(r, loc, 0.0, "e164"), "\", note: \"", b13_la(f, r, loc, 0), "\" }) { id updatedAt } }\n\n",
            "HTTP/2 200\nx-request-id: ", str(f.uuid4()), "\n{\"data\":{\"updateCustomer\":{\"id\":\"", rnd(r, B13_DIG, 13), "\",\"updatedAt\":\"", b13_la(f, r, loc, 6), "\"}}}\n"]


def B13_shell_mysql(f, r, loc):
    u = f.user_name()
    return [f"{u}@bastion:~$ mysql -h ", b13_IP4(r), " -u admin -p", b13_PW(r, safe=True), " shop\n",
            "mysql: [Warning] Using a password on the command line interface can be insecure.\n",
            "mysql> SELECT id, email, phone FROM customers WHERE id = ", str(r.randint(1000, 99999)), ";\n+-------+------------------------------+-----------------+\n",
            "| id    | email                        | phone           |\n", f"| {r.randint(1000, 99999)} | ", b13_EM(f, r), " | ", b13_PH(r, loc), " |\n",
            "+-------+------------------------------+-----------------+\n1 row in set (0.00 sec)\n\n",
            r.choice([[f"{u}@bastion:~$ sshpass -p '", b13_PW(r, safe=True), "' ssh deploy@", b13_IP(r), " 'systemctl restart shop'\n"],
                      [f"{u}@bastion:~$ mysqldump --host=", b13_IP4(r), " --user=backup --password=", b13_PW(r, safe=True), " --single-transaction shop > shop.sql\n"],
                      [f"{u}@bastion:~$ PGPASSWORD=", b13_PW(r, safe=True), " psql -h ", b13_IP(r, 0.2), " -U report -c 'select 1'\n"]]),
            f"{u}@bastion:~$ # {b13_la(f, r, loc, 17)}\n"]


def B13_tenant_portal_mail(f, r, loc):
    fn, ln = b13_who(f)
    return [f"{b13_T(loc, 'Subject: Your resident portal account|Betreff: Ihr Mieterportal-Zugang|Objet : Votre compte locataire|Asunto: Su cuenta del portal de inquilinos|Oggetto: Il tuo account inquilino|Onderwerp: Uw huurdersportaal')}\n\n",
            f"{b13_T(loc, 'Dear|Sehr geehrte/r|Cher/Chère|Estimado/a|Gentile|Beste')} {fn} {ln},\n", b13_T(loc, 'your login is|Ihr Login lautet|votre identifiant est|su usuario es|il suo login è|uw login is'), " ", b13_EM(f, r, fn, ln), " ",
            b13_T(loc, 'and your first-time password|und Ihr Erstpasswort|et votre mot de passe initial|y su contraseña inicial|e la password iniziale|en uw eerste wachtwoord'), " ", b13_PW(r), ".\n",
            f"{b13_la(f, r, loc, 17)}.\n", b13_T(loc, 'Rent is collected from|Die Miete wird abgebucht von|Le loyer est prélevé sur|El alquiler se cobra de|L’affitto è addebitato su|De huur wordt afgeschreven van'), " ", b13_IBAN(r, loc), f" ({b13_la(f, r, loc, 32)}).\n",
            b13_T(loc, 'Caretaker|Hausmeister|Gardien|Conserje|Portiere|Huismeester'), ": ", b13_PH(r, loc), "\n",
            ["The credit check ran against SSN ", b13_SSN(r), f"; {b13_la(f, r, loc, 16)}\n"] if loc == "en_US" or r.random() < 0.1 else ""]


def B13_gh_secret_scan(f, r, loc):
    typ = r.choice(B13_VENDOR_TYPES)
    return [f"GitHub secret scanning alert #{r.randint(1, 400)} · {r.choice(['open', 'open', 'resolved'])}\n",
            f"Secret type: {typ.replace('_', ' ').title()}\nDetected in: src/{r.choice(['settings', 'client', 'legacy'])}.{r.choice(['py', 'ts', 'go'])}:{r.randint(3, 400)} ({rnd(r, HEX, 7)})\n",
            "Value: ", b13_VK(r, typ), "\n", f"Pushed by {f.user_name()} on {b13_when(r, loc, 30, 0)}\n",
            f"Also found (ignored, docs): {r.choice(B13_STANDINS)} and ", b13_PHOLD(r), "\n"]


def B13_tmux_capture(f, r, loc):
    u = f.user_name()
    h = r.choice(["build-03", "jump", "nas", "ci-runner"])
    return [f"[{h}] 0:bash* 1:vim-  \"{h}\" {r.randint(0, 23):02d}:{r.randint(10, 59)} {b13_when(r, loc, 2, 0)}\n",
            f"{u}@{h}:~/infra$ git status --short\n?? keys/deploy_ed25519\n{u}@{h}:~/infra$ cat keys/deploy_ed25519\n", b13_PEM(r), "\n",
            f"{u}@{h}:~/infra$ ssh -i keys/deploy_ed25519 git@", b13_IP(r), f" -p {r.choice([22, 2222])}\n",
            f"Warning: Permanently added '[{h}]' (ED25519) to the list of known hosts.\n{u}@{h}:~/infra$ # {b13_la(f, r, loc, 7)}\n"]


def B13_trade_quote(f, r, loc):
    return [f"{b13_T(loc, 'ESTIMATE|KOSTENVORANSCHLAG|DEVIS|PRESUPUESTO|PREVENTIVO|OFFERTE')} — {b13_company(f, r, loc)}\n{b13_street(f, r, loc)}, {b13_postcode(r, loc)} {b13_city(r, loc)}\n\n{b13_la(f, r, loc, 2)}   {b13_T(loc, 'valid 30 days from|gültig 30 Tage ab|valable 30 jours à partir du|válido 30 días desde|valido 30 giorni dal|30 dagen geldig vanaf')} {b13_when(r, loc, 30, 0)}\n",
            f"{b13_la(f, r, loc, 43)}   {b13_la(f, r, loc, 22)}\n{b13_la(f, r, loc, 24)}\n\n", b13_T(loc, 'Deposit (30%) to|Anzahlung (30 %) auf|Acompte (30 %) sur|Señal (30%) a|Acconto (30%) su|Aanbetaling (30%) op'), " ", b13_IBAN(r, loc), f"\n{b13_la(f, r, loc, 34)}\n",
            b13_T(loc, 'Questions|Fragen|Questions|Dudas|Domande|Vragen'), ": ", b13_EM(f, r), " · ", b13_PH(r, loc), f"\n{b13_la(f, r, loc, 40)}\n"]


def B13_k8s_configmap_yaml(f, r, loc):
    return ["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-settings\n  namespace: " + r.choice(["shop", "crm", "data"]) + "\ndata:\n",
            "  SMTP_HOST: smtp.mailgun.org\n  SMTP_USER: ", b13_EM(f, r), "\n  SMTP_PASSWORD: ", b13_PW(r, safe=True), "   # TODO move to Secret\n",
            f"  PASSWORD_POLICY: \"min=12\"\n  TOKEN_TTL: \"3600\"\n", "  OPENAI_API_KEY: ", b13_VK(r, "OPENAI_KEY"), "\n  ALLOWED_IP: ", b13_IP4(r), "\n  MAPS_API_KEY: ", b13_VK(r, "GOOGLE_API_KEY"), "\n",
            f"  BUILD: \"{b13_la(f, r, loc, 5)}\"\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app-keys\nstringData:\n  signing_key: ", b13_GS(r), "\n"]


B13_TEXT_KINDS = [B13_linear_issue, B13_notion_runbook, B13_loki, B13_splunk, B13_caddyfile, B13_traefik_labels, B13_consul_kv, B13_etcd,
                  B13_bitwarden_csv, B13_chrome_pw_csv, B13_pgdump_copy, B13_mongosh, B13_openapi_example, B13_paypal_ipn, B13_crm_call,
                  B13_patient_intake, B13_prescription, B13_lab_result, B13_eticket, B13_payroll_csv, B13_timesheet, B13_membership_card,
                  B13_student_record, B13_guest_list, B13_customs_cn23, B13_manifest, B13_classified, B13_dating_msg, B13_ats_export,
                  B13_linkedin_msg, B13_whatsapp, B13_sms_backup_xml, B13_voicemail, B13_format_patch, B13_circleci_fail, B13_cfn_deploy,
                  B13_ansible_inventory, B13_apache_vhost, B13_envrc, B13_datadog_alert, B13_confluence_onboarding, B13_asana_task,
                  B13_teams_invite, B13_mt103, B13_benefits_enrollment, B13_fnol, B13_parking_appeal, B13_graphql_http, B13_shell_mysql,
                  B13_tenant_portal_mail, B13_gh_secret_scan, B13_tmux_capture, B13_trade_quote, B13_k8s_configmap_yaml]


def b13_text(f, r, loc):
    return b13_flat(r.choice(B13_TEXT_KINDS)(f, r, loc))


# ----- JSON documents (tool calls, tool results, API records) -----

B13_EMBEDDABLE = [k for k in B13_TEXT_KINDS if k not in (B13_tmux_capture, B13_envrc)]  # their PEM keeps real line breaks


def b13_jtext(f, r, loc):
    return b13_js(r.choice(B13_EMBEDDABLE)(f, r, loc))


def b13_arr(*vals):
    """A JSON array of strings (each element its own piece list)."""
    return [b13_js(v) for v in vals]


def B13_j_mcp_linear(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 50000), "method": "tools/call",
            "params": {"name": r.choice(["linear_create_comment", "notion_append_block", "confluence_update_page", "asana_add_story"]),
                       "arguments": {"issueId": f"{rnd(r, B13_UPPER, 3)}-{r.randint(10, 9999)}", "body": b13_jtext(f, r, loc),
                                     "labels": b13_arr("customer", b13_la(f, r, loc, 1)), "notify": r.random() < 0.5}},
            "_meta": {"progressToken": rnd(r, AN, 12)}}


def B13_j_mcp_result(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 50000),
            "result": {"content": [{"type": "text", "text": b13_jtext(f, r, loc)}],
                       "structuredContent": {"matches": r.randint(1, 40), "query": b13_js(b13_la(f, r, loc)), "cursor": rnd(r, B13_URLS, 24)}, "isError": False}}


def B13_j_fn_arguments(f, r, loc):
    fn, ln = b13_who(f)
    return {"id": "chatcmpl-" + rnd(r, AN, 29), "object": "chat.completion", "model": "gpt-4o-2024-11-20",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_" + rnd(r, AN, 24), "type": "function", "function": {"name": "create_refund", "arguments": {
                    "customer": {"name": b13_js(f"{fn} {ln}"), "email": [b13_EM(f, r, fn, ln)], "phone": [b13_PH(r, loc)]},
                    "refund_to": {"iban": [b13_IBAN(r, loc)]} if r.random() < 0.6 else {"card_last4": rnd(r, B13_DIG, 4), "original": b13_js(b13_la(f, r, loc, 9))},
                    "reason": b13_js(b13_la(f, r, loc, 0), "; ", b13_la(f, r, loc, 17)), "tax_id": [b13_SSN(r)] if loc == "en_US" else b13_js(b13_la(f, r, loc, 20))}}}]}}],
            "usage": {"prompt_tokens": r.randint(200, 4000), "completion_tokens": r.randint(20, 300)}}


def B13_j_github_issue(f, r, loc):
    u = f.user_name()
    return {"url": f"https://api.github.com/repos/{u}/app/issues/{r.randint(1, 3000)}", "number": r.randint(1, 3000), "state": "open",
            "title": b13_js(b13_T(loc, 'Login broken after upgrade|Login nach Upgrade kaputt|Connexion cassée après mise à jour|Login roto tras actualizar|Login rotto dopo aggiornamento|Inloggen kapot na upgrade')),
            "user": {"login": u, "id": r.randint(10000, 99999999), "type": "User"},
            "body": b13_js("Steps:\n1. set env\n```\nexport GITHUB_TOKEN=", b13_VK(r, "GITHUB_TOKEN"), "\nexport DB_URL=", b13_dsn(r),
                           ["\nexport OPENAI_API_KEY=", b13_VK(r, "OPENAI_KEY")] if r.random() < 0.6 else "", "\n```\n2. run ",
                           b13_la(f, r, loc, 5), "\nError from ", b13_IP(r), f"\n{b13_la(f, r, loc, 31)}"),
            "labels": [{"name": "bug"}, {"name": "needs-triage"}], "created_at": f"{b13_day(r, 30, 0).isoformat()}T{r.randint(0, 23):02d}:{r.randint(10, 59)}:00Z",
            "reactions": {"total_count": r.randint(0, 9), "+1": r.randint(0, 5)}}


def B13_j_cloudtrail(f, r, loc):
    return {"Records": [{"eventVersion": "1.09", "userIdentity": {"type": "AssumedRole", "principalId": "AROA" + rnd(r, B13_UPDIG, 17) + ":" + f.user_name(),
            "arn": f"arn:aws:sts::{rnd(r, B13_DIG, 12)}:assumed-role/Deploy/{f.user_name()}", "accountId": rnd(r, B13_DIG, 12), "accessKeyId": [b13_VK(r, "AWS_ACCESS_KEY")]},
            "eventTime": f"{B13_TODAY.isoformat()}T{r.randint(0, 23):02d}:{r.randint(10, 59)}:{r.randint(10, 59)}Z", "eventSource": "secretsmanager.amazonaws.com",
            "eventName": "PutSecretValue", "awsRegion": r.choice(["eu-central-1", "eu-west-1", "us-east-1"]), "sourceIPAddress": [b13_IP(r, 0.25)],
            "userAgent": f"aws-cli/2.{r.randint(10, 22)}.{r.randint(0, 9)}", "requestParameters": {"secretId": "prod/db", "secretString": b13_js("{'username':'app','password':'", b13_PW(r, safe=True), "'}")},
            "responseElements": None, "requestID": str(f.uuid4()), "eventID": str(f.uuid4())}]}


def B13_j_guardduty(f, r, loc):
    return {"SchemaVersion": "2.0", "Type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "Severity": r.choice([5, 8]),
            "Resource": {"ResourceType": "AccessKey", "AccessKeyDetails": {"AccessKeyId": [b13_VK(r, "AWS_ACCESS_KEY")], "UserName": f.user_name()}},
            "Service": {"Action": {"AwsApiCallAction": {"Api": "ListBuckets", "RemoteIpDetails": {"IpAddressV4": [b13_IP4(r)], "Organization": {"Asn": str(r.randint(1000, 65000))}}}},
                        "Count": r.randint(1, 40), "EventFirstSeen": b13_js(b13_la(f, r, loc, 6))},
            "Id": rnd(r, HEX, 32), "Title": b13_js("Credentials for instance role used from external IP")}


def B13_j_tfstate(f, r, loc):
    return {"version": 4, "terraform_version": f"1.{r.randint(5, 10)}.{r.randint(0, 5)}", "serial": r.randint(1, 900), "lineage": str(f.uuid4()),
            "resources": [{"mode": "managed", "type": "aws_db_instance", "name": "main", "provider": "provider[registry.terraform.io/hashicorp/aws]",
                           "instances": [{"attributes": {"address": f"main.{rnd(r, B13_LOWDIG, 12)}.eu-central-1.rds.amazonaws.com", "username": "dbadmin",
                                                         "password": [b13_PW(r)], "port": 5432, "identifier": "main"}, "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]]}]},
                          {"mode": "managed", "type": "aws_iam_access_key", "name": "ci",
                           "instances": [{"attributes": {"id": [b13_VK(r, "AWS_ACCESS_KEY")], "secret": [b13_GS(r)], "user": "ci-bot", "status": "Active",
                                                         "create_date": f"{b13_day(r, 300, 0).isoformat()}T08:00:00Z"}}]},
                          {"mode": "managed", "type": "tls_private_key", "name": "deploy",
                           "instances": [{"attributes": {"algorithm": "RSA", "private_key_pem": [b13_PEM(r, "\\n")], "rsa_bits": 4096}}]}]}


def B13_j_graphql(f, r, loc):
    fn, ln = b13_who(f)
    return {"query": "mutation Upsert($input: ContactInput!) { upsertContact(input: $input) { id } }", "operationName": "Upsert",
            "variables": {"input": {"firstName": fn, "lastName": b13_js(ln), "email": [b13_EM(f, r, fn, ln)], "phone": [b13_PH(r, loc)],
                                    "birthday": [b13_DOB(r, loc, 0)], "note": b13_js(b13_la(f, r, loc), " / ", b13_la(f, r, loc))}},
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": rnd(r, HEX, 64)}}}


def B13_j_adyen(f, r, loc):
    return {"live": "true", "notificationItems": [{"NotificationRequestItem": {
        "eventCode": r.choice(["AUTHORISATION", "REFUND", "CHARGEBACK"]), "success": "true", "pspReference": rnd(r, B13_UPDIG, 16),
        "merchantReference": b13_js(b13_la(f, r, loc, 0)), "amount": {"value": r.randint(100, 90000), "currency": "EUR"},
        "additionalData": {"shopperEmail": [b13_EM(f, r)], "shopperIP": [b13_IP(r)], "cardSummary": rnd(r, B13_DIG, 4), "expiryDate": f"{r.randint(1, 12)}/{r.randint(2027, 2031)}",
                           "cardBin": rnd(r, B13_DIG, 6), "hmacSignature": base64.b64encode(bytes(r.randrange(256) for _ in range(32))).decode(), "shopperTelephone": [b13_PH(r, loc, 0.1, "e164")]},
        "eventDate": f"{B13_TODAY.isoformat()}T{r.randint(0, 23):02d}:{r.randint(10, 59)}:00+01:00"}}]}


def B13_j_plaid(f, r, loc):
    fn, ln = b13_who(f)
    return {"accounts": [{"account_id": rnd(r, AN, 37), "name": b13_js(b13_T(loc, 'Current account|Girokonto|Compte courant|Cuenta corriente|Conto corrente|Betaalrekening')), "type": "depository",
                          "balances": {"available": r.randint(10, 9000), "iso_currency_code": "EUR"}}],
            "numbers": {"international": [{"account_id": rnd(r, AN, 37), "iban": [B13L("IBAN", b13_iban_value(r, loc).replace(" ", ""))], "bic": f"{rnd(r, B13_UPPER, 4)}{B13_HOME[loc]}{rnd(r, B13_UPDIG, 2)}"}]},
            "owners": [{"names": b13_arr(f"{fn} {ln}"), "emails": [{"data": [b13_EM(f, r, fn, ln)], "primary": True}], "phone_numbers": [{"data": [b13_PH(r, loc)], "type": "mobile"}]}],
            "item": {"item_id": rnd(r, AN, 37), "institution_id": f"ins_{r.randint(1, 200000)}"}, "request_id": rnd(r, AN, 15),
            "access_token": [B13L("GENERIC_SECRET", "access-production-" + str(f.uuid4()))]}


def B13_j_sheet_aoa(f, r, loc):
    head = [b13_T(loc, 'Name|Name|Nom|Nombre|Nome|Naam'), "E-mail", b13_T(loc, 'Phone|Telefon|Téléphone|Teléfono|Telefono|Telefoon'), "IBAN", b13_T(loc, 'Note|Notiz|Note|Nota|Nota|Notitie')]
    rows = [b13_arr(*head)]
    for _ in range(r.randint(2, 5)):
        fn, ln = b13_who(f)
        rows.append([b13_js(f"{fn} {ln}"), b13_js(b13_EM(f, r, fn, ln)), b13_js(b13_PH(r, loc)),
                     b13_js(b13_IBAN(r, loc)) if r.random() < 0.7 else b13_js(b13_badiban(r, loc)), b13_js(b13_la(f, r, loc))])
    return {"range": f"Sheet1!A1:E{len(rows)}", "majorDimension": "ROWS", "values": rows}


def B13_j_datadog_logs(f, r, loc):
    data = []
    for _ in range(r.randint(2, 4)):
        k = r.randrange(4)
        if k == 0:
            msg = b13_js("password reset for ", b13_EM(f, r), " from ", b13_IP(r))
        elif k == 1:
            msg = b13_js("auth header: Bearer ", b13_VK(r), " rejected")
        elif k == 2:
            msg = b13_js("retrying webhook ", b13_la(f, r, loc, 31), " secret=", b13_GS(r))
        else:
            msg = b13_js(b13_la(f, r, loc, 17), " ", b13_la(f, r, loc, 18))
        data.append({"id": rnd(r, AN, 40), "type": "log", "attributes": {"service": r.choice(["auth", "billing", "edge"]), "status": r.choice(["error", "warn"]),
                     "message": msg, "timestamp": b13_js(b13_la(f, r, loc, 6)), "host": f"ip-{rnd(r, B13_DIG, 2)}-{rnd(r, B13_DIG, 2)}-{rnd(r, B13_DIG, 2)}-{rnd(r, B13_DIG, 2)}"}})
    return {"data": data, "meta": {"page": {"after": rnd(r, B13_URLS, 40)}, "status": "done"}}


def B13_j_fhir(f, r, loc):
    fn, ln = b13_who(f)
    res = {"resourceType": "Patient", "id": rnd(r, B13_LOWDIG, 16), "meta": {"lastUpdated": f"{b13_day(r, 50, 0).isoformat()}T09:00:00Z"},
           "name": [{"family": b13_js(ln), "given": b13_arr(fn)}], "birthDate": [B13L("DATE_OF_BIRTH", b13_dob_day(r).isoformat())],
           "telecom": [{"system": "phone", "value": [b13_PH(r, loc)], "use": "mobile"}, {"system": "email", "value": [b13_EM(f, r, fn, ln)]}],
           "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": rnd(r, B13_DIG, 8)}]}
    if loc == "en_US":
        res["identifier"].append({"system": "http://hl7.org/fhir/sid/us-ssn", "value": [b13_SSN(r, "-")]})
    return {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [{"fullUrl": f"urn:uuid:{f.uuid4()}", "resource": res}]}


def B13_j_bitwarden_json(f, r, loc):
    items = []
    for _ in range(r.randint(2, 3)):
        site = r.choice(["bank", "router", "payroll", "nas", "email"])
        items.append({"id": str(f.uuid4()), "type": 1, "name": site, "login": {"username": [b13_EM(f, r)], "password": [b13_PW(r)],
                      "uris": [{"uri": f"https://{site}.example.net"}], "totp": None}, "notes": b13_js(r.choice(["", b13_la(f, r, loc, 17), b13_la(f, r, loc, 19)]))})
    items.append({"id": str(f.uuid4()), "type": 2, "name": "API", "notes": b13_js("key: ", b13_anysecret(r)), "secureNote": {"type": 0}})
    if r.random() < 0.6:
        items.append({"id": str(f.uuid4()), "type": 2, "name": r.choice(["deploy key", "server id_rsa", "sftp key"]), "notes": [b13_PEM(r, "\\n")], "secureNote": {"type": 0}})
    return {"encrypted": False, "folders": [], "items": items}


def B13_j_cfn_params(f, r, loc):
    return [{"ParameterKey": "DBPassword", "ParameterValue": [b13_PW(r)]}, {"ParameterKey": "AdminEmail", "ParameterValue": [b13_EM(f, r)]},
            {"ParameterKey": "PasswordMinLength", "ParameterValue": "14"}, {"ParameterKey": "TokenTTL", "ParameterValue": "3600"},
            {"ParameterKey": "GoogleMapsKey", "ParameterValue": [b13_VK(r, "GOOGLE_API_KEY") if r.random() < 0.75 else b13_PHOLD(r, "GOOGLE_API_KEY")]},
            {"ParameterKey": "StripeSecretKey", "ParameterValue": [b13_VK(r, "STRIPE_KEY")]}, {"ParameterKey": "OnCallPhone", "ParameterValue": [b13_PH(r, loc, 0.0, "e164")]}, {"ParameterKey": "ImageTag", "ParameterValue": b13_js(b13_la(f, r, loc, 5))}]


def B13_j_anthropic_tooluse(f, r, loc):
    return {"id": "msg_" + rnd(r, AN, 24), "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": b13_js(b13_T(loc, 'I will store the credentials.|Ich speichere die Zugangsdaten.|J’enregistre les identifiants.|Guardo las credenciales.|Salvo le credenziali.|Ik sla de inloggegevens op.'))},
                        {"type": "tool_use", "id": "toolu_" + rnd(r, AN, 24), "name": "vault_write",
                         "input": {"path": f"kv/{r.choice(['team', 'prod', 'shared'])}/{r.choice(['anthropic', 'openai', 'slack', 'smtp'])}",
                                   "data": {"key": [b13_VK(r, r.choice(["ANTHROPIC_KEY", "ANTHROPIC_KEY", "OPENAI_KEY", "SLACK_TOKEN"]))], "owner": [b13_EM(f, r)],
                                            "rotation": "token_ttl=30d", "example_from_docs": [b13_PHOLD(r)]}}}],
            "stop_reason": "tool_use", "usage": {"input_tokens": r.randint(100, 9000), "output_tokens": r.randint(10, 400)}}


def B13_j_square(f, r, loc):
    return {"merchant_id": rnd(r, B13_UPDIG, 13), "type": "payment.updated", "event_id": str(f.uuid4()), "created_at": f"{B13_TODAY.isoformat()}T10:{r.randint(10, 59)}:00Z",
            "data": {"type": "payment", "id": rnd(r, AN, 22), "object": {"payment": {"amount_money": {"amount": r.randint(100, 50000), "currency": "USD"},
                     "card_details": {"status": "CAPTURED", "card": {"card_brand": "VISA", "last_4": rnd(r, B13_DIG, 4), "exp_month": r.randint(1, 12), "exp_year": r.randint(2027, 2031)},
                                      "cvv_status": "CVV_ACCEPTED"}, "buyer_email_address": [b13_EM(f, r)],
                     "billing_address": {"address_line_1": b13_js(b13_street(f, r, loc)), "locality": b13_js(b13_city(r, loc))}, "note": b13_js(b13_la(f, r, loc), " ", b13_la(f, r, loc, 23)),
                     "receipt_number": rnd(r, B13_UPDIG, 4), "device_details": {"device_installation_id": str(f.uuid4())}}}}}


def B13_j_sms_webhook_batch(f, r, loc):
    msgs = []
    for _ in range(r.randint(2, 3)):
        k = r.randrange(3)
        body = {0: lambda: b13_js(b13_T(loc, 'my card|meine Karte|ma carte|mi tarjeta|la mia carta|mijn kaart'), " ", b13_CC(r), " cvv ", b13_CVV(r)),
                1: lambda: b13_js(b13_T(loc, 'born|geboren|né le|nacido el|nato il|geboren'), " ", b13_DOB(r, loc), ", ", b13_la(f, r, loc, 32)),
                2: lambda: b13_js(b13_la(f, r, loc, 0), " ", b13_la(f, r, loc, 13))}[k]()
        msgs.append({"from": [b13_PH(r, loc, 0.1, "e164")], "to": f"short:{r.randint(10000, 99999)}",
                     "text": body, "received": b13_js(b13_la(f, r, loc, 6))})
    return {"tool": "inbox.fetch_sms", "result": {"messages": msgs, "next": None}}


B13_JSON_KINDS = [B13_j_mcp_linear, B13_j_mcp_linear, B13_j_mcp_result, B13_j_mcp_result, B13_j_fn_arguments, B13_j_github_issue, B13_j_cloudtrail,
                  B13_j_guardduty, B13_j_tfstate, B13_j_graphql, B13_j_adyen, B13_j_plaid, B13_j_sheet_aoa, B13_j_datadog_logs, B13_j_fhir,
                  B13_j_bitwarden_json, B13_j_cfn_params, B13_j_anthropic_tooluse, B13_j_square, B13_j_sms_webhook_batch]


def b13_json(f, r, loc):
    return r.choice(B13_JSON_KINDS)(f, r, loc)


# ----- self-check -----

def b13_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b13_labels(y)]
    if isinstance(v, (list, tuple)):
        return [x for y in v for x in b13_labels(y)]
    return []


B13_VENDOR_RE = {
    "AWS_ACCESS_KEY": r"(AKIA|ASIA)[A-Z2-7]{16}",
    "GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_11[A-Z0-9]{20}_[A-Za-z0-9]{59}",
    "SLACK_TOKEN": r"xox[bp]-\d{12}-\d{13}-[A-Za-z0-9]{24}|xoxe\.xoxp-1-[A-Za-z0-9]{120}|xapp-1-A0[A-Z0-9]{9}-\d{13}-[0-9a-f]{64}",
    "STRIPE_KEY": r"(sk|rk)_live_[A-Za-z0-9]{24,99}",
    "OPENAI_KEY": r"sk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+",
    "ANTHROPIC_KEY": r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA",
    "GOOGLE_API_KEY": r"AIzaSy[A-Za-z0-9_-]{33}",
    "JWT": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    "PRIVATE_KEY": r"-----BEGIN ((RSA|EC|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----(\n|\\n)[A-Za-z0-9+/=\n\\]+-----END ((RSA|EC|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----",
}


def b13_value_ok(typ, v):
    if typ in B13_VENDOR_RE:
        if re.fullmatch(B13_VENDOR_RE[typ], v) is None or v in B13_PLACEHOLDER_SET or "EXAMPLE" in v.upper():
            return False
        if typ == "JWT":
            h = v.split(".")[0]
            return "alg" in json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        return True
    if typ == "CREDIT_CARD":
        d = v.replace(" ", "").replace("-", "")
        if not (d.isdigit() and b13_luhn_ok(d)):
            return False
        n = len(d)
        return (d[0] == "4" and n in (13, 16, 19)) or (51 <= int(d[:2]) <= 55 and n == 16) or (2221 <= int(d[:4]) <= 2720 and n == 16) or \
            (d[:2] in ("34", "37") and n == 15) or ((d[:4] == "6011" or 644 <= int(d[:3]) <= 649 or d[:2] == "65") and n == 16) or \
            (3528 <= int(d[:4]) <= 3589 and n == 16) or ((d[:2] in ("36", "38") or 300 <= int(d[:3]) <= 305) and n == 14) or (d[:2] == "62" and n == 16)
    if typ == "IBAN":
        d = v.replace(" ", "")
        return d[:2] in B13_IBAN and len(d) == B13_IBAN[d[:2]][0] and b13_mod97(d[4:] + d[:4]) == 1
    if typ == "US_SSN":
        m = re.fullmatch(r"(\d{3})([- ]?)(\d{2})\2(\d{4})", v)
        return m is not None and m.group(1) not in ("000", "666") and m.group(1)[0] != "9" and m.group(3) != "00" and m.group(4) != "0000"
    if typ in ("IPV4", "IPV6"):
        a = ipaddress.ip_address(v)
        return (a.version == 4) == (typ == "IPV4") and not (a.is_loopback or a.is_unspecified or a.is_multicast)
    if typ == "PHONE":
        return any(b13_phone_valid(v, reg) for reg in [None] + sorted(set(REGION.values())) + B13_FOREIGN)
    if typ == "EMAIL":
        return re.fullmatch(r"[A-Za-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}", v) is not None
    if typ == "DATE_OF_BIRTH":
        return re.search(r"(19|20)\d\d", v) is not None
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() or c in "\"'\\" for c in v) and v not in B13_STANDINS and v not in B13_PLACEHOLDER_SET
    if typ == "PLACEHOLDER":
        return v in B13_PLACEHOLDER_SET
    return False


def b13_check(i, kind, doc, w, text):
    """blind13's self-check: every span holds its label's text and a valid value for its type (Luhn and IIN,
    mod-97 and country length, SSN rules, libphonenumber, vendor shapes, JWT header decodes, placeholder list);
    a JSON document parses and no backslash escape stands between its string's start and a label."""
    want = b13_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp, got, lab_.text)
        assert b13_value_ok(lab_.typ, lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)
            assert b'"' not in w.buf[sp["start"]:sp["end"]], (i, sp)


# ---------- blind14 (seed 1515) ----------
# A fifteenth split written by an eleventh helper who never read the detection rules, their docs or
# history (nor the blind11/blind12/blind13 sections) and never ran the engine on it; labelled by the lead's
# taxonomy. Its own value generators, look-alikes (b14_la: booking / porting / claim / PNR / VIN / MLS /
# meter numbers, phone-shaped order and ticket numbers, versions, timestamps, hashes, UUIDs, IMEIs,
# meeting ids, tracking numbers, Luhn-failing cards, mod-97-failing IBANs, 9-digit non-SSNs, dates that
# are not birth dates, words after "password" that are no password) and document kinds (B14_TEXT_KINDS,
# B14_JSON_KINDS: deploy platforms, infra-as-code, app config, public-sector and clinical forms, vets,
# dealerships, telecoms, webhooks of Braintree/Mollie, SCIM, sign-in logs, Sentry, PagerDuty, Alertmanager...).
# Relative dates use B14_TODAY. Self-check: b14_check.

B14_TODAY = datetime.date(2026, 12, 13)
B14_LANG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B14_FOREIGN = ["CH", "BE", "AT", "IE", "PT", "SE", "DK", "LU", "CA", "AU", "NO"]
B14_D = string.digits
B14_U = string.ascii_uppercase
B14_UD = B14_U + B14_D
B14_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B14_URL = AN + "_-"


class B14L(L):
    """A labelled value kept verbatim."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b14_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out += b14_flat(*x)
        elif isinstance(x, L) or x:
            out.append(x)
    return out


def b14_js(*xs):
    """Pieces for one JSON string: plain text loses quotes/backslashes/line breaks (shown as ' | ')."""
    out = []
    for p in b14_flat(*xs):
        if isinstance(p, L):
            assert not any(c in p.text for c in '"\\\n\t\r'), p.text
            out.append(p)
        else:
            out.append(p.replace("\\", "/").replace('"', "'").replace("\r", "").replace("\n", " | ").replace("\t", " "))
    return out


def b14_lg(loc):
    return B14_LANG[loc]


def b14_tr(loc, **kw):
    return kw.get(b14_lg(loc), kw["en"])


def b14_arr(*items):
    """A JSON array of strings (Writer treats a list that starts with a string as one string's pieces)."""
    return [x if isinstance(x, list) else [x] for x in items]


B14_CITIES = {"en_US": ["Tucson", "Dayton", "Boise", "Albany", "Savannah"], "en_GB": ["Leeds", "Exeter", "Dundee", "Norwich", "Swansea"],
              "de_DE": ["Kassel", "Erfurt", "Koblenz", "Rostock", "Ulm"], "fr_FR": ["Lyon", "Rennes", "Nancy", "Pau", "Annecy"],
              "es_ES": ["Burgos", "Cádiz", "Lugo", "Murcia", "Teruel"], "it_IT": ["Lecce", "Trento", "Parma", "Cuneo", "Rieti"],
              "nl_NL": ["Zwolle", "Hoorn", "Delft", "Assen", "Venlo"]}


def b14_city(r, loc):
    return r.choice(B14_CITIES[loc])


def b14_name(f):
    return f"{f.first_name()} {f.last_name()}"


# ----- entity values -----

def b14_PH(r, loc, foreign=0.1):
    reg = r.choice(B14_FOREIGN) if r.random() < foreign else REGION[loc]
    return B14L("PHONE", phone(r, reg, ["national", "national", "intl", "intl", "e164", "intl00", "dashes", "dots", "intl_trunk", "intl_dashes"]))


B14_DOMS = ["posteo.de", "gmx.net", "orange.fr", "sfr.fr", "telefonica.net", "libero.it", "alice.it", "ziggo.nl", "xs4all.nl", "btinternet.com",
            "outlook.com", "protonmail.com", "verizon.net", "me.com", "dierenkliniek-hoorn.nl", "autohaus-kessler.de", "cabinet-veto-lyon.fr",
            "clinica-dental-sol.es", "parrocchia-sanrocco.it", "harbourview-realty.co.uk", "mesa-verde-motors.com", "stadtwerke-rheintal.de"]


def b14_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and (c.isalnum() or c in ".-")).lower().strip(".-")


def b14_EM(f, r, fn=None, ln=None):
    fn = b14_ascii(fn or f.first_name()) or "alex"
    ln = b14_ascii(ln or f.last_name()) or "moor"
    local = r.choice([f"{fn}.{ln}", f"{fn}_{ln}", f"{fn[:1]}{ln}", f"{ln}.{fn[:1]}{r.randint(1, 99)}", f"{fn}{r.randint(70, 99)}",
                      r.choice(["frontdesk", "adozioni", "verkauf", "secretariat", "donaciones", "ledenadministratie", "billing", "noc"])])
    return B14L("EMAIL", f"{local}@{r.choice(B14_DOMS)}")


B14_IIN = [("4", 16), ("4", 16), ("4", 13), ("51", 16), ("52", 16), ("54", 16), ("2223", 16), ("2699", 16), ("34", 15), ("37", 15),
           ("6011", 16), ("644", 16), ("65", 16), ("3530", 16), ("3566", 16), ("300", 14), ("38", 14), ("4", 19), ("6221", 16)]


def b14_luhn_complete(body):
    s = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    return body + str((10 - s % 10) % 10)


def b14_card_digits(r):
    pre, n = r.choice(B14_IIN)
    d = b14_luhn_complete(pre + rnd(r, B14_D, n - len(pre) - 1))
    assert luhn_ok(d)
    return d


def b14_cardfmt(r, d):
    k = r.randrange(5)
    if k == 0 or len(d) in (13, 19):
        return d
    sep = "-" if k == 4 else " "
    if len(d) == 16:
        return sep.join(d[i:i + 4] for i in range(0, 16, 4))
    return sep.join([d[:4], d[4:10], d[10:]])


def b14_CC(r):
    return B14L("CREDIT_CARD", b14_cardfmt(r, b14_card_digits(r)))


B14_IBAN_SPEC = {"DE": (22, "n18"), "GB": (22, "a4n14"), "FR": (27, "n10c11n2"), "ES": (24, "n20"), "IT": (27, "a1n10c12"),
                 "NL": (18, "a4n10"), "BE": (16, "n12"), "AT": (20, "n16"), "CH": (21, "n5c12"), "IE": (22, "a4n14"),
                 "PT": (25, "n21"), "LU": (20, "n3c13"), "DK": (18, "n14"), "FI": (18, "n14")}
B14_HOME_IBAN = {"en_US": "GB", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b14_m97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def b14_iban_raw(r, cc):
    ln, spec = B14_IBAN_SPEC[cc]
    bban = ""
    for kind, n in re.findall(r"([anc])(\d+)", spec):
        n = int(n)
        if kind == "n":
            bban += rnd(r, B14_D, n)
        elif kind == "c":
            bban += rnd(r, B14_UD, n)
        elif cc == "NL":
            bban += r.choice(["ABNA", "RABO", "INGB", "TRIO", "BUNQ", "RBRB"])
        elif cc in ("GB", "IE"):
            bban += r.choice(["BARC", "NWBK", "LOYD", "HLFX", "MONZ"] if cc == "GB" else ["AIBK", "BOFI"])
        else:
            bban += rnd(r, B14_U, n)
    v = f"{cc}{98 - b14_m97(bban + cc + '00'):02d}{bban}"
    assert len(v) == ln and b14_m97(v[4:] + v[:4]) == 1
    return v


def b14_IBAN(r, loc):
    cc = r.choice(sorted(B14_IBAN_SPEC)) if r.random() < 0.2 else B14_HOME_IBAN[loc]
    v = b14_iban_raw(r, cc)
    if r.random() < 0.5:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return B14L("IBAN", v)


def b14_SSN(r, sep=None):
    while True:
        a = r.randint(1, 899)
        if a != 666:
            break
    sep = r.choice(["-", "-", "-", " ", ""]) if sep is None else sep
    return B14L("US_SSN", f"{a:03d}{sep}{r.randint(1, 99):02d}{sep}{r.randint(1, 9999):04d}")


def b14_IP4(r):
    k = r.randrange(5)
    if k == 0:
        v = f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    elif k == 1:
        v = f"192.168.{r.randint(0, 255)}.{r.randint(2, 254)}"
    else:
        v = f"{r.choice([5, 37, 62, 79, 88, 95, 145, 178, 188, 195, 213, 3, 18, 44, 54, 104, 162])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    return B14L("IPV4", v)


def b14_IP6(r):
    g = [r.choice(["2a02", "2a0a", "2001", "2003", "2604", "2a05", "fd12"]), "%x" % r.randint(0x100, 0xffff)] + ["%x" % r.randint(0, 0xffff) for _ in range(6)]
    k = r.randrange(3)
    if k == 0:
        v = ":".join(g)
    elif k == 1:
        v = str(ipaddress.ip_address(":".join(g[:3] + ["0", "0", "0", "0", g[7]])))
    else:
        v = str(ipaddress.ip_address(":".join(g)))
    return B14L("IPV6", v)


def b14_IP(r):
    return b14_IP6(r) if r.random() < 0.3 else b14_IP4(r)


B14_MON = {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
           "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sep. Okt. Nov. Dez.".split(),
           "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
           "es": "ene feb mar abr may jun jul ago sep oct nov dic".split(),
           "it": "gen feb mar apr mag giu lug ago set ott nov dic".split(),
           "nl": "jan feb mrt apr mei jun jul aug sep okt nov dec".split()}


def b14_date(r, d, loc):
    lg = b14_lg(loc)
    k = r.randrange(5)
    if k == 0:
        return d.isoformat()
    if k == 1:
        return f"{B14_MON['en'][d.month - 1]} {d.day}, {d.year}" if loc == "en_US" else f"{d.day} {B14_MON[lg][d.month - 1]} {d.year}"
    if loc == "en_US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    sep = {"de": ".", "nl": "-"}.get(lg, "/")
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def b14_DOB(r, loc, young=False):
    d = B14_TODAY - datetime.timedelta(days=r.randint(4 * 365 if young else 18 * 365, 17 * 365 if young else 94 * 365))
    return B14L("DATE_OF_BIRTH", b14_date(r, d, loc))


B14_DOB_KEY = {"en": ["Date of birth: ", "DOB: ", "Born: ", "Birth date "], "de": ["Geburtsdatum: ", "geb. am ", "Geb.: "],
               "fr": ["Date de naissance : ", "né(e) le ", "Naissance : "], "es": ["Fecha de nacimiento: ", "nacido el ", "F. nac.: "],
               "it": ["Data di nascita: ", "nato/a il ", "D.N.: "], "nl": ["Geboortedatum: ", "geboren op ", "Geb.datum: "]}


def b14_dob(r, loc, young=False):
    return [r.choice(B14_DOB_KEY[b14_lg(loc)]), b14_DOB(r, loc, young)]


def b14_when(r, loc, back=400, fwd=90):
    return b14_date(r, B14_TODAY + datetime.timedelta(days=r.randint(-back, fwd)), loc)


def b14_jwt_value(r):
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    h = {"typ": "JWT", "alg": r.choice(["RS256", "HS256", "EdDSA", "ES384"])}
    if r.random() < 0.5:
        h = {"alg": h["alg"], "kid": rnd(r, AN, 12), "typ": "JWT"}
    now = 1_796_000_000 + r.randint(0, 9_000_000)
    b = {"iss": r.choice(["https://login.example-idp.net/", "urn:render:deploy", "n8n", "https://sso.dierenkliniek.nl"]), "sub": rnd(r, B14_D, 9),
         "iat": now, "exp": now + r.choice([600, 3600, 43200])}
    if r.random() < 0.4:
        b["roles"] = r.choice([["admin"], ["vet", "billing"], ["deployer"]])
    return ".".join([enc(h), enc(b), rnd(r, B14_URL, r.choice([43, 64, 86]))])


def b14_vendor(r, typ):
    if typ == "AWS_ACCESS_KEY":
        return r.choice(["AKIA", "AKIA", "ASIA"]) + rnd(r, B14_B32, 16)
    if typ == "GITHUB_TOKEN":
        p = r.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"])
        if p == "github_pat_":
            return p + "11" + rnd(r, B14_UD, 20) + "_" + rnd(r, AN, 59)
        return p + rnd(r, AN, 36)
    if typ == "SLACK_TOKEN":
        p = r.choice(["xoxb", "xoxb", "xoxp", "xoxe.xoxp", "xapp"])
        if p == "xapp":
            return f"xapp-1-A{rnd(r, B14_UD, 10)}-{rnd(r, B14_D, 13)}-{rnd(r, HEX, 64)}"
        if p == "xoxe.xoxp":
            return f"xoxp-{rnd(r, B14_D, 12)}-{rnd(r, B14_D, 12)}-{rnd(r, B14_D, 13)}-{rnd(r, HEX, 32)}"
        return f"{p}-{rnd(r, B14_D, 12)}-{rnd(r, B14_D, 13)}-{rnd(r, AN, 24)}"
    if typ == "STRIPE_KEY":
        return r.choice(["sk_live_", "rk_live_", "sk_live_51"]) + rnd(r, AN, r.choice([24, 32, 96]))
    if typ == "OPENAI_KEY":
        k = r.randrange(3)
        if k == 2:
            return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
        return ["sk-proj-", "sk-svcacct-"][k] + rnd(r, B14_URL, 58) + "T3BlbkFJ" + rnd(r, B14_URL, 58)
    if typ == "ANTHROPIC_KEY":
        return r.choice(["sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-"]) + rnd(r, B14_URL, 93) + "AA"
    if typ == "GOOGLE_API_KEY":
        return "AIzaSy" + rnd(r, B14_URL, 33)
    if typ == "JWT":
        return b14_jwt_value(r)
    raise ValueError(typ)


B14_VENDORS = ["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"]


def b14_V(r, typ=None):
    typ = typ or r.choice(B14_VENDORS)
    return B14L(typ, b14_vendor(r, typ))


def b14_gs_value(r):
    k = r.randrange(6)
    if k == 0:
        return rnd(r, AN + "/+", 40)
    if k == 1:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 2:
        return base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([30, 33, 48])))).decode()
    if k == 3:
        return r.choice(["whsec_", "cs_", "shpss_", "mk_", "hmac-", "sess:"]) + rnd(r, AN, r.choice([28, 32, 40]))
    if k == 4:
        return rnd(r, B14_URL, r.choice([40, 43, 48]))
    return f"{rnd(r, AN, 12)}.{rnd(r, AN, 24)}"


def b14_GS(r):
    return B14L("GENERIC_SECRET", b14_gs_value(r))


def b14_CVC(r, n=None):
    return B14L("GENERIC_SECRET", rnd(r, B14_D, n or r.choice([3, 3, 4])))


B14_PWW = ["Kanarie", "Heuschrecke", "Ciboulette", "Girasole", "Alcachofa", "Pumpernickel", "Windmolen", "Lavande", "Tramontana",
           "Brezel", "quokka", "narwhal", "Fenouil", "Pistacchio", "Duinroos", "Matterhorn"]


def b14_pw_value(r, urlsafe=False):
    k = r.randrange(6)
    if k == 0:
        v = r.choice(B14_PWW) + str(r.randint(1, 9999)) + r.choice("!?#$%*")
    elif k == 1:
        v = rnd(r, AN, r.choice([10, 14, 18]))
    elif k == 2:
        v = "-".join(r.choice(B14_PWW).lower() for _ in range(3)) + str(r.randint(0, 9))
    elif k == 3:
        v = rnd(r, AN, 5) + r.choice("@:;=&%^()[]<>") + rnd(r, AN, 7)
    elif k == 4:
        v = r.choice(B14_PWW)[::-1].capitalize() + "_" + rnd(r, B14_D, 3) + r.choice(".!")
    else:
        v = "".join(r.choice([c.upper(), c]) for c in r.choice(B14_PWW)) + "#" + rnd(r, B14_D, 2)
    if urlsafe:
        v = "".join(c if c.isalnum() or c in "!*_.-~" else r.choice("_.-") for c in v)
    return v


def b14_PW(r, urlsafe=False):
    return B14L("PASSWORD", b14_pw_value(r, urlsafe))


def b14_pem_value(r, sep="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY"])
    w = 70 if "OPENSSH" in kind else 64
    blob = base64.b64encode(bytes(r.randrange(256) for _ in range(r.randint(150, 380)))).decode()
    return sep.join([f"-----BEGIN {kind}-----"] + [blob[i:i + w] for i in range(0, len(blob), w)] + [f"-----END {kind}-----"])


def b14_PEM(r, sep="\n"):
    return B14L("PRIVATE_KEY", b14_pem_value(r, sep))


B14_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "ASIAJEXAMPLEXEG2JICE", "AKIAEXAMPLEKEY123456",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "ghp_EXAMPLEtokenEXAMPLEtokenEXAMPLE0000",
    "ghu_ExampleExampleExampleExampleExample1", "ghs_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "ghr_0000000000000000000000000000000000ab",
    "github_pat_11AAAAAAA0EXAMPLE00000_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxp-000000000000-000000000000-000000000000-00000000000000000000000000000000",
    "xapp-1-A0123456789-0123456789012-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "sk_live_EXAMPLE00000000000000000000", "rk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "sk-proj-EXAMPLE-abc123def456ghi789jklT3BlbkFJmno012pqr345stu678", "sk-abcdefghij1234567890T3BlbkFJabcdefghij1234567890",
    "sk-ant-api03-EXAMPLE" + "0" * 86 + "AA", "sk-ant-admin01-" + "x" * 93 + "AA",
    "AIzaSyA-EXAMPLE-KEY-abcdefghijklmnopqrs",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIiwibmFtZSI6IkV4YW1wbGUgVXNlciJ9.ZXhhbXBsZS1zaWduYXR1cmU",
]
B14_STANDINS = ["<your-token>", "${TOKEN}", "changeme", "xxxx", "<GITHUB_TOKEN>", "$STRIPE_SECRET", "{{ .Values.apiKey }}", "ghp_…", "sk-…",
                "AKIA…", "********", "(hidden)", "<redacted>", "REPLACE_ME", "your-password", "%DB_PASS%", "env:OPENAI_API_KEY", "@Microsoft.KeyVault(SecretUri=…)"]


def b14_PLH(r):
    return B14L("PLACEHOLDER", r.choice(B14_PLACEHOLDERS))


def b14_anysecret(r):
    k = r.randrange(10)
    if k < 6:
        return b14_V(r)
    if k < 8:
        return b14_GS(r)
    return b14_PLH(r)


# ----- look-alikes (never labelled) -----

def b14_badcard(r):
    while True:
        pre, n = r.choice(B14_IIN)
        d = pre + rnd(r, B14_D, n - len(pre))
        if not luhn_ok(d):
            return b14_cardfmt(r, d)


def b14_badiban(r, loc):
    cc = B14_HOME_IBAN[loc]
    v = b14_iban_raw(r, cc)
    chk = int(v[2:4])
    v = v[:2] + f"{(chk + r.randint(1, 40)) % 97 + 2:02d}" + v[4:]
    if b14_m97(v[4:] + v[:4]) == 1:
        v = v[:-1] + str((int(v[-1]) + 1) % 10)
    assert b14_m97(v[4:] + v[:4]) != 1
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if r.random() < 0.5 else v


def b14_gtin(body):
    """GS1 check digit (weights 3,1 from the right), not Luhn."""
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - s % 10) % 10)


def b14_imei(r):
    return b14_luhn_complete(r.choice(["35", "86", "01", "99"]) + rnd(r, B14_D, 12))


def b14_phoneish(r):
    k = r.randrange(6)
    if k == 0:
        return f"0{r.randint(100, 999)} {rnd(r, B14_D, 3)} {rnd(r, B14_D, 4)}"
    if k == 1:
        return f"{rnd(r, B14_D, 3)}-{rnd(r, B14_D, 3)}-{rnd(r, B14_D, 4)}"
    if k == 2:
        return f"{rnd(r, B14_D, 4)}-{rnd(r, B14_D, 4)}-{rnd(r, B14_D, 4)}"
    if k == 3:
        return f"{rnd(r, B14_D, 2)}.{rnd(r, B14_D, 2)}.{rnd(r, B14_D, 2)}.{rnd(r, B14_D, 2)}.{rnd(r, B14_D, 2)}"
    if k == 4:
        return f"{rnd(r, B14_D, 3)}/{rnd(r, B14_D, 7)}"
    return rnd(r, B14_D, 10)


def b14_la(f, r, loc):
    """One unlabelled look-alike with a lead-in."""
    k = r.randrange(22)
    lg = b14_lg(loc)
    if k == 0:
        return f"{b14_tr(loc, en='Order', de='Bestellung', fr='Commande', es='Pedido', it='Ordine', nl='Bestelling')} #{b14_phoneish(r)}"
    if k == 1:
        return f"{b14_tr(loc, en='Ticket', de='Vorgang', fr='Dossier', es='Incidencia', it='Pratica', nl='Melding')} {b14_phoneish(r)}"
    if k == 2:
        return f"v{r.randint(0, 14)}.{r.randint(0, 40)}.{r.randint(0, 300)}" + r.choice(["", "-rc.2", "+build." + rnd(r, B14_D, 6)])
    if k == 3:
        return f"{B14_TODAY.isoformat()}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, B14_D, 3)}Z"
    if k == 4:
        return f"sha256:{rnd(r, HEX, 64)}"
    if k == 5:
        return f"{rnd(r, HEX, 8)}-{rnd(r, HEX, 4)}-4{rnd(r, HEX, 3)}-a{rnd(r, HEX, 3)}-{rnd(r, HEX, 12)}"
    if k == 6:
        return f"{b14_tr(loc, en='card', de='Karte', fr='carte', es='tarjeta', it='carta', nl='kaart')} {b14_badcard(r)} ({b14_tr(loc, en='declined', de='abgelehnt', fr='refusée', es='rechazada', it='rifiutata', nl='geweigerd')})"
    if k == 7:
        return f"IBAN {b14_badiban(r, loc)} ({b14_tr(loc, en='invalid checksum', de='Prüfziffer falsch', fr='clé RIB invalide', es='dígito de control erróneo', it='CIN errato', nl='ongeldig controlegetal')})"
    if k == 8:
        return f"IMEI {b14_imei(r)}"
    if k == 9:
        return f"Meeting ID: {rnd(r, B14_D, 3)} {rnd(r, B14_D, 4)} {rnd(r, B14_D, 4)}"
    if k == 10:
        return r.choice([f"1Z{rnd(r, B14_UD, 16)}", f"JJD{rnd(r, B14_D, 18)}", f"{rnd(r, B14_D, 12)}", f"CC{rnd(r, B14_D, 9)}DE"])
    if k == 11:
        return f"{b14_tr(loc, en='appointment on', de='Termin am', fr='rendez-vous le', es='cita el', it='appuntamento il', nl='afspraak op')} {b14_when(r, loc)}"
    if k == 12:
        return f"{b14_tr(loc, en='Member no.', de='Mitgliedsnr.', fr='N° adhérent', es='N.º socio', it='Tessera n.', nl='Lidnummer')} {rnd(r, B14_D, 3)}-{rnd(r, B14_D, 2)}-{rnd(r, B14_D, 4)}"
    if k == 13:
        return f"PNR {rnd(r, B14_U, 6)} / e-ticket 220-{rnd(r, B14_D, 10)}"
    if k == 14:
        return f"VIN {rnd(r, 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789', 17)}"
    if k == 15:
        return f"{b14_tr(loc, en='Invoice', de='Rechnung', fr='Facture', es='Factura', it='Fattura', nl='Factuur')} {r.randint(2024, 2026)}-{rnd(r, B14_D, 6)}"
    if k == 16:
        return f"git {rnd(r, HEX, 40)}"
    if k == 17:
        return f"MLS# {rnd(r, B14_D, 9)}"
    if k == 18:
        return f"EAN {b14_gtin(r.choice(['40', '30', '80', '84', '87', '50']) + rnd(r, B14_D, 10))}"
    if k == 19:
        return f"{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(0, 9)}-beta"
    if k == 20:
        return f"ref {base64.b64encode(bytes(r.randrange(256) for _ in range(12))).decode()}"
    return f"{b14_tr(loc, en='meter', de='Zähler', fr='compteur', es='contador', it='contatore', nl='meter')} {rnd(r, B14_D, 14)}"


def b14_las(f, r, loc, n=2):
    return "; ".join(b14_la(f, r, loc) for _ in range(n))


# ----- sentences: passwords, non-passwords, SSNs -----

B14_PW_SAY = {
    "en": ["Your temporary password is {}", "I set the password to {} for now", "new pw: {}", "login with {} and change it after",
           "the wifi password is {}", "Password — {}"],
    "de": ["Ihr vorläufiges Passwort lautet {}", "Kennwort ist jetzt {}", "PW: {} (bitte ändern)", "Zugang mit Passwort {}"],
    "fr": ["Votre mot de passe provisoire : {}", "le mdp est {}", "mot de passe = {}", "je l'ai remis à {}"],
    "es": ["Su contraseña provisional es {}", "la clave es {}", "contraseña: {}", "pon la contraseña {} y entra"],
    "it": ["La password temporanea è {}", "la pwd è {}", "Password: {} (da cambiare)", "parola d'ordine {}"],
    "nl": ["Je tijdelijke wachtwoord is {}", "ww: {}", "het wachtwoord is nu {}", "Wachtwoord {} graag wijzigen"],
}
B14_PW_NOT = {
    "en": ["Password: see 1Password entry 'clinic-admin'", "the password policy requires 14 characters", "password expired yesterday, reset link sent",
           "Password: forgotten", "please never send your password by e-mail", "password reset requested by the user",
           "password: (unchanged)", "your password must contain a digit"],
    "de": ["Passwort: vergessen", "die Passwortrichtlinie verlangt 12 Zeichen", "Passwort wurde zurückgesetzt", "Kennwort: siehe Tresor"],
    "fr": ["Mot de passe : oublié", "la politique de mot de passe impose 12 caractères", "mot de passe réinitialisé", "mdp : voir coffre-fort"],
    "es": ["Contraseña: olvidada", "la política de contraseñas exige 12 caracteres", "contraseña restablecida", "clave: ver gestor"],
    "it": ["Password: dimenticata", "la policy password richiede 12 caratteri", "password reimpostata", "password: vedi cassaforte"],
    "nl": ["Wachtwoord: vergeten", "het wachtwoordbeleid eist 12 tekens", "wachtwoord is gereset", "wachtwoord: zie kluis"],
}


def b14_pw_said(r, loc, urlsafe=False):
    t = r.choice(B14_PW_SAY[b14_lg(loc)])
    a, b = t.split("{}")
    return [a, b14_PW(r, urlsafe), b]


def b14_pw_not(r, loc):
    return r.choice(B14_PW_NOT[b14_lg(loc)])


B14_SSN_SAY = ["SSN ", "Social Security No. ", "SS#: ", "soc. sec. number ", "SSN (for W-4): ", "taxpayer SSN "]


def b14_ssn_said(r):
    return [r.choice(B14_SSN_SAY), b14_SSN(r)]


def b14_nonssn(r):
    return r.choice([f"routing {rnd(r, B14_D, 9)}", f"claim {rnd(r, B14_D, 3)}-{rnd(r, B14_D, 2)}-{rnd(r, B14_D, 4)}", f"NPI {rnd(r, B14_D, 10)}",
                     f"EIN {rnd(r, B14_D, 2)}-{rnd(r, B14_D, 7)}", f"case {rnd(r, B14_D, 9)}", f"ZIP+4 {rnd(r, B14_D, 5)}-{rnd(r, B14_D, 4)}"])


# ----- text documents -----

def B14_n8n_run(f, r, loc):
    wf = r.choice(["Lead → CRM", "Invoice sync", "New patient intake", "Donor thank-you", "Slack alert relay"])
    return [f"n8n execution {rnd(r, B14_D, 5)} — workflow \"{wf}\" — {b14_tr(loc, en='status', de='Status', fr='statut', nl='status', es='estado', it='stato')}: error\n",
            f"[Webhook] received POST from ", b14_IP(r), "\n",
            f"[Set] email = ", b14_EM(f, r), f", phone = ", b14_PH(r, loc), "\n",
            f"[HTTP Request] Authorization: Bearer ", b14_V(r, r.choice(["OPENAI_KEY", "ANTHROPIC_KEY", "JWT"])), "\n",
            f"[HTTP Request] 401 Unauthorized — node 'Slack' credential token ", b14_V(r, "SLACK_TOKEN"), " revoked\n",
            f"[Code] {b14_la(f, r, loc)}\n"]


def B14_netlify_log(f, r, loc):
    t = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
    return [f"{t} AM: Build ready to start\n{t} AM: build-image version: {rnd(r, HEX, 40)} (focal)\n",
            f"{t} AM: Starting to prepare the repo for build\n{t} AM: Resolved env: NODE_VERSION=20.11.1, ",
            "STRIPE_SECRET_KEY=", b14_V(r, "STRIPE_KEY"), ", NEXT_PUBLIC_MAPS_KEY=", b14_V(r, "GOOGLE_API_KEY"), "\n",
            f"{t} AM: $ npm run build\n{t} AM: Error: fetch failed for https://cms.internal/api?token=", b14_GS(r), "\n",
            f"{t} AM: Site is live ✨ ({b14_la(f, r, loc)})\n"]


def B14_fly_secrets(f, r, loc):
    app = r.choice(["vet-portal", "donor-crm", "mls-sync", "dms-bridge"])
    return [f"$ fly secrets set -a {app} DATABASE_URL=postgres://app:", b14_PW(r, True), f"@{app}-db.flycast:5432/{app.replace('-', '_')}\n",
            f"$ fly secrets set -a {app} SENTRY_AUTH_TOKEN=", b14_GS(r), "\n",
            f"$ fly secrets set -a {app} GITHUB_TOKEN=", b14_V(r, "GITHUB_TOKEN"), "\n",
            f"Release v{r.randint(20, 400)} created\n$ fly secrets list -a {app}\nNAME              DIGEST            CREATED AT\n",
            f"DATABASE_URL      {rnd(r, HEX, 16)}  {r.randint(1, 59)}m ago\nGITHUB_TOKEN      {rnd(r, HEX, 16)}  1m ago\n",
            "# docs say e.g. AWS_ACCESS_KEY_ID=", b14_PLH(r), "\n"]


def B14_railway_env(f, r, loc):
    return ["# Railway › production › Variables (raw editor)\n",
            "PGHOST=", b14_IP4(r), "\nPGUSER=postgres\nPGPASSWORD=", b14_PW(r), "\n",
            "REDIS_URL=redis://default:", b14_PW(r, True), "@redis.railway.internal:6379\n",
            "AWS_ACCESS_KEY_ID=", b14_V(r, "AWS_ACCESS_KEY"), "\nAWS_SECRET_ACCESS_KEY=", B14L("GENERIC_SECRET", rnd(r, AN + "/+", 40)), "\n",
            "PASSWORD_MIN_LENGTH=12\nSESSION_TTL=86400\n", "OPENAI_API_KEY=", b14_V(r, "OPENAI_KEY"), "\n"]


def B14_cloud_init(f, r, loc):
    user = b14_ascii(f.first_name()) or "ops"
    return ["#cloud-config\nhostname: ", f"{r.choice(['edge', 'kiosk', 'meter-gw'])}-{rnd(r, B14_D, 3)}\n",
            f"users:\n  - name: {user}\n    plain_text_passwd: ", b14_PW(r), "\n    lock_passwd: false\n    ssh_authorized_keys:\n",
            f"      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rnd(r, AN + '+/', 43)} {user}@laptop\n",
            "write_files:\n  - path: /etc/app/deploy_key\n    permissions: '0600'\n    content: |\n",
            "      ", b14_PEM(r, "\n      "), "\n",
            "runcmd:\n  - [ sh, -c, 'echo nameserver ", b14_IP4(r), " >> /etc/resolv.conf' ]\n"]


def B14_packer(f, r, loc):
    return ['source "amazon-ebs" "base" {\n  region        = "eu-central-1"\n  access_key    = "', b14_V(r, "AWS_ACCESS_KEY"), '"\n',
            '  secret_key    = "', b14_GS(r), '"\n  ami_name      = "base-{{timestamp}}"\n  ssh_username  = "ubuntu"\n}\n',
            'build {\n  provisioner "shell" {\n    environment_vars = ["ADMIN_PASS=', b14_PW(r, True), '", "TZ=Europe/Berlin"]\n  }\n}\n',
            f'# pinned: packer {b14_la(f, r, loc)}\n']


def B14_vagrant(f, r, loc):
    return ['Vagrant.configure("2") do |config|\n  config.vm.box = "bento/ubuntu-24.04"\n',
            '  config.vm.network "private_network", ip: "', b14_IP4(r), '"\n',
            '  config.ssh.password = "', b14_PW(r), '"\n',
            '  config.vm.provision "shell", inline: "export GH_TOKEN=', b14_V(r, "GITHUB_TOKEN"), ' && ./bootstrap.sh"\nend\n']


def B14_jenkinsfile(f, r, loc):
    return ["pipeline {\n  agent any\n  environment {\n    SLACK_HOOK_TOKEN = '", b14_V(r, "SLACK_TOKEN"), "'\n",
            "    REGISTRY_PASS = '", b14_PW(r), "'\n    APP_VERSION = '", f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}", "'\n  }\n",
            "  stages {\n    stage('deploy') {\n      steps {\n        sh 'curl -H \"x-api-key: ", b14_GS(r), "\" https://deploy.internal/hook'\n",
            "        sh 'mysql -u deploy -p", b14_PW(r, True), " -h ", b14_IP4(r), " app < migrate.sql'\n      }\n    }\n  }\n}\n"]


def B14_bitbucket(f, r, loc):
    return ["# bitbucket-pipelines.yml (secured variables were pasted in by mistake)\npipelines:\n  default:\n    - step:\n",
            "        name: Publish\n        script:\n          - export ANTHROPIC_API_KEY=", b14_V(r, "ANTHROPIC_KEY"), "\n",
            "          - export NPM_TOKEN=", b14_GS(r), "\n",
            "          - pipe: atlassian/aws-s3-deploy:1.1.0\n            variables:\n              AWS_ACCESS_KEY_ID: ", b14_V(r, "AWS_ACCESS_KEY"), "\n",
            "              AWS_SECRET_ACCESS_KEY: ", B14L("GENERIC_SECRET", rnd(r, AN + "/+", 40)), "\n",
            "              # example from the pipe's README: ", b14_PLH(r), "\n"]


def B14_azdo_vars(f, r, loc):
    return [f"$ az pipelines variable-group variable list --group-id {r.randint(3, 90)} -o table\n",
            "Name                  Is Secret    Value\n--------------------  -----------  ------------------------------\n",
            "sqlAdminPassword      False        ", b14_PW(r), "\n",
            "storageKey            False        ", B14L("GENERIC_SECRET", base64.b64encode(bytes(r.randrange(256) for _ in range(64))).decode()), "\n",
            "tenantId              False        ", f"{rnd(r, HEX, 8)}-{rnd(r, HEX, 4)}-{rnd(r, HEX, 4)}-{rnd(r, HEX, 4)}-{rnd(r, HEX, 12)}", "\n",
            "passwordExpiryDays    False        90\n", "graphToken            True         None\n"]


def B14_argocd(f, r, loc):
    return ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo-", rnd(r, string.ascii_lowercase, 6),
            "\n  labels:\n    argocd.argoproj.io/secret-type: repository\nstringData:\n  type: git\n  url: https://github.com/",
            f"{b14_ascii(f.last_name()) or 'acme'}/deploy\n  username: x-access-token\n  password: ", b14_V(r, "GITHUB_TOKEN"), "\n",
            "---\n# sshPrivateKey for the helm repo\n  sshPrivateKey: |\n    ", b14_PEM(r, "\n    "), "\n"]


def B14_sops(f, r, loc):
    return ["# secrets.dec.yaml — decrypted with `sops -d`, do not commit\n", "db:\n  user: billing\n  password: ", b14_PW(r), "\n",
            "stripe:\n  secret_key: ", b14_V(r, "STRIPE_KEY"), "\n  webhook_secret: ", B14L("GENERIC_SECRET", "whsec_" + rnd(r, AN, 32)), "\n",
            "google:\n  maps_key: ", b14_V(r, "GOOGLE_API_KEY"), "\n", "tls:\n  key: |\n    ", b14_PEM(r, "\n    "), "\n", f"sops:\n  lastmodified: '{B14_TODAY.isoformat()}T09:12:44Z'\n  mac: ENC[AES256_GCM,data:{rnd(r, AN, 20)}]\n",
            f"  version: 3.9.{r.randint(0, 4)}\n"]


def B14_salt_pillar(f, r, loc):
    return ["# /srv/pillar/mysql.sls\nmysql:\n  server:\n    root_password: '", b14_PW(r), "'\n",
            "  users:\n    reporting:\n      password: '", b14_PW(r), "'\n      host: '", b14_IP4(r), "'\n",
            "    backup:\n      password: '{{ salt['vault'].read_secret('kv/backup') }}'\n",
            "slack:\n  api_token: ", b14_V(r, "SLACK_TOKEN"), "\n"]


def B14_nomad(f, r, loc):
    return ['job "meter-ingest" {\n  datacenters = ["dc1"]\n  group "api" {\n    task "server" {\n      driver = "docker"\n',
            '      env {\n        MQTT_PASSWORD = "', b14_PW(r), '"\n        OPENAI_API_KEY = "', b14_V(r, "OPENAI_KEY"), '"\n',
            '        LISTEN = "[', b14_IP6(r), ']:8080"\n      }\n      template {\n        data = "{{ with secret \\"kv/meter\\" }}{{ .Data.token }}{{ end }}"\n',
            '      }\n    }\n  }\n}\n']


def B14_makefile(f, r, loc):
    return ["DB_URL ?= mysql://root:", b14_PW(r, True), "@", b14_IP4(r), ":3306/shop\n",
            "HF_TOKEN := ", B14L("GENERIC_SECRET", "hf_" + rnd(r, string.ascii_letters, 34)), "\n",
            ".PHONY: seed\nseed:\n\t@curl -s -u admin:", b14_PW(r, True), " http://localhost:8080/api/seed\n",
            "release:\n\tGITHUB_TOKEN=", b14_V(r, "GITHUB_TOKEN"), " goreleaser release --clean\n"]


def B14_pgpass(f, r, loc):
    rows = []
    for _ in range(r.randint(2, 4)):
        rows += [r.choice(["db-primary.internal", "localhost", "*"]) if r.random() < 0.5 else b14_IP4(r), f":5432:{r.choice(['billing', 'vet', '*'])}:{r.choice(['app', 'replicator', 'postgres'])}:",
                 b14_PW(r, True), "\n"]
    return ["# ~/.pgpass  (chmod 600)\n", rows, "# pg_hba.conf excerpt\nhost  all  all  ", b14_IP4(r), "/32  scram-sha-256\n"]


def B14_odbc(f, r, loc):
    return ["[ODBC Data Sources]\nWarehouse = ODBC Driver 18 for SQL Server\n\n[Warehouse]\nDriver   = ODBC Driver 18 for SQL Server\n",
            "Server   = tcp:", b14_IP4(r), ",1433\nDatabase = dwh\nUID      = svc_report\nPWD      = ", b14_PW(r), "\n",
            "TrustServerCertificate = yes\n\n; JDBC for the same box:\n; jdbc:sqlserver://dwh.internal:1433;user=svc_report;password=", b14_PW(r, True), ";encrypt=true\n"]


def B14_django(f, r, loc):
    return ["# settings/production.py\nSECRET_KEY = '", b14_GS(r), "'\nDEBUG = False\nALLOWED_HOSTS = ['", b14_IP4(r), "']\n",
            "DATABASES = {\n    'default': {\n        'ENGINE': 'django.db.backends.postgresql',\n        'NAME': 'adopt',\n        'USER': 'adopt',\n",
            "        'PASSWORD': '", b14_PW(r), "',\n    }\n}\nAUTH_PASSWORD_VALIDATORS = [{'NAME': 'MinimumLengthValidator'}]\n",
            "EMAIL_HOST_PASSWORD = '", b14_PW(r), "'\nADMINS = [('Ops', '", b14_EM(f, r), "')]\n"]


def B14_rails_db(f, r, loc):
    return ["# config/database.yml\nproduction:\n  adapter: postgresql\n  host: ", b14_IP4(r), "\n  database: dealer_dms\n  username: dms\n",
            "  password: ", b14_PW(r), "\n  pool: 15\nstaging:\n  url: postgres://dms:", b14_PW(r, True), "@", b14_IP4(r), "/dms_staging\n",
            "  password_reset_within: 6.hours\n"]


def B14_flask(f, r, loc):
    return ["# instance/config.py\nSECRET_KEY = b'", B14L("GENERIC_SECRET", rnd(r, HEX, 48)), "'\n",
            "SQLALCHEMY_DATABASE_URI = 'mysql+pymysql://mls:", b14_PW(r, True), "@", b14_IP4(r), "/mls'\n",
            "MAIL_PASSWORD = '", b14_PW(r), "'\nMAPBOX_TOKEN = 'pk.", rnd(r, AN, 60), "'  # public token, fine\n",
            "RECAPTCHA_SITE_KEY = '6L", rnd(r, B14_URL, 38), "'\n"]


def B14_keytool(f, r, loc):
    pw = b14_PW(r, True)
    return ["$ keytool -list -v -keystore server.jks -storepass ", pw, "\n",
            f"Keystore type: PKCS12\nKeystore provider: SUN\n\nYour keystore contains 2 entries\n\nAlias name: tomcat\nCreation date: {b14_when(r, loc)}\n",
            f"Entry type: PrivateKeyEntry\nOwner: CN={f.last_name()}, O={f.company()}, C={REGION[loc]}\nSerial number: {rnd(r, HEX, 32)}\n",
            f"SHA256: {':'.join(rnd(r, '0123456789ABCDEF', 2) for _ in range(16))}\n",
            "$ keytool -importkeystore -srckeystore old.p12 -srcstorepass ", b14_PW(r, True), " -destkeystore server.jks\n"]


def B14_mailmerge(f, r, loc):
    rows = ["salutation;first_name;last_name;email;mobile;amount;iban\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = f.first_name(), f.last_name()
        rows += [f"{b14_tr(loc, en='Dear', de='Liebe/r', fr='Cher/Chère', es='Estimado/a', it='Gentile', nl='Beste')};{fn};{ln};", b14_EM(f, r, fn, ln), ";",
                 b14_PH(r, loc), f";{r.randint(10, 500)},00;", b14_IBAN(r, loc), "\n"]
    return [f"# mail merge: {b14_tr(loc, en='year-end donor letter', de='Spendenbrief', fr='reçu fiscal', es='certificado de donación', it='lettera ai donatori', nl='donateursbrief')}\n", rows,
            f"# {b14_la(f, r, loc)}\n"]


def B14_sms_list(f, r, loc):
    rows = ["msisdn,first_name,opt_in,last_campaign\n"]
    for _ in range(r.randint(3, 5)):
        rows += [b14_PH(r, loc, 0.0), f",{f.first_name()},{r.choice(['yes', 'yes', 'no'])},{r.choice(['BF26', 'XMAS', 'SPRING'])}-{rnd(r, B14_D, 4)}\n"]
    rows += [f"# not a number: order {b14_phoneish(r)}\n"]
    return rows


def B14_chatbot(f, r, loc):
    return [f"[bot] {b14_tr(loc, en='Hi! How can I help?', de='Hallo! Wie kann ich helfen?', fr='Bonjour ! Comment puis-je aider ?', es='¡Hola! ¿En qué te ayudo?', it='Ciao! Come posso aiutarti?', nl='Hoi! Waarmee kan ik helpen?')}\n",
            f"[user] {b14_tr(loc, en='cannot log in, my email is', de='komme nicht rein, meine Mail ist', fr='je ne peux pas me connecter, mon mail', es='no puedo entrar, mi correo es', it='non riesco ad accedere, la mia mail è', nl='kan niet inloggen, mijn mail is')} ", b14_EM(f, r), "\n",
            "[user] ", b14_pw_said(r, loc), "\n",
            f"[bot] {b14_tr(loc, en='Please never share it here.', de='Bitte nie hier teilen.', fr='Ne le partagez jamais ici.', es='Nunca lo compartas aquí.', it='Non condividerla mai qui.', nl='Deel dat nooit hier.')} {b14_pw_not(r, loc)}\n",
            "[user] ", b14_tr(loc, en="card", de="Karte", fr="carte", es="tarjeta", it="carta", nl="kaart"), " ", b14_CC(r), " cvc ", b14_CVC(r), "\n",
            f"[bot] {b14_la(f, r, loc)}\n"]


def B14_cdr(f, r, loc):
    rows = ["call_id|start|duration_s|a_number|b_number|cell_id|imei\n"]
    for _ in range(r.randint(2, 4)):
        rows += [f"{rnd(r, HEX, 12)}|{B14_TODAY.isoformat()} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}|{r.randint(3, 2400)}|", b14_PH(r, loc), "|",
                 b14_PH(r, loc, 0.3), f"|{r.randint(100, 999)}-{rnd(r, B14_D, 5)}|{b14_imei(r)}\n"]
    return rows


def B14_porting(f, r, loc):
    name = b14_name(f)
    return [f"{b14_tr(loc, en='Number porting request', de='Rufnummernmitnahme', fr='Demande de portabilité', es='Solicitud de portabilidad', it='Richiesta di portabilità', nl='Nummerbehoud aanvraag')}\n",
            f"{b14_tr(loc, en='Subscriber', de='Teilnehmer', fr='Titulaire', es='Titular', it='Intestatario', nl='Abonnee')}: {name}\n",
            b14_tr(loc, en="Number to port", de="Mitzunehmende Rufnummer", fr="Numéro à porter", es="Número a portar", it="Numero da portare", nl="Over te zetten nummer"), ": ", b14_PH(r, loc, 0.0), "\n",
            f"RIO/PAC: {rnd(r, B14_UD, 12)}   SIM ICCID: 89{rnd(r, B14_D, 17)}\n", b14_dob(r, loc), "\n",
            b14_tr(loc, en="Contact", de="Kontakt", fr="Contact", es="Contacto", it="Contatto", nl="Contact"), ": ", b14_EM(f, r), "\n",
            f"{b14_la(f, r, loc)}\n"]


def B14_smartmeter(f, r, loc):
    rows = [f"# export {b14_tr(loc, en='smart meter', de='Smart Meter', fr='compteur Linky', es='contador inteligente', it='contatore elettronico', nl='slimme meter')} — EAN/POD {rnd(r, B14_D, 18)}\n",
            f"# {b14_tr(loc, en='account holder', de='Vertragsinhaber', fr='titulaire', es='titular', it='intestatario', nl='contracthouder')}: {b14_name(f)}, IBAN ", b14_IBAN(r, loc), "\n",
            "timestamp;kwh_import;kwh_export;gateway_ip\n"]
    for h in range(r.randint(3, 5)):
        rows += [f"{B14_TODAY.isoformat()}T{h:02d}:00:00+01:00;{r.uniform(0.1, 2.5):.3f};{r.uniform(0, 0.8):.3f};", b14_IP(r), "\n"]
    return rows


def B14_passport(f, r, loc):
    return [f"{b14_tr(loc, en='Passport renewal — online form', de='Reisepass-Verlängerung', fr='Renouvellement de passeport', es='Renovación de pasaporte', it='Rinnovo passaporto', nl='Paspoortverlenging')}\n",
            f"Surname: {f.last_name().upper()}\nGiven names: {f.first_name()}\n", b14_dob(r, loc), "\n",
            f"Place of birth: {b14_city(r, loc)}\n", f"Previous passport no.: {rnd(r, B14_U, 2)}{rnd(r, B14_D, 7)} (issued {b14_when(r, loc, 3650, -1800)})\n",
            "Phone: ", b14_PH(r, loc), "\nEmail: ", b14_EM(f, r), "\n",
            [b14_ssn_said(r), "\n"] if loc == "en_US" else "",
            f"Fee: {r.choice(['130.00', '70,00', '86,00'])} — card ending {rnd(r, B14_D, 4)}, appointment {b14_when(r, loc, 0, 60)}\n"]


def B14_dmv(f, r, loc):
    return ["DMV — Vehicle Registration Renewal (REG 156)\n", f"Owner: {b14_name(f)}\n", b14_dob(r, loc), "\n",
            f"License no.: {rnd(r, B14_U, 1)}{rnd(r, B14_D, 7)}   Plate: {rnd(r, B14_D, 1)}{rnd(r, B14_U, 3)}{rnd(r, B14_D, 3)}\n",
            f"VIN {rnd(r, 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789', 17)}  odometer {r.randint(1000, 190000)}\n",
            "SSN (last 4 not accepted, full required): ", b14_SSN(r), "\n", "Payment: ", b14_CC(r), " exp ", f"{r.randint(1, 12):02d}/{r.randint(27, 31)}", " CVV ", b14_CVC(r, 3), "\n",
            "Phone ", b14_PH(r, "en_US", 0.0), "\n"]


def B14_admissions(f, r, loc):
    return [f"{b14_tr(loc, en='University admissions — application', de='Bewerbung um einen Studienplatz', fr='Candidature Parcoursup / master', es='Solicitud de admisión', it='Domanda di immatricolazione', nl='Aanmelding opleiding')}\n",
            f"Applicant: {b14_name(f)}  (ID {r.randint(2026, 2027)}-{rnd(r, B14_D, 6)})\n", b14_dob(r, loc), "\n",
            "Email: ", b14_EM(f, r), "   Phone: ", b14_PH(r, loc), "\n",
            f"{b14_tr(loc, en='Portal password', de='Portal-Passwort', fr='Mot de passe du portail', es='Contraseña del portal', it='Password del portale', nl='Portaalwachtwoord')}: ", b14_PW(r), "\n",
            f"{b14_tr(loc, en='Application fee refund to', de='Erstattung der Gebühr an', fr='Remboursement sur', es='Reembolso a', it='Rimborso su', nl='Terugbetaling naar')} ", b14_IBAN(r, loc), "\n",
            f"{b14_tr(loc, en='Exam date', de='Prüfungstermin', fr='Date d’examen', es='Fecha del examen', it='Data esame', nl='Examendatum')}: {b14_when(r, loc, 30, 90)}\n"]


def B14_donor_note(f, r, loc):
    return [f"Donor CRM — {b14_tr(loc, en='call note', de='Gesprächsnotiz', fr='note d’appel', es='nota de llamada', it='nota telefonica', nl='belnotitie')} ({b14_when(r, loc, 20, 0)})\n",
            f"{b14_name(f)} {b14_tr(loc, en='wants to switch the monthly gift to', de='möchte die Monatsspende umstellen auf', fr='souhaite passer son don mensuel sur', es='quiere pasar su cuota mensual a', it='vuole spostare la donazione mensile su', nl='wil de maandelijkse gift overzetten naar')} ",
            b14_IBAN(r, loc), ". ", b14_tr(loc, en="Old card", de="Alte Karte", fr="Ancienne carte", es="Tarjeta antigua", it="Vecchia carta", nl="Oude kaart"), " ", b14_CC(r), " ",
            b14_tr(loc, en="to be removed", de="löschen", fr="à supprimer", es="eliminar", it="da rimuovere", nl="verwijderen"), ".\n",
            "Tel. ", b14_PH(r, loc), ", ", b14_EM(f, r), ". ", b14_dob(r, loc), ".\n", f"Gift Aid / {b14_la(f, r, loc)}\n"]


def B14_club_roll(f, r, loc):
    rows = [f"{b14_tr(loc, en='Membership roll', de='Mitgliederliste', fr='Liste des adhérents', es='Listado de socios', it='Elenco soci', nl='Ledenlijst')} — {b14_city(r, loc)}\n",
            "Nr | Name | Geb./DOB | Tel | E-Mail | SEPA\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = f.first_name(), f.last_name()
        rows += [f"{rnd(r, B14_D, 4)} | {fn} {ln} | ", b14_DOB(r, loc), " | ", b14_PH(r, loc, 0.0), " | ", b14_EM(f, r, fn, ln), " | ", b14_IBAN(r, loc), "\n"]
    rows += [f"{b14_tr(loc, en='Next meeting', de='Nächste Versammlung', fr='Prochaine AG', es='Próxima asamblea', it='Prossima assemblea', nl='Volgende ALV')}: {b14_when(r, loc, 0, 60)}\n"]
    return rows


def B14_vet_record(f, r, loc):
    pet = r.choice(["Bella", "Moos", "Filou", "Luna", "Pippo", "Toby", "Kiki"])
    return [f"{b14_tr(loc, en='Patient', de='Patient', fr='Patient', es='Paciente', it='Paziente', nl='Patiënt')}: {pet} ({r.choice(['canine', 'feline', 'lapin', 'Hund', 'gatto'])}), chip {rnd(r, B14_D, 15)}\n",
            f"{b14_tr(loc, en='Last visit', de='Letzter Besuch', fr='Dernière visite', es='Última visita', it='Ultima visita', nl='Laatste bezoek')}: {b14_when(r, loc, 300, 0)}\n",
            f"{b14_tr(loc, en='Owner', de='Halter', fr='Propriétaire', es='Propietario', it='Proprietario', nl='Eigenaar')}: {b14_name(f)}, ", b14_PH(r, loc), ", ", b14_EM(f, r), "\n",
            f"{b14_tr(loc, en='Vaccination due', de='Impfung fällig', fr='Rappel vaccin', es='Vacuna pendiente', it='Richiamo vaccino', nl='Vaccinatie gepland')}: {b14_when(r, loc, 0, 90)}\n",
            f"{b14_tr(loc, en='Paid by card', de='Kartenzahlung', fr='Payé par carte', es='Pagado con tarjeta', it='Pagato con carta', nl='Betaald met kaart')} ", b14_CC(r), f" — {b14_la(f, r, loc)}\n"]


def B14_mls(f, r, loc):
    rows = ["MLS_ID|STATUS|LIST_PRICE|ADDRESS|AGENT|AGENT_PHONE|AGENT_EMAIL|LOCKBOX\n"]
    for _ in range(r.randint(2, 3)):
        rows += [f"{rnd(r, B14_D, 9)}|{r.choice(['A', 'P', 'S'])}|{r.randint(150, 1900)}000|{f.street_address()}|{b14_name(f)}|", b14_PH(r, loc, 0.0), "|",
                 b14_EM(f, r), f"|{rnd(r, B14_D, 4)}\n"]
    rows += ["# showing instructions: lockbox codes above are not passwords; alarm panel password ", b14_PW(r), " (owner asked to share only with buyer agent)\n"]
    return rows


def B14_dms_deal(f, r, loc):
    return [f"DEAL JACKET #{rnd(r, B14_D, 6)}  stock {rnd(r, B14_UD, 7)}\n", f"Buyer: {b14_name(f)}\n", b14_dob(r, loc), "\n",
            ["SSN: ", b14_SSN(r), "   "] if r.random() < 0.7 else ["Co-buyer SSN: ", b14_SSN(r), "   "], f"{b14_nonssn(r)}\n",
            "Cell: ", b14_PH(r, loc), "   Email: ", b14_EM(f, r), "\n",
            "Down payment card: ", b14_CC(r), "  CVV ", b14_CVC(r), "\n", f"{b14_la(f, r, loc)}\n"]


def B14_adjuster(f, r, loc):
    return [f"Adjuster notes — claim {rnd(r, B14_D, 3)}-{rnd(r, B14_D, 2)}-{rnd(r, B14_D, 4)} (not an SSN), loss date {b14_when(r, loc, 60, 0)}\n",
            f"Spoke with insured {b14_name(f)} at ", b14_PH(r, loc), ". Verified identity: ", b14_dob(r, loc), ", SSN ", b14_SSN(r), ".\n",
            "Settlement by transfer to ", b14_IBAN(r, loc), ". Contractor e-mail ", b14_EM(f, r), ".\n", f"{b14_las(f, r, loc)}\n"]


def B14_pbm_claim(f, r, loc):
    return [f"PBM claim {rnd(r, B14_D, 12)} — status REJECTED (70: NDC not covered)\n", f"Member: {b14_name(f)}, ID {rnd(r, B14_UD, 11)}\n",
            b14_dob(r, "en_US"), "\n", "Cardholder SSN: ", b14_SSN(r), "\n", f"NDC {rnd(r, B14_D, 5)}-{rnd(r, B14_D, 4)}-{rnd(r, B14_D, 2)}  BIN {rnd(r, B14_D, 6)}  PCN {rnd(r, B14_UD, 6)}\n",
            "Pharmacy callback: ", b14_PH(r, "en_US", 0.0), f"  fill date {b14_when(r, loc, 10, 0)}\n"]


def B14_dental_ref(f, r, loc):
    return [f"{b14_tr(loc, en='Referral for panoramic X-ray (OPG)', de='Überweisung Panoramaröntgen (OPG)', fr='Demande de radio panoramique', es='Derivación ortopantomografía', it='Richiesta ortopantomografia', nl='Verwijzing OPG-röntgenfoto')}\n",
            f"{b14_tr(loc, en='Patient', de='Patient/in', fr='Patient(e)', es='Paciente', it='Paziente', nl='Patiënt')}: {b14_name(f)}\n", b14_dob(r, loc, r.random() < 0.3), "\n",
            "Tel: ", b14_PH(r, loc), "\n", f"{b14_tr(loc, en='Tooth', de='Zahn', fr='Dent', es='Pieza', it='Dente', nl='Element')} {r.choice([16, 26, 36, 46, 48])}, {b14_tr(loc, en='referral date', de='Datum', fr='date', es='fecha', it='data', nl='datum')} {b14_when(r, loc, 5, 0)}\n",
            "PACS upload: https://pacs.internal/upload?key=", b14_GS(r), "\n"]


def B14_radar_note(f, r, loc):
    return [f"Stripe Radar review rv_{rnd(r, AN, 24)} — risk {r.randint(60, 99)}\n", f"Customer {b14_name(f)} <", b14_EM(f, r), ">, IP ", b14_IP(r), "\n",
            "Card ", b14_CC(r), " (3DS not attempted); earlier attempt with ", b14_badcard(r), " failed Luhn on the form\n",
            "Analyst: refunded; key used for the lookup script was ", b14_V(r, "STRIPE_KEY"), " — rotate!\n"]


def B14_pagerduty(f, r, loc):
    return [f"[PagerDuty] #{rnd(r, B14_D, 6)} TRIGGERED: {r.choice(['disk 95%', 'p99 latency', '5xx spike', 'cert expiry'])} on {r.choice(['mls-sync', 'vet-portal', 'meter-ingest'])}\n",
            "Escalation: ", b14_name(f), " ", b14_PH(r, loc), "\n", "Details: upstream ", b14_IP(r), " returned 401; token in header was ", b14_anysecret(r), "\n",
            f"Runbook: https://wiki.internal/rb/{rnd(r, B14_D, 4)} — {b14_la(f, r, loc)}\n"]


def B14_grafana(f, r, loc):
    return [f"Grafana annotation ({B14_TODAY.isoformat()} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}) by ", b14_EM(f, r), ":\n",
            f"deployed {b14_la(f, r, loc)}; rolled datasource password to ", b14_PW(r), "; new service-account token ", B14L("GENERIC_SECRET", "glsa_" + rnd(r, AN, 32) + "_" + rnd(r, HEX, 8)), " is in vault\n",
            "tags: deploy, ", b14_IP4(r), "\n"]


def B14_wrangler(f, r, loc):
    return ["$ npx wrangler secret put STRIPE_KEY\n✔ Enter a secret value: … ", b14_V(r, "STRIPE_KEY"), "\n🌀 Creating the secret for the Worker \"checkout\"\n✨ Success!\n",
            "$ npx wrangler secret put SESSION_HMAC\n✔ Enter a secret value: … ", b14_GS(r), "\n",
            "$ cat wrangler.toml\n[vars]\nPUBLIC_ORIGIN = \"https://shop.example\"\nGOOGLE_KEY = \"", b14_V(r, "GOOGLE_API_KEY"), "\"\n"]


def B14_tekton(f, r, loc):
    return ["apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata:\n  name: push-image-", rnd(r, string.ascii_lowercase + B14_D, 5), "\nspec:\n  params:\n",
            "    - name: registry-password\n      value: ", b14_PW(r), "\n    - name: git-token\n      value: ", b14_V(r, "GITHUB_TOKEN"), "\n",
            "    - name: password-rotation-days\n      value: \"30\"\n", f"  # {b14_la(f, r, loc)}\n"]


def B14_census(f, r, loc):
    rows = ["Household questionnaire — person list\n"]
    for i in range(r.randint(2, 4)):
        rows += [f"Person {i + 1}: {b14_name(f)}, relationship {['self', 'spouse', 'child', 'child'][i]}, ", b14_dob(r, loc, i > 1), "\n"]
    rows += ["Contact phone: ", b14_PH(r, loc), f"\nForm ID {rnd(r, B14_D, 3)}-{rnd(r, B14_D, 3)}-{rnd(r, B14_D, 3)} (9 digits, not an SSN)\n"]
    return rows


def B14_amadeus_pnr(f, r, loc):
    ln, fn = f.last_name().upper(), f.first_name().upper()
    return [f"RP/PAR1A0{r.randint(100, 999)}/\n  1.{ln}/{fn} MR\n", f"  2  AF {r.randint(1000, 1999)} Y {r.randint(10, 28)}DEC 4 CDGFCO HK1  {r.randint(6, 20):02d}30 {r.randint(8, 22):02d}45\n",
            "  3 APM ", b14_PH(r, loc), "\n  4 APE ", b14_EM(f, r), "\n", "  5 RM PAX1 DOB ",
            B14L("DATE_OF_BIRTH", f"{r.randint(1, 28):02d}{B14_MON['en'][r.randrange(12)].upper()}{r.randint(50, 99)}"), f" PASSPORT {REGION[loc]} {rnd(r, B14_UD, 9)} EXP {r.randint(10, 28)}DEC30\n",
            "  6 FP CC", r.choice(["VI", "CA", "AX", "DC", "JC"]), B14L("CREDIT_CARD", b14_card_digits(r)), f"/{r.randint(1, 12):02d}{r.randint(27, 31)}\n", f"  7 FA PAX 057-{rnd(r, B14_D, 10)}/ETAF\n"]


def B14_laravel_log(f, r, loc):
    return [f"[{B14_TODAY.isoformat()} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}] production.ERROR: SQLSTATE[HY000] [1045] Access denied for user 'forge'@'",
            b14_IP4(r), "' (using password: YES) {\"exception\":\"[object] (PDOException(code: 1045)\"}\n",
            "#0 /home/forge/app/vendor/laravel/framework/src/Illuminate/Database/Connectors/Connector.php(65): PDO->__construct('mysql:host=", b14_IP4(r),
            ";port=3306;dbname=forge', 'forge', '", b14_PW(r), "', Array)\n#1 {main}\n", "[context] user: ", b14_EM(f, r), " bearer: ", b14_V(r, "JWT"), "\n"]


def B14_matrix_chat(f, r, loc):
    a, b = f.first_name(), f.first_name()
    return [f"<{a}> {b14_tr(loc, en='anyone has the staging creds?', de='hat jemand die Staging-Zugangsdaten?', fr='quelqu’un a les accès staging ?', es='¿alguien tiene los accesos de staging?', it='qualcuno ha le credenziali di staging?', nl='heeft iemand de staging-gegevens?')}\n",
            f"<{b}> ", b14_pw_said(r, loc), "\n", f"<{b}> ", b14_tr(loc, en="and the bot token", de="und der Bot-Token", fr="et le token du bot", es="y el token del bot", it="e il token del bot", nl="en de bot-token"), ": ", b14_V(r, r.choice(["SLACK_TOKEN", "GITHUB_TOKEN", "OPENAI_KEY"])), "\n",
            f"<{a}> {b14_pw_not(r, loc)}\n", f"<{b}> {b14_la(f, r, loc)}\n"]


def B14_customs(f, r, loc):
    return [f"{b14_tr(loc, en='Import declaration', de='Zollanmeldung', fr='Déclaration en douane', es='Declaración aduanera', it='Dichiarazione doganale', nl='Douaneaangifte')} MRN {r.randint(24, 26)}{REGION[loc]}{rnd(r, B14_UD, 14)}\n",
            f"EORI {REGION[loc]}{rnd(r, B14_D, 12)}  HS {rnd(r, B14_D, 8)}  {b14_tr(loc, en='value', de='Wert', fr='valeur', es='valor', it='valore', nl='waarde')} {r.randint(50, 9000)} EUR\n",
            f"{b14_tr(loc, en='Importer', de='Einführer', fr='Importateur', es='Importador', it='Importatore', nl='Importeur')}: {b14_name(f)}, ", b14_PH(r, loc), ", ", b14_EM(f, r), "\n",
            f"{b14_tr(loc, en='Duty debit from', de='Abbuchung Zoll von', fr='Prélèvement des droits sur', es='Cargo de aranceles a', it='Addebito dazi su', nl='Afschrijving invoerrechten van')} ", b14_IBAN(r, loc), "\n", f"{b14_la(f, r, loc)}\n"]


def B14_timeclock(f, r, loc):
    return [f"Kiosk {r.choice(['T1', 'T2', 'lobby'])} badge log — {B14_TODAY.isoformat()}\n",
            f"{r.randint(6, 9):02d}:{r.randint(0, 59):02d} IN  {b14_name(f)} badge {rnd(r, B14_D, 9)} (badge ids are 9 digits, not SSNs)\n",
            f"{r.randint(16, 19):02d}:{r.randint(0, 59):02d} OUT {b14_name(f)} badge {rnd(r, B14_D, 9)}\n",
            "admin override by ", b14_EM(f, r), " from ", b14_IP(r), " with kiosk PIN/password ", b14_PW(r), "\n"]


def B14_oidc_env(f, r, loc):
    return ["# Keycloak realm export (excerpt, pasted into the issue)\nclientId: mls-portal\nsecret: ", b14_GS(r), "\n",
            "redirectUris: [https://mls.example/*]\nsmtpServer:\n  from: ", b14_EM(f, r), "\n  password: ", b14_PW(r), "\n",
            "passwordPolicy: length(12) and notUsername\naccessTokenLifespan: 300\n", "sample id_token: ", b14_V(r, "JWT"), "\n"]


def B14_gemfile_creds(f, r, loc):
    return ["$ bundle config set --global gems.contribsys.com ", B14L("GENERIC_SECRET", rnd(r, HEX, 8) + ":" + rnd(r, HEX, 8)), "\n",
            "$ cat ~/.bundle/config\n---\nBUNDLE_GEMS__CONTRIBSYS__COM: \"", B14L("GENERIC_SECRET", rnd(r, HEX, 8) + ":" + rnd(r, HEX, 8)), "\"\nBUNDLE_RUBYGEMS__PKG__GITHUB__COM: \"", b14_V(r, "GITHUB_TOKEN"), "\"\n",
            f"$ gem --version\n3.{r.randint(3, 6)}.{r.randint(0, 20)}\n"]


def B14_sentry_text(f, r, loc):
    return [f"Sentry issue {rnd(r, B14_U, 4)}-{rnd(r, B14_UD, 3)} ({r.randint(2, 900)} events): TypeError: Cannot read properties of undefined (reading 'iban')\n",
            "  user: { id: ", rnd(r, B14_D, 6), ", email: ", b14_EM(f, r), ", ip_address: ", b14_IP(r), " }\n",
            "  request.headers.Cookie: session=", b14_GS(r), "\n  request.data: { holder: ", b14_name(f), ", iban: ", b14_IBAN(r, loc), " }\n",
            f"  release: {b14_la(f, r, loc)}\n"]


def B14_anthropic_snippet(f, r, loc):
    return ["```python\nimport anthropic\n# works locally; TODO move to env before pushing\nclient = anthropic.Anthropic(api_key=\"", b14_V(r, "ANTHROPIC_KEY"), "\")\n",
            "# the docs use a dummy like ", b14_PLH(r), "\n", "# or simply <your-token>\nmsg = client.messages.create(model=\"claude-sonnet-4\", max_tokens=512, messages=[])\n```\n"]


def B14_payslip_de(f, r, loc):
    return [f"{b14_tr(loc, en='Payroll change request', de='Änderung Bankverbindung Gehalt', fr='Changement de RIB pour la paie', es='Cambio de cuenta nómina', it='Variazione IBAN stipendio', nl='Wijziging rekeningnummer salaris')}\n",
            f"{b14_name(f)}, {b14_tr(loc, en='employee no.', de='Personalnr.', fr='matricule', es='n.º empleado', it='matricola', nl='personeelsnr.')} {rnd(r, B14_D, 6)}\n",
            "IBAN: ", b14_IBAN(r, loc), "\n", b14_dob(r, loc), "\n", [b14_ssn_said(r), "\n"] if loc == "en_US" else "",
            f"{b14_tr(loc, en='effective', de='gültig ab', fr='à compter du', es='a partir del', it='dal', nl='met ingang van')} {b14_when(r, loc, 0, 40)}; {b14_la(f, r, loc)}\n"]


B14_TEXT_KINDS = [B14_n8n_run, B14_netlify_log, B14_fly_secrets, B14_railway_env, B14_cloud_init, B14_packer, B14_vagrant, B14_jenkinsfile,
                  B14_bitbucket, B14_azdo_vars, B14_argocd, B14_sops, B14_salt_pillar, B14_nomad, B14_makefile, B14_pgpass, B14_odbc, B14_django,
                  B14_rails_db, B14_flask, B14_keytool, B14_mailmerge, B14_sms_list, B14_chatbot, B14_cdr, B14_porting, B14_smartmeter, B14_passport,
                  B14_dmv, B14_admissions, B14_donor_note, B14_club_roll, B14_vet_record, B14_mls, B14_dms_deal, B14_adjuster, B14_pbm_claim,
                  B14_dental_ref, B14_radar_note, B14_pagerduty, B14_grafana, B14_wrangler, B14_tekton, B14_census, B14_amadeus_pnr, B14_laravel_log,
                  B14_matrix_chat, B14_customs, B14_timeclock, B14_oidc_env, B14_gemfile_creds, B14_sentry_text, B14_anthropic_snippet, B14_payslip_de]


def b14_text(f, r, loc):
    return b14_flat(r.choice(B14_TEXT_KINDS)(f, r, loc))


# ----- JSON documents -----

B14_EMBED = [k for k in B14_TEXT_KINDS if k not in (B14_cloud_init, B14_argocd, B14_sops)]


def b14_jtext(f, r, loc):
    return b14_js(r.choice(B14_EMBED)(f, r, loc))


def B14_j_mcp_call(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "method": "tools/call",
            "params": {"name": r.choice(["zammad_create_article", "airtable_update_record", "paste_create", "pagerduty_add_note", "notes.append"]),
                       "arguments": {"body": b14_jtext(f, r, loc), "internal": r.random() < 0.5, "tags": b14_arr(r.choice(["ops", "billing", "vet"]), r.choice(["urgent", "fyi"]))}}}


def B14_j_mcp_result(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999),
            "result": {"content": [{"type": "text", "text": b14_jtext(f, r, loc)}, {"type": "text", "text": b14_js(b14_las(f, r, loc, 3))}], "isError": False}}


def B14_j_sampling(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 9999), "method": "sampling/createMessage",
            "params": {"messages": [{"role": "user", "content": {"type": "text", "text": b14_js("Summarise for the customer: ", b14_jtext(f, r, loc))}}],
                       "systemPrompt": "You are a concise support assistant.", "maxTokens": r.choice([256, 512, 1024])}}


def B14_j_gemini_call(f, r, loc):
    fn = f.first_name()
    ln = f.last_name()
    return {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "create_booking", "args": {
        "guest": {"first_name": fn, "last_name": ln, "email": b14_EM(f, r, fn, ln), "phone": b14_PH(r, loc), "date_of_birth": b14_DOB(r, loc)},
        "payment": {"card_number": b14_CC(r), "cvc": b14_CVC(r), "expiry": f"{r.randint(1, 12):02d}/{r.randint(27, 31)}"},
        "booking_ref": rnd(r, B14_UD, 6), "check_in": b14_when(r, loc, 0, 60), "notes": b14_js(b14_la(f, r, loc))}}}]}, "finishReason": "STOP"}]}


def B14_j_braintree(f, r, loc):
    return {"kind": "subscription_charged_successfully", "timestamp": f"{B14_TODAY.isoformat()}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z",
            "subscription": {"id": rnd(r, string.ascii_lowercase + B14_D, 6), "price": f"{r.randint(5, 99)}.00", "transactions": [
                {"id": rnd(r, string.ascii_lowercase + B14_D, 8), "customer": {"email": b14_EM(f, r), "phone": b14_PH(r, loc)},
                 "billing": {"postal_code": f.postcode(), "country": REGION[loc]},
                 "credit_card": {"bin": rnd(r, B14_D, 6), "last_4": rnd(r, B14_D, 4), "token": rnd(r, string.ascii_lowercase + B14_D, 7)}, "ip_address": b14_IP(r)}]},
            "merchant": {"private_key": b14_GS(r), "environment": "production"}}


def B14_j_mollie(f, r, loc):
    return {"resource": "payment", "id": "tr_" + rnd(r, AN, 10), "mode": "live", "amount": {"value": f"{r.randint(5, 900)}.{r.randint(0, 99):02d}", "currency": "EUR"},
            "method": r.choice(["directdebit", "ideal", "banktransfer"]),
            "details": {"consumerName": b14_name(f), "consumerAccount": b14_IBAN(r, loc), "consumerBic": r.choice(["INGBNL2A", "RABONL2U", "DEUTDEFF", "BNPAFRPP"]),
                        "mandateReference": f"MD-{rnd(r, B14_D, 8)}"},
            "metadata": {"order_id": b14_phoneish(r), "customer_email": b14_EM(f, r), "note": b14_js(b14_la(f, r, loc))},
            "_links": {"self": {"href": "https://api.mollie.com/v2/payments/tr_" + rnd(r, AN, 10)}}}


def B14_j_scim(f, r, loc):
    fn, ln = f.first_name(), f.last_name()
    return {"schemas": b14_arr("urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
            "userName": b14_EM(f, r, fn, ln), "name": {"givenName": fn, "familyName": ln}, "active": True,
            "password": b14_PW(r), "phoneNumbers": [{"value": b14_PH(r, loc), "type": "mobile"}],
            "emails": [{"value": b14_EM(f, r, fn, ln), "primary": True}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": rnd(r, B14_D, 9), "costCenter": rnd(r, B14_D, 4)},
            "meta": {"resourceType": "User", "version": "W-" + rnd(r, HEX, 8)}}


def B14_j_entra_signin(f, r, loc):
    rows = []
    for _ in range(r.randint(1, 3)):
        rows.append({"createdDateTime": f"{B14_TODAY.isoformat()}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z",
                     "userPrincipalName": b14_EM(f, r), "ipAddress": b14_IP(r), "appDisplayName": r.choice(["Office 365", "Azure Portal", "Graph Explorer"]),
                     "status": {"errorCode": r.choice([0, 50126, 50074]), "failureReason": r.choice(["", "Invalid username or password.", "MFA required"])},
                     "correlationId": f"{rnd(r, HEX, 8)}-{rnd(r, HEX, 4)}-{rnd(r, HEX, 4)}-{rnd(r, HEX, 4)}-{rnd(r, HEX, 12)}"})
    return {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns", "value": rows,
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=" + rnd(r, AN, 24)}


def B14_j_workspace_audit(f, r, loc):
    return {"kind": "admin#reports#activities", "items": [{"id": {"time": f"{B14_TODAY.isoformat()}T08:{r.randint(10, 59)}:00.000Z", "applicationName": "admin",
                                                                   "uniqueQualifier": str(r.randint(10 ** 17, 10 ** 18))},
                                                            "actor": {"email": b14_EM(f, r), "profileId": rnd(r, B14_D, 21)}, "ipAddress": b14_IP(r),
                                                            "events": [{"type": "USER_SETTINGS", "name": "CHANGE_PASSWORD", "parameters": [
                                                                {"name": "USER_EMAIL", "value": b14_EM(f, r)}, {"name": "NEW_VALUE", "value": b14_PW(r)},
                                                                {"name": "PASSWORD_POLICY", "value": "STRONG"}]}]}]}


def B14_j_sentry_event(f, r, loc):
    return {"event_id": rnd(r, HEX, 32), "platform": "python", "level": "error", "release": f"vet-portal@{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
            "user": {"id": rnd(r, B14_D, 6), "email": b14_EM(f, r), "ip_address": b14_IP(r)},
            "request": {"url": "https://vet.example/api/owners", "method": "POST", "headers": {"Authorization": ["Bearer ", b14_V(r, "JWT")], "X-Request-Id": rnd(r, HEX, 16)},
                        "data": {"owner_phone": b14_PH(r, loc), "owner_dob": b14_DOB(r, loc), "card": b14_CC(r)}},
            "exception": {"values": [{"type": "ValidationError", "value": b14_js(b14_la(f, r, loc))}]},
            "extra": {"settings.SECRET_KEY": b14_GS(r), "settings.DATABASES.default.PASSWORD": b14_PW(r)}}


def B14_j_pagerduty(f, r, loc):
    return {"incident": {"id": "Q" + rnd(r, B14_UD, 13), "incident_number": r.randint(1000, 99999), "title": "Webhook signature mismatch",
                         "urgency": "high", "assignees": [{"summary": b14_name(f), "email": b14_EM(f, r)}],
                         "body": {"details": b14_js("Rotated the secret; new value ", b14_GS(r), ". On-call phone ", b14_PH(r, loc), ". ", b14_las(f, r, loc))}},
            "log_entries": [{"type": "annotate_log_entry", "channel": {"summary": b14_js("slack bot token used: ", b14_V(r, "SLACK_TOKEN"))}}]}


def B14_j_alertmanager(f, r, loc):
    return {"receiver": "ops-webhook", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "PostgresAuthFailures", "instance": [b14_IP4(r), ":9187"], "severity": "critical"},
         "annotations": {"summary": b14_js("auth failures for user billing (password ", b14_PW(r), " was in a log line)"),
                         "runbook_url": "https://wiki.internal/rb/pg-auth"},
         "startsAt": f"{B14_TODAY.isoformat()}T04:{r.randint(10, 59)}:00Z", "fingerprint": rnd(r, HEX, 16)}],
        "externalURL": "http://alertmanager:9093", "version": "4", "groupKey": "{}:{alertname=PostgresAuthFailures}"}


def B14_j_airtable(f, r, loc):
    recs = []
    for _ in range(r.randint(1, 3)):
        fn, ln = f.first_name(), f.last_name()
        recs.append({"id": "rec" + rnd(r, AN, 14), "createdTime": f"{B14_TODAY.isoformat()}T10:00:00.000Z",
                     "fields": {"Name": f"{fn} {ln}", "Email": b14_EM(f, r, fn, ln), "Phone": b14_PH(r, loc), "Birthday": b14_DOB(r, loc),
                                "Membership": r.choice(["Gold", "Basic", "Student"]), "Member #": rnd(r, B14_D, 9)}})
    return {"records": recs, "offset": "itr" + rnd(r, AN, 14)}


def B14_j_firestore(f, r, loc):
    return {"name": f"projects/vet-app/databases/(default)/documents/owners/{rnd(r, AN, 20)}",
            "fields": {"fullName": {"stringValue": b14_name(f)}, "email": {"stringValue": b14_EM(f, r)}, "phone": {"stringValue": b14_PH(r, loc)},
                       "iban": {"stringValue": b14_IBAN(r, loc)}, "pushKey": {"stringValue": b14_V(r, "GOOGLE_API_KEY")},
                       "pets": {"arrayValue": {"values": [{"stringValue": r.choice(["Bella", "Moos", "Pippo"])}]}}, "visits": {"integerValue": str(r.randint(1, 40))}},
            "updateTime": f"{B14_TODAY.isoformat()}T11:{r.randint(10, 59)}:02.{rnd(r, B14_D, 6)}Z"}


def B14_j_supabase_rows(f, r, loc):
    cols = ["id", "created_at", "full_name", "email", "phone", "ssn", "notes"]
    rows = [b14_arr(*cols)]
    for i in range(r.randint(2, 4)):
        rows.append(b14_arr(str(r.randint(1, 9999)), f"{B14_TODAY.isoformat()} 0{r.randint(0, 9)}:00", b14_name(f), b14_EM(f, r), b14_PH(r, loc),
                            b14_SSN(r) if loc == "en_US" or r.random() < 0.3 else "", b14_js(b14_la(f, r, loc))))
    return {"query": "select * from applicants limit 50", "values": rows}


def B14_j_appsettings(f, r, loc):
    return {"Logging": {"LogLevel": {"Default": "Information"}},
            "ConnectionStrings": {"Default": ["Server=", b14_IP4(r), ";Database=Clinic;User Id=sa;Password=", b14_PW(r, True), ";TrustServerCertificate=True"]},
            "Jwt": {"Issuer": "clinic", "SigningKey": b14_GS(r), "LifetimeMinutes": 30},
            "Smtp": {"User": b14_EM(f, r), "Password": b14_PW(r), "PasswordResetTokenHours": 4},
            "OpenAI": {"ApiKey": b14_V(r, "OPENAI_KEY")}, "Anthropic": {"ApiKey": b14_V(r, "ANTHROPIC_KEY"), "Model": "claude-haiku-4"},
            "Example": {"AwsKey": b14_PLH(r)}}


def B14_j_node_config(f, r, loc):
    return {"server": {"port": 8080, "trustProxy": b14_arr(b14_IP4(r))}, "github": {"appId": r.randint(10000, 999999), "installationToken": b14_V(r, "GITHUB_TOKEN"),
                                                                             "privateKey": b14_PEM(r, "\\n")},
            "aws": {"accessKeyId": b14_V(r, "AWS_ACCESS_KEY"), "secretAccessKey": B14L("GENERIC_SECRET", rnd(r, AN + "/+", 40)), "region": "eu-west-1"},
            "docsExample": {"anthropic": b14_PLH(r), "standIn": r.choice(B14_STANDINS)}}


def B14_j_actuator_env(f, r, loc):
    return {"activeProfiles": b14_arr("prod"), "propertySources": [{"name": "applicationConfig: [classpath:/application-prod.yml]", "properties": {
        "spring.datasource.url": {"value": ["jdbc:postgresql://", b14_IP4(r), ":5432/dms"]},
        "spring.datasource.password": {"value": b14_PW(r), "origin": "class path resource [application-prod.yml] - 9:15"},
        "stripe.api-key": {"value": b14_V(r, "STRIPE_KEY")}, "security.password.min-length": {"value": "12"},
        "app.support-phone": {"value": b14_PH(r, loc)}}}]}


def B14_j_amadeus(f, r, loc):
    fn, ln = f.first_name(), f.last_name()
    return {"data": {"type": "flight-order", "id": rnd(r, AN, 16), "associatedRecords": [{"reference": rnd(r, B14_U, 6), "originSystemCode": "GDS"}],
                     "travelers": [{"id": "1", "dateOfBirth": b14_DOB(r, loc), "name": {"firstName": fn.upper(), "lastName": ln.upper()},
                                    "contact": {"emailAddress": b14_EM(f, r, fn, ln), "phones": [{"deviceType": "MOBILE", "number": b14_PH(r, loc)}]},
                                    "documents": [{"documentType": "PASSPORT", "number": rnd(r, B14_UD, 9), "expiryDate": (B14_TODAY + datetime.timedelta(days=r.randint(200, 3000))).isoformat()}]}],
                     "ticketingAgreement": {"option": "DELAY_TO_CANCEL", "delay": "6D"}, "remarks": {"general": [{"text": b14_js(b14_la(f, r, loc))}]}}}


def B14_j_porting_api(f, r, loc):
    return {"portRequest": {"id": f"PR-{rnd(r, B14_D, 8)}", "numbers": b14_arr(*[b14_PH(r, loc, 0.0) for _ in range(r.randint(1, 2))]),
                            "subscriber": {"name": b14_name(f), "dateOfBirth": b14_DOB(r, loc), "accountPin": b14_PW(r), "email": b14_EM(f, r)},
                            "losingCarrier": r.choice(["Vodafone", "Orange", "TIM", "KPN", "Movistar", "T-Mobile"]), "imei": b14_imei(r),
                            "requestedDate": (B14_TODAY + datetime.timedelta(days=r.randint(3, 20))).isoformat()}}


def B14_j_donor(f, r, loc):
    return {"object": "donation", "campaign": r.choice(["Winter appeal", "Spendenaktion", "Don de fin d'année"]), "amount_cents": r.randint(500, 50000),
            "donor": {"name": b14_name(f), "email": b14_EM(f, r), "phone": b14_PH(r, loc), "birth_date": b14_DOB(r, loc)},
            "payment": {"iban": b14_IBAN(r, loc)} if r.random() < 0.6 else {"card": b14_CC(r), "cvv": b14_CVC(r)},
            "receipt_number": f"{r.randint(2025, 2026)}-{rnd(r, B14_D, 7)}", "source_ip": b14_IP(r)}


def B14_j_n8n_exec(f, r, loc):
    return {"executionId": str(r.randint(1000, 99999)), "workflowId": rnd(r, AN, 16), "mode": "webhook", "data": {"resultData": {"runData": {
        "HTTP Request": [{"json": {"headers": {"x-api-key": b14_anysecret(r), "authorization": ["Basic ", B14L("GENERIC_SECRET", base64.b64encode(f"svc:{b14_pw_value(r, True)}".encode()).decode())]},
                                   "body": {"email": b14_EM(f, r), "message": b14_jtext(f, r, loc)}}}],
        "Set": [{"json": {"status": "ok", "ref": b14_js(b14_la(f, r, loc))}}]}}}}


B14_JSON_KINDS = [B14_j_mcp_call, B14_j_mcp_call, B14_j_mcp_result, B14_j_mcp_result, B14_j_sampling, B14_j_gemini_call, B14_j_braintree, B14_j_mollie,
                  B14_j_scim, B14_j_entra_signin, B14_j_workspace_audit, B14_j_sentry_event, B14_j_pagerduty, B14_j_alertmanager, B14_j_airtable,
                  B14_j_firestore, B14_j_supabase_rows, B14_j_appsettings, B14_j_node_config, B14_j_actuator_env, B14_j_amadeus, B14_j_porting_api,
                  B14_j_donor, B14_j_n8n_exec]


def b14_json(f, r, loc):
    return r.choice(B14_JSON_KINDS)(f, r, loc)


# ----- self-check -----

def b14_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b14_labels(y)]
    if isinstance(v, (list, tuple)):
        return [x for y in v for x in b14_labels(y)]
    return []


B14_SHAPES = {
    "EMAIL": r"[A-Za-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}",
    "AWS_ACCESS_KEY": r"(AKIA|ASIA)[A-Z2-7]{16}",
    "GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_11[A-Z0-9]{20}_[A-Za-z0-9]{59}",
    "SLACK_TOKEN": r"xox[bp]-\d+-\d+-[A-Za-z0-9-]+|xapp-1-A[A-Z0-9]+-\d+-[0-9a-f]+",
    "STRIPE_KEY": r"(sk|rk)_live_[A-Za-z0-9]{24,99}",
    "OPENAI_KEY": r"sk-(proj-|svcacct-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+",
    "ANTHROPIC_KEY": r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA",
    "GOOGLE_API_KEY": r"AIza[A-Za-z0-9_-]{35}",
    "JWT": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    "PRIVATE_KEY": r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----(\n *|\\n)[A-Za-z0-9+/=\n \\]+-----END ([A-Z]+ )?PRIVATE KEY-----",
}


def b14_value_ok(typ, v):
    if typ in B14_SHAPES:
        if re.fullmatch(B14_SHAPES[typ], v) is None or "EXAMPLE" in v.upper():
            return False
        if typ == "JWT":
            h = v.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            return "alg" in hdr
        return True
    if typ == "CREDIT_CARD":
        d = v.replace(" ", "").replace("-", "")
        return d.isdigit() and 13 <= len(d) <= 19 and luhn_ok(d) and any(d.startswith(p) and len(d) == n for p, n in B14_IIN)
    if typ == "IBAN":
        d = v.replace(" ", "")
        return d[:2] in B14_IBAN_SPEC and len(d) == B14_IBAN_SPEC[d[:2]][0] and b14_m97(d[4:] + d[:4]) == 1
    if typ == "US_SSN":
        d = v.replace("-", "").replace(" ", "")
        return len(d) == 9 and d.isdigit() and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ in ("IPV4", "IPV6"):
        a = ipaddress.ip_address(v)
        return (a.version == 4) == (typ == "IPV4") and not a.is_loopback and not a.is_unspecified
    if typ == "PHONE":
        for reg in [None] + list(REGION.values()) + B14_FOREIGN:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(v.replace("(0)", ""), reg)):
                    return True
            except phonenumbers.NumberParseException:
                pass
        return False
    if typ == "DATE_OF_BIRTH":
        return re.search(r"(19|20)\d\d|^\d\d[A-Z]{3}\d\d$", v) is not None
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() for c in v) and v not in B14_STANDINS and not any(c in v for c in "\"'\\")
    if typ == "PLACEHOLDER":
        return v in B14_PLACEHOLDERS
    return False


def b14_check(i, kind, doc, w, text):
    """Self-check: each span holds its label's text; values pass their checksums and shapes (Luhn and IIN,
    mod-97 and length, SSN rules, libphonenumber, vendor shapes, JWT header decodes, placeholder list);
    JSON parses and no escape precedes a label inside its string."""
    want = b14_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp, got, lab_.text)
        assert b14_value_ok(lab_.typ, lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)
            assert b'"' not in w.buf[sp["start"]:sp["end"]], (i, sp)


# ---------- blind15 (seed 1616) ----------
# A sixteenth split written by a twelfth helper who never read the detection rules, their docs or history (nor the
# blind11..blind14 sections) and never ran the engine on it; labelled by the lead's taxonomy. Its own value generators
# (phones drawn from libphonenumber metadata per region, Luhn cards over real IIN ranges, mod-97 IBANs of the right
# length per country, SSNs, IPs, every vendor token shape, passwords, PEM keys), look-alikes (b15_la) and document
# kinds (B15_TEXT_KINDS, B15_JSON_KINDS): service-desk exports, e-signature and booking mails, bank files (MT940,
# CAMT.053, OFX), EDI and clinical fragments, network-device configs, client config files of file-transfer and
# storage tools, observability pipelines, agent traces, and the JSON webhooks and tool calls around them.
# Key-shaped documentation examples (full vendor shape, visibly fake) are PLACEHOLDER; shapeless stand-ins are not.
# Relative dates use B15_TODAY, never the clock. Self-check: b15_check.

B15_TODAY = datetime.date(2026, 12, 15)
B15_LG = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "nl_NL": "nl"}
B15_FOREIGN = ["BE", "CH", "AT", "IE", "PT", "SE", "DK", "NO", "FI", "PL", "CA", "AU", "LU"]
B15_DIG = string.digits
B15_UC = string.ascii_uppercase
B15_UCD = string.ascii_uppercase + string.digits
B15_LC = string.ascii_lowercase
B15_B64U = AN + "-_"


class B15L(L):
    """A labelled value, verbatim."""
    def __init__(self, typ, text):
        assert text and text.strip() == text, repr(text)
        self.typ, self.text = typ, text


def b15_flat(*xs):
    out = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            out += b15_flat(*x)
        elif isinstance(x, L) or x:
            out.append(x)
    return out


def b15_js(*xs):
    """Text pieces for a JSON string: line breaks become ' | ', quotes become ', no backslashes or tabs."""
    out = []
    for p in b15_flat(*xs):
        if isinstance(p, L) and p.typ == "PRIVATE_KEY" and "\n" in p.text:
            out.append(p.text.split("\n")[0] + f" [{len(p.text)} bytes elided]")
        elif isinstance(p, L):
            out.append(p)
        else:
            out.append(p.replace("\\", "/").replace('"', "'").replace("\r", "").replace("\n", " | ").replace("\t", "  "))
    return out


def b15_lines(*xs):
    """Text as a JSON array of lines (each line a string, possibly labelled)."""
    rows, cur = [], []
    for p in b15_flat(*xs):
        if isinstance(p, L) and p.typ == "PRIVATE_KEY" and "\n" in p.text:
            rows.append(cur) if cur else None
            rows.append([B15L(p.typ, p.text.replace("\n", "\\n"))])
            cur = []
            continue
        if isinstance(p, L):
            cur.append(p)
            continue
        segs = p.split("\n")
        for j, s in enumerate(segs):
            if j:
                rows.append(cur)
                cur = []
            if s:
                cur.append(s.replace("\\", "/").replace('"', "'").replace("\t", "  "))
    if cur:
        rows.append(cur)
    return [x if len(x) == 1 and isinstance(x[0], L) and x[0].typ == "PRIVATE_KEY" else b15_js(x) for x in rows if x]


def b15_l(loc):
    return B15_LG[loc]


def b15_t(loc, **kw):
    return kw.get(b15_l(loc), kw["en"])


def b15_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and (c.isalnum() or c in ".-")).lower().strip(".-")


def b15_who(f):
    return f.first_name(), f.last_name()


def b15_uuid(r, upper=False):
    h = rnd(r, HEX, 32)
    v = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"
    return v.upper() if upper else v


def b15_b64(r, n):
    return base64.b64encode(bytes(r.randrange(256) for _ in range(n))).decode()


# ----- phones: random valid numbers from libphonenumber's metadata -----

B15_PHONE_CACHE = {}


def b15_phone_number(r, reg, mobile):
    key = (reg, mobile)
    if key not in B15_PHONE_CACHE:
        t = phonenumbers.PhoneNumberType
        ex = phonenumbers.example_number_for_type(reg, t.MOBILE if mobile else t.FIXED_LINE) or phonenumbers.example_number(reg)
        B15_PHONE_CACHE[key] = ex
    ex = B15_PHONE_CACHE[key]
    nat = str(ex.national_number)
    t = phonenumbers.PhoneNumberType
    want = (t.MOBILE, t.FIXED_LINE_OR_MOBILE) if mobile else (t.FIXED_LINE, t.FIXED_LINE_OR_MOBILE)
    for _ in range(2000):
        lead = r.choice("23456789") if reg in ("US", "CA") else nat[0]
        cand = lead + rnd(r, B15_DIG, len(nat) - 1)
        if reg in ("US", "CA") and (cand[3:6] == "555" or cand[1:3] == "11" or cand[3] in "01"):
            continue
        n = phonenumbers.PhoneNumber(country_code=ex.country_code, national_number=int(cand))
        if ex.italian_leading_zero:
            n.italian_leading_zero = True
        if phonenumbers.is_valid_number_for_region(n, reg) and phonenumbers.number_type(n) in want:
            return n
    raise AssertionError((reg, mobile))


def b15_phone_text(r, n, reg, abroad=False):
    F = phonenumbers.PhoneNumberFormat
    k = r.randrange(9)
    if abroad:  # a number from another country is written with its country code
        k = r.choice([3, 4, 5, 6, 7])
    intl = phonenumbers.format_number(n, F.INTERNATIONAL)
    nat = phonenumbers.format_number(n, F.NATIONAL)
    if k <= 2:
        v = nat
    elif k <= 4:
        v = intl
    elif k == 5:
        v = phonenumbers.format_number(n, F.E164)
    elif k == 6:
        v = "00" + intl[1:]
    elif k == 7:
        v = intl.replace(" ", r.choice(["-", ".", " "]))
    else:
        v = nat.replace(" ", r.choice(["", "-", "."])) if reg != "US" else r.choice([nat.replace("(", "").replace(") ", "-"), nat.replace("(", "").replace(") ", ".").replace("-", "."), "1-" + nat.replace("(", "").replace(") ", "-")])
    return v


def b15_ok_phone(v, reg):
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(v, reg))
    except phonenumbers.NumberParseException:
        return False


def b15_PH(r, loc, foreign=0.1, mobile=None):
    reg = r.choice(B15_FOREIGN) if r.random() < foreign else REGION[loc]
    mobile = r.random() < 0.6 if mobile is None else mobile
    n = b15_phone_number(r, reg, mobile)
    v = b15_phone_text(r, n, reg, reg != REGION[loc])
    if not b15_ok_phone(v, reg):
        v = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return B15L("PHONE", v)


# ----- e-mail -----

B15_DOMAINS = ["orange.fr", "sfr.fr", "gmx.de", "posteo.de", "ziggo.nl", "xs4all.nl", "libero.it", "alice.it", "telefonica.net", "outlook.es",
               "btinternet.com", "virginmedia.com", "proton.me", "fastmail.com", "outlook.com", "verizon.net", "att.net", "me.com",
               "haverford-freight.com", "klinik-am-sund.de", "cabinet-morel.fr", "talleres-oyarzun.es", "studio-bellandi.it", "bakkerij-visser.nl",
               "lakeside-pediatrics.org", "greywell-estates.co.uk", "quantum-ledger.io", "fjord-analytics.no"]


def b15_EM(f, r, fn=None, ln=None, dom=None):
    fn = b15_ascii(fn or f.first_name()) or "sam"
    ln = b15_ascii(ln or f.last_name()) or "lind"
    local = r.choice([f"{fn}.{ln}", f"{fn[0]}{ln}", f"{fn}_{ln}", f"{ln}.{fn[0]}", f"{fn}{r.randint(1, 99)}", f"{fn}.{ln}+{r.choice(['shop', 'bills', 'esign', 'travel'])}",
                      r.choice(["billing", "noreply-bounces", "servicedesk", "hr-team", "reception", "compta", "verwaltung", "contabilidad", "segreteria", "planning"])])
    return B15L("EMAIL", f"{local}@{dom or r.choice(B15_DOMAINS)}")


# ----- cards (Luhn-valid, real IIN ranges) -----

def b15_luhn_complete(p):
    for c in B15_DIG:
        if luhn_ok(p + c):
            return p + c


def b15_card_digits(r):
    k = r.randrange(12)
    if k <= 2:
        pre, n = "4" + rnd(r, B15_DIG, 5), r.choice([16, 16, 16, 13, 19])
    elif k <= 4:
        pre, n = str(r.randint(51, 55)) + rnd(r, B15_DIG, 4), 16
    elif k == 5:
        pre, n = str(r.randint(2221, 2720)) + rnd(r, B15_DIG, 2), 16
    elif k == 6:
        pre, n = r.choice(["34", "37"]) + rnd(r, B15_DIG, 4), 15
    elif k == 7:
        pre, n = r.choice(["6011", str(r.randint(644, 649)), "65"]), 16
    elif k == 8:
        pre, n = str(r.randint(3528, 3589)), 16
    elif k == 9:
        pre, n = r.choice([str(r.randint(300, 305)), "36", "38"]), 14
    elif k == 10:
        pre, n = "62" + rnd(r, B15_DIG, 4), 16
    else:
        pre, n = r.choice(["5018", "5020", "6304", "6759"]), r.choice([16, 19])
    return b15_luhn_complete(pre + rnd(r, B15_DIG, n - len(pre) - 1))


def b15_card_fmt(r, d):
    k = r.randrange(5)
    if k <= 1:
        return d
    sep = " " if k <= 3 else "-"
    if len(d) == 15:
        return sep.join([d[:4], d[4:10], d[10:]])
    if len(d) == 14:
        return sep.join([d[:4], d[4:10], d[10:]])
    if len(d) in (16, 19):
        return sep.join(d[i:i + 4] for i in range(0, len(d), 4))
    return d


def b15_CC(r):
    return B15L("CREDIT_CARD", b15_card_fmt(r, b15_card_digits(r)))


def b15_iin_ok(d):
    p2, p3, p4, p6 = int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    n = len(d)
    return ((d[0] == "4" and n in (13, 16, 19)) or (51 <= p2 <= 55 and n == 16) or (222100 <= p6 <= 272099 and n == 16)
            or (p2 in (34, 37) and n == 15) or ((p4 == 6011 or 644 <= p3 <= 649 or p2 == 65) and n == 16) or (3528 <= p4 <= 3589 and n == 16)
            or ((300 <= p3 <= 305 or p2 in (36, 38)) and n == 14) or (p2 == 62 and n == 16) or (p4 in (5018, 5020, 6304, 6759) and n in (16, 19)))


# ----- IBANs (mod-97, right length per country) -----

B15_IBAN = {"DE": (22, "n18"), "GB": (22, "B4n14"), "FR": (27, "n10c11n2"), "ES": (24, "n20"), "IT": (27, "a1n10c12"), "NL": (18, "B4n10"),
            "BE": (16, "n12"), "AT": (20, "n16"), "CH": (21, "n5c12"), "IE": (22, "B4n14"), "PT": (25, "n21"), "LU": (20, "n3c13"),
            "PL": (28, "n24"), "SE": (24, "n20"), "DK": (18, "n14"), "FI": (18, "n14"), "NO": (15, "n11")}
B15_BANKS = {"GB": ["NWBK", "BARC", "LOYD", "HBUK", "STAR", "TSBS", "CPBK"], "NL": ["ABNA", "RABO", "INGB", "SNSB", "BUNQ", "RBRB", "FVLB"],
             "IE": ["AIBK", "BOFI", "IPBS", "ULSB"]}
B15_HOME = {"en_US": "GB", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT", "nl_NL": "NL"}


def b15_m97(s):
    return int("".join(str(int(c, 36)) for c in s)) % 97


def b15_iban_value(r, cc):
    ln, fmt = B15_IBAN[cc]
    bban = ""
    for kind, n in re.findall(r"([ancB])(\d+)", fmt):
        n = int(n)
        bban += {"n": lambda: rnd(r, B15_DIG, n), "c": lambda: rnd(r, B15_DIG, n) if r.random() < 0.8 else rnd(r, B15_DIG, n - 3) + rnd(r, B15_UCD, 3), "a": lambda: rnd(r, B15_UC, n),
                 "B": lambda: r.choice(B15_BANKS[cc])}[kind]()
    v = f"{cc}{98 - b15_m97(bban + cc + '00'):02d}{bban}"
    assert len(v) == ln and b15_m97(v[4:] + v[:4]) == 1, v
    return v


def b15_IBAN(r, loc, spaced=None):
    cc = r.choice(sorted(B15_IBAN)) if r.random() < 0.18 else B15_HOME[loc]
    v = b15_iban_value(r, cc)
    if (r.random() < 0.5) if spaced is None else spaced:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return B15L("IBAN", v)


# ----- SSN, IPs -----

def b15_ssn_raw(r):
    while True:
        a = r.randint(1, 899)
        if a != 666:
            break
    return f"{a:03d}", f"{r.randint(1, 99):02d}", f"{r.randint(1, 9999):04d}"


def b15_SSN(r, sep=None):
    a, g, s = b15_ssn_raw(r)
    sep = r.choice(["-", "-", "-", " ", ""]) if sep is None else sep
    return B15L("US_SSN", sep.join([a, g, s]))


def b15_IP4(r, private=None):
    private = r.random() < 0.4 if private is None else private
    if private:
        v = r.choice([f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(2, 254)}", f"192.168.{r.randint(0, 255)}.{r.randint(2, 254)}",
                      f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(2, 254)}", f"100.{r.randint(64, 127)}.{r.randint(0, 255)}.{r.randint(2, 254)}"])
    else:
        v = f"{r.choice([5, 24, 37, 45, 62, 79, 80, 87, 88, 95, 104, 130, 145, 154, 178, 188, 195, 203, 213, 3, 18, 35, 44, 54, 68, 71, 99])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    return B15L("IPV4", v)


def b15_IP6(r):
    pre = r.choice(["2a02:810", "2a01:cb1", "2001:67c", "2003:e2", "2600:1700", "2a0a:a54", "2001:1c00", "fd12:3456", "2a05:d018"])
    rest = [f"{r.randint(0, 0xffff):x}" for _ in range(8 - len(pre.split(":")))]
    if r.random() < 0.45:
        for j in range(1, min(4, len(rest) - 1)):
            rest[j] = "0"
    v = str(ipaddress.ip_address(pre + ":" + ":".join(rest)))
    if r.random() < 0.1:
        v = v.upper()
    return B15L("IPV6", v)


# ----- dates -----

B15_MON = {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
           "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
           "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
           "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
           "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
           "nl": "januari februari maart april mei juni juli augustus september oktober november december".split()}


def b15_date(r, d, loc, iso=None):
    lg = b15_l(loc)
    k = r.randrange(5) if iso is None else (0 if iso else r.randrange(1, 5))
    if k == 0:
        return d.isoformat()
    if k == 1:
        if loc == "en_US":
            return f"{B15_MON['en'][d.month - 1]} {d.day}, {d.year}"
        if lg == "en":
            return f"{d.day} {B15_MON['en'][d.month - 1]} {d.year}"
        if lg == "es":
            return f"{d.day} de {B15_MON['es'][d.month - 1]} de {d.year}"
        return f"{d.day} {B15_MON[lg][d.month - 1]} {d.year}" if lg != "de" else f"{d.day}. {B15_MON['de'][d.month - 1]} {d.year}"
    if loc == "en_US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}" if k < 4 else f"{d.month}/{d.day}/{d.year}"
    if lg == "de":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if lg == "nl":
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def b15_rel(r, loc, back=400, fwd=90, iso=None):
    return b15_date(r, B15_TODAY + datetime.timedelta(days=r.randint(-back, fwd)), loc, iso)


def b15_DOB(r, loc, iso=None):
    d = B15_TODAY - datetime.timedelta(days=r.randint(16 * 365, 93 * 365))
    return B15L("DATE_OF_BIRTH", b15_date(r, d, loc, iso))


B15_BORN = {"en": ["Date of birth: ", "DOB: ", "born on ", "Birth date ", "D.O.B. "],
            "de": ["Geburtsdatum: ", "geb. am ", "geboren am ", "Geburtstag "],
            "fr": ["Date de naissance : ", "né(e) le ", "date naiss. "],
            "es": ["Fecha de nacimiento: ", "nacido el ", "F. nac.: "],
            "it": ["Data di nascita: ", "nato/a il ", "nascita: "],
            "nl": ["Geboortedatum: ", "geboren op ", "geb.: "]}


def b15_born(r, loc):
    return [r.choice(B15_BORN[b15_l(loc)]), b15_DOB(r, loc)]


# ----- vendor tokens -----

B15_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b15_jwt_value(r):
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    hdr = r.choice([{"alg": "RS256", "typ": "JWT"}, {"typ": "JWT", "alg": "HS256"}, {"alg": "ES256", "kid": rnd(r, B15_B64U, 22)},
                    {"alg": "RS256", "kid": rnd(r, HEX, 40), "typ": "at+jwt"}, {"alg": "PS256", "typ": "JWT", "x5t": rnd(r, B15_B64U, 27)}])
    iat = r.randint(1_765_000_000, 1_797_000_000)
    body = {"iss": r.choice(["https://login.acme-hr.example", "https://auth.tenant-eu.okta.example", "urn:svc:billing"]), "sub": rnd(r, HEX, 24),
            "aud": r.choice(["api", "mcp-gateway", "https://graph.internal"]), "iat": iat, "exp": iat + r.choice([300, 3600, 28800])}
    if r.random() < 0.5:
        body["email"] = rnd(r, B15_LC, 6) + "@" + r.choice(B15_DOMAINS)
    sig = rnd(r, B15_B64U, r.choice([43, 86, 342]))
    return ".".join([enc(hdr), enc(body), sig])


def b15_token(r, typ):
    if typ == "AWS_ACCESS_KEY":
        return r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) + rnd(r, B15_B32, 16)
    if typ == "GITHUB_TOKEN":
        p = r.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"])
        if p == "github_pat_":
            return p + "11" + rnd(r, B15_UCD, 20) + "_" + rnd(r, AN, 59)
        return p + rnd(r, AN, 36)
    if typ == "SLACK_TOKEN":
        k = r.randrange(4)
        if k == 0:
            return f"xoxb-{rnd(r, B15_DIG, 12)}-{rnd(r, B15_DIG, 13)}-{rnd(r, AN, 24)}"
        if k == 1:
            return f"xoxp-{rnd(r, B15_DIG, 12)}-{rnd(r, B15_DIG, 12)}-{rnd(r, B15_DIG, 13)}-{rnd(r, HEX, 32)}"
        if k == 2:
            return f"xapp-1-A{rnd(r, B15_UCD, 10)}-{rnd(r, B15_DIG, 13)}-{rnd(r, HEX, 64)}"
        return f"xoxe.xoxp-1-{rnd(r, AN, 148)}"
    if typ == "STRIPE_KEY":
        return r.choice(["sk_live_", "sk_live_", "rk_live_", "sk_test_"]) + rnd(r, AN, r.choice([24, 99]))
    if typ == "OPENAI_KEY":
        if r.random() < 0.6:
            return r.choice(["sk-proj-", "sk-svcacct-", "sk-admin-"]) + rnd(r, B15_B64U, 74) + "T3BlbkFJ" + rnd(r, B15_B64U, 74)
        return "sk-" + rnd(r, AN, 20) + "T3BlbkFJ" + rnd(r, AN, 20)
    if typ == "ANTHROPIC_KEY":
        return r.choice(["sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-"]) + rnd(r, B15_B64U, 93) + "AA"
    if typ == "GOOGLE_API_KEY":
        return "AIzaSy" + rnd(r, B15_B64U, 33) if r.random() < 0.85 else "AIza" + rnd(r, B15_B64U, 35)
    if typ == "JWT":
        return b15_jwt_value(r)
    raise ValueError(typ)


B15_VENDOR_TYPES = ["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"]


def b15_TK(r, typ=None):
    typ = typ or r.choice(B15_VENDOR_TYPES)
    return B15L(typ, b15_token(r, typ))


def b15_secret_value(r):
    k = r.randrange(8)
    if k == 0:
        return rnd(r, HEX, r.choice([32, 40, 64]))
    if k == 1:
        return rnd(r, AN + "+/", 40)
    if k == 2:
        return b15_b64(r, r.choice([32, 48]))
    if k == 3:
        return r.choice(["cs_", "whk_", "sig_", "key_", "sess_"]) + rnd(r, AN, r.choice([24, 32, 40]))
    if k == 4:
        return rnd(r, B15_B64U, r.choice([32, 43, 64]))
    if k == 5:
        return "s%3A" + rnd(r, B15_B64U, 32) + "." + rnd(r, AN, 43)
    if k == 6:
        return rnd(r, AN, 8) + "~" + rnd(r, AN + "._-", 32)
    return rnd(r, B15_UCD, 4) + "-" + rnd(r, B15_UCD, 4) + "-" + rnd(r, HEX, 24)


def b15_GS(r):
    return B15L("GENERIC_SECRET", b15_secret_value(r))


def b15_CVV(r, n=None):
    return B15L("GENERIC_SECRET", rnd(r, B15_DIG, n or r.choice([3, 3, 3, 4])))


B15_WORDS = ["Lantaarn", "Hagebutte", "cormoran", "Pistacchio", "Alcachofa", "harbour", "Wolkenkratzer", "Tamarind", "nenuphar", "Quokka",
             "Zwieback", "Cipresso", "Berenjena", "Molenwiek", "lighthouse", "Kiwano", "Sauterelle", "Fagiolino", "Medusa", "Krokus"]


def b15_pw_value(r, plain=False):
    k = r.randrange(7)
    w = r.choice(B15_WORDS)
    if k == 0:
        v = w + str(r.randint(1, 9999)) + r.choice("!?#*$%&@")
    elif k == 1:
        v = rnd(r, AN, r.choice([10, 14, 18, 24]))
    elif k == 2:
        v = "-".join(r.choice(B15_WORDS).lower() for _ in range(r.choice([3, 4]))) + str(r.randint(0, 9))
    elif k == 3:
        v = w[:3].upper() + rnd(r, B15_DIG, 3) + r.choice("=;:,()[]{}<>^") + rnd(r, AN, 5)
    elif k == 4:
        v = "".join({"a": "4", "e": "€", "i": "1", "o": "0", "s": "$", "t": "7"}.get(c, c) for c in w) + r.choice(["!", "!!", "#1", "_x"])
    elif k == 5:
        v = rnd(r, AN, 4) + r.choice("*^+") + rnd(r, AN, 4) + r.choice("%/.") + rnd(r, AN, 4)
    else:
        v = w.lower() + r.choice(["_", "."]) + B15_TODAY.strftime("%Y") + r.choice(["", "?", "!"])
    if plain:  # safe in URLs, shell flags, CSV cells and XML attributes
        v = "".join(c if c.isascii() and (c.isalnum() or c in "!*_.-~+^") else r.choice("_.-!") for c in v)
    return v


def b15_PW(r, plain=False):
    return B15L("PASSWORD", b15_pw_value(r, plain))


def b15_pem_value(r, nl="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY"])
    blob = b15_b64(r, r.randint(120, 600))
    w = 70 if kind.startswith("OPENSSH") else 64
    body = nl.join(blob[i:i + w] for i in range(0, len(blob), w))
    return f"-----BEGIN {kind}-----{nl}{body}{nl}-----END {kind}-----"


def b15_PEM(r, nl="\n"):
    return B15L("PRIVATE_KEY", b15_pem_value(r, nl))


# ----- placeholders: vendor-shaped, visibly fake -----

B15_PLACEHOLDERS = [
    "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "AKIAEXAMPLE7EXAMPLE2", "ASIAEXAMPLEEXAMPLE23",
    "ghp_" + "EXAMPLE" * 5 + "0", "ghp_" + "x" * 36, "gho_" + "0123456789" * 3 + "abcdef", "ghs_" + "EXAMPLEtoken" * 3,
    "github_pat_11EXAMPLE0000000000000_" + "EXAMPLEexample" * 4 + "EXA",
    "xoxb-000000000000-0000000000000-EXAMPLEexampleEXAMPLE000", "xoxp-123456789012-123456789012-1234567890123-" + "0123456789abcdef" * 2,
    "sk_live_" + "EXAMPLE" * 3 + "000", "sk_live_" + "0" * 24, "rk_live_EXAMPLEKEYdoNOTuse00000000",
    "sk-proj-" + "EXAMPLE" * 10 + "0000" + "T3BlbkFJ" + "EXAMPLE" * 10 + "0000", "sk-" + "x" * 20 + "T3BlbkFJ" + "x" * 20,
    "sk-ant-api03-" + "EXAMPLE" * 13 + "00" + "AA", "sk-ant-api03-" + "x" * 93 + "AA",
    "AIzaSy" + "EXAMPLE0" * 3 + "EXAMPLE00", "AIza" + "0" * 35,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
]


def b15_PHD(r, typ=None):
    pool = [p for p in B15_PLACEHOLDERS if typ is None or b15_shape_of(p) == [typ] or (typ == "AWS_ACCESS_KEY" and p.startswith("AKIA"))]
    return B15L("PLACEHOLDER", r.choice(pool))


B15_STANDINS = ["<your-api-key>", "${STRIPE_SECRET}", "changeme", "xxxx-xxxx", "ghp_…", "sk-...", "REPLACE_ME", "<redacted>", "********",
                "{{ secrets.DEPLOY_TOKEN }}", "%DB_PASSWORD%", "$(cat /run/secrets/db)", "<TOKEN>", "TODO", "none", "[hidden]"]


# ----- look-alikes (never labelled) -----

def b15_gs1(d12):
    s = sum(int(c) * (3 if j % 2 else 1) for j, c in enumerate(d12))
    return d12 + str((10 - s % 10) % 10)


def b15_badcard(r):
    while True:
        d = b15_card_digits(r)
        d = d[:-1] + str((int(d[-1]) + r.randint(1, 9)) % 10)
        if not luhn_ok(d):
            return b15_card_fmt(r, d)


def b15_badiban(r):
    cc = r.choice(sorted(B15_IBAN))
    v = b15_iban_value(r, cc)
    while True:
        j = r.randrange(4, len(v))
        if v[j].isdigit():
            w = v[:j] + str((int(v[j]) + r.randint(1, 9)) % 10) + v[j + 1:]
            if b15_m97(w[4:] + w[:4]) != 1:
                break
    return " ".join(w[i:i + 4] for i in range(0, len(w), 4)) if r.random() < 0.5 else w


def b15_nine(r):
    """A nine-digit number that is not an SSN by context (or by rule)."""
    k = r.randrange(5)
    if k == 0:
        return f"{r.choice(['routing', 'ABA', 'RTN'])} {r.choice(['0', '1', '2'])}{rnd(r, B15_DIG, 8)}"
    if k == 1:
        return f"9{rnd(r, B15_DIG, 2)}-{rnd(r, B15_DIG, 2)}-{rnd(r, B15_DIG, 4)}"
    if k == 2:
        return f"000-{rnd(r, B15_DIG, 2)}-{rnd(r, B15_DIG, 4)}"
    if k == 3:
        return f"member # {rnd(r, B15_DIG, 9)}"
    return f"NPI {rnd(r, B15_DIG, 10)}"


def b15_la(f, r, loc, g=None):
    g = r.randrange(34) if g is None else g
    D = B15_DIG
    if g == 0: return f"{b15_t(loc, en='Order', de='Auftrag', fr='Commande', es='Pedido', it='Ordine', nl='Order')} #{rnd(r, D, 3)} {rnd(r, D, 3)} {rnd(r, D, 4)}"
    if g == 1: return r.choice([f"INC{rnd(r, D, 7)}", f"RITM{rnd(r, D, 7)}", f"CS{rnd(r, D, 8)}", f"SD-{r.randint(1000, 99999)}", f"Case {rnd(r, D, 8)}"])
    if g == 2: return r.choice([f"Invoice {rnd(r, B15_UC, 2)}-{rnd(r, D, 4)}-{rnd(r, D, 4)}", f"Rechnung {B15_TODAY.year}-{rnd(r, D, 6)}", f"Facture FA{rnd(r, D, 8)}", f"Fattura n. {r.randint(1, 999)}/{B15_TODAY.year}"])
    if g == 3: return r.choice([f"booking {rnd(r, B15_UCD, 6)}", f"HM{rnd(r, B15_UCD, 8)}", f"PNR {rnd(r, B15_UC, 6)}", f"conf. {rnd(r, D, 10)}"])
    if g == 4: return f"{b15_t(loc, en='ref', de='Az.', fr='réf.', es='ref.', it='rif.', nl='kenmerk')} {rnd(r, D, 3)}-{rnd(r, D, 3)}-{rnd(r, D, 4)}"
    if g == 5: return f"{b15_t(loc, en='tracking', de='Sendungsnr.', fr='suivi', es='seguimiento', it='tracking', nl='track&trace')} " + r.choice(
        [f"1Z{rnd(r, B15_UCD, 16)}", f"9400{rnd(r, D, 18)}", f"3SABC{rnd(r, D, 9)}", f"CX{rnd(r, D, 9)}FR", f"{rnd(r, D, 12)}", f"JJD{rnd(r, D, 18)}"])
    if g == 6: return r.choice([f"v{r.randint(0, 5)}.{r.randint(0, 40)}.{r.randint(0, 20)}", f"{r.randint(1, 3)}.{r.randint(0, 99)}.{r.randint(100, 9999)}", f"build {rnd(r, D, 8)}.{r.randint(1, 60)}",
                                f"API version {B15_TODAY.year - r.randint(0, 2)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}", f"IOS XE {r.randint(16, 17)}.{r.randint(1, 12)}.{r.randint(1, 9)}a"])
    if g == 7:
        t = datetime.datetime(B15_TODAY.year, r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
        return r.choice([t.isoformat() + "Z", t.strftime("%Y%m%d%H%M%S"), t.strftime("%d-%b-%Y %H:%M:%S"), str(int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000),
                         t.strftime("%Y-%m-%d %H:%M:%S.") + rnd(r, D, 6)])
    if g == 8: return r.choice([f"sha1 {rnd(r, HEX, 40)}", f"digest sha256:{rnd(r, HEX, 64)}", f"md5 {rnd(r, HEX, 32)}", f"crc32 {rnd(r, HEX, 8)}", f"object {rnd(r, HEX, 24)}"])
    if g == 9: return b15_uuid(r, r.random() < 0.3)
    if g == 10: return f"{b15_t(loc, en='card', de='Karte', fr='carte', es='tarjeta', it='carta', nl='pas')} {b15_badcard(r)}"
    if g == 11: return f"IBAN {b15_badiban(r)}"
    if g == 12: return f"IMEI {b15_luhn_complete(r.choice(['35', '86', '01', '99']) + rnd(r, D, 12))}"
    if g == 13: return r.choice([f"Zoom {rnd(r, D, 3)} {rnd(r, D, 4)} {rnd(r, D, 4)}", f"Teams ID {rnd(r, D, 3)} {rnd(r, D, 3)} {rnd(r, D, 3)} {rnd(r, D, 3)}", f"Webex {rnd(r, D, 4)} {rnd(r, D, 3)} {rnd(r, D, 4)}"])
    if g == 14: return b15_nine(r)
    if g == 15: return f"{b15_t(loc, en='appointment on', de='Termin am', fr='rendez-vous le', es='cita el', it='appuntamento il', nl='afspraak op')} {b15_rel(r, loc, 10, 60)}"
    if g == 16: return f"{b15_t(loc, en='issued', de='ausgestellt', fr='émis le', es='emitido', it='emesso il', nl='uitgegeven')} {b15_rel(r, loc, 3000, 0)}"
    if g == 17: return r.choice([f"{r.randint(1, 9999)},{rnd(r, D, 2)} EUR", f"USD {r.randint(1, 99)},{rnd(r, D, 3)}.{rnd(r, D, 2)}", f"£{r.randint(10, 9999)}.{rnd(r, D, 2)}"])
    if g == 18: return r.choice([f"SKU {rnd(r, B15_UC, 3)}-{rnd(r, D, 5)}", f"EAN {b15_gs1(r.choice(['40', '87', '30', '80', '84', '54']) + rnd(r, D, 10))}", f"part no. {rnd(r, D, 3)}-{rnd(r, D, 3)}-{rnd(r, D, 3)}", f"lot {rnd(r, B15_UCD, 8)}"])
    if g == 19: return r.choice([f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{rnd(r, D, 3)}", f"{r.randint(1, 999)} ms", f"TTL {r.randint(60, 86400)}", f"pid {r.randint(100, 99999)}", f"port {r.randint(1024, 65535)}", f"+{r.randint(1, 49)}.{rnd(r, D, 2)} %"])
    if g == 20: return r.choice([f"{r.randint(1, 255)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(0, 255)}", f"OID 1.2.840.{r.randint(10000, 113999)}.{r.randint(1, 9)}.{r.randint(1, 99)}",
                                 f"{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}-SNAPSHOT", f"MAC {':'.join(rnd(r, HEX, 2) for _ in range(6))}"])
    if g == 21: return r.choice(B15_STANDINS)
    if g == 22: return r.choice(B15_PWTALK[b15_l(loc)])
    if g == 23: return r.choice([f"**** {rnd(r, D, 4)}", f"ending in {rnd(r, D, 4)}", f"{rnd(r, D, 6)}XXXXXX{rnd(r, D, 4)}", f"IBAN …{rnd(r, D, 4)}", f"XXX-XX-{rnd(r, D, 4)}"])
    if g == 24: return r.choice([f"VAT {r.choice(['DE', 'FR', 'NL', 'IT', 'ES', 'GB'])}{rnd(r, D, 9)}", f"KvK {rnd(r, D, 8)}", f"SIRET {rnd(r, D, 14)}", f"CIF B{rnd(r, D, 8)}", f"EIN {rnd(r, D, 2)}-{rnd(r, D, 7)}"])
    if g == 25: return r.choice([f"BIC {rnd(r, B15_UC, 4)}{r.choice(['DE', 'FR', 'NL', 'IT', 'ES', 'GB'])}{rnd(r, B15_UCD, 2)}", f"sort code {rnd(r, D, 2)}-{rnd(r, D, 2)}-{rnd(r, D, 2)}", f"account {rnd(r, D, 8)}"])
    if g == 26: return r.choice([f"room {r.randint(100, 999)}", f"seat {r.randint(1, 40)}{r.choice('ABCDEF')}", f"flight {rnd(r, B15_UC, 2)}{r.randint(100, 9999)}", f"gate {r.choice('ABCD')}{r.randint(1, 60)}"])
    if g == 27: return r.choice([f"token_ttl={r.choice([300, 900, 3600])}", f"password_policy=min{r.randint(8, 16)}", "password_required=true", f"api_key_rotation_days={r.randint(30, 180)}", "secret_ref=vault:kv/app"])
    if g == 28: return f"{b15_t(loc, en='member no.', de='Mitgliedsnr.', fr='n° adhérent', es='n.º socio', it='n. tessera', nl='lidnummer')} {rnd(r, D, r.choice([8, 10, 11]))}"
    if g == 29: return r.choice([f"ICCID 8931{rnd(r, D, 15)}", f"IMSI 204{rnd(r, D, 12)}", f"EID 8904{rnd(r, D, 28)}"])
    if g == 30: return r.choice([f"ETag W/\"{rnd(r, HEX, 16)}\"", f"request-id req_{rnd(r, AN, 14)}", f"trace {rnd(r, HEX, 32)}", f"span {rnd(r, HEX, 16)}"])
    if g == 31: return r.choice([f"x-amz-request-id {rnd(r, B15_UCD, 16)}", f"cf-ray {rnd(r, HEX, 16)}-{r.choice(['AMS', 'FRA', 'CDG', 'MAD', 'MXP', 'LHR'])}", f"msg-id <{rnd(r, HEX, 12)}.{rnd(r, D, 6)}@mx.example.net>"])
    if g == 32: return f"{b15_t(loc, en='valid until', de='gültig bis', fr='valable jusqu au', es='válido hasta', it='valido fino al', nl='geldig tot')} {b15_rel(r, loc, 0, 900)}"
    return r.choice([f"{r.randint(40, 59)}.{rnd(r, D, 5)}, {r.randint(-9, 19)}.{rnd(r, D, 5)}", f"{rnd(r, D, 4)} {rnd(r, B15_UC, 2)}", f"tel. ext. {r.randint(100, 9999)}", f"PO {rnd(r, D, 10)}"])


def b15_clock(r):
    t = datetime.datetime.combine(B15_TODAY - datetime.timedelta(days=r.randint(0, 20)), datetime.time(r.randint(0, 22), r.randint(0, 59), r.randint(0, 59)))
    fmt = r.choice(["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%d-%b-%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S"])
    state = [t]

    def tick():
        state[0] += datetime.timedelta(seconds=r.randint(0, 90), microseconds=r.randint(0, 999999))
        return state[0].strftime(fmt)
    return tick


def b15_las(f, r, loc, n=2, sep=", "):
    return sep.join(b15_la(f, r, loc) for _ in range(n))


B15_PWTALK = {
    "en": ["Password must be rotated every 60 days.", "Reset link for the password sent to the user.", "No password was shared in this ticket.",
           "Reminder: the password field is masked in exports.", "User forgot password again.",
           "Password: sent separately by SMS.", "password: unchanged", "Password: see the 1Password item 'Router'", "wifi password is on the fridge"],
    "de": ["Passwort läuft in 14 Tagen ab.", "Link zum Zurücksetzen des Passworts verschickt.", "Bitte Passwörter nie per Mail senden.", "Passwort: wie besprochen", "Passwort: siehe Tresor"],
    "fr": ["Le mot de passe expire dans 30 jours.", "Réinitialisation du mot de passe effectuée par le client.", "Ne jamais envoyer de mot de passe par e-mail.", "Mot de passe : inchangé", "mot de passe : voir le coffre-fort"],
    "es": ["La contraseña caduca cada 90 días.", "El cliente restableció su contraseña.", "Nunca envíe contraseñas por correo.", "Contraseña: la de siempre", "contraseña: enviada por SMS"],
    "it": ["La password scade tra 30 giorni.", "Il cliente ha reimpostato la password.", "Mai inviare password via e-mail.", "Password: invariata", "password: quella solita"],
    "nl": ["Wachtwoord verloopt over 30 dagen.", "Klant heeft het wachtwoord zelf gereset.", "Stuur nooit wachtwoorden per mail.", "Wachtwoord: zie kluis", "wachtwoord: ongewijzigd"],
}

B15_PWSAY = {
    "en": ["temporary password is ", "he set the password to ", "pwd = ", "login password: ", "the passcode we agreed is "],
    "de": ["Initialpasswort lautet ", "Passwort: ", "das Kennwort ist ", "neues Passwort = "],
    "fr": ["le mot de passe temporaire est ", "mot de passe : ", "mdp provisoire = "],
    "es": ["la contraseña provisional es ", "contraseña: ", "clave de acceso = "],
    "it": ["la password temporanea è ", "password: ", "pwd iniziale = "],
    "nl": ["het tijdelijke wachtwoord is ", "wachtwoord: ", "ww = "],
}


def b15_pwsay(r, loc, plain=False):
    return [r.choice(B15_PWSAY[b15_l(loc)]), b15_PW(r, plain)]


# ----- a credential slot: (key name, labelled value) for config-like documents -----

B15_SLOT_KEYS = {
    "AWS_ACCESS_KEY": ["aws_access_key_id", "access_key", "AWS_ACCESS_KEY_ID", "accessKeyId"],
    "GITHUB_TOKEN": ["github_token", "GH_TOKEN", "gitToken", "token"],
    "SLACK_TOKEN": ["slack_token", "SLACK_BOT_TOKEN", "slackAppToken", "bot_token"],
    "STRIPE_KEY": ["stripe_secret", "STRIPE_API_KEY", "stripeKey", "secret_key"],
    "OPENAI_KEY": ["openai_api_key", "OPENAI_API_KEY", "llm_key", "apiKey"],
    "ANTHROPIC_KEY": ["anthropic_api_key", "ANTHROPIC_API_KEY", "claude_key", "x_api_key"],
    "GOOGLE_API_KEY": ["google_api_key", "maps_key", "GOOGLE_MAPS_API_KEY", "geocoder_key"],
    "JWT": ["id_token", "access_token", "service_jwt", "authToken"],
    "GENERIC_SECRET": ["client_secret", "aws_secret_access_key", "hmac_secret", "signing_key", "session_secret", "api_secret", "webhook_secret", "cookie_secret"],
    "PASSWORD": ["password", "passwd", "db_password", "admin_pass", "smtp_password"],
}
B15_SLOT_TYPES = list(B15_SLOT_KEYS) + ["GENERIC_SECRET", "PASSWORD", "PLACEHOLDER"]


def b15_slot(r, typ=None, plain=True):
    typ = typ or r.choice(B15_SLOT_TYPES)
    if typ == "PLACEHOLDER":
        v = b15_PHD(r)
        key = {"A": "aws_access_key_id", "g": "github_token", "x": "slack_token", "r": "stripe_secret", "e": "id_token"}.get(v.text[0], "api_key")
        if v.text.startswith("sk-ant"):
            key = "anthropic_api_key"
        elif v.text.startswith("sk-"):
            key = "openai_api_key"
        elif v.text.startswith("sk_"):
            key = "stripe_secret"
        elif v.text.startswith("AIza"):
            key = "google_api_key"
        return key + "_example", v
    key = r.choice(B15_SLOT_KEYS[typ])
    if typ == "GENERIC_SECRET":
        return key, b15_GS(r)
    if typ == "PASSWORD":
        return key, b15_PW(r, plain)
    return key, b15_TK(r, typ)


# ----- text documents -----

def B15_freshservice(f, r, loc):
    fn, ln = b15_who(f)
    return [f"[Freshservice] Ticket {b15_la(f, r, loc, 1)} – ",
            b15_t(loc, en="VPN access for new starter", de="VPN-Zugang für neuen Mitarbeiter", fr="Accès VPN nouvel arrivant", es="Acceso VPN para nueva incorporación",
                  it="Accesso VPN nuovo assunto", nl="VPN-toegang nieuwe medewerker"),
            f"\nRequester: {fn} {ln} <", b15_EM(f, r, fn, ln), ">\nAgent group: IT Ops L1 · Due by " + b15_rel(r, loc, 0, 10) + "\n\n",
            b15_t(loc, en="Account created. ", de="Konto angelegt. ", fr="Compte créé. ", es="Cuenta creada. ", it="Account creato. ", nl="Account aangemaakt. "),
            b15_pwsay(r, loc), "\n", b15_t(loc, en="Callback number: ", de="Rückrufnummer: ", fr="Rappeler au ", es="Devolver llamada al ", it="Richiamare al ", nl="Terugbellen op "),
            b15_PH(r, loc), "\n", f"Asset: {b15_la(f, r, loc, 12)} · {b15_la(f, r, loc, 20)}\n"]


def B15_servicenow(f, r, loc):
    fn, ln = b15_who(f)
    rows = ["number,short_description,caller_id.email,u_contact_phone,cmdb_ci.ip_address,sys_updated_on\n"]
    for _ in range(r.randint(2, 4)):
        rows += [f"{b15_la(f, r, loc, 1).split()[-1]},", r.choice(["Printer offline", "Outlook prompts for credentials", "SAP GUI crash", "Badge not working"]), ",",
                 b15_EM(f, r), ",", b15_PH(r, loc, 0.0), ",", b15_IP4(r, True), f",{b15_la(f, r, loc, 7)}\n"]
    return ["-- ServiceNow export incident.csv (", f"{fn} {ln}", ")\n"] + rows


def B15_sfcase(f, r, loc):
    fn, ln = b15_who(f)
    return [f"From: {fn} {ln} <", b15_EM(f, r, fn, ln), ">\nTo: ", B15L("EMAIL", "support@" + r.choice(["fietsen-direct.nl", "maison-durand.fr", "alpenhaus-shop.de"])),
            f"\nSubject: {b15_t(loc, en='Double charge', de='Doppelte Abbuchung', fr='Double débit', es='Cargo duplicado', it='Addebito doppio', nl='Dubbele afschrijving')} [ ref:_00D{rnd(r, AN, 5)}._500{rnd(r, AN, 6)}:ref ]\n\n",
            b15_t(loc, en="You charged my card twice: ", de="Sie haben meine Karte doppelt belastet: ", fr="Vous avez débité ma carte deux fois : ",
                  es="Me han cobrado dos veces en la tarjeta ", it="Avete addebitato due volte la carta ", nl="Jullie hebben mijn kaart twee keer belast: "),
            b15_CC(r), ". ", b15_la(f, r, loc, 0), ". ",
            b15_t(loc, en="Please refund to ", de="Bitte erstatten auf ", fr="Merci de rembourser sur ", es="Devuélvanlo a ", it="Rimborsate su ", nl="Graag terugstorten op "),
            b15_IBAN(r, loc), ".\n", b15_t(loc, en="Phone ", de="Tel. ", fr="Tél. ", es="Tel. ", it="Tel. ", nl="Tel. "), b15_PH(r, loc), "\n"]


def B15_helpscout(f, r, loc):
    fn, ln = b15_who(f)
    a = f.first_name()
    return [f"Conversation #{r.randint(10000, 999999)} · Mailbox: Billing\n", f"{fn} {ln} ({b15_rel(r, loc, 2, 0)}):\n  ",
            b15_t(loc, en="Can you update my date of birth? It is wrong on the account. Correct one: ", de="Mein Geburtsdatum ist falsch hinterlegt, richtig ist ",
                  fr="Ma date de naissance est fausse sur le compte, la bonne est ", es="Mi fecha de nacimiento está mal, la correcta es ",
                  it="La mia data di nascita è sbagliata, quella giusta è ", nl="Mijn geboortedatum klopt niet, de juiste is "),
            b15_DOB(r, loc), "\n", f"{a} (note):\n  ", b15_t(loc, en="verified via callback to ", de="per Rückruf verifiziert an ", fr="vérifié par rappel au ",
                                                              es="verificado llamando al ", it="verificato richiamando il ", nl="geverifieerd via terugbellen naar "),
            b15_PH(r, loc), f"; {b15_la(f, r, loc, 16)}; {b15_la(f, r, loc, 28)}\n"]


def B15_postmark(f, r, loc):
    return [f"Postmark bounce · HardBounce · MessageID {b15_uuid(r)}\n", "Email: ", b15_EM(f, r), "\nFrom: ", b15_EM(f, r, dom="mail.quantum-ledger.io"),
            f"\nBouncedAt: {b15_la(f, r, loc, 7)}\nDetails: smtp;550 5.1.1 user unknown\nServer: mx{r.randint(1, 9)} [", b15_IP4(r, False), "]\n",
            f"Tag: invoice-reminder · {b15_la(f, r, loc, 2)}\n"]


def B15_calendly(f, r, loc):
    fn, ln = b15_who(f)
    return [b15_t(loc, en="New event scheduled", de="Neuer Termin gebucht", fr="Nouveau rendez-vous", es="Nueva cita", it="Nuovo appuntamento", nl="Nieuwe afspraak"),
            f": {fn} {ln}\nEvent type: 30 min intake\n{b15_la(f, r, loc, 15)}\nInvitee email: ", b15_EM(f, r, fn, ln), "\nText reminder number: ", b15_PH(r, loc, 0.0, True),
            "\nQuestions:\n  ", b15_t(loc, en="Your date of birth (for the insurer)", de="Ihr Geburtsdatum (für die Kasse)", fr="Votre date de naissance (mutuelle)",
                                       es="Su fecha de nacimiento (aseguradora)", it="La sua data di nascita (assicurazione)", nl="Uw geboortedatum (verzekeraar)"),
            ": ", b15_DOB(r, loc), f"\n  {b15_t(loc, en='Anything else?', de='Sonstiges?', fr='Autre chose ?', es='¿Algo más?', it='Altro?', nl='Nog iets?')}: {b15_la(f, r, loc, 22)}\n",
            f"{b15_la(f, r, loc, 13)}\n"]


def B15_docusign(f, r, loc):
    fn, ln = b15_who(f)
    return [f"DocuSign: {b15_t(loc, en='Completed', de='Abgeschlossen', fr='Terminé', es='Completado', it='Completato', nl='Voltooid')} – ",
            b15_t(loc, en="Lease agreement", de="Mietvertrag", fr="Bail d'habitation", es="Contrato de arrendamiento", it="Contratto di locazione", nl="Huurovereenkomst"),
            f"\nEnvelope ID: {b15_uuid(r, True)}\nSigner: {fn} {ln} (", b15_EM(f, r, fn, ln), ")\nSMS auth: ", b15_PH(r, loc, 0.05, True), "\nSigned from IP ",
            b15_IP4(r, False) if r.random() < 0.6 else b15_IP6(r), f" on {b15_la(f, r, loc, 7)}\n",
            b15_t(loc, en="Deposit account: ", de="Kautionskonto: ", fr="Compte dépôt de garantie : ", es="Cuenta de fianza: ", it="Conto deposito cauzionale: ", nl="Borgrekening: "),
            b15_IBAN(r, loc), "\n"]


def B15_typeform(f, r, loc):
    fn, ln = b15_who(f)
    return [f"Typeform · new response to \"{b15_t(loc, en='Volunteer signup', de='Ehrenamt-Anmeldung', fr='Inscription bénévole', es='Alta voluntariado', it='Iscrizione volontari', nl='Aanmelding vrijwilligers')}\"\n",
            f"1. Name → {fn} {ln}\n2. Email → ", b15_EM(f, r, fn, ln), "\n3. Phone → ", b15_PH(r, loc), "\n4. ",
            b15_t(loc, en="Birthday", de="Geburtsdatum", fr="Date de naissance", es="Fecha de nacimiento", it="Data di nascita", nl="Geboortedatum"), " → ", b15_DOB(r, loc),
            f"\n5. {b15_t(loc, en='Shirt size', de='T-Shirt-Größe', fr='Taille', es='Talla', it='Taglia', nl='Maat')} → {r.choice(['S', 'M', 'L', 'XL'])}\n",
            f"response_id {rnd(r, B15_LC + B15_DIG, 32)} · submitted {b15_la(f, r, loc, 7)}\n"]


def B15_eventbrite(f, r, loc):
    out = ["Order #,Order Date,First Name,Last Name,Email,Cell Phone,Ticket Type,Barcode #\n"]
    for _ in range(r.randint(3, 5)):
        fn, ln = b15_who(f)
        out += [f"{rnd(r, B15_DIG, 10)},{b15_rel(r, loc, 60, 0, True)},{fn},{ln},", b15_EM(f, r, fn, ln), ",", b15_PH(r, loc, 0.0), f",{r.choice(['Early bird', 'General', 'VIP'])},8{rnd(r, B15_DIG, 18)}\n"]
    return out


def B15_airbnb(f, r, loc):
    g = f.first_name()
    return [f"Airbnb · {b15_la(f, r, loc, 3)}\n{g}: ", b15_t(loc, en="Hi! We land late, what's the door code and wifi?", de="Hallo! Wir kommen spät an, Türcode und WLAN?",
                                                         fr="Bonjour ! On arrive tard, code de la porte et wifi ?", es="¡Hola! Llegamos tarde, ¿código de la puerta y wifi?",
                                                         it="Ciao! Arriviamo tardi, codice porta e wifi?", nl="Hoi! We komen laat aan, deurcode en wifi?"),
            f"\nHost: {b15_t(loc, en='Keys in the lockbox', de='Schlüssel im Kasten', fr='Clés dans la boîte', es='Llaves en el cajetín', it='Chiavi nella cassetta', nl='Sleutels in het kastje')} ({b15_la(f, r, loc, 26)}), WiFi \"{r.choice(['CasaSol', 'Gracht12', 'Maison_Bleue', 'Dachgeschoss'])}\" ",
            b15_t(loc, en="password ", de="Passwort ", fr="mot de passe ", es="contraseña ", it="password ", nl="wachtwoord "), b15_PW(r, True), "\n",
            b15_t(loc, en="Call me if anything: ", de="Bei Fragen: ", fr="En cas de souci : ", es="Cualquier cosa: ", it="Per qualsiasi cosa: ", nl="Bel gerust: "), b15_PH(r, loc), "\n"]


def B15_uber(f, r, loc):
    return [f"Uber · {b15_t(loc, en='Your Thursday evening trip', de='Deine Fahrt am Donnerstagabend', fr='Votre course de jeudi soir', es='Tu viaje del jueves', it='La tua corsa di giovedì', nl='Je rit van donderdagavond')}\n",
            f"{b15_la(f, r, loc, 17)} · {r.uniform(2, 30):.2f} km · {r.randint(6, 59)} min\n", "Visa •••• " + rnd(r, B15_DIG, 4) + "\n",
            b15_t(loc, en="Receipt sent to ", de="Beleg gesendet an ", fr="Reçu envoyé à ", es="Recibo enviado a ", it="Ricevuta inviata a ", nl="Bon verstuurd naar "), b15_EM(f, r),
            f"\nTrip ID {b15_uuid(r)} · {b15_la(f, r, loc, 7)}\n"]


def B15_doordash(f, r, loc):
    fn, ln = b15_who(f)
    return [f"DoorDash order {rnd(r, HEX, 8).upper()} – {fn} {ln[0]}.\n", b15_t(loc, en="Dasher instructions: ", de="Hinweis für Fahrer: ", fr="Instructions livreur : ",
                                                                               es="Instrucciones: ", it="Istruzioni rider: ", nl="Instructies bezorger: "),
            r.choice(["leave at door, ", "ring twice, ", "buzz 4B, "]), b15_t(loc, en="text ", de="SMS an ", fr="SMS au ", es="escribir al ", it="scrivere al ", nl="sms naar "),
            b15_PH(r, loc, 0.0, True), f"\n{b15_la(f, r, loc, 17)} · {b15_la(f, r, loc, 0)}\n"]


def B15_shopify_note(f, r, loc):
    fn, ln = b15_who(f)
    return [f"{b15_la(f, r, loc, 0)} · Timeline\n", f"{b15_rel(r, loc, 5, 0)} — {fn} {ln} ",
            b15_t(loc, en="left a note: ", de="hat notiert: ", fr="a laissé une note : ", es="dejó una nota: ", it="ha lasciato una nota: ", nl="liet een notitie achter: "),
            b15_t(loc, en="gift for my mum, she was born ", de="Geschenk für meine Mutter, geboren am ", fr="cadeau pour ma mère, née le ", es="regalo para mi madre, nacida el ",
                  it="regalo per mia madre, nata il ", nl="cadeau voor mijn moeder, geboren op "), b15_DOB(r, loc),
            "\n", f"Payment: •••• {rnd(r, B15_DIG, 4)} · risk: low\nCustomer IP ", b15_IP4(r, False), f" · {b15_la(f, r, loc, 5)}\n"]


def B15_magento(f, r, loc):
    return [f"[{b15_la(f, r, loc, 7)}] main.CRITICAL: PDOException: SQLSTATE[HY000] [1045] Access denied for user 'm2_store'@'", b15_IP4(r, True),
            "' (using password: YES)\n", "#0 vendor/magento/framework/DB/Adapter/Pdo/Mysql.php(", str(r.randint(100, 999)), "): connect()\n",
            "app/etc/env.php db.connection.default: host=db-m2, dbname=magento, username=m2_store, password=", b15_PW(r, True), "\n",
            "crypt key => ", b15_GS(r), "\n", f"{b15_la(f, r, loc, 6)} {b15_la(f, r, loc, 27)}\n"]


def B15_mt940(f, r, loc):
    out = [":20:STMT", rnd(r, B15_DIG, 8), "\n:25:", b15_IBAN(r, loc, False), "\n:28C:", f"{r.randint(1, 300):05d}/001\n",
           f":60F:C{B15_TODAY.strftime('%y%m%d')}EUR{r.randint(100, 99999)},{rnd(r, B15_DIG, 2)}\n"]
    for _ in range(r.randint(2, 3)):
        out += [f":61:{B15_TODAY.strftime('%y%m%d')}{r.choice('CD')}{r.randint(1, 9999)},{rnd(r, B15_DIG, 2)}NTRFNONREF\n:86:/EREF/{b15_la(f, r, loc, 2)}/IBAN/",
                b15_IBAN(r, loc, False), f"/NAME/{f.last_name()}\n"]
    return out + [f":62F:C{B15_TODAY.strftime('%y%m%d')}EUR{r.randint(100, 99999)},{rnd(r, B15_DIG, 2)}\n-\n"]


def B15_camt(f, r, loc):
    fn, ln = b15_who(f)
    return ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\n",
            f"  <GrpHdr><MsgId>{rnd(r, B15_UCD, 16)}</MsgId><CreDtTm>{b15_la(f, r, loc, 7)}</CreDtTm></GrpHdr>\n  <Stmt><Acct><Id><IBAN>", b15_IBAN(r, loc, False), "</IBAN></Id></Acct>\n",
            f"   <Ntry><Amt Ccy=\"EUR\">{r.randint(1, 9999)}.{rnd(r, B15_DIG, 2)}</Amt><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{fn} {ln}</Nm></Dbtr><DbtrAcct><Id><IBAN>",
            b15_IBAN(r, loc, False), "</IBAN></Id></DbtrAcct></RltdPties>\n", f"    <RmtInf><Ustrd>{b15_la(f, r, loc, 2)} {b15_la(f, r, loc, 11)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
            "  </Stmt></BkToCstmrStmt></Document>\n"]


def B15_ofx(f, r, loc):
    return ["OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</STATUS><DTSERVER>", b15_la(f, r, loc, 7).replace("-", "").replace(":", "")[:14],
            "\n<USERID>", b15_EM(f, r), "\n<USERPASS>", b15_PW(r, True), "\n</SONRS></SIGNONMSGSRSV1>\n<BANKACCTFROM><BANKID>",
            rnd(r, B15_DIG, 9), "<ACCTID>", rnd(r, B15_DIG, 10), "<ACCTTYPE>CHECKING</BANKACCTFROM>\n",
            f"<STMTTRN><TRNTYPE>DEBIT<TRNAMT>-{r.randint(1, 999)}.{rnd(r, B15_DIG, 2)}<FITID>{rnd(r, B15_DIG, 15)}<MEMO>CARD ", b15_CC(r) if r.random() < 0.4 else b15_la(f, r, loc, 23),
            "</STMTTRN></OFX>\n"]


def B15_xero(f, r, loc):
    fn, ln = b15_who(f)
    return [f"{b15_la(f, r, loc, 2)} from {r.choice(['Greywell Estates Ltd', 'Haverford Freight', 'Studio Bellandi srl', 'Bakkerij Visser BV'])}\n",
            f"{b15_t(loc, en='Dear', de='Sehr geehrte/r', fr='Madame, Monsieur', es='Estimado/a', it='Gentile', nl='Beste')} {fn} {ln},\n",
            b15_t(loc, en="Amount due ", de="Fälliger Betrag ", fr="Montant dû ", es="Importe ", it="Importo dovuto ", nl="Te betalen "), f"{b15_la(f, r, loc, 17)}, ",
            b15_t(loc, en="due ", de="fällig am ", fr="échéance ", es="vence ", it="scadenza ", nl="vervalt "), b15_rel(r, loc, 0, 30), ".\n",
            b15_t(loc, en="Pay by bank transfer to ", de="Bitte überweisen an ", fr="Virement sur ", es="Transferencia a ", it="Bonifico su ", nl="Overmaken naar "),
            b15_IBAN(r, loc), f" ({b15_la(f, r, loc, 25)}).\n", b15_t(loc, en="Queries: ", de="Rückfragen: ", fr="Questions : ", es="Dudas: ", it="Domande: ", nl="Vragen: "),
            b15_EM(f, r), " / ", b15_PH(r, loc), "\n"]


def B15_personio(f, r, loc):
    out = [";".join(["Employee ID", b15_t(loc, en="First name", de="Vorname", fr="Prénom", es="Nombre", it="Nome", nl="Voornaam"),
                     b15_t(loc, en="Last name", de="Nachname", fr="Nom", es="Apellidos", it="Cognome", nl="Achternaam"),
                     b15_t(loc, en="Date of birth", de="Geburtsdatum", fr="Date de naissance", es="Fecha de nacimiento", it="Data di nascita", nl="Geboortedatum"),
                     b15_t(loc, en="Hire date", de="Eintrittsdatum", fr="Date d'entrée", es="Fecha de alta", it="Data assunzione", nl="Datum in dienst"),
                     "IBAN", "E-Mail"]) + ("; SSN" if loc == "en_US" else "") + "\n"]
    for _ in range(r.randint(2, 4)):
        fn, ln = b15_who(f)
        out += [f"{r.randint(1000, 9999)};{fn};{ln};", b15_DOB(r, loc), f";{b15_rel(r, loc, 3000, 0)};", b15_IBAN(r, loc), ";", b15_EM(f, r, fn, ln, "people.quantum-ledger.io")]
        if loc == "en_US":
            out += [";", b15_SSN(r)]
        out.append("\n")
    return out


def B15_greenhouse(f, r, loc):
    fn, ln = b15_who(f)
    return [f"Scorecard · {fn} {ln} · {r.choice(['Senior Data Engineer', 'Account Executive DACH', 'SRE', 'Office Manager'])}\n",
            f"Interviewer: {f.name()} · {b15_rel(r, loc, 20, 0)}\n", "Overall: Yes\nKey take-aways: strong on SQL; ", b15_la(f, r, loc, 22), "\n",
            "Candidate contact: ", b15_EM(f, r, fn, ln), " / ", b15_PH(r, loc), "\n",
            b15_t(loc, en="Note: candidate pasted a live key in the take-home repo: ", de="Hinweis: Kandidat hat einen echten Key ins Repo gestellt: ",
                  fr="Note : le candidat a laissé une vraie clé dans le dépôt : ", es="Nota: dejó una clave real en el repositorio: ",
                  it="Nota: ha lasciato una chiave vera nel repo: ", nl="Let op: echte sleutel in de repo gezet: "), b15_TK(r), "\n"]


def B15_ccd(f, r, loc):
    fn, ln = b15_who(f)
    bd = b15_DOB(r, loc, True)
    return ["<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n <recordTarget><patientRole>\n", ("  <id root=\"2.16.840.1.113883.4.1\" extension=\"", b15_SSN(r, "-"), "\"/>\n") if loc == "en_US" else ("  <id root=\"2.16.840.1.113883.19.5\" extension=\"" + rnd(r, B15_DIG, 10) + "\"/>\n"), "  <telecom use=\"HP\" value=\"tel:", b15_PH(r, loc, 0.0), "\"/>\n  <telecom value=\"mailto:", b15_EM(f, r, fn, ln),
            f"\"/>\n  <patient><name><given>{fn}</given><family>{ln}</family></name>\n   <!-- birthTime --> ", "<birthTime value=\"", B15L("DATE_OF_BIRTH", bd.text.replace("-", "")),
            "\"/>\n  </patient></patientRole></recordTarget>\n", f" <effectiveTime value=\"{(B15_TODAY - datetime.timedelta(days=r.randint(0, 400))).strftime('%Y%m%d')}{r.randint(7, 19):02d}{r.randint(0, 59):02d}\"/>\n</ClinicalDocument>\n"]


def B15_dicom(f, r, loc):
    fn, ln = b15_who(f)
    d = B15_TODAY - datetime.timedelta(days=r.randint(18 * 365, 90 * 365))
    return ["# dcmdump CT.1.2.840.dcm\n", f"(0008,0020) DA [{(B15_TODAY - datetime.timedelta(days=r.randint(0, 90))).strftime('%Y%m%d')}]  # StudyDate\n",
            f"(0010,0010) PN [{ln.upper()}^{fn.upper()}]  # PatientName\n", f"(0010,0020) LO [{rnd(r, B15_DIG, 8)}]  # PatientID\n",
            "(0010,0030) DA [", B15L("DATE_OF_BIRTH", d.strftime("%Y%m%d")), "]  # PatientBirthDate\n", f"(0010,1010) AS [{(B15_TODAY - d).days // 365:03d}Y]  # PatientAge\n",
            "(0010,2154) SH [", b15_PH(r, loc, 0.0), "]  # PatientTelephoneNumbers\n", f"(0020,000d) UI [1.2.840.{rnd(r, B15_DIG, 6)}.{rnd(r, B15_DIG, 12)}]  # StudyInstanceUID\n"]


def B15_x12(f, r, loc):
    fn, ln = b15_who(f)
    d = B15_TODAY - datetime.timedelta(days=r.randint(18 * 365, 85 * 365))
    return [f"ISA*00*          *00*          *ZZ*{rnd(r, B15_UCD, 9)}      *ZZ*{rnd(r, B15_UCD, 9)}      *{B15_TODAY.strftime('%y%m%d')}*{r.randint(1000, 2359)}*^*00501*{rnd(r, B15_DIG, 9)}*0*P*:~\n",
            f"ST*837*{rnd(r, B15_DIG, 4)}*005010X222A1~\nNM1*IL*1*{ln.upper()}*{fn.upper()}****MI*{rnd(r, B15_UCD, 11)}~\n",
            "DMG*D8*", B15L("DATE_OF_BIRTH", d.strftime("%Y%m%d")), f"*{r.choice('MF')}~\n", "REF*SY*", b15_SSN(r, ""), "~\n",
            "PER*IC*BILLING*TE*", B15L("PHONE", b15_us_digits(r)), "*EM*", b15_EM(f, r), "~\n", f"CLM*{rnd(r, B15_DIG, 10)}*{r.randint(50, 2000)}***11:B:1~\nSE*{r.randint(20, 40)}*{rnd(r, B15_DIG, 4)}~\n"]


def b15_us_digits(r):
    n = b15_phone_number(r, "US", False)
    return str(n.national_number)


def B15_eob(f, r, loc):
    fn, ln = b15_who(f)
    return [f"EXPLANATION OF BENEFITS — THIS IS NOT A BILL\nMember: {fn} {ln}   {b15_la(f, r, loc, 28)}\n", b15_born(r, loc), "\n",
            f"Claim {rnd(r, B15_DIG, 12)} · Service date {b15_rel(r, loc, 90, 0)} · Provider NPI {rnd(r, B15_DIG, 10)}\n",
            f"Billed {b15_la(f, r, loc, 17)} · Plan paid {b15_la(f, r, loc, 17)}\n", "Questions? Call Member Services at ", b15_PH(r, "en_US", 0.0, False), " (TTY 711)\n"]


def B15_powerschool(f, r, loc):
    out = ["Student_Number\tLast_Name\tFirst_Name\tDOB\tGrade_Level\tGuardianEmail\tHome_Phone\n"]
    for _ in range(r.randint(3, 5)):
        fn, ln = b15_who(f)
        out += [f"{rnd(r, B15_DIG, 6)}\t{ln}\t{fn}\t", B15L("DATE_OF_BIRTH", b15_date(r, B15_TODAY - datetime.timedelta(days=r.randint(5 * 365, 18 * 365)), loc)),
                f"\t{r.randint(1, 12)}\t", b15_EM(f, r, None, ln), "\t", b15_PH(r, loc, 0.0, False), "\n"]
    return out


def B15_exam_reg(f, r, loc):
    fn, ln = b15_who(f)
    return [b15_t(loc, en="Exam registration confirmation", de="Anmeldebestätigung Prüfung", fr="Confirmation d'inscription à l'examen", es="Confirmación de inscripción al examen",
                  it="Conferma iscrizione esame", nl="Bevestiging examenaanmelding"), f"\n{fn} {ln} · candidate no. {rnd(r, B15_DIG, 5)}\n", b15_born(r, loc), "\n",
            b15_t(loc, en="Exam date: ", de="Prüfungstermin: ", fr="Date d'examen : ", es="Fecha del examen: ", it="Data esame: ", nl="Examendatum: "), b15_rel(r, loc, 0, 120),
            f" · {b15_la(f, r, loc, 26)}\n", b15_t(loc, en="Fee paid with card ", de="Gebühr bezahlt mit Karte ", fr="Frais payés par carte ", es="Tasa pagada con tarjeta ",
                                                  it="Tassa pagata con carta ", nl="Kosten betaald met kaart "), b15_CC(r), " CVV ", b15_CVV(r), "\n"]


def B15_efiling(f, r, loc):
    fn, ln = b15_who(f)
    return [f"NOTICE OF ELECTRONIC FILING\nCase No. {r.randint(1, 9)}:{r.randint(20, 26)}-cv-{rnd(r, B15_DIG, 5)}  Doc #{r.randint(1, 120)}\n",
            f"Filed {b15_la(f, r, loc, 7)} by {fn} {ln}, Esq. (", b15_EM(f, r, fn, ln), ")\n", "Document description: Exhibit B — unredacted; petitioner's SSN ",
            b15_SSN(r), " and ", b15_born(r, "en_US"), " appear on p. 4\n", f"Receipt {b15_la(f, r, loc, 4)} · fee {b15_la(f, r, loc, 17)}\n"]


def B15_police(f, r, loc):
    fn, ln = b15_who(f)
    return [b15_t(loc, en="INCIDENT REPORT", de="STRAFANZEIGE", fr="PROCÈS-VERBAL DE PLAINTE", es="DENUNCIA", it="VERBALE DI DENUNCIA", nl="PROCES-VERBAAL AANGIFTE"),
            f" {rnd(r, B15_DIG, 4)}/{B15_TODAY.year}/{rnd(r, B15_DIG, 6)}\n", b15_t(loc, en="Complainant: ", de="Anzeigeerstatter: ", fr="Plaignant : ", es="Denunciante: ", it="Denunciante: ", nl="Aangever: "),
            f"{fn} {ln}, ", b15_born(r, loc), "\nTel. ", b15_PH(r, loc), "\n",
            b15_t(loc, en="Stolen: wallet incl. card ", de="Entwendet: Geldbörse mit Karte ", fr="Volé : portefeuille avec carte ", es="Robado: cartera con tarjeta ",
                  it="Rubato: portafoglio con carta ", nl="Gestolen: portemonnee met pas "), b15_CC(r), f"; {b15_la(f, r, loc, 12)}\n",
            f"{b15_t(loc, en='Incident date', de='Tatzeit', fr='Date des faits', es='Fecha de los hechos', it='Data del fatto', nl='Datum feit')}: {b15_rel(r, loc, 14, 0)}\n"]


def B15_notary(f, r, loc):
    a, b = b15_who(f), b15_who(f)
    return [b15_t(loc, en="DEED OF SALE", de="KAUFVERTRAG (Urkundenrolle Nr. ", fr="ACTE DE VENTE (répertoire n° ", es="ESCRITURA DE COMPRAVENTA (protocolo n.º ", it="ATTO DI COMPRAVENDITA (rep. n. ", nl="AKTE VAN LEVERING (nr. "),
            "" if b15_l(loc) == "en" else f"{r.randint(100, 3999)}/{B15_TODAY.year})", "\n",
            f"{a[0]} {a[1]}, ", b15_born(r, loc), ", ", b15_t(loc, en="and ", de="und ", fr="et ", es="y ", it="e ", nl="en "), f"{b[0]} {b[1]}, ", b15_born(r, loc), ".\n",
            b15_t(loc, en="Purchase price to escrow account ", de="Kaufpreis auf Notaranderkonto ", fr="Prix versé sur le compte séquestre ", es="Precio a la cuenta de depósito ",
                  it="Prezzo sul conto dedicato ", nl="Koopsom naar derdengeldenrekening "), b15_IBAN(r, loc), f"; {b15_la(f, r, loc, 16)}\n"]


def B15_landreg(f, r, loc):
    fn, ln = b15_who(f)
    return [b15_t(loc, en="Official copy of register of title", de="Grundbuchauszug", fr="Extrait cadastral", es="Nota simple registral", it="Visura catastale", nl="Kadastraal uittreksel"),
            f"\nTitle {rnd(r, B15_UC, 2)}{rnd(r, B15_DIG, 6)} · parcel {rnd(r, B15_DIG, 4)}/{rnd(r, B15_DIG, 3)}\n",
            f"{b15_t(loc, en='Proprietor', de='Eigentümer', fr='Propriétaire', es='Titular', it='Intestatario', nl='Eigenaar')}: {fn} {ln}, ", b15_born(r, loc), "\n",
            f"{b15_la(f, r, loc, 16)} · {b15_la(f, r, loc, 33)} · {b15_la(f, r, loc, 4)}\n"]


def B15_energy_switch(f, r, loc):
    fn, ln = b15_who(f)
    return [b15_t(loc, en="Energy switch request", de="Anbieterwechsel Strom", fr="Changement de fournisseur d'énergie", es="Cambio de comercializadora", it="Cambio fornitore luce", nl="Overstap energieleverancier"),
            f"\n{fn} {ln} · {r.choice(['MPAN', 'Zählpunkt', 'PDL', 'CUPS', 'POD', 'EAN-code'])} {rnd(r, B15_DIG, 13)}\n", b15_t(loc, en="Direct debit from ", de="Lastschrift von ", fr="Prélèvement sur ",
                                                                                                                           es="Domiciliación en ", it="Addebito su ", nl="Incasso van "),
            b15_IBAN(r, loc), "\n", b15_t(loc, en="Contact: ", de="Kontakt: ", fr="Contact : ", es="Contacto: ", it="Contatto: ", nl="Contact: "), b15_PH(r, loc), ", ", b15_EM(f, r, fn, ln),
            f"\n{b15_la(f, r, loc, 32)} · {b15_la(f, r, loc, 28)}\n"]


def B15_simswap(f, r, loc):
    fn, ln = b15_who(f)
    return [f"SIM swap request · store {r.randint(100, 999)} · agent {f.first_name()}\n", f"{fn} {ln}, ", b15_born(r, loc), "\nMSISDN ", b15_PH(r, loc, 0.0, True),
            f"\nOld {b15_la(f, r, loc, 29)} → new {b15_la(f, r, loc, 29)}\n",
            b15_t(loc, en="Customer security answer given; account PIN ", de="Sicherheitsfrage beantwortet; Kundenkennwort ", fr="Question de sécurité OK ; code client ",
                  es="Pregunta de seguridad OK; clave de cliente ", it="Domanda di sicurezza OK; PIN cliente ", nl="Beveiligingsvraag OK; klantwachtwoord "), b15_PW(r), "\n"]


def B15_esim(f, r, loc):
    return [f"eSIM activation\nLPA:1$smdp.{r.choice(['gsma-rsp.example', 'rsp.op-eu.example'])}${rnd(r, B15_UCD, 20)}\n", b15_la(f, r, loc, 29), "\n",
            b15_t(loc, en="Number assigned: ", de="Zugewiesene Rufnummer: ", fr="Numéro attribué : ", es="Número asignado: ", it="Numero assegnato: ", nl="Toegewezen nummer: "),
            b15_PH(r, loc, 0.0, True), f"\nplan {r.choice([5, 20, 50])} GB · {b15_la(f, r, loc, 12)}\n", "Confirmation sent to ", b15_EM(f, r), "\n"]


def B15_routeros(f, r, loc):
    return [f"# {b15_la(f, r, loc, 7)} by RouterOS 7.{r.randint(1, 16)}\n/interface pppoe-client\nadd interface=ether1 name=pppoe-out1 user=", b15_EM(f, r, dom=r.choice(["ziggo.nl", "orange.fr", "btinternet.com"])),
            " password=", b15_PW(r, True), "\n/ip address\nadd address=", b15_IP4(r, True), "/24 interface=bridge\n/ipv6 address\nadd address=", b15_IP6(r), "/64 interface=bridge\n",
            "/interface wireguard peers\nadd endpoint-address=", b15_IP4(r, False), f" endpoint-port={r.randint(1024, 65000)} public-key=\"{b15_b64(r, 32)}\"\n",
            "/ip ipsec identity\nadd secret=", b15_GS(r), "\n"]


def B15_cisco(f, r, loc):
    return [f"hostname {r.choice(['core-sw', 'edge-rtr', 'br-ams'])}{r.randint(1, 9)}\n!\nenable secret 9 $9${rnd(r, B15_B64U, 14)}${rnd(r, B15_B64U, 43)}\n",
            "username netops privilege 15 password 0 ", b15_PW(r, True), "\n!\ninterface Ethernet1/1\n ip address ", b15_IP4(r), "/24\n ipv6 address ", b15_IP6(r), "/64\n",
            "!\nsnmp-server community ", b15_GS(r), " RO\n", "tacacs server ISE\n address ipv4 ", b15_IP4(r, True), "\n key 0 ", b15_GS(r), "\n",
            f"! {b15_la(f, r, loc, 6)}\nend\n"]


def B15_unattend(f, r, loc):
    return ["<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\n <settings pass=\"oobeSystem\"><component name=\"Microsoft-Windows-Shell-Setup\">\n",
            "  <UserAccounts><AdministratorPassword><Value>", b15_PW(r, True), "</Value><PlainText>true</PlainText></AdministratorPassword></UserAccounts>\n",
            f"  <AutoLogon><Username>{r.choice(['kiosk', 'Administrator', 'svc_deploy'])}</Username><Password><Value>", b15_PW(r, True), "</Value></Password></AutoLogon>\n",
            f"  <RegisteredOrganization>{r.choice(['Greywell Estates', 'Talleres Oyarzun', 'Klinik am Sund'])}</RegisteredOrganization>\n",
            f"  <TimeZone>{r.choice(['W. Europe Standard Time', 'GMT Standard Time', 'Romance Standard Time', 'Eastern Standard Time'])}</TimeZone>\n </component></settings>\n</unattend>\n"]


def B15_rdp(f, r, loc):
    fn, ln = b15_who(f)
    return [f"full address:s:", b15_IP4(r), f":3389\nusername:s:CORP\\{b15_ascii(fn)[:1]}{b15_ascii(ln)}\nscreen mode id:i:2\ngatewayhostname:s:rdgw.", r.choice(["greywell-estates.co.uk", "haverford-freight.com"]),
            "\n# note from helpdesk: ", b15_pwsay(r, loc, True), "\n", f"kdcproxyname:s:\nalternate shell:s:\n# {b15_la(f, r, loc, 1)}\n"]


def B15_filezilla(f, r, loc):
    pw = b15_pw_value(r)
    return ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FileZilla3 version=\"3.6", str(r.randint(0, 9)), ".1\" platform=\"windows\">\n <Servers>\n  <Server>\n   <Host>",
            b15_IP4(r, False), f"</Host>\n   <Port>{r.choice([21, 22, 990])}</Port>\n   <Protocol>1</Protocol>\n   <User>", b15_EM(f, r), "</User>\n   <Pass encoding=\"base64\">",
            B15L("PASSWORD", base64.b64encode(pw.encode()).decode()), "</Pass>\n   <Name>", r.choice(["webshop live", "NAS thuis", "Kunde Müller", "backup"]),
            "</Name>\n  </Server>\n </Servers>\n</FileZilla3>\n"]


def B15_winscp(f, r, loc):
    return [f"[Sessions\\{r.choice(['deploy', 'sftp-prod', 'kunde'])}@{r.choice(['files', 'sftp', 'www'])}]\nHostName=", b15_IP4(r, False),
            f"\nUserName={r.choice(['deploy', 'www-data', 'ftpuser'])}\nPortNumber=22\n",
            "; plain copy kept by the consultant (remove!): ", b15_PW(r, True), "\nPublicKeyFile=C:%5CUsers%5Cops%5C.ssh%5Cid_ed25519.ppk\n", f"; {b15_la(f, r, loc, 7)}\n"]


def B15_rclone(f, r, loc):
    key = b15_TK(r, "AWS_ACCESS_KEY") if r.random() < 0.8 else b15_PHD(r, "AWS_ACCESS_KEY")
    return ["[s3-archive]\ntype = s3\nprovider = AWS\naccess_key_id = ", key, "\nsecret_access_key = ", B15L("GENERIC_SECRET", rnd(r, AN + "+/", 40)),
            f"\nregion = eu-{r.choice(['west', 'central'])}-1\n\n[gdrive]\ntype = drive\nclient_id = {rnd(r, B15_DIG, 12)}-{rnd(r, B15_LC + B15_DIG, 32)}.apps.googleusercontent.com\nclient_secret = ",
            b15_GS(r), f"\ntoken = {{\"access_token\":\"", B15L("GENERIC_SECRET", "ya29." + rnd(r, B15_B64U, 60)), "\",\"token_type\":\"Bearer\",\"expiry\":\"", b15_la(f, r, loc, 7), "\"}\n"]


def B15_s3cfg(f, r, loc):
    return ["[default]\naccess_key = ", b15_TK(r, "AWS_ACCESS_KEY"), "\nsecret_key = ", B15L("GENERIC_SECRET", rnd(r, AN + "+/", 40)), "\nhost_base = s3.amazonaws.com\n",
            "gpg_passphrase = ", b15_PW(r, True), f"\nuse_https = True\n# {b15_la(f, r, loc, 27)}\n\n# ~/.boto\n[Credentials]\ngs_oauth2_refresh_token = ",
            B15L("GENERIC_SECRET", "1//" + rnd(r, B15_B64U, 60)), "\n[GSUtil]\ndefault_project_id = ", f"{r.choice(['ops', 'ml', 'web'])}-{rnd(r, B15_DIG, 6)}\n"]


def B15_azure_conn(f, r, loc):
    acct = rnd(r, B15_LC, 10)
    return ["# appsettings copied from the portal\nAzureWebJobsStorage=DefaultEndpointsProtocol=https;AccountName=", acct, ";AccountKey=", B15L("GENERIC_SECRET", b15_b64(r, 64)),
            ";EndpointSuffix=core.windows.net\n", "ServiceBus=Endpoint=sb://", acct, ".servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=",
            B15L("GENERIC_SECRET", b15_b64(r, 32)), "\n", "Sql=Server=tcp:", acct, ".database.windows.net,1433;User ID=sqladmin;Password=", b15_PW(r, True), ";Encrypt=True\n",
            f"# {b15_la(f, r, loc, 9)}\n"]


def B15_mosquitto(f, r, loc):
    return [f"# /etc/mosquitto/conf.d/bridge.conf\nconnection cloud-bridge\naddress ", b15_IP4(r, False), ":8883\nremote_username gw-",
            rnd(r, HEX, 6), "\nremote_password ", b15_PW(r, True), "\ntopic sensors/# out 1\n\n# rabbitmq.conf\ndefault_user = admin\ndefault_pass = ", b15_PW(r, True),
            "\n# nats-server.conf\nauthorization { token: \"", b15_GS(r), f"\" }}\n# {b15_la(f, r, loc, 6)}\n"]


def B15_kibana(f, r, loc):
    return ["# kibana.yml\nserver.host: \"kibana-0\"\nelasticsearch.hosts: [\"https://", b15_IP4(r, True), ":9200\"]\nelasticsearch.username: \"kibana_system\"\nelasticsearch.password: \"",
            b15_PW(r, True), "\"\nxpack.encryptedSavedObjects.encryptionKey: \"", B15L("GENERIC_SECRET", rnd(r, AN, 32)), "\"\nxpack.security.session.idleTimeout: \"1h\"\n",
            f"# {b15_la(f, r, loc, 27)}\n"]


def B15_grafana_ds(f, r, loc):
    return ["apiVersion: 1\ndatasources:\n  - name: Postgres-prod\n    type: postgres\n    url: ", b15_IP4(r, True), ":5432\n    user: grafana_ro\n    secureJsonData:\n      password: '",
            b15_PW(r, True), "'\n  - name: Loki\n    type: loki\n    url: https://logs.", r.choice(["quantum-ledger.io", "haverford-freight.com"]),
            "\n    basicAuth: true\n    basicAuthUser: ", rnd(r, B15_DIG, 6), "\n    secureJsonData:\n      basicAuthPassword: ", B15L("GENERIC_SECRET", "glc_" + rnd(r, B15_B64U, 60)),
            f"\n# {b15_la(f, r, loc, 9)}\n"]


def B15_prom_rw(f, r, loc):
    return ["remote_write:\n  - url: https://prometheus-prod-", str(r.randint(1, 40)), "-prod-eu-west-2.grafana.net/api/prom/push\n    basic_auth:\n      username: ", rnd(r, B15_DIG, 7),
            "\n      password: ", B15L("GENERIC_SECRET", "glc_" + rnd(r, B15_B64U, 80)), "\n  - url: https://push.", r.choice(["metrics.internal", "mimir.ops"]),
            "/api/v1/push\n    authorization:\n      credentials: ", b15_TK(r, "JWT"), f"\n    queue_config: {{ max_shards: {r.randint(10, 200)} }}\n# {b15_la(f, r, loc, 6)}\n"]


def B15_promtail(f, r, loc):
    return ["clients:\n  - url: https://", b15_IP4(r, False), ":3100/loki/api/v1/push\n    tenant_id: ", r.choice(["acme", "eu-shop", "team-b"]),
            "\n    bearer_token: ", b15_GS(r), "\nscrape_configs:\n  - job_name: journal\n    journal: { max_age: 12h }\n",
            f"# {b15_la(f, r, loc, 19)} / {b15_la(f, r, loc, 30)}\n"]


def B15_fluentbit(f, r, loc):
    typ = r.choice(["OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "SLACK_TOKEN", "GITHUB_TOKEN", "STRIPE_KEY"])
    return ["[OUTPUT]\n    Name  es\n    Match kube.*\n    Host  ", b15_IP4(r, True), "\n    HTTP_User fluent\n    HTTP_Passwd ", b15_PW(r, True),
            "\n\n[OUTPUT]\n    Name  http\n    Match audit.*\n    Host  ingest.", r.choice(["logs.example-siem.net", "siem.internal"]), "\n    Header Authorization Bearer ", b15_GS(r),
            f"\n\n[FILTER]\n    Name modify\n    Match *\n    # leaked earlier in a record, now masked downstream:\n    Remove_regex {typ.lower()}\n# sample record: ", b15_TK(r, typ), "\n"]


def B15_otel(f, r, loc):
    return ["exporters:\n  otlphttp/honeycomb:\n    endpoint: https://api.honeycomb.io\n    headers:\n      x-honeycomb-team: ", B15L("GENERIC_SECRET", rnd(r, AN, 22)),
            "\n  otlp/datadog:\n    endpoint: ", b15_IP4(r, True), ":4317\n    headers:\n      dd-api-key: ", B15L("GENERIC_SECRET", rnd(r, HEX, 32)),
            "\n  otlphttp/langfuse:\n    endpoint: https://cloud.langfuse.com/api/public/otel\n    headers:\n      Authorization: Basic ",
            B15L("GENERIC_SECRET", base64.b64encode(("pk-lf-" + b15_uuid(r) + ":sk-lf-" + b15_uuid(r)).encode()).decode()), f"\nservice:\n  telemetry: {{ logs: {{ level: info }} }}\n# {b15_la(f, r, loc, 6)}\n"]


def B15_langsmith(f, r, loc):
    fn, ln = b15_who(f)
    return [f"LangSmith run {b15_uuid(r)} · chain: support-agent · {r.randint(200, 9000)} ms\n", "▸ tool: lookup_customer\n  input: {\"email\": \"", b15_EM(f, r, fn, ln), "\"}\n",
            f"  output: {{\"name\": \"{fn} {ln}\", \"phone\": \"", b15_PH(r, loc), "\", \"card_last4\": \"", rnd(r, B15_DIG, 4), "\", \"dob\": \"", b15_DOB(r, loc, True), "\"}\n",
            "▸ llm: claude\n  headers: {\"x-api-key\": \"", b15_TK(r, "ANTHROPIC_KEY") if r.random() < 0.7 else b15_PHD(r, "ANTHROPIC_KEY"), "\"}\n", f"  tags: {b15_la(f, r, loc, 30)}\n"]


def B15_mcp_log(f, r, loc):
    typ = r.choice(B15_VENDOR_TYPES)
    ck = b15_clock(r)
    return [f"{ck()} [mcp-server-{r.choice(['postgres', 'github', 'gmail', 'stripe'])}] INFO  session {b15_uuid(r)} initialized (protocol 2025-06-18)\n",
            f"{ck()} DEBUG env loaded: {r.choice(B15_SLOT_KEYS[typ]).upper()}=", b15_TK(r, typ), "\n", f"{ck()} DEBUG tools/call send_email to=", b15_EM(f, r),
            f" ({b15_la(f, r, loc, 19)})\n",
            [f"{ck()} DEBUG spawn: ", r.choice(["mysqldump -h db-crm -u app --password=", "sshpass -p ", "redis-cli -h cache-0 --no-auth-warning -a ", "mongodump -u backup -p "]),
             b15_PW(r, True), r.choice([" crm\n", " --single-transaction crm\n", " --gzip --archive\n"])] if r.random() < 0.6 else "", f"{ck()} WARN  client ", b15_IP6(r) if r.random() < 0.5 else b15_IP4(r), " retried; ", b15_la(f, r, loc, 21), "\n"]


def B15_console(f, r, loc):
    return ["console.log @ main.8f3a1c.js:2\n", f"[auth] user loaded {{id: {r.randint(1000, 99999)}, email: '", b15_EM(f, r), "', phone: '", b15_PH(r, loc),
            "'}\n", "[stripe] using publishable key pk_live_", rnd(r, AN, 24), "\n", "[debug] Authorization: Bearer ", b15_TK(r, "JWT"), "\n",
            f"Uncaught (in promise) TypeError: Cannot read properties of undefined (reading 'iban')\n    at checkout.tsx:{r.randint(10, 400)} {b15_la(f, r, loc, 30)}\n",
            "[maps] key=", b15_TK(r, "GOOGLE_API_KEY") if r.random() < 0.75 else b15_PHD(r, "GOOGLE_API_KEY"), "\n"]


def B15_curlv(f, r, loc):
    typ = r.choice(["GITHUB_TOKEN", "OPENAI_KEY", "SLACK_TOKEN", "STRIPE_KEY", "ANTHROPIC_KEY", "JWT"])
    hdr = {"GITHUB_TOKEN": "Authorization: token ", "OPENAI_KEY": "Authorization: Bearer ", "SLACK_TOKEN": "Authorization: Bearer ", "STRIPE_KEY": "Authorization: Bearer ",
           "ANTHROPIC_KEY": "x-api-key: ", "JWT": "Authorization: Bearer "}[typ]
    url = {"GITHUB_TOKEN": "github.com/user", "OPENAI_KEY": "openai.com/v1/models", "SLACK_TOKEN": "slack.com/api/auth.test", "STRIPE_KEY": "stripe.com/v1/charges",
           "ANTHROPIC_KEY": "anthropic.com/v1/messages", "JWT": r.choice(["quantum-ledger.io/v2/me", "haverford-freight.com/graphql"])}[typ]
    ip = b15_IP4(r, False)
    return ["$ curl -v https://api.", url,
            "\n*   Trying ", ip, ":443...\n* Connected to api.", url.split("/")[0], " (", B15L("IPV4", ip.text), ") port 443\n> GET /", url.partition("/")[2], " HTTP/2\n> ", hdr, b15_TK(r, typ),
            f"\n> User-Agent: curl/8.{r.randint(0, 11)}.{r.randint(0, 1)}\n< HTTP/2 401\n< x-request-id: {rnd(r, HEX, 32)}\n"]


def B15_wget(f, r, loc):
    if r.random() < 0.4:
        return ["$ wget --user=backup --password=", b15_PW(r, True), " ftp://", b15_IP4(r, False), f"/dumps/db.sql.gz\n--{b15_clock(r)().replace('T', ' ').rstrip('Z')}--  ftp://backup:*password*@…/dumps/db.sql.gz\n",
                "Logging in as backup ... Logged in!\n", f"Length: {r.randint(10 ** 5, 10 ** 9)} ({r.randint(1, 900)}M)\n"]
    u = b15_PW(r, True)
    ip = b15_IP4(r, False)
    return [f"--{b15_clock(r)().replace('T', ' ').rstrip('Z')}--  ftp://backup:", u, "@", ip, "/dumps/db.sql.gz\n", "           => ‘db.sql.gz’\nConnecting to ", B15L("IPV4", ip.text),
            ":21... connected.\nLogging in as backup ... Logged in!\n", f"==> SYST ... done.    ==> PWD ... done.\nLength: {r.randint(10 ** 5, 10 ** 9)} ({r.randint(1, 900)}M)\n"]


def B15_httpie(f, r, loc):
    return ["$ http --session=prod POST :8080/api/users email=", b15_EM(f, r), " phone='", b15_PH(r, loc), "'\n", "$ cat ~/.config/httpie/sessions/localhost_8080/prod.json | jq .auth\n",
            "{\n  \"type\": \"basic\",\n  \"raw\": \"admin:", b15_PW(r, True), "\"\n}\n", "$ http :8080/health  # ", b15_la(f, r, loc, 19), "\n"]


def B15_dbeaver(f, r, loc):
    return ["# DBeaver → Edit connection → copied JDBC URL and props\njdbc:postgresql://", b15_IP4(r, True), ":5432/warehouse?user=analyst&password=", b15_PW(r, True),
            "&sslmode=require\njdbc:mysql://", b15_IP4(r), ":3306/crm?user=crm_ro\nauth-model=native, savePassword=true, password=", b15_PW(r, True), "\n",
            "# DataGrip: SSH tunnel via bastion ", b15_IP4(r, False), f" user ec2-user key ~/.ssh/bastion.pem  ({b15_la(f, r, loc, 9)})\n"]


def B15_insomnia(f, r, loc):
    return ["_type: export\n__export_format: 4\nresources:\n  - _type: environment\n    name: Production\n    data:\n      base_url: https://api.", r.choice(["haverford-freight.com", "quantum-ledger.io"]),
            "\n      api_key: ", b15_GS(r), "\n      stripe: ", b15_TK(r, "STRIPE_KEY") if r.random() < 0.8 else b15_PHD(r, "STRIPE_KEY"), "\n      openai: ", b15_TK(r, "OPENAI_KEY"),
            "\n  - _type: request\n    name: create customer\n    body: { email: ", b15_EM(f, r), ", phone: '", b15_PH(r, loc), "' }\n", f"    # {b15_la(f, r, loc, 27)}\n"]


def B15_jupyter(f, r, loc):
    fn, ln = b15_who(f)
    n = r.randint(2, 40)
    out = [f"In [{n}]: df.head(3)\nOut[{n}]:\n", "   customer_id   email                             iban                          dob\n"]
    for j in range(3):
        out += [f"{j}  {rnd(r, B15_DIG, 7)}   ", b15_EM(f, r), "   ", b15_IBAN(r, loc, False), "   ", b15_DOB(r, loc, True), "\n"]
    return out + [f"\nIn [41]: os.environ['OPENAI_API_KEY']\nOut[41]: '", b15_TK(r, "OPENAI_KEY"), "'\n"]


def B15_panic(f, r, loc):
    lang = r.randrange(3)
    if lang == 0:
        return ["thread 'tokio-runtime-worker' panicked at src/billing.rs:", str(r.randint(10, 900)), ":", str(r.randint(1, 80)),
                ":\ncalled `Result::unwrap()` on an `Err` value: Config(\"invalid DATABASE_URL postgres://billing:", b15_PW(r, True), "@", b15_IP4(r, True),
                "/billing\")\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"]
    if lang == 1:
        return ["panic: stripe: invalid request: card ", b15_CC(r), " declined\n\ngoroutine ", str(r.randint(1, 999)), " [running]:\nmain.charge(0xc000", rnd(r, HEX, 6),
                ")\n\t/app/pay.go:", str(r.randint(10, 500)), " +0x", rnd(r, HEX, 3), "\nexit status 2\n", f"# {b15_la(f, r, loc, 30)}\n"]
    return ["node:internal/process/promises:288\n  triggerUncaughtException(err, true);\nError: SMTP auth failed for ", b15_EM(f, r), " (", b15_la(f, r, loc, 19),
            ")\n    at SMTPConnection._formatError\n  code: 'EAUTH',\n  command: 'AUTH PLAIN',\n  response: '535 5.7.8', config: { pass: '", b15_PW(r, True), "' }\n"]


def B15_ovpn(f, r, loc):
    return [f"# {r.choice(['office', 'lab', 'kunde-vpn'])}.ovpn exported {b15_rel(r, loc, 30, 0, True)}\nclient\ndev tun\nproto udp\nremote ", b15_IP4(r, False), f" {r.choice([1194, 443, 1195])}\n",
            "remote ", b15_IP6(r), " 1194\nauth-user-pass\ncipher AES-256-GCM\n<ca>\n-----BEGIN CERTIFICATE-----\n", b15_b64(r, 48), "\n-----END CERTIFICATE-----\n</ca>\n<key>\n", b15_PEM(r),
            "\n</key>\nverb 3\n",
            "# ", b15_t(loc, en="login for the portal: ", de="Login fürs Portal: ", fr="identifiants du portail : ", es="acceso al portal: ", it="accesso portale: ", nl="login portaal: "),
            b15_EM(f, r), " / ", b15_PW(r, True), "\n"]


def B15_fastlane(f, r, loc):
    return ["# fastlane/.env.default (committed by mistake)\nFASTLANE_USER=", b15_EM(f, r), "\nFASTLANE_APPLE_APPLICATION_SPECIFIC_PASSWORD=", B15L("PASSWORD", "-".join(rnd(r, B15_LC, 4) for _ in range(4))),
            "\nSLACK_CHANNEL=#ios-releases\nMATCH_PASSWORD=", b15_PW(r, True),
            "\nAPP_STORE_CONNECT_API_KEY_ID=", rnd(r, B15_UCD, 10), "\nAPP_STORE_CONNECT_API_KEY_CONTENT=\"", b15_PEM(r), "\"\n",
            f"# {b15_la(f, r, loc, 6)} {b15_la(f, r, loc, 27)}\n"]


def B15_dkim(f, r, loc):
    dom = r.choice(["greywell-estates.co.uk", "bakkerij-visser.nl", "studio-bellandi.it", "klinik-am-sund.de", "cabinet-morel.fr"])
    return [f"$ sudo cat /etc/opendkim/keys/{dom}/mail.private\n", b15_PEM(r), f"\n$ cat /etc/opendkim/keys/{dom}/mail.txt\nmail._domainkey IN TXT ( \"v=DKIM1; k=rsa; \" \"p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
            b15_b64(r, 60), "\" )\n$ # postmaster: ", b15_EM(f, r, dom=dom), f"  ({b15_la(f, r, loc, 31)})\n"]


def B15_taxintake(f, r, loc):
    fn, ln = b15_who(f)
    sp = f.first_name()
    kid = f.first_name()
    return [f"CLIENT ORGANIZER {B15_TODAY.year} — {r.choice(['Main St Tax & Bookkeeping', 'Lakeside Tax Pros', 'Ridgeway CPA'])}\n", f"Taxpayer: {fn} {ln}   SSN ", b15_SSN(r), "   ", b15_born(r, "en_US"), "\n",
            f"Spouse: {sp} {ln}   SSN ", b15_SSN(r), "   DOB ", b15_DOB(r, "en_US"), "\n", f"Dependent: {kid} {ln}   SSN ", b15_SSN(r), "   DOB ",
            B15L("DATE_OF_BIRTH", b15_date(r, B15_TODAY - datetime.timedelta(days=r.randint(365, 16 * 365)), "en_US")), "\n",
            f"Refund by direct deposit: {b15_nine(r)}, acct {rnd(r, B15_DIG, 10)}\n", "Phone ", b15_PH(r, "en_US", 0.0), "  Email ", b15_EM(f, r, fn, ln), "\n",
            f"Prior-year AGI {b15_la(f, r, loc, 17)} · {b15_la(f, r, loc, 14)} · IRS IP PIN on file ({b15_la(f, r, loc, 32)})\n"]


def B15_renovate(f, r, loc):
    gh = b15_TK(r, "GITHUB_TOKEN") if r.random() < 0.8 else b15_PHD(r, "GITHUB_TOKEN")
    return ["// config.js for the self-hosted Renovate runner\nmodule.exports = {\n  platform: 'github',\n  token: '", gh, "',\n  hostRules: [\n    { matchHost: 'npm.pkg.github.com', token: '",
            b15_TK(r, "GITHUB_TOKEN"), "' },\n    { matchHost: 'registry.", r.choice(["corp.example", "internal"]), "', username: 'renovate', password: '", b15_PW(r, True), "' },\n  ],\n",
            f"  prConcurrentLimit: {r.randint(2, 20)}, // {b15_la(f, r, loc, 6)}\n}};\n"]


def B15_bolt_env(f, r, loc):
    return [f"# .env for the {r.choice(['standup-bot', 'oncall-helper', 'expenses-bot'])} (Bolt for JS)\nSLACK_BOT_TOKEN=", b15_TK(r, "SLACK_TOKEN"), "\nSLACK_APP_TOKEN=",
            B15L("SLACK_TOKEN", f"xapp-1-A{rnd(r, B15_UCD, 10)}-{rnd(r, B15_DIG, 13)}-{rnd(r, HEX, 64)}"), "\nSLACK_SIGNING_SECRET=", B15L("GENERIC_SECRET", rnd(r, HEX, 32)),
            "\n# docs example, do not use: SLACK_BOT_TOKEN=", b15_PHD(r, "SLACK_TOKEN") if r.random() < 0.5 else "xoxb-your-token", "\nPORT=3000\n", f"# {b15_la(f, r, loc, 30)}\n"]


def B15_widget_html(f, r, loc):
    k = b15_TK(r, "GOOGLE_API_KEY") if r.random() < 0.8 else b15_PHD(r, "GOOGLE_API_KEY")
    return ["<!-- footer widget (CMS custom HTML block) -->\n<script src=\"https://maps.googleapis.com/maps/api/js?key=", k, "&callback=initMap\" async></script>\n",
            f"<div class=\"g-recaptcha\" data-sitekey=\"6L{rnd(r, B15_B64U, 38)}\"></div>\n<p>", b15_t(loc, en="Call us: ", de="Rufen Sie an: ", fr="Appelez-nous : ", es="Llámenos: ", it="Chiamaci: ", nl="Bel ons: "),
            b15_PH(r, loc, 0.0, False), " · <a href=\"mailto:", b15_EM(f, r), f"\">mail</a> · {b15_la(f, r, loc, 24)}</p>\n",
            "<script>const GEOCODER = '", b15_TK(r, "GOOGLE_API_KEY"), "';</script>\n"]


def B15_quickstart(f, r, loc):
    typ = r.choice(["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"])
    typ2 = r.choice(["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"])
    return [b15_t(loc, en="Pasted from the SDK quickstart, then my own values below:\n", de="Aus dem SDK-Quickstart kopiert, darunter meine echten Werte:\n",
                  fr="Copié du guide de démarrage, mes vraies valeurs en dessous :\n", es="Copiado de la guía rápida, abajo mis valores reales:\n",
                  it="Copiato dalla guida rapida, sotto i miei valori veri:\n", nl="Uit de quickstart gekopieerd, daaronder mijn echte waarden:\n"),
            "  # example\n  export API_KEY=", b15_PHD(r, typ), "\n  export OTHER_KEY=", b15_PHD(r, typ2), "\n  # mine\n  export API_KEY=", b15_TK(r, typ), "\n",
            "  export TOKEN=", r.choice(B15_STANDINS), f"  # {b15_la(f, r, loc, 21)}\n"]


def B15_presigned(f, r, loc):
    t = B15_TODAY - datetime.timedelta(days=r.randint(0, 6))
    key = b15_TK(r, "AWS_ACCESS_KEY") if r.random() < 0.85 else b15_PHD(r, "AWS_ACCESS_KEY")
    return [b15_t(loc, en="Here is the download link for the export (valid 7 days):\n", de="Hier der Download-Link zum Export (7 Tage gültig):\n",
                  fr="Voici le lien de téléchargement de l'export (valable 7 jours) :\n", es="Aquí tiene el enlace de descarga (válido 7 días):\n",
                  it="Ecco il link per scaricare l'export (valido 7 giorni):\n", nl="Hier is de downloadlink van de export (7 dagen geldig):\n"),
            f"https://{r.choice(['exports-eu', 'crm-dumps', 'invoices-archive'])}.s3.eu-west-1.amazonaws.com/{b15_uuid(r)}.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=", key,
            f"%2F{t.strftime('%Y%m%d')}%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date={t.strftime('%Y%m%d')}T{r.randint(0, 23):02d}{r.randint(0, 59):02d}00Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature={rnd(r, HEX, 64)}\n",
            b15_t(loc, en="Questions: ", de="Fragen: ", fr="Questions : ", es="Dudas: ", it="Domande: ", nl="Vragen: "), b15_EM(f, r), f" · {b15_la(f, r, loc, 1)}\n"]


def B15_wc_stripe_log(f, r, loc):
    ck = b15_clock(r)
    return [f"{ck()} - WC Stripe - Version {r.randint(7, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}\n", f"{ck()} - Stripe request: POST /v1/payment_intents (key ",
            b15_TK(r, "STRIPE_KEY") if r.random() < 0.85 else b15_PHD(r, "STRIPE_KEY"), ")\n", f"{ck()} - customer email ", b15_EM(f, r), " billing phone ", b15_PH(r, loc),
            f"\n{ck()} - card_declined: insufficient_funds, {b15_la(f, r, loc, 23)} ({b15_la(f, r, loc, 0)})\n",
            f"{ck()} - webhook secret set: ", B15L("GENERIC_SECRET", "whsec_" + rnd(r, AN, 32)), " restricted key ", b15_TK(r, "STRIPE_KEY"), "\n"]


def B15_litellm(f, r, loc):
    return ["# litellm proxy config.yaml\nmodel_list:\n  - model_name: claude-sonnet\n    litellm_params:\n      model: anthropic/claude-sonnet-4-20250514\n      api_key: ",
            b15_TK(r, "ANTHROPIC_KEY") if r.random() < 0.85 else b15_PHD(r, "ANTHROPIC_KEY"), "\n  - model_name: gpt-4.1\n    litellm_params:\n      model: openai/gpt-4.1\n      api_key: ",
            b15_TK(r, "OPENAI_KEY") if r.random() < 0.85 else b15_PHD(r, "OPENAI_KEY"), "\n  - model_name: gemini\n    litellm_params:\n      model: gemini/gemini-2.5-flash\n      api_key: ",
            b15_TK(r, "GOOGLE_API_KEY"), "\ngeneral_settings:\n  master_key: ", B15L("GENERIC_SECRET", "sk-" + rnd(r, AN, 22)), "\n  database_url: postgresql://litellm:",
            b15_PW(r, True), "@", b15_IP4(r, True), ":5432/litellm\n", f"# {b15_la(f, r, loc, 6)} · {b15_la(f, r, loc, 27)}\n"]


def B15_gitcreds(f, r, loc):
    u = b15_ascii(f.first_name()) or "dev"
    return [f"$ cat ~/.git-credentials\nhttps://{u}:", b15_TK(r, "GITHUB_TOKEN"), "@github.com\nhttps://oauth2:", B15L("GENERIC_SECRET", "glpat-" + rnd(r, B15_B64U, 20)),
            "@gitlab.", r.choice(["corp.example", "internal"]), "\n$ cat ~/.config/gh/hosts.yml\ngithub.com:\n    user: ", u, "\n    oauth_token: ", b15_TK(r, "GITHUB_TOKEN"),
            "\n    git_protocol: https\n$ git log -1 --format=%H  # ", rnd(r, HEX, 40), "\n"]


B15_TEXT_KINDS = [B15_freshservice, B15_servicenow, B15_sfcase, B15_helpscout, B15_postmark, B15_calendly, B15_docusign, B15_typeform, B15_eventbrite, B15_airbnb,
                  B15_uber, B15_doordash, B15_shopify_note, B15_magento, B15_mt940, B15_camt, B15_ofx, B15_xero, B15_personio, B15_greenhouse, B15_ccd, B15_dicom,
                  B15_x12, B15_eob, B15_powerschool, B15_exam_reg, B15_efiling, B15_police, B15_notary, B15_landreg, B15_energy_switch, B15_simswap, B15_esim,
                  B15_routeros, B15_cisco, B15_unattend, B15_rdp, B15_filezilla, B15_winscp, B15_rclone, B15_s3cfg, B15_azure_conn, B15_mosquitto, B15_kibana,
                  B15_grafana_ds, B15_prom_rw, B15_promtail, B15_fluentbit, B15_otel, B15_langsmith, B15_mcp_log, B15_console, B15_curlv, B15_wget, B15_httpie,
                  B15_dbeaver, B15_insomnia, B15_jupyter, B15_panic, B15_ovpn, B15_fastlane, B15_dkim, B15_taxintake, B15_renovate,
                  B15_bolt_env, B15_widget_html, B15_quickstart, B15_presigned, B15_wc_stripe_log, B15_litellm, B15_gitcreds]


def b15_text(f, r, loc):
    return b15_flat(r.choice(B15_TEXT_KINDS)(f, r, loc))


# ----- JSON documents -----

B15_EMBED = [k for k in B15_TEXT_KINDS]


def b15_embed(f, r, loc):
    return b15_js(r.choice(B15_EMBED)(f, r, loc))


def b15_embed_lines(f, r, loc):
    return b15_lines(r.choice(B15_EMBED)(f, r, loc))


def B15_j_mcp_call(f, r, loc):
    tool = r.choice(["freshservice_create_ticket", "servicenow.add_work_note", "helpscout_reply", "gmail_send_draft", "files.write_text"])
    return {"jsonrpc": "2.0", "id": r.randint(1, 10 ** 6), "method": "tools/call",
            "params": {"name": tool, "arguments": {"subject": b15_js(b15_la(f, r, loc, 1)), "body": b15_embed(f, r, loc), "cc": [[b15_EM(f, r)]], "priority": r.choice([1, 2, 3, 4])},
                       "_meta": {"progressToken": rnd(r, AN, 12)}}}


def B15_j_mcp_result(f, r, loc):
    return {"jsonrpc": "2.0", "id": r.randint(1, 10 ** 6), "result": {"content": [{"type": "text", "text": b15_embed(f, r, loc)}],
            "structuredContent": {"lines": b15_embed_lines(f, r, loc), "truncated": r.random() < 0.3}, "isError": False}}


def B15_j_responses(f, r, loc):
    fn, ln = b15_who(f)
    args = {"customer": {"name": b15_js(f"{fn} {ln}"), "email": [b15_EM(f, r, fn, ln)], "phone": [b15_PH(r, loc)]},
            "refund": {"iban": [b15_IBAN(r, loc)], "amount": b15_js(b15_la(f, r, loc, 17)), "reason": b15_js(b15_la(f, r, loc, 0))}}
    return {"id": "resp_" + rnd(r, HEX, 48), "object": "response", "model": "gpt-4.1-mini", "output": [{"type": "function_call", "call_id": "call_" + rnd(r, AN, 24),
            "name": "create_refund", "arguments": args, "status": "completed"}], "usage": {"input_tokens": r.randint(100, 9000), "output_tokens": r.randint(10, 900)}}


def B15_j_jsm(f, r, loc):
    fn, ln = b15_who(f)
    return {"issueKey": f"ITSD-{r.randint(100, 99999)}", "fields": {"summary": b15_js(b15_t(loc, en="Laptop stolen", de="Laptop gestohlen", fr="Portable volé", es="Portátil robado", it="Portatile rubato", nl="Laptop gestolen")),
            "reporter": {"displayName": b15_js(f"{fn} {ln}"), "emailAddress": [b15_EM(f, r, fn, ln)]},
            "customfield_10045": [b15_PH(r, loc)], "customfield_10051": b15_js(b15_la(f, r, loc, 12)),
            "comment": {"comments": [{"body": b15_js(b15_pwsay(r, loc)), "public": False}, {"body": b15_embed(f, r, loc), "public": False}]}},
            "created": b15_js(b15_la(f, r, loc, 7))}


def B15_j_sendgrid(f, r, loc):
    evs = []
    for _ in range(r.randint(2, 4)):
        ev = r.choice(["delivered", "bounce", "open", "click", "spamreport"])
        e = {"email": [b15_EM(f, r)], "timestamp": r.randint(1_765_000_000, 1_797_000_000), "event": ev, "sg_event_id": rnd(r, B15_B64U, 22),
             "sg_message_id": rnd(r, B15_B64U, 22) + ".filter" + rnd(r, B15_DIG, 4), "ip": [b15_IP4(r, False)] if r.random() < 0.7 else [b15_IP6(r)]}
        if ev == "bounce":
            e["reason"] = b15_js("550 5.1.1 mailbox unavailable ", b15_la(f, r, loc, 31))
        if ev == "click":
            e["url"] = b15_js("https://shop.example/track?", b15_la(f, r, loc, 5).replace(" ", "="))
        evs.append(e)
    return {"webhook": "sendgrid.event", "events": evs}


def B15_j_vonage(f, r, loc):
    return {"msisdn": [b15_e164(r, loc)],
            "to": [b15_e164(r, loc)], "messageId": rnd(r, HEX, 16).upper(), "text": b15_js(r.choice([
                [b15_t(loc, en="my new email is ", de="meine neue Mail ist ", fr="mon nouvel e-mail est ", es="mi nuevo correo es ", it="la mia nuova mail è ", nl="mijn nieuwe mail is "), b15_EM(f, r)],
                [b15_t(loc, en="where is my parcel? ", de="wo ist mein Paket? ", fr="où est mon colis ? ", es="¿dónde está mi paquete? ", it="dov'è il mio pacco? ", nl="waar is mijn pakket? "), b15_la(f, r, loc, 5), ", ", b15_la(f, r, loc, 0)],
                b15_pwsay(r, loc), [b15_la(f, r, loc, 3), " STOP"]])), "type": "text", "keyword": r.choice(["INFO", "STOP", "HELP", "EMAIL"]),
            "message-timestamp": b15_js(b15_la(f, r, loc, 7))}


def b15_e164(r, loc):
    n = b15_phone_number(r, REGION[loc], True)
    return B15L("PHONE", phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164).lstrip("+") if r.random() < 0.5 else phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164))


def B15_j_calendly(f, r, loc):
    fn, ln = b15_who(f)
    return {"event": "invitee.created", "created_at": b15_js(b15_la(f, r, loc, 7)), "payload": {"email": [b15_EM(f, r, fn, ln)], "name": b15_js(f"{fn} {ln}"),
            "text_reminder_number": [b15_PH(r, loc)], "timezone": r.choice(["Europe/Amsterdam", "Europe/Berlin", "America/Chicago", "Europe/Madrid"]),
            "questions_and_answers": [{"question": b15_js(b15_t(loc, en="Date of birth", de="Geburtsdatum", fr="Date de naissance", es="Fecha de nacimiento", it="Data di nascita", nl="Geboortedatum")),
                                       "answer": [b15_DOB(r, loc)]},
                                      {"question": "Policy number", "answer": b15_js(b15_la(f, r, loc, 28))}],
            "tracking": {"utm_source": "newsletter", "salesforce_uuid": None}, "uri": "https://api.calendly.com/scheduled_events/" + b15_uuid(r)}}


def B15_j_docusign(f, r, loc):
    signers = []
    for _ in range(r.randint(1, 3)):
        fn, ln = b15_who(f)
        s = {"email": [b15_EM(f, r, fn, ln)], "name": b15_js(f"{fn} {ln}"), "recipientId": str(r.randint(1, 9)), "status": r.choice(["completed", "sent", "delivered"])}
        if r.random() < 0.6:
            s["smsAuthentication"] = {"senderProvidedNumbers": [[b15_PH(r, loc, 0.0, True)]]}
        if r.random() < 0.4:
            s["tabs"] = {"dateTabs": [{"tabLabel": "birth_date", "value": [b15_DOB(r, loc)]}], "textTabs": [{"tabLabel": "iban", "value": [b15_IBAN(r, loc)]}]}
        signers.append(s)
    return {"event": "envelope-completed", "apiVersion": "v2.1", "data": {"envelopeId": b15_uuid(r), "envelopeSummary": {"emailSubject": b15_js(b15_la(f, r, loc, 2)),
            "recipients": {"signers": signers}, "sender": {"ipAddress": [b15_IP4(r, False)]}}}}


def B15_j_typeform(f, r, loc):
    return {"event_id": rnd(r, B15_UCD, 26), "event_type": "form_response", "form_response": {"form_id": rnd(r, AN, 8), "token": rnd(r, B15_LC + B15_DIG, 32),
            "submitted_at": b15_js(b15_la(f, r, loc, 7)), "answers": [
                {"type": "email", "email": [b15_EM(f, r)], "field": {"ref": "email"}},
                {"type": "phone_number", "phone_number": [b15_e164(r, loc)], "field": {"ref": "mobile"}},
                {"type": "date", "date": [b15_DOB(r, loc, True)], "field": {"ref": "date_of_birth"}},
                {"type": "date", "date": b15_rel(r, loc, 0, 60, True), "field": {"ref": "preferred_start"}},
                {"type": "text", "text": b15_js(b15_la(f, r, loc)), "field": {"ref": "comments"}}]}}


def B15_j_woo(f, r, loc):
    fn, ln = b15_who(f)
    return {"id": r.randint(1000, 99999), "status": "processing", "currency": "EUR", "date_created": b15_js(b15_la(f, r, loc, 7)),
            "billing": {"first_name": fn, "last_name": b15_js(ln), "email": [b15_EM(f, r, fn, ln)], "phone": [b15_PH(r, loc)]},
            "customer_ip_address": [b15_IP4(r, False)] if r.random() < 0.7 else [b15_IP6(r)], "customer_note": b15_js(r.choice([b15_la(f, r, loc), b15_la(f, r, loc, 22)])),
            "meta_data": [{"key": "_stripe_customer_id", "value": "cus_" + rnd(r, AN, 14)}, {"key": "_wc_gateway_debug", "value": b15_js("card ", b15_CC(r), " cvc ", b15_CVV(r))}],
            "line_items": [{"sku": b15_js(b15_la(f, r, loc, 18)), "quantity": r.randint(1, 4)}]}


def B15_j_klarna(f, r, loc):
    fn, ln = b15_who(f)
    return {"session_id": b15_uuid(r), "purchase_country": REGION[loc], "order_amount": r.randint(1000, 999999),
            "billing_address": {"given_name": fn, "family_name": b15_js(ln), "email": [b15_EM(f, r, fn, ln)], "phone": [b15_PH(r, loc, 0.0)]},
            "customer": {"date_of_birth": [b15_DOB(r, loc, True)], "national_identification_number": [b15_SSN(r)] if loc == "en_US" else b15_js(b15_la(f, r, loc, 24))},
            "merchant_urls": {"confirmation": "https://shop.example/confirm?sid={checkout.order.id}"}, "client_token": [b15_TK(r, "JWT")]}


def B15_j_assistant_steps(f, r, loc):
    typ = r.choice(B15_VENDOR_TYPES)
    sk, sv = b15_slot(r)
    return {"object": "list", "data": [{"id": "step_" + rnd(r, AN, 24), "type": "tool_calls", "step_details": {"tool_calls": [
            {"id": "call_" + rnd(r, AN, 24), "type": "function", "function": {"name": "read_env", "arguments": {"name": typ}, "output": [b15_TK(r, typ)]}},
            {"id": "call_" + rnd(r, AN, 24), "type": "code_interpreter", "code_interpreter": {"input": b15_js("print(open('.env').read())"),
             "outputs": [{"type": "logs", "logs": b15_js(sk, "=", sv)}]}}]}},
            {"id": "step_" + rnd(r, AN, 24), "type": "message_creation", "step_details": {"message_creation": {"message_id": "msg_" + rnd(r, AN, 24)}}}]}


def B15_j_langfuse(f, r, loc):
    return {"id": b15_uuid(r), "name": "agent-run", "timestamp": b15_js(b15_la(f, r, loc, 7)), "userId": [b15_EM(f, r)],
            "observations": [{"type": "GENERATION", "model": "claude-sonnet-4", "input": {"messages": [{"role": "user", "content": b15_embed(f, r, loc)}]},
                              "output": {"content": b15_js(b15_la(f, r, loc, 22))}, "usage": {"input": r.randint(100, 9999), "output": r.randint(10, 999)}},
                             {"type": "SPAN", "name": "tool:http_get", "metadata": {"headers": {"Authorization": ["Bearer ", b15_GS(r)]}, "url": "https://api.internal/v1/customers"}}],
            "tags": [[b15_la(f, r, loc, 6)]]}


def B15_j_dbeaver(f, r, loc):
    conns = {}
    for j in range(r.randint(1, 3)):
        drv = r.choice(["postgres-jdbc", "mysql8", "mssql_jdbc_ms_new", "oracle_thin"])
        port = {"postgres-jdbc": 5432, "mysql8": 3306, "mssql_jdbc_ms_new": 1433, "oracle_thin": 1521}[drv]
        conns[f"{drv}-{rnd(r, HEX, 11)}-{rnd(r, HEX, 16)}"] = {"provider": drv.split("-")[0].split("_")[0], "driver": drv, "name": b15_js(r.choice(["prod ro", "staging", "DWH", "CRM replica"])),
            "save-password": True, "configuration": {"host": [b15_IP4(r, True)], "port": str(port), "database": r.choice(["dwh", "crm", "billing"]),
            "auth-model": "native", "user": r.choice(["analyst", "svc_report", "sa"]), "password": [b15_PW(r)]},
            "handlers": {"ssh_tunnel": {"enabled": True, "properties": {"host": [b15_IP4(r, False)], "authType": "PUBLIC_KEY", "privateKey": [b15_PEM(r, "\\n")]}}} if r.random() < 0.4 else {}}
    return {"folders": {}, "connections": conns, "connection-types": {"prod": {"name": "Production", "confirm-execute": True}}}


def B15_j_grist(f, r, loc):
    head = [["id"], [b15_t(loc, en="Name", de="Name", fr="Nom", es="Nombre", it="Nome", nl="Naam")], ["Email"], ["Phone"], ["IBAN"], [b15_t(loc, en="Born", de="Geboren", fr="Naissance", es="Nacimiento", it="Nascita", nl="Geboren")], ["Note"]]
    rows = [head]
    for j in range(r.randint(2, 5)):
        fn, ln = b15_who(f)
        rows.append([j + 1, b15_js(f"{fn} {ln}"), [b15_EM(f, r, fn, ln)], [b15_PH(r, loc)], [b15_IBAN(r, loc)] if r.random() < 0.7 else b15_js(b15_badiban(r)),
                     [b15_DOB(r, loc)], b15_js(b15_la(f, r, loc))])
    return {"tool": "spreadsheet.read_range", "result": {"sheet": r.choice(["Members", "Mitglieder", "Adhérents", "Socios", "Soci", "Leden"]), "range": f"A1:G{len(rows)}", "values": rows}}


def B15_j_wise(f, r, loc):
    fn, ln = b15_who(f)
    return {"data": {"resource": {"type": "transfer", "id": r.randint(10 ** 8, 10 ** 9), "profile_id": r.randint(10 ** 6, 10 ** 7)},
            "current_state": r.choice(["outgoing_payment_sent", "processing", "funds_converted"]), "occurred_at": b15_js(b15_la(f, r, loc, 7))},
            "recipient": {"accountHolderName": b15_js(f"{fn} {ln}"), "details": {"iban": [b15_IBAN(r, loc, False)], "email": [b15_EM(f, r, fn, ln)]}},
            "reference": b15_js(b15_la(f, r, loc, 2)), "event_type": "transfers#state-change", "schema_version": "2.0.0",
            "signature_header": {"X-Signature-SHA256": b15_b64(r, 256)[:64]}}


def B15_j_front(f, r, loc):
    fn, ln = b15_who(f)
    msgs = [{"id": "msg_" + rnd(r, B15_LC + B15_DIG, 8), "is_inbound": True, "author": None, "recipients": [{"handle": [b15_EM(f, r, fn, ln)], "role": "from"}],
             "body": b15_embed(f, r, loc)},
            {"id": "msg_" + rnd(r, B15_LC + B15_DIG, 8), "is_inbound": False, "author": {"email": [b15_EM(f, r, dom="support.haverford-freight.com")]},
             "body": b15_js(b15_t(loc, en="Thanks, we have updated your number to ", de="Danke, Ihre Nummer ist jetzt ", fr="Merci, votre numéro est maintenant le ",
                                   es="Gracias, su número ahora es ", it="Grazie, il suo numero ora è ", nl="Bedankt, je nummer is nu "), b15_PH(r, loc), ". ", b15_la(f, r, loc, 22))}]
    return {"_links": {"self": "https://api2.frontapp.com/conversations/cnv_" + rnd(r, B15_LC + B15_DIG, 8)}, "subject": b15_js(b15_la(f, r, loc, 1)), "status": "assigned",
            "tags": [{"name": "billing"}], "messages": msgs}


def B15_j_fhir_claim(f, r, loc):
    fn, ln = b15_who(f)
    pat = {"resourceType": "Patient", "id": rnd(r, B15_LC + B15_DIG, 10), "name": [{"family": b15_js(ln), "given": [[fn]]}], "birthDate": [b15_DOB(r, loc, True)],
           "telecom": [{"system": "phone", "value": [b15_PH(r, loc)]}, {"system": "email", "value": [b15_EM(f, r, fn, ln)]}]}
    if loc == "en_US":
        pat["identifier"] = [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": [b15_SSN(r, "-")]}]
    return {"resourceType": "Claim", "id": rnd(r, B15_DIG, 8), "status": "active", "use": "claim", "created": b15_rel(r, loc, 30, 0, True),
            "contained": [pat], "patient": {"reference": "#" + pat["id"]}, "insurance": [{"sequence": 1, "focal": True, "identifier": {"value": b15_js(b15_la(f, r, loc, 28))}}],
            "item": [{"sequence": 1, "productOrService": {"coding": [{"code": rnd(r, B15_DIG, 5)}]}, "servicedDate": b15_rel(r, loc, 30, 0, True)}]}


def B15_j_tf_vars(f, r, loc):
    k1, v1 = b15_slot(r)
    k2, v2 = b15_slot(r)
    return {"name": "terraform_apply_vars", "arguments": {"workspace": r.choice(["prod-eu", "staging", "dr"]), "variables": {
            k1: [v1], k2 + "_2" if k2 == k1 else k2: [v2], "db_admin_password": [b15_PW(r)], "token_ttl": str(r.choice([3600, 7200])), "password_policy": f"min_length={r.randint(10, 16)},require_symbol={r.choice(['true', 'false'])},max_age_days={r.choice([60, 90, 180])}",
            "tls_key_pem": [b15_PEM(r, "\\n")] if r.random() < 0.5 else "file(\"certs/tls.key\")".replace('"', "'"), "allowed_cidrs": [[b15_IP4(r, False)], ["vpc:internal"]]}}}


def B15_j_env_secrets(f, r, loc):
    env = {}
    for _ in range(r.randint(3, 6)):
        k, v = b15_slot(r)
        env[k.upper() if r.random() < 0.5 else k] = [v]
    if r.random() < 0.45:
        env[r.choice(["GITHUB_APP_PRIVATE_KEY", "jwt_signing_key_pem", "SAML_SP_KEY", "apns_auth_key"])] = [b15_PEM(r, "\\n")]
    env["LOG_LEVEL"] = "info"
    env["SESSION_TTL"] = str(r.choice([900, 3600]))
    return {"service": r.choice(["checkout-api", "mcp-gateway", "notifier", "etl-runner"]), "env": env,
            "deploy": {"by": [b15_EM(f, r)], "from_ip": [b15_IP6(r)] if r.random() < 0.5 else [b15_IP4(r)], "note": b15_js(b15_la(f, r, loc, 21))}}


def B15_j_mcp_client_cfg(f, r, loc):
    srv = {"github": {"command": "npx", "args": [["-y"], ["@modelcontextprotocol/server-github"]], "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": [b15_TK(r, "GITHUB_TOKEN") if r.random() < 0.85 else b15_PHD(r, "GITHUB_TOKEN")]}},
           "claude-proxy": {"command": "uvx", "args": [["llm-router"]], "env": {"ANTHROPIC_API_KEY": [b15_TK(r, "ANTHROPIC_KEY")], "ROUTER_LOG": "warn"}},
           "slack": {"command": "npx", "args": [["-y"], ["@modelcontextprotocol/server-slack"]], "env": {"SLACK_BOT_TOKEN": [b15_TK(r, "SLACK_TOKEN")], "SLACK_TEAM_ID": "T" + rnd(r, B15_UCD, 10)}}}
    if r.random() < 0.5:
        srv["postgres"] = {"command": "docker", "args": [["run"], ["-i"], ["--rm"], ["mcp/postgres"], ["postgresql://app:", b15_PW(r, True), "@", b15_IP4(r, True), ":5432/app"]]}
    return {"tool": "fs.read_file", "path": r.choice(["~/Library/Application Support/Claude/claude_desktop_config.json", ".cursor/mcp.json", ".vscode/mcp.json"]),
            "content": {"mcpServers": srv}}


B15_JSON_KINDS = [B15_j_mcp_call, B15_j_mcp_call, B15_j_mcp_result, B15_j_mcp_result, B15_j_responses, B15_j_jsm, B15_j_sendgrid, B15_j_vonage, B15_j_calendly,
                  B15_j_docusign, B15_j_typeform, B15_j_woo, B15_j_klarna, B15_j_assistant_steps, B15_j_langfuse, B15_j_dbeaver, B15_j_grist, B15_j_wise,
                  B15_j_front, B15_j_fhir_claim, B15_j_tf_vars, B15_j_env_secrets, B15_j_mcp_client_cfg]


def b15_json(f, r, loc):
    return r.choice(B15_JSON_KINDS)(f, r, loc)


# ----- self-check -----

def b15_labels(v):
    if isinstance(v, L):
        return [v] if v.typ else []
    if isinstance(v, dict):
        return [x for y in v.values() for x in b15_labels(y)]
    if isinstance(v, (list, tuple)):
        return [x for y in v for x in b15_labels(y)]
    return []


B15_SHAPES = {
    "EMAIL": r"[A-Za-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}",
    "AWS_ACCESS_KEY": r"(AKIA|ASIA)[A-Z2-7]{16}",
    "GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_11[A-Z0-9]{20}_[A-Za-z0-9]{59}",
    "SLACK_TOKEN": r"xox[bp]-\d{12}-\d{12,13}-(\d{13}-[0-9a-f]{32}|[A-Za-z0-9]{24})|xapp-1-A[A-Z0-9]{10}-\d{13}-[0-9a-f]{64}|xoxe\.xoxp-1-[A-Za-z0-9]{148}",
    "STRIPE_KEY": r"(sk|rk)_(live|test)_[A-Za-z0-9]{24,99}",
    "OPENAI_KEY": r"sk-(proj-|svcacct-|admin-)[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
    "ANTHROPIC_KEY": r"sk-ant-(api03|admin01)-[A-Za-z0-9_-]{93}AA",
    "GOOGLE_API_KEY": r"AIza[A-Za-z0-9_-]{35}",
    "JWT": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    "PRIVATE_KEY": r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----(\n|\\n)[A-Za-z0-9+/=\n\\]+-----END ([A-Z]+ )?PRIVATE KEY-----",
}


def b15_shape_of(v):
    return [t for t, rx in B15_SHAPES.items() if t not in ("EMAIL", "PRIVATE_KEY") and re.fullmatch(rx, v)]


def b15_value_ok(typ, v):
    if typ in B15_SHAPES:
        if re.fullmatch(B15_SHAPES[typ], v) is None or v in B15_PLACEHOLDERS:
            return False
        if typ == "JWT":
            h = v.split(".")[0]
            return "alg" in json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        return True
    if typ == "CREDIT_CARD":
        d = v.replace(" ", "").replace("-", "")
        return d.isdigit() and luhn_ok(d) and b15_iin_ok(d)
    if typ == "IBAN":
        d = v.replace(" ", "")
        return d[:2] in B15_IBAN and len(d) == B15_IBAN[d[:2]][0] and b15_m97(d[4:] + d[:4]) == 1
    if typ == "US_SSN":
        d = v.replace("-", "").replace(" ", "")
        return len(d) == 9 and d.isdigit() and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"
    if typ in ("IPV4", "IPV6"):
        a = ipaddress.ip_address(v)
        return (a.version == 4) == (typ == "IPV4") and not a.is_loopback and not a.is_unspecified
    if typ == "PHONE":
        regs = [None] + sorted(set(REGION.values()) | set(B15_FOREIGN))
        for reg in regs:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(v, reg)):
                    return True
            except phonenumbers.NumberParseException:
                pass
        return False
    if typ == "DATE_OF_BIRTH":
        return re.search(r"(19|20)\d\d", v) is not None
    if typ in ("PASSWORD", "GENERIC_SECRET"):
        return len(v) >= 3 and not any(c.isspace() for c in v) and v not in B15_STANDINS and not any(c in v for c in "\"'\\")
    if typ == "PLACEHOLDER":
        return v in B15_PLACEHOLDERS and (len(b15_shape_of(v)) == 1 or v == "AKIAI44QH8DHBEXAMPLE")
    return False


def b15_check(i, kind, doc, w, text):
    """Self-check: each span holds its label's value; values pass their checksums and shapes (Luhn and IIN range, mod-97 and
    length per country, SSN rules, libphonenumber, vendor shapes, JWT header decoding, placeholder list); JSON parses and no
    escape precedes a label inside its string (a PEM written with \\n escapes is the whole string)."""
    want = b15_labels(doc)
    assert len(want) == len(w.spans), (i, len(want), len(w.spans))
    for lab_, sp in zip(want, w.spans):
        got = w.buf[sp["start"]:sp["end"]].decode("utf-8")
        assert sp["type"] == lab_.typ and got == lab_.text, (i, sp, got, lab_.text)
        assert b15_value_ok(lab_.typ, lab_.text), (i, lab_.typ, lab_.text)
    if kind == "json":
        json.loads(text)
        starts = sorted(w.strings.values())
        for sp in w.spans:
            base = max(s for s in starts if s <= sp["start"])
            assert b"\\" not in w.buf[base:sp["start"]], (i, sp)
            assert b'"' not in w.buf[sp["start"]:sp["end"]], (i, sp)


if __name__ == "__main__":
    main()
