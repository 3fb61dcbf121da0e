//! Fortieth round, task ph (`evidence_r40n`): libphonenumber's `national_number` under a
//! phone, formatted numbers under a message's endpoint key, `telephoneNumber:`, tcpdump's
//! full IPv6 destination with its port, and the instance-metadata address; look-alikes; cut
//! inputs.

use super::tests_support::{
    assert_each_found, assert_none_found, json_findings, json_findings_checked, scan_every_cut,
};
use crate::redact::Entity;

const NATIONAL: [&str; 10] = [
    "02 4045 0924",
    "34 49 41 06",
    "021-281-35-22",
    "(201) 763-3051",
    "07408.165870",
    "01512.9403992",
    "00358 13 1865044",
    "06-12-38-98-01",
    "0121.226.9398",
    "612.35.70.37",
];

#[test]
fn a_national_number_under_a_phone_is_a_phone() {
    for v in NATIONAL {
        for body in [
            serde_json::json!({"payer": {"phone": {"phone_number": {"national_number": v}}}}),
            serde_json::json!({"phone": {"nationalNumber": v}}),
            serde_json::json!({"mobile_phone": {"NATIONAL_NUMBER": v}}),
        ] {
            let body = body.to_string();
            let f = json_findings_checked(&body);
            assert_eq!(f.len(), 1, "{body}: {f:?}");
            assert_eq!(f[0].0, "PHONE", "{body}: {f:?}");
        }
    }
}

#[test]
fn a_national_number_elsewhere_is_still_a_national_id() {
    // Under no phone the key names a national id: its value is no phone.
    for v in ["02 4045 0924", "(201) 763-3051"] {
        let body = serde_json::json!({"person": {"national_number": v}}).to_string();
        let f = json_findings_checked(&body);
        assert!(f.iter().all(|(t, _)| *t != "PHONE"), "{body}: {f:?}");
    }
}

#[test]
fn a_formatted_number_under_an_endpoint_key_is_a_phone() {
    for (k, v) in [
        ("to", "078 122 89 78"),
        ("to", "021 788 32 84"),
        ("to", "070-125 46 09"),
        ("to", "12 343 73 22"),
        ("to", "021-289-23-00"),
        ("from", "+44 7447 370184"),
        ("recipient", "(201) 763-3051"),
    ] {
        let body = serde_json::json!({"name": "send_sms", "args": {k: v, "body": "Your parcel"}})
            .to_string();
        let f = json_findings_checked(&body);
        assert_eq!(f, vec![("PHONE", format!("/args/{k}"))], "{body}");
    }
}

#[test]
fn look_alikes_under_an_endpoint_key_are_no_phone() {
    for v in [
        "88132",
        "10.0.0.1",
        "192.168.100.254",
        "2024-01-05",
        "05.01.2024",
        "1-5",
        "v1.2.3",
        "2024-01-05 10:00",
    ] {
        let body = serde_json::json!({"from": v, "to": v}).to_string();
        let f = json_findings(&body);
        assert!(f.iter().all(|(t, _, _)| *t != "PHONE"), "{body}: {f:?}");
    }
    assert!(!super::evidence_r40n::party_formatted(b"+"));
    assert!(!super::evidence_r40n::party_formatted(b""));
    assert!(!super::evidence_r40n::party_formatted(b"(((((((("));
    assert!(super::evidence_r40n::party_formatted(b"+41 78 122 89 78"));
}

#[test]
fn telephone_is_a_phone_word() {
    assert_each_found(
        Entity::Phone,
        &[
            (
                "dn: uid=fwinkler,ou=people\nmail: winkler.f@posteo.de\ntelephoneNumber: 078-123-82-96\nuserPassword: x\n",
                "078-123-82-96",
            ),
            ("Telephone: 078-123-82-96\n", "078-123-82-96"),
            ("telephone 021 788 32 84 (office)\n", "021 788 32 84"),
        ],
    );
    // `tel` inside another word stays none.
    assert_none_found(
        Entity::Phone,
        &["Hotel telephonic booking ref 2024-01-05\n"],
    );
}

