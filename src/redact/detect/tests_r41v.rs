//! Forty-first round, task vp (`evidence_r41v`): Airtable's personal access tokens
//! `pat<14>.<64 hex>` wherever they stand (reached from the byte pass's digits: a digit in
//! the id, a digit opening the secret after an id of letters, a secret opening with a
//! letter), stand-ins, look-alikes, cut inputs.

use super::tests_support::{both, hits, json_findings_checked, scan_every_cut};

/// A digit in the id; an id of letters with a secret opening with a digit; an id of letters
/// with a secret opening with a letter.
const DIGIT_ID: &str =
    "patFBYt1cQI871x8A.36727ee9b3ed287bba872f45a8678471a1304c9fcf9771454b55985ce75fcc8b";
const LETTER_ID: &str =
    "patxEiDhFCGKqgNjZ.02916ffee11dd1c273b1d4ae4d85fb4da0d2bc04902da23390036926f27fb904";
const LETTER_BOTH: &str =
    "patxEiDhFCGKqgNjZ.c2916ffee11dd1c273b1d4ae4d85fb4da0d2bc04902da23390036926f27fb904";

const ALL: [&str; 3] = [DIGIT_ID, LETTER_ID, LETTER_BOTH];

fn found(text: &str) -> Vec<(&'static str, String, bool)> {
    hits(text)
        .into_iter()
        .map(|(e, s, p)| (e.name(), s, p))
        .collect()
}

#[test]
fn an_airtable_token_anywhere_is_a_secret() {
    for v in ALL {
        for text in [
            format!("$USER3$=monitor\n$USER7$={v}\n# snmp target\n"),
            format!("$CFG->passwordsaltmain = '{v}';\n"),
            format!("2027-01-08T23:34:14.621Z          key1       FULL           {v}\n"),
            format!("the old one was {v}, revoke it."),
            format!("({v})"),
            format!("{v}\n"),
        ] {
            for t in both(&text) {
                let f = found(&t);
                assert!(
                    f.contains(&("GENERIC_SECRET", v.to_string(), false)),
                    "{t}: {f:?}"
                );
            }
        }
    }
}

#[test]
fn an_airtable_token_in_json_is_found() {
    for v in ALL {
        let body = serde_json::json!({ "row": { "col3": v, "n": 2 } }).to_string();
        assert_eq!(
            json_findings_checked(&body),
            vec![("GENERIC_SECRET", "/row/col3".to_string())],
            "{body}"
        );
        let body = serde_json::json!({ "log": format!("rotated {v} today") }).to_string();
        assert_eq!(
            json_findings_checked(&body),
            vec![("GENERIC_SECRET", "/log".to_string())],
            "{body}"
        );
    }
}

#[test]
fn an_airtable_stand_in_is_a_placeholder() {
    let v = format!("patXXXXXXXXXXXXXX.{}", "0".repeat(64));
    let f = found(&format!("token: `{v}` (example)\n"));
    assert!(
        f.iter().all(|(_, s, p)| *p || !s.contains("patX")),
        "{v}: {f:?}"
    );
    assert_eq!(
        super::evidence_r41v::airtable_token(v.as_bytes(), 17).map(|h| h.placeholder),
        Some(true)
    );
}

#[test]
fn look_alikes_are_no_airtable_token() {
    let hex = "36727ee9b3ed287bba872f45a8678471a1304c9fcf9771454b55985ce75fcc8b";
    for t in [
        // Inside a word or after `.`/`-`/`_`.
        format!("xpatFBYt1cQI871x8A.{hex}"),
        format!("a.patFBYt1cQI871x8A.{hex}"),
        format!("my-patFBYt1cQI871x8A.{hex}"),
        // The id 13 or 15 bytes; the secret 63 or 65 hex digits, upper case, not hex.
        format!("patFBYt1cQI871x8.{hex}"),
        format!("patFBYt1cQI871x8AB.{hex}"),
        format!("patFBYt1cQI871x8A.{}", &hex[..63]),
        format!("patFBYt1cQI871x8A.{hex}0"),
        format!("patFBYt1cQI871x8A.{hex}_x"),
        format!("patFBYt1cQI871x8A.{}", hex.to_uppercase()),
        format!("patFBYt1cQI871x8A.{}g", &hex[..63]),
        // Another prefix; a path; one class in the id.
        format!("patFBYt1cQI871x8A_{hex}"),
        format!("/srv/path1/pattern42x.{hex}"),
    ] {
        for t in both(&format!("{t}\n")) {
            let f = found(&t);
            assert!(
                f.iter()
                    .all(|(_, v, _)| !v.starts_with("patF") && !v.starts_with("pattern")),
                "{t}: {f:?}"
            );
        }
    }
}

#[test]
fn every_cut_of_an_airtable_token_is_safe() {
    for v in ALL {
        scan_every_cut(&format!("$USER7$={v}\n# snmp"));
    }
    use super::evidence_r41v::{
        airtable_may_end_id, airtable_may_end_secret, airtable_may_open_secret, airtable_token,
    };
    for v in ALL {
        let b = v.as_bytes();
        for cut in 0..=b.len() {
            let c = &b[..cut];
            for at in 0..=cut + 1 {
                let _ = airtable_may_end_id(c, at);
                let _ = airtable_token(c, at);
                if at < c.len() {
                    let _ = airtable_may_open_secret(c, at);
                }
                if at <= c.len() {
                    let _ = airtable_may_end_secret(c, at);
                }
            }
            if cut < b.len() {
                assert!(airtable_token(c, 17).is_none());
            }
        }
        assert!(airtable_token(b, 17).is_some());
    }
}
