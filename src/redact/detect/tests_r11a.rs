//! Eleventh round, part A (issue #20, on blind10's misses): birth dates, phones, cards,
//! SSNs and IPv4 addresses. Each class with the look-alikes it must leave alone.

use super::tests_support::{det, found_all as found};
use super::*;
use crate::redact::action::ActionPlan;
use crate::redact::{RedactConfig, Redactor};
use regex_automata::{Anchored, Input};
use serde_json::json;

fn dobs(text: &str) -> Vec<String> {
    found(text, Entity::DateOfBirth)
}

fn redactor() -> Redactor {
    Redactor::new(&RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The pointers of `entity` findings in `doc`, the same from the `Value` walk and the
/// raw-bytes pass (same output, same findings).
fn json_pointers(doc: &serde_json::Value, entity: Entity) -> Vec<String> {
    let r = redactor();
    let plan = ActionPlan::mask_all();
    let mut walked = doc.clone();
    let (walk_found, _) = r.redact_json_in_place(&mut walked, &plan);
    let raw = serde_json::to_vec(doc).expect("json");
    let (out, raw_found) = r.redact_bytes(&raw, true, &plan);
    let out: serde_json::Value = serde_json::from_slice(&out).expect("redacted json");
    assert_eq!(out, walked, "{doc}");
    assert_eq!(raw_found, walk_found, "{doc}");
    r.scan_json(doc)
        .iter()
        .filter(|f| f.entity == entity)
        .map(|f| f.pointer.clone().unwrap_or_default())
        .collect()
}

/// Google People API contacts: `birthdays` is a list of birthdays, each with a free-form
/// `text` (and a structured `date`).
#[test]
fn birthdays_lists_and_their_text_member() {
    let doc = json!({"connections": [{
        "names": [{"displayName": "Dolores Palazzo"}],
        "birthdays": [{"text": "9 gennaio 1970"}, {"date": "1970-01-09"}],
        "etag": "%E3XwFFBIeiBHIH08nxZPJJlM"
    }, {
        "birthdays": [{"text": "20/07/2005", "metadata": {"primary": true}}]
    }]});
    assert_eq!(
        json_pointers(&doc, Entity::DateOfBirth),
        [
            "/connections/0/birthdays/0/text",
            "/connections/0/birthdays/1/date",
            "/connections/1/birthdays/0/text"
        ]
    );
    // A plain list under the plural key.
    let doc = json!({"birthdays": ["1984-03-02", "1990-11-30"]});
    assert_eq!(json_pointers(&doc, Entity::DateOfBirth).len(), 2);
    // Look-alikes: `text` members elsewhere, a birthdays member without a date, an
    // event's text.
    for doc in [
        json!({"notes": [{"text": "call back on 2026-12-04"}]}),
        json!({"birthdays": [{"text": "unknown", "source": "profile"}]}),
        json!({"events": [{"type": "birthday party", "text": "2026-12-04"}]}),
        json!({"birthday_party": {"text": "2026-12-04"}}),
    ] {
        assert!(json_pointers(&doc, Entity::DateOfBirth).is_empty(), "{doc}");
    }
}

/// Birth phrases in the forms people write them: `Date of Birth:` (title case with a small
/// `of`), a format hint before the date, a form's blank-separated boxes, and the locales'
/// short labels (`Geburtstag:`, `geboren …`, `Naissance :`, `Nació el`, `F. de nacimiento:`).
#[test]
fn birth_phrases_hints_and_spaced_dates() {
    for (text, date) in [
        ("Date of Birth: 1963-04-08; mobile", "1963-04-08"),
        ("Note ⏎Date of Birth: 12/31/1976", "12/31/1976"),
        ("Birth: 9 Nov 1944", "9 Nov 1944"),
        ("Date of birth (MM/DD/YYYY): 06/19/1942\nSSN", "06/19/1942"),
        ("Geburtsdatum (TT.MM.JJJJ): 08.06.1962", "08.06.1962"),
        ("DOB (dd/mm/yyyy) 20/07/2005", "20/07/2005"),
        ("3. Patient birth date: 05 17 1958\nSSN", "05 17 1958"),
        ("DOB: 5 4 1979", "5 4 1979"),
        ("Geburtstag: 01.08.1996 · 0049 1578 9020398", "01.08.1996"),
        ("Geburtstag: 17 Januar 2003", "17 Januar 2003"),
        ("geboren 27.08.2006 · +4915706583003", "27.08.2006"),
        ("Geboren: 06-10-1998\nSalarisrekening", "06-10-1998"),
        ("Geboren: 12 juni 1936 ·", "12 juni 1936"),
        ("Naissance : 3 mai 1965 ·", "3 mai 1965"),
        ("Nació el 1968-07-14 ·", "1968-07-14"),
        ("NACIÓ EL 22 de junio de 1944;", "22 de junio de 1944"),
        (
            "F. de nacimiento: 25 de diciembre de 1964",
            "25 de diciembre de 1964",
        ),
        ("nacida el 05/20/1987, delivery", "05/20/1987"),
        ("Fecha de nacimiento: 1980-01-18", "1980-01-18"),
        ("data nascita 12.3.1980", "12.3.1980"),
    ] {
        assert_eq!(dobs(text), [date], "{text}");
    }
    // Look-alikes: the same words before other dates or numbers, a birthday celebration,
    // blank-separated numbers that are no date, a birth word without a colon.
    for text in [
        "birth announcement 2024-01-02",
        "Birth weight 3.4 kg on 2024-01-02",
        "Geburtstagsfeier am 12.12.2026",
        "Geburtstag Feier am 12.12.2026",
        "certificado de nacimiento emitido el 12/03/2020",
        "lugar de nacimiento: Madrid",
        "Naissance de Marie prévue le 12/03/2027",
        "DOB: 12 34 5678",
        "Meeting ID: 05 17 1958",
        "geboren in Köln, seit 03.04.1971 hier",
        "internacional 2024-01-02",
        "nación 12/03/2020",
    ] {
        assert!(dobs(text).is_empty(), "{text}: {:?}", dobs(text));
    }
    // A form's spaced birth date is one birth date, not a phone.
    let text = "3. Patient birth date: 02 22 1947\nSSN (legacy field): 034702276";
    assert!(found(text, Entity::Phone).is_empty());
}

/// Text tables whose line breaks an export flattened to ` ¶ `, and birth-date headers spelled
/// with `_` in the Romance locales (`date_naissance`, `fecha_nacimiento`).
#[test]
fn tables_flattened_with_pilcrows_and_romance_headers() {
    let csv = "Name;E-Mail;Telefon;Geburtsdatum;Kundennr ¶ Siegrun S;s@virgilio.it;512 389 147;1955-04-19;3029897546 ¶ Bernadette S;b@kpnmail.nl;+49 (0)30 123695;10 Januar 1996;3472073 ¶ ";
    assert_eq!(dobs(csv), ["1955-04-19", "10 Januar 1996"]);
    let csv = "name,email,phone,date_of_birth,customer ¶ Teresa M,t@example.co.uk,0121.226.0840,18/06/1948,62390156 ¶ ";
    assert_eq!(dobs(csv), ["18/06/1948"]);
    for (header, date) in [
        ("nom;courriel;téléphone;date_naissance;client", "31/07/1996"),
        (
            "nombre;correo;teléfono;fecha_nacimiento;cliente",
            "26/01/1956",
        ),
        ("naam;e-mail;telefoon;geboortedatum;klant", "27-09-1967"),
    ] {
        let text = format!("{header}\nLuc B;l@example.net;06 12 74 88 59;{date};9180047633\nAna C;a@example.net;06 12 74 88 60;2001-02-03;42\n");
        assert_eq!(dobs(&text), [date, "2001-02-03"], "{header}");
    }
    let sql = "-- hotfix ¶ INSERT INTO customers (first_name, email, birth_date, iban) VALUES ¶   ('Adriana', 'a@example.es', '1955-08-11', 'IT09L0234142319RW4RQZA1PU82'); ¶ UPDATE orders SET status='shipped' WHERE id = 13415590; ¶ ";
    assert_eq!(dobs(sql), ["1955-08-11"]);
    // Look-alikes: a flattened table without a birth-date column, other columns' dates, a
    // Romance header naming the place of birth.
    for text in [
        "order;order_date;expiry ¶ 1;2024-01-01;2027-01-01 ¶ ",
        "nome;luogo_nascita;data_assunzione\nLuigi;Roma;2024-01-01\n",
        "nombre;lugar_nacimiento;fecha_alta\nAna;Madrid;2024-01-01\n",
        "name;date_naissance;created ¶ Luc;inconnu;2024-01-01 ¶ ",
    ] {
        assert!(dobs(text).is_empty(), "{text}: {:?}", dobs(text));
    }
}

fn phones(text: &str) -> Vec<String> {
    found(text, Entity::Phone)
}

/// Meeting and conference-call ids, an insurance plan's group number and claims in the
/// locales are identifiers, whatever their digits fit; the dial-in number beside them is a
/// phone.
#[test]
fn meeting_ids_group_numbers_and_claims_are_no_phones() {
    for text in [
        "Escalation bridge: Meeting ID: 080 2037 2537",
        "Dial +390299722513 then Meeting ID: 715 0140 3573",
        "DESCRIPTION:Dial-in 0121.293.1322 conf. code 0422 119",
        "Escalation bridge: conf. code 0112 628",
        "conference code 0586 925",
        "Group no. 017725-386",
        "CMS-1500 / claim Fall 05/3598416",
        "claim sinistro 83/3624362",
        "q.tà 114 x 189,20 / sinistro 68/9252161",
        "siniestro 05/8571647",
        "Schaden 91/0524271",
        "Dial-in: +390212697823 / PIN 0079500",
        "passcode 612 34 56 78",
    ] {
        let want: Vec<&str> = ["+390299722513", "0121.293.1322", "+390212697823"]
            .into_iter()
            .filter(|p| text.contains(p))
            .collect();
        assert_eq!(phones(text), want, "{text}");
    }
    // Still phones: the same numbers after a phone word, a dial-in line's number.
    assert_eq!(phones("Tel. 0422 119 884"), ["0422 119 884"]);
    assert_eq!(
        phones("Dial 32 12 01 51 then Meeting ID: 580 5268 1557"),
        ["32 12 01 51"]
    );
    assert_eq!(phones("Fax 05/3598416"), ["05/3598416"]);
}

/// The visible digits of a masked card (`143319******8553`) and the US employer id's shape
/// (`82-6939743`) are no phones; a message number after a phone (`#8365947`, seven digits)
/// is no extension; the locales' call-back and dial-in words are phone context.
#[test]
fn masks_employer_ids_message_numbers_and_call_back_words() {
    for text in [
        "12/11/2026  Lunch  $55,063.94  143319******8553",
        "27/10/2026  Hotel  EUR 24092,08  444633******1048",
        "07-11-2026  Parking  CHF 1'043.08  230250******8095",
        "\"ein_of_employer\":\"82-6939743\"",
        "employer 93-7020933",
    ] {
        assert_eq!(phones(text), Vec::<String>::new(), "{text}");
    }
    for (text, want) in [
        ("sms delivered to +447401699087 #7921709", "+447401699087"),
        ("sms delivered to 34 41 81 55 #8365947", "34 41 81 55"),
        ("sms delivered to 0121.388.7950 #6536517", "0121.388.7950"),
        ("call 0121 388 7950 #123", "0121 388 7950 #123"),
        (
            "DESCRIPTION:Dial-in 21 629 3045 Meeting ID: 445 1532 6644",
            "21 629 3045",
        ),
        (
            "\"description\":\"Dial 021.812.98.28 then PIN 306647#\"",
            "021.812.98.28",
        ),
        ("CVC 878. ¶ Richiamare 32-12-38-33 ¶ carta", "32-12-38-33"),
        ("CVC 6097. ¶ Rappel 34 36 03 72 ¶ carte", "34 36 03 72"),
        (
            "CVC 013.\nTerugbellen 070.122.06.47\nkaart",
            "070.122.06.47",
        ),
        ("llámame al 34 41 40 81", "34 41 40 81"),
        (
            "Direct: 0121 146 8841 ¶ Zentrale 34-41-30-41 ¶ ",
            "34-41-30-41",
        ),
        ("Wi-Fi ¶ Reception: 12 303 02 52 ¶ ", "12 303 02 52"),
        ("Emergency contact: Peter 070-846-05-06", "070-846-05-06"),
    ] {
        assert_eq!(
            phones(text).last().map(String::as_str),
            Some(want),
            "{text}"
        );
    }
    // Look-alikes: a dialog's number, a call log's id, a card number (failing its checks)
    // after a call-back line, an amount after a card and its CVV.
    for text in [
        "dialog 34 41 81 55",
        "Reception log 34 41 81 55",
        "CVC 7121. ¶ Rappel +33126766506 ¶ carte 4668342229141 (ancienne carte)",
        "CVC 420.\nDevolver llamada 815-48-04-42\ntarjeta 3431 194470 01039 (tarjeta antigua)",
        "Jan B 6513-9093-8240-1304 052 82.850,93 € captured",
        "Teresa M,t@example.co.uk,0121.226.0840,18/06/1948,62390156",
    ] {
        let want: Vec<&str> = ["+33126766506", "815-48-04-42", "0121.226.0840"]
            .into_iter()
            .filter(|p| text.contains(p))
            .collect();
        assert_eq!(phones(text), want, "{text}");
    }
    for text in ["dialog 34 41 81 55", "Reception log 34 41 81 55"] {
        assert_eq!(phones(text), Vec::<String>::new(), "{text}");
    }
}

/// Dotted pairs after a phone word are a phone number, not an IPv4 address; the same under a
/// phone-like key.
#[test]
fn dotted_phones_after_a_phone_word_are_no_ipv4() {
    let text = "Direct: 01 28 56 37 46\nFax 34.41.82.27\n";
    assert!(found(text, Entity::Ipv4).is_empty());
    assert_eq!(phones(text), ["01 28 56 37 46", "34.41.82.27"]);
    // Look-alikes: addresses after other words stay addresses.
    for text in [
        "host 34.41.82.27",
        "Server=212.153.77.63;",
        "ip: 27.12.63.80",
    ] {
        assert_eq!(found(text, Entity::Ipv4).len(), 1, "{text}");
    }
    let doc =
        json!({"phoneNumbers": [{"value": "27.12.63.80", "type": "mobile"}], "ip": "27.12.63.80"});
    assert_eq!(
        json_pointers(&doc, Entity::Phone),
        ["/phoneNumbers/0/value"]
    );
    assert_eq!(json_pointers(&doc, Entity::Ipv4), ["/ip"]);
}

/// The number member of a phone object (`phones: [{label, number}]`, Google People's
/// `phoneNumbers: [{value, type}]`) and a sheet's phone column are read as under a phone key.
#[test]
fn phone_members_and_phone_columns_of_json_sheets() {
    let doc = json!({"contacts": [{
        "phones": [{"label": "mobile", "number": "32 12 70 25"}, {"label": "work", "number": "12 345 37 26"}],
        "phoneNumbers": [{"value": "514 805 704", "type": "mobile"}],
        "notes": "order 32 12 70 25"
    }]});
    assert_eq!(
        json_pointers(&doc, Entity::Phone),
        [
            "/contacts/0/phoneNumbers/0/value",
            "/contacts/0/phones/0/number",
            "/contacts/0/phones/1/number"
        ]
    );
    let doc = json!({"values": [
        ["Customer", "IBAN", "Phone", "Reference"],
        ["Donald Jones", "GB05 MIDL 3099 9831 2796 14", "34 46 64 50", "payment ref RF303351104575430229"],
        ["Gino Salata", "IT33 Y077 0145 059Q 3R7V J1BV I03", "34.41.55.04", "riferimento 34 41 55 04"]
    ]});
    assert_eq!(
        json_pointers(&doc, Entity::Phone),
        ["/values/1/2", "/values/2/2"]
    );
    // Look-alikes: members of other objects, other columns, a sheet without a phone column.
    for doc in [
        json!({"order": {"number": "32 12 70 25"}}),
        json!({"phones": [{"label": "mobile", "id": "32 12 70 25"}]}),
        json!({"values": [["Customer", "Order"], ["Donald", "34 46 64 50"]]}),
        json!({"values": [["Customer", "Phone calls"], ["Donald", "12"]]}),
    ] {
        assert!(json_pointers(&doc, Entity::Phone).is_empty(), "{doc}");
    }
}

/// A card written in a table: a CVV in the next column (with another separator than the
/// card's own), then an amount.
#[test]
fn cards_before_a_cvv_column_and_an_amount() {
    for (text, card) in [
        (
            "Ashley Wilkins 2221-7643-8796-4562 494 $6,051.55 captured",
            "2221-7643-8796-4562",
        ),
        (
            "Tim Bonbach 5308 7996 7958 3752 734 38.253,54 € captured",
            "5308 7996 7958 3752",
        ),
        (
            "Cornelia B 3589-2100-3452-2712 1025 23.102,12 € captured",
            "3589-2100-3452-2712",
        ),
        (
            "Craig N 6011-3469-5004-0999 6424 £167.04 captured",
            "6011-3469-5004-0999",
        ),
    ] {
        assert_eq!(found(text, Entity::CreditCard), [card], "{text}");
    }
    // Look-alikes: mixed separators inside the number, a card-shaped start of a longer
    // number, a Luhn-failing card before a CVV.
    for text in [
        "4111 1111-1111 1111",
        "no. 4111-1111-1111-1111 2222 3333",
        "David Floyd 6581 0483 2236 5315 - EUR 41854,86 invalid_number",
    ] {
        assert!(found(text, Entity::CreditCard).is_empty(), "{text}");
    }
}

/// A bare SSN after its keyword and a parenthesised qualifier of a few words.
#[test]
fn ssns_after_a_parenthesised_qualifier() {
    for text in [
        "SSN (legacy field): 550578738\n5. Phone",
        "SSN (as on file) 034702276",
        "SSN (verified) 397437545",
    ] {
        assert_eq!(found(text, Entity::UsSsn).len(), 1, "{text}");
    }
    for text in [
        "Ref (legacy field): 550578738",
        "SSN (see the form attached below): 550578738",
    ] {
        assert!(found(text, Entity::UsSsn).is_empty(), "{text}");
    }
}

/// Phones whose groups a no-break space separates (U+00A0: French typography, copies from
/// web pages); the hand matcher agrees with the phone pattern on them.
#[test]
fn phones_with_no_break_spaces() {
    for (text, want) in [
        (
            "Cell +33\u{a0}6\u{a0}10\u{a0}69\u{a0}47\u{a0}71\n",
            "+33\u{a0}6\u{a0}10\u{a0}69\u{a0}47\u{a0}71",
        ),
        (
            "Tel. +39\u{a0}313\u{a0}488\u{a0}6141\nFax",
            "+39\u{a0}313\u{a0}488\u{a0}6141",
        ),
        (
            "Mob. 06\u{a0}17\u{a0}36\u{a0}79\u{a0}73\n",
            "06\u{a0}17\u{a0}36\u{a0}79\u{a0}73",
        ),
        ("Direct: (201)\u{a0}558-7426\n", "(201)\u{a0}558-7426"),
        ("T 01512\u{a0}5600027 ¶", "01512\u{a0}5600027"),
    ] {
        assert_eq!(phones(text), [want], "{text}");
    }
    // Look-alikes: amounts and order numbers with no-break spaces stay unfound.
    for text in [
        "Total\u{a0}: 12\u{a0}345,00\u{a0}€",
        "order no.\u{a0}612\u{a0}34\u{a0}56\u{a0}78",
        "12\u{a0}345\u{a0}678 pieces",
    ] {
        assert_eq!(phones(text), Vec::<String>::new(), "{text}");
    }
    let d = det();
    let Some((_, re)) = d.rules.iter().find(|(k, _)| *k == Kind::Phone) else {
        panic!("no phone rule");
    };
    for hay in [
        "+33\u{a0}6\u{a0}10\u{a0}69\u{a0}47\u{a0}71",
        "+\u{a0}33 6 10",
        "06\u{a0}\u{a0}12 34 56 78",
        "06\u{a0} \u{a0}12 34 56 78",
        "1\u{a0}2\u{a0}3\u{a0}4\u{a0}5 x12",
        "(0)\u{a0}30\u{a0}1234567",
        "12\u{c2}",
        "1234567\u{b0}C",
    ] {
        let hay = hay.as_bytes();
        for p in 0..hay.len() {
            let want = re
                .search(&Input::new(hay).range(p..).anchored(Anchored::Yes))
                .map(|m| m.end());
            assert_eq!(
                phone_end(hay, p),
                want,
                "{p} in {:?}",
                String::from_utf8_lossy(hay)
            );
        }
    }
}

/// Text tables (Markdown, CSV, TSV; lines also flattened to ` ¶ `): a number in the phone
/// column is a phone (and no IPv4 address), a 13-digit card number in the card-number column
/// is a card.
#[test]
fn phone_and_card_columns_of_text_tables() {
    let md = "| week | on-call | phone | e-mail |\n|---|---|---|---|\n| W2 | Arcelia C. | 27.12.30.66 | a@example.com |\n| W3 | Pepijn H. | 21.288.7212 | p@example.com |\n";
    assert_eq!(phones(md), ["27.12.30.66", "21.288.7212"]);
    assert!(found(md, Entity::Ipv4).is_empty());
    let flat = "| week | on-call | phone | e-mail | ¶ |---|---|---|---| ¶ | W4 | Charlotte C. | 21 237 9799 | c@example.de | ¶ ";
    assert_eq!(phones(flat), ["21 237 9799"]);
    let csv = "nom;courriel;téléphone;date_naissance;client\nArthur T;a@example.com;513.699.032;24/12/2008;3386148144\n";
    assert_eq!(phones(csv), ["513.699.032"]);
    let csv = "Name;E-Mail;Telefon;Geburtsdatum;Kundennr ¶ Siegrun S;s@example.it;512 389 147;1955-04-19;3029897546 ¶ ";
    assert_eq!(phones(csv), ["512 389 147"]);
    let tsv = "card_holder\tcard_number\tcvv\tamount\tstatus\nJose Ignacio Ramón\t4119666793959\t396\t8.790,02 €\tcaptured\n";
    assert_eq!(found(tsv, Entity::CreditCard), ["4119666793959"]);
    // Look-alikes: the same numbers in other columns, a table without a phone column, an
    // address in an `ip` column.
    for text in [
        "| week | on-call | ticket | e-mail |\n|---|---|---|---|\n| W2 | Arcelia C. | 21.288.7212 | a@example.com |\n",
        "nom;courriel;commande\nArthur T;a@example.com;513.699.032\n",
        "phone;customer;order\n0612345678;Arthur;513.699.032\n",
        "sku\tean\tqty\nA-1\t4006381333931\t2\n",
    ] {
        assert!(phones(text).iter().all(|p| p == "0612345678"), "{text}: {:?}", phones(text));
        assert!(found(text, Entity::CreditCard).is_empty(), "{text}");
    }
    let ips = "| host | ip | owner |\n|---|---|---|\n| db1 | 27.12.30.66 | ops |\n";
    assert_eq!(found(ips, Entity::Ipv4), ["27.12.30.66"]);
}
