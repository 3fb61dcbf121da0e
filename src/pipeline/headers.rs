//! Headers of an HTTP tool call: which of the agent's headers may reach the tool, what policy
//! sees of them (`input.request.headers`), and redaction of header values both ways.
//!
//! Header values are arguments like any other: they are scanned for PII and secrets (what is
//! found counts in `input.pii.found`), and the decision's `redact` plan applies to the values
//! forwarded to the tool and to the values of the tool's response headers.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

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

/// Header values and names each worker thread has found clean — no finding at all — per
/// compiled redactor (a reload builds a new one, and the memory starts over). Calls repeat
/// their headers (`content-type: application/json`, `accept-encoding: identity`, the names
/// themselves), and each was scanned up to four times a call: for `input.pii.found`, for the
/// audit's masked view (value and name), under the plan both ways. What the detector finds in
/// a text depends only on the redactor and the text — never on the plan, which only says what
/// to do with a finding — so a text known to hold no finding is returned as it is, unscanned,
/// whatever the plan. A text with a finding is never remembered. Bounded: texts of at most
/// `CLEAN_MEMO_MAX_LEN` bytes, `CLEAN_MEMO_SIZE` of them (it starts over when full), hashed
/// with a per-process seed, so no input makes it grow or slow. Measured on the bench call:
/// see docs/performance.md, "Sixth round".
const CLEAN_MEMO_SIZE: usize = 512;
const CLEAN_MEMO_MAX_LEN: usize = 128;

#[derive(Default)]
struct CleanMemo {
    redactor: u64,
    texts: HashSet<Box<[u8]>, foldhash::fast::RandomState>,
}

thread_local! {
    static CLEAN: RefCell<CleanMemo> = RefCell::new(CleanMemo::default());
}

/// Whether this thread has found `text` clean under `redactor`.
fn known_clean(redactor: &Redactor, text: &[u8]) -> bool {
    text.len() <= CLEAN_MEMO_MAX_LEN
        && CLEAN.with(|m| {
            m.try_borrow()
                .is_ok_and(|m| m.redactor == redactor.id() && m.texts.contains(text))
        })
}

/// Remember that `text` holds no finding under `redactor`.
fn remember_clean(redactor: &Redactor, text: &[u8]) {
    if text.len() > CLEAN_MEMO_MAX_LEN {
        return;
    }
    CLEAN.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return;
        };
        if m.redactor != redactor.id() {
            m.texts.clear();
            m.redactor = redactor.id();
        }
        if m.texts.len() >= CLEAN_MEMO_SIZE {
            m.texts.clear();
        }
        m.texts.insert(text.into());
    });
}

/// `redactor.redact_bytes(v, false, plan)` of a header value; unscanned when known clean.
fn redact_value<'a>(
    redactor: &Redactor,
    v: &'a [u8],
    plan: &ActionPlan,
) -> (Cow<'a, [u8]>, Vec<Finding>) {
    if known_clean(redactor, v) {
        return (Cow::Borrowed(v), Vec::new());
    }
    let (out, findings) = redactor.redact_bytes(v, false, plan);
    if findings.is_empty() {
        remember_clean(redactor, v);
    }
    (out, findings)
}

