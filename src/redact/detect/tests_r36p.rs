//! The thirty-sixth round's PASSWORD constructions (issue #20, task pw;
//! `detect::evidence_r36p`): AWS CodeBuild's secret references, Elastic Beats'
//! `cloud.auth`; and their look-alikes, in JSON and text, cut and truncated.

use super::tests_support::{assert_each_found, assert_none_found, found, json_findings_checked};
use crate::redact::entity::Entity;

/// The PASSWORD pointers of a JSON body (raw pass, `Value` walk and scan agreeing).
fn password_pointers(body: &str) -> Vec<String> {
    json_findings_checked(body)
        .into_iter()
        .filter(|(t, _)| *t == "PASSWORD")
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn codebuild_secret_references_are_no_password() {
    for ty in ["SECRETS_MANAGER", "PARAMETER_STORE"] {
        // The type after the value, before the name, and between them.
        for obj in [
            format!(r#"{{"name":"DB_PASSWORD","value":"prod/db:password","type":"{ty}"}}"#),
            format!(r#"{{"type":"{ty}","name":"DB_PASSWORD","value":"prod/db:password"}}"#),
            format!(r#"{{"name":"DB_PASSWORD","type":"{ty}","value":"/prod/db/password"}}"#),
        ] {
            let body = format!(
                r#"{{"projectName":"acme-deploy","environmentVariablesOverride":[{{"name":"STAGE","value":"prod","type":"PLAINTEXT"}},{obj}]}}"#
            );
            assert_eq!(password_pointers(&body), Vec::<String>::new(), "{body}");
        }
    }
}

#[test]
fn codebuild_plaintext_values_stay_passwords() {
    // `PLAINTEXT` (the value is the variable's own), and a type in another spelling or of
    // another tool: the name decides, as before.
    for ty in ["PLAINTEXT", "secrets_manager", "SECRET", "string"] {
        let body = format!(
            r#"{{"environmentVariablesOverride":[{{"name":"DB_PASSWORD","value":"Tulpen-Regen-2027!","type":"{ty}"}}]}}"#
        );
        assert_eq!(
            password_pointers(&body),
            vec!["/environmentVariablesOverride/0/value".to_string()],
            "{body}"
        );
    }
    // A reference in one object leaves the next object's password alone.
    let body = r#"{"env":[{"name":"DB_PASSWORD","value":"prod/db:password","type":"SECRETS_MANAGER"},{"name":"SMTP_PASSWORD","value":"Brezel#Sonne88","type":"PLAINTEXT"}]}"#;
    assert_eq!(
        password_pointers(body),
        vec!["/env/1/value".to_string()],
        "{body}"
    );
}

#[test]
fn codebuild_cut_bodies_do_not_panic() {
    let body = r#"{"environmentVariablesOverride":[{"name":"DB_PASSWORD","value":"prod/db:password","type":"SECRETS_MANAGER"}]}"#;
    let r = super::tests_support::redactor();
    let plan = crate::redact::ActionPlan::mask_all();
    for cut in 0..=body.len() {
        let _ = r.redact_bytes(&body.as_bytes()[..cut], true, &plan);
    }
}

#[test]
fn beats_cloud_auth_password_is_found() {
    assert_each_found(
        Entity::Password,
        &[
            (
                "filebeat.inputs:\n- type: log\ncloud.id: \"staging:ZXUtY2VudHJhbC0xLmF3cy5jbG91ZC5lcy5pbyRhYmMkZGVm\"\ncloud.auth: \"elastic:YMpvcei025#\"\noutput.elasticsearch:\n",
                "YMpvcei025#",
            ),
            ("cloud.auth: 'beats_writer:PyaP*!l.n+hsxRlh'\n", "PyaP*!l.n+hsxRlh"),
            ("cloud.auth: elastic:M34d0w&37\n", "M34d0w&37"),
            (
                "./metricbeat setup -E cloud.id=prod:abc -E cloud.auth=elastic:ZOyfoey648% -e",
                "ZOyfoey648%",
            ),
            ("  \"cloud.auth\": \"elastic:FGwcety152%\",\n", "FGwcety152%"),
        ],
    );
}

#[test]
fn beats_cloud_auth_look_alikes_hold_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // A variable, a placeholder-free reference, no password part, another setting.
            "cloud.auth: \"elastic:${ES_PWD}\"\n",
            "cloud.auth: \"elastic:\"\n",
            "cloud.auth: elastic\n",
            "mycloud.auth: \"elastic:kX9#mQ2vLp\"\n",
            "cloud.id: \"staging:kX9#mQ2vLp\"\n",
            "cloud.auth_type: \"elastic:basic\"\n",
            "see https://cloud.auth:443/x and http://elastic:9200/\n",
        ],
    );
}

#[test]
fn beats_cloud_auth_cut_anywhere_does_not_panic() {
    let text = "cloud.auth: \"elastic:YMpvcei025#\"\n";
    for cut in 0..=text.len() {
        let t = &text[..cut];
        let got = found(t, Entity::Password);
        assert!(
            got.iter().all(|v| "YMpvcei025#".starts_with(v.as_str())),
            "{t:?}: {got:?}"
        );
    }
}

#[test]
fn bcrypt_hashes_in_a_password_column_are_no_password() {
    let dump = "Database: shop\nTable: users\n+----+--------------------+----------------+\n| id | email              | password       |\n+----+--------------------+----------------+\n| 1  | cornelia73@xs4all.nl | Stella2016$ |\n| 2  | mtexier@gmail.com | $2b$12$FAtfIx36TMeCyVU.o9.3jNS6MrZMhQz0BcaQHlGUIcTT5bEpCf1Y5 |\n+----+--------------------+----------------+\n";
    for t in super::tests_support::both(dump) {
        assert_eq!(found(&t, Entity::Password), vec!["Stella2016$"], "{t:?}");
    }
    assert!(super::evidence_r36p::bcrypt_hash(
        b"$2y$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
    ));
    // Too short, another prefix.
    assert!(!super::evidence_r36p::bcrypt_hash(b"$2b$12$short"));
    assert!(!super::evidence_r36p::bcrypt_hash(
        b"$6$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ));
}
