//! `toolwall adapters import-openapi SPEC --name N`: an HTTP adapter and one JSON Schema per
//! operation from an OpenAPI 3.0 or 3.1 document (YAML or JSON).
//!
//! Each operation becomes a tool whose schema is the one argument object toolwall builds for a
//! call (`stage::args`): path parameters, query parameters and the body's fields merged, closed
//! with `additionalProperties: false`. What toolwall cannot carry faithfully (multipart and
//! other bodies, cookie parameters, array or object values in a query string or form, …) is
//! never widened into something looser: the operation is skipped, or an optional field left
//! out (so calls that send it are refused), with a warning on stderr naming the operation.
//! Everything is computed before anything is written, and files are written to a staging
//! directory and renamed into place, so a failed import leaves nothing behind.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::{EXIT_OK, EXIT_USAGE};
use crate::diag::Diag;

/// The HTTP methods of an OpenAPI path item, in the specification's order.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How many schema nodes one operation may expand to once `$ref`s are inlined: a guard
/// against documents whose references fan out into enormous schemas.
const SCHEMA_BUDGET: usize = 20_000;

/// The command's arguments.
#[derive(Debug)]
pub struct ImportArgs {
    pub spec: PathBuf,
    pub name: String,
    pub include: Option<String>,
    pub out: PathBuf,
    pub upstream: Option<String>,
    pub force: bool,
    pub allow_additional: bool,
}

/// `toolwall adapters import-openapi`: exit 0 when the adapter was written (warnings on
/// stderr), 2 on a usage error, an invalid document, or a file that would be overwritten.
pub fn import(args: &ImportArgs) -> i32 {
    if !valid_name(&args.name) {
        eprintln!(
            "--name `{}`: an adapter name is letters, digits, `_` and `-`, starting with a \
             letter or digit",
            args.name
        );
        return EXIT_USAGE;
    }
    let include = match args.include.as_deref().map(regex::Regex::new) {
        None => None,
        Some(Ok(re)) => Some(re),
        Some(Err(e)) => {
            eprintln!("--include: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(u) = &args.upstream {
        if let Err(e) = crate::config::upstream::parse_upstream(u) {
            eprintln!("--upstream: {}", e.error);
            return EXIT_USAGE;
        }
    }
    let doc = match load_document(&args.spec) {
        Ok(d) => d,
        Err(d) => {
            eprintln!("{d}");
            return EXIT_USAGE;
        }
    };
    let source = args
        .spec
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.spec.display().to_string());
    let opts = Options {
        name: &args.name,
        include: include.as_ref(),
        upstream: args.upstream.as_deref(),
        allow_additional: args.allow_additional,
        source: &source,
    };
    let converted = match convert(&doc, &opts) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{}", Diag::file(&args.spec, msg));
            return EXIT_USAGE;
        }
    };
    for w in &converted.warnings {
        eprintln!("warning: {}: {w}", args.spec.display());
    }
    let mut files: Vec<(PathBuf, String)> = converted
        .schemas
        .iter()
        .map(|(file, schema)| {
            let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
            text.push('\n');
            (Path::new("schemas").join(file), text)
        })
        .collect();
    // the adapter last: it is renamed into place after every schema it names
    files.push((
        PathBuf::from(format!("{}.yaml", args.name)),
        converted.adapter_yaml.clone(),
    ));
    if let Err(msg) = write_files(&args.out, &files, args.force) {
        eprintln!("{msg}");
        return EXIT_USAGE;
    }
    println!(
        "wrote {}: {} tool(s), their schemas in {}; {} operation(s) skipped{}",
        args.out.join(format!("{}.yaml", args.name)).display(),
        converted.schemas.len(),
        args.out.join("schemas").display(),
        converted.skipped,
        if converted.skipped > 0 {
            " (see the warnings)"
        } else {
            ""
        }
    );
    EXIT_OK
}

/// An adapter name that is also a safe file name and URL segment.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The document as JSON: `.json` files (or text starting with `{`) by the strict JSON parser,
/// everything else as YAML; a duplicate key is an error in both.
pub fn load_document(path: &Path) -> Result<Value, Diag> {
    let bytes = std::fs::read(path).map_err(|e| Diag::file(path, format!("cannot read: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| Diag::file(path, "the document is not UTF-8 text"))?;
    let json = path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    if json {
        return crate::json::parse_strict(text.as_bytes(), 512).map_err(|e| {
            // serde_json ends its messages with ` at line L column C`
            let msg = e.to_string();
            let pos = msg.rsplit_once(" at line ").and_then(|(text, tail)| {
                let (l, c) = tail.split_once(" column ")?;
                Some((
                    text.to_string(),
                    l.trim().parse().ok()?,
                    c.trim().parse().ok()?,
                ))
            });
            match pos {
                Some((text, line, col)) => {
                    Diag::at(path, line, col, format!("invalid JSON: {text}"))
                }
                None => Diag::file(path, format!("invalid JSON: {msg}")),
            }
        });
    }
    let mut yaml: yaml_serde::Value = crate::config::compile::parse_yaml(path, &text)?;
    yaml.apply_merge()
        .map_err(|e| Diag::file(path, format!("YAML merge keys: {e}")))?;
    yaml_to_json(yaml).map_err(|msg| Diag::file(path, msg))
}

/// A YAML value as JSON: scalar keys become strings (`200:` is `"200"`), tags are dropped.
fn yaml_to_json(v: yaml_serde::Value) -> Result<Value, String> {
    use yaml_serde::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("the number {n} has no JSON form"))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("a mapping key is not a scalar: {other:?}")),
                };
                if out.insert(key.clone(), yaml_to_json(v)?).is_some() {
                    return Err(format!("the key `{key}` is given twice in one mapping"));
                }
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}

/// What the conversion needs besides the document.
pub struct Options<'a> {
    pub name: &'a str,
    pub include: Option<&'a regex::Regex>,
    /// Instead of the document's `servers[0].url`.
    pub upstream: Option<&'a str>,
    pub allow_additional: bool,
    /// The document's file name, for the generated comment.
    pub source: &'a str,
}

/// The files of one import, before anything is written.
#[derive(Debug)]
pub struct Converted {
    pub adapter_yaml: String,
    /// `schemas/` file name → its schema, one per tool in tool order.
    pub schemas: Vec<(String, Value)>,
    pub warnings: Vec<String>,
    /// Operations matched by `--include` and not imported.
    pub skipped: usize,
}

/// Why an operation did not become a tool.
#[derive(Debug)]
enum OpError {
    /// toolwall cannot express it faithfully: left out with a warning.
    Skip(String),
    /// The document is wrong: the import fails.
    Invalid(String),
}

use OpError::{Invalid, Skip};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V30,
    V31,
}

/// One generated tool.
struct ToolOut {
    /// `<adapter>.<operation>`.
    name: String,
    method: String,
    path: String,
    args: &'static str,
    read_only: bool,
    schema: Value,
    /// Comment lines above the tool: its summary and what toolwall does not check.
    notes: Vec<String>,
}

