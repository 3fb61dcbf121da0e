//! The thirty-first round's formats (issue #20, task fmt; `detect::evidence_r31f`): EDIFACT's
//! and GEDCOM's birth dates, a pipe table row naming the birth date, an IPv6 address ended by
//! a `:`, an iCalendar `UID`, a network's CIDR prefix — and their look-alikes, in text and
//! JSON.

use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

fn dobs(text: &str) -> Vec<String> {
    found(text, Entity::DateOfBirth)
}

#[test]
fn an_edifact_birth_date_is_found() {
    for (text, date) in [
        (
            "NAD+BA+++ROSSI:MARIA+VIA ROMA 7+PERUGIA'\nATT+2++F'\nDTM+329:990920'\nNAT+2+GB'",
            "990920",
        ),
        ("ATT+2++M'\nDTM+329:19471018:102'\nNAT+2+IT'", "19471018"),
        (
            "UNH+1+PAXLST:D:05B:UN:IATA'DTM+329:710411'NAT+2+GB'",
            "710411",
        ),
        ("DTM+329:050301\n", "050301"),
    ] {
        for t in both(text) {
            assert_eq!(dobs(&t), vec![date.to_string()], "{t:?}");
        }
    }
}

#[test]
fn another_edifact_date_is_no_birth_date() {
    for text in [
        // Other qualifiers: document date, departure, expiry.
        "DTM+137:20261207:102'",
        "DTM+189:2612071030:201'",
        "DTM+36:301231'",
        // Not a date: month 13, day 32; too short or long a value; glued to more.
        "DTM+329:991320'",
        "DTM+329:990932'",
        "DTM+329:99092'",
        "DTM+329:9909201'",
        "DTM+329:990920X'",
        "XDTM+3290:990920'",
    ] {
        for t in both(text) {
            assert!(dobs(&t).is_empty(), "{t:?}: {:?}", dobs(&t));
        }
    }
}

#[test]
fn a_gedcom_birth_date_is_found() {
    for (text, date) in [
        ("0 @I1@ INDI\n1 NAME Amina /Bosman/\n1 SEX M\n1 BIRT\n2 DATE 10 JUL 1977\n2 PLAC Delft\n", "10 JUL 1977"),
        ("1 BIRT\r\n2 DATE 19 OCT 1914\r\n1 DEAT\r\n2 DATE 3 MAR 1990\r\n", "19 OCT 1914"),
        ("1 BIRT\n2 DATE ABT 4 DEC 1965\n", "4 DEC 1965"),
    ] {
        for t in both(text) {
            assert_eq!(dobs(&t), vec![date.to_string()], "{t:?}");
        }
    }
}

#[test]
fn another_gedcom_date_is_no_birth_date() {
    for text in [
        "1 DEAT\n2 DATE 27 DEC 1929\n",
        "1 MARR\n2 DATE 12 JUN 1950\n",
        "1 BIRT\n2 PLAC Zaragoza\n",
        "Birte signed on 12 JUN 2024\n",
    ] {
        for t in both(text) {
            assert!(dobs(&t).is_empty(), "{t:?}: {:?}", dobs(&t));
        }
    }
}

#[test]
fn a_pipe_table_row_naming_the_birth_date_is_found() {
    for (text, date) in [
        (
            "| Name | Tina Ellis |\n| Date of birth | 07/06/1958 |\n| Phone | n/a |\n",
            "07/06/1958",
        ),
        (
            "| Geburtsdatum | 24.08.1954 |\n| Mobil | – |\n",
            "24.08.1954",
        ),
        ("| Geboortedatum | 10 februari 1973 |\n", "10 februari 1973"),
        ("| Data di nascita | 1954-03-12 |", "1954-03-12"),
        (
            "| Date de naissance | 23 janvier 1981 |\n",
            "23 janvier 1981",
        ),
        ("| Fecha de nacimiento | 23/08/1955 |\n", "23/08/1955"),
        ("|**Date of birth**|1983-02-03|\n", "1983-02-03"),
    ] {
        for t in both(text) {
            assert_eq!(dobs(&t), vec![date.to_string()], "{t:?}");
        }
    }
}

#[test]
fn a_pipe_table_look_alike_is_no_birth_date() {
    for text in [
        // A header row: the next cell names another column.
        "| Date of birth | Start date |\n|---|---|\n",
        // Another date's word between the label and its cell's end.
        "| Date of birth updated | 2024-01-02 |\n",
        // The label is no cell's start.
        "Notes: Date of birth | 07/06/1958\n",
        // A birthday party.
        "| Birthday lunch | 2024-05-02 |\n",
    ] {
        for t in both(text) {
            assert!(dobs(&t).is_empty(), "{t:?}: {:?}", dobs(&t));
        }
    }
}

