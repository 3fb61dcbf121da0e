//! `toolwall eval SCENARIOS_DIR`: the scenario bank as a release gate. Every `*.yaml` under the
//! directory holds scenarios — an HTTP call as the agent sends it, or a policy input document —
//! with the outcome expected; each call goes through the configured adapters' real route →
//! identify → classify → args → schema → PII scan → policy path (`pipeline::evaluate_http`),
//! with no network, no limits, no approvals and no audit. Prints a pass/fail table (or JSON,
//! or a JUnit report for CI systems) and exits 1 on any mismatch. docs/scenarios.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::config::compile::{parse_yaml, LoadedConfig};
use crate::config::{load_snapshot, Snapshot};
use crate::pipeline::reject::{Reason, Reject};
use crate::pipeline::Runtime;
use crate::policy::PolicyDecision;
use crate::stage::identify::Principal;
use crate::state::Clock;

/// Scenario files read at most, and how deep the directory is walked: a scenario bank, not a
/// file system.
const MAX_FILES: usize = 10_000;
const MAX_DEPTH: usize = 8;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    /// The config whose adapters and policies decide, relative to the scenario file.
    config: Option<PathBuf>,
    principal: Option<RawPrincipal>,
    now: Option<String>,
    /// MCP adapters' tool listings, as the server would send them in `tools/list`
    /// (`{adapter: [definition, …]}`): what the file's `mcp` scenarios call.
    #[serde(default)]
    mcp_tools: BTreeMap<String, Vec<Value>>,
    scenarios: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    name: String,
    principal: Option<RawPrincipal>,
    now: Option<String>,
    call: Option<RawCall>,
    mcp: Option<RawMcp>,
    input: Option<Value>,
    expect: Expect,
}

/// An MCP `tools/call` as the agent sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMcp {
    adapter: String,
    /// The tool's name as the server lists it.
    tool: String,
    #[serde(default)]
    arguments: serde_json::Map<String, Value>,
    /// `params._meta`.
    meta: Option<Value>,
    /// Headers of the HTTP request that carries the message (identity, for example).
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    agent: String,
    tenant: Option<String>,
    workflow: Option<String>,
    run_id: Option<String>,
    #[serde(default)]
    claims: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    #[serde(default = "get")]
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// The body as raw text (duplicate keys, exponents, form bodies: exactly these bytes).
    body: Option<String>,
    /// A JSON body (`content-type: application/json` unless a header says otherwise).
    json: Option<Value>,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expect {
    Outcome(String),
    Full {
        outcome: String,
        /// The decision's reasons, exactly (order ignored).
        reasons: Option<Vec<String>>,
        /// Reasons the decision must include.
        reasons_include: Option<Vec<String>>,
    },
}

impl Expect {
    fn outcome(&self) -> &str {
        match self {
            Expect::Outcome(o) | Expect::Full { outcome: o, .. } => o,
        }
    }

    fn describe(&self) -> String {
        match self {
            Expect::Outcome(o) => o.clone(),
            Expect::Full {
                outcome,
                reasons,
                reasons_include,
            } => {
                let mut s = outcome.clone();
                if let Some(r) = reasons {
                    s.push_str(&format!(" [{}]", r.join(", ")));
                }
                if let Some(r) = reasons_include {
                    s.push_str(&format!(" [includes {}]", r.join(", ")));
                }
                s
            }
        }
    }

    fn matches(&self, got: &Got) -> bool {
        if self.outcome() != got.outcome {
            return false;
        }
        match self {
            Expect::Outcome(_) => true,
            Expect::Full {
                reasons,
                reasons_include,
                ..
            } => {
                let exact = reasons.as_ref().is_none_or(|want| {
                    let mut want = want.clone();
                    want.sort();
                    want.dedup();
                    let mut have = got.reasons.clone();
                    have.sort();
                    have.dedup();
                    want == have
                });
                let include = reasons_include
                    .as_ref()
                    .is_none_or(|want| want.iter().all(|r| got.reasons.contains(r)));
                exact && include
            }
        }
    }
}

/// What happened to one scenario.
struct Got {
    outcome: String,
    reasons: Vec<String>,
    tool: Option<String>,
    /// Why an earlier stage refused (the refusal's message).
    detail: Option<String>,
}

