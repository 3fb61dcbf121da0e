//! Sixteenth round, part D (issue #20, on all splits' birth-date misses): sheets headed by
//! the birth noun alone, labelled answers in JSON (a form's question and answer, a signing
//! tab's label and value, a form answer's field), and birth dates in prose and dialogue. Each
//! class with the look-alikes it must leave alone.

use super::tests_support::{found_all, json_findings_checked};
use super::*;

fn dobs(text: &str) -> Vec<String> {
    found_all(text, Entity::DateOfBirth)
}

/// A column headed by the birth noun alone (`Nacimiento`, `Nascita`, `Naissance`): its
/// dates, in a sheet's `values` and in a text table; a place of birth stays unread.
#[test]
fn birth_noun_columns_hold_birth_dates() {
    for name in ["Nacimiento", "Nascita", "Naissance", "Birth", "geboorte"] {
        assert!(table::birth_date_header(name), "{name}");
    }
    for name in [
        "Lieu de naissance",
        "place_of_birth",
        "luogo_nascita",
        "Birth place",
        "birth_country",
        "rebirth",
    ] {
        assert!(!table::birth_date_header(name), "{name}");
    }
    let doc = r#"{"values": [["id", "Nombre", "Phone", "Nacimiento", "Note"],
        [1, "Emilia Pena", "+34 626 93 55 29", "06/03/1985", "ref 2024-01-02"],
        [2, "Pancho Torres", "+34 642 78 79 34", "25 de junio de 1962", "x"]]}"#;
    let got = json_findings_checked(doc);
    let dob: Vec<&str> = got
        .iter()
        .filter(|(e, _)| *e == "DATE_OF_BIRTH")
        .map(|(_, p)| p.as_str())
        .collect();
    assert_eq!(dob, ["/values/1/3", "/values/2/3"]);
    let csv = "id;name;Nascita;Luogo di nascita;created\n7;Rosa;1962-07-20;Roma;2024-01-02\n";
    assert_eq!(dobs(csv), ["1962-07-20"]);
    let places = r#"{"values": [["id", "Lieu de naissance"], [1, "Paris 15e"]]}"#;
    assert!(json_findings_checked(places).is_empty());
}