#[test]
fn tcpdumps_full_ipv6_destination_is_found() {
    let line = "16:00:46.21 IP6 2001:db8:99:dfc7:bc89::3f15:5d7a.443 > 2001:ed43:316e:28f0:a730:16d2:8dfa:c6a7.51544: Flags [P.], seq 1:518, length 517\n";
    let source = "IP6 2001:ed43:316e:28f0:a730:16d2:8dfa:c6a7.51544 > 2001:db8::1.443: Flags [S]\n";
    assert_eq!(
        super::tests_support::found_all(source, Entity::Ipv6),
        vec![
            "2001:ed43:316e:28f0:a730:16d2:8dfa:c6a7".to_string(),
            "2001:db8::1".to_string()
        ],
        "{source}"
    );
    let got = super::tests_support::found_all(line, Entity::Ipv6);
    assert_eq!(
        got,
        vec![
            "2001:db8:99:dfc7:bc89::3f15:5d7a".to_string(),
            "2001:ed43:316e:28f0:a730:16d2:8dfa:c6a7".to_string()
        ],
        "{line}"
    );
    // Not tcpdump's line: a long colon run and a time stay as they were.
    assert_none_found(
        Entity::Ipv6,
        &[
            "at 2001:ed43:316e:28f0:a730:16d2:8dfa:c6a7.51544:abc",
            "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:",
            "12:30:45.123456: started",
        ],
    );
    assert_eq!(super::evidence_r40n::run_colon_end(b"ab:", 2), 3);
    assert_eq!(super::evidence_r40n::run_colon_end(b"ab:c", 2), 2);
    assert_eq!(super::evidence_r40n::run_colon_end(b"ab", 2), 2);
}

#[test]
fn the_metadata_address_is_no_ipv4() {
    assert_none_found(
        Entity::Ipv4,
        &[
            "curl http://169.254.169.254/latest/meta-data/",
            "? (169.254.169.254) at <incomplete> on eth0",
        ],
    );
    let body =
        serde_json::json!({"allow": [{"cidr": "169.254.169.254", "label": "imds"}]}).to_string();
    assert!(json_findings_checked(&body).is_empty(), "{body}");
    // Any other address of the block is read as before.
    assert_each_found(Entity::Ipv4, &[("peer 169.254.12.7 up", "169.254.12.7")]);
}

#[test]
fn every_cut_is_safe() {
    for text in [
        "{\"phone\":{\"phone_number\":{\"national_number\":\"(201) 763-3051\"}}}",
        "{\"to\":\"078 122 89 78\",\"body\":\"x\"}",
        "telephoneNumber: 078-123-82-96\n",
        "? (169.254.169.254) at",
    ] {
        scan_every_cut(text);
        for cut in (0..=text.len()).filter(|&c| text.is_char_boundary(c)) {
            let _ = json_findings(&text[..cut]);
        }
    }
    // tcpdump's line cut anywhere, as text and as a JSON string. (A cut right after the
    // destination's first `:` — `… > 2001:` — is read by the `Value` walk as the line's end
    // and by the raw pass with the string's closing quote after it: `evidence_r34c`'s, not
    // this round's; the two are not compared here.)
    let line = "IP6 2001:db8::5.443 > 2001:ed43:316e:28f0:a730:16d2:8dfa:c6a7.51544: Flags";
    for cut in 0..=line.len() {
        let t = &line[..cut];
        let _ = super::tests_support::hits(t);
        let body = format!("{{\"k\":{}}}", serde_json::Value::from(t));
        let _ = json_findings(&body);
        let _ = json_findings(&body[..cut.min(body.len())]);
    }
    for e in 0..4 {
        let _ = super::evidence_r40n::run_colon_end(b"a:b", e);
    }
}
