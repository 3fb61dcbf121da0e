//! Args: JSON body, form body, query string and path parameters merged into one object.
//!
//! One parse. A name given twice anywhere is refused (never "last one wins"), and what is
//! forwarded is re-encoded from what was parsed, so the upstream reads exactly what policy saw.

use std::collections::HashSet;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::config::compile::Scalar;
use crate::config::raw::ArgsFrom;
use crate::config::Tool;
use crate::json::{parse_strict, JsonErrorKind};
use crate::pipeline::reject::{Reason, Reject};

/// Arguments plus what to forward in their place.
#[derive(Debug)]
pub struct ParsedArgs {
    /// The merged argument object.
    pub args: Value,
    /// How the arguments were sent, to re-encode them for the upstream.
    pub wire: Wire,
}

/// Where each argument came from, so that the forwarded request is re-encoded from the
/// (possibly redacted) arguments policy decided on.
#[derive(Debug)]
pub struct Wire {
    /// Names that came from the query string or path (not part of a JSON body).
    pub outside_body: HashSet<String>,
    /// Query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Body pairs of a form tool, in order.
    pub form: Vec<(String, String)>,
    /// Path-template parameters (decoded), in order.
    pub path: Vec<(String, String)>,
    pub had_body: bool,
    /// The body's length as sent: the re-encoded body's first guess at its size.
    pub body_len: usize,
}

impl Wire {
    /// The body to forward and its content type, encoded from `args`. With `shared` (audit
    /// on), a JSON body that is the whole of `args` and whose bytes are also their canonical
    /// form (`json::write::write_value_canonical`) is handed there too: the audit record's
    /// `args` and `input_hmac` then use these bytes instead of writing the arguments again.
    pub fn body(
        &self,
        from: ArgsFrom,
        args: &Value,
        shared: Option<&mut Option<Bytes>>,
    ) -> (Bytes, Option<&'static str>) {
        if !self.had_body {
            return (Bytes::new(), None);
        }
        match from {
            ArgsFrom::Json => {
                // serde_json's bytes (`json::write`), without the names from outside the body
                let mut out = Vec::with_capacity(self.body_len + 16);
                let canonical = match args {
                    Value::Object(map) if !self.outside_body.is_empty() => {
                        let members = map.iter().filter(|(k, _)| !self.outside_body.contains(*k));
                        crate::json::write::write_members(&mut out, members);
                        false
                    }
                    other if shared.is_some() => {
                        crate::json::write::write_value_canonical(&mut out, other)
                    }
                    other => {
                        crate::json::write::write_value(&mut out, other);
                        false
                    }
                };
                let body = Bytes::from(out);
                if let (true, Some(slot)) = (canonical, shared) {
                    *slot = Some(body.clone());
                }
                (body, Some("application/json"))
            }
            ArgsFrom::Form => (
                Bytes::from(encode_pairs(&current_pairs(&self.form, args))),
                Some("application/x-www-form-urlencoded"),
            ),
            ArgsFrom::Query => (Bytes::new(), None),
        }
    }

    /// The query string to forward, encoded from `args`.
    pub fn query(&self, args: &Value) -> Option<String> {
        if self.query.is_empty() {
            return None;
        }
        Some(encode_pairs(&current_pairs(&self.query, args)))
    }

