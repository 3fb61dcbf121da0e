//! Headers of an HTTP tool call: which of the agent's headers may reach the tool, what policy
//! sees of them (`input.request.headers`), and redaction of header values both ways.
//!
//! Header values are arguments like any other: they are scanned for PII and secrets (what is
//! found counts in `input.pii.found`), and the decision's `redact` plan applies to the values
//! forwarded to the tool and to the values of the tool's response headers.

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};

use crate::config::Adapter;
use crate::metrics::Metrics;
use crate::pipeline::reject::{Reason, Reject};
use crate::redact::{ActionPlan, Finding, Redactor};
use crate::stage::forward::strip_hop_by_hop;

/// Headers that are the agent's credentials towards toolwall: never forwarded (the adapter's
/// `credentials:` authenticate toolwall to the tool), shown to policy as their scheme only.
const AGENT_CREDENTIALS: [&str; 2] = ["authorization", "proxy-authorization"];

/// Headers that describe the hop from the agent to toolwall; toolwall, not the agent, is the
/// tool's client, so they are not forwarded.
fn is_forwarding_header(n: &str) -> bool {
    matches!(n, "forwarded" | "x-real-ip" | "x-client-ip" | "via") || n.starts_with("x-forwarded-")
}

/// The agent's headers that may reach the tool (before redaction): hop-by-hop, `Host`,
/// `Content-Length`, `toolwall-*`, `traceparent` (set by toolwall), the agent's own
/// credentials, forwarding headers and the adapter's credential header are left out.
pub fn forwardable(adapter: &Adapter, agent: &HeaderMap) -> HeaderMap {
    let cred_name = adapter.credential.as_ref().map(|(n, _)| n);
    strip_hop_by_hop(agent, |name| {
        let n = name.as_str();
        !(name == header::HOST
            || name == header::CONTENT_LENGTH
            || n.starts_with("toolwall-")
            || n == "traceparent"
            || AGENT_CREDENTIALS.contains(&n)
            || is_forwarding_header(n)
            || Some(name) == cred_name)
    })
}

/// `input.request.headers`: the forwardable headers by lower-case name, repeated values joined
/// with `, ` (`; ` for `cookie`); `cookie` shows cookie names only; `authorization` and
/// `proxy-authorization` show their scheme only (`Bearer`). Values that are not UTF-8 are
/// shown with U+FFFD in place of the bad bytes.
pub fn policy_view(agent: &HeaderMap, forwardable: &HeaderMap) -> Value {
    let mut out = Map::new();
    for name in forwardable.keys() {
        let n = name.as_str();
        let values = forwardable.get_all(name).iter();
        let shown: Vec<String> = if name == header::COOKIE {
            values
                .flat_map(|v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .split(';')
                        .map(|c| c.split('=').next().unwrap_or("").trim().to_string())
                        .filter(|c| !c.is_empty())
                        .collect::<Vec<_>>()
                })
                .collect()
        } else {
            values
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect()
        };
        let sep = if name == header::COOKIE { "; " } else { ", " };
        out.insert(n.to_string(), Value::String(shown.join(sep)));
    }
    for n in AGENT_CREDENTIALS {
        if let Some(v) = agent.get(n) {
            let text = String::from_utf8_lossy(v.as_bytes());
            let scheme = text.split_whitespace().next().unwrap_or("").to_string();
            out.insert(n.to_string(), Value::String(scheme));
        }
    }
    Value::Object(out)
}

/// The entities the forwardable header values carry, lower-case (for `input.pii.found`);
/// a value with percent escapes is scanned decoded too (`jane.doe%40example.com`).
pub fn scan(redactor: &Redactor, headers: &HeaderMap) -> Vec<String> {
    let plan = ActionPlan::none();
    let mut found = Vec::new();
    for (_, v) in headers {
        let (_, findings) = redactor.redact_bytes(v.as_bytes(), false, &plan);
        found.extend(
            findings
                .iter()
                .map(|f| f.entity.name().to_ascii_lowercase()),
        );
        if let Some(decoded) = percent_decoded(v.as_bytes()) {
            let (_, findings) = redactor.redact_bytes(&decoded, false, &plan);
            found.extend(
                findings
                    .iter()
                    .map(|f| f.entity.name().to_ascii_lowercase()),
            );
        }
    }
    found
}

/// `v` percent-decoded, when that changes it.
fn percent_decoded(v: &[u8]) -> Option<Vec<u8>> {
    if !v.contains(&b'%') {
        return None;
    }
    let d: Vec<u8> = percent_encoding::percent_decode(v).collect();
    (d != v).then_some(d)
}

/// What a decoded-then-redacted value is encoded back with: controls, non-ASCII and `%`, so
/// it decodes to the redacted text and is a valid header value.
const HEADER_REENCODE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');

/// `view` (the policy view: an object of strings) with every entity masked, escaped or
/// not: what the audit stream keeps of the headers. A value whose percent-decoded form holds
/// an entity is kept decoded and masked.
pub fn masked_view(redactor: &Redactor, view: &Value) -> Value {
    let plan = ActionPlan::mask_all();
    let Value::Object(map) = view else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (k, v) in map {
        let text = v.as_str().unwrap_or("");
        let (masked, _) = redactor.redact_text(text, &plan);
        let mut kept = masked.into_owned();
        if let Some(decoded) = percent_decoded(kept.as_bytes()) {
            let decoded = String::from_utf8_lossy(&decoded).into_owned();
            let (again, findings) = redactor.redact_text(&decoded, &plan);
            if !findings.is_empty() {
                kept = again.into_owned();
            }
        }
        out.insert(mask_name(redactor, k), Value::String(kept));
    }
    Value::Object(out)
}

