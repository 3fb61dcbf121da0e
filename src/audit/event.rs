//! `event` records: things the proxy did or saw that are not tool calls — an MCP tool re-pinned
//! or withheld, an operator's admin action. They are chained, sealed and verified like every
//! other record, but they are not calls: `audit show` lists them apart, `replay` skips them
//! (and says how many), and they never count in the call metrics.
//!
//! Body (the writer adds `seq`, `prev`, `kind: "event"` and `ts`):
//!
//! ```json
//! {"event": "mcp.tool_repinned", "id": "<uuidv7>",
//!  "config_version": "…" | null, "policy_version": "…" | null,
//!  "adapter": "github", "tool": "github.create_issue",
//!  "principal": {"agent": "…", "run_id": "…", "tenant_id": "…", "workflow": "…", "source": "…"},
//!  "detail": {…}, "big_numbers": […]}
//! ```
//!
//! `event` is a dotted lower-case name (`area.what`, see [`valid_event_name`]); `id` is a
//! UUIDv7 of its own (an event is not a decision and has no `decision_id`); `adapter`, `tool`
//! and `principal` are present only when known; `detail` is an object whose fields depend on
//! the event. Numbers in `detail` beyond ±2^53 are written as strings listed in `big_numbers`,
//! as in decision records, so nothing in it can make the record unwritable.
//!
//! ```
//! use toolwall::audit::event::{EventPrincipal, EventRecord};
//! let ev = EventRecord::new("mcp.tool_repinned")
//!     .config_version("cfg-7")
//!     .adapter("github")
//!     .tool("github.create_issue")
//!     .principal(EventPrincipal::agent("ci-bot").tenant("acme"))
//!     .detail("old_digest", "9f2c…")
//!     .detail("new_digest", "41aa…");
//! let body = ev.into_body();
//! assert_eq!(body["event"], "mcp.tool_repinned");
//! assert_eq!(body["principal"]["tenant_id"], "acme");
//! ```

use serde_json::{json, Map, Value};

use super::record::normalize_numbers;

/// Longest event name accepted.
pub const MAX_EVENT_NAME: usize = 64;

/// Event name written in place of one that is not a [`valid_event_name`] (a bug in the caller).
pub const INVALID_EVENT_NAME: &str = "audit.invalid_event";

