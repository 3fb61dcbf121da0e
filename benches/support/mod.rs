//! What the bench files share: the bench config and call, and the callgrind hook.
#![allow(dead_code)] // each bench file uses what it needs of this

use std::path::Path;

use bytes::Bytes;

/// The bench config (`benches/fixtures/toolwall.yaml`) and its ~1 KB refund call.
pub fn fixture() -> (toolwall::config::Snapshot, Bytes) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures");
    let loaded = toolwall::config::load_snapshot(&dir.join("toolwall.yaml"), true)
        .unwrap_or_else(|e| panic!("bench config: {e}"));
    let body = std::fs::read(dir.join("call.json")).expect("call.json");
    (loaded.snapshot, Bytes::from(body))
}

/// Instruction counts (callgrind) are steadier than wall time on a shared machine:
/// `TOOLWALL_BENCH_ONLY=<bench name> TOOLWALL_BENCH_ITERS=N` asks a bench file to run that one
/// closure N times, without criterion, and exit; the difference between two N, divided, is the
/// cost of one call (see docs/performance.md). `None` when they are not both set.
pub fn only() -> Option<(String, u64)> {
    let name = std::env::var("TOOLWALL_BENCH_ONLY").ok()?;
    let n = std::env::var("TOOLWALL_BENCH_ITERS").ok()?.parse().ok()?;
    Some((name, n))
}
