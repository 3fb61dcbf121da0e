//! The admin listener: /healthz, /readyz, /metrics, POST /admin/reload, GET/POST /admin/kill,
//! GET /admin/usage, GET and POST /admin/mcp/pin, /admin/approvals* (`approvals.rs`). Never on the
//! agent port. `/admin/*` always needs the bearer token (configured, or generated into a 0600
//! file; an approver's token on the approvals routes), a local `Host`, no `Origin`, and
//! `Content-Type: application/json` on POST (`auth.rs`); the probes and metrics stay open.

pub mod approvals;
pub mod auth;
mod limits;
mod ui;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::app::AppState;
use crate::pipeline::{full, ResBody};

pub async fn handle(st: &Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    // `/admin/approvals*` also takes approvers' tokens: its own checks (`approvals.rs`).
    if approvals::is_route(req.uri().path()) {
        return approvals::handle(st, req).await;
    }
    // The approval page and its API: checks of their own (`ui.rs`).
    let path = req.uri().path();
    if path == "/ui" || path.starts_with("/ui/") {
        return ui::handle(st, req).await;
    }
    // Only the read-only probes and metrics are open; everything else (every /admin/* route,
    // and any other path) passes the admin checks first.
    let open = req.method() == Method::GET
        && matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics");
    if !open {
        let checked = st.admin.check(
            req.method(),
            req.uri().authority().map(|a| a.as_str()),
            req.headers(),
        );
        match checked {
            Ok(()) => {}
            Err(auth::Refusal::Unauthorized) => {
                let mut r = text(
                    StatusCode::UNAUTHORIZED,
                    "admin API: bearer token required (toolwall writes it to its admin token file at start)\n",
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
                return r;
            }
            Err(auth::Refusal::Forbidden(why)) => {
                tracing::warn!(target: "toolwall::admin", path = %req.uri().path(), "{why}");
                return text(StatusCode::FORBIDDEN, &format!("{why}\n"));
            }
            Err(auth::Refusal::NotJson) => {
                return text(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "admin API: POST bodies must be sent as Content-Type: application/json\n",
                )
            }
        }
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => {
            let last = st
                .last_reload_error
                .lock()
                .map(|g| g.clone())
                .unwrap_or(None);
            let audit_down = st.audit.as_ref().is_some_and(|(sink, _)| !sink.healthy());
            // Ask the state backend now, so a backend that went away shows here at once.
            let state = st.state();
            let state_down = match state.kills().await {
                Ok(_) if state.healthy() => None,
                Ok(_) => Some("its last write failed (see the log)".to_string()),
                Err(e) => Some(e.to_string()),
            };
            st.metrics
                .state_backend_up
                .set(i64::from(state_down.is_none()));
            if !st.ready.load(Ordering::SeqCst) {
                text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
            } else if audit_down {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not ready: the audit stream cannot be written; calls are refused\n",
                )
            } else if let Some(err) = state_down {
                // Unlimited tools still work: degraded, not unready.
                text(
                    StatusCode::OK,
                    &format!(
                        "ready (degraded): state backend {} unavailable, calls to limited tools fail closed: {err}\n",
                        state.name()
                    ),
                )
            } else if let Some(err) = last {
                // Serving with the last good config; say so without turning unready.
                text(
                    StatusCode::OK,
                    &format!("ready (last reload failed, previous config in force):\n{err}\n"),
                )
            } else {
                text(StatusCode::OK, "ready\n")
            }
        }
        (&Method::GET, "/metrics") => {
            let mut r = Response::new(full(st.metrics.encode()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            r
        }
        (&Method::POST, "/admin/reload") => match st.reload().await {
            Ok(v) => text(StatusCode::OK, &format!("reloaded: version {v}\n")),
            Err(e) => text(StatusCode::UNPROCESSABLE_ENTITY, &format!("{e}\n")),
        },
        (&Method::GET, "/admin/kill") => limits::list_kills(st).await,
        (&Method::POST, "/admin/kill") => limits::set_kill(st, req).await,
        (&Method::GET, "/admin/usage") => limits::usage(st, req.uri().query()).await,
        (&Method::GET, "/admin/mcp/pin") => mcp_pending(st, req.uri().query()),
        (&Method::POST, "/admin/mcp/pin") => mcp_pin(st, req).await,
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `POST /admin/mcp/pin` `{"adapter": "crm", "tool": null}`: accept the MCP server's current
/// tool definitions (all of the adapter's, or one tool's).
async fn mcp_pin(st: &Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    use http_body_util::BodyExt;
    let body = match http_body_util::Limited::new(req.into_body(), 64 * 1024)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("cannot read body: {e}\n")),
    };
    let v: serde_json::Value = match crate::json::parse_strict(&body, 8) {
        Ok(v) => v,
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("body is not JSON: {e}\n")),
    };
    let Some(adapter) = v.get("adapter").and_then(|a| a.as_str()) else {
        return text(
            StatusCode::BAD_REQUEST,
            "body needs {\"adapter\": \"NAME\"}\n",
        );
    };
    let tool = v.get("tool").and_then(|t| t.as_str());
    // `expect`: {name: hash} of the changes the operator reviewed (`toolwall mcp pin`)
    let expect = match v.get("expect") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(m)) => {
            let mut want = std::collections::HashMap::new();
            for (k, h) in m {
                let Some(h) = h.as_str() else {
                    return text(
                        StatusCode::BAD_REQUEST,
                        "expect: {\"NAME\": \"sha256:…\"}\n",
                    );
                };
                want.insert(k.clone(), h.to_string());
            }
            Some(want)
        }
        Some(_) => {
            return text(
                StatusCode::BAD_REQUEST,
                "expect: {\"NAME\": \"sha256:…\"}\n",
            )
        }
    };
    match crate::pipeline::mcp::repin(&st.rt, adapter, tool, expect.as_ref()).await {
        Ok(out) => {
            let mut r = Response::new(full(out.to_string()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => text(StatusCode::UNPROCESSABLE_ENTITY, &format!("{e}\n")),
    }
}

/// `GET /admin/mcp/pin?adapter=crm[&tool=NAME]`: what a re-pin would accept — each tool whose
/// listed definition differs from its pin, with the pinned and the listed definitions.
fn mcp_pending(st: &Arc<AppState>, query: Option<&str>) -> Response<ResBody> {
    let (mut adapter, mut tool) = (None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "adapter" => adapter = Some(v.into_owned()),
            "tool" => tool = Some(v.into_owned()),
            other => {
                return text(
                    StatusCode::BAD_REQUEST,
                    &format!("unknown parameter `{other}` (adapter, tool)\n"),
                )
            }
        }
    }
    let Some(adapter) = adapter else {
        return text(StatusCode::BAD_REQUEST, "needs ?adapter=NAME\n");
    };
    match crate::pipeline::mcp::pending(&st.rt, &adapter, tool.as_deref()) {
        Ok(out) => {
            let mut r = Response::new(full(out.to_string()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => text(StatusCode::UNPROCESSABLE_ENTITY, &format!("{e}\n")),
    }
}

/// The admin API's credentials: the configured token (`admin_token_env`), else the token in
/// the admin token file, generated (random, 0600) on first start. The file's path is logged,
/// never the token.
pub fn resolve_auth(loaded: &crate::config::LoadedConfig) -> anyhow::Result<auth::AdminAuth> {
    let hosts = loaded.admin_hosts.clone();
    if let Some(t) = &loaded.admin_token {
        approvals::refuse_shared_token(loaded, t)?;
        return Ok(auth::AdminAuth {
            token: t.clone(),
            hosts,
            token_file: None,
        });
    }
    let path = &loaded.admin_token_file;
    let (token, created) = auth::load_or_create_token(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read or create the admin token file {}: {e} (set admin_token_env, or \
             admin_token_file to a writable place)",
            path.display()
        )
    })?;
    approvals::refuse_shared_token(loaded, &token)?;
    tracing::info!(
        target: "toolwall::admin",
        token_file = %path.display(),
        created,
        "admin API token: send it as `Authorization: Bearer <token>`; toolwall kill / mcp pin read this file"
    );
    Ok(auth::AdminAuth {
        token,
        hosts,
        token_file: Some(path.clone()),
    })
}

fn json_response(status: StatusCode, v: &serde_json::Value) -> Response<ResBody> {
    let mut r = Response::new(full(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

fn text(status: StatusCode, body: &str) -> Response<ResBody> {
    let mut r = Response::new(full(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
