use super::*;
use crate::audit::record::{hash_string_leaves, input_hmac};
use std::fs;

/// A clock frozen at one instant, so test streams are byte-for-byte reproducible.
pub(crate) struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T10:00:00.123Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }
}

pub(crate) fn test_key(n: u8) -> AuditSigner {
    AuditSigner::from_seed(&format!("test-key-{n}"), [n; 32]).expect("test key")
}

pub(crate) fn test_opts(dir: &Path, key: AuditSigner) -> WriterOptions {
    let mut opts = WriterOptions::new(dir, "audit", key);
    opts.rotate_bytes = 24_000;
    opts.checkpoint_every = 40;
    opts.sync = SyncMode::None;
    opts.clock = Arc::new(FixedClock);
    opts
}

/// A realistic decision body.
pub(crate) fn decision(i: u64) -> Map<String, Value> {
    let args = json!({"charge": format!("ch_{i}"), "amount": 1200 + i, "email": "a@b.example"});
    let canonical = crate::audit::canonical::canonicalize(&args).expect("args");
    let v = json!({
        "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"),
        "run_id": "run-1", "agent": "billing-dispute-v3", "tenant_id": "acme_co",
        "tool": "stripe.create_refund", "mode": "enforce", "status": "allowed",
        "reasons": [], "policy": {"version": "v1", "digest": "sha256:ab"},
        "input_hmac": input_hmac(b"deploy-key", &canonical),
        "args": hash_string_leaves(&args, b"deploy-key"),
        "latency_us": 87,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(crate) fn outcome(i: u64) -> Map<String, Value> {
    let v = json!({"decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"), "status": 200,
                   "latency_ms": 41, "cost": {"usd": 0.002}});
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Write `pairs` decision+outcome pairs and close.
pub(crate) fn write_stream(dir: &Path, pairs: u64) {
    let mut w = ChainWriter::open(test_opts(dir, test_key(1))).expect("open");
    for i in 0..pairs {
        w.append(Kind::Decision, decision(i)).expect("decision");
        w.append(Kind::Outcome, outcome(i)).expect("outcome");
    }
    w.close().expect("close");
}

#[test]
fn file_names() {
    assert_eq!(file_name("audit", 7), "audit-000007.jsonl");
    let cases = [
        ("audit-000007.jsonl", Some(("audit", 7))),
        ("my-stream-000010.jsonl", Some(("my-stream", 10))),
        ("audit-1234567.jsonl", Some(("audit", 1234567))),
        ("audit-0000007.jsonl", None),
        ("audit-000000.jsonl", None),
        ("audit-00001.jsonl", None),
        ("audit-000001.json", None),
        ("-000001.jsonl", None),
        ("audit-18446744073709551615.jsonl", None),
    ];
    for (name, want) in cases {
        let got = parse_file_name(name);
        assert_eq!(got.as_ref().map(|(s, n)| (s.as_str(), *n)), want, "{name}");
    }
}

#[test]
fn event_records_are_chained_and_checked() {
    use crate::audit::event::EventRecord;
    use crate::audit::verify::{verify_path, Reason};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
    w.append(Kind::Decision, decision(0)).expect("decision");
    let ev = EventRecord::new("mcp.tool_repinned")
        .tool("stripe.create_refund")
        .detail("n", 1);
    let a = w.append(Kind::Event, ev.into_body()).expect("event");
    assert_eq!(a.seq, 2);
    let mut no_name = EventRecord::new("admin.pin").into_body();
    no_name.remove("event");
    assert!(matches!(
        w.append(Kind::Event, no_name),
        Err(AuditError::Invalid(InvalidRecord::MalformedEvent(_)))
    ));
    w.close().expect("close");
    let mut keys = crate::audit::TrustedKeys::new();
    keys.add(test_key(1).verifier());
    let report = verify_path(dir.path(), &keys);
    assert!(report.valid, "{report}");

    // A malformed event that bypassed the writer's check is a finding of `audit verify`,
    // located on its line, even though its chain links are right.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
    let mut bad = EventRecord::new("admin.pin").into_body();
    bad.insert("event".into(), json!("pin"));
    w.write_record(Kind::Event, &bad).expect("raw write");
    w.close().expect("close");
    let report = verify_path(dir.path(), &keys);
    let err = report.error.expect("malformed event found");
    assert_eq!(
        (err.reason, err.line),
        (Reason::MalformedRecord, 2),
        "{err}"
    );
}

#[test]
fn append_rejects_bad_bodies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
    let mut reserved = decision(0);
    reserved.insert("seq".into(), json!(5));
    assert!(
        matches!(w.append(Kind::Decision, reserved), Err(AuditError::Invalid(InvalidRecord::ReservedField(f))) if f == "seq")
    );
    let mut big = decision(0);
    big.insert("amount".into(), json!(1u64 << 60));
    assert!(
        matches!(w.append(Kind::Decision, big), Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(p))) if p == "/amount")
    );
    assert!(matches!(
        w.append(Kind::Checkpoint, decision(0)),
        Err(AuditError::Invalid(InvalidRecord::KindNotAllowed(_)))
    ));
    let a = w.append(Kind::Decision, decision(0)).expect("append");
    assert_eq!(a.seq, 1, "header is seq 0");
    assert_eq!(hex(&a.entry_hash), w.head());
}

