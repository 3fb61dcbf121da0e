//! The twenty-sixth round's formats fixed by a vendor or a standard (issue #20, task fmt):
//! Slack's token-rotation refresh tokens, an IPv6 address as scp's/rsync's `host:path` host,
//! an address after a URL and a `,` (a CSV row), and phones written as one bare run of
//! digits under a key naming a message's endpoint — each with the look-alikes that must stay
//! unmasked.

use super::tests_support::{both, found, found_all, json_findings_checked};
use crate::redact::entity::Entity;

const REFRESH: &str = "xoxe-1-Mi0yff-SBiNCxJ5pXf9znkAI1JhjwPbDU3c2iSO1gM8Z15xNiPMCffZFuAg3P9XnfD18QJObQoJ4Gh8TFnEK0sLk7doUaY5tx023zAcR6qNR4PThm8DlDdQ3Q0hqJo7DzTJXu3LosXvi";

#[test]
fn a_slack_refresh_token_is_a_slack_token() {
    for text in [
        format!("SLACK_BOT_TOKEN={REFRESH}\n"),
        format!("Raw result: {REFRESH}\nFile: src/settings.py"),
        format!("upstream call with header x-api-key: {REFRESH} failed (502)"),
        format!("set API_TOKEN={REFRESH}\r\n"),
    ] {
        for t in both(&text) {
            assert_eq!(found(&t, Entity::SlackToken), [REFRESH], "{t}");
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
        }
    }
    // Under a secret-named JSON key it is reported as what it is, not as a GENERIC_SECRET.
    let body = format!(r#"{{"env":{{"SLACK_BOT_TOKEN":"{REFRESH}","API_KEY":"{REFRESH}"}}}}"#);
    assert_eq!(
        json_findings_checked(&body),
        [
            ("SLACK_TOKEN", "/env/API_KEY".to_string()),
            ("SLACK_TOKEN", "/env/SLACK_BOT_TOKEN".to_string())
        ]
    );
}

#[test]
fn slack_look_alikes_stay_what_they_were() {
    // A rotating access token is found from its `xoxp-`, as before.
    let rotating = "xoxe.xoxp-1-Mi0yff-SBiNCxJ5pXf9znkAI1JhjwPbDU3c2iSO1gM8Z15xNiPMCffZFuAg3P9";
    assert_eq!(
        found(
            &format!("SLACK_USER_TOKEN={rotating}\n"),
            Entity::SlackToken
        ),
        [&rotating[5..]]
    );
    // Too short a body, or a word: nothing.
    for t in [
        "the xoxe-1 flow is documented",
        "see xoxe-short here",
        "xoxe- prefix tokens",
    ] {
        assert!(found_all(t, Entity::SlackToken).is_empty(), "{t}");
    }
    // A placeholder stays a placeholder.
    let t = "SLACK_REFRESH_TOKEN=xoxe-1-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
    assert!(found(t, Entity::SlackToken).is_empty(), "{t}");
}

#[test]
fn an_ipv6_host_before_a_path_is_an_address() {
    for (text, addr) in [
        (
            "rsync -az -e ssh ./dist/ admin@fdf4:254b:a3eb:b475::a27e:/var/www/releases/",
            "fdf4:254b:a3eb:b475::a27e",
        ),
        (
            "scp build.tgz deploy@2a02:f1f7:6313:ebbf:b3a4:1dfc:b315:3cce:/srv/app/",
            "2a02:f1f7:6313:ebbf:b3a4:1dfc:b315:3cce",
        ),
        (
            "rsync ./out/ fe80::9a17:42e0:a5ce:2526:/tmp/x",
            "fe80::9a17:42e0:a5ce:2526",
        ),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Ipv6), [addr], "{t}");
        }
    }
}

#[test]
fn ipv6_look_alikes_before_a_path_stay_unmasked() {
    for t in [
        // Times, a label and C++'s scope operator before a `/`.
        "at 10:30:45:/var/log/syslog rotated",
        "std::vector:/usr/include",
        "abc:def:/path",
        // `::` then a path is no single separator colon: unchanged (nothing).
        "cafe:babe:::/x",
    ] {
        assert!(found_all(t, Entity::Ipv6).is_empty(), "{t}");
    }
}