/// Whether `name` is an event name: at most [`MAX_EVENT_NAME`] bytes, two or more dot-separated
/// segments, each starting with `a-z` and made of `a-z`, `0-9` and `_` (`mcp.tool_repinned`,
/// `admin.pin`).
pub fn valid_event_name(name: &str) -> bool {
    name.len() <= MAX_EVENT_NAME
        && name.split('.').count() >= 2
        && name.split('.').all(|seg| {
            seg.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Who an event is about, when it is about someone (the fields of a decision record's
/// principal, under the same names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPrincipal {
    /// The agent.
    pub agent: Option<String>,
    /// The run (`run_id`).
    pub run_id: Option<String>,
    /// The tenant (`tenant_id`).
    pub tenant_id: Option<String>,
    /// The workflow.
    pub workflow: Option<String>,
    /// Where the identity came from (`jwt`, `header`, `mtls`, …).
    pub source: Option<String>,
}

impl EventPrincipal {
    /// A principal with only its agent known.
    pub fn agent(agent: impl Into<String>) -> Self {
        EventPrincipal {
            agent: Some(agent.into()),
            ..Default::default()
        }
    }

    /// With its tenant.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant.into());
        self
    }

    /// With its run.
    pub fn run(mut self, run_id: impl Into<String>) -> Self {
        self.run_id = Some(run_id.into());
        self
    }

    fn to_value(&self) -> Value {
        json!({
            "agent": self.agent,
            "run_id": self.run_id,
            "tenant_id": self.tenant_id,
            "workflow": self.workflow,
            "source": self.source,
        })
    }
}

/// Builder of one `event` record; write it with
/// [`AuditSink::event`](super::sink::AuditSink::event) (queued) or
/// [`AuditSink::write_event`](super::sink::AuditSink::write_event) (waits for the write).
#[derive(Debug, Clone)]
pub struct EventRecord {
    event: &'static str,
    id: String,
    config_version: Option<String>,
    policy_version: Option<String>,
    adapter: Option<String>,
    tool: Option<String>,
    principal: Option<EventPrincipal>,
    detail: Map<String, Value>,
}

impl EventRecord {
    /// An event named `event` (a [`valid_event_name`]; an invalid name is written as
    /// [`INVALID_EVENT_NAME`] with the name given in `detail.invalid_name`, never dropped),
    /// with a fresh UUIDv7 `id`.
    pub fn new(event: &'static str) -> Self {
        EventRecord {
            event,
            id: uuid::Uuid::now_v7().to_string(),
            config_version: None,
            policy_version: None,
            adapter: None,
            tool: None,
            principal: None,
            detail: Map::new(),
        }
    }

    /// The record's `id` (to log it or hand it back to an operator).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The event name.
    pub fn name(&self) -> &'static str {
        self.event
    }

    /// The config version in force.
    pub fn config_version(mut self, v: impl Into<String>) -> Self {
        self.config_version = Some(v.into());
        self
    }

    /// The policy version in force.
    pub fn policy_version(mut self, v: impl Into<String>) -> Self {
        self.policy_version = Some(v.into());
        self
    }

    /// The adapter the event is about.
    pub fn adapter(mut self, v: impl Into<String>) -> Self {
        self.adapter = Some(v.into());
        self
    }

    /// The tool the event is about (`adapter.tool`).
    pub fn tool(mut self, v: impl Into<String>) -> Self {
        self.tool = Some(v.into());
        self
    }

    /// Who the event is about.
    pub fn principal(mut self, p: EventPrincipal) -> Self {
        self.principal = Some(p);
        self
    }

    /// One field of `detail` (a later value for the same key replaces the earlier one).
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.detail.insert(key.into(), value.into());
        self
    }

    /// Several fields of `detail` at once.
    pub fn details(mut self, fields: Map<String, Value>) -> Self {
        self.detail.extend(fields);
        self
    }

    /// The record body handed to the writer: always writable (numbers beyond ±2^53 become
    /// strings listed in `big_numbers`; an invalid name becomes [`INVALID_EVENT_NAME`]).
    pub fn into_body(self) -> Map<String, Value> {
        let mut detail = self.detail;
        let name = if valid_event_name(self.event) {
            self.event
        } else {
            detail.insert("invalid_name".into(), json!(self.event));
            INVALID_EVENT_NAME
        };
        let mut r = Map::new();
        r.insert("event".into(), json!(name));
        r.insert("id".into(), json!(self.id));
        r.insert("config_version".into(), json!(self.config_version));
        r.insert("policy_version".into(), json!(self.policy_version));
        if let Some(a) = self.adapter {
            r.insert("adapter".into(), json!(a));
        }
        if let Some(t) = self.tool {
            r.insert("tool".into(), json!(t));
        }
        if let Some(p) = &self.principal {
            r.insert("principal".into(), p.to_value());
        }
        r.insert("detail".into(), Value::Object(detail));
        normalize_numbers(&mut r);
        r
    }
}

/// Why an `event` body is malformed, if it is: `event` must be a [`valid_event_name`], `id` a
/// string, `detail` an object, and `adapter`, `tool` strings and `principal` an object when
/// present. Checked by the writer before it appends and by `audit verify`.
pub fn check_event_body(body: &Map<String, Value>) -> Result<(), String> {
    match body.get("event") {
        Some(Value::String(s)) if valid_event_name(s) => {}
        Some(Value::String(s)) => return Err(format!("event name {s:?} is not a dotted name")),
        _ => return Err("event record without an `event` name".into()),
    }
    if !matches!(body.get("id"), Some(Value::String(_))) {
        return Err("event record without a string `id`".into());
    }
    if !matches!(body.get("detail"), Some(Value::Object(_))) {
        return Err("event record without a `detail` object".into());
    }
    for field in ["adapter", "tool"] {
        if body.get(field).is_some_and(|v| !v.is_string()) {
            return Err(format!("event field `{field}` is not a string"));
        }
    }
    if body.get("principal").is_some_and(|v| !v.is_object()) {
        return Err("event field `principal` is not an object".into());
    }
    Ok(())
}

