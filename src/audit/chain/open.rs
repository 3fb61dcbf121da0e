//! Opening a stream: where to continue (the last file re-verified from its header), and
//! crash recovery (a torn tail is never edited: a new file starts with a `recovery` record).
use std::fs::{self, OpenOptions};
use std::path::Path;
use std::time::Instant;

use serde_json::{json, Map};

use super::super::canonical::{hex, GENESIS_HASH};
use super::super::merkle::CompactRange;
use super::super::record::Kind;
use super::super::verify::{ChainState, Verifier};
use super::super::AuditError;
use super::*;

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
            line: Vec::with_capacity(2048),
            ts: ((0, 0), String::new()),
            held: None,
            spare: Vec::new(),
            syncer: syncer::Syncer::new(),
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
            writer.write_record(Kind::Recovery, &body)?;
            writer.sync()?;
        }
        Ok(writer)
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
) -> Result<(super::super::verify::FileScan, Option<ChainState>, bool), AuditError> {
    let file = fs::File::open(path).map_err(|e| AuditError::io(path, e))?;
    let mut v = Verifier::new(stream, None, true);
    let scan = v
        .scan_file(
            &file_name(stream, file_no),
            file_no,
            std::io::BufReader::with_capacity(256 << 10, file),
            None,
        )
        .map_err(|e| AuditError::io(path, e))?
        .map_err(|f| AuditError::Corrupt(format!("{} ({})", f, path.display())))?;
    Ok((scan, v.state().cloned(), v.has_pending_rotation()))
}
