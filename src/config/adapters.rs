//! `adapters/*.yaml` compiled: each adapter's upstream, credentials, client and tools (route
//! table, JSON Schema validators, argument coercions, prices). Every error is at its value.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use sha2::{Digest, Sha256};

use super::compile::{parse_yaml, DEFAULT_TIMEOUT};
use super::error::{AtPath, ConfigError};
use super::grpc::GrpcAdapter;
use super::pool::Http1Pool;
use super::raw::{
    AdapterKind, ArgsFrom, IdempotencyMode, Mode, PinMode, RawAdapter, RawTool, UnknownFields,
};
use super::spans::{Located, Spans};
use super::upstream::{
    build_client, build_pool, load_pem_certs, parse_upstream, Upstream, UpstreamClient,
};
use crate::diag::Diag;
use crate::proto::Descriptors;

pub struct Adapter {
    pub name: String,
    pub kind: AdapterKind,
    pub upstream: Upstream,
    pub credential: Option<(HeaderName, HeaderValue)>,
    pub timeout: Duration,
    pub client: UpstreamClient,
    /// `http://` upstreams: the connections the forward stage uses instead of `client`'s
    /// (`config::pool`); `None` for `https://`.
    pub pool: Option<Http1Pool>,
    routes: HashMap<Method, matchit::Router<usize>>,
    /// HTTP: the declared tools. MCP: per-tool overrides (schema, cost, risk) of what the
    /// server lists.
    pub tools: Vec<Tool>,
    /// MCP: re-pin changed tool definitions on sight (`pin: auto`).
    pub pin_auto: bool,
    /// `mode:` of the adapter, when set (it wins over the config's).
    pub mode: Option<Mode>,
    /// `kind: grpc`: descriptors, methods, the HTTP/2 client.
    pub grpc: Option<GrpcAdapter>,
    /// The adapter file.
    pub file: PathBuf,
    /// The JSON Schema each of `tools` is validated with (`toolwall adapters describe`): a
    /// gRPC tool's derived schema, `allOf` with its explicit one when given.
    pub schemas: Vec<Option<serde_json::Value>>,
}

/// How a string from a form, query or path parameter is typed before schema and policy see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Integer,
    Number,
    Boolean,
}

pub struct Tool {
    pub name: String,
    /// `name`, interned for metric labels.
    pub label: &'static str,
    pub method: Method,
    pub path: String,
    pub args_from: ArgsFrom,
    pub schema: Option<jsonschema::Validator>,
    /// Schema id shown to policy and audit: the file path or `inline`.
    pub schema_ref: Option<String>,
    pub coerce: HashMap<String, Scalar>,
    /// What a 2xx answer must match (HTTP `response_schema`), checked by `stage::response`.
    pub response_schema: Option<jsonschema::Validator>,
    pub cost_usd: f64,
    /// JSON pointer to the real cost (USD) in the response.
    pub cost_pointer: Option<String>,
    pub read_only: bool,
    pub risk: serde_json::Value,
    /// The tool's `mode:`, else its adapter's, when either is set (it wins over the config's).
    pub mode: Option<Mode>,
    /// `dry_run: true`: decided and audited, never forwarded; the agent gets the proposal.
    pub dry_run: bool,
    /// Idempotent writes (`idempotency:`), when on.
    pub idempotency: Option<Idempotency>,
    /// A gRPC adapter's tool: its method.
    pub grpc: Option<super::grpc::GrpcMethod>,
    /// `input.tool` as a shared part, built when the adapter is compiled (`None` for a tool
    /// made elsewhere: `stage::policy` builds it then).
    pub input_part: Option<ToolPart>,
}

/// A tool's `input.tool` ([`tool_part`]), with the adapter's name and kind it was
/// built for: built once per configuration (a reload compiles new tools) instead of compared
/// field by field on every call (docs/performance.md, "Twenty-fifth round").
pub struct ToolPart {
    pub adapter: String,
    pub kind: AdapterKind,
    pub part: std::sync::Arc<crate::policy::Shared>,
}

/// The policy input's `input.tool` for `tool` in the adapter named `adapter` of `kind`: its
/// name, the adapter's name and kind, `read_only` and `risk` (`stage::policy` builds the
/// input; the configuration keeps it built per tool, [`tool_part`]).
pub fn tool_value(adapter: &str, kind: AdapterKind, tool: &Tool) -> serde_json::Value {
    serde_json::json!({
        "name": tool.name,
        "adapter": adapter,
        "kind": kind.as_str(),
        "read_only": tool.read_only,
        "risk": tool.risk,
    })
}