/// Convert the document: the adapter YAML, the schemas and the warnings. An `Err` is a
/// message about the document (shown as `file: message`).
pub fn convert(doc: &Value, opts: &Options) -> Result<Converted, String> {
    let version = match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v == "3.0" || v.starts_with("3.0.") => Version::V30,
        Some(v) if v == "3.1" || v.starts_with("3.1.") => Version::V31,
        Some(v) => return Err(format!("OpenAPI {v} is not supported (3.0 and 3.1 are)")),
        None if doc.get("swagger").is_some() => {
            return Err(
                "a Swagger 2.0 document: convert it to OpenAPI 3 first (swagger2openapi, \
                 or the Swagger Editor's converter)"
                    .into(),
            )
        }
        None => return Err("not an OpenAPI 3.0 or 3.1 document (no `openapi: 3.x` field)".into()),
    };
    let upstream = match opts.upstream {
        Some(u) => u.to_string(),
        None => server_url(doc)?,
    };
    let no_paths = Map::new();
    let paths = match doc.get("paths") {
        Some(Value::Object(p)) => p,
        None => &no_paths,
        Some(_) => return Err("`paths` is not a mapping".into()),
    };
    let mut tools: Vec<ToolOut> = Vec::new();
    let mut warnings = Vec::new();
    let mut skipped_lines = Vec::new();
    let mut matched = 0usize;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut routers: HashMap<String, matchit::Router<()>> = HashMap::new();
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        if !path.starts_with('/') {
            return Err(format!("paths: `{path}` does not start with `/`"));
        }
        let item = match deref(doc, item) {
            Ok(item) => item,
            Err(Skip(why)) => {
                warnings.push(format!("{path} skipped: {why}"));
                skipped_lines.push(format!("{path}: {why}"));
                continue;
            }
            Err(Invalid(why)) => return Err(format!("paths.{path}: {why}")),
        };
        if !item.is_object() {
            return Err(format!("paths.{path} is not a mapping"));
        }
        for method in METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let upper = method.to_ascii_uppercase();
            let op_id = op.get("operationId").and_then(Value::as_str);
            let label = match op_id {
                Some(id) => format!("{upper} {path} ({id})"),
                None => format!("{upper} {path}"),
            };
            if let Some(re) = opts.include {
                if !(op_id.is_some_and(|id| re.is_match(id)) || re.is_match(path)) {
                    continue;
                }
            }
            matched += 1;
            let stem = op_id
                .map(snake_case)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| snake_case(&format!("{method} {path}")));
            let tool_name = format!("{}.{stem}", opts.name);
            let mut op_warnings = Vec::new();
            let built = build_operation(
                doc,
                version,
                opts,
                &tool_name,
                (&upper, path),
                item,
                op,
                &mut op_warnings,
            )
            .and_then(|t| {
                if let Some(other) = names.get(&t.name) {
                    return Err(Skip(format!(
                        "its tool name `{}` is taken by {other}",
                        t.name
                    )));
                }
                let router = routers.entry(upper.clone()).or_default();
                router.insert(path.clone(), ()).map_err(|e| {
                    Skip(format!(
                        "toolwall cannot route its path next to the others: {e}"
                    ))
                })?;
                Ok(t)
            });
            match built {
                Ok(tool) => {
                    warnings.extend(op_warnings.into_iter().map(|w| format!("{label}: {w}")));
                    names.insert(tool.name.clone(), label);
                    tools.push(tool);
                }
                Err(Skip(why)) => {
                    warnings.push(format!("{label} skipped: {why}"));
                    skipped_lines.push(format!("{label}: {why}"));
                }
                Err(Invalid(why)) => return Err(format!("{label}: {why}")),
            }
        }
    }
    if tools.is_empty() {
        return Err(match (matched, opts.include) {
            (0, Some(re)) => format!("no operation's operationId or path matches --include `{re}`"),
            (0, None) => "the document has no operations".into(),
            _ => format!(
                "none of its {matched} operation(s) can be imported:\n  {}",
                skipped_lines.join("\n  ")
            ),
        });
    }
    let adapter_yaml = adapter_yaml(doc, opts, &upstream, &tools, &skipped_lines);
    let schemas = tools
        .into_iter()
        .map(|t| (format!("{}.json", t.name), t.schema))
        .collect();
    Ok(Converted {
        adapter_yaml,
        schemas,
        warnings,
        skipped: skipped_lines.len(),
    })
}

/// `servers[0].url` with its variables set to their defaults; it must be absolute.
fn server_url(doc: &Value) -> Result<String, String> {
    let Some(server) = doc.get("servers").and_then(|s| s.get(0)) else {
        return Err(
            "the document names no `servers`: give the upstream with --upstream URL".into(),
        );
    };
    let Some(raw) = server.get("url").and_then(Value::as_str) else {
        return Err("servers[0] has no `url`".into());
    };
    let mut url = String::new();
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        url.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("servers[0].url `{raw}`: an unclosed `{{`"));
        };
        let var = &rest[open + 1..open + close];
        let value = server
            .get("variables")
            .and_then(|v| v.get(var))
            .and_then(|v| v.get("default"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!("servers[0].url `{raw}`: the variable `{var}` has no default")
            })?;
        url.push_str(value);
        rest = &rest[open + close + 1..];
    }
    url.push_str(rest);
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "servers[0].url `{raw}` is not an absolute http(s) URL: give the upstream with \
             --upstream URL"
        ));
    }
    crate::config::upstream::parse_upstream(&url)
        .map_err(|e| format!("servers[0].url `{raw}`: {}", e.error))?;
    Ok(url)
}

/// One argument of the merged object.
struct Arg {
    schema: Value,
    required: bool,
    /// `path`, `query` or `body`.
    from: &'static str,
}

