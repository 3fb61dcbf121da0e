//! Toolwall as an MCP client: its own `tools/list` (every page), read with the agent's
//! session when a call names a tool it has not seen listed.

use http::{header, HeaderMap, HeaderValue, Method};
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
    /// Read the server's `tools/list` (every page) with the agent's session, and record it.
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
            let mut params = Map::new();
            if let Some(c) = cursor.take() {
                params.insert("cursor".into(), c);
            }
            if self.modern {
                params.insert(
                    "_meta".into(),
                    json!({
                        proto::META_PROTOCOL_VERSION: version,
                        proto::META_CLIENT_CAPABILITIES: {},
                    }),
                );
            }
            let req = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params});
            let out = Outgoing {
                method: Method::POST,
                path_and_query: String::new(),
                body: serialize(&req),
                content_type: Some("application/json"),
                traceparent: self.traceparent.clone(),
                identity_encoding: true,
            };
            let resp = forward(self.adapter(), &headers, out).await?;
            // read as the relay reads: the same content types, events and strict JSON
            let kind = response_kind(resp.headers());
            let status = resp.status();
            let body = read_all(resp.into_body()).await?;
            let depth = self.snap.max_json_depth;
            let messages = match kind {
                Kind::EventStream => {
                    let (events, _tail) = sse::parse_all(&body);
                    events
                        .iter()
                        .filter_map(|e| match read_event(e, depth) {
                            EventRead::Message(m) => Some(m),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                }
                Kind::Json => crate::json::parse_strict(&body, depth)
                    .ok()
                    .into_iter()
                    .collect(),
                Kind::Other => Vec::new(),
            };
            let Some(answer) = messages
                .into_iter()
                .find(|m| m.get("id") == Some(&json!(id)))
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
            if let Some(tools) = result.get("tools").and_then(Value::as_array) {
                defs.extend(tools.iter().cloned());
            }
            match result.get("nextCursor") {
                Some(c) if !c.is_null() => cursor = Some(c.clone()),
                _ => break,
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
