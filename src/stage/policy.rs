//! Policy: build the input document (PRODUCT.md §5) and ask the Rego program for a decision.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{json, Map, Value};

use crate::config::adapters::tool_value;
use crate::config::raw::Mode;
use crate::config::{Adapter, Tool};
use crate::pipeline::reject::{Reason, Reject};
use std::sync::Arc;

use crate::policy::PolicySet;
use crate::policy::{
    field_index, same_short, EvalError, Known, PolicyDecision, Shared, INPUT_FIELDS,
};
use crate::stage::identify::Principal;

/// The request facts policy sees under `input.request`, and when the call arrived.
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub now: DateTime<Utc>,
}

/// The policy input document, version 1. `args` is moved in, not copied. (The pipeline adds
/// its parts with [`Input`]; this is the document without them.)
pub fn build_input(
    mode: Mode,
    principal: &Principal,
    adapter: &Adapter,
    tool: &Tool,
    args: Value,
    pii_found: Vec<String>,
    request: &RequestFacts<'_>,
) -> Value {
    Input {
        mode,
        principal,
        adapter,
        tool,
        args,
        pii_found,
        pii_placeholders: None,
        request,
        request_extra: None,
        usage: Value::Object(Map::new()),
        approval: Value::Null,
        protocol: None,
    }
    .build()
}

/// Every part of the policy input document (PRODUCT.md §5), built into it in one pass: each
/// top-level member inserted once (the map is built from them in key order, without a search
/// per insert), the values moved in — what [`build_input`] gives plus the pipeline's parts,
/// the document the pipeline built before by indexing one into the other.
pub struct Input<'a> {
    pub mode: Mode,
    pub principal: &'a Principal,
    pub adapter: &'a Adapter,
    pub tool: &'a Tool,
    pub args: Value,
    pub pii_found: Vec<String>,
    /// `input.pii.placeholders`, when the front end sets it.
    pub pii_placeholders: Option<Vec<String>>,
    pub request: &'a RequestFacts<'a>,
    /// `input.request.template` and `input.request.headers` (HTTP).
    pub request_extra: Option<(&'a str, Value)>,
    /// `input.usage`.
    pub usage: Value,
    /// `input.approval` (`null` without one).
    pub approval: Value,
    /// `input.mcp` or `input.grpc`.
    pub protocol: Option<(&'static str, Value)>,
}

impl Input<'_> {
    pub fn build(self) -> Value {
        self.build_known().0
    }

    /// The document, and the shared parts (`input.principal`, `input.tool`, with their
    /// canonical bytes) it was built with: hand both to [`evaluate`] (the policy memo
    /// recognises them by identity) and the audit record (it copies their bytes).
    pub fn build_known(self) -> (Value, Known) {
        let now = now_part(self.request.now);
        let principal = principal_doc(self.principal);
        let tool = tool_doc(self.adapter, self.tool);
        let skeleton = SKELETONS.with(|cell| cell.borrow_mut().pop());
        let doc = match skeleton {
            Some(mut doc) if fits(&doc, self.protocol.as_ref().map(|p| p.0)) => {
                self.fill(&mut doc, &principal, &tool, &now);
                doc
            }
            _ => self.build_map(&principal, &tool, &now),
        };
        let known = Known {
            principal: Some(principal),
            tool: Some(tool),
            now: Some(now),
        };
        (Value::Object(doc), known)
    }

    fn build_map(
        self,
        principal: &Arc<Shared>,
        tool: &Arc<Shared>,
        now: &Arc<Shared>,
    ) -> Map<String, Value> {
        let mut request = Map::new();
        request.insert("method".into(), Value::from(self.request.method));
        request.insert("host".into(), Value::from(self.request.host));
        request.insert("path".into(), Value::from(self.request.path));
        if let Some((template, headers)) = self.request_extra {
            request.insert("template".into(), Value::from(template));
            request.insert("headers".into(), headers);
        }
        let mut pii = Map::new();
        pii.insert("found".into(), strings(self.pii_found));
        if let Some(p) = self.pii_placeholders {
            pii.insert("placeholders".into(), strings(p));
        }
        // in key order (`grpc` and `mcp` sort between `args` and `mode`): `Map`'s
        // `FromIterator` sorts (a no-op here) and builds the tree without searching
        let mut members: Vec<(String, Value)> = Vec::with_capacity(12);
        members.push(("approval".into(), self.approval));
        members.push(("args".into(), self.args));
        if let Some((name, v)) = self.protocol {
            members.push((name.into(), v));
        }
        members.push(("mode".into(), Value::from(self.mode.as_str())));
        members.push(("now".into(), copy_of(now)));
        members.push(("pii".into(), Value::Object(pii)));
        members.push(("principal".into(), copy_of(principal)));
        members.push(("request".into(), Value::Object(request)));
        members.push(("tool".into(), copy_of(tool)));
        members.push(("usage".into(), self.usage));
        members.push(("v".into(), Value::from(1)));
        members.into_iter().collect()
    }

    /// [`Self::build_map`] into a document given back by an earlier call ([`give_back`]) whose
    /// top-level keys [`fits`] checked: its keys (and those of `request` and `pii`, when
    /// they are the ones this document has) and its strings' buffers used again, every value
    /// replaced.
    fn fill(
        self,
        doc: &mut Map<String, Value>,
        principal: &Arc<Shared>,
        tool: &Arc<Shared>,
        now: &Arc<Shared>,
    ) {
        let mut args = Some(self.args);
        let mut approval = Some(self.approval);
        let mut usage = Some(self.usage);
        let mut protocol = self.protocol.map(|p| p.1);
        let mut pii_found = Some(self.pii_found);
        let mut pii_placeholders = Some(self.pii_placeholders);
        let mut request_extra = Some(self.request_extra);
        for (k, slot) in doc.iter_mut() {
            // `fits` checked the keys: each is one of `INPUT_FIELDS`, told apart by its first
            // byte and length (a `match` on the strings compared each with a `memcmp` call)
            match (k.as_bytes().first(), k.len()) {
                (Some(b'a'), 8) => *slot = approval.take().unwrap_or_default(),
                (Some(b'a'), _) => *slot = args.take().unwrap_or_default(),
                (Some(b'g'), _) | (Some(b'm'), 3) => {
                    *slot = protocol.take().unwrap_or_default();
                }
                (Some(b'm'), _) => set_str(slot, self.mode.as_str()),
                (Some(b'n'), _) => *slot = copy_of(now),
                (Some(b'p'), 3) => fill_pii(
                    slot,
                    pii_found.take().unwrap_or_default(),
                    pii_placeholders.take().flatten(),
                ),
                (Some(b'p'), _) => *slot = copy_of(principal),
                (Some(b'r'), _) => {
                    fill_request(slot, self.request, request_extra.take().flatten());
                }
                (Some(b't'), _) => *slot = copy_of(tool),
                (Some(b'u'), _) => *slot = usage.take().unwrap_or_default(),
                // ("v": `fits` lets no other key through)
                _ => *slot = Value::from(1),
            }
        }
        // the audit took `args` out of the document it gave back
        if let Some(args) = args {
            doc.insert("args".into(), args);
        }
    }
}

