//! The line-by-line state machine: parse, canonical form, integer range, `seq`, `prev`, the
//! Merkle state, and the dispatch to the checks of each record kind.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::super::canonical::{
    canonicalize, entry_hash, find_unsafe_integer, parse_hex, short, Hash,
};
use super::super::keys::TrustedKeys;
use super::super::merkle::CompactRange;
use super::super::record::{valid_ts, Kind};
use super::fast;
use super::*;

impl Verifier {
    /// Verify from genesis (`bootstrap == false`) or from the first file's header.
    pub(crate) fn new(stream: &str, keys: Option<TrustedKeys>, bootstrap: bool) -> Self {
        let state = (!bootstrap).then(|| ChainState {
            next_seq: 0,
            head: super::super::canonical::GENESIS_HASH,
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

    /// Verify one file, read line by line from `reader` (only the current line is held).
    /// A torn last line is not an error here: it is returned in the scan for the caller to
    /// judge. With `visit` `None` a line the fast path finds canonical is not parsed unless
    /// its kind has checks of its own (see [`super::fast`]).
    pub(crate) fn scan_file(
        &mut self,
        name: &str,
        file_no: u64,
        mut reader: impl BufRead,
        mut visit: Option<&mut Visitor<'_>>,
    ) -> std::io::Result<Result<FileScan, Finding>> {
        let mut scan = FileScan::default();
        let mut offset = 0u64;
        let mut line_no = 0u64;
        let prev_file = self.prev_file.take();
        let mut buf = Vec::with_capacity(4096);
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf)?;
            if n == 0 && line_no > 0 {
                break;
            }
            line_no += 1;
            let Some((b'\n', line)) = buf.split_last() else {
                scan.torn = Some((line_no, offset));
                break;
            };
            let is_last = reader.fill_buf()?.is_empty();
            let parsed = match fast::scan(line) {
                Some(head) => Parsed::Fast(head),
                None => match serde_json::from_slice::<Value>(line) {
                    Ok(v) => Parsed::Tree(v),
                    Err(_) if is_last => {
                        scan.torn = Some((line_no, offset));
                        break;
                    }
                    Err(e) => {
                        return Ok(Err(finding(
                            name,
                            line_no,
                            Reason::NotJson,
                            format!("not JSON: {e}"),
                        )));
                    }
                },
            };
            let checked = self.check_line(
                line_no,
                file_no,
                line,
                parsed,
                prev_file.as_ref(),
                visit.is_some(),
            );
            let (kind, rec) = match checked {
                Ok(ok) => ok,
                Err((reason, msg)) => return Ok(Err(finding(name, line_no, reason, msg))),
            };
            if let (Some(visit), Some(rec)) = (visit.as_deref_mut(), rec.as_ref()) {
                visit(
                    RecordLoc {
                        file: name,
                        line: line_no,
                    },
                    rec,
                );
            }
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
            offset += n as u64;
            scan.valid_bytes = offset;
        }
        let last_seq = self.state.as_ref().and_then(|s| s.next_seq.checked_sub(1));
        let last_hash = self.state.as_ref().map(|s| s.head).unwrap_or_default();
        self.prev_file = Some(PrevFile {
            name: name.to_owned(),
            scan: scan.clone(),
            last_seq,
            last_hash,
        });
        Ok(Ok(scan))
    }

    /// The checks of one line. The record's fields as a map: always for the kinds with
    /// checks of their own, for decisions and outcomes only when `want_record` (or when the
    /// fast path left the line to the reference check, which parses it anyway).
    fn check_line(
        &mut self,
        line_no: u64,
        file_no: u64,
        line: &[u8],
        parsed: Parsed<'_>,
        prev_file: Option<&PrevFile>,
        want_record: bool,
    ) -> Check<(Kind, Option<Map<String, Value>>)> {
        let (seq, prev, kind, rec) = match parsed {
            Parsed::Fast(head) => {
                let kind = Kind::parse(head.kind).ok_or_else(|| {
                    (
                        Reason::MalformedRecord,
                        format!("unknown kind {:?}", head.kind),
                    )
                })?;
                if !valid_ts(head.ts) {
                    return Err((
                        Reason::MalformedRecord,
                        format!("ts {:?} is not RFC 3339 UTC with milliseconds", head.ts),
                    ));
                }
                let rec = if want_record || !matches!(kind, Kind::Decision | Kind::Outcome) {
                    match serde_json::from_slice::<Value>(line) {
                        Ok(Value::Object(m)) => Some(m),
                        _ => {
                            return Err((
                                Reason::MalformedRecord,
                                "record is not a JSON object".into(),
                            ))
                        }
                    }
                } else {
                    None
                };
                (head.seq, head.prev, kind, rec)
            }
            Parsed::Tree(value) => {
                let (seq, prev, kind, rec) = reference_check(line, value)?;
                (seq, prev, kind, Some(rec))
            }
        };
        let kind_str = kind.as_str();
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
            let merkle = header_merkle(need(&rec)?)?;
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
            Kind::Header => self.check_header(need(&rec)?, seq, prev, file_no)?,
            Kind::Recovery => {
                check_recovery(
                    need(&rec)?,
                    line_no,
                    seq,
                    prev_file,
                    self.rotation_abandoned,
                )?;
                self.rotation_abandoned = false;
            }
            Kind::KeyRotation => self.check_key_rotation(need(&rec)?)?,
            Kind::Checkpoint => self.check_checkpoint(need(&rec)?, seq, prev)?,
            Kind::Event => super::super::event::check_event_body(need(&rec)?)
                .map_err(|e| (Reason::MalformedRecord, e))?,
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
        self.last_closed =
            kind == Kind::Checkpoint && rec.as_ref().is_some_and(|r| r.get("closed").is_some());
        Ok((kind, rec))
    }
}

/// A line as read: certainly canonical with its head read by the fast path, or parsed for
/// the reference check.
enum Parsed<'a> {
    Fast(fast::Head<'a>),
    Tree(Value),
}

/// The record's fields, for the kinds whose checks read them (always parsed for those).
fn need(rec: &Option<Map<String, Value>>) -> Check<&Map<String, Value>> {
    rec.as_ref()
        .ok_or_else(|| (Reason::MalformedRecord, "record not parsed".into()))
}

/// The reference check of a line the fast path left alone: a JSON object, no integer beyond
/// ±2^53, in RFC 8785 canonical form (re-serialised and compared), with `seq`, `prev`,
/// `kind` and `ts`.
fn reference_check(line: &[u8], value: Value) -> Check<(u64, Hash, Kind, Map<String, Value>)> {
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
    Ok((seq, prev, kind, rec))
}

pub(super) fn get_str<'a>(rec: &'a Map<String, Value>, field: &str) -> Check<&'a str> {
    rec.get(field).and_then(Value::as_str).ok_or_else(|| {
        (
            Reason::MalformedRecord,
            format!("missing or non-string field {field:?}"),
        )
    })
}

pub(super) fn get_u64(rec: &Map<String, Value>, field: &str) -> Check<u64> {
    rec.get(field).and_then(Value::as_u64).ok_or_else(|| {
        (
            Reason::MalformedRecord,
            format!("missing or non-integer field {field:?}"),
        )
    })
}

pub(super) fn get_hash(rec: &Map<String, Value>, field: &str) -> Check<Hash> {
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
