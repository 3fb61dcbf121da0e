//! The twenty-fourth round's passwords by generic structure (issue #20, task pw;
//! `detect::evidence_r24p`): a key naming a password's hash holds no password, and a
//! configuration line's key ending in `pass` names its value. Each with the look-alikes that
//! share its words or its shape.

use super::evidence_r24p::password_hash_name;
use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

const HASH88: &str =
    "8udHpenPjxRNU9uLBpKtsi0f4MCW+yJVomE6sS/+a02SJNIAcOOOj3PkqRjWzz/ThvaSRiOEp3b39xtbQWIHCg==";

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_password_hash_name_is_no_password() {
    for k in [
        "password_hash",
        "hash_password",
        "pwd_hash",
        "password_digest",
        "passwd_hashed",
        "user_password_hash",
    ] {
        assert!(password_hash_name(k), "{k}");
    }
    for k in [
        "password",
        "db_password",
        "passwordsalt",
        "password_salt",
        "hash",
        "content_hash",
        "password_history",
        "hashtag_password",
    ] {
        assert!(!password_hash_name(k), "{k}");
    }
}

#[test]
fn a_value_under_a_password_hash_key_is_no_password() {
    for key in ["passwordHash", "password_hash", "PasswordDigest", "pwdHash"] {
        let body = format!(
            r#"{{"users":[{{"localId":"a1","email":"x@y.example","{key}":"{HASH88}","salt":"11SYhQ=="}}]}}"#
        );
        let got = json_findings_checked(&body);
        assert!(
            !got.iter()
                .any(|(t, p)| *t == "PASSWORD" && p.ends_with(key)),
            "{key}: {got:?}"
        );
    }
    // The password itself beside it is still one; so is a compound password key.
    let body = format!(r#"{{"passwordHash":"{HASH88}","password":"Kanarie8102?"}}"#);
    assert_eq!(
        json_findings_checked(&body),
        vec![("PASSWORD", "/password".to_string())]
    );
    let body = r#"{"adminPassword":"Kanarie8102?","hashedPasswordPolicy":"bcrypt"}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/adminPassword".to_string())]
    );
}

#[test]
fn a_config_key_ending_in_pass_names_its_value() {
    for (text, value) in [
        (
            "[sendemail]\n\tsmtpserver = 87.12.59.115\n\tsmtpuser = rita@example.com\n\tsmtppass = tundraquartz5\n[credential]\n",
            "tundraquartz5",
        ),
        (
            "    authentication {\n        auth_type PASS\n        auth_pass 2jjun9uz\n    }\n",
            "2jjun9uz",
        ),
        ("mailpass: \"w@lnut955\"\n", "w@lnut955"),
        ("SMTP_PASS=2l974+HNqtr!42\n", "2l974+HNqtr!42"),
        ("default_pass = quokka_2026!\r\n", "quokka_2026!"),
    ] {
        for t in both(text) {
            assert_eq!(pw(&t), vec![value.to_string()], "{t}");
        }
    }
}

#[test]
fn a_pass_key_look_alike_is_no_password() {
    for text in [
        // A word, a setting or a number, not a password's shape.
        "Spielerpass 34026731\n",
        "        proxy_pass https://upstream/;\n",
        "bypass = 10.0.0.0/8\n",
        "compass North-East2\n",
        "smtppass = ${SMTP_PASSWORD}\n",
        "smtppass = changeme\n",
        // Not at a line's start, or not the line's last token.
        "the auth_pass 2jjun9uz goes here\n",
        "auth_pass 2jjun9uz trailing words\n",
        "x; smtppass abc123def\n",
        // `pass` alone before a blank is prose.
        "pass 3 of 5 done\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t}: {:?}", pw(&t));
        }
    }
}