/// Most documents a worker thread keeps for the next calls' inputs ([`give_back`]): a call in
/// flight holds one.
const SKELETONS_MAX: usize = 64;

thread_local! {
    /// Documents given back by calls that ended ([`give_back`]), their values spent: their
    /// maps' keys and nodes, and the strings of `request` and `mode`, serve the next
    /// documents ([`Input::fill`]) instead of ~25 allocations made and freed per call
    /// (docs/performance.md, "Fifteenth round").
    static SKELETONS: std::cell::RefCell<Vec<Map<String, Value>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `doc`'s keys are exactly those of a document with `protocol` (`args` may be
/// missing: the audit takes it out): every key one of `INPUT_FIELDS` ([`field_index`]), in
/// their order, and the set of them the document's. Was a walk of `INPUT_FIELDS`
/// beside the keys, a `memcmp` call per key (docs/performance.md, "Twenty-fifth round");
/// pinned to that walk (`fits_by_walk`) by `tests::fits_is_the_walk_of_the_fields`.
fn fits(doc: &Map<String, Value>, protocol: Option<&str>) -> bool {
    // bit `i`: `INPUT_FIELDS[i]`; `grpc` (2) and `mcp` (3) only as this call's protocol
    const ARGS: u16 = 1 << 1;
    let mut want: u16 = (1 << INPUT_FIELDS.len()) - 1 - (1 << 2) - (1 << 3);
    match protocol {
        Some("grpc") => want |= 1 << 2,
        Some("mcp") => want |= 1 << 3,
        _ => {}
    }
    let mut seen = 0u16;
    for k in doc.keys() {
        // in `INPUT_FIELDS`' order (a map's keys are sorted, as `INPUT_FIELDS` is)
        match field_index(k) {
            Some(i) if seen >> i == 0 => seen |= 1 << i,
            _ => return false,
        }
    }
    seen == want || seen == want & !ARGS
}

/// [`fits`] as it was: `INPUT_FIELDS` walked beside the keys (the reference its test compares
/// with).
#[cfg(test)]
fn fits_by_walk(doc: &Map<String, Value>, protocol: Option<&str>) -> bool {
    let mut want = INPUT_FIELDS
        .iter()
        .copied()
        .filter(|k| !matches!(*k, "grpc" | "mcp") || Some(*k) == protocol)
        .peekable();
    for k in doc.keys() {
        if want.peek() == Some(&"args") && k != "args" {
            want.next();
        }
        if want.next() != Some(k.as_str()) {
            return false;
        }
    }
    want.peek().is_none()
}

/// `slot = s`, in its string's buffer when it holds one.
fn set_str(slot: &mut Value, s: &str) {
    match slot {
        Value::String(buf) => {
            buf.clear();
            buf.push_str(s);
        }
        _ => *slot = Value::from(s),
    }
}

/// `input.request` into `slot` (its map used again when it has exactly the keys this one has).
fn fill_request(slot: &mut Value, facts: &RequestFacts<'_>, extra: Option<(&str, Value)>) {
    let keys: &[&str] = match extra {
        Some(_) => &["headers", "host", "method", "path", "template"],
        None => &["host", "method", "path"],
    };
    let reusable = match &*slot {
        Value::Object(m) => {
            m.len() == keys.len()
                && m.keys()
                    .zip(keys)
                    .all(|(a, b)| same_short(a.as_bytes(), b.as_bytes()))
        }
        _ => false,
    };
    if !reusable {
        let mut request = Map::new();
        request.insert("method".into(), Value::from(facts.method));
        request.insert("host".into(), Value::from(facts.host));
        request.insert("path".into(), Value::from(facts.path));
        if let Some((template, headers)) = extra {
            request.insert("template".into(), Value::from(template));
            request.insert("headers".into(), headers);
        }
        *slot = Value::Object(request);
        return;
    }
    let Value::Object(m) = slot else {
        return;
    };
    let mut headers = extra.map(|(t, h)| (t, Some(h)));
    // the keys are `keys` (checked above), told apart by their first byte
    for (k, v) in m.iter_mut() {
        match k.as_bytes().first() {
            Some(b'h') if k.len() == 7 => {
                *v = headers
                    .as_mut()
                    .and_then(|h| h.1.take())
                    .unwrap_or_default();
            }
            Some(b'h') => set_str(v, facts.host),
            Some(b'm') => set_str(v, facts.method),
            Some(b'p') => set_str(v, facts.path),
            _ => set_str(v, headers.as_ref().map_or("", |h| h.0)),
        }
    }
}

/// `input.pii` into `slot` (its map used again when it has exactly the keys this one has).
fn fill_pii(slot: &mut Value, found: Vec<String>, placeholders: Option<Vec<String>>) {
    let keys: &[&str] = match placeholders {
        Some(_) => &["found", "placeholders"],
        None => &["found"],
    };
    let reusable = match &*slot {
        Value::Object(m) => {
            m.len() == keys.len()
                && m.keys()
                    .zip(keys)
                    .all(|(a, b)| same_short(a.as_bytes(), b.as_bytes()))
        }
        _ => false,
    };
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    let Value::Object(m) = slot else {
        return;
    };
    if !reusable {
        m.clear();
        m.insert("found".into(), strings(found));
        if let Some(p) = placeholders {
            m.insert("placeholders".into(), strings(p));
        }
        return;
    }
    let mut placeholders = placeholders;
    let mut found = Some(found);
    // the keys are `keys` (checked above), told apart by their length
    for (k, v) in m.iter_mut() {
        *v = match k.len() {
            5 => strings(found.take().unwrap_or_default()),
            _ => strings(placeholders.take().unwrap_or_default()),
        };
    }
}

fn strings(v: Vec<String>) -> Value {
    Value::Array(v.into_iter().map(Value::String).collect())
}

/// `input.principal`: what `serde_json::to_value(principal)` gives, remembered per worker
/// thread for the last principal seen (compared in full) with its canonical bytes, and shared:
/// the static identity's principal is the same on every call.
fn principal_doc(p: &Principal) -> Arc<Shared> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Principal, Arc<Shared>)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        if let Some((seen, doc)) = &*last {
            if same_principal(seen, p) {
                return doc.clone();
            }
        }
        let doc = Shared::new(serde_json::to_value(p).unwrap_or(Value::Null));
        *last = Some((p.clone(), doc.clone()));
        doc
    })
}

