//! The thirty-sixth round's constructions (issue #20, task cvc; `detect::evidence_r36c`): a
//! pipe table's card security code row named in the locales (`| Security code | 424 |`,
//! `| Beveiligingscode | 0920 |`), and a documentation placeholder given as a secret-named
//! JSON Schema property's `default` / `examples` — and their look-alikes, cut inputs.

use super::evidence_r34d::pipe_cvc_cell;
use super::evidence_r36c::schema_example_key;
use super::tests_support::{
    assert_each_found, assert_none_found, json_findings, json_findings_checked,
};
use crate::redact::entity::Entity;

#[test]
fn a_pipe_tables_security_code_row_named_in_the_locales_is_a_secret() {
    assert_each_found(
        Entity::GenericSecret,
        &[
            (
                "| E-mail | a@b.io |\n| Card number | 6561-6754-5909-4345 |\n| Security code | 424 |\n",
                "424",
            ),
            ("| Kaartnummer | 3727 198492 25367 |\n| Beveiligingscode | 0920 |\n| Wachtwoord klant | n/a |", "0920"),
            ("| Numéro de carte | 4265-7733-0730-7532 |\n| Cryptogramme | 100 |\n| Référence | G-1 |", "100"),
            ("| Kartenprüfnummer | 713 |", "713"),
            ("| Prüfnummer | 0712 |\n", "0712"),
            ("| Prüfziffer | 656 |\n", "656"),
            ("| Código de seguridad | 381 |", "381"),
            ("| Codice di sicurezza | 5521 |", "5521"),
            ("|SECURITY CODE| 123 |", "123"),
        ],
    );
    assert_none_found(
        Entity::GenericSecret,
        &[
            // Other labels, a name inside another word, five digits, no cell, no name.
            "| Qty | 120 |\n| Postcode | 1234 |\n",
            "| Securitycode | 925 |",
            "| Security codes | 925 |",
            "| Xbeveiligingscode | 925 |",
            "| Security code | 92513 |",
            "| Security code | 925",
            "| Security code |\n 925 |",
            "Security code | 925 |",
            "| Access code | 925 |",
            "| Code | 925 |",
        ],
    );
    // In a JSON string (a ticket's body holding the table).
    let got = json_findings_checked(
        r#"{"body":"| Card number | 6011 7812 3491 9644 |\n| Security code | 904 |\n| Cryptogramme | 100 |\n"}"#,
    );
    assert_eq!(
        got.iter().filter(|(e, _)| *e == "GENERIC_SECRET").count(),
        2,
        "{got:?}"
    );
    // Hostile offsets and cut rows: no panic, whatever the bytes around.
    let row = "| Código de seguridad | 381 |".as_bytes();
    for cut in 0..=row.len() {
        let hay = &row[..cut];
        for i in 0..=hay.len() {
            let _ = pipe_cvc_cell(hay, i);
        }
        if let Ok(t) = std::str::from_utf8(hay) {
            let _ = super::tests_support::hits(t);
        }
    }
}

#[test]
fn a_secret_named_schema_propertys_placeholder_default_is_a_placeholder() {
    // blind35's shape: the vendors no rule of their own reads (`glpat-`, `hf_`, `whsec_`).
    for (value, _) in [
        ("whsec_EXAMPLE0000000000000000000000000", 0),
        ("glpat-xxxxxxxxxxxxxxxxxxxx", 0),
        ("hf_EXAMPLEtokenxxxxxxxxxxxxxxxxxxxxxx", 0),
    ] {
        let body = format!(
            r#"{{"$id":"https://x.example/schemas/agent-settings.json","type":"object","properties":{{"githubToken":{{"type":"string","default":"ghp_EXAMPLEb35ExampleToken00000000000000","description":"Personal access token"}},"webhookSecret":{{"type":"string","default":"{value}"}}}},"x-current-values":{{"slackToken":"<insert-key-here>"}}}}"#
        );
        let got = json_findings_checked(&body);
        assert!(
            got.contains(&(
                "GENERIC_SECRET",
                "/properties/webhookSecret/default".to_string()
            )),
            "{got:?}"
        );
        let flagged = json_findings(&body);
        assert!(
            flagged.contains(&(
                "GENERIC_SECRET",
                "/properties/webhookSecret/default".to_string(),
                true
            )),
            "{flagged:?}"
        );
        // The GitHub placeholder stays what it was.
        assert!(
            flagged.contains(&(
                "GITHUB_TOKEN",
                "/properties/githubToken/default".to_string(),
                true
            )),
            "{flagged:?}"
        );
    }
    // `examples` (a list) and OpenAPI's `example`, pretty-printed.
    let body = "{\n  \"properties\": {\n    \"api_token\": {\n      \"type\": \"string\",\n      \"examples\": [\"glpat-xxxxxxxxxxxxxxxxxxxx\"],\n      \"example\": \"hf_yourTokenHere000000\"\n    }\n  }\n}";
    let got = json_findings(body);
    assert!(
        got.contains(&(
            "GENERIC_SECRET",
            "/properties/api_token/examples/0".to_string(),
            true
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "GENERIC_SECRET",
            "/properties/api_token/example".to_string(),
            true
        )),
        "{got:?}"
    );
}

