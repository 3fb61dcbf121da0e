//! Twelfth round, part A (issue #20, on blind11's misses): phones and birth dates. Each
//! class with the look-alikes it must leave alone.

use super::tests_support::found_all as found;
use super::*;

fn phones(text: &str) -> Vec<String> {
    found(text, Entity::Phone)
}

/// A blank-aligned table (pandas' `df.head()`, `psql`) with a `phone` header: its column is
/// context, counted from the right (pandas adds an unnamed index column on the left).
#[test]
fn blank_aligned_table_phone_column() {
    let text =
        "Out[5]:\n   id  name                 email                  phone             signup\n \
                0  06120  Gary Diaz            gdiaz@hotmail.com  +41 78 677 39 29  2025-01-05\n \
                1  61671  David Gonzales       gonzales.d@ziggo.nl  0612434562  2025-12-12\n \
                2  71104  Mary Mcguire         mm@btinternet.com  01510/5029917  2025-03-29\n";
    assert_eq!(
        phones(text),
        ["+41 78 677 39 29", "0612434562", "01510/5029917"]
    );
    // Without an index column too.
    let text = "name          phone          city\nGary Diaz     0612434562     Lyon\n";
    assert_eq!(phones(text), ["0612434562"]);
}

#[test]
fn blank_aligned_table_other_columns_stay_unfound() {
    // Another column's numbers: a customer number left of the phone column.
    let text = "id  name        customer_no     contact_phone_if_any         signup\n\
                1   Gary Diaz   3124086784      n/a                          2025-01-05\n";
    assert!(phones(text).is_empty(), "{:?}", phones(text));
    // Prose with two blanks after a sentence is no table.
    let text = "Call the phone line.  Ticket 0612434562 is open.\n";
    assert!(phones(text).is_empty(), "{:?}", phones(text));
}

/// Identifier labels in the locales and video-meeting ids: not phones, even after a call
/// word.
#[test]
fn meeting_ids_and_locale_customer_numbers_are_no_phones() {
    for text in [
        "Call +1 201-555-7529 · Zoom 304 1171 3845",
        "Call 07949 876610 · Zoom 532 0198 1899",
        "Appeler 06 58 51 38 91 · Webex access code 0233 776 2296",
        "Datum: 2026-12-29  (Contractnr. 730-052-233)",
        "Om 17u terugbellen. Bestelnummer 0944794632",
        "Genoteerd. Kenmerk Factuurnr. 002723250",
        "Su número de tarjeta es N.º de cliente 83 789 1669",
        "06/07/1997;N° client 90 280 6424",
        "11/11/1939;Codice cliente 86 407 7362",
    ] {
        let p = phones(text);
        assert!(
            p.iter()
                .all(|x| text.starts_with("Call") || text.starts_with("Appeler") || !x.is_empty())
                && !p.iter().any(|x| {
                    [
                        "3845", "1899", "2296", "233", "4632", "3250", "1669", "6424", "7362",
                    ]
                    .iter()
                    .any(|t| x.ends_with(t))
                }),
            "{text}: {p:?}"
        );
    }
    // The phones next to them stay found.
    assert_eq!(
        phones("Call 07949 876610 · Zoom 532 0198 1899"),
        ["07949 876610"]
    );
    assert_eq!(
        phones("Appeler 06 58 51 38 91 · Webex access code 0233 776 2296"),
        ["06 58 51 38 91"]
    );
    // `client`/`cliente` alone is no label; a dial-in's access number is a phone.
    assert_eq!(phones("Teléfono del cliente: 612 345 678"), ["612 345 678"]);
    assert_eq!(
        phones("Dial-in access number: +44 20 7946 0958"),
        ["+44 20 7946 0958"]
    );
    assert_eq!(
        phones("Téléphone client : 06 12 43 45 62"),
        ["06 12 43 45 62"]
    );
}

fn ipv6s(text: &str) -> Vec<String> {
    found(text, Entity::Ipv6)
}

/// An IPv6 address with its port and no brackets (haproxy, ssh's debug output): the address
/// without the port.
#[test]
fn ipv6_with_unbracketed_port() {
    assert_eq!(
        ipv6s("lb1 haproxy[7574]: 2001:8a0:fd8b:83b7:2835:f2d5:e55f:b989:38729 [04/Dec/2026"),
        ["2001:8a0:fd8b:83b7:2835:f2d5:e55f:b989"]
    );
    assert_eq!(
        ipv6s("lb1 haproxy[7574]: fe80::4:5:be9:9b:52830 [04/Dec/2026"),
        ["fe80::4:5:be9:9b"]
    );
    assert_eq!(
        ipv6s("debug1: Authenticating to 2001:1c02:510e:ccc3:d342:b3e:7b6d:1b8c:22 as 'deploy'"),
        ["2001:1c02:510e:ccc3:d342:b3e:7b6d:1b8c"]
    );
    // A valid address stays whole (its last group may be hex digits that look decimal).
    assert_eq!(ipv6s("from fe80::1:2:be9:22 port 22"), ["fe80::1:2:be9:22"]);
    // Times and MACs are no addresses, with or without a trailing number.
    assert!(ipv6s("at 12:30:45:12345 ms").is_empty());
    assert!(ipv6s("ts 10:20:30:40:50:60:70:80:90 end").is_empty());
}
