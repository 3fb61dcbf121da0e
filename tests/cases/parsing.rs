//! What cannot be read one way only is refused: duplicate names, oversized or deep bodies,
//! wrong media types, ambiguous paths and method overrides.

use bytes::Bytes;
use http_body_util::Full;

use crate::common::*;

async fn harness(extra_config: &str) -> (Upstream, Harness) {
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        extra_config,
    )
    .await;
    (up, h)
}

fn form_post(target: &str, body: &str) -> http::Request<Full<Bytes>> {
    req("POST", target)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_names_are_refused_in_json_query_form_and_across_sources() {
    let (up, h) = harness("").await;
    let cases = [
        json_post(
            "/echo/v1/refunds",
            r#"{"charge":"ch_1","amount":5,"amount":500}"#,
        ),
        json_post(
            "/echo/v1/refunds",
            r#"{"charge":"ch_1","amount":5,"\u0061mount":500}"#,
        ),
        json_post(
            "/echo/v1/refunds",
            r#"{"charge":"ch_1","amount":5,"meta":{"a":1,"a":2}}"#,
        ),
        get("/echo/v1/charges/ch_1?limit=1&limit=9"),
        form_post("/echo/v1/form_refunds", "charge=ch_1&amount=5&amount=500"),
        // a body name repeated in the query string
        json_post(
            "/echo/v1/refunds?amount=500",
            r#"{"charge":"ch_1","amount":5}"#,
        ),
        // a path parameter repeated in the query string
        get("/echo/v1/charges/ch_1?id=ch_2"),
    ];
    for c in cases {
        let what = format!("{} {}", c.method(), c.uri());
        let r = send(h.agent(), c).await;
        assert_eq!(
            r.status,
            400,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.reasons(), vec!["duplicate_key"], "{what}");
    }
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limit_and_nesting_limit() {
    let (up, h) = harness("request: { max_body_bytes: 256, max_json_depth: 4 }").await;
    let big = format!(
        r#"{{"charge":"ch_1","amount":5,"pad":"{}"}}"#,
        "x".repeat(400)
    );
    let r = send(h.agent(), json_post("/echo/v1/refunds", &big)).await;
    assert_eq!(
        (r.status.as_u16(), r.reasons()),
        (413, vec!["payload_too_large".to_string()])
    );
    let deep = r#"{"charge":"ch_1","amount":5,"meta":{"a":{"b":{"c":{"d":1}}}}}"#;
    let r = send(h.agent(), json_post("/echo/v1/refunds", deep)).await;
    assert_eq!(
        (r.status.as_u16(), r.reasons()),
        (400, vec!["too_deep".to_string()])
    );
    // a chunked body without Content-Length is limited as it streams
    let chunks: Vec<Result<http_body::Frame<Bytes>, std::convert::Infallible>> = (0..10)
        .map(|_| Ok(http_body::Frame::data(Bytes::from(vec![b' '; 64]))))
        .collect();
    let body = http_body_util::StreamBody::new(futures_util::stream::iter(chunks));
    let stream = tokio::net::TcpStream::connect(h.agent())
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let request = req("POST", "/echo/v1/refunds")
        .header("content-type", "application/json")
        .body(body)
        .expect("req");
    let resp = sender.send_request(request).await.expect("response");
    assert_eq!(resp.status(), 413);
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_and_media_types() {
    let (up, h) = harness("").await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5"#),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.reasons()),
        (400, vec!["invalid_json".to_string()])
    );
    let r = send(h.agent(), json_post("/echo/v1/refunds", r#"["ch_1", 5]"#)).await;
    assert_eq!(r.reasons(), vec!["invalid_json"]);
    let bad_utf8 = req("POST", "/echo/v1/refunds")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            b"{\"charge\":\"\xff\",\"amount\":5}",
        )))
        .expect("req");
    assert_eq!(
        send(h.agent(), bad_utf8).await.reasons(),
        vec!["invalid_utf8"]
    );
    let text = req("POST", "/echo/v1/refunds")
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from(r#"{"charge":"ch_1","amount":5}"#)))
        .expect("req");
    let r = send(h.agent(), text).await;
    assert_eq!(
        (r.status.as_u16(), r.reasons()),
        (415, vec!["unsupported_media_type".to_string()])
    );
    let latin = req("POST", "/echo/v1/refunds")
        .header("content-type", "application/json; charset=iso-8859-1")
        .body(Full::new(Bytes::from(r#"{"charge":"ch_1","amount":5}"#)))
        .expect("req");
    assert_eq!(send(h.agent(), latin).await.status, 415);
    let gz = req("POST", "/echo/v1/refunds")
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(Full::new(Bytes::from_static(b"\x1f\x8b\x08\x00")))
        .expect("req");
    assert_eq!(send(h.agent(), gz).await.status, 415);
    // a query-args tool takes no body: it would reach the tool unchecked
    let with_body = req("GET", "/echo/v1/charges/ch_1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(r#"{"amount":1}"#)))
        .expect("req");
    assert_eq!(
        send(h.agent(), with_body).await.reasons(),
        vec!["unexpected_body"]
    );
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_paths_and_method_overrides_are_refused() {
    let (up, h) = harness("").await;
    for target in [
        "/echo/v1/charges/../refunds",
        "/echo/v1/charges/ch_1%2F..%2Frefunds",
        "/echo/v1//refunds",
        "/echo/v1/charges/ch_1;admin=1",
    ] {
        let r = send(h.agent(), get(target)).await;
        assert_eq!(r.reasons(), vec!["ambiguous_request"], "{target}");
    }
    let overridden = req("POST", "/echo/v1/refunds")
        .header("content-type", "application/json")
        .header("x-http-method-override", "DELETE")
        .body(Full::new(Bytes::from(r#"{"charge":"ch_1","amount":5}"#)))
        .expect("req");
    assert_eq!(
        send(h.agent(), overridden).await.reasons(),
        vec!["ambiguous_request"]
    );
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_and_query_are_forwarded_re_encoded_from_what_was_decided() {
    let (up, h) = harness("").await;
    let r = send(
        h.agent(),
        form_post("/echo/v1/form_refunds", "charge=ch_1;x=y&amount=5"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = send(h.agent(), get("/echo/v1/charges/ch_1?limit=3;x")).await;
    // `3;x` is not an integer: the schema refuses it rather than a framework splitting it
    assert_eq!(r.reasons(), vec!["schema_invalid"]);
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(&seen[0].body[..], b"charge=ch_1%3Bx%3Dy&amount=5");
    assert_eq!(
        seen[0]
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    // the form amount was typed by the schema: policy compares numbers
    let r = send(
        h.agent(),
        form_post("/echo/v1/form_refunds", "charge=ch_1&amount=500"),
    )
    .await;
    assert_eq!(r.reasons(), vec!["amount_exceeds_threshold"]);
}

/// A JSON body is forwarded as serde_json writes what was parsed: blanks gone, escapes
/// decoded (and re-escaped only where JSON needs it), numbers in their parsed spelling, keys
/// in order, and the names that came from the query string left in the query string.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bodies_are_forwarded_re_encoded_from_what_was_decided() {
    let (up, h) = harness("").await;
    let sent = concat!(
        "{ \"meta\" : {\"z\": [1.50, -0, 2E-2, 1e2, 18446744073709551615, -7, true, null],",
        "\n\t\"tab\": \"a\\tb\\u0001\\\"q\\\\ \\u00e9\\u20ac\\ud83d\\ude00 \\/ é\",",
        " \"\": {}, \"long plain string with no escapes at all\": []},",
        " \"charge\":\"ch_\\u0031\", \"amount\" : 5 }\r\n"
    );
    let r = send(h.agent(), json_post("/echo/v1/refunds?note=n%C3%A9", sent)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    let want = concat!(
        "{\"amount\":5,\"charge\":\"ch_1\",\"meta\":{\"\":{},",
        "\"long plain string with no escapes at all\":[],",
        "\"tab\":\"a\\tb\\u0001\\\"q\\\\ é€😀 / é\",",
        "\"z\":[1.5,-0.0,0.02,100.0,18446744073709551615,-7,true,null]}}"
    );
    assert_eq!(String::from_utf8_lossy(&seen[0].body), want);
    // what serde_json writes for the same value, minus the query's name
    let mut v: serde_json::Value = serde_json::from_str(sent).expect("json");
    assert_eq!(seen[0].body, serde_json::to_vec(&v).expect("encode"));
    v["note"] = "x".into();
    assert_ne!(seen[0].body, serde_json::to_vec(&v).expect("encode"));
    assert!(
        seen[0].path_and_query.ends_with("?note=n%C3%A9"),
        "{}",
        seen[0].path_and_query
    );
}
