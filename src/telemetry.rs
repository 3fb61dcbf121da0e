//! Traces over OTLP (docs/telemetry.md): one span per tool call, exported by the
//! OpenTelemetry SDK directly. No `tracing-opentelemetry` layer: the call's span is built from
//! the call record (`stage::record`), so log events never become span events and a call with
//! tracing off builds nothing — the only cost is one `OnceLock` read per call.
//!
//! Process-level and not reloadable: the exporter is set up once at `toolwall run`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, TraceContextExt as _, TraceId, TraceState,
    Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider, Span};
use serde::Deserialize;

mod encode;
mod otlp;

pub use otlp::TlsFiles;

/// Attribute names: the OpenTelemetry GenAI and MCP semantic conventions (the semconv crate
/// marks the GenAI ones deprecated-moved, so they are spelled here) and toolwall's own.
pub mod attr {
    pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
    pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
    pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
    pub const GEN_AI_AGENT_ID: &str = "gen_ai.agent.id";
    pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
    /// The call's arguments (opt-in: `telemetry.record_arguments`), every entity masked.
    pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
    pub const ERROR_TYPE: &str = "error.type";
    pub const TOOLWALL_DECISION: &str = "toolwall.decision";
    pub const TOOLWALL_REASONS: &str = "toolwall.reasons";
    pub const TOOLWALL_POLICY_VERSION: &str = "toolwall.policy.version";
    pub const TOOLWALL_DECISION_ID: &str = "toolwall.decision_id";
    pub const TOOLWALL_TENANT: &str = "toolwall.tenant";
    pub const TOOLWALL_ADAPTER: &str = "toolwall.adapter";
    pub const SERVER_ADDRESS: &str = "server.address";
    pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
    pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
    pub const MCP_METHOD_NAME: &str = "mcp.method.name";
    pub const MCP_SESSION_ID: &str = "mcp.session.id";
    pub const MCP_PROTOCOL_VERSION: &str = "mcp.protocol.version";
    pub const JSONRPC_REQUEST_ID: &str = "jsonrpc.request.id";
    /// The URI of an MCP `resources/read` (and `resources/subscribe`, …).
    pub const MCP_RESOURCE_URI: &str = "mcp.resource.uri";
    /// The name of an MCP `prompts/get`'s prompt.
    pub const GEN_AI_PROMPT_NAME: &str = "gen_ai.prompt.name";
    pub const RPC_SYSTEM: &str = "rpc.system";
    pub const RPC_SERVICE: &str = "rpc.service";
    pub const RPC_METHOD: &str = "rpc.method";
    pub const RPC_GRPC_STATUS_CODE: &str = "rpc.grpc.status_code";
    pub const TOOLWALL_APPROVAL_WAIT_MS: &str = "toolwall.approval.wait_ms";
    /// The policy evaluation's child span.
    pub const POLICY_SPAN: &str = "toolwall.policy";
    /// The JSON Schema check's child span (tools with a schema).
    pub const SCHEMA_SPAN: &str = "toolwall.schema";
    /// Rate limits and the spend hold (when the config has rate or spend rules).
    pub const LIMITS_SPAN: &str = "toolwall.limits";
    /// The approval stage (calls that need or present an approval).
    pub const APPROVAL_SPAN: &str = "toolwall.approval";
    /// Redaction of the arguments as policy asked.
    pub const REDACT_SPAN: &str = "toolwall.redact";
    pub const TOOLWALL_REDACTIONS: &str = "toolwall.redactions";
    /// `params._meta` keys of the W3C trace context in MCP (the MCP semantic conventions).
    pub const META_TRACEPARENT: &str = "traceparent";
    pub const META_TRACESTATE: &str = "tracestate";
    /// The value of `gen_ai.operation.name` on a tool call's span.
    pub const EXECUTE_TOOL: &str = "execute_tool";
}

/// `telemetry:` in toolwall.yaml. Every field falls back to its standard `OTEL_*` variable.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelemetry {
    /// Export traces; default off (on when `OTEL_EXPORTER_OTLP_ENDPOINT` or
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless `OTEL_SDK_DISABLED=true`).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The collector's base URL, like `OTEL_EXPORTER_OTLP_ENDPOINT` (HTTP: `/v1/traces` is
    /// appended).
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub protocol: Option<Protocol>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub sampler: Option<SamplerName>,
    /// The ratio of `traceidratio` samplers (0..=1); default 1.
    #[serde(default)]
    pub sampler_arg: Option<f64>,
    /// Put the call's arguments on its span (`gen_ai.tool.call.arguments`): as forwarded, with
    /// every PII and secret entity masked whatever the policy's `redact` list; default off.
    #[serde(default)]
    pub record_arguments: bool,
    /// TLS to an `https://` collector beyond the webpki roots.
    #[serde(default)]
    pub tls: Option<RawTelemetryTls>,
}

/// `telemetry.tls`: PEM files, relative to the config file's directory. Each falls back to its
/// `OTEL_EXPORTER_OTLP_{TRACES_,}…` variable.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelemetryTls {
    /// CA certificates trusted on top of the webpki roots (`OTEL_EXPORTER_OTLP_CERTIFICATE`).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The client certificate (chain) for mTLS (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`).
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// Its private key (`OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

