//! `audit verify` streams: memory stays flat however long the stream is, and the streamed
//! verifier still finds an edit deep inside a large file.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Map, Value};
use toolwall::audit::{AuditSigner, ChainWriter, Kind, SyncMode, WriterOptions};

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");

/// Records in the generated stream: ~700 bytes each, ~75 MB in all (two files at the default
/// 64 MiB rotation).
const RECORDS: u64 = 110_000;

/// Peak RSS allowed to `audit verify` of that stream (a debug build of the binary peaks at
/// ~34 MB on it, flat from the first file on). Holding one file (64 MiB), or any per-record
/// state of a few hundred bytes, breaks it.
const MAX_RSS_KB: u64 = 56 * 1024;

fn body(i: u64) -> Map<String, Value> {
    let v = json!({
        "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"),
        "trace_id": format!("{:032x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        "agent": "billing-dispute-v3", "tenant_id": "acme_co", "adapter": "stripe",
        "tool": "stripe.create_refund", "mode": "enforce", "decision": "allow",
        "status": null, "reason": null, "reasons": [], "redactions": [],
        "request": {"method": "POST", "host": "api.stripe.example", "path": "/v1/refunds"},
        "policy": {"version": "v1", "digest": "sha256:ab12", "result": {"allow": true, "reasons": []}},
        "args": {"charge": format!("ch_{i:08}"), "amount": 1200 + (i % 1000), "cost": 0.25,
                 "note": "customer called about a duplicate charge and asked for a refund \u{e9}\n"},
        "input": {"tool": {"name": "stripe.create_refund", "risk": "write"}, "usage": {}},
        "latency_us": 87 + (i % 50),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A stream of `RECORDS` decision records in `root/audit`, signed with `root/keys/audit.key`.
fn generate(root: &Path) {
    assert_eq!(
        toolwall::cli::audit::keygen(&root.join("keys"), "verify-stream"),
        0
    );
    let signer = AuditSigner::load(&root.join("keys/audit.key")).expect("key");
    let mut opts = WriterOptions::new(root.join("audit"), "toolwall", signer);
    opts.sync = SyncMode::None;
    let mut w = ChainWriter::open(opts).expect("open");
    for i in 0..RECORDS {
        w.append(Kind::Decision, body(i)).expect("append");
    }
    w.close().expect("close");
}

/// Run `toolwall audit verify --json` on `dir`; its exit code, stdout and peak RSS (kB), read
/// from `/proc/<pid>/status` (`VmHWM` only grows) until the process exits.
fn verify_with_peak_rss(root: &Path) -> (i32, String, u64) {
    let mut child = Command::new(BIN)
        .args(["audit", "verify", "--json", "--keys"])
        .arg(root.join("keys/audit.pub"))
        .arg(root.join("audit"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn toolwall");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        use std::io::Read;
        stdout.read_to_string(&mut out).expect("stdout");
    }
    (status.code().unwrap_or(-1), out, peak)
}

#[test]
fn verify_of_a_large_stream_runs_in_flat_memory_and_still_finds_a_deep_edit() {
    let root = tempfile::tempdir().expect("tmp");
    generate(root.path());
    let audit = root.path().join("audit");
    let mut files: Vec<_> = std::fs::read_dir(&audit)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let total: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(files.len() >= 2, "{files:?}");
    assert!(total > 64 << 20, "stream of {total} bytes");

    let (code, out, peak_kb) = verify_with_peak_rss(root.path());
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).expect("json report");
    assert_eq!(report["valid"], true, "{out}");
    // header + records + checkpoints, in both files
    let records = report["records"].as_u64().unwrap_or(0);
    assert!(records > RECORDS, "{out}");
    assert_eq!(
        report["streams"][0]["size"].as_u64(),
        Some(records),
        "{out}"
    );
    assert!(peak_kb > 0, "no VmHWM read");
    assert!(
        peak_kb < MAX_RSS_KB,
        "audit verify of {total} bytes peaked at {peak_kb} kB (bound {MAX_RSS_KB} kB)"
    );

    // One byte changed in a record deep inside the first file (a digit of an amount, so the
    // line stays canonical JSON): the chain breaks on the next line, reported there.
    let first = &files[0];
    let text = std::fs::read(first).expect("read");
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            text.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    // the first decision record from line 50,001 on (1-based)
    let (target, at) = (50_001..line_starts.len())
        .find_map(|n| {
            let (start, end) = (line_starts[n - 1], line_starts[n]);
            text[start..end]
                .windows(9)
                .position(|w| w == b"\"amount\":")
                .map(|p| (n, start + p + 9))
        })
        .expect("a decision record");
    let mut tampered = text.clone();
    tampered[at] = if tampered[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(first, &tampered).expect("write");
    drop(text);
    let (code, out, _) = verify_with_peak_rss(root.path());
    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(&out).expect("json report");
    assert_eq!(report["valid"], false, "{out}");
    let err = report["error"].to_string();
    assert!(
        err.contains("prev_mismatch") && err.contains(&format!("\"line\":{}", target + 1)),
        "{out}"
    );
}
