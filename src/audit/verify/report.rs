//! What a verification found ([`Report`], [`Finding`], the closed [`Reason`] codes) and how
//! `audit verify` prints it: warnings, at most one `INVALID: <file>:<line>: <reason>` line,
//! then `Results: …` (after `aws cloudtrail validate-logs`), or JSON.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::super::canonical::Hash;
use super::super::keys::TrustedKeys;

/// Why a stream is invalid (or, for warnings, what is worth knowing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The line is not JSON.
    NotJson,
    /// The line is JSON but not its RFC 8785 canonical form.
    NotCanonical,
    /// A required field is missing or has the wrong type or form.
    MalformedRecord,
    /// An integer beyond ±2^53.
    IntegerTooLarge,
    /// `seq` skips ahead (a record is missing or records are out of order).
    SeqGap,
    /// `seq` goes backwards or repeats.
    SeqRegression,
    /// `prev` is not the hash of the previous record.
    PrevMismatch,
    /// A file of the stream is missing.
    MissingFile,
    /// A file header does not match its file name or the chain.
    HeaderMismatch,
    /// A recovery record does not describe the torn file before it.
    RecoveryMismatch,
    /// A checkpoint's signed Merkle root differs from the recomputed one.
    MerkleRootMismatch,
    /// A checkpoint's signed size or head, or its clear fields, do not match the chain.
    CheckpointMismatch,
    /// A signature does not verify.
    BadSignature,
    /// No signature is by a trusted key.
    UnknownKey,
    /// A `key_rotation` record does not name the current key or a valid new key.
    BadKeyRotation,
    /// A file ends in a partial record with no recovery record after it.
    TruncatedTail,
    /// Records that no checkpoint seals.
    UnsealedRecords,
    /// Warning: signatures were not checked (no trusted keys given).
    SignaturesNotChecked,
    /// Warning: a single file was verified from its header; earlier files were not.
    PartialChain,
    /// Warning: a torn tail was recovered by a recovery record in the next file.
    RecoveredTornTail,
    /// The stream holds fewer records than `--expect-size` (it was truncated).
    ExpectedSizeMismatch,
    /// The Merkle root over the first `--expect-size` records (or all of them) is not
    /// `--expect-root` (the stream was rewritten).
    ExpectedRootMismatch,
    /// The writer closed the stream cleanly (its `<stream>.closed` marker says where), but the
    /// stream does not end in that shutdown checkpoint: it was truncated or extended since.
    MissingShutdownCheckpoint,
    /// Warning: the stream does not end in a shutdown checkpoint (toolwall is running, was
    /// stopped without closing the stream, or the stream was truncated).
    NotClosed,
}

/// One located finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// File name (without directory).
    pub file: String,
    /// 1-based line number (0 when the finding is about a whole file).
    pub line: u64,
    /// Closed reason code.
    pub reason: Reason,
    /// Human-readable explanation.
    pub message: String,
}

/// The result of a verification.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Whether everything verified.
    pub valid: bool,
    /// Files read.
    pub files: u64,
    /// Records that passed every check.
    pub records: u64,
    /// Checkpoints whose Merkle root (and, with keys, signature) verified.
    pub checkpoints: u64,
    /// Signatures verified.
    pub signatures: u64,
    /// The first error, if any.
    pub error: Option<Finding>,
    /// Warnings (the stream may still be valid).
    pub warnings: Vec<Finding>,
    /// An I/O or usage problem that prevented verification (exit 2).
    pub io_error: Option<String>,
    /// Size and Merkle root of each stream verified: store them elsewhere and pass them back
    /// as `--expect-size` / `--expect-root` to detect a later truncation.
    pub streams: Vec<StreamHead>,
}

/// Where a verified stream ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamHead {
    /// The stream name.
    pub stream: String,
    /// Records in the stream (its Merkle tree size; the next record's `seq`).
    pub size: u64,
    /// RFC 6962 Merkle root over all its records, lower-case hex.
    pub root: String,
}

/// What the operator expects of the stream (`audit verify --expect-size / --expect-root`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expect {
    /// The stream must hold at least this many records (a size printed by an earlier verify).
    pub size: Option<u64>,
    /// Merkle root of the first `size` records (of all records without `size`).
    pub root: Option<Hash>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in &self.warnings {
            writeln!(f, "WARNING: {w}")?;
        }
        if let Some(e) = &self.io_error {
            writeln!(f, "ERROR: {e}")?;
        }
        if let Some(e) = &self.error {
            writeln!(f, "INVALID: {e}")?;
        }
        for h in &self.streams {
            writeln!(f, "Stream {}: size {} root {}", h.stream, h.size, h.root)?;
        }
        writeln!(
            f,
            "Results: {} {}, {} {}, {} {} verified; {} invalid",
            self.files,
            plural(self.files, "file", "files"),
            self.records,
            plural(self.records, "record", "records"),
            self.checkpoints,
            plural(self.checkpoints, "checkpoint", "checkpoints"),
            u64::from(self.error.is_some())
        )
    }
}

pub(super) fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

pub(super) fn finding(file: &str, line: u64, reason: Reason, message: String) -> Finding {
    Finding {
        file: file.to_owned(),
        line,
        reason,
        message,
    }
}

/// `toolwall audit verify PATH [--keys FILE] [--expect-size N] [--expect-root HEX] [--json]`:
/// the text (or JSON) to print and the exit code (0 valid, 1 invalid, 2 usage or I/O error).
pub fn run_verify_cli(
    path: &Path,
    keys_file: Option<&Path>,
    expect: Expect,
    json: bool,
) -> (String, i32) {
    let keys = match keys_file.map(TrustedKeys::load).transpose() {
        Ok(k) => k.unwrap_or_default(),
        Err(e) => {
            let report = Report {
                io_error: Some(format!("cannot load trusted keys: {e}")),
                ..Report::default()
            };
            return (render(&report, json), 2);
        }
    };
    let report = if path.exists() {
        super::files::verify_path_visiting(path, &keys, expect, None)
    } else {
        Report {
            io_error: Some(format!("{}: no such file or directory", path.display())),
            ..Report::default()
        }
    };
    let code = if report.io_error.is_some() {
        2
    } else if report.valid {
        0
    } else {
        1
    };
    (render(&report, json), code)
}

fn render(report: &Report, json: bool) -> String {
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            Err(e) => format!("{{\"io_error\":\"cannot serialise report: {e}\"}}\n"),
        }
    } else {
        report.to_string()
    }
}