/// `telemetry:` checked when the config is loaded: its TLS files resolved against the config
/// file's directory and loaded, its endpoint parsed. Errors are `(YAML path, message)`.
pub fn compile_section(
    raw: &RawTelemetry,
    base: &Path,
) -> (RawTelemetry, Vec<(&'static str, String)>) {
    let mut out = raw.clone();
    let mut errors = Vec::new();
    if let Some(e) = &raw.endpoint {
        if let Err(m) = check_endpoint(e) {
            errors.push(("telemetry.endpoint", format!("telemetry.endpoint: {m}")));
        }
    }
    if let Some(tls) = &mut out.tls {
        for p in [&mut tls.ca_file, &mut tls.cert_file, &mut tls.key_file]
            .into_iter()
            .flatten()
        {
            *p = base.join(&*p);
        }
        let files = TlsFiles {
            ca_file: tls.ca_file.clone().map(|p| (p, "telemetry.tls.ca_file")),
            cert_file: tls
                .cert_file
                .clone()
                .map(|p| (p, "telemetry.tls.cert_file")),
            key_file: tls.key_file.clone().map(|p| (p, "telemetry.tls.key_file")),
        };
        if let Err(m) = otlp::client_tls(&files) {
            // the message starts with the key it is about
            let at = [
                "telemetry.tls.ca_file",
                "telemetry.tls.cert_file",
                "telemetry.tls.key_file",
            ]
            .into_iter()
            .find(|k| m.starts_with(k))
            .unwrap_or("telemetry.tls");
            errors.push((at, m));
        }
    }
    (out, errors)
}

/// An OTLP endpoint toolwall can send to: an `http://` or `https://` URL with a host.
fn check_endpoint(e: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = e
        .parse()
        .map_err(|err| format!("`{e}` is not a URL: {err}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(format!("`{e}` is not an http:// or https:// URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("`{e}` has no host"));
    }
    Ok(uri)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Protocol {
    #[serde(rename = "grpc")]
    Grpc,
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerName {
    AlwaysOn,
    AlwaysOff,
    Traceidratio,
    ParentbasedAlwaysOn,
    ParentbasedAlwaysOff,
    ParentbasedTraceidratio,
}

impl SamplerName {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "always_on" => Self::AlwaysOn,
            "always_off" => Self::AlwaysOff,
            "traceidratio" => Self::Traceidratio,
            "parentbased_always_on" => Self::ParentbasedAlwaysOn,
            "parentbased_always_off" => Self::ParentbasedAlwaysOff,
            "parentbased_traceidratio" => Self::ParentbasedTraceidratio,
            _ => return None,
        })
    }

    fn sampler(self, ratio: f64) -> Sampler {
        let parent = |root: Sampler| Sampler::ParentBased(Box::new(root));
        match self {
            Self::AlwaysOn => Sampler::AlwaysOn,
            Self::AlwaysOff => Sampler::AlwaysOff,
            Self::Traceidratio => Sampler::TraceIdRatioBased(ratio),
            Self::ParentbasedAlwaysOn => parent(Sampler::AlwaysOn),
            Self::ParentbasedAlwaysOff => parent(Sampler::AlwaysOff),
            Self::ParentbasedTraceidratio => parent(Sampler::TraceIdRatioBased(ratio)),
        }
    }
}

/// The exporter as resolved from the config section and the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub protocol: Protocol,
    /// Where batches go: for OTLP/HTTP the traces URL (`…/v1/traces`), for gRPC the
    /// collector's URL.
    pub endpoint: String,
    /// Sent with every export (`OTEL_EXPORTER_OTLP_{TRACES_,}HEADERS`).
    pub headers: Vec<(String, String)>,
    /// How long an export may take (`OTEL_EXPORTER_OTLP_{TRACES_,}TIMEOUT`, default 10 s).
    pub timeout: Duration,
    pub tls: TlsFiles,
    pub service_name: String,
    pub sampler: SamplerName,
    pub ratio: f64,
    pub record_arguments: bool,
}

