//! MCP Streamable HTTP, the parts toolwall reads: JSON-RPC messages, protocol versions and the
//! routing headers (`Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`) that must agree with the body.
//!
//! Versions: 2025-06-18 and 2025-11-25 (initialize, `Mcp-Session-Id`), older handshake versions
//! accepted the same way, and 2026-07-28 (stateless: `server/discover`, version and capabilities
//! in `params._meta`, required `Mcp-Method` / `Mcp-Name` headers, `x-mcp-header` arguments
//! mirrored in `Mcp-Param-*`). Decisions are taken on the body, never on the headers; a header
//! that disagrees with the body is a protocol error.

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::{json, Map, Value};

pub const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";
pub const SESSION_HEADER: &str = "mcp-session-id";
pub const METHOD_HEADER: &str = "mcp-method";
pub const NAME_HEADER: &str = "mcp-name";
pub const PARAM_HEADER_PREFIX: &str = "mcp-param-";
/// `params._meta` key carrying the protocol version (2026-07-28).
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// Versions negotiated by `initialize` (session-bearing).
pub const HANDSHAKE_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// Stateless per-request-envelope versions.
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];

/// JSON-RPC error codes toolwall answers with.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;
/// MCP 2026-07-28: a routing header disagrees with the body.
pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
/// toolwall's own: policy refused a request whose result type has no `isError`
/// (`resources/read`, `prompts/get`, server-to-client requests).
pub const REFUSED: i64 = -32003;

/// Methods whose subject is named in `params` (and mirrored in `Mcp-Name`).
pub fn name_key(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

/// Server-to-client requests policy sees (`<adapter>.<method>`).
pub fn is_gated_server_request(method: &str) -> bool {
    matches!(
        method,
        "sampling/createMessage" | "elicitation/create" | "roots/list"
    )
}

/// Methods that may travel as notifications (no `id`, no answer): `notifications/*` only.
/// Anything else without an id would be executed by a JSON-RPC peer with nobody deciding it.
pub fn is_notification_method(method: &str) -> bool {
    method.starts_with("notifications/")
}

/// Server-to-client requests toolwall relays to the agent: `ping` and the gated ones.
pub fn is_known_server_request(method: &str) -> bool {
    method == "ping" || is_gated_server_request(method)
}

/// One JSON-RPC message, by shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Request,
    Notification,
    Response,
}

/// A protocol-level problem: answered with a JSON-RPC error, never forwarded.
#[derive(Debug, Clone)]
pub struct ProtocolError {
    pub code: i64,
    pub message: String,
}

impl ProtocolError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        ProtocolError {
            code,
            message: message.into(),
        }
    }
}

/// The shape of a JSON-RPC 2.0 message, or why it is not one.
pub fn shape(msg: &Value) -> Result<Shape, ProtocolError> {
    let invalid = |m: &str| Err(ProtocolError::new(INVALID_REQUEST, m));
    let Some(obj) = msg.as_object() else {
        return invalid("a JSON-RPC message must be an object");
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid("`jsonrpc` must be \"2.0\"");
    }
    let id_ok = |id: &Value| id.is_string() || id.is_i64() || id.is_u64();
    match (obj.get("method"), obj.get("id")) {
        (Some(Value::String(_)), None) => Ok(Shape::Notification),
        (Some(Value::String(_)), Some(id)) if id_ok(id) => Ok(Shape::Request),
        (Some(Value::String(_)), Some(_)) => invalid("`id` must be a string or an integer"),
        (Some(_), _) => invalid("`method` must be a string"),
        (None, Some(id)) if id_ok(id) || id.is_null() => {
            if obj.contains_key("result") == obj.contains_key("error") {
                invalid("a response carries exactly one of `result` and `error`")
            } else {
                Ok(Shape::Response)
            }
        }
        (None, _) => invalid("a message needs `method` (request, notification) or `id` (response)"),
    }
    .and_then(|s| match obj.get("params") {
        None | Some(Value::Object(_)) => Ok(s),
        Some(Value::Array(_)) if s != Shape::Response => Err(ProtocolError::new(
            INVALID_PARAMS,
            "MCP params are an object, not an array",
        )),
        Some(_) => Err(ProtocolError::new(
            INVALID_PARAMS,
            "`params` must be an object",
        )),
    })
}

pub fn method(msg: &Value) -> &str {
    msg.get("method").and_then(Value::as_str).unwrap_or("")
}

