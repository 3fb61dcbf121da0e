//! `audit verify`: re-check canonical form, sequence, hash chain, Merkle roots, signatures,
//! file continuity and torn or unsealed tails, stopping at the first bad `file:line`.
//!
//! Output follows `aws cloudtrail validate-logs`: warnings, then at most one
//! `INVALID: <file>:<line>: <reason>` line, then `Results: …`. The same `Verifier` state
//! machine is used by the writer to re-check the tail of a stream before extending it.
//!
//! Signatures: a checkpoint must carry at least one signature by a trusted key, and every
//! signature by a known key must verify (`verify_strict`). A `key_rotation` record introduces
//! its new key; the checkpoint that follows must be signed by both the old and the new key,
//! after which the new key is trusted for the rest of the run. Without `--keys` nothing is
//! trusted: chain and Merkle checks still run and a warning says signatures were not checked.
//!
//! Limits: an edit to the last record of the live file (after its last checkpoint) cannot be
//! detected by anything in the stream; that is what the "not yet sealed" warning says.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::canonical::{canonicalize, entry_hash, find_unsafe_integer, parse_hex, short, Hash};
use super::chain::{file_name, list_streams};
use super::checkpoint::{parse_note, CheckpointBody};
use super::keys::{AuditVerifier, TrustedKeys};
use super::merkle::CompactRange;
use super::record::{valid_ts, Kind, FORMAT};
use super::AuditError;

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

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Chain position after the last good record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainState {
    /// `seq` the next record must have.
    pub next_seq: u64,
    /// Entry hash of the last record (genesis hash when none).
    pub head: Hash,
    /// Merkle state over entries `0..next_seq`.
    pub merkle: CompactRange,
}

/// What scanning one file found besides errors.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileScan {
    /// Records that verified.
    pub records: u64,
    /// Byte offset where the valid prefix ends.
    pub valid_bytes: u64,
    /// Line number and byte offset of a torn last line.
    pub torn: Option<(u64, u64)>,
    /// Records after the last checkpoint, and the line of the first of them.
    pub unsealed: u64,
    /// Line of the first record after the last checkpoint.
    pub first_unsealed_line: u64,
}

/// The previous file as the recovery check needs it.
#[derive(Debug, Clone)]
struct PrevFile {
    name: String,
    scan: FileScan,
    /// `seq` and hash of its last good record.
    last_seq: Option<u64>,
    last_hash: Hash,
}

/// Line-by-line verification state across the files of one stream.
pub(crate) struct Verifier {
    stream: String,
    /// `None` until a header bootstraps it in single-file mode.
    state: Option<ChainState>,
    /// `None`: signatures are not checked.
    keys: Option<TrustedKeys>,
    /// Key named by the last checkpoint's signatures (for key rotation checks).
    current_key: Option<String>,
    /// Key introduced by a `key_rotation` record, awaiting its dual-signed checkpoint.
    pending_key: Option<(String, AuditVerifier)>,
    prev_file: Option<PrevFile>,
    /// A key rotation left unsealed at the end of the previous file: the next file must
    /// start with header + recovery, and the rotation is void.
    rotation_abandoned: bool,
    /// Tree size at which to remember the Merkle root (`--expect-size`).
    expect_size: Option<u64>,
    /// The Merkle root when the chain reached `expect_size` records.
    root_at_expected: Option<Hash>,
    /// Whether the last record read is a shutdown checkpoint.
    last_closed: bool,
    pub records: u64,
    pub checkpoints: u64,
    pub signatures: u64,
}

type Check<T> = Result<T, (Reason, String)>;

/// Where a verified record is: file name and 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLoc<'a> {
    /// File name (without directory).
    pub file: &'a str,
    /// 1-based line number.
    pub line: u64,
}

/// Callback receiving each record once it has passed every check.
pub type Visitor<'v> = dyn FnMut(RecordLoc<'_>, &Map<String, Value>) + 'v;

impl Verifier {
    /// Verify from genesis (`bootstrap == false`) or from the first file's header.
    pub(crate) fn new(stream: &str, keys: Option<TrustedKeys>, bootstrap: bool) -> Self {
        let state = (!bootstrap).then(|| ChainState {
            next_seq: 0,
            head: super::canonical::GENESIS_HASH,
            merkle: CompactRange::new(),
        });
        Self {
            stream: stream.to_owned(),
            state,
            keys,
            current_key: None,
            pending_key: None,
            prev_file: None,
            rotation_abandoned: false,
            expect_size: None,
            root_at_expected: None,
            last_closed: false,
            records: 0,
            checkpoints: 0,
            signatures: 0,
        }
    }