/// `input.tool` of `tool` in the adapter named `adapter` of `kind`, as a shared part: what the
/// configuration keeps in [`Tool::input_part`] when it compiles the adapter.
pub fn tool_part(
    adapter: &str,
    kind: AdapterKind,
    tool: &Tool,
) -> std::sync::Arc<crate::policy::Shared> {
    crate::policy::Shared::new(tool_value(adapter, kind, tool))
}

/// A tool's idempotent writes: how a key is chosen and how long its first answer is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idempotency {
    pub mode: IdempotencyMode,
    pub window: Duration,
}

/// `idempotency_window` when not written.
pub const DEFAULT_IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The longest `idempotency_window`.
pub const MAX_IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

impl Adapter {
    /// Find the tool declared for `method` + `path`, with its path parameters.
    pub fn match_tool<'p>(
        &self,
        method: &Method,
        path: &'p str,
    ) -> Option<(usize, Vec<(String, &'p str)>)> {
        let router = self.routes.get(method)?;
        let m = router.at(path).ok()?;
        let params = m.params.iter().map(|(k, v)| (k.to_string(), v)).collect();
        Some((*m.value, params))
    }
}

/// Every `*.yaml` / `*.yml` adapter of `dir` (the config's `adapters:`, whose value `src`
/// locates when the directory cannot be read).
pub fn load_adapters(
    src: &Located,
    dir: &Path,
    strict_env: bool,
    hasher: &mut Sha256,
    diags: &mut Vec<Diag>,
    warnings: &mut Vec<Diag>,
) -> Vec<Adapter> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect(),
        Err(source) => {
            diags.push(src.at(
                "adapters",
                ConfigError::AdapterDir {
                    path: dir.display().to_string(),
                    source,
                },
            ));
            return Vec::new();
        }
    };
    files.sort();
    let mut adapters: Vec<Adapter> = Vec::new();
    let mut tool_names: HashMap<String, PathBuf> = HashMap::new();
    // a gRPC service → the adapter guarding it and its file
    let mut grpc_services: HashMap<String, (String, PathBuf)> = HashMap::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diag::file(&file, format!("cannot read: {e}")));
                continue;
            }
        };
        // the name inside the adapter directory: the version does not depend on where it is
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        hasher.update(name.unwrap_or_default().as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        let mut raw: RawAdapter = match parse_yaml(&file, &text) {
            Ok(r) => r,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let file_ref: &Path = &file;
        let spans = Spans::parse(&text);
        // a diagnostic at the value a YAML path names (or its nearest written ancestor)
        let at = |path: &str| {
            let (l, c) = spans.get(path);
            move |e: ConfigError| Diag::at(file_ref, l, c, e.to_string())
        };
        if adapters.iter().any(|a| a.name == raw.name) {
            diags.push(at("name")(ConfigError::AdapterNameTaken(raw.name.clone())));
            continue;
        }
        if raw.name.is_empty() || raw.name.contains(['/', '.', ' ']) {
            diags.push(at("name")(ConfigError::AdapterName(raw.name.clone())));
            continue;
        }
        // a diagnostic for an error that names the YAML path of its value
        let diag = |e: AtPath| at(&e.path)(e.error);
        let upstream = match parse_upstream(&raw.upstream) {
            Ok(u) => u,
            Err(e) => {
                diags.push(diag(e));
                continue;
            }
        };
        if adapters.iter().any(|a| {
            a.upstream
                .authority
                .eq_ignore_ascii_case(&upstream.authority)
        }) {
            diags.push(at("upstream")(ConfigError::UpstreamTaken(
                upstream.authority.clone(),
            )));
            continue;
        }
        let timeout = match raw.timeout.as_deref().map(humantime::parse_duration) {
            None => DEFAULT_TIMEOUT,
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                diags.push(at("timeout")(ConfigError::Timeout(e)));
                continue;
            }
        };
        let credential = match &raw.credentials {
            None => None,
            Some(c) => {
                let name = match HeaderName::from_bytes(c.header.as_bytes()) {
                    Ok(n) => n,
                    Err(_) => {
                        diags.push(at("credentials.header")(ConfigError::CredentialHeader(
                            c.header.clone(),
                        )));
                        continue;
                    }
                };
                match std::env::var(&c.env) {
                    Ok(secret) => match HeaderValue::from_str(&format!("{}{}", c.prefix, secret)) {
                        Ok(mut v) => {
                            v.set_sensitive(true);
                            Some((name, v))
                        }
                        Err(_) => {
                            diags.push(at("credentials.env")(ConfigError::CredentialValue(
                                c.env.clone(),
                            )));
                            continue;
                        }
                    },
                    Err(_) => {
                        let d =
                            at("credentials.env")(ConfigError::CredentialEnvUnset(c.env.clone()));
                        if strict_env {
                            diags.push(d);
                            continue;
                        }
                        warnings.push(d);
                        None
                    }
                }
            }
        };
        let extra_ca = match raw.tls.as_ref().and_then(|t| t.ca.as_ref()) {
            None => None,
            Some(ca) => {
                let p = file.parent().unwrap_or(Path::new(".")).join(ca);
                match load_pem_certs(&p) {
                    Ok(certs) => Some(certs),
                    Err(e) => {
                        diags.push(at("tls.ca")(ConfigError::Ca(e)));
                        continue;
                    }
                }
            }
        };
        let client = match build_client(extra_ca.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                diags.push(diag(e));
                continue;
            }
        };
        let grpc = if raw.kind == AdapterKind::Grpc {
            let loaded =
                super::grpc::load_descriptors(&file, &raw, &upstream, extra_ca.as_deref(), hasher)
                    .and_then(|d| Ok((d, super::grpc::build_grpc_client(extra_ca.as_deref())?)));
            match loaded {
                Ok(found) => Some(found),
                Err(e) => {
                    diags.push(diag(e));
                    continue;
                }
            }
        } else {
            let stray = [
                ("descriptor_set", raw.descriptor_set.is_some()),
                ("reflection", raw.reflection.is_some()),
                ("unknown_fields", raw.unknown_fields.is_some()),
            ];
            if let Some((key, _)) = stray.into_iter().find(|(_, set)| *set) {
                diags.push(at(key)(ConfigError::GrpcKeyOnOtherKind {
                    key,
                    kind: raw.kind.as_str(),
                }));
                continue;
            }
            None
        };
        let descriptors = grpc.as_ref().map(|(d, _)| d);

        let mut routes: HashMap<Method, matchit::Router<usize>> = HashMap::new();
        let mut tools = Vec::new();
        let mut schemas = Vec::new();
        let mut methods: HashMap<String, usize> = HashMap::new();
        let mut services: Vec<String> = Vec::new();
        let raw_tools = std::mem::take(&mut raw.tools);
        for (i, rt) in raw_tools.into_iter().enumerate() {
            // `sub`: the path below this tool, e.g. `.match.path` (`tools[3].match.path`)
            let at_tool = |sub: &str| at(&format!("tools[{i}]{sub}"));
            // the most specific `mode` wins: the tool's, else its adapter's (else the config's)
            let tool = compile_tool(&file, &raw.name, raw.kind, descriptors, rt, &at_tool).map(
                |(t, schema)| {
                    (
                        Tool {
                            mode: t.mode.or(raw.mode),
                            ..t
                        },
                        schema,
                    )
                },
            );
            match tool {
                Ok((tool, schema)) if raw.kind == AdapterKind::Mcp => {
                    if tools.iter().any(|t: &Tool| t.name == tool.name) {
                        diags.push(at_tool(".name")(ConfigError::ToolTwice(tool.name)));
                        continue;
                    }
                    tools.push(tool);
                    schemas.push(schema);
                }
                Ok((tool, schema)) => {
                    if let Some(other) = tool_names.get(&tool.name) {
                        diags.push(at_tool(".name")(ConfigError::ToolElsewhere {
                            tool: tool.name,
                            other: other.display().to_string(),
                        }));
                        continue;
                    }
                    if let Some(g) = &tool.grpc {
                        if methods.contains_key(&g.path) {
                            diags.push(at_tool(".match.method")(ConfigError::GrpcMethodTwice {
                                service: g.service.clone(),
                                method: g.method.clone(),
                            }));
                            continue;
                        }
                        match grpc_services.get(&g.service) {
                            Some((adapter, other)) if *adapter != raw.name => {
                                diags.push(at_tool(".match.service")(
                                    ConfigError::GrpcServiceTaken {
                                        service: g.service.clone(),
                                        adapter: adapter.clone(),
                                        file: other.display().to_string(),
                                    },
                                ));
                                continue;
                            }
                            Some(_) => {}
                            None => {
                                grpc_services
                                    .insert(g.service.clone(), (raw.name.clone(), file.clone()));
                                services.push(g.service.clone());
                            }
                        }
                        methods.insert(g.path.clone(), tools.len());
                    }
                    let router = routes.entry(tool.method.clone()).or_default();
                    if let Err(source) = router.insert(tool.path.clone(), tools.len()) {
                        diags.push(at_tool(".match.path")(ConfigError::PathConflict {
                            path: tool.path,
                            method: tool.method,
                            source,
                        }));
                        continue;
                    }
                    tool_names.insert(tool.name.clone(), file.clone());
                    tools.push(tool);
                    schemas.push(schema);
                }
                Err(d) => diags.push(d),
            }
        }
        let grpc = grpc.map(|(descriptors, client)| GrpcAdapter {
            descriptors,
            methods,
            services,
            deny_unknown_fields: raw.unknown_fields.unwrap_or_default() == UnknownFields::Refuse,
            reflection: raw.reflection == Some(true),
            client,
        });
        let pool = build_pool(&upstream);
        for t in &mut tools {
            t.input_part = Some(ToolPart {
                adapter: raw.name.clone(),
                kind: raw.kind,
                part: tool_part(&raw.name, raw.kind, t),
            });
        }
        adapters.push(Adapter {
            name: raw.name,
            kind: raw.kind,
            upstream,
            credential,
            timeout,
            client,
            pool,
            routes,
            tools,
            pin_auto: raw.pin == PinMode::Auto,
            mode: raw.mode,
            grpc,
            file: file.clone(),
            schemas,
        });
    }
    adapters
}

