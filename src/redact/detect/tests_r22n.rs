//! The twenty-second round's task num (issue #20): a subnet mask is no host's address; a
//! Moodle custom field's `shortname` labels its value; a birth question answered by a
//! bracketed speaker (`[patient] 04/13/1946`); a `_` in a birth key's run-up (`dob_check=`);
//! `nacido/a` without `el`; a French DSN's birth-date rubric; a crew list's `Date and place
//! of birth` column; a COBOL copybook's fields naming its records' tokens. Each with the
//! look-alikes it must leave alone.

use super::tests_support::{found, json_findings_checked as json_findings};
use crate::redact::entity::Entity;

#[test]
fn a_subnet_mask_is_no_address_but_the_host_beside_it_is() {
    for text in [
        "[network]\nip = 38.40.141.76\nmask = 255.255.255.0\n[cloud]",
        "inet 38.40.141.76 netmask 255.255.0.0 broadcast 38.40.255.255",
        "ip=38.40.141.76 mask=255.255.255.192 bcast=255.255.255.255",
        "route add -net 38.40.141.0 netmask 255.0.0.0 gw 38.40.141.76",
    ] {
        let ips = found(text, Entity::Ipv4);
        assert!(ips.contains(&"38.40.141.76".to_string()), "{text}: {ips:?}");
        assert!(
            ips.iter().all(|ip| !ip.starts_with("255.")),
            "{text}: {ips:?}"
        );
    }
    // Look-alikes of a mask's shape that are hosts: ones not contiguous, a first octet that
    // is not 255.
    for host in [
        "255.255.0.255",
        "255.254.255.0",
        "254.255.255.0",
        "255.1.2.3",
    ] {
        let text = format!("peer {host} up");
        assert_eq!(found(&text, Entity::Ipv4), vec![host.to_string()], "{text}");
    }
    assert!(super::check::netmask(b"255.255.255.0"));
    assert!(super::check::netmask(b"255.255.255.255"));
    assert!(super::check::netmask(b"255.128.0.0"));
    assert!(!super::check::netmask(b"255.255.255.1"));
    assert!(!super::check::netmask(b"255.255.255"));
    assert!(!super::check::netmask(b"255.255.255.0.0"));
    assert!(!super::check::netmask(b"255.255.256.0"));
}

#[test]
fn a_custom_fields_shortname_labels_its_value() {
    // Moodle's `core_user_get_users`: the field's `shortname` names it.
    let body = r#"{"users":[{"id":7,"email":"jane.roe@example.com","customfields":[{"type":"text","value":"1996-07-19","name":"Date","shortname":"dob"},{"type":"text","value":"28/06/2024","name":"Enrolled","shortname":"enrolled"}]}]}"#;
    let got = json_findings(body);
    assert!(
        got.contains(&("DATE_OF_BIRTH", "/users/0/customfields/0/value".to_string())),
        "{got:?}"
    );
    assert!(
        got.iter().all(|(_, p)| !p.contains("customfields/1")),
        "{got:?}"
    );
    // The shortname first; and one naming another date leaves its value alone.
    let body = r#"{"customfields":[{"shortname":"birthdate","value":"08.10.1946"},{"shortname":"hiredate","value":"08.10.2016"}]}"#;
    assert_eq!(
        json_findings(body),
        vec![("DATE_OF_BIRTH", "/customfields/0/value".to_string())]
    );
    // A title is still no label: a calendar's birthday party.
    let body = r#"{"events":[{"title":"Birthday","shortname":"party","date":"2026-12-19"}]}"#;
    assert!(json_findings(body).is_empty());
}

#[test]
fn a_bracketed_speaker_answers_the_birth_question() {
    for (text, date) in [
        (
            "[2026-12-15T09:08:00+01:00] Dr. Miller: can you confirm your date of birth?\n[patient] 04/13/1946\n[patient] and my number is 2015550530",
            "04/13/1946",
        ),
        (
            "Dr. Albers: können Sie Ihr Geburtsdatum bestätigen?\n[patient] 1960-02-24\n",
            "1960-02-24",
        ),
        (
            "Dr. Hoyos: ¿me confirma su fecha de nacimiento?\n[caller] sí, 1975-03-12\n",
            "1975-03-12",
        ),
    ] {
        assert_eq!(found(text, Entity::DateOfBirth), vec![date.to_string()], "{text}");
    }
    // Look-alikes: a time stamp in brackets is no speaker and a date there is the time's
    // line; a question that names no birth date; a date of another event in the answer.
    for text in [
        "Dr. Miller: can you confirm your appointment?\n[patient] 04/13/2027",
        "Dr. Miller: when did the pain start?\n[patient] 04/13/2026",
        "Dr. Miller: can you confirm your date of birth?\n[2026-12-15] 04/13/2026 visit booked",
    ] {
        assert!(found(text, Entity::DateOfBirth).is_empty(), "{text}");
    }
}

#[test]
fn an_underscore_joins_a_birth_keys_run_up() {
    for (text, date) in [
        ("  dob_check=29/03/1933 result=match", "29/03/1933"),
        (
            "  dob_check=1 de mayo de 2006 result=match",
            "1 de mayo de 2006",
        ),
        ("DOB_VERIFIED: 1982-04-21", "1982-04-21"),
    ] {
        assert_eq!(
            found(text, Entity::DateOfBirth),
            vec![date.to_string()],
            "{text}"
        );
    }
    // Look-alikes: a word joined before the keyword (`last_dob` is still no boundary, no
    // more than before), a birthday's party.
    for text in ["nodob_check=29/03/1933", "birthday_party=2026-12-19"] {
        assert!(found(text, Entity::DateOfBirth).is_empty(), "{text}");
    }
}

