//! gRPC through toolwall end to end, with real grpcio on both sides: `tests/grpc/server.py`
//! (logs every message it receives, raw bytes included) behind a `kind: grpc` adapter typed by
//! a descriptor set compiled here with `python -m grpc_tools.protoc`, and `tests/grpc/client.py`
//! (one call, its status, trailers and decoded `grpc-status-details-bin` as JSON). Malformed
//! frames go through a raw hyper HTTP/2 client instead: grpcio cannot send them.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

use crate::common::*;

fn grpc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/grpc")
}

/// `python -m grpc_tools.protoc --include_imports --descriptor_set_out=DIR/payments.pb
/// payments.proto`: the FileDescriptorSet the adapter is typed by.
fn descriptor_set(dir: &Path) -> PathBuf {
    let out = dir.join("payments.pb");
    let st = Command::new(python())
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(grpc_dir())
        .arg("--include_imports")
        .arg(format!("--descriptor_set_out={}", out.display()))
        .arg("payments.proto")
        .current_dir(grpc_dir())
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run grpc_tools.protoc with {}: {e}",
                python().display()
            )
        });
    assert!(st.success(), "protoc failed");
    out
}

/// A CA, a server leaf for 127.0.0.1 / localhost and a client certificate (CN `agent-m`), as
/// PEM files.
struct TestCert {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn test_cert() -> TestCert {
    use rcgen::{CertificateParams, DnType, KeyPair};
    let (ca, leaf, leaf_key) = crate::common::test_ca_and_server_cert("toolwall grpc test CA");
    let dir = tempfile::tempdir().expect("tmp");
    let (ca_path, cert, key) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    std::fs::write(&ca_path, ca.pem()).expect("write");
    std::fs::write(&cert, leaf.pem()).expect("write");
    std::fs::write(&key, leaf_key.serialize_pem()).expect("write");
    let mut client = CertificateParams::new(Vec::<String>::new()).expect("params");
    client
        .distinguished_name
        .push(DnType::CommonName, "agent-m");
    let client_key = KeyPair::generate().expect("key");
    let client = client.signed_by(&client_key, &ca).expect("client cert");
    let (client_cert, client_key_path) =
        (dir.path().join("client.pem"), dir.path().join("client.key"));
    std::fs::write(&client_cert, client.pem()).expect("write");
    std::fs::write(&client_key_path, client_key.serialize_pem()).expect("write");
    TestCert {
        _dir: dir,
        ca: ca_path,
        cert,
        key,
        client_cert,
        client_key: client_key_path,
    }
}

/// `tests/grpc/server.py`, h2c or TLS, on a port it picked and printed.
struct GrpcServer {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl GrpcServer {
    fn start(tls: Option<&TestCert>) -> GrpcServer {
        let dir = tempfile::tempdir().expect("tmp");
        let log = dir.path().join("server.jsonl");
        let mut cmd = Command::new(python());
        cmd.arg(grpc_dir().join("server.py")).arg("--log").arg(&log);
        if let Some(c) = tls {
            cmd.arg("--cert").arg(&c.cert).arg("--key").arg(&c.key);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run server.py with {}: {e}", python().display()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(p) = line.strip_prefix("PORT ") {
                    let _ = tx.send(p.trim().parse::<u16>().ok());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(port)) => GrpcServer {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                log,
                _dir: dir,
            },
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the gRPC test server did not start");
            }
        }
    }

    /// Every line of the server's log.
    fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The request messages that reached the server, in arrival order.
    fn messages(&self) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == "message")
            .collect()
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One call with `tests/grpc/client.py` to `target`: its JSON outcome.
async fn call(target: SocketAddr, method: &str, requests: &[Value], opts: &[&str]) -> Value {
    let mut args: Vec<String> = vec![
        grpc_dir().join("client.py").display().to_string(),
        target.to_string(),
        method.to_string(),
    ];
    for r in requests {
        args.push("--request".into());
        args.push(r.to_string());
    }
    args.extend(opts.iter().map(|s| s.to_string()));
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .args(&args)
            .output()
            .expect("run client.py")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "client.py printed no JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The policy of these tests: refunds up to 10000 cents of the caller's own tenant; items of up
/// to 100; no `forbidden` chat; no `x-trace-id: evil` metadata; every gRPC call must see
/// `input.grpc` and `input.request.path` as the contract says. Charges listed are redacted
/// (emails and cards), uploaded items' emails too.
const POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

redactions := {
	"payments.list_charges": ["email", "credit_card"],
	"payments.upload_items": ["email"],
}

decision := {"allow": true, "reasons": [], "redact": object.get(redactions, input.tool.name, [])} if count(deny) == 0

decision := {"allow": false, "reasons": sort([r | some r in deny])} if count(deny) > 0

deny contains "amount_over_limit" if to_number(input.args.amountCents) > 10000

deny contains "tenant_mismatch" if {
	input.args.tenant
	input.args.tenant != input.principal.tenant
}

deny contains "qty_over_limit" if input.args.qty > 100

deny contains "forbidden_chat" if contains(input.args.text, "forbidden")

deny contains "trace_forbidden" if input.grpc.metadata["x-trace-id"] == "evil"

deny contains "no_grpc_input" if not input.grpc.service == "payments.v1.Payments"

deny contains "request_path_mismatch" if {
	input.request.path != concat("", ["/", input.grpc.service, "/", input.grpc.method])
}

deny contains "request_method_mismatch" if input.request.method != "POST"
"#;

/// Adapter `payments` (kind grpc) in front of `upstream`: four tools of payments.v1.Payments
/// (not VoidCharge), nothing of payments.v1.Admin or inventory.v1.Stock. CreateRefund's derived
/// schema is tightened: `currency` is EUR or USD.
fn payments_adapter(upstream: &str, pb: &Path, extra: &str) -> String {
    format!(
        r#"name: payments
kind: grpc
upstream: {upstream}
descriptor_set: {pb}
{timeout}{extra}
tools:
  - name: payments.refund
    match: {{ service: payments.v1.Payments, method: CreateRefund }}
    schema:
      type: object
      properties:
        currency: {{ enum: [EUR, USD] }}
  - name: payments.list_charges
    match: {{ service: payments.v1.Payments, method: ListCharges }}
    read_only: true
  - name: payments.upload_items
    match: {{ service: payments.v1.Payments, method: UploadItems }}
  - name: payments.chat
    match: {{ service: payments.v1.Payments, method: Chat }}
"#,
        pb = pb.display(),
        timeout = if extra.contains("timeout:") {
            ""
        } else {
            "timeout: 5s\n"
        }
    )
}

/// toolwall in front of a gRPC server, with a signed audit stream.
struct Setup {
    server: GrpcServer,
    h: Harness,
    keys: tempfile::TempDir,
}

impl Setup {
    /// An h2c server behind the default adapter.
    async fn start() -> Setup {
        Self::start_with(None, "").await
    }

    /// A server (TLS when `tls`), the adapter with `extra` lines.
    async fn start_with(tls: Option<&TestCert>, extra: &str) -> Setup {
        let server = GrpcServer::start(tls);
        let upstream = match tls {
            Some(_) => format!("https://localhost:{}", server.addr.port()),
            None => format!("http://{}", server.addr),
        };
        Self::start_upstream(server, &upstream, extra, "").await
    }

    /// A server behind an adapter at `upstream` (with `extra` lines), `config` added to
    /// toolwall.yaml.
    async fn start_upstream(
        server: GrpcServer,
        upstream: &str,
        extra: &str,
        config: &str,
    ) -> Setup {
        Self::start_policy(server, upstream, extra, config, POLICY).await
    }

    /// `start_upstream` with another policy.
    async fn start_policy(
        server: GrpcServer,
        upstream: &str,
        extra: &str,
        config: &str,
        policy: &str,
    ) -> Setup {
        let keys = tempfile::tempdir().expect("tmp");
        assert_eq!(
            toolwall::cli::audit::keygen(&keys.path().join("k"), "grpc-test"),
            0
        );
        let pb = descriptor_set(keys.path());
        let audit = format!(
            "audit: {{ dir: audit, key: {}/k/audit.key }}\n{config}",
            keys.path().display()
        );
        let adapters = [("payments", payments_adapter(upstream, &pb, extra))];
        // a config with its own `identity:` replaces the static one
        let h = if config.contains("identity:") {
            Harness::start_with(&adapters, policy, &audit, None).await
        } else {
            Harness::start(&adapters, policy, &audit).await
        };
        Setup { server, h, keys }
    }

    async fn call(&self, method: &str, requests: &[Value], opts: &[&str]) -> Value {
        call(self.h.agent(), method, requests, opts).await
    }

    /// Shut toolwall down; its audit records, after `toolwall audit verify` accepted them.
    async fn verified_audit(self) -> (Vec<Value>, GrpcServer) {
        let Setup { server, h, keys } = self;
        let audit_dir = h.dir.path().join("audit");
        let Harness { app, dir } = h;
        app.shutdown().await;
        let pubkey = keys.path().join("k/audit.pub");
        let (code, out, err) = toolwall(&[
            "audit",
            "verify",
            audit_dir.to_str().expect("utf8"),
            "--keys",
            pubkey.to_str().expect("utf8"),
        ]);
        assert_eq!(code, 0, "audit verify: {out}{err}");
        let recs = audit_records(&audit_dir);
        drop(dir);
        (recs, server)
    }
}

const REFUND: &str = "/payments.v1.Payments/CreateRefund";
const LIST: &str = "/payments.v1.Payments/ListCharges";
const UPLOAD: &str = "/payments.v1.Payments/UploadItems";
const CHAT: &str = "/payments.v1.Payments/Chat";

fn decision_id(out: &Value) -> String {
    out["trailing_metadata"]["toolwall-decision-id"]
        .as_str()
        .or_else(|| out["initial_metadata"]["toolwall-decision-id"].as_str())
        .unwrap_or_else(|| panic!("no toolwall-decision-id: {out}"))
        .to_string()
}

/// The ErrorInfo of a refusal's `grpc-status-details-bin`, after checking the Status around it.
fn error_info(out: &Value) -> &Value {
    let sd = &out["status_details"];
    assert_eq!(sd["code"], out["code_number"], "{out}");
    assert_eq!(
        sd["details"][0]["type_url"], "type.googleapis.com/google.rpc.ErrorInfo",
        "{out}"
    );
    let info = &sd["details"][0]["error_info"];
    assert_eq!(info["domain"], "toolwall.dev", "{out}");
    assert_eq!(
        info["metadata"]["decision_id"].as_str(),
        Some(decision_id(out).as_str()),
        "{out}"
    );
    info
}

fn decisions<'a>(recs: &'a [Value], tool: &str) -> Vec<&'a Value> {
    recs.iter()
        .filter(|r| r["kind"] == "decision" && r["tool"] == tool)
        .collect()
}

