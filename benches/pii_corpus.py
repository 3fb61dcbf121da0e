#!/usr/bin/env python3
"""Labelled PII/secret corpus for benches/pii_accuracy.sh.

Faker across locales, mixed into realistic JSON tool payloads (CRM records, payments, MCP
tool results, HTTP logs, CI/env configs, HR records) and prose (support tickets, emails,
chat), plus realistic look-alikes that must NOT be found (UUIDs, git SHAs, ISO/Unix
timestamps, order numbers, ISBNs, BBANs, MACs, versions, prices, Luhn-failing numbers).

Writes OUT/corpus.jsonl  {"id","kind":"json"|"text","text"}          (what engines see)
       OUT/labels.jsonl  {"id","spans":[{"type","start","end"}],     (UTF-8 byte offsets
                          "strings":{"/json/pointer": byte_offset}}   into "text")
usage: pii_corpus.py OUT_DIR [N_DOCS] [SEED]
"""
import base64, json, os, random, string, sys

from faker import Faker

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]


class L:
    """A labelled piece of text."""
    def __init__(self, typ, text):
        self.typ, self.text = typ, clean(text)


def clean(s):
    s = str(s)
    for bad in ['"', "\\", "\n", "\r", "\t"]:
        s = s.replace(bad, ", " if bad == "\n" else " ")
    return s


def S(*parts):
    """A string made of plain str and L pieces."""
    return [p if isinstance(p, L) else clean(p) for p in parts]


def flat(parts):
    return "".join(p.text if isinstance(p, L) else p for p in parts)


class Writer:
    def __init__(self):
        self.buf = bytearray()
        self.spans = []
        self.strings = {}

    def put(self, s):
        self.buf += s.encode("utf-8")

    def text(self, parts):
        for p in parts:
            if isinstance(p, L):
                start = len(self.buf)
                self.put(p.text)
                if p.typ:
                    self.spans.append({"type": p.typ, "start": start, "end": len(self.buf)})
            else:
                self.put(p)

    def json(self, v, ptr=""):
        if isinstance(v, dict):
            self.put("{")
            for i, (k, x) in enumerate(v.items()):
                if i:
                    self.put(",")
                self.put(json.dumps(k, ensure_ascii=False) + ":")
                self.json(x, ptr + "/" + k.replace("~", "~0").replace("/", "~1"))
            self.put("}")
        elif isinstance(v, list) and (not v or not isinstance(v[0], (str, L))):
            self.put("[")
            for i, x in enumerate(v):
                if i:
                    self.put(",")
                self.json(x, f"{ptr}/{i}")
            self.put("]")
        elif isinstance(v, (list, L, str)):  # a string, possibly labelled
            parts = v if isinstance(v, list) else [v]
            self.put('"')
            self.strings[ptr] = len(self.buf)
            self.text(parts)
            self.put('"')
        else:
            self.put(json.dumps(v))


# ---------- entity values ----------

def card(f, r):
    kind = r.choice(["visa16", "visa16", "visa13", "visa19", "mastercard", "mastercard", "amex",
                     "discover", "diners", "jcb16", "jcb15", "maestro"])
    num = f.credit_card_number(card_type=kind)
    if r.random() < 0.4 and len(num) == 16:
        sep = r.choice([" ", "-"])
        num = sep.join(num[i:i + 4] for i in range(0, 16, 4))
    elif r.random() < 0.3 and len(num) == 15 and num[0] == "3":
        num = f"{num[:4]} {num[4:10]} {num[10:]}"
    return num


def iban(f, r):
    v = f.iban()
    if r.random() < 0.4:
        v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    return v


def email(f, r):
    return r.choice([f.email, f.free_email, f.company_email, f.ascii_company_email, f.ascii_free_email])()


def ip(f, r):
    if r.random() < 0.3:
        return "IPV6", f.ipv6()
    return "IPV4", r.choice([f.ipv4_public, f.ipv4_private, f.ipv4])()


def rnd(r, alphabet, n):
    return "".join(r.choice(alphabet) for _ in range(n))


AN = string.ascii_letters + string.digits


