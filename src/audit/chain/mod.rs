//! [`ChainWriter`]: appends records to `<dir>/<stream>-NNNNNN.jsonl`, checkpoints, rotates
//! files and keys, and recovers from a crash on open.
//!
//! The writer is synchronous (std::fs) and owned by one thread; the proxy feeds it through a
//! bounded channel and calls [`ChainWriter::tick`] about once a second. Each `append` hands
//! the whole line to the OS with `write(2)` before returning; `SyncMode` decides when it is
//! also fsynced (`Batch`: by a thread of its own, `syncer.rs`).
//!
//! On open the writer re-verifies the last file from its header (canonical form, seq, prev,
//! Merkle roots; not signatures, which may be by a retired key) and refuses to extend a
//! stream whose tail does not verify. A torn last line (no trailing newline, or an
//! unparsable last line) is never edited: the writer opens the next file with a header and
//! a `recovery` record, and the chain continues from the last good record. `audit verify`
//! checks the whole stream, including the links between earlier files.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::call::LineBody;
use super::canonical::{entry_hash, hex, Hash, RecordHead, MAX_SAFE_INTEGER};
use super::checkpoint::{sign_note, CheckpointBody};
use super::keys::AuditSigner;
use super::record::{format_ts, Kind, FORMAT, RESERVED_FIELDS};
use super::verify::ChainState;
use super::{AuditError, InvalidRecord};

mod files;
mod open;
mod syncer;

pub use files::{
    closed_marker_path, file_name, list_streams, parse_file_name, read_closed_marker, ClosedMarker,
};
use files::{lock_stream, valid_stream_name, write_closed_marker};

/// When appended records are fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// Never explicitly (the OS decides); rotation and `close` still sync.
    None,
    /// When the owner calls [`ChainWriter::maybe_sync`] and `batch_interval` has passed, and
    /// at every checkpoint: on a background thread, so writing goes on meanwhile.
    #[default]
    Batch,
    /// After every record (`fdatasync`).
    Always,
}

/// Source of record timestamps (a seam for tests).
pub trait Clock: Send + Sync {
    /// Current wall-clock time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// How to open a [`ChainWriter`].
pub struct WriterOptions {
    /// Directory holding the stream's files.
    pub dir: PathBuf,
    /// Stream name: file prefix and checkpoint origin (`[A-Za-z0-9._-]+`).
    pub stream: String,
    /// Key that signs checkpoints.
    pub signer: AuditSigner,
    /// Start a new file once the current one reaches this size (default 64 MiB).
    pub rotate_bytes: u64,
    /// Write a checkpoint after this many records (default 1000).
    pub checkpoint_every: u64,
    /// [`ChainWriter::tick`] writes a checkpoint when this much time has passed (default 10 s).
    pub checkpoint_interval: Duration,
    /// fsync behaviour (default `Batch`).
    pub sync: SyncMode,
    /// Minimum time between batch fsyncs (default 100 ms).
    pub batch_interval: Duration,
    /// Timestamp source (default [`SystemClock`]).
    pub clock: Arc<dyn Clock>,
    /// Capacity of the [`AuditSink`](super::sink::AuditSink) queue: write-ahead records wait
    /// for room below it (default [`DEFAULT_QUEUE`]; `audit.queue`).
    pub queue: usize,
    /// How long a write-ahead record waits for room in a full queue before its call is
    /// refused `audit_unavailable` (default [`DEFAULT_QUEUE_WAIT`]).
    pub queue_wait: Duration,
}

/// Default capacity of the audit queue (`audit.queue`).
pub const DEFAULT_QUEUE: usize = 4096;
/// Default bound on a write-ahead record's wait for room in a full audit queue.
pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_secs(2);

impl WriterOptions {
    /// Options with the defaults above.
    pub fn new(dir: impl Into<PathBuf>, stream: &str, signer: AuditSigner) -> Self {
        Self {
            dir: dir.into(),
            stream: stream.to_owned(),
            signer,
            rotate_bytes: 64 << 20,
            checkpoint_every: 1000,
            checkpoint_interval: Duration::from_secs(10),
            sync: SyncMode::Batch,
            batch_interval: Duration::from_millis(100),
            clock: Arc::new(SystemClock),
            queue: DEFAULT_QUEUE,
            queue_wait: DEFAULT_QUEUE_WAIT,
        }
    }
}

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The record's `seq`.
    pub seq: u64,
    /// Its entry hash ([`hex`] spells it: not spelled per record, which nothing on the
    /// proxy's path reads).
    pub entry_hash: Hash,
}

