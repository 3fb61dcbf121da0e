//! Ed25519 audit signing keys in the C2SP signed-note key formats, `keygen`, and the set of
//! trusted public keys that `audit verify` checks signatures against.
//!
//! Formats (the same as Go's `golang.org/x/mod/sumdb/note`):
//!
//! - key id: the first 4 bytes, big-endian, of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`,
//!   written as 8 lower-case hex digits;
//! - `audit.pub` (verifier key): one line `<name>+<key id hex>+<base64(0x01 ‖ public key)>`;
//! - `audit.key` (signer key, mode 0600): one line
//!   `PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ 32-byte Ed25519 seed)>`;
//! - a trusted keys file (`--keys`): any number of verifier-key lines; blank lines and lines
//!   starting with `#` are ignored. An `audit.pub` is therefore a valid trusted keys file, and
//!   several can simply be concatenated.
//!
//! Key names must be non-empty and contain no `+`, whitespace or control characters.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::AuditError;

/// Signature algorithm byte for Ed25519 in C2SP signed notes.
pub const ALG_ED25519: u8 = 0x01;
/// File name of the private key that [`keygen`] writes.
pub const PRIVATE_KEY_FILE: &str = "audit.key";
/// File name of the public (verifier) key that [`keygen`] writes.
pub const PUBLIC_KEY_FILE: &str = "audit.pub";
/// Key name used when the operator gives none.
pub const DEFAULT_KEY_NAME: &str = "toolwall-audit";

/// A key's C2SP identity: its name and 4-byte key hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId {
    /// Key name (also written in the signature line).
    pub name: String,
    /// First 4 bytes of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`.
    pub hash: u32,
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{:08x}", self.name, self.hash)
    }
}

/// An Ed25519 signing key with its note name.
pub struct AuditSigner {
    id: KeyId,
    key: SigningKey,
}

/// An Ed25519 public key with its note name (a C2SP verifier key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerifier {
    id: KeyId,
    key: VerifyingKey,
}

/// The public keys whose signatures `audit verify` accepts.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<AuditVerifier>,
}

/// Where [`keygen`] wrote the key pair.
#[derive(Debug, Clone)]
pub struct KeyPaths {
    /// The private key file (`audit.key`).
    pub private: PathBuf,
    /// The public key file (`audit.pub`).
    pub public: PathBuf,
    /// The public key as a verifier-key line.
    pub verifier_key: String,
}

/// Compute the C2SP key hash of an Ed25519 public key.
pub fn key_hash(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Whether `name` is a valid note key name.
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
}

fn check_name(name: &str) -> Result<(), AuditError> {
    if valid_key_name(name) {
        Ok(())
    } else {
        Err(AuditError::Key(format!(
            "invalid key name {name:?}: must be non-empty without '+', spaces or control characters"
        )))
    }
}

/// Split `<name>+<hash hex>+<base64>` and check the hash against the decoded key.
fn parse_key_parts(text: &str, what: &str) -> Result<(String, u32, [u8; 32]), AuditError> {
    let bad = |why: &str| AuditError::Key(format!("malformed {what}: {why}"));
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(hash_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected <name>+<key id>+<base64 key>"));
    };
    check_name(name)?;
    if hash_hex.len() != 8 {
        return Err(bad("key id must be 8 hex digits"));
    }
    let hash = u32::from_str_radix(hash_hex, 16).map_err(|_| bad("key id is not hex"))?;
    let raw = B64.decode(b64).map_err(|_| bad("key is not base64"))?;
    let Some((&alg, key)) = raw.split_first() else {
        return Err(bad("empty key"));
    };
    if alg != ALG_ED25519 {
        return Err(bad("unsupported algorithm (only Ed25519, 0x01)"));
    }
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| bad("Ed25519 key must be 32 bytes"))?;
    Ok((name.to_owned(), hash, key))
}

impl AuditSigner {
    /// A fresh random key.
    pub fn generate(name: &str) -> Result<Self, AuditError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)
            .map_err(|e| AuditError::Key(format!("no system randomness: {e}")))?;
        Self::from_seed(name, seed)
    }

    /// A key from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, AuditError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let hash = key_hash(name, key.verifying_key().as_bytes());
        Ok(Self {
            id: KeyId {
                name: name.to_owned(),
                hash,
            },
            key,
        })
    }

    /// Parse a `PRIVATE+KEY+<name>+<hash>+<base64>` line.
    pub fn parse(text: &str) -> Result<Self, AuditError> {
        let text = text.trim_end_matches(['\n', '\r']);
        let Some(rest) = text.strip_prefix("PRIVATE+KEY+") else {
            return Err(AuditError::Key(
                "malformed private key: expected PRIVATE+KEY+<name>+<key id>+<base64 seed>".into(),
            ));
        };
        let (name, hash, seed) = parse_key_parts(rest, "private key")?;
        let signer = Self::from_seed(&name, seed)?;
        if signer.id.hash != hash {
            return Err(AuditError::Key(format!(
                "private key {name}: key id {hash:08x} does not match the key ({:08x})",
                signer.id.hash
            )));
        }
        Ok(signer)
    }

    /// Load a private key file written by [`keygen`].
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let text = fs::read_to_string(path).map_err(|e| AuditError::io(path, e))?;
        Self::parse(&text).map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))
    }

    /// The private key line (secret!).
    pub fn to_private_string(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.id.name,
            self.id.hash,
            B64.encode(raw)
        )
    }

    /// Name and key hash.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The matching public key.
    pub fn verifier(&self) -> AuditVerifier {
        AuditVerifier {
            id: self.id.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// Ed25519 signature over `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

impl fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditSigner")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl AuditVerifier {
    /// Parse a `<name>+<hash>+<base64>` verifier-key line.
    pub fn parse(text: &str) -> Result<Self, AuditError> {
        let (name, hash, key) = parse_key_parts(text.trim(), "public key")?;
        let computed = key_hash(&name, &key);
        if computed != hash {
            return Err(AuditError::Key(format!(
                "public key {name}: key id {hash:08x} does not match the key ({computed:08x})"
            )));
        }
        let key = VerifyingKey::from_bytes(&key).map_err(|_| {
            AuditError::Key(format!("public key {name}: not a valid Ed25519 point"))
        })?;
        Ok(Self {
            id: KeyId { name, hash },
            key,
        })
    }

    /// Name and key hash.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// Strict Ed25519 verification (rejects small-order keys and non-canonical signatures).
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        self.key
            .verify_strict(msg, &Signature::from_bytes(sig))
            .is_ok()
    }
}

