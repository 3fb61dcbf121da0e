//! A gRPC server reflection client (`grpc.reflection.v1`, falling back to `v1alpha` when the
//! server does not implement v1): the files that define a set of services, with every file
//! they import, as the bytes of one `FileDescriptorSet`.
//!
//! Each request is its own call on the bidirectional `ServerReflectionInfo` method (one
//! request message, then the end of the stream) over one pooled HTTP/2 connection; a file
//! the server already sent is not asked for twice. Config loading is synchronous, so
//! [`fetch_blocking`] runs the client on a runtime of its own in a thread of its own, inside
//! or outside tokio alike, within an overall timeout.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use prost::Message;
use rustls_pki_types::CertificateDer;

use crate::config::grpc::{build_grpc_client, GrpcBodyError, GrpcClient};

/// The largest reflection answer read (one call's body).
const MAX_ANSWER: usize = 64 * 1024 * 1024;
/// The most files one service set may pull in.
const MAX_FILES: usize = 4096;

const V1: &str = "grpc.reflection.v1.ServerReflection";
const V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

#[derive(Clone, PartialEq, Message)]
struct ReflectionRequest {
    #[prost(string, tag = "1")]
    host: String,
    #[prost(oneof = "Ask", tags = "3, 4, 7")]
    ask: Option<Ask>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Ask {
    #[prost(string, tag = "3")]
    FileByFilename(String),
    #[prost(string, tag = "4")]
    FileContainingSymbol(String),
    #[prost(string, tag = "7")]
    ListServices(String),
}

#[derive(Clone, PartialEq, Message)]
struct ReflectionResponse {
    #[prost(string, tag = "1")]
    valid_host: String,
    #[prost(oneof = "Answer", tags = "4, 6, 7")]
    answer: Option<Answer>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Answer {
    #[prost(message, tag = "4")]
    Files(FileDescriptorResponse),
    #[prost(message, tag = "6")]
    Services(ListServiceResponse),
    #[prost(message, tag = "7")]
    Error(ErrorResponse),
}

#[derive(Clone, PartialEq, Message)]
struct FileDescriptorResponse {
    #[prost(bytes = "vec", repeated, tag = "1")]
    file_descriptor_proto: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct ListServiceResponse {
    #[prost(message, repeated, tag = "1")]
    service: Vec<ServiceResponse>,
}

#[derive(Clone, PartialEq, Message)]
struct ServiceResponse {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, Message)]
struct ErrorResponse {
    #[prost(int32, tag = "1")]
    error_code: i32,
    #[prost(string, tag = "2")]
    error_message: String,
}

/// The parts of a `FileDescriptorProto` the closure needs (unknown fields are skipped).
#[derive(Clone, PartialEq, Message)]
struct FileHead {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, repeated, tag = "3")]
    dependency: Vec<String>,
}

