//! The thirtieth round's precision negatives (issue #20, task prec;
//! `detect::evidence_r30n`): each removed look-alike, and the real values beside it that must
//! still be found.

use super::evidence_r30n::{not_card, reference, unattend_pass};
use super::tests_support::{both, found, json_findings};
use crate::redact::entity::Entity;

#[test]
fn references_to_environment_variables() {
    for v in [
        "$env:GH_TOKEN",
        "os.environ/LITELLM_MASTER_KEY",
        "ENV[DB_PASS]",
        "ENV['DB_PASS']",
        "ENV[\"DB_PASS\"]",
        "process.env.STRIPE_KEY",
        "%API_KEY%",
        "hash:/etc/postfix/sasl_passwd",
        "proxy:btree:/var/lib/postfix/sasl_passwd.db",
    ] {
        assert!(reference(v.as_bytes()), "{v}");
    }
    // A value around the syntax, a literal after it, or another scheme: no reference.
    for v in [
        "$env:GH_TOKEN;x=1",
        "$envGH_TOKEN",
        "os.environ/",
        "os.environ['X'",
        "ENV[DB_PASS",
        "ENV[DB PASS]",
        "process.env.",
        "%20%",
        "%api_key%",
        "%S%fDr0C",
        "KN&&1%S%",
        "hash:violet-lantern-walrus79",
        "hash://etc/x",
        "mysql:/etc/postfix/mysql.cf",
        "pass:/etc/x",
    ] {
        assert!(!reference(v.as_bytes()), "{v}");
    }
}

#[test]
fn a_reference_to_an_environment_variable_is_no_secret() {
    let text = "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n  database_url: postgresql://llmproxy:tramonto!Kanarie23@192.168.139.96:5432/litellm\n";
    for text in both(text) {
        assert!(found(&text, Entity::GenericSecret).is_empty(), "{text}");
        assert_eq!(
            found(&text, Entity::Password),
            ["tramonto!Kanarie23"],
            "{text}"
        );
    }
    for text in both("also set PLACEHOLDER_TOKEN=ENV[DB_PASS] in the README\n") {
        assert!(found(&text, Entity::GenericSecret).is_empty(), "{text}");
        assert!(found(&text, Entity::Password).is_empty(), "{text}");
    }
    // In a JSON body, under a key's name: the reference is no finding, the key beside it is.
    let body = r#"{"mcpServers":{"brave":{"command":"npx","env":{"BRAVE_API_KEY":"$env:GH_TOKEN"}},"db":{"command":"npx","env":{"DB_API_KEY":"q7Vd9LkP2xWm4RtZ8nBc"}}}}"#;
    let got = json_findings(body);
    assert!(
        got.iter().all(|(_, p, _)| !p.contains("BRAVE_API_KEY")),
        "{got:?}"
    );
    assert!(
        got.iter().any(|(_, p, _)| p.contains("DB_API_KEY")),
        "{got:?}"
    );
}

#[test]
fn a_postfix_lookup_table_is_no_password() {
    let text = "# /etc/postfix/sasl_passwd\n[smtp.office365.com]:587 pmaillard@oakridge.fr:violet-lantern-walrus79\n\nrelayhost = [smtp.office365.com]:587\nsmtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\nsmtp_sasl_security_options = noanonymous\n";
    for text in both(text) {
        let got = found(&text, Entity::Password);
        assert!(got.iter().all(|v| !v.contains("hash:")), "{got:?} {text}");
    }
    // A password set in the same file is still one.
    for text in both("smtp_sasl_password = Kanarie23!tramonto\n") {
        assert_eq!(
            found(&text, Entity::Password),
            ["Kanarie23!tramonto"],
            "{text}"
        );
    }
}

#[test]
fn an_unattend_configuration_pass_is_no_password() {
    let hay = b"<settings pass='oobeSystem'>";
    assert!(unattend_pass(hay, 16, 26));
    let hay = b"<settings pass=\\'specialize\\'>";
    assert!(unattend_pass(hay, 17, 27));
    // Another word under `pass=`, or `pass` not before it: not the attribute's pass.
    let hay = b"<settings pass='oobeSystem2'>";
    assert!(!unattend_pass(hay, 16, 27));
    let hay = b"<settings bypass oobeSystem>";
    assert!(!unattend_pass(hay, 17, 27));
    let text = "<unattend xmlns='urn:schemas-microsoft-com:unattend'>\n <settings pass='oobeSystem'><component name='Microsoft-Windows-Shell-Setup'>\n  <UserAccounts><AdministratorPassword><Value>BER499!qMYFs</Value><PlainText>true</PlainText></AdministratorPassword></UserAccounts>\n";
    for text in both(text) {
        assert!(
            found(&text, Entity::Password)
                .iter()
                .all(|v| v != "oobeSystem"),
            "{text}"
        );
    }
    // A password given as `pass=` is still one.
    for text in both("mysql -u root --pass='Hagebutte2017@' shop\n") {
        assert!(
            found(&text, Entity::Password)
                .iter()
                .any(|v| v.contains("Hagebutte2017")),
            "{text}"
        );
    }
}

#[test]
fn standard_identifiers_in_card_shape() {
    let at = |hay: &[u8], v: &[u8]| {
        let s = hay.windows(v.len()).position(|w| w == v).unwrap_or(0);
        not_card(hay, s, s + v.len())
    };
    assert!(at(
        b"EDI_DC40  5715544686861007 DEBMAS07",
        b"5715544686861007"
    ));
    assert!(at(
        b"gateway OBU-8  IDoc 5175842485665064 |",
        b"5175842485665064"
    ));
    assert!(at(
        b"<TRNAMT>-616.52<FITID>360232786467467<MEMO>",
        b"360232786467467"
    ));
    assert!(at(
        b"Patient: Pippo (Hund), chip 372422415239710\n",
        b"372422415239710"
    ));
    assert!(at(
        b"passport UELN 713099122617275, microchip: 364167473861042",
        b"364167473861042"
    ));
    // Another word, or another length, before: not these identifiers.
    assert!(!at(b"card 4111111111111111 exp", b"4111111111111111"));
    assert!(!at(b"XIDoc 5175842485665064", b"5175842485665064"));
    assert!(!at(b"chip 4111111111111111", b"4111111111111111"));
    assert!(!at(b"potatochip 372422415239710", b"372422415239710"));
    let text = "Patient: Pippo (Hund), chip 372422415239710\nLetzter Besuch: 13 Nov. 2026\nKartenzahlung 4111 1111 1111 1111\n";
    for text in both(text) {
        assert_eq!(
            found(&text, Entity::CreditCard),
            ["4111 1111 1111 1111"],
            "{text}"
        );
    }
    let text = "EDI_DC40  4368520863843699 DEBMAS07 MESTYP DEBMAS\nE1KNA1M paid by card 4111111111111111\n";
    for text in both(text) {
        assert_eq!(
            found(&text, Entity::CreditCard),
            ["4111111111111111"],
            "{text}"
        );
    }
}
