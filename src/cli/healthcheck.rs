//! `toolwall healthcheck [--url URL]`: GET the admin API's readiness endpoint (default
//! `http://127.0.0.1:15901/readyz`, the container's admin port) and exit 0 on `200`, 1
//! otherwise. It is the image's `HEALTHCHECK` and a probe for hosts without a shell or curl.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::{EXIT_FAILED, EXIT_OK};

/// The URL probed without `--url`: readiness on the admin port of the container image.
pub const DEFAULT_URL: &str = "http://127.0.0.1:15901/readyz";

/// The whole probe (connect, request, response head) must finish within this.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Probe `url`; exit 0 when it answers 200, 1 otherwise (a message on stderr says why).
pub fn healthcheck(url: &str) -> i32 {
    match probe(url, TIMEOUT) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("toolwall healthcheck: {e}");
            EXIT_FAILED
        }
    }
}

/// GET `url` (plain `http://` only) and require `200 OK` within `timeout`.
pub fn probe(url: &str, timeout: Duration) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("bad URL {url:?}: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(format!("bad URL {url:?}: expected http://host:port/path"));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let req = Request::get(uri)
            .header("user-agent", "toolwall-healthcheck")
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("bad URL {url:?}: {e}"))?;
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let status = match tokio::time::timeout(timeout, client.request(req)).await {
            Ok(Ok(resp)) => resp.status(),
            Ok(Err(e)) => return Err(format!("cannot reach {url}: {e}")),
            Err(_) => {
                return Err(format!(
                    "{url} did not answer within {}s",
                    timeout.as_secs_f32()
                ))
            }
        };
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(format!("{url} answered {status}, not 200 OK"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_urls_it_cannot_probe() {
        for url in ["", "not a url", "https://127.0.0.1:1/readyz", "/readyz"] {
            let e = probe(url, TIMEOUT).expect_err(url);
            assert!(e.contains("bad URL"), "{url}: {e}");
        }
    }

    #[test]
    fn a_closed_port_fails() {
        // Bind then drop: the port is (very likely) closed now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("bind");
        let e = probe(&format!("http://127.0.0.1:{port}/readyz"), TIMEOUT).expect_err("closed");
        assert!(e.contains("cannot reach"), "{e}");
    }

    #[test]
    fn a_silent_server_times_out() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let t = std::time::Instant::now();
        let e = probe(
            &format!("http://127.0.0.1:{port}/readyz"),
            Duration::from_millis(300),
        )
        .expect_err("silent");
        assert!(e.contains("did not answer"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(2));
        drop(l);
    }
}
