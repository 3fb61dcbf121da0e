//! The fourteenth round's rules for passwords in free text (issue #20, part B): each with
//! the look-alikes it must leave alone.

use super::tests_support::found;
use super::*;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

fn none() -> Vec<String> {
    Vec::new()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn dotted_password_with_capitals_and_digits() {
    for (text, want) in [
        ("uw eerste wachtwoord TOR.59603.ado.\n", "TOR.59603.ado"),
        ("ansible_become_pass=QUO.96634.kka\n", "QUO.96634.kka"),
        (
            "Results portal login: perez, her temp password is FJO.51636.ord\n",
            "FJO.51636.ord",
        ),
        ("red Casa, contrase\u{f1}a CIC.62254.ino\n", "CIC.62254.ino"),
    ] {
        assert_eq!(pw(text), strs(&[want]), "{text}");
    }
    // Look-alikes: host names and e-mail addresses stay none, capitals or not.
    for text in [
        "the password is vault.example.com\n",
        "the password is srv01.example.com\n",
        "the password is at Ops.Team2@example.com\n",
        "reset your password at id.example.org\n",
    ] {
        assert_eq!(pw(text), none(), "{text}");
    }
}
