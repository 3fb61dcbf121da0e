//! Fourteenth round, part A (issue #20, on blind13's misses): birth dates, phones, SSNs, a
//! published Google example key, an SSCC. Each class with the look-alikes it must leave alone.

use super::tests_support::{found, found_all, hits};
use super::*;

fn dobs(text: &str) -> Vec<String> {
    found_all(text, Entity::DateOfBirth)
}

fn phones(text: &str) -> Vec<String> {
    found_all(text, Entity::Phone)
}

/// Oracle's `DD-MON-YYYY` after a birth phrase, in the locales.
#[test]
fn day_month_abbreviation_year_dates() {
    for (text, date) in [
        (
            "Employee: N. Bousquet   Date of birth 02-NOV-1945\n",
            "02-NOV-1945",
        ),
        (
            "Patient: FOUQUET, Valentine   DOB: 22-JUN-1957   MRN 4088\n",
            "22-JUN-1957",
        ),
        ("Patient: Ruth Foster, born on 30-jul-1984\n", "30-jul-1984"),
        (
            "Tomador: Isabela Múgica, nacida el 29-JUN-1978, 655705437\n",
            "29-JUN-1978",
        ),
        (
            "Patient: Engin Mangold, geboren am 25-MAR-1991\n",
            "25-MAR-1991",
        ),
        ("Geboortedatum: 14-JAN-1935\n", "14-JAN-1935"),
        ("DOB 5-Dec-82, member since 2001\n", "5-Dec-82"),
    ] {
        assert_eq!(dobs(text), [date], "{text}");
    }
    // Not after a birth phrase, or not a month: no birth date.
    for text in [
        "Collected 02-DEC-2026 at the lab\n",
        "hired 13-MAY-2023, review 01-JAN-2027\n",
        "DOB: 02-XYZ-1945\n",
        "born 02-NOVA-1945\n",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}

/// `naissance le …`, a date-time's time after the date, a date constructor's call
/// (`ISODate('…')`, `new Date("…")`), `b. ` after a flattened line break.
#[test]
fn birth_phrases_and_date_calls() {
    for (text, date) in [
        (
            "William Lemoine\nnaissance le 5 février 1990\n",
            "5 février 1990",
        ),
        (
            "Patient: Denise Charrier, naissance le 16/7/1942\n",
            "16/7/1942",
        ),
        (
            "  dob: ISODate('1956-01-31T00:00:00.000Z'),\n",
            "1956-01-31",
        ),
        ("{ birthDate: new Date(\"1981-11-09\") }", "1981-11-09"),
        ("dob: 1980-01-02T00:00:00Z\n", "1980-01-02"),
        (
            "Bibliotheek — membership card | Nigel Richardson | b. 26 April 1972 | Card",
            "26 April 1972",
        ),
    ] {
        assert_eq!(dobs(text), [date], "{text}");
    }
    for text in [
        "  createdAt: ISODate('1956-01-31T00:00:00.000Z'),\n",
        "certificat de naissance le document du 12/03/2024\n",
        "dob: 1980-01-02Tuesday\n",
        "lot b. 26 April 1972",
    ] {
        assert!(dobs(text).is_empty(), "{text}");
    }
}

/// The rows of a `pg_dump`'s `COPY t (…) FROM stdin;`: the birth-date column's cells, and the
/// phone column's numbers, also where a log flattened the line breaks and tabs.
#[test]
fn copy_from_stdin_rows() {
    let dump = "COPY public.customers (id, full_name, email, phone, birth_date, iban, created_at) FROM stdin;\n\
        27125\tManuel Benson\tbenson.m@example.org\t2235195557\t1970-07-10\t\\N\t2026-09-14 21:30:00+00\n\
        3930\tSteven Barrett\tsb@example.org\t+1 216-200-0044\t1976-12-10\t\\N\t2025-06-21 04:45:00+00\n\
        \\.\n\nSELECT pg_catalog.setval('public.customers_id_seq', 120494, true);\n";
    assert_eq!(dobs(dump), ["1970-07-10", "1976-12-10"]);
    assert_eq!(phones(dump), ["2235195557", "+1 216-200-0044"]);
    let flat = "COPY public.customers (id, full_name, email, phone, birth_date, iban, created_at) FROM stdin; \
        | 12955  Maurits Goedhart  mg@example.org  0627678653  1971-02-05  /N  2025-08-02 11:53:00+00 \
        | 86506  Noëlle Eelman  ne@example.org  041 3069619  1976-10-19  NL34  2026-08-19 03:07:00+00 | /. | ";
    assert_eq!(dobs(flat), ["1971-02-05", "1976-10-19"]);
    assert_eq!(phones(flat), ["0627678653", "041 3069619"]);
    // Other columns' dates and numbers stay: the created_at date, an id column.
    let other = "COPY public.orders (id, ref, created_on, birth_place) FROM stdin;\n\
        1\t2235195557\t1970-07-10\tLeeds\n\\.\n";
    assert!(dobs(other).is_empty());
    assert!(phones(other).is_empty());
    // Not a COPY (an INSERT's column list without VALUES, a COPY to a file).
    let to_file = "COPY customers (id, birth_date) TO '/tmp/x.csv';\n1\t1970-07-10\n";
    assert!(dobs(to_file).is_empty());
}

/// Identifier labels: German and Dutch orders, Teams and conference ids, compound `-ID`s,
/// a parenthesised group after an order label, an NHS number, a release number.
#[test]
fn phone_shaped_identifiers() {
    for text in [
        "note: \"Bestellnr. 0288 684 2823\"",
        "Bestellnr. (088) 111-8162",
        "Hoi, over mijn bestelling 0579 990 9630. Bel me",
        "wegen meiner Bestellung 0442 015 9943. Rufen",
        "Interview: Teams ID 678 676 411 428   rendez-vous",
        "Konferenz-ID: 092 264 786 (Einwahl)",
        "ID conferenza: 928 311 151 (telefono)",
        "Steuer-ID 07 560 030 447\n",
        "- Order (448) 023-9686; contract 8670/122477",
        "- Commande (867) 021-6312; contrat 0018/428732",
        "NHS no. 391 958 8686\n",
        "config/mailer/release:0380.354\n",
    ] {
        assert!(phones(text).is_empty(), "{text}");
    }
    // Phones stay phones: after a phone word, beside such a label.
    for (text, phone) in [
        (
            "Bestellnr. 4711, Rückruf unter 0176 1234 5678\n",
            "0176 1234 5678",
        ),
        ("Teams: bitte anrufen 030 12345678\n", "030 12345678"),
    ] {
        assert_eq!(phones(text), [phone], "{text}");
    }
}

/// Codes the dialler sends after the call connects: a PIN after pause commas, a number ended
/// by `#`. The phone dialled before them stays one.
#[test]
fn dialled_codes_are_no_phones() {
    assert_eq!(
        phones("Dial in by phone\n+1 220-250-0046,,331911340# Tulsa\n"),
        ["+1 220-250-0046"]
    );
    assert_eq!(
        phones("Telefonische Einwahl\n+49 355 65077,,416918026# Trier\n"),
        ["+49 355 65077"]
    );
    assert!(phones("Phone conference ID: 707 244 454#\n").is_empty());
    // A CSV's two phone cells, an extension after `#`, stay phones.
    assert_eq!(
        phones("phone,mobile\n0612345678,0698765432\n"),
        ["0612345678", "0698765432"]
    );
    assert_eq!(phones("Tel. 030 1234567#12\n"), ["030 1234567#12"]);
}

/// A NANP number has ten digits after `+1`: `+1 555 0100` is a stand-in, nor is its rest a
/// phone.
#[test]
fn short_nanp_numbers() {
    assert!(phones("customer_phone: \"+1 555 0100\"\n").is_empty());
    assert!(phones("customer_phone: '+1 555 0100' | token: n/a").is_empty());
    assert_eq!(phones("phone: +1 202 555 0143\n"), ["+1 202 555 0143"]);
    // The `00` form is left as it was (`(00163) 298058` is a German area code's shape).
    assert_eq!(phones("mobile (00163) 298058\n"), ["(00163) 298058"]);
}

/// Freephone, shared-cost and premium-rate numbers are businesses' hotlines: no personal
/// phone without a phone word.
#[test]
fn service_numbers() {
    for text in [
        "assistenza (lun–ven) 800 642 526\n",
        "klantenservice (ma–vr) 0900-793 252\n",
        "assistance (lun–ven) 0800 218 338\n",
        "hotline (Mon–Fri) 902 650 207\n",
    ] {
        assert!(phones(text).is_empty(), "{text}");
    }
    // With a phone word, a hotline is still masked; personal numbers in those locales stay.
    for (text, phone) in [
        ("Tel. 0800 218 338\n", "0800 218 338"),
        ("Fragen: 0171 2345678\n", "0171 2345678"),
        ("Dudas: 638 59 25 07\n", "638 59 25 07"),
        ("contatto 333 123 4567\n", "333 123 4567"),
    ] {
        assert_eq!(phones(text), [phone], "{text}");
    }
}

/// An airline ticket's `ddd-dddddddddd` is no phone.
#[test]
fn airline_ticket_numbers() {
    for text in [
        "billet électronique 075-7244908873\n",
        "biglietto elettronico 057-2018318263\n",
    ] {
        assert!(phones(text).is_empty(), "{text}");
    }
    assert_eq!(phones("Tel. 075-724 4908\n"), ["075-724 4908"]);
}

/// Phone words: a telephone written out in the locales, a French mobile, a direct line, who
/// called from a number.
#[test]
fn phone_words_written_out() {
    for (text, phone) in [
        ("Telefonisch bestätigt mit 039524543\n", "039524543"),
        ("> Telefono reperibilità: 48 70 00 49\n", "48 70 00 49"),
        ("- Portable (perso): 0160299248\n", "0160299248"),
        ("- Durchwahl: 079-079 09 99\n", "079-079 09 99"),
        ("- Direct line: 01949355409\n", "01949355409"),
        ("- Línea directa: 613380814\n", "613380814"),
        ("Pauline Barbe a appelé du 0658855203. Carte", "0658855203"),
        ("Silke Moenen belde vanaf 0638097519. Kaart", "0638097519"),
    ] {
        assert_eq!(phones(text), [phone], "{text}");
    }
    // Not a phone word: `tel` inside a word; a record of the call (`Telefonnotiz 2024…`).
    for text in [
        "Hotelfon 039524543\n",
        "Telefon-Notiz 039524543\n",
        "Private mail: claims@telefonica.net\nEmployee no. 115696804\n",
        "see www.telefonica.es 115696804\n",
    ] {
        assert!(phones(text).is_empty(), "{text}");
    }
    // The item's number after the phone the word was for.
    assert_eq!(
        phones("numero di telefono +39 311 533 7998, item 3737450723334."),
        ["+39 311 533 7998"]
    );
}

/// Plaid Identity's `phone_numbers: [{"data": …}]`: the number under a phone parent's `data`.
#[test]
fn phone_parent_data_member() {
    let f = super::tests_support::json_findings(
        r#"{"owners":[{"phone_numbers":[{"data":"01992218784","type":"mobile"}],"names":["A B"]}],"item":{"data":"20240101"}}"#,
    );
    let phones: Vec<_> = f.iter().filter(|(e, _, _)| *e == "PHONE").collect();
    assert_eq!(phones.len(), 1, "{f:?}");
    assert_eq!(phones[0].1, "/owners/0/phone_numbers/0/data");
}

/// Google Cloud's published example key is a placeholder; another key is a key.
#[test]
fn google_example_key() {
    let h = hits("api_key: AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe\n");
    assert!(h.iter().all(|(_, _, p)| *p), "{h:?}");
    assert!(found(
        "api_key: AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe\n",
        Entity::GoogleApiKey
    )
    .is_empty());
    assert_eq!(
        found(
            "key AIzaSyBx3kQ9vTn2LmP8wRz5YcH1uJd7fGs4eKa\n",
            Entity::GoogleApiKey
        ),
        ["AIzaSyBx3kQ9vTn2LmP8wRz5YcH1uJd7fGs4eKa"]
    );
}

/// A GS1 SSCC (`SSCC (00) …`) is no card, though its check digit passes Luhn.
#[test]
fn sscc_is_no_card() {
    assert!(found_all(
        "Order 064.44.51.12.39 SSCC (00) 395387504244570550",
        Entity::CreditCard
    )
    .is_empty());
    assert_eq!(
        found_all("card 4111 1111 1111 1111\n", Entity::CreditCard),
        ["4111 1111 1111 1111"]
    );
}

/// Nine bare digits after `SSN for …:` or in a text table's `ssn` column.
#[test]
fn bare_ssns_after_a_purpose_or_in_a_column() {
    assert_eq!(
        found_all(
            "- SSN for the credit application: 836312384\n",
            Entity::UsSsn
        ),
        ["836312384"]
    );
    assert_eq!(
        found_all(
            "employee_id;name;ssn;routing\nE85729;Diana Gonzales;501345764;121000358\n",
            Entity::UsSsn
        ),
        ["501345764"]
    );
    // Other columns' nine digits (a routing number), a purpose without a colon: no SSN.
    assert!(found_all("employee_id;name;routing\nE1;Jo;501345764\n", Entity::UsSsn).is_empty());
    assert!(found_all("SSN for the credit application 836312384\n", Entity::UsSsn).is_empty());
}

/// A JSON sheet's `Teléfono` column (the accented `é`) is a phone column.
#[test]
fn accented_telefono_header() {
    let f = super::tests_support::json_findings(
        r#"{"values":[["Nombre","Correo","Teléfono","Nota"],["Carmen Pereira","c@example.org","641710047","612345678 cajas"]]}"#,
    );
    let phones: Vec<_> = f
        .iter()
        .filter(|(e, _, _)| *e == "PHONE")
        .map(|(_, p, _)| p.as_str())
        .collect();
    assert_eq!(phones, ["/values/1/2"], "{f:?}");
}
