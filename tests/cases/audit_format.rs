//! The on-disk format does not drift: a stream written by the build that introduced this test
//! (committed under `tests/fixtures/audit-v1/`) still verifies, and the writer of today, given
//! the same records, keys and clock, writes it again byte for byte — canonical form, field
//! order, number and string spelling, entry hashes, Merkle roots, headers, key rotation,
//! recovery record and signed checkpoints (Ed25519 signatures are deterministic).
//!
//! To regenerate after a deliberate format change (a new `format` version, not an optimisation):
//! `TOOLWALL_AUDIT_FIXTURE_WRITE=1 cargo nextest run audit_format`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};
use toolwall::audit::sink::{ArgsWork, KeepArgs};
use toolwall::audit::{
    verify_path, AuditSigner, ChainWriter, Clock, EventRecord, Kind, SyncMode, TrustedKeys,
    WriterOptions,
};

/// A clock one millisecond further at every reading, from a fixed instant.
struct Ticking(AtomicI64);

impl Clock for Ticking {
    fn now(&self) -> DateTime<Utc> {
        let ms = self.0.fetch_add(1, Ordering::SeqCst);
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit-v1")
}

fn key(n: u8) -> AuditSigner {
    AuditSigner::from_seed(&format!("fixture{n}"), [n; 32]).expect("key")
}

fn opts(dir: &Path, signer: AuditSigner, clock: &Arc<Ticking>) -> WriterOptions {
    let mut o = WriterOptions::new(dir, "fixture", signer);
    o.sync = SyncMode::None;
    o.rotate_bytes = 6_000;
    o.checkpoint_every = 7;
    o.clock = clock.clone();
    o
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Arguments that exercise the canonical form: keys that sort differently by UTF-16 code
/// units than by code points, escapes, control characters, floats, a big integer.
fn args(i: u64) -> Value {
    json!({
        "charge": format!("ch_{i:04}"), "amount": 1200 + i, "ratio": 0.1 + i as f64 / 8.0,
        "tiny": 1e-7, "huge": 1e21, "neg": -0.5, "big": 9007199254740993u64, "ok": true,
        "none": null, "\u{e000}private": 1, "\u{1f600}emoji": 2, "\u{e9}t\u{e9}": "caf\u{e9}",
        "note": format!("line {i}\n\t\"quoted\" \\ back \u{1} ctl \u{7f} \u{2028} sep"),
        "email": "jane.doe@example.com",
        "nested": [{"b": 2, "a": [1, 2.5, "x"]}, [], {}],
    })
}

fn decision(i: u64) -> (Map<String, Value>, ArgsWork) {
    let body = object(json!({
        "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"),
        "trace_id": format!("{:032x}", i * 7919),
        "agent": "billing-dispute-v3", "tenant_id": "acme_co", "run_id": null,
        "tool": "stripe.create_refund", "mode": "enforce", "decision": "allow",
        "status": null, "reason": null, "reasons": [], "redactions": [],
        "policy": {"version": "v1", "digest": "sha256:ab12", "result": {"allow": true}},
        "input": {"tool": {"name": "stripe.create_refund"}, "usage": {"calls": i}},
        "latency_us": 87 + i,
    }));
    let keep = match i % 4 {
        0 => KeepArgs::AsSent,
        1 => {
            let mut masked = args(i);
            masked["email"] = json!("[EMAIL]");
            KeepArgs::Masked(masked)
        }
        2 => KeepArgs::Hashed,
        _ => KeepArgs::Omit,
    };
    (
        body,
        ArgsWork {
            args: args(i),
            keep,
            canonical: None,
        },
    )
}

fn outcome(i: u64) -> Map<String, Value> {
    object(json!({
        "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"),
        "tool": "stripe.create_refund", "status": 200, "upstream_latency_us": 1000 + i,
        "cost_usd": 0.002, "latency_us": 1200 + i,
    }))
}

