//! Identify: which principal is acting — first match wins: a verified mTLS client certificate
//! (SPIFFE URI SAN, else subject CN), a JWT bearer token (JWKS or HS256 secret), the
//! sidecar's `static` identity. A bearer token that is present but invalid is a 401; it never
//! falls through to a weaker method.
//!
//! No spoofing: `toolwall-run-id` / `toolwall-workflow` are read only when `trust_headers`
//! allows them and no verified claim supplies the value; any other `toolwall-*` header is
//! never identity (and none is forwarded upstream).

use http::request::Parts;
use http::{HeaderMap, HeaderName};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::identity::IdentitySpec;
use crate::pipeline::reject::{Reason, Reject};

pub const RUN_ID_HEADER: &str = "toolwall-run-id";
pub const WORKFLOW_HEADER: &str = "toolwall-workflow";
/// The two as `HeaderName`s: a `&str` is parsed into one (lower-cased, checked) at every
/// lookup, ~350 instructions each (docs/performance.md, "Twentieth round").
const RUN_ID_NAME: HeaderName = HeaderName::from_static(RUN_ID_HEADER);
const WORKFLOW_NAME: HeaderName = HeaderName::from_static(WORKFLOW_HEADER);

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
pub fn identify(spec: &IdentitySpec, parts: &Parts) -> Result<Principal, Reject> {
    let headers = &parts.headers;
    let header = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= MAX_ID_LEN)
            .map(str::to_string)
    };
    let run_header = || {
        spec.trust_run_id_header
            .then(|| header(&RUN_ID_NAME))
            .flatten()
    };
    let workflow_header = || {
        spec.trust_workflow_header
            .then(|| header(&WORKFLOW_NAME))
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

    let Some(s) = &spec.static_principal else {
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
