//! Runs one redaction bench case in a loop, for profilers that count rather than time
//! (`valgrind --tool=callgrind`: instructions are the same run after run on a shared machine,
//! where timings drift by ±30 %). See docs/performance.md.
//!
//! `cargo run --release --example redact_profile -- SIZE clean|pii bytes|value|text ITERATIONS`

#[path = "../benches/support/redact_payload.rs"]
mod redact_payload;

use toolwall::redact::{ActionPlan, RedactConfig, Redactor};

/// The product's allocator (mimalloc: fewer instructions per allocation than glibc's
/// malloc; see docs/performance.md), so measurements match what `toolwall run` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [size, kind, mode, iterations] = args.as_slice() else {
        return Err("usage: redact_profile SIZE clean|pii bytes|value|text ITERATIONS".into());
    };
    let size: usize = size.parse().map_err(|e| format!("SIZE: {e}"))?;
    let iterations: usize = iterations.parse().map_err(|e| format!("ITERATIONS: {e}"))?;
    let redactor = Redactor::new(&RedactConfig::default()).map_err(|e| e.to_string())?;
    let plan = ActionPlan::mask_all();
    let body = redact_payload::payload(size, kind == "pii");
    // Only what the mode needs is built, so the profile holds the loop and little else.
    let value: serde_json::Value = match mode.as_str() {
        "bytes" => serde_json::Value::Null,
        _ => serde_json::from_str(&body).map_err(|e| e.to_string())?,
    };
    let text = if mode == "text" {
        value.to_string()
    } else {
        String::new()
    };
    let start = std::time::Instant::now();
    let mut findings = 0;
    for _ in 0..iterations {
        findings += match mode.as_str() {
            "bytes" => redactor
                .redact_bytes(std::hint::black_box(body.as_bytes()), true, &plan)
                .1
                .len(),
            "value" => redactor
                .redact_json(std::hint::black_box(&value), &plan)
                .findings
                .len(),
            "text" => redactor
                .redact_text(std::hint::black_box(&text), &plan)
                .1
                .len(),
            other => return Err(format!("unknown mode {other}")),
        };
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{size} {kind} {mode}: {findings} findings, {:.1} MB/s (wall)",
        (body.len() * iterations) as f64 / secs.max(1e-9) / 1e6
    );
    Ok(())
}
