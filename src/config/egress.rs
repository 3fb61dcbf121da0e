//! `egress:` compiled: the transparent listener's address, where the CA certificate is
//! written for agents, the CA to mint from (read here, at start), and the passthrough list.
//! Read at start only, like `listen` (not reloadable).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::raw::RawEgress;
use super::spans::Located;
use crate::diag::Diag;

/// `egress:` compiled.
#[derive(Clone, Default)]
pub struct EgressSpec {
    /// Where connections redirected by iptables arrive; `None`: no transparent listener.
    pub transparent_listen: Option<SocketAddr>,
    /// Directory `ca.crt` and `bundle.crt` are written to at start.
    pub ca_out: Option<PathBuf>,
    /// The configured CA (certificate and key PEM); `None`: one generated in memory at start.
    pub ca: Option<CaPem>,
    /// Hosts tunnelled untouched (audited); every other unguarded host is refused.
    pub passthrough: Vec<Passthrough>,
    /// Tests only: the original destination of transparent connections that were not
    /// redirected by iptables (no `SO_ORIGINAL_DST`). Not settable from any file or variable;
    /// without it such connections are refused.
    #[doc(hidden)]
    pub test_original_dst: Option<SocketAddr>,
}

impl std::fmt::Debug for EgressSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EgressSpec")
            .field("transparent_listen", &self.transparent_listen)
            .field("ca_out", &self.ca_out)
            .field("ca", &self.ca.as_ref().map(|_| "<configured>"))
            .field("passthrough", &self.passthrough)
            .finish()
    }
}

/// A CA read from `egress.ca` (the key stays in memory).
#[derive(Clone)]
pub struct CaPem {
    pub cert: String,
    pub key: String,
}

/// One `egress.passthrough` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passthrough {
    /// `Exact("api.github.com")` or `Suffix(".github.com")` (subdomains only, not the apex).
    pub host: HostPattern,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Exact(String),
    Suffix(String),
}

impl Passthrough {
    /// Whether `host:port` (host lower-case, IPv6 in brackets) is this entry.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if port != self.port {
            return false;
        }
        match &self.host {
            HostPattern::Exact(h) => h == host,
            HostPattern::Suffix(s) => host.len() > s.len() && host.ends_with(s.as_str()),
        }
    }

    /// Parse `host:port`, `host` (port 443), `*.suffix` or `*.suffix:port`.
    pub fn parse(s: &str) -> Result<Passthrough, String> {
        let s = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let (host, port) = split_host_port(&s)?;
        let port = port.unwrap_or(443);
        let pattern = match host.strip_prefix("*.") {
            Some(suffix) => {
                check_hostname(suffix)?;
                HostPattern::Suffix(format!(".{suffix}"))
            }
            None => {
                if !(host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok()) {
                    check_hostname(host)?;
                }
                HostPattern::Exact(host.to_string())
            }
        };
        Ok(Passthrough {
            host: pattern,
            port,
        })
    }
}

/// `host[:port]` with an IPv6 host in brackets.
fn split_host_port(s: &str) -> Result<(&str, Option<u16>), String> {
    let port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("`{p}` is not a port (1-65535)")),
        Ok(n) => Ok(n),
    };
    if let Some(rest) = s.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return Err("an IPv6 address needs its closing `]`".into());
        };
        let ip = &rest[..end];
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`{ip}` is not an IPv6 address"));
        }
        let host = &s[..end + 2];
        return match &rest[end + 1..] {
            "" => Ok((host, None)),
            tail => match tail.strip_prefix(':') {
                Some(p) => Ok((host, Some(port(p)?))),
                None => Err(format!("unexpected `{tail}` after the address")),
            },
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((h, Some(port(p)?))),
        None => Ok((s, None)),
    }
}

/// A DNS name: labels of `a-z 0-9 - _`, no empty label, no wildcard.
fn check_hostname(h: &str) -> Result<(), String> {
    if h.is_empty() {
        return Err("a host name is needed (a bare `*` would open every host)".into());
    }
    if h.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    for label in h.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(format!(
                "`{h}` is not a host name (a `*` may only stand first, as `*.example.com`)"
            ));
        }
    }
    Ok(())
}

