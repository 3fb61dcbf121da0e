//! The sixteenth round's JSON rules for passwords and secrets (issue #20, part C), tuned on
//! every split's misses at once: a secret's name with an ordinal or a qualifier after it;
//! each with the look-alikes it must leave alone.

use super::tests_support::json_findings_checked as json_findings;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_secret_name_with_an_ordinal_is_the_secret() {
    // A second HMAC secret beside the first; numbered passwords and keys, any case.
    let body = r#"{"arguments":{"variables":{"hmac_secret":"5LT6-O20O-12c99d55dee59fc54ec6258e","hmac_secret_2":"b0TAmtV2~DasoEk9DuSRuBc6OFvbVPjTcT.HE0u8I"}}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/arguments/variables/hmac_secret"),
            s("GENERIC_SECRET", "/arguments/variables/hmac_secret_2"),
        ]
    );
    let body = r#"{"password1":"Lavande8050*","Password2":"Lavande8050*","apiKey2":"Qx7Lm2Rt9Vb4Nc8Ws1Pz","client_secret_10":"Zr8Kp3Lq9Wt2Vn5x"}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/apiKey2"),
            s("GENERIC_SECRET", "/client_secret_10"),
            s("PASSWORD", "/Password2"),
            s("PASSWORD", "/password1"),
        ]
    );
}

#[test]
fn numbered_keys_of_no_secret_stay_unfound() {
    // Address lines, IP versions, hash names, custom fields, a card's last four, a boarding
    // pass's number, a numbered setting about passwords, a bare number.
    for body in [
        r#"{"address_line_1":"12 Rue de la Paix","address1":"Flat 4","line2":"Unit 9"}"#,
        r#"{"ipv4_count":"4","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","x_hub_signature_256":"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}"#,
        r#"{"customfield_10045":"Tier 2","card_last4":"4242","boarding_pass_2":"GA12345","password_min_length_2":"12","1":"x"}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn a_locales_password_name_of_several_words_takes_a_qualifier() {
    // French and Spanish names of several words with the account after them.
    let body = r#"{"data":{"username":"mdiallo56@tele2.fr","mot_de_passe_admin":"Noisette2014%","claveDeAcceso_bd":"Castello1998+","motdepasse_wifi":"baguette-fromage-42"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("EMAIL", "/data/username"),
            s("PASSWORD", "/data/claveDeAcceso_bd"),
            s("PASSWORD", "/data/mot_de_passe_admin"),
            s("PASSWORD", "/data/motdepasse_wifi"),
        ]
    );
    // A setting about the password after the name stays none; `clave` alone before a word is
    // no password name (`clave_producto`, a product key's label).
    for body in [
        r#"{"mot_de_passe_longueur_min":"12","mot_de_passe_policy":"forte","clave_acceso_reset":"2026-01-01"}"#,
        r#"{"clave_producto":"Modelo X","parola_chiave_hint":"il nome del cane","mot_cle":"facture"}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn a_key_named_by_its_role_holds_a_secret_of_a_secrets_shape() {
    // A key rotation's webhook: the new key, base64, hex, or with a word before it.
    for (value, found) in [
        ("sbhRe1r9ppaiG6SDgkCjwIYqeuiVwMKcCuIZuAbk", true),
        ("BPFXRp+Y557JB+YckCH7X7OqHV/PbLor9su+8O/l", true),
        (
            "c73642f63e43fe86f892fc7b9a1d6bb8bf532225fc5c92b5a5c13ff7f230f65d",
            true,
        ),
        ("api-Ex2PJ3tQtKDhwJkb2jh9om0aRKBf5lqX", true),
        // Too short, one class of letters, words, a variable, a mask, a placeholder.
        ("Xy7Kq2Lm", false),
        ("managed-by-cert-manager", false),
        ("rotated on 2026-01-05 by ops", false),
        ("${NEW_SIGNING_KEY}", false),
        ("********", false),
        ("your_new_key_here_123456", false),
    ] {
        let body = format!(
            r#"{{"event":"key.rotated","data":{{"object":{{"ip":"172.19.247.3","new_key":"{value}"}}}}}}"#
        );
        let want = if found {
            vec![
                s("GENERIC_SECRET", "/data/object/new_key"),
                s("IPV4", "/data/object/ip"),
            ]
        } else {
            vec![s("IPV4", "/data/object/ip")]
        };
        assert_eq!(json_findings(&body), want, "{body}");
    }
    // Azure's storage keys and API Management's subscription key (camelCase), an old key.
    let body = r#"{"keys":{"primaryKey":"MydjCMhRWzsrLdbBUvHV20dKG3RfJo76WoDq1iQR0M3kM8/cYyFom53ZT8QtprN+yqxPtHUcGfKHFrKjuxZwng==","secondaryKey":"x51gijXTIDHQKFVaQFbyKcOCZZQE+eUzn+CNt/yf"},"subscription_key":"b0e1e0f65b70f56ac51edb346f2e5557","old_key":"4pEfjxJYSi6C+QCet6liPgfuvVIMx3/6"}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/keys/primaryKey"),
            s("GENERIC_SECRET", "/keys/secondaryKey"),
            s("GENERIC_SECRET", "/old_key"),
            s("GENERIC_SECRET", "/subscription_key"),
        ]
    );
    // A vendor's key under it is reported as what it is.
    let body = r#"{"new_key":"ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"}"#;
    assert_eq!(json_findings(body), vec![s("GITHUB_TOKEN", "/new_key")]);
}

