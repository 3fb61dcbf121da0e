//! Admin routes for limits: kill switches (`GET/POST /admin/kill`) and spend (`GET /admin/usage`).

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::json;

use super::json_response;
use crate::app::AppState;
use crate::pipeline::ResBody;
use crate::stage::limits::{agent_key, day, run_key, tenant_key};
use crate::state::usd;

/// `POST /admin/kill` body: `{"on": true, "tenant": "acme"}` — exactly one of
/// tenant/agent/tool/workflow, or `"all": true`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillRequest {
    pub on: bool,
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub tool: Option<String>,
    #[serde(default)]
    pub workflow: Option<String>,
}

impl KillRequest {
    /// The kill-switch field this request names.
    pub fn field(&self) -> Result<String, String> {
        let mut named: Vec<String> = Vec::new();
        if self.all {
            named.push("all".into());
        }
        for (k, v) in [
            ("tenant", &self.tenant),
            ("agent", &self.agent),
            ("tool", &self.tool),
            ("workflow", &self.workflow),
        ] {
            if let Some(v) = v {
                if v.is_empty() || v.len() > 256 {
                    return Err(format!("{k} must be 1 to 256 characters"));
                }
                named.push(format!("{k}:{v}"));
            }
        }
        match named.len() {
            1 => Ok(named.remove(0)),
            _ => Err("name exactly one of all, tenant, agent, tool, workflow".into()),
        }
    }
}

async fn kills_doc(st: &AppState) -> Result<serde_json::Value, String> {
    let snap = st.snapshot.load();
    let from_state = st.state().kills().await.map_err(|e| e.to_string())?;
    let mut kills: Vec<serde_json::Value> = snap
        .limits
        .kill
        .iter()
        .map(|f| json!({"switch": f, "source": "config"}))
        .collect();
    kills.extend(
        from_state
            .iter()
            .map(|f| json!({"switch": f, "source": "admin"})),
    );
    Ok(json!({ "kills": kills }))
}

pub async fn list_kills(st: &Arc<AppState>) -> Response<ResBody> {
    match kills_doc(st).await {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({ "error": e })),
    }
}

pub async fn set_kill(st: &Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    let bad = |m: String| json_response(StatusCode::BAD_REQUEST, &json!({ "error": m }));
    let body = match Limited::new(req.into_body(), 64 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return bad(format!("cannot read the body: {e}")),
    };
    let kr: KillRequest = match serde_json::from_slice(&body) {
        Ok(k) => k,
        Err(e) => return bad(format!("body: {e}")),
    };
    let field = match kr.field() {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    if !kr.on && st.snapshot.load().limits.kill.contains(&field) {
        return json_response(
            StatusCode::CONFLICT,
            &json!({ "error": format!("kill switch `{field}` is set in config (kill:); remove it there") }),
        );
    }
    if let Err(e) = st.state().set_kill(&field, kr.on).await {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "error": e.to_string() }),
        );
    }
    tracing::warn!(target: "toolwall::admin", switch = %field, on = kr.on, "kill switch changed");
    st.event(
        crate::audit::event::EventRecord::new("admin.kill_switch")
            .detail("switch", field.clone())
            .detail("on", kr.on),
    );
    list_kills(st).await
}

/// `GET /admin/usage?tenant=T[&agent=A[&run=R]][&day=YYYY-MM-DD]`: agent and run counters
/// belong to the tenant given (none when omitted).
pub async fn usage(st: &Arc<AppState>, query: Option<&str>) -> Response<ResBody> {
    let mut tenant = None;
    let mut agent = None;
    let mut run = None;
    let mut d = day(st.clock().now(), st.snapshot.load().limits.day_offset);
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "tenant" => tenant = Some(v.into_owned()),
            "agent" => agent = Some(v.into_owned()),
            "run" | "run_id" => run = Some(v.into_owned()),
            "day" => d = v.into_owned(),
            other => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({ "error": format!("unknown parameter `{other}` (tenant, agent, run, day)") }),
                )
            }
        }
    }
    let mut names = Vec::new();
    let mut keys = Vec::new();
    if let Some(t) = &tenant {
        names.push("tenant_spent_usd");
        keys.push(tenant_key(t, &d));
    }
    if let Some(a) = &agent {
        names.push("agent_spent_usd");
        keys.push(agent_key(tenant.as_deref(), a, &d));
    }
    if let Some(r) = &run {
        // run budgets belong to a tenant's agent: name them (tenant omitted = no tenant)
        let Some(a) = &agent else {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({ "error": "run needs agent (and tenant, when the agent has one)" }),
            );
        };
        names.push("run_spent_usd");
        keys.push(run_key(tenant.as_deref(), a, r));
    }
    if keys.is_empty() {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "give tenant, agent or run" }),
        );
    }
    match st.state().usage(&keys).await {
        Ok(values) => {
            let mut doc = serde_json::Map::new();
            doc.insert("day".into(), json!(d));
            doc.insert("tenant".into(), json!(tenant));
            doc.insert("agent".into(), json!(agent));
            doc.insert("run".into(), json!(run));
            for (n, v) in names.iter().zip(values) {
                doc.insert((*n).into(), json!(usd(v)));
            }
            json_response(StatusCode::OK, &serde_json::Value::Object(doc))
        }
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "error": e.to_string() }),
        ),
    }
}
