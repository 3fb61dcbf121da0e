//! Forward: send the decided request upstream (http or https, HTTP/1.1 or HTTP/2 by ALPN)
//! with hop-by-hop headers stripped and the adapter's credentials injected.

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::config::Adapter;
use crate::pipeline::reject::{Reason, Reject};

/// What goes upstream: exactly what was decided on.
pub struct Outgoing {
    pub method: Method,
    /// Upstream-relative path (as matched) plus the re-encoded query string.
    pub path_and_query: String,
    pub body: Bytes,
    /// Set when the body was re-encoded by toolwall.
    pub content_type: Option<&'static str>,
    pub traceparent: HeaderValue,
    /// Ask for an uncompressed answer: the response will be redacted.
    pub identity_encoding: bool,
}

/// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Copy `from` without hop-by-hop headers (including those named in `Connection`).
pub fn strip_hop_by_hop(from: &HeaderMap, keep: impl FnMut(&HeaderName) -> bool) -> HeaderMap {
    strip_with_room(from, keep, 0)
}

/// [`strip_hop_by_hop`] into a map with room for `room` more headers: the ones the caller
/// inserts next go in without the map growing (each growth reallocates its index and
/// entries).
fn strip_with_room(
    from: &HeaderMap,
    mut keep: impl FnMut(&HeaderName) -> bool,
    room: usize,
) -> HeaderMap {
    let listed = connection_listed(from);
    let mut out = HeaderMap::with_capacity(from.len() + room);
    for (name, value) in from {
        if dropped(name, &listed, &mut keep) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// [`strip_hop_by_hop`] of a map toolwall owns: the map itself when it has nothing to drop
/// (most answers and requests: no copy), otherwise the copy — the same headers in the same
/// order either way.
pub fn without_hop_by_hop(from: HeaderMap, mut keep: impl FnMut(&HeaderName) -> bool) -> HeaderMap {
    let listed = connection_listed(&from);
    if from.keys().any(|name| dropped(name, &listed, &mut keep)) {
        strip_hop_by_hop(&from, keep)
    } else {
        from
    }
}

/// The names a `Connection` header lists, lower-case.
fn connection_listed(from: &HeaderMap) -> Vec<String> {
    from.get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

fn dropped(
    name: &HeaderName,
    listed: &[String],
    keep: &mut impl FnMut(&HeaderName) -> bool,
) -> bool {
    let n = name.as_str();
    HOP_BY_HOP.contains(&n) || listed.iter().any(|l| l == n) || !keep(name)
}

/// Send one call upstream.
pub async fn forward(
    adapter: &Adapter,
    agent_headers: &HeaderMap,
    out: Outgoing,
) -> Result<Response<Incoming>, Reject> {
    let up = &adapter.upstream;
    let pool = adapter.pool.as_ref();
    let uri = match pool {
        // an `http://` upstream's own pool sends the request line as is: origin form, as the
        // client would make it (`origin_form`) of the absolute URI below
        Some(_) => origin_form(up, &out.path_and_query),
        None => absolute(adapter.upstream.https, up, &out.path_and_query),
    }
    .map_err(|e| {
        Reject::new(
            Reason::Internal,
            format!("cannot build upstream request: {e}"),
        )
    })?;
    let cred_name = adapter.credential.as_ref().map(|(n, _)| n);
    let reencoded = out.content_type.is_some();
    // room for what is inserted below: content type, credential, traceparent, accept-encoding,
    // host
    let mut headers = strip_with_room(
        agent_headers,
        |name| {
            let n = name.as_str();
            !(name == header::HOST
                || name == header::CONTENT_LENGTH
                || (reencoded && name == header::CONTENT_TYPE)
                || n.starts_with("toolwall-")
                || n == "traceparent"
                || Some(name) == cred_name)
        },
        5,
    );
    if let Some(ct) = out.content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if let Some((name, value)) = &adapter.credential {
        headers.insert(name.clone(), value.clone());
    }
    headers.insert(HeaderName::from_static("traceparent"), out.traceparent);
    if out.identity_encoding {
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
    }
    // last, where the client would append it (`Upstream::host_header`): the same bytes
    if let Some(host) = &up.host_header {
        headers.insert(header::HOST, host.clone());
    }
    let mut req = Request::new(Full::new(out.body));
    *req.method_mut() = out.method;
    *req.uri_mut() = uri;
    *req.headers_mut() = headers;

    let answered = match pool {
        Some(pool) => tokio::time::timeout(adapter.timeout, pool.send(req))
            .await
            .map(|r| r.map_err(|e| (e.is_connect(), crate::diag::error_chain(&e)))),
        None => tokio::time::timeout(adapter.timeout, adapter.client.request(req))
            .await
            .map(|r| r.map_err(|e| (e.is_connect(), crate::diag::error_chain(&e)))),
    };
    match answered {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err((connect, chain))) => {
            let mut r = Reject::new(
                Reason::UpstreamUnavailable,
                format!("upstream {} failed: {chain}", adapter.upstream.authority),
            );
            // Only a failed connect proves the tool never saw the call (spend is released).
            r.nothing_sent = connect;
            Err(r)
        }
        Err(_) => Err(Reject::new(
            Reason::UpstreamTimeout,
            format!(
                "upstream {} did not answer within {:?}",
                adapter.upstream.authority, adapter.timeout
            ),
        )),
    }
}

/// `scheme://authority/base_path/path?query`, what the client is given.
fn absolute(
    https: bool,
    up: &crate::config::upstream::Upstream,
    path_and_query: &str,
) -> Result<http::Uri, http::uri::InvalidUri> {
    let scheme = if https { "https://" } else { "http://" };
    let mut uri = String::with_capacity(
        scheme.len() + up.authority.len() + up.base_path.len() + path_and_query.len(),
    );
    for part in [scheme, &up.authority, &up.base_path, path_and_query] {
        uri.push_str(part);
    }
    // parsed in place (`Uri: TryFrom<String>` takes the string's buffer)
    http::Uri::try_from(uri)
}

/// The origin form of [`absolute`]'s URI (`/base_path/path?query`), as hyper-util's client
/// makes it before it writes an HTTP/1 request line (its `origin_form`): parsed alone when it
/// starts with `/` (the path and query are parsed by the same function either way), otherwise
/// taken from the absolute URI.
fn origin_form(
    up: &crate::config::upstream::Upstream,
    path_and_query: &str,
) -> Result<http::Uri, http::uri::InvalidUri> {
    let fast = up.base_path.starts_with('/')
        || (up.base_path.is_empty() && path_and_query.starts_with('/'));
    // and short of `Uri`'s length limit with the scheme and authority too, as the absolute
    // URI is checked against it
    if fast && up.authority.len() + up.base_path.len() + path_and_query.len() < 4096 {
        let mut uri = String::with_capacity(up.base_path.len() + path_and_query.len());
        uri.push_str(&up.base_path);
        uri.push_str(path_and_query);
        return http::Uri::try_from(uri);
    }
    let uri = absolute(false, up, path_and_query)?;
    Ok(match uri.path_and_query() {
        Some(pq) if pq.as_str() != "/" => {
            let mut parts = http::uri::Parts::default();
            parts.path_and_query = Some(pq.clone());
            http::Uri::from_parts(parts).unwrap_or_default()
        }
        _ => http::Uri::default(),
    })
}

/// The tool's answer headers the agent may get: no hop-by-hop header, and no `toolwall-*`
/// header — only toolwall speaks for toolwall (a tool cannot forge a decision or approval id).
pub fn answer_headers(from: &HeaderMap) -> HeaderMap {
    strip_hop_by_hop(from, |name| !name.as_str().starts_with("toolwall-"))
}

/// [`answer_headers`] of an answer toolwall owns: no copy when there is nothing to drop.
pub fn into_answer_headers(from: HeaderMap) -> HeaderMap {
    without_hop_by_hop(from, |name| !name.as_str().starts_with("toolwall-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_listed_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert("connection", "close, x-secret-hop".parse().unwrap());
        h.insert("x-secret-hop", "1".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("accept", "application/json".parse().unwrap());
        let out = strip_hop_by_hop(&h, |_| true);
        assert_eq!(out.len(), 1);
        assert!(out.contains_key("accept"));
        h.insert("toolwall-decision-id", "forged".parse().unwrap());
        h.insert("toolwall-approval-id", "forged".parse().unwrap());
        let out = answer_headers(&h);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(into_answer_headers(h.clone()), out);
        // nothing to drop: the same map, in the same order
        let mut kept = HeaderMap::new();
        for (n, v) in [
            ("b-one", "1"),
            ("a-two", "2"),
            ("b-one", "3"),
            ("content-type", "x"),
        ] {
            kept.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        let order = |h: &HeaderMap| -> Vec<(String, String)> {
            h.iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect()
        };
        assert_eq!(order(&into_answer_headers(kept.clone())), order(&kept));
        assert_eq!(order(&answer_headers(&kept)), order(&kept));
        kept.append("te", HeaderValue::from_static("trailers"));
        assert_eq!(
            order(&into_answer_headers(kept.clone())),
            order(&answer_headers(&kept))
        );
        assert_eq!(into_answer_headers(kept).len(), 4);
    }

    /// The request line's URI the pool is given is the one hyper-util's client makes of the
    /// absolute URI it is given (its `origin_form`), as hyper writes it (`Display`), or the
    /// same refusal.
    #[test]
    fn origin_form_is_the_clients_origin_form_of_the_absolute_uri() {
        let long = format!("/{}", "a".repeat(70_000));
        let near = format!("/{}", "b".repeat(65_500));
        let paths = [
            "",
            "/",
            "/v1/refunds",
            "/v1/refunds?a=1&b=%20",
            "?q=1",
            "/a b",
            "/a#frag",
            "/a?b#c",
            "//x",
            "/%zz",
            "/\u{e9}",
            "/a\"b",
            "/a{b}",
            "*",
            "/a?",
            long.as_str(),
            near.as_str(),
            "/v1/x?y=\u{7f}",
        ];
        for base in ["", "/base", "/b/c"] {
            for pq in paths {
                let up = crate::config::upstream::parse_upstream(&format!(
                    "http://h.example:8081{base}"
                ))
                .expect("upstream");
                let ours = origin_form(&up, pq)
                    .map(|u| u.to_string())
                    .map_err(|e| e.to_string());
                let theirs = absolute(false, &up, pq)
                    .map(|uri| match uri.path_and_query() {
                        Some(p) if p.as_str() != "/" => {
                            let mut parts = http::uri::Parts::default();
                            parts.path_and_query = Some(p.clone());
                            http::Uri::from_parts(parts).expect("a path").to_string()
                        }
                        _ => http::Uri::default().to_string(),
                    })
                    .map_err(|e| e.to_string());
                assert_eq!(ours, theirs, "{base:?} {:?}", &pq[..pq.len().min(40)]);
            }
        }
    }
}
