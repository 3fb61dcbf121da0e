//! The nineteenth round's birth dates by structure (issue #20, task D): a date no word names
//! in a record that holds the person's other PII — a CSV or `;` row, a fixed-width record, a
//! chat answer, a JSON object whose other members hold an e-mail address or a phone — when
//! its year makes a plausible age and no event's word stands before it; with the look-alikes
//! it must leave alone.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn a_date_in_a_line_holding_the_persons_pii_is_a_birth_date() {
    for (text, want) in [
        (
            "52975,Leslie Herrera,kristin.griffith@example.us,+1 201-550-0138,October 2, 1956,1275819023,2022-07-13",
            vec!["October 2, 1956"],
        ),
        (
            "5848;Liesbeth;Buchholz;1977-10-07;buchholz.l@example.io\n8845;Danny;Oderwald;03.03.1985;d.o@example.io",
            vec!["1977-10-07", "03.03.1985"],
        ),
        // A fixed-width (COBOL) record: a surname, an e-mail address, a date.
        (
            "00017 HARTMANN   JOANNE    j.hartmann@example.com  1962-11-04 CHK 000451.20",
            vec!["1962-11-04"],
        ),
        // A chat answer after the question, the date after the e-mail address.
        (
            "[10:02] agent: can you confirm your date of birth and e-mail?\n[10:03] Lou: lou@example.org, 19/4/1969",
            vec!["19/4/1969"],
        ),
    ] {
        assert_eq!(found(text, Entity::DateOfBirth), want, "{text:?}");
    }
}

#[test]
fn dates_an_event_or_an_identifier_names_or_no_age_fits_stay_unfound() {
    for text in [
        // An event's word before the date in its cell.
        "Jane Roe, jane@example.org, created 1999-03-04",
        "Jane Roe; jane@example.org; Rijbewijs sinds 07-11-2005",
        "Jane Roe, jane@example.org, member since 12/01/1998",
        "Hi support, this is Jane Roe. Ticket 07/24/1981: my card 4111 1111 1111 1111 was charged twice",
        // No plausible age (a recent date, a future one, a two-digit year), a time stamp.
        "Jane Roe, jane@example.org, 2024-03-02",
        "Jane Roe, jane@example.org, 2031-01-01",
        "Jane Roe, jane@example.org, 03/04/85",
        "Jane Roe, jane@example.org, 1985-03-02T10:00:00Z",
        "Jane Roe, jane@example.org, 1985-03-02 10:01",
        // No PII on the date's line.
        "Jane Roe\njane@example.org\n1985-03-02",
        "Release 1985-03-02, build 44",
        // A phone's digits that read as a date.
        "Questions: +39-02-1935-7637, jane@example.org",
    ] {
        assert_eq!(found(text, Entity::DateOfBirth), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn a_json_record_whose_members_hold_the_persons_pii_has_its_date_read() {
    // The date under a key no rule knows, the e-mail address and phone beside it (before
    // or after), in the raw pass and the walk alike.
    for body in [
        r#"{"rows":[{"nm":"Jane Roe","em":"jane@example.org","tel":"+44 20 7946 0958","d1":"1984-03-02"}]}"#,
        r#"{"rows":[{"d1":"2 March 1984","nm":"Jane Roe","contact":"jane@example.org"}]}"#,
        // The year behind an escape (`\u0038` is `8`): the raw pass's cheap look at the
        // bytes (`may_hold_birth_year`) lets it through to the judge, as the walk does.
        r#"{"rows":[{"em":"jane@example.org","d1":"19\u00384-03-02"}]}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            got.contains(&("DATE_OF_BIRTH", "/rows/0/d1".to_string())),
            "{body}: {got:?}"
        );
    }
    // Look-alikes: an event's key, a date with a time, a recent date, no PII beside it.
    for body in [
        r#"{"nm":"Jane Roe","em":"jane@example.org","created_at":"1984-03-02"}"#,
        r#"{"nm":"Jane Roe","em":"jane@example.org","shippedOn":"1984-03-02"}"#,
        r#"{"nm":"Jane Roe","em":"jane@example.org","d1":"1984-03-02T10:00:00Z"}"#,
        r#"{"nm":"Jane Roe","em":"jane@example.org","d1":"2025-03-02"}"#,
        r#"{"nm":"Jane Roe","d1":"1984-03-02","note":{"em":"jane@example.org"}}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            !got.iter().any(|(e, _)| *e == "DATE_OF_BIRTH"),
            "{body}: {got:?}"
        );
    }
}
