//! Idempotent writes end to end on real sockets: a counting upstream (every request it got,
//! numbered), toolwall in front of it, and what the agent parsed, the upstream saw and the
//! audit stream holds. SQLite (the default state) and a real `redis-server` shared by two
//! sidecars.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::TimeZone;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use toolwall::state::redis::RedisStore;
use toolwall::state::{FakeClock, IdemBegin, IdemClaim, StateStore, StoredResponse};

use crate::common::*;

const REPLAY: &str = "toolwall-idempotent-replay";

/// Refunds up to 100 are allowed with emails redacted from the answer; everything else on
/// `pay` is allowed as is.
const PAY_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": [], "redact": ["email"]} if {
	input.tool.name == "pay.refund"
	input.args.amount <= 100
}

decision := {"allow": false, "reasons": ["amount_exceeds_threshold"]} if {
	input.tool.name == "pay.refund"
	input.args.amount > 100
}

decision := {"allow": true, "reasons": []} if input.tool.name != "pay.refund"
"#;

fn pay_adapter(upstream: &str) -> String {
    format!(
        r#"name: pay
upstream: {upstream}
timeout: 1s
tools:
  - name: pay.refund
    match: {{ method: POST, path: /v1/refunds }}
    idempotency: required
    idempotency_window: 1h
    cost_usd: 0.01
  - name: pay.charge
    match: {{ method: POST, path: /v1/charges }}
    idempotency: auto
  - name: pay.fail
    match: {{ method: POST, path: /v1/fail }}
    idempotency: required
  - name: pay.slow
    match: {{ method: POST, path: /v1/slow }}
    idempotency: required
  - name: pay.big
    match: {{ method: POST, path: /v1/big }}
    idempotency: required
  - name: pay.plain
    match: {{ method: POST, path: /v1/plain }}
"#
    )
}

