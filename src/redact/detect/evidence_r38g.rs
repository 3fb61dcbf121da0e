//! GENERIC_SECRET rules of the thirty-eighth round (issue #20, task gs; docs/redaction-accuracy.md,
//! "Thirty-eighth round, task gs"; every construction counted on every training split by
//! `benches/gs_r38_population.py`), each a documented format, reached where the scanner
//! already stops (no trigger literal added).
//!
//! * **Composer's `bearer` credentials** (getcomposer.org, "Authentication for privately
//!   hosted packages and repositories": `auth.json` holds `"bearer": {"repo.example.org":
//!   "<token>"}`, a bearer token per host; `composer config bearer.HOST TOKEN` writes it):
//!   a key `bearer` is a section of tokens by host (`json::KeyClass::HostSection`,
//!   `host_section_key`), and a member of it named like a host (`section_host`: a dotted
//!   name) is that host's token, a GENERIC_SECRET. Its other members keep their own classes
//!   (OpenAPI's `"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}`,
//!   Postman's `"bearer": [{"key": "token", "value": …}]`). 42 places on two writers'
//!   splits (blind20 19 in a text body, blind37 23 in JSON), all gold, all missed by `m21`;
//!   34 OpenAPI `bearer` schemes (blind33) and 15 Postman `bearer` lists (blind20) have no
//!   dotted member. The test is looser than `json::keys::host_name` (which the generic
//!   host-under-a-secret rule keeps): blind37 writes its hosts `packages.⟨domain⟩`; any
//!   member of Composer's section is a host, and what matters is the dot.
//! * **A consumer key is the client's identifier** (RFC 5849 §3.1: `oauth_consumer_key`,
//!   "the identifier portion of the client credentials", sent in the clear with every
//!   request; RFC 6749 §2.2: "the client identifier is not a secret"; Salesforce's connected
//!   app "consumer key" is OAuth's `client_id`): `consumer` joins the words naming a key that
//!   is no secret (`json::keys::NOT_SECRET_KEY_WORDS`) and leaves the key roles
//!   (`KEY_ROLES`). 65 `consumerKey` places (blind37), none gold; 1,313 `client_id` places on
//!   22 splits, none gold. `consumerSecret` / `consumer_secret` stay secrets.
//! * **Laravel's `APP_KEY=base64:…` of any length** (`evidence_r34g::laravel_key`): the
//!   value after `base64:` is the key, base64-encoded; `key:generate` writes 32 bytes, but
//!   every `APP_KEY=base64:` value of the training splits is gold (61 places, four writers:
//!   blind25, blind33, blind35, blind37), blind37's 7 of 48 bytes (64 characters, no
//!   padding) included. Held to base64's form: 16 characters or more, a multiple of four
//!   with its padding, at most two `=`.

/// Whether a JSON key (its `normalize_key` form) names Composer's section of bearer tokens by
/// host (`bearer`).
#[inline]
pub(crate) fn host_section_key(norm: &str) -> bool {
    norm == "bearer"
}

/// Whether a member key of such a section names a host: a dot with a byte before it, a last
/// label of two bytes or more that is not all digits (no version, `v1.2`), no blank,
/// control byte, quote or `/`, at most 253 bytes (`packages.example.org`,
/// `repo.packagist.com`, blind37's `packages.⟨domain⟩`).
pub(crate) fn section_host(key: &str) -> bool {
    let b = key.as_bytes();
    let Some(dot) = memchr::memrchr(b'.', b) else {
        return false;
    };
    let last = &b[dot + 1..];
    b.len() <= 253
        && b.first().is_some_and(|&c| c != b'.')
        && last.len() >= 2
        && !last.iter().all(u8::is_ascii_digit)
        && !b.iter().any(|&c| c <= b' ' || c == b'"' || c == b'/')
}