def secret(r):
    kind = r.choice(["AWS_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "OPENAI_KEY",
                     "ANTHROPIC_KEY", "GOOGLE_API_KEY", "JWT"])
    if kind == "AWS_ACCESS_KEY":
        v = "AKIA" + rnd(r, string.ascii_uppercase + "234567", 16)
    elif kind == "GITHUB_TOKEN":
        v = r.choice(["ghp_", "gho_", "ghs_"]) + rnd(r, AN, 36) if r.random() < 0.8 else "github_pat_" + rnd(r, AN, 22) + "_" + rnd(r, AN, 59)
    elif kind == "SLACK_TOKEN":
        v = r.choice(["xoxb-", "xoxp-"]) + rnd(r, string.digits, 12) + "-" + rnd(r, string.digits, 12) + "-" + rnd(r, AN, 24)
    elif kind == "STRIPE_KEY":
        v = r.choice(["sk_live_", "rk_live_", "sk_test_"]) + rnd(r, AN, 24)
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


def pem(r):
    body = "".join(rnd(r, AN + "+/", 64) + " " for _ in range(4))
    return f"-----BEGIN RSA PRIVATE KEY----- {body}-----END RSA PRIVATE KEY-----"


def dob(f, r):
    d = f.date_of_birth(minimum_age=18, maximum_age=90)
    return r.choice([d.isoformat(), d.strftime("%d.%m.%Y"), d.strftime("%m/%d/%Y"), d.strftime("%d/%m/%Y"), d.strftime("%B %-d, %Y")])


# ---------- look-alikes (unlabelled) ----------