/// One tool of an adapter and the JSON Schema its validator was compiled from.
fn compile_tool<F, G>(
    file: &Path,
    adapter: &str,
    kind: AdapterKind,
    descriptors: Option<&Descriptors>,
    rt: RawTool,
    at: &F,
) -> Result<(Tool, Option<serde_json::Value>), Diag>
where
    F: Fn(&str) -> G,
    G: FnOnce(ConfigError) -> Diag,
{
    let name = if rt.name.starts_with(&format!("{adapter}.")) {
        rt.name.clone()
    } else {
        format!("{adapter}.{}", rt.name)
    };
    let mut grpc = None;
    let (method, path) = match (&rt.match_, kind) {
        (Some(m), AdapterKind::Http) => {
            if m.service.is_some() {
                return Err(at(".match.service")(ConfigError::MatchServiceOnHttp));
            }
            let (Some(method), Some(path)) = (&m.method, &m.path) else {
                let missing = if m.method.is_none() { "method" } else { "path" };
                return Err(at(".match")(ConfigError::MatchFieldMissing(missing)));
            };
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| at(".match.method")(ConfigError::Method(method.clone())))?;
            if !path.starts_with('/') {
                return Err(at(".match.path")(ConfigError::PathSlash(path.clone())));
            }
            (method, path.clone())
        }
        (None, AdapterKind::Http) => return Err(at("")(ConfigError::MatchRequired(name))),
        (Some(m), AdapterKind::Grpc) => {
            let g = super::grpc::compile_match(m, descriptors, at)?;
            let path = g.path.clone();
            grpc = Some(g);
            (Method::POST, path)
        }
        (None, AdapterKind::Grpc) => return Err(at("")(ConfigError::GrpcMatchRequired(name))),
        (Some(_), AdapterKind::Mcp) => return Err(at(".match")(ConfigError::MatchOnMcp(name))),
        (None, AdapterKind::Mcp) => (Method::POST, String::new()),
    };
    if grpc.is_some() {
        let stray = [
            ("args", rt.args.is_some()),
            ("response_schema", rt.response_schema.is_some()),
            ("idempotency", rt.idempotency.is_some()),
            ("idempotency_window", rt.idempotency_window.is_some()),
            ("cost_from_response", rt.cost_from_response.is_some()),
        ];
        if let Some((key, _)) = stray.into_iter().find(|(_, set)| *set) {
            return Err(at(&format!(".{key}"))(ConfigError::GrpcToolKey {
                tool: name,
                key,
            }));
        }
    }
    let (schema_value, schema_ref) = match &rt.schema {
        None => (None, None),
        Some(yaml_serde::Value::String(rel)) => {
            let p = file.parent().unwrap_or(Path::new(".")).join(rel);
            super::watch::note_file(&p);
            let text = std::fs::read_to_string(&p).map_err(|source| {
                at(".schema")(ConfigError::SchemaRead {
                    rel: rel.clone(),
                    source,
                })
            })?;
            let v = crate::json::parse_strict(text.as_bytes(), 128)
                .map_err(|e| json_file_diag(&p, e, ConfigError::SchemaJson))?;
            (Some(v), Some(rel.clone()))
        }
        Some(inline) => {
            let v = serde_json::to_value(inline)
                .map_err(|e| at(".schema")(ConfigError::InlineSchema(e)))?;
            (Some(v), Some("inline".to_string()))
        }
    };
    // a gRPC tool: the schema derived from its request message, and the explicit one
    let (schema_value, schema_ref) = match &grpc {
        None => (schema_value, schema_ref),
        Some(g) => {
            let input = g.desc.input();
            let derived = crate::proto::schema::derive(&input);
            match schema_value {
                None => (Some(derived), Some(format!("grpc:{}", input.full_name()))),
                Some(mut explicit) => {
                    // its own base, so its `#…` references stay its own inside `allOf`
                    if let Some(o) = explicit.as_object_mut() {
                        if !o.contains_key("$id") {
                            let safe: String = name
                                .chars()
                                .map(|c| match c {
                                    'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
                                    _ => '_',
                                })
                                .collect();
                            let id = format!("urn:toolwall:schema:{safe}");
                            o.insert("$id".into(), serde_json::Value::String(id));
                        }
                    }
                    (
                        Some(serde_json::json!({"allOf": [derived, explicit]})),
                        schema_ref,
                    )
                }
            }
        }
    };
    let schema = match &schema_value {
        None => None,
        Some(v) => Some(jsonschema::draft202012::new(v).map_err(|e| {
            at(".schema")(ConfigError::InvalidSchema {
                tool: name.clone(),
                message: e.to_string(),
            })
        })?),
    };
    let coerce = match &grpc {
        None => schema_value.as_ref().map(coercions).unwrap_or_default(),
        Some(_) => HashMap::new(),
    };
    let response_schema =
        compile_response_schema(file, &name, kind, rt.response_schema.as_ref(), at)?;
    if let Some(cost) = rt.cost_usd {
        if !(cost.is_finite() && cost >= 0.0) {
            return Err(at(".cost_usd")(ConfigError::CostUsd(name)));
        }
    }
    if let Some(p) = &rt.cost_from_response {
        if !(p.is_empty() || p.starts_with('/')) {
            return Err(at(".cost_from_response")(ConfigError::CostPointer {
                tool: name,
                pointer: p.clone(),
            }));
        }
        // The estimate is what concurrent calls reserve: without one they would all be
        // admitted while the budget still has any room (spend bounded only by concurrency).
        if !rt.cost_usd.is_some_and(|c| c > 0.0) {
            return Err(at(".cost_from_response")(ConfigError::CostNeedsEstimate(
                name,
            )));
        }
    }
    let idempotency = compile_idempotency(kind, &rt, at)?;
    let mut risk = serde_json::Map::new();
    for (k, v) in rt.risk {
        risk.insert(k, v);
    }
    let tool = Tool {
        label: crate::metrics::intern(&name),
        name,
        method,
        path,
        args_from: rt.args.unwrap_or_default(),
        schema,
        schema_ref,
        coerce,
        response_schema,
        cost_usd: rt.cost_usd.unwrap_or(0.0),
        cost_pointer: rt.cost_from_response.clone(),
        read_only: rt.read_only,
        risk: serde_json::Value::Object(risk),
        mode: rt.mode,
        dry_run: rt.dry_run,
        idempotency,
        grpc,
        input_part: None,
    };
    Ok((tool, schema_value))
}

