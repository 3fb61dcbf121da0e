//! Fortieth round, task sg (`evidence_r40s`): SendGrid's API keys `SG.<22>.<43>` and their
//! stand-ins, Dropbox's short-lived access tokens `sl.…`, in free text, code, headers, a
//! command's output and under keys that name no secret; look-alikes; AWS's example secrets
//! found from the second trigger tier; cut inputs.

use super::tests_support::{both, hits, json_findings, json_findings_checked, scan_every_cut};

const SG: &str = "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";
const SG_DASH: &str = "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";
const SL: &str = "sl.JOAA8aw6RQ12psNAF0ILI5gwJqJPZ1Xtrg2g6ttwFBjuV7gln2mNBF8ghxA2HZxM6womtz7Asa9MfQhGsbU8W2jbJr3oJyZmVqhhFOj23nPmi43Em0R9BrPKJVSYt1a7RgVQv9jaWb";
const SL_U: &str = "sl.u.AFZq3_Ts8w-Kp2dJx9LmQvR4yN7bH1cE6gU0iO5aW3zXtYrV8sP2nM4kJ7hG1fD9eC6bA3zQ0wE5rT8yU2iO4pL7kJ1hG3fD6sA9zX2cV5bN8mQ1wE4rT7yU0i";

const ALL: [&str; 4] = [SG, SG_DASH, SL, SL_U];

/// (type, text, placeholder) of every hit.
fn found(text: &str) -> Vec<(&'static str, String, bool)> {
    hits(text)
        .into_iter()
        .map(|(e, s, p)| (e.name(), s, p))
        .collect()
}

fn real(v: &str) -> (&'static str, String, bool) {
    ("GENERIC_SECRET", v.to_string(), false)
}

#[test]
fn a_sendgrid_key_or_a_dropbox_token_anywhere_is_a_secret() {
    for v in ALL {
        for text in [
            format!("my bad, it was this one: {v} — revoke it\n"),
            format!("$ az keyvault secret show --name sendgrid --query value -o tsv\n{v}\n\n"),
            format!("- tailscale auth: {v}\n- serial 0042\n"),
            // (Not after `token is`: the prose rule's span, which keeps the place, ends
            // at 80 bytes — a Dropbox token's 140 are cut, as vp's `ya29.` tokens are.)
            format!("for the homeserver use {v}, registration closed\n"),
            format!("    http-request set-header X-Api-Key {v}\n"),
            format!("  (1, 'ana@example.com', '{v}'),\n"),
            format!("Placeholder in the docs is `{v}`.\n"),
            format!("{v}\n"),
        ] {
            for t in both(&text) {
                let f = found(&t);
                assert!(f.contains(&real(v)), "{t}: {f:?}");
            }
        }
    }
}

#[test]
fn a_sendgrid_key_under_a_key_naming_no_secret_is_found_in_json() {
    for v in ALL {
        let body =
            serde_json::json!({ "signers": [{ "recipientId": "2", "accessCode": v }] }).to_string();
        let f = json_findings_checked(&body);
        assert_eq!(
            f,
            vec![("GENERIC_SECRET", "/signers/0/accessCode".to_string())],
            "{body}"
        );
    }
}

#[test]
fn a_sendgrid_stand_in_is_a_placeholder() {
    for v in [
        // blind38's writer's stand-in (parts of 20 and 43 bytes) and SendGrid's shape in `x`.
        "SG.EXAMPLE_EXAMPLE_EXAM.EXAMPLE000000000000000000000000000000000000",
        "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ] {
        for t in both(&format!(
            "# chart README example: apiKey: {v}\nPlaceholder: `{v}`.\n"
        )) {
            let f = found(&t);
            assert!(
                f.contains(&("GENERIC_SECRET", v.to_string(), true)),
                "{v}: {f:?}"
            );
        }
        let body = serde_json::json!({ "docs": { "EXAMPLE_KEY": v, "snippet": format!("client = Client(api_key={v})") } })
            .to_string();
        let f = json_findings(&body);
        assert_eq!(f.len(), 2, "{body}: {f:?}");
        assert!(
            f.iter().all(|(e, _, p)| *e == "GENERIC_SECRET" && *p),
            "{body}: {f:?}"
        );
    }
}