/// The protocol version of a request: the header, else `params._meta` (2026-07-28), else the
/// `initialize` params; `None` for a pre-2025-06-18 client that sends neither.
pub fn version<'a>(headers: &'a HeaderMap, msg: &'a Value) -> Option<&'a str> {
    if let Some(v) = headers
        .get(PROTOCOL_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return Some(v);
    }
    msg.pointer("/params/_meta")
        .and_then(|m| m.get(META_PROTOCOL_VERSION))
        .and_then(Value::as_str)
}

pub fn is_modern(version: Option<&str>) -> bool {
    version.is_some_and(|v| MODERN_VERSIONS.contains(&v))
}

/// Routing headers must appear at most once and agree with the body; on 2026-07-28 requests
/// `Mcp-Method` (and `Mcp-Name` for named methods) are required and the envelope version must
/// equal the header.
pub fn check_routing_headers(
    headers: &HeaderMap,
    msg: &Value,
    shape: Shape,
) -> Result<(), ProtocolError> {
    for name in [PROTOCOL_VERSION_HEADER, METHOD_HEADER, NAME_HEADER] {
        if headers.get_all(name).iter().count() > 1 {
            return Err(ProtocolError::new(
                HEADER_MISMATCH,
                format!("header {name} appears more than once"),
            ));
        }
    }
    let header = |n: &str| headers.get(n).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let version_header = header(PROTOCOL_VERSION_HEADER);
    if let Some(v) = version_header {
        if !HANDSHAKE_VERSIONS.contains(&v) && !MODERN_VERSIONS.contains(&v) {
            return Err(ProtocolError::new(
                UNSUPPORTED_PROTOCOL_VERSION,
                format!("MCP-Protocol-Version {v} is not one toolwall speaks (2025-06-18, 2025-11-25, 2026-07-28)"),
            ));
        }
    }
    let modern = is_modern(version_header);
    let method = method(msg);
    if shape == Shape::Response {
        return Ok(());
    }
    if modern {
        let envelope = msg
            .pointer("/params/_meta")
            .and_then(|m| m.get(META_PROTOCOL_VERSION))
            .and_then(Value::as_str);
        if shape == Shape::Request && envelope != version_header {
            return Err(ProtocolError::new(
                HEADER_MISMATCH,
                "MCP-Protocol-Version header does not match params._meta's protocol version",
            ));
        }
    }
    match header(METHOD_HEADER) {
        Some(h) if h != method => {
            return Err(ProtocolError::new(
                HEADER_MISMATCH,
                format!("Mcp-Method header `{h}` does not match the body's method `{method}`"),
            ))
        }
        None if modern => {
            return Err(ProtocolError::new(
                HEADER_MISMATCH,
                "Mcp-Method header is required on MCP 2026-07-28 requests",
            ))
        }
        _ => {}
    }
    if let Some(key) = name_key(method) {
        let body = msg
            .get("params")
            .and_then(|p| p.get(key))
            .and_then(Value::as_str);
        let decoded = header(NAME_HEADER).map(decode_header_value);
        match (decoded, body) {
            (Some(h), Some(b)) if h.as_deref() != Some(b) => {
                return Err(ProtocolError::new(
                    HEADER_MISMATCH,
                    format!("Mcp-Name header does not match the body's `{key}`"),
                ))
            }
            (None, Some(_)) if modern => {
                return Err(ProtocolError::new(
                    HEADER_MISMATCH,
                    format!("Mcp-Name header is required for {method} on MCP 2026-07-28"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// `Mcp-Param-*` header tokens of a tool's `inputSchema`: (property path, token), for every
/// property reached from the root through `properties` only that carries `x-mcp-header`.
pub fn param_header_map(schema: &Value) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<String>, &Value)> = vec![(Vec::new(), schema)];
    while let Some((path, node)) = stack.pop() {
        let Some(obj) = node.as_object() else {
            continue;
        };
        if let (false, Some(Value::String(token))) = (path.is_empty(), obj.get("x-mcp-header")) {
            out.push((path.clone(), token.clone()));
        }
        if let Some(Value::Object(props)) = obj.get("properties") {
            for (k, v) in props {
                let mut p = path.clone();
                p.push(k.clone());
                stack.push((p, v));
            }
        }
    }
    out
}

fn value_at<'a>(args: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(args, |v, k| v.as_object()?.get(k))
}

/// How a client mirrors an argument into a header: booleans as `true`/`false`, other scalars
/// as text; objects, arrays and null have none.
fn render(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Every `Mcp-Param-*` header must mirror its argument exactly; on 2026-07-28 (`required`)
/// both must be present or both absent, before that a header may be missing. An unannotated
/// `Mcp-Param-*` header is refused too.
pub fn check_param_headers(
    map: &[(Vec<String>, String)],
    args: &Value,
    headers: &HeaderMap,
    required: bool,
) -> Result<(), ProtocolError> {
    for (name, _) in headers.iter() {
        let n = name.as_str();
        if let Some(token) = n.strip_prefix(PARAM_HEADER_PREFIX) {
            if !map.iter().any(|(_, t)| t.eq_ignore_ascii_case(token)) {
                return Err(ProtocolError::new(
                    HEADER_MISMATCH,
                    format!("header {n} names no x-mcp-header argument of this tool"),
                ));
            }
            if headers.get_all(name).iter().count() > 1 {
                return Err(ProtocolError::new(
                    HEADER_MISMATCH,
                    format!("header {n} appears more than once"),
                ));
            }
        }
    }
    for (path, token) in map {
        let hname = format!("{PARAM_HEADER_PREFIX}{}", token.to_ascii_lowercase());
        let header = headers
            .get(hname.as_str())
            .map(|v| v.to_str().ok().and_then(decode_header_value));
        let arg = value_at(args, path)
            .filter(|v| !v.is_null())
            .and_then(render);
        let ok = match (&header, &arg) {
            (None, None) => true,
            (None, Some(_)) => !required,
            (Some(Some(h)), Some(a)) => h == a || numeric_eq(h, value_at(args, path)),
            _ => false,
        };
        if !ok {
            return Err(ProtocolError::new(
                HEADER_MISMATCH,
                format!(
                    "header Mcp-Param-{token} does not match argument `{}`",
                    path.join(".")
                ),
            ));
        }
    }
    Ok(())
}

/// `42` matches `42.0` for integral arguments (the spec's numeric comparison).
fn numeric_eq(header: &str, arg: Option<&Value>) -> bool {
    let Some(n) = arg.and_then(Value::as_f64) else {
        return false;
    };
    header
        .parse::<f64>()
        .is_ok_and(|h| h == n && n.fract() == 0.0)
}

/// Rewrite the `Mcp-Param-*` headers from (possibly redacted) arguments: all of them
/// (2026-07-28, `all`), or only those the client sent.
pub fn set_param_headers(
    map: &[(Vec<String>, String)],
    args: &Value,
    headers: &mut HeaderMap,
    all: bool,
) {
    for (path, token) in map {
        let Ok(name) = HeaderName::from_bytes(
            format!("{PARAM_HEADER_PREFIX}{}", token.to_ascii_lowercase()).as_bytes(),
        ) else {
            continue;
        };
        if headers.remove(&name).is_none() && !all {
            continue;
        }
        let rendered = value_at(args, path)
            .filter(|v| !v.is_null())
            .and_then(render);
        if let Some(v) = rendered.and_then(|r| HeaderValue::from_str(&encode_header_value(&r)).ok())
        {
            headers.insert(name, v);
        }
    }
}

/// Plain printable ASCII passes as is; anything else is wrapped as `=?base64?…?=`.
pub fn encode_header_value(v: &str) -> String {
    let safe = v.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && v.trim() == v
        && !(v.starts_with("=?base64?") && v.ends_with("?="));
    if safe {
        v.to_string()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(v.as_bytes())
        )
    }
}

/// Inverse of [`encode_header_value`]; `None` for a malformed sentinel.
pub fn decode_header_value(v: &str) -> Option<String> {
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        None => Some(v.to_string()),
        Some(payload) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .ok()?;
            String::from_utf8(bytes).ok()
        }
    }
}

/// Serialize a request with its params rebuilt around borrowed (decided) values: `rest`
/// (the other params), `arguments` and `_meta`.
pub fn encode_request(
    msg: &Value,
    rest: &Map<String, Value>,
    arguments: Option<&Value>,
    meta: Option<&Value>,
) -> bytes::Bytes {
    #[derive(Serialize)]
    struct Params<'a> {
        #[serde(flatten)]
        rest: &'a Map<String, Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        arguments: Option<&'a Value>,
        #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
        meta: Option<&'a Value>,
    }
    #[derive(Serialize)]
    struct Request<'a> {
        jsonrpc: &'a str,
        id: &'a Value,
        method: &'a str,
        params: Params<'a>,
    }
    let bytes = serde_json::to_vec(&Request {
        jsonrpc: "2.0",
        id: msg.get("id").unwrap_or(&Value::Null),
        method: method(msg),
        params: Params {
            rest,
            arguments,
            meta,
        },
    });
    bytes::Bytes::from(bytes.unwrap_or_else(|_| b"null".to_vec()))
}