    /// The upstream-relative path rebuilt from the tool's path `template` and the decided
    /// (possibly redacted) parameters in `args`, each percent-encoded: the upstream reads the
    /// parameters policy decided on, never the ones the agent sent.
    pub fn path(&self, template: &str, args: &Value) -> Result<String, Reject> {
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(i) = rest.find(['{', '}']) {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(t) = tail.strip_prefix("{{") {
                out.push('{');
                rest = t;
                continue;
            }
            if let Some(t) = tail.strip_prefix("}}") {
                out.push('}');
                rest = t;
                continue;
            }
            let Some(close) = tail.find('}').filter(|_| tail.starts_with('{')) else {
                return Err(Reject::new(
                    Reason::Internal,
                    format!("path template `{template}` is malformed"),
                ));
            };
            let spec = &tail[1..close];
            rest = &tail[close + 1..];
            let (name, catch_all) = match spec.strip_prefix('*') {
                Some(n) => (n, true),
                None => (spec, false),
            };
            let sent = self.path.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            let value = match (args.get(name), sent) {
                (Some(Value::String(s)), _) => s.as_str(),
                (Some(_), Some(v)) => v.as_str(),
                _ => {
                    return Err(Reject::new(
                        Reason::PiiDenied,
                        format!(
                            "path parameter `{name}` was removed by redaction; the path cannot \
                             be forwarded without it"
                        ),
                    ))
                }
            };
            let segments: Vec<&str> = if catch_all {
                value.split('/').collect()
            } else {
                vec![value]
            };
            let last = segments.len() - 1;
            for (j, seg) in segments.iter().enumerate() {
                // a catch-all may end in '/' (its last segment empty), nothing else may be empty
                let trailing_slash = seg.is_empty() && j == last && j > 0;
                if (seg.is_empty() && !trailing_slash) || *seg == "." || *seg == ".." {
                    return Err(Reject::new(
                        Reason::AmbiguousRequest,
                        format!("path parameter `{name}` would forward an empty or dot segment"),
                    ));
                }
                if j > 0 {
                    out.push('/');
                }
                out.extend(percent_encoding::utf8_percent_encode(seg, PATH_SEGMENT));
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Everything but RFC 3986 unreserved characters is percent-encoded in a rebuilt path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The pairs as the arguments now stand: a redacted string replaces the sent one, a typed
/// value keeps its original spelling, a dropped argument is left out.
fn current_pairs(pairs: &[(String, String)], args: &Value) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| match args.get(k) {
            Some(Value::String(s)) => Some((k.clone(), s.clone())),
            Some(_) => Some((k.clone(), v.clone())),
            None => None,
        })
        .collect()
}

/// A JSON body up to this size is parsed into a spare tree ([`take_spare`]), and the call's
/// arguments are kept as one at its end ([`give_back_tree`]): a spare holds about what its
/// body held, so a worker's spares stay under [`SPARES_MAX`] times this (and a little).
pub const SPARE_BODY_MAX: usize = 16 * 1024;

/// Spare argument trees kept per worker thread.
const SPARES_MAX: usize = 8;

/// A worker's spare argument trees, and the configuration they were given back under.
struct Spares {
    version: String,
    trees: Vec<Value>,
}

thread_local! {
    static SPARES: std::cell::RefCell<Spares> = const {
        std::cell::RefCell::new(Spares { version: String::new(), trees: Vec::new() })
    };
}

/// The last argument tree given back on this thread under `config_version`, for the JSON
/// body of `body_len` bytes of the next call ([`parse_args_into`]). A spare is memory only:
/// the parse overwrites every value it keeps (`json::parse_strict_into`). A new
/// `config_version` (a reload) empties the thread's spares.
pub fn take_spare(config_version: &str, body_len: usize) -> Option<Value> {
    if body_len > SPARE_BODY_MAX {
        return None;
    }
    SPARES.with(|cell| {
        let mut spares = cell.try_borrow_mut().ok()?;
        if spares.version != config_version {
            spares.trees.clear();
            spares.version.clear();
            spares.version.push_str(config_version);
            return None;
        }
        spares.trees.pop()
    })
}

/// A call's arguments, read by nothing any more, kept on this thread as the next call's spare
/// ([`take_spare`]) — only those parsed from a JSON body of at most [`SPARE_BODY_MAX`] bytes
/// (the caller's to know), at most [`SPARES_MAX`] of them, and only under the configuration
/// the thread's spares are for (otherwise it is dropped).
pub fn give_back_tree(args: Value, config_version: &str) {
    if !args.is_object() {
        return;
    }
    SPARES.with(|cell| {
        if let Ok(mut spares) = cell.try_borrow_mut() {
            if spares.version == config_version && spares.trees.len() < SPARES_MAX {
                spares.trees.push(args);
            }
        }
    })
}

/// How many spare trees this thread holds.
#[cfg(test)]
pub(crate) fn spares_held() -> usize {
    SPARES.with(|cell| cell.borrow().trees.len())
}

/// Parse the arguments of one call to `tool`.
pub fn parse_args(
    tool: &Tool,
    headers: &HeaderMap,
    body: &Bytes,
    query: Option<&str>,
    path_params: Vec<(String, String)>,
    max_depth: usize,
) -> Result<ParsedArgs, Reject> {
    parse_args_into(tool, headers, body, query, path_params, max_depth, None)
}

/// [`parse_args`], a JSON body parsed into `spare`'s allocations ([`take_spare`]): the same
/// arguments, or the same refusal.
pub fn parse_args_into(
    tool: &Tool,
    headers: &HeaderMap,
    body: &Bytes,
    query: Option<&str>,
    path_params: Vec<(String, String)>,
    max_depth: usize,
    spare: Option<Value>,
) -> Result<ParsedArgs, Reject> {
    if let Some(enc) = headers.get(CONTENT_ENCODING) {
        if !enc.as_bytes().eq_ignore_ascii_case(b"identity") {
            return Err(Reject::new(
                Reason::UnsupportedMediaType,
                "compressed request bodies (Content-Encoding) are not accepted",
            ));
        }
    }
    let had_body = !body.is_empty();
    let mut args = Map::new();
    let mut form = Vec::new();
    if had_body {
        match tool.args_from {
            ArgsFrom::Json => {
                require_media_type(headers, MediaType::Json)?;
                let v = match spare {
                    Some(spare) => crate::json::parse_strict_into(body, max_depth, spare),
                    None => parse_strict(body, max_depth),
                };
                let v = v.map_err(|e| {
                    let reason = match e.kind {
                        JsonErrorKind::InvalidUtf8 => Reason::InvalidUtf8,
                        JsonErrorKind::Syntax => Reason::InvalidJson,
                        JsonErrorKind::DuplicateKey => Reason::DuplicateKey,
                        JsonErrorKind::TooDeep => Reason::TooDeep,
                    };
                    Reject::new(reason, format!("request body: {e}"))
                })?;
                match v {
                    Value::Object(m) => args = m,
                    _ => {
                        return Err(Reject::new(
                            Reason::InvalidJson,
                            "request body must be a JSON object",
                        ))
                    }
                }
            }
            ArgsFrom::Form => {
                require_media_type(headers, MediaType::Form)?;
                let text = std::str::from_utf8(body).map_err(|_| {
                    Reject::new(Reason::InvalidUtf8, "form body is not valid UTF-8")
                })?;
                form = parse_pairs(text, "form body")?;
                for (k, v) in &form {
                    insert_unique(&mut args, k, typed(tool, k, v), "form body")?;
                }
            }
            ArgsFrom::Query => {
                return Err(Reject::new(
                    Reason::UnexpectedBody,
                    format!(
                        "{} takes its arguments from the query string; the body would reach \
                         the tool unchecked",
                        tool.name
                    ),
                ))
            }
        }
    }
    let mut outside_body = HashSet::new();
    let mut query_pairs = Vec::new();
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        query_pairs = parse_pairs(q, "query string")?;
        for (k, v) in &query_pairs {
            insert_unique(&mut args, k, typed(tool, k, v), "query string")?;
            outside_body.insert(k.clone());
        }
    }
    if let Some(k) = args
        .keys()
        .find(|k| crate::protocol::http::is_method_override_arg(k))
    {
        return Err(Reject::new(
            Reason::AmbiguousRequest,
            format!(
                "argument `{k}` would make the upstream act as another method than the one \
                 decided on"
            ),
        ));
    }
    for (k, v) in &path_params {
        let value = typed(tool, k, v);
        insert_unique(&mut args, k, value, "path")?;
        outside_body.insert(k.clone());
    }
    Ok(ParsedArgs {
        args: Value::Object(args),
        wire: Wire {
            outside_body,
            query: query_pairs,
            form,
            path: path_params,
            had_body,
            body_len: body.len(),
        },
    })
}

fn insert_unique(
    args: &mut Map<String, Value>,
    key: &str,
    v: Value,
    src: &str,
) -> Result<(), Reject> {
    if args.contains_key(key) {
        return Err(Reject::new(
            Reason::DuplicateKey,
            format!("argument `{key}` is given more than once ({src})"),
        ));
    }
    args.insert(key.to_string(), v);
    Ok(())
}

/// A string parameter typed by the tool's schema (integer, number, boolean); left a string
/// when it does not parse, so the schema reports it.
fn typed(tool: &Tool, key: &str, raw: &str) -> Value {
    match tool.coerce.get(key) {
        Some(Scalar::Integer) => {
            let digits = raw.strip_prefix('-').unwrap_or(raw);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(i) = raw.parse::<i64>() {
                    return Value::from(i);
                }
            }
        }
        Some(Scalar::Number) => {
            let plain = raw
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'e' | b'E' | b'+'));
            if plain {
                if let Some(n) = raw
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                {
                    return Value::Number(n);
                }
            }
        }
        Some(Scalar::Boolean) => match raw {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        },
        None => {}
    }
    Value::String(raw.to_string())
}

