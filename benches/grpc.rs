//! gRPC benches: the pre-forward cost of the bench's ~1 KB refund call as a gRPC message
//! against the same call over HTTP JSON, in the same run (the ratio is what docs/performance.md
//! reports), and the conversions on their own.
//!
//! - `grpc/http_pre_forward_1kb`: the HTTP path of `benches/pipeline.rs` (identify, classify,
//!   strict JSON parse, schema, PII scan, policy input, decision, the body re-serialised).
//! - `grpc/pre_forward_1kb`: identify, route by `/package.Service/Method`, read the one
//!   length-prefixed message, decode it to canonical JSON refusing unknown fields, schema (the
//!   derived schema and the HTTP tool's constraints, `allOf` as a gRPC tool with `schema:`
//!   compiles), PII scan, policy input with `input.grpc`, decision; the original bytes are
//!   what is forwarded (no re-encoding).
//! - `…_redacted`: both paths again when the decision's redaction plan changed the arguments
//!   (mask the findings, then re-serialise the JSON / re-encode the message and frame it).
//! - `grpc/to_json_1kb`, `grpc/from_json_1kb`: the conversions alone, and their parts
//!   (decode / serialise, deserialise / encode); `grpc/http_parse_strict_1kb`: the HTTP
//!   path's strict JSON parse of the same call, for comparison.
//!
//! The gRPC tool is the HTTP fixture's tool with its schema, path and method replaced, so the
//! same policy evaluates the same rules on both (`amount` is an `int32`, a JSON number, in
//! both). Descriptors come straight from `benches/fixtures/grpc/payments.pb`
//! (`benches/fixtures/grpc/gen.sh` regenerates it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http::Method;
use toolwall::protocol::grpc::{self, Descriptors, Encoding};
use toolwall::stage::{args, classify, identify, policy, schema};

/// The product's allocator, as in `benches/pipeline.rs`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SERVICE: &str = "bench.payments.v1.Payments";
const METHOD: &str = "CreateRefund";
const PATH: &str = "/bench.payments.v1.Payments/CreateRefund";
/// `request.max_body_bytes` of a default config: the bound on one message.
const MAX_MESSAGE: usize = 1 << 20;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures")
}

fn snapshot() -> toolwall::config::Snapshot {
    toolwall::config::load_snapshot(&fixtures().join("toolwall.yaml"), true)
        .unwrap_or_else(|e| panic!("bench config: {e}"))
        .snapshot
}

/// The HTTP tool's constraints the proto cannot say (an adapter's `schema:` on the method).
fn explicit_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "required": ["charge", "amount", "customer", "lineItems"],
        "properties": {
            "charge": {"type": "string", "pattern": "^ch_[A-Za-z0-9]+$"},
            "amount": {"type": "integer", "minimum": 1},
            "currency": {"enum": ["USD", "EUR", "GBP"]},
            "reason": {"type": "string", "maxLength": 200},
            "lineItems": {
                "type": "array",
                "maxItems": 50,
                "items": {"required": ["sku", "qty", "unitAmount"], "properties": {"qty": {"minimum": 1}}}
            }
        }
    })
}

