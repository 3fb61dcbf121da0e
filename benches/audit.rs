//! Audit writer throughput: body building, JCS canonicalisation + entry hash, and the whole
//! `ChainWriter::append` path to a real file (`sync: none`, checkpoints every 1000).
//! Run: `CARGO_BUILD_JOBS=1 cargo bench --bench audit`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Map, Value};
use toolwall::audit::canonical::{canonicalize, entry_hash};
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

fn bench(c: &mut Criterion) {
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

criterion_group!(benches, bench);
criterion_main!(benches);
