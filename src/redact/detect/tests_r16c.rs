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
