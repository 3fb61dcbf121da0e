//! Vendors' documented token prefixes wherever they stand (thirty-eighth round, issue #20,
//! task vp; docs/redaction-accuracy.md, "Thirty-eighth round, task vp"; every place counted
//! on every training split by `benches/vp_r38_population.py`).
//!
//! * **The prefixes `check::vendor_token` knew only after a key** (GitLab's `glpat-`,
//!   `gldt-`, `glrt-`; Grafana's `glc_`, `glsa_`; npm's `npm_`; PyPI's `pypi-`; Hugging
//!   Face's `hf_`; DigitalOcean's `dop_v1_`; Shopify's `shpat_`; Linear's `lin_api_`;
//!   Notion's `ntn_`), **Stripe's and Svix's webhook signing secrets `whsec_`** (Stripe: an
//!   alphanumeric body; Svix: base64, `+`, `/`, `=`) and **Google's OAuth 2.0 access tokens
//!   `ya29.`** (what `gcloud auth print-access-token` prints): each vendor documents the
//!   prefix, so the standard clause takes them. `check::vendor_token` was asked only after a
//!   key, a flag or a password's name; in free text, comments, code constants
//!   (`webhookSign = "whsec_…"`), a command's output on a line of its own and under keys that
//!   name no secret (`"webhook_example": "hf_XXXX…"`, `"accessCode": "glpat-…"`) nothing
//!   stopped the scanner there. Now they are trigger literals (lower case only, as the
//!   vendors issue them): `hf_` in the first Teddy searcher (three bytes, as its fingerprint;
//!   alone in a bucket; `s_secret_access_key ` gave it its place, as that searcher takes 127
//!   literals at most), the rest in the second tier (`patterns::more_triggers`), pinned in the
//!   prose searcher's bucket plan (`buckets::PROSE_AND_SECOND_TIER`) where the bench payloads
//!   fit no bucket more often. `count.sh` against main: every case within ±0.5 %.
//! * **A place**: the prefix with no letter, digit, `_` or `-` before it (`conf_hf_…`, a
//!   JWT's or another key's body holding `hf_` is none: 11 places on the training splits,
//!   all gold of another type), then a body of the vendor's alphabet (letters, digits, `_`,
//!   `-`; `whsec_` also `+`, `/`, `=`; `ya29.` also `.`, a final `.` left to the sentence)
//!   of 16 bytes or more (`ya29.` 20), no letter or digit after it. A body the existing
//!   placeholder test reads as a stand-in (`validate::secret_placeholder`: `XXXX…`,
//!   `EXAMPLE`, `0000…`, `your…`) is a GENERIC_SECRET placeholder; any other body is a
//!   GENERIC_SECRET when it holds two of lower case, upper case and digits and its entropy
//!   is above 3 bits a byte (a random token's), else nothing.
//! * **Population** (`vp_r38_population.py m21`, training splits through blind37): 1,173
//!   places after a boundary with a body of the least length, every one gold (GENERIC_SECRET
//!   1,042 — `whsec_` 346, `hf_` 134, `npm_` 132, `glpat-` 119, … — and PLACEHOLDER 131: the
//!   stand-ins of `glpat-` 39, `hf_` 45, `npm_` 13, `whsec_` 34, on blind24, blind35, blind36
//!   and blind37); the 9 not gold (`pypi-token.pypi`, a short `npm_…`) have too short a body.
//!   `m21` missed 232 of them (GENERIC_SECRET 124, PLACEHOLDER 108); this rule finds all but
//!   one (a Notion token read as a placeholder by its `YOUR`).
//! * **OpenRouter's keys `sk-or-v1-…`** (OpenRouter's API keys page and quick-start give the
//!   prefix): the OpenAI rule's `sk-` found them and typed them OPENAI_KEY; OpenRouter is
//!   not OpenAI. Now a GENERIC_SECRET (`openrouter_key`, read where LiteLLM's and Langfuse's
//!   `sk-` keys are: blind37, 16 places, all gold GENERIC_SECRET).

use super::super::entity::Entity;
use super::super::validate as v;
use super::check::Outcome;
use super::Hit;

/// The prefixes: `hf_` and `MORE_PREFIXES` (the thirty-ninth round's, `evidence_r39v`, from
/// `"PMAK-"` on; PlanetScale's three reached through the trigger `pscale_`), and the
/// fortieth round's SendGrid `SG.` and Dropbox `sl.` (`evidence_r40s`; first-tier triggers).
const PREFIXES: [&str; 25] = [
    "glpat-",
    "gldt-",
    "glrt-",
    "glc_",
    "glsa_",
    "npm_",
    "pypi-",
    "hf_",
    "dop_v1_",
    "shpat_",
    "lin_api_",
    "ntn_",
    "whsec_",
    "ya29.",
    "PMAK-",
    "sbp_",
    "pscale_pw_",
    "pscale_tkn_",
    "pscale_oauth_",
    "nfp_",
    "rnd_",
    "fo1_",
    super::evidence_r39v::DJANGO,
    super::evidence_r40s::SENDGRID,
    super::evidence_r40s::DROPBOX,
];

