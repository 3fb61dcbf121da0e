//! gRPC adapters (`kind: grpc`): the descriptor set an adapter's methods are typed by, the
//! methods it guards, and the HTTP/2-only client calls are forwarded over.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost_reflect::MethodDescriptor;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use super::error::{AtPath, ConfigError};
use super::raw::{RawAdapter, RawMatch};
use super::upstream::Upstream;
use crate::diag::Diag;
use crate::proto::Descriptors;

/// A request body sent upstream: one buffered message, or the messages of a client stream as
/// they are admitted (an error resets the upstream stream).
pub type GrpcBody = BoxBody<Bytes, GrpcBodyError>;

/// Why toolwall ended a client stream it was relaying (the upstream stream is reset).
#[derive(Debug, thiserror::Error)]
#[error("toolwall ended the stream: {0}")]
pub struct GrpcBodyError(pub String);

impl From<Infallible> for GrpcBodyError {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// HTTP/2 only (prior knowledge for `http://`, ALPN h2 for `https://`), pooled.
pub type GrpcClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, GrpcBody>;

/// What a `kind: grpc` adapter adds to an adapter.
pub struct GrpcAdapter {
    /// The descriptor set (from `descriptor_set:` or the server's reflection service).
    pub descriptors: Descriptors,
    /// `/package.Service/Method` → the index of its tool in `Adapter::tools`.
    pub methods: HashMap<String, usize>,
    /// The services this adapter guards (fully qualified): those its tools' `match` name. A
    /// call to another method of one of them is `unknown_tool`.
    pub services: Vec<String>,
    /// `unknown_fields: refuse` (default): a message with fields the descriptor does not know
    /// is refused (what a policy never saw must not reach the tool).
    pub deny_unknown_fields: bool,
    /// `reflection: true`: descriptors were loaded from the server at start / reload.
    pub reflection: bool,
    pub client: GrpcClient,
}

impl GrpcAdapter {
    /// The tool index of a request path (`/package.Service/Method`).
    pub fn method(&self, path: &str) -> Option<usize> {
        self.methods.get(path).copied()
    }
}

/// What a gRPC adapter's tool adds to a tool.
#[derive(Debug, Clone)]
pub struct GrpcMethod {
    /// Fully qualified service, `payments.v1.Payments`.
    pub service: String,
    /// `CreateRefund`.
    pub method: String,
    /// `/payments.v1.Payments/CreateRefund`.
    pub path: String,
    /// Input and output message types, streaming kinds.
    pub desc: MethodDescriptor,
}

/// The HTTP/2-only client of a gRPC adapter: web PKI roots plus `extra_ca`, rustls with ring.
pub fn build_grpc_client(
    extra_ca: Option<&[CertificateDer<'static>]>,
) -> Result<GrpcClient, AtPath> {
    Ok(Client::builder(TokioExecutor::new())
        .http2_only(true)
        .pool_idle_timeout(Duration::from_secs(60))
        .build(super::upstream::connector(extra_ca, true)?))
}

/// A gRPC adapter's descriptors: `descriptor_set:` read (relative to the adapter file,
/// watched for reload) or `reflection: true` asked of the upstream; their bytes go into the
/// config version. Errors are at the key they are about.
pub(super) fn load_descriptors(
    file: &Path,
    raw: &RawAdapter,
    upstream: &Upstream,
    extra_ca: Option<&[CertificateDer<'static>]>,
    hasher: &mut Sha256,
) -> Result<Descriptors, AtPath> {
    if !upstream.base_path.is_empty() {
        return Err(ConfigError::GrpcUpstreamPath(raw.upstream.clone()).at("upstream"));
    }
    let reflection = raw.reflection == Some(true);
    let bytes = match (&raw.descriptor_set, reflection) {
        (Some(_), true) => return Err(ConfigError::GrpcBothDescriptors.at("reflection")),
        (None, false) => {
            let at = if raw.reflection.is_some() {
                "reflection"
            } else {
                "kind"
            };
            return Err(ConfigError::GrpcNoDescriptors.at(at));
        }
        (Some(rel), false) => {
            let p = file.parent().unwrap_or(Path::new(".")).join(rel);
            super::watch::note_file(&p);
            let bytes = std::fs::read(&p).map_err(|source| {
                ConfigError::DescriptorSetRead {
                    rel: rel.clone(),
                    source,
                }
                .at("descriptor_set")
            })?;
            let d = Descriptors::decode(&bytes).map_err(|message| {
                ConfigError::DescriptorSetBad {
                    rel: rel.clone(),
                    message,
                }
                .at("descriptor_set")
            })?;
            hasher.update(b"descriptor_set\0");
            hasher.update(&bytes);
            return Ok(d);
        }
        (None, true) => {
            let services: Vec<String> = raw
                .tools
                .iter()
                .filter_map(|t| t.match_.as_ref()?.service.clone())
                .collect();
            let scheme = if upstream.https { "https" } else { "http" };
            let base = format!("{scheme}://{}", upstream.authority);
            super::reflection::fetch_blocking(&base, &services, extra_ca, REFLECTION_TIMEOUT)
                .map_err(|e| {
                    ConfigError::Reflection(format!("upstream {base}: {e}")).at("reflection")
                })?
        }
    };
    let d = Descriptors::decode(&bytes).map_err(|e| {
        ConfigError::Reflection(format!("the server's descriptors: {e}")).at("reflection")
    })?;
    hasher.update(b"reflection\0");
    hasher.update(&bytes);
    Ok(d)
}

/// How long loading one adapter's descriptors by reflection may take.
pub const REFLECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// A gRPC tool's `match: {service, method}`, resolved in the descriptors.
pub(super) fn compile_match<F, G>(
    m: &RawMatch,
    descriptors: Option<&Descriptors>,
    at: &F,
) -> Result<GrpcMethod, Diag>
where
    F: Fn(&str) -> G,
    G: FnOnce(ConfigError) -> Diag,
{
    if m.path.is_some() {
        return Err(at(".match.path")(ConfigError::GrpcMatchKey { key: "path" }));
    }
    let Some(service) = &m.service else {
        return Err(at(".match")(ConfigError::MatchFieldMissing("service")));
    };
    let Some(method) = &m.method else {
        return Err(at(".match")(ConfigError::MatchFieldMissing("method")));
    };
    let Some(descriptors) = descriptors else {
        return Err(at(".match.service")(ConfigError::GrpcUnknownService {
            service: service.clone(),
            known: "nothing".into(),
        }));
    };
    let Some(svc) = descriptors.service(service) else {
        let mut known: Vec<String> = descriptors.services().collect();
        known.sort();
        return Err(at(".match.service")(ConfigError::GrpcUnknownService {
            service: service.clone(),
            known: list(known),
        }));
    };
    let Some(desc) = svc.methods().find(|x| x.name() == method) else {
        let known = svc.methods().map(|x| x.name().to_string()).collect();
        return Err(at(".match.method")(ConfigError::GrpcUnknownMethod {
            service: service.clone(),
            method: method.clone(),
            known: list(known),
        }));
    };
    Ok(GrpcMethod {
        service: service.clone(),
        method: method.clone(),
        path: format!("/{service}/{method}"),
        desc,
    })
}

/// Names for a message, at most 20 of them.
fn list(names: Vec<String>) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let more = names.len().saturating_sub(20);
    let mut out = names.into_iter().take(20).collect::<Vec<_>>().join(", ");
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

/// A descriptor set for tests: `payments.v1.Payments` (`CreateRefund`, `GetRefund`, the
/// server-streaming `WatchRefunds`) and `ledger.v1.Ledger` (`Post`).
#[cfg(test)]
pub(crate) fn test_descriptor_set() -> Vec<u8> {
    use prost::Message;
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
        MethodDescriptorProto, ServiceDescriptorProto,
    };
    let field = |name: &str, number: i32, ty: Type| FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(Label::Optional as i32),
        r#type: Some(ty as i32),
        ..Default::default()
    };
    let message = |name: &str, fields: Vec<FieldDescriptorProto>| DescriptorProto {
        name: Some(name.into()),
        field: fields,
        ..Default::default()
    };
    let method =
        |name: &str, input: &str, output: &str, server_streaming: bool| MethodDescriptorProto {
            name: Some(name.into()),
            input_type: Some(input.into()),
            output_type: Some(output.into()),
            server_streaming: Some(server_streaming),
            ..Default::default()
        };
    let payments = FileDescriptorProto {
        name: Some("payments/v1/payments.proto".into()),
        package: Some("payments.v1".into()),
        syntax: Some("proto3".into()),
        message_type: vec![
            message(
                "RefundRequest",
                vec![
                    field("charge_id", 1, Type::String),
                    field("amount_cents", 2, Type::Int64),
                    field("reason", 3, Type::String),
                ],
            ),
            message("Refund", vec![field("id", 1, Type::String)]),
            message("GetRefundRequest", vec![field("id", 1, Type::String)]),
        ],
        service: vec![ServiceDescriptorProto {
            name: Some("Payments".into()),
            method: vec![
                method(
                    "CreateRefund",
                    ".payments.v1.RefundRequest",
                    ".payments.v1.Refund",
                    false,
                ),
                method(
                    "GetRefund",
                    ".payments.v1.GetRefundRequest",
                    ".payments.v1.Refund",
                    false,
                ),
                method(
                    "WatchRefunds",
                    ".payments.v1.GetRefundRequest",
                    ".payments.v1.Refund",
                    true,
                ),
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    let ledger = FileDescriptorProto {
        name: Some("ledger/v1/ledger.proto".into()),
        package: Some("ledger.v1".into()),
        syntax: Some("proto3".into()),
        message_type: vec![message("Entry", vec![field("cents", 1, Type::Sint64)])],
        service: vec![ServiceDescriptorProto {
            name: Some("Ledger".into()),
            method: vec![method(
                "Post",
                ".ledger.v1.Entry",
                ".ledger.v1.Entry",
                false,
            )],
            ..Default::default()
        }],
        ..Default::default()
    };
    FileDescriptorSet {
        file: vec![payments, ledger],
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_snapshot;
    use serde_json::json;

    const POLICY: &str =
        "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n";

    fn setup(adapter: &str, set: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tmp");
        for (rel, text) in [
            ("toolwall.yaml", "identity:\n  static: { agent: a }\n"),
            ("policies/p.rego", POLICY),
            ("adapters/pay.yaml", adapter),
            (
                "adapters/schemas/refund.json",
                r#"{"properties": {"amountCents": {"pattern": "^[0-9]{1,4}$"}}, "required": ["chargeId"]}"#,
            ),
        ] {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        std::fs::create_dir_all(dir.path().join("adapters/protos")).expect("mkdir");
        std::fs::write(dir.path().join("adapters/protos/pay.pb"), set).expect("write");
        dir
    }

    const ADAPTER: &str = "name: pay\nkind: grpc\nupstream: http://127.0.0.1:50051\ndescriptor_set: protos/pay.pb\ntools:\n  - name: refund\n    match: { service: payments.v1.Payments, method: CreateRefund }\n    schema: schemas/refund.json\n    cost_usd: 2\n    risk: { money_movement: true }\n  - name: get\n    match: { service: payments.v1.Payments, method: GetRefund }\n    read_only: true\n  - name: post\n    match: { service: ledger.v1.Ledger, method: Post }\n";

    #[test]
    fn a_grpc_adapter_compiles_to_its_methods_and_schemas() {
        let dir = setup(ADAPTER, &test_descriptor_set());
        let loaded = load_snapshot(&dir.path().join("toolwall.yaml"), false).expect("loads");
        let snap = &loaded.snapshot;
        let idx = snap
            .adapter_by_grpc_service("payments.v1.Payments")
            .expect("routed");
        assert_eq!(snap.adapter_by_grpc_service("ledger.v1.Ledger"), Some(idx));
        assert_eq!(snap.adapter_by_grpc_service("payments.v1.Payment"), None);
        let a = &snap.adapters[idx];
        let g = a.grpc.as_ref().expect("grpc");
        assert_eq!(g.services, ["payments.v1.Payments", "ledger.v1.Ledger"]);
        assert!(g.deny_unknown_fields);
        assert!(!g.reflection);
        assert_eq!(g.method("/payments.v1.Payments/CreateRefund"), Some(0));
        assert_eq!(g.method("/payments.v1.Payments/GetRefund"), Some(1));
        assert_eq!(g.method("/ledger.v1.Ledger/Post"), Some(2));
        assert_eq!(g.method("/payments.v1.Payments/WatchRefunds"), None);
        let refund = &a.tools[0];
        assert_eq!(refund.name, "pay.refund");
        assert_eq!(refund.method, http::Method::POST);
        assert_eq!(refund.path, "/payments.v1.Payments/CreateRefund");
        assert_eq!(refund.cost_usd, 2.0);
        assert_eq!(refund.risk, json!({"money_movement": true}));
        assert_eq!(refund.schema_ref.as_deref(), Some("schemas/refund.json"));
        let m = refund.grpc.as_ref().expect("method");
        assert_eq!(
            (m.service.as_str(), m.method.as_str()),
            ("payments.v1.Payments", "CreateRefund")
        );
        assert_eq!(m.desc.input().full_name(), "payments.v1.RefundRequest");
        // both schemas must pass: the derived one (types, closed) and the explicit one
        let v = refund.schema.as_ref().expect("schema");
        assert!(v.is_valid(&json!({"chargeId": "ch_1", "amountCents": "500"})));
        assert!(
            !v.is_valid(&json!({"chargeId": "ch_1", "amountCents": 500})),
            "type"
        );
        assert!(
            !v.is_valid(&json!({"chargeId": "ch_1", "amountCents": "50000"})),
            "explicit"
        );
        assert!(
            !v.is_valid(&json!({"amountCents": "5"})),
            "explicit required"
        );
        assert!(!v.is_valid(&json!({"chargeId": "c", "extra": 1})), "closed");
        let get = &a.tools[1];
        assert_eq!(
            get.schema_ref.as_deref(),
            Some("grpc:payments.v1.GetRefundRequest")
        );
        assert!(get.read_only);
        assert!(get
            .schema
            .as_ref()
            .expect("derived")
            .is_valid(&json!({"id": "r"})));
        // the HTTP route table finds them too
        let (i, _) = a
            .match_tool(&http::Method::POST, "/ledger.v1.Ledger/Post")
            .expect("route");
        assert_eq!(i, 2);
        assert_eq!(a.schemas.len(), 3);
        assert!(a.schemas[0].as_ref().expect("schema")["allOf"].is_array());
        // the descriptor set is watched for reload
        assert!(snap
            .watched
            .files
            .iter()
            .any(|f| f.ends_with("adapters/protos/pay.pb")));
    }

    #[test]
    fn the_descriptor_bytes_are_part_of_the_version() {
        let one = setup(ADAPTER, &test_descriptor_set());
        let v1 = load_snapshot(&one.path().join("toolwall.yaml"), false)
            .expect("loads")
            .snapshot
            .version;
        // the same set with one more (unused) file
        let mut set = prost_types::FileDescriptorSet::decode(test_descriptor_set().as_slice())
            .expect("decode");
        set.file.push(prost_types::FileDescriptorProto {
            name: Some("extra.proto".into()),
            package: Some("extra".into()),
            ..Default::default()
        });
        use prost::Message;
        let two = setup(ADAPTER, &set.encode_to_vec());
        let v2 = load_snapshot(&two.path().join("toolwall.yaml"), false)
            .expect("loads")
            .snapshot
            .version;
        assert_ne!(v1, v2);
        let again = setup(ADAPTER, &test_descriptor_set());
        let v3 = load_snapshot(&again.path().join("toolwall.yaml"), false)
            .expect("loads")
            .snapshot
            .version;
        assert_eq!(v1, v3);
    }

    #[test]
    fn unknown_fields_allow() {
        let adapter = ADAPTER.replace(
            "descriptor_set: protos/pay.pb\n",
            "descriptor_set: protos/pay.pb\nunknown_fields: allow\n",
        );
        let dir = setup(&adapter, &test_descriptor_set());
        let loaded = load_snapshot(&dir.path().join("toolwall.yaml"), false).expect("loads");
        let g = loaded.snapshot.adapters[0].grpc.as_ref().expect("grpc");
        assert!(!g.deny_unknown_fields);
    }
}