/// `redactor.redact_text(text, plan)`; unscanned when known clean.
pub(super) fn redact_text<'a>(
    redactor: &Redactor,
    text: &'a str,
    plan: &ActionPlan,
) -> (Cow<'a, str>, Vec<Finding>) {
    if known_clean(redactor, text.as_bytes()) {
        return (Cow::Borrowed(text), Vec::new());
    }
    let (out, findings) = redactor.redact_text(text, plan);
    if findings.is_empty() {
        remember_clean(redactor, text.as_bytes());
    }
    (out, findings)
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
    // the map's values in its order, a name's one after the other (`HeaderMap::iter`): no
    // `get_all` lookup per name
    // (the name, its text so far, how many of its values it holds)
    let mut current: Option<(&HeaderName, String, usize)> = None;
    for (name, v) in forwardable.iter() {
        let (shown, count) = match current.as_mut() {
            Some((n, shown, count)) if *n == name => (shown, count),
            _ => {
                if let Some((n, shown, _)) = current.take() {
                    out.insert(n.as_str().to_string(), Value::String(shown));
                }
                // most names have one value: one allocation of its size
                let (_, shown, count) = current.insert((name, String::with_capacity(v.len()), 0));
                (shown, count)
            }
        };
        if name == header::COOKIE {
            // the cookies' names, joined with `; `
            for c in String::from_utf8_lossy(v.as_bytes()).split(';') {
                let c = c.split('=').next().unwrap_or("").trim();
                if !c.is_empty() {
                    if !shown.is_empty() {
                        shown.push_str("; ");
                    }
                    shown.push_str(c);
                }
            }
        } else {
            // the values joined with `, `, written into one string (no string per value)
            if *count > 0 {
                shown.push_str(", ");
            }
            push_lossy(shown, v.as_bytes());
        }
        *count += 1;
    }
    if let Some((n, shown, _)) = current {
        out.insert(n.as_str().to_string(), Value::String(shown));
    }
    // looked up by their `HeaderName`s (a `&str` is parsed into one per lookup)
    for name in [header::AUTHORIZATION, header::PROXY_AUTHORIZATION] {
        if let Some(v) = agent.get(&name) {
            let text = String::from_utf8_lossy(v.as_bytes());
            let scheme = text.split_whitespace().next().unwrap_or("").to_string();
            out.insert(name.as_str().to_string(), Value::String(scheme));
        }
    }
    Value::Object(out)
}

