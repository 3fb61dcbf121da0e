//! [`ChainWriter`]: appends records to `<dir>/<stream>-NNNNNN.jsonl`, checkpoints, rotates
//! files and keys, and recovers from a crash on open.
//!
//! The writer is synchronous (std::fs) and owned by one thread; the proxy feeds it through a
//! bounded channel and calls [`ChainWriter::tick`] about once a second. Each `append` hands
//! the whole line to the OS with `write(2)` before returning; `SyncMode` decides when it is
//! also fsynced.
//!
//! On open the writer re-verifies the last file from its header (canonical form, seq, prev,
//! Merkle roots; not signatures, which may be by a retired key) and refuses to extend a
//! stream whose tail does not verify. A torn last line (no trailing newline, or an
//! unparsable last line) is never edited: the writer opens the next file with a header and
//! a `recovery` record, and the chain continues from the last good record. `audit verify`
//! checks the whole stream, including the links between earlier files.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::canonical::{
    canonicalize_into, entry_hash, find_unsafe_integer, hex, Hash, GENESIS_HASH, MAX_SAFE_INTEGER,
};
use super::checkpoint::{sign_note, CheckpointBody};
use super::keys::AuditSigner;
use super::merkle::CompactRange;
use super::record::{format_ts, Kind, FORMAT, RESERVED_FIELDS};
use super::verify::{ChainState, Verifier};
use super::{AuditError, InvalidRecord};

/// When appended records are fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// Never explicitly (the OS decides); rotation and `close` still sync.
    None,
    /// When the owner calls [`ChainWriter::maybe_sync`] and `batch_interval` has passed, and
    /// at every checkpoint.
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
    /// Its entry hash, lower-case hex.
    pub entry_hash: String,
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
    /// When set, records are collected here and written together (key rotation).
    held: Option<Vec<u8>>,
    /// `<dir>/<stream>.lock`, exclusively locked while this writer lives.
    _lock: File,
}

/// `<stream>-NNNNNN.jsonl`.
pub fn file_name(stream: &str, file_no: u64) -> String {
    format!("{stream}-{file_no:06}.jsonl")
}

/// Split `<stream>-NNNNNN.jsonl` into stream and file number.
pub fn parse_file_name(name: &str) -> Option<(String, u64)> {
    let stem = name.strip_suffix(".jsonl")?;
    let (stream, digits) = stem.rsplit_once('-')?;
    // At most 12 digits, so file numbers can always be incremented.
    if stream.is_empty()
        || !(6..=12).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let no: u64 = digits.parse().ok()?;
    (file_name(stream, no) == name && no > 0).then(|| (stream.to_owned(), no))
}

/// The audit files in `dir`, grouped by stream and sorted by file number.
pub fn list_streams(dir: &Path) -> Result<BTreeMap<String, Vec<(u64, PathBuf)>>, AuditError> {
    let mut streams: BTreeMap<String, Vec<(u64, PathBuf)>> = BTreeMap::new();
    for entry in fs::read_dir(dir).map_err(|e| AuditError::io(dir, e))? {
        let entry = entry.map_err(|e| AuditError::io(dir, e))?;
        let name = entry.file_name();
        let Some((stream, no)) = name.to_str().and_then(parse_file_name) else {
            continue;
        };
        // A device, FIFO or link under a stream file's name would be read without end.
        let regular = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !regular {
            return Err(AuditError::io(
                &entry.path(),
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not a regular file: audit stream files must be plain files",
                ),
            ));
        }
        streams.entry(stream).or_default().push((no, entry.path()));
    }
    for files in streams.values_mut() {
        files.sort();
    }
    Ok(streams)
}

fn valid_stream_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// What the last files of an existing stream say about where to continue.
enum Resume {
    /// Nothing there yet.
    Fresh,
    /// Keep appending to this file.
    Append {
        file_no: u64,
        bytes: u64,
        state: ChainState,
        unsealed: u64,
    },
    /// The file ends in a torn line: continue in a new file after a recovery record.
    Recover {
        torn_no: u64,
        valid_bytes: u64,
        torn_bytes: u64,
        state: ChainState,
    },
}