/// One operation as a tool, or why not.
#[allow(clippy::too_many_arguments)]
fn build_operation(
    doc: &Value,
    version: Version,
    opts: &Options,
    tool_name: &str,
    (method, path): (&str, &str),
    item: &Value,
    op: &Value,
    warnings: &mut Vec<String>,
) -> Result<ToolOut, OpError> {
    if !op.is_object() {
        return Err(Invalid("the operation is not a mapping".into()));
    }
    for servers in [item.get("servers"), op.get("servers")]
        .into_iter()
        .flatten()
    {
        if servers.as_array().is_some_and(|s| !s.is_empty()) {
            return Err(Skip(
                "it names its own `servers`, and an adapter has one upstream".into(),
            ));
        }
    }
    let mut cx = Schemas::new(doc, version);
    let mut notes = Vec::new();
    let summary = op
        .get("summary")
        .or_else(|| op.get("description"))
        .and_then(Value::as_str)
        .map(|s| one_line(&strip_tags(s), 100))
        .filter(|s| !s.is_empty());
    if let Some(s) = &summary {
        notes.push(s.clone());
    }
    if op.get("deprecated") == Some(&Value::Bool(true)) {
        notes.push("deprecated".into());
    }

    // path-item parameters, overridden by the operation's own of the same name and location
    let mut params: Vec<&Value> = Vec::new();
    let mut keys: Vec<(String, String)> = Vec::new();
    for list in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
    {
        let list = list
            .as_array()
            .ok_or_else(|| Invalid("`parameters` is not a list".into()))?;
        for p in list {
            let p = deref(doc, p)?;
            let name = p.get("name").and_then(Value::as_str);
            let loc = p.get("in").and_then(Value::as_str);
            let (Some(name), Some(loc)) = (name, loc) else {
                return Err(Invalid("a parameter without `name` or `in`".into()));
            };
            let key = (name.to_string(), loc.to_string());
            match keys.iter().position(|k| *k == key) {
                Some(i) => params[i] = p,
                None => {
                    keys.push(key);
                    params.push(p);
                }
            }
        }
    }

    let template = template_names(path)?;
    let mut args: Vec<(String, Arg)> = Vec::new();
    let mut headers = Vec::new();
    for (p, (name, loc)) in params.iter().zip(&keys) {
        match loc.as_str() {
            "cookie" => {
                return Err(Skip(format!(
                    "cookie parameter `{name}`: toolwall does not take arguments from cookies"
                )))
            }
            "header" => {
                headers.push(name.clone());
                continue;
            }
            "path" | "query" => {}
            other => return Err(Invalid(format!("parameter `{name}` is `in: {other}`"))),
        }
        let style = p.get("style").and_then(Value::as_str);
        let mut structured = p.get("content").is_some() || style == Some("deepObject");
        let mut schema = match (p.get("schema"), p.get("content")) {
            (Some(s), _) => cx.top(s)?,
            (None, Some(_)) => json!({}),
            (None, None) => {
                return Err(Invalid(format!(
                    "parameter `{name}` has neither `schema` nor `content`"
                )))
            }
        };
        structured |= shape(&schema) == Shape::Structured || name.contains(['[', ']']);
        let what = if p.get("content").is_some() {
            "a `content`-encoded value"
        } else {
            "an array or object"
        };
        if let (Some(d), Some(o)) = (
            p.get("description").and_then(Value::as_str),
            schema.as_object_mut(),
        ) {
            o.entry("description").or_insert_with(|| d.into());
        }
        if loc == "path" {
            if !template.iter().any(|t| t == name) {
                warnings.push(format!(
                    "path parameter `{name}` is not in the path template: ignored"
                ));
                continue;
            }
            if let Some(s) = style.filter(|s| *s != "simple") {
                return Err(Skip(format!(
                    "path parameter `{name}` has style `{s}`; toolwall reads a path parameter \
                     as one plain segment"
                )));
            }
            if structured {
                return Err(Skip(format!(
                    "path parameter `{name}` is {what}; toolwall reads a path parameter as \
                     one plain segment"
                )));
            }
        } else if structured {
            let required = p.get("required") == Some(&Value::Bool(true));
            if required {
                return Err(Skip(format!(
                    "required query parameter `{name}` is {what}: toolwall refuses repeated \
                     and bracketed query names and reads each value as one plain string"
                )));
            }
            warnings.push(format!(
                "optional query parameter `{name}` ({what}) left out: toolwall refuses \
                 repeated and bracketed query names, so calls that send it are refused"
            ));
            continue;
        }
        note_string_typing(name, &schema, warnings);
        let arg = Arg {
            schema,
            required: loc == "path" || p.get("required") == Some(&Value::Bool(true)),
            from: if loc == "path" { "path" } else { "query" },
        };
        add_arg(&mut args, name, arg)?;
    }
    for t in &template {
        if !args.iter().any(|(n, a)| n == t && a.from == "path") {
            return Err(Skip(format!(
                "path parameter `{t}` of the template is not declared in `parameters`"
            )));
        }
    }
    if !headers.is_empty() {
        let list = headers
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ");
        warnings.push(format!(
            "header parameter(s) {list} not checked: toolwall forwards the agent's headers as \
             sent (give credentials with the adapter's `credentials:`)"
        ));
        notes.push(format!(
            "not checked: header parameter(s) {}",
            headers.join(", ")
        ));
    }

    let mut args_from = "query";
    if let Some(body) = op.get("requestBody") {
        let body = deref(doc, body)?;
        let body_required = body.get("required") == Some(&Value::Bool(true));
        let content = body
            .get("content")
            .and_then(Value::as_object)
            .ok_or_else(|| Invalid("`requestBody` has no `content` mapping".into()))?;
        let find = |want: &str| content.iter().find(|(k, _)| essence(k) == want);
        let (kind, (media_name, media)) = match (
            find("application/json"),
            find("application/x-www-form-urlencoded"),
        ) {
            (Some(m), _) => ("json", m),
            (None, Some(m)) => ("form", m),
            (None, None) => {
                let types: Vec<&str> = content.keys().map(String::as_str).collect();
                return Err(Skip(format!(
                    "its request body is {}: toolwall reads application/json and \
                     application/x-www-form-urlencoded bodies only",
                    types.join(", ")
                )));
            }
        };
        let others: Vec<&str> = content
            .keys()
            .filter(|k| *k != media_name)
            .map(String::as_str)
            .collect();
        let schema = media.get("schema").ok_or_else(|| {
            Skip(format!(
                "its {media_name} request body has no schema, so its fields cannot be checked"
            ))
        })?;
        let converted = cx.top(schema)?;
        let mut fields = Body::default();
        flatten_body(&converted, &mut fields)?;
        if fields.props.is_empty() && !body_required {
            // e.g. Stripe's GET operations: an optional form body with no fields — no body
            if !fields.closed {
                warnings.push(format!(
                    "its optional {media_name} body declares no fields: the tool takes no body"
                ));
            }
        } else {
            args_from = kind;
            if fields.props.is_empty() && !fields.closed {
                warnings.push(format!(
                    "its {media_name} body declares no fields: only an empty object passes \
                     until you describe them in the schema"
                ));
            }
            if !others.is_empty() {
                notes.push(format!(
                    "the API also takes {}: only {media_name} passes toolwall",
                    others.join(", ")
                ));
            }
            for (name, schema) in fields.props {
                let required = fields.required.contains(&name);
                if kind == "form"
                    && (shape(&schema) == Shape::Structured || name.contains(['[', ']']))
                {
                    if required {
                        return Err(Skip(format!(
                            "required form field `{name}` is an array or object: toolwall \
                             refuses the bracketed names (`{name}[…]`) that would carry it"
                        )));
                    }
                    warnings.push(format!(
                        "optional form field `{name}` (an array or object) left out: toolwall \
                         refuses bracketed form names, so calls that send it are refused"
                    ));
                    continue;
                }
                if kind == "form" {
                    note_string_typing(&name, &schema, warnings);
                }
                if let Some((_, other)) = args.iter().find(|(n, _)| *n == name) {
                    // e.g. PUT /users/{username} whose body is a User with a `username`: the
                    // body cannot carry it, since toolwall refuses a name given twice
                    if required {
                        return Err(Skip(format!(
                            "required body field `{name}` has the name of a {}: toolwall \
                             merges path, query and body into one object and refuses a name \
                             given twice",
                            describe_from(other.from)
                        )));
                    }
                    warnings.push(format!(
                        "optional body field `{name}` left out: it has the name of a {}, and \
                         toolwall refuses a call that gives a name twice",
                        describe_from(other.from)
                    ));
                    continue;
                }
                add_arg(
                    &mut args,
                    &name,
                    Arg {
                        schema,
                        required,
                        from: "body",
                    },
                )?;
            }
        }
    }

    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, arg) in args {
        if arg.required {
            required.push(Value::String(name.clone()));
        }
        properties.insert(name, arg.schema);
    }
    let mut schema = Map::new();
    schema.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    schema.insert("title".into(), tool_name.into());
    let description = match &summary {
        Some(s) => format!("{method} {path}: {s}"),
        None => format!("{method} {path}"),
    };
    schema.insert("description".into(), description.into());
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    if !opts.allow_additional {
        schema.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(defs) = cx.finish()? {
        schema.insert("$defs".into(), defs);
    }
    let read_only = method == "GET" || method == "HEAD";
    Ok(ToolOut {
        name: tool_name.to_string(),
        method: method.to_string(),
        path: path.to_string(),
        args: args_from,
        read_only,
        schema: Value::Object(schema),
        notes,
    })
}

