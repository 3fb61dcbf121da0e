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

fn dob_pointers(body: &str) -> Vec<String> {
    json_findings_checked(body)
        .into_iter()
        .filter(|(e, _)| *e == "DATE_OF_BIRTH")
        .map(|(_, p)| p)
        .collect()
}

/// A label member naming a birth date (`question`, `tabLabel`, `ref` of a form answer's
/// `field`, `name`): the answer members (`answer`, `value`, `date`, `text`) are birth dates,
/// in whatever order the members come (the raw pass leaves an answer read before its label
/// to the `Value` walk).
#[test]
fn labelled_answers_naming_a_birth_date() {
    let calendly = r#"{"payload": {"questions_and_answers": [
        {"question": "Geburtsdatum", "answer": "2. Dezember 1997"},
        {"question": "Policy number", "answer": "PN-2231-8841"},
        {"answer": "15 mei 1974", "question": "Geboortedatum"}]}}"#;
    assert_eq!(
        dob_pointers(calendly),
        [
            "/payload/questions_and_answers/0/answer",
            "/payload/questions_and_answers/2/answer"
        ]
    );
    let docusign = r#"{"tabs": {"dateTabs": [{"tabLabel": "birth_date", "value": "8/21/1969"},
        {"tabLabel": "start_date", "value": "2026-01-05"}]}}"#;
    assert_eq!(dob_pointers(docusign), ["/tabs/dateTabs/0/value"]);
    let typeform = r#"{"form_response": {"answers": [
        {"type": "date", "date": "1985-01-06", "field": {"id": "x1", "ref": "date_of_birth"}},
        {"field": {"ref": "dob", "type": "date", "title": "Naissance"}, "date": "1977-10-16"},
        {"type": "date", "date": "2026-12-20", "field": {"ref": "delivery_date"}}]}}"#;
    assert_eq!(
        dob_pointers(typeform),
        [
            "/form_response/answers/0/date",
            "/form_response/answers/1/date"
        ]
    );
    let custom = r#"[{"name": "Date of Birth", "value": "1961-04-02"}, {"name": "Joined", "value": "2020-02-02"}]"#;
    assert_eq!(dob_pointers(custom), ["/0/value"]);
}

/// Labels naming no birth date, a title, a birthday party and a place of birth leave their
/// answers to the usual rules.
#[test]
fn labels_naming_no_birth_date_stay_unread() {
    for body in [
        r#"{"title": "Birthday", "date": "2026-03-04"}"#,
        r#"{"name": "Birthday party", "date": "2026-03-04"}"#,
        r#"{"question": "Place of birth", "answer": "Modena 1"}"#,
        r#"{"label": "Order date", "value": "2024-01-02"}"#,
        r#"{"question": "Your date of birth, please", "answer": "n/a"}"#,
        r#"{"meta": {"sub": {"label": "dob"}}, "value": "2024-01-02"}"#,
    ] {
        assert!(dob_pointers(body).is_empty(), "{body}");
    }
}

/// Italian `D.N.` (data di nascita) and `nata a Roma il …`: the date.
#[test]
fn italian_birth_abbreviation_and_birth_place_phrase() {
    assert_eq!(
        dobs("Surname: MASPERO\nD.N.: 26/03/1973\nPlace of birth: Lecce"),
        ["26/03/1973"]
    );
    assert_eq!(dobs("Ornella Botticelli, D.N. 2013-11-08"), ["2013-11-08"]);
    assert_eq!(
        dobs("Contraente: Michele Bellucci, D.N. 30-JUL-1980, 075 640 5354"),
        ["30-JUL-1980"]
    );
    assert_eq!(
        dobs("Paziente: Giada Amato, nata a Roma il 17 settembre 2007"),
        ["17 settembre 2007"]
    );
    assert_eq!(
        dobs("nato a Reggio Emilia il 26.12.1943 / Carta"),
        ["26.12.1943"]
    );
    // Lower case `d.n.`, a `D.N.` with no date after it, a place and a year only.
    for text in [
        "rif. d.n. 2024-01-02",
        "D.N. sconosciuta, ricevuta 2024-01-02",
        "nato a Roma nel 1980",
        "nata a Roma, il 2024-01-02 ha firmato",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}

/// The birth date of records: SAML, HL7 CDA, X12 837, DICOM.
#[test]
fn birth_dates_of_records() {
    let saml = "<saml:Attribute Name=\"birthdate\"><saml:AttributeValue>1950-03-02</saml:AttributeValue></saml:Attribute>";
    assert_eq!(dobs(saml), ["1950-03-02"]);
    let saml = "<saml:Attribute Name='birthdate'>\n  <saml:AttributeValue xsi:type=\"xs:string\">1983-03-13</saml:AttributeValue>";
    assert_eq!(dobs(saml), ["1983-03-13"]);
    let cda = "<!-- birthTime --> <birthTime value=\"19830808\"/>";
    assert_eq!(dobs(cda), ["19830808"]);
    let x12 = "NM1*IL*1*PINTO*MICHELLE****MI*2QE4TM5058L~\nDMG*D8*19961128*F~\nREF*SY*670980348~";
    assert_eq!(dobs(x12), ["19961128"]);
    let dicom =
        "(0010,0020) LO [26448676]  # PatientID\n(0010,0030) DA [20050223]  # PatientBirthDate";
    assert_eq!(dobs(dicom), ["20050223"]);
    // Other attributes, elements, segments and tags: a service date, a study date.
    for text in [
        "<saml:Attribute Name=\"issued\"><saml:AttributeValue>2024-01-02</saml:AttributeValue>",
        "<effectiveTime value=\"20240102\"/>",
        "DTP*472*D8*20240102~",
        "(0008,0020) DA [20240102]  # StudyDate",
        "<birthTime value=\"2024\"/>",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}