impl ChainWriter {
    /// Open (or create) the stream, recovering from a crash if needed.
    pub fn open(opts: WriterOptions) -> Result<Self, AuditError> {
        if !valid_stream_name(&opts.stream) {
            return Err(AuditError::Options(format!(
                "stream name {:?} must be non-empty [A-Za-z0-9._-]",
                opts.stream
            )));
        }
        if opts.checkpoint_every == 0 || opts.rotate_bytes == 0 {
            return Err(AuditError::Options(
                "checkpoint_every and rotate_bytes must be > 0".into(),
            ));
        }
        fs::create_dir_all(&opts.dir).map_err(|e| AuditError::io(&opts.dir, e))?;
        let lock = lock_stream(&opts.dir, &opts.stream)?;
        let resume = resume_point(&opts.dir, &opts.stream)?;
        // A cleanly closed stream must still end where its close left it: one cut back to an
        // earlier checkpoint (or altered) is not extended, which would hide the cut.
        let marker = closed_marker_path(&opts.dir, &opts.stream);
        if let Some(closed) = read_closed_marker(&marker)? {
            let intact = match &resume {
                Resume::Append { state, .. } => {
                    state.next_seq == closed.size && state.merkle.root() == closed.root
                }
                Resume::Fresh | Resume::Recover { .. } => false,
            };
            if !intact {
                return Err(AuditError::Corrupt(format!(
                    "stream {:?} was closed cleanly at size {} but no longer ends there (truncated or altered since); run `toolwall audit verify`, and remove {} only to accept the stream as it is",
                    opts.stream,
                    closed.size,
                    marker.display()
                )));
            }
        }
        // The stream is live from here on: its clean-close marker no longer applies.
        match fs::remove_file(&marker) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(AuditError::io(&marker, e)),
        }
        let now = Instant::now();
        let genesis = ChainState {
            next_seq: 0,
            head: GENESIS_HASH,
            merkle: CompactRange::new(),
        };
        let (file_no, state, append_bytes, unsealed, recovery) = match resume {
            Resume::Fresh => (1, genesis, None, 0, None),
            Resume::Append {
                file_no,
                bytes,
                state,
                unsealed,
            } => (file_no, state, Some(bytes), unsealed, None),
            Resume::Recover {
                torn_no,
                valid_bytes,
                torn_bytes,
                state,
            } => (
                torn_no + 1,
                state,
                None,
                0,
                Some((torn_no, valid_bytes, torn_bytes)),
            ),
        };
        let path = opts.dir.join(file_name(&opts.stream, file_no));
        let file = match append_bytes {
            Some(_) => OpenOptions::new().append(true).open(&path),
            None => OpenOptions::new().append(true).create_new(true).open(&path),
        }
        .map_err(|e| AuditError::io(&path, e))?;
        let mut writer = Self {
            opts,
            file,
            path,
            file_no,
            file_bytes: append_bytes.unwrap_or(0),
            state,
            since_checkpoint: unsealed,
            last_checkpoint_at: now,
            unsynced: false,
            last_sync: now,
            retiring: None,
            header_prev: GENESIS_HASH,
            poisoned: None,
            line: Vec::with_capacity(1024),
            held: None,
            _lock: lock,
        };
        if append_bytes.is_none() {
            writer.sync_dir()?;
            writer.write_header()?;
        }
        if let Some((torn_no, valid_bytes, torn_bytes)) = recovery {
            let last_good_seq = writer.state.next_seq.checked_sub(2);
            let mut body = Map::new();
            body.insert(
                "prev_file".into(),
                json!(file_name(&writer.opts.stream, torn_no)),
            );
            body.insert("valid_bytes".into(), json!(valid_bytes));
            body.insert("torn_bytes".into(), json!(torn_bytes));
            body.insert("last_good_seq".into(), json!(last_good_seq));
            // The header just written links to the last good record.
            body.insert("last_good_hash".into(), json!(hex(&writer.header_prev)));
            writer.write_record(Kind::Recovery, body)?;
            writer.sync()?;
        }
        Ok(writer)
    }

    /// Append a caller record (`decision`, `outcome` or `event`). `body` must not contain `seq`,
    /// `prev`, `kind` or `ts`, nor integers beyond ±2^53. The line has been written to the
    /// OS when this returns. If a checkpoint or rotation due after this record fails, the
    /// record still counts as written, and the writer refuses further appends.
    pub fn append(&mut self, kind: Kind, body: Map<String, Value>) -> Result<Appended, AuditError> {
        let body = check_caller_record(kind, body)?;
        let appended = self.write_record(kind, body)?;
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
        let mut results: Vec<Result<Appended, AuditError>> = Vec::with_capacity(records.len());
        let mut unflushed_from = 0;
        let mut sealed = false;
        self.held = Some(Vec::with_capacity(records.len() * 600));
        for (kind, body) in records {
            let written = check_caller_record(kind, body).and_then(|b| self.write_record(kind, b));
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
                self.held = Some(Vec::new());
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
        let held = self.held.take().unwrap_or_default();
        let mut outcome = if held.is_empty() {
            Ok(())
        } else {
            self.file
                .write_all(&held)
                .map_err(|e| self.poison(AuditError::io(&self.path.clone(), e)))
        };
        let must_sync =
            self.opts.sync == SyncMode::Always || (sealed && self.opts.sync != SyncMode::None);
        if outcome.is_ok() && must_sync && !held.is_empty() {
            outcome = self.sync();
        }
        if let Err(e) = &outcome {
            let msg = e.to_string();
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(AuditError::Poisoned(msg.clone()));
            }
        }
        outcome
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
        let appended = self.write_record(Kind::Checkpoint, rec)?;
        self.since_checkpoint = 0;
        self.retiring = None;
        self.last_checkpoint_at = Instant::now();
        if self.opts.sync != SyncMode::None && self.held.is_none() {
            self.sync()?;
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
        let written = self.write_record(Kind::KeyRotation, rec).and_then(|_| {
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

    /// In `Batch` mode, fsync if there are unsynced records and `batch_interval` has passed
    /// since the last sync. No-op in the other modes.
    pub fn maybe_sync(&mut self) -> Result<(), AuditError> {
        if self.opts.sync == SyncMode::Batch
            && self.unsynced
            && self.last_sync.elapsed() >= self.opts.batch_interval
        {
            self.sync()?;
        }
        Ok(())
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
        self.write_record(Kind::Header, rec)
    }

    fn write_record(
        &mut self,
        kind: Kind,
        mut body: Map<String, Value>,
    ) -> Result<Appended, AuditError> {
        self.check_usable()?;
        let seq = self.state.next_seq;
        if seq > MAX_SAFE_INTEGER {
            return Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(
                "/seq".into(),
            )));
        }
        body.insert("seq".into(), json!(seq));
        body.insert("prev".into(), json!(hex(&self.state.head)));
        body.insert("kind".into(), json!(kind.as_str()));
        body.insert("ts".into(), json!(format_ts(self.opts.clock.now())));
        self.line.clear();
        canonicalize_into(&Value::Object(body), &mut self.line)?;
        let hash = entry_hash(&self.line);
        self.line.push(b'\n');
        if let Some(held) = self.held.as_mut() {
            held.extend_from_slice(&self.line);
        } else if let Err(e) = self.file.write_all(&self.line) {
            return Err(self.poison(AuditError::io(&self.path.clone(), e)));
        }
        if kind == Kind::Header {
            self.header_prev = self.state.head;
        }
        self.file_bytes += self.line.len() as u64;
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
            entry_hash: hex(&hash),
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

/// Validate a caller's `decision`/`outcome`/`event` body.
fn check_caller_record(
    kind: Kind,
    body: Map<String, Value>,
) -> Result<Map<String, Value>, AuditError> {
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
        super::event::check_event_body(&body)
            .map_err(|e| AuditError::Invalid(InvalidRecord::MalformedEvent(e)))?;
    }
    let body = Value::Object(body);
    if let Some(path) = find_unsafe_integer(&body) {
        return Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(path)));
    }
    match body {
        Value::Object(body) => Ok(body),
        _ => Err(AuditError::Invalid(InvalidRecord::Canonical(
            "record body is not an object".into(),
        ))),
    }
}

