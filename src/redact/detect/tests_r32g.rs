//! The thirty-second round's GENERIC_SECRET rules (issue #20, task gs;
//! `detect::evidence_r32g`): a Twilio SID and an Infisical record's name as no secret, a shell
//! parameter's default, OpenVPN's static key, a TSIG secret on `nsupdate -y`, Terraform's
//! `ses_smtp_password_v4`, Kafka Connect's `aws.secret.access.key`; and their look-alikes.

use super::tests_support::{
    assert_each_found, assert_none_found, both, found, json_findings_checked,
};
use crate::redact::entity::Entity;

#[test]
fn a_twilio_sid_is_no_secret_and_the_secret_beside_it_is() {
    let text = "$ cat ~/.twilio-cli/config.json\n    \"prod\": {\n      \"accountSid\": \"AC221ea38b249b9c1979e9730888562230\",\n      \"apiKey\": \"SK32ab97975f602722b8f0d574e1110587\",\n      \"apiSecret\": \"ikX4aB8zQ2wE5rT7yU9iO1pL3kJ6hG4f\"\n    }\n";
    for t in both(text) {
        assert_eq!(
            found(&t, Entity::GenericSecret),
            vec!["ikX4aB8zQ2wE5rT7yU9iO1pL3kJ6hG4f"],
            "{t}"
        );
    }
    assert_none_found(
        Entity::GenericSecret,
        &[
            "TWILIO_ACCOUNT_SID=AC221ea38b249b9c1979e9730888562230\n",
            "api_key: SK32ab97975f602722b8f0d574e1110587\n",
        ],
    );
    // Not a SID: upper-case hex, another length, another prefix.
    assert_each_found(
        Entity::GenericSecret,
        &[
            (
                "\"apiKey\": \"SK32AB97975F602722B8F0D574E1110587x\"",
                "SK32AB97975F602722B8F0D574E1110587x",
            ),
            (
                "\"apiKey\": \"XK32ab97975f602722b8f0d574e1110587\"",
                "XK32ab97975f602722b8f0d574e1110587",
            ),
        ],
    );
}

#[test]
fn a_shell_parameters_default_is_read_without_its_operator() {
    let key = "sk-ant-api03-Y6PC2VJ_plo0sUZF5kDZVscdeN2HhsmDFoohiG58dVyXynB1eBg8tos9ayys-RIw40LvCNNY53pXMBYaX6hLwbnu1BR4aAA";
    let text =
        format!("export ANTHROPIC_API_KEY=\"${{ANTHROPIC_API_KEY:-{key}}}\"\nmkdir -p ~/.ssh\n");
    for t in both(&text) {
        assert_eq!(found(&t, Entity::AnthropicKey), vec![key], "{t}");
        assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
    }
    assert_each_found(
        Entity::GenericSecret,
        &[
            (
                "export X=\"${API_TOKEN:-Zq9vB7xK2mP4nR8sT1wY3}\"\n",
                "Zq9vB7xK2mP4nR8sT1wY3",
            ),
            // Not inside `${`: the value as before.
            (
                "api_token:-Zq9vB7xK2mP4nR8sT1wY3\n",
                "-Zq9vB7xK2mP4nR8sT1wY3",
            ),
        ],
    );
    // No `}` on the line: as before, no panic.
    for t in both("X=${API_TOKEN:-Zq9vB7xK2mP4nR8sT1wY3\n") {
        let _ = found(&t, Entity::GenericSecret);
    }
}

#[test]
fn an_openvpn_static_key_is_a_generic_secret() {
    let body = "2ee91f7a2943edc9139b62f35bab9df0\n58d60395b6e1cd9000ce86c118dcc218\n2571f5c2af3b1039da1d44e782ec7da2";
    let text = format!(
        "<tls-auth>\n#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n{body}\n-----END OpenVPN Static key V1-----\n</tls-auth>\n"
    );
    for t in both(&text) {
        assert_eq!(found(&t, Entity::GenericSecret), vec![body], "{t}");
        assert!(found(&t, Entity::PrivateKey).is_empty(), "{t}");
    }
    assert_none_found(
        Entity::GenericSecret,
        &[
            // No footer, a placeholder body, too short.
            "-----BEGIN OpenVPN Static key V1-----\n2ee91f7a2943edc9139b62f35bab9df0\n",
            "-----BEGIN OpenVPN Static key V1-----\n...\n-----END OpenVPN Static key V1-----\n",
            "-----BEGIN OpenVPN Static key V1-----\n2ee91f7a\n-----END OpenVPN Static key V1-----\n",
            "-----BEGIN OpenVPN Static key V1-----",
        ],
    );
    // A private key whose label starts with `O` is still one.
    let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";
    assert_eq!(found(pem, Entity::PrivateKey), vec![pem]);
}

