//! The redaction benches' payloads (shared by `benches/redact.rs` and
//! `examples/redact_profile.rs`): JSON tool results of about `size` bytes, either clean (ids,
//! hashes, timestamps, amounts, prose) or PII-dense (a finding every ~33 bytes).

const WORDS: &[&str] = &[
    "the",
    "order",
    "was",
    "shipped",
    "to",
    "customer",
    "warehouse",
    "invoice",
    "status",
    "pending",
    "refund",
    "approved",
    "delivery",
    "window",
    "tomorrow",
    "support",
    "ticket",
    "escalated",
    "agent",
    "replied",
    "with",
    "tracking",
    "details",
    "and",
    "a",
    "discount",
    "code",
    "for",
    "next",
    "purchase",
];

/// Deterministic pseudo-random numbers (xorshift) so payloads are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[(self.next() % 16) as usize]))
            .collect()
    }
    fn prose(&mut self, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
        }
        s
    }
}

fn luhn_card(rng: &mut Rng) -> String {
    let mut d: Vec<u32> = vec![4];
    for _ in 0..14 {
        d.push((rng.next() % 10) as u32);
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &v)| {
            if i % 2 == 0 {
                if v * 2 > 9 {
                    v * 2 - 9
                } else {
                    v * 2
                }
            } else {
                v
            }
        })
        .sum();
    d.push((10 - sum % 10) % 10);
    d.iter().map(|v| char::from(b'0' + *v as u8)).collect()
}

/// A realistic tool-result record without PII: ids, hashes, timestamps, amounts, prose.
fn clean_record(rng: &mut Rng, i: usize) -> String {
    format!(
        r#"{{"id":"{}-{}-4{}-a{}-{}","sha":"{}","created_at":"2026-11-{:02}T{:02}:{:02}:00Z","amount":{},"currency":"EUR","order":"ORD-2026-{:06}","status":"shipped","note":"{}","items":[{{"sku":"SKU-{}","qty":{},"price":{}.{:02}}}]}}"#,
        rng.hex(8),
        rng.hex(4),
        rng.hex(3),
        rng.hex(3),
        rng.hex(12),
        rng.hex(40),
        1 + i % 28,
        i % 24,
        i % 60,
        rng.next() % 100000,
        rng.next() % 1000000,
        rng.prose(18),
        rng.next() % 100000,
        1 + rng.next() % 9,
        rng.next() % 500,
        rng.next() % 100
    )
}

/// A record with an email, phone, card, IBAN, IP and a secret every ~350 bytes.
fn pii_record(rng: &mut Rng, i: usize) -> String {
    format!(
        r#"{{"customer":{{"name":"Jane Roe {i}","email":"jane.roe{i}@example.com","phone":"+44 20 7946 {:04}","card":"{}"}},"billing_iban":"GB82WEST12345698765432","client_ip":"10.{}.{}.{}","token":"ghp_{}","note":"call me at (212) 555-{:04} or mail j{i}@mail.co.uk, ssn 536-22-{:04}"}}"#,
        rng.next() % 10000,
        luhn_card(rng),
        rng.next() % 256,
        rng.next() % 256,
        1 + rng.next() % 250,
        rng.hex(36),
        1000 + rng.next() % 9000,
        1000 + rng.next() % 9000
    )
}

/// A `{"results": [...]}` document of records, at most `size` bytes.
pub fn payload(size: usize, pii: bool) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::from("{\"results\":[");
    let mut i = 0;
    while out.len() < size - 400 {
        if i > 0 {
            out.push(',');
        }
        let rec = if pii {
            pii_record(&mut rng, i)
        } else {
            clean_record(&mut rng, i)
        };
        if out.len() + rec.len() + 2 > size {
            break;
        }
        out.push_str(&rec);
        i += 1;
    }
    out.push_str("]}");
    out
}
