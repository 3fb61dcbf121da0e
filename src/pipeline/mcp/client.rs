//! Toolwall as an MCP client: its own `tools/list` (every page), read with the agent's
//! session when a call names a tool it has not seen listed.

use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};

use super::relay::{read_all, response_kind, Kind};
use super::stream::{read_event, EventRead};
use super::{serialize, Exchange, MAX_LIST_PAGES};
use crate::mcp::PinStatus;
use crate::pipeline::reject::{Reason, Reject};
use crate::protocol::mcp as proto;
use crate::protocol::sse;
use crate::stage::forward::{forward, Outgoing};

impl Exchange {
    /// Read the server's `tools/list` (every page, up to [`MAX_LIST_PAGES`]) with the agent's
    /// session, and record it.
    pub(super) async fn fetch_tool_list(&self) -> Result<(), Reject> {
        let version = self
            .headers
            .get(proto::PROTOCOL_VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut headers = self.headers.clone();
        headers.remove(proto::NAME_HEADER);
        headers.insert(proto::METHOD_HEADER, HeaderValue::from_static("tools/list"));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        drop_param_headers(&mut headers);
        let mut defs = Vec::new();
        let mut cursor: Option<Value> = None;
        for page in 0..MAX_LIST_PAGES {
            let id = format!("toolwall-list-{}-{page}", uuid::Uuid::now_v7());
            let meta = self.modern.then_some(version.as_deref());
            let req = list_request(&id, cursor.take(), meta);
            let out = Outgoing {
                method: Method::POST,
                path_and_query: String::new(),
                body: serialize(&req),
                content_type: Some("application/json"),
                traceparent: self.traceparent.clone(),
                identity_encoding: true,
            };
            let resp = forward(self.adapter(), &headers, out).await?;
            let kind = response_kind(resp.headers());
            let status = resp.status();
            let body = read_all(resp.into_body()).await?;
            let messages = answer_messages(kind, &body, self.snap.max_json_depth);
            let (tools, next) = read_page(messages, &id, status)?;
            defs.extend(tools);
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let observed = self
            .app
            .mcp
            .observe(self.app.state(), &self.snap, self.adapter(), &defs)
            .await
            .map_err(|e| Reject::new(Reason::StateUnavailable, e.to_string()))?;
        for (name, status) in observed {
            if let Ok((tool, PinStatus::Repinned { old })) = status {
                self.audit_repinned(&name, &tool, &old);
            }
        }
        Ok(())
    }
}

/// The `tools/list` request for one page: `cursor` from the page before; `meta` (2026-07-28
/// requests carry their envelope) with the agent's protocol version.
pub(super) fn list_request(id: &str, cursor: Option<Value>, meta: Option<Option<&str>>) -> Value {
    let mut params = Map::new();
    if let Some(c) = cursor {
        params.insert("cursor".into(), c);
    }
    if let Some(version) = meta {
        params.insert(
            "_meta".into(),
            json!({
                proto::META_PROTOCOL_VERSION: version,
                proto::META_CLIENT_CAPABILITIES: {},
            }),
        );
    }
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params})
}

/// The messages of a server's answer, read as the relay reads them: the same content types,
/// events and strict JSON; anything unreadable is no message.
pub(super) fn answer_messages(kind: Kind, body: &[u8], depth: usize) -> Vec<Value> {
    match kind {
        Kind::EventStream => {
            let (events, _tail) = sse::parse_all(body);
            events
                .iter()
                .filter_map(|e| match read_event(e, depth) {
                    EventRead::Message(m) => Some(m),
                    _ => None,
                })
                .collect()
        }
        Kind::Json => crate::json::parse_strict(body, depth)
            .ok()
            .into_iter()
            .collect(),
        Kind::Other => Vec::new(),
    }
}

