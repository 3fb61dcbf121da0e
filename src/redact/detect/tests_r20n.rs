//! The twentieth round's numbers by structure (issue #20, task num): birth dates written
//! `YYYYMMDD` in a person's record (a fixed-width or `|` record, an HL7 segment, a JSON
//! object whose other members hold the person's PII), with the look-alikes they must leave
//! alone.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn an_eight_digit_date_in_a_persons_record_is_a_birth_date() {
    for (text, want) in [
        // A fixed-width (COBOL `PIC 9(8)`) record with the person's e-mail address.
        (
            "00017 HARTMANN   JOANNE    j.hartmann@example.com  19621104 CHK 000451.20",
            vec!["19621104"],
        ),
        // An HL7 PID segment: the birth date (PID-7) beside the phone and the mailbox.
        (
            "PID|1||4471||ROE^JANE||19840302|F|||1 Main St||+1 201-555-0138|jane@example.org",
            vec!["19840302"],
        ),
        // A `;` export row, two records.
        (
            "5848;Liesbeth;Buchholz;19771007;buchholz.l@example.io\n8845;Danny;Oderwald;19850303;d.o@example.io",
            vec!["19771007", "19850303"],
        ),
        // 29 February is a day.
        (
            "PID|1||4472||ROE^JOHN||19840229|M|||1 Main St||+1 201-555-0139|john@example.org",
            vec!["19840229"],
        ),
    ] {
        assert_eq!(found(text, Entity::DateOfBirth), want, "{text:?}");
    }
}

#[test]
fn eight_digit_look_alikes_stay_unfound() {
    for text in [
        // An event's or an identifier's word before it in its cell.
        "Jane Roe, jane@example.org, order 19840302",
        "Payout to IBAN NL63 LIDK 9790 9836 07 (ref order 20010106)",
        "Jane Roe, jane@example.org, invoice 19840302",
        // No plausible age, no date (month 13, 31 February), a longer number.
        "Jane Roe, jane@example.org, 20240302",
        "Jane Roe, jane@example.org, 19150302",
        "Jane Roe, jane@example.org, 19841302",
        "Jane Roe, jane@example.org, 19840231",
        "Jane Roe, jane@example.org, 19840200",
        "Jane Roe, jane@example.org, 198403021",
        "Jane Roe, jane@example.org, 1984030212345678",
        // A time stamp, a value glued to a letter.
        "Jane Roe, jane@example.org, 19840302T101500Z",
        "Jane Roe, jane@example.org, 19840302 10:15",
        "Jane Roe, jane@example.org, ID19840302",
        "Jane Roe, jane@example.org, 19840302kg",
        // No PII on its line.
        "Jane Roe\njane@example.org\n19840302",
        "build 19840302 passed",
    ] {
        assert_eq!(
            found(text, Entity::DateOfBirth),
            Vec::<String>::new(),
            "{text:?}"
        );
    }
}

#[test]
fn an_eight_digit_date_member_beside_the_persons_pii_is_a_birth_date() {
    for body in [
        r#"{"rows":[{"nm":"Jane Roe","em":"jane@example.org","d1":"19840302"}]}"#,
        r#"{"rows":[{"d1":"19840302","nm":"Jane Roe","tel":"+44 20 7946 0958"}]}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            got.contains(&("DATE_OF_BIRTH", "/rows/0/d1".to_string())),
            "{body}: {got:?}"
        );
    }
    for body in [
        r#"{"nm":"Jane Roe","em":"jane@example.org","order_no":"19840302"}"#,
        r#"{"nm":"Jane Roe","em":"jane@example.org","d1":"20240302"}"#,
        r#"{"nm":"Jane Roe","em":"jane@example.org","d1":"19841399"}"#,
        r#"{"nm":"Jane Roe","d1":"19840302"}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            !got.iter().any(|(t, _)| *t == "DATE_OF_BIRTH"),
            "{body}: {got:?}"
        );
    }
}

#[test]
fn the_loopback_network_is_no_ones_address() {
    // RFC 1122's loopback (127.0.0.0/8) never leaves the machine: no host, no person, like
    // `0.0.0.0` (kept out since the ninth round).
    for text in [
        "[inet_http_server] port=127.0.0.1:9001",
        "redis-cli -h 127.0.0.1 -p 6379",
        "listen 127.0.1.1:8080",
        "bind 127.255.255.254",
    ] {
        assert_eq!(found(text, Entity::Ipv4), Vec::<String>::new(), "{text:?}");
    }
    // Every other address stays found, 127 inside it or not.
    for (text, want) in [
        ("client=10.127.0.1 done", "10.127.0.1"),
        ("peer 128.0.0.1 refused", "128.0.0.1"),
        ("from 12.7.0.1 via gw", "12.7.0.1"),
        ("host 172.16.0.127 up", "172.16.0.127"),
    ] {
        assert_eq!(found(text, Entity::Ipv4), vec![want], "{text:?}");
    }
}
