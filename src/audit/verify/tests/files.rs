//! Files of a stream: torn tails and their recovery, missing, emptied and cut-back files,
//! live files with unsealed records, single files verified from their header.

use super::*;

#[test]
fn truncated_tail_is_reported_until_the_writer_recovers() {
    let dir = fresh_stream();
    let files = list_streams(dir.path()).expect("list")["audit"].clone();
    let (last_no, last_path) = files.last().cloned().expect("files");
    let lines = read_lines(&last_path);
    let len = fs::metadata(&last_path).expect("meta").len();
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&last_path)
        .expect("open");
    file.set_len(len - 25).expect("truncate");
    drop(file);
    expect_error(
        dir.path(),
        &trusted(),
        last_no,
        lines.len() as u64,
        Reason::TruncatedTail,
    );

    // The stream was closed cleanly, so the cut is not a crash: the writer refuses it
    // until the operator removes the clean-close marker.
    let marker = crate::audit::chain::closed_marker_path(dir.path(), "audit");
    assert!(matches!(
        ChainWriter::open(test_opts(dir.path(), test_key(1))),
        Err(AuditError::Corrupt(m)) if m.contains("closed cleanly")
    ));
    fs::remove_file(&marker).expect("accept the stream as it is");
    // The writer re-opens: a new file with header + recovery, the old one untouched.
    let torn = fs::read(&last_path).expect("read");
    let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("recover");
    assert_eq!(w.current_path(), path(dir.path(), last_no + 1));
    assert_eq!(
        fs::read(&last_path).expect("read"),
        torn,
        "torn file is never edited"
    );
    let report = verify_path(dir.path(), &trusted());
    assert!(report.valid, "{report}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.reason == Reason::RecoveredTornTail),
        "{report}"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.reason == Reason::UnsealedRecords),
        "{report}"
    );
    w.append(Kind::Decision, decision(999))
        .expect("append after recovery");
    w.close().expect("close");
    let new_lines = read_lines(&path(dir.path(), last_no + 1));
    assert_eq!(kind_of(&new_lines[1]), "recovery");
    let report = verify_path(dir.path(), &trusted());
    assert!(report.valid, "{report}");
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.reason == Reason::UnsealedRecords),
        "{report}"
    );
}

#[test]
fn empty_last_file_is_a_torn_header_and_recovers() {
    let dir = fresh_stream();
    let n = list_streams(dir.path()).expect("list")["audit"].len() as u64;
    fs::write(path(dir.path(), n + 1), b"").expect("empty file");
    expect_error(dir.path(), &trusted(), n + 1, 1, Reason::TruncatedTail);
    // as after a crash of a live writer (which leaves no clean-close marker)
    fs::remove_file(crate::audit::chain::closed_marker_path(dir.path(), "audit")).expect("marker");
    let w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("recover");
    w.close().expect("close");
    let report = verify_path(dir.path(), &trusted());
    assert!(report.valid, "{report}");
}

#[test]
fn deleted_middle_file_is_reported() {
    let dir = fresh_stream();
    fs::remove_file(path(dir.path(), 2)).expect("rm");
    let r = expect_error(dir.path(), &trusted(), 3, 1, Reason::MissingFile);
    assert!(r
        .error
        .map(|e| e.message)
        .unwrap_or_default()
        .contains("audit-000002.jsonl"));
}

/// Cut the last file of a closed stream back to just after its last periodic checkpoint.
fn cut_to_last_periodic_checkpoint(dir: &Path) -> u64 {
    let files = list_streams(dir).expect("list")["audit"].clone();
    let (last_no, last_path) = files.last().cloned().expect("files");
    let lines = read_lines(&last_path);
    assert!(lines.last().is_some_and(|l| l.contains("\"closed\":true")));
    let keep = lines[..lines.len() - 1]
        .iter()
        .rposition(|l| kind_of(l) == "checkpoint")
        .expect("a periodic checkpoint in the last file");
    write_lines(&last_path, &lines[..=keep]);
    last_no
}

