use super::contact::*;
use super::numbers::*;
use super::*;

/// The next state of a xorshift64 generator (random inputs for the agreement tests).
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn ipv4_one_pass_agrees_with_splitting() {
    let reference = |s: &[u8]| {
        let mut n = 0;
        for part in s.split(|&b| b == b'.') {
            n += 1;
            if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
                return false;
            }
            let v = part
                .iter()
                .fold(0u32, |a, d| a * 10 + u32::from(d.wrapping_sub(b'0')));
            if v > 255 || !part.iter().all(u8::is_ascii_digit) {
                return false;
            }
        }
        n == 4
    };
    // Three to five dot-separated parts, mostly number-like.
    let parts: &[&[u8]] = &[
        b"0", b"1", b"25", b"255", b"256", b"99", b"7", b"a", b"", b"00",
    ];
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut valid = 0;
    for _ in 0..100_000 {
        xorshift(&mut rng);
        let mut t = Vec::new();
        for i in 0..(3 + rng % 3) {
            if i > 0 {
                t.push(b'.');
            }
            let pick = (rng >> (4 + 4 * i)) % parts.len() as u64;
            t.extend_from_slice(parts[pick as usize]);
        }
        let want = reference(&t);
        assert_eq!(ipv4_ok(&t), want, "{}", String::from_utf8_lossy(&t));
        valid += usize::from(want);
    }
    assert!(valid > 100, "{valid}");
}

#[test]
fn ipv6_shape_check_only_skips_what_the_parser_refuses() {
    let reference = |s: &[u8]| {
        let Ok(text) = std::str::from_utf8(s) else {
            return false;
        };
        let groups = text.split(':').filter(|g| !g.is_empty());
        let (n, longest) = groups.fold((0, 0), |(n, l), g| (n + 1, l.max(g.len())));
        (n >= 3 || (n == 2 && longest >= 3)) && text.parse::<std::net::Ipv6Addr>().is_ok()
    };
    let pieces: &[&[u8]] = &[
        b":",
        b"::",
        b"0",
        b"fe80",
        b"1ff",
        b"db8",
        b".",
        b"10.0.0.1",
        b"a",
    ];
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut valid = 0;
    for _ in 0..100_000 {
        let mut t = Vec::new();
        for _ in 0..(1 + rng % 16) {
            xorshift(&mut rng);
            t.extend_from_slice(pieces[(rng % pieces.len() as u64) as usize]);
        }
        let want = reference(&t);
        assert_eq!(ipv6_ok(&t), want, "{}", String::from_utf8_lossy(&t));
        valid += usize::from(want);
    }
    assert!(valid > 100, "{valid}");
}

#[test]
fn short_tlds_agree_with_the_list() {
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut known = 0;
    for _ in 0..50_000 {
        xorshift(&mut rng);
        let alphabet = b"abcdefghijklmnopqrstuvwxyzAZ0-";
        let len = 2 + (rng % 2) as usize;
        let t: Vec<u8> = (0..len)
            .map(|i| alphabet[((rng >> (8 * i)) % alphabet.len() as u64) as usize])
            .collect();
        let want = TLD_SET.contains(&t.to_ascii_lowercase()[..]);
        assert_eq!(tld_ok(&t), want, "{}", String::from_utf8_lossy(&t));
        known += usize::from(want);
    }
    assert!(known > 1000, "{known}");
    for t in ["com", "COM", "uk", "de", "io", "xyz", "museum", "xn--p1ai"] {
        assert!(tld_ok(t.as_bytes()), "{t}");
    }
    for t in ["zz", "qqq", "c", "co1"] {
        assert!(!tld_ok(t.as_bytes()), "{t}");
    }
}

#[test]
fn iban_lengths_by_code() {
    for (code, n) in IBAN_LENGTHS {
        assert_eq!(iban_length(&code[..]), Some(*n), "{code:?}");
    }
    let mut known = 0;
    for a in 0u8..=255 {
        for b in [b'A', b'B', b'E', b'K', b'Z', b'a', b'0', b'@', b'[', 0xC3] {
            let want = IBAN_LENGTHS
                .iter()
                .find(|(c, _)| c[..] == [a, b])
                .map(|(_, n)| *n);
            assert_eq!(iban_length(&[a, b]), want, "{a} {b}");
            known += usize::from(want.is_some());
        }
    }
    assert!(known > 10, "{known}");
    assert_eq!(iban_length(b"G"), None);
    assert_eq!(iban_length(b"GBX"), None);
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_digit).collect()
}

#[test]
fn cards() {
    let table: &[(&str, bool)] = &[
        ("4111111111111111", true),
        ("4242424242424242", true),
        ("5555555555554444", true),
        ("2221000000000009", true), // MC 2-series low end
        ("2720992720992729", true), // MC 2-series high end (Luhn-valid)
        ("2223003122003222", true),
        ("378282246310005", true),   // Amex
        ("6011111111111117", true),  // Discover
        ("3530111333300000", true),  // JCB
        ("30569309025904", true),    // Diners 14
        ("6200000000000005", true),  // UnionPay
        ("4111111111111112", false), // Luhn fails
        ("2721000000000007", false), // just past the 2-series
        ("1234567812345670", false), // Luhn ok, no issuer
        ("0000000000000000", false),
        ("9111111111111111", false),
    ];
    for (n, want) in table {
        assert_eq!(card_ok(&digits(n)), *want, "{n}");
    }
}

