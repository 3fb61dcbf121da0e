//! Engine-level tests: JSON walking, pointers, offsets, actions and plans, config checks;
//! `raw`: the bytes fast path and the raw-bytes pass; `keys`: object keys.

use super::*;
use serde_json::json;

mod heldout;
mod keys;
mod raw;

fn redactor() -> Redactor {
    let cfg = RedactConfig {
        hmac_key: Some("test-key".into()),
        ..RedactConfig::default()
    };
    Redactor::new(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

fn types(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.entity.name()).collect()
}

#[test]
fn finding_serialises_as_documented() {
    let f = Finding {
        entity: Entity::Email,
        pointer: Some("/customer/email".into()),
        start: Some(0),
        end: Some(22),
        action: Action::Mask,
        key: false,
        placeholder: false,
    };
    assert_eq!(
        serde_json::to_value(&f).unwrap_or_default(),
        json!({"type":"EMAIL","pointer":"/customer/email","start":0,"end":22,"action":"mask"})
    );
    let whole = Finding {
        entity: Entity::Password,
        pointer: Some("/password".into()),
        start: None,
        end: None,
        action: Action::Keep,
        key: false,
        placeholder: false,
    };
    assert_eq!(
        serde_json::to_value(&whole).unwrap_or_default(),
        json!({"type":"PASSWORD","pointer":"/password","action":"keep"})
    );
}

#[test]
fn pointers_with_escaping_and_arrays() {
    let r = redactor();
    let v = json!({"a/b": {"m~n": ["x", "write to ops@example.com"]}});
    let f = r.scan_json(&v);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].pointer.as_deref(), Some("/a~1b/m~0n/1"));
    assert_eq!((f[0].start, f[0].end), (Some(9), Some(24)));
    assert_eq!(f[0].action, Action::Keep);
}

#[test]
fn multibyte_offsets_are_utf8_bytes() {
    let r = redactor();
    let s = "Grüße — schreib an jörg@example.de 🙂 bitte";
    let f = r.scan_text(s);
    assert_eq!(types(&f), vec!["EMAIL"]);
    let (a, b) = (f[0].start.unwrap_or(0), f[0].end.unwrap_or(0));
    assert_eq!(&s[a..b], "jörg@example.de");
    let (out, _) = r.redact_text(s, &ActionPlan::mask_all());
    assert_eq!(out, "Grüße — schreib an [EMAIL] 🙂 bitte");
}

#[test]
fn redact_json_masks_and_keeps_the_rest() {
    let r = redactor();
    let v = json!({
        "customer": {"email": "jane@example.com", "phone": "3420837783", "dob": "1990-04-01", "name": "Jane"},
        "card": "4242 4242 4242 4242",
        "auth": {"accessToken": "abc", "nextPageToken": "p2"},
        "note": "call +44 20 7946 0018 or mail jane@example.com",
        "ids": ["550e8400-e29b-41d4-a716-446655440000", 1732190400],
        "n": 4111111111111111u64
    });
    let out = r.redact_json(&v, &ActionPlan::mask_all());
    let nv = out.value.unwrap_or_default();
    assert_eq!(nv["customer"]["email"], "[EMAIL]");
    assert_eq!(nv["customer"]["phone"], "[PHONE]");
    assert_eq!(nv["customer"]["dob"], "[DATE_OF_BIRTH]");
    assert_eq!(nv["customer"]["name"], "Jane");
    assert_eq!(nv["card"], "[CREDIT_CARD]");
    assert_eq!(nv["auth"]["accessToken"], "[GENERIC_SECRET]");
    assert_eq!(nv["auth"]["nextPageToken"], "p2");
    assert_eq!(nv["note"], "call [PHONE] or mail [EMAIL]");
    assert_eq!(nv["ids"], v["ids"]);
    assert_eq!(nv["n"], "[CREDIT_CARD]");
    assert!(!out.deny);
    assert_eq!(out.findings.len(), 8, "{:?}", out.findings);
}