/// Add one argument; a name twice (a query parameter and a body field, say) cannot be
/// expressed: toolwall refuses a call that gives a name twice.
fn add_arg(args: &mut Vec<(String, Arg)>, name: &str, arg: Arg) -> Result<(), OpError> {
    if let Some((_, other)) = args.iter().find(|(n, _)| n == name) {
        return Err(Skip(format!(
            "`{name}` is both a {} and a {}: toolwall merges path, query and body into one \
             object and refuses a name given twice",
            describe_from(other.from),
            describe_from(arg.from)
        )));
    }
    args.push((name.to_string(), arg));
    Ok(())
}

fn describe_from(from: &str) -> &str {
    match from {
        "path" => "path parameter",
        "query" => "query parameter",
        _ => "body field",
    }
}

/// Warn when a query, path or form value could be an integer, number or boolean only inside
/// `anyOf`/`oneOf`/`allOf`: toolwall types such a value by the property's top-level `type`,
/// so it stays a string and those branches never match.
fn note_string_typing(name: &str, schema: &Value, warnings: &mut Vec<String>) {
    if schema.get("type").is_some() {
        return;
    }
    let typed_branch = ["anyOf", "oneOf", "allOf"].iter().any(|k| {
        schema
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|branches| {
                branches.iter().any(|b| {
                    let t = b.get("type");
                    ["integer", "number", "boolean"].iter().any(|want| {
                        t.and_then(Value::as_str) == Some(*want)
                            || t.and_then(Value::as_array)
                                .is_some_and(|a| a.iter().any(|x| x == want))
                    })
                })
            })
    });
    if typed_branch {
        warnings.push(format!(
            "`{name}`: its integer, number or boolean forms arrive as strings (toolwall types \
             query, path and form values by the property's top-level `type`), so only its \
             string forms pass"
        ));
    }
}

/// The `{name}` parameters of a path template.
fn template_names(path: &str) -> Result<Vec<String>, OpError> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(Invalid(format!("the path `{path}` has an unclosed `{{`")));
        };
        out.push(rest[open + 1..open + close].to_string());
        rest = &rest[open + close + 1..];
    }
    Ok(out)
}

/// A media type without its parameters, lower case.
fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a value is one plain string in a query string, form or path, or needs structure.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    Scalar,
    Structured,
}

fn shape(s: &Value) -> Shape {
    let structured = |t: &Value| t == "array" || t == "object";
    match s.get("type") {
        Some(t @ Value::String(_)) if structured(t) => return Shape::Structured,
        Some(Value::Array(ts)) if ts.iter().any(structured) => return Shape::Structured,
        Some(Value::String(_) | Value::Array(_)) => return Shape::Scalar,
        _ => {}
    }
    let Some(o) = s.as_object() else {
        return Shape::Scalar;
    };
    // a reference into `$defs` is a recursive schema: an object or array
    if [
        "properties",
        "items",
        "additionalProperties",
        "prefixItems",
        "$ref",
    ]
    .iter()
    .any(|k| o.contains_key(*k))
    {
        return Shape::Structured;
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(branches) = o.get(k).and_then(Value::as_array) {
            if branches.iter().any(|b| shape(b) == Shape::Structured) {
                return Shape::Structured;
            }
        }
    }
    Shape::Scalar
}

/// A request body's top-level fields.
#[derive(Default)]
struct Body {
    props: Vec<(String, Value)>,
    required: Vec<String>,
    /// `additionalProperties: false` was written: no fields means no fields.
    closed: bool,
}

/// The body's top level as fields: `properties` and `required`, through `allOf`. Anything else
/// there (`oneOf`, a map of `additionalProperties`, `minProperties`, …) cannot be carried by
/// one closed argument object, so the operation is skipped rather than loosened.
fn flatten_body(s: &Value, out: &mut Body) -> Result<(), OpError> {
    let o = match s {
        Value::Object(o) => o,
        Value::Bool(true) => {
            return Err(Skip(
                "its request body schema accepts any value, so its fields cannot be checked".into(),
            ))
        }
        _ => return Err(Skip("its request body schema accepts nothing".into())),
    };
    if let Some(t) = o.get("type") {
        let object = t == "object"
            || t.as_array()
                .is_some_and(|a| a.iter().any(|x| x == "object"));
        if !object {
            return Err(Skip(format!(
                "its request body is of type {t}, not an object: toolwall takes a body's top \
                 level as the arguments object"
            )));
        }
    }
    for (k, v) in o {
        match k.as_str() {
            "type" | "title" | "description" | "$comment" | "deprecated" | "default"
            | "examples" | "writeOnly" | "readOnly" | "format" => {}
            "properties" => {
                for (name, p) in v.as_object().into_iter().flatten() {
                    match out.props.iter_mut().find(|(n, _)| n == name) {
                        // the same field in two `allOf` branches: both apply
                        Some((_, existing)) => {
                            *existing = json!({"allOf": [existing.take(), p.clone()]});
                        }
                        None => out.props.push((name.clone(), p.clone())),
                    }
                }
            }
            "required" => {
                for r in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if !out.required.iter().any(|x| x == r) {
                        out.required.push(r.to_string());
                    }
                }
            }
            "additionalProperties" if *v == Value::Bool(false) => out.closed = true,
            "additionalProperties" if *v == Value::Bool(true) => {}
            "allOf" => {
                for branch in v.as_array().into_iter().flatten() {
                    flatten_body(branch, out)?;
                }
            }
            other => {
                return Err(Skip(format!(
                    "its request body schema uses `{other}` at its top level: toolwall merges \
                     the body's fields into one closed argument object, which cannot carry it"
                )))
            }
        }
    }
    Ok(())
}

/// Follow a chain of `$ref`s (parameters, request bodies, path items).
fn deref<'d>(doc: &'d Value, mut v: &'d Value) -> Result<&'d Value, OpError> {
    for _ in 0..32 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => v = lookup(doc, r)?,
            None => return Ok(v),
        }
    }
    Err(Invalid("a chain of `$ref`s does not end".into()))
}

/// The target of a local `$ref` (`#/components/schemas/Pet`).
fn lookup<'d>(doc: &'d Value, r: &str) -> Result<&'d Value, OpError> {
    let Some(fragment) = r.strip_prefix('#') else {
        return Err(Skip(format!(
            "`$ref: {r}` points outside the document; only local references (`#/…`) are \
             resolved"
        )));
    };
    let pointer = percent_encoding::percent_decode_str(fragment)
        .decode_utf8()
        .map_err(|_| Invalid(format!("`$ref: {r}` is not UTF-8")))?;
    if !(pointer.is_empty() || pointer.starts_with('/')) {
        return Err(Skip(format!(
            "`$ref: {r}` names an anchor; only JSON pointers (`#/…`) are resolved"
        )));
    }
    doc.pointer(&pointer)
        .ok_or_else(|| Invalid(format!("`$ref: {r}` does not resolve")))
}