/// A tool's `idempotency:` and `idempotency_window:` (HTTP adapters only).
fn compile_idempotency<F, G>(
    kind: AdapterKind,
    rt: &RawTool,
    at: &F,
) -> Result<Option<Idempotency>, Diag>
where
    F: Fn(&str) -> G,
    G: FnOnce(ConfigError) -> Diag,
{
    let Some(mode) = rt.idempotency else {
        return match rt.idempotency_window {
            Some(_) => Err(at(".idempotency_window")(
                ConfigError::IdempotencyWindowAlone,
            )),
            None => Ok(None),
        };
    };
    if kind != AdapterKind::Http {
        return Err(at(".idempotency")(ConfigError::IdempotencyOnMcp));
    }
    let window = match rt.idempotency_window.as_deref() {
        None => DEFAULT_IDEMPOTENCY_WINDOW,
        Some(text) => {
            let d = humantime::parse_duration(text)
                .map_err(|e| at(".idempotency_window")(ConfigError::IdempotencyWindow(e)))?;
            if d < Duration::from_secs(1) || d > MAX_IDEMPOTENCY_WINDOW {
                return Err(at(".idempotency_window")(
                    ConfigError::IdempotencyWindowRange(text.to_string()),
                ));
            }
            d
        }
    };
    Ok(Some(Idempotency { mode, window }))
}

