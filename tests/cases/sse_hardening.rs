//! Redaction of server-sent event streams (HTTP adapters): a real upstream on 127.0.0.1 that
//! streams events with the tricks a lax parser or an event-by-event text scan misses, through
//! toolwall; the test asserts the exact bytes the client received and the audit record.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::*;

const POLICY: &str = r#"
package toolwall
import rego.v1

decision := {"allow": true, "reasons": [], "redact": ["email", "credit_card"]}
"#;

const SSE_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

/// An upstream that answers every request with `head`, then an event stream written as
/// `writes`, one write every 30 ms (so each tends to arrive as its own chunk), then closes.
async fn sse_upstream(head: &'static [u8], writes: Vec<Vec<u8>>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let writes = writes.clone();
            tokio::spawn(async move {
                let _ = s.set_nodelay(true);
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                if s.write_all(head).await.is_err() {
                    return;
                }
                for w in writes {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    if s.write_all(&w).await.is_err() {
                        return;
                    }
                    let _ = s.flush().await;
                }
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_stream_tricks_are_redacted_and_audited() {
    let writes: Vec<Vec<u8>> = vec![
        // a card split across two JSON events
        br#"data: {"text":"card 4242 4242"}"#.to_vec(),
        b"\n\n".to_vec(),
        br#"data: {"text":" 4242 4242 ok"}"#.to_vec(),
        b"\n\n".to_vec(),
        // a JSON-escaped email, the event ended by LF then CR LF
        b"data: {\"contact\":\"jane.doe\\u0040example.com\"}\n\r\n".to_vec(),
        // a card split across two text events with bare-CR line endings, the CR pair split
        b"data: call 5555 5555 \r".to_vec(),
        b"\rdata: 5555 4444 now\r\r".to_vec(),
        // one byte that is not UTF-8 next to an email
        b"data: mail bob@example.org \xFF\n\n".to_vec(),
        // chunk boundaries inside CR LF pairs (`to ` keeps the last text event from joining the
        // one before it, so the bytes do not depend on how long events are held)
        b"data: {\"a\":\"x@example.com\"}\r".to_vec(),
        b"\n\r".to_vec(),
        b"\nid: 5\r\ndata: to tail@example.net\r\n\r\n".to_vec(),
        // JSON a lax client reads (NaN) but toolwall cannot: withheld, its id kept
        b"id: 9\ndata: {\"e\":\"eve\\u0040example.com\",\"n\":NaN}\n\n".to_vec(),
        // a last event without its blank line: a client discards it, toolwall withholds it
        b"data: leak@example.com".to_vec(),
    ];
    let up = sse_upstream(SSE_HEAD, writes).await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(toolwall::cli::audit::keygen(&keys.path().join("k"), "t"), 0);
    let extra = format!(
        "audit: {{ dir: audit, key: {}/k/audit.key }}",
        keys.path().display()
    );
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{up}"), ""))],
        POLICY,
        &extra,
    )
    .await;
    let r = send(h.agent(), get("/echo/sse")).await;
    assert_eq!(r.status, 200);
    let got = String::from_utf8(r.body.to_vec()).expect("toolwall sends UTF-8 only");
    let want = concat!(
        "data: {\"text\":\"card [CREDIT_CARD]\"}\n\n",
        "data: {\"text\":\"[CREDIT_CARD] ok\"}\n\n",
        "data: {\"contact\":\"[EMAIL]\"}\n\n",
        "data: call [CREDIT_CARD]\n\n",
        "data: [CREDIT_CARD] now\n\n",
        "data: mail [EMAIL] \u{FFFD}\n\n",
        "data: {\"a\":\"[EMAIL]\"}\n\n",
        "id: 5\ndata: to [EMAIL]\n\n",
        "id: 9\n\n",
    );
    assert_eq!(got, want);
    // what a client parses from it
    let (events, tail) = toolwall::protocol::sse::parse_all(got.as_bytes());
    assert!(tail.is_none());
    let data: Vec<&str> = events.iter().filter_map(|e| e.data.as_deref()).collect();
    assert_eq!(data.len(), 8);
    for d in data {
        for leak in ["4242", "5555", "@", "\\u0040"] {
            assert!(!d.contains(leak), "{leak} in {d}");
        }
    }

    let decision_id = r
        .headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("decision id")
        .to_string();
    let audit = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;
    let mut text = String::new();
    for e in std::fs::read_dir(&audit).expect("dir").flatten() {
        text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
    }
    // the stream's record is part of the signed chain like any other
    let pubkey = keys.path().join("k/audit.pub");
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        audit.to_str().expect("utf8"),
        "--keys",
        pubkey.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    drop(dir);
    for leak in [
        "4242 4242",
        "5555 5555",
        "jane.doe",
        "bob@",
        "x@example",
        "tail@",
        "eve@",
        "eve\\u0040",
        "leak@",
    ] {
        assert!(!text.contains(leak), "{leak} in the audit stream");
    }
    let stream: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "outcome" && v["decision_id"] == decision_id.as_str())
        .filter(|v| v.get("stream").is_some())
        .collect();
    assert_eq!(stream.len(), 1, "{text}");
    let s = &stream[0];
    assert_eq!(s["status"], 200);
    assert_eq!(s["tool"], "echo.sse");
    assert_eq!(
        s["stream"],
        serde_json::json!({
            "events": 9,
            "redacted": {"CREDIT_CARD": 2, "EMAIL": 4},
            "across_events": 2,
            "invalid_utf8": 1,
            "withheld": 1,
            "incomplete_tail_withheld": true,
            "event_too_large": false,
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_event_stream_is_refused_not_relayed() {
    // the upstream ignores `Accept-Encoding: identity` (or lies about it): bytes toolwall
    // cannot read as events must not reach a client that would decode them
    let body = b"data: jane.doe@example.com\n\n".to_vec();
    let head: &'static [u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\nconnection: close\r\n\r\n";
    let up = sse_upstream(head, vec![body]).await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{up}"), ""))],
        POLICY,
        "",
    )
    .await;
    let r = send(h.agent(), get("/echo/sse")).await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["response_not_inspectable"]);
    assert!(!String::from_utf8_lossy(&r.body).contains("jane.doe"));
    assert!(r.headers.get("content-encoding").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redacted_event_stream_drops_the_upstream_content_length() {
    // redaction changes the length: the upstream's Content-Length must not frame the answer
    let body = b"data: mail jane.doe@example.com now\n\n".to_vec();
    let head: &'static [u8] =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 37\r\n\r\n";
    assert_eq!(body.len(), 37);
    let up = sse_upstream(head, vec![body]).await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{up}"), ""))],
        POLICY,
        "",
    )
    .await;
    let r = send(h.agent(), get("/echo/sse")).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], b"data: mail [EMAIL] now\n\n");
    assert_ne!(
        r.headers
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some("37")
    );
}