/// OpenAPI schemas of one operation turned into one JSON Schema 2020-12 document: `$ref`s
/// inlined, a schema met again inside itself defined once under `$defs`.
struct Schemas<'d> {
    doc: &'d Value,
    version: Version,
    /// `$ref` → its name under `$defs` (only references that recur inside themselves).
    def_names: BTreeMap<String, String>,
    defs: Map<String, Value>,
    /// Recurring references whose `$defs` entry is still to be written.
    pending: Vec<String>,
    /// The references being expanded, outermost first: the cycle guard.
    stack: Vec<String>,
    budget: usize,
}

impl<'d> Schemas<'d> {
    fn new(doc: &'d Value, version: Version) -> Self {
        Schemas {
            doc,
            version,
            def_names: BTreeMap::new(),
            defs: Map::new(),
            pending: Vec::new(),
            stack: Vec::new(),
            budget: SCHEMA_BUDGET,
        }
    }

    /// A top-level schema (a parameter's, a body's).
    fn top(&mut self, s: &Value) -> Result<Value, OpError> {
        self.stack.clear();
        self.convert(s)
    }

    /// The `$defs` the converted schemas refer to, each converted in turn.
    fn finish(&mut self) -> Result<Option<Value>, OpError> {
        while let Some(r) = self.pending.pop() {
            let name = self.def_names.get(&r).cloned().unwrap_or_default();
            let target = lookup(self.doc, &r)?;
            self.stack = vec![r];
            let v = self.convert(target)?;
            self.defs.insert(name, v);
        }
        self.stack.clear();
        Ok((!self.defs.is_empty()).then(|| Value::Object(std::mem::take(&mut self.defs))))
    }

    /// `{"$ref": "#/$defs/<name>"}` for a reference met inside its own expansion.
    fn def_ref(&mut self, r: &str) -> Value {
        let name = match self.def_names.get(r) {
            Some(n) => n.clone(),
            None => {
                let base: String = r
                    .rsplit('/')
                    .next()
                    .unwrap_or("schema")
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let taken: HashSet<&String> = self.def_names.values().collect();
                let mut name = base.clone();
                let mut i = 2;
                while taken.contains(&name) {
                    name = format!("{base}_{i}");
                    i += 1;
                }
                self.def_names.insert(r.to_string(), name.clone());
                self.pending.push(r.to_string());
                name
            }
        };
        json!({ "$ref": format!("#/$defs/{name}") })
    }

