//! Fifteenth round, part A (issue #20, on blind14's misses): birth-date columns headed in
//! two languages, airline-style and Dutch `mrt` birth dates, SSN-shaped claim and member
//! numbers, call records' columns, phone words of other columns, form and listing ids, a
//! GDS's form-of-payment cards. Each class with the look-alikes it must leave alone.

use super::tests_support::found_all;
use super::*;

fn dobs(text: &str) -> Vec<String> {
    found_all(text, Entity::DateOfBirth)
}

/// A header cell naming the column in two languages (`Geb./DOB`): the column's dates.
#[test]
fn birth_date_column_headed_in_two_languages() {
    let table = "Nr | Name | Geb./DOB | Tel | Eintritt\n\
                 0464 | Arsenio Sansoni | 20/01/1958 | 312 079 2360 | 2021-03-01\n\
                 3244 | Job Mangel | 31-03-1981 | 06-18593199 | 2019-11-12\n";
    assert_eq!(dobs(table), ["20/01/1958", "31-03-1981"]);
    let csv = "id;DOB / Geburtsdatum;created\n7;1962-07-20;2024-01-02\n";
    assert_eq!(dobs(csv), ["1962-07-20"]);
    assert!(table::birth_date_header("Geb./DOB"));
    assert!(table::birth_date_header(
        "Date of birth / Date de naissance"
    ));
}

/// Columns whose `/`-separated names name no birth date stay unread: a birth place, a
/// start or hire date beside the date of birth.
#[test]
fn two_language_headers_naming_other_dates_stay_unfound() {
    for cell in [
        "Geb.-Ort/POB",
        "Start/Beginn",
        "Date/Datum",
        "birth_place/Geburtsort",
    ] {
        assert!(!table::birth_date_header(cell), "{cell}");
    }
    let table = "Nr | Name | Geb./DOB | Eintritt/Start\n\
                 0464 | A. Sansoni | 20/01/1958 | 01/03/2021\n";
    assert_eq!(dobs(table), ["20/01/1958"]);
}

/// A birth date written as airline reservations write it (`DDMMMYY`, IATA), after a
/// birth phrase.
#[test]
fn airline_style_birth_dates() {
    for (text, date) in [
        (
            "  5 RM PAX1 DOB 10JUN79 PASSPORT DE C5F9QV6DC EXP 27DEC30\n",
            "10JUN79",
        ),
        ("SSR DOCS YY HK1 born 27SEP1959 IT\n", "27SEP1959"),
        ("Passenger DOB: 03aug76\n", "03aug76"),
    ] {
        assert_eq!(dobs(text), [date], "{text}");
    }
}