/// A tool's `response_schema:`, resolved as `schema:` (a path relative to the adapter file,
/// or inline) and compiled once here: a request never compiles a schema.
fn compile_response_schema<F, G>(
    file: &Path,
    name: &str,
    kind: AdapterKind,
    raw: Option<&yaml_serde::Value>,
    at: &F,
) -> Result<Option<jsonschema::Validator>, Diag>
where
    F: Fn(&str) -> G,
    G: FnOnce(ConfigError) -> Diag,
{
    let Some(raw) = raw else {
        return Ok(None);
    };
    if kind != AdapterKind::Http {
        return Err(at(".response_schema")(ConfigError::ResponseSchemaOnMcp(
            name.to_string(),
        )));
    }
    let value = match raw {
        yaml_serde::Value::String(rel) => {
            let p = file.parent().unwrap_or(Path::new(".")).join(rel);
            super::watch::note_file(&p);
            let text = std::fs::read_to_string(&p).map_err(|source| {
                at(".response_schema")(ConfigError::ResponseSchemaRead {
                    rel: rel.clone(),
                    source,
                })
            })?;
            crate::json::parse_strict(text.as_bytes(), 128)
                .map_err(|e| json_file_diag(&p, e, ConfigError::ResponseSchemaJson))?
        }
        inline => serde_json::to_value(inline)
            .map_err(|e| at(".response_schema")(ConfigError::InlineResponseSchema(e)))?,
    };
    jsonschema::draft202012::new(&value).map(Some).map_err(|e| {
        at(".response_schema")(ConfigError::InvalidResponseSchema {
            tool: name.to_string(),
            message: e.to_string(),
        })
    })
}

