//! The lead's part of the eighteenth round (issue #20), found reading blind18 after its
//! honest score: members named in brackets (form encodings' `user[password]`, Power BI's
//! `executeQueries` columns `Members[BirthDate]`) are named by their last bracketed part;
//! a secret output's `plaintext` in a Pulumi stack export is the secret; a passphrase of
//! three long words is a password where one is said to be.

use super::tests_support::{found, json_findings_checked as json_findings};
use crate::redact::entity::Entity;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_bracketed_member_is_named_by_its_last_part() {
    let body = r#"{"results":[{"tables":[{"rows":[{"Members[Name]":"Jane Roe","Members[BirthDate]":"1968-10-08","Members[SSN]":"536-22-8814","Members[MemberId]":"M-20931"}]}]}],"user[password]":"Tr0ub4dor&3x","order[customer][phone]":"+44 20 7946 0958"}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s(
                "DATE_OF_BIRTH",
                "/results/0/tables/0/rows/0/Members[BirthDate]"
            ),
            s("PASSWORD", "/user[password]"),
            s("PHONE", "/order[customer][phone]"),
            s("US_SSN", "/results/0/tables/0/rows/0/Members[SSN]"),
        ]
    );
}

#[test]
fn an_index_in_brackets_leaves_the_name_before_it() {
    // `phones[0]` is a phone's member; `tags[]`, `items[3]` name nothing personal, and a
    // date under `events[0]` is no birth date.
    let body = r#"{"phones[0]":"+44 20 7946 0958","tags[]":"1968-10-08","items[3]":"536228814","Members[LastVisit]":"1968-10-08"}"#;
    assert_eq!(json_findings(body), vec![s("PHONE", "/phones[0]")]);
}

#[test]
fn a_pulumi_secret_outputs_plaintext_is_the_secret() {
    let body = r#"{"deployment":{"resources":[{"type":"aws:rds/instance:Instance","outputs":{"address":"db.internal","password":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"Paella!Cormoran42"},"plaintext":"not a secret's member"}}]}}"#;
    assert_eq!(
        json_findings(body),
        vec![s(
            "PASSWORD",
            "/deployment/resources/0/outputs/password/plaintext"
        )]
    );
}

#[test]
fn a_passphrase_of_three_long_words_is_a_password_where_one_is_said_to_be() {
    for (text, want) in [
        (
            "user banks_049, your temporary password is tulipano-fietsbel-heron",
            "tulipano-fietsbel-heron",
        ),
        (
            "SMTP_HOST=mail.internal\nSMTP_PASS=ferrovia-fietsbel-croissant\n",
            "ferrovia-fietsbel-croissant",
        ),
        (
            "mi contraseña antigua era croissant-gondola-larkspur",
            "croissant-gondola-larkspur",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    // A compound of the sentence has a short word: no passphrase.
    for text in [
        "the password is one-time-only",
        "the password is self-service-portal managed",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text}"
        );
    }
}

#[test]
fn nslcds_bind_password_settings_are_passwords() {
    let text = "uri ldap://ldap.corp.lan\nbase dc=corp,dc=lan\nbinddn cn=svc-nss,ou=system,dc=corp,dc=lan\nbindpw Brezel!Paella98\nrootpwmoddn cn=admin,dc=corp,dc=lan\nrootpwmodpw tramontana-tramontana-cormoran\n";
    assert_eq!(
        found(text, Entity::Password),
        vec!["Brezel!Paella98", "tramontana-tramontana-cormoran"]
    );
    // The setting named, no value of a password's shape after it.
    for text in [
        "# bindpw is read from the file nslcd.secret\n",
        "bindpw\nrootpwmodpw none\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text}"
        );
    }
}

#[test]
fn a_t_sql_unicode_literal_after_a_password_key_is_the_password() {
    let text = "EXEC sp_addlinkedsrvlogin @rmtsrvname=N'HRLINK', @useself=N'False', @rmtuser=N'hr_link', @rmtpassword=N'Zugspitze2154_'";
    assert_eq!(found(text, Entity::Password), vec!["Zugspitze2154_"]);
    let text = "CREATE LOGIN app_etl WITH PASSWORD = N'Gq7!xw2LpZ', CHECK_POLICY = ON;";
    assert_eq!(found(text, Entity::Password), vec!["Gq7!xw2LpZ"]);
}
