use super::*;
use crate::audit::chain::tests::{decision, outcome, test_key, test_opts};
use serde_json::json;

/// Every record of the stream in `dir` (all files, in order).
fn stream_records(dir: &std::path::Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .expect("read")
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("json"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A sink on a test stream in `dir` (the default options of [`test_opts`]).
fn start_sink(dir: &std::path::Path, metrics: &Arc<Metrics>) -> AuditSink {
    AuditSink::start(
        test_opts(dir, test_key(1)),
        b"k".to_vec(),
        None,
        metrics.clone(),
    )
    .expect("sink")
}

fn id(i: u64) -> String {
    format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}")
}

/// Poll `cond` (every millisecond, at most 10 s).
async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_behind_holds_back_write_ahead_and_loses_no_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.queue = 2;
    opts.queue_wait = Duration::from_millis(200);
    let (open_gate, gate) = mpsc::channel();
    let sink = AuditSink::start_gated(opts, b"k".to_vec(), None, metrics.clone(), Some(gate))
        .expect("sink");

    // Two write-ahead records fill the queue; their callers wait for the writer.
    let ahead: Vec<_> = (1..=2)
        .map(|i| {
            let sink = sink.clone();
            tokio::spawn(async move { sink.write_ahead(Kind::Decision, decision(i)).await })
        })
        .collect();
    until("two records queued", || sink.queued() == 2).await;
    assert_eq!(metrics.audit_queue_depth.get(), 2);

    // A third waits for room for the wait bound, then is refused: nothing was queued.
    let started = std::time::Instant::now();
    let err = sink
        .write_ahead(Kind::Decision, decision(3))
        .await
        .expect_err("the queue is full");
    assert!(matches!(err, SinkError::Busy { queued: 2, .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(200), "it waited");
    assert_eq!(
        sink.queued(),
        2,
        "a refused write-ahead record is not queued"
    );
    assert_eq!(metrics.audit_queue_full.get(), 1);
    assert!(sink.healthy(), "a slow writer is not an unhealthy stream");

    // The refused call's own record, and the outcome of another ending call, go in at
    // once: room past `queue` is kept for records of calls that are ending.
    let mut refused = decision(3);
    refused.insert("status".into(), json!("refused"));
    refused.insert("reasons".into(), json!(["audit_unavailable"]));
    sink.record(Kind::Decision, refused);
    sink.record(Kind::Decision, decision(4));
    assert_eq!(sink.queued(), 4);
    assert_eq!(metrics.audit_queue_depth.get(), 4);

    // Past `2 × queue` an ending call's record blocks its thread (it is never dropped)
    // until the writer frees room.
    let blocked = {
        let sink = sink.clone();
        std::thread::spawn(move || sink.record(Kind::Decision, decision(5)))
    };
    // A write-ahead arriving now waits too (and gets room once the writer runs).
    let late = {
        let sink = sink.clone();
        tokio::spawn(async move {
            let mut opts_wait = decision(6);
            opts_wait.insert("late".into(), json!(true));
            sink.write_ahead(Kind::Decision, opts_wait).await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!blocked.is_finished(), "the fifth record waits for room");
    assert_eq!(sink.queued(), 4, "the queue never exceeds 2 × queue");

    open_gate.send(()).expect("open the gate");
    for task in ahead {
        task.await
            .expect("join")
            .expect("written once the writer runs");
    }
    blocked.join().expect("the blocked record was queued");
    // `late` waited for room: it is written if room came within the wait, else refused.
    match late.await.expect("join") {
        Ok(_) => {}
        Err(SinkError::Busy { .. }) => sink.record(Kind::Decision, decision(6)),
        Err(e) => panic!("{e}"),
    }
    sink.record(Kind::Outcome, outcome(1));
    sink.close().await;
    assert_eq!(sink.queued(), 0);
    assert_eq!(metrics.audit_queue_depth.get(), 0);

    let recs = stream_records(dir.path());
    for i in 1..=6 {
        let n = recs
            .iter()
            .filter(|r| r["kind"] == "decision" && r["decision_id"] == id(i))
            .count();
        assert_eq!(n, 1, "call {i} has exactly one decision record");
    }
    let refused = recs
        .iter()
        .find(|r| r["decision_id"] == id(3))
        .expect("the refused call's record");
    assert_eq!(refused["reasons"], json!(["audit_unavailable"]));
    assert!(recs
        .iter()
        .any(|r| r["kind"] == "outcome" && r["decision_id"] == id(1)));
    let mut keys = crate::audit::TrustedKeys::new();
    keys.add(test_key(1).verifier());
    let report = crate::audit::verify_path(dir.path(), &keys);
    assert!(report.valid, "{report}");
}

#[tokio::test]
async fn a_stopped_writer_never_blocks_a_caller() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.queue = 1;
    let sink = AuditSink::start(opts, b"k".to_vec(), None, metrics.clone()).expect("sink");
    sink.close().await;
    until("the writer has exited", || {
        sink.queue.stopped.load(Ordering::SeqCst)
    })
    .await;
    sink.record(Kind::Decision, decision(1));
    sink.record(Kind::Decision, decision(2));
    sink.record(Kind::Decision, decision(3));
    assert_eq!(
        metrics.audit_write_errors.get(),
        3,
        "each lost record is counted"
    );
    assert_eq!(sink.queued(), 0);
    let err = sink
        .write_ahead(Kind::Decision, decision(4))
        .await
        .expect_err("no writer");
    assert!(matches!(err, SinkError::Unavailable(_)), "{err}");
}

#[tokio::test]
async fn events_are_written_and_a_malformed_one_is_replaced_not_dropped() {
    use crate::audit::event::{EventRecord, INVALID_EVENT_NAME};
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let sink = start_sink(dir.path(), &metrics);
    let queued = EventRecord::new("mcp.tool_withheld").tool("gh.search");
    let queued_id = queued.id().to_owned();
    sink.event(queued);
    let seq = sink
        .write_event(EventRecord::new("admin.pin").detail("by", "ops"))
        .await
        .expect("written");
    // a body that is not an event (a caller bypassing the builder): its minimal event
    let mut bad = Map::new();
    bad.insert("id".into(), json!("e-1"));
    bad.insert("tool".into(), json!("gh.search"));
    bad.insert("detail".into(), json!("not an object"));
    let err = sink
        .write_ahead(Kind::Event, bad)
        .await
        .expect_err("malformed");
    assert!(matches!(err, SinkError::Invalid { .. }), "{err}");
    assert!(sink.healthy(), "one record never changes health");
    sink.close().await;
    let recs = stream_records(dir.path());
    let events: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "event").collect();
    assert_eq!(events.len(), 3);
    assert_eq!(
        (&events[0]["event"], &events[0]["id"]),
        (&json!("mcp.tool_withheld"), &json!(queued_id))
    );
    assert_eq!(events[1]["seq"], json!(seq));
    assert_eq!(events[1]["detail"], json!({"by": "ops"}));
    assert_eq!(events[2]["event"], INVALID_EVENT_NAME);
    assert_eq!(
        (&events[2]["id"], &events[2]["tool"]),
        (&json!("e-1"), &json!("gh.search"))
    );
    assert!(events[2]["audit_error"]
        .as_str()
        .is_some_and(|e| e.contains("malformed event record")));
    assert_eq!(metrics.audit_records.get(), 3);
    let mut keys = crate::audit::TrustedKeys::new();
    keys.add(test_key(1).verifier());
    let report = crate::audit::verify_path(dir.path(), &keys);
    assert!(report.valid, "{report}");
}

#[tokio::test]
async fn a_record_that_cannot_be_encoded_is_replaced_and_health_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = start_sink(dir.path(), &Arc::new(Metrics::new()));
    let mut bad = decision(7);
    bad.insert("args".into(), json!({"n": [1u64 << 60]}));
    let err = sink
        .write_ahead(Kind::Decision, bad)
        .await
        .expect_err("cannot be encoded");
    assert!(
        matches!(&err, SinkError::Invalid { message, .. } if message.contains("/args/n/0")),
        "{err}"
    );
    assert!(sink.healthy(), "one record never changes health");
    let mut reserved = decision(8);
    reserved.insert("seq".into(), json!(1));
    sink.record(Kind::Outcome, reserved);
    let seq = sink
        .write_ahead(Kind::Decision, decision(9))
        .await
        .expect("next record");
    assert!(sink.healthy());
    sink.close().await;
    let text = std::fs::read_to_string(dir.path().join("audit-000001.jsonl")).expect("read");
    let recs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let minimal = recs
        .iter()
        .find(|r| r["decision_id"] == "0193a1b2-c3d4-7e5f-8a9b-000000000007")
        .expect("the failed decision has its record");
    assert_eq!(minimal["kind"], "decision");
    assert_eq!(minimal["reason"], "internal_error");
    assert_eq!(minimal["tool"], "stripe.create_refund");
    assert!(minimal.get("args").is_none());
    let outcome = recs
        .iter()
        .find(|r| r["decision_id"] == "0193a1b2-c3d4-7e5f-8a9b-000000000008")
        .expect("the failed outcome has its record");
    assert_eq!(
        (&outcome["kind"], &outcome["status"]),
        (&json!("outcome"), &json!(500))
    );
    assert!(recs.iter().any(|r| r["seq"] == seq));
    let mut keys = crate::audit::TrustedKeys::new();
    keys.add(test_key(1).verifier());
    let report = crate::audit::verify_path(dir.path(), &keys);
    assert!(report.valid, "{report}");
}

/// The calls of one runtime turn hand their records over together: the writer is woken about
/// once per turn, not once per record (the point of the flusher task).
#[tokio::test(flavor = "current_thread")]
async fn records_of_one_turn_wake_the_writer_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let sink = start_sink(dir.path(), &metrics);
    let wakes = || sink.handoff.0.wakes.load(Ordering::Relaxed);
    // let the writer reach its wait
    tokio::time::sleep(Duration::from_millis(20)).await;

    // 64 calls ready in one turn, each writing its decision ahead
    let acks = sink
        .handoff
        .0
        .acks
        .clone()
        .expect("an acker on this runtime");
    let acks_before = acks.wakes.load(Ordering::Relaxed);
    let before = wakes();
    let calls: Vec<_> = (1..=64)
        .map(|i| {
            let sink = sink.clone();
            tokio::spawn(async move { sink.write_ahead(Kind::Decision, decision(i)).await })
        })
        .collect();
    let mut seqs = Vec::new();
    for c in calls {
        seqs.push(c.await.expect("join").expect("written"));
    }
    let ahead = wakes() - before;
    assert!(
        ahead <= 2,
        "64 write-ahead records of one turn woke the writer {ahead} times"
    );
    // and their 64 acknowledgements came back with as few wake-ups of the runtime
    let back = acks.wakes.load(Ordering::Relaxed) - acks_before;
    assert!(
        (1..=2).contains(&back),
        "64 acknowledgements of one turn woke the acker {back} times"
    );
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 64, "every call got its own record");

    // 64 records queued without waiting, in one turn
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = wakes();
    for i in 1..=64 {
        sink.record(Kind::Outcome, outcome(i));
    }
    until("the outcomes are written", || {
        metrics.audit_records.get() == 128
    })
    .await;
    let queued = wakes() - before;
    assert!(
        queued <= 2,
        "64 queued records of one turn woke the writer {queued} times"
    );

    sink.close().await;
    let records = stream_records(dir.path());
    let count = |kind: &str| records.iter().filter(|r| r["kind"] == kind).count();
    assert_eq!((count("decision"), count("outcome")), (64, 64));
}