#[test]
fn stream_cut_back_to_a_checkpoint_is_detected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.rotate_bytes = 1 << 30;
    let mut w = ChainWriter::open(opts).expect("open");
    for i in 0..100 {
        w.append(Kind::Decision, decision(i)).expect("decision");
        w.append(Kind::Outcome, outcome(i)).expect("outcome");
    }
    w.close().expect("close");
    let full = verify_path(dir.path(), &trusted());
    let head = full.streams[0].clone();
    let root = parse_hex(&head.root).expect("hex root");
    let expect_all = Expect {
        size: Some(head.size),
        root: Some(root),
    };
    let ok = verify_path_expect(dir.path(), &trusted(), expect_all, &mut |_, _| {});
    assert!(ok.valid && ok.warnings.is_empty(), "{ok}");
    // A prefix the operator stored earlier still verifies against a grown stream.
    let mut prefix_root = None;
    let mut n = 0u64;
    let mut tree = CompactRange::new();
    for (_, p) in &list_streams(dir.path()).expect("list")["audit"] {
        for l in read_lines(p) {
            tree.append(entry_hash(l.as_bytes()));
            n += 1;
            if n == 100 {
                prefix_root = Some(tree.root());
            }
        }
    }
    let prefix = Expect {
        size: Some(100),
        root: prefix_root,
    };
    let r = verify_path_expect(dir.path(), &trusted(), prefix, &mut |_, _| {});
    assert!(r.valid, "{r}");
    let wrong = Expect {
        size: Some(100),
        root: Some([7u8; 32]),
    };
    let r = verify_path_expect(dir.path(), &trusted(), wrong, &mut |_, _| {});
    assert_eq!(
        r.error.as_ref().map(|e| e.reason),
        Some(Reason::ExpectedRootMismatch),
        "{r}"
    );
    assert!(r.to_string().contains("the first 100 records"), "{r}");

    let last_no = cut_to_last_periodic_checkpoint(dir.path());
    // The clean-close marker says where the stream ended.
    let report = expect_error(
        dir.path(),
        &trusted(),
        last_no,
        0,
        Reason::MissingShutdownCheckpoint,
    );
    assert!(
        report.to_string().contains(&format!(
            "closed stream audit cleanly at size {}",
            head.size
        )),
        "{report}"
    );
    // Without the marker (copied elsewhere, or removed), the operator's stored size and
    // root still catch it, and a plain verify warns.
    fs::remove_file(crate::audit::chain::closed_marker_path(dir.path(), "audit")).expect("marker");
    let plain = verify_path(dir.path(), &trusted());
    assert!(plain.valid, "{plain}");
    assert!(
        plain.warnings.iter().any(|w| w.reason == Reason::NotClosed),
        "{plain}"
    );
    let r = verify_path_expect(dir.path(), &trusted(), expect_all, &mut |_, _| {});
    let err = r.error.clone().expect("size mismatch");
    assert_eq!(err.reason, Reason::ExpectedSizeMismatch, "{r}");
    assert!(
        err.message
            .contains(&format!("fewer than the {} expected", head.size))
            && err.message.contains("truncated"),
        "{r}"
    );
    let root_only = Expect {
        size: None,
        root: Some(root),
    };
    let r = verify_path_expect(dir.path(), &trusted(), root_only, &mut |_, _| {});
    assert_eq!(
        r.error.map(|e| e.reason),
        Some(Reason::ExpectedRootMismatch)
    );
    // The CLI: exit 1 with the reason.
    let (out, code) = run_verify_cli(dir.path(), None, expect_all, false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("INVALID") && out.contains("truncated"),
        "{out}"
    );
}

#[test]
fn live_file_reports_unsealed_records_as_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.rotate_bytes = 1 << 30;
    let mut w = ChainWriter::open(opts).expect("open");
    for i in 0..45 {
        w.append(Kind::Decision, decision(i)).expect("append");
    }
    drop(w);
    let report = verify_path(dir.path(), &trusted());
    assert!(report.valid, "{report}");
    let text = report.to_string();
    assert!(
        text.contains(
            "WARNING: audit-000001.jsonl:42: 6 records after the last checkpoint are not yet sealed"
        ),
        "{text}"
    );
}

#[test]
fn single_middle_file_verifies_from_its_header() {
    let dir = fresh_stream();
    let report = verify_path(&path(dir.path(), 2), &trusted());
    assert!(report.valid, "{report}");
    assert_eq!(report.files, 1);
    assert!(report
        .warnings
        .iter()
        .any(|w| w.reason == Reason::PartialChain));
}

#[test]
fn writer_refuses_to_extend_a_corrupt_tail() {
    let dir = fresh_stream();
    let files = list_streams(dir.path()).expect("list")["audit"].clone();
    let (_, last_path) = files.last().cloned().expect("files");
    let mut lines = read_lines(&last_path);
    lines.remove(2);
    write_lines(&last_path, &lines);
    match ChainWriter::open(test_opts(dir.path(), test_key(1))) {
        Err(AuditError::Corrupt(msg)) => assert!(msg.contains("seq gap"), "{msg}"),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("writer extended a corrupt stream"),
    }
}