impl fmt::Display for AuditVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.id.name,
            self.id.hash,
            B64.encode(raw)
        )
    }
}

impl TrustedKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse a trusted keys file body (see the module docs).
    pub fn parse(text: &str) -> Result<Self, AuditError> {
        let mut keys = Self::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = AuditVerifier::parse(line)
                .map_err(|e| AuditError::Key(format!("line {}: {e}", i + 1)))?;
            keys.add(key);
        }
        Ok(keys)
    }

    /// Load a trusted keys file (or an `audit.pub`).
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let text = fs::read_to_string(path).map_err(|e| AuditError::io(path, e))?;
        Self::parse(&text).map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))
    }

    /// Trust one more key (duplicates are ignored).
    pub fn add(&mut self, key: AuditVerifier) {
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    /// The key with this name and key hash, if trusted.
    pub fn find(&self, id: &KeyId) -> Option<&AuditVerifier> {
        self.keys.iter().find(|k| &k.id == id)
    }

    /// Number of trusted keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Write a new key pair to `out_dir/audit.key` (mode 0600) and `out_dir/audit.pub`. Refuses
/// to overwrite an existing private key.
pub fn keygen(out_dir: &Path, name: &str) -> Result<KeyPaths, AuditError> {
    let signer = AuditSigner::generate(name)?;
    fs::create_dir_all(out_dir).map_err(|e| AuditError::io(out_dir, e))?;
    let private = out_dir.join(PRIVATE_KEY_FILE);
    let public = out_dir.join(PUBLIC_KEY_FILE);
    write_secret_file(&private, &format!("{}\n", signer.to_private_string()))?;
    let verifier_key = signer.verifier().to_string();
    fs::write(&public, format!("{verifier_key}\n")).map_err(|e| AuditError::io(&public, e))?;
    Ok(KeyPaths {
        private,
        public,
        verifier_key,
    })
}

/// Create `path` (never overwriting) with mode 0600 and write `content` to it, synced.
pub(super) fn write_secret_file(path: &Path, content: &str) -> Result<(), AuditError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path).map_err(|e| AuditError::io(path, e))?;
    file.write_all(content.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| AuditError::io(path, e))
}

/// Write `audit.key`, `audit.pub` and `hmac.key` under `out`; the HMAC key's path.
pub fn generate_keys(out: &Path, name: &str) -> Result<(KeyPaths, std::path::PathBuf), String> {
    let paths = keygen(out, name).map_err(|e| e.to_string())?;
    let hmac_path = out.join("hmac.key");
    if !hmac_path.exists() {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| format!("no randomness: {e}"))?;
        write_secret_file(&hmac_path, &format!("{}\n", hex::encode(key)))
            .map_err(|e| e.to_string())?;
    }
    Ok((paths, hmac_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_note_key_hash_vector() {
        // From golang.org/x/mod/sumdb/note's example:
        // PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
        let v = AuditVerifier::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .expect("valid Go vkey");
        assert_eq!(v.id().hash, 0xc74f20a3);
        assert_eq!(
            v.to_string(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        let s = AuditSigner::parse(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .expect("valid Go skey");
        assert_eq!(s.verifier(), v);
    }

    #[test]
    fn rejects_malformed_keys() {
        let good = AuditSigner::from_seed("k", [7; 32])
            .expect("key")
            .verifier()
            .to_string();
        let cases = [
            "".to_string(),
            "k".to_string(),
            "k+zzzzzzzz+AAAA".to_string(),
            good.replacen("k+", "j+", 1),
            format!("{}A", &good[..good.len() - 1]),
            "a b+00000000+AQ==".to_string(),
        ];
        for case in cases {
            assert!(
                AuditVerifier::parse(&case).is_err(),
                "{case:?} should be rejected"
            );
        }
        assert!(AuditSigner::parse("PRIVATE+KEY+k+00000000+AQ==").is_err());
    }

    #[test]
    fn keygen_writes_loadable_pair_with_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = keygen(dir.path(), "test-key").expect("keygen");
        let signer = AuditSigner::load(&paths.private).expect("load private");
        let trusted = TrustedKeys::load(&paths.public).expect("load public");
        assert_eq!(trusted.len(), 1);
        let v = trusted.find(signer.id()).expect("trusted");
        let sig = signer.sign(b"msg");
        assert!(v.verify(b"msg", &sig));
        assert!(!v.verify(b"msh", &sig));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&paths.private)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            keygen(dir.path(), "test-key").is_err(),
            "must not overwrite"
        );
    }
}
