//! An adapter's `upstream:` URL and its pooled HTTP client (`tls.ca` added to the web PKI
//! roots), built at config time; the forward stage only uses them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;

use super::error::{AtPath, ConfigError, PemError};

/// The pooled client of one adapter.
pub type UpstreamClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

#[derive(Debug, Clone)]
pub struct Upstream {
    pub https: bool,
    /// `host[:port]` as written in the adapter (port omitted when default).
    pub authority: String,
    pub host: String,
    /// Path prefix of the upstream URL, without a trailing slash ("" for none).
    pub base_path: String,
}

/// Parse an adapter's `upstream:` value; errors are at `upstream`.
pub fn parse_upstream(s: &str) -> Result<Upstream, AtPath> {
    let err = |e: ConfigError| e.at("upstream");
    let uri: http::Uri = s.parse().map_err(|source| {
        err(ConfigError::UpstreamNotUrl {
            url: s.to_string(),
            source,
        })
    })?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(err(ConfigError::UpstreamScheme(s.to_string()))),
    };
    let auth = uri
        .authority()
        .ok_or_else(|| err(ConfigError::UpstreamNoHost(s.to_string())))?;
    let default_port = if https { 443 } else { 80 };
    let authority = match auth.port_u16() {
        Some(p) if p != default_port => format!("{}:{p}", auth.host()),
        _ => auth.host().to_string(),
    };
    if uri.query().is_some() {
        return Err(err(ConfigError::UpstreamQuery(s.to_string())));
    }
    Ok(Upstream {
        https,
        authority,
        host: auth.host().to_string(),
        base_path: uri.path().trim_end_matches('/').to_string(),
    })
}

/// Build a client trusting the web PKI roots plus `extra_ca`; rustls with the `ring` provider.
/// Errors are at `tls.ca`.
pub fn build_client(
    extra_ca: Option<&[CertificateDer<'static>]>,
) -> Result<UpstreamClient, AtPath> {
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector(extra_ca, false)?))
}

/// The connector of an upstream client: TCP (no Nagle, 5 s connect timeout), then TLS for
/// `https://` trusting the web PKI roots plus `extra_ca` (rustls, `ring`), offering HTTP/1.1
/// and HTTP/2 by ALPN — or HTTP/2 only (`h2_only`, gRPC).
/// The TCP side of the upstream and OTLP exporter clients: any URI
/// scheme (TLS is layered on top), no Nagle delay, a bounded connect.
pub fn tcp_connector(connect_timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    http
}

pub fn connector(
    extra_ca: Option<&[CertificateDer<'static>]>,
    h2_only: bool,
) -> Result<hyper_rustls::HttpsConnector<HttpConnector>, AtPath> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for ca in extra_ca.unwrap_or_default() {
        roots
            .add(ca.clone())
            .map_err(|e| ConfigError::ClientCa(e).at("tls.ca"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::ClientTls(e).at("tls"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let http = tcp_connector(Duration::from_secs(5));
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    Ok(if h2_only {
        builder.enable_http2().wrap_connector(http)
    } else {
        builder.enable_http1().enable_http2().wrap_connector(http)
    })
}

/// Every certificate of a PEM file (at least one).
pub fn load_pem_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    use rustls_pki_types::pem::PemObject;
    let shown = || path.display().to_string();
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|source| PemError::Read {
            path: shown(),
            source,
        })?
        .collect();
    let certs = certs.map_err(|source| PemError::Bad {
        path: shown(),
        source,
    })?;
    if certs.is_empty() {
        return Err(PemError::Empty { path: shown() });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_forms() {
        let u = parse_upstream("https://api.stripe.com").expect("ok");
        assert_eq!(
            (u.https, u.authority.as_str(), u.base_path.as_str()),
            (true, "api.stripe.com", "")
        );
        let u = parse_upstream("http://127.0.0.1:8081/base/").expect("ok");
        assert_eq!(
            (u.https, u.authority.as_str(), u.base_path.as_str()),
            (false, "127.0.0.1:8081", "/base")
        );
        let u = parse_upstream("http://example.com:80").expect("ok");
        assert_eq!(u.authority, "example.com");
        assert!(parse_upstream("ftp://x").is_err());
        assert!(parse_upstream("http://x/?a=1").is_err());
    }

    #[test]
    fn upstream_errors_are_typed_and_at_the_value() {
        let e = parse_upstream("ftp://x").expect_err("scheme");
        assert_eq!(e.path, "upstream");
        assert!(matches!(e.error, ConfigError::UpstreamScheme(ref u) if u == "ftp://x"));
        let e = parse_upstream("http://x/?a=1").expect_err("query");
        assert!(matches!(e.error, ConfigError::UpstreamQuery(_)));
        let e = parse_upstream("http://exa mple").expect_err("not a URL");
        assert!(matches!(e.error, ConfigError::UpstreamNotUrl { .. }), "{e}");
    }
}