/// Appends records to an audit stream. See the module docs.
pub struct ChainWriter {
    opts: WriterOptions,
    file: File,
    path: PathBuf,
    file_no: u64,
    file_bytes: u64,
    state: ChainState,
    /// Records (of any kind but checkpoint) since the last checkpoint.
    since_checkpoint: u64,
    last_checkpoint_at: Instant,
    unsynced: bool,
    last_sync: Instant,
    /// The previous key, which co-signs the checkpoint after a key rotation.
    retiring: Option<AuditSigner>,
    /// `prev` of the last header written (the recovery record repeats it).
    header_prev: Hash,
    poisoned: Option<String>,
    line: Vec<u8>,
    /// The last `ts` written and the millisecond it spells ([`next_ts`]).
    ts: ((i64, u32), String),
    /// When set, records are collected here and written together (a batch, key rotation).
    held: Option<Vec<u8>>,
    /// The last batch's buffer, emptied, for the next (kept up to [`MAX_SPARE_BATCH`] bytes).
    spare: Vec<u8>,
    /// The background fsync of `sync: batch` (see `syncer.rs`).
    syncer: syncer::Syncer,
    /// `<dir>/<stream>.lock`, exclusively locked while this writer lives.
    _lock: File,
}

impl ChainWriter {
    /// Append a caller record (`decision`, `outcome` or `event`). `body` must not contain `seq`,
    /// `prev`, `kind` or `ts`, nor integers beyond ±2^53. The line has been written to the
    /// OS when this returns. If a checkpoint or rotation due after this record fails, the
    /// record still counts as written, and the writer refuses further appends.
    pub fn append(&mut self, kind: Kind, body: Map<String, Value>) -> Result<Appended, AuditError> {
        check_caller_record(kind, &body)?;
        let appended = self.write_record(kind, &body)?;
        if let Err(e) = self.after_append() {
            self.poisoned.get_or_insert_with(|| e.to_string());
        }
        Ok(appended)
    }

    /// Group commit: append several caller records with one write(2) (plus one per
    /// checkpoint-and-rotation boundary crossed). For an owner thread that drains its channel:
    /// every `Ok` record is in the OS when this returns, exactly as with [`Self::append`].
    /// A record that fails validation gets its own `Err` without affecting the others; a
    /// failed write fails every record of that write and stops the writer.
    pub fn append_batch(
        &mut self,
        records: Vec<(Kind, Map<String, Value>)>,
    ) -> Vec<Result<Appended, AuditError>> {
        self.append_records(&records)
    }

    /// [`Self::append_batch`] of records the caller keeps (the writer thread reads a failed
    /// record again to write its minimal replacement).
    pub fn append_records<B: LineBody>(
        &mut self,
        records: &[(Kind, B)],
    ) -> Vec<Result<Appended, AuditError>> {
        let mut results: Vec<Result<Appended, AuditError>> = Vec::with_capacity(records.len());
        let mut unflushed_from = 0;
        let mut sealed = false;
        self.held = Some(self.spare_batch(records.len() * 1600));
        for (kind, body) in records {
            let kind = *kind;
            let written = body
                .check(kind)
                .and_then(|()| self.write_record(kind, body));
            let ok = written.is_ok();
            results.push(written);
            if !ok {
                continue;
            }
            if self.since_checkpoint >= self.opts.checkpoint_every {
                sealed |= self.checkpoint().is_ok();
            }
            if self.file_bytes >= self.opts.rotate_bytes {
                let flushed = self.flush_held(&mut results[unflushed_from..], sealed);
                unflushed_from = results.len();
                sealed = false;
                if flushed.is_ok() {
                    if let Err(e) = self.rotate() {
                        self.poisoned.get_or_insert_with(|| e.to_string());
                    }
                }
                self.held = Some(self.spare_batch(0));
            }
        }
        let _ = self.flush_held(&mut results[unflushed_from..], sealed);
        results
    }