#[test]
fn a_schema_example_that_is_no_placeholder_is_read_as_text() {
    for body in [
        // A value that reads as no placeholder, under the secret's schema: nothing (as under a
        // plain key), however random. (No vendor's prefix in these values: a `whsec_…`,
        // `glpat-…` token or stand-in is found by its prefix wherever it stands since the
        // thirty-eighth round, `evidence_r38v`.)
        r#"{"properties":{"webhookSecret":{"type":"string","default":"q7Kf2PzX9aLmB4nR8tVw3yHc"}}}"#,
        r#"{"properties":{"webhookSecret":{"type":"string","default":"none"}}}"#,
        r#"{"properties":{"webhookSecret":{"type":"string","default":""}}}"#,
        r#"{"properties":{"webhookSecret":{"type":"string","default":"****"}}}"#,
        // An example keyword under a name that is no secret's.
        r#"{"properties":{"region":{"type":"string","default":"xxxxxxxxxxxxxxxxxxxx"}}}"#,
        // Another case of the keyword (the specifications spell it in lower case).
        r#"{"properties":{"webhookSecret":{"type":"string","Default":"EXAMPLE0000000000000000000000000"}}}"#,
        // A password's schema: PASSWORD's rules, not this one.
        r#"{"properties":{"password":{"type":"string","default":"xxxxxxxxxxxx"}}}"#,
    ] {
        let got = json_findings(body);
        assert!(
            !got.iter()
                .any(|(e, p, _)| *e == "GENERIC_SECRET" && p.contains("efault")),
            "{body}: {got:?}"
        );
        // (the `Value` walk and the scan agree with the raw pass)
        let _ = json_findings_checked(body);
    }
    // A vendor's real-shaped key in the example keeps its own type.
    let got = json_findings(
        r#"{"properties":{"anthropicKey":{"type":"string","default":"sk-ant-api03-EXAMPLExxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxAA"}}}"#,
    );
    assert!(
        got.iter().any(|(e, _, p)| *e == "ANTHROPIC_KEY" && *p),
        "{got:?}"
    );
    assert!(schema_example_key("default") && schema_example_key("examples"));
    assert!(!schema_example_key("Default") && !schema_example_key("defaults"));
}

#[test]
fn cut_schema_bodies_do_not_panic() {
    let body = r#"{"properties":{"webhookSecret":{"type":"string","default":"whsec_EXAMPLE0000000000000000000000000"},"t":{"examples":["glpat-xxxxxxxxxxxxxxxxxxxx"]}}}"#;
    for cut in 0..=body.len() {
        if let Some(b) = body.get(..cut) {
            let _ = json_findings(b);
        }
    }
}

#[test]
fn a_bare_replace_instruction_under_a_secret_name_is_no_finding() {
    for body in [
        r#"{"env":{"SLACK_APP_TOKEN":"xapp-1-A0","slackToken":"REPLACE_WITH_REAL_KEY"}}"#,
        r#"{"model_list":[{"litellm_params":{"api_base":"http://10.58.73.227:11434","api_key":"REPLACE_WITH_YOUR_KEY"}}]}"#,
        r#"{"EXAMPLE_TOKEN":"REPLACE_ME","GITHUB_TOKEN":"x"}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            !got.iter().any(|(_, p)| p.ends_with("slackToken")
                || p.ends_with("api_key")
                || p.ends_with("EXAMPLE_TOKEN")),
            "{body}: {got:?}"
        );
    }
    // A vendor's key spelling the instruction inside stays a placeholder; a value that only
    // opens with the word is read as before.
    let got = json_findings(
        r#"{"placeholderSample":"sk-proj-REPLACE_WITH_YOUR_OWN_KEY_00000000000000"}"#,
    );
    assert!(got.iter().any(|(_, _, p)| *p), "{got:?}");
    use super::evidence_r36c::replace_instruction;
    assert!(replace_instruction(b"REPLACE_WITH_YOUR_KEY") && replace_instruction(b"REPLACE_ME"));
    assert!(!replace_instruction(
        b"sk-proj-REPLACE_WITH_YOUR_OWN_KEY_0000"
    ));
    assert!(!replace_instruction(b"REPLACE_WITH_x7Kq2"));
    assert!(!replace_instruction(b"REPLACEMENT_KEY_9f8a7b6c5d"));
    for cut in 0..=21 {
        let _ = replace_instruction(&b"REPLACE_WITH_YOUR_KEY"[..cut]);
    }
}