#[test]
fn look_alikes_are_no_sendgrid_key_or_dropbox_token() {
    let lower = "qzjxkvbwmplrtnhgfdcs".repeat(7);
    let mixed = "Ab3".repeat(45);
    for t in [
        // Inside a word, a name or after `.`/`-`: `ssl.`, `x.SG.`, `-sl.`.
        format!("ssl.{mixed}"),
        format!("tsl.{mixed}"),
        format!("cdn.sl.{mixed}"),
        format!("x-sl.{mixed}"),
        "MSG.Jgrz1aCQfnl9ysS1QVIaOt.1zLYs3HeMQ1HNW6PlfswAAEz7VOBV_mweadJKmPTDFu".to_string(),
        "api.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".to_string(),
        // SendGrid: the wrong part lengths, a third part, one part, lower case.
        "SG.Jgrz1aCQfnl9ysS1QVIaO.1zLYs3HeMQ1HNW6PlfswAAEz7VOBV_mweadJKmPTDFu".to_string(),
        "SG.Jgrz1aCQfnl9ysS1QVIaOt.1zLYs3HeMQ1HNW6PlfswAAEz7VOBV_mweadJKmPTDF".to_string(),
        "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.x9".to_string(),
        "SG.Jgrz1aCQfnl9ysS1QVIaOt1zLYs3HeMQ1HNW6PlfswAAEz7VOBV_mweadJKmPTDFu".to_string(),
        "sg.Jgrz1aCQfnl9ysS1QVIaOt.1zLYs3HeMQ1HNW6PlfswAAEz7VOBV_mweadJKmPTDFu".to_string(),
        // Dropbox: too short, one class, upper case, a file or host name.
        format!("sl.{}", &mixed[..99]),
        format!("sl.{lower}"),
        format!("SL.{mixed}"),
        "sl.config.yaml".to_string(),
        "sl.example.com".to_string(),
    ] {
        for t in both(&format!("{t}\n")) {
            let f = found(&t);
            assert!(
                f.iter().all(|(_, v, _)| !(v.contains("SG.")
                    || v.contains("sl.")
                    || v.contains("SL."))),
                "{t}: {f:?}"
            );
        }
    }
}

#[test]
fn aws_example_secrets_are_found_from_the_second_tier() {
    for v in [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ] {
        for text in [format!("see {v} in the docs"), format!("{v}\n")] {
            for t in both(&text) {
                let f = found(&t);
                assert!(
                    f.iter().any(|(_, s, _)| s.contains("EXAMPLEKEY")),
                    "{t}: {f:?}"
                );
            }
        }
        let body = serde_json::json!({ "note": format!("sample {v}") }).to_string();
        assert!(!json_findings(&body).is_empty(), "{body}");
    }
}

#[test]
fn every_cut_of_a_sendgrid_key_or_dropbox_token_is_safe() {
    for v in ALL
        .iter()
        .chain(&["SG.EXAMPLE_EXAMPLE_EXAM.EXAMPLE000000000000000000000000000000000000"])
    {
        scan_every_cut(&format!("key: none; sample {v}. done"));
        let _ = found(&v[..v.len() - 1]);
    }
    use super::evidence_r40s::{dropbox_token_end, sendgrid_key_end, starts_token};
    assert_eq!(sendgrid_key_end(b"SG.", 3), None);
    assert_eq!(sendgrid_key_end(b"SG.abc", 3), None);
    assert_eq!(sendgrid_key_end(b"SG.Jgrz1aCQfnl9ysS1QVIaOt.", 3), None);
    assert_eq!(sendgrid_key_end(b"x", 3), None);
    assert_eq!(sendgrid_key_end(b"SG", 1), None);
    assert_eq!(dropbox_token_end(b"sl.", 3), None);
    assert_eq!(dropbox_token_end(b"x", 3), None);
    assert!(starts_token(b"SG.", 0));
    assert!(!starts_token(b"xSG.", 1));
    assert!(!starts_token(b".sl.", 1));
}
