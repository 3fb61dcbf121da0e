//! The call's record: what the stages returned for one call, kept by the pipeline (stages
//! never read it back), and the guard that writes it to the audit stream and the metrics on
//! every exit (allow, refusal, upstream failure, client disconnect, panic). Only tool calls
//! have one: protocol traffic and non-call events (`audit::event`) do not count as calls.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::audit::sink::AuditSink;
use crate::audit::Kind;
use crate::config::raw::{AuditArgs, Mode};
use crate::metrics::{CallLabels, Metrics, ReasonLabels};
use crate::pipeline::reject::{Reason, Reject};
use crate::policy::PolicyDecision;
use crate::stage::audit::{decision_body, outcome_body, Phase};
use crate::stage::identify::Principal;

/// How a call ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Forwarded; the upstream answered with this status.
    Forwarded {
        status: u16,
    },
    Refused(Reject),
    /// A `dry_run` tool's call, decided and admitted: the agent got the action proposal and
    /// nothing was forwarded.
    DryRun,
}

/// Where this call's audit records go.
pub struct AuditHook {
    pub sink: AuditSink,
    pub args: AuditArgs,
    pub redactor: Arc<crate::redact::Redactor>,
}

/// One call's record, and the guard that writes it (audit, metrics, log line, span) when it
/// drops. Its ~1.1 KB of fields live behind a pointer: the record is moved into each front
/// end's future and through its stages, and moving it whole cost a memcpy per move
/// (callgrind: ~13k instructions per call in `memcpy` under the handler's poll).
pub struct CallRecord(Box<CallRecordFields>);

impl std::ops::Deref for CallRecord {
    type Target = CallRecordFields;
    fn deref(&self) -> &CallRecordFields {
        &self.0
    }
}

impl std::ops::DerefMut for CallRecord {
    fn deref_mut(&mut self) -> &mut CallRecordFields {
        &mut self.0
    }
}

/// What a [`CallRecord`] holds.
pub struct CallRecordFields {
    pub decision_id: String,
    pub trace_id: String,
    pub started: Instant,
    /// The call's effective mode, decided once: the config's, then its adapter's when routed,
    /// then its tool's when classified (the most specific `mode:` set wins).
    pub mode: Mode,
    /// The call's tool is `dry_run`: decided and audited, never forwarded.
    pub dry_run: bool,
    pub config_version: String,
    pub policy_version: String,
    pub policy_digest: String,
    pub adapter: Option<String>,
    /// The tool as the agent or server named it (`<adapter>.<name>`), for the audit record.
    pub tool: Option<String>,
    /// The metric label for the call's tool, from a bounded set: a declared tool's name, a
    /// bounded [`crate::metrics::tool_label`], `other` for unlisted names, `unknown` for none.
    pub tool_label: &'static str,
    pub schema: Option<String>,
    /// Index of the classified tool in its adapter.
    pub tool_index: Option<usize>,
    pub principal: Option<Principal>,
    /// `{method, host, path}` of the call.
    pub request: Option<Value>,
    pub decision: Option<PolicyDecision>,
    /// The policy input document (kept for the audit record and replay).
    pub input: Option<Value>,
    /// The shared parts `input` was built with (`input.principal`, `input.tool`, with their
    /// canonical bytes: the audit record copies them). Set and taken with `input`.
    pub input_known: crate::policy::Known,
    /// What `input` still needs masked before anything reads it past the pipeline's own stages
    /// ([`CallRecordFields::keep_input`]): applied when it is read, not per call — a call
    /// recorded nowhere (audit off) never masks headers nobody reads.
    pub input_unkept: Option<Unkept>,
    /// What policy said, as replay compares it: `{allow, reasons}`.
    pub policy_result: Option<Value>,
    /// In shadow mode: the refusal that enforce mode would have returned.
    pub shadow: Option<Reject>,
    pub outcome: Option<Outcome>,
    pub upstream_latency_us: Option<u64>,
    /// `{path, entity}` of what redaction changed in the arguments.
    pub redactions: Vec<Value>,
    /// What the PII scan found in the arguments as the agent sent them.
    pub pii_findings: Vec<crate::redact::Finding>,
    /// The policy's plan rewrote the arguments in `input` exactly as the audit's mask-all
    /// would have (every finding's action the same): the audit keeps them as they are.
    pub args_masked_for_audit: bool,
    /// The arguments' bytes as forwarded to the tool, set by the front end only when they are
    /// also their canonical form (`json::write::write_value_canonical`) and audit is on: the
    /// audit record's `args` and `input_hmac` use them instead of writing the arguments again.
    pub args_canonical: Option<bytes::Bytes>,
    /// The arguments were parsed from a JSON body of at most `args::SPARE_BODY_MAX` bytes: at
    /// the call's end their tree is kept as a spare for the next call's parse on this thread
    /// (`args::give_back_tree`).
    pub args_spare: bool,
    pub cost_usd: f64,
    pub audit: Option<AuditHook>,
    /// The decision record was written ahead of forwarding; the guard writes the outcome.
    pub written_ahead: bool,
    /// Protocol details recorded with the call (MCP: method, definition hashes).
    pub extra: Option<Value>,
    /// A gRPC call: `{service, method, message_index, grpc_status}` (the record's `grpc`).
    pub grpc: Option<Value>,
    /// Idempotent writes: `{key_hash, source}`, plus `replay: true` and `replay_of` (the
    /// decision that was forwarded) when the answer came from the store.
    pub idempotency: Option<Value>,
    /// The approval the call used (`stage::approval::record_doc`): the record's `approvals`.
    pub approval: Option<Value>,
    /// False for traffic that is not a tool call (MCP `initialize`, `tools/list`, streams):
    /// no audit record, no call metric.
    pub record: bool,
    /// The call's span when tracing is on (`telemetry::start_call`); ended with the record.
    /// Boxed: the record moves with the call's future, and is one pointer when tracing is off.
    pub span: Option<Box<crate::telemetry::CallSpan>>,
    metrics: Arc<Metrics>,
}

