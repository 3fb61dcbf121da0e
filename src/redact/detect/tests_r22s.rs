//! The twenty-second round's secrets and passwords by a file format's structure (issue #20,
//! task sec; `detect::evidence`, `json::keys`): a hash's name, a SealedSecret's ciphertext,
//! sudoers' `NOPASSWD:` tag and a value spelling its key are no secrets; JNDI's
//! `security.credentials` and Asterisk's peer `secret=` are passwords. Each with the
//! look-alikes that share its words or its shape.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

const SEALED: &str = "AgBrvCChmaGxl/cauhYo5/6QSv2OunpKdFOHGgNUqvUUw6Z2Z/RUQKw3HnR27vR1XUuOB0nzC8940AGVJp3VrORURYGCMsfI7IE7ALmnJxvg/N5kqoYyepGjCh";

#[test]
fn a_hash_of_a_secret_is_no_secret() {
    // detect-secrets' baseline: the SHA-1 of what it found.
    let body = r#"{"results":{"app/settings.py":[{"type":"Secret Keyword","filename":"app/settings.py","hashed_secret":"dc42000770220a2542b11c46c1088ced742d1969","is_verified":false,"line_number":12}]}}"#;
    assert_eq!(json_findings_checked(body), vec![]);
    for text in [
        "hashed_secret: dc42000770220a2542b11c46c1088ced742d1969\n",
        "hashedPassword=Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n",
        "HASHED-TOKEN: Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n",
    ] {
        assert!(gs(text).is_empty() && pw(text).is_empty(), "{text}");
    }
    // The same names without the hash word, or with it inside another word, are secrets.
    let body = r#"{"secret":"dc42000770220a2542b11c46c1088ced742d1969","unhashed_secret":"Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![
            ("GENERIC_SECRET", "/secret".to_string()),
            ("GENERIC_SECRET", "/unhashed_secret".to_string())
        ]
    );
    assert_eq!(
        gs("secret: Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n"),
        vec!["Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"]
    );
    assert_eq!(
        gs("unhashed_secret=Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n"),
        vec!["Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"]
    );
}

#[test]
fn a_sealed_secrets_ciphertext_is_no_password() {
    let body = format!(
        r#"{{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{{"name":"care-db","namespace":"care"}},"spec":{{"encryptedData":{{"password":"{SEALED}","api_token":"{SEALED}"}}}}}}"#
    );
    assert_eq!(json_findings_checked(&body), vec![]);
    let yaml = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: billing-db\nspec:\n  encryptedData:\n    password: {SEALED}\n    token: {SEALED}\n"
    );
    assert!(pw(&yaml).is_empty() && gs(&yaml).is_empty(), "{yaml}");
    // A plain Secret's `stringData` (no ciphertext) keeps its password; so does a short
    // value after `encryptedData` (no RSA block), and a long one with no `encryptedData`.
    let body = r#"{"kind":"Secret","stringData":{"password":"Tramontana@Larkspur73"}}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/stringData/password".to_string())]
    );
    assert_eq!(
        pw("spec:\n  encryptedData: {}\n  template:\n    password: Tramontana@Larkspur73\n"),
        vec!["Tramontana@Larkspur73"]
    );
    let long = format!("token: {SEALED}\n");
    assert_eq!(gs(&long), vec![SEALED]);
}

#[test]
fn sudoers_nopasswd_tag_is_no_password() {
    for text in [
        "%ops ALL=(ALL) NOPASSWD: /usr/bin/systemctl restart nslcd\n",
        "deploy ALL=(root) nopasswd: /usr/local/bin/deploy.sh\n",
    ] {
        assert!(pw(text).is_empty() && gs(text).is_empty(), "{text}");
    }
    assert_eq!(
        pw("passwd: Gondola@Lebkuchen15\n"),
        vec!["Gondola@Lebkuchen15"]
    );
}

#[test]
fn a_value_spelling_its_key_is_no_secret() {
    let body = r#"{"urn":"urn:pulumi:prod::crew::tls:index/privateKey:PrivateKey::sign","type":"tls:index/privateKey:PrivateKey"}"#;
    assert_eq!(json_findings_checked(body), vec![]);
    assert!(gs("type: tls:index/privateKey:PrivateKey\n").is_empty());
    assert!(gs("token=Token\n").is_empty());
    // A value that only starts with the key's name is judged as before.
    assert_eq!(
        gs("private_key: PrivateKeyXk9mQ2pL7vR4tW8zYb3n\n"),
        vec!["PrivateKeyXk9mQ2pL7vR4tW8zYb3n"]
    );
}

#[test]
fn jndi_security_credentials_is_a_password() {
    let text = "java.naming.factory.initial=org.apache.activemq.jndi.ActiveMQInitialContextFactory\njava.naming.security.principal=svc-jms\njava.naming.security.credentials=Tramontana@Larkspur73\nconnectionFactoryNames=jms/cf\n";
    assert_eq!(pw(text), vec!["Tramontana@Larkspur73"]);
    assert!(gs(text).is_empty());
    // Flattened by a log, as in a JSON string.
    assert_eq!(
        pw("java.naming.security.principal=svc-jms | java.naming.security.credentials=sardina-hafenkran-limoncello | connectionFactoryNames=jms/cf"),
        vec!["sardina-hafenkran-limoncello"]
    );
    // Other credentials stay secrets.
    assert_eq!(
        gs("aws.credentials=Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n"),
        vec!["Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"]
    );
}

