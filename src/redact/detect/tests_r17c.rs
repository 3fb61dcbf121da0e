//! The seventeenth round's secrets by name and shape (issue #20, task C), measured on every
//! split's misses: a credential word anywhere in a name of several words (`writeKey`,
//! `bot_token_used`, `APP_KEYS`, `API_TOKEN_SALT`) makes a value of a secret's shape under
//! it a GENERIC_SECRET; the look-alikes under such names (hashes, UUIDs, git SHAs, request
//! ids, base64 of no secret, ids and references) stay unfound.

use super::tests_support::{found, json_findings_checked as json_findings};
use crate::redact::entity::Entity;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_credential_word_inside_a_name_makes_a_random_value_a_secret() {
    // Segment's `writeKey`, a bot's `bot_token_used`, Strapi's `APP_KEYS` and
    // `API_TOKEN_SALT`, a dotted Spark setting; base64, hex and dotted tokens.
    let body = r#"{"batch":[{"type":"identify"}],"writeKey":"fcec938d.wfarAOJdB6MFvTYkX7jnbgrasyYCkBewklSi","bot_token_used":"yE+7qIVlyXp3jGWQKqmHnoeIPQgf/ZINqmbnvBvv","env":{"APP_KEYS":"AbXW2+7ZsWgwzWrGVw2k52xAWQGOfH1mHuQCHxM8jp0=","API_TOKEN_SALT":"8AIv54CnfIjKDXDhDmAH3QVU8ODfbvZSwX6","spark.hadoop.fs.s3a.secret.key":"6Ik1veuNWp2sU9kF+tIrwKg2ORelWcfLUomkeX1O"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/bot_token_used"),
            s("GENERIC_SECRET", "/env/API_TOKEN_SALT"),
            s("GENERIC_SECRET", "/env/APP_KEYS"),
            s("GENERIC_SECRET", "/env/spark.hadoop.fs.s3a.secret.key"),
            s("GENERIC_SECRET", "/writeKey"),
        ]
    );
}

#[test]
fn values_of_no_secret_shape_under_such_names_stay_unfound() {
    // Templates, placeholders, words, short values, a passphrase of lower-case words: the
    // shape test (`secret_token_at`) is what turns them away. A model's token counts
    // (`max_tokens`, `input_tokens`) are no credential's name.
    for body in [
        r#"{"writeKey":"${SEGMENT_WRITE_KEY}","bot_token_used":"<your-bot-token>","APP_KEYS":"changeme"}"#,
        r#"{"max_tokens":"4096","input_tokens":"Zr8Kp3Lq9Wt2Vn5xQ7","usage":{"output_tokens":"812"}}"#,
        r#"{"api_token_salt":"tobemodified","group_keys":"billing","tls_keys":"managed-by-cert-manager"}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn look_alikes_under_names_of_a_reference_stay_unfound() {
    // A key's id (hex), a token's URI, a secret's ARN path and type, a public key, a
    // key's fingerprint, a request id, a sync cursor, a parameter's name, an issue key,
    // a git SHA under a key's name, a UUID under a key id, base64 of a public key.
    for body in [
        r#"{"private_key_id":"023c188f5644a88a58abca5d4b3bde73bae1f975","token_uri":"https://oauth2.googleapis.com/token","secret_type":"aws_access_key_id","SecretId":"prod/orders/config"}"#,
        r#"{"public_key":"ADt6K5lJ49rR7O1525kqX7M5Lh5yMM1yhayZ+7pV2gY=","public_key_fingerprint":"SHA256:zuVNW/Nfne8iysT97JOmCZFTIQ4mLHbeD2t6G5IJRtE","key_request_id":"req_8f3a9c2b7d4e1f60a5b3","nextSyncToken":"NxHN_Kjw2410jGnSgdgEuocowsBQLyM67oh7YZ7Q"}"#,
        r#"{"ParameterKey":"PasswordMinLength","issueKey":"ITSD-99439","key_commit_sha":"9fceb02d0ae598e95dc970b74767f19372d61af8","api_key_id":"3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c3d"}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn a_dotted_settings_secret_key_is_the_secret() {
    // `spark-submit --conf spark.hadoop.fs.s3a.secret.key=…` (the access key beside it is
    // the AWS rule's).
    let text = "$ spark-submit --master yarn \\\n    --conf spark.hadoop.fs.s3a.access.key=AKIAHEIEELK56WNEETWV \\\n    --conf spark.hadoop.fs.s3a.secret.key=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 \\\n";
    assert_eq!(
        found(text, Entity::GenericSecret),
        vec!["6Ik1veuNWp2sU9kF+tIrwKg2ORelWcfLUomkeX1O"]
    );
    // A dotted name ending in `key` whose value is a path, a public key's, a partition's,
    // a git SHA's name: none.
    for text in [
        "ssl.key=/etc/ssl/private/server.key\n",
        "tls.public.key=ADt6K5lJ49rR7O1525kqX7M5Lh5yMM1yhayZ+7pV2gY=\n",
        "kafka.partition.key=customer_4471_region_eu\n",
        "message.key=order-2024-001234\n",
    ] {
        assert_eq!(
            found(text, Entity::GenericSecret),
            Vec::<String>::new(),
            "{text}"
        );
    }
}
