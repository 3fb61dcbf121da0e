//! Redact: find PII and secrets in the arguments (for `input.pii.found`), mask what policy's
//! `redact` list names before forwarding, and the same in the tool's response.

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::Value;

use crate::metrics::Metrics;
use crate::pipeline::reject::{Reason, Reject};
use crate::policy::PolicyDecision;
use crate::redact::{ActionPlan, Finding, Redactor};

/// Largest tool response toolwall buffers to redact.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// The entities the arguments carry, lower-case and sorted (`["credit_card", "email"]`).
pub fn pii_found(redactor: &Redactor, args: &Value) -> Vec<String> {
    let mut found: Vec<String> = redactor
        .scan_json(args)
        .iter()
        .map(|f| f.entity.name().to_ascii_lowercase())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The plan for this call: what the decision's `redact` list names; `None` when empty.
pub fn plan_for(decision: &PolicyDecision) -> Result<Option<ActionPlan>, Reject> {
    if decision.redact.is_empty() {
        return Ok(None);
    }
    ActionPlan::from_names(&decision.redact)
        .map(Some)
        .map_err(|e| Reject::new(Reason::PolicyError, format!("decision.redact: {e}")))
}

/// Redact `args` in place; a `deny` action refuses the call.
pub fn redact_args(
    redactor: &Redactor,
    args: &mut Value,
    plan: &ActionPlan,
    metrics: &Metrics,
) -> Result<Vec<Finding>, Reject> {
    let (findings, _changed) = redactor.redact_json_in_place(args, plan);
    count(metrics, &findings);
    if crate::redact::denied(&findings) {
        let mut kinds: Vec<&str> = findings.iter().map(|f| f.entity.name()).collect();
        kinds.dedup();
        return Err(Reject::new(
            Reason::PiiDenied,
            format!(
                "the arguments carry data this tool may not receive: {}",
                kinds.join(", ")
            ),
        ));
    }
    Ok(findings)
}

fn count(metrics: &Metrics, findings: &[Finding]) {
    for f in findings {
        metrics
            .redactions
            .get_or_create(&crate::metrics::EntityLabels {
                entity: f.entity.name(),
            })
            .inc();
    }
}

/// Buffer the tool's response and redact it (JSON or text); bytes untouched when nothing is
/// found. A compressed or oversized response cannot be inspected and is refused.
pub async fn redact_response(
    resp: Response<Incoming>,
    redactor: &Redactor,
    plan: &ActionPlan,
    metrics: &Metrics,
) -> Result<(http::response::Parts, Bytes), Reject> {
    let (mut parts, body) = resp.into_parts();
    if parts
        .headers
        .get(CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"))
    {
        return Err(Reject::new(
            Reason::ResponseNotInspectable,
            "the tool answered with a compressed body that must be redacted",
        ));
    }
    let bytes = Limited::new(body, MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| {
            Reject::new(
                Reason::ResponseNotInspectable,
                format!("the tool's response could not be read for redaction: {e}"),
            )
        })?
        .to_bytes();
    let is_json = is_json(&parts.headers);
    let (out, findings) = redactor.redact_bytes(&bytes, is_json, plan);
    count(metrics, &findings);
    if crate::redact::denied(&findings) {
        return Err(Reject::new(
            Reason::PiiDenied,
            "the tool's response carries data the agent may not receive",
        ));
    }
    let out = match out {
        std::borrow::Cow::Borrowed(_) => bytes,
        std::borrow::Cow::Owned(v) => Bytes::from(v),
    };
    parts.headers.remove(CONTENT_LENGTH);
    Ok((parts, out))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false)
}