/// Why reflection failed.
#[derive(Debug, thiserror::Error)]
pub enum ReflectionError {
    #[error("{0}")]
    Transport(String),
    #[error("the server does not implement gRPC reflection (v1 or v1alpha)")]
    Unimplemented,
    #[error("grpc-status {code}: {message}")]
    Status { code: u32, message: String },
    #[error("{0}")]
    Protocol(String),
    #[error("the server cannot describe `{what}`: {message}")]
    NotFound { what: String, message: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// The bytes of a `FileDescriptorSet` holding the files that define `services` and every file
/// they import, from the reflection service at `base` (`http://host:port`, h2c, or
/// `https://host:port` with the web PKI roots and `extra_ca`). Blocks the calling thread for at
/// most `timeout`.
pub fn fetch_blocking(
    base: &str,
    services: &[String],
    extra_ca: Option<&[CertificateDer<'static>]>,
    timeout: Duration,
) -> Result<Vec<u8>, ReflectionError> {
    let client =
        build_grpc_client(extra_ca).map_err(|e| ReflectionError::Transport(e.error.to_string()))?;
    let base = base.trim_end_matches('/').to_string();
    let services = services.to_vec();
    let worker = std::thread::Builder::new()
        .name("toolwall-grpc-reflection".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| ReflectionError::Transport(format!("runtime: {e}")))?;
            rt.block_on(async {
                tokio::time::timeout(timeout, fetch(&client, &base, &services))
                    .await
                    .map_err(|_| ReflectionError::Timeout(timeout))?
            })
        })
        .map_err(|e| ReflectionError::Transport(format!("thread: {e}")))?;
    worker
        .join()
        .map_err(|_| ReflectionError::Transport("the reflection client panicked".into()))?
}

/// [`fetch_blocking`] on the caller's runtime.
pub async fn fetch(
    client: &GrpcClient,
    base: &str,
    services: &[String],
) -> Result<Vec<u8>, ReflectionError> {
    let mut service = V1;
    // file name → its FileDescriptorProto bytes
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut wanted: VecDeque<Ask> = services
        .iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|s| Ask::FileContainingSymbol(s.clone()))
        .collect();
    while let Some(ask) = wanted.pop_front() {
        if let Ask::FileByFilename(name) = &ask {
            if files.contains_key(name) {
                continue;
            }
        }
        let answer = match call(client, base, service, &ask).await {
            Err(ReflectionError::Unimplemented) if service == V1 => {
                service = V1ALPHA;
                call(client, base, service, &ask).await?
            }
            other => other?,
        };
        let got = match answer {
            Answer::Files(f) => f.file_descriptor_proto,
            Answer::Error(e) => {
                return Err(ReflectionError::NotFound {
                    what: match ask {
                        Ask::FileByFilename(n) => format!("file {n}"),
                        Ask::FileContainingSymbol(s) => s,
                        Ask::ListServices(_) => "its services".into(),
                    },
                    message: format!("{} (code {})", e.error_message, e.error_code),
                })
            }
            Answer::Services(_) => {
                return Err(ReflectionError::Protocol(
                    "a service list where files were asked for".into(),
                ))
            }
        };
        if got.is_empty() {
            if let Ask::FileContainingSymbol(symbol) = &ask {
                return Err(ReflectionError::Protocol(format!(
                    "no file defines `{symbol}` in the server's answer"
                )));
            }
        }
        let asked_file = match &ask {
            Ask::FileByFilename(name) => Some(name.clone()),
            _ => None,
        };
        for bytes in got {
            let head = FileHead::decode(bytes.as_slice()).map_err(|e| {
                ReflectionError::Protocol(format!("a file descriptor does not decode: {e}"))
            })?;
            let name = head.name.unwrap_or_default();
            if files.contains_key(&name) {
                continue;
            }
            for dep in head.dependency {
                if !files.contains_key(&dep) {
                    wanted.push_back(Ask::FileByFilename(dep));
                }
            }
            files.insert(name, bytes);
            if files.len() > MAX_FILES {
                return Err(ReflectionError::Protocol(format!(
                    "more than {MAX_FILES} files"
                )));
            }
        }
        if let Some(name) = asked_file {
            if !files.contains_key(&name) {
                return Err(ReflectionError::Protocol(format!(
                    "the answer for file {name} does not hold it"
                )));
            }
        }
    }
    // a FileDescriptorSet: field 1, each file length-delimited
    let mut set = Vec::new();
    for bytes in files.values() {
        prost::encoding::bytes::encode(1, bytes, &mut set);
    }
    Ok(set)
}