#[test]
fn a_crew_lists_date_and_place_of_birth_column() {
    let text = "CREW LIST (IMO FAL Form 5)\nFamily name, given names | Rank | Nationality | Date and place of birth | Seafarer ID\n1. Pacomio, Corrado | 2/E | IT | 24/08/1997, Cagliari | L02885669\n2. Balbo, Angelo | AB | IT | 10 May 2002, Cagliari | C02711291\nAgent ashore: +39 312 345 6789";
    assert_eq!(
        found(text, Entity::DateOfBirth),
        vec!["24/08/1997".to_string(), "10 May 2002".to_string()]
    );
    // Look-alikes: the place's column alone, a date of issue beside the birth's, a cell with
    // no comma after the date.
    for text in [
        "Name | Place of birth | Seafarer ID\nPacomio | Cagliari | L02885669",
        "Name | Date and place of issue | Seafarer ID\nPacomio | 24/08/2019, Cagliari | L02885669",
        "Name | Date and place of birth | Seafarer ID\nPacomio | 24/08/1997 (see file) | L02885669",
    ] {
        assert!(found(text, Entity::DateOfBirth).is_empty(), "{text}");
    }
}

#[test]
fn a_copybooks_fields_name_its_records_tokens() {
    let text = "      * CUSTREC.CPY test data\n       01 CUST-REC.\n          05 CUST-ID        PIC 9(9).\n          05 CUST-SSN       PIC 9(9).\n          05 CUST-BIRTH-DATE PIC X(10).\n          05 CUST-CARD      PIC X(19).\n      * records:\n      * 040804707 431862222 1990-08-29 4774700283415 CANOVAS\n      * 784675084 336066771 1975-09-30 3530347306705375 BORJA\n";
    assert_eq!(
        found(text, Entity::UsSsn),
        vec!["431862222".to_string(), "336066771".to_string()]
    );
    // The 13-digit Visa in the card field, the 16-digit one as before.
    assert_eq!(
        found(text, Entity::CreditCard),
        vec!["4774700283415".to_string(), "3530347306705375".to_string()]
    );
    // A log's flattened lines (` | `) as well.
    let flat = text.replace('\n', " | ");
    assert_eq!(found(&flat, Entity::UsSsn).len(), 2, "{flat}");
    // Look-alikes: the id field's nine digits; the same records under a copybook without an
    // SSN field; a record line with no copybook above.
    assert!(!found(text, Entity::UsSsn).contains(&"040804707".to_string()));
    let no_ssn = text.replace("CUST-SSN ", "CUST-ACCT");
    assert!(found(&no_ssn, Entity::UsSsn).is_empty(), "{no_ssn}");
    let bare = "notes:\n      * 040804707 431862222 1990-08-29\n";
    assert!(found(bare, Entity::UsSsn).is_empty());
    assert_eq!(super::table::copybook_field(text.as_bytes(), 0), None);
}

#[test]
fn nacido_needs_no_el() {
    for (text, date) in [
        (
            "Celestina Lastra · nacido/a 26/07/1939\nTel 0034 810 44 26 66",
            "26/07/1939",
        ),
        ("Socio: Leonel Llopis, nacida 1946-01-26", "1946-01-26"),
        ("nacido el 12/03/1980 en Murcia", "12/03/1980"),
    ] {
        assert_eq!(
            found(text, Entity::DateOfBirth),
            vec![date.to_string()],
            "{text}"
        );
    }
    // Look-alikes: `nacional`, and a birthday's party after `nacido` is still no birth.
    for text in ["Registro nacional 05/10/2024", "código nac 05/10/1994"] {
        assert!(found(text, Entity::DateOfBirth).is_empty(), "{text}");
    }
}

#[test]
fn a_dsn_rubric_for_the_birth_date() {
    let text = "S10.G00.00.001 'DSN-Paie'\nS21.G00.30.002 'TILLMANN'\nS21.G00.30.004 'Luna'\nS21.G00.30.006 '01011965'  (date de naissance)\nS21.G00.40.001 '09042026'\n";
    assert_eq!(
        found(text, Entity::DateOfBirth),
        vec!["01011965".to_string()]
    );
    let flat = text.replace('\n', " | ");
    assert_eq!(
        found(&flat, Entity::DateOfBirth),
        vec!["01011965".to_string()]
    );
    // Look-alikes: the contract's start (`S21.G00.40.001`), a day that does not exist, a
    // rubric code alone.
    for text in [
        "S21.G00.40.001 '01011965'",
        "S21.G00.30.006 '32011965'",
        "S21.G00.30.006 '0101196'",
        "S21.G00.30.006 'DUPONT'",
    ] {
        assert!(found(text, Entity::DateOfBirth).is_empty(), "{text}");
    }
}

#[test]
fn a_copybook_record_fills_its_fields() {
    // The writer's look-alike lines under the records: words where a numeric field is, fewer
    // tokens than fields.
    let text = "       01 CUST-REC.\n          05 CUST-ID        PIC 9(9).\n          05 CUST-SSN       PIC 9(9).\n          05 CUST-BIRTH-DATE PIC X(10).\n      * records:\n      * 040804707 431862222 1990-08-29\n      * claim 536915376 x\n      * routing 031176110\n      * 040804707 431862223\n";
    assert_eq!(found(text, Entity::UsSsn), vec!["431862222".to_string()]);
    assert_eq!(
        super::table::copybook_field(text.as_bytes(), text.find("431862222").unwrap_or(0)),
        Some(&b"CUST-SSN"[..])
    );
}
