//! The thirty-fourth round's JSON constructions (issue #20, task dob; `detect::evidence_r34d`):
//! a table's rows whose columns a sibling list names (`columns`, `header`, …), Authorize.net's
//! `cardCode`, a pipe table's card security code row (`| CVV | 925 |`) — and their
//! look-alikes.

use super::evidence_r34d::{
    after_header_key, birth_only, header_key, pipe_cvc_cell, raw_birth_columns,
};
use super::tests_support::{
    assert_each_found, assert_none_found, json_findings, json_findings_checked,
};
use crate::redact::entity::Entity;

fn p(v: &str) -> String {
    v.to_string()
}

#[test]
fn rows_under_a_sibling_naming_a_birth_date_column_are_found() {
    // blind33's shape (a `postgres.query` tool's result): the list before the rows.
    let body = r#"{"tool":"postgres.query","sql":"select name, email, phone, birth_date from members limit 3","columns":["name","email","phone","birth_date"],"rows":[["Virginie Berthelot","virginie13@outlook.com","01 28 25 59 33","1976-06-24"],["Alex Becker","abecker@yahoo.es","+33 1 23 78 32 67","1953-06-20"]]}"#;
    let got = json_findings_checked(body);
    assert!(got.contains(&("DATE_OF_BIRTH", p("/rows/0/3"))), "{got:?}");
    assert!(got.contains(&("DATE_OF_BIRTH", p("/rows/1/3"))), "{got:?}");
    assert!(got.contains(&("EMAIL", p("/rows/0/1"))), "{got:?}");
    // No other cell is a birth date.
    assert_eq!(
        got.iter().filter(|(e, _)| *e == "DATE_OF_BIRTH").count(),
        2,
        "{got:?}"
    );
    // The list after the rows, other names for it, a birth date alone in its body (no other
    // finding: the clean check must not skip it), blanks, and an escaped cell.
    for (body, ptr) in [
        (
            r#"{"rows":[["Jane Doe","1984-03-02"]],"columns":["name","dob"]}"#,
            "/rows/0/1",
        ),
        (
            r#"{"tables":[{"name":"PrimaryResult","Columns":["Name","DateOfBirth"],"rows":[["Jane Doe","02/03/1984"]]}]}"#,
            "/tables/0/rows/0/1",
        ),
        (
            r#"{"header": [ "Name" , "Geburtsdatum" ], "data": [ [ "Jörg Maier", "02.03.1984" ] ]}"#,
            "/data/0/1",
        ),
        (
            r#"{"fields":["id","birth_date"],"data":[[17,"1999-12-31"],[18,"1984-03-02"]]}"#,
            "/data/1/1",
        ),
        (
            r#"{"cols":["n\u00e4me","birthday"],"rows":[["Jo","1984-03-02"]]}"#,
            "/rows/0/1",
        ),
    ] {
        let got = json_findings_checked(body);
        assert!(got.contains(&("DATE_OF_BIRTH", p(ptr))), "{body}: {got:?}");
    }
}

#[test]
fn rows_under_other_columns_or_no_list_are_not_birth_dates() {
    for body in [
        // No birth-date column: an order date, a hire date, a `created_at`.
        r#"{"columns":["name","order_date"],"rows":[["Jane Doe","2024-03-02"]]}"#,
        r#"{"columns":["name","hire_date","created_at"],"rows":[["Jane Doe","2019-03-02","2024-01-01"]]}"#,
        // A birth word in a list that is no header member's, or a header member that is no
        // list of strings (Tableau's `columns: 5`, column objects), or an empty list.
        r#"{"tags":["name","dob"],"rows":[["Jane Doe","1984-03-02"]]}"#,
        r#"{"columns":5,"data":[["Jane Doe","1984-03-02"]]}"#,
        r#"{"columns":[{"name":"dob"}],"rows":[["Jane Doe","1984-03-02"]]}"#,
        r#"{"columns":[],"rows":[["Jane Doe","1984-03-02"]]}"#,
        // A place of birth, a birth year.
        r#"{"columns":["name","birth_place","birth_year"],"rows":[["Jane Doe","1984-03-02","1984"]]}"#,
        // The list names the rows of a sibling only, not of a nested object's array.
        r#"{"columns":["name","dob"],"inner":{"rows":[["Jane Doe","1984-03-02"]]}}"#,
    ] {
        assert!(
            !json_findings_checked(body)
                .iter()
                .any(|(e, _)| *e == "DATE_OF_BIRTH"),
            "{body}"
        );
    }
}