/// `egress:` compiled; each error at its value.
pub fn compile_section(
    src: &Located,
    raw: &Option<RawEgress>,
    base: &Path,
    diags: &mut Vec<Diag>,
) -> Option<EgressSpec> {
    let raw = raw.as_ref()?;
    let at = |path: &str, msg: String| {
        let (l, c) = src.spans.get(path);
        Diag::at(src.file, l, c, msg)
    };
    let mut spec = EgressSpec::default();
    if let Some(a) = &raw.transparent_listen {
        match a.parse::<SocketAddr>() {
            Ok(a) => spec.transparent_listen = Some(a),
            Err(e) => diags.push(at(
                "egress.transparent_listen",
                format!("egress.transparent_listen: `{a}` is not a host:port address: {e}"),
            )),
        }
    }
    if let Some(dir) = &raw.ca_out {
        if dir.trim().is_empty() {
            diags.push(at(
                "egress.ca_out",
                "egress.ca_out: give a directory".into(),
            ));
        } else {
            spec.ca_out = Some(base.join(dir));
        }
    }
    if let Some(ca) = &raw.ca {
        let cert_path = base.join(&ca.cert);
        let key_path = base.join(&ca.key);
        let cert = std::fs::read_to_string(&cert_path).map_err(|e| {
            at(
                "egress.ca.cert",
                format!("egress.ca.cert {}: {e}", cert_path.display()),
            )
        });
        let key = std::fs::read_to_string(&key_path).map_err(|e| {
            at(
                "egress.ca.key",
                format!("egress.ca.key {}: {e}", key_path.display()),
            )
        });
        match (cert, key) {
            (Ok(cert), Ok(key)) => {
                let pem = CaPem { cert, key };
                match check_ca(&pem) {
                    Ok(()) => spec.ca = Some(pem),
                    Err(CaProblem::Cert(e)) => diags.push(at(
                        "egress.ca.cert",
                        format!("egress.ca.cert {}: {e}", cert_path.display()),
                    )),
                    Err(CaProblem::Key(e)) => diags.push(at(
                        "egress.ca.key",
                        format!("egress.ca.key {}: {e}", key_path.display()),
                    )),
                }
            }
            (c, k) => {
                diags.extend(c.err());
                diags.extend(k.err());
            }
        }
    }
    for (i, p) in raw.passthrough.iter().enumerate() {
        match Passthrough::parse(p) {
            Ok(p) => spec.passthrough.push(p),
            Err(e) => diags.push(at(
                &format!("egress.passthrough[{i}]"),
                format!("egress.passthrough[{i}]: `{p}`: {e}"),
            )),
        }
    }
    Some(spec)
}

/// What is wrong with a configured CA: its certificate or its key.
pub enum CaProblem {
    Cert(String),
    Key(String),
}

/// Whether `pem` is a usable CA: a CA certificate and the private key of its public key.
pub fn check_ca(pem: &CaPem) -> Result<(), CaProblem> {
    let key = rcgen::KeyPair::from_pem(&pem.key)
        .map_err(|e| CaProblem::Key(format!("not a PEM private key rcgen can sign with: {e}")))?;
    let der = first_cert(&pem.cert).map_err(CaProblem::Cert)?;
    let (_, x509) = x509_parser::parse_x509_certificate(der.as_ref())
        .map_err(|e| CaProblem::Cert(format!("not an X.509 certificate: {e}")))?;
    if !x509.is_ca() {
        return Err(CaProblem::Cert(
            "not a CA certificate (basicConstraints CA:TRUE is needed)".into(),
        ));
    }
    if x509
        .tbs_certificate
        .subject_pki
        .subject_public_key
        .data
        .as_ref()
        != key.public_key_raw()
    {
        return Err(CaProblem::Key(
            "this key is not the key of the certificate in egress.ca.cert".into(),
        ));
    }
    rcgen::Issuer::from_ca_cert_der(&der, key)
        .map(|_| ())
        .map_err(|e| CaProblem::Cert(e.to_string()))
}

pub fn first_cert(pem: &str) -> Result<rustls_pki_types::CertificateDer<'static>, String> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| "no PEM certificate in the file".to_string())?
        .map_err(|e| format!("not a PEM certificate: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passthrough_entries() {
        let p = Passthrough::parse("API.GitHub.com:443").expect("ok");
        assert_eq!(p.host, HostPattern::Exact("api.github.com".into()));
        assert!(p.matches("api.github.com", 443));
        assert!(!p.matches("api.github.com", 8443));
        assert!(!p.matches("xapi.github.com", 443));
        let p = Passthrough::parse("api.github.com").expect("ok");
        assert_eq!(p.port, 443);
        let p = Passthrough::parse("*.example.com:8443").expect("ok");
        assert!(p.matches("a.example.com", 8443));
        assert!(p.matches("a.b.example.com", 8443));
        assert!(
            !p.matches("example.com", 8443),
            "the apex is not a subdomain"
        );
        assert!(!p.matches("evilexample.com", 8443));
        assert!(!p.matches("a.example.com", 443));
        let p = Passthrough::parse("[::1]:9000").expect("ok");
        assert!(p.matches("[::1]", 9000));
        let p = Passthrough::parse("127.0.0.1:9000").expect("ok");
        assert!(p.matches("127.0.0.1", 9000));
        for bad in [
            "*",
            "*:443",
            "*.",
            "a.*.com",
            "host:0",
            "host:99999",
            "host:x",
            "[::1",
            "[nope]:1",
            "a..b",
            "",
            "ex ample.com",
        ] {
            assert!(Passthrough::parse(bad).is_err(), "{bad}");
        }
    }
}
