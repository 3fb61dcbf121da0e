//! More vendors' documented token prefixes wherever they stand (thirty-ninth round, issue
//! #20, task vp2; docs/redaction-accuracy.md, "Thirty-ninth round, task vp2"; every place
//! counted on every training split by `benches/vp_r39_population.py`).
//!
//! The thirty-eighth round's rule (`evidence_r38v`, `Kind::VendorPrefix`) takes seven more
//! prefixes into its table, each documented by its vendor (the standard clause): Postman's
//! API keys `PMAK-<24 hex>-<34 hex>`, Supabase's personal access tokens `sbp_<40 hex>`,
//! PlanetScale's passwords and tokens `pscale_pw_`, `pscale_tkn_`, `pscale_oauth_` (reached
//! through the trigger `pscale_`), Netlify's personal access tokens `nfp_`, Render's API keys
//! `rnd_`, Fly.io's tokens `fo1_`, and the `SECRET_KEY` `django-admin startproject` writes
//! into `settings.py`: `django-insecure-` and 50 bytes drawn by
//! `django.core.management.utils.get_random_secret_key` from `a`–`z`, `0`–`9` and
//! `!@#$%^&*(-_=+)` (`django_key_end`, here: that alphabet is not the other vendors').
//! Each is a trigger literal of the second tier, pinned in the prose searcher's bucket plan
//! (`buckets::PROSE_AND_SECOND_TIER`) by the thirty-eighth round's model of the candidates.
//!
//! Population (`vp_r39_population.py m24`, training splits through blind38): `PMAK-` 14,
//! `sbp_` 11, `pscale_pw_` 31, `nfp_` 12, `rnd_` 16, `fo1_` 4, `django-insecure-` 52 places
//! after a boundary with a body of the least length, every one gold GENERIC_SECRET, none not
//! gold (`rnd_` inside a longer word: 4, e-mail addresses, no place); main (`m24`) missed 19.
//! Dropbox's `sl.` and SendGrid's `SG.` (three bytes: a second-tier literal shortens both
//! searchers' fingerprints) are not taken here.

/// Django's generated key's prefix (`django-admin startproject`, Django 3.2 and later).
pub(super) const DJANGO: &str = "django-insecure-";

/// The length of `get_random_secret_key`'s key.
const DJANGO_BODY: usize = 50;

/// The end of a Django key whose body starts at `bs`: 50 bytes of Django's alphabet, no
/// lower-case letter or digit after them (a longer word is no key).
pub(super) fn django_key_end(hay: &[u8], bs: usize) -> Option<usize> {
    let body = hay.get(bs..)?;
    let is_key_byte =
        |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!@#$%^&*(-_=+)".contains(b);
    let n = body
        .iter()
        .take(DJANGO_BODY)
        .take_while(|b| is_key_byte(b))
        .count();
    if n < DJANGO_BODY {
        return None;
    }
    let next = body.get(DJANGO_BODY);
    (!next.is_some_and(|b| b.is_ascii_alphanumeric())).then_some(bs + DJANGO_BODY)
}