/// The prefixes of four bytes or more, the second trigger tier's literals
/// (`patterns::more_triggers`): a three-byte literal there shortens both of its searchers'
/// fingerprints to three bytes (callgrind: 64 KB of clean text +74 %); `hf_` is the first
/// tier's (`patterns::triggers`), whose fingerprint is three bytes long already.
pub(super) const MORE_PREFIXES: [&str; 21] = [
    "glpat-",
    "gldt-",
    "glrt-",
    "glc_",
    "glsa_",
    "npm_",
    "pypi-",
    "dop_v1_",
    "shpat_",
    "lin_api_",
    "ntn_",
    "whsec_",
    "ya29.",
    // The thirty-ninth round's (`evidence_r39v`).
    "PMAK-",
    "sbp_",
    "pscale_",
    "nfp_",
    "rnd_",
    "fo1_",
    super::evidence_r39v::DJANGO,
    // Azure CLI's printed secret after `-o tsv` (`evidence_r40s::az_tsv_value`; no prefix).
    super::evidence_r40s::AZ_TSV,
];

/// The longest body read (a `ya29.` token holds ~200 bytes; a longer run is no token).
const MAX_BODY: usize = 2048;

/// The end of a vendor's token at `p` (the trigger's position), when a prefix of `PREFIXES`
/// stands there in its own case after a boundary and a body of the vendor's alphabet of the
/// least length follows, no letter or digit after it.
pub(super) fn vendor_prefix_end(hay: &[u8], p: usize) -> Option<usize> {
    // Azure CLI's printed secret on the line after the trigger (`evidence_r40s`).
    if hay.get(p) == Some(&b' ') {
        return super::evidence_r40s::az_tsv_value(hay, p).map(|(_, e)| e);
    }
    let rest = hay.get(p..)?;
    let prefix = PREFIXES.iter().find(|x| rest.starts_with(x.as_bytes()))?;
    if p > 0 && hay.get(p - 1).is_some_and(|&b| v::is_word(b) || b == b'-') {
        return None;
    }
    if *prefix == super::evidence_r39v::DJANGO {
        return super::evidence_r39v::django_key_end(hay, p + prefix.len());
    }
    // SendGrid's and Dropbox's shapes (`evidence_r40s`): no `.` before either.
    if *prefix == super::evidence_r40s::SENDGRID || *prefix == super::evidence_r40s::DROPBOX {
        if !super::evidence_r40s::starts_token(hay, p) {
            return None;
        }
        return if *prefix == super::evidence_r40s::SENDGRID {
            super::evidence_r40s::sendgrid_key_end(hay, p + prefix.len())
        } else {
            super::evidence_r40s::dropbox_token_end(hay, p + prefix.len())
        };
    }
    let (extra, least): (&[u8], usize) = match *prefix {
        "whsec_" => (b"+/=", 16),
        "ya29." => (b".", 20),
        _ => (b"", 16),
    };
    let bs = p + prefix.len();
    let body = hay.get(bs..)?;
    let mut n = body
        .iter()
        .take(MAX_BODY + 1)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || extra.contains(&b))
        .count();
    if n > MAX_BODY {
        return None;
    }
    // A sentence's full stop after a `ya29.` token is not the token's.
    while n > 0 && *prefix == "ya29." && body.get(n - 1) == Some(&b'.') {
        n -= 1;
    }
    (n >= least && !body.get(n).is_some_and(u8::is_ascii_alphanumeric)).then_some(bs + n)
}

/// The hit of the token `hay[s..e]` (`vendor_prefix_end`'s span): a placeholder when its
/// body is a stand-in, a GENERIC_SECRET when it reads as random, else nothing.
pub(super) fn vendor_prefix(hay: &[u8], s: usize, e: usize) -> Outcome {
    // Azure CLI's printed secret: the value's span, on the line after the trigger.
    if hay.get(s) == Some(&b' ') {
        return match super::evidence_r40s::az_tsv_value(hay, s) {
            Some((vs, ve)) if ve == e => Outcome::Hit(Hit::new(Entity::GenericSecret, vs, ve)),
            _ => Outcome::Reject,
        };
    }
    let Some(text) = hay.get(s..e) else {
        return Outcome::Reject;
    };
    let Some(prefix) = PREFIXES.iter().find(|x| text.starts_with(x.as_bytes())) else {
        return Outcome::Reject;
    };
    let body = &text[prefix.len()..];
    let mut h = Hit::new(Entity::GenericSecret, s, e);
    if v::secret_placeholder(text) {
        h.placeholder = true;
        return Outcome::Hit(h);
    }
    let classes = [
        body.iter().any(u8::is_ascii_lowercase),
        body.iter().any(u8::is_ascii_uppercase),
        body.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    if classes >= 2 && v::shannon_entropy(body) > 3.0 {
        Outcome::Hit(h)
    } else {
        Outcome::Reject
    }
}

/// An OpenRouter API key (`sk-or-v1-…`; `body` is what follows `sk-`): a GENERIC_SECRET,
/// not OpenAI's.
pub(super) fn openrouter_key(body: &[u8]) -> bool {
    body.starts_with(b"or-v1-")
}