/// One header value changed by redaction (for the audit record's `redactions`).
pub struct HeaderRedaction {
    /// The header name, itself masked should it hold an entity.
    pub header: String,
    pub entity: &'static str,
}

/// Redact every header value under `plan`, in place (`Content-Length` is left alone).
/// A `deny` finding is an error; a value that would not be a valid header after redaction is
/// removed.
pub fn redact(
    redactor: &Redactor,
    headers: &mut HeaderMap,
    plan: &ActionPlan,
    metrics: &Metrics,
) -> Result<Vec<HeaderRedaction>, Reject> {
    let mut changes: Vec<(HeaderName, Vec<Option<HeaderValue>>)> = Vec::new();
    let mut out = Vec::new();
    let mut denied: Vec<&'static str> = Vec::new();
    for name in headers.keys() {
        if name == header::CONTENT_LENGTH {
            continue;
        }
        // the name's values as they will be, built only once one of them changes (an
        // unchanged value is neither copied nor compared twice)
        let mut values: Option<Vec<Option<HeaderValue>>> = None;
        for (i, v) in headers.get_all(name).iter().enumerate() {
            let (redacted, mut findings) = redactor.redact_bytes(v.as_bytes(), false, plan);
            let mut value_changed = redacted.as_ref() != v.as_bytes();
            let mut redacted = redacted;
            // Entities hidden behind percent escapes are redacted in the decoded value, which
            // is then encoded back.
            if let Some(decoded) = percent_decoded(&redacted) {
                let (again, more) = redactor.redact_bytes(&decoded, false, plan);
                if more.iter().any(is_change) {
                    redacted = std::borrow::Cow::Owned(
                        percent_encoding::percent_encode(&again, HEADER_REENCODE)
                            .to_string()
                            .into_bytes(),
                    );
                    value_changed = true;
                }
                findings.extend(more);
            }
            count(metrics, &findings);
            for f in findings.iter().filter(|f| is_change(f)) {
                if f.action == crate::redact::Action::Deny {
                    denied.push(f.entity.name());
                }
                out.push(HeaderRedaction {
                    header: mask_name(redactor, name.as_str()),
                    entity: f.entity.name(),
                });
            }
            if value_changed {
                values
                    .get_or_insert_with(|| {
                        headers
                            .get_all(name)
                            .iter()
                            .take(i)
                            .map(|v| Some(v.clone()))
                            .collect()
                    })
                    .push(HeaderValue::from_bytes(&redacted).ok());
            } else if let Some(values) = values.as_mut() {
                values.push(Some(v.clone()));
            }
        }
        if let Some(values) = values {
            changes.push((name.clone(), values));
        }
    }
    if !denied.is_empty() {
        denied.sort_unstable();
        denied.dedup();
        return Err(Reject::new(
            Reason::PiiDenied,
            format!(
                "a header carries data that may not pass: {}",
                denied.join(", ")
            ),
        ));
    }
    for (name, values) in changes {
        headers.remove(&name);
        for v in values.into_iter().flatten() {
            headers.append(name.clone(), v);
        }
    }
    Ok(out)
}

fn is_change(f: &Finding) -> bool {
    f.action != crate::redact::Action::Keep
}

fn mask_name(redactor: &Redactor, name: &str) -> String {
    redactor
        .redact_text(name, &ActionPlan::mask_all())
        .0
        .into_owned()
}

fn count(metrics: &Metrics, findings: &[Finding]) {
    for f in findings.iter().filter(|f| is_change(f)) {
        metrics
            .redactions
            .get_or_create(&crate::metrics::EntityLabels {
                entity: f.entity.name(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::RedactConfig;

    #[test]
    fn header_values_are_redacted_and_deny_refuses() {
        let redactor = Redactor::new(&RedactConfig::default()).expect("redactor");
        let metrics = Metrics::new();
        let mut h = HeaderMap::new();
        h.insert("x-customer-email", "jane.doe@example.com".parse().unwrap());
        h.append("cookie", "sid=abc; card=4242424242424242".parse().unwrap());
        h.insert("accept", "application/json".parse().unwrap());
        let plan = ActionPlan::from_names(&["email", "card"]).unwrap();
        let found = scan(&redactor, &h);
        assert!(found.contains(&"email".to_string()), "{found:?}");
        assert!(found.contains(&"credit_card".to_string()), "{found:?}");
        let changed = redact(&redactor, &mut h, &plan, &metrics).unwrap();
        assert_eq!(changed.len(), 2);
        assert_eq!(h["x-customer-email"], "[EMAIL]");
        assert_eq!(h["cookie"], "sid=abc; card=[CREDIT_CARD]");
        assert_eq!(h["accept"], "application/json");
        // percent-escaped entities are found and redacted too
        let mut h3 = HeaderMap::new();
        h3.insert(
            "cookie",
            "who=jane.doe%40example.com; n=%C3%A9".parse().unwrap(),
        );
        assert_eq!(scan(&redactor, &h3), vec!["email".to_string()]);
        redact(&redactor, &mut h3, &plan, &metrics).unwrap();
        assert_eq!(h3["cookie"], "who=[EMAIL]; n=%C3%A9");
        let view = serde_json::json!({"x-who": "jane.doe%40example.com", "accept": "*/*"});
        assert_eq!(
            masked_view(&redactor, &view),
            serde_json::json!({"x-who": "[EMAIL]", "accept": "*/*"})
        );
        let mut h2 = HeaderMap::new();
        h2.insert("x-note", "mail jane.doe@example.com".parse().unwrap());
        let deny = ActionPlan::from_names(&["email:deny"]).unwrap();
        let err = redact(&redactor, &mut h2, &deny, &metrics).err().unwrap();
        assert_eq!(err.reason, Reason::PiiDenied);
    }
}