impl CallRecord {
    pub fn new(
        metrics: Arc<Metrics>,
        snap: &crate::config::Snapshot,
        trace_id: String,
        audit: Option<AuditHook>,
    ) -> Self {
        CallRecord(Box::new(CallRecordFields {
            decision_id: decision_id(),
            trace_id,
            started: Instant::now(),
            mode: snap.mode,
            dry_run: false,
            config_version: snap.version.clone(),
            policy_version: snap.policy.version.clone(),
            policy_digest: snap.policy.digest.clone(),
            adapter: None,
            tool: None,
            tool_label: crate::metrics::NO_TOOL,
            schema: None,
            tool_index: None,
            principal: None,
            request: None,
            decision: None,
            input: None,
            input_known: crate::policy::Known::default(),
            input_unkept: None,
            policy_result: None,
            shadow: None,
            outcome: None,
            upstream_latency_us: None,
            redactions: Vec::new(),
            pii_findings: Vec::new(),
            args_masked_for_audit: false,
            args_canonical: None,
            args_spare: false,
            cost_usd: 0.0,
            audit,
            written_ahead: false,
            extra: None,
            grpc: None,
            idempotency: None,
            approval: None,
            record: true,
            span: None,
            metrics,
        }))
    }

    /// A record with no snapshot behind it, that writes nothing when dropped (tests build
    /// its fields themselves).
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        CallRecord(Box::new(CallRecordFields {
            decision_id: String::new(),
            trace_id: String::new(),
            started: Instant::now(),
            mode: Mode::Enforce,
            dry_run: false,
            config_version: String::new(),
            policy_version: String::new(),
            policy_digest: String::new(),
            adapter: None,
            tool: None,
            tool_label: crate::metrics::NO_TOOL,
            schema: None,
            tool_index: None,
            principal: None,
            request: None,
            decision: None,
            input: None,
            input_known: crate::policy::Known::default(),
            input_unkept: None,
            policy_result: None,
            shadow: None,
            outcome: None,
            upstream_latency_us: None,
            redactions: Vec::new(),
            pii_findings: Vec::new(),
            args_masked_for_audit: false,
            args_canonical: None,
            args_spare: false,
            cost_usd: 0.0,
            audit: None,
            written_ahead: false,
            extra: None,
            grpc: None,
            idempotency: None,
            approval: None,
            record: false,
            span: None,
            metrics: Arc::new(Metrics::new()),
        }))
    }

    /// Classify's result: the call is for `tool` (`index` in its adapter, for a declared tool).
    pub fn classified(&mut self, tool: &crate::config::Tool, index: Option<usize>) {
        self.set_tool(tool);
        self.schema = tool.schema_ref.clone();
        self.cost_usd = tool.cost_usd;
        self.tool_index = index;
    }

    /// The call goes to `adapter`: its `mode`, when set, is the call's until a tool's wins.
    pub fn set_adapter(&mut self, adapter: &crate::config::Adapter) {
        self.adapter = Some(adapter.name.clone());
        if let Some(mode) = adapter.mode {
            self.mode = mode;
        }
    }

    /// The call is for `tool` (declared in config or listed by an MCP server): its `mode`
    /// (the tool's or its adapter's, when set) and `dry_run` are the call's.
    pub fn set_tool(&mut self, tool: &crate::config::Tool) {
        self.tool = Some(tool.name.clone());
        self.tool_label = tool.label;
        if let Some(mode) = tool.mode {
            self.mode = mode;
        }
        self.dry_run = tool.dry_run;
    }

    /// The answer a `dry_run` tool's admitted call gets instead of the tool's: the action
    /// proposal — the tool, the arguments as they would have been forwarded (`args`, as
    /// decided and redacted), what was decided and the decision id. The call is recorded as
    /// [`Outcome::DryRun`].
    pub fn dry_run_answer(&mut self, args: Value) -> Value {
        self.outcome = Some(Outcome::DryRun);
        let (allow, reasons) = match (&self.shadow, &self.decision) {
            // shadow mode: the refusal enforce mode would have returned
            (Some(rej), _) => (false, rej.reasons()),
            (None, Some(d)) => (true, d.reasons.clone()),
            (None, None) => (true, Vec::new()),
        };
        serde_json::json!({
            "dry_run": true,
            "tool": self.tool,
            "args": args,
            "decision": {"allow": allow, "reasons": reasons},
            "decision_id": self.decision_id,
        })
    }

    /// The call names a tool nobody declared or listed: the record keeps the name as sent,
    /// the metrics count it under `other`.
    pub fn set_unlisted_tool(&mut self, name: String) {
        self.tool = Some(name);
        self.tool_label = crate::metrics::OTHER_TOOL;
    }

    /// The call is for a tool known by name only (`<adapter>.<name>`): its label is bounded.
    pub fn set_tool_name(&mut self, name: String) {
        self.tool_label = crate::metrics::tool_label(&name);
        self.tool = Some(name);
    }

    fn write_audit(&mut self) {
        let Some(hook) = self.audit.take() else {
            return;
        };
        // (the records are written as canonical lines here: `stage::audit::decision_body`)
        if self.written_ahead {
            let body = outcome_body(self);
            hook.sink.record_body(Kind::Outcome, body, None);
        } else {
            let sink = &hook.sink;
            let body = decision_body(self, hook.args, &hook.redactor, Phase::Final, |w| {
                sink.finish_args(w)
            });
            sink.record_body(Kind::Decision, body, None);
        }
    }
}