    /// Chain position after the last good record.
    pub(crate) fn state(&self) -> Option<&ChainState> {
        self.state.as_ref()
    }

    /// Whether the last record read is a `key_rotation` still waiting for its checkpoint.
    pub(crate) fn has_pending_rotation(&self) -> bool {
        self.pending_key.is_some()
    }

    /// Verify one file's bytes. A torn last line is not an error here: it is returned in
    /// the scan for the caller to judge.
    pub(crate) fn scan_file(
        &mut self,
        name: &str,
        file_no: u64,
        bytes: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<FileScan, Finding> {
        let mut scan = FileScan::default();
        let mut offset = 0usize;
        let mut line_no = 0u64;
        let prev_file = self.prev_file.take();
        while offset < bytes.len() || line_no == 0 {
            line_no += 1;
            let rest = &bytes[offset..];
            let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                scan.torn = Some((line_no, offset as u64));
                break;
            };
            let line = &rest[..nl];
            let is_last = offset + nl + 1 == bytes.len();
            let value: Value = match serde_json::from_slice(line) {
                Ok(v) => v,
                Err(_) if is_last => {
                    scan.torn = Some((line_no, offset as u64));
                    break;
                }
                Err(e) => {
                    return Err(finding(
                        name,
                        line_no,
                        Reason::NotJson,
                        format!("not JSON: {e}"),
                    ));
                }
            };
            let (kind, rec) = self
                .check_line(line_no, file_no, line, value, prev_file.as_ref())
                .map_err(|(reason, msg)| finding(name, line_no, reason, msg))?;
            visit(
                RecordLoc {
                    file: name,
                    line: line_no,
                },
                &rec,
            );
            scan.records += 1;
            self.records += 1;
            if kind == Kind::Checkpoint {
                scan.unsealed = 0;
            } else {
                if scan.unsealed == 0 {
                    scan.first_unsealed_line = line_no;
                }
                scan.unsealed += 1;
            }
            offset += nl + 1;
            scan.valid_bytes = offset as u64;
        }
        let last_seq = self.state.as_ref().and_then(|s| s.next_seq.checked_sub(1));
        let last_hash = self.state.as_ref().map(|s| s.head).unwrap_or_default();
        self.prev_file = Some(PrevFile {
            name: name.to_owned(),
            scan: scan.clone(),
            last_seq,
            last_hash,
        });
        Ok(scan)
    }

