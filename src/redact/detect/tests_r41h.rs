//! Forty-first round, task hl: HL7 v2 `PID` segments' PID-7 (date of birth) and PID-19 (SSN)
//! by position (`evidence_r41h`).

use super::tests_support::{hits, json_findings_checked, scan_every_cut};
use super::*;

fn found(text: &str) -> Vec<(Entity, String)> {
    hits(text).into_iter().map(|(e, v, _)| (e, v)).collect()
}

const MSH: &str = "MSH|^~\\&|EPIC|HOSP|LAB|HUB|20261201083000||ADT^A04|4711|P|2.5.1";

fn pid(dob: &str, acct: &str, ssn: &str) -> String {
    format!(
        "PID|1||143704^^^MRN||Pastor^Maite||{dob}|F|||calle del Olmo 48^^Gijon||+34 810 17 45 92|||||{acct}|{ssn}"
    )
}

#[test]
fn pid_7_and_19_found_in_text() {
    for sep in ["\n", "\r", "\r\n"] {
        for dob in [
            "11/04/2019",
            "11-05-2018",
            "22.06.2000",
            "19770220",
            "1981-03-10",
            "07/17/1998",
        ] {
            let text = format!(
                "{MSH}{sep}{}{sep}PV1|1|O|CLINIC^18",
                pid(dob, "4323461667", "448661198")
            );
            let f = found(&text);
            assert!(
                f.contains(&(Entity::DateOfBirth, dob.to_string())),
                "{dob}: {f:?}"
            );
            assert!(
                f.contains(&(Entity::UsSsn, "448661198".to_string())),
                "{f:?}"
            );
            assert!(!f.iter().any(|(_, v)| v.contains("4323461667")), "{f:?}");
            assert!(!f.iter().any(|(_, v)| v.contains("143704")), "{f:?}");
        }
    }
    // PID-19 last on the text.
    let text = format!("{MSH}\n{}", pid("11/04/2019", "4323461667", "448661198"));
    assert!(found(&text).contains(&(Entity::UsSsn, "448661198".to_string())));
}

#[test]
fn pid_in_json_string() {
    let text = format!(
        "{MSH}\r{}\rPV1|1|O",
        pid("13/04/2022", "839360137958", "462574252")
    );
    let body = format!("{{\"m\":{}}}", serde_json::Value::from(text.as_str()));
    let f = json_findings_checked(&body);
    assert!(f.contains(&("DATE_OF_BIRTH", "/m".to_string())), "{f:?}");
    assert!(f.contains(&("US_SSN", "/m".to_string())), "{f:?}");
}

#[test]
fn look_alikes_not_found() {
    // Other positions: PID-18 nine digits, PID-3 nine digits, a date in PID-8.
    let text = format!(
        "{MSH}\nPID|1||448661198^^^MRN||Pastor^Maite||F|11/04/2019|||x^^y||z|||||462574252|\nPV1|1|O"
    );
    let f = found(&text);
    assert!(!f.iter().any(|(e, _)| *e == Entity::UsSsn), "{f:?}");
    assert!(!f.iter().any(|(e, _)| *e == Entity::DateOfBirth), "{f:?}");
    // Field 7 and 19 of another segment.
    let text = format!("{MSH}\nPV1|1|O|CLINIC^18||||11/04/2019|||||||||||||462574252|x\n");
    let f = found(&text);
    assert!(
        !f.iter()
            .any(|(e, _)| matches!(e, Entity::UsSsn | Entity::DateOfBirth)),
        "{f:?}"
    );
    // No message header declaring the encoding characters.
    let text = format!("{}\nPV1|1|O", pid("11/04/2019", "4323461667", "448661198"));
    let f = found(&text);
    assert!(!f.iter().any(|(e, _)| *e == Entity::UsSsn), "{f:?}");
    // Not a date, not an SSN, or the field going on.
    for (dob, ssn) in [
        ("32/13/2019", "000123456"),
        ("11/04/2019x", "4486611981"),
        ("1104/2019", "448661198x"),
    ] {
        let text = format!("{MSH}\n{}\nPV1|1|O", pid(dob, "1", ssn));
        let f = found(&text);
        assert!(
            !f.iter()
                .any(|(e, _)| matches!(e, Entity::UsSsn | Entity::DateOfBirth)),
            "{dob} {ssn}: {f:?}"
        );
    }
}

#[test]
fn cut_inputs_do_not_panic() {
    let text = format!(
        "{MSH}\r{}\rPV1|1|O",
        pid("11/04/2019", "4323461667", "448661198")
    );
    scan_every_cut(&text);
    let b = text.as_bytes();
    for cut in 0..=b.len() {
        let b = &b[..cut];
        for p in 0..=cut {
            let _ = super::evidence_r41h::pid_birth_date(b, p);
            let _ = super::evidence_r41h::pid_field(b, p, 19);
            if p + 9 <= cut {
                let _ = super::evidence_r41h::pid_ssn(b, p);
            }
        }
    }
}