#[test]
fn an_address_after_a_url_and_a_comma_is_an_address() {
    let row = "Work,,login,Grafana,,,0,https://meridian-claims.com,njones@quillon.dev,OWvfupk026=fDU,PKENDABX7RVS5Q\n";
    for t in both(row) {
        assert_eq!(found(&t, Entity::Email), ["njones@quillon.dev"], "{t}");
    }
    let t = "see https://example-shop.fr/login,marie.dupont@orange.fr for the account";
    assert_eq!(found(t, Entity::Email), ["marie.dupont@orange.fr"]);
}

#[test]
fn a_url_userinfo_with_a_comma_stays_userinfo() {
    // A password holding a `,` is still the URL's password, and no address.
    let t = "DATABASE_URL=postgres://app:Tulpe,42Zz@db.internal.example.com:5432/app\n";
    assert!(found(t, Entity::Email).is_empty(), "{t}");
    assert_eq!(found(t, Entity::Password), ["Tulpe,42Zz"]);
    // A URL's userinfo without a comma: as before, no address.
    let t = "git clone https://deploy@gitlab.example.com/group/repo.git";
    assert!(found(t, Entity::Email).is_empty(), "{t}");
}

#[test]
fn a_bare_number_under_a_message_endpoint_key_is_a_phone() {
    for (body, pointers) in [
        (
            r#"{"from":"4915116530080","to":"4930180476","text":"Your appointment"}"#,
            &["/from", "/to"][..],
        ),
        (
            r#"{"msisdn":"447868175079","to":"447984720048","messageId":"1EB39EFD98D04B4"}"#,
            &["/msisdn", "/to"][..],
        ),
        (
            r#"{"name":"send_sms","arguments":{"to":"0123458709","message":"Planning"}}"#,
            &["/arguments/to"][..],
        ),
        (
            r#"{"direction":"mo","originator":"07439132921","body":"STOP"}"#,
            &["/originator"][..],
        ),
        (
            r#"{"items":[{"recipient":"2015605688","status":"delivered"}]}"#,
            &["/items/0/recipient"][..],
        ),
        // Italy's plan keeps its `0` after the calling code; nine digits (Sweden's
        // `46 8 …`, a Spanish mobile).
        (
            r#"{"from":"819072159100","to":"390261603900"}"#,
            &["/from", "/to"][..],
        ),
        (
            r#"{"from":"468199537","to":"612591648"}"#,
            &["/from", "/to"][..],
        ),
    ] {
        let got = json_findings_checked(body);
        let want: Vec<(&str, String)> = pointers.iter().map(|p| ("PHONE", p.to_string())).collect();
        assert_eq!(got, want, "{body}");
    }
}

#[test]
fn endpoint_key_look_alikes_stay_unmasked() {
    for body in [
        // Dates, times and ranges under `from`/`to`.
        r#"{"from":"20240101","to":"20241231"}"#,
        r#"{"from":"1700000000","to":"1700086400"}"#,
        r#"{"from":"1700000000000","to":"1700086400000"}"#,
        // Ids of no numbering plan, a run of one digit, too short or too long a run.
        r#"{"from":"0000000000","to":"9999999999"}"#,
        r#"{"to":"12345","from":"4930180476123456789"}"#,
        r#"{"to":"123456789","from":"100000001"}"#,
        // A trunk `0` after the calling code is no E.164.
        r#"{"to":"4903012345678"}"#,
        // Not a whole bare run.
        r#"{"to":"order 4930180476","from":"4930180476x"}"#,
        // The same number under an id key stays an id.
        r#"{"id":"4915116530080","account":"4930180476"}"#,
    ] {
        assert!(
            !json_findings_checked(body)
                .iter()
                .any(|(e, _)| *e == "PHONE"),
            "{body}"
        );
    }
}