    fn check_line(
        &mut self,
        line_no: u64,
        file_no: u64,
        line: &[u8],
        value: Value,
        prev_file: Option<&PrevFile>,
    ) -> Check<(Kind, Map<String, Value>)> {
        let Value::Object(rec) = value else {
            return Err((
                Reason::MalformedRecord,
                "record is not a JSON object".into(),
            ));
        };
        let rec = Value::Object(rec);
        // Before the canonical check: JCS would print such an integer as a rounded double.
        if let Some(path) = find_unsafe_integer(&rec) {
            return Err((
                Reason::IntegerTooLarge,
                format!("integer beyond 2^53 at {path}"),
            ));
        }
        let canonical = canonicalize(&rec).map_err(|e| (Reason::NotCanonical, e.to_string()))?;
        if canonical != line {
            return Err((
                Reason::NotCanonical,
                "record is not in RFC 8785 canonical form".into(),
            ));
        }
        let Value::Object(rec) = rec else {
            return Err((
                Reason::MalformedRecord,
                "record is not a JSON object".into(),
            ));
        };
        let seq = get_u64(&rec, "seq")?;
        let prev = get_hash(&rec, "prev")?;
        let kind_str = get_str(&rec, "kind")?;
        let kind = Kind::parse(kind_str).ok_or_else(|| {
            (
                Reason::MalformedRecord,
                format!("unknown kind {kind_str:?}"),
            )
        })?;
        let ts = get_str(&rec, "ts")?;
        if !valid_ts(ts) {
            return Err((
                Reason::MalformedRecord,
                format!("ts {ts:?} is not RFC 3339 UTC with milliseconds"),
            ));
        }
        if line_no == 1 && kind != Kind::Header {
            return Err((
                Reason::HeaderMismatch,
                format!("file starts with a {kind_str} record, not a header"),
            ));
        }
        if line_no != 1 && kind == Kind::Header {
            return Err((
                Reason::HeaderMismatch,
                "header record in the middle of a file".into(),
            ));
        }
        if self.state.is_none() {
            // Single-file mode: trust the header's claim about everything before it.
            let merkle = header_merkle(&rec)?;
            if self.expect_size == Some(seq) {
                self.root_at_expected = Some(merkle.root());
            }
            self.state = Some(ChainState {
                next_seq: seq,
                head: prev,
                merkle,
            });
        }
        let Some(state) = self.state.as_ref() else {
            return Err((Reason::MalformedRecord, "no chain state".into()));
        };
        if seq < state.next_seq {
            return Err((
                Reason::SeqRegression,
                format!("seq regression: expected {}, found {seq}", state.next_seq),
            ));
        }
        if seq > state.next_seq {
            return Err((
                Reason::SeqGap,
                format!(
                    "seq gap: expected {}, found {seq} (records missing or out of order)",
                    state.next_seq
                ),
            ));
        }
        if prev != state.head {
            return Err((
                Reason::PrevMismatch,
                format!(
                    "prev hash mismatch: expected {}, found {}",
                    short(&state.head),
                    short(&prev)
                ),
            ));
        }
        if kind == Kind::Header && self.pending_key.take().is_some() {
            self.rotation_abandoned = true;
        }
        if self.rotation_abandoned && kind != Kind::Header && kind != Kind::Recovery {
            return Err((
                Reason::BadKeyRotation,
                "the previous file ends in a key_rotation without its checkpoint and no recovery record follows".into(),
            ));
        }
        match kind {
            Kind::Header => self.check_header(&rec, seq, prev, file_no)?,
            Kind::Recovery => {
                check_recovery(&rec, line_no, seq, prev_file, self.rotation_abandoned)?;
                self.rotation_abandoned = false;
            }
            Kind::KeyRotation => self.check_key_rotation(&rec)?,
            Kind::Checkpoint => self.check_checkpoint(&rec, seq, prev)?,
            Kind::Event => {
                super::event::check_event_body(&rec).map_err(|e| (Reason::MalformedRecord, e))?
            }
            Kind::Decision | Kind::Outcome => {}
        }
        if self.pending_key.is_some() && kind != Kind::Checkpoint && kind != Kind::KeyRotation {
            return Err((
                Reason::BadKeyRotation,
                "a key_rotation record must be followed directly by a checkpoint".into(),
            ));
        }
        let hash = entry_hash(line);
        if let Some(state) = self.state.as_mut() {
            state.merkle.append(hash);
            state.head = hash;
            state.next_seq = seq + 1;
            if self.expect_size == Some(state.next_seq) {
                self.root_at_expected = Some(state.merkle.root());
            }
        }
        self.last_closed = kind == Kind::Checkpoint && rec.get("closed").is_some();
        Ok((kind, rec))
    }

    fn check_header(
        &mut self,
        rec: &Map<String, Value>,
        seq: u64,
        prev: Hash,
        file_no: u64,
    ) -> Check<()> {
        let stream = get_str(rec, "stream")?;
        if stream != self.stream {
            return Err((
                Reason::HeaderMismatch,
                format!(
                    "header names stream {stream:?}, file name says {:?}",
                    self.stream
                ),
            ));
        }
        let format = get_str(rec, "format")?;
        if format != FORMAT {
            return Err((
                Reason::HeaderMismatch,
                format!("unsupported format {format:?}"),
            ));
        }
        let file = get_u64(rec, "file")?;
        if file != file_no {
            return Err((
                Reason::HeaderMismatch,
                format!("header says file {file}, file name says {file_no}"),
            ));
        }
        if get_u64(rec, "first_seq")? != seq {
            return Err((Reason::HeaderMismatch, "first_seq differs from seq".into()));
        }
        if get_hash(rec, "prev_file_last_hash")? != prev {
            return Err((
                Reason::HeaderMismatch,
                "prev_file_last_hash differs from prev".into(),
            ));
        }
        let merkle = header_merkle(rec)?;
        if let Some(state) = &self.state {
            if merkle != state.merkle {
                return Err((
                    Reason::HeaderMismatch,
                    "header's Merkle range does not match the entries before it".into(),
                ));
            }
        }
        Ok(())
    }

    fn check_key_rotation(&mut self, rec: &Map<String, Value>) -> Check<()> {
        let old = get_str(rec, "old_key")?;
        let new = get_str(rec, "new_key")?;
        let public = get_str(rec, "new_public_key")?;
        if let Some(current) = &self.current_key {
            if current != old {
                return Err((
                    Reason::BadKeyRotation,
                    format!(
                        "key_rotation names old key {old}, but checkpoints are signed by {current}"
                    ),
                ));
            }
        }
        let verifier = AuditVerifier::parse(public)
            .map_err(|e| (Reason::BadKeyRotation, format!("new_public_key: {e}")))?;
        if verifier.id().to_string() != new {
            return Err((
                Reason::BadKeyRotation,
                format!("new_key {new} does not match new_public_key"),
            ));
        }
        self.pending_key = Some((old.to_owned(), verifier));
        Ok(())
    }