/// A new decision id: a UUIDv7, hyphenated lower-case — `Uuid::to_string`'s bytes, written by
/// the encoder directly (`to_string` goes through `core::fmt` and grows its buffer: ~0.4k
/// instructions of the call's ~1.7k record set-up).
fn decision_id() -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

impl Drop for CallRecord {
    /// Every exit path passes here exactly once: a call that never set an outcome was
    /// abandoned (client disconnect or panic) and is recorded as such.
    fn drop(&mut self) {
        if !self.record {
            return;
        }
        let span = self.span.take();
        let elapsed = self.started.elapsed();
        let tool = self.tool_label;
        let tool_name = log_name(self.tool.as_deref().unwrap_or(""));
        let mode = self.mode.as_str();
        let agent = self
            .principal
            .as_ref()
            .map(|p| p.agent.as_str())
            .unwrap_or("");
        let (decision, status, reasons): (&'static str, u16, Vec<String>) = match &self.outcome {
            // shadow mode forwarded a call enforce mode would refuse: counted apart, so a
            // rollout can be watched (`decision="shadow_refused"`)
            Some(Outcome::Forwarded { status }) => match &self.shadow {
                Some(r) => ("shadow_refused", *status, r.reasons()),
                None => ("allow", *status, Vec::new()),
            },
            // nothing was forwarded, whatever the mode: counted apart from allows
            Some(Outcome::DryRun) => (
                "dry_run",
                200,
                self.shadow
                    .as_ref()
                    .map(Reject::reasons)
                    .unwrap_or_default(),
            ),
            Some(Outcome::Refused(r)) => {
                self.metrics
                    .refusals
                    .get_or_create(&ReasonLabels {
                        reason: r.reason.code(),
                    })
                    .inc();
                (
                    r.reason.decision_label(),
                    r.reason.response_class().0.as_u16(),
                    r.reasons(),
                )
            }
            None => {
                self.metrics
                    .refusals
                    .get_or_create(&ReasonLabels { reason: "aborted" })
                    .inc();
                ("error", 499, vec!["aborted".to_string()])
            }
        };
        self.metrics.count_call(CallLabels {
            tool,
            decision,
            mode,
        });
        self.metrics.request_duration.observe(elapsed.as_secs_f64());
        if let Some(us) = self.upstream_latency_us {
            self.metrics.upstream_duration.observe(us as f64 / 1e6);
        }
        // refused, or recorded as what enforce mode would refuse
        let schema_invalid = |r: &Reject| r.reason == Reason::SchemaInvalid;
        if matches!(&self.outcome, Some(Outcome::Refused(r)) if schema_invalid(r))
            || self.shadow.as_ref().is_some_and(schema_invalid)
        {
            self.metrics
                .schema_violations
                .get_or_create(&crate::metrics::ToolLabels { tool })
                .inc();
        }
        if matches!(self.outcome, Some(Outcome::Forwarded { .. })) && self.cost_usd > 0.0 {
            let tenant = self.principal.as_ref().and_then(|p| p.tenant.as_deref());
            self.metrics
                .spend
                .get_or_create(&crate::metrics::TenantLabels {
                    tenant: crate::metrics::tenant_label(tenant),
                })
                .inc_by(self.cost_usd);
        }
        if let Some(span) = span {
            self.end_span(*span, decision, status, &reasons);
        }
        let shadow = self.shadow.as_ref().map(|r| r.reasons().join(","));
        tracing::info!(
            target: "toolwall::call",
            decision_id = %self.decision_id,
            trace_id = %self.trace_id,
            adapter = self.adapter.as_deref().unwrap_or(""),
            tool = tool_name,
            agent,
            decision,
            status,
            reasons = %Joined(&reasons),
            shadow_would_refuse = shadow.as_deref().unwrap_or(""),
            policy_version = %self.policy_version,
            mode,
            latency_us = elapsed.as_micros() as u64,
            "tool call"
        );
        // last: the audit record takes the call's parts (the log line and span read them)
        self.write_audit();
        // what the audit did not take is read by nothing now: its shared parts' copies go to
        // the next call's policy input
        let known = std::mem::take(&mut self.input_known);
        let args = crate::stage::policy::give_back(self.input.take(), &known);
        if let Some(args) = args.filter(|_| self.args_spare) {
            crate::stage::args::give_back_tree(args, &self.config_version);
        }
        give_back_request(self.request.take());
    }
}

