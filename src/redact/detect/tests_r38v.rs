//! Thirty-eighth round, task vp (`evidence_r38v`): vendors' documented token prefixes in free
//! text, comments, code and under keys that name no secret; their stand-ins as placeholders;
//! OpenRouter's `sk-or-v1-` keys a GENERIC_SECRET.

use super::super::entity::Entity;
use super::tests_support::{both, hits, json_findings_checked};

const GLPAT: &str = "glpat-Je4q6sh26NCaCqP9ZNmj";
const HF: &str = "hf_Wg0xe0Zqbhs0nvHr6BOQGIn16rewL2f2KW";
const WHSEC: &str = "whsec_tkuSk8ExFDNZzivXd9Vj6A7sq77jkE5R";
const WHSEC_B64: &str = "whsec_Fxj28YmmE/eKRlZxYSfhfRVR920+82qo";
const NPM: &str = "npm_FDnulA1ME6anppkENooEKAL1WhjtlIXxigrt";
const YA29: &str = "ya29.a0QvtDI48e1mCrBxRmWNLQUWAT_k-bo1vHv6IeNrYwqt2V3oFzrEhoLS4ugYj3pjzIfJABUuWz7BvtckcKXUgZTwtoS55j71Y-ATT2bgzesGWpjd4cnT3myJU9YngCexVR5wGlygAXPpsSUPz1iohHKl";
const SHPAT: &str = "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";
const LIN: &str = "lin_api_LwiLlv8dd8hNV75BcRPOAuZyptVJMN5zXOBS1pKi";
const OPENROUTER: &str =
    "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";

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

fn stand_in(v: &str) -> (&'static str, String, bool) {
    ("GENERIC_SECRET", v.to_string(), true)
}

#[test]
fn a_vendor_token_in_free_text_is_a_secret() {
    for (text, want) in [
        (format!("const webhookSign = \"{WHSEC}\"\n"), WHSEC),
        (format!("    X-Api-Key {GLPAT}\n"), GLPAT),
        (format!("'{HF}'\n"), HF),
        (format!("/config/payments/webhook_secret\n{NPM}\n"), NPM),
        (
            format!("WARNING: This command is using service account impersonation.\n{YA29}\n$ ls"),
            YA29,
        ),
        (format!("<string>{SHPAT}</string>"), SHPAT),
        (format!("set-header X-Api-Key {LIN}\n"), LIN),
        (
            format!("the signing secret {WHSEC_B64}, rotate it"),
            WHSEC_B64,
        ),
        (format!("gcloud printed {YA29}.\n"), YA29),
    ] {
        for t in both(&text) {
            let f = found(&t);
            assert!(f.contains(&real(want)), "{t}: {f:?}");
        }
    }
}

#[test]
fn a_vendor_stand_in_is_a_placeholder() {
    for v in [
        "hf_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "whsec_EXAMPLEEXAMPLEEXAMPLEEXAMPLE00",
        "whsec_EXAMPLE00000000000000000000000",
        "glpat-xxxxxxxxxxxxxxxxxxxx",
        "glpat-EXAMPLEEXAMPLE0000",
        "npm_EXAMPLE000000000000000000000000000000",
        "hf_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        for text in [
            format!("STRIPE_WEBHOOK_SECRET={v}\nHF_TOKEN={v}\n"),
            format!("# fallback key from README: {v}\nresp <- req_perform(req)"),
            format!("Docs show `{v}` as the format."),
        ] {
            for t in both(&text) {
                let f = found(&t);
                assert!(f.contains(&stand_in(v)), "{t}: {f:?}");
                assert!(f.iter().all(|x| x.2), "{t}: {f:?}");
            }
        }
        let body = format!(r#"{{"lint":{{"unset":"REPLACE_ME","webhook_example":"{v}"}}}}"#);
        let f = json_findings_checked(&body);
        assert_eq!(
            f,
            vec![("GENERIC_SECRET", "/lint/webhook_example".to_string())],
            "{body}"
        );
    }
}

#[test]
fn a_vendor_token_under_a_key_naming_no_secret_is_found_in_json() {
    for v in [GLPAT, WHSEC, HF] {
        let body = format!(r#"{{"signers":[{{"recipientId":"2","accessCode":"{v}"}}]}}"#);
        let f = json_findings_checked(&body);
        assert_eq!(
            f,
            vec![("GENERIC_SECRET", "/signers/0/accessCode".to_string())],
            "{body}"
        );
    }
}

#[test]
fn look_alikes_are_no_vendor_token() {
    for t in [
        // Inside a longer word, or after `-`.
        "conf_hf_Wg0xe0Zqbhs0nvHr6BOQGIn16rewL2f2KW",
        "my-hf_Wg0xe0Zqbhs0nvHr6BOQGIn16rewL2f2KW",
        "Xglpat-Je4q6sh26NCaCqP9ZNmj",
        // Too short a body, or one class only, or low entropy.
        "hf_abc123",
        "glpat-Je4q6sh26NCa",
        "npm_config_registry_mirror_url is set",
        "pypi-token.pypi is the key name",
        "whsec_abababababababababababab12",
        // Upper case is an environment variable's name, not the vendor's prefix.
        "HF_TOKEN_FOR_THE_INFERENCE_ENDPOINT",
        "NPM_CONFIG_USERCONFIG_PATH_LONG_NAME",
        "GLPAT-JE4Q6SH26NCACQP9ZNMJ",
        // `ya29` as a version; a field name of one class.
        "ya29.1.2",
        "ya29.settings_for_the_service",
    ] {
        for t in both(&format!("{t}\n")) {
            let f = found(&t);
            assert!(
                f.iter().all(|(_, v, _)| !(v.starts_with("hf_")
                    || v.starts_with("glpat-")
                    || v.starts_with("npm_")
                    || v.starts_with("pypi-")
                    || v.starts_with("whsec_")
                    || v.starts_with("ya29"))),
                "{t}: {f:?}"
            );
        }
    }
}

#[test]
fn an_openrouter_key_is_a_generic_secret() {
    for text in [
        format!("    api_base: https://openrouter.ai/api/v1\n    api_key: {OPENROUTER}\n"),
        format!("export OPENROUTER_API_KEY={OPENROUTER}\n"),
        format!("the key {OPENROUTER} leaked\n"),
    ] {
        for t in both(&text) {
            let f = found(&t);
            assert!(f.contains(&real(OPENROUTER)), "{t}: {f:?}");
            assert!(
                f.iter().all(|x| x.0 != Entity::OpenaiKey.name()),
                "{t}: {f:?}"
            );
        }
    }
    // OpenAI's own keys stay OPENAI_KEY.
    let openai = "sk-proj-xUYhgARuV8INdcZMCidoT3BlbkFJK39vbgm3Fb0zLZSNf5Vd";
    let f = found(&format!("the key {openai} leaked"));
    assert!(
        f.iter().any(|x| x.0 == "OPENAI_KEY" && x.1 == openai),
        "{f:?}"
    );
}

#[test]
fn every_cut_of_a_vendor_token_is_safe() {
    for v in [
        GLPAT,
        WHSEC_B64,
        YA29,
        "hf_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        OPENROUTER,
    ] {
        let text = format!("deploy key: none; sample {v}. done");
        for cut in 0..=text.len() {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let t = &text[..cut];
            let _ = found(t);
            let body = serde_json::json!({ "note": t, "webhook_example": t }).to_string();
            let _ = json_findings_checked(&body);
        }
    }
}
