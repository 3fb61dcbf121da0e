//! Redact: find PII and secrets in the arguments (for `input.pii.found`), mask what policy's
//! `redact` list names before forwarding, and the same in the tool's response.

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, Response};
use http_body_util::{BodyExt, Limited};
use serde_json::Value;

use crate::metrics::Metrics;
use crate::pipeline::reject::{Reason, Reject};
use crate::policy::PolicyDecision;
use crate::redact::{ActionPlan, Finding, Redactor};

/// Largest tool response toolwall buffers to redact.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// Scan the arguments once: the findings (kept for the audit record) and the entities they
/// carry, lower-case and sorted (`["credit_card", "email"]`) for `input.pii.found`.
/// Documentation placeholders of secrets (`AKIAIOSFODNN7EXAMPLE`) are not in `found`; see
/// `placeholders`.
pub fn scan_args(redactor: &Redactor, args: &Value) -> (Vec<Finding>, Vec<String>) {
    let findings = redactor.scan_json(args);
    let found = entity_names(findings.iter().filter(|f| !f.placeholder));
    (findings, found)
}

/// The entities of the placeholder findings, lower-case and sorted, for
/// `input.pii.placeholders` (`["aws_access_key"]`).
pub fn placeholders(findings: &[Finding]) -> Vec<String> {
    entity_names(findings.iter().filter(|f| f.placeholder))
}

fn entity_names<'a>(findings: impl Iterator<Item = &'a Finding>) -> Vec<String> {
    let mut names: Vec<String> = findings
        .map(|f| f.entity.name().to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `args` with every finding of an earlier scan masked (`[EMAIL]`), without scanning again.
/// Findings must come from a scan of this very value. Findings in object keys rename
/// members (with collision suffixes): then the document is redacted again in full instead.
pub fn mask_findings(redactor: &Redactor, args: &Value, findings: &[Finding]) -> Value {
    if findings.iter().any(|f| f.key) {
        return redactor
            .redact_json(args, &ActionPlan::mask_all())
            .value
            .unwrap_or_else(|| args.clone());
    }
    let mut out = args.clone();
    // within one string, replace from the end so earlier offsets stay valid
    let mut ordered: Vec<&Finding> = findings.iter().filter(|f| f.pointer.is_some()).collect();
    ordered.sort_by(|a, b| (&a.pointer, b.start).cmp(&(&b.pointer, a.start)));
    for f in ordered {
        let Some(target) = f.pointer.as_deref().and_then(|p| out.pointer_mut(p)) else {
            continue;
        };
        let mask = format!("[{}]", f.entity.name());
        match (f.start, f.end, &mut *target) {
            (Some(start), Some(end), Value::String(s))
                if start <= end
                    && end <= s.len()
                    && s.is_char_boundary(start)
                    && s.is_char_boundary(end) =>
            {
                s.replace_range(start..end, &mask);
            }
            _ => *target = Value::String(mask),
        }
    }
    out
}

/// The plan for this call: what the decision's `redact` list names; `None` when empty.
pub fn plan_for(decision: &PolicyDecision) -> Result<Option<ActionPlan>, Reject> {
    if decision.redact.is_empty() {
        return Ok(None);
    }
    // A policy names a few redaction lists, the same from call to call: the last one's plan
    // is kept per thread (`from_names` is a function of the names alone; it lower-cased and
    // allocated per name, ~0.8k instructions a call: docs/performance.md, "Twentieth round").
    let kept = LAST_PLAN.with(|cell| {
        cell.try_borrow().ok().and_then(|last| {
            last.as_ref()
                .filter(|(names, _)| *names == decision.redact)
                .map(|(_, plan)| plan.clone())
        })
    });
    if let Some(plan) = kept {
        return Ok(Some(plan));
    }
    let plan = ActionPlan::from_names(&decision.redact)
        .map_err(|e| Reject::new(Reason::PolicyError, format!("decision.redact: {e}")))?;
    LAST_PLAN.with(|cell| {
        if let Ok(mut last) = cell.try_borrow_mut() {
            *last = Some((decision.redact.clone(), plan.clone()));
        }
    });
    Ok(Some(plan))
}

thread_local! {
    /// The last redaction list [`plan_for`] made a plan of on this thread, and the plan.
    static LAST_PLAN: std::cell::RefCell<Option<(Vec<String>, ActionPlan)>> =
        const { std::cell::RefCell::new(None) };
}

/// Redact `args` in place; a `deny` action refuses the call.
pub fn redact_args(
    redactor: &Redactor,
    args: &mut Value,
    plan: &ActionPlan,
    metrics: &Metrics,
) -> Result<Vec<Finding>, Reject> {
    let (findings, _changed) = redactor.redact_json_in_place(args, plan);
    checked(metrics, findings)
}

/// [`redact_args`] for arguments [`scan_args`] scanned: its findings (`scanned`) settle most
/// redactions without a second walk.
pub fn redact_scanned_args(
    redactor: &Redactor,
    args: &mut Value,
    plan: &ActionPlan,
    scanned: &[Finding],
    metrics: &Metrics,
) -> Result<Vec<Finding>, Reject> {
    let (findings, _changed) = match redactor.redact_scanned_in_place(args, plan, scanned) {
        Some(done) => done,
        None => redactor.redact_json_in_place(args, plan),
    };
    checked(metrics, findings)
}

/// The findings counted; a `deny` among them refuses the call.
fn checked(metrics: &Metrics, findings: Vec<Finding>) -> Result<Vec<Finding>, Reject> {
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

/// Read the tool's whole answer, at most `MAX_RESPONSE_BYTES`; `purpose` completes "the
/// tool's response could not be read …" in the refusal.
pub async fn read_whole<B>(body: B, purpose: &str) -> Result<Bytes, Reject>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let refuse = |e: Box<dyn std::error::Error + Send + Sync>| {
        Reject::new(
            Reason::ResponseNotInspectable,
            format!("the tool's response could not be read {purpose}: {e}"),
        )
    };
    // `collect().to_bytes()`'s bytes, frame by frame: an answer of one data frame (most) is
    // that frame's `Bytes` as it is, with no list of frames built (`Collected`'s `VecDeque`:
    // an allocation and its free, ~0.4k instructions a call, docs/performance.md,
    // "Twenty-third round"); more are joined in order. Trailers are left, as `to_bytes`
    // leaves them; empty frames add nothing, as in `Collected`.
    let mut body = std::pin::pin!(Limited::new(body, MAX_RESPONSE_BYTES));
    let mut first: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(refuse)?.into_data() else {
            continue;
        };
        if data.is_empty() {
            continue;
        }
        match (&mut joined, first.take()) {
            (Some(joined), _) => joined.extend_from_slice(&data),
            (None, None) => first = Some(data),
            (None, Some(head)) => {
                let mut both = Vec::with_capacity(head.len() + data.len());
                both.extend_from_slice(&head);
                both.extend_from_slice(&data);
                joined = Some(both);
            }
        }
    }
    Ok(match joined {
        Some(joined) => Bytes::from(joined),
        None => first.unwrap_or_default(),
    })
}

/// Buffer the tool's response and redact it (JSON or text); bytes untouched when nothing is
/// found. A compressed or oversized response cannot be inspected and is refused.
pub async fn redact_response<B>(
    resp: Response<B>,
    redactor: &Redactor,
    plan: &ActionPlan,
    metrics: &Metrics,
) -> Result<(http::response::Parts, Bytes), Reject>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut parts, body) = resp.into_parts();
    if is_compressed(&parts.headers) {
        return Err(Reject::new(
            Reason::ResponseNotInspectable,
            "the tool answered with a compressed body that must be redacted",
        ));
    }
    let bytes = read_whole(body, "for redaction").await?;
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

