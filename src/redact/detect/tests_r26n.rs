//! The twenty-sixth round's precision rules (issue #20, task fp; `detect::evidence_r26n`):
//! each look-alike the training splits' writers put where a secret goes, and the real secrets
//! beside it that must still be masked.

use super::evidence_r26n::{look_alike, whole_entity};
use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn the_look_alike_shapes() {
    for v in [
        "2026-11-26T03:56:07Z",
        "2026-12-04 08:22",
        "2026-12-04T08:22:41.123+01:00",
        "/home/ops",
        "~/.config/app/token",
        "xxxx-xxxx",
        "********",
        "X-Api-Key",
        "X-Auth-Token",
        "see 1Password",
        "siehe Vault",
        "secretRef: db-creds",
    ] {
        assert!(look_alike(Entity::GenericSecret, v.as_bytes()), "{v}");
        assert!(look_alike(Entity::Password, v.as_bytes()), "{v}");
    }
    // Eight hex digits: a key id beside its secret, but a password may have that shape.
    for v in ["0dfd8d14", "32540838", "deadbeef"] {
        assert!(look_alike(Entity::GenericSecret, v.as_bytes()), "{v}");
        assert!(!look_alike(Entity::Password, v.as_bytes()), "{v}");
    }
    // A valid IBAN is no password (its own rule reports it); a secret may look like one.
    assert!(look_alike(Entity::Password, b"GB90BQQA33851941565917"));
    // (Each opening byte's branch: `X…`, `S…` IBANs, marks opening with a separator.)
    assert!(look_alike(Entity::Password, b"XK051212012345678906"));
    assert!(look_alike(Entity::Password, b"SE4550000000058398257466"));
    assert!(look_alike(Entity::GenericSecret, b".xxxx-xxxx"));
    assert!(look_alike(Entity::GenericSecret, b"-xxxx"));
    assert!(look_alike(
        Entity::GenericSecret,
        "\u{2022}\u{2022}\u{2022}\u{2022}".as_bytes()
    ));
    assert!(!look_alike(Entity::Password, b"GB91BQQA33851941565917"));
    assert!(!look_alike(
        Entity::GenericSecret,
        b"GB90BQQA33851941565917"
    ));
    // Secrets the shapes must not take: a base64 secret opening with `/`, a date with a
    // password's tail, a longer hex key, capitals in a hex id, a mark with letters.
    for v in [
        "/Qh3dA36IXJbwtNnYEvuRL5gIh74Gj611UeuNz4A",
        "2026-11-26T03:56:07Zq!",
        "2026-11-26",
        "0dfd8d14a",
        "0DFD8D14",
        "xxxx-xxxy",
        "xxx",
        "X-Api-Key9",
        "Xylophone-Blue-7",
        "seesaw-Lantern-42",
        "Gelato.Tulipano.Oregano.1",
        "436",
    ] {
        assert!(!look_alike(Entity::GenericSecret, v.as_bytes()), "{v}");
        assert!(!look_alike(Entity::Password, v.as_bytes()), "{v}");
    }
    // Only the two secret entities are reviewed.
    assert!(!look_alike(Entity::Email, b"2026-11-26T03:56:07Z"));
}

#[test]
fn a_path_or_a_timestamp_after_a_password_word_is_none() {
    for t in both(
        "Dec 25 00:28:00 cache-int-10 sudo[75173]:   sa : TTY=pts/0 ; PWD=/home/ops ; USER=root ; COMMAND=/usr/bin/systemctl",
    ) {
        assert_eq!(found(&t, Entity::Password), Vec::<String>::new(), "{t}");
    }
    for t in both("Server=db;Uid=report;PWD=Trini_Idad9;") {
        assert_eq!(found(&t, Entity::Password), vec!["Trini_Idad9"], "{t}");
    }
    let table = "NAME              CREATED              REPLICATION_POLICY  LOCATIONS\ndb-password       2026-11-26T03:56:07Z  automatic           -\n";
    for t in both(table) {
        assert_eq!(found(&t, Entity::Password), Vec::<String>::new(), "{t}");
    }
}

#[test]
fn an_iban_after_a_password_template_is_an_iban() {
    let t =
        "customer_note: password=${DB_PASSWORD} IBAN for refunds: GB90BQQA33851941565917 thanks";
    for t in both(t) {
        assert_eq!(found(&t, Entity::Password), Vec::<String>::new(), "{t}");
        assert_eq!(
            found(&t, Entity::Iban),
            vec!["GB90BQQA33851941565917"],
            "{t}"
        );
    }
}

