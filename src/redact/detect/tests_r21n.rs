//! The twenty-first round's task num (issue #20): a message's id filling its JSON member is
//! no e-mail address, a tax or national id beside the record's own SSN member is no SSN,
//! and a birth date answered on a chat transcript's next turn (`user> …`); each with the
//! look-alikes it must leave alone.

use super::tests_support::{found, json_findings_checked as json_findings};
use crate::redact::entity::Entity;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_message_id_member_holds_no_email_address() {
    for body in [
        // Mailgun's event: the id without brackets, beside the recipient's address.
        r#"{"event":"delivered","recipient":"jane.roe@example.com","message":{"headers":{"message-id":"ffd9c3ed262d32776fe7@mg.example.io","subject":"hi"}}}"#,
        // Graph's `internetMessageId`, in brackets; SES's `messageId`; a reply's id.
        r#"{"internetMessageId":"<CAF3x+abc123@mail.gmail.com>","from":"jane.roe@example.com"}"#,
        r#"{"mail":{"messageId":"0100018c-6b1e@email.amazonses.com","source":"jane.roe@example.com"}}"#,
        r#"{"In-Reply-To":" <20261205.1234@relay.example.com> ","to":"jane.roe@example.com"}"#,
        r#"{"msg_id":"a1b2c3@mx.example.net","Content-ID":"image001.png@01DA1234.5678ABCD","cc":"jane.roe@example.com"}"#,
    ] {
        let emails: Vec<_> = json_findings(body)
            .into_iter()
            .filter(|(e, _)| *e == "EMAIL")
            .collect();
        assert_eq!(emails.len(), 1, "{body}: {emails:?}");
        assert!(
            !emails[0].1.to_ascii_lowercase().contains("id"),
            "{body}: {emails:?}"
        );
    }
}

