//! OTLP over TLS: the real binary exports to a real Python grpcio OTLP receiver serving TLS
//! (and one requiring a client certificate) and to an OTLP/HTTP receiver over HTTPS, all with
//! certificates minted here by rcgen; a receiver whose certificate toolwall does not trust
//! gets nothing while calls go on; bad TLS settings are config errors at their position.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};

use super::telemetry::{
    attr, decode, refund, wait_for_spans, GrpcReceiver, AGENT_SPAN, AGENT_TRACE,
};
use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");

struct Tw {
    child: Child,
    agent: std::net::SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Tw {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tw {
    /// What toolwall logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("toolwall.log")).unwrap_or_default()
    }
}

/// `toolwall run` in front of `tool`, `telemetry` in its config, `files` written beside it.
async fn run(
    tool: &Upstream,
    telemetry: &str,
    files: &[(&str, &str)],
    env: &[(&str, String)],
) -> Tw {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter(&format!("http://{}", tool.addr), ""),
    )
    .expect("write");
    std::fs::write(root.join("policies/p.rego"), POLICY).expect("write");
    let listen = free_port();
    std::fs::write(
        root.join("toolwall.yaml"),
        format!(
            "listen: 127.0.0.1:{listen}\nadmin: 127.0.0.1:0\nidentity:\n  static: {{ agent: billing-bot, tenant: acme }}\n{telemetry}\n"
        ),
    )
    .expect("write");
    let log = std::fs::File::create(root.join("toolwall.log")).expect("log");
    let mut cmd = Command::new(BIN);
    cmd.args([
        "run",
        "-c",
        root.join("toolwall.yaml").to_str().expect("utf8"),
    ]);
    for k in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        "OTEL_SDK_DISABLED",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let tw = Tw {
        child: cmd.spawn().expect("spawn"),
        agent: format!("127.0.0.1:{listen}").parse().expect("addr"),
        dir,
    };
    for _ in 0..1200 {
        if tokio::net::TcpStream::connect(tw.agent).await.is_ok() {
            return tw;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("toolwall did not start: {}", tw.log());
}

/// PEM files of a CA, a server certificate for 127.0.0.1 it signed and the key, in a
/// directory of their own.
struct ServerPki {
    dir: tempfile::TempDir,
    ca_pem: String,
}

impl ServerPki {
    fn new(ca_cn: &str) -> ServerPki {
        let (ca, leaf, key) = test_ca_and_server_cert(ca_cn);
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("server.pem"), leaf.pem()).expect("write");
        std::fs::write(dir.path().join("server.key"), key.serialize_pem()).expect("write");
        ServerPki {
            dir,
            ca_pem: ca.pem(),
        }
    }
    fn cert(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }
    fn key(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }
}

/// A client CA and a client certificate it signed (clientAuth), as PEM: (ca, cert, key).
fn client_pki() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "exporters CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["toolwall-exporter".to_string()]).expect("params");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca).expect("client cert");
    (ca.pem(), cert.pem(), key.serialize_pem())
}

async fn wait_for_grpc(receiver: &GrpcReceiver, n: usize) -> Vec<Span> {
    let mut got = Vec::new();
    for _ in 0..300 {
        got = receiver.spans();
        if got.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), n, "{got:?}");
    got.into_iter()
        .map(|(service, s)| {
            assert_eq!(service, "toolwall");
            s
        })
        .collect()
}

