//! Object keys: scanned like values, renamed when they hold an entity, secrets under
//! secret-named keys, and how key findings serialise.

use serde_json::json;

use super::*;

#[test]
fn specific_secret_under_secret_key() {
    let r = redactor();
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    let v = json!({"GITHUB_TOKEN": "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "Authorization": format!("Bearer {jwt}"), "password": "hunter2"});
    let f = r.scan_json(&v);
    assert_eq!(types(&f), vec!["JWT", "GITHUB_TOKEN", "PASSWORD"]);
    assert_eq!(f[0].start, Some(7));
    let out = r
        .redact_json(&v, &ActionPlan::mask_all())
        .value
        .unwrap_or_default();
    assert_eq!(out["Authorization"], "Bearer [JWT]");
}

/// A finding as (entity, pointer, start, end, key).
type KeyFinding = (
    &'static str,
    &'static str,
    Option<usize>,
    Option<usize>,
    bool,
);

/// One object-key case: the document, the plan, the redacted document, the findings.
struct KeyCase {
    doc: serde_json::Value,
    plan: &'static [&'static str],
    want: serde_json::Value,
    findings: &'static [KeyFinding],
}

#[test]
fn object_keys_are_scanned_and_renamed() {
    let r = redactor();
    let cases = [
        // An email used as a map key; the pointer names the member as written out.
        KeyCase {
            doc: json!({"jane.doe@example.com": {"name": "x"}}),
            plan: &["all"],
            want: json!({"[EMAIL]": {"name": "x"}}),
            findings: &[("EMAIL", "/[EMAIL]", Some(0), Some(20), true)],
        },
        KeyCase {
            doc: json!({"4111 1111 1111 1111": 1}),
            plan: &["all"],
            want: json!({"[CREDIT_CARD]": 1}),
            findings: &[("CREDIT_CARD", "/[CREDIT_CARD]", Some(0), Some(19), true)],
        },
        // Part of a key; the value under it is scanned too, named under the new key.
        KeyCase {
            doc: json!({"contact jane@example.com": "or call +44 20 7946 0018"}),
            plan: &["all"],
            want: json!({"contact [EMAIL]": "or call [PHONE]"}),
            findings: &[
                ("EMAIL", "/contact [EMAIL]", Some(8), Some(24), true),
                ("PHONE", "/contact [EMAIL]", Some(8), Some(24), false),
            ],
        },
        // Key-name rules still apply to the value under a key.
        KeyCase {
            doc: json!({"users": {"jane@example.com": {"password": "hunter2"}}}),
            plan: &["all"],
            want: json!({"users": {"[EMAIL]": {"password": "[PASSWORD]"}}}),
            findings: &[
                ("EMAIL", "/users/[EMAIL]", Some(0), Some(16), true),
                ("PASSWORD", "/users/[EMAIL]/password", None, None, false),
            ],
        },
        // Collisions after masking: later members (in member order) get `#2`, `#3`, …
        KeyCase {
            doc: json!({"a@example.com": 1, "b@example.com": 2, "c@example.com": 3}),
            plan: &["all"],
            want: json!({"[EMAIL]": 1, "[EMAIL]#2": 2, "[EMAIL]#3": 3}),
            findings: &[
                ("EMAIL", "/[EMAIL]", Some(0), Some(13), true),
                ("EMAIL", "/[EMAIL]#2", Some(0), Some(13), true),
                ("EMAIL", "/[EMAIL]#3", Some(0), Some(13), true),
            ],
        },
        // A member that keeps its name keeps it; the renamed one moves aside.
        KeyCase {
            doc: json!({"[EMAIL]": 0, "a@example.com": 1}),
            plan: &["all"],
            want: json!({"[EMAIL]": 0, "[EMAIL]#2": 1}),
            findings: &[("EMAIL", "/[EMAIL]#2", Some(0), Some(13), true)],
        },
        // Hash: the same address written twice gives the same token, kept apart by `#2`.
        KeyCase {
            doc: json!({"Jane@example.com": 1, "jane@example.com": 2}),
            plan: &["email:hash"],
            want: json!({"[EMAIL:59ddc24e10d542d3]": 1, "[EMAIL:59ddc24e10d542d3]#2": 2}),
            findings: &[
                (
                    "EMAIL",
                    "/[EMAIL:59ddc24e10d542d3]",
                    Some(0),
                    Some(16),
                    true,
                ),
                (
                    "EMAIL",
                    "/[EMAIL:59ddc24e10d542d3]#2",
                    Some(0),
                    Some(16),
                    true,
                ),
            ],
        },
        // Drop removes the member; its pointer names it as if masked.
        KeyCase {
            doc: json!({"a@example.com": {"ip": "10.0.0.1"}, "keep": 1}),
            plan: &["email:drop", "ip"],
            want: json!({"keep": 1}),
            findings: &[
                ("EMAIL", "/[EMAIL]", Some(0), Some(13), true),
                ("IPV4", "/[EMAIL]/ip", Some(0), Some(8), false),
            ],
        },
        // Not in the plan: reported with the key as it is, nothing renamed.
        KeyCase {
            doc: json!({"a@example.com": "10.0.0.1"}),
            plan: &["ip"],
            want: json!({"a@example.com": "[IPV4]"}),
            findings: &[
                ("EMAIL", "/a@example.com", Some(0), Some(13), true),
                ("IPV4", "/a@example.com", Some(0), Some(8), false),
            ],
        },
        // RFC 6901 escaping of the new name, inside arrays.
        KeyCase {
            doc: json!([{"a/b x@example.com~": true}]),
            plan: &["all"],
            want: json!([{"a/b [EMAIL]~": true}]),
            findings: &[("EMAIL", "/0/a~1b [EMAIL]~0", Some(4), Some(17), true)],
        },
        // Short and clean keys are left alone.
        KeyCase {
            doc: json!({"a@b.c": 1, "created_at": "2024-01-15T10:30:00Z"}),
            plan: &["all"],
            want: json!({"a@b.c": 1, "created_at": "2024-01-15T10:30:00Z"}),
            findings: &[],
        },
    ];
    for c in cases {
        let plan = ActionPlan::from_names(c.plan).unwrap_or_default();
        let out = r.redact_json(&c.doc, &plan);
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.entity.name(),
                    f.pointer.clone().unwrap_or_default(),
                    f.start,
                    f.end,
                    f.key,
                )
            })
            .collect();
        let want: Vec<_> = c
            .findings
            .iter()
            .map(|(e, p, a, b, k)| (*e, p.to_string(), *a, *b, *k))
            .collect();
        assert_eq!(got, want, "{}", c.doc);
        let value = out.value.clone().unwrap_or_else(|| c.doc.clone());
        assert_eq!(value, c.want, "{}", c.doc);
        // In place and from bytes give the same document and findings.
        let mut owned = c.doc.clone();
        let (f2, changed) = r.redact_json_in_place(&mut owned, &plan);
        assert_eq!(
            (&owned, &f2, changed),
            (&c.want, &out.findings, out.value.is_some())
        );
        let raw = serde_json::to_vec(&c.doc).unwrap_or_default();
        let (bytes, f3) = r.redact_bytes(&raw, true, &plan);
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!((&parsed, &f3), (&c.want, &out.findings), "{}", c.doc);
        // A scan reports the same findings under the original names.
        let scan = r.scan_json(&c.doc);
        assert_eq!(scan.len(), out.findings.len());
        assert!(scan.iter().all(|f| f.action == Action::Keep));
    }
}

