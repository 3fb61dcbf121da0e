//! Thirteenth round, part A (issue #20, on blind12's misses): birth dates, e-mail addresses,
//! phones and SSNs. Each class with the look-alikes it must leave alone.

use super::tests_support::{found_all as found, redactor};
use super::*;
use crate::redact::action::ActionPlan;

use serde_json::json;

fn dobs(text: &str) -> Vec<String> {
    found(text, Entity::DateOfBirth)
}

/// The pointers of the DATE_OF_BIRTH findings in `doc`, checked to be the same in the `Value`
/// walk and the raw-bytes pass.
fn sheet_dobs(doc: &serde_json::Value) -> Vec<String> {
    let r = redactor();
    let plan = ActionPlan::mask_all();
    let mut walked = doc.clone();
    let (walk_found, _) = r.redact_json_in_place(&mut walked, &plan);
    let raw = serde_json::to_vec(doc).expect("json");
    let (out, found) = r.redact_bytes(&raw, true, &plan);
    let out: serde_json::Value = serde_json::from_slice(&out).expect("redacted json");
    assert_eq!(out, walked);
    assert_eq!(found, walk_found);
    r.scan_json(doc)
        .iter()
        .filter(|f| f.entity == Entity::DateOfBirth)
        .map(|f| f.pointer.clone().unwrap_or_default())
        .collect()
}

/// A column headed by the birth verb (`Born`, `Geboren`) holds birth dates: in a sheet's
/// `values` and in text tables.
#[test]
fn born_columns_hold_birth_dates() {
    for name in ["Born", "born", "Geboren", "date_born", "first_born"] {
        assert!(table::birth_date_header(name), "{name}");
    }
    for name in ["born_in", "born_at_hospital", "reborn", "newborn", "unborn"] {
        assert!(!table::birth_date_header(name), "{name}");
    }
    let doc = json!({"address": "Members!A1:F3", "values": [
        ["Name", "E-mail", "Phone", "Born", "Ref"],
        ["Volker Wagner", "vw@example.org", "+49 30 124218", "12.1.1978", "865.36 USD"],
        ["Chad Williams", "cw@example.org", "(201)662-4623", "Jun 10, 1963", "due Jan 31, 2027"],
        ["Milena Hartmann", "mh@example.org", "+61 412 025 233", "5 Februar 1990", "x"]
    ]});
    assert_eq!(
        sheet_dobs(&doc),
        ["/values/1/3", "/values/2/3", "/values/3/3"]
    );
    let doc = json!({"values": [["Naam", "Geboren"], ["Jan", "26-09-1997"]]});
    assert_eq!(sheet_dobs(&doc), ["/values/1/1"]);
    // Text tables: CSV and Markdown.
    assert_eq!(
        dobs("name,born,city\nJane Doe,1984-03-02,Leeds\nJohn Roe,12/28/1940,York\n"),
        ["1984-03-02", "12/28/1940"]
    );
    assert_eq!(
        dobs("| Name | Born | Joined |\n|---|---|---|\n| Jane | 3 March 1984 | 2020-01-01 |\n"),
        ["3 March 1984"]
    );
    // Look-alikes: a `born_in` (place) column, a date in another column, a `Born` column's
    // cell without a digit.
    for doc in [
        json!({"values": [["name", "born_in", "joined"], ["Jane", "Leeds 1984", "2020-01-01"]]}),
        json!({"values": [["name", "born", "joined"], ["Jane", "unknown", "2020-01-01"]]}),
        json!({"values": [["Born", "x"], ["Jane", "y"]]}),
    ] {
        assert!(sheet_dobs(&doc).is_empty(), "{doc}");
    }
    assert!(dobs("name,born,joined\nJane,Leeds,2020-01-01\n").is_empty());
    assert!(dobs("name,born_in,joined\nJane,1984-03-02,2020-01-01\n").is_empty());
}