/// A record's `request` kept for [`request_doc`] (bounded).
fn give_back_request(request: Option<Value>) {
    let Some(Value::Object(request)) = request else {
        return;
    };
    REQUESTS.with(|cell| {
        if let Ok(mut spares) = cell.try_borrow_mut() {
            if spares.len() < REQUESTS_MAX {
                spares.push(request);
            }
        }
    });
}

/// Most `request` objects a worker thread keeps for the next calls' records ([`request_doc`]).
const REQUESTS_MAX: usize = 8;

thread_local! {
    /// The `request` objects of records that ended with them (audit off: nothing took them),
    /// their keys and strings' buffers used again by [`request_doc`].
    static REQUESTS: std::cell::RefCell<Vec<serde_json::Map<String, Value>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The record's `request`, `{"method", "host", "path"}` (what `json!` of the three builds),
/// written into the object of an earlier record when this thread kept one of those keys:
/// three key and three value strings and a map node not allocated, and not freed at the
/// record's end, per call (~0.8k instructions; docs/performance.md, "Twentieth round"). A
/// string buffer is used again only when it holds at most twice what it is given (+32).
pub fn request_doc(method: &str, host: &str, path: &str) -> Value {
    let spare = REQUESTS.with(|cell| cell.try_borrow_mut().ok().and_then(|mut s| s.pop()));
    if let Some(mut m) = spare {
        if m.len() == 3
            && m.keys()
                .zip(["host", "method", "path"])
                .all(|(a, b)| a == b)
        {
            for (k, v) in m.iter_mut() {
                let s = match k.as_bytes().first() {
                    Some(b'h') => host,
                    Some(b'm') => method,
                    _ => path,
                };
                match v {
                    Value::String(buf)
                        if buf.capacity() >= s.len() && buf.capacity() <= 2 * s.len() + 32 =>
                    {
                        buf.clear();
                        buf.push_str(s);
                    }
                    _ => *v = Value::String(s.to_owned()),
                }
            }
            return Value::Object(m);
        }
    }
    serde_json::json!({ "method": method, "host": host, "path": path })
}

impl CallRecord {
    /// Tracing on: the call's span, in the trace `headers` carry (`traceparent`), started
    /// once a front end knows where the call belongs or, refused before that, when this
    /// record is written. Off, nothing is built.
    pub fn defer_span(&mut self, headers: &http::HeaderMap) {
        if let Some((span, id)) =
            crate::telemetry::defer_call(headers, self.started, &self.trace_id)
        {
            if let Some(id) = id {
                self.trace_id = id;
            }
            self.span = Some(Box::new(span));
        }
    }

    /// The call's span: named after its tool, with what was decided (docs/telemetry.md).
    fn end_span(
        &self,
        span: crate::telemetry::CallSpan,
        decision: &'static str,
        status: u16,
        reasons: &[String],
    ) {
        use crate::telemetry::attr;
        use opentelemetry::KeyValue;
        let tool = self.tool.as_deref().unwrap_or("");
        let mut attrs = vec![
            KeyValue::new(attr::GEN_AI_OPERATION_NAME, attr::EXECUTE_TOOL),
            KeyValue::new(
                attr::GEN_AI_TOOL_CALL_ID,
                span.call_id
                    .clone()
                    .unwrap_or_else(|| self.decision_id.clone()),
            ),
            KeyValue::new(attr::TOOLWALL_DECISION, decision),
            KeyValue::new(attr::TOOLWALL_DECISION_ID, self.decision_id.clone()),
            KeyValue::new(attr::TOOLWALL_POLICY_VERSION, self.policy_version.clone()),
            KeyValue::new(attr::TOOLWALL_REASONS, reasons.join(",")),
        ];
        if !tool.is_empty() {
            attrs.push(KeyValue::new(attr::GEN_AI_TOOL_NAME, tool.to_string()));
        }
        if let Some(a) = &self.adapter {
            attrs.push(KeyValue::new(attr::TOOLWALL_ADAPTER, a.clone()));
        }
        if let Some(p) = &self.principal {
            attrs.push(KeyValue::new(attr::GEN_AI_AGENT_ID, p.agent.clone()));
            attrs.push(KeyValue::new(attr::GEN_AI_AGENT_NAME, p.agent.clone()));
            if let Some(t) = &p.tenant {
                attrs.push(KeyValue::new(attr::TOOLWALL_TENANT, t.clone()));
            }
        }
        // refusals carry their reason code; an upstream's 5xx answer its status
        let error = match &self.outcome {
            Some(Outcome::Refused(r)) => Some(r.reason.code().to_string()),
            None => Some("aborted".to_string()),
            Some(Outcome::Forwarded { .. }) if status >= 500 => Some(status.to_string()),
            _ => None,
        };
        // span names are bounded as the metric's tool labels are: a tool without a label of
        // its own (a name nobody declared or listed) names no span; `gen_ai.tool.name` has it
        let name = if self.tool_label == crate::metrics::OTHER_TOOL {
            ""
        } else {
            log_name(tool)
        };
        span.finish(name, attrs, error.as_deref());
    }
}

/// A tool name for a log line: at most 256 bytes (the audit record keeps it whole).
/// `items` joined with `,`, written where it goes (no `String` built per call).
struct Joined<'a>(&'a [String]);

