//! The AdmissionReview v1 envelope: check the request, answer with the uid echoed,
//! `allowed`, and the patch (base64 JSON Patch) or the reason.

use base64::Engine;
use serde_json::{json, Value};

use super::pod::{decide, Decision};
use super::InjectorConfig;

/// Largest request body read (the API server's own request limit is 3 MiB).
pub const MAX_BODY: usize = 4 << 20;
/// Deepest JSON nesting accepted (a Pod is about a dozen levels deep).
pub const MAX_DEPTH: usize = 64;
/// Longest uid echoed back.
const MAX_UID: usize = 256;

/// The answer to one POST.
#[derive(Debug)]
pub enum Answer {
    /// 200 with this AdmissionReview.
    Review(Value),
    /// 400: the body is not an AdmissionReview v1 request (no uid to answer to).
    BadRequest(String),
}

/// What was decided, for the log line.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Injected,
    Skipped(String),
    Refused(String),
}

/// Answer one request body.
pub fn review(cfg: &InjectorConfig, body: &[u8]) -> (Answer, Option<Outcome>) {
    let doc = match crate::json::parse_strict(body, MAX_DEPTH) {
        Ok(d) => d,
        Err(e) => {
            return (
                Answer::BadRequest(format!("not an AdmissionReview: {e}")),
                None,
            )
        }
    };
    if doc.get("apiVersion").and_then(Value::as_str) != Some("admission.k8s.io/v1")
        || doc.get("kind").and_then(Value::as_str) != Some("AdmissionReview")
    {
        return (
            Answer::BadRequest(
                "expected apiVersion admission.k8s.io/v1, kind AdmissionReview".into(),
            ),
            None,
        );
    }
    let Some(req) = doc.get("request").and_then(Value::as_object) else {
        return (
            Answer::BadRequest("the AdmissionReview has no request".into()),
            None,
        );
    };
    let uid = match req.get("uid").and_then(Value::as_str) {
        Some(u) if !u.is_empty() && u.len() <= MAX_UID && !u.chars().any(char::is_control) => u,
        _ => {
            return (
                Answer::BadRequest("the request has no usable uid".into()),
                None,
            )
        }
    };
    let outcome = decide_request(cfg, req);
    let response = match &outcome {
        Verdict::Patch(ops, warnings) => {
            let patch = serde_json::to_vec(ops).unwrap_or_default();
            let mut r = json!({
                "uid": uid,
                "allowed": true,
                "patchType": "JSONPatch",
                "patch": base64::engine::general_purpose::STANDARD.encode(patch),
            });
            if !warnings.is_empty() {
                r["warnings"] = json!(warnings);
            }
            r
        }
        Verdict::Allow(_, warning) => {
            let mut r = json!({ "uid": uid, "allowed": true });
            if let Some(w) = warning {
                r["warnings"] = json!([w]);
            }
            r
        }
        Verdict::Deny(code, msg) => json!({
            "uid": uid,
            "allowed": false,
            "status": { "code": code, "message": format!("toolwall injector: {msg}") },
        }),
    };
    let log = match outcome {
        Verdict::Patch(..) => Outcome::Injected,
        Verdict::Allow(reason, _) => Outcome::Skipped(reason),
        Verdict::Deny(_, msg) => Outcome::Refused(msg),
    };
    (
        Answer::Review(json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": response,
        })),
        Some(log),
    )
}

enum Verdict {
    Patch(Vec<super::patch::Op>, Vec<String>),
    Allow(String, Option<String>),
    Deny(u16, String),
}

fn is_core_pod(v: Option<&Value>, plural: bool) -> bool {
    let Some(v) = v else { return false };
    let want = if plural {
        ("resource", "pods")
    } else {
        ("kind", "Pod")
    };
    v.get("group")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
        && v.get("version").and_then(Value::as_str) == Some("v1")
        && v.get(want.0).and_then(Value::as_str) == Some(want.1)
}

fn decide_request(cfg: &InjectorConfig, req: &serde_json::Map<String, Value>) -> Verdict {
    if !is_core_pod(req.get("kind"), false) || !is_core_pod(req.get("resource"), true) {
        return Verdict::Deny(400, "this webhook handles core/v1 Pods only".into());
    }
    if req
        .get("subResource")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
    {
        return Verdict::Deny(
            400,
            "this webhook handles Pods, not their subresources".into(),
        );
    }
    if req.get("operation").and_then(Value::as_str) != Some("CREATE") {
        // Containers of an existing pod cannot change: nothing to inject on UPDATE.
        return Verdict::Allow("not a pod creation".into(), None);
    }
    let Some(pod) = req.get("object").filter(|o| o.is_object()) else {
        return Verdict::Deny(400, "the request carries no Pod object".into());
    };
    if let Some(kind) = pod.get("kind") {
        if kind.as_str() != Some("Pod") {
            return Verdict::Deny(400, "the object is not a Pod".into());
        }
    }
    match decide(cfg, pod, "") {
        Decision::Inject { ops, warnings } => Verdict::Patch(ops, warnings),
        Decision::Skip { reason, warning } => Verdict::Allow(reason, warning),
        Decision::Refuse(msg) => Verdict::Deny(403, msg),
    }
}
