//! The twelfth round's rules for secrets, passwords and placeholders (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::{found, hits, json_findings};
use super::*;

#[test]
fn mcp_progress_tokens_are_no_secrets() {
    // MCP's `_meta.progressToken`: the id a client picks to match progress notifications to
    // its request (a number or a string), no credential.
    let body = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search","arguments":{"q":"x"},"_meta":{"progressToken":"462193"}}}"#;
    assert_eq!(json_findings(body), vec![]);
    let body = r#"{"params":{"_meta":{"progress_token":"a7f3k2m9q8w4e6r1t5y0"}}}"#;
    assert_eq!(json_findings(body), vec![]);
    for text in [
        r#"{"_meta":{"progressToken":"462193"}}"#,
        "progressToken=abc123def456ghi789jk",
        "progress_token: 8bbb63cd-245e-4d6d-ac30-accaa2ca03f9",
    ] {
        assert_eq!(
            found(text, Entity::GenericSecret),
            Vec::<String>::new(),
            "{text}"
        );
    }
    // Look-alikes: a token whose name only ends the same stays a secret.
    let body = r#"{"_meta":{"progressToken":"462193"},"auth":{"access_token":"x9Kq2LmP4vR8sT1wY6zB3nD5","token":"Qx7Lm2Rt9Vb4Nc8Ws1Pz"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            ("GENERIC_SECRET", "/auth/access_token".to_string(), false),
            ("GENERIC_SECRET", "/auth/token".to_string(), false)
        ]
    );
    assert_eq!(
        found("token=Qx7Lm2Rt9Vb4Nc8Ws1Pz", Entity::GenericSecret),
        vec!["Qx7Lm2Rt9Vb4Nc8Ws1Pz"]
    );
}

#[test]
fn a_pointer_to_a_password_manager_is_no_password() {
    for text in [
        "Vendor: Miranda PLC. password: see 1Password vault 'Finance'\nnext line",
        "Passwort: siehe KeePass2024 Eintrag 'Bank'",
        "password: see Bitwarden4 entry",
        "the password is see 1Password",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text}"
        );
    }
    // Look-alikes: a password after a connector and one plain word stays found, and so does
    // one stated straight after the colon.
    for (text, want) in [
        ("het wachtwoord is nu Zomer2024!x", "Zomer2024!x"),
        ("password: Tr0ub4dor&3x", "Tr0ub4dor&3x"),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
}

#[test]
fn key_value_pairs_name_their_secret() {
    // A Postman environment, a CI variables API, a container's `env` list: the secret's name
    // in `"key"` or `"name"`, its value in the `"value"` member after it.
    for (text, entity, want) in [
        (
            r#"{"values":[{"key":"DB_PASSWORD","value":"SOXR_nqQJvfJDGBayVg","type":"secret","enabled":true}]}"#,
            Entity::Password,
            "SOXR_nqQJvfJDGBayVg",
        ),
        (
            r#"[{"key":"SMTP_PASS","value":"B00m3r4ng77","type":"secret"}]"#,
            Entity::Password,
            "B00m3r4ng77",
        ),
        (
            r#"{"env":[{"name": "REDIS_PASSWORD", "value": "Molinillo1145_"}]}"#,
            Entity::Password,
            "Molinillo1145_",
        ),
        (
            r#"[{"key":"SIGNING_KEY","value":"LHrO5NTZ2ehFxvoeBxGPcRgiwTlz6to512qGOBfh","type":"secret"}]"#,
            Entity::GenericSecret,
            "LHrO5NTZ2ehFxvoeBxGPcRgiwTlz6to512qGOBfh",
        ),
        (
            r#"[{"key":"AUTH_TOKEN","value":"JKF5Q~fm96Sa5y_DB6hl89jfHDVrrQw1Pi0vqkQX"}]"#,
            Entity::GenericSecret,
            "JKF5Q~fm96Sa5y_DB6hl89jfHDVrrQw1Pi0vqkQX",
        ),
        (
            r#"[{"key":"encryption_key","value":"54c9fad0f1ff2c168c861f8e4f5b30d7a62622c9"}]"#,
            Entity::GenericSecret,
            "54c9fad0f1ff2c168c861f8e4f5b30d7a62622c9",
        ),
        (
            r#"[{"key":"SESSION_COOKIE","value":"qq4dxz4ujyl8ure3vt51yp5fse88lw95"}]"#,
            Entity::GenericSecret,
            "qq4dxz4ujyl8ure3vt51yp5fse88lw95",
        ),
    ] {
        assert_eq!(found(text, entity), vec![want], "{text}");
    }
    // Look-alikes: a pair naming no secret, a secret's name not right before the value, a
    // `value` under another member name, and a reference instead of the value.
    for text in [
        r#"[{"key":"BASE_URL","value":"https://api.example.com/v2","type":"default"}]"#,
        r#"[{"key":"REGION","value":"eu-west-1"}]"#,
        r#"[{"key":"DB_PASSWORD","type":"secret","enabled":true},{"key":"LIMIT","value":"Qx7-Lm2"}]"#,
        r#"[{"label":"DB_PASSWORD","value":"Sommer2025"}]"#,
        r#"[{"key":"DB_PASSWORD","value":"{{db_password}}"}]"#,
        r#"[{"name":"SMTP_PASS","value":"${SMTP_PASS}"}]"#,
        r#"[{"key":"boarding_pass_count","value":"12"}]"#,
    ] {
        assert_eq!(hits(text), vec![], "{text}");
    }
}

#[test]
fn encryption_keys_are_json_secret_keys() {
    let body = r#"{"variables":{"encryption_key":"bSUTmpNL78GibsTdEsNDRDCz5tPc1iweBE8sWrIhHkXj","HMAC_KEY":"x9Kq2LmP4vR8sT1wY6zB3nD5","LOG_LEVEL":"info"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            (
                "GENERIC_SECRET",
                "/variables/encryption_key".to_string(),
                false
            ),
            ("GENERIC_SECRET", "/variables/HMAC_KEY".to_string(), false)
        ]
    );
    // Look-alikes: a key's id or algorithm is no key.
    let body = r#"{"encryption_key_id":"alias/prod","encryption_algorithm":"AES256","master_key_arn":"arn:aws:kms:eu-west-1:123456789012:key/abc"}"#;
    assert_eq!(json_findings(body), vec![]);
}
