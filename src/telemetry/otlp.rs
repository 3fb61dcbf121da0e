//! toolwall's OTLP trace exporter: each batch encoded straight into protobuf ([`Encoder`],
//! one set of buffers reused) and sent by a hyper client — OTLP/HTTP (`POST …/v1/traces`,
//! `application/x-protobuf`) or OTLP/gRPC over HTTP/2 (`TraceService/Export`, a
//! length-prefixed message, `grpc-status` read from the trailers) — over TLS for `https://`
//! endpoints (rustls with ring: the webpki roots plus a CA file, an optional client
//! certificate). It replaces opentelemetry-otlp, whose conversion was most of what tracing
//! cost per call (src/telemetry/encode.rs).
//!
//! A failed export is logged and counted, never fatal: the batch is dropped, calls go on.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::SpanData;

use super::encode::Encoder;
use super::Protocol;

/// The gRPC method of OTLP/gRPC trace export.
const GRPC_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/// The most of a collector's answer toolwall reads.
const MAX_ANSWER: usize = 64 * 1024;

/// The PEM files of the exporter's TLS: extra trusted CAs, a client certificate and its key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// Where each came from, for errors: the config key or the variable.
    pub ca_file: Option<(PathBuf, &'static str)>,
    pub cert_file: Option<(PathBuf, &'static str)>,
    pub key_file: Option<(PathBuf, &'static str)>,
}

/// The rustls client config: the webpki roots plus `ca_file`, the client certificate when
/// both `cert_file` and `key_file` are given; ALPN is set by the connector.
pub fn client_tls(files: &TlsFiles) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some((path, from)) = &files.ca_file {
        for ca in load_certs(path, from)? {
            roots
                .add(ca)
                .map_err(|e| format!("{from} {}: CA certificate rejected: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("telemetry TLS: {e}"))?
        .with_root_certificates(roots);
    match (&files.cert_file, &files.key_file) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some((cert, cert_from)), Some((key, key_from))) => {
            let chain = load_certs(cert, cert_from)?;
            let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("{key_from} {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("{cert_from} {}: {e}", cert.display()))
        }
        (Some((_, from)), None) => Err(format!("{from} is set without a client key")),
        (None, Some((_, from))) => Err(format!("{from} is set without a client certificate")),
    }
}

fn load_certs(
    path: &Path,
    from: &str,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, String> {
    crate::config::compile::load_pem_certs(path).map_err(|e| format!("{from}: {e}"))
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Where and how batches are sent.
#[derive(Debug)]
struct Transport {
    protocol: Protocol,
    client: HttpsClient,
    uri: Uri,
    headers: HeaderMap,
    timeout: Duration,
}

impl Transport {
    async fn send(&self, body: Bytes) -> Result<(), String> {
        let mut req = Request::post(self.uri.clone())
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        let h = req.headers_mut();
        for (k, v) in &self.headers {
            h.append(k, v.clone());
        }
        match self.protocol {
            Protocol::HttpProtobuf => {
                h.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-protobuf"),
                );
            }
            Protocol::Grpc => {
                h.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/grpc"),
                );
                h.insert(http::header::TE, HeaderValue::from_static("trailers"));
            }
        }
        let answer = self.client.request(req).await.map_err(|e| {
            // the connect error's cause (refused, TLS) is in its source chain
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            msg
        })?;
        let (parts, body) = answer.into_parts();
        let collected = Limited::new(body, MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        match self.protocol {
            Protocol::HttpProtobuf => {
                if parts.status.is_success() {
                    Ok(())
                } else {
                    Err(format!("the collector answered HTTP {}", parts.status))
                }
            }
            Protocol::Grpc => {
                if parts.status != http::StatusCode::OK {
                    return Err(format!("the collector answered HTTP {}", parts.status));
                }
                // a trailers-only answer carries the status in its headers
                let trailers = collected.trailers().cloned().unwrap_or_default();
                let status = trailers
                    .get("grpc-status")
                    .or_else(|| parts.headers.get("grpc-status"));
                let message = trailers
                    .get("grpc-message")
                    .or_else(|| parts.headers.get("grpc-message"))
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                match status.map(HeaderValue::as_bytes) {
                    Some(b"0") => Ok(()),
                    Some(code) => Err(format!(
                        "the collector answered grpc-status {} {message}",
                        String::from_utf8_lossy(code)
                    )),
                    None => Err("the collector's answer has no grpc-status".into()),
                }
            }
        }
    }
}

/// The exporter the batch span processor calls (from its own thread): it encodes there and
/// sends from a task on the Tokio runtime, where the hyper client lives.
#[derive(Debug)]
pub struct Exporter {
    transport: Arc<Transport>,
    encoder: Mutex<(Encoder, Vec<u8>)>,
    handle: tokio::runtime::Handle,
    failures: AtomicU64,
}

/// The exporter's settings, resolved (see `telemetry::resolve`).
pub struct Target<'a> {
    pub protocol: Protocol,
    /// The full URL: for OTLP/HTTP the traces URL, for gRPC the collector (its path unused).
    pub endpoint: &'a str,
    pub headers: &'a [(String, String)],
    pub timeout: Duration,
    pub tls: &'a TlsFiles,
}

impl Exporter {
    /// Build the client; must run inside the Tokio runtime.
    pub fn new(t: &Target) -> Result<Exporter, String> {
        let uri: Uri = t
            .endpoint
            .parse()
            .map_err(|e| format!("telemetry endpoint `{}`: {e}", t.endpoint))?;
        let uri = match t.protocol {
            Protocol::HttpProtobuf => uri,
            Protocol::Grpc => {
                let mut p = uri.into_parts();
                p.path_and_query = Some(http::uri::PathAndQuery::from_static(GRPC_PATH));
                Uri::from_parts(p).map_err(|e| format!("telemetry endpoint: {e}"))?
            }
        };
        let tls = client_tls(t.tls)?;
        let http = crate::config::upstream::tcp_connector(Duration::from_secs(5));
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let mut client = Client::builder(TokioExecutor::new());
        client.pool_idle_timeout(Duration::from_secs(60));
        let client = match t.protocol {
            Protocol::HttpProtobuf => {
                client.build(builder.enable_http1().enable_http2().wrap_connector(http))
            }
            Protocol::Grpc => client
                .http2_only(true)
                .build(builder.enable_http2().wrap_connector(http)),
        };
        let mut headers = HeaderMap::new();
        for (k, v) in t.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("OTEL_EXPORTER_OTLP_HEADERS: `{k}` is not a header name"))?;
            let value = HeaderValue::from_str(v).map_err(|_| {
                format!("OTEL_EXPORTER_OTLP_HEADERS: the value of `{k}` is not a header value")
            })?;
            headers.append(name, value);
        }
        Ok(Exporter {
            transport: Arc::new(Transport {
                protocol: t.protocol,
                client,
                uri,
                headers,
                timeout: t.timeout,
            }),
            encoder: Mutex::new((Encoder::default(), Vec::new())),
            handle: tokio::runtime::Handle::current(),
            failures: AtomicU64::new(0),
        })
    }

    /// The request body of `batch`: the protobuf message (gRPC: framed).
    fn body(&self, batch: &[SpanData]) -> Bytes {
        let mut guard = self.encoder.lock().unwrap_or_else(|e| e.into_inner());
        let (enc, buf) = &mut *guard;
        buf.clear();
        let grpc = self.transport.protocol == Protocol::Grpc;
        if grpc {
            // not compressed, then the length (filled in below)
            buf.extend_from_slice(&[0; 5]);
        }
        enc.encode(batch, buf);
        if grpc {
            let n = u32::try_from(buf.len() - 5).unwrap_or(u32::MAX);
            buf[1..5].copy_from_slice(&n.to_be_bytes());
        }
        Bytes::copy_from_slice(buf)
    }
}

impl opentelemetry_sdk::trace::SpanExporter for Exporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if batch.is_empty() {
            return Ok(());
        }
        let body = self.body(&batch);
        let spans = batch.len();
        drop(batch);
        let transport = self.transport.clone();
        let timeout = transport.timeout;
        let sent = self
            .handle
            .spawn(async move {
                match tokio::time::timeout(timeout, transport.send(body)).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("no answer within {timeout:?}")),
                }
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        sent.map_err(|e| {
            let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                endpoint = %self.transport.uri,
                spans,
                failed_exports = n,
                "exporting traces failed, the batch is dropped: {e}"
            );
            OTelSdkError::InternalFailure(e)
        })
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        let mut guard = self.encoder.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.set_resource(resource);
    }
}
