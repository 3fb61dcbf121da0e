use super::tests::{decision, test_key, test_opts};
use super::*;
use crate::audit::verify::{verify_path, Reason};
use crate::audit::TrustedKeys;

#[test]
fn closed_file_without_final_checkpoint_is_unsealed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.rotate_bytes = 1 << 30;
    let mut w = ChainWriter::open(opts).expect("open");
    for i in 0..45 {
        w.append(Kind::Decision, decision(i)).expect("append");
    }
    // Simulate a writer bug: rotate without sealing the file first.
    w.since_checkpoint = 0;
    w.rotate().expect("rotate");
    w.close().expect("close");
    let mut keys = TrustedKeys::new();
    keys.add(test_key(1).verifier());
    let report = verify_path(dir.path(), &keys);
    let err = report.error.clone().expect("unsealed error");
    assert_eq!(
        (err.file.as_str(), err.line, err.reason),
        ("audit-000001.jsonl", 42, Reason::UnsealedRecords)
    );
    assert!(
        report.to_string().contains("unsealed records: 6 records"),
        "{report}"
    );
}
