//! Identity: JWTs signed here (ES256, EdDSA, HS256; expired, wrong audience, not yet valid,
//! `alg: none`, HS/RS confusion), real mTLS handshakes with rcgen certificates (valid SPIFFE
//! id, wrong CA, expired, none), and headers the agent is not entitled to set.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use serde_json::json;
use tokio::net::TcpStream;

use crate::common::*;

/// Denies `/whoami` with the principal as reasons; allows everything else.
const WHOAMI_POLICY: &str = r#"
package toolwall
import rego.v1

str(x) := x if is_string(x)
str(x) := "-" if not is_string(x)

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "reasons": [
	input.principal.source,
	input.principal.agent,
	str(input.principal.tenant),
	str(input.principal.workflow),
	str(input.principal.run_id),
]} if input.tool.name == "id.whoami"
"#;

fn id_adapter(upstream: std::net::SocketAddr) -> String {
    format!(
        r#"name: id
upstream: http://{upstream}
tools:
  - name: id.whoami
    match: {{ method: GET, path: /whoami }}
    args: query
  - name: id.call
    match: {{ method: GET, path: /call }}
    args: query
"#
    )
}

const HS_ENV: &str = "TOOLWALL_TEST_HS256_SECRET";
const HS_SECRET: &str = "0123456789abcdef0123456789abcdef-hs256";