impl std::fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(item)?;
        }
        Ok(())
    }
}

fn log_name(name: &str) -> &str {
    if name.len() <= 256 {
        return name;
    }
    let mut end = 256;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::{decision_id, Joined};

    /// A decision id is what `Uuid::to_string` writes of it.
    #[test]
    fn decision_ids_are_uuids_as_to_string_writes_them() {
        for _ in 0..1_000 {
            let id = decision_id();
            let parsed = uuid::Uuid::parse_str(&id).expect("a uuid");
            assert_eq!(parsed.to_string(), id);
            assert_eq!(parsed.get_version_num(), 7);
        }
        for bits in [0u128, u128::MAX, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210] {
            let u = uuid::Uuid::from_u128(bits);
            let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
            assert_eq!(
                &*u.hyphenated().encode_lower(&mut buf),
                u.to_string().as_str()
            );
        }
    }

    #[test]
    fn joined_is_what_join_gives() {
        for items in [
            vec![],
            vec!["a".to_string()],
            vec!["big_amount".into(), "".into(), "x,y".into(), "é ✓".into()],
        ] {
            assert_eq!(Joined(&items).to_string(), items.join(","));
        }
    }
}

/// Which front end's view a call's policy input holds (`request`, `grpc` or `mcp`): what
/// [`Unkept`]'s masking changes.
#[derive(Clone, Copy)]
pub enum ViewKind {
    Http,
    Grpc,
    Mcp,
}