    fn check_checkpoint(&mut self, rec: &Map<String, Value>, seq: u64, prev: Hash) -> Check<()> {
        let note_text = get_str(rec, "note")?;
        let note =
            parse_note(note_text).map_err(|e| (Reason::MalformedRecord, format!("note: {e}")))?;
        let pending = self.pending_key.take();
        let mut signer_names = Vec::new();
        if let Some(keys) = self.keys.as_mut() {
            let mut trusted_ok = false;
            let mut unknown = Vec::new();
            for sig in &note.signatures {
                let pending_match = pending
                    .as_ref()
                    .filter(|(_, k)| k.id() == &sig.key)
                    .map(|(_, k)| k);
                let Some(key) = keys.find(&sig.key).or(pending_match) else {
                    unknown.push(sig.key.to_string());
                    continue;
                };
                if !key.verify(note.text.as_bytes(), &sig.signature) {
                    return Err((
                        Reason::BadSignature,
                        format!("checkpoint signature by {} does not verify", sig.key),
                    ));
                }
                self.signatures += 1;
                trusted_ok |= keys.find(&sig.key).is_some();
                signer_names.push(sig.key.to_string());
            }
            if !trusted_ok {
                return Err((
                    Reason::UnknownKey,
                    format!(
                        "checkpoint is not signed by a trusted key (signed by {})",
                        unknown.join(", ")
                    ),
                ));
            }
            if let Some((old, new)) = &pending {
                let new_id = new.id().to_string();
                if !signer_names.contains(old) || !signer_names.contains(&new_id) {
                    return Err((
                        Reason::BadKeyRotation,
                        format!("checkpoint after key_rotation must be signed by both {old} and {new_id}"),
                    ));
                }
                keys.add(new.clone());
            }
        } else {
            signer_names = note.signatures.iter().map(|s| s.key.to_string()).collect();
        }
        // The current key is the one that is not being retired.
        let retired = pending.as_ref().map(|(old, _)| old.as_str());
        self.current_key = signer_names
            .iter()
            .find(|n| Some(n.as_str()) != retired)
            .cloned();

        let body = CheckpointBody::parse(&note.text)
            .map_err(|e| (Reason::MalformedRecord, format!("checkpoint note: {e}")))?;
        let Some(state) = self.state.as_ref() else {
            return Err((Reason::MalformedRecord, "no chain state".into()));
        };
        let root = state.merkle.root();
        if body.root != root {
            return Err((
                Reason::MerkleRootMismatch,
                format!(
                    "Merkle root mismatch: signed {}, computed {}",
                    short(&body.root),
                    short(&root)
                ),
            ));
        }
        if body.tree_size != seq {
            return Err((
                Reason::CheckpointMismatch,
                format!(
                    "checkpoint tree size {} does not match its seq {seq}",
                    body.tree_size
                ),
            ));
        }
        if body.head != prev {
            return Err((
                Reason::CheckpointMismatch,
                format!(
                    "checkpoint head {} is not the previous record {}",
                    short(&body.head),
                    short(&prev)
                ),
            ));
        }
        if body.origin != self.stream {
            return Err((
                Reason::CheckpointMismatch,
                format!(
                    "checkpoint origin {:?} is not the stream {:?}",
                    body.origin, self.stream
                ),
            ));
        }
        match rec.get("closed") {
            None | Some(Value::Bool(true)) => {}
            Some(_) => {
                return Err((
                    Reason::MalformedRecord,
                    "checkpoint field \"closed\" must be true when present".into(),
                ))
            }
        }
        if get_u64(rec, "tree_size")? != body.tree_size
            || get_hash(rec, "head")? != body.head
            || get_hash(rec, "root")? != body.root
        {
            return Err((
                Reason::CheckpointMismatch,
                "checkpoint fields tree_size/head/root differ from the signed note".into(),
            ));
        }
        self.checkpoints += 1;
        Ok(())
    }
}