    fn convert(&mut self, s: &Value) -> Result<Value, OpError> {
        self.budget = self.budget.checked_sub(1).ok_or_else(|| {
            Skip(format!(
                "its schemas grow past {SCHEMA_BUDGET} nodes once `$ref`s are expanded"
            ))
        })?;
        let obj = match s {
            Value::Bool(_) => return Ok(s.clone()),
            Value::Object(o) => o,
            other => return Err(Invalid(format!("a schema is not a mapping: {other}"))),
        };
        if let Some(r) = obj.get("$ref") {
            let r = r
                .as_str()
                .ok_or_else(|| Invalid("a `$ref` is not a string".into()))?;
            if self.stack.iter().any(|x| x == r) {
                return Ok(self.def_ref(r));
            }
            let target = lookup(self.doc, r)?;
            self.stack.push(r.to_string());
            let inner = self.convert(target);
            self.stack.pop();
            let inner = inner?;
            // 3.0 ignores a `$ref`'s siblings; in 3.1 they apply as well
            let siblings: Map<String, Value> = obj
                .iter()
                .filter(|(k, _)| *k != "$ref")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if self.version == Version::V30 || siblings.is_empty() {
                return Ok(inner);
            }
            let extra = self.convert(&Value::Object(siblings))?;
            return Ok(with_siblings(inner, extra));
        }
        let mut out = Map::new();
        let mut dropped: Vec<String> = Vec::new();
        for (k, v) in obj {
            match k.as_str() {
                // OpenAPI-only keywords with no JSON Schema meaning (`nullable` below)
                "nullable" | "example" | "xml" | "externalDocs" | "discriminator" => {}
                _ if k.starts_with("x-") => {}
                // 3.0's boolean forms, handled below
                "exclusiveMinimum" | "exclusiveMaximum" if v.is_boolean() => {}
                "properties" => {
                    let props = v
                        .as_object()
                        .ok_or_else(|| Invalid("`properties` is not a mapping".into()))?;
                    let mut m = Map::new();
                    for (name, p) in props {
                        let c = self.convert(p)?;
                        // a request never carries a read-only property
                        if read_only(&c) {
                            dropped.push(name.clone());
                        } else {
                            m.insert(name.clone(), c);
                        }
                    }
                    out.insert(k.clone(), Value::Object(m));
                }
                "items"
                | "not"
                | "contains"
                | "propertyNames"
                | "if"
                | "then"
                | "else"
                | "additionalProperties"
                | "unevaluatedProperties"
                | "unevaluatedItems"
                | "contentSchema" => {
                    out.insert(k.clone(), self.convert(v)?);
                }
                "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                    let list = v
                        .as_array()
                        .ok_or_else(|| Invalid(format!("`{k}` is not a list")))?;
                    let converted = list
                        .iter()
                        .map(|b| self.convert(b))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.insert(k.clone(), Value::Array(converted));
                }
                "patternProperties" | "dependentSchemas" | "$defs" | "definitions" => {
                    let map = v
                        .as_object()
                        .ok_or_else(|| Invalid(format!("`{k}` is not a mapping")))?;
                    let mut m = Map::new();
                    for (name, sub) in map {
                        m.insert(name.clone(), self.convert(sub)?);
                    }
                    out.insert(k.clone(), Value::Object(m));
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        // 3.0: `exclusiveMinimum: true` qualifies `minimum`; 2020-12 holds the bound itself
        for (flag, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if obj.get(flag) == Some(&Value::Bool(true)) {
                if let Some(b) = out.remove(bound) {
                    out.insert(flag.into(), b);
                }
            }
        }
        // 3.0: `nullable: true` adds null to the `type` written beside it (3.0.3 §4.7.24.1);
        // without a `type` there it changes nothing. 3.1 has no `nullable` (type: [t, "null"]).
        if self.version == Version::V30 && obj.get("nullable") == Some(&Value::Bool(true)) {
            match out.get("type").cloned() {
                Some(Value::String(t)) if t != "null" => {
                    out.insert("type".into(), json!([t, "null"]));
                }
                Some(Value::Array(mut ts)) if !ts.iter().any(|t| t == "null") => {
                    ts.push("null".into());
                    out.insert("type".into(), Value::Array(ts));
                }
                _ => {}
            }
        }
        if !dropped.is_empty() {
            if let Some(Value::Array(req)) = out.get_mut("required") {
                req.retain(|r| !r.as_str().is_some_and(|r| dropped.iter().any(|d| d == r)));
            }
        }
        Ok(Value::Object(out))
    }
}

/// A 3.1 `$ref` with siblings: annotations are laid over the target, anything else applies
/// beside it (`allOf`).
fn with_siblings(mut target: Value, extra: Value) -> Value {
    const ANNOTATIONS: [&str; 7] = [
        "description",
        "summary",
        "title",
        "readOnly",
        "writeOnly",
        "deprecated",
        "default",
    ];
    let only_annotations = extra
        .as_object()
        .is_some_and(|e| e.keys().all(|k| ANNOTATIONS.contains(&k.as_str())));
    match (target.as_object_mut(), extra) {
        (Some(t), Value::Object(e)) if only_annotations => {
            for (k, v) in e {
                t.insert(k, v);
            }
            target
        }
        (_, extra) => json!({ "allOf": [target, extra] }),
    }
}

/// `readOnly: true` on the schema or one of its `allOf` parts.
fn read_only(s: &Value) -> bool {
    s.get("readOnly") == Some(&Value::Bool(true))
        || s.get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(read_only))
}

/// `getPetById` → `get_pet_by_id`, `repos/get` → `repos_get`, `GetV1Charges` →
/// `get_v1_charges`: lower-case ASCII letters, digits and single underscores.
pub fn snake_case(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                // the last capital of an acronym starts the next word: `HTTPServer`
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Text on one comment line: whitespace collapsed, at most `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let line = words.join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// Text without HTML tags (descriptions such as Stripe's are `<p>…</p>`).
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// A YAML scalar: JSON string syntax is valid YAML (double-quoted style).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The adapter file.
fn adapter_yaml(
    doc: &Value,
    opts: &Options,
    upstream: &str,
    tools: &[ToolOut],
    skipped: &[String],
) -> String {
    let info = doc.get("info");
    let field = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_str);
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Generated by `toolwall adapters import-openapi` from {}",
        one_line(opts.source, 200)
    );
    if let Some(title) = field("title") {
        let version = field("version")
            .map(|v| format!(", version {v}"))
            .unwrap_or_default();
        let _ = writeln!(y, "# ({}{}).", one_line(title, 100), one_line(&version, 60));
    }
    y.push_str(
        "# Review before use: add `risk:` (and `cost_usd:`) to the tools your policies decide on,\n\
         # and `credentials:` if toolwall should hold the API's secret. Each schema is closed\n\
         # (additionalProperties: false) unless imported with --allow-additional.\n",
    );
    if !skipped.is_empty() {
        y.push_str("#\n# Not imported (toolwall refuses these calls as unknown_tool):\n");
        for s in skipped {
            let _ = writeln!(y, "#   {}", one_line(s, 300));
        }
    }
    let _ = writeln!(y, "name: {}", q(opts.name));
    y.push_str("kind: http\n");
    let _ = writeln!(y, "upstream: {}", q(upstream));
    for hint in credential_hints(doc, opts.name) {
        let _ = writeln!(y, "{hint}");
    }
    y.push_str("tools:\n");
    for t in tools {
        for n in &t.notes {
            let _ = writeln!(y, "  # {n}");
        }
        let _ = writeln!(y, "  - name: {}", q(&t.name));
        let _ = writeln!(
            y,
            "    match: {{ method: {}, path: {} }}",
            t.method,
            q(&t.path)
        );
        let _ = writeln!(y, "    args: {}", t.args);
        if t.read_only {
            y.push_str("    read_only: true\n");
        }
        let _ = writeln!(y, "    schema: {}", q(&format!("schemas/{}.json", t.name)));
    }
    y
}

/// Commented-out `credentials:` lines for the document's header-borne security schemes.
fn credential_hints(doc: &Value, adapter: &str) -> Vec<String> {
    let env = format!("{}_API_KEY", snake_case(adapter).to_ascii_uppercase());
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    let mut out = Vec::new();
    for (name, s) in schemes.into_iter().flatten() {
        let kind = s.get("type").and_then(Value::as_str);
        let line = match kind {
            Some("apiKey") if s.get("in").and_then(Value::as_str) == Some("header") => {
                let header = s.get("name").and_then(Value::as_str).unwrap_or("");
                format!("{{ header: {}, env: {env} }}", q(header))
            }
            Some("http")
                if s.get("scheme")
                    .and_then(Value::as_str)
                    .is_some_and(|x| x.eq_ignore_ascii_case("bearer")) =>
            {
                format!("{{ header: Authorization, prefix: \"Bearer \", env: {env} }}")
            }
            Some("oauth2" | "openIdConnect") => {
                format!("{{ header: Authorization, prefix: \"Bearer \", env: {env} }}")
            }
            _ => continue,
        };
        out.push(format!(
            "# credentials: {line}   # security scheme `{}`",
            one_line(name, 60)
        ));
    }
    out
}

/// Write `files` (paths relative to `out`) all or nothing: refuse when one exists (unless
/// `force`), write them to a hidden staging directory inside `out`, then rename each into
/// place — the adapter last.
fn write_files(out: &Path, files: &[(PathBuf, String)], force: bool) -> Result<(), String> {
    if !force {
        let existing: Vec<String> = files
            .iter()
            .map(|(rel, _)| out.join(rel))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} already exist(s): nothing written (--force replaces them)",
                existing.join(", ")
            ));
        }
    }
    let schemas = out.join("schemas");
    std::fs::create_dir_all(&schemas)
        .map_err(|e| format!("{}: cannot create: {e}", schemas.display()))?;
    // hidden, and not `*.yaml`: a running toolwall watching `out` never loads it
    let staging = out.join(format!(".toolwall-import-{}", std::process::id()));
    let result: Result<(), String> = (|| {
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(staging.join("schemas"))
            .map_err(|e| format!("{}: cannot create: {e}", staging.display()))?;
        for (rel, text) in files {
            let p = staging.join(rel);
            std::fs::write(&p, text).map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
        }
        for (rel, _) in files {
            let (from, to) = (staging.join(rel), out.join(rel));
            std::fs::rename(&from, &to)
                .map_err(|e| format!("{}: cannot write: {e}", to.display()))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts<'a>(name: &'a str, include: Option<&'a regex::Regex>) -> Options<'a> {
        Options {
            name,
            include,
            upstream: None,
            allow_additional: false,
            source: "test.yaml",
        }
    }

    fn doc(yaml: &str) -> Value {
        let y: yaml_serde::Value = yaml_serde::from_str(yaml).expect("yaml");
        yaml_to_json(y).expect("json")
    }

    fn schema_of<'c>(c: &'c Converted, tool: &str) -> &'c Value {
        &c.schemas
            .iter()
            .find(|(f, _)| f == &format!("{tool}.json"))
            .unwrap_or_else(|| panic!("no schema for {tool}: {:?}", c.schemas))
            .1
    }

    const HEAD: &str = "servers: [{url: 'https://api.example.com/v1'}]\n";

    #[test]
    fn a_ref_cycle_is_defined_once_under_defs_and_validates() {
        let d = doc(&format!(
            "openapi: 3.0.3\n{HEAD}paths:\n  /nodes:\n    post:\n      operationId: createNode\n      \
             requestBody:\n        required: true\n        content:\n          application/json:\n            \
             schema: {{$ref: '#/components/schemas/Node'}}\n\
             components:\n  schemas:\n    Node:\n      type: object\n      required: [name]\n      properties:\n        \
             name: {{type: string}}\n        children:\n          type: array\n          items: {{$ref: '#/components/schemas/Node'}}\n        \
             owner: {{$ref: '#/components/schemas/Owner'}}\n    \
             Owner:\n      type: object\n      properties:\n        id: {{type: integer}}\n        \
             pets: {{type: array, items: {{$ref: '#/components/schemas/Pet'}}}}\n    \
             Pet:\n      type: object\n      properties:\n        owner: {{$ref: '#/components/schemas/Owner'}}\n"
        ));
        let c = convert(&d, &opts("t", None)).expect("converts");
        let s = schema_of(&c, "t.create_node");
        assert_eq!(
            s["properties"]["children"]["items"],
            json!({"$ref": "#/$defs/Node"})
        );
        // Owner → Pet → Owner: a cycle of two, expanded once and then referenced
        assert_eq!(
            s["properties"]["owner"]["properties"]["pets"]["items"]["properties"]["owner"],
            json!({"$ref": "#/$defs/Owner"})
        );
        let defs = s["$defs"].as_object().expect("$defs");
        assert_eq!(
            defs.keys().collect::<Vec<_>>(),
            vec!["Node", "Owner"],
            "{s:#}"
        );
        assert_eq!(
            defs["Node"]["properties"]["children"]["items"],
            json!({"$ref": "#/$defs/Node"})
        );
        assert!(!s.to_string().contains("#/components/"), "{s:#}");
        let v = jsonschema::draft202012::new(s).expect("a valid 2020-12 schema");
        let ok = json!({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]});
        assert!(v.is_valid(&ok));
        // three levels down, a child without its required name
        let bad = json!({"name": "a", "children": [{"name": "b", "children": [{"children": []}]}]});
        assert!(!v.is_valid(&bad));
        assert!(
            !v.is_valid(&json!({"name": "a", "extra": 1})),
            "closed at the top"
        );
    }

    #[test]
    fn read_only_properties_are_dropped_write_only_kept() {
        let d = doc(&format!(
            "openapi: 3.1.0\n{HEAD}paths:\n  /users:\n    post:\n      operationId: createUser\n      \
             requestBody:\n        content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/User'}}\n\
             components:\n  schemas:\n    User:\n      type: object\n      required: [id, name, password]\n      properties:\n        \
             id: {{type: integer, readOnly: true}}\n        name: {{type: string}}\n        \
             password: {{type: string, writeOnly: true}}\n        \
             created: {{$ref: '#/components/schemas/Stamp', readOnly: true}}\n        \
             address:\n          type: object\n          required: [id, street]\n          properties:\n            \
             id: {{type: string, readOnly: true}}\n            street: {{type: string}}\n    \
             Stamp: {{type: string, format: date-time}}\n"
        ));
        let c = convert(&d, &opts("t", None)).expect("converts");
        let s = schema_of(&c, "t.create_user");
        let props = s["properties"].as_object().expect("properties");
        assert_eq!(
            props.keys().collect::<Vec<_>>(),
            vec!["address", "name", "password"]
        );
        assert_eq!(s["properties"]["password"]["writeOnly"], json!(true));
        assert_eq!(s["required"], json!(["name", "password"]));
        assert_eq!(s["properties"]["address"]["required"], json!(["street"]));
        assert!(s["properties"]["address"]["properties"].get("id").is_none());
        let v = jsonschema::draft202012::new(s).expect("valid");
        assert!(v.is_valid(&json!({"name": "a", "password": "p"})));
        assert!(!v.is_valid(&json!({"name": "a", "password": "p", "id": 3})));
    }

    #[test]
    fn nullable_is_a_type_union_in_3_0_and_means_nothing_in_3_1() {
        let body = "paths:\n  /things/{id}:\n    put:\n      operationId: putThing\n      parameters:\n        \
             - {name: id, in: path, required: true, schema: {type: integer}}\n      \
             requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              \
             type: object\n              properties:\n                note: {type: string, nullable: true}\n                \
             size: {type: integer, minimum: 1, exclusiveMinimum: true, nullable: true}\n                \
             kind: {enum: [a, b], nullable: true}\n";
        let c30 = convert(
            &doc(&format!("openapi: 3.0.3\n{HEAD}{body}")),
            &opts("t", None),
        )
        .expect("3.0");
        let s = schema_of(&c30, "t.put_thing");
        assert_eq!(s["properties"]["note"]["type"], json!(["string", "null"]));
        assert_eq!(s["properties"]["size"]["type"], json!(["integer", "null"]));
        // 3.0 boolean exclusiveMinimum → the 2020-12 number form
        assert_eq!(s["properties"]["size"]["exclusiveMinimum"], json!(1));
        assert!(s["properties"]["size"].get("minimum").is_none());
        // without a `type` beside it, `nullable` adds nothing (3.0.3)
        assert_eq!(s["properties"]["kind"], json!({"enum": ["a", "b"]}));
        assert!(!s.to_string().contains("nullable"));
        let v = jsonschema::draft202012::new(s).expect("valid");
        assert!(v.is_valid(&json!({"id": 1, "note": null, "size": 2})));
        assert!(!v.is_valid(&json!({"id": 1, "size": 1})), "exclusive");
        assert!(!v.is_valid(&json!({"id": 1, "kind": null})));

        let c31 = convert(
            &doc(&format!("openapi: 3.1.0\n{HEAD}{body}")),
            &opts("t", None),
        )
        .expect("3.1");
        let s = schema_of(&c31, "t.put_thing");
        assert_eq!(s["properties"]["note"]["type"], json!("string"));
    }

    #[test]
    fn parameters_body_and_names_merge_into_one_closed_object() {
        let d = doc(&format!(
            "openapi: 3.0.0\n{HEAD}paths:\n  /pets/{{petId}}:\n    parameters:\n      \
             - {{name: petId, in: path, required: true, description: the pet, schema: {{type: integer}}}}\n    \
             get:\n      operationId: getPetById\n      parameters:\n        \
             - {{name: verbose, in: query, schema: {{type: boolean}}}}\n        \
             - {{name: fields, in: query, schema: {{type: array, items: {{type: string}}}}}}\n        \
             - {{name: X-Trace, in: header, schema: {{type: string}}}}\n    \
             post:\n      parameters:\n        - {{$ref: '#/components/parameters/Mode'}}\n      \
             requestBody:\n        required: true\n        content:\n          application/x-www-form-urlencoded:\n            schema:\n              \
             type: object\n              required: [name]\n              properties:\n                \
             name: {{type: string}}\n                tags: {{type: array, items: {{type: string}}}}\n    \
             delete:\n      operationId: deletePet\n      parameters:\n        - {{name: session, in: cookie, schema: {{type: string}}}}\n\
             components:\n  parameters:\n    Mode: {{name: mode, in: query, required: true, schema: {{type: string, enum: [fast, slow]}}}}\n"
        ));
        let c = convert(&d, &opts("pets", None)).expect("converts");
        let get = schema_of(&c, "pets.get_pet_by_id");
        assert_eq!(
            *get,
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "pets.get_pet_by_id",
                "description": "GET /pets/{petId}",
                "type": "object",
                "properties": {
                    "petId": {"type": "integer", "description": "the pet"},
                    "verbose": {"type": "boolean"}
                },
                "required": ["petId"],
                "additionalProperties": false
            })
        );
        // no operationId: method and path
        let post = schema_of(&c, "pets.post_pets_pet_id");
        assert_eq!(post["required"], json!(["petId", "mode", "name"]));
        assert_eq!(
            post["properties"]
                .as_object()
                .expect("props")
                .keys()
                .collect::<Vec<_>>(),
            vec!["mode", "name", "petId"]
        );
        assert!(!c.schemas.iter().any(|(f, _)| f.contains("delete")));
        let w = c.warnings.join("\n");
        assert!(
            w.contains("GET /pets/{petId} (getPetById): optional query parameter `fields`"),
            "{w}"
        );
        assert!(
            w.contains("header parameter(s) `X-Trace` not checked"),
            "{w}"
        );
        assert!(
            w.contains("POST /pets/{petId}: optional form field `tags`"),
            "{w}"
        );
        assert!(
            w.contains("DELETE /pets/{petId} (deletePet) skipped: cookie parameter `session`"),
            "{w}"
        );
        assert_eq!(c.skipped, 1);
        // the adapter loads as toolwall's adapter format
        let raw: crate::config::raw::RawAdapter =
            yaml_serde::from_str(&c.adapter_yaml).expect(&c.adapter_yaml);
        assert_eq!(raw.name, "pets");
        assert_eq!(raw.upstream, "https://api.example.com/v1");
        let tools: Vec<(&str, Option<crate::config::raw::ArgsFrom>, bool)> = raw
            .tools
            .iter()
            .map(|t| (t.name.as_str(), t.args, t.read_only))
            .collect();
        use crate::config::raw::ArgsFrom;
        assert_eq!(
            tools,
            vec![
                ("pets.get_pet_by_id", Some(ArgsFrom::Query), true),
                ("pets.post_pets_pet_id", Some(ArgsFrom::Form), false),
            ]
        );
        let m = raw.tools[0].match_.as_ref().expect("match");
        assert_eq!(m.path.as_deref(), Some("/pets/{petId}"));
        assert_eq!(m.method.as_deref(), Some("GET"));
        assert!(c
            .adapter_yaml
            .contains("#   DELETE /pets/{petId} (deletePet): cookie parameter"));
        // --allow-additional leaves the argument objects open, nothing else changes
        let open = convert(
            &d,
            &Options {
                allow_additional: true,
                ..opts("pets", None)
            },
        )
        .expect("converts");
        let mut want = get.clone();
        want.as_object_mut()
            .expect("object")
            .remove("additionalProperties");
        assert_eq!(schema_of(&open, "pets.get_pet_by_id"), &want);
    }

    #[test]
    fn what_cannot_be_expressed_is_skipped_and_a_broken_document_fails() {
        let d = doc(&format!(
            "openapi: 3.0.0\n{HEAD}paths:\n  /upload:\n    post:\n      operationId: upload\n      \
             requestBody:\n        content:\n          multipart/form-data:\n            schema: {{type: object}}\n  \
             /list:\n    post:\n      operationId: bulk\n      requestBody:\n        content:\n          application/json:\n            \
             schema: {{type: array, items: {{type: string}}}}\n  \
             /ext:\n    post:\n      operationId: ext\n      requestBody:\n        content:\n          application/json:\n            \
             schema: {{$ref: 'other.yaml#/Thing'}}\n  \
             /a/{{x}}:\n    get:\n      operationId: byX\n      parameters: [{{name: x, in: path, required: true, schema: {{type: string}}}}]\n  \
             /a/{{y}}:\n    get:\n      operationId: byY\n      parameters: [{{name: y, in: path, required: true, schema: {{type: string}}}}]\n  \
             /choice:\n    post:\n      operationId: choice\n      requestBody:\n        content:\n          application/json:\n            \
             schema: {{oneOf: [{{type: object}}, {{type: object}}]}}\n"
        ));
        let c = convert(&d, &opts("t", None)).expect("converts");
        let names: Vec<&str> = c.schemas.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, vec!["t.by_x.json"]);
        let w = c.warnings.join("\n");
        for needle in [
            "POST /upload (upload) skipped: its request body is multipart/form-data",
            "POST /list (bulk) skipped: its request body is of type \"array\"",
            "POST /ext (ext) skipped: `$ref: other.yaml#/Thing` points outside the document",
            "GET /a/{y} (byY) skipped: toolwall cannot route its path",
            "POST /choice (choice) skipped: its request body schema uses `oneOf`",
        ] {
            assert!(w.contains(needle), "{needle}\n{w}");
        }
        assert_eq!(c.skipped, 5);

