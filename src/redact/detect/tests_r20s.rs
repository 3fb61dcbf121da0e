//! The twentieth round's passwords spelt in leet (issue #20, task sec): a word whose vowels
//! are digits (`G3w1tt3r19`, `m0nk3y#30`) is a password wherever it stands (`pw_shape`'s
//! `leet_password`), and the look-alikes that share letters and digits — hashes, random
//! lower-case ids, versions, SKUs — stay unfound.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_leet_word_is_a_password_without_a_password_word() {
    assert_eq!(
        pw("Test account for repro: G3w1tt3r19 (staging)"),
        vec!["G3w1tt3r19"]
    );
    assert_eq!(
        pw("the PDF is protected with P4pr1k477\n"),
        vec!["P4pr1k477"]
    );
    assert_eq!(pw("login admin / m0nk3y#30"), vec!["m0nk3y#30"]);
    assert_eq!(pw("| app:db | A1c4ch0f4#1 | openai |"), vec!["A1c4ch0f4#1"]);
    assert_eq!(pw("neuer Code T0rn4d02024 ok"), vec!["T0rn4d02024"]);
    assert_eq!(pw("hier M4r1qu1t4_\n"), vec!["M4r1qu1t4_"]);
    // A sentence's full stop is no part of it.
    assert_eq!(pw("use Okt0b3rf3st42."), vec!["Okt0b3rf3st42"]);
}

#[test]
fn a_leet_word_in_json_is_found() {
    let body = r#"{"note":"repro account","value":"R3g3nb00g99"}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/value".to_string())]
    );
}

#[test]
fn look_alikes_of_leet_stay_unfound() {
    for text in [
        // Random lower-case ids: four consonants in a row read back, or no tail.
        "session kxza0kyj7j3a ok",
        "id ehrc1qf0lac0 ok",
        "ref mu0p0y ok",
        "ref nc1ksn1uh70w ok",
        // Hex (no letter past `f`), a digit that stands for no vowel, one leet digit.
        "commit 4e3a1b0c9d ok",
        "sha a1b2c3d4e5f6 ok",
        "build r2d2c3po99 ok",
        "season Winter2025 ok",
        "host web01 ok",
        // Capitals inside (a base64 or random key), too long, glued to a word.
        "label G3W1tt3r19 ok",
        "key s0m3th1ngv3ryl0ngl4b3l99 ok",
        "path foo_m0nk3y12 ok",
        "name=l0nd0n-office",
        "server c0pp3r ok",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}
