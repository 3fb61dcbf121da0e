//! `identity:` compiled: how a principal is established (mTLS, JWT, which `toolwall-*`
//! headers are trusted), the JWKS keys read from disk, and the agent listener's TLS config.
//! The identify stage uses the [`IdentitySpec`]; every error names the offending value.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyOperations, PublicKeyUse};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::error::{AtPath, ConfigError};
use super::raw::{RawIdentity, RawJwt, RawMtls, TrustedHeader};
use super::spans::Located;
use super::upstream::load_pem_certs;
use crate::diag::Diag;
use crate::pipeline::reject::{Reason, Reject};

/// How identity is established (compiled from `identity:`).
#[derive(Default)]
pub struct IdentitySpec {
    pub mtls: Option<MtlsSpec>,
    pub jwt: Option<JwtSpec>,
    pub trust_run_id_header: bool,
    pub trust_workflow_header: bool,
    /// The sidecar's own identity (`identity.static`), for calls that carry none.
    pub static_principal: Option<super::compile::StaticPrincipal>,
}

/// What is done with a verified client certificate (the listener's TLS config is
/// [`agent_tls_config`]).
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
    /// The claim naming the tenant (required in a token when set).
    pub tenant_claim: Option<String>,
    /// The claim naming the agent (default `sub`).
    pub agent_claim: String,
    pub workflow_claim: Option<String>,
    pub run_id_claim: Option<String>,
    leeway: u64,
}

impl JwtSpec {
    /// Read the JWKS file (paths relative to `base`) and the HS256 secret from env.
    /// `strict_env`: an unset secret variable is an error (`run`); otherwise (`check`) it is
    /// pushed to `warnings` and HS256 stays off. Errors are at the value they are about.
    pub fn compile(
        raw: &RawJwt,
        base: &Path,
        strict_env: bool,
        warnings: &mut Vec<AtPath>,
    ) -> Result<JwtSpec, AtPath> {
        let mut keys = Vec::new();
        if let Some(file) = &raw.jwks_file {
            keys = jwks_keys(&base.join(file), warnings)?;
        }
        let hs256 = match &raw.hs256_secret_env {
            None => None,
            Some(env) => {
                let at = "identity.jwt.hs256_secret_env";
                match std::env::var(env) {
                    Ok(s) if s.len() >= 32 => Some(DecodingKey::from_secret(s.as_bytes())),
                    Ok(_) => return Err(ConfigError::Hs256Short(env.clone()).at(at)),
                    Err(_) => {
                        let e = ConfigError::Hs256Unset(env.clone()).at(at);
                        if strict_env {
                            return Err(e);
                        }
                        warnings.push(e);
                        None
                    }
                }
            }
        };
        if keys.is_empty() && raw.hs256_secret_env.is_none() {
            return Err(ConfigError::JwtNoKeys.at("identity.jwt"));
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

/// Compile `identity:` (everything but the TLS listener).
pub fn compile_identity(
    raw: &RawIdentity,
    base: &Path,
    strict_env: bool,
    warnings: &mut Vec<AtPath>,
) -> Result<IdentitySpec, AtPath> {
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
        static_principal: match &raw.static_ {
            Some(s) => Some(static_principal(s, strict_env, warnings)?),
            None => None,
        },
    })
}

/// `identity.static` with its `*_env` overrides read now (set and non-empty wins). An agent
/// id that is neither written nor in the environment is an error for `run`; `check` warns and
/// goes on with the variable's name as a placeholder.
fn static_principal(
    s: &crate::config::raw::RawStaticIdentity,
    strict_env: bool,
    warnings: &mut Vec<AtPath>,
) -> Result<super::compile::StaticPrincipal, AtPath> {
    let from_env = |var: &Option<String>| {
        var.as_deref()
            .and_then(|v| std::env::var(v).ok())
            .filter(|v| !v.is_empty())
    };
    let agent = match (from_env(&s.agent_env), &s.agent, &s.agent_env) {
        (Some(a), _, _) => a,
        (None, Some(a), _) => a.clone(),
        (None, None, Some(var)) => {
            let e = ConfigError::StaticAgentUnset(var.clone()).at("identity.static.agent_env");
            if strict_env {
                return Err(e);
            }
            warnings.push(e);
            format!("${{{var}}}")
        }
        (None, None, None) => {
            return Err(ConfigError::StaticAgentMissing.at("identity.static"));
        }
    };
    Ok(super::compile::StaticPrincipal {
        agent,
        tenant: from_env(&s.tenant_env).or_else(|| s.tenant.clone()),
        workflow: from_env(&s.workflow_env).or_else(|| s.workflow.clone()),
    })
}

/// The signature keys of a JWKS file, each usable for exactly one algorithm. Errors are at
/// `identity.jwt.jwks_file` and name the file and the key's index in it.
fn jwks_keys(p: &Path, warnings: &mut Vec<AtPath>) -> Result<Vec<JwksKey>, AtPath> {
    let at = "identity.jwt.jwks_file";
    super::watch::note_file(p);
    let path = p.display().to_string();
    let text = std::fs::read_to_string(p).map_err(|source| {
        ConfigError::JwksRead {
            path: path.clone(),
            source,
        }
        .at(at)
    })?;
    let set: JwkSet = serde_json::from_str(&text).map_err(|source| {
        ConfigError::JwksParse {
            path: path.clone(),
            source,
        }
        .at(at)
    })?;
    let mut keys = Vec::new();
    for (i, jwk) in set.keys.iter().enumerate() {
        let err = |e: ConfigError| e.at(at);
        // Only signature keys verify tokens: a key published for encryption
        // (`use: enc`, or `key_ops` without `verify`) is not one, whatever its type.
        let for_signatures = match (&jwk.common.public_key_use, &jwk.common.key_operations) {
            (Some(PublicKeyUse::Signature), None) | (None, None) => true,
            (Some(PublicKeyUse::Signature) | None, Some(ops)) => {
                ops.contains(&KeyOperations::Verify)
            }
            (Some(_), _) => false,
        };
        if !for_signatures {
            warnings.push(err(ConfigError::JwksNotForSignatures {
                path: path.clone(),
                key: i,
                kid: jwk.common.key_id.clone(),
            }));
            continue;
        }
        let inferred = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Algorithm::ES256,
                EllipticCurve::P384 => Algorithm::ES384,
                _ => {
                    return Err(err(ConfigError::JwksCurve {
                        path: path.clone(),
                        key: i,
                    }))
                }
            },
            AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
            AlgorithmParameters::OctetKey(_) => {
                return Err(err(ConfigError::JwksSymmetric {
                    path: path.clone(),
                    key: i,
                }))
            }
        };
        let alg = match jwk.common.key_algorithm {
            Some(ka) => Algorithm::from_str(&format!("{ka:?}")).map_err(|_| {
                err(ConfigError::JwksAlg {
                    path: path.clone(),
                    key: i,
                    alg: format!("{ka:?}"),
                })
            })?,
            None => inferred,
        };
        if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(err(ConfigError::JwksHmac {
                path: path.clone(),
                key: i,
            }));
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|source| {
            err(ConfigError::JwksKey {
                path: path.clone(),
                key: i,
                source,
            })
        })?;
        keys.push(JwksKey {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
        });
    }
    Ok(keys)
}

