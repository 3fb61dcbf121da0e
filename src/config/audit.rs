//! `audit:` compiled: the stream's writer options with the signing, HMAC and auditor keys
//! loaded (opened once at start; not reloadable).

use std::path::Path;

use super::error::ConfigError;
use super::raw::{AuditArgs, AuditSync, RawAudit};
use super::spans::Located;
use crate::diag::Diag;

/// The audit stream settings, with the signing and HMAC keys loaded.
pub struct AuditSettings {
    pub writer: crate::audit::WriterOptions,
    pub hmac_key: Vec<u8>,
    pub args: AuditArgs,
    /// For `args: encrypted`.
    pub auditor: Option<crate::audit::AuditorPublicKey>,
}

pub fn load_audit(src: &Located, base: &Path, a: &RawAudit) -> Result<AuditSettings, Diag> {
    let at = |path: &str, e: ConfigError| src.at(path, e);
    let key_path = base.join(&a.key);
    let signer = crate::audit::AuditSigner::load(&key_path)
        .map_err(|e| at("audit.key", ConfigError::AuditKey(e)))?;
    let hmac_rel = a.hmac_key.clone().unwrap_or_else(|| {
        Path::new(&a.key)
            .with_file_name("hmac.key")
            .display()
            .to_string()
    });
    let hmac_path = base.join(&hmac_rel);
    let hmac_text = std::fs::read_to_string(&hmac_path).map_err(|source| {
        at(
            "audit.hmac_key",
            ConfigError::HmacKeyRead {
                path: hmac_path.display().to_string(),
                source,
            },
        )
    })?;
    let hmac_key = hex::decode(hmac_text.trim())
        .ok()
        .filter(|k| k.len() >= 16)
        .ok_or_else(|| {
            at(
                "audit.hmac_key",
                ConfigError::HmacKeyShort {
                    path: hmac_path.display().to_string(),
                },
            )
        })?;
    let mut writer = crate::audit::WriterOptions::new(
        base.join(&a.dir),
        a.stream.as_deref().unwrap_or("toolwall"),
        signer,
    );
    if let Some(b) = a.rotate_bytes {
        writer.rotate_bytes = b.max(4096);
    }
    if let Some(n) = a.checkpoint.every_records {
        writer.checkpoint_every = n.max(1);
    }
    if let Some(n) = a.queue {
        writer.queue = n.max(1);
    }
    if let Some(wait) = &a.queue_wait {
        writer.queue_wait = humantime::parse_duration(wait)
            .map_err(|e| at("audit.queue_wait", ConfigError::QueueWait(e)))?;
    }
    if let Some(every) = &a.checkpoint.every {
        writer.checkpoint_interval = humantime::parse_duration(every)
            .map_err(|e| at("audit.checkpoint.every", ConfigError::CheckpointEvery(e)))?;
    }
    writer.sync = match a.sync {
        AuditSync::None => crate::audit::SyncMode::None,
        AuditSync::Batch => crate::audit::SyncMode::Batch,
        AuditSync::Always => crate::audit::SyncMode::Always,
    };
    let auditor = match (&a.auditor_key, a.args) {
        (Some(p), _) => Some(
            crate::audit::AuditorPublicKey::load(&base.join(p))
                .map_err(|e| at("audit.auditor_key", ConfigError::AuditorKey(e)))?,
        ),
        (None, AuditArgs::Encrypted) => {
            return Err(at("audit.args", ConfigError::EncryptedNeedsAuditorKey))
        }
        (None, _) => None,
    };
    Ok(AuditSettings {
        writer,
        hmac_key,
        args: a.args,
        auditor,
    })
}