#[test]
fn an_asterisk_peers_secret_is_a_password() {
    let text = "[843]\ntype=friend\ncallerid=\"Azeglio Capuana\" <843>\nsecret=gzbq055RQ.x\nhost=dynamic\n[trunk-out]\ntype=peer\nhost=184.148.180.67\nfromuser=526886127\nsecret=Nebula1785!\n";
    assert_eq!(pw(text), vec!["gzbq055RQ.x", "Nebula1785!"]);
    assert!(gs(text).is_empty());
    let flat =
        "[337] | type=friend | callerid='Lisa Ibarra' <337> | secret=Harbour54-x | host=dynamic";
    assert_eq!(pw(flat), vec!["Harbour54-x"]);
    // A `secret=` with no peer's `type=` before it in its section stays a secret.
    for text in [
        "[general]\nsecret=Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n",
        "type=friend\n[webhook]\nsecret=Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n",
        "type=service secret=Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a\n",
    ] {
        assert_eq!(gs(text), vec!["Xk9mQ2pL7vR4tW8zYb3nC6dF1gH5jK0a"], "{text}");
        assert!(pw(text).is_empty(), "{text}");
    }
}

#[test]
fn a_fortios_psksecret_is_a_secret() {
    let text = "config vpn ipsec phase1-interface\n    edit \"to-dc\"\n        set remote-gw 16.10.227.36\n        set psksecret d7faa76a26bafa1c30dfe7353fd5f344ebcf416d\n    next\nend\n";
    assert_eq!(gs(text), vec!["d7faa76a26bafa1c30dfe7353fd5f344ebcf416d"]);
    assert_eq!(
        gs("set remote-gw 50.103.47.250 |         set psksecret Qd4eOBHd2WiuAY0Prdx0Nvwxx7uoWVddZ_MSSujkj0I |     next"),
        vec!["Qd4eOBHd2WiuAY0Prdx0Nvwxx7uoWVddZ_MSSujkj0I"]
    );
    // FortiOS's encrypted form and a word, not a key; `psksecret` in another command.
    for text in [
        "set psksecret ENC cHNrc2VjcmV0\n",
        "set psksecret changeme\n",
        "unset psksecret d7faa76a26bafa1c30dfe7353fd5f344ebcf416d\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn gcloud_secrets_access_prints_the_secret_on_the_next_line() {
    let text = "$ gcloud secrets versions access latest --secret=db-password --project care-prod-8967\nHAF314enkran_2024\n$ gcloud secrets versions access latest --secret=signing-key\nPDw+oFJ+eqIzkmsEHpXD+ije7M9cM6PRi/5J0dRD\n$ gcloud secrets versions access latest --secret=partner-tls-key\n-----BEGIN PRIVATE KEY-----\n";
    assert_eq!(pw(text), vec!["HAF314enkran_2024"]);
    assert_eq!(gs(text), vec!["PDw+oFJ+eqIzkmsEHpXD+ije7M9cM6PRi/5J0dRD"]);
    // Flattened by a log.
    let flat = "$ gcloud secrets versions access latest --secret=signing-key | b7dbbbe7FNMAAUMP989M3PL0DOKY0I0V | $ gcloud secrets versions list";
    assert_eq!(gs(flat), vec!["b7dbbbe7FNMAAUMP989M3PL0DOKY0I0V"]);
    // Another command's `--secret=`, and a next line that is no value.
    for text in [
        "$ kubectl create job --secret=signing-key\nPDw+oFJ+eqIzkmsEHpXD+ije7M9cM6PRi/5J0dRD\n",
        "$ gcloud secrets versions access latest --secret=db-password\nERROR: (gcloud.secrets.versions.access) NOT_FOUND\n",
    ] {
        assert!(pw(text).is_empty() && gs(text).is_empty(), "{text}");
    }
}

#[test]
fn a_secret_managers_resource_name_is_no_password() {
    let body = r#"{"name":"projects/266252260726/secrets/db-password/versions/9","payload":{"dataCrc32c":"219714022"}}"#;
    assert_eq!(json_findings_checked(body), vec![]);
    assert!(pw("gcloud secrets describe projects/1/secrets/db-password/versions/3\n").is_empty());
    // A password after its word and a blank is still one, and a pair's `user/pass`.
    assert_eq!(
        pw("db password Tramontana@Larkspur73\n"),
        vec!["Tramontana@Larkspur73"]
    );
    assert_eq!(pw("user/pass: admin / hunter22\n"), vec!["hunter22"]);
}

#[test]
fn a_token_near_a_sealed_secret_is_still_a_secret() {
    // `kubectl create secret … --from-literal=api-token=<hex>` after a SealedSecret: the hex
    // is no ciphertext (no RSA block's length opening it).
    let hex = "7873c8343139577b7c898360e5f96d131dfa630c44d57bf7ce6701600cb7a206";
    let text = format!(
        "spec:\n  encryptedData:\n    password: {SEALED}\n# kubectl -n billing create secret generic billing-db --from-literal=api-token={hex} --dry-run=client\n"
    );
    assert_eq!(gs(&text), vec![hex]);
}
