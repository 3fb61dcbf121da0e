//! Identify: which principal is acting — first match wins: a verified mTLS client certificate
//! (SPIFFE URI SAN, else subject CN), a JWT bearer token (JWKS or HS256 secret), the
//! sidecar's `static` identity. A bearer token that is present but invalid is a 401; it never
//! falls through to a weaker method.
//!
//! No spoofing: `toolwall-run-id` / `toolwall-workflow` are read only when `trust_headers`
//! allows them and no verified claim supplies the value; any other `toolwall-*` header is
//! never identity (and none is forwarded upstream).

use std::path::Path;
use std::str::FromStr;

use http::request::Parts;
use http::HeaderMap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyOperations, PublicKeyUse};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::raw::{RawJwt, RawMtls, TrustedHeader};
use crate::config::Snapshot;
use crate::pipeline::reject::{Reason, Reject};

pub const RUN_ID_HEADER: &str = "toolwall-run-id";
pub const WORKFLOW_HEADER: &str = "toolwall-workflow";

/// Longest identity value (agent, tenant, workflow, run id) accepted.
const MAX_ID_LEN: usize = 256;

/// The acting principal, as policy sees it (`input.principal`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Principal {
    pub agent: String,
    pub tenant: Option<String>,
    pub workflow: Option<String>,
    pub run_id: Option<String>,
    pub source: &'static str,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// The verified client certificate of an mTLS connection, put into each request's extensions
/// by the agent listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The SPIFFE id (`spiffe://trust-domain/path`) when the certificate has one.
    pub spiffe_id: Option<String>,
    /// The subject common name.
    pub common_name: Option<String>,
}

impl PeerIdentity {
    /// Read the identity from a DER certificate (already verified by rustls).
    pub fn from_der(der: &[u8]) -> Option<PeerIdentity> {
        use x509_parser::prelude::*;
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let mut spiffe_id = None;
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                if let GeneralName::URI(uri) = name {
                    if uri.starts_with("spiffe://") {
                        spiffe_id = Some(uri.to_string());
                        break;
                    }
                }
            }
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string);
        Some(PeerIdentity {
            spiffe_id,
            common_name,
        })
    }
}

/// How identity is established (compiled from `identity:`).
#[derive(Default)]
pub struct IdentitySpec {
    pub mtls: Option<MtlsSpec>,
    pub jwt: Option<JwtSpec>,
    pub trust_run_id_header: bool,
    pub trust_workflow_header: bool,
}

/// What is done with a verified client certificate (the TLS setup itself is in `app`).
#[derive(Debug, Clone, Default)]
pub struct MtlsSpec {
    pub trust_domain: Option<String>,
    pub tenant: Option<String>,
}

impl MtlsSpec {
    pub fn compile(raw: &RawMtls) -> MtlsSpec {
        MtlsSpec {
            trust_domain: raw.trust_domain.clone(),
            tenant: raw.tenant.clone(),
        }
    }
}

/// A JWKS key usable for exactly one algorithm.
struct JwksKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// Verifies bearer tokens.
pub struct JwtSpec {
    issuer: String,
    audience: String,
    keys: Vec<JwksKey>,
    hs256: Option<DecodingKey>,
    tenant_claim: Option<String>,
    agent_claim: String,
    workflow_claim: Option<String>,
    run_id_claim: Option<String>,
    leeway: u64,
}

