//! Thirty-seventh round, task span (`evidence_r37s`): a label's value that is itself a
//! `NAME=` pair starts after the `=`; the vendor's key behind it is found by its own rule.

use super::tests_support::hits;

/// (type, text) of every hit.
fn found(text: &str) -> Vec<(String, String)> {
    hits(text)
        .into_iter()
        .map(|(e, s, _)| (e.name().to_string(), s))
        .collect()
}

#[test]
fn a_pair_after_a_label_leaves_the_vendor_key_to_its_rule() {
    let slack = "xoxb-077616445499-9021974307896-R6p39UzipOqJVQps2B5ylYy4";
    for text in [
        format!("token: slackToken={slack}\n"),
        format!("[warn]  settings.json contains plain-text token: slackToken={slack}\n"),
    ] {
        let f = found(&text);
        assert!(
            f.iter().any(|(t, v)| t == "SLACK_TOKEN" && v == slack),
            "{text}: {f:?}"
        );
        assert!(
            f.iter().all(|(t, _)| t != "GENERIC_SECRET"),
            "{text}: {f:?}"
        );
        let json = serde_json::json!({ "msg": text }).to_string();
        let f = found(&json);
        assert!(
            f.iter().any(|(t, v)| t == "SLACK_TOKEN" && v == slack),
            "{json}: {f:?}"
        );
        assert!(
            f.iter().all(|(t, _)| t != "GENERIC_SECRET"),
            "{json}: {f:?}"
        );
    }
    let openai = "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";
    let text =
        format!("a NEXT_PUBLIC_ variable exposes a secret: NEXT_PUBLIC_OPENAI_KEY={openai}\n");
    let f = found(&text);
    assert!(
        f.iter().any(|(t, v)| t == "OPENAI_KEY" && v == openai),
        "{f:?}"
    );
    assert!(f.iter().all(|(t, _)| t != "GENERIC_SECRET"), "{f:?}");
}

#[test]
fn a_pair_after_a_label_types_its_rest_alone() {
    let f = found("secret: WEBHOOK_SIGNING_SECRET=Qm9vTj3kLx8pZr2Wv7Yt\n");
    assert_eq!(
        f,
        vec![(
            "GENERIC_SECRET".to_string(),
            "Qm9vTj3kLx8pZr2Wv7Yt".to_string()
        )]
    );
}

#[test]
fn no_pair_head_keeps_the_value_whole() {
    use super::evidence_r37s::pair_head;
    // A password holding `=`, base64's padding, a connection string, a query: no name.
    for v in [
        "Abc=123x",
        "roMFoL5=fkLKSBW2B",
        "eddCXmO=-_cu+-5ec2",
        "slack_id=abc",
        "dGVzdA==",
        "Endpoint_Url=https;AccountKey=abc",
        "api_key=abc&page=2",
        "MY_KEY==",
        "MY_KEY= x",
        "9_KEY=abc",
    ] {
        assert_eq!(pair_head(v.as_bytes(), 0, v.len()), None, "{v}");
    }
    assert_eq!(pair_head(b"MY_KEY=abc==", 0, 12), Some(7));
    assert_eq!(pair_head(b"MY_KEY=", 0, 7), Some(7));
    assert_eq!(pair_head(b"slackToken=xoxb-1", 0, 17), Some(11));
}

#[test]
fn cut_pairs_find_nothing_wrong_and_never_panic() {
    let text = "token: slackToken=xoxb-077616445499-9021974307896-R6p39UzipOqJVQps2B5ylYy4";
    for cut in 0..=text.len() {
        let t = &text[..cut];
        let f = found(t);
        assert!(
            f.iter()
                .all(|(ty, v)| !v.contains('=') || ty != "GENERIC_SECRET"),
            "{t}: {f:?}"
        );
        let _ = found(&serde_json::json!({ "m": t }).to_string());
        for s in 0..cut {
            let _ = super::evidence_r37s::pair_head(t.as_bytes(), s, cut);
        }
    }
}