#[test]
fn an_address_under_a_message_id_key_that_is_not_the_whole_value_stays() {
    // Look-alikes: an address among other words under the key, an address under a key that
    // only ends in `id` (a sender's or a user's id can be a mailbox), `message` alone, and
    // `Message-ID` in text without brackets stays the text rule's (an address after it).
    for (body, pointer) in [
        (
            r#"{"message_id":"bounce from jane.roe@example.com"}"#,
            "/message_id",
        ),
        (r#"{"user_id":"jane.roe@example.com"}"#, "/user_id"),
        (r#"{"sender_id":"jane.roe@example.com"}"#, "/sender_id"),
        (r#"{"message":"jane.roe@example.com"}"#, "/message"),
        (
            r#"{"message_id":"<jane.roe@example.com> and more"}"#,
            "/message_id",
        ),
    ] {
        assert_eq!(json_findings(body), vec![s("EMAIL", pointer)], "{body}");
    }
    assert_eq!(
        found(
            "reply to the message-id owner jane.roe@example.com",
            Entity::Email
        ),
        vec!["jane.roe@example.com".to_string()]
    );
}

#[test]
fn a_national_id_beside_the_records_own_ssn_member_is_no_ssn() {
    for body in [
        // The onboarding record of a non-US employee: `ssn` empty, the national id filled.
        r#"{"employee":{"first_name":"Ana","phone":"+34 612 36 47 91","ssn":"","national_id":"499812408"}}"#,
        // The SSN member after the national id (the raw pass gives the object to the walk).
        r#"{"employee":{"national_id":"499812408","ssn":"","first_name":"Ana"}}"#,
        // A tax id beside an SSN member that holds the SSN: only the SSN is one.
        r#"{"person":{"social_security_number":"","tax_id":"488213291"}}"#,
    ] {
        assert!(
            json_findings(body).iter().all(|(e, _)| *e != "US_SSN"),
            "{body}"
        );
    }
    assert_eq!(
        json_findings(r#"{"person":{"ssn":"536-22-1234","tax_id":"488213291"}}"#),
        vec![s("US_SSN", "/person/ssn")]
    );
    // Look-alikes that stay SSNs: no SSN member in the object (the sixteenth round's rule),
    // an SSN member in another object, a national id's own `value` member.
    for (body, pointer) in [
        (
            r#"{"customer":{"national_identification_number":"280087854"}}"#,
            "/customer/national_identification_number",
        ),
        (
            r#"{"spouse":{"ssn":""},"customer":{"tax_id":"488213291"}}"#,
            "/customer/tax_id",
        ),
        (
            r#"{"ssn":"","worker":{"nationalIds":[{"type":"SSN","value":"157399965"}]}}"#,
            "/worker/nationalIds/0/value",
        ),
    ] {
        assert_eq!(json_findings(body), vec![s("US_SSN", pointer)], "{body}");
    }
}

#[test]
fn a_birth_date_answered_on_a_transcripts_next_turn_is_found() {
    for (text, want) in [
        (
            "bot> And your date of birth to verify?\nuser> 1963-11-02\nbot> ok",
            "1963-11-02",
        ),
        (
            "bot> Und Ihr Geburtsdatum zur Prüfung?\nuser> 12.10.2001\n",
            "12.10.2001",
        ),
        (
            "bot> Et votre date de naissance ? ⏎ user> 26/07/1950 ⏎ bot> ok",
            "26/07/1950",
        ),
        (
            "bot> ¿Y tu fecha de nacimiento?\r\nuser> 23/08/1984",
            "23/08/1984",
        ),
        (
            "<agent> date of birth please?\n<caller> 10/30/2001",
            "10/30/2001",
        ),
    ] {
        assert_eq!(found(text, Entity::DateOfBirth), vec![want], "{text:?}");
    }
}

#[test]
fn transcript_look_alikes_stay_unfound() {
    for text in [
        // Another date's word between the phrase and the question mark.
        "bot> date of birth and start date?\nuser> 2024-01-02",
        // A quoted reply (`> …`: no speaker), a prompt with a digit in it.
        "bot> And your date of birth to verify?\n> 1963-11-02",
        "bot> And your date of birth to verify?\nnode1> 1963-11-02",
        // No question: the next turn's date is its own.
        "bot> Thanks, date of birth noted.\nuser> 2026-12-01 works for the call",
        // The answer is the next turn's, but not a date first and no birth date's shape.
        "bot> And your date of birth to verify?\nuser> order 2026-12-01",
    ] {
        assert!(found(text, Entity::DateOfBirth).is_empty(), "{text:?}");
    }
}

#[test]
fn a_blank_aligned_tables_phone_and_ssn_columns_are_read_where_its_lines_are_flattened() {
    // A sheet's rows joined by ` ⏎ ` inside a tool call's string (cells two blanks apart):
    // the `Phone` column's cells are phones by their column, as on separate lines.
    let sheet = "Internal ID  Name  Email  Phone  Tax ID  Date Created ⏎ 91394  Jane Roe  jane@example.com  0701726549  859576464  2024-08-29 ⏎ 29847  John Roe  john@example.com  +33-1-23-47-98-08  743389150  09/14/2025 ⏎ ";
    assert_eq!(
        found(sheet, Entity::Phone),
        vec!["0701726549".to_string(), "+33-1-23-47-98-08".to_string()]
    );
    // The `Tax ID` column is no SSN column: its bare nine digits stay.
    assert!(found(sheet, Entity::UsSsn).is_empty());
    // A payroll run's print: the `SSN` column's bare nine digits are SSNs, on real lines and
    // on flattened ones.
    for text in [
        "Employee            Gross      Net       SSN            Bank\nMichelle Liu        8497.00   3577.00  653544146   ****9865\n",
        "Employee            Gross      Net       SSN            Bank ⏎ Michelle Liu        8497.00   3577.00  653544146   ****9865 ⏎ ",
    ] {
        assert_eq!(found(text, Entity::UsSsn), vec!["653544146"], "{text:?}");
    }
}

#[test]
fn flattened_blank_table_look_alikes_stay_unfound() {
    for text in [
        // A column that names no phone: its numbers stay (an advice number, an amount).
        "Employee  Advice number  Net ⏎ Jane Roe  0701726549  3577.00 ⏎ ",
        // The same digits with no header line above (one flattened line, no table).
        "ref ⏎ 91394  Jane Roe  0701726549  859576464 ⏎ ",
        // An SSN column's cell that is no valid SSN (area 000).
        "Employee  Gross  SSN  Bank ⏎ Jane Roe  8497.00  000441234  ****9865 ⏎ ",
    ] {
        assert!(found(text, Entity::Phone).is_empty(), "{text:?}");
        assert!(found(text, Entity::UsSsn).is_empty(), "{text:?}");
    }
}

#[test]
fn a_version_keys_dotted_number_after_a_fat_arrow_is_no_address() {
    // Nextcloud's `config.php` (PHP's `=>`), a Ruby hash: the version member's value.
    for text in [
        "  'dbhost' => '10.0.0.12',\n  'version' => '28.0.6.4',\n  'dbuser' => 'nc_admin',",
        "{ :version => \"30.0.3.8\", :host => \"10.0.0.12\" }",
    ] {
        assert_eq!(found(text, Entity::Ipv4), vec!["10.0.0.12"], "{text:?}");
    }
    // Look-alikes: a host key's address after `=>` stays one.
    assert_eq!(
        found("'dbhost' => '203.0.113.9',", Entity::Ipv4),
        vec!["203.0.113.9"]
    );
}
