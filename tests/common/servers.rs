//! The upstream servers the tests start: a recording HTTP/HTTPS upstream (rcgen
//! certificates), a fixed answer, a scripted (deliberately lax) one, and a real
//! `redis-server`.

use super::*;

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    pub version: http::Version,
}

/// A real upstream server recording what reaches it.
pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub ca_pem: Option<String>,
}

impl Upstream {
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

type UpBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// Three server-sent events 300 ms apart, each carrying an email address.
fn sse_body() -> UpBody {
    let events = futures_util::stream::unfold(0u32, |i| async move {
        if i == 3 {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let ev = format!("id: {i}\nevent: progress\ndata: {{\"step\":{i},\"contact\":\"agent{i}@example.com\"}}\n\n");
        Some((
            Ok::<_, Infallible>(http_body::Frame::data(Bytes::from(ev))),
            i + 1,
        ))
    });
    http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(events))
}

async fn upstream_handle(
    req: Request<Incoming>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<Response<UpBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    seen.lock().expect("lock").push(Seen {
        method: parts.method.to_string(),
        path_and_query: pq.clone(),
        headers: parts.headers.clone(),
        body: body.clone(),
        version: parts.version,
    });
    if pq.starts_with("/slow") {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if pq.starts_with("/sse") {
        let mut resp = Response::new(sse_body());
        resp.headers_mut()
            .insert("content-type", "text/event-stream".parse().expect("hv"));
        return Ok(resp);
    }
    if pq.starts_with("/pii") {
        let out = json!({"customer": {"email": "jane.doe@example.com", "card": "4242 4242 4242 4242"},
                         "note": "no secrets here"});
        let mut resp = Response::new(Full::new(Bytes::from(out.to_string())).boxed());
        resp.headers_mut()
            .insert("content-type", "application/json".parse().expect("hv"));
        return Ok(resp);
    }
    let out = json!({
        "method": parts.method.as_str(),
        "path": pq,
        "body": String::from_utf8_lossy(&body),
        "version": format!("{:?}", parts.version),
    });
    let mut resp = Response::new(Full::new(Bytes::from(out.to_string())).boxed());
    resp.headers_mut()
        .insert("content-type", "application/json".parse().expect("hv"));
    // A hop-by-hop header the proxy must not relay.
    resp.headers_mut()
        .insert("keep-alive", "timeout=5".parse().expect("hv"));
    Ok(resp)
}

/// Plain HTTP upstream on 127.0.0.1:0.
pub async fn http_upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let s = s.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| upstream_handle(req, s.clone()));
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        ca_pem: None,
    }
}

/// A CA minted here (common name `ca_cn`) and a server certificate it signed for `127.0.0.1`
/// and `localhost`, with the certificate's key.
pub fn test_ca_and_server_cert(
    ca_cn: &str,
) -> (
    rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    rcgen::Certificate,
    rcgen::KeyPair,
) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, ca_cn);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    (ca, leaf, leaf_key)
}

/// HTTPS upstream (HTTP/2 and HTTP/1.1 by ALPN) with a certificate from a CA minted here.
pub async fn https_upstream() -> Upstream {
    let (ca, leaf, leaf_key) = test_ca_and_server_cert("toolwall test CA");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls_pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        )
        .expect("server config");
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let s = s.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = service_fn(move |req| upstream_handle(req, s.clone()));
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        ca_pem: Some(ca.pem()),
    }
}
/// An upstream that answers every request with `body` (JSON) and counts what reaches it.
pub struct FixedUpstream {
    pub addr: SocketAddr,
    pub hits: Arc<std::sync::atomic::AtomicUsize>,
}

impl FixedUpstream {
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

pub async fn fixed_upstream(body: &'static str) -> FixedUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let h = h.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |_req: Request<Incoming>| {
                    let h = h.clone();
                    async move {
                        h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let mut resp =
                            Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                        resp.headers_mut()
                            .insert("content-type", "application/json".parse().expect("hv"));
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    FixedUpstream { addr, hits }
}

/// A real `redis-server` on a free loopback port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        // The probed port can be taken before redis binds it: then try another one.
        for _ in 0..5 {
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
                l.local_addr().expect("addr").port()
            };
            let dir = tempfile::tempdir().expect("tempdir");
            let mut s = RedisServer {
                port,
                child: None,
                dir,
            };
            if s.try_start().await {
                return s;
            }
        }
        panic!("redis-server did not start");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Start (again) on the same port.
    pub async fn restart(&mut self) {
        assert!(
            self.try_start().await,
            "redis-server did not start on port {}",
            self.port
        );
    }

    async fn try_start(&mut self) -> bool {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
            ])
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        for _ in 0..100 {
            if let Some(c) = self.child.as_mut() {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    self.child = None;
                    return false;
                }
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)).await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                if s.write_all(b"PING\r\n").await.is_ok() {
                    let mut buf = [0u8; 16];
                    if let Ok(n) = s.read(&mut buf).await {
                        if buf[..n].starts_with(b"+PONG") {
                            return true;
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.kill();
        false
    }

    /// Kill the server (SIGKILL) and wait for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A plain HTTP upstream on 127.0.0.1:0 that records every request (as `Seen`, body read
/// whole) and answers each with `answer(&seen)`: the shape of the deliberately lax servers
/// the hardening tests need.
pub async fn scripted_upstream<F>(answer: F) -> Upstream
where
    F: Fn(&Seen) -> Response<Full<Bytes>> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, answer) = (seen.clone(), Arc::new(answer));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (s, answer) = (s.clone(), answer.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let (s, answer) = (s.clone(), answer.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let seen = Seen {
                            method: parts.method.to_string(),
                            path_and_query: parts
                                .uri
                                .path_and_query()
                                .map(|p| p.as_str().to_string())
                                .unwrap_or_default(),
                            headers: parts.headers,
                            body,
                            version: parts.version,
                        };
                        let resp = answer(&seen);
                        s.lock().expect("lock").push(seen);
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        ca_pem: None,
    }
}