fn event(i: u64) -> Map<String, Value> {
    let mut body = EventRecord::new("admin.pin").adapter("stripe").into_body();
    body.insert(
        "id".into(),
        json!(format!("0193a1b2-0000-7000-8000-{i:012}")),
    );
    body
}

/// The records of the fixture, written through the real writer: calls, events, batches,
/// file rotations, a key rotation, a clean close and re-open, and a crash (torn tail).
fn write_stream(dir: &Path) {
    let clock = Arc::new(Ticking(AtomicI64::new(1_764_806_400_000)));
    let hmac_key = b"fixture-hmac-key";
    let complete = |i: u64| {
        let (mut body, work) = decision(i);
        work.apply(&mut body, hmac_key, None);
        body
    };
    let mut w = ChainWriter::open(opts(dir, key(1), &clock)).expect("open");
    for i in 0..10 {
        w.append(Kind::Decision, complete(i)).expect("decision");
        w.append(Kind::Outcome, outcome(i)).expect("outcome");
        if i % 4 == 3 {
            w.append(Kind::Event, event(i)).expect("event");
        }
    }
    let batch: Vec<_> = (10..20)
        .flat_map(|i| [(Kind::Decision, complete(i)), (Kind::Outcome, outcome(i))])
        .collect();
    for r in w.append_batch(batch) {
        r.expect("batch record");
    }
    w.rotate_key(key(2)).expect("key rotation");
    for i in 20..26 {
        w.append(Kind::Decision, complete(i)).expect("decision");
    }
    w.checkpoint().expect("checkpoint");
    w.close().expect("close");

    let mut w = ChainWriter::open(opts(dir, key(2), &clock)).expect("re-open");
    for i in 26..30 {
        w.append(Kind::Decision, complete(i)).expect("decision");
    }
    let last = w.current_path().to_path_buf();
    drop(w);
    // a crash in the middle of a line
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .expect("last file");
    f.write_all(br#"{"adapter":"stripe","agent":"bil"#)
        .expect("torn");
    drop(f);
    let mut w = ChainWriter::open(opts(dir, key(2), &clock)).expect("recover");
    for i in 30..34 {
        w.append(Kind::Decision, complete(i)).expect("decision");
    }
    w.close().expect("close");
}

/// The stream's files (not its lock file), by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e != "lock"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read"))
        })
        .collect()
}

#[test]
fn the_committed_stream_verifies_and_is_written_again_byte_for_byte() {
    let fixture = fixture_dir();
    if std::env::var_os("TOOLWALL_AUDIT_FIXTURE_WRITE").is_some() {
        let _ = std::fs::remove_dir_all(&fixture);
        std::fs::create_dir_all(&fixture).expect("fixture dir");
        write_stream(&fixture);
        let _ = std::fs::remove_file(fixture.join("fixture.lock"));
    }
    let mut keys = TrustedKeys::new();
    keys.add(key(1).verifier());
    let report = verify_path(&fixture, &keys);
    assert!(report.valid, "{report}");
    let text = report.to_string();
    assert!(
        text.contains("Results: 8 files, 81 records, 15 checkpoints verified; 0 invalid"),
        "{text}"
    );
    assert!(
        text.contains("fixture-000007.jsonl:5: torn record at byte 3219 was recovered"),
        "{text}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    write_stream(dir.path());
    let want = files(&fixture);
    let got = files(dir.path());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &want {
        let ours = &got[name];
        if ours != bytes {
            let line = ours
                .split(|&b| b == b'\n')
                .zip(bytes.split(|&b| b == b'\n'))
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{name}: line {} differs:\n ours: {}\n then: {}",
                line + 1,
                String::from_utf8_lossy(ours.split(|&b| b == b'\n').nth(line).unwrap_or(b"")),
                String::from_utf8_lossy(bytes.split(|&b| b == b'\n').nth(line).unwrap_or(b""))
            );
        }
    }
}