/// `String::from_utf8_lossy(bytes)` pushed onto `out`: checked by `str::from_utf8` first
/// (its ASCII words at a time; `from_utf8_lossy` walks UTF-8 chunks even when all is valid).
fn push_lossy(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// The entities the forwardable header values carry, lower-case (for `input.pii.found`);
/// a value with percent escapes is scanned decoded too (`jane.doe%40example.com`).
pub fn scan(redactor: &Redactor, headers: &HeaderMap) -> Vec<String> {
    let plan = ActionPlan::none();
    let mut found = Vec::new();
    for (_, v) in headers {
        let (_, findings) = redact_value(redactor, v.as_bytes(), &plan);
        found.extend(
            findings
                .iter()
                .map(|f| f.entity.name().to_ascii_lowercase()),
        );
        if let Some(decoded) = percent_decoded(v.as_bytes()) {
            let (_, findings) = redact_value(redactor, &decoded, &plan);
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
    if !has_percent(v) {
        return None;
    }
    let d: Vec<u8> = percent_encoding::percent_decode(v).collect();
    (d != v).then_some(d)
}

/// Whether `v` holds a `%`, eight bytes at a time (a byte of `v ^ "%%%%%%%%"` is zero where
/// `v` has a `%`; "has a zero byte" is exact as a yes or no). `<[u8]>::contains` went a byte at
/// a time (~100 instructions for a 16-byte value), `memchr` cost as much on values this short
/// (docs/performance.md, "Twentieth round"): ~20 for 16 bytes ("Twenty-third round"). The last
/// 1..7 bytes are the last eight read again; a value shorter than eight bytes, a byte at a time.
fn has_percent(v: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if v.len() < 8 {
        return v.contains(&b'%');
    }
    // (every slice here is eight bytes; were one not, the word reads as zero: a `%` is
    // assumed, and the decode below answers)
    let pct = |w: &[u8]| {
        let x = <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes) ^ (ONES * u64::from(b'%'));
        x.wrapping_sub(ONES) & !x & HIGH != 0
    };
    let mut chunks = v.chunks_exact(8);
    if chunks.by_ref().any(pct) {
        return true;
    }
    !chunks.remainder().is_empty() && pct(&v[v.len() - 8..])
}

/// What a decoded-then-redacted value is encoded back with: controls, non-ASCII and `%`, so
/// it decodes to the redacted text and is a valid header value.
const HEADER_REENCODE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');

/// `view` (the policy view: an object of strings) with every entity masked, escaped or
/// not: what the audit stream keeps of the headers. A value whose percent-decoded form holds
/// an entity is kept decoded and masked.
pub fn masked_view(redactor: &Redactor, view: &Value) -> Value {
    let mut masked = view.clone();
    mask_view(redactor, &mut masked);
    masked
}

/// [`masked_view`] in place: the values masked where they are (a clean one is not copied), the
/// map rebuilt only when a name holds an entity. (Building a new map was 4 allocations a call
/// of the bench with audit on: docs/performance.md, "Fourteenth round".)
pub fn mask_view(redactor: &Redactor, view: &mut Value) {
    let plan = ActionPlan::mask_all();
    let Value::Object(map) = view else {
        *view = Value::Null;
        return;
    };
    let mut renamed = false;
    for (k, v) in map.iter_mut() {
        let text = v.as_str().unwrap_or("");
        let kept = match masked_value(redactor, text, &plan) {
            Cow::Owned(kept) => Some(kept),
            Cow::Borrowed(_) if !v.is_string() => Some(String::new()),
            Cow::Borrowed(_) => None,
        };
        if let Some(kept) = kept {
            *v = Value::String(kept);
        }
        renamed |= redact_text(redactor, k, &plan).0 != k.as_str();
    }
    if renamed {
        for (k, v) in std::mem::take(map) {
            map.insert(mask_name(redactor, &k), v);
        }
    }
}

/// One view value with every entity masked, escaped or not ([`masked_view`]).
fn masked_value<'a>(redactor: &Redactor, text: &'a str, plan: &ActionPlan) -> Cow<'a, str> {
    let (masked, _) = redact_text(redactor, text, plan);
    if let Some(decoded) = percent_decoded(masked.as_bytes()) {
        let decoded = String::from_utf8_lossy(&decoded).into_owned();
        let (again, findings) = redact_text(redactor, &decoded, plan);
        if !findings.is_empty() {
            return Cow::Owned(again.into_owned());
        }
    }
    masked
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
    // Each name's values as they will be, built only once one of them changes (an unchanged
    // value is neither copied nor compared twice). The map's values are walked in its order,
    // a name's values one after the other (`HeaderMap::iter`), instead of a `get_all` lookup
    // per name (~100 instructions each; docs/performance.md, "Twentieth round").
    let mut values: Option<Vec<Option<HeaderValue>>> = None;
    let mut current: Option<&HeaderName> = None;
    let mut i = 0usize;
    for (name, v) in headers.iter() {
        if current == Some(name) {
            i += 1;
        } else {
            if let (Some(done), Some(vals)) = (current, values.take()) {
                changes.push((done.clone(), vals));
            }
            current = Some(name);
            i = 0;
        }
        if name == header::CONTENT_LENGTH {
            continue;
        }
        let (redacted, mut findings) = redact_value(redactor, v.as_bytes(), plan);
        let mut value_changed = redacted.as_ref() != v.as_bytes();
        let mut redacted = redacted;
        // Entities hidden behind percent escapes are redacted in the decoded value, which
        // is then encoded back.
        if let Some(decoded) = percent_decoded(&redacted) {
            let (again, more) = redact_value(redactor, &decoded, plan);
            if more.iter().any(is_change) {
                redacted = Cow::Owned(
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
    if let (Some(done), Some(vals)) = (current, values.take()) {
        changes.push((done.clone(), vals));
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
    redact_text(redactor, name, &ActionPlan::mask_all())
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
    /// The word-at-a-time `%` test is `contains(&b'%')`: every length to 40, a `%` (or a byte
    /// next to it, or a high byte) at every position, in fills around it.
    #[test]
    fn has_percent_is_contains() {
        for len in 0..=40usize {
            for pos in 0..len.max(1) {
                for byte in [b'%', b'$', b'&', 0xa5, 0x25 ^ 0x80, 0, b'a'] {
                    for fill in [b'a', b'%' + 1, b'%' - 1, 0xff, 0x01, b' '] {
                        let mut v = vec![fill; len];
                        if len > 0 {
                            v[pos] = byte;
                        }
                        assert_eq!(super::has_percent(&v), v.contains(&b'%'), "{v:?}");
                        if len > 1 {
                            v[len - 1] = b'%';
                            assert!(super::has_percent(&v), "{v:?}");
                        }
                    }
                }
            }
        }
    }

    use super::*;
    use crate::redact::RedactConfig;

    /// `redact` as it was, a `get_all` per name (the reference the walk in map order is held
    /// to).
    fn redact_by_name(
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
            let mut values: Option<Vec<Option<HeaderValue>>> = None;
            for (i, v) in headers.get_all(name).iter().enumerate() {
                let (redacted, mut findings) = redact_value(redactor, v.as_bytes(), plan);
                let mut value_changed = redacted.as_ref() != v.as_bytes();
                let mut redacted = redacted;
                if let Some(decoded) = percent_decoded(&redacted) {
                    let (again, more) = redact_value(redactor, &decoded, plan);
                    if more.iter().any(is_change) {
                        redacted = Cow::Owned(
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

    /// The walk in map order redacts what the lookup per name did: maps of one to six names
    /// (standard and custom, `content-length` among them) of one to three values each — clean,
    /// an email, a percent-escaped email, a card — under three plans (none, mask all, email
    /// only): the same headers in the same order, the same list, or the same refusal.
    #[test]
    fn redacting_in_map_order_is_redacting_by_name() {
        let redactor = Redactor::new(&RedactConfig::default()).expect("redactor");
        let metrics = Metrics::new();
        let names = [
            "accept",
            "x-customer-email",
            "content-length",
            "cookie",
            "x-note",
            "content-type",
        ];
        let values = [
            "application/json",
            "jane.doe@example.com",
            "who=jane.doe%40example.com",
            "4242 4242 4242 4242",
            "plain text",
            "12",
        ];
        let plans = [
            ActionPlan::none(),
            ActionPlan::mask_all(),
            ActionPlan::from_names(&["email"]).expect("plan"),
        ];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        let mut changed = 0;
        for _ in 0..300 {
            let mut h = HeaderMap::new();
            for _ in 0..1 + next(6) {
                let name = HeaderName::from_static(names[next(names.len())]);
                for _ in 0..1 + next(3) {
                    let v = HeaderValue::from_static(values[next(values.len())]);
                    h.append(name.clone(), v);
                }
            }
            for plan in &plans {
                let (mut a, mut b) = (h.clone(), h.clone());
                let got = redact(&redactor, &mut a, plan, &metrics);
                let want = redact_by_name(&redactor, &mut b, plan, &metrics);
                match (got, want) {
                    (Ok(g), Ok(w)) => {
                        let pairs = |l: &[HeaderRedaction]| {
                            l.iter()
                                .map(|r| (r.header.clone(), r.entity))
                                .collect::<Vec<_>>()
                        };
                        assert_eq!(pairs(&g), pairs(&w));
                        changed += usize::from(!g.is_empty());
                    }
                    (Err(g), Err(w)) => assert_eq!(g.message, w.message),
                    (g, w) => panic!("{:?} against {:?}", g.is_ok(), w.is_ok()),
                }
                let order = |m: &HeaderMap| {
                    m.iter()
                        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(order(&a), order(&b));
            }
        }
        assert!(changed > 50, "{changed}");
    }

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
    /// What a thread remembers of clean header texts is per redactor: a value clean under one
    /// (email detection off) is still found by the next (as after a reload that turns it on),
    /// in every use — the scan, the masked view, the names, redaction under a plan — and the
    /// answers with a warm memory are the answers of a cold one.
    #[test]
    fn what_a_thread_remembers_clean_follows_the_redactor() {
        let off: RedactConfig =
            serde_json::from_value(serde_json::json!({"disabled": ["email"]})).expect("config");
        let off = Redactor::new(&off).expect("redactor");
        let on = Redactor::new(&RedactConfig::default()).expect("redactor");
        let metrics = Metrics::new();
        let plan = ActionPlan::from_names(&["email"]).unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-who", "jane.doe@example.com".parse().unwrap());
        h.insert("x-esc", "jane.doe%40example.com".parse().unwrap());
        h.insert("accept", "application/json".parse().unwrap());
        let view = serde_json::json!({
            "x-who": "jane.doe@example.com",
            "jane.doe@example.com": "1",
            "accept": "application/json",
        });
        for round in 0..3 {
            assert!(scan(&off, &h).is_empty(), "round {round}");
            let mut kept = h.clone();
            assert!(redact(&off, &mut kept, &plan, &metrics).unwrap().is_empty());
            assert_eq!(kept, h);
            assert_eq!(masked_view(&off, &view), view, "round {round}");

            assert_eq!(scan(&on, &h), vec!["email", "email"], "round {round}");
            let mut changed = h.clone();
            let listed = redact(&on, &mut changed, &plan, &metrics).unwrap();
            assert_eq!(listed.len(), 2, "round {round}");
            assert_eq!(changed["x-who"], "[EMAIL]");
            assert_eq!(changed["x-esc"], "[EMAIL]");
            assert_eq!(changed["accept"], "application/json");
            assert_eq!(
                masked_view(&on, &view),
                serde_json::json!({
                    "x-who": "[EMAIL]",
                    "[EMAIL]": "1",
                    "accept": "application/json",
                }),
                "round {round}"
            );
        }
        // more distinct clean texts than the memory holds, and one longer than it keeps: the
        // same answers
        for i in 0..(2 * CLEAN_MEMO_SIZE) {
            let v = format!("value-{i}");
            assert_eq!(redact_text(&on, &v, &plan).0, v);
        }
        let long = format!("{} jane.doe@example.com", "x".repeat(CLEAN_MEMO_MAX_LEN));
        assert_eq!(redact_text(&off, &long, &plan).1.len(), 0);
        assert_eq!(redact_text(&on, &long, &plan).1.len(), 1);
        assert_eq!(scan(&on, &h), vec!["email", "email"]);
    }

    #[test]
    fn the_policy_view_joins_values_shows_cookie_names_and_credential_schemes() {
        let mut agent = HeaderMap::new();
        agent.append("x-tag", "a".parse().unwrap());
        agent.append("x-tag", "b".parse().unwrap());
        agent.append("x-tag", "c".parse().unwrap());
        agent.append("cookie", "sid=1; theme=dark".parse().unwrap());
        agent.append("cookie", "lang=en;=x; ;flag".parse().unwrap());
        agent.append(
            "x-raw",
            HeaderValue::from_bytes(b"caf\xe9 au lait").unwrap(),
        );
        agent.append("authorization", "Bearer abc.def".parse().unwrap());
        agent.append("proxy-authorization", "Basic dXNlcg==".parse().unwrap());
        agent.append("accept", "application/json".parse().unwrap());
        agent.append("x-empty", HeaderValue::from_static(""));
        agent.append("x-empty", HeaderValue::from_static("z"));
        agent.append("x-empty", HeaderValue::from_static(""));
        let mut fwd = HeaderMap::new();
        for (n, v) in &agent {
            if n != header::AUTHORIZATION && n != header::PROXY_AUTHORIZATION {
                fwd.append(n.clone(), v.clone());
            }
        }
        assert_eq!(
            policy_view(&agent, &fwd),
            serde_json::json!({
                "x-tag": "a, b, c",
                "cookie": "sid; theme; lang; flag",
                "x-raw": "caf\u{fffd} au lait",
                "authorization": "Bearer",
                "proxy-authorization": "Basic",
                "accept": "application/json",
                "x-empty": ", z, ",
            })
        );
        assert_eq!(
            policy_view(&HeaderMap::new(), &HeaderMap::new()),
            serde_json::json!({})
        );
    }
}