#[test]
fn an_authorize_net_card_code_is_a_secret() {
    let body = r#"{"createTransactionRequest":{"merchantAuthentication":{"name":"5KP3u95bQpv"},"transactionRequest":{"transactionType":"authCaptureTransaction","amount":"518.00","payment":{"creditCard":{"cardNumber":"2720113467434789","expirationDate":"2031-07","cardCode":"946"}}}}}"#;
    let got = json_findings_checked(body);
    assert!(
        got.contains(&(
            "GENERIC_SECRET",
            p("/createTransactionRequest/transactionRequest/payment/creditCard/cardCode")
        )),
        "{got:?}"
    );
    assert_eq!(
        json_findings_checked(r#"{"card_code":"053"}"#),
        vec![("GENERIC_SECRET", p("/card_code"))]
    );
    // Not a code of something else: `postcode`, a `cardType`, an `authCode`'s look-alike.
    for body in [
        r#"{"postcode":"946"}"#,
        r#"{"cardType":"Visa","code":"946"}"#,
        r#"{"card":"gift","discount_code":"946"}"#,
    ] {
        assert!(
            !json_findings_checked(body)
                .iter()
                .any(|(e, _)| *e == "GENERIC_SECRET"),
            "{body}"
        );
    }
}

#[test]
fn the_raw_tests_hold_on_hostile_bytes() {
    assert!(header_key("columns") && header_key("HEADERS") && header_key("cols"));
    assert!(!header_key("column") && !header_key("fieldset") && !header_key(""));
    assert_eq!(birth_only(1 << 3 | 1 << 67), 0);
    assert_eq!(birth_only(1 << 2 | 1 << 70), 1 << 2);
    let raw = br#"{"columns":["name","dob"],"rows":[]}"#;
    let q = raw.iter().position(|&b| b == b'[').unwrap_or(0);
    assert!(after_header_key(raw, q) && raw_birth_columns(raw, q));
    for raw in [
        &b"["[..],
        b":[",
        b"\":[",
        b"\"\":[",
        b"s\":[",
        b"\"columns\" :  [\"dob\"",
        b"\"columns\":[\"dob",
        b"[\"dob\"]",
        b"",
    ] {
        for q in 0..raw.len() + 2 {
            let _ = after_header_key(raw, q.min(raw.len().saturating_sub(1)));
            let _ = raw_birth_columns(raw, q);
        }
    }
    assert!(!raw_birth_columns(b"\"columns\":[\"dob\"", 10));
}

#[test]
fn a_body_cut_after_a_members_colon_does_not_panic() {
    // The mutation corpus's find at the merge: the streaming pass looked at the byte after a
    // member's `:` (whether its value opens a list of rows) by index, past the end of a
    // body cut there. Every prefix of a table body, through the raw pass.
    let body = r#"{"columns":["name","dob"],"rows":[["Ann","1970-01-02"]],"x": [ ["a"]]}"#;
    for end in 0..=body.len() {
        if body.is_char_boundary(end) {
            let _ = json_findings(&body[..end]);
        }
    }
    for cut in [
        r#"{"a":"#,
        r#"{"columns":"#,
        r#"{"a":1,"b":"#,
        r#"{"chat":[{"from":"#,
    ] {
        let _ = json_findings(cut);
    }
}

#[test]
fn a_pipe_tables_security_code_row_is_a_secret() {
    assert_each_found(
        Entity::GenericSecret,
        &[
            (
                "| Scadenza | 07/27 |\n| CVV | 925 |\n| IBAN | n/a |\n",
                "925",
            ),
            (
                "| Kaartnummer | n/a |\n| CVC-code | 071 |\n| Bestelling | x |",
                "071",
            ),
            ("| Prüfziffer (CVC) | 364 |", "364"),
            ("| Prüfnummer (CVC) | 0712 |\n", "0712"),
            ("|cvv2| 123 |", "123"),
        ],
    );
    assert_none_found(
        Entity::GenericSecret,
        &[
            // Other labels, a code's word inside another word, five digits, no cell. (`|
            // Prüfziffer | 656 |` is found since the thirty-sixth round: `tests_r36c`.)
            "| Qty | 120 |\n",
            "| CVVS | 925 |",
            "| Scvc | 925 |",
            "| CVV | 92513 |",
            "| CVV | 925",
            "| CVV |\n 925 |",
            "CVV | 925 |",
        ],
    );
    // Hostile offsets: no panic, whatever the bytes around.
    for hay in [
        &b"| 925 |"[..],
        b"|925|",
        b" 925 |",
        b"| cvv | 925",
        b"925 |",
        b"|",
    ] {
        for i in 0..=hay.len() {
            let _ = pipe_cvc_cell(hay, i);
        }
    }
}
