//! Signed checkpoints: the C2SP signed-note text that seals the chain head and Merkle root.
//!
//! A `checkpoint` record at position `seq` covers every entry before it: entries `0..seq`,
//! so its tree size equals its own `seq`, the last covered entry is `seq - 1`, and `head` is
//! that entry's hash (= the checkpoint's own `prev`). The record carries the values in the
//! clear *and* the full signed note; the verifier checks that they agree:
//!
//! ```json
//! {"head":"<hex>","kind":"checkpoint","note":"<note text>","prev":"<hex>","root":"<hex>",
//!  "seq":1000,"tree_size":1000,"ts":"2026-11-21T10:00:00.000Z"}
//! ```
//!
//! The note follows C2SP `tlog-checkpoint` / `signed-note` exactly (each line ends in `\n`):
//!
//! ```text
//! <origin = stream name>
//! <tree size, decimal>
//! <Merkle root, standard base64>
//! head <chain head, 64 lower-case hex>
//!
//! — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>
//! ```
//!
//! The signature is over the note text: the four body lines including the final `\n` (not
//! the blank line). The key id is `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[..4]`, see
//! [`super::keys`]. A checkpoint after a `key_rotation` record carries two signature lines,
//! the old key's and the new key's.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::canonical::{hex, parse_hex, Hash};
use super::keys::{AuditSigner, KeyId};

/// The em dash and space that start a signature line.
const SIG_PREFIX: &str = "\u{2014} ";
/// Most signature lines a note may carry (C2SP allows verifiers to cap this).
const MAX_SIGNATURES: usize = 16;

/// What a checkpoint note commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBody {
    /// The stream name.
    pub origin: String,
    /// Number of entries covered (= the checkpoint record's `seq`).
    pub tree_size: u64,
    /// RFC 6962 root over the entry hashes `0..tree_size`.
    pub root: Hash,
    /// Entry hash of entry `tree_size - 1` (the chain head; genesis hash when empty).
    pub head: Hash,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name and key hash from the signature line.
    pub key: KeyId,
    /// The Ed25519 signature.
    pub signature: [u8; 64],
}

/// A parsed signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text (body lines, each ending in `\n`).
    pub text: String,
    /// Signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

/// Why a note or its body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note has no blank line before the signatures, or no signatures.
    #[error("note has no signature block")]
    NoSignatures,
    /// A signature line is malformed.
    #[error("malformed signature line {0:?}")]
    BadSignatureLine(String),
    /// Too many signature lines.
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// The body is not a toolwall checkpoint.
    #[error("malformed checkpoint body: {0}")]
    BadBody(&'static str),
}

impl CheckpointBody {
    /// The note text that is signed.
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\nhead {}\n",
            self.origin,
            self.tree_size,
            B64.encode(self.root),
            hex(&self.head)
        )
    }

    /// Parse note text produced by [`CheckpointBody::to_text`], accepting nothing else.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let Some(body) = text.strip_suffix('\n') else {
            return Err(NoteError::BadBody("text does not end in a newline"));
        };
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, head] = lines.as_slice() else {
            return Err(NoteError::BadBody(
                "expected 4 lines: origin, size, root, head",
            ));
        };
        if origin.is_empty() {
            return Err(NoteError::BadBody("empty origin"));
        }
        let tree_size: u64 = size
            .parse()
            .map_err(|_| NoteError::BadBody("tree size is not a number"))?;
        if tree_size.to_string() != *size {
            return Err(NoteError::BadBody("tree size is not in canonical decimal"));
        }
        let root_bytes = B64
            .decode(root)
            .map_err(|_| NoteError::BadBody("root is not base64"))?;
        let root: Hash = root_bytes
            .try_into()
            .map_err(|_| NoteError::BadBody("root is not 32 bytes"))?;
        let head = head
            .strip_prefix("head ")
            .and_then(parse_hex)
            .ok_or(NoteError::BadBody("head line must be 'head <64 hex>'"))?;
        let parsed = Self {
            origin: (*origin).to_owned(),
            tree_size,
            root,
            head,
        };
        if parsed.to_text() != text {
            return Err(NoteError::BadBody("not in canonical form"));
        }
        Ok(parsed)
    }
}