/// Whether a body carries a content coding other than `identity` (it cannot be scanned).
pub fn is_compressed(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .any(|v| !v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"identity"))
}

/// Whether a response is a server-sent event stream (redacted event by event, never buffered).
pub fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| essence(ct).eq_ignore_ascii_case("text/event-stream"))
}

mod stream;

pub use stream::{
    redact_event_stream, StreamAudit, SSE_MAX_EVENT_BYTES, SSE_MAX_HELD_BYTES, SSE_MAX_HELD_EVENTS,
    SSE_WINDOW_BYTES, SSE_WINDOW_TIME,
};

/// Whether a body is JSON (`application/json` or `+json`).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| json_essence(essence(ct)))
}

/// A `Content-Type`'s essence: what comes before its first `;`, trimmed. (A byte search:
/// `str::split`'s searcher cost ~150 instructions a call, three calls a call's request and
/// answer; docs/performance.md, "Twentieth round".)
pub fn essence(ct: &str) -> &str {
    split_media_type(ct).0
}

/// A `Content-Type` at its first `;`: the essence (trimmed) and what follows the `;`, if any
/// (`ct.split(';')`'s first piece and the text its other pieces come from).
pub fn split_media_type(ct: &str) -> (&str, Option<&str>) {
    match ct.bytes().position(|b| b == b';') {
        // (`;` is ASCII: both sides are on char boundaries)
        Some(at) => (
            ct.get(..at).unwrap_or("").trim(),
            Some(ct.get(at + 1..).unwrap_or("")),
        ),
        None => (ct.trim(), None),
    }
}