impl Got {
    fn from_verdict(tool: Option<String>, verdict: Result<PolicyDecision, Reject>) -> Got {
        let (outcome, reasons, detail) = match verdict {
            Ok(d) if d.require_approval => ("approval_required".to_string(), d.reasons, None),
            Ok(d) => ("allow".to_string(), d.reasons, None),
            Err(r) if r.reason == Reason::PolicyDenied => {
                ("deny".to_string(), r.policy_reasons, None)
            }
            Err(r) => (
                r.reason.code().to_string(),
                r.policy_reasons,
                Some(r.message),
            ),
        };
        Got {
            outcome,
            reasons,
            tool,
            detail,
        }
    }
}

/// One scenario's line in the report.
struct Row {
    file: String,
    name: String,
    expected: String,
    got: Got,
    pass: bool,
}

/// How the report is printed.
pub struct EvalOptions<'a> {
    pub json: bool,
    pub junit: Option<&'a Path>,
    /// The config for scenario files that name none.
    pub config: Option<&'a Path>,
}

pub fn eval(dir: &Path, opts: &EvalOptions<'_>) -> i32 {
    let files = match scenario_files(dir) {
        Ok(f) if f.is_empty() => {
            eprintln!(
                "{}: no scenario files (*.yaml): an empty bank passes nothing",
                dir.display()
            );
            return EXIT_USAGE;
        }
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_USAGE;
        }
    };
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for f in &files {
        match read_file(f, opts.config) {
            Ok(p) => parsed.push(p),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("{} error(s) in the scenario files", errors.len());
        return EXIT_USAGE;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return EXIT_USAGE;
        }
    };
    // One loaded config (and one runtime handle) per distinct config file.
    let mut configs: BTreeMap<PathBuf, Evaluator> = BTreeMap::new();
    let mut rows = Vec::new();
    for file in &parsed {
        if !configs.contains_key(&file.config) {
            match runtime.block_on(Evaluator::load(&file.config)) {
                Ok(e) => {
                    configs.insert(file.config.clone(), e);
                }
                Err(msg) => {
                    eprintln!("{msg}");
                    return EXIT_USAGE;
                }
            }
        }
        let Some(ev) = configs.get_mut(&file.config) else {
            continue;
        };
        if let Err(msg) = ev.begin_file(&runtime, &file.doc.mcp_tools) {
            eprintln!("{}: {msg}", file.path.display());
            return EXIT_USAGE;
        }
        let rel = file
            .path
            .strip_prefix(dir)
            .unwrap_or(&file.path)
            .display()
            .to_string();
        for s in &file.doc.scenarios {
            let principal = s.principal.as_ref().or(file.doc.principal.as_ref());
            let now = s.now.as_deref().or(file.doc.now.as_deref());
            let got = match ev.run(s, principal, now) {
                Ok(g) => g,
                Err(msg) => {
                    eprintln!("{}: scenario `{}`: {msg}", file.path.display(), s.name);
                    return EXIT_USAGE;
                }
            };
            rows.push(Row {
                file: rel.clone(),
                name: s.name.clone(),
                expected: s.expect.describe(),
                pass: s.expect.matches(&got),
                got,
            });
        }
    }
    let failed = rows.iter().filter(|r| !r.pass).count();
    if opts.json {
        let doc = json!({
            "passed": rows.len() - failed,
            "failed": failed,
            "scenarios": rows.iter().map(row_json).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print_table(&rows);
    }
    if let Some(path) = opts.junit {
        if let Err(e) = std::fs::write(path, junit(&rows)) {
            eprintln!("{}: {e}", path.display());
            return EXIT_USAGE;
        }
    }
    if failed > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

struct ParsedFile {
    path: PathBuf,
    config: PathBuf,
    doc: ScenarioFile,
}

fn read_file(path: &Path, default_config: Option<&Path>) -> Result<ParsedFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: ScenarioFile = parse_yaml(path, &text).map_err(|d| d.to_string())?;
    let config = match (&doc.config, default_config) {
        (Some(c), _) => path.parent().unwrap_or(Path::new(".")).join(c),
        (None, Some(c)) => c.to_path_buf(),
        (None, None) => {
            return Err(format!(
                "{}: names no `config:` and no --config was given",
                path.display()
            ))
        }
    };
    // Scenarios are checked before anything runs: a malformed bank is an error, not a pass.
    if doc.scenarios.is_empty() {
        return Err(format!("{}: no scenarios", path.display()));
    }
    for s in &doc.scenarios {
        let bad = |m: &str| Err(format!("{}: scenario `{}`: {m}", path.display(), s.name));
        match [s.call.is_some(), s.mcp.is_some(), s.input.is_some()]
            .iter()
            .filter(|x| **x)
            .count()
        {
            0 => return bad("needs a `call`, an `mcp` or an `input`"),
            1 => {}
            _ => return bad("has more than one of `call`, `mcp` and `input`"),
        }
        if s.call
            .as_ref()
            .is_some_and(|c| c.body.is_some() && c.json.is_some())
        {
            return bad("`call` has both `body` and `json`");
        }
        if let Some(m) = &s.mcp {
            if !doc.mcp_tools.contains_key(&m.adapter) {
                return bad(&format!(
                    "calls MCP adapter `{}` but the file lists no `mcp_tools` for it",
                    m.adapter
                ));
            }
        }
        for t in [&s.now, &doc.now].into_iter().flatten() {
            if DateTime::parse_from_rfc3339(t).is_err() {
                return bad(&format!("`now: {t}` is not an RFC 3339 time"));
            }
        }
    }
    Ok(ParsedFile {
        path: path.to_path_buf(),
        config: std::fs::canonicalize(&config).unwrap_or(config),
        doc,
    })
}

/// Every `*.yaml`/`*.yml` under `dir`, sorted (hidden entries skipped).
fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let p = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                if depth < MAX_DEPTH {
                    walk(&p, depth + 1, out)?;
                }
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                if out.len() >= MAX_FILES {
                    return Err(format!(
                        "{}: more than {MAX_FILES} scenario files",
                        dir.display()
                    ));
                }
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if dir.is_file() {
        out.push(dir.to_path_buf());
    } else {
        walk(dir, 0, &mut out)?;
    }
    out.sort();
    Ok(out)
}