/// One page of the list, from the answer to request `id`: its tools, and the cursor of the
/// next page (`None` on the last). No answer, or an error, refuses the call that needed it.
pub(super) fn read_page(
    messages: Vec<Value>,
    id: &str,
    status: StatusCode,
) -> Result<(Vec<Value>, Option<Value>), Reject> {
    let Some(answer) = messages
        .into_iter()
        .find(|m| m.get("id").and_then(Value::as_str) == Some(id))
    else {
        return Err(Reject::new(
            Reason::UpstreamUnavailable,
            format!("the MCP server did not answer toolwall's tools/list (HTTP {status})"),
        ));
    };
    let Some(result) = answer.get("result") else {
        return Err(Reject::new(
            Reason::UpstreamUnavailable,
            format!(
                "the MCP server refused toolwall's tools/list: {}",
                answer["error"]
            ),
        ));
    };
    let tools = match result.get("tools").and_then(Value::as_array) {
        Some(tools) => tools.clone(),
        None => Vec::new(),
    };
    let next = result.get("nextCursor").filter(|c| !c.is_null()).cloned();
    Ok((tools, next))
}

/// Drop `Mcp-Param-*` headers (they belong to one tools/call).
pub(super) fn drop_param_headers(headers: &mut HeaderMap) {
    let names: Vec<_> = headers
        .keys()
        .filter(|k| k.as_str().starts_with(proto::PARAM_HEADER_PREFIX))
        .cloned()
        .collect();
    for n in names {
        headers.remove(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_asks_for_the_cursor_the_last_one_gave() {
        let first = list_request("l-0", None, None);
        assert_eq!(
            first,
            json!({"jsonrpc": "2.0", "id": "l-0", "method": "tools/list", "params": {}})
        );
        let next = list_request("l-1", Some(json!("c2")), Some(Some("2026-07-28")));
        assert_eq!(next["params"]["cursor"], "c2");
        assert_eq!(
            next["params"]["_meta"][proto::META_PROTOCOL_VERSION],
            "2026-07-28"
        );
        assert!(next["params"]["_meta"][proto::META_CLIENT_CAPABILITIES].is_object());
    }

    #[test]
    fn a_page_gives_its_tools_and_the_next_cursor() {
        let ok = StatusCode::OK;
        let page = |id: &str, result: Value| json!({"jsonrpc": "2.0", "id": id, "result": result});
        let (tools, next) = read_page(
            vec![page(
                "l-0",
                json!({"tools": [{"name": "a"}], "nextCursor": "c"}),
            )],
            "l-0",
            ok,
        )
        .map_err(|r| r.message)
        .expect("a page");
        assert_eq!((tools.len(), next), (1, Some(json!("c"))));
        // the last page: no cursor, or a null one
        for last in [
            json!({"tools": []}),
            json!({"tools": [], "nextCursor": null}),
        ] {
            let (_, next) = read_page(vec![page("l-0", last)], "l-0", ok)
                .map_err(|r| r.message)
                .expect("a page");
            assert_eq!(next, None);
        }
        // only the answer to this request counts: another id (or a number id) is no answer
        for other in [
            page("l-9", json!({"tools": []})),
            json!({"jsonrpc": "2.0", "id": 0, "result": {}}),
        ] {
            let rej = read_page(vec![other], "l-0", ok).err().map(|r| r.reason);
            assert_eq!(rej, Some(Reason::UpstreamUnavailable));
        }
        let error = json!({"jsonrpc": "2.0", "id": "l-0", "error": {"code": -1, "message": "no"}});
        let rej = read_page(vec![error], "l-0", ok).err().map(|r| r.message);
        assert!(rej.is_some_and(|m| m.contains("refused toolwall's tools/list")));
        let rej = read_page(Vec::new(), "l-0", StatusCode::BAD_GATEWAY)
            .err()
            .map(|r| r.message);
        assert!(rej.is_some_and(|m| m.contains("HTTP 502")));
    }

    #[test]
    fn a_listing_is_read_as_the_relay_reads_answers() {
        let msg = r#"{"jsonrpc":"2.0","id":"l","result":{"tools":[]}}"#;
        assert_eq!(answer_messages(Kind::Json, msg.as_bytes(), 32).len(), 1);
        let sse = format!("event: message\ndata: {msg}\n\ndata: {{\"n\":NaN}}\n\n");
        assert_eq!(
            answer_messages(Kind::EventStream, sse.as_bytes(), 32).len(),
            1
        );
        // duplicate keys, a foreign content type: nothing is read
        let dup = r#"{"jsonrpc":"2.0","id":"l","id":"m","result":{}}"#;
        assert!(answer_messages(Kind::Json, dup.as_bytes(), 32).is_empty());
        assert!(answer_messages(Kind::Other, msg.as_bytes(), 32).is_empty());
    }
}
