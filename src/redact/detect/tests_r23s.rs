//! The twenty-third round's secrets by evidence a writer cannot vary (issue #20, task sec;
//! `detect::evidence_r23s`): a password beside a user named `token` is a token, a Redis
//! command's key and a UUID under a session's name are no secrets, and the answer to the AWS
//! CLI's `Secret Access Key [None]:` prompt and a HAR cookie named `sid` are ones. Each with the look-alikes that share its
//! words or its shape.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

/// Not hex: 32 or more hex digits under a password's name are a GENERIC_SECRET by their shape
/// alone (`evidence_r23p`), which would hide what these tests pin.
const TOKEN: &str = "Qm7xT2vR9pL4kW8zN3bY6cF1hJ5sD0gA";

#[test]
fn a_password_beside_a_user_named_token_is_a_token() {
    // Composer's auth.json for Private Packagist, as text (a pasted file).
    let text = format!(
        "{{\n    \"http-basic\": {{\n        \"repo.packagist.com\": {{\n            \"username\": \"token\",\n            \"password\": \"{TOKEN}\"\n        }}\n    }}\n}}\n"
    );
    assert_eq!(gs(&text), vec![TOKEN]);
    assert!(pw(&text).is_empty(), "{text}");
    // One line, single quotes, the other conventions' user names.
    for user in [
        "token",
        "__token__",
        "x-access-token",
        "x-token-auth",
        "oauth2",
    ] {
        let text = format!("{{'username': '{user}', 'password': '{TOKEN}'}}");
        assert_eq!(gs(&text), vec![TOKEN], "{text}");
        assert!(pw(&text).is_empty(), "{text}");
    }
    // Look-alikes: another user's password stays a PASSWORD, and so does one whose user
    // merely holds the word (`tokenadmin`), or whose `token` is another member's value.
    for text in [
        format!("{{\"username\": \"deploy\", \"password\": \"{TOKEN}\"}}"),
        format!("{{\"username\": \"tokenadmin\", \"password\": \"{TOKEN}\"}}"),
        format!("{{\"auth\": \"token\", \"password\": \"{TOKEN}\"}}"),
        format!("{{\"username\": \"token\", \"email\": \"a@b.io\", \"password\": \"{TOKEN}\"}}"),
    ] {
        assert_eq!(pw(&text), vec![TOKEN], "{text}");
        assert!(gs(&text).is_empty(), "{text}");
    }
}

#[test]
fn a_redis_commands_key_is_no_secret() {
    for text in [
        "$ redis-cli -h 10.19.192.248 -p 6379\nredis:6379> GET session:9052538f55b8cc069ea6cda7\n\"{}\"\n",
        "> TTL session:7a0265684b5d40da56570f94\n(integer) 3411\n",
        "redis> GET session:37b128b0f95d5b2f\n",
        "127.0.0.1:6379> del session:37b128b0f95d5b2f\n",
    ] {
        assert!(gs(text).is_empty(), "{text}");
    }
    // Look-alikes: a session cookie or setting is still a secret, with or without a blank.
    for (text, secret) in [
        (
            "Cookie: session=9052538f55b8cc069ea6cda7Xk9mQ2pL; theme=dark\n",
            "9052538f55b8cc069ea6cda7Xk9mQ2pL",
        ),
        (
            "session: Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n",
            "Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a",
        ),
        (
            "FORGET session:Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n",
            "Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a",
        ),
    ] {
        assert_eq!(gs(text), vec![secret], "{text}");
    }
}

#[test]
fn a_uuid_under_a_sessions_name_is_no_secret() {
    for text in [
        "Dec 21 22:32:41 mq-fra billing-api[4128]: login ok user=a@b.nl ip=118.93.165.12 session=b7cfa64f-b3b4-49cb-941a-f3abd2a8b00e\n",
        "sid=c978dca0-5817-4e9e-a8e9-cc95d97a4ddc; theme=dark\n",
        "session_id: 116E6ADC-5F37-4EA4-94EF-2BA8BAEBBC83\n",
    ] {
        assert!(gs(text).is_empty(), "{text}");
    }
    // Look-alikes: a session token of another shape is a secret, and so is a UUID under a
    // secret's name that is no session's (`api_key`: vendors issue UUID keys).
    assert_eq!(
        gs("session=b7cfa64f-b3b4-49cb-941a-f3abd2a8b00eXk9mQ2pL7vR4\n"),
        vec!["b7cfa64f-b3b4-49cb-941a-f3abd2a8b00eXk9mQ2pL7vR4"]
    );
    assert_eq!(
        gs("session=Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n"),
        vec!["Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"]
    );
    assert_eq!(
        gs("api_key=b7cfa64f-b3b4-49cb-941a-f3abd2a8b00e\n"),
        vec!["b7cfa64f-b3b4-49cb-941a-f3abd2a8b00e"]
    );
}

