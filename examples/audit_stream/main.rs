//! Writes a realistic audit stream through the real writer, as `toolwall run` does, and says
//! what the writer cost: the records are decision records of a 1 KB tool call (~1.3 KB a line,
//! `audit.args: redacted` with two masked e-mail addresses), handed to the audit sink as the
//! request path hands them ([`AuditSink::record_with`] with the argument work for the writer
//! thread; every 256th waits for its write, as a forwarded call does), chained, hashed, written in batches, checkpointed and signed every 1,000 records,
//! fsynced as `audit.sync` says, rotated at 64 MiB, closed with the shutdown checkpoint.
//!
//! ```text
//! cargo run --release --example audit_stream -- DIR RECORDS [none|batch|always] [direct] [map|prebuilt]
//! taskset -c 0 target/release/examples/audit_stream /tmp/s 1000000 && \
//!   taskset -c 0 target/release/toolwall audit verify /tmp/s --keys /tmp/s.pub
//! ```
//!
//! `DIR` must not hold a stream yet; the signing key is the fixed seed `[9; 32]` (stream
//! `bench`, key name `bench`) and its verifier key is written to `DIR.pub`. Printed: records,
//! bytes, wall time, and the CPU time of the writer thread (`toolwall-audit`, from
//! `/proc/self/task/<tid>/schedstat`) apart from the thread building the records, so the
//! writer's records per CPU-second can be read off a run on one core. `direct` skips the sink:
//! one thread builds 256 records, then completes and appends them with
//! [`ChainWriter::append_batch`] as the writer thread does, and so on; the two parts are timed
//! apart (the writer's own cost, without the hand-over between threads: frees of memory
//! another thread allocated, wake-ups). The records are typed (`toolwall::audit::call`, as the
//! proxy built them in the sixth round, completed by the writer thread); `map` builds them as
//! `serde_json::Map`s instead (the same bytes: the shape before the typed record); `prebuilt`
//! completes the arguments and writes each record's canonical line on the building thread, as
//! the proxy hands them over since the seventh round (the writer splices in its head members
//! and hashes). See docs/performance.md.

mod body;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use toolwall::audit::sink::{ArgsWork, AuditSink, Body};
use toolwall::audit::{AuditSigner, ChainWriter, Kind, SyncMode, WriterOptions};
use toolwall::metrics::Metrics;

/// The product's allocator, so the figures are `toolwall run`'s.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of one thread so far, in seconds (`/proc/.../schedstat`: ns on the CPU).
fn cpu_seconds(schedstat: &str) -> Result<f64, String> {
    let text = std::fs::read_to_string(schedstat).map_err(|e| format!("{schedstat}: {e}"))?;
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| format!("{schedstat}: unexpected {text:?}"))?;
    Ok(ns as f64 / 1e9)
}

/// `/proc/self/task/<tid>/schedstat` of the audit writer thread.
/// (The thread names itself once it runs: looked for during a second at most.)
fn writer_schedstat() -> Result<String, String> {
    for _ in 0..100 {
        let tasks = std::fs::read_dir("/proc/self/task").map_err(|e| e.to_string())?;
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() == "toolwall-audit" {
                return Ok(task.path().join("schedstat").display().to_string());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err("no toolwall-audit thread".into())
}

/// How the records are handed over.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Typed,
    Map,
    Prebuilt,
}

/// Record `i` in `shape`, with the argument work left for the writer (none for `prebuilt`).
fn record(
    i: u64,
    shape: Shape,
    mac: &toolwall::audit::record::KeyedMac,
) -> (Body, Option<ArgsWork>) {
    match shape {
        Shape::Map => {
            let (body, work) = body::decision(i);
            (Body::Map(body), Some(work))
        }
        Shape::Typed => {
            let (body, work) = body::typed(i);
            (body, Some(work))
        }
        Shape::Prebuilt => {
            let (body, work) = body::typed(i);
            let body = body::prebuilt(body, work, |w| w.finish(mac, b"deploy-key", None));
            (body, None)
        }
    }
}

/// `direct`: build a batch, write it (as the writer thread does), time the two apart.
fn run_direct(
    opts: WriterOptions,
    n: u64,
    shape: Shape,
    dir: &std::path::Path,
    pub_path: &std::path::Path,
) -> Result<(), String> {
    let me = "/proc/thread-self/schedstat";
    let mac = toolwall::audit::record::keyed_mac(b"deploy-key");
    let mut writer = ChainWriter::open(opts).map_err(|e| e.to_string())?;
    let (mut build_cpu, mut write_cpu) = (0.0, 0.0);
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let t0 = cpu_seconds(me)?;
        let batch: Vec<_> = (i..n.min(i + 256))
            .map(|i| record(i, shape, &mac))
            .collect();
        i += batch.len() as u64;
        let t1 = cpu_seconds(me)?;
        let records: Vec<(Kind, Body)> = batch
            .into_iter()
            .map(|(mut body, work)| {
                match (&mut body, work) {
                    (Body::Map(m), Some(work)) => work.apply(m, b"deploy-key", None),
                    (Body::Decision(d), Some(work)) => {
                        d.args = Some(work.finish(&mac, b"deploy-key", None))
                    }
                    _ => {}
                }
                (Kind::Decision, body)
            })
            .collect();
        for r in writer.append_records(&records) {
            r.map_err(|e| e.to_string())?;
        }
        writer.tick(Instant::now()).map_err(|e| e.to_string())?;
        build_cpu += t1 - t0;
        write_cpu += cpu_seconds(me)? - t1;
    }
    writer.close().map_err(|e| e.to_string())?;
    let wall = started.elapsed().as_secs_f64();
    report(n, dir, pub_path, wall, write_cpu, build_cpu)
}

