//! The admin listener: /healthz, /readyz, /metrics, POST /admin/reload. Never on the agent port.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::app::AppState;
use crate::pipeline::{full, ResBody};

pub async fn handle(st: &Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => {
            let last = st
                .last_reload_error
                .lock()
                .map(|g| g.clone())
                .unwrap_or(None);
            let audit_down = st.audit.as_ref().is_some_and(|(sink, _)| !sink.healthy());
            if !st.ready.load(Ordering::SeqCst) {
                text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
            } else if audit_down {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not ready: the audit stream cannot be written; calls are refused\n",
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
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
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