/// Strict `application/x-www-form-urlencoded` parsing: `&` separates, `+` is a space, percent
/// escapes must decode to UTF-8, and bracket keys (`a[b]`, `a[]`) are refused because
/// frameworks expand them into structures toolwall would not have decided on.
pub fn parse_pairs(text: &str, src: &str) -> Result<Vec<(String, String)>, Reject> {
    let mut out = Vec::new();
    for part in text.split('&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let key = decode_component(k, src)?;
        if key.contains(['[', ']']) {
            return Err(Reject::new(
                Reason::AmbiguousRequest,
                format!("{src}: bracket parameter `{key}` is not supported"),
            ));
        }
        let value = decode_component(v, src)?;
        out.push((key, value));
    }
    Ok(out)
}

fn decode_component(s: &str, src: &str) -> Result<String, Reject> {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Reject::new(Reason::InvalidUtf8, format!("{src} is not valid UTF-8")))
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    ser.finish()
}

#[derive(Clone, Copy)]
enum MediaType {
    Json,
    Form,
}

fn require_media_type(headers: &HeaderMap, want: MediaType) -> Result<(), Reject> {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (essence, params) = crate::stage::redact::split_media_type(ct);
    let ok = match want {
        MediaType::Json => crate::stage::redact::json_essence(essence),
        MediaType::Form => essence.eq_ignore_ascii_case("application/x-www-form-urlencoded"),
    };
    if !ok {
        let expected = match want {
            MediaType::Json => "application/json",
            MediaType::Form => "application/x-www-form-urlencoded",
        };
        return Err(Reject::new(
            Reason::UnsupportedMediaType,
            format!("content type `{ct}` is not accepted here: send {expected}"),
        ));
    }
    for p in params.into_iter().flat_map(|rest| rest.split(';')) {
        if let Some((k, v)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("charset")
                && !v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            {
                return Err(Reject::new(
                    Reason::UnsupportedMediaType,
                    format!("charset `{}` is not accepted: send UTF-8", v.trim()),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_tool() -> Tool {
        Tool {
            name: "pay.refund".into(),
            label: "pay.refund",
            method: http::Method::POST,
            path: "/refunds/{id}".into(),
            args_from: ArgsFrom::Json,
            schema: None,
            schema_ref: None,
            coerce: Default::default(),
            response_schema: None,
            cost_usd: 0.0,
            cost_pointer: None,
            read_only: false,
            risk: Value::Null,
            mode: None,
            dry_run: false,
            idempotency: None,
            grpc: None,
            input_part: None,
        }
    }

    /// A worker's spares: per configuration (a reload, which changes `config_version` — the
    /// hash of the configuration and the policy digest — empties them, and a tree given back
    /// under another one is dropped), at most `SPARES_MAX`, objects only, never for a body
    /// larger than `SPARE_BODY_MAX`.
    #[test]
    fn spare_trees_are_per_configuration_and_bounded() {
        let tree = || serde_json::json!({"a": "x", "b": [1, 2]});
        // a thread's first call under a configuration finds none, then its own tree
        assert_eq!(take_spare("v1", 10), None);
        give_back_tree(tree(), "v1");
        assert_eq!(spares_held(), 1);
        assert_eq!(take_spare("v1", SPARE_BODY_MAX + 1), None, "body too large");
        assert_eq!(take_spare("v1", SPARE_BODY_MAX), Some(tree()));
        // bounded
        for _ in 0..3 * SPARES_MAX {
            give_back_tree(tree(), "v1");
        }
        assert_eq!(spares_held(), SPARES_MAX);
        give_back_tree(Value::Null, "v1");
        give_back_tree(serde_json::json!([1]), "v1");
        assert_eq!(spares_held(), SPARES_MAX);
        // a reload: the next call under the new configuration empties them
        assert_eq!(take_spare("v2", 10), None);
        assert_eq!(spares_held(), 0);
        // a call decided under the old one gives its tree back after the reload: dropped
        give_back_tree(tree(), "v1");
        assert_eq!(spares_held(), 0);
        give_back_tree(tree(), "v2");
        assert_eq!(take_spare("v2", 10), Some(tree()));
        assert_eq!(take_spare("v2", 10), None);
    }

    /// The arguments parsed into a spare are the arguments parsed afresh, with the path's
    /// parameters and the query merged the same way, and the same refusals.
    #[test]
    fn arguments_parsed_into_a_spare_are_the_arguments() {
        let tool = json_tool();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "application/json".parse().expect("value"));
        let params = || vec![("id".to_string(), "r_1".to_string())];
        let bodies = [
            r#"{"charge":"ch_1","amount":500,"meta":{"a":"x","b":[1,2,3]}}"#,
            r#"{"amount":7,"charge":"ch_22222222222222222222222","meta":{"b":[],"a":"y"}}"#,
            r#"{"charge":"ch_1","amount":500}"#,
            r#"{"charge":"ch_1","amount":500,"extra":true}"#,
            r#"{"charge":"ch_1","charge":"ch_2"}"#,
            r#"{"charge":"ch_1","id":"from the body"}"#,
            r#"{"charge":"ch_1","amount":"#,
            r#"[1,2]"#,
        ];
        let mut spare = None;
        for round in 0..3 {
            for (i, body) in bodies.iter().enumerate() {
                let body = Bytes::from(body.to_string());
                let query = (round == 1).then_some("expand=customer");
                let want = parse_args(&tool, &headers, &body, query, params(), 8);
                let got = parse_args_into(&tool, &headers, &body, query, params(), 8, spare.take());
                match (&got, &want) {
                    (Ok(g), Ok(w)) => {
                        assert_eq!(g.args, w.args, "{i} {round}");
                        assert_eq!(g.wire.outside_body, w.wire.outside_body);
                    }
                    (Err(g), Err(w)) => {
                        assert_eq!((g.reason, &g.message), (w.reason, &w.message), "{i}")
                    }
                    _ => panic!("{i}: {got:?} against {want:?}"),
                }
                // the next body is parsed into this one's tree
                spare = got.ok().map(|p| p.args);
            }
        }
    }

    #[test]
    fn pairs() {
        let p = parse_pairs("a=1&b=x+y&c=%C3%A9&d", "q").unwrap();
        assert_eq!(
            p,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "é".into()),
                ("d".into(), "".into())
            ]
        );
        assert_eq!(
            parse_pairs("a=%FF", "q").unwrap_err().reason,
            Reason::InvalidUtf8
        );
        assert_eq!(
            parse_pairs("a[b]=1", "q").unwrap_err().reason,
            Reason::AmbiguousRequest
        );
        // `;` is not a separator and is re-encoded on the way out
        let p = parse_pairs("a=1;b=2", "q").unwrap();
        assert_eq!(p, vec![("a".into(), "1;b=2".into())]);
        assert_eq!(encode_pairs(&p), "a=1%3Bb%3D2");
    }

    #[test]
    fn paths_are_rebuilt_from_decided_parameters() {
        let wire = |path: Vec<(&str, &str)>| Wire {
            outside_body: HashSet::new(),
            query: Vec::new(),
            form: Vec::new(),
            path: path
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            had_body: false,
            body_len: 0,
        };
        let w = wire(vec![("id", "jane@example.com"), ("n", "7")]);
        let args = serde_json::json!({"id": "[EMAIL]", "n": 7});
        assert_eq!(
            w.path("/v1/users/{id}/items/{n}", &args).unwrap(),
            "/v1/users/%5BEMAIL%5D/items/7"
        );
        let w = wire(vec![("rest", "a/b c/")]);
        let args = serde_json::json!({"rest": "a/b c/"});
        assert_eq!(w.path("/files/{*rest}", &args).unwrap(), "/files/a/b%20c/");
        assert_eq!(
            w.path("/x/{{literal}}/{*rest}", &args).unwrap(),
            "/x/{literal}/a/b%20c/"
        );
        let dropped = serde_json::json!({});
        assert_eq!(
            w.path("/files/{*rest}", &dropped).unwrap_err().reason,
            Reason::PiiDenied
        );
        let w = wire(vec![("id", "..")]);
        let args = serde_json::json!({"id": ".."});
        assert_eq!(
            w.path("/v1/{id}", &args).unwrap_err().reason,
            Reason::AmbiguousRequest
        );
    }

    /// The essence check without a lower-cased copy says what comparing the copy said.
    #[test]
    fn json_essence_is_the_lower_cased_comparison() {
        let reference = |e: &str| {
            let lower = e.to_ascii_lowercase();
            lower == "application/json" || lower.ends_with("+json")
        };
        let parts = [
            "",
            "application",
            "/",
            "json",
            "JSON",
            "+json",
            "+JSON",
            "+jsoN",
            "Application",
            "x",
            "é",
            "İ",
            "+json ",
            "ﬀ",
            "application/json",
            "APPLICATION/JSON",
            "+jso",
            "n",
            "jsön",
            "+",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in ["", "+json", "json", "É"] {
                    let e = format!("{a}{b}{c}");
                    assert_eq!(
                        crate::stage::redact::json_essence(&e),
                        reference(&e),
                        "{e:?}"
                    );
                    checked += usize::from(reference(&e));
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// `split_media_type` is `str::split(';')`: its essence the first piece trimmed, and the
    /// pieces of what follows the `;` the other pieces, for every string of up to five of
    /// `;`, ` `, `a`, `=`, `é`.
    #[test]
    fn media_type_split_is_str_split() {
        let mut all = vec![String::new()];
        let mut level = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for p in &level {
                for c in [';', ' ', 'a', '=', 'é'] {
                    next.push(format!("{p}{c}"));
                }
            }
            all.extend(next.iter().cloned());
            level = next;
        }
        for ct in &all {
            let mut parts = ct.split(';');
            let first = parts.next().unwrap_or("").trim();
            let rest: Vec<&str> = parts.collect();
            let (essence, params) = crate::stage::redact::split_media_type(ct);
            assert_eq!(essence, first, "{ct:?}");
            assert_eq!(crate::stage::redact::essence(ct), first, "{ct:?}");
            let got: Vec<&str> = params.into_iter().flat_map(|r| r.split(';')).collect();
            assert_eq!(got, rest, "{ct:?}");
        }
    }

    #[test]
    fn media_types() {
        let mut h = HeaderMap::new();
        assert!(require_media_type(&h, MediaType::Json).is_err());
        h.insert(
            CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
        assert!(require_media_type(&h, MediaType::Json).is_ok());
        h.insert(
            CONTENT_TYPE,
            "application/merge-patch+json".parse().unwrap(),
        );
        assert!(require_media_type(&h, MediaType::Json).is_ok());
        h.insert(
            CONTENT_TYPE,
            "application/json; charset=latin1".parse().unwrap(),
        );
        assert!(require_media_type(&h, MediaType::Json).is_err());
        h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(require_media_type(&h, MediaType::Json).is_err());
    }
}