    /// Write what `held` collected; on failure turn the affected results into errors.
    fn flush_held(
        &mut self,
        results: &mut [Result<Appended, AuditError>],
        sealed: bool,
    ) -> Result<(), AuditError> {
        let mut held = self.held.take().unwrap_or_default();
        let mut outcome = if held.is_empty() {
            Ok(())
        } else {
            self.file
                .write_all(&held)
                .map_err(|e| self.poison(AuditError::io(&self.path.clone(), e)))
        };
        if outcome.is_ok() && !held.is_empty() {
            outcome = match self.opts.sync {
                SyncMode::Always => self.sync(),
                SyncMode::Batch if sealed => self.sync_in_background(),
                _ => Ok(()),
            };
        }
        // the buffer is the next batch's (one allocation per writer, not per batch)
        if held.capacity() <= MAX_SPARE_BATCH {
            held.clear();
            self.spare = held;
        }
        if let Err(e) = &outcome {
            let msg = e.to_string();
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(AuditError::Poisoned(msg.clone()));
            }
        }
        outcome
    }

    /// An empty buffer for a batch's lines with room for `room` bytes: the last batch's.
    fn spare_batch(&mut self, room: usize) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.spare);
        buf.clear();
        buf.reserve(room);
        buf
    }

    fn after_append(&mut self) -> Result<(), AuditError> {
        if self.since_checkpoint >= self.opts.checkpoint_every {
            self.checkpoint()?;
        }
        if self.file_bytes >= self.opts.rotate_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    /// Write a signed checkpoint sealing every record so far.
    pub fn checkpoint(&mut self) -> Result<Appended, AuditError> {
        self.write_checkpoint(false)
    }

    /// A checkpoint; the shutdown checkpoint written by [`Self::close`] carries
    /// `"closed": true`, so a clean close is told apart from a stream cut after a checkpoint.
    fn write_checkpoint(&mut self, closing: bool) -> Result<Appended, AuditError> {
        let body = CheckpointBody {
            origin: self.opts.stream.clone(),
            tree_size: self.state.next_seq,
            root: self.state.merkle.root(),
            head: self.state.head,
        };
        let text = body.to_text();
        let note = match &self.retiring {
            Some(old) => sign_note(&text, &[old, &self.opts.signer]),
            None => sign_note(&text, &[&self.opts.signer]),
        };
        let mut rec = Map::new();
        rec.insert("tree_size".into(), json!(body.tree_size));
        rec.insert("head".into(), json!(hex(&body.head)));
        rec.insert("root".into(), json!(hex(&body.root)));
        rec.insert("note".into(), json!(note));
        if closing {
            rec.insert("closed".into(), json!(true));
        }
        let appended = self.write_record(Kind::Checkpoint, &rec)?;
        self.since_checkpoint = 0;
        self.retiring = None;
        self.last_checkpoint_at = Instant::now();
        if self.held.is_none() {
            match self.opts.sync {
                SyncMode::Always => self.sync()?,
                SyncMode::Batch => self.sync_in_background()?,
                SyncMode::None => {}
            }
        }
        Ok(appended)
    }

    /// Seal the current file with a checkpoint and continue in the next one.
    pub fn rotate(&mut self) -> Result<(), AuditError> {
        self.check_usable()?;
        if self.since_checkpoint > 0 || self.retiring.is_some() {
            self.checkpoint()?;
        }
        self.sync()?;
        let next_no = self.file_no + 1;
        let path = self.opts.dir.join(file_name(&self.opts.stream, next_no));
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| self.poison(AuditError::io(&path, e)))?;
        self.file = file;
        self.path = path;
        self.file_no = next_no;
        self.file_bytes = 0;
        self.sync_dir()?;
        self.write_header()?;
        Ok(())
    }

    /// Introduce `new_key`: a `key_rotation` record, then a checkpoint signed by the old and
    /// the new key. Later checkpoints are signed by `new_key` only.
    pub fn rotate_key(&mut self, new_key: AuditSigner) -> Result<Appended, AuditError> {
        if new_key.id() == self.opts.signer.id() {
            return Err(AuditError::Options("the new key is the current key".into()));
        }
        let mut rec = Map::new();
        rec.insert("old_key".into(), json!(self.opts.signer.id().to_string()));
        rec.insert("new_key".into(), json!(new_key.id().to_string()));
        rec.insert(
            "new_public_key".into(),
            json!(new_key.verifier().to_string()),
        );
        // The rotation and its dual-signed checkpoint go to the OS in one write(2), so a crash
        // leaves either both lines or a torn tail (which recovery handles), never a rotation
        // that some later record silently skips sealing.
        self.check_usable()?;
        self.held = Some(Vec::with_capacity(2048));
        let written = self.write_record(Kind::KeyRotation, &rec).and_then(|_| {
            let old = std::mem::replace(&mut self.opts.signer, new_key);
            self.retiring = Some(old);
            self.checkpoint()
        });
        let held = self.held.take().unwrap_or_default();
        let appended = match written {
            Ok(appended) => appended,
            // Nothing reached the file, but the in-memory chain moved: stop here.
            Err(e) => return Err(self.poison(e)),
        };
        if let Err(e) = self.file.write_all(&held) {
            return Err(self.poison(AuditError::io(&self.path.clone(), e)));
        }
        if self.opts.sync != SyncMode::None {
            self.sync()?;
        }
        Ok(appended)
    }

    /// Whether a time-based checkpoint is due at `now`.
    pub fn checkpoint_due(&self, now: Instant) -> bool {
        self.since_checkpoint > 0
            && now.saturating_duration_since(self.last_checkpoint_at)
                >= self.opts.checkpoint_interval
    }

    /// Periodic work for the owner thread (call about once a second): a checkpoint if one is
    /// due, and a batch fsync. Returns the checkpoint if one was written.
    pub fn tick(&mut self, now: Instant) -> Result<Option<Appended>, AuditError> {
        let cp = if self.checkpoint_due(now) {
            Some(self.checkpoint()?)
        } else {
            None
        };
        self.maybe_sync()?;
        Ok(cp)
    }

    /// In `Batch` mode, start a background fsync if there are unsynced records and
    /// `batch_interval` has passed since the last one started, and report a background fsync
    /// that failed (the writer stops, as after a failed write). No-op in the other modes.
    pub fn maybe_sync(&mut self) -> Result<(), AuditError> {
        if self.opts.sync != SyncMode::Batch {
            return Ok(());
        }
        if let Some((path, e)) = self.syncer.take_failure() {
            return Err(self.poison(AuditError::io(&path, e)));
        }
        if self.unsynced && self.last_sync.elapsed() >= self.opts.batch_interval {
            self.sync_in_background()?;
        }
        Ok(())
    }

    /// `sync: batch`'s fsync: handed to the background thread (`syncer.rs`), so records go on
    /// reaching the OS while it runs. While one runs the records stay unsynced and the next
    /// [`Self::maybe_sync`] asks again. If the thread cannot be given the file (no descriptor
    /// left), the fsync is done here.
    fn sync_in_background(&mut self) -> Result<(), AuditError> {
        if let Some((path, e)) = self.syncer.take_failure() {
            return Err(self.poison(AuditError::io(&path, e)));
        }
        match self.syncer.request(&self.file, &self.path) {
            Ok(syncer::Requested::Started) => {
                self.unsynced = false;
                self.last_sync = Instant::now();
                Ok(())
            }
            Ok(syncer::Requested::Busy) => Ok(()),
            Err(_) => self.sync(),
        }
    }

    /// fsync (`fdatasync`) the current file now.
    pub fn sync(&mut self) -> Result<(), AuditError> {
        if let Err(e) = self.file.sync_data() {
            return Err(self.poison(AuditError::io(&self.path.clone(), e)));
        }
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Write the shutdown checkpoint (`"closed": true`), sync, and leave the clean-close
    /// marker `<stream>.closed` (size and Merkle root after that checkpoint) for `audit verify`:
    /// a stream cut back to an earlier checkpoint no longer ends where the marker says. The
    /// next `open` removes the marker.
    pub fn close(mut self) -> Result<(), AuditError> {
        self.check_usable()?;
        self.write_checkpoint(true)?;
        self.sync()?;
        let marker = ClosedMarker {
            size: self.state.next_seq,
            root: self.state.merkle.root(),
        };
        write_closed_marker(&self.opts.dir, &self.opts.stream, &marker)?;
        self.sync_dir()
    }

    /// `seq` of the next record.
    pub fn next_seq(&self) -> u64 {
        self.state.next_seq
    }

    /// Entry hash of the last record, hex.
    pub fn head(&self) -> String {
        hex(&self.state.head)
    }

    /// The file being written.
    pub fn current_path(&self) -> &Path {
        &self.path
    }

    /// Records written since the last checkpoint.
    /// When the last checkpoint was written (or the writer opened, if none since).
    pub fn last_checkpoint_at(&self) -> Instant {
        self.last_checkpoint_at
    }

    pub fn unsealed(&self) -> u64 {
        self.since_checkpoint
    }

    /// Why the writer stopped accepting records, if it did.
    pub fn poisoned(&self) -> Option<&str> {
        self.poisoned.as_deref()
    }

    fn write_header(&mut self) -> Result<Appended, AuditError> {
        let range: Vec<String> = self.state.merkle.nodes().iter().map(hex).collect();
        let mut rec = Map::new();
        rec.insert("stream".into(), json!(self.opts.stream));
        rec.insert("file".into(), json!(self.file_no));
        rec.insert("first_seq".into(), json!(self.state.next_seq));
        rec.insert("prev_file_last_hash".into(), json!(hex(&self.state.head)));
        rec.insert("format".into(), json!(FORMAT));
        rec.insert(
            "merkle".into(),
            json!({"tree_size": self.state.merkle.size(), "range": range}),
        );
        self.write_record(Kind::Header, &rec)
    }

    /// Chain and write one record: `body` with `seq`, `prev`, `kind` and `ts` (the line is
    /// the canonical form of `body` with those inserted). A caller record's number beyond
    /// ±2^53 is refused here ([`InvalidRecord::UnsafeInteger`]), found while canonicalising.
    fn write_record<B: LineBody + ?Sized>(
        &mut self,
        kind: Kind,
        body: &B,
    ) -> Result<Appended, AuditError> {
        let strict = kind.is_caller_kind();
        if let Err(e) = self.check_usable() {
            // a record the writer would refuse anyway says so first, as before the check
            // moved into canonicalisation
            if let Some(path) = body.unsafe_pointer().filter(|_| strict) {
                return Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(path)));
            }
            return Err(e);
        }
        let seq = self.state.next_seq;
        next_ts(&mut self.ts, self.opts.clock.now());
        let head = RecordHead {
            kind: kind.as_str(),
            prev: &self.state.head,
            seq,
            ts: &self.ts.1,
        };
        // Into the batch being collected when there is one (the line is not copied there
        // afterwards), else into `line`; a line that fails leaves nothing behind.
        let out = match self.held.as_mut() {
            Some(held) => held,
            None => {
                self.line.clear();
                &mut self.line
            }
        };
        let start = out.len();
        let written = body.write_line(&head, strict, out).and_then(|()| {
            if seq > MAX_SAFE_INTEGER {
                return Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(
                    "/seq".into(),
                )));
            }
            Ok(())
        });
        if let Err(e) = written {
            out.truncate(start);
            return Err(e);
        }
        let hash = entry_hash(out.get(start..).unwrap_or_default());
        out.push(b'\n');
        let line_len = out.len() - start;
        if self.held.is_none() {
            if let Err(e) = self.file.write_all(&self.line) {
                return Err(self.poison(AuditError::io(&self.path.clone(), e)));
            }
        }
        if kind == Kind::Header {
            self.header_prev = self.state.head;
        }
        self.file_bytes += line_len as u64;
        self.state.merkle.append(hash);
        self.state.head = hash;
        self.state.next_seq = seq + 1;
        self.unsynced = true;
        if kind != Kind::Checkpoint {
            self.since_checkpoint += 1;
        }
        if self.opts.sync == SyncMode::Always && self.held.is_none() {
            self.sync()?;
        }
        Ok(Appended {
            seq,
            entry_hash: hash,
        })
    }

    fn check_usable(&self) -> Result<(), AuditError> {
        match &self.poisoned {
            Some(why) => Err(AuditError::Poisoned(why.clone())),
            None => Ok(()),
        }
    }

    fn poison(&mut self, e: AuditError) -> AuditError {
        self.poisoned.get_or_insert_with(|| e.to_string());
        e
    }

    fn sync_dir(&mut self) -> Result<(), AuditError> {
        #[cfg(unix)]
        {
            let dir = self.opts.dir.clone();
            if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
                return Err(self.poison(AuditError::io(&dir, e)));
            }
        }
        Ok(())
    }
}