/// The same shape without a birth phrase (a flight's date, a passport's expiry) is no
/// birth date; nor is a word glued to it.
#[test]
fn airline_dates_without_birth_phrase_stay_unfound() {
    for text in [
        "  2  AF 1041 Y 18DEC 4 CDGFCO HK1  0630 1545\n",
        "PASSPORT DE C5F9QV6DC EXP 27DEC30\n",
        "Flight on 10JUN79 to Paris\n",
        "DOB 10JUN79X\n",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}

/// Dutch `mrt` (maart) as a month's abbreviation.
#[test]
fn dutch_march_abbreviation() {
    assert_eq!(dobs("geboren op 19 mrt 1964\n"), ["19 mrt 1964"]);
    assert!(dobs("vergadering op 19 mrt 1964\n").is_empty());
}

fn ssns(text: &str) -> Vec<String> {
    found_all(text, Entity::UsSsn)
}

/// An SSN-shaped number labelled as a claim or a member number (in the locales) is that
/// number, not an SSN.
#[test]
fn claim_and_member_numbers_in_ssn_shape_stay_unfound() {
    for text in [
        "Adjuster notes — claim 864-87-2737 (not an SSN), loss date 03/11\n",
        "Gift Aid / Member no. 887-82-9626\n",
        "(Mitgliedsnr. 460-50-4123)\n",
        "release: Lidnummer 063-06-2781\n",
        "N.º socio 847-96-6471\n",
        "# Tessera n. 442-63-5691\n",
        "release: N° adhérent 413-17-9037\n",
        "Member ID 652-01-9772\n",
    ] {
        assert!(ssns(text).is_empty(), "{text}");
    }
}

/// An SSN keyword keeps the number an SSN, a claim or member number beside it or not.
#[test]
fn ssns_beside_claim_and_member_numbers_are_found() {
    assert_eq!(
        ssns("SSN: 387-83-9996   claim 148-64-3520\n"),
        ["387-83-9996"]
    );
    assert_eq!(ssns("Member SSN: 216-40-3928\n"), ["216-40-3928"]);
    assert_eq!(ssns("Socio 1, SSN 582-22-1830\n"), ["582-22-1830"]);
    assert_eq!(ssns("Applicant 216-40-3928 on file\n"), ["216-40-3928"]);
    assert_eq!(ssns("SSN/TIN: 035-62-9857; SO-1\n"), ["035-62-9857"]);
    assert_eq!(ssns("tax id (SSN) 342-65-5592\n"), ["342-65-5592"]);
    // Other identifier labels do not make an SSN-shaped number theirs: a ticket search for
    // an SSN is one (fail closed; the scenario bank's `adversarial/pii.yaml` asks the same).
    for (text, ssn) in [
        ("type:ticket 536-22-8814", "536-22-8814"),
        ("order 216-40-3928 refund", "216-40-3928"),
        ("case 387-83-9996\n", "387-83-9996"),
    ] {
        assert_eq!(ssns(text), [ssn], "{text}");
    }
}

fn phones(text: &str) -> Vec<String> {
    found_all(text, Entity::Phone)
}

/// A column of ids named after a phone word (a call record's `cell_id`) is no phone column;
/// a call record's `a_number`/`b_number` are.
#[test]
fn call_record_columns() {
    let cdr = "call_id|start|duration_s|a_number|b_number|cell_id|imei\n\
               e8526e94c0fb|2026-12-13 00:54|643|40 79 84 04|01206 567886|775-88875|358357776926315\n\
               c72795d0b6bd|2026-12-13 02:48|1091|+44-7400-789889|40.66.91.15|575-81298|996133720376974\n";
    assert_eq!(
        phones(cdr),
        [
            "40 79 84 04",
            "01206 567886",
            "+44-7400-789889",
            "40.66.91.15"
        ]
    );
    assert!(found_all(cdr, Entity::Ipv4).is_empty());
    for cell in ["cell_id", "Phone ID", "tel_ids", "a_number_type", "number"] {
        assert!(!table::phone_header(cell), "{cell}");
    }
    for cell in ["cell", "phone_1", "A-Number", "b_number", "Telefonnummer"] {
        assert!(table::phone_header(cell), "{cell}");
    }
}

/// A form's id after a contact phone is that id, not a second phone.
#[test]
fn form_ids_after_a_phone_stay_unfound() {
    let text = "Person 2: Ida Brandt, relationship spouse, Geb.: 18.04.1956\n\
                Contact phone: +49 30 149132\n\
                Form ID 698-678-845 (9 digits, not an SSN)\n";
    assert_eq!(phones(text), ["+49 30 149132"]);
    assert_eq!(
        phones("Call me back, form no. 030 1234 5678\n"),
        Vec::<String>::new()
    );
    assert_eq!(phones("Call me back: 030 1234 5678\n"), ["030 1234 5678"]);
}

/// A phone word in a table's header line is its own column's: the number starting the next
/// row, in a column named otherwise, is no phone; nor is a listing's number after a phone.
#[test]
fn phone_words_of_other_columns_and_listing_numbers() {
    let table = "MLS_ID|STATUS|LIST_PRICE|ADDRESS|AGENT|AGENT_PHONE|AGENT_EMAIL|LOCKBOX\n\
                 308831858|P|681000|Borgo Danilo, 2|Raffaello Meucci|+39 02 2842 7050|m@ziggo.nl|7683\n";
    assert_eq!(phones(table), ["+39 02 2842 7050"]);
    assert_eq!(
        phones("On-call phone 810 51 72 68. MLS# 286666749; Meeting ID: 269 8600 6596\n"),
        ["810 51 72 68"]
    );
    // A first column headed as a phone, and a phone after its word on the line above, stay
    // phones.
    assert_eq!(phones("Phone|Name\n0301234567|Bob\n"), ["0301234567"]);
    assert_eq!(phones("Call me back on\n0301234567\n"), ["0301234567"]);
}

fn cards(text: &str) -> Vec<String> {
    found_all(text, Entity::CreditCard)
}

/// A reservation's form of payment as a GDS writes it (`FP CC`, the brand's code, the number
/// glued to it, `/` and the expiry): the card number.
#[test]
fn gds_form_of_payment_cards() {
    for (text, card) in [
        (
            "  6 FP CCVI5268764694734655/0928\n  7 FA PAX 057-020107616\n",
            "5268764694734655",
        ),
        ("  6 FP CCAX372572231584747/0927\n", "372572231584747"),
        ("  6 FP CCCA4480987743218/1229\n", "4480987743218"),
        (
            "6 FP CCDC30082031625629/0530 |   7 FA PAX\n",
            "30082031625629",
        ),
    ] {
        assert_eq!(cards(text), [card], "{text}");
    }
}

/// The same digits glued to other words, or failing the card checks, stay unfound.
#[test]
fn glued_numbers_that_are_no_form_of_payment_stay_unfound() {
    for text in [
        "ref XCCVI5268764694734655/0928\n",
        "batch ABVI5268764694734655\n",
        "CCVI5268764694734656/0928\n",
        "id CCvi5268764694734655\n",
        "sku VI5268764694734655\n",
        "FP CCVI",
        "FP CCVI12",
    ] {
        assert!(cards(text).is_empty(), "{text}");
    }
}