/// Most spare copies of shared parts a worker thread keeps ([`give_back`]): a call in flight
/// holds one copy of each; past this many calls at once on one thread the others clone.
const SPARES: usize = 64;

thread_local! {
    /// Copies of `input.principal` and `input.tool` given back by calls that ended
    /// ([`give_back`]), with the part each is a copy of.
    static SPARE: std::cell::RefCell<Vec<(Arc<Shared>, Value)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A copy of `part`'s value for a new input document: a spare one given back by an earlier
/// call when there is one, otherwise a clone. Cloning `input.principal` and `input.tool` and
/// freeing the copies with the call's record was ~27 allocations and ~3.5k instructions a
/// call (callgrind, the bench's call).
fn copy_of(part: &Arc<Shared>) -> Value {
    let spare = SPARE.with(|cell| {
        let mut spares = cell.borrow_mut();
        let at = spares.iter().rposition(|(p, _)| Arc::ptr_eq(p, part))?;
        Some(spares.swap_remove(at).1)
    });
    spare.unwrap_or_else(|| part.value().clone())
}

/// A call's policy input once nothing else will read it (the end of the call, or the audit's
/// decision line written: `stage::audit::decision_body`): its copies of `input.principal` and
/// `input.tool` are kept for the next call's document ([`copy_of`]).
/// They are what [`Known`]'s contract says they are — copies of the shared parts, unchanged
/// since (the memo and the audit record rely on the same contract) — and are held with the
/// part itself, so an address is never taken for another part's. Bounded: at most [`SPARES`];
/// past that the oldest spare is dropped.
pub fn give_back(input: Option<Value>, known: &Known) -> Option<Value> {
    let Some(Value::Object(mut doc)) = input else {
        return None;
    };
    // the four members taken in one pass over the map (four searches compared ~20 keys, a
    // `memcmp` call each), each name told by its first byte and length before it is compared
    let (mut principal, mut tool, mut now, mut args) = (None, None, None, None);
    for (k, v) in doc.iter_mut() {
        let slot = match (k.as_bytes().first(), k.len()) {
            (Some(b'p'), 9) if k == "principal" => &mut principal,
            (Some(b't'), 4) if k == "tool" => &mut tool,
            (Some(b'n'), 3) if k == "now" => &mut now,
            (Some(b'a'), 4) if k == "args" => &mut args,
            _ => continue,
        };
        *slot = Some(v);
    }
    let taken = [
        (&known.principal, principal.map(Value::take)),
        (&known.tool, tool.map(Value::take)),
        (&known.now, now.map(Value::take)),
    ];
    let args = args.map(Value::take);
    for (part, copy) in taken {
        let (Some(part), Some(copy)) = (part, copy) else {
            continue;
        };
        SPARE.with(|cell| {
            let mut spares = cell.borrow_mut();
            if spares.len() >= SPARES {
                spares.remove(0);
            }
            spares.push((part.clone(), copy));
        });
    }
    // what is left serves the next document as its skeleton ([`Input::fill`]); the arguments
    // go back to the caller (freed there, or kept as the next parse's spare: `args::take_spare`)
    SKELETONS.with(|cell| {
        let mut skeletons = cell.borrow_mut();
        if skeletons.len() < SKELETONS_MAX {
            skeletons.push(doc);
        }
    });
    args
}

/// How many spare copies of `part` this thread holds ([`give_back`]).
#[cfg(test)]
pub(crate) fn spares_of(part: &Arc<Shared>) -> usize {
    SPARE.with(|cell| {
        let spares = cell.borrow();
        spares.iter().filter(|(p, _)| Arc::ptr_eq(p, part)).count()
    })
}

/// Every field compared (destructured: a new field fails to compile until it is added here).
fn same_principal(a: &Principal, b: &Principal) -> bool {
    let Principal {
        agent,
        tenant,
        workflow,
        run_id,
        source,
        claims,
    } = a;
    // short strings compared as words, not by a `memcmp` call each (`same_short`: `==`)
    let same = |a: &str, b: &str| same_short(a.as_bytes(), b.as_bytes());
    let same_opt = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    };
    same(agent, &b.agent)
        && same_opt(tenant, &b.tenant)
        && same_opt(workflow, &b.workflow)
        && same_opt(run_id, &b.run_id)
        && same(source, b.source)
        && ((claims.is_empty() && b.claims.is_empty()) || *claims == b.claims)
}

