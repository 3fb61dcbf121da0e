//! gRPC adapters at config level: `toolwall check` and `toolwall adapters describe` on a
//! descriptor set compiled by protoc (grpcio-tools) in the test, and on descriptors loaded by
//! reflection from a real grpcio server (grpcio-reflection).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use crate::common::{python, toolwall};

const POLICY: &str = "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n";
const CONFIG: &str = "identity:\n  static: { agent: a }\n";

const PAYMENTS_PROTO: &str = r#"syntax = "proto3";
package payments.v1;
import "google/protobuf/timestamp.proto";
import "payments/v1/money.proto";
enum Reason { REASON_UNSPECIFIED = 0; DUPLICATE = 1; FRAUD = 2; }
message RefundRequest {
  string charge_id = 1;
  Money amount = 2;
  google.protobuf.Timestamp at = 3;
  Reason reason = 4;
  map<string, string> labels = 5;
  oneof target { string card = 6; string account = 7; }
}
message Refund { string id = 1; }
service Payments {
  rpc CreateRefund(RefundRequest) returns (Refund);
  rpc WatchRefunds(RefundRequest) returns (stream Refund);
  rpc UploadEvidence(stream Refund) returns (Refund);
}
"#;
const MONEY_PROTO: &str =
    "syntax = \"proto3\";\npackage payments.v1;\nmessage Money { int64 cents = 1; string currency = 2; }\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// Compile the test protos with grpcio-tools into `out` (a FileDescriptorSet);
/// `include_imports` as protoc's flag.
fn protoc(out: &Path, include_imports: bool) {
    let src = tempfile::tempdir().expect("tmp");
    write(src.path(), "payments/v1/payments.proto", PAYMENTS_PROTO);
    write(src.path(), "payments/v1/money.proto", MONEY_PROTO);
    std::fs::create_dir_all(out.parent().expect("parent")).expect("mkdir");
    let mut cmd = Command::new(python());
    cmd.args(["-m", "grpc_tools.protoc", "-I"])
        .arg(src.path())
        .arg(format!("--descriptor_set_out={}", out.display()));
    if include_imports {
        cmd.arg("--include_imports");
    }
    let res = cmd
        .arg(src.path().join("payments/v1/payments.proto"))
        .output()
        .expect("run grpc_tools.protoc");
    assert!(
        res.status.success(),
        "protoc: {}",
        String::from_utf8_lossy(&res.stderr)
    );
}

/// A config directory: `toolwall.yaml`, a policy, the given adapters.
fn config_dir(adapters: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "toolwall.yaml", CONFIG);
    write(dir.path(), "policies/p.rego", POLICY);
    for (rel, text) in adapters {
        write(dir.path(), &format!("adapters/{rel}"), text);
    }
    let cfg = dir.path().join("toolwall.yaml");
    (dir, cfg)
}

const GRPC_ADAPTER: &str = "name: payments_grpc\nkind: grpc\nupstream: http://127.0.0.1:50051\ndescriptor_set: protos/payments.pb\ntools:\n  - name: refund\n    match: { service: payments.v1.Payments, method: CreateRefund }\n    schema: { required: [chargeId] }\n    cost_usd: 1.0\n  - name: watch\n    match: { service: payments.v1.Payments, method: WatchRefunds }\n  - name: upload\n    match: { service: payments.v1.Payments, method: UploadEvidence }\n";

