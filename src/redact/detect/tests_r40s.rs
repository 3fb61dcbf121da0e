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

const AZ_KV: &str =
    "$ az keyvault secret show --vault-name kv-peakstone --name sendgrid --query value -o tsv\n";
const AZ_SA: &str = "az storage account keys list -n stprodgvwlgx --query [0].value -o tsv\n";

#[test]
fn a_value_azure_cli_printed_after_tsv_is_a_secret() {
    for (cmd, v) in [
        (AZ_KV, "6cVFlMabfavGfCuTW6F0ozFdcUj8m2MOsAGO/ymF7BU="),
        (AZ_KV, "e6653de1bdbf5d0b4cd3c853c578a1213418b4b83f50383946c6a62579515e08"),
        (AZ_SA, "rl+EF+sTsGPj330YQIGVQRUaJzC5iQuropIPT8WOIyqhnvYa07XZZlvefnBdQD9ptOs5DkQ+1d0CqQZnpXbqmg=="),
    ] {
        for text in [format!("{cmd}{v}\n"), format!("{cmd}{v}\r\n$ exit\n")] {
            for t in both(&text) {
                let f = found(&t);
                assert!(f.contains(&real(v)), "{t}: {f:?}");
            }
        }
        // At the text's end.
        let t = format!("{cmd}{v}");
        assert!(found(&t).contains(&real(v)), "{t}");
        let body = serde_json::json!({ "role": "tool", "content": format!("{cmd}{v}\n") }).to_string();
        assert_eq!(
            json_findings_checked(&body),
            vec![("GENERIC_SECRET", "/content".to_string())],
            "{body}"
        );
    }
    // A Stripe key printed so stays Stripe's.
    let t = format!("{AZ_KV}sk_live_dwl1OMVXNE3DyL5xst3ssG8G\n");
    let f = found(&t);
    assert!(
        f.iter()
            .any(|(e, v, _)| *e == "STRIPE_KEY" && v.starts_with("sk_live_")),
        "{t}: {f:?}"
    );
}

#[test]
fn other_tsv_output_is_no_secret() {
    for t in [
        // Another query, no query, no `az`, one class, more than one token on the line.
        "$ az keyvault show --name kv-x --query id -o tsv\n/subscriptions/0000/resourceGroups/rg\n",
        "$ az vm list-ip-addresses -g rg-pilmf -o tsv\nvm-9\t180.211.211.229\t10.17.223.111\n",
        "$ kubectl get secret x --query value -o tsv\n6cVFlMabfavGfCuTW6F0ozFdcUj8m2MOsAGO/ymF7BU=\n",
        "$ az keyvault secret show --name k --query name -o tsv\nSendgridApiKeyProd2024\n",
        "$ az keyvault secret show --name k --query value -o tsv\nabcdefqrstuvwxyzabcdefqrstuv\n",
        "$ az keyvault secret show --name k --query value -o tsv\n6cVFlMabfavGfCuTW6F0ozFd cUj8m2MOsAGO\n",
        "$ az keyvault secret show --name k --query value -o tsv\n6cVFlMab\n",
    ] {
        for t in both(t) {
            let f = found(&t);
            assert!(f.iter().all(|(e, _, _)| *e != "GENERIC_SECRET"), "{t}: {f:?}");
        }
    }
    scan_every_cut(&format!(
        "{AZ_KV}6cVFlMabfavGfCuTW6F0ozFdcUj8m2MOsAGO/ymF7BU=\n"
    ));
    use super::evidence_r40s::az_tsv_value;
    assert_eq!(az_tsv_value(b" tsv\n", 0), None);
    assert_eq!(az_tsv_value(b"x", 5), None);
    assert_eq!(az_tsv_value(b"az --query value -o tsv\n", 19), None);
}