/// French `Date naiss. :` (without `de`) and Italian `D. nascita:` (the noun alone).
#[test]
fn abbreviated_birth_labels() {
    for (text, want) in [
        (
            "Patient(e) : Camille Cousin, Date naiss. : 04.07.1974\nJoignable : x",
            "04.07.1974",
        ),
        (
            "3. Date naiss. : 02/11/2001\n4. Place of birth: Limoges",
            "02/11/2001",
        ),
        (
            "Caller Xavier Camus, Date naiss. : 18 septembre 1975",
            "18 septembre 1975",
        ),
        ("Greco Bosio, D. nascita: 23 maggio 2010", "23 maggio 2010"),
        (
            "Paziente: Enrico Biagiotti, D. nascita: 30/07/1945",
            "30/07/1945",
        ),
        ("Mario Rossi, nato il 3 maggio 1975", "3 maggio 1975"),
        ("nato/a il 12/03/1980", "12/03/1980"),
        ("Data di nascita: 12/03/1980", "12/03/1980"),
        ("Date de naiss. : 12/03/1980", "12/03/1980"),
    ] {
        assert_eq!(dobs(text), [want], "{text}");
    }
    // Look-alikes: a name ending in `nato`, a certificate's issue date, a place after
    // `naiss.`, NATO.
    for text in [
        "Renato il 12/03/2020 ha chiamato",
        "Donata Rossi, 12/03/2020",
        "certificato di nascita rilasciato il 12/03/2020",
        "Lieu de naiss. : Paris, le 12/03/1980",
        "NATO summit in Vilnius on 11/07/2023",
    ] {
        assert!(dobs(text).is_empty(), "{text}: {:?}", dobs(text));
    }
}

/// An address followed by `:` and a password (Postfix's `sasl_passwd`, a combo list) is an
/// e-mail address; `user@host:path`, a port, `git@…` and a line with a copy command stay SSH
/// targets.
#[test]
fn address_before_a_password_is_an_email() {
    for (text, want) in [
        (
            "# /etc/postfix/sasl_passwd\n[smtp.office365.com]:587 maike.haering+kids@orange.fr:Mol_6560EN\n",
            "maike.haering+kids@orange.fr",
        ),
        (
            "# /etc/postfix/sasl_passwd | [smtp.ionos.de]:587 lauren2006@pinecrest-hoa.org:76G33_hK814! | # postmap",
            "lauren2006@pinecrest-hoa.org",
        ),
        ("jane.doe@example.com:Sommer2024!", "jane.doe@example.com"),
        ("[smtp.ovh.net]:587 info@xs4all.nl:zEen6OIlL2", "info@xs4all.nl"),
    ] {
        assert_eq!(found(text, Entity::Email), [want], "{text}");
    }
    for text in [
        "git clone git@github.com:acme/api.git",
        "url = git@gitlab.example.com:group-project",
        "scp backup.tar deploy@prod.example.com:releases",
        "{\"cmd\": \"rsync -a dist deploy@web1.example.net:current\"}",
        "connect admin@db.example.org:5432",
        "copy to ops@example.com:/var/backups",
        "ops@example.com:~backup",
        "hg@bitbucket.example.org:acme-repo",
    ] {
        assert!(
            found(text, Entity::Email).is_empty(),
            "{text}: {:?}",
            found(text, Entity::Email)
        );
    }
}

fn phones(text: &str) -> Vec<String> {
    found(text, Entity::Phone)
}

/// Customer numbers (`Kundennr.`, `Cod. cliente`) and tickets (`Vorgang #…`, `Incidencia
/// #…`, `Melding #…`) are no phones.
#[test]
fn customer_numbers_and_ticket_numbers_are_no_phones() {
    for text in [
        "Stromrechnung · Kundennr. 0341-7718402\nHorst Stolze",
        "Bolletta luce · Cod. cliente 0330-8536664\nMargherita",
        "Daniel: 👍 (Vorgang #922 021 9983)",
        "Incidencia #067 847 7025 – devolver llamada",
        "Eligio: 👍 (Incidencia #461 067 3399)",
        "Florian: 👍 (Melding #371 939 4227)",
        "USER: Cod. cliente 0679-8796943",
    ] {
        assert!(phones(text).is_empty(), "{text}: {:?}", phones(text));
    }
    // Still phones: a phone beside them, a client's phone.
    assert_eq!(
        phones("Terugbellen 0031 6 12506458; Melding #271 059 1849"),
        ["0031 6 12506458"]
    );
    assert_eq!(phones("Teléfono del cliente: 612 345 678"), ["612 345 678"]);
}

