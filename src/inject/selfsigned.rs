//! `--self-signed`: the injector makes its own CA and serving certificate in memory (the keys
//! never leave the process) and keeps the CA in the `caBundle` of its
//! MutatingWebhookConfiguration through the API server, with the pod's service account.
//!
//! Several replicas each have their own CA: each adds its CA to the bundle (keeping the
//! others' that have not expired, at most [`MAX_CAS`]) and checks again periodically, so a
//! `helm upgrade` that resets the bundle is repaired within a minute.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use chrono::Datelike;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};

use super::config::is_dns_subdomain;

/// Most CAs kept in one webhook's `caBundle` (ours and other replicas').
pub const MAX_CAS: usize = 8;
/// Longest accepted API server answer.
const MAX_ANSWER: usize = 4 << 20;

/// The serving identity made at start.
pub struct Identity {
    /// The CA certificate, PEM (what goes into `caBundle`).
    pub ca_pem: String,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// The names the API server uses for a Service: `svc.ns.svc` (and the shorter and longer
/// forms).
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
        format!("{service}.{namespace}"),
        service.to_string(),
    ]
}

/// A CA and a serving certificate for the Service's names, valid from yesterday for five
/// years (the CA dies with the process anyway).
pub fn generate(service: &str, namespace: &str) -> Result<Identity, String> {
    let err = |e: rcgen::Error| format!("cannot make the webhook certificate: {e}");
    let today = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let from = rcgen::date_time_ymd(today.year(), today.month() as u8, today.day() as u8);
    let to = rcgen::date_time_ymd(
        today.year() + 5,
        today.month() as u8,
        today.day().min(28) as u8,
    );

    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name.push(
        DnType::CommonName,
        format!("toolwall injector CA ({namespace})"),
    );
    ca.not_before = from;
    ca.not_after = to;
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(err)?).map_err(err)?;

    let mut leaf = CertificateParams::new(service_names(service, namespace)).map_err(err)?;
    leaf.distinguished_name
        .push(DnType::CommonName, format!("{service}.{namespace}.svc"));
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.not_before = from;
    leaf.not_after = to;
    let key = KeyPair::generate().map_err(err)?;
    let cert = leaf.signed_by(&key, &ca).map_err(err)?;
    Ok(Identity {
        ca_pem: ca.pem(),
        chain: vec![cert.der().clone(), ca.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}

/// Where and how to reach the API server.
#[derive(Debug, Clone)]
pub struct KubeApi {
    /// `https://host:port`, no trailing slash.
    pub base: String,
    /// The service account directory (`token`, `ca.crt`).
    pub sa_dir: PathBuf,
}

impl KubeApi {
    /// `base` when given, else `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`.
    pub fn new(base: Option<String>, sa_dir: PathBuf) -> Result<KubeApi, String> {
        let base = match base {
            Some(b) => b,
            None => {
                let host = std::env::var("KUBERNETES_SERVICE_HOST").map_err(|_| {
                    "KUBERNETES_SERVICE_HOST is not set (not in a pod?); use --kube-api"
                })?;
                let port =
                    std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".into());
                if host.contains(':') {
                    format!("https://[{host}]:{port}")
                } else {
                    format!("https://{host}:{port}")
                }
            }
        };
        let base = base.trim_end_matches('/').to_string();
        if !base.starts_with("https://") {
            return Err(format!("the API server address {base:?} must be https://"));
        }
        base.parse::<http::Uri>()
            .map_err(|e| format!("the API server address {base:?}: {e}"))?;
        Ok(KubeApi { base, sa_dir })
    }

    fn client(
        &self,
    ) -> Result<Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>, String> {
        use rustls_pki_types::pem::PemObject;
        let ca_path = self.sa_dir.join("ca.crt");
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(&ca_path)
            .map_err(|e| format!("{}: {e}", ca_path.display()))?
        {
            let c = c.map_err(|e| format!("{}: {e}", ca_path.display()))?;
            roots
                .add(c)
                .map_err(|e| format!("{}: {e}", ca_path.display()))?;
        }
        if roots.is_empty() {
            return Err(format!("{}: no CA certificate", ca_path.display()));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .wrap_connector(http);
        Ok(Client::builder(TokioExecutor::new()).build(https))
    }

    /// One request; the token is read each time (projected tokens rotate).
    async fn call(
        &self,
        method: http::Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(http::StatusCode, Value), String> {
        let token_path = self.sa_dir.join("token");
        let token = std::fs::read_to_string(&token_path)
            .map_err(|e| format!("{}: {e}", token_path.display()))?;
        let token = token.trim();
        let client = self.client()?;
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
            .header(http::header::ACCEPT, "application/json");
        if let Some(ct) = content_type {
            req = req.header(http::header::CONTENT_TYPE, ct);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let call = async {
            let res = client
                .request(req)
                .await
                .map_err(|e| format!("API server: {e}"))?;
            let status = res.status();
            let limited = http_body_util::Limited::new(res.into_body(), MAX_ANSWER);
            let bytes = limited
                .collect()
                .await
                .map_err(|e| format!("API server answer: {e}"))?
                .to_bytes();
            let doc = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Ok::<_, String>((status, doc))
        };
        tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .map_err(|_| "API server: no answer within 30 s".to_string())?
    }
}

/// The certificates of a PEM bundle that are still valid at `now` (unix seconds), as PEM.
fn valid_certs(pem: &[u8], now: i64) -> Vec<String> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .filter(|der| {
            x509_parser::parse_x509_certificate(der.as_ref())
                .is_ok_and(|(_, c)| c.validity().not_after.timestamp() > now)
        })
        .map(|der| to_pem(der.as_ref()))
        .collect()
}

fn to_pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The new `caBundle` (base64 of PEM) of one webhook: ours first, then the valid others, at
/// most [`MAX_CAS`]; `None` when ours is already in it.
pub fn merged_bundle(current_b64: Option<&str>, ours_pem: &str, now: i64) -> Option<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let current = current_b64
        .and_then(|c| b64.decode(c).ok())
        .unwrap_or_default();
    let ours = valid_certs(ours_pem.as_bytes(), i64::MIN);
    let others = valid_certs(&current, now);
    if ours.iter().all(|o| others.contains(o)) {
        return None;
    }
    let mut out: Vec<String> = ours.clone();
    out.extend(others.into_iter().filter(|c| !ours.contains(c)));
    out.truncate(MAX_CAS);
    Some(b64.encode(out.concat()))
}

/// Make sure every webhook of the MutatingWebhookConfiguration `name` trusts `ca_pem`: GET
/// it, then PATCH (JSON Patch, guarded by a `test` of its resourceVersion) the webhooks
/// whose bundle lacks it. `Ok(false)`: nothing needed changing.
pub async fn ensure_ca_bundle(api: &KubeApi, name: &str, ca_pem: &str) -> Result<bool, String> {
    if !is_dns_subdomain(name) {
        return Err(format!(
            "{name:?} is not a MutatingWebhookConfiguration name"
        ));
    }
    let path =
        format!("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}");
    let mut last = String::new();
    for _ in 0..5 {
        let (status, doc) = api.call(http::Method::GET, &path, None, Vec::new()).await?;
        if !status.is_success() {
            return Err(format!("GET {path}: {status} {}", message(&doc)));
        }
        let rv = doc
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("GET {path}: no metadata.resourceVersion"))?;
        let hooks = doc
            .get("webhooks")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET {path}: no webhooks"))?;
        let now = chrono::Utc::now().timestamp();
        let mut ops =
            vec![json!({ "op": "test", "path": "/metadata/resourceVersion", "value": rv })];
        for (i, h) in hooks.iter().enumerate() {
            let current = h.pointer("/clientConfig/caBundle").and_then(Value::as_str);
            if h.get("clientConfig").is_none_or(|c| !c.is_object()) {
                return Err(format!("GET {path}: webhook {i} has no clientConfig"));
            }
            if let Some(b) = merged_bundle(current, ca_pem, now) {
                ops.push(json!({ "op": "add", "path": format!("/webhooks/{i}/clientConfig/caBundle"), "value": b }));
            }
        }
        if ops.len() == 1 {
            return Ok(false);
        }
        let body = serde_json::to_vec(&ops).map_err(|e| e.to_string())?;
        let (status, doc) = api
            .call(
                http::Method::PATCH,
                &path,
                Some("application/json-patch+json"),
                body,
            )
            .await?;
        if status.is_success() {
            return Ok(true);
        }
        last = format!("PATCH {path}: {status} {}", message(&doc));
        // 409/422: the object changed under us (the resourceVersion test failed): again.
        if !matches!(status.as_u16(), 409 | 422) {
            return Err(last);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last)
}

fn message(doc: &Value) -> String {
    doc.get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(300)
        .collect()
}

/// Keep the CA installed: at once, then every `every`; `ready` turns true after the first
/// success (and stays true: a later failure is logged, the endpoint keeps serving).
pub async fn keep_installed(
    api: KubeApi,
    name: String,
    ca_pem: String,
    ready: Arc<AtomicBool>,
    every: Duration,
) {
    let mut wait = Duration::from_secs(1);
    loop {
        match ensure_ca_bundle(&api, &name, &ca_pem).await {
            Ok(changed) => {
                if changed {
                    tracing::info!(webhook_config = %name, "webhook caBundle updated");
                }
                ready.store(true, Ordering::SeqCst);
                wait = every;
            }
            Err(e) => {
                tracing::warn!(webhook_config = %name, error = %e, "cannot install the webhook CA");
                wait = if ready.load(Ordering::SeqCst) {
                    every
                } else {
                    (wait * 2).min(Duration::from_secs(30))
                };
            }
        }
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_keeps_others_and_adds_ours_once() {
        let a = generate("svc", "ns").expect("a");
        let b = generate("svc", "ns").expect("b");
        let now = chrono::Utc::now().timestamp();
        let first = merged_bundle(None, &a.ca_pem, now).expect("added");
        assert!(
            merged_bundle(Some(&first), &a.ca_pem, now).is_none(),
            "added twice"
        );
        let both = merged_bundle(Some(&first), &b.ca_pem, now).expect("b added");
        let pem = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(both)
                .expect("b64"),
        )
        .expect("utf8");
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(pem.starts_with(b.ca_pem.trim_end_matches('\n').lines().next().unwrap_or("")));
    }

    #[test]
    fn bundle_is_capped_and_drops_garbage() {
        let now = chrono::Utc::now().timestamp();
        let mut bundle = Some(base64::engine::general_purpose::STANDARD.encode("garbage"));
        for _ in 0..(MAX_CAS + 3) {
            let id = generate("svc", "ns").expect("ca");
            bundle = merged_bundle(bundle.as_deref(), &id.ca_pem, now).or(bundle);
        }
        let pem = base64::engine::general_purpose::STANDARD
            .decode(bundle.expect("bundle"))
            .expect("b64");
        assert_eq!(
            String::from_utf8_lossy(&pem)
                .matches("BEGIN CERTIFICATE")
                .count(),
            MAX_CAS
        );
    }

    #[test]
    fn kube_api_address_must_be_https() {
        assert!(KubeApi::new(Some("http://x".into()), PathBuf::from("/x")).is_err());
        assert_eq!(
            KubeApi::new(Some("https://h:6443/".into()), PathBuf::from("/x"))
                .expect("api")
                .base,
            "https://h:6443"
        );
    }
}
