//! Criterion benches for the redaction engine: 4 KB and 64 KB payloads, clean and PII-dense,
//! as JSON bytes (the proxy's path: `redact_bytes`), as a parsed value (`redact_json`, no
//! parse cost) and as text (`redact_text`). Throughput is reported per input byte.

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Instant;
use toolwall::redact::{ActionPlan, RedactConfig, Redactor};

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

fn payload(size: usize, pii: bool) -> String {
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

/// On-CPU time of this process (Linux `/proc/self/schedstat`, ns), falling back to wall time:
/// the machine is shared, and wall time would charge other processes' work to the engine.
struct CpuTime;

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or_else(|| {
            static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
            START.get_or_init(Instant::now).elapsed().as_nanos() as u64
        })
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        cpu_ns()
    }
    fn end(&self, i: u64) -> u64 {
        cpu_ns().saturating_sub(i)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NsFormatter
    }
}

struct NsFormatter;

impl ValueFormatter for NsFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = if typical >= 1e6 {
            (1e6, "ms")
        } else if typical >= 1e3 {
            (1e3, "µs")
        } else {
            (1.0, "ns")
        };
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let bytes = match throughput {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => *b as f64,
            Throughput::Elements(e) => *e as f64,
        };
        // values are ns per iteration → MB/s (10^6 bytes per CPU-second).
        values.iter_mut().for_each(|v| *v = bytes * 1e3 / *v);
        "MB/s (CPU)"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn bench(c: &mut Criterion<CpuTime>) {
    let redactor = Redactor::new(&RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let plan = ActionPlan::mask_all();
    let mut g = c.benchmark_group("redact");
    for &size in &[4 * 1024, 64 * 1024] {
        for &pii in &[false, true] {
            let body = payload(size, pii);
            let label = format!("{}KB/{}", size / 1024, if pii { "pii" } else { "clean" });
            let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let text = format!("{}", value); // same content as one text document
            g.throughput(Throughput::Bytes(body.len() as u64));
            g.bench_with_input(BenchmarkId::new("bytes_json", &label), &body, |b, body| {
                b.iter(|| redactor.redact_bytes(black_box(body.as_bytes()), true, &plan))
            });
            g.bench_with_input(BenchmarkId::new("value_json", &label), &value, |b, v| {
                b.iter(|| redactor.redact_json(black_box(v), &plan))
            });
            g.bench_with_input(BenchmarkId::new("text", &label), &text, |b, t| {
                b.iter(|| redactor.redact_text(black_box(t), &plan))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime).sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