fn check_recovery(
    rec: &Map<String, Value>,
    line_no: u64,
    seq: u64,
    prev_file: Option<&PrevFile>,
    rotation_abandoned: bool,
) -> Check<()> {
    if line_no != 2 {
        return Err((
            Reason::RecoveryMismatch,
            "recovery record must directly follow the header".into(),
        ));
    }
    let named = get_str(rec, "prev_file")?;
    let Some(pf) = prev_file else {
        // Single-file mode: the previous file is not available to compare against.
        return Ok(());
    };
    if named != pf.name {
        return Err((
            Reason::RecoveryMismatch,
            format!("recovery names {named}, previous file is {}", pf.name),
        ));
    }
    let torn_line = match pf.scan.torn {
        Some((line, _)) => line,
        None if rotation_abandoned => 0,
        None => {
            return Err((
                Reason::RecoveryMismatch,
                format!("recovery record, but {} has no torn tail", pf.name),
            ))
        }
    };
    let valid = get_u64(rec, "valid_bytes")?;
    if valid != pf.scan.valid_bytes {
        return Err((
            Reason::RecoveryMismatch,
            format!(
                "recovery says {} is valid up to byte {valid}, but its torn line {torn_line} starts at byte {}",
                pf.name, pf.scan.valid_bytes
            ),
        ));
    }
    let last_hash = get_hash(rec, "last_good_hash")?;
    if last_hash != pf.last_hash {
        return Err((
            Reason::RecoveryMismatch,
            format!(
                "recovery last_good_hash {} is not the last good record {}",
                short(&last_hash),
                short(&pf.last_hash)
            ),
        ));
    }
    // The header sits between the last good record and this one.
    let last_seq = match rec.get("last_good_seq") {
        Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or((
            Reason::MalformedRecord,
            "last_good_seq must be an integer or null".to_owned(),
        ))?),
        None => {
            return Err((
                Reason::MalformedRecord,
                "missing field \"last_good_seq\"".into(),
            ))
        }
    };
    let expected_seq = last_seq.map_or(Some(1), |s| s.checked_add(2));
    if last_seq != pf.last_seq || expected_seq != Some(seq) {
        return Err((
            Reason::RecoveryMismatch,
            format!("recovery last_good_seq {last_seq:?} does not match"),
        ));
    }
    Ok(())
}

fn header_merkle(rec: &Map<String, Value>) -> Check<CompactRange> {
    let bad = |why: &str| (Reason::HeaderMismatch, format!("header merkle: {why}"));
    let Some(Value::Object(m)) = rec.get("merkle") else {
        return Err(bad("missing"));
    };
    let size = get_u64(m, "tree_size")?;
    let Some(Value::Array(items)) = m.get("range") else {
        return Err(bad("range missing"));
    };
    let nodes = items
        .iter()
        .map(|v| v.as_str().and_then(parse_hex))
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| bad("range must hold 64-hex hashes"))?;
    let range = CompactRange::from_parts(size, nodes)
        .ok_or_else(|| bad("range does not match tree_size"))?;
    if Some(size) != get_u64(rec, "seq").ok() {
        return Err(bad("tree_size differs from seq"));
    }
    Ok(range)
}

fn get_str<'a>(rec: &'a Map<String, Value>, field: &str) -> Check<&'a str> {
    rec.get(field).and_then(Value::as_str).ok_or_else(|| {
        (
            Reason::MalformedRecord,
            format!("missing or non-string field {field:?}"),
        )
    })
}

fn get_u64(rec: &Map<String, Value>, field: &str) -> Check<u64> {
    rec.get(field).and_then(Value::as_u64).ok_or_else(|| {
        (
            Reason::MalformedRecord,
            format!("missing or non-integer field {field:?}"),
        )
    })
}

fn get_hash(rec: &Map<String, Value>, field: &str) -> Check<Hash> {
    rec.get(field)
        .and_then(Value::as_str)
        .and_then(parse_hex)
        .ok_or_else(|| {
            (
                Reason::MalformedRecord,
                format!("field {field:?} must be 64 lower-case hex digits"),
            )
        })
}

fn finding(file: &str, line: u64, reason: Reason, message: String) -> Finding {
    Finding {
        file: file.to_owned(),
        line,
        reason,
        message,
    }
}

/// The second line of `bytes` is a recovery record naming `prev_name`.
fn starts_with_recovery_of(bytes: &[u8], prev_name: &str) -> bool {
    let mut lines = bytes.split(|&b| b == b'\n');
    let (_, Some(second)) = (lines.next(), lines.next()) else {
        return false;
    };
    let Ok(Value::Object(rec)) = serde_json::from_slice::<Value>(second) else {
        return false;
    };
    rec.get("kind").and_then(Value::as_str) == Some(Kind::Recovery.as_str())
        && rec.get("prev_file").and_then(Value::as_str) == Some(prev_name)
}

