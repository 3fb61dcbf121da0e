//! The eighteenth round's rules for birth dates and look-alikes (issue #20, task Q, tuned on
//! every split's misses and false positives but blind18's): a `|` table whose rows were
//! flattened onto its header's line, a phone written as four dotted pairs, a number filling
//! an id's string, a flattened table's first column; each with the look-alikes it must
//! leave alone.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn a_pipe_table_flattened_onto_its_header_line_has_its_birth_column_read() {
    for (text, want) in [
        (
            "Membership roll — Leeds | Nr | Name | Geb./DOB | Tel | E-Mail | SEPA | 6179 | Steven Banks | 06/11/2007 | 0044 7402 202842 | s.banks@example.org | GB50 MONZ 8299 4338 2631 51 | 6925 | Brandon Scott | 28 Jan 1975 | 0121-214-0304 | b85@example.de | GB86 BARC 3051 0862 7759 95 | Next meeting: 2026-12-01",
            vec!["06/11/2007", "28 Jan 1975"],
        ),
        (
            "cqlsh> SELECT * FROM crm.customers; |  |  id | dob | email | name | phone | ----+-----+-------+------+------ |  7b5b7962-b56d-4395-b37b-4a2888c60701 | 1945-01-19 | a@example.it | Robert Hodges | 201.233.3304 |  | (1 rows) | 2026-01-19",
            vec!["1945-01-19"],
        ),
        (
            "Elenco soci — Trento | Nr | Name | Geb./DOB | Tel | E-Mail | SEPA | 1389 | Biagio Foscari | 16/01/1979 | +390213504460 | b@example.it | IT14D4763096182WV6TIGWCSFTY | 8138 | Tina Gramsci | 1973-05-08 | 0039 02 1220 4967 | t@example.it | IT60A4646804133101GRV190UQH",
            vec!["16/01/1979", "1973-05-08"],
        ),
        (
            "MANIFEST  MS LANE  sailing 18/01/2027 | CABIN | NAME | DOB | NATIONALITY | EMERGENCY CONTACT | 6240 | LÖFFLER Branka | 1976-01-11 | DE | +4930483331 | 11392 | GEISEL Aleksandar | 04.08.2001 | DE | 030 150042",
            vec!["1976-01-11", "04.08.2001"],
        ),
    ] {
        assert_eq!(found(text, Entity::DateOfBirth), want, "{text:?}");
    }
    // Look-alikes: another column's dates (a hire date beside the birth date), a header
    // whose rows are on lines of their own (read as before, once), a two-column header.
    assert_eq!(
        found(
            "Staff list, 2 rows: | Name | DOB | Hired | Ann | 1980-01-02 | 2020-05-06 | Bob | 1970-03-04 | 2021-07-08",
            Entity::DateOfBirth
        ),
        vec!["1980-01-02", "1970-03-04"]
    );
    assert_eq!(
        found(
            "Nr | Name | DOB | Tel\n1 | Ann | 1980-01-02 | 2020\n",
            Entity::DateOfBirth
        ),
        vec!["1980-01-02"]
    );
    assert!(found("Name | DOB | 2020-05-06 | 1980-01-02", Entity::DateOfBirth).len() <= 1);
}

#[test]
fn four_dotted_pairs_after_a_phone_context_are_a_phone() {
    for text in [
        "Telefon: 27.10.99.76\nE-mail: x@example.org",
        "mon numéro 27.10.31.81, Facture F-2026-16449",
        "please confirm your phone, we have 32.12.54.42",
        "Geboren: 2001-11-13 · 27.52.59.71 · levi@example.org",
    ] {
        assert!(found(text, Entity::Ipv4).is_empty(), "{text:?}");
        assert_eq!(found(text, Entity::Phone).len(), 1, "{text:?}");
    }
    // Look-alikes that stay addresses: no phone context, three-digit groups after one, a
    // host's address in a log line.
    for text in [
        "client 27.10.99.76 connected",
        "Telefon: 137.10.99.76",
        "src=10.20.30.40 dst=192.168.1.1",
    ] {
        assert!(!found(text, Entity::Ipv4).is_empty(), "{text:?}");
    }
}