/// `raw` and the environment (`env(name)`) → the settings, `None` when tracing is off.
pub fn resolve(
    raw: &RawTelemetry,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Settings>, String> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let env_endpoint =
        var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"));
    let enabled = raw.enabled.unwrap_or(env_endpoint.is_some()) && !disabled;
    if !enabled {
        return Ok(None);
    }
    let protocol = match raw.protocol {
        Some(p) => p,
        None => match var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
            .as_deref()
        {
            None | Some("grpc") => Protocol::Grpc,
            Some("http/protobuf") => Protocol::HttpProtobuf,
            Some(other) => {
                return Err(format!(
                    "OTEL_EXPORTER_OTLP_PROTOCOL: `{other}` is not `grpc` or `http/protobuf`"
                ))
            }
        },
    };
    let sampler = match raw.sampler {
        Some(s) => s,
        None => match var("OTEL_TRACES_SAMPLER") {
            None => SamplerName::ParentbasedAlwaysOn,
            Some(s) => SamplerName::parse(&s).ok_or_else(|| {
                format!("OTEL_TRACES_SAMPLER: `{s}` is not a sampler toolwall knows")
            })?,
        },
    };
    let ratio = match raw.sampler_arg {
        Some(r) => r,
        None => match var("OTEL_TRACES_SAMPLER_ARG") {
            None => 1.0,
            Some(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("OTEL_TRACES_SAMPLER_ARG: `{s}` is not a number"))?,
        },
    };
    if !(0.0..=1.0).contains(&ratio) {
        return Err(format!(
            "telemetry sampler ratio {ratio} is not within 0..=1"
        ));
    }
    let service_name = raw
        .service_name
        .clone()
        .or_else(|| var("OTEL_SERVICE_NAME"))
        .unwrap_or_else(|| "toolwall".to_string());
    // the section's endpoint and OTEL_EXPORTER_OTLP_ENDPOINT are base URLs, the traces
    // variable is used as is
    let base = |e: &str| match protocol {
        Protocol::HttpProtobuf => format!("{}/v1/traces", e.trim_end_matches('/')),
        Protocol::Grpc => e.to_string(),
    };
    let (endpoint, from) = match (&raw.endpoint, var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
        (Some(e), _) => (base(e), "telemetry.endpoint"),
        (None, Some(e)) => (e, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        (None, None) => match var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            Some(e) => (base(&e), "OTEL_EXPORTER_OTLP_ENDPOINT"),
            None => (
                match protocol {
                    Protocol::Grpc => "http://localhost:4317".to_string(),
                    Protocol::HttpProtobuf => "http://localhost:4318/v1/traces".to_string(),
                },
                "the default endpoint",
            ),
        },
    };
    check_endpoint(&endpoint).map_err(|e| format!("{from}: {e}"))?;
    let either = |traces: &'static str, all: &'static str| {
        var(traces)
            .map(|v| (v, traces))
            .or_else(|| var(all).map(|v| (v, all)))
    };
    let headers = match either(
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ) {
        None => Vec::new(),
        Some((v, name)) => parse_headers(&v).map_err(|e| format!("{name}: {e}"))?,
    };
    let timeout = match either(
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ) {
        None => Duration::from_secs(10),
        Some((v, name)) => Duration::from_millis(
            v.trim()
                .parse::<u64>()
                .map_err(|_| format!("{name}: `{v}` is not a number of milliseconds"))?,
        ),
    };
    let file =
        |set: &Option<PathBuf>, key: &'static str, traces: &'static str, all: &'static str| {
            match set {
                Some(p) => Some((p.clone(), key)),
                None => either(traces, all).map(|(v, n)| (PathBuf::from(v), n)),
            }
        };
    let tls_raw = raw.tls.clone().unwrap_or_default();
    let tls = TlsFiles {
        ca_file: file(
            &tls_raw.ca_file,
            "telemetry.tls.ca_file",
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        ),
        cert_file: file(
            &tls_raw.cert_file,
            "telemetry.tls.cert_file",
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        ),
        key_file: file(
            &tls_raw.key_file,
            "telemetry.tls.key_file",
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        ),
    };
    // the files are read now: a missing or bad one stops `toolwall run`
    otlp::client_tls(&tls)?;
    Ok(Some(Settings {
        protocol,
        endpoint,
        headers,
        timeout,
        tls,
        service_name,
        sampler,
        ratio,
        record_arguments: raw.record_arguments,
    }))
}

/// The process's tracer, set once by [`start`]; unset: tracing is off.
static TRACER: OnceLock<Telemetry> = OnceLock::new();

struct Telemetry {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    record_arguments: bool,
}

/// `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs separated by commas, values
/// percent-decoded.
fn parse_headers(v: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for pair in v.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, val) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not key=value"))?;
        let k = k.trim();
        let val = percent_encoding::percent_decode_str(val.trim())
            .decode_utf8()
            .map_err(|_| format!("the value of `{k}` is not UTF-8"))?;
        if http::HeaderName::from_bytes(k.as_bytes()).is_err()
            || http::HeaderValue::from_str(&val).is_err()
        {
            return Err(format!("`{k}` is not a valid header"));
        }
        out.push((k.to_string(), val.into_owned()));
    }
    Ok(out)
}

/// Build the exporter and install the tracer. Must run inside the Tokio runtime: the
/// exporter's hyper client lives on it.
pub fn start(settings: &Settings) -> Result<(), String> {
    let exporter = otlp::Exporter::new(&otlp::Target {
        protocol: settings.protocol,
        endpoint: &settings.endpoint,
        headers: &settings.headers,
        timeout: settings.timeout,
        tls: &settings.tls,
    })?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(settings.service_name.clone())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(settings.sampler.sampler(settings.ratio))
        .with_id_generator(PresetIds::default())
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("toolwall");
    TRACER
        .set(Telemetry {
            provider,
            tracer,
            record_arguments: settings.record_arguments,
        })
        .map_err(|_| "telemetry started twice".to_string())
}

/// Export what is queued and stop (at exit; a no-op when tracing is off).
pub fn shutdown() {
    if let Some(t) = TRACER.get() {
        if let Err(e) = t.provider.shutdown() {
            tracing::warn!("telemetry shutdown: {e}");
        }
    }
}