/// Verify a stream directory (every stream in it) or a single stream file.
pub fn verify_path(path: &Path, keys: &TrustedKeys) -> Report {
    verify_path_with(path, keys, &mut |_, _| {})
}

/// [`verify_path`], handing every record that passed all checks to `visit`, in stream order
/// (for `audit show` and `replay`). When the report is invalid, the records visited are those
/// before the first error, which can include the altered one (a broken `prev` link is found on
/// the line after it): use the records only when the report is valid. Records of a live file
/// after its last checkpoint are visited too; the warnings say they are not sealed yet.
pub fn verify_path_with(path: &Path, keys: &TrustedKeys, visit: &mut Visitor<'_>) -> Report {
    verify_path_expect(path, keys, Expect::default(), visit)
}

/// [`verify_path_with`], also checking what the operator expects of the stream: at least
/// `expect.size` records, and the Merkle root over the first `expect.size` records (or over
/// all of them) equal to `expect.root`. Expectations need a single stream.
pub fn verify_path_expect(
    path: &Path,
    keys: &TrustedKeys,
    expect: Expect,
    visit: &mut Visitor<'_>,
) -> Report {
    let keys = (!keys.is_empty()).then(|| keys.clone());
    let mut report = Report::default();
    if keys.is_none() {
        report.warnings.push(finding(
            &path.display().to_string(),
            0,
            Reason::SignaturesNotChecked,
            "no trusted keys given: checkpoint signatures were not checked".into(),
        ));
    }
    let result = if path.is_dir() {
        verify_dir(path, keys, expect, &mut report, visit)
    } else {
        verify_single_file(path, keys, expect, &mut report, visit)
    };
    match result {
        Ok(Ok(())) => report.valid = true,
        Ok(Err(f)) => report.error = Some(f),
        Err(e) => report.io_error = Some(e.to_string()),
    }
    report
}

fn verify_dir(
    dir: &Path,
    keys: Option<TrustedKeys>,
    expect: Expect,
    report: &mut Report,
    visit: &mut Visitor<'_>,
) -> Result<Result<(), Finding>, AuditError> {
    let streams = list_streams(dir)?;
    if streams.is_empty() {
        return Err(AuditError::Options(format!(
            "{}: no audit files (<stream>-NNNNNN.jsonl) found",
            dir.display()
        )));
    }
    if expect != Expect::default() && streams.len() > 1 {
        return Err(AuditError::Options(format!(
            "{}: holds {} streams; --expect-size/--expect-root need one (name one of its files' stream directory or file)",
            dir.display(),
            streams.len()
        )));
    }
    for (stream, files) in streams {
        let mut v = Verifier::new(&stream, keys.clone(), false);
        v.expect_size = expect.size;
        if let Err(f) = verify_stream(&mut v, &files, report, visit)? {
            return Ok(Err(f));
        }
        let marker = super::chain::closed_marker_path(dir, &stream);
        if let Err(f) = finish_stream(&v, &files, expect, Some(&marker), report)? {
            return Ok(Err(f));
        }
    }
    Ok(Ok(()))
}

fn verify_single_file(
    path: &Path,
    keys: Option<TrustedKeys>,
    expect: Expect,
    report: &mut Report,
    visit: &mut Visitor<'_>,
) -> Result<Result<(), Finding>, AuditError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((stream, file_no)) = super::chain::parse_file_name(&name) else {
        return Err(AuditError::Options(format!(
            "{}: not an audit file name (<stream>-NNNNNN.jsonl)",
            path.display()
        )));
    };
    let bootstrap = file_no != 1;
    if bootstrap {
        report.warnings.push(finding(
            &name,
            1,
            Reason::PartialChain,
            "verified from this file's header; earlier files were not checked".into(),
        ));
    }
    let mut v = Verifier::new(&stream, keys, bootstrap);
    v.expect_size = expect.size;
    let files = vec![(file_no, path.to_path_buf())];
    if let Err(f) = verify_files(&mut v, &files, report, true, visit)? {
        return Ok(Err(f));
    }
    finish_stream(&v, &files, expect, None, report)
}