/// A clock the scenarios set (`now:`); the real time when they do not.
#[derive(Debug, Default)]
struct ScenarioClock {
    now: Mutex<Option<DateTime<Utc>>>,
}

impl ScenarioClock {
    fn set(&self, now: Option<DateTime<Utc>>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }
}

impl Clock for ScenarioClock {
    fn now(&self) -> DateTime<Utc> {
        self.now
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(Utc::now)
    }
    fn monotonic(&self) -> Duration {
        Duration::ZERO
    }
}

/// One config, loaded, with the runtime handle its calls are decided with: in-memory state
/// (so `input.usage` is zero), no audit stream.
struct Evaluator {
    snap: Snapshot,
    rt: Runtime,
    clock: Arc<ScenarioClock>,
}

impl Evaluator {
    async fn load(config: &Path) -> Result<Evaluator, String> {
        let load = || {
            load_snapshot(config, false)
                .map_err(|d| format!("{}\n{}: {} error(s)", d, config.display(), d.0.len()))
        };
        let LoadedConfig { snapshot, .. } = load()?;
        // the runtime handle holds a snapshot of its own; calls are decided with `snap`
        let for_rt = load()?.snapshot;
        let clock = Arc::new(ScenarioClock::default());
        let state: crate::state::SharedState = Arc::new(
            crate::state::sqlite::SqliteStore::open(Path::new(":memory:"), clock.clone())
                .map_err(|e| format!("cannot open the in-memory state: {e}"))?,
        );
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let rt = Runtime {
            snapshot: Arc::new(arc_swap::ArcSwap::from_pointee(for_rt)),
            metrics: metrics.clone(),
            audit: None,
            limiters: crate::stage::limits::Limiters::new(clock.clone(), state),
            mcp: crate::mcp::Catalog::default(),
            approvals: crate::approvals::Hub::with_metrics(metrics),
        };
        Ok(Evaluator {
            snap: snapshot,
            rt,
            clock,
        })
    }