fn report(
    n: u64,
    dir: &std::path::Path,
    pub_path: &std::path::Path,
    wall: f64,
    writer_cpu: f64,
    main_cpu: f64,
) -> Result<(), String> {
    let bytes: u64 = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "records {n}  bytes {bytes} ({:.0} per record)  wall {wall:.2} s",
        bytes as f64 / n.max(1) as f64
    );
    println!(
        "writer: {writer_cpu:.2} CPU-s = {:.0} records per CPU-second ({:.2} µs each)",
        n as f64 / writer_cpu,
        writer_cpu * 1e6 / n.max(1) as f64
    );
    println!(
        "building the records (request side): {main_cpu:.2} CPU-s ({:.2} µs each)",
        main_cpu * 1e6 / n.max(1) as f64
    );
    println!(
        "verify: toolwall audit verify {} --keys {}",
        dir.display(),
        pub_path.display()
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = match args.last().map(String::as_str) {
        Some("map") => Shape::Map,
        Some("prebuilt") => Shape::Prebuilt,
        _ => Shape::Typed,
    };
    let args = &args[..args.len() - usize::from(shape != Shape::Typed)];
    let (dir, n, sync, direct) = match args {
        [dir, n] => (dir, n, "batch", false),
        [dir, n, sync] => (dir, n, sync.as_str(), false),
        [dir, n, sync, mode] if mode == "direct" => (dir, n, sync.as_str(), true),
        _ => {
            return Err(
                "usage: audit_stream DIR RECORDS [none|batch|always] [direct] [map|prebuilt]"
                    .into(),
            )
        }
    };
    let n: u64 = n.parse().map_err(|e| format!("RECORDS: {e}"))?;
    let sync = match sync {
        "none" => SyncMode::None,
        "batch" => SyncMode::Batch,
        "always" => SyncMode::Always,
        other => return Err(format!("sync mode {other:?}: none, batch or always")),
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let key = AuditSigner::from_seed("bench", [9; 32]).map_err(|e| e.to_string())?;
    let pub_path = PathBuf::from(format!("{}.pub", dir.display()));
    std::fs::write(&pub_path, format!("{}\n", key.verifier()))
        .map_err(|e| format!("{}: {e}", pub_path.display()))?;
    let mut opts = WriterOptions::new(&dir, "bench", key);
    opts.sync = sync;
    // the last record waits for every one before it, however slow the run (valgrind)
    opts.queue_wait = std::time::Duration::from_secs(3600);
    if direct {
        return run_direct(opts, n, shape, &dir, &pub_path);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let sink = AuditSink::start(opts, b"deploy-key".to_vec(), None, Arc::new(Metrics::new()))
        .map_err(|e| e.to_string())?;
    let mac = toolwall::audit::record::keyed_mac(b"deploy-key");
    let writer_stat = writer_schedstat()?;
    let writer_before = cpu_seconds(&writer_stat)?;
    let main_before = cpu_seconds("/proc/thread-self/schedstat")?;
    let started = Instant::now();
    for i in 0..n.saturating_sub(1) {
        let (body, work) = record(i, shape, &mac);
        if i % 256 == 255 {
            // Every 256th waits until it is written, as a forwarded call waits for its
            // write-ahead record: the writer never has more than one batch of backlog. A
            // producer that never waits fills the queue (8,192 records, ~80 MB of records
            // built long before they are written, so cold in every cache): that measures
            // memory, not the writer, and is not how the proxy runs.
            rt.block_on(sink.write_ahead_body(Kind::Decision, body, work))
                .map_err(|e| e.to_string())?;
        } else {
            sink.record_body(Kind::Decision, body, work);
        }
    }
    // The last one waits until it (and so every record before it) reached the OS.
    if n > 0 {
        let (body, work) = record(n - 1, shape, &mac);
        rt.block_on(sink.write_ahead_body(Kind::Decision, body, work))
            .map_err(|e| e.to_string())?;
    }
    let wall = started.elapsed().as_secs_f64();
    let writer_cpu = cpu_seconds(&writer_stat)? - writer_before;
    let main_cpu = cpu_seconds("/proc/thread-self/schedstat")? - main_before;
    rt.block_on(sink.close());
    report(n, &dir, &pub_path, wall, writer_cpu, main_cpu)
}