/// The tool's part of `input.tool`, as [`tool_doc`] compares it.
type ToolKey = (String, String, &'static str, bool, Value);

/// `input.tool`, remembered per worker thread for the last tool seen (its name, adapter, kind,
/// `read_only` and `risk` compared: everything the document holds) with its canonical bytes,
/// and shared. A reload that changes any of them gives a new one.
///
/// A tool compiled with its adapter carries its part ([`Tool::input_part`], built by
/// [`tool_part`](crate::config::adapters::tool_part) then): taken when the adapter's name and kind are the ones it was built for,
/// without comparing the tool's fields (the configuration never changes them; a reload
/// compiles new tools). Pinned to the comparison by `tests::a_compiled_tool_part_is_the_built_one`.
fn tool_doc(adapter: &Adapter, tool: &Tool) -> Arc<Shared> {
    if let Some(p) = &tool.input_part {
        if p.kind == adapter.kind && same_short(p.adapter.as_bytes(), adapter.name.as_bytes()) {
            return p.part.clone();
        }
    }
    thread_local! {
        static LAST: std::cell::RefCell<Option<(ToolKey, Arc<Shared>)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        if let Some(((name, adapter_name, kind, read_only, risk), doc)) = &*last {
            if *name == tool.name
                && *adapter_name == adapter.name
                && *kind == adapter.kind.as_str()
                && *read_only == tool.read_only
                && *risk == tool.risk
            {
                return doc.clone();
            }
        }
        let doc = Shared::new(make_tool_doc(adapter, tool));
        let key = (
            tool.name.clone(),
            adapter.name.clone(),
            adapter.kind.as_str(),
            tool.read_only,
            tool.risk.clone(),
        );
        *last = Some((key, doc.clone()));
        doc
    })
}

/// `input.tool`, built.
fn make_tool_doc(adapter: &Adapter, tool: &Tool) -> Value {
    tool_value(&adapter.name, adapter.kind, tool)
}

/// The input of `data.toolwall.tool_visible` (MCP `tools/list`): principal and tool, no args.
pub fn visibility_input(
    mode: Mode,
    principal: Option<&Principal>,
    adapter: &Adapter,
    tool: &Tool,
    now: DateTime<Utc>,
) -> Value {
    let mut input = json!({
        "v": 1,
        "principal": principal,
        "tool": null,
        "now": null,
        "mode": mode.as_str(),
    });
    input["tool"] = tool_doc(adapter, tool).value().clone();
    input["now"] = now_doc(now);
    input
}

/// `input.now`: the clock, precomputed so policies need no time builtins. Every field is a
/// function of the whole second, so each worker thread formats it once per second.
pub fn now_doc(now: DateTime<Utc>) -> Value {
    now_part(now).value().clone()
}

/// [`now_doc`] as a shared part ([`Shared`]: its value and canonical bytes), built once per
/// second per worker thread: the input document takes a copy ([`copy_of`], a spare given back
/// by an earlier call of the same second when there is one), the policy memo recognises it by
/// identity, and the audit record copies its bytes — as for `input.principal` and
/// `input.tool` (docs/performance.md, "Fifteenth round").
fn now_part(now: DateTime<Utc>) -> Arc<Shared> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(i64, Arc<Shared>)>> = const { std::cell::RefCell::new(None) };
    }
    let second = now.timestamp();
    LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        match &*last {
            Some((s, part)) if *s == second => part.clone(),
            _ => {
                let part = Shared::new(format_now(now));
                *last = Some((second, part.clone()));
                part
            }
        }
    })
}

fn format_now(now: DateTime<Utc>) -> Value {
    json!({
        "rfc3339": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "unix": now.timestamp(),
        "weekday": now.weekday().to_string(),
        "hour_utc": now.hour(),
    })
}

/// What policy said about one call, and the input it saw.
pub struct Decided {
    pub input: Value,
    /// The shared parts `input` was built with (what [`evaluate_known`] was given).
    pub known: Known,
    /// An allow (which may still need a human's approval: `stage::approval`) or the refusal.
    pub verdict: Result<PolicyDecision, Reject>,
}

/// Evaluate the decision for `input`, timing it.
pub fn evaluate(policy: &PolicySet, input: Value, metrics: &crate::metrics::Metrics) -> Decided {
    evaluate_known(policy, input, Known::default(), metrics)
}

/// [`evaluate`] for a document built with the shared parts `known` ([`Input::build_known`]).
pub fn evaluate_known(
    policy: &PolicySet,
    input: Value,
    known: Known,
    metrics: &crate::metrics::Metrics,
) -> Decided {
    let started = std::time::Instant::now();
    let verdict = decide_known(policy, &input, &known);
    metrics
        .policy_eval_duration
        .observe(started.elapsed().as_secs_f64());
    Decided {
        input,
        known,
        verdict,
    }
}

/// Evaluate the decision; anything but an explicit allow is a refusal.
pub fn decide(policy: &PolicySet, input: &Value) -> Result<PolicyDecision, Reject> {
    decide_known(policy, input, &Known::default())
}