#[test]
fn a_token_user_in_a_url_makes_a_token() {
    let t = "ARG PIP_INDEX_URL=https://__token__:2e3ddf34e98bb6d4b9618abc5011941f3de1eccd6934ca1d11a21185eb5e6f69@pypi.example.co.uk/simple\n";
    for t in both(t) {
        assert_eq!(found(&t, Entity::Password), Vec::<String>::new(), "{t}");
        assert_eq!(
            found(&t, Entity::GenericSecret),
            vec!["2e3ddf34e98bb6d4b9618abc5011941f3de1eccd6934ca1d11a21185eb5e6f69"],
            "{t}"
        );
    }
    // A person's user keeps the password a password.
    let t = "ARG PIP_INDEX_URL=https://deploy:Wolke_Heidelbeere9@pypi.example.co.uk/simple\n";
    for t in both(t) {
        assert_eq!(
            found(&t, Entity::Password),
            vec!["Wolke_Heidelbeere9"],
            "{t}"
        );
    }
}

#[test]
fn json_look_alikes_under_secret_names() {
    // A key id of eight hex digits beside its secret: only the secret.
    let got =
        json_findings_checked(r#"{"api_key":"0dfd8d14","api_secret":"6RgsX81HVq2LmZp0TtYw"}"#);
    assert_eq!(got, vec![("GENERIC_SECRET", "/api_secret".to_string())]);
    // A header's name as a key/value pair's value, a pointer to a vault.
    let got = json_findings_checked(
        r#"{"auth":[{"key":"key","value":"X-Api-Key"},{"key":"value","value":"Zq8cF3vLx9TfR2mWp7YhKd4s"}],"EXAMPLE_TOKEN":"see 1Password","token":"xxxx-xxxx"}"#,
    );
    assert!(
        !got.iter()
            .any(|(_, p)| p == "/auth/0/value" || p == "/EXAMPLE_TOKEN" || p == "/token"),
        "{got:?}"
    );
    // A password of eight hex digits is masked (the key-id shape is a GENERIC_SECRET's only).
    let got = json_findings_checked(r#"{"api_key":"0dfd8d14","password":"3f9a1c2e"}"#);
    assert_eq!(got, vec![("PASSWORD", "/password".to_string())]);
    // The real ones still are.
    let got = json_findings_checked(r#"{"api_key":"0dfd8d14ab57c9e2","password":"Gelato226="}"#);
    assert_eq!(
        got,
        vec![
            ("GENERIC_SECRET", "/api_key".to_string()),
            ("PASSWORD", "/password".to_string())
        ]
    );
}

#[test]
fn a_slack_rotation_token_is_a_slack_token() {
    let on = |_: Entity| true;
    let tok = "xoxe-1-Mi0yCEouEILCwdipgEa0iHbw3joVFNKDJcx0iwYTCNd9z6BWD2iUx9xnnSQ0mVOvrs6Yh";
    assert_eq!(
        whole_entity(Entity::GenericSecret, tok.as_bytes(), on),
        Entity::SlackToken
    );
    assert_eq!(
        whole_entity(Entity::GenericSecret, b"xoxe.xoxp-1-Mi0yAbCdEfGhIjKlMn", on),
        Entity::SlackToken
    );
    // Off: it stays a secret (fail closed).
    assert_eq!(
        whole_entity(Entity::GenericSecret, tok.as_bytes(), |e| e
            != Entity::SlackToken),
        Entity::GenericSecret
    );
    // Not the prefix alone, nor a word that starts like it.
    assert_eq!(
        whole_entity(Entity::GenericSecret, b"xoxe-abc", on),
        Entity::GenericSecret
    );
    assert_eq!(
        whole_entity(Entity::GenericSecret, b"xoxe-x1234567890ab", on),
        Entity::GenericSecret
    );
    let body = format!(r#"{{"env":{{"SLACK_BOT_TOKEN":"{tok}","SLACK_TEAM_ID":"T01ABCDEF"}}}}"#);
    let got = json_findings_checked(&body);
    assert_eq!(
        got,
        vec![("SLACK_TOKEN", "/env/SLACK_BOT_TOKEN".to_string())]
    );
}
