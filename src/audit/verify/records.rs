//! Checks of the records the writer owns: file headers (and their Merkle state), recovery
//! records after a torn file, key rotations, and checkpoints (Merkle root, signed note,
//! signatures by trusted keys).

use serde_json::{Map, Value};

use super::super::canonical::{parse_hex, short, Hash};
use super::super::checkpoint::{parse_note, CheckpointBody};
use super::super::keys::AuditVerifier;
use super::super::merkle::CompactRange;
use super::super::record::{Kind, FORMAT};
use super::*;

impl Verifier {
    pub(super) fn check_header(
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

    pub(super) fn check_key_rotation(&mut self, rec: &Map<String, Value>) -> Check<()> {
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

    pub(super) fn check_checkpoint(
        &mut self,
        rec: &Map<String, Value>,
        seq: u64,
        prev: Hash,
    ) -> Check<()> {
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

pub(super) fn check_recovery(
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

pub(super) fn header_merkle(rec: &Map<String, Value>) -> Check<CompactRange> {
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

/// The second line of `bytes` is a recovery record naming `prev_name`.
pub(super) fn starts_with_recovery_of(bytes: &[u8], prev_name: &str) -> bool {
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
