//! Tamper tests on real files: every manipulation is detected at the right file:line
//! with the right reason. Here: the chain within a file (edits, deletions, swaps, forged
//! lines) and input that is not a stream; `files`: torn, cut, missing and live files;
//! `keys`: signatures and key rotation.

use super::*;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::super::canonical::parse_hex;
use super::super::chain::{file_name, list_streams};
use super::super::checkpoint::parse_note;
use super::super::keys::TrustedKeys;
use super::super::merkle::CompactRange;
use super::super::record::Kind;
use super::super::AuditError;
use crate::audit::canonical::{canonicalize, entry_hash, hex};
use crate::audit::chain::tests::{decision, outcome, test_key, test_opts, write_stream};
use crate::audit::chain::ChainWriter;
use crate::audit::checkpoint::sign_note;
use serde_json::json;

mod files;
mod keys;

const PAIRS: u64 = 150;

fn trusted() -> TrustedKeys {
    let mut keys = TrustedKeys::new();
    keys.add(test_key(1).verifier());
    keys
}

fn path(dir: &Path, no: u64) -> PathBuf {
    dir.join(file_name("audit", no))
}

fn read_lines(p: &Path) -> Vec<String> {
    fs::read_to_string(p)
        .expect("read")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(p: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(p, text).expect("write");
}

fn kind_of(line: &str) -> String {
    let v: Value = serde_json::from_str(line).expect("json");
    v["kind"].as_str().unwrap_or_default().to_owned()
}

/// Index (0-based) of the first line at or after `from` whose kind and the next line's
/// kind are both `decision`/`outcome`.
fn plain_pair_at(lines: &[String], from: usize) -> usize {
    (from..lines.len() - 1)
        .find(|&i| {
            let (a, b) = (kind_of(&lines[i]), kind_of(&lines[i + 1]));
            (a == "decision" || a == "outcome") && (b == "decision" || b == "outcome")
        })
        .expect("a pair of plain records")
}

fn canonical_line(v: &Value) -> String {
    String::from_utf8(canonicalize(v).expect("canonical")).expect("utf8")
}

/// A stream over >= 3 files; returns the tempdir.
fn fresh_stream() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_stream(dir.path(), PAIRS);
    let report = verify_path(dir.path(), &trusted());
    assert!(report.valid, "baseline must verify: {report}");
    assert!(report.files >= 3, "{report}");
    dir
}

fn expect_error(dir: &Path, keys: &TrustedKeys, file: u64, line: u64, reason: Reason) -> Report {
    let report = verify_path(dir, keys);
    let err = report
        .error
        .clone()
        .unwrap_or_else(|| panic!("expected {reason:?}, got: {report}"));
    assert_eq!(
        (err.file.as_str(), err.line, err.reason),
        (file_name("audit", file).as_str(), line, reason),
        "{report}"
    );
    assert!(!report.valid);
    report
}

fn first_checkpoint(lines: &[String]) -> usize {
    lines
        .iter()
        .position(|l| kind_of(l) == "checkpoint")
        .expect("a checkpoint")
}

#[test]
fn clean_stream_verifies_with_summary() {
    let dir = fresh_stream();
    let report = verify_path(dir.path(), &trusted());
    assert!(report.warnings.is_empty(), "{report}");
    // header per file + 2 records per pair + checkpoints
    assert_eq!(
        report.records,
        report.files + 2 * PAIRS + report.checkpoints
    );
    assert_eq!(report.signatures, report.checkpoints);
    let text = report.to_string();
    let head = &report.streams[0];
    assert_eq!((head.stream.as_str(), head.size), ("audit", report.records));
    assert!(
        text.starts_with(&format!(
            "Stream audit: size {} root {}\nResults: {} files, ",
            report.records, head.root, report.files
        )),
        "{text}"
    );
    assert!(
        text.ends_with("checkpoints verified; 0 invalid\n"),
        "{text}"
    );
    let (out, code) = run_verify_cli(dir.path(), None, Expect::default(), true);
    assert_eq!(code, 0, "{out}");
    let json: Value = serde_json::from_str(&out).expect("json report");
    assert_eq!(json["valid"], json!(true));
    assert_eq!(json["streams"][0]["size"], json!(report.records));
    assert_eq!(json["streams"][0]["root"], json!(head.root));
    assert_eq!(
        json["warnings"][0]["reason"],
        json!("signatures_not_checked")
    );
}