/// The event written in place of one that cannot be encoded: its name (or
/// [`INVALID_EVENT_NAME`]), `id`, versions, adapter and tool when they are strings, and an
/// empty `detail`. Built from strings only, so it always encodes and always passes
/// [`check_event_body`].
pub fn minimal_event(body: &Map<String, Value>) -> Map<String, Value> {
    let mut r = Map::new();
    let name = match body.get("event") {
        Some(Value::String(s)) if valid_event_name(s) => s.clone(),
        _ => INVALID_EVENT_NAME.to_owned(),
    };
    r.insert("event".into(), json!(name));
    let id = match body.get("id") {
        Some(Value::String(s)) => s.clone(),
        _ => uuid::Uuid::now_v7().to_string(),
    };
    r.insert("id".into(), json!(id));
    for field in ["config_version", "policy_version", "adapter", "tool"] {
        if let Some(Value::String(s)) = body.get(field) {
            r.insert(field.into(), json!(s));
        }
    }
    r.insert("detail".into(), json!({}));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names() {
        for (name, ok) in [
            ("mcp.tool_repinned", true),
            ("admin.pin", true),
            ("mcp.server_message_withheld", true),
            ("a.b.c2", true),
            ("pin", false),
            ("Mcp.pin", false),
            ("mcp..pin", false),
            ("mcp.pin.", false),
            (".mcp", false),
            ("mcp.1pin", false),
            ("mcp.pin-x", false),
            ("mcp.ré", false),
            ("", false),
        ] {
            assert_eq!(valid_event_name(name), ok, "{name:?}");
        }
        let long = format!("a.{}", "b".repeat(MAX_EVENT_NAME));
        assert!(!valid_event_name(&long));
    }

    #[test]
    fn body_shape() {
        let ev = EventRecord::new("mcp.tool_withheld")
            .config_version("c1")
            .policy_version("p1")
            .adapter("github")
            .tool("github.search")
            .principal(EventPrincipal::agent("bot").tenant("acme").run("r1"))
            .detail("reason", "schema_changed")
            .detail("size", 1u64 << 60);
        let id = ev.id().to_owned();
        assert_eq!(
            uuid::Uuid::parse_str(&id).expect("uuid").get_version_num(),
            7
        );
        let body = ev.into_body();
        assert_eq!(
            Value::Object(body.clone()),
            json!({
                "event": "mcp.tool_withheld", "id": id, "config_version": "c1",
                "policy_version": "p1", "adapter": "github", "tool": "github.search",
                "principal": {"agent": "bot", "run_id": "r1", "tenant_id": "acme",
                              "workflow": null, "source": null},
                "detail": {"reason": "schema_changed", "size": "1152921504606846976"},
                "big_numbers": ["/detail/size"],
            })
        );
        assert_eq!(check_event_body(&body), Ok(()));
    }

    #[test]
    fn optional_fields_are_absent_and_versions_null() {
        let body = EventRecord::new("admin.pin").into_body();
        assert_eq!(body["config_version"], Value::Null);
        assert_eq!(body["policy_version"], Value::Null);
        for absent in ["adapter", "tool", "principal", "big_numbers"] {
            assert!(!body.contains_key(absent), "{absent}");
        }
        assert_eq!(body["detail"], json!({}));
        assert_ne!(
            EventRecord::new("admin.pin").id(),
            EventRecord::new("admin.pin").id(),
            "every event has its own id"
        );
    }

    #[test]
    fn an_invalid_name_is_kept_in_detail_not_dropped() {
        let body = EventRecord::new("Not A Name").detail("x", 1).into_body();
        assert_eq!(body["event"], INVALID_EVENT_NAME);
        assert_eq!(
            body["detail"],
            json!({"x": 1, "invalid_name": "Not A Name"})
        );
        assert_eq!(check_event_body(&body), Ok(()));
    }

    #[test]
    fn malformed_bodies_are_named() {
        let good = EventRecord::new("admin.pin").into_body();
        let with = |k: &str, v: Value| {
            let mut b = good.clone();
            b.insert(k.into(), v);
            check_event_body(&b)
        };
        let without = |k: &str| {
            let mut b = good.clone();
            b.remove(k);
            check_event_body(&b)
        };
        assert!(without("event").is_err());
        assert!(without("id").is_err());
        assert!(without("detail").is_err());
        assert!(with("event", json!("pin")).is_err());
        assert!(with("event", json!(1)).is_err());
        assert!(with("id", json!(7)).is_err());
        assert!(with("detail", json!([])).is_err());
        assert!(with("tool", json!(["x"])).is_err());
        assert!(with("adapter", json!(null)).is_err());
        assert!(with("principal", json!("bot")).is_err());
        assert_eq!(with("principal", json!({"agent": "bot"})), Ok(()));
    }

    #[test]
    fn the_minimal_event_always_passes() {
        let mut bad = Map::new();
        bad.insert("event".into(), json!(["x"]));
        bad.insert("tool".into(), json!("t.x"));
        bad.insert("detail".into(), json!({"n": 1}));
        let m = minimal_event(&bad);
        assert_eq!(check_event_body(&m), Ok(()));
        assert_eq!(m["event"], INVALID_EVENT_NAME);
        assert_eq!(m["tool"], "t.x");
        assert_eq!(m["detail"], json!({}));
        let good = EventRecord::new("admin.pin").into_body();
        let m = minimal_event(&good);
        assert_eq!((&m["event"], &m["id"]), (&good["event"], &good["id"]));
    }
}