#[test]
fn the_aws_cli_prompts_answer_is_a_secret() {
    let text = "$ aws configure --profile billing\nAWS Access Key ID [None]: AKIA46OJO7E2TNQWQKMN\nAWS Secret Access Key [None]: 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\nDefault region name [None]: eu-west-1\n";
    assert_eq!(gs(text), vec!["HzzK374l2ajim43eydkcBh8ZSOKheM0t065uBVZG"]);
    let text =
        "AWS Secret Access Key [****************t065]: rBQ42B9aYbldDdhNBipf+tw4tSjA3wGgNGCMEFjO\n";
    assert_eq!(gs(text), vec!["rBQ42B9aYbldDdhNBipf+tw4tSjA3wGgNGCMEFjO"]);
    // Look-alikes: a prompt left empty or answered with a word, brackets with no colon
    // after them, and a bracket running past the line.
    for text in [
        "AWS Secret Access Key [None]: \nDefault region name [None]: eu-west-1\n",
        "AWS Secret Access Key [None]: none\n",
        "secret key [see vault] HzzK374l2ajim43eydkcBh8ZSOKheM0t065uBVZG\n",
        "secret key [see\nvault]: HzzK374l2ajim43eydkcBh8ZSOKheM0t065uBVZG\n",
    ] {
        assert!(gs(text).is_empty(), "{text}");
    }
}

#[test]
fn a_session_cookies_pair_value_is_a_secret() {
    // A HAR request's cookies: name/value pairs.
    let body = r#"{"log":{"entries":[{"request":{"method":"GET","url":"https://app.example.io/","headers":[{"name":"user-agent","value":"Mozilla/5.0"}],"cookies":[{"name":"sid","value":"711e7266042c9e1d0838bacabc6e539b","httpOnly":true},{"name":"theme","value":"dark"},{"name":"JSESSIONID","value":"Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"}]}}]}}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![
            (
                "GENERIC_SECRET",
                "/log/entries/0/request/cookies/0/value".to_string()
            ),
            (
                "GENERIC_SECRET",
                "/log/entries/0/request/cookies/2/value".to_string()
            )
        ]
    );
    // Look-alikes: a member named `sid` (Twilio's message id) and a pair named by a word
    // that holds `sid` (`side`, `resident`) stay plain.
    let body = r#"{"sid":"SMe85b885e89a47c1efc612d0e69b271d7","status":"sent","fields":[{"name":"side","value":"Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"},{"name":"resident","value":"yes"}]}"#;
    assert_eq!(json_findings_checked(body), vec![]);
}

#[test]
fn a_json_password_beside_a_user_named_token_is_a_token() {
    // Composer's auth.json: the user before the password, and after it.
    for body in [
        format!(
            r#"{{"http-basic":{{"repo.packagist.com":{{"username":"token","password":"{TOKEN}"}}}}}}"#
        ),
        format!(
            r#"{{"http-basic":{{"repo.packagist.com":{{"password":"{TOKEN}","username":"token"}}}}}}"#
        ),
    ] {
        assert_eq!(
            json_findings_checked(&body),
            vec![(
                "GENERIC_SECRET",
                "/http-basic/repo.packagist.com/password".to_string()
            )],
            "{body}"
        );
    }
    // Look-alikes: another user, a user named `token` in another object, and `token` as
    // another member's value leave the password a PASSWORD.
    for body in [
        format!(r#"{{"username":"deploy","password":"{TOKEN}"}}"#),
        format!(r#"{{"a":{{"username":"token"}},"b":{{"password":"{TOKEN}"}}}}"#),
        format!(r#"{{"auth":"token","password":"{TOKEN}"}}"#),
    ] {
        let got = json_findings_checked(&body);
        assert_eq!(got.len(), 1, "{body}");
        assert_eq!(got[0].0, "PASSWORD", "{body}");
    }
}
