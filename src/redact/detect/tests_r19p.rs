//! The nineteenth round's passwords by the value's shape (issue #20, task P): a human-chosen
//! password where no password word names it (`pw_shape`), random letters after a password
//! keyword (`random_letters`), and the look-alikes that must stay unfound.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_shaped_password_needs_no_password_word() {
    // The writer's own phrasings: a connect string, a Wi-Fi note, a chat line, a cell.
    assert_eq!(
        pw("sqlplus user/Kanaalboot7164*@DB"),
        vec!["Kanaalboot7164*"]
    );
    assert_eq!(pw("wifi: Heron4667*"), vec!["Heron4667*"]);
    assert_eq!(
        pw("guest network quokkA#45 until Friday"),
        vec!["quokkA#45"]
    );
    assert_eq!(pw("initial login aurora!1821"), vec!["aurora!1821"]);
    assert_eq!(
        pw("| app | ALCAchoFA#27 | port 587 |"),
        vec!["ALCAchoFA#27"]
    );
    assert_eq!(pw("agibrw Hafenkran_Paella86"), vec!["Hafenkran_Paella86"]);
    assert_eq!(
        pw("New value: Alcachofa.kookaburra54"),
        vec!["Alcachofa.kookaburra54"]
    );
    assert_eq!(pw("admin:Nelomdniw_152!"), vec!["Nelomdniw_152!"]);
    assert_eq!(pw("primo accesso Rotterdam.1337"), vec!["Rotterdam.1337"]);
    assert_eq!(pw("codice berenjena.2026! ok"), vec!["berenjena.2026!"]);
    assert_eq!(
        pw("tot morgen, lavande-brezel-narwhal9 werkt"),
        vec!["lavande-brezel-narwhal9"]
    );
    assert_eq!(
        pw("login portaal: pim@example.org / cipresso-harbour-wolkenkratzer-zwieback3"),
        vec!["cipresso-harbour-wolkenkratzer-zwieback3"]
    );
}

#[test]
fn a_shaped_password_in_json_is_found_in_every_walk() {
    let body = r#"{"vars":[{"name":"NEW_VALUE","value":"Kanarie8102?"}]}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/vars/0/value".to_string())]
    );
}

#[test]
fn look_alikes_of_the_shapes_stay_unfound() {
    for text in [
        // A sentence's full stop, a version, a build, an identifier, a rotated log.
        "we upgraded to Windows11.",
        "build_123 and ITEM_42 passed",
        "see syslog.10 and messages.12",
        "release v2.4.1 (build 20240117)",
        "order #58953616, SKU ticket 5550-2077-29",
        // A number sign, an exponent, a time, a .NET type name.
        "see Ticket#4521 and Order#12",
        "area = radius^2 * pi",
        "call@1530 tomorrow",
        "System.Int32 and Math.Log10",
        // Generated names: a slug with a short random suffix.
        "projectId: tuinhuis-app-zba98",
        "name: push-image-gcvh2",
        // A word and digits without a symbol, a word inside a path or an address.
        "room Kanarie8102 is booked",
        "C:\\Users\\Kanarie8102?",
        "https://example.com/files/Kanarie8102",
        "x.Kanarie8102? y",
        // Digits in a hash or an id stop the shape early.
        "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "trace OKiIysJ12CfP1gPtbjCwC724 ok",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn random_letters_after_a_password_keyword() {
    assert_eq!(
        pw("auth failures for user billing (password ygaYoGHHld was in a log line)"),
        vec!["ygaYoGHHld"]
    );
    assert_eq!(
        pw("alarm panel password NWrDtPOnTNxdry (owner asked)"),
        vec!["NWrDtPOnTNxdry"]
    );
    // CamelCase words and product names after the keyword are none.
    for text in [
        "store the password KeePass generated",
        "the password LastPass holds",
        "password PostgreSQL uses",
        "password ResetRequired flag",
        "password reset for admin",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}
