//! Criterion benches for the redaction engine: 4 KB and 64 KB payloads, clean and PII-dense,
//! as JSON bytes (the proxy's path: `redact_bytes`), as a parsed value (`redact_json`, no
//! parse cost) and as text (`redact_text`). Throughput is reported per input byte.

mod support;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Instant;
use toolwall::redact::{ActionPlan, RedactConfig, Redactor};

/// The product's allocator (mimalloc: fewer instructions per allocation than glibc's
/// malloc; see docs/performance.md), so measurements match what `toolwall run` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/redact_payload.rs"]
mod redact_payload;
use redact_payload::payload;

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
    // Instruction counts (callgrind): `TOOLWALL_BENCH_ONLY=redact/bytes_json/64KB/pii
    // TOOLWALL_BENCH_ITERS=N` runs that closure N times and exits (see docs/performance.md).
    if let Some((only, n)) = support::only() {
        let mut parts = only.split('/').skip(1);
        let (Some(mode), Some(size), Some(kind)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("TOOLWALL_BENCH_ONLY: redact/<mode>/<size>KB/<clean|pii>, got {only}");
        };
        let size: usize = size
            .strip_suffix("KB")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("TOOLWALL_BENCH_ONLY: size {size}"));
        let body = payload(size * 1024, kind == "pii");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let text = format!("{}", value);
        for _ in 0..n {
            match mode {
                "bytes_json" => drop(black_box(redactor.redact_bytes(
                    black_box(body.as_bytes()),
                    true,
                    &plan,
                ))),
                "value_json" => drop(black_box(redactor.redact_json(black_box(&value), &plan))),
                "text" => drop(black_box(redactor.redact_text(black_box(&text), &plan))),
                other => panic!("TOOLWALL_BENCH_ONLY: no mode {other}"),
            }
        }
        std::process::exit(0);
    }
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