/// The agent listener's TLS config for `identity.mtls`: client certificates verified against
/// `client_ca` (chain, expiry); optional when another identity method can stand in.
pub fn agent_tls_config(
    raw: &RawMtls,
    base: &Path,
    other_methods: bool,
) -> Result<Arc<rustls::ServerConfig>, AtPath> {
    use rustls::server::WebPkiClientVerifier;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::PrivateKeyDer;

    let ca = load_pem_certs(&base.join(&raw.client_ca))
        .map_err(|e| ConfigError::MtlsClientCa(e).at("identity.mtls.client_ca"))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in ca {
        roots
            .add(c)
            .map_err(|e| ConfigError::MtlsCaRejected(e).at("identity.mtls.client_ca"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let required = raw.required.unwrap_or(!other_methods);
    let verifier = if required {
        builder.build()
    } else {
        builder.allow_unauthenticated().build()
    }
    .map_err(|e| ConfigError::MtlsVerifier(e).at("identity.mtls.client_ca"))?;
    let chain = load_pem_certs(&base.join(&raw.cert))
        .map_err(|e| ConfigError::MtlsCert(e).at("identity.mtls.cert"))?;
    let key_path = base.join(&raw.key);
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|source| {
        ConfigError::MtlsKey {
            path: key_path.display().to_string(),
            source,
        }
        .at("identity.mtls.key")
    })?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::MtlsTls(e).at("identity.mtls"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| ConfigError::MtlsTls(e).at("identity.mtls.cert"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// `identity:` compiled, with the agent listener's TLS config for `identity.mtls`.
pub fn compile_section(
    src: &Located,
    raw: &RawIdentity,
    base: &Path,
    strict_env: bool,
    diags: &mut Vec<Diag>,
    warnings: &mut Vec<Diag>,
) -> (Option<IdentitySpec>, Option<Arc<rustls::ServerConfig>>) {
    let mut identity_warnings = Vec::new();
    let identity = match compile_identity(raw, base, strict_env, &mut identity_warnings) {
        Ok(i) => Some(i),
        Err(e) => {
            diags.push(src.diag(e));
            None
        }
    };
    warnings.extend(identity_warnings.into_iter().map(|w| src.diag(w)));
    let agent_tls = match &raw.mtls {
        None => None,
        Some(m) => {
            for f in [&m.client_ca, &m.cert, &m.key] {
                super::watch::note_file(&base.join(f));
            }
            let others = raw.jwt.is_some() || raw.static_.is_some();
            match agent_tls_config(m, base, others) {
                Ok(c) => Some(c),
                Err(e) => {
                    diags.push(src.diag(e));
                    None
                }
            }
        }
    };
    (identity, agent_tls)
}