#[test]
fn keys_that_are_ids_paths_or_cursors_stay_unfound() {
    // An idempotency key, an issue key, an object's path, a paging cursor, a partition key,
    // a public key, a table's primary key column, a bare `key`, a role word as a key's value.
    for body in [
        r#"{"idempotency_key":"0831eeac-b56c-46bd-a960-2de79701c5aa","issue_key":"ITSD-99439"}"#,
        r#"{"object_key":"uploads/2026/05/Qx7Lm2Rt9Vb4Nc8Ws1Pz.pdf","pagination":{"next_key":"FPRkaXNjb3Vyc2UvMTIzNDU2Nzg5","total":"120"}}"#,
        r#"{"partition_key":"tenant7Qx9Lm2Rt4Vb8Nc","public_key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4bq"}"#,
        r#"{"primary_key":"id","key":"Qx7Lm2Rt9Vb4Nc8Ws1Pz","name":"new_key"}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn a_form_responses_token_is_its_id() {
    // Typeform's webhook: the response's token beside the form's id and the answers.
    let body = r#"{"event_id":"FWTVZ7T4LFGAKZ5BU2V3ZR9N9L","event_type":"form_response","form_response":{"form_id":"4iAJKPus","token":"jkvppfofex9fbv5zz2z38x5nrgti699p","submitted_at":"2026-01-16T05:43:19Z","answers":[{"type":"email","email":"segreteria@quantum-ledger.io","field":{"ref":"email"}}]}}"#;
    assert_eq!(
        json_findings(body),
        vec![s("EMAIL", "/form_response/answers/0/email")]
    );
}

#[test]
fn other_tokens_beside_a_form_response_stay_found() {
    // A credential under the response, a token deeper in it, a top-level token, a token
    // under another parent.
    let body = r#"{"form_response":{"token":"a1b2c3d4e5","access_token":"Qx7Lm2Rt9Vb4Nc8Ws1Pz","hidden":{"token":"Zr8Kp3Lq9Wt2Vn5x"}},"token":"ebqbpvt","response":{"token":"jkvppfofex9fbv5z"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/form_response/access_token"),
            s("GENERIC_SECRET", "/form_response/hidden/token"),
            s("GENERIC_SECRET", "/response/token"),
            s("GENERIC_SECRET", "/token"),
        ]
    );
}
