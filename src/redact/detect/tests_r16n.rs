//! The sixteenth round's rules for numbers (issue #20, part N, tuned on every split's
//! misses at once): identifier keys, tax and national id keys, `msisdn` and FHIR `telecom`
//! keys, Salesforce's `__c` fields, an SSN keyword's qualified clause, `0.0.0.0` and
//! four-part versions, a comma-separated table's rows; each with the look-alikes it must
//! leave alone.

use super::tests_support::{found, json_findings_checked as json_findings};
use crate::redact::entity::Entity;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_number_under_an_identifier_key_is_no_phone() {
    for body in [
        r#"{"metadata":{"order_id":"0510 488 5827","gift_card":"4111 1111 1111 1111"}}"#,
        r#"{"order":{"number":"061 139 817","items":[{"sku":"085-8956-206","gtin":"008408102586"}]}}"#,
        r#"{"data":{"object":{"receipt_number":"0592-9675","metadata":{"order":"0027 724 664"}}}}"#,
        r#"{"payment":{"mandate_ref":"948.771.458","card":"x"},"metadata":{"cart":"977.350.768"}}"#,
        r#"{"meta":{"ean":"0074077935299","card":"x"},"vat_number":"0612 345 678"}"#,
    ] {
        assert!(
            json_findings(body).iter().all(|(e, _)| *e != "PHONE"),
            "{body}"
        );
    }
    // Look-alikes: a phone key, a number after text under an identifier key, an
    // international number, a key that only starts with a label word.
    assert_eq!(
        json_findings(r#"{"order_phone":"0510 488 5827","card":"x"}"#),
        vec![s("PHONE", "/order_phone")]
    );
    assert_eq!(
        json_findings(r#"{"order_note":"call me on 0612 345 678","card":"x"}"#),
        vec![s("PHONE", "/order_note")]
    );
    assert_eq!(
        json_findings(r#"{"order":{"contact":"+44 7700 900123"},"card":"x"}"#),
        vec![s("PHONE", "/order/contact")]
    );
    assert_eq!(
        json_findings(r#"{"account":"+44 7700 900123","card":"x"}"#),
        vec![s("PHONE", "/account")]
    );
}

#[test]
fn nine_digits_under_a_tax_or_national_id_key_are_an_ssn() {
    assert_eq!(
        json_findings(r#"{"recipient":{"tin_type":"SSN","tin":"623611393"}}"#),
        vec![s("US_SSN", "/recipient/tin")]
    );
    assert_eq!(
        json_findings(r#"{"arguments":{"reason":"x","tax_id":"488213291"}}"#),
        vec![s("US_SSN", "/arguments/tax_id")]
    );
    assert_eq!(
        json_findings(r#"{"worker":{"nationalIds":[{"type":"SSN","value":"157399965"}]}}"#),
        vec![s("US_SSN", "/worker/nationalIds/0/value")]
    );
    assert_eq!(
        json_findings(r#"{"customer":{"national_identification_number":"280087854"}}"#),
        vec![s("US_SSN", "/customer/national_identification_number")]
    );
    assert_eq!(
        json_findings(r#"{"tax_id":280087854}"#),
        vec![s("US_SSN", "/tax_id")]
    );
    // Salesforce's custom fields are named by what precedes `__c`.
    assert_eq!(
        json_findings(r#"{"records":[{"Name":"x","SSN__c":"275606898"}]}"#),
        vec![s("US_SSN", "/records/0/SSN__c")]
    );
    // Look-alikes: an EIN, a VAT number, an invalid SSN, a 3-3-3 number, nine digits under
    // an unrelated key.
    for body in [
        r#"{"tax_id":"12-3456789"}"#,
        r#"{"tax_id":"DE123456789"}"#,
        r#"{"tin":"666123456"}"#,
        r#"{"tin":"000123456"}"#,
        r#"{"customer":{"tax_id":"871-783-926"}}"#,
        r#"{"tin_type":"623611393"}"#,
        r#"{"vehicle_identification_number":"623611393"}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn msisdn_and_fhir_telecom_values_are_phones() {
    assert_eq!(
        json_findings(r#"{"msisdn":"13022656606","text":"hi"}"#),
        vec![s("PHONE", "/msisdn")]
    );
    let body = r#"{"resourceType":"Patient","telecom":[{"system":"phone","value":"0612169263","use":"mobile"},{"system":"email","value":"a.b@example.org"}]}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("EMAIL", "/telecom/1/value"),
            s("PHONE", "/telecom/0/value")
        ]
    );
    // Not a telecom entry's other members.
    let body = r#"{"telecom":[{"system":"phone","rank":"1234567","value":"x"}]}"#;
    assert_eq!(json_findings(body), vec![]);
}

#[test]
fn an_ssn_keyword_qualified_before_a_colon_names_the_number() {
    for (text, ssn) in [
        (
            "SSN (last 4 not accepted, full required): 298774309 | Payment",
            "298774309",
        ),
        (
            "Called from 0121 657 6549. SSN provided by caller: 458092175. Ticket",
            "458092175",
        ),
        ("SSN (last verified 2024): 867772512\nGross", "867772512"),
        ("(SSN meines Ehepartners: 319716681)", "319716681"),
    ] {
        assert_eq!(found(text, Entity::UsSsn), vec![ssn.to_string()], "{text}");
    }
    // Look-alikes: an SSN keyword in an earlier sentence or line, too many words between,
    // an invalid number, another colon between.
    for text in [
        "SSN checked. Order: 298774309",
        "SSN\nOrder: 298774309",
        "SSN was asked for but the caller gave only the account: 298774309",
        "SSN (last 4 not accepted): 666774309",
        "SSN: none; ref: 298774309",
        "SSN was checked, ticket on hold: 842789211",
        "SSN (see the form attached below): 550578738",
    ] {
        assert_eq!(found(text, Entity::UsSsn), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn unspecified_addresses_and_versions_are_no_ipv4() {
    for text in [
        "AllowedIPs = 0.0.0.0/0, ::/0",
        "host all all 0.0.0.0/0 scram-sha-256",
        "Asset: IMEI 351578578340622 · 4.4.0.9-SNAPSHOT",
        "User-Agent: agent/6.5.5.60",
        "Uploading artifact build-9.7.8.11.tar.gz (683 MB)",
    ] {
        assert_eq!(found(text, Entity::Ipv4), Vec::<String>::new(), "{text}");
    }
    assert!(json_findings(r#"{"BUILD":"9.3.6.68","card":"x"}"#).is_empty());
    // Look-alikes: addresses in a path, after a host word, with a port, followed by `-`
    // and digits.
    for (text, ip) in [
        ("GET /api/hosts/10.1.2.3 HTTP/1.1", "10.1.2.3"),
        ("Endpoint = 10.26.247.208:443", "10.26.247.208"),
        ("range 10.0.0.1-10.0.0.9", "10.0.0.1"),
        ("from 94.190.51.52 via 0.0.0.1", "94.190.51.52"),
    ] {
        assert!(
            found(text, Entity::Ipv4).contains(&ip.to_string()),
            "{text}"
        );
    }
}

#[test]
fn a_comma_separated_rows_first_cell_is_not_a_phone_by_the_header() {
    let text = "Order #,Order Date,First Name,Last Name,Email,Cell Phone,Ticket Type,Barcode #\n3671763924,2026-11-09,Terri,Peterson,tpeterson@btinternet.com,+1-706-220-6753,VIP,839251168521\n";
    assert_eq!(
        found(text, Entity::Phone),
        vec!["+1-706-220-6753".to_string()]
    );
    // Look-alike: prose with commas after a call word keeps its number.
    let text = "Hi, please call me back, thanks, at\n0612345678, Jan";
    assert_eq!(found(text, Entity::Phone), vec!["0612345678".to_string()]);
}

#[test]
fn a_number_beside_an_e_mail_address_is_a_phone() {
    for (text, phone) in [
        (
            "Contact: annalisa1890@ziggo.nl / 3121640695\nPagato",
            "3121640695",
        ),
        (
            "* Service desk: 034274313 / jmosemann@ono.com | *",
            "034274313",
        ),
        (
            "Ouder: Esila Wolters, 0616704131, wolters.e@alice.it\n",
            "0616704131",
        ),
        (
            "Questions: nicola78@hotmail.fr \u{b7} 01838669794\nhotline",
            "01838669794",
        ),
        (
            "Robert Oconnor (+3) \u{2014} 0850121386 \u{2014} robert1991@gmail.com",
            "0850121386",
        ),
    ] {
        assert_eq!(
            found(text, Entity::Phone),
            vec![phone.to_string()],
            "{text}"
        );
    }
    // Look-alikes: an identifier's label, a CSV cell without blanks, no address, a date.
    for text in [
        "Order 3121640695 / jane@ziggo.nl",
        "3121640695,jane@ziggo.nl,Jane",
        "jane@ziggo.nl/3121640695",
        "Name: annalisa / 3121640695",
        "jane@ziggo.nl / 2026-11-09",
    ] {
        assert_eq!(found(text, Entity::Phone), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn x12_segments_name_the_ssn_and_the_phone() {
    let text = "NM1*IL*1*WYATT*BRANDON****MI*9OU5SIOG4OM~\nDMG*D8*19420502*F~\nREF*SY*717503023~\nPER*IC*BILLING*TE*4844486507*EM*b.wyatt@example.com~\n";
    assert_eq!(found(text, Entity::UsSsn), vec!["717503023".to_string()]);
    assert_eq!(found(text, Entity::Phone), vec!["4844486507".to_string()]);
    // Look-alikes: another reference qualifier (`REF*EI*`, an employer id), an invalid SSN,
    // another communication qualifier.
    let text = "REF*EI*717503023~\nREF*SY*666503023~\nPER*IC*BILLING*UR*4844486507~\n";
    assert_eq!(found(text, Entity::UsSsn), Vec::<String>::new());
    assert_eq!(found(text, Entity::Phone), Vec::<String>::new());
}

#[test]
fn delivery_notes_and_policies_are_identifiers() {
    for text in [
        "Lieferschein 866.807.994\nShip to: X",
        "Pakbon 944 666 641\nShip to: X",
        "DDT 780 893 350\nShip to: X",
        "Refs Polisnummer 043.002.595.",
    ] {
        assert_eq!(found(text, Entity::Phone), Vec::<String>::new(), "{text}");
    }
}
