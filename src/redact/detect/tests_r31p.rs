//! The thirty-first round's `net use … \\server\share PASSWORD /user:NAME`, a keyword after
//! a backslash escape (`\nPasscode: …`), a Markdown table's `| Password | … |` row, GNU
//! make's `PASSWORD ?= …`, `net user NAME PASSWORD` at a prompt and a Wi-Fi pair `Wi-Fi: SSID /
//! PASSWORD` (issue #20, task pw;
//! `detect::evidence_r31p`), and their look-alikes.

use super::tests_support::{assert_each_found, assert_none_found};
use crate::redact::entity::Entity;

#[test]
fn a_net_use_password_before_the_user_switch_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "C:\\> net use Z: \\\\10.18.18.180\\scans citron7593 /user:thierry /persistent:yes\n",
            "citron7593",
        ),
        (
            "net use \\\\fs01\\finance H@rb0ur+33 /user:CORP\\louise\n",
            "H@rb0ur+33",
        ),
        // The password after the user's name, as before.
        (
            "net use Z: \\\\fs01\\scans /user:CORP\\bob Tr0ub4dor&3\n",
            "Tr0ub4dor&3",
        ),
    ]);
}

#[test]
fn net_use_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // `*` prompts; no argument between the share and the switch; a switch.
            "net use Z: \\\\fs01\\scans * /user:thierry\n",
            "net use Z: \\\\fs01\\scans /user:thierry /persistent:yes\n",
            "net use Z: \\\\fs01\\scans /persistent:yes /user:thierry\n",
            // A template, no password.
            "net use Z: \\\\fs01\\scans %SCAN_PASSWORD% /user:thierry\n",
            // No share before the token.
            "net use Z: citron7593 /user:thierry\n",
        ],
    );
}

#[test]
fn a_keyword_after_a_backslash_escape_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "DESCRIPTION:Join Zoom Meeting: https://us02web.zoom.us/j/83203603745\\nMeeting ID: 832 0360 3745\\nPasscode: Qwertz?1287\\nDial by your location: +46 8 12 35 92\n",
            "Qwertz?1287",
        ),
        (
            "{\"note\": \"VPN account\\nPassword: Lighthouse2023+\\nExpires in 30 days\"}",
            "Lighthouse2023+",
        ),
        ("{\"note\": \"host db01\\npassword: Tr0ub4dor#3\"}", "Tr0ub4dor#3"),
    ]);
}

#[test]
fn escaped_keyword_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // A status, not a password; a word glued to the keyword; an escaped backslash.
            "Karte 3566 2197 0605 1346\\nPasswort: zur\u{fc}ckgesetzt, Link per SMS.\n",
            "{\"note\": \"card 5529\\nPassword: scaduta, inviato link\"}",
            "{\"note\": \"see the wiki\\nPassword policy: 12 chars\"}",
            "Join\\nPasscode:\\nDial\n",
        ],
    );
}

#[test]
fn a_markdown_table_password_row_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "| | |\n|---|---|\n| Full name | Adrian Freeman |\n| Password | Gelato.Lighthouse.90 |\n| IP address | n/a |\n",
            "Gelato.Lighthouse.90",
        ),
        (
            "| | |\n|---|---|\n| Passwort | FD942gLX5X!~z6tB?3FiT |\n",
            "FD942gLX5X!~z6tB?3FiT",
        ),
        ("| **Wachtwoord** | GG338nnznj_fsf |\n", "GG338nnznj_fsf"),
    ]);
}

#[test]
fn markdown_table_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // A header row, a policy, a redacted cell, a sentence in the cell.
            "| Password | Notes |\n|---|---|\n",
            "| Password | min. 12 chars |\n",
            "| Password | ******** |\n",
            "| Password | reset by the user on first login |\n",
            // Not the row's first cell.
            "| admin | Password | Lighthouse2023+ |\n",
        ],
    );
}

#[test]
fn a_make_conditional_password_is_found() {
    assert_each_found(
        Entity::Password,
        &[
            (
                "REGISTRY ?= ghcr.io/acme\nexport DOCKER_PASSWORD ?= Kx9mPl2qz!\n",
                "Kx9mPl2qz!",
            ),
            ("DB_PASSWORD?=S0l31l_10\n", "S0l31l_10"),
        ],
    );
}

#[test]
fn make_conditional_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            "DOCKER_PASSWORD ?= $(shell cat .docker-pass)\n",
            "DOCKER_PASSWORD ?=\n",
            "DOCKER_PASSWORD ?= changeme\n",
            "PASSWORD_FILE ?= /run/secrets/registry\n",
        ],
    );
}

#[test]
fn json_values_are_read_alike() {
    use super::tests_support::json_findings_checked;
    for (doc, pointer) in [
        (
            r#"{"cmd": "net use Z: \\\\fs01\\scans citron7593 /user:thierry"}"#,
            "/cmd",
        ),
        (
            r#"{"plain_text": "| Password | Gelato.Lighthouse.90 |"}"#,
            "/plain_text",
        ),
        (
            r#"{"body": "| | |\n|---|---|\n| Password | Gelato.Lighthouse.90 |\n"}"#,
            "/body",
        ),
        (
            r#"{"description": "Meeting ID: 832 0360 3745\nPasscode: Qwertz?1287\nDial in"}"#,
            "/description",
        ),
    ] {
        assert_eq!(
            json_findings_checked(doc),
            vec![("PASSWORD", pointer.to_string())],
            "{doc}"
        );
    }
}

#[test]
fn a_net_user_password_at_a_prompt_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "C:\\> net user tempadmin _Girasole$4SM /add\nThe command completed successfully.\n",
            "_Girasole$4SM",
        ),
        ("PS C:\\Users\\ops> NET USER svc_backup thunder3427! /add /domain\n", "thunder3427!"),
        ("C:\\Windows\\system32>net user helpdesk2 wanderweg4598\n", "wanderweg4598"),
        (
            "EventID: 4688\nCommandLine: net user svc_backup thunder3427 /add /domain\nCurrentDirectory: C:\\Windows\\system32\n",
            "thunder3427",
        ),
    ]);
}

#[test]
fn net_user_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            "C:\\> net user tempadmin /add\n",
            "C:\\> net user tempadmin * /add\n",
            "C:\\> net user administrator /active:yes\n",
            "C:\\> net user\n",
            "C:\\> net user tempadmin /delete\n",
            "CommandLine: net user svc_backup /delete\n",
            "CommandLine: net user svc_backup * /add\n",
            "see https://payroll.fischer.net user geissler@gmx.de reset your password\n",
        ],
    );
}

#[test]
fn a_wifi_pair_is_found() {
    assert_each_found(
        Entity::Password,
        &[
            ("Wifi: Office / Nigekeni46=\n", "Nigekeni46="),
            (
                "Problemen? Wi-Fi: CasaSol_5G / M1$tr@l81\nUn saluto\n",
                "M1$tr@l81",
            ),
            (
                "WLAN : FRITZ!Box-A4ZF / tundra.pelican6.\n",
                "tundra.pelican6",
            ),
        ],
    );
}

#[test]
fn wifi_pair_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            "Wifi: Office / Guest\n",
            "Wifi: Office / Lobby (ask reception)\n",
            "Wifi: see the sign at the desk\n",
            "Ziggo Wifi: 5G / 2.4G both up\n",
            "mywifi: Office / Nigekeni46=\n",
        ],
    );
}
