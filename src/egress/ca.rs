//! The local CA: leaf certificates minted per guarded host (SAN = the host name or IP), cached
//! as ready TLS server configs. Its key stays in this process: a generated CA's key is never
//! written anywhere; only `ca.crt` and `bundle.crt` (CA + the system roots) are.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::config::egress::{first_cert, CaPem};

/// Minted leaves kept at once; the set of hosts is bounded by the adapters anyway, and the
/// cache is emptied when it is full.
const MAX_CACHED: usize = 1024;
/// A leaf is valid for 30 days from the day before it was minted; it is minted again after 7.
const LEAF_DAYS: i64 = 30;
const REMINT_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);
/// Where the system's trust roots are looked for (Debian/Ubuntu, RHEL/Fedora, Alpine/BSD).
const SYSTEM_ROOTS: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// The CA and its leaf cache.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// One key for every leaf (like mitmproxy): minting is one signature.
    leaf_key: KeyPair,
    cert_pem: String,
    cache: Mutex<HashMap<String, (Instant, Arc<rustls::ServerConfig>)>>,
}

/// Valid from `from` days to `to` days from today (UTC).
fn validity(params: &mut CertificateParams, from: i64, to: i64) {
    use chrono::Datelike;
    let day = |days: i64| {
        let d = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    params.not_before = day(from);
    params.not_after = day(to);
}

impl Ca {
    /// The configured CA, or a new one generated in memory.
    pub fn new(pem: Option<&CaPem>) -> anyhow::Result<Ca> {
        let leaf_key = KeyPair::generate()?;
        let (issuer, cert_pem) = match pem {
            Some(pem) => {
                let key = KeyPair::from_pem(&pem.key)?;
                let der = first_cert(&pem.cert).map_err(anyhow::Error::msg)?;
                let issuer = Issuer::from_ca_cert_der(&der, key)?;
                (issuer, pem_of(&der))
            }
            None => {
                let key = KeyPair::generate()?;
                let mut params = CertificateParams::new(Vec::<String>::new())?;
                params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                params.key_usages = vec![
                    KeyUsagePurpose::KeyCertSign,
                    KeyUsagePurpose::CrlSign,
                    KeyUsagePurpose::DigitalSignature,
                ];
                let id = hex::encode(rand::random::<[u8; 6]>());
                params
                    .distinguished_name
                    .push(DnType::CommonName, format!("toolwall egress CA {id}"));
                params
                    .distinguished_name
                    .push(DnType::OrganizationName, "toolwall");
                validity(&mut params, -1, 365);
                let cert = params.self_signed(&key)?;
                let pem = cert.pem();
                (Issuer::new(params, key), pem)
            }
        };
        Ok(Ca {
            issuer,
            leaf_key,
            cert_pem,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The CA certificate (PEM), what agents trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The TLS server config for `host` (lower-case; an IPv6 address with or without
    /// brackets): a leaf minted for it, ALPN `h2` and `http/1.1`.
    pub fn server_config(&self, host: &str) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        {
            let cache = lock(&self.cache);
            if let Some((at, cfg)) = cache.get(host) {
                if at.elapsed() < REMINT_AFTER {
                    return Ok(cfg.clone());
                }
            }
        }
        let cfg = Arc::new(self.mint(host)?);
        let mut cache = lock(&self.cache);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(host.to_string(), (Instant::now(), cfg.clone()));
        Ok(cfg)
    }

    fn mint(&self, host: &str) -> anyhow::Result<rustls::ServerConfig> {
        let mut params = CertificateParams::new(vec![host.to_string()])?;
        params.distinguished_name.push(DnType::CommonName, host);
        params.is_ca = IsCa::NoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, -1, LEAF_DAYS);
        let leaf = params.signed_by(&self.leaf_key, &self.issuer)?;
        let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(self.leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)?;
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(cfg)
    }

    /// Write `ca.crt` (the CA) and `bundle.crt` (the CA then the system roots) into `dir`,
    /// created if missing; both files mode 0644, replaced atomically.
    pub fn write_out(&self, dir: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create egress.ca_out {}", dir.display()))?;
        let mut bundle = self.cert_pem.clone();
        match SYSTEM_ROOTS
            .iter()
            .find_map(|p| std::fs::read_to_string(p).ok())
        {
            Some(roots) => {
                if !bundle.ends_with('\n') {
                    bundle.push('\n');
                }
                bundle.push_str(&roots);
            }
            None => tracing::warn!(
                "no system trust roots found ({}): bundle.crt holds only toolwall's CA",
                SYSTEM_ROOTS.join(", ")
            ),
        }
        write_public(&dir.join("ca.crt"), self.cert_pem.as_bytes())?;
        write_public(&dir.join("bundle.crt"), bundle.as_bytes())?;
        Ok(())
    }
}

/// Write through a temporary file and rename, mode 0644.
fn write_public(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    // umask may have narrowed the mode: agents (other UIDs) must be able to read it
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn pem_of(der: &CertificateDer<'_>) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_chain_to_the_ca_and_name_the_host() {
        let ca = Ca::new(None).expect("ca");
        let pem = ca.cert_pem().to_string();
        let ca_der = first_cert(&pem).expect("der");
        for host in ["api.example.com", "127.0.0.1", "[::1]"] {
            let cfg = ca.server_config(host).expect("config");
            assert_eq!(
                cfg.alpn_protocols,
                vec![b"h2".to_vec(), b"http/1.1".to_vec()]
            );
            let again = ca.server_config(host).expect("config");
            assert!(Arc::ptr_eq(&cfg, &again), "cached");
        }
        let leaf = ca.mint("api.example.com").expect("mint");
        drop(leaf);
        // the generated CA is a CA, valid today
        let (_, x) = x509_parser::parse_x509_certificate(ca_der.as_ref()).expect("x509");
        assert!(x.is_ca());
        assert!(x.validity().is_valid());
    }

    #[test]
    fn a_configured_ca_is_checked() {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "ops CA");
        let cert = params.self_signed(&key).expect("ca");
        let good = CaPem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        };
        assert!(crate::config::egress::check_ca(&good).is_ok());
        let ca = Ca::new(Some(&good)).expect("ca");
        assert_eq!(
            first_cert(ca.cert_pem()).expect("der").as_ref(),
            cert.der().as_ref()
        );
        let other = KeyPair::generate().expect("key");
        let wrong_key = CaPem {
            cert: cert.pem(),
            key: other.serialize_pem(),
        };
        assert!(matches!(
            crate::config::egress::check_ca(&wrong_key),
            Err(crate::config::egress::CaProblem::Key(_))
        ));
        let leaf_params = CertificateParams::new(vec!["x.example".to_string()]).expect("p");
        let not_ca = leaf_params.self_signed(&other).expect("leaf");
        let leaf = CaPem {
            cert: not_ca.pem(),
            key: other.serialize_pem(),
        };
        assert!(matches!(
            crate::config::egress::check_ca(&leaf),
            Err(crate::config::egress::CaProblem::Cert(_))
        ));
        let junk = CaPem {
            cert: "nope".into(),
            key: key.serialize_pem(),
        };
        assert!(matches!(
            crate::config::egress::check_ca(&junk),
            Err(crate::config::egress::CaProblem::Cert(_))
        ));
    }
}