#[test]
fn visitor_sees_every_verified_record_in_order() {
    let dir = fresh_stream();
    let mut seen = Vec::new();
    let report = verify_path_with(dir.path(), &trusted(), &mut |loc, rec| {
        seen.push((
            loc.file.to_owned(),
            loc.line,
            rec["seq"].as_u64(),
            rec["kind"].clone(),
        ));
    });
    assert!(report.valid);
    assert_eq!(seen.len() as u64, report.records);
    assert!(seen.iter().enumerate().all(|(i, r)| r.2 == Some(i as u64)));
    assert_eq!(
        seen[0],
        ("audit-000001.jsonl".to_owned(), 1, Some(0), json!("header"))
    );
    let decisions = seen.iter().filter(|r| r.3 == json!("decision")).count() as u64;
    assert_eq!(decisions, PAIRS);
}

#[test]
fn directory_with_two_streams_adds_up() {
    let dir = fresh_stream();
    let one = verify_path(dir.path(), &trusted());
    let mut opts = test_opts(dir.path(), test_key(1));
    opts.stream = "other".into();
    let mut w = ChainWriter::open(opts).expect("open");
    w.append(Kind::Decision, decision(0)).expect("append");
    w.close().expect("close");
    let two = verify_path(dir.path(), &trusted());
    assert!(two.valid, "{two}");
    assert_eq!(two.files, one.files + 1);
    assert_eq!(two.records, one.records + 3);
    assert_eq!(two.checkpoints, one.checkpoints + 1);
}

#[test]
fn edited_byte_in_a_field_breaks_the_next_prev() {
    let dir = fresh_stream();
    let p = path(dir.path(), 2);
    let mut lines = read_lines(&p);
    let i = plain_pair_at(&lines, 5);
    assert!(lines[i].contains("\"status\":"), "{}", lines[i]);
    lines[i] = lines[i]
        .replacen("\"latency_ms\":41", "\"latency_ms\":42", 1)
        .replacen("\"latency_us\":87", "\"latency_us\":88", 1);
    write_lines(&p, &lines);
    let r = expect_error(
        dir.path(),
        &trusted(),
        2,
        i as u64 + 2,
        Reason::PrevMismatch,
    );
    let msg = r.error.map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains(": prev hash mismatch: expected "), "{msg}");
    let (out, code) = run_verify_cli(
        dir.path(),
        Some(&keys_file(dir.path())),
        Expect::default(),
        false,
    );
    assert_eq!(code, 1);
    assert!(
        out.starts_with(&format!(
            "INVALID: audit-000002.jsonl:{}: prev hash mismatch: expected ",
            i + 2
        )),
        "{out}"
    );
    assert!(out.ends_with("; 1 invalid\n"), "{out}");
}

fn keys_file(dir: &Path) -> PathBuf {
    let p = dir.join("trusted.keys");
    fs::write(&p, format!("# test\n{}\n", test_key(1).verifier())).expect("write keys");
    p
}

#[test]
fn non_canonical_line_is_reported_on_that_line() {
    let dir = fresh_stream();
    let p = path(dir.path(), 1);
    let mut lines = read_lines(&p);
    lines[3] = lines[3].replacen('{', "{ ", 1);
    write_lines(&p, &lines);
    expect_error(dir.path(), &trusted(), 1, 4, Reason::NotCanonical);
}