/// After a stream verified: record its size and root, check the operator's expectations and
/// the writer's clean-close marker, and warn when it does not end in a shutdown checkpoint.
fn finish_stream(
    v: &Verifier,
    files: &[(u64, PathBuf)],
    expect: Expect,
    marker: Option<&Path>,
    report: &mut Report,
) -> Result<Result<(), Finding>, AuditError> {
    let Some(state) = v.state.as_ref() else {
        return Ok(Ok(()));
    };
    let last = files
        .last()
        .map(|(no, _)| file_name(&v.stream, *no))
        .unwrap_or_default();
    let size = state.next_seq;
    let root = state.merkle.root();
    report.streams.push(StreamHead {
        stream: v.stream.clone(),
        size,
        root: super::canonical::hex(&root),
    });
    if let Some(want) = expect.size {
        if size < want {
            return Ok(Err(finding(
                &last,
                0,
                Reason::ExpectedSizeMismatch,
                format!(
                    "stream {} has {size} records, fewer than the {want} expected: records were removed from its end (truncated)",
                    v.stream
                ),
            )));
        }
    }
    if let Some(want) = expect.root {
        let got = match expect.size {
            Some(n) => match v.root_at_expected {
                Some(r) => r,
                None => {
                    return Err(AuditError::Options(format!(
                        "--expect-size {n} is before the first record of {last}: verify the whole directory"
                    )))
                }
            },
            None => root,
        };
        if got != want {
            let over = match expect.size {
                Some(n) => format!("the first {n} records"),
                None => format!("all {size} records"),
            };
            return Ok(Err(finding(
                &last,
                0,
                Reason::ExpectedRootMismatch,
                format!(
                    "Merkle root over {over} of stream {} is {}, expected {}: the stream was rewritten",
                    v.stream,
                    super::canonical::hex(&got),
                    super::canonical::hex(&want)
                ),
            )));
        }
    }
    let closed = match marker {
        Some(m) => super::chain::read_closed_marker(m)?,
        None => None,
    };
    if let Some(c) = closed {
        if !v.last_closed || c.size != size || c.root != root {
            return Ok(Err(finding(
                &last,
                0,
                Reason::MissingShutdownCheckpoint,
                format!(
                    "the writer closed stream {} cleanly at size {} (root {}), but it now has {size} records{}: truncated or extended after the shutdown",
                    v.stream,
                    c.size,
                    short(&c.root),
                    if v.last_closed { "" } else { " and does not end in its shutdown checkpoint" }
                ),
            )));
        }
    } else if !v.last_closed
        && !report
            .warnings
            .iter()
            .any(|w| w.reason == Reason::UnsealedRecords)
    {
        report.warnings.push(finding(
            &last,
            0,
            Reason::NotClosed,
            "the stream does not end in a shutdown checkpoint: toolwall is running, stopped without closing the stream, or the stream was truncated (check with --expect-size/--expect-root)".into(),
        ));
    }
    Ok(Ok(()))
}

fn verify_stream(
    v: &mut Verifier,
    files: &[(u64, PathBuf)],
    report: &mut Report,
    visit: &mut Visitor<'_>,
) -> Result<Result<(), Finding>, AuditError> {
    let stream = v.stream.clone();
    let stream = stream.as_str();
    for (expected, (no, _)) in (1u64..).zip(files) {
        if *no != expected {
            let missing = file_name(stream, expected);
            let at = file_name(stream, *no);
            return Ok(Err(finding(
                &at,
                1,
                Reason::MissingFile,
                format!("missing file {missing}: the stream jumps to {at}"),
            )));
        }
    }
    verify_files(v, files, report, false, visit)
}