impl JwtSpec {
    /// Read the JWKS file (paths relative to `base`) and the HS256 secret from env.
    /// `strict_env`: an unset secret variable is an error (`run`); otherwise (`check`) it is
    /// pushed to `warnings` and HS256 stays off.
    pub fn compile(
        raw: &RawJwt,
        base: &Path,
        strict_env: bool,
        warnings: &mut Vec<String>,
    ) -> Result<JwtSpec, String> {
        let mut keys = Vec::new();
        if let Some(file) = &raw.jwks_file {
            let p = base.join(file);
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("identity.jwt.jwks_file {}: {e}", p.display()))?;
            let set: JwkSet = serde_json::from_str(&text)
                .map_err(|e| format!("identity.jwt.jwks_file {}: not a JWKS: {e}", p.display()))?;
            for (i, jwk) in set.keys.iter().enumerate() {
                // Only signature keys verify tokens: a key published for encryption
                // (`use: enc`, or `key_ops` without `verify`) is not one, whatever its type.
                let for_signatures = match (&jwk.common.public_key_use, &jwk.common.key_operations)
                {
                    (Some(PublicKeyUse::Signature), None) | (None, None) => true,
                    (Some(PublicKeyUse::Signature) | None, Some(ops)) => {
                        ops.contains(&KeyOperations::Verify)
                    }
                    (Some(_), _) => false,
                };
                if !for_signatures {
                    warnings.push(format!(
                        "{}: key {i} (kid {:?}) is not a signature key (use/key_ops); it never \
                         verifies a token",
                        p.display(),
                        jwk.common.key_id
                    ));
                    continue;
                }
                let inferred = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                        EllipticCurve::P256 => Algorithm::ES256,
                        EllipticCurve::P384 => Algorithm::ES384,
                        _ => {
                            return Err(format!(
                                "{}: key {i}: unsupported elliptic curve",
                                p.display()
                            ))
                        }
                    },
                    AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                    AlgorithmParameters::OctetKey(_) => {
                        return Err(format!(
                            "{}: key {i}: symmetric (oct) keys are not accepted in a JWKS; use hs256_secret_env",
                            p.display()
                        ))
                    }
                };
                let alg = match jwk.common.key_algorithm {
                    Some(ka) => Algorithm::from_str(&format!("{ka:?}"))
                        .map_err(|_| format!("{}: key {i}: unsupported alg {ka:?}", p.display()))?,
                    None => inferred,
                };
                if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
                    return Err(format!(
                        "{}: key {i}: HMAC algorithms are not accepted in a JWKS",
                        p.display()
                    ));
                }
                let key = DecodingKey::from_jwk(jwk)
                    .map_err(|e| format!("{}: key {i}: {e}", p.display()))?;
                keys.push(JwksKey {
                    kid: jwk.common.key_id.clone(),
                    alg,
                    key,
                });
            }
        }
        let hs256 = match &raw.hs256_secret_env {
            None => None,
            Some(env) => match std::env::var(env) {
                Ok(s) if s.len() >= 32 => Some(DecodingKey::from_secret(s.as_bytes())),
                Ok(_) => {
                    return Err(format!(
                        "identity.jwt.hs256_secret_env: {env} must hold at least 32 bytes"
                    ))
                }
                Err(_) => {
                    let m = format!(
                        "identity.jwt.hs256_secret_env: environment variable {env} is not set"
                    );
                    if strict_env {
                        return Err(m);
                    }
                    warnings.push(m);
                    None
                }
            },
        };
        if keys.is_empty() && raw.hs256_secret_env.is_none() {
            return Err("identity.jwt: give jwks_file or hs256_secret_env".into());
        }
        Ok(JwtSpec {
            issuer: raw.issuer.clone(),
            audience: raw.audience.clone(),
            keys,
            hs256,
            tenant_claim: raw.tenant_claim.clone(),
            agent_claim: raw.agent_claim.clone().unwrap_or_else(|| "sub".into()),
            workflow_claim: raw.workflow_claim.clone(),
            run_id_claim: raw.run_id_claim.clone(),
            leeway: raw.leeway_secs.unwrap_or(30),
        })
    }

    /// Verify `token`; its claims on success.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, Reject> {
        let invalid = |m: String| Reject::new(Reason::InvalidToken, m);
        // `alg: none` and unknown algorithms fail here: they are not in `Algorithm`.
        let header = decode_header(token).map_err(|e| {
            invalid(format!(
                "bearer token is malformed or uses an unaccepted alg: {e}"
            ))
        })?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref().ok_or_else(|| {
                invalid("HS256 tokens are not accepted (no hs256_secret_env configured)".into())
            })?,
            Algorithm::HS384 | Algorithm::HS512 => {
                return Err(invalid(format!("alg {:?} is not accepted", header.alg)))
            }
            alg => {
                let candidates: Vec<&JwksKey> = self
                    .keys
                    .iter()
                    .filter(|k| k.alg == alg)
                    .filter(|k| match (&header.kid, &k.kid) {
                        (Some(want), Some(have)) => want == have,
                        (Some(_), None) => false,
                        (None, _) => true,
                    })
                    .collect();
                match candidates[..] {
                    [one] => &one.key,
                    [] => {
                        return Err(invalid(format!(
                            "no JWKS key for alg {alg:?} and kid {:?}",
                            header.kid
                        )))
                    }
                    _ => {
                        return Err(invalid(
                            "several JWKS keys match and the token names no kid".into(),
                        ))
                    }
                }
            }
        };
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.leeway = self.leeway;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = decode::<Map<String, Value>>(token, key, &v).map_err(|e| {
            invalid(format!(
                "bearer token rejected: {}",
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "expired".to_string(),
                    jsonwebtoken::errors::ErrorKind::ImmatureSignature =>
                        "not valid yet (nbf)".to_string(),
                    jsonwebtoken::errors::ErrorKind::InvalidAudience =>
                        "wrong audience".to_string(),
                    jsonwebtoken::errors::ErrorKind::InvalidIssuer => "wrong issuer".to_string(),
                    jsonwebtoken::errors::ErrorKind::InvalidSignature =>
                        "bad signature".to_string(),
                    other => format!("{other:?}"),
                }
            ))
        })?;
        Ok(data.claims)
    }
}