#[test]
fn batch_append_matches_single_appends_byte_for_byte() {
    let single = tempfile::tempdir().expect("tempdir");
    let batched = tempfile::tempdir().expect("tempdir");
    let mut a = ChainWriter::open(test_opts(single.path(), test_key(1))).expect("open");
    let mut b = ChainWriter::open(test_opts(batched.path(), test_key(1))).expect("open");
    let mut expected = Vec::new();
    for i in 0..300 {
        expected.push(a.append(Kind::Decision, decision(i)).expect("append"));
    }
    let mut got = Vec::new();
    for chunk in (0..300).collect::<Vec<u64>>().chunks(37) {
        let mut batch: Vec<(Kind, Map<String, Value>)> = chunk
            .iter()
            .map(|i| (Kind::Decision, decision(*i)))
            .collect();
        batch.push((Kind::Header, decision(0))); // rejected alone
        let results = b.append_batch(batch);
        assert!(matches!(
            results.last(),
            Some(Err(AuditError::Invalid(InvalidRecord::KindNotAllowed(_))))
        ));
        got.extend(results.into_iter().filter_map(Result::ok));
    }
    assert_eq!(got, expected);
    a.close().expect("close");
    b.close().expect("close");
    let files = list_streams(single.path()).expect("list")["audit"].clone();
    assert!(files.len() >= 3, "the batches crossed rotations");
    for (no, p) in files {
        let other = batched.path().join(file_name("audit", no));
        assert_eq!(
            fs::read(&p).expect("a"),
            fs::read(&other).expect("b"),
            "file {no}"
        );
    }
}

#[test]
fn sync_modes_write_verifiable_streams() {
    for mode in [SyncMode::None, SyncMode::Batch, SyncMode::Always] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut opts = test_opts(dir.path(), test_key(1));
        opts.sync = mode;
        opts.batch_interval = Duration::ZERO;
        let mut w = ChainWriter::open(opts).expect("open");
        for i in 0..5 {
            w.append(Kind::Decision, decision(i)).expect("append");
            w.maybe_sync().expect("maybe_sync");
        }
        w.sync().expect("sync");
        w.close().expect("close");
        let mut keys = crate::audit::TrustedKeys::new();
        keys.add(test_key(1).verifier());
        let report = crate::audit::verify_path(dir.path(), &keys);
        assert!(
            report.valid && report.warnings.is_empty(),
            "{mode:?}: {report}"
        );
    }
}

/// `sync: batch` fsyncs on a thread of its own: while one is running (held here), records
/// keep reaching the file and being acknowledged, checkpoints included, and a second sync is
/// not started on top of it; once it finishes, the next `maybe_sync` starts another.
#[test]
fn batch_fsync_runs_beside_the_writer_not_in_front_of_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.sync = SyncMode::Batch;
    opts.batch_interval = Duration::ZERO;
    opts.checkpoint_every = 3;
    let mut w = ChainWriter::open(opts).expect("open");
    w.syncer.hold();
    w.append(Kind::Decision, decision(0)).expect("append");
    w.maybe_sync().expect("maybe_sync");
    assert!(w.syncer.busy(), "the fsync was handed to the thread");
    assert!(!w.unsynced, "a started fsync covers what was written");
    // the held fsync does not hold the writer: records and a checkpoint's batch go through
    let results = w.append_batch((1..8).map(|i| (Kind::Decision, decision(i))).collect());
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    w.maybe_sync().expect("maybe_sync while one runs");
    assert_eq!(w.syncer.done(), 0, "no fsync finished yet");
    assert!(
        w.unsynced,
        "still unsynced: no second fsync on top of the running one"
    );
    let written = fs::read_to_string(w.current_path()).expect("read");
    assert_eq!(
        written
            .lines()
            .filter(|l| l.contains("\"kind\":\"decision\""))
            .count(),
        8,
        "every record is in the file while the fsync is held"
    );
    assert!(written.contains("\"kind\":\"checkpoint\""));
    w.syncer.release();
    w.syncer.wait_idle();
    assert_eq!(w.syncer.done(), 1);
    w.maybe_sync().expect("maybe_sync");
    w.syncer.wait_idle();
    assert_eq!(
        w.syncer.done(),
        2,
        "the records written meanwhile got their fsync"
    );
    assert!(!w.unsynced);
    w.close().expect("close");
    let mut keys = crate::audit::TrustedKeys::new();
    keys.add(test_key(1).verifier());
    let report = crate::audit::verify_path(dir.path(), &keys);
    assert!(report.valid && report.warnings.is_empty(), "{report}");
}