fn bench(c: &mut Criterion) {
    // ---- HTTP: the pre-forward closure of benches/pipeline.rs
    let snap = snapshot();
    let body = Bytes::from(std::fs::read(fixtures().join("call.json")).expect("call.json"));
    let (request_parts, ()) = http::Request::builder()
        .method("POST")
        .uri("/payments/v1/refunds")
        .header("content-type", "application/json")
        .body(())
        .expect("request")
        .into_parts();
    let headers = request_parts.headers.clone();
    let adapter = &snap.adapters[0];
    let method = Method::POST;
    let path = "/v1/refunds";

    // identify … decide; the forwarded body is encoded after the decision, from the arguments
    // policy saw (masked when the plan says so), as the pipeline does
    let http_decide = |snap: &toolwall::config::Snapshot| {
        let principal = identify::identify(&snap.identity, &request_parts).expect("identity");
        let (tool_idx, params) =
            classify::classify_request(adapter, &method, path).expect("classify");
        let tool = &adapter.tools[tool_idx];
        let parsed = args::parse_args(tool, &headers, &body, None, params, 32).expect("args");
        schema::check_schema(tool, &parsed.args).expect("schema");
        let (findings, found) = toolwall::stage::redact::scan_args(&snap.redactor, &parsed.args);
        let facts = policy::RequestFacts {
            method: "POST",
            host: &adapter.upstream.host,
            path,
            now: chrono::Utc::now(),
        };
        let input = policy::build_input(
            snap.mode,
            &principal,
            adapter,
            tool,
            parsed.args,
            found,
            &facts,
        );
        let decision = policy::decide(&snap.policy, &input).expect("allowed");
        (parsed.wire, tool.args_from, input, findings, decision)
    };
    let http_pre_forward = |snap: &toolwall::config::Snapshot| {
        let (wire, args_from, input, findings, decision) = http_decide(snap);
        let forward = wire.body(args_from, &input["args"], None);
        (forward.0, input, findings, decision)
    };
    let (fwd, _, findings, d) = http_pre_forward(&snap);
    assert!(d.allow && !fwd.is_empty() && !findings.is_empty());

    // ---- gRPC: the same tool, typed by the descriptor set
    let mut gsnap = snapshot();
    let pb = std::fs::read(fixtures().join("grpc/payments.pb")).expect("payments.pb");
    let descriptors = Descriptors::decode(&pb).expect("descriptor set");
    let method_desc = descriptors.method(SERVICE, METHOD).expect("method");
    let input_desc = method_desc.input();
    {
        let tool = &mut gsnap.adapters[0].tools[0];
        let derived = toolwall::proto::schema::derive(&input_desc);
        let compiled = serde_json::json!({"allOf": [derived, explicit_schema()]});
        tool.schema = Some(jsonschema::validator_for(&compiled).expect("schema compiles"));
        tool.schema_ref = Some("grpc:bench.payments.v1.RefundRequest".into());
        tool.path = PATH.into();
        tool.args_from = toolwall::config::raw::ArgsFrom::Json;
        tool.grpc = Some(toolwall::config::grpc::GrpcMethod {
            service: SERVICE.into(),
            method: METHOD.into(),
            path: PATH.into(),
            desc: method_desc.clone(),
        });
    }
    // the routing tables of a gRPC adapter: service → adapter, "/svc/Method" → tool
    let by_service: HashMap<String, usize> = [(SERVICE.to_string(), 0)].into();
    let methods: HashMap<String, usize> = [(PATH.to_string(), 0)].into();
    let grpc_json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("grpc/call.json")).expect("grpc/call.json"),
    )
    .expect("grpc/call.json");
    let message = grpc::from_json(&input_desc, &grpc_json).expect("encodes");
    let grpc_body = Bytes::from(grpc::frame(&message));
    let (grpc_parts, ()) = http::Request::builder()
        .method("POST")
        .uri(PATH)
        .version(http::Version::HTTP_2)
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", "10S")
        .body(())
        .expect("request")
        .into_parts();
    let gadapter = &gsnap.adapters[0];

    let grpc_pre_forward = |snap: &toolwall::config::Snapshot| {
        let principal = identify::identify(&snap.identity, &grpc_parts).expect("identity");
        let path = grpc_parts.uri.path();
        let service = path
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .map(|(s, _)| s)
            .expect("service/method");
        let adapter_idx = *by_service.get(service).expect("guarded service");
        let adapter = &snap.adapters[adapter_idx];
        let tool = &adapter.tools[*methods.get(path).expect("listed method")];
        let gm = tool.grpc.as_ref().expect("grpc tool");
        let enc = Encoding::from_header(
            grpc_parts
                .headers
                .get("grpc-encoding")
                .and_then(|v| v.to_str().ok()),
        )
        .expect("encoding");
        let msg = grpc::unary_message(&grpc_body, enc, MAX_MESSAGE).expect("one message");
        let args = grpc::to_json(&gm.desc.input(), &msg, true).expect("decodes");
        schema::check_schema(tool, &args).expect("schema");
        let (findings, found) = toolwall::stage::redact::scan_args(&snap.redactor, &args);
        let facts = policy::RequestFacts {
            method: "POST",
            host: &adapter.upstream.host,
            path,
            now: chrono::Utc::now(),
        };
        let mut input =
            policy::build_input(snap.mode, &principal, adapter, tool, args, found, &facts);
        input["grpc"] = serde_json::json!({
            "service": gm.service,
            "method": gm.method,
            "message_index": 0,
            "client_streaming": gm.desc.is_client_streaming(),
            "server_streaming": gm.desc.is_server_streaming(),
            "metadata": {"grpc-timeout": "10S"},
        });
        let decision = policy::decide(&snap.policy, &input).expect("allowed");
        // unredacted: the original bytes go upstream (a refcount, no copy)
        let forward = grpc_body.clone();
        (forward, input, findings, decision)
    };
    let (fwd, input, findings, d) = grpc_pre_forward(&gsnap);
    assert!(d.allow, "{d:?}");
    assert_eq!(fwd, grpc_body);
    assert_eq!(input["args"], grpc_json, "canonical JSON of the fixture");
    assert!(!findings.is_empty(), "the email is found");
    assert_eq!(
        gadapter.tools[0].schema_ref.as_deref(),
        Some("grpc:bench.payments.v1.RefundRequest")
    );
    eprintln!(
        "grpc bench: HTTP body {} bytes, gRPC message {} bytes (+5 framing)",
        body.len(),
        message.len()
    );

    // When the decision's plan masks something: the masked arguments are what goes upstream.
    let http_redacted = |snap: &toolwall::config::Snapshot| {
        let (wire, args_from, input, findings, d) = http_decide(snap);
        let masked =
            toolwall::stage::redact::mask_findings(&snap.redactor, &input["args"], &findings);
        (wire.body(args_from, &masked, None).0, d)
    };
    let grpc_redacted = |snap: &toolwall::config::Snapshot| {
        let (_, input, findings, d) = grpc_pre_forward(snap);
        let masked =
            toolwall::stage::redact::mask_findings(&snap.redactor, &input["args"], &findings);
        let bytes = grpc::from_json(&input_desc, &masked).expect("re-encodes");
        (Bytes::from(grpc::frame(&bytes)), d)
    };
    let (g, _) = grpc_redacted(&gsnap);
    let back = grpc::to_json(
        &input_desc,
        &grpc::unary_message(&g, Encoding::Identity, MAX_MESSAGE).expect("frame"),
        true,
    )
    .expect("decodes");
    assert_eq!(back["customer"]["email"], "[EMAIL]", "{back}");
    let (h, _) = http_redacted(&snap);
    assert!(std::str::from_utf8(&h).is_ok_and(|t| t.contains("[EMAIL]")));

    // Instruction counts (callgrind), steadier than wall time on a shared machine:
    // `TOOLWALL_BENCH_ITERS=N TOOLWALL_BENCH_ONLY=<bench name>` runs that closure N times and
    // exits; the difference between two N, divided, is the cost of one call (see
    // docs/performance.md).
    if let Some((only, n)) = support::only() {
        for _ in 0..n {
            match only.as_str() {
                "grpc/http_pre_forward_1kb" => drop(black_box(http_pre_forward(&snap))),
                "grpc/pre_forward_1kb" => drop(black_box(grpc_pre_forward(&gsnap))),
                "grpc/http_pre_forward_1kb_redacted" => drop(black_box(http_redacted(&snap))),
                "grpc/pre_forward_1kb_redacted" => drop(black_box(grpc_redacted(&gsnap))),
                "grpc/to_json_1kb" => drop(black_box(grpc::to_json(&input_desc, &message, true))),
                "grpc/from_json_1kb" => drop(black_box(grpc::from_json(&input_desc, &grpc_json))),
                "grpc/http_parse_strict_1kb" => {
                    drop(black_box(toolwall::json::parse_strict(&body, 32)))
                }
                other => panic!("TOOLWALL_BENCH_ONLY: no closure {other}"),
            }
        }
        std::process::exit(0);
    }

    c.bench_function("grpc/http_pre_forward_1kb", |b| {
        b.iter(|| black_box(http_pre_forward(black_box(&snap))))
    });
    c.bench_function("grpc/pre_forward_1kb", |b| {
        b.iter(|| black_box(grpc_pre_forward(black_box(&gsnap))))
    });

    c.bench_function("grpc/http_pre_forward_1kb_redacted", |b| {
        b.iter(|| black_box(http_redacted(black_box(&snap))))
    });
    c.bench_function("grpc/pre_forward_1kb_redacted", |b| {
        b.iter(|| black_box(grpc_redacted(black_box(&gsnap))))
    });

    c.bench_function("grpc/to_json_1kb", |b| {
        b.iter(|| black_box(grpc::to_json(&input_desc, black_box(&message), true).expect("json")))
    });
    c.bench_function("grpc/from_json_1kb", |b| {
        b.iter(|| black_box(grpc::from_json(&input_desc, black_box(&grpc_json)).expect("bytes")))
    });
    // where the conversions spend their time (prost-reflect): decoding into a dynamic
    // message and serialising it, deserialising JSON and encoding
    let dynamic = prost_reflect::DynamicMessage::decode(input_desc.clone(), message.as_slice())
        .expect("decodes");
    c.bench_function("grpc/to_json_1kb/decode", |b| {
        b.iter(|| {
            black_box(
                prost_reflect::DynamicMessage::decode(
                    input_desc.clone(),
                    black_box(message.as_slice()),
                )
                .expect("decodes"),
            )
        })
    });
    c.bench_function("grpc/to_json_1kb/to_value", |b| {
        b.iter(|| black_box(serde_json::to_value(black_box(&dynamic)).expect("json")))
    });
    c.bench_function("grpc/from_json_1kb/deserialize", |b| {
        b.iter(|| {
            black_box(
                prost_reflect::DynamicMessage::deserialize(
                    input_desc.clone(),
                    black_box(&grpc_json),
                )
                .expect("deserialises"),
            )
        })
    });
    c.bench_function("grpc/from_json_1kb/encode", |b| {
        use prost::Message;
        b.iter(|| black_box(black_box(&dynamic).encode_to_vec()))
    });
    c.bench_function("grpc/http_parse_strict_1kb", |b| {
        b.iter(|| black_box(toolwall::json::parse_strict(black_box(&body), 32).expect("json")))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