/// Key names that hold a password or session word without holding a credential: what an
/// agent sends to a travel or chat tool passes untouched, and through the scan-based path
/// too; the same words naming a login are masked.
#[test]
fn tickets_and_conversation_ids_are_not_credentials() {
    let r = redactor();
    let v = json!({
        "boarding_pass": "Gate 12 seat 4A",
        "day_pass": "yes",
        "session": "spring-2026",
        "session_id": "conv_8812",
        "chat_session_id": "c9f1e2d3a4b5",
        "smtp_pass": "Xk9!pq2wLm",
        "db_pass": "hunter2hunter2",
    });
    let found = r.scan_json(&v);
    let mut got: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.pointer.as_deref().unwrap_or(""), f.entity.name()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![("/db_pass", "PASSWORD"), ("/smtp_pass", "PASSWORD")],
        "{found:?}"
    );
    let out = r.redact_json(&v, &ActionPlan::mask_all());
    let nv = out.value.unwrap_or_default();
    for k in [
        "boarding_pass",
        "day_pass",
        "session",
        "session_id",
        "chat_session_id",
    ] {
        assert_eq!(nv[k], v[k], "{k}");
    }
    assert_eq!(nv["smtp_pass"], "[PASSWORD]");
    assert_eq!(nv["db_pass"], "[PASSWORD]");
}

#[test]
fn plan_selects_entities_and_actions() {
    let r = redactor();
    let v = json!({"email": "jane@example.com", "card": "4242424242424242", "ip": "10.1.2.3", "pw": {"password": "p"}});
    let plan = ActionPlan::from_names(&["email:hash", "card:partial", "password:drop"])
        .unwrap_or_default();
    let out = r.redact_json(&v, &plan);
    let nv = out.value.unwrap_or_default();
    let token = nv["email"].as_str().unwrap_or_default().to_string();
    assert!(token.starts_with("[EMAIL:") && token.len() == 24, "{token}");
    assert_eq!(nv["card"], "[CREDIT_CARD ****4242]");
    assert_eq!(nv["ip"], "10.1.2.3", "not in the plan: reported, untouched");
    assert_eq!(nv["pw"], json!({}));
    let ip = out
        .findings
        .iter()
        .find(|f| f.entity == Entity::Ipv4)
        .map(|f| f.action);
    assert_eq!(ip, Some(Action::Keep));
    // Same value, same token: joins still work.
    let again = r
        .redact_json(&json!({"x": "JANE@example.com"}), &plan)
        .value
        .unwrap_or_default();
    assert_eq!(again["x"], token.as_str());
}

