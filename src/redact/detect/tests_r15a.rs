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