/// Most bytes a batch's buffer keeps for the next batch: above a full batch of the bench's
/// records (256 × ~1.4 KB); a batch of larger records gives its buffer back.
const MAX_SPARE_BATCH: usize = 1 << 20;

/// `ts` for `now`, in `ts` (the last one written and the millisecond it spells): records
/// written within one millisecond share it, and within one second only its milliseconds are
/// written again (chrono formats the date and time once a second: under callgrind, where
/// every record has a millisecond of its own, 1.1k instructions and two allocations a call
/// before; docs/performance.md "Fourteenth round").
/// Always [`format_ts`]'s spelling (a test holds it to that).
fn next_ts(ts: &mut ((i64, u32), String), now: DateTime<Utc>) {
    let ms = (now.timestamp(), now.timestamp_subsec_millis());
    if ts.0 == ms && !ts.1.is_empty() {
        return;
    }
    // `…:SS.mmmZ`: a leap second's milliseconds (≥ 1000) are left to chrono
    let same_second = ts.0 .0 == ms.0 && ts.0 .1 < 1000 && ms.1 < 1000;
    match ts.1.len().checked_sub(4) {
        Some(cut) if same_second && ts.1.ends_with('Z') => {
            ts.1.truncate(cut);
            let digits = [ms.1 / 100, ms.1 / 10 % 10, ms.1 % 10];
            ts.1.extend(digits.iter().filter_map(|&d| char::from_digit(d, 10)));
            ts.1.push('Z');
        }
        _ => ts.1 = format_ts(now),
    }
    ts.0 = ms;
}

/// Validate a caller's `decision`/`outcome`/`event` body.
/// (Its numbers are checked while it is canonicalised: see [`ChainWriter::write_record`].)
pub(crate) fn check_caller_record(kind: Kind, body: &Map<String, Value>) -> Result<(), AuditError> {
    if !kind.is_caller_kind() {
        return Err(AuditError::Invalid(InvalidRecord::KindNotAllowed(
            kind.as_str(),
        )));
    }
    if let Some(field) = RESERVED_FIELDS.iter().find(|f| body.contains_key(**f)) {
        return Err(AuditError::Invalid(InvalidRecord::ReservedField(
            (*field).to_owned(),
        )));
    }
    if kind == Kind::Event {
        super::event::check_event_body(body)
            .map_err(|e| AuditError::Invalid(InvalidRecord::MalformedEvent(e)))?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod unsealed_tests;