struct Keys {
    es: KeyPair,
    ed: KeyPair,
    jwks_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn keys() -> Keys {
    let es = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("es key");
    let ed = KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("ed key");
    let p = es.public_key_raw();
    let jwks = json!({"keys": [
        {"kty": "EC", "crv": "P-256", "kid": "es1", "alg": "ES256", "use": "sig",
         "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..65])},
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed1", "alg": "EdDSA", "use": "sig",
         "x": B64.encode(ed.public_key_raw())},
    ]});
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).expect("write jwks");
    Keys {
        es,
        ed,
        jwks_path,
        _dir: dir,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(aud: &str, exp: i64) -> serde_json::Value {
    json!({"iss": "https://issuer.test", "aud": aud, "sub": "agent-7", "org": "acme-jwt",
           "wf": "wf-1", "exp": exp, "iat": now()})
}

fn es256(k: &Keys, c: &serde_json::Value) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some("es1".into());
    encode(&h, c, &EncodingKey::from_ec_der(&k.es.serialize_der())).expect("sign")
}

async fn jwt_harness(k: &Keys, with_hs: bool) -> (Upstream, Harness) {
    std::env::set_var(HS_ENV, HS_SECRET);
    let up = http_upstream().await;
    let hs = if with_hs {
        format!("    hs256_secret_env: {HS_ENV}\n")
    } else {
        String::new()
    };
    let cfg = format!(
        "identity:\n  jwt:\n    issuer: https://issuer.test\n    audience: toolwall\n    jwks_file: {}\n{hs}    tenant_claim: org\n    workflow_claim: wf\n    leeway_secs: 5\n",
        k.jwks_path.display()
    );
    let h = Harness::start_with(&[("id", id_adapter(up.addr))], WHOAMI_POLICY, &cfg, None).await;
    (up, h)
}

async fn call(h: &Harness, path: &str, token: Option<&str>, extra: &[(&str, &str)]) -> Reply {
    let mut b = req("GET", path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    send(h.agent(), b.body(Full::new(Bytes::new())).expect("request")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_identity_from_verified_claims() {
    let k = keys();
    let (up, h) = jwt_harness(&k, true).await;
    let good = es256(&k, &claims("toolwall", now() + 600));

    let r = call(
        &h,
        "/id/whoami",
        Some(&good),
        &[("toolwall-run-id", "run-9")],
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(
        r.reasons(),
        vec!["jwt", "agent-7", "acme-jwt", "wf-1", "run-9"]
    );
    // the workflow comes from the claim; the header is ignored
    let r = call(
        &h,
        "/id/whoami",
        Some(&good),
        &[
            ("toolwall-workflow", "spoofed"),
            ("toolwall-tenant", "evil"),
        ],
    )
    .await;
    assert_eq!(r.reasons(), vec!["jwt", "agent-7", "acme-jwt", "wf-1", "-"]);

    // allowed calls are forwarded without the agent's bearer token
    let r = call(&h, "/id/call", Some(&good), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(up.requests()[0].headers.get("authorization").is_none());

    // EdDSA
    let mut hd = Header::new(Algorithm::EdDSA);
    hd.kid = Some("ed1".into());
    let ed = encode(
        &hd,
        &claims("toolwall", now() + 600),
        &EncodingKey::from_ed_der(&k.ed.serialize_der()),
    )
    .expect("sign");
    assert_eq!(call(&h, "/id/call", Some(&ed), &[]).await.status, 200);

    // HS256 with the configured secret
    let hs = encode(
        &Header::new(Algorithm::HS256),
        &claims("toolwall", now() + 600),
        &EncodingKey::from_secret(HS_SECRET.as_bytes()),
    )
    .expect("sign");
    assert_eq!(call(&h, "/id/call", Some(&hs), &[]).await.status, 200);
}

fn assert_401(r: &Reply, needle: &str) {
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_eq!(r.reasons(), vec!["invalid_token"]);
    let msg = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.contains(needle), "`{msg}` should mention `{needle}`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_401_with_a_reason() {
    let k = keys();
    let (up, h) = jwt_harness(&k, true).await;

    let expired = es256(&k, &claims("toolwall", now() - 3600));
    assert_401(&call(&h, "/id/call", Some(&expired), &[]).await, "expired");

    let wrong_aud = es256(&k, &claims("someone-else", now() + 600));
    assert_401(
        &call(&h, "/id/call", Some(&wrong_aud), &[]).await,
        "audience",
    );

    let mut c = claims("toolwall", now() + 600);
    c["nbf"] = json!(now() + 600);
    assert_401(
        &call(&h, "/id/call", Some(&es256(&k, &c)), &[]).await,
        "nbf",
    );

    // alg: none, unsigned
    let none = format!(
        "{}.{}.",
        B64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        B64.encode(claims("toolwall", now() + 600).to_string())
    );
    assert_401(&call(&h, "/id/call", Some(&none), &[]).await, "alg");

    // HS/RS confusion: HS256 "signed" with the public key material as the secret
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &claims("toolwall", now() + 600),
        &EncodingKey::from_secret(k.es.public_key_raw()),
    )
    .expect("sign");
    assert_401(
        &call(&h, "/id/call", Some(&confused), &[]).await,
        "signature",
    );

    // no tenant claim although tenant_claim is configured
    let mut c = claims("toolwall", now() + 600);
    c.as_object_mut().expect("object").remove("org");
    assert_401(
        &call(&h, "/id/call", Some(&es256(&k, &c)), &[]).await,
        "tenant",
    );

    // tampered payload
    let mut parts: Vec<String> = es256(&k, &claims("toolwall", now() + 600))
        .split('.')
        .map(String::from)
        .collect();
    let mut forged = claims("toolwall", now() + 600);
    forged["sub"] = json!("admin");
    parts[1] = B64.encode(forged.to_string());
    assert_401(
        &call(&h, "/id/call", Some(&parts.join(".")), &[]).await,
        "signature",
    );

    // no token and no other method
    let r = call(&h, "/id/call", None, &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.reasons(), vec!["unauthenticated"]);
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_is_refused_when_only_a_jwks_is_configured() {
    let k = keys();
    let (_up, h) = jwt_harness(&k, false).await;
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &claims("toolwall", now() + 600),
        &EncodingKey::from_secret(k.es.public_key_raw()),
    )
    .expect("sign");
    assert_401(&call(&h, "/id/call", Some(&confused), &[]).await, "HS256");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_and_the_classic_hs_rs_confusion() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt");
    let up = http_upstream().await;
    std::env::set_var(HS_ENV, HS_SECRET);
    for with_hs in [false, true] {
        let hs = if with_hs {
            format!("    hs256_secret_env: {HS_ENV}\n")
        } else {
            String::new()
        };
        let cfg = format!(
            "identity:\n  jwt:\n    issuer: https://issuer.test\n    audience: toolwall\n    jwks_file: {fixtures}/rs256-test-jwks.json\n{hs}"
        );
        let h =
            Harness::start_with(&[("id", id_adapter(up.addr))], WHOAMI_POLICY, &cfg, None).await;
        let der = std::fs::read(format!("{fixtures}/rs256-test-key.der")).expect("key");
        let mut hd = Header::new(Algorithm::RS256);
        hd.kid = Some("rs1".into());
        let good = encode(
            &hd,
            &claims("toolwall", now() + 600),
            &EncodingKey::from_rsa_der(&der),
        )
        .expect("sign");
        let r = call(&h, "/id/whoami", Some(&good), &[]).await;
        assert_eq!(r.reasons()[..2], ["jwt", "agent-7"]);
        // HS256 "signed" with the server's public RSA key as the HMAC secret
        let public_pem = std::fs::read(format!("{fixtures}/rs256-test-pub.pem")).expect("pub");
        let mut hd = Header::new(Algorithm::HS256);
        hd.kid = Some("rs1".into());
        let forged = encode(
            &hd,
            &claims("toolwall", now() + 600),
            &EncodingKey::from_secret(&public_pem),
        )
        .expect("sign");
        let want = if with_hs { "signature" } else { "HS256" };
        assert_401(&call(&h, "/id/call", Some(&forged), &[]).await, want);
    }
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_identity_ignores_headers_it_does_not_trust() {
    let up = http_upstream().await;
    let h = Harness::start_with(
        &[("id", id_adapter(up.addr))],
        WHOAMI_POLICY,
        "identity:\n  static: { agent: pod-agent, tenant: acme }\n  trust_headers: [workflow]\n",
        None,
    )
    .await;
    let r = call(
        &h,
        "/id/whoami",
        None,
        &[
            ("toolwall-run-id", "r1"),
            ("toolwall-workflow", "wf-ok"),
            ("toolwall-agent", "root"),
        ],
    )
    .await;
    assert_eq!(
        r.reasons(),
        vec!["static", "pod-agent", "acme", "wf-ok", "-"]
    );
}

// ---------------------------------------------------------------- mTLS

struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(p, KeyPair::generate().expect("key")).expect("ca")
}

/// A client certificate (PEM chain, PEM key) signed by `issuer`.
fn client_cert(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    spiffe: Option<&str>,
    cn: &str,
    expired: bool,
) -> (rcgen::Certificate, KeyPair) {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    if let Some(id) = spiffe {
        p.subject_alt_names
            .push(SanType::URI(id.try_into().expect("ia5")));
    }
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().expect("key");
    let cert = p.signed_by(&key, issuer).expect("sign");
    (cert, key)
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = ca("toolwall test client CA");
    let server_key = KeyPair::generate().expect("key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("params")
        .signed_by(&server_key, &ca)
        .expect("server cert");
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.path().join("server.pem"), server.pem()).expect("write");
    std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).expect("write");
    Pki { dir, ca }
}

async fn mtls_harness(pki: &Pki, extra_identity: &str) -> (Upstream, Harness) {
    let up = http_upstream().await;
    let d = pki.dir.path().display();
    let cfg = format!(
        "identity:\n  mtls: {{ client_ca: {d}/ca.pem, cert: {d}/server.pem, key: {d}/server.key, trust_domain: test.local, tenant: acme }}\n{extra_identity}"
    );
    let h = Harness::start_with(&[("id", id_adapter(up.addr))], WHOAMI_POLICY, &cfg, None).await;
    (up, h)
}

/// One HTTPS request with an optional client certificate; Err when the TLS handshake or the
/// exchange fails.
async fn tls_get(
    pki: &Pki,
    addr: std::net::SocketAddr,
    path: &str,
    client: Option<(&rcgen::Certificate, &KeyPair)>,
) -> Result<Reply, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.der().clone()).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let cfg = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![cert.der().clone()],
                rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            )
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = sender
        .send_request(get(path))
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_spiffe_id_is_the_agent() {
    let pki = pki();
    let (up, h) = mtls_harness(&pki, "").await;
    let (cert, key) = client_cert(
        &pki.ca,
        Some("spiffe://test.local/ns/billing/sa/refunds"),
        "refunds",
        false,
    );
    let r = tls_get(&pki, h.agent(), "/id/whoami", Some((&cert, &key)))
        .await
        .expect("handshake with a valid certificate");
    assert_eq!(
        r.reasons(),
        vec![
            "mtls",
            "spiffe://test.local/ns/billing/sa/refunds",
            "acme",
            "-",
            "-"
        ]
    );
    let r = tls_get(&pki, h.agent(), "/id/call", Some((&cert, &key)))
        .await
        .expect("ok");
    assert_eq!(r.status, 200);
    assert_eq!(up.requests().len(), 1);

    // another trust domain is refused with a reason
    let (other, okey) = client_cert(&pki.ca, Some("spiffe://elsewhere/ns/x/sa/y"), "x", false);
    let r = tls_get(&pki, h.agent(), "/id/call", Some((&other, &okey)))
        .await
        .expect("handshake");
    assert_eq!(r.status, 401);
    assert_eq!(r.reasons(), vec!["unauthenticated"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_refuses_wrong_ca_expired_and_missing_certificates() {
    let pki = pki();
    let (up, h) = mtls_harness(&pki, "").await;
    let rogue = ca("rogue CA");
    let (cert, key) = client_cert(&rogue, Some("spiffe://test.local/ns/a/sa/b"), "b", false);
    assert!(tls_get(&pki, h.agent(), "/id/call", Some((&cert, &key)))
        .await
        .is_err());
    let (cert, key) = client_cert(&pki.ca, Some("spiffe://test.local/ns/a/sa/b"), "b", true);
    assert!(tls_get(&pki, h.agent(), "/id/call", Some((&cert, &key)))
        .await
        .is_err());
    assert!(tls_get(&pki, h.agent(), "/id/call", None).await.is_err());
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_without_spiffe_uses_the_cn_and_optional_client_certs_fall_back() {
    let pki = pki();
    let d = pki.dir.path().display();
    let up = http_upstream().await;
    let cfg = format!(
        "identity:\n  mtls: {{ client_ca: {d}/ca.pem, cert: {d}/server.pem, key: {d}/server.key }}\n  static: {{ agent: fallback }}\n"
    );
    let h = Harness::start_with(&[("id", id_adapter(up.addr))], WHOAMI_POLICY, &cfg, None).await;
    let (cert, key) = client_cert(&pki.ca, None, "cn-agent", false);
    let r = tls_get(&pki, h.agent(), "/id/whoami", Some((&cert, &key)))
        .await
        .expect("ok");
    assert_eq!(r.reasons()[..2], ["mtls", "cn-agent"]);
    let r = tls_get(&pki, h.agent(), "/id/whoami", None)
        .await
        .expect("ok");
    assert_eq!(r.reasons()[..2], ["static", "fallback"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_jwks_is_picked_up_on_reload() {
    let k = keys();
    let (_up, h) = jwt_harness(&k, false).await;
    let old = es256(&k, &claims("toolwall", now() + 600));
    assert_eq!(call(&h, "/id/call", Some(&old), &[]).await.status, 200);

    // rotate: a new key under the same kid replaces the old one
    let k2 = keys();
    std::fs::copy(&k2.jwks_path, &k.jwks_path).expect("rotate");
    let r = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_401(&call(&h, "/id/call", Some(&old), &[]).await, "signature");
    let new = es256(&k2, &claims("toolwall", now() + 600));
    assert_eq!(call(&h, "/id/call", Some(&new), &[]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_client_ca_applies_to_new_connections_after_reload() {
    let pki = pki();
    let (_up, h) = mtls_harness(&pki, "").await;
    let (old_cert, old_key) = client_cert(&pki.ca, Some("spiffe://test.local/a"), "a", false);
    let r = tls_get(&pki, h.agent(), "/id/call", Some((&old_cert, &old_key)))
        .await
        .expect("accepted before rotation");
    assert_eq!(r.status, 200);

    let new_ca = ca("rotated client CA");
    std::fs::write(pki.dir.path().join("ca.pem"), new_ca.pem()).expect("write");
    let r = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let (new_cert, new_key) = client_cert(&new_ca, Some("spiffe://test.local/b"), "b", false);
    let r = tls_get(&pki, h.agent(), "/id/whoami", Some((&new_cert, &new_key)))
        .await
        .expect("accepted after rotation");
    assert_eq!(r.reasons()[..2], ["mtls", "spiffe://test.local/b"]);
    assert!(
        tls_get(&pki, h.agent(), "/id/call", Some((&old_cert, &old_key)))
            .await
            .is_err()
    );
}