/// Compile `identity:` (everything but the static principal and the TLS listener).
pub fn compile_identity(
    raw: &crate::config::raw::RawIdentity,
    base: &Path,
    strict_env: bool,
    warnings: &mut Vec<String>,
) -> Result<IdentitySpec, String> {
    let trusted = raw
        .trust_headers
        .clone()
        .unwrap_or_else(|| vec![TrustedHeader::RunId, TrustedHeader::Workflow]);
    Ok(IdentitySpec {
        mtls: raw.mtls.as_ref().map(MtlsSpec::compile),
        jwt: match &raw.jwt {
            Some(j) => Some(JwtSpec::compile(j, base, strict_env, warnings)?),
            None => None,
        },
        trust_run_id_header: trusted.contains(&TrustedHeader::RunId),
        trust_workflow_header: trusted.contains(&TrustedHeader::Workflow),
    })
}

fn claim_str(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.is_empty() && s.len() <= MAX_ID_LEN => Some(s.clone()),
        _ => None,
    }
}

/// The bearer token of a request that carries an `Authorization` header: `None` without one;
/// a header that is not exactly one well-formed `Bearer <token>` is an `invalid_token`
/// error (present but invalid), never "no token".
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, Reject> {
    let mut all = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(v) = all.next() else {
        return Ok(None);
    };
    let invalid = |m: &str| Err(Reject::new(Reason::InvalidToken, m.to_string()));
    if all.next().is_some() {
        return invalid("more than one Authorization header");
    }
    let Ok(v) = v.to_str() else {
        return invalid("the Authorization header is not visible ASCII");
    };
    let Some((scheme, token)) = v.trim().split_once([' ', '\t']) else {
        return invalid("the Authorization header is not `Bearer <token>`");
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return invalid("the Authorization header is not a bearer token");
    }
    let token = token.trim();
    if token.is_empty() || token.contains([' ', '\t']) {
        return invalid("the bearer token is empty or malformed");
    }
    Ok(Some(token))
}