#[test]
fn an_ipv6_address_ended_by_a_colon_is_found() {
    for (text, addr) in [
        (
            "Failed login for carla16@gmail.com from 2001:67c:ac6c:c682:73cc:2b8a:8ee:9d1d: password mismatch",
            "2001:67c:ac6c:c682:73cc:2b8a:8ee:9d1d",
        ),
        ("from 2a0a:a540:c38d:97a0:257a::baf6: password", "2a0a:a540:c38d:97a0:257a::baf6"),
        ("peer 2001:db8::1:\n", "2001:db8::1"),
        ("[2003:e8:ba93:384b:6f8::731d:] denied", "2003:e8:ba93:384b:6f8::731d"),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Ipv6), vec![addr.to_string()], "{t:?}");
        }
    }
    // At the text's end.
    assert_eq!(
        found("peer 2001:db8::1:", Entity::Ipv6),
        vec!["2001:db8::1".to_string()]
    );
}

#[test]
fn a_colon_ended_look_alike_is_no_ipv6_address() {
    for text in [
        "at 12:30:45: done",
        "mac de:ad:be:ef:00:11: up",
        "std::vector: empty",
        "2001:db8::1:x failed",
        "a:b:c:d: e",
    ] {
        for t in both(text) {
            assert!(found(&t, Entity::Ipv6).is_empty(), "{t:?}");
        }
    }
}

#[test]
fn an_icalendar_uid_is_no_email() {
    let ics = "BEGIN:VEVENT\nDTSTART:20270105T100000Z\nUID:dln97qbf5emq141wkqsq33a2jr@google.com\nORGANIZER;CN=Mo:mailto:mitchell.mo@example.org\nEND:VEVENT\n";
    for t in both(ics) {
        assert_eq!(
            found(&t, Entity::Email),
            vec!["mitchell.mo@example.org".to_string()],
            "{t:?}"
        );
    }
    let crlf = ics.replace('\n', "\r\n");
    assert_eq!(
        found(&crlf, Entity::Email),
        vec!["mitchell.mo@example.org".to_string()]
    );
    // Not a UID line: an address after `UID:` in prose, `XUID:`, a JSON `uid`.
    for text in [
        "the login UID: jane@example.org\n",
        "XUID:jane@example.org\n",
        "Contact jane@example.org (UID:7)\n",
    ] {
        for t in both(text) {
            assert_eq!(
                found(&t, Entity::Email),
                vec!["jane@example.org".to_string()],
                "{t:?}"
            );
        }
    }
    assert_eq!(
        json_findings_checked(
            r#"{"uid": "jane@example.org", "ics": "UID:abc123@google.com\nEND:VEVENT"}"#
        ),
        vec![("EMAIL", "/uid".to_string())]
    );
}

#[test]
fn a_network_prefix_is_no_ipv4_address() {
    for text in [
        r#"LOG:  connection matched pg_hba.conf line 98: "host all all 10.0.0.0/8 scram-sha-256""#,
        "route add 192.168.1.0/24 via gw",
        "allow 172.16.0.0/12;",
        "cidr: 100.64.0.0/10\n",
    ] {
        for t in both(text) {
            assert!(
                found(&t, Entity::Ipv4).is_empty(),
                "{t:?}: {:?}",
                found(&t, Entity::Ipv4)
            );
        }
    }
    // An interface's address and its prefix; a host route; a prefix longer than 24 bits.
    for (text, addr) in [
        (
            "set interfaces ge-0/0/0 unit 0 family inet address 78.204.151.140/30",
            "78.204.151.140",
        ),
        (
            "add address=69.123.155.32/30 interface=ether1",
            "69.123.155.32",
        ),
        ("ip addr add 10.0.0.5/8 dev eth0", "10.0.0.5"),
        ("block 203.0.113.7/32", "203.0.113.7"),
        ("subnet 192.168.1.0/25 reserved", "192.168.1.0"),
        ("peer 10.1.2.0/abc", "10.1.2.0"),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Ipv4), vec![addr.to_string()], "{t:?}");
        }
    }
    assert_eq!(
        json_findings_checked(r#"{"allow": "10.0.0.0/8", "peer": "10.0.0.7/8"}"#),
        vec![("IPV4", "/peer".to_string())]
    );
}