        let broken = doc(&format!(
            "openapi: 3.0.0\n{HEAD}paths:\n  /x:\n    post:\n      operationId: x\n      requestBody:\n        \
             content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/Missing'}}\n"
        ));
        let e = convert(&broken, &opts("t", None)).expect_err("dangling $ref");
        assert_eq!(
            e,
            "POST /x (x): `$ref: #/components/schemas/Missing` does not resolve"
        );
        let e = convert(&doc("swagger: '2.0'\npaths: {}\n"), &opts("t", None)).expect_err("2.0");
        assert!(e.starts_with("a Swagger 2.0 document"), "{e}");
        let e = convert(
            &doc("openapi: 3.0.0\nservers: [{url: /v3}]\npaths: {}\n"),
            &opts("t", None),
        )
        .expect_err("relative");
        assert!(e.contains("`/v3` is not an absolute http(s) URL"), "{e}");
    }

    #[test]
    fn include_filters_and_server_variables_resolve() {
        let d = doc(
            "openapi: 3.1.0\nservers:\n  - url: 'https://{region}.example.com/{base}'\n    variables:\n      \
             region: {default: eu}\n      base: {default: api}\npaths:\n  /a:\n    get: {operationId: listA}\n  \
             /b:\n    get: {operationId: listB}\n    delete: {operationId: dropB}\n",
        );
        let re = regex::Regex::new("^/b$").expect("re");
        let c = convert(&d, &opts("t", Some(&re))).expect("converts");
        let names: Vec<&str> = c.schemas.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, vec!["t.list_b.json", "t.drop_b.json"]);
        assert!(c
            .adapter_yaml
            .contains("upstream: \"https://eu.example.com/api\"\n"));
        let re = regex::Regex::new("^listA$").expect("re");
        let c = convert(&d, &opts("t", Some(&re))).expect("converts");
        assert_eq!(c.schemas.len(), 1);
        let re = regex::Regex::new("nothing").expect("re");
        let e = convert(&d, &opts("t", Some(&re))).expect_err("no match");
        assert!(e.contains("matches --include"), "{e}");
    }

    #[test]
    fn operation_ids_become_snake_case() {
        for (id, want) in [
            ("getPetById", "get_pet_by_id"),
            ("PostRefunds", "post_refunds"),
            ("GetChargesCharge", "get_charges_charge"),
            ("repos/get", "repos_get"),
            ("GetV1Charges", "get_v1_charges"),
            ("HTTPServerList", "http_server_list"),
            ("list-users--all", "list_users_all"),
            (
                "get /pet/{petId}/uploadImage",
                "get_pet_pet_id_upload_image",
            ),
        ] {
            assert_eq!(snake_case(id), want, "{id}");
        }
    }

    #[test]
    fn yaml_duplicate_keys_and_integer_keys() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("spec.yaml");
        std::fs::write(&p, "openapi: 3.0.0\npaths:\n  /a: {}\n  /a: {}\n").expect("write");
        let e = load_document(&p).expect_err("duplicate");
        assert!(
            e.to_string().starts_with(&format!("{}:", p.display())),
            "{e}"
        );
        assert!(e.to_string().contains("/a"), "{e}");
        std::fs::write(&p, "openapi: 3.0.0\nresponses:\n  200: {description: ok}\n")
            .expect("write");
        let v = load_document(&p).expect("loads");
        assert_eq!(v["responses"]["200"]["description"], json!("ok"));
        let j = dir.path().join("spec.json");
        std::fs::write(&j, "{\"openapi\": \"3.0.0\",\n \"openapi\": \"3.1.0\"}").expect("write");
        let e = load_document(&j).expect_err("duplicate");
        assert!(e.to_string().contains("duplicate key"), "{e}");
    }
}
