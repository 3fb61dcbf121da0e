//! Deciding one message the agent sent: its shape and routing headers, then the stages for
//! the requests that act (`tools/call`, `resources/read`, `prompts/get`).

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::batch::post_batch;
use super::mrtr;
use super::pending::id_key;
use super::refusal;
use super::{
    json_response, lock, serialize, set_decision_header, truncated, CallState, Exchange, Pending,
    Step,
};
use crate::config::Tool;
use crate::mcp::PinStatus;
use crate::pipeline::reject::{McpSubject, Reason, Reject};
use crate::pipeline::{self, Args, Call, ResBody, View};
use crate::protocol::mcp::{self as proto, ProtocolError, Shape};
use crate::redact::ActionPlan;
use crate::stage::limits::SpendReservation;
use crate::stage::record::{CallRecord, Outcome};
use crate::stage::redact;
use crate::telemetry::{self, attr};
use opentelemetry::KeyValue;

pub(super) async fn post(
    mut ex: Exchange,
    mut ctx: CallRecord,
    headers: &HeaderMap,
    body: Bytes,
) -> Response<ResBody> {
    let msg = match crate::json::parse_strict(&body, ex.snap.max_json_depth) {
        Ok(v) => v,
        Err(e) => {
            let rej = Reject::new(Reason::InvalidJson, format!("the body is not JSON: {e}"));
            let (answer, status) = ex.refuse_with(&mut ctx, rej, McpSubject::Request, &Value::Null);
            return json_response(status, &answer, &ctx.decision_id);
        }
    };
    match msg {
        Value::Array(batch) => post_batch(ex, ctx, headers, batch).await,
        msg => {
            let decision_id = ctx.decision_id.clone();
            match ex.decide(ctx, headers, msg).await {
                Step::Answer(answer, status) => json_response(status, &answer, &decision_id),
                Step::Forward(bytes, pending) => {
                    if let Err(answers) = ex.register(pending.into_iter().collect()).await {
                        let answer = answers.into_iter().next().unwrap_or(Value::Null);
                        return json_response(StatusCode::BAD_REQUEST, &answer, &decision_id);
                    }
                    let mut resp = ex.relay(Method::POST, bytes).await;
                    set_decision_header(resp.headers_mut(), &decision_id);
                    resp
                }
            }
        }
    }
}

impl Exchange {
    /// Decide one message the agent sent.
    pub(super) async fn decide(
        &mut self,
        mut ctx: CallRecord,
        headers: &HeaderMap,
        msg: Value,
    ) -> Step {
        // tracing on: the span of a message refused before it is read as a call names its
        // method too (masked unless it is one toolwall decides)
        if let (Some(span), Some(method)) = (
            ctx.span.as_deref_mut(),
            msg.get("method").and_then(Value::as_str),
        ) {
            let method = match method {
                "tools/call" | "resources/read" | "prompts/get" => method.to_string(),
                other => self
                    .snap
                    .redactor
                    .redact_text(truncated(other, 64), &ActionPlan::mask_all())
                    .0
                    .into_owned(),
            };
            span.attrs
                .push(KeyValue::new(attr::MCP_METHOD_NAME, method));
        }
        let shape = match proto::shape(&msg) {
            Ok(s) => s,
            Err(e) => return protocol_refusal(ctx, &msg, e),
        };
        if let Err(e) = proto::check_routing_headers(headers, &msg, shape) {
            return protocol_refusal(ctx, &msg, e);
        }
        if shape == Shape::Notification && !proto::is_notification_method(proto::method(&msg)) {
            // JSON-RPC servers execute notifications: a `tools/call` without an id would act
            // with no decision, record or limit
            let method = proto::method(&msg);
            ctx.extra = Some(json!({"method": truncated(method, 256)}));
            let e = ProtocolError::new(
                proto::INVALID_REQUEST,
                format!(
                    "`{}` without an id: only notifications/* methods may be sent as notifications",
                    truncated(method, 256)
                ),
            );
            return protocol_refusal(ctx, &msg, e);
        }
        if shape != Shape::Request {
            ctx.record = false;
            return Step::Forward(serialize(&msg), None);
        }
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        if lock(&self.pending).contains_key(&id_key(&id)) {
            ctx.extra = Some(json!({"method": truncated(proto::method(&msg), 256)}));
            let e = ProtocolError::new(
                proto::INVALID_REQUEST,
                "a request with this id is still pending in this session",
            );
            return protocol_refusal(ctx, &msg, e);
        }
        match proto::method(&msg) {
            "tools/call" => self.decide_tool_call(ctx, headers, msg, id).await,
            "resources/read" | "prompts/get" => self.decide_gated(ctx, headers, msg, id).await,
            "tools/list" => {
                ctx.record = false;
                Step::Forward(serialize(&msg), Some((id, Pending::ToolsList)))
            }
            _ => {
                ctx.record = false;
                Step::Forward(serialize(&msg), Some((id, Pending::Other)))
            }
        }
    }

