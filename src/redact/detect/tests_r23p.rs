//! The twenty-third round's passwords by evidence a writer cannot vary (issue #20, task pw;
//! `detect::evidence_r23p`): a hex token under a password's name is a GENERIC_SECRET, a
//! ticket reference after an e-mail is no password, a JSON field record's `label` /
//! `purpose` names its `value`. Each with the look-alikes that share its words or its shape.

use super::evidence_r23p::{hex_token, label_names_pair, reference_id};
use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

const HEX64: &str = "85775fd4c82dfa3a8d94bf88ca256ecd0e59b8b395561d20e9bf617b112d2e48";

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

#[test]
fn a_hex_token_has_no_chosen_password_shape() {
    assert!(hex_token(HEX64.as_bytes()));
    assert!(hex_token(b"6AFDBC54D7E331DA5235126628B31BF8"));
    assert!(hex_token(b"6afdbc54d7e331da5235126628b31bf8"));
    // Too short, mixed case, not hex, or no letter / no digit: not the shape.
    for v in [
        "6afdbc54d7e331da5235126628b31bf",
        "6afdbc54d7e331da5235126628B31BF8",
        "6afdbc54d7e331da5235126628b31bg8",
        "12345678901234567890123456789012",
        "abcdefabcdefabcdefabcdefabcdefab",
        "Kanarie8102?",
    ] {
        assert!(!hex_token(v.as_bytes()), "{v}");
    }
}

#[test]
fn a_hex_token_under_a_password_name_is_a_secret() {
    for text in [
        format!("{{\n  \"username\": \"token\",\n  \"password\": \"{HEX64}\"\n}}\n"),
        format!("machine uploads.heroku.com login jo@example.org password {HEX64}\n"),
        format!("DB_PASSWORD={HEX64}\n"),
    ] {
        assert!(pw(&text).is_empty(), "{text}");
        assert_eq!(gs(&text), vec![HEX64.to_string()], "{text}");
    }
    let body = format!(
        r#"{{"http-basic":{{"repo.packagist.com":{{"username":"token","password":"{HEX64}"}}}}}}"#
    );
    assert_eq!(
        json_findings_checked(&body),
        vec![(
            "GENERIC_SECRET",
            "/http-basic/repo.packagist.com/password".to_string()
        )]
    );
    // A chosen password under the same names stays a password.
    for text in [
        "DB_PASSWORD=Kanarie8102?\n",
        "machine example.org login jo password Hafenkran_Paella86\n",
    ] {
        assert!(!pw(text).is_empty(), "{text}");
        assert!(gs(text).is_empty(), "{text}");
    }
    // (beside another user: a user named `token` makes any password a token, `evidence_r23s`)
    let body = r#"{"username":"deploy","password":"Kanarie8102?"}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/password".to_string())]
    );
}

#[test]
fn a_ticket_reference_has_no_password_shape() {
    for v in ["INC2020145", "OPS-1087", "CS-2025-69697", "JIRA-42"] {
        assert!(reference_id(v.as_bytes()), "{v}");
    }
    for v in [
        "INC",
        "I2020145",
        "INCIDENT2020145",
        "OPS-1",
        "OPS-1087a",
        "AB12CD34",
        "Ops-1087",
        "OPS-1087!",
        "OPS--1087",
    ] {
        assert!(!reference_id(v.as_bytes()), "{v}");
    }
}

#[test]
fn a_ticket_reference_after_an_email_is_no_password() {
    for text in [
        "; contact: rhodes.r@kappa-dental.it / INC2020145\n",
        "; contact: rhodes.r@kappa-dental.it / OPS-1087\n",
        "; contact: rhodes.r@kappa-dental.it / CS-2025-69697\n",
    ] {
        assert!(pw(text).is_empty(), "{text}");
    }
    // A password after the e-mail, as before.
    for text in [
        "login: rhodes.r@kappa-dental.it / Kanarie8102?\n",
        "login: rhodes.r@kappa-dental.it / ygaYoGHHld\n",
    ] {
        assert!(!pw(text).is_empty(), "{text}");
    }
}

#[test]
fn a_field_record_label_names_its_value() {
    assert!(label_names_pair("label") && label_names_pair("Purpose"));
    assert!(!label_names_pair("labels") && !label_names_pair("title"));
    // 1Password's item fields (`op item get --format json`).
    let body = r#"{"id":"4x","title":"Prod DB","category":"LOGIN","fields":[{"id":"username","type":"STRING","purpose":"USERNAME","label":"username","value":"dbadmin"},{"id":"password","type":"CONCEALED","purpose":"PASSWORD","label":"password","value":"pepper-glacier-45"}]}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/fields/1/value".to_string())]
    );
    // The label alone names it.
    let body = r#"{"fields":[{"label":"password","value":"REsyhsp050!"},{"label":"notes","value":"rotate quarterly"}]}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/fields/0/value".to_string())]
    );
    // Labels naming no secret leave their values alone.
    let body = r#"{"fields":[{"label":"username","value":"dbadmin"},{"purpose":"NOTES","value":"rotate quarterly"},{"label":"website","value":"portal-prod-2"}]}"#;
    assert_eq!(json_findings_checked(body), vec![]);
}

#[test]
fn net_use_password_after_the_user_switch() {
    for (text, want) in [
        (
            r"C:\Users\nmiller> net use Z: \\fs01\finance /user:HQ\nmiller l@nt3rn87$ /persistent:yes",
            "l@nt3rn87$",
        ),
        (
            r"C:\> NET USE Z: \\fs01\finance /USER:ACME\amay NRyhpcp061^",
            "NRyhpcp061^",
        ),
        (
            r"C:\> net use \\fs01\ipc$ /user:kbinner papillon-soleil-91 /persistent:no",
            "papillon-soleil-91",
        ),
    ] {
        assert_eq!(pw(text), vec![want.to_string()], "{text}");
    }
    // A switch or `*` (a prompt) after the user, no `net use` on the line, or no argument.
    for text in [
        r"C:\> net use Z: \\fs01\finance /user:HQ\nmiller /persistent:yes",
        r"C:\> net use Z: \\fs01\finance /user:HQ\nmiller *",
        r"C:\> net use Z: \\fs01\finance /user:HQ\nmiller",
        r"C:\> runas /user:HQ\nmiller cmd.exe",
        "net use was discussed\nthen /user:HQ\\nmiller Sunflower",
    ] {
        assert!(pw(text).is_empty(), "{text}");
    }
}

#[test]
fn a_service_principal_secret_is_a_secret() {
    let text = "$ az login --service-principal -u e6bea572-5733-471d-b88b-da33809cbe0e -p KPjaBafnsenTRohEUfTk2~sj2uipU54txr --tenant 419a594d-36b5-4b8e-9c4f-3d0c8a1b2e7f";
    assert!(pw(text).is_empty(), "{text}");
    assert_eq!(
        gs(text),
        vec!["KPjaBafnsenTRohEUfTk2~sj2uipU54txr".to_string()]
    );
    // A user's login on the same tool, and a registry login: passwords.
    for text in [
        "$ az login -u jo@example.org -p Kanarie8102?",
        "$ docker login -u ci -p quasarCopper7 registry.example.org",
    ] {
        assert!(!pw(text).is_empty(), "{text}");
        assert!(gs(text).is_empty(), "{text}");
    }
}
