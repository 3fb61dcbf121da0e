//! HTTP routing: which adapter a request is for, and whether its path is unambiguous.
//!
//! Two ways in: reverse-proxy form `http://<listen>/<adapter>/<upstream path>`, and forward-proxy
//! absolute form (`HTTP_PROXY=http://<listen>`) whose authority is an adapter's upstream.

use http::{Method, Uri};

use crate::config::Snapshot;
use crate::pipeline::reject::{Reason, Reject};

/// How the request reached toolwall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Reverse,
    Forward,
}

/// The adapter and the upstream-relative path of one request.
#[derive(Debug)]
pub struct Route<'a> {
    pub adapter: usize,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub via: Via,
}

/// Find the adapter for a request.
pub fn route<'a>(snap: &Snapshot, method: &Method, uri: &'a Uri) -> Result<Route<'a>, Reject> {
    if method == Method::CONNECT {
        return Err(Reject::new(
            Reason::ConnectRefused,
            "CONNECT tunnels are refused: send plain http:// requests through the proxy and \
             toolwall forwards them to the adapter's https upstream",
        ));
    }
    let query = uri.query();
    if let Some(auth) = uri.authority() {
        let key = match auth.port_u16() {
            Some(80 | 443) | None => auth.host().to_ascii_lowercase(),
            Some(p) => format!("{}:{p}", auth.host().to_ascii_lowercase()),
        };
        let adapter = snap.adapter_by_authority(&key).ok_or_else(|| {
            Reject::new(
                Reason::UnknownUpstream,
                format!("no adapter guards upstream {key}"),
            )
        })?;
        return Ok(Route {
            adapter,
            path: uri.path(),
            query,
            via: Via::Forward,
        });
    }
    let full = uri.path();
    let rest = full.strip_prefix('/').unwrap_or(full);
    let (name, path) = match rest.bytes().position(|b| b == b'/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let adapter = snap.adapter_by_name(name).ok_or_else(|| {
        Reject::new(
            Reason::UnknownUpstream,
            format!("no adapter named `{name}`: use /<adapter>/<path>"),
        )
    })?;
    Ok(Route {
        adapter,
        path,
        query,
        via: Via::Reverse,
    })
}

/// Refuse paths that servers and frameworks normalise differently: dot segments, empty
/// segments, encoded slashes/backslashes/dots/NULs, backslashes and `;` matrix parameters.
pub fn check_path(path: &str) -> Result<(), Reject> {
    let bad = |why: &str| {
        Err(Reject::new(
            Reason::AmbiguousRequest,
            format!("path `{path}` is ambiguous: {why}"),
        ))
    };
    if !path.starts_with('/') {
        return bad("it must start with '/'");
    }
    if path.contains('\\') {
        return bad("backslash");
    }
    if path.contains(';') {
        return bad("';' path parameters");
    }
    // `%2f`, `%5c`, `%2e`, `%00`, `%3b`, `%25` in either case, found at each `%` (no
    // lower-cased copy and six substring searches per call)
    let b = path.as_bytes();
    let encoded = memchr::memchr_iter(b'%', b).any(|i| {
        matches!(
            (b.get(i + 1), b.get(i + 2).map(u8::to_ascii_lowercase)),
            (Some(b'2'), Some(b'f' | b'e' | b'5'))
                | (Some(b'5'), Some(b'c'))
                | (Some(b'0'), Some(b'0'))
                | (Some(b'3'), Some(b'b'))
        )
    });
    if encoded {
        return bad("encoded '/', '\\', '.', ';', '%' or NUL");
    }
    let (dot, empty) = dot_or_empty_segments(&path[1..]);
    if dot {
        return bad("dot segment");
    }
    if empty {
        return bad("empty segment");
    }
    Ok(())
}

/// Whether a segment of `segments` (split at `/`) is `.` or `..`, and whether one but the last
/// is empty: one pass over the bytes (`str::split`'s searcher, twice, cost ~0.5k instructions
/// a call; docs/performance.md, "Twentieth round").
fn dot_or_empty_segments(segments: &str) -> (bool, bool) {
    let b = segments.as_bytes();
    let (mut dot, mut empty) = (false, false);
    let mut from = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'/' {
            let seg = &b[from..i];
            dot |= seg == b"." || seg == b"..";
            empty |= seg.is_empty();
            from = i + 1;
        }
    }
    let last = &b[from..];
    (dot || last == b"." || last == b"..", empty)
}