def luhn_ok(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        s += v
    return s % 10 == 0


def lookalike(f, r):
    k = r.randrange(14)
    if k == 0: return f.uuid4()
    if k == 1: return f.sha1()
    if k == 2: return f.iso8601() + r.choice(["Z", "+01:00", ".123Z"])
    if k == 3: return str(f.unix_time())[:10]
    if k == 4: return f"ORD-{r.randint(2019, 2026)}-{r.randint(1, 999999):06d}"
    if k == 5: return f.isbn13()
    if k == 6: return f.mac_address()
    if k == 7: return f"v{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}"
    if k == 8: return f"{r.randint(1, 99999)}.{r.randint(0, 99):02d} EUR"
    if k == 9:
        while True:
            d = str(r.choice([4, 5, 3, 6])) + rnd(r, string.digits, 15)
            if not luhn_ok(d): return d
    if k == 10: return f.ean13()
    if k == 11: return f"#{r.randint(100000, 99999999)}"
    if k == 12: return f.date(pattern=r.choice(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"]))
    return f"INV-{r.randint(10000, 99999)}"


# ---------- documents ----------

def prose(f, r):
    name = f.name()
    parts = []
    k = r.randrange(8)
    la = lookalike(f, r)
    if k == 0:
        parts = S(f"Hi support, this is {name}. Ticket {la}: my card ", L("CREDIT_CARD", card(f, r)),
                  " was charged twice. Please email me at ", L("EMAIL", email(f, r)), " or call ", L("PHONE", f.phone_number()), ".")
    elif k == 1:
        parts = S(f"{f.sentence()} Customer {name} (SSN ", L("US_SSN", Faker("en_US").ssn()), ") asked to update the payout IBAN to ",
                  L("IBAN", iban(f, r)), f". Ref {la}.")
    elif k == 2:
        t, v = ip(f, r)
        parts = S(f"Login from ", L(t, v), f" at {f.iso8601()} for user ", L("EMAIL", email(f, r)), f"; session {f.uuid4()}. {f.sentence()}")
    elif k == 3:
        t, v = secret(r)
        parts = S(f"Deploy failed on commit {f.sha1()[:12]}. The CI log printed the key ", L(t, v), f" in plain text. {f.sentence()}")
    elif k == 4:
        parts = S(f"Dear {name}, your order {la} ships to {clean(f.address())}. Questions? Phone: ", L("PHONE", f.phone_number()),
                  ". Date of birth on file: ", L("DATE_OF_BIRTH", dob(f, r)), ".")
    elif k == 5:
        parts = S(f"{f.paragraph(nb_sentences=3)} Order {la} total {r.randint(5, 900)}.{r.randint(0, 99):02d}, tracking {f.ean13()}, released in v{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}.")
    elif k == 6:
        parts = S(f"Forwarding: from {name} <", L("EMAIL", email(f, r)), f">, mobile ", L("PHONE", f.phone_number()),
                  f", card ending {r.randint(1000, 9999)}, card on file ", L("CREDIT_CARD", card(f, r)), f". {f.sentence()}")
    else:
        parts = S(f"Server {f.hostname()} ({la}) at ", L("IPV4", f.ipv4_public()), " and ", L("IPV6", f.ipv6()),
                  f" restarted at {f.time()} UTC, build {f.sha1()}.")
    return parts


def payload(f, r):
    k = r.randrange(6)
    if k == 0:
        return {"tool": "crm.get_customer", "result": {"customer": {
            "id": f.uuid4(), "name": f.name(), "email": L("EMAIL", email(f, r)), "phone": L("PHONE", f.phone_number()),
            "address": clean(f.address()), "date_of_birth": L("DATE_OF_BIRTH", dob(f, r)), "created_at": f.iso8601(),
            "tier": r.choice(["gold", "silver"]), "lifetime_value": r.randint(0, 50000)},
            "notes": prose(f, r)}}
    if k == 1:
        return {"method": "payments.create_charge", "params": {
            "amount": r.randint(100, 99999), "currency": f.currency_code(), "order_id": lookalike(f, r),
            "payment_method": {"card_number": L("CREDIT_CARD", card(f, r)), "exp": f.credit_card_expire()},
            "billing": {"name": f.name(), "email": L("EMAIL", email(f, r)), "iban": L("IBAN", iban(f, r)), "postcode": f.postcode()},
            "idempotency_key": f.uuid4()}}
    if k == 2:
        return {"jsonrpc": "2.0", "id": r.randint(1, 999), "result": {"content": [
            {"type": "text", "text": prose(f, r)}, {"type": "text", "text": S(f"Ticket {lookalike(f, r)} updated {f.iso8601()}.")}],
            "isError": False}}
    if k == 3:
        t, v = ip(f, r)
        st, sv = secret(r)
        return {"ts": f.unix_time(), "request": {"method": r.choice(["GET", "POST"]), "path": f.uri_path(),
                "client_ip": L(t, v), "user_agent": clean(f.user_agent()),
                "headers": {"authorization": S("Bearer ", L(st, sv)), "x-request-id": f.uuid4()}},
                "status": r.choice([200, 201, 403, 500]), "latency_ms": r.randint(1, 900)}
    if k == 4:
        env = {}
        for _ in range(r.randint(1, 3)):
            t, v = secret(r)
            env[t + "_" + str(len(env))] = L(t, v)
        env["DATABASE_PASSWORD"] = L("PASSWORD", f.password(length=r.randint(10, 20)))
        env["LOG_LEVEL"] = "info"
        return {"repo": f.slug(), "commit": f.sha1(), "env": env, "tls_key": L("PRIVATE_KEY", pem(r)),
                "released": f.iso8601()}
    en = Faker("en_US")
    en.seed_instance(r.randint(0, 1 << 30))
    return {"employee": {"employee_id": f"E{r.randint(10000, 99999)}", "name": en.name(), "ssn": L("US_SSN", en.ssn()),
            "dob": L("DATE_OF_BIRTH", dob(en, r)), "work_phone": L("PHONE", en.phone_number()),
            "email": L("EMAIL", email(en, r)), "hired": en.date(), "salary": r.randint(40000, 200000)},
            "audit": {"by": en.user_name(), "at": en.iso8601(), "ip": L("IPV4", en.ipv4())}}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "target/pii"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    os.makedirs(out, exist_ok=True)
    r = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)
    with open(os.path.join(out, "corpus.jsonl"), "w") as c, open(os.path.join(out, "labels.jsonl"), "w") as lab:
        for i in range(n):
            f = fakers[LOCALES[i % len(LOCALES)]]
            w = Writer()
            if r.random() < 0.55:
                kind = "json"
                w.json(payload(f, r))
            else:
                kind = "text"
                w.text(prose(f, r))
            text = w.buf.decode("utf-8")
            c.write(json.dumps({"id": i, "kind": kind, "text": text}, ensure_ascii=False) + "\n")
            lab.write(json.dumps({"id": i, "spans": w.spans, "strings": w.strings}) + "\n")


if __name__ == "__main__":
    main()