    pub(super) async fn decide_tool_call(
        &mut self,
        mut ctx: CallRecord,
        headers: &HeaderMap,
        mut msg: Value,
        id: Value,
    ) -> Step {
        self.start_span(&mut ctx, headers, &msg, &id, None);
        let Some(params) = msg.get_mut("params").and_then(Value::as_object_mut) else {
            let e = ProtocolError::new(proto::INVALID_PARAMS, "tools/call needs params");
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        };
        let Some(name) = params
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            let e = ProtocolError::new(proto::INVALID_PARAMS, "tools/call needs params.name");
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        };
        let args = match params.remove("arguments") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v,
            Some(_) => {
                let e = ProtocolError::new(
                    proto::INVALID_PARAMS,
                    "tools/call params.arguments must be an object",
                );
                return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
            }
        };
        let qualified = format!("{}.{name}", self.adapter().name);
        let found = match self.app.mcp.lookup(&self.snap, self.adapter(), &name) {
            Some(t) => Some(t),
            None => {
                // never listed (or announced changed): read the list as the agent would
                match self.fetch_tool_list().await {
                    Ok(()) => self.app.mcp.lookup(&self.snap, self.adapter(), &name),
                    Err(rej) => return self.refuse_call(ctx, &id, rej),
                }
            }
        };
        let Some((mcp_tool, status)) = found else {
            ctx.set_unlisted_tool(qualified);
            let rej = Reject::new(
                Reason::UnknownTool,
                format!("the server lists no tool `{name}`"),
            );
            return self.refuse_call(ctx, &id, rej);
        };
        let tool = &mcp_tool.tool;
        ctx.set_tool(tool);
        ctx.cost_usd = tool.cost_usd;
        ctx.schema = tool.schema_ref.clone();
        let mut extra = json!({"method": "tools/call", "name": name, "definition": mcp_tool.hash});
        if let PinStatus::Changed { pinned } = &status {
            extra["pinned_definition"] = json!(pinned);
            ctx.extra = Some(extra);
            let rej = Reject::new(
                Reason::ToolDefinitionChanged,
                format!(
                    "the server changed tool `{name}` since it was pinned ({pinned} → {}); an operator must re-pin it (toolwall mcp pin --adapter {})",
                    mcp_tool.hash,
                    self.adapter().name
                ),
            );
            return self.refuse_call(ctx, &id, rej);
        }
        if let Err(e) = proto::check_param_headers(&mcp_tool.params, &args, headers, self.modern) {
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        }
        ctx.extra = Some(extra.clone());
        let snap = self.snap.clone();
        let schema_tool = mcp_tool.input_schema_tool(&snap.adapters[self.adapter]);
        let mut rest = msg
            .get("params")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // the approval a retry presents; neither the tool nor `input.mcp.meta` sees it
        let approval = match take_approval(rest.get_mut("_meta")) {
            Ok(a) => a,
            Err(rej) => return self.refuse_call(ctx, &id, rej),
        };
        // a 2026-07-28 client that takes URL-mode elicitation is asked the protocol's way
        let ask_by_url = self.modern
            && !self.batch
            && snap.approvals.approval_page().is_some()
            && mrtr::url_elicitation(rest.get("_meta"));
        let binding = match ctx.principal.as_ref() {
            Some(p) if ask_by_url || mrtr::has_state(&rest) => {
                Some(crate::stage::approval::bind(self.app.hmac_key(), p, &tool.name, &args).key)
            }
            _ => None,
        };
        // the retry of an `input_required` answer: toolwall's `requestState` names the approval
        let approval = match self.take_request_state(&mut rest, approval, &tool.name, &binding) {
            Ok(a) => a,
            Err(rej) => return self.refuse_call(ctx, &id, rej),
        };
        if rest
            .get("_meta")
            .is_some_and(|m| m.as_object().is_some_and(Map::is_empty))
        {
            rest.remove("_meta");
        }
        // policy sees `params._meta` as `input.mcp.meta`
        let mut policy_extra = extra;
        if let Some(meta) = rest.get("_meta") {
            policy_extra["meta"] = meta.clone();
        }
        let mut headers = std::mem::take(&mut self.headers);
        let modern = self.modern;
        let metrics = self.app.metrics.clone();
        // a `dry_run` tool's call: the arguments it would forward, for the proposal
        let mut proposal = None;
        // tracing on: the trace context the server gets names toolwall's CLIENT span
        let trace = ctx.span.as_mut().and_then(|s| s.plan_client());
        let encode = |args: &Value, plan: Option<&ActionPlan>| {
            if tool.dry_run {
                proposal = Some(args.clone());
            }
            // every param but the tool's name goes through the plan, not only `arguments`
            let mut rest = rest.clone();
            if let Some(plan) = plan {
                let name = rest.remove("name");
                let mut others = Value::Object(rest);
                redact::redact_args(&snap.redactor, &mut others, plan, &metrics)?;
                rest = match others {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                if let Some(n) = name {
                    rest.insert("name".into(), n);
                }
            }
            // after redaction: toolwall's own context, or the agent's only when well-formed
            telemetry::set_meta_context(&mut rest, trace.as_ref());
            proto::set_param_headers(&mcp_tool.params, args, &mut headers, modern);
            Ok(proto::encode_request(&msg, &rest, Some(args), None))
        };
        let decided = self
            .decide_and_admit(
                &mut ctx,
                tool,
                schema_tool,
                (args, approval),
                policy_extra,
                encode,
            )
            .await;
        self.headers = headers;
        match decided {
            Ok((_, _, spend)) if ctx.dry_run => {
                let output_schema = mcp_tool.output.is_some();
                self.dry_run(ctx, &id, spend, proposal, output_schema).await
            }
            Ok((bytes, plan, spend)) => {
                ctx.outcome = Some(Outcome::Forwarded { status: 200 });
                let call = CallState {
                    ctx,
                    tool: Some(mcp_tool.clone()),
                    plan,
                    spend,
                };
                Step::Forward(bytes, Some((id, Pending::Call(Box::new(call)))))
            }
            Err(rej) => match binding.filter(|_| ask_by_url) {
                Some(key) => self.ask_by_url(ctx, &id, rej, &tool.name, key),
                None => self.refuse_call(ctx, &id, rej),
            },
        }
    }

    /// Tracing on: the call's span, in the trace of `params._meta` (else of the request's
    /// headers), with the MCP attributes (docs/telemetry.md): `tools/call`, or the request
    /// `target` names (`resources/read`, `prompts/get`: then the span is named
    /// `{mcp.method.name} {target}`, `target` an attribute). Off: nothing is built.
    fn start_span(
        &self,
        ctx: &mut CallRecord,
        headers: &HeaderMap,
        msg: &Value,
        id: &Value,
        target: Option<Target<'_>>,
    ) {
        let Some(span) = ctx.span.as_deref_mut() else {
            return;
        };
        let meta = msg
            .get("params")
            .and_then(|p| p.get("_meta"))
            .and_then(Value::as_object);
        let Some(trace_id) = span.start_mcp(meta) else {
            return;
        };
        let request_id = match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        // the agent's words: masked as the audit stream masks what it does not know
        let plan = ActionPlan::mask_all();
        let masked = |s: &str, max: usize| {
            self.snap
                .redactor
                .redact_text(truncated(s, max), &plan)
                .0
                .into_owned()
        };
        let request_id = masked(&request_id, 128);
        // (`mcp.method.name` is on the span already: `decide`)
        let method = proto::method(msg);
        span.attrs
            .push(KeyValue::new(attr::JSONRPC_REQUEST_ID, request_id.clone()));
        match target {
            None => span.call_id = Some(request_id),
            // the URI is not in the name (the conventions: not by default, unbounded)
            Some(Target::Resource(uri)) => {
                if let Some(uri) = uri {
                    span.attrs
                        .push(KeyValue::new(attr::MCP_RESOURCE_URI, masked(uri, 1024)));
                }
                span.name = Some(truncated(method, 64).to_string());
            }
            Some(Target::Prompt(name)) => match name {
                Some(name) => {
                    let name = masked(name, 256);
                    span.name = Some(format!("{} {name}", truncated(method, 64)));
                    span.attrs
                        .push(KeyValue::new(attr::GEN_AI_PROMPT_NAME, name));
                }
                None => span.name = Some(truncated(method, 64).to_string()),
            },
        }
        if let Some(sid) = &self.session {
            span.attrs.push(KeyValue::new(
                attr::MCP_SESSION_ID,
                truncated(sid, 128).to_string(),
            ));
        }
        let version = headers
            .get(proto::PROTOCOL_VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 32 && v.bytes().all(|b| b.is_ascii_graphic()));
        if let Some(v) = version {
            span.attrs
                .push(KeyValue::new(attr::MCP_PROTOCOL_VERSION, v.to_string()));
        }
        ctx.trace_id = trace_id;
    }

    /// A `tools/call` refused: a refusal `approval_required` (with its request's id) is
    /// answered `input_required` with a URL-mode elicitation pointing at the approval page
    /// (`mrtr`); anything else, or a state that cannot be sealed, as [`Self::refuse_call`].
    fn ask_by_url(
        &self,
        mut ctx: CallRecord,
        id: &Value,
        rej: Reject,
        tool: &str,
        key: String,
    ) -> Step {
        let page = self.snap.approvals.approval_page();
        let (Some(approval), Some(page), Reason::ApprovalRequired) =
            (rej.approval_id.as_deref(), page.as_deref(), rej.reason)
        else {
            return self.refuse_call(ctx, id, rej);
        };
        let ttl = i64::try_from(self.snap.approvals.ttl.as_secs()).unwrap_or(i64::MAX);
        let state = mrtr::State {
            approval_id: approval.to_string(),
            tool: tool.to_string(),
            key,
            exp: self.app.clock().now().timestamp().saturating_add(ttl),
        };
        let Some(sealed) = mrtr::seal(self.app.hmac_key(), &state) else {
            return self.refuse_call(ctx, id, rej);
        };
        let answer = mrtr::input_required(id, &rej, &ctx.decision_id, tool, page, &sealed);
        ctx.outcome = Some(Outcome::Refused(rej));
        Step::Answer(answer, StatusCode::OK)
    }

    /// Take toolwall's own `params.requestState` (and `params.inputResponses`) out of a
    /// `tools/call`'s params: checked ([`mrtr::open`]: unaltered, unexpired, for this tool and
    /// this very call), its approval id is the one the retry presents. A `requestState`
    /// toolwall did not issue is the server's, and stays. An answer `decline` or `cancel`
    /// to the approval page refuses the call at once (`approval_denied`, the request itself
    /// untouched), so the client does not ask its user again.
    fn take_request_state(
        &self,
        rest: &mut Map<String, Value>,
        approval: Option<String>,
        tool: &str,
        binding: &Option<String>,
    ) -> Result<Option<String>, Reject> {
        if !mrtr::has_state(rest) {
            return Ok(approval);
        }
        let token = match rest.remove("requestState") {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        let responses = rest.remove("inputResponses");
        let now = self.app.clock().now().timestamp();
        let state = mrtr::open(self.app.hmac_key(), &token, now)?;
        let mismatch = |why: &str| {
            let mut rej = Reject::new(Reason::ApprovalMismatch, why.to_string());
            rej.approval_id = Some(state.approval_id.as_str().into());
            rej
        };
        if state.tool != tool {
            return Err(mismatch("params.requestState was issued for another tool"));
        }
        if binding.as_deref() != Some(state.key.as_str()) {
            return Err(mismatch(
                "params.requestState was issued for another call (other arguments or principal)",
            ));
        }
        if approval.as_ref().is_some_and(|a| *a != state.approval_id) {
            return Err(Reject::new(
                Reason::AmbiguousRequest,
                "params.requestState and _meta[\"toolwall/approval\"] name different approvals",
            ));
        }
        match mrtr::answer(responses.as_ref())? {
            mrtr::Answer::Decline | mrtr::Answer::Cancel => {
                let mut rej = Reject::new(
                    Reason::ApprovalDenied,
                    format!(
                        "the approval page was declined or dismissed, so the call was not \
                         retried; approval request {id} is still up to the approvers: once it \
                         is approved, call again with params._meta[\"toolwall/approval\"] = \
                         \"{id}\"",
                        id = state.approval_id
                    ),
                );
                rej.approval_id = Some(state.approval_id.as_str().into());
                Err(rej)
            }
            mrtr::Answer::Accept | mrtr::Answer::None => Ok(Some(state.approval_id)),
        }
    }

    /// `resources/read` (by URI) and `prompts/get` (by name): policy sees
    /// `<adapter>.resources/read` / `<adapter>.prompts/get` with the params as `args`.
    pub(super) async fn decide_gated(
        &mut self,
        mut ctx: CallRecord,
        headers: &HeaderMap,
        mut msg: Value,
        id: Value,
    ) -> Step {
        let method = proto::method(&msg).to_string();
        let key = proto::name_key(&method).unwrap_or("name");
        let named = msg
            .get("params")
            .and_then(|p| p.get(key))
            .and_then(Value::as_str);
        let target = match key {
            "uri" => Target::Resource(named),
            _ => Target::Prompt(named),
        };
        self.start_span(&mut ctx, headers, &msg, &id, Some(target));
        let mut args = msg
            .get_mut("params")
            .map(Value::take)
            .unwrap_or_else(|| json!({}));
        if args.get(key).and_then(Value::as_str).is_none() {
            let e = ProtocolError::new(
                proto::INVALID_PARAMS,
                format!("{method} needs params.{key}"),
            );
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        }
        let mut meta = args.as_object_mut().and_then(|m| m.remove("_meta"));
        let approval = match take_approval(meta.as_mut()) {
            Ok(a) => a,
            Err(rej) => return self.refuse_step(ctx, rej, McpSubject::Request, &id),
        };
        if meta
            .as_ref()
            .is_some_and(|m| m.as_object().is_some_and(Map::is_empty))
        {
            meta = None;
        }
        let tool = self.pseudo_tool(&method);
        ctx.set_tool(&tool);
        let extra = json!({"method": method, key: args.get(key)});
        ctx.extra = Some(extra.clone());
        let mut policy_extra = extra;
        if let Some(m) = &meta {
            policy_extra["meta"] = m.clone();
        }
        let snap = self.snap.clone();
        let metrics = self.app.metrics.clone();
        // tracing on: the trace context the server gets names toolwall's CLIENT span
        let trace = ctx.span.as_mut().and_then(|s| s.plan_client());
        let encode = |args: &Value, plan: Option<&ActionPlan>| {
            let rest = args.as_object().unwrap_or(&Map::new()).clone();
            let mut meta = meta;
            if let (Some(plan), Some(m)) = (plan, meta.as_mut()) {
                redact::redact_args(&snap.redactor, m, plan, &metrics)?;
            }
            // after redaction: toolwall's own context, or the agent's only when well-formed
            let mut params = Map::new();
            if let Some(m) = meta {
                params.insert("_meta".into(), m);
            }
            telemetry::set_meta_context(&mut params, trace.as_ref());
            let meta = params.remove("_meta");
            Ok(proto::encode_request(&msg, &rest, None, meta.as_ref()))
        };
        match self
            .decide_and_admit(
                &mut ctx,
                &tool,
                &tool,
                (args, approval),
                policy_extra,
                encode,
            )
            .await
        {
            Ok((bytes, plan, spend)) => {
                ctx.outcome = Some(Outcome::Forwarded { status: 200 });
                let call = CallState {
                    ctx,
                    tool: None,
                    plan,
                    spend,
                };
                Step::Forward(bytes, Some((id, Pending::Call(Box::new(call)))))
            }
            // `resources/read` and `prompts/get` results have no `isError`
            Err(rej) => self.refuse_step(ctx, rej, McpSubject::Request, &id),
        }
    }

    /// The shared pipeline (`pipeline::decide_and_admit`: schema, PII scan, policy, redaction,
    /// admission) for one decided message. `encode` serializes the message to forward from the
    /// decided (possibly redacted) arguments, or in shadow mode from the arguments as sent.
    /// Returns those bytes, the response redaction plan and the spend reservation.
    pub(super) async fn decide_and_admit(
        &self,
        ctx: &mut CallRecord,
        tool: &Tool,
        schema_tool: &Tool,
        (args, approval): (Value, Option<String>),
        extra: Value,
        encode: impl FnOnce(&Value, Option<&ActionPlan>) -> Result<Bytes, Reject>,
    ) -> Result<(Bytes, Option<ActionPlan>, Option<SpendReservation>), Reject> {
        let call = Call {
            adapter: self.adapter(),
            tool,
            schema_tool,
            args,
            facts: self.facts(),
            view: View::Mcp(extra),
            approval,
        };
        let encode = |args: Args<'_>,
                      plan: Option<&ActionPlan>,
                      _: &mut Vec<Value>,
                      _: Option<&mut Option<bytes::Bytes>>| {
            let (Args::Decided(args) | Args::AsSent(args)) = args;
            encode(args, plan)
        };
        let admitted = pipeline::decide_and_admit(&self.app, &self.snap, ctx, call, encode).await?;
        Ok((admitted.forward, admitted.plan, admitted.spend))
    }

    /// A `dry_run` tool's admitted call: never forwarded, its spend hold released; the agent
    /// gets a `tools/call` result whose `structuredContent` is the action proposal
    /// (`CallRecord::dry_run_answer`) and whose text is its JSON. For a tool that declares an
    /// `outputSchema` the result is marked `isError` (the proposal is not the tool's output,
    /// and clients check a successful result against that schema).
    async fn dry_run(
        &self,
        mut ctx: CallRecord,
        id: &Value,
        spend: Option<SpendReservation>,
        args: Option<Value>,
        output_schema: bool,
    ) -> Step {
        if let Some(spend) = spend {
            spend.release().await;
        }
        let answer = ctx.dry_run_answer(args.unwrap_or(Value::Null));
        let mut result = json!({
            "content": [{"type": "text", "text": answer.to_string()}],
            "structuredContent": answer,
            "isError": output_schema,
        });
        if self.modern {
            result["resultType"] = json!("complete");
        }
        Step::Answer(
            json!({"jsonrpc": "2.0", "id": id, "result": result}),
            StatusCode::OK,
        )
    }

    /// A refused `tools/call`, answered and recorded.
    pub(super) fn refuse_call(&self, ctx: CallRecord, id: &Value, rej: Reject) -> Step {
        self.refuse_step(ctx, rej, McpSubject::ToolCall, id)
    }

    /// A refused message, answered as [`refusal::message`] says and recorded.
    fn refuse_step(
        &self,
        mut ctx: CallRecord,
        rej: Reject,
        subject: McpSubject,
        id: &Value,
    ) -> Step {
        let (answer, status) = self.refuse_with(&mut ctx, rej, subject, id);
        Step::Answer(answer, status)
    }
}