/// One `ServerReflectionInfo` call with one request; its one answer.
async fn call(
    client: &GrpcClient,
    base: &str,
    service: &str,
    ask: &Ask,
) -> Result<Answer, ReflectionError> {
    let req = ReflectionRequest {
        host: String::new(),
        ask: Some(ask.clone()),
    };
    let body = Full::new(Bytes::from(super::grpc::frame(&req.encode_to_vec())))
        .map_err(|never| -> GrpcBodyError { match never {} })
        .boxed();
    let uri = format!("{base}/{service}/ServerReflectionInfo");
    let request = http::Request::post(&uri)
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(http::header::TE, "trailers")
        .body(body)
        .map_err(|e| ReflectionError::Transport(format!("{uri}: {e}")))?;
    let resp = client
        .request(request)
        .await
        .map_err(|e| ReflectionError::Transport(transport_error(&e)))?;
    let (parts, body) = resp.into_parts();
    if parts.status != http::StatusCode::OK {
        return Err(ReflectionError::Protocol(format!(
            "HTTP status {}",
            parts.status
        )));
    }
    let collected = Limited::new(body, MAX_ANSWER)
        .collect()
        .await
        .map_err(|e| ReflectionError::Transport(format!("reading the answer: {e}")))?;
    let trailers = collected.trailers().cloned();
    let data = collected.to_bytes();
    // grpc-status: in the trailers, or in the headers of a trailers-only answer
    let status_of = |h: &http::HeaderMap| {
        let code = h
            .get("grpc-status")?
            .to_str()
            .ok()?
            .trim()
            .parse::<u32>()
            .ok();
        let message = h
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .map(|m| {
                percent_encoding::percent_decode_str(m)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
        Some((code, message))
    };
    let status = trailers
        .as_ref()
        .and_then(status_of)
        .or_else(|| status_of(&parts.headers));
    match status {
        Some((Some(0), _)) => {}
        Some((Some(12), _)) => return Err(ReflectionError::Unimplemented),
        Some((Some(code), message)) => return Err(ReflectionError::Status { code, message }),
        Some((None, _)) | None => {
            return Err(ReflectionError::Protocol(
                "the answer has no grpc-status".into(),
            ))
        }
    }
    let (frame, _rest) = super::grpc::next_frame(&data, MAX_ANSWER)
        .map_err(|e| ReflectionError::Protocol(format!("the answer: {e}")))?;
    if frame.compressed {
        return Err(ReflectionError::Protocol(
            "a compressed answer (none was offered)".into(),
        ));
    }
    let resp = ReflectionResponse::decode(frame.payload)
        .map_err(|e| ReflectionError::Protocol(format!("the answer does not decode: {e}")))?;
    resp.answer
        .ok_or_else(|| ReflectionError::Protocol("an empty answer".into()))
}

/// A client error with its causes (hyper's own message is only "client error (Connect)").
fn transport_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_encode_as_the_reflection_proto() {
        let req = ReflectionRequest {
            host: String::new(),
            ask: Some(Ask::FileContainingSymbol("a.B".into())),
        };
        // field 4, length 3, "a.B"
        assert_eq!(req.encode_to_vec(), [0x22, 3, b'a', b'.', b'B']);
        let resp = ReflectionResponse {
            valid_host: String::new(),
            answer: Some(Answer::Error(ErrorResponse {
                error_code: 5,
                error_message: "nope".into(),
            })),
        };
        let back = ReflectionResponse::decode(resp.encode_to_vec().as_slice()).expect("decode");
        assert_eq!(back, resp);
    }

    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use http_body_util::StreamBody;
    use hyper::body::Frame;
    use prost_types::{FileDescriptorProto, FileDescriptorSet, ServiceDescriptorProto};

    /// `a.proto` (service `a.S`, importing `b.proto`) and `b.proto`.
    fn files() -> Vec<FileDescriptorProto> {
        let b = FileDescriptorProto {
            name: Some("b.proto".into()),
            package: Some("b".into()),
            syntax: Some("proto3".into()),
            message_type: vec![prost_types::DescriptorProto {
                name: Some("M".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let a = FileDescriptorProto {
            name: Some("a.proto".into()),
            package: Some("a".into()),
            syntax: Some("proto3".into()),
            dependency: vec!["b.proto".into()],
            service: vec![ServiceDescriptorProto {
                name: Some("S".into()),
                method: vec![prost_types::MethodDescriptorProto {
                    name: Some("Call".into()),
                    input_type: Some(".b.M".into()),
                    output_type: Some(".b.M".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        vec![a, b]
    }

    type Reply = http::Response<
        StreamBody<
            futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>,
        >,
    >;

    /// A reflection server on 127.0.0.1 (h2c) that answers each request with only the file
    /// asked for (never its imports); `v1`: whether it implements v1 (else v1alpha only).
    /// Records the paths called.
    async fn server(v1: bool) -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let path = req.uri().path().to_string();
                            seen.lock().expect("lock").push(path.clone());
                            let body = req.into_body().collect().await.expect("body").to_bytes();
                            let mut trailers = http::HeaderMap::new();
                            if path.starts_with("/grpc.reflection.v1.") && !v1 {
                                let reply: Reply = http::Response::builder()
                                    .header("content-type", "application/grpc")
                                    .header("grpc-status", "12")
                                    .body(StreamBody::new(futures_util::stream::iter(vec![])))
                                    .expect("reply");
                                return Ok::<_, Infallible>(reply);
                            }
                            let (frame, _) =
                                crate::protocol::grpc::next_frame(&body, 1 << 20).expect("frame");
                            let req = ReflectionRequest::decode(frame.payload).expect("request");
                            let want = match req.ask {
                                Some(Ask::FileContainingSymbol(s)) => {
                                    if s == "a.S" {
                                        Some("a.proto".to_string())
                                    } else {
                                        None
                                    }
                                }
                                Some(Ask::FileByFilename(n)) => Some(n),
                                _ => None,
                            };
                            let answer = match files().into_iter().find(|f| f.name == want) {
                                Some(f) => Answer::Files(FileDescriptorResponse {
                                    file_descriptor_proto: vec![f.encode_to_vec()],
                                }),
                                None => Answer::Error(ErrorResponse {
                                    error_code: 5,
                                    error_message: "not found".into(),
                                }),
                            };
                            let msg = ReflectionResponse {
                                valid_host: String::new(),
                                answer: Some(answer),
                            };
                            trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                            let frames = vec![
                                Ok(Frame::data(Bytes::from(crate::protocol::grpc::frame(
                                    &msg.encode_to_vec(),
                                )))),
                                Ok(Frame::trailers(trailers)),
                            ];
                            let reply: Reply = http::Response::builder()
                                .header("content-type", "application/grpc")
                                .body(StreamBody::new(futures_util::stream::iter(frames)))
                                .expect("reply");
                            Ok(reply)
                        }
                    });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
                });
            }
        });
        (addr, calls)
    }

    #[tokio::test]
    async fn v1_first_then_v1alpha_and_imports_by_name() {
        for v1 in [true, false] {
            let (addr, calls) = server(v1).await;
            let base = format!("http://{addr}");
            // from inside a runtime: the blocking client runs on a thread of its own
            let set = tokio::task::spawn_blocking(move || {
                fetch_blocking(&base, &["a.S".to_string()], None, Duration::from_secs(5))
            })
            .await
            .expect("join")
            .expect("fetched");
            let d = crate::protocol::grpc::Descriptors::decode(&set).expect("a closed set");
            assert!(d.method("a.S", "Call").is_some());
            let parsed = FileDescriptorSet::decode(set.as_slice()).expect("set");
            let names: Vec<_> = parsed.file.iter().filter_map(|f| f.name.clone()).collect();
            assert_eq!(names, ["a.proto", "b.proto"]);
            let calls = calls.lock().expect("lock").clone();
            let v1_path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
            let alpha_path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
            if v1 {
                assert_eq!(calls, [v1_path, v1_path]);
            } else {
                assert_eq!(calls, [v1_path, alpha_path, alpha_path]);
            }
        }
        // a symbol the server does not know
        let (addr, _) = server(true).await;
        let base = format!("http://{addr}");
        let e = tokio::task::spawn_blocking(move || {
            fetch_blocking(&base, &["z.Nope".to_string()], None, Duration::from_secs(5))
        })
        .await
        .expect("join")
        .expect_err("unknown");
        assert!(
            e.to_string()
                .contains("cannot describe `z.Nope`: not found (code 5)"),
            "{e}"
        );
    }

    #[test]
    fn a_server_that_is_not_there_fails_within_the_timeout() {
        // a port nothing listens on: bind one, then close it
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let started = std::time::Instant::now();
        let e = fetch_blocking(
            &format!("http://127.0.0.1:{port}"),
            &["x.Y".to_string()],
            None,
            Duration::from_secs(5),
        )
        .expect_err("nothing listens");
        assert!(matches!(e, ReflectionError::Transport(_)), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // a server that accepts and never answers: the overall timeout
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = silent.local_addr().expect("addr");
        let e = fetch_blocking(
            &format!("http://{addr}"),
            &["x.Y".to_string()],
            None,
            Duration::from_millis(300),
        )
        .expect_err("silent");
        assert!(matches!(e, ReflectionError::Timeout(_)), "{e}");
        drop(silent);
    }
}