/// A JSON file (a schema) that does not parse, at the line and column the parser names.
fn json_file_diag(
    file: &Path,
    e: crate::json::JsonError,
    make: impl FnOnce(String) -> ConfigError,
) -> Diag {
    // serde_json ends its messages with ` at line L column C`
    let msg = e.to_string();
    let (text, pos) = match msg.rsplit_once(" at line ") {
        Some((text, tail)) => {
            let pos = tail.split_once(" column ").and_then(|(l, c)| {
                Some((
                    l.trim().parse::<usize>().ok()?,
                    c.trim().parse::<usize>().ok()?,
                ))
            });
            (text.to_string(), pos)
        }
        None => (msg.clone(), None),
    };
    match pos {
        Some((line, col)) => Diag::at(file, line, col, make(text).to_string()),
        None => Diag::file(file, make(msg).to_string()),
    }
}

/// Top-level properties whose declared type is integer, number or boolean.
fn coercions(schema: &serde_json::Value) -> HashMap<String, Scalar> {
    let mut out = HashMap::new();
    let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
        return out;
    };
    for (name, prop) in props {
        let types: Vec<&str> = match prop.get("type") {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|t| t.as_str()).collect(),
            _ => continue,
        };
        if types.contains(&"string") {
            continue;
        }
        let scalar = if types.contains(&"integer") {
            Scalar::Integer
        } else if types.contains(&"number") {
            Scalar::Number
        } else if types.contains(&"boolean") {
            Scalar::Boolean
        } else {
            continue;
        };
        out.insert(name.clone(), scalar);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercions_from_schema() {
        let s = serde_json::json!({"properties": {
            "amount": {"type": "integer"}, "rate": {"type": ["number", "null"]},
            "live": {"type": "boolean"}, "id": {"type": "string"}, "either": {"type": ["string", "integer"]}}});
        let c = coercions(&s);
        assert_eq!(c.get("amount"), Some(&Scalar::Integer));
        assert_eq!(c.get("rate"), Some(&Scalar::Number));
        assert_eq!(c.get("live"), Some(&Scalar::Boolean));
        assert_eq!(c.get("id"), None);
        assert_eq!(c.get("either"), None);
    }
}