/// Sign `text` with every signer and return the full note (text, blank line, signatures).
pub fn sign_note(text: &str, signers: &[&AuditSigner]) -> String {
    let mut note = String::with_capacity(text.len() + 1 + signers.len() * 120);
    note.push_str(text);
    note.push('\n');
    for signer in signers {
        let mut raw = Vec::with_capacity(68);
        raw.extend_from_slice(&signer.id().hash.to_be_bytes());
        raw.extend_from_slice(&signer.sign(text.as_bytes()));
        note.push_str(SIG_PREFIX);
        note.push_str(&signer.id().name);
        note.push(' ');
        note.push_str(&B64.encode(raw));
        note.push('\n');
    }
    note
}

/// Split a note into its text and signature lines (signatures are not verified here).
pub fn parse_note(note: &str) -> Result<SignedNote, NoteError> {
    // The text never contains a blank line, so the first "\n\n" separates the signatures.
    let Some(split) = note.find("\n\n") else {
        return Err(NoteError::NoSignatures);
    };
    let text = &note[..=split];
    let sig_block = &note[split + 2..];
    let Some(sig_block) = sig_block.strip_suffix('\n') else {
        return Err(NoteError::NoSignatures);
    };
    let mut signatures = Vec::new();
    for line in sig_block.split('\n') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let bad = || NoteError::BadSignatureLine(line.to_owned());
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(bad)?;
        let (name, b64) = rest.split_once(' ').ok_or_else(bad)?;
        if !super::keys::valid_key_name(name) {
            return Err(bad());
        }
        let raw = B64.decode(b64).map_err(|_| bad())?;
        if raw.len() != 68 {
            return Err(bad());
        }
        let hash = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&raw[4..]);
        signatures.push(NoteSignature {
            key: KeyId {
                name: name.to_owned(),
                hash,
            },
            signature,
        });
    }
    if signatures.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    Ok(SignedNote {
        text: text.to_owned(),
        signatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::keys::AuditVerifier;

    #[test]
    fn verifies_go_note_example() {
        // The signed note from golang.org/x/mod/sumdb/note's package documentation.
        let note = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let key = AuditVerifier::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .expect("vkey");
        let parsed = parse_note(note).expect("parse");
        assert_eq!(parsed.signatures.len(), 1);
        let sig = &parsed.signatures[0];
        assert_eq!(&sig.key, key.id());
        assert!(key.verify(parsed.text.as_bytes(), &sig.signature));
        // Our signer produces the same (deterministic Ed25519) signature line.
        let signer = AuditSigner::parse(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .expect("skey");
        assert_eq!(sign_note(&parsed.text, &[&signer]), note);
    }

    #[test]
    fn body_round_trip_and_strictness() {
        let body = CheckpointBody {
            origin: "audit".into(),
            tree_size: 42,
            root: [3; 32],
            head: [4; 32],
        };
        let text = body.to_text();
        assert_eq!(CheckpointBody::parse(&text), Ok(body));
        let bad = [
            text.replace("42\n", "042\n"),
            text.replace("\nhead ", "\nHEAD "),
            text.trim_end().to_owned(),
            format!("{text}extra\n"),
        ];
        for b in bad {
            assert!(CheckpointBody::parse(&b).is_err(), "{b:?}");
        }
    }

    #[test]
    fn parse_note_rejects_malformed() {
        let signer = AuditSigner::from_seed("k", [1; 32]).expect("key");
        let good = sign_note("a\n", &[&signer]);
        assert!(parse_note(&good).is_ok());
        for bad in [
            "a\n".to_string(),
            "a\n\n".to_string(),
            good.trim_end().to_string(),
            good.replace('\u{2014}', "-"),
            good.replace(" k ", " k+1 "),
        ] {
            assert!(parse_note(&bad).is_err(), "{bad:?}");
        }
    }
}
