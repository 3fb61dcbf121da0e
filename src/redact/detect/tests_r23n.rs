//! The twenty-third round's task num (issue #20): an IBAN after an MT940 `:86:` subfield code
//! (`?31NL71SNSB…`), a Squid access log's hierarchy code before the server's address
//! (`HIER_DIRECT/10.1.2.3`). Each with the look-alikes it must leave alone.

use super::tests_support::found;
use crate::redact::entity::Entity;

#[test]
fn an_iban_after_an_mt940_subfield_code_is_found() {
    let text = ":61:261218D3741,75NTRFNONREF\n:86:166?00SEPA-UEBERWEISUNG?20EREF+540 968 9760?31NL71SNSB7119675108?32DAPHNE VAN NIMWEGEN\n";
    assert_eq!(
        found(text, Entity::Iban),
        vec!["NL71SNSB7119675108".to_string()]
    );
    // Other countries' lengths, and the subfield at the end of the text.
    for iban in [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
    ] {
        for text in [
            format!("?20EREF+RE 20253052?31{iban}?32ANTONIETTA SOPRANO"),
            format!("?30COBADEFFXXX?31{iban}"),
        ] {
            assert_eq!(found(&text, Entity::Iban), vec![iban.to_string()], "{text}");
        }
    }
}

#[test]
fn an_iban_shape_joined_to_other_text_is_not() {
    for text in [
        // Wrong check digits after the subfield code (the writer's import errors).
        "bad line from import (wrong check digits): ?31NL72SNSB7119675108?32X",
        "?31DE88370400440532013000?32MAX",
        // No subfield code: digits or letters joined to the country code.
        "ref 31NL71SNSB7119675108 ok",
        "X31NL71SNSB7119675108 ok",
        "ID1NL71SNSB7119675108",
        // A `?` and one digit, or a `?` and letters, is no subfield code.
        "?1NL71SNSB7119675108",
        "?ABNL71SNSB7119675108",
        // Too short for the country.
        "?31NL71SNSB711967510?32X",
    ] {
        assert!(found(text, Entity::Iban).is_empty(), "{text}");
    }
    // The IBAN standing free is found as before.
    assert_eq!(
        found("IBAN NL71SNSB7119675108", Entity::Iban),
        vec!["NL71SNSB7119675108".to_string()]
    );
    assert!(super::evidence_r23n::mt940_subfield_before(b"?31NL", 3));
    assert!(!super::evidence_r23n::mt940_subfield_before(b"31NL", 2));
    assert!(!super::evidence_r23n::mt940_subfield_before(b"?3XNL", 3));
}

#[test]
fn a_squid_hierarchy_code_is_no_product_token() {
    let text = "1797879456.396   2458 192.168.30.46 TCP_TUNNEL/200 4211 CONNECT api.stripe.com:443 - HIER_DIRECT/69.219.201.154 -\n1797817686.963   1792 10.81.125.150 TCP_MISS/200 913 GET https://api.example.com/v1 - FIRSTUP_PARENT/10.98.245.42 application/json\n";
    let ips = found(text, Entity::Ipv4);
    for ip in [
        "192.168.30.46",
        "69.219.201.154",
        "10.81.125.150",
        "10.98.245.42",
    ] {
        assert!(ips.contains(&ip.to_string()), "{ip}: {ips:?}");
    }
    // Products' versions before and after: a user agent's tokens, a banner's name in
    // capitals without `_`, a lower-case name with `_`.
    for text in [
        "User-Agent: agent/6.5.5.60",
        "ua=\"curl/7.68.0.1\"",
        "Server: NGINX/1.25.3.1",
        "client my_agent/2.4.1.0 connected",
        "(Hier_Direct/1.2.3.4)",
    ] {
        assert!(found(text, Entity::Ipv4).is_empty(), "{text}");
    }
    assert!(super::evidence_r23n::squid_hierarchy_code(b"HIER_DIRECT"));
    assert!(super::evidence_r23n::squid_hierarchy_code(
        b"CLOSEST_PARENT"
    ));
    assert!(!super::evidence_r23n::squid_hierarchy_code(b"NGINX"));
    assert!(!super::evidence_r23n::squid_hierarchy_code(b"my_agent"));
    assert!(!super::evidence_r23n::squid_hierarchy_code(b"_DIRECT"));
}

#[test]
fn a_gds_segments_times_are_no_phone() {
    // Amadeus's itinerary: the segment's times after the city pair and the status; the
    // passenger's phone (`APM`) below them is found.
    for text in [
        "RP/PARAF08AA/\n  1.HEINRICH/GERLINDE MRS\n  3  KL535 Y 22JAN 4 AMSFCO HK2  0715 0955\n  4 APM +49 1522 6026178\n",
        "|   2  AF 1553 Y 25DEC 4 CDGFCO HK1  0630 2245 |   3 APM 0044 121 254 0977 |",
        "  2  LH328 Y 11JAN 4 CDGLHR TK1 0715 0955\n",
    ] {
        let phones = found(text, Entity::Phone);
        assert!(
            phones.iter().all(|p| !p.contains("0715") && !p.contains("0630")),
            "{text}: {phones:?}"
        );
    }
    assert_eq!(
        found(
            "  3  KL535 Y 22JAN 4 AMSFCO HK2  0715 0955\n  4 APM +49 1522 6026178\n",
            Entity::Phone
        ),
        vec!["+49 1522 6026178".to_string()]
    );
    // Look-alikes: no city pair, groups that are no times, a lower-case word.
    let gds = |t: &str, s: usize| super::evidence_r23n::gds_segment_times(t.as_bytes(), s, s + 9);
    assert!(gds("4 AMSFCO HK2  0715 0955", 14));
    assert!(gds("AMSFCO HK12 0715 0955", 12));
    assert!(!gds("4 AMSFC HK2  0715 0955", 13));
    assert!(!gds("4 AMSFCO HK2  0775 0955", 14));
    assert!(!gds("4 AMSFCO HK2  2515 0955", 14));
    assert!(!gds("4 AMSFCO HK2   0715 0955", 15));
    assert!(!gds("4 amsfco HK2  0715 0955", 14));
    assert!(!gds("4 XAMSFCO HK2  0715 0955", 15));
    assert!(!gds("call me on HK2  0715 0955", 16));
}

#[test]
fn an_identification_number_is_no_phone() {
    let text = "Taxpayer identification number: 123234466\n        Employer identification number: 17-4007087\nSignature of U.S. person: /s/ Jane Roe";
    assert!(found(text, Entity::Phone).is_empty(), "{text}");
    // A phone on the same form is still found.
    assert_eq!(
        found(
            "Employer identification number: 17-4007087\nPhone: (201) 696-7229",
            Entity::Phone
        ),
        vec!["(201) 696-7229".to_string()]
    );
}