#[test]
fn a_tsig_secret_on_nsupdates_command_line_is_found() {
    assert_each_found(
        Entity::GenericSecret,
        &[
            (
                "// serial 2026102707 \u{2014} nsupdate -y hmac-sha256:acme-update:D5vbmxKwKmWnviSU3t7XlaKfk1n5Sr9xJRHI7OatiA4=\n",
                "D5vbmxKwKmWnviSU3t7XlaKfk1n5Sr9xJRHI7OatiA4=",
            ),
            (
                "nsupdate -y hmac-md5:ddns.example.org:N1sMZzePJfvO5+sjbT4xpJ/CqKzb -v update.txt",
                "N1sMZzePJfvO5+sjbT4xpJ/CqKzb",
            ),
            (
                "dig @ns1 example.org AXFR -y hmac-sha512:tsig-xfer:8EzcpqmJPpp7+Jz2cAZ2MeM54GNFxpTEgwSJnNF2Dmc=\n",
                "8EzcpqmJPpp7+Jz2cAZ2MeM54GNFxpTEgwSJnNF2Dmc=",
            ),
        ],
    );
    assert_none_found(
        Entity::GenericSecret,
        &[
            // No `-y` before, a short secret, no name, another flag.
            "algorithm hmac-sha256:acme-update:D5vbmxKwKmWnviSU3t7XlaKfk1n5Sr9xJRHI7OatiA4=\n",
            "nsupdate -y hmac-sha256:acme-update:D5vbmx\n",
            "nsupdate -y hmac-sha256::D5vbmxKwKmWnviSU3t7XlaKfk1n5Sr9xJRHI7OatiA4=\n",
            "tool -xy hmac-sha256:acme-update:D5vbmxKwKmWnviSU3t7XlaKfk1n5Sr9xJRHI7OatiA4=\n",
            "nsupdate -y hmac-sha256:",
            "nsupdate -y hmac-sha256:acme-update:",
        ],
    );
}

#[test]
fn terraforms_ses_smtp_password_is_a_generic_secret() {
    assert_each_found(
        Entity::GenericSecret,
        &[(
            "resource \"aws_iam_access_key\" \"ci\" {\n    ses_smtp_password_v4 = \"BgJjF2HVhwbSu8W63TEd2JuQWRnGmutQa0ExIKiouJQj\"\n    status = \"Active\"\n}\n",
            "BgJjF2HVhwbSu8W63TEd2JuQWRnGmutQa0ExIKiouJQj",
        )],
    );
    assert_none_found(
        Entity::GenericSecret,
        &[
            "    ses_smtp_password_v4 = (sensitive value)\n",
            "    ses_smtp_password_v4 = \"short\"\n",
            "    xses_smtp_password_v4 = \"BgJjF2HVhwbSu8W63TEd2JuQWRnGmutQa0ExIKiouJQj\"\n",
            "ses_smtp_password_v4",
        ],
    );
    for t in both("    ses_smtp_password_v4 = \"BgJjF2HVhwbSu8W63TEd2JuQWRnGmutQa0ExIKiouJQj\"\n") {
        assert!(found(&t, Entity::Password).is_empty(), "{t}");
    }
}

#[test]
fn kafka_connects_dotted_secret_access_key_is_found() {
    assert_each_found(
        Entity::GenericSecret,
        &[(
            "[2026-12-12 21:12:57,973] INFO REST request body: {\"config\":{\"aws.secret.access.key\":\"h/nPJbHzuBRfrslN4kHCSflQDvsgKb16LOrih+Js\"}}\n",
            "h/nPJbHzuBRfrslN4kHCSflQDvsgKb16LOrih+Js",
        )],
    );
    assert_none_found(
        Entity::GenericSecret,
        &[
            "\taws.secret.access.key = [hidden]\n",
            "{\"config\":{\"aws.access.key.id\":\"AKIAL6UAUBNCCYBS3ILM\"}}\n",
        ],
    );
}

#[test]
fn an_infisical_records_name_is_no_secret_and_names_its_value() {
    let body = r#"{"secrets":[{"id":"bc79767f","secretKey":"INTERNAL_SERVICE_JWT","secretValue":"plain-words-here","type":"shared"},{"id":"ddc2","secretKey":"DB_PASSWORD","secretValue":"velo-ostsee-delta-pingu28","type":"personal"}]}"#;
    let got = json_findings_checked(body);
    assert_eq!(
        got,
        vec![("PASSWORD", "/secrets/1/secretValue".to_string())],
        "{body}"
    );
    // `secretKey` holding a secret with no `secretValue` beside it is still one.
    let body = r#"{"accessKey":"AKIAL6UAUBNCCYBS3ILM","secretKey":"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"}"#;
    let got = json_findings_checked(body);
    assert!(
        got.iter()
            .any(|(e, p)| *e == "GENERIC_SECRET" && p == "/secretKey"),
        "{got:?}"
    );
}

#[test]
fn librechats_user_provided_is_no_secret() {
    assert_none_found(
        Entity::GenericSecret,
        &[
            "GOOGLE_KEY=user_provided\n# ASSISTANTS_API_KEY=user_provided\nJWT_SECRET=x\n",
            "OPENAI_API_KEY=user_provided\n",
        ],
    );
    assert_each_found(
        Entity::GenericSecret,
        &[(
            "api_key=user_provided_Zq9vB7xK2mP4\n",
            "user_provided_Zq9vB7xK2mP4",
        )],
    );
}

#[test]
fn a_bugsnag_reports_api_key_is_no_secret() {
    let body = r#"{"apiKey":"97a6e220e4df8a540a0c602e320d0496","events":[{"exceptions":[{"errorClass":"Faraday::UnauthorizedError","message":"the server responded with status 401"}]}]}"#;
    let got = json_findings_checked(body);
    assert!(!got.iter().any(|(e, _)| *e == "GENERIC_SECRET"), "{got:?}");
    // Without `events` beside it, an `apiKey` is a secret as before.
    let body = r#"{"apiKey":"97a6e220e4df8a540a0c602e320d0496","project":"web"}"#;
    let got = json_findings_checked(body);
    assert!(
        got.iter()
            .any(|(e, p)| *e == "GENERIC_SECRET" && p == "/apiKey"),
        "{got:?}"
    );
}