/// Span ids as the SDK's random generator makes them, except for the one span built right
/// after [`PresetIds::next`] is set: an MCP call's CLIENT span, whose id is written into the
/// request's `params._meta` before the span itself starts (the SDK takes no span id from the
/// builder). Set and taken on one thread, within one synchronous call.
#[derive(Debug, Default)]
struct PresetIds {
    random: opentelemetry_sdk::trace::RandomIdGenerator,
}

thread_local! {
    static NEXT_SPAN_ID: std::cell::Cell<Option<SpanId>> = const { std::cell::Cell::new(None) };
    /// The trace id of the one root span built right after it is set: a call without a
    /// parent keeps the trace id its audit record and log line already carry.
    static NEXT_TRACE_ID: std::cell::Cell<Option<TraceId>> = const { std::cell::Cell::new(None) };
}

impl opentelemetry_sdk::trace::IdGenerator for PresetIds {
    fn new_trace_id(&self) -> TraceId {
        NEXT_TRACE_ID
            .with(std::cell::Cell::take)
            .unwrap_or_else(|| self.random.new_trace_id())
    }
    fn new_span_id(&self) -> SpanId {
        NEXT_SPAN_ID
            .with(std::cell::Cell::take)
            .unwrap_or_else(|| self.random.new_span_id())
    }
}

/// A tool call's span. It exists from the moment the request arrives ([`defer_call`]) but is
/// started only once the front end knows where it belongs (HTTP and gRPC: routed; MCP: the
/// message is a call, its `_meta` read) — or, for a request refused before that, when the
/// call is recorded ([`CallSpan::finish`]), with the request's arrival as its start time.
/// A span never started and dropped (MCP traffic that is not a call) exports nothing.
pub struct CallSpan {
    state: State,
    /// Protocol attributes added when the span ends (MCP: method, session, request id).
    pub attrs: Vec<KeyValue>,
    /// `gen_ai.tool.call.id` when the protocol has its own (MCP: the JSON-RPC id); else the
    /// decision id.
    pub call_id: Option<String>,
    /// The span's name when the call is not a tool call (MCP `resources/read`,
    /// `prompts/get {name}`: the MCP conventions' `{mcp.method.name} {target}`); such a span
    /// has no `gen_ai.operation.name`, `gen_ai.tool.*` attributes.
    pub name: Option<String>,
    /// The CLIENT span of the request to the tool, when its id had to be known before it
    /// started (MCP: it is in the forwarded `params._meta`): planned, then started.
    client: Client,
}

// The whole `CallSpan` is boxed in the call's record; a deferred span becomes a started one
// in place, so boxing the `Span` too would only add an allocation per traced call.
#[allow(clippy::large_enum_variant)]
enum State {
    /// Not started: where it will start.
    Deferred(Deferred),
    Started(Span),
}

#[derive(Clone)]
struct Deferred {
    /// The agent's context (an invalid one: the span is a root).
    parent: Context,
    /// The trace id of a root span: the one the call's record already carries.
    root: TraceId,
    /// When the request arrived.
    start: std::time::SystemTime,
}

impl Deferred {
    fn start(&self) -> Option<Span> {
        let t = TRACER.get()?;
        let root = !self.parent.span().span_context().is_valid();
        if root {
            NEXT_TRACE_ID.with(|c| c.set(Some(self.root)));
        }
        let span = t
            .tracer
            .span_builder(attr::EXECUTE_TOOL)
            .with_kind(SpanKind::Internal)
            .with_start_time(self.start)
            .start_with_context(&t.tracer, &self.parent);
        // not left behind for another span (a non-recording parent builds none)
        NEXT_TRACE_ID.with(|c| c.set(None));
        Some(span)
    }
}

enum Client {
    None,
    Planned(SpanId),
    Started(ChildSpan),
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// An MCP `params._meta` object as a carrier: its string members only.
struct Meta<'a>(&'a serde_json::Map<String, serde_json::Value>);

impl Extractor for Meta<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(serde_json::Value::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// Lower-case hex of `bytes`, appended to `out`. By hand rather than `{}` of the ids: their
/// `fmt` impls were 2.9k instructions per traced call (three ids formatted per call,
/// callgrind on the bench call), this is a table lookup per byte.
fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
}

/// The W3C `traceparent` of a span context.
fn traceparent_of(sc: &SpanContext) -> String {
    let mut s = Vec::with_capacity(55);
    s.extend_from_slice(b"00-");
    push_hex(&mut s, &sc.trace_id().to_bytes());
    s.push(b'-');
    push_hex(&mut s, &sc.span_id().to_bytes());
    s.push(b'-');
    push_hex(&mut s, &[sc.trace_flags().to_u8()]);
    // ASCII only
    String::from_utf8(s).unwrap_or_default()
}

/// A trace id as 32 lower-case hex digits (as in logs and the audit record).
fn trace_id_hex(id: TraceId) -> String {
    let mut s = Vec::with_capacity(32);
    push_hex(&mut s, &id.to_bytes());
    String::from_utf8(s).unwrap_or_default()
}

/// Longest `gen_ai.tool.call.arguments` value; longer ones are cut (at a character boundary)
/// and end in `…`.
const MAX_ARGUMENTS_ATTR: usize = 8 * 1024;