/// A media type's essence (`type/subtype`, trimmed) is JSON's: `application/json` or a
/// `+json` suffix, in any ASCII case (what comparing its lower-cased copy said, without the
/// copy).
pub fn json_essence(essence: &str) -> bool {
    let b = essence.as_bytes();
    essence.eq_ignore_ascii_case("application/json")
        || b.len()
            .checked_sub(5)
            .and_then(|at| b.get(at..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(b"+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::RedactConfig;

    /// `read_whole` is `Limited::new(body, MAX_RESPONSE_BYTES).collect()`'s `to_bytes` (or its
    /// refusal, worded the same): bodies of no frame, one, several, with empty data frames,
    /// trailers before and after data, a frame's error (first, after data), and over the
    /// limit in one frame and across two.
    #[tokio::test]
    async fn read_whole_is_collect_to_bytes() {
        use http_body::Frame;
        type Item = Result<Frame<Bytes>, std::io::Error>;
        let data = |s: &[u8]| -> Item { Ok(Frame::data(Bytes::copy_from_slice(s))) };
        let trailers = || -> Item {
            let mut t = HeaderMap::new();
            t.insert("x-t", http::HeaderValue::from_static("1"));
            Ok(Frame::trailers(t))
        };
        let broken = || -> Item { Err(std::io::Error::other("reset by peer")) };
        let big = vec![b'x'; MAX_RESPONSE_BYTES / 2 + 1];
        let cases: Vec<Vec<Item>> = vec![
            vec![],
            vec![data(b"")],
            vec![data(b"{\"a\":1}")],
            vec![data(b"ab"), data(b"cd")],
            vec![data(b"ab"), data(b""), data(b"cd"), data(b"ef")],
            vec![data(b""), data(b"ab")],
            vec![data(b"ab"), trailers()],
            vec![trailers(), data(b"ab")],
            vec![data(b"ab"), trailers(), data(b"cd")],
            vec![broken()],
            vec![data(b"ab"), broken()],
            vec![data(b"ab"), data(b"cd"), broken()],
            vec![data(&big), data(&big)],
            vec![data(&vec![b'y'; MAX_RESPONSE_BYTES + 1])],
            vec![data(&vec![b'z'; MAX_RESPONSE_BYTES])],
        ];
        // (a case's frames again: `Frame` is not `Clone`)
        let again = |items: &[Item]| -> Vec<Item> {
            items
                .iter()
                .map(|i| match i {
                    Ok(f) => match (f.data_ref(), f.trailers_ref()) {
                        (Some(d), _) => Ok(Frame::data(d.clone())),
                        (None, Some(t)) => Ok(Frame::trailers(t.clone())),
                        (None, None) => unreachable!("a frame is data or trailers"),
                    },
                    Err(e) => Err(std::io::Error::other(e.to_string())),
                })
                .collect()
        };
        for (n, items) in cases.iter().enumerate() {
            let body = |items: Vec<Item>| {
                http_body_util::StreamBody::new(futures_util::stream::iter(items))
            };
            let want = Limited::new(body(again(items)), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map(|c| c.to_bytes())
                .map_err(|e| format!("the tool's response could not be read for a test: {e}"));
            let got = read_whole(body(again(items)), "for a test")
                .await
                .map_err(|r| r.message);
            assert_eq!(got, want, "case {n}");
        }
    }

    /// The plan kept for the last list is `from_names` of each call's list: lists repeated,
    /// alternating, in another order or case, with actions, and refused ones (never kept).
    #[test]
    fn kept_plans_are_the_lists_plans() {
        let lists: [&[&str]; 8] = [
            &["email"],
            &["email"],
            &["EMAIL", "phone"],
            &["phone", "email"],
            &["email:hash", "secrets"],
            &["no_such_entity"],
            &["email"],
            &[],
        ];
        for round in 0..3 {
            for (i, list) in lists.iter().enumerate() {
                let decision = PolicyDecision {
                    redact: list.iter().map(|s| s.to_string()).collect(),
                    ..PolicyDecision::default()
                };
                let want = if list.is_empty() {
                    Ok(None)
                } else {
                    ActionPlan::from_names(list).map(Some)
                };
                match (plan_for(&decision), want) {
                    (Ok(got), Ok(want)) => assert_eq!(got, want, "{round} {i}"),
                    (Err(got), Err(_)) => assert_eq!(got.reason, Reason::PolicyError),
                    (got, want) => panic!("{round} {i}: {got:?} against {want:?}"),
                }
            }
        }
    }

    #[test]
    fn masking_from_a_scan_matches_a_full_redaction() {
        let redactor = Redactor::new(&RedactConfig::default()).expect("redactor");
        let docs = [
            serde_json::json!({"note": "mail jane.doe@example.com or bob@example.org today", "n": 5}),
            serde_json::json!({"password": "hunter2hunter2", "nested": {"card": "4242 4242 4242 4242"}}),
            serde_json::json!({"list": ["ip 10.1.2.3 and 2001:db8::1", "plain"], "é": "ünïcödé jane@example.com"}),
            serde_json::json!({"clean": "nothing here", "amount": 12}),
            serde_json::json!({"jane.doe@example.com": {"note": "or bob@example.org"}, "[EMAIL]": 1}),
        ];
        for doc in docs {
            let findings = redactor.scan_json(&doc);
            let full = redactor
                .redact_json(&doc, &ActionPlan::mask_all())
                .value
                .unwrap_or_else(|| doc.clone());
            assert_eq!(mask_findings(&redactor, &doc, &findings), full, "{doc}");
        }
    }
}