/// An allowed call's four spans in the agent's trace: the call (child of the agent's span),
/// its schema and policy children and the CLIENT span the tool got as its parent.
fn check_allowed_call(spans: &[Span], tool: &Upstream) {
    assert_eq!(spans.len(), 4, "{spans:?}");
    let call = spans
        .iter()
        .find(|s| s.name == "execute_tool echo.refund")
        .expect("the call's span");
    assert_eq!(hex::encode(&call.trace_id), AGENT_TRACE);
    assert_eq!(hex::encode(&call.parent_span_id), AGENT_SPAN);
    assert_eq!(call.kind, SpanKind::Internal as i32);
    assert_eq!(attr(call, "toolwall.decision").as_deref(), Some("allow"));
    assert_eq!(
        attr(call, "gen_ai.tool.name").as_deref(),
        Some("echo.refund")
    );
    assert_eq!(
        attr(call, "gen_ai.agent.id").as_deref(),
        Some("billing-bot")
    );
    for name in ["toolwall.schema", "toolwall.policy", "POST"] {
        let child = spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no {name} span: {spans:?}"));
        assert_eq!(child.parent_span_id, call.span_id, "{name}");
        assert_eq!(child.trace_id, call.trace_id, "{name}");
    }
    let client = spans.iter().find(|s| s.name == "POST").expect("client");
    assert_eq!(client.kind, SpanKind::Client as i32);
    assert_eq!(attr(client, "server.address").as_deref(), Some("127.0.0.1"));
    let tp = tool.requests()[0]
        .headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .expect("traceparent")
        .to_string();
    assert_eq!(
        tp,
        format!("00-{AGENT_TRACE}-{}-01", hex::encode(&client.span_id))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_a_grpc_receiver_over_tls() {
    let pki = ServerPki::new("otlp receiver CA");
    let receiver = GrpcReceiver::start_with(&[&pki.cert(), &pki.key()]).await;
    let tool = http_upstream().await;
    // the CA file relative to the config file
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: grpc\n  endpoint: https://127.0.0.1:{}\n  tls:\n    ca_file: certs/ca.pem\n",
        receiver.port
    );
    let tw = run(&tool, &telemetry, &[("certs/ca.pem", &pki.ca_pem)], &[]).await;
    let r = send(tw.agent, refund(5)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let spans = wait_for_grpc(&receiver, 4).await;
    check_allowed_call(&spans, &tool);
    assert!(
        !tw.log().contains("exporting traces failed"),
        "{}",
        tw.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_requiring_a_client_certificate_gets_spans_only_with_one() {
    let pki = ServerPki::new("otlp receiver CA");
    let (client_ca, client_cert, client_key) = client_pki();
    let certs = tempfile::tempdir().expect("tempdir");
    let file = |name: &str, text: &str| {
        let p = certs.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let client_ca = file("client-ca.pem", &client_ca);
    let server_ca = file("server-ca.pem", &pki.ca_pem);
    let client_cert = file("client.pem", &client_cert);
    let client_key = file("client.key", &client_key);
    let receiver = GrpcReceiver::start_with(&[&pki.cert(), &pki.key(), &client_ca]).await;
    let tool = http_upstream().await;
    let shown = |p: &Path| p.to_str().expect("utf8").to_string();
    let base = [
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("https://127.0.0.1:{}", receiver.port),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_string()),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", shown(&server_ca)),
    ];

    // without a client certificate: the handshake fails, nothing arrives, calls go on
    let without = run(&tool, "", &[], &base).await;
    for _ in 0..3 {
        let r = send(without.agent, refund(5)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(receiver.spans().is_empty());
    assert_eq!(tool.requests().len(), 3);
    assert!(
        without.log().contains("exporting traces failed"),
        "{}",
        without.log()
    );
    drop(without);

    // with one, from the standard variables
    let mut env = base.to_vec();
    env.push(("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", shown(&client_cert)));
    env.push(("OTEL_EXPORTER_OTLP_CLIENT_KEY", shown(&client_key)));
    let with = run(&tool, "", &[], &env).await;
    let r = send(with.agent, refund(500)).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    // the refused call, its schema check and policy evaluation
    let spans = wait_for_grpc(&receiver, 3).await;
    let call = spans
        .iter()
        .find(|s| s.name == "execute_tool echo.refund")
        .expect("the call's span");
    assert_eq!(hex::encode(&call.trace_id), AGENT_TRACE);
    assert_eq!(hex::encode(&call.parent_span_id), AGENT_SPAN);
    assert_eq!(attr(call, "toolwall.decision").as_deref(), Some("deny"));
    assert_eq!(attr(call, "error.type").as_deref(), Some("policy_denied"));
    for name in ["toolwall.schema", "toolwall.policy"] {
        let child = spans.iter().find(|s| s.name == name).expect(name);
        assert_eq!(child.parent_span_id, call.span_id, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_http_receiver_over_https() {
    let receiver = https_upstream().await;
    let tool = http_upstream().await;
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: https://127.0.0.1:{}\n  tls:\n    ca_file: ca.pem\n",
        receiver.addr.port()
    );
    let ca = receiver.ca_pem.clone().expect("ca");
    let tw = run(&tool, &telemetry, &[("ca.pem", &ca)], &[]).await;
    let r = send(tw.agent, refund(5)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let got = wait_for_spans(&receiver, 4).await;
    assert!(got.iter().all(|(service, _)| service == "toolwall"));
    let spans: Vec<Span> = got.into_iter().map(|(_, s)| s).collect();
    check_allowed_call(&spans, &tool);
    // the bodies decode on their own too (every request was a whole ExportTraceServiceRequest)
    let bodies: Vec<Vec<u8>> = receiver
        .requests()
        .iter()
        .map(|r| r.body.to_vec())
        .collect();
    assert_eq!(decode(&bodies).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_receiver_gets_nothing_and_calls_go_on() {
    // certificates from CAs toolwall was not given: only the webpki roots are trusted
    let pki = ServerPki::new("nobody's CA");
    let grpc = GrpcReceiver::start_with(&[&pki.cert(), &pki.key()]).await;
    let https = https_upstream().await;
    let tool = http_upstream().await;
    for (protocol, port) in [("grpc", grpc.port), ("http/protobuf", https.addr.port())] {
        let telemetry = format!(
            "telemetry:\n  enabled: true\n  protocol: {protocol}\n  endpoint: https://127.0.0.1:{port}\n"
        );
        let tw = run(&tool, &telemetry, &[], &[]).await;
        let before = tool.requests().len();
        for _ in 0..3 {
            let r = send(tw.agent, refund(5)).await;
            assert_eq!(r.status, 200, "{protocol}: {:?}", r.body);
        }
        assert_eq!(tool.requests().len(), before + 3, "{protocol}");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let log = tw.log();
        assert!(log.contains("exporting traces failed"), "{protocol}: {log}");
        assert!(log.contains("certificate"), "{protocol}: {log}");
        // still serving after the failed exports
        let r = send(tw.agent, refund(500)).await;
        assert_eq!(r.status, 403, "{protocol}: {:?}", r.body);
    }
    assert!(grpc.spans().is_empty());
    assert!(https.requests().is_empty());
}

#[test]
fn bad_tls_settings_are_config_errors_at_their_position() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("policies/p.rego"), POLICY).expect("write");
    std::fs::write(root.join("not-a-cert.pem"), "hello\n").expect("write");
    let check = |telemetry: &str| {
        let cfg = root.join("toolwall.yaml");
        std::fs::write(
            &cfg,
            format!("identity:\n  static: {{ agent: a }}\n{telemetry}"),
        )
        .expect("write");
        let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
        assert_eq!(code, 1, "{err}");
        (cfg.display().to_string(), err)
    };
    // a CA file that does not exist, at line 7 column 14
    let (cfg, err) = check(
        "telemetry:\n  enabled: true\n  endpoint: https://collector:4317\n  tls:\n    ca_file: missing.pem\n",
    );
    assert!(
        err.contains(&format!("{cfg}:7:14: telemetry.tls.ca_file")),
        "{err}"
    );
    assert!(err.contains("missing.pem"), "{err}");
    // a file without a certificate
    let (cfg, err) = check("telemetry:\n  tls:\n    ca_file: not-a-cert.pem\n");
    assert!(
        err.contains(&format!("{cfg}:5:14: telemetry.tls.ca_file")),
        "{err}"
    );
    // a client certificate without its key
    let (cfg, err) = check("telemetry:\n  tls:\n    cert_file: not-a-cert.pem\n");
    assert!(
        err.contains(&format!(
            "{cfg}:5:16: telemetry.tls.cert_file is set without"
        )),
        "{err}"
    );
    // not an http(s) URL
    let (cfg, err) = check("telemetry:\n  endpoint: ftp://collector:21\n");
    assert!(
        err.contains(&format!("{cfg}:4:13: telemetry.endpoint")),
        "{err}"
    );
    // an unknown key
    let (cfg, err) = check("telemetry:\n  tls:\n    ca: x.pem\n");
    assert!(
        err.contains(&cfg) && err.contains("unknown field `ca`"),
        "{err}"
    );
}

#[test]
fn a_bad_tls_variable_stops_run_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("policies/p.rego"), POLICY).expect("write");
    let cfg = root.join("toolwall.yaml");
    std::fs::write(
        &cfg,
        format!(
            "listen: 127.0.0.1:{}\nadmin: 127.0.0.1:0\nidentity:\n  static: {{ agent: a }}\n",
            free_port()
        ),
    )
    .expect("write");
    let out = Command::new(BIN)
        .args(["run", "-c", cfg.to_str().expect("utf8")])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:9")
        .env("OTEL_EXPORTER_OTLP_CERTIFICATE", root.join("nope.pem"))
        .env_remove("OTEL_SDK_DISABLED")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("OTEL_EXPORTER_OTLP_CERTIFICATE") && err.contains("nope.pem"),
        "{err}"
    );
}