    /// A scenario file starts with fresh state (no pins, no usage) and the MCP listings it
    /// gives, observed as the proxy observes a `tools/list` answer (pinned on sight).
    fn begin_file(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        listings: &BTreeMap<String, Vec<Value>>,
    ) -> Result<(), String> {
        let clock: Arc<dyn Clock> = self.clock.clone();
        let state: crate::state::SharedState = Arc::new(
            crate::state::sqlite::SqliteStore::open(Path::new(":memory:"), clock.clone())
                .map_err(|e| format!("cannot open the in-memory state: {e}"))?,
        );
        self.rt.limiters = crate::stage::limits::Limiters::new(clock, state);
        self.rt.mcp = crate::mcp::Catalog::default();
        for (name, defs) in listings {
            let Some(idx) = self.snap.adapter_by_name(name) else {
                return Err(format!("mcp_tools: the config has no adapter `{name}`"));
            };
            let adapter = &self.snap.adapters[idx];
            if adapter.kind != crate::config::raw::AdapterKind::Mcp {
                return Err(format!("mcp_tools: adapter `{name}` is not an MCP adapter"));
            }
            let seen = runtime
                .block_on(
                    self.rt
                        .mcp
                        .observe(self.rt.state(), &self.snap, adapter, defs),
                )
                .map_err(|e| format!("mcp_tools: {e}"))?;
            for (tool, r) in seen {
                if let Err(e) = r {
                    return Err(format!("mcp_tools: {name}: tool `{tool}`: {e}"));
                }
            }
        }
        Ok(())
    }

    fn run(
        &mut self,
        s: &Scenario,
        principal: Option<&RawPrincipal>,
        now: Option<&str>,
    ) -> Result<Got, String> {
        let now = now
            .map(|t| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)))
            .transpose()
            .map_err(|e| format!("now: {e}"))?;
        self.clock.set(now);
        if let Some(input) = &s.input {
            let verdict = crate::stage::policy::decide(&self.snap.policy, input);
            let tool = input
                .pointer("/tool/name")
                .and_then(Value::as_str)
                .map(str::to_string);
            return Ok(Got::from_verdict(tool, verdict));
        }
        let mcp_call;
        let (parts, body) = match (&s.call, &s.mcp) {
            (Some(call), _) => request(call)?,
            (None, Some(m)) => {
                mcp_call = RawCall {
                    method: "POST".into(),
                    path: format!("/{}/", m.adapter),
                    headers: m.headers.clone(),
                    body: None,
                    json: None,
                };
                request(&mcp_call)?
            }
            (None, None) => return Err("needs a `call`, an `mcp` or an `input`".into()),
        };
        // A scenario's principal acts as the sidecar's static identity: nothing the request
        // carries can change who it is. The config's own identity is put back afterwards.
        let saved = principal.map(|p| {
            let own = crate::config::compile::StaticPrincipal {
                agent: p.agent.clone(),
                tenant: p.tenant.clone(),
                workflow: p.workflow.clone(),
            };
            let spec = crate::config::identity::IdentitySpec {
                static_principal: Some(own),
                ..Default::default()
            };
            std::mem::replace(&mut self.snap.identity, spec)
        });
        let principal = principal.map(|p| Principal {
            agent: p.agent.clone(),
            tenant: p.tenant.clone(),
            workflow: p.workflow.clone(),
            run_id: p.run_id.clone(),
            source: "static",
            claims: p.claims.clone(),
        });
        let ev = match &s.mcp {
            None => crate::pipeline::evaluate_http(&self.rt, &self.snap, &parts, &body, principal),
            Some(m) => match self.snap.adapter_by_name(&m.adapter) {
                Some(adapter) => crate::pipeline::evaluate_mcp(
                    &self.rt,
                    &self.snap,
                    &parts,
                    crate::pipeline::McpCall {
                        adapter,
                        name: &m.tool,
                        args: Value::Object(m.arguments.clone()),
                        meta: m.meta.clone(),
                    },
                    principal,
                ),
                None => crate::pipeline::Evaluated {
                    tool: None,
                    verdict: Err(Reject::new(
                        Reason::UnknownUpstream,
                        format!("no adapter `{}`", m.adapter),
                    )),
                    input: None,
                },
            },
        };
        if let Some(own) = saved {
            self.snap.identity = own;
        }
        Ok(Got::from_verdict(ev.tool, ev.verdict))
    }
}

