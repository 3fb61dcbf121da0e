use super::keys::normalize_key;
use super::*;
use crate::redact::detect::tests_support::Rng;

#[test]
fn key_normalisation() {
    let table = [
        ("accessToken", "access_token"),
        ("Access-Token", "access_token"),
        ("ACCESS_TOKEN", "access_token"),
        ("x.api.key", "x_api_key"),
        ("password", "password"),
    ];
    for (k, want) in table {
        assert_eq!(normalize_key(k), want, "{k}");
    }
}

#[test]
fn key_classes() {
    let rules = KeyRules::new(&["session_id".to_string()]);
    let table = [
        ("password", KeyClass::Whole(Entity::Password)),
        ("db_password", KeyClass::Whole(Entity::Password)),
        ("accessToken", KeyClass::Whole(Entity::GenericSecret)),
        ("Set-Cookie", KeyClass::Whole(Entity::GenericSecret)),
        ("X-Api-Key", KeyClass::Whole(Entity::GenericSecret)),
        ("sessionId", KeyClass::Whole(Entity::GenericSecret)),
        // The taxonomy: password words (and the six other locales') are PASSWORD, every
        // other secret-named key GENERIC_SECRET, card security codes included.
        ("passwort", KeyClass::Whole(Entity::Password)),
        ("db_kennwort", KeyClass::Whole(Entity::Password)),
        ("contraseña", KeyClass::Whole(Entity::Password)),
        ("mot_de_passe", KeyClass::Whole(Entity::Password)),
        ("motDePasse", KeyClass::Whole(Entity::Password)),
        ("wachtwoord", KeyClass::Whole(Entity::Password)),
        ("parola_chiave", KeyClass::Whole(Entity::Password)),
        ("pin", KeyClass::Whole(Entity::Password)),
        ("client_secret", KeyClass::Whole(Entity::GenericSecret)),
        (
            "aws_secret_access_key",
            KeyClass::Whole(Entity::GenericSecret),
        ),
        ("apiKey", KeyClass::Whole(Entity::GenericSecret)),
        ("auth_token", KeyClass::Whole(Entity::GenericSecret)),
        ("signing_key", KeyClass::Whole(Entity::GenericSecret)),
        ("private_key", KeyClass::Whole(Entity::GenericSecret)),
        ("session_token", KeyClass::Whole(Entity::GenericSecret)),
        ("smtp_pass", KeyClass::Whole(Entity::Password)),
        ("db_pass", KeyClass::Whole(Entity::Password)),
        ("mysql_root_pass", KeyClass::Whole(Entity::Password)),
        ("pass", KeyClass::Whole(Entity::Password)),
        ("cvc", KeyClass::Whole(Entity::GenericSecret)),
        ("CVV2", KeyClass::Whole(Entity::GenericSecret)),
        // Compound keys whose words include a password word.
        ("wachtwoord_db", KeyClass::Whole(Entity::Password)),
        ("contraseña_bd", KeyClass::Whole(Entity::Password)),
        ("pwd_utente", KeyClass::Whole(Entity::Password)),
        ("zugangspasswort", KeyClass::Whole(Entity::Password)),
        ("smtp_pass", KeyClass::Whole(Entity::Password)),
        ("dbPassword", KeyClass::Whole(Entity::Password)),
        ("password_db_admin", KeyClass::Whole(Entity::Password)),
        // Look-alikes: names that hold a password word without being one.
        ("password_min_length", KeyClass::Plain),
        ("PASSWORD_MAX_AGE", KeyClass::Plain),
        ("pwd_reset_count", KeyClass::Plain),
        ("passwort_hint", KeyClass::Plain),
        ("password_hint", KeyClass::Plain),
        ("passport", KeyClass::Plain),
        ("session_count", KeyClass::Plain),
        // A ticket, not a password; a conversation's id, not a credential (an operator who
        // wants session ids masked lists them in `redact.sensitive_keys`).
        ("boarding_pass", KeyClass::Plain),
        ("day_pass", KeyClass::Plain),
        ("season_pass", KeyClass::Plain),
        ("bypass", KeyClass::Plain),
        ("session", KeyClass::Plain),
        ("chat_session", KeyClass::Plain),
        ("mcp_session", KeyClass::Plain),
        ("pinned", KeyClass::Plain),
        ("keyword", KeyClass::Plain),
        ("ssn", KeyClass::Whole(Entity::UsSsn)),
        ("birthDate", KeyClass::Whole(Entity::DateOfBirth)),
        ("dob", KeyClass::Whole(Entity::DateOfBirth)),
        // The other locales' birth-date keys, and compounds ending in one.
        ("geburtsdatum", KeyClass::Whole(Entity::DateOfBirth)),
        ("geb_datum", KeyClass::Whole(Entity::DateOfBirth)),
        ("Geb.Datum", KeyClass::Whole(Entity::DateOfBirth)),
        ("geboortedatum", KeyClass::Whole(Entity::DateOfBirth)),
        ("date_naissance", KeyClass::Whole(Entity::DateOfBirth)),
        ("dateDeNaissance", KeyClass::Whole(Entity::DateOfBirth)),
        ("data_nascita", KeyClass::Whole(Entity::DateOfBirth)),
        ("data_di_nascita", KeyClass::Whole(Entity::DateOfBirth)),
        ("fecha_nacimiento", KeyClass::Whole(Entity::DateOfBirth)),
        ("fecha_de_nacimiento", KeyClass::Whole(Entity::DateOfBirth)),
        ("patient_geburtsdatum", KeyClass::Whole(Entity::DateOfBirth)),
        // Look-alikes: other dates in the same locales.
        ("geburtsort", KeyClass::Plain),
        ("datum", KeyClass::Plain),
        ("data_creazione", KeyClass::Plain),
        ("fecha", KeyClass::Plain),
        ("date_naissance_enfant_count", KeyClass::Plain),
        ("nextPageToken", KeyClass::Plain),
        ("max_tokens", KeyClass::Plain),
        ("token_type", KeyClass::Plain),
        ("keyboard", KeyClass::Plain),
        ("mobile_number", KeyClass::Phone),
        ("phone", KeyClass::Phone),
        ("hotel", KeyClass::Plain),
        ("card_number", KeyClass::Card),
        ("creditCard", KeyClass::Card),
    ];
    for (k, want) in table {
        assert_eq!(rules.classify(k), want, "{k}");
    }
}

