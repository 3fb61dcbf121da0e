//! gRPC adapters (`kind: grpc`): the descriptor set an adapter's methods are typed by, the
//! methods it guards, and the HTTP/2-only client calls are forwarded over.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost_reflect::MethodDescriptor;
use rustls_pki_types::CertificateDer;

use super::error::{AtPath, ConfigError};
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
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for ca in extra_ca.unwrap_or_default() {
        roots
            .add(ca.clone())
            .map_err(|e| ConfigError::ClientCa(e).at("tls.ca"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::ClientTls(e).at("tls"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(5)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http2()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .http2_only(true)
        .pool_idle_timeout(Duration::from_secs(60))
        .build(https))
}
