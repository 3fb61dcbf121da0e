//! `toolwall inject serve`: the webhook's HTTPS endpoint. `POST /inject` answers
//! AdmissionReviews; `GET /healthz` says whether the injector can be called (with
//! `--self-signed`: once the API server trusts its certificate).

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::review::{review, Answer, Outcome, MAX_BODY};
use super::InjectorConfig;
use crate::body::{full, read_body, ResBody};
use crate::pipeline::reject::Reason;
use crate::server::{serve_tls, ConnLimits};

/// A rustls server config (ring, TLS 1.2/1.3, HTTP/2 and HTTP/1.1 by ALPN).
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not make a TLS identity: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Load a PEM certificate chain and key (cert-manager's or a Secret's `tls.crt`/`tls.key`).
pub fn load_pem(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    server_config(chain, key)
}

/// Reload the certificate files when they change (cert-manager renews them in place),
/// keeping the last good config when the new files do not load.
pub async fn watch_files(cert: PathBuf, key: PathBuf, tls: Arc<ArcSwap<ServerConfig>>) {
    let stamp = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut last = (stamp(&cert), stamp(&key));
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let now = (stamp(&cert), stamp(&key));
        if now == last {
            continue;
        }
        match load_pem(&cert, &key) {
            Ok(cfg) => {
                tls.store(cfg);
                last = now;
                tracing::info!(cert = %cert.display(), "webhook certificate reloaded");
            }
            Err(e) => tracing::warn!(error = %e, "webhook certificate not reloaded"),
        }
    }
}

/// Serve until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ArcSwap<ServerConfig>>,
    cfg: Arc<InjectorConfig>,
    ready: Arc<AtomicBool>,
    shutdown: watch::Receiver<bool>,
) {
    let limits = ConnLimits {
        header_read_timeout: Duration::from_secs(10),
        max_connections: 512,
    };
    let acceptor = move || tokio_rustls::TlsAcceptor::from(tls.load_full());
    let handler = move |req: Request<Incoming>| {
        let cfg = cfg.clone();
        let ready = ready.clone();
        async move { Ok::<_, Infallible>(handle(req, &cfg, &ready).await) }
    };
    serve_tls(listener, acceptor, shutdown, limits, handler).await;
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<ResBody> {
    let mut r = Response::new(full(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn handle(
    req: Request<Incoming>,
    cfg: &InjectorConfig,
    ready: &AtomicBool,
) -> Response<ResBody> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => {
            if ready.load(Ordering::SeqCst) {
                text(StatusCode::OK, "ok\n")
            } else {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the webhook's CA is not installed yet\n",
                )
            }
        }
        (&Method::POST, "/inject") => {
            let (parts, body) = req.into_parts();
            let bytes = match read_body(body, &parts.headers, MAX_BODY).await {
                Ok(b) => b,
                Err(e) if e.reason == Reason::PayloadTooLarge => {
                    tracing::warn!(error = %e.message, "admission review refused");
                    return text(StatusCode::PAYLOAD_TOO_LARGE, e.message);
                }
                Err(e) => return text(StatusCode::BAD_REQUEST, e.message),
            };
            let (answer, outcome) = review(cfg, &bytes);
            match answer {
                Answer::BadRequest(msg) => {
                    tracing::warn!(error = %msg, "admission review refused");
                    text(StatusCode::BAD_REQUEST, msg)
                }
                Answer::Review(doc) => {
                    let uid = doc["response"]["uid"].as_str().unwrap_or("").to_string();
                    match outcome {
                        Some(Outcome::Injected) => tracing::info!(%uid, "pod injected"),
                        Some(Outcome::Skipped(why)) => {
                            tracing::info!(%uid, reason = %why, "pod not injected")
                        }
                        Some(Outcome::Refused(why)) => {
                            tracing::warn!(%uid, reason = %why, "pod refused")
                        }
                        None => {}
                    }
                    let body = serde_json::to_vec(&doc).unwrap_or_default();
                    let mut r = Response::new(full(body));
                    r.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    r
                }
            }
        }
        (_, "/inject" | "/healthz") => text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}
