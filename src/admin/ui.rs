//! The approval page at `/ui` on the admin listener: one HTML page, its script and its style
//! (embedded, served by toolwall itself: no CDN, nothing external), and the page's own API
//! under `/ui/api/` (who am I, list, show, approve, deny, the live feed), which runs the admin
//! API's handlers (`admin::approvals`) once the page's own checks have passed.
//!
//! The page never uses a cookie: the approver pastes a token, the page keeps it in
//! `sessionStorage` and sends it as `Authorization: Bearer` with `fetch`, so a page on another
//! site cannot make the browser send it (CSRF). On top of that every `/ui/api/` request must
//! come from the page itself: `Origin` absent or this listener's own origin (`http://` or
//! `https://` and the request's `Host`), `Sec-Fetch-Site`
//! absent or `same-origin`, an allowed `Host` (the admin API's rule, against DNS rebinding),
//! and POST bodies declared `application/json` (no cross-site "simple" request). The admin
//! token signs in read-only; deciding needs an approver token.
//!
//! Everything under `/ui` is sent with a strict `Content-Security-Policy` (`default-src
//! 'self'`: no inline script, nothing from elsewhere; `frame-ancestors 'none'`: no
//! clickjacking), `nosniff`, `no-referrer` and `no-store`.

use std::sync::Arc;

use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use super::approvals::{self, Caller};
use crate::app::AppState;
use crate::pipeline::{full, ResBody};

const INDEX_HTML: &str = include_str!("ui/index.html");
const APP_JS: &str = include_str!("ui/app.js");
const APP_CSS: &str = include_str!("ui/app.css");

/// Largest approve/deny body read (`{"comment": …}`).
const VOTE_BODY_MAX: usize = 16 * 1024;

/// Sent with every response under `/ui`.
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Serve `/ui` and everything under it.
pub async fn handle(st: &Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    let mut r = route(st, req).await;
    secure(r.headers_mut());
    r
}

async fn route(st: &Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    let authority = req.uri().authority().map(|a| a.as_str().to_string());
    let Some(host) = checked_host(st, authority.as_deref(), req.headers()) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "Host must be an IP address, localhost or a name in admin_hosts",
        );
    };
    let path = req.uri().path().to_string();
    if let Some(rest) = path.strip_prefix("/ui/api/") {
        let rest = rest.to_string();
        return api(st, req, &host, &rest).await;
    }
    // The page itself: static, no credentials, no data. A link from elsewhere (a chat message
    // with the approval id) may open it; it only reads data once signed in.
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "the page is read with GET");
    }
    match path.as_str() {
        "/ui" | "/ui/" | "/ui/index.html" => asset(INDEX_HTML, "text/html; charset=utf-8"),
        "/ui/app.js" => asset(APP_JS, "text/javascript; charset=utf-8"),
        "/ui/app.css" => asset(APP_CSS, "text/css; charset=utf-8"),
        _ => refuse(StatusCode::NOT_FOUND, "not found"),
    }
}

/// `/ui/api/<rest>`, after the page's checks.
async fn api(
    st: &Arc<AppState>,
    req: Request<Incoming>,
    host: &str,
    rest: &str,
) -> Response<ResBody> {
    if let Err(why) = same_origin(req.headers(), host) {
        tracing::warn!(target: "toolwall::admin", path = %req.uri().path(), "{why}");
        return refuse(StatusCode::FORBIDDEN, why);
    }
    let Some(caller) = approvals::caller(st, req.headers()) else {
        return approvals::unauthorized(
            "sign in with an approver token (or the admin token, read-only)",
        );
    };
    if req.method() == Method::POST && !is_json(req.headers()) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST bodies must be sent as Content-Type: application/json",
        );
    }
    let parts: Vec<&str> = rest.split('/').collect();
    match (req.method().clone(), parts.as_slice()) {
        (Method::GET, ["me"]) => super::json_response(
            StatusCode::OK,
            &match &caller {
                Caller::Approver(name) => json!({"name": name, "role": "approver"}),
                Caller::Admin => json!({"name": "admin", "role": "admin"}),
            },
        ),
        (Method::GET, ["approvals"]) => approvals::list(&st.rt, req.uri().query()).await,
        (Method::GET, ["events"]) => approvals::events(&st.rt),
        (Method::GET, ["approvals", id]) => approvals::show(&st.rt, id).await,
        (Method::POST, ["approvals", id, verb @ ("approve" | "deny")]) => {
            // 403, not 401: the page stays signed in (read-only) with the admin token
            let Caller::Approver(name) = caller else {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "the admin token is read-only here: deciding needs an approver token",
                );
            };
            let id = id.to_string();
            let approve = *verb == "approve";
            let (parts, body) = req.into_parts();
            match crate::body::read_body(body, &parts.headers, VOTE_BODY_MAX).await {
                Ok(b) => approvals::vote(&st.rt, &name, &id, approve, &b).await,
                Err(rej) => refuse(StatusCode::BAD_REQUEST, &rej.message),
            }
        }
        (_, ["me" | "approvals" | "events"])
        | (_, ["approvals", _])
        | (_, ["approvals", _, "approve" | "deny"]) => {
            refuse(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => refuse(StatusCode::NOT_FOUND, "not found"),
    }
}