#[test]
fn pointers_escape() {
    let mut out = String::new();
    for t in ["a/b", "m~n", "3", ""] {
        out.push('/');
        escape_token(t, &mut out);
    }
    assert_eq!(out, "/a~1b/m~0n/3/");
}

/// Members of people's records and of the objects around them: dates in the shapes the
/// record rule reads and the ones it refuses, the PII that makes a record a person's, prose
/// with and without years, keys that need escaping in a pointer.
fn record_like(rng: &mut Rng, depth: u32) -> serde_json::Value {
    const KEYS: &[&str] = &[
        "nm",
        "name",
        "em",
        "email",
        "tel",
        "phone",
        "d1",
        "dob",
        "born",
        "birthDate",
        "created_at",
        "shippedOn",
        "order_date",
        "note",
        "id",
        "a/b",
        "m~n",
        "rows",
        "value",
        "label",
        "answer",
        "jane@example.org",
        "ssn",
        "x",
    ];
    const PIECES: &[&str] = &[
        "1984-03-02",
        "2 March 1984",
        "03/02/1984",
        "02.03.84",
        "19840302",
        "19840229",
        "19841302",
        "2025-03-02",
        "1984-03-02T10:00:00Z",
        "19\u{38}4-03-02",
        " 1984-03-02 ",
        "born 1971",
        "order 19840302",
        "ID19840302",
        "1971",
        "Jane Roe",
        "jane@example.org",
        "+44 20 7946 0958",
        "536-22-1234",
        "4242 4242 4242 4242",
        "10.0.0.1",
        "Customer reported the package arrived damaged; refund two of five items",
        "cus_Q8x2Lm0",
        "ord_99812",
        "Date of birth",
        "é",
        "\\",
        "\"",
        "\n",
        "-",
        " ",
        "12",
    ];
    match rng.next() % if depth > 3 { 2 } else { 5 } {
        0 => {
            let n = 1 + rng.next() % 3;
            serde_json::Value::String((0..n).map(|_| rng.pick(PIECES)).collect())
        }
        1 => serde_json::json!(rng.next() % 100_000_000),
        2 => serde_json::Value::Array(
            (0..rng.next() % 4)
                .map(|_| record_like(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.next() % 7 {
                m.insert(rng.pick(KEYS).to_string(), record_like(rng, depth + 1));
            }
            serde_json::Value::Object(m)
        }
    }
}

fn test_redactor() -> Redactor {
    let cfg = super::super::RedactConfig {
        hmac_key: Some("test-key".into()),
        ..Default::default()
    };
    Redactor::new(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn record_dates_looked_at_late_are_the_ones_looked_at_early() {
    // `RecordDates::note` leaves the look at a candidate's bytes to a person's record; the
    // walk that looks at every candidate as it notes it (`member`) must find and change the
    // same, pointer for pointer.
    let r = test_redactor();
    let mut rng = Rng(0x51A7_E5D0_0DB1_27C3);
    let (mut dated, mut docs) = (0, 0);
    for plan in [
        ActionPlan::mask_all(),
        ActionPlan::from_names(&["pii:hash", "dob:drop"]).unwrap_or_else(|e| panic!("{e}")),
    ] {
        for _ in 0..4000 {
            let doc = record_like(&mut rng, 0);
            let run = |eager: bool| {
                EAGER_RECORD_DATES.with(|c| c.set(eager));
                let redacted = r.redact_json(&doc, &plan);
                let scanned = r.scan_json(&doc);
                EAGER_RECORD_DATES.with(|c| c.set(false));
                (redacted.findings, redacted.value, scanned)
            };
            let (late, early) = (run(false), run(true));
            assert_eq!(late, early, "{doc}");
            docs += 1;
            if early.0.iter().any(|f| f.entity == Entity::DateOfBirth) {
                dated += 1;
            }
        }
    }
    // the documents hold records with birth dates, and many without
    assert!(dated > 200 && dated < docs / 2, "{dated} of {docs}");
}

/// Documents whose string leaves hold the detector's triggers (secret prefixes, password
/// and birth-date keywords in their cases, `key=value` anchors) beside people's records.
fn trigger_like(rng: &mut Rng, depth: u32) -> serde_json::Value {
    const KEYS: &[&str] = &[
        "note",
        "password",
        "token",
        "msg",
        "config",
        "dob",
        "email",
        "phone",
        "id",
        "a/b",
        "items",
        "text",
        "description",
        "cmd",
        "row",
    ];
    const PIECES: &[&str] = &[
        "pw ",
        "Pw ",
        "PW ",
        "pwD ",
        "pwd ",
        "my password is ",
        "Password: ",
        "wifi pass for the office is ",
        "login is admin / ",
        "contraseña ",
        "mot de passe ",
        "Kennwort ",
        "wachtwoord ",
        "sshpass -p ",
        "mysql -p'",
        "redis-cli -a ",
        "api_key=",
        "token: ",
        "<apiToken>",
        "Bearer ",
        "AKIAIOSFODNN7EXAMPLE",
        "AKIAZ4X7Q2LM8N3PRT5W",
        "ghp_",
        "sk-ant-",
        "xoxb-",
        "dob ",
        "born on ",
        "Date of birth: ",
        "1984-03-02",
        "Hunter2!rocks",
        "Kanarie8102?",
        "Tr0ub4dor3",
        "jane@example.org",
        "+44 20 7946 0958",
        "536-22-1234",
        "4242 4242 4242 4242",
        "10.0.0.1",
        "fe80::1",
        "Customer reported the package arrived damaged",
        "cus_Q8x2Lm0",
        "\\",
        "\"",
        "\n",
        "\u{0}",
        "é",
        " ",
        "x",
        "12",
    ];
    match rng.next() % if depth > 3 { 2 } else { 5 } {
        0 | 1 => {
            let n = 1 + rng.next() % 5;
            serde_json::Value::String((0..n).map(|_| rng.pick(PIECES)).collect())
        }
        2 => serde_json::Value::Array(
            (0..rng.next() % 5)
                .map(|_| match rng.next() % 4 {
                    0 => record_like(rng, depth + 1),
                    _ => trigger_like(rng, depth + 1),
                })
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.next() % 7 {
                m.insert(rng.pick(KEYS).to_string(), trigger_like(rng, depth + 1));
            }
            serde_json::Value::Object(m)
        }
    }
}

#[test]
fn the_joined_leaves_search_finds_what_each_leaf_searched_alone_finds() {
    // `Walk::document` finds the trigger candidates of every string leaf in one search of
    // the leaves joined (`Detector::joined_triggers`); the walk that searches each leaf alone
    // (before the twenty-second round) must find and change the same, pointer for pointer.
    let r = test_redactor();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut found, mut docs) = (0, 0);
    for plan in [
        ActionPlan::mask_all(),
        ActionPlan::from_names(&["pii:hash", "dob:drop"]).unwrap_or_else(|e| panic!("{e}")),
    ] {
        for i in 0..1500 {
            let doc = if i % 4 == 0 {
                record_like(&mut rng, 0)
            } else {
                trigger_like(&mut rng, 0)
            };
            let run = |per_leaf: bool| {
                PER_LEAF_TRIGGERS.with(|c| c.set(per_leaf));
                let redacted = r.redact_json(&doc, &plan);
                let scanned = r.scan_json(&doc);
                let mut value = doc.clone();
                let in_place = r.redact_json_in_place(&mut value, &plan);
                PER_LEAF_TRIGGERS.with(|c| c.set(false));
                (redacted.findings, redacted.value, scanned, in_place, value)
            };
            let (joined, alone) = (run(false), run(true));
            assert_eq!(joined, alone, "{doc}");
            docs += 1;
            if alone.2.iter().any(|f| {
                matches!(
                    f.entity,
                    Entity::Password | Entity::GenericSecret | Entity::AwsAccessKey
                ) && f.start.is_some()
            }) {
                found += 1;
            }
        }
    }
    // many documents hold secrets found at a trigger, not all
    assert!(found > 400 && found < docs, "{found} of {docs}");
}

#[test]
fn pointers_name_the_members_as_written() {
    // The walk spells a finding's pointer only when it makes one (`Walk::pointer`): escaped
    // keys, array indices, a renamed member (a key holding a finding) and the members below
    // it, a record's birth date, the document's root.
    let r = test_redactor();
    let doc = serde_json::json!({
        "a/b": {"m~n": ["x", {"e": "mail jane@example.org"}]},
        "jane@example.org": {"ip": "10.0.0.1", "~/": [["n", "dob"], ["Jane", "1984-03-02"]]},
        "rows": [{"nm": "Jane Roe", "em": "jane@example.org", "d1": "1984-03-02"}],
    });
    let pointers = |findings: &[Finding]| {
        let mut got: Vec<(String, &'static str, bool)> = findings
            .iter()
            .map(|f| {
                (
                    f.pointer.clone().unwrap_or_default(),
                    f.entity.name(),
                    f.key,
                )
            })
            .collect();
        got.sort();
        got
    };
    let want = |renamed: &str| {
        let mut want: Vec<(String, &'static str, bool)> = [
            ("", "EMAIL", true),
            ("/ip", "IPV4", false),
            ("/~0~1/1/1", "DATE_OF_BIRTH", false),
        ]
        .iter()
        .map(|(p, e, k)| (format!("/{renamed}{p}"), *e, *k))
        .collect();
        want.extend([
            ("/a~1b/m~0n/1/e".to_string(), "EMAIL", false),
            ("/rows/0/d1".to_string(), "DATE_OF_BIRTH", false),
            ("/rows/0/em".to_string(), "EMAIL", false),
        ]);
        want.sort();
        want
    };
    // scanned, the member keeps its name; redacted, it is named by its mask
    assert_eq!(pointers(&r.scan_json(&doc)), want("jane@example.org"));
    let redacted = r.redact_json(&doc, &ActionPlan::mask_all());
    assert_eq!(pointers(&redacted.findings), want("[EMAIL]"));
    let text = serde_json::json!("jane@example.org");
    let root: Vec<_> = r.scan_json(&text).into_iter().map(|f| f.pointer).collect();
    assert_eq!(root, vec![Some(String::new())]);
}

#[test]
fn the_walks_buffers_are_kept_per_thread_empty_and_bounded() {
    // A walk leaves its emptied `classes`, `labelled` and `record_dates` to the next walk on
    // its thread, none that grew past `SPARE_MAX` entries.
    let r = test_redactor();
    let kept = || {
        KEY_MEMO.with(|m| {
            let m = m.borrow();
            let empty = m.classes.is_empty() && m.labelled.is_empty() && m.record_dates.is_empty();
            (empty, m.classes.capacity(), m.labelled.capacity())
        })
    };
    let record = serde_json::json!({"rows": [
        {"nm": "Jane Roe", "em": "jane@example.org", "d1": "1984-03-02", "id": "cus_Q8x2Lm0"},
        {"form": {"label": "Date of birth"}, "answer": "1984-03-02"},
    ]});
    let first = r.scan_json(&record);
    let (empty, classes, labelled) = kept();
    assert!(empty && classes > 0 && labelled > 0, "{classes} {labelled}");
    // the next walk starts from them and finds what a first walk found
    assert_eq!(r.scan_json(&record), first);
    assert!(kept().0);
    let wide: serde_json::Map<String, serde_json::Value> = (0..SPARE_MAX + 1)
        .map(|i| (format!("k{i}"), serde_json::json!("x")))
        .collect();
    assert!(r.scan_json(&serde_json::Value::Object(wide)).is_empty());
    let (empty, classes, _) = kept();
    assert!(empty && classes == 0, "{classes}");
    assert_eq!(r.scan_json(&record), first);
}

/// The twenty-first round's (perf): the memo's slots (`KeySlots`, in front of its map) answer
/// what `classify_key` answers, for keys found in their slot, keys whose slot holds another
/// (collisions: the slots are fewer than the keys), keys longer than a slot holds and keys
/// longer than the memo keeps, in every case and length, met again and again in an order
/// that evicts them; and a reload (another redactor) starts the slots over.
#[test]
fn the_key_slots_answer_what_the_classification_answers() {
    const WORDS: &[&str] = &[
        "",
        "a",
        "id",
        "ssn",
        "dob",
        "key",
        "name",
        "type",
        "value",
        "Value",
        "label",
        "token",
        "email",
        "phone",
        "password",
        "Password",
        "api_key",
        "apiKey",
        "secret",
        "tin",
        "birth",
        "date",
        "answer",
        "question",
        "tabLabel",
        "shortname",
        "username",
        "login",
        "number",
        "order",
        "sku",
        "card",
        "cvv",
        "gitlab.com",
        "x",
        "é",
        "customer",
        "line_items",
        "metadata",
        "unit_amount",
        "description",
        "postal_code",
        "ParameterKey",
        "ParameterValue",
        "plaintext",
        "tax_id",
        "national_id",
        "message-id",
        "encryptedData",
    ];
    let mut keys: Vec<String> = Vec::new();
    for a in WORDS {
        keys.push((*a).to_string());
        keys.push(a.to_uppercase());
        for b in WORDS.iter().step_by(3) {
            keys.push(format!("{a}_{b}"));
            keys.push(format!("{a}{b}{a}"));
        }
    }
    // around the slot's and the memo's longest keys
    for n in [
        KEY_SLOT_LEN - 1,
        KEY_SLOT_LEN,
        KEY_SLOT_LEN + 1,
        KEY_MEMO_MAX_LEN + 1,
    ] {
        keys.push("p".repeat(n));
        keys.push(format!("{}password", "x".repeat(n.saturating_sub(8))));
        keys.push(format!("{}ssn", "y".repeat(n.saturating_sub(3))));
    }
    keys.sort();
    keys.dedup();
    assert!(keys.len() > 2 * KEY_SLOTS, "{}", keys.len());
    let r = test_redactor();
    let want: Vec<KeyInfo> = {
        let walk = Walk::new(&r, None);
        keys.iter().map(|k| walk.classify_key(k)).collect()
    };
    let (mut hits, mut collided) = (0usize, 0usize);
    for round in 0..4usize {
        let mut walk = Walk::new(&r, None);
        // each round in another order: forwards, backwards, by a stride
        let order: Vec<usize> = match round % 3 {
            0 => (0..keys.len()).collect(),
            1 => (0..keys.len()).rev().collect(),
            _ => (0..keys.len()).map(|i| i * 7 % keys.len()).collect(),
        };
        for i in order {
            let k = keys[i].as_str();
            let slot = walk.memo.slots.get(k.as_bytes());
            hits += usize::from(slot.is_some());
            if let Some(info) = slot {
                assert_eq!(info, want[i], "{k:?} from its slot");
            }
            assert_eq!(walk.key_facts_uncached(k), want[i], "{k:?}");
            assert_eq!(walk.key_facts(k), want[i], "{k:?}");
            // (a key of a slot's length or shorter is in its slot after its look-up)
            let kept = walk.memo.slots.get(k.as_bytes());
            assert_eq!(kept.is_some(), k.len() <= KEY_SLOT_LEN, "{k:?}");
        }
        collided += keys
            .iter()
            .filter(|k| k.len() <= KEY_SLOT_LEN && walk.memo.slots.get(k.as_bytes()).is_none())
            .count();
    }
    // (a key met again before another takes its slot is answered from it; most are not, as
    // the keys are twice the slots and more)
    assert!(hits > 100 && collided > keys.len(), "{hits} {collided}");
    // a document's few keys, met again and again: from their slots
    let mut walk = Walk::new(&r, None);
    let few = &keys[..40];
    for k in few {
        assert_eq!(walk.key_facts_uncached(k), walk.classify_key(k), "{k:?}");
    }
    let from_slots = few
        .iter()
        .filter(|k| walk.memo.slots.get(k.as_bytes()).is_some())
        .count();
    assert!(from_slots > 30, "{from_slots}");
    drop(walk);
    // another redactor (a reload): the slots start over
    let other = test_redactor();
    let walk = Walk::new(&other, None);
    assert!(keys
        .iter()
        .all(|k| walk.memo.slots.get(k.as_bytes()).is_none()));
}

/// A slot holds a key as its length and words (`key_words`): every key it may hold is
/// answered by its own slot alone, and a key of the same length differing in any one byte
/// (or a prefix, or a longer key with the same first bytes) is not.
#[test]
fn a_slot_answers_only_its_own_key() {
    let info: KeyInfo = (KeyClass::Phone, true, KeyFacts::of("phone"));
    for n in 0..=KEY_SLOT_LEN + 2 {
        let key: Vec<u8> = (0..n).map(|i| b'a' + (i * 7 % 26) as u8).collect();
        let mut slots = KeySlots::default();
        slots.put(&key, info);
        assert_eq!(slots.get(&key).is_some(), n <= KEY_SLOT_LEN, "{n}");
        for at in 0..n {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut other = key.clone();
                other[at] ^= flip;
                assert!(slots.get(&other).is_none(), "{n} {at} {flip}");
            }
        }
        assert!(
            slots.get(&key[..n.saturating_sub(1)]).is_none() || n == 0,
            "{n}"
        );
        let mut longer = key.clone();
        longer.push(b'a');
        assert!(slots.get(&longer).is_none(), "{n}");
    }
}

/// Labelled answers (`labels`) nested in every way: label and answer members, objects
/// holding a label member (a form answer's `field`), objects with and without an answer
/// member around them, in arrays and under other members.
fn labelled_like(rng: &mut Rng, depth: u32) -> serde_json::Value {
    const KEYS: &[&str] = &[
        "question",
        "label",
        "tabLabel",
        "ref",
        "name",
        "key",
        "shortname",
        "title",
        "answer",
        "value",
        "date",
        "text",
        "field",
        "type",
        "id",
        "dob",
        "fields",
        "Value",
        "NAME",
    ];
    const STRINGS: &[&str] = &[
        "Date of birth",
        "date_of_birth",
        "dob",
        "Geburtsdatum",
        "fecha_de_nacimiento",
        "Birthday",
        "Jane Doe",
        "birth_date",
        "1985-01-06",
        "16/02/1972",
        "8/21/1969",
        "2025-03-02",
        "jane@example.org",
        "text",
        "date",
    ];
    match rng.next() % if depth > 3 { 2 } else { 6 } {
        0 => serde_json::Value::String(rng.pick(STRINGS).to_string()),
        1 => serde_json::json!(rng.next() % 100),
        2 => serde_json::Value::Array(
            (0..rng.next() % 3)
                .map(|_| labelled_like(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..1 + rng.next() % 5 {
                m.insert(rng.pick(KEYS).to_string(), labelled_like(rng, depth + 1));
            }
            serde_json::Value::Object(m)
        }
    }
}

/// An object works out its object members' labels only when one of its members holds an
/// answer; without one, each member works out its own (`Walk::object`, twenty-second
/// round). Against every object working them out (the reference, `EAGER_LABELS`): the same
/// findings, pointer for pointer, and the same redacted document, on generated labelled
/// answers.
#[test]
fn labels_left_to_the_members_are_the_labels_worked_out_by_the_parent() {
    let r = test_redactor();
    let mut rng = Rng(0x1ABE_15F0_0D5E_ED01);
    let (mut dated, mut docs) = (0, 0);
    let plan = ActionPlan::mask_all();
    for _ in 0..6000 {
        let doc = labelled_like(&mut rng, 0);
        let run = |eager: bool| {
            EAGER_LABELS.with(|c| c.set(eager));
            let redacted = r.redact_json(&doc, &plan);
            let scanned = r.scan_json(&doc);
            EAGER_LABELS.with(|c| c.set(false));
            (redacted.findings, redacted.value, scanned)
        };
        let (lazy, eager) = (run(false), run(true));
        assert_eq!(lazy, eager, "{doc}");
        docs += 1;
        if eager.0.iter().any(|f| f.entity == Entity::DateOfBirth) {
            dated += 1;
        }
    }
    // the labels name birth dates in many documents, and not in most
    assert!(dated > 300 && dated < docs / 2, "{dated} of {docs}");
}