/// Headers that make some servers or frameworks act as another method, or on another path,
/// than the one decided on: method overrides (Rails, Laravel, Express `method-override`,
/// ASP.NET, Google APIs), URL rewrites honoured behind a "trusted" proxy (IIS and Symfony
/// `X-Original-URL` / `X-Rewrite-URL`, Spring `X-Forwarded-Prefix`, Envoy's original path)
/// and framework-internal routing headers (Next.js `x-middleware-subrequest`, `x-invoke-*`).
const REWRITES: [&str; 17] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-method",
    "x-original-url",
    "x-original-uri",
    "x-rewrite-url",
    "x-forwarded-uri",
    "x-forwarded-path",
    "x-forwarded-prefix",
    "x-forwarded-url",
    "x-envoy-original-path",
    "x-middleware-subrequest",
    "x-invoke-path",
    "x-invoke-query",
    "x-invoke-output",
    "x-matched-path",
];

/// Refuse requests whose meaning a lax upstream could change through headers: any of
/// `REWRITES`, and any other header whose name says it overrides the method or the URL
/// (`*-method-override`, `*-original-url`, `*-rewrite-url`).
pub fn check_headers(headers: &http::HeaderMap) -> Result<(), Reject> {
    for name in headers.keys() {
        let h = name.as_str();
        let listed = REWRITES.contains(&h)
            || h.ends_with("-method-override")
            || h.ends_with("-original-url")
            || h.ends_with("-original-uri")
            || h.ends_with("-rewrite-url");
        if listed {
            return Err(Reject::new(
                Reason::AmbiguousRequest,
                format!(
                    "`{h}` would make the upstream act as another method or on another path \
                     than the one decided on"
                ),
            ));
        }
    }
    Ok(())
}

/// Argument names that frameworks read as the request method (Rails, Laravel, Symfony,
/// Express `method-override`): `_method` in a form body, a query string or a JSON body.
pub fn is_method_override_arg(name: &str) -> bool {
    name.eq_ignore_ascii_case("_method") || name.eq_ignore_ascii_case("x-http-method-override")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let ok = [
            "/",
            "/v1/refunds",
            "/v1/charges/ch_1",
            "/v1/charges/a%20b",
            "/v1/x/",
        ];
        for p in ok {
            assert!(check_path(p).is_ok(), "{p}");
        }
        let bad = [
            "/v1/../admin",
            "/v1/./refunds",
            "/v1//refunds",
            "/v1/charges/a%2Fb",
            "/v1/charges/%2e%2e",
            "/v1/refunds;jsessionid=1",
            "/v1\\refunds",
            "/v1/a%00",
            "/v1/a%252F",
        ];
        for p in bad {
            let r = check_path(p).expect_err(p);
            assert_eq!(r.reason, Reason::AmbiguousRequest, "{p}");
        }
    }

    /// The one-pass segment check says what `str::split` said (the dot test over every
    /// segment, the empty test over every segment but the last, only past `/`), for every
    /// string of up to six bytes of `/`, `.`, `a` — all the shapes segments take.
    #[test]
    fn segments_are_checked_as_split_checked_them() {
        let old = |path: &str| {
            let dot = path[1..].split('/').any(|s| s == "." || s == "..");
            let empty = path.len() > 1 && path[1..].split('/').rev().skip(1).any(str::is_empty);
            (dot, empty)
        };
        let mut paths = vec![String::from("/")];
        let mut level = vec![String::from("/")];
        for _ in 0..6 {
            let mut next = Vec::new();
            for p in &level {
                for c in ['/', '.', 'a'] {
                    next.push(format!("{p}{c}"));
                }
            }
            paths.extend(next.iter().cloned());
            level = next;
        }
        assert!(paths.len() > 1000);
        for p in &paths {
            assert_eq!(dot_or_empty_segments(&p[1..]), old(p), "{p}");
            let want = match old(p) {
                (true, _) => Some("dot segment"),
                (false, true) => Some("empty segment"),
                _ => None,
            };
            let got = check_path(p).err().map(|r| r.message);
            assert_eq!(
                got.as_deref().map(|m| m.rsplit(": ").next().unwrap_or("")),
                want,
                "{p}"
            );
        }
    }

    /// The encoded-byte check refuses exactly what the lower-cased substring search did, for
    /// every pair of bytes after a `%`, at the end of the path and before more text.
    #[test]
    fn encoded_bytes_are_refused_exactly_as_before() {
        let old = |path: &str| {
            let lower = path.to_ascii_lowercase();
            ["%2f", "%5c", "%2e", "%00", "%3b", "%25"]
                .iter()
                .any(|e| lower.contains(e))
        };
        let alphabet: Vec<char> = "0123456789abcdefABCDEFgG%/x".chars().collect();
        for a in &alphabet {
            for b in &alphabet {
                for path in [
                    format!("/v1/a%{a}{b}"),
                    format!("/v1/a%{a}{b}z/c"),
                    format!("/v1/a%{a}"),
                    format!("/v1/%%{a}{b}"),
                ] {
                    let refused = check_path(&path).is_err_and(|r| r.message.contains("encoded"));
                    assert_eq!(refused, old(&path), "{path}");
                }
            }
        }
    }
}