/// The request's one `Host` (and the URI's authority, when given, must be allowed too), if
/// the admin API would answer it.
fn checked_host(st: &AppState, authority: Option<&str>, headers: &HeaderMap) -> Option<String> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(h), None) => h.to_str().ok()?.trim().to_string(),
        (None, None) => authority?.trim().to_string(),
        _ => return None,
    };
    let allowed = |h: &str| super::auth::host_allowed(h, &st.admin.hosts);
    if !allowed(&host) || authority.is_some_and(|a| !allowed(a) || !a.eq_ignore_ascii_case(&host)) {
        return None;
    }
    Some(host)
}

/// A request the page itself made: no foreign `Origin`, no cross-site fetch metadata.
fn same_origin(headers: &HeaderMap, host: &str) -> Result<(), &'static str> {
    let mut origins = headers.get_all(header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => {}
        (Some(o), None) => {
            // The page's origin is http://<Host>, or https://<Host> behind a TLS-terminating
            // proxy: either way the name and port are this listener's (an allowed Host).
            let ok = o.to_str().is_ok_and(|o| {
                let o = o.trim_end_matches('/');
                ["http://", "https://"].iter().any(|scheme| {
                    let n = scheme.len();
                    o.get(..n).is_some_and(|s| s.eq_ignore_ascii_case(scheme))
                        && o.get(n..)
                            .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
                })
            });
            if !ok {
                return Err("requests from other origins are refused");
            }
        }
        (Some(_), Some(_)) => return Err("requests from other origins are refused"),
    }
    let mut sites = headers.get_all("sec-fetch-site").iter();
    match (sites.next(), sites.next()) {
        (None, _) => Ok(()),
        (Some(s), None) if s.as_bytes() == b"same-origin" => Ok(()),
        _ => Err("cross-site requests (Sec-Fetch-Site) are refused"),
    }
}

/// `application/json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let mut all = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(v), None) = (all.next(), all.next()) else {
        return false;
    };
    v.to_str().is_ok_and(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
    })
}

fn secure(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

fn asset(body: &'static str, content_type: &'static str) -> Response<ResBody> {
    let mut r = Response::new(full(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A refusal as the page reads it: `{"error": {"type", "message"}}`.
fn refuse(status: StatusCode, message: &str) -> Response<ResBody> {
    let kind = match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "error",
    };
    super::json_response(
        status,
        &json!({"error": {"type": kind, "message": message}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn only_the_page_itself() {
        let host = "127.0.0.1:9901";
        for (pairs, ok) in [
            (vec![], true),
            (vec![("origin", "http://127.0.0.1:9901")], true),
            (vec![("origin", "HTTP://127.0.0.1:9901")], true),
            (vec![("sec-fetch-site", "same-origin")], true),
            (
                vec![
                    ("origin", "http://127.0.0.1:9901"),
                    ("sec-fetch-site", "same-origin"),
                ],
                true,
            ),
            (vec![("origin", "http://127.0.0.1:9902")], false),
            (vec![("origin", "https://127.0.0.1:9901")], true),
            (vec![("origin", "ftp://127.0.0.1:9901")], false),
            (
                vec![("origin", "http://evil.example@127.0.0.1:9901")],
                false,
            ),
            (vec![("origin", "http:/127.0.0.1:9901")], false),
            (vec![("origin", "http://127.0.0.1:99011")], false),
            (
                vec![("origin", "http://127.0.0.1:9901.evil.example")],
                false,
            ),
            (vec![("origin", "null")], false),
            (vec![("origin", "")], false),
            (
                vec![
                    ("origin", "http://127.0.0.1:9901"),
                    ("origin", "http://127.0.0.1:9901"),
                ],
                false,
            ),
            (vec![("sec-fetch-site", "same-site")], false),
            (vec![("sec-fetch-site", "cross-site")], false),
            (vec![("sec-fetch-site", "none")], false),
            (
                vec![
                    ("sec-fetch-site", "same-origin"),
                    ("sec-fetch-site", "same-origin"),
                ],
                false,
            ),
        ] {
            assert_eq!(same_origin(&headers(&pairs), host).is_ok(), ok, "{pairs:?}");
        }
    }

    #[test]
    fn json_only() {
        assert!(is_json(&headers(&[("content-type", "application/json")])));
        assert!(is_json(&headers(&[(
            "content-type",
            "Application/JSON; charset=utf-8"
        )])));
        assert!(!is_json(&headers(&[])));
        assert!(!is_json(&headers(&[("content-type", "text/plain")])));
        assert!(!is_json(&headers(&[(
            "content-type",
            "application/json-patch+json"
        )])));
        assert!(!is_json(&headers(&[
            ("content-type", "application/json"),
            ("content-type", "text/plain")
        ])));
    }
}