fn verify_files(
    v: &mut Verifier,
    files: &[(u64, PathBuf)],
    report: &mut Report,
    single: bool,
    visit: &mut Visitor<'_>,
) -> Result<Result<(), Finding>, AuditError> {
    let base = Base {
        records: report.records,
        checkpoints: report.checkpoints,
        signatures: report.signatures,
    };
    let mut next_bytes: Option<Vec<u8>> = None;
    for (i, (no, path)) in files.iter().enumerate() {
        let bytes = match next_bytes.take() {
            Some(b) => b,
            None => fs::read(path).map_err(|e| AuditError::io(path, e))?,
        };
        let name = file_name(&v.stream, *no);
        report.files += 1;
        let scan = match v.scan_file(&name, *no, &bytes, visit) {
            Ok(scan) => scan,
            Err(f) => {
                sync_counts(base, v, report);
                return Ok(Err(f));
            }
        };
        sync_counts(base, v, report);
        let is_last = i + 1 == files.len();
        let recovered = if is_last {
            false
        } else {
            let next_path = &files[i + 1].1;
            let nb = fs::read(next_path).map_err(|e| AuditError::io(next_path, e))?;
            let r = starts_with_recovery_of(&nb, &name);
            next_bytes = Some(nb);
            r
        };
        if let Some((line, offset)) = scan.torn {
            if !recovered {
                return Ok(Err(finding(
                    &name,
                    line,
                    Reason::TruncatedTail,
                    format!("truncated tail: line {line} (byte {offset}) is a partial record and no recovery record follows"),
                )));
            }
            report.warnings.push(finding(
                &name,
                line,
                Reason::RecoveredTornTail,
                format!("torn record at byte {offset} was recovered in the next file"),
            ));
        }
        if scan.unsealed > 0 {
            if is_last {
                let msg = format!(
                    "{} {} after the last checkpoint {} not yet sealed",
                    scan.unsealed,
                    plural(scan.unsealed, "record", "records"),
                    if scan.unsealed == 1 { "is" } else { "are" }
                );
                report.warnings.push(finding(
                    &name,
                    scan.first_unsealed_line,
                    Reason::UnsealedRecords,
                    msg,
                ));
            } else if !recovered && !single {
                return Ok(Err(finding(
                    &name,
                    scan.first_unsealed_line,
                    Reason::UnsealedRecords,
                    format!(
                        "unsealed records: {} {} from here to the end of a closed file {} no checkpoint",
                        scan.unsealed,
                        plural(scan.unsealed, "record", "records"),
                        if scan.unsealed == 1 { "has" } else { "have" }
                    ),
                )));
            }
        }
    }
    Ok(Ok(()))
}

/// Counts before this stream, so that a directory with several streams adds them up.
#[derive(Clone, Copy)]
struct Base {
    records: u64,
    checkpoints: u64,
    signatures: u64,
}

fn sync_counts(base: Base, v: &Verifier, report: &mut Report) {
    report.records = base.records + v.records;
    report.checkpoints = base.checkpoints + v.checkpoints;
    report.signatures = base.signatures + v.signatures;
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
        verify_path_expect(path, &keys, expect, &mut |_, _| {})
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

#[cfg(test)]
mod tests {
    //! Tamper tests on real files: every manipulation is detected at the right file:line
    //! with the right reason.

    use super::*;
    use crate::audit::canonical::{canonicalize, entry_hash, hex};
    use crate::audit::chain::tests::{decision, outcome, test_key, test_opts, write_stream};
    use crate::audit::chain::ChainWriter;
    use crate::audit::checkpoint::sign_note;
    use serde_json::json;

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

    fn expect_error(
        dir: &Path,
        keys: &TrustedKeys,
        file: u64,
        line: u64,
        reason: Reason,
    ) -> Report {
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
        fs::remove_file(crate::audit::chain::closed_marker_path(dir.path(), "audit"))
            .expect("marker");
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

    fn first_checkpoint(lines: &[String]) -> usize {
        lines
            .iter()
            .position(|l| kind_of(l) == "checkpoint")
            .expect("a checkpoint")
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
        fs::remove_file(crate::audit::chain::closed_marker_path(dir.path(), "audit"))
            .expect("marker");
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
}

#[cfg(test)]
mod robustness_tests {
    use super::*;
    use crate::audit::chain::tests::{test_key, write_stream};

    /// Flip single bytes at pseudo-random positions anywhere in the stream (except the final
    /// checkpoint line, whose `ts` no later record seals): verification must fail, and must
    /// never panic.
    #[test]
    fn any_flipped_byte_is_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_stream(dir.path(), 60);
        let mut keys = TrustedKeys::new();
        keys.add(test_key(1).verifier());
        let files = list_streams(dir.path()).expect("list")["audit"].clone();
        let originals: Vec<Vec<u8>> = files
            .iter()
            .map(|(_, p)| fs::read(p).expect("read"))
            .collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..60 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let fi = (x % files.len() as u64) as usize;
            let bytes = &originals[fi];
            let mut limit = bytes.len();
            if fi + 1 == files.len() {
                // Exclude the final line.
                limit = bytes[..bytes.len() - 1]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .expect("lines")
                    + 1;
            }
            let pos = ((x >> 17) % limit as u64) as usize;
            let mut tampered = bytes.clone();
            tampered[pos] ^= 1 << (round % 7);
            fs::write(&files[fi].1, &tampered).expect("write");
            let report = verify_path(dir.path(), &keys);
            assert!(
                !report.valid,
                "flip at {}:{pos} went undetected: {report}",
                files[fi].1.display()
            );
            fs::write(&files[fi].1, bytes).expect("restore");
        }
        assert!(verify_path(dir.path(), &keys).valid);
    }
}