/// The masking the pipeline's `decide` owes a call's policy input for the audit (its
/// `keep_for_audit`, passed as a function so this layer needs nothing of the pipeline's), with
/// the redactor of the snapshot the call was decided under.
pub struct Unkept {
    pub mask: fn(&crate::redact::Redactor, &mut Value, ViewKind),
    pub kind: ViewKind,
    pub redactor: Arc<crate::redact::Redactor>,
}

impl CallRecordFields {
    /// The call's policy input as the audit record keeps it (the masking owed since `decide`):
    /// everything that reads `input` past the pipeline's stages (the audit record, policy
    /// deciding again with an approval, `toolwall eval`) calls this first. Deferred from
    /// `decide`, it costs nothing for a call whose input nobody reads (audit off): masking the
    /// header view was ~2k instructions and ~10 allocations a call.
    pub fn keep_input(&mut self) {
        if let Some(Unkept {
            mask,
            kind,
            redactor,
        }) = self.input_unkept.take()
        {
            if let Some(input) = self.input.as_mut() {
                mask(&redactor, input, kind);
            }
        }
    }
}

#[cfg(test)]
mod request_tests {
    /// `request_doc` is `json!` of the three, whatever object it is built into: strings
    /// shorter, fitting and much longer than the kept buffers, another shape given back, none.
    #[test]
    fn request_docs_are_the_json_objects() {
        let long = "/v1/".to_string() + &"x".repeat(300);
        let cases = [
            ("POST", "upstream.test", "/v1/refunds"),
            ("GET", "h", "/"),
            ("PATCH", "upstream.test:8443", long.as_str()),
            ("POST", "upstream.test", "/v1/refunds/{id}"),
            ("", "", ""),
            ("DELETE", "a.b", "/v1/é/✓"),
        ];
        for round in 0..40usize {
            let (m, h, p) = cases[round % cases.len()];
            let doc = super::request_doc(m, h, p);
            assert_eq!(
                doc,
                serde_json::json!({"method": m, "host": h, "path": p}),
                "{round}"
            );
            match round % 5 {
                0 => {}
                1 => {
                    super::give_back_request(Some(serde_json::json!({"method": "x", "path": "y"})))
                }
                2 => super::give_back_request(Some(
                    serde_json::json!({"host": 1, "method": [], "path": null}),
                )),
                _ => super::give_back_request(Some(doc)),
            }
        }
        assert!(super::REQUESTS.with(|c| c.borrow().len()) <= super::REQUESTS_MAX);
    }
}
