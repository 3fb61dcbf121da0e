//! The twenty-eighth round's precision negatives (issue #20, task prec;
//! `detect::evidence_r28n`): each removed look-alike, and the real values beside it that must
//! still be found.

use super::evidence_r28n::{
    capital_revision, run_in_random_hex, slack_without_number, time_member_number,
};
use super::tests_support::{both, found, found_all, json_findings};
use crate::redact::entity::Entity;
use crate::redact::validate::secret_placeholder;

#[test]
fn slack_tokens_without_a_number() {
    for v in [
        "xoxb-not-a-real-token-this-will-not-work",
        "xoxb-your-bot-token",
        "xoxp-your-user-token-here",
        "xapp-token-goes-here",
    ] {
        assert!(slack_without_number(v.as_bytes()), "{v}");
    }
    // Slack's documented shapes carry numbers.
    for v in [
        "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "xoxp-4816273510-4816273522-4832187620-0f9a1c2b3d4e5f60718293a4b5c6d7e8",
        "xapp-1-A0123ABCDEF-1234567890123-abcdef",
        "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4",
        "xoxe-1-My0xLTEyMzQ1",
        "xoxb-",
    ] {
        assert!(!slack_without_number(v.as_bytes()), "{v}");
    }
}

#[test]
fn a_slack_token_without_a_number_is_a_placeholder() {
    let text = "set SLACK_BOT_TOKEN to your key, e.g. SLACK_BOT_TOKEN=xoxb-not-a-real-token-this-will-not-work and restart.\n";
    for text in both(text) {
        assert!(found(&text, Entity::SlackToken).is_empty(), "{text}");
        assert_eq!(
            found_all(&text, Entity::SlackToken),
            ["xoxb-not-a-real-token-this-will-not-work"],
            "{text}"
        );
    }
    // A real token beside it is masked.
    let text = "example: xoxb-not-a-real-token-this-will-not-work\nreal: xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy\n";
    for text in both(text) {
        assert_eq!(
            found(&text, Entity::SlackToken),
            ["xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"],
            "{text}"
        );
    }
}

#[test]
fn equal_runs_in_random_hex() {
    let hex = b"05516851384d7955cf301c3bf7684d163ca47b9570dc3ca7777779f408fd236d";
    let s = hex
        .windows(6)
        .position(|w| w == b"777777")
        .unwrap_or(usize::MAX);
    assert!(run_in_random_hex(hex, s, s + 6));
    // Ten or more, a non-hex byte, or a short hex stretch: a placeholder's mark.
    assert!(!run_in_random_hex(
        b"0123abcd0000000000ef45678901234567",
        8,
        18
    ));
    assert!(!run_in_random_hex(
        b"sk_live_YourLiveSecretKeyXXXXXXX",
        25,
        32
    ));
    assert!(!run_in_random_hex(b"AKIAEXAMPLEKEY000000", 14, 20));
}

#[test]
fn a_random_hex_key_with_a_run_of_six_is_no_placeholder() {
    let token = "xapp-1-AAZT8WYAFIQ-5789403600090-05516851384d7955cf301c3bf7684d163ca47b9570dc3ca7777779f408fd236d";
    assert!(!secret_placeholder(token.as_bytes()));
    let body = format!(r#"{{"stripe_key":"x","notify_token":"{token}"}}"#);
    assert!(
        json_findings(&body)
            .iter()
            .any(|(e, p, ph)| *e == "SLACK_TOKEN" && p == "/notify_token" && !ph),
        "{body}"
    );
    // Placeholders with runs stay placeholders.
    for v in [
        "xoxb-000000000000-000000000000-xxxxxxxxxxxxxxxxxxxxxxxx",
        "sk_live_EXAMPLEKEYDONOTUSE000000",
        "AKIAEXAMPLEKEY000000",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "xapp-1-A0000000000-0000000000000-0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        assert!(secret_placeholder(v.as_bytes()), "{v}");
    }
}

#[test]
fn a_git_revision_is_no_password() {
    assert!(capital_revision(b"HEAD", b'~'));
    assert!(!capital_revision(b"ALCAchoFA", b'~'));
    assert!(!capital_revision(b"HEAD", b'#'));
    for text in both("$ trufflehog git file://. --since-commit HEAD~42\n") {
        assert!(found(&text, Entity::Password).is_empty(), "{text}");
    }
    // A mixed-case word's password is still one; under a password's name any is.
    for text in both("the new one is ALCAchoFA~27 from today\n") {
        assert_eq!(found(&text, Entity::Password), ["ALCAchoFA~27"], "{text}");
    }
    for text in both("PGPASSWORD=FENOUIL~02\n") {
        assert_eq!(found(&text, Entity::Password), ["FENOUIL~02"], "{text}");
    }
}

#[test]
fn unix_times_under_a_time_name() {
    let hay = br#"<sms address="06.12452756" date="1798167447000" type="2" />"#;
    let s = hay
        .windows(13)
        .position(|w| w == b"1798167447000")
        .unwrap_or(0);
    assert!(time_member_number(hay, s, s + 13));
    let hay = br#"{"created_time": 1699130395, "x": 1}"#;
    assert!(time_member_number(hay, 17, 27));
    // Another name, another length, or a value that goes on: not this rule's.
    let hay = br#"address="1798167447000""#;
    assert!(!time_member_number(hay, 9, 22));
    let hay = br#"date="179816744700""#;
    assert!(!time_member_number(hay, 6, 18));
    let hay = br#"date="1798167447000x""#;
    assert!(!time_member_number(hay, 6, 19));
}

#[test]
fn an_sms_backup_time_is_no_phone() {
    let text = "<smses count=\"2\">\n<sms address=\"030.193492\" date=\"1796883482000\" type=\"1\" body=\"Your verification code is 299276\" />\n<sms address=\"+4915955101180\" date=\"1797064936000\" type=\"2\" body=\"Hallo\" />\n</smses>\n";
    for text in both(text) {
        let phones = found(&text, Entity::Phone);
        assert!(
            !phones.iter().any(|p| p.starts_with("179")),
            "{text}: {phones:?}"
        );
        assert!(
            phones.iter().any(|p| p == "+4915955101180"),
            "{text}: {phones:?}"
        );
    }
}
