//! `audit.args: encrypted`: the raw canonical arguments sealed to an auditor's X25519 public
//! key (a libsodium `crypto_box_seal` sealed box), for break-glass review and exact replay.
//!
//! The proxy holds only the public key; a record carries `args_sealed`: standard base64 of
//! `ephemeral public key (32) ‖ XSalsa20-Poly1305 ciphertext`, which libsodium, PyNaCl and
//! others open with `crypto_box_seal_open`. Key files, one line each:
//!
//! - `auditor.pub`: `x25519-public:<base64 32-byte public key>`
//! - `auditor.key` (mode 0600): `x25519-secret:<base64 32-byte secret key>`

use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};

use super::keys::write_secret_file;
use super::AuditError;

const PUBLIC_PREFIX: &str = "x25519-public:";
const SECRET_PREFIX: &str = "x25519-secret:";
/// File name of the auditor's public key written by [`auditor_keygen`].
pub const AUDITOR_PUBLIC_FILE: &str = "auditor.pub";
/// File name of the auditor's secret key written by [`auditor_keygen`].
pub const AUDITOR_SECRET_FILE: &str = "auditor.key";

/// The auditor's X25519 public key: what the proxy seals arguments to.
#[derive(Clone)]
pub struct AuditorPublicKey(PublicKey);

/// The auditor's X25519 secret key: opens sealed arguments. Never given to the proxy.
pub struct AuditorSecretKey(SecretKey);

fn decode_key(text: &str, prefix: &str, what: &str) -> Result<[u8; 32], AuditError> {
    let b64 = text
        .trim()
        .strip_prefix(prefix)
        .ok_or_else(|| AuditError::Key(format!("{what}: expected '{prefix}<base64>'")))?;
    B64.decode(b64)
        .ok()
        .and_then(|raw| <[u8; 32]>::try_from(raw).ok())
        .ok_or_else(|| AuditError::Key(format!("{what}: key must be 32 bytes of base64")))
}

impl AuditorPublicKey {
    /// Parse an `x25519-public:<base64>` line.
    pub fn parse(text: &str) -> Result<Self, AuditError> {
        Ok(Self(PublicKey::from(decode_key(
            text,
            PUBLIC_PREFIX,
            "auditor public key",
        )?)))
    }

    /// Load an `auditor.pub` file.
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let text = fs::read_to_string(path).map_err(|e| AuditError::io(path, e))?;
        Self::parse(&text).map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))
    }
}

impl std::fmt::Display for AuditorPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", B64.encode(self.0.as_bytes()))
    }
}

impl AuditorSecretKey {
    /// Parse an `x25519-secret:<base64>` line.
    pub fn parse(text: &str) -> Result<Self, AuditError> {
        Ok(Self(SecretKey::from(decode_key(
            text,
            SECRET_PREFIX,
            "auditor secret key",
        )?)))
    }

    /// Load an `auditor.key` file.
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let text = fs::read_to_string(path).map_err(|e| AuditError::io(path, e))?;
        Self::parse(&text).map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))
    }

    /// The matching public key.
    pub fn public_key(&self) -> AuditorPublicKey {
        AuditorPublicKey(self.0.public_key())
    }
}

/// Seal canonical argument bytes to the auditor: the record's `args_sealed` value.
pub fn seal_args(auditor: &AuditorPublicKey, canonical_args: &[u8]) -> Result<String, AuditError> {
    let sealed = auditor
        .0
        .seal(&mut OsRng, canonical_args)
        .map_err(|_| AuditError::Key("sealing the arguments failed".into()))?;
    Ok(B64.encode(sealed))
}

/// Open an `args_sealed` value with the auditor's secret key.
pub fn open_args(auditor: &AuditorSecretKey, sealed: &str) -> Result<Vec<u8>, AuditError> {
    let raw = B64
        .decode(sealed)
        .map_err(|_| AuditError::Key("args_sealed is not base64".into()))?;
    auditor
        .0
        .unseal(&raw)
        .map_err(|_| AuditError::Key("args_sealed does not open with this auditor key".into()))
}

/// Write a new auditor key pair to `out_dir/auditor.key` (0600) and `out_dir/auditor.pub`;
/// returns their paths (secret, public). Refuses to overwrite an existing secret key.
pub fn auditor_keygen(out_dir: &Path) -> Result<(PathBuf, PathBuf), AuditError> {
    let secret = SecretKey::generate(&mut OsRng);
    let public = AuditorPublicKey(secret.public_key());
    fs::create_dir_all(out_dir).map_err(|e| AuditError::io(out_dir, e))?;
    let secret_path = out_dir.join(AUDITOR_SECRET_FILE);
    let public_path = out_dir.join(AUDITOR_PUBLIC_FILE);
    write_secret_file(
        &secret_path,
        &format!("{SECRET_PREFIX}{}\n", B64.encode(secret.to_bytes())),
    )?;
    fs::write(&public_path, format!("{public}\n")).map_err(|e| AuditError::io(&public_path, e))?;
    Ok((secret_path, public_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (secret_path, public_path) = auditor_keygen(dir.path()).expect("keygen");
        let public = AuditorPublicKey::load(&public_path).expect("public");
        let secret = AuditorSecretKey::load(&secret_path).expect("secret");
        assert_eq!(secret.public_key().to_string(), public.to_string());
        let args = br#"{"amount":12000,"charge":"ch_1"}"#;
        let sealed = seal_args(&public, args).expect("seal");
        assert_ne!(
            sealed,
            seal_args(&public, args).expect("seal"),
            "ephemeral key per seal"
        );
        assert_eq!(open_args(&secret, &sealed).expect("open"), args);

        let other = AuditorSecretKey::parse(&format!("{SECRET_PREFIX}{}", B64.encode([5u8; 32])))
            .expect("other key");
        assert!(open_args(&other, &sealed).is_err());
        for bad in ["", "!!", "AAAA", &sealed[..sealed.len() - 8]] {
            assert!(open_args(&secret, bad).is_err(), "{bad:?}");
        }
        assert!(AuditorPublicKey::parse("x25519-public:AAAA").is_err());
        assert!(auditor_keygen(dir.path()).is_err(), "must not overwrite");
    }
}