/// The message index a decision record carries for a streamed message.
fn message_index(rec: &Value) -> Option<u64> {
    rec["grpc"]["message_index"]
        .as_u64()
        .or_else(|| rec["message_index"].as_u64())
}

/// A RefundRequest encoded by hand with its fields out of field-number order (note, tenant,
/// amount): valid protobuf that any re-encoding would reorder.
fn unordered_refund() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend([0x2a, 0x05]);
    m.extend(b"hello");
    m.extend([0x0a, 0x04]);
    m.extend(b"acme");
    m.extend([0x10, 0xf4, 0x03]); // amount_cents 500
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_unary_call_reaches_the_server_with_its_bytes_and_is_audited() {
    let s = Setup::start().await;
    let req = json!({
        "tenant": "acme", "amountCents": "500", "currency": "EUR",
        "customerEmail": "jane.doe@example.com", "note": "late delivery",
        "meta": {"requestId": "r-1", "labels": {"channel": "agent"}}, "tags": ["a", "b"]
    });
    let out = s.call(REFUND, &[req], &[]).await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(out["responses"][0]["refundId"], "rf_acme_500", "{out}");
    assert_eq!(out["responses"][0]["note"], "late delivery", "{out}");
    let seen = s.server.messages();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["method"], REFUND);
    assert_eq!(seen[0]["hex"], out["requests_hex"][0], "the bytes changed");
    assert_eq!(seen[0]["json"]["customerEmail"], "jane.doe@example.com");

    // the original bytes, not a re-encoding: fields out of order stay out of order
    let hex: String = unordered_refund()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let out2 = s.call(REFUND, &[], &["--request-hex", &hex]).await;
    assert_eq!(out2["code"], "OK", "{out2}");
    let seen = s.server.messages();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1]["hex"], hex.as_str(), "the message was re-encoded");

    let id = decision_id(&out);
    let (recs, _server) = s.verified_audit().await;
    let d = decisions(&recs, "payments.refund");
    let d = d
        .iter()
        .find(|r| r["decision_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no decision {id}: {recs:?}"));
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["args"]["tenant"], "acme", "{d}");
    assert_eq!(d["args"]["amountCents"], "500", "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_field_value_never_reaches_the_server() {
    let s = Setup::start().await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "20000", "currency": "EUR"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "PERMISSION_DENIED", "{out}");
    assert_eq!(out["code_number"], 7);
    assert!(
        out["details"]
            .as_str()
            .is_some_and(|d| d.contains("amount_over_limit")),
        "{out}"
    );
    let info = error_info(&out);
    assert_eq!(info["reason"], "policy_denied", "{out}");
    assert_eq!(info["metadata"]["reasons"], "amount_over_limit", "{out}");

    // another tenant's refund, two reasons at once
    let out2 = s
        .call(
            REFUND,
            &[json!({"tenant": "globex", "amountCents": "99999"})],
            &[],
        )
        .await;
    assert_eq!(out2["code"], "PERMISSION_DENIED", "{out2}");
    assert_eq!(
        error_info(&out2)["metadata"]["reasons"],
        "amount_over_limit; tenant_mismatch",
        "{out2}"
    );
    assert!(s.server.messages().is_empty(), "{:?}", s.server.events());

    let id = decision_id(&out);
    let (recs, server) = s.verified_audit().await;
    let d = decisions(&recs, "payments.refund");
    let d = d
        .iter()
        .find(|r| r["decision_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no decision {id}: {recs:?}"));
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["reasons"], json!(["amount_over_limit"]), "{d}");
    assert!(server.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_sees_the_grpc_input_and_metadata() {
    let s = Setup::start().await;
    let ok = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "1"})],
            &["--metadata", "x-trace-id=fine"],
        )
        .await;
    // `no_grpc_input` / `request_path_mismatch` would deny it
    assert_eq!(ok["code"], "OK", "{ok}");
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "1"})],
            &["--metadata", "x-trace-id=evil"],
        )
        .await;
    assert_eq!(out["code"], "PERMISSION_DENIED", "{out}");
    assert_eq!(error_info(&out)["metadata"]["reasons"], "trace_forbidden");
    assert_eq!(s.server.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_passes_but_identity_headers_do_not_and_credentials_are_injected() {
    std::env::set_var("TOOLWALL_TEST_GRPC_KEY", "sk_grpc_secret");
    let s = Setup::start_with(
        None,
        "credentials: { header: authorization, prefix: \"Bearer \", env: TOOLWALL_TEST_GRPC_KEY }",
    )
    .await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5"})],
            &[
                "--metadata",
                "authorization=Bearer agent-forged",
                "--metadata",
                "toolwall-run-id=run-1",
                "--metadata",
                "x-trace-id=t-1",
                "--metadata",
                "x-blob-bin=AAEC/w==",
                "--timeout",
                "30",
            ],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let seen = s.server.messages();
    let md = &seen[0]["metadata"];
    assert_eq!(md["authorization"], "Bearer sk_grpc_secret", "{md}");
    assert!(md.get("toolwall-run-id").is_none(), "{md}");
    assert_eq!(md["x-trace-id"], "t-1", "{md}");
    assert_eq!(md["x-blob-bin"], "AAEC/w==", "{md}");
    // grpc-timeout: the adapter's 5 s wins over the client's 30 s
    let left = seen[0]["deadline_s"].as_f64().expect("a deadline upstream");
    assert!(left <= 5.0 && left > 3.0, "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smaller_client_deadline_is_forwarded() {
    let s = Setup::start().await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5"})],
            &["--timeout", "2"],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let left = s.server.messages()[0]["deadline_s"]
        .as_f64()
        .expect("a deadline upstream");
    assert!(left <= 2.0 && left > 0.5, "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_violation_is_invalid_argument() {
    let s = Setup::start().await;
    // the explicit schema tightens the derived one: currency is EUR or USD
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5", "currency": "XYZ"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "INVALID_ARGUMENT", "{out}");
    assert_eq!(out["code_number"], 3);
    let info = error_info(&out);
    assert_eq!(info["reason"], "schema_invalid", "{out}");
    assert!(s.server.messages().is_empty(), "{:?}", s.server.events());
    let (recs, _server) = s.verified_audit().await;
    let d = decisions(&recs, "payments.refund");
    assert_eq!(d.len(), 1, "{recs:?}");
    assert_eq!(d[0]["decision"], "deny");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stream_reaches_the_client_with_pii_redacted() {
    let s = Setup::start().await;
    let out = s
        .call(LIST, &[json!({"tenant": "acme", "limit": 3})], &[])
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let rs = out["responses"].as_array().expect("responses");
    assert_eq!(rs.len(), 3, "{out}");
    for (i, r) in rs.iter().enumerate() {
        assert_eq!(r["id"], format!("ch_{i}"), "{r}");
        assert_eq!(r["amountCents"], format!("{}", 1000 * (i + 1)), "{r}");
        assert_eq!(r["customerEmail"], "[EMAIL]", "{r}");
        assert_eq!(r["cardNumber"], "[CREDIT_CARD]", "{r}");
        assert_eq!(
            r["description"],
            format!("charge {i} for [EMAIL], tenant acme"),
            "{r}"
        );
        assert_eq!(r["meta"]["requestId"], format!("req_{i}"), "{r}");
        assert_eq!(r["meta"]["labels"]["contact"], "[EMAIL]", "{r}");
    }
    let text = out.to_string();
    assert!(
        !text.contains("example.com") && !text.contains("4242"),
        "{text}"
    );
    // the request carried no PII: the server got it as sent
    let seen = s.server.messages();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["hex"], out["requests_hex"][0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_stream_ends_at_its_refused_third_message() {
    let s = Setup::start().await;
    let items = [
        json!({"sku": "a", "qty": 1}),
        json!({"sku": "b", "qty": 2, "note": "ping jane.doe@example.com"}),
        json!({"sku": "c", "qty": 500}),
        json!({"sku": "d", "qty": 1}),
    ];
    let out = s.call(UPLOAD, &items, &["--gap-ms", "300"]).await;
    assert_eq!(out["code"], "PERMISSION_DENIED", "{out}");
    assert_eq!(error_info(&out)["metadata"]["reasons"], "qty_over_limit");
    assert!(out["responses"].as_array().is_some_and(Vec::is_empty));
    let seen = s.server.messages();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0]["index"], 0);
    assert_eq!(
        seen[0]["hex"], out["requests_hex"][0],
        "message 0 re-encoded"
    );
    assert_eq!(seen[1]["json"]["sku"], "b");
    // message 1 was redacted (so re-encoded): the email never reached the server
    assert_eq!(seen[1]["json"]["note"], "ping [EMAIL]", "{seen:?}");

    let id = decision_id(&out);
    let (recs, _server) = s.verified_audit().await;
    let mut d = decisions(&recs, "payments.upload_items");
    d.sort_by_key(|r| message_index(r));
    assert_eq!(d.len(), 3, "{recs:?}");
    for (i, r) in d.iter().enumerate() {
        assert_eq!(message_index(r), Some(i as u64), "{r}");
    }
    assert_eq!(d[0]["decision"], "allow");
    assert_eq!(d[1]["decision"], "allow");
    assert_eq!(d[2]["decision"], "deny");
    assert_eq!(d[2]["decision_id"], id.as_str());
    assert_ne!(d[0]["decision_id"], d[1]["decision_id"]);
    let text = recs
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!text.contains("jane.doe@example.com"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bidi_stream_is_decided_per_message() {
    let s = Setup::start().await;
    let msgs = [
        json!({"text": "hi"}),
        json!({"text": "there"}),
        json!({"text": "a forbidden word"}),
    ];
    let out = s.call(CHAT, &msgs, &["--gap-ms", "300"]).await;
    assert_eq!(out["code"], "PERMISSION_DENIED", "{out}");
    assert_eq!(error_info(&out)["metadata"]["reasons"], "forbidden_chat");
    assert_eq!(
        out["responses"],
        json!([{"text": "echo: hi"}, {"text": "echo: there", "seq": 1}]),
        "{out}"
    );
    let seen = s.server.messages();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|m| m["json"]["text"] != "a forbidden word"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unguarded_services_and_unlisted_methods_are_unimplemented() {
    let s = Setup::start().await;
    let cases = [
        (
            "/payments.v1.Payments/VoidCharge",
            json!({"chargeId": "ch_1"}),
            "unknown_tool",
        ),
        (
            "/payments.v1.Admin/ResetAll",
            json!({"scope": "all"}),
            "unknown_upstream",
        ),
        (
            "/inventory.v1.Stock/GetStock",
            json!({"sku": "a"}),
            "unknown_upstream",
        ),
    ];
    let mut ids = Vec::new();
    for (method, req, reason) in cases.clone() {
        let out = s.call(method, &[req], &[]).await;
        assert_eq!(out["code"], "UNIMPLEMENTED", "{method}: {out}");
        assert_eq!(out["code_number"], 12);
        assert_eq!(error_info(&out)["reason"], reason, "{method}: {out}");
        ids.push((decision_id(&out), reason));
    }
    // the server answers all three directly
    for (method, req, _) in cases {
        let direct = call(s.server.addr, method, &[req], &[]).await;
        assert_eq!(direct["code"], "OK", "{direct}");
    }
    assert_eq!(s.server.messages().len(), 3);
    let (recs, _server) = s.verified_audit().await;
    for (id, reason) in ids {
        let d = recs
            .iter()
            .find(|r| r["kind"] == "decision" && r["decision_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} not audited: {recs:?}"));
        assert_eq!(d["decision"], "deny", "{d}");
        assert!(d.to_string().contains(reason), "{d}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_upstream_is_reached_over_h2() {
    let cert = test_cert();
    let ca = cert.ca.display().to_string();
    let s = Setup::start_with(Some(&cert), &format!("tls: {{ ca: {ca} }}")).await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "42", "note": "over tls"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(out["responses"][0]["refundId"], "rf_acme_42");
    let seen = s.server.messages();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["hex"], out["requests_hex"][0]);
    // and a stream over the same pooled connection
    let out = s.call(LIST, &[json!({"limit": 2})], &[]).await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(out["responses"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_upstream_with_an_unknown_ca_is_unavailable() {
    let cert = test_cert();
    let s = Setup::start_with(Some(&cert), "").await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "42"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "UNAVAILABLE", "{out}");
    assert!(s.server.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_request_frames_are_decided_and_reach_the_server() {
    let s = Setup::start().await;
    let ok = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "700", "note": "zipped"})],
            &["--gzip"],
        )
        .await;
    assert_eq!(ok["code"], "OK", "{ok}");
    let denied = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "70000", "note": "zipped"})],
            &["--gzip"],
        )
        .await;
    assert_eq!(denied["code"], "PERMISSION_DENIED", "{denied}");
    let seen = s.server.messages();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["hex"], ok["requests_hex"][0]);
    assert_eq!(seen[0]["json"]["note"], "zipped");

    // a frame gzipped by hand (the compressed flag set): decided on what it inflates to
    let msg = |amount: &str| {
        let mut m = vec![0x0a, 0x04];
        m.extend(b"acme");
        m.push(0x10);
        m.extend(varint(amount.parse().expect("n")));
        m
    };
    let gz = |m: &[u8]| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(m).expect("gzip");
        e.finish().expect("gzip")
    };
    let enc = [("grpc-encoding", "gzip")];
    let r = raw_grpc(s.h.agent(), REFUND, &enc, grpc_frame(1, &gz(&msg("20000")))).await;
    assert_eq!(r.grpc_status(), Some(7), "{r:?}");
    let r = raw_grpc(s.h.agent(), REFUND, &enc, grpc_frame(1, &gz(&msg("300")))).await;
    assert_eq!(r.grpc_status(), Some(0), "{r:?}");
    let seen = s.server.messages();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1]["json"]["amountCents"], "300");
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// One length-prefixed gRPC message with the given flag byte.
fn grpc_frame(flag: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![flag];
    f.extend((payload.len() as u32).to_be_bytes());
    f.extend(payload);
    f
}

/// A gRPC response read to its end by the raw client.
#[derive(Debug)]
struct RawReply {
    status: http::StatusCode,
    headers: http::HeaderMap,
    trailers: Option<http::HeaderMap>,
    body: Bytes,
}

impl RawReply {
    fn header(&self, name: &str) -> Option<String> {
        self.trailers
            .as_ref()
            .and_then(|t| t.get(name))
            .or_else(|| self.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }

    /// `grpc-status`, from the trailers or (trailers-only) the headers.
    fn grpc_status(&self) -> Option<u32> {
        self.header("grpc-status").and_then(|v| v.parse().ok())
    }
}

/// A gRPC call with a hand-made body over HTTP/2 prior knowledge (what grpcio will not send).
async fn raw_grpc(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> RawReply {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(conn);
    let mut b = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = sender
        .send_request(b.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("response");
    let (parts, body) = resp.into_parts();
    let collected = body.collect().await.expect("body");
    let trailers = collected.trailers().cloned();
    RawReply {
        status: parts.status,
        headers: parts.headers,
        trailers,
        body: collected.to_bytes(),
    }
}

/// What a malformed request is, its extra headers, its body.
type MalformedCase = (&'static str, Vec<(&'static str, &'static str)>, Vec<u8>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_invalid_argument_and_never_reach_the_server() {
    let s = Setup::start().await;
    let good = unordered_refund();
    let mut unknown_field = good.clone();
    unknown_field.extend([0xf8, 0x06, 0x01]); // field 111, varint 1
    let mut two = grpc_frame(0, &good);
    two.extend(grpc_frame(0, &good));
    let mut short_prefix = vec![0u8, 0, 0, 0, 100];
    short_prefix.extend(&good); // says 100 bytes, holds 14
    let cases: Vec<MalformedCase> = vec![
        ("length prefix larger than the body", vec![], short_prefix),
        ("a header cut short", vec![], vec![0, 0, 0]),
        ("no message at all", vec![], vec![]),
        ("flag 2", vec![], grpc_frame(2, &good)),
        (
            "compressed without grpc-encoding",
            vec![],
            grpc_frame(1, &good),
        ),
        (
            "gzip flag on bytes that are not gzip",
            vec![("grpc-encoding", "gzip")],
            grpc_frame(1, &good),
        ),
        (
            "an unsupported grpc-encoding",
            vec![("grpc-encoding", "br")],
            grpc_frame(1, &good),
        ),
        ("two messages to a unary method", vec![], two),
        ("bytes after the message", vec![], {
            let mut f = grpc_frame(0, &good);
            f.extend([0, 0]);
            f
        }),
        ("not protobuf", vec![], grpc_frame(0, &[0xff, 0xff, 0xff])),
        (
            "a truncated field",
            vec![],
            grpc_frame(0, &[0x0a, 0x10, b'a']),
        ),
        ("an unknown field", vec![], grpc_frame(0, &unknown_field)),
    ];
    let mut ids = Vec::new();
    for (what, headers, body) in cases {
        let r = raw_grpc(s.h.agent(), REFUND, &headers, body).await;
        assert_eq!(r.status, 200, "{what}: {r:?}");
        assert_eq!(r.grpc_status(), Some(3), "{what}: {r:?}");
        let id = r
            .header("toolwall-decision-id")
            .unwrap_or_else(|| panic!("{what}: no decision id {r:?}"));
        assert!(r.body.is_empty(), "{what}: {r:?}");
        ids.push((what, id));
    }
    assert!(s.server.messages().is_empty(), "{:?}", s.server.events());
    // the same channel still works with a well-formed message
    let r = raw_grpc(s.h.agent(), REFUND, &[], grpc_frame(0, &good)).await;
    assert_eq!(r.grpc_status(), Some(0), "{r:?}");
    assert_eq!(s.server.messages().len(), 1);
    let (recs, _server) = s.verified_audit().await;
    for (what, id) in ids {
        let d = recs
            .iter()
            .find(|r| r["kind"] == "decision" && r["decision_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{what}: {id} not audited"));
        assert_eq!(d["decision"], "deny", "{what}: {d}");
        assert_eq!(d["tool"], "payments.refund", "{what}: {d}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_json_content_type_is_refused() {
    let s = Setup::start().await;
    let stream = tokio::net::TcpStream::connect(s.h.agent())
        .await
        .expect("connect");
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2");
    tokio::spawn(conn);
    let body = grpc_frame(0, br#"{"tenant":"acme","amountCents":"5"}"#);
    let resp = sender
        .send_request(
            http::Request::builder()
                .method("POST")
                .uri(format!("http://{}{REFUND}", s.h.agent()))
                .header("content-type", "application/grpc+json")
                .header("te", "trailers")
                .body(Full::new(Bytes::from(body)))
                .expect("req"),
        )
        .await
        .expect("response");
    let (parts, body) = resp.into_parts();
    let collected = body.collect().await.expect("body");
    let status = parts
        .headers
        .get("grpc-status")
        .or_else(|| collected.trailers().and_then(|t| t.get("grpc-status")))
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    assert!(
        parts.status != 200 || status.as_deref().is_some_and(|s| s != "0"),
        "{parts:?} {status:?}"
    );
    assert!(s.server.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_end_the_call() {
    let s = Setup::start_with(None, "timeout: 1s").await;
    let refund = [json!({"tenant": "acme", "amountCents": "5"})];
    // the adapter's timeout (1 s) over the client's 30 s: the tool is given 1 s and the call
    // ends then (timed by the client around the call itself: its start-up is not the call's)
    let out = s
        .call(
            REFUND,
            &refund,
            &["--metadata", "x-test-sleep-ms=3000", "--timeout", "30"],
        )
        .await;
    assert_eq!(out["code"], "DEADLINE_EXCEEDED", "{out}");
    let took = out["elapsed_s"].as_f64().expect("the call's duration");
    assert!(took < 2.5, "{took}");
    let left = s.server.messages()[0]["deadline_s"]
        .as_f64()
        .expect("a deadline upstream");
    assert!(left <= 1.0, "{left}");
    // a client stream that stalls past the deadline
    let items = [json!({"sku": "a", "qty": 1}), json!({"sku": "b", "qty": 1})];
    let out = s
        .call(UPLOAD, &items, &["--gap-ms", "2500", "--timeout", "30"])
        .await;
    assert_eq!(out["code"], "DEADLINE_EXCEEDED", "{out}");
    let took = out["elapsed_s"].as_f64().expect("the call's duration");
    assert!(took < 2.4, "{took}");
    let skus: Vec<Value> = s
        .server
        .messages()
        .iter()
        .filter(|m| m["method"] == UPLOAD)
        .map(|m| m["json"]["sku"].clone())
        .collect();
    assert!(!skus.contains(&json!("b")), "{skus:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_upstream_is_unavailable_and_audited() {
    let server = GrpcServer::start(None);
    let dead = format!("http://127.0.0.1:{}", free_port());
    let s = Setup::start_upstream(server, &dead, "", "").await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "UNAVAILABLE", "{out}");
    let id = decision_id(&out);
    let (recs, _server) = s.verified_audit().await;
    assert!(
        recs.iter().any(|r| r["decision_id"] == id.as_str()),
        "{recs:?}"
    );
}

/// The harness itself, without toolwall: the descriptor set protoc wrote loads in toolwall's
/// wire layer, the server answers every method directly, and toolwall's canonical JSON of each
/// message the server logged is what Python's `json_format` made of the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_server_answers_directly_and_both_json_mappings_agree() {
    use toolwall::protocol::grpc::{to_json, Descriptors};
    let dir = tempfile::tempdir().expect("tmp");
    let pb = descriptor_set(dir.path());
    let d = Descriptors::decode(&std::fs::read(&pb).expect("read")).expect("a descriptor set");
    let mut services: Vec<String> = d.services().collect();
    services.sort();
    assert_eq!(services, ["payments.v1.Admin", "payments.v1.Payments"]);
    let server = GrpcServer::start(None);
    let refund = json!({
        "tenant": "acme", "amountCents": "-9007199254740993", "currency": "EUR",
        "customerEmail": "jane.doe@example.com", "note": "n",
        "meta": {"requestId": "r", "labels": {"a": "b"}}, "tags": ["x", "y"]
    });
    let out = call(
        server.addr,
        REFUND,
        std::slice::from_ref(&refund),
        &["--gzip"],
    )
    .await;
    assert_eq!(out["code"], "OK", "{out}");
    let out = call(server.addr, LIST, &[json!({"limit": 2})], &[]).await;
    assert_eq!(out["responses"].as_array().map(Vec::len), Some(2), "{out}");
    let items = [json!({"sku": "a", "qty": 1}), json!({"sku": "b", "qty": 2})];
    let out = call(server.addr, UPLOAD, &items, &[]).await;
    assert_eq!(
        out["responses"][0],
        json!({"count": 2, "totalQty": 3, "skus": ["a", "b"]})
    );
    let out = call(server.addr, CHAT, &[json!({"text": "hi"})], &[]).await;
    assert_eq!(out["responses"][0]["text"], "echo: hi");
    let out = call(
        server.addr,
        REFUND,
        &[json!({})],
        &["--metadata", "x-test-fail=NOT_FOUND gone"],
    )
    .await;
    assert_eq!(
        (&out["code"], &out["details"]),
        (&json!("NOT_FOUND"), &json!("gone"))
    );
    let seen = server.messages();
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(seen[0]["json"], refund);
    for m in &seen {
        let path = m["method"].as_str().expect("method");
        let (svc, method) = path[1..].split_once('/').expect("path");
        let desc = d.method(svc, method).expect("method").input();
        let hex = m["hex"].as_str().expect("hex");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
        assert_eq!(
            to_json(&desc, &bytes, true).expect("decodes"),
            m["json"],
            "{m}"
        );
    }
}

/// Hex of a Charge with an email in `customer_email` (field 3), then `extra` bytes.
fn charge_hex(extra: &[u8]) -> String {
    let mut m = vec![0x0a, 0x04];
    m.extend(b"ch_9");
    m.extend([0x1a, 0x14]);
    m.extend(b"jane.doe@example.com");
    m.extend(extra);
    m.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_message_that_cannot_be_redacted_is_withheld() {
    let s = Setup::start().await;
    let cases = [
        ("an unknown field", charge_hex(&[0xf8, 0x06, 0x01])),
        (
            "a string that is not UTF-8",
            charge_hex(&[0x22, 0x02, 0xff, 0xfe]),
        ),
        ("a truncated field", charge_hex(&[0x22, 0x09, b'4'])),
    ];
    for (what, hex) in cases {
        let reply = format!("x-test-reply-hex={hex}");
        let out = s
            .call(LIST, &[json!({"limit": 2})], &["--metadata", &reply])
            .await;
        assert_eq!(out["code"], "INTERNAL", "{what}: {out}");
        assert_eq!(out["responses"], json!([]), "{what}: {out}");
        assert!(!out.to_string().contains("jane.doe"), "{what}: {out}");
        assert_eq!(
            error_info(&out)["reason"],
            "response_not_inspectable",
            "{what}: {out}"
        );
    }
    // the same bytes well-formed are redacted
    let reply = format!("x-test-reply-hex={}", charge_hex(&[]));
    let out = s
        .call(LIST, &[json!({"limit": 2})], &["--metadata", &reply])
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(
        out["responses"],
        json!([{"id": "ch_9", "customerEmail": "[EMAIL]"}, {"id": "ch_9", "customerEmail": "[EMAIL]"}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redaction_the_answer_is_relayed_as_the_tool_sent_it() {
    let s = Setup::start().await;
    // CreateRefund's policy asks for no redaction: the reply's bytes pass untouched (unknown
    // field included; a response is checked against nothing else)
    let mut m = vec![0x0a, 0x02];
    m.extend(b"rf");
    m.extend([0xf8, 0x06, 0x01]);
    let hex: String = m.iter().map(|b| format!("{b:02x}")).collect();
    let reply = format!("x-test-reply-hex={hex}");
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5"})],
            &["--metadata", &reply],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(out["responses_hex"], json!([hex]), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_limit_holds_per_message() {
    let server = GrpcServer::start(None);
    let upstream = format!("http://{}", server.addr);
    let s = Setup::start_upstream(server, &upstream, "", "request: { max_body_bytes: 1024 }").await;
    let big = "x".repeat(2000);
    let out = s
        .call(REFUND, &[json!({"tenant": "acme", "note": big})], &[])
        .await;
    assert_eq!(out["code"], "RESOURCE_EXHAUSTED", "{out}");
    assert_eq!(error_info(&out)["reason"], "payload_too_large", "{out}");
    assert!(s.server.messages().is_empty());
    // 256 KiB of zeros gzipped to a few hundred bytes: under the limit as sent, refused once
    // inflating passes it
    let bomb = {
        use std::io::Write;
        let mut note = vec![0x2a, 0x80, 0x80, 0x10]; // field 5, 256 KiB
        note.extend(std::iter::repeat_n(0u8, 1 << 18));
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&note).expect("gzip");
        e.finish().expect("gzip")
    };
    assert!(bomb.len() < 1000, "{}", bomb.len());
    let r = raw_grpc(
        s.h.agent(),
        REFUND,
        &[("grpc-encoding", "gzip")],
        grpc_frame(1, &bomb),
    )
    .await;
    assert!(matches!(r.grpc_status(), Some(3 | 8)), "{r:?}");
    assert!(s.server.messages().is_empty());
    // a stream of messages each under the limit is not a body over it
    let note = "y".repeat(600);
    let items: Vec<Value> = (0..4)
        .map(|i| json!({"sku": format!("s{i}"), "qty": 1, "note": note}))
        .collect();
    let out = s.call(UPLOAD, &items, &[]).await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(out["responses"][0]["count"], 4, "{out}");
    // one message over it ends the stream
    let mut items = items;
    items.push(json!({"sku": "big", "note": big}));
    let out = s.call(UPLOAD, &items, &["--gap-ms", "100"]).await;
    assert_eq!(out["code"], "RESOURCE_EXHAUSTED", "{out}");
    assert!(s
        .server
        .messages()
        .iter()
        .all(|m| m["json"]["sku"] != "big"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An Item message: sku, qty.
fn item(sku: &str, qty: u8) -> Vec<u8> {
    let mut m = vec![0x0a, sku.len() as u8];
    m.extend(sku.as_bytes());
    m.extend([0x10, qty]);
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_stream_that_breaks_off_is_not_completed_upstream() {
    let server = GrpcServer::start(None);
    let (rec_addr, seen) = h2_recorder().await;
    let s = Setup::start_upstream(server, &format!("http://{rec_addr}"), "", "").await;
    // message 0, then a header promising 50 bytes and 3 of them, then the end of the stream:
    // the tool must not see a clean end (it would complete the upload with what it got)
    let mut body = grpc_frame(0, &item("a", 1));
    body.extend([0, 0, 0, 0, 50, 1, 2, 3]);
    let r = raw_grpc(s.h.agent(), UPLOAD, &[], body).await;
    assert_eq!(r.grpc_status(), Some(3), "{r:?}");
    // the stream ended with no message at all: nothing to decide
    let r = raw_grpc(s.h.agent(), UPLOAD, &[], vec![]).await;
    assert_eq!(r.grpc_status(), Some(3), "{r:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = seen.lock().expect("lock").clone();
    // the upstream stream may have opened (message 0 was admitted), never completed, and
    // the bytes that break off never reach it
    assert!(got.iter().all(|g| g.end != "eos"), "{got:?}");
    assert!(
        got.iter()
            .all(|g| g.body.is_empty() || g.body == grpc_frame(0, &item("a", 1))),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_kill_switches_speak_grpc() {
    let server = GrpcServer::start(None);
    let upstream = format!("http://{}", server.addr);
    let s = Setup::start_upstream(
        server,
        &upstream,
        "",
        "kill: { tools: [payments.chat] }\nlimits:\n  rate: [ { key: [tenant, tool], tool: \"payments.refund\", per_minute: 2, burst: 2 } ]",
    )
    .await;
    let refund = [json!({"tenant": "acme", "amountCents": "5"})];
    for _ in 0..2 {
        let out = s.call(REFUND, &refund, &[]).await;
        assert_eq!(out["code"], "OK", "{out}");
    }
    let out = s.call(REFUND, &refund, &[]).await;
    assert_eq!(out["code"], "RESOURCE_EXHAUSTED", "{out}");
    assert_eq!(error_info(&out)["reason"], "rate_limited", "{out}");
    let out = s.call(CHAT, &[json!({"text": "hi"})], &[]).await;
    assert_eq!(out["code"], "PERMISSION_DENIED", "{out}");
    assert_eq!(error_info(&out)["reason"], "kill_switch", "{out}");
    assert_eq!(s.server.messages().len(), 2);

    // a kill switch thrown while a client stream is open refuses its next message
    let items: Vec<Value> = (0..3)
        .map(|i| json!({"sku": format!("k{i}"), "qty": 1}))
        .collect();
    let agent = s.h.agent();
    let pending =
        tokio::spawn(async move { call(agent, UPLOAD, &items, &["--gap-ms", "1500"]).await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    let k = admin_post(
        s.h.admin(),
        "/admin/kill",
        r#"{"on":true,"tenant":"acme"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200, "{:?}", k.body);
    let out = pending.await.expect("join");
    assert_eq!(out["code"], "PERMISSION_DENIED", "{out}");
    assert_eq!(error_info(&out)["reason"], "kill_switch", "{out}");
    let skus: Vec<Value> = s
        .server
        .messages()
        .iter()
        .filter(|m| m["method"] == UPLOAD)
        .map(|m| m["json"]["sku"].clone())
        .collect();
    assert_eq!(skus, [json!("k0")]);
}

/// What a raw HTTP/2 upstream saw of one request: its path, the body bytes, and how the body
/// ended (`eos`, or the error a reset gave).
#[derive(Debug, Clone)]
struct H2Seen {
    path: String,
    body: Vec<u8>,
    end: String,
}

/// A bare HTTP/2 (h2c) upstream that records how each request body ends, then answers
/// `grpc-status: 0` with one empty message: it tells a reset stream from a clean end exactly
/// (grpcio's Python server does not always).
async fn h2_recorder() -> (SocketAddr, Arc<Mutex<Vec<H2Seen>>>) {
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let s = s.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let s = s.clone();
                    async move {
                        let path = req.uri().path().to_string();
                        let mut body = req.into_body();
                        let mut bytes = Vec::new();
                        let end = loop {
                            match body.frame().await {
                                None => break "eos".to_string(),
                                Some(Err(e)) => break format!("error: {e}"),
                                Some(Ok(f)) => {
                                    if let Ok(d) = f.into_data() {
                                        bytes.extend_from_slice(&d);
                                    }
                                }
                            }
                        };
                        s.lock().expect("lock").push(H2Seen {
                            path,
                            body: bytes,
                            end,
                        });
                        let mut trailers = http::HeaderMap::new();
                        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                        let frames = vec![
                            Ok::<_, std::convert::Infallible>(http_body::Frame::data(Bytes::from(
                                grpc_frame(0, &[]),
                            ))),
                            Ok(http_body::Frame::trailers(trailers)),
                        ];
                        let body =
                            http_body_util::StreamBody::new(futures_util::stream::iter(frames));
                        let resp = http::Response::builder()
                            .header("content-type", "application/grpc")
                            .body(body)
                            .expect("response");
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_resets_the_upstream_stream_never_ends_it() {
    let server = GrpcServer::start(None);
    let (rec_addr, seen) = h2_recorder().await;
    let s = Setup::start_upstream(server, &format!("http://{rec_addr}"), "", "").await;
    let mut unknown = item("b", 2);
    unknown.extend([0xf8, 0x06, 0x01]);
    let cases: Vec<(&str, Vec<Value>, Vec<String>)> = vec![
        (
            "a refused last message",
            vec![
                json!({"sku": "c", "qty": 1}),
                json!({"sku": "q", "qty": 200}),
            ],
            vec![],
        ),
        (
            "a refused message, more after it",
            vec![
                json!({"sku": "c", "qty": 1}),
                json!({"sku": "q", "qty": 200}),
                json!({"sku": "z", "qty": 1}),
            ],
            vec![],
        ),
        (
            "an unreadable last message",
            vec![json!({"sku": "c", "qty": 1})],
            vec!["--request-hex".into(), hex(&unknown)],
        ),
    ];
    for (what, reqs, extra) in cases {
        seen.lock().expect("lock").clear();
        let mut opts: Vec<&str> = extra.iter().map(String::as_str).collect();
        opts.extend(["--gap-ms", "300"]);
        let out = s.call(UPLOAD, &reqs, &opts).await;
        assert_ne!(out["code"], "OK", "{what}: {out}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let got = seen.lock().expect("lock").clone();
        assert_eq!(got.len(), 1, "{what}: {got:?}");
        assert_eq!(got[0].path, UPLOAD);
        assert_eq!(got[0].body, grpc_frame(0, &item("c", 1)), "{what}: {got:?}");
        assert_ne!(
            got[0].end, "eos",
            "{what}: the tool saw a clean end: {got:?}"
        );
    }
    // a stream the client ends itself ends cleanly upstream
    seen.lock().expect("lock").clear();
    let out = s
        .call(
            UPLOAD,
            &[json!({"sku": "c", "qty": 1}), json!({"sku": "d", "qty": 2})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let got = seen.lock().expect("lock").clone();
    assert_eq!(got[0].end, "eos", "{got:?}");
    let mut both = grpc_frame(0, &item("c", 1));
    both.extend(grpc_frame(0, &item("d", 2)));
    assert_eq!(got[0].body, both);
}

const GRPC_HS_ENV: &str = "TOOLWALL_TEST_GRPC_HS256";
const GRPC_HS_SECRET: &str = "grpc-test-secret-0123456789abcdef-hs256";

fn hs256_token(sub: &str, org: &str) -> String {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": "https://issuer.test", "aud": "toolwall", "sub": sub,
                        "org": org, "exp": now + 600, "iat": now});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(GRPC_HS_SECRET.as_bytes()),
    )
    .expect("sign")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_identity_comes_from_its_metadata() {
    std::env::set_var(GRPC_HS_ENV, GRPC_HS_SECRET);
    let server = GrpcServer::start(None);
    let upstream = format!("http://{}", server.addr);
    let identity = format!(
        "identity:\n  jwt:\n    issuer: https://issuer.test\n    audience: toolwall\n    jwks_file: {}/tests/fixtures/jwt/rs256-test-jwks.json\n    hs256_secret_env: {GRPC_HS_ENV}\n    tenant_claim: org\n",
        env!("CARGO_MANIFEST_DIR")
    );
    let s = Setup::start_upstream(server, &upstream, "", &identity).await;
    let refund = [json!({"tenant": "acme", "amountCents": "5"})];
    let out = s.call(REFUND, &refund, &[]).await;
    assert_eq!(out["code"], "UNAUTHENTICATED", "{out}");
    assert_eq!(out["code_number"], 16);
    let out = s
        .call(
            REFUND,
            &refund,
            &["--metadata", "authorization=Bearer not-a-jwt"],
        )
        .await;
    assert_eq!(out["code"], "UNAUTHENTICATED", "{out}");
    assert!(s.server.messages().is_empty());

    let acme = format!("authorization=Bearer {}", hs256_token("agent-g", "acme"));
    let ok = s.call(REFUND, &refund, &["--metadata", &acme]).await;
    assert_eq!(ok["code"], "OK", "{ok}");
    // the agent's token is no credential of the tool's
    let seen = s.server.messages();
    assert!(
        seen[0]["metadata"].get("authorization").is_none(),
        "{seen:?}"
    );
    // the tenant policy compares with is the token's
    let globex = format!("authorization=Bearer {}", hs256_token("agent-g", "globex"));
    let out = s.call(REFUND, &refund, &["--metadata", &globex]).await;
    assert_eq!(out["code"], "PERMISSION_DENIED", "{out}");
    assert_eq!(error_info(&out)["metadata"]["reasons"], "tenant_mismatch");
    let id = decision_id(&ok);
    let (recs, _server) = s.verified_audit().await;
    let d = recs
        .iter()
        .find(|r| r["kind"] == "decision" && r["decision_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(d["agent"], "agent-g", "{d}");
    assert_eq!(d["tenant_id"], "acme", "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_over_the_mtls_listener_is_the_certificates_agent() {
    let pki = test_cert();
    let server = GrpcServer::start(None);
    let upstream = format!("http://{}", server.addr);
    let identity = format!(
        "identity:\n  mtls: {{ client_ca: {}, cert: {}, key: {}, tenant: acme }}\n",
        pki.ca.display(),
        pki.cert.display(),
        pki.key.display()
    );
    let s = Setup::start_upstream(server, &upstream, "", &identity).await;
    let refund = [json!({"tenant": "acme", "amountCents": "5"})];
    let (ca, cert, key) = (
        pki.ca.display().to_string(),
        pki.client_cert.display().to_string(),
        pki.client_key.display().to_string(),
    );
    let ok = s
        .call(
            REFUND,
            &refund,
            &["--tls-root", &ca, "--cert", &cert, "--key", &key],
        )
        .await;
    assert_eq!(ok["code"], "OK", "{ok}");
    assert_eq!(ok["responses"][0]["refundId"], "rf_acme_5");
    // no client certificate: no TLS session, no call
    let out = s.call(REFUND, &refund, &["--tls-root", &ca]).await;
    assert_eq!(out["code"], "UNAVAILABLE", "{out}");
    // no TLS at all
    let out = s.call(REFUND, &refund, &[]).await;
    assert_eq!(out["code"], "UNAVAILABLE", "{out}");
    assert_eq!(s.server.messages().len(), 1);
    let id = decision_id(&ok);
    let (recs, _server) = s.verified_audit().await;
    let d = recs
        .iter()
        .find(|r| r["kind"] == "decision" && r["decision_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(d["agent"], "agent-m", "{d}");
}

/// A bare HTTP/2 upstream answering every call with `grpc-encoding: gzip`, the messages
/// `messages` (each gzipped, flag 1, unless `corrupt`: then bytes that are not gzip), then
/// `grpc-status: 0`.
async fn gzip_answering_upstream(messages: Vec<Vec<u8>>, corrupt: bool) -> SocketAddr {
    use std::io::Write;
    let mut body = Vec::new();
    for m in &messages {
        let payload = if corrupt {
            vec![0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4]
        } else {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(m).expect("gzip");
            e.finish().expect("gzip")
        };
        body.extend(grpc_frame(1, &payload));
    }
    answering_upstream(vec![Bytes::from(body)], Some("gzip")).await
}

/// A bare HTTP/2 upstream answering every call with `chunks` as its DATA frames (after
/// reading the request), `grpc-encoding` when given, then `grpc-status: 0`.
async fn answering_upstream(chunks: Vec<Bytes>, encoding: Option<&'static str>) -> SocketAddr {
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let chunks = chunks.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let chunks = chunks.clone();
                    async move {
                        let _ = req.into_body().collect().await;
                        let mut trailers = http::HeaderMap::new();
                        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                        let mut frames: Vec<Result<_, std::convert::Infallible>> = chunks
                            .into_iter()
                            .map(|c| Ok(http_body::Frame::data(c)))
                            .collect();
                        frames.push(Ok(http_body::Frame::trailers(trailers)));
                        let mut resp =
                            http::Response::builder().header("content-type", "application/grpc");
                        if let Some(e) = encoding {
                            resp = resp.header("grpc-encoding", e);
                        }
                        let resp = resp
                            .body(http_body_util::StreamBody::new(futures_util::stream::iter(
                                frames,
                            )))
                            .expect("response");
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_split_across_frames_are_redacted_whole() {
    let charge = |i: u8| {
        let mut m = vec![0x0a, 0x04];
        m.extend(format!("ch_{i}").as_bytes());
        m.extend([0x1a, 0x14]);
        m.extend(b"jane.doe@example.com");
        m
    };
    // two messages cut into 3-byte DATA frames, across the message boundary
    let mut all = grpc_frame(0, &charge(1));
    all.extend(grpc_frame(0, &charge(2)));
    let chunks: Vec<Bytes> = all.chunks(3).map(Bytes::copy_from_slice).collect();
    let up = answering_upstream(chunks, None).await;
    let s = Setup::start_upstream(GrpcServer::start(None), &format!("http://{up}"), "", "").await;
    let out = s.call(LIST, &[json!({"limit": 2})], &[]).await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(
        out["responses"],
        json!([{"id": "ch_1", "customerEmail": "[EMAIL]"}, {"id": "ch_2", "customerEmail": "[EMAIL]"}]),
        "{out}"
    );
    // an answer that ends inside a message: withheld, nothing of it relayed
    let mut cut = grpc_frame(0, &charge(1));
    cut.extend(&grpc_frame(0, &charge(2))[..12]);
    let up = answering_upstream(vec![Bytes::from(cut)], None).await;
    let s = Setup::start_upstream(GrpcServer::start(None), &format!("http://{up}"), "", "").await;
    let out = s.call(LIST, &[json!({"limit": 2})], &[]).await;
    assert_eq!(out["code"], "INTERNAL", "{out}");
    assert!(!out.to_string().contains("jane.doe"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_compressed_answers_are_inflated_redacted_or_withheld() {
    // a tool that compresses its answer although toolwall asked for identity
    let charge = |i: u8| {
        let mut m = vec![0x0a, 0x04];
        m.extend(format!("ch_{i}").as_bytes());
        m.extend([0x1a, 0x14]);
        m.extend(b"jane.doe@example.com");
        m
    };
    let up = gzip_answering_upstream(vec![charge(1), charge(2)], false).await;
    let s = Setup::start_upstream(GrpcServer::start(None), &format!("http://{up}"), "", "").await;
    let out = s.call(LIST, &[json!({"limit": 2})], &[]).await;
    assert_eq!(out["code"], "OK", "{out}");
    assert_eq!(
        out["responses"],
        json!([{"id": "ch_1", "customerEmail": "[EMAIL]"}, {"id": "ch_2", "customerEmail": "[EMAIL]"}]),
        "{out}"
    );
    let bad = gzip_answering_upstream(vec![charge(1)], true).await;
    let s = Setup::start_upstream(GrpcServer::start(None), &format!("http://{bad}"), "", "").await;
    let out = s.call(LIST, &[json!({"limit": 1})], &[]).await;
    assert_eq!(out["code"], "INTERNAL", "{out}");
    assert_eq!(out["responses"], json!([]), "{out}");
    assert_eq!(
        error_info(&out)["reason"],
        "response_not_inspectable",
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_in_metadata_is_seen_redacted_and_kept_out_of_the_audit() {
    let s = Setup::start().await;
    // list_charges is redacted (email, card): the metadata the tool gets too
    let out = s
        .call(
            LIST,
            &[json!({"limit": 1})],
            &["--metadata", "x-contact=write to jane.doe@example.com"],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let seen = s.server.messages();
    assert_eq!(
        seen[0]["metadata"]["x-contact"], "write to [EMAIL]",
        "{seen:?}"
    );
    // refunds are not redacted: the tool gets what was sent, the audit never holds it
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5", "customerEmail": "jane.doe@example.com"})],
            &["--metadata", "x-contact=jane.doe@example.com"],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let seen = s.server.messages();
    assert_eq!(seen[1]["metadata"]["x-contact"], "jane.doe@example.com");
    assert_eq!(seen[1]["json"]["customerEmail"], "jane.doe@example.com");
    let (recs, _server) = s.verified_audit().await;
    let text = recs
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!text.contains("jane.doe@example.com"), "{text}");
    assert!(
        !text.contains("customer0@example.com"),
        "the answer's PII in the audit: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encodings_and_protocols_toolwall_cannot_read_exactly_are_refused() {
    let s = Setup::start().await;
    let good = unordered_refund();
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&good).expect("gzip");
        e.finish().expect("gzip")
    };
    // a compressed message that says identity
    let r = raw_grpc(
        s.h.agent(),
        REFUND,
        &[("grpc-encoding", "identity")],
        grpc_frame(1, &gz),
    )
    .await;
    assert_eq!(r.grpc_status(), Some(3), "{r:?}");
    assert!(s.server.messages().is_empty(), "{:?}", s.server.events());
    // a grpc-timeout toolwall cannot read; a query string on the method's path
    let r = raw_grpc(
        s.h.agent(),
        REFUND,
        &[("grpc-timeout", "soon")],
        grpc_frame(0, &good),
    )
    .await;
    assert_eq!(r.grpc_status(), Some(3), "{r:?}");
    let with_query = format!("{REFUND}?x=1");
    let r = raw_grpc(s.h.agent(), &with_query, &[], grpc_frame(0, &good)).await;
    assert_eq!(r.grpc_status(), Some(3), "{r:?}");
    assert!(s.server.messages().is_empty(), "{:?}", s.server.events());
    // JSON over HTTP/1.1 to the gRPC adapter's path
    let r = send(
        s.h.agent(),
        json_post(
            "/payments/payments.v1.Payments/CreateRefund",
            r#"{"tenant":"acme","amountCents":"5"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 415, "{r:?}");
    // a gRPC content type over HTTP/1.1
    let r = send(
        s.h.agent(),
        req("POST", REFUND)
            .header("content-type", "application/grpc")
            .body(Full::new(Bytes::from(grpc_frame(0, &good))))
            .expect("request"),
    )
    .await;
    assert!(
        r.headers.get("grpc-status").is_some_and(|v| v != "0") || r.status != 200,
        "{r:?}"
    );
    assert!(s.server.messages().is_empty(), "{:?}", s.server.events());
}

/// Refunds over 5000 cents need a human's approval.
const APPROVAL_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

large if to_number(input.args.amountCents) > 5000

decision := {"allow": false, "require_approval": true, "reasons": ["large_refund"]} if {
	large
	not input.approval.approved
}

decision := {"allow": true, "reasons": ["approved_large_refund"]} if {
	large
	input.approval.approved
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_grpc_call_goes_through_once() {
    std::env::set_var("TW_GRPC_ALICE", "grpc-alice-5f1");
    let server = GrpcServer::start(None);
    let upstream = format!("http://{}", server.addr);
    let s = Setup::start_policy(
        server,
        &upstream,
        "",
        "approvals:\n  ttl: 1h\n  approvers:\n    - { name: alice, token_env: TW_GRPC_ALICE }\n  tiers: { default: { quorum: 1 } }\n",
        APPROVAL_POLICY,
    )
    .await;
    let big = [json!({"tenant": "acme", "amountCents": "9000"})];
    let first = s.call(REFUND, &big, &[]).await;
    assert_eq!(first["code"], "PERMISSION_DENIED", "{first}");
    let info = error_info(&first);
    assert_eq!(info["reason"], "approval_required", "{first}");
    let id = info["metadata"]["approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no approval id: {first}"))
        .to_string();
    assert_eq!(
        first["trailing_metadata"]["toolwall-approval-id"].as_str(),
        Some(id.as_str()),
        "{first}"
    );
    assert!(s.server.messages().is_empty());
    s.h.app
        .state
        .state()
        .approval_vote(
            &id,
            toolwall::state::approvals::Vote {
                approver: "alice".into(),
                approve: true,
                comment: None,
                at_unix: 0,
            },
        )
        .await
        .expect("vote");
    let presented = format!("toolwall-approval={id}");
    // other arguments than the ones approved
    let other = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "9999"})],
            &["--metadata", &presented],
        )
        .await;
    assert_eq!(other["code"], "PERMISSION_DENIED", "{other}");
    assert!(s.server.messages().is_empty());
    // the approved call, once
    let ok = s.call(REFUND, &big, &["--metadata", &presented]).await;
    assert_eq!(ok["code"], "OK", "{ok}");
    let seen = s.server.messages();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["json"]["amountCents"], "9000");
    assert!(
        seen[0]["metadata"].get("toolwall-approval").is_none(),
        "{seen:?}"
    );
    let again = s.call(REFUND, &big, &["--metadata", &presented]).await;
    assert_eq!(again["code"], "PERMISSION_DENIED", "{again}");
    assert_eq!(s.server.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_is_not_grpc_is_unavailable() {
    // an HTTP/2 server that answers JSON: reached, but its answer is not relayed
    let up = fixed_upstream(r#"{"customerEmail":"jane.doe@example.com"}"#).await;
    let s = Setup::start_upstream(
        GrpcServer::start(None),
        &format!("http://{}", up.addr),
        "",
        "",
    )
    .await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "UNAVAILABLE", "{out}");
    assert!(!out.to_string().contains("jane.doe"), "{out}");
    assert_eq!(up.hits(), 1);
    let id = decision_id(&out);
    let (recs, _server) = s.verified_audit().await;
    let outcome = recs
        .iter()
        .find(|r| r["decision_id"] == id.as_str() && r["kind"] == "outcome")
        .unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(outcome["error"], "upstream_unavailable", "{outcome}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_on_the_pooled_connection_stay_apart() {
    let s = Setup::start().await;
    let agent = s.h.agent();
    let calls: Vec<_> = (0..8)
        .map(|i| {
            tokio::spawn(async move {
                let req = json!({"tenant": "acme", "amountCents": format!("{}", 100 + i), "note": format!("call {i}")});
                (i, call(agent, REFUND, &[req], &[]).await)
            })
        })
        .collect();
    for c in calls {
        let (i, out) = c.await.expect("join");
        assert_eq!(out["code"], "OK", "{out}");
        assert_eq!(out["responses"][0]["note"], format!("call {i}"), "{out}");
        assert_eq!(
            out["responses"][0]["refundId"],
            format!("rf_acme_{}", 100 + i),
            "{out}"
        );
    }
    let mut notes: Vec<String> = s
        .server
        .messages()
        .iter()
        .map(|m| m["json"]["note"].as_str().unwrap_or_default().to_string())
        .collect();
    notes.sort();
    let want: Vec<String> = (0..8).map(|i| format!("call {i}")).collect();
    assert_eq!(notes, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_mode_forwards_what_it_would_refuse_and_says_so() {
    let s = Setup::start_with(None, "mode: shadow").await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "20000"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "OK", "shadow mode forwards: {out}");
    // every message of a client stream, the one enforce would refuse included
    let items = [
        json!({"sku": "a", "qty": 1}),
        json!({"sku": "b", "qty": 500}),
        json!({"sku": "c", "qty": 1}),
    ];
    let up = s.call(UPLOAD, &items, &[]).await;
    assert_eq!(up["code"], "OK", "{up}");
    assert_eq!(up["responses"][0]["count"], 3, "{up}");
    assert_eq!(s.server.messages().len(), 4);
    let id = decision_id(&out);
    let audit_dir = s.h.dir.path().join("audit");
    let Setup {
        server: _server,
        h,
        keys: _keys,
    } = s;
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let (code, show, err) = toolwall(&["audit", "show", audit_dir.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    let line = show
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("no line for {id}:\n{show}"));
    assert!(
        line.contains("SHADOW would refuse [amount_over_limit]"),
        "{show}"
    );
    assert!(
        show.contains("SHADOW would refuse [qty_over_limit]"),
        "{show}"
    );
}
/// A tool's trailers-only answer (grpcio's abort before any message) reaches the client as the
/// tool's status (not UNKNOWN "Stream removed"), and the record has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tools_own_status_reaches_the_client() {
    let s = Setup::start().await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5"})],
            &["--metadata", "x-test-fail=NOT_FOUND no such charge"],
        )
        .await;
    assert_eq!(out["code"], "NOT_FOUND", "{out}");
    assert_eq!(out["details"], "no such charge", "{out}");
    assert!(
        out["initial_metadata"]["toolwall-decision-id"].is_string()
            || out["trailing_metadata"]["toolwall-decision-id"].is_string(),
        "{out}"
    );
    assert_eq!(s.server.messages().len(), 1);
    let (recs, _server) = s.verified_audit().await;
    let d: Vec<&Value> = recs
        .iter()
        .filter(|r| r["grpc"]["grpc_status"] == 5)
        .collect();
    assert!(
        !d.is_empty(),
        "the tool's status is not in the record: {recs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tool_cannot_speak_for_toolwall_in_its_trailers() {
    let s = Setup::start().await;
    let refund = [json!({"tenant": "acme", "amountCents": "5"})];
    for (hook, forged) in [
        ("x-test-trailer", "toolwall-decision-id=forged-id"),
        ("x-test-trailer", "toolwall-approval-id=forged-approval"),
        ("x-test-header", "toolwall-approval-id=forged-approval"),
        ("x-test-header", "toolwall-decision-id=forged-id"),
    ] {
        let hook = format!("{hook}={forged}");
        let out = s.call(REFUND, &refund, &["--metadata", &hook]).await;
        assert_eq!(out["code"], "OK", "{out}");
        assert!(!out.to_string().contains("forged"), "{forged}: {out}");
        assert!(
            out["initial_metadata"]["toolwall-decision-id"].is_string(),
            "{out}"
        );
    }
    // the tool's own trailing metadata passes
    let out = s
        .call(
            REFUND,
            &refund,
            &["--metadata", "x-test-trailer=x-tool-note=hello"],
        )
        .await;
    assert_eq!(out["trailing_metadata"]["x-tool-note"], "hello", "{out}");
}

/// A request with two `content-type` values (`application/grpc` and `application/grpc+json`)
/// could be read by a tool honouring the last (a JSON codec) otherwise than policy saw it;
/// likewise two `grpc-encoding` values: refused (3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_grpc_headers_are_refused() {
    let s = Setup::start().await;
    let good = unordered_refund();
    let r = raw_grpc(
        s.h.agent(),
        REFUND,
        &[("content-type", "application/grpc+json")],
        grpc_frame(0, &good),
    )
    .await;
    assert_eq!(r.grpc_status(), Some(3), "{r:?}");
    let r = raw_grpc(
        s.h.agent(),
        REFUND,
        &[("grpc-encoding", "identity"), ("grpc-encoding", "gzip")],
        grpc_frame(0, &good),
    )
    .await;
    assert_eq!(r.grpc_status(), Some(3), "{r:?}");
    assert!(s.server.messages().is_empty(), "{:?}", s.server.events());
}

/// Chat messages that look a customer up must have the answers redacted; others need not.
const LOOKUP_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": true, "reasons": [], "redact": ["email"]} if contains(input.args.text, "lookup")
"#;

/// In a bidi stream a later message whose decision asks for redaction gets the answers after it
/// redacted (not only message 0's plan applies).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_messages_redaction_applies_to_the_answers_after_it() {
    let server = GrpcServer::start(None);
    let upstream = format!("http://{}", server.addr);
    let s = Setup::start_policy(server, &upstream, "", "", LOOKUP_POLICY).await;
    // every answer of the tool carries an email
    let mut m = vec![0x0a, 0x14];
    m.extend(b"jane.doe@example.com");
    let reply = format!("x-test-reply-hex={}", hex(&m));
    let msgs = [json!({"text": "hi"}), json!({"text": "lookup customer 7"})];
    let out = s
        .call(CHAT, &msgs, &["--metadata", &reply, "--gap-ms", "500"])
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let rs = out["responses"].as_array().expect("responses");
    assert_eq!(rs.len(), 2, "{out}");
    // the answer after the lookup was decided with `redact: [email]`
    assert_eq!(rs[1]["text"], "[EMAIL]", "{out}");
}

/// The outcome record of a forwarded gRPC call carries `grpc` with the tool's `grpc_status`
/// (written when the answer ends), whatever the HTTP status was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outcome_record_has_the_tools_grpc_status() {
    let s = Setup::start().await;
    let out = s
        .call(
            REFUND,
            &[json!({"tenant": "acme", "amountCents": "5"})],
            &[],
        )
        .await;
    assert_eq!(out["code"], "OK", "{out}");
    let id = decision_id(&out);
    let (recs, _server) = s.verified_audit().await;
    let outcome = recs
        .iter()
        .find(|r| r["kind"] == "outcome" && r["decision_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(outcome["grpc"]["grpc_status"], 0, "{outcome}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_calls_are_spans_and_the_server_gets_the_client_span() {
    use crate::cases::telemetry::{attr, start_with, wait_for_spans, AGENT_SPAN, AGENT_TRACE};
    use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
    let receiver = http_upstream().await;
    let server = GrpcServer::start(None);
    let dir = tempfile::tempdir().expect("tmp");
    let pb = descriptor_set(dir.path());
    let adapter = payments_adapter(&format!("http://{}", server.addr), &pb, "");
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n",
        receiver.addr
    );
    let tw = start_with(&[("payments", adapter)], POLICY, &telemetry, &[]).await;
    let tp = format!("traceparent=00-{AGENT_TRACE}-{AGENT_SPAN}-01");
    let refund = |cents: &str| json!({"tenant": "acme", "amountCents": cents, "currency": "EUR"});
    let ok = call(tw.agent, REFUND, &[refund("500")], &["--metadata", &tp]).await;
    assert_eq!(ok["code"], "OK", "{ok}");
    let no = call(tw.agent, REFUND, &[refund("50000")], &["--metadata", &tp]).await;
    assert_eq!(no["code"], "PERMISSION_DENIED", "{no}");
    let (ok_id, no_id) = (decision_id(&ok), decision_id(&no));

    // allowed: the call, its schema, policy and upstream children; refused: the call, its
    // schema and policy
    let got = wait_for_spans(&receiver, 7).await;
    assert_eq!(got.len(), 7, "{got:?}");
    let find = |id: &str| {
        got.iter()
            .map(|(_, s)| s)
            .find(|s| attr(s, "toolwall.decision_id").as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no span for {id}: {got:?}"))
    };
    let (sok, sno) = (find(&ok_id), find(&no_id));
    for s in [sok, sno] {
        assert_eq!(s.name, "execute_tool payments.refund");
        assert_eq!(s.kind, SpanKind::Internal as i32);
        assert_eq!(hex::encode(&s.trace_id), AGENT_TRACE);
        assert_eq!(hex::encode(&s.parent_span_id), AGENT_SPAN);
        assert_eq!(attr(s, "rpc.system").as_deref(), Some("grpc"));
        assert_eq!(
            attr(s, "rpc.service").as_deref(),
            Some("payments.v1.Payments")
        );
        assert_eq!(attr(s, "rpc.method").as_deref(), Some("CreateRefund"));
        assert_eq!(
            attr(s, "gen_ai.tool.name").as_deref(),
            Some("payments.refund")
        );
    }
    assert_eq!(attr(sok, "toolwall.decision").as_deref(), Some("allow"));
    assert_eq!(attr(sok, "error.type"), None);
    assert_eq!(attr(sno, "toolwall.decision").as_deref(), Some("deny"));
    assert_eq!(attr(sno, "error.type").as_deref(), Some("policy_denied"));
    let children = |p: &opentelemetry_proto::tonic::trace::v1::Span| {
        got.iter()
            .map(|(_, s)| s)
            .filter(|s| s.parent_span_id == p.span_id)
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut no_kids: Vec<String> = children(sno).into_iter().map(|s| s.name).collect();
    no_kids.sort();
    assert_eq!(no_kids, ["toolwall.policy", "toolwall.schema"]);
    let ok_kids = children(sok);
    assert_eq!(ok_kids.len(), 3, "{ok_kids:?}");
    let client = ok_kids
        .iter()
        .find(|s| s.kind == SpanKind::Client as i32)
        .unwrap_or_else(|| panic!("no CLIENT span: {ok_kids:?}"));
    assert_eq!(client.name, "payments.v1.Payments/CreateRefund");
    assert_eq!(attr(client, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        attr(client, "rpc.service").as_deref(),
        Some("payments.v1.Payments")
    );
    assert_eq!(attr(client, "rpc.method").as_deref(), Some("CreateRefund"));
    assert_eq!(attr(client, "server.address").as_deref(), Some("127.0.0.1"));
    let status = client
        .attributes
        .iter()
        .find(|kv| kv.key == "rpc.grpc.status_code")
        .and_then(|kv| kv.value.as_ref().and_then(|v| v.value.clone()));
    assert_eq!(status, Some(AnyValue::IntValue(0)));
    assert_eq!(attr(client, "error.type"), None);
    assert!(client.end_time_unix_nano <= sok.end_time_unix_nano);

    // the server got the allowed call only, toolwall's CLIENT span as its parent
    let seen = server.messages();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0]["metadata"]["traceparent"],
        format!("00-{AGENT_TRACE}-{}-01", hex::encode(&client.span_id)).as_str(),
        "{seen:?}"
    );
}