/// With tracing on and `telemetry.record_arguments`: the call's arguments as the attribute
/// `gen_ai.tool.call.arguments` — every entity the redactor knows masked (`[EMAIL]`), whatever
/// the policy asked, and at most 8 KiB. `None` otherwise (nothing is built).
pub fn arguments_attr(
    redactor: &crate::redact::Redactor,
    args: &serde_json::Value,
) -> Option<KeyValue> {
    if !TRACER.get().is_some_and(|t| t.record_arguments) {
        return None;
    }
    let masked = redactor
        .redact_json(args, &crate::redact::ActionPlan::mask_all())
        .value;
    let mut text = masked.as_ref().unwrap_or(args).to_string();
    if text.len() > MAX_ARGUMENTS_ATTR {
        let mut cut = MAX_ARGUMENTS_ATTR;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    Some(KeyValue::new(attr::GEN_AI_TOOL_CALL_ARGUMENTS, text))
}

/// Whether tracing is on (`toolwall run` started the exporter).
pub fn enabled() -> bool {
    TRACER.get().is_some()
}

/// The trace context of a request (`traceparent`, `tracestate`), kept apart from it.
pub fn trace_context(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in ["traceparent", "tracestate"] {
        if let Some(v) = headers.get(name) {
            out.insert(name, v.clone());
        }
    }
    out
}

/// With tracing on: the call's span, not started yet ([`CallSpan`]), a child of the agent's
/// `traceparent` when it sent a valid one, else a root in the trace `trace_id` (the id the
/// call's record got from [`crate::pipeline::http`]'s reading of the header, or a new one).
/// Returns it, and its trace id when that is not `trace_id` (formatting the id is ~1.8k
/// instructions per traced call: callgrind, benches/instructions.sh). With tracing off:
/// `None`, and nothing is built.
pub fn defer_call(
    headers: &HeaderMap,
    started: std::time::Instant,
    trace_id: &str,
) -> Option<(CallSpan, Option<String>)> {
    TRACER.get()?;
    let parent =
        TraceContextPropagator::new().extract_with_context(&Context::new(), &Headers(headers));
    let given = TraceId::from_hex(trace_id)
        .ok()
        .filter(|t| *t != TraceId::INVALID);
    let agent = parent.span();
    let sc = agent.span_context();
    let root = if sc.is_valid() {
        sc.trace_id()
    } else {
        given.unwrap_or_else(|| TraceId::from(rand::random::<u128>() | 1))
    };
    let changed = (Some(root) != given).then(|| trace_id_hex(root));
    let span = CallSpan {
        state: State::Deferred(Deferred {
            parent,
            root,
            start: std::time::SystemTime::now() - started.elapsed(),
        }),
        attrs: Vec::new(),
        call_id: None,
        name: None,
        client: Client::None,
    };
    Some((span, changed))
}

/// A child of a call's span (policy, the upstream call); ended by [`ChildSpan::end`] or on drop.
/// Boxed: an `Option<ChildSpan>` held across an `.await` is one pointer in the call's future
/// (its size is copied several times per call, tracing on or off).
pub struct ChildSpan {
    span: Box<Span>,
}

/// The trace context toolwall writes into a forwarded MCP request's `params._meta`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaContext {
    pub traceparent: String,
    pub tracestate: Option<String>,
}

impl CallSpan {
    /// Start the span now (a no-op when it already started); the `traceparent` the tool gets
    /// (this span as parent) and the trace id. `None` when nothing could be built.
    pub fn start(&mut self) -> Option<(HeaderValue, String)> {
        let span = self.started()?;
        let sc = span.span_context();
        let value = HeaderValue::from_str(&traceparent_of(sc)).ok()?;
        Some((value, sc.trace_id().to_string()))
    }

    /// Start an MCP call's span: its parent is the trace context in `params._meta` when the
    /// agent put a `traceparent` there — a malformed one starts a new trace, it never falls
    /// back nor is passed on — and otherwise the request's `traceparent` header (the parent it
    /// was deferred with). Returns the trace id; `None` when it had already started.
    pub fn start_mcp(
        &mut self,
        meta: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Option<String> {
        let State::Deferred(d) = &mut self.state else {
            return None;
        };
        if let Some(m) = meta.filter(|m| m.contains_key(attr::META_TRACEPARENT)) {
            d.parent =
                TraceContextPropagator::new().extract_with_context(&Context::new(), &Meta(m));
            let sc = d.parent.span().span_context().clone();
            d.root = if sc.is_valid() {
                sc.trace_id()
            } else {
                TraceId::from(rand::random::<u128>() | 1)
            };
        }
        let span = self.started()?;
        Some(span.span_context().trace_id().to_string())
    }

    /// Another call's span deferred as this one is (the same parent), arrived at `started`:
    /// the messages of one MCP batch. `None` once this one started.
    pub fn sibling(&self, started: std::time::Instant) -> Option<CallSpan> {
        let State::Deferred(d) = &self.state else {
            return None;
        };
        Some(CallSpan {
            state: State::Deferred(Deferred {
                start: std::time::SystemTime::now() - started.elapsed(),
                ..d.clone()
            }),
            attrs: Vec::new(),
            call_id: None,
            name: None,
            client: Client::None,
        })
    }

    /// The span, started if it was not.
    fn started(&mut self) -> Option<&mut Span> {
        if let State::Deferred(d) = &self.state {
            self.state = State::Started(d.start()?);
        }
        match &mut self.state {
            State::Started(s) => Some(s),
            State::Deferred(_) => None,
        }
    }

    /// A child span of this call, `None` when the call's span is not recorded (sampled out):
    /// nothing is built for a trace nobody will see.
    pub fn child(
        &self,
        name: impl Into<std::borrow::Cow<'static, str>>,
        kind: SpanKind,
    ) -> Option<ChildSpan> {
        self.child_with(name, kind, Vec::new())
    }

    fn child_with(
        &self,
        name: impl Into<std::borrow::Cow<'static, str>>,
        kind: SpanKind,
        attrs: Vec<KeyValue>,
    ) -> Option<ChildSpan> {
        let State::Started(span) = &self.state else {
            return None;
        };
        if !span.is_recording() {
            return None;
        }
        let t = TRACER.get()?;
        let parent = Context::new().with_remote_span_context(span.span_context().clone());
        let span = t
            .tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attrs)
            .start_with_context(&t.tracer, &parent);
        Some(ChildSpan {
            span: Box::new(span),
        })
    }