#[test]
fn deny_and_config_overrides() {
    let cfg = RedactConfig {
        actions: [("CREDIT_CARD".to_string(), Action::Partial)]
            .into_iter()
            .collect(),
        ..RedactConfig::default()
    };
    let r = Redactor::new(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let v = json!({"c": "card 5555555555554444", "s": "ssn 536-22-1234"});
    let out = r.redact_json(&v, &ActionPlan::mask_all());
    assert_eq!(
        out.value.unwrap_or_default()["c"],
        "card [CREDIT_CARD ****4444]"
    );
    let out = r.redact_json(&v, &ActionPlan::none().with(Entity::UsSsn, Action::Deny));
    assert!(out.deny);
    assert_eq!(out.value.unwrap_or_default()["s"], "ssn [US_SSN]");
}

#[test]
fn config_validation() {
    let bad: Result<RedactConfig, _> = serde_json::from_value(json!({"bogus": 1}));
    assert!(bad.is_err(), "deny_unknown_fields");
    let hash_no_key = RedactConfig {
        actions: [("email".to_string(), Action::Hash)].into_iter().collect(),
        ..RedactConfig::default()
    };
    assert!(matches!(
        Redactor::new(&hash_no_key),
        Err(RedactError::MissingHmacKey)
    ));
    let unknown = RedactConfig {
        disabled: vec!["nope".into()],
        ..RedactConfig::default()
    };
    assert!(matches!(
        Redactor::new(&unknown),
        Err(RedactError::UnknownEntity(_))
    ));
    let cfg: RedactConfig =
        serde_json::from_value(json!({"disabled": ["ip"], "sensitive_keys": ["x_session"]}))
            .unwrap_or_default();
    let r = Redactor::new(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let f = r.scan_json(&json!({"ip": "10.0.0.1", "x_session": "s3cr3t"}));
    assert_eq!(types(&f), vec!["GENERIC_SECRET"]);
}

#[test]
fn redactor_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Redactor>();
}

#[test]
fn what_a_thread_remembers_about_keys_follows_the_redactor() {
    // Same thread, same key, two redactors (as before and after a reload that adds a
    // sensitive key): each answers by its own rules, whichever ran first.
    let plain = redactor();
    let cfg: RedactConfig =
        serde_json::from_value(json!({"sensitive_keys": ["order_ref"]})).unwrap_or_default();
    let strict = Redactor::new(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let doc = json!({"order_ref": "A-77120", "note": "ok"});
    for _ in 0..3 {
        assert!(
            plain.scan_json(&doc).is_empty(),
            "{:?}",
            plain.scan_json(&doc)
        );
        assert_eq!(types(&strict.scan_json(&doc)), vec!["GENERIC_SECRET"]);
    }
    // A key longer than what is remembered, and more distinct keys than the memory holds,
    // still get the same answers.
    let long = format!("{}_password", "x".repeat(80));
    assert_eq!(
        types(&plain.scan_json(&json!({ long: "hunter22" }))),
        vec!["PASSWORD"]
    );
    for i in 0..5000 {
        let k = format!("field_{i}");
        assert!(plain.scan_json(&json!({ k: "v" })).is_empty());
    }
    assert_eq!(types(&strict.scan_json(&doc)), vec!["GENERIC_SECRET"]);
    assert!(plain.scan_json(&doc).is_empty());
}

/// What a walk finds does not depend on the plan, only what it does with it: the pipeline
/// skips the walk under the policy's plan when the plan-less scan of the same arguments found
/// nothing (`pipeline::decide`).
#[test]
fn findings_do_not_depend_on_the_plan() {
    let r = redactor();
    let docs = [
        json!({"customer": {"email": "jane@example.com", "phone": "+44 20 7946 0958"},
               "jane@example.com": 1, "card": 4111111111111111u64,
               "password": "hunter2-Very-long", "note": "my password is Tr0ub4dor&3 ok",
               "key": "AKIAIOSFODNN7EXAMPLE", "ip": "10.1.2.3", "items": [{"ssn": "123-45-6789"}]}),
        json!({"order": "ORD-2024-118833", "version": "v2.14.3", "sku": "MUG-BLUE-12"}),
        json!("plain text with bob@example.org inside"),
    ];
    let plans = [
        ActionPlan::from_names(&["email"]).unwrap_or_default(),
        ActionPlan::from_names(&["email", "card:partial", "ip"]).unwrap_or_default(),
        ActionPlan::mask_all(),
    ];
    // pointers aside: under a plan that renames a key, the pointers name the new key
    let place = |f: &Finding| (f.entity.name(), f.start, f.end, f.key);
    for doc in &docs {
        let scanned: Vec<_> = r.scan_json(doc).iter().map(place).collect();
        for plan in &plans {
            let redacted: Vec<_> = r
                .redact_json(doc, plan)
                .findings
                .iter()
                .map(place)
                .collect();
            assert_eq!(scanned, redacted, "{doc}");
            let mut copy = doc.clone();
            let (found, changed) = r.redact_json_in_place(&mut copy, plan);
            assert_eq!(scanned, found.iter().map(place).collect::<Vec<_>>());
            if scanned.is_empty() {
                assert!(!changed && copy == *doc, "{doc}");
            }
        }
    }
}

/// `redact_scanned_in_place` (from the scan's findings) gives exactly what the walk gives —
/// the value, the findings and their actions — or declines (`None`); over the held-out
/// sample's texts in several JSON shapes, a document with keys, numbers and secrets, and
/// plans that mask, hash, keep partial and name groups.
#[test]
fn redacting_from_the_scan_matches_the_walk() {
    let r = redactor();
    let sample = include_str!("tests/heldout_sample.jsonl");
    let mut docs: Vec<serde_json::Value> = vec![json!({
        "customer": {"email": "jane@example.com", "phone": "+44 20 7946 0958"},
        "card": 4111111111111111u64, "cards": ["4111 1111 1111 1111", "x"],
        "password": "hunter2-Very-long", "note": "my password is Tr0ub4dor&3 ok",
        "key": "AKIAIOSFODNN7EXAMPLE", "ip": "10.1.2.3", "items": [{"ssn": "123-45-6789"}],
        "a/b~c": "bob@example.org and alice@example.org", "n": -5, "f": 1.5,
        "card_number": "4222222222222", "ean": "4008943018522", "cc": 4222222222222u64})];
    for line in sample.lines().take(300) {
        let v: serde_json::Value = serde_json::from_str(line).expect("sample line");
        let text = v["text"].clone();
        docs.push(json!({"text": text, "nested": [{"body": text}], "password": text}));
        docs.push(text);
    }
    let plans: Vec<ActionPlan> = [
        vec!["email"],
        vec!["email", "card:partial", "ip"],
        vec!["pii"],
        vec!["secrets", "phone:hash"],
        vec!["all"],
        vec!["email:hash", "ssn:partial"],
    ]
    .iter()
    .map(|p| ActionPlan::from_names(p).unwrap_or_else(|e| panic!("{p:?}: {e}")))
    .chain([ActionPlan::mask_all()])
    .collect();
    let (mut fast, mut declined) = (0, 0);
    for doc in &docs {
        let scanned = r.scan_json(doc);
        for plan in &plans {
            let mut walked = doc.clone();
            let (walk_found, walk_changed) = r.redact_json_in_place(&mut walked, plan);
            let mut quick = doc.clone();
            match r.redact_scanned_in_place(&mut quick, plan, &scanned) {
                Some((found, changed)) => {
                    fast += 1;
                    assert_eq!(quick, walked, "{doc}");
                    assert_eq!(changed, walk_changed, "{doc}");
                    assert_eq!(found, walk_found, "{doc}");
                }
                None => {
                    declined += 1;
                    assert_eq!(quick, *doc, "declined, yet changed: {doc}");
                }
            }
        }
    }
    assert!(
        fast > 10 * declined,
        "{fast} from the scan, {declined} declined"
    );
}

/// A 13-digit Visa number (Luhn-valid; also the shape of an EAN-13 barcode) is a card under
/// a card-like key or after a card word, and nothing under other keys or a barcode label;
/// the raw-bytes path agrees with the walk.
#[test]
fn thirteen_digit_visa_needs_a_card_key_or_word() {
    let r = redactor();
    let plan = ActionPlan::mask_all();
    for (doc, want) in [
        (json!({"card_number": "4222222222222"}), vec!["CREDIT_CARD"]),
        (json!({"creditCard": 4222222222222u64}), vec!["CREDIT_CARD"]),
        (
            json!({"note": "card on file 4222222222222"}),
            vec!["CREDIT_CARD"],
        ),
        (json!({"ean": "4008943018522"}), vec![]),
        (json!({"gtin": 4008943018522u64}), vec![]),
        (
            json!({"note": "EAN 4008943018522, card 4111111111111111"}),
            vec!["CREDIT_CARD"],
        ),
    ] {
        let walked = r.redact_json(&doc, &plan);
        assert_eq!(types(&walked.findings), want, "{doc}");
        let raw = serde_json::to_vec(&doc).unwrap_or_default();
        let (out, found) = r.redact_bytes(&raw, true, &plan);
        assert_eq!(types(&found), want, "{doc}");
        let out: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(out, walked.value.unwrap_or(doc.clone()), "{doc}");
    }
}

#[test]
fn secret_named_keys_follow_the_taxonomy() {
    // PASSWORD under password words (every locale), GENERIC_SECRET under every other
    // secret-named key (card security codes included), a vendor token as what it is, a
    // documentation placeholder as a placeholder; on the walk and on the raw-bytes path.
    let r = redactor();
    let doc = json!({
        "db": {"password": "hunter22x", "passwort": "Kanaal-2614", "contraseña": "Playa_2817"},
        "oauth": {"client_secret": "tQIGPzLUEvBGPLnyeeXIyX2cxbjfPS79", "token": "abc123def456"},
        "aws": {"secret_access_key": "5KmPXUSodrUgmh9pnBj2wSJMQD2/9Mg1Ho2s3eY6"},
        "card": {"number": "4242 4242 4242 4242", "cvc": "403", "cvv2": 712},
        "maven": {"password": "ghp_y1x1EIu2gBtYZ9x5dHpHDpesbWjcT4BGXiAE"},
        "docs_example": {"api_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
        "pass_rate": "97%"
    });
    let f = r.scan_json(&doc);
    let got: Vec<(&str, &str, bool)> = f
        .iter()
        .map(|f| {
            (
                f.pointer.as_deref().unwrap_or(""),
                f.entity.name(),
                f.placeholder,
            )
        })
        .collect();
    let want = vec![
        ("/aws/secret_access_key", "GENERIC_SECRET", false),
        ("/card/cvc", "GENERIC_SECRET", false),
        ("/card/cvv2", "GENERIC_SECRET", false),
        ("/card/number", "CREDIT_CARD", false),
        ("/db/contraseña", "PASSWORD", false),
        ("/db/password", "PASSWORD", false),
        ("/db/passwort", "PASSWORD", false),
        ("/docs_example/api_key", "GENERIC_SECRET", true),
        ("/maven/password", "GITHUB_TOKEN", false),
        ("/oauth/client_secret", "GENERIC_SECRET", false),
        ("/oauth/token", "GENERIC_SECRET", false),
    ];
    assert_eq!(got, want);
    let raw = serde_json::to_vec(&doc).unwrap_or_default();
    let (out, raw_found) = r.redact_bytes(&raw, true, &ActionPlan::mask_all());
    assert_eq!(raw_found.len(), want.len(), "{raw_found:?}");
    let text = String::from_utf8_lossy(&out).to_string();
    assert!(text.contains(r#""cvc":"[GENERIC_SECRET]""#), "{text}");
    assert!(text.contains(r#""passwort":"[PASSWORD]""#), "{text}");
    assert!(
        text.contains("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        "{text}"
    );
    assert!(!text.contains("403"), "{text}");
}

#[test]
fn sentinels_under_secret_keys_are_kept() {
    let r = redactor();
    let v = json!({
        "old_password": "(rotated)",
        "prev_password": "n/a",
        "masked_password": "********",
        "api_token": "none",
        "backup_pwd": "-",
        // Look-alikes: real values under the same keys.
        "password": "(rot4ted)Xy",
        "new_password": "n/a-Tr0ub4dor",
    });
    let out = r.redact_json(&v, &ActionPlan::mask_all());
    let nv = out.value.unwrap_or_default();
    for k in [
        "old_password",
        "prev_password",
        "masked_password",
        "api_token",
        "backup_pwd",
    ] {
        assert_eq!(nv[k], v[k], "{k}");
    }
    assert_eq!(nv["password"], "[PASSWORD]");
    assert_eq!(nv["new_password"], "[PASSWORD]");
    assert_eq!(out.findings.len(), 2, "{:?}", out.findings);
}
