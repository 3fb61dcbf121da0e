//! Accuracy/throughput harness for benches/pii_accuracy.sh: reads a JSONL corpus
//! (`{"id","kind":"json"|"text","text"}` per line), redacts each document the way the proxy
//! does (`redact_bytes`, mask everything), prints one JSONL line of findings per document on
//! stdout and one timing line (`{"bytes":…,"seconds":…,"mb_per_s":…}`) on stderr.

use std::io::{BufRead, Write};
use std::time::Instant;
use toolwall::redact::{ActionPlan, RedactConfig, Redactor};

/// On-CPU time of this process (Linux `/proc/self/schedstat`, ns); wall time elsewhere.
struct CpuClock {
    cpu_ns: Option<u64>,
    wall: Instant,
}

impl CpuClock {
    fn read() -> Option<u64> {
        let s = std::fs::read_to_string("/proc/self/schedstat").ok()?;
        s.split_whitespace().next()?.parse().ok()
    }
    fn now() -> Self {
        CpuClock {
            cpu_ns: Self::read(),
            wall: Instant::now(),
        }
    }
    fn elapsed_secs(&self) -> f64 {
        match (self.cpu_ns, Self::read()) {
            (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e9,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

/// The product's allocator (mimalloc: fewer instructions per allocation than glibc's
/// malloc; see docs/performance.md), so measurements match what `toolwall run` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(serde::Deserialize)]
struct Doc {
    id: u64,
    kind: String,
    text: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: pii_eval CORPUS.jsonl [REPEATS]")?;
    let repeats: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5);
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let mut docs = Vec::new();
    for line in file.lines() {
        let line = line?;
        if !line.trim().is_empty() {
            docs.push(serde_json::from_str::<Doc>(&line)?);
        }
    }
    let redactor = Redactor::new(&RedactConfig::default())?;
    let plan = ActionPlan::mask_all();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    // Throughput: best of `repeats` passes over the whole corpus, one core, in CPU time of
    // this process (so other work on a shared machine does not count against it).
    let mut best = f64::MAX;
    for _ in 0..repeats {
        let t = CpuClock::now();
        let mut n = 0usize;
        for d in &docs {
            let (out, f) = redactor.redact_bytes(d.text.as_bytes(), d.kind == "json", &plan);
            n += out.len() + f.len();
        }
        std::hint::black_box(n);
        best = best.min(t.elapsed_secs());
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for d in &docs {
        let (_, findings) = redactor.redact_bytes(d.text.as_bytes(), d.kind == "json", &plan);
        let line = serde_json::json!({ "id": d.id, "findings": findings });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    eprintln!(
        "{}",
        serde_json::json!({"bytes": bytes, "seconds": best, "mb_per_s": bytes as f64 / best / 1e6, "docs": docs.len()})
    );
    Ok(())
}