/// A sink started outside any runtime (no flusher task) has each record wake the writer.
#[test]
fn without_a_runtime_each_record_wakes_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let sink = start_sink(dir.path(), &metrics);
    assert!(sink.handoff.0.kick.is_none());
    let started = std::time::Instant::now();
    sink.record(Kind::Decision, decision(1));
    while metrics.audit_records.get() < 1 {
        assert!(started.elapsed() < Duration::from_secs(10), "never written");
        std::thread::sleep(Duration::from_millis(1));
    }
    // written at once, not on the writer's 100 ms tick
    assert!(
        started.elapsed() < Duration::from_millis(90),
        "{:?}",
        started.elapsed()
    );
}

/// The flusher's runtime is gone (a sink outliving it): records still reach the stream, on
/// the writer's own tick.
#[test]
fn records_are_written_after_the_flushers_runtime_is_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sink = rt.block_on(async { start_sink(dir.path(), &metrics) });
    assert!(sink.handoff.0.kick.is_some());
    drop(rt);
    sink.record(Kind::Decision, decision(1));
    sink.record(Kind::Outcome, outcome(1));
    let started = std::time::Instant::now();
    while metrics.audit_records.get() < 2 {
        assert!(started.elapsed() < Duration::from_secs(10), "never written");
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(sink);
    // the last handle gone: the stream is closed cleanly
    let started = std::time::Instant::now();
    while !dir.path().join("audit.closed").exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "not closed");
        std::thread::sleep(Duration::from_millis(5));
    }
    let records = stream_records(dir.path());
    assert_eq!(
        records
            .iter()
            .filter(|r| r["kind"] == "decision" || r["kind"] == "outcome")
            .count(),
        2
    );
}

