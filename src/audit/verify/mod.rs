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
//!
//! Layout: [`report`] (what a verification found and how it is printed), `line` (the state
//! machine: one line at a time, canonical form, `seq`, `prev`, Merkle state), `records` (the
//! records the writer owns: headers, recovery records, key rotations, checkpoint signatures),
//! `files` (a directory, a stream's files in order, torn and unsealed tails, expectations),
//! `fast` (the allocation-free canonical-form check that most lines take).
//!
//! Files are streamed: memory holds the current line, the chain head, the Merkle frontier
//! (one hash per level) and the key state, whatever the stream's length.

use serde_json::{Map, Value};

use super::canonical::Hash;
use super::keys::{AuditVerifier, TrustedKeys};
use super::merkle::CompactRange;

mod fast;
mod files;
mod line;
mod records;
pub mod report;

pub use files::{verify_path, verify_path_expect, verify_path_with};
pub use report::{run_verify_cli, Expect, Finding, Reason, Report, StreamHead};

use line::{get_hash, get_str, get_u64};
use records::{check_recovery, header_merkle, starts_with_recovery_of};
use report::{finding, plural};

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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod robustness_tests;
