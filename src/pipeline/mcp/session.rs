//! `Mcp-Session-Id`: a session belongs to the principal that opened it through toolwall.

use std::any::Any;
use std::sync::Arc;

use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{json, Value};

use super::pending::PendingMap;
use super::refusal::refuse;
use super::{json_response, Exchange, Runtime};
use crate::mcp::Lookup;
use crate::pipeline::reject::{McpSubject, Reason, Reject};
use crate::pipeline::ResBody;
use crate::protocol::mcp as proto;
use crate::stage::identify;
use crate::stage::record::CallRecord;

/// The session `sid` of `adapter` as `owner` sees it, with the requests pending in it.
pub(super) fn lookup(app: &Runtime, adapter: &str, sid: &str, owner: &str) -> Lookup<PendingMap> {
    match app.mcp.sessions.lookup(adapter, sid, owner) {
        // the catalog keeps what is pending as it was given: always a pending map
        Lookup::Found(any) => match any.downcast::<PendingMap>() {
            Ok(pending) => Lookup::Found(pending),
            Err(_) => Lookup::Unknown,
        },
        Lookup::Foreign => Lookup::Foreign,
        Lookup::Unknown => Lookup::Unknown,
    }
}

impl Exchange {
    /// Sessions: the one the server opens (`Mcp-Session-Id` on the answer to a session-less
    /// POST) is bound to this principal; a successful DELETE ends it.
    pub(super) fn track_session(
        &mut self,
        method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<(), Reject> {
        let adapter = self.adapter().name.clone();
        if *method == Method::DELETE {
            if let (true, Some(sid)) = (status.is_success(), &self.session) {
                self.app.mcp.sessions.close(&adapter, sid);
            }
            return Ok(());
        }
        if *method != Method::POST || self.session.is_some() {
            return Ok(());
        }
        let Some(v) = headers.get(proto::SESSION_HEADER) else {
            return Ok(());
        };
        let sid = v.to_str().map_err(|_| {
            Reject::new(
                Reason::ResponseNotInspectable,
                "the MCP server's Mcp-Session-Id is not visible ASCII",
            )
        })?;
        let pending = || Arc::new(PendingMap::default()) as Arc<dyn Any + Send + Sync>;
        if self
            .app
            .mcp
            .sessions
            .open(&adapter, sid, &self.owner, pending)
        {
            Ok(())
        } else {
            Err(Reject::new(
                Reason::ResponseNotInspectable,
                "the MCP server opened a session whose id another principal holds",
            ))
        }
    }
}

/// Who a session belongs to: tenant and agent.
pub(super) fn owner_key(p: Option<&identify::Principal>) -> String {
    let (tenant, agent) = p.map_or((None, ""), |p| (p.tenant.as_deref(), p.agent.as_str()));
    serde_json::to_string(&(tenant, agent)).unwrap_or_default()
}

/// The agent's `Mcp-Session-Id`, if it sent one (once).
pub(super) fn session_header(headers: &HeaderMap) -> Result<Option<String>, String> {
    let mut values = headers.get_all(proto::SESSION_HEADER).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("Mcp-Session-Id appears more than once".into());
    }
    match v.to_str() {
        Ok(s) if !s.is_empty() => Ok(Some(s.to_string())),
        _ => Err("Mcp-Session-Id must be visible ASCII".into()),
    }
}

/// A session this principal did not open: 404, as MCP answers an ended session (the client
/// starts a new one), the same whether another principal holds it or nobody does; recorded.
pub(super) fn unknown_session(
    ctx: &mut CallRecord,
    method: &Method,
    found: Lookup<PendingMap>,
) -> Response<ResBody> {
    let why = match found {
        Lookup::Foreign => "the Mcp-Session-Id belongs to another principal",
        _ => "the Mcp-Session-Id is not a session this principal opened through toolwall",
    };
    ctx.extra = Some(json!({"method": method.as_str(), "event": "unknown_session"}));
    let rej = Reject::new(Reason::InvalidMcpMessage, why);
    let (answer, status) = refuse(ctx, rej, McpSubject::Session, &Value::Null, false);
    json_response(status, &answer, &ctx.decision_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn principal(tenant: Option<&str>, agent: &str) -> identify::Principal {
        identify::Principal {
            tenant: tenant.map(str::to_string),
            agent: agent.to_string(),
            workflow: None,
            run_id: None,
            source: "test",
            claims: serde_json::Map::new(),
        }
    }

    #[test]
    fn owners_are_told_apart_by_tenant_and_agent() {
        let a = owner_key(Some(&principal(Some("t"), "a")));
        assert_eq!(a, owner_key(Some(&principal(Some("t"), "a"))));
        assert_ne!(a, owner_key(Some(&principal(Some("u"), "a"))));
        assert_ne!(a, owner_key(Some(&principal(None, "a"))));
        assert_ne!(a, owner_key(Some(&principal(Some("t"), "b"))));
        // no separator an agent name could forge
        assert_ne!(
            owner_key(Some(&principal(Some("t\",\"a"), "b"))),
            owner_key(Some(&principal(Some("t"), "a\",\"b")))
        );
        assert_ne!(owner_key(None), owner_key(Some(&principal(Some(""), ""))));
    }

    #[test]
    fn the_session_header_is_taken_once_and_visible() {
        let mut h = HeaderMap::new();
        assert_eq!(session_header(&h), Ok(None));
        h.insert(proto::SESSION_HEADER, HeaderValue::from_static("s-1"));
        assert_eq!(session_header(&h), Ok(Some("s-1".into())));
        h.append(proto::SESSION_HEADER, HeaderValue::from_static("s-2"));
        assert!(session_header(&h).is_err());
        for bad in [&b""[..], b"caf\xc3\xa9"] {
            let mut h = HeaderMap::new();
            h.insert(
                proto::SESSION_HEADER,
                HeaderValue::from_bytes(bad).expect("value"),
            );
            assert!(session_header(&h).is_err(), "{bad:?}");
        }
    }
}
