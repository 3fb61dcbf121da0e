//! Who may use `/admin/*`: a bearer token (always: generated into a 0600 file when the config
//! names none), a `Host` that is not a foreign name (DNS rebinding), no `Origin` (a browser
//! page), and `Content-Type: application/json` on every POST (no cross-site "simple" request).

use std::io::Write;
use std::path::{Path, PathBuf};

use http::{header, HeaderMap};
use subtle::ConstantTimeEq;

/// The admin API's credentials and the `Host` names it answers besides IP literals and
/// `localhost`.
#[derive(Debug, Clone)]
pub struct AdminAuth {
    /// Bearer token every `/admin/*` request must carry.
    pub token: String,
    /// Extra `Host` names (`admin_hosts:`), lowercase, without port.
    pub hosts: Vec<String>,
    /// Where the token came from: the file it was read from or written to, if any.
    pub token_file: Option<PathBuf>,
}

/// How a request failed the admin checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No or wrong bearer token: 401.
    Unauthorized,
    /// A foreign `Host`, an `Origin` or a cross-site fetch: 403.
    Forbidden(&'static str),
    /// A POST whose body is not declared `application/json`: 415.
    NotJson,
}

impl AdminAuth {
    /// Check one `/admin/*` request (method, headers, the URI's authority for HTTP/2).
    pub fn check(
        &self,
        method: &http::Method,
        authority: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<(), Refusal> {
        self.check_as(method, authority, headers, |t| self.is_admin_token(t))
    }

    /// [`AdminAuth::check`] with the bearer token judged by `accept` instead of compared with
    /// the admin token (the approvals routes also take approvers' tokens). Every other rule
    /// (Origin, Sec-Fetch-Site, Host, JSON on POST) is the same, in the same order.
    pub fn check_as(
        &self,
        method: &http::Method,
        authority: Option<&str>,
        headers: &HeaderMap,
        accept: impl FnOnce(&str) -> bool,
    ) -> Result<(), Refusal> {
        // A browser page (cross-site, or same-site after DNS rebinding) always sends Origin
        // on POST and on CORS requests; the CLI and scripts never do.
        if headers.contains_key(header::ORIGIN) {
            return Err(Refusal::Forbidden(
                "admin API: requests from web pages (Origin) are refused",
            ));
        }
        if headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() != b"none")
        {
            return Err(Refusal::Forbidden(
                "admin API: requests from web pages (Sec-Fetch-Site) are refused",
            ));
        }
        // Every name the request gives for the server must be allowed: the Host header(s) and
        // the URI's authority (HTTP/2, or an absolute-form request line).
        let mut names: Vec<Option<&str>> = headers
            .get_all(header::HOST)
            .iter()
            .map(|h| h.to_str().ok())
            .collect();
        if let Some(a) = authority {
            names.push(Some(a));
        }
        let allowed = !names.is_empty()
            && names
                .iter()
                .all(|n| n.is_some_and(|h| host_allowed(h, &self.hosts)));
        if !allowed {
            return Err(Refusal::Forbidden(
                "admin API: Host must be an IP address, localhost or a name in admin_hosts",
            ));
        }
        if !bearer(headers).is_some_and(accept) {
            return Err(Refusal::Unauthorized);
        }
        if method == http::Method::POST && !is_json(headers) {
            return Err(Refusal::NotJson);
        }
        Ok(())
    }

    /// Whether `token` is the admin token (constant time).
    pub fn is_admin_token(&self, token: &str) -> bool {
        !self.token.is_empty() && bool::from(token.as_bytes().ct_eq(self.token.as_bytes()))
    }
}

/// The token of the request's one `Authorization: Bearer <token>` header; `None` when there is
/// none, several, or another scheme.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let mut presented = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(v), None) = (presented.next(), presented.next()) else {
        return None; // none, or several
    };
    v.to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// `application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(headers: &HeaderMap) -> bool {
    let mut all = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(v), None) = (all.next(), all.next()) else {
        return false;
    };
    let Ok(v) = v.to_str() else {
        return false;
    };
    let media = v.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
}

/// A `Host` a browser only sends for the admin listener itself: an IP literal (no DNS name
/// can be rebound to it), `localhost` / `*.localhost`, or a configured name. Port ignored.
pub fn host_allowed(host: &str, configured: &[String]) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        match rest.split_once(']') {
            Some((v6, tail)) if tail.is_empty() || tail.starts_with(':') => {
                return v6.parse::<std::net::Ipv6Addr>().is_ok()
                    && tail.get(1..).is_none_or(valid_port);
            }
            _ => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, port)) if valid_port(port) => n,
            Some(_) => return false,
            None => host,
        }
    };
    if name.is_empty() {
        return false;
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || configured.iter().any(|c| c.eq_ignore_ascii_case(&name))
}

fn valid_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// Read the admin token from `path`, or create it (random, 0600) when it does not exist.
/// Returns the token and whether it was created. A file other users can read is refused.
pub fn load_or_create_token(path: &Path) -> std::io::Result<(String, bool)> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::metadata(path) {
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(std::io::Error::other(format!(
                    "{} is readable by other users (mode {:o}): chmod 600 it or delete it \
                     (a new token is then generated)",
                    path.display(),
                    meta.permissions().mode() & 0o777
                )));
            }
            let t = std::fs::read_to_string(path)?;
            let t = t.trim();
            if t.len() < 16 || !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(std::io::Error::other(format!(
                    "{}: not an admin token (16+ printable characters); delete it to generate one",
                    path.display()
                )));
            }
            Ok((t.to_string(), false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)?;
                }
            }
            let mut bytes = [0u8; 32];
            getrandom::getrandom(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
            let token = hex::encode(bytes);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            f.write_all(format!("{token}\n").as_bytes())?;
            f.sync_all()?;
            Ok((token, true))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let conf = vec!["toolwall-admin.internal".to_string()];
        for (h, ok) in [
            ("127.0.0.1:9901", true),
            ("127.0.0.1", true),
            ("10.1.2.3:9901", true),
            ("[::1]:9901", true),
            ("[::1]", true),
            ("localhost:9901", true),
            ("LOCALHOST.", true),
            ("a.localhost:1", true),
            ("toolwall-admin.internal:9901", true),
            ("evil.example:9901", false),
            ("127.0.0.1.nip.io:9901", false),
            ("localhost.evil.example", false),
            ("", false),
            (":9901", false),
            ("127.0.0.1:x", false),
            ("[::1]x", false),
            ("[evil]:1", false),
        ] {
            assert_eq!(host_allowed(h, &conf), ok, "{h}");
        }
    }

    #[test]
    fn token_file_is_created_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("state/admin.token");
        let (t, created) = load_or_create_token(&p).expect("create");
        assert!(created);
        assert_eq!(t.len(), 64);
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (t2, created) = load_or_create_token(&p).expect("reuse");
        assert!(!created);
        assert_eq!(t, t2);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(load_or_create_token(&p).is_err());
    }
}
