use super::super::validate as v;
use super::*;
use regex_automata::{Anchored, Input};

fn det() -> Detector {
    Detector::new([true; Entity::COUNT], 3.0, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn hits(text: &str) -> Vec<(Entity, String)> {
    let d = det();
    let mut out = Vec::new();
    d.scan(text.as_bytes(), ScanContext::default(), &mut |h| {
        out.push((h.entity, text[h.start..h.end].to_string()));
        true
    });
    out
}

fn one(entity: Entity, s: &str) -> Vec<(Entity, String)> {
    vec![(entity, s.to_string())]
}

#[test]
fn true_positives() {
    use Entity as E;
    let table: &[(&str, Entity, &str)] = &[
        (
            "mail john.doe@example.com now",
            E::Email,
            "john.doe@example.com",
        ),
        (
            "<anna-lena.müller@firma.de>",
            E::Email,
            "anna-lena.müller@firma.de",
        ),
        ("x@sub.mail.co.uk.", E::Email, "x@sub.mail.co.uk"),
        (
            "card 4111 1111 1111 1111 exp",
            E::CreditCard,
            "4111 1111 1111 1111",
        ),
        (
            "card 4111-1111-1111-1111",
            E::CreditCard,
            "4111-1111-1111-1111",
        ),
        ("mc 2221000000000009.", E::CreditCard, "2221000000000009"),
        ("mc 2720992720992729", E::CreditCard, "2720992720992729"),
        ("amex 3782 822463 10005", E::CreditCard, "3782 822463 10005"),
        (
            "4111 1111 1111 1111 123",
            E::CreditCard,
            "4111 1111 1111 1111",
        ),
        ("ssn 536-22-1234", E::UsSsn, "536-22-1234"),
        (
            "iban DE89 3704 0044 0532 0130 00 ok",
            E::Iban,
            "DE89 3704 0044 0532 0130 00",
        ),
        ("GB82WEST12345698765432", E::Iban, "GB82WEST12345698765432"),
        // After words with digits in them (skipped whole by the byte pass).
        (
            "sha 9fceb02d0ae5 call +44 20 7946 0018",
            E::Phone,
            "+44 20 7946 0018",
        ),
        (
            "id a1b2 card 4111 1111 1111 1111",
            E::CreditCard,
            "4111 1111 1111 1111",
        ),
        (
            "ref X9 GB82WEST12345698765432",
            E::Iban,
            "GB82WEST12345698765432",
        ),
        ("user j1234@mail.co.uk", E::Email, "j1234@mail.co.uk"),
        (
            "ip fe80::1ff:fe23:4567:890a",
            E::Ipv6,
            "fe80::1ff:fe23:4567:890a",
        ),
        ("from 10.0.0.1:443", E::Ipv4, "10.0.0.1"),
        (
            "v6 2001:db8::8a2e:370:7334 up",
            E::Ipv6,
            "2001:db8::8a2e:370:7334",
        ),
        (
            "call +1-780-563-6083x7783 today",
            E::Phone,
            "+1-780-563-6083x7783",
        ),
        ("tel (0161) 4960066", E::Phone, "(0161) 4960066"),
        (
            "ring +33 (0)1 41 63 60 83",
            E::Phone,
            "+33 (0)1 41 63 60 83",
        ),
        ("phone: 3420837783", E::Phone, "3420837783"),
        (
            "key AKIAIOSFODNN7EXAMPLE",
            E::AwsAccessKey,
            "AKIAIOSFODNN7EXAMPLE",
        ),
        (
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            E::GithubToken,
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ),
        (
            "xoxb-123456789012-abcdefghij",
            E::SlackToken,
            "xoxb-123456789012-abcdefghij",
        ),
        (
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            E::StripeKey,
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        ),
        (
            "sk-proj-abc123DEF456ghi789JKL012",
            E::OpenaiKey,
            "sk-proj-abc123DEF456ghi789JKL012",
        ),
        (
            "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
            E::AnthropicKey,
            "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
        ),
        (
            "AIzaSyA1234567890abcdefghijklmnopqrstuv",
            E::GoogleApiKey,
            "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        ),
        ("password=Hunter2!x", E::Password, "Hunter2!x"),
        (
            "api_key: \"q8Zr2LmX9pWv4Tn7\"",
            E::GenericSecret,
            "q8Zr2LmX9pWv4Tn7",
        ),
        (
            "Authorization: Bearer q8Zr2LmX9pWv4Tn7aB3c",
            E::GenericSecret,
            "q8Zr2LmX9pWv4Tn7aB3c",
        ),
        ("DOB: 1985-03-12.", E::DateOfBirth, "1985-03-12"),
        ("born on March 3, 1985", E::DateOfBirth, "March 3, 1985"),
    ];
    for (text, entity, want) in table {
        assert_eq!(hits(text), one(*entity, want), "{text}");
    }
}

#[test]
fn simd_triggers_build_here() {
    let d = det();
    if cfg!(target_arch = "x86_64") {
        assert!(
            d.fast.is_some(),
            "Teddy unavailable: the slower Aho-Corasick path is in use"
        );
    }
    // The fallback path finds the same things.
    let mut slow = det();
    slow.fast = None;
    let text = "password=Hunter2!x DOB: 1985-03-12 Bearer q8Zr2LmX9pWv4Tn7aB3c ghp_abcdefghijklmnopqrstuvwxyz0123456789 sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345";
    let a: Vec<Hit> = d
        .hits(text.as_bytes(), ScanContext::default())
        .into_iter()
        .map(|h| h.0)
        .collect();
    let b: Vec<Hit> = slow
        .hits(text.as_bytes(), ScanContext::default())
        .into_iter()
        .map(|h| h.0)
        .collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), 5);
}

#[test]
fn short_haystacks_still_find_every_trigger() {
    let d = det();
    let Some(fast) = &d.fast else {
        return; // no SIMD here: the Aho-Corasick path has no prefilter
    };
    let mut lits = Vec::new();
    for (kind, _) in &d.rules {
        for t in triggers(*kind).iter().chain(more_triggers(*kind)) {
            match kind {
                // Not in Teddy: `key=value` anchors at `:`/`=`, the prose keywords in a
                // pass of their own (`ProseTriggers`).
                Kind::KeyValue | Kind::ProsePassword => {}
                Kind::Dob | Kind::Bearer => lits.extend(case_variants(t)),
                _ => lits.push(t.to_string()),
            }
        }
    }
    assert!(lits.len() > 40);
    for lit in &lits {
        // Short text, and text long enough for every searcher's SIMD path.
        let long = format!("{lit} {}", "filler ".repeat(12));
        for hay in [lit.clone(), format!("a {lit}"), format!("{lit}x"), long] {
            let mut cands = Vec::new();
            d.trigger_candidates(hay.as_bytes(), &mut cands);
            let at = hay.find(lit.as_str()).unwrap_or(usize::MAX);
            assert!(cands.iter().any(|c| c.0 == at), "{hay:?}: {cands:?}");
        }
    }
    // Short haystacks without a pattern's first two bytes are not searched at all.
    assert!(fast.teddy.minimum_len() > 8);
    let mut cands = Vec::new();
    d.trigger_candidates(b"Jane Roe 42", &mut cands);
    assert!(cands.is_empty());
}

#[test]
fn hand_written_shapes_match_their_regexes() {
    let d = det();
    const PIECES: &[&[u8]] = &[
        b"0",
        b"1",
        b"12",
        b"123",
        b"4111",
        b"12345",
        b"123456",
        b"1234567",
        b"4111111111111111",
        b"41111111111111111111",
        b" ",
        b"-",
        b".",
        b"/",
        b"_",
        b"a",
        b"x",
        b"GB",
        b"DE",
        b"82",
        b"WEST",
        b"Z",
        b"\xc3\xa9",
        b"536",
        b"22",
        b"10",
        b"255",
        b"  ",
        b"+",
        b"+4",
        b"(",
        b")",
        b"(212)",
        b"(123456)",
        b"ext",
        b"ext.",
        b"#",
        b"e",
        b"ghp_",
        b"gho_",
        b"github_pat_",
        b"aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5",
        b"Xy_9",
        b"EXAMPLEx",
        b"exampl",
    ];
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut checked = 0;
    for _ in 0..20_000 {
        let mut hay = Vec::new();
        for _ in 0..(1 + next() % 12) {
            hay.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        for (kind, re) in &d.rules {
            // The prose-password keyword is matched by hand from its trigger literal, not
            // by its pattern (`prose_keyword`; tested in `tests_accuracy`).
            if *kind == Kind::ProsePassword {
                continue;
            }
            for p in 0..hay.len() {
                let Ok(got) = shape_end(*kind, &hay, p) else {
                    continue;
                };
                let want = re
                    .search(&Input::new(&hay).range(p..).anchored(Anchored::Yes))
                    .map(|m| m.end());
                assert_eq!(
                    got,
                    want,
                    "{kind:?} at {p} in {:?}",
                    String::from_utf8_lossy(&hay)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
}

#[test]
fn swar_range_check() {
    for b in 0u8..=255 {
        for pos in 0..8 {
            let mut bytes = *b"abcdefgh";
            bytes[pos] = b;
            let mask = byte_between_mask(u64::from_le_bytes(bytes), 0x2F, 0x41);
            let want = (0x30..=0x40).contains(&b);
            assert_eq!(mask != 0, want, "{b:#x}");
            if want {
                assert_eq!((mask.trailing_zeros() / 8) as usize, pos, "{b:#x} at {pos}");
            }
        }
    }
    // Several matches: the first is reported.
    let mask = byte_between_mask(u64::from_le_bytes(*b"ab1:@x9z"), 0x2F, 0x41);
    assert_eq!(mask.trailing_zeros() / 8, 2);
}

#[test]
fn key_value_tails_cover_every_keyword() {
    for w in triggers(Kind::KeyValue) {
        let b = w.as_bytes();
        assert!(b.len() >= 3, "{w}");
        let tail = [b[b.len() - 3], b[b.len() - 2], b[b.len() - 1]];
        assert!(KEY_VALUE_TAILS.contains(&tail), "{w}");
    }
    for (text, want) in [
        ("Password: x", Some(0)),
        ("db_PWD=x", Some(3)),
        ("created_at: x", None),
        ("amount=x", None),
        ("a-key: x", None),
    ] {
        let q = text.find([':', '=']).unwrap_or_default();
        assert_eq!(key_value_start(text.as_bytes(), q), want, "{text}");
    }
}

#[test]
fn word_end_stops_at_the_first_non_word_byte() {
    for b in 0u8..=255 {
        for pos in 0..12 {
            let mut hay = *b"aZ09_zzAA_9xyz";
            hay[pos] = b;
            let want = if v::is_word(b) { hay.len() } else { pos };
            assert_eq!(word_end(&hay, 0), want, "{b:#x} at {pos}");
            assert_eq!(
                word_end(&hay, pos),
                if v::is_word(b) { hay.len() } else { pos }
            );
        }
    }
    assert_eq!(word_end(b"", 0), 0);
    assert_eq!(word_end(b"abc", 3), 3);
}

#[test]
fn jwt_and_pem() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    assert_eq!(hits(&format!("Bearer {jwt}")), one(Entity::Jwt, jwt));
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
    assert_eq!(hits(&format!("k={pem} tail")), one(Entity::PrivateKey, pem));
}

#[test]
fn false_positives() {
    let table: &[&str] = &[
        "4111111111111112",                        // Luhn fails
        "2721000000000007",                        // outside MC 2-series
        "ssn 000-12-3456",                         // area 000
        "ssn 666-12-3456",                         // area 666
        "ssn 912-12-3456",                         // area 9xx
        "ssn 536-00-1234",                         // group 00
        "ssn 536-22-0000",                         // serial 0000
        "GB82WEST12345698765433",                  // IBAN checksum
        "john@example.invalid",                    // bad TLD
        "img logo@2x.png",                         // not a TLD
        "id 550e8400-e29b-41d4-a716-446655440000", // UUID
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "at 2024-01-15T10:30:00Z and 2024-01-15 10:30:00.123+01:00",
        "order ORD-2024-004512 and #100023456 and INV-88213",
        "ts 1732190400 epoch ms 1732190400123",
        "total 1234567.89 EUR, qty 12 345 678",
        "version 1.2.3 and 10.2.1",
        "std::io::Result and Foo::Bar and a::b",
        "mac 00:1a:2b:3c:4d:5e time 10:30:00",
        "token=abc and password: required",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "tracking 1Z999AA10123456784",
        "max_tokens=4096 tokens: 1200",
        "sku ab4111111111111111 and x4111-1111-1111-1111z", // cards inside words
        "ref a536-22-1234 and v10.0.0.1",                   // SSN / IPv4 glued to a word
    ];
    for text in table {
        assert_eq!(hits(text), vec![], "{text}");
    }
}
