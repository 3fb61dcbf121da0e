//! Traces over OTLP (docs/telemetry.md): one span per tool call, exported by the
//! OpenTelemetry SDK directly. No `tracing-opentelemetry` layer: the call's span is built from
//! the call record (`stage::record`), so log events never become span events and a call with
//! tracing off builds nothing — the only cost is one `OnceLock` read per call.
//!
//! Process-level and not reloadable: the exporter is set up once at `toolwall run`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanKind, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider, Span, SpanData};
use serde::Deserialize;

/// Attribute names: the OpenTelemetry GenAI and MCP semantic conventions (the semconv crate
/// marks the GenAI ones deprecated-moved, so they are spelled here) and toolwall's own.
pub mod attr {
    pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
    pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
    pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
    pub const GEN_AI_AGENT_ID: &str = "gen_ai.agent.id";
    pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
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
    /// The policy evaluation's child span.
    pub const POLICY_SPAN: &str = "toolwall.policy";
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
    /// `None`: the exporter reads `OTEL_EXPORTER_OTLP_{TRACES_,}ENDPOINT` itself (or its
    /// default, `localhost:4317` / `:4318`).
    pub endpoint: Option<String>,
    pub service_name: String,
    pub sampler: SamplerName,
    pub ratio: f64,
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
    Ok(Some(Settings {
        protocol,
        endpoint: raw.endpoint.clone(),
        service_name,
        sampler,
        ratio,
    }))
}

/// The process's tracer, set once by [`start`]; unset: tracing is off.
static TRACER: OnceLock<Telemetry> = OnceLock::new();

struct Telemetry {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

/// Build the exporter and install the tracer. Must run inside the Tokio runtime: the
/// exporters' HTTP/2 and hyper clients live on it.
pub fn start(settings: &Settings) -> Result<(), String> {
    let exporter = match settings.protocol {
        Protocol::Grpc => {
            let mut b = opentelemetry_otlp::SpanExporter::builder().with_tonic();
            if let Some(e) = &settings.endpoint {
                b = b.with_endpoint(e.clone());
            }
            b.build()
        }
        Protocol::HttpProtobuf => {
            // https endpoints too: rustls with ring and the webpki roots, as for upstreams
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
                .map_err(|e| format!("telemetry TLS: {e}"))?
                .https_or_http()
                .enable_http1()
                .build();
            let client =
                opentelemetry_http::hyper::HyperClient::new(https, Duration::from_secs(10), None);
            let mut b = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_http_client(client);
            if let Some(e) = &settings.endpoint {
                b = b.with_endpoint(format!("{}/v1/traces", e.trim_end_matches('/')));
            }
            b.build()
        }
    }
    .map_err(|e| format!("telemetry exporter: {e}"))?;
    let exporter = OnRuntime {
        inner: Arc::new(exporter),
        handle: tokio::runtime::Handle::current(),
    };
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(settings.service_name.clone())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(settings.sampler.sampler(settings.ratio))
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("toolwall");
    TRACER
        .set(Telemetry { provider, tracer })
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

/// The batch processor exports from its own thread with a plain executor; the OTLP clients
/// need the Tokio reactor, so each batch is exported by a task on the runtime.
#[derive(Debug)]
struct OnRuntime {
    inner: Arc<opentelemetry_otlp::SpanExporter>,
    handle: tokio::runtime::Handle,
}

impl opentelemetry_sdk::trace::SpanExporter for OnRuntime {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        let inner = self.inner.clone();
        match self
            .handle
            .spawn(async move { inner.export(batch).await })
            .await
        {
            Ok(r) => r,
            Err(e) => Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                e.to_string(),
            )),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        // called once, before any export holds a clone
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.set_resource(resource);
        }
    }
}

/// A tool call's span, started when the call arrives.
pub struct CallSpan {
    pub span: Span,
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

/// With tracing on: the call's span, a child of the agent's `traceparent` when it sent a
/// valid one; the `traceparent` the upstream gets (this span as parent) and the trace id.
/// With tracing off: `None`, and nothing is built.
pub fn start_call(
    headers: &HeaderMap,
    started: std::time::Instant,
) -> Option<(CallSpan, HeaderValue, String)> {
    let t = TRACER.get()?;
    let parent =
        TraceContextPropagator::new().extract_with_context(&Context::new(), &Headers(headers));
    let span = t
        .tracer
        .span_builder(attr::EXECUTE_TOOL)
        .with_kind(SpanKind::Internal)
        // the call started when its record did (routing came first)
        .with_start_time(std::time::SystemTime::now() - started.elapsed())
        .start_with_context(&t.tracer, &parent);
    use opentelemetry::trace::Span as _;
    let sc = span.span_context().clone();
    let trace_id = sc.trace_id().to_string();
    let value = format!(
        "00-{}-{}-{:02x}",
        trace_id,
        sc.span_id(),
        sc.trace_flags().to_u8()
    );
    let value = HeaderValue::from_str(&value).ok()?;
    Some((CallSpan { span }, value, trace_id))
}

/// A child of a call's span (policy, the upstream call); ended by [`ChildSpan::end`] or on drop.
pub struct ChildSpan {
    span: Span,
}

impl CallSpan {
    /// A child span of this call, `None` when the call's span is not recorded (sampled out):
    /// nothing is built for a trace nobody will see.
    pub fn child(
        &self,
        name: impl Into<std::borrow::Cow<'static, str>>,
        kind: SpanKind,
    ) -> Option<ChildSpan> {
        use opentelemetry::trace::{Span as _, TraceContextExt};
        if !self.span.is_recording() {
            return None;
        }
        let t = TRACER.get()?;
        let parent = Context::new().with_remote_span_context(self.span.span_context().clone());
        let span = t
            .tracer
            .span_builder(name)
            .with_kind(kind)
            .start_with_context(&t.tracer, &parent);
        Some(ChildSpan { span })
    }

    /// Name the span after its tool, set the attributes and end it.
    pub fn finish(mut self, name: &str, attrs: Vec<KeyValue>, error: Option<&str>) {
        use opentelemetry::trace::Span as _;
        if !name.is_empty() {
            self.span
                .update_name(format!("{} {name}", attr::EXECUTE_TOOL));
        }
        self.span.set_attributes(attrs);
        if let Some(e) = error {
            self.span
                .set_attribute(KeyValue::new(attr::ERROR_TYPE, e.to_string()));
            self.span
                .set_status(opentelemetry::trace::Status::error(e.to_string()));
        }
        self.span.end();
    }
}

impl ChildSpan {
    /// This span as the `traceparent` of the request it stands for.
    pub fn traceparent(&self) -> Option<HeaderValue> {
        use opentelemetry::trace::Span as _;
        let sc = self.span.span_context();
        HeaderValue::from_str(&format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        ))
        .ok()
    }

    pub fn set(&mut self, kv: KeyValue) {
        use opentelemetry::trace::Span as _;
        self.span.set_attribute(kv);
    }

    /// End the span; `error` is its `error.type` (and an error status).
    pub fn end(mut self, error: Option<&str>) {
        use opentelemetry::trace::Span as _;
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
        // the endpoint itself is left to the exporter, which reads the same variables
        assert_eq!(s.endpoint, None);
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
