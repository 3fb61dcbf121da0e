//! Audit writer throughput: body building, JCS canonicalisation + entry hash, and the whole
//! `ChainWriter::append` path to a real file (`sync: none`, checkpoints every 1000).
//! Run: `CARGO_BUILD_JOBS=1 cargo bench --bench audit`. `request_record_1kb`: the request path's
//! part of the audit (building the decision record of a 1 KB call).
//!
//! Instruction counts (callgrind): `TOOLWALL_BENCH_ONLY=<bench name> TOOLWALL_BENCH_ITERS=N`
//! runs that closure N times and exits (see docs/performance.md). A stream for `audit verify`
//! measurements: `TOOLWALL_BENCH_ONLY=audit/write_stream TOOLWALL_BENCH_ITERS=N
//! TOOLWALL_BENCH_STREAM_DIR=<dir>` writes N realistic decision records (~1 KB each, signed
//! checkpoints every 1000, files rotated at 64 MiB) to `<dir>` with key seed `[9; 32]`.

use std::hint::black_box;

mod support;

#[path = "../examples/audit_stream/body.rs"]
#[allow(dead_code)] // `decision` and `typed` are the example's
mod call;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::{json, Map, Value};
use toolwall::audit::canonical::{canonicalize, entry_hash};
use toolwall::audit::sink::{ArgsWork, AuditSink, KeepArgs};
use toolwall::audit::{
    hash_string_leaves, input_hmac, AuditSigner, ChainWriter, Kind, SyncMode, WriterOptions,
};

