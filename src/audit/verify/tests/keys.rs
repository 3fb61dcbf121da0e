//! Signatures: unknown and broken signatures, key rotation (sealed and interrupted).

use super::*;

#[test]
fn checkpoint_resigned_with_unknown_key() {
    let dir = fresh_stream();
    let p = path(dir.path(), 2);
    let mut lines = read_lines(&p);
    let i = first_checkpoint(&lines);
    let mut v: Value = serde_json::from_str(&lines[i]).expect("json");
    let note = parse_note(v["note"].as_str().expect("note")).expect("parse");
    v["note"] = json!(sign_note(&note.text, &[&test_key(66)]));
    lines[i] = canonical_line(&v);
    write_lines(&p, &lines);
    expect_error(dir.path(), &trusted(), 2, i as u64 + 1, Reason::UnknownKey);
}

#[test]
fn checkpoint_with_broken_signature() {
    let dir = fresh_stream();
    let p = path(dir.path(), 1);
    let mut lines = read_lines(&p);
    let i = first_checkpoint(&lines);
    let mut v: Value = serde_json::from_str(&lines[i]).expect("json");
    let note = parse_note(v["note"].as_str().expect("note")).expect("parse");
    // Sign different text but keep the original body: the signature no longer matches.
    let other = sign_note("other\n", &[&test_key(1)]);
    let sig_line = other.split("\n\n").nth(1).unwrap_or_default();
    v["note"] = json!(format!("{}\n{}", note.text, sig_line));
    lines[i] = canonical_line(&v);
    write_lines(&p, &lines);
    expect_error(
        dir.path(),
        &trusted(),
        1,
        i as u64 + 1,
        Reason::BadSignature,
    );
}

#[test]
fn key_rotation_verifies_with_the_old_key_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
    for i in 0..60 {
        w.append(Kind::Decision, decision(i)).expect("append");
    }
    let cp = w.rotate_key(test_key(2)).expect("rotate key");
    for i in 60..200 {
        w.append(Kind::Outcome, outcome(i)).expect("append");
    }
    w.close().expect("close");
    let report = verify_path(dir.path(), &trusted());
    assert!(report.valid, "{report}");
    assert_eq!(
        report.signatures,
        report.checkpoints + 1,
        "the rotation checkpoint has two"
    );

    // The dual-signed checkpoint carries both signature lines.
    let all: Vec<String> = (1..=report.files)
        .flat_map(|n| read_lines(&path(dir.path(), n)))
        .collect();
    let line = all
        .iter()
        .find(|l| l.contains(&format!("\"seq\":{},", cp.seq)))
        .expect("cp");
    let v: Value = serde_json::from_str(line).expect("json");
    assert_eq!(
        parse_note(v["note"].as_str().expect("note"))
            .expect("note")
            .signatures
            .len(),
        2
    );

    // Trusting only the new key: the first (old-key) checkpoint is unknown.
    let mut only_new = TrustedKeys::new();
    only_new.add(test_key(2).verifier());
    let r = verify_path(dir.path(), &only_new);
    assert_eq!(r.error.map(|e| e.reason), Some(Reason::UnknownKey));
}

#[test]
fn interrupted_key_rotation_is_abandoned_by_recovery() {
    // cut: bytes to remove from the end — the whole checkpoint line (a write torn exactly
    // between the two lines) or part of it (an ordinary torn tail).
    for whole_line in [true, false] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
        for i in 0..10 {
            w.append(Kind::Decision, decision(i)).expect("append");
        }
        w.rotate_key(test_key(2)).expect("rotate key");
        drop(w);
        let p = path(dir.path(), 1);
        let bytes = fs::read(&p).expect("read");
        let last_line_start = bytes[..bytes.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .expect("lines")
            + 1;
        let keep = if whole_line {
            last_line_start
        } else {
            last_line_start + 30
        };
        fs::write(&p, &bytes[..keep]).expect("cut");
        let report = verify_path(dir.path(), &trusted());
        assert_eq!(report.valid, whole_line, "{report}");
        // The operator restarts with the old key: the rotation is void.
        let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("recover");
        assert!(w.current_path().ends_with("audit-000002.jsonl"));
        w.append(Kind::Decision, decision(99)).expect("append");
        w.close().expect("close");
        let report = verify_path(dir.path(), &trusted());
        assert!(report.valid, "{report}");
        // The new key was never sealed in, so it is not trusted.
        let mut only_new = TrustedKeys::new();
        only_new.add(test_key(2).verifier());
        assert!(!verify_path(dir.path(), &only_new).valid);
    }
}
