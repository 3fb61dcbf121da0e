//! The thirty-fourth round's PASSWORD constructions (issue #20, task pw;
//! `detect::evidence_r34p`): a flag after a parameter's name, MySQL's `SET PASSWORD FOR`,
//! Expect's `expect`/`send`, `echo 'USER:PASSWORD' | chpasswd`; and their look-alikes, in
//! text and JSON.

use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn a_flag_after_a_parameter_name_is_no_password() {
    for text in [
        "aws ssm get-parameter --name /prod/db/password --with-decryption --output text",
        "vault read secret/password --format json",
        "run --password --interactive",
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Password), Vec::<String>::new(), "{t:?}");
        }
    }
    // A value that only opens with a dash is still one.
    for t in both("passwd -Pebble=7DZ\n") {
        assert_eq!(found(&t, Entity::Password), vec!["-Pebble=7DZ"], "{t:?}");
    }
}

#[test]
fn mysql_set_password_for_is_found() {
    for (text, want) in [
        (
            "2027-01-04T02:11:20Z\t151 Query\tSET PASSWORD FOR 'reporting'@'%' = 'Gelsomino$tramonto3'\n",
            "Gelsomino$tramonto3",
        ),
        ("set password for app@localhost = \"Tr0ub4dor&3\";", "Tr0ub4dor&3"),
        (
            "SET PASSWORD FOR `ops`@`10.0.%` = PASSWORD('velvet-thunder75');",
            "velvet-thunder75",
        ),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Password), vec![want], "{t:?}");
        }
    }
}

#[test]
fn expect_send_after_a_password_prompt_is_found() {
    let text = "spawn ssh app_admin@4.161.88.53\nexpect \"password:\"\nsend \"WOfuakn727^PI1\\r\"\nexpect \"$ \"\nsend \"sudo systemctl restart worker\\r\"\nexpect \"password for\"\nsend \"Windmolen_windmolen4\\r\"\ninteract\n";
    for t in both(text) {
        assert_eq!(
            found(&t, Entity::Password),
            vec!["WOfuakn727^PI1", "Windmolen_windmolen4"],
            "{t:?}"
        );
    }
}

#[test]
fn echo_into_chpasswd_is_found() {
    for (text, want) in [
        (
            "  provisioner \"shell\" { inline = [\"echo 'root:BZhrbax842.qdO' | sudo chpasswd\"] }",
            "BZhrbax842.qdO",
        ),
        ("echo \"deploy:Tr0ub4dor&3\" | chpasswd", "Tr0ub4dor&3"),
        (
            "$ echo ops:velvet-thunder75 | sudo chpasswd -c SHA512",
            "velvet-thunder75",
        ),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Password), vec![want], "{t:?}");
        }
    }
}

#[test]
fn the_constructions_in_json_are_found() {
    let body = serde_json::json!({
        "sql": "SET PASSWORD FOR 'reporting'@'%' = 'Gelsomino$tramonto3'",
        "script": "expect \"password:\"\nsend \"WOfuakn727^PI1\\r\"\n",
        "inline": ["echo 'root:BZhrbax842.qdO' | sudo chpasswd"],
        "cmd": "aws ssm get-parameter --name /prod/db/password --with-decryption",
    })
    .to_string();
    let got = json_findings_checked(&body);
    let pw: Vec<_> = got
        .iter()
        .filter(|(t, _)| *t == "PASSWORD")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(pw.len(), 3, "{body}: {got:?}");
    assert!(!pw.contains(&"--with-decryption"), "{got:?}");
}

#[test]
fn look_alikes_hold_no_password() {
    for text in [
        // Tcl variables and commands are sent, not passwords.
        "expect \"password:\"\nsend \"$password\\r\"\n",
        "expect \"Password:\"\nsend -- \"[exec cat /run/secret]\\r\"\n",
    ] {
        for t in both(text) {
            let got = found(&t, Entity::Password);
            assert!(
                !got.iter().any(|v| v.contains("bluefish")
                    || v.contains("password")
                    || v.contains("exec")
                    || v == "RANDOM"),
                "{t:?}: {got:?}"
            );
        }
    }
}

#[test]
fn hostile_input_does_not_panic() {
    for text in [
        "SET PASSWORD FOR",
        "SET PASSWORD FOR x =",
        "SET PASSWORD FOR x = '",
        "SET PASSWORD FOR x = PASSWORD(",
        "expect \"password\"",
        "expect \"password\"\n",
        "expect \"password\"\nsend",
        "expect \"password\"\nsend \"",
        "expect \"password\"\r\nsend \"\\r\"",
        "\"password\"\nsend \"x\"",
        "chpasswd",
        "| chpasswd",
        "' | chpasswd",
        "echo ' | chpasswd",
        "echo : | chpasswd",
        "echo 'a:' | sudo chpasswd",
        "sudo chpasswd",
    ] {
        for t in both(text) {
            let _ = found(&t, Entity::Password);
        }
    }
}

/// The keyword `k`'s first place in `t`, as (start, end).
fn keyword(t: &str, k: &str) -> (usize, usize) {
    let s = t.find(k).unwrap_or_else(|| panic!("{k} in {t:?}"));
    (s, s + k.len())
}

type Rule = fn(&[u8], usize, usize) -> Option<super::check::Outcome>;

#[test]
fn look_alikes_are_not_read_by_the_rules() {
    use super::evidence_r34p::{chpasswd_echo_password, expect_send_password, set_password_for};
    let cases: [(&str, &str, Rule); 12] = [
        // `send` not on the next line's start; a blank line between; no `expect` line.
        (
            "expect \"password:\"\n# send \"bluefish42\\r\"\n",
            "password",
            expect_send_password,
        ),
        (
            "expect \"password:\"\n\nsend \"bluefish42\\r\"\n",
            "password",
            expect_send_password,
        ),
        (
            "puts \"password:\"\nsend \"bluefish42\\r\"\n",
            "password",
            expect_send_password,
        ),
        // The keyword outside the pattern's quotes.
        (
            "expect password \"x\"\nsend \"bluefish42\\r\"\n",
            "password",
            expect_send_password,
        ),
        // An empty password; no `SET` word before; an UPDATE's `SET password =` (no `FOR`).
        (
            "SET PASSWORD FOR 'ops'@'%' = ''",
            "PASSWORD",
            set_password_for,
        ),
        (
            "UPSET PASSWORD FOR x = 'bluefish42'",
            "PASSWORD",
            set_password_for,
        ),
        (
            "UPDATE users SET password = 'bluefish42' WHERE id = 7;",
            "password",
            set_password_for,
        ),
        // No echo into the pipe; no pair echoed; no pipe.
        (
            "printf 'ops:bluefish42' | chpasswd",
            "passwd",
            chpasswd_echo_password,
        ),
        (
            "cat users.txt | sudo chpasswd",
            "passwd",
            chpasswd_echo_password,
        ),
        ("echo 'RANDOM' | chpasswd", "passwd", chpasswd_echo_password),
        (
            "echo 'ops:bluefish42' > chpasswd.txt",
            "passwd",
            chpasswd_echo_password,
        ),
        (
            "xecho 'ops:bluefish42' | chpasswd",
            "passwd",
            chpasswd_echo_password,
        ),
    ];
    for (t, k, rule) in cases {
        let (s, e) = keyword(t, k);
        assert!(
            !matches!(
                rule(t.as_bytes(), s, e),
                Some(super::check::Outcome::Hit(_))
            ),
            "{t:?}"
        );
    }
}