/// Phone words: French `Tél.`, Italian `Recapito`, `Callback`, `Contact:`, SAP's `TELF1`,
/// and asking for a call (`bellen`, `bel me`, `anrufen`, `ruf mich an`, `appeler`).
#[test]
fn phone_words_in_the_locales() {
    for (text, want) in [
        (
            "18, avenue de Alves · 03719 Angers\nTél. 0126447102 · x@example.org",
            "0126447102",
        ),
        (
            "Recapito: 0267678973 / enrico1975@example.org",
            "0267678973",
        ),
        (
            "Card reported | Callback 512047449; Ticket #280 991 1109",
            "512047449",
        ),
        (
            "Patient: Hugh Cole | Contact: 07402841277 / hcole@example.org",
            "07402841277",
        ),
        (
            "ORT01      Lecce | TELF1      0415010887 | SMTP_ADDR  x@example.org",
            "0415010887",
        ),
        (
            "cadeau, graag eerst bellen 0611421785; QN776363949GB",
            "0611421785",
        ),
        ("Bel me: 0612827565 of stort terug", "0612827565"),
        (
            "Geschenk, bitte vorher anrufen 015267564268; 1Z6I8M1X4035678297",
            "015267564268",
        ),
        ("Ruf mich an: 015127789067 oder erstatte", "015127789067"),
        (
            "cadeau, appeler avant livraison 0615394741; JJD353144019380015654",
            "0615394741",
        ),
    ] {
        assert_eq!(phones(text), [want], "{text}");
    }
    // Look-alikes: a contact's record id, a date after `contacted`, an appellation.
    for text in [
        "Contact ID 512047449",
        "last contacted 16.10.2026",
        "Appellation 512047449",
        "Hotel 512047449",
    ] {
        assert!(phones(text).is_empty(), "{text}: {:?}", phones(text));
    }
    // A tracking number after the phone the call word names is none.
    for (text, want) in [
        (
            "bitte vorher anrufen 030 985189; 684787554472",
            "030 985189",
        ),
        (
            "graag eerst bellen 010/153 0223; 858956459464",
            "010/153 0223",
        ),
        ("llamar antes 612 08 19 12; 124540387866", "612 08 19 12"),
    ] {
        assert_eq!(phones(text), [want], "{text}");
    }
}

/// A `;`-separated table whose lines a log flattened to ` | `: its `mobile` column is
/// context, as in a table with line breaks.
#[test]
fn phone_column_of_a_pipe_flattened_table() {
    let text = "member_no;first_name;last_name;email;mobile;birthday;points;last_visit | 9043259403278;Felicia;Palau;fp@example.com;612381312;1954-09-07;10736;2026-04-06 | 9002593253690;Fernanda;Murillo;mf@example.com;810155582;1953-06-10;21846;2026-10-23";
    assert_eq!(phones(text), ["612381312", "810155582"]);
    // Look-alike: the same numbers in a column that is no phone's.
    let text = "member_no;first_name;points | 9043259403278;Felicia;612381312 | 9002593253690;Fernanda;810155582";
    assert!(phones(text).is_empty(), "{:?}", phones(text));
}

/// A background check's `SSN trace result: 625894305`.
#[test]
fn ssn_trace_results() {
    let text = "SSN provided: 079-54-6583   SSN trace result: 625894305 (issued in another state)";
    assert_eq!(found(text, Entity::UsSsn), ["079-54-6583", "625894305"]);
    for text in [
        "trace result: 625894305",
        "SSN trace: see order 625894305 result",
    ] {
        assert!(found(text, Entity::UsSsn).is_empty(), "{text}");
    }
}