/// The request a scenario's call describes, as the HTTP server would hand it over.
fn request(call: &RawCall) -> Result<(http::request::Parts, bytes::Bytes), String> {
    let body = match (&call.body, &call.json) {
        (Some(text), _) => bytes::Bytes::from(text.clone()),
        (None, Some(v)) => bytes::Bytes::from(serde_json::to_vec(v).map_err(|e| e.to_string())?),
        (None, None) => bytes::Bytes::new(),
    };
    let mut b = http::Request::builder()
        .method(call.method.as_str())
        .uri(call.path.as_str());
    let has = |h: &str| call.headers.keys().any(|k| k.eq_ignore_ascii_case(h));
    if call.json.is_some() && !has("content-type") {
        b = b.header("content-type", "application/json");
    }
    if !body.is_empty() && !has("content-length") {
        b = b.header("content-length", body.len());
    }
    for (k, v) in &call.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let req = b
        .body(())
        .map_err(|e| format!("not a request an HTTP client could send: {e}"))?;
    Ok((req.into_parts().0, body))
}

fn row_json(r: &Row) -> Value {
    json!({
        "file": r.file,
        "name": r.name,
        "pass": r.pass,
        "expected": r.expected,
        "outcome": r.got.outcome,
        "reasons": r.got.reasons,
        "tool": r.got.tool,
        "detail": r.got.detail,
    })
}

fn got_text(g: &Got) -> String {
    if g.reasons.is_empty() {
        g.outcome.clone()
    } else {
        format!("{} [{}]", g.outcome, g.reasons.join(", "))
    }
}

fn print_table(rows: &[Row]) {
    let file_w = rows.iter().map(|r| r.file.len()).max().unwrap_or(0);
    let name_w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for r in rows {
        let mark = if r.pass { "PASS" } else { "FAIL" };
        let mut line = format!(
            "{mark}  {:file_w$}  {:name_w$}  {}",
            r.file,
            r.name,
            got_text(&r.got)
        );
        if !r.pass {
            line.push_str(&format!("  (expected {})", r.expected));
            if let Some(d) = &r.got.detail {
                line.push_str(&format!(": {d}"));
            }
        }
        println!("{line}");
    }
    let failed = rows.iter().filter(|r| !r.pass).count();
    println!(
        "{} scenario(s): {} passed, {} failed",
        rows.len(),
        rows.len() - failed,
        failed
    );
}

/// A JUnit XML report: one `testsuite` per scenario file, one `testcase` per scenario. (Written
/// here: it is a dozen lines of XML, and the escaping below is the whole of what it needs.)
fn junit(rows: &[Row]) -> String {
    let mut by_file: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_file.entry(&r.file).or_default().push(r);
    }
    let failed = rows.iter().filter(|r| !r.pass).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"toolwall eval\" tests=\"{}\" failures=\"{failed}\">\n",
        rows.len()
    );
    for (file, rows) in by_file {
        let failed = rows.iter().filter(|r| !r.pass).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">\n",
            xml(file),
            rows.len()
        ));
        for r in rows {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(file),
                xml(&r.name)
            ));
            if r.pass {
                out.push_str("/>\n");
            } else {
                out.push_str(&format!(
                    ">\n      <failure message=\"expected {}, got {}\">{}</failure>\n    </testcase>\n",
                    xml(&r.expected),
                    xml(&got_text(&r.got)),
                    xml(r.got.detail.as_deref().unwrap_or(""))
                ));
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text as XML attribute or element content: the five entities, and characters XML 1.0 cannot
/// carry dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_what_xml_cannot_carry() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn expectations_compare_reasons_as_sets() {
        let got = Got {
            outcome: "deny".into(),
            reasons: vec!["b".into(), "a".into()],
            tool: None,
            detail: None,
        };
        let full = |reasons: Option<Vec<&str>>, include: Option<Vec<&str>>| Expect::Full {
            outcome: "deny".into(),
            reasons: reasons.map(|r| r.into_iter().map(String::from).collect()),
            reasons_include: include.map(|r| r.into_iter().map(String::from).collect()),
        };
        assert!(Expect::Outcome("deny".into()).matches(&got));
        assert!(!Expect::Outcome("allow".into()).matches(&got));
        assert!(full(Some(vec!["a", "b"]), None).matches(&got));
        assert!(!full(Some(vec!["a"]), None).matches(&got));
        assert!(full(None, Some(vec!["a"])).matches(&got));
        assert!(!full(None, Some(vec!["c"])).matches(&got));
    }
}