/// A JSON-RPC error response.
pub fn error_response(id: &Value, code: i64, message: &str, data: Option<Value>) -> Value {
    let mut err = Map::new();
    err.insert("code".into(), json!(code));
    err.insert("message".into(), json!(message));
    if let Some(d) = data {
        err.insert("data".into(), d);
    }
    json!({"jsonrpc": "2.0", "id": id, "error": err})
}

/// A `tools/call` result the model can read: `isError` with a text saying why.
pub fn refusal_result(id: &Value, text: &str, modern: bool) -> Value {
    let mut result = json!({
        "content": [{"type": "text", "text": text}],
        "isError": true,
    });
    if modern {
        result["resultType"] = json!("complete");
    }
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn shapes() {
        let ok = [
            (
                json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}),
                Shape::Request,
            ),
            (
                json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
                Shape::Notification,
            ),
            (
                json!({"jsonrpc":"2.0","id":"a","result":{}}),
                Shape::Response,
            ),
        ];
        for (m, s) in ok {
            assert_eq!(shape(&m).unwrap(), s, "{m}");
        }
        for bad in [
            json!([1]),
            json!({"id":1,"method":"x"}),
            json!({"jsonrpc":"2.0","id":1.5,"method":"x"}),
            json!({"jsonrpc":"2.0","id":1,"method":"x","params":[1]}),
            json!({"jsonrpc":"2.0","id":1,"result":{},"error":{}}),
            json!({"jsonrpc":"2.0","method":7}),
        ] {
            assert!(shape(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn routing_headers_must_match_the_body() {
        let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"refund","arguments":{},
            "_meta":{META_PROTOCOL_VERSION:"2026-07-28"}}});
        let good = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "refund"),
        ]);
        assert!(check_routing_headers(&good, &call, Shape::Request).is_ok());
        for bad in [
            headers(&[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/list"),
                ("mcp-name", "refund"),
            ]),
            headers(&[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "other"),
            ]),
            headers(&[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
            ]),
            headers(&[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-name", "refund"),
            ]),
            headers(&[
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "tools/call"),
                ("mcp-method", "tools/call"),
            ]),
            headers(&[("mcp-protocol-version", "1999-01-01")]),
        ] {
            assert!(
                check_routing_headers(&bad, &call, Shape::Request).is_err(),
                "{bad:?}"
            );
        }
        // legacy: the headers are optional, but must match when present
        let legacy = headers(&[("mcp-protocol-version", "2025-11-25")]);
        assert!(check_routing_headers(&legacy, &call, Shape::Request).is_ok());
    }

    #[test]
    fn param_headers_mirror_arguments() {
        let schema = json!({"type":"object","properties":{
            "region":{"type":"string","x-mcp-header":"Region"},
            "n":{"type":"integer","x-mcp-header":"N"},
            "nested":{"type":"object","properties":{"flag":{"type":"boolean","x-mcp-header":"Flag"}}}}});
        let map = param_header_map(&schema);
        assert_eq!(map.len(), 3);
        let args = json!({"region":"eu-west","n":42,"nested":{"flag":true}});
        let good = headers(&[
            ("mcp-param-region", "eu-west"),
            ("mcp-param-n", "42.0"),
            ("mcp-param-flag", "true"),
        ]);
        assert!(check_param_headers(&map, &args, &good, true).is_ok());
        let wrong = headers(&[
            ("mcp-param-region", "us-east"),
            ("mcp-param-n", "42"),
            ("mcp-param-flag", "true"),
        ]);
        assert!(check_param_headers(&map, &args, &wrong, false).is_err());
        let missing = headers(&[("mcp-param-n", "42"), ("mcp-param-flag", "true")]);
        assert!(check_param_headers(&map, &args, &missing, true).is_err());
        assert!(
            check_param_headers(&map, &args, &missing, false).is_ok(),
            "legacy: optional"
        );
        let unknown = headers(&[
            ("mcp-param-region", "eu-west"),
            ("mcp-param-n", "42"),
            ("mcp-param-flag", "true"),
            ("mcp-param-x", "1"),
        ]);
        assert!(check_param_headers(&map, &args, &unknown, false).is_err());
        // rewritten after redaction, non-ASCII wrapped
        let mut h = good.clone();
        set_param_headers(
            &map,
            &json!({"region":"[EMAIL] é","n":42,"nested":{"flag":false}}),
            &mut h,
            true,
        );
        assert_eq!(
            decode_header_value(h["mcp-param-region"].to_str().unwrap()).unwrap(),
            "[EMAIL] é"
        );
        assert_eq!(h["mcp-param-flag"], "false");
    }
}
