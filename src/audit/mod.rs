//! Signed, hash-chained JSONL audit stream: the writer, the verifier and their formats.
//!
//! One RFC 8785 canonical JSON record per line; `entry_hash = SHA-256(0x00 ‖ line)`; every
//! record links to the previous one with `prev`; `seq` starts at 0 and never resets; signed
//! checkpoints (C2SP signed notes, Ed25519) seal the chain head and the RFC 6962 Merkle root
//! over every entry since genesis. See PRODUCT.md §8 and the docs of each submodule:
//!
//! - [`canonical`]: JCS and the entry hash; [`record`]: record kinds and fields, args hashing;
//! - [`event`]: `event` records (not calls: re-pins, withheld tools, operator actions);
//! - [`merkle`]: the incremental Merkle tree; [`checkpoint`]: the signed-note format;
//! - [`keys`]: key formats, `keygen` and trusted keys; [`seal`]: `audit.args: encrypted`;
//! - [`chain`]: [`ChainWriter`], files, rotation and crash recovery;
//! - [`verify`]: `audit verify`.
//!
//! This folder depends only on external crates and `super::` paths, so it can be moved
//! between crates unchanged.

pub mod call;
pub mod canonical;
pub mod chain;
pub mod checkpoint;
pub mod event;
pub mod keys;
pub mod merkle;
pub mod record;
pub mod seal;
pub mod sink;
pub mod verify;

use std::path::{Path, PathBuf};

pub use chain::{Appended, ChainWriter, Clock, SyncMode, SystemClock, WriterOptions};
pub use event::{EventPrincipal, EventRecord};
pub use keys::{generate_keys, keygen, AuditSigner, AuditVerifier, KeyId, KeyPaths, TrustedKeys};
pub use record::{hash_string_leaves, input_hmac, Kind};
pub use seal::{auditor_keygen, open_args, seal_args, AuditorPublicKey, AuditorSecretKey};
pub use verify::{
    run_verify_cli, verify_path, verify_path_expect, verify_path_with, Expect, Finding, Reason,
    RecordLoc, Report, StreamHead,
};

/// Everything that can go wrong writing an audit stream or loading keys.
///
/// Two families matter to the sink: [`AuditError::Invalid`] is about one record (it could
/// not be encoded: a bug in whoever built it) and leaves the stream writable; every other
/// variant is about the stream itself (I/O, a stopped writer, a corrupt tail, bad options
/// or keys) and is what makes the sink unhealthy.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// One record cannot be written as it is; the stream is unaffected.
    #[error(transparent)]
    Invalid(#[from] InvalidRecord),
    /// A key file or key string is malformed.
    #[error("key error: {0}")]
    Key(String),
    /// The existing stream does not verify, so the writer will not extend it.
    #[error("refusing to append to audit stream: {0}")]
    Corrupt(String),
    /// A previous write failed; the stream must be re-opened (which runs crash recovery).
    #[error("audit writer stopped after an earlier write failure: {0}")]
    Poisoned(String),
    /// Bad `WriterOptions`.
    #[error("invalid audit writer options: {0}")]
    Options(String),
}

/// Why one record cannot be encoded. Records built by the proxy never hit these (values
/// are normalised first, see [`record::normalize_numbers`]); the writer checks anyway.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRecord {
    /// A record could not be serialised (e.g. a non-finite float).
    #[error("cannot canonicalise record: {0}")]
    Canonical(String),
    /// The caller's body used a field the writer sets itself.
    #[error("record body field {0:?} is reserved for the audit writer")]
    ReservedField(String),
    /// An integer beyond ±2^53.
    #[error("integer out of range at {0}: integers must be within ±2^53 (write it as a string)")]
    UnsafeInteger(String),
    /// `append` was asked to write a kind the writer owns.
    #[error("records of kind {0:?} are written by the audit writer itself")]
    KindNotAllowed(&'static str),
    /// An `event` record body without the fields every event has.
    #[error("malformed event record: {0}")]
    MalformedEvent(String),
}

impl AuditError {
    /// Whether this error is about the stream (I/O, a stopped writer) rather than one record:
    /// only these make the sink unhealthy.
    pub fn is_stream_failure(&self) -> bool {
        !matches!(self, AuditError::Invalid(_))
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        AuditError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