#[test]
fn key_findings_serialise_with_a_marker() {
    let r = redactor();
    let f = r.scan_json(&json!({"jane@example.com": 1}));
    assert_eq!(
        serde_json::to_value(&f).unwrap_or_default(),
        json!([{"type":"EMAIL","pointer":"/jane@example.com","start":0,"end":16,"action":"keep","key":true}])
    );
    assert_eq!(
        r.mask_pointer("/users/jane@example.com/a~1b/0"),
        "/users/[EMAIL]/a~1b/0"
    );
}

/// A date member (`date`, `value`, `on`, …) of an object under a key naming a birth is a
/// DATE_OF_BIRTH, in the `Value` walk and in the raw-bytes pass alike; the same members
/// under other parents, and the birth object's other members, are not.
#[test]
fn date_members_of_a_birth_object_are_birth_dates() {
    let r = redactor();
    let plan = ActionPlan::mask_all();
    for (doc, pointer) in [
        (
            json!({"patient": {"birth": {"date": "1984-03-02", "place": "Leeds"}}}),
            "/patient/birth/date",
        ),
        (
            json!({"dob": {"value": "02/03/1984", "verified": true}}),
            "/dob/value",
        ),
        (json!({"Geburt": {"Datum": "02.03.1984"}}), "/Geburt/Datum"),
        (
            json!({"naissance": {"date": "2 mars 1984"}}),
            "/naissance/date",
        ),
        (json!({"born": {"on": "1984-03-02"}}), "/born/on"),
        (
            json!({"contact": {"patient_birth": [{"date": "1984-03-02"}]}}),
            "/contact/patient_birth/0/date",
        ),
    ] {
        let f = r.scan_json(&doc);
        let dob: Vec<_> = f
            .iter()
            .filter(|f| f.entity == Entity::DateOfBirth)
            .map(|f| f.pointer.clone().unwrap_or_default())
            .collect();
        assert_eq!(dob, vec![pointer.to_string()], "{doc}");
        let raw = serde_json::to_vec(&doc).expect("json");
        let (out, found) = r.redact_bytes(&raw, true, &plan);
        let out: serde_json::Value = serde_json::from_slice(&out).expect("redacted json");
        assert_eq!(
            out.pointer(pointer),
            Some(&json!("[DATE_OF_BIRTH]")),
            "{doc}"
        );
        assert_eq!(
            found
                .iter()
                .filter(|f| f.entity == Entity::DateOfBirth)
                .count(),
            1
        );
    }
    // Look-alikes: date members under other parents, a birth object's non-date members, a
    // date member two levels below the birth key.
    for doc in [
        json!({"order": {"date": "2024-03-02", "value": "19.99"}}),
        json!({"birth": {"place": "Leeds", "weight_g": "3400"}}),
        json!({"birth": {"certificate": {"date": "2001-05-06"}}}),
        json!({"birthday_party": {"on": "2026-12-05"}}),
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

/// A card security code under `csc`/`cvn` (beside the card's expiry) and Rails'
/// `secret_key_base` are generic secrets; `csc`-like words inside other keys are not.
#[test]
fn csc_cvn_and_secret_key_base_keys_are_secrets() {
    let r = redactor();
    let doc = json!({"payment_method": {"brand": "visa", "last4": "4242", "exp_month": 7,
        "exp_year": 2028, "csc": "731", "card": {"cvn": 4821}},
        "rails": {"SECRET_KEY_BASE": "9f2c1a7be04d6c3e8a51f0b2d7c94e6a1b3f5d8c0e2a4b6c8d0f1e3a5b7c9d1e"},
        "cscs_enabled": "1234", "version": "731"});
    let f = r.scan_json(&doc);
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.entity, f.pointer.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Entity::GenericSecret,
                "/payment_method/card/cvn".to_string()
            ),
            (Entity::GenericSecret, "/payment_method/csc".to_string()),
            (Entity::GenericSecret, "/rails/SECRET_KEY_BASE".to_string()),
        ]
    );
    let raw = serde_json::to_vec(&doc).expect("json");
    let (out, _) = r.redact_bytes(&raw, true, &ActionPlan::mask_all());
    let out: serde_json::Value = serde_json::from_slice(&out).expect("redacted json");
    assert_eq!(out["payment_method"]["csc"], "[GENERIC_SECRET]");
    assert_eq!(out["payment_method"]["last4"], "4242");
    assert_eq!(out["cscs_enabled"], "1234");
}