    /// The trace context of the request to the tool, before it is sent: a CLIENT span is
    /// planned (its id chosen now, [`CallSpan::start_client`] starts it) and named as the
    /// parent. A sampled-out call plans none and names its own span, as for HTTP.
    pub fn plan_client(&mut self) -> Option<MetaContext> {
        let span = self.started()?;
        let sc = span.span_context().clone();
        let parent = if span.is_recording() {
            let mut id = SpanId::INVALID;
            while id == SpanId::INVALID {
                id = SpanId::from(rand::random::<u64>());
            }
            self.client = Client::Planned(id);
            SpanContext::new(
                sc.trace_id(),
                id,
                sc.trace_flags(),
                false,
                sc.trace_state().clone(),
            )
        } else {
            sc
        };
        let state = parent.trace_state().header();
        Some(MetaContext {
            traceparent: traceparent_of(&parent),
            tracestate: (!state.is_empty()).then_some(state),
        })
    }

    /// Start the planned CLIENT span (a no-op when none is planned or it already started).
    pub fn start_client(&mut self, name: String, attrs: Vec<KeyValue>) {
        let Client::Planned(id) = self.client else {
            return;
        };
        NEXT_SPAN_ID.with(|c| c.set(Some(id)));
        let child = self.child_with(name, SpanKind::Client, attrs);
        // not left behind for another span if the child was not built
        NEXT_SPAN_ID.with(|c| c.set(None));
        self.client = match child {
            Some(c) => Client::Started(c),
            None => Client::None,
        };
    }

    /// Start the CLIENT span of the request to the tool now (its id is not needed before);
    /// a no-op when the call is sampled out.
    pub fn start_client_now(&mut self, name: String, attrs: Vec<KeyValue>) {
        if let Some(c) = self.child_with(name, SpanKind::Client, attrs) {
            self.client = Client::Started(c);
        }
    }

    /// The started CLIENT span as a `traceparent`.
    pub fn client_traceparent(&self) -> Option<HeaderValue> {
        match &self.client {
            Client::Started(c) => c.traceparent(),
            _ => None,
        }
    }

    /// End the started CLIENT span; `error` is its `error.type`.
    pub fn end_client(&mut self, attrs: Vec<KeyValue>, error: Option<&str>) {
        if let Client::Started(mut c) = std::mem::replace(&mut self.client, Client::None) {
            for kv in attrs {
                c.set(kv);
            }
            c.end(error);
        }
    }

    /// Name the span after its tool, set the attributes and end it (a CLIENT span still open
    /// ends first, with the call's error). A span not started yet (a request refused before
    /// it was routed or read) starts now, at the time the request arrived. `name` empty: the
    /// span is `execute_tool` alone (no tool, or none with a name of its own). A span with its
    /// own [`CallSpan::name`] is not a tool call's: the GenAI tool attributes are left off.
    pub fn finish(mut self, name: &str, mut attrs: Vec<KeyValue>, error: Option<&str>) {
        self.end_client(Vec::new(), error);
        let own = self.name.take();
        let mut extra = std::mem::take(&mut self.attrs);
        let Some(span) = self.started() else {
            return;
        };
        match own {
            Some(n) => {
                span.update_name(n);
                attrs.retain(|kv| {
                    !matches!(
                        kv.key.as_str(),
                        attr::GEN_AI_OPERATION_NAME
                            | attr::GEN_AI_TOOL_NAME
                            | attr::GEN_AI_TOOL_CALL_ID
                    )
                });
            }
            None if !name.is_empty() => span.update_name(format!("{} {name}", attr::EXECUTE_TOOL)),
            None => {}
        }
        attrs.append(&mut extra);
        span.set_attributes(attrs);
        if let Some(e) = error {
            span.set_attribute(KeyValue::new(attr::ERROR_TYPE, e.to_string()));
            span.set_status(opentelemetry::trace::Status::error(e.to_string()));
        }
        span.end();
    }
}

