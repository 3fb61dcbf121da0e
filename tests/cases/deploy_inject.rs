//! The sidecar injector, played from the API server's side: the HTTPS webhook answering real
//! AdmissionReviews (patches applied with `jsonpatch` and validated against the Kubernetes
//! 1.33 Pod schema), the offline `toolwall inject FILE`, `--self-signed` installing its CA
//! through a fake API server, and the enforcing mode's iptables rules in network namespaces
//! the test creates.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::Value;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");
const SNI: &str = "toolwall-injector.toolwall.svc";

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/deploy")
        .join(name)
}

/// A child process killed when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn test_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(p, KeyPair::generate().expect("key")).expect("ca")
}

/// Write `ca.pem`, `tls.crt`, `tls.key` for `names` into `dir`.
fn write_pki(dir: &Path, names: &[&str]) {
    let ca = test_ca("webhook test CA");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("params")
        .signed_by(&key, &ca)
        .expect("cert");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("tls.crt"), cert.pem()).expect("write");
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).expect("write");
}

const INJECTOR_YAML: &str = "\
sidecar:
  image: localhost/toolwall:dev
agent_env: { PAYMENTS_BASE_URL: \"http://127.0.0.1:15080/payments\" }
";

/// `toolwall inject serve` on 127.0.0.1:`port` with the serving certificate in `d`
/// (`tls.crt`, `tls.key`), and `injector.yaml` when given.
fn serve_webhook(d: &Path, port: u16, config: Option<&Path>) -> Proc {
    let mut cmd = Command::new(BIN);
    cmd.args(["inject", "serve", "--listen", &format!("127.0.0.1:{port}")]);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    Proc(
        cmd.arg("--tls-cert")
            .arg(d.join("tls.crt"))
            .arg("--tls-key")
            .arg(d.join("tls.key"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the injector"),
    )
}

fn wait_listening(port: u16, child: &mut Proc) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("the injector exited: {status}");
        }
        assert!(Instant::now() < deadline, "the injector never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run_admission(port: u16, ca: &Path, mode: &str) -> Value {
    let out = Command::new(python())
        .arg(script("admission.py"))
        .arg(port.to_string())
        .arg(ca)
        .arg(SNI)
        .arg(mode)
        .output()
        .expect("run admission.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "admission.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("summary JSON")
}

#[test]
fn inject_webhook_answers_real_admission_reviews() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_pki(dir.path(), &[SNI]);
    std::fs::write(dir.path().join("injector.yaml"), INJECTOR_YAML).expect("write");
    let port = free_port();
    let d = dir.path();
    let mut child = serve_webhook(d, port, Some(&d.join("injector.yaml")));
    wait_listening(port, &mut child);
    let summary = run_admission(port, &d.join("ca.pem"), "full");
    assert_eq!(summary["rs"]["init"], serde_json::json!(["toolwall"]));
    assert_eq!(summary["rs"]["containers"], serde_json::json!(["agent"]));
    assert_eq!(
        summary["init"]["init"],
        serde_json::json!(["toolwall-init", "toolwall", "migrate", "log-shipper"])
    );
    assert_eq!(summary["bad-annotation"]["code"], 403);
    assert_eq!(summary["deployment"]["code"], 400);
    assert_eq!(summary["hostile-huge"], 413);
    assert_eq!(summary["hostile-deep"], 400);
    assert_eq!(summary["hostile-v1beta1"], 400);
    assert_eq!(summary["after-hostile"], "patched");
    assert!(
        child.0.try_wait().expect("wait").is_none(),
        "the injector died"
    );
}

#[test]
fn inject_webhook_refuses_a_client_that_does_not_trust_it() {
    // The API server verifies the webhook against caBundle only: another CA must fail.
    let dir = tempfile::tempdir().expect("tempdir");
    write_pki(dir.path(), &[SNI]);
    let other = tempfile::tempdir().expect("tempdir");
    write_pki(other.path(), &[SNI]);
    let port = free_port();
    let d = dir.path();
    let mut child = serve_webhook(d, port, None);
    wait_listening(port, &mut child);
    let out = Command::new(python())
        .arg(script("admission.py"))
        .arg(port.to_string())
        .arg(other.path().join("ca.pem"))
        .arg(SNI)
        .arg("smoke")
        .output()
        .expect("run admission.py");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CERTIFICATE_VERIFY_FAILED"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The right CA still works against the same process.
    run_admission(port, &d.join("ca.pem"), "smoke");
}

const MANIFESTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: agents
spec:
  replicas: 2
  selector:
    matchLabels: { app: agent }
  template:
    metadata:
      labels: { app: agent }
      annotations:
        toolwall.io/enforce: "true"
    spec:
      serviceAccountName: agent
      containers:
        - name: agent
          image: registry.example.com/agent:1.4.2
          env:
            - { name: HTTP_PROXY, value: "http://corp:3128" }
---
apiVersion: v1
kind: Service
metadata:
  name: agent
spec:
  selector: { app: agent }
  ports: [ { port: 80, targetPort: 8000 } ]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers:
            - { name: fetch, image: busybox }
          containers:
            - { name: report, image: registry.example.com/report:2 }
---
apiVersion: v1
kind: Pod
metadata:
  name: skipped
  annotations: { toolwall.io/inject: "false" }
spec:
  containers: [ { name: x, image: x } ]
"#;

/// Validate every document of `yaml` strictly against Kubernetes 1.33 with
/// kubernetes-validate.
fn validate_yaml(yaml: &str) {
    let code = r#"
import sys, yaml, kubernetes_validate
n = 0
for doc in yaml.safe_load_all(sys.stdin):
    if doc is None:
        continue
    kubernetes_validate.validate(doc, "1.33.0", strict=True)
    n += 1
print(n)
"#;
    let mut child = Command::new(python())
        .args(["-c", code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(yaml.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "kubernetes-validate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "4");
}

fn inject_stdin(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("toolwall inject");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn inject_file_injects_templates_idempotently_and_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("app.yaml");
    std::fs::write(&file, MANIFESTS).expect("write");
    let cfg = dir.path().join("injector.yaml");
    std::fs::write(&cfg, INJECTOR_YAML).expect("write");
    let (code, out, err) = toolwall(&[
        "inject",
        file.to_str().expect("utf8"),
        "--config",
        cfg.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Deployment agent: injected"), "{err}");
    assert!(err.contains("Pod skipped: not injected"), "{err}");
    let docs: Vec<Value> = out
        .split("\n---\n")
        .map(|d| yaml_serde::from_str(d).expect("yaml"))
        .collect();
    assert_eq!(docs.len(), 4);
    let t = &docs[0]["spec"]["template"];
    assert_eq!(
        t["metadata"]["annotations"]["toolwall.io/status"],
        "injected"
    );
    let inits: Vec<&str> = t["spec"]["initContainers"]
        .as_array()
        .expect("inits")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(inits, vec!["toolwall-init", "toolwall"]);
    let agent_env = &t["spec"]["containers"][0]["env"];
    let http_proxy: Vec<&Value> = agent_env
        .as_array()
        .expect("env")
        .iter()
        .filter(|e| e["name"] == "HTTP_PROXY")
        .collect();
    assert_eq!(http_proxy.len(), 1);
    assert_eq!(
        http_proxy[0]["value"], "http://corp:3128",
        "its own value wins"
    );
    assert_eq!(docs[1]["kind"], "Service");
    assert!(docs[1]
        .get("spec")
        .and_then(|s| s.get("template"))
        .is_none());
    let cron = &docs[2]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(cron["initContainers"][0]["name"], "toolwall");
    assert_eq!(cron["initContainers"][1]["name"], "fetch");
    assert!(docs[3]["spec"].get("initContainers").is_none());
    validate_yaml(&out);

    // Twice changes nothing (and stdin works).
    let (code, again, err) = inject_stdin(
        &["inject", "-", "--config", cfg.to_str().expect("utf8")],
        &out,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, out);

    // The classic sidecar, for clusters before native sidecars.
    let classic = dir.path().join("classic.yaml");
    std::fs::write(&classic, "sidecar: { native: false }\n").expect("write");
    let (code, out, err) = toolwall(&[
        "inject",
        file.to_str().expect("utf8"),
        "-c",
        classic.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let docs: Vec<Value> = out
        .split("\n---\n")
        .map(|d| yaml_serde::from_str(d).expect("yaml"))
        .collect();
    let spec = &docs[0]["spec"]["template"]["spec"];
    assert_eq!(spec["containers"][0]["name"], "toolwall");
    assert_eq!(
        spec["containers"][0]["lifecycle"]["postStart"]["exec"]["command"][2],
        "wait"
    );
    assert_eq!(spec["initContainers"][0]["name"], "toolwall-init");
    validate_yaml(&out);
}

#[test]
fn inject_file_refuses_a_bad_annotation_and_prints_nothing() {
    let bad = MANIFESTS.replace(
        "toolwall.io/enforce: \"true\"",
        "toolwall.io/enforce: \"yes\"",
    );
    let (code, out, err) = inject_stdin(&["inject", "-"], &bad);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("toolwall.io/enforce"), "{err}");
    let (code, _, err) = inject_stdin(&["inject", "-"], "kind: Pod\nspec: [\n");
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = toolwall(&["inject", "-c", "/nonexistent/injector.yaml", "x.yaml"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn inject_wait_holds_until_ready() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let start = Instant::now();
    let (code, _, err) = toolwall(&["inject", "wait", "--url", &url, "--timeout", "1"]);
    assert_eq!(code, 1, "{err}");
    assert!(start.elapsed() >= Duration::from_millis(900));
    // A server that becomes ready after a moment.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(600));
        for s in listener.incoming().flatten().take(3) {
            let mut s = s;
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    let (code, _, err) = toolwall(&[
        "inject",
        "wait",
        "--url",
        &format!("http://{addr}/readyz"),
        "--timeout",
        "20",
    ]);
    assert_eq!(code, 0, "{err}");
}

// ---------------------------------------------------------------- --self-signed

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    content_type: String,
    auth: String,
    body: Vec<u8>,
}

/// A fake API server over TLS: GET answers a MutatingWebhookConfiguration with two webhooks
/// (the second already trusting another CA), PATCH is recorded and answered 200.
async fn fake_api(dir: &Path, seen: Arc<Mutex<Vec<Seen>>>, other_ca_b64: String) -> SocketAddr {
    use http_body_util::{BodyExt, Full};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use rustls_pki_types::pem::PemObject;

    let ca = test_ca("fake kube-apiserver CA");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("cert");
    std::fs::write(dir.join("ca.crt"), ca.pem()).expect("write");
    std::fs::write(dir.join("token"), "test-token-123\n").expect("write");
    let chain =
        vec![rustls_pki_types::CertificateDer::from_pem_slice(cert.pem().as_bytes()).expect("pem")];
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes())
        .expect("key");
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("tls");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            let other = other_ca_b64.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let seen = seen.clone();
                    let other = other.clone();
                    async move {
                        let h = |k: http::HeaderName| {
                            req.headers()
                                .get(k)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string()
                        };
                        let mut s = Seen {
                            method: req.method().to_string(),
                            path: req.uri().path().to_string(),
                            content_type: h(http::header::CONTENT_TYPE),
                            auth: h(http::header::AUTHORIZATION),
                            body: Vec::new(),
                        };
                        s.body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes().to_vec())
                            .unwrap_or_default();
                        let answer = if s.method == "GET" {
                            serde_json::json!({
                                "apiVersion": "admissionregistration.k8s.io/v1",
                                "kind": "MutatingWebhookConfiguration",
                                "metadata": { "name": "toolwall-injector", "resourceVersion": "41" },
                                "webhooks": [
                                    { "name": "inject.toolwall.io", "clientConfig": {
                                        "service": { "name": "toolwall-injector", "namespace": "toolwall", "path": "/inject" } } },
                                    { "name": "inject2.toolwall.io", "clientConfig": {
                                        "caBundle": other,
                                        "service": { "name": "toolwall-injector", "namespace": "toolwall", "path": "/inject" } } },
                                ],
                            })
                        } else {
                            serde_json::json!({ "kind": "MutatingWebhookConfiguration" })
                        };
                        seen.lock().expect("lock").push(s);
                        Ok::<_, std::convert::Infallible>(
                            http::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(bytes::Bytes::from(answer.to_string())))
                                .expect("response"),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inject_self_signed_installs_its_ca_through_the_api_server() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let sa = tempfile::tempdir().expect("tempdir");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let other = test_ca("another replica's CA");
    let api = fake_api(sa.path(), seen.clone(), b64.encode(other.pem())).await;
    let port = free_port();
    let mut child = Proc(
        Command::new(BIN)
            .args([
                "inject",
                "serve",
                "--self-signed",
                "--webhook-config",
                "toolwall-injector",
                "--service",
                "toolwall-injector",
                "--namespace",
                "toolwall",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--kube-api",
                &format!("https://localhost:{}", api.port()),
                "--service-account-dir",
            ])
            .arg(sa.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the injector"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let patch = loop {
        let found = seen
            .lock()
            .expect("lock")
            .iter()
            .find(|s| s.method == "PATCH")
            .cloned();
        if let Some(p) = found {
            break p;
        }
        assert!(
            child.0.try_wait().expect("wait").is_none(),
            "the injector exited"
        );
        assert!(
            Instant::now() < deadline,
            "no PATCH within 30 s: {:?}",
            seen.lock()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let path =
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/toolwall-injector";
    let get = seen.lock().expect("lock")[0].clone();
    assert_eq!((get.method.as_str(), get.path.as_str()), ("GET", path));
    assert_eq!(patch.path, path);
    assert_eq!(patch.content_type, "application/json-patch+json");
    assert_eq!(patch.auth, "Bearer test-token-123");
    assert_eq!(get.auth, "Bearer test-token-123");
    let ops: Value = serde_json::from_slice(&patch.body).expect("patch JSON");
    let ops = ops.as_array().expect("ops");
    assert_eq!(
        ops[0],
        serde_json::json!({ "op": "test", "path": "/metadata/resourceVersion", "value": "41" })
    );
    assert_eq!(ops.len(), 3, "{ops:?}");
    let bundle = |i: usize| {
        assert_eq!(ops[i + 1]["op"], "add");
        assert_eq!(
            ops[i + 1]["path"],
            format!("/webhooks/{i}/clientConfig/caBundle")
        );
        String::from_utf8(
            b64.decode(ops[i + 1]["value"].as_str().expect("b64"))
                .expect("base64"),
        )
        .expect("pem")
    };
    let first = bundle(0);
    let second = bundle(1);
    assert_eq!(first.matches("BEGIN CERTIFICATE").count(), 1);
    assert_eq!(
        second.matches("BEGIN CERTIFICATE").count(),
        2,
        "the other CA is kept"
    );
    assert!(second.starts_with(&first), "ours first");
    assert!(second.contains(other.pem().lines().nth(1).expect("line")));
    // The API server (here: the test) now trusts the webhook through the caBundle only.
    let ca_file = sa.path().join("bundle.pem");
    std::fs::write(&ca_file, &first).expect("write");
    let summary = tokio::task::spawn_blocking(move || run_admission(port, &ca_file, "smoke"))
        .await
        .expect("join");
    assert_eq!(summary["smoke"], "patched");
}

#[test]
fn inject_serve_refuses_bad_flags() {
    let (code, _, err) = toolwall(&["inject", "serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = toolwall(&[
        "inject",
        "serve",
        "--self-signed",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = toolwall(&[
        "inject",
        "serve",
        "--tls-cert",
        "/nonexistent",
        "--tls-key",
        "/nonexistent",
    ]);
    assert_eq!(code, 2, "{err}");
}

// ---------------------------------------------------------------- enforcing mode (netns)

static NS_SEQ: AtomicU32 = AtomicU32::new(0);

/// Two network namespaces joined by a veth pair: "out" with the tools, "pod" with the
/// agent; deleted when dropped.
struct Netns {
    pod: String,
    out: String,
    ip4: (String, String),
    ip6: (String, String),
}

fn sh(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Netns {
    fn new() -> Netns {
        let n = NS_SEQ.fetch_add(1, Ordering::SeqCst);
        let id = format!(
            "{}{}{}",
            std::process::id() % 100_000,
            n,
            rand::random::<u16>() % 1000
        );
        let ns = Netns {
            pod: format!("twpod{id}"),
            out: format!("twout{id}"),
            // Private ranges inside namespaces of their own: no clash with the host.
            ip4: ("10.77.0.1".into(), "10.77.0.2".into()),
            ip6: ("fd77::1".into(), "fd77::2".into()),
        };
        // `ns` exists before the first namespace does: a failed step still deletes both.
        sh(&["ip", "netns", "add", &ns.out]);
        sh(&["ip", "netns", "add", &ns.pod]);
        let (vo, vp) = (format!("two{id}"), format!("twp{id}"));
        sh(&[
            "ip", "link", "add", &vo, "netns", &ns.out, "type", "veth", "peer", "name", &vp,
            "netns", &ns.pod,
        ]);
        for (n, v, a4, a6) in [
            (&ns.out, &vo, &ns.ip4.0, &ns.ip6.0),
            (&ns.pod, &vp, &ns.ip4.1, &ns.ip6.1),
        ] {
            sh(&["ip", "-n", n, "addr", "add", &format!("{a4}/24"), "dev", v]);
            sh(&[
                "ip",
                "-n",
                n,
                "-6",
                "addr",
                "add",
                &format!("{a6}/64"),
                "dev",
                v,
                "nodad",
            ]);
            sh(&["ip", "-n", n, "link", "set", v, "up"]);
            sh(&["ip", "-n", n, "link", "set", "lo", "up"]);
        }
        ns
    }

    fn exec(&self, ns: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for n in [&self.pod, &self.out] {
            let _ = Command::new("ip").args(["netns", "del", n]).output();
        }
    }
}

/// Run the tools outside, the rules and the probe in the pod; the probe's results.
fn enforce_probe(extra: &[&str], excluded: u16) -> Value {
    let ns = Netns::new();
    let (tool_port, other_port) = (8080u16, excluded);
    let mut tool = ns
        .exec(&ns.out)
        .arg(python())
        .arg(script("netns_probe.py"))
        .args(["tool", &ns.ip4.0, &ns.ip6.0])
        .args([tool_port.to_string(), other_port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tool");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(tool.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("read");
    let _tool = Proc(tool);
    assert_eq!(line.trim(), "ready");
    let out = ns
        .exec(&ns.pod)
        .args([
            BIN,
            "inject",
            "iptables",
            "--uid",
            "65532",
            "--redirect-port",
            "15081",
        ])
        .args(extra)
        .output()
        .expect("iptables");
    assert!(
        out.status.success(),
        "toolwall inject iptables: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ns
        .exec(&ns.pod)
        .arg(python())
        .arg(script("netns_probe.py"))
        .args(["pod", &ns.ip4.0, &ns.ip6.0])
        .args([tool_port.to_string(), other_port.to_string()])
        .output()
        .expect("probe");
    assert!(
        out.status.success(),
        "probe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("probe JSON")
}

#[test]
fn netns_enforce_redirects_the_agents_tcp_to_toolwall() {
    let r = enforce_probe(&[], 8081);
    // The agent's connection to the tool lands on toolwall, which sees where it was going.
    assert_eq!(r["agent_tcp"], "TOOLWALL:10.77.0.1:8080", "{r}");
    assert_eq!(r["agent_excluded"], "TOOLWALL:10.77.0.1:8081", "{r}");
    // toolwall's own UID reaches the tool directly.
    assert_eq!(r["toolwall_tcp"], "TOOL:8080", "{r}");
    // Loopback is untouched.
    assert_eq!(r["agent_loopback"], "LOCAL", "{r}");
    // UDP other than DNS is refused for the agent, not for toolwall.
    assert!(
        r["agent_udp"].as_str().expect("udp").starts_with("ERROR"),
        "{r}"
    );
    assert_eq!(r["toolwall_udp"], "UDPTOOL", "{r}");
    // IPv6 (toolwall does not listen there) is refused for the agent.
    assert!(
        r["agent_tcp6"].as_str().expect("tcp6").starts_with("ERROR"),
        "{r}"
    );
    assert_eq!(r["toolwall_tcp6"], "TOOL:8080", "{r}");
}

#[test]
fn netns_enforce_leaves_excluded_ports_and_ranges_alone() {
    let r = enforce_probe(&["--exclude-ports", "8081"], 8081);
    assert_eq!(r["agent_excluded"], "TOOL:8081", "{r}");
    assert_eq!(r["agent_tcp"], "TOOLWALL:10.77.0.1:8080", "{r}");
    let r = enforce_probe(&["--exclude-cidrs", "10.77.0.0/24,fd77::/64"], 8081);
    assert_eq!(r["agent_tcp"], "TOOL:8080", "{r}");
    assert_eq!(r["agent_tcp6"], "TOOL:8080", "{r}");
    assert_eq!(r["agent_udp"], "UDPTOOL", "{r}");
}

#[test]
fn netns_dry_run_prints_the_rules() {
    let (code, out, err) = toolwall(&[
        "inject",
        "iptables",
        "--dry-run",
        "--exclude-ports",
        "5432",
        "--exclude-cidrs",
        "10.0.0.0/8",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("-A TOOLWALL_OUTPUT -p tcp -j REDIRECT --to-ports 15081"),
        "{out}"
    );
    assert!(
        out.contains("-A TOOLWALL_OUTPUT -m owner --uid-owner 65532 -j RETURN"),
        "{out}"
    );
    assert!(
        out.contains("-A TOOLWALL_OUTPUT -d 10.0.0.0/8 -j RETURN"),
        "{out}"
    );
    let (code, _, _) = toolwall(&["inject", "iptables", "--dry-run", "--exclude-cidrs", "x"]);
    assert_eq!(code, 2);
    let (code, _, _) = toolwall(&["inject", "iptables", "--dry-run", "--uid", "0"]);
    assert_eq!(code, 2);
}

#[test]
fn inject_file_injects_the_items_of_a_kubectl_list() {
    let list = r#"apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: { name: db-agent }
    spec:
      serviceName: db-agent
      selector: { matchLabels: { app: a } }
      template:
        metadata: { labels: { app: a } }
        spec: { containers: [ { name: a, image: a } ] }
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: c }
    data: { k: v }
"#;
    let (code, out, err) = inject_stdin(&["inject", "-"], list);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("StatefulSet db-agent: injected"), "{err}");
    let doc: Value = yaml_serde::from_str(&out).expect("yaml");
    assert_eq!(
        doc["items"][0]["spec"]["template"]["spec"]["initContainers"][0]["name"],
        "toolwall"
    );
    assert_eq!(doc["items"][1]["data"]["k"], "v");
    let (code, again, _) = inject_stdin(&["inject", "-"], &out);
    assert_eq!(code, 0);
    assert_eq!(again, out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inject_webhook_speaks_http2_as_the_api_server_does() {
    use base64::Engine;
    use http_body_util::{BodyExt, Full};
    use rustls_pki_types::pem::PemObject;

    let dir = tempfile::tempdir().expect("tempdir");
    write_pki(dir.path(), &[SNI]);
    let port = free_port();
    let d = dir.path();
    let mut child = serve_webhook(d, port, None);
    tokio::task::block_in_place(|| wait_listening(port, &mut child));
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(d.join("ca.pem")).expect("ca");
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_slice(&ca).expect("pem"))
        .expect("root");
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
        .connect(
            rustls_pki_types::ServerName::try_from(SNI).expect("name"),
            tcp,
        )
        .await
        .expect("TLS with the caBundle as the only root");
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(conn);
    let review = serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "h2-uid", "operation": "CREATE", "namespace": "agents",
            "kind": { "group": "", "version": "v1", "kind": "Pod" },
            "resource": { "group": "", "version": "v1", "resource": "pods" },
            "object": { "apiVersion": "v1", "kind": "Pod", "metadata": { "generateName": "a-" },
                        "spec": { "containers": [ { "name": "agent", "image": "a" } ] } },
            "oldObject": null, "dryRun": false,
        }
    });
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("https://{SNI}/inject?timeout=10s"))
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(review.to_string())))
        .expect("request");
    let res = send.send_request(req).await.expect("h2 request");
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), http::Version::HTTP_2);
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let doc: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(doc["response"]["uid"], "h2-uid");
    assert_eq!(doc["response"]["patchType"], "JSONPatch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(doc["response"]["patch"].as_str().expect("patch"))
        .expect("b64");
    let ops: Value = serde_json::from_slice(&patch).expect("ops");
    assert!(ops
        .as_array()
        .expect("ops")
        .iter()
        .any(|o| o["path"] == "/spec/initContainers"));
}
