//! The thirty-eighth round's GENERIC_SECRET rules (issue #20, task gs;
//! `detect::evidence_r38g`): Composer's `bearer` tokens by host, a consumer key is no secret,
//! Laravel's `APP_KEY=base64:` of any length; their look-alikes and cut inputs.

use super::tests_support::{
    both, found, hits, json_findings, json_findings_checked, scan_every_cut,
};
use crate::redact::entity::Entity;

fn secrets(body: &str) -> Vec<String> {
    json_findings_checked(body)
        .into_iter()
        .filter(|(e, _)| *e == "GENERIC_SECRET")
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn composers_bearer_tokens_by_host_are_secrets() {
    let auth = r#"{"http-basic":{"repo.example.org":{"username":"mkowalczyk","password":"4LSCvyXn2^dYa^*Gfv?8"}},"github-oauth":{"github.com":"gho_lPL6USbGOT71Wch7RmcxcxMyoY7eahkuQ1sA"},"bearer":{"packages.example.org":"9d14b3fac26178f7c7f5b995d33b81c035c8a339ebadedc3935f92c132abf783"}}"#;
    assert_eq!(
        secrets(auth),
        vec!["/bearer/packages.example.org".to_string()]
    );
    // Any shape of token, several hosts, a host written as a stand-in, pretty-printed.
    for (body, want) in [
        (
            r#"{"bearer": {"packages.quillfeather.io": "7u6q9k9f-70ny-gujaz4vrlat1i53382m3g6", "repo.acme.dev": "e20e4584bbf52b97e7852945bb26317b"}}"#,
            vec!["/bearer/packages.quillfeather.io", "/bearer/repo.acme.dev"],
        ),
        (
            "{\"bearer\":{\"packages.\u{27e8}domain\u{27e9}\":\"cc5d12bec033eabce38f6f47e6a6036a\"}}",
            vec!["/bearer/packages.\u{27e8}domain\u{27e9}"],
        ),
        (
            "{\n    \"bearer\": {\n        \"repo.packagist.com\": \"btj0dZTpZ98hu1CvuI9EnYr77rzmqRjcGRaKfAhJ6bY\"\n    }\n}",
            vec!["/bearer/repo.packagist.com"],
        ),
        (
            r#"{"config":{"COMPOSER_AUTH":{"Bearer":{"pkg.example.com":"f2119d852901d904052ad511a9e8ebe7"}}}}"#,
            vec!["/config/COMPOSER_AUTH/Bearer/pkg.example.com"],
        ),
    ] {
        assert_eq!(secrets(body), want, "{body}");
    }
}

#[test]
fn a_bearer_section_without_hosts_holds_no_new_secret() {
    for body in [
        // OpenAPI's security scheme, Postman's auth, an OAuth token type, settings.
        r#"{"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT","description":"Send the key as a bearer token"}}}}"#,
        r#"{"token_type":"bearer","expires_in":3600}"#,
        r#"{"bearer":{"enabled":true,"realm":"api","header":"Authorization"}}"#,
        r#"{"bearer":{"v1.2":"3","":"x",".com":"abc","example.":"abc","example.c":"abc","v2.10":"abc"}}"#,
        r#"{"bearer":{"packages.example.org":""}}"#,
        r#"{"bearer":{"packages example.org":"9d14b3fac26178f7c7f5b995d33b81c0"}}"#,
        r#"{"bearer":{"https://packages.example.org/":"9d14b3fac26178f7c7f5b995d33b81c0"}}"#,
        r#"{"not_bearer":{"packages.example.org":"9d14b3fac26178f7c7f5b995d33b81c0"}}"#,
    ] {
        assert!(secrets(body).is_empty(), "{body}");
    }
    // The generic rule for a host under a secret's name stays.
    assert_eq!(
        secrets(r#"{"gitlab-token":{"gitlab.example.com":"q3Z8Lm2Vx9Rt5Kw1"}}"#),
        vec!["/gitlab-token/gitlab.example.com".to_string()]
    );
}

#[test]
fn a_consumer_key_is_the_clients_identifier() {
    let body = r#"{"connectedApp":"Agent JWT Bearer","consumerKey":"3MVG9Gl6krgiDg7Zf68Cc0uJ38A82FeT90DpDYGsn81LnLQBwJWH3saHKAOZP4DStca2I7Rl5CJsVxPAMgxyc","consumerSecret":"8A1F9C2E7B3D4F6A0C5E8B2D7F1A3C9E4B6D8F0A2C5E7B9D1F3A6C8E0B2D4F","username":"f.braithwaite@example.com"}"#;
    assert_eq!(secrets(body), vec!["/consumerSecret".to_string()]);
    for body in [
        r#"{"consumer_key":"3MVG9uFSmHnNov7Vqsmnpaeu77T769gTl0ZTwRBJMtpaSoOizuvNYMKJN1t2P0k"}"#,
        r#"{"oauth":{"CONSUMER_KEY":"xvz1evFS4wEEPTGEFPHBog"}}"#,
    ] {
        assert!(secrets(body).is_empty(), "{body}");
    }
    // Other roles of a key stay secrets.
    for body in [
        r#"{"client_key":"Zq8vN3kP0wLx7RtY2bHs5mJc"}"#,
        r#"{"webhookKey":"Zq8vN3kP0wLx7RtY2bHs5mJc"}"#,
        r#"{"consumer_secret":"Zq8vN3kP0wLx7RtY2bHs5mJc"}"#,
        r#"{"consumer_token":"Zq8vN3kP0wLx7RtY2bHs5mJc"}"#,
    ] {
        assert_eq!(secrets(body).len(), 1, "{body}");
    }
}

#[test]
fn laravels_app_key_of_any_length_is_found() {
    let k64 = "PfaJm7f6ZijxqGQBrvjXaDDaBDPfvez9+nFHZ0FnKAtgvwYrZ0j2dSWiOWFnbZzg";
    let k44 = "2Xf1l9eqc0I6dCz0p8s8m4JtGxW3E1rFzQ7b5V0yN2A=";
    for (text, value) in [
        (
            format!(".env (Cashier)\nAPP_KEY=base64:{k64}\nSTRIPE_KEY=x\n"),
            k64,
        ),
        (format!("APP_KEY=base64:{k44}\n"), k44),
        (format!("APP_KEY=\"base64:{k64}\"\n"), k64),
    ] {
        for t in both(&text) {
            assert_eq!(
                found(&t, Entity::GenericSecret),
                vec![value.to_string()],
                "{t:?}"
            );
        }
    }
    // Not base64's form: too short, a length off by one, three `=`, another byte inside.
    for v in [
        "q3Z8Lm2Vx9Rt",
        "PfaJm7f6ZijxqGQBrvjXaDDaBDPfvez9+nFHZ0FnKAtgvwYrZ0j2dSWiOWFnbZz",
        "PfaJm7f6ZijxqGQBrvjXaDDaBDPfvez9+nFHZ0FnKAtgvwYrZ0j2dSWiOWFn===",
        "PfaJm7f6ZijxqGQB-vjXaDDaBDPfvez9+nFHZ0FnKAtgvwYrZ0j2dSWiOWFnbZzg",
    ] {
        let t = format!("APP_KEY=base64:{v}\n");
        let got = found(&t, Entity::GenericSecret);
        assert!(!got.iter().any(|g| g == v), "{t:?}: {got:?}");
    }
}

#[test]
fn cut_inputs_do_not_panic() {
    let auth = "{\"bearer\":{\"packages.\u{27e8}domain\u{27e9}\":\"9d14b3fac26178f7c7f5b995d33b81c0\"},\"consumerKey\":\"3MVG9Gl6krgiDg7Zf68Cc0uJ38A82FeT90\"}";
    for cut in 0..=auth.len() {
        let Some(body) = auth.get(..cut) else {
            continue;
        };
        let _ = json_findings(body);
        let _ = hits(body);
    }
    let text = "APP_KEY=base64:PfaJm7f6ZijxqGQBrvjXaDDaBDPfvez9+nFHZ0FnKAtgvwYrZ0j2dSWiOWFnbZzg\n";
    scan_every_cut(text);
}