/// Where a cleanly closed stream ended (the `<stream>.closed` file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedMarker {
    /// Records in the stream, shutdown checkpoint included.
    pub size: u64,
    /// Merkle root over them.
    pub root: Hash,
}

/// `<dir>/<stream>.closed`: written by a clean close, removed when a writer opens the stream.
pub fn closed_marker_path(dir: &Path, stream: &str) -> PathBuf {
    dir.join(format!("{stream}.closed"))
}

fn write_closed_marker(dir: &Path, stream: &str, m: &ClosedMarker) -> Result<(), AuditError> {
    let path = closed_marker_path(dir, stream);
    let tmp = dir.join(format!("{stream}.closed.tmp"));
    let text = format!(
        "{}\n",
        json!({"stream": stream, "size": m.size, "root": hex(&m.root)})
    );
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    };
    write().map_err(|e| AuditError::io(&path, e))
}

/// Read a clean-close marker; `None` when there is none.
pub fn read_closed_marker(path: &Path) -> Result<Option<ClosedMarker>, AuditError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AuditError::io(path, e)),
    };
    let bad = || {
        AuditError::Corrupt(format!(
            "{}: not a clean-close marker ({{\"stream\", \"size\", \"root\"}})",
            path.display()
        ))
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let size = v.get("size").and_then(Value::as_u64).ok_or_else(bad)?;
    let root = v
        .get("root")
        .and_then(Value::as_str)
        .and_then(super::canonical::parse_hex)
        .ok_or_else(bad)?;
    Ok(Some(ClosedMarker { size, root }))
}