#[test]
fn deleted_line_is_a_seq_gap() {
    let dir = fresh_stream();
    let p = path(dir.path(), 2);
    let mut lines = read_lines(&p);
    lines.remove(9);
    write_lines(&p, &lines);
    expect_error(dir.path(), &trusted(), 2, 10, Reason::SeqGap);
}

#[test]
fn swapped_lines_are_a_seq_gap_at_the_first() {
    let dir = fresh_stream();
    let p = path(dir.path(), 3);
    let mut lines = read_lines(&p);
    let i = plain_pair_at(&lines, 4);
    lines.swap(i, i + 1);
    write_lines(&p, &lines);
    expect_error(dir.path(), &trusted(), 3, i as u64 + 1, Reason::SeqGap);
}

#[test]
fn forged_line_with_relinked_chain_fails_at_the_next_checkpoint() {
    let dir = fresh_stream();
    let p = path(dir.path(), 2);
    let mut lines = read_lines(&p);
    let i = plain_pair_at(&lines, 3);
    // Forge a record after line i, then renumber and relink everything after it up to and
    // including the next checkpoint (whose clear fields the forger also updates; the
    // signed note cannot be redone).
    let mut forged: Value = serde_json::from_str(&lines[i]).expect("json");
    forged["tool"] = json!("stripe.transfer_all");
    lines.insert(i + 1, canonical_line(&forged));
    let mut prev_line = lines[i].clone();
    let mut cp_line = 0;
    for (j, line) in lines.iter_mut().enumerate().skip(i + 1) {
        let mut v: Value = serde_json::from_str(line).expect("json");
        let seq = serde_json::from_str::<Value>(&prev_line).expect("json")["seq"]
            .as_u64()
            .expect("seq")
            + 1;
        v["seq"] = json!(seq);
        v["prev"] = json!(hex(&entry_hash(prev_line.as_bytes())));
        let is_cp = v["kind"] == json!("checkpoint");
        if is_cp {
            v["tree_size"] = json!(seq);
            v["head"] = v["prev"].clone();
        }
        *line = canonical_line(&v);
        prev_line = line.clone();
        if is_cp {
            cp_line = j + 1;
            break;
        }
    }
    assert!(cp_line > 0, "a checkpoint follows");
    write_lines(&p, &lines);
    expect_error(
        dir.path(),
        &trusted(),
        2,
        cp_line as u64,
        Reason::MerkleRootMismatch,
    );
}

#[test]
fn cli_usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, code) = run_verify_cli(&dir.path().join("nope"), None, Expect::default(), false);
    assert_eq!(code, 2, "{out}");
    let (out, code) = run_verify_cli(dir.path(), None, Expect::default(), false);
    assert_eq!(code, 2, "{out}");
    let bad_keys = dir.path().join("k");
    fs::write(&bad_keys, "garbage\n").expect("write");
    let (out, code) = run_verify_cli(dir.path(), Some(&bad_keys), Expect::default(), false);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot load trusted keys"), "{out}");
}

#[test]
fn lines_that_are_not_records() {
    // (replacement for line 3 of file 1, expected reason)
    let cases: Vec<(String, Reason)> = vec![
        ("not json".into(), Reason::NotJson),
        ("[1,2]".into(), Reason::MalformedRecord),
        (
            r#"{"kind":"decision","prev":"00","seq":2,"ts":"2026-11-21T10:00:00.123Z"}"#.into(),
            Reason::MalformedRecord,
        ),
        (
            r#"{"kind":"decision","seq":2,"x":9007199254740993}"#.into(),
            Reason::IntegerTooLarge,
        ),
    ];
    for (replacement, reason) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        write_stream(dir.path(), 20);
        let p = path(dir.path(), 1);
        let mut lines = read_lines(&p);
        lines[2] = replacement.clone();
        write_lines(&p, &lines);
        expect_error(dir.path(), &trusted(), 1, 3, reason);
    }
}