#[test]
fn a_number_filling_an_id_string_is_no_card() {
    for body in [
        r#"{"callTranscripts":[{"callId":"3852758676011114800","transcript":[{"speakerId":"6155428445104824"}]}]}"#,
        r#"{"data":[{"id":"4163706142772911474","First_Name":"Ashley"}]}"#,
    ] {
        let f = json_findings_checked(body);
        assert!(f.iter().all(|(e, _)| *e != "CREDIT_CARD"), "{body}: {f:?}");
    }
    // Look-alikes that stay cards: under a card key, in a note's text, under a plain key.
    for body in [
        r#"{"card_number":"4111111111111111"}"#,
        r#"{"id":"7","note":"paid with 4111111111111111"}"#,
        r#"{"pan":"4111111111111111"}"#,
        r#"{"id":"card 4111111111111111"}"#,
    ] {
        let f = json_findings_checked(body);
        assert!(f.iter().any(|(e, _)| *e == "CREDIT_CARD"), "{body}: {f:?}");
    }
}

#[test]
fn a_json_sheet_identifier_column_holds_no_phone() {
    let body = r#"{"values":[["name","email","phone","birthday","order","total"],["Victor Peltier","peltier.v@example.fr","01 21 67 40 19","15 novembre 1959","053.357.286","93 272,79 €"],["Iain Browne","iain@example.com","+44 7889 173704","11 October 1996","0656 690 715","£8,930.19"]]}"#;
    let f = json_findings_checked(body);
    let phones: Vec<&String> = f
        .iter()
        .filter(|(e, _)| *e == "PHONE")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(phones, ["/values/1/2", "/values/2/2"], "{f:?}");
    assert_eq!(
        f.iter().filter(|(e, _)| *e == "DATE_OF_BIRTH").count(),
        2,
        "{f:?}"
    );
    // Look-alike: a column named for a phone and an identifier stays a phone column.
    let f = json_findings_checked(r#"{"values":[["name","order_phone"],["Ann","0612345678"]]}"#);
    assert!(f.iter().any(|(e, _)| *e == "PHONE"), "{f:?}");
}

#[test]
fn a_flattened_table_first_column_is_no_phone() {
    for text in [
        "Order #,Order Date,First Name,Last Name,Email,Cell Phone,Ticket Type,Barcode # | 8256388227,2026-11-25,Tabea,Butte,t@example.org,+49 1512 3456789,VIP,123 | 4260141290,2026-11-18,Jessika,Siering,j@example.org,+44 7700 900123,VIP,456",
        "LISTING_ID|STATUS|LIST_PRICE|AGENT|AGENT_PHONE|LOCKBOX | 670147502|S|1701000|Mirela|+49 30 1234567|4411 | 920319447|S|648000|Ama|+39 02 1830 1836|1234",
        "Backer Number,Backer UID,Name,Email,Survey Phone\n1,9221836259,Benito Moneta,b@example.org,+39 312 397 7339\n",
    ] {
        let phones = found(text, Entity::Phone);
        assert!(!phones.is_empty(), "{text:?}");
        assert!(phones.iter().all(|p| p.starts_with('+')), "{text:?}: {phones:?}");
    }
    // Look-alikes that stay phones: a flattened row that is a phone's (`Tel | 0612345678`),
    // a phone column's cell after a flattened line break.
    assert_eq!(
        found("Kontakt / Tel.: 0612345678", Entity::Phone),
        vec!["0612345678".to_string()]
    );
    assert_eq!(
        found("Phone,Name | 0612345678,Ann", Entity::Phone),
        vec!["0612345678".to_string()]
    );
}
