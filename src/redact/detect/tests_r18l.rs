//! The lead's part of the eighteenth round (issue #20), found reading blind18 after its
//! honest score: members named in brackets (form encodings' `user[password]`, Power BI's
//! `executeQueries` columns `Members[BirthDate]`) are named by their last bracketed part.

use super::tests_support::json_findings_checked as json_findings;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_bracketed_member_is_named_by_its_last_part() {
    let body = r#"{"results":[{"tables":[{"rows":[{"Members[Name]":"Jane Roe","Members[BirthDate]":"1968-10-08","Members[SSN]":"536-22-8814","Members[MemberId]":"M-20931"}]}]}],"user[password]":"Tr0ub4dor&3x","order[customer][phone]":"+44 20 7946 0958"}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("DATE_OF_BIRTH", "/results/0/tables/0/rows/0/Members[BirthDate]"),
            s("PASSWORD", "/user[password]"),
            s("PHONE", "/order[customer][phone]"),
            s("US_SSN", "/results/0/tables/0/rows/0/Members[SSN]"),
        ]
    );
}

#[test]
fn an_index_in_brackets_leaves_the_name_before_it() {
    // `phones[0]` is a phone's member; `tags[]`, `items[3]` name nothing personal, and a
    // date under `events[0]` is no birth date.
    let body = r#"{"phones[0]":"+44 20 7946 0958","tags[]":"1968-10-08","items[3]":"536228814","Members[LastVisit]":"1968-10-08"}"#;
    assert_eq!(json_findings(body), vec![s("PHONE", "/phones[0]")]);
}
