//! The twenty-fifth round's generic score for GENERIC_SECRET (issue #20, task sec;
//! `detect::evidence_r25s`): the key's words and the value's shape, on `key=value` candidates
//! the text pass turned down. Positives across vocabularies, and the look-alikes that share a
//! secret's words or a token's shape.

use super::evidence_r25s::score;
use super::tests_support::found;
use crate::redact::entity::Entity;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

/// Mixed case and digits, 32 bytes, no vendor prefix.
const TOKEN: &str = "Qm7xT2vR9pL4kW8zN3bY6cF1hJ5sD0gA";

#[test]
fn a_strong_secret_word_and_a_strong_token_score_the_threshold() {
    for key in [
        "webhook_secret",
        "SECRET_KEY",
        "clientSecret",
        "webhook_hmac",
        "signing_key",
        "bearer",
        "sessionid",
        "Geheimnis",
        "chiave_segreta",
        "clave_secreta",
    ] {
        assert_eq!(score(key.as_bytes(), TOKEN.as_bytes()), Some(5), "{key}");
    }
    // A Django secret key: symbols, 50 bytes.
    let django = b"%pcoe^6inyd3+v70^x%%lfj-po%-z=es)i5ou@ipb@sp)52r=*";
    assert_eq!(score(b"SECRET_KEY", django), Some(5));
}

#[test]
fn weak_words_and_short_or_hex_values_stay_below_it() {
    // A weak word (`token`, `key`, `session`, `cookie`, `hmac`, `jeton`, `sleutel`) scores 1:
    // by counting, a quarter or more of their token-shaped values are no secret.
    for key in [
        "token",
        "X-Auth-Token",
        "api_key",
        "apikey",
        "session",
        "Cookie",
        "hmac",
        "jeton",
        "sleutel",
    ] {
        assert_eq!(score(key.as_bytes(), TOKEN.as_bytes()), Some(4), "{key}");
    }
    // `sid` counts for nothing (164 gold, 236 not).
    assert_eq!(score(b"sid", TOKEN.as_bytes()), Some(3));
    // A 16-byte token of low entropy scores 2, hex of 64 digits 1.
    assert_eq!(score(b"secret", b"abcd1234abcd1234"), Some(4));
    assert_eq!(
        score(
            b"webhook_secret",
            b"ff5fb579f37c561b13021d5f633015f39dc7cc655479668494a10158e014519f"
        ),
        Some(3)
    );
}

#[test]
fn a_vendors_prefix_is_the_vendors_rule() {
    for value in [
        "ghp_wWPw5k4aPDAbdfe7XKAsMCbCT9H2dP3mKq7Z",
        "sk_live_51w4dHvEdLDQoouKKM0eBcGByMzT8uJJqIE978Vih0n1GMJ",
        "xoxe.xoxp-1-gnhXVvzuMdV8u27xkZXYpr1pqrzANJlOKCbACcs7n",
        "AKIAHC5GXTNAWRV3KGDJ",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl",
        "glpat-abcdefGHIJKL012345",
    ] {
        assert_eq!(score(b"webhook_secret", value.as_bytes()), None, "{value}");
    }
}

#[test]
fn words_that_name_no_secret_veto_the_key() {
    for key in [
        "secret_id",
        "token_name",
        "tokenHash",
        "secret_version",
        "token_path",
        "token_url",
        "publicKey",
        "next_token",
        "skiptoken",
        "pagination_token",
        "secret_arn",
        "hmacSignature",
        "token_expires",
        "encrypted_token",
        "db_password",
        "wifi_psk",
    ] {
        assert_eq!(score(key.as_bytes(), TOKEN.as_bytes()), None, "{key}");
    }
}

#[test]
fn look_alike_values_veto_the_value() {
    for value in [
        "${WEBHOOK_SECRET}",
        "{{ vault_secret }}",
        "<your-secret-here>",
        "$STRIPE_SECRET",
        "%API_TOKEN%",
        "changeme",
        "xxxxxxxxxxxxxxxxxxxxxxxx",
        "your-api-token",
        "https://vault.example.com/v1/secret",
        "env:OPENAI_API_KEY",
        "secrets.DB_PASSWORD",
        "OPENAI_API_KEY_PROD",
        "hmac-sha256:44948f60ebdcbb31e12f09f26ff4cd2e",
        "ENC[AES256_GCM,data:abc]",
        "pk.CO3TRVQyBoxjtgrXvNcx0B1UxcntJIR4",
        "ops@example.com",
        "/run/secrets/api_token",
        "0f8c3e1a-5b2d-4c6e-9a7f-1d2e3f4a5b6c",
        "2026-12-06T10:00:00",
        "1.24.3",
        "1234567890123",
        "rotate-every-quarter",
    ] {
        assert_eq!(score(b"api_secret", value.as_bytes()), None, "{value}");
    }
}

#[test]
fn a_turned_down_key_value_with_the_score_is_a_secret_in_text() {
    // A Django `SECRET_KEY` opening with `%` (the key=value rule turns a value opening with
    // `%` down as a template).
    let text = "# settings/production.py\nDEBUG = False\nSECRET_KEY = '%pcoe^6inyd3+v70^x%%lfj-po%-z=es)i5ou@ipb@sp)52r=*'\n";
    assert_eq!(
        gs(text),
        vec!["%pcoe^6inyd3+v70^x%%lfj-po%-z=es)i5ou@ipb@sp)52r=*"]
    );
    // Look-alikes under the same names stay plain.
    for text in [
        "SECRET_KEY = '${DJANGO_SECRET_KEY}'\n",
        "SECRET_KEY = '%(secret)s'\n",
        "secret_name: 'arn:aws:secretsmanager:eu-west-1:403111786462:secret:app'\n",
        "token_file = /run/secrets/api_token\n",
        "next_token=Qm7xT2vR9pL4kW8zN3bY6cF1hJ5sD0gA\n",
    ] {
        assert_eq!(gs(text), Vec::<String>::new(), "{text}");
    }
}