fn decision_body(i: u64) -> Map<String, Value> {
    let args = json!({"charge": format!("ch_{i}"), "amount": 1200 + i, "email": "a@b.example"});
    let canonical_args = canonicalize(&args).unwrap_or_default();
    let v = json!({
        "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"),
        "run_id": "run-1", "agent": "billing-dispute-v3", "tenant_id": "acme_co",
        "tool": "stripe.create_refund", "mode": "enforce", "status": "allowed",
        "reasons": ["amount_ok"], "policy": {"version": "v1", "digest": "sha256:ab"},
        "input_hmac": input_hmac(b"deploy-key", &canonical_args),
        "args": hash_string_leaves(&args, b"deploy-key"),
        "latency_us": 87,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A decision record as the proxy writes it for a 1 KB call in `audit.args: redacted` mode:
/// the principal, the request, the policy input (for replay) and the arguments (~1 KB).
fn realistic_body(i: u64) -> Map<String, Value> {
    let args = json!({
        "charge": format!("ch_{i:08}"), "amount": 1200 + (i % 1000), "currency": "usd",
        "reason": "requested_by_customer",
        "metadata": {"ticket": format!("T-{i}"), "note": "customer called about a duplicate charge on the card ending [CARD] and asked for a refund", "email": "[EMAIL]"},
    });
    let canonical_args = canonicalize(&args).unwrap_or_default();
    let v = json!({
        "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"),
        "trace_id": format!("{:032x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        "run_id": "run-1", "agent": "billing-dispute-v3", "tenant_id": "acme_co",
        "workflow": "refunds", "principal_source": "header", "adapter": "stripe",
        "tool": "stripe.create_refund", "schema": "schemas/stripe.create_refund.json",
        "request": {"method": "POST", "host": "api.stripe.example", "path": "/v1/refunds"},
        "config_version": "cfg-7f3a", "mode": "enforce", "approvals": [], "redactions": [],
        "decision": "allow", "status": null, "reason": null, "reasons": [],
        "policy": {"version": "v1", "digest": "sha256:ab12cd34", "result": {"allow": true, "reasons": []}},
        "input_hmac": input_hmac(b"deploy-key", &canonical_args),
        "args": args.clone(),
        "input": {
            "tool": {"name": "stripe.create_refund", "adapter": "stripe", "risk": "write", "cost_usd": 0.002},
            "principal": {"agent": "billing-dispute-v3", "tenant": "acme_co", "run_id": "run-1"},
            "now": "2026-11-21T10:00:00.123Z", "usage": {}, "pii": {"found": []},
        },
        "latency_us": 87 + (i % 50),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn bench(c: &mut Criterion) {
    if let Some((only, n)) = support::only() {
        bench_only(&only, n);
        std::process::exit(0);
    }
    let mut g = c.benchmark_group("audit");
    g.throughput(Throughput::Elements(1));

    // Caller side: the decision body with input_hmac and hashed args.
    let mut i = 0u64;
    g.bench_function("build_body", |b| {
        b.iter(|| {
            i += 1;
            decision_body(i)
        })
    });

    // A complete record: JCS canonicalisation + entry hash.
    let mut record = decision_body(1);
    record.insert("seq".into(), json!(123_456));
    record.insert("prev".into(), json!("ab".repeat(32)));
    record.insert("kind".into(), json!("decision"));
    record.insert("ts".into(), json!("2026-11-21T10:00:00.123Z"));
    let record = Value::Object(record);
    g.bench_function("canonicalize_hash", |b| {
        b.iter(|| entry_hash(&canonicalize(&record).unwrap_or_default()))
    });

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let key = AuditSigner::from_seed("bench", [9; 32]).unwrap_or_else(|e| panic!("key: {e}"));
    let mut opts = WriterOptions::new(dir.path(), "bench", key);
    opts.sync = SyncMode::None;
    let mut w = ChainWriter::open(opts).unwrap_or_else(|e| panic!("open: {e}"));

    // The writer alone: a prebuilt body (cloned, as the channel hands one over) appended
    // with seq/prev/ts, canonicalised, hashed, written (one write(2)), Merkle-appended,
    // with a signed checkpoint every 1000 records.
    let template = decision_body(7);
    let realistic = realistic_body(7);
    g.bench_function("writer_append_1kb", |b| {
        b.iter(|| {
            w.append(Kind::Decision, realistic.clone())
                .unwrap_or_else(|e| panic!("append: {e}"))
        })
    });
    g.bench_function("writer_append", |b| {
        b.iter(|| {
            w.append(Kind::Decision, template.clone())
                .unwrap_or_else(|e| panic!("append: {e}"))
        })
    });

    // Group commit: the owner thread drained 64 queued records, one write(2) for all.
    g.throughput(Throughput::Elements(64));
    g.bench_function("writer_append_batch64", |b| {
        b.iter(|| {
            let batch: Vec<(Kind, Map<String, Value>)> = (0..64)
                .map(|_| (Kind::Decision, template.clone()))
                .collect();
            w.append_batch(batch)
        })
    });
    g.throughput(Throughput::Elements(1));

    // The request path's part of the audit for a 1 KB call (issue #17: ≤ 3 µs): build the
    // decision record (`examples/audit_stream/body.rs`, the shape `src/stage/audit.rs` builds).
    // The arguments are built in the untimed setup (the request path has them already) and the
    // record is dropped untimed (the writer thread drops it). Canonical form, hashes,
    // `input_hmac` and writing are the writer thread's. Handing the record to a running sink
    // is not timed here — a writer slower than this loop fills the queue and the time becomes
    // the writer's; `TOOLWALL_BENCH_ONLY=audit/request_path_1kb` under callgrind with
    // `--separate-threads=yes` counts build and hand-over together.
    // (the typed record the proxy builds; `_map`: the same record as the `serde_json::Map`
    // it built before)
    let mut k = 0u64;
    g.bench_function("request_record_1kb", |b| {
        b.iter_batched(
            || {
                k += 1;
                (k, call::call_args(k))
            },
            |(k, (sent, masked))| call::typed_with(k, sent, masked),
            BatchSize::SmallInput,
        )
    });
    // (`_prebuilt`: the record as the proxy hands it over since the seventh round — its
    // arguments completed and its canonical line written on the request thread, the record's
    // parts dropped there: timed, as they are on the request path now)
    let mac = toolwall::audit::record::keyed_mac(b"deploy-key");
    g.bench_function("request_record_1kb_prebuilt", |b| {
        b.iter_batched(
            || {
                k += 1;
                (k, call::call_args(k))
            },
            |(k, (sent, masked))| {
                let (body, work) = call::typed_with(k, sent, masked);
                call::prebuilt(body, work, |w| w.finish(&mac, b"deploy-key", None))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("request_record_1kb_map", |b| {
        b.iter_batched(
            || {
                k += 1;
                (k, call::call_args(k))
            },
            |(k, (sent, masked))| call::decision_with(k, sent, masked),
            BatchSize::SmallInput,
        )
    });

    // End to end: build the body and append it.
    let mut j = 0u64;
    g.bench_function("build_and_append", |b| {
        b.iter(|| {
            j += 1;
            w.append(Kind::Decision, decision_body(j))
                .unwrap_or_else(|e| panic!("append: {e}"))
        })
    });
    g.finish();
}

/// An audit sink (its writer thread) writing a stream in `dir` (`sync: none`).
fn start_sink(dir: std::path::PathBuf) -> AuditSink {
    let key = AuditSigner::from_seed("bench", [9; 32]).unwrap_or_else(|e| panic!("key: {e}"));
    let mut opts = WriterOptions::new(dir, "bench", key);
    opts.sync = SyncMode::None;
    let metrics = std::sync::Arc::new(toolwall::metrics::Metrics::new());
    AuditSink::start(opts, b"deploy-key".to_vec(), None, metrics)
        .unwrap_or_else(|e| panic!("sink: {e}"))
}

/// `TOOLWALL_BENCH_ONLY=<name> TOOLWALL_BENCH_ITERS=n`: run one closure `n` times, no
/// criterion (for callgrind: the difference between two `n`, divided, is one call's cost).
fn bench_only(only: &str, n: u64) {
    let kept;
    let dir = match std::env::var_os("TOOLWALL_BENCH_STREAM_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            kept = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
            kept.path().to_path_buf()
        }
    };
    let key = AuditSigner::from_seed("bench", [9; 32]).unwrap_or_else(|e| panic!("key: {e}"));
    let mut opts = WriterOptions::new(&dir, "bench", key);
    opts.sync = SyncMode::None;
    let mut w = ChainWriter::open(opts).unwrap_or_else(|e| panic!("open: {e}"));
    let template = decision_body(7);
    let mut record = decision_body(1);
    record.insert("seq".into(), json!(123_456));
    record.insert("prev".into(), json!("ab".repeat(32)));
    record.insert("kind".into(), json!("decision"));
    record.insert("ts".into(), json!("2026-11-21T10:00:00.123Z"));
    let record = Value::Object(record);
    let realistic = realistic_body(7);
    let sink = start_sink(dir.join("sink"));
    for i in 0..n {
        match only {
            "audit/build_body" => drop(black_box(decision_body(i))),
            "audit/canonicalize_hash" => drop(black_box(entry_hash(
                &canonicalize(&record).unwrap_or_default(),
            ))),
            "audit/writer_append" => drop(black_box(
                w.append(Kind::Decision, template.clone())
                    .unwrap_or_else(|e| panic!("append: {e}")),
            )),
            "audit/writer_append_1kb" => drop(black_box(
                w.append(Kind::Decision, realistic.clone())
                    .unwrap_or_else(|e| panic!("append: {e}")),
            )),
            // What the writer thread now does for a decision record's arguments (was on the
            // request path): canonical args, input_hmac, args kept as sent, big numbers.
            "audit/args_work_1kb" => {
                let mut body = realistic.clone();
                let args = body.remove("args").unwrap_or(Value::Null);
                body.remove("input_hmac");
                let work = ArgsWork {
                    args,
                    keep: KeepArgs::AsSent,
                    canonical: None,
                };
                work.apply(&mut body, b"deploy-key", None);
                drop(black_box(body));
            }
            // The same minus the work: the clone and drop of the body alone.
            "audit/args_work_baseline" => {
                let mut body = realistic.clone();
                let args = body.remove("args").unwrap_or(Value::Null);
                body.remove("input_hmac");
                body.insert("args".into(), args);
                drop(black_box(body));
            }
            // The request path's part (see `request_path_1kb`), for callgrind with
            // `--separate-threads=yes`: the main thread's count, less `request_path_args`'s
            // (the arguments alone), is the request path's.
            "audit/request_path_1kb" => {
                let (sent, masked) = call::call_args(i);
                let (body, work) = call::typed_with(i, sent, masked);
                sink.record_body(Kind::Decision, body, Some(work));
            }
            // the record as the proxy hands it over since the seventh round
            "audit/request_path_1kb_prebuilt" => {
                let (sent, masked) = call::call_args(i);
                let (body, work) = call::typed_with(i, sent, masked);
                let body = call::prebuilt(body, work, |w| sink.finish_args(w));
                sink.record_body(Kind::Decision, body, None);
            }
            // the same record as a `serde_json::Map` (the shape before the typed record)
            "audit/request_path_1kb_map" => {
                let (sent, masked) = call::call_args(i);
                let (body, work) = call::decision_with(i, sent, masked);
                sink.record_with(Kind::Decision, body, Some(work));
            }
            // (kept, not freed: the request path hands them to the writer thread)
            "audit/request_path_args" => std::mem::forget(black_box(call::call_args(i))),
            "audit/write_stream" => drop(black_box(
                w.append(Kind::Decision, realistic_body(i))
                    .unwrap_or_else(|e| panic!("append: {e}")),
            )),
            other => panic!("TOOLWALL_BENCH_ONLY: no closure {other}"),
        }
    }
    if only == "audit/write_stream" {
        w.close().unwrap_or_else(|e| panic!("close: {e}"));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
