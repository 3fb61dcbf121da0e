//! Birth dates (issue #20, tenth round): table columns under a birth-date header (text
//! tables and JSON arrays of arrays), `<birthDate>` elements, vCard `BDAY:`, `data nascita`,
//! `b. DATE`. Each rule with the look-alikes it must leave alone: dates in the same shapes
//! that are not birth dates (hire, order, expiry dates, `created_at` columns).

use super::*;
use crate::redact::action::ActionPlan;
use crate::redact::{RedactConfig, Redactor};
use serde_json::json;

fn det() -> Detector {
    Detector::new([true; Entity::COUNT], 3.0, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// The DATE_OF_BIRTH texts a scan of `text` finds.
fn dobs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    det().scan(text.as_bytes(), ScanContext::default(), &mut |h| {
        if h.entity == Entity::DateOfBirth {
            out.push(text[h.start..h.end].to_string());
        }
        true
    });
    out
}

#[test]
fn header_names_of_birth_date_columns() {
    for name in [
        "dob",
        "DOB",
        "birth_date",
        "birthDate",
        "Date of birth",
        "date-of-birth",
        "birthday",
        "Geburtsdatum",
        "geb. Datum",
        "date de naissance",
        "fecha de nacimiento",
        "data di nascita",
        "data nascita",
        "geboortedatum",
        "patient_dob",
        "customerBirthDate",
        "dob_iso",
    ] {
        assert!(table::birth_date_header(name), "{name}");
    }
    for name in [
        "birth_place",
        "birthplace",
        "birth_year",
        "adobe_id",
        "created",
        "hire_date",
        "date",
        "order_date",
        "luogo di nascita",
        "birthday_party",
        "",
    ] {
        assert!(!table::birth_date_header(name), "{name}");
    }
}

#[test]
fn dates_in_a_birth_date_column_of_text_tables() {
    // Semicolon CSV: only the `dob` column, not `created` (an ISO timestamp) or `hired`.
    let csv = "id;name;email;phone;dob;hired;created\n\
               297080;Beth May;beth@example.com;+44 121 209 5270;1978-01-24;02/03/2020;2026-01-02T12:42:03.399Z\n\
               455427;Callum D;callum@example.com;01291 016108;17/06/1962;2021-05-04;2026-02-26T22:42:33.527Z\n";
    assert_eq!(dobs(csv), ["1978-01-24", "17/06/1962"]);
    // The same lines flattened by a log (` | ` and ` ⏎ ` for line breaks).
    let flat = csv.replace('\n', " | ");
    assert_eq!(dobs(&flat), ["1978-01-24", "17/06/1962"]);
    let flat = csv.replace('\n', " \u{23ce} ");
    assert_eq!(dobs(&flat), ["1978-01-24", "17/06/1962"]);
    // Comma CSV with a quoted cell holding a comma, the dates with month names.
    let csv = "name,birthday,order_date\r\n\"Smith, Jane\",\"November 4, 2004\",2024-05-01\r\n\
               Bob,12 agosto 1998,2024-05-02\r\n";
    assert_eq!(dobs(csv), ["November 4, 2004", "12 agosto 1998"]);
    // TSV, German header.
    let tsv = "Name\tGeburtsdatum\tEintritt\nAnna\t08.06.1962\t01.04.2020\n";
    assert_eq!(dobs(tsv), ["08.06.1962"]);
    // A Markdown table (the separator row is no date) and a psql-style table.
    let md = "| name | date de naissance | expiry |\n|---|---|---|\n| Luc | 27/02/1986 | 03/2027 |\n| Ana | 3 décembre 1985 | 04/2028 |\n";
    assert_eq!(dobs(md), ["27/02/1986", "3 décembre 1985"]);
    let psql = " id | date_of_birth | alta\n----+---------------+------------\n  1 | 1975-06-06          | 2020-01-01\n";
    assert_eq!(dobs(psql), ["1975-06-06"]);
    // The table ends at a line without the delimiter: a later date is not in the column.
    let ended = "name;dob\nJane;1984-03-02\n\nNext renewal;2027-01-01\n";
    assert_eq!(dobs(ended), ["1984-03-02"]);
}

#[test]
fn dates_in_other_columns_of_tables_are_not_birth_dates() {
    for text in [
        // No birth-date column: hire, order, expiry dates and `created_at`.
        "id;name;hire_date;created_at\n1;Jane;1984-03-02;2026-01-02\n",
        "order,order_date,expiry\nA-1,2024-05-01,2027-03-31\n",
        "| name | created | updated |\n|---|---|---|\n| a | 2024-01-01 | 2024-02-02 |\n",
        // A birth word that names no date column.
        "name;birth_place;birth_year;joined\nJane;Leeds;1984;2020-01-01\n",
        // The birth-date column holds no date (a year alone, unknown).
        "name;dob;joined\nJane;1984;2020-01-01\nBob;unknown;2021-02-02\n",
        // A birth word in prose above a table without that column.
        "Birthday list below.\nname,joined\nJane,2020-01-01\n",
    ] {
        assert!(dobs(text).is_empty(), "{text}: {:?}", dobs(text));
    }
}

#[test]
fn birth_date_elements_vcards_and_short_phrases() {
    for (text, date) in [
        (
            "<patient>\n  <birthDate>1952-05-02</birthDate>\n</patient>",
            "1952-05-02",
        ),
        ("<dob>02/05/1952</dob>", "02/05/1952"),
        (
            "BEGIN:VCARD\nVERSION:3.0\nFN:Artur Rogge\nBDAY:1952-07-13\nEND:VCARD",
            "1952-07-13",
        ),
        (
            "BEGIN:VCARD\nFN:Janett F\nBDAY:19661019\nREV:20250917T235251Z\nEND:VCARD",
            "19661019",
        ),
        ("BDAY;VALUE=date:1985-04-12", "1985-04-12"),
        ("data nascita 29/03/1950", "29/03/1950"),
        (
            "spoke with Pasqual (data nascita 10.05.2003).",
            "10.05.2003",
        ),
        (
            "Start date: 3 Dec 2026\nb. 1970-01-27\nIBAN: …",
            "1970-01-27",
        ),
        (
            "my details: jane@example.com, b. 19 Apr 1953",
            "19 Apr 1953",
        ),
        ("Jane Doe (b. 21/05/1967) called", "21/05/1967"),
        ("Birthday: 1984-03-02", "1984-03-02"),
        ("her birthday is on March 3, 1984", "March 3, 1984"),
    ] {
        assert_eq!(dobs(text), [date], "{text}");
    }
    for text in [
        "<admitted>2024-07-05</admitted>",
        "<expiry>2027-01-31</expiry>",
        "REV:20250917T235251Z",
        "UID:20251012\nDTSTART:20261204",
        "BDAY:unknown",
        "BDAY:20261350",
        "data assunzione 30.12.2026",
        "item b. 2024-01-01",
        "Plan B. 2024-01-01",
        "step b.2024-05-01",
        "bday party on Friday",
        // A birthday celebration's date.
        "fyi Beau's birthday drinks are on 26/11/2026, same bar",
        "Birthday party on 5 Dec 2026",
        "birthday lunch: 2026-12-04",
    ] {
        assert!(dobs(text).is_empty(), "{text}: {:?}", dobs(text));
    }
}

fn redactor() -> Redactor {
    Redactor::new(&RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// A sheet's `values` (an array of arrays whose first row is the header): the cells of the
/// birth-date column are DATE_OF_BIRTH values, in the `Value` walk and the raw-bytes pass
/// alike (same output, same findings); the other columns' dates are not.
#[test]
fn birth_date_columns_of_json_sheets() {
    let r = redactor();
    let plan = ActionPlan::mask_all();
    let doc = json!({"range": "Leads!A1:F", "values": [
        ["name", "birthday", "order_date", "created_at"],
        ["Charles", "November 4, 2004", "2024-05-01", "2026-01-02T10:00:00Z"],
        ["Jonathan", "1970-09-15", "2024-05-02", "2026-01-03T10:00:00Z"],
        ["Christina", "Nov 30 1955", "2024-05-03", "2026-01-04T10:00:00Z"],
        ["Row", "unknown", "2024-05-04", "x"]
    ]});
    let want = ["/values/1/1", "/values/2/1", "/values/3/1"];
    let f = r.scan_json(&doc);
    let dob: Vec<_> = f
        .iter()
        .filter(|f| f.entity == Entity::DateOfBirth)
        .map(|f| f.pointer.clone().unwrap_or_default())
        .collect();
    assert_eq!(dob, want);
    let mut walked = doc.clone();
    let (walk_found, _) = r.redact_json_in_place(&mut walked, &plan);
    let raw = serde_json::to_vec(&doc).expect("json");
    let (out, found) = r.redact_bytes(&raw, true, &plan);
    let out: serde_json::Value = serde_json::from_slice(&out).expect("redacted json");
    assert_eq!(out, walked);
    assert_eq!(found, walk_found);
    for p in want {
        assert_eq!(out.pointer(p), Some(&json!("[DATE_OF_BIRTH]")), "{p}");
    }
    assert_eq!(out.pointer("/values/1/2"), Some(&json!("2024-05-01")));
    assert_eq!(out.pointer("/values/0/1"), Some(&json!("birthday")));
    // A localized header with an escape in another cell, pretty-printed: the raw-bytes pass
    // reads the header the same way.
    let raw =
        b"{\"values\": [\n  [\"Na\\u006de\", \"Geburtsdatum\"],\n  [\"Anna\", \"08.06.1962\"]\n]}";
    let doc: serde_json::Value = serde_json::from_slice(raw).expect("json");
    let mut walked = doc.clone();
    let (walk_found, _) = r.redact_json_in_place(&mut walked, &plan);
    let (out, found) = r.redact_bytes(raw, true, &plan);
    let out: serde_json::Value = serde_json::from_slice(&out).expect("redacted json");
    assert_eq!(out, walked);
    assert_eq!(found, walk_found);
    assert_eq!(out.pointer("/values/1/1"), Some(&json!("[DATE_OF_BIRTH]")));
    // Look-alikes: no birth-date header (hire and order dates), a header that is not the
    // first row, a nested first row (coordinates), a birth word that names no date.
    for doc in [
        json!({"values": [["name", "hire_date"], ["Jane", "1984-03-02"]]}),
        json!({"values": [["Jane", "1984-03-02"], ["name", "dob"], ["Bob", "1990-01-01"]]}),
        json!({"values": [[["dob", 1]], ["Bob", "1990-01-01"]]}),
        json!({"values": [["name", "birth_place"], ["Jane", "Leeds 1984-03-02"]]}),
        json!({"rows": [["order", "expiry"], ["A-1", "2027-03-31"]]}),
    ] {
        let f = r.scan_json(&doc);
        assert!(
            f.iter().all(|f| f.entity != Entity::DateOfBirth),
            "{doc}: {f:?}"
        );
        let raw = serde_json::to_vec(&doc).expect("json");
        let (out, _) = r.redact_bytes(&raw, true, &plan);
        assert_eq!(&*out, &raw[..], "{doc}");
    }
}

#[test]
fn tables_and_inserts_flattened_with_slashes() {
    let csv = "customer_no;name;birth_date;last_order_date / 37760629;Nicolaus;7.6.1949;27. Februar 2026 / 43;Anna;31.08.2004;2025-01-01 / ";
    assert_eq!(dobs(csv), ["7.6.1949", "31.08.2004"]);
    let sql = "-- fix / INSERT INTO customers (id, full_name, date_of_birth, created_at) VALUES /   (1, 'A B', '1966-10-27', '2024-01-01'), /   (2, 'C', '1956-04-05', '2024-01-02');";
    assert_eq!(dobs(sql), ["1966-10-27", "1956-04-05"]);
    // Look-alike: a slash-flattened table without a birth-date column.
    let csv = "order;order_date;expiry / 1;2024-01-01;2027-01-01 / ";
    assert!(dobs(csv).is_empty());
}
