//! The stream's files: names (`<stream>-NNNNNN.jsonl`), listing, the `<stream>.lock` lock
//! and the `<stream>.closed` marker of a clean shutdown.
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::super::canonical::{hex, Hash};
use super::super::AuditError;

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

pub(super) fn valid_stream_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
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

pub(super) fn write_closed_marker(
    dir: &Path,
    stream: &str,
    m: &ClosedMarker,
) -> Result<(), AuditError> {
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
        .and_then(super::super::canonical::parse_hex)
        .ok_or_else(bad)?;
    Ok(Some(ClosedMarker { size, root }))
}

/// Take the stream's lock file so two writers never extend the same chain.
pub(super) fn lock_stream(dir: &Path, stream: &str) -> Result<File, AuditError> {
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