/// What a decided MCP request other than `tools/call` names (for its span).
pub(super) enum Target<'a> {
    /// `resources/read`: the URI, when the params have one.
    Resource(Option<&'a str>),
    /// `prompts/get`: the prompt's name, when the params have one.
    Prompt(Option<&'a str>),
}

/// The approval a retry presents in `params._meta["toolwall/approval"]`, taken out of the
/// `_meta` object: a string that is a well-formed id, or the call is refused.
fn take_approval(meta: Option<&mut Value>) -> Result<Option<String>, Reject> {
    let Some(Value::Object(m)) = meta else {
        return Ok(None);
    };
    match m.remove(pipeline::APPROVAL_META) {
        None => Ok(None),
        Some(Value::String(s)) => crate::stage::approval::parse_presented(s.as_bytes()).map(Some),
        Some(_) => Err(Reject::new(
            crate::pipeline::reject::Reason::ApprovalUnknown,
            "_meta[\"toolwall/approval\"] must be the approval id, a string",
        )),
    }
}

impl Step {
    /// Put the request's id on a protocol error made before the id was known.
    pub(super) fn with_id(self, id: &Value) -> Step {
        match self {
            Step::Answer(mut a, s) => {
                a["id"] = id.clone();
                Step::Answer(a, s)
            }
            other => other,
        }
    }
}

/// A malformed message: a JSON-RPC error (HTTP 400), recorded as a refusal.
pub(super) fn protocol_refusal(mut ctx: CallRecord, msg: &Value, e: ProtocolError) -> Step {
    let id = msg.get("id").cloned().unwrap_or(Value::Null);
    let rej = refusal::protocol(e);
    let (answer, status) = refusal::refuse(&mut ctx, rej, McpSubject::Request, &id, false);
    Step::Answer(answer, status)
}
