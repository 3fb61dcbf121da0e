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

/// A birth date a few words after its phrase, after a colon, an arrow or a copula.
#[test]
fn birth_dates_a_few_words_after_their_phrase() {
    for (text, want) in [
        (
            "My date of birth for verification is 28 December 2001.",
            "28 December 2001",
        ),
        (
            "Mein Geburtsdatum zur Pr\u{fc}fung: 8 August 2004.",
            "8 August 2004",
        ),
        (
            "Ma date de naissance pour v\u{e9}rifier : 7 octobre 2007.",
            "7 octobre 2007",
        ),
        (
            "Mi fecha de nacimiento est\u{e1} mal, la correcta es 1996-01-29",
            "1996-01-29",
        ),
        (
            "La mia data di nascita \u{e8} sbagliata, quella giusta \u{e8} 08/08/1975",
            "08/08/1975",
        ),
        (
            "Your date of birth (for the insurer): 2/15/1988",
            "2/15/1988",
        ),
        (
            "4. Fecha de nacimiento \u{2192} 07/12/1988 | 5. Talla",
            "07/12/1988",
        ),
        (
            "Mijn geboortedatum klopt niet, de juiste is 28 juli 1946",
            "28 juli 1946",
        ),
    ] {
        assert_eq!(dobs(text), [want], "{text}");
    }
    for text in [
        "Date of birth unknown, start date is 2024-01-02",
        "DOB: n/a, hired: 2024-01-02",
        "date of birth missing. Order 2024-01-02",
        "Geburtsdatum fehlt; Eingang: 2024-01-02",
        "the date of birth field was added: 1.2.3",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}

/// A question asking for the birth date, and the next turn's answer.
#[test]
fn birth_date_answered_on_the_next_turn() {
    for (text, want) in [
        ("Agent: Can I take your date of birth?\nCaller: 10/30/2001\nAgent: And", "10/30/2001"),
        ("Agent: \u{bf}Su fecha de nacimiento?\r\nCliente: 11 de julio de 1994", "11 de julio de 1994"),
        ("Agent: Votre date de naissance ?\nAppelant: 1967-09-26", "1967-09-26"),
        ("[18:38:47] Merijn (agent): wat is uw geboortedatum? / [18:40:13] Rik: 04/07/2000 / x", "04/07/2000"),
        ("(agent): K\u{f6}nnen Sie mir Ihr Geburtsdatum nennen?\n[17:54:04] Heinz-G\u{fc}nther: 14. April 1936", "14. April 1936"),
        ("Jonathan (agent): can you confirm your date of birth?\n[10:50:32] Jonathan: Jan 30 1947", "Jan 30 1947"),
    ] {
        assert_eq!(dobs(text), [want], "{text}");
    }
    for text in [
        "Agent: Can I take your date of birth?\nCaller: no, call me on 2024-01-02",
        "Agent: date of birth?\nThe order of 2024-01-02 is late",
        "What is your date of birth? It was 2024-01-02 when we spoke",
        "Agent: your date of birth?\nCaller: 10/30, I think",
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

/// A birth-date column of a table aligned with blanks (a data frame's print), its lines
/// broken or flattened to ` | `: the column's whole dates, counted from the right past the
/// unnamed index column.
#[test]
fn birth_date_column_of_a_blank_aligned_table() {
    let df = "Out[21]:\n   customer_id   email                      dob          joined\n\
              0  8283997   isaac66@example.nl   1945-03-23   2024-01-02\n\
              1  8487211   mhuet@example.es   1944-07-05   2023-05-06\n\nIn [22]: x\n";
    assert_eq!(dobs(df), ["1945-03-23", "1944-07-05"]);
    let flat = "Out[29]: |    id   email   dob | 0  5713699   e@example.nl   1958-07-03 | 1  5598336   a@example.com   1993-12-13 |  | In [41]: x";
    assert_eq!(dobs(flat), ["1958-07-03", "1993-12-13"]);
    // Another column's dates, a cell that is no whole date, a prose line naming the dob.
    for text in [
        "   id   dob_verified   joined\n0  7   yes   2024-01-02\n",
        "   id   dob\n0  7   1958-07-03 (approx)\n",
        "Please send the dob  and the form\nby  2024-01-02  or  later  today\n",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}

/// `↵` for a line break (as `⏎`): a CSV's rows and a dialogue's next turn; Spanish `fecha
/// nac.`.
#[test]
fn return_arrow_line_breaks_and_fecha_nac() {
    let csv = "name,email,date_of_birth,note \u{21b5} Crystal Ferguson,c@example.com,3/26/1995,appointment Dec 20 \u{21b5} Alex Terry,i@example.com,4/25/2005,x \u{21b5} ";
    assert_eq!(dobs(csv), ["3/26/1995", "4/25/2005"]);
    let call = "Agent: Uw geboortedatum? \u{21b5} Beller: 26-07-1990 \u{21b5} Agent: En";
    assert_eq!(dobs(call), ["26-07-1990"]);
    assert_eq!(
        dobs("Tel\u{e9}fono: 612 30 84 95\nfecha nac.: 13 de octubre de 1943\n"),
        ["13 de octubre de 1943"]
    );
    for text in [
        "name,email,joined \u{21b5} Crystal,c@example.com,3/26/1995 \u{21b5} ",
        "fecha nacional 2024-01-02",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}

/// A birthday party's day stays no birth date a few words on or on the next turn.
#[test]
fn birthday_events_stay_unfound_in_prose() {
    for text in [
        "The birthday lunch is on: 2026-12-04",
        "Team birthday drinks \u{2192} 26/11/2026",
        "Agent: when is the birthday party?\nCaller: 2026-12-04",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}
