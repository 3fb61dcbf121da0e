//! The twenty-first round's secrets by structure (issue #20, task sec): evidence a writer
//! cannot vary — a salt under its name, a Junos SNMP community, a webhook URL's token,
//! a member named by a host under a secret, a shell's `cat` of a
//! secret-named file — each with the look-alikes that share its words or its shape; and
//! `n/a` as a stand-in.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_salt_under_its_name_is_a_secret_when_it_has_a_token_shape() {
    assert_eq!(
        gs("[General]\nsalt = \"e4e55caa97a57640860ece1a6d2c09fa\"\n"),
        vec!["e4e55caa97a57640860ece1a6d2c09fa"]
    );
    assert_eq!(
        gs("  'passwordsalt' => 'OLmsVu/gxrrDFMpcp4uIWJtkEu49JUprmYp0UC8n',\n"),
        vec!["OLmsVu/gxrrDFMpcp4uIWJtkEu49JUprmYp0UC8n"]
    );
    assert_eq!(
        gs("NONCE_SALT=3hykfklq-z9xa-1mnw0fu3mrettq7kesb1bs\n"),
        vec!["3hykfklq-z9xa-1mnw0fu3mrettq7kesb1bs"]
    );
    for text in [
        // Not a token's shape: short, one class, a stand-in, a call.
        "salt = 16\n",
        "salt: random\n",
        "salt = \"put your unique phrase here\"\n",
        "salt = ${APP_SALT}\n",
        "hash = crypt(pw, gen_salt('bf'))\n",
        // Not a salt: the rock, a name that only starts with it.
        "basalt: Xy7kP9qR2mWzT4abcdEF\n",
        "salt_rounds = 12\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn a_salt_in_json_is_a_secret_when_it_has_a_token_shape() {
    let body = r#"{"system":{"instanceid":"oc1234abcd","passwordsalt":"2e411763b437f9892514aefe0946ecb1","salt_rounds":"12","basalt":"Xy7kP9qR2mWzT4abcdEF","salt":"none"}}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("GENERIC_SECRET", "/system/passwordsalt".to_string())]
    );
}

#[test]
fn a_junos_snmp_community_is_a_secret() {
    assert_eq!(
        gs("set snmp community lIojlm4Ll9vfC6Gh authorization read-only\n"),
        vec!["lIojlm4Ll9vfC6Gh"]
    );
    for text in [
        // A word of prose after `community`, `snmp` absent; a short or one-class value.
        "the community garden opens at noon\n",
        "community Xy7kP9qR2mWzT4abcdEF\n",
        "set snmp community public authorization read-only\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn a_webhook_url_s_token_is_a_secret() {
    let t = "DH_YBsGcmu3dgRFKXHum-yRI4e_GhzXRsGudXVC79o4vDtHK1ZoxZd5mhftkPFQqdpA6";
    assert_eq!(
        gs(&format!(
            "notify: https://discord.com/api/webhooks/157810766167700656/{t}\n"
        )),
        vec![t]
    );
    for text in [
        // No id, a word after the id, a short or one-class token, a stand-in.
        "see https://example.com/docs/webhooks/setup-guide-for-everyone\n",
        "https://discord.com/api/webhooks/157810766167700656/messages\n",
        "https://discord.com/api/webhooks/157810766167700656/abcdefghijklmnopqrstuvwxyz\n",
        "https://discord.com/api/webhooks/157810766167700656/your_webhook_token_here\n",
        "https://discord.com/api/webhooks/123/Xy7kP9qR2mWzT4abcdEFgh\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn a_member_named_by_a_host_under_a_secret_is_that_secret() {
    let body = r#"{"gitlab-token":{"gitlab.com":"jip+22YnPidYFxX1P1gtUO70uDQeHHMIZ9Hs2OZD"},"mirrors":{"gitlab.com":"https://mirror.example.org/gitlab"},"token":{"repo.example.io":"changeme"}}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("GENERIC_SECRET", "/gitlab-token/gitlab.com".to_string())]
    );
    // A member that is no host name keeps its own class; a vendor's token stays its own.
    let body = r#"{"gitlab-token":{"username":"ci-bot","comment":"rotated"},"github-oauth":{"github.com":"gho_pfZM7KW3a820aaIPUH3IO1MCcAHNI1bUPd6z"}}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("GITHUB_TOKEN", "/github-oauth/github.com".to_string())]
    );
}

#[test]
fn a_shell_s_cat_of_a_secret_named_file_shows_the_secret() {
    let t = "YoZGHa1crLvz_1OCff7ylHMwMtBmNN3VmzQ34GqANFi8x9wvLgF8vkU7TQu-sRTE";
    assert_eq!(
        gs(&format!(
            "ops@web:~$ cat /etc/app/token\n{t}\nops@web:~$ uptime\n"
        )),
        vec![t]
    );
    assert_eq!(
        gs(&format!("$ cat /etc/app/token ⏎ {t} ⏎ $ uptime")),
        vec![t]
    );
    for text in [
        // Not a secret's file name; not one token on the line; a key file's header; a
        // stand-in; an INI header.
        &format!("$ cat notes.txt\n{t}\n") as &str,
        &format!("$ cat /etc/app/token\n{t} and more\n"),
        "$ cat ~/.ssh/deploy_key\n-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "$ cat ~/.aws/credentials\n[default]\n",
        "$ cat /etc/app/token\nyour_api_token_goes_here\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn n_a_under_a_password_name_is_no_password() {
    for text in ["password: n/a\n", "Candidate no. 284247 · password: n/a\n"] {
        assert!(pw(text).is_empty(), "{text}: {:?}", pw(text));
    }
    assert!(json_findings_checked(r#"{"password":"n/a"}"#).is_empty());
    // A password that holds `n/a` is still one.
    assert_eq!(pw("password: n/a7Kq9!xZ\n"), vec!["n/a7Kq9!xZ"]);
}