/// The acker's runtime is gone (a sink outliving it): a write-ahead caller on another runtime
/// still gets its acknowledgement, from the writer thread itself.
#[test]
fn write_ahead_is_acknowledged_after_the_ackers_runtime_is_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sink = first.block_on(async { start_sink(dir.path(), &metrics) });
    let acks = sink
        .handoff
        .0
        .acks
        .clone()
        .expect("an acker on the first runtime");
    drop(first);
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let seqs = other.block_on(async {
        let mut seqs = Vec::new();
        for i in 1..=3 {
            let written = tokio::time::timeout(
                Duration::from_secs(10),
                sink.write_ahead(Kind::Decision, decision(i)),
            )
            .await
            .expect("acknowledged, not left waiting")
            .expect("written");
            seqs.push(written);
        }
        sink.close().await;
        seqs
    });
    // nothing went through the gone acker
    assert_eq!(acks.wakes.load(Ordering::Relaxed), 0);
    let records = stream_records(dir.path());
    let written: Vec<u64> = records
        .iter()
        .filter(|r| r["kind"] == "decision")
        .map(|r| r["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(written, seqs, "each caller got its own record's seq");
}

/// A written record's line buffer comes back to the thread that built it, with its batch's
/// acknowledgement, and that thread's next record is built in it: the spare count stays at one
/// (it would grow by one a record without the reuse, and stay at zero without the return).
/// The stream is as without the return.
#[tokio::test(flavor = "current_thread")]
async fn written_lines_come_back_to_the_request_thread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = Arc::new(Metrics::new());
    let sink = start_sink(dir.path(), &metrics);
    let spare = crate::audit::call::spare_lines;
    let none_yet = spare();
    for i in 0..8u64 {
        let body = OutcomeBody {
            decision_id: id(i),
            status: 200,
            latency_us: i,
            ..OutcomeBody::default()
        };
        let body = Body::Prebuilt(Prebuilt::outcome(&body).expect("line"));
        sink.write_ahead_body(Kind::Outcome, body, None)
            .await
            .expect("written");
        assert_eq!(spare(), none_yet.max(1), "record {i}");
    }
    let ids: Vec<Value> = stream_records(dir.path())
        .into_iter()
        .filter(|r| r["kind"] == "outcome")
        .map(|r| r["decision_id"].clone())
        .collect();
    assert_eq!(ids, (0..8).map(|i| json!(id(i))).collect::<Vec<_>>());
}

/// What a thread keeps of the buffers handed back is bounded: at most 256, none above 16 KiB.
#[test]
fn spare_lines_are_bounded() {
    std::thread::spawn(|| {
        let spare = crate::audit::call::spare_lines;
        let mut big = vec![Vec::with_capacity(64 << 10)];
        crate::audit::call::give_back_lines(&mut big);
        assert!(big.is_empty());
        assert_eq!(spare(), 0, "a buffer above 16 KiB is freed");
        let mut lines: Vec<Vec<u8>> = (0..300).map(|_| vec![b'x'; 100]).collect();
        crate::audit::call::give_back_lines(&mut lines);
        assert!(lines.is_empty());
        assert_eq!(spare(), 256);
    })
    .join()
    .expect("thread");
}