/// A stage's INTERNAL child of the call's span; `None` (nothing built) with tracing off or a
/// sampled-out call.
pub fn stage(call: Option<&CallSpan>, name: &'static str) -> Option<ChildSpan> {
    call?.child(name, SpanKind::Internal)
}

/// End a stage's span, its refusal (if any) as `error.type`.
pub fn end_stage<T>(span: Option<ChildSpan>, result: &Result<T, crate::pipeline::reject::Reject>) {
    if let Some(s) = span {
        s.end(result.as_ref().err().map(|r| r.reason.code()));
    }
}

/// Sets `_meta.traceparent` / `_meta.tracestate` of an MCP request's params as forwarded
/// (`params` as decided: redacted as policy asked). Whatever the agent put there is taken out
/// first. With tracing on (`ours`), toolwall's `traceparent` goes in (a `_meta` object is made
/// if there is none), and its `tracestate` only when it is the one still in `params`. With tracing off, the agent's
/// `traceparent` goes back only when it is well-formed, and its `tracestate` only with it and
/// when well-formed: a malformed value never reaches the server. A `_meta` that is not an
/// object is left as it is (it holds no trace context).
pub fn set_meta_context(
    params: &mut serde_json::Map<String, serde_json::Value>,
    ours: Option<&MetaContext>,
) {
    use serde_json::Value;
    let (tp, ts) = match params.get_mut("_meta") {
        Some(Value::Object(meta)) => (
            meta.remove(attr::META_TRACEPARENT),
            meta.remove(attr::META_TRACESTATE),
        ),
        Some(_) => return,
        None => (None, None),
    };
    let (tp, ts) = match ours {
        // the span's `tracestate` is the agent's as it sent it: it goes on only when it is
        // the `_meta.tracestate` as decided (redaction left it alone), never from elsewhere
        Some(c) => {
            let ts = match (&c.tracestate, ts) {
                (Some(o), Some(Value::String(t))) if *o == t => Some(t),
                _ => None,
            };
            (Some(c.traceparent.clone()), ts)
        }
        None => match tp {
            Some(Value::String(tp)) if valid_traceparent(&tp) => {
                let ts = match ts {
                    Some(Value::String(ts)) if valid_tracestate(&ts) => Some(ts),
                    _ => None,
                };
                (Some(tp), ts)
            }
            _ => (None, None),
        },
    };
    let Some(tp) = tp else {
        if params
            .get("_meta")
            .is_some_and(|m| m.as_object().is_some_and(serde_json::Map::is_empty))
        {
            params.remove("_meta");
        }
        return;
    };
    let meta = params
        .entry("_meta")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Value::Object(meta) = meta {
        meta.insert(attr::META_TRACEPARENT.into(), Value::String(tp));
        if let Some(ts) = ts {
            meta.insert(attr::META_TRACESTATE.into(), Value::String(ts));
        }
    }
}

/// A W3C `traceparent` toolwall passes on: version `00` form (55 characters, lower-case hex),
/// neither id all zeros.
pub fn valid_traceparent(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |r: std::ops::Range<usize>| {
        b[r].iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    };
    b.len() == 55
        && &b[..3] == b"00-"
        && b[35] == b'-'
        && b[52] == b'-'
        && hex(3..35)
        && hex(36..52)
        && hex(53..55)
        && &s[3..35] != "00000000000000000000000000000000"
        && &s[36..52] != "0000000000000000"
}

/// A W3C `tracestate` toolwall passes on: at most 512 characters, well-formed members.
fn valid_tracestate(s: &str) -> bool {
    s.len() <= 512 && s.parse::<TraceState>().is_ok()
}