#[test]
fn ssn_rules() {
    assert!(ssn_ok(536, 22, 1234));
    assert!(!ssn_ok(0, 22, 1234));
    assert!(!ssn_ok(666, 22, 1234));
    assert!(!ssn_ok(900, 22, 1234));
    assert!(!ssn_ok(999, 22, 1234));
    assert!(!ssn_ok(536, 0, 1234));
    assert!(!ssn_ok(536, 22, 0));
    assert!(!ssn_ok(78, 5, 1120));
}

#[test]
fn ibans() {
    assert!(iban_ok(b"GB82WEST12345698765432"));
    assert!(iban_ok(b"DE89370400440532013000"));
    assert!(iban_ok(b"FR1420041010050500013M02606"));
    assert!(!iban_ok(b"GB82WEST12345698765433")); // checksum
    assert!(!iban_ok(b"DE8937040044053201300")); // length
    assert!(!iban_ok(b"ZZ89370400440532013000")); // country
}

#[test]
fn emails() {
    assert!(email_ok(b"john.doe", b"example.com"));
    assert!(email_ok(b"a+b", b"mail.co.uk"));
    assert!(email_ok(b"x", b"xn--80ak6aa92e.xn--p1ai"));
    assert!(!email_ok(b"john", b"example.invalid"));
    assert!(!email_ok(b"john", b"host.local"));
    assert!(!email_ok(b"john", b"localhost"));
    assert!(!email_ok(b".john", b"example.com"));
    assert!(!email_ok(b"jo..hn", b"example.com"));
    assert!(!email_ok(b"john", b"-bad.com"));
    assert!(!email_ok(b"logo", b"2x.png"));
}

#[test]
fn phones() {
    let table: &[(&str, bool, bool)] = &[
        ("+1-780-563-6083", false, true),
        // 591 is no NANP area code: a phone only with a context word or a phone key.
        ("(591)341-7776", false, false),
        ("(591)341-7776", true, true),
        ("206.269.0743", false, true),
        ("+44(0)115 4960914", false, true),
        ("(0161) 4960066", false, true),
        ("+49 (0) 9141 777631", false, true),
        ("04 15 39 15 00", false, true),
        ("+33 (0)1 41 63 60 83", false, true),
        ("(0406)-812415", false, true),
        // Bare runs of digits need context (order and ticket numbers look the same).
        ("2125551234", false, false),
        ("2125551234", true, true),
        ("0961073668", false, false),
        ("0961073668", true, true),
        // National numbers of the supported locales, grouped as written.
        ("020 7946 0958", false, true),
        ("030 12345678", false, true),
        ("01 23 45 67 89", false, true),
        ("612 34 56 78", false, true),
        ("06-12345678", false, true),
        ("02 1234 5678", false, true),
        ("312 345 6789", false, true),
        ("1-212-555-0123", false, true),
        // Identifiers that are not phones: no plan fits, or the layout is not a phone's.
        ("4432-1189-22", false, false),       // ticket 4-4-2
        ("448-2231-9907", false, false),      // SKU 3-4-4
        ("555-2077-29", false, false),        // no plan
        ("2213 4471 09", false, false),       // order number
        ("35 209900 176148 1", false, false), // IMEI
        ("10.0.19045.3693", false, false),    // version
        ("4.3.5.90757", false, false),        // version
        ("2024.05.12.1433", false, false),    // build number
        // International: the calling code and the national number must fit the plan.
        ("+44 20 7946 0958", false, true),
        ("+49 30 12345678", false, true),
        ("0044 20 7946 0958", false, true),
        ("+999 1234 5678", false, false), // no such calling code
        ("+999 1234 5678", true, true),
        ("+44 99 1234", false, false), // too short for GB
        ("3420837783", false, false),  // bare, no context
        ("3420837783", true, true),
        ("1732190400", false, false), // unix timestamp
        ("2024-01-15", false, false),
        ("15.01.2024", false, false),
        ("12/31/1999", false, false),
        ("1234567.89", false, false),
        ("1 2 3 4 5 6 7", false, false),
        ("0000000000", false, false),
        ("100023", false, false),
    ];
    for (t, ctx, want) in table {
        let shape = PhoneShape {
            text: t.as_bytes(),
            context: *ctx,
        };
        assert_eq!(phone_ok(&shape), *want, "{t} ctx={ctx}");
    }
}

#[test]
fn ips() {
    assert!(ipv4_ok(b"192.168.0.1"));
    assert!(ipv4_ok(b"8.8.8.8"));
    assert!(!ipv4_ok(b"256.1.1.1"));
    assert!(!ipv4_ok(b"01.2.3.4"));
    assert!(!ipv4_ok(b"1.2.3"));
    assert!(ipv6_ok(b"2001:db8::1"));
    assert!(ipv6_ok(b"fe80::1ff:fe23:4567:890a"));
    assert!(!ipv6_ok(b"10:30:00"));
    assert!(!ipv6_ok(b"00:1a:2b:3c:4d:5e"));
    assert!(!ipv6_ok(b"::"));
}

#[test]
fn jwt_and_entropy() {
    let good = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc";
    assert!(jwt_header_ok(good));
    assert!(!jwt_header_ok(b"eyJub3Rqc29u.eyJ.x"));
    assert!(shannon_entropy(b"aaaaaaaa") < 0.1);
    assert!(shannon_entropy(b"q8Zr2LmX9pWv4Tn7") > 3.5);
    assert!(mixed_classes(b"abc123"));
    assert!(!mixed_classes(b"password"));
}