/// A background fsync that fails stops the writer like a failed write: the next tick reports
/// it, and no record is accepted after it.
#[test]
fn a_failed_background_fsync_stops_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.sync = SyncMode::Batch;
    opts.batch_interval = Duration::ZERO;
    let mut w = ChainWriter::open(opts).expect("open");
    w.syncer.fail_next();
    w.append(Kind::Decision, decision(0)).expect("append");
    w.maybe_sync().expect("the fsync only started");
    w.syncer.wait_idle();
    let err = w.tick(Instant::now()).expect_err("the failure is reported");
    assert!(
        err.to_string().contains("injected fdatasync failure"),
        "{err}"
    );
    assert!(w.poisoned().is_some());
    assert!(matches!(
        w.append(Kind::Decision, decision(1)),
        Err(AuditError::Poisoned(_))
    ));
    let results = w.append_batch(vec![(Kind::Decision, decision(2))]);
    assert!(matches!(results[0], Err(AuditError::Poisoned(_))));
}

#[test]
fn reopen_continues_the_same_file_and_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
    for i in 0..5 {
        w.append(Kind::Decision, decision(i)).expect("append");
    }
    let (head, next) = (w.head(), w.next_seq());
    drop(w); // no close: as after a crash that tore nothing
    let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("reopen");
    assert!(
        matches!(ChainWriter::open(test_opts(dir.path(), test_key(1))), Err(AuditError::Options(m)) if m.contains("another audit writer")),
        "a second writer on the same stream is refused"
    );
    assert_eq!((w.head(), w.next_seq()), (head, next));
    assert_eq!(w.unsealed(), 6);
    assert!(w.current_path().ends_with("audit-000001.jsonl"));
    let a = w.append(Kind::Outcome, outcome(0)).expect("append");
    assert_eq!(a.seq, next);
}

#[test]
fn checkpoints_by_count_and_time_and_rotation_by_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.checkpoint_every = 10;
    opts.rotate_bytes = 1 << 30;
    let mut w = ChainWriter::open(opts).expect("open");
    for i in 0..9 {
        w.append(Kind::Decision, decision(i)).expect("append");
    }
    // header + 9 = 10 records since genesis: the 9th append triggered a checkpoint.
    assert_eq!(w.unsealed(), 0);
    w.append(Kind::Decision, decision(9)).expect("append");
    let now = Instant::now();
    assert!(!w.checkpoint_due(now));
    let later = now + Duration::from_secs(11);
    assert!(w.checkpoint_due(later));
    let cp = w.tick(later).expect("tick").expect("checkpoint written");
    assert_eq!(
        cp.seq, 12,
        "header 0, decisions 1-9, checkpoint 10, decision 11"
    );
    assert!(w.tick(later).expect("tick").is_none(), "nothing unsealed");
    w.rotate().expect("rotate");
    assert!(w.current_path().ends_with("audit-000002.jsonl"));
    assert_eq!(w.unsealed(), 1, "only the new header");
}

/// `ts` formatted once a second and its milliseconds written again within it is
/// [`format_ts`]'s spelling at every step: within a millisecond, a second, across seconds,
/// days, back in time, years of other widths and a leap second's milliseconds.
#[test]
fn timestamps_cached_per_second_are_format_ts() {
    let at = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .expect("time")
    };
    let base = at("2026-12-05T23:59:58.000Z");
    let mut times: Vec<DateTime<Utc>> = (0..2500)
        .map(|i| base + chrono::Duration::microseconds(i * 997))
        .collect();
    times.extend([
        at("2026-12-05T23:59:57.999Z"),
        at("2026-12-05T23:59:57.005Z"),
        at("0999-01-01T00:00:00.001Z"),
        at("0999-01-01T00:00:00.002Z"),
        at("2026-12-31T23:59:59.999Z"),
    ]);
    // 23:59:59 and a leap second's millisecond after it (nanoseconds ≥ 10^9)
    let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
        .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
        .map(|t| t.and_utc())
        .expect("leap");
    times.extend([leap - chrono::Duration::milliseconds(600), leap, leap]);
    times.push(leap + chrono::Duration::milliseconds(200));
    let mut ts = ((0, 0), String::new());
    let mut changed = 0;
    for t in times {
        let before = ts.1.clone();
        next_ts(&mut ts, t);
        assert_eq!(ts.1, format_ts(t), "{t:?}");
        changed += usize::from(before != ts.1);
    }
    assert!(changed > 2000, "{changed}");
}