impl ChildSpan {
    /// This span as the `traceparent` of the request it stands for.
    pub fn traceparent(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&traceparent_of(self.span.span_context())).ok()
    }

    pub fn set(&mut self, kv: KeyValue) {
        self.span.set_attribute(kv);
    }

    /// End the span; `error` is its `error.type` (and an error status).
    pub fn end(mut self, error: Option<&str>) {
        if let Some(e) = error {
            self.span
                .set_attribute(KeyValue::new(attr::ERROR_TYPE, e.to_string()));
            self.span
                .set_status(opentelemetry::trace::Status::error(e.to_string()));
        }
        self.span.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn off_by_default_and_on_with_an_endpoint_variable() {
        assert_eq!(resolve(&RawTelemetry::default(), env(&[])), Ok(None));
        let s = resolve(
            &RawTelemetry::default(),
            env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_SERVICE_NAME", "gw"),
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
            ]),
        )
        .expect("valid")
        .expect("on");
        assert_eq!(s.protocol, Protocol::HttpProtobuf);
        assert_eq!(s.service_name, "gw");
        assert_eq!(s.sampler, SamplerName::ParentbasedTraceidratio);
        assert_eq!(s.ratio, 0.25);
        // a base URL: the traces path appended
        assert_eq!(s.endpoint, "http://127.0.0.1:4318/v1/traces");
    }

    #[test]
    fn the_config_section_wins_and_sdk_disabled_turns_it_off() {
        let raw = RawTelemetry {
            enabled: Some(true),
            protocol: Some(Protocol::Grpc),
            ..Default::default()
        };
        let s = resolve(
            &raw,
            env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]),
        )
        .expect("valid")
        .expect("on");
        assert_eq!(s.protocol, Protocol::Grpc);
        assert_eq!(s.sampler, SamplerName::ParentbasedAlwaysOn);
        assert_eq!(
            resolve(&raw, env(&[("OTEL_SDK_DISABLED", "true")])),
            Ok(None)
        );
        let off = RawTelemetry {
            enabled: Some(false),
            ..Default::default()
        };
        assert_eq!(
            resolve(
                &off,
                env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4317")])
            ),
            Ok(None)
        );
    }

    fn params(meta: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        let mut p = serde_json::Map::new();
        p.insert("name".into(), "refund".into());
        if !meta.is_null() {
            p.insert("_meta".into(), meta);
        }
        p
    }

    #[test]
    fn the_meta_trace_context_is_toolwalls_or_a_well_formed_one_of_the_agent() {
        use serde_json::json;
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        // tracing off: a well-formed context goes on, a malformed one never does
        let mut p = params(json!({"traceparent": good, "tracestate": "a=1", "k": 1}));
        set_meta_context(&mut p, None);
        assert_eq!(
            p["_meta"],
            json!({"traceparent": good, "tracestate": "a=1", "k": 1})
        );
        for bad in [
            json!("00-4bf92f3577b34da6a3ce929d0e0e4736-zzzzzzzzzzzzzzzz-01"),
            json!("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            json!("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
            json!("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            json!("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            json!(format!("{good}-extra")),
            json!(7),
            json!({"nested": good}),
        ] {
            let mut p = params(json!({"traceparent": bad, "tracestate": "a=1", "k": 1}));
            set_meta_context(&mut p, None);
            assert_eq!(p["_meta"], json!({"k": 1}), "{bad}");
        }
        // a malformed tracestate goes, a well-formed traceparent stays
        let mut p = params(json!({"traceparent": good, "tracestate": "not a state"}));
        set_meta_context(&mut p, None);
        assert_eq!(p["_meta"], json!({"traceparent": good}));
        // a `_meta` left empty is removed; a `_meta` that is not an object is left alone
        let mut p = params(json!({"traceparent": "x"}));
        set_meta_context(&mut p, None);
        assert!(!p.contains_key("_meta"));
        let mut p = params(json!("opaque"));
        set_meta_context(&mut p, None);
        assert_eq!(p["_meta"], json!("opaque"));
        // tracing on: toolwall's context replaces the agent's, a `_meta` is made if needed
        let ours = MetaContext {
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
            tracestate: None,
        };
        let mut p = params(json!({"traceparent": good, "tracestate": "a=1"}));
        set_meta_context(&mut p, Some(&ours));
        assert_eq!(p["_meta"], json!({"traceparent": ours.traceparent}));
        // the span's tracestate goes on only as it still is in the decided `_meta`
        let with_state = MetaContext {
            tracestate: Some("a=1".into()),
            ..ours.clone()
        };
        let mut p = params(json!({"traceparent": good, "tracestate": "a=1"}));
        set_meta_context(&mut p, Some(&with_state));
        assert_eq!(
            p["_meta"],
            json!({"traceparent": ours.traceparent, "tracestate": "a=1"})
        );
        // redaction changed it (or it came from the header): not from the span
        for meta in [json!({"tracestate": "a=[EMAIL]"}), json!({})] {
            let mut p = params(meta);
            set_meta_context(&mut p, Some(&with_state));
            assert_eq!(p["_meta"], json!({"traceparent": ours.traceparent}));
        }
        let mut p = params(serde_json::Value::Null);
        set_meta_context(&mut p, Some(&ours));
        assert_eq!(p["_meta"], json!({"traceparent": ours.traceparent}));
        assert!(valid_traceparent(good));
    }

    #[test]
    fn ids_are_formatted_as_the_sdk_formats_them() {
        for (t, sp, f) in [
            (
                0x4bf92f3577b34da6a3ce929d0e0e4736u128,
                0x00f067aa0ba902b7u64,
                1u8,
            ),
            (1, 1, 0),
            (u128::MAX, u64::MAX, 0xff),
        ] {
            let sc = SpanContext::new(
                TraceId::from(t),
                SpanId::from(sp),
                opentelemetry::trace::TraceFlags::new(f),
                false,
                TraceState::default(),
            );
            assert_eq!(
                traceparent_of(&sc),
                format!("00-{}-{}-{:02x}", sc.trace_id(), sc.span_id(), f)
            );
            assert_eq!(trace_id_hex(sc.trace_id()), sc.trace_id().to_string());
        }
    }

    #[test]
    fn unknown_values_are_errors() {
        let on = RawTelemetry {
            enabled: Some(true),
            ..Default::default()
        };
        assert!(resolve(&on, env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")])).is_err());
        assert!(resolve(&on, env(&[("OTEL_TRACES_SAMPLER", "jaeger_remote")])).is_err());
        assert!(resolve(&on, env(&[("OTEL_TRACES_SAMPLER_ARG", "2")])).is_err());
        assert!(resolve(&on, env(&[("OTEL_TRACES_SAMPLER_ARG", "x")])).is_err());
    }
}