fn describe(cfg: &Path, name: &str) -> Value {
    let (code, out, err) = toolwall(&[
        "adapters",
        "describe",
        name,
        "-c",
        cfg.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The derived schema of `payments.v1.RefundRequest`, as `describe` prints it, checked
/// against what the proto declares; and it refuses what the canonical JSON never holds.
fn assert_refund_schema(derived: &Value) {
    assert_eq!(
        derived["$id"],
        "urn:toolwall:grpc:payments.v1.RefundRequest"
    );
    let props = &derived["properties"];
    assert_eq!(props["chargeId"], json!({"type": "string"}));
    assert_eq!(
        props["amount"],
        json!({"$ref": "#/$defs/payments.v1.Money"})
    );
    assert_eq!(props["at"]["type"], "string");
    assert_eq!(
        props["reason"],
        json!({"type": "string", "enum": ["REASON_UNSPECIFIED", "DUPLICATE", "FRAUD"]})
    );
    assert_eq!(
        props["labels"],
        json!({"type": "object", "additionalProperties": {"type": "string"}})
    );
    assert_eq!(derived["additionalProperties"], false);
    assert_eq!(
        derived["$defs"]["payments.v1.Money"]["properties"]["cents"],
        json!({"type": "string", "pattern": "^-?[0-9]+$"})
    );
    let v = jsonschema::draft202012::new(derived).expect("compiles");
    let ok = json!({"chargeId": "ch_1", "amount": {"cents": "500", "currency": "EUR"},
        "at": "2026-12-03T10:00:00Z", "reason": "FRAUD", "labels": {"k": "v"}, "card": "4242"});
    assert!(v.is_valid(&ok));
    for bad in [
        json!({"amount": {"cents": 500}}),
        json!({"reason": "CHARGEBACK"}),
        json!({"charge_id": "snake case is never rendered"}),
        json!({"card": "a", "account": "b"}),
        json!({"amount": {"cents": "1", "tip": "1"}}),
    ] {
        assert!(!v.is_valid(&bad), "{bad}");
    }
}

#[test]
fn check_and_describe_a_descriptor_set_adapter() {
    let (dir, cfg) = config_dir(&[
        ("payments.yaml", GRPC_ADAPTER),
        (
            "shop.yaml",
            "name: shop\nupstream: http://127.0.0.1:9\ntools:\n  - name: buy\n    match: { method: POST, path: /buy }\n    schema: { type: object, properties: { qty: { type: integer } } }\n",
        ),
    ]);
    protoc(&dir.path().join("adapters/protos/payments.pb"), true);
    let (code, out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 adapter(s), 4 tool(s)"), "{out}");

    let d = describe(&cfg, "payments_grpc");
    assert_eq!(d["adapter"], "payments_grpc");
    assert_eq!(d["kind"], "grpc");
    assert_eq!(d["upstream"], "http://127.0.0.1:50051");
    assert_eq!(d["services"], json!(["payments.v1.Payments"]));
    assert_eq!(d["unknown_fields"], "refuse");
    let tools = d["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 3);
    let refund = &tools[0];
    assert_eq!(refund["name"], "payments_grpc.refund");
    assert_eq!(refund["service"], "payments.v1.Payments");
    assert_eq!(refund["method"], "CreateRefund");
    assert_eq!(refund["path"], "/payments.v1.Payments/CreateRefund");
    assert_eq!(refund["input"], "payments.v1.RefundRequest");
    assert_eq!(refund["output"], "payments.v1.Refund");
    assert_eq!(refund["client_streaming"], false);
    assert_eq!(refund["server_streaming"], false);
    assert_eq!(refund["schema_ref"], "inline");
    // derived allOf explicit
    let all = refund["schema"]["allOf"].as_array().expect("allOf");
    assert_eq!(all[1]["required"], json!(["chargeId"]));
    assert_refund_schema(&all[0]);
    let v = jsonschema::draft202012::new(&refund["schema"]).expect("compiles");
    assert!(v.is_valid(&json!({"chargeId": "c"})));
    assert!(
        !v.is_valid(&json!({"reason": "FRAUD"})),
        "the explicit schema"
    );
    let watch = &tools[1];
    assert_eq!(watch["server_streaming"], true);
    assert_eq!(watch["client_streaming"], false);
    assert_eq!(watch["schema_ref"], "grpc:payments.v1.RefundRequest");
    assert_refund_schema(&watch["schema"]);
    assert_eq!(tools[2]["client_streaming"], true);
    assert_eq!(tools[2]["input"], "payments.v1.Refund");

    // an HTTP adapter: its routes and schemas
    let shop = describe(&cfg, "shop");
    assert_eq!(shop["kind"], "http");
    assert_eq!(shop["tools"][0]["name"], "shop.buy");
    assert_eq!(shop["tools"][0]["method"], "POST");
    assert_eq!(shop["tools"][0]["path"], "/buy");
    assert_eq!(
        shop["tools"][0]["schema"]["properties"]["qty"]["type"],
        "integer"
    );
    assert!(shop.get("services").is_none());

    // an adapter that does not exist: exit 2, naming those that do
    let (code, out, err) = toolwall(&[
        "adapters",
        "describe",
        "payments",
        "-c",
        cfg.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("no adapter `payments`") && err.contains("payments_grpc, shop"),
        "{err}"
    );
}

#[test]
fn check_names_the_position_of_grpc_errors() {
    let (dir, cfg) = config_dir(&[
        (
            "a.yaml",
            "name: first\nkind: grpc\nupstream: http://127.0.0.1:50051\ndescriptor_set: protos/payments.pb\ntools:\n  - name: refund\n    match: { service: payments.v1.Payments, method: CreateRefund }\n",
        ),
        (
            "b.yaml",
            "name: second\nkind: grpc\nupstream: http://127.0.0.1:50052\ndescriptor_set: protos/payments.pb\ntools:\n  - name: watch\n    match:\n      service: payments.v1.Payments\n      method: WatchRefunds\n  - name: typo\n    match: { service: payments.v1.Payments, method: Refund }\n",
        ),
        (
            "c.yaml",
            "name: third\nkind: grpc\nupstream: http://127.0.0.1:50053\ndescriptor_set: protos/no-imports.pb\n",
        ),
    ]);
    protoc(&dir.path().join("adapters/protos/payments.pb"), true);
    // without --include_imports the set lacks timestamp.proto and money.proto
    protoc(&dir.path().join("adapters/protos/no-imports.pb"), false);
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    let a = dir.path().join("adapters/a.yaml").display().to_string();
    let b = dir.path().join("adapters/b.yaml").display().to_string();
    let c = dir.path().join("adapters/c.yaml").display().to_string();
    let has = |prefix: String, message: &str| {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&prefix) && l.contains(message)),
            "no `{prefix}…{message}` in:\n{err}"
        );
    };
    has(
        format!("{b}:8:16: "),
        &format!("service payments.v1.Payments is already guarded by adapter `first` ({a})"),
    );
    has(
        format!("{b}:11:53: "),
        "service payments.v1.Payments has no method `Refund` (it has: CreateRefund, WatchRefunds, UploadEvidence)",
    );
    has(
        format!("{c}:4:17: "),
        "descriptor_set protos/no-imports.pb: not a usable FileDescriptorSet",
    );
    assert!(err.contains("3 error(s)"), "{err}");
}

/// A grpcio server with reflection on 127.0.0.1, serving the services of a descriptor set;
/// stopped (killed and reaped) on drop.
struct ReflectionServer {
    child: Child,
    port: u16,
}

impl ReflectionServer {
    /// `flag`: `--no-deps`, `--no-files` or nothing (see the script).
    fn start(set: &Path, flag: Option<&str>) -> ReflectionServer {
        Self::start_with(set, flag.into_iter().map(Into::into).collect())
    }

    fn start_with(set: &Path, args: Vec<std::ffi::OsString>) -> ReflectionServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/grpc/reflection_server.py");
        let mut cmd = Command::new(python());
        cmd.arg(script).arg(set);
        cmd.args(args);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the reflection server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no port from the server: {line:?}"));
        ReflectionServer { child, port }
    }
}

impl Drop for ReflectionServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reflection_adapter(port: u16) -> String {
    format!(
        "name: payments_grpc\nkind: grpc\nupstream: http://127.0.0.1:{port}\nreflection: true\ntools:\n  - name: refund\n    match: {{ service: payments.v1.Payments, method: CreateRefund }}\n  - name: watch\n    match: {{ service: payments.v1.Payments, method: WatchRefunds }}\n"
    )
}

#[test]
fn a_reflection_adapter_loads_its_descriptors_from_the_server() {
    let protos = tempfile::tempdir().expect("tmp");
    let set = protos.path().join("payments.pb");
    protoc(&set, true);
    // with every dependency in the answer, and with only the file asked for (the client then
    // asks for money.proto and timestamp.proto by name)
    for flag in [None, Some("--no-deps")] {
        let server = ReflectionServer::start(&set, flag);
        let (_dir, cfg) = config_dir(&[("payments.yaml", &reflection_adapter(server.port))]);
        let (code, out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
        assert_eq!(code, 0, "{flag:?}: {err}");
        assert!(out.contains("1 adapter(s), 2 tool(s)"), "{out}");
        let d = describe(&cfg, "payments_grpc");
        assert_eq!(d["reflection"], true);
        assert_eq!(d["services"], json!(["payments.v1.Payments"]));
        let tools = d["tools"].as_array().expect("tools");
        assert_eq!(tools.len(), 2);
        assert_eq!(tools[0]["path"], "/payments.v1.Payments/CreateRefund");
        assert_eq!(tools[1]["method"], "WatchRefunds");
        assert_eq!(tools[1]["server_streaming"], true);
        assert_refund_schema(&tools[0]["schema"]);
        assert_eq!(tools[0]["schema"], tools[1]["schema"]);

        // a method the server's descriptors do not have: at the method, as with a file
        let typo = reflection_adapter(server.port).replace("method: WatchRefunds", "method: Watch");
        let (_dir, cfg) = config_dir(&[("payments.yaml", &typo)]);
        let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
        assert_eq!(code, 1);
        assert!(
            err.contains("payments.yaml:9:53: service payments.v1.Payments has no method `Watch`"),
            "{err}"
        );
        // a service the server does not know: at `reflection`, naming it
        let unknown = reflection_adapter(server.port).replace(
            "service: payments.v1.Payments, method: WatchRefunds",
            "service: payments.v1.Refunds, method: Watch",
        );
        let (_dir, cfg) = config_dir(&[("payments.yaml", &unknown)]);
        let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
        assert_eq!(code, 1);
        assert!(
            err.contains("payments.yaml:4:13: reflection: upstream http://127.0.0.1:")
                && err.contains("cannot describe `payments.v1.Refunds`"),
            "{err}"
        );
    }
}

#[test]
fn a_reflection_adapter_whose_server_is_down_fails_at_reflection() {
    let protos = tempfile::tempdir().expect("tmp");
    let set = protos.path().join("payments.pb");
    protoc(&set, true);
    // a server that answers without the file asked for
    let broken = ReflectionServer::start(&set, Some("--no-files"));
    let (_dir, cfg) = config_dir(&[("payments.yaml", &reflection_adapter(broken.port))]);
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("payments.yaml:4:13: reflection: upstream http://127.0.0.1:")
            && err.contains("no file defines `payments.v1.Payments`"),
        "{err}"
    );
    drop(broken);

    let server = ReflectionServer::start(&set, None);
    let port = server.port;
    drop(server);
    let (dir, cfg) = config_dir(&[("payments.yaml", &reflection_adapter(port))]);
    let started = std::time::Instant::now();
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let file = dir
        .path()
        .join("adapters/payments.yaml")
        .display()
        .to_string();
    let line = err
        .lines()
        .find(|l| l.contains("reflection:"))
        .unwrap_or_else(|| panic!("no reflection error in:\n{err}"));
    assert!(
        line.starts_with(&format!(
            "{file}:4:13: reflection: upstream http://127.0.0.1:{port}: "
        )),
        "{line}"
    );
    assert!(err.contains("1 error(s)"), "{err}");
}

/// A CA and a certificate for 127.0.0.1 it signed: (CA PEM, leaf chain PEM, leaf key PEM).
fn tls_files() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "toolwall grpc test CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

#[test]
fn reflection_over_tls_trusts_the_adapters_ca() {
    let work = tempfile::tempdir().expect("tmp");
    let set = work.path().join("payments.pb");
    protoc(&set, true);
    let (ca, cert, key) = tls_files();
    write(work.path(), "cert.pem", &cert);
    write(work.path(), "key.pem", &key);
    let server = ReflectionServer::start_with(
        &set,
        vec![
            "--tls".into(),
            work.path().join("cert.pem").into(),
            work.path().join("key.pem").into(),
        ],
    );
    let adapter = reflection_adapter(server.port).replace("http://", "https://");
    // with the CA that signed the server's certificate
    let with_ca = adapter.replace(
        "reflection: true\n",
        "reflection: true\ntls: { ca: ca.pem }\n",
    );
    let (_dir, cfg) = config_dir(&[("payments.yaml", &with_ca), ("ca.pem", &ca)]);
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    let d = describe(&cfg, "payments_grpc");
    assert_eq!(d["upstream"], format!("https://127.0.0.1:{}", server.port));
    assert_refund_schema(&d["tools"][0]["schema"]);
    // without it the certificate is not trusted: refused at `reflection`
    let (_dir, cfg) = config_dir(&[("payments.yaml", &adapter)]);
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("payments.yaml:4:13: reflection: upstream https://127.0.0.1:")
            && err.to_lowercase().contains("certificate"),
        "{err}"
    );
}
