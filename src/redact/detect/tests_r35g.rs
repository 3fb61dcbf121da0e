//! The thirty-fifth round's GENERIC_SECRET rules (issue #20, task gs;
//! `detect::evidence_r35g`): Langfuse's `sk-lf-<uuid>` secret key, a vendor's token as `-p`'s
//! argument after `-u USER` (`twine upload -u __token__ -p pypi-…`); their look-alikes and
//! cut inputs.

use super::tests_support::{assert_none_found, both, found, json_findings_checked};
use crate::redact::entity::Entity;

const LF_SECRET: &str = "sk-lf-f1dbc6cf-f99c-40e3-a293-81e60002fd3f";
const LF_PUBLIC: &str = "pk-lf-d42bdfd6-5820-49fb-a6aa-88253ad97222";

#[test]
fn langfuses_secret_key_is_a_generic_secret_not_an_openai_key() {
    for text in [
        format!("LANGFUSE_PUBLIC_KEY={LF_PUBLIC}\nLANGFUSE_SECRET_KEY={LF_SECRET}\nLANGFUSE_HOST=https://cloud.langfuse.com\n"),
        format!("langfuse = Langfuse(public_key=\"{LF_PUBLIC}\", secret_key=\"{LF_SECRET}\")\n"),
        format!("the key {LF_SECRET} was rotated"),
    ] {
        for t in both(&text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![LF_SECRET], "{t}");
            assert!(found(&t, Entity::OpenaiKey).is_empty(), "{t}");
        }
    }
    let body = format!("{{\"env\":{{\"LANGFUSE_PUBLIC_KEY\":\"{LF_PUBLIC}\",\"LANGFUSE_SECRET_KEY\":\"{LF_SECRET}\"}}}}");
    assert_eq!(
        json_findings_checked(&body),
        vec![("GENERIC_SECRET", "/env/LANGFUSE_SECRET_KEY".to_string())],
        "{body}"
    );
}

#[test]
fn langfuse_look_alikes_and_openai_keys_keep_their_reading() {
    // The public key is no secret.
    assert_none_found(
        Entity::GenericSecret,
        &["LANGFUSE_PUBLIC_KEY=pk-lf-d42bdfd6-5820-49fb-a6aa-88253ad97222\n"],
    );
    // An OpenAI key stays an OpenAI key.
    let openai = "sk-proj-YriLhalqjBw9VOE8s4SlCmX67h5-85GqFYEz-9NsiAfZBR3O6OOF7Xc3lk3Bg7g";
    for t in both(&format!("OPENAI_API_KEY={openai}\n")) {
        assert_eq!(found(&t, Entity::OpenaiKey), vec![openai], "{t}");
        assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
    }
    // Not a UUID after `sk-lf-` (upper case, a dash misplaced, a byte more): not this rule.
    for body in [
        "lf-F1DBC6CF-F99C-40E3-A293-81E60002FD3F",
        "lf-f1dbc6cff-99c-40e3-a293-81e60002fd3f",
        "lf-f1dbc6cf-f99c-40e3-a293-81e60002fd3fa",
        "lf-f1dbc6cf-f99c-40e3-a293",
        "lf-",
        "",
    ] {
        assert!(
            !super::evidence_r35g::langfuse_secret_key(body.as_bytes()),
            "{body}"
        );
    }
    assert!(super::evidence_r35g::langfuse_secret_key(
        &LF_SECRET.as_bytes()[3..]
    ));
}

#[test]
fn langfuse_text_cut_anywhere_does_not_panic() {
    let text = format!("LANGFUSE_SECRET_KEY={LF_SECRET}\n");
    for cut in 0..=text.len() {
        let t = &text[..cut];
        let got = found(t, Entity::GenericSecret);
        assert!(got.len() <= 1, "{t}");
        let body = format!("{{\"k\":{}}}", serde_json::Value::from(t));
        let _ = json_findings_checked(&body);
    }
}

const PYPI: &str = "pypi-AgEIcHlwaS5vcmcZ9nRhTu2x1yzDR1T9o7RBL3C-P-TbcUoRFrKHrhAG8WN6iXkJhbAgHZMMr9Mku66cn2XMUAFk443nDSIcHwC8xiUo7syGvuavTIoKRSpZ7kFRhQtC_uSLYTV91QvOhg3jESQLF_23CYn1x9hUB3YvqGUznw7SpoC";

#[test]
fn a_pypi_token_after_the_token_user_is_a_generic_secret() {
    for text in [
        format!("$ twine upload -u __token__ -p {PYPI} dist/*\nUploading distributions to https://upload.pypi.org/legacy/\n"),
        format!("$ twine upload -u __token__ -p {PYPI}\n"),
        format!("twine upload -u __token__ -p {PYPI}\n"),
        "docker login registry.gitlab.com -u ci -p glpat-Je4q6sh26NCaCqP9ZNmj\n".to_string(),
    ] {
        let token = text.split(" -p ").nth(1).and_then(|r| r.split([' ', '\n']).next()).unwrap_or_default();
        for t in both(&text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![token], "{t}");
            assert!(found(&t, Entity::Password).is_empty(), "{t}");
        }
    }
    let body = format!("{{\"cmd\":\"twine upload -u __token__ -p {PYPI} dist/*\"}}");
    assert_eq!(
        json_findings_checked(&body),
        vec![("GENERIC_SECRET", "/cmd".to_string())],
        "{body}"
    );
}

#[test]
fn a_password_after_a_user_flag_stays_a_password() {
    for t in both("docker login -u ci -p S3cr3tPassw0rd!\n") {
        assert_eq!(found(&t, Entity::Password), vec!["S3cr3tPassw0rd!"], "{t}");
        assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
    }
    // A prefix with too short a body, a token glued to more text: not a vendor's token.
    assert_none_found(
        Entity::GenericSecret,
        &[
            "twine upload -u __token__ -p pypi-short\n",
            "twine upload -u __token__ -p pypi-AgEIcHlwaS5vcmcZ9nRhTu2x1yz;rm\n",
        ],
    );
}

#[test]
fn a_twine_line_cut_anywhere_does_not_panic() {
    let text = format!("twine upload -u __token__ -p {PYPI}\n");
    for cut in 0..=text.len() {
        let t = &text[..cut];
        let got = found(t, Entity::GenericSecret);
        assert!(got.len() <= 1, "{t}");
        let body = format!("{{\"cmd\":{}}}", serde_json::Value::from(t));
        let _ = json_findings_checked(&body);
    }
}