/// Establish the principal for one request.
pub fn identify(snap: &Snapshot, parts: &Parts) -> Result<Principal, Reject> {
    let headers = &parts.headers;
    let spec = &snap.identity;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= MAX_ID_LEN)
            .map(str::to_string)
    };
    let run_header = || {
        spec.trust_run_id_header
            .then(|| header(RUN_ID_HEADER))
            .flatten()
    };
    let workflow_header = || {
        spec.trust_workflow_header
            .then(|| header(WORKFLOW_HEADER))
            .flatten()
    };

    if let (Some(mtls), Some(peer)) = (&spec.mtls, parts.extensions.get::<PeerIdentity>()) {
        let agent = match (&peer.spiffe_id, &peer.common_name) {
            (Some(id), _) => {
                if let Some(td) = &mtls.trust_domain {
                    let domain = id
                        .strip_prefix("spiffe://")
                        .and_then(|r| r.split('/').next())
                        .unwrap_or("");
                    if domain != td {
                        return Err(Reject::new(
                            Reason::Unauthenticated,
                            format!("client certificate SPIFFE id {id} is not in trust domain {td}"),
                        ));
                    }
                }
                id.clone()
            }
            (None, Some(cn)) if mtls.trust_domain.is_none() => cn.clone(),
            _ => {
                return Err(Reject::new(
                    Reason::Unauthenticated,
                    "client certificate has neither a SPIFFE URI SAN nor (without trust_domain) a subject CN",
                ))
            }
        };
        let mut claims = Map::new();
        if let Some(id) = &peer.spiffe_id {
            claims.insert("spiffe_id".into(), Value::String(id.clone()));
        }
        if let Some(cn) = &peer.common_name {
            claims.insert("cn".into(), Value::String(cn.clone()));
        }
        return Ok(Principal {
            agent,
            tenant: mtls.tenant.clone(),
            workflow: workflow_header(),
            run_id: run_header(),
            source: "mtls",
            claims,
        });
    }

    // With JWT identity configured, an Authorization header that is present must verify:
    // present but malformed or invalid is a 401, never a fall-through to `static`. Without
    // JWT identity the header is not identity (and it is never forwarded to a tool).
    let token = match &spec.jwt {
        Some(_) => bearer(headers)?,
        None => None,
    };
    if let (Some(jwt), Some(token)) = (&spec.jwt, token) {
        let claims = jwt.verify(token)?;
        let agent = claim_str(&claims, &jwt.agent_claim).ok_or_else(|| {
            Reject::new(
                Reason::InvalidToken,
                format!(
                    "bearer token has no string claim `{}` (the agent)",
                    jwt.agent_claim
                ),
            )
        })?;
        // A configured tenant claim is required: a token without one would escape tenant
        // budgets and tenant kill switches.
        let tenant = match &jwt.tenant_claim {
            None => None,
            Some(c) => Some(claim_str(&claims, c).ok_or_else(|| {
                Reject::new(
                    Reason::InvalidToken,
                    format!("bearer token has no string claim `{c}` (the tenant)"),
                )
            })?),
        };
        let workflow = match &jwt.workflow_claim {
            Some(c) => claim_str(&claims, c),
            None => workflow_header(),
        };
        let run_id = match &jwt.run_id_claim {
            Some(c) => claim_str(&claims, c),
            None => run_header(),
        };
        return Ok(Principal {
            agent,
            tenant,
            workflow,
            run_id,
            source: "jwt",
            claims,
        });
    }

    let Some(s) = &snap.static_principal else {
        let how = match (spec.mtls.is_some(), spec.jwt.is_some()) {
            (true, true) => "a client certificate or a bearer token is required",
            (true, false) => "a client certificate is required",
            (false, true) => "a bearer token is required (Authorization: Bearer …)",
            (false, false) => "no identity method is configured (identity.static, jwt or mtls)",
        };
        return Err(Reject::new(Reason::Unauthenticated, how));
    };
    Ok(Principal {
        agent: s.agent.clone(),
        tenant: s.tenant.clone(),
        // In sidecar mode the pod is the agent: it may label its own runs and workflow.
        workflow: workflow_header().or_else(|| s.workflow.clone()),
        run_id: run_header(),
        source: "static",
        claims: serde_json::Map::new(),
    })
}

/// The agent listener's TLS config for `identity.mtls`: client certificates verified against
/// `client_ca` (chain, expiry); optional when another identity method can stand in.
pub fn agent_tls_config(
    raw: &RawMtls,
    base: &Path,
    other_methods: bool,
) -> Result<std::sync::Arc<rustls::ServerConfig>, String> {
    use rustls::server::WebPkiClientVerifier;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::PrivateKeyDer;
    use std::sync::Arc;

    let ca = crate::config::compile::load_pem_certs(&base.join(&raw.client_ca))
        .map_err(|e| format!("identity.mtls.client_ca: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in ca {
        roots
            .add(c)
            .map_err(|e| format!("identity.mtls.client_ca: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let required = raw.required.unwrap_or(!other_methods);
    let verifier = if required {
        builder.build()
    } else {
        builder.allow_unauthenticated().build()
    }
    .map_err(|e| format!("identity.mtls: {e}"))?;
    let chain = crate::config::compile::load_pem_certs(&base.join(&raw.cert))
        .map_err(|e| format!("identity.mtls.cert: {e}"))?;
    let key_path = base.join(&raw.key);
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .map_err(|e| format!("identity.mtls.key {}: {e}", key_path.display()))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("identity.mtls: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("identity.mtls: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