/// Take the stream's lock file so two writers never extend the same chain.
fn lock_stream(dir: &Path, stream: &str) -> Result<File, AuditError> {
    let path = dir.join(format!("{stream}.lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| AuditError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(AuditError::Options(format!(
            "{}: another audit writer is using stream {stream:?}",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(AuditError::io(&path, e)),
    }
}

/// Scan the tail of an existing stream to decide where to continue.
fn resume_point(dir: &Path, stream: &str) -> Result<Resume, AuditError> {
    let files = list_streams(dir)?.remove(stream).unwrap_or_default();
    let Some((last_no, last_path)) = files.last() else {
        return Ok(Resume::Fresh);
    };
    let (scan, state, pending_rotation) = scan_for_resume(stream, *last_no, last_path)?;
    if let (None, Some(state), true) = (scan.torn, &state, pending_rotation) {
        // The file ends in a key_rotation whose checkpoint never reached it (a write torn
        // exactly between the two lines): abandon the rotation through a recovery record.
        return Ok(Resume::Recover {
            torn_no: *last_no,
            valid_bytes: scan.valid_bytes,
            torn_bytes: 0,
            state: state.clone(),
        });
    }
    let Some((_, valid_bytes)) = scan.torn else {
        let state = state
            .ok_or_else(|| AuditError::Corrupt(format!("{}: no header", last_path.display())))?;
        return Ok(Resume::Append {
            file_no: *last_no,
            bytes: scan.valid_bytes,
            state,
            unsealed: scan.unsealed,
        });
    };
    let total = fs::metadata(last_path)
        .map_err(|e| AuditError::io(last_path, e))?
        .len();
    let state = match state {
        Some(state) => state,
        // Torn header: continue from the file before it (or from genesis).
        None => match files.len().checked_sub(2).and_then(|i| files.get(i)) {
            None if *last_no == 1 => ChainState {
                next_seq: 0,
                head: GENESIS_HASH,
                merkle: CompactRange::new(),
            },
            None => {
                return Err(AuditError::Corrupt(format!(
                    "{}: torn header and no earlier file to continue from",
                    last_path.display()
                )))
            }
            Some((prev_no, prev_path)) => {
                let (prev_scan, prev_state, _) = scan_for_resume(stream, *prev_no, prev_path)?;
                match (prev_scan.torn, prev_state) {
                    (None, Some(s)) => s,
                    _ => {
                        return Err(AuditError::Corrupt(format!(
                            "{} and {} are both damaged; run `audit verify` and repair by hand",
                            prev_path.display(),
                            last_path.display()
                        )))
                    }
                }
            }
        },
    };
    Ok(Resume::Recover {
        torn_no: *last_no,
        valid_bytes,
        torn_bytes: total.saturating_sub(valid_bytes),
        state,
    })
}

fn scan_for_resume(
    stream: &str,
    file_no: u64,
    path: &Path,
) -> Result<(super::verify::FileScan, Option<ChainState>, bool), AuditError> {
    let bytes = fs::read(path).map_err(|e| AuditError::io(path, e))?;
    let mut v = Verifier::new(stream, None, true);
    let scan = v
        .scan_file(&file_name(stream, file_no), file_no, &bytes, &mut |_, _| {})
        .map_err(|f| AuditError::Corrupt(format!("{} ({})", f, path.display())))?;
    Ok((scan, v.state().cloned(), v.has_pending_rotation()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::audit::record::{hash_string_leaves, input_hmac};

    /// A clock frozen at one instant, so test streams are byte-for-byte reproducible.
    pub(crate) struct FixedClock;

    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            DateTime::parse_from_rfc3339("2026-11-21T10:00:00.123Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        }
    }

    pub(crate) fn test_key(n: u8) -> AuditSigner {
        AuditSigner::from_seed(&format!("test-key-{n}"), [n; 32]).expect("test key")
    }

    pub(crate) fn test_opts(dir: &Path, key: AuditSigner) -> WriterOptions {
        let mut opts = WriterOptions::new(dir, "audit", key);
        opts.rotate_bytes = 24_000;
        opts.checkpoint_every = 40;
        opts.sync = SyncMode::None;
        opts.clock = Arc::new(FixedClock);
        opts
    }

    /// A realistic decision body.
    pub(crate) fn decision(i: u64) -> Map<String, Value> {
        let args = json!({"charge": format!("ch_{i}"), "amount": 1200 + i, "email": "a@b.example"});
        let canonical = crate::audit::canonical::canonicalize(&args).expect("args");
        let v = json!({
            "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"),
            "run_id": "run-1", "agent": "billing-dispute-v3", "tenant_id": "acme_co",
            "tool": "stripe.create_refund", "mode": "enforce", "status": "allowed",
            "reasons": [], "policy": {"version": "v1", "digest": "sha256:ab"},
            "input_hmac": input_hmac(b"deploy-key", &canonical),
            "args": hash_string_leaves(&args, b"deploy-key"),
            "latency_us": 87,
        });
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    pub(crate) fn outcome(i: u64) -> Map<String, Value> {
        let v = json!({"decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}"), "status": 200,
                       "latency_ms": 41, "cost": {"usd": 0.002}});
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// Write `pairs` decision+outcome pairs and close.
    pub(crate) fn write_stream(dir: &Path, pairs: u64) {
        let mut w = ChainWriter::open(test_opts(dir, test_key(1))).expect("open");
        for i in 0..pairs {
            w.append(Kind::Decision, decision(i)).expect("decision");
            w.append(Kind::Outcome, outcome(i)).expect("outcome");
        }
        w.close().expect("close");
    }

    #[test]
    fn file_names() {
        assert_eq!(file_name("audit", 7), "audit-000007.jsonl");
        let cases = [
            ("audit-000007.jsonl", Some(("audit", 7))),
            ("my-stream-000010.jsonl", Some(("my-stream", 10))),
            ("audit-1234567.jsonl", Some(("audit", 1234567))),
            ("audit-0000007.jsonl", None),
            ("audit-000000.jsonl", None),
            ("audit-00001.jsonl", None),
            ("audit-000001.json", None),
            ("-000001.jsonl", None),
            ("audit-18446744073709551615.jsonl", None),
        ];
        for (name, want) in cases {
            let got = parse_file_name(name);
            assert_eq!(got.as_ref().map(|(s, n)| (s.as_str(), *n)), want, "{name}");
        }
    }

    #[test]
    fn event_records_are_chained_and_checked() {
        use crate::audit::event::EventRecord;
        use crate::audit::verify::{verify_path, Reason};
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
        w.append(Kind::Decision, decision(0)).expect("decision");
        let ev = EventRecord::new("mcp.tool_repinned")
            .tool("stripe.create_refund")
            .detail("n", 1);
        let a = w.append(Kind::Event, ev.into_body()).expect("event");
        assert_eq!(a.seq, 2);
        let mut no_name = EventRecord::new("admin.pin").into_body();
        no_name.remove("event");
        assert!(matches!(
            w.append(Kind::Event, no_name),
            Err(AuditError::Invalid(InvalidRecord::MalformedEvent(_)))
        ));
        w.close().expect("close");
        let mut keys = crate::audit::TrustedKeys::new();
        keys.add(test_key(1).verifier());
        let report = verify_path(dir.path(), &keys);
        assert!(report.valid, "{report}");

        // A malformed event that bypassed the writer's check is a finding of `audit verify`,
        // located on its line, even though its chain links are right.
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
        let mut bad = EventRecord::new("admin.pin").into_body();
        bad.insert("event".into(), json!("pin"));
        w.write_record(Kind::Event, bad).expect("raw write");
        w.close().expect("close");
        let report = verify_path(dir.path(), &keys);
        let err = report.error.expect("malformed event found");
        assert_eq!(
            (err.reason, err.line),
            (Reason::MalformedRecord, 2),
            "{err}"
        );
    }

    #[test]
    fn append_rejects_bad_bodies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
        let mut reserved = decision(0);
        reserved.insert("seq".into(), json!(5));
        assert!(
            matches!(w.append(Kind::Decision, reserved), Err(AuditError::Invalid(InvalidRecord::ReservedField(f))) if f == "seq")
        );
        let mut big = decision(0);
        big.insert("amount".into(), json!(1u64 << 60));
        assert!(
            matches!(w.append(Kind::Decision, big), Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(p))) if p == "/amount")
        );
        assert!(matches!(
            w.append(Kind::Checkpoint, decision(0)),
            Err(AuditError::Invalid(InvalidRecord::KindNotAllowed(_)))
        ));
        let a = w.append(Kind::Decision, decision(0)).expect("append");
        assert_eq!(a.seq, 1, "header is seq 0");
        assert_eq!(a.entry_hash, w.head());
    }

    #[test]
    fn batch_append_matches_single_appends_byte_for_byte() {
        let single = tempfile::tempdir().expect("tempdir");
        let batched = tempfile::tempdir().expect("tempdir");
        let mut a = ChainWriter::open(test_opts(single.path(), test_key(1))).expect("open");
        let mut b = ChainWriter::open(test_opts(batched.path(), test_key(1))).expect("open");
        let mut expected = Vec::new();
        for i in 0..300 {
            expected.push(a.append(Kind::Decision, decision(i)).expect("append"));
        }
        let mut got = Vec::new();
        for chunk in (0..300).collect::<Vec<u64>>().chunks(37) {
            let mut batch: Vec<(Kind, Map<String, Value>)> = chunk
                .iter()
                .map(|i| (Kind::Decision, decision(*i)))
                .collect();
            batch.push((Kind::Header, decision(0))); // rejected alone
            let results = b.append_batch(batch);
            assert!(matches!(
                results.last(),
                Some(Err(AuditError::Invalid(InvalidRecord::KindNotAllowed(_))))
            ));
            got.extend(results.into_iter().filter_map(Result::ok));
        }
        assert_eq!(got, expected);
        a.close().expect("close");
        b.close().expect("close");
        let files = list_streams(single.path()).expect("list")["audit"].clone();
        assert!(files.len() >= 3, "the batches crossed rotations");
        for (no, p) in files {
            let other = batched.path().join(file_name("audit", no));
            assert_eq!(
                fs::read(&p).expect("a"),
                fs::read(&other).expect("b"),
                "file {no}"
            );
        }
    }

    #[test]
    fn sync_modes_write_verifiable_streams() {
        for mode in [SyncMode::None, SyncMode::Batch, SyncMode::Always] {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut opts = test_opts(dir.path(), test_key(1));
            opts.sync = mode;
            opts.batch_interval = Duration::ZERO;
            let mut w = ChainWriter::open(opts).expect("open");
            for i in 0..5 {
                w.append(Kind::Decision, decision(i)).expect("append");
                w.maybe_sync().expect("maybe_sync");
            }
            w.sync().expect("sync");
            w.close().expect("close");
            let mut keys = crate::audit::TrustedKeys::new();
            keys.add(test_key(1).verifier());
            let report = crate::audit::verify_path(dir.path(), &keys);
            assert!(
                report.valid && report.warnings.is_empty(),
                "{mode:?}: {report}"
            );
        }
    }

    #[test]
    fn reopen_continues_the_same_file_and_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("open");
        for i in 0..5 {
            w.append(Kind::Decision, decision(i)).expect("append");
        }
        let (head, next) = (w.head(), w.next_seq());
        drop(w); // no close: as after a crash that tore nothing
        let mut w = ChainWriter::open(test_opts(dir.path(), test_key(1))).expect("reopen");
        assert!(
            matches!(ChainWriter::open(test_opts(dir.path(), test_key(1))), Err(AuditError::Options(m)) if m.contains("another audit writer")),
            "a second writer on the same stream is refused"
        );
        assert_eq!((w.head(), w.next_seq()), (head, next));
        assert_eq!(w.unsealed(), 6);
        assert!(w.current_path().ends_with("audit-000001.jsonl"));
        let a = w.append(Kind::Outcome, outcome(0)).expect("append");
        assert_eq!(a.seq, next);
    }

    #[test]
    fn checkpoints_by_count_and_time_and_rotation_by_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut opts = test_opts(dir.path(), test_key(1));
        opts.checkpoint_every = 10;
        opts.rotate_bytes = 1 << 30;
        let mut w = ChainWriter::open(opts).expect("open");
        for i in 0..9 {
            w.append(Kind::Decision, decision(i)).expect("append");
        }
        // header + 9 = 10 records since genesis: the 9th append triggered a checkpoint.
        assert_eq!(w.unsealed(), 0);
        w.append(Kind::Decision, decision(9)).expect("append");
        let now = Instant::now();
        assert!(!w.checkpoint_due(now));
        let later = now + Duration::from_secs(11);
        assert!(w.checkpoint_due(later));
        let cp = w.tick(later).expect("tick").expect("checkpoint written");
        assert_eq!(
            cp.seq, 12,
            "header 0, decisions 1-9, checkpoint 10, decision 11"
        );
        assert!(w.tick(later).expect("tick").is_none(), "nothing unsealed");
        w.rotate().expect("rotate");
        assert!(w.current_path().ends_with("audit-000002.jsonl"));
        assert_eq!(w.unsealed(), 1, "only the new header");
    }
}

#[cfg(test)]
mod unsealed_tests {
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
}