/// [`decide`] with the shared parts the document was built with.
fn decide_known(
    policy: &PolicySet,
    input: &Value,
    known: &Known,
) -> Result<PolicyDecision, Reject> {
    match policy.decide_known(input, known) {
        // `require_approval` wins over `allow`: the approval stage decides (a human can unblock
        // the call, and nothing is forwarded without one)
        Ok(d) if d.allow || d.require_approval => Ok(d),
        Ok(d) => {
            let mut r = Reject::new(
                Reason::PolicyDenied,
                if d.reasons.is_empty() {
                    "denied by policy".to_string()
                } else {
                    format!("denied by policy: {}", d.reasons.join(", "))
                },
            );
            r.policy_reasons = d.reasons;
            Err(r)
        }
        Err(EvalError::Undefined) => Err(Reject::new(
            Reason::PolicyUndefined,
            "policy defines no decision for this call (data.toolwall.decision is undefined)",
        )),
        Err(e @ (EvalError::Failed(_) | EvalError::Malformed(_))) => {
            Err(Reject::new(Reason::PolicyError, e.to_string()))
        }
    }
}

/// What policy said, in the form the audit record keeps and replay compares:
/// `{"allow": bool, "reasons": [...]}` (undefined and errors as their reason codes).
pub fn replayable_result(decided: &Result<PolicyDecision, Reject>) -> Value {
    match decided {
        // an allow needing approval is kept as such, so replay compares like with like
        Ok(d) if d.require_approval => {
            json!({"allow": d.allow, "reasons": d.reasons, "require_approval": true})
        }
        Ok(d) => json!({"allow": d.allow, "reasons": d.reasons}),
        Err(r) => match r.reason {
            Reason::PolicyDenied => json!({"allow": false, "reasons": r.policy_reasons}),
            other => json!({"allow": false, "reasons": [other.code()]}),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_doc_is_the_second_formatted() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        for s in [
            "2026-12-04T03:59:59.999Z",
            "2026-12-04T03:59:59.001Z",
            "2026-12-04T04:00:00Z",
            "2026-12-04T04:00:00.5Z",
            "2026-12-04T03:59:59Z",
        ] {
            assert_eq!(now_doc(t(s)), format_now(t(s)), "{s}");
        }
        assert_eq!(
            now_doc(t("2026-12-05T23:00:00.7Z")),
            json!({"rfc3339": "2026-12-05T23:00:00Z", "unix": 1_796_511_600, "weekday": "Sat", "hour_utc": 23})
        );
    }

    /// `input.now` is one shared part per second and worker thread (the memo and the audit
    /// record recognise it by identity), its bytes the canonical form of its value; a copy
    /// given back serves that second's part only.
    #[test]
    fn now_is_a_shared_part_per_second() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let a = now_part(t("2026-12-05T23:00:00.1Z"));
        assert!(Arc::ptr_eq(&a, &now_part(t("2026-12-05T23:00:00.9Z"))));
        let b = now_part(t("2026-12-05T23:00:01Z"));
        assert!(!Arc::ptr_eq(&a, &b));
        for part in [&a, &b] {
            assert_eq!(
                part.canonical(),
                crate::audit::canonical::canonicalize_strict(part.value())
                    .ok()
                    .as_deref()
            );
        }
        assert_eq!(b.value(), &format_now(t("2026-12-05T23:00:01Z")));
        SPARE.with(|cell| cell.borrow_mut().clear());
        let known = Known {
            now: Some(a.clone()),
            ..Known::default()
        };
        give_back(Some(json!({"now": {"marked": true}})), &known);
        assert_eq!(&copy_of(&b), b.value(), "another second's part is cloned");
        assert_eq!(copy_of(&a), json!({"marked": true}), "the spare of its own");
        SPARE.with(|cell| cell.borrow_mut().clear());
    }

    /// The document as the pipeline built it before [`Input`]: `json!`, then each part indexed
    /// in (the reference the one-pass build is held to).
    fn reference_input(i: &Input<'_>) -> Value {
        let mut input = json!({
            "v": 1,
            "principal": i.principal,
            "tool": null,
            "args": null,
            "request": { "method": i.request.method, "host": i.request.host, "path": i.request.path },
            "usage": {},
            "approval": null,
            "pii": { "found": i.pii_found },
            "now": null,
            "mode": i.mode.as_str(),
        });
        input["args"] = i.args.clone();
        input["tool"] = make_tool_doc(i.adapter, i.tool);
        input["now"] = format_now(i.request.now);
        if let Some(p) = &i.pii_placeholders {
            input["pii"]["placeholders"] = json!(p);
        }
        input["usage"] = i.usage.clone();
        if let Some((template, headers)) = &i.request_extra {
            input["request"]["template"] = Value::String(template.to_string());
            input["request"]["headers"] = headers.clone();
        }
        if let Some((name, v)) = &i.protocol {
            input[*name] = v.clone();
        }
        if !i.approval.is_null() {
            input["approval"] = i.approval.clone();
        }
        input
    }

    #[test]
    fn the_one_pass_input_is_the_indexed_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures");
        let snap = crate::config::load_snapshot(&dir.join("toolwall.yaml"), true)
            .expect("bench config")
            .snapshot;
        let mut principals = vec![Principal {
            agent: "a".into(),
            source: "static",
            ..Default::default()
        }];
        let mut claims = serde_json::Map::new();
        claims.insert("team".into(), json!("payments"));
        principals.push(Principal {
            agent: "a".into(),
            tenant: Some("t".into()),
            workflow: Some("w".into()),
            run_id: Some("r1".into()),
            source: "jwt",
            claims: claims.clone(),
        });
        claims.insert("team".into(), json!("billing"));
        principals.push(Principal {
            claims,
            ..principals[1].clone()
        });
        principals.push(Principal {
            run_id: Some("r2".into()),
            ..principals[1].clone()
        });
        let tools: Vec<(&Adapter, &Tool)> = snap
            .adapters
            .iter()
            .flat_map(|a| a.tools.iter().map(move |t| (a, t)))
            .collect();
        assert!(tools.len() > 1, "the bench config has several tools");
        let now = Utc::now();
        let facts = RequestFacts {
            method: "POST",
            host: "upstream.test",
            path: "/v1/refunds/ch_1",
            now,
        };
        let args = json!({"amount": 12, "nested": {"k": ["x", 1.5, null]}});
        let mut compared = 0;
        // every part in every combination, twice (the second round from warm memos)
        for _round in 0..2 {
            for (pi, principal) in principals.iter().enumerate() {
                for &(adapter, tool) in &tools {
                    for view in 0..4 {
                        let (request_extra, protocol) = match view {
                            0 => (None, None),
                            1 => (
                                Some((
                                    "/v1/refunds/{id}",
                                    json!({"content-type": "application/json"}),
                                )),
                                None,
                            ),
                            2 => (
                                None,
                                Some(("mcp", json!({"method": "tools/call", "name": "n"}))),
                            ),
                            _ => (
                                None,
                                Some(("grpc", json!({"service": "s", "metadata": {}}))),
                            ),
                        };
                        let i = Input {
                            mode: snap.mode,
                            principal,
                            adapter,
                            tool,
                            args: args.clone(),
                            pii_found: vec!["email".into(), "phone".into()],
                            pii_placeholders: (view != 0).then(|| vec!["email".to_string()]),
                            request: &facts,
                            request_extra,
                            usage: json!({"agent_spent_today_usd": 1.5}),
                            approval: if pi % 2 == 0 {
                                Value::Null
                            } else {
                                json!({"id": "apr_1", "approved": true, "approvers": [], "tier": null})
                            },
                            protocol,
                        };
                        let want = reference_input(&i);
                        let (doc, known) = i.build_known();
                        assert_eq!(doc, want);
                        assert_known(&doc, &known);
                        compared += 1;
                        // given back as the record's end and the audit give it back, the next
                        // document is built into it (`Input::fill`) whatever its shape was: as
                        // built, `args` taken out, `request` masked for the audit, not a
                        // document at all, or not given back
                        let mut back = doc;
                        match compared % 4 {
                            0 => {}
                            1 => {
                                if let Some(m) = back.as_object_mut() {
                                    m.remove("args");
                                }
                            }
                            2 => {
                                if let Some(r) =
                                    back.get_mut("request").and_then(Value::as_object_mut)
                                {
                                    r.insert("path".into(), json!("/v1/refunds/{id}"));
                                    if r.contains_key("headers") {
                                        r.insert("headers".into(), json!({"x-m": "[EMAIL]"}));
                                    }
                                }
                            }
                            _ => back = json!({"v": 1, "other": true}),
                        }
                        if compared % 7 != 6 {
                            give_back(Some(back), &known);
                        }
                        assert!(SKELETONS.with(|s| s.borrow().len()) <= SKELETONS_MAX);
                    }
                }
            }
        }
        assert_eq!(compared, 2 * principals.len() * tools.len() * 4);
        // bounded
        for _ in 0..SKELETONS_MAX * 2 {
            give_back(Some(json!({"v": 1})), &Known::default());
        }
        assert_eq!(SKELETONS.with(|s| s.borrow().len()), SKELETONS_MAX);
        SKELETONS.with(|s| s.borrow_mut().clear());
        SPARE.with(|cell| cell.borrow_mut().clear());
        // build_input: the document without the pipeline's parts
        let principal = &principals[1];
        let (adapter, tool) = tools[0];
        let mut want = reference_input(&Input {
            mode: snap.mode,
            principal,
            adapter,
            tool,
            args: args.clone(),
            pii_found: vec![],
            pii_placeholders: None,
            request: &facts,
            request_extra: None,
            usage: json!({}),
            approval: Value::Null,
            protocol: None,
        });
        assert_eq!(
            build_input(
                snap.mode,
                principal,
                adapter,
                tool,
                args.clone(),
                vec![],
                &facts
            ),
            want
        );
        // a reload that changes a tool keeps its name and adapter: the remembered document
        // follows its contents
        let tool_with = |risk: Value, read_only: bool| Tool {
            name: "payments.refund".into(),
            label: "payments.refund",
            method: http::Method::POST,
            path: "/v1/refunds".into(),
            args_from: crate::config::raw::ArgsFrom::Json,
            schema: None,
            schema_ref: None,
            coerce: std::collections::HashMap::new(),
            cost_usd: 0.0,
            cost_pointer: None,
            response_schema: None,
            read_only,
            risk,
            mode: None,
            dry_run: false,
            idempotency: None,
            grpc: None,
            input_part: None,
        };
        for (risk, read_only) in [
            (Value::Null, false),
            (json!("high"), false),
            (json!("high"), true),
            (json!({"level": 3}), true),
            (Value::Null, false),
        ] {
            let t = tool_with(risk.clone(), read_only);
            for _ in 0..2 {
                let (doc, known) = Input {
                    mode: snap.mode,
                    principal,
                    adapter,
                    tool: &t,
                    args: json!({}),
                    pii_found: vec![],
                    pii_placeholders: None,
                    request: &facts,
                    request_extra: None,
                    usage: json!({}),
                    approval: Value::Null,
                    protocol: None,
                }
                .build_known();
                // the shared part (and its canonical bytes, which the audit record copies)
                // follows the reload too
                assert_known(&doc, &known);
                assert_eq!(doc["tool"], make_tool_doc(adapter, &t));
                assert_eq!(doc["tool"]["risk"], risk);
                assert_eq!(doc["tool"]["read_only"], json!(read_only));
            }
        }
        want["principal"]["agent"] = json!("other");
        let other = Principal {
            agent: "other".into(),
            ..principal.clone()
        };
        assert_eq!(
            build_input(snap.mode, &other, adapter, tool, args, vec![], &facts),
            want
        );
    }

    /// The shared parts are the document's members, with their canonical bytes.
    fn assert_known(doc: &Value, known: &Known) {
        for (name, part) in [
            ("principal", &known.principal),
            ("tool", &known.tool),
            ("now", &known.now),
        ] {
            let part = part.as_ref().expect("a shared part");
            assert_eq!(part.value(), &doc[name], "{name}");
            assert_eq!(
                part.canonical(),
                crate::audit::canonical::canonicalize_strict(&doc[name])
                    .ok()
                    .as_deref(),
                "{name}"
            );
        }
    }

    fn decision(require_approval: bool) -> PolicyDecision {
        PolicyDecision {
            allow: true,
            require_approval,
            reasons: vec!["big_amount".into()],
            redact: Vec::new(),
            tier: None,
        }
    }

    #[test]
    fn approval_required_replays_as_what_policy_said() {
        assert_eq!(
            replayable_result(&Ok(decision(true))),
            json!({"allow": true, "reasons": ["big_amount"], "require_approval": true})
        );
        assert_eq!(
            replayable_result(&Ok(decision(false))),
            json!({"allow": true, "reasons": ["big_amount"]})
        );
    }

    fn spares() -> usize {
        SPARE.with(|cell| cell.borrow().len())
    }

    /// A copy given back is used again for the same part only, the document is the one a
    /// clone gives, and the spares stay bounded.
    #[test]
    fn copies_given_back_serve_the_same_part_only_and_stay_bounded() {
        SPARE.with(|cell| cell.borrow_mut().clear());
        let a = Shared::new(json!({"agent": "a", "tenant": "t"}));
        let b = Shared::new(json!({"agent": "b"}));
        let known = |p: &Arc<Shared>| Known {
            principal: Some(p.clone()),
            tool: None,
            now: None,
        };
        // a document as `build_known` makes it, given back: its copy is used for `a` again
        let doc = json!({"args": {}, "principal": copy_of(&a), "v": 1});
        assert_eq!(&doc["principal"], a.value());
        give_back(Some(doc), &known(&a));
        assert_eq!(spares(), 1);
        assert_eq!(&copy_of(&b), b.value(), "another part is cloned");
        assert_eq!(spares(), 1, "the spare of `a` is not taken for `b`");
        assert_eq!(&copy_of(&a), a.value());
        assert_eq!(spares(), 0);
        // what is given back is what the next document of that part holds (the contract:
        // copies, unchanged): a marked copy shows it is the one used
        let marked = json!({"principal": {"marked": true}});
        give_back(Some(marked), &known(&a));
        assert_eq!(copy_of(&a), json!({"marked": true}));
        assert_eq!(&copy_of(&a), a.value(), "no spare left: a clone");
        // nothing to give back without the part or the document
        give_back(Some(json!({"principal": {}})), &Known::default());
        give_back(None, &known(&a));
        assert_eq!(spares(), 0);
        // bounded
        for _ in 0..SPARES * 2 {
            give_back(Some(json!({"principal": copy_of(&b)})), &known(&a));
        }
        assert_eq!(spares(), SPARES);
        SPARE.with(|cell| cell.borrow_mut().clear());
    }

    /// A small xorshift generator (the tests' own; no dependency).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// `fits` (a bit set of the keys' places in `INPUT_FIELDS`) answers what the walk of
    /// `INPUT_FIELDS` beside the keys answered, for every protocol, on every subset of the
    /// fields and on maps with keys near them (a byte changed, cut, extended) or elsewhere.
    #[test]
    fn fits_is_the_walk_of_the_fields() {
        let mut near: Vec<String> = vec![String::new(), "x".into(), "argss".into()];
        for f in INPUT_FIELDS {
            let b = f.as_bytes();
            near.push(f[..f.len() - 1].to_string());
            near.push(format!("{f}s"));
            near.push(format!("_{f}"));
            near.push(f.to_uppercase());
            for at in 0..b.len() {
                let mut c = b.to_vec();
                c[at] ^= 1;
                near.push(String::from_utf8(c).expect("ASCII"));
            }
        }
        let protocols = [None, Some("grpc"), Some("mcp"), Some("http"), Some("args")];
        let (mut yes, mut no) = (0, 0);
        // every subset of the fields, alone and with a key near one
        for subset in 0u32..1 << INPUT_FIELDS.len() {
            let mut doc: Map<String, Value> = INPUT_FIELDS
                .iter()
                .enumerate()
                .filter(|(i, _)| subset & (1 << i) != 0)
                .map(|(_, k)| (k.to_string(), Value::Null))
                .collect();
            for protocol in protocols {
                let fits_now = fits(&doc, protocol);
                assert_eq!(
                    fits_now,
                    fits_by_walk(&doc, protocol),
                    "{doc:?} {protocol:?}"
                );
                if fits_now {
                    yes += 1;
                } else {
                    no += 1;
                }
            }
            let extra = &near[subset as usize % near.len()];
            doc.insert(extra.clone(), Value::Null);
            for protocol in protocols {
                assert_eq!(
                    fits(&doc, protocol),
                    fits_by_walk(&doc, protocol),
                    "{doc:?} {protocol:?}"
                );
            }
        }
        assert!(yes >= 6 && no > 10_000, "{yes} {no}");
        // random maps of fields and near keys
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let mut doc = Map::new();
            for _ in 0..rng.below(14) {
                let k = if rng.below(4) == 0 {
                    near[rng.below(near.len())].clone()
                } else {
                    INPUT_FIELDS[rng.below(INPUT_FIELDS.len())].to_string()
                };
                doc.insert(k, Value::Null);
            }
            let protocol = protocols[rng.below(protocols.len())];
            assert_eq!(
                fits(&doc, protocol),
                fits_by_walk(&doc, protocol),
                "{doc:?} {protocol:?}"
            );
        }
    }

    /// `same_principal` (short strings compared as words) answers what comparing every field
    /// with `==` answered.
    #[test]
    fn same_principal_is_every_field_equal() {
        fn by_eq(a: &Principal, b: &Principal) -> bool {
            a.agent == b.agent
                && a.tenant == b.tenant
                && a.workflow == b.workflow
                && a.run_id == b.run_id
                && a.source == b.source
                && a.claims == b.claims
        }
        let strings = [
            "",
            "a",
            "b",
            "ab",
            "abc",
            "abd",
            "abcd",
            "abce",
            "bench-agent",
            "bench-agenu",
            "cench-agent",
            "bench-agent-0123456789",
            "bench-agent-0123456788",
            "acme_co",
            "acme_cp",
            "é",
            "日本",
        ];
        let sources = ["static", "jwt", "mtls", "statid"];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let pick_opt = |rng: &mut Rng| match rng.below(strings.len() + 1) {
            0 => None,
            i => Some(strings[i - 1].to_string()),
        };
        let principal = |rng: &mut Rng| {
            let mut claims = serde_json::Map::new();
            if rng.below(3) == 0 {
                claims.insert("team".into(), json!(strings[rng.below(3)]));
            }
            Principal {
                agent: strings[rng.below(strings.len())].to_string(),
                tenant: pick_opt(rng),
                workflow: pick_opt(rng),
                run_id: pick_opt(rng),
                // not the same `&'static str` always: the bytes decide
                source: sources[rng.below(sources.len())],
                claims,
            }
        };
        let (mut same, mut differ) = (0, 0);
        for _ in 0..50_000 {
            let a = principal(&mut rng);
            // a copy with one field changed, or another principal
            let b = match rng.below(8) {
                0 => principal(&mut rng),
                1 => Principal {
                    agent: strings[rng.below(strings.len())].to_string(),
                    ..a.clone()
                },
                2 => Principal {
                    tenant: pick_opt(&mut rng),
                    ..a.clone()
                },
                3 => Principal {
                    workflow: pick_opt(&mut rng),
                    ..a.clone()
                },
                4 => Principal {
                    run_id: pick_opt(&mut rng),
                    ..a.clone()
                },
                5 => Principal {
                    source: sources[rng.below(sources.len())],
                    ..a.clone()
                },
                6 => Principal {
                    claims: principal(&mut rng).claims,
                    ..a.clone()
                },
                _ => a.clone(),
            };
            let want = by_eq(&a, &b);
            assert_eq!(same_principal(&a, &b), want, "{a:?} {b:?}");
            if want {
                same += 1;
            } else {
                differ += 1;
            }
        }
        assert!(same > 5_000 && differ > 5_000, "{same} {differ}");
    }

    /// A tool compiled with its adapter carries its `input.tool` part: what `tool_doc` gives
    /// for that adapter (the same allocation), equal to the document built from the tool's
    /// fields with its canonical bytes; with another adapter the part is not taken. A reload
    /// compiles new parts, and a changed tool's part follows its configuration.
    #[test]
    fn a_compiled_tool_part_is_the_built_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures");
        let load = |path: &std::path::Path| {
            crate::config::load_snapshot(path, true)
                .expect("bench config")
                .snapshot
        };
        let snap = load(&dir.join("toolwall.yaml"));
        let mut checked = 0;
        for adapter in &snap.adapters {
            for tool in &adapter.tools {
                let part = &tool
                    .input_part
                    .as_ref()
                    .expect("compiled with its adapter")
                    .part;
                let doc = tool_doc(adapter, tool);
                assert!(Arc::ptr_eq(&doc, part), "{}", tool.name);
                let built = Shared::new(make_tool_doc(adapter, tool));
                assert_eq!(doc.value(), built.value());
                assert_eq!(doc.canonical(), built.canonical());
                assert!(doc.canonical().is_some());
                // under another adapter (another name, or kind): built from that adapter
                for other in &snap.adapters {
                    if other.name == adapter.name && other.kind == adapter.kind {
                        continue;
                    }
                    let doc = tool_doc(other, tool);
                    assert!(!Arc::ptr_eq(&doc, part));
                    assert_eq!(doc.value(), &make_tool_doc(other, tool));
                }
                checked += 1;
            }
        }
        assert!(checked > 1, "the bench config has several tools");
        // a reload: new parts, equal while the configuration is
        let again = load(&dir.join("toolwall.yaml"));
        for (a, b) in snap.adapters.iter().zip(&again.adapters) {
            for (t, u) in a.tools.iter().zip(&b.tools) {
                let (p, q) = (tool_doc(a, t), tool_doc(b, u));
                assert!(!Arc::ptr_eq(&p, &q));
                assert_eq!(p.value(), q.value());
            }
        }
        // a reload that changes a tool's risk and read_only: its part says so
        let tmp = std::env::temp_dir().join(format!("tw-toolpart-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join("adapters")).expect("temp dir");
        let config = std::fs::read_to_string(dir.join("toolwall.yaml"))
            .expect("config")
            .replace(
                "../../policies",
                &dir.join("../../policies").display().to_string(),
            );
        std::fs::write(tmp.join("toolwall.yaml"), config).expect("write config");
        for f in std::fs::read_dir(dir.join("adapters")).expect("adapters") {
            let f = f.expect("entry").path();
            let text = std::fs::read_to_string(&f).expect("adapter").replace(
                "risk: { reversible: false, financial: true, data_class: pci }",
                "read_only: true\n    risk: { reversible: true, financial: false }",
            );
            std::fs::write(
                tmp.join("adapters").join(f.file_name().expect("name")),
                text,
            )
            .expect("write adapter");
        }
        let changed = load(&tmp.join("toolwall.yaml"));
        let _ = std::fs::remove_dir_all(&tmp);
        let (adapter, tool) = changed
            .adapters
            .iter()
            .flat_map(|a| a.tools.iter().map(move |t| (a, t)))
            .find(|(_, t)| t.name == "payments.create_refund")
            .expect("the bench tool");
        let doc = tool_doc(adapter, tool);
        assert_eq!(
            doc.value()["risk"],
            json!({"reversible": true, "financial": false})
        );
        assert_eq!(doc.value()["read_only"], json!(true));
        assert_eq!(doc.value(), &make_tool_doc(adapter, tool));
    }
}
