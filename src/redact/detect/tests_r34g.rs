//! The thirty-fourth round's GENERIC_SECRET rules (issue #20, task gs;
//! `detect::evidence_r34g`): Laravel's `APP_KEY=base64:…`, age's key file, npm's token
//! table, a Terraform plan's in-place change; and their look-alikes.

use super::tests_support::{
    assert_each_found, assert_none_found, both, found, json_findings_checked,
};
use crate::redact::entity::Entity;

#[test]
fn laravels_app_key_is_the_base64_after_its_prefix() {
    assert_each_found(
        Entity::GenericSecret,
        &[
            (
                "APP_NAME=Shop\nAPP_ENV=production\nAPP_KEY=base64:FNgHJa/uzg2ct6UAqfq7LpzUkWXABHPn+w3PYNw/KYw=\nAPP_URL=https://shop.example.com\n",
                "FNgHJa/uzg2ct6UAqfq7LpzUkWXABHPn+w3PYNw/KYw=",
            ),
            // AES-128's 16 bytes.
            (
                "APP_KEY=base64:q3Xb8Vd2LmN9pR4tY7wZ1A==\n",
                "q3Xb8Vd2LmN9pR4tY7wZ1A==",
            ),
        ],
    );
    // Not a key's length, a public key's name, no prefix's value, the prefix alone.
    assert_none_found(
        Entity::GenericSecret,
        &[
            "APP_KEY=base64:abc\n",
            "APP_KEY=base64:\n",
            "APP_KEY=base64:FNgHJa/uzg2ct6UAqfq7LpzUkWXABHPn+w3PYNw/KYwAB=\n",
            "VAPID_PUBLIC_KEY=base64:FNgHJa/uzg2ct6UAqfq7LpzUkWXABHPn+w3PYNw/KYw=\n",
            "encoding: base64:FNgHJa/uzg2ct6UAqfq7LpzUkWXABHPn+w3PYNw/KYw=\n",
        ],
    );
}

const AGE_ID: &str = "AGE-SECRET-KEY-1Q8J4SAT9MQQ60NDHH2LAUYKR54SXQ3CUDMUDMTWUZ8X6Q47QST0AA2U0VV";
const AGE_PUB: &str = "age1p0a2x5ke8vhl5ga89ajtpalutqk0lgqflje40mrn3zhrhtj4079vwzanjh";

#[test]
fn an_age_key_files_identity_after_its_public_key_comment() {
    for text in [
        format!("$ cat key.txt\n# created: 2027-01-02T00:14:00.674Z\n# public key: {AGE_PUB}\n{AGE_ID}\n$ sops --encrypt --age {AGE_PUB} secrets.yaml\n"),
        format!("# public key: age1\u{2026}\r\n{AGE_ID}\r\n"),
    ] {
        for t in both(&text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![AGE_ID], "{t}");
        }
    }
    let body = format!(
        "{{\"log\":\"# created: 2027-01-02T00:14:00Z\\n# public key: {AGE_PUB}\\n{AGE_ID}\\n\"}}"
    );
    assert_eq!(
        json_findings_checked(&body),
        vec![("GENERIC_SECRET", "/log".to_string())],
        "{body}"
    );
    // The public key alone (age-keygen's `Public key: …` on stderr), an identity cut short or
    // in lower case, one that is not on the next line.
    let short = &AGE_ID[..40];
    let lower = AGE_ID.to_ascii_lowercase();
    for text in [
        format!("$ age-keygen -o key.txt\nPublic key: {AGE_PUB}\n$ cat key.txt\n"),
        format!("# public key: {AGE_PUB}\n{short}\n"),
        format!("# public key: {AGE_PUB}\n{AGE_ID}X\n"),
        format!("# public key: {AGE_PUB}\n{lower}\n"),
        format!("# public key: {AGE_PUB}\n\n{AGE_ID}\n"),
        format!("# public key: ssh-ed25519 AAAA\n{AGE_ID}\n"),
    ] {
        for t in both(&text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
        }
    }
}

#[test]
fn npms_token_table_row() {
    let token = "npm_zF2OOOA7KqzMkPVjMZnEy8gdprx8eKM0IPkd";
    let table = |cell: &str| {
        format!(
            "$ npm token create\n\u{250c}\u{2500}\u{2500}\u{252c}\u{2500}\u{2500}\u{2510}\n\u{2502} token          \u{2502} {cell} \u{2502}\n\u{251c}\u{2500}\u{2500}\u{253c}\u{2500}\u{2500}\u{2524}\n\u{2502} readonly       \u{2502} false                                    \u{2502}\n"
        )
    };
    for text in [table(token), format!("| token          | {token} |\n")] {
        for t in both(&text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![token], "{t}");
        }
    }
    // Not a vendor's token, a prefix too short, `token` not the row's first cell.
    for text in [
        table("a73c9572-f1b9-8983-983d-ba3ac3cc913d"),
        table("npm_ci_cache"),
        "\u{2502} name \u{2502} token \u{2502} npm_ci \u{2502}\n".to_string(),
    ] {
        for t in both(&text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
        }
    }
}

#[test]
fn a_terraform_plans_new_value_not_its_old_one() {
    let new = "mFy8RF00jP8ySzx9orJqgqzj1d-8s3LyeZ61TiwFa6ILZbddm6YwXzzfh7drBLra";
    for old in [
        "[hidden]",
        "ghp_\u{2026}",
        "changeme",
        "(set in vault)",
        "$env:GITHUB_TOKEN",
    ] {
        let text = format!(
            "  # aws_lambda_function.sync will be updated in-place\n  ~ resource \"aws_lambda_function\" \"sync\" {{\n      ~ environment {{\n          ~ variables = {{\n              ~ \"HUBSPOT_TOKEN\" = \"{old}\" -> \"{new}\"\n            }}\n        }}\n    }}\n"
        );
        for t in both(&text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![new], "{t}");
        }
    }
    // A change of no secret's shape, under no secret's name, under a password's name (no
    // GENERIC_SECRET).
    assert_none_found(
        Entity::GenericSecret,
        &[
            "  ~ \"API_TOKEN\" = \"v1\" -> \"v2\"\n",
            "  ~ \"LOG_LEVEL\" = \"info\" -> \"mFy8RF00jP8ySzx9orJqgqzj1d\"\n",
            "  ~ \"DB_PASSWORD\" = \"[hidden]\" -> \"Zq8vLr2Tn5Wm\"\n",
        ],
    );
}

#[test]
fn hostile_inputs_end_anywhere() {
    for text in [
        "# public key: age1",
        "# public key: age1\n",
        "# public key: age1\nAGE-SECRET-KEY-1",
        "# public key: age1\\",
        "key: age1",
        "\u{2502} token ",
        "\u{2502} token \u{2502}",
        "| token | npm_",
        "token \u{2502}",
        "\"A_TOKEN\" = \"x\" -> \"",
        "\"A_TOKEN\" = \"x\" ->",
        "\"A_TOKEN\" = \"x",
        "APP_KEY=base64:",
        "APP_KEY=base64",
        "ey: age1",
    ] {
        for t in [text.to_string(), format!("{text}{text}")] {
            let _ = found(&t, Entity::GenericSecret);
        }
    }
}