/// An upstream that numbers every request it gets (`n`, from 1) and answers after `delay`:
/// `/v1/fail` a 500, `/v1/slow` after 2.5 s, `/v1/big` 1.1 MiB, anything else a 201 whose
/// body carries the number and an email address.
struct Counting {
    addr: std::net::SocketAddr,
    hits: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Counting {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn counting_upstream(delay: Duration) -> Counting {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    counting_on(listener, delay)
}

fn counting_on(listener: TcpListener, delay: Duration) -> Counting {
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (h, s) = (hits.clone(), seen.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (h, s) = (h.clone(), s.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (h, s) = (h.clone(), s.clone());
                    async move {
                        use http_body_util::BodyExt;
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let n = h.fetch_add(1, Ordering::SeqCst) + 1;
                        let path = parts.uri.path().to_string();
                        s.lock().expect("lock").push(Seen {
                            method: parts.method.to_string(),
                            path_and_query: path.clone(),
                            headers: parts.headers,
                            body,
                            version: parts.version,
                        });
                        tokio::time::sleep(delay).await;
                        let (status, out) = match path.as_str() {
                            "/v1/fail" => (500, json!({"error": "boom", "n": n}).to_string()),
                            "/v1/slow" => {
                                tokio::time::sleep(Duration::from_millis(2500)).await;
                                (201, json!({"n": n}).to_string())
                            }
                            "/v1/big" => (
                                200,
                                json!({"n": n, "pad": "x".repeat(1_100_000)}).to_string(),
                            ),
                            _ => (
                                201,
                                json!({"refund": format!("re_{n}"), "n": n,
                                       "contact": "jane.doe@example.com"})
                                .to_string(),
                            ),
                        };
                        let resp = http::Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .header("x-upstream", "counting")
                            .body(Full::new(Bytes::from(out)))
                            .expect("response");
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Counting { addr, hits, seen }
}

fn post(path: &str, body: &str, headers: &[(&str, &str)]) -> http::Request<Full<Bytes>> {
    let mut b = req("POST", path).header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

fn refund(key: Option<&str>, amount: u32) -> http::Request<Full<Bytes>> {
    let body = format!(r#"{{"charge":"ch_1","amount":{amount}}}"#);
    match key {
        Some(k) => post("/pay/v1/refunds", &body, &[("idempotency-key", k)]),
        None => post("/pay/v1/refunds", &body, &[]),
    }
}

fn decision_id(r: &Reply) -> String {
    r.headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn is_replay(r: &Reply) -> bool {
    r.headers.get(REPLAY).and_then(|v| v.to_str().ok()) == Some("true")
}

async fn pay(extra: &str) -> (Counting, Harness) {
    let up = counting_upstream(Duration::ZERO).await;
    let h = Harness::start(
        &[("pay", pay_adapter(&format!("http://{}", up.addr)))],
        PAY_POLICY,
        extra,
    )
    .await;
    (up, h)
}

/// Poll the audit stream until `pred` holds for some record.
async fn audit_until(dir: &std::path::Path, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    for _ in 0..100 {
        let recs = audit_records(dir);
        if recs.iter().any(&pred) {
            return recs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no such audit record in {:?}", audit_records(dir));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_the_same_key_gets_the_first_answer_and_the_tool_sees_one_call() {
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "idem"),
        0
    );
    let audit_dir = keys.path().join("audit");
    let extra = format!(
        "audit: {{ dir: {}, key: {}/keys/audit.key }}\n",
        audit_dir.display(),
        keys.path().display()
    );
    let (up, h) = pay(&extra).await;

    let first = send(h.agent(), refund(Some("order-42-refund"), 5)).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert!(!is_replay(&first));
    let body = first.json();
    assert_eq!(body["refund"], "re_1");
    // the answer as the agent got it: redacted by the decision's plan
    let text = String::from_utf8_lossy(&first.body).to_string();
    assert!(!text.contains("jane.doe"), "{text}");
    // the tool got the agent's key too (it may deduplicate on its own)
    let seen = up.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].headers.get("idempotency-key").map(|v| v.as_bytes()),
        Some(&b"order-42-refund"[..])
    );

    let again = send(h.agent(), refund(Some("order-42-refund"), 5)).await;
    assert_eq!(again.status, 201);
    assert!(is_replay(&again), "{:?}", again.headers);
    assert_eq!(again.body, first.body, "byte for byte the first answer");
    assert_eq!(
        again.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    assert!(
        again.headers.get("x-upstream").is_none(),
        "only status, content type and body are kept"
    );
    assert_ne!(decision_id(&again), decision_id(&first));
    assert_eq!(up.hits(), 1, "the tool saw one call");

    // a third try, and another key: that one is a new call
    let third = send(h.agent(), refund(Some("order-42-refund"), 5)).await;
    assert_eq!(third.body, first.body);
    let other = send(h.agent(), refund(Some("order-43-refund"), 5)).await;
    assert_eq!(other.json()["refund"], "re_2");
    assert!(!is_replay(&other));
    assert_eq!(up.hits(), 2);

    // the audit stream: the replay was decided (allow, written ahead) and its outcome says
    // it was a replay of the first decision
    let (first_id, replay_id) = (decision_id(&first), decision_id(&again));
    let recs = audit_until(&audit_dir, |r| {
        r["decision_id"] == replay_id.as_str() && r["idempotent_replay"] == true
    })
    .await;
    let of = |id: &str, kind: &str| {
        recs.iter()
            .find(|r| r["decision_id"] == id && r["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} record for {id}: {recs:?}"))
    };
    let decision = of(&replay_id, "decision");
    assert_eq!(decision["decision"], "allow");
    assert_eq!(decision["idempotency"]["source"], "header");
    let outcome = of(&replay_id, "outcome");
    assert_eq!(outcome["idempotent_replay"], true, "{outcome}");
    assert_eq!(outcome["idempotency"]["replay_of"], first_id.as_str());
    assert_eq!(outcome["status"], 201);
    let first_outcome = of(&first_id, "outcome");
    assert!(first_outcome.get("idempotent_replay").is_none());
    assert_eq!(
        first_outcome["idempotency"]["key_hash"],
        outcome["idempotency"]["key_hash"]
    );
    // the record names the key by its scoped hash, never by the agent's key
    let hash = outcome["idempotency"]["key_hash"]
        .as_str()
        .expect("key hash");
    assert_eq!(hash.len(), 64);
    assert!(!outcome["idempotency"].to_string().contains("order-42"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_duplicates_reach_the_tool_once() {
    let up = counting_upstream(Duration::from_millis(400)).await;
    let h = Harness::start(
        &[("pay", pay_adapter(&format!("http://{}", up.addr)))],
        PAY_POLICY,
        "",
    )
    .await;
    let agent = h.agent();
    let calls: Vec<_> = (0..10)
        .map(|_| tokio::spawn(async move { send(agent, refund(Some("dup-1"), 7)).await }))
        .collect();
    let mut replies = Vec::new();
    for c in calls {
        replies.push(c.await.expect("task"));
    }
    assert_eq!(up.hits(), 1, "the tool saw the key once");
    for r in &replies {
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body, replies[0].body);
    }
    assert_eq!(replies.iter().filter(|r| !is_replay(r)).count(), 1);
    assert_eq!(replies[0].json()["n"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_other_arguments_is_refused_and_nothing_is_forwarded() {
    let (up, h) = pay("").await;
    assert_eq!(send(h.agent(), refund(Some("k-1"), 5)).await.status, 201);
    for amount in [6, 50] {
        let r = send(h.agent(), refund(Some("k-1"), amount)).await;
        assert_eq!(r.status, 409, "{:?}", r.body);
        assert_eq!(r.reasons(), vec!["idempotency_conflict"]);
        assert_eq!(r.json()["error"]["type"], "idempotency_conflict");
    }
    // the arguments are compared as JSON, not as bytes: reordered members are the same call
    let same = post(
        "/pay/v1/refunds",
        r#"{ "amount": 5, "charge": "ch_1" }"#,
        &[("idempotency-key", "k-1")],
    );
    let r = send(h.agent(), same).await;
    assert_eq!(r.status, 201);
    assert!(is_replay(&r));
    // a key is scoped by tool: the same key on another tool is another key
    let r = send(
        h.agent(),
        post("/pay/v1/charges", "{}", &[("idempotency-key", "k-1")]),
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(!is_replay(&r));
    assert_eq!(up.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_principal_with_the_same_key_never_gets_the_first_answer() {
    const ENV: &str = "TOOLWALL_TEST_IDEM_HS256";
    const SECRET: &str = "idempotency-test-secret-0123456789abcdef";
    std::env::set_var(ENV, SECRET);
    let up = counting_upstream(Duration::ZERO).await;
    let cfg = format!(
        "identity:\n  jwt:\n    issuer: https://issuer.test\n    audience: toolwall\n    hs256_secret_env: {ENV}\n    tenant_claim: org\n"
    );
    let h = Harness::start_with(
        &[("pay", pay_adapter(&format!("http://{}", up.addr)))],
        PAY_POLICY,
        &cfg,
        None,
    )
    .await;
    let token = |sub: &str, org: &str| {
        let claims = json!({"iss": "https://issuer.test", "aud": "toolwall", "sub": sub,
                            "org": org, "exp": chrono::Utc::now().timestamp() + 600});
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("sign")
    };
    let call = |tok: String| {
        post(
            "/pay/v1/refunds",
            r#"{"charge":"ch_1","amount":5}"#,
            &[
                ("idempotency-key", "shared-key"),
                ("authorization", &format!("Bearer {tok}")),
            ],
        )
    };
    let alice = send(h.agent(), call(token("alice", "acme"))).await;
    assert_eq!(alice.json()["n"], 1);
    let bob = send(h.agent(), call(token("bob", "acme"))).await;
    assert_eq!(bob.status, 201);
    assert!(!is_replay(&bob));
    assert_eq!(bob.json()["n"], 2, "bob's call is his own");
    let alice_other_tenant = send(h.agent(), call(token("alice", "globex"))).await;
    assert_eq!(alice_other_tenant.json()["n"], 3);
    assert_eq!(up.hits(), 3);
    // each principal's retry gets its own first answer
    let again = send(h.agent(), call(token("bob", "acme"))).await;
    assert!(is_replay(&again));
    assert_eq!(again.body, bob.body);
    let again = send(h.agent(), call(token("alice", "acme"))).await;
    assert_eq!(again.body, alice.body);
    assert_eq!(up.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_key_is_refused_when_missing_and_derived_from_the_run_id() {
    let (up, h) = pay("").await;
    // no key, no run id
    let r = send(h.agent(), refund(None, 5)).await;
    assert_eq!(r.status, 428, "{:?}", r.body);
    assert_eq!(r.reasons(), vec!["idempotency_key_required"]);
    // malformed keys
    for bad in ["a b", &"k".repeat(256)] {
        let r = send(h.agent(), refund(Some(bad), 5)).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.reasons(), vec!["idempotency_key_invalid"]);
    }
    let twice = req("POST", "/pay/v1/refunds")
        .header("content-type", "application/json")
        .header("idempotency-key", "one")
        .header("idempotency-key", "two")
        .body(Full::new(Bytes::from_static(
            br#"{"charge":"ch_1","amount":5}"#,
        )))
        .expect("request");
    assert_eq!(send(h.agent(), twice).await.status, 400);
    assert_eq!(up.hits(), 0, "nothing was forwarded");

    // the run id and the arguments make the key
    let in_run = |run: &str, amount: u32| {
        post(
            "/pay/v1/refunds",
            &format!(r#"{{"charge":"ch_1","amount":{amount}}}"#),
            &[("toolwall-run-id", run)],
        )
    };
    let a = send(h.agent(), in_run("run-1", 5)).await;
    assert_eq!(a.status, 201);
    let b = send(h.agent(), in_run("run-1", 5)).await;
    assert!(is_replay(&b));
    assert_eq!(a.body, b.body);
    assert_eq!(up.hits(), 1);
    // other arguments in the run, or the same in another run: other calls
    let c = send(h.agent(), in_run("run-1", 6)).await;
    assert!(!is_replay(&c));
    let d = send(h.agent(), in_run("run-2", 5)).await;
    assert!(!is_replay(&d));
    assert_eq!(up.hits(), 3);

    // `auto` without key or run id: no idempotency, every call is forwarded
    for _ in 0..2 {
        let r = send(h.agent(), post("/pay/v1/charges", "{}", &[])).await;
        assert_eq!(r.status, 201);
        assert!(!is_replay(&r));
    }
    // `auto` with a run id: derived
    let r1 = send(
        h.agent(),
        post("/pay/v1/charges", "{}", &[("toolwall-run-id", "run-9")]),
    )
    .await;
    let r2 = send(
        h.agent(),
        post("/pay/v1/charges", "{}", &[("toolwall-run-id", "run-9")]),
    )
    .await;
    assert!(is_replay(&r2));
    assert_eq!(r1.body, r2.body);
    assert_eq!(up.hits(), 6);
    // a tool without idempotency ignores the header
    for _ in 0..2 {
        let r = send(
            h.agent(),
            post("/pay/v1/plain", "{}", &[("idempotency-key", "p")]),
        )
        .await;
        assert!(!is_replay(&r));
    }
    assert_eq!(up.hits(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_answer_is_never_returned_to_a_call_that_is_now_refused() {
    let (up, h) = pay("").await;
    assert_eq!(send(h.agent(), refund(Some("kk"), 5)).await.status, 201);
    let k = admin_post(
        h.admin(),
        "/admin/kill",
        r#"{"on":true,"tenant":"acme"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200, "{:?}", k.body);
    let r = send(h.agent(), refund(Some("kk"), 5)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    assert!(!is_replay(&r));
    assert!(!String::from_utf8_lossy(&r.body).contains("re_1"));
    let k = admin_post(
        h.admin(),
        "/admin/kill",
        r#"{"on":false,"tenant":"acme"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200);
    let r = send(h.agent(), refund(Some("kk"), 5)).await;
    assert!(is_replay(&r));
    assert_eq!(up.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_are_kept_and_a_failed_connect_frees_the_key() {
    let (up, h) = pay("").await;
    // the tool answered 500: that is its answer, replayed
    let a = send(
        h.agent(),
        post("/pay/v1/fail", "{}", &[("idempotency-key", "f")]),
    )
    .await;
    assert_eq!(a.status, 500);
    let b = send(
        h.agent(),
        post("/pay/v1/fail", "{}", &[("idempotency-key", "f")]),
    )
    .await;
    assert_eq!(b.status, 500);
    assert!(is_replay(&b));
    assert_eq!(a.body, b.body);
    assert_eq!(up.hits(), 1);

    // no answer within the timeout: the tool may have acted, the 504 is the key's answer
    let a = send(
        h.agent(),
        post("/pay/v1/slow", "{}", &[("idempotency-key", "s")]),
    )
    .await;
    assert_eq!(a.status, 504);
    let b = send(
        h.agent(),
        post("/pay/v1/slow", "{}", &[("idempotency-key", "s")]),
    )
    .await;
    assert_eq!(b.status, 504);
    assert!(is_replay(&b));
    assert_eq!(b.reasons(), vec!["upstream_timeout"]);
    assert_eq!(up.hits(), 2, "the slow call was not sent again");

    // the connection failed: nothing reached the tool, so the retry goes
    let port = free_port();
    let dead = Harness::start(
        &[("pay", pay_adapter(&format!("http://127.0.0.1:{port}")))],
        PAY_POLICY,
        "",
    )
    .await;
    let r = send(dead.agent(), refund(Some("c"), 5)).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.reasons(), vec!["upstream_unavailable"]);
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("rebind");
    let late = counting_on(listener, Duration::ZERO);
    let r = send(dead.agent(), refund(Some("c"), 5)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(!is_replay(&r));
    assert_eq!(late.hits(), 1);
    let r = send(dead.agent(), refund(Some("c"), 5)).await;
    assert!(is_replay(&r));
    assert_eq!(late.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_hangs_up_mid_call_does_not_get_a_second_call_through() {
    use tokio::io::AsyncWriteExt;
    let up = counting_upstream(Duration::from_millis(600)).await;
    let h = Harness::start(
        &[("pay", pay_adapter(&format!("http://{}", up.addr)))],
        PAY_POLICY,
        "",
    )
    .await;
    let body = r#"{"charge":"ch_1","amount":5}"#;
    let raw = format!(
        "POST /pay/v1/refunds HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\nidempotency-key: gone\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(h.agent())
        .await
        .expect("connect");
    s.write_all(raw.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(s); // the agent gives up while the tool works
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(up.hits(), 1);
    let r = send(h.agent(), refund(Some("gone"), 5)).await;
    // either the first call finished and its answer is replayed, or its outcome is unknown
    // and the key is refused: never a second call
    match r.status.as_u16() {
        201 => assert!(is_replay(&r)),
        409 => assert_eq!(r.reasons(), vec!["idempotency_replay_unavailable"]),
        s => panic!("unexpected {s}: {:?}", r.body),
    }
    assert_eq!(up.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_too_large_to_keep_is_never_forwarded_twice() {
    let (up, h) = pay("").await;
    let a = send(
        h.agent(),
        post("/pay/v1/big", "{}", &[("idempotency-key", "b")]),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.body.len() > 1_100_000, "the first caller gets it whole");
    let mut b = send(
        h.agent(),
        post("/pay/v1/big", "{}", &[("idempotency-key", "b")]),
    )
    .await;
    for _ in 0..20 {
        // the first answer is stored when its body ends: a retry right after may wait
        if b.status != 409 || b.reasons() != vec!["idempotency_in_flight"] {
            break;
        }
        b = send(
            h.agent(),
            post("/pay/v1/big", "{}", &[("idempotency-key", "b")]),
        )
        .await;
    }
    assert_eq!(b.status, 409, "{:?}", b.body);
    assert_eq!(b.reasons(), vec!["idempotency_replay_unavailable"]);
    assert_eq!(up.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_replayed_within_its_window_only() {
    let up = counting_upstream(Duration::ZERO).await;
    let clock = Arc::new(FakeClock::new(chrono::Utc::now()));
    let h = Harness::start_with(
        &[("pay", pay_adapter(&format!("http://{}", up.addr)))],
        PAY_POLICY,
        STATIC_IDENTITY,
        Some(clock.clone()),
    )
    .await;
    let first = send(h.agent(), refund(Some("w"), 5)).await;
    assert_eq!(first.json()["n"], 1);
    // the answer is stored when its body ends: a replay now proves it is (the window starts)
    assert!(is_replay(&send(h.agent(), refund(Some("w"), 5)).await));
    clock.advance(Duration::from_secs(3500)); // `idempotency_window: 1h`
    let r = send(h.agent(), refund(Some("w"), 5)).await;
    assert!(is_replay(&r));
    assert_eq!(r.body, first.body);
    clock.advance(Duration::from_secs(200));
    let r = send(h.agent(), refund(Some("w"), 6)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(!is_replay(&r), "the window ended: the key is new again");
    assert_eq!(r.json()["n"], 2);
    assert_eq!(up.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spend_hold_of_a_replayed_call_is_released() {
    let (up, h) = pay("limits:\n  spend: [ { scope: tenant_day, max_usd: 0.02 } ]\n").await;
    // a budget of two calls: replays do not count against it
    assert_eq!(send(h.agent(), refund(Some("s1"), 5)).await.status, 201);
    for _ in 0..5 {
        let r = send(h.agent(), refund(Some("s1"), 5)).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert!(is_replay(&r));
    }
    assert_eq!(send(h.agent(), refund(Some("s2"), 5)).await.status, 201);
    let r = send(h.agent(), refund(Some("s3"), 5)).await;
    assert_eq!(r.status, 429, "{:?}", r.body);
    assert_eq!(up.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_mode_forwards_a_missing_key_but_never_a_used_one_twice() {
    let (up, h) = pay("mode: shadow\n").await;
    // a missing key is recorded as what enforce would refuse, and the call goes on
    let r = send(h.agent(), refund(None, 5)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(up.hits(), 1);
    // a key still holds: a retry is replayed, other arguments are refused
    let a = send(h.agent(), refund(Some("sh"), 5)).await;
    let b = send(h.agent(), refund(Some("sh"), 5)).await;
    assert!(is_replay(&b));
    assert_eq!(a.body, b.body);
    let c = send(h.agent(), refund(Some("sh"), 7)).await;
    assert_eq!(c.status, 409);
    assert_eq!(c.reasons(), vec!["idempotency_conflict"]);
    assert_eq!(up.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_answer_survives_a_restart_on_sqlite() {
    let up = counting_upstream(Duration::ZERO).await;
    let state = tempfile::tempdir().expect("tmp");
    let cfg = format!(
        "state: {{ backend: sqlite, path: {} }}\n",
        state.path().join("tw.db").display()
    );
    let adapters = [("pay", pay_adapter(&format!("http://{}", up.addr)))];
    let first = {
        let h = Harness::start(&adapters, PAY_POLICY, &cfg).await;
        let first = send(h.agent(), refund(Some("restart"), 5)).await;
        assert_eq!(first.status, 201);
        // stored once the body ended: a replay proves it before the sidecar goes
        assert!(is_replay(
            &send(h.agent(), refund(Some("restart"), 5)).await
        ));
        h.app.shutdown().await;
        first
    };
    let h = Harness::start(&adapters, PAY_POLICY, &cfg).await;
    let r = send(h.agent(), refund(Some("restart"), 5)).await;
    assert!(is_replay(&r), "{:?}", r.body);
    assert_eq!(r.body, first.body);
    assert_eq!(up.hits(), 1);
}

// ---------------------------------------------------------------- redis

async fn pay_on_redis(redis: &RedisServer, up: &Counting) -> Harness {
    Harness::start(
        &[("pay", pay_adapter(&format!("http://{}", up.addr)))],
        PAY_POLICY,
        &format!(
            "state: {{ backend: redis, url: \"{}\", prefix: \"tw-idem:\" }}\n",
            redis.url()
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sidecars_on_one_redis_forward_a_key_once() {
    let redis = RedisServer::start().await;
    let up = counting_upstream(Duration::from_millis(400)).await;
    let a = pay_on_redis(&redis, &up).await;
    let b = pay_on_redis(&redis, &up).await;
    let calls: Vec<_> = (0..10)
        .map(|i| {
            let addr = if i % 2 == 0 { a.agent() } else { b.agent() };
            tokio::spawn(async move { send(addr, refund(Some("shared"), 9)).await })
        })
        .collect();
    let mut replies = Vec::new();
    for c in calls {
        replies.push(c.await.expect("task"));
    }
    assert_eq!(up.hits(), 1, "one forwarded call across both sidecars");
    for r in &replies {
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body, replies[0].body);
    }
    // later retries through either sidecar: the stored answer; other args: a conflict
    for addr in [a.agent(), b.agent()] {
        let r = send(addr, refund(Some("shared"), 9)).await;
        assert!(is_replay(&r));
        assert_eq!(r.body, replies[0].body);
        let r = send(addr, refund(Some("shared"), 10)).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.reasons(), vec!["idempotency_conflict"]);
    }
    assert_eq!(up.hits(), 1);
}

fn redis_store(redis: &RedisServer, clock: &Arc<FakeClock>) -> Arc<RedisStore> {
    Arc::new(
        RedisStore::connect(&redis.url(), "tw-idem-store:", Duration::from_millis(500))
            .expect("connect")
            .with_clock(clock.clone()),
    )
}

fn claim<'a>(key: &'a str, args: &'a str, owner: &'a str) -> IdemClaim<'a> {
    IdemClaim {
        key,
        args,
        owner,
        lease_ms: 30_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_gives_a_key_to_one_call_and_keeps_its_answer() {
    let redis = RedisServer::start().await;
    let clock = Arc::new(FakeClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 3, 10, 0, 0)
            .single()
            .expect("date"),
    ));
    let (a, b) = (redis_store(&redis, &clock), redis_store(&redis, &clock));
    // concurrent begins through two handles: one owner
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let owner = format!("d{i}");
                (owner.clone(), s.idem_begin(claim("k", "x", &owner)).await)
            })
        })
        .collect();
    let mut owners = Vec::new();
    for t in tasks {
        let (owner, got) = t.await.expect("join");
        match got.expect("begin") {
            IdemBegin::Fresh => owners.push(owner),
            IdemBegin::InFlight => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(owners.len(), 1);
    let owner = owners[0].clone();
    assert_eq!(
        b.idem_begin(claim("k", "y", "z")).await.expect("begin"),
        IdemBegin::Conflict
    );
    // a binary body survives the round trip; only the owner stores it
    let body = Bytes::from_static(b"{\"a\":1}\x00\xff\r\n");
    let answer = StoredResponse {
        status: 201,
        content_type: "application/json".into(),
        body: body.clone(),
        complete: true,
        decision_id: String::new(),
    };
    assert!(!a
        .idem_complete("k", "someone-else", answer.clone(), 3_600_000)
        .await
        .expect("complete"));
    assert!(a
        .idem_complete("k", &owner, answer, 3_600_000)
        .await
        .expect("complete"));
    match b.idem_begin(claim("k", "x", "w")).await.expect("begin") {
        IdemBegin::Done(r) => {
            assert_eq!((r.status, r.body, r.complete), (201, body, true));
            assert_eq!(r.content_type, "application/json");
            assert_eq!(r.decision_id, owner);
        }
        other => panic!("expected Done, got {other:?}"),
    }
    // abort frees an in-flight key, for its owner only
    assert_eq!(
        a.idem_begin(claim("k2", "x", "o1")).await.expect("begin"),
        IdemBegin::Fresh
    );
    b.idem_abort("k2", "o2").await.expect("abort");
    assert_eq!(
        b.idem_begin(claim("k2", "x", "o3")).await.expect("begin"),
        IdemBegin::InFlight
    );
    b.idem_abort("k2", "o1").await.expect("abort");
    assert_eq!(
        b.idem_begin(claim("k2", "x", "o3")).await.expect("begin"),
        IdemBegin::Fresh
    );
    // the lease and the window follow the store's clock
    clock.advance(Duration::from_secs(31));
    assert_eq!(
        a.idem_begin(claim("k2", "x", "o4")).await.expect("begin"),
        IdemBegin::Fresh,
        "a lease that ended frees the key"
    );
    assert!(matches!(
        a.idem_begin(claim("k", "x", "w2")).await.expect("begin"),
        IdemBegin::Done(_)
    ));
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        a.idem_begin(claim("k", "y", "w3")).await.expect("begin"),
        IdemBegin::Fresh,
        "a window that ended frees the key"
    );
}

// ---------------------------------------------------------------- config

#[test]
fn idempotency_config_errors_name_the_value() {
    let cases = [
        ("    idempotency: maybe\n", 6, "unknown variant"),
        (
            "    idempotency: required\n    idempotency_window: forever\n",
            7,
            "idempotency_window",
        ),
        (
            "    idempotency: auto\n    idempotency_window: 30days\n",
            7,
            "between 1s and 7days",
        ),
        (
            "    idempotency_window: 1h\n",
            6,
            "idempotency_window is set but idempotency is not",
        ),
    ];
    for (tool_extra, line, needle) in cases {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
        std::fs::create_dir_all(root.join("policies")).expect("mkdir");
        std::fs::write(
            root.join("toolwall.yaml"),
            "identity:\n  static: { agent: a }\n",
        )
        .expect("write");
        std::fs::write(root.join("policies/p.rego"), ALLOW_ALL).expect("write");
        let adapter = format!(
            "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: refund\n    match: {{ method: POST, path: /v1/refunds }}\n{tool_extra}"
        );
        let file = root.join("adapters/pay.yaml");
        std::fs::write(&file, adapter).expect("write");
        let cfg = root.join("toolwall.yaml");
        let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
        assert_eq!(code, 1, "{tool_extra}: {err}");
        let hit = err
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{err}"));
        assert!(
            hit.starts_with(&format!("{}:{line}:", file.display())),
            "{hit}"
        );
    }
    // an MCP adapter has no idempotency yet
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("toolwall.yaml"),
        "identity:\n  static: { agent: a }\n",
    )
    .expect("write");
    std::fs::write(root.join("policies/p.rego"), ALLOW_ALL).expect("write");
    let file = root.join("adapters/m.yaml");
    std::fs::write(
        &file,
        "name: m\nkind: mcp\nupstream: http://127.0.0.1:9/mcp\ntools:\n  - name: refund\n    idempotency: required\n",
    )
    .expect("write");
    let cfg = root.join("toolwall.yaml");
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    let hit = err
        .lines()
        .find(|l| l.contains("idempotency is for HTTP adapters"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        hit.starts_with(&format!("{}:6:18: ", file.display())),
        "{hit}"
    );
}
