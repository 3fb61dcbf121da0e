//! Fortieth round, task dob (`evidence_r40d`): a birth-date label with a parenthesised
//! qualifier before its colon or its table cell's end, in every locale's phrase; look-alikes
//! (another date's label, a date or a long number in the parentheses); cut inputs.

use super::evidence_r40d::qualifier_end;
use super::tests_support::{
    assert_each_found, assert_none_found, json_findings_checked, scan_every_cut,
};
use super::*;

#[test]
fn a_birth_label_with_a_qualifier_keeps_its_date() {
    assert_each_found(
        Entity::DateOfBirth,
        &[
            (
                "Date of birth (2): 08/21/2012\nPhone: (212) 555-0143\n",
                "08/21/2012",
            ),
            (
                "Date of birth (item 3): March 2, 1971\nPhone: x\n",
                "March 2, 1971",
            ),
            ("Date of birth (item 3): 04/10/1998\n", "04/10/1998"),
            (
                "- Fecha de nacimiento (2): 12 de noviembre de 2020\n- Tel\u{e9}fono: x\n",
                "12 de noviembre de 2020",
            ),
            ("Fecha de nacimiento (2): 04/08/2017\n", "04/08/2017"),
            (
                "| Geburtsdatum (2) | 20.03.2016 |\n| Telefon | x |\n",
                "20.03.2016",
            ),
            ("- Geburtsdatum (2): 26.03.2012\n", "26.03.2012"),
            (
                "Data di nascita (2): 05/05/2020\nTelefono: x\n",
                "05/05/2020",
            ),
            (
                "| Data di nascita (2) | 17 maggio 2014 |\n",
                "17 maggio 2014",
            ),
            ("- Geboortedatum (2): 16 januari 2019\n", "16 januari 2019"),
            ("Date de naissance (2): 16 mars 2019\n", "16 mars 2019"),
            ("- Date de naissance (2): 08/09/2022\n", "08/09/2022"),
            ("| Date of birth (2) | 12/27/2018 |\n", "12/27/2018"),
            ("| Fecha de nacimiento (2) | 09/11/2022 |\n", "09/11/2022"),
            ("DOB (Nr. 2): 1990-01-02\n", "1990-01-02"),
            ("Birth date (#2): 1990-01-02\n", "1990-01-02"),
            ("Date of birth (for the insurer): 2/15/1988\n", "2/15/1988"),
        ],
    );
}

#[test]
fn a_qualifier_after_another_label_or_holding_a_date_is_not_read() {
    assert_none_found(
        Entity::DateOfBirth,
        &[
            "Lieferdatum (2): 20.03.2016\n",
            "| Lieferdatum (2) | 20.03.2016 |\n",
            "Date de livraison (2): 16 mars 2019\n",
            "Start date (item 3): March 2, 2021\n",
            "Date of birth (2): pending; start date: 2024-01-02\n",
            "Date of birth (2) unknown, start date 2024-01-02\n",
            "Date of birth (1)(2): 08/21/2012\n",
            "Date of birth (12345): 08/21/2012\n",
            "Date of birth (1 2): 08/21/2012\n",
            "Date of birth (item 3, renewal date): 08/21/2012\n",
            "Date of birth (2)\n08/21/2012\n",
        ],
    );
}

#[test]
fn a_qualified_birth_label_in_json() {
    for (body, ptr) in [
        (
            r#"{"form":"Date of birth (2): 08/21/2012\nPhone: n/a"}"#,
            "/form",
        ),
        (
            r#"{"md":"| Geburtsdatum (2) | 20.03.2016 |\n| Telefon | - |"}"#,
            "/md",
        ),
        (
            r#"{"t":"- Geboortedatum (2): 16 januari 2019\n- Telefoon: -"}"#,
            "/t",
        ),
    ] {
        let got = json_findings_checked(body);
        assert!(
            got.contains(&("DATE_OF_BIRTH", ptr.to_string())),
            "{body}: {got:?}"
        );
    }
    let got = json_findings_checked(r#"{"t":"Lieferdatum (2): 20.03.2016"}"#);
    assert!(!got.iter().any(|(e, _)| *e == "DATE_OF_BIRTH"), "{got:?}");
}

#[test]
fn a_qualifier_cut_anywhere() {
    for t in ["(", "(2", "(item 3", "()", "(2)", "(1/2)"] {
        let end = qualifier_end(t.as_bytes(), 0);
        assert_eq!(end, (t == "(2)").then_some(3), "{t}");
    }
    assert_eq!(qualifier_end(b"x(2)", 4), None);
    assert_eq!(qualifier_end(b"x(2)", 9), None);
    scan_every_cut("| Geburtsdatum (item 3) | 20.03.2016 |\nDate of birth (2): 08/21/2012\n");
    scan_every_cut("Fecha de nacimiento (2): 12 de noviembre de 2020");
}
